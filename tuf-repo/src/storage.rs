//! Where a repository's files live: the [`Storage`] trait, and [`FsStorage`], a directory.
//!
//! Paths are relative to the repository root, `/`-separated (`metadata/1.root.json`,
//! `targets/a/b.txt`, `keys/root/<keyid>.pem`). The trait is object-safe and its operations
//! are the few a repository needs, so that a database- or object-store-backed service can
//! implement it later.
//!
//! Writes are atomic (a reader sees the old content or the new one, never a part of it),
//! except [`Storage::write_new`], for files nothing published refers to yet. Durability comes
//! at [`Storage::sync`]: the repository syncs before it makes visible a file that refers to
//! earlier ones (snapshot after the targets roles it lists, timestamp after the snapshot, any
//! metadata after the target files it describes), so a crash can lose the last publish but
//! never leave metadata pointing at a file that is not on disk. [`FsStorage`] writes files of
//! a megabyte or more (metadata, and target files as they are copied in) with direct I/O where
//! the file system has it ([`tuf_client::cache::direct`]): the page cache is skipped, the
//! result is the same.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

// Large files (a targets role listing many targets) are written with direct I/O on Linux.
use tuf_client::cache::direct;

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

    /// As [`Storage::write`], for a file that no published metadata refers to yet (the new
    /// version of a role, before the snapshot that lists it is published): a reader may see
    /// it partly written, so an implementation may skip the temporary copy that makes
    /// [`Storage::write`] atomic. An existing file must still be replaced atomically (a
    /// crash may have left it referenced). Durable once [`Storage::sync`] returns. The
    /// default is [`Storage::write`].
    ///
    /// # Errors
    /// As [`Storage::write`].
    fn write_new(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        self.write(path, bytes)
    }

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
    /// [`Storage::sync`]: an `fsync` of each file written since the last sync and of its
    /// directory, or, past [`FSYNC_FILES_MAX`] files on Linux, one `syncfs(2)`. A sync with
    /// nothing written since the last one does nothing. The repository syncs before any file
    /// that refers to earlier ones is made visible, so ordering on disk is kept.
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
    /// What was written since the last sync.
    unsynced: Mutex<Unsynced>,
}

/// Most files flushed one by one at a [`Storage::sync`] of an [`FsStorage`] on Linux; past
/// this many, one `syncfs(2)` flushes the whole file system (cheaper for thousands of files,
/// dearer when other processes have much unwritten data on it).
pub const FSYNC_FILES_MAX: usize = 64;

/// The writes a sync must make durable.
#[derive(Debug, Default)]
struct Unsynced {
    /// Files created, replaced or linked (their directories are flushed with them).
    files: Vec<PathBuf>,
    /// Directories whose entries changed otherwise (a file removed, a directory created).
    dirs: Vec<PathBuf>,
    /// More than [`FSYNC_FILES_MAX`] files on Linux: the list is no longer kept, and the next
    /// sync is a `syncfs`.
    overflow: bool,
}

impl Unsynced {
    fn is_empty(&self) -> bool {
        self.files.is_empty() && self.dirs.is_empty() && !self.overflow
    }
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
            unsynced: Mutex::new(Unsynced::default()),
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

