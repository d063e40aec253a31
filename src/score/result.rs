//! What is known of one unit after scoring: status, placing, and the whole result.

use serde::{Deserialize, Serialize};

use crate::judge::complaints::UnitComplaints;
use crate::score::panel::PanelCheck;
use crate::score::stats::RankSet;
use crate::score::unit::UnitScore;

/// A unit's status (SPEC §10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// Listed in the plan's `exclude` (不再参加评选).
    Excluded,
    /// More ballots came back than were issued (作废, to be re-run).
    Void,
    /// A verified veto complaint in the period (一票否决).
    Vetoed,
    /// Fewer valid ballots than `min_valid_ballots`.
    TooFewBallots,
    /// Public share or a group quota not met.
    PanelShort,
    /// A dimension has no score, or (SPEC §14) a weighted component has none.
    Incomplete,
    /// Ranked.
    Ranked,
}

impl UnitStatus {
    /// The code written in `results.csv`.
    pub fn code(self) -> &'static str {
        match self {
            UnitStatus::Excluded => "excluded",
            UnitStatus::Void => "void",
            UnitStatus::Vetoed => "vetoed",
            UnitStatus::TooFewBallots => "too_few_ballots",
            UnitStatus::PanelShort => "panel_short",
            UnitStatus::Incomplete => "incomplete",
            UnitStatus::Ranked => "ranked",
        }
    }
}

/// What ranking needs to know of one unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Standing {
    /// Status.
    pub status: UnitStatus,
    /// Final score `F`.
    pub final_score: Option<f64>,
    /// Satisfaction rate (second sort key).
    pub rate: Option<f64>,
    /// Valid ballots (third sort key).
    pub valid: u64,
}

/// The placing of one unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Placing {
    /// Published final score as a whole number of `10^-decimals` steps.
    pub published: Option<i64>,
    /// Index into the plan's grades.
    pub grade: Option<usize>,
    /// Rank among ranked units.
    pub rank: Option<u64>,
    /// Rank among ranked units of the same department.
    pub rank_department: Option<u64>,
    /// Rank among ranked units of the same kind.
    pub rank_kind: Option<u64>,
    /// Among the first `top_n` (rank ≤ top_n).
    pub top: bool,
    /// Among the last `bottom_n` (fewer than `bottom_n` ranked units below it).
    pub bottom: bool,
    /// Position in listing order among ranked units (0-based).
    pub position: Option<usize>,
}

/// Everything known about one unit after scoring.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitResult {
    /// Index into the roster.
    pub unit: usize,
    /// Status.
    pub status: UnitStatus,
    /// Ballot rows read for the unit (valid + rejected).
    pub read: u64,
    /// Rejected ballot rows naming the unit.
    pub rejected: u64,
    /// The panel rule's verdict.
    pub panel: PanelCheck,
    /// Scores.
    pub score: UnitScore,
    /// Complaints and deduction.
    pub complaints: UnitComplaints,
    /// `F = max(0, C − X)`.
    pub final_score: Option<f64>,
    /// Grade, rank and flags.
    pub placing: Placing,
    /// Standard error of the composite (and of the final score, the deduction being
    /// fixed), by linearisation.
    pub composite_se: Option<f64>,
    /// 95% interval of the composite: on the logit scale with a t quantile
    /// ([`crate::score::stats::composite_interval`]).
    pub composite_ci: Option<(f64, f64)>,
    /// 95% marginal confidence set of the rank (ranked units only).
    pub rank_set: Option<RankSet>,
    /// The plan's awards this unit received (indices into `plan.awards`).
    pub awards: Vec<usize>,
    /// The weighted components of the final score, when the plan has
    /// `components:` (SPEC §14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<crate::score::components::UnitComponents>,
}

impl UnitResult {
    /// Why the unit is not ranked, in words (empty when ranked).
    pub fn why_not_ranked(&self) -> String {
        match self.status {
            UnitStatus::Ranked => String::new(),
            UnitStatus::Excluded => "excluded by the plan".into(),
            UnitStatus::Void => match self.panel.over_returned {
                Some((read, issued)) => format!("{read} ballots returned, {issued} issued"),
                None => "void".into(),
            },
            UnitStatus::Vetoed => format!("veto complaint {}", self.complaints.veto_ids.join(", ")),
            UnitStatus::TooFewBallots => format!("{} valid ballots", self.score.valid),
            UnitStatus::PanelShort => self.panel.short.join("; "),
            UnitStatus::Incomplete => match &self.components {
                Some(c) if self.score.is_complete() && !c.missing.is_empty() => {
                    format!("no score for component {}", c.missing.join(", "))
                }
                _ => "a dimension has no score".into(),
            },
        }
    }
}

/// Indices of the ranked units of `units`, in listing order.
pub(crate) fn listing(units: &[UnitResult]) -> Vec<usize> {
    let mut v: Vec<usize> = (0..units.len())
        .filter(|&u| units[u].placing.position.is_some())
        .collect();
    v.sort_by_key(|&u| units[u].placing.position);
    v
}
