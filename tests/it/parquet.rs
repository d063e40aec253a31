//! Parquet ballots, tally shards and duplicate keys (issue 4): Parquet input judges
//! exactly as CSV does, for every column type; tally files round-trip every bit;
//! shards tallied in order with their keys merge to the single run's bytes.

use std::path::{Path, PathBuf};

use appraise::judge::ballots::{Reason, Reject, Validator};
use appraise::judge::rejects::Rejects;

use appraise::campaign::{self, Options};
use appraise::count::tally::{Layout, Tally};
use appraise::judge::complaints::Complaints;
use appraise::score::outcome::Outcome;
use appraise::simulate::{self, SimConfig};
use appraise::{Encoding, Plan, Roster, Source, Survey, count::shard, output};
use assert_cmd::Command;
use polars::prelude::{
    Categories, DataFrame, DataType, IntoColumn, NamedFrom, ParquetReader, ParquetWriter, SerReader, Series,
};

use crate::manifest_dir;

fn demo_campaign() -> (Plan, Roster) {
    appraise::demo::campaign().expect("demo campaign")
}

fn render(plan: &Plan, roster: &Roster, o: &Outcome, name: &str) -> Vec<u8> {
    output::render_all(plan, roster, o)
        .expect("renders")
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .1
}

/// A run on one file, which may fail.
fn try_run(plan: &Plan, roster: &Roster, file: &Path) -> appraise::Result<Outcome> {
    campaign::run(
        plan,
        roster,
        &[Source::file(file)],
        None,
        &Options {
            accept_rejects: true,
            ..Options::default()
        },
        &mut |_| {},
    )
}

fn run(plan: &Plan, roster: &Roster, files: &[Source]) -> Outcome {
    campaign::run(
        plan,
        roster,
        files,
        None,
        &Options {
            accept_rejects: true,
            ..Options::default()
        },
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("run: {e}"))
}

/// Simulated ballots of the demo campaign, as CSV and as Parquet, in `dir`.
fn simulate_both(dir: &Path, per_unit: u64, seed: u64) -> (PathBuf, PathBuf) {
    let (plan, roster) = demo_campaign();
    let cfg = SimConfig {
        seed,
        ballots_per_unit: per_unit,
        ..SimConfig::default()
    };
    let csv = dir.join("ballots.csv");
    let pq = dir.join("ballots.parquet");
    let a = simulate::write_ballots(&plan, &roster, &cfg, std::fs::File::create(&csv).expect("csv")).expect("sim");
    let b =
        simulate::write_ballots_parquet(&plan, &roster, &cfg, std::fs::File::create(&pq).expect("pq")).expect("sim");
    assert_eq!(a, b, "the same ballots in both formats");
    (csv, pq)
}

/// Rejects without the file index, and with `bad_code` details reduced to the item
/// (the simulator plants `x` in CSV and an integer that is no code in Parquet).
fn comparable(rejects: &Rejects) -> Vec<(u64, String, Reason, String)> {
    rejects
        .to_vec()
        .expect("rejects")
        .iter()
        .map(|r| {
            let detail = if r.reason == Reason::BadCode {
                r.detail.split('=').next().unwrap_or_default().to_string()
            } else {
                r.detail.clone()
            };
            (r.row, r.ballot_id.clone(), r.reason, detail)
        })
        .collect()
}

#[test]
fn parquet_ballots_score_exactly_as_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (csv, pq) = simulate_both(dir.path(), 40, 7);
    let (plan, roster) = demo_campaign();
    let a = run(&plan, &roster, &[Source::file(&csv)]);
    let mut rows = Vec::new();
    let b = campaign::run(
        &plan,
        &roster,
        &[Source::file(&pq)],
        None,
        &Options {
            accept_rejects: true,
            ..Options::default()
        },
        &mut |n| rows.push(n),
    )
    .expect("parquet run");
    assert!(a.accounting.rejected > 50, "faults were planted: {:?}", a.accounting);
    for reason in Reason::ALL.iter().skip(1) {
        assert!(
            a.accounting.by_reason[reason.index()] > 0,
            "no {} reject in the sample",
            reason.code()
        );
    }
    assert_eq!(comparable(&a.rejects), comparable(&b.rejects));
    for name in ["results.csv", "items.csv"] {
        assert!(
            render(&plan, &roster, &a, name) == render(&plan, &roster, &b, name),
            "{name} differs between CSV and Parquet"
        );
    }
    assert_eq!(format!("{:?}", a.tally), format!("{:?}", b.tally));
    assert_eq!(
        rows.last().copied(),
        Some(a.accounting.read),
        "progress ends at the rows read"
    );
}

