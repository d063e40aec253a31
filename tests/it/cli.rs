//! The `appraise` command, run as a real process.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

use appraise::output::labels::{self, Key};
use appraise::rules::plan::Language;

use crate::fixtures::{assert_accounting_closes, assert_matches_expected, read_out_dir};
use crate::{fixture_dir, manifest_dir};

const OUTPUTS: [&str; 7] = [
    "results.csv",
    "results.json",
    "items.csv",
    "rejects.csv",
    "complaint_rejects.csv",
    "report.md",
    "report.html",
];

fn appraise() -> Command {
    let mut c = Command::cargo_bin("appraise").expect("the appraise binary");
    c.current_dir(manifest_dir());
    c
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    p
}

const PLAN: &str = "id: t-plan
survey: survey.yaml
period: {start: 2010-01-01, end: 2010-12-31}
groups:
  - {id: pub, public: true}
  - {id: npc}
";

const ROSTER: &str = "unit_id,name,department,kind\nU1,甲,D,K\nU2,乙,D,K\nU3,丙,D,K\n";

/// U1: 10 public ballots; U2: 6 public + 4 npc (share 0.6); U3: 5 + 5 (share 0.5).
fn ballots() -> String {
    let mut s = String::from("ballot_id,unit_id,rater_id,rater_group,rater_unit,int1,int2,law1\n");
    let mut k = 0;
    for (unit, public, npc) in [("U1", 10, 0), ("U2", 6, 4), ("U3", 5, 5)] {
        for g in std::iter::repeat_n("pub", public).chain(std::iter::repeat_n("npc", npc)) {
            k += 1;
            s.push_str(&format!("B{k},{unit},R{k},{g},,1,2,1\n"));
        }
    }
    s
}

/// A small campaign in `dir`: survey.yaml, plan.yaml, roster.csv, ballots.csv.
fn small_campaign(dir: &Path) {
    write(dir, "survey.yaml", crate::rules::SURVEY);
    write(dir, "plan.yaml", PLAN);
    write(dir, "roster.csv", ROSTER);
    write(dir, "ballots.csv", &ballots());
}

fn score_args(dir: &Path, out: &Path) -> Vec<PathBuf> {
    vec![
        "score".into(),
        "--plan".into(),
        dir.join("plan.yaml"),
        "--roster".into(),
        dir.join("roster.csv"),
        "--ballots".into(),
        dir.join("ballots.csv"),
        "--out".into(),
        out.to_path_buf(),
        "--quiet".into(),
    ]
}

fn score_fixture(name: &str, out: &Path) -> assert_cmd::assert::Assert {
    let d = fixture_dir(name);
    appraise()
        .arg("score")
        .arg("--plan")
        .arg(d.join("plan.yaml"))
        .arg("--roster")
        .arg(d.join("roster.csv"))
        .arg("--ballots")
        .arg(d.join("ballots.csv"))
        .arg("--complaints")
        .arg(d.join("complaints.csv"))
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .assert()
}

