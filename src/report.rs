//! Outputs (SPEC §10–§11): `results.csv`, `results.json`, `items.csv`,
//! `rejects.csv`, `complaint_rejects.csv` and the human `report.md`.
//!
//! Machine formats carry full precision (the shortest decimal that reads back as
//! the same f64); the report rounds to the plan's `decimals`. Every file is built
//! in memory, written to a temporary file in the output folder, and renamed into
//! place only when all of them are written: a run stopped at any moment leaves the
//! previous complete outputs or none. Text that came from an input is neutralised
//! against spreadsheet formula injection in CSV (OWASP: a leading `=`, `+`, `-`,
//! `@`, tab or CR gets a `'` unless the cell is a number) and escaped in Markdown.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::ballots::{FileSummary, Reason, Reject};
use crate::campaign::Outcome;
use crate::error::{Error, ErrorKind, Result};
use crate::num::{self, full};
use crate::plan::Plan;
use crate::rank::UnitStatus;
use crate::roster::Roster;
use crate::stats;
use crate::tally::Accounting;

/// One row of `results.csv` / an element of `results.json`'s `units`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResultRow {
    /// Unit id.
    pub unit_id: String,
    /// Status code.
    pub status: &'static str,
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
    /// The consecutive-period mark ([`crate::history`]; a column only when the plan
    /// has the rule, empty when too few earlier periods were given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consecutive: Option<bool>,
    /// Ids of the plan's awards the unit received (a column `awards`, ids joined
    /// by `;`, only when the plan has awards).
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
}

/// A reported group's own results in a [`ResultRow`].
#[derive(Clone, Debug, PartialEq, Serialize)]
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
                status: r.status.code(),
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
            }
        })
        .collect()
}

/// A cell of text from an input, neutralised against formula injection.
pub fn safe_cell(s: &str) -> String {
    if risky(s) { format!("'{s}") } else { s.to_string() }
}

/// Whether [`safe_cell`] neutralises `s`.
fn risky(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.trim().parse::<f64>().is_err()
}

/// The text [`safe_cell`] was given, from what it wrote (for reading our own CSV
/// back): the leading `'` it added is dropped.
pub fn unsafe_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(t) if risky(t) => t,
        _ => s,
    }
}

/// Text from an input, escaped for a Markdown table cell.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn opt_u(x: Option<u64>) -> String {
    x.map_or_else(String::new, |v| v.to_string())
}

fn csv_bytes(rows: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let failed = |e: csv::Error| Error::from(ErrorKind::Usage(format!("could not format an output: {e}")));
    rows(&mut w).map_err(failed)?;
    w.into_inner().map_err(|e| failed(e.into_error().into()))
}

