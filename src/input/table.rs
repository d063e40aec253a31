//! One reader for every tabular input: a CSV file (or text) or one sheet of a
//! workbook (`.xlsx`, `.xls`, `.ods`, SPEC §12), giving rows as
//! `csv::StringRecord`s with the row number the user sees (the CSV line, or the
//! sheet's own row number). The roster, ballot, complaint and earlier-results
//! readers all read through `Table`, so a workbook and the CSV with the same
//! cells are judged alike.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Position, Result};
use crate::input::csvin;
use crate::input::sheet;
use crate::input::text::{Encoding, Source};

/// An open table with its header read.
pub(crate) struct Table {
    /// The file, as the user named it.
    pub path: PathBuf,
    /// Column names, trimmed.
    pub header: Vec<String>,
    /// A note about the encoding (CSV, when it was detected) or the sheet read.
    pub note: Option<String>,
    /// The note about the encoding alone (CSV decoded other than as plain UTF-8
    /// or as the user chose): what the attention list repeats.
    pub decoding: Option<String>,
    rows: Rows,
}

enum Rows {
    Csv(csv::Reader<Box<dyn Read + Send>>, csvin::Quotes),
    Sheet(std::vec::IntoIter<sheet::SheetRow>),
}

/// What [`Table::next`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// No more rows.
    End,
    /// A row, with its number (CSV line, header = 1; or the sheet's row number).
    Row(u64),
    /// A CSV row that is not valid text, at this line.
    NotText(u64),
}

/// Whether `path` holds a workbook (by its first bytes: a zip or OLE container).
pub fn is_workbook(path: &Path) -> bool {
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    n > 0 && sheet::workbook_kind(path, &head[..n]).is_some()
}

impl Table {
    /// Opens a source: a workbook (detected by its bytes, whatever its name) is
    /// read from its first visible sheet, or the sheet a [`Source::Sheet`] names;
    /// anything else is CSV text in `encoding`.
    pub fn open(source: &Source, encoding: Encoding) -> Result<Table> {
        let (path, wanted) = match source {
            Source::File(p) => (p.as_path(), None),
            Source::Sheet { path, sheet } => (path.as_path(), Some(sheet.as_str())),
            Source::Text { .. } => return Table::csv(source, encoding),
        };
        if wanted.is_none() && !is_workbook(path) {
            return Table::csv(source, encoding);
        }
        let s = sheet::read_sheet(path, wanted).map_err(|e| Error::input(Position::file(path), e.to_string()))?;
        Table::from_sheet(path, s)
    }

    fn csv(source: &Source, encoding: Encoding) -> Result<Table> {
        let input = csvin::from_text(source.path(), source.open(encoding)?)?;
        Ok(Table {
            path: input.path,
            header: input.header,
            decoding: input.note.clone(),
            note: input.note,
            rows: Rows::Csv(input.reader, input.quotes),
        })
    }

    /// A table over the rows of a sheet: its first row is the header.
    pub fn from_sheet(path: &Path, s: sheet::Sheet) -> Result<Table> {
        let mut rows = s.rows.into_iter();
        let Some(first) = rows.next() else {
            return Err(Error::input(
                Position::file(path),
                format!("sheet `{}` is empty; the first row must name the columns", s.name),
            ));
        };
        let mut header: Vec<String> = first.cells.iter().map(|c| c.trim().to_string()).collect();
        while header.last().is_some_and(|h| h.is_empty()) {
            header.pop();
        }
        let line = u64::from(first.number);
        for (k, h) in header.iter().enumerate() {
            if h.is_empty() {
                return Err(Error::input(
                    Position::line(path, line).with_column(format!("#{}", k + 1)),
                    "a column has no name; name it in the header row or delete the column",
                ));
            }
            if header[..k].contains(h) {
                return Err(Error::input(
                    Position::line(path, line).with_column(h.clone()),
                    format!("column `{h}` appears twice in the header; keep one"),
                ));
            }
        }
        let note = Some(format!("read sheet `{}`", s.name));
        Ok(Table {
            path: path.to_path_buf(),
            header,
            note,
            decoding: None,
            rows: Rows::Sheet(rows),
        })
    }

