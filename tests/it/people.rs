//! SPEC §15: staff points (驾照扣分制), self-assessment (自查自评), title review
//! (摘牌) and awards by kind — hand-computed small campaigns, the shipped plans end
//! to end with their example files, and the command line.

use std::collections::BTreeMap;
use std::path::Path;

use appraise::campaign::{self, Options, PeopleFiles};
use appraise::score::outcome::Outcome;
use appraise::simulate::{self, SimConfig};
use appraise::{Encoding, ErrorKind, Plan, Roster, Source, Survey, output};

use crate::{Table, manifest_dir};

/// One item `q` in dimension `d`; option codes are their scores (100, 80, 60,
/// 40, 30, 20, 0; 100, 80 and 60 satisfied), so with one ballot per unit the
/// composite is the code.
const SURVEY: &str = "id: one\nversion: 1\ntitle: {zh: 测评表, en: test}\nscales:\n  pts:\n    options:\n      - {code: \"100\", score: 100, satisfied: true}\n      - {code: \"90\", score: 90, satisfied: true}\n      - {code: \"80\", score: 80, satisfied: true}\n      - {code: \"60\", score: 60, satisfied: true}\n      - {code: \"40\", score: 40}\n      - {code: \"30\", score: 30}\n      - {code: \"20\", score: 20}\n      - {code: \"0\", score: 0}\ndimensions:\n  - {id: d}\nitems:\n  - {id: q, dimension: d, scale: pts, zh: 问}\n";

fn plan(groups: &str, rest: &str) -> Plan {
    let survey = Survey::from_yaml(SURVEY, Path::new("s.yaml")).expect("survey");
    let text = format!(
        "id: t\nsurvey: s.yaml\nperiod: {{start: 2011-01-01, end: 2011-12-31}}\ngroups:\n{groups}panel: {{min_public_share: 0, min_valid_ballots: 1}}\n{rest}"
    );
    Plan::from_yaml(&text, Path::new("p.yaml"), survey).unwrap_or_else(|e| panic!("plan: {e}"))
}

fn roster(units: &[(&str, &str)]) -> Roster {
    let mut s = String::from("unit_id,name,department,kind\n");
    for (id, kind) in units {
        s.push_str(&format!("{id},单位{id},D,{kind}\n"));
    }
    Roster::read_from(&Source::text("roster.csv", s), Encoding::Utf8).expect("roster")
}

/// `(unit, group, code)` ballots as CSV, with `rater_unit` = the unit for `own`.
fn ballots(rows: &[(&str, &str, &str)]) -> String {
    let mut s = String::from("ballot_id,unit_id,rater_id,rater_group,rater_unit,q\n");
    for (k, (u, g, code)) in rows.iter().enumerate() {
        let ru = if *g == "own" { *u } else { "" };
        s.push_str(&format!("B{k},{u},R{k},{g},{ru},{code}\n"));
    }
    s
}

fn run(plan: &Plan, roster: &Roster, ballots: &str, complaints: Option<&str>, people: PeopleFiles) -> Outcome {
    let c = complaints.map(|c| Source::text("complaints.csv", c));
    campaign::run(
        plan,
        roster,
        &[Source::text("ballots.csv", ballots)],
        c.as_ref(),
        &Options {
            people,
            ..Options::default()
        },
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("run: {e}"))
}

fn files(plan: &Plan, roster: &Roster, outcome: &Outcome) -> BTreeMap<&'static str, String> {
    output::render_all(plan, roster, outcome)
        .expect("render")
        .into_iter()
        .map(|(n, b)| (n, String::from_utf8_lossy(&b).into_owned()))
        .collect()
}

// ---------------------------------------------------------------------------
// Staff points
// ---------------------------------------------------------------------------

