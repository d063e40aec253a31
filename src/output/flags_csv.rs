//! `flags.csv`: data-quality flags.

use crate::cell::{csv_bytes, safe_cell};
use crate::error::Result;
use crate::num::full;
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;

/// `flags.csv`: data-quality flags, reported and never applied (see
/// [`crate::score::flags`]): `unit_id, rater_id, kind, observed, expected, unusual,
/// detail` (a flag is about a unit or about a rater; the other cell is empty).
pub fn flags_csv(roster: &Roster, outcome: &Outcome) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        w.write_record([
            "unit_id", "rater_id", "kind", "observed", "expected", "unusual", "detail",
        ])?;
        for f in &outcome.flags {
            w.write_record([
                f.unit.map_or_else(String::new, |u| safe_cell(&roster.units[u].id)),
                f.rater.as_deref().map_or_else(String::new, safe_cell),
                f.kind.to_string(),
                full(Some(f.observed)),
                full(Some(f.expected)),
                full(Some(f.unusual)),
                safe_cell(&f.detail),
            ])?;
        }
        Ok(())
    })
}
