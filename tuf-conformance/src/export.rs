//! The catalogue as language-neutral data: what `tuf-conformance export DIR` writes (into
//! `spec-vectors/data/conformance/`), so that a harness in Python, Go or JavaScript can replay
//! every scenario without the simulator. `spec-vectors/data/conformance/README.md` describes
//! the format for harness writers.
//!
//! Each scenario is run through a frozen simulator ([`RepositorySimulator::frozen`]: keys from
//! fixed seeds, a fixed "now" of [`FROZEN_NOW`], metadata valid for [`FROZEN_LIFETIME`]), step
//! by step as the runner does, and written down as:
//!
//! - `index.json`: the format version, the time rules, the padded blobs, and every scenario
//!   with its file, or with the reason it could not be exported;
//! - `scenarios/<name>.json`: one file per scenario, its client steps, each with the files and
//!   misbehaviours served at that point, the local changes made before it, and what must hold
//!   after it (exit code, requests, trusted files, target directory);
//! - `blobs/<sha256>`: every file body exactly, named by its SHA-256 (hex), stored once.
//!
//! The output is deterministic: maps are written with sorted keys, lists in catalogue or
//! request order, and no name or content depends on the time of the export.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::runner::{CORRUPT_FILL, CORRUPT_TRUSTED, DEFAULT_STEP_TIMEOUT};
use crate::scenario::{Req, Scenario, Step};
use crate::server::{ENDLESS_DECLARED_LENGTH, ENDLESS_LIMIT, SHORT_LENGTH_MISSING, TRUNCATE_EXTRA};
use crate::simulator::{Behaviour, FROZEN_LIFETIME, FROZEN_NOW, RepositorySimulator, SimOptions};
use crate::{Error, quote};

/// The version of the format in `index.json`; bumped on any change a harness must follow.
pub const FORMAT_VERSION: u64 = 1;
/// The index file of an export.
pub const INDEX: &str = "index.json";
/// The folder of the scenario files.
pub const SCENARIOS: &str = "scenarios";
/// The folder of the blobs.
pub const BLOBS: &str = "blobs";
/// The hand-written description of the format beside the data; the exporter leaves it alone.
pub const README: &str = "README.md";
/// A body ending in at least this many spaces (the padded metadata of the size-limit
/// scenarios) is stored as its prefix plus a count of spaces, not byte for byte.
pub const PAD_THRESHOLD: usize = 64 * 1024;

/// An export in memory: file contents by path relative to the export directory (`/`
/// separated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Export {
    /// Every file of the export except [`README`].
    pub files: BTreeMap<String, Vec<u8>>,
    /// The scenarios written.
    pub exported: usize,
    /// The scenarios listed in `index.json` as not exported, with the reason.
    pub not_exported: Vec<(String, String)>,
}

impl Export {
    /// The total size of the files, in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|f| f.len() as u64).sum()
    }

    /// Writes the export into `dir`: removes the `index.json`, `scenarios/` and `blobs/` there
    /// (and nothing else; `README.md` stays), then writes every file.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let io = |what: &Path, e| Error::io(what.display().to_string(), e);
        fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let index = dir.join(INDEX);
        if index.exists() {
            fs::remove_file(&index).map_err(|e| io(&index, e))?;
        }
        for sub in [SCENARIOS, BLOBS] {
            let path = dir.join(sub);
            if path.exists() {
                fs::remove_dir_all(&path).map_err(|e| io(&path, e))?;
            }
        }
        for (name, bytes) in &self.files {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        }
        Ok(())
    }

    /// How the export directory `dir` differs from this export, one line per file (`missing`,
    /// `differs`, `not in the export`); empty if it is up to date. [`README`] is not compared.
    pub fn differences(&self, dir: &Path) -> Vec<String> {
        let mut on_disk = BTreeMap::new();
        collect(dir, dir, &mut on_disk);
        on_disk.remove(README);
        let mut out = Vec::new();
        for (name, bytes) in &self.files {
            match on_disk.get(name) {
                None => out.push(format!("missing: {name}")),
                Some(found) if found != bytes => out.push(format!("differs: {name}")),
                Some(_) => {}
            }
        }
        for name in on_disk.keys().filter(|n| !self.files.contains_key(*n)) {
            out.push(format!("not in the export: {name}"));
        }
        out
    }
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let name: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.insert(name.join("/"), fs::read(&path).unwrap_or_default());
        }
    }
}

