//! Writing result tables as an `.xlsx` workbook.
//!
//! Results go back to the office that ran the survey, and that office opens
//! them in Excel or WPS. [`write_workbook`] writes plain tables ready to read:
//! numbers as numbers (so they sort and sum) shown with a fixed number of
//! decimals, a bold frozen header with a filter, columns wide enough for
//! Chinese text. The bytes are the same for the same input, so results can be
//! compared, hashed and checked into version control.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};
use thiserror::Error;
use unicode_width::UnicodeWidthStr;

/// One sheet to write: a header row, then data rows.
#[derive(Clone, Debug, PartialEq)]
pub struct SheetOut {
    /// The tab name; made valid for Excel by [`write_workbook`] (see there),
    /// so callers can pass unit or campaign names as they are.
    pub name: String,
    /// Column titles, written bold in row 1.
    pub header: Vec<String>,
    /// Data rows from row 2 on; rows may be shorter or longer than the header.
    pub rows: Vec<Vec<CellOut>>,
}

/// One cell's value. Numbers are kept apart from text so Excel can sort and
/// sum them, and each carries how it should be shown.
#[derive(Clone, Debug, PartialEq)]
pub enum CellOut {
    /// No value.
    Empty,
    /// Text, always stored as text: `=SUM(A1)` or `-3` typed as text stay
    /// text, never a formula or a number.
    Text(String),
    /// An integer, shown without decimals. Beyond ±2^53, where Excel's
    /// floating-point numbers lose digits, it is stored as text instead.
    Int(i64),
    /// A number shown with `decimals` places (at most 15, the precision of
    /// Excel numbers), stored at full precision so formulas over it are exact.
    /// A NaN or infinite value is written as an empty cell: Excel has no
    /// such numbers.
    Number {
        /// The value.
        value: f64,
        /// Decimal places shown.
        decimals: u8,
    },
}

/// Why a workbook could not be written.
#[derive(Debug, Error)]
pub enum XlsxError {
    /// No sheet was given; Excel cannot open a workbook without one.
    #[error("nothing to write: a workbook needs at least one sheet")]
    NoSheets,
    /// More rows than an Excel sheet holds (1,048,576 including the header).
    #[error(
        "sheet `{sheet}` has {rows} data rows, more than an Excel sheet holds \
         (1,048,575 below the header); split the results over several sheets or write CSV"
    )]
    TooManyRows {
        /// The sheet, as named in the workbook.
        sheet: String,
        /// The number of data rows given.
        rows: usize,
    },
    /// More columns than an Excel sheet holds (16,384).
    #[error("sheet `{sheet}` has {columns} columns, more than an Excel sheet holds (16,384); write CSV instead")]
    TooManyColumns {
        /// The sheet, as named in the workbook.
        sheet: String,
        /// The number of columns given.
        columns: usize,
    },
    /// A text longer than an Excel cell holds (32,767 characters).
    #[error(
        "cell {cell} of sheet `{sheet}` holds {len} characters (UTF-16 units), more than an \
         Excel cell holds (32,767); shorten the text or write CSV"
    )]
    TextTooLong {
        /// The sheet, as named in the workbook.
        sheet: String,
        /// The cell, e.g. `C7`.
        cell: String,
        /// The text's length in UTF-16 units, as Excel counts.
        len: usize,
    },
    /// The temporary file a large sheet is streamed through (more than
    /// 5,000 rows) could not be made or written: the folder is not writable
    /// or full.
    #[error(
        "cannot write the temporary file a large sheet is streamed through, in {}: {message}; \
         set TMPDIR to a writable folder with room",
        dir.display()
    )]
    TempFile {
        /// The temporary folder.
        dir: std::path::PathBuf,
        /// What the system said.
        message: String,
    },
    /// Any other failure of the xlsx writer (a bug here rather than bad data).
    #[error("cannot write the workbook: {0}")]
    Writer(#[from] rust_xlsxwriter::XlsxError),
}

