//! Typed input: ballots built in code (a web form, a JSON body, a database row)
//! rather than read from a file.
//!
//! A [`Ballot`] is judged exactly like a CSV row with the same text: the same
//! checks in the same order (SPEC §5), the same reasons and details. The one
//! check a file has and a record has not is the column layout; in its place, an
//! answer for an item the survey does not have makes the record a
//! `malformed_row` (a misspelt item id must not silently become a blank answer).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::judge::ballots::{Accepted, BallotKeys, Reason, Rejection, Validator};

/// One ballot as data: the fixed fields of SPEC §3 and the answers by item id.
///
/// Answers are the text a CSV cell would hold: an option code (`"1"`), or
/// whatever else the plan accepts for one. A missing item is a blank answer.
///
/// ```
/// use appraise::judge::record::Ballot;
/// let b = Ballot::new("B1", "U001", "R7", "public").answer("int1", "1").answer("int2", "9");
/// assert_eq!(b.answers["int2"], "9");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ballot {
    /// `ballot_id` (blank: no duplicate check on it).
    pub ballot_id: String,
    /// `unit_id`: the roster unit rated.
    pub unit_id: String,
    /// `rater_id` (blank: no (rater, unit) duplicate check).
    pub rater_id: String,
    /// `rater_group`: a group id of the plan.
    pub rater_group: String,
    /// `rater_unit`: the rater's own workplace, for the conflict-of-interest check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rater_unit: Option<String>,
    /// Answers by item id.
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
}

impl Ballot {
    /// A ballot with no answers yet.
    pub fn new(
        ballot_id: impl Into<String>,
        unit_id: impl Into<String>,
        rater_id: impl Into<String>,
        rater_group: impl Into<String>,
    ) -> Ballot {
        Ballot {
            ballot_id: ballot_id.into(),
            unit_id: unit_id.into(),
            rater_id: rater_id.into(),
            rater_group: rater_group.into(),
            rater_unit: None,
            answers: BTreeMap::new(),
        }
    }

    /// The ballot with the answer `code` to item `item`.
    pub fn answer(mut self, item: impl Into<String>, code: impl Into<String>) -> Ballot {
        self.answers.insert(item.into(), code.into());
        self
    }

    /// The ballot with the rater's own unit set.
    pub fn rater_unit(mut self, unit: impl Into<String>) -> Ballot {
        self.rater_unit = Some(unit.into());
        self
    }
}

impl Validator<'_> {
    /// Judges a typed ballot as [`Validator::judge`] judges a CSV row with the same
    /// text; `index` is the caller's index of the record (it becomes the reject's
    /// `row`). `codes` must hold one slot per survey item.
    pub fn judge_ballot(&mut self, b: &Ballot, index: u64, codes: &mut [u8]) -> Result<Accepted, Rejection> {
        let items = &self.plan().survey.items;
        if let Some(unknown) = b.answers.keys().find(|k| !items.iter().any(|it| &it.id == *k)) {
            let unit = self.unit_index(b.unit_id.trim());
            return Err((
                unit,
                Reason::MalformedRow,
                format!(
                    "an answer for `{}`, which is no item of survey `{}`",
                    crate::judge::ballots::clip(unknown),
                    self.plan().survey.id
                ),
            ));
        }
        let keys = BallotKeys {
            line: index,
            ballot_id: &b.ballot_id,
            unit_id: &b.unit_id,
            rater_id: &b.rater_id,
            rater_group: &b.rater_group,
            rater_unit: b.rater_unit.as_deref().unwrap_or(""),
        };
        let answers: Vec<&str> = items
            .iter()
            .map(|it| b.answers.get(&it.id).map_or("", String::as_str))
            .collect();
        self.judge(&keys, |i| answers.get(i).copied().unwrap_or(""), codes)
    }
}

/// One complaint as data: the columns of a complaints file (SPEC §3, §8), as text
/// a cell would hold. Judged exactly like a file row with the same text
/// (`Complaints::from_records`): ids or labels, everyday dates, Chinese
/// statuses, and the same cap and veto.
///
/// ```
/// use appraise::judge::complaints::Complaints;
/// use appraise::judge::record::Complaint;
/// # fn main() -> appraise::Result<()> {
/// let (plan, roster) = appraise::demo::campaign()?;
/// let c = Complaint::new("C1", "U001", "2010-06-01", &plan.complaints.categories[0].id, "已核实");
/// let judged = Complaints::from_records([c], &plan, &roster);
/// assert_eq!(judged.units[0].counted, 1);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// `complaint_id` (blank: never a duplicate).
    pub complaint_id: String,
    /// `unit_id`: the roster unit complained about.
    pub unit_id: String,
    /// `date`, e.g. `2024-03-05` or `2024年3月5日`.
    pub date: String,
    /// `category`: a category id or label of the plan.
    pub category: String,
    /// `status`: `verified`, `unverified`, `dismissed` or their Chinese words.
    pub status: String,
    /// `source`, kept for the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `staff_id`: the staff member the complaint names, if any (staff points,
    /// SPEC §15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
}

impl Complaint {
    /// A complaint with no source.
    pub fn new(
        complaint_id: impl Into<String>,
        unit_id: impl Into<String>,
        date: impl Into<String>,
        category: impl Into<String>,
        status: impl Into<String>,
    ) -> Complaint {
        Complaint {
            complaint_id: complaint_id.into(),
            unit_id: unit_id.into(),
            date: date.into(),
            category: category.into(),
            status: status.into(),
            source: None,
            staff_id: None,
        }
    }
}
