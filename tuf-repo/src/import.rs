//! Adding local files as targets: streamed hashing (sha256 and sha512 in one pass) and copying
//! into `targets/`, on two threads, with at most four files open at once.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Map;
use sha2::{Digest, Sha256, Sha512};
use tuf_metadata::{Hashes, TargetFile};

use crate::layout::{self, TARGETS_DIR};
use crate::parallel::{self, FILE_WORKERS};
use crate::progress::{Progress, Unit};
use crate::{Error, Storage};

/// The hash algorithms listed for every target added: sha256 (the one python-tuf clients
/// expect and name consistent-snapshot files by) and sha512.
pub const TARGET_HASH_ALGORITHMS: [&str; 2] = ["sha256", "sha512"];

/// A local file to add as a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSource {
    /// The target path clients ask for (`dir/name.ext`).
    pub target_path: String,
    /// The local file.
    pub file: PathBuf,
}

impl TargetSource {
    /// The target `prefix/<file name>` (or `<file name>` without a prefix) for `file`.
    ///
    /// ```
    /// use tuf_repo::TargetSource;
    /// let source = TargetSource::for_file("/tmp/build/app.tar.gz", Some("releases/1.0/"));
    /// assert_eq!(source.unwrap().target_path, "releases/1.0/app.tar.gz");
    /// ```
    ///
    /// # Errors
    /// [`Error::TargetPath`] if the file has no name or the resulting path is invalid.
    pub fn for_file(file: impl Into<PathBuf>, prefix: Option<&str>) -> Result<Self, Error> {
        let file = file.into();
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::TargetPath {
                path: file.display().to_string(),
                reason: "the file has no UTF-8 file name",
            })?;
        let target_path = match prefix.map(|p| p.trim_matches('/')) {
            Some(prefix) if !prefix.is_empty() => format!("{prefix}/{name}"),
            _ => name.to_owned(),
        };
        layout::check_target_path(&target_path)?;
        Ok(TargetSource { target_path, file })
    }
}

/// Reads through to an inner reader while hashing, and remembers read errors (to tell them
/// from write errors).
struct HashingReader<'a> {
    inner: File,
    sha256: Sha256,
    sha512: Sha512,
    length: u64,
    read_error: Option<io::ErrorKind>,
    progress: &'a dyn Progress,
}

impl Read for HashingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                self.read_error = Some(e.kind());
                return Err(e);
            }
        };
        let data = buf.get(..n).unwrap_or_default();
        self.sha256.update(data);
        self.sha512.update(data);
        self.length = self.length.saturating_add(n as u64);
        self.progress.advance(n as u64);
        Ok(n)
    }
}

impl<'a> HashingReader<'a> {
    fn open(path: &Path, progress: &'a dyn Progress) -> Result<Self, Error> {
        let inner = File::open(path).map_err(Error::io(path.display().to_string()))?;
        Ok(HashingReader {
            inner,
            sha256: Sha256::new(),
            sha512: Sha512::new(),
            length: 0,
            read_error: None,
            progress,
        })
    }

    fn target_file(self) -> TargetFile {
        let mut hashes = Hashes::new();
        hashes.insert("sha256".to_owned(), hex::encode(self.sha256.finalize()));
        hashes.insert("sha512".to_owned(), hex::encode(self.sha512.finalize()));
        TargetFile {
            length: self.length,
            hashes,
            custom: None,
            unrecognized_fields: Map::new(),
        }
    }
}

/// Describes a local file as a target (length, sha256, sha512), reading it in pieces.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("hello.txt");
/// std::fs::write(&file, b"hello")?;
/// let info = tuf_repo::hash_file(&file)?;
/// assert_eq!(info.length, 5);
/// assert_eq!(info.hashes["sha256"], tuf_metadata::hashes::digest_hex("sha256", b"hello")?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Io`] if the file cannot be read.
pub fn hash_file(path: &Path) -> Result<TargetFile, Error> {
    let mut reader = HashingReader::open(path, &crate::progress::NoProgress)?;
    io::copy(&mut reader, &mut io::sink()).map_err(Error::io(path.display().to_string()))?;
    Ok(reader.target_file())
}

/// Distinguishes the temporary files of imports.
static IMPORT_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Hashes and copies each source into `targets/` (hash-prefixed names with consistent
/// snapshots), returning the description of each, in order.
pub(crate) fn import(
    storage: &dyn Storage,
    sources: &[TargetSource],
    consistent_snapshot: bool,
    progress: &dyn Progress,
) -> Result<Vec<TargetFile>, Error> {
    for source in sources {
        layout::check_target_path(&source.target_path)?;
    }
    // Sizes for the progress bar (stat only; no file is opened here).
    let total = sources
        .iter()
        .filter_map(|s| std::fs::metadata(&s.file).ok())
        .map(|m| m.len())
        .sum();
    progress.start("hashing", total, Unit::Bytes);
    let result = parallel::map(sources, FILE_WORKERS, |source| {
        import_one(storage, source, consistent_snapshot, progress)
    });
    progress.finish();
    result
}

fn import_one(
    storage: &dyn Storage,
    source: &TargetSource,
    consistent_snapshot: bool,
    progress: &dyn Progress,
) -> Result<TargetFile, Error> {
    let mut reader = HashingReader::open(&source.file, progress)?;
    let destination = if consistent_snapshot {
        // The final name depends on the hash: copy under a temporary name in the same
        // directory, then rename.
        let n = IMPORT_COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = format!(
            "{}.tmp-import-{}-{n}",
            dir_of(&source.target_path),
            std::process::id()
        );
        format!("{TARGETS_DIR}/{temp}")
    } else {
        format!("{TARGETS_DIR}/{}", source.target_path)
    };
    if let Err(e) = storage.write_stream(&destination, &mut reader) {
        let path = match reader.read_error {
            Some(_) => source.file.display().to_string(),
            None => destination,
        };
        return Err(Error::Io { path, source: e });
    }
    let info = reader.target_file();
    if consistent_snapshot {
        let files = layout::target_files(&source.target_path, &info.hashes, true);
        let mut files = files.into_iter();
        if let Some(first) = files.next() {
            storage
                .rename(&destination, &first)
                .map_err(Error::io(&first))?;
            for other in files {
                storage.link(&first, &other).map_err(Error::io(&other))?;
            }
        }
    }
    Ok(info)
}

/// `dir/` of `dir/name`, or `""`.
fn dir_of(target_path: &str) -> &str {
    match target_path.rfind('/') {
        Some(index) => target_path.get(..=index).unwrap_or_default(),
        None => "",
    }
}
