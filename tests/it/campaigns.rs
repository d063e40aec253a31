//! Every shipped campaign (one per campaign kind in the source documents) is
//! simulated, scored and pinned by a snapshot; campaign-specific rules are checked
//! on the way (per-group results of 三满意 and 三优三满意, star bands, the monthly
//! window ranking's 前三/后三).

use appraise::simulate::{self, SimConfig};
use appraise::{Encoding, Plan, Roster, Source, campaign, output};

use crate::{Table, manifest_dir};

/// (plan name, roster file under surveys/examples/).
const CAMPAIGNS: [(&str, &str); 6] = [
    ("minzhu-pingyi", "caidian-2010.roster.csv"),
    ("caidian-2010", "caidian-2010.roster.csv"),
    ("san-manyi", "san-manyi.roster.csv"),
    ("sanyou-sanmanyi", "sanyou-sanmanyi.roster.csv"),
    ("san-fuwu", "san-fuwu.roster.csv"),
    ("chuangkou-haochaping", "chuangkou-haochaping.roster.csv"),
];

/// The example ledger files of a shipped campaign (SPEC §14), those that exist
/// under `surveys/examples/<name>/`.
pub(crate) fn example_ledgers(name: &str) -> campaign::LedgerSources {
    let dir = manifest_dir().join("surveys/examples").join(name);
    let file = |f: &str| {
        let p = dir.join(f);
        p.is_file().then(|| Source::file(p))
    };
    campaign::LedgerSources {
        tickets: file("tickets.csv"),
        rectifications: file("rectifications.csv"),
        commitments: file("commitments.csv"),
        assessments: file("assessments.csv"),
        holidays: file("holidays.txt"),
    }
}

