//! End to end: the `tuf-client` binary, as a process, against repositories made by the
//! reference implementation (python-tuf, `spec-vectors/generator/make_client_repo.py`) and
//! served over HTTP on 127.0.0.1, following the protocol of CLIENT-CLI.md.
//!
//! Set `TUF_REFERENCE_PYTHON=/path/to/venv/bin/python` to skip creating the reference venv.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::sync::OnceLock;

use support::{
    Client, Repo, Server, Target, assert_failure, assert_success, copy_dir, corrupt_first_byte,
    corrupt_signature,
};

// --------------------------------------------------------------------------------------
// Shared repositories (generated once per test process)
// --------------------------------------------------------------------------------------

/// Flat, ed25519, consistent snapshots, two states.
fn flat() -> &'static Repo {
    static REPO: OnceLock<Repo> = OnceLock::new();
    REPO.get_or_init(|| Repo::shared("flat", &["--versions", "2"]))
}

fn delegations() -> &'static Repo {
    static REPO: OnceLock<Repo> = OnceLock::new();
    REPO.get_or_init(|| Repo::shared("delegations", &["--layout", "delegations"]))
}

fn succinct() -> &'static Repo {
    static REPO: OnceLock<Repo> = OnceLock::new();
    REPO.get_or_init(|| Repo::shared("succinct", &["--layout", "succinct"]))
}

fn non_consistent() -> &'static Repo {
    static REPO: OnceLock<Repo> = OnceLock::new();
    REPO.get_or_init(|| {
        Repo::shared(
            "non-consistent",
            &["--layout", "delegations", "--no-consistent-snapshot"],
        )
    })
}

fn rotated() -> &'static Repo {
    static REPO: OnceLock<Repo> = OnceLock::new();
    REPO.get_or_init(|| Repo::shared("rotated", &["--rotate-root"]))
}

// --------------------------------------------------------------------------------------
// Helpers
// --------------------------------------------------------------------------------------

