//! Scenarios that widen the categories of the parent module: root rotation with threshold
//! changes, thresholds with duplicated signatures and key ids, terminating and diamond
//! delegations, path hash prefixes, succinct bin edge cases, unknown fields and spec versions,
//! hostile mirrors for every kind of file, and the reuse and invalidation of cached metadata.

use serde_json::Value;
use tuf_crypto::{KeyId, PublicKey};
use tuf_metadata::{DelegatedRole, MetaFile, hashes};

use super::{
    CONTENT, CONTENT_V2, EVIL, YEAR, bin_name, first_key, fresh_then, hashed_target, s,
    threshold_two, unchanged, with_role1,
};
use crate::Error;
use crate::scenario::{Req, Scenario, Step, fresh_refresh, m, t};
use crate::simulator::{Behaviour, RepositorySimulator, SimOptions, TARGETS, Tamper};

/// The clean bytes `files()` serves for `role`.
fn served(sim: &mut RepositorySimulator, role: &str) -> Result<Vec<u8>, Error> {
    let files = sim.files()?;
    let path = sim.served_path(role).unwrap_or_default().to_owned();
    Ok(files.get(&path).cloned().unwrap_or_default())
}

/// Serves `role` with its signature list changed by `edit` (signed part untouched).
fn edit_signatures(
    sim: &mut RepositorySimulator,
    role: &str,
    edit: impl FnOnce(&mut Vec<Value>),
) -> Result<(), Error> {
    let mut value: Value = serde_json::from_slice(&served(sim, role)?)?;
    if let Some(signatures) = value.get_mut("signatures").and_then(Value::as_array_mut) {
        edit(signatures);
    }
    sim.tamper(role, Tamper::Replace(serde_json::to_vec_pretty(&value)?));
    Ok(())
}

/// Serves `role` with its `signed` part changed by `edit` and signed again by its keys.
fn edit_signed(
    sim: &mut RepositorySimulator,
    role: &str,
    edit: impl FnOnce(&mut Value),
) -> Result<(), Error> {
    let value: Value = serde_json::from_slice(&served(sim, role)?)?;
    let mut signed = value.get("signed").cloned().unwrap_or(Value::Null);
    edit(&mut signed);
    let bytes = sim.sign_json(role, signed)?;
    sim.tamper(role, Tamper::Replace(bytes));
    Ok(())
}

fn extra_field() -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert(
        "x-conformance-extra".into(),
        serde_json::json!({"nested": [1, "two", null]}),
    );
    map
}

pub(super) fn roots() -> Vec<Scenario> {
    let mut long_chain: Vec<Req> = (2..=22).map(|v| m(&format!("{v}.root.json"))).collect();
    long_chain.extend([
        m("timestamp.json"),
        m("1.snapshot.json"),
        m("1.targets.json"),
    ]);
    vec![
        s("root/final-root-expired-after-valid-intermediate", "5.3.10, attack: indefinite freeze",
          "Root 2 is valid, root 3 (the newest) is expired: the chain is followed to root 3, which is stored (5.3.10), and the refresh fails; no timestamp is trusted.")
            .init()
            .publish(|sim| { sim.publish_root()?; sim.expire("root")?; sim.publish_root() })
            .refresh(false).trusted("root", 3).untrusted("timestamp"),
        s("root/trusted-root-expired-no-new-root", "5.3.10, attack: indefinite freeze",
          "The client starts from an expired root 2 and no root 3 exists: the refresh fails and no timestamp is trusted.")
            .publish(|sim| { sim.expire("root")?; sim.publish_root() })
            .step(Step::InitRoot(2)).refresh(false).trusted("root", 2).untrusted("timestamp"),
        s("root/long-rotation-chain", "5.3.3-5.3.7",
          "Roots 2 to 21 each replace the root key (each signed by the previous and its own key): all are fetched in turn and root 21 is trusted.")
            .init()
            .publish(|sim| { for _ in 2..=21 { sim.rotate_keys("root")?; sim.publish_root()?; } Ok(()) })
            .refresh(true).requests(long_chain).trusted_top(21, 1, 1, 1),
        s("root/threshold-raised", "5.3.4",
          "Root 2 raises the root threshold to 2 of 2 keys and carries both signatures; root 3 too: both are trusted.")
            .init()
            .publish(|sim| { threshold_two(sim, "root", &[0, 1])?; sim.publish_root() })
            .refresh(true).trusted("root", 3),
        s("root/threshold-raised-but-new-root-signed-once", "5.3.4",
          "Root 2 adds a second root key and threshold 2 but is signed by the first key only: root 1's threshold is met, root 2's own is not, so it is refused.")
            .init()
            .publish(|sim| {
                let k1 = first_key(sim, "root")?;
                sim.add_signing_key("root")?;
                sim.set_threshold("root", 2)?;
                sim.sign_with("root", vec![k1]);
                sim.publish_root()
            })
            .refresh(false).requests(vec![m("2.root.json")]).trusted("root", 1),
        s("root/threshold-lowered-needs-old-threshold", "5.3.4",
          "Trusted root 2 needs 2 of 2 root keys; root 3 lowers the threshold to 1 and is signed by one key: it must meet root 2's threshold, so it is refused.")
            .publish(|sim| threshold_two(sim, "root", &[0, 1]))
            .step(Step::InitRoot(2))
            .publish(|sim| { let k = first_key(sim, "root")?; sim.set_threshold("root", 1)?; sim.sign_with("root", vec![k]); sim.publish_root() })
            .refresh(false).requests(vec![m("3.root.json")]).trusted("root", 2),
        s("root/threshold-lowered-then-single-signature", "5.3.4",
          "Trusted root 2 needs 2 of 2; root 3 lowers the threshold to 1, signed by both keys (accepted); root 4 signed by one key meets root 3's threshold of 1 (accepted).")
            .publish(|sim| threshold_two(sim, "root", &[0, 1]))
            .step(Step::InitRoot(2))
            .publish(|sim| {
                sim.set_threshold("root", 1)?;
                sim.publish_root()?;
                let k = first_key(sim, "root")?;
                sim.sign_with("root", vec![k]);
                sim.publish_root()
            })
            .refresh(true).trusted("root", 4),
        s("fast-forward/targets-recovered-by-snapshot-key-rotation", "5.3.11, attack: fast-forward (python-tuf's targets recovery)",
          "Targets was fast-forwarded to version 10; root 2 rotates only the snapshot key and targets restarts at 1: the cached snapshot no longer verifies, so it cannot hold targets back.")
            .init()
            .publish(|sim| { sim.targets_mut(TARGETS)?.version = 10; sim.update("snapshot") })
            .refresh(true).trusted(TARGETS, 10)
            .publish(|sim| { sim.rotate_keys("snapshot")?; sim.publish_root()?; sim.targets_mut(TARGETS)?.version = 1; sim.update("snapshot") })
            .refresh(true)
            .requests(vec![m("2.root.json"), m("3.root.json"), m("timestamp.json"), m("3.snapshot.json"), m("1.targets.json")])
            .trusted_top(2, 3, 3, 1),
        s("fast-forward/snapshot-no-recovery-without-key-rotation", "5.4.3.2, attack: fast-forward",
          "After trusting snapshot 10, a new timestamp listing snapshot 1 (same keys) is a rollback: refused; snapshot 10 stays trusted.")
            .init()
            .publish(|sim| { sim.snapshot.version = 10; sim.bump("timestamp") })
            .refresh(true)
            .publish(|sim| { sim.snapshot.version = 1; sim.bump("timestamp") })
            .refresh(false).requests(unchanged()).trusted("snapshot", 10).trusted("timestamp", 2),
    ]
}

