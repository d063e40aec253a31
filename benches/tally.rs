//! Benchmarks of the ballot pipeline on simulated data: the tally kernel, reading
//! and judging CSV and Parquet, and the whole run (files → ranked outcome) at 10⁵
//! and 10⁶ ballots of the 24-item, 8-group benchmark campaign
//! (`benches/peers/bench24.plan.yaml`, the real 300-unit roster). Run with `cargo
//! bench`; `cargo test --benches` runs each once as a test (CI does, to keep them
//! compiling), and then skips the 10⁶ cases, whose data take a while to make.
//! The comparison with DuckDB, polars and pandas at 10⁷ is `benches/peers/run.sh`.

use std::path::{Path, PathBuf};

use appraise::campaign::{self, Options};
use appraise::count::tally::{Layout, Tally};
use appraise::simulate::{self, SimConfig};
use appraise::{Encoding, Plan, Roster, Source};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn campaign() -> (Plan, Roster) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let plan = Plan::load(&root.join("benches/peers/bench24.plan.yaml")).expect("bench plan loads");
    let roster =
        Roster::load(&root.join("surveys/examples/caidian-2010.roster.csv"), Encoding::Utf8).expect("roster loads");
    (plan, roster)
}

/// Whether criterion measures (`cargo bench`) rather than runs each bench once.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Simulated ballots (≈ `n`, default faults) as CSV and Parquet in `dir`.
fn files(plan: &Plan, roster: &Roster, n: u64, dir: &Path) -> (PathBuf, PathBuf, u64) {
    let cfg = SimConfig {
        ballots_per_unit: n / roster.len() as u64,
        ..SimConfig::default()
    };
    let csv = dir.join(format!("b{n}.csv"));
    let pq = dir.join(format!("b{n}.parquet"));
    let rows = simulate::write_ballots(
        plan,
        roster,
        &cfg,
        std::io::BufWriter::new(std::fs::File::create(&csv).expect("csv")),
    )
    .expect("simulates");
    simulate::write_ballots_parquet(plan, roster, &cfg, std::fs::File::create(&pq).expect("parquet"))
        .expect("simulates");
    (csv, pq, rows)
}

fn bench_kernel(c: &mut Criterion) {
    let (plan, roster) = campaign();
    let layout = Layout::new(&plan, &roster);
    // 10⁵ ballots of answer codes (option indices; 4 = blank), spread over units
    // and groups as a file would be.
    let items = plan.survey.items.len();
    let n = 100_000usize;
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let ballots: Vec<(usize, usize, Vec<u8>)> = (0..n)
        .map(|k| {
            let codes = (0..items).map(|_| (next() % 5) as u8).collect();
            (k * roster.len() / n, (next() % 8) as usize, codes)
        })
        .collect();
    let mut group = c.benchmark_group("kernel");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("add_valid_1e5", |b| {
        b.iter_batched_ref(
            || Tally::new(layout.clone()),
            |t| {
                for (u, g, codes) in &ballots {
                    t.add_valid(*u, *g, codes).expect("in range");
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn bench_read_and_run(c: &mut Criterion) {
    let (plan, roster) = campaign();
    let dir = tempfile::tempdir().expect("tempdir");
    let sizes: &[u64] = if measuring() { &[100_000, 1_000_000] } else { &[100_000] };
    let mut group = c.benchmark_group("ballots");
    group.sample_size(10);
    for &n in sizes {
        let (csv, pq, rows) = files(&plan, &roster, n, dir.path());
        let tag = if n == 100_000 { "1e5" } else { "1e6" };
        group.throughput(Throughput::Elements(rows));
        group.bench_function(format!("tally_csv_{tag}"), |b| {
            b.iter(|| campaign::tally_files(&plan, &roster, &[Source::file(&csv)], Encoding::Utf8, &mut |_| {}))
        });
        group.bench_function(format!("tally_parquet_{tag}"), |b| {
            b.iter(|| campaign::tally_files(&plan, &roster, &[Source::file(&pq)], Encoding::Utf8, &mut |_| {}))
        });
        group.bench_function(format!("run_parquet_{tag}"), |b| {
            b.iter(|| {
                campaign::run(
                    &plan,
                    &roster,
                    &[Source::file(&pq)],
                    None,
                    &Options::default(),
                    &mut |_| {},
                )
                .expect("runs")
            })
        });
    }
    // Scores, statuses, intervals and rank sets of 300 units from a ready tally:
    // the part of a run that does not grow with the ballots.
    let (csv, _, _) = files(&plan, &roster, 100_000, dir.path());
    let (tally, rejects, files) =
        campaign::tally_files(&plan, &roster, &[Source::file(&csv)], Encoding::Utf8, &mut |_| {}).expect("tallies");
    group.throughput(Throughput::Elements(roster.len() as u64));
    group.bench_function("score_and_rank_300_units", |b| {
        b.iter(|| {
            campaign::evaluate(
                &plan,
                &roster,
                tally.clone(),
                rejects.clone(),
                files.clone(),
                appraise::judge::complaints::Complaints::none(&roster),
                Default::default(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_kernel, bench_read_and_run);
criterion_main!(benches);