    /// Reads the next row into `rec`, skipping empty lines and rows.
    pub fn next(&mut self, rec: &mut csv::StringRecord) -> Result<Next> {
        match &mut self.rows {
            Rows::Csv(reader, quotes) => loop {
                match reader.read_record(rec) {
                    Ok(false) => {
                        if let Some(line) = quotes.open_since() {
                            return Err(csvin::unclosed_quote(&self.path, line, reader.position().line()));
                        }
                        return Ok(Next::End);
                    }
                    Ok(true) => {
                        let line = csvin::line_of(rec);
                        if reader.position().line().saturating_sub(line) > csvin::MAX_ROW_LINES {
                            return Err(csvin::open_quote(&self.path, line, reader.position().line()));
                        }
                        if csvin::is_blank_line(rec) {
                            continue;
                        }
                        return Ok(Next::Row(line));
                    }
                    Err(e) => {
                        if let (csv::ErrorKind::Utf8 { .. }, Some(pos)) = (e.kind(), e.position()) {
                            return Ok(Next::NotText(pos.line()));
                        }
                        return Err(csvin::csv_error(&self.path, e));
                    }
                }
            },
            Rows::Sheet(rows) => {
                let Some(row) = rows.next() else {
                    return Ok(Next::End);
                };
                let width = self.header.len();
                // Cells right of the header that are empty are no fields.
                let keep = if row.cells[width.min(row.cells.len())..].iter().all(|c| c.is_empty()) {
                    width.min(row.cells.len())
                } else {
                    row.cells.len()
                };
                rec.clear();
                for c in &row.cells[..keep] {
                    rec.push_field(c);
                }
                Ok(Next::Row(u64::from(row.number)))
            }
        }
    }

    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The indices of required columns, or an error naming the first missing one.
    pub fn require(&self, names: &[&str], what: &str) -> Result<Vec<usize>> {
        names
            .iter()
            .map(|n| {
                self.column(n).ok_or_else(|| {
                    Error::input(
                        Position::line(&self.path, 1).with_column(*n),
                        format!(
                            "the {what} has no `{n}` column (found: {}); a {what} needs the columns {}",
                            self.header.join(", "),
                            names.join(", ")
                        ),
                    )
                })
            })
            .collect()
    }

    /// The next data row into `rec` and its line, `None` at the end; a row that is
    /// not text (invalid UTF-8 under a UTF-8 reading) is the error of
    /// [`Table::not_text`]. The loop of every reader that takes no row as text
    /// when it is not: `while let Some(line) = table.row(&mut rec)? { … }`.
    pub fn row(&mut self, rec: &mut csv::StringRecord) -> Result<Option<u64>> {
        match self.next(rec)? {
            Next::End => Ok(None),
            Next::Row(line) => Ok(Some(line)),
            Next::NotText(line) => Err(self.not_text(line)),
        }
    }

    /// The "not valid text" error at `line`.
    pub fn not_text(&self, line: u64) -> Error {
        Error::input(
            Position::line(&self.path, line),
            "not valid UTF-8; if the file is GBK, pass --encoding gbk",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of a CSV text, or the first error.
    fn rows(text: &str) -> Result<Vec<(u64, Vec<String>)>> {
        let mut t = Table::open(&Source::text("t.csv", text), Encoding::Utf8)?;
        let mut rec = csv::StringRecord::new();
        let mut out = Vec::new();
        loop {
            match t.next(&mut rec)? {
                Next::End => return Ok(out),
                Next::Row(l) | Next::NotText(l) => out.push((l, rec.iter().map(str::to_string).collect())),
            }
        }
    }

    #[test]
    fn a_quoted_field_may_hold_a_few_line_breaks() {
        let r = rows("a,b\n1,\"x\ny\nz\"\n2,\"say \"\"hi\"\"\"\n3,mid\"quote\n").unwrap();
        // Row 2 spans lines 2–4; row "2" is line 5; a `"` inside a field is text.
        assert_eq!(r[0], (2, vec!["1".into(), "x\ny\nz".into()]));
        assert_eq!(r[1], (5, vec!["2".into(), "say \"hi\"".into()]));
        assert_eq!(r[2], (6, vec!["3".into(), "mid\"quote".into()]));
    }

    #[test]
    fn an_unclosed_quote_is_an_error_naming_its_line() {
        // Opened on line 4, the file ends inside it (3 lines later).
        let e = rows("a,b\n1,x\n2,y\n3,\"z\n4,w\n5,v\n").unwrap_err().to_string();
        assert!(e.starts_with("t.csv:4"), "{e}");
        assert!(e.contains("never closed"), "{e}");
        // In the header.
        let e = rows("a,\"b\n1,x\n").unwrap_err().to_string();
        assert!(e.starts_with("t.csv:1"), "{e}");
        // Closed, but only after 150 lines: more than a row may span.
        let long = format!("a,b\n1,x\n2,\"{}\"\n3,y\n", "line\n".repeat(150));
        let e = rows(&long).unwrap_err().to_string();
        assert!(e.starts_with("t.csv:3"), "{e}");
        assert!(e.contains("more than the 100 lines"), "{e}");
        // 100 lines exactly is fine: the field's 99 line breaks.
        let fits = format!("a,b\n1,\"{}x\"\n2,y\n", "l\n".repeat(99));
        let r = rows(&fits).unwrap();
        assert_eq!(r[1].0, 102, "the next row's true line");
    }
}