fn names<const N: usize>(names: [&str; N]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

const TOP_LEVEL: [&str; 4] = ["root", "timestamp", "snapshot", "targets"];

/// The requests of a fresh client's refresh (trusted root version 1) at state `k`.
fn fresh_refresh(k: u64) -> Vec<String> {
    vec![
        "/metadata/2.root.json".to_owned(),
        "/metadata/timestamp.json".to_owned(),
        format!("/metadata/{k}.snapshot.json"),
        format!("/metadata/{k}.targets.json"),
    ]
}

/// Whether `request` fetches one of the served files of `target`.
fn fetches(request: &str, target: &Target) -> bool {
    target
        .files
        .iter()
        .any(|file| request == format!("/{file}"))
}

fn target_requests(requests: &[String]) -> Vec<&String> {
    requests
        .iter()
        .filter(|r| r.starts_with("/targets/"))
        .collect()
}

/// MD holds exactly the top-level roles, each byte-identical to state `k` of `repo`.
#[track_caller]
fn assert_md_is_state(client: &Client, repo: &Repo, k: u64) {
    assert_eq!(
        client.md_json_files(),
        names([
            "root.json",
            "timestamp.json",
            "snapshot.json",
            "targets.json"
        ])
    );
    for role in TOP_LEVEL {
        assert!(
            client.md_file(&format!("{role}.json")) == Some(repo.metadata(k, role)),
            "MD/{role}.json is not the {role} metadata served in state {k}"
        );
    }
}

/// The contents of every file in TD, in path order.
fn td_contents(client: &Client) -> Vec<Vec<u8>> {
    client.td_files().into_values().collect()
}

/// A copy of state `k` of `repo` in `dir`, for a test to tamper with.
fn copy_state(repo: &Repo, k: u64, dir: &tempfile::TempDir) -> std::path::PathBuf {
    let copy = dir.path().join(format!("state-{k}"));
    copy_dir(&repo.state(k), &copy);
    copy
}

// --------------------------------------------------------------------------------------
// Every scheme, flat layout
// --------------------------------------------------------------------------------------

fn scheme_roundtrip(scheme: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repo::generate(&tmp.path().join("repo"), &["--scheme", scheme]);
    let server = Server::serving(&repo.state(1)).expect("start the file server");
    let client = Client::new(&server);

    client.init_ok(&repo.trusted_root());
    assert_eq!(server.take_requests(), Vec::<String>::new(), "init fetched");
    assert_eq!(client.md_json_files(), names(["root.json"]));
    assert_eq!(
        client.md_file("root.json").unwrap(),
        fs::read(repo.trusted_root()).unwrap()
    );

    assert_success(&client.refresh(), "refresh");
    assert_eq!(server.take_requests(), fresh_refresh(1));
    assert_md_is_state(&client, &repo, 1);

    let target = repo.target(1, "dir/data.bin");
    assert_success(&client.download(&["dir/data.bin"]), "download dir/data.bin");
    let requests = server.take_requests();
    assert!(
        requests.iter().any(|r| fetches(r, &target)),
        "no request for {:?} in {requests:?}",
        target.files
    );
    assert_eq!(
        td_contents(&client),
        vec![repo.target_bytes(1, "dir/data.bin")]
    );
    assert_md_is_state(&client, &repo, 1);
}

macro_rules! scheme_tests {
    ($($name:ident => $scheme:literal,)*) => {
        $(
            #[test]
            fn $name() {
                scheme_roundtrip($scheme);
            }
        )*
    };
}

scheme_tests! {
    scheme_ed25519 => "ed25519",
    scheme_ecdsa_sha2_nistp256 => "ecdsa-sha2-nistp256",
    scheme_ecdsa_sha2_nistp384 => "ecdsa-sha2-nistp384",
    scheme_rsassa_pss_sha256 => "rsassa-pss-sha256",
    scheme_rsassa_pss_sha384 => "rsassa-pss-sha384",
    scheme_rsassa_pss_sha512 => "rsassa-pss-sha512",
    scheme_rsa_pkcs1v15_sha256 => "rsa-pkcs1v15-sha256",
    scheme_rsa_pkcs1v15_sha384 => "rsa-pkcs1v15-sha384",
    scheme_rsa_pkcs1v15_sha512 => "rsa-pkcs1v15-sha512",
}

// --------------------------------------------------------------------------------------
// Delegations
// --------------------------------------------------------------------------------------

#[test]
fn delegations_nested_download() {
    let repo = delegations();
    let server = Server::serving(&repo.state(1)).expect("start the file server");
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());

    let path = "projects/deep/x.txt";
    assert_success(
        &client.download(&[path]),
        "download through two delegations",
    );
    let requests = server.take_requests();
    let mut expected = fresh_refresh(1);
    expected.extend(strings(&[
        "/metadata/1.projects.json",
        "/metadata/1.projects%2Fdeep.json",
    ]));
    assert_eq!(requests.len(), expected.len() + 1, "requests: {requests:?}");
    assert_eq!(requests[..expected.len()], expected[..]);
    assert!(
        fetches(&requests[expected.len()], &repo.target(1, path)),
        "requests: {requests:?}"
    );

    assert_eq!(
        client.md_json_files(),
        names([
            "root.json",
            "timestamp.json",
            "snapshot.json",
            "targets.json",
            "projects.json",
            "projects%2Fdeep.json",
        ])
    );
    assert!(client.md_file("projects.json") == Some(repo.metadata(1, "projects")));
    assert!(client.md_file("projects%2Fdeep.json") == Some(repo.metadata(1, "projects/deep")));
    assert_eq!(td_contents(&client), vec![repo.target_bytes(1, path)]);
}

