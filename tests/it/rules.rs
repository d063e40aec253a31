//! One rule of SPEC §5–§11 per test, on small hand-built campaigns whose expected
//! values are computed by hand in the comments.

use std::path::Path;

use appraise::campaign::{self, Options};
use appraise::score::history::Period;
use appraise::score::outcome::Outcome;
use appraise::score::result::UnitResult;
use appraise::score::result::UnitStatus;
use appraise::{Encoding, ErrorKind, Plan, Roster, Source, Survey, num, output};

use crate::Table;

// ---------------------------------------------------------------------------
// Building campaigns
// ---------------------------------------------------------------------------

/// Three items in two dimensions:
/// integrity (W=1): int1 (w=3), int2 (w=1); lawful (W=3): law1 (w=1).
/// Scale: 1 满意 100 satisfied, 2 基本满意 60 satisfied, 3 不满意 0, 9 不了解 abstains.
pub(crate) const SURVEY: &str = r#"
id: t
version: 1
title: {zh: 测评表, en: test}
scales:
  sat4:
    options:
      - {code: "1", zh: 满意, score: 100, satisfied: true}
      - {code: "2", zh: 基本满意, score: 60, satisfied: true}
      - {code: "3", zh: 不满意, score: 0}
      - {code: "9", zh: 不了解, abstain: true}
dimensions:
  - {id: integrity, zh: 廉政建设, weight: 1}
  - {id: lawful, zh: 依法办事, weight: 3}
items:
  - {id: int1, dimension: integrity, scale: sat4, weight: 3, zh: 甲}
  - {id: int2, dimension: integrity, scale: sat4, weight: 1, zh: 乙}
  - {id: law1, dimension: lawful, scale: sat4, zh: 丙}
"#;

const ITEMS: &[&str] = &["int1", "int2", "law1"];

/// A public group and a non-public one, weight 1 each.
const PUB_NPC: &str = "  - {id: pub, public: true}\n  - {id: npc}\n";

/// Panel rule out of the way: any share, one valid ballot is enough.
const LOOSE: &str = "panel: {min_public_share: 0, min_valid_ballots: 1}\n";

/// A one-item survey whose scale is given as YAML option lines; its only
/// dimension is `d`, its only item `q`. With one ballot per unit the composite is
/// exactly the option's score.
fn one_item_survey(options: &str) -> String {
    format!(
        "id: one\nversion: 1\nscales:\n  pts:\n    options:\n{options}dimensions:\n  - {{id: d}}\nitems:\n  - {{id: q, dimension: d, scale: pts, zh: 问}}\n"
    )
}

/// A survey of `n` items `q1..qn`, all in one dimension, on the sat4 scale.
fn flat_survey(n: usize) -> (String, Vec<String>) {
    let ids: Vec<String> = (1..=n).map(|k| format!("q{k}")).collect();
    let items: String = ids
        .iter()
        .map(|id| format!("  - {{id: {id}, dimension: d, scale: sat4, zh: 问}}\n"))
        .collect();
    let scale = SURVEY.split("dimensions:").next().unwrap_or_default();
    (format!("{scale}dimensions:\n  - {{id: d}}\nitems:\n{items}"), ids)
}

/// Plan YAML with the given group lines and further top-level fields.
fn plan(groups: &str, rest: &str) -> String {
    format!("id: t-plan\nsurvey: s.yaml\nperiod: {{start: 2010-01-01, end: 2010-12-31}}\ngroups:\n{groups}{rest}")
}

/// A roster of units in department `D`, kind `K`.
fn roster(ids: &[&str]) -> String {
    let mut s = String::from("unit_id,name,department,kind\n");
    for id in ids {
        s.push_str(&format!("{id},单位{id},D,K\n"));
    }
    s
}

/// Ballot rows; `add` numbers ballot and rater ids itself (B0001/R0001, …).
struct Ballots {
    header: String,
    lines: Vec<String>,
    next: u32,
}

impl Ballots {
    fn new(items: &[&str]) -> Ballots {
        Ballots {
            header: format!("ballot_id,unit_id,rater_id,rater_group,rater_unit,{}", items.join(",")),
            lines: Vec::new(),
            next: 0,
        }
    }

    /// `n` ballots about `unit` from `group`, each answering `answers`
    /// (comma-separated codes, empty = blank).
    fn add(&mut self, n: usize, unit: &str, group: &str, answers: &str) -> &mut Ballots {
        for _ in 0..n {
            self.next += 1;
            let k = self.next;
            self.lines.push(format!("B{k:04},{unit},R{k:04},{group},,{answers}"));
        }
        self
    }

    /// A row written out in full (after the header).
    fn line(&mut self, raw: &str) -> &mut Ballots {
        self.lines.push(raw.to_string());
        self
    }

    fn csv(&self) -> String {
        let mut s = self.header.clone();
        s.push('\n');
        for l in &self.lines {
            s.push_str(l);
            s.push('\n');
        }
        s
    }
}

struct Camp {
    survey: String,
    plan: String,
    roster: String,
    ballots: String,
    complaints: Option<String>,
    strict: bool,
}

impl Camp {
    fn new(survey: &str, plan: String, roster: String, ballots: &Ballots) -> Camp {
        Camp {
            survey: survey.to_string(),
            plan,
            roster,
            ballots: ballots.csv(),
            complaints: None,
            strict: false,
        }
    }

    fn complaints(mut self, csv: &str) -> Camp {
        self.complaints = Some(csv.to_string());
        self
    }

    fn load(&self) -> (Plan, Roster) {
        let survey = Survey::from_yaml(&self.survey, Path::new("s.yaml")).unwrap_or_else(|e| panic!("survey: {e}"));
        let plan = Plan::from_yaml(&self.plan, Path::new("p.yaml"), survey).unwrap_or_else(|e| panic!("plan: {e}"));
        let roster = Roster::read_from(&Source::text("roster.csv", self.roster.as_str()), Encoding::Utf8)
            .unwrap_or_else(|e| panic!("roster: {e}"));
        (plan, roster)
    }

    fn try_run(&self) -> appraise::Result<Scored> {
        let (plan, roster) = self.load();
        let complaints = self
            .complaints
            .as_ref()
            .map(|c| Source::text("complaints.csv", c.as_str()));
        let outcome = campaign::run(
            &plan,
            &roster,
            &[Source::text("ballots.csv", self.ballots.as_str())],
            complaints.as_ref(),
            &Options {
                strict: self.strict,
                // Rule tests plant mostly bad ballots on purpose.
                accept_rejects: true,
                ..Options::default()
            },
            &mut |_| {},
        )?;
        Ok(Scored { plan, roster, outcome })
    }

    fn run(&self) -> Scored {
        self.try_run().unwrap_or_else(|e| panic!("campaign failed: {e}"))
    }
}

struct Scored {
    plan: Plan,
    roster: Roster,
    outcome: Outcome,
}

impl Scored {
    fn unit(&self, id: &str) -> &UnitResult {
        let k = self.roster.index(id).unwrap_or_else(|| panic!("no unit {id}"));
        &self.outcome.units[k]
    }

    fn status(&self, id: &str) -> &'static str {
        self.unit(id).status.code()
    }

    fn rank(&self, id: &str) -> Option<u64> {
        self.unit(id).placing.rank
    }

    fn grade(&self, id: &str) -> Option<&str> {
        self.unit(id).placing.grade.map(|g| self.plan.grades[g].id.as_str())
    }

    /// Unit ids in listing order.
    fn listing(&self) -> Vec<&str> {
        self.outcome
            .listing()
            .into_iter()
            .map(|u| self.roster.units[u].id.as_str())
            .collect()
    }

    /// Rendered output file.
    fn file(&self, name: &str) -> Table {
        Table::from_bytes(&self.file_bytes(name))
    }

    fn file_bytes(&self, name: &str) -> Vec<u8> {
        let files =
            output::render_all(&self.plan, &self.roster, &self.outcome).unwrap_or_else(|e| panic!("render: {e}"));
        let (_, bytes) = files
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no {name}"));
        bytes
    }

    /// (row, reason) of each rejected ballot, in output order.
    fn rejects(&self) -> Vec<(u64, &'static str)> {
        self.outcome
            .rejects
            .to_vec()
            .expect("rejects")
            .iter()
            .map(|r| (r.row, r.reason.code()))
            .collect()
    }

    fn complaint_rejects(&self) -> Vec<(u64, &'static str)> {
        self.outcome
            .complaints
            .rejects
            .iter()
            .map(|r| (r.row, r.reason.code()))
            .collect()
    }
}

