//! Panel candidates (评议人候选名单) for `appraise draw` (SPEC §13): who may be drawn
//! onto a unit's panel, their rater group, their own workplace and how many
//! panels they may sit on.
//!
//! A candidates file is read like the complaints: CSV or workbook, through the
//! one table reader (encoding detection, sheet row numbers), ids and groups as
//! the plan's labels allow. A bad row is not an error but a [`CandidateReject`]
//! with a reason code, written to `candidate_rejects.csv`, so the rows read always
//! equal the candidates kept plus the rows rejected. The checks run in the order
//! `malformed_row`, `blank_id`, `unknown_group`, `unknown_unit`, `bad_max_panels`,
//! `duplicate` (an id already taken by a row that passed the earlier checks); the
//! first that fails names the reason.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Position, Result};
use crate::input::table::Table;
use crate::input::text::{Encoding, Source};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;

/// The most panels a candidate's `max_panels` may name (as a plan list length).
pub const MAX_PANELS: u64 = 1_000_000;

/// One candidate who may be drawn, as a program embedding the engine gives it or
/// as a judged row of a candidates file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The candidate's id (trimmed); unique in a draw, and the draw's sort key.
    pub candidate_id: String,
    /// The candidate's name, written into `panel.csv` as it is.
    pub name: String,
    /// The rater group's id in the plan.
    pub rater_group: String,
    /// The roster unit the candidate works in, if any: they are never drawn for it.
    pub unit: Option<String>,
    /// Panels the candidate may sit on; `None` takes the plan's
    /// `draw.max_panels_per_rater`.
    pub max_panels: Option<u64>,
}

impl Candidate {
    /// A candidate of a group, with no workplace unit and the plan's default
    /// number of panels.
    pub fn new(candidate_id: &str, name: &str, rater_group: &str) -> Candidate {
        Candidate {
            candidate_id: candidate_id.into(),
            name: name.into(),
            rater_group: rater_group.into(),
            unit: None,
            max_panels: None,
        }
    }

    /// The same candidate working in `unit` (never drawn for it).
    pub fn unit(mut self, unit: &str) -> Candidate {
        self.unit = Some(unit.into());
        self
    }

    /// The same candidate allowed on `n` panels.
    pub fn max_panels(mut self, n: u64) -> Candidate {
        self.max_panels = Some(n);
        self
    }
}

/// Why a candidate row was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateReason {
    /// The row has more or fewer fields than the header.
    MalformedRow,
    /// `candidate_id` is blank.
    BlankId,
    /// `rater_group` is not a group of the plan (nor a group's label).
    UnknownGroup,
    /// `unit` is not blank and not a roster unit.
    UnknownUnit,
    /// `max_panels` is not a whole number from 0 to [`MAX_PANELS`].
    BadMaxPanels,
    /// The candidate id was already taken by an earlier row.
    Duplicate,
}

impl CandidateReason {
    /// Every reason, in the order the checks run (and counts are printed).
    pub const ALL: [CandidateReason; 6] = [
        CandidateReason::MalformedRow,
        CandidateReason::BlankId,
        CandidateReason::UnknownGroup,
        CandidateReason::UnknownUnit,
        CandidateReason::BadMaxPanels,
        CandidateReason::Duplicate,
    ];

    /// The reason code written in `candidate_rejects.csv`.
    pub fn code(self) -> &'static str {
        match self {
            CandidateReason::MalformedRow => "malformed_row",
            CandidateReason::BlankId => "blank_id",
            CandidateReason::UnknownGroup => "unknown_group",
            CandidateReason::UnknownUnit => "unknown_unit",
            CandidateReason::BadMaxPanels => "bad_max_panels",
            CandidateReason::Duplicate => "duplicate",
        }
    }
}

/// A rejected candidate row: a row of `candidate_rejects.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateReject {
    /// Source row (CSV line or sheet row, header = 1), or the record's 0-based
    /// index for typed candidates.
    pub row: u64,
    /// The candidate id as written, trimmed.
    pub candidate_id: String,
    /// Why.
    pub reason: CandidateReason,
    /// What was seen, and what to correct.
    pub detail: String,
}