#[test]
fn delegations_search_stops_at_first_match() {
    let repo = delegations();
    let server = Server::serving(&repo.state(1)).expect("start the file server");
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());

    // hello.txt is in the top-level targets; projects/readme.txt in `projects`, so that
    // `projects/deep` is never needed.
    let output = client.download(&["hello.txt", "projects/readme.txt"]);
    assert_success(&output, "download");
    let requests = server.take_requests();
    let hello = repo.target(1, "hello.txt");
    let readme = repo.target(1, "projects/readme.txt");
    assert_eq!(requests.len(), 7, "requests: {requests:?}");
    assert_eq!(requests[..4], fresh_refresh(1)[..]);
    assert!(fetches(&requests[4], &hello), "requests: {requests:?}");
    assert_eq!(requests[5], "/metadata/1.projects.json");
    assert!(fetches(&requests[6], &readme), "requests: {requests:?}");
    let mut expected = vec![
        repo.target_bytes(1, "hello.txt"),
        repo.target_bytes(1, "projects/readme.txt"),
    ];
    let mut got = td_contents(&client);
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
}

#[test]
fn delegations_unlisted_target_fails() {
    let repo = delegations();
    let server = Server::serving(&repo.state(1)).expect("start the file server");
    for name in [
        "projects/deep/missing.txt",
        "projects/missing.txt",
        "elsewhere/missing.txt",
        "missing.txt",
    ] {
        let client = Client::new(&server);
        client.init_ok(&repo.trusted_root());
        assert_failure(&client.download(&[name]), name);
        let requests = server.take_requests();
        assert!(
            target_requests(&requests).is_empty(),
            "{name}: a target was requested: {requests:?}"
        );
        assert!(client.td_files().is_empty(), "{name}: TD is not empty");
    }
}

// --------------------------------------------------------------------------------------
// Succinct delegations (hash bins)
// --------------------------------------------------------------------------------------

#[test]
fn succinct_downloads_fetch_only_their_bins() {
    let repo = succinct();
    let paths: Vec<String> = repo
        .target_paths(1)
        .into_iter()
        .filter(|p| p.starts_with("bins/"))
        .collect();
    let first = repo.target(1, &paths[0]);
    let second_path = paths
        .iter()
        .find(|p| repo.target(1, p).role != first.role)
        .expect("targets in two bins");
    let second = repo.target(1, second_path);

    let server = Server::serving(&repo.state(1)).expect("start the file server");
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());
    let output = client.download(&[&paths[0], second_path]);
    assert_success(&output, "download from two bins");

    let requests = server.take_requests();
    assert_eq!(requests.len(), 8, "requests: {requests:?}");
    assert_eq!(requests[..4], fresh_refresh(1)[..]);
    assert_eq!(requests[4], format!("/metadata/1.{}.json", first.role));
    assert!(fetches(&requests[5], &first), "requests: {requests:?}");
    assert_eq!(requests[6], format!("/metadata/1.{}.json", second.role));
    assert!(fetches(&requests[7], &second), "requests: {requests:?}");

    let mut expected_md = names([
        "root.json",
        "timestamp.json",
        "snapshot.json",
        "targets.json",
    ]);
    expected_md.insert(format!("{}.json", first.role));
    expected_md.insert(format!("{}.json", second.role));
    assert_eq!(client.md_json_files(), expected_md);
    assert!(client.md_file(&format!("{}.json", first.role)) == Some(repo.metadata(1, &first.role)));

    let mut expected = vec![
        repo.target_bytes(1, &paths[0]),
        repo.target_bytes(1, second_path),
    ];
    let mut got = td_contents(&client);
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
}

// --------------------------------------------------------------------------------------
// Without consistent snapshots
// --------------------------------------------------------------------------------------

#[test]
fn non_consistent_snapshot_uses_plain_names() {
    let repo = non_consistent();
    let server = Server::serving(&repo.state(1)).expect("start the file server");
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());

    assert_success(&client.refresh(), "refresh");
    assert_eq!(
        server.take_requests(),
        strings(&[
            "/metadata/2.root.json",
            "/metadata/timestamp.json",
            "/metadata/snapshot.json",
            "/metadata/targets.json",
        ])
    );
    assert_md_is_state(&client, repo, 1);

    let fresh = Client::new(&server);
    fresh.init_ok(&repo.trusted_root());
    assert_success(&fresh.download(&["projects/deep/x.txt"]), "download");
    assert_eq!(
        server.take_requests(),
        strings(&[
            "/metadata/2.root.json",
            "/metadata/timestamp.json",
            "/metadata/snapshot.json",
            "/metadata/targets.json",
            "/metadata/projects.json",
            "/metadata/projects%2Fdeep.json",
            "/targets/projects/deep/x.txt",
        ])
    );
    assert!(fresh.md_file("projects%2Fdeep.json") == Some(repo.metadata(1, "projects/deep")));
    assert_eq!(
        td_contents(&fresh),
        vec![repo.target_bytes(1, "projects/deep/x.txt")]
    );
}

