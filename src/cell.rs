//! Text in cells: neutralising spreadsheet formulas in CSV (OWASP), escaping Markdown.

use crate::error::{Error, ErrorKind, Result};

/// A cell of text from an input, neutralised against formula injection.
pub fn safe_cell(s: &str) -> String {
    if risky(s) { format!("'{s}") } else { s.to_string() }
}

/// Whether [`safe_cell`] neutralises `s`: a leading formula character, unless the
/// text is a finite number (`-inf`, `+nan` are not numbers to a spreadsheet).
fn risky(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !s.trim().parse::<f64>().is_ok_and(f64::is_finite)
}

/// The text [`safe_cell`] was given, from what it wrote (for reading our own CSV
/// back): the leading `'` it added is dropped.
pub fn unsafe_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(t) if risky(t) => t,
        _ => s,
    }
}

/// Text from an input, escaped for a Markdown table cell.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Builds a CSV file in memory; a formatting failure becomes an [`Error`].
pub fn csv_bytes(rows: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let failed = |e: csv::Error| Error::from(ErrorKind::Usage(format!("could not format an output: {e}")));
    rows(&mut w).map_err(failed)?;
    w.into_inner().map_err(|e| failed(e.into_error().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_but_numbers_are_not() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("-3.5"), "-3.5");
        assert_eq!(safe_cell("+7"), "+7");
        assert_eq!(safe_cell("-x"), "'-x");
        assert_eq!(safe_cell("\tcmd"), "'\tcmd");
        assert_eq!(safe_cell("U001"), "U001");
        // Not finite: not a number, so neutralised (issue 17), and read back whole.
        for s in ["-inf", "+nan", "-Infinity", "+inf"] {
            assert_eq!(safe_cell(s), format!("'{s}"));
            assert_eq!(unsafe_cell(&safe_cell(s)), s);
        }
    }

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(md("<script>|x*"), "&lt;script&gt;\\|x\\*");
        assert_eq!(md("a\nb"), "a b");
    }
}