impl XlsxError {
    /// The writer's file errors as [`XlsxError::TempFile`]: in memory, its only
    /// files are the temporary files of streamed sheets.
    fn from_writer(e: rust_xlsxwriter::XlsxError) -> XlsxError {
        match e {
            rust_xlsxwriter::XlsxError::TempFileError(dir, io) => XlsxError::TempFile {
                dir,
                message: io.to_string(),
            },
            rust_xlsxwriter::XlsxError::IoError(io) => XlsxError::TempFile {
                dir: std::env::temp_dir(),
                message: io.to_string(),
            },
            e => XlsxError::Writer(e),
        }
    }
}

/// Excel's limits.
pub(crate) const MAX_ROWS: usize = 1_048_576;
const MAX_COLUMNS: usize = 16_384;
const MAX_TEXT: usize = 32_767;
const MAX_SHEET_NAME: usize = 31;
/// Widest column written, in characters: wider is harder to read than wrapped.
const MAX_WIDTH: usize = 60;
/// Sheets with more data rows than this are written in rust_xlsxwriter's
/// constant-memory mode (rows streamed to a temporary file, inline strings).
pub(crate) const STREAMED_ROWS: usize = 5_000;
/// Integers beyond this lose digits as Excel numbers.
const EXACT_INT: i64 = 1 << 53;
/// Decimal places beyond this are noise in an `f64`.
const MAX_DECIMALS: u8 = 15;

/// Writes the sheets as an `.xlsx` workbook and returns its bytes.
///
/// Each sheet has its header in row 1, bold, frozen (it stays in view while
/// scrolling) and with an autofilter over the table (a sheet with an empty
/// header has neither, so no data row is frozen). Columns are as wide as
/// their widest cell in display width (a CJK character counts 2, plus room
/// for padding and the filter button), at most 60 characters.
///
/// Sheet names are made valid for Excel: `[ ] : * ? / \` become `_`,
/// apostrophes at either end are dropped, names are cut to 31 characters,
/// an empty name becomes `Sheet<n>` (its 1-based position), the reserved
/// `History` becomes `History_`, and a name equal to an earlier one (ignoring
/// case, as Excel does) gets ` (2)`, ` (3)`, … .
///
/// The output is deterministic: the document's creation time is fixed at
/// 2000-01-01T00:00:00Z (the file's own timestamps say nothing useful about
/// results; the zip entries carry rust_xlsxwriter's fixed 1980-01-01), so
/// the same input gives the same bytes.
pub fn write_workbook(sheets: &[SheetOut]) -> Result<Vec<u8>, XlsxError> {
    build_workbook(sheets).map_err(|e| match e {
        XlsxError::Writer(w) => XlsxError::from_writer(w),
        e => e,
    })
}