const SURVEY: &str = r#"
id: s
version: 1
title: {zh: 表}
scales:
  sat:
    options:
      - {code: "1", zh: 满意, score: 100, satisfied: true}
      - {code: "2", zh: 基本满意, score: 60, satisfied: true}
      - {code: "3", zh: 不满意, score: 0}
      - {code: "9", zh: 不了解, abstain: true}
dimensions:
  - {id: d, zh: 甲}
items:
  - {id: a, dimension: d, scale: sat, zh: 甲}
  - {id: b, dimension: d, scale: sat, zh: 乙}
  - {id: c, dimension: d, scale: sat, zh: 丙}
"#;

const PLAN: &str = "id: p
survey: s.yaml
period: {start: 2010-01-01, end: 2010-12-31}
panel: {min_valid_ballots: 1}
groups:
  - {id: '1', public: true}
  - {id: '2'}
";

/// Rows of (ballot_id, unit_id, rater_id, rater_group, rater_unit, a, b, c); `None`
/// is a blank / null. Every reason of SPEC §5 but `malformed_row` occurs.
#[allow(clippy::type_complexity)]
fn rows() -> Vec<[Option<i64>; 8]> {
    let s = Some;
    vec![
        [s(1), s(101), s(7), s(1), None, s(1), s(2), s(3)],
        [s(2), s(101), s(8), s(2), None, s(9), None, s(1)],
        [s(3), s(99), s(9), s(1), None, s(1), s(1), s(1)], // unknown unit (fits in 8 bits)
        [s(4), s(102), s(9), s(5), None, s(1), s(1), s(1)], // unknown group
        [s(5), s(102), s(9), s(1), None, s(1), s(7), s(1)], // bad code
        [s(6), s(102), s(9), s(1), None, None, None, s(1)], // too many blank
        [s(1), s(102), s(10), s(1), None, s(1), s(1), s(1)], // duplicate ballot id
        [s(8), s(101), s(7), s(1), None, s(1), s(1), s(1)], // duplicate rater
        [s(9), s(102), s(11), s(1), s(102), s(2), s(2), s(2)], // conflict of interest
        [None, s(102), None, s(1), s(101), s(3), s(3), s(9)], // anonymous, valid
        [None, s(102), None, s(2), None, s(1), s(2), None], // anonymous again, valid
        [s(12), s(102), s(9), s(1), None, s(1), s(-1), s(1)], // bad code (negative)
        [s(13), s(102), s(9), s(1), None, s(2), s(2), s(2)],
    ]
}

const NAMES: [&str; 8] = [
    "ballot_id",
    "unit_id",
    "rater_id",
    "rater_group",
    "rater_unit",
    "a",
    "b",
    "c",
];

fn rows_csv() -> String {
    csv_of(&rows())
}

fn small_campaign() -> (Plan, Roster) {
    let survey = Survey::from_yaml(SURVEY, Path::new("s.yaml")).expect("survey");
    let plan = Plan::from_yaml(PLAN, Path::new("p.yaml"), survey).expect("plan");
    let roster = Roster::read_from(
        &Source::text("roster.csv", "unit_id,name,department,kind\n101,甲,D,K\n102,乙,D,K\n"),
        Encoding::Utf8,
    )
    .expect("roster");
    (plan, roster)
}

/// The rows as a Parquet file whose columns all have type `dt` (strings for
/// `String` and categoricals), in row groups of `group` rows.
fn write_rows(path: &Path, dt: &DataType, group: usize) {
    write_these(path, &rows(), dt, group);
}

/// `rows` as a Parquet file, as [`write_rows`] writes.
fn write_these(path: &Path, rows: &[[Option<i64>; 8]], dt: &DataType, group: usize) {
    let cols: Vec<_> = NAMES
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let v: Vec<Option<i64>> = rows.iter().map(|r| r[k]).collect();
            let s = Series::new((*name).into(), v);
            let s = match dt {
                DataType::String => s.cast(&DataType::String).expect("cast"),
                d if d.is_categorical() => s.cast(&DataType::String).and_then(|s| s.cast(d)).expect("cast"),
                d => s.strict_cast(d).expect("cast"),
            };
            s.into_column()
        })
        .collect();
    let mut df = DataFrame::new(rows.len(), cols).expect("frame");
    ParquetWriter::new(std::fs::File::create(path).expect("create"))
        .with_row_group_size(Some(group))
        .finish(&mut df)
        .expect("write");
}