#[track_caller]
fn approx(got: Option<f64>, want: f64, what: &str) {
    let g = got.unwrap_or_else(|| panic!("{what}: undefined, expected {want}"));
    assert!(
        (g - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: got {g}, expected {want}"
    );
}

// ---------------------------------------------------------------------------
// §7 Scores
// ---------------------------------------------------------------------------

#[test]
fn pooled_means_item_and_dimension_weights_abstentions_and_blanks() {
    let mut b = Ballots::new(ITEMS);
    b.add(1, "U1", "pub", "1,2,1") //  int1 100, int2 60,    law1 100
        .add(1, "U1", "pub", "1,3,9") // int1 100, int2 0,     law1 abstains
        .add(1, "U1", "npc", "2,,3") //  int1 60,  int2 blank, law1 0
        .add(1, "U1", "npc", "9,1,2"); // int1 abstains, int2 100, law1 60
    let s = Camp::new(SURVEY, plan(PUB_NPC, LOOSE), roster(&["U1"]), &b).run();
    let u = s.unit("U1");
    // int1: (100 + 100 + 60) / 3 = 86.667 (the abstention is in no denominator; /4 would give 65)
    approx(u.score.items[0].mean, 260.0 / 3.0, "int1 mean");
    assert_eq!((u.score.items[0].scored, u.score.items[0].abstained), (3, 1));
    // int2: (60 + 0 + 100) / 3 = 53.333 (the blank is out too)
    approx(u.score.items[1].mean, 160.0 / 3.0, "int2 mean");
    assert_eq!((u.score.items[1].scored, u.score.items[1].blank), (3, 1));
    // law1: (100 + 0 + 60) / 3 = 53.333
    approx(u.score.items[2].mean, 160.0 / 3.0, "law1 mean");
    // integrity: (3·260/3 + 1·160/3) / (3 + 1) = (260 + 53.333) / 4 = 940/12 = 78.333
    approx(u.score.dimensions[0], 940.0 / 12.0, "integrity");
    // lawful: the only item, 160/3 = 53.333
    approx(u.score.dimensions[1], 160.0 / 3.0, "lawful");
    // composite: (1·78.333 + 3·53.333) / (1 + 3) = (940/12 + 1920/12) / 4 = 715/12 = 59.583
    approx(u.score.composite, 715.0 / 12.0, "composite");
    // rate: satisfied (codes 1, 2) 3 + 2 + 2 = 7 of 9 scored answers
    approx(u.score.rate, 7.0 / 9.0, "satisfaction rate");
    // public share 2 of 4 valid
    approx(u.score.public_share, 0.5, "public share");
    assert_eq!(s.status("U1"), "ranked");
    // results.csv carries the same numbers.
    let t = s.file("results.csv");
    approx(
        t.cell("unit_id", "U1", "composite").parse().ok(),
        715.0 / 12.0,
        "results.csv composite",
    );
    approx(
        t.cell("unit_id", "U1", "lawful").parse().ok(),
        160.0 / 3.0,
        "results.csv lawful",
    );
}

#[test]
fn weighted_group_mode_weights_group_means() {
    // pub weight 3, npc weight 1, cadre weight 2.
    let groups = "  - {id: pub, public: true, weight: 3}\n  - {id: npc, weight: 1}\n  - {id: cadre, weight: 2}\n";
    let mut b = Ballots::new(ITEMS);
    b.add(1, "U1", "pub", "1,1,1")
        .add(1, "U1", "pub", "3,1,1")
        .add(2, "U1", "npc", "1,1,1")
        .add(1, "U1", "npc", "2,1,1")
        .add(1, "U1", "cadre", "9,1,1"); // cadre abstains on int1: A[cadre,int1] = 0
    let pooled = Camp::new(SURVEY, plan(groups, LOOSE), roster(&["U1"]), &b).run();
    let weighted = Camp::new(
        SURVEY,
        plan(groups, &format!("{LOOSE}scoring: {{group_weighting: weighted}}\n")),
        roster(&["U1"]),
        &b,
    )
    .run();
    let (p, w) = (pooled.unit("U1"), weighted.unit("U1"));

    // pooled int1: (100 + 0 + 100 + 100 + 60) / 5 = 72
    approx(p.score.items[0].mean, 72.0, "pooled int1");
    // weighted int1: pub mean (100 + 0)/2 = 50, npc mean (100+100+60)/3 = 86.667, cadre has no
    // scored answer and is left out: (3·50 + 1·86.667) / (3 + 1) = 710/12 = 59.1667
    // (with cadre counted as 0 it would be 236.667/6 = 39.44)
    approx(w.score.items[0].mean, 355.0 / 6.0, "weighted int1");
    // int2 and law1: every group 100 → 100 either way
    approx(w.score.items[1].mean, 100.0, "weighted int2");
    // integrity pooled: (3·72 + 100) / 4 = 79; weighted: (3·59.1667 + 100) / 4 = 69.375
    approx(p.score.dimensions[0], 79.0, "pooled integrity");
    approx(w.score.dimensions[0], 69.375, "weighted integrity");
    // composite pooled: (79 + 3·100) / 4 = 94.75; weighted: (69.375 + 300) / 4 = 92.34375
    approx(p.score.composite, 94.75, "pooled composite");
    approx(w.score.composite, 92.34375, "weighted composite");
    // The rate is pooled in both modes: int1 4 of 5, int2 6 of 6, law1 6 of 6 → 16/17
    approx(p.score.rate, 16.0 / 17.0, "pooled rate");
    approx(w.score.rate, 16.0 / 17.0, "weighted rate");
}

#[test]
fn satisfaction_rate_is_pooled_and_follows_the_satisfied_flag() {
    let mut b = Ballots::new(ITEMS);
    b.add(1, "U1", "pub", "1,2,3")
        .add(1, "U1", "pub", "2,2,9")
        .add(1, "U1", "npc", "3,1,2");
    let with = Camp::new(SURVEY, plan(PUB_NPC, LOOSE), roster(&["U1"]), &b).run();
    let survey_without = SURVEY.replace("score: 60, satisfied: true", "score: 60");
    assert_ne!(survey_without, SURVEY);
    let without = Camp::new(&survey_without, plan(PUB_NPC, LOOSE), roster(&["U1"]), &b).run();

    // 8 scored answers (the 9 is an abstention). 基本满意 satisfied: 1,2 | 2,2 | 1,2 → 6/8 = 0.75
    // (a mean of item rates, (2/3 + 3/3 + 1/2)/3 = 0.722, or of group rates,
    // (4/5 + 2/3)/2 = 0.733, would differ)
    let u = with.unit("U1");
    approx(u.score.rate, 0.75, "rate with 基本满意 satisfied");
    // per item: int1 {1,2,3} 2/3, int2 {2,2,1} 3/3, law1 {3,2} 1/2
    approx(u.score.items[0].rate, 2.0 / 3.0, "int1 rate");
    approx(u.score.items[1].rate, 1.0, "int2 rate");
    approx(u.score.items[2].rate, 0.5, "law1 rate");
    // per dimension: integrity 5 of 6, lawful 1 of 2
    approx(u.score.dimension_rates[0], 5.0 / 6.0, "integrity rate");
    approx(u.score.dimension_rates[1], 0.5, "lawful rate");
    // 基本满意 without `satisfied: true`: only the two 1s → 2/8 = 0.25
    approx(without.unit("U1").score.rate, 0.25, "rate with 基本满意 not satisfied");
    // The scores do not depend on the flag: composite (1·D_int + 3·D_law)/4 with
    // int1 (100+60+0)/3 = 53.33, int2 (60+60+100)/3 = 73.33, D_int = (3·53.33 + 73.33)/4 = 58.33,
    // D_law = (0 + 60)/2 = 30 → (58.33 + 90)/4 = 37.083
    approx(u.score.composite, 445.0 / 12.0, "composite");
    approx(
        without.unit("U1").score.composite,
        445.0 / 12.0,
        "composite without flag",
    );
}

// ---------------------------------------------------------------------------
// §5 Ballots
// ---------------------------------------------------------------------------

#[test]
fn ballot_rejects_follow_the_order_of_the_table() {
    // At least ceil(0.5 × 3) = 2 answered items.
    let mut b = Ballots::new(ITEMS);
    b.line("B01,U9,R01,pub,,1,1,1") //         2: unknown_unit
        .line("B02,U9,R02,alien,,7,,") //      3: unknown_unit (also unknown group, bad code, blank)
        .line("B03,U1,R03,alien,,7,1,1") //    4: unknown_group (also bad code)
        .line("B04,U1,R04,pub,,7,,") //        5: bad_code (also too many blank)
        .line("B05,U1,R05,pub,,1,,") //        6: too_many_blank (1 answered < 2)
        .line("B06,U1,R06,pub,,1,1,1") //      7: valid
        .line("B06,U1,R07,pub,U1,1,1,1") //    8: duplicate ballot_id (also conflict of interest)
        .line("B08,U1,R06,pub,,1,1,1") //      9: duplicate rater R06 on U1
        .line("B09,U2,R06,pub,,1,1,1") //     10: valid: same rater, other unit
        .line("B10,U1,R10,pub, U1 ,1,1,1") // 11: conflict_of_interest (rater_unit trimmed)
        .line("B10,U1,R10,pub,,1,1,1") //     12: valid: line 11 took no key
        .line("B12,U1,R12,pub,,7,1,1") //     13: bad_code
        .line("B12,U1,R12,pub,,1,1,1") //     14: valid: line 13 took no key
        .line("B05,U1,R05,pub,,1,1,1") //     15: valid: line 6 took no key
        .line("B15,U1,R07,pub,,1,1,1") //     16: valid: the duplicate on line 8 did not register R07
        .line("B16,U1,R16,pub,U2,1,1,1") //   17: valid: the rater belongs to another unit
        .line(" B17 , U1 , R17 , pub ,, 1 , 2 , 9 ") // 18: valid: every field padded
        .line("B17,U1,R19,pub,,1,1,1") //     19: duplicate ballot_id B17 (registered trimmed)
        .line("B20,U1,R17,pub,,1,1,1"); //    20: duplicate rater R17 on U1
    let s = Camp::new(SURVEY, plan(PUB_NPC, LOOSE), roster(&["U1", "U2"]), &b).run();
    assert_eq!(
        s.rejects(),
        vec![
            (2, "unknown_unit"),
            (3, "unknown_unit"),
            (4, "unknown_group"),
            (5, "bad_code"),
            (6, "too_many_blank"),
            (8, "duplicate"),
            (9, "duplicate"),
            (11, "conflict_of_interest"),
            (13, "bad_code"),
            (19, "duplicate"),
            (20, "duplicate"),
        ]
    );
    // The bad_code detail names the item and the value.
    let d = &s.outcome.rejects.to_vec().expect("rejects")[3].detail;
    assert!(d.contains("int1") && d.contains('7'), "bad_code detail: {d}");
    // Accounting: 19 rows = 8 valid (lines 7, 10, 12, 14, 15, 16, 17, 18) + 11 rejected.
    let a = &s.outcome.accounting;
    assert_eq!((a.read, a.valid, a.rejected, a.unattributed), (19, 8, 11, 2));
    // U1: 7 valid + 9 rejected (lines 4, 5, 6, 8, 9, 11, 13, 19, 20) = 16 read; U2: 1 valid.
    let u1 = s.unit("U1");
    assert_eq!((u1.score.valid, u1.rejected, u1.read), (7, 9, 16));
    assert_eq!((s.unit("U2").score.valid, s.unit("U2").rejected), (1, 0));
    // The padded ballot counts: U1's only abstention on law1 and only 2 on int2.
    assert_eq!(u1.score.items[2].abstained, 1);
    assert_eq!(u1.score.items[1].counts, vec![6, 1, 0, 0]);
    // rejects.csv has the same rows, with the trimmed ballot ids.
    let t = s.file("rejects.csv");
    assert_eq!(t.header[..4], ["row", "ballot_id", "reason", "detail"]);
    assert_eq!(t.values("row").len(), 11);
    assert_eq!(t.rows[9][..3], ["19", "B17", "duplicate"]);
}

#[test]
fn ballots_without_ids_are_not_duplicates() {
    // Engine choice (README): a blank ballot_id or rater_id is no key, so anonymous
    // paper ballots about one unit are all valid.
    let mut b = Ballots::new(ITEMS);
    b.line(",U1,,pub,,1,1,1")
        .line(",U1,,pub,,1,1,1")
        .line(" ,U1, ,pub,,1,1,1");
    let s = Camp::new(SURVEY, plan(PUB_NPC, LOOSE), roster(&["U1"]), &b).run();
    assert!(s.rejects().is_empty(), "{:?}", s.rejects());
    assert_eq!(s.unit("U1").score.valid, 3);
}

#[test]
fn duplicates_are_judged_across_ballot_files_in_order() {
    // Several ballot files form one campaign; keys taken in the first file count in
    // the second. Pinned: a reject's row is the line in its own file (rejects.csv has
    // no file column, so rows of different files can coincide).
    let mut first = Ballots::new(ITEMS);
    first.line("B1,U1,R1,pub,,1,1,1").line("B2,U1,R2,pub,,7,1,1"); // line 3: bad_code
    let mut second = Ballots::new(ITEMS);
    second
        .line("B1,U1,R9,pub,,1,1,1") //  line 2: duplicate of file 1's B1
        .line("B3,U1,R1,pub,,1,1,1") //  line 3: duplicate rater R1 on U1
        .line("B2,U1,R2,pub,,1,1,1"); // line 4: valid (file 1's B2 was rejected)
    let c = Camp::new(SURVEY, plan(PUB_NPC, LOOSE), roster(&["U1"]), &first);
    let (plan, roster) = c.load();
    let outcome = campaign::run(
        &plan,
        &roster,
        &[Source::text("a.csv", first.csv()), Source::text("b.csv", second.csv())],
        None,
        &Options {
            accept_rejects: true,
            ..Options::default()
        },
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rejects: Vec<(u64, &str)> = outcome
        .rejects
        .to_vec()
        .expect("rejects")
        .iter()
        .map(|r| (r.row, r.reason.code()))
        .collect();
    assert_eq!(rejects, [(3, "bad_code"), (2, "duplicate"), (3, "duplicate")]);
    // 5 rows = 2 valid (B1 from a.csv, B2 from b.csv) + 3 rejected
    let a = &outcome.accounting;
    assert_eq!((a.read, a.valid, a.rejected), (5, 2, 3));
}

#[test]
fn too_many_blank_boundary_counts_abstentions_as_answered() {
    // 5 items × 0.5 = 2.5 → at least 3 answered.
    let (survey, ids) = flat_survey(5);
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut b = Ballots::new(&ids);
    b.add(1, "U1", "pub", "1,1,,,") //   2 answered → too_many_blank
        .add(1, "U1", "pub", "1,1,1,,") // 3 answered → valid
        .add(1, "U1", "pub", "1,1,9,,") // 2 answered + 1 abstention = 3 → valid
        .add(1, "U1", "pub", "9,9,9,,") // 3 abstentions → valid (answered, but nothing scored)
        .add(1, "U1", "pub", ",,,,"); //  nothing → too_many_blank
    let s = Camp::new(&survey, plan(PUB_NPC, LOOSE), roster(&["U1"]), &b).run();
    assert_eq!(s.rejects(), vec![(2, "too_many_blank"), (6, "too_many_blank")]);
    assert_eq!(s.unit("U1").score.valid, 3);
    // q3: 100 (ballot 3) only; the two abstentions are out → mean 100, 2 abstained
    assert_eq!(
        (
            s.unit("U1").score.items[2].scored,
            s.unit("U1").score.items[2].abstained
        ),
        (1, 2)
    );

    // 25 items × 0.28 = 7 in decimal, but 7.000000000000001 in binary (whose ceiling
    // would demand 8): 7 answered is enough, 6 is not.
    let (survey, ids) = flat_survey(25);
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let answers = |k: usize| {
        (0..25)
            .map(|i| if i < k { "1" } else { "" })
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut b = Ballots::new(&ids);
    b.add(1, "U1", "pub", &answers(7)) // 7 → valid
        .add(1, "U1", "pub", &answers(6)); // 6 → too_many_blank
    let s = Camp::new(
        &survey,
        plan(PUB_NPC, &format!("{LOOSE}validity: {{min_answered_share: 0.28}}\n")),
        roster(&["U1"]),
        &b,
    )
    .run();
    assert_eq!(s.rejects(), vec![(3, "too_many_blank")]);
    assert_eq!(s.unit("U1").score.valid, 1);
}

// ---------------------------------------------------------------------------
// §6 Panel rule
// ---------------------------------------------------------------------------

#[test]
fn public_share_of_exactly_seventy_percent_passes() {
    let mut b = Ballots::new(ITEMS);
    b.add(7, "U1", "pub", "1,1,1").add(3, "U1", "npc", "1,1,1"); // 7/10 = 0.7 → passes
    b.add(6, "U2", "pub", "1,1,1").add(4, "U2", "npc", "1,1,1"); // 6/10 = 0.6 → panel_short
    let s = Camp::new(SURVEY, plan(PUB_NPC, ""), roster(&["U1", "U2"]), &b).run();
    approx(s.unit("U1").score.public_share, 0.7, "U1 public share");
    assert_eq!(s.status("U1"), "ranked");
    approx(s.unit("U2").score.public_share, 0.6, "U2 public share");
    assert_eq!(s.status("U2"), "panel_short");
    assert_eq!((s.rank("U2"), s.grade("U2")), (None, None));
    assert!(
        s.unit("U2").why_not_ranked().contains("0.6"),
        "{}",
        s.unit("U2").why_not_ranked()
    );
    // Not ranked, but the numbers are shown: composite 100.
    approx(s.unit("U2").score.composite, 100.0, "U2 composite");
}

#[test]
fn min_valid_ballots_boundary() {
    let mut b = Ballots::new(ITEMS);
    b.add(10, "U1", "pub", "1,1,1"); // 10 valid → ranked
    b.add(9, "U2", "pub", "1,1,1"); // 9 valid → too_few_ballots
    b.add(9, "U3", "pub", "1,1,1").add(2, "U3", "pub", "7,1,1"); // 9 valid + 2 bad codes → too_few
    b.add(10, "U4", "pub", "1,1,1").add(1, "U4", "pub", "1,,"); // 10 valid + 1 rejected → ranked
    let s = Camp::new(SURVEY, plan(PUB_NPC, ""), roster(&["U1", "U2", "U3", "U4", "U5"]), &b).run();
    assert_eq!(s.status("U1"), "ranked");
    assert_eq!(s.status("U2"), "too_few_ballots");
    assert_eq!(s.status("U3"), "too_few_ballots");
    assert_eq!(s.status("U4"), "ranked");
    // U5 has no ballot: too few, and every number it cannot have is empty (§10).
    assert_eq!(s.status("U5"), "too_few_ballots");
    let t = s.file("results.csv");
    for col in [
        "public_share",
        "integrity",
        "lawful",
        "composite",
        "satisfaction_rate",
        "final",
        "grade",
        "rank",
    ] {
        assert_eq!(t.cell("unit_id", "U5", col), "", "U5 {col}");
    }
    assert_eq!(t.cell("unit_id", "U5", "valid_ballots"), "0");
    assert_eq!(t.cell("unit_id", "U5", "deduction"), "0");
}

#[test]
fn group_quota_min_share() {
    let groups = "  - {id: pub, public: true}\n  - {id: svc, public: true, min_share: 0.2}\n  - {id: npc}\n";
    let mut b = Ballots::new(ITEMS);
    b.add(8, "U1", "pub", "1,1,1").add(2, "U1", "svc", "1,1,1"); // svc 2/10 = 0.2 → passes
    b.add(9, "U2", "pub", "1,1,1").add(1, "U2", "svc", "1,1,1"); // svc 1/10 = 0.1 → short
    b.add(7, "U3", "pub", "1,1,1").add(3, "U3", "npc", "1,1,1"); // svc 0/10 → short (public 0.7 ok)
    let s = Camp::new(SURVEY, plan(groups, ""), roster(&["U1", "U2", "U3"]), &b).run();
    assert_eq!(s.status("U1"), "ranked");
    assert_eq!(s.status("U2"), "panel_short");
    approx(
        s.unit("U2").score.public_share,
        1.0,
        "U2 public share (the public rule is met)",
    );
    let why = s.unit("U2").why_not_ranked();
    assert!(
        why.contains("svc") && why.contains("0.1"),
        "the note names the group and its share: {why}"
    );
    assert_eq!(s.status("U3"), "panel_short");
    assert!(
        s.unit("U3").why_not_ranked().contains("svc"),
        "{}",
        s.unit("U3").why_not_ranked()
    );
}

#[test]
fn void_when_more_rows_than_issued() {
    let r = "unit_id,name,department,kind,issued\nU1,a,D,K,10\nU2,b,D,K,10\nU3,c,D,K,11\nU4,d,D,K,\n";
    let mut b = Ballots::new(ITEMS);
    b.add(10, "U1", "pub", "1,1,1"); // 10 read ≤ 10 issued → ranked
    b.add(10, "U2", "pub", "1,1,1").add(1, "U2", "alien", "1,1,1"); // 10 valid + 1 rejected = 11 > 10 → void
    b.add(10, "U3", "pub", "1,1,1").add(1, "U3", "pub", "7,1,1"); // 11 read = 11 issued → ranked
    b.add(12, "U4", "pub", "1,1,1"); // issued not recorded → ranked
    let s = Camp::new(SURVEY, plan(PUB_NPC, ""), r.to_string(), &b).run();
    assert_eq!(s.status("U1"), "ranked");
    assert_eq!(s.status("U2"), "void");
    assert_eq!((s.rank("U2"), s.grade("U2")), (None, None));
    assert_eq!(s.unit("U2").panel.over_returned, Some((11, 10)));
    approx(
        s.unit("U2").score.composite,
        100.0,
        "void unit still shows its composite",
    );
    assert_eq!(s.status("U3"), "ranked");
    assert_eq!(s.status("U4"), "ranked");
}

#[test]
fn strict_fails_naming_each_panel_short_unit() {
    let mut b = Ballots::new(ITEMS);
    b.add(10, "U1", "pub", "1,1,1");
    b.add(6, "U2", "pub", "1,1,1").add(4, "U2", "npc", "1,1,1"); // 0.6
    b.add(5, "U3", "pub", "1,1,1").add(5, "U3", "npc", "1,1,1"); // 0.5
    let mut c = Camp::new(SURVEY, plan(PUB_NPC, ""), roster(&["U1", "U2", "U3"]), &b);
    assert_eq!(
        c.run().status("U2"),
        "panel_short",
        "without --strict the unit is only marked"
    );
    c.strict = true;
    let Err(e) = c.try_run() else {
        panic!("--strict must fail")
    };
    let msg = e.to_string();
    match e.into_kind() {
        ErrorKind::Panel { violations } => {
            let ids: Vec<&str> = violations.iter().map(|v| v.unit_id.as_str()).collect();
            assert_eq!(ids, ["U2", "U3"]);
        }
        other => panic!("expected a panel error, got {other:?}"),
    }
    assert!(
        msg.contains("U2") && msg.contains("0.6") && msg.contains("U3") && msg.contains("0.5"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------
// §10 Status precedence
// ---------------------------------------------------------------------------

const COMPLAINT_HEAD: &str = "complaint_id,unit_id,date,category,status,source\n";

/// general 2 points, serious 5, misconduct veto, note (no points, no veto); cap 6.
const CATEGORIES: &str = "complaints:\n  max_deduction: 6\n  categories:\n    - {id: general, points: 2}\n    - {id: serious, points: 5}\n    - {id: misconduct, veto: true}\n    - {id: note}\n";

#[test]
fn bonus_is_added_after_deduction_and_capped() {
    // One item, one ballot per unit: the composite is the option's score (95).
    let opts = "      - {code: \"95\", score: 95, satisfied: true}\n";
    let cats = "complaints:\n  max_deduction: 6\n  max_bonus: 5\n  categories:\n    - {id: general, points: 2}\n    - {id: award, bonus: 3}\n";
    let mut b = Ballots::new(&["q"]);
    for u in ["A", "B", "C", "D"] {
        b.add(1, u, "pub", "95");
    }
    let complaints = format!(
        "{COMPLAINT_HEAD}K1,A,2010-03-01,award,verified,x\nK2,A,2010-04-01,award,verified,x\n\
         K3,B,2010-03-01,award,verified,x\nK4,B,2010-03-02,general,verified,x\n\
         K5,C,2010-03-01,award,unverified,x\nK6,D,2011-01-01,award,verified,x\n"
    );
    let s = Camp::new(
        &one_item_survey(opts),
        plan(PUB_NPC, &format!("{LOOSE}{cats}")),
        roster(&["A", "B", "C", "D"]),
        &b,
    )
    .complaints(&complaints)
    .run();
    // A: 95 − 0 + min(5, 3 + 3) = 100 (capped: "base 100, at most 110" with cap 10).
    // B: 95 − 2 + 3 = 96.  C: the award is unverified → 95.  D: out of period → 95.
    approx(s.unit("A").final_score, 100.0, "A");
    approx(s.unit("B").final_score, 96.0, "B");
    approx(s.unit("C").final_score, 95.0, "C");
    approx(s.unit("D").final_score, 95.0, "D");
    assert_eq!(s.unit("A").complaints.bonus_points, 6.0);
    let t = s.file("results.csv");
    assert_eq!(t.cell("unit_id", "A", "bonus"), "5");
    assert_eq!(t.cell("unit_id", "B", "bonus"), "3");
    assert_eq!(t.cell("unit_id", "B", "deduction"), "2");
    assert_eq!(t.cell("unit_id", "C", "bonus"), "0");
    assert_eq!(s.listing(), ["A", "B", "C", "D"]);
    // Without a bonus category there is no bonus column; a category cannot both add
    // and deduct.
    let plain = Camp::new(&one_item_survey(opts), plan(PUB_NPC, LOOSE), roster(&["A"]), &b).run();
    assert!(!plain.file("results.csv").header.iter().any(|h| h == "bonus"));
    let survey = Survey::from_yaml(&one_item_survey(opts), Path::new("s.yaml")).expect("survey");
    let both = "complaints:\n  categories:\n    - {id: odd, points: 1, bonus: 1}\n";
    let e = Plan::from_yaml(&plan(PUB_NPC, &format!("{LOOSE}{both}")), Path::new("p.yaml"), survey)
        .expect_err("adds and deducts");
    assert!(e.to_string().contains("complaints.categories[0].bonus"), "{e}");
}

#[test]
fn consecutive_period_rule_marks_units_on_the_same_side_periods_running() {
    let opts = "      - {code: \"90\", score: 90, satisfied: true}\n      - {code: \"80\", score: 80, satisfied: true}\n      - {code: \"70\", score: 70, satisfied: true}\n";
    let mut b = Ballots::new(&["q"]);
    for (u, x) in [("A", "90"), ("B", "80"), ("C", "70"), ("D", "70")] {
        b.add(1, u, "pub", x);
    }
    let rule = |periods: u32| {
        format!(
            "{LOOSE}ranking: {{top_n: 1, bottom_n: 1, consecutive: {{periods: {periods}, side: bottom, zh: 黄牌}}}}\n"
        )
    };
    // This period C and D tie at the bottom (70; both `bottom`: fewer than 1 unit
    // below them). Last period C was bottom, D was not; the period before, C was.
    let last = Period::load(
        &Source::text(
            "m1/results.csv",
            "unit_id,status,top,bottom,period_start,period_end\nA,ranked,true,false,2010-05-01,2010-05-31\nC,ranked,false,true,2010-05-01,2010-05-31\nD,ranked,false,false,2010-05-01,2010-05-31\n",
        ),
        Encoding::Utf8,
    )
    .expect("last");
    let before = Period::load(
        &Source::text(
            "m0/results.csv",
            "unit_id,top,bottom,period_start,period_end\nC,false,true,2010-04-01,2010-04-30\n",
        ),
        Encoding::Utf8,
    )
    .expect("before");
    let marks = |periods: u32, earlier: &[Period]| {
        let mut s = Camp::new(
            &one_item_survey(opts),
            plan(PUB_NPC, &rule(periods)),
            roster(&["A", "B", "C", "D"]),
            &b,
        )
        .run();
        campaign::apply_history(&s.plan, &s.roster, &mut s.outcome, earlier);
        let t = s.file("results.csv");
        ["A", "B", "C", "D"].map(|u| t.cell("unit_id", u, "consecutive").to_string())
    };
    // Two periods running: C (bottom now and last period); D only now.
    assert_eq!(
        marks(2, std::slice::from_ref(&last)),
        ["false", "false", "true", "false"]
    );
    // Three: C again (bottom in both earlier files); without the older file nobody
    // can be marked, so the column is empty.
    assert_eq!(
        marks(3, &[last.clone(), before.clone()]),
        ["false", "false", "true", "false"]
    );
    assert_eq!(marks(3, std::slice::from_ref(&last)), ["", "", "", ""]);
    // Files in the wrong order (older first) give another answer: most recent first.
    let older_first = Period::load(
        &Source::text(
            "x.csv",
            "unit_id,top,bottom,period_start,period_end\nD,false,true,2010-03-01,2010-03-31\n",
        ),
        Encoding::Utf8,
    )
    .expect("x");
    assert_eq!(
        marks(2, &[older_first.clone(), last.clone()]),
        ["false", "false", "false", "true"]
    );
    // `history::order` puts them most recent first by their periods (SPEC §12), so
    // the command line's order no longer matters.
    let june = appraise::rules::plan::Period::parse("2010-06").expect("june");
    let ordered =
        appraise::score::history::order(&june, &["A", "C", "D"], vec![older_first, last.clone()]).expect("ordered");
    assert_eq!(ordered[0].path, "m1/results.csv");
    assert_eq!(marks(2, &ordered), marks(2, std::slice::from_ref(&last)));
    // A file without the period columns (written before them) is refused, naming them.
    let e = Period::load(
        &Source::text("old.csv", "unit_id,top,bottom\nD,false,true\n"),
        Encoding::Utf8,
    )
    .expect_err("no period");
    assert!(
        e.to_string().contains("period_start") && e.to_string().contains("old.csv"),
        "{e}"
    );
    // A results file without `bottom`, or with a flag that is not true/false, is refused.
    let e = Period::load(&Source::text("y.csv", "unit_id,top\nA,true\n"), Encoding::Utf8).expect_err("no bottom");
    assert!(e.to_string().contains("bottom"), "{e}");
    let e = Period::load(
        &Source::text(
            "z.csv",
            "unit_id,top,bottom,period_start,period_end\nA,yes,false,2010-01-01,2010-01-31\n",
        ),
        Encoding::Utf8,
    )
    .expect_err("yes");
    assert!(e.to_string().contains("z.csv:2"), "{e}");
}

#[test]
fn awards_go_to_the_first_qualified_units_in_listing_order_with_ties() {
    let opts = "      - {code: \"99\", score: 99, satisfied: true}\n      - {code: \"98\", score: 98, satisfied: true}\n      - {code: \"95\", score: 95, satisfied: true}\n      - {code: \"90\", score: 90}\n";
    let mut b = Ballots::new(&["q"]);
    for (u, x) in [("A", "98"), ("B", "98"), ("C", "95"), ("D", "90"), ("E", "99")] {
        b.add(1, u, "pub", x);
    }
    let rules = "complaints:\n  categories:\n    - {id: note}\n\
                 awards:\n  - {id: hongqi, zh: 红旗窗口, count: 1, min_rate: 1.0, max_complaints: 0}\n\
                 \x20\x20- {id: manyi, zh: 满意窗口, count: 3, min_final: 95}\n";
    let s = Camp::new(
        &one_item_survey(opts),
        plan(PUB_NPC, &format!("{LOOSE}{rules}")),
        roster(&["A", "B", "C", "D", "E"]),
        &b,
    )
    .complaints(&format!("{COMPLAINT_HEAD}K1,E,2010-06-01,note,verified,x\n"))
    .run();
    // Listing: E 99 (rank 1), A 98 and B 98 (rank 2), C 95 (4), D 90 (5, rate 0).
    // 红旗: rate 1 and no verified complaint → A, B, C qualify (E has a complaint, D
    // a rate of 0); count 1 takes A, and B, tied with A in rank, too.
    // 满意: final ≥ 95 → E, A, B, C; count 3 takes E, A, B; C (rank 4) is not tied.
    let t = s.file("results.csv");
    let awards = |u: &str| t.cell("unit_id", u, "awards").to_string();
    assert_eq!(awards("E"), "manyi");
    assert_eq!(awards("A"), "hongqi;manyi");
    assert_eq!(awards("B"), "hongqi;manyi");
    assert_eq!(awards("C"), "");
    assert_eq!(awards("D"), "");
    let report = String::from_utf8(s.file_bytes("report.md")).expect("utf-8");
    assert!(report.contains("红旗窗口: A（单位A）, B（单位B）"), "{report}");
}

#[test]
fn status_precedence() {
    let r = "unit_id,name,department,kind,issued\n\
             E1,a,D,K,5\n\
             V1,b,D,K,9\n\
             T1,c,D,K,\n\
             F1,d,D,K,\n\
             P1,e,D,K,\n\
             I1,f,D,K,\n\
             R1,g,D,K,\n";
    let mut b = Ballots::new(ITEMS);
    b.add(6, "E1", "pub", "1,1,1"); //   excluded + void (6 > 5) + veto + too few
    b.add(10, "V1", "pub", "1,1,1"); //  void (10 > 9) + veto
    b.add(3, "T1", "pub", "1,1,1"); //   veto + too few
    b.add(5, "F1", "npc", "1,1,1"); //   too few + panel short
    b.add(10, "P1", "npc", "1,1,"); //   panel short + incomplete (law1 always blank)
    b.add(10, "I1", "pub", "1,1,"); //   incomplete
    b.add(10, "R1", "pub", "1,1,1"); //  ranked (its veto complaint is unverified)
    let complaints = format!(
        "{COMPLAINT_HEAD}C1,E1,2010-05-01,misconduct,verified,x\nC2,V1,2010-05-01,misconduct,verified,x\n\
         C3,T1,2010-05-01,misconduct,verified,x\nC4,R1,2010-05-01,misconduct,unverified,x\n"
    );
    let s = Camp::new(
        SURVEY,
        plan(PUB_NPC, &format!("{CATEGORIES}exclude: [E1]\n")),
        r.to_string(),
        &b,
    )
    .complaints(&complaints)
    .run();
    let want = [
        ("E1", "excluded"),
        ("V1", "void"),
        ("T1", "vetoed"),
        ("F1", "too_few_ballots"),
        ("P1", "panel_short"),
        ("I1", "incomplete"),
        ("R1", "ranked"),
    ];
    for (id, status) in want {
        assert_eq!(s.status(id), status, "status of {id}");
    }
    // An excluded or void unit with a veto keeps its status and gets no grade.
    assert_eq!((s.grade("E1"), s.rank("E1")), (None, None));
    assert_eq!((s.grade("V1"), s.rank("V1")), (None, None));
    // A vetoed unit gets the lowest band and no rank, but keeps its scores: 100 − 0 = 100.
    assert_eq!((s.grade("T1"), s.rank("T1")), (Some("fail"), None));
    approx(s.unit("T1").score.composite, 100.0, "vetoed composite");
    approx(s.unit("T1").final_score, 100.0, "vetoed final");
    // Excluded units show their numbers too.
    approx(s.unit("E1").score.composite, 100.0, "excluded composite");
    // Incomplete: composite over the dimensions that have a score (integrity = 100), no grade.
    approx(s.unit("I1").score.composite, 100.0, "incomplete composite");
    assert_eq!(s.unit("I1").score.dimensions[1], None);
    assert_eq!((s.grade("I1"), s.rank("I1")), (None, None));
    // The only ranked unit.
    assert_eq!((s.rank("R1"), s.grade("R1")), (Some(1), Some("excellent")));
    assert_eq!(s.listing(), ["R1"]);
    let t = s.file("results.csv");
    assert_eq!(t.cell("unit_id", "T1", "grade"), "fail");
    assert_eq!(t.cell("unit_id", "T1", "rank"), "");
    assert_eq!(t.cell("unit_id", "I1", "lawful"), "");
    assert_eq!(t.cell("unit_id", "E1", "grade"), "");
}

// ---------------------------------------------------------------------------
// §8 Complaints
// ---------------------------------------------------------------------------

#[test]
fn complaints_deduct_cap_veto_and_reject_in_order() {
    let mut b = Ballots::new(ITEMS);
    for u in ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8"] {
        b.add(1, u, "pub", "1,1,1"); // composite 100
    }
    let complaints = format!(
        "{COMPLAINT_HEAD}\
C01,U1,2010-12-31,general,verified,letter
C02,U1,2010-01-01,general,verified,letter
C03,U1,2011-01-01,serious,verified,letter
C04,U1,2009-12-31,serious,verified,letter
C05,U1,2010-06-01,serious,unverified,hotline
C06,U1,2010-06-01,serious,dismissed,hotline
C07,U2,2010-03-01,general,verified,x
C08,U2,2010-03-02,serious,verified,x
C09,U2,2010-03-03,general,verified,x
C10,U3,2010-03-03,note,verified,x
C11,U9,2010/06/01,nope,pending,x
C12,U4,2010/06/01,nope,pending,x
C13,U4,2010/06/01,general,pending,x
C14,U4,06/01/2010,general,verified,x
C14,U4,2010-06-01,general,verified,x
C05,U5,2010-06-01,general,verified,x
C01,U5,2010-06-01,general,verified,x
 C15 , U5 , 2010-05-05 , serious , verified ,x
C16,U6,2010-07-01,misconduct,verified,x
C17,U7,2011-02-01,misconduct,verified,x
C18,U8,2010-07-01,misconduct,unverified,x
C19,U6,2010-02-30,general,verified,x
"
    );
    let s = Camp::new(
        SURVEY,
        plan(PUB_NPC, &format!("{LOOSE}{CATEGORIES}")),
        roster(&["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8"]),
        &b,
    )
    .complaints(&complaints)
    .run();
    assert_eq!(
        s.complaint_rejects(),
        vec![
            (12, "unknown_unit"),     // C11: every field is wrong; the unit is checked first
            (13, "unknown_category"), // C12: category, status and date wrong
            (14, "bad_status"),       // C13: status and date wrong
            (15, "bad_date"),         // C14: 06/01/2010, day or month first
            (17, "duplicate"),        // C05 again (the first, unverified, stays)
            (18, "duplicate"),        // C01 again
            (23, "bad_date"),         // C19: 2010-02-30 is no calendar day
        ]
    );
    let x = |id: &str| s.unit(id).complaints.deduction;
    // U1: C01 (on the end day) 2 + C02 (on the start day) 2 = 4; C03/C04 out of the period,
    // C05 unverified and C06 dismissed deduct nothing.
    assert_eq!(x("U1"), 4.0);
    let c1 = &s.unit("U1").complaints;
    assert_eq!(
        (c1.counted, c1.out_of_period, c1.unverified, c1.dismissed),
        (2, 2, 1, 1)
    );
    // U2: 2 + 5 + 2 = 9, capped at max_deduction 6.
    assert_eq!(x("U2"), 6.0);
    // U3: a category without points deducts 0 (but is counted).
    assert_eq!((x("U3"), s.unit("U3").complaints.counted), (0.0, 1));
    // U4: the second C14 is not a duplicate, since the first C14 was rejected: 2.
    assert_eq!(x("U4"), 2.0);
    // U5: the repeated C05 and C01 are rejected; padded C15 (serious) counts: 5.
    assert_eq!(x("U5"), 5.0);
    // U6 vetoed by C16 (its bad-date C19 deducts nothing); U7's veto is outside the period,
    // U8's unverified.
    assert_eq!(s.status("U6"), "vetoed");
    assert_eq!(s.unit("U6").complaints.veto_ids, ["C16"]);
    assert_eq!((s.status("U7"), s.status("U8")), ("ranked", "ranked"));
    assert_eq!((x("U6"), x("U7"), x("U8")), (0.0, 0.0, 0.0));
    // Final = 100 − X.
    approx(s.unit("U1").final_score, 96.0, "U1 final");
    approx(s.unit("U2").final_score, 94.0, "U2 final");
    approx(s.unit("U5").final_score, 95.0, "U5 final");
    // Accounting: 22 rows = 7 rejected + 9 counted + 3 out of period + 2 unverified + 1 dismissed.
    let a = output::complaint_accounting(&s.outcome);
    assert_eq!(
        (
            a.read,
            a.rejected,
            a.counted,
            a.out_of_period,
            a.unverified,
            a.dismissed
        ),
        (22, 7, 9, 3, 2, 1)
    );
    // complaint_rejects.csv
    let t = s.file("complaint_rejects.csv");
    assert_eq!(t.header[..4], ["row", "complaint_id", "reason", "detail"]);
    assert_eq!(t.rows[3][..3], ["15", "C14", "bad_date"]);
}

#[test]
fn final_is_never_below_zero() {
    let mut b = Ballots::new(ITEMS);
    // Each item: (100 + 9·0) / 10 = 10, so every dimension and the composite are 10.
    b.add(1, "U1", "pub", "1,1,1").add(9, "U1", "pub", "3,3,3");
    b.add(1, "U2", "pub", "1,1,1").add(9, "U2", "pub", "3,3,3");
    let cats = "complaints:\n  categories:\n    - {id: general, points: 2}\n    - {id: serious, points: 5}\n";
    let complaints = format!(
        "{COMPLAINT_HEAD}C1,U1,2010-02-01,serious,verified,x\nC2,U1,2010-02-02,serious,verified,x\n\
         C3,U1,2010-02-03,general,verified,x\nC4,U2,2010-02-03,general,verified,x\n"
    );
    let s = Camp::new(
        SURVEY,
        plan(PUB_NPC, &format!("{LOOSE}{cats}")),
        roster(&["U1", "U2"]),
        &b,
    )
    .complaints(&complaints)
    .run();
    approx(s.unit("U1").score.composite, 10.0, "U1 composite");
    // No cap: X = 5 + 5 + 2 = 12; F = max(0, 10 − 12) = 0
    assert_eq!(s.unit("U1").complaints.deduction, 12.0);
    assert_eq!(s.unit("U1").final_score, Some(0.0));
    // U2: F = 10 − 2 = 8
    approx(s.unit("U2").final_score, 8.0, "U2 final");
    assert_eq!((s.rank("U1"), s.grade("U1")), (Some(2), Some("fail")));
    let t = s.file("results.csv");
    assert_eq!(t.cell("unit_id", "U1", "final"), "0");
    assert_eq!(t.cell("unit_id", "U1", "deduction"), "12");
}

// ---------------------------------------------------------------------------
// §9 Final score, grade, rank
// ---------------------------------------------------------------------------

#[test]
fn round_steps_is_half_away_from_zero_on_the_binary_value() {
    assert_eq!(num::round_steps(90.125, 2), 9013); // exact in binary: a true half → up
    assert_eq!(num::round_steps(90.115, 2), 9011); // stored as 90.11499999999999…
    assert_eq!(num::round_steps(89.996, 2), 9000);
    assert_eq!(num::round_steps(89.994, 2), 8999);
    assert_eq!(num::round_steps(0.125, 2), 13); // not banker's 12
    assert_eq!(num::round_steps(2.5, 0), 3); // not banker's 2
    assert_eq!(num::round_steps(1.005, 2), 100); // 1.00499999999999989…
    assert_eq!(num::round_steps(100.0, 2), 10000);
    assert_eq!(num::round_steps(90.125, 1), 901); // 90.1|25 → 90.1
    assert_eq!(num::steps_text(9000, 2), "90.00");
}

#[test]
fn rounding_decides_rank_and_grade() {
    let opts: String = [
        ("a", "90.125"),
        ("b", "90.13"),
        ("c", "90.115"),
        ("d", "89.996"),
        ("e", "89.994"),
    ]
    .iter()
    .map(|(code, score)| format!("      - {{code: {code}, score: {score}, satisfied: true}}\n"))
    .collect();
    let survey = one_item_survey(&opts);
    let mut b = Ballots::new(&["q"]);
    b.add(1, "U5", "pub", "e")
        .add(1, "U4", "pub", "d")
        .add(1, "U3", "pub", "c")
        .add(1, "U2", "pub", "b")
        .add(1, "U1", "pub", "a");
    let s = Camp::new(
        &survey,
        plan(PUB_NPC, LOOSE),
        roster(&["U1", "U2", "U3", "U4", "U5"]),
        &b,
    )
    .run();
    // One ballot each: the composite and final are exactly the option's score.
    assert_eq!(s.unit("U3").final_score, Some(90.115));
    assert_eq!(s.unit("U1").final_score, Some(90.125));
    let t = s.file("results.csv");
    let published: Vec<&str> = ["U1", "U2", "U3", "U4", "U5"]
        .iter()
        .map(|u| t.cell("unit_id", u, "final_published"))
        .collect();
    // 90.125 → 90.13, 90.13, 90.115 → 90.11, 89.996 → 90.00, 89.994 → 89.99
    assert_eq!(published, ["90.13", "90.13", "90.11", "90.00", "89.99"]);
    // U1 and U2 tie on the published 90.13 (rank 1, 1); listed by unit_id.
    let ranks: Vec<Option<u64>> = ["U1", "U2", "U3", "U4", "U5"].iter().map(|u| s.rank(u)).collect();
    assert_eq!(ranks, [Some(1), Some(1), Some(3), Some(4), Some(5)]);
    assert_eq!(s.listing(), ["U1", "U2", "U3", "U4", "U5"]);
    // 89.996 shows as 90.00 and is graded as 90 (优秀); 89.994 → 89.99 is 良好.
    assert_eq!(s.grade("U4"), Some("excellent"));
    assert_eq!(s.grade("U5"), Some("good"));
}

/// Options: 1 → 100 satisfied, 2 → 80 satisfied, 3 → 80 not satisfied, 4 → 70 satisfied.
const TIE_OPTIONS: &str = "      - {code: \"1\", score: 100, satisfied: true}\n      - {code: \"2\", score: 80, satisfied: true}\n      - {code: \"3\", score: 80}\n      - {code: \"4\", score: 70, satisfied: true}\n";

fn tie_campaign(ranking: &str) -> Scored {
    let mut b = Ballots::new(&["q"]);
    b.add(5, "K1", "pub", "3") // 80, rate 0, 5 valid
        .add(2, "K3", "pub", "2") // 80, rate 1, 2 valid
        .add(1, "K5", "pub", "1") // 100
        .add(3, "K4", "pub", "2") // 80, rate 1, 3 valid
        .add(1, "K6", "pub", "4") // 70
        .add(2, "K2", "pub", "2"); // 80, rate 1, 2 valid
    Camp::new(
        &one_item_survey(TIE_OPTIONS),
        plan(PUB_NPC, &format!("{LOOSE}{ranking}")),
        roster(&["K1", "K3", "K5", "K4", "K6", "K2"]),
        &b,
    )
    .run()
}

#[test]
fn competition_ranking_with_tie_break_listing() {
    let s = tie_campaign("ranking: {top_n: 1, bottom_n: 1}\n");
    // Listing: 100 first; the four 80s by rate (K1 last, rate 0), then valid ballots
    // (K4 has 3), then unit_id (K2 before K3); 70 last.
    assert_eq!(s.listing(), ["K5", "K4", "K2", "K3", "K1", "K6"]);
    // Competition ranking: the tie-breaks order the list but do not split the rank.
    let ranks: Vec<Option<u64>> = ["K5", "K4", "K2", "K3", "K1", "K6"].iter().map(|u| s.rank(u)).collect();
    assert_eq!(ranks, [Some(1), Some(2), Some(2), Some(2), Some(2), Some(6)]);
    let top: Vec<&str> = s.listing().into_iter().filter(|u| s.unit(u).placing.top).collect();
    let bottom: Vec<&str> = s.listing().into_iter().filter(|u| s.unit(u).placing.bottom).collect();
    assert_eq!((top, bottom), (vec!["K5"], vec!["K6"]));
    let t = s.file("results.csv");
    assert_eq!(t.cell("unit_id", "K6", "rank"), "6");
    assert_eq!(
        (t.cell("unit_id", "K5", "top"), t.cell("unit_id", "K6", "bottom")),
        ("true", "true")
    );
    assert_eq!(
        (t.cell("unit_id", "K4", "top"), t.cell("unit_id", "K4", "bottom")),
        ("false", "false")
    );
}

#[test]
fn top_and_bottom_flags_include_ties_at_the_cut() {
    // Default top_n = bottom_n = 3. Pinned choice: a unit is front-of-list when its
    // rank ≤ 3, and back-of-list when fewer than 3 ranked units are below it, so the
    // four units tied at rank 2 are in both.
    let s = tie_campaign("");
    let top: Vec<&str> = s.listing().into_iter().filter(|u| s.unit(u).placing.top).collect();
    let bottom: Vec<&str> = s.listing().into_iter().filter(|u| s.unit(u).placing.bottom).collect();
    assert_eq!(top, ["K5", "K4", "K2", "K3", "K1"]);
    assert_eq!(bottom, ["K4", "K2", "K3", "K1", "K6"]);
}

#[test]
fn ranks_within_department_and_kind() {
    let opts: String = [100, 95, 90, 85, 80]
        .iter()
        .map(|p| format!("      - {{code: \"{p}\", score: {p}, satisfied: true}}\n"))
        .collect();
    let r = "unit_id,name,department,kind\n\
             A,a,X,站所\nB,b,Y,站所\nC,c,X,窗口\nD,d,X,站所\nE,e,Y,窗口\nF,f,X,站所\nG,g,X,窗口\n";
    let mut b = Ballots::new(&["q"]);
    b.add(1, "A", "pub", "95")
        .add(1, "B", "pub", "90")
        .add(1, "C", "pub", "85")
        .add(1, "D", "pub", "85")
        .add(1, "E", "pub", "80")
        .add(1, "F", "pub", "100") // excluded: takes no place anywhere
        .add(1, "G", "pub", "80");
    let s = Camp::new(
        &one_item_survey(&opts),
        plan(PUB_NPC, &format!("{LOOSE}exclude: [F]\n")),
        r.to_string(),
        &b,
    )
    .run();
    let p = |id: &str| {
        let x = &s.unit(id).placing;
        (x.rank, x.rank_department, x.rank_kind)
    };
    // overall: A 95 → 1, B 90 → 2, C/D 85 → 3, 3, E/G 80 → 5, 5
    // department X: A 1, C/D 2, 2, G 4; department Y: B 1, E 2
    // kind 站所: A 1, B 2, D 3; kind 窗口: C 1, E/G 2, 2
    assert_eq!(p("A"), (Some(1), Some(1), Some(1)));
    assert_eq!(p("B"), (Some(2), Some(1), Some(2)));
    assert_eq!(p("C"), (Some(3), Some(2), Some(1)));
    assert_eq!(p("D"), (Some(3), Some(2), Some(3)));
    assert_eq!(p("E"), (Some(5), Some(2), Some(2)));
    assert_eq!(p("G"), (Some(5), Some(4), Some(2)));
    assert_eq!(p("F"), (None, None, None));
    let t = s.file("results.csv");
    assert_eq!(t.cell("unit_id", "G", "rank_department"), "4");
    assert_eq!(t.cell("unit_id", "G", "rank_kind"), "2");
}

#[test]
fn grade_quota_is_floor_of_share_times_ranked_units_in_decimal() {
    let opts =
        "      - {code: \"100\", score: 100, satisfied: true}\n      - {code: \"95\", score: 95, satisfied: true}\n";
    // 100 ranked units U001..U100 at 95 (listed in reverse in the roster), and four
    // excluded units X1..X4 at 100 that are not ranked units.
    let mut ids: Vec<String> = (1..=100).rev().map(|k| format!("U{k:03}")).collect();
    ids.extend((1..=4).map(|k| format!("X{k}")));
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut b = Ballots::new(&["q"]);
    for id in &ids {
        b.add(1, id, "pub", if id.starts_with('X') { "100" } else { "95" });
    }
    let grades = "grades:\n  - {id: excellent, min: 90, max_share: 0.29}\n  - {id: good, min: 80}\n  - {id: pass, min: 60}\n  - {id: fail, min: 0}\n";
    let s = Camp::new(
        &one_item_survey(opts),
        plan(PUB_NPC, &format!("{LOOSE}{grades}exclude: [X1, X2, X3, X4]\n")),
        roster(&ids),
        &b,
    )
    .run();
    // floor(0.29 × 100) = 29 in decimal (28 in binary, 28.999999999999996; 30 if the
    // four excluded units were counted: floor(0.29 × 104) = 30).
    let excellent: Vec<&str> = s
        .listing()
        .into_iter()
        .filter(|u| s.grade(u) == Some("excellent"))
        .collect();
    assert_eq!(excellent.len(), 29, "{excellent:?}");
    // All 100 tie (rank 1); the places go in listing order (unit_id ascending), the
    // rest drop to the next band.
    assert_eq!(excellent.first().copied(), Some("U001"));
    assert_eq!(excellent.last().copied(), Some("U029"));
    assert_eq!(s.grade("U030"), Some("good"));
    assert_eq!(s.grade("U100"), Some("good"));
    assert_eq!(s.rank("U100"), Some(1));
    assert_eq!(s.grade("X1"), None);
    assert_eq!(num::floor_share(0.29, 100), 29);
}

#[test]
fn grade_quota_within_each_department_fills_its_own_places() {
    let opts = "      - {code: \"96\", score: 96, satisfied: true}\n      - {code: \"95\", score: 95, satisfied: true}\n      - {code: \"94\", score: 94, satisfied: true}\n      - {code: \"93\", score: 93, satisfied: true}\n      - {code: \"92\", score: 92, satisfied: true}\n";
    // Department A: A1 96, A2 95, A3 94 (3 ranked); department B: B1 93, B2 92,
    // B3 92, B4 92, B5 92, B6 92, B7 92 (7 ranked). 先进 (min 90) at most 30% of
    // each department: floor(0.3 × 3) = 0 places in A, floor(0.3 × 7) = 2 in B.
    // Counted over all 10 ranked units it would be floor(0.3 × 10) = 3: A1, A2, A3.
    let mut r = String::from("unit_id,name,department,kind\n");
    let scores = [
        ("A1", "A", "96"),
        ("A2", "A", "95"),
        ("A3", "A", "94"),
        ("B1", "B", "93"),
    ];
    let mut units: Vec<(String, &str, &str)> = scores.iter().map(|&(u, d, x)| (u.to_string(), d, x)).collect();
    units.extend((2..=7).map(|k| (format!("B{k}"), "B", "92")));
    let mut b = Ballots::new(&["q"]);
    for (u, d, x) in &units {
        r.push_str(&format!("{u},{u},{d},K\n"));
        b.add(1, u, "pub", x);
    }
    let run = |share_of: &str| {
        let grades = format!(
            "grades:\n  - {{id: xianjin, min: 90, max_share: 0.3{share_of}}}\n  - {{id: pass, min: 60}}\n  - {{id: fail, min: 0}}\n"
        );
        Camp::new(
            &one_item_survey(opts),
            plan(PUB_NPC, &format!("{LOOSE}{grades}")),
            r.clone(),
            &b,
        )
        .run()
    };
    let per_department = run(", share_of: department");
    let top: Vec<&str> = per_department
        .listing()
        .into_iter()
        .filter(|u| per_department.grade(u) == Some("xianjin"))
        .collect();
    // B's two places go in listing order: B1 (93), then B2 (92; the 92s tie and are
    // listed by unit_id).
    assert_eq!(top, ["B1", "B2"]);
    assert_eq!(per_department.grade("A1"), Some("pass"));
    assert_eq!(per_department.grade("B3"), Some("pass"));
    let overall = run("");
    let top: Vec<&str> = overall
        .listing()
        .into_iter()
        .filter(|u| overall.grade(u) == Some("xianjin"))
        .collect();
    assert_eq!(top, ["A1", "A2", "A3"]);
    // share_of without max_share says nothing: refused.
    let bad = "grades:\n  - {id: x, min: 90, share_of: kind}\n  - {id: fail, min: 0}\n";
    let survey = Survey::from_yaml(&one_item_survey(opts), Path::new("s.yaml")).expect("survey");
    let e = Plan::from_yaml(&plan(PUB_NPC, &format!("{LOOSE}{bad}")), Path::new("p.yaml"), survey)
        .expect_err("share_of without max_share");
    assert!(e.to_string().contains("grades[0].share_of"), "{e}");
}

// ---------------------------------------------------------------------------
// §11 Plan and roster
// ---------------------------------------------------------------------------

#[test]
fn exclude_entry_not_in_roster_is_an_error() {
    let mut b = Ballots::new(ITEMS);
    b.add(1, "U1", "pub", "1,1,1");
    let c = Camp::new(
        SURVEY,
        plan(PUB_NPC, &format!("{LOOSE}exclude: [U1, U404]\n")),
        roster(&["U1"]),
        &b,
    );
    let Err(e) = c.try_run() else {
        panic!("an unknown exclude entry must be an error")
    };
    let msg = e.to_string();
    assert!(matches!(e.kind(), ErrorKind::Mismatch { .. }), "{e:?}");
    assert!(msg.contains("U404"), "{msg}");
    // The same plan with a roster that has U404 is fine.
    let c = Camp::new(
        SURVEY,
        plan(PUB_NPC, &format!("{LOOSE}exclude: [U1, U404]\n")),
        roster(&["U1", "U404"]),
        &b,
    );
    assert_eq!(c.run().status("U1"), "excluded");
}

#[test]
fn unit_status_codes_are_the_spec_codes() {
    let codes: Vec<&str> = [
        UnitStatus::Excluded,
        UnitStatus::Void,
        UnitStatus::Vetoed,
        UnitStatus::TooFewBallots,
        UnitStatus::PanelShort,
        UnitStatus::Incomplete,
        UnitStatus::Ranked,
    ]
    .iter()
    .map(|s| s.code())
    .collect();
    assert_eq!(
        codes,
        [
            "excluded",
            "void",
            "vetoed",
            "too_few_ballots",
            "panel_short",
            "incomplete",
            "ranked"
        ]
    );
}

// ---------------------------------------------------------------------------
// §9 Majority verdict, per-group results
// ---------------------------------------------------------------------------

const VERDICT: &str = "verdict:\n  levels:\n    - {id: satisfied, zh: 满意, codes: [\"1\"]}\n    - {id: basic, zh: 基本满意, codes: [\"1\", \"2\"]}\n  otherwise: {id: dissatisfied, zh: 不满意}\n";

#[test]
fn majority_verdict_follows_the_three_step_rule() {
    let mut b = Ballots::new(ITEMS);
    // U1: 满意 answers 5 of 8 scored (the abstention is out) → 5 > 8/2 → satisfied.
    b.add(1, "U1", "pub", "1,1,1")
        .add(1, "U1", "pub", "1,1,2")
        .add(1, "U1", "pub", "2,3,9");
    // U2: 满意 3 of 9 (not > 4.5); 满意 + 基本满意 3 + 2 = 5 > 4.5 → basic.
    b.add(1, "U2", "pub", "1,1,1")
        .add(1, "U2", "pub", "2,2,3")
        .add(1, "U2", "pub", "3,3,3");
    // U3: 满意 + 基本满意 exactly 3 of 6 — not more than half → dissatisfied.
    b.add(1, "U3", "pub", "1,2,3").add(1, "U3", "pub", "3,3,1");
    let s = Camp::new(
        SURVEY,
        plan(PUB_NPC, &format!("{LOOSE}{VERDICT}")),
        roster(&["U1", "U2", "U3"]),
        &b,
    )
    .run();
    let t = s.file("results.csv");
    assert_eq!(t.cell("unit_id", "U1", "verdict"), "satisfied");
    assert_eq!(t.cell("unit_id", "U2", "verdict"), "basic");
    assert_eq!(t.cell("unit_id", "U3", "verdict"), "dissatisfied");
    // The verdict sits beside the score and changes nothing in it.
    approx(s.unit("U3").score.rate, 0.5, "U3 rate: satisfied codes 1 and 2, 3 of 6");
}

#[test]
fn verdict_codes_must_exist() {
    let bad = VERDICT.replace("[\"1\", \"2\"]", "[\"1\", \"7\"]");
    let survey = Survey::from_yaml(SURVEY, Path::new("s.yaml")).unwrap();
    let e = Plan::from_yaml(&plan(PUB_NPC, &bad), Path::new("p.yaml"), survey).unwrap_err();
    assert!(e.to_string().contains("`7` is not a scored option code"), "{e}");
}

#[test]
fn reported_groups_get_their_own_composite_and_rate() {
    let groups = "  - {id: pub, public: true, report: true}\n  - {id: npc, report: true}\n";
    let mut b = Ballots::new(ITEMS);
    b.add(2, "U1", "pub", "1,1,1") // pub: every item 100
        .add(1, "U1", "npc", "3,2,9"); // npc: int1 0, int2 60, law1 abstains
    let s = Camp::new(SURVEY, plan(groups, LOOSE), roster(&["U1"]), &b).run();
    let t = s.file("results.csv");
    // pub alone: composite 100, rate 6/6.
    assert_eq!(t.cell("unit_id", "U1", "pub_composite"), "100");
    assert_eq!(t.cell("unit_id", "U1", "pub_satisfaction_rate"), "1");
    assert_eq!(t.cell("unit_id", "U1", "pub_valid_ballots"), "2");
    // npc alone: integrity (3·0 + 1·60)/4 = 15; lawful has no scored answer, so the
    // composite is integrity's 15 alone; rate 1 of 2 scored answers.
    assert_eq!(t.cell("unit_id", "U1", "npc_composite"), "15");
    assert_eq!(t.cell("unit_id", "U1", "npc_satisfaction_rate"), "0.5");
}
