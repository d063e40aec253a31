//! Tally shards and duplicate keys on disk (`appraise tally`, `score --tallies`).
//!
//! A **tally file** is Parquet in long format, one row per non-zero cell of the
//! [`Tally`]: `field` (`counts`, `valid`, `read`, `rejected`, `unattributed`,
//! `straight`, `moments`, `reliability`), `index` (position in that field's flat
//! array; `rejected` is indexed `unit × 7 + reason`, reasons in check order),
//! `count` (UInt64, for the count fields) and `value` (Float64, for the moment
//! fields; stored as IEEE doubles, so every bit survives); `patterns` has one
//! row per (unit, answer-pattern hash) with the hash in `count` and the number of
//! valid ballots with that pattern in `value` (a whole number, exact in a double), and
//! `pattern_overflow` a row with count 1 per unit past the cap. The [`Layout`] (with
//! its key: plan, survey, codes, scores, groups and units the tally was made under)
//! and the ballot files read are JSON in the file's key-value metadata under
//! `appraise.tally`; slot scores are stored as their bit patterns (NaN marks
//! abstentions and blanks). Reading a tally file gives back the very same tally,
//! so merged shards score to the same bytes as one run.
//!
//! A **keys file** (Parquet, `--keys-out`) lists the duplicate keys of a shard's
//! valid ballots, in the order they were taken: rows with `ballot_id` set (the
//! other columns null), then rows with `unit_id` and `rater_id` set. Passed as
//! `--known-keys` to the next shard, they are judged as already read.

#[cfg(feature = "parquet")]
use std::fs::File;
use std::io::Write;
use std::path::Path;
#[cfg(feature = "parquet")]
use std::path::PathBuf;

#[cfg(feature = "parquet")]
use polars::prelude::{
    DataFrame, DataType, IntoColumn, KeyValueMetadata, NamedFrom, ParquetReader, ParquetWriter, SerReader, Series,
};
#[cfg(feature = "parquet")]
use serde::{Deserialize, Serialize};

use crate::cell::safe_cell;
use crate::count::tally::{Layout, Tally};
use crate::error::{Error, ErrorKind, Position, Result};
#[cfg(feature = "parquet")]
use crate::judge::ballots::Validator;
use crate::judge::ballots::{FileSummary, Reason, Reject};
use crate::judge::rejects::Rejects;
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;

#[cfg(feature = "parquet")]
/// Key of the JSON header in the Parquet key-value metadata.
const META_KEY: &str = "appraise.tally";
#[cfg(feature = "parquet")]
/// Format version of tally files.
const FORMAT: u32 = 2;

#[cfg(feature = "parquet")]
#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    units: usize,
    groups: usize,
    items: usize,
    offsets: Vec<usize>,
    slots: usize,
    /// `f64::to_bits` of each slot score.
    slot_score_bits: Vec<u64>,
    moment_groups: usize,
    dimensions: Vec<Vec<usize>>,
    key: String,
    files: Vec<FileSummary>,
}

#[cfg(feature = "parquet")]
const COUNT_FIELDS: [&str; 6] = ["counts", "valid", "read", "rejected", "unattributed", "straight"];
#[cfg(feature = "parquet")]
const VALUE_FIELDS: [&str; 2] = ["moments", "reliability"];

#[cfg(feature = "parquet")]
fn bad_file(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::input(
        Position::file(path),
        format!("not a tally file of this version of appraise: {message}; make it with `appraise tally`"),
    )
}

#[cfg(feature = "parquet")]
fn write_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::io(path, std::io::Error::other(e.to_string()))
}

#[cfg(feature = "parquet")]
/// Writes `df` (with optional key-value metadata) as Parquet into `w`; `path` is
/// the file it will be, for the error.
fn parquet_to(w: &mut dyn Write, path: &Path, df: &mut DataFrame, meta: Option<(String, String)>) -> Result<()> {
    ParquetWriter::new(w)
        .with_key_value_metadata(meta.map(|kv| KeyValueMetadata::from_static(vec![kv])))
        .finish(df)
        .map(|_| ())
        .map_err(|e| write_error(path, e))
}