/// Every file body of an export, by SHA-256.
#[derive(Default)]
struct Blobs {
    stored: BTreeMap<String, Vec<u8>>,
    padded: BTreeMap<String, Value>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Blobs {
    /// Records `bytes` and returns their SHA-256 (hex), the name a scenario refers to them by.
    fn add(&mut self, bytes: &[u8]) -> String {
        let digest = sha256_hex(bytes);
        if self.stored.contains_key(&digest) || self.padded.contains_key(&digest) {
            return digest;
        }
        let prefix_len = bytes
            .iter()
            .rposition(|b| *b != b' ')
            .map_or(0, |last| last + 1);
        let spaces = bytes.len() - prefix_len;
        match bytes.get(..prefix_len) {
            Some(prefix) if spaces >= PAD_THRESHOLD => {
                let prefix_digest = self.add(prefix);
                self.padded.insert(
                    digest.clone(),
                    json!({"prefix": prefix_digest, "pad_byte": 32, "pad_count": spaces, "length": bytes.len()}),
                );
            }
            _ => {
                self.stored.insert(digest.clone(), bytes.to_vec());
            }
        }
        digest
    }
}

/// Why a scenario cannot be written down as data.
struct Unexportable(String);

/// What must hold after one client step.
#[derive(Default)]
struct Expect {
    exit_code: u8,
    requests: Option<(bool, Vec<Value>)>,
    trusted: BTreeMap<String, Option<u64>>,
    metadata_files: Option<Vec<String>>,
    target_dir: Option<Vec<String>>,
}

impl Expect {
    fn to_json(&self) -> Value {
        let trusted: Vec<Value> = self
            .trusted
            .iter()
            .map(|(role, version)| {
                json!({"role": role, "file": format!("{}.json", quote(role)), "version": version})
            })
            .collect();
        json!({
            "exit_code": self.exit_code,
            "requests": self.requests.as_ref().map(|(collapse, expected)| {
                json!({"collapse_repeats": collapse, "expected": expected})
            }),
            "trusted": trusted,
            "metadata_files": self.metadata_files,
            "target_dir": self.target_dir,
        })
    }
}

/// One client call as it is written down.
struct ClientStep {
    call: serde_json::Map<String, Value>,
    expect: Expect,
}

/// The behaviour as data, or why it cannot be.
fn behaviour_json(behaviour: &Behaviour) -> Result<Value, Unexportable> {
    Ok(match behaviour {
        Behaviour::NotFound => json!({"kind": "not-found"}),
        Behaviour::Status(code) => json!({"kind": "status", "status": code}),
        Behaviour::Drop => json!({"kind": "drop"}),
        Behaviour::Endless => json!({"kind": "endless"}),
        Behaviour::EndlessDeclared => {
            json!({"kind": "endless", "content_length": ENDLESS_DECLARED_LENGTH})
        }
        Behaviour::Trickle { bytes_per_second } => {
            json!({"kind": "trickle", "bytes_per_second": bytes_per_second})
        }
        Behaviour::Truncate => json!({"kind": "truncate", "declared_extra": TRUNCATE_EXTRA}),
        Behaviour::ShortLength => {
            json!({"kind": "short-length", "declared_missing": SHORT_LENGTH_MISSING})
        }
        Behaviour::Redirect { .. } => {
            return Err(Unexportable(
                "a redirect to another host: its address exists only while the simulator's \
                 second server runs"
                    .into(),
            ));
        }
    })
}

/// The served state as data: files by path (SHA-256 of each body) and misbehaviours by path.
fn serve_json(
    files: &BTreeMap<String, Vec<u8>>,
    behaviours: &BTreeMap<String, Behaviour>,
    blobs: &mut Blobs,
) -> Result<Value, Unexportable> {
    let files: BTreeMap<&String, String> = files.iter().map(|(p, b)| (p, blobs.add(b))).collect();
    let mut out = serde_json::Map::new();
    for (path, behaviour) in behaviours {
        out.insert(path.clone(), behaviour_json(behaviour)?);
    }
    Ok(json!({"files": files, "behaviours": out}))
}

fn options_json(options: &SimOptions) -> Value {
    json!({
        "consistent_snapshot": options.consistent_snapshot,
        "key_scheme": options.scheme.as_str(),
        "timestamp_lists_hashes": options.timestamp_lists_hashes,
        "snapshot_lists_hashes": options.snapshot_lists_hashes,
    })
}

/// Whether `name` can be used as a relative file path as it is.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
        })
}

