//! Size and count limits, lengths and hashes listed in meta, and names that need encoding.
//!
//! The byte limits are python-tuf's `UpdaterConfig` defaults (root 512000, timestamp 16384,
//! snapshot 2000000 and targets 5000000 bytes when no length is listed, 256 root rotations, 32
//! delegations), which CLIENT-CLI.md leaves to the client; scenarios exceed them clearly, so
//! a client with somewhat larger bounds passes too. Spec 5.3.3, 5.4.1, 5.5.1 and 5.6.1 ask
//! for some bound.

use tuf_metadata::{DelegatedRole, MetaFile, hashes};

use super::{CONTENT, fresh_then, s, unchanged, with_role1};
use crate::Error;
use crate::scenario::{Req, Scenario, fresh_refresh, m, t};
use crate::simulator::{RepositorySimulator, TARGETS, Tamper};

/// The clean bytes `files()` serves for `role` (signed, untampered), by its served path.
fn served(sim: &mut RepositorySimulator, role: &str) -> Result<Vec<u8>, Error> {
    let files = sim.files()?;
    let path = sim.served_path(role).unwrap_or_default().to_owned();
    Ok(files.get(&path).cloned().unwrap_or_default())
}

/// A meta entry listing only `version` and `length`.
fn length_only(version: u64, length: u64) -> MetaFile {
    let mut meta = MetaFile::new(version);
    meta.length = Some(length);
    meta
}

/// `targets` → d1 → d2 → ... → d`depth` (each `*`), the last listing `file.txt`.
fn chain(sim: &mut RepositorySimulator, depth: usize) -> Result<(), Error> {
    let mut parent = TARGETS.to_owned();
    for i in 1..=depth {
        let name = format!("d{i}");
        sim.delegate(&parent, &name, &["*"], false)?;
        parent = name;
    }
    sim.add_target(&parent, "file.txt", CONTENT)
}

fn chain_requests(depth: usize) -> Vec<Req> {
    (1..=depth).map(|i| m(&format!("1.d{i}.json"))).collect()
}

