//! Writing outputs whole or not at all, and keeping them off the inputs.
//!
//! A set of outputs (the files of one `score` or `demo` run, the two files of
//! `simulate`) is staged: every file is written and synced into a hidden staging
//! folder `.appraise-staging.XXXXXX` made inside the output folder (so it is on the
//! same filesystem even when the output folder is a mount point), then each is
//! renamed onto its target. A file that is already there is first hard-linked into
//! the staging folder; when a rename fails, the files already renamed are put
//! back, so a failure leaves the previous set (or none), never a mix of two runs.
//! What a reader can observe (SPEC §10): each file is always whole (old or new);
//! during the rename loop (one `rename` per file, microseconds) some files can be
//! new and others old; a process killed inside that loop can leave such a mix, with
//! the staging folder (the complete new set and the previous files) left beside
//! them.
//!
//! An interrupted run leaves nothing behind: every staging folder and temporary
//! output file of the process is listed while it is unfinished, and
//! [`abandon_unfinished`] (which the `appraise` binary calls on SIGINT, SIGTERM and
//! SIGHUP) removes them, waiting for a commit in progress to finish. A run killed
//! outright (SIGKILL, power loss) cannot clean up: each staging folder carries an
//! `owner` file (process id and host), and the next run writing into that folder
//! removes the staging folders of processes of this host that no longer exist —
//! or, when the killed run had begun its commit (all files staged and synced),
//! finishes it, so the folder holds one whole set.
//!
//! The temporary files are created private (0600); before the rename each is given
//! the mode a new file gets in that folder (0644 under umask 022), so colleagues on
//! a shared drive can read the results.
//!
//! [`Guard`] keeps outputs off the inputs: the same input named twice, an output
//! that is an input (the same path, a hard link or a symlink to it: compared by
//! device and inode where the platform has them, else by canonical path), two
//! outputs on one file, an output folder that is a file or cannot be written — all
//! refused before any work starts.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{Error, ErrorKind, Result};

/// Prefix of the hidden staging folder made inside an output folder.
pub const STAGING_PREFIX: &str = ".appraise-staging.";

/// The file inside a staging folder naming the process that made it.
const OWNER: &str = ".owner";

/// The folder inside a staging folder that keeps the files a commit replaces;
/// its presence says the commit has begun (every file staged and synced).
const PREVIOUS: &str = ".previous";

/// The staging folders and temporary output files of this process not yet
/// committed or removed, and whether [`abandon_unfinished`] has run.
struct Unfinished {
    paths: Vec<PathBuf>,
    abandoned: bool,
}

static UNFINISHED: Mutex<Unfinished> = Mutex::new(Unfinished {
    paths: Vec::new(),
    abandoned: false,
});

fn unfinished() -> MutexGuard<'static, Unfinished> {
    UNFINISHED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The list, locked, for moving outputs into place: held until they are, so an
/// interruption waits for them; an error once [`abandon_unfinished`] has run.
fn lock_for_commit() -> Result<MutexGuard<'static, Unfinished>> {
    let state = unfinished();
    if state.abandoned {
        return Err(ErrorKind::Usage("the run was interrupted; no output was written".into()).into());
    }
    Ok(state)
}

/// Lists `path` as unfinished until the returned value is dropped.
struct Enlisted(PathBuf);

impl Enlisted {
    fn new(path: &Path) -> Enlisted {
        unfinished().paths.push(path.to_path_buf());
        Enlisted(path.to_path_buf())
    }
}

impl Drop for Enlisted {
    fn drop(&mut self) {
        let list = &mut unfinished().paths;
        if let Some(i) = list.iter().position(|p| *p == self.0) {
            list.swap_remove(i);
        }
    }
}

/// Removes every staging folder and temporary output file of this process that is
/// not yet committed and returns how many there were; a commit in progress
/// finishes first, and any later commit of this process fails. For a signal
/// handler: call it, then end the process. A process that ends otherwise removes
/// its unfinished outputs as their owners are dropped.
pub fn abandon_unfinished() -> usize {
    let mut state = unfinished();
    state.abandoned = true;
    let paths = std::mem::take(&mut state.paths);
    for p in &paths {
        let _ = if p.is_dir() {
            std::fs::remove_dir_all(p)
        } else {
            std::fs::remove_file(p)
        };
    }
    paths.len()
}