pub(super) fn thresholds() -> Vec<Scenario> {
    vec![
        s("key-compromise/duplicate-signatures-count-once", "5.4.2 (threshold of distinct keys), attack: key compromise below threshold",
          "Timestamp needs 2 of 2 keys; the attacker holds one and lists its signature twice: it counts once, refused.")
            .publish(|sim| { threshold_two(sim, "timestamp", &[0])?; sim.tamper("timestamp", Tamper::DuplicateSignatures); Ok(()) })
            .step(Step::InitRoot(2)).refresh(false).untrusted("timestamp"),
        s("key-compromise/same-key-under-two-keyids", "4.3 (keys), 5.4.2 (threshold of distinct keys), attack: key compromise below threshold",
          "Root 2 lists the timestamp key twice, under its own id and an alias, with threshold 2; timestamp carries the one signature under both ids: one key is one key, refused.")
            .publish(|sim| {
                let k1 = first_key(sim, "timestamp")?;
                let public = sim.public_key(&k1)?;
                let alias = KeyId::new("a1a5a1a5".repeat(8));
                sim.root.keys.insert(alias.clone(), public);
                if let Some(role) = sim.root.roles.get_mut("timestamp") {
                    role.keyids.push(alias.clone());
                    role.threshold = 2;
                }
                sim.publish_root()?;
                sim.sign_with("timestamp", vec![k1]);
                edit_signatures(sim, "timestamp", |sigs| {
                    if let Some(mut copy) = sigs.first().cloned() {
                        copy["keyid"] = Value::String(alias.as_str().to_owned());
                        sigs.push(copy);
                    }
                })
            })
            .step(Step::InitRoot(2)).refresh(false).untrusted("timestamp"),
        s("key-compromise/duplicate-keyids-in-role", "4.3 (keyids unique), attack: key compromise below threshold",
          "Root 2 lists the timestamp key id twice with threshold 2, and timestamp carries its signature twice: the client must not trust that timestamp (python-tuf already refuses root 2 as malformed).")
            .init()
            .publish(|sim| {
                let k1 = first_key(sim, "timestamp")?;
                if let Some(role) = sim.root.roles.get_mut("timestamp") {
                    role.keyids.push(k1);
                    role.threshold = 2;
                }
                sim.publish_root()?;
                sim.tamper("timestamp", Tamper::DuplicateSignatures);
                Ok(())
            })
            .refresh(false).untrusted("timestamp"),
        s("key-compromise/delegated-duplicate-signatures-count-once", "5.6.3, attack: key compromise below threshold",
          "Role1 needs 2 of 2 keys; it carries one key's signature twice: refused, nothing downloaded.")
            .publish(|sim| {
                let (a, b) = (sim.new_key()?, sim.new_key()?);
                sim.add_delegation(TARGETS, DelegatedRole::with_paths("role1", vec![a.clone(), b], 2, false, vec!["*".into()]))?;
                sim.add_target("role1", "file.txt", CONTENT)?;
                sim.sign_with("role1", vec![a]);
                sim.tamper("role1", Tamper::DuplicateSignatures);
                Ok(())
            })
            .init().download(&["file.txt"], false).untrusted("role1").target_dir(&[]),
        s("key-compromise/two-of-three", "5.4.2",
          "Control: timestamp needs 2 of 3 keys and carries the second and third signatures: accepted.")
            .publish(|sim| {
                let _k1 = first_key(sim, "timestamp")?;
                let k2 = sim.add_signing_key("timestamp")?;
                let k3 = sim.add_signing_key("timestamp")?;
                sim.set_threshold("timestamp", 2)?;
                sim.publish_root()?;
                sim.sign_with("timestamp", vec![k2, k3]);
                Ok(())
            })
            .step(Step::InitRoot(2)).refresh(true).trusted("timestamp", 1),
        s("key-compromise/one-trusted-one-untrusted-signature", "5.4.2, attack: key compromise below threshold",
          "Timestamp needs 2 of 2 keys; it is signed by one trusted key and one key root does not list: refused.")
            .publish(|sim| {
                threshold_two(sim, "timestamp", &[0])?;
                let k1 = first_key(sim, "timestamp")?;
                let stranger = sim.new_key()?;
                sim.sign_with("timestamp", vec![k1, stranger]);
                Ok(())
            })
            .step(Step::InitRoot(2)).refresh(false).untrusted("timestamp"),
        s("key-compromise/snapshot-signed-by-timestamp-key", "5.5.3, attack: key compromise",
          "Snapshot is signed by the (online) timestamp key instead of the snapshot key: refused.")
            .publish(|sim| { let k = first_key(sim, "timestamp")?; sim.sign_with("snapshot", vec![k]); Ok(()) })
            .init().refresh(false).trusted("timestamp", 1).untrusted("snapshot"),
        s("key-compromise/targets-signed-by-snapshot-key", "5.6.3, attack: key compromise",
          "Targets is signed by the snapshot key instead of the targets key: refused.")
            .publish(|sim| { let k = first_key(sim, "snapshot")?; sim.sign_with(TARGETS, vec![k]); Ok(()) })
            .init().refresh(false).trusted("snapshot", 1).untrusted(TARGETS),
        s("key-compromise/delegated-signed-by-delegator-key", "5.6.3, attack: key compromise",
          "Role1 is signed by the top-level targets key, which targets does not list for role1: refused.")
            .publish(|sim| { with_role1(sim, &["*"], "file.txt")?; let k = first_key(sim, TARGETS)?; sim.sign_with("role1", vec![k]); Ok(()) })
            .init().download(&["file.txt"], false).untrusted("role1").target_dir(&[]),
        s("key-compromise/extra-unknown-signature-ignored", "5.4.2",
          "Timestamp carries its valid signature and a second one from a key id nobody lists: the unknown signature is ignored and the timestamp accepted.")
            .publish(|sim| edit_signatures(sim, "timestamp", |sigs| {
                sigs.push(serde_json::json!({"keyid": "0f".repeat(32), "sig": "00".repeat(64)}));
            }))
            .init().refresh(true).trusted("timestamp", 1),
        s("key-compromise/threshold-one-with-one-bad-signature", "5.4.2",
          "Timestamp trusts two keys with threshold 1; it carries a valid signature from one and a corrupted one from the other: the threshold is met, accepted.")
            .publish(|sim| {
                let k1 = first_key(sim, "timestamp")?;
                let k2 = sim.add_signing_key("timestamp")?;
                sim.publish_root()?;
                sim.sign_with("timestamp", vec![k1, k2.clone()]);
                edit_signatures(sim, "timestamp", |sigs| {
                    for sig in sigs.iter_mut() {
                        if sig["keyid"] == Value::String(k2.as_str().to_owned()) {
                            sig["sig"] = Value::String("00".repeat(64));
                        }
                    }
                })
            })
            .step(Step::InitRoot(2)).refresh(true).trusted("timestamp", 1),
    ]
}