#[test]
fn staff_points_by_hand() {
    let plan = plan(
        "  - {id: pub, public: true}\n",
        "complaints:\n  categories:\n    - {id: c, zh: 有效投诉}\n    - {id: praise, zh: 表扬, bonus: 1}\nstaff: {}\n",
    );
    let roster = roster(&[("U1", "K"), ("U2", "K")]);
    let staff = "staff_id,name,unit_id\nS1,甲,U1\nS2,乙,U1\nS3,丙,U1\nS4,丁,U2\nS5,戊,NOPE\n";
    let complaints = "complaint_id,unit_id,date,category,status,staff_id\n\
        C1,U1,2011-01-05,c,verified,S1\n\
        C2,U1,2011-02-05,c,verified,S1\n\
        C3,U1,2011-03-05,c,verified,S1\n\
        C4,U1,2011-03-06,c,verified,S2\n\
        C5,U1,2011-03-07,c,unverified,S2\n\
        C6,U1,2011-03-08,c,dismissed,S2\n\
        C7,U1,2010-12-31,c,verified,S2\n\
        C8,U1,2011-04-01,praise,verified,S3\n\
        C9,U2,2011-05-01,c,verified,S4\n\
        C10,U2,2011-05-02,c,verified,S4\n\
        C11,U2,2011-05-03,c,verified,S4\n\
        C12,U2,2011-05-04,c,verified,S4\n\
        C13,U1,2011-05-05,c,verified,S9\n\
        C14,U2,2011-05-06,c,verified,S1\n\
        C15,U1,2011-05-07,c,verified,\n";
    let b = ballots(&[("U1", "pub", "80"), ("U2", "pub", "60")]);
    let people = PeopleFiles {
        staff: Some(Source::text("staff.csv", staff)),
        titles: None,
    };
    let outcome = run(&plan, &roster, &b, Some(complaints), people);
    let f = files(&plan, &roster, &outcome);
    // Defaults: 12 points, 4 per valid complaint.
    // S1: C1–C3 verified in 2011 → 3 × 4 = 12 deducted, 12 − 12 = 0 left → 诫勉谈话.
    // S2: C4 counts; C5 unverified, C6 dismissed, C7 before the period → 1 × 4 = 4, 8 left.
    // S3: C8 is a bonus category (表扬), not a complaint → 0, 12 left.
    // S4: C9–C12 → 4 × 4 = 16 > 12 → 12 deducted, max(0, 12 − 16) = 0 left (never below 0).
    // S5's row names no roster unit: a staff roster reject. C13 names S9 (not on the
    // staff roster) and C14 names S1 of U1 about U2: both complaint rejects.
    assert_eq!(
        f["staff.csv"],
        "staff_id,name,unit_id,unit,complaints,points_deducted,points_left,talk\n\
         S1,甲,U1,单位U1,3,12,0,true\n\
         S2,乙,U1,单位U1,1,4,8,false\n\
         S3,丙,U1,单位U1,0,0,12,false\n\
         S4,丁,U2,单位U2,4,12,0,true\n"
    );
    assert_eq!(
        f["staff_rejects.csv"],
        "file,line,id,reason,detail\nstaff.csv,6,S5,unknown_unit,NOPE; not in the roster\n"
    );
    let rejects: Vec<(&str, &str)> = outcome
        .complaints
        .rejects
        .iter()
        .map(|r| (r.complaint_id.as_str(), r.reason.code()))
        .collect();
    assert_eq!(rejects, [("C13", "unknown_staff"), ("C14", "staff_other_unit")]);
    // Counts reconcile: 15 rows = 13 read + 2 rejected.
    assert_eq!(outcome.complaints.rows, 15);
    // The rejected complaints counted nowhere: U1 counted C1–C4, C8, C15 = 6.
    assert_eq!(outcome.units[0].complaints.counted, 6);
    let report = &f["report.md"];
    assert!(report.contains("诫勉谈话名单"), "{report}");
    assert!(report.contains("| S1 | 甲 | U1 | 单位U1 | 3 | 0 |"), "{report}");
    assert!(report.contains("| S4 | 丁 | U2 | 单位U2 | 4 | 0 |"), "{report}");
    assert!(!report.contains("| S2 |"), "{report}");
    assert!(f["report.html"].contains("诫勉谈话名单"));
    assert!(f["report.html"].contains("<td class=\"nw\">S4</td>"));
}