// --------------------------------------------------------------------------------------
// Root rotation
// --------------------------------------------------------------------------------------

#[test]
fn root_rotation() {
    let repo = rotated();
    let server = Server::serving(&repo.state(1)).expect("start the file server");
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());

    assert_success(&client.refresh(), "refresh over a rotated root");
    assert_eq!(
        server.take_requests(),
        strings(&[
            "/metadata/2.root.json",
            "/metadata/3.root.json",
            "/metadata/timestamp.json",
            "/metadata/1.snapshot.json",
            "/metadata/1.targets.json",
        ])
    );
    let root2 = fs::read(repo.state(1).join("metadata/2.root.json")).unwrap();
    assert!(
        client.md_file("root.json") == Some(root2),
        "MD/root.json is not 2.root.json"
    );
    assert_md_is_state(&client, repo, 1);
}

#[test]
fn root_rotation_without_old_key_signature_refused() {
    let repo = rotated();
    let tmp = tempfile::tempdir().unwrap();
    let tampered = copy_state(repo, 1, &tmp);
    // 2.root.json is signed by the old root key first, then by the new one.
    corrupt_signature(&tampered.join("metadata/2.root.json"));

    let server = Server::serving(&tampered).expect("start the file server");
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());
    assert_failure(&client.refresh(), "refresh over a badly signed new root");
    assert_eq!(server.take_requests(), strings(&["/metadata/2.root.json"]));
    assert_eq!(client.md_json_files(), names(["root.json"]));
    assert!(client.md_file("root.json") == Some(fs::read(repo.trusted_root()).unwrap()));
}

// --------------------------------------------------------------------------------------
// The cache
// --------------------------------------------------------------------------------------

#[test]
fn second_refresh_reuses_cached_metadata() {
    let repo = flat();
    let server = Server::serving(&repo.state(1)).expect("start the file server");
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());
    assert_success(&client.refresh(), "first refresh");
    assert_eq!(server.take_requests(), fresh_refresh(1));

    assert_success(&client.refresh(), "second refresh");
    assert_eq!(
        server.take_requests(),
        strings(&["/metadata/2.root.json", "/metadata/timestamp.json"])
    );
    assert_md_is_state(&client, repo, 1);

    let hello = repo.target(1, "hello.txt");
    assert_success(&client.download(&["hello.txt"]), "first download");
    let requests = server.take_requests();
    assert_eq!(requests.len(), 3, "requests: {requests:?}");
    assert_eq!(
        requests[..2],
        strings(&["/metadata/2.root.json", "/metadata/timestamp.json"])[..]
    );
    assert!(fetches(&requests[2], &hello), "requests: {requests:?}");
    let td = client.td_files();

    assert_success(&client.download(&["hello.txt"]), "second download");
    assert_eq!(
        server.take_requests(),
        strings(&["/metadata/2.root.json", "/metadata/timestamp.json"]),
        "a target already in TD was downloaded again"
    );
    assert_eq!(client.td_files(), td);
}

