//! The rows of the results table, shared by `results.csv`, `results.json` and the reports.

use serde::{Deserialize, Serialize};

use crate::num::{self};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;
use crate::score::result::UnitStatus;

/// One row of `results.csv` / an element of `results.json`'s `units`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    /// Unit id.
    pub unit_id: String,
    /// Status code.
    pub status: UnitStatus,
    /// Valid ballots.
    pub valid_ballots: u64,
    /// Rejected ballots naming the unit.
    pub rejected_ballots: u64,
    /// Public share of valid ballots.
    pub public_share: Option<f64>,
    /// Dimension scores, survey order (`results.csv` has one column per dimension).
    pub dimensions: Vec<Option<f64>>,
    /// Composite `C`.
    pub composite: Option<f64>,
    /// Satisfaction rate `R`.
    pub satisfaction_rate: Option<f64>,
    /// Deduction `X`.
    pub deduction: f64,
    /// Bonus added (SPEC §9; a column only when the plan has a bonus category).
    pub bonus: f64,
    /// The consecutive-period mark ([`crate::score::history`]; a column only when the plan
    /// has the rule, empty when too few earlier periods were given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive: Option<bool>,
    /// Ids of the plan's awards the unit received (a column `awards`, ids joined
    /// by `;`, only when the plan has awards).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awards: Vec<String>,
    /// Final `F`.
    pub r#final: Option<f64>,
    /// Grade id.
    pub grade: Option<String>,
    /// Rank.
    pub rank: Option<u64>,
    /// Unit name.
    pub name: String,
    /// Department.
    pub department: String,
    /// Kind.
    pub kind: String,
    /// Rank within the department.
    pub rank_department: Option<u64>,
    /// Rank within the kind.
    pub rank_kind: Option<u64>,
    /// Among the first `top_n`.
    pub top: bool,
    /// Among the last `bottom_n`.
    pub bottom: bool,
    /// The published final score, rounded to `decimals`.
    pub final_published: Option<String>,
    /// Ballot rows read for the unit.
    pub ballots_read: u64,
    /// Why the unit is not ranked.
    pub note: String,
    /// Standard error of the composite (linearisation).
    pub composite_se: Option<f64>,
    /// Lower end of the composite's 95% interval.
    pub composite_lo: Option<f64>,
    /// Upper end of the composite's 95% interval.
    pub composite_hi: Option<f64>,
    /// Best rank in the 95% marginal confidence set.
    pub rank_lo: Option<u64>,
    /// Worst rank in the 95% marginal confidence set.
    pub rank_hi: Option<u64>,
    /// The whole rank set lies inside the first `top_n` places.
    pub top_on_evidence: bool,
    /// The whole rank set lies inside the last `bottom_n` places.
    pub bottom_on_evidence: bool,
    /// Majority verdict id, when the plan has a verdict rule.
    pub verdict: Option<String>,
    /// Valid ballots that answered every item (three or more) with one option.
    pub straight_lining: u64,
    /// Results of the groups the plan reports on their own.
    pub groups: Vec<GroupRow>,
    /// The unit's self-assessment beside its public score (SPEC §15; columns
    /// `self_ballots`, `self_composite`, `self_gap` only when a group is `self: true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_assessment: Option<crate::score::people::SelfScore>,
    /// The unit's figures of each ledger the plan reports (SPEC §14; columns
    /// `tickets_due` … only then).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ledgers: Vec<LedgerRow>,
    /// The score of each of the plan's components (SPEC §14; columns
    /// `component_<id>` only when the plan has `components:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<ComponentRow>,
    /// The final score's standard error `w_survey·se_C` (with components).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_se: Option<f64>,
    /// Lower end of the final score's 95% interval (with components).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_lo: Option<f64>,
    /// Upper end of the final score's 95% interval (with components).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_hi: Option<f64>,
}

/// A unit's figures of one ledger in a [`ResultRow`] (SPEC §14).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerRow {
    /// `tickets`, `rectifications` or `commitments`.
    pub ledger: String,
    /// The counts; `None` when the ledger's file was not given.
    pub counts: Option<crate::judge::ledgers::Counts>,
    /// 按期办结率 / 整改率 / 践诺率 with its Wilson interval; `None` when nothing
    /// was due.
    pub rate: Option<crate::score::components::Rate>,
}

/// One component's score in a [`ResultRow`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentRow {
    /// The component's id.
    pub component: String,
    /// Its weight.
    pub weight: f64,
    /// `S_c` (0–100), `None` when the unit has none.
    pub score: Option<f64>,
}