/// `results.csv`: the leading columns of SPEC §11, then the rest of [`ResultRow`]
/// and the roster's extra columns.
pub fn results_csv(plan: &Plan, roster: &Roster, rows: &[ResultRow]) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        let mut head: Vec<String> = ["unit_id", "status", "valid_ballots", "rejected_ballots", "public_share"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        head.extend(plan.survey.dimensions.iter().map(|d| d.id.clone()));
        head.extend(
            [
                "composite",
                "satisfaction_rate",
                "deduction",
                "final",
                "grade",
                "rank",
                "name",
                "department",
                "kind",
                "rank_department",
                "rank_kind",
                "top",
                "bottom",
                "final_published",
                "ballots_read",
                "note",
                "composite_se",
                "composite_lo",
                "composite_hi",
                "rank_lo",
                "rank_hi",
                "top_on_evidence",
                "bottom_on_evidence",
                "verdict",
                "straight_lining",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        let bonus = plan.has_bonus();
        if bonus {
            head.push("bonus".into());
        }
        let consecutive = plan.ranking.consecutive.is_some();
        if consecutive {
            head.push("consecutive".into());
        }
        let awards = !plan.awards.is_empty();
        if awards {
            head.push("awards".into());
        }
        for g in plan.groups.iter().filter(|g| g.report) {
            head.extend(
                ["valid_ballots", "composite", "satisfaction_rate"]
                    .iter()
                    .map(|c| format!("{}_{c}", g.id)),
            );
        }
        head.extend(roster.extra_columns.iter().map(|c| safe_cell(c)));
        w.write_record(&head)?;
        for (r, u) in rows.iter().zip(&roster.units) {
            let mut rec = vec![
                safe_cell(&r.unit_id),
                r.status.to_string(),
                r.valid_ballots.to_string(),
                r.rejected_ballots.to_string(),
                full(r.public_share),
            ];
            rec.extend(r.dimensions.iter().map(|x| full(*x)));
            rec.extend([
                full(r.composite),
                full(r.satisfaction_rate),
                full(Some(r.deduction)),
                full(r.r#final),
                r.grade.clone().unwrap_or_default(),
                opt_u(r.rank),
                safe_cell(&r.name),
                safe_cell(&r.department),
                safe_cell(&r.kind),
                opt_u(r.rank_department),
                opt_u(r.rank_kind),
                r.top.to_string(),
                r.bottom.to_string(),
                r.final_published.clone().unwrap_or_default(),
                r.ballots_read.to_string(),
                safe_cell(&r.note),
                full(r.composite_se),
                full(r.composite_lo),
                full(r.composite_hi),
                opt_u(r.rank_lo),
                opt_u(r.rank_hi),
                r.top_on_evidence.to_string(),
                r.bottom_on_evidence.to_string(),
                r.verdict.clone().unwrap_or_default(),
                r.straight_lining.to_string(),
            ]);
            if bonus {
                rec.push(full(Some(r.bonus)));
            }
            if consecutive {
                rec.push(r.consecutive.map_or_else(String::new, |c| c.to_string()));
            }
            if awards {
                rec.push(safe_cell(&r.awards.join(";")));
            }
            for g in &r.groups {
                rec.extend([
                    g.valid_ballots.to_string(),
                    full(g.composite),
                    full(g.satisfaction_rate),
                ]);
            }
            rec.extend(u.extra.iter().map(|c| safe_cell(c)));
            w.write_record(&rec)?;
        }
        Ok(())
    })
}

/// `items.csv`: one row per unit × item with counts per option code (columns
/// `n_<code>` over the codes of all scales, empty where the item's scale lacks the
/// code), blanks, scored and satisfied answers, mean and rate.
pub fn items_csv(plan: &Plan, roster: &Roster, outcome: &Outcome) -> Result<Vec<u8>> {
    let s = &plan.survey;
    let mut codes: Vec<&str> = Vec::new();
    for sc in &s.scales {
        for o in &sc.options {
            if !codes.contains(&o.code.as_str()) {
                codes.push(&o.code);
            }
        }
    }
    csv_bytes(|w| {
        let mut head: Vec<String> = ["unit_id", "item_id", "dimension"]
            .iter()
            .map(|x| x.to_string())
            .collect();
        head.extend(codes.iter().map(|c| safe_cell(&format!("n_{c}"))));
        head.extend(
            [
                "blank",
                "abstained",
                "scored",
                "satisfied",
                "mean",
                "rate",
                "rate_lo",
                "rate_hi",
            ]
            .iter()
            .map(|x| x.to_string()),
        );
        w.write_record(&head)?;
        for r in &outcome.units {
            for (i, it) in s.items.iter().enumerate() {
                let sc = &s.scales[it.scale];
                let st = &r.score.items[i];
                let wilson = stats::wilson(st.satisfied, st.scored, stats::LEVEL);
                let mut rec = vec![
                    safe_cell(&roster.units[r.unit].id),
                    it.id.clone(),
                    s.dimensions[it.dimension].id.clone(),
                ];
                rec.extend(codes.iter().map(|c| {
                    sc.option_index(c)
                        .map_or_else(String::new, |o| st.counts[o].to_string())
                }));
                rec.extend([
                    st.blank.to_string(),
                    st.abstained.to_string(),
                    st.scored.to_string(),
                    st.satisfied.to_string(),
                    full(st.mean),
                    full(st.rate),
                    full(wilson.map(|w| w.0)),
                    full(wilson.map(|w| w.1)),
                ]);
                w.write_record(&rec)?;
            }
        }
        Ok(())
    })
}

/// `reliability.csv`: per dimension a row with Cronbach's alpha (item empty), then
/// a row per item with its corrected item–total correlation and alpha if deleted;
/// `flag` says `alpha_below_0.7` or `deleting_raises_alpha`.
pub fn reliability_csv(plan: &Plan, outcome: &Outcome) -> Result<Vec<u8>> {
    let s = &plan.survey;
    csv_bytes(|w| {
        w.write_record([
            "dimension",
            "item",
            "n",
            "alpha",
            "item_total",
            "alpha_if_deleted",
            "flag",
        ])?;
        for (d, (dim, rel)) in s.dimensions.iter().zip(&outcome.reliability).enumerate() {
            let low = rel.alpha.is_some_and(|a| a < 0.7);
            w.write_record([
                dim.id.clone(),
                String::new(),
                rel.n.to_string(),
                full(rel.alpha),
                String::new(),
                String::new(),
                if low { "alpha_below_0.7".into() } else { String::new() },
            ])?;
            for (k, &i) in s.dimensions[d].items.iter().enumerate() {
                let raises = matches!((rel.alpha_if_deleted[k], rel.alpha), (Some(x), Some(a)) if x > a);
                w.write_record([
                    dim.id.clone(),
                    s.items[i].id.clone(),
                    rel.n.to_string(),
                    String::new(),
                    full(rel.item_total[k]),
                    full(rel.alpha_if_deleted[k]),
                    if raises {
                        "deleting_raises_alpha".into()
                    } else {
                        String::new()
                    },
                ])?;
            }
        }
        Ok(())
    })
}

/// `flags.csv`: data-quality flags, reported and never applied (see
/// [`crate::flags`]): `unit_id, rater_id, kind, observed, expected, unusual,
/// detail` (a flag is about a unit or about a rater; the other cell is empty).
pub fn flags_csv(roster: &Roster, outcome: &Outcome) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        w.write_record([
            "unit_id", "rater_id", "kind", "observed", "expected", "unusual", "detail",
        ])?;
        for f in &outcome.flags {
            w.write_record([
                f.unit.map_or_else(String::new, |u| safe_cell(&roster.units[u].id)),
                f.rater.as_deref().map_or_else(String::new, safe_cell),
                f.kind.to_string(),
                full(Some(f.observed)),
                full(Some(f.expected)),
                full(Some(f.unusual)),
                safe_cell(&f.detail),
            ])?;
        }
        Ok(())
    })
}

