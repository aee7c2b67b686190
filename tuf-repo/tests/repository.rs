//! The repository library end to end: init, targets, delegations, bins, thresholds, rotation,
//! layouts, and verification catching tampering.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tuf_crypto::{KeyId, Scheme, Signer};
use tuf_metadata::{Metadata, Root, SuccinctRoles, Targets};
use tuf_repo::{
    DelegatedPaths, DelegationOptions, Error, FsStorage, InitOptions, KeyOptions, NoProgress,
    Repository, TargetSource,
};

/// 2048-bit RSA keys: generating 3072-bit ones costs ~0.3 s each.
const TEST_KEYS: KeyOptions = KeyOptions { rsa_bits: 2048 };

fn options(scheme: Scheme, consistent_snapshot: bool) -> InitOptions {
    InitOptions {
        scheme,
        consistent_snapshot,
        expires_days: None,
        key_options: TEST_KEYS,
    }
}

fn init(dir: &Path, scheme: Scheme, consistent_snapshot: bool) -> Repository {
    Repository::init(
        FsStorage::new(dir.join("repo")),
        &options(scheme, consistent_snapshot),
    )
    .unwrap()
}

fn reopen(repo: &Repository) -> Repository {
    let mut repo = Repository::open(FsStorage::new(repo.storage().root())).unwrap();
    repo.set_key_options(TEST_KEYS);
    repo
}

fn file(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, content).unwrap();
    path
}

fn add<S: tuf_repo::Storage>(
    repo: &mut Repository<S>,
    dir: &Path,
    role: Option<&str>,
    target: &str,
    content: &[u8],
) {
    let (prefix, name) = match target.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, target),
    };
    let local = dir.join("src").join(target);
    fs::create_dir_all(local.parent().unwrap()).unwrap();
    let path = file(local.parent().unwrap(), name, content);
    let source = TargetSource::for_file(path, prefix).unwrap();
    assert_eq!(source.target_path, target);
    repo.add_files(role, &[source], &NoProgress).unwrap();
}

fn verify(repo: &Repository) -> Result<tuf_repo::VerifyReport, Error> {
    tuf_repo::verify(repo.storage(), &NoProgress)
}

fn root_dir(repo: &Repository) -> PathBuf {
    repo.storage().root().to_path_buf()
}

/// Every file under `metadata/`, by name.
fn metadata_files(repo: &Repository) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(root_dir(repo).join("metadata"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn status_of(repo: &Repository, role: &str) -> tuf_repo::RoleStatus {
    repo.role_status(role).unwrap().unwrap()
}

fn key_files(repo: &Repository, dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root_dir(repo).join("keys").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pem"))
        .collect();
    files.sort();
    files
}

fn delegation(paths: DelegatedPaths, threshold: u64) -> DelegationOptions {
    DelegationOptions {
        paths,
        terminating: true,
        threshold,
        scheme: Scheme::Ed25519,
    }
}

fn globs(globs: &[&str]) -> DelegatedPaths {
    DelegatedPaths::Globs(globs.iter().map(|g| (*g).to_owned()).collect())
}

fn round_trip(scheme: Scheme) {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), scheme, true);
    let root_key = repo.root().roles["root"].keyids[0].clone();
    assert_eq!(
        repo.root().keys[&root_key].scheme_name(),
        scheme.as_str(),
        "{scheme}"
    );
    add(&mut repo, dir.path(), None, "a/b/file.txt", b"content");
    let report = repo.publish(&NoProgress).unwrap();
    let written: Vec<(&str, u64)> = report
        .roles
        .iter()
        .map(|r| (r.role.as_str(), r.version))
        .collect();
    assert_eq!(
        written,
        [("targets", 2), ("snapshot", 2), ("timestamp", 2)],
        "{scheme}"
    );
    let checked = verify(&repo).unwrap();
    assert_eq!(checked.root_version, 1);
    assert_eq!(checked.snapshot_version, 2);
    assert_eq!(checked.target_files, 1);
    assert!(
        repo.status().unwrap().iter().all(|s| s.verified),
        "{scheme}"
    );
}

macro_rules! every_scheme {
    ($($name:ident => $scheme:expr),* $(,)?) => {$(
        #[test]
        fn $name() {
            round_trip($scheme);
        }
    )*};
}

every_scheme! {
    init_add_publish_verify_ed25519 => Scheme::Ed25519,
    init_add_publish_verify_ecdsa_p256 => Scheme::EcdsaSha2Nistp256,
    init_add_publish_verify_ecdsa_p384 => Scheme::EcdsaSha2Nistp384,
    init_add_publish_verify_rsassa_pss_sha256 => Scheme::RsassaPssSha256,
    init_add_publish_verify_rsassa_pss_sha384 => Scheme::RsassaPssSha384,
    init_add_publish_verify_rsassa_pss_sha512 => Scheme::RsassaPssSha512,
    init_add_publish_verify_rsa_pkcs1v15_sha256 => Scheme::RsaPkcs1v15Sha256,
    init_add_publish_verify_rsa_pkcs1v15_sha384 => Scheme::RsaPkcs1v15Sha384,
    init_add_publish_verify_rsa_pkcs1v15_sha512 => Scheme::RsaPkcs1v15Sha512,
}

