//! SPEC §14 by hand: score components, service tickets (按期办结率) with
//! working-day deadlines, rectifications (整改率), the commitments ledger
//! (践诺率), assessments, their rejects, and the command line on the shipped
//! 窗口好差评 campaign.

use std::path::Path;

use appraise::campaign::{self, LedgerSources, Options};
use appraise::score::outcome::Outcome;
use appraise::{Encoding, Plan, Roster, Source, Survey, output};

use crate::{Table, manifest_dir};

/// One item `q`; option 1 scores 100, 2 scores 0, 3 scores 80 (1 and 3 satisfied).
/// With one ballot per unit the composite is the option's score.
const SURVEY: &str = "id: s\nversion: 1\nscales:\n  p:\n    options:\n      - {code: \"1\", score: 100, satisfied: true}\n      - {code: \"2\", score: 0}\n      - {code: \"3\", score: 80, satisfied: true}\ndimensions:\n  - {id: d}\nitems:\n  - {id: q, dimension: d, scale: p, zh: 问}\n";

const HEAD: &str = "id: p\nsurvey: s.yaml\nperiod: {start: 2026-09-01, end: 2026-10-31}\ngroups: [{id: pub, public: true}]\npanel: {min_public_share: 0, min_valid_ballots: 1}\n";

const RULES: &str = "tickets:\n  days: working\n  deadlines:\n    - {kind: ordinary, zh: 一般, days: 3}\n    - {kind: major, days: 7}\nrectifications: {days: calendar, deadline: 5}\ncommitments: {}\n";

const COMPONENTS: &str = "components:\n  - {id: survey, weight: 0.5}\n  - {id: tickets, weight: 0.2}\n  - {id: commitments, weight: 0.1}\n  - {id: mystery, zh: 暗访, weight: 0.2}\n";

const ROSTER: &str = "unit_id,name,department,kind\nU1,一所,甲,站所\nU2,二所,甲,站所\nU3,三所,乙,站所\n";

/// U1: scores 100 and 0 (composite 50, se 50); U2: 80; U3: 100.
const BALLOTS: &str =
    "ballot_id,unit_id,rater_id,rater_group,q\nB1,U1,R1,pub,1\nB2,U1,R2,pub,2\nB3,U2,R3,pub,3\nB4,U3,R4,pub,1\n";

/// National Day 2026: Thu 10-01 … Wed 10-07 off (10-03/04 are a weekend anyway),
/// Saturday 10-10 a 补班 working day.
const HOLIDAYS: &str = "# 国庆\n2026-10-01\n2026-10-02\n2026-10-05\n2026-10-06\n2026-10-07\n2026-10-10,workday\n";

const TICKETS: &str = "\
ticket_id,unit_id,received,closed,kind
T1,U1,2026-09-30,2026-10-10,ordinary
T2,U1,2026-09-30,2026-10-12,ordinary
T3,U1,2026-10-28,,major
T4,U1,2026-10-20,,ordinary
T5,U1,2026-08-31,2026-09-01,ordinary
T6,U1,2026-10-27,2026-11-02,ordinary
T7,U1,2026-10-29,2026-10-30,major
T8,U2,2026-10-12,2026-10-14,一般
T9,U9,2026-10-12,2026-10-14,ordinary
T10,U2,2026/10/12,2026-10-11,ordinary
T8,U2,2026-10-12,2026-10-14,ordinary
,U2,2026-10-12,2026-10-14,ordinary
T11,U2,2026-10-12,2026-10-14,urgent
T12,U2,10/12/2026,,ordinary
";

const RECTIFICATIONS: &str = "\
rating_id,unit_id,opened,closed
R1,U1,2026-10-01,2026-10-06
R2,U1,2026-10-01,2026-10-08
";

const COMMITMENTS: &str = "\
commitment_id,unit_id,text,due,done
C1,U1,公开办事指南,2026-10-15,2026-10-15
C2,U1,开通网上预约,2026-10-20,
C3,U1,压缩办理时限,2026-12-31,
C4,U1,设立便民窗口,2026-08-01,2026-07-01
C5,U2,公开收费标准,2026-10-01,2026-09-20
C6,U3,首问负责制,2026-10-01,2026-10-02
";

const ASSESSMENTS: &str = "\
unit_id,component,score
U1,mystery,90
U2,暗访,70
U3,mystery,60
U9,mystery,50
U1,self,80
U3,mystery,abc
U2,mystery,75
";

