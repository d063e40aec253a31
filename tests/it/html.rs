//! The renderer of `report.html` on views built by hand: escaping, languages,
//! missing and non-finite numbers (`report.rs` runs it end to end).

use appraise::output::report_html::render_html;
use appraise::output::view::ReportView;
use appraise::output::view::{
    BallotAccounting, ComplaintAccounting, DepartmentRate, DimensionView, GradeBand, GroupShare, ItemRate, Method,
    ReasonCount, ReliabilityView, StatusView, UnitView,
};
use appraise::rules::plan::Language as Lang;

const HOSTILE: &str = "<script>alert(1)</script>";
const IMG: &str = "<img src=x onerror=alert(2)>";
const BIDI: &str = "窗口\u{202E}evil\u{2066}";

fn unit(id: &str, name: &str, rank: Option<u64>, f: f64) -> UnitView {
    let ranked = rank.is_some();
    UnitView {
        id: id.into(),
        name: name.into(),
        department: "政务服务中心".into(),
        kind: "窗口".into(),
        status: StatusView {
            code: if ranked { "ranked" } else { "vetoed" }.into(),
            label: if ranked { "参与排名" } else { "一票否决" }.into(),
            ranked,
        },
        rank,
        final_score: Some(f),
        published: Some(format!("{f:.2}")),
        grade: Some(if f >= 90.0 { "优秀" } else { "良好" }.into()),
        top: rank == Some(1),
        bottom: rank == Some(4),
        awards: if rank == Some(1) {
            vec!["红旗窗口".into()]
        } else {
            vec![]
        },
        consecutive: None,
        composite: Some(f),
        composite_lo: Some(f - 2.0),
        composite_hi: Some(f + 2.5),
        rank_lo: rank.map(|r| r.saturating_sub(1).max(1)),
        rank_hi: rank.map(|r| (r + 1).min(4)),
        dimensions: vec![Some(f - 1.0), Some(f + 1.0), None],
        rate: Some(f / 100.0),
        deduction: 0.0,
        bonus: 0.0,
        complaints_counted: 0,
        valid_ballots: 30,
        ballots_read: 31,
        items: vec![ItemRate {
            label: "服务态度热情".into(),
            dimension: "服务效果".into(),
            rate: Some(0.9),
            lo: Some(0.75),
            hi: Some(0.96),
            n: 30,
        }],
        groups: vec![GroupShare {
            label: "群众代表".into(),
            share: Some(0.8),
        }],
        flags: vec![],
        why_not_ranked: if ranked {
            String::new()
        } else {
            "查实违纪投诉 C-7".into()
        },
    }
}

fn small_view(lang: Lang) -> ReportView {
    let mut vetoed = unit("U5", "被否决的窗口", None, 88.0);
    vetoed.grade = Some("不合格".into());
    vetoed.flags = vec![format!("flag about {IMG}")];
    let mut weird = unit("U4", BIDI, Some(4), f64::NAN);
    weird.composite_lo = Some(f64::NEG_INFINITY);
    weird.rate = Some(f64::INFINITY);
    weird.dimensions = vec![Some(f64::NAN), None, Some(70.0)];
    ReportView {
        lang,
        title: "滦南县行政服务中心窗口月度评比 & <测试>".into(),
        period_start: "2024-05-01".into(),
        period_end: "2024-05-31".into(),
        generated_from: "plan chuangkou-haochaping".into(),
        decimals: 2,
        top_n: 1,
        bottom_n: 1,
        units_ranked: 4,
        units_on_roster: 5,
        ballots: BallotAccounting {
            read: 160,
            valid: 150,
            rejected: 10,
            unattributed: 1,
            by_reason: vec![
                ReasonCount {
                    code: "duplicate".into(),
                    label: "重复投票".into(),
                    count: 7,
                },
                ReasonCount {
                    code: "bad_code".into(),
                    label: "选项代码无效".into(),
                    count: 3,
                },
            ],
        },
        complaints: ComplaintAccounting {
            read: 4,
            counted: 2,
            rejected: 1,
            deducting: 1,
            out_of_period: 1,
            unverified: 0,
            dismissed: 0,
        },
        attention: vec![format!("单位 {HOSTILE} 一票否决")],
        grades: vec![
            GradeBand {
                id: "excellent".into(),
                label: "优秀".into(),
                min: 90.0,
            },
            GradeBand {
                id: "good".into(),
                label: "良好".into(),
                min: 80.0,
            },
        ],
        dimensions: vec![
            DimensionView {
                id: "a".into(),
                label: "廉政建设".into(),
                median: Some(90.0),
            },
            DimensionView {
                id: "b".into(),
                label: "服务环境".into(),
                median: Some(f64::NAN),
            },
            DimensionView {
                id: "c".into(),
                label: IMG.into(),
                median: None,
            },
        ],
        units: vec![
            unit("U2", HOSTILE, Some(2), 91.5),
            unit("U1", "城区供电所", Some(1), 95.25),
            unit("U3", "索河供电所", Some(3), 85.0),
            weird,
            vetoed,
        ],
        departments: vec![DepartmentRate {
            department: "政务服务中心".into(),
            rate: Some(0.93),
            lo: Some(0.9),
            hi: Some(0.95),
            ballots: 150,
        }],
        reliability: vec![ReliabilityView {
            label: "廉政建设".into(),
            alpha: Some(0.65),
            n: 120,
        }],
        flags: vec!["R1 rated 40 units".into()],
        methods: vec![Method {
            name: "满意率区间".into(),
            text: "Wilson".into(),
            reference: "Wilson (1927)".into(),
        }],
        people: Vec::new(),
    }
}

