//! Our signatures verify in the reference implementation: repositories built and signed here,
//! with every key type, are handed to python-tuf (pinned, from PyPI, installed by
//! `spec_vectors::reference`), which verifies every role against its delegator. A tampered
//! copy must be refused, so the check can fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use tuf_crypto::{PrivateKey, Scheme, Signer};
use tuf_metadata::{
    DelegatedRole, Delegations, Expires, Keys, MetaFile, Metadata, Root, Snapshot, SuccinctRoles,
    TOP_LEVEL_ROLE_NAMES, TargetFile, Targets, Timestamp,
};

fn expires() -> Expires {
    "2099-01-01T00:00:00Z".parse().unwrap()
}

fn new_key(scheme: Scheme) -> PrivateKey {
    match scheme {
        Scheme::Ed25519 | Scheme::EcdsaSha2Nistp256 | Scheme::EcdsaSha2Nistp384 => {
            PrivateKey::generate(scheme).unwrap()
        }
        // 2048 bits keeps key generation quick; the size does not matter to the check.
        _ => PrivateKey::generate_rsa(scheme, 2048).unwrap(),
    }
}

/// A repository on disk plus the index verify_repository.py walks.
struct Repo {
    files: BTreeMap<String, Vec<u8>>,
    roles: BTreeMap<String, String>,
    delegations: Vec<(String, String, String)>,
}

impl Repo {
    fn write(&self, dir: &Path) {
        for (name, bytes) in &self.files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        let index = json!({
            "trusted_root": "root.json",
            "roles": self.roles,
            "delegations": self.delegations.iter().map(|(a, b, c)| json!([a, b, c])).collect::<Vec<_>>(),
        });
        std::fs::write(
            dir.join("index.json"),
            serde_json::to_vec_pretty(&index).unwrap(),
        )
        .unwrap();
    }
}

/// Builds root, targets (with awkward strings in paths and custom data), a delegated role,
/// snapshot and timestamp, signed by `root_keys` (threshold `threshold`) and `online`.
fn build(root_keys: &[&PrivateKey], threshold: u64, online: &PrivateKey, succinct: bool) -> Repo {
    let mut root = Root::new(expires());
    for role in TOP_LEVEL_ROLE_NAMES {
        let keys: Vec<&PrivateKey> = if role == "root" {
            root_keys.to_vec()
        } else {
            vec![online]
        };
        for k in &keys {
            root.add_key(role, k.public_key().clone()).unwrap();
        }
        root.roles.get_mut(role).unwrap().threshold = if role == "root" { threshold } else { 1 };
    }
    root.unrecognized_fields.insert(
        "x-note".into(),
        json!("ünïcödé \"quoted\" back\\slash\u{1}"),
    );
    let mut root = Metadata::new(root);
    for k in root_keys {
        root.sign(*k).unwrap();
    }

    let mut targets = Targets::new(expires());
    let mut file = TargetFile::from_data(b"hello", &["sha256", "sha512"]).unwrap();
    file.custom = json!({"ключ": ["値", 1, null, true], "a\"b": "c\\d", "e\u{301}": "nfd"})
        .as_object()
        .cloned();
    targets
        .targets
        .insert("files/héllo wörld.txt".into(), file.clone());
    targets.targets.insert("dir/😀/[x]?.bin".into(), file);
    let mut keys = Keys::new();
    keys.insert(online.key_id(), online.public_key().clone());
    let delegated_names: Vec<String>;
    if succinct {
        let bins = SuccinctRoles::new(vec![online.key_id()], 1, 2, "bin").unwrap();
        delegated_names = bins.role_names().collect();
        targets.delegations = Some(Delegations {
            keys,
            roles: None,
            succinct_roles: Some(bins),
            unrecognized_fields: Default::default(),
        });
    } else {
        let mut role = DelegatedRole::with_paths(
            "delegated",
            vec![online.key_id()],
            1,
            true,
            vec!["files/*".into()],
        );
        role.unrecognized_fields
            .insert("x-role".into(), json!({"z": 1, "a": [2]}));
        delegated_names = vec!["delegated".into()];
        targets.delegations = Some(Delegations::with_roles(keys, vec![role]));
    }
    let mut targets = Metadata::new(targets);
    targets.sign(online).unwrap();

    let mut files = BTreeMap::new();
    let mut roles = BTreeMap::new();
    let mut delegations = Vec::new();
    let mut snapshot = Snapshot::new(expires());
    for name in &delegated_names {
        let mut delegated = Targets::new(expires());
        delegated.targets.insert(
            format!("files/{name}.txt"),
            TargetFile::from_data(name.as_bytes(), &["sha256"]).unwrap(),
        );
        let mut delegated = Metadata::new(delegated);
        delegated.sign(online).unwrap();
        let bytes = delegated.to_bytes();
        snapshot.meta.insert(
            format!("{name}.json"),
            MetaFile::from_data(1, &bytes, &["sha256"]).unwrap(),
        );
        files.insert(format!("{name}.json"), bytes);
        delegations.push(("targets".to_owned(), name.clone(), format!("{name}.json")));
    }
    let mut snapshot = Metadata::new(snapshot);
    snapshot.sign(online).unwrap();
    let snapshot_bytes = snapshot.to_bytes();
    let mut timestamp = Timestamp::new(expires());
    timestamp.snapshot_meta = MetaFile::from_data(1, &snapshot_bytes, &["sha256"]).unwrap();
    let mut timestamp = Metadata::new(timestamp);
    timestamp.sign(online).unwrap();

    for (role, bytes) in [
        ("root", root.to_bytes()),
        ("targets", targets.to_bytes()),
        ("snapshot", snapshot_bytes),
        ("timestamp", timestamp.to_bytes()),
    ] {
        files.insert(format!("{role}.json"), bytes);
        roles.insert(role.to_owned(), format!("{role}.json"));
    }
    Repo {
        files,
        roles,
        delegations,
    }
}

