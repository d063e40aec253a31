//! The people and titles around a campaign (SPEC §15): the staff roster
//! (`staff_id, name, unit_id`, for 驾照扣分制 staff points) and the titles held
//! (`unit_id, title, since`, for 摘牌). Both are read like complaints: CSV or a
//! workbook through the project's table reader, ids written width-folded or as
//! the unit's id, dates in the everyday forms of SPEC §12, and every bad row kept
//! as a [`RollReject`] with its line, reason code and what to correct — never
//! dropped, never fatal.

use std::collections::HashMap;
use std::path::PathBuf;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::input::dates;
use crate::input::table::Table;
use crate::input::text::{Encoding, Source};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;

/// Why a row of the staff roster or the titles file was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollReason {
    /// The row has more or fewer fields than the header.
    MalformedRow,
    /// A required cell (`staff_id`, `title`) is empty.
    MissingValue,
    /// `unit_id` is not in the roster.
    UnknownUnit,
    /// `since` is not a date.
    BadDate,
    /// The staff id, or the unit's title, was already read.
    Duplicate,
}

impl RollReason {
    /// The reason code written in `staff_rejects.csv` / `title_rejects.csv`.
    pub fn code(self) -> &'static str {
        match self {
            RollReason::MalformedRow => "malformed_row",
            RollReason::MissingValue => "missing_value",
            RollReason::UnknownUnit => "unknown_unit",
            RollReason::BadDate => "bad_date",
            RollReason::Duplicate => "duplicate",
        }
    }
}

/// A rejected row of the staff roster or the titles file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollReject {
    /// The file, as the user named it.
    pub file: PathBuf,
    /// Source line (header = 1; the sheet's row number in a workbook).
    pub line: u64,
    /// The row's id as written (`staff_id`, or `unit_id` for a title), trimmed.
    pub id: String,
    /// Why.
    pub reason: RollReason,
    /// What was seen, and what to correct.
    pub detail: String,
}

/// One staff member (值班人员, 窗口工作人员).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    /// Id, as the complaints' `staff_id` column names the person.
    pub staff_id: String,
    /// Name.
    pub name: String,
    /// Index of the unit the person works in, in the roster.
    pub unit: usize,
}

/// The staff roster (`staff_id, name, unit_id`): who can be named by a complaint.
/// With it, staff with no complaint are listed too, and a complaint naming
/// someone not on it is rejected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRoster {
    /// Staff in file order.
    pub staff: Vec<StaffMember>,
    /// Rejected rows.
    pub rejects: Vec<RollReject>,
    /// Rows read (kept + rejected).
    pub rows: u64,
    /// The reader's note about the encoding or the sheet read, if any.
    pub note: Option<String>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl StaffRoster {
    /// Reads and judges a staff roster, CSV or workbook.
    ///
    /// ```
    /// use appraise::{Encoding, Source, judge::people::StaffRoster};
    /// let (plan, roster) = appraise::demo::campaign()?;
    /// let csv = format!("staff_id,name,unit_id\nS1,张三,{}\nS2,李四,NOPE\n", roster.units[0].id);
    /// let staff = StaffRoster::load(&Source::text("staff.csv", &csv), Encoding::Utf8, &plan, &roster)?;
    /// assert_eq!((staff.staff.len(), staff.rejects.len()), (1, 1));
    /// # Ok::<(), appraise::Error>(())
    /// ```
    pub fn load(source: &Source, encoding: Encoding, plan: &Plan, roster: &Roster) -> Result<StaffRoster> {
        let mut input = Table::open(source, encoding)?;
        let cols = input.require(&["staff_id", "name", "unit_id"], "staff roster")?;
        let mut out = StaffRoster {
            note: input.note.clone(),
            ..StaffRoster::default()
        };
        let path = input.path.clone();
        let width = input.header.len();
        let mut lines: Vec<u64> = Vec::new();
        let mut rec = csv::StringRecord::new();
        while let Some(line) = input.row(&mut rec)? {
            out.rows += 1;
            let get = |k: usize| rec.get(cols[k]).unwrap_or("").trim();
            let id = plan.fold(get(0)).trim().to_string();
            let mut reject = |reason, detail: String| {
                out.rejects.push(RollReject {
                    file: path.clone(),
                    line,
                    id: get(0).to_string(),
                    reason,
                    detail,
                })
            };
            if rec.len() != width {
                reject(
                    RollReason::MalformedRow,
                    format!("{} fields, header has {width}; fix the row", rec.len()),
                );
                continue;
            }
            if id.is_empty() {
                reject(
                    RollReason::MissingValue,
                    "empty staff_id; every staff member needs an id".into(),
                );
                continue;
            }
            let Some(unit) = unit_of(plan, roster, get(2)) else {
                reject(RollReason::UnknownUnit, unknown_unit(roster, get(2)));
                continue;
            };
            if let Some(&first) = out.index.get(&id) {
                reject(
                    RollReason::Duplicate,
                    format!(
                        "staff_id {id} already read on line {}; staff ids must be unique",
                        lines[first]
                    ),
                );
                continue;
            }
            out.index.insert(id.clone(), out.staff.len());
            lines.push(line);
            out.staff.push(StaffMember {
                staff_id: id,
                name: get(1).to_string(),
                unit,
            });
        }
        Ok(out)
    }

    /// The index of the staff member with this id (as written or width-folded).
    pub fn index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }
}

