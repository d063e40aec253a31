//! From a tally and the complaints to statuses, scores, ranks and flags (SPEC §7–§10).

use crate::count::tally::Tally;
use crate::error::{Error, ErrorKind, PanelViolation, Result};
use crate::judge::ballots::FileSummary;
use crate::judge::complaints::Complaints;
use crate::judge::ledgers::Ledgers;
use crate::judge::rejects::Rejects;
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;
use crate::score::result::{Placing, Standing, UnitResult, UnitStatus};
use crate::score::{components, panel, rank, stats, unit};

/// Marks units under the plan's consecutive-period rule from the `results.csv` of
/// earlier periods, most recent first (nothing to do when the plan has no rule).
pub fn apply_history(plan: &Plan, roster: &Roster, outcome: &mut Outcome, earlier: &[crate::score::history::Period]) {
    if let Some(rule) = &plan.ranking.consecutive {
        let ids: Vec<&str> = roster.units.iter().map(|u| u.id.as_str()).collect();
        outcome.consecutive = crate::score::history::consecutive(rule, &ids, outcome, earlier);
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

/// How [`evaluate`] runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// Fail when a unit breaks the panel rule instead of marking it (`--strict`).
    pub strict: bool,
    /// Threads the rank confidence sets may use: 0 or 1 keep all the work on the
    /// calling thread (the library starts no thread unless told to). The results
    /// are the same bits whatever the number.
    pub threads: usize,
}

impl Settings {
    /// Settings with `strict` set.
    pub fn strict(mut self, strict: bool) -> Settings {
        self.strict = strict;
        self
    }

    /// Settings with `threads` set.
    pub fn threads(mut self, threads: usize) -> Settings {
        self.threads = threads;
        self
    }
}

/// Scores, judges and ranks every unit from a tally and the complaints.
///
/// ```
/// use appraise::{Encoding, Source, campaign, judge::complaints::Complaints};
/// let (plan, roster) = appraise::demo::campaign()?;
/// let files = [Source::text("ballots.csv", appraise::demo::BALLOTS)];
/// let (tally, rejects, read) = campaign::tally_files(&plan, &roster, &files, Encoding::Utf8, &mut |_| {})?;
/// let none = Complaints::none(&roster);
/// let outcome = campaign::evaluate(&plan, &roster, tally, rejects, read, none, Default::default())?;
/// assert_eq!(outcome.units.len(), roster.len());
/// # Ok::<(), appraise::Error>(())
/// ```
pub fn evaluate(
    plan: &Plan,
    roster: &Roster,
    tally: Tally,
    rejects: Rejects,
    files: Vec<FileSummary>,
    complaints: Complaints,
    settings: Settings,
) -> Result<Outcome> {
    evaluate_with(
        plan,
        roster,
        tally,
        rejects,
        files,
        complaints,
        Ledgers::default(),
        settings,
    )
}

/// [`evaluate`] with the ledgers and assessments of SPEC §14 (read by
/// `Ledgers::load` or `Ledgers::from_records`): their rates, and under the
/// plan's `components:` the weighted final score, `incomplete` for a unit
/// missing a component, and rank sets from `se_F = w_survey·se_C`.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_with(
    plan: &Plan,
    roster: &Roster,
    tally: Tally,
    rejects: Rejects,
    files: Vec<FileSummary>,
    complaints: Complaints,
    ledgers: Ledgers,
    settings: Settings,
) -> Result<Outcome> {
    check_plan_roster(plan, roster)?;
    if tally.layout.key != crate::count::tally::Layout::new(plan, roster).key {
        return Err(ErrorKind::TallyMismatch(
            "the tally was counted under another plan, survey or roster than the one given; evaluate it with those"
                .into(),
        )
        .into());
    }
    let mut units = Vec::with_capacity(roster.len());
    let (lo, hi) = stats::score_range(plan);
    for (u, unit) in roster.units.iter().enumerate() {
        let score = unit::score_unit(plan, &tally, u);
        let panel = panel::check(plan, unit, &score.valid_by_group, tally.read[u]);
        let c = complaints.units.get(u).cloned().unwrap_or_default();
        let composite_se = stats::composite_se(plan, &tally, u, &score);
        let composite_ci = score
            .composite
            .zip(composite_se)
            .map(|(c, se)| stats::composite_interval(c, se, score.valid, lo, hi, stats::LEVEL));
        let parts = (!plan.ledgers.components.is_empty()).then(|| {
            components::unit_components(
                plan,
                &ledgers,
                u,
                score.composite,
                composite_se,
                composite_ci,
                c.bonus - c.deduction,
            )
        });
        let missing_part = parts.as_ref().is_some_and(|p| !p.missing.is_empty());
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
        } else if !score.is_complete() || missing_part {
            UnitStatus::Incomplete
        } else {
            UnitStatus::Ranked
        };
        let final_score = match &parts {
            Some(p) => p.weighted.map(|w| (w - c.deduction + c.bonus).max(0.0)),
            None => score
                .composite
                .map(|composite| (composite - c.deduction + c.bonus).max(0.0)),
        };
        if let Some(f) = final_score.filter(|f| !f.is_finite()) {
            return Err(ErrorKind::Mismatch {
                path: plan.path.clone(),
                message: format!(
                    "unit `{}`: the final score is {f}, not a number that can be ranked; check the tally files and the plan's weights and points",
                    unit.id
                ),
            }
            .into());
        }
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
            components: parts,
        });
    }
    if settings.strict {
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
    let awards = rank::awards_by_kind(plan, Some(roster), &units);
    for (r, a) in units.iter_mut().zip(awards) {
        r.awards = a;
    }
    let ranked: Vec<usize> = (0..units.len()).filter(|&u| units[u].placing.rank.is_some()).collect();
    let est: Vec<f64> = ranked.iter().map(|&u| units[u].final_score.unwrap_or(0.0)).collect();
    // Under components the final score's error is the survey part's, scaled by
    // its weight (SPEC §14).
    let se: Vec<f64> = ranked
        .iter()
        .map(|&u| match &units[u].components {
            Some(p) => p.final_se.unwrap_or(0.0),
            None => units[u].composite_se.unwrap_or(0.0),
        })
        .collect();
    for (&u, set) in ranked
        .iter()
        .zip(stats::rank_sets(&est, &se, stats::LEVEL, settings.threads))
    {
        units[u].rank_set = Some(set);
    }
    let reliability = (0..plan.survey.dimensions.len())
        .map(|d| stats::reliability(&tally, d))
        .collect();
    let flags = crate::score::flags::flags_on(&tally, &units, settings.threads);
    let mut attention = crate::score::attention::collect(roster, &tally, &rejects, &files, &complaints)?;
    attention.extend(components::reject_attention(&ledgers));
    let people = crate::score::people::People {
        staff: crate::score::people::staff_points(plan, None, &complaints),
        titles: None,
        selfs: crate::score::people::self_scores(plan, &tally, &units),
    };
    Ok(Outcome {
        people,
        attention,
        units,
        rejects,
        files,
        accounting: tally.accounting(),
        complaints,
        reliability,
        flags,
        consecutive: Vec::new(),
        ledgers,
        tally,
    })
}
