//! Records split by hash into 256 partitions, held in memory up to a budget and
//! spilled past it to one anonymous temporary file; read back one partition at
//! a time.
//!
//! Why: two questions of a run are about every row and cannot be answered from
//! a fixed amount of memory in one go — which duplicate keys occur more than
//! once (the pre-pass of `count::parquet`, so that only those are kept in the
//! exact key sets), and how many units each rater appraised (the `rater_spread`
//! flag, SPEC §7). Both are answered per partition: equal records share a
//! partition, so a partition read back alone (about 1/256 of the records) holds
//! every copy of its records. With 10⁸ ballots the key sets took 3.4 GiB; the
//! partitions take at most their budget, and the disk the rest.
//!
//! As with the spill of `judge::rejects`, writing cannot fail a
//! push (the hot loop goes on): the first write error is kept and returned by
//! every read, so a full disk stops the run instead of losing records.

use crate::error::{Error, Result};
use crate::judge::keys::{PREFIX_BITS, prefix};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};

/// Number of partitions: a record's partition is the top byte of its hash.
pub(crate) const PARTS: usize = 256;

/// Bytes of records held in memory by default before the rest go to the
/// temporary file (64 MiB).
pub const MEMORY_BUDGET: usize = 64 << 20;

/// Records in [`PARTS`] partitions (see the module's documentation).
pub(crate) struct Partitions {
    bufs: Vec<Vec<u8>>,
    /// Bytes a partition holds in memory before they are appended to the file.
    chunk: usize,
    spill: Option<File>,
    /// Per partition, its spilled chunks: (offset, length) in the file.
    chunks: Vec<Vec<(u64, usize)>>,
    /// End of the file (where the next chunk goes).
    end: u64,
    /// The first spill error, kept until a read.
    failed: Option<(std::io::ErrorKind, String)>,
    /// What the records are, for an error message.
    what: &'static str,
}

impl std::fmt::Debug for Partitions {
    /// The sizes, not the records (up to the whole budget of bytes).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partitions")
            .field("what", &self.what)
            .field("in_memory_bytes", &self.bufs.iter().map(Vec::len).sum::<usize>())
            .field("spilled_bytes", &self.end)
            .field("failed", &self.failed)
            .finish()
    }
}

impl Partitions {
    /// Empty partitions holding at most about `budget` bytes in memory; `what`
    /// names the records in an error ("the ballot ids of the repeated-key pass").
    pub(crate) fn new(budget: usize, what: &'static str) -> Partitions {
        Partitions {
            bufs: vec![Vec::new(); PARTS],
            chunk: (budget / PARTS).max(1),
            spill: None,
            chunks: vec![Vec::new(); PARTS],
            end: 0,
            failed: None,
            what,
        }
    }

    /// Appends a record (`head` then `body`) to the partition of hash `h` (its
    /// top byte).
    #[inline]
    pub(crate) fn push(&mut self, h: u64, head: &[u8], body: &[u8]) {
        let p = (h >> 56) as usize;
        self.bufs[p].extend_from_slice(head);
        self.bufs[p].extend_from_slice(body);
        if self.bufs[p].len() >= self.chunk {
            self.flush(p);
        }
    }

    /// Appends partition `p`'s buffer to the temporary file.
    #[cold]
    fn flush(&mut self, p: usize) {
        if self.failed.is_some() {
            self.bufs[p].clear();
            return;
        }
        let end = self.end;
        let buf = &self.bufs[p];
        let written = (|| {
            let f = match self.spill.take() {
                Some(f) => f,
                None => tempfile::tempfile()?,
            };
            let f = self.spill.insert(f);
            f.seek(SeekFrom::Start(end))?;
            f.write_all(buf)
        })();
        match written {
            Ok(()) => {
                self.chunks[p].push((end, buf.len()));
                self.end += buf.len() as u64;
            }
            Err(e) => self.failed = Some((e.kind(), e.to_string())),
        }
        self.bufs[p].clear();
    }

