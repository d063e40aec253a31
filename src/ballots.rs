//! Ballots (测评票): reading, validation and rejects (SPEC §3, §5).
//!
//! Each row is judged by [`Validator::judge`] with the checks of SPEC §5 in order;
//! the first that fails names the reason. A rejected ballot is never dropped or
//! altered: it becomes a [`Reject`] with its source line. Only valid ballots take
//! a key (ballot_id, and (rater_id, unit_id)), so a later ballot with the same key
//! is judged as if the rejected one had not been read.
//!
//! Two choices the spec leaves open, made here and documented in the README:
//! - a blank `ballot_id` or `rater_id` is no key: anonymous paper ballots (the usual
//!   case in 民主评议) cannot be duplicates of each other by rater;
//! - a ragged row (more or fewer fields than the header) is rejected as
//!   `malformed_row` before any other check.

use std::collections::HashSet;

use serde::Serialize;

use crate::csvin;
use crate::error::{Error, Position, Result};
use crate::num;
use crate::plan::Plan;
use crate::roster::Roster;
use crate::schema::RESERVED_COLUMNS;
use crate::tally::Tally;
use crate::text::{Encoding, Source};

/// Why a ballot was rejected. The order is the order of the checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The row has more or fewer fields than the header (or is not valid text).
    MalformedRow,
    /// `unit_id` is not in the roster.
    UnknownUnit,
    /// `rater_group` is not a group of the plan.
    UnknownGroup,
    /// An item holds a value that is not a code of its scale.
    BadCode,
    /// Fewer answered items than `min_answered_share` × items.
    TooManyBlank,
    /// A second ballot with the same (rater_id, unit_id), or a repeated ballot_id.
    Duplicate,
    /// `rater_unit` equals `unit_id`: the rater appraises their own unit.
    ConflictOfInterest,
}

impl Reason {
    /// Number of reasons.
    pub const COUNT: usize = 7;
    /// Every reason, in check order.
    pub const ALL: [Reason; Reason::COUNT] = [
        Reason::MalformedRow,
        Reason::UnknownUnit,
        Reason::UnknownGroup,
        Reason::BadCode,
        Reason::TooManyBlank,
        Reason::Duplicate,
        Reason::ConflictOfInterest,
    ];

    /// The reason code written in `rejects.csv`.
    pub fn code(self) -> &'static str {
        match self {
            Reason::MalformedRow => "malformed_row",
            Reason::UnknownUnit => "unknown_unit",
            Reason::UnknownGroup => "unknown_group",
            Reason::BadCode => "bad_code",
            Reason::TooManyBlank => "too_many_blank",
            Reason::Duplicate => "duplicate",
            Reason::ConflictOfInterest => "conflict_of_interest",
        }
    }

    /// Position in [`Reason::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A rejected ballot: a row of `rejects.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// Source line (header = 1).
    pub row: u64,
    /// The ballot's id, trimmed (may be empty).
    pub ballot_id: String,
    /// Why.
    pub reason: Reason,
    /// What was seen, e.g. `int3=7` for a bad code.
    pub detail: String,
    /// Index of the ballot file in the order given (see `Outcome::files`).
    pub file: usize,
}

/// The fixed fields of one ballot row, untrimmed.
#[derive(Clone, Copy, Debug, Default)]
pub struct BallotKeys<'a> {
    /// Source line.
    pub line: u64,
    /// `ballot_id`.
    pub ballot_id: &'a str,
    /// `unit_id`.
    pub unit_id: &'a str,
    /// `rater_id`.
    pub rater_id: &'a str,
    /// `rater_group`.
    pub rater_group: &'a str,
    /// `rater_unit` (empty when the file has no such column).
    pub rater_unit: &'a str,
}

/// A valid ballot's unit and group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// Roster index.
    pub unit: usize,
    /// Plan group index.
    pub group: usize,
}

/// The code stored for a blank answer.
pub const BLANK: u8 = u8::MAX;

