//! Office-proof input (issue 11, SPEC §12): the files an office really has score
//! exactly like their clean CSV twins, and every loss that changes a result is
//! spoken of. Each case writes a clean campaign and an office-shaped one in a
//! temporary folder (workbooks made with `rust_xlsxwriter`), scores both with the
//! real binary, and compares `results.csv` cell for cell.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::Table;

const SURVEY: &str = crate::rules::SURVEY;

fn plan_yaml(extra: &str) -> String {
    format!(
        "id: office\nsurvey: survey.yaml\nperiod: {{start: 2010-01-01, end: 2010-12-31}}\n\
         groups:\n  - {{id: pub, zh: 群众代表, en: public, public: true}}\n  - {{id: npc, zh: 人大代表}}\n\
         panel: {{min_public_share: 0, min_valid_ballots: 1}}\n\
         complaints:\n  categories:\n    - {{id: late, zh: 办事拖拉, points: 2}}\n    - {{id: bribe, zh: 吃拿卡要, veto: true}}\n{extra}"
    )
}

const ROSTER: &str = "unit_id,name,department,kind,issued\nU1,城区供电所,供电,站所,10\nU2,城区派出所,公安,站所,10\nU3,办证窗口,政务,窗口,10\n";

const HEADER: &str = "ballot_id,unit_id,rater_id,rater_group,int1,int2,law1,rater_unit";

/// Clean ballots: (ballot, unit, rater, group, codes).
fn ballots() -> Vec<(String, &'static str, String, &'static str, [&'static str; 3])> {
    let units = ["U1", "U2", "U3"];
    let answers = [["1", "2", "3"], ["2", "2", "1"], ["1", "1", "9"], ["3", "", "2"]];
    let mut v = Vec::new();
    for k in 0..12 {
        v.push((
            format!("B{:02}", k + 1),
            units[k % 3],
            format!("R{k}"),
            if k % 4 == 3 { "npc" } else { "pub" },
            answers[k % 4],
        ));
    }
    v
}

fn ballots_csv() -> String {
    let mut s = format!("{HEADER}\n");
    for (b, u, r, g, a) in ballots() {
        s.push_str(&format!("{b},{u},{r},{g},{},{},{},\n", a[0], a[1], a[2]));
    }
    s
}

const COMPLAINTS: &str = "complaint_id,unit_id,date,category,status,source\n\
    C1,U1,2010-03-05,late,verified,hotline\n\
    C2,U2,2010-11-30,late,verified,letter\n\
    C3,U3,2010-06-01,late,dismissed,hotline\n";

/// A campaign folder.
struct Case {
    dir: tempfile::TempDir,
}

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
        c.write("ballots.csv", ballots_csv());
        c.write("complaints.csv", COMPLAINTS);
        c
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }

    /// `appraise <args>` in the case's folder.
    fn run(&self, args: &[&str], out: &str) -> Run {
        let o = Command::cargo_bin("appraise")
            .expect("binary")
            .current_dir(self.dir.path())
            .args(args)
            .output()
            .expect("run");
        let run = Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            out: self.path(out),
        };
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run
    }

    /// `appraise score` with these roster, ballots and complaints files into `out`.
    fn score(&self, roster: &str, ballots: &str, complaints: Option<&str>, out: &str, more: &[&str]) -> Run {
        let mut args = vec![
            "score",
            "-q",
            "--plan",
            "plan.yaml",
            "--roster",
            roster,
            "--ballots",
            ballots,
        ];
        if let Some(c) = complaints {
            args.extend(["--complaints", c]);
        }
        args.extend(["--out", out]);
        args.extend(more);
        self.run(&args, out)
    }

    fn clean(&self) -> Run {
        let r = self.score("roster.csv", "ballots.csv", Some("complaints.csv"), "clean", &[]);
        r.ok();
        r
    }
}

