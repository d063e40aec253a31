//! The rejected ballots of a run, in the order they were judged: held in memory
//! up to a budget, the rest spilled to an anonymous temporary file.
//!
//! Why: a ballot file can hold tens of millions of rows that are all rejected (a
//! wrong roster, one ballot id repeated, a 300 KB Parquet file of 5·10⁷ equal
//! rows). Each reject is about 100–250 bytes in memory, so holding them all took
//! 20 GB for 5·10⁷ rows; `rejects.csv` must still list every one (SPEC §5). Past
//! [`MEMORY_BUDGET`] bytes, rejects are written to a temporary file (unlinked at
//! once, so nothing is left behind even when the process is killed) and read back
//! in order when they are listed. Memory then stays flat whatever the share of
//! rejected rows; the file holds about 40 bytes per reject plus its texts.
//!
//! Writing the spill cannot fail a push (readers judge millions of rows in a
//! tight loop): the first write error is kept and returned by
//! [`Rejects::check`], [`Rejects::for_each`] and everything that lists the
//! rejects, so a full disk stops the run rather than losing rows.

use crate::error::{Error, Result};
use crate::judge::ballots::{Reason, Reject};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Bytes of rejects held in memory before the rest go to a temporary file
/// (64 MiB: about half a million rejects of common size).
pub const MEMORY_BUDGET: usize = 64 << 20;

/// The rejected ballots of a run, in judging order (file by file, row by row).
///
/// Cloning is cheap: a clone shares the spilled part until one of them pushes,
/// which then copies what it owns to a file of its own.
///
/// ```
/// use appraise::judge::ballots::{Reason, Reject};
/// use appraise::judge::rejects::Rejects;
/// let mut rejects = Rejects::with_budget(0); // spill everything, as a huge run would
/// for row in 2..5 {
///     let detail = format!("int1=9 on row {row}");
///     rejects.push(Reject { row, ballot_id: format!("B{row}"), reason: Reason::BadCode, detail, file: 0 });
/// }
/// assert_eq!(rejects.len(), 3);
/// assert_eq!(rejects.spilled(), 3);
/// let rows: Vec<u64> = rejects.to_vec()?.iter().map(|r| r.row).collect();
/// assert_eq!(rows, [2, 3, 4]);
/// # Ok::<(), appraise::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Rejects {
    head: Vec<Reject>,
    /// Estimated heap bytes of `head`.
    head_bytes: usize,
    budget: usize,
    /// The spilled rejects; this value owns the first `spilled` records.
    spill: Option<Arc<Mutex<SpillFile>>>,
    spilled: usize,
    /// The first spill error, kept until asked for.
    failed: Option<(std::io::ErrorKind, String)>,
    /// The folder of the temporary file (`None`: the system's, `TMPDIR`).
    dir: Option<PathBuf>,
}

impl Default for Rejects {
    fn default() -> Rejects {
        Rejects::new()
    }
}

impl PartialEq for Rejects {
    /// Equal when they list the same rejects (a spill that cannot be read
    /// compares unequal).
    fn eq(&self, other: &Rejects) -> bool {
        self.len() == other.len()
            && match (self.to_vec(), other.to_vec()) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            }
    }
}

/// The temporary file and how many records it holds.
#[derive(Debug)]
struct SpillFile {
    w: BufWriter<File>,
    records: usize,
    /// The detail of the last record written ([`encode`]).
    last: String,
}

impl Rejects {
    /// No rejects, spilling past [`MEMORY_BUDGET`].
    pub fn new() -> Rejects {
        Rejects::with_budget(MEMORY_BUDGET)
    }

    /// No rejects, spilling past `budget` bytes (0: every reject to the file;
    /// `usize::MAX`: never).
    pub fn with_budget(budget: usize) -> Rejects {
        Rejects {
            head: Vec::new(),
            head_bytes: 0,
            budget,
            spill: None,
            spilled: 0,
            failed: None,
            dir: None,
        }
    }

    /// No rejects, spilling past `budget` bytes into a temporary file in `dir`
    /// rather than the system's temporary folder (a disk with room).
    pub fn with_budget_in(budget: usize, dir: impl Into<PathBuf>) -> Rejects {
        Rejects {
            dir: Some(dir.into()),
            ..Rejects::with_budget(budget)
        }
    }

