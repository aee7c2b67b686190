//! Interoperability: repositories made with the `tuf-repo` command, served over HTTP on
//! 127.0.0.1, must be accepted by python-tuf's ngclient (the reference client, pinned
//! python-tuf, via `spec-vectors/generator/ngclient_fetch.py`) AND by our `tuf-client`
//! (the protocol of CLIENT-CLI.md), which must download byte-identical targets.
//!
//! Set `TUF_REFERENCE_PYTHON=/path/to/venv/bin/python` to skip creating the reference venv,
//! and `TUF_CLIENT_BIN=/path/to/tuf-client` to use a given client binary (by default the one
//! next to this test's profile directory, built with `cargo build -p tuf-client` if missing).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::fs;

use support::{Clients, Repo, quote, sha256_hex};

/// Two files, one at the top level and one under `some/dir`.
const README: &[u8] = b"hello from tuf-repo\n";
const DATA: &[u8] = b"\x00\x01\x02 binary data \xff\xfe\n";

fn metadata_requests(requests: &[String]) -> Vec<&str> {
    requests
        .iter()
        .filter_map(|r| r.strip_prefix("/metadata/"))
        .collect()
}

fn target_requests(requests: &[String]) -> Vec<&str> {
    requests
        .iter()
        .filter_map(|r| r.strip_prefix("/targets/"))
        .collect()
}

// --------------------------------------------------------------------------------------
// Every key type
// --------------------------------------------------------------------------------------

fn key_type_roundtrip(scheme: &str) {
    let repo = Repo::init(&["--key-type", scheme]);
    repo.add(&[("readme.txt", README)], &[]);
    repo.add(&[("data.bin", DATA)], &["--to", "some/dir"]);
    repo.cli("publish", &[]);

    // Every top-level key is of the requested scheme.
    let root: serde_json::Value =
        serde_json::from_slice(&fs::read(repo.trusted_root()).unwrap()).unwrap();
    let keys = root["signed"]["keys"].as_object().unwrap();
    assert!(!keys.is_empty());
    for (keyid, key) in keys {
        assert_eq!(key["scheme"], scheme, "key {keyid} of the root");
    }

    let server = repo.serve();
    let clients = Clients::new(&server, &repo);
    let versions = clients.fetch_ok(&[("readme.txt", README), ("some/dir/data.bin", DATA)]);
    assert_eq!(versions["root"], 1);

    // Consistent snapshots (the default): versioned snapshot and targets, and targets
    // fetched by hash-prefixed names.
    let requests = server.requests();
    let snapshot = format!("{}.snapshot.json", versions["snapshot"]);
    let targets = format!("{}.targets.json", versions["targets"]);
    assert!(metadata_requests(&requests).contains(&snapshot.as_str()));
    assert!(metadata_requests(&requests).contains(&targets.as_str()));
    let hashed = format!("some/dir/{}.data.bin", sha256_hex(DATA));
    assert!(
        target_requests(&requests).contains(&hashed.as_str()),
        "no request of {hashed}: {requests:?}"
    );
}

#[test]
fn key_type_ed25519() {
    key_type_roundtrip("ed25519");
}

#[test]
fn key_type_ecdsa_sha2_nistp256() {
    key_type_roundtrip("ecdsa-sha2-nistp256");
}

#[test]
fn key_type_ecdsa_sha2_nistp384() {
    key_type_roundtrip("ecdsa-sha2-nistp384");
}

#[test]
fn key_type_rsassa_pss_sha256() {
    key_type_roundtrip("rsassa-pss-sha256");
}

#[test]
fn key_type_rsassa_pss_sha384() {
    key_type_roundtrip("rsassa-pss-sha384");
}

#[test]
fn key_type_rsassa_pss_sha512() {
    key_type_roundtrip("rsassa-pss-sha512");
}

#[test]
fn key_type_rsa_pkcs1v15_sha256() {
    key_type_roundtrip("rsa-pkcs1v15-sha256");
}

#[test]
fn key_type_rsa_pkcs1v15_sha384() {
    key_type_roundtrip("rsa-pkcs1v15-sha384");
}

#[test]
fn key_type_rsa_pkcs1v15_sha512() {
    key_type_roundtrip("rsa-pkcs1v15-sha512");
}

// --------------------------------------------------------------------------------------
// Delegations
// --------------------------------------------------------------------------------------