/// Judges ballots one at a time, keeping the keys of the valid ones.
pub struct Validator<'p> {
    plan: &'p Plan,
    roster: &'p Roster,
    min_answered: usize,
    ballot_ids: HashSet<Box<str>>,
    raters: HashSet<(u32, Box<str>)>,
}

impl<'p> Validator<'p> {
    /// A validator for a plan and roster.
    pub fn new(plan: &'p Plan, roster: &'p Roster) -> Validator<'p> {
        let n = plan.survey.items.len() as u64;
        Validator {
            plan,
            roster,
            min_answered: num::ceil_share(plan.validity.min_answered_share, n) as usize,
            ballot_ids: HashSet::new(),
            raters: HashSet::new(),
        }
    }

    /// The fewest answered items (abstentions included) a valid ballot has.
    pub fn min_answered(&self) -> usize {
        self.min_answered
    }

    /// Judges one ballot. `answer(i)` gives the cell of item `i`; `codes` receives
    /// the option index of each item ([`BLANK`] for no answer). On rejection, the
    /// error carries the unit when the row names a roster unit, for the accounting.
    pub fn judge<'a>(
        &mut self,
        keys: &BallotKeys<'a>,
        answer: impl Fn(usize) -> &'a str,
        codes: &mut [u8],
    ) -> std::result::Result<Accepted, (Option<usize>, Reason, String)> {
        let unit_id = keys.unit_id.trim();
        let Some(unit) = self.roster.index(unit_id) else {
            return Err((None, Reason::UnknownUnit, unit_id.to_string()));
        };
        let reject = |reason, detail: String| Err((Some(unit), reason, detail));
        let group_id = keys.rater_group.trim();
        let Some(group) = self.plan.group_index(group_id) else {
            return reject(Reason::UnknownGroup, group_id.to_string());
        };
        let survey = &self.plan.survey;
        let mut answered = 0;
        for (i, item) in survey.items.iter().enumerate() {
            let cell = answer(i).trim();
            if cell.is_empty() {
                codes[i] = BLANK;
                continue;
            }
            match survey.scales[item.scale].option_index(cell) {
                Some(o) => {
                    codes[i] = o as u8;
                    answered += 1;
                }
                None => return reject(Reason::BadCode, format!("{}={}", item.id, clip(cell))),
            }
        }
        if answered < self.min_answered {
            return reject(
                Reason::TooManyBlank,
                format!(
                    "{answered} of {} items answered; at least {} needed",
                    survey.items.len(),
                    self.min_answered
                ),
            );
        }
        let ballot_id = keys.ballot_id.trim();
        if !ballot_id.is_empty() && self.ballot_ids.contains(ballot_id) {
            return reject(Reason::Duplicate, format!("ballot_id {} already read", clip(ballot_id)));
        }
        let rater = keys.rater_id.trim();
        let rater_key = (unit as u32, Box::<str>::from(rater));
        if !rater.is_empty() && self.raters.contains(&rater_key) {
            return reject(
                Reason::Duplicate,
                format!("rater {} already appraised {unit_id}", clip(rater)),
            );
        }
        if keys.rater_unit.trim() == unit_id {
            return reject(Reason::ConflictOfInterest, unit_id.to_string());
        }
        if !ballot_id.is_empty() {
            self.ballot_ids.insert(ballot_id.into());
        }
        if !rater.is_empty() {
            self.raters.insert(rater_key);
        }
        Ok(Accepted { unit, group })
    }
}

/// Shortens a cell for a detail message (a 2 MB cell does not belong in a report).
fn clip(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}… ({} chars)", s.chars().count())
    }
}

/// What reading one ballot file produced besides the tally.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileSummary {
    /// The file.
    pub path: String,
    /// Data rows read.
    pub rows: u64,
    /// Columns that are neither fixed columns nor items (ignored).
    pub ignored_columns: Vec<String>,
    /// Encoding note, when it was detected.
    pub note: Option<String>,
}

