//! Support for the interoperability tests: repositories made with the `tuf-repo` command,
//! served over HTTP on 127.0.0.1 by a small static server, and fetched by two clients as
//! processes: python-tuf's ngclient (`spec-vectors/generator/ngclient_fetch.py`, with the
//! pinned reference venv of `spec_vectors::reference`) and our `tuf-client` (the protocol of
//! CLIENT-CLI.md).
// Each test binary uses a subset of these helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

pub(crate) use tuf_conformance::dir_server::DirServer as Server;

/// How long one process (tuf-repo, a client, cargo) may run before it is killed.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(120);

// --------------------------------------------------------------------------------------
// Processes
// --------------------------------------------------------------------------------------

/// Run `command` (no stdin, output captured), killing it after [`PROCESS_TIMEOUT`].
pub(crate) fn run(command: &mut Command) -> Output {
    spec_vectors::process::output_within(command, PROCESS_TIMEOUT)
        .unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

/// Exit status, stdout and stderr of a process, for failure messages.
pub(crate) fn describe(output: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Assert that the process exited with 0.
#[track_caller]
pub(crate) fn assert_success(output: &Output, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{what}: expected exit 0, got {}",
        describe(output)
    );
}

/// Assert that the process exited with exactly 1 (a refusal, not a crash).
#[track_caller]
pub(crate) fn assert_failure(output: &Output, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(1),
        "{what}: expected exit 1, got {}",
        describe(output)
    );
}

/// The workspace root.
fn workspace_root() -> &'static Path {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest)
}

/// The `tuf-client` binary: `TUF_CLIENT_BIN` when set, else `tuf-client` in the profile
/// directory of this test executable (`<target>/<profile>/deps/<test>` ->
/// `<target>/<profile>/tuf-client`), built there with `cargo build -p tuf-client` when
/// missing.
pub(crate) fn tuf_client_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("TUF_CLIENT_BIN").filter(|b| !b.is_empty()) {
            return PathBuf::from(bin);
        }
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("<target>/<profile>/deps/<test>");
        let bin = profile_dir.join(format!("tuf-client{}", std::env::consts::EXE_SUFFIX));
        if !bin.is_file() {
            build_tuf_client(profile_dir);
        }
        assert!(
            bin.is_file(),
            "no tuf-client at {} after building it (set TUF_CLIENT_BIN)",
            bin.display()
        );
        bin
    })
}

fn build_tuf_client(profile_dir: &Path) {
    let cargo = std::env::var_os("CARGO")
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace_root())
        .args(["build", "-q", "-p", "tuf-client", "--bin", "tuf-client"])
        .arg("--manifest-path")
        .arg(workspace_root().join("Cargo.toml"));
    match profile_dir.file_name().and_then(OsStr::to_str) {
        Some("debug") => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(profile) => {
            command.args(["--profile", profile]);
        }
        None => {}
    }
    if let Some(target_dir) = profile_dir.parent() {
        command.arg("--target-dir").arg(target_dir);
    }
    let output = run(&mut command);
    assert_success(&output, "cargo build -p tuf-client");
}

/// Percent-encodes like Python's `urllib.parse.quote(name, safe="")`: the name under which
/// both clients store a target (and a role) in their directories.
pub(crate) fn quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for &b in name.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Lower-case hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    tuf_metadata::hashes::digest_hex("sha256", data).expect("sha256 is supported")
}

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

/// The `signed.version` of a metadata file.
fn metadata_version(bytes: &[u8]) -> u64 {
    let value: Value = serde_json::from_slice(bytes).expect("metadata is JSON");
    value["signed"]["version"]
        .as_u64()
        .expect("signed.version is a number")
}

// --------------------------------------------------------------------------------------
// Repositories made with tuf-repo
// --------------------------------------------------------------------------------------

/// Run `tuf-repo ARGS`.
pub(crate) fn tuf_repo<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run(Command::new(env!("CARGO_BIN_EXE_tuf-repo")).args(args))
}

/// A repository made with `tuf-repo` in a temporary directory: `<tmp>/repo` (keys/,
/// metadata/, targets/) and the files added to it under `<tmp>/src`.
pub(crate) struct Repo {
    tmp: tempfile::TempDir,
    dir: PathBuf,
    sources: AtomicUsize,
}

