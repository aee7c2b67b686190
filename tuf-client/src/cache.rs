//! The local metadata directory and target-directory writes.
//!
//! The layout is the one of the client contract (`CLIENT-CLI.md`): one file per trusted role,
//! `<quote(role)>.json`, holding exactly the bytes received from the repository, and no other
//! `*.json` file at the top of the directory. Every write goes to a temporary file in the same
//! directory (never named `*.json`), is flushed to disk, renamed over the final name and the
//! directory is flushed too (once after several renames): a crash leaves either the old file
//! or the new one, never half a file. Large files are written with direct I/O ([`direct`]).
//!
//! Several processes may share one metadata directory; [`MetadataCache::lock`] serialises them
//! with an advisory lock on `.lock` in that directory.
//!
//! A process killed mid-write leaves its temporary file behind, never a wrong `*.json` or
//! target: the next [`MetadataCache::lock`] removes the metadata directory's `.tmp-*` files
//! (every metadata writer holds the lock, so they are all stale). Target downloads are written
//! without the lock, so their temporaries (`.download-<pid>-<n>` in the metadata directory,
//! `.tmp-<pid>-<n>+partial` in the target directory) are removed, once per process and
//! directory, only when process `<pid>` no longer runs.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub mod direct;

/// Why a cache operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// Reading, writing, renaming or removing `path` failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Taking the lock on `path` failed.
    #[error("locking {}: {source}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file at `path` is larger than the caller's cap.
    #[error("{} is larger than {max_length} bytes", path.display())]
    TooLarge {
        /// The file concerned.
        path: PathBuf,
        /// The cap.
        max_length: u64,
    },
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Percent-encodes `name` like Python's `urllib.parse.quote(name, safe="")`: every byte of its
/// UTF-8 except `A-Z a-z 0-9 _ . - ~` becomes `%XX` (upper-case hex), `/` included.
pub fn quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for &b in name.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
    }
    out
}

fn hex_digit(nibble: u8) -> char {
    char::from(
        b"0123456789ABCDEF"
            .get(usize::from(nibble))
            .copied()
            .unwrap_or(b'0'),
    )
}

/// The name of the lock file at the top of the metadata directory (not `*.json`).
const LOCK_FILE: &str = ".lock";

/// Distinguishes the temporary files of one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn next_temp_id() -> String {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}-{n}", std::process::id())
}

/// The metadata directory of one repository.
#[derive(Debug, Clone)]
pub struct MetadataCache {
    dir: PathBuf,
}

/// Holds the exclusive lock of a [`MetadataCache`] until dropped.
#[derive(Debug)]
#[must_use = "the lock is released when the guard is dropped"]
pub struct CacheLock {
    file: File,
}