/// This host's name, where this platform can tell whether a process id is alive
/// (Linux's `/proc`); None where it cannot, and stale folders are then kept.
/// Read once per process.
fn host() -> Option<&'static str> {
    static HOST: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        if !Path::new("/proc/self").exists() {
            return None;
        }
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
        Some(name.trim().to_string())
    })
    .as_deref()
}

/// Whether `pid` of `owner_host` names a process of this host (`host`) that no
/// longer runs: what makes a staging folder or temporary file stale.
fn dead_here(pid: &str, owner_host: &str, host: &str) -> bool {
    owner_host == host && pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists()
}

/// Removes the staging folders in `dir` left by processes of this host that no
/// longer run; one whose commit had begun (its `.previous` folder exists, so
/// every file was staged and synced) is finished first. Folders of live
/// processes, of other hosts, or without an owner are left alone.
fn sweep_stale(dir: &Path) {
    let Some(host) = host() else { return };
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(STAGING_PREFIX) {
            continue;
        }
        let folder = entry.path();
        let Ok(owner) = std::fs::read_to_string(folder.join(OWNER)) else {
            continue;
        };
        let mut fields = owner.split_whitespace();
        let (Some(pid), Some(owner_host)) = (fields.next(), fields.next()) else {
            continue;
        };
        if !dead_here(pid, owner_host, host) {
            continue;
        }
        if folder.join(PREVIOUS).is_dir() {
            if let Ok(files) = std::fs::read_dir(&folder) {
                for f in files.flatten() {
                    let n = f.file_name();
                    if n != OWNER && n != PREVIOUS && f.path().is_file() {
                        let _ = std::fs::rename(f.path(), dir.join(&n));
                    }
                }
            }
        }
        let _ = std::fs::remove_dir_all(&folder);
    }
}

/// The start of the temporary file [`write_stream`] writes beside its target.
const STREAM_PREFIX: &str = ".appraise.";

/// The temporary-file prefix of [`write_stream`] in this process:
/// `.appraise.<host>.<pid>.` (the host's dots as dashes), so that a run killed
/// before it could remove the file has it removed by the next one
/// ([`sweep_stale_streams`]); `.appraise.` alone where the host is unknown.
fn stream_prefix() -> String {
    match host() {
        Some(h) => format!("{STREAM_PREFIX}{}.{}.", stream_host(h), std::process::id()),
        None => STREAM_PREFIX.to_string(),
    }
}

/// A host name as it stands in a temporary file's name: no dots (they separate
/// the fields) and nothing but letters, digits and dashes.
fn stream_host(h: &str) -> String {
    h.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .collect()
}

