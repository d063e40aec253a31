//! `results.csv` (SPEC §11).

use crate::cell::{csv_bytes, safe_cell};
use crate::error::Result;
use crate::num::full;
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::score::rows::*;

/// The per-ledger columns of `results.csv`, after the ledger's name (SPEC §14).
const LEDGER_COLUMNS: [&str; 9] = [
    "due",
    "on_time",
    "late",
    "open_overdue",
    "open_not_due",
    "out_of_period",
    "rate",
    "rate_lo",
    "rate_hi",
];

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
                "period_start",
                "period_end",
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
        let selfs = plan.has_self();
        if selfs {
            head.extend(
                ["self_ballots", "self_composite", "self_gap"]
                    .iter()
                    .map(|s| s.to_string()),
            );
        }
        for g in plan.groups.iter().filter(|g| g.report) {
            head.extend(
                ["valid_ballots", "composite", "satisfaction_rate"]
                    .iter()
                    .map(|c| format!("{}_{c}", g.id)),
            );
        }
        // SPEC §14, only when the plan uses the rules.
        for f in crate::score::components::reported(plan) {
            head.extend(LEDGER_COLUMNS.iter().map(|c| format!("{}_{c}", f.code())));
        }
        let components = !plan.ledgers.components.is_empty();
        if components {
            head.extend(
                plan.ledgers
                    .components
                    .iter()
                    .map(|c| safe_cell(&format!("component_{}", c.id))),
            );
            head.extend(["final_se", "final_lo", "final_hi"].iter().map(|s| s.to_string()));
        }
        head.extend(roster.extra_columns.iter().map(|c| safe_cell(c)));
        w.write_record(&head)?;
        for (r, u) in rows.iter().zip(&roster.units) {
            let mut rec = vec![
                safe_cell(&r.unit_id),
                r.status.code().to_string(),
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
                plan.period.start.to_string(),
                plan.period.end.to_string(),
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
            if selfs {
                let own = r.self_assessment.clone().unwrap_or_default();
                rec.extend([own.ballots.to_string(), full(own.composite), full(own.gap)]);
            }
            for g in &r.groups {
                rec.extend([
                    g.valid_ballots.to_string(),
                    full(g.composite),
                    full(g.satisfaction_rate),
                ]);
            }
            for l in &r.ledgers {
                match &l.counts {
                    Some(c) => rec.extend(
                        [
                            c.due,
                            c.on_time,
                            c.late,
                            c.open_overdue,
                            c.open_not_due,
                            c.out_of_period,
                        ]
                        .map(|x| x.to_string()),
                    ),
                    None => rec.extend(std::iter::repeat_n(String::new(), 6)),
                }
                rec.extend([
                    full(l.rate.map(|x| x.rate)),
                    full(l.rate.map(|x| x.lo)),
                    full(l.rate.map(|x| x.hi)),
                ]);
            }
            if components {
                rec.extend(r.components.iter().map(|c| full(c.score)));
                if r.components.is_empty() {
                    rec.extend(plan.ledgers.components.iter().map(|_| String::new()));
                }
                rec.extend([full(r.final_se), full(r.final_lo), full(r.final_hi)]);
            }
            rec.extend(u.extra.iter().map(|c| safe_cell(c)));
            w.write_record(&rec)?;
        }
        Ok(())
    })
}