/// A title a unit holds (群众满意基层站所, 文明窗口), with the day it was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Title {
    /// Index of the unit in the roster.
    pub unit: usize,
    /// The title, as written.
    pub title: String,
    /// When it was given (blank in the file: not known).
    pub since: Option<Date>,
}

/// The titles held before the campaign (`unit_id, title, since`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Titles {
    /// Titles in file order.
    pub titles: Vec<Title>,
    /// Rejected rows.
    pub rejects: Vec<RollReject>,
    /// Rows read (kept + rejected).
    pub rows: u64,
    /// The reader's note about the encoding or the sheet read, if any.
    pub note: Option<String>,
}

impl Titles {
    /// Reads and judges a titles file, CSV or workbook.
    ///
    /// ```
    /// use appraise::{Encoding, Source, judge::people::Titles};
    /// let (plan, roster) = appraise::demo::campaign()?;
    /// let csv = format!("unit_id,title,since\n{},群众满意基层站所,2009年12月30日\n", roster.units[0].id);
    /// let t = Titles::load(&Source::text("titles.csv", &csv), Encoding::Utf8, &plan, &roster)?;
    /// assert_eq!(t.titles[0].since.map(|d| d.to_string()).as_deref(), Some("2009-12-30"));
    /// # Ok::<(), appraise::Error>(())
    /// ```
    pub fn load(source: &Source, encoding: Encoding, plan: &Plan, roster: &Roster) -> Result<Titles> {
        let mut input = Table::open(source, encoding)?;
        let cols = input.require(&["unit_id", "title", "since"], "titles file")?;
        let mut out = Titles {
            note: input.note.clone(),
            ..Titles::default()
        };
        let path = input.path.clone();
        let width = input.header.len();
        let mut seen: HashMap<(usize, String), u64> = HashMap::new();
        let mut rec = csv::StringRecord::new();
        while let Some(line) = input.row(&mut rec)? {
            out.rows += 1;
            let get = |k: usize| rec.get(cols[k]).unwrap_or("").trim();
            let mut reject = |reason, detail: String| {
                out.rejects.push(RollReject {
                    file: path.clone(),
                    line,
                    id: get(0).to_string(),
                    reason,
                    detail,
                })
            };
            if rec.len() != width {
                reject(
                    RollReason::MalformedRow,
                    format!("{} fields, header has {width}; fix the row", rec.len()),
                );
                continue;
            }
            let Some(unit) = unit_of(plan, roster, get(0)) else {
                reject(RollReason::UnknownUnit, unknown_unit(roster, get(0)));
                continue;
            };
            let title = get(1).to_string();
            if title.is_empty() {
                reject(
                    RollReason::MissingValue,
                    "empty title; name the title the unit holds".into(),
                );
                continue;
            }
            let since = match get(2) {
                "" => None,
                s => match dates::parse_date(s) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        reject(RollReason::BadDate, e.to_string());
                        continue;
                    }
                },
            };
            if let Some(first) = seen.get(&(unit, title.clone())) {
                reject(
                    RollReason::Duplicate,
                    format!(
                        "unit {} already holds `{title}` (line {first}); list each title once",
                        get(0)
                    ),
                );
                continue;
            }
            seen.insert((unit, title.clone()), line);
            out.titles.push(Title { unit, title, since });
        }
        Ok(out)
    }
}

