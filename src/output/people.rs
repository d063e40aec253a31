//! The outputs of SPEC §15: `staff.csv` and `staff_rejects.csv` (staff points),
//! `titles_after.csv` and `title_rejects.csv` (摘牌), and the report's tables of
//! who is listed for 诫勉谈话, which units rate themselves far above the public,
//! and which titles are removed. Each file exists only when the plan has the
//! rule, so the outputs of other plans stay as they were.

use crate::cell::{csv_bytes, safe_cell};
use crate::error::Result;
use crate::judge::people::RollReject;
use crate::num;
use crate::output::labels::{self, Key, label};
use crate::rules::plan::{Language, Plan};
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;
use crate::score::people::TitleVerdict;

/// A table of the report: heading, a sentence, column names and rows of text
/// (input text unescaped: each renderer escapes it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableView {
    /// Section heading.
    pub heading: String,
    /// The rule in one sentence, and the count.
    pub note: String,
    /// Column names.
    pub head: Vec<String>,
    /// Rows (may be empty: then the note says none).
    pub rows: Vec<Vec<String>>,
}

/// The files of SPEC §15 this run writes, as (file name, contents).
pub fn people_files(plan: &Plan, roster: &Roster, outcome: &Outcome) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let mut out = Vec::new();
    if let Some(st) = &outcome.people.staff {
        out.push(("staff.csv", staff_csv(roster, outcome)?));
        if st.roster {
            out.push(("staff_rejects.csv", roll_rejects_csv(&st.rejects)?));
        }
    }
    if let Some(t) = &outcome.people.titles {
        out.push(("titles_after.csv", titles_after_csv(roster, outcome)?));
        out.push(("title_rejects.csv", roll_rejects_csv(&t.rejects)?));
    }
    let _ = plan;
    Ok(out)
}

fn points(x: f64) -> String {
    num::full(Some(x))
}

/// `staff.csv`: `staff_id, name, unit_id, unit, complaints, points_deducted,
/// points_left, talk` (talk: listed for 诫勉谈话, `true`/`false`).
pub fn staff_csv(roster: &Roster, outcome: &Outcome) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        w.write_record([
            "staff_id",
            "name",
            "unit_id",
            "unit",
            "complaints",
            "points_deducted",
            "points_left",
            "talk",
        ])?;
        for s in outcome.people.staff.iter().flat_map(|st| &st.staff) {
            let u = &roster.units[s.unit];
            w.write_record([
                safe_cell(&s.staff_id),
                safe_cell(&s.name),
                safe_cell(&u.id),
                safe_cell(&u.name),
                s.complaints.to_string(),
                points(s.deducted),
                points(s.left),
                s.talk.to_string(),
            ])?;
        }
        Ok(())
    })
}

/// `titles_after.csv`: `unit_id, name, title, since, outcome, reason` — outcome
/// `kept` or `removed`, reason `passed`, `vetoed`, `bottom_n` or `not_reviewed`.
pub fn titles_after_csv(roster: &Roster, outcome: &Outcome) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        w.write_record(["unit_id", "name", "title", "since", "outcome", "reason"])?;
        for t in outcome.people.titles.iter().flat_map(|r| &r.titles) {
            let u = &roster.units[t.unit];
            w.write_record([
                safe_cell(&u.id),
                safe_cell(&u.name),
                safe_cell(&t.title),
                t.since.map_or_else(String::new, |d| d.to_string()),
                if t.verdict.kept() { "kept" } else { "removed" }.to_string(),
                t.verdict.code().to_string(),
            ])?;
        }
        Ok(())
    })
}

/// A rejects file of the staff roster or the titles file: `file, line, id,
/// reason, detail`.
pub fn roll_rejects_csv(rejects: &[RollReject]) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        w.write_record(["file", "line", "id", "reason", "detail"])?;
        for r in rejects {
            w.write_record([
                safe_cell(&r.file.display().to_string()),
                r.line.to_string(),
                safe_cell(&r.id),
                r.reason.code().to_string(),
                safe_cell(&r.detail),
            ])?;
        }
        Ok(())
    })
}

