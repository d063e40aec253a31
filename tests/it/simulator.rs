//! The simulator recovers what it planted (issue 3): on 200 units × 50 ballots the
//! final scores order the units as their planted quality does, and every planted
//! fault comes back as rejects at its planted rate.

use appraise::judge::ballots::Reason;
use appraise::simulate::{self, Faults, SimConfig};
use appraise::{Encoding, Plan, Roster, Source, campaign};

use crate::manifest_dir;

/// Ranks (1-based, ties averaged) of `xs`.
fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut r = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && xs[order[j + 1]] == xs[order[i]] {
            j += 1;
        }
        for &k in &order[i..=j] {
            r[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation: Pearson's on the ranks.
fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn spearman_by_hand() {
    // Ranks of (1, 2, 3, 4) and (1, 3, 2, 4): d = 0, 1, −1, 0; ρ = 1 − 6·2/(4·15) = 0.8.
    assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 30.0, 20.0, 40.0]) - 0.8).abs() < 1e-12);
    // Ties share the mean rank: (5, 5, 1) → 2.5, 2.5, 1.
    assert_eq!(ranks(&[5.0, 5.0, 1.0]), vec![2.5, 2.5, 1.0]);
}

fn campaign_of_200() -> (Plan, Roster) {
    let dir = manifest_dir().join("surveys");
    let plan = Plan::load(&dir.join("minzhu-pingyi.plan.yaml")).expect("plan");
    let text = std::fs::read_to_string(dir.join("examples/caidian-2010.roster.csv")).expect("roster");
    let first: String = text.lines().take(201).map(|l| format!("{l}\n")).collect();
    let roster = Roster::read_from(&Source::text("roster200.csv", first), Encoding::Utf8).expect("roster");
    assert_eq!(roster.len(), 200);
    (plan, roster)
}

fn score(plan: &Plan, roster: &Roster, cfg: &SimConfig) -> campaign::Outcome {
    let mut ballots = Vec::new();
    simulate::write_ballots(plan, roster, cfg, &mut ballots).expect("simulate");
    let b = Source::text("ballots.csv", String::from_utf8(ballots).expect("utf-8"));
    campaign::run(plan, roster, &[b], None, &Default::default(), &mut |_| {}).expect("run")
}

#[test]
fn final_scores_order_units_as_their_planted_quality() {
    let (plan, roster) = campaign_of_200();
    let cfg = SimConfig {
        seed: 42,
        ballots_per_unit: 50,
        short_panel_rate: 0.0,
        ..SimConfig::default()
    };
    let quality = simulate::planted_quality(&roster, &cfg).expect("quality");
    let outcome = score(&plan, &roster, &cfg);
    let (mut q, mut f) = (Vec::new(), Vec::new());
    for r in &outcome.units {
        if let Some(x) = r.final_score {
            q.push(quality[r.unit]);
            f.push(x);
        }
    }
    assert!(q.len() >= 190, "{} of 200 units scored", q.len());
    let rho = spearman(&q, &f);
    // Measured: ρ = 0.940 over the 200 units (seed 42): 50 ballots per unit leave a
    // composite standard error of a few points against the planted spread, so
    // neighbours in quality swap places and the rest of the order holds.
    assert!(
        rho > 0.9,
        "Spearman ρ between planted quality and final score = {rho:.4}"
    );
}

