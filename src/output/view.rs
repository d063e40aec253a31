//! What the HTML report shows, already computed: a plain data structure
//! ([`ReportView`]) filled by [`report_view`] from the `Outcome`, plan and roster.
//! The renderer (`report_html`) does no statistics; it only
//! orders, rounds and draws what is here.
//!
//! Numbers are raw (`f64`, scores 0–100, rates and shares as fractions 0–1); the
//! renderer rounds them to [`ReportView::decimals`] for text and shows `—` for
//! `None` and for any value that is not finite. Text is as it came from the inputs:
//! the renderer escapes all of it.

pub use crate::rules::plan::Language;

use crate::judge::ballots::Reason;
use crate::num;
use crate::output::labels::{self, Key, label};
use crate::output::results_json::complaint_accounting;
use crate::rules::plan::{Plan, Side};
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;
use crate::score::result::UnitStatus;
use crate::score::stats::{LEVEL, wilson};

/// Everything the report page shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportView {
    /// Language of the page.
    pub lang: Language,
    /// Campaign title, e.g. 蔡甸区2010年群众满意基层站所评议.
    pub title: String,
    /// First day of the period, as text (e.g. `2010-01-01`).
    pub period_start: String,
    /// Last day of the period, as text.
    pub period_end: String,
    /// Where the figures come from, in words (plan, survey, files, version).
    pub generated_from: String,
    /// Decimals of scores in text (the plan's `ranking.decimals`). Percentages are
    /// shown with one decimal.
    pub decimals: u32,
    /// The plan's `top_n` (前三 when 3, else 前N名).
    pub top_n: u64,
    /// The plan's `bottom_n` (后三 when 3, else 后N名).
    pub bottom_n: u64,
    /// Units ranked.
    pub units_ranked: u64,
    /// Units on the roster.
    pub units_on_roster: u64,
    /// Ballot accounting: read = valid + rejected.
    pub ballots: BallotAccounting,
    /// Complaint accounting.
    pub complaints: ComplaintAccounting,
    /// Things a person must look at (shown prominently when non-empty).
    pub attention: Vec<String>,
    /// Grade bands, highest first.
    pub grades: Vec<GradeBand>,
    /// Dimensions in survey order; [`UnitView::dimensions`] is aligned with it.
    pub dimensions: Vec<DimensionView>,
    /// Every roster unit. Ranked units are shown in rank order (ties kept in the
    /// order given here, which should be the listing order); unranked ones follow
    /// in the order given.
    pub units: Vec<UnitView>,
    /// Satisfaction rate per department, in the order to show (the renderer sorts
    /// the chart by rate, highest first).
    pub departments: Vec<DepartmentRate>,
    /// Reliability per dimension, survey order.
    pub reliability: Vec<ReliabilityView>,
    /// Data-quality flags of the campaign, in plain words (reported, not applied).
    pub flags: Vec<String>,
    /// How the figures were computed.
    pub methods: Vec<Method>,
    /// The tables of SPEC §15 (诫勉谈话, self-assessment, 摘牌), when the plan has
    /// those rules: [`crate::output::people::people_tables`].
    pub people: Vec<crate::output::people::TableView>,
}

/// Ballots read = valid + rejected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BallotAccounting {
    /// Ballot rows read.
    pub read: u64,
    /// Valid ballots (有效票).
    pub valid: u64,
    /// Rejected ballots (无效票).
    pub rejected: u64,
    /// Rejected ballots naming no roster unit.
    pub unattributed: u64,
    /// Rejected ballots by reason (reasons with a count of 0 may be left out).
    pub by_reason: Vec<ReasonCount>,
}

/// Rejected ballots of one reason.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReasonCount {
    /// Reason code as in `rejects.csv`, e.g. `duplicate`.
    pub code: String,
    /// The reason in words, e.g. 重复投票.
    pub label: String,
    /// How many.
    pub count: u64,
}

/// Complaints read = counted + out of period + unverified + dismissed + rejected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ComplaintAccounting {
    /// Complaint rows read.
    pub read: u64,
    /// Verified complaints in the period.
    pub counted: u64,
    /// Rejected rows.
    pub rejected: u64,
    /// Counted complaints that deducted points (not veto-only, not 0 points).
    pub deducting: u64,
    /// Verified complaints outside the period.
    pub out_of_period: u64,
    /// Unverified complaints.
    pub unverified: u64,
    /// Dismissed complaints.
    pub dismissed: u64,
}