#[test]
fn delegation_paths() {
    let repo = Repo::init(&[]);
    repo.add(&[("readme.txt", README)], &[]);
    repo.cli(
        "delegate",
        &[
            "--from",
            "targets",
            "--to",
            "projects",
            "--paths",
            "projects/*",
        ],
    );
    repo.add(
        &[("a.txt", b"project a\n"), ("b.txt", b"project b\n")],
        &["--role", "projects", "--to", "projects"],
    );
    repo.cli("publish", &[]);
    assert!(
        repo.metadata_dir().join("1.projects.json").is_file(),
        "no DIR/metadata/1.projects.json"
    );

    let server = repo.serve();
    let clients = Clients::new(&server, &repo);
    clients.fetch_ok(&[
        ("projects/a.txt", b"project a\n"),
        ("projects/b.txt", b"project b\n"),
        ("readme.txt", README),
    ]);
    // The delegated role was fetched, versioned.
    assert!(
        metadata_requests(&server.requests()).contains(&"1.projects.json"),
        "{:?}",
        server.requests()
    );
    // A path the delegation does not cover is not found by either client.
    clients.both_refuse(&["elsewhere/a.txt"]);
}

#[test]
fn delegation_nested_terminating() {
    let repo = Repo::init(&[]);
    repo.cli(
        "delegate",
        &[
            "--from",
            "targets",
            "--to",
            "projects",
            "--paths",
            "projects/*",
            "projects/*/*",
        ],
    );
    repo.cli(
        "delegate",
        &[
            "--from",
            "projects",
            "--to",
            "deep",
            "--paths",
            "projects/deep/*",
            "--terminating",
        ],
    );
    repo.add(
        &[("top.txt", b"in projects\n")],
        &["--role", "projects", "--to", "projects"],
    );
    repo.add(
        &[("x.txt", b"deep x\n")],
        &["--role", "deep", "--to", "projects/deep"],
    );
    repo.cli("publish", &[]);

    let server = repo.serve();
    let clients = Clients::new(&server, &repo);
    clients.fetch_ok(&[
        ("projects/top.txt", b"in projects\n"),
        ("projects/deep/x.txt", b"deep x\n"),
    ]);
    let requests = server.requests();
    for role in ["1.projects.json", "1.deep.json"] {
        assert!(
            metadata_requests(&requests).contains(&role),
            "no request of {role}: {requests:?}"
        );
    }
}

/// A role name with a `/`: its metadata is served as `V.<quoted name>.json`.
#[test]
fn delegation_role_name_needing_quoting() {
    let repo = Repo::init(&[]);
    repo.cli(
        "delegate",
        &[
            "--from",
            "targets",
            "--to",
            "team/deep",
            "--paths",
            "deep/*",
        ],
    );
    repo.add(
        &[("x.txt", b"quoted role\n")],
        &["--role", "team/deep", "--to", "deep"],
    );
    repo.cli("publish", &[]);
    assert!(
        repo.metadata_dir().join("1.team%2Fdeep.json").is_file(),
        "no DIR/metadata/1.team%2Fdeep.json"
    );

    let server = repo.serve();
    let clients = Clients::new(&server, &repo);
    clients.fetch_ok(&[("deep/x.txt", b"quoted role\n")]);
}

#[test]
fn delegation_hash_prefixes() {
    let repo = Repo::init(&[]);
    let low = ["0", "1", "2", "3", "4", "5", "6", "7"];
    let high = ["8", "9", "a", "b", "c", "d", "e", "f"];
    for (role, prefixes) in [("low", low), ("high", high)] {
        let mut args = vec!["--from", "targets", "--to", role, "--hash-prefixes"];
        args.extend(prefixes);
        repo.cli("delegate", &args);
    }
    // Files until each role holds at least two, each added to the role its path hashes to.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let (mut in_low, mut in_high) = (0, 0);
    let mut n = 0;
    while in_low < 2 || in_high < 2 {
        let name = format!("file-{n}.txt");
        let path = format!("hashed/{name}");
        let contents = format!("hashed file {n}\n").into_bytes();
        let role = if low
            .iter()
            .any(|p| sha256_hex(path.as_bytes()).starts_with(p))
        {
            in_low += 1;
            "low"
        } else {
            in_high += 1;
            "high"
        };
        repo.add(&[(&name, &contents)], &["--role", role, "--to", "hashed"]);
        files.push((path, contents));
        n += 1;
    }
    repo.cli("publish", &[]);

    let server = repo.serve();
    let clients = Clients::new(&server, &repo);
    let targets: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(path, contents)| (path.as_str(), contents.as_slice()))
        .collect();
    clients.fetch_ok(&targets);
    let requests = server.requests();
    for role in ["1.low.json", "1.high.json"] {
        assert!(
            metadata_requests(&requests).contains(&role),
            "no request of {role}: {requests:?}"
        );
    }
}