#[test]
fn reject_counts_match_the_planted_fault_rates() {
    let (plan, roster) = campaign_of_200();
    // Rates high enough for a sharp check, each fault alone in its reason.
    // Measured (seed 43, 10 136 ballots read): 115, 88, 99, 106, 102 and 89
    // rejects against 101.4, 100.3, 99.3, 98.3, 97.4 and 96.4 expected.
    let faults = Faults {
        unknown_unit: 0.01,
        unknown_group: 0.01,
        bad_code: 0.01,
        blank_ballot: 0.01,
        duplicate_rater: 0.0,
        duplicate_id: 0.01,
        conflict_of_interest: 0.01,
        copied: 0.0,
        copies: 8,
    };
    let cfg = SimConfig {
        seed: 43,
        ballots_per_unit: 50,
        blank_rate: 0.0,
        faults: faults.clone(),
        ..SimConfig::default()
    };
    let outcome = score(&plan, &roster, &cfg);
    let a = &outcome.accounting;
    let n = a.read as f64;
    // A fault is rejected for its own reason unless an earlier check (SPEC §5 order)
    // rejects the ballot first, so reason k sees rate p_k · Π_{j<k} (1 − p_j);
    // with p = 0.01 that is 0.01, 0.0099, 0.0098, 0.0097, 0.0096 and 0.0095.
    let checks = [
        (Reason::UnknownUnit, faults.unknown_unit),
        (Reason::UnknownGroup, faults.unknown_group),
        (Reason::BadCode, faults.bad_code),
        (Reason::TooManyBlank, faults.blank_ballot),
        (Reason::Duplicate, faults.duplicate_id),
        (Reason::ConflictOfInterest, faults.conflict_of_interest),
    ];
    let mut survive = 1.0;
    for (reason, p) in checks {
        let expected = n * p * survive;
        let seen = a.by_reason[reason.index()] as f64;
        // Binomial: sd = √(n·p·(1−p)) ≈ 10 for n ≈ 10 000; allow 4 sd.
        let sd = (expected * (1.0 - p)).sqrt();
        assert!(
            (seen - expected).abs() <= 4.0 * sd,
            "{}: {seen} rejected, {expected:.1} ± {sd:.1} planted",
            reason.code()
        );
        survive *= 1.0 - p;
    }
    assert_eq!(a.by_reason[Reason::MalformedRow.index()], 0);
    assert_eq!(a.read, a.valid + a.rejected);
}

/// Flagged units on honest ballots (the generator's rater halo: answers of one
/// ballot move together) and planted copies caught, over `seeds` campaigns of the
/// 300-unit roster at 30 ballots per unit. Returns (flagged honest units, judged
/// honest units, planted units caught by `repeated_patterns`, planted units,
/// unplanted units flagged in the planted campaigns, unplanted units).
fn flag_rates(seeds: std::ops::Range<u64>) -> [u64; 6] {
    flag_rates_of("minzhu-pingyi", "caidian-2010.roster.csv", 30, Faults::none(), seeds)
}

/// [`flag_rates`] for another shipped plan and roster, ballots per unit and
/// background faults.
fn flag_rates_of(plan: &str, roster: &str, ballots: u64, faults: Faults, seeds: std::ops::Range<u64>) -> [u64; 6] {
    let dir = manifest_dir().join("surveys");
    let plan = Plan::load(&dir.join(format!("{plan}.plan.yaml"))).expect("plan");
    let roster = Roster::load(&dir.join("examples").join(roster), Encoding::Auto).expect("roster");
    let mut out = [0u64; 6];
    for seed in seeds {
        let honest = SimConfig {
            seed,
            ballots_per_unit: ballots,
            faults: faults.clone(),
            complaints_per_unit: 0.0,
            ..SimConfig::default()
        };
        let o = score(&plan, &roster, &honest);
        let flagged: std::collections::BTreeSet<usize> = o.flags.iter().filter_map(|f| f.unit).collect();
        out[0] += flagged.len() as u64;
        out[1] += o.units.iter().filter(|r| r.score.valid >= 5).count() as u64;
        let mut planted_cfg = honest.clone();
        planted_cfg.faults.copied = 0.2;
        planted_cfg.faults.copies = 8;
        let planted = simulate::planted_copies(&plan, &roster, &planted_cfg).expect("planted");
        let o = score(&plan, &roster, &planted_cfg);
        let caught: std::collections::BTreeSet<usize> = o
            .flags
            .iter()
            .filter(|f| f.kind == "repeated_patterns")
            .filter_map(|f| f.unit)
            .collect();
        let any: std::collections::BTreeSet<usize> = o.flags.iter().filter_map(|f| f.unit).collect();
        for (u, &p) in planted.iter().enumerate() {
            if p {
                out[3] += 1;
                out[2] += u64::from(caught.contains(&u));
            } else {
                out[5] += 1;
                out[4] += u64::from(any.contains(&u));
            }
        }
    }
    out
}

