//! The result of a campaign: every unit, the rejects, the accounting.

use serde::{Deserialize, Serialize};

use crate::count::tally::{Accounting, Tally};
use crate::judge::ballots::FileSummary;
use crate::judge::complaints::Complaints;
use crate::judge::rejects::Rejects;
use crate::score::attention::Attention;
use crate::score::people::People;
use crate::score::result::{UnitResult, listing};
use crate::score::stats::Reliability;

/// The result of a campaign.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Outcome {
    /// Per roster unit, in roster order.
    pub units: Vec<UnitResult>,
    /// Rejected ballots, in input order (past a memory budget, in a temporary
    /// file: list them with [`Rejects::for_each`] or [`Rejects::to_vec`]).
    pub rejects: Rejects,
    /// The ballot files read.
    pub files: Vec<FileSummary>,
    /// Ballots read = valid + rejected.
    pub accounting: Accounting,
    /// Complaints and their rejects.
    pub complaints: Complaints,
    /// Cronbach's alpha and item diagnostics per dimension.
    pub reliability: Vec<Reliability>,
    /// Data-quality flags (reported, never applied).
    pub flags: Vec<crate::score::flags::Flag>,
    /// The consecutive-period mark of each unit, in roster order (empty when the
    /// plan has no such rule; `None` when too few earlier periods were given): see
    /// `score::evaluate::apply_history`.
    pub consecutive: Vec<Option<bool>>,
    /// What changed or may have changed a result, for a person to look at
    /// (SPEC §12): see [`crate::score::attention`].
    pub attention: Vec<Attention>,
    /// Staff points, self-assessment and title review (SPEC §15), when the plan
    /// uses them.
    #[serde(default, skip_serializing_if = "People::is_empty")]
    pub people: People,
    /// The ledgers and assessments read (SPEC §14); empty without them.
    #[serde(default, skip_serializing_if = "crate::judge::ledgers::Ledgers::is_empty")]
    pub ledgers: crate::judge::ledgers::Ledgers,
    /// The tally everything was computed from.
    #[serde(skip)]
    pub tally: Tally,
}

impl Outcome {
    /// The units of the front list (前N) and of the back list (后N), each in
    /// listing order (indices into [`Outcome::units`]).
    pub fn front_and_back(&self) -> (Vec<usize>, Vec<usize>) {
        let listing = self.listing();
        let side = |pick: fn(&UnitResult) -> bool| -> Vec<usize> {
            listing.iter().copied().filter(|&u| pick(&self.units[u])).collect()
        };
        (side(|r| r.placing.top), side(|r| r.placing.bottom))
    }

    /// Indices into [`Outcome::units`] of ranked units, in listing order.
    pub fn listing(&self) -> Vec<usize> {
        listing(&self.units)
    }
}