impl Repo {
    /// `tuf-repo init DIR ARGS`, which must succeed.
    pub(crate) fn init(args: &[&str]) -> Repo {
        let tmp = tempfile::tempdir().expect("repository tempdir");
        let dir = tmp.path().join("repo");
        let mut all: Vec<&OsStr> = vec!["init".as_ref(), dir.as_os_str()];
        all.extend(args.iter().map(OsStr::new));
        assert_success(&tuf_repo(&all), &format!("tuf-repo init DIR {args:?}"));
        Repo {
            tmp,
            dir,
            sources: AtomicUsize::new(0),
        }
    }

    /// The repository directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn metadata_dir(&self) -> PathBuf {
        self.dir.join("metadata")
    }

    pub(crate) fn targets_dir(&self) -> PathBuf {
        self.dir.join("targets")
    }

    /// The root clients trust out of band: `DIR/metadata/1.root.json`.
    pub(crate) fn trusted_root(&self) -> PathBuf {
        self.metadata_dir().join("1.root.json")
    }

    /// `tuf-repo COMMAND DIR ARGS`.
    pub(crate) fn try_cli(&self, command: &str, args: &[&str]) -> Output {
        let mut all: Vec<&OsStr> = vec![command.as_ref(), self.dir.as_os_str()];
        all.extend(args.iter().map(OsStr::new));
        tuf_repo(&all)
    }

    /// `tuf-repo COMMAND DIR ARGS`, which must succeed.
    #[track_caller]
    pub(crate) fn cli(&self, command: &str, args: &[&str]) -> Output {
        let output = self.try_cli(command, args);
        assert_success(&output, &format!("tuf-repo {command} DIR {args:?}"));
        output
    }

    /// Write a new source file `name` (in a directory of its own) holding `contents`.
    pub(crate) fn source(&self, name: &str, contents: &[u8]) -> PathBuf {
        let n = self.sources.fetch_add(1, Ordering::SeqCst);
        let dir = self.tmp.path().join("src").join(n.to_string());
        fs::create_dir_all(&dir).expect("create source dir");
        let path = dir.join(name);
        fs::write(&path, contents).expect("write source file");
        path
    }

    /// `tuf-repo add DIR FILE... ARGS` with a fresh source file per `(name, contents)`;
    /// must succeed.
    #[track_caller]
    pub(crate) fn add(&self, files: &[(&str, &[u8])], args: &[&str]) {
        let paths: Vec<PathBuf> = files
            .iter()
            .map(|(name, contents)| self.source(name, contents))
            .collect();
        let mut all: Vec<&str> = paths
            .iter()
            .map(|p| p.to_str().expect("utf-8 temp path"))
            .collect();
        all.extend(args);
        self.cli("add", &all);
    }

    /// Serve `DIR/metadata` at `/metadata/` and `DIR/targets` at `/targets/`.
    pub(crate) fn serve(&self) -> Server {
        Server::start(&[
            ("metadata", &self.metadata_dir()),
            ("targets", &self.targets_dir()),
        ])
        .expect("start the file server")
    }

    /// The highest N of the served `N.<quoted role>.json` files, if any.
    pub(crate) fn latest_version(&self, role: &str) -> Option<u64> {
        let suffix = format!(".{}.json", quote(role));
        fs::read_dir(self.metadata_dir())
            .expect("read DIR/metadata")
            .filter_map(|entry| {
                let name = entry.ok()?.file_name().into_string().ok()?;
                name.strip_suffix(&suffix)?.parse().ok()
            })
            .max()
    }

    /// The highest N of the served `N.root.json` files.
    pub(crate) fn latest_root_version(&self) -> u64 {
        self.latest_version("root")
            .expect("an N.root.json in DIR/metadata")
    }

    /// The newest served file of `role`: `N.<quoted role>.json` with the highest N, else
    /// (without consistent snapshots) `<quoted role>.json`.
    pub(crate) fn latest_metadata(&self, role: &str) -> PathBuf {
        let name = match self.latest_version(role) {
            Some(n) => format!("{n}.{}.json", quote(role)),
            None => format!("{}.json", quote(role)),
        };
        self.metadata_dir().join(name)
    }

    /// The served files (under DIR/targets, `/`-separated relative paths) holding exactly
    /// `contents`.
    pub(crate) fn served_files_with(&self, contents: &[u8]) -> Vec<String> {
        files_under(&self.targets_dir())
            .into_iter()
            .filter(|(_, bytes)| bytes == contents)
            .map(|(path, _)| path)
            .collect()
    }
}

// --------------------------------------------------------------------------------------
// The clients
// --------------------------------------------------------------------------------------