/// The report's tables of SPEC §15, in the plan's language: 诫勉谈话 list, units
/// whose self score exceeds the public one, and the title review.
pub fn people_tables(plan: &Plan, roster: &Roster, outcome: &Outcome) -> Vec<TableView> {
    let lang = plan.language;
    let t = |k| label(lang, k);
    let colon = labels::colon(lang);
    let d = plan.ranking.decimals;
    let score = |x: Option<f64>| x.map_or_else(String::new, |v| num::steps_text(num::round_steps(v, d), d));
    let unit = |u: usize| {
        let x = &roster.units[u];
        (x.id.clone(), x.name.clone())
    };
    let mut out = Vec::new();
    if let (Some(rule), Some(st)) = (&plan.staff, &outcome.people.staff) {
        let listed: Vec<_> = st.staff.iter().filter(|s| s.talk).collect();
        out.push(TableView {
            heading: format!("{}{colon}{}", t(Key::StaffPoints), t(Key::StaffTalk)),
            note: format!(
                "{} {}{}{} {}{}{}{}{}",
                t(Key::StaffRule),
                rule.points,
                labels::comma(lang),
                t(Key::PerComplaint),
                rule.per_complaint,
                labels::comma(lang),
                t(Key::StaffTalk),
                labels::paren(lang, &format!("{}{}", listed.len(), t(Key::StaffListed))),
                if st.rejects.is_empty() {
                    String::new()
                } else {
                    format!("{}{}{}", labels::comma(lang), st.rejects.len(), t(Key::RowsRejected))
                }
            ),
            head: vec![
                t(Key::StaffId).into(),
                t(Key::StaffName).into(),
                t(Key::UnitId).into(),
                t(Key::Unit).into(),
                t(Key::ValidComplaints).into(),
                t(Key::PointsLeft).into(),
            ],
            rows: listed
                .iter()
                .map(|s| {
                    let (id, name) = unit(s.unit);
                    vec![
                        s.staff_id.clone(),
                        s.name.clone(),
                        id,
                        name,
                        s.complaints.to_string(),
                        points(s.left),
                    ]
                })
                .collect(),
        });
    }
    if plan.has_self() {
        let over: Vec<(usize, &crate::score::people::SelfScore)> = outcome
            .people
            .selfs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.over)
            .collect();
        out.push(TableView {
            heading: t(Key::SelfAssessment).into(),
            note: format!(
                "{} {}{}",
                t(Key::SelfOver),
                plan.self_assessment.max_gap,
                labels::paren(lang, &format!("{}{}", over.len(), t(Key::UnitsCount)))
            ),
            head: vec![
                t(Key::UnitId).into(),
                t(Key::Unit).into(),
                t(Key::SelfScore).into(),
                t(Key::PublicComposite).into(),
                t(Key::Gap).into(),
                t(Key::SelfBallots).into(),
            ],
            rows: over
                .iter()
                .map(|&(u, s)| {
                    let (id, name) = unit(u);
                    vec![
                        id,
                        name,
                        score(s.composite),
                        score(outcome.units[u].score.composite),
                        score(s.gap),
                        s.ballots.to_string(),
                    ]
                })
                .collect(),
        });
    }
    if let Some(tr) = &outcome.people.titles {
        let shown: Vec<_> = tr.titles.iter().filter(|x| x.verdict != TitleVerdict::Kept).collect();
        let removed = tr.titles.iter().filter(|x| !x.verdict.kept()).count();
        out.push(TableView {
            heading: t(Key::Titles).into(),
            note: format!(
                "{}{}{}{}{removed} {}{}{}{}{}",
                t(Key::Veto),
                labels::comma(lang),
                labels::back_mark(lang, tr.bottom_n),
                colon,
                t(Key::TitleRemoved),
                labels::comma(lang),
                tr.titles.len(),
                t(Key::TitlesReviewed),
                if tr.rejects.is_empty() {
                    String::new()
                } else {
                    format!("{}{}{}", labels::comma(lang), tr.rejects.len(), t(Key::RowsRejected))
                }
            ),
            head: vec![
                t(Key::UnitId).into(),
                t(Key::Unit).into(),
                t(Key::Title).into(),
                t(Key::Since).into(),
                t(Key::Status).into(),
                t(Key::Reason).into(),
            ],
            rows: shown
                .iter()
                .map(|x| {
                    let (id, name) = unit(x.unit);
                    vec![
                        id,
                        name,
                        x.title.clone(),
                        x.since.map_or_else(String::new, |d| d.to_string()),
                        if x.verdict.kept() {
                            t(Key::TitleKept)
                        } else {
                            t(Key::TitleRemoved)
                        }
                        .into(),
                        verdict_text(lang, x.verdict, tr.bottom_n),
                    ]
                })
                .collect(),
        });
    }
    out
}