/// A grade band (等次).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GradeBand {
    /// Id, e.g. `excellent`.
    pub id: String,
    /// Label, e.g. 优秀.
    pub label: String,
    /// Lowest published final score of the band.
    pub min: f64,
}

/// A dimension (评议内容).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DimensionView {
    /// Id, e.g. `integrity`.
    pub id: String,
    /// Label, e.g. 廉政建设.
    pub label: String,
    /// Median of the ranked units' scores on the dimension (`None` if none).
    pub median: Option<f64>,
}

/// The status of a unit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusView {
    /// Code as in `results.csv`: `ranked`, `vetoed`, `panel_short`, `too_few_ballots`,
    /// `excluded`, `void`, `incomplete`.
    pub code: String,
    /// The status in words, e.g. 一票否决.
    pub label: String,
    /// Whether the unit is ranked.
    pub ranked: bool,
}

/// One roster unit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitView {
    /// Unit id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Department (主管部门).
    pub department: String,
    /// Kind (站所, 窗口, 科室 …).
    pub kind: String,
    /// Status.
    pub status: StatusView,
    /// Rank (ranked units only).
    pub rank: Option<u64>,
    /// Final score `F`.
    pub final_score: Option<f64>,
    /// Published final score, already rounded by the engine (e.g. `90.13`).
    pub published: Option<String>,
    /// Grade label, e.g. 优秀.
    pub grade: Option<String>,
    /// Among the first `top_n` (前三).
    pub top: bool,
    /// Among the last `bottom_n` (后三).
    pub bottom: bool,
    /// Labels of the awards received, e.g. 红旗窗口.
    pub awards: Vec<String>,
    /// The consecutive-period mark's label when the unit carries it (e.g. 黄牌).
    pub consecutive: Option<String>,
    /// Composite `C`.
    pub composite: Option<f64>,
    /// Lower end of the composite's 95% interval (may lie outside 0–100).
    pub composite_lo: Option<f64>,
    /// Upper end of the composite's 95% interval.
    pub composite_hi: Option<f64>,
    /// Best rank of the 95% rank confidence set.
    pub rank_lo: Option<u64>,
    /// Worst rank of the 95% rank confidence set.
    pub rank_hi: Option<u64>,
    /// Dimension scores, aligned with [`ReportView::dimensions`].
    pub dimensions: Vec<Option<f64>>,
    /// Satisfaction rate (满意率), 0–1.
    pub rate: Option<f64>,
    /// Deduction `X`.
    pub deduction: f64,
    /// Bonus.
    pub bonus: f64,
    /// Verified complaints in the period.
    pub complaints_counted: u64,
    /// Valid ballots.
    pub valid_ballots: u64,
    /// Ballot rows read for the unit (valid + rejected).
    pub ballots_read: u64,
    /// Per-item satisfaction rates.
    pub items: Vec<ItemRate>,
    /// Share of valid ballots per rater group.
    pub groups: Vec<GroupShare>,
    /// Data-quality flags about the unit, in plain words.
    pub flags: Vec<String>,
    /// Why the unit is not ranked (empty when ranked).
    pub why_not_ranked: String,
}

/// One item's satisfaction rate for a unit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemRate {
    /// Item label (the question, short).
    pub label: String,
    /// The item's dimension label.
    pub dimension: String,
    /// Satisfaction rate, 0–1.
    pub rate: Option<f64>,
    /// Lower end of the Wilson 95% interval.
    pub lo: Option<f64>,
    /// Upper end of the Wilson 95% interval.
    pub hi: Option<f64>,
    /// Scored answers (the denominator).
    pub n: u64,
}

/// A rater group's share of a unit's valid ballots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupShare {
    /// Group label, e.g. 群众代表.
    pub label: String,
    /// Share, 0–1.
    pub share: Option<f64>,
}

/// A department's pooled satisfaction rate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DepartmentRate {
    /// Department.
    pub department: String,
    /// Satisfaction rate, 0–1.
    pub rate: Option<f64>,
    /// Lower end of the Wilson 95% interval.
    pub lo: Option<f64>,
    /// Upper end of the Wilson 95% interval.
    pub hi: Option<f64>,
    /// Valid ballots of the department's units.
    pub ballots: u64,
}

