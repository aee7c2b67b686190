//! Where a repository's files live: the [`Storage`] trait, and [`FsStorage`], a directory.
//!
//! Paths are relative to the repository root, `/`-separated (`metadata/1.root.json`,
//! `targets/a/b.txt`, `keys/root/<keyid>.pem`). The trait is object-safe and its operations
//! are the few a repository needs, so that a database- or object-store-backed service can
//! implement it later.
//!
//! Writes are atomic (a reader sees the old content or the new one, never a part of it).
//! Durability comes at [`Storage::sync`]: the repository syncs before it writes a file that
//! refers to earlier ones (snapshot after the targets roles it lists, timestamp after the
//! snapshot, any metadata after the target files it describes), so a crash can lose the last
//! publish but never leave metadata pointing at a file that is not on disk.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Storage of the files of one repository.
///
/// Paths are relative to the repository root and `/`-separated (`metadata/1.root.json`,
/// `targets/a/b.txt`, `keys/root/<keyid>.pem`). The trait is object-safe, so that a database-
/// or object-store-backed service can implement it.
///
/// Writes are atomic (a reader sees the old content or the new one, never a part of it);
/// durability comes at [`Storage::sync`]. The repository syncs before it writes a file that
/// refers to earlier ones (snapshot after the targets roles it lists, timestamp after the
/// snapshot, any metadata after the target files it describes), so a crash can lose the last
/// publish but never leave metadata pointing at a file that is not on disk.
pub trait Storage: Send + Sync {
    /// How to name this storage in messages (a directory path, a database name).
    fn describe(&self) -> String {
        "the repository".to_owned()
    }

    /// The whole content of `path`.
    ///
    /// # Errors
    /// [`io::ErrorKind::NotFound`] if it does not exist, or any I/O error.
    fn read(&self, path: &str) -> io::Result<Vec<u8>>;

    /// Opens `path` for streaming reads.
    ///
    /// # Errors
    /// As [`Storage::read`].
    fn open(&self, path: &str) -> io::Result<Box<dyn Read + Send>>;

    /// The length of `path` in bytes.
    ///
    /// # Errors
    /// As [`Storage::read`].
    fn size(&self, path: &str) -> io::Result<u64>;

    /// Whether `path` exists.
    ///
    /// # Errors
    /// If existence cannot be determined.
    fn exists(&self, path: &str) -> io::Result<bool>;

    /// The names of the entries (files and directories) directly in `dir` (`""` is the root),
    /// in no particular order; empty if `dir` does not exist.
    ///
    /// # Errors
    /// If `dir` exists and cannot be listed.
    fn list(&self, dir: &str) -> io::Result<Vec<String>>;

    /// Creates or replaces `path` with `bytes`, atomically; parent directories are created.
    /// Durable once [`Storage::sync`] returns.
    ///
    /// # Errors
    /// Any I/O error; the previous content, if any, is then intact.
    fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()>;

    /// As [`Storage::write`], for secrets (private keys): readable by the owner only, and
    /// durable when this returns.
    ///
    /// # Errors
    /// As [`Storage::write`].
    fn write_private(&self, path: &str, bytes: &[u8]) -> io::Result<()>;

    /// As [`Storage::write`], with the content read from `reader` in pieces (never whole in
    /// memory). Returns the number of bytes written.
    ///
    /// # Errors
    /// As [`Storage::write`], or a read error of `reader`.
    fn write_stream(&self, path: &str, reader: &mut dyn Read) -> io::Result<u64>;

    /// Moves `from` to `to`, atomically replacing `to`.
    ///
    /// # Errors
    /// Any I/O error.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;

    /// Gives `to` the content of `from` (a hard link where possible, else a copy), atomically
    /// replacing `to`.
    ///
    /// # Errors
    /// Any I/O error.
    fn link(&self, from: &str, to: &str) -> io::Result<()>;

    /// Removes the file `path`; a missing file is not an error.
    ///
    /// # Errors
    /// Any other I/O error.
    fn remove(&self, path: &str) -> io::Result<()>;

    /// Creates directory `dir` and its parents.
    ///
    /// # Errors
    /// Any I/O error.
    fn create_dir(&self, dir: &str) -> io::Result<()>;

    /// Makes every write so far durable.
    ///
    /// # Errors
    /// Any I/O error.
    fn sync(&self) -> io::Result<()>;
}

/// When [`FsStorage`] flushes files to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Each write is `fsync`ed before its rename and the directory after it: durable when the
    /// write returns. About 5 ms per file on common disks: slow for many files.
    EachWrite,
    /// Writes are atomic (temporary file + rename) but flushed together at
    /// [`Storage::sync`] (one `syncfs(2)` on Linux; elsewhere an `fsync` of each file written
    /// since the last sync and of its directory). The repository syncs before any file that
    /// refers to earlier ones is written, so ordering on disk is kept.
    #[default]
    Batched,
}

