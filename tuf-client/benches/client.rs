//! Client benchmarks: refresh and lookup on in-memory repositories (ed25519, consistent
//! snapshots; timestamp lists the length and sha256 of snapshot, snapshot lists those of
//! `targets.json` only).
//!
//! - `trusted/refresh/*`: the sans-I/O core [`TrustedMetadata`] fed the bytes of root,
//!   timestamp, snapshot and targets, for flat repositories of 1k, 10k and 100k targets; for
//!   100k targets in 16,384 succinct hash bins, also the one bin that lists the wanted target.
//! - `updater/refresh_cold/*`: a whole [`Updater`] (build, then `refresh`) over an in-memory
//!   [`Fetcher`], its metadata directory (a tempdir) holding only the trusted root.
//! - `updater/refresh_cold_1gbit/*`: the same over a fetcher paced to 1 Gbit/s, as a download
//!   from a mirror arrives: the large roles are checked while they arrive.
//! - `updater/refresh_warm/*`: the same with everything cached and unchanged: a second run.
//! - `updater/cold_download/*`: cold refresh, lookup and download of one target, in-process.
//! - `lookup/get_target_info/*`: [`Updater::get_target_info`] once refreshed: a hit and a miss
//!   in 100k flat targets; through the succinct delegation with the bin already loaded, and
//!   as the first lookup (the bin fetched, verified and cached).
//! - `cold_download/*`: a whole `tuf-client download` process (fresh metadata directory, one
//!   target) against the same repositories written to disk and read over `file://`, which is
//!   what a user waits for, start-up included (issue goals: ≤ 60 ms for 100k flat targets,
//!   ≤ 8 ms for the bins).
//!
//! The repositories are built by the tuf-conformance simulator when a benchmark first needs
//! them (targets from known hashes, no target files but the one downloaded); building and
//! every per-iteration setup (fresh metadata directories) are not measured, nor is dropping
//! what an iteration returns.
//!
//! Run: `cargo bench -p tuf-client --bench client` (a few minutes);
//! `cargo bench -p tuf-client --bench client -- --test` runs each benchmark once.
#![allow(clippy::expect_used, missing_docs)]

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use tempfile::TempDir;
use tuf_client::fetcher::{FetchError, Fetcher};
use tuf_client::trusted::TrustedMetadata;
use tuf_client::{Error, Updater};
use tuf_conformance::simulator::{RepositorySimulator, SimOptions};
use tuf_metadata::{MetaFile, TargetFile};

/// The top-level targets role.
const TARGETS: &str = "targets";
/// The file names of timestamp and of the first root, relative to the repository.
const TIMESTAMP_PATH: &str = "metadata/timestamp.json";
const ROOT_PATH: &str = "metadata/1.root.json";
/// A target listed by none of the repositories.
const MISSING: &str = "packages/pkg-missing/pkg-missing-1.0.tar.gz";
/// Where [`MemFetcher`] serves a repository (`metadata/...`, `targets/...` below it).
const BASE_URL: &str = "mem://repository/";

fn target_path(i: usize) -> String {
    format!("packages/pkg-{i}/pkg-{i}-1.0.tar.gz")
}

fn target_content(i: usize) -> String {
    format!("content of target {i}\n")
}

/// A repository: every file it serves, and which of them a client reads.
struct Repo {
    /// Served files by path relative to the repository root (`metadata/1.root.json`).
    files: Arc<BTreeMap<String, Vec<u8>>>,
    snapshot_path: String,
    targets_path: String,
    /// The target looked up and downloaded (its content is served too).
    wanted: String,
    /// The succinct bin that lists `wanted` and the path of its metadata, with bins.
    bin: Option<(String, String)>,
}

