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
//! memory in proportion to its own size. polars decodes a field by its id
//! whatever its wire type says, so the walk also knows the structs of
//! parquet.thrift ([`declared`]) and refuses a declared field sent with another
//! type (else polars would read a list header where the walk read an integer:
//! a 136 GB reservation, found the same way).
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
    w.structure(Some(S::FileMetaData), 0, 0, None).map_err(|what| {
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
    w.structure(Some(S::PageHeader), 0, 0, Some(&mut ints))
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

/// The Thrift structs of the Parquet format that polars decodes (parquet.thrift).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum S {
    FileMetaData,
    SchemaElement,
    LogicalType,
    /// A struct with no fields (`StringType`, `MapType`, the time units, …).
    Empty,
    DecimalType,
    /// `TimeType` and `TimestampType`.
    TimeType,
    TimeUnit,
    IntType,
    VariantType,
    /// `GeometryType` and `GeographyType`.
    GeoType,
    RowGroup,
    ColumnChunk,
    ColumnMetaData,
    Statistics,
    PageEncodingStats,
    KeyValue,
    SortingColumn,
    ColumnOrder,
    SizeStatistics,
    GeospatialStatistics,
    BoundingBox,
    PageHeader,
    DataPageHeader,
    DictionaryPageHeader,
    DataPageHeaderV2,
}

/// The type a field of a known struct is declared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum T {
    Bool,
    I8,
    I16,
    I32,
    I64,
    F64,
    Bin,
    Struct(S),
    List(&'static T),
}

/// The declared type of field `id` of struct `s`, as parquet.thrift has it;
/// `None` for a field it does not declare (skipped by its wire type, as polars
/// skips it).
///
/// polars decodes a known field by its id without looking at the wire type,
/// so a field whose wire type differs from its declaration would be read by
/// polars as something else than this walk reads (a list header where an
/// integer is, and a reservation from whatever the bytes say): a known field
/// must carry its declared type. A valid file always does.
fn declared(s: S, id: i64) -> Option<T> {
    use T::*;
    const I32S: T = I32;
    const I64S: T = I64;
    const BINS: T = Bin;
    Some(match (s, id) {
        (S::FileMetaData, 1) => I32,
        (S::FileMetaData, 2) => List(&Struct(S::SchemaElement)),
        (S::FileMetaData, 3) => I64,
        (S::FileMetaData, 4) => List(&Struct(S::RowGroup)),
        (S::FileMetaData, 5) => List(&Struct(S::KeyValue)),
        (S::FileMetaData, 6) => Bin,
        (S::FileMetaData, 7) => List(&Struct(S::ColumnOrder)),
        (S::FileMetaData, 9) => Bin,
        (S::SchemaElement, 1..=3 | 5..=9) => I32,
        (S::SchemaElement, 4) => Bin,
        (S::SchemaElement, 10) => Struct(S::LogicalType),
        (S::LogicalType, 1..=4 | 6 | 11..=15) => Struct(S::Empty),
        (S::LogicalType, 5) => Struct(S::DecimalType),
        (S::LogicalType, 7 | 8) => Struct(S::TimeType),
        (S::LogicalType, 10) => Struct(S::IntType),
        (S::LogicalType, 16) => Struct(S::VariantType),
        (S::LogicalType, 17 | 18) => Struct(S::GeoType),
        (S::DecimalType, 1 | 2) => I32,
        (S::TimeType, 1) => Bool,
        (S::TimeType, 2) => Struct(S::TimeUnit),
        (S::TimeUnit, 1..=3) => Struct(S::Empty),
        (S::IntType, 1) => I8,
        (S::IntType, 2) => Bool,
        (S::VariantType, 1) => I8,
        (S::GeoType, 1) => Bin,
        (S::GeoType, 2) => I32,
        (S::RowGroup, 1) => List(&Struct(S::ColumnChunk)),
        (S::RowGroup, 2 | 3 | 5 | 6) => I64,
        (S::RowGroup, 4) => List(&Struct(S::SortingColumn)),
        (S::RowGroup, 7) => I16,
        (S::ColumnChunk, 1 | 9) => Bin,
        (S::ColumnChunk, 2 | 4 | 6) => I64,
        (S::ColumnChunk, 3) => Struct(S::ColumnMetaData),
        (S::ColumnChunk, 5 | 7) => I32,
        (S::ColumnMetaData, 1 | 4 | 15) => I32,
        (S::ColumnMetaData, 2) => List(&I32S),
        (S::ColumnMetaData, 3) => List(&BINS),
        (S::ColumnMetaData, 5..=7 | 9..=11 | 14) => I64,
        (S::ColumnMetaData, 8) => List(&Struct(S::KeyValue)),
        (S::ColumnMetaData, 12) => Struct(S::Statistics),
        (S::ColumnMetaData, 13) => List(&Struct(S::PageEncodingStats)),
        (S::ColumnMetaData, 16) => Struct(S::SizeStatistics),
        (S::ColumnMetaData, 17) => Struct(S::GeospatialStatistics),
        (S::Statistics, 1 | 2 | 5 | 6) => Bin,
        (S::Statistics, 3 | 4) => I64,
        (S::Statistics, 7 | 8) => Bool,
        (S::PageEncodingStats, 1..=3) => I32,
        (S::KeyValue, 1 | 2) => Bin,
        (S::SortingColumn, 1) => I32,
        (S::SortingColumn, 2 | 3) => Bool,
        (S::ColumnOrder, 1) => Struct(S::Empty),
        (S::SizeStatistics, 1) => I64,
        (S::SizeStatistics, 2 | 3) => List(&I64S),
        (S::GeospatialStatistics, 1) => Struct(S::BoundingBox),
        (S::GeospatialStatistics, 2) => List(&I32S),
        (S::BoundingBox, 1..=8) => F64,
        (S::PageHeader, 1..=4) => I32,
        (S::PageHeader, 5) => Struct(S::DataPageHeader),
        (S::PageHeader, 6) => Struct(S::Empty),
        (S::PageHeader, 7) => Struct(S::DictionaryPageHeader),
        (S::PageHeader, 8) => Struct(S::DataPageHeaderV2),
        (S::DataPageHeader, 1..=4) => I32,
        (S::DataPageHeader, 5) => Struct(S::Statistics),
        (S::DictionaryPageHeader, 1 | 2) => I32,
        (S::DictionaryPageHeader, 3) => Bool,
        (S::DataPageHeaderV2, 1..=6) => I32,
        (S::DataPageHeaderV2, 7) => Bool,
        (S::DataPageHeaderV2, 8) => Struct(S::Statistics),
        _ => return None,
    })
}

/// Whether field `id` of struct `s` is a size, count or offset, which polars
/// casts to an unsigned number (a negative one becomes a huge reservation, or a
/// range whose end overflows).
fn never_negative(s: S, id: i64) -> bool {
    matches!(
        (s, id),
        // Only fields polars sizes or places something by: a writer may leave
        // others (deprecated offsets, statistics) at −1.
        (S::FileMetaData, 3)
            | (S::SchemaElement, 5)
            | (S::RowGroup, 3)
            | (S::ColumnMetaData, 5..=7 | 9 | 11)
            | (S::PageHeader, 2 | 3)
            | (S::DataPageHeader, 1)
            | (S::DictionaryPageHeader, 1)
            | (S::DataPageHeaderV2, 1..=3 | 5 | 6)
    )
}

/// Whether compact wire type `wire` carries a value of declared type `t`
/// (`in_field`: a bool in a field header is type 1 or 2, in a list type 1).
fn carries(t: T, wire: u8, in_field: bool) -> bool {
    match t {
        T::Bool => wire == 1 || (in_field && wire == 2),
        T::I8 => wire == 3,
        T::I16 => wire == 4,
        T::I32 => wire == 5,
        T::I64 => wire == 6,
        T::F64 => wire == 7,
        T::Bin => wire == 8,
        T::List(_) => wire == 9,
        T::Struct(_) => wire == 12,
    }
}

/// A cursor over Thrift compact bytes.
struct Walk<'a> {
    b: &'a [u8],
    at: usize,
}