/// Text between `>` and `<`, i.e. outside tags (roughly), to check that no tag
/// starts with a forbidden name.
fn tags(page: &str) -> Vec<String> {
    page.split('<')
        .skip(1)
        .map(|t| {
            t.split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .next()
                .unwrap_or("")
                .to_lowercase()
        })
        .collect()
}

/// What stands between each `<` and the next `>`.
fn tag_bodies(page: &str) -> Vec<&str> {
    page.split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or(""))
        .collect()
}

#[test]
fn chinese_page_is_self_contained_and_escaped() {
    let page = render_html(&small_view(Lang::Zh));
    let lower = page.to_lowercase();
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
    assert!(!lower.contains("<script"), "a script tag");
    assert!(!lower.contains("<img"), "an img tag");
    assert!(
        !lower.contains("http://") && !lower.contains("https://"),
        "an absolute URL"
    );
    // Inside tags (text never holds a raw `<`): no src, href outside the page, or
    // event handler attribute.
    for body in tag_bodies(&lower) {
        assert!(!body.contains("src="), "a src attribute: <{body}>");
        assert!(
            !body.contains("href=") || body.contains("href=\"#"),
            "a link out: <{body}>"
        );
        let handler = body.split_whitespace().any(|a| a.starts_with("on") && a.contains('='));
        assert!(!handler, "an event handler: <{body}>");
    }
    assert!(!lower.contains("url("), "a CSS url()");
    assert!(!lower.contains("@import") && !lower.contains("@font-face"));
    assert!(!lower.contains("<link") && !lower.contains("<iframe") && !lower.contains("<object"));
    for t in tags(&page) {
        assert!(
            !matches!(
                t.as_str(),
                "script" | "img" | "iframe" | "link" | "object" | "embed" | "base" | "form"
            ),
            "tag {t}"
        );
    }
    // The hostile names are visible text.
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(page.contains("窗口\\u{202E}evil\\u{2066}"));
    assert!(!page.contains('\u{202E}') && !page.contains('\u{2066}'));
    assert!(page.contains("&amp; &lt;测试&gt;"));
    // No NaN or infinity reaches the page.
    assert!(
        !lower.contains("nan") && !lower.contains("inf"),
        "NaN or inf on the page"
    );
    // Structure and words.
    assert!(page.matches("<svg").count() >= 2);
    for h in [
        "测评概况",
        "需要关注",
        "公示名单",
        "单位评分卡",
        "计算方法与数据质量",
        "信度 (Cronbach α)",
        "未排名原因",
    ] {
        assert!(page.contains(h), "{h}");
    }
    assert!(page.contains("前1名") && page.contains("后1名"), "marks for N = 1");
    assert!(page.contains("红旗窗口"));
    assert!(page.contains("一票否决") && page.contains("查实违纪投诉 C-7"));
    let v = small_view(Lang::Zh);
    for u in v.units.iter().filter(|u| u.status.ranked) {
        assert!(page.contains(&appraise::output::svg::escape(&u.name)), "{}", u.name);
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Rank order in the list: 1 before 2 before 3.
    let list = &page[page.find("id=\"list\"").unwrap()..];
    let p1 = list.find("城区供电所").unwrap();
    let p2 = list.find("&lt;script&gt;alert(1)").unwrap();
    let p3 = list.find("索河供电所").unwrap();
    assert!(p1 < p2 && p2 < p3);
    // Sections in order.
    let pos: Vec<usize> = [
        "id=\"overview\"",
        "id=\"list\"",
        "id=\"charts\"",
        "id=\"cards\"",
        "id=\"methods\"",
    ]
    .iter()
    .map(|id| page.find(id).unwrap())
    .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]));
    // Print and phone.
    assert!(page.contains("@page{size:A4"));
    assert!(page.contains("name=\"viewport\""));
    assert!(
        page.contains("\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif")
    );
}