    /// How many rejects.
    pub fn len(&self) -> usize {
        self.head.len() + self.spilled
    }

    /// No rejects at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many rejects are in the temporary file rather than in memory.
    pub fn spilled(&self) -> usize {
        self.spilled
    }

    /// The rejects held in memory: all of them when [`spilled`](Self::spilled) is
    /// 0, else the first ones.
    pub fn in_memory(&self) -> &[Reject] {
        &self.head
    }

    /// Adds a reject after the others. A failure to write the temporary file is
    /// kept and returned by [`check`](Self::check) and every listing.
    pub fn push(&mut self, r: Reject) {
        let size = std::mem::size_of::<Reject>() + r.ballot_id.len() + r.detail.len();
        if self.spilled == 0 && self.head_bytes.saturating_add(size) <= self.budget {
            self.head_bytes += size;
            self.head.push(r);
            return;
        }
        // After a failure the reject is only counted: every listing fails anyway.
        if self.failed.is_none()
            && let Err(e) = self.spill_one(&r)
        {
            self.failed = Some((e.kind(), e.to_string()));
        }
        self.spilled += 1;
    }

    /// Adds every reject of `other` after these, with `file` mapped by `file_of`
    /// (used to give a batch's rejects their index among all batches).
    pub fn append(&mut self, other: &Rejects, mut file_of: impl FnMut(usize) -> usize) -> Result<()> {
        if let (Some(a), Some(b)) = (&self.spill, &other.spill)
            && Arc::ptr_eq(a, b)
        {
            // A clone of ourselves: copy our spill first, so that listing `other`
            // and writing ours never take the same lock.
            if let Err(e) = self.own_spill() {
                return Err(self.spill_error(e));
            }
        }
        other.for_each(|r| {
            let mut r = r.clone();
            r.file = file_of(r.file);
            self.push(r);
            Ok(())
        })?;
        self.check()
    }

    /// The first error met writing the temporary file, if any.
    pub fn check(&self) -> Result<()> {
        match &self.failed {
            None => Ok(()),
            Some((kind, message)) => Err(self.spill_error(std::io::Error::new(*kind, message.clone()))),
        }
    }

    /// Calls `f` on every reject in order, stopping at its first error.
    pub fn for_each(&self, f: impl FnMut(&Reject) -> Result<()>) -> Result<()> {
        self.visit(usize::MAX, f)
    }

