//! Opening text inputs: UTF-8 (with or without BOM) or GBK/GB18030.
//!
//! Files exported from Chinese office software (Excel, WPS) are often GBK. The
//! engine reads them by an explicit [`Encoding`] or by detection
//! ([`Encoding::Auto`]): a file whose first megabyte is valid UTF-8 is read as
//! UTF-8 as it is; otherwise `chardetng` guesses the legacy encoding (GBK is read
//! as GB18030, its superset) and the choice is reported as a note, never silently.
//!
//! The decision is made per file, on evidence from its first megabyte:
//! - valid UTF-8 (with or without BOM): UTF-8, passed through without a decoding
//!   layer, so a file that turns out to be invalid further down produces a per-row
//!   error (a `malformed_row` reject for ballots, an error for a roster) rather than
//!   silently replaced characters;
//! - not valid UTF-8, but with at least [`UTF8_EVIDENCE`] valid multi-byte UTF-8
//!   characters per invalid sequence (a UTF-8 roster with one stray Latin-1 byte):
//!   UTF-8 with each invalid byte replaced by U+FFFD, and a note naming the first
//!   places (line, byte offset, the byte) — the names stay readable instead of every
//!   one being garbled by a GB18030 decoding;
//! - otherwise the legacy encoding `chardetng` guesses, with a note.
//!
//! Every decision other than plain UTF-8 or an encoding the user chose carries a
//! note, which the command prints and the attention list repeats (SPEC §12).

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// How to decode a text input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 when the start of the file is valid UTF-8, else the encoding guessed by
    /// `chardetng` (GBK/GB18030 for Chinese office files).
    #[default]
    Auto,
    /// UTF-8; a leading byte-order mark is skipped.
    Utf8,
    /// GBK, read as its superset GB18030.
    Gbk,
}

impl std::str::FromStr for Encoding {
    type Err = String;

    fn from_str(s: &str) -> Result<Encoding, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Encoding::Auto),
            "utf8" | "utf-8" => Ok(Encoding::Utf8),
            "gbk" | "gb2312" | "gb18030" | "cp936" => Ok(Encoding::Gbk),
            other => Err(format!("unknown encoding `{other}`: use auto, utf-8 or gbk")),
        }
    }
}

/// Where a text input comes from: a file, or text held in memory (embedded
/// example data, tests, an embedding program's upload).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// One named sheet of a workbook file (`--sheet`); a workbook given as
    /// [`Source::File`] is read from its first visible sheet.
    Sheet {
        /// The workbook.
        path: PathBuf,
        /// The sheet's name.
        sheet: String,
    },
    /// Text in memory, with a name for messages.
    Text {
        /// Shown in messages as if it were a path.
        name: PathBuf,
        /// The contents.
        text: String,
    },
}

impl Source {
    /// A file source.
    pub fn file(path: impl Into<PathBuf>) -> Source {
        Source::File(path.into())
    }

    /// An in-memory source.
    pub fn text(name: impl Into<PathBuf>, text: impl Into<String>) -> Source {
        Source::Text {
            name: name.into(),
            text: text.into(),
        }
    }

    /// The path or name used in messages.
    pub fn path(&self) -> &Path {
        match self {
            Source::File(p) | Source::Sheet { path: p, .. } => p,
            Source::Text { name, .. } => name,
        }
    }

    /// Opens the source for reading as UTF-8 text.
    pub fn open(&self, encoding: Encoding) -> Result<TextReader> {
        match self {
            Source::File(p) => open(p, encoding),
            Source::Sheet { path, sheet } => Err(Error::input(
                crate::error::Position::file(path),
                format!("sheet `{sheet}` of a workbook is not text; read it as a table"),
            )),
            Source::Text { name, text } => {
                from_reader(Cursor::new(text.clone().into_bytes()), encoding).map_err(|e| Error::io(name, e))
            }
        }
    }
}

/// An opened text input, decoded to UTF-8 bytes.
pub struct TextReader {
    /// The decoded byte stream.
    pub reader: Box<dyn Read + Send>,
    /// The encoding used, as encoding_rs names it (`UTF-8`, `gb18030`, …).
    pub encoding: &'static str,
    /// Set when the encoding was detected rather than given, e.g.
    /// `not valid UTF-8; read as gb18030 (detected)`.
    pub note: Option<String>,
}

