//! Stage 5, score: from the tally and the complaints to scores (SPEC §7), the
//! panel rule (§6), statuses, final scores, grades and ranks (§9–§10), with how
//! sure each number is ([`stats`]) and data-quality flags ([`flags`]).
//!
//! Types shared by the files of this stage sit in [`result`] (one unit) and
//! [`outcome`] (the campaign); [`evaluate`] is the stage's entry point.

pub mod attention;
pub mod components;
pub mod evaluate;
pub mod flags;
pub mod history;
pub mod outcome;
pub mod panel;
pub mod people;
pub mod rank;
pub mod result;
pub mod rows;
pub mod stats;
pub mod unit;