#[cfg(feature = "parquet")]
/// Writes `df` (with optional key-value metadata) to `path` atomically.
fn write_parquet(path: &Path, df: &mut DataFrame, meta: Option<(String, String)>) -> Result<()> {
    crate::files::write_stream(path, |w| parquet_to(w, path, df, meta))
}

#[cfg(feature = "parquet")]
/// Writes a shard as one set: the tally file `out`, its rejects file beside it
/// ([`rejects_path`]) and the keys file of `keys` (in any folder) — staged and
/// renamed into place together ([`crate::files::Staging`]), so that a failure
/// midway leaves the previous shard whole. Returns the keys written.
pub fn write_shard(
    out: &Path,
    tally: &Tally,
    files: &[FileSummary],
    rejects: &Rejects,
    keys: Option<(&Path, &Validator<'_>, &Roster)>,
) -> Result<Option<u64>> {
    let folder = |p: &Path| -> PathBuf {
        match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        }
    };
    let name = |p: &Path| -> Result<String> {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| ErrorKind::Usage(format!("{} names no file", p.display())).into())
    };
    let dir = folder(out);
    let mut set = crate::files::Staging::new(&dir)?;
    let (mut df, json) = tally_frame(out, tally, files)?;
    set.stream(&name(out)?, |w| {
        parquet_to(w, out, &mut df, Some((META_KEY.to_string(), json)))
    })?;
    let rejects_file = rejects_path(out);
    set.stream(&name(&rejects_file)?, |w| {
        write_rejects_table(w, &rejects_file, rejects, files)
    })?;
    let mut written = None;
    if let Some((k, validator, roster)) = keys {
        let mut df = keys_frame(k, validator, roster)?;
        written = Some(df.height() as u64);
        set.stream_to(k, |w| parquet_to(w, k, &mut df, None))?;
    }
    set.commit()?;
    Ok(written)
}

#[cfg(feature = "parquet")]
/// Writes a tally (and the summaries of the ballot files it was made from).
pub fn write_tally(path: &Path, tally: &Tally, files: &[FileSummary]) -> Result<()> {
    let (mut df, json) = tally_frame(path, tally, files)?;
    write_parquet(path, &mut df, Some((META_KEY.to_string(), json)))
}

#[cfg(feature = "parquet")]
/// A tally as the rows of a tally file, and its header (JSON metadata).
fn tally_frame(path: &Path, tally: &Tally, files: &[FileSummary]) -> Result<(DataFrame, String)> {
    let l = &tally.layout;
    if !l.selfs.is_empty() {
        return Err(crate::error::ErrorKind::Usage(format!(
            "{}: the plan has a self-assessment group (`self: true`, SPEC §15), whose ballots a tally file does not carry; score this campaign in one run (`appraise score --ballots …`)",
            path.display()
        ))
        .into());
    }
    let header = Header {
        format: FORMAT,
        units: l.units,
        groups: l.groups,
        items: l.items,
        offsets: l.offsets.clone(),
        slots: l.slots,
        slot_score_bits: l.slot_scores.iter().map(|x| x.to_bits()).collect(),
        moment_groups: l.moment_groups,
        dimensions: l.dimensions.clone(),
        key: l.key.clone(),
        files: files.to_vec(),
    };
    let json = serde_json::to_string(&header).map_err(|e| write_error(path, e))?;
    let mut field: Vec<&str> = Vec::new();
    let mut index: Vec<u64> = Vec::new();
    let mut count: Vec<Option<u64>> = Vec::new();
    let mut value: Vec<Option<f64>> = Vec::new();
    let rejected: Vec<u64> = tally.rejected.iter().flatten().copied().collect();
    let counted: [&[u64]; 6] = [
        &tally.counts,
        &tally.valid,
        &tally.read,
        &rejected,
        &tally.unattributed,
        &tally.straight,
    ];
    for (name, xs) in COUNT_FIELDS.iter().zip(counted) {
        for (k, &x) in xs.iter().enumerate().filter(|(_, x)| **x != 0) {
            field.push(name);
            index.push(k as u64);
            count.push(Some(x));
            value.push(None);
        }
    }
    // Answer patterns: one row per (unit, hash), hashes ascending, with the count.
    for (u, set) in tally.patterns.iter().enumerate() {
        for (&h, &c) in set {
            field.push("patterns");
            index.push(u as u64);
            count.push(Some(h));
            value.push(Some(c as f64));
        }
    }
    for (u, _) in tally.pattern_overflow.iter().enumerate().filter(|(_, o)| **o) {
        field.push("pattern_overflow");
        index.push(u as u64);
        count.push(Some(1));
        value.push(None);
    }
    for (name, xs) in VALUE_FIELDS.iter().zip([&tally.moments, &tally.reliability]) {
        for (k, &x) in xs.iter().enumerate().filter(|(_, x)| x.to_bits() != 0) {
            field.push(name);
            index.push(k as u64);
            count.push(None);
            value.push(Some(x));
        }
    }
    let height = field.len();
    let df = DataFrame::new(
        height,
        vec![
            Series::new("field".into(), field).into_column(),
            Series::new("index".into(), index).into_column(),
            Series::new("count".into(), count).into_column(),
            Series::new("value".into(), value).into_column(),
        ],
    )
    .map_err(|e| write_error(path, e))?;
    Ok((df, json))
}