fn plan(extra: &str) -> Plan {
    let survey = Survey::from_yaml(SURVEY, Path::new("s.yaml")).expect("survey");
    Plan::from_yaml(&format!("{HEAD}{extra}"), Path::new("p.yaml"), survey).unwrap_or_else(|e| panic!("plan: {e}"))
}

fn roster() -> Roster {
    Roster::read_from(&Source::text("roster.csv", ROSTER), Encoding::Utf8).expect("roster")
}

/// The ledgers (no assessments: only a plan with an external component takes them).
fn sources() -> LedgerSources {
    LedgerSources {
        tickets: Some(Source::text("tickets.csv", TICKETS)),
        rectifications: Some(Source::text("rectifications.csv", RECTIFICATIONS)),
        commitments: Some(Source::text("commitments.csv", COMMITMENTS)),
        assessments: None,
        holidays: Some(Source::text("holidays.txt", HOLIDAYS)),
    }
}

/// The ledgers and the assessments.
fn all_sources() -> LedgerSources {
    LedgerSources {
        assessments: Some(Source::text("assessments.csv", ASSESSMENTS)),
        ..sources()
    }
}

fn run(plan: &Plan, ledgers: LedgerSources) -> appraise::Result<Outcome> {
    campaign::run(
        plan,
        &roster(),
        &[Source::text("ballots.csv", BALLOTS)],
        None,
        &Options {
            ledgers,
            ..Options::default()
        },
        &mut |_| {},
    )
}

fn file(plan: &Plan, outcome: &Outcome, name: &str) -> Table {
    let files = output::render_all(plan, &roster(), outcome).expect("render");
    let (_, bytes) = files
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no {name}"));
    Table::from_bytes(bytes)
}

#[test]
fn tickets_are_judged_at_the_end_of_the_period_in_working_days() {
    let p = plan(RULES);
    let o = run(&p, sources()).expect("run");
    let t = o.ledgers.tickets.as_ref().expect("tickets read");
    let u1 = t.units[0];
    // T1: received Wed 09-30, 3 working days: 10-01/02 holidays, 10-03/04 weekend,
    //     10-05..07 holidays, Thu 10-08 (1), Fri 10-09 (2), Sat 10-10 补班 (3):
    //     due 10-10, closed 10-10 → on time.
    // T2: same due day, closed Mon 10-12 → late by 2 days.
    // T3: received Wed 10-28, major 7 working days → due after 10-31, open → not due.
    // T4: received Tue 10-20 → due Fri 10-23, open at 10-31 → overdue, 9 days
    //     (10-23 to 11-01, the day after the period's end).
    // T5: received 08-31, before the period → out of period.
    // T6: received Tue 10-27 → due Fri 10-30; closed 11-02, after the period's
    //     end, so open at the reference day → overdue, 2 days.
    // T7: received Thu 10-29, major → due in November; closed 10-30 → on time
    //     (a closed matter is in the denominator even before its due day).
    // due = T1 T2 T4 T6 T7 = 5; on time 2; late 1; open overdue 2; not due 1.
    assert_eq!(
        (
            u1.due,
            u1.on_time,
            u1.late,
            u1.open_overdue,
            u1.open_not_due,
            u1.out_of_period,
            u1.read
        ),
        (5, 2, 1, 2, 1, 1, 7)
    );
    let overdue: Vec<(&str, &str, String, i64)> = t
        .overdue
        .iter()
        .map(|e| (e.id.as_str(), e.state.code(), e.due.to_string(), e.days_over))
        .collect();
    assert_eq!(
        overdue,
        [
            ("T2", "late", "2026-10-10".to_string(), 2),
            ("T4", "open_overdue", "2026-10-23".to_string(), 9),
            ("T6", "open_overdue", "2026-10-30".to_string(), 2),
        ]
    );
    // T8 is written with the kind's Chinese label 一般: counted for U2.
    assert_eq!((t.units[1].due, t.units[1].on_time), (1, 1));
    // Rejects in file order, one per reason.
    let rejects: Vec<(u64, &str, &str)> = o
        .ledgers
        .rejects
        .iter()
        .filter(|r| r.file.code() == "tickets")
        .map(|r| (r.line, r.id.as_str(), r.reason.code()))
        .collect();
    assert_eq!(
        rejects,
        [
            (10, "T9", "unknown_unit"),
            (11, "T10", "closed_before_opened"),
            (12, "T8", "duplicate"),
            (13, "", "missing_id"),
            (14, "T11", "unknown_kind"),
            (15, "T12", "bad_date"),
        ]
    );
    // Rows read = counted + rejected: 14 = 8 + 6.
    assert_eq!(t.rows, 14);
    assert_eq!(t.units.iter().map(|c| c.read).sum::<u64>() + 6, t.rows);
}

