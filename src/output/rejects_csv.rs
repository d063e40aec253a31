//! `rejects.csv`: every rejected ballot with its reason.

use crate::count::shard::rejects_table;
use crate::error::Result;
use crate::score::outcome::Outcome;

/// `rejects.csv`: `row, ballot_id, reason, detail, file` (the ballot file the row
/// is in, as named on the command line). A ballot id or detail longer than
/// [`crate::cell::SHOWN_CHARS`] characters is shortened with its length noted
/// (as in the rejects file beside a tally shard: both are [`rejects_table`]).
pub fn rejects_csv(outcome: &Outcome) -> Result<Vec<u8>> {
    rejects_table(&outcome.rejects, &outcome.files)
}