#[test]
fn every_column_type_judges_as_csv() {
    let (plan, roster) = small_campaign();
    let expect = run(&plan, &roster, &[Source::text("b.csv", rows_csv())]);
    let reasons: Vec<Reason> = expect
        .rejects
        .to_vec()
        .expect("rejects")
        .iter()
        .map(|r| r.reason)
        .collect();
    use Reason::*;
    assert_eq!(
        reasons,
        [
            UnknownUnit,
            UnknownGroup,
            BadCode,
            TooManyBlank,
            Duplicate,
            Duplicate,
            ConflictOfInterest,
            BadCode
        ]
    );
    assert_eq!(expect.accounting.valid, 5);
    let dir = tempfile::tempdir().expect("tempdir");
    let types = [
        DataType::Int8,
        DataType::Int16,
        DataType::Int32,
        DataType::Int64,
        DataType::String,
        DataType::from_categories(Categories::global()),
    ];
    for (k, dt) in types.iter().enumerate() {
        for group in [3, 100] {
            let p = dir.path().join(format!("b{k}-{group}.parquet"));
            write_rows(&p, dt, group);
            let got = run(&plan, &roster, &[Source::file(&p)]);
            assert_eq!(
                comparable(&got.rejects),
                comparable(&expect.rejects),
                "{dt:?}, groups of {group}"
            );
            assert_eq!(
                got.rejects
                    .to_vec()
                    .expect("rejects")
                    .iter()
                    .map(|r| r.detail.clone())
                    .collect::<Vec<_>>(),
                expect
                    .rejects
                    .to_vec()
                    .expect("rejects")
                    .iter()
                    .map(|r| r.detail.clone())
                    .collect::<Vec<_>>(),
                "{dt:?}"
            );
            assert_eq!(format!("{:?}", got.tally), format!("{:?}", expect.tally), "{dt:?}");
        }
    }
}

/// The rows as CSV text, as [`rows_csv`] writes.
fn csv_of(rows: &[[Option<i64>; 8]]) -> String {
    let mut s = NAMES.join(",");
    s.push('\n');
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| c.map_or(String::new(), |v| v.to_string())).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    s
}

/// A Parquet run checks only the ballot ids that a first pass over every file
/// found more than once; the verdicts must be those of checking every id: a
/// repeat across files is a duplicate, and an id whose first row was rejected
/// for another reason is free for a later row (which is valid).
#[test]
fn ids_that_repeat_across_files_are_judged_as_in_one_file() {
    let (plan, roster) = small_campaign();
    let s = Some;
    let mut all = rows();
    all.extend([
        [s(6), s(101), s(20), s(1), None, s(1), s(2), s(2)], // id 6: its first row had too many blanks → valid
        [s(3), s(101), s(21), s(2), None, s(2), s(2), s(1)], // id 3: its first row named no unit → valid
        [s(2), s(102), s(22), s(1), None, s(1), s(1), s(2)], // id 2 again, across files → duplicate
        [s(13), s(101), s(23), s(1), None, s(3), s(3), s(3)], // id 13 again → duplicate
        [s(40), s(101), s(24), s(1), None, s(1), s(1), s(1)], // a new id → valid
    ]);
    let expect = run(&plan, &roster, &[Source::text("b.csv", csv_of(&all))]);
    let dups = expect
        .rejects
        .to_vec()
        .expect("rejects")
        .iter()
        .filter(|r| r.reason == Reason::Duplicate)
        .count();
    // ids 1 and 2/13 repeated (3 by id) + rater 7 on unit 101 again (1).
    assert_eq!(dups, 4, "{:?}", comparable(&expect.rejects));
    assert_eq!(expect.accounting.valid, 5 + 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    for cut in [1, 7, 13] {
        write_these(&a, &all[..cut], &DataType::String, 4);
        write_these(&b, &all[cut..], &DataType::Int32, 4);
        let got = run(&plan, &roster, &[Source::file(&a), Source::file(&b)]);
        let ours: Vec<_> = comparable(&got.rejects).into_iter().map(|r| (r.1, r.2, r.3)).collect();
        let want: Vec<_> = comparable(&expect.rejects)
            .into_iter()
            .map(|r| (r.1, r.2, r.3))
            .collect();
        assert_eq!(ours, want, "cut at {cut}");
        assert_eq!(
            format!("{:?}", got.tally),
            format!("{:?}", expect.tally),
            "cut at {cut}"
        );
    }
}

/// Unsigned columns cannot hold the negative code; every row but that one.
#[test]
fn unsigned_columns_read_like_their_text() {
    let (plan, roster) = small_campaign();
    let text: String = rows_csv()
        .lines()
        .filter(|l| !l.contains("-1"))
        .map(|l| format!("{l}\n"))
        .collect();
    let expect = run(&plan, &roster, &[Source::text("b.csv", text)]);
    let dir = tempfile::tempdir().expect("tempdir");
    for dt in [DataType::UInt8, DataType::UInt16, DataType::UInt32, DataType::UInt64] {
        let keep: Vec<usize> = (0..rows().len()).filter(|&k| rows()[k][6] != Some(-1)).collect();
        let cols: Vec<_> = NAMES
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let v: Vec<Option<i64>> = keep.iter().map(|&k| rows()[k][c]).collect();
                Series::new((*name).into(), v)
                    .strict_cast(&dt)
                    .expect("cast")
                    .into_column()
            })
            .collect();
        let mut df = DataFrame::new(keep.len(), cols).expect("frame");
        let p = dir.path().join(format!("{dt}.pq"));
        ParquetWriter::new(std::fs::File::create(&p).expect("create"))
            .finish(&mut df)
            .expect("write");
        let got = run(&plan, &roster, &[Source::file(&p)]);
        assert_eq!(comparable(&got.rejects), comparable(&expect.rejects), "{dt}");
        assert_eq!(format!("{:?}", got.tally), format!("{:?}", expect.tally), "{dt}");
    }
}