pub(super) fn limits() -> Vec<Scenario> {
    let mut max_root = fresh_refresh();
    max_root.clear();
    for v in 2..=257 {
        max_root.push(m(&format!("{v}.root.json")));
    }
    max_root.extend([
        m("timestamp.json"),
        m("1.snapshot.json"),
        m("1.targets.json"),
    ]);
    let mut at_limit = chain_requests(32);
    at_limit.push(t("file.txt"));
    vec![
        s("limits/timestamp-over-max-length", "5.4.1 (timestamp fetched up to a client bound), python-tuf timestamp_max_length 16384",
          "timestamp.json is validly signed but padded with whitespace to over 20000 bytes: the client must stop reading at its bound (python-tuf: 16384) and fail; timestamp is not stored.")
            .publish(|sim| { sim.tamper("timestamp", Tamper::Pad(20_000)); Ok(()) })
            .init().refresh(false).requests(unchanged()).untrusted("timestamp"),
        s("limits/root-over-max-length", "5.3.3 (root fetched up to a client bound), python-tuf root_max_length 512000",
          "2.root.json is a correctly signed root 2 padded with whitespace to over 600000 bytes: refused; root 1 stays trusted.")
            .init()
            .publish(|sim| {
                sim.publish_root()?;
                let mut bytes = sim.published_root(2).map(<[u8]>::to_vec).unwrap_or_default();
                bytes.resize(bytes.len() + 600_000, b' ');
                sim.override_file("metadata/2.root.json", Some(bytes));
                Ok(())
            })
            .refresh(false).requests(vec![m("2.root.json")]).trusted("root", 1),
        s("limits/snapshot-over-max-length", "5.5.1 (no length listed: a client bound), python-tuf snapshot_max_length 2000000",
          "Timestamp lists no snapshot length; the served snapshot is validly signed but padded to over 2100000 bytes: refused, not stored.")
            .publish(|sim| { sim.tamper("snapshot", Tamper::Pad(2_100_000)); Ok(()) })
            .init().refresh(false)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("1.snapshot.json")])
            .trusted("timestamp", 1).untrusted("snapshot"),
        s("limits/targets-over-max-length", "5.6.1 (no length listed: a client bound), python-tuf targets_max_length 5000000",
          "Snapshot lists no targets length; the served targets is validly signed but padded to over 5100000 bytes: refused, not stored.")
            .publish(|sim| { sim.tamper(TARGETS, Tamper::Pad(5_100_000)); Ok(()) })
            .init().refresh(false).requests(fresh_refresh())
            .trusted("snapshot", 1).untrusted(TARGETS),
        s("limits/delegated-over-max-length", "5.6.1 (no length listed: a client bound), python-tuf targets_max_length 5000000",
          "A delegated role padded to over 5100000 bytes: refused, the download fails and nothing is stored.")
            .publish(|sim| { with_role1(sim, &["*"], "file.txt")?; sim.tamper("role1", Tamper::Pad(5_100_000)); Ok(()) })
            .init().download(&["file.txt"], false)
            .requests(fresh_then(vec![m("1.role1.json")])).untrusted("role1").target_dir(&[]),
        s("limits/snapshot-over-default-bound-with-listed-length", "5.5.1, 5.5.2",
          "Control: timestamp lists the length of a 2100000-byte (padded) snapshot: the listed length, not the default bound, caps the download, and the snapshot is accepted.")
            .publish(|sim| {
                let clean = served(sim, "snapshot")?;
                sim.tamper("snapshot", Tamper::Pad(2_100_000));
                sim.override_timestamp_meta(Some(length_only(1, clean.len() as u64 + 2_100_000)));
                Ok(())
            })
            .init().refresh(true).requests(fresh_refresh()).trusted_top(1, 1, 1, 1),
        s("limits/targets-over-default-bound-with-listed-length", "5.6.1, 5.6.2",
          "Control: snapshot lists the length of a 5100000-byte (padded) targets: accepted.")
            .publish(|sim| {
                let clean = served(sim, TARGETS)?;
                sim.tamper(TARGETS, Tamper::Pad(5_100_000));
                sim.override_snapshot_meta(TARGETS, Some(length_only(1, clean.len() as u64 + 5_100_000)));
                Ok(())
            })
            .init().refresh(true).requests(fresh_refresh()).trusted_top(1, 1, 1, 1),
        s("limits/max-root-rotations", "5.3.3 (bounded root chain), python-tuf max_root_rotations 256",
          "Roots 2 to 300 are published: the client fetches at most 256 new roots (2 to 257), trusts root 257, and goes on with timestamp, snapshot and targets.")
            .init()
            .publish(|sim| { for _ in 2..=300 { sim.publish_root()?; } Ok(()) })
            .refresh(true).requests(max_root).trusted_top(257, 1, 1, 1),
        s("limits/delegation-chain-at-max-delegations", "5.6.7 (bounded search), python-tuf max_delegations 32",
          "targets → d1 → ... → d32, the target listed by d32: 32 delegated roles may be visited, so it is found.")
            .publish(|sim| chain(sim, 32))
            .init().download(&["file.txt"], true)
            .requests(fresh_then(at_limit)).target_dir(&[CONTENT]),
        s("limits/delegation-chain-beyond-max-delegations", "5.6.7 (bounded search), python-tuf max_delegations 32",
          "targets → d1 → ... → d33, the target listed by d33 only: the search stops after 32 delegated roles (d33 is never fetched) and fails.")
            .publish(|sim| chain(sim, 33))
            .init().download(&["file.txt"], false)
            .requests(fresh_then(chain_requests(32))).untrusted("d33").target_dir(&[]),
        s("limits/sibling-delegations-beyond-max-delegations", "5.6.7 (bounded search), python-tuf max_delegations 32",
          "targets delegates `*` to d1 ... d40 in order; only d40 lists the target: the search gives up after d32 and fails.")
            .publish(|sim| {
                for i in 1..=40 { sim.delegate(TARGETS, &format!("d{i}"), &["*"], false)?; }
                sim.add_target("d40", "file.txt", CONTENT)
            })
            .init().download(&["file.txt"], false)
            .requests(fresh_then(chain_requests(32))).target_dir(&[]),
    ]
}

