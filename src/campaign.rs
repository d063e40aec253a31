//! The whole pipeline in one place: ballots → tally → scores → complaints →
//! status → rank. Each stage is its own module; this one only wires them, so the
//! command line and an embedding program run exactly the same code.

use crate::count::read::read_all;
use crate::error::Result;
use crate::input::text::{Encoding, Source};
use crate::judge::complaints::Complaints;
use crate::judge::people::{StaffRoster, Titles};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;

// The stages' entry points, gathered here so that an embedding program finds the
// whole pipeline in one module.
pub use crate::count::read::{Format, check_only_repeated_ids, read_ballots, tally_files};
pub use crate::count::shard::{Merged, merge_tallies};
#[cfg(feature = "parquet")]
pub use crate::count::shard::{merge_tally_files, merge_tally_files_within};
pub use crate::judge::ledgers::{LedgerRecords, LedgerSources, Ledgers};
pub use crate::score::evaluate::{Settings, apply_history, check_plan_roster, evaluate, evaluate_with};
pub use crate::score::outcome::Outcome;
pub use crate::score::result::UnitResult;

/// What to run and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Encoding of the CSV inputs.
    pub encoding: Encoding,
    /// Fail when a unit breaks the panel rule instead of marking it.
    pub strict: bool,
    /// Format of the ballot files (default: by extension).
    pub format: Format,
    /// Score even when more than half of all ballot rows are rejected
    /// (`--accept-rejects`); otherwise such a run fails (SPEC §12).
    pub accept_rejects: bool,
    /// Threads the run may start (rank confidence sets): 0 or 1 keep the work on
    /// the calling thread. The command line passes the machine's cores.
    pub threads: usize,
    /// The staff roster and titles file of SPEC §15, if given.
    pub people: PeopleFiles,
    /// The ledger and assessment files of SPEC §14 (tickets, rectifications,
    /// commitments, assessments, holidays), each optional: read and judged by
    /// [`run`] when given, required when the plan's `components:` need them.
    pub ledgers: LedgerSources,
    /// The most memory the tally may take, in bytes (`--memory`); `None` is
    /// [`TALLY_BUDGET`](crate::count::tally::TALLY_BUDGET), 1 GiB. The tally is
    /// dense (units × items² second moments), so a roster of 100,000 windows
    /// needs more; a tally above the budget is refused before any row is read.
    pub memory: Option<u64>,
}

impl Options {
    /// The tally's memory budget: [`memory`](Self::memory) or 1 GiB.
    pub fn tally_budget(&self) -> u64 {
        self.memory.unwrap_or(crate::count::tally::TALLY_BUDGET)
    }
}

/// The inputs of the staff-points and title-review rules (SPEC §15), apart from
/// the ballots and complaints: each optional, each used only when the plan has
/// the rule (`staff:`, `titles:`).
#[derive(Clone, Debug, Default)]
pub struct PeopleFiles {
    /// Staff roster (`staff_id, name, unit_id`; `--staff`): lists staff with no
    /// complaint, and rejects complaints naming someone not on it.
    pub staff: Option<Source>,
    /// Titles held (`unit_id, title, since`; `--titles`): reviewed for 摘牌.
    pub titles: Option<Source>,
}

impl PeopleFiles {
    /// Reads the staff roster and the titles file given, refusing one the plan has
    /// no rule for (it would be silently ignored).
    pub fn load(
        &self,
        plan: &Plan,
        roster: &Roster,
        encoding: Encoding,
    ) -> Result<(Option<StaffRoster>, Option<Titles>)> {
        let refuse = |flag: &str, field: &str| -> crate::error::Error {
            crate::error::ErrorKind::Usage(format!(
                "{flag} was given but the plan has no `{field}:` rule (SPEC §15); add the rule to the plan or drop {flag}"
            ))
            .into()
        };
        let staff = match &self.staff {
            None => None,
            Some(_) if plan.staff.is_none() => return Err(refuse("--staff", "staff")),
            Some(s) => Some(StaffRoster::load(s, encoding, plan, roster)?),
        };
        let titles = match &self.titles {
            None => None,
            Some(_) if plan.titles.is_none() => return Err(refuse("--titles", "titles")),
            Some(s) => Some(Titles::load(s, encoding, plan, roster)?),
        };
        Ok((staff, titles))
    }
}

