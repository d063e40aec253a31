//! Parquet metadata (the footer, then each page header) checked before polars
//! decodes it.
//!
//! The footer is a Thrift struct in the compact encoding. polars' decoder trusts
//! the element counts in it: a list that claims 2³¹ entries is reserved for up
//! front (a 47 GB allocation, found by the `parquet` fuzz target), and a failed
//! allocation aborts the process, which no guard can catch. This walks the
//! encoding once without building anything and refuses the file when a count
//! claims more entries than the bytes left could hold, a value runs past the end,
//! a type code is unknown or structs nest deeper than any Parquet footer does.
//! Every entry takes at least one byte, so a footer that passes asks polars for
//! memory in proportion to its own size.
//!
//! Page headers (Thrift too, at the start of each page of a column chunk) carry
//! counts polars casts from `i32` to `usize` and reserves for: a negative value
//! count became a 2⁶¹-byte reservation (also found by the fuzz target).
//! [`page_header`] reads one header's counts for [`super::parquet::check_footer`]
//! to check against the chunk before polars reads a page.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Deepest struct nesting accepted: a Parquet footer nests about six deep
/// (file → row group → column chunk → metadata → statistics); nested logical
/// types add a few.
const MAX_DEPTH: u32 = 64;

/// Checks the footer of the Parquet file at `path`; `Err` holds what is wrong,
/// worded for a person. A file too short or without the `PAR1` magic passes:
/// polars refuses it with its own message, which says so plainly.
pub(crate) fn check(path: &Path) -> std::result::Result<(), String> {
    let mut f = File::open(path).map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    if len < 12 {
        return Ok(());
    }
    let mut tail = [0u8; 8];
    f.seek(SeekFrom::End(-8)).map_err(|e| e.to_string())?;
    f.read_exact(&mut tail).map_err(|e| e.to_string())?;
    if &tail[4..] != b"PAR1" {
        return Ok(());
    }
    let n = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if n > len - 12 {
        return Err(format!(
            "the footer announces {n} bytes of metadata, the file holds {len} bytes in all"
        ));
    }
    let mut bytes = Vec::new();
    f.seek(SeekFrom::End(-8 - n as i64)).map_err(|e| e.to_string())?;
    f.take(n).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    check_bytes(&bytes)
}

/// Checks Thrift compact bytes holding one struct (the footer's `FileMetaData`).
pub(crate) fn check_bytes(bytes: &[u8]) -> std::result::Result<(), String> {
    let mut w = Walk { b: bytes, at: 0 };
    w.structure(0).map_err(|what| {
        format!(
            "the footer metadata is damaged at byte {} of {}: {what}",
            w.at,
            bytes.len()
        )
    })
}

/// The counts of one page header that polars sizes buffers by.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PageHead {
    /// Bytes the header itself takes.
    pub len: usize,
    /// The page type (0 data, 2 dictionary, 3 data v2; 1 index).
    pub kind: i64,
    /// `compressed_page_size`: the bytes of the page after its header.
    pub compressed: i64,
    /// `uncompressed_page_size`.
    pub uncompressed: i64,
    /// The value count of a data page (v1 or v2), including nulls.
    pub values: Option<i64>,
    /// The entry count of a dictionary page.
    pub entries: Option<i64>,
    /// The smallest count found anywhere in the header (value, null, row and
    /// level-length counts of every kind of page): none may be negative.
    pub least: i64,
}

/// Reads the page header at the start of `bytes`; `Err` says what is wrong
/// (a header may also be cut short by `bytes` ending: read more and retry).
pub(crate) fn page_header(bytes: &[u8]) -> std::result::Result<PageHead, String> {
    let mut w = Walk { b: bytes, at: 0 };
    let mut head = PageHead::default();
    let mut ints = Vec::new();
    w.fields(0, 0, &mut ints)
        .map_err(|what| format!("a page header is damaged at its byte {}: {what}", w.at))?;
    head.len = w.at;
    for &(id, v) in &ints {
        match id {
            1 => head.kind = v,
            2 => head.uncompressed = v,
            3 => head.compressed = v,
            501 | 801 => head.values = Some(v),
            701 => head.entries = Some(v),
            _ => {}
        }
        // Counts and lengths of the data page (5), dictionary page (7) and
        // data page v2 (8) headers, and the sizes.
        if matches!(id, 2 | 3 | 501 | 701 | 801..=803 | 805 | 806) {
            head.least = head.least.min(v);
        }
    }
    Ok(head)
}

/// A cursor over Thrift compact bytes.
struct Walk<'a> {
    b: &'a [u8],
    at: usize,
}

type Step = std::result::Result<(), &'static str>;

