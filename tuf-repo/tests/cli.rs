//! The `tuf-repo` command as a process: exit codes, help, and a whole workflow.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tuf-repo"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs and expects success; returns stdout.
fn ok(args: &[&str]) -> String {
    let output = run(args);
    assert!(
        output.status.success(),
        "{args:?} failed:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(output.stderr.is_empty() || text(&output.stderr).trim().is_empty());
    text(&output.stdout)
}

/// Runs and expects exit code 1; returns stderr.
fn fails(args: &[&str]) -> String {
    let output = run(args);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{args:?}:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stderr)
}

fn status(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(&["status", dir.to_str().unwrap(), "--json"])).unwrap()
}

fn file(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The key id a `key add`/`key generate` prints last on its first line.
fn printed_keyid(out: &str) -> String {
    out.lines()
        .next()
        .and_then(|line| line.split_whitespace().last())
        .unwrap_or_else(|| panic!("no key id printed: {out}"))
        .to_owned()
}

fn pem_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pem"))
        .collect();
    files.sort();
    files
}

#[test]
fn help_documents_every_subcommand_and_flag() {
    let help = ok(&["--help"]);
    for command in [
        "init",
        "add",
        "remove",
        "delegate",
        "bins",
        "publish",
        "sign",
        "status",
        "rotate",
        "refresh",
        "verify",
        "key",
        "threshold",
    ] {
        assert!(help.contains(command), "{command} missing from --help");
    }
    let flags: [(&str, &[&str]); 11] = [
        (
            "init",
            &["--key-type", "--consistent-snapshot", "--expires-days"],
        ),
        ("add", &["--to", "--role"]),
        ("remove", &["PATH"]),
        (
            "delegate",
            &[
                "--from",
                "--to",
                "--paths",
                "--hash-prefixes",
                "--terminating",
                "--key-type",
                "--threshold",
            ],
        ),
        ("bins", &["--from", "--count", "--prefix"]),
        ("publish", &["DIR"]),
        ("sign", &["ROLE", "--key"]),
        ("status", &["--json"]),
        ("rotate", &["ROLE", "--key-type", "--keep-old"]),
        ("refresh", &["--days"]),
        ("verify", &["DIR"]),
    ];
    for (command, flags) in flags {
        let help = ok(&[command, "--help"]);
        for flag in flags {
            assert!(
                help.contains(flag),
                "`{command} --help` lacks {flag}:\n{help}"
            );
        }
    }
    for (action, flags) in [
        ("add", &["ROLE", "--public", "--scheme"][..]),
        ("generate", &["ROLE", "--key-type"]),
        ("revoke", &["ROLE", "KEYID"]),
        ("public", &["--key"]),
    ] {
        let help = ok(&["key", action, "--help"]);
        for flag in flags {
            assert!(
                help.contains(flag),
                "`key {action} --help` lacks {flag}:\n{help}"
            );
        }
    }
    assert!(ok(&["threshold", "--help"]).contains("THRESHOLD"));
    assert!(ok(&["init", "--help"]).contains("rsa-pkcs1v15-sha512"));
    assert!(ok(&["--version"]).starts_with("tuf-repo "));
}

#[test]
fn usage_errors_exit_1() {
    fails(&[]);
    fails(&["frobnicate"]);
    fails(&["init"]);
    fails(&["init", "/tmp/x", "--key-type", "dsa"]);
    fails(&["init", "/tmp/x", "--consistent-snapshot", "maybe"]);
    fails(&["delegate", "/tmp/x", "--from", "targets", "--to", "a"]);
    fails(&[
        "delegate",
        "/tmp/x",
        "--from",
        "targets",
        "--to",
        "a",
        "--paths",
        "x",
        "--hash-prefixes",
        "0",
    ]);
}

#[test]
fn errors_are_one_line_with_their_causes() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing");
    let stderr = fails(&["publish", missing.to_str().unwrap()]);
    assert!(stderr.starts_with("tuf-repo: "), "{stderr}");
    assert!(stderr.contains("not a repository"), "{stderr}");

    let repo = dir.path().join("repo");
    let repo_s = repo.to_str().unwrap();
    ok(&["init", repo_s]);
    let stderr = fails(&["init", repo_s]);
    assert!(stderr.contains("not empty"), "{stderr}");
    let stderr = fails(&["add", repo_s, missing.to_str().unwrap()]);
    assert_eq!(
        stderr.lines().next().unwrap().matches("tuf-repo:").count(),
        1
    );
    assert!(stderr.contains("caused by"), "{stderr}");
    let stderr = fails(&[
        "add",
        repo_s,
        &file(dir.path(), "f", "x"),
        "--role",
        "nobody",
    ]);
    assert!(stderr.contains("unknown role `nobody`"), "{stderr}");
    let stderr = fails(&["bins", repo_s, "--from", "targets", "--count", "5"]);
    assert!(stderr.contains("power of two"), "{stderr}");
    let stderr = fails(&[
        "sign",
        repo_s,
        "targets",
        "--key",
        missing.to_str().unwrap(),
    ]);
    assert!(stderr.contains("reading"), "{stderr}");
}

