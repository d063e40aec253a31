//! Messy and hostile input, run through the real `appraise score` (issue 5).
//!
//! Each case writes its files into a fresh temporary folder and checks that the
//! run ends either correctly or with a clear non-zero error that names the
//! culprit; never with a panic, and never with a partial `results.csv` (outputs
//! are whole or absent, and no temporary file is left behind).
//!
//! The fuzzers' findings are kept at the end as regression tests, their inputs
//! inlined.

use std::path::{Path, PathBuf};

use appraise::campaign;
use appraise::{Encoding, Plan, Roster, Source, Survey};
use assert_cmd::Command;

use crate::Table;

// ---------------------------------------------------------------------------
// A small campaign on disk
// ---------------------------------------------------------------------------

/// Items `int1, int2, law1` on the sat4 scale (codes 1, 2, 3, 9).
const SURVEY: &str = crate::rules::SURVEY;

/// Panel rule out of the way (one valid ballot ranks a unit), so that a correct
/// run ranks every unit with a ballot.
fn plan_yaml(extra: &str) -> String {
    format!(
        "id: messy\nsurvey: survey.yaml\nperiod: {{start: 2010-01-01, end: 2010-12-31}}\ngroups:\n  - {{id: pub, public: true}}\n  - {{id: npc}}\npanel: {{min_public_share: 0, min_valid_ballots: 1}}\n{extra}"
    )
}

const ROSTER: &str =
    "unit_id,name,department,kind\nU1,城区供电所,供电,站所\nU2,城区派出所,公安,站所\nU3,办证窗口,政务,窗口\n";

const HEADER: &str = "ballot_id,unit_id,rater_id,rater_group,rater_unit,int1,int2,law1";

/// Two valid ballots per unit (lines 2–7).
fn good_rows() -> Vec<String> {
    let mut v = Vec::new();
    for (k, unit) in ["U1", "U1", "U2", "U2", "U3", "U3"].iter().enumerate() {
        let k = k + 1;
        v.push(format!("B{k},{unit},R{k},pub,,1,2,{}", 1 + k % 3));
    }
    v
}

fn csv(header: &str, rows: &[String], eol: &str) -> String {
    let mut s = String::from(header);
    s.push_str(eol);
    for r in rows {
        s.push_str(r);
        s.push_str(eol);
    }
    s
}

/// A campaign in a temporary folder: `survey.yaml`, `plan.yaml`, `roster.csv`,
/// `ballots.csv`, all valid until a test overwrites one.
struct Case {
    dir: tempfile::TempDir,
}

/// What a run of the binary left.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    out: PathBuf,
}

impl Case {
    fn new() -> Case {
        let c = Case {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        c.write("survey.yaml", SURVEY);
        c.write("plan.yaml", plan_yaml(""));
        c.write("roster.csv", ROSTER);
        c.write("ballots.csv", csv(HEADER, &good_rows(), "\n"));
        c
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        p
    }

    /// `appraise score` on the case's files into `out/`, with more arguments.
    fn score(&self, more: &[&str]) -> Run {
        self.score_into(&self.path("out"), more)
    }

    fn score_into(&self, out: &Path, more: &[&str]) -> Run {
        let mut cmd = Command::cargo_bin("appraise").expect("the appraise binary");
        cmd.current_dir(self.dir.path())
            .arg("score")
            .arg("--plan")
            .arg(self.path("plan.yaml"))
            .arg("--roster")
            .arg(self.path("roster.csv"))
            .arg("--ballots")
            .arg(self.path("ballots.csv"))
            .arg("--out")
            .arg(out)
            .arg("--quiet")
            // These cases are about judging rows, many of them bad on purpose; the
            // more-than-half-rejected gate has its own tests (tests/it/office.rs).
            .arg("--accept-rejects")
            .args(more);
        let before = std::fs::read(out.join("results.csv")).ok();
        let o = cmd.output().expect("run appraise");
        let run = Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            out: out.to_path_buf(),
        };
        run.check_calm();
        if run.code != 0 {
            assert!(
                std::fs::read(out.join("results.csv")).ok() == before,
                "a failed run changed results.csv"
            );
        }
        run
    }
}