/// Runs `scenario` on a frozen simulator and writes it down.
fn export_scenario(
    scenario: &Scenario,
    blobs: &mut Blobs,
) -> Result<Result<Value, Unexportable>, Error> {
    let fail = |reason: &str| Ok(Err(Unexportable(reason.to_owned())));
    if !safe_name(&scenario.name) {
        return fail("the name is not usable as a file path");
    }
    let mut sim = RepositorySimulator::frozen(scenario.options)?;
    let mut files = sim.files()?;
    let mut steps: Vec<ClientStep> = Vec::new();
    let mut pending: Vec<Value> = Vec::new();
    let mut timed = false;
    for step in &scenario.steps {
        let call = |command: &str| {
            let mut call = serde_json::Map::new();
            call.insert("command".into(), Value::from(command));
            call
        };
        let (mut call, expect_ok) = match step {
            Step::Publish(change) => {
                change(&mut sim)?;
                files = sim.files()?;
                continue;
            }
            Step::Init | Step::InitRoot(_) => {
                let version = match step {
                    Step::InitRoot(v) => *v,
                    _ => 1,
                };
                let Some(root) = sim.published_root(version) else {
                    return Err(Error::NoSuchVersion {
                        role: "root".into(),
                        version,
                    });
                };
                let mut init = call("init");
                init.insert("root".into(), Value::from(blobs.add(root)));
                (init, true)
            }
            Step::Refresh { expect_ok } => (call("refresh"), *expect_ok),
            Step::Download { targets, expect_ok } => {
                let mut download = call("download");
                download.insert("targets".into(), json!(targets));
                (download, *expect_ok)
            }
            Step::CorruptTrusted(role) => {
                pending.push(json!({
                    "action": "corrupt-trusted",
                    "role": role,
                    "file": format!("{}.json", quote(role)),
                    "content": String::from_utf8_lossy(CORRUPT_TRUSTED),
                }));
                continue;
            }
            Step::DeleteTrusted(role) => {
                pending.push(json!({
                    "action": "delete-trusted",
                    "role": role,
                    "file": format!("{}.json", quote(role)),
                }));
                continue;
            }
            Step::CorruptTargetDir => {
                pending.push(json!({"action": "corrupt-target-dir", "fill_byte": CORRUPT_FILL}));
                continue;
            }
            check => {
                if !pending.is_empty() {
                    return fail("a check follows a local change with no client call between");
                }
                let Some(last) = steps.last_mut() else {
                    return fail("a check comes before any client call");
                };
                if let Err(reason) = record_check(&sim, check, &mut last.expect, blobs) {
                    return Ok(Err(reason));
                }
                continue;
            }
        };
        timed |= sim
            .behaviours()
            .values()
            .any(|b| matches!(b, Behaviour::Trickle { .. }));
        let serve = match serve_json(&files, sim.behaviours(), blobs) {
            Ok(serve) => serve,
            Err(reason) => return Ok(Err(reason)),
        };
        call.insert("serve".into(), serve);
        call.insert("prepare".into(), Value::Array(std::mem::take(&mut pending)));
        steps.push(ClientStep {
            call,
            expect: Expect {
                exit_code: if expect_ok { 0 } else { 1 },
                ..Expect::default()
            },
        });
    }
    if !pending.is_empty() {
        return fail("a local change after the last client call");
    }
    let steps: Vec<Value> = steps
        .into_iter()
        .map(|step| {
            let mut call = step.call;
            call.insert("expect".into(), step.expect.to_json());
            Value::Object(call)
        })
        .collect();
    Ok(Ok(json!({
        "name": scenario.name,
        "spec_ref": scenario.spec_ref,
        "description": scenario.description,
        "options": options_json(&scenario.options),
        "needs_step_timeout": timed,
        "steps": steps,
    })))
}