#[test]
fn the_rate_carries_a_wilson_interval() {
    let p = plan(RULES);
    let o = run(&p, sources()).expect("run");
    let results = file(&p, &o, "results.csv");
    // U1: 2 on time of 5 due: rate 0.4. Wilson, z = 1.959963984540054, z² =
    // 3.841458820694124: centre = (0.4 + z²/10)/(1 + z²/5) = 0.78414588/1.76829176
    // = 0.44344825; half = z·√(0.4·0.6/5 + z²/100)/(1 + z²/5) = 1.95996·√0.08641459
    // /1.76829176 = 0.32582748; interval 0.11762077 – 0.76927572.
    let cell = |c: &str| results.cell("unit_id", "U1", c).parse::<f64>().unwrap();
    assert_eq!(cell("tickets_rate"), 0.4);
    assert!((cell("tickets_rate_lo") - 0.11762077423264783).abs() < 1e-12);
    assert!((cell("tickets_rate_hi") - 0.769275718723987).abs() < 1e-12);
    assert_eq!(results.cell("unit_id", "U1", "tickets_due"), "5");
    // U3 has no ticket: empty rate, counts 0.
    assert_eq!(results.cell("unit_id", "U3", "tickets_rate"), "");
    assert_eq!(results.cell("unit_id", "U3", "tickets_due"), "0");
    // Rectifications, 5 calendar days: R1 opened 10-01 due 10-06 closed 10-06 on
    // time; R2 closed 10-08, late. 整改率 1/2; Wilson(1, 2) = 0.0945312 – 0.9054688.
    assert_eq!(results.cell("unit_id", "U1", "rectifications_rate"), "0.5");
    let lo: f64 = results.cell("unit_id", "U1", "rectifications_rate_lo").parse().unwrap();
    assert!((lo - 0.09453120573423074).abs() < 1e-12);
    // Commitments: C1 done on its due day (kept), C2 open past 10-20 (overdue),
    // C3 due after the period (outside), C4 due before it (outside): 践诺率 1/2.
    assert_eq!(results.cell("unit_id", "U1", "commitments_rate"), "0.5");
    assert_eq!(results.cell("unit_id", "U3", "commitments_rate"), "0");
    // Without `components:` the final score is the composite, as before.
    assert_eq!(results.cell("unit_id", "U1", "final"), "50");
    assert!(!results.header.iter().any(|h| h.starts_with("component_")));
    // ledger.csv lists the late and overdue matters; ledger_rejects.csv the rejects.
    let ledger = file(&p, &o, "ledger.csv");
    let ids: Vec<&str> = ledger.values("id");
    assert_eq!(ids, ["T2", "T4", "T6", "R2", "C2", "C6"]);
    let rejects = file(&p, &o, "ledger_rejects.csv");
    assert_eq!(
        rejects.values("reason"),
        [
            "unknown_unit",
            "closed_before_opened",
            "duplicate",
            "missing_id",
            "unknown_kind",
            "bad_date",
        ]
    );
    // The rejects are said in the attention list, one entry per file.
    let said: Vec<&str> = o.attention.iter().map(|a| a.kind.code()).collect();
    assert_eq!(said.iter().filter(|k| **k == "ledger_rejected").count(), 1, "{said:?}");
}

