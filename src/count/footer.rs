//! A Parquet footer checked before polars decodes it.
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
