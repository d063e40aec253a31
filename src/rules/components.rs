//! Score components and the deadline ledgers of a plan (SPEC §14): the weights of
//! `F = max(0, Σ w_c·S_c − X + B)`, the deadlines of service tickets (按期办结率),
//! of 差评 rectifications (整改率) and the commitments ledger (践诺率).
//!
//! The seeds weigh an appraisal's survey together with other evidence: 日常考核,
//! 主管部门考核, 暗访, the share of tickets closed on time, the share of pledges kept.
//! A plan says which of these enter the final score and with what weight; the
//! weights must add up to 1, so a component's weight is its share of the score.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::input::yaml::{self, Problems};
use crate::rules::schema::Labels;

/// The tolerance on the sum of the component weights: `|Σ w − 1| ≤ 1e-6`, so
/// weights written with six decimals (0.333333 ×3 is refused, 0.3333335 is not
/// needed: write 0.34, 0.33, 0.33) add up as a person adds them.
pub const WEIGHT_TOLERANCE: f64 = 1e-6;

/// Where the score of a component comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentSource {
    /// The survey's composite `C` (SPEC §7).
    Survey,
    /// 按期办结率 × 100 from the tickets file.
    Tickets,
    /// 整改率 × 100 from the rectifications file.
    Rectifications,
    /// 践诺率 × 100 from the commitments file.
    Commitments,
    /// A score 0–100 per unit from the assessments file, under this component's id
    /// (暗访, 考核, 自评…).
    Assessment,
}

/// One weighted part of the final score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Component {
    /// Id: `survey`, `tickets`, `rectifications`, `commitments`, or the name of an
    /// external score as written in `assessments.csv`'s `component` column.
    pub id: String,
    /// Labels, e.g. 暗访.
    pub labels: Labels,
    /// Weight `w_c` (the weights add up to 1).
    pub weight: f64,
    /// Where the score comes from (from the id).
    pub source: ComponentSource,
}

/// How deadline days are counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Every calendar day counts.
    #[default]
    Calendar,
    /// Only working days count: Monday–Friday except the holiday file's holidays,
    /// plus its extra working days (调休 补班).
    Working,
}

/// The deadline of one kind of ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    /// The kind as written in the tickets' `kind` column (`ordinary`, `major`).
    #[serde(deserialize_with = "yaml::scalar_string")]
    pub kind: String,
    /// Chinese name, e.g. 一般件; also accepted in the `kind` column.
    #[serde(default)]
    pub zh: String,
    /// English name.
    #[serde(default)]
    pub en: String,
    /// Days allowed (counted as the plan's `days` says).
    pub days: u32,
}

/// Service tickets (工单, 热线, 审批事项): deadlines per kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketRules {
    /// Calendar or working days.
    #[serde(default)]
    pub days: DayCount,
    /// One deadline per kind; a blank `kind` is the only kind when there is one.
    pub deadlines: Vec<Deadline>,
}

impl TicketRules {
    /// The index of the deadline whose kind (or label) is `value`, trimmed; a blank
    /// value is the only kind when the plan has exactly one.
    pub fn kind_index(&self, value: &str) -> Option<usize> {
        let v = value.trim();
        if v.is_empty() {
            return (self.deadlines.len() == 1).then_some(0);
        }
        self.deadlines
            .iter()
            .position(|d| d.kind == v)
            .or_else(|| self.deadlines.iter().position(|d| !d.zh.is_empty() && d.zh == v))
            .or_else(|| self.deadlines.iter().position(|d| !d.en.is_empty() && d.en == v))
    }
}

/// 差评 rectification (整改): one deadline from the rating's date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RectificationRules {
    /// Calendar or working days.
    #[serde(default)]
    pub days: DayCount,
    /// Days allowed from `opened`.
    pub deadline: u32,
}

/// The commitments ledger (公开承诺 台帐): each commitment carries its own due
/// date, so the rule has no parameter; `commitments: {}` turns the ledger on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentRules {}

/// Everything of SPEC §14 a plan can say. Empty (the default) for plans without
/// these rules: then nothing of §14 appears in any output.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LedgerRules {
    /// The weighted components of the final score, in plan order (empty: `F` is
    /// the composite's as in SPEC §9).
    pub components: Vec<Component>,
    /// Ticket deadlines, when the plan reports 按期办结率.
    pub tickets: Option<TicketRules>,
    /// The rectification deadline, when the plan reports 整改率.
    pub rectifications: Option<RectificationRules>,
    /// Whether the plan reports 践诺率.
    pub commitments: Option<CommitmentRules>,
}

