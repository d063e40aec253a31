//! Hostile inputs (issue 17): each builds its input here, small, and must end in a
//! typed error (or a bounded result) quickly, never a panic, an abort or a hang.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use appraise::count::shard;
use appraise::count::tally::{Layout, Tally};
use appraise::{Encoding, ErrorKind, Plan, Roster, Source, Survey, campaign};
use polars::prelude::{
    DataFrame, IntoColumn, IntoSeries, KeyValueMetadata, NamedFrom, ParquetReader, ParquetWriter, SerReader, Series,
};

use crate::fixture_dir;

fn text(name: &str) -> String {
    std::fs::read_to_string(fixture_dir("campaign-pooled").join(name)).expect("fixture")
}

fn survey_err(yaml: &str) -> String {
    Survey::from_yaml(yaml, Path::new("s.yaml"))
        .expect_err("refused")
        .to_string()
}

fn plan_err(yaml: &str) -> String {
    let survey = Survey::from_yaml(&text("survey.yaml"), Path::new("s.yaml")).expect("survey");
    Plan::from_yaml(yaml, Path::new("p.yaml"), survey)
        .expect_err("refused")
        .to_string()
}

fn pooled() -> (Plan, Roster) {
    let survey = Survey::from_yaml(&text("survey.yaml"), Path::new("s.yaml")).expect("survey");
    let plan = Plan::from_yaml(&text("plan.yaml"), Path::new("p.yaml"), survey).expect("plan");
    let roster = Roster::load(&fixture_dir("campaign-pooled").join("roster.csv"), Encoding::Utf8).expect("roster");
    (plan, roster)
}

