//! tuf-metadata hot paths: parse and verify targets metadata of 1k/10k/100k targets (ed25519),
//! glob path matching, delegated-role search and succinct hash bin lookup.
//! Run: `cargo bench -p tuf-metadata --bench metadata`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tuf_crypto::{PrivateKey, Scheme, Signer};
use tuf_metadata::path_pattern;
use tuf_metadata::{
    DelegatedRole, Delegations, Expires, Keys, Metadata, Root, SuccinctRoles, TOP_LEVEL_ROLE_NAMES,
    TargetFile, Targets,
};

fn target_path(i: usize) -> String {
    format!("packages/pkg-{i}/pkg-{i}-1.0.tar.gz")
}

fn expires() -> Expires {
    "2099-01-01T00:00:00Z".parse().unwrap()
}

/// A root trusting `key` for every top-level role, and targets of `n` targets signed by it, as
/// the bytes a client receives (python-tuf's layout: sorted keys, one-space indentation).
fn signed_targets(key: &PrivateKey, n: usize) -> (Metadata<Root>, Vec<u8>) {
    let mut root = Root::new(expires());
    for role in TOP_LEVEL_ROLE_NAMES {
        root.add_key(role, key.public_key().clone()).unwrap();
    }
    let mut targets = Targets::new(expires());
    for i in 0..n {
        let content = format!("content of target {i}\n");
        targets.targets.insert(
            target_path(i),
            TargetFile::from_data(content.as_bytes(), &["sha256"]).unwrap(),
        );
    }
    let mut targets = Metadata::new(targets);
    targets.sign(key).unwrap();
    (Metadata::new(root), targets.to_bytes())
}

fn parse_and_verify(c: &mut Criterion) {
    let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let mut group = c.benchmark_group("targets");
    for n in [1_000, 10_000, 100_000] {
        let (root, bytes) = signed_targets(&key, n);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        if n == 100_000 {
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::new("parse", n), &bytes, |b, bytes| {
            b.iter(|| Metadata::<Targets>::from_bytes(bytes).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("parse_and_verify", n),
            &bytes,
            |b, bytes| {
                b.iter(|| {
                    let targets = Metadata::<Targets>::from_bytes(bytes).unwrap();
                    root.verify_delegate("targets", &targets).unwrap();
                    targets
                })
            },
        );
    }
    group.finish();
}

fn lookups(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup");
    let path = target_path(77_777);
    group.bench_function("glob_match/hit", |b| {
        b.iter(|| path_pattern::matches("packages/*/pkg-*-1.0.tar.gz", &path))
    });
    group.bench_function("glob_match/miss", |b| {
        b.iter(|| path_pattern::matches("packages/*/pkg-*-2.0.whl", &path))
    });
    // 256 delegated roles by glob; the path matches the last one.
    let roles: Vec<DelegatedRole> = (0..256)
        .map(|i| {
            let pattern = if i == 255 {
                "packages/*/*".to_owned()
            } else {
                format!("project-{i}/*")
            };
            DelegatedRole::with_paths(&format!("role-{i}"), vec![], 1, false, vec![pattern])
        })
        .collect();
    let delegations = Delegations::with_roles(Keys::new(), roles);
    group.bench_function("roles_for_target/256_glob_roles", |b| {
        b.iter(|| delegations.roles_for_target(&path).count())
    });
    let bins = SuccinctRoles::new(vec![], 1, 14, "bin").unwrap();
    group.bench_function("succinct_bin/16384_bins", |b| {
        b.iter(|| bins.role_for_target(&path))
    });
    let name = bins.role_for_target(&path);
    group.bench_function("succinct_is_delegated_role/16384_bins", |b| {
        b.iter(|| bins.is_delegated_role(&name))
    });
    group.finish();
}

criterion_group!(metadata, parse_and_verify, lookups);
criterion_main!(metadata);