impl Repo {
    /// `count` targets, flat in `targets.json` or spread over `2^bits` succinct bins.
    fn build(name: &'static str, count: usize, bins: Option<u8>) -> Repo {
        let options = SimOptions {
            timestamp_lists_hashes: true,
            ..SimOptions::default()
        };
        let mut sim = RepositorySimulator::new(options).expect("simulator");
        if let Some(bits) = bins {
            sim.add_succinct_bins(TARGETS, bits, "bin")
                .expect("succinct bins");
        }
        // 77,777 of 100k.
        let wanted_index = count * 7 / 9;
        let wanted = target_path(wanted_index);
        for i in 0..count {
            let path = target_path(i);
            let role = match bins {
                Some(_) => sim.bin_for(TARGETS, &path).expect("bin of a target"),
                None => TARGETS.to_owned(),
            };
            let content = target_content(i);
            if i == wanted_index {
                sim.add_target(&role, &path, content.as_bytes())
                    .expect("wanted target");
            } else {
                let file = TargetFile::from_data(content.as_bytes(), &["sha256"]).expect("hash");
                sim.targets_mut(&role)
                    .expect("targets role")
                    .targets
                    .insert(path, file);
            }
        }
        // Snapshot lists the length and hash of targets.json (so that 100k flat targets may
        // exceed the default 5 MB cap), as the reference workloads do; not those of the bins.
        let files = sim.files().expect("sign the repository");
        let targets_path = sim.served_path(TARGETS).expect("targets path").to_owned();
        let targets_bytes = files.get(&targets_path).expect("targets bytes");
        let meta = MetaFile::from_data(1, targets_bytes, &["sha256"]).expect("targets meta");
        sim.override_snapshot_meta(TARGETS, Some(meta));
        let files = sim.files().expect("sign the repository again");
        let bin = bins.map(|_| {
            let role = sim.bin_for(TARGETS, &wanted).expect("wanted bin");
            let path = sim.served_path(&role).expect("bin path").to_owned();
            (role, path)
        });
        let repo = Repo {
            snapshot_path: sim
                .served_path("snapshot")
                .expect("snapshot path")
                .to_owned(),
            targets_path,
            wanted,
            bin,
            files: Arc::new(files),
        };
        eprintln!(
            "{name}: {} files, snapshot {} bytes, targets {} bytes",
            repo.files.len(),
            repo.file(&repo.snapshot_path).len(),
            repo.file(&repo.targets_path).len(),
        );
        repo
    }

    fn file(&self, path: &str) -> &[u8] {
        self.files.get(path).expect("file of the repository")
    }
}

/// A repository by name, built when a benchmark that is run first needs it (so that a
/// filtered run builds only what it uses).
struct Workload {
    name: &'static str,
    repo: LazyLock<Repo>,
}

impl Workload {
    fn repo(&self) -> &Repo {
        &self.repo
    }
}

static FLAT_1K: Workload = Workload {
    name: "flat_1k",
    repo: LazyLock::new(|| Repo::build("flat_1k", 1_000, None)),
};
static FLAT_10K: Workload = Workload {
    name: "flat_10k",
    repo: LazyLock::new(|| Repo::build("flat_10k", 10_000, None)),
};
static FLAT_100K: Workload = Workload {
    name: "flat_100k",
    repo: LazyLock::new(|| Repo::build("flat_100k", 100_000, None)),
};
static BINS_100K: Workload = Workload {
    name: "bins_16384_100k",
    repo: LazyLock::new(|| Repo::build("bins_16384_100k", 100_000, Some(14))),
};

/// Serves a repository's files from memory under [`BASE_URL`].
struct MemFetcher {
    files: Arc<BTreeMap<String, Vec<u8>>>,
}

impl Fetcher for MemFetcher {
    fn fetch_into(
        &self,
        url: &str,
        max_length: u64,
        sink: &mut dyn Write,
    ) -> Result<u64, FetchError> {
        let Some(body) = url
            .strip_prefix(BASE_URL)
            .and_then(|path| self.files.get(path))
        else {
            return Err(FetchError::NotFound {
                url: url.to_owned(),
            });
        };
        let length = body.len() as u64;
        if length > max_length {
            return Err(FetchError::TooLarge {
                url: url.to_owned(),
                max_length,
            });
        }
        sink.write_all(body).map_err(|e| FetchError::Io {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(length)
    }
}

/// [`MemFetcher`] at the pace of a link of `bytes_per_second`: each body is written in pieces
/// of 64 KiB, each when the link would have delivered it (sleeping until then), as a
/// download over a network arrives.
struct PacedFetcher {
    inner: MemFetcher,
    bytes_per_second: u64,
}

impl Fetcher for PacedFetcher {
    fn fetch_into(
        &self,
        url: &str,
        max_length: u64,
        sink: &mut dyn Write,
    ) -> Result<u64, FetchError> {
        let mut body = Vec::new();
        let length = self.inner.fetch_into(url, max_length, &mut body)?;
        let started = std::time::Instant::now();
        let mut sent = 0u64;
        for piece in body.chunks(64 * 1024) {
            sent += piece.len() as u64;
            let due = Duration::from_secs_f64(sent as f64 / self.bytes_per_second as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
            sink.write_all(piece).map_err(|e| FetchError::Io {
                url: url.to_owned(),
                reason: e.to_string(),
            })?;
        }
        Ok(length)
    }
}

fn now() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since_epoch.as_secs()).expect("time in range")
}

/// The client core's whole refresh: root, timestamp, snapshot, targets (and the bin).
fn trusted_refresh(repo: &Repo, now: i64) -> TrustedMetadata {
    let mut trusted = TrustedMetadata::new(repo.file(ROOT_PATH), now).expect("root");
    trusted
        .update_timestamp(repo.file(TIMESTAMP_PATH))
        .expect("timestamp");
    trusted
        .update_snapshot(repo.file(&repo.snapshot_path), false)
        .expect("snapshot");
    trusted
        .update_targets(repo.file(&repo.targets_path))
        .expect("targets");
    if let Some((role, path)) = &repo.bin {
        trusted
            .update_delegated_targets(repo.file(path), role, TARGETS)
            .expect("bin");
    }
    trusted
}

/// A client directory: `metadata/` holding only the trusted root, and an empty `targets/`.
fn fresh_dir(repo: &Repo) -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("metadata")).expect("metadata dir");
    std::fs::create_dir(dir.path().join("targets")).expect("target dir");
    std::fs::write(dir.path().join("metadata/root.json"), repo.file(ROOT_PATH))
        .expect("trusted root");
    dir
}