impl Run {
    /// Never a panic, never a partial or stray output, whatever the input.
    fn check_calm(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "the run panicked:\n{}",
            self.stderr
        );
        assert!(
            self.code == 0 || !self.stderr.trim().is_empty(),
            "exit {} without a message",
            self.code
        );
        if let Ok(entries) = std::fs::read_dir(&self.out) {
            let names: Vec<String> = entries
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            assert!(
                !names.iter().any(|n| n.starts_with('.')),
                "a temporary file was left behind: {names:?}"
            );
        }
    }

    /// A successful run; returns `results.csv`.
    fn ok(&self) -> Table {
        assert_eq!(self.code, 0, "expected success:\n{}\n{}", self.stdout, self.stderr);
        self.results()
    }

    /// A failed run with exit `code` whose message names every `culprit`.
    fn fails(&self, code: i32, culprits: &[&str]) {
        assert_eq!(
            self.code, code,
            "expected exit {code}:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        for c in culprits {
            assert!(
                self.stderr.contains(c),
                "the message does not name `{c}`:\n{}",
                self.stderr
            );
        }
    }

    fn file(&self, name: &str) -> String {
        let p = self.out.join(name);
        String::from_utf8(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
            .unwrap_or_else(|e| panic!("{name} is not UTF-8: {e}"))
    }

    fn results(&self) -> Table {
        let t = Table::parse(&self.file("results.csv"));
        assert!(!t.rows.is_empty(), "results.csv has no row");
        t
    }

    fn rejects(&self) -> Table {
        Table::parse(&self.file("rejects.csv"))
    }

    /// `(row, reason)` of every reject, in file order.
    fn reject_rows(&self) -> Vec<(u64, String)> {
        let t = self.rejects();
        let (row, reason) = (t.column("row"), t.column("reason"));
        t.rows
            .iter()
            .map(|r| (r[row].parse().expect("a row number"), r[reason].clone()))
            .collect()
    }
}

/// `valid_ballots` per unit, in roster order.
fn valid(t: &Table) -> Vec<String> {
    t.values("valid_ballots").iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------
// Encodings and line ends
// ---------------------------------------------------------------------------

/// Group ids in Chinese, so that a wrongly decoded ballot file cannot match them.
const GBK_PLAN_GROUPS: &str = "groups:\n  - {id: 群众代表, public: true}\n  - {id: 人大代表}\n";

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "test text must be GBK");
    bytes.into_owned()
}

fn gbk_case() -> (Case, String) {
    let c = Case::new();
    let plan = plan_yaml("").replace("groups:\n  - {id: pub, public: true}\n  - {id: npc}\n", GBK_PLAN_GROUPS);
    c.write("plan.yaml", plan);
    let mut rows = Vec::new();
    for (k, unit) in ["U1", "U1", "U2", "U3", "U3", "U3"].iter().enumerate() {
        let group = if k == 3 { "人大代表" } else { "群众代表" };
        rows.push(format!("B{k},{unit},R{k},{group},,1,2,3,手工录入第{k}张"));
    }
    let ballots = csv(&format!("{HEADER},备注"), &rows, "\r\n");
    c.write("roster.csv", gbk(ROSTER));
    c.write("ballots.csv", gbk(&ballots));
    (c, ballots)
}

#[test]
fn gbk_ballots_and_roster_are_detected() {
    let (c, _) = gbk_case();
    let run = c.score(&[]);
    let t = run.ok();
    assert_eq!(valid(&t), ["2", "1", "3"], "rater groups decoded from GBK");
    assert_eq!(t.cell("unit_id", "U1", "name"), "城区供电所");
    assert_eq!(t.cell("unit_id", "U3", "kind"), "窗口");
    assert!(
        run.stdout.contains("gb18030"),
        "detection is reported as a note:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("备注"),
        "the extra column is named:\n{}",
        run.stdout
    );
    assert!(run.reject_rows().is_empty(), "{:?}", run.reject_rows());
}

