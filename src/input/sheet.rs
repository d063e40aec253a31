//! Reading one table from an Excel or OpenDocument workbook.
//!
//! Rosters, ballots and complaint ledgers are kept in Excel (or WPS, or
//! LibreOffice). [`read_sheet`] turns one sheet into rows of text, the same
//! shape a CSV reader gives, so the rest of the engine parses one kind of
//! input. Two things are kept from the workbook because messages need them:
//! the sheet's own row numbers, as Excel shows them, so that "row 7" in a
//! message is row 7 on the clerk's screen; and column A as `cells[0]`, so
//! column letters in messages match too.
//!
//! Cells become text as a clerk would read them: `1`, not `1.0`; dates as
//! `YYYY-MM-DD`. Cells holding an Excel error (`#N/A`, `#DIV/0!`) are kept as
//! that text rather than failing the whole file: one broken formula in a
//! 2,000-ballot file should reject one row downstream, with the row number,
//! not stop the run.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use calamine::{Data, Ods, OdsError, Range, Reader, SheetType, SheetVisible, Xls, XlsError, Xlsx, XlsxError};
use thiserror::Error;

/// The container formats [`read_sheet_bytes`] can open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkbookKind {
    /// Office Open XML: `.xlsx` and `.xlsm` (Excel 2007 and later, WPS).
    Xlsx,
    /// The binary Excel 97–2003 format, `.xls`, still written by older
    /// office systems.
    Xls,
    /// OpenDocument spreadsheet, `.ods` (LibreOffice, WPS).
    Ods,
}

/// One sheet as rows of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    /// The sheet's name in the workbook, for messages.
    pub name: String,
    /// The non-empty rows, in order.
    pub rows: Vec<SheetRow>,
}

/// One non-empty row of a sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRow {
    /// The sheet's own 1-based row number, as Excel shows it, so messages can
    /// point at the row the clerk sees. Empty rows are skipped, so numbers
    /// may jump.
    pub number: u32,
    /// The cells as text, column A first; every row of a sheet has the same
    /// length (leading and trailing empty cells included), `""` for empty.
    pub cells: Vec<String>,
}

/// Why a sheet could not be read. Messages name the file and say what to do,
/// because they are shown to the clerk who supplied it.
#[derive(Debug, Error)]
pub enum SheetError {
    /// The file could not be read from disk.
    #[error("cannot read {}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The bytes are not a workbook at all, whatever the file is called
    /// (a CSV or web page saved with an `.xls` name is common).
    #[error(
        "{} is not an Excel or OpenDocument workbook ({looks_like}); \
         open it in Excel or WPS and save it as .xlsx, or export it as CSV",
        file.display()
    )]
    NotAWorkbook {
        /// The file.
        file: PathBuf,
        /// What the start of the file looks like, in words.
        looks_like: &'static str,
    },
    /// The workbook is damaged or not what its format says.
    #[error(
        "cannot read the workbook {}: {reason}; open it in Excel or WPS and save it again \
         as .xlsx (or export the sheet as CSV)",
        file.display()
    )]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// Why, in words.
        reason: String,
    },
    /// The workbook is password-protected (encrypted).
    #[error(
        "{} is password-protected; open it in Excel or WPS, remove the password \
         (File > Info > Protect Workbook) and save it again",
        file.display()
    )]
    Encrypted {
        /// The file.
        file: PathBuf,
    },
    /// The sheet asked for is not in the workbook.
    #[error(
        "{} has no sheet named `{wanted}`; its sheets are: {}; give one of these names",
        file.display(),
        list(available)
    )]
    NoSuchSheet {
        /// The file.
        file: PathBuf,
        /// The name asked for.
        wanted: String,
        /// The sheets the workbook has, in workbook order.
        available: Vec<String>,
    },
    /// The workbook has no worksheet (only chart sheets, or none).
    #[error("{} has no worksheets; put the table on a worksheet and save it again", file.display())]
    NoSheets {
        /// The file.
        file: PathBuf,
    },
    /// The chosen sheet has no filled cell.
    #[error(
        "sheet `{sheet}` of {} is empty; the workbook's sheets are: {}; \
         name the sheet that holds the table, or check that the file is the right one",
        file.display(),
        list(available)
    )]
    EmptySheet {
        /// The file.
        file: PathBuf,
        /// The sheet that was read.
        sheet: String,
        /// The sheets the workbook has, in workbook order.
        available: Vec<String>,
    },
    /// The filled cells of the chosen sheet span more cells than a table may
    /// take (usually a stray cell far right or far down).
    #[error(
        "sheet `{sheet}` of {} would take {cells} cells: its filled rows reach column {far} \
         (cell {far_cell}), more than the {} a table may have; delete the stray cells outside \
         the table (Ctrl+End shows the last one) and save it again",
        file.display(),
        SHEET_CELLS
    )]
    TooLarge {
        /// The file.
        file: PathBuf,
        /// The sheet that was read.
        sheet: String,
        /// Filled rows × the widest column, the cells a table of it would take.
        cells: u64,
        /// The farthest column holding a filled cell, as a letter (`XFD`).
        far: String,
        /// A filled cell in that column (`XFD1048576`).
        far_cell: String,
    },
}