#[test]
fn demo_prints_front_and_back_of_the_list() {
    let out = appraise().arg("demo").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).expect("UTF-8 output");
    // The demo's plan is Chinese: so is the console list.
    let t = |k| labels::label(Language::Zh, k);
    assert!(
        text.contains(&format!("{} ", t(Key::BallotsRead))),
        "the accounting is printed:\n{text}"
    );
    let front_at = text
        .find(&format!("{}（前三）", t(Key::FrontOfList)))
        .unwrap_or_else(|| panic!("no front of the list:\n{text}"));
    let back_at = text
        .find(&format!("{}（后三）", t(Key::BackOfList)))
        .unwrap_or_else(|| panic!("no back of the list:\n{text}"));
    assert!(front_at < back_at);
    let (front, back) = (&text[front_at..back_at], &text[back_at..]);

    // The units the library flags top / bottom are the ones printed there.
    let (_, roster, o) = crate::demo();
    let listing = o.listing();
    let top: Vec<&str> = listing
        .iter()
        .filter(|&&u| o.units[u].placing.top)
        .map(|&u| roster.units[u].id.as_str())
        .collect();
    let bottom: Vec<&str> = listing
        .iter()
        .filter(|&&u| o.units[u].placing.bottom)
        .map(|&u| roster.units[u].id.as_str())
        .collect();
    assert!(top.len() >= 3 && bottom.len() >= 3, "top {top:?} bottom {bottom:?}");
    for id in &top {
        assert!(
            front.contains(&format!(" {id} ")),
            "front of the list lacks {id}:\n{front}"
        );
    }
    for id in &bottom {
        assert!(
            back.contains(&format!(" {id} ")),
            "back of the list lacks {id}:\n{back}"
        );
        assert!(
            !front.contains(&format!(" {id} ")),
            "{id} is printed in the front too:\n{front}"
        );
    }
    // Under the column headers, rank 1 is printed first in the front.
    let header = front.lines().nth(1).unwrap_or_default();
    assert!(header.trim_start().starts_with(t(Key::Rank)), "header: {header:?}");
    let first_line = front.lines().nth(2).unwrap_or_default();
    assert!(
        first_line.trim_start().starts_with("1 "),
        "first front line: {first_line:?}"
    );
    // Columns line up by display width: on every line of the table (header
    // included) the name and department columns start at the same terminal column,
    // CJK characters counting two.
    let starts = |line: &str| -> Vec<usize> {
        // Display columns where a cell starts (after two or more spaces).
        let (mut out, mut col, mut spaces) = (Vec::new(), 0, 0);
        for c in line.chars() {
            if c == ' ' {
                spaces += 1;
            } else {
                if spaces >= 2 {
                    out.push(col);
                }
                spaces = 0;
            }
            col += labels::display_width(c.encode_utf8(&mut [0; 4]));
        }
        out
    };
    let rows: Vec<&str> = front
        .lines()
        .skip(1)
        .chain(back.lines().skip(1))
        .filter(|l| l.starts_with("  "))
        .collect();
    assert!(rows.len() >= 8, "{rows:?}");
    let cols = |l: &str| starts(l).get(3..6).map(<[usize]>::to_vec);
    for l in &rows {
        assert_eq!(cols(l), cols(rows[0]), "misaligned:\n{front}{back}");
    }
}

#[test]
fn validate_accepts_every_shipped_plan() {
    let mut plans: Vec<PathBuf> = std::fs::read_dir(manifest_dir().join("surveys"))
        .expect("surveys/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".plan.yaml"))
        .collect();
    plans.sort();
    assert_eq!(plans.len(), 6, "{plans:?}");
    for p in plans {
        let rel = p.strip_prefix(manifest_dir()).expect("under the crate");
        appraise()
            .arg("validate")
            .arg("--plan")
            .arg(rel)
            .assert()
            .success()
            .stdout(predicate::str::contains("is valid").and(predicate::str::contains("dimension")));
    }
}

#[test]
fn score_writes_all_six_files_matching_the_fixture() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    score_fixture("campaign-pooled", &out)
        .success()
        .stdout(predicate::str::contains("收回测评票"));
    for f in OUTPUTS {
        let len = std::fs::metadata(out.join(f))
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .len();
        assert!(len > 0, "{f} is empty");
    }
    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with('.')),
        "a temporary file was left behind: {names:?}"
    );
    let files = read_out_dir(&out);
    assert_matches_expected("campaign-pooled", &files);
    assert_accounting_closes("campaign-pooled", &files);
}

#[test]
fn same_inputs_give_byte_identical_outputs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    score_fixture("campaign-weighted", &a).success();
    score_fixture("campaign-weighted", &b).success();
    for f in OUTPUTS {
        let (x, y) = (
            std::fs::read(a.join(f)).expect("first run"),
            std::fs::read(b.join(f)).expect("second run"),
        );
        assert!(x == y, "{f} differs between two runs on the same inputs");
    }
}

#[test]
fn missing_ballots_file_is_a_usage_error_naming_the_path() {
    let tmp = tempfile::tempdir().expect("tempdir");
    small_campaign(tmp.path());
    let missing = tmp.path().join("no-such-ballots.csv");
    let out = tmp.path().join("out");
    let mut args = score_args(tmp.path(), &out);
    args[6] = missing.clone();
    appraise()
        .args(&args)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(missing.to_string_lossy().into_owned()));
    assert!(!out.join("results.csv").exists());
}

