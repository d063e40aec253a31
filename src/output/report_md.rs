//! `report.md`: the human report in Markdown, in the plan's language (the words of
//! [`crate::output::labels`]). Input text is escaped for Markdown
//! ([`crate::cell::md`]); the report's own sentences use no character that needs it,
//! and numbers in them are rounded (scores to the plan's decimals, shares as
//! percentages).

use crate::cell::md;
use crate::num::{self};
use crate::output::labels::{self, Key, back_mark, front_mark, label, paren, percent};
use crate::output::results_json::{by_reason, complaint_accounting};
use crate::rules::plan::{Language, Plan, Side};
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;
use crate::score::result::UnitStatus;

/// The ballot accounting in one line, in `lang`, as the command line prints it:
/// read = valid + rejected, with the rejects by reason.
pub fn accounting_line(outcome: &Outcome, lang: Language) -> String {
    let a = &outcome.accounting;
    let reasons: Vec<String> = by_reason(a)
        .iter()
        .map(|(k, n)| {
            let name = labels::reason_key(k).map_or(*k, |key| label(lang, key));
            format!("{name} {n}")
        })
        .collect();
    // Self-assessment ballots (SPEC §15) are valid but in no unit's public count.
    let own = if a.self_assessed > 0 {
        paren(
            lang,
            &format!(
                "{} {} {}",
                label(lang, Key::Of),
                label(lang, Key::SelfBallots),
                a.self_assessed
            ),
        )
    } else {
        String::new()
    };
    format!(
        "{} {} = {} {}{own} + {} {}{}",
        label(lang, Key::BallotsRead),
        a.read,
        label(lang, Key::ValidBallots),
        a.valid,
        label(lang, Key::RejectedBallots),
        a.rejected,
        if reasons.is_empty() {
            String::new()
        } else {
            paren(lang, &reasons.join(labels::comma(lang)))
        }
    )
}

/// The complaint accounting in one line, in `lang`: read = counted + out of period
/// + unverified + dismissed + rejected.
pub fn complaint_line(outcome: &Outcome, lang: Language) -> String {
    let ca = complaint_accounting(outcome);
    let t = |k| label(lang, k);
    format!(
        "{} {} = {} {} + {} {} + {} {} + {} {} + {} {}",
        t(Key::ComplaintsRead),
        ca.read,
        t(Key::ComplaintsCounted),
        ca.counted,
        t(Key::OutOfPeriod),
        ca.out_of_period,
        t(Key::Unverified),
        ca.unverified,
        t(Key::Dismissed),
        ca.dismissed,
        t(Key::ComplaintsRejected),
        ca.rejected
    )
}

