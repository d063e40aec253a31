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

/// The error of scoring one ballot file of `plan` with the default options.
fn run_err(plan: &Plan, roster: &Roster, ballots: &Path) -> String {
    campaign::run(
        plan,
        roster,
        &[Source::file(ballots)],
        None,
        &Default::default(),
        &mut |_| {},
    )
    .expect_err("refused")
    .to_string()
}

/// Where the footer of a Parquet file's bytes starts.
fn footer_start(bytes: &[u8]) -> usize {
    let len = bytes.len();
    len - 8 - u32::from_le_bytes(bytes[len - 8..len - 4].try_into().expect("4 bytes")) as usize
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
fn a_survey_line_ending_in_a_wide_space_and_a_bar_is_an_error_not_a_panic() {
    // Found by the `survey_plan` fuzz target (2026-12-04): a line whose last
    // space is U+2000 before `|` panicked the full-width hint pass.
    let e = survey_err("id: s\nscales:\n  sat4# \u{201c}\u{2000}|\n");
    assert!(e.contains("s.yaml"), "{e}");
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
    let m = run_err(&plan, &roster, &p);
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
    let n = 5992;
    let p = plain_parquet(dir.path(), &plan, n);
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
    let start = footer_start(&bytes);
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

/// A Parquet file of `n` ballots of unit U001 written by polars (one row group).
fn plain_parquet(dir: &Path, plan: &Plan, n: usize) -> PathBuf {
    let p = dir.join("b.parquet");
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
    p
}

/// The unsigned LEB128 varint at `bytes[at..]`: (value, its length).
fn varint(bytes: &[u8], at: usize) -> (u64, usize) {
    let (mut v, mut k) = (0u64, 0);
    loop {
        let b = bytes[at + k];
        v |= u64::from(b & 0x7F) << (7 * k);
        k += 1;
        if b & 0x80 == 0 {
            return (v, k);
        }
    }
}

/// The zigzag varint of an i64 (Thrift compact protocol).
fn zigzag(x: i64) -> Vec<u8> {
    let mut v = ((x << 1) ^ (x >> 63)) as u64;
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// `bytes` with the footer's varint at `at` (a value of any length) replaced by
/// `value`, and the footer's length updated (Thrift is self-delimiting; the
/// offsets in the footer point before it and do not move).
fn with_footer_value(bytes: &[u8], at: usize, value: i64) -> Vec<u8> {
    let (_, old) = varint(bytes, at);
    let new = zigzag(value);
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(&new);
    out.extend_from_slice(&bytes[at + old..]);
    let len = out.len();
    let footer = u32::from_le_bytes(out[len - 8..len - 4].try_into().expect("4 bytes")) as i64;
    let footer = (footer + new.len() as i64 - old as i64) as u32;
    out[len - 8..len - 4].copy_from_slice(&footer.to_le_bytes());
    out
}

#[test]
fn a_footer_announcing_2_pow_62_rows_is_an_error_not_an_abort() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan, roster) = pooled();
    let n = 5992;
    let p = plain_parquet(dir.path(), &plan, n);
    let bytes = std::fs::read(&p).expect("read");
    let len = bytes.len();
    let start = footer_start(&bytes);
    // 5992 as an i64 field following its predecessor: 0x16, zigzag varint D0 5D.
    let hits: Vec<usize> = (start..len - 10)
        .filter(|&k| bytes[k..k + 3] == [0x16, 0xD0, 0x5D])
        .collect();
    assert!(hits.len() >= 3, "{hits:?}");
    for rows in [1i64 << 62, 2_000_000_000] {
        // The row group's count first (it lies after the file's), then the file's.
        let edited = with_footer_value(&bytes, hits[hits.len() - 1] + 1, rows);
        let edited = with_footer_value(&edited, hits[0] + 1, rows);
        let e = dir.path().join("edited.parquet");
        std::fs::write(&e, &edited).expect("write");
        let t = Instant::now();
        let err = campaign::run(
            &plan,
            &roster,
            &[Source::file(&e)],
            None,
            &campaign::Options {
                accept_rejects: true,
                ..Default::default()
            },
            &mut |_| {},
        )
        .expect_err("a footer announcing more rows than the file holds");
        assert!(err.to_string().contains("edited.parquet"), "{err}");
        assert!(err.to_string().contains(&format!("announces {rows} rows")), "{err}");
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    }
}

#[test]
fn a_footer_length_or_a_count_claiming_more_than_the_bytes_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan, roster) = pooled();
    let p = plain_parquet(dir.path(), &plan, 100);
    let bytes = std::fs::read(&p).expect("read");
    let len = bytes.len();
    let run = |edited: &[u8]| {
        let e = dir.path().join("edited.parquet");
        std::fs::write(&e, edited).expect("write");
        run_err(&plan, &roster, &e)
    };
    // The metadata length (the u32 before the closing PAR1) claims the whole file
    // and more: 4 + len bytes of metadata in a len-byte file.
    let mut edited = bytes.clone();
    edited[len - 8..len - 4].copy_from_slice(&(len as u32 + 4).to_le_bytes());
    let e = run(&edited);
    assert!(e.contains(&format!("announces {} bytes of metadata", len + 4)), "{e}");
    // The footer's schema list (FileMetaData field 2: header 0x19, then the list
    // header 0xfc: structs, count as a varint) rewritten to claim 2²⁸ entries in
    // the same number of bytes: 80 80 80 80 01.
    let start = footer_start(&bytes);
    // Field 1 (version, i32) comes first: 0x15 and a one-byte varint.
    assert_eq!(bytes[start], 0x15, "FileMetaData starts with its version");
    let list = start + 2;
    assert_eq!(bytes[list], 0x19, "then the schema list");
    let mut edited = bytes[..list + 1].to_vec();
    edited.extend_from_slice(&[0xfc, 0x80, 0x80, 0x80, 0x80, 0x01]);
    // The rest of the footer after the list header is kept (the header is 0xNc
    // for a count N < 15, else 0xfc and the count as a varint: 1 + 19 + 4 schema
    // elements here), so the footer's length is recomputed.
    assert_eq!(bytes[list + 1] & 0x0f, 0x0c, "a list of structs");
    let tail_from = if bytes[list + 1] >> 4 == 15 {
        list + 2 + varint(&bytes, list + 2).1
    } else {
        list + 2
    };
    edited.extend_from_slice(&bytes[tail_from..len - 8]);
    let new_len = (edited.len() - start) as u32;
    edited.extend_from_slice(&new_len.to_le_bytes());
    edited.extend_from_slice(b"PAR1");
    let e = run(&edited);
    assert!(e.contains("more entries than the bytes left"), "{e}");
    // A data page header (PageHeader field 5, or 8 for v2, a struct: 0x2c or 0x5c
    // after field 3) whose num_values (field 1, i32 100: 0x15, zigzag 200 = c8 01)
    // claims 8000 (zigzag 16000 = 80 7d, the same two bytes' length).
    let page = (0..len - 4)
        .find(|&k| matches!(bytes[k], 0x2c | 0x5c) && bytes[k + 1..k + 4] == [0x15, 0xc8, 0x01])
        .expect("a data page header of 100 values");
    let mut edited = bytes.clone();
    edited[page + 2..page + 4].copy_from_slice(&[0x80, 0x7d]);
    let e = run(&edited);
    assert!(
        e.contains("announces 8000 values where 100 of the chunk's 100 are left"),
        "{e}"
    );
}