#[test]
fn a_parquet_file_without_an_item_column_or_with_float_codes_is_unusable() {
    let (plan, roster) = small_campaign();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("b.parquet");
    write_rows(&p, &DataType::Int32, 100);
    let mut df = ParquetReader::new(std::fs::File::open(&p).expect("open"))
        .finish()
        .expect("read");
    let _ = df.drop_in_place("b").expect("drop");
    let q = dir.path().join("no-b.parquet");
    ParquetWriter::new(std::fs::File::create(&q).expect("create"))
        .finish(&mut df)
        .expect("write");
    let e = try_run(&plan, &roster, &q).expect_err("item b is missing");
    assert!(e.to_string().contains("no column for item `b`"), "{e}");

    let f = dir.path().join("float.parquet");
    write_rows(&f, &DataType::Float64, 100);
    let e = try_run(&plan, &roster, &f).expect_err("float codes");
    assert!(e.to_string().contains("must be integers or strings"), "{e}");

    let bad = dir.path().join("not.parquet");
    std::fs::write(&bad, "ballot_id\n1\n").expect("write");
    assert!(
        campaign::run(
            &plan,
            &roster,
            &[Source::file(&bad)],
            None,
            &Options {
                accept_rejects: true,
                ..Options::default()
            },
            &mut |_| {}
        )
        .is_err()
    );
}

#[test]
fn a_tally_file_round_trips_every_bit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (csv, _) = simulate_both(dir.path(), 15, 3);
    let (plan, roster) = demo_campaign();
    let (tally, _, files) =
        campaign::tally_files(&plan, &roster, &[Source::file(&csv)], Encoding::Utf8, &mut |_| {}).expect("tally");
    let p = dir.path().join("t.tally.parquet");
    shard::write_tally(&p, &tally, &files).expect("write");
    let (back, back_files) = shard::read_tally(&p, &Layout::new(&plan, &roster)).expect("read");
    assert_eq!(back_files, files);
    assert_eq!(format!("{back:?}"), format!("{tally:?}"));
    let bits = |t: &Tally| {
        t.moments()
            .iter()
            .chain(t.reliability_sums())
            .map(|x| x.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&back), bits(&tally));
    assert_eq!(back.layout().key(), tally.layout().key());
    assert!(tally.moments().iter().any(|&x| x != 0.0));
    // Under another roster (one unit fewer) the file is refused, naming it.
    let fewer = Roster::read_from(
        &Source::text("r.csv", "unit_id,name,department,kind\nU002,乙,D,K\n"),
        Encoding::Utf8,
    )
    .expect("roster");
    let e = shard::read_tally(&p, &Layout::new(&plan, &fewer)).expect_err("another roster");
    assert!(e.to_string().contains("t.tally.parquet"), "{e}");

    // A tally of another roster does not merge.
    let other = Roster::read_from(
        &Source::text("r.csv", "unit_id,name,department,kind\nU001,a,b,c\n"),
        Encoding::Utf8,
    )
    .expect("roster");
    assert!(campaign::merge_tallies(&plan, &other, vec![(back, back_files)]).is_err());
}