/// `rejects.csv`: `row, ballot_id, reason, detail, file` (the ballot file the row
/// is in, as named on the command line).
pub fn rejects_csv(outcome: &Outcome) -> Result<Vec<u8>> {
    rejects_table(&outcome.rejects, &outcome.files)
}

/// The `rejects.csv` table of `rejects` whose `file` indexes `files` (also the
/// rejects file beside a tally shard, [`crate::shard::write_rejects`]).
pub fn rejects_table(rejects: &[Reject], files: &[FileSummary]) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        w.write_record(["row", "ballot_id", "reason", "detail", "file"])?;
        for r in rejects {
            let file = files.get(r.file).map_or("", |f| f.path.as_str());
            w.write_record([
                r.row.to_string(),
                safe_cell(&r.ballot_id),
                r.reason.code().into(),
                safe_cell(&r.detail),
                safe_cell(file),
            ])?;
        }
        Ok(())
    })
}

/// `complaint_rejects.csv`: `row, complaint_id, reason, detail`.
pub fn complaint_rejects_csv(outcome: &Outcome) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        w.write_record(["row", "complaint_id", "reason", "detail"])?;
        for r in &outcome.complaints.rejects {
            w.write_record([
                r.row.to_string(),
                safe_cell(&r.complaint_id),
                r.reason.code().into(),
                safe_cell(&r.detail),
            ])?;
        }
        Ok(())
    })
}

#[derive(Serialize)]
struct Json<'a> {
    plan: &'a str,
    survey: &'a str,
    methods: Methods,
    period: [String; 2],
    dimensions: Vec<&'a str>,
    accounting: AccountingJson,
    complaints: ComplaintAccounting,
    files: &'a [crate::ballots::FileSummary],
    units: &'a [ResultRow],
    /// Cronbach's alpha per dimension, in survey order.
    reliability: Vec<ReliabilityJson<'a>>,
    /// Data-quality flags, as in `flags.csv`.
    flags: Vec<FlagJson<'a>>,
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
    kind: &'static str,
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
        composite_interval: "Taylor linearisation over the unit's valid ballots (influence z_b = dC/dw_b, V = n/(n-1) sum (z_b - mean z)^2), normal 95% interval",
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