/// A delegation by `path_hash_prefixes` to `name` with one new key.
fn by_prefixes(
    sim: &mut RepositorySimulator,
    delegator: &str,
    name: &str,
    prefixes: Vec<String>,
    terminating: bool,
) -> Result<(), Error> {
    let k = sim.new_key()?;
    let mut role = DelegatedRole::with_paths(name, vec![k], 1, terminating, Vec::new());
    role.paths = None;
    role.path_hash_prefixes = Some(prefixes);
    sim.add_delegation(delegator, role)
}

fn path_digest(path: &str) -> String {
    hashes::digest_hex("sha256", path.as_bytes()).unwrap_or_default()
}

pub(super) fn delegations() -> Vec<Scenario> {
    let digest = path_digest("file.txt");
    let first = digest.get(..1).unwrap_or_default().to_owned();
    let high = u8::from_str_radix(&first, 16).unwrap_or(0) >= 8;
    vec![
        s("delegation/terminating-applies-only-when-paths-match", "5.6.7.2.1",
          "targets delegates a/* to A (terminating), then `*` to B, which lists b/file.txt: A does not match the path, so its terminating flag does not apply and B is searched.")
            .publish(|sim| { sim.delegate(TARGETS, "A", &["a/*"], true)?; sim.delegate(TARGETS, "B", &["*/*"], false)?; sim.add_target("B", "b/file.txt", CONTENT) })
            .init().download(&["b/file.txt"], true)
            .requests(fresh_then(vec![m("1.B.json"), t("b/file.txt")])).target_dir(&[CONTENT]),
        s("delegation/terminating-role-lists-target", "5.6.7.2.1",
          "A terminating role that lists the target itself: found there.")
            .publish(|sim| { sim.delegate(TARGETS, "A", &["*"], true)?; sim.add_target("A", "file.txt", CONTENT) })
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![m("1.A.json"), t("file.txt")])).target_dir(&[CONTENT]),
        s("delegation/nested-terminating-not-matching-continues", "5.6.7.2.1",
          "targets → A, B; A → C (terminating, c/* only). B lists file.txt: C is not consulted (its paths do not match), so the search backtracks to B and finds it.")
            .publish(|sim| { sim.delegate(TARGETS, "A", &["*"], false)?; sim.delegate(TARGETS, "B", &["*"], false)?; sim.delegate("A", "C", &["c/*"], true)?; sim.add_target("B", "file.txt", CONTENT) })
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![m("1.A.json"), m("1.B.json"), t("file.txt")])).target_dir(&[CONTENT]),
        s("delegation/terminating-by-path-hash-prefix", "5.6.7.2.1, 5.6.7.2 (path_hash_prefixes)",
          "A is delegated by a path hash prefix matching the target and is terminating; B (`*`) lists the target: the search stops at A and fails.")
            .publish(move |sim| {
                by_prefixes(sim, TARGETS, "A", vec![path_digest("file.txt").get(..2).unwrap_or_default().to_owned()], true)?;
                sim.delegate(TARGETS, "B", &["*"], false)?;
                sim.add_target("B", "file.txt", CONTENT)
            })
            .init().download(&["file.txt"], false)
            .requests(fresh_then(vec![m("1.A.json")])).target_dir(&[]),
        s("delegation/diamond-found-through-second-parent", "5.6.7 (diamond delegations)",
          "targets → A (a/*), B (`*/*`); A and B both delegate to C with the same key. C lists b/x.txt: only B's path matches, so C is reached through B.")
            .publish(|sim| {
                sim.delegate(TARGETS, "A", &["a/*"], false)?; sim.delegate(TARGETS, "B", &["*/*"], false)?;
                let k = sim.delegate("A", "C", &["*/*"], false)?;
                sim.add_delegation("B", DelegatedRole::with_paths("C", vec![k], 1, false, vec!["*/*".into()]))?;
                sim.add_target("C", "b/x.txt", CONTENT)
            })
            .init().download(&["b/x.txt"], true)
            .requests(fresh_then(vec![m("1.B.json"), m("1.C.json"), t("b/x.txt")])).target_dir(&[CONTENT]),
        s("delegation/diamond-second-parent-higher-threshold", "5.6.3, 5.6.7 (diamond delegations)",
          "A → C with key K1 (threshold 1), B → C with keys K1, K2 (threshold 2); C is signed by K1 only and lists b/y.txt, which only B's paths cover: refused.")
            .publish(|sim| {
                sim.delegate(TARGETS, "A", &["a/*"], false)?; sim.delegate(TARGETS, "B", &["b/*"], false)?;
                let k1 = sim.delegate("A", "C", &["*/*"], false)?;
                let k2 = sim.new_key()?;
                sim.add_delegation("B", DelegatedRole::with_paths("C", vec![k1.clone(), k2], 2, false, vec!["*/*".into()]))?;
                sim.sign_with("C", vec![k1]);
                sim.add_target("C", "b/y.txt", EVIL)
            })
            .init().download(&["b/y.txt"], false).target_dir(&[]),
        s("delegation/path-hash-prefix-full-digest", "5.6.7.2 (path_hash_prefixes)",
          "role1's path_hash_prefixes holds the whole 64-digit SHA-256 of the target path: found.")
            .publish(|sim| { by_prefixes(sim, TARGETS, "role1", vec![path_digest("file.txt")], false)?; sim.add_target("role1", "file.txt", CONTENT) })
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![m("1.role1.json"), t("file.txt")])).target_dir(&[CONTENT]),
        s("delegation/path-hash-prefix-upper-case-does-not-match", "5.6.7.2 (path_hash_prefixes: lower-case hex digest, as python-tuf compares)",
          "role1's prefix is the target path's digest prefix in upper-case hex (digits a-f): prefixes are compared with the lower-case hex digest, so role1 is not consulted and the download fails.")
            .publish(|sim| {
                let path = upper_case_path();
                by_prefixes(sim, TARGETS, "role1", vec![path_digest(&path).get(..4).unwrap_or_default().to_ascii_uppercase()], false)?;
                sim.add_target("role1", &path, CONTENT)
            })
            .init().download(&[&upper_case_path()], false)
            .requests(fresh_refresh()).target_dir(&[]),
        s("delegation/path-hash-prefixes-partition", "5.6.7.2 (path_hash_prefixes, hashed bins)",
          "targets delegates digests 0-7 to `low` and 8-f to `high`: only the role whose prefixes match the target path is fetched.")
            .publish(|sim| {
                by_prefixes(sim, TARGETS, "low", (0..8).map(|d| format!("{d:x}")).collect(), false)?;
                by_prefixes(sim, TARGETS, "high", (8..16).map(|d| format!("{d:x}")).collect(), false)?;
                let bin = if u8::from_str_radix(path_digest("file.txt").get(..1).unwrap_or("0"), 16).unwrap_or(0) >= 8 { "high" } else { "low" };
                sim.add_target(bin, "file.txt", CONTENT)
            })
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![m(if high { "1.high.json" } else { "1.low.json" }), t("file.txt")]))
            .target_dir(&[CONTENT]),
        s("delegation/glob-question-mark-and-class", "5.6.7.2 (paths: shell-style patterns)",
          "role1 is delegated `releases/v?.[0-9]/*.tgz` and lists releases/v1.2/app.tgz: matched and found; releases/v10.2/app.tgz (also listed) does not match `?`.")
            .publish(|sim| {
                sim.delegate(TARGETS, "role1", &["releases/v?.[0-9]/*.tgz"], false)?;
                sim.add_target("role1", "releases/v1.2/app.tgz", CONTENT)?;
                sim.add_target("role1", "releases/v10.2/app.tgz", EVIL)
            })
            .init().download(&["releases/v1.2/app.tgz"], true).target_dir(&[CONTENT])
            .download(&["releases/v10.2/app.tgz"], false).target_dir(&[CONTENT]),
        s("delegation/delegated-role-new-version", "5.6.1, 5.6.2",
          "role1 2 lists a new version of the target: 2.role1.json is fetched and the new file replaces the old.")
            .publish(|sim| with_role1(sim, &["*"], "file.txt"))
            .init().download(&["file.txt"], true)
            .publish(|sim| { sim.add_target("role1", "file.txt", CONTENT_V2)?; sim.update("role1") })
            .download(&["file.txt"], true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("2.snapshot.json"), m("2.role1.json"), t("file.txt")])
            .trusted("role1", 2).target_dir(&[CONTENT_V2]),
        s("rollback/nested-delegated-role-version-lowered-in-snapshot", "5.5.5, tough advisory 2025 (delegated rollback not detected)",
          "targets → A → B; after trusting a snapshot listing B 2, a new snapshot lists B 1: the refresh fails.")
            .publish(|sim| { sim.delegate(TARGETS, "A", &["*"], false)?; sim.delegate("A", "B", &["*"], false)?; sim.add_target("B", "file.txt", CONTENT) })
            .publish(|sim| sim.update("B"))
            .init().download(&["file.txt"], true).trusted("B", 2)
            .publish(|sim| { sim.update("snapshot")?; sim.override_snapshot_meta("B", Some(MetaFile::new(1))); Ok(()) })
            .refresh(false).trusted("snapshot", 2),
        s("indefinite-freeze/expired-role-on-search-path", "5.6.5, attack: indefinite freeze",
          "targets → A, B; A is expired and lists nothing, B lists the target: an expired role met during the search fails it (python-tuf), nothing downloaded.")
            .publish(|sim| { sim.delegate(TARGETS, "A", &["*"], false)?; sim.delegate(TARGETS, "B", &["*"], false)?; sim.add_target("B", "file.txt", CONTENT)?; sim.expire("A") })
            .init().download(&["file.txt"], false).untrusted("B").target_dir(&[]),
        s("indefinite-freeze/delegated-role-expired-later", "5.6.5, attack: indefinite freeze",
          "role1 was trusted; role1 2 is expired: the next download fails and role1 1 stays trusted.")
            .publish(|sim| with_role1(sim, &["*"], "file.txt"))
            .init().download(&["file.txt"], true)
            .publish(|sim| { sim.expire("role1")?; sim.update("role1") })
            .download(&["file.txt"], false).trusted("role1", 1),
        s("extraneous-dependencies/role-not-delegated", "5.6.7, attack: extraneous dependencies",
          "Snapshot lists role1 and role1 lists the target, but no role delegates to role1: it is never fetched and the download fails.")
            .publish(|sim| {
                with_role1(sim, &["*"], "file.txt")?;
                if let Some(d) = sim.targets_mut(TARGETS)?.delegations.as_mut() { d.roles = Some(Vec::new()); }
                Ok(())
            })
            .init().download(&["file.txt"], false).requests(fresh_refresh()).target_dir(&[]),
        s("wrong-software-installation/hashed-target-from-wrong-path", "5.7.3, attack: wrong software installation",
          "With consistent snapshots, the server answers a.txt's hash-prefixed URL with b.txt's (listed, valid) content: refused.")
            .publish(|sim| { sim.add_target(TARGETS, "a.txt", CONTENT)?; sim.add_target(TARGETS, "b.txt", CONTENT_V2)?; sim.serve_target_bytes("a.txt", CONTENT_V2); Ok(()) })
            .init().download(&["a.txt"], false)
            .requests(fresh_then(vec![hashed_target("a.txt", CONTENT)])).target_dir(&[]),
    ]
}

