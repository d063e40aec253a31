//! Writing outputs whole or not at all: temporary files in the target folder, renamed into place.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// Writes files into `dir` (created if missing) all-or-nothing per file: each is
/// written to a temporary file beside its target, and all are renamed into place
/// only after every one was written and synced.
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
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(value)
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
}