#[test]
fn ballots_without_an_item_column_fail_naming_it_and_write_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    small_campaign(tmp.path());
    let text = ballots().replace(",law1\n", "\n");
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with('B') {
                format!("{}\n", &l[..l.len() - 2])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    write(tmp.path(), "ballots.csv", &text);
    let out = tmp.path().join("fresh-out");
    appraise()
        .args(score_args(tmp.path(), &out))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("law1").and(predicate::str::contains("ballots.csv")));
    assert!(!out.join("results.csv").exists(), "a failed run left a results.csv");
}

#[test]
fn repeated_roster_unit_fails_naming_the_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    small_campaign(tmp.path());
    // U1 again on line 5 (header = line 1).
    write(tmp.path(), "roster.csv", &format!("{ROSTER}U1,丁,D,K\n"));
    let out = tmp.path().join("out");
    appraise()
        .args(score_args(tmp.path(), &out))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("roster.csv:5").and(predicate::str::contains("U1")));
    assert!(!out.join("results.csv").exists());
}

#[test]
fn unknown_plan_field_fails_naming_field_and_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    small_campaign(tmp.path());
    // Line 7 of the plan.
    write(
        tmp.path(),
        "plan.yaml",
        &format!("{PLAN}panel: {{min_publc_share: 0.6}}\n"),
    );
    let out = tmp.path().join("out");
    appraise()
        .args(score_args(tmp.path(), &out))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("min_publc_share").and(predicate::str::contains("plan.yaml:7")));
    appraise()
        .arg("validate")
        .arg("--plan")
        .arg(tmp.path().join("plan.yaml"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("min_publc_share").and(predicate::str::contains("plan.yaml:7")));
}

#[test]
fn exclude_not_in_roster_fails() {
    let tmp = tempfile::tempdir().expect("tempdir");
    small_campaign(tmp.path());
    write(tmp.path(), "plan.yaml", &format!("{PLAN}exclude: [U2, U404]\n"));
    appraise()
        .args(score_args(tmp.path(), &tmp.path().join("out")))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("U404"));
    appraise()
        .arg("validate")
        .arg("--plan")
        .arg(tmp.path().join("plan.yaml"))
        .arg("--roster")
        .arg(tmp.path().join("roster.csv"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("U404"));
}

#[test]
fn strict_exits_3_naming_each_panel_short_unit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    small_campaign(tmp.path());
    let out = tmp.path().join("out");
    // Without --strict: U2 and U3 are marked panel_short.
    appraise().args(score_args(tmp.path(), &out)).assert().success();
    let results = crate::Table::from_bytes(&std::fs::read(out.join("results.csv")).expect("results.csv"));
    assert_eq!(results.values("status"), ["ranked", "panel_short", "panel_short"]);

    let strict_out = tmp.path().join("strict-out");
    appraise()
        .args(score_args(tmp.path(), &strict_out))
        .arg("--strict")
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("U2")
                .and(predicate::str::contains("0.6"))
                .and(predicate::str::contains("U3"))
                .and(predicate::str::contains("0.5"))
                .and(predicate::str::contains("U1").not()),
        );
    assert!(
        !strict_out.join("results.csv").exists(),
        "a failed --strict run left a results.csv"
    );
}