/// Removes from `dir` the temporary files of [`write_stream`] left by
/// processes of this host that no longer run (killed with `kill -9`, or a
/// crash). Files of live processes, of other hosts, or without a process in
/// their name are left alone.
fn sweep_stale_streams(dir: &Path) {
    let Some(host) = host() else { return };
    let host = stream_host(host);
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some(rest) = name.strip_prefix(STREAM_PREFIX) else {
            continue;
        };
        let mut fields = rest.split('.');
        let (Some(file_host), Some(pid), Some(_random), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if !dead_here(pid, file_host, &host) {
            continue;
        }
        if entry.path().is_file() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes files into `dir` (created if missing) as one set: all are written and
/// synced into a staging folder first, then renamed into place (see the module
/// text for what a reader can observe and what a failure leaves).
///
/// ```
/// let dir = tempfile::tempdir().expect("a temporary folder");
/// let written = appraise::files::write_atomic(dir.path(), &[("a.csv", b"x\n".to_vec())])?;
/// assert_eq!(written.len(), 1);
/// # Ok::<(), appraise::Error>(())
/// ```
pub fn write_atomic(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<Vec<PathBuf>> {
    let mut staging = Staging::new(dir)?;
    for (name, bytes) in files {
        staging.add(name, bytes)?;
    }
    staging.commit()
}

/// A set of output files being written into one folder (and, through
/// [`Staging::stream_to`], files in other folders), committed as a whole by
/// [`Staging::commit`]; dropped without a commit, it leaves every folder as it was.
pub struct Staging {
    /// Each folder of the set with its staging folder (listed as unfinished); the
    /// first is the set's own.
    folders: Vec<(PathBuf, tempfile::TempDir, Enlisted)>,
    /// The files, in order: folder index and name.
    files: Vec<(usize, String)>,
}

/// A folder made if missing, with a staging folder inside it (stale ones of
/// killed runs swept first).
fn staging_in(dir: &Path) -> Result<(PathBuf, tempfile::TempDir, Enlisted)> {
    if dir.exists() && !dir.is_dir() {
        return Err(ErrorKind::Usage(format!(
            "--out {} is a file, not a folder; name a folder",
            dir.display()
        ))
        .into());
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    sweep_stale(dir);
    let tmp = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    let enlisted = Enlisted::new(tmp.path());
    let owner = format!("{} {}\n", std::process::id(), host().unwrap_or_default());
    std::fs::write(tmp.path().join(OWNER), owner).map_err(|e| Error::io(dir, e))?;
    Ok((dir.to_path_buf(), tmp, enlisted))
}

impl Staging {
    /// Starts a set in `dir` (created if missing; a file there is refused).
    pub fn new(dir: &Path) -> Result<Staging> {
        Ok(Staging {
            folders: vec![staging_in(dir)?],
            files: Vec::new(),
        })
    }

    /// Adds one file of the set, written whole and synced into the staging folder.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.stream(name, |w| w.write_all(bytes).map_err(|e| Error::io(Path::new(name), e)))
    }

    /// Adds one file of the set, streamed by `fill` (for outputs too large to build
    /// in memory: simulated campaigns).
    pub fn stream<T>(&mut self, name: &str, fill: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
        self.stream_in(0, name, fill)
    }

    /// Adds the file at `path`, which may lie in another folder than the set's
    /// (a keys file written beside other shards): it is staged in its own folder
    /// (made if missing), so that its rename stays on one filesystem, and moves
    /// into place with the rest of the set, or not at all.
    pub fn stream_to<T>(&mut self, path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::from(ErrorKind::Usage(format!("{} names no file", path.display()))))?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let same = |a: &Path| {
            let c = std::fs::canonicalize(a);
            c.is_ok() && c.ok() == std::fs::canonicalize(&dir).ok()
        };
        let k = match self.folders.iter().position(|(d, _, _)| same(d)) {
            Some(k) => k,
            None => {
                self.folders.push(staging_in(&dir)?);
                self.folders.len() - 1
            }
        };
        self.stream_in(k, &name, fill)
    }

    fn stream_in<T>(&mut self, k: usize, name: &str, fill: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
        let (dir, tmp, _) = &self.folders[k];
        let target = dir.join(name);
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." || name == OWNER {
            return Err(ErrorKind::Usage(format!("`{name}` is no file name of an output set")).into());
        }
        if self.files.iter().any(|(j, n)| *j == k && n == name) {
            return Err(ErrorKind::Usage(format!("output `{name}` is written twice in one set")).into());
        }
        let path = tmp.path().join(name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(&target, e))?;
        let mut buf = std::io::BufWriter::new(file);
        let value = fill(&mut buf)?;
        let file = buf.into_inner().map_err(|e| Error::io(&target, e.into_error()))?;
        usual_mode(&file, dir)
            .and_then(|_| file.sync_all())
            .map_err(|e| Error::io(&target, e))?;
        self.files.push((k, name.to_string()));
        Ok(value)
    }

    /// Puts the files staged so far in the order of `names` (those it does not
    /// name last, in their order): the order [`commit`](Self::commit) renames
    /// and lists them in, for files staged in another order than listed.
    pub fn arrange(&mut self, names: &[&str]) {
        self.files.sort_by_key(|(_, name)| listed_rank(names, name));
    }

    /// Moves the set into place: every file renamed onto its target; when one
    /// rename fails, the files already moved are put back as they were and the error
    /// is returned. The staging folders are removed afterwards.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let state = lock_for_commit()?;
        let staged = |k: usize, name: &str| self.folders[k].1.path().join(name);
        let target = |k: usize, name: &str| self.folders[k].0.join(name);
        // Keep the files being replaced, to put them back on a failure.
        let mut previous = Vec::with_capacity(self.folders.len());
        for (_, tmp, _) in &self.folders {
            sync_dir(tmp.path()).map_err(|e| Error::io(tmp.path(), e))?;
            let p = tmp.path().join(PREVIOUS);
            std::fs::create_dir(&p).map_err(|e| Error::io(&p, e))?;
            previous.push(p);
        }
        let mut kept = Vec::with_capacity(self.files.len());
        for (k, name) in &self.files {
            let target = target(*k, name);
            let old = match std::fs::symlink_metadata(&target) {
                Ok(m) if !m.is_dir() => {
                    let keep = previous[*k].join(name);
                    std::fs::hard_link(&target, &keep)
                        .or_else(|_| std::fs::copy(&target, &keep).map(|_| ()))
                        .map_err(|e| Error::io(&target, e))?;
                    Some(keep)
                }
                _ => None,
            };
            kept.push(old);
        }
        let mut written = Vec::with_capacity(self.files.len());
        for (i, (k, name)) in self.files.iter().enumerate() {
            let to = target(*k, name);
            if let Err(e) = std::fs::rename(staged(*k, name), &to) {
                for ((j, done), old) in self.files[..i].iter().zip(&kept) {
                    let t = target(*j, done);
                    let _ = match old {
                        Some(o) => std::fs::rename(o, &t),
                        None => std::fs::remove_file(&t),
                    };
                }
                return Err(Error::io(&to, e));
            }
            written.push(to);
        }
        drop(state);
        for (dir, tmp, _) in self.folders {
            sync_dir(&dir).map_err(|e| Error::io(&dir, e))?;
            tmp.close().map_err(|e| Error::io(&dir, e))?;
        }
        Ok(written)
    }
}