/// A repository in a directory of the local file system.
///
/// Every write goes to a temporary file `.tmp-<pid>-<n>` in the destination directory and is
/// renamed over the final name. Private keys are created with mode 0600 (in a 0700 directory)
/// on Unix.
///
/// ```
/// use tuf_repo::{FsStorage, Storage};
/// let dir = tempfile::tempdir()?;
/// let storage = FsStorage::new(dir.path());
/// storage.write("metadata/a.json", b"{}")?;
/// storage.sync()?;
/// assert_eq!(storage.read("metadata/a.json")?, b"{}");
/// assert_eq!(storage.list("metadata")?, vec!["a.json".to_owned()]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FsStorage {
    root: PathBuf,
    durability: Durability,
    /// Files (and their directories) written since the last sync, where `syncfs` is not used.
    unsynced: Mutex<Vec<PathBuf>>,
}

/// Distinguishes the temporary files of one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Size of the buffer of streamed copies.
const COPY_BUFFER: usize = 64 * 1024;

impl FsStorage {
    /// The repository in directory `root` (created on the first write), with
    /// [`Durability::Batched`].
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsStorage::with_durability(root, Durability::default())
    }

    /// The repository in `root`, flushing as `durability` says.
    pub fn with_durability(root: impl Into<PathBuf>, durability: Durability) -> Self {
        FsStorage {
            root: root.into(),
            durability,
            unsynced: Mutex::new(Vec::new()),
        }
    }

    /// The repository directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The local path of `path`, refusing absolute paths and `..`.
    fn local(&self, path: &str) -> io::Result<PathBuf> {
        let relative = Path::new(path);
        let plain = !path.contains('\0')
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !plain {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{path:?} is not a relative path inside the repository"),
            ));
        }
        Ok(self.root.join(relative))
    }

    /// A fresh temporary path in the directory of `target`.
    fn temp_for(target: &Path) -> PathBuf {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!(".tmp-{}-{n}", std::process::id());
        match target.parent() {
            Some(parent) => parent.join(name),
            None => PathBuf::from(name),
        }
    }

    fn ensure_parent(path: &Path) -> io::Result<()> {
        match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => fs::create_dir_all(parent),
            _ => Ok(()),
        }
    }

    /// Writes a new temporary file next to `target` with `fill`, then renames it over
    /// `target`. The temporary file is removed on failure.
    fn replace_with(
        &self,
        target: &Path,
        private: bool,
        fill: &mut dyn FnMut(&mut File) -> io::Result<u64>,
    ) -> io::Result<u64> {
        if private {
            create_private_dir(target)?;
        } else {
            Self::ensure_parent(target)?;
        }
        let temp = Self::temp_for(target);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp)?;
        let durable_now = private || self.durability == Durability::EachWrite;
        let written = fill(&mut file).and_then(|n| {
            if durable_now {
                file.sync_all()?;
            }
            Ok(n)
        });
        drop(file);
        let result = written.and_then(|n| fs::rename(&temp, target).map(|()| n));
        match result {
            Ok(n) => {
                self.written(target, durable_now)?;
                Ok(n)
            }
            Err(e) => {
                let _ = fs::remove_file(&temp);
                Err(e)
            }
        }
    }

    /// Records a write for the next sync, or flushes its directory now.
    fn written(&self, target: &Path, durable_now: bool) -> io::Result<()> {
        if durable_now {
            if let Some(parent) = target.parent() {
                sync_dir(parent)?;
            }
        } else if !cfg!(target_os = "linux") {
            if let Ok(mut unsynced) = self.unsynced.lock() {
                unsynced.push(target.to_path_buf());
            }
        }
        Ok(())
    }
}