#[test]
fn staff_without_a_roster_are_listed_as_complaints_name_them() {
    let plan = plan(
        "  - {id: pub, public: true}\n",
        "complaints:\n  categories:\n    - {id: c}\nstaff: {points: 10, per_complaint: 3}\n",
    );
    let roster = roster(&[("U1", "K")]);
    let complaints = "complaint_id,unit_id,date,category,status,staff_id\n\
        C1,U1,2011-01-05,c,verified,Z9\nC2,U1,2011-01-06,c,verified,A1\nC3,U1,2011-01-07,c,verified,Z9\n\
        C4,U1,2011-01-08,c,verified,Z9\nC5,U1,2011-01-09,c,verified,Z9\n";
    let outcome = run(
        &plan,
        &roster,
        &ballots(&[("U1", "pub", "80")]),
        Some(complaints),
        PeopleFiles::default(),
    );
    let f = files(&plan, &roster, &outcome);
    // Z9: 4 × 3 = 12 > 10 → 10 deducted, 0 left; A1: 3 deducted, 10 − 3 = 7 left.
    // First-mention order, no name, no staff_rejects.csv (no staff roster).
    assert_eq!(
        f["staff.csv"],
        "staff_id,name,unit_id,unit,complaints,points_deducted,points_left,talk\nZ9,,U1,单位U1,4,10,0,true\nA1,,U1,单位U1,1,3,7,false\n"
    );
    assert!(!f.contains_key("staff_rejects.csv"));
}

#[test]
fn a_staff_roster_without_the_rule_is_refused() {
    let plan = plan("  - {id: pub, public: true}\n", "");
    let roster = roster(&[("U1", "K")]);
    let e = campaign::run(
        &plan,
        &roster,
        &[Source::text("ballots.csv", ballots(&[("U1", "pub", "80")]))],
        None,
        &Options {
            people: PeopleFiles {
                staff: Some(Source::text("staff.csv", "staff_id,name,unit_id\n")),
                titles: None,
            },
            ..Options::default()
        },
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Usage(_)), "{e}");
    assert!(e.to_string().contains("no `staff:` rule"), "{e}");
}

// ---------------------------------------------------------------------------
// Self-assessment
// ---------------------------------------------------------------------------

const SELF_GROUPS: &str = "  - {id: pub, public: true}\n  - {id: own, self: true}\n";