#[test]
fn gbk_by_option_gives_the_same_results_as_detection() {
    let (c, _) = gbk_case();
    let auto = c.score(&[]);
    auto.ok();
    let by_flag = c.score_into(&c.path("out-gbk"), &["--encoding", "gbk"]);
    by_flag.ok();
    assert_eq!(auto.file("results.csv"), by_flag.file("results.csv"));
    assert!(
        !by_flag.stdout.contains("detected"),
        "no detection note when the encoding is given"
    );
}

#[test]
fn gbk_read_as_utf8_is_a_clear_error() {
    let (c, _) = gbk_case();
    // The roster cannot be read as UTF-8: an error naming file, line and the fix.
    c.score(&["--encoding", "utf-8"])
        .fails(1, &["roster.csv:2", "UTF-8", "--encoding gbk"]);
    // The ballots' header (with 备注) neither.
    c.write("roster.csv", ROSTER);
    c.score(&["--encoding", "utf-8"])
        .fails(1, &["ballots.csv:1", "UTF-8", "--encoding gbk"]);
    // A UTF-8 file with one GBK row: that row is malformed, never guessed.
    c.write("plan.yaml", plan_yaml(""));
    let mut bytes = format!("{HEADER},note\nB1,U1,R1,pub,,1,1,1,城区\n").into_bytes();
    bytes.extend(gbk("B2,U1,R2,pub,,1,1,1,城区\n"));
    bytes.extend("B3,U2,R3,pub,,1,1,1,城区\n".as_bytes());
    c.write("ballots.csv", bytes);
    let run = c.score(&["--encoding", "utf-8"]);
    assert_eq!(valid(&run.ok()), ["1", "1", "0"]);
    assert_eq!(run.reject_rows(), [(3, "malformed_row".to_string())]);
    assert!(
        run.rejects().rows[0][3].contains("--encoding gbk"),
        "{:?}",
        run.rejects().rows
    );
}

#[test]
fn utf8_bom_and_crlf_are_read() {
    let c = Case::new();
    let mut rows = good_rows();
    rows.push("B9,U1,R9,pub,,7,2,1".into()); // line 9 after a ragged line 8
    rows.insert(6, "B8,U1,R8,pub,,1,2".into());
    c.write("roster.csv", format!("\u{feff}{}", ROSTER.replace('\n', "\r\n")));
    c.write("ballots.csv", format!("\u{feff}{}", csv(HEADER, &rows, "\r\n")));
    for enc in ["auto", "utf-8"] {
        let run = c.score_into(&c.path(enc), &["--encoding", enc]);
        let t = run.ok();
        assert_eq!(valid(&t), ["2", "2", "2"]);
        assert_eq!(t.values("rejected_ballots"), ["2", "0", "0"]);
        assert_eq!(
            t.cell("unit_id", "U3", "kind"),
            "窗口",
            "no CR is left in the last column"
        );
        assert_eq!(
            run.reject_rows(),
            [(8, "malformed_row".to_string()), (9, "bad_code".to_string())]
        );
        assert!(!run.stdout.contains("detected"), "{}", run.stdout);
    }
}

// ---------------------------------------------------------------------------
// Ragged rows, quoted newlines, big cells
// ---------------------------------------------------------------------------

