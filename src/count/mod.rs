//! Stage 4, count: ballot files (CSV or Parquet) read through the validator into a
//! [`tally::Tally`], the only thing scores are computed from; tally files
//! (shards) written, read back and merged exactly.

#[cfg(feature = "parquet")]
mod footer;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod read;
pub mod shard;
pub mod tally;