#[test]
fn consistent_layout_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    let files = metadata_files(&repo);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "1.root.json",
            "1.snapshot.json",
            "1.targets.json",
            "root.json",
            "snapshot.json",
            "targets.json",
            "timestamp.json"
        ]
    );
    assert_eq!(files["1.root.json"], files["root.json"]);
    assert_eq!(files["1.targets.json"], files["targets.json"]);
    for role in ["root", "targets", "snapshot", "timestamp"] {
        assert_eq!(key_files(&repo, role).len(), 1, "{role}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = &key_files(&repo, "root")[0];
        assert_eq!(
            fs::metadata(key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    add(&mut repo, dir.path(), None, "x/y.txt", b"payload");
    repo.publish(&NoProgress).unwrap();
    let sha256 = tuf_metadata::hashes::digest_hex("sha256", b"payload").unwrap();
    let sha512 = tuf_metadata::hashes::digest_hex("sha512", b"payload").unwrap();
    let targets = root_dir(&repo).join("targets/x");
    assert_eq!(
        fs::read(targets.join(format!("{sha256}.y.txt"))).unwrap(),
        b"payload"
    );
    assert_eq!(
        fs::read(targets.join(format!("{sha512}.y.txt"))).unwrap(),
        b"payload"
    );
    let files = metadata_files(&repo);
    // Every version is kept for clients in the middle of an update.
    for name in [
        "1.targets.json",
        "2.targets.json",
        "1.snapshot.json",
        "2.snapshot.json",
    ] {
        assert!(files.contains_key(name), "{name}");
    }
    assert_eq!(files["2.targets.json"], files["targets.json"]);
    let listed = &repo.targets("targets").unwrap().targets["x/y.txt"];
    assert_eq!(listed.length, 7);
    assert_eq!(listed.hashes["sha256"], sha256);
    assert_eq!(listed.hashes["sha512"], sha512);
}

#[test]
fn non_consistent_layout() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, false);
    assert_eq!(repo.root().consistent_snapshot, Some(false));
    add(&mut repo, dir.path(), None, "x/y.txt", b"payload");
    repo.publish(&NoProgress).unwrap();
    let names: Vec<String> = metadata_files(&repo).into_keys().collect();
    assert_eq!(
        names,
        [
            "1.root.json",
            "root.json",
            "snapshot.json",
            "targets.json",
            "timestamp.json"
        ]
    );
    assert_eq!(
        fs::read(root_dir(&repo).join("targets/x/y.txt")).unwrap(),
        b"payload"
    );
    let report = verify(&repo).unwrap();
    assert!(!report.consistent_snapshot);
    assert_eq!(report.snapshot_version, 2);
}

#[test]
fn switching_consistent_snapshots_relayouts() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, false);
    add(&mut repo, dir.path(), None, "x/y.txt", b"payload");
    repo.publish(&NoProgress).unwrap();
    repo.set_consistent_snapshot(true);
    repo.publish(&NoProgress).unwrap();
    let report = verify(&repo).unwrap();
    assert!(report.consistent_snapshot);
    assert_eq!(report.root_version, 2);
    assert!(metadata_files(&repo).contains_key("3.targets.json"));
    repo.set_consistent_snapshot(false);
    add(&mut repo, dir.path(), None, "x/z.txt", b"more");
    repo.publish(&NoProgress).unwrap();
    assert!(!verify(&repo).unwrap().consistent_snapshot);
    // A target updated in the same publish as the switch keeps its new content under both
    // layouts' names.
    repo.set_consistent_snapshot(true);
    add(&mut repo, dir.path(), None, "x/y.txt", b"payload v2");
    repo.publish(&NoProgress).unwrap();
    verify(&repo).unwrap();
    repo.set_consistent_snapshot(false);
    add(&mut repo, dir.path(), None, "x/z.txt", b"more v2");
    repo.publish(&NoProgress).unwrap();
    verify(&repo).unwrap();
    let targets = root_dir(&repo).join("targets/x");
    assert_eq!(fs::read(targets.join("y.txt")).unwrap(), b"payload v2");
    assert_eq!(fs::read(targets.join("z.txt")).unwrap(), b"more v2");
}

#[test]
fn delegated_roles_have_no_unversioned_copy_with_consistent_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    repo.delegate("targets", "docs", &delegation(globs(&["docs/*"]), 1))
        .unwrap();
    add(&mut repo, dir.path(), Some("docs"), "docs/a.txt", b"a");
    repo.publish(&NoProgress).unwrap();
    add(&mut repo, dir.path(), Some("docs"), "docs/b.txt", b"b");
    repo.publish(&NoProgress).unwrap();
    let files = metadata_files(&repo);
    assert!(files.contains_key("1.docs.json") && files.contains_key("2.docs.json"));
    assert!(!files.contains_key("docs.json"), "{:?}", files.keys());
    // The top-level roles keep theirs.
    assert_eq!(files["2.targets.json"], files["targets.json"]);

    // Another process reads the version snapshot lists.
    let mut repo = reopen(&repo);
    assert_eq!(repo.published_version("docs"), Some(2));
    assert!(
        repo.targets("docs")
            .unwrap()
            .targets
            .contains_key("docs/b.txt")
    );
    assert!(status_of(&repo, "docs").verified);
    verify(&repo).unwrap();
    // And signs and publishes from it.
    let pem = fs::read_to_string(&key_files(&repo, "docs")[0]).unwrap();
    let key = repo.key_for_role("docs", &pem, "docs.pem").unwrap();
    repo.sign("docs", &key).unwrap();
    add(&mut repo, dir.path(), Some("docs"), "docs/c.txt", b"c");
    repo.publish(&NoProgress).unwrap();
    let repo = reopen(&repo);
    assert_eq!(repo.published_version("docs"), Some(3));
    assert_eq!(repo.targets("docs").unwrap().targets.len(), 3);
    assert!(!metadata_files(&repo).contains_key("docs.json"));
    verify(&repo).unwrap();
}

#[test]
fn unversioned_copies_of_an_earlier_layout_are_removed_by_the_next_publish() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    for role in ["docs", "pics"] {
        let paths = globs(&[&format!("{role}/*")]);
        repo.delegate("targets", role, &delegation(paths, 1))
            .unwrap();
    }
    add(&mut repo, dir.path(), Some("docs"), "docs/a.txt", b"a");
    add(&mut repo, dir.path(), Some("pics"), "pics/a.png", b"png");
    repo.publish(&NoProgress).unwrap();
    // The layout tuf-repo wrote before: an unversioned copy of every delegated role.
    let metadata = root_dir(&repo).join("metadata");
    for role in ["docs", "pics"] {
        let copy = metadata.join(format!("{role}.json"));
        fs::hard_link(metadata.join(format!("1.{role}.json")), &copy).unwrap();
    }
    let mut repo = reopen(&repo);
    verify(&repo).unwrap();
    // A role staged but never published, named first: it has no copy to find.
    repo.delegate("targets", "aaa", &delegation(globs(&["aaa/*"]), 1))
        .unwrap();
    repo.save().unwrap();
    let root = root_dir(&repo);
    drop(repo);

    // A publish that changes only docs removes both copies (pics' too: it would go stale at
    // the next change of pics, and the next open looks at one role's copy only), last role
    // first, once everything else is durable.
    let mut repo = Repository::open(Recording::new(root.clone())).unwrap();
    repo.set_key_options(TEST_KEYS);
    add(&mut repo, dir.path(), Some("docs"), "docs/b.txt", b"b");
    repo.storage().take();
    repo.publish(&NoProgress).unwrap();
    let log = repo.storage().take();
    let removed: Vec<&str> = log
        .iter()
        .filter(|(op, _)| *op == "remove")
        .map(|(_, p)| p.as_str())
        .filter(|p| p.starts_with("metadata/"))
        .collect();
    assert_eq!(
        removed,
        ["metadata/pics.json", "metadata/docs.json"],
        "{log:?}"
    );
    let last_current = log.iter().rposition(|(op, _)| *op == "current").unwrap();
    let first_remove = log
        .iter()
        .position(|(op, p)| *op == "remove" && p.starts_with("metadata/"))
        .unwrap();
    assert!(
        log[last_current..first_remove]
            .iter()
            .any(|(op, _)| *op == "sync"),
        "{log:?}"
    );
    drop(repo);
    let repo = open_at(&root);
    let files = metadata_files(&repo);
    assert!(!files.contains_key("docs.json") && !files.contains_key("pics.json"));
    assert!(files.contains_key("2.docs.json") && files.contains_key("1.aaa.json"));
    let mut repo = reopen(&repo);
    assert_eq!(repo.published_version("docs"), Some(2));
    assert_eq!(repo.published_version("pics"), Some(1));
    verify(&repo).unwrap();
    add(&mut repo, dir.path(), Some("pics"), "pics/b.png", b"png 2");
    repo.publish(&NoProgress).unwrap();
    assert!(!metadata_files(&repo).contains_key("pics.json"));
    verify(&reopen(&repo)).unwrap();
}