/// The target path the upper-case-prefix scenario uses (first `file-N.txt` whose digest
/// starts with a letter).
fn upper_case_path() -> String {
    (0..64)
        .map(|i| format!("file-{i}.txt"))
        .find(|p| path_digest(p).starts_with(|c: char| c.is_ascii_alphabetic()))
        .unwrap_or_default()
}

/// The first `pkg/fN.txt` that falls into bin `wanted` of a `bits`-bit delegation.
fn path_in_bin(bits: u8, wanted: &str) -> String {
    (0..10_000)
        .map(|i| format!("pkg/f{i}.txt"))
        .find(|p| bin_name(bits, p) == wanted)
        .unwrap_or_default()
}

fn bins_download(name: &str, bits: u8, path: String, description: &str) -> Scenario {
    let bin = bin_name(bits, &path);
    let p = path.clone();
    s(name, "TAP 15 (succinct hash bins), 5.6.7", description)
        .publish(move |sim| {
            sim.add_succinct_bins(TARGETS, bits, "bins")?;
            let b = sim.bin_for(TARGETS, &p)?;
            sim.add_target(&b, &p, CONTENT)
        })
        .init()
        .download(&[&path], true)
        .requests(fresh_then(vec![m(&format!("1.{bin}.json")), t(&path)]))
        .trusted(&bin, 1)
        .target_dir(&[CONTENT])
}