impl LedgerRules {
    /// Whether the plan uses any rule of SPEC §14 (then `ledger.csv` and
    /// `ledger_rejects.csv` are written).
    pub fn any(&self) -> bool {
        !self.components.is_empty()
            || self.tickets.is_some()
            || self.rectifications.is_some()
            || self.commitments.is_some()
    }

    /// The index of the component with this source (the first, for assessments).
    pub fn component(&self, source: ComponentSource) -> Option<usize> {
        self.components.iter().position(|c| c.source == source)
    }

    /// Whether the plan needs an assessments file (it has an external component).
    pub fn needs_assessments(&self) -> bool {
        self.component(ComponentSource::Assessment).is_some()
    }

    /// The external component whose id or label is `value` (trimmed).
    pub fn assessment_index(&self, value: &str) -> Option<usize> {
        let v = value.trim();
        let ext = |c: &&Component| c.source == ComponentSource::Assessment;
        self.components.iter().position(|c| ext(&c) && c.id == v).or_else(|| {
            self.components
                .iter()
                .position(|c| ext(&c) && !v.is_empty() && (c.labels.zh == v || c.labels.en == v))
        })
    }
}

/// A component as written in the plan.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawComponent {
    #[serde(deserialize_with = "yaml::scalar_string")]
    id: String,
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
    weight: f64,
}

/// Validates the §14 fields of a plan, pushing every problem with its field path.
pub(crate) fn validate(
    components: Option<Vec<RawComponent>>,
    tickets: Option<TicketRules>,
    rectifications: Option<RectificationRules>,
    commitments: Option<CommitmentRules>,
    p: &mut Problems,
) -> LedgerRules {
    let mut out = Vec::new();
    if let Some(cs) = components {
        if cs.is_empty() {
            p.push(
                "components",
                "no component; leave `components` out to score on the survey alone",
            );
        }
        let mut ids = HashSet::new();
        let mut sum = 0.0;
        for (k, c) in cs.iter().enumerate() {
            p.id(format!("components[{k}].id"), &c.id, &mut ids);
            if !(c.weight.is_finite() && c.weight > 0.0 && c.weight <= 1.0) {
                p.push(
                    format!("components[{k}].weight"),
                    format!("must be a number > 0 and at most 1, found {}", c.weight),
                );
            } else {
                sum += c.weight;
            }
            let source = match c.id.as_str() {
                "survey" => ComponentSource::Survey,
                "tickets" => ComponentSource::Tickets,
                "rectifications" => ComponentSource::Rectifications,
                "commitments" => ComponentSource::Commitments,
                _ => ComponentSource::Assessment,
            };
            let need = match source {
                ComponentSource::Tickets if tickets.is_none() => Some("tickets"),
                ComponentSource::Rectifications if rectifications.is_none() => Some("rectifications"),
                _ => None,
            };
            if let Some(n) = need {
                p.push(
                    format!("components[{k}].id"),
                    format!("component `{n}` needs the plan's `{n}:` rules (the deadlines); add them"),
                );
            }
            out.push(Component {
                id: c.id.clone(),
                labels: Labels {
                    zh: c.zh.clone(),
                    en: c.en.clone(),
                },
                weight: c.weight,
                source,
            });
        }
        if !cs.is_empty() && (sum - 1.0).abs() > WEIGHT_TOLERANCE {
            p.push(
                "components",
                format!("the weights add up to {sum}, not 1 (tolerance {WEIGHT_TOLERANCE}); a weight is the component's share of the final score"),
            );
        }
        if !cs.is_empty() && !out.iter().any(|c| c.source == ComponentSource::Survey) {
            p.push(
                "components",
                "no `survey` component: the survey's composite must be one of the components (give it a weight)",
            );
        }
    }
    if let Some(t) = &tickets {
        if t.deadlines.is_empty() {
            p.push(
                "tickets.deadlines",
                "no deadline; give one per ticket kind, e.g. {kind: ordinary, days: 3}",
            );
        }
        let mut kinds = HashSet::new();
        for (k, d) in t.deadlines.iter().enumerate() {
            p.id(format!("tickets.deadlines[{k}].kind"), &d.kind, &mut kinds);
            if d.days == 0 || d.days > 3660 {
                p.push(
                    format!("tickets.deadlines[{k}].days"),
                    format!("must be a whole number of days 1–3660, found {}", d.days),
                );
            }
        }
    }
    if let Some(r) = &rectifications
        && (r.deadline == 0 || r.deadline > 3660)
    {
        p.push(
            "rectifications.deadline",
            format!("must be a whole number of days 1–3660, found {}", r.deadline),
        );
    }
    LedgerRules {
        components: out,
        tickets,
        rectifications,
        commitments,
    }
}