/// The judged candidates of a draw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidates {
    /// Candidates kept, in file order; ids unique, groups and units resolved to
    /// their ids.
    pub list: Vec<Candidate>,
    /// Rejected rows, in file order.
    pub rejects: Vec<CandidateReject>,
    /// Rows read (= `list.len() + rejects.len()`).
    pub rows: u64,
    /// Notes about the file: the encoding detected or sheet read, columns ignored.
    pub notes: Vec<String>,
}

const REQUIRED: [&str; 3] = ["candidate_id", "name", "rater_group"];

impl Candidates {
    /// Reads and judges a candidates table, CSV or workbook: `candidate_id, name,
    /// rater_group`, optional `unit` (also accepted as `unit_id`) and `max_panels`.
    /// A row lacking only optional columns after the required ones reads them as
    /// blank.
    ///
    /// ```
    /// use appraise::{Encoding, Source, judge::candidates::Candidates};
    /// let (plan, roster) = appraise::demo::campaign()?;
    /// let csv = "candidate_id,name,rater_group,unit\nC1,张三,public,U002\nC2,李四,nobody,\n";
    /// let c = Candidates::load(&Source::text("c.csv", csv), Encoding::Utf8, &plan, &roster)?;
    /// assert_eq!((c.list.len(), c.rejects.len()), (1, 1));
    /// assert_eq!(c.rejects[0].reason.code(), "unknown_group");
    /// # Ok::<(), appraise::Error>(())
    /// ```
    pub fn load(source: &Source, encoding: Encoding, plan: &Plan, roster: &Roster) -> Result<Candidates> {
        let mut input = Table::open(source, encoding)?;
        let cols = input.require(&REQUIRED, "candidates file")?;
        let unit_col = match (input.column("unit"), input.column("unit_id")) {
            (Some(_), Some(_)) => {
                return Err(Error::input(
                    Position::line(&input.path, 1).with_column("unit_id"),
                    "the candidates file has both `unit` and `unit_id` columns; keep one (the candidate's own workplace unit)",
                ));
            }
            (a, b) => a.or(b),
        };
        let max_col = input.column("max_panels");
        let width = input.header.len();
        let known: Vec<usize> = cols.iter().copied().chain(unit_col).chain(max_col).collect();
        let mut notes: Vec<String> = input.note.iter().cloned().collect();
        let ignored: Vec<&str> = input
            .header
            .iter()
            .enumerate()
            .filter(|(k, _)| !known.contains(k))
            .map(|(_, h)| h.as_str())
            .collect();
        if !ignored.is_empty() {
            notes.push(format!("ignored columns {}", ignored.join(", ")));
        }
        let shortest = cols.iter().max().map_or(width, |m| m + 1);
        let mut j = Judging::new(plan, roster);
        let mut rec = csv::StringRecord::new();
        while let Some(line) = input.row(&mut rec)? {
            let get = |k: Option<usize>| k.and_then(|k| rec.get(k)).unwrap_or("").trim();
            let malformed = (rec.len() > width || rec.len() < shortest)
                .then(|| format!("{} fields, header has {width}", rec.len()));
            let fields = [
                get(Some(cols[0])),
                get(Some(cols[1])),
                get(Some(cols[2])),
                get(unit_col),
                get(max_col),
            ];
            j.row(line, fields, malformed);
        }
        let mut out = j.out;
        out.notes = notes;
        Ok(out)
    }

    /// Judges typed candidates as [`Candidates::load`] judges the rows of a file
    /// with the same text: same checks, reasons and details. A reject's `row` is the
    /// record's 0-based index.
    pub fn from_records<C: std::borrow::Borrow<Candidate>>(
        records: impl IntoIterator<Item = C>,
        plan: &Plan,
        roster: &Roster,
    ) -> Candidates {
        let mut j = Judging::new(plan, roster);
        for (k, c) in records.into_iter().enumerate() {
            let c = c.borrow();
            let max = c.max_panels.map(|m| m.to_string()).unwrap_or_default();
            let f = [
                c.candidate_id.trim(),
                c.name.trim(),
                c.rater_group.trim(),
                c.unit.as_deref().unwrap_or("").trim(),
                max.as_str(),
            ];
            j.row(k as u64, f, None);
        }
        j.out
    }