fn by_reason(a: &Accounting) -> std::collections::BTreeMap<&'static str, u64> {
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
        dimensions: plan.survey.dimensions.iter().map(|d| d.id.as_str()).collect(),
        accounting: AccountingJson {
            read: a.read,
            valid: a.valid,
            rejected: a.rejected,
            unattributed: a.unattributed,
            by_reason: by_reason(a),
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
                kind: f.kind,
                observed: f.observed,
                expected: f.expected,
                unusual: f.unusual,
                detail: &f.detail,
            })
            .collect(),
    };
    let mut v = serde_json::to_vec_pretty(&doc).map_err(|e| Error::from(ErrorKind::Usage(format!("json: {e}"))))?;
    v.push(b'\n');
    Ok(v)
}

/// The accounting in one line, as the command line prints it.
pub fn accounting_line(outcome: &Outcome) -> String {
    let a = &outcome.accounting;
    let reasons: Vec<String> = by_reason(a).iter().map(|(k, n)| format!("{k} {n}")).collect();
    format!(
        "ballots read {} = valid {} + rejected {}{}",
        a.read,
        a.valid,
        a.rejected,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join(", "))
        }
    )
}

/// `report.md`: the human report.
pub fn report_md(plan: &Plan, roster: &Roster, outcome: &Outcome) -> String {
    use std::fmt::Write as _;
    let d = plan.ranking.decimals;
    let pubf = |u: usize| {
        outcome.units[u]
            .placing
            .published
            .map_or_else(String::new, |s| num::steps_text(s, d))
    };
    let pct = |x: Option<f64>| x.map_or_else(String::new, |v| format!("{:.1}%", v * 100.0));
    let grade = |u: usize| {
        outcome.units[u]
            .placing
            .grade
            .map_or_else(String::new, |g| md(plan.grades[g].labels.text()))
    };
    let mut s = String::new();
    let title = md(plan.survey.title.text());
    let _ = writeln!(s, "# {title}\n");
    let _ = writeln!(
        s,
        "Plan `{}`, survey `{}` v{}, period {} – {}.\n",
        md(&plan.id),
        md(&plan.survey.id),
        md(&plan.survey.version),
        plan.period.start,
        plan.period.end
    );
    let _ = writeln!(s, "## Accounting\n\n{}\n", md(&accounting_line(outcome)));
    let ca = complaint_accounting(outcome);
    let _ = writeln!(
        s,
        "Complaints read {} = counted {} + out of period {} + unverified {} + dismissed {} + rejected {}.\n",
        ca.read, ca.counted, ca.out_of_period, ca.unverified, ca.dismissed, ca.rejected
    );
    let listing = outcome.listing();
    let row = |s: &mut String, u: usize| {
        let r = &outcome.units[u];
        let unit = &roster.units[r.unit];
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.placing.rank.map_or_else(String::new, |x| x.to_string()),
            r.rank_set
                .map_or_else(String::new, |s| format!("{}–{}", s.lower, s.upper)),
            md(&unit.id),
            md(&unit.name),
            md(&unit.department),
            pubf(u),
            grade(u),
            pct(r.score.rate),
            r.score.valid
        );
    };
    let head = "| rank | rank 95% set | unit | name | department | final | grade | satisfied | valid ballots |\n|---:|---|---|---|---|---:|---|---:|---:|\n";
    let top: Vec<usize> = listing
        .iter()
        .copied()
        .filter(|&u| outcome.units[u].placing.top)
        .collect();
    let bottom: Vec<usize> = listing
        .iter()
        .copied()
        .filter(|&u| outcome.units[u].placing.bottom)
        .collect();
    let _ = write!(s, "## Front of the list (前{})\n\n{head}", plan.ranking.top_n);
    top.iter().for_each(|&u| row(&mut s, u));
    let _ = write!(s, "\n## Back of the list (后{})\n\n{head}", plan.ranking.bottom_n);
    bottom.iter().for_each(|&u| row(&mut s, u));
    for (a, award) in plan.awards.iter().enumerate() {
        let given: Vec<String> = listing
            .iter()
            .filter(|&&u| outcome.units[u].awards.contains(&a))
            .map(|&u| format!("{}（{}）", md(&roster.units[u].id), md(&roster.units[u].name)))
            .collect();
        let name = [award.zh.as_str(), award.en.as_str(), award.id.as_str()]
            .into_iter()
            .find(|x| !x.is_empty())
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "\n{}: {}",
            md(name),
            if given.is_empty() {
                "none qualified".to_string()
            } else {
                given.join(", ")
            }
        );
    }
    if let Some(rule) = &plan.ranking.consecutive {
        let marked: Vec<String> = listing
            .iter()
            .filter(|&&u| outcome.consecutive.get(u).copied().flatten() == Some(true))
            .map(|&u| md(&roster.units[u].id))
            .collect();
        let name = md(&[rule.zh.as_str(), rule.en.as_str()]
            .iter()
            .filter(|x| !x.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" / "));
        let side = match rule.side {
            crate::plan::Side::Top => "front",
            crate::plan::Side::Bottom => "back",
        };
        let _ = writeln!(
            s,
            "\n{} ({side} of the list {} periods running): {}",
            if name.is_empty() {
                "Consecutive-period mark".to_string()
            } else {
                name
            },
            rule.periods,
            if outcome.consecutive.iter().all(Option::is_none) {
                "not decided: too few earlier results were given (--previous)".to_string()
            } else if marked.is_empty() {
                "none".to_string()
            } else {
                marked.join(", ")
            }
        );
    }
    let ranked = listing.len() as u64;
    let unsure_top: Vec<String> = top
        .iter()
        .filter(|&&u| outcome.units[u].rank_set.is_some_and(|r| r.upper > plan.ranking.top_n))
        .map(|&u| md(&roster.units[u].id))
        .collect();
    let unsure_bottom: Vec<String> = bottom
        .iter()
        .filter(|&&u| {
            outcome.units[u]
                .rank_set
                .is_some_and(|r| r.lower + plan.ranking.bottom_n <= ranked)
        })
        .map(|&u| md(&roster.units[u].id))
        .collect();
    let _ = writeln!(
        s,
        "\nOn the evidence (95% rank sets, Mogstad et al. 2023): {} of the front {} and {} of the back {} \
         could also rank outside the cut{}{}.",
        unsure_top.len(),
        top.len(),
        unsure_bottom.len(),
        bottom.len(),
        if unsure_top.is_empty() {
            String::new()
        } else {
            format!("; front: {}", unsure_top.join(", "))
        },
        if unsure_bottom.is_empty() {
            String::new()
        } else {
            format!("; back: {}", unsure_bottom.join(", "))
        },
    );
    let _ = write!(s, "\n## Ranking ({} units)\n\n{head}", listing.len());
    listing.iter().for_each(|&u| row(&mut s, u));
    let not_ranked: Vec<usize> = (0..outcome.units.len())
        .filter(|&u| outcome.units[u].status != UnitStatus::Ranked)
        .collect();
    let _ = writeln!(
        s,
        "\n## Not ranked ({} units)\n\n| unit | name | status | final | grade | why |\n|---|---|---|---:|---|---|",
        not_ranked.len()
    );
    for u in not_ranked {
        let r = &outcome.units[u];
        let unit = &roster.units[r.unit];
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            md(&unit.id),
            md(&unit.name),
            r.status.code(),
            pubf(u),
            grade(u),
            md(&r.why_not_ranked())
        );
    }
    let _ = writeln!(
        s,
        "\n## Reliability (Cronbach's alpha, listwise)\n\n| dimension | ballots | alpha | note |\n|---|---:|---:|---|"
    );
    for (dim, rel) in plan.survey.dimensions.iter().zip(&outcome.reliability) {
        let weak: Vec<String> = dim
            .items
            .iter()
            .enumerate()
            .filter(|(k, _)| matches!((rel.alpha_if_deleted[*k], rel.alpha), (Some(x), Some(a)) if x > a))
            .map(|(_, &i)| md(&plan.survey.items[i].id))
            .collect();
        let mut note = Vec::new();
        if rel.alpha.is_some_and(|a| a < 0.7) {
            note.push("below 0.7".to_string());
        }
        if !weak.is_empty() {
            note.push(format!("deleting {} raises alpha", weak.join(", ")));
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            md(dim.labels.text()),
            rel.n,
            rel.alpha.map_or_else(String::new, |a| format!("{a:.3}")),
            note.join("; ")
        );
    }
    let _ = writeln!(
        s,
        "\n## Data-quality flags ({}; reported, not applied)\n",
        outcome.flags.len()
    );
    for f in &outcome.flags {
        let subject = match (f.unit, &f.rater) {
            (Some(u), _) => roster.units[u].id.as_str(),
            (None, Some(r)) => r.as_str(),
            (None, None) => "",
        };
        let _ = writeln!(s, "- {} {}: {}", md(subject), f.kind, md(&f.detail));
    }
    let _ = writeln!(
        s,
        "\nGrades: {}.",
        plan.grades
            .iter()
            .map(|g| {
                let q = g
                    .max_share
                    .map_or_else(String::new, |m| format!(", at most {}% of ranked units", m * 100.0));
                format!("{} ≥ {}{}", md(g.labels.text()), g.min, q)
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
    s
}

/// Every output file of a run, as (file name, contents).
pub fn render_all(plan: &Plan, roster: &Roster, outcome: &Outcome) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let rows = result_rows(plan, roster, outcome);
    Ok(vec![
        ("results.csv", results_csv(plan, roster, &rows)?),
        ("results.json", results_json(plan, outcome, &rows)?),
        ("items.csv", items_csv(plan, roster, outcome)?),
        ("rejects.csv", rejects_csv(outcome)?),
        ("complaint_rejects.csv", complaint_rejects_csv(outcome)?),
        ("reliability.csv", reliability_csv(plan, outcome)?),
        ("flags.csv", flags_csv(roster, outcome)?),
        ("report.md", report_md(plan, roster, outcome).into_bytes()),
    ])
}

/// Writes files into `dir` (created if missing) all-or-nothing per file: each is
/// written to a temporary file beside its target, and all are renamed into place
/// only after every one was written and synced.
pub fn write_atomic(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<Vec<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        return Err(ErrorKind::Usage(format!(
            "--out {} is a file, not a folder; name a folder",
            dir.display()
        ))
        .into());
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut staged = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let target = dir.join(name);
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .tempfile_in(dir)
            .map_err(|e| Error::io(&target, e))?;
        tmp.write_all(bytes)
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(|e| Error::io(&target, e))?;
        staged.push((tmp, target));
    }
    let mut written = Vec::with_capacity(staged.len());
    for (tmp, target) in staged {
        tmp.persist(&target).map_err(|e| Error::io(&target, e.error))?;
        written.push(target);
    }
    Ok(written)
}