#[test]
fn new_state_is_fetched_and_target_overwritten() {
    let repo = flat();
    let server = Server::serving(&repo.state(1)).expect("start the file server");
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());
    assert_success(&client.download(&["state.txt"]), "download at state 1");
    let td1 = client.td_files();
    assert_eq!(
        td1.values().cloned().collect::<Vec<_>>(),
        vec![b"repository state 1\n".to_vec()]
    );
    server.take_requests();

    server.serve_dir(&repo.state(2));
    assert_success(&client.download(&["state.txt"]), "download at state 2");
    let requests = server.take_requests();
    assert_eq!(requests.len(), 5, "requests: {requests:?}");
    assert_eq!(requests[..4], fresh_refresh(2)[..]);
    assert!(
        fetches(&requests[4], &repo.target(2, "state.txt")),
        "requests: {requests:?}"
    );
    assert_md_is_state(&client, repo, 2);
    let td2 = client.td_files();
    assert_eq!(
        td2.keys().collect::<Vec<_>>(),
        td1.keys().collect::<Vec<_>>(),
        "the same target path maps to the same file"
    );
    assert_eq!(
        td2.values().cloned().collect::<Vec<_>>(),
        vec![b"repository state 2\n".to_vec()]
    );
}

// --------------------------------------------------------------------------------------
// Attacks
// --------------------------------------------------------------------------------------

#[test]
fn bad_timestamp_signature_refused() {
    let repo = flat();
    let tmp = tempfile::tempdir().unwrap();
    let tampered = copy_state(repo, 2, &tmp);
    corrupt_signature(&tampered.join("metadata/timestamp.json"));

    // A fresh client.
    let server = Server::serving(&tampered).expect("start the file server");
    let fresh = Client::new(&server);
    fresh.init_ok(&repo.trusted_root());
    assert_failure(&fresh.refresh(), "refresh, fresh client");
    assert_eq!(
        server.take_requests(),
        strings(&["/metadata/2.root.json", "/metadata/timestamp.json"])
    );
    assert_eq!(fresh.md_json_files(), names(["root.json"]));
    assert_failure(&fresh.download(&["hello.txt"]), "download, fresh client");
    assert!(fresh.td_files().is_empty());

    // A client that trusts state 1.
    server.serve_dir(&repo.state(1));
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());
    assert_success(&client.refresh(), "refresh at state 1");
    server.serve_dir(&tampered);
    assert_failure(&client.refresh(), "refresh, client at state 1");
    assert_md_is_state(&client, repo, 1);
    assert_failure(&client.download(&["hello.txt"]), "download");
    assert!(client.td_files().is_empty());
}

#[test]
fn rollback_refused() {
    let repo = flat();
    let server = Server::serving(&repo.state(2)).expect("start the file server");
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());
    assert_success(&client.refresh(), "refresh at state 2");
    assert_md_is_state(&client, repo, 2);
    server.take_requests();

    server.serve_dir(&repo.state(1));
    assert_failure(&client.refresh(), "refresh after a rollback to state 1");
    let requests = server.take_requests();
    assert_eq!(
        requests,
        strings(&["/metadata/2.root.json", "/metadata/timestamp.json"])
    );
    assert_md_is_state(&client, repo, 2);
}

#[test]
fn expired_timestamp_refused() {
    let repo = flat();
    let tmp = tempfile::tempdir().unwrap();
    let key_dir = repo.key_dir();
    let expired = Repo::generate(
        &tmp.path().join("expired"),
        &[
            "--versions",
            "2",
            "--expired",
            "timestamp",
            "--key-dir",
            key_dir.to_str().unwrap(),
        ],
    );
    // The same keys, hence the same root (ed25519 signatures are deterministic).
    assert_eq!(
        fs::read(expired.trusted_root()).unwrap(),
        fs::read(repo.trusted_root()).unwrap()
    );

    let server = Server::serving(&expired.state(2)).expect("start the file server");
    let fresh = Client::new(&server);
    fresh.init_ok(&repo.trusted_root());
    assert_failure(&fresh.refresh(), "refresh, fresh client");
    assert!(fresh.md_file("snapshot.json").is_none());
    assert!(fresh.md_file("targets.json").is_none());

    server.serve_dir(&repo.state(1));
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());
    assert_success(&client.refresh(), "refresh at state 1");
    server.serve_dir(&expired.state(2));
    server.take_requests();
    assert_failure(&client.refresh(), "refresh with an expired timestamp");
    assert_eq!(
        server.take_requests(),
        strings(&["/metadata/2.root.json", "/metadata/timestamp.json"])
    );
    assert_md_is_state(&client, repo, 1);
}