#[test]
fn components_weigh_the_final_score_and_scale_the_survey_error() {
    let p = plan(&format!("{RULES}{COMPONENTS}"));
    let o = run(&p, all_sources()).expect("run");
    let results = file(&p, &o, "results.csv");
    let f = |u: &str, c: &str| results.cell("unit_id", u, c).parse::<f64>().unwrap();
    // U1: survey 50, tickets 100·2/5 = 40, commitments 100·1/2 = 50, mystery 90:
    // F = 0.5·50 + 0.2·40 + 0.1·50 + 0.2·90 = 25 + 8 + 5 + 18 = 56.
    assert!((f("U1", "final") - 56.0).abs() < 1e-9);
    assert_eq!(f("U1", "component_tickets"), 40.0);
    // U2: survey 80, tickets 100, commitments 100, mystery 70 (written 暗访):
    // F = 40 + 20 + 10 + 14 = 84.
    assert!((f("U2", "final") - 84.0).abs() < 1e-9);
    // U3 has no ticket due: no tickets component, so incomplete, no final score.
    assert_eq!(results.cell("unit_id", "U3", "status"), "incomplete");
    assert_eq!(results.cell("unit_id", "U3", "final"), "");
    assert!(results.cell("unit_id", "U3", "note").contains("tickets"));
    assert_eq!(results.cell("unit_id", "U1", "rank"), "2");
    assert_eq!(results.cell("unit_id", "U2", "rank"), "1");
    // se: U1's two ballots score 100 and 0, mean 50, z_b = ±50/2 = ±25,
    // V = 2/1·(625 + 625) = 2500, se_C = 50; se_F = w_survey·se_C = 0.5·50 = 25.
    assert_eq!(f("U1", "composite_se"), 50.0);
    assert_eq!(f("U1", "final_se"), 25.0);
    // The final interval is the composite's carried through the sum:
    // lo_F = 0.5·lo_C + (8 + 5 + 18).
    let lo_c = f("U1", "composite_lo");
    assert!((f("U1", "final_lo") - (0.5 * lo_c + 31.0)).abs() < 1e-9);
    // U2 has one ballot: no se, so none for F either.
    assert_eq!(results.cell("unit_id", "U2", "final_se"), "");
    // The rank sets use se_F: U1 (se 25) and U2 (se 0) differ by 28 < 1.96·25,
    // so each set spans both ranks.
    assert_eq!((f("U1", "rank_lo"), f("U1", "rank_hi")), (1.0, 2.0));
    // Assessments: U9 is no unit, `self` no component of the plan, `abc` no
    // score, and U2's second `mystery` row a duplicate of its 暗访 row.
    let rejects: Vec<(&str, &str)> = o
        .ledgers
        .rejects
        .iter()
        .filter(|r| r.file.code() == "assessments")
        .map(|r| (r.id.as_str(), r.reason.code()))
        .collect();
    assert_eq!(
        rejects,
        [
            ("U9/mystery", "unknown_unit"),
            ("U1/self", "unknown_component"),
            ("U3/mystery", "bad_score"),
            ("U2/mystery", "duplicate"),
        ]
    );
    // report.md carries the section in the plan's language.
    let files = output::render_all(&p, &roster(), &o).unwrap();
    let md = String::from_utf8(files.iter().find(|(n, _)| *n == "report.md").unwrap().1.clone()).unwrap();
    assert!(md.contains("## 得分构成") || md.contains("## Score components"), "{md}");
}

#[test]
fn a_plan_refuses_weights_that_do_not_add_up_and_components_without_rules() {
    let survey = Survey::from_yaml(SURVEY, Path::new("s.yaml")).unwrap();
    let bad = format!("{HEAD}components:\n  - {{id: survey, weight: 0.5}}\n  - {{id: mystery, weight: 0.4}}\n");
    let e = Plan::from_yaml(&bad, Path::new("p.yaml"), survey.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("components") && e.contains("add up to 0.9"), "{e}");
    let bad = format!("{HEAD}components:\n  - {{id: survey, weight: 0.5}}\n  - {{id: tickets, weight: 0.5}}\n");
    let e = Plan::from_yaml(&bad, Path::new("p.yaml"), survey.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("components[1].id") && e.contains("tickets:"), "{e}");
    let bad = format!("{HEAD}components:\n  - {{id: mystery, weight: 1}}\n");
    let e = Plan::from_yaml(&bad, Path::new("p.yaml"), survey.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("survey"), "{e}");
    // 1/3 three times is within the tolerance (1e-6) only when written closely.
    let ok = format!(
        "{HEAD}components:\n  - {{id: survey, weight: 0.3333334}}\n  - {{id: a, weight: 0.3333333}}\n  - {{id: b, weight: 0.3333333}}\n"
    );
    assert!(Plan::from_yaml(&ok, Path::new("p.yaml"), survey).is_ok());
}