#[test]
fn switching_consistent_snapshots_with_delegated_roles() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, false);
    repo.delegate("targets", "docs", &delegation(globs(&["docs/*"]), 1))
        .unwrap();
    add(&mut repo, dir.path(), Some("docs"), "docs/a.txt", b"a");
    repo.publish(&NoProgress).unwrap();
    assert!(metadata_files(&repo).contains_key("docs.json"));

    // On: the new version is versioned only, and the old copy goes.
    repo.set_consistent_snapshot(true);
    repo.publish(&NoProgress).unwrap();
    let files = metadata_files(&repo);
    assert!(files.contains_key("2.docs.json"));
    assert!(!files.contains_key("docs.json"), "{:?}", files.keys());
    verify(&repo).unwrap();
    let mut repo = reopen(&repo);
    assert_eq!(repo.published_version("docs"), Some(2));

    // Off: the unversioned copy is the only one again.
    repo.set_consistent_snapshot(false);
    add(&mut repo, dir.path(), Some("docs"), "docs/b.txt", b"b");
    repo.publish(&NoProgress).unwrap();
    let repo = reopen(&repo);
    assert_eq!(repo.published_version("docs"), Some(3));
    assert_eq!(repo.targets("docs").unwrap().targets.len(), 2);
    assert!(!verify(&repo).unwrap().consistent_snapshot);
}

#[test]
fn a_switch_of_consistent_snapshots_stopped_after_the_root_is_repaired_by_the_next_publish() {
    // Each step after the new root is made current, in publish order.
    let cases = [
        (true, "metadata/targets.json"),
        (true, "metadata/snapshot.json"),
        (true, "metadata/timestamp.json"),
        (false, "metadata/docs.json"),
        (false, "metadata/targets.json"),
        (false, "metadata/snapshot.json"),
        (false, "metadata/timestamp.json"),
    ];
    for (on, fail) in cases {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        let mut repo = init(dir.path(), Scheme::Ed25519, !on);
        repo.delegate("targets", "docs", &delegation(globs(&["docs/*"]), 1))
            .unwrap();
        add(&mut repo, dir.path(), Some("docs"), "docs/a.txt", b"a");
        repo.publish(&NoProgress).unwrap();
        drop(repo);

        // The switch stops there: the new root is current, and the published snapshot (or
        // timestamp) lists files that clients of the new root's layout cannot fetch.
        let mut storage = Recording::new(root.clone());
        storage.fail_current = Some(fail.to_owned());
        let mut repo = Repository::open(storage).unwrap();
        repo.set_key_options(TEST_KEYS);
        repo.set_consistent_snapshot(on);
        let stopped = repo.publish(&NoProgress);
        assert!(
            matches!(stopped, Err(Error::Io { .. })),
            "{on} {fail}: {stopped:?}"
        );
        drop(repo);
        assert!(metadata_files(&open_at(&root)).contains_key("2.root.json"));

        // The next open reads what is there, and the next publish makes every file the
        // clients of the new root fetch exist.
        let mut repo = open_at(&root);
        assert!(repo.consistent_snapshot() == on, "{on} {fail}");
        let docs = repo.targets("docs").unwrap();
        assert!(docs.targets.contains_key("docs/a.txt"), "{on} {fail}");
        repo.publish(&NoProgress).unwrap();
        let report = verify(&repo).unwrap_or_else(|e| panic!("{on} {fail}: {e}"));
        assert_eq!(report.consistent_snapshot, on);
        assert_eq!(
            metadata_files(&repo).contains_key("docs.json"),
            !on,
            "{on} {fail}"
        );
        verify(&open_at(&root)).unwrap();
    }
}

/// Opens the repository at `root` with the test key options.
fn open_at(root: &Path) -> Repository {
    let mut repo = Repository::open(FsStorage::new(root)).unwrap();
    repo.set_key_options(TEST_KEYS);
    repo
}

#[test]
fn unchanged_roles_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    repo.delegate("targets", "docs", &delegation(globs(&["docs/*"]), 1))
        .unwrap();
    add(&mut repo, dir.path(), Some("docs"), "docs/a.txt", b"a");
    add(&mut repo, dir.path(), None, "top.txt", b"top");
    repo.publish(&NoProgress).unwrap();
    let before = metadata_files(&repo);

    // Nothing changed: nothing is written.
    let report = repo.publish(&NoProgress).unwrap();
    assert!(report.is_empty());
    assert_eq!(metadata_files(&repo), before);

    // Only `docs` changed: targets and root are untouched, docs/snapshot/timestamp move on.
    let mut repo = reopen(&repo);
    add(&mut repo, dir.path(), Some("docs"), "docs/b.txt", b"b");
    let report = repo.publish(&NoProgress).unwrap();
    let written: Vec<(&str, u64)> = report
        .roles
        .iter()
        .map(|r| (r.role.as_str(), r.version))
        .collect();
    assert_eq!(written, [("docs", 2), ("snapshot", 3), ("timestamp", 3)]);
    let after = metadata_files(&repo);
    for (name, bytes) in &before {
        if name == "docs.json" || name == "snapshot.json" || name == "timestamp.json" {
            assert_ne!(&after[name], bytes, "{name}");
        } else {
            assert_eq!(&after[name], bytes, "{name} was rewritten");
        }
    }
    verify(&repo).unwrap();
}

