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
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(t.reader);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => return Err(csv_error(path, e)),
    };
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
    })
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
