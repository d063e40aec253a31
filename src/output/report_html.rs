//! `report.html`: one self-contained file (inline CSS and inline SVG, no
//! script, nothing loaded from anywhere) that reads on a phone and prints on A4.
//!
//! Sections, in order: 测评概况 (headline and accounting, 需要关注), 公示名单, charts
//! (final scores with intervals, dimension heat map, departments' satisfaction
//! rates), 单位评分卡 (one per unit), 计算方法与数据质量.
//!
//! Every text from the view is escaped ([`crate::output::svg::escape`]); every number in
//! text goes through one formatter that shows `—` for a missing or non-finite
//! value.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthChar;

use crate::output::labels::{Key, back_mark, front_mark, label};
use crate::output::svg::{Svg, escape, num};
use crate::output::view::{Language, ReportView, UnitView, report_view};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;

/// Units per panel of the final-score chart and per column block of the heat map.
const ROWS_PER_PANEL: usize = 60;
/// Row height of the tall charts, in SVG units.
const ROW: f64 = 12.0;
/// Width of every chart's `viewBox` (scaled to the page width).
const CHART_W: f64 = 800.0;

const CSS: &str = r#"
:root{--ink:#1b1f24;--muted:#58606b;--line:#d3d9e0;--head:#edf1f6;--accent:#1f4e79;--warn:#9a3412;--warnbg:#fff4e5}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#fff;color:var(--ink);font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;font-size:15px;line-height:1.6}
main{max-width:1000px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;line-height:1.3;margin:0 0 6px;color:var(--accent)}
h2{font-size:21px;margin:40px 0 12px;padding-bottom:4px;border-bottom:2px solid var(--accent);color:var(--accent)}
h3{font-size:17px;margin:22px 0 8px}
.meta{color:var(--muted);margin:0 0 4px}
nav{margin:12px 0 0;font-size:14px}
nav a{color:var(--accent);margin-right:14px;white-space:nowrap}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:16px 0}
.tile{border:1px solid var(--line);border-radius:6px;padding:8px 12px}
.tile b{display:block;font-size:24px;line-height:1.3;color:var(--accent);font-variant-numeric:tabular-nums}
.tile span{color:var(--muted);font-size:13px}
.attention{border:2px solid #c2410c;background:var(--warnbg);border-radius:6px;padding:10px 16px;margin:16px 0}
.attention h3{margin:0 0 4px;color:var(--warn)}
.attention ul{margin:0;padding-left:20px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:8px 0}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
thead th{background:var(--head);white-space:nowrap}
td.nw{white-space:nowrap}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.narrow{width:auto;min-width:min(100%,420px)}
tr.top td{background:#eaf6ec}
tr.bottom td{background:#fcefe3}
.mark{display:inline-block;padding:0 5px;border-radius:3px;font-size:12px;line-height:1.5;margin:1px 4px 1px 0;border:1px solid;white-space:nowrap}
.mark.top{color:#14532d;border-color:#15803d}
.mark.bottom{color:#7c2d12;border-color:#c2410c}
.mark.award{color:#991b1b;border-color:#dc2626;background:#fef2f2}
.mark.cons{color:#713f12;border-color:#a16207;background:#fefce8}
.status{color:var(--warn);font-weight:bold}
figure{margin:18px 0}
figcaption{font-weight:bold;margin-bottom:2px}
figcaption .note{display:block;font-weight:normal;color:var(--muted);font-size:13px}
.chart{margin:6px 0 14px;break-inside:avoid}
.chart svg{display:block;width:100%;height:auto}
svg text{font-family:inherit}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 16px 12px;margin:16px 0;break-inside:avoid}
.card h3{margin:0 0 4px}
.card h3 .sub{color:var(--muted);font-size:13px;font-weight:normal;margin-left:8px}
.card h4{font-size:14px;margin:10px 0 4px;color:var(--muted)}
.figs{display:flex;flex-wrap:wrap;gap:2px 18px;margin:4px 0 6px}
.figs div{white-space:nowrap}
.figs dt{display:inline;color:var(--muted)}
.figs dd{display:inline;margin:0 0 0 4px;font-weight:bold;font-variant-numeric:tabular-nums}
.cols{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:18px;align-items:start}
.card svg{display:block;width:100%;max-width:460px;height:auto}
.card table{font-size:13px;line-height:1.35}
.card td,.card th{padding:1px 6px}
.bar{position:relative;display:inline-block;width:90px;height:10px;background:#edf1f6;vertical-align:middle;margin-right:6px}
.bar i{position:absolute;top:3px;height:4px;background:#7aa0c8}
.bar b{position:absolute;top:0;width:2px;height:10px;background:var(--accent)}
ul.flags{margin:4px 0;padding-left:20px}
.why{color:var(--warn)}
@media (max-width:700px){
 main{padding:12px 10px 32px}
 body{font-size:14px}
 h1{font-size:21px}
 .cols{grid-template-columns:1fr}
 .chart{overflow-x:auto;-webkit-overflow-scrolling:touch}
 .chart svg{min-width:620px}
 .card .scroll table{min-width:540px}
 .card{padding:8px 10px}
}
@page{size:A4;margin:14mm 12mm}
@media print{
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{font-size:10pt}
 main{max-width:none;padding:0}
 nav{display:none}
 section.major{break-before:page;page-break-before:always}
 h2,h3,h4,figcaption{break-after:avoid}
 thead{display:table-header-group}
 tr{break-inside:avoid;page-break-inside:avoid}
 .card,.chart{page-break-inside:avoid}
 .scroll,.chart{overflow:visible}
 .chart svg{min-width:0}
 table{font-size:9pt;line-height:1.35}
 th,td{padding:1px 6px}
 .tiles{grid-template-columns:repeat(4,1fr)}
 .tile b{font-size:15pt}
 .card{padding:6px 10px;margin:0 0 6mm;border-radius:0}
 .card table{font-size:8.5pt;line-height:1.2}
 .card td,.card th{padding:0 5px}
 .card h4{margin:4px 0 2px}
 .cols svg{max-width:330px}
 .card p{margin:2px 0}
 .card h3{font-size:12pt}
 .figs{margin:2px 0}
 .cols{grid-template-columns:minmax(0,3fr) minmax(0,2fr)}
}
"#;

/// `report.html` of a scored campaign: [`report_view`] rendered by [`render_html`].
/// `attention` is what a person must look at ([`crate::output::view::attention_list`]).
pub fn report_html(plan: &Plan, roster: &Roster, outcome: &Outcome, attention: &[String]) -> String {
    let mut page = Page::new(None);
    write_report(plan, roster, outcome, attention, &mut page);
    page.buf
}

/// [`report_html`] handed to `out` in pieces of about 1 MiB as it
/// is rendered, so that the page is never held whole (100,000 units make 1.3 GB
/// of HTML). The first error of `out` stops the writing and is returned.
pub fn report_html_to(
    plan: &Plan,
    roster: &Roster,
    outcome: &Outcome,
    attention: &[String],
    out: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut page = Page::new(Some(out));
    write_report(plan, roster, outcome, attention, &mut page);
    page.finish()
}

fn write_report(plan: &Plan, roster: &Roster, outcome: &Outcome, attention: &[String], page: &mut Page<'_>) {
    let view = report_view(plan, roster, outcome, attention);
    // SPEC §14: the ledgers' section, before the methods (nothing without the
    // rules), with its entry in the navigation before the methods'.
    let ledgers = crate::output::ledger_report::ledger_html(plan, roster, outcome);
    let extra = (!ledgers.is_empty()).then(|| {
        let heading = if plan.ledgers.components.is_empty() {
            Key::Ledgers
        } else {
            Key::Components
        };
        (
            format!("<a href=\"#ledgers\">{}</a>", label(plan.language, heading)),
            ledgers,
        )
    });
    render_page(
        &view,
        extra.as_ref().map(|(link, html)| (link.as_str(), html.as_str())),
        page,
    );
}

/// The report as one self-contained HTML page.
pub fn render_html(v: &ReportView) -> String {
    let mut page = Page::new(None);
    render_page(v, None, &mut page);
    page.buf
}

/// Where the pieces of a streamed page go.
type Sink<'o> = &'o mut dyn FnMut(&str) -> std::io::Result<()>;

/// The page being written: a buffer handed to a sink whenever it passes
/// [`Page::CHUNK`] bytes (or kept whole when there is no sink).
struct Page<'o> {
    buf: String,
    out: Option<Sink<'o>>,
    failed: Option<std::io::Error>,
}

impl<'o> Page<'o> {
    /// Bytes held before they go to the sink.
    const CHUNK: usize = 1 << 20;

    fn new(out: Option<Sink<'o>>) -> Page<'o> {
        Page {
            buf: String::new(),
            out,
            failed: None,
        }
    }

    fn push_str(&mut self, s: &str) {
        self.buf.push_str(s);
        if self.buf.len() >= Self::CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if let Some(out) = self.out.as_mut() {
            if self.failed.is_none()
                && let Err(e) = out(&self.buf)
            {
                self.failed = Some(e);
            }
            self.buf.clear();
        }
    }

    /// Hands the rest to the sink; the first error met.
    fn finish(mut self) -> std::io::Result<()> {
        self.flush();
        self.failed.map_or(Ok(()), Err)
    }
}

impl std::fmt::Write for Page<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// The page of view `v`; `ledgers` (a navigation link and a section) go before
/// the methods' link and section.
fn render_page(v: &ReportView, ledgers: Option<(&str, &str)>, s: &mut Page<'_>) {
    let c = Ctx {
        v,
        lang: v.lang,
        d: v.decimals.min(6) as usize,
        ledger_link: ledgers.map_or("", |l| l.0),
    };
    let order = unit_order(v);
    if s.out.is_none() {
        s.buf.reserve(64 * 1024 + v.units.len() * 6 * 1024);
    }
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
        c.lang.tag(),
        escape(&v.title),
        CSS
    );
    overview(&c, s);
    public_list(&c, s, &order);
    people(&c, s);
    charts(&c, s, &order);
    scorecards(&c, s, &order);
    if let Some((_, section)) = ledgers {
        s.push_str(section);
    }
    methods(&c, s);
    s.push_str("</main>\n</body>\n</html>\n");
}

struct Ctx<'a> {
    v: &'a ReportView,
    lang: Language,
    d: usize,
    /// The ledgers' navigation link (SPEC §14), or empty.
    ledger_link: &'a str,
}

impl Ctx<'_> {
    fn t(&self, k: Key) -> &'static str {
        label(self.lang, k)
    }

    /// The colon after a label: full width in Chinese.
    fn colon(&self) -> &'static str {
        match self.lang {
            Language::Zh => "：",
            Language::En => ": ",
        }
    }

    /// `x` in brackets: full width in Chinese.
    fn paren(&self, x: &str) -> String {
        match self.lang {
            Language::Zh => format!("（{x}）"),
            Language::En => format!(" ({x})"),
        }
    }

    /// A score rounded to the view's decimals, or `—`.
    fn score(&self, x: Option<f64>) -> String {
        match finite(x) {
            Some(x) => format!("{:.*}", self.d, x),
            None => self.t(Key::NotAvailable).into(),
        }
    }

    /// A fraction as a percentage with one decimal, or `—`.
    fn pct(&self, x: Option<f64>) -> String {
        match finite(x) {
            Some(x) => format!("{:.1}%", x * 100.0),
            None => self.t(Key::NotAvailable).into(),
        }
    }

    /// An interval `[lo, hi]` of scores, clamped to the scale 0–100, or `—`.
    fn interval(&self, lo: Option<f64>, hi: Option<f64>) -> String {
        match (finite(lo), finite(hi)) {
            (Some(a), Some(b)) => format!(
                "{}–{}",
                self.score(Some(a.clamp(0.0, 100.0))),
                self.score(Some(b.clamp(0.0, 100.0)))
            ),
            _ => self.t(Key::NotAvailable).into(),
        }
    }

    /// An interval of fractions as percentages, or `—`.
    fn pct_interval(&self, lo: Option<f64>, hi: Option<f64>) -> String {
        match (finite(lo), finite(hi)) {
            (Some(_), Some(_)) => format!("{}–{}", self.pct(lo), self.pct(hi)),
            _ => self.t(Key::NotAvailable).into(),
        }
    }

    fn rank_set(&self, u: &UnitView) -> String {
        match (u.rank_lo, u.rank_hi) {
            (Some(a), Some(b)) if a == b => a.to_string(),
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => self.t(Key::NotAvailable).into(),
        }
    }

    /// A number given as text (the published final score): `—` when missing or
    /// when it reads as a number that is not finite (`NaN`, `inf`).
    fn published(&self, s: Option<&str>) -> String {
        match s.map(str::trim) {
            Some(t) if t.parse::<f64>().is_ok_and(|x| !x.is_finite()) => self.t(Key::NotAvailable).into(),
            other => self.opt_text(other),
        }
    }

    fn opt_text(&self, s: Option<&str>) -> String {
        match s {
            Some(s) if !s.is_empty() => escape(s),
            _ => self.t(Key::NotAvailable).into(),
        }
    }

    /// The marks of a unit (前三/后三, awards, consecutive mark) as HTML.
    fn marks(&self, u: &UnitView) -> String {
        let mut m = String::new();
        if u.top {
            let _ = write!(
                m,
                "<span class=\"mark top\">{}</span>",
                escape(&front_mark(self.lang, self.v.top_n))
            );
        }
        if u.bottom {
            let _ = write!(
                m,
                "<span class=\"mark bottom\">{}</span>",
                escape(&back_mark(self.lang, self.v.bottom_n))
            );
        }
        if let Some(cm) = u.consecutive.as_deref().filter(|x| !x.is_empty()) {
            let _ = write!(m, "<span class=\"mark cons\">{}</span>", escape(cm));
        }
        m
    }

    fn awards(&self, u: &UnitView) -> String {
        u.awards
            .iter()
            .filter(|a| !a.is_empty())
            .map(|a| format!("<span class=\"mark award\">{}</span>", escape(a)))
            .collect()
    }
}

fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// Ranked units in rank order (ties in view order), then the others in view order.
fn unit_order(v: &ReportView) -> Vec<&UnitView> {
    let mut ranked: Vec<&UnitView> = v.units.iter().filter(|u| is_ranked(u)).collect();
    ranked.sort_by_key(|u| u.rank);
    ranked.extend(v.units.iter().filter(|u| !is_ranked(u)));
    ranked
}

fn is_ranked(u: &UnitView) -> bool {
    u.status.ranked && u.rank.is_some()
}

/// The width of `s` in SVG units at `font` size (CJK full width: 1 em; others
/// about 0.6 em).
fn text_width(s: &str, font: f64) -> f64 {
    s.chars()
        .map(|c| match c.width().unwrap_or(0) {
            0 => 0.0,
            1 => 0.6,
            _ => 1.0,
        })
        .sum::<f64>()
        * font
}

/// `s` cut with `…` to fit `max` SVG units at `font` size. Characters shown as
/// escapes count at the width of their escape.
fn fit(s: &str, max: f64, font: f64) -> String {
    let shown: String = s
        .chars()
        .map(|c| {
            if crate::output::svg::is_hidden(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    if text_width(&shown, font) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0.0;
    let ell = text_width("…", font);
    for c in s.chars() {
        let cw = if crate::output::svg::is_hidden(c) {
            text_width("\\u{202E}", font)
        } else {
            text_width(c.encode_utf8(&mut [0; 4]), font)
        };
        if w + cw + ell > max {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

fn overview(c: &Ctx<'_>, s: &mut Page<'_>) {
    let v = c.v;
    let _ = write!(
        s,
        "<section id=\"overview\" class=\"first\">\n<h1>{}</h1>\n<p class=\"meta\">{}{}{} – {}</p>\n",
        escape(&v.title),
        c.t(Key::Period),
        c.colon(),
        escape(&v.period_start),
        escape(&v.period_end)
    );
    if !v.generated_from.is_empty() {
        let _ = writeln!(
            s,
            "<p class=\"meta\">{}{}{}</p>",
            c.t(Key::GeneratedFrom),
            c.colon(),
            escape(&v.generated_from)
        );
    }
    let _ = writeln!(
        s,
        "<nav><a href=\"#overview\">{}</a><a href=\"#list\">{}</a><a href=\"#charts\">{}</a><a href=\"#cards\">{}</a>{}<a href=\"#methods\">{}</a></nav>",
        c.t(Key::Overview),
        c.t(Key::PublicList),
        c.t(Key::Charts),
        c.t(Key::Scorecards),
        c.ledger_link,
        c.t(Key::MethodsAndQuality)
    );
    let _ = writeln!(s, "<h2>{}</h2>", c.t(Key::Overview));
    if !v.attention.is_empty() {
        let _ = write!(
            s,
            "<div class=\"attention\" role=\"alert\"><h3>⚠ {}</h3><ul>",
            c.t(Key::Attention)
        );
        for a in &v.attention {
            let _ = write!(s, "<li>{}</li>", escape(a));
        }
        s.push_str("</ul></div>\n");
    }
    let tile = |s: &mut Page<'_>, big: String, small: &str| {
        let _ = write!(
            s,
            "<div class=\"tile\"><b>{big}</b><span>{}</span></div>",
            escape(small)
        );
    };
    s.push_str("<div class=\"tiles\">");
    tile(
        s,
        format!("{} / {}", v.units_ranked, v.units_on_roster),
        c.t(Key::RankedOfRoster),
    );
    tile(
        s,
        format!("{} / {}", v.ballots.valid, v.ballots.read),
        &format!("{} / {}", c.t(Key::ValidBallots), c.t(Key::BallotsRead)),
    );
    tile(s, v.ballots.rejected.to_string(), c.t(Key::RejectedBallots));
    tile(
        s,
        v.complaints.counted.to_string(),
        &format!("{}{}", c.t(Key::Complaints), c.t(Key::ComplaintsCounted)),
    );
    s.push_str("</div>\n");
    // Accounting sentences.
    let sep = if c.lang == Language::Zh { "，" } else { ", " };
    let reasons: Vec<String> = v
        .ballots
        .by_reason
        .iter()
        .filter(|r| r.count > 0)
        .map(|r| {
            format!(
                "{} {}",
                escape(if r.label.is_empty() { &r.code } else { &r.label }),
                r.count
            )
        })
        .collect();
    let b = &v.ballots;
    let _ = write!(
        s,
        "<p><b>{}</b>{}{} {} = {} {} + {} {}",
        c.t(Key::Accounting),
        c.colon(),
        c.t(Key::BallotsRead),
        b.read,
        c.t(Key::ValidBallots),
        b.valid,
        c.t(Key::RejectedBallots),
        b.rejected
    );
    if !reasons.is_empty() {
        let (l, r) = if c.lang == Language::Zh {
            ("（", "）")
        } else {
            (" (", ")")
        };
        let _ = write!(s, "{l}{}{r}", reasons.join(sep));
    }
    if b.unattributed > 0 {
        let _ = write!(s, "{sep}{} {}", c.t(Key::Unattributed), b.unattributed);
    }
    s.push_str("</p>\n");
    let k = &v.complaints;
    let _ = writeln!(
        s,
        "<p><b>{}</b>{}{} {} = {} {} + {} {} + {} {} + {} {} + {} {}{sep}{} {}</p>",
        c.t(Key::Complaints),
        c.colon(),
        c.t(Key::ComplaintsRead),
        k.read,
        c.t(Key::ComplaintsCounted),
        k.counted,
        c.t(Key::OutOfPeriod),
        k.out_of_period,
        c.t(Key::Unverified),
        k.unverified,
        c.t(Key::Dismissed),
        k.dismissed,
        c.t(Key::ComplaintsRejected),
        k.rejected,
        c.t(Key::ComplaintsDeducting),
        k.deducting
    );
    if !v.grades.is_empty() {
        let bands: Vec<String> = v
            .grades
            .iter()
            .map(|g| {
                let min = if g.min.is_finite() {
                    num(g.min)
                } else {
                    c.t(Key::NotAvailable).to_string()
                };
                format!("{} ≥ {min}", escape(&g.label))
            })
            .collect();
        let _ = writeln!(
            s,
            "<p><b>{}</b>{}{}</p>",
            c.t(Key::GradeBands),
            c.colon(),
            bands.join(sep)
        );
    }
    s.push_str("</section>\n");
}

fn public_list(c: &Ctx<'_>, s: &mut Page<'_>, order: &[&UnitView]) {
    let _ = writeln!(
        s,
        "<section id=\"list\" class=\"major\">\n<h2>{}</h2>",
        c.t(Key::PublicList)
    );
    let _ = write!(
        s,
        "<div class=\"scroll\"><table class=\"list\"><thead><tr><th class=\"n\">{}</th><th>{}</th><th>{}</th>\
         <th class=\"n\">{}</th><th>{}</th><th class=\"n\">{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        c.t(Key::Rank),
        c.t(Key::Unit),
        c.t(Key::Department),
        c.t(Key::FinalScore),
        c.t(Key::Grade),
        c.t(Key::SatisfactionRate),
        c.t(Key::Marks),
        c.t(Key::Awards)
    );
    for u in order.iter().filter(|u| is_ranked(u)) {
        let class = if u.top {
            " class=\"top\""
        } else if u.bottom {
            " class=\"bottom\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<tr{class}><td class=\"n\">{}</td><td class=\"nw\">{}</td><td class=\"nw\">{}</td><td class=\"n\">{}</td><td class=\"nw\">{}</td><td class=\"n\">{}</td><td class=\"nw\">{}</td><td class=\"nw\">{}</td></tr>",
            u.rank.map_or_else(String::new, |r| r.to_string()),
            escape(&u.name),
            escape(&u.department),
            c.published(u.published.as_deref()),
            c.opt_text(u.grade.as_deref()),
            c.pct(u.rate),
            c.marks(u),
            c.awards(u)
        );
    }
    s.push_str("</tbody></table></div>\n");
    let unranked: Vec<&&UnitView> = order.iter().filter(|u| !is_ranked(u)).collect();
    if !unranked.is_empty() {
        let _ = write!(
            s,
            "<h3>{}{}</h3>\n<div class=\"scroll\"><table class=\"unranked\"><thead><tr><th>{}</th><th>{}</th><th>{}</th>\
             <th class=\"n\">{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            c.t(Key::Unranked),
            c.paren(&unranked.len().to_string()),
            c.t(Key::Unit),
            c.t(Key::Department),
            c.t(Key::Status),
            c.t(Key::FinalScore),
            c.t(Key::Grade),
            c.t(Key::WhyNotRanked)
        );
        for u in unranked {
            let _ = writeln!(
                s,
                "<tr><td class=\"nw\">{}</td><td class=\"nw\">{}</td><td class=\"status nw\">{}</td><td class=\"n\">{}</td><td class=\"nw\">{}</td><td>{}</td></tr>",
                escape(&u.name),
                escape(&u.department),
                escape(if u.status.label.is_empty() {
                    &u.status.code
                } else {
                    &u.status.label
                }),
                c.published(u.published.as_deref()),
                c.opt_text(u.grade.as_deref()),
                escape(&u.why_not_ranked)
            );
        }
        s.push_str("</tbody></table></div>\n");
    }
    s.push_str("</section>\n");
}

/// The tables of SPEC §15 (诫勉谈话, self-assessment, 摘牌), when the plan has them.
fn people(c: &Ctx<'_>, s: &mut Page<'_>) {
    if c.v.people.is_empty() {
        return;
    }
    s.push_str("<section id=\"people\" class=\"major\">\n");
    for tb in &c.v.people {
        let _ = writeln!(s, "<h2>{}</h2>\n<p>{}</p>", escape(&tb.heading), escape(&tb.note));
        if tb.rows.is_empty() {
            let _ = writeln!(s, "<p>{}</p>", c.t(Key::NoneText));
            continue;
        }
        s.push_str("<div class=\"scroll\"><table class=\"unranked\"><thead><tr>");
        for h in &tb.head {
            let _ = write!(s, "<th>{}</th>", escape(h));
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        for r in &tb.rows {
            s.push_str("<tr>");
            for cell in r {
                let _ = write!(s, "<td class=\"nw\">{}</td>", escape(cell));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody></table></div>\n");
    }
    s.push_str("</section>\n");
}

fn charts(c: &Ctx<'_>, s: &mut Page<'_>, order: &[&UnitView]) {
    let _ = writeln!(
        s,
        "<section id=\"charts\" class=\"major\">\n<h2>{}</h2>",
        c.t(Key::Charts)
    );
    let ranked: Vec<&UnitView> = order.iter().copied().filter(|u| is_ranked(u)).collect();
    // (a) Final scores with intervals, in panels.
    let _ = writeln!(
        s,
        "<figure id=\"chart-final\"><figcaption>{}<span class=\"note\">{}</span></figcaption>",
        c.t(Key::ChartFinal),
        c.t(Key::ChartFinalNote)
    );
    if ranked.is_empty() {
        let _ = writeln!(s, "<p>{}</p>", c.t(Key::NotAvailable));
    }
    let (lo, hi) = final_domain(&ranked);
    let panels = ranked.len().div_ceil(ROWS_PER_PANEL);
    for (p, chunk) in ranked.chunks(ROWS_PER_PANEL).enumerate() {
        s.push_str("<div class=\"chart\">");
        s.push_str(&final_panel(c, chunk, p, panels, lo, hi));
        s.push_str("</div>\n");
    }
    s.push_str("</figure>\n");
    // (b) Heat map.
    let _ = writeln!(
        s,
        "<figure id=\"chart-heat\"><figcaption>{}<span class=\"note\">{}</span></figcaption>",
        c.t(Key::ChartHeat),
        c.t(Key::ChartHeatNote)
    );
    let (hlo, hhi) = heat_domain(c.v);
    let blocks_per_svg = if c.v.dimensions.len() > 7 || order.len() <= ROWS_PER_PANEL {
        1
    } else {
        2
    };
    let per_svg = ROWS_PER_PANEL * blocks_per_svg;
    for (p, chunk) in order.chunks(per_svg).enumerate() {
        s.push_str("<div class=\"chart\">");
        s.push_str(&heat_panel(c, chunk, p, blocks_per_svg, hlo, hhi));
        s.push_str("</div>\n");
    }
    s.push_str("</figure>\n");
    // (c) Departments.
    let _ = write!(
        s,
        "<figure id=\"chart-dept\"><figcaption>{}<span class=\"note\">{}</span></figcaption>\n<div class=\"chart\">",
        c.t(Key::ChartDept),
        c.t(Key::ChartDeptNote)
    );
    s.push_str(&department_chart(c));
    s.push_str("</div></figure>\n</section>\n");
}

/// The x range of the final-score chart: from a multiple of 10 below every point
/// and interval end (at least 0) to 100.
fn final_domain(units: &[&UnitView]) -> (f64, f64) {
    let min = units
        .iter()
        .flat_map(|u| [u.final_score, u.composite_lo, u.composite])
        .filter_map(finite)
        .fold(f64::INFINITY, f64::min);
    domain_from(min)
}

fn domain_from(min: f64) -> (f64, f64) {
    if !min.is_finite() {
        return (0.0, 100.0);
    }
    let lo = ((min.clamp(0.0, 100.0) / 10.0).floor() * 10.0).min(90.0);
    (lo, 100.0)
}

/// `lo`, the multiples of `step` above it, and `hi`, without near-duplicates.
fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let mut v = vec![lo];
    if step > 0.0 && step.is_finite() {
        let mut t = (lo / step).floor() * step + step;
        while t < hi - step * 0.5 {
            if t > lo + step * 0.5 {
                v.push(t);
            }
            t += step;
        }
    }
    if hi > lo {
        v.push(hi);
    }
    v
}

fn tick_step(lo: f64, hi: f64) -> f64 {
    let span = hi - lo;
    if span <= 20.0 {
        2.0
    } else if span <= 50.0 {
        5.0
    } else {
        10.0
    }
}

/// Soft fills for the grade bands, highest band first.
const BAND_FILLS: [&str; 4] = ["#e3efe6", "#eef3f8", "#f7f2e4", "#f8e6e3"];

fn final_panel(c: &Ctx<'_>, units: &[&UnitView], p: usize, panels: usize, lo: f64, hi: f64) -> String {
    let font = 10.5;
    let (left, right) = (215.0, 730.0);
    let top = 46.0;
    let h = top + units.len() as f64 * ROW + 40.0;
    let x = |v: f64| left + (v.clamp(lo, hi) - lo) / (hi - lo) * (right - left);
    let first = units.first().and_then(|u| u.rank).unwrap_or(0);
    let last = units.last().and_then(|u| u.rank).unwrap_or(0);
    let title = if panels > 1 {
        format!(
            "{}{}",
            c.t(Key::ChartFinal),
            c.paren(&format!("{} {first}–{last}", c.t(Key::Ranks)))
        )
    } else {
        c.t(Key::ChartFinal).to_string()
    };
    let mut g = Svg::new(&format!("final{p}"), CHART_W, h, &title, c.t(Key::ChartFinalNote));
    // Grade bands behind.
    let mut upper = hi;
    let mut bands = c.v.grades.clone();
    bands.sort_by(|a, b| b.min.total_cmp(&a.min));
    for (k, band) in bands.iter().enumerate() {
        if !band.min.is_finite() {
            continue;
        }
        let from = band.min.max(lo);
        if from < upper {
            let (x0, x1) = (x(from), x(upper));
            g.leaf(
                "rect",
                &[
                    ("x", x0.into()),
                    ("y", (top - 4.0).into()),
                    ("width", (x1 - x0).into()),
                    ("height", (units.len() as f64 * ROW + 8.0).into()),
                    ("fill", BAND_FILLS[k.min(BAND_FILLS.len() - 1)].into()),
                ],
            );
            let lab = fit(&band.label, x1 - x0 - 4.0, 10.0);
            g.text(
                &[
                    ("x", ((x0 + x1) / 2.0).into()),
                    ("y", 13.0.into()),
                    ("font-size", 10.0.into()),
                    ("text-anchor", "middle".into()),
                    ("fill", "#58606b".into()),
                ],
                &lab,
            );
        }
        upper = upper.min(band.min.max(lo));
    }
    // Grid and ticks, top and bottom.
    let step = tick_step(lo, hi);
    let mut t = lo;
    let bottom = top + units.len() as f64 * ROW;
    while t <= hi + 1e-9 {
        let xt = x(t);
        g.leaf(
            "line",
            &[
                ("x1", xt.into()),
                ("x2", xt.into()),
                ("y1", (top - 4.0).into()),
                ("y2", (bottom + 4.0).into()),
                ("stroke", "#c5ccd5".into()),
                ("stroke-width", 0.6.into()),
            ],
        );
        for (y, anchor_y) in [(top - 8.0, "top"), (bottom + 16.0, "bottom")] {
            let _ = anchor_y;
            g.text(
                &[
                    ("x", xt.into()),
                    ("y", y.into()),
                    ("font-size", 9.5.into()),
                    ("text-anchor", "middle".into()),
                    ("fill", "#3d4450".into()),
                ],
                &num(t),
            );
        }
        t += step;
    }
    // Column heads.
    let head = [
        ("x", 4.0.into()),
        ("y", (top - 8.0).into()),
        ("font-size", 9.5.into()),
        ("fill", "#3d4450".into()),
    ];
    g.text(&head, &format!("{} / {}", c.t(Key::Rank), c.t(Key::Unit)));
    g.text(
        &[
            ("x", (CHART_W - 4.0).into()),
            ("y", (top - 8.0).into()),
            ("font-size", 9.5.into()),
            ("text-anchor", "end".into()),
            ("fill", "#3d4450".into()),
        ],
        c.t(Key::RankSet),
    );
    // Rows.
    for (i, u) in units.iter().enumerate() {
        let yc = top + i as f64 * ROW + ROW / 2.0;
        g.open("g", &[]);
        g.text_el(
            "title",
            &[],
            &format!(
                "{} {}: {} {}, {} {}, {} {}",
                u.rank.map_or_else(String::new, |r| r.to_string()),
                u.name,
                c.t(Key::FinalScore),
                c.score(u.final_score),
                c.t(Key::ConfidenceInterval),
                c.interval(u.composite_lo, u.composite_hi),
                c.t(Key::RankSet),
                c.rank_set(u)
            ),
        );
        if i % 2 == 1 {
            g.leaf(
                "rect",
                &[
                    ("x", 0.0.into()),
                    ("y", (yc - ROW / 2.0).into()),
                    ("width", (left - 6.0).into()),
                    ("height", ROW.into()),
                    ("fill", "#f4f6f9".into()),
                ],
            );
        }
        let ty = yc + font * 0.36;
        g.text(
            &[
                ("x", 28.0.into()),
                ("y", ty.into()),
                ("font-size", font.into()),
                ("text-anchor", "end".into()),
                ("fill", "#1b1f24".into()),
            ],
            &u.rank.map_or_else(String::new, |r| r.to_string()),
        );
        g.text(
            &[
                ("x", 34.0.into()),
                ("y", ty.into()),
                ("font-size", font.into()),
                ("fill", "#1b1f24".into()),
            ],
            &fit(&u.name, left - 44.0, font),
        );
        if let (Some(a), Some(b)) = (finite(u.composite_lo), finite(u.composite_hi)) {
            g.leaf(
                "line",
                &[
                    ("x1", x(a).into()),
                    ("x2", x(b).into()),
                    ("y1", yc.into()),
                    ("y2", yc.into()),
                    ("stroke", "#5b84b1".into()),
                    ("stroke-width", 2.2.into()),
                ],
            );
        }
        if let (Some(cm), Some(f)) = (finite(u.composite), finite(u.final_score))
            && (cm - f).abs() > 1e-9
        {
            g.leaf(
                "line",
                &[
                    ("x1", x(cm).into()),
                    ("x2", x(cm).into()),
                    ("y1", (yc - 3.5).into()),
                    ("y2", (yc + 3.5).into()),
                    ("stroke", "#5b84b1".into()),
                    ("stroke-width", 1.5.into()),
                ],
            );
        }
        if let Some(f) = finite(u.final_score) {
            g.leaf(
                "circle",
                &[
                    ("cx", x(f).into()),
                    ("cy", yc.into()),
                    ("r", 3.2.into()),
                    ("fill", "#173b5e".into()),
                ],
            );
        }
        g.text(
            &[
                ("x", (CHART_W - 4.0).into()),
                ("y", ty.into()),
                ("font-size", font.into()),
                ("text-anchor", "end".into()),
                ("fill", "#1b1f24".into()),
            ],
            &c.rank_set(u),
        );
        g.close();
    }
    text_middle(&mut g, (left + right) / 2.0, h - 6.0, 11.0, c.t(Key::FinalScore));
    g.finish()
}

/// The colour range of the heat map: every dimension score, widened to multiples
/// of 5 (at least 5 wide).
fn heat_domain(v: &ReportView) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for x in v
        .units
        .iter()
        .flat_map(|u| u.dimensions.iter())
        .chain(v.dimensions.iter().map(|d| &d.median))
        .filter_map(|x| finite(*x))
    {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if !lo.is_finite() {
        return (0.0, 100.0);
    }
    let lo = (lo.clamp(0.0, 100.0) / 5.0).floor() * 5.0;
    let hi = ((hi.clamp(0.0, 100.0) / 5.0).ceil() * 5.0).max(lo + 5.0);
    (lo, hi)
}

/// Viridis (colour-blind safe, ordered by lightness) at `t` in 0–1.
fn viridis(t: f64) -> (u8, u8, u8) {
    const STOPS: [(f64, f64, f64); 9] = [
        (68.0, 1.0, 84.0),
        (71.0, 44.0, 122.0),
        (59.0, 81.0, 139.0),
        (44.0, 113.0, 142.0),
        (33.0, 144.0, 141.0),
        (39.0, 173.0, 129.0),
        (92.0, 200.0, 99.0),
        (170.0, 220.0, 50.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let f = t * (STOPS.len() - 1) as f64;
    let i = (f.floor() as usize).min(STOPS.len() - 2);
    let w = f - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * w).round().clamp(0.0, 255.0) as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn heat_panel(c: &Ctx<'_>, units: &[&UnitView], p: usize, blocks: usize, lo: f64, hi: f64) -> String {
    let dims = &c.v.dimensions;
    let nd = dims.len().max(1) as f64;
    let font = 10.0;
    let gap = 24.0;
    let block_w = (CHART_W - gap * (blocks as f64 - 1.0)) / blocks as f64;
    let label_w = (block_w * 0.4).min(170.0);
    let cell_w = ((block_w - label_w) / nd).min(70.0);
    let head_font = if dims.iter().all(|d| text_width(&d.label, 9.5) <= cell_w - 2.0) {
        9.5
    } else {
        8.5
    };
    let header_fits = dims.iter().all(|d| text_width(&d.label, head_font) <= cell_w - 2.0);
    let header_h = if header_fits { 20.0 } else { 64.0 };
    let legend_h = 44.0;
    let top = header_h + 6.0;
    let rows_in_block = ROWS_PER_PANEL.min(units.len());
    // One extra row for the campaign median.
    let h = top + (rows_in_block as f64 + 1.0) * ROW + 6.0 + legend_h;
    let mut g = Svg::new(
        &format!("heat{p}"),
        CHART_W,
        h,
        c.t(Key::ChartHeat),
        c.t(Key::ChartHeatNote),
    );
    let color_t = |x: f64| (x - lo) / (hi - lo);
    let cell = |g: &mut Svg, x0: f64, y0: f64, value: Option<f64>, tip: String| {
        g.open("g", &[]);
        g.text_el("title", &[], &tip);
        match finite(value) {
            Some(val) => {
                let t = color_t(val);
                g.leaf(
                    "rect",
                    &[
                        ("x", x0.into()),
                        ("y", y0.into()),
                        ("width", (cell_w - 1.0).into()),
                        ("height", (ROW - 1.0).into()),
                        ("fill", hex(viridis(t)).into()),
                    ],
                );
                let ink = if t < 0.55 { "#ffffff" } else { "#1b1f24" };
                g.text(
                    &[
                        ("x", (x0 + cell_w / 2.0).into()),
                        ("y", (y0 + ROW * 0.5 + 3.2).into()),
                        ("font-size", 8.5.into()),
                        ("text-anchor", "middle".into()),
                        ("fill", ink.into()),
                    ],
                    &c.score(Some(val)),
                );
            }
            None => {
                g.leaf(
                    "rect",
                    &[
                        ("x", x0.into()),
                        ("y", y0.into()),
                        ("width", (cell_w - 1.0).into()),
                        ("height", (ROW - 1.0).into()),
                        ("fill", "#e4e7eb".into()),
                    ],
                );
                g.text(
                    &[
                        ("x", (x0 + cell_w / 2.0).into()),
                        ("y", (y0 + ROW * 0.5 + 3.2).into()),
                        ("font-size", 8.5.into()),
                        ("text-anchor", "middle".into()),
                        ("fill", "#58606b".into()),
                    ],
                    c.t(Key::NotAvailable),
                );
            }
        }
        g.close();
    };
    for (b, chunk) in units.chunks(ROWS_PER_PANEL).enumerate() {
        let bx = b as f64 * (block_w + gap);
        let cx0 = bx + label_w;
        // Header.
        for (k, d) in dims.iter().enumerate() {
            let xc = cx0 + k as f64 * cell_w + cell_w / 2.0;
            g.open("g", &[]);
            g.text_el("title", &[], &d.label);
            if header_fits {
                g.text(
                    &[
                        ("x", xc.into()),
                        ("y", (header_h - 5.0).into()),
                        ("font-size", head_font.into()),
                        ("text-anchor", "middle".into()),
                        ("fill", "#1b1f24".into()),
                    ],
                    &d.label,
                );
            } else {
                let yb = header_h - 4.0;
                g.text(
                    &[
                        ("x", (xc - 2.0).into()),
                        ("y", yb.into()),
                        ("font-size", 9.5.into()),
                        ("fill", "#1b1f24".into()),
                        ("transform", format!("rotate(-35 {} {})", num(xc - 2.0), num(yb)).into()),
                    ],
                    &fit(&d.label, (header_h - 8.0) / 0.57, 9.5),
                );
            }
            g.close();
        }
        // Median row.
        let ym = top;
        g.text(
            &[
                ("x", (cx0 - 4.0).into()),
                ("y", (ym + ROW * 0.5 + 3.5).into()),
                ("font-size", font.into()),
                ("text-anchor", "end".into()),
                ("font-weight", "bold".into()),
                ("fill", "#1b1f24".into()),
            ],
            c.t(Key::Median),
        );
        for (k, d) in dims.iter().enumerate() {
            cell(
                &mut g,
                cx0 + k as f64 * cell_w,
                ym,
                d.median,
                format!("{} · {}: {}", c.t(Key::Median), d.label, c.score(d.median)),
            );
        }
        for (i, u) in chunk.iter().enumerate() {
            let y0 = top + (i as f64 + 1.0) * ROW + 4.0;
            let rank = u
                .rank
                .filter(|_| is_ranked(u))
                .map_or_else(|| "·".to_string(), |r| r.to_string());
            g.text(
                &[
                    ("x", (bx + 24.0).into()),
                    ("y", (y0 + ROW * 0.5 + 3.5).into()),
                    ("font-size", font.into()),
                    ("text-anchor", "end".into()),
                    ("fill", "#1b1f24".into()),
                ],
                &rank,
            );
            g.text(
                &[
                    ("x", (bx + 28.0).into()),
                    ("y", (y0 + ROW * 0.5 + 3.5).into()),
                    ("font-size", font.into()),
                    ("fill", if is_ranked(u) { "#1b1f24" } else { "#9a3412" }.into()),
                ],
                &fit(&u.name, label_w - 34.0, font),
            );
            for (k, d) in dims.iter().enumerate() {
                let val = u.dimensions.get(k).copied().flatten();
                cell(
                    &mut g,
                    cx0 + k as f64 * cell_w,
                    y0,
                    val,
                    format!("{} · {}: {}", u.name, d.label, c.score(val)),
                );
            }
        }
    }
    // Legend: a stepped ramp with ticks.
    let ly = h - legend_h + 12.0;
    let lx = 120.0;
    let lw = 300.0;
    g.text(
        &[
            ("x", (lx - 8.0).into()),
            ("y", (ly + 9.0).into()),
            ("font-size", 10.0.into()),
            ("text-anchor", "end".into()),
            ("fill", "#1b1f24".into()),
        ],
        &format!("{}{}", c.t(Key::Legend), c.paren(c.t(Key::AxisScore))),
    );
    let steps = 30;
    for k in 0..steps {
        let t = (k as f64 + 0.5) / steps as f64;
        g.leaf(
            "rect",
            &[
                ("x", (lx + k as f64 * lw / steps as f64).into()),
                ("y", ly.into()),
                ("width", (lw / steps as f64 + 0.3).into()),
                ("height", 12.0.into()),
                ("fill", hex(viridis(t)).into()),
            ],
        );
    }
    for v in ticks(lo, hi, tick_step(lo, hi) * 2.0) {
        let t = (v - lo) / (hi - lo);
        text_middle(&mut g, lx + t * lw, ly + 25.0, 9.5, &num(v));
    }
    g.finish()
}

fn department_chart(c: &Ctx<'_>) -> String {
    let mut deps: Vec<&crate::output::view::DepartmentRate> = c.v.departments.iter().collect();
    deps.sort_by(|a, b| {
        let ka = finite(a.rate).unwrap_or(f64::NEG_INFINITY);
        let kb = finite(b.rate).unwrap_or(f64::NEG_INFINITY);
        kb.total_cmp(&ka)
    });
    let row = 18.0;
    let font = 11.0;
    let (left, right) = (230.0, 700.0);
    let top = 22.0;
    let h = top + deps.len() as f64 * row + 40.0;
    let min = deps
        .iter()
        .flat_map(|d| [d.lo, d.rate])
        .filter_map(finite)
        .map(|x| x * 100.0)
        .fold(f64::INFINITY, f64::min);
    let (lo, hi) = domain_from(min);
    let x = |v: f64| left + (v.clamp(lo, hi) - lo) / (hi - lo) * (right - left);
    let mut g = Svg::new("dept", CHART_W, h, c.t(Key::ChartDept), c.t(Key::ChartDeptNote));
    let bottom = top + deps.len() as f64 * row;
    let step = tick_step(lo, hi);
    let mut t = lo;
    while t <= hi + 1e-9 {
        g.leaf(
            "line",
            &[
                ("x1", x(t).into()),
                ("x2", x(t).into()),
                ("y1", (top - 4.0).into()),
                ("y2", (bottom + 4.0).into()),
                ("stroke", "#c5ccd5".into()),
                ("stroke-width", 0.6.into()),
            ],
        );
        g.text(
            &[
                ("x", x(t).into()),
                ("y", (bottom + 16.0).into()),
                ("font-size", 9.5.into()),
                ("text-anchor", "middle".into()),
                ("fill", "#3d4450".into()),
            ],
            &num(t),
        );
        t += step;
    }
    for (i, d) in deps.iter().enumerate() {
        let yc = top + i as f64 * row + row / 2.0;
        g.open("g", &[]);
        g.text_el(
            "title",
            &[],
            &format!(
                "{}: {} {}, {} {}, {} {}",
                d.department,
                c.t(Key::SatisfactionRate),
                c.pct(d.rate),
                c.t(Key::ConfidenceInterval),
                c.pct_interval(d.lo, d.hi),
                c.t(Key::ValidBallots),
                d.ballots
            ),
        );
        if i % 2 == 0 {
            g.leaf(
                "rect",
                &[
                    ("x", 0.0.into()),
                    ("y", (yc - row / 2.0).into()),
                    ("width", CHART_W.into()),
                    ("height", row.into()),
                    ("fill", "#f4f6f9".into()),
                ],
            );
        }
        let ty = yc + font * 0.36;
        let count = c.paren(&d.ballots.to_string());
        let name = fit(&d.department, left - 16.0 - text_width(&count, font), font);
        g.text(
            &[
                ("x", (left - 8.0).into()),
                ("y", ty.into()),
                ("font-size", font.into()),
                ("text-anchor", "end".into()),
                ("fill", "#1b1f24".into()),
            ],
            &format!("{name}{count}"),
        );
        if let (Some(a), Some(b)) = (finite(d.lo), finite(d.hi)) {
            g.leaf(
                "line",
                &[
                    ("x1", x(a * 100.0).into()),
                    ("x2", x(b * 100.0).into()),
                    ("y1", yc.into()),
                    ("y2", yc.into()),
                    ("stroke", "#5b84b1".into()),
                    ("stroke-width", 2.5.into()),
                ],
            );
        }
        if let Some(r) = finite(d.rate) {
            g.leaf(
                "circle",
                &[
                    ("cx", x(r * 100.0).into()),
                    ("cy", yc.into()),
                    ("r", 3.6.into()),
                    ("fill", "#173b5e".into()),
                ],
            );
        }
        g.text(
            &[
                ("x", (right + 10.0).into()),
                ("y", ty.into()),
                ("font-size", font.into()),
                ("fill", "#1b1f24".into()),
            ],
            &c.pct(d.rate),
        );
        g.close();
    }
    text_middle(&mut g, (left + right) / 2.0, h - 6.0, 11.0, c.t(Key::AxisRate));
    g.finish()
}

fn scorecards(c: &Ctx<'_>, s: &mut Page<'_>, order: &[&UnitView]) {
    let _ = writeln!(
        s,
        "<section id=\"cards\" class=\"major\">\n<h2>{}</h2>",
        c.t(Key::Scorecards)
    );
    let (lo, _) = heat_domain(c.v);
    for (n, u) in order.iter().enumerate() {
        scorecard(c, s, u, n, lo);
    }
    s.push_str("</section>\n");
}

fn scorecard(c: &Ctx<'_>, s: &mut Page<'_>, u: &UnitView, n: usize, lo: f64) {
    let head_rank = match u.rank.filter(|_| is_ranked(u)) {
        Some(r) if c.lang == Language::Zh => format!("第{r}名 "),
        Some(r) => format!("#{r} "),
        None => String::new(),
    };
    let sub: Vec<String> = [&u.id, &u.department, &u.kind]
        .iter()
        .filter(|x| !x.is_empty())
        .map(|x| escape(x))
        .collect();
    let _ = writeln!(
        s,
        "<article class=\"card\" id=\"unit-{n}\"><h3>{}{}<span class=\"sub\">{}</span></h3>",
        head_rank,
        escape(&u.name),
        sub.join(" · ")
    );
    if !is_ranked(u) {
        let _ = write!(
            s,
            "<p class=\"why\"><span class=\"status\">{}</span>",
            escape(if u.status.label.is_empty() {
                &u.status.code
            } else {
                &u.status.label
            })
        );
        if !u.why_not_ranked.is_empty() {
            let _ = write!(
                s,
                " — {}{}{}",
                c.t(Key::WhyNotRanked),
                c.colon(),
                escape(&u.why_not_ranked)
            );
        }
        s.push_str("</p>\n");
    }
    let marks = format!("{}{}", c.marks(u), c.awards(u));
    if !marks.is_empty() {
        let _ = writeln!(s, "<p>{marks}</p>");
    }
    let fig = |s: &mut Page<'_>, k: Key, v: String| {
        let _ = write!(s, "<div><dt>{}</dt><dd>{v}</dd></div>", c.t(k));
    };
    s.push_str("<dl class=\"figs\">");
    fig(s, Key::FinalScore, c.published(u.published.as_deref()));
    fig(s, Key::Grade, c.opt_text(u.grade.as_deref()));
    fig(
        s,
        Key::CompositeScore,
        format!(
            "{}{}",
            c.score(u.composite),
            c.paren(&format!(
                "{} {}",
                c.t(Key::ConfidenceInterval),
                c.interval(u.composite_lo, u.composite_hi)
            ))
        ),
    );
    fig(s, Key::RankSet, c.rank_set(u));
    fig(s, Key::SatisfactionRate, c.pct(u.rate));
    fig(s, Key::ComplaintsOfUnit, u.complaints_counted.to_string());
    fig(s, Key::Deduction, c.score(Some(u.deduction)));
    if finite(Some(u.bonus)).is_some_and(|b| b != 0.0) {
        fig(s, Key::Bonus, c.score(Some(u.bonus)));
    }
    let _ = write!(
        s,
        "<div><dt>{} / {}</dt><dd>{} / {}</dd></div>",
        c.t(Key::ValidBallots),
        c.t(Key::BallotsRead),
        u.valid_ballots,
        u.ballots_read
    );
    s.push_str("</dl>\n<div class=\"cols\"><div>");
    let _ = write!(s, "<h4>{}</h4>", c.t(Key::ChartDims));
    s.push_str(&dims_chart(c, u, n, lo));
    s.push_str("</div><div>");
    let _ = write!(
        s,
        "<h4>{}</h4><table><thead><tr><th>{}</th><th class=\"n\">{}</th></tr></thead><tbody>",
        c.t(Key::RaterGroups),
        c.t(Key::RaterGroup),
        c.t(Key::Share)
    );
    for g in &u.groups {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            escape(&g.label),
            c.pct(g.share)
        );
    }
    s.push_str("</tbody></table>");
    if !u.flags.is_empty() {
        let _ = write!(s, "<h4>{}</h4><ul class=\"flags\">", c.t(Key::Flags));
        for f in &u.flags {
            let _ = write!(s, "<li>{}</li>", escape(f));
        }
        s.push_str("</ul>");
    }
    s.push_str("</div></div>\n");
    if !u.items.is_empty() {
        let _ = writeln!(
            s,
            "<h4>{}</h4><div class=\"scroll\"><table><thead><tr><th>{}</th><th>{}</th><th class=\"n\">{}</th><th>{}</th><th class=\"n\">{}</th></tr></thead><tbody>",
            c.t(Key::ItemRates),
            c.t(Key::Item),
            c.t(Key::Dimension),
            c.t(Key::SatisfactionRate),
            c.t(Key::ConfidenceInterval),
            c.t(Key::Answers)
        );
        for it in &u.items {
            let bar = match (finite(it.rate), finite(it.lo), finite(it.hi)) {
                (Some(r), Some(a), Some(b)) => {
                    let p = |x: f64| (x * 100.0).clamp(0.0, 100.0);
                    format!(
                        "<span class=\"bar\" aria-hidden=\"true\"><i style=\"left:{}%;width:{}%\"></i><b style=\"left:calc({}% - 1px)\"></b></span>",
                        num(p(a)),
                        num((p(b) - p(a)).max(0.5)),
                        num(p(r))
                    )
                }
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{bar}{}</td><td class=\"n\">{}</td></tr>",
                escape(&it.label),
                escape(&it.dimension),
                c.pct(it.rate),
                c.pct_interval(it.lo, it.hi),
                it.n
            );
        }
        s.push_str("</tbody></table></div>\n");
    }
    s.push_str("</article>\n");
}

/// A unit's dimension scores as bars, with the campaign median as a tick.
fn dims_chart(c: &Ctx<'_>, u: &UnitView, n: usize, lo: f64) -> String {
    let dims = &c.v.dimensions;
    let row = 17.0;
    let widest = dims.iter().map(|d| text_width(&d.label, 11.0)).fold(0.0, f64::max);
    let (w, right) = (380.0, 322.0);
    let left = (widest + 10.0).clamp(60.0, 150.0);
    let top = 6.0;
    let h = top + dims.len() as f64 * row + 26.0;
    let hi = 100.0;
    let x = |v: f64| left + (v.clamp(lo, hi) - lo) / (hi - lo) * (right - left);
    let mut g = Svg::new(
        &format!("dims{n}"),
        w,
        h,
        &format!("{} · {}", u.name, c.t(Key::ChartDims)),
        c.t(Key::ChartDims),
    );
    for (k, d) in dims.iter().enumerate() {
        let y0 = top + k as f64 * row;
        let yc = y0 + row / 2.0;
        let val = u.dimensions.get(k).copied().flatten();
        g.open("g", &[]);
        g.text_el(
            "title",
            &[],
            &format!(
                "{}: {}; {} {}",
                d.label,
                c.score(val),
                c.t(Key::Median),
                c.score(d.median)
            ),
        );
        g.text(
            &[
                ("x", (left - 6.0).into()),
                ("y", (yc + 4.0).into()),
                ("font-size", 11.0.into()),
                ("text-anchor", "end".into()),
                ("fill", "#1b1f24".into()),
            ],
            &fit(&d.label, left - 8.0, 11.0),
        );
        g.leaf(
            "rect",
            &[
                ("x", left.into()),
                ("y", (y0 + 3.0).into()),
                ("width", (right - left).into()),
                ("height", (row - 6.0).into()),
                ("fill", "#edf1f6".into()),
            ],
        );
        if let Some(v) = finite(val) {
            g.leaf(
                "rect",
                &[
                    ("x", left.into()),
                    ("y", (y0 + 3.0).into()),
                    ("width", (x(v) - left).into()),
                    ("height", (row - 6.0).into()),
                    ("fill", "#5b84b1".into()),
                ],
            );
        }
        if let Some(m) = finite(d.median) {
            g.leaf(
                "line",
                &[
                    ("x1", x(m).into()),
                    ("x2", x(m).into()),
                    ("y1", (y0 + 1.0).into()),
                    ("y2", (y0 + row - 1.0).into()),
                    ("stroke", "#1b1f24".into()),
                    ("stroke-width", 2.0.into()),
                ],
            );
        }
        g.text(
            &[
                ("x", (right + 6.0).into()),
                ("y", (yc + 4.0).into()),
                ("font-size", 11.0.into()),
                ("fill", "#1b1f24".into()),
            ],
            &c.score(val),
        );
        g.close();
    }
    let ya = top + dims.len() as f64 * row + 12.0;
    for t in ticks(lo, hi, tick_step(lo, hi) * 2.0) {
        g.text(
            &[
                ("x", x(t).into()),
                ("y", ya.into()),
                ("font-size", 9.5.into()),
                ("text-anchor", "middle".into()),
                ("fill", "#3d4450".into()),
            ],
            &num(t),
        );
    }
    g.text(
        &[
            ("x", w.into()),
            ("y", (ya + 14.0).into()),
            ("font-size", 10.5.into()),
            ("text-anchor", "end".into()),
            ("fill", "#3d4450".into()),
        ],
        &format!("▬ {}　┃ {}", c.t(Key::AxisScore), c.t(Key::Median)),
    );
    g.finish()
}

fn methods(c: &Ctx<'_>, s: &mut Page<'_>) {
    let v = c.v;
    let _ = writeln!(
        s,
        "<section id=\"methods\" class=\"major\">\n<h2>{}</h2>\n<h3>{}</h3>",
        c.t(Key::MethodsAndQuality),
        c.t(Key::Methods)
    );
    let _ = writeln!(
        s,
        "<div class=\"scroll\"><table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        c.t(Key::What),
        c.t(Key::Method),
        c.t(Key::Reference)
    );
    for m in &v.methods {
        let _ = writeln!(
            s,
            "<tr><td class=\"nw\"><b>{}</b></td><td>{}</td><td>{}</td></tr>",
            escape(&m.name),
            escape(&m.text),
            escape(&m.reference)
        );
    }
    s.push_str("</tbody></table></div>\n");
    let _ = writeln!(
        s,
        "<h3>{}</h3><div class=\"scroll\"><table class=\"narrow\"><thead><tr><th>{}</th><th class=\"n\">α</th><th class=\"n\">{}</th><th></th></tr></thead><tbody>",
        c.t(Key::Reliability),
        c.t(Key::Dimension),
        c.t(Key::BallotsUsed)
    );
    for r in &v.reliability {
        let low = finite(r.alpha).is_some_and(|a| a < 0.7);
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td{}>{}</td></tr>",
            escape(&r.label),
            finite(r.alpha).map_or_else(|| c.t(Key::NotAvailable).to_string(), |a| format!("{a:.3}")),
            r.n,
            if low { " class=\"why\"" } else { "" },
            if low { c.t(Key::AlphaLow) } else { "" }
        );
    }
    s.push_str("</tbody></table></div>\n");
    let _ = write!(
        s,
        "<h3>{}</h3>\n<p class=\"meta\">{}</p>",
        c.t(Key::Flags),
        c.t(Key::FlagsNote)
    );
    if v.flags.is_empty() {
        let _ = writeln!(s, "<p>{}</p>", c.t(Key::NoFlags));
    } else {
        s.push_str("<ul class=\"flags\">");
        for f in &v.flags {
            let _ = write!(s, "<li>{}</li>", escape(f));
        }
        s.push_str("</ul>\n");
    }
    let _ = writeln!(
        s,
        "<h3>{}</h3><div class=\"scroll\"><table class=\"narrow\"><thead><tr><th>{}</th><th>{}</th><th class=\"n\">{}</th></tr></thead><tbody>",
        c.t(Key::RejectedBallots),
        c.t(Key::Reason),
        c.t(Key::Code),
        c.t(Key::Count)
    );
    for r in v.ballots.by_reason.iter().filter(|r| r.count > 0) {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td></tr>",
            escape(&r.label),
            escape(&r.code),
            r.count
        );
    }
    let _ = writeln!(
        s,
        "<tr><td><b>{}</b></td><td></td><td class=\"n\"><b>{}</b></td></tr></tbody></table></div>",
        c.t(Key::Total),
        v.ballots.rejected
    );
    let k = &v.complaints;
    let _ = write!(
        s,
        "<h3>{}</h3><div class=\"scroll\"><table class=\"narrow\"><tbody>",
        c.t(Key::Complaints)
    );
    for (key, n) in [
        (Key::ComplaintsRead, k.read),
        (Key::ComplaintsCounted, k.counted),
        (Key::ComplaintsDeducting, k.deducting),
        (Key::OutOfPeriod, k.out_of_period),
        (Key::Unverified, k.unverified),
        (Key::Dismissed, k.dismissed),
        (Key::ComplaintsRejected, k.rejected),
    ] {
        let _ = write!(s, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>", c.t(key));
    }
    s.push_str("</tbody></table></div>\n</section>\n");
}

/// A dark text centred on (`x`, `y`): axis titles and labels under bars.
fn text_middle(g: &mut Svg, x: f64, y: f64, size: f64, text: &str) {
    g.text(
        &[
            ("x", x.into()),
            ("y", y.into()),
            ("font-size", size.into()),
            ("text-anchor", "middle".into()),
            ("fill", "#1b1f24".into()),
        ],
        text,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_long_names() {
        assert_eq!(fit("短名", 100.0, 10.0), "短名");
        let cut = fit("一二三四五六七八九十一二三四五", 50.0, 10.0);
        assert!(cut.ends_with('…'));
        assert!(text_width(&cut, 10.0) <= 50.0 + 1e-9);
    }

    #[test]
    fn viridis_ends() {
        assert_eq!(hex(viridis(0.0)), "#440154");
        assert_eq!(hex(viridis(1.0)), "#fde725");
        assert_eq!(hex(viridis(f64::NAN)), "#440154");
    }

    #[test]
    fn domains_are_sane() {
        assert_eq!(domain_from(f64::INFINITY), (0.0, 100.0));
        assert_eq!(domain_from(73.2), (70.0, 100.0));
        assert_eq!(domain_from(-5.0), (0.0, 100.0));
        assert_eq!(domain_from(100.0), (90.0, 100.0));
    }
}