/// Issue 15's targets on one campaign: at most 2% of honest units flagged, at
/// least 80% of units with 8 planted copies caught.
#[test]
fn flags_do_not_cry_wolf_and_catch_copies() {
    let [f, n, c, p, g, m] = flag_rates(1..2);
    assert!(f as f64 <= 0.02 * n as f64, "{f} of {n} honest units flagged");
    assert!(c as f64 >= 0.8 * p as f64, "{c} of {p} planted units caught");
    assert!(g as f64 <= 0.02 * m as f64, "{g} of {m} unplanted units flagged");
}

/// The measurement behind README's rates (run with
/// `cargo test --test it flag_rates_over_seeds -- --ignored --nocapture`).
#[test]
#[ignore = "measurement: 20 campaigns of 300 units"]
#[allow(clippy::print_stderr)]
fn flag_rates_over_seeds() {
    let [f, n, c, p, g, m] = flag_rates(1..11);
    eprintln!(
        "honest: {f} of {n} units flagged ({:.2}%); planted: {c} of {p} caught ({:.1}%), {g} of {m} unplanted flagged ({:.2}%)",
        100.0 * f as f64 / n as f64,
        100.0 * c as f64 / p as f64,
        100.0 * g as f64 / m as f64
    );
}

/// The same measurement on the other shipped campaigns, at other panel sizes and
/// with the simulator's default (rejected) faults in the background
/// (`cargo test --test it flag_rates_elsewhere -- --ignored --nocapture`).
#[test]
#[ignore = "measurement"]
#[allow(clippy::print_stderr)]
fn flag_rates_elsewhere() {
    let cases: [(&str, &str, u64); 7] = [
        ("minzhu-pingyi", "caidian-2010.roster.csv", 20),
        ("minzhu-pingyi", "caidian-2010.roster.csv", 60),
        ("caidian-2010", "caidian-2010.roster.csv", 30),
        ("san-manyi", "san-manyi.roster.csv", 30),
        ("sanyou-sanmanyi", "sanyou-sanmanyi.roster.csv", 30),
        ("san-fuwu", "san-fuwu.roster.csv", 30),
        ("chuangkou-haochaping", "chuangkou-haochaping.roster.csv", 30),
    ];
    for (plan, roster, ballots) in cases {
        let seeds = if roster.starts_with("caidian") { 1..4 } else { 1..21 };
        let [f, n, c, p, g, m] = flag_rates_of(plan, roster, ballots, Faults::default(), seeds);
        eprintln!(
            "{plan} × {roster}, {ballots} ballots: honest {f}/{n} flagged ({:.2}%); planted {c}/{p} caught ({:.1}%), unplanted {g}/{m} flagged",
            100.0 * f as f64 / n as f64,
            100.0 * c as f64 / p.max(1) as f64,
        );
    }
}

/// The flags' tests split over two threads are the flags of one thread: a
/// campaign of 300 units (above the 64 that split) with planted copies flags
/// units, and both ways give the same list, in the same order.
#[test]
fn flags_on_two_threads_are_the_flags_of_one() {
    use appraise::score::flags::{flags, flags_on};
    let dir = manifest_dir().join("surveys");
    let plan = Plan::load(&dir.join("minzhu-pingyi.plan.yaml")).expect("plan");
    let roster = Roster::load(&dir.join("examples").join("caidian-2010.roster.csv"), Encoding::Auto).expect("roster");
    let mut cfg = SimConfig {
        seed: 1,
        ballots_per_unit: 30,
        ..SimConfig::default()
    };
    cfg.faults.copied = 0.2;
    cfg.faults.copies = 8;
    let o = score(&plan, &roster, &cfg);
    assert!(roster.len() >= 64, "{} units", roster.len());
    let one = flags(&o.tally, &o.units);
    assert!(one.iter().filter(|f| f.unit.is_some()).count() >= 10, "{one:?}");
    assert_eq!(flags_on(&o.tally, &o.units, 2), one);
}