#[test]
fn english_page_uses_english_headings() {
    let page = render_html(&small_view(Lang::En));
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    for h in [
        "Overview",
        "Needs attention",
        "Published list",
        "Unit scorecards",
        "Methods and data quality",
    ] {
        assert!(page.contains(h), "{h}");
    }
    assert!(!page.contains("测评概况") && !page.contains("公示名单"));
    assert!(page.contains("top 1") && page.contains("bottom 1"));
}

#[test]
fn no_attention_box_when_nothing_needs_it() {
    let mut v = small_view(Lang::Zh);
    v.attention.clear();
    assert!(!render_html(&v).contains("需要关注"));
}

#[test]
fn rendering_is_deterministic_and_handles_empty_views() {
    let (plan, roster, outcome) = crate::demo();
    let v = appraise::output::report_view(plan, roster, outcome, &[]);
    assert_eq!(render_html(&v), render_html(&v));
    assert_eq!(appraise::output::report_view(plan, roster, outcome, &[]), v);
    let empty = render_html(&ReportView::default());
    assert!(empty.contains("测评概况"));
    assert!(!empty.to_lowercase().contains("nan"));
}

#[test]
fn the_demo_view_of_300_units() {
    let (plan, roster, outcome) = crate::demo();
    let v = appraise::output::report_view(plan, roster, outcome, &[]);
    assert_eq!(v.units.len(), 300);
    let page = render_html(&v);
    for u in v.units.iter().filter(|u| u.status.ranked) {
        assert!(page.contains(&u.name), "{}", u.name);
    }
    // Five panels of 60 and three heat-map panels, department chart, a chart per card.
    assert!(page.matches("<svg").count() >= 5 + 3 + 1 + 300);
    assert!(page.len() < 8_000_000, "page of {} bytes", page.len());
}

/// The page streamed in pieces of about 1 MiB is the page rendered whole (the
/// demo's 300 scorecards make several pieces); a sink that fails stops the
/// writing at its first error, which is returned.
#[test]
fn the_page_streamed_in_pieces_is_the_page_rendered_whole() {
    use appraise::output::report_html::{report_html, report_html_to};
    let (plan, roster, outcome) = crate::demo();
    let attention = appraise::output::attention_lines(plan, roster, outcome);
    let whole = report_html(plan, roster, outcome, &attention);
    let mut pieces: Vec<String> = Vec::new();
    report_html_to(plan, roster, outcome, &attention, &mut |s| {
        pieces.push(s.to_string());
        Ok(())
    })
    .expect("streamed");
    assert!(pieces.len() >= 2, "{} bytes in {} piece(s)", whole.len(), pieces.len());
    assert!(pieces.iter().all(|p| !p.is_empty()));
    assert!(pieces.concat() == whole, "the same page");
    let mut calls = 0;
    let e = report_html_to(plan, roster, outcome, &attention, &mut |_| {
        calls += 1;
        Err(std::io::Error::other("disk full"))
    })
    .expect_err("the sink's error");
    assert_eq!((calls, e.to_string().as_str()), (1, "disk full"));
}