/// Our `tuf-client`, as a process, with its metadata and target directories.
pub(crate) struct OurClient {
    dir: tempfile::TempDir,
    metadata_url: String,
    targets_url: String,
}

impl OurClient {
    /// A client of `server` that trusts `trusted_root` (`tuf-client init`, which must succeed).
    pub(crate) fn new(server: &Server, trusted_root: &Path) -> OurClient {
        let dir = tempfile::tempdir().expect("client tempdir");
        fs::create_dir(dir.path().join("md")).expect("create MD");
        fs::create_dir(dir.path().join("td")).expect("create TD");
        let client = OurClient {
            dir,
            metadata_url: server.url("metadata/"),
            targets_url: server.url("targets/"),
        };
        let output = client.run([
            "--metadata-dir".as_ref(),
            client.md().as_os_str(),
            "init".as_ref(),
            trusted_root.as_os_str(),
        ]);
        assert_success(&output, "tuf-client init");
        client
    }

    fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run(Command::new(tuf_client_bin()).args(args))
    }

    pub(crate) fn md(&self) -> PathBuf {
        self.dir.path().join("md")
    }

    pub(crate) fn td(&self) -> PathBuf {
        self.dir.path().join("td")
    }

    /// `tuf-client refresh`.
    pub(crate) fn refresh(&self) -> Output {
        self.run([
            "--metadata-url".as_ref(),
            OsStr::new(&self.metadata_url),
            "--metadata-dir".as_ref(),
            self.md().as_os_str(),
            "refresh".as_ref(),
        ])
    }

    /// `tuf-client download` of `names` (an implicit refresh first).
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
        self.run(args)
    }

    /// Refresh without targets, download with: must succeed.
    #[track_caller]
    pub(crate) fn fetch_ok(&self, names: &[&str]) {
        let output = if names.is_empty() {
            self.refresh()
        } else {
            self.download(names)
        };
        assert_success(&output, &format!("tuf-client download {names:?}"));
    }

    /// The version of the trusted top-level `role` (from `MD/<role>.json`).
    pub(crate) fn version(&self, role: &str) -> u64 {
        let bytes = fs::read(self.md().join(format!("{}.json", quote(role))))
            .unwrap_or_else(|e| panic!("tuf-client MD/{role}.json: {e}"));
        metadata_version(&bytes)
    }

    /// Every file in TD: relative path -> bytes.
    pub(crate) fn td_files(&self) -> BTreeMap<String, Vec<u8>> {
        files_under(&self.td())
    }
}

/// What one run of `ngclient_fetch.py` printed.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) output: Output,
    pub(crate) ok: bool,
    pub(crate) error: Option<String>,
    /// target path -> sha256 of the file written
    pub(crate) downloaded: BTreeMap<String, String>,
    /// top-level role -> trusted version after the run
    pub(crate) versions: BTreeMap<String, u64>,
}

/// python-tuf's ngclient (the reference client), via `ngclient_fetch.py`, keeping its state in
/// a work directory (`md/`, `td/`) from one run to the next.
pub(crate) struct ReferenceClient {
    dir: tempfile::TempDir,
    metadata_url: String,
    targets_url: String,
    trusted_root: PathBuf,
}

impl ReferenceClient {
    pub(crate) fn new(server: &Server, trusted_root: &Path) -> ReferenceClient {
        let dir = tempfile::tempdir().expect("reference client tempdir");
        // A copy: the repository's own 1.root.json may be tampered with by a test.
        let trusted = dir.path().join("trusted-root.json");
        fs::copy(trusted_root, &trusted).expect("copy trusted root");
        ReferenceClient {
            dir,
            metadata_url: server.url("metadata/"),
            targets_url: server.url("targets/"),
            trusted_root: trusted,
        }
    }