#[cfg(feature = "parquet")]
/// Reads a tally file back: the tally and the ballot files it was made from.
/// `expected` is the layout of the plan and roster it is to be merged under
/// ([`Layout::new`]): a file made under another is refused before anything is
/// allocated for it (a damaged or hostile header cannot ask for memory).
pub fn read_tally(path: &Path, expected: &Layout) -> Result<(Tally, Vec<FileSummary>)> {
    read_tally_within(path, expected, crate::count::tally::TALLY_BUDGET)
}

#[cfg(feature = "parquet")]
/// [`read_tally`] of a tally that may take up to `budget` bytes (`--memory`).
pub fn read_tally_within(path: &Path, expected: &Layout, budget: u64) -> Result<(Tally, Vec<FileSummary>)> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = ParquetReader::new(f);
    let meta = crate::count::parquet::checked_metadata(path, &mut reader)?.map_err(|e| bad_file(path, e))?;
    let json = meta
        .key_value_metadata()
        .as_ref()
        .and_then(|kv| kv.iter().find(|k| k.key == META_KEY))
        .and_then(|k| k.value.clone())
        .ok_or_else(|| bad_file(path, format!("no `{META_KEY}` metadata")))?;
    let h: Header = serde_json::from_str(&json).map_err(|e| bad_file(path, e))?;
    if h.format != FORMAT {
        return Err(bad_file(
            path,
            format!("format {} (this version reads {FORMAT})", h.format),
        ));
    }
    let e = expected;
    let same = h.key == e.key
        && (h.units, h.groups, h.items, h.slots, h.moment_groups)
            == (e.units, e.groups, e.items, e.slots, e.moment_groups)
        && h.offsets == e.offsets
        && h.dimensions == e.dimensions
        && h.slot_score_bits
            .iter()
            .copied()
            .eq(e.slot_scores.iter().map(|x| x.to_bits()));
    if !same {
        return Err(ErrorKind::TallyMismatch(format!(
            "{} was made under another plan, survey or roster than the one given; tally and score with the same ones",
            path.display()
        ))
        .into());
    }
    let schema = crate::count::parquet::guarded(path, || reader.schema())?.map_err(|e| bad_file(path, e))?;
    let projection = ["field", "index", "count", "value"]
        .iter()
        .map(|n| {
            schema
                .index_of(n)
                .ok_or_else(|| bad_file(path, format!("no column `{n}`")))
        })
        .collect::<Result<Vec<usize>>>()?;
    crate::count::parquet::check_types(path, &schema, &projection)?;
    crate::count::parquet::check_footer(path, &meta)?;
    let mut tally = Tally::try_new_within(expected.clone(), budget)?;
    let mut sorted = projection.clone();
    sorted.sort_unstable();
    let reader = reader.with_projection(Some(sorted));
    let df = crate::count::parquet::guarded(path, || reader.finish())?.map_err(|e| bad_file(path, e))?;
    let col = |name: &str, dt: &DataType| -> Result<Series> {
        let s = df
            .column(name)
            .map_err(|e| bad_file(path, e))?
            .as_materialized_series()
            .clone();
        if s.dtype() != dt {
            return Err(bad_file(path, format!("column `{name}` is {}, not {dt}", s.dtype())));
        }
        Ok(s)
    };
    let field = col("field", &DataType::String)?;
    let index = col("index", &DataType::UInt64)?;
    let count = col("count", &DataType::UInt64)?;
    let value = col("value", &DataType::Float64)?;
    let (field, index, count, value) = (
        field.str().map_err(|e| bad_file(path, e))?,
        index.u64().map_err(|e| bad_file(path, e))?,
        count.u64().map_err(|e| bad_file(path, e))?,
        value.f64().map_err(|e| bad_file(path, e))?,
    );
    let mut rejected = vec![0u64; tally.rejected.len() * Reason::COUNT];
    for (((f, k), n), x) in field.iter().zip(index.iter()).zip(count.iter()).zip(value.iter()) {
        let (Some(f), Some(k)) = (f, k) else {
            return Err(bad_file(path, "a row without field or index"));
        };
        let k = k as usize;
        let t = &mut tally;
        let missing = || bad_file(path, format!("no cell {f}[{k}]"));
        match (n, x) {
            (Some(h), Some(c)) if f == "patterns" => {
                if !(c >= 1.0 && c.fract() == 0.0 && c < 9.007_199_254_740_992e15) {
                    return Err(bad_file(
                        path,
                        format!("pattern count {c} in {f}[{k}] is no whole number"),
                    ));
                }
                t.patterns.get_mut(k).ok_or_else(missing)?.insert(h, c as u64);
            }
            (Some(1), None) if f == "pattern_overflow" => {
                *t.pattern_overflow.get_mut(k).ok_or_else(missing)? = true;
            }
            (Some(n), None) => {
                let s = match f {
                    "counts" => t.counts.get_mut(k),
                    "valid" => t.valid.get_mut(k),
                    "read" => t.read.get_mut(k),
                    "rejected" => rejected.get_mut(k),
                    "unattributed" => t.unattributed.get_mut(k),
                    "straight" => t.straight.get_mut(k),
                    _ => None,
                };
                *s.ok_or_else(missing)? = n;
            }
            (None, Some(x)) => {
                let s = match f {
                    "moments" => t.moments.get_mut(k),
                    "reliability" => t.reliability.get_mut(k),
                    _ => None,
                };
                *s.ok_or_else(missing)? = x;
            }
            _ => {
                return Err(bad_file(
                    path,
                    format!("row {f}[{k}] needs exactly one of count and value"),
                ));
            }
        }
    }
    for (u, r) in tally.rejected.iter_mut().enumerate() {
        r.copy_from_slice(&rejected[u * Reason::COUNT..(u + 1) * Reason::COUNT]);
    }
    tally.check_consistent().map_err(|m| bad_file(path, m))?;
    Ok((tally, h.files))
}

