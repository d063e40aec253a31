//! Earlier periods of a recurring campaign: SPEC §9's consecutive-period rule
//! (后三 two months running → 黄牌 / 约谈).
//!
//! The plan says `ranking: {consecutive: {periods: 2, side: bottom, zh: 黄牌}}`; the
//! earlier periods are the `results.csv` files their runs wrote, most recent first
//! (`appraise score … --previous last/results.csv older/results.csv`). A unit is
//! marked when it is on that side of the list (`top` or `bottom`, the 前N/后N flags)
//! in this period and in each of the `periods − 1` most recent earlier ones. A unit
//! missing from an earlier file (new this period, or renamed) was not on that side
//! then. With fewer earlier files than the rule needs, nobody can be marked and the
//! mark is left empty rather than guessed.

use std::collections::HashSet;

use crate::error::{Error, Position, Result};
use crate::input::csvin;
use crate::input::text::{Encoding, Source};
use crate::rules::plan::{Consecutive, Side};
use crate::score::outcome::Outcome;

/// The units on one side of the list in one earlier period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Period {
    /// The file it was read from.
    pub path: String,
    /// Units flagged `top` then.
    pub top: HashSet<String>,
    /// Units flagged `bottom` then.
    pub bottom: HashSet<String>,
}

impl Period {
    /// Reads the `unit_id`, `top` and `bottom` columns of an earlier `results.csv`.
    pub fn load(source: &Source, encoding: Encoding) -> Result<Period> {
        let path = source.path();
        let mut input = csvin::from_text(path, source.open(encoding)?)?;
        let cols = input.require(&["unit_id", "top", "bottom"], "results file of an earlier period")?;
        let mut out = Period {
            path: path.display().to_string(),
            ..Period::default()
        };
        let mut rec = csv::StringRecord::new();
        while input.next_row(&mut rec)? {
            let get = |k: usize| rec.get(cols[k]).unwrap_or("").trim();
            let flag = |k: usize, name: &str| match get(k) {
                "true" => Ok(true),
                "false" | "" => Ok(false),
                other => Err(Error::input(
                    Position::line(path, csvin::line_of(&rec)).with_column(name),
                    format!("`{other}` is not true or false; give the results.csv that appraise wrote for that period"),
                )),
            };
            let (top, bottom) = (flag(1, "top")?, flag(2, "bottom")?);
            let unit = crate::cell::unsafe_cell(get(0)).to_string();
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
