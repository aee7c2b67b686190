//! Support for the end-to-end tests: a static HTTP server that records requests, the
//! `tuf-client` binary run as a process, and repositories made by python-tuf
//! (`spec-vectors/generator/make_client_repo.py`).
// Each test binary uses a subset of these helpers.
#![allow(dead_code)]

pub(crate) mod process;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

pub(crate) use process::client;
pub(crate) use tuf_conformance::dir_server::DirServer as Server;

// --------------------------------------------------------------------------------------
// The client process
// --------------------------------------------------------------------------------------

fn describe(output: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Assert that the client exited with 0.
#[track_caller]
pub(crate) fn assert_success(output: &Output, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{what}: expected exit 0, got {}",
        describe(output)
    );
}

/// Assert that the client exited with exactly 1 (a refusal, not a crash).
#[track_caller]
pub(crate) fn assert_failure(output: &Output, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(1),
        "{what}: expected exit 1, got {}",
        describe(output)
    );
}

/// One client's state: a metadata directory and a target directory (both empty at first),
/// talking to one server.
pub(crate) struct Client {
    dir: tempfile::TempDir,
    metadata_url: String,
    targets_url: String,
}

impl Client {
    pub(crate) fn new(server: &Server) -> Client {
        let dir = tempfile::tempdir().expect("client tempdir");
        fs::create_dir(dir.path().join("md")).expect("create MD");
        fs::create_dir(dir.path().join("td")).expect("create TD");
        Client {
            dir,
            metadata_url: server.url("metadata/"),
            targets_url: server.url("targets/"),
        }
    }

    pub(crate) fn md(&self) -> PathBuf {
        self.dir.path().join("md")
    }

    pub(crate) fn td(&self) -> PathBuf {
        self.dir.path().join("td")
    }

    pub(crate) fn init(&self, root: &Path) -> Output {
        client([
            "--metadata-dir".as_ref(),
            self.md().as_os_str(),
            "init".as_ref(),
            root.as_os_str(),
        ])
    }

    /// `init` that must succeed.
    #[track_caller]
    pub(crate) fn init_ok(&self, root: &Path) {
        assert_success(&self.init(root), "init");
    }

    pub(crate) fn refresh(&self) -> Output {
        client([
            "--metadata-url".as_ref(),
            OsStr::new(&self.metadata_url),
            "--metadata-dir".as_ref(),
            self.md().as_os_str(),
            "refresh".as_ref(),
        ])
    }

    pub(crate) fn download(&self, names: &[&str]) -> Output {
        let md = self.md();
        let td = self.td();
        let mut args: Vec<&OsStr> = vec![
            "--metadata-url".as_ref(),
            self.metadata_url.as_ref(),
            "--metadata-dir".as_ref(),
            md.as_os_str(),
        ];
        for name in names {
            args.extend(["--target-name".as_ref(), OsStr::new(name)]);
        }
        args.extend([
            "--target-dir".as_ref(),
            td.as_os_str(),
            "--target-base-url".as_ref(),
            self.targets_url.as_ref(),
            "download".as_ref(),
        ]);
        client(args)
    }

    /// The bytes of `MD/<name>`, if present.
    pub(crate) fn md_file(&self, name: &str) -> Option<Vec<u8>> {
        fs::read(self.md().join(name)).ok()
    }

    /// The names of the `*.json` files at the top of MD.
    pub(crate) fn md_json_files(&self) -> BTreeSet<String> {
        fs::read_dir(self.md())
            .expect("read MD")
            .map(|entry| entry.expect("MD entry"))
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".json"))
            .collect()
    }

    /// Every file under TD (recursively, any kind of file name): relative path -> bytes.
    pub(crate) fn td_files(&self) -> BTreeMap<String, Vec<u8>> {
        files_under(&self.td())
    }
}

// --------------------------------------------------------------------------------------
// Files
// --------------------------------------------------------------------------------------