/// Most cells a sheet's table may take (filled rows × columns up to the widest
/// filled one): 2²⁶, far above a ballot sheet of Excel's 1,048,576 rows × 40
/// items. calamine's dense range would reserve rows × columns between the
/// farthest filled cells (two cells at A1 and XFD1048576 asked for 550 GB, an
/// abort), so `.xlsx` sheets are read cell by cell and checked against this.
pub const SHEET_CELLS: u64 = 1 << 26;

/// The letters of a 0-based column (`0` → `A`, `16383` → `XFD`).
fn column_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        out.push(char::from(b'A' + r));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// Sheet names quoted and joined for messages.
fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "(none)".to_string();
    }
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Zip local-file header: `.xlsx`, `.xlsm` and `.ods` are zip containers.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// OLE compound document: `.xls`, and also an encrypted `.xlsx`.
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// An OpenDocument zip starts with an uncompressed `mimetype` entry holding
/// this text, right after the 30-byte local header and the 8-byte name.
const ODS_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// Detects the workbook format of a file from its first bytes and its name.
///
/// The content decides when `first_bytes` is given: a workbook saved or
/// downloaded under a `.csv` or `.txt` name is still recognised, and a text
/// file named `.xls` is not taken for a workbook (its bytes would otherwise end
/// up in an error message). A zip is `.ods` when its first entry is the
/// OpenDocument spreadsheet `mimetype` (or the name ends in `.ods`), else
/// `.xlsx`. An OLE file is `.xls`, except under an `.xlsx`/`.xlsm` name, where
/// it is an encrypted Office Open XML workbook that
/// [`read_sheet_bytes`] reports as password-protected.
///
/// With empty `first_bytes`, the extension alone decides (`xlsx`, `xlsm`,
/// `xls`, `ods`, in any case). `None`: not a workbook.
pub fn workbook_kind(path: &Path, first_bytes: &[u8]) -> Option<WorkbookKind> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if first_bytes.is_empty() {
        return match ext.as_str() {
            "xlsx" | "xlsm" => Some(WorkbookKind::Xlsx),
            "xls" => Some(WorkbookKind::Xls),
            "ods" => Some(WorkbookKind::Ods),
            _ => None,
        };
    }
    if first_bytes.starts_with(ZIP_MAGIC) {
        let ods_mime = first_bytes.get(30..38) == Some(b"mimetype".as_slice())
            && first_bytes.get(38..38 + ODS_MIMETYPE.len()) == Some(ODS_MIMETYPE);
        return Some(if ods_mime || ext == "ods" {
            WorkbookKind::Ods
        } else {
            WorkbookKind::Xlsx
        });
    }
    if first_bytes.starts_with(OLE_MAGIC) {
        return Some(if matches!(ext.as_str(), "xlsx" | "xlsm") {
            WorkbookKind::Xlsx
        } else {
            WorkbookKind::Xls
        });
    }
    None
}

/// What a file that is not a workbook looks like, for
/// [`SheetError::NotAWorkbook`]; never its bytes.
fn looks_like(bytes: &[u8]) -> &'static str {
    let head = &bytes[..bytes.len().min(512)];
    let text = String::from_utf8_lossy(head);
    if bytes.is_empty() {
        "the file is empty"
    } else if text.trim_start_matches('\u{feff}').trim_start().starts_with('<') {
        "it looks like a web page or XML file"
    } else if std::str::from_utf8(head).is_ok() || !head.contains(&0) {
        "it looks like a text file"
    } else {
        "it is some other binary file"
    }
}