/// `report.md`: the human report.
pub fn report_md(plan: &Plan, roster: &Roster, outcome: &Outcome) -> String {
    use std::fmt::Write as _;
    let lang = plan.language;
    let t = |k| label(lang, k);
    let zh = lang == Language::Zh;
    let colon = labels::colon(lang);
    let sep = labels::comma(lang);
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
            .map_or_else(String::new, |g| md(lang.pick(&plan.grades[g].labels)))
    };
    let mut s = String::new();
    let title = md(lang.pick(&plan.survey.title));
    let _ = writeln!(s, "# {title}\n");
    let _ = writeln!(
        s,
        "{} `{}`{sep}{} `{}` {} {}{sep}{}{colon}{} – {}\n",
        t(Key::PlanLine),
        md(&plan.id),
        t(Key::Survey),
        md(&plan.survey.id),
        t(Key::Version),
        md(&plan.survey.version),
        t(Key::Period),
        plan.period.start,
        plan.period.end
    );
    let attention = crate::output::view::attention_lines(plan, roster, outcome);
    if !attention.is_empty() {
        let _ = writeln!(s, "## {}\n", t(Key::Attention));
        for a in &attention {
            let _ = writeln!(s, "- {}", md(a));
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "## {}\n\n{}\n",
        t(Key::Accounting),
        md(&accounting_line(outcome, lang))
    );
    let _ = writeln!(s, "{}\n", complaint_line(outcome, lang));
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
    let head = format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n|---:|---|---|---|---|---:|---|---:|---:|\n",
        t(Key::Rank),
        t(Key::RankSet),
        t(Key::UnitId),
        t(Key::Unit),
        t(Key::Department),
        t(Key::FinalScore),
        t(Key::Grade),
        t(Key::SatisfactionRate),
        t(Key::ValidBallots)
    );
    let (top, bottom) = outcome.front_and_back();
    let front = front_mark(lang, plan.ranking.top_n);
    let back = back_mark(lang, plan.ranking.bottom_n);
    let _ = write!(s, "## {}{}\n\n{head}", t(Key::FrontOfList), paren(lang, &front));
    top.iter().for_each(|&u| row(&mut s, u));
    let _ = write!(s, "\n## {}{}\n\n{head}", t(Key::BackOfList), paren(lang, &back));
    bottom.iter().for_each(|&u| row(&mut s, u));
    for (a, award) in plan.awards.iter().enumerate() {
        let given: Vec<String> = listing
            .iter()
            .filter(|&&u| outcome.units[u].awards.contains(&a))
            .map(|&u| format!("{}（{}）", md(&roster.units[u].id), md(&roster.units[u].name)))
            .collect();
        let name = lang.pick_str(&award.zh, &award.en);
        let name = if name.is_empty() { award.id.as_str() } else { name };
        let _ = writeln!(
            s,
            "\n{}{colon}{}",
            md(name),
            if given.is_empty() {
                t(Key::NoneQualified).to_string()
            } else {
                given.join(sep)
            }
        );
    }
    if let Some(rule) = &plan.ranking.consecutive {
        let marked: Vec<String> = listing
            .iter()
            .filter(|&&u| outcome.consecutive.get(u).copied().flatten() == Some(true))
            .map(|&u| md(&roster.units[u].id))
            .collect();
        let name = md(lang.pick_str(&rule.zh, &rule.en));
        let side = match rule.side {
            Side::Top => t(Key::SideFront),
            Side::Bottom => t(Key::SideBack),
        };
        let running = if zh {
            format!("连续{}期{side}", rule.periods)
        } else {
            format!("{side} {} {}", rule.periods, t(Key::PeriodsRunning))
        };
        let _ = writeln!(
            s,
            "\n{}{}{colon}{}",
            if name.is_empty() {
                t(Key::ConsecutiveMark).to_string()
            } else {
                name
            },
            paren(lang, &running),
            if outcome.consecutive.iter().all(Option::is_none) {
                t(Key::ConsecutiveUndecided).to_string()
            } else if marked.is_empty() {
                t(Key::NoneText).to_string()
            } else {
                marked.join(sep)
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
    let list = |v: &[String]| {
        if v.is_empty() {
            String::new()
        } else {
            format!("{colon}{}", v.join(sep))
        }
    };
    if zh {
        let _ = writeln!(
            s,
            "\n{}{colon}{front} {} 个单位中 {} 个、{back} {} 个单位中 {} 个的名次也可能落在此范围之外{}{}。",
            t(Key::OnTheEvidence),
            top.len(),
            unsure_top.len(),
            bottom.len(),
            unsure_bottom.len(),
            if unsure_top.is_empty() {
                String::new()
            } else {
                format!("；{front}{}", list(&unsure_top))
            },
            if unsure_bottom.is_empty() {
                String::new()
            } else {
                format!("；{back}{}", list(&unsure_bottom))
            },
        );
    } else {
        let _ = writeln!(
            s,
            "\n{}: {} of the front {} and {} of the back {} could also rank outside the cut{}{}.",
            t(Key::OnTheEvidence),
            unsure_top.len(),
            top.len(),
            unsure_bottom.len(),
            bottom.len(),
            if unsure_top.is_empty() {
                String::new()
            } else {
                format!("; front{}", list(&unsure_top))
            },
            if unsure_bottom.is_empty() {
                String::new()
            } else {
                format!("; back{}", list(&unsure_bottom))
            },
        );
    }
    let count = |n: usize| format!("{n}{}", t(Key::UnitsCount));
    let _ = write!(
        s,
        "\n## {}{}\n\n{head}",
        t(Key::Ranking),
        paren(lang, &count(listing.len()))
    );
    listing.iter().for_each(|&u| row(&mut s, u));
    let not_ranked: Vec<usize> = (0..outcome.units.len())
        .filter(|&u| outcome.units[u].status != UnitStatus::Ranked)
        .collect();
    let _ = writeln!(
        s,
        "\n## {}{}\n\n| {} | {} | {} | {} | {} | {} |\n|---|---|---|---:|---|---|",
        t(Key::Unranked),
        paren(lang, &count(not_ranked.len())),
        t(Key::UnitId),
        t(Key::Unit),
        t(Key::Status),
        t(Key::FinalScore),
        t(Key::Grade),
        t(Key::WhyNotRanked)
    );
    for u in not_ranked {
        let r = &outcome.units[u];
        let unit = &roster.units[r.unit];
        let status = labels::status_key(r.status.code()).map_or(r.status.code(), |k| label(lang, k));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            md(&unit.id),
            md(&unit.name),
            status,
            pubf(u),
            grade(u),
            md(&labels::why_not_ranked(lang, plan, r))
        );
    }
    s.push_str(&crate::output::people::people_md(plan, roster, outcome));
    // SPEC §14: score components and ledgers, only when the plan uses them.
    s.push_str(&crate::output::ledger_report::ledger_md(plan, roster, outcome));
    let _ = writeln!(
        s,
        "\n## {}\n\n| {} | {} | α | {} |\n|---|---:|---:|---|",
        t(Key::Reliability),
        t(Key::Dimension),
        t(Key::BallotsUsed),
        t(Key::Note)
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
            note.push(t(Key::AlphaLow).to_string());
        }
        if !weak.is_empty() {
            note.push(if zh {
                format!("删去 {} 后 α 提高", weak.join("、"))
            } else {
                format!("deleting {} raises alpha", weak.join(", "))
            });
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            md(lang.pick(&dim.labels)),
            rel.n,
            rel.alpha.map_or_else(String::new, |a| format!("{a:.3}")),
            note.join(if zh { "；" } else { "; " })
        );
    }
    let _ = writeln!(
        s,
        "\n## {}{}\n",
        t(Key::Flags),
        paren(lang, &format!("{}{}", outcome.flags.len(), t(Key::FlagsReported)))
    );
    for f in &outcome.flags {
        let subject = match (f.unit, &f.rater) {
            (Some(u), _) => roster.units[u].id.as_str(),
            (None, Some(r)) => r.as_str(),
            (None, None) => "",
        };
        let _ = writeln!(s, "- {}", md(&labels::flag_text(lang, f, subject)));
    }
    let _ = writeln!(
        s,
        "\n{}{colon}{}{}",
        t(Key::GradeBands),
        plan.grades
            .iter()
            .map(|g| {
                let q = g.max_share.map_or_else(String::new, |m| {
                    paren(lang, &format!("{} {}", t(Key::AtMostShare), percent(m)))
                });
                format!("{} ≥ {}{}", md(lang.pick(&g.labels)), g.min, q)
            })
            .collect::<Vec<_>>()
            .join(if zh { "；" } else { "; " }),
        if zh { "。" } else { "." }
    );
    s
}