pub(super) fn succinct_bins() -> Vec<Scenario> {
    let first = path_in_bin(3, "bins-0");
    let last = path_in_bin(3, "bins-7");
    let bin = bin_name(3, "pkg/file.txt");
    let bin_for_threshold = bin.clone();
    let bin_for_rollback = bin.clone();
    let bin_for_expiry = bin.clone();
    vec![
        bins_download("bins/one-bit", 1, "pkg/file.txt".into(), "A 1-bit delegation: two bins (bins-0, bins-1); the target is found in the bin its hash's first bit selects."),
        bins_download("bins/five-bits", 5, "pkg/file.txt".into(), "A 5-bit delegation: 32 bins named with two hex digits (bins-00 ... bins-1f); the right one is fetched."),
        bins_download("bins/eight-bits", 8, "pkg/file.txt".into(), "An 8-bit delegation: 256 bins, all listed in snapshot."),
        bins_download("bins/twelve-bits", 12, "pkg/file.txt".into(), "A 12-bit delegation: 4096 bins named with three hex digits, all in snapshot."),
        bins_download("bins/first-bin", 3, first, "A target whose hash selects bins-0 (leading zero bits)."),
        bins_download("bins/last-bin", 3, last, "A target whose hash selects bins-7 (all selecting bits set)."),
        s("bins/delegated-from-delegated-role", "TAP 15, 5.6.7",
          "targets → role1 (`*/*`), which delegates to 8 succinct bins: the target is found in its bin below role1.")
            .publish(|sim| { sim.delegate(TARGETS, "role1", &["*/*"], false)?; sim.add_succinct_bins("role1", 3, "bins")?; let b = sim.bin_for("role1", "pkg/file.txt")?; sim.add_target(&b, "pkg/file.txt", CONTENT) })
            .init().download(&["pkg/file.txt"], true)
            .requests(fresh_then(vec![m("1.role1.json"), m(&format!("1.{bin}.json")), t("pkg/file.txt")]))
            .target_dir(&[CONTENT]),
        s("bins/bin-signed-by-untrusted-key", "TAP 15, 5.6.3, attack: arbitrary installation",
          "The target's bin is signed by a key succinct_roles does not list: refused.")
            .publish(|sim| { sim.add_succinct_bins(TARGETS, 3, "bins")?; let b = sim.bin_for(TARGETS, "pkg/file.txt")?; sim.add_target(&b, "pkg/file.txt", CONTENT)?; let k = sim.new_key()?; sim.sign_with(&b, vec![k]); Ok(()) })
            .init().download(&["pkg/file.txt"], false).untrusted(&bin).target_dir(&[]),
        s("bins/threshold-two", "TAP 15, 5.6.3",
          "succinct_roles needs 2 of 2 keys: a bin signed by both is accepted; after the bin is re-signed (version 2) by one key only, it is refused.")
            .publish(|sim| {
                sim.add_succinct_bins(TARGETS, 3, "bins")?;
                let k2 = sim.new_key()?;
                let public: PublicKey = sim.public_key(&k2)?;
                if let Some(d) = sim.targets_mut(TARGETS)?.delegations.as_mut() {
                    d.keys.insert(k2.clone(), public);
                    if let Some(bins) = d.succinct_roles.as_mut() { bins.keyids.push(k2); bins.threshold = 2; }
                }
                let b = sim.bin_for(TARGETS, "pkg/file.txt")?;
                sim.add_target(&b, "pkg/file.txt", CONTENT)
            })
            .init().download(&["pkg/file.txt"], true).trusted(&bin_for_threshold, 1)
            .publish(move |sim| {
                let b = sim.bin_for(TARGETS, "pkg/file.txt")?;
                let k1 = sim.role_keyids(&b).into_iter().next().unwrap_or_else(|| KeyId::new(""));
                sim.sign_with(&b, vec![k1]);
                sim.add_target(&b, "pkg/file.txt", CONTENT_V2)?;
                sim.update(&b)
            })
            .download(&["pkg/file.txt"], false).trusted(&bin, 1).target_dir(&[CONTENT]),
        s("bins/bin-version-lowered-in-snapshot", "TAP 15, 5.5.5, attack: rollback",
          "After trusting a snapshot listing the bin at version 2, a new snapshot lists it at 1: the refresh fails.")
            .publish(|sim| { sim.add_succinct_bins(TARGETS, 3, "bins")?; let b = sim.bin_for(TARGETS, "pkg/file.txt")?; sim.add_target(&b, "pkg/file.txt", CONTENT)?; sim.update(&b) })
            .init().download(&["pkg/file.txt"], true).trusted(&bin_for_rollback, 2)
            .publish(|sim| { let b = sim.bin_for(TARGETS, "pkg/file.txt")?; sim.update("snapshot")?; sim.override_snapshot_meta(&b, Some(MetaFile::new(1))); Ok(()) })
            .refresh(false).trusted("snapshot", 2),
        s("bins/bin-expired", "TAP 15, 5.6.5, attack: indefinite freeze",
          "The target's bin is expired: the download fails and the bin is not stored.")
            .publish(|sim| { sim.add_succinct_bins(TARGETS, 3, "bins")?; let b = sim.bin_for(TARGETS, "pkg/file.txt")?; sim.add_target(&b, "pkg/file.txt", CONTENT)?; sim.expire(&b) })
            .init().download(&["pkg/file.txt"], false).untrusted(&bin_for_expiry).target_dir(&[]),
    ]
}