/// Reads one sheet of the workbook at `path`: the sheet named `sheet`, or by
/// default the first visible worksheet (what a clerk sees first in the tab
/// bar; a hidden first sheet is usually a lookup table).
///
/// The format is detected from the file's bytes (see [`workbook_kind`]), so
/// the file's name does not have to match its content.
pub fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<Sheet, SheetError> {
    let bytes = std::fs::read(path).map_err(|source| SheetError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    let Some(kind) = workbook_kind(path, &bytes) else {
        return Err(SheetError::NotAWorkbook {
            file: path.to_path_buf(),
            looks_like: looks_like(&bytes),
        });
    };
    read_sheet_bytes(&bytes, kind, sheet, path)
}

/// Reads one sheet of a workbook held in memory (an upload, a test fixture),
/// as [`read_sheet`] does; `name_for_errors` stands for the file in messages.
///
/// A sheet name is matched exactly, else ignoring surrounding spaces and ASCII
/// case when that finds exactly one sheet (names typed in a command line
/// rarely match the tab's trailing space or capitals).
pub fn read_sheet_bytes(
    bytes: &[u8],
    kind: WorkbookKind,
    sheet: Option<&str>,
    name_for_errors: &Path,
) -> Result<Sheet, SheetError> {
    let file = || name_for_errors.to_path_buf();
    let cursor = Cursor::new(bytes);
    match kind {
        WorkbookKind::Xlsx => {
            let mut book = Xlsx::new(cursor).map_err(|e| xlsx_error(e, file()))?;
            let (name, available) = choose_sheet(&book, sheet, name_for_errors)?;
            let rows = xlsx_rows(&mut book, &name, name_for_errors)?;
            finish(name, rows, available, name_for_errors)
        }
        WorkbookKind::Xls => match Xls::new(cursor.clone()) {
            Ok(book) => read_from(book, sheet, name_for_errors, |e| xls_error(e, file())),
            Err(e) => {
                // An encrypted .xlsx is an OLE file too: let the xlsx reader,
                // which recognises it, have the last word.
                if let Err(XlsxError::Password) = Xlsx::new(cursor) {
                    return Err(SheetError::Encrypted { file: file() });
                }
                Err(xls_error(e, file()))
            }
        },
        WorkbookKind::Ods => {
            let book = Ods::new(cursor).map_err(|e| ods_error(e, file()))?;
            read_from(book, sheet, name_for_errors, |e| ods_error(e, file()))
        }
    }
}

/// Chooses the sheet and converts its range.
fn read_from<R, RS>(
    mut book: R,
    wanted: Option<&str>,
    file: &Path,
    err: impl Fn(R::Error) -> SheetError,
) -> Result<Sheet, SheetError>
where
    R: Reader<RS>,
    RS: std::io::Read + std::io::Seek,
{
    let (name, available) = choose_sheet(&book, wanted, file)?;
    let range = book.worksheet_range(&name).map_err(err)?;
    finish(name, range_rows(&range), available, file)
}

/// The sheet to read (see [`read_sheet`]) and the names of all worksheets.
fn choose_sheet<R, RS>(book: &R, wanted: Option<&str>, file: &Path) -> Result<(String, Vec<String>), SheetError>
where
    R: Reader<RS>,
    RS: std::io::Read + std::io::Seek,
{
    let worksheets: Vec<(String, bool)> = book
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect();
    let available: Vec<String> = worksheets.iter().map(|(n, _)| n.clone()).collect();
    let name = match wanted {
        Some(w) => find_sheet(&available, w).ok_or_else(|| SheetError::NoSuchSheet {
            file: file.to_path_buf(),
            wanted: w.to_string(),
            available: available.clone(),
        })?,
        None => worksheets
            .iter()
            .find(|(_, visible)| *visible)
            .or(worksheets.first())
            .map(|(n, _)| n.clone())
            .ok_or_else(|| SheetError::NoSheets {
                file: file.to_path_buf(),
            })?,
    };
    Ok((name, available))
}

/// The sheet, or [`SheetError::EmptySheet`] when no row has a filled cell.
fn finish(name: String, rows: Vec<SheetRow>, available: Vec<String>, file: &Path) -> Result<Sheet, SheetError> {
    if rows.is_empty() {
        return Err(SheetError::EmptySheet {
            file: file.to_path_buf(),
            sheet: name,
            available,
        });
    }
    Ok(Sheet { name, rows })
}

/// The sheet called `wanted`: exact, else the only one equal ignoring
/// surrounding spaces and ASCII case.
fn find_sheet(available: &[String], wanted: &str) -> Option<String> {
    if let Some(n) = available.iter().find(|n| *n == wanted) {
        return Some(n.clone());
    }
    let w = wanted.trim();
    let mut loose = available.iter().filter(|n| n.trim().eq_ignore_ascii_case(w));
    match (loose.next(), loose.next()) {
        (Some(n), None) => Some(n.clone()),
        _ => None,
    }
}

/// The non-empty rows of an `.xlsx` sheet, as [`range_rows`] gives them for
/// calamine's dense range (column A first, every row as wide as the widest
/// filled column, the later of two cells at one position winning), read cell by
/// cell so that only filled rows take memory, and refused past [`SHEET_CELLS`].
fn xlsx_rows<RS: std::io::Read + std::io::Seek>(
    book: &mut Xlsx<RS>,
    name: &str,
    file: &Path,
) -> Result<Vec<SheetRow>, SheetError> {
    let mut reader = match book.worksheet_cells_reader(name) {
        Ok(r) => r,
        // A chart sheet or the like: no cells (calamine's range is empty too).
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(e) => return Err(xlsx_error(e, file.to_path_buf())),
    };
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    while let Some(c) = reader.next_cell().map_err(|e| xlsx_error(e, file.to_path_buf()))? {
        if matches!(c.get_value(), calamine::DataRef::Empty) {
            continue;
        }
        // The dense range's bounds count every cell calamine keeps, even one
        // whose text is empty.
        let (row, col) = c.get_position();
        cells.push((row, col, cell_text(&Data::from(c.get_value().clone()))));
    }
    let Some(far) = cells.iter().max_by_key(|c| (c.1, c.0)).map(|c| (c.0, c.1)) else {
        return Ok(Vec::new());
    };
    let width = far.1 as usize + 1;
    cells.sort_by_key(|c| (c.0, c.1));
    let mut rows: Vec<SheetRow> = Vec::new();
    let filled = cells
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.iter().any(|c| !c.2.is_empty()))
        .count();
    let need = (filled as u64).saturating_mul(width as u64);
    if need > SHEET_CELLS {
        return Err(SheetError::TooLarge {
            file: file.to_path_buf(),
            sheet: name.to_string(),
            cells: need,
            far: column_letters(far.1),
            far_cell: format!("{}{}", column_letters(far.1), u64::from(far.0) + 1),
        });
    }
    for run in cells.chunk_by(|a, b| a.0 == b.0) {
        if run.iter().all(|c| c.2.is_empty()) {
            continue;
        }
        let mut row = vec![String::new(); width];
        for (_, col, text) in run {
            row[*col as usize] = text.clone();
        }
        rows.push(SheetRow {
            number: run[0].0.saturating_add(1),
            cells: row,
        });
    }
    Ok(rows)
}