fn verdict_text(lang: Language, v: TitleVerdict, n: u64) -> String {
    match v {
        TitleVerdict::Kept => label(lang, Key::TitleKept).into(),
        TitleVerdict::Vetoed => label(lang, Key::Veto).into(),
        TitleVerdict::BottomN => labels::back_mark(lang, n),
        TitleVerdict::NotReviewed => label(lang, Key::TitleNotReviewed).into(),
    }
}

/// The tables of [`people_tables`] as Markdown sections (empty without the rules).
pub fn people_md(plan: &Plan, roster: &Roster, outcome: &Outcome) -> String {
    use std::fmt::Write as _;
    let md = crate::cell::md;
    let mut s = String::new();
    for tb in people_tables(plan, roster, outcome) {
        let _ = writeln!(s, "\n## {}\n\n{}\n", md(&tb.heading), md(&tb.note));
        if tb.rows.is_empty() {
            let _ = writeln!(s, "{}", label(plan.language, Key::NoneText));
            continue;
        }
        let _ = writeln!(
            s,
            "| {} |\n|{}",
            tb.head.iter().map(|h| md(h)).collect::<Vec<_>>().join(" | "),
            "---|".repeat(tb.head.len())
        );
        for r in &tb.rows {
            let _ = writeln!(s, "| {} |", r.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | "));
        }
    }
    s
}

/// One line per rule of SPEC §15 in use, for the console: who is listed, which
/// units, which titles, and the rows rejected from the staff roster and titles
/// file (a rejected row may have changed a result).
pub fn people_lines(plan: &Plan, roster: &Roster, outcome: &Outcome) -> Vec<String> {
    let lang = plan.language;
    let t = |k| label(lang, k);
    let colon = labels::colon(lang);
    let sep = labels::comma(lang);
    let ids = |v: Vec<String>| {
        if v.is_empty() {
            t(Key::NoneText).to_string()
        } else {
            v.join(sep)
        }
    };
    let mut out = Vec::new();
    if let Some(st) = &outcome.people.staff {
        let listed: Vec<String> = st.staff.iter().filter(|s| s.talk).map(|s| s.staff_id.clone()).collect();
        let mut line = format!(
            "{}{colon}{}{colon}{}",
            t(Key::StaffPoints),
            t(Key::StaffTalk),
            ids(listed)
        );
        if st.roster {
            line.push_str(&labels::paren(
                lang,
                &format!("{}{}", st.rejects.len(), t(Key::RowsRejected)),
            ));
        }
        out.push(line);
    }
    if plan.has_self() {
        let over: Vec<String> = outcome
            .people
            .selfs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.over)
            .map(|(u, _)| roster.units[u].id.clone())
            .collect();
        out.push(format!(
            "{}{colon}{} {}{colon}{}",
            t(Key::SelfAssessment),
            t(Key::SelfOver),
            plan.self_assessment.max_gap,
            ids(over)
        ));
    }
    if let Some(tr) = &outcome.people.titles {
        let removed: Vec<String> = tr
            .titles
            .iter()
            .filter(|x| !x.verdict.kept())
            .map(|x| format!("{} {}", roster.units[x.unit].id, x.title))
            .collect();
        out.push(format!(
            "{}{colon}{}{colon}{}{}",
            t(Key::Titles),
            t(Key::TitleRemoved),
            ids(removed),
            labels::paren(
                lang,
                &format!(
                    "{}{}{sep}{}{}",
                    tr.titles.len(),
                    t(Key::TitlesReviewed),
                    tr.rejects.len(),
                    t(Key::RowsRejected)
                )
            )
        ));
    } else if plan.titles.is_some() {
        out.push(format!(
            "{}{colon}{}",
            t(Key::Titles),
            if lang == Language::Zh {
                "未提供称号名单（--titles），未评定"
            } else {
                "no titles file given (--titles): nothing reviewed"
            }
        ));
    }
    out
}