#[test]
fn workflow() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let r = repo.to_str().unwrap();
    let out = ok(&[
        "init",
        r,
        "--key-type",
        "ecdsa-sha2-nistp256",
        "--expires-days",
        "30",
    ]);
    assert!(out.contains("metadata/1.root.json"), "{out}");
    assert!(repo.join("metadata/1.root.json").is_file());
    assert!(repo.join("targets").is_dir());
    assert_eq!(pem_files(&repo.join("keys/root")).len(), 1);

    // Targets in `targets`, a delegation with paths, and bins under another delegation.
    let a = file(dir.path(), "a.txt", "alpha");
    let b = file(dir.path(), "b.txt", "beta");
    let out = ok(&["add", r, &a, &b, "--to", "docs/v1"]);
    assert!(out.contains("added docs/v1/a.txt to targets"), "{out}");
    ok(&[
        "delegate",
        r,
        "--from",
        "targets",
        "--to",
        "images",
        "--paths",
        "img/*",
        "img/*/*",
        "--terminating",
    ]);
    let png = file(dir.path(), "logo.png", "png");
    ok(&["add", r, &png, "--to", "img", "--role", "images"]);
    ok(&[
        "delegate",
        r,
        "--from",
        "targets",
        "--to",
        "packages",
        "--hash-prefixes",
        "0",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "a",
        "b",
        "c",
        "d",
        "e",
        "f",
    ]);
    ok(&[
        "bins", r, "--from", "packages", "--count", "8", "--prefix", "pkg",
    ]);
    let pkgs: Vec<String> = (0..5)
        .map(|i| file(dir.path(), &format!("pkg{i}.tar"), &format!("package {i}")))
        .collect();
    let mut args = vec!["add", r];
    args.extend(pkgs.iter().map(String::as_str));
    args.extend(["--role", "packages"]);
    let out = ok(&args);
    assert!(out.contains("to pkg-"), "{out}");
    let before = status(&repo);
    assert_eq!(before["roles"]["targets"]["pending"], true);
    assert_eq!(before["roles"]["pkg-0"]["version"], serde_json::Value::Null);

    let out = ok(&["publish", r]);
    assert!(out.contains("published targets v2"), "{out}");
    assert!(out.contains("published timestamp v2"), "{out}");
    let out = ok(&["verify", r]);
    assert!(out.contains("repository OK"), "{out}");
    assert!(out.contains("8 target file(s)"), "{out}");
    let state = status(&repo);
    assert_eq!(state["consistent_snapshot"], true);
    let roles = state["roles"].as_object().unwrap();
    assert_eq!(roles.len(), 4 + 2 + 8);
    assert!(
        roles
            .values()
            .all(|r| r["verified"] == true && r["pending"] == false)
    );
    assert_eq!(roles["targets"]["version"], 2);
    assert_eq!(roles["root"]["threshold"], 1);
    let text_status = ok(&["status", r]);
    assert!(
        text_status.lines().next().unwrap().starts_with("ROLE"),
        "{text_status}"
    );

    // Nothing changed: publish writes nothing.
    assert!(ok(&["publish", r]).contains("nothing to publish"));

    // Threshold 2 with one key offline; `sign --key` completes it.
    ok(&[
        "delegate",
        r,
        "--from",
        "targets",
        "--to",
        "secure",
        "--paths",
        "secure/*",
        "--threshold",
        "2",
    ]);
    let keys = pem_files(&repo.join("keys/secure"));
    assert_eq!(keys.len(), 2);
    let offline = dir.path().join("offline.pem");
    fs::rename(&keys[0], &offline).unwrap();
    let s = file(dir.path(), "s.bin", "secret");
    ok(&["add", r, &s, "--to", "secure", "--role", "secure"]);
    let out = ok(&["publish", r]);
    assert!(out.contains("1 of 2 signatures"), "{out}");
    let secure = &status(&repo)["roles"]["secure"];
    assert_eq!(secure["verified"], false);
    assert_eq!(secure["missing"].as_array().unwrap().len(), 1);
    assert_eq!(secure["signed"].as_array().unwrap().len(), 1);
    let stderr = fails(&["verify", r]);
    assert!(stderr.contains("secure"), "{stderr}");
    let root_key = pem_files(&repo.join("keys/root")).remove(0);
    let stderr = fails(&["sign", r, "secure", "--key", root_key.to_str().unwrap()]);
    assert!(stderr.contains("not trusted"), "{stderr}");
    let out = ok(&["sign", r, "secure", "--key", offline.to_str().unwrap()]);
    assert!(out.contains("now has enough signatures"), "{out}");
    assert_eq!(status(&repo)["roles"]["secure"]["verified"], true);
    ok(&["verify", r]);

    // Key rotation: root (signed by old and new keys), a delegated role, a bin.
    let out = ok(&["rotate", r, "root", "--key-type", "ed25519"]);
    assert!(out.contains("published root v2"), "{out}");
    assert!(repo.join("metadata/2.root.json").is_file());
    ok(&["rotate", r, "images"]);
    ok(&["rotate", r, "pkg-3", "--keep-old"]);
    let out = ok(&["verify", r]);
    assert!(out.contains("root v2"), "{out}");

    // Refresh for cron; remove a target.
    let out = ok(&["refresh", r, "--days", "3"]);
    assert!(out.contains("published snapshot"), "{out}");
    assert!(out.contains("published timestamp"), "{out}");
    ok(&["remove", r, "docs/v1/a.txt"]);
    fails(&["remove", r, "docs/v1/a.txt"]);
    ok(&["publish", r]);
    let out = ok(&["verify", r]);
    assert!(out.contains("8 target file(s)"), "{out}");

    // Tampering is caught.
    let sha256 = tuf_metadata::hashes::digest_hex("sha256", b"beta").unwrap();
    let target = repo.join(format!("targets/docs/v1/{sha256}.b.txt"));
    fs::remove_file(&target).unwrap();
    fs::write(&target, "BETA").unwrap();
    let stderr = fails(&["verify", r]);
    assert!(stderr.contains("docs/v1/b.txt"), "{stderr}");
    assert!(stderr.contains("caused by"), "{stderr}");
}