    /// Rejected rows per reason, in the order of [`CandidateReason::ALL`], leaving
    /// out reasons with none.
    pub fn by_reason(&self) -> Vec<(CandidateReason, u64)> {
        CandidateReason::ALL
            .iter()
            .map(|&r| (r, self.rejects.iter().filter(|x| x.reason == r).count() as u64))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// One judging pass over candidate rows or records.
struct Judging<'a> {
    plan: &'a Plan,
    roster: &'a Roster,
    ids: HashSet<String>,
    out: Candidates,
}

impl<'a> Judging<'a> {
    fn new(plan: &'a Plan, roster: &'a Roster) -> Judging<'a> {
        Judging {
            plan,
            roster,
            ids: HashSet::new(),
            out: Candidates::default(),
        }
    }

    /// Judges one row: `f` holds `candidate_id, name, rater_group, unit,
    /// max_panels`, trimmed (blank when the column is absent).
    fn row(&mut self, line: u64, f: [&str; 5], malformed: Option<String>) {
        let (plan, roster, out) = (self.plan, self.roster, &mut self.out);
        out.rows += 1;
        let [id, name, group, unit, max] = f;
        let mut reject = |reason, detail: String| {
            out.rejects.push(CandidateReject {
                row: line,
                candidate_id: id.to_string(),
                reason,
                detail,
            });
        };
        if let Some(detail) = malformed {
            reject(CandidateReason::MalformedRow, detail);
            return;
        }
        if id.is_empty() {
            reject(
                CandidateReason::BlankId,
                format!("candidate `{name}` has no candidate_id; give every candidate a unique id"),
            );
            return;
        }
        let Some(g) = plan.group_by_value(group) else {
            let valid: Vec<String> = plan.groups.iter().map(|g| g.labels.named(&g.id)).collect();
            reject(
                CandidateReason::UnknownGroup,
                format!("{}; the plan's groups are {}", cut(group), valid.join(", ")),
            );
            return;
        };
        let unit = if unit.is_empty() {
            None
        } else {
            match roster.index(unit).or_else(|| roster.index(&plan.fold(unit))) {
                Some(u) => Some(roster.units[u].id.clone()),
                None => {
                    let named = roster.units.iter().find(|u| u.name.trim() == unit);
                    reject(
                        CandidateReason::UnknownUnit,
                        match named {
                            Some(u) => format!("{}; is the name of unit {}: write its unit_id", cut(unit), u.id),
                            None => format!(
                                "{}; not in the roster (leave `unit` blank for a candidate who works in no roster unit)",
                                cut(unit)
                            ),
                        },
                    );
                    return;
                }
            }
        };
        let max_panels = if max.is_empty() {
            None
        } else {
            let folded = plan.fold(max);
            match folded.parse::<u64>() {
                Ok(n) if folded.bytes().all(|b| b.is_ascii_digit()) && n <= MAX_PANELS => Some(n),
                _ => {
                    reject(
                        CandidateReason::BadMaxPanels,
                        format!(
                            "`{}`; write a whole number from 0 to {MAX_PANELS}, or leave it blank for the plan's draw.max_panels_per_rater",
                            cut(max)
                        ),
                    );
                    return;
                }
            }
        };
        if !self.ids.insert(id.to_string()) {
            reject(
                CandidateReason::Duplicate,
                format!("candidate_id {} already read; each candidate is listed once", cut(id)),
            );
            return;
        }
        out.list.push(Candidate {
            candidate_id: id.to_string(),
            name: name.to_string(),
            rater_group: plan.groups[g].id.clone(),
            unit,
            max_panels,
        });
    }
}

