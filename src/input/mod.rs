//! Stage 1, input: opening files as text (UTF-8, GBK with a note), CSV with true
//! line numbers, and the YAML helpers of the loaders. Nothing here knows what a
//! ballot or a plan is.

pub(crate) mod csvin;
pub mod text;
pub(crate) mod yaml;