    fn workdir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// `ngclient_fetch.py MURL TURL ROOT WORKDIR TARGET...`: refresh, then download `names`.
    pub(crate) fn fetch(&self, names: &[&str]) -> Fetched {
        let python = spec_vectors::reference::python().expect("reference python");
        let script = spec_vectors::reference::generator_dir().join("ngclient_fetch.py");
        let mut command = Command::new(python);
        command
            .arg(script)
            .args([&self.metadata_url, &self.targets_url])
            .arg(&self.trusted_root)
            .arg(self.workdir())
            .args(names);
        let output = run(&mut command);
        let line = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!(
                "ngclient_fetch.py printed no JSON line ({e}): {}",
                describe(&output)
            )
        });
        let ok = value["ok"].as_bool().expect("ok");
        assert_eq!(
            output.status.code(),
            Some(if ok { 0 } else { 1 }),
            "ngclient_fetch.py exit code does not match ok={ok}: {}",
            describe(&output)
        );
        let map = |key: &str| -> BTreeMap<String, Value> {
            value[key]
                .as_object()
                .map(|o| o.clone().into_iter().collect())
                .unwrap_or_default()
        };
        Fetched {
            ok,
            error: value["error"].as_str().map(str::to_owned),
            downloaded: map("downloaded")
                .into_iter()
                .map(|(k, v)| (k, v.as_str().expect("sha256").to_owned()))
                .collect(),
            versions: map("versions")
                .into_iter()
                .map(|(k, v)| (k, v.as_u64().expect("version")))
                .collect(),
            output,
        }
    }

    /// [`ReferenceClient::fetch`], which must succeed.
    #[track_caller]
    pub(crate) fn fetch_ok(&self, names: &[&str]) -> Fetched {
        let fetched = self.fetch(names);
        assert!(
            fetched.ok,
            "python-tuf ngclient failed to fetch {names:?}: {:?}\n{}",
            fetched.error,
            describe(&fetched.output)
        );
        fetched
    }

    /// Every file in the target directory: relative path -> bytes.
    pub(crate) fn td_files(&self) -> BTreeMap<String, Vec<u8>> {
        files_under(&self.workdir().join("td"))
    }
}

/// Both clients of one served repository.
pub(crate) struct Clients {
    pub(crate) ours: OurClient,
    pub(crate) reference: ReferenceClient,
}

impl Clients {
    /// Fresh clients of `server`, trusting `repo`'s `1.root.json`.
    pub(crate) fn new(server: &Server, repo: &Repo) -> Clients {
        Clients {
            ours: OurClient::new(server, &repo.trusted_root()),
            reference: ReferenceClient::new(server, &repo.trusted_root()),
        }
    }

    /// Both clients refresh and download `targets` (path, expected bytes): both must succeed,
    /// store exactly those bytes under `quote(path)`, agree on every file of their target
    /// directories and on the versions of the top-level roles. Returns those versions.
    #[track_caller]
    pub(crate) fn fetch_ok(&self, targets: &[(&str, &[u8])]) -> BTreeMap<String, u64> {
        let names: Vec<&str> = targets.iter().map(|(name, _)| *name).collect();
        self.ours.fetch_ok(&names);
        let fetched = self.reference.fetch_ok(&names);
        let ours = self.ours.td_files();
        let theirs = self.reference.td_files();
        for (name, contents) in targets {
            let file = quote(name);
            assert!(
                ours.get(&file).map(Vec::as_slice) == Some(*contents),
                "tuf-client: TD/{file} missing or not the bytes added as {name}"
            );
            assert!(
                theirs.get(&file).map(Vec::as_slice) == Some(*contents),
                "ngclient: TD/{file} missing or not the bytes added as {name}"
            );
            assert_eq!(
                fetched.downloaded.get(*name),
                Some(&sha256_hex(contents)),
                "ngclient reported another sha256 for {name}"
            );
        }
        assert!(
            ours == theirs,
            "the target directories differ: tuf-client {:?}, ngclient {:?}",
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>()
        );
        let ours_versions: BTreeMap<String, u64> = ["root", "timestamp", "snapshot", "targets"]
            .into_iter()
            .map(|role| (role.to_owned(), self.ours.version(role)))
            .collect();
        assert_eq!(
            ours_versions, fetched.versions,
            "trusted versions: tuf-client (left) vs ngclient (right)"
        );
        ours_versions
    }

    /// Both clients refuse to download `names` (exit 1 / ok=false) and store nothing new in
    /// their target directories.
    #[track_caller]
    pub(crate) fn both_refuse(&self, names: &[&str]) -> (Output, Fetched) {
        let ours_before = self.ours.td_files();
        let theirs_before = self.reference.td_files();
        let ours = self.ours.download(names);
        assert_failure(&ours, &format!("tuf-client download {names:?}"));
        let theirs = self.reference.fetch(names);
        assert!(
            !theirs.ok,
            "python-tuf ngclient accepted {names:?}: {}",
            describe(&theirs.output)
        );
        assert!(
            self.ours.td_files() == ours_before,
            "tuf-client changed TD while refusing"
        );
        assert!(
            self.reference.td_files() == theirs_before,
            "ngclient changed TD while refusing"
        );
        (ours, theirs)
    }
}