#[cfg(feature = "parquet")]
/// Writes the duplicate keys a validator has taken (those of the valid ballots it
/// judged, and any known keys it was given); returns the rows written.
pub fn write_keys(path: &Path, validator: &Validator<'_>, roster: &Roster) -> Result<u64> {
    let mut df = keys_frame(path, validator, roster)?;
    write_parquet(path, &mut df, None)?;
    Ok(df.height() as u64)
}

#[cfg(feature = "parquet")]
/// The duplicate keys a validator has taken, as the rows of a keys file.
fn keys_frame(path: &Path, validator: &Validator<'_>, roster: &Roster) -> Result<DataFrame> {
    let mut ballot: Vec<Option<&str>> = Vec::new();
    let mut unit: Vec<Option<&str>> = Vec::new();
    let mut rater: Vec<Option<&str>> = Vec::new();
    for b in validator.ballot_ids() {
        ballot.push(Some(b));
        unit.push(None);
        rater.push(None);
    }
    for (u, r) in validator.rater_keys() {
        ballot.push(None);
        unit.push(Some(roster.units[u].id.as_str()));
        rater.push(Some(r));
    }
    let height = ballot.len();
    DataFrame::new(
        height,
        vec![
            Series::new("ballot_id".into(), ballot).into_column(),
            Series::new("unit_id".into(), unit).into_column(),
            Series::new("rater_id".into(), rater).into_column(),
        ],
    )
    .map_err(|e| write_error(path, e))
}

