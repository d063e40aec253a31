//! `appraise` scores satisfaction surveys and democratic appraisals of
//! public-service units (民主评议政风行风, 群众满意基层站所, 三满意, 窗口好差评).
//!
//! An appraisal office describes its questionnaire in a [`Survey`] and its rules in
//! a [`Plan`] (both YAML), lists the units in a [`Roster`], collects ballots and
//! complaints, and gets ranked results it can defend in public: every rejected
//! ballot is written out with its reason, the accounting closes (ballots read =
//! valid + rejected), and the same inputs always give byte-identical outputs.
//!
//! The pipeline mirrors the stage folders: [`input`] (files, CSV and workbooks as
//! rows) → [`rules`] (survey, plan, roster) → [`judge`] (ballots and complaints) →
//! [`count`] (tally) → [`score`] (scores, ranks, the attention list) → [`output`];
//! [`campaign`] wires them and is what the `appraise` command runs. The numbers are
//! defined in `SPEC.md`; the README says where the spec leaves a choice and what
//! was chosen.
//!
//! # Example
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
//! // The unit listed first has rank 1.
//! let first = outcome.listing()[0];
//! assert_eq!(outcome.units[first].placing.rank, Some(1));
//! println!("{} is first", roster.units[first].name);
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

#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod cell;
pub mod error;
pub mod files;
pub mod num;

pub mod count;
pub mod input;
pub mod judge;
pub mod output;
pub mod rules;
pub mod score;

pub mod campaign;
pub mod demo;
pub mod simulate;

pub use error::{Error, ErrorKind, Position, Result};
pub use input::text::{Encoding, Source};
pub use rules::plan::Plan;
pub use rules::roster::Roster;
pub use rules::schema::Survey;
pub use score::outcome::Outcome;