#[test]
fn wrong_target_hash_refused() {
    let repo = flat();
    let tmp = tempfile::tempdir().unwrap();
    let tampered = copy_state(repo, 2, &tmp);
    // state.txt: same length, other bytes; dir/data.bin: one byte too many.
    for file in repo.target(2, "state.txt").files {
        corrupt_first_byte(&tampered.join(file));
    }
    for file in repo.target(2, "dir/data.bin").files {
        let path = tampered.join(file);
        let mut bytes = fs::read(&path).unwrap();
        bytes.push(b'!');
        fs::write(&path, bytes).unwrap();
    }

    // A fresh client: nothing reaches TD.
    let server = Server::serving(&tampered).expect("start the file server");
    let fresh = Client::new(&server);
    fresh.init_ok(&repo.trusted_root());
    for name in ["state.txt", "dir/data.bin"] {
        assert_failure(&fresh.download(&[name]), name);
        let requests = server.take_requests();
        assert_eq!(
            target_requests(&requests).len(),
            1,
            "{name}: requests: {requests:?}"
        );
        assert!(
            fresh.td_files().is_empty(),
            "{name}: files in TD: {:?}",
            fresh.td_files().keys()
        );
        // The refused bytes were staged in MD and are gone: only the trusted roles and the
        // lock file remain.
        let md: BTreeSet<String> = support::files_under(&fresh.md()).into_keys().collect();
        assert_eq!(
            md,
            names([
                ".lock",
                "root.json",
                "timestamp.json",
                "snapshot.json",
                "targets.json"
            ]),
            "{name}: MD after a refused download"
        );
    }

    // A client with the good state-1 state.txt keeps it.
    server.serve_dir(&repo.state(1));
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());
    assert_success(&client.download(&["state.txt"]), "download at state 1");
    let good = client.td_files();
    server.serve_dir(&tampered);
    assert_failure(&client.download(&["state.txt"]), "tampered state.txt");
    assert_eq!(
        client.td_files(),
        good,
        "TD changed after a refused download"
    );
}

#[test]
fn missing_target_file_fails() {
    let repo = flat();
    let tmp = tempfile::tempdir().unwrap();
    let tampered = copy_state(repo, 1, &tmp);
    for file in repo.target(1, "hello.txt").files {
        fs::remove_file(tampered.join(file)).unwrap();
    }
    let server = Server::serving(&tampered).expect("start the file server");
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());
    assert_failure(&client.download(&["hello.txt"]), "download of a 404 target");
    assert!(client.td_files().is_empty());
    // The metadata was fine.
    assert_md_is_state(&client, repo, 1);
}

#[test]
fn snapshot_not_matching_timestamp_refused() {
    let repo = flat();
    let tmp = tempfile::tempdir().unwrap();
    let tampered = copy_state(repo, 2, &tmp);
    // Same length, other bytes: the hash listed in the timestamp no longer matches.
    corrupt_signature(&tampered.join("metadata/2.snapshot.json"));

    let server = Server::serving(&repo.state(1)).expect("start the file server");
    let client = Client::new(&server);
    client.init_ok(&repo.trusted_root());
    assert_success(&client.refresh(), "refresh at state 1");
    server.serve_dir(&tampered);
    server.take_requests();
    assert_failure(&client.refresh(), "refresh with a tampered snapshot");
    assert_eq!(
        server.take_requests(),
        strings(&[
            "/metadata/2.root.json",
            "/metadata/timestamp.json",
            "/metadata/2.snapshot.json",
        ])
    );
    // The new timestamp was verified before the snapshot failed: it stays; the rest is
    // still state 1.
    assert!(client.md_file("timestamp.json") == Some(repo.metadata(2, "timestamp")));
    assert!(client.md_file("snapshot.json") == Some(repo.metadata(1, "snapshot")));
    assert!(client.md_file("targets.json") == Some(repo.metadata(1, "targets")));
    assert!(client.md_file("root.json") == Some(repo.metadata(1, "root")));
}
