//! `results.json`: the results with the accounting, methods, reliability and flags.

use serde::Serialize;

use crate::count::tally::Accounting;
use crate::error::{Error, ErrorKind, Result};
use crate::judge::ballots::Reason;
use crate::rules::plan::Plan;
use crate::score::outcome::Outcome;
use crate::score::rows::*;
use crate::score::stats;

#[derive(Serialize)]
struct Json<'a> {
    plan: &'a str,
    survey: &'a str,
    methods: Methods,
    period: [String; 2],
    period_start: String,
    period_end: String,
    /// What changed or may have changed a result (SPEC §12).
    attention: &'a [crate::score::attention::Attention],
    dimensions: Vec<&'a str>,
    accounting: AccountingJson,
    complaints: ComplaintAccounting,
    files: &'a [crate::judge::ballots::FileSummary],
    units: &'a [ResultRow],
    /// Cronbach's alpha per dimension, in survey order.
    reliability: Vec<ReliabilityJson<'a>>,
    /// Data-quality flags, as in `flags.csv`.
    flags: Vec<FlagJson<'a>>,
    /// SPEC §14: the components and, per ledger file, rows read and rejected
    /// (only when the plan uses the rules or the files were given).
    #[serde(skip_serializing_if = "Option::is_none")]
    ledgers: Option<LedgersJson<'a>>,
}

#[derive(Serialize)]
struct LedgersJson<'a> {
    components: &'a [crate::rules::components::Component],
    files: Vec<LedgerFileJson<'a>>,
}

#[derive(Serialize)]
struct LedgerFileJson<'a> {
    file: &'static str,
    path: &'a str,
    rows: u64,
    rejected: u64,
}

#[derive(Serialize)]
struct ReliabilityJson<'a> {
    dimension: &'a str,
    #[serde(flatten)]
    reliability: &'a stats::Reliability,
}

#[derive(Serialize)]
struct FlagJson<'a> {
    unit_id: Option<&'a str>,
    rater_id: Option<&'a str>,
    kind: &'a str,
    observed: f64,
    expected: f64,
    unusual: f64,
    detail: &'a str,
}

/// How the uncertainty figures were computed, written with the results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Methods {
    /// Confidence level of every interval.
    pub level: f64,
    /// Item and dimension satisfaction rates.
    pub rate_interval: &'static str,
    /// The composite's interval.
    pub composite_interval: &'static str,
    /// The rank sets.
    pub rank_sets: &'static str,
    /// Reliability.
    pub reliability: &'static str,
    /// Seed of any simulation (none: every method here is deterministic).
    pub seed: Option<u64>,
}

/// The methods of this version.
pub fn methods() -> Methods {
    Methods {
        level: stats::LEVEL,
        rate_interval: "Wilson score interval",
        composite_interval: "Taylor linearisation over the unit's valid ballots (influence z_b = dC/dw_b, V = n/(n-1) sum (z_b - mean z)^2); 95% interval on the logit of the composite's place in the score range, logit(p) +/- t(0.975, n-1) * se / (range * p(1-p)), taken back to the score scale",
        rank_sets: "marginal confidence sets of Mogstad, Romano, Shaikh & Wilhelm (2023), single-step, normal approximation, units independent, critical values by adaptive Gauss-Kronrod quadrature and Newton's method, on the final score with the composite's standard error",
        reliability: "Cronbach's alpha per dimension, listwise over valid ballots that scored every item of the dimension",
        seed: None,
    }
}