/// Adds the check `step` to the expectations of the client call before it.
fn record_check(
    sim: &RepositorySimulator,
    step: &Step,
    expect: &mut Expect,
    blobs: &mut Blobs,
) -> Result<(), Unexportable> {
    let conflict = |what: &str| {
        Err(Unexportable(format!(
            "two different {what} checks after one client call"
        )))
    };
    match step {
        Step::Requests(requests) | Step::RequestsWithRetries(requests) => {
            let collapse = matches!(step, Step::RequestsWithRetries(_));
            let expected: Vec<Value> = requests
                .iter()
                .map(|r| match r {
                    Req::Path(path) => json!({"path": path, "compare": "exact"}),
                    Req::Target(path) => json!({
                        "path": sim.target_request_path(path),
                        "compare": "percent-decoded",
                    }),
                })
                .collect();
            let new = (collapse, expected);
            if expect.requests.as_ref().is_some_and(|old| *old != new) {
                return conflict("request");
            }
            expect.requests = Some(new);
        }
        Step::Trusted { role, version } => {
            if expect.trusted.get(role).is_some_and(|old| old != version) {
                return conflict("trusted-version");
            }
            expect.trusted.insert(role.clone(), *version);
        }
        Step::MetadataFiles(roles) => {
            let mut names: Vec<String> =
                roles.iter().map(|r| format!("{}.json", quote(r))).collect();
            names.sort();
            if expect
                .metadata_files
                .as_ref()
                .is_some_and(|old| *old != names)
            {
                return conflict("metadata-directory");
            }
            expect.metadata_files = Some(names);
        }
        Step::TargetDir(contents) => {
            let mut digests: Vec<String> = contents.iter().map(|c| blobs.add(c)).collect();
            digests.sort();
            if expect
                .target_dir
                .as_ref()
                .is_some_and(|old| *old != digests)
            {
                return conflict("target-directory");
            }
            expect.target_dir = Some(digests);
        }
        _ => {}
    }
    Ok(())
}

fn json_bytes(value: &Value) -> Result<Vec<u8>, Error> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn time_text(seconds: i64) -> Result<String, Error> {
    tuf_metadata::Expires::from_unix_seconds(seconds)
        .map(|e| e.to_string())
        .ok_or(Error::Time { seconds })
}

