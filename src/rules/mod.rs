//! Stage 2, rules: the questionnaire ([`schema::Survey`]), the appraisal's rules
//! ([`plan::Plan`]) and the units appraised ([`roster::Roster`]), each validated
//! as a whole when loaded (SPEC §3, §11).

pub mod builder;
pub mod calendar;
pub mod components;
mod origin;
pub mod plan;
pub mod roster;
pub mod schema;