#[test]
fn self_assessment_by_hand_and_apart_from_the_public_score() {
    let plan = plan(SELF_GROUPS, "self_assessment: {max_gap: 10}\n");
    let roster = roster(&[("A", "K"), ("B", "K"), ("C", "K")]);
    let public = [
        ("A", "pub", "100"),
        ("A", "pub", "60"),
        ("B", "pub", "100"),
        ("B", "pub", "80"),
        ("C", "pub", "40"),
    ];
    let own = [("A", "own", "100"), ("B", "own", "100"), ("C", "own", "0")];
    let with: Vec<_> = public.iter().chain(own.iter()).copied().collect();
    let o_with = run(&plan, &roster, &ballots(&with), None, PeopleFiles::default());
    let o_without = run(&plan, &roster, &ballots(&public), None, PeopleFiles::default());
    // A: public (100 + 60) / 2 = 80, self 100 → gap 100 − 80 = 20 > 10: listed.
    // B: public (100 + 80) / 2 = 90, self 100 → gap 10, not more than 10: not listed.
    // C: public 40, self 0 → gap −40. Self ballots name their own unit (rater_unit)
    // and are not conflict_of_interest.
    let s = &o_with.people.selfs;
    assert_eq!(
        s.iter()
            .map(|x| (x.ballots, x.composite, x.gap, x.over))
            .collect::<Vec<_>>(),
        [
            (1, Some(100.0), Some(20.0), true),
            (1, Some(100.0), Some(10.0), false),
            (1, Some(0.0), Some(-40.0), false)
        ]
    );
    assert_eq!(o_with.units[0].score.composite, Some(80.0));
    assert_eq!(o_with.units[0].score.valid, 2);
    assert!(o_with.rejects.is_empty());
    // Accounting: 8 rows = 8 valid, 3 of them self-assessment (in no unit's row).
    assert_eq!((o_with.accounting.read, o_with.accounting.valid), (8, 8));
    assert_eq!(o_with.accounting.self_assessed, 3);
    let fw = files(&plan, &roster, &o_with);
    let fo = files(&plan, &roster, &o_without);
    // The public results are byte-identical with and without the self ballots:
    // every file but results.csv (its self columns), results.json and the reports.
    for name in [
        "items.csv",
        "rejects.csv",
        "complaint_rejects.csv",
        "reliability.csv",
        "flags.csv",
    ] {
        assert_eq!(fw[name], fo[name], "{name}");
    }
    let strip = |csv: &str| -> Vec<String> {
        let t = Table::parse(csv);
        let keep: Vec<usize> = (0..t.header.len())
            .filter(|&k| !t.header[k].starts_with("self_"))
            .collect();
        std::iter::once(&t.header)
            .chain(&t.rows)
            .map(|r| keep.iter().map(|&k| r[k].as_str()).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(strip(&fw["results.csv"]), strip(&fo["results.csv"]));
    let t = Table::parse(&fw["results.csv"]);
    assert_eq!(t.cell("unit_id", "A", "self_composite"), "100");
    assert_eq!(t.cell("unit_id", "A", "self_gap"), "20");
    assert_eq!(t.cell("unit_id", "C", "self_ballots"), "1");
    assert_eq!(Table::parse(&fo["results.csv"]).cell("unit_id", "A", "self_gap"), "");
    assert!(
        fw["report.md"].contains("| A | 单位A | 100.00 | 80.00 | 20.00 | 1 |"),
        "{}",
        fw["report.md"]
    );
    assert!(!fw["report.md"].contains("| B | 单位B | 100.00"));
}

#[test]
fn self_ballots_stay_apart_under_weighted_groups_too() {
    let plan = plan(
        "  - {id: pub, public: true, weight: 1}\n  - {id: npc, weight: 3}\n  - {id: own, self: true}\n",
        "scoring: {group_weighting: weighted}\n",
    );
    let roster = roster(&[("A", "K")]);
    let public = [("A", "pub", "100"), ("A", "npc", "60")];
    let with = [("A", "pub", "100"), ("A", "npc", "60"), ("A", "own", "0")];
    let a = run(&plan, &roster, &ballots(&with), None, PeopleFiles::default());
    let b = run(&plan, &roster, &ballots(&public), None, PeopleFiles::default());
    // Weighted: (1 × 100 + 3 × 60) / 4 = 70 with or without the self ballot (0).
    assert_eq!(a.units[0].score.composite, Some(70.0));
    assert_eq!(a.units[0].composite_se, b.units[0].composite_se);
    assert_eq!(a.people.selfs[0].gap, Some(-70.0));
}

#[test]
fn self_groups_are_checked_in_the_plan() {
    let survey = Survey::from_yaml(SURVEY, Path::new("s.yaml")).expect("survey");
    let text = "id: t\nsurvey: s.yaml\nperiod: {start: 2011-01-01, end: 2011-12-31}\ngroups:\n  - {id: own, self: true, public: true, min_share: 0.1}\nself_assessment: {max_gap: -1}\n";
    let e = Plan::from_yaml(text, Path::new("p.yaml"), survey)
        .unwrap_err()
        .to_string();
    for needle in [
        "groups[0].self",
        "cannot be `public: true`",
        "panel quota",
        "every group is `self: true`",
        "self_assessment.max_gap",
    ] {
        assert!(e.contains(needle), "{needle}: {e}");
    }
}

// ---------------------------------------------------------------------------
// Titles (摘牌) and awards by kind
// ---------------------------------------------------------------------------

#[test]
fn titles_are_reviewed_by_hand() {
    let plan = plan(
        "  - {id: pub, public: true}\n",
        "complaints:\n  categories:\n    - {id: v, veto: true}\nranking: {bottom_n: 3}\ntitles: {bottom_n: 2}\nexclude: [X, Y]\n",
    );
    let units = [
        ("A", "K"),
        ("B", "K"),
        ("C", "K"),
        ("D", "K"),
        ("E", "K"),
        ("X", "K"),
        ("Y", "K"),
        ("Z", "K"),
    ];
    let roster = roster(&units);
    let b = ballots(&[
        ("A", "pub", "100"),
        ("B", "pub", "80"),
        ("C", "pub", "60"),
        ("D", "pub", "40"),
        ("E", "pub", "20"),
        ("X", "pub", "30"),
        ("Y", "pub", "90"),
    ]);
    let complaints = "complaint_id,unit_id,date,category,status\nV1,C,2011-06-01,v,verified\n";
    let titles = "unit_id,title,since\nA,满意站所,2009-12-30\nB,满意站所,2009年12月30日\nC,满意站所,\n\
        D,满意站所,\nE,满意站所,\nX,满意站所,2009/12/30\nY,满意站所,\nZ,满意站所,\n\
        NOPE,满意站所,\nA,文明窗口,30/12/2009\n";
    let people = PeopleFiles {
        staff: None,
        titles: Some(Source::text("titles.csv", titles)),
    };
    let outcome = run(&plan, &roster, &b, Some(complaints), people);
    let f = files(&plan, &roster, &outcome);
    // Ranked: A 100, B 80, D 40, E 20 (C vetoed, X and Y excluded, Z has no ballot).
    // titles.bottom_n = 2 (not ranking.bottom_n = 3): a unit loses its title when
    // fewer than 2 ranked units score below it.
    // A: 3 below → kept. B: 2 below (D, E) → kept. C: vetoed → removed.
    // D: 1 below (E) → removed. E: 0 below → removed.
    // X (excluded, 30): E (20) below → 1 < 2 → removed. Y (excluded, 90): B, D, E → kept.
    // Z: too few ballots → not reviewed, kept.
    assert_eq!(
        f["titles_after.csv"],
        "unit_id,name,title,since,outcome,reason\n\
         A,单位A,满意站所,2009-12-30,kept,passed\n\
         B,单位B,满意站所,2009-12-30,kept,passed\n\
         C,单位C,满意站所,,removed,vetoed\n\
         D,单位D,满意站所,,removed,bottom_n\n\
         E,单位E,满意站所,,removed,bottom_n\n\
         X,单位X,满意站所,2009-12-30,removed,bottom_n\n\
         Y,单位Y,满意站所,,kept,passed\n\
         Z,单位Z,满意站所,,kept,not_reviewed\n"
    );
    let rejects = Table::parse(&f["title_rejects.csv"]);
    assert_eq!(rejects.values("line"), ["10", "11"]);
    assert_eq!(rejects.values("reason"), ["unknown_unit", "bad_date"]);
    let report = &f["report.md"];
    assert!(report.contains("动态管理（摘牌）"), "{report}");
    assert!(
        report.contains("| X | 单位X | 满意站所 | 2009-12-30 | 摘牌 | 后2名 |"),
        "{report}"
    );
    assert!(
        report.contains("| C | 单位C | 满意站所 |  | 摘牌 | 一票否决 |"),
        "{report}"
    );
    assert!(!report.contains("| A | 单位A | 满意站所"), "{report}");
}

#[test]
fn awards_go_to_their_kinds() {
    let plan = plan(
        "  - {id: pub, public: true}\n",
        "awards:\n  - {id: zs, zh: 站所奖, kinds: [站所, 窗口], count: 2}\n  - {id: ks, zh: 科室奖, kinds: [科室], count: 1}\n",
    );
    let roster = roster(&[
        ("A", "科室"),
        ("B", "站所"),
        ("C", "窗口"),
        ("D", "站所"),
        ("E", "科室"),
    ]);
    let b = ballots(&[
        ("A", "pub", "100"),
        ("B", "pub", "90"),
        ("C", "pub", "80"),
        ("D", "pub", "60"),
        ("E", "pub", "40"),
    ]);
    let outcome = run(&plan, &roster, &b, None, PeopleFiles::default());
    let t = Table::parse(&files(&plan, &roster, &outcome)["results.csv"]);
    // 站所奖 among 站所 and 窗口: B (90) and C (80), not A (科室, 100) nor D (third).
    // 科室奖 among 科室: A (100); E is second.
    assert_eq!(t.values("awards"), ["ks", "zs", "zs", "", ""]);
}

// ---------------------------------------------------------------------------
// The shipped plans, end to end with their example files
// ---------------------------------------------------------------------------

fn shipped(name: &str, roster_file: &str) -> (Plan, Roster, String) {
    let dir = manifest_dir().join("surveys");
    let plan = Plan::load(&dir.join(format!("{name}.plan.yaml"))).unwrap_or_else(|e| panic!("{name}: {e}"));
    let roster = Roster::load(&dir.join("examples").join(roster_file), Encoding::Auto).expect("roster");
    let cfg = SimConfig {
        seed: 7,
        ballots_per_unit: 30,
        ..SimConfig::default()
    };
    let mut b = Vec::new();
    simulate::write_ballots(&plan, &roster, &cfg, &mut b).expect("simulate");
    (plan, roster, String::from_utf8(b).expect("UTF-8"))
}

fn example(path: &str) -> Source {
    Source::file(manifest_dir().join("surveys/examples").join(path))
}

#[test]
fn minzhu_pingyi_staff_points_end_to_end() {
    let (plan, roster, b) = shipped("minzhu-pingyi", "caidian-2010.roster.csv");
    let outcome = campaign::run(
        &plan,
        &roster,
        &[Source::text("ballots.csv", b)],
        Some(&example("minzhu-pingyi/complaints.csv")),
        &Options {
            people: PeopleFiles {
                staff: Some(example("minzhu-pingyi/staff.csv")),
                titles: None,
            },
            ..Options::default()
        },
        &mut |_| {},
    )
    .expect("run");
    // The files written are names of `FILE_NAMES` (which the output guard checks
    // before the run), in its order: the ten of every run, staff and ledger files.
    let names: Vec<&str> = appraise::output::render_all(&plan, &roster, &outcome)
        .expect("rendered")
        .iter()
        .map(|(n, _)| *n)
        .collect();
    let at: Vec<Option<usize>> = names
        .iter()
        .map(|n| appraise::output::FILE_NAMES.iter().position(|f| f == n))
        .collect();
    assert!(at.iter().all(Option::is_some), "{names:?}");
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    assert!(
        names.contains(&"staff.csv") && names.contains(&"ledger.csv"),
        "{names:?}"
    );
    let f = files(&plan, &roster, &outcome);
    // S0101: three verified 2011 complaints → 12 − 3 × 4 = 0 → 诫勉谈话; S4401: a veto
    // and two complaints, all verified → 0; S1801: two → 4 left; S3301: only a 2010
    // complaint (outside the period) → 12.
    insta::assert_snapshot!("minzhu_pingyi_staff_csv", f["staff.csv"]);
    assert_eq!(f["staff_rejects.csv"], "file,line,id,reason,detail\n");
    assert!(outcome.complaints.rejects.is_empty());
    let s = Table::parse(&f["staff.csv"]);
    assert_eq!(s.cell("staff_id", "S0101", "points_left"), "0");
    assert_eq!(s.cell("staff_id", "S1801", "points_left"), "4");
    assert_eq!(s.cell("staff_id", "S3301", "points_left"), "12");
    assert_eq!(s.values("talk").iter().filter(|t| **t == "true").count(), 2);
    assert!(f["report.md"].contains("| S4401 | 郑晓燕 | U044 |"));
}

#[test]
fn caidian_titles_end_to_end() {
    let (plan, roster) = appraise::demo::campaign().expect("demo");
    let (b, c) = appraise::demo::sources();
    let outcome = campaign::run(
        &plan,
        &roster,
        &[b],
        Some(&c),
        &Options {
            people: PeopleFiles {
                staff: None,
                titles: Some(example("caidian-2010/titles.csv")),
            },
            ..Options::default()
        },
        &mut |_| {},
    )
    .expect("run");
    let f = files(&plan, &roster, &outcome);
    insta::assert_snapshot!("caidian_titles_after_csv", f["titles_after.csv"]);
    assert_eq!(f["title_rejects.csv"], "file,line,id,reason,detail\n");
    let t = Table::parse(&f["titles_after.csv"]);
    assert_eq!(t.rows.len(), 13);
    // U148 is in the back three, U286 vetoed: both lose their titles.
    assert_eq!(t.cell("unit_id", "U148", "reason"), "bottom_n");
    assert_eq!(t.cell("unit_id", "U286", "reason"), "vetoed");
    assert_eq!(t.cell("unit_id", "U105", "outcome"), "kept");
    // Each removal is vetoed or in the back 3 by the unit's own published score.
    for row in &t.rows {
        let u = &outcome.units[roster.index(&row[0]).expect("unit")];
        let ranked: Vec<i64> = outcome
            .units
            .iter()
            .filter(|r| r.placing.rank.is_some())
            .filter_map(|r| r.placing.published)
            .collect();
        let below = u.placing.published.map(|p| ranked.iter().filter(|&&x| x < p).count());
        let expect = if u.complaints.vetoed {
            "vetoed"
        } else if u.panel.too_few || !u.panel.short.is_empty() || !u.score.is_complete() {
            "not_reviewed"
        } else if below.is_some_and(|b| b < 3) {
            "bottom_n"
        } else {
            "passed"
        };
        assert_eq!(row[5], expect, "{row:?}");
    }
    // Outputs of a run without --titles are those of the demo (no title files).
    let plain = files(&plan, &roster, &crate::demo().2);
    assert!(!plain.contains_key("titles_after.csv"));
    assert_eq!(plain["results.csv"], f["results.csv"]);
}

#[test]
fn san_manyi_self_assessment_end_to_end() {
    let (plan, roster, b) = shipped("san-manyi", "san-manyi.roster.csv");
    let own = example("san-manyi/self_ballots.csv");
    let public = Source::text("ballots.csv", b);
    // The plan weighs the yearly targets (SPEC §14), read from the shipped example.
    let mut opts = Options {
        accept_rejects: true,
        ..Options::default()
    };
    opts.ledgers.assessments = Some(example("san-manyi/assessments.csv"));
    let with = campaign::run(&plan, &roster, &[public.clone(), own], None, &opts, &mut |_| {}).expect("run");
    let without = campaign::run(&plan, &roster, &[public], None, &opts, &mut |_| {}).expect("run");
    let fw = files(&plan, &roster, &with);
    let fo = files(&plan, &roster, &without);
    for name in ["items.csv", "rejects.csv", "reliability.csv", "flags.csv"] {
        assert_eq!(fw[name], fo[name], "{name}");
    }
    assert_eq!(with.accounting.self_assessed, 15);
    let t = Table::parse(&fw["results.csv"]);
    let cols: Vec<String> = t
        .rows
        .iter()
        .map(|r| {
            ["unit_id", "composite", "self_ballots", "self_composite", "self_gap"]
                .iter()
                .map(|c| r[t.column(c)].clone())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    insta::assert_snapshot!("san_manyi_self_columns", cols.join("\n"));
    for (r, s) in with.units.iter().zip(&with.people.selfs) {
        let gap = s.gap.expect("every unit has both scores");
        assert!((gap - (s.composite.expect("self") - r.score.composite.expect("public"))).abs() < 1e-12);
        assert_eq!(s.over, gap > 10.0);
    }
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

#[test]
fn cli_score_and_validate_take_staff_and_titles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let root = manifest_dir();
    let out = d.join("out");
    let titles = d.join("titles.csv");
    std::fs::write(
        &titles,
        "unit_id,title,since\nU001,群众满意基层站所,\nU999,群众满意基层站所,\n",
    )
    .expect("write");
    let mut cmd = assert_cmd::Command::cargo_bin("appraise").expect("binary");
    cmd.current_dir(root).args([
        "score",
        "--plan",
        "surveys/caidian-2010.plan.yaml",
        "--roster",
        "surveys/examples/caidian-2010.roster.csv",
        "--ballots",
        "surveys/examples/caidian-2010/ballots.csv",
        "--complaints",
        "surveys/examples/caidian-2010/complaints.csv",
        "--quiet",
        "--titles",
    ]);
    cmd.arg(&titles).arg("--out").arg(&out);
    let o = cmd.output().expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("动态管理（摘牌）"), "{stdout}");
    let after = std::fs::read_to_string(out.join("titles_after.csv")).expect("titles_after.csv");
    assert!(
        after.starts_with("unit_id,name,title,since,outcome,reason\nU001,"),
        "{after}"
    );
    let rejects = std::fs::read_to_string(out.join("title_rejects.csv")).expect("title_rejects.csv");
    assert!(rejects.contains(",3,U999,unknown_unit,"), "{rejects}");
    // validate: the rejected titles row needs a person → exit 1, named on stderr.
    let mut v = assert_cmd::Command::cargo_bin("appraise").expect("binary");
    v.current_dir(root).args([
        "validate",
        "--plan",
        "surveys/caidian-2010.plan.yaml",
        "--roster",
        "surveys/examples/caidian-2010.roster.csv",
        "--titles",
    ]);
    v.arg(&titles);
    let o = v.output().expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains(":3: unknown_unit U999"));
    // --staff on a plan without a staff rule: a usage error (exit 2).
    let mut s = assert_cmd::Command::cargo_bin("appraise").expect("binary");
    s.current_dir(root).args([
        "validate",
        "--plan",
        "surveys/caidian-2010.plan.yaml",
        "--roster",
        "surveys/examples/caidian-2010.roster.csv",
        "--staff",
        "surveys/examples/minzhu-pingyi/staff.csv",
    ]);
    let o = s.output().expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_plan_with_a_self_group_is_not_written_as_a_tally_file() {
    let plan = plan(SELF_GROUPS, "");
    let roster = roster(&[("A", "K")]);
    let tally = appraise::count::tally::Tally::new(appraise::count::tally::Layout::new(&plan, &roster));
    let dir = tempfile::tempdir().expect("tempdir");
    let e = appraise::count::shard::write_tally(&dir.path().join("t.tally.parquet"), &tally, &[]).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Usage(_)), "{e}");
    assert!(e.to_string().contains("self-assessment"), "{e}");
    assert!(!dir.path().join("t.tally.parquet").exists());
}

#[test]
fn a_collector_reviews_titles_set_on_it() {
    let (plan, roster) = appraise::demo::campaign().expect("demo");
    let titles =
        appraise::judge::people::Titles::load(&example("caidian-2010/titles.csv"), Encoding::Auto, &plan, &roster)
            .expect("titles");
    let mut c =
        appraise::collector::Collector::new(std::sync::Arc::new(plan), std::sync::Arc::new(roster)).expect("collector");
    let (b, _) = appraise::demo::sources();
    c.push_file(&b, Encoding::Utf8).expect("push");
    assert!(c.outcome().expect("outcome").people.titles.is_none());
    c.set_people(None, Some(titles));
    let o = c.outcome().expect("outcome");
    let t = o.people.titles.expect("reviewed");
    // No complaints were set on the collector: U286 is not vetoed here; U148 is
    // still in the back three.
    assert_eq!(t.titles.len(), 13);
    assert!(
        t.titles
            .iter()
            .any(|x| x.verdict == appraise::score::people::TitleVerdict::BottomN)
    );
}
