//! The shipped demo campaign, embedded in the library: the real 300-unit roster of
//! 蔡甸区's 2010 群众满意基层站所 campaign (`surveys/examples/caidian-2010.roster.csv`)
//! with the campaign's survey and plan (`surveys/caidian-2010.*.yaml`), and ballots
//! and complaints made by the simulator:
//!
//! ```text
//! appraise simulate --plan surveys/caidian-2010.plan.yaml \
//!     --roster surveys/examples/caidian-2010.roster.csv \
//!     --out surveys/examples/caidian-2010 --seed 2010
//! ```
//!
//! A test regenerates them and checks that the committed files are unchanged.

use std::path::Path;

use crate::campaign::Options;
use crate::error::Result;
use crate::input::text::{Encoding, Source};
use crate::judge::complaints::Complaints;
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::rules::schema::Survey;
use crate::score::outcome::Outcome;

/// `surveys/caidian-2010.plan.yaml`.
pub const PLAN: &str = include_str!("../surveys/caidian-2010.plan.yaml");
/// `surveys/caidian-2010.survey.yaml`.
pub const SURVEY: &str = include_str!("../surveys/caidian-2010.survey.yaml");
/// `surveys/examples/caidian-2010.roster.csv`: the real roster.
pub const ROSTER: &str = include_str!("../surveys/examples/caidian-2010.roster.csv");
/// `surveys/examples/caidian-2010/ballots.csv` (simulated).
pub const BALLOTS: &str = include_str!("../surveys/examples/caidian-2010/ballots.csv");
/// `surveys/examples/caidian-2010/complaints.csv` (simulated).
pub const COMPLAINTS: &str = include_str!("../surveys/examples/caidian-2010/complaints.csv");

/// The seed the demo ballots and complaints were simulated with.
pub const SEED: u64 = 2010;

/// The demo plan (with its survey) and roster.
pub fn campaign() -> Result<(Plan, Roster)> {
    let survey = Survey::from_yaml(SURVEY, Path::new("surveys/caidian-2010.survey.yaml"))?;
    let plan = Plan::from_yaml(PLAN, Path::new("surveys/caidian-2010.plan.yaml"), survey)?;
    let roster = Roster::read_from(
        &Source::text("surveys/examples/caidian-2010.roster.csv", ROSTER),
        Encoding::Utf8,
    )?;
    Ok((plan, roster))
}

/// The demo ballots and complaints as sources.
pub fn sources() -> (Source, Source) {
    (
        Source::text("surveys/examples/caidian-2010/ballots.csv", BALLOTS),
        Source::text("surveys/examples/caidian-2010/complaints.csv", COMPLAINTS),
    )
}

/// Scores the demo campaign.
pub fn run(plan: &Plan, roster: &Roster) -> Result<Outcome> {
    let (ballots, complaints) = sources();
    let c = Complaints::load(&complaints, Encoding::Utf8, plan, roster)?;
    let (tally, rejects, files) =
        crate::count::read::tally_files(plan, roster, &[ballots], Encoding::Utf8, &mut |_| {})?;
    crate::score::evaluate::evaluate(plan, roster, tally, rejects, files, c, Options::default().settings())
}
