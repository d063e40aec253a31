//! `rejects.csv`: every rejected ballot with its reason.

use crate::cell::shorten;
use crate::count::shard::rejects_table;
use crate::error::Result;
use crate::judge::ballots::Reject;
use crate::score::outcome::Outcome;

/// `rejects.csv`: `row, ballot_id, reason, detail, file` (the ballot file the row
/// is in, as named on the command line). A ballot id or detail longer than
/// [`crate::cell::SHOWN_CHARS`] characters is shortened with its length noted.
pub fn rejects_csv(outcome: &Outcome) -> Result<Vec<u8>> {
    let long = |r: &Reject| {
        matches!(shorten(&r.ballot_id), std::borrow::Cow::Owned(_))
            || matches!(shorten(&r.detail), std::borrow::Cow::Owned(_))
    };
    if !outcome.rejects.iter().any(long) {
        return rejects_table(&outcome.rejects, &outcome.files);
    }
    let short: Vec<Reject> = outcome
        .rejects
        .iter()
        .map(|r| Reject {
            ballot_id: shorten(&r.ballot_id).into_owned(),
            detail: shorten(&r.detail).into_owned(),
            ..r.clone()
        })
        .collect();
    rejects_table(&short, &outcome.files)
}