/// The roster unit a `unit_id` cell names: as written, else width-folded.
fn unit_of(plan: &Plan, roster: &Roster, id: &str) -> Option<usize> {
    roster.index(id).or_else(|| roster.index(&plan.fold(id)))
}

/// The detail of an `unknown_unit` reject, naming the unit when the cell holds
/// its name instead of its id.
fn unknown_unit(roster: &Roster, cell: &str) -> String {
    match roster.units.iter().find(|u| !cell.is_empty() && u.name.trim() == cell) {
        Some(u) => format!("{cell}; is the name of unit {}: write its unit_id", u.id),
        None if cell.is_empty() => "empty unit_id; name the roster unit".into(),
        None => format!("{cell}; not in the roster"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-item survey, a plan on it and a two-unit roster (`A` named 甲所, `B`).
    pub(crate) fn campaign() -> (Plan, Roster) {
        let survey = crate::rules::schema::Survey::from_yaml(
            "id: s\nscales:\n  s:\n    options:\n      - {code: \"1\", score: 100}\n      - {code: \"2\", score: 0}\ndimensions: [{id: d}]\nitems:\n  - {id: q, dimension: d, scale: s, zh: q}\n",
            std::path::Path::new("s.yaml"),
        )
        .unwrap();
        let plan = Plan::from_yaml(
            "id: p\nsurvey: s.yaml\nperiod: {start: 2020-01-01, end: 2020-12-31}\ngroups: [{id: g, public: true}]\n",
            std::path::Path::new("p.yaml"),
            survey,
        )
        .unwrap();
        let roster = Roster::read_from(
            &Source::text("r.csv", "unit_id,name,department,kind\nA,甲所,d,k\nB,乙所,d,k\n"),
            Encoding::Utf8,
        )
        .unwrap();
        (plan, roster)
    }

    #[test]
    fn staff_rows_are_kept_or_rejected_with_reasons() {
        let (plan, roster) = campaign();
        let u = &roster.units[0];
        let csv = format!(
            "staff_id,name,unit_id\nS1,张三,{0}\n,无名,{0}\nS2,李四,NOPE\nS1,重复,{0}\nS3,王五,{1}\nS4,x\nＳ5,全角,{0}\n",
            u.id, u.name
        );
        let s = StaffRoster::load(&Source::text("staff.csv", &csv), Encoding::Utf8, &plan, &roster).unwrap();
        // 7 rows = 2 kept (S1, S5 folded) + 5 rejected: counts reconcile.
        assert_eq!(s.rows, 7);
        assert_eq!(s.staff.len() + s.rejects.len(), 7);
        let reasons: Vec<(u64, &str)> = s.rejects.iter().map(|r| (r.line, r.reason.code())).collect();
        assert_eq!(
            reasons,
            [
                (3, "missing_value"),
                (4, "unknown_unit"),
                (5, "duplicate"),
                (6, "unknown_unit"),
                (7, "malformed_row")
            ]
        );
        assert!(
            s.rejects[3].detail.contains("is the name of unit"),
            "{:?}",
            s.rejects[3]
        );
        assert_eq!(s.index("S5"), Some(1));
    }

    #[test]
    fn title_rows_are_kept_or_rejected_with_reasons() {
        let (plan, roster) = campaign();
        let u = &roster.units[0].id;
        let csv = format!(
            "unit_id,title,since\n{u},满意站所,2009/12/30\n{u},满意站所,2009-12-30\n{u},,2009-12-30\nNOPE,满意站所,\n{u},文明窗口,5/3/2009\n{u},文明窗口,\n"
        );
        let t = Titles::load(&Source::text("titles.csv", &csv), Encoding::Utf8, &plan, &roster).unwrap();
        assert_eq!(t.rows, 6);
        assert_eq!(t.titles.len(), 2);
        assert_eq!(t.titles[1].since, None);
        let reasons: Vec<&str> = t.rejects.iter().map(|r| r.reason.code()).collect();
        assert_eq!(reasons, ["duplicate", "missing_value", "unknown_unit", "bad_date"]);
        assert!(t.rejects[3].detail.contains("ambiguous"), "{}", t.rejects[3].detail);
    }
}
