//! Benchmarks of the ballot pipeline on simulated data (the demo plan and the real
//! 300-unit roster). Run with `cargo bench`; `cargo test --benches` runs each once
//! as a test, which CI does to keep them compiling.

use appraise::campaign;
use appraise::simulate::{self, SimConfig};
use appraise::{Encoding, Source};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn ballots(per_unit: u64) -> (appraise::Plan, appraise::Roster, Source, u64) {
    let (plan, roster) = appraise::demo::campaign().expect("demo campaign loads");
    let cfg = SimConfig {
        ballots_per_unit: per_unit,
        ..SimConfig::default()
    };
    let mut buf = Vec::new();
    let rows = simulate::write_ballots(&plan, &roster, &cfg, &mut buf).expect("simulates");
    let text = String::from_utf8(buf).expect("utf-8");
    (plan, roster, Source::text("bench.csv", text), rows)
}

fn bench_csv(c: &mut Criterion) {
    let mut group = c.benchmark_group("csv");
    group.sample_size(10);
    // ≈ 10⁵ ballots: 300 units × 333.
    let (plan, roster, source, rows) = ballots(333);
    group.throughput(Throughput::Elements(rows));
    group.bench_function("tally_1e5", |b| {
        b.iter(|| {
            campaign::tally_files(
                &plan,
                &roster,
                std::slice::from_ref(&source),
                Encoding::Utf8,
                &mut |_| {},
            )
        })
    });
    let (tally, rejects, files) = campaign::tally_files(
        &plan,
        &roster,
        std::slice::from_ref(&source),
        Encoding::Utf8,
        &mut |_| {},
    )
    .expect("tallies");
    group.bench_function("score_and_rank_300_units", |b| {
        b.iter(|| {
            campaign::evaluate(
                &plan,
                &roster,
                tally.clone(),
                rejects.clone(),
                files.clone(),
                appraise::complaints::Complaints::none(&roster),
                false,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_csv);
criterion_main!(benches);