/// Where `name` stands in `names` (a list of output files in their order); one
/// it does not name comes after them all.
pub(crate) fn listed_rank(names: &[&str], name: &str) -> usize {
    names.iter().position(|n| *n == name).unwrap_or(names.len())
}

/// Syncs a folder's entries (renames) to disk, where the platform allows it.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Streams one output file atomically: `fill` writes into a buffered temporary
/// file beside `path`, which is synced and renamed onto `path` only when `fill`
/// succeeds. For outputs too large to build in memory (simulated campaigns).
pub fn write_stream<T>(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    sweep_stale_streams(dir);
    let tmp = tempfile::Builder::new()
        .prefix(&stream_prefix())
        .tempfile_in(dir)
        .map_err(|e| Error::io(path, e))?;
    let _enlisted = Enlisted::new(tmp.path());
    let mut buf = std::io::BufWriter::new(tmp);
    let value = fill(&mut buf)?;
    let tmp = buf.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
    usual_mode(tmp.as_file(), dir).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    let state = lock_for_commit()?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    drop(state);
    Ok(value)
}

/// Gives `file` the permissions a file newly created in `dir` gets (`0666 & !umask`).
/// Std has no umask getter, so a probe file is created with the default mode,
/// read and removed.
#[cfg(unix)]
fn usual_mode(file: &std::fs::File, dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let probe = tempfile::Builder::new().prefix(".appraise-mode.").make_in(dir, |p| {
        std::fs::OpenOptions::new().write(true).create_new(true).open(p)
    })?;
    let mode = probe.as_file().metadata()?.permissions().mode() & 0o777;
    drop(probe);
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn usual_mode(_file: &std::fs::File, _dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The identity of an existing file, following symlinks: device and inode on Unix
/// (so a hard link is the same file), else the canonical path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Identity {
    #[cfg_attr(not(unix), allow(dead_code))]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

fn identity(path: &Path) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(Identity::Inode(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(path).ok().map(Identity::Path)
    }
}

/// Where a path lands once written: made absolute, `.` and `..` resolved, and its
/// longest existing part made canonical (symlinks followed), so `a/../b.csv`,
/// `./b.csv` and a path through a linked folder compare equal.
fn landing(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut plain = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                plain.pop();
            }
            c => plain.push(c),
        }
    }
    let mut existing = plain.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match existing.file_name() {
            Some(n) => rest.push(n.to_os_string()),
            None => break,
        }
        existing.pop();
    }
    let mut out = std::fs::canonicalize(&existing).unwrap_or(existing);
    out.extend(rest.iter().rev());
    out
}

