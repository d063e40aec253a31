//! `results.xlsx`: the results for people (SPEC §10, §12). A results sheet (unit id
//! and name first, headers in the plan's language from [`crate::output::labels`], numbers as
//! numbers shown with the plan's decimals), the rejected ballots and complaints, and
//! the attention list. The CSVs stay plain UTF-8 for machines; this is the file to
//! open in Excel or WPS. The bytes are the same for the same inputs.

use crate::error::{Error, ErrorKind, Result};
use crate::output::labels::{Key, back_mark, front_mark, label, reason_key, status_key};
use crate::output::xlsx::{CellOut, SheetOut, write_workbook};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;
use crate::score::rows::ResultRow;

/// `results.xlsx` from the result rows.
pub fn results_xlsx(plan: &Plan, roster: &Roster, outcome: &Outcome, rows: &[ResultRow]) -> Result<Vec<u8>> {
    let lang = plan.language;
    let t = |c: &str, e: &str| lang.pick_str(c, e).to_string();
    let l = |k: Key| label(lang, k).to_string();
    // A code in the plan's language (a status or reason label), the code itself
    // when the table has no word for it.
    let word = |k: Option<Key>, code: &str| k.map_or_else(|| code.to_string(), |k| label(lang, k).to_string());
    let d = plan.ranking.decimals.min(15) as u8;
    let num = |x: Option<f64>| x.map_or(CellOut::Empty, |value| CellOut::Number { value, decimals: d });
    let int = |x: Option<u64>| x.map_or(CellOut::Empty, |v| CellOut::Int(v as i64));
    let text = |s: &str| CellOut::Text(s.to_string());
    let flag = |b: bool| CellOut::Text(if b { t("是", "yes") } else { String::new() });

    let mut header = vec![
        l(Key::UnitId),
        l(Key::Unit),
        l(Key::Department),
        l(Key::Kind),
        l(Key::Rank),
        l(Key::FinalScore),
        l(Key::Grade),
        l(Key::Status),
        l(Key::ValidBallots),
        l(Key::RejectedBallots),
    ];
    header.extend(plan.survey.dimensions.iter().map(|dim| {
        let name = lang.pick(&dim.labels).trim();
        if name.is_empty() {
            dim.id.clone()
        } else {
            name.to_string()
        }
    }));
    header.extend([
        l(Key::CompositeScore),
        l(Key::SatisfactionRate),
        l(Key::Deduction),
        front_mark(lang, plan.ranking.top_n),
        back_mark(lang, plan.ranking.bottom_n),
        l(Key::WhyNotRanked),
    ]);
    // SPEC §14, only when the plan uses the rules: each ledger's rate, then each
    // component's score.
    let reported = crate::score::components::reported(plan);
    for f in &reported {
        header.push(label(lang, ledger_rate_key(*f)).to_string());
    }
    for c in &plan.ledgers.components {
        header.push(crate::output::labels::component_name(lang, plan, &c.id));
    }
    let results = rows
        .iter()
        .map(|r| {
            let mut row = vec![
                text(&r.unit_id),
                text(&r.name),
                text(&r.department),
                text(&r.kind),
                int(r.rank),
                num(r.final_published.as_deref().and_then(|p| p.parse().ok())),
                r.grade
                    .as_deref()
                    .and_then(|g| plan.grades.iter().find(|x| x.id == g))
                    .map_or(CellOut::Empty, |g| text(g.labels.text())),
                CellOut::Text(word(status_key(r.status.code()), r.status.code())),
                CellOut::Int(r.valid_ballots as i64),
                CellOut::Int(r.rejected_ballots as i64),
            ];
            row.extend(r.dimensions.iter().map(|x| num(*x)));
            row.extend([
                num(r.composite),
                r.satisfaction_rate
                    .map_or(CellOut::Empty, |value| CellOut::Number { value, decimals: 4 }),
                CellOut::Number {
                    value: r.deduction,
                    decimals: d,
                },
                flag(r.top),
                flag(r.bottom),
                text(&r.note),
            ]);
            row.extend(r.ledgers.iter().map(|l| {
                l.rate.map_or(CellOut::Empty, |x| CellOut::Number {
                    value: x.rate,
                    decimals: 4,
                })
            }));
            if !plan.ledgers.components.is_empty() {
                if r.components.is_empty() {
                    row.extend(plan.ledgers.components.iter().map(|_| CellOut::Empty));
                }
                row.extend(r.components.iter().map(|c| num(c.score)));
            }
            row
        })
        .collect();
    // Only the first rows are shown: the rest may be in a temporary file.
    let ballots = outcome.rejects.first(REJECT_ROWS + 1)?;
    let rejects = reject_rows(
        Rejected {
            ballots: &ballots,
            ballots_total: outcome.rejects.len(),
            files: &outcome.files,
            complaints: &outcome.complaints.rejects,
            ledgers: &outcome.ledgers.rejects,
        },
        &l(Key::Complaints),
        &word,
        REJECT_ROWS,
        lang,
    );
    let attention = outcome
        .attention
        .iter()
        .map(|a| {
            let message = match lang {
                crate::rules::plan::Language::Zh if !a.message_zh.is_empty() => &a.message_zh,
                _ => &a.message,
            };
            vec![text(a.kind.code()), text(&a.subject), text(message)]
        })
        .collect();
    let _ = roster;
    let sheets = [
        SheetOut {
            name: t("结果", "results"),
            header,
            rows: results,
        },
        SheetOut {
            name: t("废票与投诉退回", "rejects"),
            header: vec![
                t("文件", "file"),
                t("行", "row"),
                t("编号", "id"),
                l(Key::Reason),
                t("详情", "detail"),
            ],
            rows: rejects,
        },
        SheetOut {
            name: t("需要注意", "attention"),
            header: vec![t("类型", "kind"), t("对象", "subject"), t("说明", "message")],
            rows: attention,
        },
    ];
    write_workbook(&sheets).map_err(|e| Error::from(ErrorKind::Usage(format!("results.xlsx: {e}"))))
}