#[test]
fn a_column_chunk_whose_compressed_size_lies_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan, roster) = pooled();
    let n = 5992;
    let p = plain_parquet(dir.path(), &plan, n);
    let bytes = std::fs::read(&p).expect("read");
    let len = bytes.len();
    let start = footer_start(&bytes);
    let hits: Vec<usize> = (start..len - 10)
        .filter(|&k| bytes[k..k + 3] == [0x16, 0xD0, 0x5D])
        .collect();
    // A column chunk's num_values (field 5) is followed by total_uncompressed_size
    // (field 6) and total_compressed_size (field 7), each an i64 one field id on: 0x16.
    let chunk = hits[1];
    let after_values = chunk + 3;
    assert_eq!(bytes[after_values], 0x16, "field 6 follows");
    let (_, l6) = varint(&bytes, after_values + 1);
    let field7 = after_values + 1 + l6;
    assert_eq!(bytes[field7], 0x16, "field 7 follows");
    // −1 and i64::MIN: polars computes offset + (size as u64) with an unwrap
    // while it builds the metadata; the footer walk refuses a negative size
    // before that (and check_footer computes the range itself too).
    for size in [1i64 << 40, 1 << 20, 3, -1, i64::MIN] {
        let edited = with_footer_value(&bytes, field7 + 1, size);
        let e = dir.path().join("edited.parquet");
        std::fs::write(&e, &edited).expect("write");
        let t = Instant::now();
        let run = campaign::run(
            &plan,
            &roster,
            &[Source::file(&e)],
            None,
            &campaign::Options {
                accept_rejects: true,
                ..Default::default()
            },
            &mut |_| {},
        );
        let err = run.expect_err("a chunk size that does not fit the file");
        assert!(err.to_string().contains("edited.parquet"), "{size}: {err}");
        if size < 0 {
            assert!(
                err.to_string().contains("size, count or offset is negative"),
                "{size}: {err}"
            );
        } else if size > 1000 {
            assert!(err.to_string().contains("past the end of the"), "{size}: {err}");
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    }
}

/// A simulated ballot file of the pooled plan whose footer panics polars' Thrift
/// decoder: byte −3034 (from the end) turns 4 into 168, where the decoder
/// `expect`s a bool field. Found by mutating a simulated file.
fn thrift_panicking_parquet(plan: &Plan, roster: &Roster, p: &Path) {
    let cfg = appraise::simulate::SimConfig {
        ballots_per_unit: 2,
        ..Default::default()
    };
    appraise::simulate::write_ballots_parquet(plan, roster, &cfg, std::fs::File::create(p).expect("create"))
        .expect("simulate");
    let mut bytes = std::fs::read(p).expect("read");
    let k = bytes.len() - 3034;
    assert_eq!(bytes[k], 4, "the simulated file is the one the case was found in");
    bytes[k] = 168;
    std::fs::write(p, &bytes).expect("write");
}