#[derive(Serialize)]
struct AccountingJson {
    read: u64,
    valid: u64,
    rejected: u64,
    unattributed: u64,
    by_reason: std::collections::BTreeMap<&'static str, u64>,
    /// Valid self-assessment ballots (SPEC §15), included in `valid`.
    #[serde(skip_serializing_if = "is_zero")]
    self_assessed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Complaint counts for the accounting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ComplaintAccounting {
    /// Rows read.
    pub read: u64,
    /// Rejected rows.
    pub rejected: u64,
    /// Verified complaints in the period (they deduct).
    pub counted: u64,
    /// Verified complaints outside the period.
    pub out_of_period: u64,
    /// Unverified complaints.
    pub unverified: u64,
    /// Dismissed complaints.
    pub dismissed: u64,
}

/// Complaint accounting: read = rejected + counted + out of period + unverified +
/// dismissed.
pub fn complaint_accounting(outcome: &Outcome) -> ComplaintAccounting {
    let mut a = ComplaintAccounting {
        read: outcome.complaints.rows,
        rejected: outcome.complaints.rejects.len() as u64,
        ..Default::default()
    };
    for u in &outcome.complaints.units {
        a.counted += u.counted;
        a.out_of_period += u.out_of_period;
        a.unverified += u.unverified;
        a.dismissed += u.dismissed;
    }
    a
}

pub(crate) fn by_reason(a: &Accounting) -> std::collections::BTreeMap<&'static str, u64> {
    Reason::ALL
        .iter()
        .map(|r| (r.code(), a.by_reason[r.index()]))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// `results.json`: plan, methods, accounting, the result rows, reliability per
/// dimension and the data-quality flags.
pub fn results_json(plan: &Plan, outcome: &Outcome, rows: &[ResultRow]) -> Result<Vec<u8>> {
    let a = &outcome.accounting;
    // The rows are in roster order: a unit's index is its row.
    let roster_ids: Vec<&str> = rows.iter().map(|r| r.unit_id.as_str()).collect();
    let doc = Json {
        plan: &plan.id,
        survey: &plan.survey.id,
        period: [plan.period.start.to_string(), plan.period.end.to_string()],
        period_start: plan.period.start.to_string(),
        period_end: plan.period.end.to_string(),
        attention: &outcome.attention,
        dimensions: plan.survey.dimensions.iter().map(|d| d.id.as_str()).collect(),
        accounting: AccountingJson {
            read: a.read,
            valid: a.valid,
            rejected: a.rejected,
            unattributed: a.unattributed,
            by_reason: by_reason(a),
            self_assessed: a.self_assessed,
        },
        complaints: complaint_accounting(outcome),
        files: &outcome.files,
        units: rows,
        methods: methods(),
        reliability: plan
            .survey
            .dimensions
            .iter()
            .zip(&outcome.reliability)
            .map(|(d, r)| ReliabilityJson {
                dimension: &d.id,
                reliability: r,
            })
            .collect(),
        flags: outcome
            .flags
            .iter()
            .map(|f| FlagJson {
                unit_id: f.unit.and_then(|u| roster_ids.get(u).copied()),
                rater_id: f.rater.as_deref(),
                kind: &f.kind,
                observed: f.observed,
                expected: f.expected,
                unusual: f.unusual,
                detail: &f.detail,
            })
            .collect(),
        ledgers: (plan.ledgers.any() || !outcome.ledgers.is_empty()).then(|| {
            let l = &outcome.ledgers;
            let mut files = Vec::new();
            for f in [
                crate::judge::ledgers::LedgerFile::Tickets,
                crate::judge::ledgers::LedgerFile::Rectifications,
                crate::judge::ledgers::LedgerFile::Commitments,
            ] {
                if let Some(x) = l.ledger(f) {
                    files.push(LedgerFileJson {
                        file: f.code(),
                        path: &x.path,
                        rows: x.rows,
                        rejected: l.rejected(f),
                    });
                }
            }
            if let Some(a) = &l.assessments {
                files.push(LedgerFileJson {
                    file: "assessments",
                    path: &a.path,
                    rows: a.rows,
                    rejected: l.rejected(crate::judge::ledgers::LedgerFile::Assessments),
                });
            }
            LedgersJson {
                components: &plan.ledgers.components,
                files,
            }
        }),
    };
    let mut v = serde_json::to_vec_pretty(&doc).map_err(|e| Error::from(ErrorKind::Usage(format!("json: {e}"))))?;
    v.push(b'\n');
    Ok(v)
}
