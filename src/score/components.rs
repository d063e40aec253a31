//! The final score from weighted components, and the ledgers' rates (SPEC §14).
//!
//! `F = max(0, Σ_c w_c·S_c − X + B)` with `S_survey` the composite, `S_tickets`
//! = 100 × 按期办结率, `S_rectifications` = 100 × 整改率, `S_commitments` = 100 ×
//! 践诺率 and the external scores from `assessments.csv`. Only the survey part is
//! a sample: its standard error scaled by its weight, `se_F = w_survey·se_C`, is
//! the final score's (the ledgers are complete counts, the assessments given
//! figures), and the final score's interval is the composite's mapped through
//! the same sum.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::judge::ledgers::{Counts, LedgerFile, LedgerSources, Ledgers};
use crate::rules::components::{ComponentSource, DayCount};
use crate::rules::plan::Plan;
use crate::score::attention::{Attention, AttentionKind};
use crate::score::stats;

/// A ledger's rate for one unit with its Wilson 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// `on_time / due`.
    pub rate: f64,
    /// Lower end of the Wilson 95% interval.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

/// The rate of a unit's counts, `None` when nothing was due.
pub fn rate(c: &Counts) -> Option<Rate> {
    let (lo, hi) = stats::wilson(c.on_time, c.due, stats::LEVEL)?;
    Some(Rate {
        rate: c.rate()?,
        lo,
        hi,
    })
}

/// The ledgers the plan reports, in the order tickets, rectifications,
/// commitments: those with rules, and commitments when a component.
pub fn reported(plan: &Plan) -> Vec<LedgerFile> {
    let r = &plan.ledgers;
    let mut out = Vec::new();
    if r.tickets.is_some() {
        out.push(LedgerFile::Tickets);
    }
    if r.rectifications.is_some() {
        out.push(LedgerFile::Rectifications);
    }
    if r.commitments.is_some() || r.component(ComponentSource::Commitments).is_some() {
        out.push(LedgerFile::Commitments);
    }
    out
}

/// A unit's components.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitComponents {
    /// `S_c` in plan order (`None`: no score for the unit).
    pub scores: Vec<Option<f64>>,
    /// Ids of the components without a score: the unit is `incomplete`.
    pub missing: Vec<String>,
    /// `Σ w_c·S_c` when every component has a score.
    pub weighted: Option<f64>,
    /// `w_survey · se_C`: the final score's standard error.
    pub final_se: Option<f64>,
    /// The composite's interval carried through the sum: `max(0, w_survey·lo +
    /// Σ_{c≠survey} w_c·S_c − X + B)` and likewise for the upper end.
    pub final_ci: Option<(f64, f64)>,
}

/// The components of unit `u`: its composite (with standard error and interval)
/// and the ledgers; `shift` = `B − X`.
pub fn unit_components(
    plan: &Plan,
    ledgers: &Ledgers,
    u: usize,
    composite: Option<f64>,
    se: Option<f64>,
    ci: Option<(f64, f64)>,
    shift: f64,
) -> UnitComponents {
    let comps = &plan.ledgers.components;
    let from = |l: Option<&crate::judge::ledgers::Ledger>| {
        l.and_then(|l| l.units.get(u)).and_then(|c| c.rate()).map(|r| 100.0 * r)
    };
    let scores: Vec<Option<f64>> = comps
        .iter()
        .enumerate()
        .map(|(k, c)| match c.source {
            ComponentSource::Survey => composite,
            ComponentSource::Tickets => from(ledgers.tickets.as_ref()),
            ComponentSource::Rectifications => from(ledgers.rectifications.as_ref()),
            ComponentSource::Commitments => from(ledgers.commitments.as_ref()),
            ComponentSource::Assessment => ledgers
                .assessments
                .as_ref()
                .and_then(|a| a.scores.get(u))
                .and_then(|s| s.get(k).copied().flatten()),
        })
        .collect();
    let missing: Vec<String> = comps
        .iter()
        .zip(&scores)
        .filter(|(_, s)| s.is_none())
        .map(|(c, _)| c.id.clone())
        .collect();
    // Sums in plan order, so the same inputs give the same bits.
    let weighted = missing.is_empty().then(|| {
        comps
            .iter()
            .zip(&scores)
            .map(|(c, s)| c.weight * s.unwrap_or(0.0))
            .sum::<f64>()
    });
    let w_survey: f64 = comps
        .iter()
        .filter(|c| c.source == ComponentSource::Survey)
        .map(|c| c.weight)
        .sum();
    let rest: f64 = comps
        .iter()
        .zip(&scores)
        .filter(|(c, _)| c.source != ComponentSource::Survey)
        .map(|(c, s)| c.weight * s.unwrap_or(0.0))
        .sum();
    let final_ci = weighted.and(ci).map(|(lo, hi)| {
        (
            (w_survey * lo + rest + shift).max(0.0),
            (w_survey * hi + rest + shift).max(0.0),
        )
    });
    UnitComponents {
        scores,
        missing,
        weighted,
        final_se: se.map(|s| w_survey * s),
        final_ci,
    }
}