/// (label, target path) pairs that need care in URLs.
const PATHS: [(&str, &str); 8] = [
    ("space", "dir/file name.txt"),
    ("percent", "dir/100%.txt"),
    ("percent-escape-lookalike", "dir/a%20b.txt"),
    ("unicode", "dir/ünïcødé-文件.txt"),
    ("question-mark", "dir/what?.txt"),
    ("hash-sign", "dir/issue#1.txt"),
    ("plus-and-ampersand", "dir/a+b&c=d.txt"),
    ("semicolon-and-colon", "dir/v1;x:y.txt"),
];

/// Role names that must be quoted in requests and file names (tuf-conformance's unusual role
/// names and more).
const ROLE_NAMES: [(&str, &str); 8] = [
    ("question-mark", "?"),
    ("hash-sign", "#"),
    ("leading-slash", "/delegatedrole"),
    ("dot-dot-slash", "../delegatedrole"),
    ("dot-dot", ".."),
    ("percent", "%41"),
    ("unicode", "rôle-ü"),
    ("space-and-plus", "a b+c"),
];

pub(super) fn encoding() -> Vec<Scenario> {
    let mut out = Vec::new();
    for (label, path) in PATHS {
        out.push(
            s(&format!("encoding/target-path-{label}"), "4.5 (TARGETPATH), 5.7.3",
              &format!("A target path {path:?}: the client requests that file (with consistent snapshots as dir/<sha256>.name), percent-encoding whatever a URL path cannot carry as is (a raw `?` or `#` would name another resource), and stores it."))
                .publish(move |sim| sim.add_target(TARGETS, path, CONTENT))
                .init().download(&[path], true)
                .requests(fresh_then(vec![t(path)]))
                .target_dir(&[CONTENT]),
        );
    }
    for (label, role) in ROLE_NAMES {
        let quoted = crate::quote(role);
        out.push(
            s(&format!("encoding/role-name-{label}"), "5.6.1, CLIENT-CLI requests and metadata directory",
              &format!("A delegated role named {role:?} is requested as 1.{quoted}.json and stored as {quoted}.json (Python's quote(name, safe=\"\")), never as a path outside the metadata directory."))
                .publish(move |sim| { sim.delegate(TARGETS, role, &["*"], false)?; sim.add_target(role, "file.txt", CONTENT) })
                .init().download(&["file.txt"], true)
                .requests(fresh_then(vec![m(&format!("1.{quoted}.json")), t("file.txt")]))
                .trusted(role, 1)
                .metadata_files(&["root", "timestamp", "snapshot", "targets", role])
                .target_dir(&[CONTENT]),
        );
    }
    out.push(
        s("encoding/path-hash-prefix-of-unicode-path", "5.6.7.2 (path_hash_prefixes over the UTF-8 path)",
          "role1 is delegated by the first 4 hex digits of the SHA-256 of a non-ASCII target path's UTF-8 bytes: found.")
            .publish(|sim| {
                let path = "dir/ünïcødé.txt";
                let k = sim.new_key()?;
                let digest = hashes::digest_hex("sha256", path.as_bytes())?;
                let mut role = DelegatedRole::with_paths("role1", vec![k], 1, false, Vec::new());
                role.paths = None;
                role.path_hash_prefixes = Some(vec![digest.get(..4).unwrap_or_default().to_owned()]);
                sim.add_delegation(TARGETS, role)?;
                sim.add_target("role1", path, CONTENT)
            })
            .init().download(&["dir/ünïcødé.txt"], true)
            .requests(fresh_then(vec![m("1.role1.json"), t("dir/ünïcødé.txt")]))
            .target_dir(&[CONTENT]),
    );
    out
}