/// The non-empty rows of a range, numbered as on the sheet, column A first.
fn range_rows(range: &Range<Data>) -> Vec<SheetRow> {
    let Some((row0, col0)) = range.start() else {
        return Vec::new();
    };
    let lead = col0 as usize;
    let mut out = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let mut cells = Vec::with_capacity(lead + row.len());
        cells.resize(lead, String::new());
        cells.extend(row.iter().map(cell_text));
        if cells.iter().all(String::is_empty) {
            continue;
        }
        // Rows are at most 1,048,576 in every format read here.
        let number = row0
            .saturating_add(u32::try_from(i).unwrap_or(u32::MAX))
            .saturating_add(1);
        out.push(SheetRow { number, cells });
    }
    out
}

/// 2^53: above it not every integer is a float, so integer text would claim
/// digits the cell does not have.
const EXACT_INT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// The text a clerk reads in the cell.
///
/// Integer-valued numbers print without `.0` (Excel stores every number as a
/// float: the ballot code `1` arrives as `1.0`); other numbers as Rust's
/// shortest round-trip text. Dates print as `YYYY-MM-DD`, with ` HH:MM:SS`
/// when the time is not midnight, and a time of day alone as `HH:MM:SS`;
/// durations as `H:MM:SS` (hours may exceed 24). Error cells print as Excel
/// shows them (`#N/A`), so the row is rejected downstream.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::Error(e) => e.to_string(),
        Data::DateTime(dt) => {
            let v = dt.as_f64();
            if dt.is_duration() {
                duration_text(v)
            } else if (0.0..1.0).contains(&v) {
                let (_, _, _, h, m, s, _) = dt.to_ymd_hms_milli();
                format!("{h:02}:{m:02}:{s:02}")
            } else {
                let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
                if (h, mi, s) == (0, 0, 0) {
                    format!("{y:04}-{mo:02}-{d:02}")
                } else {
                    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
                }
            }
        }
        Data::DateTimeIso(s) => iso_datetime_text(s),
        Data::DurationIso(s) => iso_duration_text(s),
    }
}

/// A float as a clerk reads it: `1`, `-3`, `101`, `0.5`.
fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < EXACT_INT_LIMIT {
        // Exact: the value is an integer below 2^53. `+ 0.0` turns -0 into 0.
        format!("{}", (f + 0.0) as i64)
    } else {
        format!("{f}")
    }
}