#[test]
fn staged_changes_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    add(&mut repo, dir.path(), None, "a.txt", b"a");
    repo.delegate("targets", "team", &delegation(globs(&["team/*"]), 1))
        .unwrap();
    repo.set_expires("team", "2040-01-01T00:00:00Z".parse().unwrap())
        .unwrap();
    repo.save().unwrap();

    let mut repo = reopen(&repo);
    assert_eq!(repo.changed_roles(), ["targets", "team"]);
    assert_eq!(repo.published_version("team"), None);
    let team = status_of(&repo, "team");
    assert_eq!(team.version, None);
    assert!(team.pending && !team.verified);
    add(&mut repo, dir.path(), Some("team"), "team/b.txt", b"b");
    repo.save().unwrap();
    let mut repo = reopen(&repo);
    repo.publish(&NoProgress).unwrap();
    assert!(repo.changed_roles().is_empty());
    assert!(
        fs::read_dir(root_dir(&repo).join("staged"))
            .unwrap()
            .all(|e| e.unwrap().file_type().unwrap().is_dir())
    );
    let team = Metadata::<Targets>::from_bytes(
        &fs::read(root_dir(&repo).join("metadata/1.team.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(team.signed().expires.to_string(), "2040-01-01T00:00:00Z");
    assert!(team.signed().targets.contains_key("team/b.txt"));
    assert_eq!(verify(&repo).unwrap().target_files, 2);
}

#[test]
fn delegation_with_paths() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    let keys = repo
        .delegate(
            "targets",
            "images",
            &delegation(globs(&["images/*.png"]), 1),
        )
        .unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(key_files(&repo, "images").len(), 1);
    add(
        &mut repo,
        dir.path(),
        Some("images"),
        "images/a.png",
        b"png",
    );
    // Not delegated to `images`: refused (clients would never find it there).
    let err = repo
        .add_target(
            Some("images"),
            "images/sub/b.png",
            tuf_metadata::TargetFile::from_data(b"x", &["sha256"]).unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::NotDelegated { .. }), "{err}");
    // A nested delegation.
    repo.delegate("images", "icons", &delegation(globs(&["images/icon-*"]), 1))
        .unwrap();
    add(
        &mut repo,
        dir.path(),
        Some("icons"),
        "images/icon-1.png",
        b"icon",
    );
    assert!(matches!(
        repo.delegate("targets", "images", &delegation(globs(&["x"]), 1)),
        Err(Error::RoleExists { .. })
    ));
    assert!(matches!(
        repo.delegate("targets", "snapshot", &delegation(globs(&["x"]), 1)),
        Err(Error::RoleName { .. })
    ));
    repo.publish(&NoProgress).unwrap();
    let report = verify(&repo).unwrap();
    assert_eq!(report.targets_roles, 3);
    assert_eq!(report.target_files, 2);
    let targets = repo.targets("targets").unwrap();
    let role = &targets
        .delegations
        .as_ref()
        .unwrap()
        .roles
        .as_ref()
        .unwrap()[0];
    assert_eq!(
        role.paths.as_deref(),
        Some(&["images/*.png".to_owned()][..])
    );
    assert!(role.terminating);
}

#[test]
fn delegation_with_hash_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    let prefixes: Vec<String> = "01234567".chars().map(String::from).collect();
    repo.delegate(
        "targets",
        "low",
        &delegation(DelegatedPaths::HashPrefixes(prefixes), 1),
    )
    .unwrap();
    let low = (0..100)
        .map(|i| format!("f{i}"))
        .find(|p| {
            tuf_metadata::hashes::digest_hex("sha256", p.as_bytes())
                .unwrap()
                .as_str()
                < "8"
        })
        .unwrap();
    let high = (0..100)
        .map(|i| format!("f{i}"))
        .find(|p| {
            tuf_metadata::hashes::digest_hex("sha256", p.as_bytes())
                .unwrap()
                .as_str()
                >= "8"
        })
        .unwrap();
    add(&mut repo, dir.path(), Some("low"), &low, b"low");
    let info = tuf_metadata::TargetFile::from_data(b"high", &["sha256"]).unwrap();
    assert!(matches!(
        repo.add_target(Some("low"), &high, info),
        Err(Error::NotDelegated { .. })
    ));
    assert!(matches!(
        repo.delegate(
            "targets",
            "bad",
            &delegation(DelegatedPaths::HashPrefixes(vec!["XY".into()]), 1)
        ),
        Err(Error::Delegation { .. })
    ));
    repo.publish(&NoProgress).unwrap();
    assert_eq!(verify(&repo).unwrap().target_files, 1);
}