/// Reads a wide ballot CSV (SPEC §3), judging every row and adding it to `tally`;
/// rejected rows are appended to `rejects`. `progress` is called with the number of
/// rows read so far, every 65,536 rows and at the end.
///
/// Errors only when the file as a whole is unusable: it cannot be opened, has no
/// header, lacks a fixed column or an item column.
pub fn read_csv(
    source: &Source,
    file: usize,
    encoding: Encoding,
    validator: &mut Validator<'_>,
    tally: &mut Tally,
    rejects: &mut Vec<Reject>,
    progress: &mut dyn FnMut(u64),
) -> Result<FileSummary> {
    let path = source.path();
    let mut input = csvin::from_text(path, source.open(encoding)?)?;
    let fixed = input.require(&RESERVED_COLUMNS[..4], "ballot file")?;
    let rater_unit = input.column("rater_unit");
    let survey = &validator.plan.survey;
    let mut item_cols = Vec::with_capacity(survey.items.len());
    for it in &survey.items {
        match input.column(&it.id) {
            Some(c) => item_cols.push(c),
            None => {
                return Err(Error::input(
                    Position::line(path, 1).with_column(it.id.clone()),
                    format!(
                        "the ballot file has no column for item `{}`; every item of survey `{}` needs a column (blank cells are fine)",
                        it.id, survey.id
                    ),
                ));
            }
        }
    }
    let ignored_columns = input
        .header
        .iter()
        .enumerate()
        .filter(|(k, _)| !fixed.contains(k) && Some(*k) != rater_unit && !item_cols.contains(k))
        .map(|(_, h)| h.clone())
        .collect();
    let width = input.header.len();
    let mut codes = vec![BLANK; survey.items.len()];
    let mut rec = csv::StringRecord::new();
    let mut rows = 0u64;
    loop {
        match input.reader.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let Some(pos) = e.position().cloned() else {
                    return Err(csvin::csv_error(path, e));
                };
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    return Err(csvin::csv_error(path, e));
                }
                rows += 1;
                tally.add_rejected(None, Reason::MalformedRow);
                rejects.push(Reject {
                    row: pos.line(),
                    ballot_id: String::new(),
                    reason: Reason::MalformedRow,
                    detail: "not valid UTF-8; if the file is GBK, pass --encoding gbk".into(),
                    file,
                });
                continue;
            }
        }
        if csvin::is_blank_line(&rec) {
            continue; // an empty line holds no row
        }
        rows += 1;
        if rows % 65_536 == 0 {
            progress(rows);
        }
        let line = csvin::line_of(&rec);
        let get = |k: usize| rec.get(k).unwrap_or("");
        if rec.len() != width {
            let unit = validator.roster.index(get(fixed[1]).trim());
            tally.add_rejected(unit, Reason::MalformedRow);
            rejects.push(Reject {
                row: line,
                ballot_id: get(fixed[0]).trim().to_string(),
                reason: Reason::MalformedRow,
                detail: format!("{} fields, header has {width}", rec.len()),
                file,
            });
            continue;
        }
        let keys = BallotKeys {
            line,
            ballot_id: get(fixed[0]),
            unit_id: get(fixed[1]),
            rater_id: get(fixed[2]),
            rater_group: get(fixed[3]),
            rater_unit: rater_unit.map_or("", get),
        };
        match validator.judge(&keys, |i| get(item_cols[i]), &mut codes) {
            Ok(a) => tally.add_valid(a.unit, a.group, &codes),
            Err((unit, reason, detail)) => {
                tally.add_rejected(unit, reason);
                rejects.push(Reject {
                    row: line,
                    ballot_id: keys.ballot_id.trim().to_string(),
                    reason,
                    detail,
                    file,
                });
            }
        }
    }
    progress(rows);
    Ok(FileSummary {
        path: path.display().to_string(),
        rows,
        ignored_columns,
        note: input.note,
    })
}