impl Drop for CacheLock {
    fn drop(&mut self) {
        // Closing the file releases the lock anyway; unlocking first makes it explicit.
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

impl MetadataCache {
    /// The cache in `dir`, creating the directory (and its parents) if needed.
    ///
    /// # Errors
    /// [`CacheError::Io`] if the directory cannot be created.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, CacheError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        Ok(Self { dir })
    }

    /// The metadata directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `role`: `<quote(role)>.json`.
    fn role_path(&self, role: &str) -> PathBuf {
        self.dir.join(format!("{}.json", quote(role)))
    }

    /// Takes the exclusive advisory lock of the directory (on its `.lock` file), blocking until
    /// it is available. Processes that share the directory must hold it while they read and
    /// write metadata; it is released when the guard drops.
    ///
    /// # Errors
    /// [`CacheError::Lock`] if the lock file cannot be opened or locked.
    pub fn lock(&self) -> Result<CacheLock, CacheError> {
        let path = self.dir.join(LOCK_FILE);
        let lock_err = |source| CacheError::Lock {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_err)?;
        fs4::FileExt::lock(&file).map_err(lock_err)?;
        // Every write happens under this lock, so any temporary file now in the directory was
        // left by a process that died mid-write (SIGKILL, power loss): remove it.
        remove_temp_files(&self.dir, |name| name.starts_with(".tmp-"));
        Ok(CacheLock { file })
    }

    /// The bytes stored for `role`, or `None` if there are none.
    ///
    /// # Errors
    /// [`CacheError::TooLarge`] if the file is larger than `max_length` (it is not read whole),
    /// [`CacheError::Io`] if it cannot be read.
    pub fn load(&self, role: &str, max_length: u64) -> Result<Option<Vec<u8>>, CacheError> {
        let path = self.role_path(role);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path)(e)),
        };
        let too_large = || CacheError::TooLarge {
            path: path.clone(),
            max_length,
        };
        let len = file.metadata().map_err(io_err(&path))?.len();
        if len > max_length {
            return Err(too_large());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        // The file may have grown since: read at most one byte past the cap.
        file.take(max_length.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io_err(&path))?;
        if bytes.len() as u64 > max_length {
            return Err(too_large());
        }
        Ok(Some(bytes))
    }

    /// Atomically replaces the bytes of `role`: [`MetadataCache::stage`], then
    /// [`StagedRole::commit`] and [`MetadataCache::sync`]. On error the temporary file is
    /// removed and the old file is intact.
    ///
    /// # Errors
    /// [`CacheError::Io`] if any step fails.
    pub fn store(&self, role: &str, bytes: &[u8]) -> Result<(), CacheError> {
        self.stage(role, bytes)?.commit()?;
        self.sync()
    }

    /// Writes `bytes` to a new temporary file `.tmp-<quoted role>-<pid>-<n>` in the directory
    /// and flushes it to disk, ready to replace the file of `role` ([`StagedRole::commit`]).
    /// Dropping the result removes the temporary file. The updater stages a role's bytes while
    /// the core verifies them, so that the write and its flush to disk overlap the
    /// verification; only verified bytes are committed.
    ///
    /// # Errors
    /// [`CacheError::Io`] if the file cannot be created, written or flushed (it is removed).
    pub fn stage(&self, role: &str, bytes: &[u8]) -> Result<StagedRole, CacheError> {
        let quoted = quote(role);
        // Keep the temporary name well below NAME_MAX even for long role names (quote() output
        // is ASCII, so any byte index is a char boundary).
        let short = quoted.get(..quoted.len().min(64)).unwrap_or_default();
        let temp = self.dir.join(format!(".tmp-{short}-{}", next_temp_id()));
        stage_file(temp, self.role_path(role), bytes)
    }

    /// Flushes the directory's entries (the renames of [`StagedRole::commit`]) to disk. A
    /// crash before this leaves, for each role committed since the last sync, either the old
    /// file or the new one, both complete (each was flushed before its rename); the sync makes
    /// the new ones durable. One sync after several commits costs one flush instead of one per
    /// file.
    ///
    /// # Errors
    /// [`CacheError::Io`] if the directory cannot be flushed.
    pub fn sync(&self) -> Result<(), CacheError> {
        sync_dir(&self.dir)
    }

    /// Removes the file of `role`; a missing file is not an error.
    ///
    /// # Errors
    /// [`CacheError::Io`] if the file exists and cannot be removed.
    pub fn remove(&self, role: &str) -> Result<(), CacheError> {
        let path = self.role_path(role);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }
}

/// The bytes of one role written and flushed to a temporary file, not yet in place; see
/// [`MetadataCache::stage`]. Dropped without [`StagedRole::commit`], the file is removed.
#[derive(Debug)]
#[must_use = "a staged role is removed unless committed"]
pub struct StagedRole {
    temp: PathBuf,
    final_path: PathBuf,
    committed: bool,
}

