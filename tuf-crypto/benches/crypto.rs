//! tuf-crypto hot paths: canonical JSON (from a `Value` and from received text) and every
//! signature scheme's sign and verify. Run: `cargo bench -p tuf-crypto --bench crypto`.
//!
//! The canonical-JSON input is a targets-like object of 10,000 entries (about 1.7 MB of
//! text, the shape of a hash bin or a small targets role); the signed message is 1 KiB.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use tuf_crypto::{PrivateKey, Scheme, Signer, canonical};

fn targets_like(entries: usize) -> Value {
    let mut targets = Map::new();
    for i in 0..entries {
        targets.insert(
            format!("packages/pkg-{i}/pkg-{i}-1.0.tar.gz"),
            json!({"length": 24 + i % 10, "hashes": {"sha256": format!("{i:064x}")}}),
        );
    }
    json!({
        "_type": "targets",
        "spec_version": "1.0.31",
        "version": 1,
        "expires": "2030-01-01T00:00:00Z",
        "targets": targets,
    })
}

fn canonical_json(c: &mut Criterion) {
    let value = targets_like(10_000);
    // Pretty, sorted text as python-tuf writes it, and the same with keys out of order.
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    let canonical = canonical::to_vec(&value).unwrap();
    let mut group = c.benchmark_group("canonical_json");
    group.throughput(Throughput::Bytes(pretty.len() as u64));
    group.bench_function("to_vec/10k_targets", |b| {
        b.iter(|| canonical::to_vec(&value).unwrap())
    });
    group.bench_function("from_json_text/pretty_10k_targets", |b| {
        b.iter(|| canonical::from_json_text(&pretty).unwrap())
    });
    group.bench_function("from_json_text/canonical_10k_targets", |b| {
        b.iter(|| canonical::from_json_text(&canonical).unwrap())
    });
    group.finish();
}

fn signatures(c: &mut Criterion) {
    let message = vec![0x5a_u8; 1024];
    let mut group = c.benchmark_group("signature");
    for scheme in Scheme::ALL {
        let key = PrivateKey::generate(scheme).unwrap();
        let public = key.public_key().clone();
        let signature = key.try_sign(&message).unwrap();
        group.bench_with_input(BenchmarkId::new("sign", scheme.as_str()), &key, |b, key| {
            b.iter(|| key.try_sign(&message).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("verify", scheme.as_str()),
            &public,
            |b, public| b.iter(|| public.verify(&message, &signature).unwrap()),
        );
    }
    group.finish();
}

criterion_group!(crypto, canonical_json, signatures);
criterion_main!(crypto);
