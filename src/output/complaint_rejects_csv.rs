//! `complaint_rejects.csv`: every rejected complaint with its reason.

use crate::cell::{csv_bytes, safe_cell, shorten};
use crate::error::Result;
use crate::score::outcome::Outcome;

/// `complaint_rejects.csv`: `row, complaint_id, reason, detail` (ids and details
/// longer than [`crate::cell::SHOWN_CHARS`] shortened, their length noted).
pub fn complaint_rejects_csv(outcome: &Outcome) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        w.write_record(["row", "complaint_id", "reason", "detail"])?;
        for r in &outcome.complaints.rejects {
            w.write_record([
                r.row.to_string(),
                safe_cell(&shorten(&r.complaint_id)),
                r.reason.code().into(),
                safe_cell(&shorten(&r.detail)),
            ])?;
        }
        Ok(())
    })
}