/// A reported group's own results in a [`ResultRow`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    /// Group id.
    pub group: String,
    /// The group's valid ballots.
    pub valid_ballots: u64,
    /// Composite from the group's answers alone.
    pub composite: Option<f64>,
    /// Satisfaction rate from the group's answers alone.
    pub satisfaction_rate: Option<f64>,
}

/// The rows of the results table, in roster order.
pub fn result_rows(plan: &Plan, roster: &Roster, outcome: &Outcome) -> Vec<ResultRow> {
    let d = plan.ranking.decimals;
    let ranked = outcome.units.iter().filter(|r| r.placing.rank.is_some()).count() as u64;
    outcome
        .units
        .iter()
        .map(|r| {
            let u = &roster.units[r.unit];
            let p = &r.placing;
            ResultRow {
                unit_id: u.id.clone(),
                status: r.status,
                valid_ballots: r.score.valid,
                rejected_ballots: r.rejected,
                public_share: r.score.public_share,
                dimensions: r.score.dimensions.clone(),
                composite: r.score.composite,
                satisfaction_rate: r.score.rate,
                deduction: r.complaints.deduction,
                bonus: r.complaints.bonus,
                r#final: r.final_score,
                grade: p.grade.map(|g| plan.grades[g].id.clone()),
                rank: p.rank,
                name: u.name.clone(),
                department: u.department.clone(),
                kind: u.kind.clone(),
                rank_department: p.rank_department,
                rank_kind: p.rank_kind,
                top: p.top,
                bottom: p.bottom,
                final_published: p.published.map(|s| num::steps_text(s, d)),
                ballots_read: r.read,
                note: r.why_not_ranked(),
                composite_se: r.composite_se,
                composite_lo: r.composite_ci.map(|c| c.0),
                composite_hi: r.composite_ci.map(|c| c.1),
                rank_lo: r.rank_set.map(|s| s.lower),
                rank_hi: r.rank_set.map(|s| s.upper),
                top_on_evidence: r.rank_set.is_some_and(|s| s.upper <= plan.ranking.top_n),
                bottom_on_evidence: r
                    .rank_set
                    .is_some_and(|s| s.lower + plan.ranking.bottom_n > ranked && plan.ranking.bottom_n > 0),
                verdict: r.score.verdict.and_then(|v| {
                    plan.verdict
                        .as_ref()
                        .map(|x| x.levels.get(v).unwrap_or(&x.otherwise).id.clone())
                }),
                straight_lining: outcome.tally.straight[r.unit],
                consecutive: outcome.consecutive.get(r.unit).copied().flatten(),
                awards: r
                    .awards
                    .iter()
                    .filter_map(|&a| plan.awards.get(a))
                    .map(|a| a.id.clone())
                    .collect(),
                groups: r
                    .score
                    .groups
                    .iter()
                    .map(|g| GroupRow {
                        group: plan.groups[g.group].id.clone(),
                        valid_ballots: g.valid,
                        composite: g.composite,
                        satisfaction_rate: g.rate,
                    })
                    .collect(),
                self_assessment: outcome.people.selfs.get(r.unit).cloned(),
                ledgers: crate::score::components::reported(plan)
                    .into_iter()
                    .map(|f| {
                        let counts = outcome.ledgers.ledger(f).and_then(|l| l.units.get(r.unit)).copied();
                        LedgerRow {
                            ledger: f.code().to_string(),
                            counts,
                            rate: counts.as_ref().and_then(crate::score::components::rate),
                        }
                    })
                    .collect(),
                components: match &r.components {
                    Some(c) => plan
                        .ledgers
                        .components
                        .iter()
                        .zip(&c.scores)
                        .map(|(p, s)| ComponentRow {
                            component: p.id.clone(),
                            weight: p.weight,
                            score: *s,
                        })
                        .collect(),
                    None => Vec::new(),
                },
                final_se: r.components.as_ref().and_then(|c| c.final_se),
                final_lo: r.components.as_ref().and_then(|c| c.final_ci.map(|x| x.0)),
                final_hi: r.components.as_ref().and_then(|c| c.final_ci.map(|x| x.1)),
            }
        })
        .collect()
}

pub(crate) fn opt_u(x: Option<u64>) -> String {
    x.map_or_else(String::new, |v| v.to_string())
}

impl Outcome {
    /// The per-unit results in roster order, self-contained: unit ids, status,
    /// scores, grade id, ranks, intervals and awards by id — the rows of
    /// `results.csv` and `results.json`, owned and (de)serialisable.
    pub fn results(&self, plan: &Plan, roster: &Roster) -> Vec<ResultRow> {
        result_rows(plan, roster, self)
    }
}