/// Creates the parent directories of a private file, the last one with mode 0700 on Unix.
fn create_private_dir(target: &Path) -> io::Result<()> {
    let Some(parent) = target.parent() else {
        return Ok(());
    };
    if parent.as_os_str().is_empty() || parent.is_dir() {
        return Ok(());
    }
    if let Some(grandparent) = parent.parent() {
        if !grandparent.as_os_str().is_empty() {
            fs::create_dir_all(grandparent)?;
        }
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(parent) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

/// Flushes a directory's entries to disk (Unix only; elsewhere a no-op).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Copies `reader` into `writer` with a fixed buffer.
pub(crate) fn copy_stream(reader: &mut dyn Read, writer: &mut dyn Write) -> io::Result<u64> {
    let mut buffer = vec![0u8; COPY_BUFFER];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        writer.write_all(buffer.get(..n).unwrap_or_default())?;
        total = total.saturating_add(n as u64);
    }
}

impl Storage for FsStorage {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        fs::read(self.local(path)?)
    }

    fn open(&self, path: &str) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(File::open(self.local(path)?)?))
    }

    fn size(&self, path: &str) -> io::Result<u64> {
        Ok(fs::metadata(self.local(path)?)?.len())
    }

    fn exists(&self, path: &str) -> io::Result<bool> {
        self.local(path)?.try_exists()
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let entries = match fs::read_dir(self.local(dir)?) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names = Vec::new();
        for entry in entries {
            if let Ok(name) = entry?.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let target = self.local(path)?;
        self.replace_with(&target, false, &mut |file| {
            file.write_all(bytes)?;
            Ok(bytes.len() as u64)
        })
        .map(|_| ())
    }

    fn write_private(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let target = self.local(path)?;
        self.replace_with(&target, true, &mut |file| {
            file.write_all(bytes)?;
            Ok(bytes.len() as u64)
        })
        .map(|_| ())
    }

    fn write_stream(&self, path: &str, reader: &mut dyn Read) -> io::Result<u64> {
        let target = self.local(path)?;
        self.replace_with(&target, false, &mut |file| copy_stream(reader, file))
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let (from, to) = (self.local(from)?, self.local(to)?);
        Self::ensure_parent(&to)?;
        fs::rename(&from, &to)?;
        self.written(&to, self.durability == Durability::EachWrite)
    }

    fn link(&self, from: &str, to: &str) -> io::Result<()> {
        let (from, to) = (self.local(from)?, self.local(to)?);
        Self::ensure_parent(&to)?;
        let temp = Self::temp_for(&to);
        if fs::hard_link(&from, &temp).is_err() {
            // Another file system, or no hard links: copy.
            let copied = fs::copy(&from, &temp).and_then(|_| {
                if self.durability == Durability::EachWrite {
                    File::open(&temp)?.sync_all()?;
                }
                Ok(())
            });
            if let Err(e) = copied {
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
        }
        if let Err(e) = fs::rename(&temp, &to) {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        self.written(&to, self.durability == Durability::EachWrite)
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        match fs::remove_file(self.local(path)?) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    fn create_dir(&self, dir: &str) -> io::Result<()> {
        fs::create_dir_all(self.local(dir)?)
    }

    fn sync(&self) -> io::Result<()> {
        if self.durability == Durability::EachWrite || !self.root.exists() {
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        {
            let root = File::open(&self.root)?;
            rustix::fs::syncfs(&root)?;
        }
        #[cfg(not(target_os = "linux"))]
        {
            let pending = match self.unsynced.lock() {
                Ok(mut unsynced) => std::mem::take(&mut *unsynced),
                Err(_) => Vec::new(),
            };
            let mut dirs = std::collections::BTreeSet::new();
            for path in pending {
                if let Ok(file) = File::open(&path) {
                    file.sync_all()?;
                }
                if let Some(parent) = path.parent() {
                    dirs.insert(parent.to_path_buf());
                }
            }
            for dir in dirs {
                sync_dir(&dir)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_outside() {
        let storage = FsStorage::new("/nonexistent");
        for bad in ["../x", "/etc/passwd", "a/../../b", "a\0b"] {
            assert_eq!(
                storage.read(bad).unwrap_err().kind(),
                io::ErrorKind::InvalidInput,
                "{bad}"
            );
        }
    }

    #[test]
    fn writes_links_and_private_files() {
        let dir = tempfile::tempdir().unwrap();
        for durability in [Durability::Batched, Durability::EachWrite] {
            let storage = FsStorage::with_durability(dir.path(), durability);
            storage.write("a/b.txt", b"one").unwrap();
            storage.write("a/b.txt", b"two").unwrap();
            storage.link("a/b.txt", "c/d.txt").unwrap();
            assert_eq!(storage.read("c/d.txt").unwrap(), b"two");
            let n = storage
                .write_stream("e.bin", &mut &b"streamed"[..])
                .unwrap();
            assert_eq!(n, 8);
            storage.rename("e.bin", "f/e.bin").unwrap();
            assert!(!storage.exists("e.bin").unwrap());
            assert_eq!(storage.size("f/e.bin").unwrap(), 8);
            storage.write_private("keys/k/x.pem", b"secret").unwrap();
            storage.sync().unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = fs::metadata(dir.path().join("keys/k/x.pem"))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600);
                let mode = fs::metadata(dir.path().join("keys/k"))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o700);
            }
            storage.remove("f/e.bin").unwrap();
            storage.remove("f/e.bin").unwrap();
            // No temporary file is left behind.
            let mut names = storage.list("a").unwrap();
            names.sort();
            assert_eq!(names, vec!["b.txt".to_owned()]);
            fs::remove_dir_all(dir.path().join("keys")).unwrap();
        }
        assert!(
            FsStorage::new(dir.path())
                .list("missing")
                .unwrap()
                .is_empty()
        );
    }
}
