//! A campaign fed over time: batches of ballots arrive (a web form, a queue, a
//! day's files), and the results are wanted at any moment.
//!
//! [`Collector`] owns everything it needs — the plan and roster behind [`Arc`],
//! the keys of the valid ballots taken so far, the tally, the rejects — so it is
//! `Send` and can live in a server's state. A ballot is a duplicate of any earlier
//! one, whatever batch or file it came in: the keys are kept across batches, as a
//! single run over all the batches in arrival order would keep them. The outcome
//! at any moment is exactly that of [`campaign::run`](crate::campaign::run) over
//! the same ballots in the same order.
//!
//! With the `parquet` feature, [`Collector::save`] writes its state to a folder
//! (the tally and keys files of `appraise tally`, the rejects beside them, the
//! complaints as JSON) and [`Collector::load`] reads it back, so a restarted
//! server loses nothing.

use std::sync::Arc;

use crate::count::read::{Format, read_ballots, read_records};
use crate::count::tally::{Layout, Tally};
use crate::error::Result;
use crate::input::text::{Encoding, Source};
use crate::judge::ballots::{FileSummary, TakenKeys, Validator};
use crate::judge::complaints::Complaints;
use crate::judge::ledgers::Ledgers;
use crate::judge::partitions::RaterLog;
use crate::judge::record::Ballot;
use crate::judge::rejects::Rejects;
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::score::evaluate::{Settings, check_plan_roster, evaluate_with};
use crate::score::flags::rater_spread;
use crate::score::outcome::Outcome;

/// An owned, growing campaign: push batches, ask for the outcome at any time.
///
/// ```
/// use std::sync::Arc;
/// use appraise::collector::Collector;
/// use appraise::judge::record::Ballot;
///
/// # fn main() -> appraise::Result<()> {
/// let (plan, roster) = appraise::demo::campaign()?;
/// let mut c = Collector::new(Arc::new(plan), Arc::new(roster))?;
/// let items: Vec<String> = c.plan().survey.items.iter().map(|i| i.id.clone()).collect();
/// let ballot = |id: &str, rater: &str| {
///     items.iter().fold(Ballot::new(id, "U001", rater, "public"), |b, i| b.answer(i.as_str(), "1"))
/// };
/// c.push("morning", [ballot("B1", "R1"), ballot("B2", "R2")])?;
/// c.push("evening", [ballot("B2", "R3")])?; // B2 again: a duplicate across batches
/// let outcome = c.outcome()?;
/// assert_eq!(outcome.accounting.read, 3);
/// let rejects = outcome.rejects.to_vec()?;
/// assert_eq!(rejects[0].reason.code(), "duplicate");
/// assert_eq!(rejects[0].file, 1); // the second batch
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Collector {
    plan: Arc<Plan>,
    roster: Arc<Roster>,
    keys: TakenKeys,
    tally: Tally,
    rejects: Rejects,
    files: Vec<FileSummary>,
    complaints: Complaints,
    ledgers: Ledgers,
    settings: Settings,
    /// The staff roster and titles of SPEC §15, if set (not saved by `save`).
    people: (
        Option<crate::judge::people::StaffRoster>,
        Option<crate::judge::people::Titles>,
    ),
}

impl Collector {
    /// An empty campaign under `plan` and `roster` (checked against each other as
    /// a run checks them).
    pub fn new(plan: Arc<Plan>, roster: Arc<Roster>) -> Result<Collector> {
        check_plan_roster(&plan, &roster)?;
        let tally = Tally::try_new(Layout::new(&plan, &roster))?;
        let complaints = Complaints::none(&roster);
        Ok(Collector {
            plan,
            roster,
            keys: TakenKeys::default(),
            tally,
            rejects: Rejects::new(),
            files: Vec::new(),
            complaints,
            ledgers: Ledgers::default(),
            settings: Settings::default(),
            people: (None, None),
        })
    }