/// Exports `scenarios` (normally the whole [`crate::catalogue::catalogue`]).
///
/// # Errors
/// A scenario that fails to build ([`Error`] from the simulator), or JSON failures. A scenario
/// that builds but cannot be written down as data is no error: it is listed in `index.json`
/// under `not_exported` with the reason.
pub fn export(scenarios: &[Scenario]) -> Result<Export, Error> {
    let mut blobs = Blobs::default();
    let mut out = Export::default();
    let mut index_entries = Vec::new();
    let mut not_exported = Vec::new();
    for scenario in scenarios {
        match export_scenario(scenario, &mut blobs)? {
            Ok(value) => {
                let file = format!("{SCENARIOS}/{}.json", scenario.name);
                index_entries.push(json!({
                    "name": scenario.name,
                    "spec_ref": scenario.spec_ref,
                    "file": file,
                    "needs_step_timeout": value.get("needs_step_timeout").cloned().unwrap_or(Value::Bool(false)),
                }));
                out.files.insert(file, json_bytes(&value)?);
                out.exported += 1;
            }
            Err(Unexportable(reason)) => {
                not_exported.push(
                    json!({"name": scenario.name, "spec_ref": scenario.spec_ref, "reason": reason}),
                );
                out.not_exported.push((scenario.name.clone(), reason));
            }
        }
    }
    let index = json!({
        "format": "tuf-conformance scenarios",
        "format_version": FORMAT_VERSION,
        "regenerate": "cargo run -p tuf-conformance -- export spec-vectors/data/conformance",
        "time": {
            "reference_time": time_text(FROZEN_NOW)?,
            "expired": time_text(FROZEN_NOW - 24 * 3600)?,
            "valid_until": time_text(FROZEN_NOW + FROZEN_LIFETIME)?,
        },
        "client": {
            "metadata_url": "metadata/",
            "target_base_url": "targets/",
            "step_timeout_seconds": DEFAULT_STEP_TIMEOUT.as_secs(),
        },
        "server": {
            "endless_limit_bytes": ENDLESS_LIMIT,
        },
        "padded_blobs": blobs.padded,
        "scenarios": index_entries,
        "not_exported": not_exported,
    });
    out.files.insert(INDEX.to_owned(), json_bytes(&index)?);
    for (digest, bytes) in blobs.stored {
        out.files.insert(format!("{BLOBS}/{digest}"), bytes);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::TARGETS;

    #[test]
    fn padded_bodies_are_stored_as_prefix_and_count() {
        let mut blobs = Blobs::default();
        let mut body = b"{\"a\": 1}".to_vec();
        body.resize(body.len() + PAD_THRESHOLD, b' ');
        let digest = blobs.add(&body);
        assert_eq!(digest, sha256_hex(&body));
        let entry = &blobs.padded[&digest];
        assert_eq!(entry["prefix"], sha256_hex(b"{\"a\": 1}"));
        assert_eq!(entry["pad_count"], PAD_THRESHOLD);
        assert!(blobs.stored.contains_key(&sha256_hex(b"{\"a\": 1}")));
        assert!(!blobs.stored.contains_key(&digest));
        // Short runs of spaces are stored as they are.
        let small = blobs.add(b"x   ");
        assert_eq!(blobs.stored[&small], b"x   ");
    }

    #[test]
    fn inexpressible_scenarios_are_listed_with_a_reason() {
        let redirect = Scenario::new("t/redirect", "5.4.1", "a redirect")
            .publish(|sim| {
                let to = std::net::SocketAddr::from(([127, 0, 0, 1], 9));
                sim.set_behaviour("metadata/timestamp.json", Behaviour::Redirect { to });
                Ok(())
            })
            .init()
            .refresh(false);
        let early_check = Scenario::new("t/early", "5.4", "a check first")
            .trusted("root", 1)
            .init()
            .refresh(true);
        let ok = Scenario::new("t/ok", "5.7", "fine")
            .publish(|sim| sim.add_target(TARGETS, "a.txt", b"a"))
            .init()
            .download(&["a.txt"], true)
            .target_dir(&[b"a"]);
        let export = export(&[redirect, early_check, ok]).unwrap();
        assert_eq!(export.exported, 1);
        let names: Vec<&str> = export
            .not_exported
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["t/redirect", "t/early"]);
        let index: Value = serde_json::from_slice(&export.files[INDEX]).unwrap();
        assert_eq!(index["not_exported"][0]["name"], "t/redirect");
        assert!(
            index["not_exported"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("redirect")
        );
        assert!(export.files.contains_key("scenarios/t/ok.json"));
        assert!(
            export
                .files
                .contains_key(&format!("blobs/{}", sha256_hex(b"a")))
        );
    }

    #[test]
    fn the_same_scenarios_export_the_same_bytes() {
        let make = || {
            vec![
                Scenario::new("t/a", "5.7", "x")
                    .options(SimOptions {
                        scheme: tuf_crypto::Scheme::RsassaPssSha256,
                        ..SimOptions::default()
                    })
                    .publish(|sim| sim.add_target(TARGETS, "a.txt", b"a"))
                    .init()
                    .download(&["a.txt"], true),
            ]
        };
        assert_eq!(export(&make()).unwrap(), export(&make()).unwrap());
    }
}
