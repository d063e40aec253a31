//! Properties of the engine on small random campaigns (proptest):
//!
//! - shuffling ballots changes nothing but the reject row numbers;
//! - tallying shards apart and merging equals tallying the whole;
//! - a further verified in-period complaint never raises a final score;
//! - scaling every option score by a positive constant keeps the ranks.
//!
//! Campaigns are built as text (survey, plan, roster, ballots, complaints) and
//! go through the same readers as files. Option scores are whole numbers, so
//! every sum in a tally is exact and tallies compare with `==`.

use std::path::Path;

use appraise::judge::ballots::Reject;

use appraise::count::tally::Tally;
use appraise::judge::complaints::Complaints;
use appraise::score::outcome::Outcome;
use appraise::{Encoding, Plan, Roster, Source, Survey, campaign};
use proptest::prelude::*;
use proptest::sample::Index;

/// An answer cell.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Blank,
    /// Option `k` (0-based) of the scale: code `k + 1`.
    Code(usize),
    /// `9`, the abstention.
    Abstain,
    /// A value that is no code.
    Bad,
}

#[derive(Clone, Debug)]
struct Ballot {
    /// Roster index; `units` itself stands for an id not in the roster.
    unit: usize,
    /// 0 `pub`, 1 `npc`, 2 an unknown group.
    group: usize,
    /// The rater appraises their own unit.
    own_unit: bool,
    answers: Vec<Answer>,
}

#[derive(Clone, Copy, Debug)]
struct Complaint {
    unit: usize,
    /// 0 `general` (3 points), 1 `serious` (8 points), 2 `veto`.
    category: usize,
    /// 0 verified, 1 unverified, 2 dismissed.
    status: usize,
    in_period: bool,
}

#[derive(Clone, Debug)]
struct Camp {
    /// Whole-number score 0–100 of each option of the one scale.
    scores: Vec<u32>,
    satisfied: Vec<bool>,
    items: usize,
    units: usize,
    weighted: bool,
    cap: bool,
    ballots: Vec<Ballot>,
    complaints: Vec<Complaint>,
}

fn answer(options: usize) -> impl Strategy<Value = Answer> {
    prop_oneof![
        12 => (0..options).prop_map(Answer::Code),
        2 => Just(Answer::Blank),
        1 => Just(Answer::Abstain),
        1 => Just(Answer::Bad),
    ]
}

fn camp() -> impl Strategy<Value = Camp> {
    (2usize..=4, 2usize..=4, 2usize..=5, any::<bool>(), any::<bool>()).prop_flat_map(
        |(options, items, units, weighted, cap)| {
            let ballot = (
                prop_oneof![12 => 0..units, 1 => Just(units)],
                prop_oneof![8 => Just(0usize), 4 => Just(1usize), 1 => Just(2usize)],
                prop::bool::weighted(0.05),
                prop::collection::vec(answer(options), items),
            )
                .prop_map(|(unit, group, own_unit, answers)| Ballot {
                    unit,
                    group,
                    own_unit,
                    answers,
                });
            let complaint = (0..units, 0usize..3, 0usize..3, prop::bool::weighted(0.8)).prop_map(
                |(unit, category, status, in_period)| Complaint {
                    unit,
                    category,
                    status,
                    in_period,
                },
            );
            (
                prop::collection::vec(0u32..=100, options),
                prop::collection::vec(any::<bool>(), options),
                prop::collection::vec(ballot, 0..48),
                prop::collection::vec(complaint, 0..6),
            )
                .prop_map(move |(scores, satisfied, ballots, complaints)| Camp {
                    scores,
                    satisfied,
                    items,
                    units,
                    weighted,
                    cap,
                    ballots,
                    complaints,
                })
        },
    )
}

impl Camp {
    /// Survey YAML with every option score multiplied by `factor`.
    fn survey(&self, factor: f64) -> String {
        let mut s = String::from("id: prop\nversion: 1\nscales:\n  s:\n    options:\n");
        for (k, (&score, &sat)) in self.scores.iter().zip(&self.satisfied).enumerate() {
            let score = f64::from(score) * factor;
            s.push_str(&format!(
                "      - {{code: \"{}\", score: {score:?}, satisfied: {sat}}}\n",
                k + 1
            ));
        }
        s.push_str("      - {code: \"9\", abstain: true}\n");
        s.push_str("dimensions:\n  - {id: d1}\n  - {id: d2, weight: 2}\nitems:\n");
        for i in 0..self.items {
            s.push_str(&format!(
                "  - {{id: q{i}, dimension: d{}, scale: s, weight: {}, zh: 问}}\n",
                1 + i % 2,
                1 + i % 3
            ));
        }
        s
    }