pub(super) fn formats() -> Vec<Scenario> {
    vec![
        s("formats/unknown-field-in-root", "4.1 (unrecognized fields), 5.3",
          "Root 2 carries an unknown field in signed, in a role entry and in a key: accepted (the signature covers them) and stored as received.")
            .init()
            .publish(|sim| {
                sim.root.unrecognized_fields = extra_field();
                if let Some(role) = sim.root.roles.get_mut("timestamp") { role.unrecognized_fields = extra_field(); }
                let k = first_key(sim, "timestamp")?;
                let mut key = sim.public_key(&k)?.to_value();
                if let Some(obj) = key.as_object_mut() { obj.insert("x-key-extra".into(), Value::from("kept")); }
                sim.root.keys.insert(k, PublicKey::from_value(key)?);
                sim.publish_root()
            })
            .refresh(true).trusted_top(2, 1, 1, 1),
        s("formats/unknown-field-in-timestamp", "4.1 (unrecognized fields), 5.4",
          "Timestamp carries unknown fields in signed and in its snapshot meta entry: accepted.")
            .publish(|sim| {
                sim.timestamp.unrecognized_fields = extra_field();
                let mut meta = MetaFile::new(1);
                meta.unrecognized_fields = extra_field();
                sim.override_timestamp_meta(Some(meta));
                Ok(())
            })
            .init().refresh(true).trusted_top(1, 1, 1, 1),
        s("formats/unknown-field-in-snapshot", "4.1 (unrecognized fields), 5.5",
          "Snapshot carries unknown fields in signed and in the targets meta entry: accepted.")
            .publish(|sim| {
                sim.snapshot.unrecognized_fields = extra_field();
                let mut meta = MetaFile::new(1);
                meta.unrecognized_fields = extra_field();
                sim.override_snapshot_meta(TARGETS, Some(meta));
                Ok(())
            })
            .init().refresh(true).trusted_top(1, 1, 1, 1),
        s("formats/unknown-field-in-targets", "4.1 (unrecognized fields), 5.6, 5.7",
          "Targets carries unknown fields in signed, in a target entry (beside custom) and in its delegations and delegated role entry: accepted, and the target downloads.")
            .publish(|sim| {
                with_role1(sim, &["*"], "other.txt")?;
                sim.add_target(TARGETS, "file.txt", CONTENT)?;
                let targets = sim.targets_mut(TARGETS)?;
                targets.unrecognized_fields = extra_field();
                if let Some(file) = targets.targets.get_mut("file.txt") {
                    file.unrecognized_fields = extra_field();
                    file.custom = Some(extra_field());
                }
                if let Some(d) = targets.delegations.as_mut() {
                    d.unrecognized_fields = extra_field();
                    for role in d.roles.iter_mut().flatten() { role.unrecognized_fields = extra_field(); }
                }
                Ok(())
            })
            .init().download(&["file.txt", "other.txt"], true).target_dir(&[CONTENT, CONTENT]),
        s("formats/unknown-field-in-envelope", "4.1 (unrecognized fields)",
          "The timestamp envelope carries an unknown field beside signed and signatures: accepted.")
            .publish(|sim| {
                let mut value: Value = serde_json::from_slice(&served(sim, "timestamp")?)?;
                if let Some(obj) = value.as_object_mut() { obj.insert("x-envelope-extra".into(), Value::from(1)); }
                sim.tamper("timestamp", Tamper::Replace(serde_json::to_vec_pretty(&value)?));
                Ok(())
            })
            .init().refresh(true).trusted("timestamp", 1),
        s("formats/spec-version-two-components", "4.2 (spec_version), python-tuf",
          "Every role says spec_version \"1.0\" (major.minor only): accepted.")
            .publish(|sim| {
                let v: tuf_metadata::SpecVersion = "1.0".parse()?;
                sim.root.spec_version = v.clone();
                sim.publish_root()?;
                sim.timestamp.spec_version = v.clone();
                sim.snapshot.spec_version = v.clone();
                sim.targets_mut(TARGETS)?.spec_version = v;
                Ok(())
            })
            .step(Step::InitRoot(2)).refresh(true).trusted_top(2, 1, 1, 1),
        s("formats/spec-version-newer-minor", "4.2 (spec_version: same major version)",
          "Timestamp, snapshot and targets say spec_version \"1.99.0\": same major version, accepted.")
            .publish(|sim| {
                let v: tuf_metadata::SpecVersion = "1.99.0".parse()?;
                sim.timestamp.spec_version = v.clone();
                sim.snapshot.spec_version = v.clone();
                sim.targets_mut(TARGETS)?.spec_version = v;
                Ok(())
            })
            .init().refresh(true).trusted_top(1, 1, 1, 1),
        s("formats/spec-version-major-two", "4.2 (clients MUST NOT accept another major version)",
          "A correctly signed timestamp says spec_version \"2.0.0\": refused, not stored.")
            .publish(|sim| edit_signed(sim, "timestamp", |signed| { signed["spec_version"] = Value::from("2.0.0"); }))
            .init().refresh(false).untrusted("timestamp"),
        s("formats/wrong-metadata-type", "4.2 (_type), attack: mix-and-match",
          "timestamp.json holds snapshot metadata (`_type` snapshot) signed by the timestamp key: refused.")
            .publish(|sim| {
                let snapshot: Value = serde_json::from_slice(&served(sim, "snapshot")?)?;
                let signed = snapshot.get("signed").cloned().unwrap_or(Value::Null);
                let bytes = sim.sign_json("timestamp", signed)?;
                sim.tamper("timestamp", Tamper::Replace(bytes));
                Ok(())
            })
            .init().refresh(false).untrusted("timestamp"),
        s("formats/compact-json-accepted", "4.1 (signatures over the canonical form)",
          "Timestamp and snapshot are served as compact JSON with keys in another order: signatures cover the canonical form, so both are accepted.")
            .publish(|sim| {
                for role in ["timestamp", "snapshot"] {
                    let value: Value = serde_json::from_slice(&served(sim, role)?)?;
                    let signed = value.get("signed").cloned().unwrap_or(Value::Null);
                    let signatures = value.get("signatures").cloned().unwrap_or(Value::Null);
                    let text = format!("{{\"signed\":{},\"signatures\":{}}}", serde_json::to_string(&signed)?, serde_json::to_string(&signatures)?);
                    sim.tamper(role, Tamper::Replace(text.into_bytes()));
                }
                Ok(())
            })
            .init().refresh(true).trusted_top(1, 1, 1, 1),
        s("formats/signed-field-changed-after-signing", "4.1, attack: arbitrary installation",
          "Timestamp's expiry is moved a year on after signing (signature unchanged): refused.")
            .publish(|sim| {
                let mut value: Value = serde_json::from_slice(&served(sim, "timestamp")?)?;
                let later = sim.expires_in(sim.lifetime() + YEAR)?.to_string();
                value["signed"]["expires"] = Value::from(later);
                sim.tamper("timestamp", Tamper::Replace(serde_json::to_vec_pretty(&value)?));
                Ok(())
            })
            .init().refresh(false).untrusted("timestamp"),
    ]
}