#[test]
fn a_missing_file_is_an_error_naming_its_flag() {
    let p = plan(&format!("{RULES}{COMPONENTS}"));
    let e = run(
        &p,
        LedgerSources {
            tickets: None,
            ..all_sources()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("--tickets"), "{e}");
    let e = run(
        &p,
        LedgerSources {
            holidays: None,
            ..all_sources()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("--holidays"), "{e}");
    // A file for a rule the plan does not have is refused, naming the flag.
    let e = run(&plan(""), all_sources()).unwrap_err().to_string();
    assert!(e.contains("--tickets") && e.contains("--assessments"), "{e}");
    // A reported ledger without its file (not a component) is said, not an error.
    let p = plan(RULES);
    let o = run(
        &p,
        LedgerSources {
            rectifications: None,
            ..sources()
        },
    )
    .expect("run");
    assert!(o.attention.iter().any(|a| a.kind.code() == "no_ledger_file"));
}

#[test]
fn typed_records_judge_like_the_files() {
    use appraise::judge::ledgers::{LedgerRecords, Ledgers, Ticket};
    use appraise::rules::calendar::Calendar;
    let p = plan(RULES);
    let cal = Calendar::parse(HOLIDAYS, Path::new("h.txt")).unwrap();
    let t = |id: &str, rec: &str, closed: &str| Ticket {
        ticket_id: id.into(),
        unit_id: "U1".into(),
        received: rec.into(),
        closed: closed.into(),
        kind: "ordinary".into(),
    };
    let records = LedgerRecords {
        tickets: Some(vec![
            t("T1", "2026-09-30", "2026-10-10"),
            t("T2", "2026-09-30", "2026-10-12"),
        ]),
        ..Default::default()
    };
    let l = Ledgers::from_records(&records, &cal, &p, &roster());
    let u1 = l.tickets.unwrap().units[0];
    assert_eq!((u1.due, u1.on_time, u1.late), (2, 1, 1));
}

#[test]
fn the_command_scores_the_window_campaign_with_its_ledgers() {
    let root = manifest_dir();
    let dir = std::env::temp_dir().join(format!("appraise-ledgers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ex = root.join("surveys/examples");
    let plan = root.join("surveys/chuangkou-haochaping.plan.yaml");
    let roster = ex.join("chuangkou-haochaping.roster.csv");
    let bin = env!("CARGO_BIN_EXE_appraise");
    let sim = std::process::Command::new(bin)
        .args(["simulate", "--plan"])
        .arg(&plan)
        .arg("--roster")
        .arg(&roster)
        .arg("--out")
        .arg(dir.join("in"))
        .args(["--seed", "7"])
        .output()
        .unwrap();
    assert!(sim.status.success(), "{}", String::from_utf8_lossy(&sim.stderr));
    let score = |extra: &[&str]| {
        let mut c = std::process::Command::new(bin);
        c.args(["score", "-q", "--plan"])
            .arg(&plan)
            .arg("--roster")
            .arg(&roster)
            .arg("--ballots")
            .arg(dir.join("in/ballots.csv"))
            .arg("--out")
            .arg(dir.join("out"));
        for a in extra {
            c.arg(if a.starts_with("--") {
                std::ffi::OsString::from(a)
            } else {
                ex.join(a).into_os_string()
            });
        }
        c.output().unwrap()
    };
    // The plan weighs 按期办结率: without --tickets the run fails naming the flag.
    let o = score(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--tickets"));
    assert!(!dir.join("out/results.csv").exists(), "nothing written");
    let o = score(&[
        "--tickets",
        "chuangkou-haochaping/tickets.csv",
        "--holidays",
        "chuangkou-haochaping/holidays.txt",
        "--rectifications",
        "chuangkou-haochaping/rectifications.csv",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    // 206 rows = 200 counted + 6 planted faults (one per reason).
    assert!(out.contains("206 rows = 200 counted + 6 rejected"), "{out}");
    let rejects = Table::parse(&std::fs::read_to_string(dir.join("out/ledger_rejects.csv")).unwrap());
    assert_eq!(rejects.rows.len(), 7);
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    assert!(html.contains("按期办结率"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_collector_with_ledgers_matches_the_run_and_survives_save_and_load() {
    use std::sync::Arc;

    use appraise::collector::Collector;
    use appraise::judge::ledgers::Ledgers;
    let p = plan(&format!("{RULES}{COMPONENTS}"));
    let r = roster();
    let whole = run(&p, all_sources()).expect("run");
    let ledgers = Ledgers::load(&all_sources(), Encoding::Utf8, &p, &r).expect("ledgers");
    let (pa, ra) = (Arc::new(p.clone()), Arc::new(r.clone()));
    let mut c = Collector::new(pa.clone(), ra.clone()).expect("collector");
    c.push_file(&Source::text("ballots.csv", BALLOTS), Encoding::Utf8)
        .expect("push");
    c.set_ledgers(ledgers);
    let bytes = |o: &Outcome| {
        let files = output::render_all(&p, &r, o).unwrap();
        files
            .into_iter()
            .filter(|(n, _)| ["results.csv", "ledger.csv", "ledger_rejects.csv"].contains(n))
            .collect::<Vec<_>>()
    };
    let from_collector = c.outcome().expect("outcome");
    assert_eq!(bytes(&whole), bytes(&from_collector));
    let dir = tempfile::tempdir().expect("tempdir");
    c.save(dir.path()).expect("save");
    let back = Collector::load(pa, ra, dir.path()).expect("load");
    assert_eq!(bytes(&whole), bytes(&back.outcome().expect("outcome")));
}

#[test]
fn chinese_headers_are_read_and_a_missing_column_is_named() {
    let p = plan(RULES);
    let zh = "工单编号,单位编号,受理日期,办结日期,类别\nT1,U1,2026年9月30日,2026年10月10日,一般\n";
    let o = run(
        &p,
        LedgerSources {
            tickets: Some(Source::text("工单.csv", zh)),
            ..sources()
        },
    )
    .expect("run");
    // Received 9月30日, due 10-10 (see above), closed that day: on time.
    assert_eq!(o.ledgers.tickets.as_ref().unwrap().units[0].on_time, 1);
    let bad = "ticket_id,unit_id,received\nT1,U1,2026-09-30\n";
    let e = run(
        &p,
        LedgerSources {
            tickets: Some(Source::text("t.csv", bad)),
            ..sources()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("t.csv") && e.contains("`closed`") && e.contains("办结日期"),
        "{e}"
    );
}

#[test]
fn a_tickets_workbook_with_date_cells_judges_like_its_csv() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("工单.xlsx");
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy/m/d");
    let ws = wb.add_worksheet();
    for (c, h) in ["ticket_id", "unit_id", "received", "closed", "kind"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // The CSV's T1 and T2 as date cells; T2's id a number cell.
    let d = |y, m, dd| ExcelDateTime::from_ymd(y, m, dd).unwrap();
    ws.write_string(1, 0, "T1").unwrap();
    ws.write_string(1, 1, "U1").unwrap();
    ws.write_datetime_with_format(1, 2, d(2026, 9, 30), &date).unwrap();
    ws.write_datetime_with_format(1, 3, d(2026, 10, 10), &date).unwrap();
    ws.write_string(1, 4, "ordinary").unwrap();
    ws.write_number(2, 0, 2.0).unwrap();
    ws.write_string(2, 1, "U1").unwrap();
    ws.write_datetime_with_format(2, 2, d(2026, 9, 30), &date).unwrap();
    ws.write_datetime_with_format(2, 3, d(2026, 10, 12), &date).unwrap();
    ws.write_string(2, 4, "ordinary").unwrap();
    wb.save(&path).unwrap();
    let p = plan(RULES);
    let o = run(
        &p,
        LedgerSources {
            tickets: Some(Source::file(&path)),
            ..sources()
        },
    )
    .expect("run");
    // T1 on time (due 10-10), T2 late: as in the CSV.
    let u1 = o.ledgers.tickets.as_ref().unwrap().units[0];
    assert_eq!((u1.due, u1.on_time, u1.late), (2, 1, 1));
    assert_eq!(o.ledgers.tickets.as_ref().unwrap().overdue[0].id, "2");
}

/// `write_all` streams `report.html` (the ledgers' section and its navigation
/// link placed while writing) and `rejects.csv`: every file it writes is the
/// file `render_all` renders, for a plan with components.
#[test]
fn the_streamed_report_with_ledgers_is_the_rendered_one() {
    let p = plan(&format!("{RULES}{COMPONENTS}"));
    let o = run(&p, all_sources()).expect("run");
    let files = output::render_all(&p, &roster(), &o).expect("render");
    let html = String::from_utf8(files.iter().find(|(n, _)| *n == "report.html").unwrap().1.clone()).unwrap();
    assert!(
        html.contains("<a href=\"#ledgers\">"),
        "the navigation names the ledgers"
    );
    assert!(
        html.find("id=\"ledgers\"") < html.find("<section id=\"methods\""),
        "the ledgers' section comes before the methods'"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let written = output::write_all(dir.path(), &p, &roster(), &o).expect("write");
    assert_eq!(written.len(), files.len());
    for ((name, bytes), path) in files.iter().zip(&written) {
        assert!(path.ends_with(name), "{name} listed in render_all's order");
        assert!(
            std::fs::read(path).expect("read") == *bytes,
            "{name}: written as rendered"
        );
    }
}