    /// The collector with these scoring settings (`strict`, `threads`) for its
    /// outcomes.
    pub fn with_settings(mut self, settings: Settings) -> Collector {
        self.settings = settings;
        self
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The roster.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// Judges and counts a batch of typed ballots, named `name` in the file
    /// summaries; its rejects carry the batch's index among everything pushed
    /// (`file`) and each record's index in the batch (`row`). Returns the batch's
    /// summary.
    pub fn push<B: std::borrow::Borrow<Ballot>>(
        &mut self,
        name: &str,
        batch: impl IntoIterator<Item = B>,
    ) -> Result<FileSummary> {
        let mut validator = Validator::with_keys(&self.plan, &self.roster, std::mem::take(&mut self.keys));
        let file = self.files.len();
        let summary = read_records(&mut validator, batch, name, file, &mut self.tally, &mut self.rejects);
        self.keys = validator.into_keys();
        self.rejects.check()?;
        self.files.push(summary.clone());
        Ok(summary)
    }

    /// Judges and counts a ballot file (CSV, or Parquet with the `parquet`
    /// feature), as one more batch. All or nothing: a file that fails midway (an
    /// unclosed quote on line 5,000) leaves the collector as it was — no row of
    /// it counted, none of its ballot ids taken — so the corrected file can be
    /// pushed again.
    pub fn push_file(&mut self, source: &Source, encoding: Encoding) -> Result<FileSummary> {
        let mark = self.keys.mark();
        let mut validator = Validator::with_keys(&self.plan, &self.roster, std::mem::take(&mut self.keys));
        let mut rejects = Rejects::new();
        // The file is counted apart and added once it has been read whole.
        let mut tally = Tally::try_new(self.tally.layout().clone())?;
        let read = read_ballots(
            &mut validator,
            std::slice::from_ref(source),
            encoding,
            Format::Auto,
            &mut tally,
            &mut rejects,
            &mut |_| {},
        );
        self.keys = validator.into_keys();
        let mut summaries = match read.and_then(|s| self.tally.merge(&tally).map(|()| s)) {
            Ok(s) => s,
            Err(e) => {
                self.keys.roll_back(mark);
                return Err(e);
            }
        };
        // The file index of its rejects is that of the file among all batches.
        let file = self.files.len();
        self.rejects.append(&rejects, |_| file)?;
        let summary = summaries.pop().unwrap_or_else(|| FileSummary {
            path: source.path().display().to_string(),
            rows: 0,
            ignored_columns: Vec::new(),
            note: None,
        });
        self.files.push(summary.clone());
        Ok(summary)
    }

    /// Sets the campaign's complaints (read with `Complaints::load`); the
    /// outcome deducts and vetoes by them.
    pub fn set_complaints(&mut self, complaints: Complaints) {
        self.complaints = complaints;
    }

    /// Sets the staff roster and the titles held (SPEC §15): the outcome lists every
    /// person on the staff roster in its staff points and reviews the titles. Read
    /// the complaints with `Complaints::load_with_staff` and the same staff roster,
    /// so that complaints naming someone not on it are rejected. Not kept by `save`.
    pub fn set_people(
        &mut self,
        staff: Option<crate::judge::people::StaffRoster>,
        titles: Option<crate::judge::people::Titles>,
    ) {
        self.people = (staff, titles);
    }

    /// Sets the campaign's ledgers and assessments (SPEC §14, read with
    /// `Ledgers::load` or judged from typed records with `Ledgers::from_records`);
    /// the outcome reports their rates and, under the plan's `components:`,
    /// weighs them into the final score. Unlike ballots they are a whole, not
    /// batches: setting them again replaces them.
    pub fn set_ledgers(&mut self, ledgers: Ledgers) {
        self.ledgers = ledgers;
    }

    /// Ballot rows pushed so far (valid + rejected).
    pub fn ballots_read(&self) -> u64 {
        self.tally.accounting().read
    }

    /// The outcome of everything pushed so far: scores, statuses, ranks,
    /// intervals and flags, as a single run over the same ballots gives them.
    pub fn outcome(&self) -> Result<Outcome> {
        let mut outcome = evaluate_with(
            &self.plan,
            &self.roster,
            self.tally.clone(),
            self.rejects.clone(),
            self.files.clone(),
            self.complaints.clone(),
            self.ledgers.clone(),
            self.settings,
        )?;
        outcome
            .flags
            .extend(rater_spread(&mut RaterLog::from_keys(self.keys.rater_keys()))?);
        if self.people.0.is_some() || self.people.1.is_some() {
            crate::campaign::apply_people(&self.plan, &mut outcome, self.people.0.as_ref(), self.people.1.as_ref());
        }
        Ok(outcome)
    }
}

#[cfg(feature = "parquet")]
mod state {
    use std::path::Path;