/// An updater of the client directory `dir`, fetching from `repo` in memory, at once or
/// (with `bytes_per_second`) at the pace of a link ([`PacedFetcher`]).
fn updater_paced(repo: &Repo, dir: &Path, bytes_per_second: Option<u64>) -> Updater {
    let inner = MemFetcher {
        files: Arc::clone(&repo.files),
    };
    let fetcher: Box<dyn Fetcher> = match bytes_per_second {
        None => Box::new(inner),
        Some(bytes_per_second) => Box::new(PacedFetcher {
            inner,
            bytes_per_second,
        }),
    };
    Updater::builder(dir.join("metadata"), &format!("{BASE_URL}metadata/"))
        .target_dir(dir.join("targets"))
        .target_base_url(&format!("{BASE_URL}targets/"))
        .fetcher(fetcher)
        .build()
        .expect("updater")
}

/// An updater of the client directory `dir`, fetching from `repo` in memory.
fn updater(repo: &Repo, dir: &Path) -> Updater {
    updater_paced(repo, dir, None)
}

fn refreshed(repo: &Repo, dir: &Path) -> Updater {
    let mut updater = updater(repo, dir);
    updater.refresh().expect("refresh");
    updater
}

/// A client directory that has refreshed once: every top-level role cached.
fn warm_dir(repo: &Repo) -> TempDir {
    let dir = fresh_dir(repo);
    refreshed(repo, dir.path());
    dir
}

/// Ten samples in about 3 s after 1 s of warm-up: most routines take milliseconds.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
}

fn trusted(c: &mut Criterion) {
    let mut group = c.benchmark_group("trusted/refresh");
    configure(&mut group);
    for workload in [&FLAT_1K, &FLAT_10K, &FLAT_100K, &BINS_100K] {
        group.bench_function(workload.name, |b| {
            let repo = workload.repo();
            let now = now();
            b.iter_with_large_drop(|| trusted_refresh(repo, now))
        });
    }
    group.finish();
}

