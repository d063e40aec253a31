//! Exact, compact lookup structures for the ballot hot loop.
//!
//! - [`StrIndex`]: a small fixed map from id text (unit ids, group ids) to an
//!   index, with open addressing and a fast hash: a general `HashMap<String, _>`
//!   looked up once per row cost about a quarter of a Parquet run.
//! - [`KeySet`]: the set of duplicate keys (ballot ids, (unit, rater) pairs) of
//!   the valid ballots. Keys are copied once into an append-only arena (so nothing
//!   is allocated per ballot) and an open-addressing table holds their offsets
//!   with a few bits of their hash; a match compares the bytes, so the set is
//!   exact (no false duplicate from a hash collision). The arena also keeps the keys in insertion order,
//!   which is how `appraise tally --keys-out` writes them deterministically.
//!
//! Both hash with foldhash under a fixed seed: no iteration order reaches an
//! output (the set is iterated through its arena, in insertion order).

use std::hash::BuildHasher;

use foldhash::fast::FixedState;

const SEED: u64 = 0x6170_7072_6169_7365; // "appraise"

/// The bits of a 64-bit hash that [`HashFilter`] and
/// `HashCounter` (of `judge::partitions`) tell apart: its top 40.
pub(crate) const PREFIX_BITS: u32 = 40;

/// The 40-bit prefix of hash `h` (see [`PREFIX_BITS`]).
#[inline]
pub(crate) fn prefix(h: u64) -> u64 {
    h >> (64 - PREFIX_BITS)
}

/// The fixed-seed hash of the module's tables (also used by `score::flags`).
#[inline]
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    FixedState::with_seed(SEED).hash_one(bytes)
}

/// The hash of the (unit, rater) duplicate key `rater_key(unit, rater)`: the
/// rater id's [`hash`] mixed with the unit index (murmur3's 64-bit finaliser,
/// a bijection, so two keys collide only when their mixed inputs do).
///
/// Why not [`hash`] of the key's bytes: those bytes were first written into a
/// scratch buffer (four bytes of unit, then the id), and the hash's 8-byte reads
/// of a buffer just written in two pieces stall until the writes land — about a
/// tenth of the repeated-key pass and of the judging thread. The id is hashed
/// where the decoder left it.
#[inline]
pub(crate) fn rater_hash(unit: u32, rater: &[u8]) -> u64 {
    let mut x = hash(rater) ^ u64::from(unit).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// A fixed map from text to index, built once.
#[derive(Clone, Debug, Default)]
pub struct StrIndex {
    /// `index + 1` of the key in each slot; 0 = empty.
    slots: Vec<u32>,
    keys: Vec<Box<str>>,
    mask: usize,
}

impl StrIndex {
    /// An index of `keys` (each maps to its position; a repeated key keeps the first).
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a str>) -> StrIndex {
        let keys: Vec<Box<str>> = keys.into_iter().map(Box::from).collect();
        let cap = (keys.len() * 2).next_power_of_two().max(8);
        let mut ix = StrIndex {
            slots: vec![0; cap],
            keys: Vec::new(),
            mask: cap - 1,
        };
        for (k, key) in keys.iter().enumerate() {
            let mut s = hash(key.as_bytes()) as usize & ix.mask;
            loop {
                match ix.slots[s] {
                    0 => {
                        ix.slots[s] = k as u32 + 1;
                        break;
                    }
                    j if keys[j as usize - 1] == *key => break,
                    _ => s = (s + 1) & ix.mask,
                }
            }
        }
        ix.keys = keys;
        ix
    }

    /// The index of `key`, if it is one of the keys.
    #[inline]
    pub fn get(&self, key: &str) -> Option<usize> {
        let mut s = hash(key.as_bytes()) as usize & self.mask;
        loop {
            match self.slots[s] {
                0 => return None,
                j => {
                    let k = j as usize - 1;
                    if *self.keys[k] == *key {
                        return Some(k);
                    }
                }
            }
            s = (s + 1) & self.mask;
        }
    }
}

