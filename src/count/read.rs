//! Reading ballot files (CSV or Parquet, by extension) through one validator into one tally.

use crate::count::tally::{Layout, Tally};
use crate::error::{Error, ErrorKind, Position, Result};
use crate::input::table::{Next, Table};
use crate::input::text::{Encoding, Source};
use crate::judge::ballots::{BLANK, BallotKeys, Reason};
use crate::judge::ballots::{FileSummary, Reject, Validator};
use crate::judge::record::Ballot;
use crate::judge::rejects::Rejects;
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::rules::schema::RESERVED_COLUMNS;

/// How a ballot file is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// By the file's extension: `.parquet`, `.parq` or `.pq` is Parquet, anything
    /// else CSV.
    #[default]
    Auto,
    /// CSV text (SPEC §3), in the campaign's encoding.
    Csv,
    /// Parquet (`count::parquet`, with the `parquet` feature).
    Parquet,
}

/// Whether a path names a Parquet file by its extension (`.parquet`, `.parq`, `.pq`).
pub fn is_parquet_path(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "parquet" | "parq" | "pq"))
}

impl Format {
    /// The format of `source` (never `Auto`).
    pub fn of(self, source: &Source) -> Format {
        match (self, source) {
            (Format::Auto, Source::File(p)) if is_parquet_path(p) => Format::Parquet,
            (Format::Auto, _) => Format::Csv,
            (f, _) => f,
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Format::Auto),
            "csv" => Ok(Format::Csv),
            "parquet" | "pq" => Ok(Format::Parquet),
            other => Err(format!("unknown format `{other}`: use auto, csv or parquet")),
        }
    }
}

/// Reads every ballot file into one tally (duplicates are judged across all files,
/// in the order given). `progress` receives the rows read so far. The format of
/// each file is chosen by its extension (see [`Format::Auto`]).
pub fn tally_files(
    plan: &Plan,
    roster: &Roster,
    files: &[Source],
    encoding: Encoding,
    progress: &mut dyn FnMut(u64),
) -> Result<(Tally, Rejects, Vec<FileSummary>)> {
    let budget = crate::count::tally::TALLY_BUDGET;
    let (tally, rejects, files, _) = read_all(plan, roster, files, encoding, Format::Auto, budget, progress)?;
    Ok((tally, rejects, files))
}

/// A fresh tally (of at most `budget` bytes) and validator over `files`
/// ([`read_ballots`]); the validator is returned with the keys it took.
pub(crate) fn read_all<'p>(
    plan: &'p Plan,
    roster: &'p Roster,
    files: &[Source],
    encoding: Encoding,
    format: Format,
    budget: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<(Tally, Rejects, Vec<FileSummary>, Validator<'p>)> {
    let mut tally = Tally::try_new_within(Layout::new(plan, roster), budget)?;
    let mut validator = Validator::new(plan, roster);
    // The keys are not kept past this run: check only those that may repeat.
    check_only_repeated_ids(&mut validator, files, format, true);
    let mut rejects = Rejects::new();
    let files = read_ballots(
        &mut validator,
        files,
        encoding,
        format,
        &mut tally,
        &mut rejects,
        progress,
    )?;
    Ok((tally, rejects, files, validator))
}

/// Prepares `validator` to judge `files` (then read with [`read_ballots`]) for a
/// run whose keys are not kept afterwards (no keys file is written from it):
/// when every file is Parquet, one pass over their `ballot_id`, `unit_id` and
/// `rater_id` columns (with the keys the validator already holds, from earlier
/// shards) finds the few ballot ids and (unit, rater) pairs that may repeat, and
/// only those are checked and kept. The verdicts are those of a full check (a key
/// seen once can repeat nothing); the sets of every key, most of a large run's
/// memory, are never built. With `log_raters` the rater of every valid ballot is
/// logged in bounded memory for [`Validator::take_raters`] (the `rater_spread`
/// flag); a run that computes no flags passes `false`. Returns whether it did
/// so; a file that cannot be read this way leaves the validator as it was (its
/// error is the reader's to report). Afterwards [`Validator::ballot_ids`] and
/// [`Validator::rater_keys`] hold only the keys that may repeat: a run that
/// writes `--keys-out` must not call this.
pub fn check_only_repeated_ids(
    validator: &mut Validator<'_>,
    files: &[Source],
    format: Format,
    log_raters: bool,
) -> bool {
    #[cfg(feature = "parquet")]
    {
        let paths: Vec<&std::path::Path> = files
            .iter()
            .filter_map(|f| match (format.of(f), f) {
                (Format::Parquet, Source::File(p)) => Some(p.as_path()),
                _ => None,
            })
            .collect();
        if paths.is_empty() || paths.len() != files.len() {
            return false;
        }
        let budget = crate::judge::partitions::MEMORY_BUDGET;
        if let Some((ids, raters)) = crate::count::parquet::repeated_keys(&paths, validator, budget) {
            validator.check_keys_among(ids, raters, log_raters);
            return true;
        }
    }
    #[cfg(not(feature = "parquet"))]
    let _ = (validator, files, format, log_raters);
    false
}