    use super::*;
    use crate::count::shard;
    use crate::error::{Error, ErrorKind};

    const TALLY: &str = "tally.parquet";
    const KEYS: &str = "keys.parquet";
    const REJECTS: &str = "rejects.csv";
    const COMPLAINTS: &str = "complaints.json";
    const LEDGERS: &str = "ledgers.json";

    impl Collector {
        /// Writes the collector's state into the folder `dir` (created when
        /// missing): `tally.parquet`, `keys.parquet`, `rejects.csv`,
        /// `complaints.json` and `ledgers.json`, each written whole or not at all.
        pub fn save(&self, dir: &Path) -> Result<()> {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            shard::write_tally(&dir.join(TALLY), &self.tally, &self.files)?;
            let validator = Validator::with_keys(&self.plan, &self.roster, self.keys.clone());
            shard::write_keys(&dir.join(KEYS), &validator, &self.roster)?;
            shard::write_rejects(&dir.join(REJECTS), &self.rejects, &self.files)?;
            let json = serde_json::to_vec(&self.complaints)
                .map_err(|e| Error::from(ErrorKind::Usage(format!("could not write the complaints state: {e}"))))?;
            let ledgers = serde_json::to_vec(&self.ledgers)
                .map_err(|e| Error::from(ErrorKind::Usage(format!("could not write the ledgers state: {e}"))))?;
            crate::files::write_atomic(dir, &[(COMPLAINTS, json), (LEDGERS, ledgers)])?;
            Ok(())
        }

        /// Reads a state written by [`Collector::save`] under the same plan and
        /// roster (a state of another plan or roster is refused).
        pub fn load(plan: Arc<Plan>, roster: Arc<Roster>, dir: &Path) -> Result<Collector> {
            let mut c = Collector::new(plan, roster)?;
            let (tally, files) = shard::read_tally(&dir.join(TALLY), &Layout::new(&c.plan, &c.roster))?;
            let mut validator = Validator::new(&c.plan, &c.roster);
            shard::read_keys(&dir.join(KEYS), &mut validator)?;
            c.keys = validator.into_keys();
            c.rejects = shard::read_rejects(&dir.join(REJECTS), &files, 0)?;
            let path = dir.join(COMPLAINTS);
            let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            let complaints: Complaints = serde_json::from_slice(&text).map_err(|e| {
                Error::from(ErrorKind::Mismatch {
                    path: path.clone(),
                    message: format!("not a complaints state written by Collector::save: {e}"),
                })
            })?;
            if complaints.units.len() != c.roster.len() {
                return Err(ErrorKind::Mismatch {
                    path,
                    message: "the complaints state was saved with another roster".into(),
                }
                .into());
            }
            c.complaints = complaints;
            // A state saved before ledgers existed has no ledgers.json.
            let path = dir.join(LEDGERS);
            if path.is_file() {
                let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
                let ledgers: Ledgers = serde_json::from_slice(&text).map_err(|e| {
                    Error::from(ErrorKind::Mismatch {
                        path: path.clone(),
                        message: format!("not a ledgers state written by Collector::save: {e}"),
                    })
                })?;
                c.ledgers = ledgers;
            }
            c.tally = tally;
            c.files = files;
            Ok(c)
        }
    }
}