/// Splits a CSV file's data lines into `parts` files at the given line numbers.
fn split_csv(src: &Path, cuts: &[usize], dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(src).expect("read");
    let mut lines = text.lines();
    let header = lines.next().expect("header").to_string();
    let data: Vec<&str> = lines.collect();
    let mut bounds = vec![0];
    bounds.extend(cuts);
    bounds.push(data.len());
    bounds
        .windows(2)
        .enumerate()
        .map(|(k, w)| {
            let p = dir.join(format!("part{k}.csv"));
            let mut s = header.clone();
            s.push('\n');
            for l in &data[w[0]..w[1]] {
                s.push_str(l);
                s.push('\n');
            }
            std::fs::write(&p, s).expect("write");
            p
        })
        .collect()
}

#[test]
fn shards_tallied_in_order_with_keys_merge_to_the_single_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (csv, _) = simulate_both(dir.path(), 30, 11);
    let (plan, roster) = demo_campaign();
    // Cut inside units, so duplicates (planted among recent ballots) cross shards.
    let parts = split_csv(&csv, &[2001, 4503, 7000], dir.path());
    // And a ballot of the first shard copied into the last, for sure.
    let first = std::fs::read_to_string(&parts[0]).expect("read");
    let copied = first.lines().nth(1).expect("a data row").to_string();
    let last = parts.last().expect("shards");
    let mut text = std::fs::read_to_string(last).expect("read");
    text.push_str(&copied);
    text.push('\n');
    std::fs::write(last, text).expect("write");
    let single = run(&plan, &roster, &parts.iter().map(Source::file).collect::<Vec<_>>());
    let mut tallies = Vec::new();
    let mut keys: Vec<PathBuf> = Vec::new();
    let mut without_keys = Vec::new();
    for (k, part) in parts.iter().enumerate() {
        let mut v = Validator::new(&plan, &roster);
        for kf in &keys {
            shard::read_keys(kf, &mut v).expect("keys");
        }
        let mut t = Tally::new(Layout::new(&plan, &roster));
        let mut rejects = Rejects::new();
        let files = campaign::read_ballots(
            &mut v,
            &[Source::file(part)],
            Encoding::Utf8,
            Default::default(),
            &mut t,
            &mut rejects,
            &mut |_| {},
        )
        .expect("tally");
        let tp = dir.path().join(format!("t{k}.tally.parquet"));
        let kp = dir.path().join(format!("t{k}.keys.parquet"));
        shard::write_tally(&tp, &t, &files).expect("write tally");
        shard::write_keys(&kp, &v, &roster).expect("write keys");
        keys.push(kp);
        tallies.push(shard::read_tally(&tp, &Layout::new(&plan, &roster)).expect("read tally"));
        without_keys.push(
            campaign::tally_files(&plan, &roster, &[Source::file(part)], Encoding::Utf8, &mut |_| {})
                .expect("tally")
                .0,
        );
    }
    let (merged, files) = campaign::merge_tallies(&plan, &roster, tallies).expect("merge");
    assert_eq!(files.len(), parts.len());
    let merged = campaign::evaluate(
        &plan,
        &roster,
        merged,
        Default::default(),
        files,
        Complaints::none(&roster),
        Default::default(),
    )
    .expect("evaluate");
    for name in ["results.csv", "items.csv"] {
        assert!(
            render(&plan, &roster, &single, name) == render(&plan, &roster, &merged, name),
            "{name}: merged shards differ from the single run"
        );
    }
    assert_eq!(merged.accounting, single.accounting);

    // Without the keys, the duplicates across shard boundaries go unseen: more
    // valid ballots than in the single run.
    let mut loose = Tally::new(Layout::new(&plan, &roster));
    for t in &without_keys {
        loose.merge(t).expect("merge");
    }
    assert!(
        loose.accounting().valid > single.accounting.valid,
        "the split crosses planted duplicates ({} vs {})",
        loose.accounting().valid,
        single.accounting.valid
    );
}

