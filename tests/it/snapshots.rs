//! Snapshots of whole results tables (reviewed once, then any change in the
//! numbers shows up as a diff), and the simulator's reproducibility of the demo
//! data committed under `surveys/examples/caidian-2010/`.

use appraise::simulate::{SimConfig, write_ballots, write_complaints};
use appraise::{Encoding, Plan, Roster, demo, output};

use crate::fixtures::fixture_files;
use crate::manifest_dir;

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn demo_results_csv() {
    let (plan, roster, outcome) = crate::demo();
    let files = output::render_all(plan, roster, outcome).expect("render");
    let (_, csv) = files.iter().find(|(n, _)| *n == "results.csv").expect("results.csv");
    insta::assert_snapshot!("demo_results_csv", text(csv));
}

#[test]
fn fixture_pooled_results_csv() {
    let files = fixture_files("campaign-pooled");
    insta::assert_snapshot!("fixture_pooled_results_csv", text(&files["results.csv"]));
}

#[test]
fn fixture_weighted_results_csv() {
    let files = fixture_files("campaign-weighted");
    insta::assert_snapshot!("fixture_weighted_results_csv", text(&files["results.csv"]));
}

/// Asserts byte equality, naming the first differing line.
#[track_caller]
fn assert_same_bytes(what: &str, got: &[u8], committed: &[u8]) {
    if got == committed {
        return;
    }
    let (g, c) = (String::from_utf8_lossy(got), String::from_utf8_lossy(committed));
    let line = g.lines().zip(c.lines()).position(|(a, b)| a != b);
    match line {
        Some(k) => panic!(
            "{what}: regenerated file differs from the committed one at line {}:\n  regenerated: {}\n  committed:   {}",
            k + 1,
            g.lines().nth(k).unwrap_or_default(),
            c.lines().nth(k).unwrap_or_default()
        ),
        None => panic!(
            "{what}: one file is a prefix of the other ({} vs {} bytes)",
            got.len(),
            committed.len()
        ),
    }
}

/// The command that made the committed demo data:
/// `appraise simulate --plan surveys/caidian-2010.plan.yaml
///  --roster surveys/examples/caidian-2010.roster.csv --out surveys/examples/caidian-2010 --seed 2010`
fn demo_inputs() -> (Plan, Roster, SimConfig) {
    let root = manifest_dir();
    let plan = Plan::load(&root.join("surveys/caidian-2010.plan.yaml")).expect("demo plan");
    let roster =
        Roster::load(&root.join("surveys/examples/caidian-2010.roster.csv"), Encoding::Auto).expect("demo roster");
    (
        plan,
        roster,
        SimConfig {
            seed: demo::SEED,
            ..Default::default()
        },
    )
}

#[test]
fn simulator_reproduces_the_committed_demo_ballots() {
    let (plan, roster, cfg) = demo_inputs();
    let mut got = Vec::new();
    let rows = write_ballots(&plan, &roster, &cfg, &mut got).expect("simulate ballots");
    let path = manifest_dir().join("surveys/examples/caidian-2010/ballots.csv");
    let committed = std::fs::read(&path).expect("committed ballots.csv");
    assert_same_bytes("ballots.csv", &got, &committed);
    assert!(rows > 0);
    assert_eq!(
        demo::BALLOTS.as_bytes(),
        &committed[..],
        "the library embeds the committed ballots"
    );
}

#[test]
fn simulator_reproduces_the_committed_demo_complaints() {
    let (plan, roster, cfg) = demo_inputs();
    let mut got = Vec::new();
    let rows = write_complaints(&plan, &roster, &cfg, &mut got).expect("simulate complaints");
    let path = manifest_dir().join("surveys/examples/caidian-2010/complaints.csv");
    let committed = std::fs::read(&path).expect("committed complaints.csv");
    assert_same_bytes("complaints.csv", &got, &committed);
    assert!(rows > 0);
    assert_eq!(
        demo::COMPLAINTS.as_bytes(),
        &committed[..],
        "the library embeds the committed complaints"
    );
}