/// A fixed set of hash prefixes (the top [`PREFIX_BITS`] bits of a 64-bit
/// hash, as `HashCounter::repeated` of `judge::partitions` gives them): an
/// open-addressing table (at most half full) with a bitmap of their top bits in
/// front, so that most lookups of a hash not in the set end at the bitmap, and
/// the rest after one or two slots. The bitmap has about 32 bits
/// per prefix (at least 2²⁰ bits, 128 KiB; at most 2³⁰), so that about one
/// lookup in 32 of a hash outside the set goes on to the table. Both can be
/// [prefetched](HashFilter::prefetch) rows ahead. (With a fixed 2²⁰-bit bitmap
/// and a binary search behind it, the million repeated keys of a run of 10⁸
/// ballots set most bits, and the searches' cache misses took a third of the
/// run.)
#[derive(Clone, Debug)]
pub(crate) struct HashFilter {
    /// Prefix + 1; 0 = empty.
    slots: Vec<u64>,
    len: usize,
    bits: Vec<u64>,
    /// A prefix's bit in `bits` is `prefix >> shift`.
    shift: u32,
}

impl HashFilter {
    /// The set of `prefixes` (each below 2^[`PREFIX_BITS`]).
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))] // only the Parquet reader asks
    pub(crate) fn new(prefixes: Vec<u64>) -> HashFilter {
        // log2 of the bitmap's size in bits: 32 per prefix, within 2^20..=2^30.
        let k = (prefixes.len().max(1).next_power_of_two().trailing_zeros() + 5).clamp(20, 30);
        let shift = PREFIX_BITS - k;
        let mut f = HashFilter {
            slots: vec![0; (prefixes.len() * 2).next_power_of_two().max(8)],
            len: 0,
            bits: vec![0u64; 1 << (k - 6)],
            shift,
        };
        let mask = f.slots.len() - 1;
        for p in prefixes {
            let p = p & ((1 << PREFIX_BITS) - 1);
            let b = (p >> shift) as usize;
            f.bits[b >> 6] |= 1 << (b & 63);
            let mut s = p as usize & mask;
            loop {
                match f.slots[s] {
                    0 => {
                        f.slots[s] = p + 1;
                        f.len += 1;
                        break;
                    }
                    x if x == p + 1 => break,
                    _ => s = (s + 1) & mask,
                }
            }
        }
        f
    }

    /// Prefixes in the set.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Asks for the cache lines that [`contains`](Self::contains) of `h` reads
    /// first, and returns at once.
    #[inline]
    pub(crate) fn prefetch(&self, h: u64) {
        let b = (prefix(h) >> self.shift) as usize;
        if let Some(w) = self.bits.get(b >> 6) {
            prefetch(w);
        }
    }

    /// Whether the prefix of the hash `h` is in the set.
    #[inline]
    pub(crate) fn contains(&self, h: u64) -> bool {
        let p = prefix(h);
        let b = (p >> self.shift) as usize;
        if self.bits[b >> 6] & (1 << (b & 63)) == 0 {
            return false;
        }
        let mask = self.slots.len() - 1;
        let mut s = p as usize & mask;
        loop {
            match self.slots[s] {
                0 => return false,
                x if x == p + 1 => return true,
                _ => s = (s + 1) & mask,
            }
        }
    }
}

/// An exact set of byte strings, stored in insertion order.
///
/// An open-addressing table (linear probing, at most ¾ full) of 64-bit slots,
/// each holding a key's arena offset (low 40 bits, plus one so that 0 is empty)
/// and 24 more bits of its hash as a tag. A lookup of a new key (the common case:
/// most ballots are no duplicates) reads only slots, never the arena, unless a
/// tag matches by chance (one in 16 million per occupied slot probed); the slot a
/// key hashes to can be [prefetched](KeySet::touch) rows ahead, so the cache
/// misses of a batch overlap instead of following one another.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    /// 0 = empty; else `tag << OFF_BITS | (offset + 1)`.
    slots: Vec<u64>,
    /// Keys held.
    len: usize,
    /// Records: length as a LEB128 varint, then the bytes.
    arena: Vec<u8>,
    /// Whether the keys are (unit, rater) keys, hashed by [`rater_hash`]
    /// (else by [`hash`]).
    unit_prefixed: bool,
}