/// Reads ballot files in order into `tally` through `validator` (which may hold
/// keys taken earlier: [`Validator::take_known`]); rejects are appended to
/// `rejects`, each carrying the index of its file in `files`. `progress` receives
/// the rows read so far, over all files.
pub fn read_ballots(
    validator: &mut Validator<'_>,
    files: &[Source],
    encoding: Encoding,
    format: Format,
    tally: &mut Tally,
    rejects: &mut Rejects,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<FileSummary>> {
    let mut summaries = Vec::with_capacity(files.len());
    let mut done = 0;
    for (k, f) in files.iter().enumerate() {
        let mut each = |n| progress(done + n);
        let s = match (format.of(f), f) {
            #[cfg(feature = "parquet")]
            (Format::Parquet, Source::File(p)) => {
                crate::count::parquet::read_parquet(p, k, validator, tally, rejects, &mut each)?
            }
            #[cfg(not(feature = "parquet"))]
            (Format::Parquet, Source::File(p)) => {
                return Err(ErrorKind::Usage(format!(
                    "{}: this build of appraise has no Parquet support; build it with the `parquet` feature (on by default) or give the ballots as CSV",
                    p.display()
                ))
                .into());
            }
            (Format::Parquet, Source::Text { name, .. }) => {
                return Err(ErrorKind::Usage(format!(
                    "{}: Parquet ballots must come from a file, not from text",
                    name.display()
                ))
                .into());
            }
            _ => read_csv(f, k, encoding, validator, tally, rejects, &mut each)?,
        };
        // A temporary file that could not take the rejects stops the run here.
        rejects.check()?;
        done += s.rows;
        summaries.push(s);
    }
    Ok(summaries)
}

/// Reads a wide ballot table (SPEC §3): a CSV file or a workbook's sheet
/// ([`crate::input::table`], SPEC §12), judging every row and adding it to `tally`;
/// rejected rows are appended to `rejects`. `progress` is called with the number of
/// rows read so far, every 65,536 rows and at the end.
///
/// Errors only when the file as a whole is unusable: it cannot be opened, has no
/// header, lacks a fixed column or an item column.
pub fn read_csv(
    source: &Source,
    file: usize,
    encoding: Encoding,
    validator: &mut Validator<'_>,
    tally: &mut Tally,
    rejects: &mut Rejects,
    progress: &mut dyn FnMut(u64),
) -> Result<FileSummary> {
    let path = source.path();
    let mut input = Table::open(source, encoding)?;
    let fixed = input.require(&RESERVED_COLUMNS[..4], "ballot file")?;
    let rater_unit = input.column("rater_unit");
    let survey = &validator.plan().survey;
    let mut item_cols = Vec::with_capacity(survey.items.len());
    for it in &survey.items {
        match input.column(&it.id) {
            Some(c) => item_cols.push(c),
            None => {
                return Err(Error::input(
                    Position::line(path, 1).with_column(it.id.clone()),
                    format!(
                        "the ballot file has no column for item `{}`; every item of survey `{}` needs a column (blank cells are fine)",
                        it.id, survey.id
                    ),
                ));
            }
        }
    }
    let ignored_columns = input
        .header
        .iter()
        .enumerate()
        .filter(|(k, _)| !fixed.contains(k) && Some(*k) != rater_unit && !item_cols.contains(k))
        .map(|(_, h)| h.clone())
        .collect();
    let width = input.header.len();
    // A row may lack `rater_unit` when it is the last column (SPEC §12 short rows).
    let shortest = match rater_unit {
        Some(k) if k + 1 == width => width - 1,
        _ => width,
    };
    let mut codes = vec![BLANK; survey.items.len()];
    let mut rec = csv::StringRecord::new();
    let mut rows = 0u64;
    loop {
        let line = match input.next(&mut rec)? {
            Next::End => break,
            Next::Row(line) => line,
            Next::NotText(line) => {
                rows += 1;
                tally.add_rejected(None, Reason::MalformedRow);
                rejects.push(Reject {
                    row: line,
                    ballot_id: String::new(),
                    reason: Reason::MalformedRow,
                    detail: "not valid UTF-8; if the file is GBK, pass --encoding gbk".into(),
                    file,
                });
                continue;
            }
        };
        rows += 1;
        if rows % 65_536 == 0 {
            progress(rows);
        }
        let get = |k: usize| rec.get(k).unwrap_or("");
        if rec.len() > width || rec.len() < shortest {
            let unit = validator.unit_index(get(fixed[1]).trim());
            tally.add_rejected(unit, Reason::MalformedRow);
            rejects.push(Reject {
                row: line,
                ballot_id: get(fixed[0]).trim().to_string(),
                reason: Reason::MalformedRow,
                detail: format!("{} fields, header has {width}", rec.len()),
                file,
            });
            continue;
        }
        let keys = BallotKeys {
            line,
            ballot_id: get(fixed[0]),
            unit_id: get(fixed[1]),
            rater_id: get(fixed[2]),
            rater_group: get(fixed[3]),
            rater_unit: rater_unit.map_or("", get),
        };
        match validator.judge(&keys, |i| get(item_cols[i]), &mut codes) {
            Ok(a) => tally.add(a.unit, a.group, &codes),
            Err((unit, reason, detail)) => {
                tally.add_rejected(unit, reason);
                rejects.push(Reject {
                    row: line,
                    ballot_id: keys.ballot_id.trim().to_string(),
                    reason,
                    detail,
                    file,
                });
            }
        }
    }
    progress(rows);
    Ok(FileSummary {
        path: path.display().to_string(),
        rows,
        ignored_columns,
        note: input.note,
    })
}

/// Reads typed ballots ([`Ballot`]) into `tally` through `validator`, judged
/// exactly like CSV rows with the same text. Each reject carries the record's
/// 0-based index in `records` as its `row` and `file` as its file index; `name`
/// names the batch in the returned summary (and so in `rejects.csv`).
///
/// ```
/// use appraise::count::{read::read_records, tally::{Layout, Tally}};
/// use appraise::judge::{ballots::Validator, record::Ballot};
/// let (plan, roster) = appraise::demo::campaign()?;
/// let mut validator = Validator::new(&plan, &roster);
/// let mut tally = Tally::new(Layout::new(&plan, &roster));
/// let mut rejects = appraise::judge::rejects::Rejects::new();
/// let b = Ballot::new("B1", "nowhere", "R1", "public");
/// let s = read_records(&mut validator, [b], "web", 0, &mut tally, &mut rejects);
/// assert_eq!((s.rows, rejects.in_memory()[0].reason.code()), (1, "unknown_unit"));
/// # Ok::<(), appraise::Error>(())
/// ```
pub fn read_records<B: std::borrow::Borrow<Ballot>>(
    validator: &mut Validator<'_>,
    records: impl IntoIterator<Item = B>,
    name: &str,
    file: usize,
    tally: &mut Tally,
    rejects: &mut Rejects,
) -> FileSummary {
    let mut codes = vec![BLANK; validator.plan().survey.items.len()];
    let mut rows = 0u64;
    for (k, b) in records.into_iter().enumerate() {
        let b = b.borrow();
        rows += 1;
        match validator.judge_ballot(b, k as u64, &mut codes) {
            Ok(a) => tally.add(a.unit, a.group, &codes),
            Err((unit, reason, detail)) => {
                tally.add_rejected(unit, reason);
                rejects.push(Reject {
                    row: k as u64,
                    ballot_id: b.ballot_id.trim().to_string(),
                    reason,
                    detail,
                    file,
                });
            }
        }
    }
    FileSummary {
        path: name.to_string(),
        rows,
        ignored_columns: Vec::new(),
        note: None,
    }
}