#[test]
fn cli_tally_and_score_tallies_give_the_bytes_of_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (csv, pq) = simulate_both(dir.path(), 20, 5);
    let parts = split_csv(&csv, &[3001], dir.path());
    let plan = manifest_dir().join("surveys/caidian-2010.plan.yaml");
    let roster = manifest_dir().join("surveys/examples/caidian-2010.roster.csv");
    // `appraise SUBCOMMAND FLAGS… --plan P --roster R`, in the data folder.
    let appraise = |sub: &[&str]| {
        let mut c = Command::cargo_bin("appraise").expect("binary");
        c.current_dir(dir.path())
            .args(sub)
            .arg("--plan")
            .arg(&plan)
            .arg("--roster")
            .arg(&roster);
        c
    };
    let one = dir.path().join("one");
    appraise(&["score", "--quiet"])
        .arg("--ballots")
        .args(&parts)
        .arg("--out")
        .arg(&one)
        .assert()
        .success();
    // Shard 0, then shard 1 (a quoted glob that matches one file) with shard 0's keys.
    appraise(&["tally", "-q"])
        .args([
            "--ballots",
            "part0.csv",
            "--out",
            "t0.tally.parquet",
            "--keys-out",
            "keys/k0.parquet",
        ])
        .assert()
        .success();
    appraise(&["tally", "-q"])
        .args([
            "--ballots",
            "part1*.csv",
            "--out",
            "t1.tally.parquet",
            "--known-keys",
            "keys/k0.parquet",
        ])
        .assert()
        .success();
    assert!(dir.path().join("t0.rejects.csv").is_file() && dir.path().join("t1.rejects.csv").is_file());
    // The keys went to a folder of their own (made for them) with the shard's set,
    // and no staging folder is left in either folder.
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .expect("folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&dir.path().join("keys")), ["k0.parquet"]);
    assert!(!names(dir.path()).iter().any(|n| n.starts_with(".appraise-staging")));
    let merged = dir.path().join("merged");
    let out = appraise(&["score"])
        .args(["--tallies", "t0.tally.parquet", "t1.tally.parquet", "--out"])
        .arg(&merged)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("rejects.csv"));
    for name in ["results.csv", "items.csv"] {
        let a = std::fs::read(one.join(name)).expect("one");
        let b = std::fs::read(merged.join(name)).expect("merged");
        assert!(a == b, "{name}: score --tallies differs from score --ballots");
    }
    // The merged rejects.csv lists the shards' rejects (read back from the files
    // beside the tallies): the single run's rows, files named as each run named them.
    let rows = |p: &Path| -> Vec<Vec<String>> {
        let mut r = csv::Reader::from_path(p).expect("rejects");
        r.records()
            .map(|rec| {
                let rec = rec.expect("row");
                let mut cells: Vec<String> = rec.iter().map(str::to_string).collect();
                let file = Path::new(&cells[4])
                    .file_name()
                    .expect("file")
                    .to_string_lossy()
                    .into_owned();
                cells[4] = file;
                cells
            })
            .collect()
    };
    let single_rows = rows(&one.join("rejects.csv"));
    assert!(single_rows.len() > 10, "planted faults give rejects");
    assert_eq!(rows(&merged.join("rejects.csv")), single_rows);
    let shard_rows = rows(&dir.path().join("t0.rejects.csv")).len() + rows(&dir.path().join("t1.rejects.csv")).len();
    assert_eq!(shard_rows, single_rows.len());
    // A shard's rejects file that does not match its tally is refused; a missing one
    // is a note, and the accounting still counts its rejects.
    let t1 = dir.path().join("t1.rejects.csv");
    let kept = std::fs::read_to_string(&t1).expect("read");
    let header_and_one: String = kept.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(&t1, header_and_one).expect("write");
    let score_merged = || {
        let mut c = appraise(&["score", "-q"]);
        c.args(["--tallies", "t0.tally.parquet", "t1.tally.parquet", "--out"])
            .arg(dir.path().join("merged2"));
        c
    };
    let refused = score_merged().assert().code(1).get_output().stderr.clone();
    assert!(
        String::from_utf8_lossy(&refused).contains("t1.rejects.csv"),
        "{}",
        String::from_utf8_lossy(&refused)
    );
    std::fs::remove_file(&t1).expect("remove");
    let noted = score_merged().assert().success().get_output().stdout.clone();
    assert!(String::from_utf8_lossy(&noted).contains("t1.rejects.csv not found"));

    // Parquet by extension and by --format give the single run's results too.
    let via_pq = dir.path().join("pq");
    appraise(&["score", "-q"])
        .arg("--ballots")
        .arg(&pq)
        .arg("--out")
        .arg(&via_pq)
        .assert()
        .success();
    let renamed = dir.path().join("ballots.data");
    std::fs::copy(&pq, &renamed).expect("copy");
    let via_format = dir.path().join("fmt");
    appraise(&["score", "-q", "--format", "parquet"])
        .arg("--ballots")
        .arg(&renamed)
        .arg("--out")
        .arg(&via_format)
        .assert()
        .success();
    for d in [&via_pq, &via_format] {
        let a = std::fs::read(one.join("results.csv")).expect("one");
        let b = std::fs::read(d.join("results.csv")).expect("pq");
        assert!(a == b, "{}: Parquet results differ", d.display());
    }
}