/// Simulates and scores one shipped campaign; returns the plan and results.csv.
fn run(name: &str, roster_file: &str) -> (Plan, Table, campaign::Outcome) {
    let dir = manifest_dir().join("surveys");
    let plan = Plan::load(&dir.join(format!("{name}.plan.yaml"))).unwrap_or_else(|e| panic!("{name}: {e}"));
    let roster = Roster::load(&dir.join("examples").join(roster_file), Encoding::Auto).unwrap();
    let cfg = SimConfig {
        seed: 7,
        ballots_per_unit: 30,
        ..SimConfig::default()
    };
    let (mut ballots, mut complaints) = (Vec::new(), Vec::new());
    simulate::write_ballots(&plan, &roster, &cfg, &mut ballots).unwrap();
    simulate::write_complaints(&plan, &roster, &cfg, &mut complaints).unwrap();
    let b = Source::text(format!("{name}/ballots.csv"), String::from_utf8(ballots).unwrap());
    let c = Source::text(format!("{name}/complaints.csv"), String::from_utf8(complaints).unwrap());
    let options = campaign::Options {
        ledgers: example_ledgers(name),
        ..Default::default()
    };
    let outcome =
        campaign::run(&plan, &roster, &[b], Some(&c), &options, &mut |_| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
    let files = output::render_all(&plan, &roster, &outcome).unwrap();
    let results = files
        .iter()
        .find(|(n, _)| *n == "results.csv")
        .map(|(_, b)| Table::from_bytes(b))
        .unwrap();
    (plan, results, outcome)
}

#[test]
fn every_shipped_campaign_scores_and_its_accounting_closes() {
    for (name, roster) in CAMPAIGNS {
        let (_, results, outcome) = run(name, roster);
        let a = &outcome.accounting;
        assert_eq!(a.read, a.valid + a.rejected, "{name}");
        assert!(
            a.rejected > 0,
            "{name}: the simulator plants faults, so some ballots are rejected"
        );
        let ranked = results.values("status").iter().filter(|s| **s == "ranked").count();
        // Plans with per-group quotas (三满意: 20% each) leave many simulated panels
        // short; some units must still make it to the ranking.
        assert!(ranked > 0, "{name}: none of {} ranked", results.rows.len());
        for (u, r) in outcome.units.iter().enumerate() {
            assert_eq!(r.read, r.score.valid + r.rejected, "{name} unit {u}");
        }
    }
}

#[test]
fn shipped_campaign_results_are_pinned() {
    for (name, roster) in CAMPAIGNS {
        let (_, results, _) = run(name, roster);
        let mut text = results.header.join(",");
        for row in &results.rows {
            text.push('\n');
            text.push_str(&row.join(","));
        }
        insta::assert_snapshot!(format!("campaign_{name}"), text);
    }
}

#[test]
fn constituency_campaigns_report_each_group_on_its_own() {
    for (name, roster, groups) in [
        (
            "san-manyi",
            "san-manyi.roster.csv",
            ["public", "grassroots", "enterprise"],
        ),
        (
            "sanyou-sanmanyi",
            "sanyou-sanmanyi.roster.csv",
            ["investor", "enterprise", "public"],
        ),
    ] {
        let (_, results, outcome) = run(name, roster);
        for (k, g) in groups.iter().enumerate() {
            let col = results.column(&format!("{g}_satisfaction_rate"));
            let valid = results.column(&format!("{g}_valid_ballots"));
            for (row, unit) in results.rows.iter().zip(&outcome.units) {
                // The group's own valid ballots are its share of the unit's.
                assert_eq!(row[valid], unit.score.valid_by_group[k].to_string(), "{name} {g}");
                assert_eq!(row[col].is_empty(), unit.score.groups[k].rate.is_none(), "{name} {g}");
            }
        }
        // Each group's rate lies within the range of the groups' rates around the
        // combined one: the combined rate is their answer-weighted average.
        for unit in &outcome.units {
            let rates: Vec<f64> = unit.score.groups.iter().filter_map(|g| g.rate).collect();
            if let (Some(all), false) = (unit.score.rate, rates.is_empty()) {
                let lo = rates.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = rates.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                assert!(
                    all >= lo - 1e-12 && all <= hi + 1e-12,
                    "{name}: {all} outside [{lo}, {hi}]"
                );
            }
        }
    }
}

#[test]
fn star_bands_and_window_front_and_back() {
    let (plan, results, _) = run("sanyou-sanmanyi", "sanyou-sanmanyi.roster.csv");
    let ids: Vec<&str> = plan.grades.iter().map(|g| g.id.as_str()).collect();
    for g in results.values("grade") {
        assert!(g.is_empty() || ids.contains(&g), "grade {g} is a star band");
    }
    let (plan, results, _) = run("chuangkou-haochaping", "chuangkou-haochaping.roster.csv");
    assert_eq!((plan.ranking.top_n, plan.ranking.bottom_n), (3, 3));
    let tops = results.values("top").iter().filter(|t| **t == "true").count();
    let bottoms = results.values("bottom").iter().filter(|t| **t == "true").count();
    assert!(tops >= 3 && bottoms >= 3, "前三 {tops}, 后三 {bottoms}");
}

/// Every shipped plan on a small hand-built case: two units of its own roster, each
/// with an even number of ballots from every rater group (enough for the panel
/// rules: every group quota, the public share). Unit A answers code 1 to every
/// item on every ballot; unit B answers code 1 on half of each group's ballots and
/// a dissatisfied code on the other half.
///
/// By hand: every item mean of A is code 1's score, 100, so every dimension, group
/// and the composite are 100 and the rate is 1. For B each item's mean is the
/// midpoint of the two scores, in every group (the halves are even within each
/// group, so group weights change nothing): 4-level scale (1 = 100, 3 = 0) →
/// (100 + 0) / 2 = 50; 好差评 scale (1 = 100, 4 不满意 = 55) → (100 + 55) / 2 = 77.5;
/// half of the answers are satisfied → rate 0.5. A ranks 1, B 2; the other units
/// have no ballots and are not ranked.
#[test]
fn every_shipped_plan_on_a_hand_built_case() {
    let dir = manifest_dir().join("surveys");
    for (name, roster_file) in CAMPAIGNS {
        let mut plan = Plan::load(&dir.join(format!("{name}.plan.yaml"))).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The survey alone is under test here: the plans' components (SPEC §14)
        // are checked by hand in ledgers.rs and pinned with their example files
        // by the snapshots.
        plan.ledgers.components.clear();
        let roster = Roster::load(&dir.join("examples").join(roster_file), Encoding::Auto).expect("roster");
        let (bad_code, b_composite) = if name == "chuangkou-haochaping" {
            ("4", 77.5)
        } else {
            ("3", 50.0)
        };
        let units: Vec<&str> = roster
            .units
            .iter()
            .map(|u| u.id.as_str())
            .filter(|u| !plan.exclude.iter().any(|x| x == u))
            .take(2)
            .collect();
        // Ballots per group: public groups 2a each, the others 2 each, with a large
        // enough for a 0.7 public share; with quotas, every group the same 8.
        let public = plan.groups.iter().filter(|g| g.public).count();
        let others = plan.groups.len() - public;
        let quotas = plan.groups.iter().any(|g| g.min_share.is_some());
        let a = (((0.7 / 0.3) * others as f64 / public.max(1) as f64).ceil() as usize).max(4);
        let items: Vec<&str> = plan.survey.items.iter().map(|i| i.id.as_str()).collect();
        let mut csv = format!("ballot_id,unit_id,rater_id,rater_group,{}\n", items.join(","));
        let mut next = 0;
        for (k, unit) in units.iter().enumerate() {
            for g in &plan.groups {
                let n = if quotas {
                    8
                } else if g.public {
                    2 * a
                } else {
                    2
                };
                for j in 0..n {
                    next += 1;
                    let code = if k == 1 && j % 2 == 1 { bad_code } else { "1" };
                    let answers = vec![code; items.len()].join(",");
                    csv.push_str(&format!("B{next},{unit},R{next},{},{answers}\n", g.id));
                }
            }
        }
        let outcome = campaign::run(
            &plan,
            &roster,
            &[Source::text("ballots.csv", csv)],
            None,
            &Default::default(),
            &mut |_| {},
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let get = |id: &str| {
            let k = roster.index(id).expect("unit");
            &outcome.units[k]
        };
        let (ua, ub) = (get(units[0]), get(units[1]));
        assert_eq!(ua.status.code(), "ranked", "{name}: {}", ua.why_not_ranked());
        assert_eq!(ub.status.code(), "ranked", "{name}: {}", ub.why_not_ranked());
        assert_eq!(ua.score.composite, Some(100.0), "{name}");
        assert_eq!(ua.score.rate, Some(1.0), "{name}");
        assert_eq!(ub.score.composite, Some(b_composite), "{name}");
        assert_eq!(ub.score.rate, Some(0.5), "{name}");
        assert_eq!((ua.placing.rank, ub.placing.rank), (Some(1), Some(2)), "{name}");
        for g in &ub.score.groups {
            assert_eq!(
                (g.composite, g.rate),
                (Some(b_composite), Some(0.5)),
                "{name} group {}",
                g.group
            );
        }
        let ranked = outcome.units.iter().filter(|u| u.placing.rank.is_some()).count();
        assert_eq!(ranked, 2, "{name}");
    }
}

#[test]
fn the_window_campaign_ledger_is_pinned() {
    // 窗口好差评 with its example tickets (working days, the 2015 holiday file) and
    // rectifications: the late and overdue matters and the planted rejects.
    let name = "chuangkou-haochaping";
    let (plan, results, outcome) = run(name, "chuangkou-haochaping.roster.csv");
    assert!(results.header.iter().any(|h| h == "tickets_rate"));
    assert!(results.header.iter().any(|h| h == "component_tickets"));
    let roster = Roster::load(
        &manifest_dir().join("surveys/examples/chuangkou-haochaping.roster.csv"),
        Encoding::Auto,
    )
    .unwrap();
    let files = output::render_all(&plan, &roster, &outcome).unwrap();
    let text =
        |n: &str| String::from_utf8(files.iter().find(|(f, _)| *f == n).map(|(_, b)| b.clone()).unwrap()).unwrap();
    insta::assert_snapshot!("window_ledger_csv", text("ledger.csv"));
    insta::assert_snapshot!("window_ledger_rejects_csv", text("ledger_rejects.csv"));
}