    /// Bytes written to the temporary file so far.
    pub(crate) fn spilled_bytes(&self) -> u64 {
        self.end
    }

    /// The records of partition `p`, in the order they were pushed, into `out`
    /// (cleared first). Reads at positions, so threads may read partitions at
    /// once.
    pub(crate) fn read(&self, p: usize, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        if let Some((kind, message)) = &self.failed {
            return Err(self.error(std::io::Error::new(*kind, message.clone())));
        }
        if let Some(f) = self.spill.as_ref() {
            let read = (|| {
                for &(at, len) in &self.chunks[p] {
                    let start = out.len();
                    out.resize(start + len, 0);
                    read_at(f, &mut out[start..], at)?;
                }
                Ok(())
            })();
            if let Err(e) = read {
                return Err(self.error(e));
            }
        }
        out.extend_from_slice(&self.bufs[p]);
        Ok(())
    }

    /// An error of the temporary file, naming its folder and what to do.
    fn error(&self, e: std::io::Error) -> Error {
        let message = format!(
            "the temporary file holding {} past the memory budget: {e}; set TMPDIR to a folder with room",
            self.what
        );
        Error::io(&std::env::temp_dir(), std::io::Error::new(e.kind(), message))
    }
}

/// Fills `buf` from `f` at offset `at`, without moving a shared file position.
fn read_at(f: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(f, buf, at)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            match std::os::windows::fs::FileExt::seek_read(f, &mut buf[done..], at + done as u64)? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => done += n,
            }
        }
        Ok(())
    }
    #[cfg(not(any(unix, windows)))]
    {
        // No positional reads here: seek, then read (partitions are then read
        // one at a time by their callers' single thread).
        use std::io::Read;
        let mut f = f;
        f.seek(SeekFrom::Start(at))?;
        f.read_exact(buf)
    }
}

/// 64-bit hashes in partitions, to find those whose [`prefix`] occurs more than
/// once.
///
/// Why prefixes: a hash is kept as 4 bytes (its partition, the top byte, is
/// where it is kept), half the 8 of the whole hash; a run of 10⁸ ballots wrote
/// 1.6 GB of them to disk and read them back, in a seventh of its time. The
/// answer is still exact where it matters: a repeated prefix only makes the
/// judge check that key exactly, and two of 10⁸ distinct keys share a 40-bit
/// prefix about 4,500 times in all (10¹⁶ / 2 pairs over 2⁴⁰), a few more keys
/// held exactly.
#[derive(Debug)]
pub(crate) struct HashCounter {
    parts: Partitions,
}

#[cfg_attr(not(feature = "parquet"), allow(dead_code))] // only the Parquet reader asks
impl HashCounter {
    /// An empty counter (see [`Partitions::new`]).
    pub(crate) fn new(budget: usize, what: &'static str) -> HashCounter {
        HashCounter {
            parts: Partitions::new(budget, what),
        }
    }

    /// Adds one occurrence of `h` (of its prefix): the 32 prefix bits below the
    /// partition's byte.
    #[inline]
    pub(crate) fn push(&mut self, h: u64) {
        self.parts.push(h, &(prefix(h) as u32).to_le_bytes(), &[]);
    }