/// Every regular file under `dir`, recursively: `/`-separated relative path -> bytes.
pub(crate) fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("under base");
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, fs::read(&path).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.is_dir() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Copy the directory tree `from` to `to` (created).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Change the first hex digit of the first signature in a metadata file (same length, the
/// signature no longer verifies, the file's hashes change).
pub(crate) fn corrupt_signature(path: &Path) {
    let mut bytes = fs::read(path).expect("read metadata");
    let at = find(&bytes, b"\"sig\"").expect("a signature") + 5;
    let quote = at
        + bytes[at..]
            .iter()
            .position(|&b| b == b'"')
            .expect("sig value");
    let digit = &mut bytes[quote + 1];
    *digit = if *digit == b'0' { b'1' } else { b'0' };
    fs::write(path, bytes).expect("write metadata");
}

/// Change the first byte of a file, keeping its length.
pub(crate) fn corrupt_first_byte(path: &Path) {
    let mut bytes = fs::read(path).expect("read file");
    bytes[0] ^= 0x01;
    fs::write(path, bytes).expect("write file");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// --------------------------------------------------------------------------------------
// Repositories made by python-tuf
// --------------------------------------------------------------------------------------

/// A repository made by `make_client_repo.py`: `dir/state-K/{metadata,targets}` per state,
/// and the summary it printed.
pub(crate) struct Repo {
    pub(crate) dir: PathBuf,
    pub(crate) summary: Value,
}

/// A target of one state, from the summary.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) role: String,
    pub(crate) length: u64,
    pub(crate) sha256: String,
    pub(crate) sha512: String,
    /// The served files (`targets/...`, relative to the state directory).
    pub(crate) files: Vec<String>,
}

impl Repo {
    /// Run `make_client_repo.py OUTDIR ARGS --check` with the reference Python.
    pub(crate) fn generate(dir: &Path, args: &[&str]) -> Repo {
        let mut all: Vec<&OsStr> = vec![dir.as_os_str()];
        all.extend(args.iter().map(OsStr::new));
        all.push("--check".as_ref());
        let output = spec_vectors::reference::run_script("make_client_repo.py", all)
            .expect("run make_client_repo.py");
        assert!(
            output.status.success(),
            "make_client_repo.py {args:?} failed: {}",
            describe(&output)
        );
        let line = String::from_utf8(output.stdout).expect("utf-8 summary");
        let summary = serde_json::from_str(line.trim()).expect("JSON summary");
        Repo {
            dir: dir.to_path_buf(),
            summary,
        }
    }

    /// A repository generated once per test process, under the cargo target tmpdir, with
    /// its keys in `<name>-keys` (see [`Repo::key_dir`]).
    pub(crate) fn shared(name: &str, args: &[&str]) -> Repo {
        let dir = shared_dir().join(name);
        let keys = shared_dir().join(format!("{name}-keys"));
        let keys = keys.to_str().expect("utf-8 path");
        let mut all = args.to_vec();
        all.extend(["--key-dir", keys]);
        Repo::generate(&dir, &all)
    }

    /// The key directory of a [`Repo::shared`] repository.
    pub(crate) fn key_dir(&self) -> PathBuf {
        let name = self.dir.file_name().expect("repo name").to_string_lossy();
        self.dir.with_file_name(format!("{name}-keys"))
    }

    /// The directory of state `k` (serve it: it holds `metadata/` and `targets/`).
    pub(crate) fn state(&self, k: u64) -> PathBuf {
        self.dir.join(format!("state-{k}"))
    }

    /// The root a client starts from (`metadata/1.root.json`).
    pub(crate) fn trusted_root(&self) -> PathBuf {
        self.state(1)
            .join(self.summary["trusted_root"].as_str().expect("trusted_root"))
    }

    fn state_summary(&self, k: u64) -> &Value {
        let states = self.summary["states"].as_array().expect("states");
        states
            .iter()
            .find(|s| s["version"].as_u64() == Some(k))
            .unwrap_or_else(|| panic!("no state {k}"))
    }

    /// The served file name of `role` in state `k` (e.g. `1.projects%2Fdeep.json`).
    pub(crate) fn metadata_name(&self, k: u64, role: &str) -> String {
        let value = &self.state_summary(k)["metadata"][role];
        match value {
            // root: every version; the newest one
            Value::Array(names) => names.last().and_then(Value::as_str),
            other => other.as_str(),
        }
        .unwrap_or_else(|| panic!("no metadata for {role} in state {k}"))
        .to_owned()
    }

    /// The served bytes of `role` in state `k`.
    pub(crate) fn metadata(&self, k: u64, role: &str) -> Vec<u8> {
        let name = self.metadata_name(k, role);
        fs::read(self.state(k).join("metadata").join(name)).expect("read served metadata")
    }

    /// A target of state `k`.
    pub(crate) fn target(&self, k: u64, path: &str) -> Target {
        let info = &self.state_summary(k)["targets"][path];
        assert!(info.is_object(), "no target {path} in state {k}");
        let text = |key: &str| info[key].as_str().expect("string").to_owned();
        Target {
            role: text("role"),
            length: info["length"].as_u64().expect("length"),
            sha256: text("sha256"),
            sha512: text("sha512"),
            files: info["files"]
                .as_array()
                .expect("files")
                .iter()
                .map(|f| f.as_str().expect("file").to_owned())
                .collect(),
        }
    }

    /// Every target path of state `k`.
    pub(crate) fn target_paths(&self, k: u64) -> Vec<String> {
        self.state_summary(k)["targets"]
            .as_object()
            .expect("targets")
            .keys()
            .cloned()
            .collect()
    }

    /// The served bytes of a target of state `k`.
    pub(crate) fn target_bytes(&self, k: u64, path: &str) -> Vec<u8> {
        let target = self.target(k, path);
        fs::read(self.state(k).join(&target.files[0])).expect("read served target")
    }
}

/// This process's directory for shared repositories, under the cargo target tmpdir:
/// `e2e-python/<pid>`. Directories of earlier processes that are gone are removed first.
fn shared_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-python");
        if let Ok(entries) = fs::read_dir(&base) {
            for entry in entries.flatten() {
                let pid = entry.file_name().to_string_lossy().into_owned();
                let alive = Path::new("/proc").join(&pid).exists();
                if Path::new("/proc/self").exists() && !alive {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        let dir = base.join(std::process::id().to_string());
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create shared repository dir");
        dir
    })
}
