//! Outputs (SPEC §10–§11): `results.csv`, `results.json`, `items.csv`,
//! `rejects.csv`, `complaint_rejects.csv`, and for people `results.xlsx`, `report.md`
//! and `report.html` (in the plan's language, with the words of [`labels`]).
//!
//! Machine formats carry full precision (the shortest decimal that reads back as
//! the same f64); the report rounds to the plan's `decimals`. Every file is built
//! in memory, written to a temporary file in the output folder, and renamed into
//! place only when all of them are written: a run stopped at any moment leaves the
//! previous complete outputs or none. Text that came from an input is neutralised
//! against spreadsheet formula injection in CSV (OWASP: a leading `=`, `+`, `-`,
//! `@`, tab or CR gets a `'` unless the cell is a number) and escaped in Markdown.

mod complaint_rejects_csv;
mod flags_csv;
mod items_csv;
pub mod labels;
mod ledger_csv;
pub mod ledger_report;
pub mod people;
mod rejects_csv;
mod reliability_csv;
pub mod report_html;
mod report_md;
mod results_csv;
mod results_json;
mod results_xlsx;
pub mod svg;
pub mod view;
pub mod xlsx;

pub use crate::score::rows::{GroupRow, ResultRow, result_rows};
pub use complaint_rejects_csv::complaint_rejects_csv;
pub use flags_csv::flags_csv;
pub use items_csv::items_csv;
pub use ledger_csv::{ledger_csv, ledger_rejects_csv};
pub use people::{people_lines, people_md};
pub use rejects_csv::rejects_csv;
pub use reliability_csv::reliability_csv;
pub use report_html::report_html;
pub use report_md::{accounting_line, complaint_line, report_md};
pub use results_csv::results_csv;
pub use results_json::{ComplaintAccounting, Methods, complaint_accounting, methods, results_json};
pub use results_xlsx::results_xlsx;
pub use view::{ReportView, attention_lines, attention_list, report_view};

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;

/// The names of the files [`render_all`] may write, in its order: the ten every run
/// writes, then those of SPEC §14 and §15 that a plan using those rules adds. Known
/// before the run, so that the command can check them against the inputs before any
/// work (a name the run will not write is checked too: the guard errs on the safe side).
pub const FILE_NAMES: [&str; 16] = [
    "results.csv",
    "results.json",
    "results.xlsx",
    "items.csv",
    "rejects.csv",
    "complaint_rejects.csv",
    "reliability.csv",
    "flags.csv",
    "report.md",
    "report.html",
    "staff.csv",
    "staff_rejects.csv",
    "titles_after.csv",
    "title_rejects.csv",
    "ledger.csv",
    "ledger_rejects.csv",
];

/// Every output file of a run, as (file name, contents), named as [`FILE_NAMES`].
///
/// ```
/// let (plan, roster) = appraise::demo::campaign()?;
/// let outcome = appraise::demo::run(&plan, &roster)?;
/// let files = appraise::output::render_all(&plan, &roster, &outcome)?;
/// assert!(files.iter().any(|(name, _)| *name == "report.html"));
/// # Ok::<(), appraise::Error>(())
/// ```
pub fn render_all(plan: &Plan, roster: &Roster, outcome: &Outcome) -> Result<Vec<(&'static str, Vec<u8>)>> {
    render(plan, roster, outcome, true)
}