/// Where each kind of file is requested, what to set up for it, and how a failed fetch of it
/// shows in requests.
#[derive(Clone, Copy)]
enum Kind {
    Root,
    Timestamp,
    Snapshot,
    Targets,
    Delegated,
    Target,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Root => "root",
            Kind::Timestamp => "timestamp",
            Kind::Snapshot => "snapshot",
            Kind::Targets => "targets",
            Kind::Delegated => "delegated-role",
            Kind::Target => "target-file",
        }
    }

    fn spec(self) -> &'static str {
        match self {
            Kind::Root => "5.3.3",
            Kind::Timestamp => "5.4.1",
            Kind::Snapshot => "5.5.1",
            Kind::Targets => "5.6.1",
            Kind::Delegated => "5.6.1",
            Kind::Target => "5.7.3",
        }
    }

    /// The scenario with `behaviour` on this kind's file, expecting failure.
    fn scenario(self, name: &str, spec: &str, description: &str, behaviour: Behaviour) -> Scenario {
        let base = s(name, &format!("{}, {spec}", self.spec()), description);
        let requests = match self {
            Kind::Root => vec![m("2.root.json")],
            Kind::Timestamp => unchanged(),
            Kind::Snapshot => vec![m("2.root.json"), m("timestamp.json"), m("1.snapshot.json")],
            Kind::Targets => fresh_refresh(),
            Kind::Delegated => fresh_then(vec![m("1.role1.json")]),
            Kind::Target => fresh_then(vec![t("file.txt")]),
        };
        let scenario = match self {
            Kind::Root => base
                .init()
                .publish(move |sim| {
                    sim.publish_root()?;
                    sim.set_behaviour("metadata/2.root.json", behaviour);
                    Ok(())
                })
                .refresh(false),
            Kind::Timestamp | Kind::Snapshot | Kind::Targets => {
                let path = match self {
                    Kind::Timestamp => "metadata/timestamp.json",
                    Kind::Snapshot => "metadata/1.snapshot.json",
                    _ => "metadata/1.targets.json",
                };
                base.publish(move |sim| {
                    sim.set_behaviour(path, behaviour);
                    Ok(())
                })
                .init()
                .refresh(false)
            }
            Kind::Delegated => base
                .publish(move |sim| {
                    with_role1(sim, &["*"], "file.txt")?;
                    sim.set_behaviour("metadata/1.role1.json", behaviour);
                    Ok(())
                })
                .init()
                .download(&["file.txt"], false),
            Kind::Target => base
                .publish(move |sim| {
                    sim.add_target(TARGETS, "file.txt", CONTENT)?;
                    let p = sim.target_request_path("file.txt");
                    sim.set_behaviour(&p, behaviour);
                    Ok(())
                })
                .init()
                .download(&["file.txt"], false),
        };
        let scenario = if matches!(behaviour, Behaviour::Trickle { .. }) {
            scenario
        } else {
            scenario.requests_with_retries(requests)
        };
        match self {
            Kind::Root => scenario.trusted("root", 1).untrusted("timestamp"),
            Kind::Timestamp => scenario.untrusted("timestamp"),
            Kind::Snapshot => scenario.trusted("timestamp", 1).untrusted("snapshot"),
            Kind::Targets => scenario.trusted("snapshot", 1).untrusted(TARGETS),
            Kind::Delegated => scenario.untrusted("role1").target_dir(&[]),
            Kind::Target => scenario.target_dir(&[]),
        }
    }
}