#[cfg(feature = "parquet")]
/// Gives a validator the keys of a keys file (judged as already read); returns the
/// rows read. A key naming a unit that is not in the roster is an error (the keys
/// come from a shard of another campaign).
pub fn read_keys(path: &Path, validator: &mut Validator<'_>) -> Result<u64> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let not_keys = |e: &dyn std::fmt::Display| Error::input(Position::file(path), format!("not a keys file: {e}"));
    let mut reader = ParquetReader::new(f);
    let meta = crate::count::parquet::checked_metadata(path, &mut reader)?.map_err(|e| not_keys(&e))?;
    let schema = crate::count::parquet::guarded(path, || reader.schema())?.map_err(|e| not_keys(&e))?;
    let mut projection = ["ballot_id", "unit_id", "rater_id"]
        .iter()
        .map(|n| schema.index_of(n).ok_or_else(|| not_keys(&format!("no column `{n}`"))))
        .collect::<Result<Vec<usize>>>()?;
    crate::count::parquet::check_types(path, &schema, &projection)?;
    crate::count::parquet::check_footer(path, &meta)?;
    projection.sort_unstable();
    let reader = reader.with_projection(Some(projection));
    let df = crate::count::parquet::guarded(path, || reader.finish())?.map_err(|e| not_keys(&e))?;
    let text = |name: &str| -> Result<Series> {
        let s = df
            .column(name)
            .map_err(|e| Error::input(Position::file(path), format!("not a keys file: {e}")))?
            .as_materialized_series()
            .cast(&DataType::String)
            .map_err(|e| Error::input(Position::file(path).with_column(name), e.to_string()))?;
        Ok(s)
    };
    let (b, u, r) = (text("ballot_id")?, text("unit_id")?, text("rater_id")?);
    let err = |e: polars::prelude::PolarsError| Error::input(Position::file(path), e.to_string());
    let (b, u, r) = (b.str().map_err(err)?, u.str().map_err(err)?, r.str().map_err(err)?);
    for (k, ((b, u), r)) in b.iter().zip(u.iter()).zip(r.iter()).enumerate() {
        let rater = match (u, r) {
            (Some(u), Some(r)) => {
                let Some(unit) = validator.unit_index(u.trim()) else {
                    return Err(ErrorKind::Mismatch {
                        path: path.to_path_buf(),
                        message: format!(
                            "row {}: unit `{}` is not in the roster; keys come from a shard of the same campaign",
                            k + 2,
                            u.trim()
                        ),
                    }
                    .into());
                };
                Some((unit, r))
            }
            _ => None,
        };
        validator.take_known(b, rater);
    }
    Ok(df.height() as u64)
}

/// Where `appraise tally --out T` writes its rejects: `T` without its extension
/// (and without a `.tally` before it), plus `.rejects.csv`: `T1.tally.parquet` →
/// `T1.rejects.csv`, `T1.tally` → `T1.rejects.csv`.
pub fn rejects_path(tally: &Path) -> std::path::PathBuf {
    let mut stem = tally
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if tally.extension().is_some_and(|e| e != "tally")
        && let Some(s) = stem.strip_suffix(".tally")
    {
        stem = s.to_string();
    }
    tally.with_file_name(format!("{stem}.rejects.csv"))
}