/// One file a [`Guard`] knows.
#[derive(Clone, Debug)]
struct Known {
    flag: String,
    path: PathBuf,
    identity: Option<Identity>,
    landing: PathBuf,
}

impl Known {
    fn new(flag: &str, path: &Path) -> Known {
        Known {
            flag: flag.to_string(),
            path: path.to_path_buf(),
            identity: identity(path),
            landing: landing(path),
        }
    }

    fn same(&self, other: &Known) -> bool {
        match (&self.identity, &other.identity) {
            (Some(a), Some(b)) => a == b,
            _ => self.landing == other.landing,
        }
    }

    fn named(&self) -> String {
        format!("{} `{}`", self.flag, self.path.display())
    }
}

/// Keeps a command's outputs off its inputs, checked before any work starts
/// (SPEC §10): every input is read once (the same file named twice, by any path,
/// hard link or symlink, is refused: a ballot or tally file given twice would count
/// twice); no output is an input or another output; an output folder is a folder
/// (or can be made) and can be written; an output file's folder can be written.
///
/// Inputs are told first, then outputs.
///
/// ```
/// let dir = tempfile::tempdir().expect("a temporary folder");
/// let ballots = dir.path().join("ballots.csv");
/// std::fs::write(&ballots, "x\n").expect("written");
/// let mut guard = appraise::files::Guard::default();
/// guard.input("--ballots", &ballots)?;
/// assert!(guard.input("--ballots", &dir.path().join(".").join("ballots.csv")).is_err());
/// assert!(guard.output_file("--out", &ballots).is_err());
/// guard.output_folder("--out", &dir.path().join("out"), &["results.csv"])?;
/// # Ok::<(), appraise::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Guard {
    inputs: Vec<Known>,
    outputs: Vec<Known>,
}

fn refuse(message: String) -> Error {
    ErrorKind::Usage(message).into()
}

impl Guard {
    /// Notes an input the command reads (`flag` names it in messages, e.g.
    /// `--ballots` or `survey (from the plan)`); the same file given earlier is
    /// refused. A file that does not exist is left to its reader to report.
    pub fn input(&mut self, flag: &str, path: &Path) -> Result<()> {
        let known = Known::new(flag, path);
        if known.identity.is_none() {
            return Ok(());
        }
        if let Some(earlier) = self.inputs.iter().find(|i| i.same(&known)) {
            return Err(refuse(format!(
                "{} is the same file as {}: each input is read once (twice, its rows would count twice); name it once",
                known.named(),
                earlier.named()
            )));
        }
        self.inputs.push(known);
        Ok(())
    }

    /// Notes an output file the command writes (replacing it if it exists).
    pub fn output_file(&mut self, flag: &str, path: &Path) -> Result<()> {
        if path.is_dir() {
            return Err(refuse(format!("{flag} `{}` is a folder; name a file", path.display())));
        }
        self.output(flag, path)?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        writable(flag, parent)
    }

    /// Notes an output folder and the names of the files the command writes into
    /// it. The folder may hold inputs (a campaign's own folder is fine) as long as
    /// none of the files written there is one of them.
    pub fn output_folder(&mut self, flag: &str, dir: &Path, names: &[&str]) -> Result<()> {
        if dir.exists() && !dir.is_dir() {
            return Err(refuse(format!("{flag} `{}` is a file; name a folder", dir.display())));
        }
        for name in names {
            let path = dir.join(name);
            if path.is_dir() {
                return Err(refuse(format!(
                    "{flag}: `{}` is a folder where the output {name} goes; move it or name another folder",
                    path.display()
                )));
            }
            self.output(flag, &path)?;
        }
        writable(flag, dir)
    }