    /// The [`prefix`]es pushed more than once, each once, in increasing order.
    ///
    /// Each partition's prefixes are spread into [`SUBS`] shares by their next
    /// five bits, and each share counted in an open-addressing table twice its
    /// size (linear probing on the prefix's low bits, which neither partition nor
    /// share fixes), small enough to stay in cache at 10⁸ ballots (400,000
    /// prefixes a partition). Sorting each partition took a tenth of a 10⁷-row
    /// run's wall time.
    pub(crate) fn repeated(self) -> Result<Vec<u64>> {
        let mut buf = Vec::new();
        // A partition's values (the prefix's low 32 bits), spread into SUBS
        // shares by their top bits so that each share's table stays in cache (a
        // partition at 10⁸ ballots holds 400,000: one table of them missed it).
        let mut spread: Vec<u32> = Vec::new();
        // Slot: the value plus one (0 = empty), bit 40 set once it is seen again.
        const AGAIN: u64 = 1 << 40;
        let mut table: Vec<u64> = Vec::new();
        let mut out = Vec::new();
        for p in 0..PARTS {
            self.parts.read(p, &mut buf)?;
            let values = || {
                buf.chunks_exact(4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            };
            // The value is bits 24..56 of the hash: put back, it has its share.
            let starts = by_share(values, |&v| sub_of(u64::from(v) << (64 - PREFIX_BITS)), &mut spread);
            let high = (p as u64) << (PREFIX_BITS - 8);
            for k in 0..SUBS {
                let vals = &spread[starts[k]..starts[k + 1]];
                let size = vals.len().saturating_mul(2).max(16).next_power_of_two();
                table.clear();
                table.resize(size, 0);
                let mask = size - 1;
                for &v in vals {
                    let key = u64::from(v) + 1;
                    let mut i = v as usize & mask;
                    loop {
                        let slot = &mut table[i];
                        if *slot & !AGAIN == key {
                            *slot |= AGAIN;
                            break;
                        }
                        if *slot == 0 {
                            *slot = key;
                            break;
                        }
                        i = (i + 1) & mask;
                    }
                }
                out.extend(
                    table
                        .iter()
                        .filter(|&&s| s & AGAIN != 0)
                        .map(|&s| high | ((s & !AGAIN) - 1)),
                );
            }
        }
        out.sort_unstable();
        Ok(out)
    }
}

/// The rater ids of a run's valid ballots, one per valid ballot with a rater
/// (each (unit, rater) pair is on at most one valid ballot, so a rater's count
/// is the number of units they appraised): what the `rater_spread` flag counts
/// (SPEC §7). Held in memory up to a budget ([`MEMORY_BUDGET`] by default), the
/// rest in an anonymous temporary file, so that a run of 10⁸ ballots by 10⁸
/// raters counts them in bounded memory; the counts are exact per rater id (no
/// hash stands in for an id).
///
/// ```
/// use appraise::judge::partitions::RaterLog;
/// let mut log = RaterLog::with_budget(0); // spill everything, as a huge run would
/// for r in ["R1", "R2", "R1", "R1"] {
///     log.push(r);
/// }
/// let mut counts = Vec::new();
/// log.counts(|rater, n| counts.push((rater.to_string(), n)))?;
/// counts.sort();
/// assert_eq!(counts, [("R1".to_string(), 3), ("R2".to_string(), 1)]);
/// # Ok::<(), appraise::Error>(())
/// ```
#[derive(Debug)]
pub struct RaterLog {
    parts: Partitions,
    len: u64,
}

impl Default for RaterLog {
    fn default() -> RaterLog {
        RaterLog::new()
    }
}

impl RaterLog {
    /// An empty log holding up to [`MEMORY_BUDGET`] bytes in memory.
    pub fn new() -> RaterLog {
        RaterLog::with_budget(MEMORY_BUDGET)
    }

    /// An empty log holding up to about `budget` bytes in memory.
    pub fn with_budget(budget: usize) -> RaterLog {
        RaterLog {
            parts: Partitions::new(budget, "the rater ids of the valid ballots"),
            len: 0,
        }
    }