/// A value for a detail: cut to its first 60 characters with its length noted.
fn cut(s: &str) -> String {
    let n = s.chars().count();
    if n <= 60 {
        s.to_string()
    } else {
        format!("{}… ({n} chars)", s.chars().take(60).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign() -> (Plan, Roster) {
        let survey = crate::rules::schema::Survey::from_yaml(
            "id: s\nscales: {sat: {options: [{code: 1, score: 100}]}}\ndimensions: [{id: d}]\nitems: [{id: a, dimension: d, scale: sat, zh: 甲}]\n",
            std::path::Path::new("s.yaml"),
        )
        .unwrap();
        let plan = Plan::from_yaml(
            "id: p\nsurvey: s.yaml\nperiod: {start: 2010-01-01, end: 2010-12-31}\ngroups:\n  - {id: public, zh: 群众代表, public: true}\n  - {id: enterprise, zh: 企业代表, public: true}\n",
            std::path::Path::new("p.yaml"),
            survey,
        )
        .unwrap();
        let roster = Roster::read_from(
            &Source::text("r.csv", "unit_id,name,department,kind\nU001,甲,D,K\nU002,乙,D,K\n"),
            Encoding::Utf8,
        )
        .unwrap();
        (plan, roster)
    }

    #[test]
    fn each_bad_row_gets_its_reason_and_counts_close() {
        let (plan, roster) = campaign();
        let csv = "candidate_id,name,rater_group,unit,max_panels,phone\n\
                   C1,甲,public,U002,2,1\n\
                   ,乙,public,,,\n\
                   C3,丙,nobody,,,\n\
                   C4,丁,enterprise,U999,,\n\
                   C5,戊,企业代表,,-1,\n\
                   C1,己,public,,,\n\
                   C7,庚\n\
                   C8,辛,群众代表\n";
        let c = Candidates::load(&Source::text("c.csv", csv), Encoding::Utf8, &plan, &roster).unwrap();
        let reasons: Vec<(u64, &str)> = c.rejects.iter().map(|r| (r.row, r.reason.code())).collect();
        assert_eq!(
            reasons,
            vec![
                (3, "blank_id"),
                (4, "unknown_group"),
                (5, "unknown_unit"),
                (6, "bad_max_panels"),
                (7, "duplicate"),
                (8, "malformed_row"),
            ]
        );
        // 8 rows = 2 kept (C1, C8: a short row lacking only optional columns) + 6 rejected.
        assert_eq!(c.rows, 8);
        assert_eq!(c.list.len() as u64 + c.rejects.len() as u64, c.rows);
        assert_eq!(c.list[0].unit.as_deref(), Some("U002"));
        assert_eq!(c.list[0].max_panels, Some(2));
        // A group given by its label is kept as its id.
        assert_eq!(c.list[1].rater_group, "public");
        assert_eq!(c.notes, vec!["ignored columns phone".to_string()]);
        assert!(
            c.rejects[1].detail.contains("public (群众代表)"),
            "{}",
            c.rejects[1].detail
        );
    }

    #[test]
    fn records_are_judged_like_rows() {
        let (plan, roster) = campaign();
        let c = Candidates::from_records(
            [
                Candidate::new("C1", "甲", "public").unit("U002").max_panels(3),
                Candidate::new("C1", "乙", "public"),
                Candidate::new("C2", "丙", "public").max_panels(MAX_PANELS + 1),
            ],
            &plan,
            &roster,
        );
        assert_eq!(c.list.len(), 1);
        assert_eq!(
            c.by_reason(),
            vec![(CandidateReason::BadMaxPanels, 1), (CandidateReason::Duplicate, 1)]
        );
        assert_eq!(c.rejects[0].row, 1);
    }

    #[test]
    fn both_unit_columns_is_an_error() {
        let (plan, roster) = campaign();
        let csv = "candidate_id,name,rater_group,unit,unit_id\nC1,甲,public,,\n";
        let e = Candidates::load(&Source::text("c.csv", csv), Encoding::Utf8, &plan, &roster).unwrap_err();
        assert!(e.to_string().contains("both `unit` and `unit_id`"), "{e}");
    }
}
