//! The two published fixtures (`tests/fixtures/campaign-{pooled,weighted}`), scored
//! by an independent implementation of the spec: the engine must agree with
//! `expected/` the way `check.py` judges it, and its accounting must close.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use appraise::{Encoding, Plan, Roster, Source, campaign, output};

use crate::{Table, fixture_dir};

/// Output files of a run, by file name.
pub type Files = BTreeMap<String, Vec<u8>>;

/// The rendered outputs of a fixture, scored once per test binary (several tests
/// look at the same run).
pub fn fixture_files(name: &str) -> &'static Files {
    static POOLED: OnceLock<Files> = OnceLock::new();
    static WEIGHTED: OnceLock<Files> = OnceLock::new();
    let cell = match name {
        "campaign-pooled" => &POOLED,
        "campaign-weighted" => &WEIGHTED,
        other => panic!("no fixture {other}"),
    };
    cell.get_or_init(|| run_fixture(name))
}

/// Scores a fixture through the library, as `appraise score` would, and renders
/// every output file.
pub fn run_fixture(name: &str) -> Files {
    let dir = fixture_dir(name);
    let plan = Plan::load(&dir.join("plan.yaml")).unwrap_or_else(|e| panic!("{name}: plan: {e}"));
    let roster =
        Roster::load(&dir.join("roster.csv"), Encoding::Auto).unwrap_or_else(|e| panic!("{name}: roster: {e}"));
    let outcome = campaign::run(
        &plan,
        &roster,
        &[Source::file(dir.join("ballots.csv"))],
        Some(&Source::file(dir.join("complaints.csv"))),
        &campaign::Options::default(),
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("{name}: run: {e}"));
    output::render_all(&plan, &roster, &outcome)
        .unwrap_or_else(|e| panic!("{name}: render: {e}"))
        .into_iter()
        .map(|(n, b)| (n.to_string(), b))
        .collect()
}

/// Reads the output files of an `appraise score` folder.
pub fn read_out_dir(dir: &Path) -> Files {
    [
        "results.csv",
        "results.json",
        "items.csv",
        "rejects.csv",
        "complaint_rejects.csv",
        "report.md",
        "reliability.csv",
        "flags.csv",
    ]
    .iter()
    .filter_map(|n| std::fs::read(dir.join(n)).ok().map(|b| (n.to_string(), b)))
    .collect()
}

fn expected(name: &str, file: &str) -> Table {
    let path = fixture_dir(name).join("expected").join(file);
    Table::parse(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn output<'a>(files: &'a Files, file: &str) -> &'a [u8] {
    files.get(file).unwrap_or_else(|| panic!("the run wrote no {file}"))
}

/// check.py's number rule: both empty, or `isclose(rel 1e-9, abs 1e-9)`.
fn numbers_agree(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() || b.is_empty() {
        return a.is_empty() && b.is_empty();
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= (1e-9 * x.abs().max(y.abs())).max(1e-9),
        _ => false,
    }
}

/// Columns compared exactly: status and grade as text, counts and rank as
/// whole numbers (empty = undefined).
fn exact_agree(col: &str, a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    match col {
        "rank" | "valid_ballots" | "rejected_ballots" => {
            if a.is_empty() || b.is_empty() {
                return a.is_empty() && b.is_empty();
            }
            matches!((a.parse::<u64>(), b.parse::<u64>()), (Ok(x), Ok(y)) if x == y)
        }
        _ => a == b,
    }
}

/// Compares a results table with the expected one; returns one message per
/// difference, naming the unit and the column.
pub fn compare_results(label: &str, want: &Table, got: &Table) -> Vec<String> {
    let mut diffs = Vec::new();
    if got.header.len() < want.header.len() || got.header[..want.header.len()] != want.header[..] {
        diffs.push(format!(
            "{label}: results.csv must start with the columns {:?}, found {:?}",
            want.header,
            &got.header[..want.header.len().min(got.header.len())]
        ));
        return diffs;
    }
    let key = want.column("unit_id");
    let got_ids: BTreeSet<&str> = got.values("unit_id").into_iter().collect();
    let want_ids: BTreeSet<&str> = want.values("unit_id").into_iter().collect();
    for extra in got_ids.difference(&want_ids) {
        diffs.push(format!("{label}: unit {extra} is not in the expected results"));
    }
    if got.rows.len() != got_ids.len() {
        diffs.push(format!(
            "{label}: results.csv has {} rows for {} distinct units",
            got.rows.len(),
            got_ids.len()
        ));
    }
    for w in &want.rows {
        let unit = &w[key];
        let Some(g) = got.find("unit_id", unit) else {
            diffs.push(format!("{label}: unit {unit} is missing from results.csv"));
            continue;
        };
        for (c, col) in want.header.iter().enumerate().skip(1) {
            let (a, b) = (&w[c], &g[c]);
            let ok = match col.as_str() {
                "status" | "grade" | "rank" | "valid_ballots" | "rejected_ballots" => exact_agree(col, a, b),
                _ => numbers_agree(a, b),
            };
            if !ok {
                diffs.push(format!("{label}: unit {unit} column {col}: expected {a:?}, got {b:?}"));
            }
        }
    }
    diffs
}

