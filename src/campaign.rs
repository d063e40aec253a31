//! The whole pipeline in one place: ballots → tally → scores → complaints →
//! status → rank. Each stage is its own module; this one only wires them, so the
//! command line and an embedding program run exactly the same code.

use serde::Serialize;

use crate::ballots::{self, FileSummary, Format, Reject, Validator};
use crate::complaints::{Complaints, UnitComplaints};
use crate::error::{Error, ErrorKind, PanelViolation, Result};
use crate::panel::{self, PanelCheck};
use crate::plan::Plan;
use crate::rank::{self, Placing, Standing, UnitStatus};
use crate::roster::Roster;
use crate::score::{self, UnitScore};
use crate::stats::{self, RankSet, Reliability};
use crate::tally::{Accounting, Layout, Tally};
use crate::text::{Encoding, Source};

/// What to run and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Encoding of the CSV inputs.
    pub encoding: Encoding,
    /// Fail when a unit breaks the panel rule instead of marking it.
    pub strict: bool,
    /// Format of the ballot files (default: by extension).
    pub format: Format,
}

/// Everything known about one unit after scoring.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitResult {
    /// Index into the roster.
    pub unit: usize,
    /// Status.
    pub status: UnitStatus,
    /// Ballot rows read for the unit (valid + rejected).
    pub read: u64,
    /// Rejected ballot rows naming the unit.
    pub rejected: u64,
    /// The panel rule's verdict.
    pub panel: PanelCheck,
    /// Scores.
    pub score: UnitScore,
    /// Complaints and deduction.
    pub complaints: UnitComplaints,
    /// `F = max(0, C − X)`.
    pub final_score: Option<f64>,
    /// Grade, rank and flags.
    pub placing: Placing,
    /// Standard error of the composite (and of the final score, the deduction being
    /// fixed), by linearisation.
    pub composite_se: Option<f64>,
    /// 95% interval of the composite: `C ± z·se`.
    pub composite_ci: Option<(f64, f64)>,
    /// 95% marginal confidence set of the rank (ranked units only).
    pub rank_set: Option<RankSet>,
    /// The plan's awards this unit received (indices into `plan.awards`).
    pub awards: Vec<usize>,
}

impl UnitResult {
    /// Why the unit is not ranked, in words (empty when ranked).
    pub fn why_not_ranked(&self) -> String {
        match self.status {
            UnitStatus::Ranked => String::new(),
            UnitStatus::Excluded => "excluded by the plan".into(),
            UnitStatus::Void => match self.panel.over_returned {
                Some((read, issued)) => format!("{read} ballots returned, {issued} issued"),
                None => "void".into(),
            },
            UnitStatus::Vetoed => format!("veto complaint {}", self.complaints.veto_ids.join(", ")),
            UnitStatus::TooFewBallots => format!("{} valid ballots", self.score.valid),
            UnitStatus::PanelShort => self.panel.short.join("; "),
            UnitStatus::Incomplete => "a dimension has no score".into(),
        }
    }
}

/// The result of a campaign.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Per roster unit, in roster order.
    pub units: Vec<UnitResult>,
    /// Rejected ballots, in input order.
    pub rejects: Vec<Reject>,
    /// The ballot files read.
    pub files: Vec<FileSummary>,
    /// Ballots read = valid + rejected.
    pub accounting: Accounting,
    /// Complaints and their rejects.
    pub complaints: Complaints,
    /// Cronbach's alpha and item diagnostics per dimension.
    pub reliability: Vec<Reliability>,
    /// Data-quality flags (reported, never applied).
    pub flags: Vec<crate::flags::Flag>,
    /// The consecutive-period mark of each unit, in roster order (empty when the
    /// plan has no such rule; `None` when too few earlier periods were given): see
    /// [`apply_history`].
    pub consecutive: Vec<Option<bool>>,
    /// The tally everything was computed from.
    #[serde(skip)]
    pub tally: Tally,
}