    fn plan_yaml(&self, decimals: u32) -> String {
        format!(
            "id: prop-plan\nsurvey: s.yaml\nperiod: {{start: 2010-01-01, end: 2010-12-31}}\n\
             groups:\n  - {{id: pub, public: true}}\n  - {{id: npc, weight: 2}}\n\
             panel: {{min_public_share: 0, min_valid_ballots: 1}}\n\
             scoring: {{group_weighting: {}}}\n\
             complaints:\n{}  categories:\n    - {{id: general, points: 3}}\n    - {{id: serious, points: 8}}\n    - {{id: veto, veto: true}}\n\
             ranking: {{decimals: {decimals}}}\n",
            if self.weighted { "weighted" } else { "pooled" },
            if self.cap { "  max_deduction: 10\n" } else { "" },
        )
    }

    fn load(&self, factor: f64, decimals: u32) -> (Plan, Roster) {
        let survey = Survey::from_yaml(&self.survey(factor), Path::new("s.yaml")).expect("survey");
        let plan = Plan::from_yaml(&self.plan_yaml(decimals), Path::new("p.yaml"), survey).expect("plan");
        let mut roster = String::from("unit_id,name,department,kind\n");
        for u in 0..self.units {
            roster.push_str(&format!("U{u},单位{u},D{},K\n", u % 2));
        }
        let roster = Roster::read_from(&Source::text("roster.csv", roster), Encoding::Utf8).expect("roster");
        (plan, roster)
    }

    fn header(&self) -> String {
        let mut h = String::from("ballot_id,unit_id,rater_id,rater_group,rater_unit");
        for i in 0..self.items {
            h.push_str(&format!(",q{i}"));
        }
        h.push('\n');
        h
    }

    /// One ballot row; ballot `k` has ballot_id `B{k}` and rater `R{k}`, so no two
    /// ballots share a key.
    fn row(&self, k: usize) -> String {
        let b = &self.ballots[k];
        let unit = if b.unit < self.units {
            format!("U{}", b.unit)
        } else {
            "U404".into()
        };
        let group = ["pub", "npc", "zzz"][b.group];
        let own = if b.own_unit { unit.as_str() } else { "" };
        let mut r = format!("B{k},{unit},R{k},{group},{own}");
        for a in &b.answers {
            r.push(',');
            match a {
                Answer::Blank => {}
                Answer::Code(o) => r.push_str(&(o + 1).to_string()),
                Answer::Abstain => r.push('9'),
                Answer::Bad => r.push('x'),
            }
        }
        r.push('\n');
        r
    }

    /// A ballot file of the ballots `order` names, in that order.
    fn ballots(&self, order: &[usize]) -> String {
        let mut s = self.header();
        for &k in order {
            s.push_str(&self.row(k));
        }
        s
    }

    fn complaints_csv(&self, extra: Option<(usize, usize)>) -> String {
        let mut s = String::from("complaint_id,unit_id,date,category,status\n");
        let line = |s: &mut String, id: &str, c: &Complaint| {
            s.push_str(&format!(
                "{id},U{},{},{},{}\n",
                c.unit,
                if c.in_period { "2010-06-15" } else { "2011-01-01" },
                ["general", "serious", "veto"][c.category],
                ["verified", "unverified", "dismissed"][c.status],
            ));
        };
        for (k, c) in self.complaints.iter().enumerate() {
            line(&mut s, &format!("C{k}"), c);
        }
        if let Some((unit, category)) = extra {
            let c = Complaint {
                unit,
                category,
                status: 0,
                in_period: true,
            };
            line(&mut s, "CX", &c);
        }
        s
    }
}

fn tally(plan: &Plan, roster: &Roster, files: &[String]) -> (Tally, Vec<Reject>) {
    let sources: Vec<Source> = files
        .iter()
        .enumerate()
        .map(|(k, t)| Source::text(format!("b{k}.csv"), t.as_str()))
        .collect();
    let (t, rejects, _) = campaign::tally_files(plan, roster, &sources, Encoding::Utf8, &mut |_| {}).expect("tally");
    (t, rejects.to_vec().expect("rejects"))
}

fn evaluate(plan: &Plan, roster: &Roster, files: &[String], complaints: Option<&str>) -> Outcome {
    let (t, rejects) = tally(plan, roster, files);
    let complaints = match complaints {
        Some(c) => Complaints::load(&Source::text("c.csv", c), Encoding::Utf8, plan, roster).expect("complaints"),
        None => Complaints::none(roster),
    };
    campaign::evaluate(
        plan,
        roster,
        t,
        rejects.into(),
        Vec::new(),
        complaints,
        Default::default(),
    )
    .expect("evaluate")
}

/// The tally, to compare with `==` (slot scores compare by their bits, so the
/// NaN of an abstention slot equals itself).
fn comparable(t: &Tally) -> Tally {
    t.clone()
}