/// Cronbach's alpha of one dimension.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReliabilityView {
    /// Dimension label.
    pub label: String,
    /// Alpha (`None` when it cannot be computed).
    pub alpha: Option<f64>,
    /// Ballots it was computed over (listwise).
    pub n: u64,
}

/// How one figure was computed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Method {
    /// What, e.g. 满意率区间.
    pub name: String,
    /// How, in words.
    pub text: String,
    /// Reference (author, year), or empty.
    pub reference: String,
}

/// Clamps a score to the scale, 0–100 (a composite interval may reach past it).
fn on_scale(x: f64) -> f64 {
    x.clamp(0.0, 100.0)
}

/// The median of the finite values, or `None` when there is none.
fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The name of a unit flag's or rater flag's subject.
fn flag_subject<'a>(roster: &'a Roster, f: &'a crate::score::flags::Flag) -> &'a str {
    match (f.unit, &f.rater) {
        (Some(u), _) => roster.units.get(u).map_or("", |x| x.name.as_str()),
        (None, Some(r)) => r.as_str(),
        (None, None) => "",
    }
}

/// Every line of the attention list a person reads, in order: what changed or
/// may have changed a result (the run's [`Outcome::attention`]: lost complaints,
/// units without ballots, reject reasons above 10%, a missing complaints file),
/// then what the ranking itself asks to look at ([`attention_list`]).
pub fn attention_lines(plan: &Plan, roster: &Roster, outcome: &Outcome) -> Vec<String> {
    outcome
        .attention
        .iter()
        .map(|a| a.text(plan.language))
        .chain(attention_list(plan, roster, outcome))
        .collect()
}

/// What a person must look at, in the plan's language: vetoed and void units,
/// dimensions with Cronbach's alpha below 0.7, a consecutive-period mark left
/// undecided, and units at the front or back of the list whose 95% rank set
/// reaches past the cut (not there on the evidence).
pub fn attention_list(plan: &Plan, roster: &Roster, outcome: &Outcome) -> Vec<String> {
    let lang = plan.language;
    let sep = labels::comma(lang);
    let names = |status: UnitStatus| -> Vec<String> {
        outcome
            .units
            .iter()
            .filter(|r| r.status == status)
            .filter_map(|r| roster.units.get(r.unit))
            .map(|u| u.name.clone())
            .collect()
    };
    let mut out = Vec::new();
    let mut push = |head: &str, items: Vec<String>| {
        if !items.is_empty() {
            out.push(format!("{head}{}{}", labels::colon(lang), items.join(sep)));
        }
    };
    push(label(lang, Key::AttentionVetoed), names(UnitStatus::Vetoed));
    push(label(lang, Key::AttentionVoid), names(UnitStatus::Void));
    push(
        label(lang, Key::AttentionAlpha),
        plan.survey
            .dimensions
            .iter()
            .zip(&outcome.reliability)
            .filter_map(|(d, r)| {
                r.alpha
                    .filter(|a| *a < 0.7)
                    .map(|a| format!("{} α = {a:.3}", lang.pick(&d.labels)))
            })
            .collect(),
    );
    let listing = outcome.listing();
    let ranked = listing.len() as u64;
    let unsure = |side: Side| -> Vec<String> {
        listing
            .iter()
            .filter(|&&u| {
                let r = &outcome.units[u];
                match side {
                    Side::Top => r.placing.top && r.rank_set.is_some_and(|s| s.upper > plan.ranking.top_n),
                    Side::Bottom => {
                        r.placing.bottom && r.rank_set.is_some_and(|s| s.lower + plan.ranking.bottom_n <= ranked)
                    }
                }
            })
            .filter_map(|&u| roster.units.get(outcome.units[u].unit))
            .map(|u| u.name.clone())
            .collect()
    };
    push(
        &labels::unsure_on_evidence(lang, &labels::front_mark(lang, plan.ranking.top_n)),
        unsure(Side::Top),
    );
    push(
        &labels::unsure_on_evidence(lang, &labels::back_mark(lang, plan.ranking.bottom_n)),
        unsure(Side::Bottom),
    );
    if let Some(rule) = &plan.ranking.consecutive
        && !outcome.units.is_empty()
        && outcome.consecutive.iter().all(Option::is_none)
    {
        let name = lang.pick_str(&rule.zh, &rule.en);
        let name = if name.is_empty() {
            label(lang, Key::ConsecutiveMark)
        } else {
            name
        };
        out.push(format!(
            "{name}{}{}",
            labels::colon(lang),
            label(lang, Key::ConsecutiveUndecided)
        ));
    }
    out
}