    /// A log of the raters of (unit index, rater) keys (a validator's `rater_keys`).
    pub fn from_keys<'k>(keys: impl IntoIterator<Item = (usize, &'k str)>) -> RaterLog {
        let mut log = RaterLog::new();
        for (_, r) in keys {
            log.push(r);
        }
        log
    }

    /// Logs one valid ballot of `rater` (not blank).
    #[inline]
    pub fn push(&mut self, rater: &str) {
        let mut len = [0u8; 10];
        let n = crate::judge::keys::varint(rater.len() as u64, &mut len);
        let h = crate::judge::keys::hash(rater.as_bytes());
        self.parts.push(h, &len[..n], rater.as_bytes());
        self.len += 1;
    }

    /// Ballots logged.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no ballot was logged.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes written to the temporary file so far (0 while the log fits its budget).
    pub fn spilled_bytes(&self) -> u64 {
        self.parts.spilled_bytes()
    }

    /// Calls `f` once per distinct rater with the number of times it was
    /// logged, partition by partition, in no particular order. Memory: one
    /// partition at a time (about 1/256 of the log) and its distinct raters.
    /// Errors when the temporary file could not be written or read.
    pub fn counts(&mut self, mut f: impl FnMut(&str, u64)) -> Result<()> {
        let mut buf = Vec::new();
        for p in 0..PARTS {
            self.count_partition(p, &mut buf, &mut |r, n| {
                f(std::str::from_utf8(r).unwrap_or_default(), n)
            })?;
        }
        Ok(())
    }

    /// [`counts`](Self::counts) on `threads` threads, each rater id as the bytes
    /// of its text (always UTF-8: only `&str` are logged): each thread claims
    /// the next partition not yet counted and calls `add` on its own
    /// accumulator (made by `init`); the accumulators come back in thread order,
    /// for the caller to combine (which rater lands in which one varies from run
    /// to run: combine them in a way that does not depend on it). Memory: one
    /// partition per thread. The first error of any thread is returned.
    pub(crate) fn counts_each<A: Send>(
        &self,
        threads: usize,
        init: impl Fn() -> A + Sync,
        add: impl Fn(&mut A, &[u8], u64) + Sync,
    ) -> Result<Vec<A>> {
        let parts = crate::par::claim_each(
            threads,
            PARTS,
            || (init(), Vec::new()),
            |(acc, buf), p| self.count_partition(p, buf, &mut |r, n| add(acc, r, n)),
        )?;
        Ok(parts.into_iter().map(|(acc, _)| acc).collect())
    }

    /// Counts partition `p` (read into `buf`) and calls `f` once per distinct rater.
    ///
    /// The partition's records are first spread by [`SUBS`] more bits of their
    /// hash, then each share is counted in an open-addressing table that stays
    /// in cache (the hash in the slot, so that only a record of the same hash
    /// has its bytes compared). One table for a whole partition — about 4 MB of
    /// ids at 10⁸ ballots — missed the cache on nearly every record: a general
    /// hash map took six seconds of such a run.
    fn count_partition(&self, p: usize, buf: &mut Vec<u8>, f: &mut dyn FnMut(&[u8], u64)) -> Result<()> {
        self.parts.read(p, buf)?;
        let body = |off: u64| -> &[u8] {
            let (len, start) = crate::judge::keys::record(buf, off as usize);
            &buf[start..start.saturating_add(len).min(buf.len())]
        };
        // (hash, record offset) of every record, then in order of their share.
        let mut recs: Vec<(u64, u64)> = Vec::with_capacity(buf.len() / 8);
        let mut at = 0;
        while at < buf.len() {
            let (len, start) = crate::judge::keys::record(buf, at);
            let end = start.saturating_add(len).min(buf.len());
            recs.push((crate::judge::keys::hash(&buf[start..end]), at as u64));
            at = end;
        }
        let mut spread = Vec::new();
        let starts = by_share(|| recs.iter().copied(), |r| sub_of(r.0), &mut spread);
        drop(recs);
        // Slot: (hash, record offset, count); count 0 = empty.
        let mut table: Vec<(u64, u64, u64)> = Vec::new();
        for k in 0..SUBS {
            let share = &spread[starts[k]..starts[k + 1]];
            let size = share.len().saturating_mul(2).max(16).next_power_of_two();
            table.clear();
            table.resize(size, (0, 0, 0));
            let mask = size - 1;
            for &(h, off) in share {
                let mut i = h as usize & mask;
                loop {
                    let slot = &mut table[i];
                    if slot.2 == 0 {
                        *slot = (h, off, 1);
                        break;
                    }
                    if slot.0 == h && body(slot.1) == body(off) {
                        slot.2 += 1;
                        break;
                    }
                    i = (i + 1) & mask;
                }
            }
            for &(_, off, n) in table.iter().filter(|s| s.2 > 0) {
                f(body(off), n);
            }
        }
        Ok(())
    }
}