#[test]
fn bins_place_targets_in_their_bin() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    assert!(matches!(
        repo.add_bins("targets", 3, "bin", Scheme::Ed25519),
        Err(Error::BinCount { count: 3 })
    ));
    assert!(matches!(
        repo.add_bins("targets", 32768, "bin", Scheme::Ed25519),
        Err(Error::BinCount { .. })
    ));
    repo.add_bins("targets", 16, "bin", Scheme::Ed25519)
        .unwrap();
    assert_eq!(key_files(&repo, "bin-bins").len(), 1);
    assert_eq!(repo.targets_roles().count(), 17);
    let bins = SuccinctRoles::new(vec![], 1, 4, "bin").unwrap();
    let paths = ["a.txt", "b/c.txt", "d.bin", "e/f/g", "h"];
    for (i, path) in paths.iter().enumerate() {
        add(&mut repo, dir.path(), None, path, format!("{i}").as_bytes());
    }
    repo.publish(&NoProgress).unwrap();
    for path in paths {
        let bin = bins.role_for_target(path);
        assert!(
            repo.targets(&bin).unwrap().targets.contains_key(path),
            "{path} not in {bin}"
        );
        assert!(!repo.targets("targets").unwrap().targets.contains_key(path));
    }
    // Explicitly naming a bin that is not the path's is refused.
    let wrong = bins
        .role_names()
        .find(|b| *b != bins.role_for_target("a.txt"))
        .unwrap();
    let info = tuf_metadata::TargetFile::from_data(b"x", &["sha256"]).unwrap();
    assert!(matches!(
        repo.add_target(Some(&wrong), "a.txt", info),
        Err(Error::NotDelegated { .. })
    ));
    let report = verify(&repo).unwrap();
    assert_eq!(report.targets_roles, 17);
    assert_eq!(report.target_files, paths.len());
    // All 16 bins are listed in snapshot, each published once.
    let snapshot = Metadata::<tuf_metadata::Snapshot>::from_bytes(
        &fs::read(root_dir(&repo).join("metadata/snapshot.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(snapshot.signed().meta.len(), 17);
    assert_eq!(snapshot.signed().meta["bin-0.json"].version, 1);
    assert!(matches!(
        repo.delegate("targets", "other", &delegation(globs(&["*"]), 1)),
        Err(Error::Delegation { .. })
    ));
    // Rotating a bin's key re-signs every bin (they share it).
    repo.rotate_keys("bin-3", Scheme::Ed25519, false).unwrap();
    let report = repo.publish(&NoProgress).unwrap();
    assert_eq!(report.roles.len(), 1 + 16 + 2);
    verify(&repo).unwrap();
}

#[test]
fn threshold_two_with_an_offline_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    let keys = repo
        .delegate("targets", "release", &delegation(globs(&["release/*"]), 2))
        .unwrap();
    assert_eq!(keys.len(), 2);
    repo.save().unwrap();
    // One holder takes their key offline.
    let files = key_files(&repo, "release");
    assert_eq!(files.len(), 2);
    let offline = dir.path().join("offline.pem");
    fs::rename(&files[1], &offline).unwrap();
    let offline_id = KeyId::new(files[1].file_stem().unwrap().to_str().unwrap());

    let mut repo = reopen(&repo);
    add(
        &mut repo,
        dir.path(),
        Some("release"),
        "release/app",
        b"app v1",
    );
    let report = repo.publish(&NoProgress).unwrap();
    let release = report.roles.iter().find(|r| r.role == "release").unwrap();
    assert_eq!((release.signatures, release.threshold), (1, 2));
    let status = status_of(&repo, "release");
    assert!(!status.verified);
    assert_eq!(status.threshold, 2);
    assert_eq!(status.signed.len(), 1);
    assert_eq!(status.missing, std::slice::from_ref(&offline_id));
    let err = verify(&repo).unwrap_err();
    assert!(
        matches!(&err, Error::Untrusted { role, .. } if role == "release"),
        "{err}"
    );

    // A key the role does not trust is refused.
    let stranger = tuf_crypto::PrivateKey::generate(Scheme::Ed25519).unwrap();
    assert!(matches!(
        repo.sign("release", &stranger),
        Err(Error::UntrustedKey { .. })
    ));
    let pem = stranger.to_pkcs8_pem().unwrap();
    assert!(matches!(
        repo.key_for_role("release", &pem, "stranger.pem"),
        Err(Error::UntrustedKey { .. })
    ));

    // The offline holder signs: same version, now verified.
    let pem = fs::read_to_string(&offline).unwrap();
    let key = repo.key_for_role("release", &pem, "offline.pem").unwrap();
    assert_eq!(key.key_id(), offline_id);
    let before = metadata_files(&repo);
    let snapshot_version = repo.published_version("snapshot").unwrap();
    let signed = repo.sign("release", &key).unwrap();
    assert_eq!(signed.version, 1);
    assert!(signed.verified);
    // Snapshot lists the length of the rewritten file: snapshot and timestamp are re-issued.
    let reissued: Vec<_> = signed.reissued.iter().map(|r| r.role.as_str()).collect();
    assert_eq!(reissued, ["snapshot", "timestamp"]);
    assert_eq!(signed.reissued[0].version, snapshot_version + 1);
    let after = metadata_files(&repo);
    assert_ne!(before["1.release.json"], after["1.release.json"]);
    // With consistent snapshots a delegated role has no unversioned copy.
    assert!(!after.contains_key("release.json"), "{:?}", after.keys());
    assert_ne!(before["timestamp.json"], after["timestamp.json"]);
    let snapshot: Metadata<tuf_metadata::Snapshot> =
        Metadata::from_bytes(&after[&format!("{}.snapshot.json", snapshot_version + 1)]).unwrap();
    assert_eq!(
        snapshot.signed().meta["release.json"].length,
        Some(after["1.release.json"].len() as u64)
    );
    let status = status_of(&repo, "release");
    assert!(status.verified && status.missing.is_empty());
    verify(&repo).unwrap();
}

#[test]
fn signing_snapshot_reissues_the_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    let key = repo.root().roles["snapshot"].keyids[0].clone();
    let pem =
        fs::read_to_string(root_dir(&repo).join(format!("keys/snapshot/{}.pem", key.as_str())))
            .unwrap();
    // A second snapshot key, offline: threshold 2.
    let second = tuf_crypto::PrivateKey::generate(Scheme::Ed25519).unwrap();
    repo.add_key("snapshot", second.public_key().clone())
        .unwrap();
    repo.set_threshold("snapshot", 2).unwrap();
    assert!(matches!(
        repo.set_threshold("snapshot", 3),
        Err(Error::Threshold { .. })
    ));
    repo.publish(&NoProgress).unwrap();
    assert!(!status_of(&repo, "snapshot").verified);
    assert!(verify(&repo).is_err());
    let report = repo.sign("snapshot", &second).unwrap();
    assert!(report.verified);
    assert_eq!(report.reissued.len(), 1);
    assert_eq!(report.reissued[0].role, "timestamp");
    verify(&repo).unwrap();
    // Signing again with a key that already signed changes nothing but the timestamp.
    let first = repo.key_for_role("snapshot", &pem, "snapshot.pem").unwrap();
    repo.sign("snapshot", &first).unwrap();
    verify(&repo).unwrap();
}

#[test]
fn root_rotation_is_signed_by_old_and_new_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    let old = repo.root().roles["root"].keyids.clone();
    let new = repo
        .rotate_keys("root", Scheme::EcdsaSha2Nistp256, false)
        .unwrap();
    let report = repo.publish(&NoProgress).unwrap();
    assert_eq!(report.roles[0].role, "root");
    assert_eq!(report.roles[0].version, 2);
    assert_eq!(report.roles[0].signatures, 2);
    let files = metadata_files(&repo);
    let v1 = Metadata::<Root>::from_bytes(&files["1.root.json"]).unwrap();
    let v2 = Metadata::<Root>::from_bytes(&files["2.root.json"]).unwrap();
    assert_eq!(files["2.root.json"], files["root.json"]);
    assert_eq!(v2.signed().roles["root"].keyids, new);
    let signers: Vec<&KeyId> = v2.signatures().iter().map(|s| &s.keyid).collect();
    assert!(signers.contains(&&old[0]) && signers.contains(&&new[0]));
    v1.verify_delegate("root", &v2).unwrap();
    v2.verify_delegate("root", &v2).unwrap();
    assert!(!v2.signed().keys.contains_key(&old[0]));
    assert!(status_of(&repo, "root").verified);
    assert_eq!(verify(&repo).unwrap().root_version, 2);

    // Rotating timestamp: root v3 (signed by the root keys), a timestamp by the new key.
    let mut repo = reopen(&repo);
    let ts = repo
        .rotate_keys("timestamp", Scheme::Ed25519, false)
        .unwrap();
    let report = repo.publish(&NoProgress).unwrap();
    let written: Vec<&str> = report.roles.iter().map(|r| r.role.as_str()).collect();
    assert_eq!(written, ["root", "timestamp"]);
    let timestamp = Metadata::<tuf_metadata::Timestamp>::from_bytes(
        &fs::read(root_dir(&repo).join("metadata/timestamp.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(timestamp.signatures()[0].keyid, ts[0]);
    let checked = verify(&repo).unwrap();
    assert_eq!(checked.root_version, 3);

    // With --keep-old: both keys trusted; threshold unchanged.
    let added = repo.rotate_keys("targets", Scheme::Ed25519, true).unwrap();
    repo.publish(&NoProgress).unwrap();
    assert_eq!(repo.root().roles["targets"].keyids.len(), 2);
    assert!(repo.root().roles["targets"].keyids.contains(&added[0]));
    let targets = status_of(&repo, "targets");
    assert_eq!(targets.signed.len(), 2);
    assert_eq!(verify(&repo).unwrap().root_version, 4);
}

#[test]
fn delegated_key_rotation_updates_the_delegator() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    let old = repo
        .delegate("targets", "team", &delegation(globs(&["team/*"]), 1))
        .unwrap();
    add(&mut repo, dir.path(), Some("team"), "team/a", b"a");
    repo.publish(&NoProgress).unwrap();
    let new = repo
        .rotate_keys("team", Scheme::EcdsaSha2Nistp384, false)
        .unwrap();
    let report = repo.publish(&NoProgress).unwrap();
    let written: Vec<(&str, u64)> = report
        .roles
        .iter()
        .map(|r| (r.role.as_str(), r.version))
        .collect();
    assert_eq!(
        written,
        [
            ("targets", 3),
            ("team", 2),
            ("snapshot", 3),
            ("timestamp", 3)
        ]
    );
    let delegations = repo
        .targets("targets")
        .unwrap()
        .delegations
        .clone()
        .unwrap();
    assert!(!delegations.keys.contains_key(&old[0]));
    assert_eq!(delegations.roles.unwrap()[0].keyids, new);
    verify(&repo).unwrap();
    // Revoking the only key is refused.
    assert!(matches!(
        repo.revoke_key("team", &new[0]),
        Err(Error::Threshold { .. })
    ));
}

#[test]
fn remove_target_and_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    add(&mut repo, dir.path(), None, "a.txt", b"a");
    add(&mut repo, dir.path(), None, "b.txt", b"b");
    repo.publish(&NoProgress).unwrap();
    assert_eq!(repo.remove_target("a.txt").unwrap(), ["targets"]);
    assert!(matches!(
        repo.remove_target("a.txt"),
        Err(Error::TargetNotFound { .. })
    ));
    repo.save().unwrap();

    // Refresh re-signs snapshot and timestamp only; the removal stays staged.
    let mut repo = reopen(&repo);
    let before = metadata_files(&repo);
    let report = repo.refresh(2, 10).unwrap();
    let written: Vec<(&str, u64)> = report
        .roles
        .iter()
        .map(|r| (r.role.as_str(), r.version))
        .collect();
    assert_eq!(written, [("snapshot", 3), ("timestamp", 3)]);
    let after = metadata_files(&repo);
    assert_eq!(before["targets.json"], after["targets.json"]);
    // Snapshot: 10 days, timestamp: 2 days.
    assert_eq!(
        report.roles[0].expires.unix_seconds() - report.roles[1].expires.unix_seconds(),
        8 * 86_400
    );
    assert_eq!(verify(&repo).unwrap().target_files, 2);
    assert_eq!(repo.changed_roles(), ["targets"]);

    let mut repo = reopen(&repo);
    repo.publish(&NoProgress).unwrap();
    assert_eq!(verify(&repo).unwrap().target_files, 1);
    // The file stays for clients in the middle of an update.
    let sha256 = tuf_metadata::hashes::digest_hex("sha256", b"a").unwrap();
    assert!(
        root_dir(&repo)
            .join(format!("targets/{sha256}.a.txt"))
            .exists()
    );
}