impl Run {
    fn ok(&self) -> Table {
        assert_eq!(self.code, 0, "expected success:\n{}\n{}", self.stdout, self.stderr);
        Table::parse(&self.file("results.csv"))
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

/// `results.csv` of two runs, cell for cell.
fn same_results(a: &Run, b: &Run) {
    let (x, y) = (a.ok(), b.ok());
    assert_eq!(x.header, y.header);
    for (r, s) in x.rows.iter().zip(&y.rows) {
        assert_eq!(r, s, "results differ");
    }
    assert_eq!(x.rows.len(), y.rows.len());
}

/// A cell of a test workbook.
enum C<'a> {
    S(&'a str),
    N(f64),
    D(u16, u8, u8),
    E,
}

/// Writes a one-sheet workbook.
fn workbook(path: &Path, sheet: &str, rows: &[Vec<C<'_>>]) {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy/m/d");
    let ws = wb.add_worksheet();
    ws.set_name(sheet).expect("name");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                C::S(s) => {
                    ws.write_string(r, c, *s).expect("cell");
                }
                C::N(n) => {
                    ws.write_number(r, c, *n).expect("cell");
                }
                C::D(y, m, d) => {
                    let dt = ExcelDateTime::from_ymd(*y, *m, *d).expect("date");
                    ws.write_datetime_with_format(r, c, &dt, &date).expect("cell");
                }
                C::E => {}
            }
        }
    }
    wb.save(path).expect("save");
}

/// A text cell holding a number becomes a number cell, as Excel stores typed digits.
fn num_or_text(s: &str) -> C<'_> {
    match s.parse::<f64>() {
        Ok(n) => C::N(n),
        Err(_) if s.is_empty() => C::E,
        Err(_) => C::S(s),
    }
}

fn csv_as_workbook(path: &Path, csv: &str) {
    let rows: Vec<Vec<String>> = csv
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let cells: Vec<Vec<C<'_>>> = rows
        .iter()
        .enumerate()
        .map(|(k, r)| {
            r.iter()
                .map(|s| {
                    if k == 0 || s.starts_with('U') || s.starts_with('B') {
                        C::S(s)
                    } else {
                        num_or_text(s)
                    }
                })
                .collect()
        })
        .collect();
    workbook(path, "Sheet1", &cells);
}