pub(super) fn listed_meta() -> Vec<Scenario> {
    vec![
        s("listed-meta/snapshot-longer-than-listed-length", "5.5.2 (length in timestamp), attack: endless data",
          "Timestamp lists snapshot's length only; the served snapshot is validly signed but 1000 bytes longer: refused.")
            .publish(|sim| {
                let clean = served(sim, "snapshot")?;
                sim.override_timestamp_meta(Some(length_only(1, clean.len() as u64)));
                sim.tamper("snapshot", Tamper::Pad(1000));
                Ok(())
            })
            .init().refresh(false)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("1.snapshot.json")])
            .trusted("timestamp", 1).untrusted("snapshot"),
        s("listed-meta/snapshot-shorter-than-listed-length", "5.5.2 (length in timestamp)",
          "Timestamp lists a snapshot length 10 bytes longer than the valid snapshot served: the length is checked exactly, not only used as a cap, so it is refused.")
            .publish(|sim| {
                let clean = served(sim, "snapshot")?;
                sim.override_timestamp_meta(Some(length_only(1, clean.len() as u64 + 10)));
                Ok(())
            })
            .init().refresh(false).trusted("timestamp", 1).untrusted("snapshot"),
        s("listed-meta/targets-longer-than-listed-length", "5.6.2 (length in snapshot), attack: endless data",
          "Snapshot lists targets' length only; the served targets is validly signed but 1000 bytes longer: refused.")
            .publish(|sim| {
                let clean = served(sim, TARGETS)?;
                sim.override_snapshot_meta(TARGETS, Some(length_only(1, clean.len() as u64)));
                sim.tamper(TARGETS, Tamper::Pad(1000));
                Ok(())
            })
            .init().refresh(false).requests(fresh_refresh())
            .trusted("snapshot", 1).untrusted(TARGETS),
        s("listed-meta/targets-shorter-than-listed-length", "5.6.2 (length in snapshot)",
          "Snapshot lists a targets length 10 bytes longer than the valid targets served: refused.")
            .publish(|sim| {
                let clean = served(sim, TARGETS)?;
                sim.override_snapshot_meta(TARGETS, Some(length_only(1, clean.len() as u64 + 10)));
                Ok(())
            })
            .init().refresh(false).trusted("snapshot", 1).untrusted(TARGETS),
        s("listed-meta/delegated-longer-than-listed-length", "5.6.2 (length in snapshot), attack: endless data",
          "Snapshot lists role1's length only; the served role1 is 1000 bytes longer: the download fails.")
            .publish(|sim| {
                with_role1(sim, &["*"], "file.txt")?;
                let clean = served(sim, "role1")?;
                sim.override_snapshot_meta("role1", Some(length_only(1, clean.len() as u64)));
                sim.tamper("role1", Tamper::Pad(1000));
                Ok(())
            })
            .init().download(&["file.txt"], false).untrusted("role1").target_dir(&[]),
        s("listed-meta/delegated-hash-mismatch", "5.6.2 (hashes in snapshot), attack: arbitrary installation",
          "Snapshot lists role1's length and sha256; role1 is served validly signed but reformatted: refused.")
            .publish(|sim| {
                with_role1(sim, &["*"], "file.txt")?;
                let clean = served(sim, "role1")?;
                sim.override_snapshot_meta("role1", Some(MetaFile::from_data(1, &clean, &["sha256"])?));
                sim.tamper("role1", Tamper::AppendWhitespace);
                Ok(())
            })
            .init().download(&["file.txt"], false).untrusted("role1").target_dir(&[]),
        s("listed-meta/snapshot-sha512-only", "5.5.2 (hashes in timestamp)",
          "Timestamp lists only a sha512 of snapshot (no length): an unmodified snapshot is accepted, a reformatted one refused.")
            .publish(|sim| {
                let clean = served(sim, "snapshot")?;
                let mut meta = MetaFile::new(1);
                meta.hashes = Some(hashes::compute(&clean, &["sha512"])?);
                sim.override_timestamp_meta(Some(meta));
                Ok(())
            })
            .init().refresh(true).trusted("snapshot", 1)
            .publish(|sim| {
                sim.bump("timestamp")?;
                sim.tamper("snapshot", Tamper::AppendWhitespace);
                Ok(())
            })
            .step(crate::scenario::Step::DeleteTrusted("snapshot".into()))
            .refresh(false).untrusted("snapshot"),
        s("listed-meta/snapshot-unsupported-hash-algorithm", "5.5.2, python-tuf (an unknown algorithm cannot be verified)",
          "Timestamp lists snapshot's correct sha256 plus a hash of an algorithm no client knows: every listed hash must verify, so the snapshot is refused (as python-tuf does).")
            .publish(|sim| {
                let clean = served(sim, "snapshot")?;
                let mut meta = MetaFile::from_data(1, &clean, &["sha256"])?;
                if let Some(h) = meta.hashes.as_mut() {
                    h.insert("no-such-hash-512".into(), "00".repeat(32));
                }
                sim.override_timestamp_meta(Some(meta));
                Ok(())
            })
            .init().refresh(false).trusted("timestamp", 1).untrusted("snapshot"),
        s("listed-meta/target-unsupported-hash-algorithm", "5.7.2, python-tuf (an unknown algorithm cannot be verified)",
          "The target is listed with its correct sha256 and a hash of an unknown algorithm: it cannot be verified, so the download fails and nothing is stored.")
            .publish(|sim| {
                sim.add_target(TARGETS, "file.txt", CONTENT)?;
                let file = sim.targets_mut(TARGETS)?.targets.get_mut("file.txt");
                if let Some(file) = file {
                    file.hashes.insert("zz-unknown".into(), "ab".repeat(32));
                }
                Ok(())
            })
            .init().download(&["file.txt"], false).target_dir(&[]),
        s("listed-meta/target-sha512-only", "5.7.3",
          "A target listed with a sha512 only is requested as <sha512>.name and verified.")
            .publish(|sim| sim.add_target_hashed(TARGETS, "file.txt", CONTENT, &["sha512"]))
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![t("file.txt")])).target_dir(&[CONTENT]),
        s("listed-meta/target-second-hash-wrong", "5.7.2, attack: arbitrary installation",
          "The target is listed with a correct sha256 and a wrong sha512: every listed hash must match, so it is refused.")
            .publish(|sim| {
                sim.add_target_hashed(TARGETS, "file.txt", CONTENT, &["sha256", "sha512"])?;
                if let Some(file) = sim.targets_mut(TARGETS)?.targets.get_mut("file.txt") {
                    file.hashes.insert("sha512".into(), hashes::digest_hex("sha512", crate::catalogue::EVIL)?);
                }
                Ok(())
            })
            .init().download(&["file.txt"], false).target_dir(&[]),
        s("listed-meta/targets-version-mismatch-with-hashes", "5.6.2, attack: mix-and-match",
          "Snapshot lists targets 2 with its hashes; 2.targets.json holds targets 1: refused by hash (and version).")
            .options(crate::simulator::SimOptions { snapshot_lists_hashes: true, ..crate::simulator::SimOptions::default() })
            .init().refresh(true)
            .publish(|sim| { sim.update(TARGETS)?; sim.serve_old(TARGETS, 1) })
            .refresh(false).trusted(TARGETS, 1).trusted("snapshot", 2),
    ]
}