impl Outcome {
    /// Indices into [`Outcome::units`] of ranked units, in listing order.
    pub fn listing(&self) -> Vec<usize> {
        listing(&self.units)
    }
}

/// Indices of the ranked units of `units`, in listing order.
pub(crate) fn listing(units: &[UnitResult]) -> Vec<usize> {
    let mut v: Vec<usize> = (0..units.len())
        .filter(|&u| units[u].placing.position.is_some())
        .collect();
    v.sort_by_key(|&u| units[u].placing.position);
    v
}

/// Reads every ballot file into one tally (duplicates are judged across all files,
/// in the order given). `progress` receives the rows read so far. The format of
/// each file is chosen by its extension (see [`Format::Auto`]).
pub fn tally_files(
    plan: &Plan,
    roster: &Roster,
    files: &[Source],
    encoding: Encoding,
    progress: &mut dyn FnMut(u64),
) -> Result<(Tally, Vec<Reject>, Vec<FileSummary>)> {
    let (tally, rejects, files, _) = read_all(plan, roster, files, encoding, Format::Auto, progress)?;
    Ok((tally, rejects, files))
}

/// A fresh tally and validator over `files` ([`read_ballots`]); the validator is
/// returned with the keys it took.
fn read_all<'p>(
    plan: &'p Plan,
    roster: &'p Roster,
    files: &[Source],
    encoding: Encoding,
    format: Format,
    progress: &mut dyn FnMut(u64),
) -> Result<(Tally, Vec<Reject>, Vec<FileSummary>, Validator<'p>)> {
    let mut tally = Tally::new(Layout::new(plan, roster));
    let mut validator = Validator::new(plan, roster);
    let mut rejects = Vec::new();
    let files = read_ballots(
        &mut validator,
        files,
        encoding,
        format,
        &mut tally,
        &mut rejects,
        progress,
    )?;
    Ok((tally, rejects, files, validator))
}