fn build_workbook(sheets: &[SheetOut]) -> Result<Vec<u8>, XlsxError> {
    if sheets.is_empty() {
        return Err(XlsxError::NoSheets);
    }
    let mut workbook = Workbook::new();
    // Deflate level 3: a workbook with a large rejects sheet is written in
    // two thirds of the time of the default level 6 and is about 5% larger.
    workbook.set_zip_compression_level(3);
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));

    let bold = Format::new().set_bold();
    let number_formats: Vec<Format> = (0..=MAX_DECIMALS)
        .map(|d| Format::new().set_num_format(number_format(d)))
        .collect();
    let names = sheet_names(sheets);
    for (sheet, name) in sheets.iter().zip(names) {
        // A large sheet (a run's rejects) is written row by row to a temporary
        // file with its text inline: a 100,000-row sheet is saved in about a
        // third of the time, without a shared-strings table to hash every
        // cell into or a cell table held until the save. Smaller sheets keep
        // the usual shared strings, which every spreadsheet program expects.
        let ws = if sheet.rows.len() > STREAMED_ROWS {
            workbook.add_worksheet_with_constant_memory()?
        } else {
            workbook.add_worksheet()
        };
        ws.set_name(name.as_str())?;
        write_sheet(ws, sheet, &name, &bold, &number_formats)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// Writes one sheet's cells, widths, freeze pane and filter.
fn write_sheet(
    ws: &mut Worksheet,
    sheet: &SheetOut,
    name: &str,
    bold: &Format,
    number_formats: &[Format],
) -> Result<(), XlsxError> {
    if sheet.rows.len() >= MAX_ROWS {
        return Err(XlsxError::TooManyRows {
            sheet: name.to_string(),
            rows: sheet.rows.len(),
        });
    }
    let columns = sheet
        .rows
        .iter()
        .map(Vec::len)
        .chain([sheet.header.len()])
        .max()
        .unwrap_or(0);
    if columns > MAX_COLUMNS {
        return Err(XlsxError::TooManyColumns {
            sheet: name.to_string(),
            columns,
        });
    }
    let too_long = |row: usize, col: usize, text: &str| {
        let len = text.encode_utf16().count();
        (len > MAX_TEXT).then(|| XlsxError::TextTooLong {
            sheet: name.to_string(),
            cell: cell_ref(row, col),
            len,
        })
    };
    // Both limits were checked above, so the casts below cannot truncate.
    let mut widths = vec![0_usize; columns];
    for (c, title) in sheet.header.iter().enumerate() {
        // Titles may carry survey ids: bidi and control characters shown as text.
        let title = crate::cell::visible(title);
        if let Some(e) = too_long(0, c, &title) {
            return Err(e);
        }
        ws.write_string_with_format(0, c as u16, title.as_ref(), bold)?;
        // Room for the filter button beside the title.
        widths[c] = widths[c].max(display_width(&title) + 2);
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        let xr = (r + 1) as u32;
        for (c, cell) in row.iter().enumerate() {
            let xc = c as u16;
            let shown = match cell {
                CellOut::Empty => continue,
                CellOut::Text(t) => {
                    let t = crate::cell::visible(t);
                    if let Some(e) = too_long(r + 1, c, &t) {
                        return Err(e);
                    }
                    ws.write_string(xr, xc, t.as_ref())?;
                    display_width(&t)
                }
                CellOut::Int(i) if i.unsigned_abs() > EXACT_INT as u64 => {
                    let t = i.to_string();
                    ws.write_string(xr, xc, t.as_str())?;
                    t.len()
                }
                CellOut::Int(i) => {
                    ws.write_number_with_format(xr, xc, *i as f64, &number_formats[0])?;
                    i.to_string().len()
                }
                CellOut::Number { value, .. } if !value.is_finite() => continue,
                CellOut::Number { value, decimals } => {
                    let d = (*decimals).min(MAX_DECIMALS);
                    ws.write_number_with_format(xr, xc, *value, &number_formats[d as usize])?;
                    format!("{value:.*}", d as usize).len()
                }
            };
            widths[c] = widths[c].max(shown);
        }
    }
    for (c, w) in widths.iter().enumerate() {
        if *w > 0 {
            ws.set_column_width(c as u16, ((w + 2).min(MAX_WIDTH)) as f64)?;
        }
    }
    if !sheet.header.is_empty() {
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, sheet.rows.len() as u32, (columns - 1) as u16)?;
    }
    Ok(())
}

/// The Excel number format showing `decimals` places: `0`, `0.0`, `0.00`, ….
fn number_format(decimals: u8) -> String {
    if decimals == 0 {
        "0".to_string()
    } else {
        format!("0.{}", "0".repeat(decimals as usize))
    }
}

