//! Writing outputs whole or not at all: temporary files in the target folder, renamed into place.
//!
//! The temporary files are created private (0600); before the rename each is given
//! the mode a new file gets in that folder (0644 under umask 022), so colleagues on
//! a shared drive can read the results.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// Writes files into `dir` (created if missing) all-or-nothing per file: each is
/// written to a temporary file beside its target, and all are renamed into place
/// only after every one was written and synced.
///
/// ```
/// let dir = tempfile::tempdir().expect("a temporary folder");
/// let written = appraise::files::write_atomic(dir.path(), &[("a.csv", b"x\n".to_vec())])?;
/// assert_eq!(written.len(), 1);
/// # Ok::<(), appraise::Error>(())
/// ```
pub fn write_atomic(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<Vec<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        return Err(ErrorKind::Usage(format!(
            "--out {} is a file, not a folder; name a folder",
            dir.display()
        ))
        .into());
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut staged = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let target = dir.join(name);
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .tempfile_in(dir)
            .map_err(|e| Error::io(&target, e))?;
        tmp.write_all(bytes)
            .and_then(|_| usual_mode(tmp.as_file(), dir))
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(|e| Error::io(&target, e))?;
        staged.push((tmp, target));
    }
    let mut written = Vec::with_capacity(staged.len());
    for (tmp, target) in staged {
        tmp.persist(&target).map_err(|e| Error::io(&target, e.error))?;
        written.push(target);
    }
    Ok(written)
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
    let tmp = tempfile::Builder::new()
        .prefix(".appraise.")
        .tempfile_in(dir)
        .map_err(|e| Error::io(path, e))?;
    let mut buf = std::io::BufWriter::new(tmp);
    let value = fill(&mut buf)?;
    let tmp = buf.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
    usual_mode(tmp.as_file(), dir).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
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
}