// --------------------------------------------------------------------------------------
// Hash bins
// --------------------------------------------------------------------------------------

#[test]
fn hash_bins_16() {
    let repo = Repo::init(&[]);
    repo.cli("bins", &["--from", "targets", "--count", "16"]);
    let files: Vec<(String, Vec<u8>)> = (0..20)
        .map(|n| {
            (
                format!("file-{n}.txt"),
                format!("bin file {n}\n").into_bytes(),
            )
        })
        .collect();
    let sources: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, contents)| (name.as_str(), contents.as_slice()))
        .collect();
    repo.add(&sources, &["--to", "bins"]);
    repo.cli("publish", &[]);

    let server = repo.serve();
    let clients = Clients::new(&server, &repo);
    let paths: Vec<String> = files
        .iter()
        .map(|(name, _)| format!("bins/{name}"))
        .collect();
    let targets: Vec<(&str, &[u8])> = paths
        .iter()
        .zip(&files)
        .map(|(path, (_, contents))| (path.as_str(), contents.as_slice()))
        .collect();
    clients.fetch_ok(&targets);
    // Delegated roles were fetched: the files are in the bins, not in `targets`.
    let requests = server.requests();
    let delegated = metadata_requests(&requests)
        .into_iter()
        .filter(|r| {
            !r.ends_with(".root.json")
                && !r.ends_with(".snapshot.json")
                && !r.ends_with(".targets.json")
                && *r != "timestamp.json"
        })
        .count();
    assert!(delegated > 0, "no bin was fetched: {requests:?}");
}

// --------------------------------------------------------------------------------------
// Without consistent snapshots
// --------------------------------------------------------------------------------------

#[test]
fn non_consistent_snapshots() {
    let repo = Repo::init(&["--consistent-snapshot", "false"]);
    repo.add(&[("readme.txt", README)], &[]);
    repo.add(&[("data.bin", DATA)], &["--to", "some/dir"]);
    repo.cli("publish", &[]);
    for name in [
        "timestamp.json",
        "snapshot.json",
        "targets.json",
        "1.root.json",
    ] {
        assert!(
            repo.metadata_dir().join(name).is_file(),
            "no DIR/metadata/{name}"
        );
    }
    assert_eq!(
        fs::read(repo.targets_dir().join("some/dir/data.bin")).ok(),
        Some(DATA.to_vec()),
        "DIR/targets/some/dir/data.bin"
    );

    let server = repo.serve();
    let clients = Clients::new(&server, &repo);
    clients.fetch_ok(&[("readme.txt", README), ("some/dir/data.bin", DATA)]);
    let requests = server.take_requests();
    for request in metadata_requests(&requests) {
        assert!(
            ["timestamp.json", "snapshot.json", "targets.json"].contains(&request)
                || request.ends_with(".root.json"),
            "versioned request without consistent snapshots: {request}"
        );
    }
    for request in target_requests(&requests) {
        assert!(
            ["readme.txt", "some/dir/data.bin"].contains(&request),
            "target request {request}"
        );
    }

    // A second publication is followed too.
    repo.add(&[("new.txt", b"second\n")], &[]);
    repo.cli("publish", &[]);
    clients.fetch_ok(&[
        ("readme.txt", README),
        ("some/dir/data.bin", DATA),
        ("new.txt", b"second\n"),
    ]);
}

// --------------------------------------------------------------------------------------
// Key rotation
// --------------------------------------------------------------------------------------

#[test]
fn rotation_followed_by_both_clients() {
    let repo = Repo::init(&[]);
    repo.add(&[("readme.txt", README)], &[]);
    repo.cli("publish", &[]);
    let server = repo.serve();
    let clients = Clients::new(&server, &repo);
    let versions = clients.fetch_ok(&[]);
    assert_eq!(versions["root"], 1);

    repo.cli("rotate", &["root"]);
    assert_eq!(repo.latest_root_version(), 2, "rotate root: no 2.root.json");
    let versions = clients.fetch_ok(&[]);
    assert_eq!(versions["root"], 2, "after rotate root");
    // The root keys were replaced (both clients accepting 2.root.json shows that it is
    // signed by a threshold of the old root keys and of the new ones).
    let root1: serde_json::Value =
        serde_json::from_slice(&fs::read(repo.trusted_root()).unwrap()).unwrap();
    let root2: serde_json::Value =
        serde_json::from_slice(&fs::read(repo.latest_metadata("root")).unwrap()).unwrap();
    assert_ne!(
        root1["signed"]["roles"]["root"]["keyids"], root2["signed"]["roles"]["root"]["keyids"],
        "rotate root kept the root keys"
    );

    for (role, expected_root) in [("timestamp", 3), ("targets", 4)] {
        let before = newest_root_keyids(&repo, role);
        repo.cli("rotate", &[role]);
        assert_eq!(
            repo.latest_root_version(),
            expected_root,
            "rotate {role}: root version"
        );
        assert_ne!(
            newest_root_keyids(&repo, role),
            before,
            "rotate {role} kept the keys"
        );
        let versions = clients.fetch_ok(&[("readme.txt", README)]);
        assert_eq!(versions["root"], expected_root, "after rotate {role}");
    }

    // A client that starts from root 1 now walks the whole chain.
    let fresh = Clients::new(&server, &repo);
    let versions = fresh.fetch_ok(&[("readme.txt", README)]);
    assert_eq!(versions["root"], 4);
}

