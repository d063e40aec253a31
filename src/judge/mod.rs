//! Stage 3, judge: each ballot row is valid or a reject with its reason
//! ([`ballots::Validator`], SPEC §5); each complaint counts or is rejected
//! ([`complaints`], SPEC §8); each panel candidate is kept or rejected
//! ([`candidates`], SPEC §13). Rejects are data, not errors.

pub mod ballots;
pub mod candidates;
pub mod complaints;
pub(crate) mod keys;
pub mod ledgers;
pub mod partitions;
pub mod people;
pub mod record;
pub mod rejects;
