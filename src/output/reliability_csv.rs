//! `reliability.csv`: Cronbach's alpha and item diagnostics per dimension.

use crate::cell::csv_bytes;
use crate::error::Result;
use crate::num::full;
use crate::rules::plan::Plan;
use crate::score::outcome::Outcome;

/// `reliability.csv`: per dimension a row with Cronbach's alpha (item empty), then
/// a row per item with its corrected item–total correlation and alpha if deleted;
/// `flag` says `alpha_below_0.7` or `deleting_raises_alpha`.
pub fn reliability_csv(plan: &Plan, outcome: &Outcome) -> Result<Vec<u8>> {
    let s = &plan.survey;
    csv_bytes(|w| {
        w.write_record([
            "dimension",
            "item",
            "n",
            "alpha",
            "item_total",
            "alpha_if_deleted",
            "flag",
        ])?;
        for (d, (dim, rel)) in s.dimensions.iter().zip(&outcome.reliability).enumerate() {
            let low = rel.alpha.is_some_and(|a| a < 0.7);
            w.write_record([
                dim.id.clone(),
                String::new(),
                rel.n.to_string(),
                full(rel.alpha),
                String::new(),
                String::new(),
                if low { "alpha_below_0.7".into() } else { String::new() },
            ])?;
            for (k, &i) in s.dimensions[d].items.iter().enumerate() {
                let raises = matches!((rel.alpha_if_deleted[k], rel.alpha), (Some(x), Some(a)) if x > a);
                w.write_record([
                    dim.id.clone(),
                    s.items[i].id.clone(),
                    rel.n.to_string(),
                    String::new(),
                    full(rel.item_total[k]),
                    full(rel.alpha_if_deleted[k]),
                    if raises {
                        "deleting_raises_alpha".into()
                    } else {
                        String::new()
                    },
                ])?;
            }
        }
        Ok(())
    })
}