type Step = std::result::Result<(), &'static str>;

/// Where the integers of a page header go: (outer field id × 100 + id, value),
/// for the header's own fields (outer 0) and those of the structs in it.
type Ints<'v> = Option<&'v mut Vec<(u32, i64)>>;

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

    /// A value of wire type `wire`, of a known struct's type when `s` is given
    /// (else walked by its wire type alone). `in_field`: a bool inside a field
    /// header holds its value in the type code; in a list or map it takes a byte.
    fn value(&mut self, wire: u8, s: Option<S>, elem: Option<T>, depth: u32, in_field: bool) -> Step {
        match wire {
            1 | 2 if in_field => Ok(()),
            1..=3 => self.skip(1),
            4..=6 => self.varint().map(drop),
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 => self.list(elem, depth),
            // No Parquet struct has a set or a map, and polars' decoder cannot
            // skip one: walking it would read bytes the decoder does not.
            10 | 11 => Err("a set or map, which no Parquet structure has"),
            12 => self.structure(s, depth + 1, 0, None),
            _ => Err("an unknown type code"),
        }
    }

    /// A list; `elem` the declared type of its elements when known.
    fn list(&mut self, elem: Option<T>, depth: u32) -> Step {
        let h = self.byte()?;
        let (mut n, wire) = (u64::from(h >> 4), h & 0x0f);
        if n == 15 {
            n = self.varint()?;
        }
        if n > self.left() {
            return Err("a list claims more entries than the bytes left could hold");
        }
        // No Parquet struct has a list of booleans, and polars' decoder skips
        // their elements as taking no byte (as a bool in a field header does)
        // where the encoding gives each a byte: walking one, the two would part
        // ways (found by the `tally_file` fuzz target).
        if n > 0 && matches!(wire, 1 | 2) {
            return Err("a list of booleans, which no Parquet structure has");
        }
        if let Some(t) = elem
            && n > 0
            && !carries(t, wire, false)
        {
            return Err("a list holds values of another type than the format declares");
        }
        let (s, inner) = match elem {
            Some(T::Struct(s)) => (Some(s), None),
            Some(T::List(t)) => (None, Some(*t)),
            _ => (None, None),
        };
        for _ in 0..n {
            self.value(wire, s, inner, depth, false)?;
        }
        Ok(())
    }

    /// A struct, of kind `s` when known (its declared fields must carry their
    /// types); integers collected into `ints` under `outer` when asked.
    fn structure(&mut self, s: Option<S>, depth: u32, outer: u32, mut ints: Ints<'_>) -> Step {
        if depth > MAX_DEPTH {
            return Err("structs nest deeper than a Parquet footer does");
        }
        // Field ids are i16, read as polars reads them: a long-form id is cut to
        // 16 bits (as its decoder casts it), a delta past 32767 is an error.
        let mut id: i16 = 0;
        loop {
            let h = self.byte()?;
            if h == 0 {
                return Ok(());
            }
            id = if h >> 4 == 0 {
                zigzag(self.varint()?) as i16
            } else {
                id.checked_add(i16::from(h >> 4)).ok_or("a field id runs past 32767")?
            };
            let id = i64::from(id);
            let wire = h & 0x0f;
            let t = s.and_then(|s| declared(s, id));
            if let Some(t) = t
                && !carries(t, wire, true)
            {
                return Err("a field has another type than the format declares");
            }
            let key = u32::try_from(id).unwrap_or(0).min(99) + outer * 100;
            match (t, ints.as_deref_mut()) {
                (Some(T::I32 | T::I64 | T::I16), v) => {
                    let x = zigzag(self.varint()?);
                    if x < 0 && s.is_some_and(|s| never_negative(s, id)) {
                        return Err("a size, count or offset is negative");
                    }
                    if let Some(v) = v {
                        v.push((key, x));
                    }
                }
                (Some(T::Struct(inner)), Some(v)) if outer == 0 => {
                    self.structure(Some(inner), depth + 1, key, Some(v))?;
                }
                (Some(T::Struct(inner)), _) => self.structure(Some(inner), depth + 1, 0, None)?,
                (Some(T::List(e)), _) => self.list(Some(*e), depth)?,
                _ => self.value(wire, None, None, depth, true)?,
            }
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
    fn a_small_footer_passes() {
        // FileMetaData: field 1 version i32 = 2 (0x15, zigzag 4); field 2 schema,
        // a list (0x19) of 1 struct (0x1c): SchemaElement field 4 name "ab" (0x48,
        // 2, 'a', 'b'), field 5 num_children i32 = 0 (0x15, 0), stop; field 3
        // num_rows i64 = 150 (0x16, zigzag 300 = ac 02); field 4 row_groups, an
        // empty list (0x19, 0x0c); fields 15 and 16, not declared, skipped by
        // their wire types: a bool (0xb1) and a list of 2 i32 (0x19, 0x25, 2,
        // 4); stop.
        let b = [
            0x15, 4, 0x19, 0x1c, 0x48, 2, b'a', b'b', 0x15, 0, 0, 0x16, 0xac, 0x02, 0x19, 0x0c, 0xb1, 0x19, 0x25, 2, 4,
            0,
        ];
        assert_eq!(check_bytes(&b), Ok(()));
    }

    #[test]
    fn a_list_claiming_more_than_the_bytes_is_refused() {
        // Field 2 (0x29: delta 2, a list), the list header 0xfc: count 15 (the
        // count follows as a varint) of structs (type 12); the count 2³¹ =
        // varint 80 80 80 80 08.
        let b = [0x29, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0];
        let e = check_bytes(&b).expect_err("2³¹ entries in 3 bytes");
        assert!(e.contains("more entries than the bytes left"), "{e}");
        // The same list with a count of 3 and three empty structs passes.
        let ok = [0x29, 0x3c, 0, 0, 0, 0];
        assert_eq!(check_bytes(&ok), Ok(()));
    }

    #[test]
    fn a_declared_field_of_another_wire_type_is_refused() {
        // Found by the `parquet` fuzz target (2026-12-04): polars decodes a
        // field by its id whatever its wire type says, so field 2 (the schema
        // list) sent as an i32 would be read by polars as a list header from
        // the integer's bytes (a 136 GB reservation), while a walk by wire type
        // reads an integer.
        let b = [0x25, 0x7f, 0];
        let e = check_bytes(&b).expect_err("schema as an i32");
        assert!(e.contains("another type than the format declares"), "{e}");
        // A list of the right wire type holding elements of another type: the
        // schema (structs) sent as a list of 2 i32.
        let b = [0x29, 0x25, 2, 4, 0];
        let e = check_bytes(&b).expect_err("schema of i32");
        assert!(e.contains("holds values of another type"), "{e}");
        // A nested struct is checked too: RowGroup (field 4 of FileMetaData, a
        // list of 1 struct: 0x19 0x1c) whose num_rows (field 3) is a string
        // (0x38, length 1, 'x').
        let b = [0x49, 0x1c, 0x38, 1, b'x', 0, 0];
        let e = check_bytes(&b).expect_err("num_rows as a string");
        assert!(e.contains("another type than the format declares"), "{e}");
    }

    #[test]
    fn field_ids_are_read_as_polars_reads_them() {
        // Found by the `tally_file` fuzz target (2026-12-04): a field-id delta
        // added past the end of the id's range. polars keeps ids as i16: a delta
        // past 32767 is an error there, and here.
        let b = [0x05, 0xfe, 0xff, 0x03, 0x00, 0x15, 0x00, 0];
        // Long form (0x05: delta 0, i32), id varint fe ff 03 = 65534, zigzag
        // 32767 (not declared: its i32 value 0 skipped); then a delta of 1 (0x15)
        // would be 32768.
        let e = check_bytes(&b).expect_err("delta past i16");
        assert!(e.contains("runs past 32767"), "{e}");
        // A long-form id of 65538 is cut to 2 (as polars casts it): field 2, the
        // schema list, sent as an i32 is then refused as the declared field it is.
        // zigzag(65538) = 131076 = varint 84 80 08.
        let b = [0x05, 0x84, 0x80, 0x08, 0x7f, 0];
        let e = check_bytes(&b).expect_err("id 65538 is field 2");
        assert!(e.contains("another type than the format declares"), "{e}");
    }

    #[test]
    fn lists_of_booleans_sets_and_maps_are_refused() {
        // Field 15 (not declared), a list (0xf9) of 3 bools (0x31): polars
        // skips them as 0 bytes each, the encoding gives them 1 each.
        let e = check_bytes(&[0xf9, 0x31, 1, 1, 1, 0]).expect_err("list of bools");
        assert!(e.contains("list of booleans"), "{e}");
        // An empty list of bools is nothing to walk.
        assert_eq!(check_bytes(&[0xf9, 0x01, 0]), Ok(()));
        // Field 15 a set (0xfa) or a map (0xfb).
        for h in [0xfa, 0xfb] {
            let e = check_bytes(&[h, 0x00, 0]).expect_err("set or map");
            assert!(e.contains("set or map"), "{e}");
        }
    }

    #[test]
    fn a_page_header_gives_its_counts() {
        // A data page v1: field 1 type i32 0 (0x15 0x00), field 2 uncompressed
        // i32 100 (0x15, zigzag 200 = c8 01), field 3 compressed i32 60 (0x15,
        // zigzag 120 = 0x78), field 5 (delta 2) data_page_header struct (0x2c):
        // field 1 num_values i32 −1 (0x15, zigzag 1 = 0x01: refused), field 2 encoding
        // i32 0 (0x15 0x00), stop; stop. 14 bytes, then one that is not read.
        let b = [
            0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0x78, 0x2c, 0x15, 0x01, 0x15, 0x00, 0x00, 0x00, 0xff,
        ];
        let e = page_header(&b).expect_err("a negative value count");
        assert!(e.contains("negative"), "{e}");
        // The same header with num_values 2 (zigzag 4 = 0x04).
        let mut b = b;
        b[9] = 0x04;
        let h = page_header(&b).expect("a header");
        assert_eq!(h.len, 14, "the byte after the header is not read");
        assert_eq!((h.kind, h.uncompressed, h.compressed, h.values), (0, 100, 60, Some(2)));
        assert_eq!(h.least, 0);
        // Cut short: an error, not a header.
        assert!(page_header(&b[..9]).is_err());
        // num_values sent as a string (0x18): polars would read its bytes as a
        // varint; refused.
        let mut bad = b;
        bad[8] = 0x18;
        assert!(page_header(&bad).is_err());
    }

    #[test]
    fn truncation_unknown_types_and_deep_nesting_are_refused() {
        assert!(check_bytes(&[0x15]).is_err(), "ends inside a value");
        assert!(check_bytes(&[0x68, 5, b'a']).is_err(), "binary longer than the bytes");
        assert!(check_bytes(&[0xfd, 0]).is_err(), "type 13 is unknown");
        // Field 15 (not declared) a struct (0xfc), in it 99 nested structs (field
        // 1, type 12: 0x1c), then 101 stops.
        let mut deep = vec![0xfc];
        deep.extend(vec![0x1c; 99]);
        deep.extend(vec![0; 101]);
        let e = check_bytes(&deep).expect_err("too deep");
        assert!(e.contains("nest deeper"), "{e}");
        // 10 deep is fine.
        let mut ok = vec![0xfc];
        ok.extend(vec![0x1c; 9]);
        ok.extend(vec![0; 11]);
        assert_eq!(check_bytes(&ok), Ok(()));
    }
}