pub(super) fn mirrors() -> Vec<Scenario> {
    use Kind::{Delegated, Root, Snapshot, Target, Targets, Timestamp};
    let mut out = Vec::new();
    out.push(Delegated.scenario(&format!("endless-data/{}", Delegated.label()), "attack: endless data",
        "The file is answered with a body that never ends and no Content-Length: the client stops at its bound and fails.", Behaviour::Endless));
    for kind in [Root, Snapshot, Targets, Delegated, Target] {
        out.push(kind.scenario(&format!("endless-data/{}-declared-huge", kind.label()), "attack: endless data",
            "The file is answered with a Content-Length of 1 TiB and a body that never ends: the client refuses without reading it all and fails.", Behaviour::EndlessDeclared));
    }
    for kind in [Snapshot, Targets, Delegated] {
        out.push(kind.scenario(&format!("slow-retrieval/trickling-{}", kind.label()), "attack: slow retrieval",
            "The file is sent at 5 bytes per second: the client must give up and fail well within the step timeout.", Behaviour::Trickle { bytes_per_second: 5 }));
    }
    for kind in [Snapshot, Delegated] {
        out.push(kind.scenario(
            &format!("malicious-mirrors/dropped-connection-{}", kind.label()),
            "CLIENT-CLI requests",
            "The connection is closed without a response: a failed fetch.",
            Behaviour::Drop,
        ));
    }
    for kind in [Root, Snapshot, Targets, Delegated] {
        out.push(kind.scenario(&format!("malicious-mirrors/truncated-{}", kind.label()), "wrong length",
            "The file declares 100 bytes more than it sends, then the connection closes: a failed fetch.", Behaviour::Truncate));
    }
    for kind in [Timestamp, Targets, Delegated, Target] {
        out.push(kind.scenario(
            &format!("malicious-mirrors/server-error-{}", kind.label()),
            "HTTP status",
            "The file is answered with HTTP 500: a failed fetch.",
            Behaviour::Status(500),
        ));
    }
    for kind in [Snapshot, Targets, Delegated] {
        out.push(kind.scenario(&format!("malicious-mirrors/{}-missing", kind.label()), "HTTP status",
            "The file listed by its parent is not on the server (404): a failed fetch, not an empty role.", Behaviour::NotFound));
    }
    out
}

pub(super) fn caches() -> Vec<Scenario> {
    vec![
        s("cache/corrupt-local-root-fails", "5.2, CLIENT-CLI metadata directory",
          "The trusted root.json is garbage: the client has no trust anchor and must fail without trusting anything from the network.")
            .init().refresh(true)
            .step(Step::CorruptTrusted("root".into()))
            .refresh(false).requests(vec![]),
        s("cache/deleted-local-snapshot-refetched", "5.5, CLIENT-CLI metadata directory",
          "The stored snapshot was deleted: it is fetched again; targets on disk is still reused.")
            .init().refresh(true)
            .step(Step::DeleteTrusted("snapshot".into()))
            .refresh(true).requests(vec![m("2.root.json"), m("timestamp.json"), m("1.snapshot.json")])
            .trusted_top(1, 1, 1, 1),
        s("cache/deleted-local-timestamp-refetched", "5.4, CLIENT-CLI metadata directory",
          "The stored timestamp was deleted: a new one is fetched and stored; snapshot and targets are reused.")
            .init().refresh(true)
            .step(Step::DeleteTrusted("timestamp".into()))
            .refresh(true).requests(unchanged()).trusted_top(1, 1, 1, 1),
        s("cache/corrupt-local-delegated-refetched", "5.6, CLIENT-CLI metadata directory",
          "The stored role1 is garbage: the next download through role1 fetches it again.")
            .publish(|sim| { with_role1(sim, &["*"], "a.txt")?; sim.add_target("role1", "b.txt", CONTENT_V2) })
            .init().download(&["a.txt"], true)
            .step(Step::CorruptTrusted("role1".into()))
            .download(&["b.txt"], true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("1.role1.json"), t("b.txt")])
            .trusted("role1", 1).target_dir(&[CONTENT, CONTENT_V2]),
        s("cache/cached-targets-invalidated-by-hash", "5.6.1, 5.6.2, CLIENT-CLI metadata directory",
          "Snapshot lists targets' hashes. Targets 1 is re-signed with different content but the same version, and snapshot 2 lists the new hashes: the stored targets no longer matches and is fetched again.")
            .options(SimOptions { snapshot_lists_hashes: true, ..SimOptions::default() })
            .init().refresh(true)
            .publish(|sim| { sim.targets_mut(TARGETS)?.unrecognized_fields = extra_field(); sim.update("snapshot") })
            .refresh(true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("2.snapshot.json"), m("1.targets.json")])
            .trusted_top(1, 2, 2, 1),
        s("cache/cached-snapshot-invalidated-by-hash", "5.5.1, 5.5.2, CLIENT-CLI metadata directory",
          "Timestamp lists snapshot's hashes. Snapshot 1 is re-signed with different content but the same version, and timestamp 2 lists the new hashes: the stored snapshot is fetched again.")
            .options(SimOptions { timestamp_lists_hashes: true, ..SimOptions::default() })
            .init().refresh(true)
            .publish(|sim| { sim.snapshot.unrecognized_fields = extra_field(); sim.bump("timestamp") })
            .refresh(true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("1.snapshot.json")])
            .trusted_top(1, 2, 1, 1),
        s("cache/corrupt-target-file-downloaded-again", "5.7, CLIENT-CLI target directory",
          "The file in the target directory was damaged (same length, other bytes): it no longer matches the listed hashes, so it is downloaded again.")
            .publish(|sim| sim.add_target(TARGETS, "file.txt", CONTENT))
            .init().download(&["file.txt"], true)
            .step(Step::CorruptTargetDir)
            .download(&["file.txt"], true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), t("file.txt")])
            .target_dir(&[CONTENT]),
        s("cache/stored-timestamp-used-after-restart", "5.4.3, CLIENT-CLI metadata directory",
          "Timestamp 3 is trusted by one process; a later process is served timestamp 2: the stored timestamp is loaded first, so the rollback is detected.")
            .init()
            .publish(|sim| sim.update("timestamp"))
            .publish(|sim| sim.update("timestamp"))
            .refresh(true)
            .publish(|sim| sim.serve_old("timestamp", 2))
            .refresh(false).requests(unchanged()).trusted("timestamp", 3),
    ]
}
