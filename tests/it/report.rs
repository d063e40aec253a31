//! The reports people read (`report.html`, `report.md`, the console list): a
//! campaign with hostile unit names scored end to end through the command line.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::{Table, manifest_dir};

pub(crate) const SCRIPT: &str = "<script>alert(1)</script>";
pub(crate) const IMG: &str = "<img src=x onerror=alert(1)>";
pub(crate) const BIDI: &str = "窗口\u{202E}lave\u{2066}";

const PLAN: &str = "id: hostile
survey: survey.yaml
period: {start: 2010-01-01, end: 2010-12-31}
groups:
  - {id: pub, zh: 群众代表, public: true}
  - {id: npc, zh: 人大代表}
panel: {min_valid_ballots: 5}
awards:
  - {id: hongqi, zh: 红旗窗口, count: 1}
";

/// Units: three hostile names, a hostile department, two plain units, and one
/// whose panel is short (not ranked).
fn roster() -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    format!(
        "unit_id,name,department,kind\n\
         H1,{},政务服务中心,窗口\n\
         H2,{},政务服务中心,窗口\n\
         H3,{},公安,窗口\n\
         H4,户籍窗口,{},窗口\n\
         U5,税务窗口,税务,窗口\n\
         U6,社保窗口,人社,窗口\n\
         S7,不动产窗口,自然资源,窗口\n",
        q(SCRIPT),
        q(IMG),
        q(BIDI),
        q("\"><svg onload=alert(3)>")
    )
}

/// Ten ballots per unit, answers differing by unit; S7 mostly from `npc`.
fn ballots() -> String {
    let mut s = String::from("ballot_id,unit_id,rater_id,rater_group,rater_unit,int1,int2,law1\n");
    let mut k = 0;
    for (n, unit) in ["H1", "H2", "H3", "H4", "U5", "U6", "S7"].iter().enumerate() {
        for b in 0..10 {
            k += 1;
            let group = if *unit == "S7" && b < 6 { "npc" } else { "pub" };
            let a = if b < n {
                3
            } else if b % 3 == 0 {
                2
            } else {
                1
            };
            s.push_str(&format!(
                "B{k},{unit},R{k},{group},,{a},{},1\n",
                if b % 2 == 0 { 1 } else { a }
            ));
        }
    }
    s
}

/// Writes the hostile campaign into `dir` (with `extra` lines added to the plan)
/// and scores it into `dir/out`; returns the output folder.
pub(crate) fn score_hostile(dir: &Path, extra: &str) -> PathBuf {
    std::fs::write(dir.join("survey.yaml"), crate::rules::SURVEY).expect("survey");
    std::fs::write(dir.join("plan.yaml"), format!("{PLAN}{extra}")).expect("plan");
    std::fs::write(dir.join("roster.csv"), roster()).expect("roster");
    std::fs::write(dir.join("ballots.csv"), ballots()).expect("ballots");
    let out = dir.join("out");
    Command::cargo_bin("appraise")
        .expect("the appraise binary")
        .current_dir(manifest_dir())
        .arg("score")
        .arg("--plan")
        .arg(dir.join("plan.yaml"))
        .arg("--roster")
        .arg(dir.join("roster.csv"))
        .arg("--ballots")
        .arg(dir.join("ballots.csv"))
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .success();
    out
}

/// Escapes text as the report does (`& < > " '`).
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The tags of an HTML page, outside `<style>` and comments: (name, attribute
/// text).
fn tags(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let inner = &rest[..end];
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect::<String>()
            .to_ascii_lowercase();
        out.push((name.clone(), inner.to_string()));
        rest = &rest[end.min(rest.len())..];
        if name == "style" && !inner.starts_with('/') {
            // Skip the style sheet (CSS may hold `>`).
            let close = rest.find("</style>").unwrap_or(rest.len());
            rest = &rest[close..];
        }
    }
    out
}

/// Asserts that `html` is one self-contained page: no script, nothing loaded from
/// anywhere, no event handler, links only within the page.
pub(crate) fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script tag");
    assert!(!lower.contains("http:") && !lower.contains("https:"), "an http address");
    assert!(!lower.contains("url("), "a CSS url()");
    assert!(!lower.contains("@import"), "a CSS import");
    for (name, inner) in tags(html) {
        assert!(
            !matches!(
                name.as_str(),
                "script" | "img" | "iframe" | "link" | "object" | "embed" | "image" | "use" | "base" | "form"
            ),
            "a <{name}> tag: <{inner}>"
        );
        let attrs = inner.to_ascii_lowercase();
        for word in attrs.split(|c: char| c.is_whitespace()) {
            let key = word.split('=').next().unwrap_or("");
            assert!(!key.starts_with("on"), "an event handler: <{inner}>");
            assert!(
                key != "src" && key != "srcset" && key != "xlink:href",
                "a load: <{inner}>"
            );
            if key == "href" {
                assert!(word.starts_with("href=\"#"), "a link out of the page: <{inner}>");
            }
        }
    }
}