/// Streams one output file atomically: `fill` writes into a buffered temporary
/// file beside `path`, which is synced and renamed onto `path` only when `fill`
/// succeeds. For outputs too large to build in memory (simulated campaigns).
pub fn write_stream<T>(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".appraise.")
        .tempfile_in(dir)
        .map_err(|e| Error::io(path, e))?;
    let mut buf = std::io::BufWriter::new(tmp);
    let value = fill(&mut buf)?;
    let tmp = buf.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_but_numbers_are_not() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("-3.5"), "-3.5");
        assert_eq!(safe_cell("+7"), "+7");
        assert_eq!(safe_cell("-x"), "'-x");
        assert_eq!(safe_cell("\tcmd"), "'\tcmd");
        assert_eq!(safe_cell("U001"), "U001");
    }

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(md("<script>|x*"), "&lt;script&gt;\\|x\\*");
        assert_eq!(md("a\nb"), "a b");
    }

    #[test]
    fn atomic_write_replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), &[("a.csv", b"old".to_vec())]).unwrap();
        write_atomic(dir.path(), &[("a.csv", b"new".to_vec()), ("b.csv", b"b".to_vec())]).unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.csv")).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file is left behind: {names:?}");
        let file = dir.path().join("a.csv");
        assert!(write_atomic(&file, &[]).is_err());
    }
}