#[test]
fn verify_catches_a_tampered_target_file() {
    let dir = tempfile::tempdir().unwrap();
    for consistent in [true, false] {
        let mut repo = init(
            &dir.path().join(consistent.to_string()),
            Scheme::Ed25519,
            consistent,
        );
        fs::create_dir_all(dir.path().join("src")).unwrap();
        add(&mut repo, dir.path(), None, "t/file.txt", b"original");
        repo.publish(&NoProgress).unwrap();
        verify(&repo).unwrap();
        let info = repo.targets("targets").unwrap().targets["t/file.txt"].clone();
        let path =
            tuf_repo::layout::target_files("t/file.txt", &info.hashes, consistent).swap_remove(0);
        let path = root_dir(&repo).join(path);
        fs::write(&path, b"Original").unwrap();
        let err = verify(&repo).unwrap_err();
        assert!(
            matches!(&err, Error::TargetMismatch { target, .. } if target == "t/file.txt"),
            "{err}"
        );
        fs::remove_file(&path).unwrap();
        assert!(matches!(verify(&repo), Err(Error::Missing { .. })));
    }
}

#[test]
fn verify_catches_tampered_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    add(&mut repo, dir.path(), None, "a.txt", b"a");
    repo.publish(&NoProgress).unwrap();
    let metadata = root_dir(&repo).join("metadata");
    let original = fs::read(metadata.join("2.targets.json")).unwrap();

    // A changed length in the signed part: the signature no longer verifies.
    let tampered = String::from_utf8(original.clone())
        .unwrap()
        .replace("\"length\": 1", "\"length\": 2");
    assert_ne!(tampered.as_bytes(), original);
    fs::write(metadata.join("2.targets.json"), &tampered).unwrap();
    fs::write(metadata.join("targets.json"), &tampered).unwrap();
    let err = verify(&repo).unwrap_err();
    assert!(
        matches!(&err, Error::Untrusted { role, .. } if role == "targets"),
        "{err}"
    );

    // The unversioned copy alone differs (it is a hard link of the versioned file: replace
    // it rather than write through it).
    fs::write(metadata.join("2.targets.json"), &original).unwrap();
    fs::remove_file(metadata.join("targets.json")).unwrap();
    fs::write(metadata.join("targets.json"), &tampered).unwrap();
    let err = verify(&repo).unwrap_err();
    assert!(matches!(err, Error::StaleCopy { .. }), "{err}");
    fs::remove_file(metadata.join("targets.json")).unwrap();
    fs::write(metadata.join("targets.json"), &original).unwrap();
    verify(&repo).unwrap();

    // A snapshot that no longer matches the timestamp's hash.
    let snapshot = fs::read(metadata.join("2.snapshot.json")).unwrap();
    let mut edited = snapshot.clone();
    edited.push(b'\n');
    fs::remove_file(metadata.join("2.snapshot.json")).unwrap();
    fs::write(metadata.join("2.snapshot.json"), &edited).unwrap();
    let err = verify(&repo).unwrap_err();
    assert!(
        matches!(&err, Error::Untrusted { role, .. } if role == "snapshot"),
        "{err}"
    );
    fs::write(metadata.join("2.snapshot.json"), &snapshot).unwrap();

    // A root 2 signed by a stranger breaks the chain.
    let mut root =
        Metadata::<Root>::from_bytes(&fs::read(metadata.join("1.root.json")).unwrap()).unwrap();
    root.signed_mut().version = 2;
    root.clear_signatures();
    root.sign(&tuf_crypto::PrivateKey::generate(Scheme::Ed25519).unwrap())
        .unwrap();
    fs::write(metadata.join("2.root.json"), root.to_bytes()).unwrap();
    let err = verify(&repo).unwrap_err();
    assert!(
        matches!(&err, Error::Untrusted { role, path, .. } if role == "root" && path == "metadata/2.root.json"),
        "{err}"
    );
}

#[test]
fn init_refuses_a_non_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("something"), b"x").unwrap();
    let err =
        Repository::init(FsStorage::new(dir.path()), &options(Scheme::Ed25519, true)).unwrap_err();
    assert!(matches!(err, Error::NotEmpty { .. }), "{err}");
    let err = Repository::open(FsStorage::new(dir.path())).unwrap_err();
    assert!(matches!(err, Error::NotARepository { .. }), "{err}");
    assert!(matches!(
        TargetSource::for_file("/tmp/x", Some("../up")),
        Err(Error::TargetPath { .. })
    ));
}

