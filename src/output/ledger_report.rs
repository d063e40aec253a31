//! The report section of SPEC §14 (score components, 按期办结率, 整改率, 践诺率,
//! and the late and overdue matters of each unit), built once as plain blocks of
//! text and drawn by `report.md` (Markdown, escaped) and `report.html` (escaped
//! HTML). Empty for a plan without these rules.

use crate::cell::md;
use crate::judge::ledgers::LedgerFile;
use crate::output::labels::{self, Key, label};
use crate::output::svg::escape;
use crate::rules::plan::{Language, Plan};
use crate::rules::roster::Roster;
use crate::score::components::rate;
use crate::score::outcome::Outcome;

/// A block of the section: raw text, escaped by the renderer.
enum Block {
    /// A heading (level 2 or 3).
    Heading(u8, String),
    /// A paragraph.
    Para(String),
    /// A table: header and rows; `right[k]` aligns column k right (numbers).
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
        right: Vec<bool>,
    },
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn blocks(plan: &Plan, roster: &Roster, outcome: &Outcome) -> Vec<Block> {
    let lang = plan.language;
    let t = |k| label(lang, k).to_string();
    let zh = lang == Language::Zh;
    let colon = labels::colon(lang);
    let sep = labels::comma(lang);
    let mut out = Vec::new();
    let comps = &plan.ledgers.components;
    if !comps.is_empty() {
        out.push(Block::Heading(2, t(Key::Components)));
        let parts: Vec<String> = comps
            .iter()
            .map(|c| format!("{} × {}", c.weight, labels::component_name(lang, plan, &c.id)))
            .collect();
        out.push(Block::Para(if zh {
            format!(
                "最终得分 = max(0, {} − 扣分 + 加分)；缺少任一得分项的单位为“评分不完整”，不参与排名。置信区间与名次区间只计满意度测评的抽样误差（按其权重缩放）。",
                parts.join(" + ")
            )
        } else {
            format!(
                "Final score = max(0, {} − deduction + bonus); a unit missing a component is incomplete and not ranked. Intervals and rank ranges carry the survey's sampling error only, scaled by its weight.",
                parts.join(" + ")
            )
        }));
    }
    let reported = crate::score::components::reported(plan);
    if reported.is_empty() {
        return out;
    }
    out.push(Block::Heading(2, t(Key::Ledgers)));
    for f in reported {
        let (name, rate_name) = match f {
            LedgerFile::Tickets => (Key::Tickets, Key::TicketsRate),
            LedgerFile::Rectifications => (Key::Rectifications, Key::RectificationsRate),
            _ => (Key::Commitments, Key::CommitmentsRate),
        };
        out.push(Block::Heading(
            3,
            format!("{}{}", t(name), labels::paren(lang, &t(rate_name))),
        ));
        let Some(l) = outcome.ledgers.ledger(f) else {
            out.push(Block::Para(if zh {
                format!("未提供{}文件（{}）。", t(name), f.flag())
            } else {
                format!("No {} file was given ({}).", f.code(), f.flag())
            }));
            continue;
        };
        let rejected = outcome.ledgers.rejected(f);
        out.push(Block::Para(format!(
            "{}{colon}{}{sep}{}{colon}{}{sep}{}{colon}{}{}",
            t(Key::RowsRead),
            l.rows,
            t(Key::LedgerRejects),
            rejected,
            if zh { "评议期末" } else { "reference day" },
            plan.period.end,
            if zh { "。" } else { "." }
        )));
        let head = vec![
            t(Key::UnitId),
            t(Key::Unit),
            t(Key::LedgerDue),
            t(Key::LedgerOnTime),
            t(Key::LedgerLate),
            t(Key::LedgerOpenOverdue),
            t(Key::LedgerNotDue),
            t(rate_name),
            t(Key::ConfidenceInterval),
        ];
        let rows = l
            .units
            .iter()
            .enumerate()
            .filter(|(_, c)| c.read > 0)
            .map(|(u, c)| {
                let r = rate(c);
                vec![
                    roster.units[u].id.clone(),
                    roster.units[u].name.clone(),
                    c.due.to_string(),
                    c.on_time.to_string(),
                    c.late.to_string(),
                    c.open_overdue.to_string(),
                    c.open_not_due.to_string(),
                    r.map_or_else(String::new, |r| pct(r.rate)),
                    r.map_or_else(String::new, |r| format!("{} – {}", pct(r.lo), pct(r.hi))),
                ]
            })
            .collect();
        out.push(Block::Table {
            head,
            rows,
            right: vec![false, false, true, true, true, true, true, true, false],
        });
        out.push(Block::Heading(3, format!("{}{}", t(name), t(Key::LedgerOverdueList))));
        if l.overdue.is_empty() {
            out.push(Block::Para(t(Key::NoneText)));
            continue;
        }
        // Per unit, the REPORT_PER_UNIT matters most overdue (ties in file order);
        // ledger.csv has them all.
        let mut entries: Vec<_> = l.overdue.iter().enumerate().collect();
        entries.sort_by_key(|(k, e)| (e.unit, std::cmp::Reverse(e.days_over), *k));
        let mut shown = Vec::new();
        let mut more: Vec<(usize, usize)> = Vec::new();
        for (_, e) in entries {
            let n = shown
                .iter()
                .rev()
                .take_while(|x: &&&crate::judge::ledgers::Entry| x.unit == e.unit)
                .count();
            if n < REPORT_PER_UNIT {
                shown.push(e);
            } else {
                match more.last_mut() {
                    Some((u, c)) if *u == e.unit => *c += 1,
                    _ => more.push((e.unit, 1)),
                }
            }
        }
        let kind_name = |id: &str| {
            plan.ledgers
                .tickets
                .as_ref()
                .and_then(|t| t.deadlines.iter().find(|d| d.kind == id))
                .map(|d| lang.pick_str(&d.zh, &d.en).trim().to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| id.to_string())
        };
        let what = |e: &crate::judge::ledgers::Entry| {
            if f == LedgerFile::Commitments {
                e.text.clone()
            } else {
                kind_name(&e.kind)
            }
        };
        out.push(Block::Table {
            head: vec![
                t(Key::UnitId),
                t(Key::Unit),
                if zh { "编号".into() } else { "Id".into() },
                t(Key::What),
                t(Key::DueDate),
                t(Key::ClosedDate),
                t(Key::DaysOver),
            ],
            rows: shown
                .into_iter()
                .map(|e| {
                    vec![
                        roster.units[e.unit].id.clone(),
                        roster.units[e.unit].name.clone(),
                        e.id.clone(),
                        what(e),
                        e.due.to_string(),
                        e.closed.map_or_else(|| t(Key::LedgerOpenOverdue), |c| c.to_string()),
                        e.days_over.to_string(),
                    ]
                })
                .collect(),
            right: vec![false, false, false, false, false, false, true],
        });
        if !more.is_empty() {
            let list: Vec<String> = more
                .iter()
                .map(|(u, n)| format!("{} {n}", roster.units[*u].id))
                .collect();
            out.push(Block::Para(if zh {
                format!(
                    "每个单位最多列出超期最久的 {REPORT_PER_UNIT} 项；其余见 ledger.csv（{}）。",
                    list.join("、")
                )
            } else {
                format!(
                    "At most the {REPORT_PER_UNIT} most overdue matters of each unit are listed; the rest are in ledger.csv ({}).",
                    list.join(", ")
                )
            }));
        }
    }
    out
}

