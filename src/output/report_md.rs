//! `report.md`: the human report in Markdown.

use crate::cell::md;
use crate::num::{self};
use crate::output::results_json::{by_reason, complaint_accounting};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;
use crate::score::result::UnitStatus;

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
    if !outcome.attention.is_empty() {
        let _ = writeln!(s, "## Attention\n\nThese changed or may have changed the result:\n");
        for a in &outcome.attention {
            let _ = writeln!(s, "- {}", md(&a.to_string()));
        }
        s.push('\n');
    }
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
            crate::rules::plan::Side::Top => "front",
            crate::rules::plan::Side::Bottom => "back",
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