/// The group `name`: a cold refresh of each workload, fetched at once or at the pace of a
/// link of `bytes_per_second`.
fn cold_refresh(
    c: &mut Criterion,
    name: &str,
    workloads: &[&Workload],
    bytes_per_second: Option<u64>,
) {
    let mut group = c.benchmark_group(name);
    configure(&mut group);
    for workload in workloads {
        group.bench_function(workload.name, |b| {
            let repo = workload.repo();
            b.iter_batched(
                || fresh_dir(repo),
                |dir| {
                    let mut updater = updater_paced(repo, dir.path(), bytes_per_second);
                    updater.refresh().expect("refresh");
                    (dir, updater)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn updater_refresh(c: &mut Criterion) {
    let workloads = [&FLAT_1K, &FLAT_100K, &BINS_100K];
    cold_refresh(c, "updater/refresh_cold", &workloads, None);

    // Over a 1 Gbit/s link: the transfer alone of the 100k-target role takes 141 ms; the
    // large roles are hashed and signature-checked while they arrive (`Intake`), so what
    // the refresh adds to the transfer is what is left after the last byte.
    cold_refresh(
        c,
        "updater/refresh_cold_1gbit",
        &[&FLAT_100K, &BINS_100K],
        Some(125_000_000),
    );

    let mut group = c.benchmark_group("updater/refresh_warm");
    configure(&mut group);
    for workload in workloads {
        let warm = OnceCell::new();
        group.bench_function(workload.name, |b| {
            let repo = workload.repo();
            let dir = warm.get_or_init(|| warm_dir(repo));
            b.iter_with_large_drop(|| refreshed(repo, dir.path()))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("updater/cold_download");
    configure(&mut group);
    for workload in [&FLAT_100K, &BINS_100K] {
        group.bench_function(workload.name, |b| {
            let repo = workload.repo();
            b.iter_batched(
                || fresh_dir(repo),
                |dir| {
                    let mut updater = refreshed(repo, dir.path());
                    let info = updater.get_target_info(&repo.wanted).expect("lookup");
                    updater
                        .download_target(&info, &repo.wanted)
                        .expect("download");
                    (dir, updater)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// The refreshed updater of `state`, made on first use over a warm directory of `repo` (and
/// having loaded the bin of the wanted target, with bins).
fn lookup_updater<'a>(state: &'a mut Option<(TempDir, Updater)>, repo: &Repo) -> &'a mut Updater {
    let (_, updater) = state.get_or_insert_with(|| {
        let dir = warm_dir(repo);
        let mut updater = refreshed(repo, dir.path());
        updater.get_target_info(&repo.wanted).expect("first lookup");
        (dir, updater)
    });
    updater
}

fn lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup/get_target_info");
    // Lookups take microseconds, but `hit_loading_bin` refreshes a fresh updater before each
    // iteration (not measured): 3 s leaves it room for its 20 samples.
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let mut flat_state = None;
    group.bench_function("flat_100k/hit", |b| {
        let flat = FLAT_100K.repo();
        let updater = lookup_updater(&mut flat_state, flat);
        b.iter(|| updater.get_target_info(&flat.wanted).expect("hit"))
    });
    group.bench_function("flat_100k/miss", |b| {
        let updater = lookup_updater(&mut flat_state, FLAT_100K.repo());
        b.iter(|| {
            let missed = updater.get_target_info(MISSING);
            assert!(matches!(missed, Err(Error::TargetNotFound { .. })));
        })
    });
    drop(flat_state);
    let mut bins_state = None;
    group.bench_function("bins_16384_100k/hit", |b| {
        let bins = BINS_100K.repo();
        let updater = lookup_updater(&mut bins_state, bins);
        b.iter(|| updater.get_target_info(&bins.wanted).expect("hit"))
    });
    drop(bins_state);
    let warm = OnceCell::new();
    group.bench_function("bins_16384_100k/hit_loading_bin", |b| {
        let bins = BINS_100K.repo();
        let warm = warm.get_or_init(|| warm_dir(bins));
        b.iter_batched(
            // The top-level roles cached and trusted, the bin neither.
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                copy_dir(&warm.path().join("metadata"), &dir.path().join("metadata"));
                std::fs::create_dir(dir.path().join("targets")).expect("target dir");
                let updater = refreshed(bins, dir.path());
                (dir, updater)
            },
            |(dir, mut updater)| {
                let info = updater.get_target_info(&bins.wanted).expect("hit");
                (dir, updater, info)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        if entry.file_type().expect("file type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

/// `repo` written to disk under `dir/<name>/` (once), as a `file://` server would see it.
fn on_disk<'a>(cell: &'a OnceCell<TempDir>, repo: &Repo) -> &'a Path {
    cell.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, bytes) in repo.files.iter() {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("create dir");
            std::fs::write(&path, bytes).expect("write repository file");
        }
        dir
    })
    .path()
}

fn file_url(dir: &Path) -> String {
    format!("file://{}/", dir.display())
}

/// One `tuf-client download` process in the fresh client directory `dir`, against the
/// repository in `served`.
fn cold_download_process(repo: &Repo, served: &Path, dir: TempDir) -> TempDir {
    let status = Command::new(env!("CARGO_BIN_EXE_tuf-client"))
        .arg("--metadata-url")
        .arg(file_url(&served.join("metadata")))
        .arg("--metadata-dir")
        .arg(dir.path().join("metadata"))
        .arg("--target-name")
        .arg(&repo.wanted)
        .arg("--target-dir")
        .arg(dir.path().join("targets"))
        .arg("--target-base-url")
        .arg(file_url(&served.join("targets")))
        .arg("download")
        .stdout(Stdio::null())
        .status()
        .expect("run tuf-client");
    assert!(status.success(), "tuf-client download failed");
    dir
}

fn process(c: &mut Criterion) {
    let mut group = c.benchmark_group("cold_download");
    configure(&mut group);
    for (id, workload) in [
        ("flat_100k_targets", &FLAT_100K),
        ("succinct_16384_bins_100k_targets", &BINS_100K),
    ] {
        let served = OnceCell::new();
        group.bench_function(id, |b| {
            let repo = workload.repo();
            let served = on_disk(&served, repo);
            b.iter_batched(
                || fresh_dir(repo),
                |dir| cold_download_process(repo, served, dir),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(client, trusted, updater_refresh, lookup, process);
criterion_main!(client);