impl Walk<'_> {
    fn left(&self) -> u64 {
        (self.b.len() - self.at) as u64
    }

    fn byte(&mut self) -> std::result::Result<u8, &'static str> {
        let b = *self.b.get(self.at).ok_or("it ends inside a value")?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> std::result::Result<u64, &'static str> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a number runs past ten bytes")
    }

    fn skip(&mut self, n: u64) -> Step {
        if n > self.left() {
            return Err("a value is longer than the bytes left");
        }
        self.at += n as usize;
        Ok(())
    }

    /// A value of compact type `ty`. `in_field`: a bool inside a field header
    /// holds its value in the type code; in a list or map it takes a byte.
    fn value(&mut self, ty: u8, depth: u32, in_field: bool) -> Step {
        match ty {
            1 | 2 if in_field => Ok(()),
            1..=3 => self.skip(1),
            4..=6 => self.varint().map(drop),
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 | 10 => self.list(depth),
            11 => self.map(depth),
            12 => self.structure(depth + 1),
            _ => Err("an unknown type code"),
        }
    }

    fn list(&mut self, depth: u32) -> Step {
        let h = self.byte()?;
        let (mut n, ty) = (u64::from(h >> 4), h & 0x0f);
        if n == 15 {
            n = self.varint()?;
        }
        if n > self.left() {
            return Err("a list claims more entries than the bytes left could hold");
        }
        for _ in 0..n {
            self.value(ty, depth, false)?;
        }
        Ok(())
    }

    fn map(&mut self, depth: u32) -> Step {
        let n = self.varint()?;
        if n == 0 {
            return Ok(());
        }
        let kv = self.byte()?;
        if n.saturating_mul(2) > self.left() {
            return Err("a map claims more entries than the bytes left could hold");
        }
        for _ in 0..n {
            self.value(kv >> 4, depth, false)?;
            self.value(kv & 0x0f, depth, false)?;
        }
        Ok(())
    }

    /// A struct whose integer fields are collected as (id, value), the fields
    /// of a struct inside it as (outer id × 100 + id, value); other values
    /// are walked over as in [`Walk::structure`].
    fn fields(&mut self, depth: u32, outer: u32, ints: &mut Vec<(u32, i64)>) -> Step {
        if depth > MAX_DEPTH {
            return Err("structs nest deeper than a Parquet footer does");
        }
        let mut id: i64 = 0;
        loop {
            let h = self.byte()?;
            if h == 0 {
                return Ok(());
            }
            id = if h >> 4 == 0 {
                zigzag(self.varint()?)
            } else {
                id + i64::from(h >> 4)
            };
            let key = u32::try_from(id).unwrap_or(0).min(99) + outer * 100;
            match h & 0x0f {
                4..=6 => ints.push((key, zigzag(self.varint()?))),
                12 if depth == 0 => self.fields(depth + 1, key, ints)?,
                ty => self.value(ty, depth, true)?,
            }
        }
    }

    fn structure(&mut self, depth: u32) -> Step {
        if depth > MAX_DEPTH {
            return Err("structs nest deeper than a Parquet footer does");
        }
        loop {
            let h = self.byte()?;
            if h == 0 {
                return Ok(());
            }
            if h >> 4 == 0 {
                // The long form: the field id follows as a zigzag varint.
                self.varint()?;
            }
            self.value(h & 0x0f, depth, true)?;
        }
    }
}

/// A zigzag-encoded integer decoded.
fn zigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_struct_passes() {
        // field 1 i32 = 150 (0x15, zigzag varint 0xac 0x02); field 2 bool true
        // (0x11); field 3 binary "ab" (0x18, 2, 'a', 'b'); field 4 list of 2 i32
        // (0x19, 0x25, 2, 4); stop.
        let b = [0x15, 0xac, 0x02, 0x11, 0x18, 2, b'a', b'b', 0x19, 0x25, 2, 4, 0];
        assert_eq!(check_bytes(&b), Ok(()));
    }

    #[test]
    fn a_list_claiming_more_than_the_bytes_is_refused() {
        // Field 1, a list (0x19); its header 0xfc: count 15 (the count follows as
        // a varint) of structs (type 12); the count 2³¹ = varint 80 80 80 80 08.
        let b = [0x19, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0];
        let e = check_bytes(&b).expect_err("2³¹ entries in 3 bytes");
        assert!(e.contains("more entries than the bytes left"), "{e}");
        // The same list with a count of 3 and three empty structs passes.
        let ok = [0x19, 0x3c, 0, 0, 0, 0];
        assert_eq!(check_bytes(&ok), Ok(()));
    }

    #[test]
    fn a_page_header_gives_its_counts() {
        // A data page v1: field 1 type i32 0 (0x15 0x00), field 2 uncompressed
        // i32 100 (0x15, zigzag 200 = c8 01), field 3 compressed i32 60 (0x15,
        // zigzag 120 = 0x78), field 5 (delta 2) data_page_header struct (0x2c):
        // field 1 num_values i32 −1 (0x15, zigzag 1 = 0x01), field 2 encoding
        // i32 0 (0x15 0x00), stop; stop. 15 bytes.
        let b = [
            0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0x78, 0x2c, 0x15, 0x01, 0x15, 0x00, 0x00, 0x00, 0xff,
        ];
        let h = page_header(&b).expect("a header");
        assert_eq!(h.len, 14, "the byte after the header is not read");
        assert_eq!((h.kind, h.uncompressed, h.compressed, h.values), (0, 100, 60, Some(-1)));
        assert_eq!(h.least, -1, "the negative value count is seen");
        // Cut short: an error, not a header.
        assert!(page_header(&b[..9]).is_err());
    }

    #[test]
    fn truncation_unknown_types_and_deep_nesting_are_refused() {
        assert!(check_bytes(&[0x15]).is_err(), "ends inside a value");
        assert!(check_bytes(&[0x18, 5, b'a']).is_err(), "binary longer than the bytes");
        assert!(check_bytes(&[0x1d, 0]).is_err(), "type 13 is unknown");
        // 100 nested structs (field 1, type 12) then 100 stops.
        let mut deep = vec![0x1c; 100];
        deep.extend(vec![0; 101]);
        let e = check_bytes(&deep).expect_err("too deep");
        assert!(e.contains("nest deeper"), "{e}");
        // 10 deep is fine.
        let mut ok = vec![0x1c; 10];
        ok.extend(vec![0; 11]);
        assert_eq!(check_bytes(&ok), Ok(()));
    }
}