#[test]
fn yaml_nested_deep_is_refused_at_once() {
    for deep in [
        format!("id: t\nscales: {}{}\n", "[".repeat(80_000), "]".repeat(80_000)),
        format!(
            "id: t\nscales:\n{}",
            (1..200)
                .map(|k| format!("{}a{k}:\n", " ".repeat(k)))
                .collect::<String>()
        ),
        format!("id: t\nscales:\n{}x\n", (1..200).map(|_| "- ").collect::<String>()),
    ] {
        let t = Instant::now();
        let e = survey_err(&deep);
        assert!(e.contains("nested more than 64 levels"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }
    // Brackets in quoted text and in block scalars are not nesting.
    let fine = text("survey.yaml").replace(
        "title: {zh: 民主评议测评表",
        &format!("title: {{zh: \"{}\"", "[".repeat(100)),
    );
    Survey::from_yaml(&fine, Path::new("s.yaml")).expect("quoted brackets are text");
    let block = text("survey.yaml").replace(
        "title: {zh: 民主评议测评表, en: Democratic appraisal}",
        &format!(
            "title:\n  zh: |\n    {}\n      {}\n  en: x",
            "[".repeat(100),
            "{".repeat(100)
        ),
    );
    let s = Survey::from_yaml(&block, Path::new("s.yaml")).expect("a block scalar is text");
    assert!(s.title.zh.starts_with("[[["));
}

#[test]
fn a_duplicate_scale_key_is_refused_by_name() {
    let s = text("survey.yaml").replace(
        "  sat5:\n",
        "  sat4:\n    options:\n      - {code: \"1\", zh: 是, score: 100}\n  sat5:\n",
    );
    let e = survey_err(&s);
    assert!(e.contains("duplicate key `sat4`"), "{e}");
    // A field given twice anywhere else is refused too (serde's structs).
    let s = text("survey.yaml").replace("en: integrity, weight: 1}", "en: integrity, weight: 1, weight: 3}");
    assert!(survey_err(&s).contains("duplicate field `weight`"));
    let p = format!("{}ranking: {{decimals: 1}}\n", text("plan.yaml"));
    assert!(plan_err(&p).contains("duplicate field `ranking`"));
}

#[test]
fn weights_and_points_out_of_range_are_refused() {
    let s = text("survey.yaml");
    for (from, to) in [
        (
            "scale: sat4, weight: 2, zh: 测评项int1",
            "scale: sat4, weight: 1e308, zh: 测评项int1",
        ),
        (
            "scale: sat4, weight: 2, zh: 测评项int1",
            "scale: sat4, weight: .nan, zh: 测评项int1",
        ),
        ("en: integrity, weight: 1}", "en: integrity, weight: .inf}"),
    ] {
        let e = survey_err(&s.replacen(from, to, 1));
        assert!(e.contains("must be a number > 0 and at most 1000000"), "{e}");
    }
    let p = text("plan.yaml");
    for (from, to, field) in [
        (
            "points: 2}",
            "points: 2}\n    - {id: prize, zh: 奖, bonus: 1e308}",
            "bonus",
        ),
        ("points: 2}", "points: -.inf}", "points"),
        ("points: 5}", "points: .nan}", "points"),
        ("max_deduction: 10", "max_deduction: 1e300", "max_deduction"),
        ("top_n: 3", "top_n: 18446744073709551615", "top_n"),
        ("bottom_n: 3", "bottom_n: 1000001", "bottom_n"),
        ("min: 60}", "min: -1e308}", "grades[2].min"),
    ] {
        let e = plan_err(&p.replacen(from, to, 1));
        assert!(e.contains(field), "{field}: {e}");
    }
}

#[test]
fn rank_sets_of_non_finite_estimates_end() {
    let t = Instant::now();
    let est = [80.0, f64::NAN, 70.0, f64::INFINITY, 75.0];
    let se = [1.0, 1.0, f64::INFINITY, 2.0, f64::NAN];
    let sets = appraise::score::stats::rank_sets(&est, &se, 0.95, 1);
    assert_eq!(sets.len(), 5);
    assert_eq!((sets[1].lower, sets[1].upper), (1, 5), "nothing known: every rank");
    assert!(sets[0].c.is_finite());
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

/// The fixture's tally written as a tally file, then its rows rewritten by `edit`
/// (same metadata): the hostile tally file.
fn edited_tally(dir: &Path, edit: impl Fn(&mut Vec<String>, &mut Vec<Option<u64>>, &mut Vec<Option<f64>>)) -> PathBuf {
    let (plan, roster) = pooled();
    let ballots = fixture_dir("campaign-pooled").join("ballots.csv");
    let (tally, _, files) =
        campaign::tally_files(&plan, &roster, &[Source::file(&ballots)], Encoding::Utf8, &mut |_| {}).expect("tally");
    let p = dir.join("t.tally.parquet");
    shard::write_tally(&p, &tally, &files).expect("write");
    let mut reader = ParquetReader::new(std::fs::File::open(&p).expect("open"));
    let meta = reader.get_metadata().expect("meta").clone();
    let kv = meta.key_value_metadata().clone().expect("kv");
    let kv = kv.iter().find(|k| k.key == "appraise.tally").expect("appraise.tally");
    let (key, json) = (kv.key.clone(), kv.value.clone().expect("json"));
    let df = reader.finish().expect("read");
    let mut field: Vec<String> = df
        .column("field")
        .expect("field")
        .str()
        .expect("str")
        .iter()
        .map(|s| s.unwrap_or_default().to_string())
        .collect();
    let index: Vec<Option<u64>> = df.column("index").expect("i").u64().expect("u64").iter().collect();
    let mut count: Vec<Option<u64>> = df.column("count").expect("c").u64().expect("u64").iter().collect();
    let mut value: Vec<Option<f64>> = df.column("value").expect("v").f64().expect("f64").iter().collect();
    edit(&mut field, &mut count, &mut value);
    let mut out = DataFrame::new(
        field.len(),
        vec![
            Series::new("field".into(), field).into_column(),
            Series::new("index".into(), index).into_column(),
            Series::new("count".into(), count).into_column(),
            Series::new("value".into(), value).into_column(),
            // An extra column of a type the readers never decode.
            Series::new("extra".into(), vec![1i32; df.height()]).into_column(),
        ],
    )
    .expect("frame");
    ParquetWriter::new(std::fs::File::create(&p).expect("create"))
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![(key, json)])))
        .finish(&mut out)
        .expect("write");
    p
}

#[test]
fn a_tally_file_with_an_infinite_moment_or_a_huge_count_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan, roster) = pooled();
    let layout = Layout::new(&plan, &roster);
    // Untouched (an extra column beside): reads back.
    let p = edited_tally(dir.path(), |_, _, _| {});
    shard::read_tally(&p, &layout).expect("a clean tally file reads");

    let p = edited_tally(dir.path(), |f, _, v| {
        let k = f.iter().position(|f| f == "moments").expect("a moment");
        v[k] = Some(f64::INFINITY);
    });
    let e = shard::read_tally(&p, &layout).expect_err("infinite moment");
    assert!(e.to_string().contains("not a finite number"), "{e}");

    let p = edited_tally(dir.path(), |f, c, _| {
        let k = f.iter().position(|f| f == "counts").expect("a count");
        c[k] = Some(u64::MAX);
    });
    let e = shard::read_tally(&p, &layout).expect_err("count near 2^64");
    assert!(e.to_string().contains("t.tally.parquet"), "{e}");
}