#[test]
fn workbooks_with_number_and_date_cells_score_like_csv() {
    let c = Case::new();
    let clean = c.clean();
    // Roster with `issued` as number cells; ballots with codes as number cells
    // (1 is stored as 1.0); complaints with date cells.
    csv_as_workbook(&c.path("roster.xlsx"), ROSTER);
    csv_as_workbook(&c.path("ballots.xlsx"), &ballots_csv());
    let h = ["complaint_id", "unit_id", "date", "category", "status", "source"];
    let mut rows: Vec<Vec<C<'_>>> = vec![h.iter().map(|s| C::S(s)).collect()];
    rows.push(vec![
        C::S("C1"),
        C::S("U1"),
        C::D(2010, 3, 5),
        C::S("late"),
        C::S("verified"),
        C::S("hotline"),
    ]);
    rows.push(vec![
        C::S("C2"),
        C::S("U2"),
        C::N(40512.0),
        C::S("late"),
        C::S("verified"),
        C::S("letter"),
    ]);
    rows.push(vec![
        C::S("C3"),
        C::S("U3"),
        C::S("2010/6/1"),
        C::S("late"),
        C::S("dismissed"),
        C::S("hotline"),
    ]);
    workbook(&c.path("complaints.xlsx"), "投诉", &rows);
    let office = c.score("roster.xlsx", "ballots.xlsx", Some("complaints.xlsx"), "office", &[]);
    same_results(&clean, &office);
    // 40512 is Excel's serial for 2010-11-30: both verified complaints deduct 2.
    let t = office.ok();
    assert_eq!(t.cell("unit_id", "U2", "deduction"), "2");
    // A sheet by name; a sheet that is not there is named with the sheets there are.
    let named = c.score(
        "roster.csv",
        "ballots.csv",
        Some("complaints.xlsx"),
        "named",
        &["--sheet", "投诉"],
    );
    same_results(&clean, &named);
    let missing = c.score(
        "roster.csv",
        "ballots.csv",
        Some("complaints.xlsx"),
        "x",
        &["--sheet", "Sheet9"],
    );
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("Sheet9") && missing.stderr.contains("投诉"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_workbook_reject_names_the_sheet_row_and_no_bytes_are_dumped() {
    let c = Case::new();
    let mut csv = ballots_csv();
    csv.push_str("B99,U1,R99,pub,7,1,1,\n"); // bad code, sheet row 14
    csv_as_workbook(&c.path("ballots.xlsx"), &csv);
    let r = c.score("roster.csv", "ballots.xlsx", Some("complaints.csv"), "out", &[]);
    r.ok();
    let rejects = Table::parse(&r.file("rejects.csv"));
    assert_eq!(rejects.rows.len(), 1);
    assert_eq!(rejects.rows[0][0], "14");
    assert!(rejects.rows[0][3].starts_with("int1=7;"), "{:?}", rejects.rows[0]);
    // A zip that is no workbook, named .csv: a message in words, not its bytes.
    c.write("broken.csv", b"PK\x03\x04\x14\x00\x00\x00garbage\x00\x01\x02");
    let r = c.score("roster.csv", "broken.csv", None, "broken", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("broken.csv") && !r.stderr.contains("garbage"),
        "{}",
        r.stderr
    );
}

#[test]
fn labels_everyday_dates_chinese_statuses_and_short_rows_score_like_ids() {
    let c = Case::new();
    let clean = c.clean();
    // Groups by label (zh and en), answers by label, one full-width code, rows
    // short of the trailing rater_unit.
    let mut s = format!("{HEADER}\n");
    for (k, (b, u, r, g, a)) in ballots().into_iter().enumerate() {
        let g = match (g, k % 2) {
            ("pub", 0) => "群众代表",
            ("pub", _) => "public",
            _ => "人大代表",
        };
        let label = |x: &str| match x {
            "1" => "满意".to_string(),
            "2" => "基本满意".to_string(),
            "3" => "３".to_string(),
            other => other.to_string(),
        };
        s.push_str(&format!("{b},{u},{r},{g},{},{},{}\n", label(a[0]), label(a[1]), a[2]));
    }
    c.write("labels.csv", s);
    c.write(
        "complaints-office.csv",
        "complaint_id,unit_id,date,category,status,source\n\
         C1,U1,2010/3/5,办事拖拉,已核实\n\
         C2,U2,2010年11月30日,late,属实,letter\n\
         C3,U3,2010.6.1,办事拖拉,不属实\n",
    );
    let office = c.score("roster.csv", "labels.csv", Some("complaints-office.csv"), "office", &[]);
    same_results(&clean, &office);
    assert_eq!(Table::parse(&office.file("rejects.csv")).rows.len(), 0);
    assert_eq!(Table::parse(&office.file("complaint_rejects.csv")).rows.len(), 0);
}

#[test]
fn an_ambiguous_date_is_refused_saying_which_form_to_use() {
    let c = Case::new();
    c.write(
        "complaints.csv",
        "complaint_id,unit_id,date,category,status\nC1,U1,5/3/2010,late,verified\n",
    );
    let r = c.score("roster.csv", "ballots.csv", Some("complaints.csv"), "out", &[]);
    r.ok();
    let rej = Table::parse(&r.file("complaint_rejects.csv"));
    assert_eq!(rej.rows[0][2], "bad_date");
    assert!(rej.rows[0][3].contains("ambiguous") && rej.rows[0][3].contains("YYYY-MM-DD"));
    // It was verified: the attention list says so.
    assert!(r.stderr.contains("complaint C1"), "{}", r.stderr);
}

#[test]
fn a_lost_veto_is_spoken_of_on_stderr_in_the_report_and_in_json() {
    let c = Case::new();
    c.write(
        "complaints.csv",
        "complaint_id,unit_id,date,category,status\nV1,城区供电所,2010-03-05,bribe,verified\n",
    );
    let r = c.score("roster.csv", "ballots.csv", Some("complaints.csv"), "out", &[]);
    let t = r.ok();
    assert_eq!(t.cell("unit_id", "U1", "status"), "ranked", "the veto was lost");
    assert!(
        r.stderr.contains("attention") && r.stderr.contains("complaint V1"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("is the name of unit U1"), "{}", r.stderr);
    let report = r.file("report.md");
    // The plan is Chinese: 需要关注 (attention) comes before 票数核对 (accounting).
    let at = report.find("## 需要关注").expect("attention in the report");
    assert!(at < report.find("## 票数核对").expect("accounting"));
    // In Chinese: 投诉 V1 被退回（unknown_unit，第 2 行）…本应计入.
    assert!(report.contains("投诉 V1 被退回（"), "{report}");
    assert!(report.contains("该投诉本应计入（已查实或属一票否决类）"), "{report}");
    let json: serde_json::Value = serde_json::from_str(&r.file("results.json")).expect("json");
    assert_eq!(json["attention"][0]["kind"], "complaint_rejected");
    assert_eq!(json["attention"][0]["subject"], "complaint V1");
}

#[test]
fn no_complaints_file_and_units_without_ballots_are_spoken_of() {
    let c = Case::new();
    c.write("roster.csv", format!("{ROSTER}U4,新设窗口,政务,窗口,\n"));
    let r = c.score("roster.csv", "ballots.csv", None, "out", &[]);
    r.ok();
    assert!(r.stderr.contains("no complaints file"), "{}", r.stderr);
    assert!(r.stderr.contains("unit U4"), "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.file("results.json")).expect("json");
    let kinds: Vec<&str> = json["attention"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["no_complaints_file", "unit_without_ballots"]);
    // The plan speaks Chinese: the report says both in Chinese; results.json keeps
    // the English line beside the Chinese one.
    let report = r.file("report.md");
    assert!(
        report.contains("单位 U4（新设窗口）没有任何测评票记录：请核对其测评票是否已录入"),
        "{report}"
    );
    assert!(
        report.contains("但未提供投诉文件（--complaints）：未作任何扣分、加分或一票否决"),
        "{report}"
    );
    assert!(!report.contains("has no ballot row at all"), "{report}");
    assert_eq!(
        json["attention"][1]["message"],
        "新设窗口 has no ballot row at all; check that its ballots were entered"
    );
    assert_eq!(
        json["attention"][1]["message_zh"],
        "单位 U4（新设窗口）没有任何测评票记录：请核对其测评票是否已录入"
    );
}

#[test]
fn a_mostly_rejected_batch_fails_unless_accepted() {
    let c = Case::new();
    // 12 ballots, 7 with a lower-case group id that is nobody's label: 7/12 > 1/2.
    let s: String = ballots_csv()
        .lines()
        .enumerate()
        .map(|(k, l)| if (1..=7).contains(&k) { l.replacen(",pub,", ",PUB,", 1).replacen(",npc,", ",PUB,", 1) } else { l.to_string() } + "\n")
        .collect();
    c.write("ballots.csv", s);
    let r = c.score("roster.csv", "ballots.csv", Some("complaints.csv"), "out", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("7 of 12") && r.stderr.contains("unknown_group"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("only in case"), "the hint: {}", r.stderr);
    assert!(!c.path("out").exists(), "nothing written");
    let r = c.score(
        "roster.csv",
        "ballots.csv",
        Some("complaints.csv"),
        "out",
        &["--accept-rejects"],
    );
    r.ok();
    assert!(
        r.stderr.contains("7 of 12 ballot rows rejected as unknown_group"),
        "{}",
        r.stderr
    );
}

#[test]
fn validate_is_a_dry_run_with_the_attention_list() {
    let c = Case::new();
    let args = [
        "validate",
        "--plan",
        "plan.yaml",
        "--roster",
        "roster.csv",
        "--ballots",
        "ballots.csv",
    ];
    let mut clean = args.to_vec();
    clean.extend(["--complaints", "complaints.csv"]);
    let r = c.run(&clean, "none");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("收回测评票 12 = 有效票 12 + 无效票 0"),
        "{}",
        r.stdout
    );
    // Without complaints: the plan's categories cannot apply.
    let r = c.run(&args, "none");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no complaints file"), "{}", r.stderr);
    let names: Vec<_> = std::fs::read_dir(c.dir.path())
        .expect("dir")
        .map(|e| e.expect("e").file_name())
        .collect();
    assert_eq!(names.len(), 5, "validate wrote nothing: {names:?}");
}

#[test]
fn previous_results_are_ordered_by_period_and_checked() {
    let c = Case::new();
    c.write(
        "plan.yaml",
        plan_yaml("ranking: {top_n: 1, bottom_n: 1, consecutive: {periods: 3, side: bottom}}\n"),
    );
    let month = |m: &str, out: &str, prev: &[&str]| {
        let mut more = vec!["--period", m];
        for p in prev {
            more.extend(["--previous", p]);
        }
        c.score("roster.csv", "ballots.csv", Some("complaints.csv"), out, &more)
    };
    month("2010-01", "jan", &[]).ok();
    month("2010-02", "feb", &[]).ok();
    let a = month("2010-03", "mar-a", &["jan/results.csv", "feb/results.csv"]);
    let b = month("2010-03", "mar-b", &["feb/results.csv", "jan/results.csv"]);
    same_results(&a, &b);
    let t = a.ok();
    assert_eq!(t.values("period_start"), ["2010-03-01"; 3]);
    assert!(t.values("consecutive").contains(&"true"));
    // This month's own results as "previous": refused by name.
    let r = month("2010-02", "feb2", &["feb/results.csv", "jan/results.csv"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("feb/results.csv") && r.stderr.contains("not wholly before"),
        "{}",
        r.stderr
    );
    // A file of another campaign (no unit in common).
    let other = std::fs::read_to_string(c.path("jan/results.csv"))
        .expect("jan")
        .replace("U1,", "X1,")
        .replace("U2,", "X2,")
        .replace("U3,", "X3,");
    c.write("other.csv", other);
    let r = month("2010-03", "mar-c", &["other.csv", "feb/results.csv"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("other.csv") && r.stderr.contains("shares no unit"),
        "{}",
        r.stderr
    );
}

#[test]
fn results_xlsx_is_written_deterministically_and_outputs_are_readable_by_colleagues() {
    let c = Case::new();
    let run = |out: &str| {
        let cmd = format!(
            "umask 022 && exec {} score -q --plan plan.yaml --roster roster.csv --ballots ballots.csv --complaints complaints.csv --out {out}",
            assert_cmd::cargo::cargo_bin("appraise").display()
        );
        let o = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(c.dir.path())
            .output()
            .expect("sh");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run("a");
    run("b");
    let (x, y) = (
        std::fs::read(c.path("a/results.xlsx")).expect("xlsx"),
        std::fs::read(c.path("b/results.xlsx")).expect("xlsx"),
    );
    assert_eq!(x, y, "results.xlsx is byte-identical across runs");
    #[cfg(unix)]
    for e in std::fs::read_dir(c.path("a")).expect("dir") {
        use std::os::unix::fs::PermissionsExt;
        let e = e.expect("entry");
        let mode = e.metadata().expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{:?}", e.file_name());
    }
    // The workbook reads back: unit id and name first, Chinese headers, numbers.
    let sheet = appraise::input::sheet::read_sheet(&c.path("a/results.xlsx"), None).expect("read");
    assert_eq!(sheet.rows[0].cells[..3], ["单位编号", "单位", "部门"]);
    let csv = Table::parse(&std::fs::read_to_string(c.path("a/results.csv")).expect("csv"));
    for row in &sheet.rows[1..] {
        let id = &row.cells[0];
        assert_eq!(row.cells[1], csv.cell("unit_id", id, "name"));
        assert_eq!(row.cells[4], csv.cell("unit_id", id, "rank"));
    }
    // results.csv stays plain UTF-8 without a byte-order mark, for machines.
    assert!(
        !std::fs::read(c.path("a/results.csv"))
            .expect("csv")
            .starts_with(b"\xEF\xBB\xBF")
    );
}

#[test]
fn fullwidth_punctuation_in_yaml_is_named_with_line_column_and_ascii() {
    let c = Case::new();
    c.write("plan.yaml", plan_yaml("").replacen("id: office", "id：office", 1));
    let r = c.run(&["validate", "--plan", "plan.yaml"], "none");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("line 1, column 3") && r.stderr.contains("'：'") && r.stderr.contains("ASCII ':'"),
        "{}",
        r.stderr
    );
}

#[test]
fn shared_labels_are_a_validation_error_naming_both() {
    let c = Case::new();
    c.write(
        "plan.yaml",
        plan_yaml("").replace("{id: npc, zh: 人大代表}", "{id: npc, zh: 群众代表}"),
    );
    let r = c.run(&["validate", "--plan", "plan.yaml"], "none");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("`pub` and `npc`") && r.stderr.contains("群众代表"),
        "{}",
        r.stderr
    );
}