/// A monthly window ranking (窗口好差评): this month's run with last month's
/// results.csv marks the windows that are 后三 again (黄牌); without it, the mark is
/// left empty and a note says why.
#[test]
fn previous_results_mark_windows_at_the_back_two_months_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = manifest_dir().join("surveys/chuangkou-haochaping.plan.yaml");
    let roster = manifest_dir().join("surveys/examples/chuangkou-haochaping.roster.csv");
    appraise()
        .args(["simulate", "--plan"])
        .arg(&plan)
        .arg("--roster")
        .arg(&roster)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    // The plan weighs 按期办结率 (SPEC §14): every window closes one ticket on time
    // in April and one in May, so its tickets component is 100 both months and the
    // order is the survey's.
    let mut tickets = String::from("ticket_id,unit_id,received,closed,kind\n");
    let units = appraise::Roster::load(&roster, appraise::Encoding::Auto).expect("roster");
    for u in &units.units {
        tickets.push_str(&format!("{0}-4,{0},2015-04-10,2015-04-10,ordinary\n", u.id));
        tickets.push_str(&format!("{0}-5,{0},2015-05-11,2015-05-12,ordinary\n", u.id));
    }
    std::fs::write(dir.path().join("tickets.csv"), tickets).expect("tickets");
    std::fs::write(dir.path().join("holidays.txt"), "2015-04-06\n2015-05-01\n").expect("holidays");
    let score = |out: &str, extra: &[&std::ffi::OsStr]| {
        let mut c = appraise();
        c.args(["score", "-q", "--plan"])
            .arg(&plan)
            .arg("--roster")
            .arg(&roster)
            .arg("--ballots")
            .arg(dir.path().join("ballots.csv"))
            .arg("--tickets")
            .arg(dir.path().join("tickets.csv"))
            .arg("--holidays")
            .arg(dir.path().join("holidays.txt"))
            .arg("--out")
            .arg(dir.path().join(out))
            .args(extra);
        c.assert()
    };
    let first = score("april", &[]).success().get_output().stdout.clone();
    assert!(String::from_utf8_lossy(&first).contains("needs 1 earlier results.csv"));
    let april = crate::Table::from_bytes(&std::fs::read(dir.path().join("april/results.csv")).expect("april"));
    let col = april.column("consecutive");
    assert!(april.rows.iter().all(|r| r[col].is_empty()));
    // The same ballots again as "May": the back of the list is the same windows, so
    // exactly April's 后三 are marked.
    let april_results = dir.path().join("april/results.csv");
    score(
        "may",
        &[
            "--previous".as_ref(),
            april_results.as_os_str(),
            "--period".as_ref(),
            "2015-05".as_ref(),
        ],
    )
    .success();
    let may = crate::Table::from_bytes(&std::fs::read(dir.path().join("may/results.csv")).expect("may"));
    let (bottom, mark) = (may.column("bottom"), may.column("consecutive"));
    let marked: Vec<&str> = may
        .rows
        .iter()
        .filter(|r| r[mark] == "true")
        .map(|r| r[0].as_str())
        .collect();
    let back: Vec<&str> = may
        .rows
        .iter()
        .filter(|r| r[bottom] == "true")
        .map(|r| r[0].as_str())
        .collect();
    assert!(!back.is_empty());
    assert_eq!(marked, back);
    // May's run had `--period 2015-05`: the plan's April replaced by May.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("may/results.json")).expect("json")).expect("parses");
    assert_eq!(json["period"], serde_json::json!(["2015-05-01", "2015-05-31"]));
    score("bad", &["--period".as_ref(), "2015-13".as_ref()])
        .code(2)
        .stderr(predicate::str::contains("not a period"));
    let report = std::fs::read_to_string(dir.path().join("may/report.md")).expect("report");
    assert!(report.contains("黄牌"), "{report}");
}

#[test]
fn simulate_plants_the_faults_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = manifest_dir().join("surveys/san-fuwu.plan.yaml");
    let roster = manifest_dir().join("surveys/examples/san-fuwu.roster.csv");
    let sim = |extra: &[&str]| {
        let mut c = appraise();
        c.args(["simulate", "--no-faults", "--plan"])
            .arg(&plan)
            .arg("--roster")
            .arg(&roster)
            .arg("--out")
            .arg(dir.path())
            .args(extra);
        c.assert()
    };
    sim(&["--fault", "bad_code=0.5"]).success();
    let text = std::fs::read_to_string(dir.path().join("ballots.csv")).expect("ballots");
    let rows = text.lines().count() - 1;
    // Half the ballots carry a bad code (binomial: 0.5 ± 4 sd of ≈ 600 rows).
    let bad = text.lines().skip(1).filter(|l| l.split(',').any(|c| c == "x")).count();
    let sd = (rows as f64 * 0.25).sqrt();
    assert!((bad as f64 - rows as f64 / 2.0).abs() < 4.0 * sd, "{bad} of {rows}");
    sim(&["--fault", "bad_code=2"])
        .code(2)
        .stderr(predicate::str::contains("from 0 to 1"));
}