#[test]
fn expires_days_applies_to_every_first_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(Scheme::Ed25519, true);
    options.expires_days = Some(30);
    let repo = Repository::init(FsStorage::new(dir.path().join("repo")), &options).unwrap();
    let statuses = repo.status().unwrap();
    let expiries: Vec<i64> = statuses
        .iter()
        .map(|s| s.expires.unwrap().unix_seconds())
        .collect();
    assert!(expiries.windows(2).all(|w| w[0] == w[1]), "{expiries:?}");
    // Expired at creation: verify refuses it.
    let mut options = options.clone();
    options.expires_days = Some(0);
    let repo = Repository::init(FsStorage::new(dir.path().join("expired")), &options).unwrap();
    assert!(status_of(&repo, "timestamp").expired);
    let err = verify(&repo).unwrap_err();
    assert!(matches!(err, Error::Untrusted { .. }), "{err}");
}

#[test]
fn refresh_signs_with_the_published_root_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    // A staged (unpublished) rotation of the snapshot and timestamp keys.
    repo.rotate_keys("snapshot", Scheme::Ed25519, false)
        .unwrap();
    repo.rotate_keys("timestamp", Scheme::Ed25519, false)
        .unwrap();
    repo.save().unwrap();
    let mut repo = reopen(&repo);
    let report = repo.refresh(1, 7).unwrap();
    assert_eq!(report.roles.len(), 2);
    assert!(report.roles.iter().all(|r| r.signatures == 1));
    verify(&repo).unwrap();
    assert_eq!(repo.changed_roles(), ["root", "timestamp", "snapshot"]);
    // Publishing the rotation afterwards: root v2, then snapshot and timestamp by new keys.
    let mut repo = reopen(&repo);
    let report = repo.publish(&NoProgress).unwrap();
    let written: Vec<(&str, u64)> = report
        .roles
        .iter()
        .map(|r| (r.role.as_str(), r.version))
        .collect();
    assert_eq!(written, [("root", 2), ("snapshot", 3), ("timestamp", 3)]);
    verify(&repo).unwrap();
}

#[test]
fn offline_rsa_key_is_read_with_the_scheme_the_role_lists() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    let mut options = delegation(globs(&["rsa/*"]), 2);
    options.scheme = Scheme::RsaPkcs1v15Sha512;
    repo.delegate("targets", "rsa", &options).unwrap();
    repo.save().unwrap();
    let files = key_files(&repo, "rsa");
    let offline = dir.path().join("offline.pem");
    fs::rename(&files[0], &offline).unwrap();
    let mut repo = reopen(&repo);
    add(&mut repo, dir.path(), Some("rsa"), "rsa/blob", b"blob");
    repo.publish(&NoProgress).unwrap();
    assert!(!status_of(&repo, "rsa").verified);
    let pem = fs::read_to_string(&offline).unwrap();
    let key = repo.key_for_role("rsa", &pem, "offline.pem").unwrap();
    assert_eq!(key.scheme(), Scheme::RsaPkcs1v15Sha512);
    assert!(repo.sign("rsa", &key).unwrap().verified);
    verify(&repo).unwrap();
}

/// A storage that records the order of writes, links, renames, removals and syncs, and
/// fails to make `fail_current` current (a crash at that point).
struct Recording {
    inner: FsStorage,
    log: std::sync::Mutex<Vec<(&'static str, String)>>,
    fail_current: Option<String>,
}

impl Recording {
    fn new(root: PathBuf) -> Self {
        Recording {
            inner: FsStorage::new(root),
            log: std::sync::Mutex::new(Vec::new()),
            fail_current: None,
        }
    }

    fn current(&self, path: &str) -> std::io::Result<()> {
        self.record("current", path);
        if self.fail_current.as_deref() == Some(path) {
            return Err(std::io::Error::other(format!("injected failure at {path}")));
        }
        Ok(())
    }

    fn record(&self, op: &'static str, path: &str) {
        self.log.lock().unwrap().push((op, path.to_owned()));
    }