#[test]
fn plain_layout_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let r = repo.to_str().unwrap();
    ok(&["init", r, "--consistent-snapshot", "false"]);
    let a = file(dir.path(), "a.txt", "alpha");
    ok(&["add", r, &a]);
    ok(&["publish", r]);
    assert_eq!(
        fs::read_to_string(repo.join("targets/a.txt")).unwrap(),
        "alpha"
    );
    assert!(!repo.join("metadata/2.targets.json").exists());
    assert!(repo.join("metadata/targets.json").is_file());
    let out = ok(&["verify", r]);
    assert!(out.contains("consistent snapshots off"), "{out}");
    assert_eq!(status(&repo)["consistent_snapshot"], false);
}

/// Several holders share the threshold of a top-level role: an outside holder's public key is
/// added (JSON and PEM forms), the threshold raised, the role published short of signatures,
/// completed with `sign`, and a key revoked again.
#[test]
fn top_level_threshold_shared_by_several_holders() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let r = repo.to_str().unwrap();
    ok(&["init", r]);

    // The outside holder makes a key elsewhere (here: a second repository's targets key) and
    // hands over only the public part.
    let other = dir.path().join("other");
    ok(&["init", other.to_str().unwrap()]);
    let holder_key = pem_files(&other.join("keys/targets")).remove(0);
    let holder = holder_key.to_str().unwrap();
    let public_json = ok(&["key", "public", "--key", holder]);
    let public: serde_json::Value = serde_json::from_str(public_json.trim()).unwrap();
    assert_eq!(public["keytype"], "ed25519");
    assert_eq!(public["scheme"], "ed25519");
    let public_file = file(dir.path(), "holder.pub.json", &public_json);

    // Refusals: a private key handed over, an unknown role, a threshold above the key count.
    let stderr = fails(&["key", "add", r, "targets", "--public", holder]);
    assert!(stderr.contains("is a private key"), "{stderr}");
    fails(&["key", "add", r, "nobody", "--public", &public_file]);
    let stderr = fails(&["threshold", r, "targets", "2"]);
    assert!(stderr.contains("threshold"), "{stderr}");

    let out = ok(&["key", "add", r, "targets", "--public", &public_file]);
    let holder_id = printed_keyid(&out);
    assert_eq!(holder_id.len(), 64, "{out}");
    ok(&["threshold", r, "targets", "2"]);
    let file_to_add = file(dir.path(), "app.tar", "release");
    ok(&["add", r, &file_to_add]);
    let out = ok(&["publish", r]);
    assert!(out.contains("published root v2"), "{out}");
    assert!(out.contains("1 of 2 signatures"), "{out}");
    let targets = &status(&repo)["roles"]["targets"];
    assert_eq!(targets["threshold"], 2);
    assert_eq!(targets["verified"], false);
    assert_eq!(targets["missing"], serde_json::json!([holder_id]));
    fails(&["verify", r]);

    let out = ok(&["sign", r, "targets", "--key", holder]);
    assert!(out.contains("now has enough signatures"), "{out}");
    ok(&["verify", r]);

    // A PEM SubjectPublicKeyInfo (the spec-vectors ed25519 key) needs its scheme. It and a key
    // generated here are added to snapshot, and the PEM key revoked again (refused while it
    // would leave fewer keys than the threshold).
    let pem = file(
        dir.path(),
        "holder.pub.pem",
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAVgbgw3DHCarn65UfXcNZeuLm0jjUxc5L0Ix+dtACHeg=\n-----END PUBLIC KEY-----\n",
    );
    let stderr = fails(&["key", "add", r, "snapshot", "--public", &pem]);
    assert!(stderr.contains("--scheme"), "{stderr}");
    let out = ok(&[
        "key", "add", r, "snapshot", "--public", &pem, "--scheme", "ed25519",
    ]);
    let pem_id = printed_keyid(&out);
    let out = ok(&["key", "generate", r, "snapshot"]);
    assert!(out.contains("now trusts new key"), "{out}");
    ok(&["threshold", r, "snapshot", "3"]);
    let stderr = fails(&["key", "revoke", r, "snapshot", &pem_id]);
    assert!(stderr.contains("threshold"), "{stderr}");
    ok(&["threshold", r, "snapshot", "1"]);
    ok(&["key", "revoke", r, "snapshot", &pem_id]);
    let stderr = fails(&["key", "revoke", r, "snapshot", &pem_id]);
    assert!(stderr.contains(&pem_id), "{stderr}");
    ok(&["publish", r]);
    ok(&["verify", r]);
    let snapshot = &status(&repo)["roles"]["snapshot"];
    assert_eq!(snapshot["threshold"], 1);
    assert_eq!(snapshot["signed"].as_array().unwrap().len(), 2);
    assert_eq!(snapshot["verified"], true);
}