/// Bits of a slot that hold the arena offset (+1): arenas up to 1 TiB.
const OFF_BITS: u32 = 40;
const OFF_MASK: u64 = (1 << OFF_BITS) - 1;

/// Where a key was not found: its hash and the empty slot that ended the probe,
/// for [`KeySet::insert_at`].
#[derive(Clone, Copy, Debug)]
pub struct Vacancy {
    hash: u64,
    slot: usize,
}

/// Asks the processor to fetch the cache line at `p` without waiting for it.
#[inline]
fn prefetch(p: *const u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that never faults, whatever the address (here
    // always inside a live slice), and SSE is part of every x86-64 processor.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

impl KeySet {
    /// An empty set.
    pub fn new() -> KeySet {
        KeySet::default()
    }

    /// An empty set of (unit, rater) keys (`rater_key`'s bytes), hashed by
    /// [`rater_hash`] as the judge hashes them ahead.
    pub fn for_rater_keys() -> KeySet {
        KeySet {
            unit_prefixed: true,
            ..KeySet::default()
        }
    }

    /// The hash of a key held in this set.
    #[inline]
    pub fn key_hash(&self, key: &[u8]) -> u64 {
        match key.split_first_chunk::<4>() {
            Some((unit, rater)) if self.unit_prefixed => rater_hash(u32::from_le_bytes(*unit), rater),
            _ => hash(key),
        }
    }

    /// Number of keys.
    #[cfg(test)]
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    #[inline]
    fn tag(h: u64) -> u64 {
        (h >> OFF_BITS) << OFF_BITS
    }

    /// Makes room for `more` keys at once (a file whose row count is known), so the
    /// table is not rebuilt as it grows.
    pub fn reserve(&mut self, more: usize) {
        self.grow_to(self.len.saturating_add(more));
        // Address space for the keys too (16 bytes each; pages are only taken as
        // they are written): a doubling arena would hold its old and new copies
        // at once, the largest transient of a run.
        self.arena.reserve(more.saturating_mul(16));
    }

    /// Grows the table (rehashing every key) so that `keys` fit at most ¾ full.
    fn grow_to(&mut self, keys: usize) {
        let want = keys
            .saturating_add(keys / 3)
            .saturating_add(1)
            .max(16)
            .next_power_of_two();
        if want <= self.slots.len() {
            return;
        }
        let mut slots = vec![0u64; want];
        let mask = want - 1;
        let mut off = 0;
        while off < self.arena.len() {
            let (n, start) = record(&self.arena, off);
            let h = self.key_hash(self.arena.get(start..start + n).unwrap_or_default());
            let mut i = h as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = KeySet::tag(h) | (off as u64 + 1);
            off = start + n;
        }
        self.slots = slots;
    }

    /// Frees the lookup table, keeping the keys (in order) for [`iter`](Self::iter):
    /// for a set whose lookups are over (lookups still answer, slowly, and the next
    /// insertion rebuilds the table).
    pub fn drop_table(&mut self) {
        self.slots = Vec::new();
    }

    /// Looks `key` up: `Ok(())` when present, else where it would go.
    #[inline]
    pub fn find(&self, key: &[u8]) -> Result<(), Vacancy> {
        self.find_hashed(self.key_hash(key), key)
    }

    /// [`KeySet::find`] for a key whose [`key_hash`](Self::key_hash) is already known (computed ahead,
    /// when its slot was [touched](KeySet::touch)).
    #[inline]
    pub fn find_hashed(&self, h: u64, key: &[u8]) -> Result<(), Vacancy> {
        if self.slots.is_empty() {
            // No table: empty, or dropped by `drop_table` (then the keys are searched
            // one by one; the next insertion rebuilds the table).
            return match self.iter().any(|k| k == key) {
                true => Ok(()),
                false => Err(Vacancy { hash: h, slot: 0 }),
            };
        }
        let mask = self.mask();
        let tag = KeySet::tag(h);
        let mut i = h as usize & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return Err(Vacancy { hash: h, slot: i });
            }
            if s & !OFF_MASK == tag && key_at(&self.arena, ((s & OFF_MASK) - 1) as usize) == key {
                return Ok(());
            }
            i = (i + 1) & mask;
        }
    }

    /// Prefetches the slot where a key of hash `h` is probed first, and returns at
    /// once: touching the keys of a batch of rows ahead of judging them lets the
    /// processor fetch their slots of a large table in parallel.
    #[inline]
    pub fn touch(&self, h: u64) {
        if let Some(s) = self.slots.get(h as usize & self.mask()) {
            prefetch(s);
        }
    }

    #[cfg(test)]
    pub fn contains(&self, key: &[u8]) -> bool {
        self.find(key).is_ok()
    }

    /// Inserts `key`, which [`find`](Self::find) just reported missing (no other
    /// insertion in between).
    #[inline]
    pub fn insert_at(&mut self, v: Vacancy, key: &[u8]) {
        let off = self.arena.len();
        let mut len = [0u8; 10];
        let n = varint(key.len() as u64, &mut len);
        self.arena.extend_from_slice(&len[..n]);
        self.arena.extend_from_slice(key);
        self.len += 1;
        if self.len + self.len / 3 >= self.slots.len() {
            // Past ¾ full (or no table yet): the grown table already holds the key.
            self.grow_to(self.len.saturating_mul(2));
            return;
        }
        self.slots[v.slot] = KeySet::tag(v.hash) | (off as u64 + 1);
    }

    /// Inserts `key`; false when it was already there.
    pub fn insert(&mut self, key: &[u8]) -> bool {
        match self.find(key) {
            Ok(()) => false,
            Err(v) => {
                self.insert_at(v, key);
                true
            }
        }
    }

    /// Where the set stands now, for [`truncate`](Self::truncate).
    pub(crate) fn mark(&self) -> (usize, usize) {
        (self.len, self.arena.len())
    }

    /// Forgets the keys inserted since `mark` (a batch that failed midway), and
    /// rebuilds the table from the keys left. The mark must be one this set gave;
    /// a later or foreign one changes nothing.
    pub(crate) fn truncate(&mut self, (len, arena): (usize, usize)) {
        if len > self.len || arena > self.arena.len() {
            return;
        }
        self.arena.truncate(arena);
        self.len = len;
        let size = self.slots.len();
        self.slots = Vec::new();
        if size > 0 {
            self.grow_to(len.max(size / 2));
        }
    }

    /// The keys, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut off = 0;
        std::iter::from_fn(move || {
            if off >= self.arena.len() {
                return None;
            }
            let (n, start) = record(&self.arena, off);
            off = start + n;
            self.arena.get(start..start + n)
        })
    }
}