const SNIFF: usize = 1 << 20;
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Opens `path` for reading as UTF-8 text, decoding it as `encoding` says.
pub fn open(path: &Path, encoding: Encoding) -> Result<TextReader> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    from_reader(file, encoding).map_err(|e| Error::io(path, e))
}

/// Like [`open`], for any reader (used for embedded example data and tests).
pub fn from_reader<R: Read + Send + 'static>(mut inner: R, encoding: Encoding) -> io::Result<TextReader> {
    let mut head = Vec::with_capacity(8192);
    (&mut inner).take(SNIFF as u64).read_to_end(&mut head)?;
    let at_end = head.len() < SNIFF;
    let chosen = match encoding {
        Encoding::Utf8 => None,
        Encoding::Gbk => Some((encoding_rs::GB18030, None)),
        Encoding::Auto => sniff(&head, at_end),
    };
    match chosen {
        None => {
            let skip = if head.starts_with(BOM) { BOM.len() } else { 0 };
            let mut head = Cursor::new(head);
            head.set_position(skip as u64);
            Ok(TextReader {
                reader: Box::new(head.chain(inner)),
                encoding: "UTF-8",
                note: None,
            })
        }
        Some((enc, note)) => {
            let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(enc))
                .bom_override(true)
                .build(Cursor::new(head).chain(inner));
            Ok(TextReader {
                reader: Box::new(decoder),
                encoding: enc.name(),
                note,
            })
        }
    }
}

/// At least this many valid multi-byte UTF-8 characters per invalid sequence
/// make a file that is not valid UTF-8 still UTF-8 (with a few stray bytes). In
/// GBK text about one character in ten happens to form a valid UTF-8 sequence, so
/// GBK gives a ratio near 0.1, far below.
pub const UTF8_EVIDENCE: usize = 10;

/// The invalid places of a mostly UTF-8 sample, at most this many named in a note.
const NAMED: usize = 5;

/// What the first bytes say about UTF-8: valid multi-byte characters, and the
/// invalid sequences as (byte offset, first byte); a character cut by the end of
/// an unfinished sample is neither.
fn utf8_evidence(head: &[u8], at_end: bool) -> (usize, Vec<(usize, u8)>) {
    let mut valid = 0;
    let mut invalid = Vec::new();
    let mut at = 0;
    let count = |s: &[u8]| s.iter().filter(|&&b| b >= 0xC0).count();
    while at < head.len() {
        match std::str::from_utf8(&head[at..]) {
            Ok(_) => {
                valid += count(&head[at..]);
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                valid += count(&head[at..at + good]);
                match e.error_len() {
                    Some(n) => {
                        invalid.push((at + good, head[at + good]));
                        at += good + n;
                    }
                    None if !at_end => break,
                    None => {
                        invalid.push((at + good, head[at + good]));
                        break;
                    }
                }
            }
        }
    }
    (valid, invalid)
}

/// The note of a UTF-8 file with a few invalid bytes: where they are (line and
/// byte offset, the first [`NAMED`]) and what was done.
fn stray_bytes_note(head: &[u8], valid: usize, invalid: &[(usize, u8)]) -> String {
    let places: Vec<String> = invalid
        .iter()
        .take(NAMED)
        .map(|&(at, b)| {
            let line = 1 + head[..at].iter().filter(|&&c| c == b'\n').count();
            format!("line {line} byte {at} (0x{b:02X})")
        })
        .collect();
    format!(
        "not valid UTF-8 at {} place(s) in the first MiB ({}{}); read as UTF-8 ({valid} valid multi-byte characters, which GBK text would not give) with each invalid byte replaced by U+FFFD, here and anywhere further on; correct those bytes, or pass --encoding gbk if the file is GBK",
        invalid.len(),
        places.join(", "),
        if invalid.len() > NAMED { ", …" } else { "" }
    )
}