/// Writes a shard's rejects as `rejects.csv` does (`row, ballot_id, reason,
/// detail, file`; `file` as named when the shard was tallied).
pub fn write_rejects(path: &Path, rejects: &Rejects, files: &[FileSummary]) -> Result<()> {
    crate::files::write_stream(path, |w| write_rejects_table(w, path, rejects, files))
}

/// Reads a shard's rejects file back. `files` are the shard's ballot files (from
/// its tally) and `offset` the index of the first of them in the merged list, so
/// that each reject names its file in the merged outputs.
pub fn read_rejects(path: &Path, files: &[FileSummary], offset: usize) -> Result<Rejects> {
    let bad = |line: u64, m: String| {
        Error::input(
            Position::line(path, line),
            format!("{m}; the rejects file beside a tally is written by `appraise tally`, keep it unchanged"),
        )
    };
    let mut r = csv::ReaderBuilder::new()
        .from_path(path)
        .map_err(|e| bad(1, e.to_string()))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| bad(1, e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    if header != ["row", "ballot_id", "reason", "detail", "file"] {
        return Err(bad(1, format!("unexpected header {}", header.join(","))));
    }
    let mut out = Rejects::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line());
        let [row, id, reason, detail, file] = [0, 1, 2, 3, 4].map(|k| rec.get(k).unwrap_or(""));
        let row = row
            .parse()
            .map_err(|_| bad(line, format!("row `{row}` is not a number")))?;
        let reason = Reason::from_code(reason).ok_or_else(|| bad(line, format!("unknown reason `{reason}`")))?;
        let file = crate::cell::unsafe_cell(file);
        let k = files
            .iter()
            .position(|f| f.path == file)
            .ok_or_else(|| bad(line, format!("file `{file}` is not one the tally was made from")))?;
        out.push(Reject {
            row,
            ballot_id: crate::cell::unsafe_cell(id).to_string(),
            reason,
            detail: crate::cell::unsafe_cell(detail).to_string(),
            file: offset + k,
        });
    }
    out.check()?;
    Ok(out)
}

/// The `rejects.csv` table of `rejects` whose `file` indexes `files` (also the
/// rejects file beside a tally shard, [`crate::count::shard::write_rejects`]). A
/// ballot id or detail longer than [`crate::cell::SHOWN_CHARS`] characters is
/// shortened with its length noted ([`crate::cell::shorten`]).
pub fn rejects_table(rejects: &Rejects, files: &[FileSummary]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_rejects_table(&mut out, Path::new("rejects.csv"), rejects, files)?;
    Ok(out)
}

/// Streams [`rejects_table`] into `w` (the file at `path`, named in errors): the
/// rejects are read once, spilled ones included, and never held whole. Every
/// text field goes through [`safe_cell`] (the row number and the reason code pass
/// unchanged), so the bytes are those [`crate::cell::csv_bytes`] would give.
pub fn write_rejects_table(w: &mut dyn Write, path: &Path, rejects: &Rejects, files: &[FileSummary]) -> Result<()> {
    let failed = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(e) => Error::io(path, e),
        other => Error::from(ErrorKind::Usage(format!(
            "could not format {}: {other:?}",
            path.display()
        ))),
    };
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["row", "ballot_id", "reason", "detail", "file"])
        .map_err(failed)?;
    rejects.for_each(|r| {
        let file = files.get(r.file).map_or("", |f| f.path.as_str());
        out.write_record([
            r.row.to_string(),
            safe_cell(&crate::cell::shorten(&r.ballot_id)),
            r.reason.code().into(),
            safe_cell(&crate::cell::shorten(&r.detail)),
            safe_cell(file),
        ])
        .map_err(failed)
    })?;
    out.flush().map_err(|e| Error::io(path, e))
}

