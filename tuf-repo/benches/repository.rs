//! Repository benchmarks on the reference workloads (issue 4: create and sign a repository of
//! 100,000 targets from known hashes ≤ 100 ms; sign and write 16,384 succinct bins ≤ 150 ms).
//!
//! - `create_and_sign/*`: a new repository (keys, root), 100,000 targets whose hashes are
//!   already known added to it (flat, or placed in 16,384 succinct hash bins), then published:
//!   every role signed and written to a fresh directory, snapshot and timestamp included.
//! - `publish/*`: only the publish step of the same work (the targets already staged).
//! - `add_targets/*`: only placing the targets in their roles.
//!
//! Run: `cargo bench -p tuf-repo --bench repository`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tuf_crypto::Scheme;
use tuf_metadata::TargetFile;
use tuf_repo::{FsStorage, InitOptions, NoProgress, Repository};

const TARGETS: usize = 100_000;
const BINS: u64 = 16_384;

/// 100,000 targets with known length and sha256, as a package index would hand them over.
fn known_targets() -> Vec<(String, TargetFile)> {
    (0..TARGETS)
        .map(|i| {
            let content = format!("content of target {i}\n");
            (
                format!("packages/pkg-{i}/pkg-{i}-1.0.tar.gz"),
                TargetFile::from_data(content.as_bytes(), &["sha256"]).unwrap(),
            )
        })
        .collect()
}

/// A new repository in `dir`, with `BINS` succinct bins under `targets` when `bins` is set.
fn new_repo(dir: &std::path::Path, bins: bool) -> Repository {
    let options = InitOptions {
        scheme: Scheme::Ed25519,
        ..InitOptions::default()
    };
    let mut repo = Repository::init(FsStorage::new(dir), &options).unwrap();
    if bins {
        repo.add_bins("targets", BINS, "bin", Scheme::Ed25519)
            .unwrap();
    }
    repo
}

fn bench(c: &mut Criterion) {
    let targets = known_targets();
    let mut group = c.benchmark_group("repository");
    group.sample_size(10);
    for (name, bins) in [("flat_100k", false), ("bins_16384_100k", true)] {
        group.bench_function(format!("create_and_sign/{name}"), |b| {
            b.iter_batched(
                || (tempfile::tempdir().unwrap(), targets.clone()),
                |(dir, targets)| {
                    let mut repo = new_repo(dir.path(), bins);
                    repo.add_targets(None, targets).unwrap();
                    let report = repo.publish(&NoProgress).unwrap();
                    assert!(!report.is_empty());
                    dir
                },
                BatchSize::PerIteration,
            );
        });
        group.bench_function(format!("publish/{name}"), |b| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let mut repo = new_repo(dir.path(), bins);
                    repo.add_targets(None, targets.clone()).unwrap();
                    (dir, repo)
                },
                |(dir, mut repo)| {
                    repo.publish(&NoProgress).unwrap();
                    (dir, repo)
                },
                BatchSize::PerIteration,
            );
        });
        group.bench_function(format!("add_targets/{name}"), |b| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let repo = new_repo(dir.path(), bins);
                    (dir, repo, targets.clone())
                },
                |(dir, mut repo, targets)| {
                    repo.add_targets(None, targets).unwrap();
                    (dir, repo)
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