#[test]
fn an_unreadable_parquet_column_type_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan, roster) = pooled();
    let p = dir.path().join("b.parquet");
    let ids = |s: &str| Series::new(s.into(), vec!["x"; 2]).into_column();
    let mut cols = vec![ids("ballot_id"), ids("unit_id"), ids("rater_id"), ids("rater_group")];
    for it in &plan.survey.items {
        let s = Series::new(it.id.as_str().into(), vec![1i64; 2]);
        // int2 is a list column: a type a ballot cell cannot be.
        let s = if it.id == "int2" {
            s.implode().expect("list").into_series()
        } else {
            s
        };
        cols.push(s.into_column());
    }
    let height = cols.iter().map(|c| c.len()).min().unwrap_or(0);
    let cols = cols.into_iter().map(|c| c.head(Some(height))).collect();
    let mut df = DataFrame::new(height, cols).expect("frame");
    ParquetWriter::new(std::fs::File::create(&p).expect("create"))
        .finish(&mut df)
        .expect("write");
    let e = campaign::run(
        &plan,
        &roster,
        &[Source::file(&p)],
        None,
        &Default::default(),
        &mut |_| {},
    )
    .expect_err("list column");
    let m = e.to_string();
    assert!(m.contains("column `int2`") && m.contains("List"), "{m}");
}

#[test]
fn absurd_simulator_sizes_are_refused_before_any_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan, roster) = pooled();
    let cfg = appraise::simulate::SimConfig {
        ballots_per_unit: 100_000_000_000,
        ..Default::default()
    };
    let e = appraise::simulate::write_files(&plan, &roster, &cfg, dir.path()).expect_err("absurd");
    assert!(matches!(e.kind(), ErrorKind::Usage(_)), "{e}");
    assert!(e.to_string().contains("--ballots-per-unit"), "{e}");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "no file, not even a temporary one"
    );
}

