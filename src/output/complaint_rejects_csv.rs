//! `complaint_rejects.csv`: every rejected complaint with its reason.

use crate::cell::{csv_bytes, safe_cell};
use crate::error::Result;
use crate::score::outcome::Outcome;

/// `complaint_rejects.csv`: `row, complaint_id, reason, detail`.
pub fn complaint_rejects_csv(outcome: &Outcome) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        w.write_record(["row", "complaint_id", "reason", "detail"])?;
        for r in &outcome.complaints.rejects {
            w.write_record([
                r.row.to_string(),
                safe_cell(&r.complaint_id),
                r.reason.code().into(),
                safe_cell(&r.detail),
            ])?;
        }
        Ok(())
    })
}