/// The view of a scored campaign: everything `report.html` shows,
/// computed here (medians, department rates and Wilson intervals, item intervals,
/// group shares, texts in the plan's language). `attention` is the list of things
/// a person must look at ([`attention_list`], or a richer one).
pub fn report_view(plan: &Plan, roster: &Roster, outcome: &Outcome, attention: &[String]) -> ReportView {
    let lang = plan.language;
    let listing = outcome.listing();
    let d = plan.ranking.decimals;
    let a = &outcome.accounting;
    let ca = complaint_accounting(outcome);
    let ranked = |s: UnitStatus| s == UnitStatus::Ranked;
    let dimensions = plan
        .survey
        .dimensions
        .iter()
        .enumerate()
        .map(|(k, dim)| DimensionView {
            id: dim.id.clone(),
            label: lang.pick(&dim.labels).to_string(),
            median: median(
                listing
                    .iter()
                    .filter_map(|&u| outcome.units[u].score.dimensions.get(k).copied().flatten())
                    .collect(),
            ),
        })
        .collect();
    let mut unit_flags: Vec<Vec<String>> = vec![Vec::new(); outcome.units.len()];
    for f in &outcome.flags {
        if let Some(u) = f.unit
            && let Some(list) = unit_flags.get_mut(u)
        {
            list.push(labels::flag_text(lang, f, ""));
        }
    }
    let order: Vec<usize> = listing
        .iter()
        .copied()
        .chain((0..outcome.units.len()).filter(|u| !listing.contains(u)))
        .collect();
    let units = order
        .iter()
        .filter_map(|&u| {
            let r = outcome.units.get(u)?;
            let unit = roster.units.get(r.unit)?;
            let valid = r.score.valid;
            Some(UnitView {
                id: unit.id.clone(),
                name: unit.name.clone(),
                department: unit.department.clone(),
                kind: unit.kind.clone(),
                status: StatusView {
                    code: r.status.code().into(),
                    label: labels::status_key(r.status.code()).map_or_else(String::new, |k| label(lang, k).into()),
                    ranked: ranked(r.status),
                },
                rank: r.placing.rank,
                final_score: r.final_score,
                published: r.placing.published.map(|s| num::steps_text(s, d)),
                grade: r
                    .placing
                    .grade
                    .and_then(|g| plan.grades.get(g))
                    .map(|g| lang.pick(&g.labels).to_string()),
                top: r.placing.top,
                bottom: r.placing.bottom,
                awards: r
                    .awards
                    .iter()
                    .filter_map(|&k| plan.awards.get(k))
                    .map(|aw| {
                        let name = lang.pick_str(&aw.zh, &aw.en);
                        if name.is_empty() {
                            aw.id.clone()
                        } else {
                            name.to_string()
                        }
                    })
                    .collect(),
                consecutive: match (&plan.ranking.consecutive, outcome.consecutive.get(u)) {
                    (Some(rule), Some(Some(true))) => {
                        let name = lang.pick_str(&rule.zh, &rule.en);
                        Some(if name.is_empty() {
                            label(lang, Key::ConsecutiveMark).to_string()
                        } else {
                            name.to_string()
                        })
                    }
                    _ => None,
                },
                composite: r.score.composite,
                composite_lo: r.composite_ci.map(|(lo, _)| on_scale(lo)),
                composite_hi: r.composite_ci.map(|(_, hi)| on_scale(hi)),
                rank_lo: r.rank_set.map(|s| s.lower),
                rank_hi: r.rank_set.map(|s| s.upper),
                dimensions: r.score.dimensions.clone(),
                rate: r.score.rate,
                deduction: r.complaints.deduction,
                bonus: r.complaints.bonus,
                complaints_counted: r.complaints.counted,
                valid_ballots: valid,
                ballots_read: r.read,
                items: plan
                    .survey
                    .items
                    .iter()
                    .zip(&r.score.items)
                    .map(|(item, s)| {
                        let ci = wilson(s.satisfied, s.scored, LEVEL);
                        ItemRate {
                            label: lang.pick(&item.labels).to_string(),
                            dimension: plan
                                .survey
                                .dimensions
                                .get(item.dimension)
                                .map_or_else(String::new, |d| lang.pick(&d.labels).to_string()),
                            rate: s.rate,
                            lo: ci.map(|c| c.0),
                            hi: ci.map(|c| c.1),
                            n: s.scored,
                        }
                    })
                    .collect(),
                groups: plan
                    .groups
                    .iter()
                    .zip(&r.score.valid_by_group)
                    .map(|(g, &n)| GroupShare {
                        label: {
                            let l = lang.pick(&g.labels);
                            if l.is_empty() { g.id.clone() } else { l.to_string() }
                        },
                        share: (valid > 0).then(|| n as f64 / valid as f64),
                    })
                    .collect(),
                flags: unit_flags.get(u).cloned().unwrap_or_default(),
                why_not_ranked: labels::why_not_ranked(lang, plan, r),
            })
        })
        .collect();
    // Departments in roster order of first appearance, pooled over ranked units.
    let mut departments: Vec<(String, u64, u64, u64)> = Vec::new();
    for r in outcome.units.iter().filter(|r| ranked(r.status)) {
        let Some(unit) = roster.units.get(r.unit) else {
            continue;
        };
        let k = match departments.iter().position(|x| x.0 == unit.department) {
            Some(k) => k,
            None => {
                departments.push((unit.department.clone(), 0, 0, 0));
                departments.len() - 1
            }
        };
        departments[k].1 += r.score.satisfied;
        departments[k].2 += r.score.scored;
        departments[k].3 += r.score.valid;
    }
    let departments = departments
        .into_iter()
        .map(|(department, sat, scored, ballots)| {
            let ci = wilson(sat, scored, LEVEL);
            DepartmentRate {
                department,
                rate: (scored > 0).then(|| sat as f64 / scored as f64),
                lo: ci.map(|c| c.0),
                hi: ci.map(|c| c.1),
                ballots,
            }
        })
        .collect();
    ReportView {
        people: crate::output::people::people_tables(plan, roster, outcome),
        lang,
        title: lang.pick(&plan.survey.title).to_string(),
        period_start: plan.period.start.to_string(),
        period_end: plan.period.end.to_string(),
        generated_from: format!(
            "{} {}{}{} {} {} {}{}appraise {}",
            label(lang, Key::PlanLine),
            plan.id,
            labels::comma(lang),
            label(lang, Key::Survey),
            plan.survey.id,
            label(lang, Key::Version),
            plan.survey.version,
            labels::comma(lang),
            env!("CARGO_PKG_VERSION")
        ),
        decimals: d,
        top_n: plan.ranking.top_n,
        bottom_n: plan.ranking.bottom_n,
        units_ranked: listing.len() as u64,
        units_on_roster: roster.len() as u64,
        ballots: BallotAccounting {
            read: a.read,
            valid: a.valid,
            rejected: a.rejected,
            unattributed: a.unattributed,
            by_reason: Reason::ALL
                .iter()
                .map(|r| ReasonCount {
                    code: r.code().into(),
                    label: labels::reason_key(r.code()).map_or_else(String::new, |k| label(lang, k).into()),
                    count: a.by_reason[r.index()],
                })
                .filter(|r| r.count > 0)
                .collect(),
        },
        complaints: ComplaintAccounting {
            read: ca.read,
            counted: ca.counted,
            rejected: ca.rejected,
            deducting: outcome.complaints.units.iter().map(|u| u.deducting).sum(),
            out_of_period: ca.out_of_period,
            unverified: ca.unverified,
            dismissed: ca.dismissed,
        },
        attention: attention.to_vec(),
        grades: plan
            .grades
            .iter()
            .map(|g| GradeBand {
                id: g.id.clone(),
                label: lang.pick(&g.labels).to_string(),
                min: g.min,
            })
            .collect(),
        dimensions,
        units,
        departments,
        reliability: plan
            .survey
            .dimensions
            .iter()
            .zip(&outcome.reliability)
            .map(|(dim, r)| ReliabilityView {
                label: lang.pick(&dim.labels).to_string(),
                alpha: r.alpha,
                n: r.n,
            })
            .collect(),
        flags: outcome
            .flags
            .iter()
            .map(|f| labels::flag_text(lang, f, flag_subject(roster, f)))
            .collect(),
        methods: labels::methods(lang)
            .into_iter()
            .map(|(name, text, reference)| Method {
                name: name.into(),
                text: text.into(),
                reference: reference.into(),
            })
            .collect(),
    }
}