/// Writes every output file of a run into the folder `dir` as one set
/// ([`crate::files::Staging`]: all appear, or none changes), the files of
/// [`render_all`] with `rejects.csv` streamed from the rejects rather than built
/// in memory: a run that rejects tens of millions of rows keeps them in a
/// temporary file ([`crate::judge::rejects`]) and never holds their table whole.
/// Returns the paths written.
///
/// ```
/// let (plan, roster) = appraise::demo::campaign()?;
/// let outcome = appraise::demo::run(&plan, &roster)?;
/// let dir = tempfile::tempdir().expect("a temporary folder");
/// let written = appraise::output::write_all(dir.path(), &plan, &roster, &outcome)?;
/// assert!(written.iter().any(|p| p.ends_with("rejects.csv")));
/// # Ok::<(), appraise::Error>(())
/// ```
pub fn write_all(dir: &Path, plan: &Plan, roster: &Roster, outcome: &Outcome) -> Result<Vec<PathBuf>> {
    let mut set = crate::files::Staging::new(dir)?;
    // Each file goes to the staging folder as soon as it is rendered and is
    // dropped there: memory holds one file at a time beside the workbook (a
    // campaign of 10,000 units has a 130 MB report.html).
    // `rejects.csv` and `report.html` (left empty by `render_each`) are streamed.
    render_each(plan, roster, outcome, false, &mut |name, bytes| {
        let path = dir.join(name);
        match name {
            REJECTS_CSV => set.stream(name, |w| {
                crate::count::shard::write_rejects_table(w, &path, &outcome.rejects, &outcome.files)
            }),
            REPORT_HTML => set.stream(name, |w| {
                let attention = attention_lines(plan, roster, outcome);
                report_html::report_html_to(plan, roster, outcome, &attention, &mut |s| w.write_all(s.as_bytes()))
                    .map_err(|e| Error::io(&path, e))
            }),
            _ => set.add(name, &bytes),
        }
    })?;
    set.arrange(&FILE_NAMES);
    set.commit()
}

/// The name of the ballot rejects table.
const REJECTS_CSV: &str = "rejects.csv";

/// The name of the page for leaders and the public.
const REPORT_HTML: &str = "report.html";

/// [`render_all`]; without `whole` the `rejects.csv` and `report.html` entries
/// are left empty, for [`write_all`] to stream.
fn render(plan: &Plan, roster: &Roster, outcome: &Outcome, whole: bool) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let mut files = Vec::new();
    render_each(plan, roster, outcome, whole, &mut |name, bytes| {
        files.push((name, bytes));
        Ok(())
    })?;
    files.sort_by_key(|(name, _)| crate::files::listed_rank(&FILE_NAMES, name));
    Ok(files)
}

/// Renders each output file and hands it to `sink` at once, the workbook last
/// (it is made on a second thread, the slowest to render, while the others are
/// rendered here); [`FILE_NAMES`] gives their order.
fn render_each(
    plan: &Plan,
    roster: &Roster,
    outcome: &Outcome,
    whole: bool,
    sink: &mut dyn FnMut(&'static str, Vec<u8>) -> Result<()>,
) -> Result<()> {
    let rows = result_rows(plan, roster, outcome);
    std::thread::scope(|s| {
        let xlsx = s.spawn(|| results_xlsx(plan, roster, outcome, &rows));
        let rest = render_rest(plan, roster, outcome, &rows, whole, &mut *sink);
        let xlsx = xlsx.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        rest?;
        sink("results.xlsx", xlsx?)
    })?;
    for (name, bytes) in people::people_files(plan, roster, outcome)? {
        sink(name, bytes)?;
    }
    // SPEC §14: only for a plan that uses its rules, or a run given its files.
    if plan.ledgers.any() || !outcome.ledgers.is_empty() {
        sink("ledger.csv", ledger_csv(roster, outcome)?)?;
        sink("ledger_rejects.csv", ledger_rejects_csv(outcome)?)?;
    }
    Ok(())
}

/// Every file of [`render_all`] in its order but the workbook, each handed to
/// `sink` as soon as it is rendered.
fn render_rest(
    plan: &Plan,
    roster: &Roster,
    outcome: &Outcome,
    rows: &[ResultRow],
    whole: bool,
    sink: &mut dyn FnMut(&'static str, Vec<u8>) -> Result<()>,
) -> Result<()> {
    sink("results.csv", results_csv(plan, roster, rows)?)?;
    sink("results.json", results_json(plan, outcome, rows)?)?;
    sink("items.csv", items_csv(plan, roster, outcome)?)?;
    sink(REJECTS_CSV, if whole { rejects_csv(outcome)? } else { Vec::new() })?;
    sink("complaint_rejects.csv", complaint_rejects_csv(outcome)?)?;
    sink("reliability.csv", reliability_csv(plan, outcome)?)?;
    sink("flags.csv", flags_csv(roster, outcome)?)?;
    sink("report.md", report_md(plan, roster, outcome).into_bytes())?;
    let html = if whole {
        report_html(plan, roster, outcome, &attention_lines(plan, roster, outcome)).into_bytes()
    } else {
        Vec::new()
    };
    sink(REPORT_HTML, html)
}