/// Width on screen: CJK and other wide characters count 2; for text with
/// line breaks, the widest line.
fn display_width(text: &str) -> usize {
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

/// The A1-style reference of a 0-based cell, e.g. (6, 2) → `C7`.
fn cell_ref(row: usize, col: usize) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

/// Valid, distinct sheet names for the sheets, in order.
fn sheet_names(sheets: &[SheetOut]) -> Vec<String> {
    let mut used: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(sheets.len());
    for (i, sheet) in sheets.iter().enumerate() {
        let mut base: String = sheet
            .name
            .chars()
            .map(|c| {
                if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        base = base.trim().trim_matches('\'').trim().to_string();
        if base.is_empty() {
            base = format!("Sheet{}", i + 1);
        }
        if base.eq_ignore_ascii_case("History") {
            base.push('_');
        }
        let mut name = truncate_utf16(&base, MAX_SHEET_NAME);
        let mut n = 2;
        while used.contains(&name.to_lowercase()) {
            let suffix = format!(" ({n})");
            let room = MAX_SHEET_NAME - suffix.len();
            name = format!("{}{suffix}", truncate_utf16(&base, room).trim_end());
            n += 1;
        }
        used.push(name.to_lowercase());
        out.push(name);
    }
    out
}

/// The longest prefix of `s` within `max` UTF-16 units (Excel's count for
/// sheet names), without a trailing apostrophe.
fn truncate_utf16(s: &str, max: usize) -> String {
    let mut len = 0;
    let mut out = String::new();
    for c in s.chars() {
        len += c.len_utf16();
        if len > max {
            break;
        }
        out.push(c);
    }
    out.trim_end_matches('\'').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::sheet::{SheetRow, WorkbookKind, read_sheet_bytes};
    use calamine::{Data, Reader, Xlsx};
    use std::io::{Cursor, Read};
    use std::path::Path;

    fn text(s: &str) -> CellOut {
        CellOut::Text(s.to_string())
    }

    fn sample() -> Vec<SheetOut> {
        vec![
            SheetOut {
                name: "结果: 2024/Q1".into(),
                header: vec!["单位".into(), "得分".into(), "票数".into(), "备注".into()],
                rows: vec![
                    vec![
                        text("城管窗口"),
                        CellOut::Number {
                            value: 87.456,
                            decimals: 2,
                        },
                        CellOut::Int(120),
                        text("=1+1"),
                    ],
                    vec![
                        text("民政局窗口"),
                        CellOut::Number {
                            value: f64::NAN,
                            decimals: 2,
                        },
                        CellOut::Int(-3),
                        text("-3"),
                    ],
                    vec![text("@x"), CellOut::Empty, CellOut::Int(1 << 60), text("+1")],
                ],
            },
            SheetOut {
                name: "结果: 2024/Q1".into(),
                header: vec!["x".into()],
                rows: vec![vec![CellOut::Number {
                    value: 0.5,
                    decimals: 0,
                }]],
            },
        ]
    }

    #[test]
    fn same_input_same_bytes() {
        let a = write_workbook(&sample()).unwrap();
        let b = write_workbook(&sample()).unwrap();
        assert!(a == b, "two writes of the same input differ");
        // The fixed creation time is what the document properties say.
        let core = zip_entry(&a, "docProps/core.xml");
        assert!(core.contains("2000-01-01T00:00:00Z"), "{core}");
    }

    /// The text of one entry of the workbook's zip.
    fn zip_entry(bytes: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        archive.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn zip_entries_carry_a_fixed_timestamp() {
        let bytes = write_workbook(&sample()).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        for i in 0..archive.len() {
            let f = archive.by_index(i).unwrap();
            let t = f.last_modified().unwrap();
            assert_eq!((t.year(), t.month(), t.day()), (1980, 1, 1), "{:?}", f.name());
        }
    }

    #[test]
    fn round_trip_through_sheet_reader() {
        let bytes = write_workbook(&sample()).unwrap();
        let s = read_sheet_bytes(&bytes, WorkbookKind::Xlsx, None, Path::new("out.xlsx")).unwrap();
        assert_eq!(s.name, "结果_ 2024_Q1");
        let row = |number: u32, cells: &[&str]| SheetRow {
            number,
            cells: cells.iter().map(|c| c.to_string()).collect(),
        };
        assert_eq!(
            s.rows,
            vec![
                row(1, &["单位", "得分", "票数", "备注"]),
                // The number keeps full precision; only its display has 2 places.
                row(2, &["城管窗口", "87.456", "120", "=1+1"]),
                row(3, &["民政局窗口", "", "-3", "-3"]),
                row(4, &["@x", "", "1152921504606846976", "+1"]),
            ]
        );
        let second = read_sheet_bytes(&bytes, WorkbookKind::Xlsx, Some("结果_ 2024_Q1 (2)"), Path::new("o")).unwrap();
        assert_eq!(second.rows[1].cells, vec!["0.5"]);
    }

    #[test]
    fn text_is_never_a_formula_and_numbers_are_numbers() {
        let bytes = write_workbook(&sample()).unwrap();
        let mut book = Xlsx::new(Cursor::new(&bytes)).unwrap();
        let range = book.worksheet_range("结果_ 2024_Q1").unwrap();
        assert_eq!(range.get_value((1, 3)), Some(&Data::String("=1+1".into())));
        assert_eq!(range.get_value((2, 3)), Some(&Data::String("-3".into())));
        assert_eq!(range.get_value((3, 3)), Some(&Data::String("+1".into())));
        assert_eq!(range.get_value((1, 1)), Some(&Data::Float(87.456)));
        assert_eq!(range.get_value((1, 2)), Some(&Data::Float(120.0)));
        // Beyond 2^53 an integer is text, keeping every digit.
        assert_eq!(
            range.get_value((3, 2)),
            Some(&Data::String("1152921504606846976".into()))
        );
        let formulas = book.worksheet_formula("结果_ 2024_Q1").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula cells");
    }

    #[test]
    fn a_large_sheet_is_streamed_with_the_same_cells() {
        // STREAMED_ROWS + 1 data rows: the first sheet is streamed (inline
        // strings), the small second one is not (shared strings).
        let n = STREAMED_ROWS + 1;
        let mut rows: Vec<Vec<CellOut>> = (0..n)
            .map(|r| {
                vec![
                    text(&format!("第{r}行")),
                    CellOut::Int(r as i64),
                    CellOut::Empty,
                    text("=1+1"),
                ]
            })
            .collect();
        // Spaces at the ends and XML's special characters survive inline.
        rows[1][3] = text("  a & <b> \"c\" ");
        let mut sheets = sample();
        sheets[0] = SheetOut {
            name: "大表".into(),
            header: vec!["行".into(), "号".into(), "空".into(), "式".into()],
            rows,
        };
        let bytes = write_workbook(&sheets).unwrap();
        assert!(bytes == write_workbook(&sheets).unwrap(), "deterministic");
        let big = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
        let small = zip_entry(&bytes, "xl/worksheets/sheet2.xml");
        assert!(big.contains(r#"t="inlineStr""#) && !big.contains(r#"t="s""#));
        assert!(small.contains(r#"t="s""#) && !small.contains(r#"t="inlineStr""#));
        // Header frozen and filtered over all 5,002 rows; column A as wide as
        // 第5000行 (2+4+2 = 8 display columns) + 2.
        assert!(big.contains(r#"state="frozen""#), "frozen pane");
        assert!(big.contains(r#"<autoFilter ref="A1:D5002"/>"#), "filter over every row");
        assert!(
            big.contains(r#"<col min="1" max="1" width="10.7109375""#),
            "width of column A"
        );
        let mut book = Xlsx::new(Cursor::new(&bytes)).unwrap();
        let range = book.worksheet_range("大表").unwrap();
        assert_eq!(range.height(), n + 1);
        assert_eq!(range.get_value((0, 0)), Some(&Data::String("行".into())));
        assert_eq!(range.get_value((1, 0)), Some(&Data::String("第0行".into())));
        assert_eq!(
            range.get_value((n as u32, 0)),
            Some(&Data::String(format!("第{}行", n - 1)))
        );
        assert_eq!(range.get_value((n as u32, 1)), Some(&Data::Float((n - 1) as f64)));
        assert_eq!(range.get_value((n as u32, 2)), Some(&Data::Empty));
        assert_eq!(range.get_value((n as u32, 3)), Some(&Data::String("=1+1".into())));
        assert_eq!(range.get_value((2, 3)), Some(&Data::String("  a & <b> \"c\" ".into())));
        let formulas = book.worksheet_formula("大表").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula cells");
    }

    #[test]
    fn a_temporary_folder_that_cannot_be_written_is_named() {
        let e = XlsxError::from_writer(rust_xlsxwriter::XlsxError::TempFileError(
            "/no/such/dir".into(),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
        let m = e.to_string();
        assert!(m.contains("/no/such/dir") && m.contains("TMPDIR"), "{m}");
        assert!(matches!(
            XlsxError::from_writer(rust_xlsxwriter::XlsxError::ParameterError("x".into())),
            XlsxError::Writer(_)
        ));
    }

    #[test]
    fn sheet_xml_has_bold_frozen_filtered_header_and_widths() {
        let bytes = write_workbook(&sample()).unwrap();
        let xml = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
        assert!(
            xml.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#),
            "{xml}"
        );
        assert!(xml.contains(r#"<autoFilter ref="A1:D4"/>"#), "{xml}");
        // Column A: widest cell 民政局窗口 is 5 CJK characters = 10, + 2 = 12.
        // Column B: header 得分 is 4 + 2 (filter) = 6 > "87.46" (5), + 2 = 8.
        // Column C: 1152921504606846976 is 19 digits, + 2 = 21.
        for (col, width) in [(1, 12), (2, 8), (3, 21)] {
            let needle = format!(r#"<col min="{col}" max="{col}" width="{width}.7109375""#);
            assert!(xml.contains(&needle), "{needle} in {xml}");
        }
        let styles = zip_entry(&bytes, "xl/styles.xml");
        assert!(styles.contains("<b/>"), "{styles}");
        assert!(styles.contains(r#"formatCode="0.00""#), "{styles}");
    }

    #[test]
    fn widths_are_capped() {
        let long = "长".repeat(100);
        let bytes = write_workbook(&[SheetOut {
            name: "s".into(),
            header: vec![],
            rows: vec![vec![CellOut::Text(long)]],
        }])
        .unwrap();
        let xml = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
        assert!(xml.contains(r#"<col min="1" max="1" width="60.7109375""#), "{xml}");
        // Without a header, no row is frozen or filtered.
        assert!(!xml.contains("<pane") && !xml.contains("<autoFilter"), "{xml}");
    }

    #[test]
    fn sheet_names_follow_excel_rules() {
        let named = |names: &[&str]| {
            let sheets: Vec<SheetOut> = names
                .iter()
                .map(|n| SheetOut {
                    name: n.to_string(),
                    header: vec![],
                    rows: vec![],
                })
                .collect();
            sheet_names(&sheets)
        };
        assert_eq!(
            named(&["a[1]:*?/\\", "", "'quoted'", "History", "Data", "data", "DATA"]),
            vec![
                "a_1______",
                "Sheet2",
                "quoted",
                "History_",
                "Data",
                "data (2)",
                "DATA (3)"
            ]
        );
        let long = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三";
        let got = named(&[long, long]);
        assert_eq!(got[0].chars().count(), 31);
        assert_eq!(got[1], format!("{} (2)", long.chars().take(27).collect::<String>()));
        assert!(got[1].encode_utf16().count() <= 31);
        // The names are accepted by the writer.
        let sheets: Vec<SheetOut> = [long, long, "History", "a/b"]
            .iter()
            .map(|n| SheetOut {
                name: n.to_string(),
                header: vec!["h".into()],
                rows: vec![],
            })
            .collect();
        write_workbook(&sheets).unwrap();
    }

    #[test]
    fn limits_are_reported_with_the_cell() {
        assert!(matches!(write_workbook(&[]), Err(XlsxError::NoSheets)));
        let e = write_workbook(&[SheetOut {
            name: "备注".into(),
            header: vec!["a".into(), "b".into(), "c".into()],
            rows: vec![
                vec![],
                vec![],
                vec![CellOut::Empty, CellOut::Empty, text(&"x".repeat(32_768))],
            ],
        }])
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cell C4 of sheet `备注` holds 32768 characters (UTF-16 units), more than an Excel cell \
             holds (32,767); shorten the text or write CSV"
        );
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(cell_ref(6, 25), "Z7");
        assert_eq!(cell_ref(0, 26), "AA1");
        assert_eq!(cell_ref(0, 16_383), "XFD1");
    }

    #[test]
    fn number_formats() {
        assert_eq!(number_format(0), "0");
        assert_eq!(number_format(2), "0.00");
    }
}
