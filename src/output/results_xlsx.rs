//! `results.xlsx`: the results for people (SPEC §10, §12). A results sheet (unit id
//! and name first, Chinese headers when the survey has a Chinese title, numbers as
//! numbers shown with the plan's decimals), the rejected ballots and complaints, and
//! the attention list. The CSVs stay plain UTF-8 for machines; this is the file to
//! open in Excel or WPS. The bytes are the same for the same inputs.

use crate::error::{Error, ErrorKind, Result};
use crate::output::rows::ResultRow;
use crate::output::xlsx::{CellOut, SheetOut, write_workbook};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;

/// `results.xlsx` from the result rows.
pub fn results_xlsx(plan: &Plan, roster: &Roster, outcome: &Outcome, rows: &[ResultRow]) -> Result<Vec<u8>> {
    let zh = !plan.survey.title.zh.trim().is_empty();
    let t = |c: &str, e: &str| if zh { c.to_string() } else { e.to_string() };
    let d = plan.ranking.decimals.min(15) as u8;
    let num = |x: Option<f64>| x.map_or(CellOut::Empty, |value| CellOut::Number { value, decimals: d });
    let int = |x: Option<u64>| x.map_or(CellOut::Empty, |v| CellOut::Int(v as i64));
    let text = |s: &str| CellOut::Text(s.to_string());
    let flag = |b: bool| CellOut::Text(if b { t("是", "yes") } else { String::new() });

    let mut header = vec![
        t("单位编号", "unit_id"),
        t("单位名称", "name"),
        t("主管部门", "department"),
        t("类别", "kind"),
        t("名次", "rank"),
        t("最终得分", "final"),
        t("等次", "grade"),
        t("状态", "status"),
        t("有效票", "valid ballots"),
        t("废票", "rejected ballots"),
    ];
    header.extend(plan.survey.dimensions.iter().map(|dim| {
        let l = if zh { dim.labels.zh.trim() } else { dim.labels.en.trim() };
        if l.is_empty() { dim.id.clone() } else { l.to_string() }
    }));
    header.extend([
        t("综合得分", "composite"),
        t("满意率", "satisfaction rate"),
        t("扣分", "deduction"),
        t(&format_top(plan.ranking.top_n, true), "top"),
        t(&format_top(plan.ranking.bottom_n, false), "bottom"),
        t("说明", "note"),
    ]);
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
                text(r.status),
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
            row
        })
        .collect();
    let mut rejects: Vec<Vec<CellOut>> = outcome
        .rejects
        .iter()
        .map(|r| {
            vec![
                text(outcome.files.get(r.file).map_or("", |f| f.path.as_str())),
                CellOut::Int(r.row as i64),
                text(&r.ballot_id),
                text(r.reason.code()),
                text(&r.detail),
            ]
        })
        .collect();
    rejects.extend(outcome.complaints.rejects.iter().map(|c| {
        vec![
            text(t("投诉", "complaints").as_str()),
            CellOut::Int(c.row as i64),
            text(&c.complaint_id),
            text(c.reason.code()),
            text(&c.detail),
        ]
    }));
    let attention = outcome
        .attention
        .iter()
        .map(|a| vec![text(a.kind.code()), text(&a.subject), text(&a.message)])
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
                t("原因", "reason"),
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

fn format_top(n: u64, top: bool) -> String {
    format!("{}{n}", if top { "前" } else { "后" })
}