#[test]
fn ragged_rows_are_malformed_with_their_lines() {
    let c = Case::new();
    let mut rows = good_rows();
    rows.insert(1, "B20,U1,R20,pub,,1,2".into()); // line 3: too few
    rows.insert(3, "B21,U2,R21,pub,,1,2,1,1".into()); // line 5: too many
    rows.insert(4, String::new()); // line 6: empty, no row
    rows.push("B22,U404,R22,pub".into()); // line 11: too few, unknown unit
    c.write("ballots.csv", csv(HEADER, &rows, "\n"));
    let run = c.score(&[]);
    let t = run.ok();
    assert_eq!(valid(&t), ["2", "2", "2"]);
    assert_eq!(t.values("rejected_ballots"), ["1", "1", "0"]);
    assert_eq!(
        run.reject_rows(),
        [
            (3, "malformed_row".to_string()),
            (5, "malformed_row".to_string()),
            (11, "malformed_row".to_string())
        ]
    );
    let rejects = run.rejects();
    assert_eq!(rejects.values("ballot_id"), ["B20", "B21", "B22"]);
    assert!(
        rejects.rows[0][3].contains("7 fields, header has 8"),
        "{:?}",
        rejects.rows[0]
    );
}

#[test]
fn quoted_newlines_reject_at_the_line_where_the_record_starts() {
    let c = Case::new();
    let text = format!(
        "{HEADER},note\n\
         B1,U1,R1,pub,,1,2,1,\"first line\nsecond line\"\n\
         B2,U1,R2,pub,,7,2,1,\n\
         B3,U2,R3,pub,,\"1\n2\",2,1,\n\
         B4,U2,R4,pub,,1,2,1,\"a\n\nb\",extra\n\
         B5,U3,R5,pub,,1,2,1,\"fine\"\n"
    );
    c.write("ballots.csv", text);
    let run = c.score(&[]);
    let t = run.ok();
    assert_eq!(valid(&t), ["1", "0", "1"]);
    assert_eq!(
        run.reject_rows(),
        [
            (4, "bad_code".to_string()),
            (5, "bad_code".to_string()),
            (7, "malformed_row".to_string())
        ]
    );
    // The reject detail keeps the value on one CSV cell, whatever it holds.
    assert!(
        run.rejects().rows[1][3].starts_with("int1=1\n2"),
        "{:?}",
        run.rejects().rows[1]
    );
}

#[test]
fn a_two_megabyte_cell_is_a_clipped_bad_code_or_ignored() {
    let c = Case::new();
    let big = "9".repeat(2 << 20);
    let mut rows = good_rows();
    rows.push(format!("B7,U1,R7,pub,,{big},2,1")); // line 8
    let mut text = csv(&format!("{HEADER},note"), &[], "\n");
    for r in &rows[..6] {
        text.push_str(&format!("{r},{big}\n")); // big cells in an ignored column
    }
    text.push_str(&format!("{},\n", rows[6]));
    c.write("ballots.csv", text);
    let run = c.score(&[]);
    let t = run.ok();
    assert_eq!(valid(&t), ["2", "2", "2"]);
    assert_eq!(run.reject_rows(), [(8, "bad_code".to_string())]);
    let detail = &run.rejects().rows[0][3];
    assert!(detail.len() < 200, "the detail is clipped: {} bytes", detail.len());
    assert!(detail.contains(&format!("({} chars)", 2 << 20)), "{detail}");
    assert!(run.file("rejects.csv").len() < 1000);
}

// ---------------------------------------------------------------------------
// Empty, header-only, missing column, missing file, bad roster
// ---------------------------------------------------------------------------

#[test]
fn an_empty_ballot_file_is_an_error_naming_it() {
    let c = Case::new();
    c.write("ballots.csv", "");
    c.score(&[]).fails(1, &["ballots.csv", "empty"]);
    // Only blank lines or a BOM: the same.
    c.write("ballots.csv", "\u{feff}\r\n\r\n");
    c.score(&[]).fails(1, &["ballots.csv", "empty"]);
}