/// The (row, reason) pairs of a rejects file, sorted.
fn row_reasons(t: &Table) -> Vec<(u64, String)> {
    let (r, why) = (t.column("row"), t.column("reason"));
    let mut v: Vec<(u64, String)> = t
        .rows
        .iter()
        .map(|x| {
            (
                x[r].trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("row {:?} is not a line number", x[r])),
                x[why].clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Compares a rejects file by (row, reason), exactly (as a multiset).
pub fn compare_rejects(label: &str, file: &str, want: &Table, got: &Table) -> Vec<String> {
    let (w, g) = (row_reasons(want), row_reasons(got));
    let mut diffs = Vec::new();
    for x in &w {
        if !g.contains(x) {
            diffs.push(format!("{label}: {file}: missing reject (row {}, {})", x.0, x.1));
        }
    }
    for x in &g {
        if !w.contains(x) {
            diffs.push(format!("{label}: {file}: unexpected reject (row {}, {})", x.0, x.1));
        }
    }
    if diffs.is_empty() && w != g {
        diffs.push(format!(
            "{label}: {file}: {} rejects expected, {} written",
            w.len(),
            g.len()
        ));
    }
    diffs
}

/// Asserts that a run's outputs agree with a fixture's `expected/` folder.
pub fn assert_matches_expected(name: &str, files: &Files) {
    let mut diffs = compare_results(
        name,
        &expected(name, "results.csv"),
        &Table::from_bytes(output(files, "results.csv")),
    );
    for f in ["rejects.csv", "complaint_rejects.csv"] {
        diffs.extend(compare_rejects(
            name,
            f,
            &expected(name, f),
            &Table::from_bytes(output(files, f)),
        ));
    }
    assert!(diffs.is_empty(), "{} difference(s):\n{}", diffs.len(), diffs.join("\n"));
}

/// Data rows of a CSV input (blank lines hold no row).
fn data_rows(path: &Path) -> u64 {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .expect("readable input");
    r.records()
        .map(|x| x.expect("a CSV row"))
        .filter(|x| !(x.len() == 1 && x[0].trim().is_empty()))
        .count() as u64
}

fn json_u64(v: &serde_json::Value, path: &[&str]) -> u64 {
    let mut x = v;
    for k in path {
        x = &x[*k];
    }
    x.as_u64()
        .unwrap_or_else(|| panic!("results.json has no whole number at {}", path.join(".")))
}

/// Asserts that the accounting of a fixture run closes, per unit and in total, and
/// agrees with the inputs' row counts and the rejects files.
pub fn assert_accounting_closes(name: &str, files: &Files) {
    let results = Table::from_bytes(output(files, "results.csv"));
    let json: serde_json::Value = serde_json::from_slice(output(files, "results.json")).expect("results.json parses");
    let rejects = Table::from_bytes(output(files, "rejects.csv"));
    let crejects = Table::from_bytes(output(files, "complaint_rejects.csv"));

    let n = |row: &Vec<String>, col: &str| -> u64 {
        row[results.column(col)]
            .parse()
            .unwrap_or_else(|_| panic!("{name}: {col} of {} is not a count", row[0]))
    };
    let (mut valid, mut rejected) = (0, 0);
    for row in &results.rows {
        let (read, v, r) = (
            n(row, "ballots_read"),
            n(row, "valid_ballots"),
            n(row, "rejected_ballots"),
        );
        assert_eq!(
            read,
            v + r,
            "{name}: unit {}: ballots_read {read} != valid {v} + rejected {r}",
            row[0]
        );
        valid += v;
        rejected += r;
    }
    let read = json_u64(&json, &["accounting", "read"]);
    let total_valid = json_u64(&json, &["accounting", "valid"]);
    let total_rejected = json_u64(&json, &["accounting", "rejected"]);
    let unattributed = json_u64(&json, &["accounting", "unattributed"]);
    assert_eq!(
        read,
        total_valid + total_rejected,
        "{name}: read != valid + rejected in total"
    );
    assert_eq!(
        valid, total_valid,
        "{name}: the units' valid ballots do not add up to the total"
    );
    assert_eq!(
        rejected + unattributed,
        total_rejected,
        "{name}: units' rejects + unattributed != total rejected"
    );
    assert_eq!(
        rejects.rows.len() as u64,
        total_rejected,
        "{name}: rejects.csv rows != total rejected"
    );
    let by_reason: u64 = json["accounting"]["by_reason"]
        .as_object()
        .expect("by_reason")
        .values()
        .filter_map(|v| v.as_u64())
        .sum();
    assert_eq!(by_reason, total_rejected, "{name}: rejected by reason does not add up");
    let rows_in = data_rows(&fixture_dir(name).join("ballots.csv"));
    assert_eq!(
        read, rows_in,
        "{name}: ballots.csv has {rows_in} data rows but {read} were read"
    );

    let c = &json["complaints"];
    let cread = json_u64(c, &["read"]);
    let parts: u64 = ["rejected", "counted", "out_of_period", "unverified", "dismissed"]
        .iter()
        .map(|k| json_u64(c, &[k]))
        .sum();
    assert_eq!(
        cread, parts,
        "{name}: complaints read != rejected + counted + out of period + unverified + dismissed"
    );
    assert_eq!(
        crejects.rows.len() as u64,
        json_u64(c, &["rejected"]),
        "{name}: complaint_rejects.csv rows"
    );
    assert_eq!(
        cread,
        data_rows(&fixture_dir(name).join("complaints.csv")),
        "{name}: complaints.csv rows != read"
    );

    // results.json carries the reliability of reliability.csv and the flags of
    // flags.csv.
    let rel = Table::from_bytes(output(files, "reliability.csv"));
    let json_rel = json["reliability"].as_array().expect("reliability");
    for d in json_rel {
        let dim = d["dimension"].as_str().expect("dimension");
        let row = rel
            .rows
            .iter()
            .find(|r| r[rel.column("dimension")] == dim && r[rel.column("item")].is_empty())
            .unwrap_or_else(|| panic!("{name}: no reliability.csv row for {dim}"));
        let alpha = row[rel.column("alpha")].as_str();
        match d["alpha"].as_f64() {
            Some(a) => assert_eq!(alpha.parse::<f64>().ok(), Some(a), "{name}: alpha of {dim}"),
            None => assert!(alpha.is_empty(), "{name}: alpha of {dim}"),
        }
    }
    assert!(!json_rel.is_empty(), "{name}: reliability per dimension");
    let flags = Table::from_bytes(output(files, "flags.csv"));
    assert_eq!(
        json["flags"].as_array().map(Vec::len),
        Some(flags.rows.len()),
        "{name}: flags"
    );
}

#[test]
fn pooled_matches_expected() {
    assert_matches_expected("campaign-pooled", fixture_files("campaign-pooled"));
}

#[test]
fn weighted_matches_expected() {
    assert_matches_expected("campaign-weighted", fixture_files("campaign-weighted"));
}

#[test]
fn pooled_accounting_closes() {
    assert_accounting_closes("campaign-pooled", fixture_files("campaign-pooled"));
}

#[test]
fn weighted_accounting_closes() {
    assert_accounting_closes("campaign-weighted", fixture_files("campaign-weighted"));
}

/// The comparison helpers are not vacuous: a perturbed number, status or reject is
/// reported with its unit (or row) and column.
#[test]
fn comparison_reports_unit_and_column() {
    let want = expected("campaign-pooled", "results.csv");
    assert!(compare_results("t", &want, &want).is_empty());
    let mut got = want.clone();
    let comp = got.column("composite");
    let status = got.column("status");
    let x: f64 = got.rows[0][comp].parse().unwrap();
    got.rows[0][comp] = format!("{}", x * (1.0 + 1e-7));
    got.rows[1][status] = "ranked_or_not".into();
    let unit0 = got.rows[0][0].clone();
    let unit1 = got.rows[1][0].clone();
    let diffs = compare_results("t", &want, &got);
    assert_eq!(diffs.len(), 2, "{diffs:?}");
    assert!(
        diffs[0].contains(&format!("unit {unit0} column composite")),
        "{diffs:?}"
    );
    assert!(diffs[1].contains(&format!("unit {unit1} column status")), "{diffs:?}");
    // Within 1e-9 is agreement; an empty cell is not zero.
    assert!(numbers_agree("90.0", "90.00000000001"));
    assert!(!numbers_agree("", "0"));
    assert!(exact_agree("rank", "", ""));
    assert!(!exact_agree("rank", "3", ""));

    let rw = expected("campaign-pooled", "rejects.csv");
    let mut rg = rw.clone();
    let reason = rg.column("reason");
    rg.rows[0][reason] = "duplicate".into();
    let d = compare_rejects("t", "rejects.csv", &rw, &rg);
    assert!(
        d.iter().any(|m| m.contains("missing reject")) && d.iter().any(|m| m.contains("unexpected reject")),
        "{d:?}"
    );
}