    /// The first `n` rejects (all when there are fewer).
    pub fn first(&self, n: usize) -> Result<Vec<Reject>> {
        let mut out = Vec::with_capacity(n.min(self.len()));
        self.visit(n, |r| {
            out.push(r.clone());
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `f` on the first `limit` rejects in order, stopping at its first
    /// error.
    fn visit(&self, limit: usize, mut f: impl FnMut(&Reject) -> Result<()>) -> Result<()> {
        self.check()?;
        for r in self.head.iter().take(limit) {
            f(r)?;
        }
        let limit = limit.saturating_sub(self.head.len()).min(self.spilled);
        if limit == 0 {
            return Ok(());
        }
        let Some(spill) = &self.spill else {
            return Ok(());
        };
        let mut result = Ok(());
        lock(spill)
            .read_back(limit, |r| {
                result = f(&r);
                result.is_ok()
            })
            .map_err(|e| self.spill_error(e))?;
        result
    }

    /// Every reject, read into memory (for tests and small runs).
    pub fn to_vec(&self) -> Result<Vec<Reject>> {
        self.first(usize::MAX)
    }

    fn spill_one(&mut self, r: &Reject) -> std::io::Result<()> {
        self.own_spill()?.write(r)
    }

    /// The spill this value alone writes to, holding exactly its spilled records:
    /// the one it has, a fresh one, or a copy when a clone shares it.
    fn own_spill(&mut self) -> std::io::Result<&mut SpillFile> {
        let own = match &mut self.spill {
            Some(s) => {
                Arc::get_mut(s).is_some_and(|s| s.get_mut().unwrap_or_else(|p| p.into_inner()).records == self.spilled)
            }
            None => false,
        };
        if !own {
            let mut fresh = SpillFile {
                w: BufWriter::with_capacity(
                    1 << 16,
                    match &self.dir {
                        Some(d) => tempfile::tempfile_in(d)?,
                        None => tempfile::tempfile()?,
                    },
                ),
                records: 0,
                last: String::new(),
            };
            if let Some(shared) = &self.spill {
                let mut written = Ok(());
                lock(shared).read_back(self.spilled, |r| {
                    written = fresh.write(&r);
                    written.is_ok()
                })?;
                written?;
            }
            self.spill = Some(Arc::new(Mutex::new(fresh)));
        }
        match self.spill.as_mut().and_then(Arc::get_mut) {
            Some(spill) => Ok(spill.get_mut().unwrap_or_else(|p| p.into_inner())),
            None => Err(std::io::Error::other("the spill file is shared")),
        }
    }
}

/// The spill file, even if a listing's callback panicked while holding it
/// (reading changes no record).
fn lock(spill: &Mutex<SpillFile>) -> std::sync::MutexGuard<'_, SpillFile> {
    spill.lock().unwrap_or_else(|p| p.into_inner())
}

impl SpillFile {
    /// Appends one record.
    fn write(&mut self, r: &Reject) -> std::io::Result<()> {
        encode(&mut self.w, r, &mut self.last)?;
        self.records += 1;
        Ok(())
    }

    /// Reads the first `n` records back in order, handing each to `f` until it
    /// returns `false`; later appends still go to the end.
    fn read_back(&mut self, n: usize, mut f: impl FnMut(Reject) -> bool) -> std::io::Result<()> {
        self.w.flush()?;
        let mut from = self.w.get_ref().try_clone()?;
        from.seek(SeekFrom::Start(0))?;
        let mut reader = BufReader::with_capacity(1 << 16, from);
        let mut last = String::new();
        for _ in 0..n {
            if !f(decode(&mut reader, &mut last)?) {
                break;
            }
        }
        // The clone shares the file offset: put it back at the end for appends.
        self.w.get_mut().seek(SeekFrom::End(0))?;
        Ok(())
    }
}

impl FromIterator<Reject> for Rejects {
    fn from_iter<I: IntoIterator<Item = Reject>>(iter: I) -> Rejects {
        let mut out = Rejects::new();
        for r in iter {
            out.push(r);
        }
        out
    }
}

impl From<Vec<Reject>> for Rejects {
    fn from(v: Vec<Reject>) -> Rejects {
        v.into_iter().collect()
    }
}

impl serde::Serialize for Rejects {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.len()))?;
        let mut failed = None;
        let read = self.for_each(|r| {
            if failed.is_none()
                && let Err(e) = seq.serialize_element(r)
            {
                failed = Some(e);
            }
            Ok(())
        });
        if let Some(e) = failed {
            return Err(e);
        }
        read.map_err(S::Error::custom)?;
        seq.end()
    }
}

impl<'de> serde::Deserialize<'de> for Rejects {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Rejects, D::Error> {
        struct Seq;
        impl<'de> serde::de::Visitor<'de> for Seq {
            type Value = Rejects;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of rejected ballots")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> std::result::Result<Rejects, A::Error> {
                let mut out = Rejects::new();
                while let Some(r) = a.next_element::<Reject>()? {
                    out.push(r);
                }
                out.check().map_err(serde::de::Error::custom)?;
                Ok(out)
            }
        }
        d.deserialize_seq(Seq)
    }
}

impl Rejects {
    /// An error of the temporary file, naming its folder and what to do.
    fn spill_error(&self, e: std::io::Error) -> Error {
        let (dir, hint) = match &self.dir {
            Some(d) => (d.clone(), "name a folder with room"),
            None => (std::env::temp_dir(), "set TMPDIR to a folder with room"),
        };
        let message = format!("the temporary file holding rejected ballots past the memory budget: {e}; {hint}");
        Error::io(&dir, std::io::Error::new(e.kind(), message))
    }
}

/// Length written for a detail equal to the previous record's.
const SAME_DETAIL: u64 = u64::MAX;

