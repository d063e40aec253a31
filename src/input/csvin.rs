//! Reading CSV inputs with row accuracy: every record knows its source line (the
//! header is line 1), ragged rows are reported rather than fatal, and header names
//! are trimmed.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Position, Result};
use crate::input::text;

/// An open CSV file with its header read.
pub(crate) struct CsvInput {
    pub path: PathBuf,
    pub reader: csv::Reader<Box<dyn Read + Send>>,
    pub header: Vec<String>,
    /// A note about the encoding, when it was detected.
    pub note: Option<String>,
    /// The quoting of the text the reader has consumed.
    pub quotes: Quotes,
}

/// The most lines one row may span (a quoted field may hold line breaks: an
/// address, a comment). A row beyond it is an error naming the line it began on:
/// a `"` that is never closed would otherwise swallow the rest of the file as one
/// field (SPEC §12).
pub(crate) const MAX_ROW_LINES: u64 = 100;

/// Follows the CSV quoting of a byte stream as the csv reader sees it (a `"` at
/// the start of a field opens a quoted field, `""` inside it is a quote, `\n` ends
/// a record outside quotes), so that the end of the file can tell whether a
/// quoted field was left open, and on which line it was opened.
#[derive(Clone, Debug, Default)]
pub(crate) struct Quotes(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl Quotes {
    /// The line (1-based) where a quoted field still open at the point read so far
    /// began, or `None`.
    pub fn open_since(&self) -> Option<u64> {
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quoting {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// A reader that passes bytes through and keeps [`Quotes`] up to date.
struct Watched<R> {
    inner: R,
    quotes: Quotes,
    state: Quoting,
    line: u64,
    opened: u64,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            self.state = match (self.state, b) {
                (Quoting::Quoted, b'"') => Quoting::QuoteInQuoted,
                (Quoting::Quoted, b'\n') => {
                    self.line += 1;
                    Quoting::Quoted
                }
                (Quoting::Quoted, _) => Quoting::Quoted,
                (Quoting::FieldStart, b'"') => {
                    self.opened = self.line;
                    Quoting::Quoted
                }
                (Quoting::QuoteInQuoted, b'"') => Quoting::Quoted,
                (_, b',') => Quoting::FieldStart,
                (_, b'\n') => {
                    self.line += 1;
                    Quoting::FieldStart
                }
                _ => Quoting::Unquoted,
            };
        }
        let open = if self.state == Quoting::Quoted { self.opened } else { 0 };
        self.quotes.0.store(open, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// The most columns a CSV header may have (a survey has far fewer items).
pub(crate) const MAX_COLUMNS: usize = 100_000;

/// Reads the header of an opened CSV text stream; `path` names it in messages. An
/// empty file, a file without a header, or a header with a repeated or empty
/// column name is an error.
pub(crate) fn from_text(path: &Path, t: text::TextReader) -> Result<CsvInput> {
    // `\n` alone ends a record: with the default CRLF terminator the csv crate
    // reports the line of every record after a CRLF line end one too low. The `\r`
    // of a CRLF stays at the end of the last field, where trimming removes it.
    let quotes = Quotes::default();
    let watched: Box<dyn Read + Send> = Box::new(Watched {
        inner: t.reader,
        quotes: quotes.clone(),
        state: Quoting::FieldStart,
        line: 1,
        opened: 0,
    });
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(watched);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => return Err(csv_error(path, e)),
    };
    if reader.position().line() > 1 + MAX_ROW_LINES || (reader.is_done() && quotes.open_since().is_some()) {
        return Err(open_quote(path, 1, reader.position().line()));
    }
    if header.iter().all(|h| h.is_empty()) {
        return Err(Error::input(
            Position::file(path),
            "the file is empty or has no header line; the first line must name the columns",
        ));
    }
    if header.len() > MAX_COLUMNS {
        return Err(Error::input(
            Position::line(path, 1),
            format!(
                "the header has {} columns, more than the {MAX_COLUMNS} appraise reads; is this the right file?",
                header.len()
            ),
        ));
    }
    let mut seen = std::collections::HashSet::with_capacity(header.len());
    for (k, h) in header.iter().enumerate() {
        if h.is_empty() {
            return Err(Error::input(
                Position::line(path, 1).with_column(format!("#{}", k + 1)),
                "a column has no name; name it in the header or delete it",
            ));
        }
        if !seen.insert(h.as_str()) {
            return Err(Error::input(
                Position::line(path, 1).with_column(h.clone()),
                format!("column `{h}` appears twice in the header; keep one"),
            ));
        }
    }
    Ok(CsvInput {
        path: path.to_path_buf(),
        reader,
        header,
        note: t.note,
        quotes,
    })
}

/// The error of a row that began on `line` and ran on to line `end` (exclusive)
/// inside a quoted field.
pub(crate) fn open_quote(path: &Path, line: u64, end: u64) -> Error {
    Error::input(
        Position::line(path, line),
        format!(
            "the row that begins on this line runs on to line {} inside a quoted field, more than the {MAX_ROW_LINES} lines a row may span: a `\"` at the start of a field is not closed; close it, or double a quote meant as text (`\"\"`)",
            end.saturating_sub(1).max(line)
        ),
    )
}

/// The error of a quoted field opened on `line` and still open at the end of
/// the file.
pub(crate) fn unclosed_quote(path: &Path, line: u64, last: u64) -> Error {
    Error::input(
        Position::line(path, line),
        format!(
            "a quoted field opened on this line is never closed: the rest of the file (to line {last}) would be one cell; close the `\"`, or double a quote meant as text (`\"\"`)"
        ),
    )
}

/// Turns a csv error into an input error with the line it names.
pub(crate) fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8; if the file is GBK, pass --encoding gbk".to_string(),
        csv::ErrorKind::Io(err) => format!("read error: {err}"),
        _ => e.to_string(),
    };
    let mut pos = Position::file(path);
    pos.line = line;
    Error::input(pos, message)
}

/// Whether a record is an empty line (one field of whitespace), which is no row.
pub(crate) fn is_blank_line(rec: &csv::StringRecord) -> bool {
    rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty())
}

/// The line of a record (1-based, header = 1).
pub(crate) fn line_of(rec: &csv::StringRecord) -> u64 {
    rec.position().map_or(0, |p| p.line())
}