/// Shares a partition is counted in, by five more bits of the hash.
const SUBS: usize = 32;

/// The share of a record of hash `h`: the five bits below the partition's byte.
#[inline]
fn sub_of(h: u64) -> usize {
    (h >> 51) as usize & (SUBS - 1)
}

/// Puts what `items` yields (called twice) into `out` share by share, a
/// counting sort on `share` (below [`SUBS`]): share k is
/// `out[starts[k]..starts[k + 1]]` for the `starts` returned. Both counts of
/// repeats ([`HashCounter::repeated`], [`RaterLog`]) split a partition this way,
/// so that each share's table stays in cache.
fn by_share<T: Copy + Default, I: Iterator<Item = T>>(
    items: impl Fn() -> I,
    share: impl Fn(&T) -> usize,
    out: &mut Vec<T>,
) -> [usize; SUBS + 1] {
    let mut starts = [0usize; SUBS + 1];
    for t in items() {
        starts[share(&t) + 1] += 1;
    }
    for k in 0..SUBS {
        starts[k + 1] += starts[k];
    }
    out.clear();
    out.resize(starts[SUBS], T::default());
    let mut next = starts;
    for t in items() {
        let k = share(&t);
        out[next[k]] = t;
        next[k] += 1;
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_hashes_are_the_same_in_memory_or_spilled() {
        // Prefixes 1..=1000 once, every multiple of 7 a second time, 500 three
        // times, spread over the partitions (rotating right by 10 moves the low
        // bits into the top byte) and given as whole hashes with other low bits
        // each time (which the count ignores): the repeated prefixes are the 142
        // multiples of 7 up to 994 plus 500, 143 in all.
        let spread = |k: u64| k.rotate_right(10) >> (64 - PREFIX_BITS);
        let hash = |k: u64, low: u64| (spread(k) << (64 - PREFIX_BITS)) | low;
        let fill = |c: &mut HashCounter| {
            for k in 1..=1000u64 {
                c.push(hash(k, k));
                if k % 7 == 0 {
                    c.push(hash(k, 0xff_ffff));
                }
            }
            c.push(hash(500, 1));
            c.push(hash(500, 2));
        };
        let mut memory = HashCounter::new(usize::MAX, "test hashes");
        let mut disk = HashCounter::new(0, "test hashes");
        fill(&mut memory);
        fill(&mut disk);
        assert_eq!(memory.parts.spilled_bytes(), 0);
        // 1000 + 142 + 2 pushes of 4 bytes.
        assert_eq!(disk.parts.spilled_bytes(), 1144 * 4);
        let mut want: Vec<u64> = (1..=1000u64).filter(|k| k % 7 == 0 || *k == 500).map(spread).collect();
        want.sort_unstable();
        assert_eq!(want.len(), 143);
        assert_eq!(memory.repeated().unwrap(), want);
        assert_eq!(disk.repeated().unwrap(), want);
    }

    #[test]
    fn repeated_hashes_survive_probe_chains_and_the_prefix_zero() {
        // 49 prefixes of one partition with equal low 8 bits (one probe chain in
        // the table), the odd ones pushed twice; the prefix 0 (hashes below 2²⁴)
        // pushed once, then twice.
        let prefix_of = |k: u64| (k << 8) | 5;
        let h = |k: u64| prefix_of(k) << (64 - PREFIX_BITS);
        let mut c = HashCounter::new(usize::MAX, "test hashes");
        for k in 1..50u64 {
            c.push(h(k));
            if k % 2 == 1 {
                c.push(h(k));
            }
        }
        c.push(0);
        let want: Vec<u64> = (1..50u64).filter(|k| k % 2 == 1).map(prefix_of).collect();
        assert_eq!(want.len(), 25);
        assert_eq!(c.repeated().unwrap(), want, "0 once is not repeated");
        let mut c = HashCounter::new(usize::MAX, "test hashes");
        c.push(0);
        c.push(1 << 30);
        c.push(0xff_ffff);
        assert_eq!(c.repeated().unwrap(), [0], "0 and 2²⁴ − 1 share the prefix 0");
    }

    #[test]
    fn rater_counts_are_exact_whatever_the_budget() {
        // R0 … R299 once each; "R7" on 4 more ballots (5 in all), "长" (3 bytes)
        // twice, and a 200-byte id (a two-byte varint) 3 times.
        let long = "x".repeat(200);
        let mut want: std::collections::BTreeMap<String, u64> = (0..300).map(|i| (format!("R{i}"), 1)).collect();
        want.insert("R7".into(), 5);
        want.insert("长".into(), 2);
        want.insert(long.clone(), 3);
        for budget in [0, 1000, usize::MAX] {
            let mut log = RaterLog::with_budget(budget);
            for i in 0..300 {
                log.push(&format!("R{i}"));
            }
            for r in ["R7", "长", "R7", &long, "长", "R7", &long, &long, "R7"] {
                log.push(r);
            }
            assert_eq!(log.len(), 309);
            let mut got = std::collections::BTreeMap::new();
            log.counts(|r, n| assert!(got.insert(r.to_string(), n).is_none(), "{r} twice"))
                .unwrap();
            assert_eq!(got, want, "budget {budget}");
            if budget == usize::MAX {
                assert_eq!(log.spilled_bytes(), 0);
            } else {
                assert!(log.spilled_bytes() > 0);
            }
        }
    }

    /// Many raters in one log, so that every partition spreads over all its
    /// shares and their tables hold thousands: rater `k` (of 200,000) appears
    /// `k % 3 + 1` times, pushed in rounds, so copies are far apart. Counts
    /// equal a plain count, in memory and spilled.
    #[test]
    fn rater_counts_are_exact_for_many_raters() {
        let raters = 200_000usize;
        for budget in [usize::MAX, 1 << 16] {
            let mut log = RaterLog::with_budget(budget);
            for round in 0..3 {
                for k in (0..raters).filter(|k| k % 3 >= round) {
                    log.push(&format!("R{k}"));
                }
            }
            // Σ (k % 3 + 1) over k < 200,000: 66,667 ones, 66,667 twos, 66,666 threes.
            assert_eq!(log.len(), 66_667 + 2 * 66_667 + 3 * 66_666);
            let mut seen = vec![0u64; raters];
            let mut distinct = 0;
            log.counts(|r, n| {
                let k: usize = r[1..].parse().expect("id");
                assert_eq!(seen[k], 0, "{r} twice");
                seen[k] = n;
                distinct += 1;
            })
            .unwrap();
            assert_eq!(distinct, raters);
            assert!(
                seen.iter().enumerate().all(|(k, &n)| n == (k % 3 + 1) as u64),
                "budget {budget}"
            );
        }
    }

    #[test]
    fn a_spill_that_cannot_be_written_fails_the_read() {
        let mut log = RaterLog::with_budget(0);
        log.parts.failed = Some((std::io::ErrorKind::StorageFull, "no space left".into()));
        log.push("R1");
        let e = log.counts(|_, _| {}).unwrap_err().to_string();
        assert!(e.contains("rater ids") && e.contains("TMPDIR"), "{e}");
    }
}