/// The most late or overdue matters of one unit listed in the report.
const REPORT_PER_UNIT: usize = 10;

/// The §14 section of `report.md` (empty without these rules).
pub fn ledger_md(plan: &Plan, roster: &Roster, outcome: &Outcome) -> String {
    let mut s = String::new();
    for b in blocks(plan, roster, outcome) {
        match b {
            Block::Heading(n, h) => {
                if !s.is_empty() && !s.ends_with("\n\n") {
                    s.push('\n');
                }
                if s.is_empty() {
                    s.push('\n');
                }
                s.push_str(&format!("{} {}\n\n", "#".repeat(n as usize), md(&h)));
            }
            Block::Para(p) => s.push_str(&format!("{}\n\n", md(&p))),
            Block::Table { head, rows, right } => {
                let line =
                    |cells: &[String]| format!("| {} |\n", cells.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | "));
                s.push_str(&line(&head));
                let rule: Vec<&str> = right.iter().map(|r| if *r { "---:" } else { "---" }).collect();
                s.push_str(&format!("|{}|\n", rule.join("|")));
                for r in &rows {
                    s.push_str(&line(r));
                }
                s.push('\n');
            }
        }
    }
    // The next section opens with its own blank line.
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

/// The §14 section of `report.html`, a `<section>` (empty without these rules).
pub fn ledger_html(plan: &Plan, roster: &Roster, outcome: &Outcome) -> String {
    let b = blocks(plan, roster, outcome);
    if b.is_empty() {
        return String::new();
    }
    let mut s = String::from("<section id=\"ledgers\" class=\"major\">\n");
    for b in b {
        match b {
            Block::Heading(n, h) => s.push_str(&format!("<h{n}>{}</h{n}>\n", escape(&h))),
            Block::Para(p) => s.push_str(&format!("<p>{}</p>\n", escape(&p))),
            Block::Table { head, rows, right } => {
                s.push_str("<div class=\"scroll\"><table><thead><tr>");
                for h in &head {
                    s.push_str(&format!("<th>{}</th>", escape(h)));
                }
                s.push_str("</tr></thead><tbody>\n");
                for r in &rows {
                    s.push_str("<tr>");
                    for (k, c) in r.iter().enumerate() {
                        let class = if right.get(k).copied().unwrap_or(false) {
                            " class=\"n\""
                        } else {
                            ""
                        };
                        s.push_str(&format!("<td{class}>{}</td>", escape(c)));
                    }
                    s.push_str("</tr>\n");
                }
                s.push_str("</tbody></table></div>\n");
            }
        }
    }
    s.push_str("</section>\n");
    s
}