/// Rejects without their row and file, sorted: what shuffling must keep.
fn unplaced(rejects: &[Reject]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = rejects
        .iter()
        .map(|r| (r.ballot_id.clone(), r.reason.code().to_string(), r.detail.clone()))
        .collect();
    v.sort();
    v
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 32,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn shuffling_ballots_changes_only_reject_rows(
        c in camp(),
        seed in any::<u64>(),
    ) {
        let (plan, roster) = c.load(1.0, 2);
        let order: Vec<usize> = (0..c.ballots.len()).collect();
        let mut shuffled = order.clone();
        // A seeded Fisher–Yates shuffle.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let a = evaluate(&plan, &roster, &[c.ballots(&order)], None);
        let b = evaluate(&plan, &roster, &[c.ballots(&shuffled)], None);
        prop_assert_eq!(comparable(&a.tally), comparable(&b.tally));
        prop_assert_eq!(&a.accounting, &b.accounting);
        prop_assert_eq!(&a.units, &b.units);
        prop_assert_eq!(unplaced(&a.rejects.to_vec().expect("rejects")), unplaced(&b.rejects.to_vec().expect("rejects")));
    }

    #[test]
    fn merged_shard_tallies_equal_the_whole(
        c in camp(),
        cuts in prop::collection::vec(any::<Index>(), 0..4),
    ) {
        let (plan, roster) = c.load(1.0, 2);
        let n = c.ballots.len();
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(n + 1)).collect();
        cuts.push(0);
        cuts.push(n);
        cuts.sort_unstable();
        let order: Vec<usize> = (0..n).collect();
        let shards: Vec<String> = cuts.windows(2).map(|w| c.ballots(&order[w[0]..w[1]])).collect();

        let (whole, whole_rejects) = tally(&plan, &roster, &[c.ballots(&order)]);
        let mut merged: Option<Tally> = None;
        let mut shard_rejects = Vec::new();
        for s in &shards {
            let (t, r) = tally(&plan, &roster, std::slice::from_ref(s));
            shard_rejects.extend(r);
            match merged.as_mut() {
                None => merged = Some(t),
                Some(m) => m.merge(&t).expect("same plan and roster"),
            }
        }
        let merged = merged.expect("at least one shard");
        prop_assert_eq!(comparable(&merged), comparable(&whole));
        prop_assert_eq!(unplaced(&shard_rejects), unplaced(&whole_rejects));
        // The shards given as several files of one run: the same tally.
        let (files, _) = tally(&plan, &roster, &shards);
        prop_assert_eq!(comparable(&files), comparable(&whole));
    }

    #[test]
    fn a_verified_complaint_never_raises_a_final_score(
        c in camp(),
        unit in any::<Index>(),
        category in 0usize..3,
    ) {
        let (plan, roster) = c.load(1.0, 2);
        let unit = unit.index(c.units);
        let files = [c.ballots(&(0..c.ballots.len()).collect::<Vec<_>>())];
        let before = evaluate(&plan, &roster, &files, Some(&c.complaints_csv(None)));
        let after = evaluate(&plan, &roster, &files, Some(&c.complaints_csv(Some((unit, category)))));
        for (b, a) in before.units.iter().zip(&after.units) {
            match (b.final_score, a.final_score) {
                (None, None) => {}
                (Some(fb), Some(fa)) => prop_assert!(fa <= fb, "unit {}: {} > {}", b.unit, fa, fb),
                other => prop_assert!(false, "unit {}: final {:?}", b.unit, other),
            }
            prop_assert!(a.complaints.deduction >= b.complaints.deduction);
        }
        prop_assert!(after.units[unit].complaints.counted == before.units[unit].complaints.counted + 1);
    }

    #[test]
    fn scaling_option_scores_keeps_the_ranks(c in camp()) {
        // Ranks use the published score (rounded to `decimals`); at 2 decimals,
        // halving can merge two scores 0.005–0.01 apart into one published
        // figure. At 9 decimals distinct scores of such small campaigns stay
        // distinct, so this checks the scores' order, not the rounding rule.
        let files = [c.ballots(&(0..c.ballots.len()).collect::<Vec<_>>())];
        let (plan, roster) = c.load(1.0, 9);
        let (half_plan, _) = c.load(0.5, 9);
        let a = evaluate(&plan, &roster, &files, None);
        let b = evaluate(&half_plan, &roster, &files, None);
        let ranks = |o: &Outcome| o.units.iter().map(|u| (u.status, u.placing.rank)).collect::<Vec<_>>();
        prop_assert_eq!(ranks(&a), ranks(&b));
        for (x, y) in a.units.iter().zip(&b.units) {
            prop_assert_eq!(x.final_score.map(|f| f / 2.0), y.final_score);
        }
    }
}