/// A duration in days as `H:MM:SS`, rounded to the second.
fn duration_text(days: f64) -> String {
    let secs = (days * 86_400.0).round();
    if !secs.is_finite() {
        return format!("{days}");
    }
    let sign = if secs < 0.0 { "-" } else { "" };
    let secs = secs.abs() as u64;
    format!("{sign}{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// An OpenDocument date value (`2024-03-05`, `2024-03-05T08:30:00.000`) in
/// the same form as Excel dates.
fn iso_datetime_text(s: &str) -> String {
    let Some((date, time)) = s.split_once('T') else {
        return s.to_string();
    };
    let time = time.split('.').next().unwrap_or(time);
    if time.bytes().all(|b| b == b'0' || b == b':') {
        date.to_string()
    } else {
        format!("{date} {time}")
    }
}

/// An OpenDocument time value (`PT36H30M00S`, `PT08H15M30.5S`) as `H:MM:SS`;
/// anything else as given.
fn iso_duration_text(s: &str) -> String {
    let parse = || -> Option<String> {
        let (neg, rest) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let mut rest = rest.strip_prefix("PT")?;
        let mut total = 0.0_f64;
        for (unit, secs) in [('H', 3600.0), ('M', 60.0), ('S', 1.0)] {
            if let Some((num, tail)) = rest.split_once(unit) {
                // `PTinfH`, `PTNaNS`: no duration (-inf/+nan are no numbers).
                total += num.parse::<f64>().ok().filter(|x| x.is_finite())? * secs;
                rest = tail;
            }
        }
        if !rest.is_empty() || !total.is_finite() {
            return None;
        }
        let days = total / 86_400.0;
        Some(duration_text(if neg { -days } else { days }))
    };
    parse().unwrap_or_else(|| s.to_string())
}

/// A library message made safe to show: printable characters only, at most
/// 200 of them.
fn words(detail: impl std::fmt::Display) -> String {
    let text: String = detail
        .to_string()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    text
}

/// Why an `.xlsx` could not be read.
fn xlsx_error(e: XlsxError, file: PathBuf) -> SheetError {
    let reason = match e {
        XlsxError::Password => return SheetError::Encrypted { file },
        XlsxError::Io(e) => format!("reading it failed ({})", words(e)),
        XlsxError::Zip(_) => "it is not a complete .xlsx file: its zip container cannot be \
                              opened (the file may be damaged or only partly copied)"
            .to_string(),
        XlsxError::Xml(_) | XlsxError::XmlAttr(_) | XlsxError::XmlEof(_) => {
            "the workbook's XML inside is malformed".to_string()
        }
        XlsxError::FileNotFound(part) => {
            format!("it is a zip file but not an Excel workbook (no `{}` part)", words(part))
        }
        other => words(other),
    };
    SheetError::Unreadable { file, reason }
}

/// Why an `.xls` could not be read.
fn xls_error(e: XlsError, file: PathBuf) -> SheetError {
    let reason = match e {
        XlsError::Password => return SheetError::Encrypted { file },
        XlsError::Io(e) => format!("reading it failed ({})", words(e)),
        // CFB messages may quote the file's signature bytes: describe instead.
        XlsError::Cfb(_) => "it is not a readable Excel 97-2003 (.xls) file: its \
                             compound-document structure is damaged"
            .to_string(),
        other => format!("the Excel 97-2003 data is damaged ({})", words(other)),
    };
    SheetError::Unreadable { file, reason }
}

/// Why an `.ods` could not be read.
fn ods_error(e: OdsError, file: PathBuf) -> SheetError {
    let reason = match e {
        OdsError::Password => return SheetError::Encrypted { file },
        OdsError::Io(e) => format!("reading it failed ({})", words(e)),
        OdsError::Zip(_) => "it is not a complete .ods file: its zip container cannot be \
                             opened (the file may be damaged or only partly copied)"
            .to_string(),
        // The message would quote the mimetype bytes.
        OdsError::InvalidMime(_) | OdsError::FileNotFound(_) => {
            "it is a zip file but not an OpenDocument spreadsheet".to_string()
        }
        OdsError::Xml(_) | OdsError::XmlAttr(_) => "the spreadsheet's XML inside is malformed".to_string(),
        other => words(other),
    };
    SheetError::Unreadable { file, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};
    use rust_xlsxwriter::{Format, Workbook};

    /// A workbook with a blank first row and column, mixed cells, and a named
    /// second sheet.
    fn sample_workbook() -> Vec<u8> {
        let mut wb = Workbook::new();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        let ws = wb.add_worksheet();
        ws.set_name("名册").unwrap();
        // Row 1 and column A stay blank: the used range starts at B2.
        ws.write_string(1, 1, "单位").unwrap();
        ws.write_string(1, 2, "代码").unwrap();
        ws.write_string(1, 3, "日期").unwrap();
        ws.write_string(1, 4, "得分").unwrap();
        ws.write_string(2, 1, "城管窗口").unwrap();
        ws.write_number(2, 2, 1.0).unwrap();
        // 45356 = 2024-03-05 (see dates.rs for the arithmetic).
        ws.write_number_with_format(2, 3, 45356.0, &date).unwrap();
        ws.write_number(2, 4, 87.5).unwrap();
        // Row 4 (index 3) is empty; row 5 follows.
        ws.write_string(4, 1, "民政局窗口").unwrap();
        ws.write_number(4, 2, 101.0).unwrap();
        ws.write_number_with_format(4, 3, 45356.5, &datetime).unwrap();
        ws.write_number(4, 4, -3.0).unwrap();
        ws.write_boolean(5, 1, true).unwrap();
        ws.write_string(5, 5, "=1+1").unwrap();
        let second = wb.add_worksheet();
        second.set_name("投诉 台账").unwrap();
        second.write_string(0, 0, "编号").unwrap();
        second.write_number(1, 0, 7.0).unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn reads_xlsx_with_true_row_numbers_and_column_a_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roster.xlsx");
        std::fs::write(&path, sample_workbook()).unwrap();
        let sheet = read_sheet(&path, None).unwrap();
        assert_eq!(sheet.name, "名册");
        let got: Vec<(u32, Vec<&str>)> = sheet
            .rows
            .iter()
            .map(|r| (r.number, r.cells.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, vec!["", "单位", "代码", "日期", "得分", ""]),
                (3, vec!["", "城管窗口", "1", "2024-03-05", "87.5", ""]),
                (5, vec!["", "民政局窗口", "101", "2024-03-05 12:00:00", "-3", ""]),
                (6, vec!["", "TRUE", "", "", "", "=1+1"]),
            ]
        );
    }

    #[test]
    fn a_stray_cell_far_away_is_read_without_a_dense_range() {
        // Two filled cells, A1 and XFD1048576: calamine's dense range would
        // reserve 1,048,576 × 16,384 cells (550 GB: an abort). Read cell by
        // cell, the sheet is two rows of 16,384 cells.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "unit_id").unwrap();
        ws.write_string(1_048_575, 16_383, "x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roster.xlsx");
        std::fs::write(&path, wb.save_to_buffer().unwrap()).unwrap();
        let sheet = read_sheet(&path, None).unwrap();
        let shape: Vec<(u32, usize)> = sheet.rows.iter().map(|r| (r.number, r.cells.len())).collect();
        assert_eq!(shape, vec![(1, 16_384), (1_048_576, 16_384)]);
        assert_eq!(sheet.rows[1].cells[16_383], "x");
        assert_eq!(column_letters(16_383), "XFD");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
    }

    #[test]
    fn a_table_past_the_cell_budget_is_refused_naming_the_far_cell() {
        // 4,100 filled rows, one of them reaching XFD: 4,100 × 16,384 =
        // 67,174,400 cells > 2²⁶ = 67,108,864. 4,096 rows would fit exactly.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for r in 0..4_100 {
            ws.write_number(r, 0, f64::from(r)).unwrap();
        }
        ws.write_string(0, 16_383, "stray").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ballots.xlsx");
        std::fs::write(&path, wb.save_to_buffer().unwrap()).unwrap();
        let e = read_sheet(&path, None).unwrap_err();
        assert!(matches!(e, SheetError::TooLarge { cells: 67_174_400, .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("ballots.xlsx") && msg.contains("column XFD (cell XFD1)"),
            "{msg}"
        );
    }

    #[test]
    fn reads_a_named_sheet_and_lists_sheets_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.xlsx");
        std::fs::write(&path, sample_workbook()).unwrap();
        let s = read_sheet(&path, Some("投诉 台账")).unwrap();
        assert_eq!(s.name, "投诉 台账");
        assert_eq!(
            s.rows[0],
            SheetRow {
                number: 1,
                cells: vec!["编号".into()]
            }
        );
        assert_eq!(
            s.rows[1],
            SheetRow {
                number: 2,
                cells: vec!["7".into()]
            }
        );
        // Surrounding spaces are forgiven.
        assert_eq!(read_sheet(&path, Some(" 投诉 台账 ")).unwrap().name, "投诉 台账");
        let e = read_sheet(&path, Some("Sheet1")).unwrap_err();
        assert!(matches!(&e, SheetError::NoSuchSheet { available, .. }
            if available == &["名册".to_string(), "投诉 台账".to_string()]));
        let msg = e.to_string();
        assert!(msg.contains("book.xlsx has no sheet named `Sheet1`"), "{msg}");
        assert!(msg.contains("`名册`, `投诉 台账`"), "{msg}");
    }

    #[test]
    fn a_workbook_named_csv_is_still_a_workbook() {
        let bytes = sample_workbook();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ballots.csv");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(workbook_kind(&path, &bytes), Some(WorkbookKind::Xlsx));
        assert_eq!(read_sheet(&path, None).unwrap().name, "名册");
        // In memory too.
        let s = read_sheet_bytes(&bytes, WorkbookKind::Xlsx, Some("名册"), Path::new("upload")).unwrap();
        assert_eq!(s.rows.len(), 4);
    }

    #[test]
    fn kind_by_magic_and_extension() {
        let p = Path::new;
        let ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest";
        assert_eq!(workbook_kind(p("a.csv"), ole), Some(WorkbookKind::Xls));
        assert_eq!(workbook_kind(p("a.xls"), ole), Some(WorkbookKind::Xls));
        // An encrypted .xlsx is an OLE container.
        assert_eq!(workbook_kind(p("a.XLSX"), ole), Some(WorkbookKind::Xlsx));
        assert_eq!(workbook_kind(p("a.txt"), b"PK\x03\x04rest"), Some(WorkbookKind::Xlsx));
        assert_eq!(workbook_kind(p("a.ods"), b"PK\x03\x04rest"), Some(WorkbookKind::Ods));
        let mut ods = b"PK\x03\x04".to_vec();
        ods.resize(30, 0);
        ods.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheetPK");
        assert_eq!(workbook_kind(p("a.zip"), &ods), Some(WorkbookKind::Ods));
        assert_eq!(workbook_kind(p("a.xls"), b"id,name\n1,x\n"), None);
        assert_eq!(workbook_kind(p("a.xlsm"), b""), Some(WorkbookKind::Xlsx));
        assert_eq!(workbook_kind(p("a.Ods"), b""), Some(WorkbookKind::Ods));
        assert_eq!(workbook_kind(p("a.xls"), b""), Some(WorkbookKind::Xls));
        assert_eq!(workbook_kind(p("a.csv"), b""), None);
    }

    #[test]
    fn not_a_workbook_is_described_not_dumped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.xls");
        std::fs::write(&path, "<html><table><tr><td>1</td></tr></table></html>").unwrap();
        let msg = read_sheet(&path, None).unwrap_err().to_string();
        assert!(
            msg.contains("export.xls is not an Excel or OpenDocument workbook"),
            "{msg}"
        );
        assert!(msg.contains("web page"), "{msg}");

        // A truncated zip: the reason is in words, with no bytes of the file.
        let mut bytes = sample_workbook();
        bytes.truncate(bytes.len() / 2);
        let e = read_sheet_bytes(&bytes, WorkbookKind::Xlsx, None, Path::new("cut.xlsx")).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, SheetError::Unreadable { .. }), "{msg}");
        assert!(msg.contains("cut.xlsx") && msg.contains("zip container"), "{msg}");
        assert!(!msg.contains("PK"), "{msg}");

        // Garbage behind an OLE signature.
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend_from_slice(&[0xAB; 600]);
        let msg = read_sheet_bytes(&ole, WorkbookKind::Xls, None, Path::new("old.xls"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("old.xls") && msg.contains("Excel 97-2003"), "{msg}");
    }

    #[test]
    fn empty_sheet_is_an_error_naming_the_sheets() {
        let mut wb = Workbook::new();
        wb.add_worksheet().set_name("空").unwrap();
        wb.add_worksheet()
            .set_name("数据")
            .unwrap()
            .write_string(0, 0, "x")
            .unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let e = read_sheet_bytes(&bytes, WorkbookKind::Xlsx, None, Path::new("b.xlsx")).unwrap_err();
        assert!(matches!(&e, SheetError::EmptySheet { sheet, .. } if sheet == "空"));
        assert!(e.to_string().contains("`空`, `数据`"), "{e}");
    }

    #[test]
    fn cell_text_forms() {
        assert_eq!(cell_text(&Data::Float(1.0)), "1");
        assert_eq!(cell_text(&Data::Float(101.0)), "101");
        assert_eq!(cell_text(&Data::Float(-3.0)), "-3");
        assert_eq!(cell_text(&Data::Float(-0.0)), "0");
        assert_eq!(cell_text(&Data::Float(0.1)), "0.1");
        assert_eq!(cell_text(&Data::Float(87.25)), "87.25");
        // 2^53 - 1 is still exact; 2^53 + 2 prints as the float it is.
        assert_eq!(cell_text(&Data::Float(9_007_199_254_740_991.0)), "9007199254740991");
        assert_eq!(cell_text(&Data::Float(9_007_199_254_740_994.0)), "9007199254740994");
        assert_eq!(cell_text(&Data::Int(-42)), "-42");
        assert_eq!(cell_text(&Data::Bool(false)), "FALSE");
        assert_eq!(cell_text(&Data::Empty), "");
        assert_eq!(cell_text(&Data::Error(CellErrorType::NA)), "#N/A");
        assert_eq!(cell_text(&Data::Error(CellErrorType::Div0)), "#DIV/0!");
        let dt = |v, t| Data::DateTime(ExcelDateTime::new(v, t, false));
        assert_eq!(cell_text(&dt(45356.0, ExcelDateTimeType::DateTime)), "2024-03-05");
        assert_eq!(
            cell_text(&dt(45356.25, ExcelDateTimeType::DateTime)),
            "2024-03-05 06:00:00"
        );
        assert_eq!(cell_text(&dt(0.5, ExcelDateTimeType::DateTime)), "12:00:00");
        // 1.5 days as [h]:mm:ss.
        assert_eq!(cell_text(&dt(1.5, ExcelDateTimeType::TimeDelta)), "36:00:00");
        assert_eq!(cell_text(&Data::DateTimeIso("2024-03-05".into())), "2024-03-05");
        assert_eq!(
            cell_text(&Data::DateTimeIso("2024-03-05T00:00:00".into())),
            "2024-03-05"
        );
        assert_eq!(
            cell_text(&Data::DateTimeIso("2024-03-05T08:30:00.000".into())),
            "2024-03-05 08:30:00"
        );
        assert_eq!(cell_text(&Data::DurationIso("PT36H30M05S".into())), "36:30:05");
        assert_eq!(cell_text(&Data::DurationIso("PT08H15M00S".into())), "8:15:00");
        assert_eq!(cell_text(&Data::DurationIso("P1D".into())), "P1D");
    }

    #[test]
    fn reads_xls_under_another_name() {
        // Built by tests/fixtures/make_sample_xls.py (xlwt).
        let bytes = include_bytes!("../../tests/fixtures/office/sample.xls");
        assert_eq!(workbook_kind(Path::new("ballots.csv"), bytes), Some(WorkbookKind::Xls));
        let s = read_sheet_bytes(bytes, WorkbookKind::Xls, None, Path::new("ballots.csv")).unwrap();
        assert_eq!(s.name, "名册");
        let got: Vec<(u32, Vec<&str>)> = s
            .rows
            .iter()
            .map(|r| (r.number, r.cells.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, vec!["", "单位", "代码", "日期"]),
                (3, vec!["", "城管窗口", "1", "2024-03-05"]),
                // The error cell arrives as the text Excel shows.
                (5, vec!["", "民政局窗口", "101", "#N/A"]),
            ]
        );
        assert_eq!(
            read_sheet_bytes(bytes, WorkbookKind::Xls, Some("第二"), Path::new("b"))
                .unwrap()
                .rows[0]
                .cells,
            vec!["x"]
        );
    }

    #[test]
    fn password_protected_workbooks_are_reported_as_such() {
        // Built by tests/fixtures/make_encrypted_xlsx.py (msoffcrypto-tool).
        let bytes = include_bytes!("../../tests/fixtures/office/encrypted.xlsx");
        let dir = tempfile::tempdir().unwrap();
        for name in ["secret.xlsx", "secret.csv"] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let e = read_sheet(&path, None).unwrap_err();
            assert!(matches!(e, SheetError::Encrypted { .. }), "{name}: {e}");
            let msg = e.to_string();
            assert!(msg.contains(name) && msg.contains("password-protected"), "{msg}");
        }
    }

    /// A minimal OpenDocument spreadsheet: one table, a blank first row, a
    /// blank first column, a float, a string and a date.
    fn sample_ods() -> Vec<u8> {
        use std::io::Write;
        use zip::write::SimpleFileOptions;
        let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet>
<table:table table:name="名册">
<table:table-row><table:table-cell/></table:table-row>
<table:table-row><table:table-cell/><table:table-cell office:value-type="string"><text:p>单位</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="2024-03-05"><text:p>2024-03-05</text:p></table:table-cell></table:table-row>
</table:table>
</office:spreadsheet></office:body></office:document-content>"#;
        let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(ODS_MIMETYPE).unwrap();
        zip.start_file("META-INF/manifest.xml", stored).unwrap();
        zip.write_all(manifest.as_bytes()).unwrap();
        zip.start_file("content.xml", stored).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn reads_ods_even_under_another_name() {
        let bytes = sample_ods();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roster.csv");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(workbook_kind(&path, &bytes), Some(WorkbookKind::Ods));
        let s = read_sheet(&path, None).unwrap();
        assert_eq!(s.name, "名册");
        assert_eq!(
            s.rows,
            vec![SheetRow {
                number: 2,
                cells: vec!["".into(), "单位".into(), "1".into(), "2024-03-05".into()]
            }]
        );
    }
}
