//! Earlier periods of a recurring campaign: SPEC §9's consecutive-period rule
//! (后三 two months running → 黄牌 / 约谈).
//!
//! The plan says `ranking: {consecutive: {periods: 2, side: bottom, zh: 黄牌}}`; the
//! earlier periods are the `results.csv` files their runs wrote
//! (`appraise score … --previous last/results.csv older/results.csv`), ordered by
//! the periods they carry, most recent first ([`order`]). A unit is
//! marked when it is on that side of the list (`top` or `bottom`, the 前N/后N flags)
//! in this period and in each of the `periods − 1` most recent earlier ones. A unit
//! missing from an earlier file (new this period, or renamed) was not on that side
//! then. With fewer earlier files than the rule needs, nobody can be marked and the
//! mark is left empty rather than guessed.

use std::collections::HashSet;

use crate::error::{Error, Position, Result};
use jiff::civil::Date;

use crate::input::table::Table;
use crate::input::text::{Encoding, Source};
use crate::rules::plan::{Consecutive, Period as PlanPeriod, Side};
use crate::score::outcome::Outcome;

/// The units on one side of the list in one earlier period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Period {
    /// The file it was read from.
    pub path: String,
    /// The period its run was for (`period_start`, `period_end`), when the file
    /// carries it (every results.csv since SPEC §12 does).
    pub period: Option<(Date, Date)>,
    /// Every unit of the file.
    pub units: HashSet<String>,
    /// Units flagged `top` then.
    pub top: HashSet<String>,
    /// Units flagged `bottom` then.
    pub bottom: HashSet<String>,
}

impl Period {
    /// Reads the `unit_id`, `top`, `bottom`, `period_start` and `period_end`
    /// columns of an earlier `results.csv` (or a workbook sheet with them). A file
    /// without the period columns (written before they existed) is refused, naming
    /// the missing columns: its period cannot be checked.
    pub fn load(source: &Source, encoding: Encoding) -> Result<Period> {
        let path = source.path();
        let mut input = Table::open(source, encoding)?;
        let cols = input.require(&["unit_id", "top", "bottom"], "results file of an earlier period")?;
        let (ps, pe) = match (input.column("period_start"), input.column("period_end")) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                return Err(Error::input(
                    Position::line(path, 1),
                    "the earlier results file has no `period_start` and `period_end` columns, so its period cannot be checked; \
                     give the results.csv of a run by this version of appraise (score that period again), or add the two columns (YYYY-MM-DD)",
                ));
            }
        };
        let mut out = Period {
            path: path.display().to_string(),
            ..Period::default()
        };
        let mut rec = csv::StringRecord::new();
        while let Some(line) = input.row(&mut rec)? {
            let get = |k: usize| rec.get(k).unwrap_or("").trim();
            let flag = |k: usize, name: &str| match get(cols[k]) {
                "true" | "TRUE" => Ok(true),
                "false" | "FALSE" | "" => Ok(false),
                other => Err(Error::input(
                    Position::line(path, line).with_column(name),
                    format!("`{other}` is not true or false; give the results.csv that appraise wrote for that period"),
                )),
            };
            let (top, bottom) = (flag(1, "top")?, flag(2, "bottom")?);
            let date = |k: usize, name: &str| {
                crate::input::dates::parse_date(get(k))
                    .map_err(|e| Error::input(Position::line(path, line).with_column(name), e.to_string()))
            };
            let here = (date(ps, "period_start")?, date(pe, "period_end")?);
            match out.period {
                None => out.period = Some(here),
                Some(p) if p != here => {
                    return Err(Error::input(
                        Position::line(path, line).with_column("period_start"),
                        format!(
                            "the period {} – {} differs from {} – {} of the rows above; one results file holds one period",
                            here.0, here.1, p.0, p.1
                        ),
                    ));
                }
                Some(_) => {}
            }
            let unit = crate::cell::unsafe_cell(get(cols[0])).to_string();
            out.units.insert(unit.clone());
            if top {
                out.top.insert(unit.clone());
            }
            if bottom {
                out.bottom.insert(unit);
            }
        }
        Ok(out)
    }

    fn has(&self, side: Side, unit: &str) -> bool {
        match side {
            Side::Top => self.top.contains(unit),
            Side::Bottom => self.bottom.contains(unit),
        }
    }
}

/// Marks each unit of `outcome` under the rule (`None` for every unit when fewer
/// than `periods − 1` earlier periods are given), in roster order.
pub fn consecutive(rule: &Consecutive, ids: &[&str], outcome: &Outcome, earlier: &[Period]) -> Vec<Option<bool>> {
    let need = rule.periods.saturating_sub(1) as usize;
    if earlier.len() < need {
        return vec![None; outcome.units.len()];
    }
    outcome
        .units
        .iter()
        .map(|r| {
            let now = match rule.side {
                Side::Top => r.placing.top,
                Side::Bottom => r.placing.bottom,
            };
            let id = ids.get(r.unit).copied().unwrap_or_default();
            Some(now && earlier[..need].iter().all(|p| p.has(rule.side, id)))
        })
        .collect()
}

/// Checks earlier periods against this run and orders them most recent first
/// (latest `period_end`), whatever the order given (SPEC §12). Refused, naming the
/// file: a period not wholly before `current` (its end on or after the current
/// start), one that overlaps another earlier file's, and a file that shares no unit
/// with the roster (`ids`).
pub fn order(current: &PlanPeriod, ids: &[&str], mut earlier: Vec<Period>) -> Result<Vec<Period>> {
    for p in &earlier {
        let Some((start, end)) = p.period else {
            return Err(Error::input(
                Position::file(&p.path),
                "the file lists no unit, hence no period",
            ));
        };
        if end >= current.start {
            return Err(Error::input(
                Position::file(&p.path),
                format!(
                    "its period {start} – {end} is not wholly before this run's {} – {}; give results of earlier periods only (not this period's own results)",
                    current.start, current.end
                ),
            ));
        }
        if !ids.iter().any(|u| p.units.contains(*u)) {
            return Err(Error::input(
                Position::file(&p.path),
                "it shares no unit_id with the roster; give the results.csv of the same campaign",
            ));
        }
    }
    earlier.sort_by_key(|p| std::cmp::Reverse(p.period));
    for w in earlier.windows(2) {
        if let (Some(a), Some(b)) = (w[0].period, w[1].period)
            && b.1 >= a.0
        {
            return Err(Error::input(
                Position::file(&w[1].path),
                format!(
                    "its period {} – {} overlaps {} – {} of {}; give each earlier period once",
                    b.0, b.1, a.0, a.1, w[0].path
                ),
            ));
        }
    }
    Ok(earlier)
}