/// Reads ballot files in order into `tally` through `validator` (which may hold
/// keys taken earlier: [`Validator::take_known`]); rejects are appended to
/// `rejects`, each carrying the index of its file in `files`. `progress` receives
/// the rows read so far, over all files.
pub fn read_ballots(
    validator: &mut Validator<'_>,
    files: &[Source],
    encoding: Encoding,
    format: Format,
    tally: &mut Tally,
    rejects: &mut Vec<Reject>,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<FileSummary>> {
    let mut summaries = Vec::with_capacity(files.len());
    let mut done = 0;
    for (k, f) in files.iter().enumerate() {
        let mut each = |n| progress(done + n);
        let s = match (format.of(f), f) {
            (Format::Parquet, Source::File(p)) => {
                crate::parquet::read_parquet(p, k, validator, tally, rejects, &mut each)?
            }
            (Format::Parquet, Source::Text { name, .. }) => {
                return Err(ErrorKind::Usage(format!(
                    "{}: Parquet ballots must come from a file, not from text",
                    name.display()
                ))
                .into());
            }
            _ => ballots::read_csv(f, k, encoding, validator, tally, rejects, &mut each)?,
        };
        done += s.rows;
        summaries.push(s);
    }
    Ok(summaries)
}

/// Merges tallies read from tally files (`appraise tally`) into one, checking that
/// each was made under this plan and roster; the file summaries are concatenated
/// in the order given. The sums are exact, so the order of the shards does not
/// change the result.
pub fn merge_tallies(
    plan: &Plan,
    roster: &Roster,
    tallies: Vec<(Tally, Vec<FileSummary>)>,
) -> Result<(Tally, Vec<FileSummary>)> {
    let mut merged = Tally::new(Layout::new(plan, roster));
    let mut files = Vec::new();
    for (t, f) in tallies {
        if t.layout.key != merged.layout.key {
            return Err(ErrorKind::TallyMismatch(
                "a tally was made under another plan, survey or roster than the one given".into(),
            )
            .into());
        }
        merged.merge(&t)?;
        files.extend(f);
    }
    Ok((merged, files))
}

/// Reads tally files (`appraise tally --out`) and merges them ([`merge_tallies`]),
/// with the rejects each shard wrote beside its tally
/// ([`crate::shard::rejects_path`]), so that the merged `rejects.csv` lists every
/// rejected ballot. A shard whose rejects file is missing (or was left behind on
/// purpose) still counts its rejects in the accounting; its path is returned so the
/// caller can say that `rejects.csv` lacks those rows. A rejects file whose rows do
/// not add up to the shard's rejected count is an error: it belongs to another run.
pub fn merge_tally_files(plan: &Plan, roster: &Roster, paths: &[std::path::PathBuf]) -> Result<Merged> {
    let layout = Layout::new(plan, roster);
    let mut tallies = Vec::with_capacity(paths.len());
    let mut rejects = Vec::new();
    let mut missing = Vec::new();
    let mut offset = 0;
    for p in paths {
        let (tally, files) = crate::shard::read_tally(p, &layout)?;
        let side = crate::shard::rejects_path(p);
        if side.is_file() {
            let r = crate::shard::read_rejects(&side, &files, offset)?;
            let counted = tally.accounting().rejected;
            if r.len() as u64 != counted {
                return Err(ErrorKind::Mismatch {
                    path: side,
                    message: format!(
                        "{} rejects listed, the tally {} counts {counted}; use the rejects file written with that tally",
                        r.len(),
                        p.display()
                    ),
                }
                .into());
            }
            rejects.extend(r);
        } else if tally.accounting().rejected > 0 {
            missing.push(side);
        }
        offset += files.len();
        tallies.push((tally, files));
    }
    let (tally, files) = merge_tallies(plan, roster, tallies)?;
    Ok(Merged {
        tally,
        rejects,
        files,
        lacking: missing,
    })
}

/// Tally shards merged by [`merge_tally_files`].
pub struct Merged {
    /// The sum of the shards' tallies.
    pub tally: Tally,
    /// The shards' rejects, in shard order; `file` indexes `files`.
    pub rejects: Vec<Reject>,
    /// The ballot files of every shard, in shard order.
    pub files: Vec<FileSummary>,
    /// Rejects files that were not found (their shards had rejects).
    pub lacking: Vec<std::path::PathBuf>,
}

/// Marks units under the plan's consecutive-period rule from the `results.csv` of
/// earlier periods, most recent first (nothing to do when the plan has no rule).
pub fn apply_history(plan: &Plan, roster: &Roster, outcome: &mut Outcome, earlier: &[crate::history::Period]) {
    if let Some(rule) = &plan.ranking.consecutive {
        let ids: Vec<&str> = roster.units.iter().map(|u| u.id.as_str()).collect();
        outcome.consecutive = crate::history::consecutive(rule, &ids, outcome, earlier);
    }
}

/// Checks that every `exclude` entry of the plan is a roster unit.
pub fn check_plan_roster(plan: &Plan, roster: &Roster) -> Result<()> {
    let missing: Vec<&str> = plan
        .exclude
        .iter()
        .filter(|u| roster.index(u).is_none())
        .map(|s| s.as_str())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ErrorKind::Mismatch {
            path: plan.path.clone(),
            message: format!(
                "`exclude` lists unit(s) not in the roster: {}; correct the ids or remove them",
                missing.join(", ")
            ),
        }
        .into())
    }
}