/// The `meta` of the snapshot that timestamp lists.
fn snapshot_meta(repo: &Path) -> serde_json::Map<String, serde_json::Value> {
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&fs::read(repo.join("metadata").join(name)).unwrap()).unwrap()
    };
    let version = read("timestamp.json")["signed"]["meta"]["snapshot.json"]["version"]
        .as_u64()
        .unwrap();
    read(&format!("{version}.snapshot.json"))["signed"]["meta"]
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn snapshot_lists_lengths_and_hashes_on_request() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let dir = repo.to_str().unwrap();
    ok(&["init", dir]);
    let listed = snapshot_meta(&repo);
    assert!(listed["targets.json"]["length"].as_u64().unwrap() > 0);
    assert!(listed["targets.json"].get("hashes").is_none());

    ok(&["add", dir, &file(tmp.path(), "a.txt", "a")]);
    ok(&["publish", dir, "--snapshot-hashes"]);
    let listed = snapshot_meta(&repo);
    assert_eq!(listed["targets.json"]["version"], 2);
    let targets = fs::read(repo.join("metadata/2.targets.json")).unwrap();
    assert_eq!(listed["targets.json"]["length"], targets.len());
    let sha256 = listed["targets.json"]["hashes"]["sha256"].as_str().unwrap();
    assert_eq!(sha256.len(), 64);

    // Kept by later publishes and refreshes, until turned off.
    ok(&["add", dir, &file(tmp.path(), "b.txt", "b")]);
    ok(&["publish", dir]);
    assert!(snapshot_meta(&repo)["targets.json"].get("hashes").is_some());
    ok(&["refresh", dir]);
    assert!(snapshot_meta(&repo)["targets.json"].get("hashes").is_some());
    ok(&["refresh", dir, "--snapshot-hashes", "false"]);
    let listed = snapshot_meta(&repo);
    assert!(listed["targets.json"].get("hashes").is_none());
    assert!(listed["targets.json"]["length"].as_u64().unwrap() > 0);
    ok(&["verify", dir]);
}