/// Merges tallies read from tally files (`appraise tally`) into one, checking that
/// each was made under this plan and roster; the file summaries are concatenated
/// in the order given. The sums are exact, so the order of the shards does not
/// change the result.
pub fn merge_tallies(
    plan: &Plan,
    roster: &Roster,
    tallies: Vec<(Tally, Vec<FileSummary>)>,
) -> Result<(Tally, Vec<FileSummary>)> {
    let mut merged = Tally::try_new(Layout::new(plan, roster))?;
    let mut files = Vec::new();
    for (t, f) in tallies {
        add_shard(&mut merged, &mut files, t, f)?;
    }
    Ok((merged, files))
}

/// Adds one shard's tally and file summaries to a running merge, refusing a tally
/// made under another plan, survey or roster.
fn add_shard(merged: &mut Tally, files: &mut Vec<FileSummary>, t: Tally, f: Vec<FileSummary>) -> Result<()> {
    if t.layout.key != merged.layout.key {
        return Err(ErrorKind::TallyMismatch(
            "a tally was made under another plan, survey or roster than the one given".into(),
        )
        .into());
    }
    merged.merge(&t)?;
    files.extend(f);
    Ok(())
}

#[cfg(feature = "parquet")]
/// Reads tally files (`appraise tally --out`) and merges them ([`merge_tallies`]),
/// with the rejects each shard wrote beside its tally
/// ([`crate::count::shard::rejects_path`]), so that the merged `rejects.csv` lists every
/// rejected ballot. A shard whose rejects file is missing (or was left behind on
/// purpose) still counts its rejects in the accounting; its path is returned so the
/// caller can say that `rejects.csv` lacks those rows. A rejects file whose rows do
/// not add up to the shard's rejected count is an error: it belongs to another run.
pub fn merge_tally_files(plan: &Plan, roster: &Roster, paths: &[std::path::PathBuf]) -> Result<Merged> {
    merge_tally_files_within(plan, roster, paths, crate::count::tally::TALLY_BUDGET)
}

#[cfg(feature = "parquet")]
/// [`merge_tally_files`] of tallies that may take up to `budget` bytes each
/// (`--memory`). Each shard is added to the running total as soon as it is read,
/// so at most two tallies are held at once.
pub fn merge_tally_files_within(
    plan: &Plan,
    roster: &Roster,
    paths: &[std::path::PathBuf],
    budget: u64,
) -> Result<Merged> {
    let layout = Layout::new(plan, roster);
    let mut merged = Tally::try_new_within(layout.clone(), budget)?;
    let mut files = Vec::new();
    let mut rejects = Rejects::new();
    let mut missing = Vec::new();
    let mut offset = 0;
    for p in paths {
        let (tally, shard_files) = crate::count::shard::read_tally_within(p, &layout, budget)?;
        let side = crate::count::shard::rejects_path(p);
        if side.is_file() {
            let r = crate::count::shard::read_rejects(&side, &shard_files, offset)?;
            let counted = tally.accounting().rejected;
            if r.len() as u64 != counted {
                return Err(ErrorKind::Mismatch {
                    path: side,
                    message: format!(
                        "{} rejects listed, the tally {} counts {counted}; use the rejects file written with that tally",
                        r.len(),
                        p.display()
                    ),
                }
                .into());
            }
            rejects.append(&r, |f| f)?;
        } else if tally.accounting().rejected > 0 {
            missing.push(side);
        }
        offset += shard_files.len();
        add_shard(&mut merged, &mut files, tally, shard_files)?;
    }
    Ok(Merged {
        tally: merged,
        rejects,
        files,
        lacking: missing,
    })
}

/// Tally shards merged by [`merge_tally_files`].
pub struct Merged {
    /// The sum of the shards' tallies.
    pub tally: Tally,
    /// The shards' rejects, in shard order; `file` indexes `files`.
    pub rejects: Rejects,
    /// The ballot files of every shard, in shard order.
    pub files: Vec<FileSummary>,
    /// Rejects files that were not found (their shards had rejects).
    pub lacking: Vec<std::path::PathBuf>,
}