impl Options {
    /// The settings of the scoring stage.
    pub fn settings(&self) -> Settings {
        Settings::default().strict(self.strict).threads(self.threads)
    }
}

/// The whole run on files: ballots, optional complaints, the ledgers of
/// `options.ledgers` (SPEC §14), scores and ranks.
///
/// ```
/// use appraise::{Source, campaign};
/// let (plan, roster) = appraise::demo::campaign()?;
/// let ballots = [Source::text("ballots.csv", appraise::demo::BALLOTS)];
/// let outcome = campaign::run(&plan, &roster, &ballots, None, &Default::default(), &mut |_| {})?;
/// assert_eq!(outcome.accounting.read, outcome.accounting.valid + outcome.accounting.rejected);
/// # Ok::<(), appraise::Error>(())
/// ```
pub fn run(
    plan: &Plan,
    roster: &Roster,
    ballot_files: &[Source],
    complaints: Option<&Source>,
    options: &Options,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome> {
    check_plan_roster(plan, roster)?;
    let mut missing: Vec<_> = crate::score::attention::survey_outside(plan)
        .into_iter()
        .chain(crate::score::attention::no_complaints(plan, complaints.is_some()))
        .collect();
    missing.extend(crate::score::components::check_sources(plan, &options.ledgers)?);
    let (staff, titles) = options.people.load(plan, roster, options.encoding)?;
    let complaints = match complaints {
        Some(p) => Complaints::load_with_staff(p, options.encoding, plan, roster, staff.as_ref())?,
        None => Complaints::none(roster),
    };
    let ledgers = Ledgers::load(&options.ledgers, options.encoding, plan, roster)?;
    let (tally, rejects, files, mut validator) = read_all(
        plan,
        roster,
        ballot_files,
        options.encoding,
        options.format,
        options.tally_budget(),
        progress,
    )?;
    crate::score::attention::check_rejects(&tally, &rejects, options.accept_rejects)?;
    // The keys are no longer needed: free them before the rater count, so the peak
    // memory of a large run is that of reading it.
    let raters = validator.take_raters();
    drop(validator);
    let evaluate = || {
        evaluate_with(
            plan,
            roster,
            tally,
            rejects,
            files,
            complaints,
            ledgers,
            options.settings(),
        )
    };
    let spread = move || crate::score::flags::rater_spread_on(&raters, options.threads);
    // The rater count (partition by partition, from memory or the temporary file)
    // needs only the raters: with a second thread it runs beside the scoring.
    let (outcome, spread) = if options.threads > 1 {
        std::thread::scope(|s| {
            let spread = s.spawn(spread);
            let outcome = evaluate();
            (outcome, spread.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        })
    } else {
        (evaluate(), spread())
    };
    let mut outcome = outcome?;
    outcome.flags.extend(spread?);
    outcome.attention.splice(0..0, missing);
    apply_people(plan, &mut outcome, staff.as_ref(), titles.as_ref());
    Ok(outcome)
}

/// Staff points with the staff roster and the title review (SPEC §15) on an
/// outcome: what [`run`] does after scoring, for a caller that evaluated tallies
/// itself.
pub fn apply_people(plan: &Plan, outcome: &mut Outcome, staff: Option<&StaffRoster>, titles: Option<&Titles>) {
    let mut people = std::mem::take(&mut outcome.people);
    crate::score::people::apply(plan, &mut people, &outcome.units, &outcome.complaints, staff, titles);
    outcome.people = people;
}