/// One record: row (u64), file (u64), reason (u8), then the ballot id and the
/// detail, each as a u64 length and its bytes; little-endian. A detail equal to
/// the one before (`last`) is written as the length [`SAME_DETAIL`] alone: a
/// miscoded column repeats one detail of about 100 bytes on every row.
fn encode(w: &mut impl Write, r: &Reject, last: &mut String) -> std::io::Result<()> {
    w.write_all(&r.row.to_le_bytes())?;
    w.write_all(&(r.file as u64).to_le_bytes())?;
    w.write_all(&[r.reason.index() as u8])?;
    w.write_all(&(r.ballot_id.len() as u64).to_le_bytes())?;
    w.write_all(r.ballot_id.as_bytes())?;
    if r.detail == *last {
        return w.write_all(&SAME_DETAIL.to_le_bytes());
    }
    w.write_all(&(r.detail.len() as u64).to_le_bytes())?;
    w.write_all(r.detail.as_bytes())?;
    last.clear();
    last.push_str(&r.detail);
    Ok(())
}

fn decode(r: &mut impl Read, last: &mut String) -> std::io::Result<Reject> {
    let mut word = [0u8; 8];
    let mut u64_of = |r: &mut dyn Read| -> std::io::Result<u64> {
        r.read_exact(&mut word)?;
        Ok(u64::from_le_bytes(word))
    };
    let row = u64_of(r)?;
    let file = u64_of(r)? as usize;
    let mut code = [0u8; 1];
    r.read_exact(&mut code)?;
    let corrupt = || std::io::Error::new(std::io::ErrorKind::InvalidData, "the spill file was changed");
    let reason = *Reason::ALL.get(usize::from(code[0])).ok_or_else(corrupt)?;
    let n = u64_of(r)?;
    let ballot_id = read_text(r, n)?;
    let detail = match u64_of(r)? {
        SAME_DETAIL => last.clone(),
        n => {
            let detail = read_text(r, n)?;
            last.clear();
            last.push_str(&detail);
            detail
        }
    };
    Ok(Reject {
        row,
        ballot_id,
        reason,
        detail,
        file,
    })
}

