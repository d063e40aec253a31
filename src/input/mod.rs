//! Stage 1, input: opening files as text (UTF-8, GBK with a note), CSV with true
//! line numbers, workbooks (`.xlsx`, `.xls`, `.ods`) as rows of text, one
//! `table::Table` over both, dates and full-width text as offices write them, and
//! the YAML helpers of the loaders. Nothing here knows what a ballot or a plan is.

pub(crate) mod csvin;
pub mod dates;
pub mod fold;
pub mod sheet;
pub mod table;
pub mod text;
pub(crate) mod yaml;
pub mod yaml_hint;