#[test]
fn hostile_names_are_text_in_a_self_contained_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = score_hostile(dir.path(), "");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html is written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"zh-CN\">"), "the survey's title is Chinese");
    assert_self_contained(&html);
    // The hostile names show as text.
    assert!(html.contains(&html_escape(SCRIPT)), "the script name, escaped");
    assert!(html.contains(&html_escape(IMG)), "the img name, escaped");
    assert!(
        html.contains("窗口\\u{202E}lave\\u{2066}"),
        "bidi controls shown as escapes"
    );
    assert!(
        !html.contains('\u{202E}') && !html.contains('\u{2066}'),
        "a raw bidi control"
    );
    assert!(html.contains("&quot;&gt;&lt;svg onload=alert(3)&gt;"));
    // Every ranked unit is named; the unranked one too, with its reason.
    let results = Table::from_bytes(&std::fs::read(out.join("results.csv")).expect("results.csv"));
    let ranked: Vec<String> = results
        .rows
        .iter()
        .filter(|r| r[results.column("status")] == "ranked")
        .map(|r| r[results.column("name")].clone())
        .collect();
    assert_eq!(ranked.len(), 6, "{:?}", results.rows);
    for name in &ranked {
        let shown = html_escape(name)
            .replace('\u{202E}', "\\u{202E}")
            .replace('\u{2066}', "\\u{2066}");
        assert!(html.contains(&shown), "{name} is not named");
    }
    assert_eq!(results.cell("unit_id", "S7", "status"), "panel_short");
    assert!(
        html.contains("群众代表占比 40%，低于 70%"),
        "why S7 is not ranked, in words"
    );
    // Charts and Chinese headings.
    assert!(html.matches("<svg").count() >= 2, "at least two charts");
    for h in ["测评概况", "公示名单", "图表", "单位评分卡", "计算方法与数据质量"] {
        assert!(html.contains(&format!("<h2>{h}</h2>")), "heading {h}");
    }
    assert!(html.contains("红旗窗口"));
    // Deterministic: the same input gives the same bytes.
    let second = dir.path().join("again");
    std::fs::create_dir_all(&second).expect("mkdir");
    let again = score_hostile(&second, "");
    assert_eq!(
        std::fs::read(again.join("report.html")).expect("again"),
        html.as_bytes()
    );

    // report.md: Chinese headings, escaped names, no HTML entity in its own notes.
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(md.contains("## 票数核对") && md.contains("## 排名（6个单位）"), "{md}");
    assert!(md.contains("&lt;script&gt;"), "{md}");
    assert!(!md.contains("<script>"), "{md}");
    assert!(md.contains("群众代表占比 40%，低于 70%"), "{md}");
    assert!(!md.contains("0.4 &lt; 0.7"), "{md}");
}

#[test]
fn language_en_gives_english_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = score_hostile(dir.path(), "language: en\n");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("<h2>Published list</h2>"), "English headings");
    assert!(html.contains("public share 40%, below 70%"));
    assert_self_contained(&html);
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(
        md.contains("## Accounting") && md.contains("## Ranking (6 units)"),
        "{md}"
    );
}

#[test]
fn an_unknown_language_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("survey.yaml"), crate::rules::SURVEY).expect("survey");
    std::fs::write(dir.path().join("plan.yaml"), format!("{PLAN}language: fr\n")).expect("plan");
    std::fs::write(dir.path().join("roster.csv"), roster()).expect("roster");
    Command::cargo_bin("appraise")
        .expect("the appraise binary")
        .arg("validate")
        .arg("--plan")
        .arg(dir.path().join("plan.yaml"))
        .arg("--roster")
        .arg(dir.path().join("roster.csv"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("language"));
}

#[test]
fn demo_report_html_names_every_ranked_unit_and_keeps_intervals_in_range() {
    let (plan, roster, outcome) = crate::demo();
    let html = appraise::output::report_html(
        plan,
        roster,
        outcome,
        &appraise::output::attention_list(plan, roster, outcome),
    );
    assert_self_contained(&html);
    for &u in &outcome.listing() {
        let name = &roster.units[outcome.units[u].unit].name;
        assert!(html.contains(&html_escape(name)), "{name}");
    }
    assert!(html.matches("<svg").count() >= 3);
    // The composite interval is taken on the logit of the score range, so it stays
    // inside 0–100 (the view clamps anyway).
    assert!(
        outcome
            .units
            .iter()
            .filter_map(|r| r.composite_ci)
            .all(|(lo, hi)| (0.0..=100.0).contains(&lo) && (0.0..=100.0).contains(&hi)),
        "an interval past the scale"
    );
    let view = appraise::output::report_view(plan, roster, outcome, &[]);
    for u in &view.units {
        for x in [u.composite_lo, u.composite_hi].into_iter().flatten() {
            assert!((0.0..=100.0).contains(&x), "{} {x}", u.id);
        }
    }
}