/// `n` bytes of UTF-8 text.
fn read_text(r: &mut dyn Read, n: u64) -> std::io::Result<String> {
    let corrupt = || std::io::Error::new(std::io::ErrorKind::InvalidData, "the spill file was changed");
    let mut bytes = Vec::new();
    r.take(n).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != n {
        return Err(corrupt());
    }
    String::from_utf8(bytes).map_err(|_| corrupt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reject(row: u64) -> Reject {
        Reject {
            row,
            ballot_id: format!("B{row}"),
            reason: Reason::ALL[row as usize % Reason::ALL.len()],
            detail: "é".repeat(row as usize % 5),
            file: row as usize % 3,
        }
    }

    /// Rejects of rows `rows`, every one spilled.
    fn spilled(rows: std::ops::RangeInclusive<u64>) -> Rejects {
        let mut r = Rejects::with_budget(0);
        for k in rows {
            r.push(reject(k));
        }
        r
    }

    /// Past the budget, rejects go to the file and come back whole and in order:
    /// with a budget of two rejects' bytes, 2 stay in memory and 5 are spilled.
    #[test]
    fn rejects_past_the_budget_are_spilled_and_read_back_in_order() {
        let size = |r: &Reject| std::mem::size_of::<Reject>() + r.ballot_id.len() + r.detail.len();
        let want: Vec<Reject> = (1..=7).map(reject).collect();
        let mut r = Rejects::with_budget(size(&want[0]) + size(&want[1]));
        for x in &want {
            r.push(x.clone());
        }
        assert_eq!((r.len(), r.in_memory().len(), r.spilled()), (7, 2, 5));
        assert_eq!(r.to_vec().unwrap(), want);
        // Reading twice, then pushing more: appends land after, not over.
        assert_eq!(r.to_vec().unwrap(), want);
        r.push(reject(8));
        assert_eq!(r.to_vec().unwrap().last(), Some(&reject(8)));
        assert_eq!(r.len(), 8);
    }

    /// A clone shares the spill until one of them pushes; each then lists only its
    /// own rejects.
    #[test]
    fn a_clone_keeps_its_own_rejects_when_either_pushes() {
        let mut a = spilled(1..=3);
        let mut b = a.clone();
        a.push(reject(10));
        b.push(reject(20));
        b.push(reject(21));
        let rows = |r: &Rejects| r.to_vec().unwrap().iter().map(|x| x.row).collect::<Vec<_>>();
        assert_eq!(rows(&a), [1, 2, 3, 10]);
        assert_eq!(rows(&b), [1, 2, 3, 20, 21]);
        // The original, no longer shared, appends to its own copy in place.
        a.push(reject(11));
        assert_eq!(rows(&a), [1, 2, 3, 10, 11]);
        assert_eq!(a.spilled(), 5);
    }

    /// A detail equal to the one before is written once. Five rejects with ids
    /// `B1`…`B5` (2 bytes): each record is row 8 + file 8 + reason 1 + id length
    /// 8 + id 2 + detail length 8 = 35 bytes, 175 in all, plus the 100-byte detail
    /// A once (first record), then B (3 bytes) once at the fourth and A again (100)
    /// at the fifth: 175 + 100 + 3 + 100 = 378 bytes; read back, every detail whole.
    #[test]
    fn a_repeated_detail_is_spilled_once() {
        let a = "a".repeat(100);
        let details = [a.as_str(), a.as_str(), a.as_str(), "bbb", a.as_str()];
        let want: Vec<Reject> = details
            .iter()
            .enumerate()
            .map(|(k, d)| Reject {
                row: k as u64,
                ballot_id: format!("B{}", k + 1),
                reason: Reason::BadCode,
                detail: d.to_string(),
                file: 0,
            })
            .collect();
        let mut r = Rejects::with_budget(0);
        for x in &want {
            r.push(x.clone());
        }
        let bytes = {
            let spill = r.spill.as_ref().expect("spilled");
            let mut file = spill.lock().expect("lock");
            file.w.flush().expect("flush");
            file.w.get_ref().metadata().expect("metadata").len()
        };
        assert_eq!(bytes, 378);
        assert_eq!(r.to_vec().unwrap(), want);
        // A copy made when a clone pushes writes the same records.
        let mut b = r.clone();
        b.push(want[0].clone());
        assert_eq!(b.to_vec().unwrap()[..5], want[..]);
        assert_eq!(b.to_vec().unwrap()[5], want[0]);
    }

    /// A spill that cannot be written (its folder does not exist) loses no count
    /// and fails every listing with an error naming the folder; the rejects held
    /// in memory before it stay listed in `in_memory`.
    #[test]
    fn a_spill_that_cannot_be_written_fails_every_listing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gone = dir.path().join("no-such-folder");
        let size = std::mem::size_of::<Reject>() + reject(1).ballot_id.len() + reject(1).detail.len();
        let mut r = Rejects::with_budget_in(size, &gone);
        for k in 1..=3 {
            r.push(reject(k));
        }
        assert_eq!((r.len(), r.in_memory().len(), r.spilled()), (3, 1, 2));
        let e = r.check().expect_err("the spill failed").to_string();
        assert!(
            e.contains("no-such-folder") && e.contains("name a folder with room"),
            "{e}"
        );
        assert!(r.to_vec().is_err());
        assert!(r.for_each(|_| Ok(())).is_err());
        let mut other = Rejects::new();
        assert!(other.append(&r, |f| f).is_err());
    }

    /// Serialised as a plain list, whatever part was spilled.
    #[test]
    fn serialised_as_a_list() {
        let r = spilled(2..=2);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"[{"row":2,"ballot_id":"B2","reason":"unknown_group","detail":"éé","file":2}]"#
        );
        let back: Rejects = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.spilled(), 0);
    }

    /// A listing stops at the callback's first error and leaves the spill usable.
    #[test]
    fn a_listing_stops_at_the_first_error() {
        let mut r = spilled(1..=4);
        let mut seen = 0;
        let out = r.for_each(|_| {
            seen += 1;
            if seen == 2 {
                Err(crate::error::ErrorKind::Usage("stop".into()).into())
            } else {
                Ok(())
            }
        });
        assert!(out.is_err());
        assert_eq!(seen, 2);
        r.push(reject(5));
        assert_eq!(r.to_vec().unwrap().len(), 5);
    }
}