/// The key ids of `role` in the newest root.
fn newest_root_keyids(repo: &Repo, role: &str) -> serde_json::Value {
    let root: serde_json::Value =
        serde_json::from_slice(&fs::read(repo.latest_metadata("root")).unwrap()).unwrap();
    root["signed"]["roles"][role]["keyids"].clone()
}

// --------------------------------------------------------------------------------------
// A second publication
// --------------------------------------------------------------------------------------

#[test]
fn second_publish_is_followed() {
    let repo = Repo::init(&[]);
    repo.add(&[("readme.txt", README)], &[]);
    repo.cli("publish", &[]);
    let server = repo.serve();
    let clients = Clients::new(&server, &repo);
    let first = clients.fetch_ok(&[("readme.txt", README)]);

    repo.add(&[("data.bin", DATA)], &["--to", "some/dir"]);
    repo.cli("publish", &[]);
    let second = clients.fetch_ok(&[("readme.txt", README), ("some/dir/data.bin", DATA)]);
    for role in ["timestamp", "snapshot", "targets"] {
        assert!(
            second[role] > first[role],
            "{role}: version {} after the second publication, {} before",
            second[role],
            first[role]
        );
    }
    assert_eq!(second["root"], first["root"]);
}

// --------------------------------------------------------------------------------------
// Negative controls
// --------------------------------------------------------------------------------------

#[test]
fn tampered_target_is_refused_by_both() {
    let repo = Repo::init(&[]);
    repo.add(&[("readme.txt", README)], &[]);
    repo.add(&[("data.bin", DATA)], &["--to", "some/dir"]);
    repo.cli("publish", &[]);
    let server = repo.serve();

    // Flip one byte of every served copy of data.bin (same length).
    let served = repo.served_files_with(DATA);
    assert!(!served.is_empty(), "data.bin is not served");
    // (Written whole, not flipped in place: the copies may be hard links of one file.)
    let mut tampered = DATA.to_vec();
    tampered[3] ^= 0x01;
    for file in &served {
        fs::write(repo.targets_dir().join(file), &tampered).unwrap();
    }

    let clients = Clients::new(&server, &repo);
    // The untouched target is fine ...
    clients.fetch_ok(&[("readme.txt", README)]);
    // ... the tampered one is refused by both, and neither stores it.
    let (_, theirs) = clients.both_refuse(&["some/dir/data.bin"]);
    let error = theirs.error.unwrap_or_default();
    assert!(
        error.starts_with("LengthOrHashMismatchError"),
        "ngclient refused for another reason: {error}"
    );
    assert!(!clients.ours.td().join(quote("some/dir/data.bin")).exists());
}

#[test]
fn tampered_metadata_is_refused_by_both() {
    let repo = Repo::init(&[]);
    repo.add(&[("readme.txt", README)], &[]);
    repo.cli("publish", &[]);
    let server = repo.serve();

    // Change the last digit of the targets metadata's expiry (same length, still in the
    // future, the target still listed): only signature (or snapshot hash) checks catch it.
    let targets = repo.latest_metadata("targets");
    let mut bytes = fs::read(&targets).unwrap();
    let expires = find(&bytes, b"\"expires\"").expect("an expiry");
    let z = expires + find(&bytes[expires..], b"Z\"").expect("an RFC 3339 expiry");
    bytes[z - 1] = if bytes[z - 1] == b'0' { b'1' } else { b'0' };
    fs::write(&targets, bytes).unwrap();

    let clients = Clients::new(&server, &repo);
    let (_, theirs) = clients.both_refuse(&["readme.txt"]);
    let error = theirs.error.unwrap_or_default();
    assert!(
        error.starts_with("UnsignedMetadataError") || error.starts_with("RepositoryError"),
        "ngclient refused for another reason: {error}"
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