#[test]
fn a_footer_that_panics_the_thrift_decoder_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan, roster) = pooled();
    let p = dir.path().join("b.parquet");
    thrift_panicking_parquet(&plan, &roster, &p);
    let e = run_err(&plan, &roster, &p);
    assert!(e.contains("b.parquet"), "{e}");
}

#[test]
fn a_caught_decoder_panic_prints_no_panic_message() {
    // The library catches the panic; the binary must not let Rust's panic hook
    // print `thread 'main' panicked` and a backtrace before the error (found by
    // the `parquet` fuzz target, 2026-12-04). Both commands that read ballots.
    let dir = campaign_copy();
    let (plan, roster) = pooled();
    thrift_panicking_parquet(&plan, &roster, &dir.path().join("b.parquet"));
    let (code, _, err) = run_in(dir.path(), &score_args(&["--ballots", "b.parquet", "--out", "out"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("b.parquet") && err.contains("damaged"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
    let mut tally: Vec<&str> = TALLY.to_vec();
    tally[7] = "b.parquet";
    let (code, _, err) = run_in(dir.path(), &tally);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("b.parquet") && err.contains("damaged"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
}

#[test]
fn files_found_by_fuzzing_are_errors_without_a_panic_message() {
    // tests/fixtures/fuzz/: inputs the `parquet` and `tally_file` fuzz targets
    // found on 2026-12-04. thrift-bool.parquet panics polars' footer decoder on
    // the calling thread; pool-bitmap.parquet and pool-bitmap.tally.parquet panic
    // it on polars' own decoding threads (`polars-0`), which carry the panic back
    // to the reader. Each must end in an error naming the file, with no
    // `panicked` line on stderr. footer-list-2-31.parquet has a footer list
    // that polars would reserve 47 GB for (an abort, not a panic): the footer
    // walk refuses it first. page-negative-count.parquet has a data page header
    // announcing −47 values, which polars casts to a 2⁶¹-byte reservation (an
    // abort): the page walk refuses it. footer-field-type.parquet sends a known
    // footer field with another wire type than declared, which polars (decoding
    // by field id) would read as a list header asking for 136 GB: the walk
    // checks declared types. footer-bool-list.tally.parquet holds a list of
    // booleans in an undeclared footer field, which polars skips as taking no
    // bytes (a 137 GB reservation followed): the walk refuses such lists. The
    // tallies were written under the pooled plan without its `exclude:` line
    // and a 4-unit roster (the fuzz target's setup).
    const BALLOTS: [&str; 5] = [
        "thrift-bool.parquet",
        "pool-bitmap.parquet",
        "footer-list-2-31.parquet",
        "page-negative-count.parquet",
        "footer-field-type.parquet",
    ];
    const TALLIES: [&str; 2] = ["pool-bitmap.tally.parquet", "footer-bool-list.tally.parquet"];
    let dir = campaign_copy();
    let d = dir.path();
    for f in BALLOTS.iter().chain(&TALLIES) {
        std::fs::copy(fixture_dir("fuzz").join(f), d.join(f)).expect("copy");
    }
    let quiet = |err: &str, name: &str| {
        assert!(err.contains(name) && err.contains("damaged"), "{err}");
        assert_eq!(err.lines().count(), 1, "one line, the error: {err}");
        assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
    };
    for f in BALLOTS {
        let (code, _, err) = run_in(d, &score_args(&["--ballots", f, "--out", "out"]));
        assert_eq!(code, 1, "{err}");
        quiet(&err, f);
    }
    let plan = text("plan.yaml");
    let plan: String = plan
        .lines()
        .filter(|l| !l.starts_with("exclude:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(d.join("plan4.yaml"), plan).expect("plan");
    std::fs::write(
        d.join("roster4.csv"),
        "unit_id,name,department,kind,issued\nU001,城区供电所,供电,站所,40\nU002,索河供电所,供电,站所,\n\
         U003,侏儒供电所,供电,站所,3\nU004,办证窗口,政务,窗口,40\n",
    )
    .expect("roster");
    for t in TALLIES {
        let (code, _, err) = run_in(
            d,
            &[
                "score",
                "-q",
                "--plan",
                "plan4.yaml",
                "--roster",
                "roster4.csv",
                "--tallies",
                t,
                "--out",
                "out",
            ],
        );
        assert_eq!(code, 1, "{err}");
        quiet(&err, t);
        assert!(!d.join("out").exists(), "no output set from a damaged input");
    }
}

// ---------------------------------------------------------------------------
// Outputs never replace an input; the same input twice; the output set; text
// that reaches a terminal or a report; decoding and quoting evidence; leaks.
// ---------------------------------------------------------------------------

/// The pooled campaign copied into a fresh folder (plan, survey, roster,
/// ballots, complaints), so that a test may edit and overwrite its inputs.
fn campaign_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in [
        "plan.yaml",
        "survey.yaml",
        "roster.csv",
        "ballots.csv",
        "complaints.csv",
    ] {
        std::fs::copy(fixture_dir("campaign-pooled").join(f), dir.path().join(f)).expect("copy");
    }
    dir
}

/// The binary run in `dir`: (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("appraise")
        .expect("the appraise binary")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("ran");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SCORE: [&str; 6] = ["score", "-q", "--plan", "plan.yaml", "--roster", "roster.csv"];

/// `appraise tally` of the campaign copy's ballots into `t.tally.parquet`.
const TALLY: [&str; 10] = [
    "tally",
    "-q",
    "--plan",
    "plan.yaml",
    "--roster",
    "roster.csv",
    "--ballots",
    "ballots.csv",
    "--out",
    "t.tally.parquet",
];

fn score_args<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    SCORE.iter().copied().chain(rest.iter().copied()).collect()
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_same_ballots_file_twice_is_refused_by_any_name() {
    let dir = campaign_copy();
    let d = dir.path();
    std::fs::hard_link(d.join("ballots.csv"), d.join("hard.csv")).expect("hard link");
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.join("ballots.csv"), d.join("soft.csv")).expect("symlink");
    let mut twins = vec!["./ballots.csv", "hard.csv"];
    if cfg!(unix) {
        twins.push("soft.csv");
    }
    for twin in twins {
        let (code, _, err) = run_in(d, &score_args(&["--ballots", "ballots.csv", twin, "--out", "out"]));
        assert_eq!(code, 2, "{twin}: {err}");
        assert!(
            err.contains(&format!(
                "--ballots `{twin}` is the same file as --ballots `ballots.csv`"
            )),
            "{err}"
        );
        assert!(!d.join("out").exists(), "refused before any work: nothing written");
    }
    // The same file as ballots and complaints is refused too.
    let (code, _, err) = run_in(
        d,
        &score_args(&["--ballots", "ballots.csv", "--complaints", "hard.csv", "--out", "out"]),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--complaints `hard.csv` is the same file as --ballots"),
        "{err}"
    );
}

/// `tally` writes its tally, rejects and keys files (same folder) as one set:
/// all three there afterwards, no staging folder left, and a rerun replaces them.
#[test]
fn a_tally_shard_is_written_as_one_set() {
    let dir = campaign_copy();
    let d = dir.path();
    let mut a = TALLY.to_vec();
    a[9] = "shard/t.tally.parquet";
    a.extend(["--keys-out", "shard/t.keys.parquet"]);
    for _ in 0..2 {
        let (code, out, err) = run_in(d, &a);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("keys to shard/t.keys.parquet"), "{out}");
        let mut names: Vec<String> = std::fs::read_dir(d.join("shard"))
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["t.keys.parquet", "t.rejects.csv", "t.tally.parquet"]);
    }
}

#[test]
fn a_tally_given_twice_is_refused_not_double_counted() {
    let dir = campaign_copy();
    let d = dir.path();
    let tally = TALLY;
    let (code, _, err) = run_in(d, &tally);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run_in(
        d,
        &score_args(&["--tallies", "t.tally.parquet", "./t.tally.parquet", "--out", "out"]),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is the same file as --tallies `t.tally.parquet`"), "{err}");
    assert!(err.contains("would count twice"), "{err}");
    assert!(!d.join("out").exists());
}

#[test]
fn tally_outputs_never_replace_an_input_or_each_other() {
    let dir = campaign_copy();
    let d = dir.path();
    let roster = read(d, "roster.csv");
    let ballots = read(d, "ballots.csv");
    let tally = |out: &str, keys: Option<&str>| {
        let mut a = TALLY.to_vec();
        a[9] = out;
        if let Some(k) = keys {
            a.extend(["--keys-out", k]);
        }
        run_in(d, &a)
    };
    for (out, input) in [
        ("roster.csv", "--roster"),
        ("./ballots.csv", "--ballots"),
        ("plan.yaml", "--plan"),
    ] {
        let (code, _, err) = tally(out, None);
        assert_eq!(code, 2, "{out}: {err}");
        assert!(err.contains(&format!("would replace the input {input}")), "{err}");
    }
    // The rejects file beside `--out` is an output too: `ballots.tally` puts it
    // on `ballots.rejects.csv`, harmless; a tally named so that its rejects land
    // on the roster is refused.
    std::fs::copy(d.join("roster.csv"), d.join("r.rejects.csv")).expect("copy");
    let (code, _, err) = run_in(
        d,
        &[
            "tally",
            "-q",
            "--plan",
            "plan.yaml",
            "--roster",
            "r.rejects.csv",
            "--ballots",
            "ballots.csv",
            "--out",
            "r.tally.parquet",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the rejects file beside --out"), "{err}");
    let (code, _, err) = tally("t.tally.parquet", Some("t.tally.parquet"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("are the same file"), "{err}");
    let (code, _, err) = tally("t.tally.parquet", Some("./sub/../t.rejects.csv"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("are the same file"), "{err}");
    assert_eq!(read(d, "roster.csv"), roster, "the roster is untouched");
    assert_eq!(read(d, "ballots.csv"), ballots, "the ballots are untouched");
    assert!(!d.join("t.tally.parquet").exists(), "nothing written");
}

#[test]
fn score_out_may_be_the_campaign_folder_but_never_replaces_an_input() {
    let dir = campaign_copy();
    let d = dir.path();
    // Ballots named like an output, in the output folder: refused, untouched.
    std::fs::rename(d.join("ballots.csv"), d.join("results.csv")).expect("rename");
    let before = read(d, "results.csv");
    let (code, _, err) = run_in(d, &score_args(&["--ballots", "results.csv", "--out", "."]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("would replace the input --ballots `results.csv`"), "{err}");
    assert_eq!(read(d, "results.csv"), before);
    // A hard link to an input under an output's name is the input too.
    std::fs::rename(d.join("results.csv"), d.join("ballots.csv")).expect("rename");
    std::fs::create_dir(d.join("out")).expect("mkdir");
    std::fs::hard_link(d.join("roster.csv"), d.join("out").join("report.md")).expect("link");
    let (code, _, err) = run_in(d, &score_args(&["--ballots", "ballots.csv", "--out", "out"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("would replace the input --roster `roster.csv`"), "{err}");
    std::fs::remove_file(d.join("out").join("report.md")).expect("unlink");
    // The campaign's own folder, with no input named like an output: fine, and
    // no staging folder is left.
    let (code, _, err) = run_in(d, &score_args(&["--ballots", "ballots.csv", "--out", "."]));
    assert_eq!(code, 0, "{err}");
    // The ten files of every run (the campaign uses no rule of SPEC §14–§15).
    for name in &appraise::output::FILE_NAMES[..10] {
        assert!(d.join(name).is_file(), "{name}");
    }
    let stray: Vec<String> = std::fs::read_dir(d)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
    // `--out` naming a file, or a folder below a file: refused before any work.
    let (code, _, err) = run_in(d, &score_args(&["--ballots", "ballots.csv", "--out", "roster.csv/x"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is a file, so the folder cannot be made"), "{err}");
}

#[test]
fn file_names_are_the_files_rendered() {
    let (plan, roster, outcome) = crate::demo();
    let names: Vec<&str> = appraise::output::render_all(plan, roster, outcome)
        .expect("rendered")
        .iter()
        .map(|(n, _)| *n)
        .collect();
    // The demo uses none of the rules of SPEC §14–§15: the first ten names, in order.
    assert_eq!(names, appraise::output::FILE_NAMES[..10]);
}

#[test]
fn simulate_and_demo_outputs_never_replace_an_input() {
    let dir = campaign_copy();
    let d = dir.path();
    std::fs::create_dir(d.join("sim")).expect("mkdir");
    std::fs::copy(d.join("roster.csv"), d.join("sim").join("complaints.csv")).expect("copy");
    let before = read(&d.join("sim"), "complaints.csv");
    let (code, _, err) = run_in(
        d,
        &[
            "simulate",
            "--plan",
            "plan.yaml",
            "--roster",
            "sim/complaints.csv",
            "--out",
            "sim",
            "--ballots-per-unit",
            "2",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("would replace the input --roster"), "{err}");
    assert_eq!(read(&d.join("sim"), "complaints.csv"), before);
    let (code, _, err) = run_in(d, &["demo", "--out", "plan.yaml"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_stray_latin1_byte_leaves_the_roster_readable_and_is_named() {
    let dir = campaign_copy();
    let d = dir.path();
    let clean = read(d, "roster.csv");
    // U003's name 侏儒供电所 followed by one Latin-1 é (0xE9): invalid UTF-8.
    let text = String::from_utf8(clean.clone()).expect("utf-8");
    let at = text.find("侏儒供电所").expect("U003") + "侏儒供电所".len();
    let mut bytes = clean.clone();
    bytes.insert(at, 0xE9);
    std::fs::write(d.join("roster.csv"), &bytes).expect("write");
    let (code, out, err) = run_in(d, &score_args(&["--ballots", "ballots.csv", "--out", "out"]));
    assert_eq!(code, 0, "{err}");
    // Line 4 (header 1, U001 2, U002 3), at byte `at` of the file.
    let named = format!("line 4 byte {at} (0xE9)");
    assert!(out.contains(&named) && out.contains("replaced by U+FFFD"), "{out}");
    assert!(err.contains(&named), "the attention list repeats it: {err}");
    let results = crate::Table::from_bytes(&read(&d.join("out"), "results.csv"));
    assert_eq!(
        results.cell("unit_id", "U001", "name"),
        "城区供电所",
        "not garbled as GB18030"
    );
    assert_eq!(results.cell("unit_id", "U003", "name"), "侏儒供电所\u{FFFD}");
    let json: serde_json::Value = serde_json::from_slice(&read(&d.join("out"), "results.json")).expect("json");
    let kinds: Vec<&str> = json["attention"]
        .as_array()
        .expect("attention")
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"decoding"), "{kinds:?}");
    // `validate` says it too, and asks for a person (exit 1).
    let (code, out, err) = run_in(d, &["validate", "--plan", "plan.yaml", "--roster", "roster.csv"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(&named) && err.contains(&named), "{out}{err}");
}

#[test]
fn an_open_quote_on_line_6_is_an_error_naming_line_6() {
    let dir = campaign_copy();
    let d = dir.path();
    let text = std::fs::read_to_string(d.join("ballots.csv")).expect("ballots");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 6 is lines[5]: its rater_id opens a quote that never closes.
    lines[5] = lines[5].replacen(",R", ",\"R", 1);
    std::fs::write(d.join("ballots.csv"), lines.join("\n") + "\n").expect("write");
    let (code, _, err) = run_in(d, &score_args(&["--ballots", "ballots.csv", "--out", "out"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ballots.csv:6"), "{err}");
    assert!(err.contains("quoted field"), "{err}");
    assert!(!d.join("out").exists(), "nothing written");
    // Near the end of the file (fewer than 100 lines left): never closed.
    let n = lines.len();
    let mut short = text.lines().map(str::to_string).collect::<Vec<_>>();
    short[n - 3] = short[n - 3].replacen(",R", ",\"R", 1);
    std::fs::write(d.join("ballots.csv"), short.join("\n") + "\n").expect("write");
    let (code, _, err) = run_in(d, &score_args(&["--ballots", "ballots.csv", "--out", "out"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("ballots.csv:{}", n - 2)), "{err}");
    assert!(err.contains("is never closed"), "{err}");
    // A quoted field spanning a few lines is fine (a comment with line breaks).
    let mut fine = text.lines().map(str::to_string).collect::<Vec<_>>();
    fine[5] = fine[5].replacen(",public,", ",\"public\",", 1);
    std::fs::write(d.join("ballots.csv"), fine.join("\n") + "\n").expect("write");
    let (code, _, err) = run_in(d, &score_args(&["--ballots", "ballots.csv", "--out", "out"]));
    assert_eq!(code, 0, "{err}");
}

/// The roster with hostile names: terminal escapes and a bidi override in every
/// unit's name, so that the console list's front and back show some.
fn hostile_roster(d: &Path) {
    let text = std::fs::read_to_string(d.join("roster.csv")).expect("roster");
    let mut out = String::new();
    for (k, line) in text.lines().enumerate() {
        if k == 0 {
            out.push_str(line);
        } else {
            let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
            f[1] = format!("\u{1b}]0;owned\u{7}\u{1b}[2J{}\u{202E}lave\u{9b}", f[1]);
            out.push_str(&f.join(","));
        }
        out.push('\n');
    }
    std::fs::write(d.join("roster.csv"), out).expect("write");
}

#[test]
fn terminal_escapes_from_roster_names_never_reach_the_terminal() {
    let dir = campaign_copy();
    let d = dir.path();
    hostile_roster(d);
    let (code, out, err) = run_in(d, &score_args(&["--ballots", "ballots.csv", "--out", "out"]));
    assert_eq!(code, 0, "{err}");
    for (name, text) in [("stdout", &out), ("stderr", &err)] {
        assert!(!text.contains('\u{1b}'), "{name}: raw ESC");
        assert!(
            !text.contains('\u{7}') && !text.contains('\u{9b}'),
            "{name}: BEL or CSI"
        );
        assert!(!text.contains('\u{202E}'), "{name}: raw bidi override");
        assert!(!text.contains("owned"), "{name}: the OSC title text");
    }
    assert!(
        out.contains("\\u{202E}lave"),
        "names shown, the override visible: {out}"
    );
}

#[test]
fn bidi_controls_are_visible_in_every_report_and_csv() {
    let dir = campaign_copy();
    let d = dir.path();
    hostile_roster(d);
    let (code, _, err) = run_in(d, &score_args(&["--ballots", "ballots.csv", "--out", "out"]));
    assert_eq!(code, 0, "{err}");
    let o = d.join("out");
    for name in ["report.md", "report.html", "results.csv", "items.csv", "flags.csv"] {
        let text = String::from_utf8(read(&o, name)).expect("utf-8");
        assert!(!text.contains('\u{202E}'), "{name}: a raw U+202E");
        assert!(!text.contains('\u{1b}'), "{name}: a raw ESC");
    }
    let md = String::from_utf8(read(&o, "report.md")).expect("utf-8");
    assert!(md.contains("\\\\u{202E}lave"), "report.md shows the control as text");
    let csv = crate::Table::from_bytes(&read(&o, "results.csv"));
    // ESC [2J… and the C1 CSI (U+009B) are shown as escapes too.
    assert_eq!(
        csv.cell("unit_id", "U001", "name"),
        "\\u{1B}]0;owned\\u{7}\\u{1B}[2J城区供电所\\u{202E}lave\\u{9B}"
    );
    // The workbook: its shared strings hold the visible form only.
    let xlsx = read(&o, "results.xlsx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("a zip");
    let mut strings = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/sharedStrings.xml").expect("strings"), &mut strings)
        .expect("read");
    assert!(!strings.contains('\u{202E}'), "results.xlsx: a raw U+202E");
    assert!(strings.contains("\\u{202E}lave"), "results.xlsx: the visible form");
}

#[test]
fn a_2_mb_unit_id_is_shortened_in_rejects_csv() {
    let dir = campaign_copy();
    let d = dir.path();
    let text = std::fs::read_to_string(d.join("ballots.csv")).expect("ballots");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let unit = "U".repeat(2_000_000);
    let id = format!("B{}", "9".repeat(999));
    let mut f: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    f[0] = id.clone();
    f[1] = unit;
    lines[3] = f.join(",");
    std::fs::write(d.join("ballots.csv"), lines.join("\n") + "\n").expect("write");
    let (code, _, err) = run_in(d, &score_args(&["--ballots", "ballots.csv", "--out", "out"]));
    assert_eq!(code, 0, "{err}");
    let bytes = read(&d.join("out"), "rejects.csv");
    assert!(bytes.len() < 20_000, "rejects.csv is {} bytes", bytes.len());
    let rejects = crate::Table::from_bytes(&bytes);
    let row = rejects.find("row", "4").expect("line 4 rejected");
    // The ballot id: 1,000 characters = 1,000 bytes, cut to 200 and its length said.
    assert_eq!(
        row[rejects.column("ballot_id")],
        format!("{}… (1,000 bytes)", &id[..200])
    );
    assert_eq!(row[rejects.column("reason")], "unknown_unit");
    let detail = &row[rejects.column("detail")];
    assert!(detail.len() < 400 && detail.contains("2000000"), "{detail}");
    // Through a tally shard: its rejects file is shortened the same way, and the
    // merged rejects.csv keeps the original length (shortening is idempotent).
    let tally = TALLY;
    let (code, _, err) = run_in(d, &tally);
    assert_eq!(code, 0, "{err}");
    let shard = read(d, "t.rejects.csv");
    assert!(shard.len() < 20_000, "t.rejects.csv is {} bytes", shard.len());
    let (code, _, err) = run_in(d, &score_args(&["--tallies", "t.tally.parquet", "--out", "merged"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&d.join("merged"), "rejects.csv"), bytes);
}

#[test]
fn a_survey_path_to_another_file_never_echoes_its_contents() {
    let dir = campaign_copy();
    let d = dir.path();
    std::fs::write(
        d.join("secret.txt"),
        "root:x:0:0:SECRET-ROOT-LINE:/root:/bin/bash\ndaemon:x:1:1:SECRET-SECOND-LINE:/usr/sbin\n",
    )
    .expect("write");
    let plan = std::fs::read_to_string(d.join("plan.yaml")).expect("plan");
    let to = |survey: &str| {
        plan.lines()
            .map(|l| {
                if l.starts_with("survey:") {
                    format!("survey: {survey}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let secret = d.join("secret.txt");
    std::fs::write(d.join("p.yaml"), to(&secret.display().to_string())).expect("write");
    let (code, out, err) = run_in(d, &["validate", "--plan", "p.yaml"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not a survey or plan YAML"), "{err}");
    assert!(!out.contains("SECRET") && !err.contains("SECRET"), "{out}{err}");
    // A survey outside the plan's folder (`../`) is accepted and said.
    std::fs::create_dir(d.join("plans")).expect("mkdir");
    std::fs::write(d.join("plans").join("p.yaml"), to("../survey.yaml")).expect("write");
    let (code, _, err) = run_in(
        d,
        &[
            "score",
            "-q",
            "--plan",
            "plans/p.yaml",
            "--roster",
            "roster.csv",
            "--ballots",
            "ballots.csv",
            "--complaints",
            "complaints.csv",
            "--out",
            "out",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("outside the plan's folder"), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&read(&d.join("out"), "results.json")).expect("json");
    assert_eq!(json["attention"][0]["kind"], "survey_outside_plan");
}

#[test]
fn survey_ids_are_neutralised_in_every_csv() {
    let dir = campaign_copy();
    let d = dir.path();
    let survey = std::fs::read_to_string(d.join("survey.yaml")).expect("survey");
    let survey = survey
        .replace("{id: int1,", "{id: \"=int1\",")
        .replace("{id: integrity,", "{id: \"@integrity\",")
        .replace("dimension: integrity,", "dimension: \"@integrity\",");
    std::fs::write(d.join("survey.yaml"), survey).expect("write");
    let ballots = std::fs::read_to_string(d.join("ballots.csv")).expect("ballots");
    std::fs::write(d.join("ballots.csv"), ballots.replacen(",int1,", ",=int1,", 1)).expect("write");
    let (code, _, err) = run_in(
        d,
        &score_args(&[
            "--ballots",
            "ballots.csv",
            "--complaints",
            "complaints.csv",
            "--out",
            "out",
        ]),
    );
    assert_eq!(code, 0, "{err}");
    let o = d.join("out");
    for name in [
        "results.csv",
        "items.csv",
        "rejects.csv",
        "reliability.csv",
        "flags.csv",
        "complaint_rejects.csv",
    ] {
        let t = crate::Table::from_bytes(&read(&o, name));
        for cell in t.header.iter().chain(t.rows.iter().flatten()) {
            let number = cell.trim().parse::<f64>().is_ok_and(f64::is_finite);
            assert!(
                !cell.starts_with(['=', '@', '+', '-']) || number,
                "{name}: `{cell}` is not neutralised"
            );
        }
    }
    let items = crate::Table::from_bytes(&read(&o, "items.csv"));
    assert!(items.values("item_id").contains(&"'=int1"));
    assert!(items.values("dimension").contains(&"'@integrity"));
}

/// `--memory` is the tally's budget: the pooled fixture's tally of B bytes is
/// made within B and refused within B − 1, naming the flag and the size to give
/// (⌈B / 2³⁰⌉ = 1 GiB); the command refuses it before reading a ballot (exit 2),
/// and scores with room given, as `tally` and `score --tallies` do.
#[test]
fn the_memory_budget_bounds_the_tally_and_names_the_flag() {
    let (plan, roster) = pooled();
    let layout = Layout::new(&plan, &roster);
    let bytes = layout.bytes();
    assert!(Tally::try_new_within(layout.clone(), bytes).is_ok());
    let m = Tally::try_new_within(layout, bytes - 1)
        .expect_err("one byte short")
        .to_string();
    assert!(
        m.contains("--memory 1G") && m.contains(&format!("{} MiB", bytes.div_ceil(1 << 20))),
        "{m}"
    );
    let d = fixture_dir("campaign-pooled");
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |sub: &str, args: &[&str]| {
        assert_cmd::Command::cargo_bin("appraise")
            .expect("binary")
            .arg(sub)
            .args(["--plan", &d.join("plan.yaml").display().to_string()])
            .args(["--roster", &d.join("roster.csv").display().to_string()])
            .args(["--ballots", &d.join("ballots.csv").display().to_string()])
            .args(args)
            .arg("-q")
            .output()
            .expect("run")
    };
    let out_dir = dir.path().join("out").display().to_string();
    let tally = dir.path().join("t.tally.parquet").display().to_string();
    for sub in ["score", "tally"] {
        let out = if sub == "score" { &out_dir } else { &tally };
        let small = run(sub, &["--out", out, "--memory", "1K"]);
        let err = String::from_utf8_lossy(&small.stderr);
        assert_eq!(small.status.code(), Some(2), "{sub}: {err}");
        assert!(
            err.contains("--memory 1G") && err.contains("budget of 0 MiB"),
            "{sub}: {err}"
        );
        let roomy = run(sub, &["--out", out, "--memory", "2G"]);
        assert!(
            roomy.status.success(),
            "{sub}: {}",
            String::from_utf8_lossy(&roomy.stderr)
        );
    }
    let merged = assert_cmd::Command::cargo_bin("appraise")
        .expect("binary")
        .args(["score", "--plan", &d.join("plan.yaml").display().to_string()])
        .args(["--roster", &d.join("roster.csv").display().to_string()])
        .args([
            "--tallies",
            &tally,
            "--out",
            &dir.path().join("m").display().to_string(),
        ])
        .args(["--memory", "1K", "-q"])
        .output()
        .expect("run");
    assert_eq!(merged.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&merged.stderr).contains("--memory 1G"));
}

/// The staging folders inside `dir`.
fn staging_folders(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(".appraise-staging."))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Starts `appraise simulate` of a large campaign into `dir/out` and returns it
/// once its staging folder holds the ballots being written.
#[cfg(unix)]
fn simulate_until_staged(dir: &Path) -> std::process::Child {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("appraise"))
        .current_dir(dir)
        .args(["simulate", "-q", "--plan", "plan.yaml", "--roster", "roster.csv"])
        .args(["--ballots-per-unit", "100000", "--out", "out"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawned");
    let t = Instant::now();
    while !staging_folders(&dir.join("out"))
        .iter()
        .any(|f| f.join("ballots.csv").exists())
    {
        assert!(
            child.try_wait().expect("status").is_none(),
            "simulate ended before it was staged"
        );
        assert!(t.elapsed() < Duration::from_secs(60), "no staging folder after 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_staging_folder_and_says_so() {
    for (signal, code) in [("-TERM", 143), ("-INT", 130)] {
        let d = campaign_copy();
        let child = simulate_until_staged(d.path());
        let sent = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        let out = child.wait_with_output().expect("waited");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{signal}: {err}");
        assert!(err.contains("interrupted: 1 unfinished output"), "{signal}: {err}");
        let left: Vec<_> = std::fs::read_dir(d.path().join("out"))
            .expect("out")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(left.is_empty(), "{signal}: nothing is left in out/: {left:?}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_killed_runs_staging_folder_is_swept_by_the_next_run_into_that_folder() {
    let d = campaign_copy();
    let mut child = simulate_until_staged(d.path());
    child.kill().expect("SIGKILL");
    child.wait().expect("waited");
    let out = d.path().join("out");
    assert_eq!(staging_folders(&out).len(), 1, "SIGKILL cannot be cleaned up after");
    let (code, _, err) = run_in(
        d.path(),
        &[
            "simulate",
            "-q",
            "--plan",
            "plan.yaml",
            "--roster",
            "roster.csv",
            "--out",
            "out",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(staging_folders(&out).is_empty(), "swept");
    assert!(out.join("ballots.csv").exists() && out.join("complaints.csv").exists());
}