/// Runs python-tuf over `dir`; returns its verdict and output.
fn python_verifies(dir: &Path) -> (bool, String) {
    let python = spec_vectors::reference::python().expect("reference python-tuf");
    let script = spec_vectors::reference::generator_dir().join("verify_repository.py");
    let output = Command::new(python).arg(&script).arg(dir).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let verdict: Option<Value> = text.lines().find_map(|l| serde_json::from_str(l).ok());
    let ok = verdict.as_ref().and_then(|v| v["ok"].as_bool()) == Some(true);
    assert_eq!(
        ok,
        output.status.success(),
        "exit status and verdict disagree: {text}"
    );
    (ok, text)
}

fn check_both_ways(repo: &Repo, label: &str) {
    let dir = tempfile::tempdir().unwrap();
    repo.write(dir.path());
    let (ok, text) = python_verifies(dir.path());
    assert!(ok, "python-tuf refused our {label} repository: {text}");

    // Flip one signature character in targets.json: python-tuf must now refuse it.
    let tampered = tempfile::tempdir().unwrap();
    repo.write(tampered.path());
    let mut value: Value = serde_json::from_slice(&repo.files["targets.json"]).unwrap();
    let sig = value["signatures"][0]["sig"].as_str().unwrap().to_owned();
    let flipped: String = sig
        .char_indices()
        .map(|(i, c)| {
            if i == 10 {
                if c == '0' { '1' } else { '0' }
            } else {
                c
            }
        })
        .collect();
    value["signatures"][0]["sig"] = json!(flipped);
    std::fs::write(
        tampered.path().join("targets.json"),
        serde_json::to_vec(&value).unwrap(),
    )
    .unwrap();
    let (ok, text) = python_verifies(tampered.path());
    assert!(
        !ok,
        "python-tuf accepted a tampered {label} repository: {text}"
    );
}

#[test]
fn python_tuf_verifies_our_signatures_for_every_scheme() {
    for scheme in Scheme::ALL {
        let key = new_key(scheme);
        let repo = build(&[&key], 1, &key, false);
        check_both_ways(&repo, scheme.as_str());
    }
}

#[test]
fn python_tuf_verifies_our_threshold_root_and_succinct_bins() {
    let a = new_key(Scheme::Ed25519);
    let b = new_key(Scheme::EcdsaSha2Nistp384);
    let c = new_key(Scheme::RsaPkcs1v15Sha512);
    let online = new_key(Scheme::EcdsaSha2Nistp256);
    let repo = build(&[&a, &b, &c], 2, &online, true);
    check_both_ways(&repo, "threshold+succinct");

    // Root signed by only one of the three root keys (threshold 2) must be refused by
    // python-tuf too.
    let dir = tempfile::tempdir().unwrap();
    repo.write(dir.path());
    let mut value: Value = serde_json::from_slice(&repo.files["root.json"]).unwrap();
    value["signatures"].as_array_mut().unwrap().truncate(1);
    std::fs::write(
        dir.path().join("root.json"),
        serde_json::to_vec(&value).unwrap(),
    )
    .unwrap();
    let (ok, text) = python_verifies(dir.path());
    assert!(!ok, "python-tuf accepted a root below threshold: {text}");
}