#[test]
fn a_wide_csv_header_is_checked_in_linear_time() {
    let mut head: Vec<String> = (0..60_000).map(|k| format!("c{k}")).collect();
    head.push("c7".into());
    let t = Instant::now();
    let e = Roster::read_from(&Source::text("r.csv", format!("{}\n", head.join(","))), Encoding::Utf8)
        .expect_err("duplicate");
    assert!(e.to_string().contains("`c7` appears twice"), "{e}");
    let wide: Vec<String> = (0..100_001).map(|k| format!("c{k}")).collect();
    let e = Roster::read_from(&Source::text("r.csv", format!("{}\n", wide.join(","))), Encoding::Utf8)
        .expect_err("too wide");
    assert!(e.to_string().contains("more than the 100000"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn items_csv_has_columns_only_for_scales_in_use() {
    let s = text("survey.yaml").replace(
        "  sat5:\n",
        "  spare:\n    options:\n      - {code: \"Z\", zh: 备用, score: 100}\n  sat5:\n",
    );
    let survey = Survey::from_yaml(&s, Path::new("s.yaml")).expect("survey");
    let plan = Plan::from_yaml(&text("plan.yaml"), Path::new("p.yaml"), survey).expect("plan");
    let roster = Roster::load(&fixture_dir("campaign-pooled").join("roster.csv"), Encoding::Utf8).expect("roster");
    let ballots = fixture_dir("campaign-pooled").join("ballots.csv");
    let o = campaign::run(
        &plan,
        &roster,
        &[Source::file(&ballots)],
        None,
        &Default::default(),
        &mut |_| {},
    )
    .expect("run");
    let csv = appraise::output::render_all(&plan, &roster, &o)
        .expect("renders")
        .into_iter()
        .find(|(n, _)| *n == "items.csv")
        .expect("items.csv")
        .1;
    let head = String::from_utf8_lossy(&csv)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(head.contains("n_A") && head.contains("n_9"), "{head}");
    assert!(!head.contains("n_Z"), "{head}");
}

#[test]
fn a_tally_larger_than_the_budget_is_refused_naming_its_size() {
    let mut s = String::from(
        "id: big\nscales:\n  s:\n    options:\n      - {code: 1, score: 100}\ndimensions:\n  - {id: d}\nitems:\n",
    );
    for k in 0..1000 {
        s.push_str(&format!("  - {{id: i{k}, dimension: d, scale: s, zh: 问{k}}}\n"));
    }
    let survey = Survey::from_yaml(&s, Path::new("s.yaml")).expect("survey");
    let plan = Plan::from_yaml(&text("plan.yaml"), Path::new("p.yaml"), survey).expect("plan");
    let roster = Roster::load(&fixture_dir("campaign-pooled").join("roster.csv"), Encoding::Utf8).expect("roster");
    let e = Tally::try_new(Layout::new(&plan, &roster)).expect_err("over budget");
    let m = e.to_string();
    assert!(
        m.contains("300 units") && m.contains("1000 items") && m.contains("budget"),
        "{m}"
    );
    let ballots = fixture_dir("campaign-pooled").join("ballots.csv");
    assert!(campaign::tally_files(&plan, &roster, &[Source::file(&ballots)], Encoding::Utf8, &mut |_| {}).is_err());
}

#[test]
fn a_footer_whose_row_counts_were_edited_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan, roster) = pooled();
    let p = dir.path().join("b.parquet");
    let n = 5992;
    let mut cols = vec![
        Series::new("ballot_id".into(), (0..n).map(|k| format!("B{k}")).collect::<Vec<_>>()).into_column(),
        Series::new("unit_id".into(), vec!["U001"; n]).into_column(),
        Series::new("rater_id".into(), (0..n).map(|k| format!("R{k}")).collect::<Vec<_>>()).into_column(),
        Series::new("rater_group".into(), vec!["public"; n]).into_column(),
    ];
    for it in &plan.survey.items {
        cols.push(Series::new(it.id.as_str().into(), vec![1i64; n]).into_column());
    }
    let mut df = DataFrame::new(n, cols).expect("frame");
    ParquetWriter::new(std::fs::File::create(&p).expect("create"))
        .finish(&mut df)
        .expect("write");
    let run = |p: &Path| {
        campaign::run(
            &plan,
            &roster,
            &[Source::file(p)],
            None,
            // Every answer is a bad code here; the test is about the footer.
            &campaign::Options {
                accept_rejects: true,
                ..Default::default()
            },
            &mut |_| {},
        )
    };
    let o = run(&p).expect("the file as written reads");
    assert_eq!(o.accounting.read, n as u64);
    // In the Thrift footer, an i64 field that follows its predecessor is 0x16 and
    // 5992 is the zigzag varint D0 5D. The first such field is the file's num_rows,
    // the last the row group's; the column chunks' num_values lie between. Both
    // counts become 100 (C8 01, the same length), the chunks still hold 5992.
    let mut bytes = std::fs::read(&p).expect("read");
    let len = bytes.len();
    let footer_len = u32::from_le_bytes(bytes[len - 8..len - 4].try_into().expect("4 bytes")) as usize;
    let start = len - 8 - footer_len;
    let hits: Vec<usize> = (start..len - 10)
        .filter(|&k| bytes[k..k + 3] == [0x16, 0xD0, 0x5D])
        .collect();
    assert!(hits.len() >= 3, "{hits:?}");
    for &k in [hits[0], hits[hits.len() - 1]].iter() {
        bytes[k + 1..k + 3].copy_from_slice(&[0xC8, 0x01]);
    }
    let edited = dir.path().join("edited.parquet");
    std::fs::write(&edited, &bytes).expect("write");
    let e = run(&edited).expect_err("edited footer");
    assert!(e.to_string().contains("announces 100 rows but its column"), "{e}");
}

#[test]
fn a_footer_that_panics_the_thrift_decoder_is_an_error() {
    // Found by mutating a simulated file: byte −3034 (from the end) of the footer
    // turns 4 into 168, and polars' Thrift decoder `expect`s a bool field there.
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan, roster) = pooled();
    let cfg = appraise::simulate::SimConfig {
        ballots_per_unit: 2,
        ..Default::default()
    };
    let p = dir.path().join("b.parquet");
    appraise::simulate::write_ballots_parquet(&plan, &roster, &cfg, std::fs::File::create(&p).expect("create"))
        .expect("simulate");
    let mut bytes = std::fs::read(&p).expect("read");
    let k = bytes.len() - 3034;
    assert_eq!(bytes[k], 4, "the simulated file is the one the case was found in");
    bytes[k] = 168;
    std::fs::write(&p, &bytes).expect("write");
    let e = campaign::run(
        &plan,
        &roster,
        &[Source::file(&p)],
        None,
        &Default::default(),
        &mut |_| {},
    )
    .expect_err("damaged footer");
    assert!(e.to_string().contains("b.parquet"), "{e}");
}
