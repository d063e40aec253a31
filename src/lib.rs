//! `appraise` scores satisfaction surveys and democratic appraisals of
//! public-service units (民主评议政风行风, 群众满意基层站所, 三满意, 窗口好差评).
//!
//! An appraisal office describes its questionnaire in a [`Survey`] and its rules in
//! a [`Plan`] (both YAML), lists the units in a [`Roster`], collects ballots and
//! complaints, and gets ranked results it can defend in public: every rejected
//! ballot is written out with its reason, the accounting closes (ballots read =
//! valid + rejected), and the same inputs always give byte-identical outputs.
//!
//! The modules follow the pipeline, one folder per stage, each using only the
//! stages before it: [`input`] (text, CSV, workbooks) → [`rules`] (survey, plan, roster) →
//! [`judge`] (each ballot valid or a reject; complaints) → [`count`] (the tally) →
//! [`score`] (scores, statuses, ranks, intervals, flags, the attention list) → [`output`] (the files).
//! [`campaign`] runs the whole pipeline on files; [`collector::Collector`] runs it
//! on batches that arrive over time; [`draw`] draws rater panels with a proof anyone
//! can check. The numbers are defined in `SPEC.md`.
//!
//! # Example: files in, results out
//!
//! Score the shipped demo campaign (the real 300-unit roster of 蔡甸区 2010 with
//! simulated ballots) and look at the top of the list:
//!
//! ```
//! # fn main() -> appraise::Result<()> {
//! let (plan, roster) = appraise::demo::campaign()?;
//! let outcome = appraise::demo::run(&plan, &roster)?;
//!
//! // The accounting always closes.
//! let a = &outcome.accounting;
//! assert_eq!(a.read, a.valid + a.rejected);
//!
//! // Owned per-unit results with ids: the rows of results.csv.
//! let results = outcome.results(&plan, &roster);
//! let first = results.iter().find(|r| r.rank == Some(1)).expect("a first unit");
//! println!("{} ({}) is first with {:?}", first.name, first.unit_id, first.final_published);
//! # Ok(()) }
//! ```
//!
//! To score your own files, load them and call [`campaign::run`]:
//!
//! ```no_run
//! # fn main() -> appraise::Result<()> {
//! use appraise::{Encoding, Plan, Roster, Source};
//! let plan = Plan::load("surveys/caidian-2010.plan.yaml".as_ref())?;
//! let roster = Roster::load("units.csv".as_ref(), Encoding::Auto)?;
//! let ballots = [Source::file("ballots.csv")];
//! let outcome = appraise::campaign::run(
//!     &plan, &roster, &ballots, None, &Default::default(), &mut |_rows| {},
//! )?;
//! let files = appraise::output::render_all(&plan, &roster, &outcome)?;
//! appraise::files::write_atomic("out".as_ref(), &files)?;
//! # Ok(()) }
//! ```
//!
//! # Example: ballots as data
//!
//! A program that receives ballots as data (a web form, JSON) builds
//! [`judge::record::Ballot`]s and pushes them into a [`collector::Collector`]; they
//! are judged exactly like CSV rows with the same text, and duplicates are caught
//! across batches. `examples/` has complete programs (`score_json`, `collector`,
//! `plan_in_code`).
//!
//! ```
//! use std::sync::Arc;
//! use appraise::{collector::Collector, judge::record::Ballot};
//! # fn main() -> appraise::Result<()> {
//! let (plan, roster) = appraise::demo::campaign()?;
//! let mut c = Collector::new(Arc::new(plan), Arc::new(roster))?;
//! c.push("web", [Ballot::new("B1", "U001", "R1", "public").answer("nope", "1")])?;
//! assert_eq!(c.outcome()?.rejects.to_vec()?[0].reason.code(), "malformed_row");
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! - `parquet` (default): Parquet ballots, tally shards and keys files, and
//!   [`collector::Collector`]'s `save`/`load` (polars).
//! - `cli` (default): the `appraise` command (clap, indicatif; brings `parquet`).
//!
//! With `default-features = false` the library scores CSV and typed input with no
//! polars, clap or indicatif in the build.

#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod cell;
pub mod error;
pub mod files;
pub mod num;
pub(crate) mod par;

pub mod count;
pub mod input;
pub mod judge;
pub mod output;
pub mod rules;
pub mod score;

pub mod campaign;
pub mod collector;
pub mod demo;
pub mod draw;
pub mod simulate;

pub use error::{Error, ErrorKind, Position, Result};
pub use input::text::{Encoding, Source};
pub use rules::plan::Plan;
pub use rules::roster::Roster;
pub use rules::schema::Survey;
pub use score::outcome::Outcome;
