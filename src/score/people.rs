//! Staff points, self-assessment and title review (SPEC §15): three rules about
//! the people and titles around a campaign, computed from what the earlier
//! stages judged and never changing a unit's public score or rank.
//!
//! - Staff points (驾照扣分制): each staff member starts the cycle with
//!   `staff.points` (12) and loses `staff.per_complaint` (4) per valid complaint
//!   naming them, never below 0: `left = max(0, P − k·n)`. At 0 the person is
//!   listed for 诫勉谈话.
//! - Self-assessment (自查自评): the ballots of `self: true` groups are tallied
//!   apart ([`crate::count::tally::Tally`] routes them), scored like any group's,
//!   and compared with the public composite: `gap = S − C`; a unit with
//!   `gap > self_assessment.max_gap` is listed.
//! - Title review (摘牌): a unit holding a title loses it when a veto complaint
//!   counted against it (whatever its status), or when fewer than `N` ranked units
//!   have a lower published final score (the back-of-list rule of SPEC §9 with
//!   `N = titles.bottom_n`); an excluded unit (last year's winner, 不再参加评选)
//!   is placed against the ranked list by its own published score.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::count::tally::Tally;
use crate::judge::complaints::Complaints;
use crate::judge::people::{RollReject, StaffRoster, Titles};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::score::result::{UnitResult, UnitStatus};

/// One staff member's points for the cycle: a row of `staff.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffPoints {
    /// Staff id.
    pub staff_id: String,
    /// Name (empty when there is no staff roster).
    pub name: String,
    /// Index of the unit in the roster.
    pub unit: usize,
    /// Valid complaints naming the person (verified, in the period, not a bonus
    /// category).
    pub complaints: u64,
    /// `min(points, complaints × per_complaint)`.
    pub deducted: f64,
    /// `points − deducted`, never below 0.
    pub left: f64,
    /// Listed for 诫勉谈话: no points left.
    pub talk: bool,
}

/// The staff points of a campaign (plan `staff:`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StaffReport {
    /// Per staff member: the staff roster's order, then (without a roster) staff
    /// named by complaints in first-mention order.
    pub staff: Vec<StaffPoints>,
    /// Rejected rows of the staff roster.
    pub rejects: Vec<RollReject>,
    /// Rows of the staff roster read (0 without one).
    pub rows: u64,
    /// Whether a staff roster was given.
    pub roster: bool,
}

/// Staff points from the complaints that name staff (SPEC §15); `None` when the
/// plan has no `staff:` rule. With a staff roster every person on it is listed,
/// complaints or not.
pub fn staff_points(plan: &Plan, roster: Option<&StaffRoster>, complaints: &Complaints) -> Option<StaffReport> {
    let rule = plan.staff.as_ref()?;
    let mut rows: Vec<StaffPoints> = Vec::new();
    let mut index: std::collections::HashMap<(String, usize), usize> = std::collections::HashMap::new();
    let blank = |staff_id: &str, name: &str, unit: usize| StaffPoints {
        staff_id: staff_id.to_string(),
        name: name.to_string(),
        unit,
        complaints: 0,
        deducted: 0.0,
        left: rule.points,
        talk: false,
    };
    if let Some(r) = roster {
        for m in &r.staff {
            index.insert((m.staff_id.clone(), m.unit), rows.len());
            rows.push(blank(&m.staff_id, &m.name, m.unit));
        }
    }
    for n in &complaints.staff {
        let k = match index.get(&(n.staff_id.clone(), n.unit)) {
            Some(&k) => k,
            None => {
                index.insert((n.staff_id.clone(), n.unit), rows.len());
                rows.push(blank(&n.staff_id, "", n.unit));
                rows.len() - 1
            }
        };
        if n.valid {
            rows[k].complaints += 1;
        }
    }
    for r in &mut rows {
        r.deducted = (r.complaints as f64 * rule.per_complaint).min(rule.points);
        r.left = (rule.points - r.deducted).max(0.0);
        r.talk = r.left <= 0.0;
    }
    Some(StaffReport {
        staff: rows,
        rejects: roster.map(|r| r.rejects.clone()).unwrap_or_default(),
        rows: roster.map_or(0, |r| r.rows),
        roster: roster.is_some(),
    })
}

/// One unit's self-assessment beside its public score.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SelfScore {
    /// Valid self-assessment ballots about the unit.
    pub ballots: u64,
    /// Composite `S` from those ballots alone (SPEC §7 rules).
    pub composite: Option<f64>,
    /// `S − C`: the self score minus the public composite.
    pub gap: Option<f64>,
    /// `gap > self_assessment.max_gap`: listed in the report.
    pub over: bool,
}

/// The self-assessment of every unit, in roster order (empty when the plan has no
/// `self: true` group).
pub fn self_scores(plan: &Plan, tally: &Tally, units: &[UnitResult]) -> Vec<SelfScore> {
    let Some(own) = tally.own.as_deref() else {
        return Vec::new();
    };
    units
        .iter()
        .map(|r| {
            let s = crate::score::unit::score_unit(plan, own, r.unit);
            let gap = s.composite.zip(r.score.composite).map(|(a, b)| a - b);
            SelfScore {
                ballots: s.valid,
                composite: s.composite,
                gap,
                over: gap.is_some_and(|g| g > plan.self_assessment.max_gap),
            }
        })
        .collect()
}