/// Scores, judges and ranks every unit from a tally and the complaints.
pub fn evaluate(
    plan: &Plan,
    roster: &Roster,
    tally: Tally,
    rejects: Vec<Reject>,
    files: Vec<FileSummary>,
    complaints: Complaints,
    strict: bool,
) -> Result<Outcome> {
    check_plan_roster(plan, roster)?;
    let mut units = Vec::with_capacity(roster.len());
    for (u, unit) in roster.units.iter().enumerate() {
        let score = score::score_unit(plan, &tally, u);
        let panel = panel::check(plan, unit, &score.valid_by_group, tally.read[u]);
        let c = complaints.units.get(u).cloned().unwrap_or_default();
        let status = if plan.exclude.contains(&unit.id) {
            UnitStatus::Excluded
        } else if panel.over_returned.is_some() {
            UnitStatus::Void
        } else if c.vetoed {
            UnitStatus::Vetoed
        } else if panel.too_few {
            UnitStatus::TooFewBallots
        } else if !panel.short.is_empty() {
            UnitStatus::PanelShort
        } else if !score.is_complete() {
            UnitStatus::Incomplete
        } else {
            UnitStatus::Ranked
        };
        let final_score = score
            .composite
            .map(|composite| (composite - c.deduction + c.bonus).max(0.0));
        let composite_se = stats::composite_se(plan, &tally, u, &score);
        let z = stats::z_value(stats::LEVEL);
        let composite_ci = score
            .composite
            .zip(composite_se)
            .map(|(c, se)| (c - z * se, c + z * se));
        units.push(UnitResult {
            unit: u,
            status,
            read: tally.read[u],
            rejected: tally.rejected_of(u),
            panel,
            score,
            complaints: c,
            final_score,
            placing: Placing::default(),
            composite_se,
            composite_ci,
            rank_set: None,
            awards: Vec::new(),
        });
    }
    if strict {
        let violations: Vec<PanelViolation> = units
            .iter()
            .filter(|r| matches!(r.status, UnitStatus::PanelShort | UnitStatus::TooFewBallots))
            .map(|r| PanelViolation {
                unit_id: roster.units[r.unit].id.clone(),
                detail: r.why_not_ranked(),
            })
            .collect();
        if !violations.is_empty() {
            return Err(Error::from(ErrorKind::Panel { violations }));
        }
    }
    let standings: Vec<Standing> = units
        .iter()
        .map(|r| Standing {
            status: r.status,
            final_score: r.final_score,
            rate: r.score.rate,
            valid: r.score.valid,
        })
        .collect();
    for (r, p) in units.iter_mut().zip(rank::place(plan, roster, &standings)) {
        r.placing = p;
    }
    let awards = rank::awards(plan, &units);
    for (r, a) in units.iter_mut().zip(awards) {
        r.awards = a;
    }
    let ranked: Vec<usize> = (0..units.len()).filter(|&u| units[u].placing.rank.is_some()).collect();
    let est: Vec<f64> = ranked.iter().map(|&u| units[u].final_score.unwrap_or(0.0)).collect();
    let se: Vec<f64> = ranked.iter().map(|&u| units[u].composite_se.unwrap_or(0.0)).collect();
    for (&u, set) in ranked.iter().zip(stats::rank_sets(&est, &se, stats::LEVEL)) {
        units[u].rank_set = Some(set);
    }
    let reliability = (0..plan.survey.dimensions.len())
        .map(|d| stats::reliability(&tally, d))
        .collect();
    let flags = crate::flags::flags(&tally, &units);
    Ok(Outcome {
        units,
        rejects,
        files,
        accounting: tally.accounting(),
        complaints,
        reliability,
        flags,
        consecutive: Vec::new(),
        tally,
    })
}

/// The whole run on files: ballots, optional complaints, scores and ranks.
pub fn run(
    plan: &Plan,
    roster: &Roster,
    ballot_files: &[Source],
    complaints: Option<&Source>,
    options: &Options,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome> {
    check_plan_roster(plan, roster)?;
    let complaints = match complaints {
        Some(p) => Complaints::load(p, options.encoding, plan, roster)?,
        None => Complaints::none(roster),
    };
    let (tally, rejects, files, mut validator) =
        read_all(plan, roster, ballot_files, options.encoding, options.format, progress)?;
    // The ballot ids are no longer needed: free them before the rater count, so the
    // peak memory of a large run is that of reading it.
    validator.release_ballot_ids();
    let spread = crate::flags::rater_spread(|| validator.rater_keys());
    drop(validator);
    let mut outcome = evaluate(plan, roster, tally, rejects, files, complaints, options.strict)?;
    outcome.flags.extend(spread);
    Ok(outcome)
}
