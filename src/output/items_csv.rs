//! `items.csv`: per unit and item, the mean, the rate and its interval.

use crate::cell::{csv_bytes, safe_cell};
use crate::error::Result;
use crate::num::full;
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;
use crate::score::stats;

/// `items.csv`: one row per unit × item with counts per option code (columns
/// `n_<code>` over the codes of the scales some item uses, in scale order, empty
/// where the item's scale lacks the code), blanks, scored and satisfied answers,
/// mean and rate.
pub fn items_csv(plan: &Plan, roster: &Roster, outcome: &Outcome) -> Result<Vec<u8>> {
    let s = &plan.survey;
    let mut used = vec![false; s.scales.len()];
    for it in &s.items {
        used[it.scale] = true;
    }
    let mut codes: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (sc, _) in s.scales.iter().zip(&used).filter(|(_, u)| **u) {
        for o in &sc.options {
            if seen.insert(o.code.as_str()) {
                codes.push(&o.code);
            }
        }
    }
    csv_bytes(|w| {
        let mut head: Vec<String> = ["unit_id", "item_id", "dimension"]
            .iter()
            .map(|x| x.to_string())
            .collect();
        head.extend(codes.iter().map(|c| safe_cell(&format!("n_{c}"))));
        head.extend(
            [
                "blank",
                "abstained",
                "scored",
                "satisfied",
                "mean",
                "rate",
                "rate_lo",
                "rate_hi",
            ]
            .iter()
            .map(|x| x.to_string()),
        );
        w.write_record(&head)?;
        for r in &outcome.units {
            for (i, it) in s.items.iter().enumerate() {
                let sc = &s.scales[it.scale];
                let st = &r.score.items[i];
                let wilson = stats::wilson(st.satisfied, st.scored, stats::LEVEL);
                let mut rec = vec![
                    safe_cell(&roster.units[r.unit].id),
                    it.id.clone(),
                    s.dimensions[it.dimension].id.clone(),
                ];
                rec.extend(codes.iter().map(|c| {
                    sc.option_index(c)
                        .map_or_else(String::new, |o| st.counts[o].to_string())
                }));
                rec.extend([
                    st.blank.to_string(),
                    st.abstained.to_string(),
                    st.scored.to_string(),
                    st.satisfied.to_string(),
                    full(st.mean),
                    full(st.rate),
                    full(wilson.map(|w| w.0)),
                    full(wilson.map(|w| w.1)),
                ]);
                w.write_record(&rec)?;
            }
        }
        Ok(())
    })
}