/// The rejected rows of a run, as the rejects sheet lists them.
#[derive(Clone, Copy)]
struct Rejected<'a> {
    /// The first rejected ballots (at least as many as the sheet holds)…
    ballots: &'a [crate::judge::ballots::Reject],
    /// …of this many.
    ballots_total: usize,
    files: &'a [crate::judge::ballots::FileSummary],
    complaints: &'a [crate::judge::complaints::ComplaintReject],
    ledgers: &'a [crate::judge::ledgers::LedgerReject],
}

/// Rows the rejects sheet holds before its note that says how many more rows the
/// CSVs have: 100,000, well under Excel's 1,048,576. A person reads the first
/// rows and the note; the CSVs are the record. Why not fill the sheet: a run
/// rejecting 5·10⁷ rows spent 1.7 GB holding a million rows for the workbook, while
/// everything else stays near 400 MB.
const REJECT_ROWS: usize = 100_000;

/// The rejects sheet's rows: rejected ballots, complaints and ledger rows, in that
/// order, at most `room` of them; past that a last row says how many more there
/// are and that `rejects.csv`, `complaint_rejects.csv` and `ledger_rejects.csv`
/// hold every one. A run of 10⁸ ballots may reject millions of rows: the workbook
/// is for people, the CSVs are the record, and the run must not fail on it.
fn reject_rows(
    rejected: Rejected<'_>,
    complaints: &str,
    word: &dyn Fn(Option<Key>, &str) -> String,
    room: usize,
    lang: crate::rules::plan::Language,
) -> Vec<Vec<CellOut>> {
    let text = |s: &str| CellOut::Text(s.to_string());
    let ballots = rejected.ballots.iter().map(|r| {
        vec![
            text(rejected.files.get(r.file).map_or("", |f| f.path.as_str())),
            CellOut::Int(r.row as i64),
            text(&r.ballot_id),
            CellOut::Text(word(reason_key(r.reason.code()), r.reason.code())),
            text(&r.detail),
        ]
    });
    let complaint_rows = rejected.complaints.iter().map(|c| {
        vec![
            text(complaints),
            CellOut::Int(c.row as i64),
            text(&c.complaint_id),
            text(c.reason.code()),
            text(&c.detail),
        ]
    });
    let ledger_rows = rejected.ledgers.iter().map(|r| {
        vec![
            text(r.file.code()),
            CellOut::Int(r.line as i64),
            text(&r.id),
            text(r.reason.code()),
            text(&r.detail),
        ]
    });
    let total = rejected.ballots_total + rejected.complaints.len() + rejected.ledgers.len();
    let mut rows: Vec<Vec<CellOut>> = ballots.chain(complaint_rows).chain(ledger_rows).take(room).collect();
    if total > room {
        let more = total - room;
        rows.push(vec![
            text("…"),
            CellOut::Empty,
            CellOut::Empty,
            CellOut::Empty,
            CellOut::Text(lang.pick_str(
                &format!("另有 {more} 行未列出(本表最多 {room} 行):全部退回记录见 rejects.csv、complaint_rejects.csv 和 ledger_rejects.csv"),
                &format!("{more} more rows not shown (this sheet holds {room}): rejects.csv, complaint_rejects.csv and ledger_rejects.csv have every row"),
            ).to_string()),
        ]);
    }
    rows
}

/// The label of a ledger's rate column.
fn ledger_rate_key(f: crate::judge::ledgers::LedgerFile) -> Key {
    match f {
        crate::judge::ledgers::LedgerFile::Tickets => Key::TicketsRate,
        crate::judge::ledgers::LedgerFile::Rectifications => Key::RectificationsRate,
        _ => Key::CommitmentsRate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rejects sheet keeps `room` rows and says how many more the CSVs hold,
    /// so that a run rejecting millions of rows still writes its workbook.
    #[test]
    fn the_rejects_sheet_stops_at_its_room_and_says_how_many_more() {
        // Seven rejected ballots, room for five: five rows and a note of 7 − 5 = 2.
        let ballots: Vec<crate::judge::ballots::Reject> = (0..7)
            .map(|k| crate::judge::ballots::Reject {
                row: k + 2,
                ballot_id: format!("B{k}"),
                reason: crate::judge::ballots::Reason::UnknownUnit,
                detail: String::new(),
                file: 0,
            })
            .collect();
        // Only the first six are read from the rejects (room + 1), of seven.
        let rejected = Rejected {
            ballots: &ballots[..6],
            ballots_total: 7,
            files: &[],
            complaints: &[],
            ledgers: &[],
        };
        let word = |_: Option<Key>, code: &str| code.to_string();
        let en = crate::rules::plan::Language::En;
        let rows = reject_rows(rejected, "complaints", &word, 5, en);
        assert_eq!(rows.len(), 6);
        assert!(matches!(&rows[4][2], CellOut::Text(id) if id == "B4"));
        let CellOut::Text(note) = &rows[5][4] else {
            panic!("the last row is a note: {:?}", rows[5]);
        };
        assert_eq!(
            note,
            "2 more rows not shown (this sheet holds 5): rejects.csv, complaint_rejects.csv and ledger_rejects.csv have every row"
        );
        // With room for all, every row and no note.
        let all = Rejected {
            ballots: &ballots,
            ..rejected
        };
        assert_eq!(reject_rows(all, "complaints", &word, 7, en).len(), 7);
    }
}