#[test]
fn a_header_only_ballot_file_is_a_valid_run_without_ranks() {
    let c = Case::new();
    c.write("ballots.csv", format!("{HEADER}\r\n"));
    let run = c.score(&[]);
    let t = run.ok();
    assert_eq!(t.rows.len(), 3);
    assert_eq!(t.values("status"), ["too_few_ballots"; 3]);
    assert_eq!(t.values("rank"), ["", "", ""]);
    assert_eq!(valid(&t), ["0", "0", "0"]);
    assert!(
        run.stdout.contains("收回测评票 0 = 有效票 0 + 无效票 0"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_item_column_is_an_error_naming_item_and_file() {
    let c = Case::new();
    let rows: Vec<String> = good_rows()
        .iter()
        .map(|r| r.rsplit_once(',').map(|(a, _)| a.to_string()).unwrap_or_default())
        .collect();
    c.write("ballots.csv", csv(HEADER.trim_end_matches(",law1"), &rows, "\n"));
    c.score(&[]).fails(1, &["ballots.csv", "law1"]);
    // A fixed column missing: the same kind of message.
    c.write(
        "ballots.csv",
        "ballot_id,unit_id,rater_id,int1,int2,law1\nB1,U1,R1,1,1,1\n",
    );
    c.score(&[]).fails(1, &["ballots.csv", "rater_group"]);
}

#[test]
fn a_nonexistent_path_is_a_usage_error() {
    let c = Case::new();
    std::fs::remove_file(c.path("ballots.csv")).expect("remove");
    c.score(&[]).fails(2, &["ballots.csv", "does not exist"]);
    c.write("ballots.csv", csv(HEADER, &good_rows(), "\n"));
    std::fs::remove_file(c.path("roster.csv")).expect("remove");
    c.score(&[]).fails(2, &["roster.csv"]);
    // A plan naming a survey that is not there: an input error naming both.
    c.write("roster.csv", ROSTER);
    c.write("plan.yaml", plan_yaml("").replace("survey.yaml", "nope.yaml"));
    c.score(&[]).fails(1, &["plan.yaml", "nope.yaml"]);
}

#[test]
fn a_roster_with_a_repeated_unit_fails_naming_line_and_unit() {
    let c = Case::new();
    c.write("roster.csv", format!("{ROSTER} U2 ,又一个,公安,站所\n"));
    c.score(&[]).fails(1, &["roster.csv:5", "U2", "first on line 3"]);
}

#[test]
fn stray_spaces_around_codes_and_ids_are_trimmed() {
    let c = Case::new();
    let text = " ballot_id , unit_id ,rater_id,rater_group ,rater_unit,int1 , int2,law1\n\
         B1 ,  U1,R1 , pub ,, 1 ,2  ,\t3\n\
         B2,U2 ,R2,pub,  ,  9,1 , 1 \n\
         B3,\u{3000}U3\u{3000},R3,npc,,1,1,1\n\
         B1,U3,R4,pub,,1,1,1\n\
         B5,U1, R1,pub,,1,1,1\n"
        .to_string();
    c.write("ballots.csv", text);
    let run = c.score(&[]);
    let t = run.ok();
    assert_eq!(valid(&t), ["1", "1", "1"]);
    // " B1 " and "B1" are one id; " R1" and "R1 " one rater of U1.
    assert_eq!(
        run.reject_rows(),
        [(5, "duplicate".to_string()), (6, "duplicate".to_string())]
    );
    // int1 1 (100), int2 2 (60), law1 3 (0): (3·100 + 60)/4 = 90; (90 + 3·0)/4.
    assert_eq!(t.cell("unit_id", "U1", "composite"), "22.5");
}

#[test]
fn fullwidth_digits_are_folded_unless_the_plan_says_not() {
    let c = Case::new();
    let text = format!(
        "{HEADER}\n\
         B1,U1,R1,pub,,１,２,３\n\
         B2,U2,R2,pub,, ９ ,1,２\n\
         B3,U3,R3,pub,,１１,1,1\n\
         B4,U３,R4,pub,,1,1,1\n\
         B5,U3,R5,pub,,一,1,1\n\
         B6,U3,R6,pub,,Ａ,1,1\n"
    );
    c.write("ballots.csv", text);
    // Folding off and no full-width digits: every full-width answer is bad_code.
    c.write("plan.yaml", plan_yaml("input: {fold_width: false}\n"));
    let off = c.score(&[]);
    let t = off.ok();
    assert_eq!(valid(&t), ["0", "0", "0"]);
    let rows = off.reject_rows();
    assert_eq!(rows[0], (2, "bad_code".to_string()));
    assert_eq!(rows[1], (3, "bad_code".to_string()));
    assert!(
        off.rejects().rows[0][3].contains("int1=１"),
        "{:?}",
        off.rejects().rows[0]
    );

    // The older switch still maps digits only (folding off).
    c.write(
        "plan.yaml",
        plan_yaml("input: {fold_width: false}\nvalidity: {fullwidth_digits: true}\n"),
    );
    let on = c.score_into(&c.path("on"), &[]);
    let t = on.ok();
    assert_eq!(valid(&t), ["1", "1", "0"]);
    // int1 = 1 (100), int2 = 2 (60), law1 = 3 (0): integrity (3·100 + 60)/4 = 90,
    // lawful 0, composite (90 + 3·0)/4 = 22.5.
    assert_eq!(t.cell("unit_id", "U1", "composite"), "22.5");
    // `１１` is not a code, `U３` is not U3 (ids are not digit-mapped), `一` and `Ａ` are no digits.
    assert_eq!(
        on.reject_rows(),
        [
            (4, "bad_code".to_string()),
            (5, "unknown_unit".to_string()),
            (6, "bad_code".to_string()),
            (7, "bad_code".to_string())
        ]
    );

    // By default (SPEC §12) full-width digits and letters fold everywhere: `U３` is U3;
    // `１１` is 11, no code; `Ａ` is A, no code; `一` is no digit.
    c.write("plan.yaml", plan_yaml(""));
    let folded = c.score_into(&c.path("folded"), &[]);
    let t = folded.ok();
    assert_eq!(valid(&t), ["1", "1", "1"]);
    assert_eq!(t.cell("unit_id", "U1", "composite"), "22.5");
    assert_eq!(
        folded.reject_rows(),
        [
            (4, "bad_code".to_string()),
            (6, "bad_code".to_string()),
            (7, "bad_code".to_string())
        ]
    );
}

#[test]
fn fullwidth_digits_option_is_validated() {
    let c = Case::new();
    c.write("plan.yaml", plan_yaml("validity: {fullwidth_digit: true}\n"));
    c.score(&[]).fails(1, &["plan.yaml", "fullwidth_digit"]);
    c.write("plan.yaml", plan_yaml("validity: {fullwidth_digits: yes please}\n"));
    c.score(&[]).fails(1, &["plan.yaml", "fullwidth_digits"]);
}

// ---------------------------------------------------------------------------
// Hostile names
// ---------------------------------------------------------------------------

#[test]
fn formula_and_markup_names_are_neutralised_and_escaped() {
    let c = Case::new();
    let roster = "unit_id,name,department,kind,town\n\
                  U1,\"=HYPERLINK(\"\"http://x\"\")\",@SUM(A1),-x,+cmd\n\
                  U2,<script>alert(1)</script>,<b>部</b>,\"| a | b |\",**x**\n\
                  U3,\"\tTAB\",=1+2,-3.5,x\n";
    c.write("roster.csv", roster);
    // A hostile ballot id too: it reaches rejects.csv.
    let mut rows = good_rows();
    rows.push("=cmd|' /C calc'!A0,U1,R9,pub,,7,1,1".into());
    c.write("ballots.csv", csv(HEADER, &rows, "\n"));
    let run = c.score(&[]);
    let t = run.ok();
    assert_eq!(t.cell("unit_id", "U1", "name"), "'=HYPERLINK(\"http://x\")");
    assert_eq!(t.cell("unit_id", "U1", "department"), "'@SUM(A1)");
    assert_eq!(t.cell("unit_id", "U1", "kind"), "'-x");
    assert_eq!(t.cell("unit_id", "U1", "town"), "'+cmd");
    assert_eq!(t.cell("unit_id", "U3", "department"), "'=1+2");
    assert_eq!(t.cell("unit_id", "U3", "kind"), "-3.5", "a number stays a number");
    assert_eq!(t.cell("unit_id", "U2", "name"), "<script>alert(1)</script>");
    for t in [run.results(), Table::parse(&run.file("items.csv")), run.rejects()] {
        for row in &t.rows {
            for cell in row {
                assert!(
                    !cell.starts_with(['=', '+', '@', '\t', '\r'])
                        && (!cell.starts_with('-') || cell.parse::<f64>().is_ok()),
                    "unneutralised cell {cell:?} in {row:?}"
                );
            }
        }
    }
    assert!(
        run.rejects().rows[0][1].starts_with("'="),
        "{:?}",
        run.rejects().rows[0]
    );

    let md = run.file("report.md");
    assert!(
        !md.contains("<script>") && !md.contains("<b>"),
        "raw HTML in report.md:\n{md}"
    );
    assert!(md.contains("&lt;script&gt;"), "{md}");
    assert!(!md.contains("| a | b |"), "a name breaks the Markdown table:\n{md}");
    assert!(!md.contains("**x**"));
    let json = run.file("results.json");
    let v: serde_json::Value = serde_json::from_str(&json).expect("results.json parses");
    assert!(v.is_object());
}

// ---------------------------------------------------------------------------
// Output folders
// ---------------------------------------------------------------------------

#[test]
fn an_output_folder_that_is_a_file_is_a_usage_error() {
    let c = Case::new();
    let file = c.write("out.txt", "not a folder");
    c.score_into(&file, &[]).fails(2, &["out.txt", "folder"]);
    assert_eq!(std::fs::read(&file).expect("still there"), b"not a folder");
}

#[test]
fn an_output_folder_below_a_file_is_an_input_error() {
    let c = Case::new();
    c.write("out.txt", "not a folder");
    let out = c.path("out.txt").join("results");
    c.score_into(&out, &[]).fails(1, &["out.txt"]);
}

/// Makes a folder unwritable for as long as it lives: mode 0o555, and, when that
/// does not stop the current user (root), the immutable attribute (`chattr +i`).
#[cfg(unix)]
struct ReadOnly<'a> {
    dir: &'a Path,
    immutable: bool,
}

#[cfg(unix)]
impl<'a> ReadOnly<'a> {
    /// `None` when the folder cannot be made unwritable here.
    fn new(dir: &'a Path) -> Option<ReadOnly<'a>> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        let mut guard = ReadOnly { dir, immutable: false };
        if guard.writable() {
            guard.immutable = std::process::Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success());
            if !guard.immutable || guard.writable() {
                return None;
            }
        }
        Some(guard)
    }

    fn writable(&self) -> bool {
        let probe = self.dir.join("probe");
        let ok = std::fs::write(&probe, b"x").is_ok();
        let _ = std::fs::remove_file(&probe);
        ok
    }
}

#[cfg(unix)]
impl Drop for ReadOnly<'_> {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if self.immutable {
            let _ = std::process::Command::new("chattr").arg("-i").arg(self.dir).status();
        }
        let _ = std::fs::set_permissions(self.dir, std::fs::Permissions::from_mode(0o755));
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_output_folder_keeps_its_old_outputs() {
    let c = Case::new();
    let out = c.path("out");
    c.score_into(&out, &[]).ok();
    let listed = names(&out);
    let before: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| {
            let p = e.expect("entry").path();
            let b = std::fs::read(&p).expect("read");
            (p, b)
        })
        .collect();
    // New ballots, so that a write would change the results.
    c.write("ballots.csv", csv(HEADER, &good_rows()[..3], "\n"));
    let Some(guard) = ReadOnly::new(&out) else {
        eprintln!("skipped: cannot make a folder read-only here");
        return;
    };
    let run = c.score_into(&out, &[]);
    drop(guard);
    run.fails(1, &[out.to_string_lossy().as_ref()]);
    for (p, b) in before {
        assert_eq!(std::fs::read(&p).expect("still there"), b, "{} changed", p.display());
    }
    assert_eq!(names(&out), listed, "no stray file");
}