/// Checks that the files the plan's components need were given, and says (as
/// attention entries) which ledgers the plan reports without their file. A
/// missing needed file is an error naming its flag.
pub fn check_sources(plan: &Plan, given: &LedgerSources) -> Result<Vec<Attention>> {
    let r = &plan.ledgers;
    let mut need = Vec::new();
    let mut note = Vec::new();
    // A file given for a rule the plan does not have cannot be judged.
    let unused: Vec<String> = [
        (given.tickets.is_some() && r.tickets.is_none(), "--tickets", "tickets:"),
        (
            given.rectifications.is_some() && r.rectifications.is_none(),
            "--rectifications",
            "rectifications:",
        ),
        (
            given.commitments.is_some() && !reported(plan).contains(&LedgerFile::Commitments),
            "--commitments",
            "commitments:",
        ),
        (
            given.assessments.is_some() && !r.needs_assessments(),
            "--assessments",
            "components: with an external score",
        ),
    ]
    .into_iter()
    .filter(|(on, _, _)| *on)
    .map(|(_, flag, rule)| format!("{flag} (the plan has no `{rule}` rule)"))
    .collect();
    if !unused.is_empty() {
        return Err(Error::from(ErrorKind::Usage(format!(
            "plan `{}` cannot use {}: add the rule to the plan (SPEC §14) or leave the file out",
            plan.id,
            unused.join(", ")
        ))));
    }
    for (file, has_rule, is_component, is_given) in [
        (
            LedgerFile::Tickets,
            r.tickets.is_some(),
            r.component(ComponentSource::Tickets).is_some(),
            given.tickets.is_some(),
        ),
        (
            LedgerFile::Rectifications,
            r.rectifications.is_some(),
            r.component(ComponentSource::Rectifications).is_some(),
            given.rectifications.is_some(),
        ),
        (
            LedgerFile::Commitments,
            r.commitments.is_some(),
            r.component(ComponentSource::Commitments).is_some(),
            given.commitments.is_some(),
        ),
        (
            LedgerFile::Assessments,
            false,
            r.needs_assessments(),
            given.assessments.is_some(),
        ),
    ] {
        if is_given {
            continue;
        }
        if is_component {
            need.push(format!("{} (the `{}` component)", file.flag(), file.code()));
        } else if has_rule {
            note.push(Attention {
                kind: AttentionKind::NoLedgerFile,
                subject: String::new(),
                message: format!(
                    "the plan reports {} but no {} file was given ({}): its columns are empty",
                    file.code(),
                    file.code(),
                    file.flag()
                ),
                message_zh: format!(
                    "方案要求报告 {}，但未提供其文件（{}）：相关列为空",
                    file.code(),
                    file.flag()
                ),
            });
        }
    }
    let working = [
        r.tickets.as_ref().filter(|_| given.tickets.is_some()).map(|t| t.days),
        r.rectifications
            .as_ref()
            .filter(|_| given.rectifications.is_some())
            .map(|t| t.days),
    ]
    .contains(&Some(DayCount::Working));
    if working && given.holidays.is_none() {
        need.push("--holidays (the plan counts deadlines in working days)".into());
    }
    if !need.is_empty() {
        let assessments = r
            .components
            .iter()
            .filter(|c| c.source == ComponentSource::Assessment)
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>();
        let extra = if assessments.is_empty() {
            String::new()
        } else {
            format!(" (assessments.csv holds the scores of {})", assessments.join(", "))
        };
        return Err(Error::from(ErrorKind::Usage(format!(
            "plan `{}` needs input that was not given: {}{extra}",
            plan.id,
            need.join(", ")
        ))));
    }
    Ok(note)
}

/// The attention entries for rejected ledger rows: one per file with rejects.
pub fn reject_attention(ledgers: &Ledgers) -> Vec<Attention> {
    let files = [
        (
            LedgerFile::Tickets,
            ledgers.tickets.as_ref().map(|l| (l.path.clone(), l.rows)),
        ),
        (
            LedgerFile::Rectifications,
            ledgers.rectifications.as_ref().map(|l| (l.path.clone(), l.rows)),
        ),
        (
            LedgerFile::Commitments,
            ledgers.commitments.as_ref().map(|l| (l.path.clone(), l.rows)),
        ),
        (
            LedgerFile::Assessments,
            ledgers.assessments.as_ref().map(|a| (a.path.clone(), a.rows)),
        ),
    ];
    files
        .into_iter()
        .filter_map(|(f, p)| {
            let (path, rows) = p?;
            let n = ledgers.rejected(f);
            (n > 0).then(|| Attention {
                kind: AttentionKind::LedgerRejected,
                message: format!(
                    "{n} of {rows} {} rows rejected (see ledger_rejects.csv); a rejected row is missing from the rates and scores",
                    f.code()
                ),
                message_zh: format!(
                    "{path}：{rows} 行 {} 记录中有 {n} 行被退回（见 ledger_rejects.csv）；被退回的记录不计入比率和得分",
                    f.code()
                ),
                subject: path,
            })
        })
        .collect()
}
