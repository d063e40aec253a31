//! Text in cells: neutralising spreadsheet formulas in CSV (OWASP), escaping Markdown.

use crate::error::{Error, ErrorKind, Result};

/// A cell of text from an input, neutralised against formula injection.
/// Bidi controls are made visible too ([`visible`]).
pub fn safe_cell(s: &str) -> String {
    let s = visible(s);
    if risky(&s) { format!("'{s}") } else { s.into_owned() }
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
            c if is_bidi_control(c) => out.push_str(&format!("\\\\u{{{:X}}}", u32::from(c))),
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

/// Whether `c` is a bidirectional-text control: embeddings and overrides
/// (U+202A–U+202E), isolates (U+2066–U+2069), the marks U+200E, U+200F and the
/// Arabic letter mark U+061C. In a report they can make text read in another order
/// than it is stored (`Trojan Source`, CVE-2021-42574).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether [`visible`] writes `c` as its escape: a bidi control, or a control
/// character other than tab and line breaks (an ESC that would start a terminal
/// sequence when the file is shown with `cat`).
fn shown_escaped(c: char) -> bool {
    is_bidi_control(c) || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Text from an input made visible for a report (CSV, Markdown, HTML, workbook):
/// each bidi control ([`is_bidi_control`]) and each control character other
/// than tab and line breaks is written as the text `\u{202E}` (as `report.html`
/// shows it), so a reader sees it instead of text reordered or a terminal driven
/// by it. Borrowed when there is none.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(shown_escaped) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if shown_escaped(c) {
            out.push_str(&format!("\\u{{{:X}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Text for a terminal: escape sequences (`ESC [ … final`, `ESC ] … BEL` or
/// `ESC \\`, and any other `ESC x`) dropped whole, other C0 controls but `\n` and
/// `\t` dropped, C1 controls (U+0080–U+009F) and DEL dropped, and bidi controls
/// made visible like [`visible`]. A unit name or id from an input can then not
/// retitle the window, clear the screen or reorder a line. The command passes
/// every line it prints through this.
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates up to a final byte @–~.
                Some('[') => {
                    for d in chars.by_ref() {
                        if ('\u{40}'..='\u{7e}').contains(&d) {
                            break;
                        }
                    }
                }
                // OSC, DCS, SOS, PM, APC: a string up to BEL or ST (ESC \\).
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    while let Some(d) = chars.next() {
                        if d == '\u{7}' || d == '\u{9c}' {
                            break;
                        }
                        if d == '\u{1b}' {
                            if chars.peek() == Some(&'\\') {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c if is_bidi_control(c) => out.push_str(&format!("\\u{{{:X}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// The most characters of an input's text a reject row repeats (`rejects.csv`,
/// `complaint_rejects.csv`): a 200 MB cell does not belong in a report.
pub const SHOWN_CHARS: usize = 200;

/// `s` cut to its first [`SHOWN_CHARS`] characters, with the original length
/// noted, e.g. `U0000…… (2,000,000 bytes)`; borrowed when it is short enough, or
/// already shortened (a tally shard's rejects file is shortened when written and
/// again when merged: the length noted stays the original's).
pub fn shorten(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(SHOWN_CHARS) {
        None => std::borrow::Cow::Borrowed(s),
        Some((cut, _)) if is_length_note(&s[cut..]) => std::borrow::Cow::Borrowed(s),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}… ({} bytes)", &s[..cut], thousands(s.len()))),
    }
}

/// Whether `tail` is the note [`shorten`] appends: `… (1,234 bytes)`.
fn is_length_note(tail: &str) -> bool {
    tail.strip_prefix("… (")
        .and_then(|r| r.strip_suffix(" bytes)"))
        .is_some_and(|n| {
            n.starts_with(|c: char| c.is_ascii_digit()) && n.chars().all(|c| c.is_ascii_digit() || c == ',')
        })
}

/// `n` with a comma between groups of three digits (`12,345,678`).
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, d) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Builds a CSV file in memory; a formatting failure becomes an [`Error`].
///
/// Every field of every row, the header included, leaves neutralised: whatever a
/// writer put in a row (an id, a column name made from a survey's code), a field
/// that [`safe_cell`] would change is changed here. [`safe_cell`] is idempotent, so
/// fields already neutralised pass unchanged, and a file with nothing to change is
/// returned byte for byte as written.
pub fn csv_bytes(rows: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let failed = |e: csv::Error| Error::from(ErrorKind::Usage(format!("could not format an output: {e}")));
    rows(&mut w).map_err(failed)?;
    let bytes = w.into_inner().map_err(|e| failed(e.into_error().into()))?;
    let read = || {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes.as_slice())
    };
    let mut changed = false;
    for rec in read().records() {
        let rec = rec.map_err(failed)?;
        if rec.iter().any(|f| risky(f) || f.chars().any(shown_escaped)) {
            changed = true;
            break;
        }
    }
    if !changed {
        return Ok(bytes);
    }
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for rec in read().records() {
        let rec = rec.map_err(failed)?;
        w.write_record(rec.iter().map(safe_cell)).map_err(failed)?;
    }
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

    #[test]
    fn bidi_controls_are_made_visible_everywhere() {
        assert_eq!(visible("a\u{202E}b"), "a\\u{202E}b");
        assert!(matches!(visible("城区"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(safe_cell("=\u{2066}x"), "'=\\u{2066}x");
        assert_eq!(md("a\u{200F}b"), "a\\\\u{200F}b");
        for c in [
            '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            assert!(is_bidi_control(c), "{c:?}");
        }
        assert!(!is_bidi_control('\u{2065}') && !is_bidi_control('\u{202F}'));
    }

    #[test]
    fn terminal_text_loses_escapes_and_controls() {
        assert_eq!(terminal("a\u{1b}]0;owned\u{7}b"), "ab", "OSC up to BEL");
        assert_eq!(terminal("a\u{1b}]0;owned\u{1b}\\b"), "ab", "OSC up to ST");
        assert_eq!(terminal("\u{1b}[2J\u{1b}[1;31mred\u{1b}[0m"), "red", "CSI");
        assert_eq!(terminal("x\u{1b}cy"), "xy", "ESC and one character");
        assert_eq!(terminal("a\rb\u{0}c\u{7f}d\u{9b}e\u{85}f"), "abcdef", "C0, DEL, C1");
        assert_eq!(terminal("line\n\tnext"), "line\n\tnext");
        assert_eq!(terminal("窗口\u{202E}evil"), "窗口\\u{202E}evil");
        assert_eq!(terminal("\u{1b}"), "", "a lone ESC at the end");
    }

    #[test]
    fn every_csv_field_leaves_neutralised() {
        let bytes = csv_bytes(|w| {
            w.write_record(["unit_id", "n_=1+1"])?;
            w.write_record(["-x", "\u{202E}3"])?;
            w.write_record(["'=already", "-3.5"])
        })
        .unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "unit_id,n_=1+1\n'-x,\\u{202E}3\n'=already,-3.5\n"
        );
        let clean = csv_bytes(|w| w.write_record(["a", "b c", "1,2"])).unwrap();
        assert_eq!(clean, b"a,b c,\"1,2\"\n");
    }

    #[test]
    fn long_details_are_shortened_with_their_length() {
        assert_eq!(shorten("short"), "short");
        let exact = "x".repeat(SHOWN_CHARS);
        assert!(matches!(shorten(&exact), std::borrow::Cow::Borrowed(_)));
        // 2,000,000 bytes: the first 200 characters, then the length in bytes.
        let long = "U".repeat(2_000_000);
        assert_eq!(shorten(&long), format!("{}… (2,000,000 bytes)", "U".repeat(200)));
        // Shortening twice keeps the first note (the original's length).
        let once = shorten(&long).into_owned();
        assert!(matches!(shorten(&once), std::borrow::Cow::Borrowed(_)));
        assert_eq!(shorten(&once), once);
        // 201 characters of 3 bytes each: 603 bytes, cut at a character boundary.
        let zh = "城".repeat(201);
        assert_eq!(shorten(&zh), format!("{}… (603 bytes)", "城".repeat(200)));
        assert_eq!(thousands(12_345_678), "12,345,678");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }
}