impl StagedRole {
    /// Renames the staged file over the role's file: atomic, the old file or the new one is
    /// there, never a mix. Durable once the directory is synced ([`MetadataCache::sync`]).
    ///
    /// # Errors
    /// [`CacheError::Io`] if the rename fails (the temporary file is then removed).
    pub fn commit(mut self) -> Result<(), CacheError> {
        fs::rename(&self.temp, &self.final_path).map_err(io_err(&self.final_path))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for StagedRole {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Writes verified target bytes to `target_dir/file_name` atomically, returning the final path.
///
/// The updater passes `quote(target path)` as `file_name`, so each target path maps to exactly
/// one file directly in the target directory, with no subdirectories (python-tuf's ngclient
/// names its downloads the same way). The bytes go to a temporary file
/// `.tmp-<pid>-<n>+partial` in `target_dir` (so the rename is atomic; `+` never appears in a
/// [`quote`]d name, so it cannot collide with a target), which is flushed, renamed over the
/// final name, and the directory flushed. On every error path the temporary file is removed,
/// and an earlier file of the same name is left untouched. Temporary files of writers that
/// died are swept first (once per process and directory; see the module documentation).
///
/// `target_dir` is not created. `file_name` must be a single path component other than `.`
/// and `..`.
///
/// # Errors
/// [`CacheError::Io`] if `file_name` is not a plain file name or any step fails.
pub fn persist_target(
    target_dir: &Path,
    file_name: &str,
    bytes: &[u8],
) -> Result<PathBuf, CacheError> {
    check_plain(target_dir, file_name)?;
    sweep_dead_writers(target_dir, TARGET_TEMP);
    let final_path = target_dir.join(file_name);
    let temp = target_dir.join(format!(".tmp-{}+partial", next_temp_id()));
    stage_file(temp, final_path.clone(), bytes)?.commit()?;
    sync_dir(target_dir)?;
    Ok(final_path)
}

/// A target download in progress: a temporary file in the metadata directory (never in the
/// target directory, which only ever receives verified files, `CLIENT-CLI.md`), written as the
/// bytes arrive (a megabyte at a time, with direct I/O where available: [`direct`]) so that a
/// large target is never held in memory.
///
/// Nothing is verified here: the caller checks length and hashes of what it wrote and only
/// then calls [`StagedTarget::persist`]. Dropped without `persist`, the file is removed.
#[derive(Debug)]
pub struct StagedTarget {
    path: PathBuf,
    file: Option<direct::DirectWriter>,
}

impl StagedTarget {
    /// A new, empty temporary file in `staging_dir` (the metadata directory), named
    /// `.download-<pid>-<n>` (not `*.json`).
    ///
    /// # Errors
    /// [`CacheError::Io`] if it cannot be created.
    pub fn create(staging_dir: &Path) -> Result<Self, CacheError> {
        sweep_dead_writers(staging_dir, STAGED_DOWNLOAD);
        let path = staging_dir.join(format!(".download-{}", next_temp_id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_err(&path))?;
        Ok(StagedTarget {
            file: Some(direct::DirectWriter::new(file, &path)),
            path,
        })
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the file to disk and moves it to `target_dir/file_name` (a plain file name, as
    /// for [`persist_target`]), replacing an earlier file atomically, then flushes the
    /// directory. When the metadata directory is on another file system than the target
    /// directory, the file is copied to a temporary file in the target directory first and
    /// renamed from there (the only case where a crash can leave a temporary file in it).
    ///
    /// # Errors
    /// [`CacheError::Io`] if `file_name` is not a plain file name or any step fails; the
    /// temporary file is removed and an earlier file of that name is intact.
    pub fn persist(mut self, target_dir: &Path, file_name: &str) -> Result<PathBuf, CacheError> {
        check_plain(target_dir, file_name)?;
        sweep_dead_writers(target_dir, TARGET_TEMP);
        let final_path = target_dir.join(file_name);
        if let Some(writer) = self.file.take() {
            let file = writer.finish().map_err(io_err(&self.path))?;
            file.sync_all().map_err(io_err(&self.path))?;
        }
        match fs::rename(&self.path, &final_path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
                let temp = target_dir.join(format!(".tmp-{}+partial", next_temp_id()));
                let copied = fs::copy(&self.path, &temp)
                    .and_then(|_| File::open(&temp))
                    .and_then(|f| f.sync_all())
                    .map_err(io_err(&temp))
                    .and_then(|()| fs::rename(&temp, &final_path).map_err(io_err(&final_path)));
                if let Err(e) = copied {
                    let _ = fs::remove_file(&temp);
                    return Err(e);
                }
            }
            Err(e) => return Err(io_err(&final_path)(e)),
        }
        sync_dir(target_dir)?;
        Ok(final_path)
    }
}

impl Write for StagedTarget {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.file.as_mut() {
            Some(file) => file.write(buf),
            None => Err(io::Error::other("staged target already persisted")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for StagedTarget {
    fn drop(&mut self) {
        // Persisted: the rename moved it (or the copy fallback left it to remove). Not
        // persisted: unverified bytes, never kept.
        drop(self.file.take());
        let _ = fs::remove_file(&self.path);
    }
}

/// Refuses a `file_name` that is not one plain path component.
fn check_plain(target_dir: &Path, file_name: &str) -> Result<(), CacheError> {
    let plain = !file_name.is_empty()
        && file_name != "."
        && file_name != ".."
        && !file_name.contains(['/', '\\', '\0']);
    if plain {
        return Ok(());
    }
    Err(CacheError::Io {
        path: target_dir.join(file_name),
        source: io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{file_name:?} is not a plain file name"),
        ),
    })
}

/// The shape of a temporary file name, `<prefix><pid>-<n><suffix>`, written by one process
/// outside the metadata lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TempName {
    prefix: &'static str,
    suffix: &'static str,
}

/// [`persist_target`]'s temporaries in the target directory.
const TARGET_TEMP: TempName = TempName {
    prefix: ".tmp-",
    suffix: "+partial",
};

/// [`StagedTarget`]'s downloads in the metadata directory.
const STAGED_DOWNLOAD: TempName = TempName {
    prefix: ".download-",
    suffix: "",
};

impl TempName {
    /// The writer's process id, if `name` has this shape.
    fn writer(self, name: &str) -> Option<u32> {
        let (pid, n) = name
            .strip_prefix(self.prefix)?
            .strip_suffix(self.suffix)?
            .split_once('-')?;
        n.parse::<u64>().ok()?;
        pid.parse().ok()
    }
}

/// Removes the files of `dir` whose name passes `stale` (never a `*.json`); best effort.
fn remove_temp_files(dir: &Path, stale: impl Fn(&str) -> bool) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if !name.ends_with(".json") && stale(name) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The directories (and name shapes) this process has already swept.
static SWEPT: std::sync::Mutex<Vec<(PathBuf, TempName)>> = std::sync::Mutex::new(Vec::new());

/// Once per process, directory and name shape, removes the temporary files left by processes
/// that died while writing them (a `<pid>` that no longer runs). These files are written
/// without the metadata lock, so a temporary file of a live process is never touched; where
/// process liveness cannot be told (no `/proc`), nothing is removed.
fn sweep_dead_writers(dir: &Path, shape: TempName) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    {
        let mut swept = SWEPT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if swept.iter().any(|(d, s)| d == dir && *s == shape) {
            return;
        }
        swept.push((dir.to_path_buf(), shape));
    }
    remove_temp_files(dir, |name| {
        shape.writer(name).is_some_and(|pid| {
            pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
        })
    });
}

/// Writes `bytes` to the new file `temp` and flushes it, to be renamed to `final_path`. Removes
/// `temp` if anything fails.
fn stage_file(temp: PathBuf, final_path: PathBuf, bytes: &[u8]) -> Result<StagedRole, CacheError> {
    let staged = StagedRole {
        temp,
        final_path,
        committed: false,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&staged.temp)
        .map_err(io_err(&staged.temp))?;
    direct::write_all(&mut file, &staged.temp, bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_err(&staged.temp))?;
    Ok(staged)
}

/// Flushes a directory's entries (the rename) to disk. Only possible on Unix; elsewhere a
/// no-op.
fn sync_dir(dir: &Path) -> Result<(), CacheError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
