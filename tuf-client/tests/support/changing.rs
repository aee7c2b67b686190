//! A repository that changes underneath its clients: tuf-conformance's simulator served over
//! HTTP on 127.0.0.1, with a background thread publishing a new generation every few
//! milliseconds (new target contents, new targets, delegated, snapshot and timestamp versions,
//! and every few generations a new root version), and checks of what a client left on disk.
//!
//! Every file ever published stays served (a consistent-snapshot repository keeps its old
//! versions), so a client that read timestamp generation `g` still finds snapshot `g` after
//! the repository moved on: no update fails because of the repository, and any failure is
//! the client's own.
//!
//! Included by path (not through `support/mod.rs`), so that these process-heavy tests do not
//! also run that module's own server tests, whose "stopped listening" check a concurrently
//! forked child (holding the socket until its exec) can defeat.

// Each test binary uses a subset of these helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

#[path = "process.rs"]
mod process;
pub(crate) use process::client;
use tuf_client::trusted::TrustedMetadata;
use tuf_conformance::server::Server;
use tuf_conformance::simulator::{RepositorySimulator, SimOptions, now};
use tuf_metadata::{Metadata, Snapshot, Targets, Timestamp};

/// Asserts that the client exited with 0.
#[track_caller]
pub(crate) fn assert_success(output: &Output, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{what}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The target paths every generation rewrites (two listed by `targets`, one by `delegated`).
pub(crate) const TARGETS: [&str; 3] = ["app.bin", "notes.txt", "deep/data.bin"];

/// Most generations a repository publishes, whatever the test does (bounds its memory).
const MAX_GENERATIONS: u64 = 2_000;

/// The content of target `path` at `generation`: a header line naming both, then filler up
/// to a length that changes with the generation (up to ~300 KB, so writes take a while).
/// [`check_target_file`] recognises a complete file by rebuilding it from its header.
pub(crate) fn content(path: &str, generation: u64) -> Vec<u8> {
    let header = format!("{path} generation {generation}\n");
    let length = match path {
        "notes.txt" => 200 + (generation % 7) as usize * 50,
        _ => 50_000 + (generation % 5) as usize * 60_000,
    };
    let mut out = header.into_bytes();
    let mut n = generation;
    while out.len() < length {
        n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        out.push(b'a' + (n >> 59) as u8);
    }
    out
}

/// The repository and the thread that changes it.
pub(crate) struct ChangingRepository {
    server: Arc<Server>,
    root_v1: Vec<u8>,
    stop: Arc<AtomicBool>,
    generations: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl ChangingRepository {
    /// Publishes generation 0, then a new generation every `interval` from a background thread.
    pub(crate) fn start(interval: Duration) -> ChangingRepository {
        let server = Arc::new(Server::start().expect("start server"));
        let mut sim = RepositorySimulator::new(SimOptions {
            timestamp_lists_hashes: true,
            snapshot_lists_hashes: true,
            ..SimOptions::default()
        })
        .expect("simulator");
        sim.delegate("targets", "delegated", &["deep/*"], false)
            .expect("delegate");
        let root_v1 = sim.published_root(1).expect("root v1").to_vec();
        let mut all = BTreeMap::new();
        publish_generation(&mut sim, &server, &mut all, 0);
        let stop = Arc::new(AtomicBool::new(false));
        let generations = Arc::new(AtomicU64::new(1));
        let thread = {
            let (server, stop, generations) = (
                Arc::clone(&server),
                Arc::clone(&stop),
                Arc::clone(&generations),
            );
            std::thread::spawn(move || {
                let mut generation = 1;
                while !stop.load(Ordering::SeqCst) && generation < MAX_GENERATIONS {
                    std::thread::sleep(interval);
                    publish_generation(&mut sim, &server, &mut all, generation);
                    generation += 1;
                    generations.store(generation, Ordering::SeqCst);
                }
            })
        };
        ChangingRepository {
            server,
            root_v1,
            stop,
            generations,
            thread: Some(thread),
        }
    }

    /// The metadata base URL.
    pub(crate) fn metadata_url(&self) -> String {
        self.server.url("metadata/")
    }

    /// The target base URL.
    pub(crate) fn targets_url(&self) -> String {
        self.server.url("targets/")
    }

    /// The bytes of root version 1 (what clients start from).
    pub(crate) fn root_v1(&self) -> &[u8] {
        &self.root_v1
    }

    /// How many generations were published so far.
    pub(crate) fn generations(&self) -> u64 {
        self.generations.load(Ordering::SeqCst)
    }

    /// Stops changing the repository (it is still served) and returns the generations.
    pub(crate) fn freeze(&mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("publisher thread");
        }
        self.generations()
    }
}

impl Drop for ChangingRepository {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn publish_generation(
    sim: &mut RepositorySimulator,
    server: &Server,
    all: &mut BTreeMap<String, Vec<u8>>,
    generation: u64,
) {
    for path in TARGETS {
        let role = if path.starts_with("deep/") {
            "delegated"
        } else {
            "targets"
        };
        sim.add_target(role, path, &content(path, generation))
            .expect("add target");
    }
    if generation > 0 {
        sim.bump("delegated").expect("bump delegated");
        sim.update("targets").expect("update targets");
        if generation.is_multiple_of(5) {
            sim.publish_root().expect("publish root");
        }
    }
    // Old versions stay served; timestamp.json is the one file replaced.
    all.extend(sim.files().expect("repository files"));
    server.publish(all.clone(), BTreeMap::new());
}

/// What a metadata directory must hold at any moment, whatever happened to the processes
/// writing it: a `root.json` the client core trusts, and a timestamp, snapshot, targets and
/// delegated file (where present) that each parse and carry a threshold of signatures from the
/// keys the trusted metadata assigns them; nothing else but the lock and temporary files
/// (never `*.json`). Returns a description of the first problem.
pub(crate) fn check_metadata_dir(md: &Path) -> Result<(), String> {
    let read = |name: &str| -> Result<Option<Vec<u8>>, String> {
        match fs::read(md.join(name)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{name}: {e}")),
        }
    };
    let root = read("root.json")?.ok_or("no root.json")?;
    let trusted =
        TrustedMetadata::new(&root, now()).map_err(|e| format!("root.json not trusted: {e:?}"))?;
    let root = trusted.root();
    if let Some(bytes) = read("timestamp.json")? {
        let timestamp = Metadata::<Timestamp>::from_bytes(&bytes)
            .map_err(|e| format!("timestamp.json: {e:?}"))?;
        root.verify_delegate("timestamp", &timestamp)
            .map_err(|e| format!("timestamp.json not signed: {e:?}"))?;
    }
    if let Some(bytes) = read("snapshot.json")? {
        let snapshot = Metadata::<Snapshot>::from_bytes(&bytes)
            .map_err(|e| format!("snapshot.json: {e:?}"))?;
        root.verify_delegate("snapshot", &snapshot)
            .map_err(|e| format!("snapshot.json not signed: {e:?}"))?;
    }
    if let Some(bytes) = read("targets.json")? {
        let targets =
            Metadata::<Targets>::from_bytes(&bytes).map_err(|e| format!("targets.json: {e:?}"))?;
        root.verify_delegate("targets", &targets)
            .map_err(|e| format!("targets.json not signed: {e:?}"))?;
        if let Some(bytes) = read("delegated.json")? {
            let delegated = Metadata::<Targets>::from_bytes(&bytes)
                .map_err(|e| format!("delegated.json: {e:?}"))?;
            targets
                .verify_delegate("delegated", &delegated)
                .map_err(|e| format!("delegated.json not signed: {e:?}"))?;
        }
    }
    for entry in fs::read_dir(md).map_err(|e| format!("reading {}: {e}", md.display()))? {
        let name = entry.map_err(|e| e.to_string())?.file_name();
        let name = name.to_string_lossy();
        let known = matches!(
            name.as_ref(),
            "root.json" | "timestamp.json" | "snapshot.json" | "targets.json" | "delegated.json"
        );
        // Temporaries: metadata being written (`.tmp-*`), targets being downloaded
        // (`.download-*`); never `*.json`.
        let internal = name == ".lock"
            || ((name.starts_with(".tmp-") || name.starts_with(".download-"))
                && !name.ends_with(".json"));
        if !known && !internal {
            return Err(format!("unexpected file {name} in the metadata directory"));
        }
    }
    Ok(())
}

/// The state every client has left once all have finished: a metadata directory that
/// verifies from root, complete target files, and no temporary file in either directory.
#[track_caller]
pub(crate) fn assert_settled(md: &Path, td: &Path) {
    check_metadata_dir(md).unwrap();
    check_target_dir(td).unwrap();
    assert_eq!(temp_files(md), Vec::<String>::new(), "metadata directory");
    assert_eq!(temp_files(td), Vec::<String>::new(), "target directory");
}

/// Temporary files (`.tmp-*`, `.download-*`) in `dir`.
pub(crate) fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".tmp-") || n.starts_with(".download-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks one file of the target directory: a temporary file (skipped), or the complete
/// content of a target path at some generation. Returns a description of the problem.
pub(crate) fn check_target_file(name: &str, bytes: &[u8]) -> Result<(), String> {
    if name.starts_with(".tmp-") && name.ends_with("+partial") {
        return Ok(());
    }
    let Some(path) = TARGETS.iter().find(|p| tuf_client::cache::quote(p) == name) else {
        return Err(format!("unexpected file {name} in the target directory"));
    };
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let header = String::from_utf8_lossy(header);
    let generation = header
        .strip_prefix(&format!("{path} generation "))
        .and_then(|g| g.parse::<u64>().ok())
        .ok_or_else(|| format!("{name}: bad header {header:?} ({} bytes)", bytes.len()))?;
    if bytes != content(path, generation).as_slice() {
        return Err(format!(
            "{name}: {} bytes, not the complete content of generation {generation}",
            bytes.len()
        ));
    }
    Ok(())
}

/// Checks every file of the target directory with [`check_target_file`]. A file that vanishes
/// while being read (renamed over) is skipped.
pub(crate) fn check_target_dir(td: &Path) -> Result<(), String> {
    for entry in fs::read_dir(td).map_err(|e| format!("reading {}: {e}", td.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tmp-") {
            continue;
        }
        let bytes = match fs::read(entry.path()) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{name}: {e}")),
        };
        check_target_file(&name, &bytes)?;
    }
    Ok(())
}

/// A small deterministic random number generator (xorshift64*), seeded by the test.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced).
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The next number below `bound` (> 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound.max(1)
    }
}