#[test]
fn a_dataframe_is_judged_like_the_parquet_file_it_came_from() {
    use appraise::count::parquet::{read_dataframe, read_parquet};
    use appraise::count::tally::{Layout, Tally};
    use appraise::judge::ballots::Validator;
    use polars::prelude::{ParquetReader, SerReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, pq) = simulate_both(dir.path(), 12, 7);
    let (plan, roster) = demo_campaign();
    let run_file = || {
        let mut v = Validator::new(&plan, &roster);
        let mut t = Tally::new(Layout::new(&plan, &roster));
        let mut r = Rejects::new();
        let s = read_parquet(&pq, 0, &mut v, &mut t, &mut r, &mut |_| {}).expect("file");
        (t, r, s.rows)
    };
    let df = ParquetReader::new(std::fs::File::open(&pq).expect("open"))
        .finish()
        .expect("frame");
    let mut v = Validator::new(&plan, &roster);
    let mut t = Tally::new(Layout::new(&plan, &roster));
    let mut r = Rejects::new();
    let s = read_dataframe(&df, "frame", 0, &mut v, &mut t, &mut r).expect("frame");
    let (ft, fr, rows) = run_file();
    assert_eq!(s.rows, rows);
    assert!(!r.is_empty(), "the simulated ballots carry planted faults");
    assert_eq!(r, fr, "the same rejects, rows and details");
    assert!(t == ft, "the same tally, bit for bit");
}