// ---------------------------------------------------------------------------
// Atomic outputs, at the library level
// ---------------------------------------------------------------------------

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn write_atomic_failing_while_staging_renames_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    appraise::files::write_atomic(
        dir.path(),
        &[("a.csv", b"old a".to_vec()), ("b.csv", b"old b".to_vec())],
    )
    .expect("first write");
    // The second file cannot be staged (its folder does not exist): the first,
    // already staged, must not be renamed into place.
    let err = appraise::files::write_atomic(
        dir.path(),
        &[("a.csv", b"new a".to_vec()), ("missing/b.csv", b"new b".to_vec())],
    )
    .expect_err("staging fails");
    assert!(err.to_string().contains("b.csv"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("a.csv")).expect("a"), b"old a");
    assert_eq!(std::fs::read(dir.path().join("b.csv")).expect("b"), b"old b");
    assert_eq!(names(dir.path()), ["a.csv", "b.csv"], "no temporary file is left");
}

#[test]
fn write_atomic_failing_while_renaming_leaves_whole_files_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    appraise::files::write_atomic(dir.path(), &[("a.csv", b"old a".to_vec())]).expect("first write");
    // `d` is a folder: its file is staged but cannot be renamed onto it.
    std::fs::create_dir(dir.path().join("d")).expect("mkdir");
    std::fs::write(dir.path().join("d").join("keep"), b"k").expect("write");
    let new = b"new a, longer than the old".to_vec();
    let err = appraise::files::write_atomic(dir.path(), &[("a.csv", new.clone()), ("d", b"x".to_vec())])
        .expect_err("renaming onto a folder fails");
    assert!(err.to_string().contains('d'), "{err}");
    let a = std::fs::read(dir.path().join("a.csv")).expect("a");
    assert!(a == b"old a" || a == new, "a.csv is neither old nor new: {a:?}");
    assert_eq!(names(dir.path()), ["a.csv", "d"], "no temporary file is left");
}

