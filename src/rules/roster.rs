//! The units under appraisal (被评单位): `unit_id, name, department, kind`, an
//! optional `issued` (ballots handed out) and any other columns, kept as they are.
//!
//! The roster is small and everything downstream hangs on it, so any bad row is an
//! error that names the line: a repeated or empty unit id, or an `issued` that is
//! not a whole number ≥ 0. A blank `issued` cell means "not recorded" for that unit.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Position, Result};
use crate::input::table::Table;
use crate::input::text::{Encoding, Source};

/// One unit under appraisal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unit {
    /// Id, as ballots and complaints name it.
    pub id: String,
    /// Name, e.g. 城区供电所.
    pub name: String,
    /// Department (主管部门).
    pub department: String,
    /// Kind, e.g. 站所, 科室, 窗口.
    pub kind: String,
    /// Ballots handed out, when the roster records it.
    pub issued: Option<u64>,
    /// Values of the extra columns, in [`Roster::extra_columns`] order.
    pub extra: Vec<String>,
}

/// The validated roster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Roster {
    /// Units in file order.
    pub units: Vec<Unit>,
    /// Names of the columns beyond the known ones, in file order.
    pub extra_columns: Vec<String>,
    /// Whether the file has an `issued` column.
    pub has_issued: bool,
    /// How the file was decoded, when not as plain UTF-8 or as the user chose
    /// (a detected GBK, stray invalid bytes replaced): the command prints it and
    /// the attention list repeats it, since a wrong guess garbles every name.
    #[serde(skip)]
    pub note: Option<String>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

const REQUIRED: [&str; 4] = ["unit_id", "name", "department", "kind"];

impl Roster {
    /// Reads and validates a roster file: CSV, or a workbook's first sheet.
    pub fn load(path: &Path, encoding: Encoding) -> Result<Roster> {
        Roster::read_from(&Source::file(path), encoding)
    }

    /// Reads and validates a roster from a file (CSV or workbook) or from text.
    ///
    /// ```
    /// use appraise::{Encoding, Roster, Source};
    /// let csv = "unit_id,name,department,kind\nW1,1号窗口,政务服务中心,窗口\n";
    /// let roster = Roster::read_from(&Source::text("units.csv", csv), Encoding::Utf8)?;
    /// assert_eq!(roster.index("W1"), Some(0));
    /// # Ok::<(), appraise::Error>(())
    /// ```
    pub fn read_from(source: &Source, encoding: Encoding) -> Result<Roster> {
        Roster::read(Table::open(source, encoding)?)
    }

    /// Builds a roster from units (for tests and embedding); ids must be unique.
    pub fn from_units(units: Vec<Unit>) -> Result<Roster> {
        let mut roster = Roster {
            has_issued: units.iter().any(|u| u.issued.is_some()),
            ..Roster::default()
        };
        for (k, u) in units.into_iter().enumerate() {
            if roster.index.insert(u.id.clone(), k).is_some() {
                return Err(Error::input(
                    Position::file("<roster>"),
                    format!("unit `{}` is listed twice", u.id),
                ));
            }
            roster.units.push(u);
        }
        Ok(roster)
    }

    fn read(mut input: Table) -> Result<Roster> {
        let cols = input.require(&REQUIRED, "roster")?;
        let issued_col = input.column("issued");
        let extra: Vec<usize> = (0..input.header.len())
            .filter(|k| !cols.contains(k) && Some(*k) != issued_col)
            .collect();
        let mut roster = Roster {
            extra_columns: extra.iter().map(|&k| input.header[k].clone()).collect(),
            has_issued: issued_col.is_some(),
            note: input.decoding.clone(),
            ..Roster::default()
        };
        let mut lines: Vec<u64> = Vec::new();
        let mut rec = csv::StringRecord::new();
        let width = input.header.len();
        while let Some(line) = input.row(&mut rec)? {
            if rec.iter().all(|f| f.trim().is_empty()) {
                continue; // a blank line, as spreadsheets leave at the end
            }
            if rec.len() != width {
                return Err(Error::input(
                    Position::line(&input.path, line),
                    format!(
                        "the row has {} fields but the header has {width}; fix the row",
                        rec.len()
                    ),
                ));
            }
            let get = |k: usize| rec.get(k).unwrap_or("").trim().to_string();
            let id = get(cols[0]);
            if id.is_empty() {
                return Err(Error::input(
                    Position::line(&input.path, line).with_column("unit_id"),
                    "empty unit_id; every unit needs an id",
                ));
            }
            if let Some(&first) = roster.index.get(&id) {
                return Err(Error::input(
                    Position::line(&input.path, line).with_column("unit_id"),
                    format!(
                        "unit `{id}` is listed twice (first on line {}); unit ids must be unique",
                        lines[first]
                    ),
                ));
            }
            let issued = match issued_col.map(get) {
                None => None,
                Some(s) if s.is_empty() => None,
                Some(s) => match s.parse::<u64>() {
                    Ok(n) if s.bytes().all(|b| b.is_ascii_digit()) => Some(n),
                    _ => {
                        return Err(Error::input(
                            Position::line(&input.path, line).with_column("issued"),
                            format!("`{s}` for unit `{id}` is not a whole number ≥ 0 of ballots issued"),
                        ));
                    }
                },
            };
            roster.index.insert(id.clone(), roster.units.len());
            lines.push(line);
            roster.units.push(Unit {
                id,
                name: get(cols[1]),
                department: get(cols[2]),
                kind: get(cols[3]),
                issued,
                extra: extra.iter().map(|&k| get(k)).collect(),
            });
        }
        if roster.units.is_empty() {
            return Err(Error::input(Position::file(&input.path), "the roster lists no unit"));
        }
        Ok(roster)
    }

    /// The index of the unit with this id.
    #[inline]
    pub fn index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether the roster has no unit.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(s: &str) -> Result<Roster> {
        Roster::read_from(&Source::text("r.csv", s), Encoding::Auto)
    }

    #[test]
    fn reads_trims_and_keeps_extra_columns() {
        let r =
            load("unit_id,name,department,kind,issued,town\r\n U1 ,甲所,供电,站所,40,索河\r\nU2,乙所,供电,站所, ,\r\n")
                .unwrap();
        assert_eq!(r.units[0].id, "U1");
        assert_eq!(r.units[0].issued, Some(40));
        assert_eq!(r.units[1].issued, None);
        assert_eq!(r.extra_columns, vec!["town"]);
        assert_eq!(r.units[0].extra, vec!["索河"]);
        assert_eq!(r.index("U2"), Some(1));
    }

    #[test]
    fn bad_rows_name_their_line() {
        let e = load("unit_id,name,department,kind\nU1,a,b,c\nU1,d,e,f\n").unwrap_err();
        assert_eq!(e.position().unwrap().line, Some(3));
        assert!(e.to_string().contains("first on line 2"), "{e}");
        let e = load("unit_id,name,department,kind,issued\nU1,a,b,c,4.5\n").unwrap_err();
        assert!(
            e.to_string().contains("`4.5` for unit `U1` is not a whole number"),
            "{e}"
        );
        let e = load("unit_id,name,department,kind\n ,a,b,c\n").unwrap_err();
        assert!(e.to_string().contains("empty unit_id"), "{e}");
        let e = load("unit_id,name,kind\nU1,a,c\n").unwrap_err();
        assert!(e.to_string().contains("no `department` column"), "{e}");
    }
}