/// SPEC §15: a self-assessment group's ballots read from Parquet are tallied apart
/// exactly as from CSV (the Parquet reader adds through the same tally).
#[test]
fn self_assessment_ballots_from_parquet_are_apart_as_from_csv() {
    let survey = Survey::from_yaml(SURVEY, Path::new("s.yaml")).expect("survey");
    let plan = Plan::from_yaml(
        &PLAN.replace("  - {id: '2'}", "  - {id: '2', self: true}"),
        Path::new("p.yaml"),
        survey,
    )
    .expect("plan");
    let (_, roster) = small_campaign();
    let expect = run(&plan, &roster, &[Source::text("b.csv", rows_csv())]);
    // Group 2's two valid ballots (rows 2 and 11) are self-assessment: 5 valid = 3
    // public + 2 self, and the public tally holds only the 3.
    assert_eq!(expect.accounting.valid, 5);
    assert_eq!(expect.accounting.self_assessed, 2);
    assert_eq!(expect.units.iter().map(|u| u.score.valid).sum::<u64>(), 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("b.parquet");
    write_rows(&p, &DataType::Int64, 3);
    let got = run(&plan, &roster, &[Source::file(&p)]);
    assert_eq!(format!("{:?}", got.tally), format!("{:?}", expect.tally));
    assert_eq!(got.people, expect.people);
    assert_eq!(got.accounting, expect.accounting);
}

/// Reads `files` through `validator` into a fresh tally.
fn read_with(v: &mut Validator<'_>, plan: &Plan, roster: &Roster, files: &[Source]) -> (Tally, Vec<Reject>) {
    let mut tally = Tally::new(Layout::new(plan, roster));
    let mut rejects = Rejects::new();
    campaign::read_ballots(
        v,
        files,
        Encoding::Utf8,
        campaign::Format::Auto,
        &mut tally,
        &mut rejects,
        &mut |_| {},
    )
    .expect("read");
    (tally, rejects.to_vec().expect("rejects"))
}

/// Checking only the keys a first pass found repeated gives the verdicts of
/// checking every key: over two files, and for a later shard that goes on from an
/// earlier shard's keys (whose keys count as seen once); the raters logged for
/// the `rater_spread` flag are those of every key.
#[test]
fn checking_only_repeated_ids_judges_as_checking_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, pq) = simulate_both(dir.path(), 40, 11);
    let (plan, roster) = demo_campaign();
    let f = std::fs::File::open(&pq).expect("open");
    let df = ParquetReader::new(f).finish().expect("read");
    let half = df.height() / 2;
    // The second shard ends with five rows of the first again: their ids repeat
    // across the files; then three more under new ballot ids: their (unit, rater)
    // keys repeat.
    let mut part1 = df.slice(half as i64, df.height() - half);
    part1.vstack_mut(&df.slice(0, 5)).expect("stack");
    let mut again = df.slice(5, 3);
    again
        .with_column(Series::new("ballot_id".into(), ["again-1", "again-2", "again-3"]).into_column())
        .expect("ids");
    part1.vstack_mut(&again).expect("stack");
    let (p0, p1) = (dir.path().join("p0.parquet"), dir.path().join("p1.parquet"));
    for (p, mut d) in [(&p0, df.slice(0, half)), (&p1, part1)] {
        ParquetWriter::new(std::fs::File::create(p).expect("create"))
            .finish(&mut d)
            .expect("write");
    }
    let files = [Source::file(&p0), Source::file(&p1)];
    let mut all = Validator::new(&plan, &roster);
    let (want_tally, want) = read_with(&mut all, &plan, &roster, &files);
    let repeats = want
        .iter()
        .filter(|r| r.file == 1 && r.reason == Reason::Duplicate)
        .count();
    assert!(repeats >= 5, "the repeated rows are duplicates ({repeats})");
    let rater_repeats = want
        .iter()
        .filter(|r| r.ballot_id.starts_with("again-") && r.detail.contains("already appraised"))
        .count();
    assert_eq!(rater_repeats, 3, "{want:?}");

    let mut few = Validator::new(&plan, &roster);
    assert!(campaign::check_only_repeated_ids(
        &mut few,
        &files,
        campaign::Format::Auto,
        true
    ));
    let (tally, got) = read_with(&mut few, &plan, &roster, &files);
    assert_eq!(comparable(&got.clone().into()), comparable(&want.clone().into()));
    assert_eq!(format!("{tally:?}"), format!("{want_tally:?}"));
    assert!(
        few.ballot_ids().count() < all.ballot_ids().count() / 10,
        "only the repeated ids are kept"
    );
    assert!(
        few.rater_keys().count() < all.rater_keys().count() / 10,
        "only the repeated (unit, rater) keys are kept"
    );
    let counts = |v: &mut Validator<'_>| {
        let mut c = std::collections::BTreeMap::new();
        v.take_raters()
            .counts(|r, n| {
                c.insert(r.to_string(), n);
            })
            .expect("counts");
        c
    };
    let (few_raters, all_raters) = (counts(&mut few), counts(&mut all));
    assert_eq!(few_raters, all_raters);
    assert_eq!(few_raters.values().sum::<u64>(), all.rater_keys().count() as u64);

    // Shard 0 with every id kept, then shard 1 from its keys, checking only repeats.
    let mut v0 = Validator::new(&plan, &roster);
    let (mut t0, r0) = read_with(&mut v0, &plan, &roster, &files[..1]);
    let mut v1 = Validator::with_keys(&plan, &roster, v0.into_keys());
    assert!(campaign::check_only_repeated_ids(
        &mut v1,
        &files[1..],
        campaign::Format::Auto,
        false
    ));
    let (t1, r1) = read_with(&mut v1, &plan, &roster, &files[1..]);
    t0.merge(&t1).expect("merge");
    let shards: Vec<_> = r0
        .iter()
        .chain(&r1)
        .map(|r| (r.row, r.reason, r.detail.clone()))
        .collect();
    let single: Vec<_> = want.iter().map(|r| (r.row, r.reason, r.detail.clone())).collect();
    assert_eq!(shards, single);
    assert_eq!(format!("{t0:?}"), format!("{want_tally:?}"));
    // A CSV file among the files: nothing to do.
    let csv = [Source::text("b.csv", "ballot_id\n")];
    assert!(!campaign::check_only_repeated_ids(
        &mut Validator::new(&plan, &roster),
        &csv,
        campaign::Format::Auto,
        true
    ));
}