    fn output(&mut self, flag: &str, path: &Path) -> Result<()> {
        let known = Known::new(flag, path);
        if known.identity.is_some()
            && let Some(input) = self.inputs.iter().find(|i| i.same(&known))
        {
            return Err(refuse(format!(
                "{} would replace the input {} (the same file); name another output",
                known.named(),
                input.named()
            )));
        }
        if let Some(other) = self
            .outputs
            .iter()
            .find(|o| o.same(&known) || o.landing == known.landing)
        {
            return Err(refuse(format!(
                "{} and {} are the same file; name two different outputs",
                other.named(),
                known.named()
            )));
        }
        self.outputs.push(known);
        Ok(())
    }
}

/// Whether files can be made in `dir`, or in its nearest existing ancestor when
/// it does not exist yet (it would be created): a probe file is made and removed.
fn writable(flag: &str, dir: &Path) -> Result<()> {
    let mut at = dir;
    while !at.exists() {
        match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => at = p,
            _ => {
                at = Path::new(".");
                break;
            }
        }
    }
    // Not a bad flag but a place that cannot take the outputs: an input error
    // (exit 1), as a failed write would be.
    let place = crate::error::Position::file(dir);
    if !at.is_dir() {
        return Err(Error::input(
            place,
            format!(
                "{flag}: `{}` is a file, so the folder cannot be made there; name another place",
                at.display()
            ),
        ));
    }
    tempfile::Builder::new()
        .prefix(".appraise-probe.")
        .tempfile_in(at)
        .map(drop)
        .map_err(|e| {
            let e = std::io::Error::new(e.kind(), e.kind().to_string());
            Error::input(
                place,
                format!(
                    "{flag}: cannot write in `{}` ({e}); name a folder you can write",
                    at.display()
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), &[("a.csv", b"old".to_vec())]).unwrap();
        write_atomic(dir.path(), &[("a.csv", b"new".to_vec()), ("b.csv", b"b".to_vec())]).unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.csv")).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file is left behind: {names:?}");
        let file = dir.path().join("a.csv");
        assert!(write_atomic(&file, &[]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn outputs_get_the_mode_of_new_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let expected = {
            let p = dir.path().join("probe");
            std::fs::File::create(&p).unwrap();
            let m = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            std::fs::remove_file(&p).unwrap();
            m
        };
        write_atomic(dir.path(), &[("a.csv", b"x".to_vec())]).unwrap();
        write_stream(&dir.path().join("b.csv"), |w| {
            w.write_all(b"y").map_err(|e| Error::io(Path::new("b.csv"), e))
        })
        .unwrap();
        for f in ["a.csv", "b.csv"] {
            let m = std::fs::metadata(dir.path().join(f)).unwrap().permissions().mode() & 0o777;
            assert_eq!(m, expected, "{f}");
            assert_ne!(m, 0o600, "{f}: not private like a temporary file");
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no probe left behind"
        );
    }

    #[test]
    fn a_failed_rename_puts_the_previous_set_back() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(
            dir.path(),
            &[("a.csv", b"old a".to_vec()), ("c.csv", b"old c".to_vec())],
        )
        .unwrap();
        // `b.csv` is a folder: its rename fails after `a.csv` was moved.
        std::fs::create_dir(dir.path().join("b.csv")).unwrap();
        std::fs::write(dir.path().join("b.csv").join("x"), b"x").unwrap();
        let files = [
            ("a.csv", b"new a".to_vec()),
            ("b.csv", b"new b".to_vec()),
            ("c.csv", b"new c".to_vec()),
            ("d.csv", b"new d".to_vec()),
        ];
        assert!(write_atomic(dir.path(), &files).is_err());
        assert_eq!(std::fs::read(dir.path().join("a.csv")).unwrap(), b"old a");
        assert_eq!(std::fs::read(dir.path().join("c.csv")).unwrap(), b"old c");
        assert!(!dir.path().join("d.csv").exists());
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.csv", "b.csv", "c.csv"], "no staging folder left");
    }

    #[test]
    fn a_set_across_folders_moves_whole_or_not_at_all() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write_atomic(one.path(), &[("t.parquet", b"old t".to_vec())]).unwrap();
        write_atomic(two.path(), &[("k.parquet", b"old k".to_vec())]).unwrap();
        let k = two.path().join("k.parquet");
        let stage = |k_bytes: &'static [u8]| {
            let mut s = Staging::new(one.path()).unwrap();
            s.add("t.parquet", b"new t").unwrap();
            s.stream_to(&k, |w| w.write_all(k_bytes).map_err(|e| Error::io(&k, e)))
                .unwrap();
            s
        };
        // `z.csv` in the second folder is a non-empty folder: the last rename fails
        // after both others moved, and both are put back.
        let mut s = stage(b"new k");
        std::fs::create_dir(two.path().join("z.csv")).unwrap();
        std::fs::write(two.path().join("z.csv").join("x"), b"x").unwrap();
        s.stream_to(&two.path().join("z.csv"), |w| {
            w.write_all(b"z").map_err(|e| Error::io(&k, e))
        })
        .unwrap();
        assert!(s.commit().is_err());
        assert_eq!(std::fs::read(one.path().join("t.parquet")).unwrap(), b"old t");
        assert_eq!(std::fs::read(&k).unwrap(), b"old k");
        // Dropped: nothing moves. Committed: both move, no staging folder is left.
        drop(stage(b"new k"));
        assert_eq!(std::fs::read(&k).unwrap(), b"old k");
        let written = stage(b"new k").commit().unwrap();
        assert_eq!(written, [one.path().join("t.parquet"), k.clone()]);
        assert_eq!(std::fs::read(one.path().join("t.parquet")).unwrap(), b"new t");
        assert_eq!(std::fs::read(&k).unwrap(), b"new k");
        for d in [one.path(), two.path()] {
            let staging = std::fs::read_dir(d)
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .starts_with(STAGING_PREFIX)
                })
                .count();
            assert_eq!(staging, 0);
        }
    }

    #[test]
    fn a_set_dropped_before_commit_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), &[("a.csv", b"old".to_vec())]).unwrap();
        let mut s = Staging::new(dir.path()).unwrap();
        s.add("a.csv", b"new").unwrap();
        assert!(s.add("a.csv", b"again").is_err(), "one name once");
        assert!(s.add("../x.csv", b"x").is_err(), "a plain file name");
        drop(s);
        assert_eq!(std::fs::read(dir.path().join("a.csv")).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_guard_knows_a_file_by_any_name() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        std::fs::write(&a, "x").unwrap();
        std::fs::hard_link(&a, dir.path().join("hard.csv")).unwrap();
        std::os::unix::fs::symlink(&a, dir.path().join("soft.csv")).unwrap();
        for other in ["hard.csv", "soft.csv", "./a.csv"] {
            let mut g = Guard::default();
            g.input("--ballots", &a).unwrap();
            let e = g.input("--ballots", &dir.path().join(other)).unwrap_err().to_string();
            assert!(e.contains("is the same file as --ballots"), "{e}");
            let mut g = Guard::default();
            g.input("--roster", &a).unwrap();
            let e = g.output_file("--out", &dir.path().join(other)).unwrap_err().to_string();
            assert!(e.contains("would replace the input --roster"), "{e}");
        }
        let mut g = Guard::default();
        g.output_file("--out", &dir.path().join("t.parquet")).unwrap();
        let e = g
            .output_file("--keys-out", &dir.path().join("sub/../t.parquet"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("are the same file"), "{e}");
        let e = g.output_folder("--out", &a, &["results.csv"]).unwrap_err().to_string();
        assert!(e.contains("is a file; name a folder"), "{e}");
        g.output_folder("--out", &dir.path().join("new/deeper"), &["results.csv"])
            .unwrap();
        assert!(!dir.path().join("new").exists(), "checking makes no folder");
    }

    /// A staging folder as a killed run leaves it: `owner` names `pid` on this host.
    fn stale(dir: &Path, pid: u32, committing: bool) -> PathBuf {
        let folder = dir.join(format!("{STAGING_PREFIX}killed"));
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join(OWNER), format!("{pid} {}\n", host().unwrap())).unwrap();
        std::fs::write(folder.join("a.csv"), "from the killed run").unwrap();
        if committing {
            std::fs::create_dir(folder.join(PREVIOUS)).unwrap();
        }
        folder
    }

    #[test]
    fn a_killed_runs_staging_folder_is_swept_by_the_next_run() {
        if host().is_none() {
            return; // no /proc: stale folders are kept (documented)
        }
        // 2^31 - 1 is above Linux's pid_max (at most 2^22): no such process.
        let dead = i32::MAX as u32;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), "old").unwrap();
        let folder = stale(dir.path(), dead, false);
        write_atomic(dir.path(), &[("b.csv", b"b".to_vec())]).unwrap();
        assert!(!folder.exists(), "the dead run's staging folder is removed");
        assert_eq!(
            std::fs::read(dir.path().join("a.csv")).unwrap(),
            b"old",
            "its staged file never lands"
        );

        // Killed after its commit began (every file staged and synced): finished.
        let folder = stale(dir.path(), dead, true);
        write_atomic(dir.path(), &[("b.csv", b"b".to_vec())]).unwrap();
        assert!(!folder.exists());
        assert_eq!(std::fs::read(dir.path().join("a.csv")).unwrap(), b"from the killed run");

        // A live process's folder (this one's) is left alone.
        let folder = stale(dir.path(), std::process::id(), false);
        write_atomic(dir.path(), &[("b.csv", b"b".to_vec())]).unwrap();
        assert!(folder.join("a.csv").exists(), "a running process's staging is kept");
    }

    #[test]
    fn a_killed_runs_streamed_temporary_file_is_swept_by_the_next_run() {
        if host().is_none() {
            return; // no /proc: stale files are kept (documented)
        }
        let dir = tempfile::tempdir().unwrap();
        let h = stream_host(host().unwrap());
        // 2^31 - 1 is above Linux's pid_max: no such process.
        let dead = dir.path().join(format!(".appraise.{h}.{}.AbC123", i32::MAX));
        let live = dir.path().join(format!(".appraise.{h}.{}.AbC123", std::process::id()));
        let other_host = dir.path().join(format!(".appraise.{h}x.{}.AbC123", i32::MAX));
        let unnamed = dir.path().join(".appraise.AbC123");
        for f in [&dead, &live, &other_host, &unnamed] {
            std::fs::write(f, "partial").unwrap();
        }
        write_stream(&dir.path().join("t.csv"), |w| {
            w.write_all(b"t").map_err(|e| Error::io(Path::new("t.csv"), e))
        })
        .unwrap();
        assert!(!dead.exists(), "a dead process's temporary file is removed");
        for f in [&live, &other_host, &unnamed] {
            assert!(f.exists(), "{} is kept", f.display());
        }
        // What this process names its own temporary files: host and pid, so the
        // next run can tell.
        let p = stream_prefix();
        assert_eq!(p, format!(".appraise.{h}.{}.", std::process::id()));
        assert!(!h.contains('.'));
        assert_eq!(stream_host("a.b_c-1"), "a-b-c-1");
    }

    #[test]
    fn arranged_files_are_committed_and_listed_in_the_order_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = Staging::new(dir.path()).unwrap();
        for name in ["c.csv", "a.csv", "x.csv", "b.csv"] {
            set.add(name, b"-").unwrap();
        }
        set.arrange(&["a.csv", "b.csv", "c.csv"]);
        let names: Vec<_> = set
            .commit()
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.csv", "b.csv", "c.csv", "x.csv"], "unnamed last");
    }

    #[test]
    fn a_staging_folder_names_its_process_and_is_listed_until_committed() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = Staging::new(dir.path()).unwrap();
        set.add("a.csv", b"a").unwrap();
        let folder = set.folders[0].1.path().to_path_buf();
        let owner = std::fs::read_to_string(folder.join(OWNER)).unwrap();
        assert!(owner.starts_with(&format!("{} ", std::process::id())), "{owner}");
        assert!(unfinished().paths.contains(&folder));
        assert!(
            set.add(OWNER, b"x").is_err(),
            "no output may be named like the owner file"
        );
        set.commit().unwrap();
        assert!(!unfinished().paths.contains(&folder), "committed: no longer unfinished");
        assert!(!folder.exists());
    }
}