#[test]
fn write_stream_failing_midway_keeps_the_old_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ballots.csv");
    std::fs::write(&path, b"old").expect("write");
    let r: appraise::Result<()> = appraise::files::write_stream(&path, |w| {
        w.write_all(b"half of the new")
            .map_err(|e| appraise::ErrorKind::Usage(e.to_string()))?;
        Err(appraise::ErrorKind::Usage("rendering failed midway".into()).into())
    });
    assert!(r.is_err());
    assert_eq!(std::fs::read(&path).expect("old"), b"old");
    assert_eq!(names(dir.path()), ["ballots.csv"], "no temporary file is left");
}

// ---------------------------------------------------------------------------
// Library entry points on hostile text (the fuzz targets' harness)
// ---------------------------------------------------------------------------

/// What the `ballots` fuzz target does with one input; must never panic.
pub(crate) fn fuzz_ballots(ballots: &str, roster_csv: &str) {
    let survey = Survey::from_yaml(SURVEY, Path::new("survey.yaml")).expect("survey");
    let plan = Plan::from_yaml(&plan_yaml(""), Path::new("plan.yaml"), survey).expect("plan");
    let roster = Roster::read_from(&Source::text("roster.csv", ROSTER), Encoding::Utf8).expect("roster");
    let _ = campaign::tally_files(
        &plan,
        &roster,
        &[Source::text("ballots.csv", ballots)],
        Encoding::Auto,
        &mut |_| {},
    );
    let _ = Roster::read_from(&Source::text("roster.csv", roster_csv), Encoding::Auto);
}

#[test]
fn library_readers_take_hostile_text_calmly() {
    for text in [
        "",
        "\u{feff}",
        "\"",
        "\"\n\"\n",
        ",,,,,,,\n,,,,,,,\n",
        "ballot_id,unit_id,rater_id,rater_group,rater_unit,int1,int2,law1\n\"unterminated,U1",
        "ballot_id,ballot_id\n",
        "\0\0\0\n\0",
        "\r\r\r",
    ] {
        fuzz_ballots(text, text);
    }
}