    /// Creates the missing parent directories of `path` and records them for the next sync.
    fn create_parents(&self, path: &Path) -> io::Result<()> {
        match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(parent) => self.create_dirs(parent),
            None => Ok(()),
        }
    }

    /// Creates `dir` and its missing parents, and records them for the next sync.
    fn create_dirs(&self, dir: &Path) -> io::Result<()> {
        // The new directories, and the existing one that holds the first of them, need their
        // entries flushed.
        let mut missing = Vec::new();
        let mut next = Some(dir);
        while let Some(d) = next.filter(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
            missing.push(d.to_path_buf());
            next = d.parent();
        }
        if missing.is_empty() {
            return Ok(());
        }
        fs::create_dir_all(dir)?;
        if let Some(holder) = next {
            missing.push(holder.to_path_buf());
        }
        self.record_dirs(missing);
        Ok(())
    }

    /// Runs `op`, and again after creating the parent directories of `target` if it failed
    /// because one is missing (so that writes into existing directories cost no `mkdir`).
    fn with_parents<R>(
        &self,
        target: &Path,
        op: &mut dyn FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.create_parents(target)?;
                op()
            }
            other => other,
        }
    }

    /// Writes a new temporary file next to `target` with `fill` (given the file and its
    /// path), then renames it over `target`. The temporary file is removed on failure.
    fn replace_with(
        &self,
        target: &Path,
        private: bool,
        fill: &mut dyn FnMut(&mut File, &Path) -> io::Result<u64>,
    ) -> io::Result<u64> {
        if private {
            create_private_dir(target)?;
        }
        let temp = Self::temp_for(target);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = self.with_parents(target, &mut || options.open(&temp))?;
        let durable_now = private || self.durability == Durability::EachWrite;
        let written = fill(&mut file, &temp).and_then(|n| {
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
            return Ok(());
        }
        if let Ok(mut unsynced) = self.unsynced.lock() {
            if unsynced.overflow {
                return Ok(());
            }
            if cfg!(target_os = "linux") && unsynced.files.len() >= FSYNC_FILES_MAX {
                // The next sync is a syncfs: no need to remember more.
                unsynced.overflow = true;
                unsynced.files = Vec::new();
                unsynced.dirs = Vec::new();
            } else {
                unsynced.files.push(target.to_path_buf());
            }
        }
        Ok(())
    }

    /// Records directories whose entries changed, for the next sync.
    fn record_dirs(&self, dirs: Vec<PathBuf>) {
        if self.durability == Durability::EachWrite {
            for dir in &dirs {
                let _ = sync_dir(dir);
            }
            return;
        }
        if let Ok(mut unsynced) = self.unsynced.lock() {
            if !unsynced.overflow {
                unsynced.dirs.extend(dirs);
            }
        }
    }

    /// Flushes every file of the file system holding the repository (Linux: `syncfs`), or
    /// elsewhere every file and directory of the repository.
    fn sync_all_files(&self) -> io::Result<()> {
        if !self.root.exists() {
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        {
            let root = File::open(&self.root)?;
            rustix::fs::syncfs(&root)?;
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            fn walk(dir: &Path) -> io::Result<()> {
                for entry in fs::read_dir(dir)? {
                    let entry = entry?;
                    if entry.file_type()?.is_dir() {
                        walk(&entry.path())?;
                    } else {
                        File::open(entry.path())?.sync_all()?;
                    }
                }
                sync_dir(dir)
            }
            walk(&self.root)
        }
    }

    /// Flushes every file of `pending` and the directories holding them.
    fn sync_each(pending: &Unsynced) -> io::Result<()> {
        let mut dirs = std::collections::BTreeSet::new();
        for path in &pending.files {
            match File::open(path) {
                Ok(file) => file.sync_all()?,
                // Renamed or removed since: its new name is in the list.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            if let Some(parent) = path.parent() {
                dirs.insert(parent.to_path_buf());
            }
        }
        dirs.extend(pending.dirs.iter().cloned());
        for dir in dirs {
            match sync_dir(&dir) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                other => other?,
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
        self.replace_with(&target, false, &mut |file, temp| {
            direct::write_all(file, temp, bytes)?;
            Ok(bytes.len() as u64)
        })
        .map(|_| ())
    }

    fn write_new(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        if self.durability == Durability::EachWrite {
            return self.write(path, bytes);
        }
        let target = self.local(path)?;
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        let mut file = match self.with_parents(&target, &mut || options.open(&target)) {
            Ok(file) => file,
            // A crash may have left it, perhaps referenced: replace it atomically.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return self.write(path, bytes),
            Err(e) => return Err(e),
        };
        if let Err(e) = direct::write_all(&mut file, &target, bytes) {
            drop(file);
            let _ = fs::remove_file(&target);
            return Err(e);
        }
        self.written(&target, false)
    }

    fn write_private(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let target = self.local(path)?;
        self.replace_with(&target, true, &mut |file, _| {
            file.write_all(bytes)?;
            Ok(bytes.len() as u64)
        })
        .map(|_| ())
    }

    fn write_stream(&self, path: &str, reader: &mut dyn Read) -> io::Result<u64> {
        let target = self.local(path)?;
        self.replace_with(&target, false, &mut |file, temp| {
            let mut writer = direct::DirectWriter::new(file.try_clone()?, temp);
            let copied = copy_stream(reader, &mut writer)?;
            writer.finish()?;
            Ok(copied)
        })
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let (from, to) = (self.local(from)?, self.local(to)?);
        self.with_parents(&to, &mut || fs::rename(&from, &to))?;
        if let Some(parent) = from.parent() {
            self.record_dirs(vec![parent.to_path_buf()]);
        }
        self.written(&to, self.durability == Durability::EachWrite)
    }

    fn link(&self, from: &str, to: &str) -> io::Result<()> {
        let (from, to) = (self.local(from)?, self.local(to)?);
        // A new name is linked directly; an existing one is replaced atomically through a
        // temporary link.
        match self.with_parents(&to, &mut || fs::hard_link(&from, &to)) {
            Ok(()) => return self.written(&to, self.durability == Durability::EachWrite),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            // Another file system, or no hard links: copied below.
            Err(_) if from.is_file() => {}
            Err(e) => return Err(e),
        }
        let temp = Self::temp_for(&to);
        if fs::hard_link(&from, &temp).is_err() {
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
        let local = self.local(path)?;
        match fs::remove_file(&local) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
            Ok(()) => {
                if let Some(parent) = local.parent() {
                    self.record_dirs(vec![parent.to_path_buf()]);
                }
                Ok(())
            }
        }
    }

    fn create_dir(&self, dir: &str) -> io::Result<()> {
        self.create_dirs(&self.local(dir)?)
    }

    fn sync(&self) -> io::Result<()> {
        if self.durability == Durability::EachWrite {
            return Ok(());
        }
        let pending = match self.unsynced.lock() {
            Ok(mut unsynced) => std::mem::take(&mut *unsynced),
            Err(_) => Unsynced {
                overflow: true,
                ..Unsynced::default()
            },
        };
        if pending.is_empty() {
            return Ok(());
        }
        let result = if pending.overflow {
            self.sync_all_files()
        } else {
            Self::sync_each(&pending)
        };
        if result.is_err() {
            // Still to be made durable by the next sync.
            if let Ok(mut unsynced) = self.unsynced.lock() {
                unsynced.files.extend(pending.files);
                unsynced.dirs.extend(pending.dirs);
                unsynced.overflow |= pending.overflow;
            }
        }
        result
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
    fn large_files_are_written_exactly() {
        // A megabyte or more goes through direct I/O where the file system has it.
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..(3usize << 20) + 777).map(|i| (i % 241) as u8).collect();
        for durability in [Durability::Batched, Durability::EachWrite] {
            let storage = FsStorage::with_durability(dir.path(), durability);
            storage.write("metadata/big.json", &bytes).unwrap();
            storage.write_new("metadata/1.big.json", &bytes).unwrap();
            let n = storage
                .write_stream("targets/big.bin", &mut &bytes[..])
                .unwrap();
            assert_eq!(n, bytes.len() as u64);
            storage.sync().unwrap();
            for path in [
                "metadata/big.json",
                "metadata/1.big.json",
                "targets/big.bin",
            ] {
                assert!(storage.read(path).unwrap() == bytes, "{path}");
            }
            storage.remove("metadata/1.big.json").unwrap();
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

    #[test]
    fn new_files_links_and_missing_directories() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FsStorage::new(dir.path());
        storage.write_new("m/1.a.json", b"one").unwrap();
        // An existing file is replaced (atomically), not refused.
        storage.write_new("m/1.a.json", b"uno").unwrap();
        assert_eq!(storage.read("m/1.a.json").unwrap(), b"uno");
        storage.write_new("deep/er/x", b"x").unwrap();
        storage.link("m/1.a.json", "m/a.json").unwrap();
        storage.write_new("m/2.a.json", b"two").unwrap();
        // Linking over an existing name replaces it.
        storage.link("m/2.a.json", "m/a.json").unwrap();
        assert_eq!(storage.read("m/a.json").unwrap(), b"two");
        storage.link("m/2.a.json", "new/dir/a.json").unwrap();
        storage.rename("m/1.a.json", "other/1.a.json").unwrap();
        assert!(storage.link("missing", "m/b.json").is_err());
        assert!(storage.rename("missing", "m/b.json").is_err());
        let mut names = storage.list("m").unwrap();
        names.sort();
        assert_eq!(names, ["2.a.json", "a.json"]);
        storage.sync().unwrap();
    }

    #[test]
    fn sync_flushes_what_was_written_since_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FsStorage::new(dir.path());
        let pending = |storage: &FsStorage| {
            let unsynced = storage.unsynced.lock().unwrap();
            (unsynced.files.len(), unsynced.overflow)
        };
        storage.create_dir("metadata").unwrap();
        storage.write("metadata/a", b"a").unwrap();
        storage.write_new("metadata/b", b"b").unwrap();
        storage.link("metadata/b", "metadata/c").unwrap();
        assert_eq!(pending(&storage), (3, false));
        assert!(!storage.unsynced.lock().unwrap().dirs.is_empty());
        storage.sync().unwrap();
        assert!(storage.unsynced.lock().unwrap().is_empty());
        // Nothing new: nothing to do.
        storage.sync().unwrap();
        for i in 0..=FSYNC_FILES_MAX {
            storage.write_new(&format!("metadata/{i}"), b"x").unwrap();
        }
        if cfg!(target_os = "linux") {
            // Past the limit the list is dropped: the sync is one syncfs.
            assert_eq!(pending(&storage), (0, true));
        } else {
            assert_eq!(pending(&storage), (FSYNC_FILES_MAX + 1, false));
        }
        storage.sync().unwrap();
        assert!(storage.unsynced.lock().unwrap().is_empty());
        // With each write durable at once, nothing waits for a sync.
        let each = FsStorage::with_durability(dir.path(), Durability::EachWrite);
        each.write_new("metadata/e", b"e").unwrap();
        assert!(each.unsynced.lock().unwrap().is_empty());
    }
}
