//! Every shipped campaign (one per campaign kind in the source documents) is
//! simulated, scored and pinned by a snapshot; campaign-specific rules are checked
//! on the way (per-group results of 三满意 and 三优三满意, star bands, the monthly
//! window ranking's 前三/后三).

use appraise::simulate::{self, SimConfig};
use appraise::{Encoding, Plan, Roster, Source, campaign, report};

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
    let outcome = campaign::run(&plan, &roster, &[b], Some(&c), &Default::default(), &mut |_| {})
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let files = report::render_all(&plan, &roster, &outcome).unwrap();
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