/// Whether a title was kept, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TitleVerdict {
    /// Reviewed and kept: neither vetoed nor at the back of the list.
    Kept,
    /// Removed (摘牌): a veto complaint counted against the unit.
    Vetoed,
    /// Removed (摘牌): among the last `titles.bottom_n` of the list.
    BottomN,
    /// Kept, but not reviewed: the unit has no rankable result (too few ballots,
    /// panel short, void, incomplete); a person decides.
    NotReviewed,
}

impl TitleVerdict {
    /// The reason code written in `titles_after.csv` (`reason`).
    pub fn code(self) -> &'static str {
        match self {
            TitleVerdict::Kept => "passed",
            TitleVerdict::Vetoed => "vetoed",
            TitleVerdict::BottomN => "bottom_n",
            TitleVerdict::NotReviewed => "not_reviewed",
        }
    }

    /// Whether the title stays (`kept` in `titles_after.csv`).
    pub fn kept(self) -> bool {
        matches!(self, TitleVerdict::Kept | TitleVerdict::NotReviewed)
    }
}

/// One title after the review: a row of `titles_after.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleAfter {
    /// Index of the unit in the roster.
    pub unit: usize,
    /// The title.
    pub title: String,
    /// When it was given.
    pub since: Option<Date>,
    /// Kept or removed, and why.
    pub verdict: TitleVerdict,
    /// Ranked units with a lower published final score (the back-of-list count),
    /// when the unit was placed against the list.
    pub below: Option<u64>,
}

/// The title review of a campaign (plan `titles:`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TitleReport {
    /// Every title read, in file order, with its verdict.
    pub titles: Vec<TitleAfter>,
    /// Rejected rows of the titles file.
    pub rejects: Vec<RollReject>,
    /// Rows of the titles file read.
    pub rows: u64,
    /// `N`, the back-of-list depth used.
    pub bottom_n: u64,
}

/// Reviews every title against the units' results (SPEC §15); `None` when the
/// plan has no `titles:` rule.
pub fn review_titles(plan: &Plan, units: &[UnitResult], titles: &Titles) -> Option<TitleReport> {
    plan.titles.as_ref()?;
    let n = plan.title_bottom_n();
    let ranked: Vec<i64> = units
        .iter()
        .filter(|r| r.placing.rank.is_some())
        .filter_map(|r| r.placing.published)
        .collect();
    let review = |r: &UnitResult| -> (TitleVerdict, Option<u64>) {
        if r.complaints.vetoed {
            return (TitleVerdict::Vetoed, None);
        }
        let assessed = match r.status {
            UnitStatus::Ranked => true,
            // Excluded from the competition, still appraised: placed by its own
            // result when that result would have been rankable.
            UnitStatus::Excluded => {
                r.panel.over_returned.is_none() && !r.panel.too_few && r.panel.short.is_empty() && r.score.is_complete()
            }
            _ => false,
        };
        let Some(me) = r.placing.published.filter(|_| assessed) else {
            return (TitleVerdict::NotReviewed, None);
        };
        let below = ranked.iter().filter(|&&p| p < me).count() as u64;
        let verdict = if below < n {
            TitleVerdict::BottomN
        } else {
            TitleVerdict::Kept
        };
        (verdict, Some(below))
    };
    let out = titles
        .titles
        .iter()
        .filter_map(|t| {
            let r = units.iter().find(|r| r.unit == t.unit)?;
            let (verdict, below) = review(r);
            Some(TitleAfter {
                unit: t.unit,
                title: t.title.clone(),
                since: t.since,
                verdict,
                below,
            })
        })
        .collect();
    Some(TitleReport {
        titles: out,
        rejects: titles.rejects.clone(),
        rows: titles.rows,
        bottom_n: n,
    })
}

/// What the rules of SPEC §15 add to an outcome.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct People {
    /// Staff points, when the plan has a `staff:` rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<StaffReport>,
    /// Title review, when the plan has a `titles:` rule and a titles file was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub titles: Option<TitleReport>,
    /// Self-assessment per unit (roster order), when a group is `self: true`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selfs: Vec<SelfScore>,
}

impl People {
    /// Whether no rule of SPEC §15 is in use (nothing to write).
    pub fn is_empty(&self) -> bool {
        self.staff.is_none() && self.titles.is_none() && self.selfs.is_empty()
    }
}

/// Applies staff points and the title review to the units of a run (the
/// self-assessment is computed by `evaluate` itself).
pub fn apply(
    plan: &Plan,
    people: &mut People,
    units: &[UnitResult],
    complaints: &Complaints,
    staff: Option<&StaffRoster>,
    titles: Option<&Titles>,
) {
    people.staff = staff_points(plan, staff, complaints);
    people.titles = titles.and_then(|t| review_titles(plan, units, t));
}

/// The unit id of a roster index (for messages).
pub fn unit_id(roster: &Roster, unit: usize) -> &str {
    roster.units.get(unit).map_or("", |u| u.id.as_str())
}