/// Writes `v` as a LEB128 varint (seven bits a byte, low first, the high bit
/// set on all but the last) into `out`; returns its length. The length prefix of
/// a record, here and in `judge::partitions`.
#[inline]
pub(crate) fn varint(mut v: u64, out: &mut [u8; 10]) -> usize {
    let mut n = 0;
    while v >= 0x80 {
        out[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    out[n] = v as u8;
    n + 1
}

/// The length and start of the record (a [`varint`] length, then the bytes) at
/// `off` of `arena`.
#[inline]
pub(crate) fn record(arena: &[u8], off: usize) -> (usize, usize) {
    let mut n = 0usize;
    let mut shift = 0;
    let mut p = off;
    while let Some(&b) = arena.get(p) {
        p += 1;
        n |= ((b & 0x7f) as usize) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    (n, p)
}

/// The key of the record at `off`.
#[inline]
fn key_at(arena: &[u8], off: usize) -> &[u8] {
    let (n, start) = record(arena, off);
    arena.get(start..start + n).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_by_hand() {
        // 300 = 0b1_0010_1100 → low 7 bits 0101100 (0x2c) with the high bit set
        // (0xac), then 300 >> 7 = 2.
        let mut b = [0u8; 10];
        assert_eq!(varint(300, &mut b), 2);
        assert_eq!(&b[..2], &[0xac, 0x02]);
        assert_eq!(record(&b[..2], 0), (300, 2));
        assert_eq!(varint(5, &mut b), 1);
        assert_eq!(record(&[5], 0), (5, 1));
    }

    #[test]
    fn hash_filter_holds_exactly_its_prefixes() {
        // Prefixes 7, 2⁴⁰ − 1 and 2³⁹ given 2, 2 and 3 times: each is in the set
        // once; a hash is in it when its top 40 bits are one of them, whatever
        // its low 24 bits.
        let top = 1u64 << 39;
        let max = (1u64 << 40) - 1;
        let f = HashFilter::new(vec![7, max, top, 7, top, max, top]);
        assert_eq!(f.len(), 3);
        let hash = |p: u64, low: u64| (p << 24) | low;
        for h in [hash(7, 0), hash(7, 0xff_ffff), u64::MAX, 1 << 63, hash(top, 12_345)] {
            assert!(f.contains(h), "{h}");
        }
        for h in [
            0,
            0xff_ffff,
            hash(5, 0),
            hash(8, 0),
            hash(top + 1, 0),
            hash(6, 0xff_ffff),
        ] {
            assert!(!f.contains(h), "{h}");
        }
        assert!(!HashFilter::new(Vec::new()).contains(0));
        assert!(
            HashFilter::new(vec![0]).contains(0xff_ffff),
            "the prefix 0 is a prefix like any other"
        );
        // Sizes: 7 prefixes given → 8 → 2^3 · 32 = 2^8 bits, raised to 2^20 (2^14
        // words, shift 40 − 20 = 20), and 2 · 7 = 14 → 16 slots; 2^21 prefixes →
        // 2^26 bits (2^20 words, shift 14) and 2^22 slots.
        assert_eq!((f.bits.len(), f.shift, f.slots.len()), (1 << 14, 20, 16));
        let spread = |k: u64| prefix(k.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let big = HashFilter::new((0..1u64 << 21).map(spread).collect());
        assert_eq!(
            (big.bits.len(), big.shift, big.slots.len(), big.len()),
            (1 << 20, 14, 1 << 22, 1 << 21)
        );
        assert!(big.contains(hash(spread(5), 77)) && big.contains(3) && !big.contains(hash(spread(5) ^ 1, 0)));
        for k in 1..100_000u64 {
            assert!(big.contains(hash(spread(k), k & 0xff_ffff)));
            assert!(!big.contains(hash(spread(k) ^ 1, 0)));
        }
    }

    #[test]
    fn str_index_finds_exactly_its_keys() {
        let ix = StrIndex::new(["U001", "U002", "", "长江站", "U001"]);
        assert_eq!(ix.get("U001"), Some(0), "a repeated key keeps the first");
        assert_eq!(ix.get("U002"), Some(1));
        assert_eq!(ix.get(""), Some(2));
        assert_eq!(ix.get("长江站"), Some(3));
        assert_eq!(ix.get("U003"), None);
        assert_eq!(ix.get("U00"), None);
        assert_eq!(StrIndex::new([]).get("x"), None);
    }

    #[test]
    fn a_truncated_key_set_forgets_exactly_the_keys_after_its_mark() {
        let mut s = KeySet::new();
        let key = |k: u32| format!("B{k}").into_bytes();
        for k in 0..1_000 {
            assert!(s.insert(&key(k)));
        }
        let mark = s.mark();
        // 3,000 more: the table grows past the mark's size and must shrink back.
        for k in 1_000..4_000 {
            assert!(s.insert(&key(k)));
        }
        s.truncate(mark);
        assert_eq!(s.len(), 1_000);
        assert!((0..1_000).all(|k| s.contains(&key(k))));
        assert!((1_000..4_000).all(|k| !s.contains(&key(k))));
        assert_eq!(s.iter().count(), 1_000);
        assert!(s.insert(&key(1_500)), "a forgotten key can be taken again");
        assert!(!s.insert(&key(5)));
        // A mark from the future changes nothing.
        let before = s.len();
        s.truncate((before + 10, usize::MAX));
        assert_eq!(s.len(), before);
    }

    #[test]
    fn rater_key_sets_hash_as_the_judge_does_ahead() {
        // The judge hashes (unit, rater) with rater_hash before it writes the
        // key's bytes; the set must find the key under that hash, also after it
        // grew (every key rehashed from its bytes).
        let mut s = KeySet::for_rater_keys();
        let key = |unit: u32, r: &str| [&unit.to_le_bytes()[..], r.as_bytes()].concat();
        for k in 0..5_000u32 {
            assert!(s.insert(&key(k % 7, &format!("R{k}"))));
        }
        for k in 0..5_000u32 {
            let (u, r) = (k % 7, format!("R{k}"));
            assert_eq!(s.key_hash(&key(u, &r)), rater_hash(u, r.as_bytes()));
            assert!(
                s.find_hashed(rater_hash(u, r.as_bytes()), &key(u, &r)).is_ok(),
                "{u} {r}"
            );
            assert!(s.find_hashed(rater_hash(u + 1, r.as_bytes()), &key(u + 1, &r)).is_err());
        }
        // The unit is part of the hash; a plain set hashes the bytes whole.
        assert_ne!(rater_hash(0, b"R1"), rater_hash(1, b"R1"));
        assert_eq!(KeySet::new().key_hash(&key(3, "R1")), hash(&key(3, "R1")));
        // Too short to hold a unit: hashed whole.
        assert_eq!(s.key_hash(b"abc"), hash(b"abc"));
    }

    #[test]
    fn key_set_is_exact_and_keeps_insertion_order() {
        let mut s = KeySet::new();
        let keys: Vec<Vec<u8>> = (0..50_000u32)
            .map(|k| {
                let mut v = k.to_le_bytes().to_vec();
                v.extend(format!("R{:0w$}", k % 977, w = (k % 5) as usize).bytes());
                v
            })
            .collect();
        for k in &keys {
            assert!(s.insert(k));
        }
        assert_eq!(s.len(), keys.len());
        for k in &keys {
            assert!(!s.insert(k), "second insertion is refused");
            assert!(s.contains(k));
        }
        assert!(!s.contains(b"absent"));
        let mut dropped = s.clone();
        dropped.drop_table();
        assert!(
            dropped.contains(&keys[7]) && !dropped.contains(b"absent"),
            "lookups still answer"
        );
        assert!(
            !dropped.insert(&keys[9]) && dropped.insert(b"new"),
            "and insertions rebuild the table"
        );
        assert!(dropped.contains(&keys[11]) && dropped.contains(b"new"));
        assert_eq!(dropped.iter().count(), keys.len() + 1);
        assert!(!s.contains(b""));
        assert!(s.insert(b""), "the empty key is a key like any other");
        let long = vec![7u8; 300];
        assert!(s.insert(&long));
        assert!(s.contains(&long) && !s.contains(&long[..299]));
        let back: Vec<&[u8]> = s.iter().collect();
        assert_eq!(back.len(), keys.len() + 2);
        assert!(back.iter().zip(&keys).all(|(a, b)| *a == &b[..]));
        assert_eq!(back[keys.len() + 1], &long[..]);
    }
}