/// Decides the encoding from the first bytes: `None` means UTF-8 as it is;
/// UTF-8 itself (with a note) means UTF-8 with a few invalid bytes replaced.
fn sniff(head: &[u8], at_end: bool) -> Option<(&'static encoding_rs::Encoding, Option<String>)> {
    match std::str::from_utf8(head) {
        Ok(_) => return None,
        // A multi-byte character cut by the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() && !at_end => return None,
        Err(_) => {}
    }
    if head.starts_with(BOM) {
        return None;
    }
    let (valid, invalid) = utf8_evidence(head, at_end);
    if !invalid.is_empty() && valid >= UTF8_EVIDENCE * invalid.len() {
        return Some((encoding_rs::UTF_8, Some(stray_bytes_note(head, valid, &invalid))));
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(head, at_end);
    let mut enc = det.guess(Some(b"cn"), chardetng::Utf8Detection::Deny);
    if enc == encoding_rs::GBK || enc == encoding_rs::UTF_8 {
        enc = encoding_rs::GB18030;
    }
    Some((
        enc,
        Some(format!(
            "not valid UTF-8; read as {} (detected; pass --encoding to choose)",
            enc.name()
        )),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], enc: Encoding) -> (String, Option<String>) {
        let mut t = from_reader(Cursor::new(bytes.to_vec()), enc).unwrap();
        let mut s = String::new();
        t.reader.read_to_string(&mut s).unwrap();
        (s, t.note)
    }

    #[test]
    fn utf8_bom_is_skipped() {
        assert_eq!(
            read_all(b"\xEF\xBB\xBFunit_id\n", Encoding::Auto),
            ("unit_id\n".into(), None)
        );
        assert_eq!(read_all(b"\xEF\xBB\xBFunit_id\n", Encoding::Utf8).0, "unit_id\n");
    }

    #[test]
    fn gbk_is_detected_with_a_note() {
        // "城区供电所" in GBK.
        let (gbk, _, _) = encoding_rs::GBK.encode("unit_id,name\nU001,城区供电所\n");
        let (text, note) = read_all(&gbk, Encoding::Auto);
        assert_eq!(text, "unit_id,name\nU001,城区供电所\n");
        assert!(note.unwrap().contains("gb18030"));
        assert_eq!(read_all(&gbk, Encoding::Gbk).0, "unit_id,name\nU001,城区供电所\n");
    }

    #[test]
    fn encoding_names_parse() {
        assert_eq!("GBK".parse::<Encoding>(), Ok(Encoding::Gbk));
        assert_eq!("utf-8".parse::<Encoding>(), Ok(Encoding::Utf8));
        assert!("latin1".parse::<Encoding>().is_err());
    }

    #[test]
    fn a_stray_latin1_byte_in_utf8_is_named_not_regarbled() {
        // 20 Chinese names (40 valid three-byte characters) and one Latin-1 é
        // (0xE9 followed by ASCII: invalid UTF-8) at line 3.
        let mut bytes = b"unit_id,name\nU1,".to_vec();
        bytes.extend_from_slice("城区供电所".as_bytes());
        bytes.extend_from_slice(b"\nU2,Caf\xE9\n");
        for k in 3..=20 {
            bytes.extend_from_slice(format!("U{k},第{k}窗口\n").as_bytes());
        }
        let (text, note) = read_all(&bytes, Encoding::Auto);
        assert!(
            text.starts_with("unit_id,name\nU1,城区供电所\nU2,Caf\u{FFFD}\nU3,第3窗口\n"),
            "{text}"
        );
        let note = note.expect("a note");
        // Offset of 0xE9: "unit_id,name\n" 13 + "U1," 3 + 15 bytes of 城区供电所 + "\n" 1
        // + "U2,Caf" 6 = 38; it is on line 3.
        assert!(note.contains("line 3 byte 38 (0xE9)"), "{note}");
        assert!(note.contains("replaced by U+FFFD"), "{note}");
    }

    #[test]
    fn gbk_text_gives_no_utf8_evidence() {
        let (gbk, _, _) = encoding_rs::GBK.encode("unit_id,name\nU001,城区供电所\nU002,政务服务中心窗口\n");
        let (valid, invalid) = utf8_evidence(&gbk, true);
        assert!(valid < UTF8_EVIDENCE * invalid.len(), "{valid} {invalid:?}");
        assert!(read_all(&gbk, Encoding::Auto).1.unwrap().contains("gb18030"));
    }
}