    fn take(&self) -> Vec<(&'static str, String)> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

impl tuf_repo::Storage for Recording {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.inner.read(path)
    }
    fn open(&self, path: &str) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        self.inner.open(path)
    }
    fn size(&self, path: &str) -> std::io::Result<u64> {
        self.inner.size(path)
    }
    fn exists(&self, path: &str) -> std::io::Result<bool> {
        self.inner.exists(path)
    }
    fn list(&self, dir: &str) -> std::io::Result<Vec<String>> {
        self.inner.list(dir)
    }
    fn write(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.record("write", path);
        self.inner.write(path, bytes)
    }
    fn write_new(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.record("write", path);
        self.inner.write_new(path, bytes)
    }
    fn write_private(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.record("write", path);
        self.inner.write_private(path, bytes)
    }
    fn write_stream(&self, path: &str, reader: &mut dyn std::io::Read) -> std::io::Result<u64> {
        self.record("write", path);
        self.inner.write_stream(path, reader)
    }
    fn rename(&self, from: &str, to: &str) -> std::io::Result<()> {
        self.current(to)?;
        self.inner.rename(from, to)
    }
    fn link(&self, from: &str, to: &str) -> std::io::Result<()> {
        self.current(to)?;
        self.inner.link(from, to)
    }
    fn remove(&self, path: &str) -> std::io::Result<()> {
        self.record("remove", path);
        self.inner.remove(path)
    }
    fn create_dir(&self, dir: &str) -> std::io::Result<()> {
        self.inner.create_dir(dir)
    }
    fn sync(&self) -> std::io::Result<()> {
        self.record("sync", "");
        self.inner.sync()
    }
}

/// The durability order of one publish (or sign) in `log`: every metadata file is written
/// before a sync, every unversioned copy made current after it, the timestamp last, and a
/// sync at the end.
fn assert_durability_order(log: &[(&'static str, String)]) {
    let metadata = |p: &String| p.starts_with("metadata/") || p.starts_with("staged/pending/");
    let last_write = log
        .iter()
        .rposition(|(op, p)| *op == "write" && metadata(p))
        .expect("files written");
    let first_current = log
        .iter()
        .position(|(op, _)| *op == "current")
        .expect("files made current");
    assert!(
        log[last_write..first_current]
            .iter()
            .any(|(op, _)| *op == "sync"),
        "no sync between the writes and the first current copy: {log:?}"
    );
    let currents: Vec<&String> = log
        .iter()
        .filter(|(op, _)| *op == "current")
        .map(|(_, p)| p)
        .collect();
    assert_eq!(
        currents.last().map(|p| p.as_str()),
        Some("metadata/timestamp.json"),
        "{log:?}"
    );
    assert_eq!(log.last().map(|(op, _)| *op), Some("sync"), "{log:?}");
}

#[test]
fn publish_and_sign_make_files_durable_before_listing_them() {
    for consistent in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let storage = Recording::new(dir.path().join("repo"));
        let mut repo = Repository::init(storage, &options(Scheme::Ed25519, consistent)).unwrap();
        assert_durability_order(&repo.storage().take());
        repo.delegate("targets", "docs", &delegation(globs(&["docs/*"]), 2))
            .unwrap();
        let source = file(dir.path(), "manual.pdf", b"manual");
        let source = TargetSource::for_file(source, Some("docs")).unwrap();
        repo.add_files(Some("docs"), &[source], &NoProgress)
            .unwrap();
        repo.storage().take();
        repo.publish(&NoProgress).unwrap();
        let log = repo.storage().take();
        assert_durability_order(&log);
        // Snapshot is made current after the roles it lists.
        let current = |name: &str| {
            log.iter()
                .position(|(op, p)| *op == "current" && p == name)
                .unwrap()
        };
        if consistent {
            // Clients and `Repository::open` read `1.docs.json`: no unversioned copy.
            assert!(
                !log.iter().any(|(_, p)| p == "metadata/docs.json"),
                "{log:?}"
            );
        } else {
            assert!(current("metadata/docs.json") < current("metadata/snapshot.json"));
        }
        assert!(current("metadata/targets.json") < current("metadata/snapshot.json"));

        // Signing docs again: the role, snapshot and timestamp in one commit.
        let keys = key_files_in(&dir.path().join("repo"), "docs");
        let pem = fs::read_to_string(&keys[0]).unwrap();
        let key = repo.key_for_role("docs", &pem, "docs.pem").unwrap();
        let report = repo.sign("docs", &key).unwrap();
        assert_eq!(report.reissued.len(), 2);
        assert_durability_order(&repo.storage().take());
        tuf_repo::verify(repo.storage(), &NoProgress).unwrap();
    }
}

fn key_files_in(repo: &Path, role: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(repo.join("keys").join(role))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn add_targets_in_bulk_keeps_the_last_of_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    let info = |content: &str| {
        tuf_metadata::TargetFile::from_data(content.as_bytes(), &["sha256"]).unwrap()
    };
    // Into an empty role, then many more into a non-empty one, then a few.
    for round in 0..3 {
        let count = [3, 40, 2][round];
        let batch: Vec<_> = (0..count)
            .flat_map(|i| {
                [
                    (format!("p/{i}"), info(&format!("old {round} {i}"))),
                    (format!("p/{i}"), info(&format!("new {round} {i}"))),
                ]
            })
            .collect();
        let placed = repo.add_targets(None, batch).unwrap();
        assert_eq!(placed.len(), 2 * count);
        let targets = &repo.targets("targets").unwrap().targets;
        for i in 0..count {
            assert_eq!(
                targets[&format!("p/{i}")],
                info(&format!("new {round} {i}"))
            );
        }
    }
    assert_eq!(repo.targets("targets").unwrap().targets.len(), 40);
    // All or none: one bad path adds nothing.
    let bad = vec![
        ("q/ok".to_owned(), info("x")),
        ("q/../no".to_owned(), info("y")),
    ];
    assert!(repo.add_targets(None, bad).is_err());
    assert!(
        !repo
            .targets("targets")
            .unwrap()
            .targets
            .contains_key("q/ok")
    );
}

#[test]
fn add_targets_into_bins_keeps_the_last_of_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    repo.add_bins("targets", 16, "bin", Scheme::Ed25519)
        .unwrap();
    let bins = repo
        .targets("targets")
        .unwrap()
        .delegations
        .clone()
        .unwrap();
    let bins = bins.succinct_roles.unwrap();
    let info = |content: &str| {
        tuf_metadata::TargetFile::from_data(content.as_bytes(), &["sha256"]).unwrap()
    };
    for round in 0..3 {
        let count = [3, 400, 2][round];
        let batch: Vec<_> = (0..count)
            .flat_map(|i| {
                [
                    (format!("p/{i}"), info(&format!("old {round} {i}"))),
                    (
                        format!("p/{}", count - 1 - i),
                        info(&format!("mid {round} {i}")),
                    ),
                    (format!("p/{i}"), info(&format!("new {round} {i}"))),
                ]
            })
            .collect();
        let expected: Vec<String> = batch
            .iter()
            .map(|(path, _)| bins.role_for_target(path))
            .collect();
        // What inserting one by one leaves: the last entry given for each path.
        let last: BTreeMap<String, tuf_metadata::TargetFile> = batch.iter().cloned().collect();
        // The role of each target, in the order given.
        assert_eq!(repo.add_targets(None, batch).unwrap(), expected);
        for (path, file) in &last {
            let bin = repo.targets(&bins.role_for_target(path)).unwrap();
            assert_eq!(bin.targets.get(path), Some(file), "{path}");
        }
    }
    let total: usize = bins
        .role_names()
        .map(|name| repo.targets(&name).unwrap().targets.len())
        .sum();
    assert_eq!(total, 400);
    assert!(repo.targets("targets").unwrap().targets.is_empty());
    // All or none: one bad path adds nothing.
    let bad = vec![
        ("q/ok".to_owned(), info("x")),
        ("q/../no".to_owned(), info("y")),
    ];
    assert!(matches!(
        repo.add_targets(None, bad),
        Err(Error::TargetPath { .. })
    ));
    let ok_bin = bins.role_for_target("q/ok");
    assert!(!repo.targets(&ok_bin).unwrap().targets.contains_key("q/ok"));
}

#[test]
fn nested_bins_place_targets_through_both_levels() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = init(dir.path(), Scheme::Ed25519, true);
    repo.add_bins("targets", 2, "a", Scheme::Ed25519).unwrap();
    repo.add_bins("a-0", 4, "b", Scheme::Ed25519).unwrap();
    let outer = SuccinctRoles::new(vec![], 1, 1, "a").unwrap();
    let inner = SuccinctRoles::new(vec![], 1, 2, "b").unwrap();
    let info = tuf_metadata::TargetFile::from_data(b"x", &["sha256"]).unwrap();
    let paths: Vec<String> = (0..40).map(|i| format!("p/{i}")).collect();
    let placed = repo
        .add_targets(
            None,
            paths.iter().map(|p| (p.clone(), info.clone())).collect(),
        )
        .unwrap();
    let mut levels = BTreeMap::new();
    for (path, role) in paths.iter().zip(&placed) {
        let expected = match outer.role_for_target(path).as_str() {
            "a-0" => inner.role_for_target(path),
            other => other.to_owned(),
        };
        assert_eq!(*role, expected, "{path}");
        assert!(repo.targets(role).unwrap().targets.contains_key(path));
        *levels.entry(role.starts_with("b-")).or_insert(0) += 1;
    }
    // Both levels were used.
    assert_eq!(levels.len(), 2, "{levels:?}");
    // Adding under one bin directly also goes through its own bins.
    let role = repo.add_target(Some("a-0"), "q/x", info).unwrap();
    assert_eq!(role, inner.role_for_target("q/x"));
}
