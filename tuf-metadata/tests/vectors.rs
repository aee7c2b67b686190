//! Replays the spec-vectors made by the reference implementation (python-tuf and
//! securesystemslib): canonical JSON byte for byte, every metadata document (valid ones
//! accepted and written back exactly, invalid ones refused with the tagged error), and every
//! repository python-tuf signed, verified here role by role.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use tuf_metadata::{Error, Metadata, Root, Signed, Snapshot, Targets, Timestamp, canonical};

/// Received metadata is canonicalised from its text; that must agree with securesystemslib's
/// `encode_canonical(json.loads(text))` on every vector, refusals included. (The `Value` path,
/// used for metadata built in memory, is checked in tuf-crypto's own vector test.)
#[test]
fn canonical_json_matches_securesystemslib() {
    let cases = spec_vectors::canonical_json().unwrap();
    assert!(cases.len() >= 40, "only {} canonical cases", cases.len());
    for case in &cases {
        let ours = canonical::from_json_text(case.input.as_bytes())
            .ok()
            .map(|bytes| String::from_utf8(bytes).unwrap());
        assert_eq!(ours, case.expected, "{}: {}", case.name, case.description);
    }
}

fn parse(role: &str, bytes: &[u8]) -> Result<(Value, Vec<u8>), Error> {
    fn go<T: Signed>(bytes: &[u8]) -> Result<(Value, Vec<u8>), Error> {
        let m = Metadata::<T>::from_bytes(bytes)?;
        Ok((m.to_value(), m.signed_bytes()?.into_owned()))
    }
    match role {
        "root" => go::<Root>(bytes),
        "timestamp" => go::<Timestamp>(bytes),
        "snapshot" => go::<Snapshot>(bytes),
        _ => go::<Targets>(bytes),
    }
}

/// Error kinds that satisfy a vector's tag. A value of the wrong JSON type for a typed field
/// (say `version: "1"`) is reported as a field-type error naming that field.
fn acceptable(tag: &str) -> &'static [&'static str] {
    match tag {
        "version" => &["version", "field_type"],
        "length" => &["length", "field_type"],
        "threshold" => &["threshold", "field_type"],
        "bit_length" => &["bit_length", "field_type"],
        "spec_version" => &["spec_version", "field_type"],
        "expires" => &["expires", "field_type"],
        "hashes" => &["hashes", "field_type"],
        "float" => &["float", "field_type"],
        "root_roles" => &["root_roles"],
        "missing_field" => &["missing_field", "timestamp_meta"],
        "json" => &["json"],
        "type" => &["type", "field_type"],
        "field_type" => &["field_type"],
        "duplicate_signature" => &["duplicate_signature"],
        "nonunique_keyids" => &["nonunique_keyids"],
        "delegated_role_duplicate" => &["delegated_role_duplicate"],
        "delegated_role_name" => &["delegated_role_name"],
        "paths_and_prefixes" => &["paths_and_prefixes"],
        "roles_and_succinct" => &["roles_and_succinct"],
        _ => &[],
    }
}

#[test]
fn metadata_documents_as_the_reference_judges_them() {
    let cases = spec_vectors::metadata().unwrap();
    assert!(cases.len() >= 60, "only {} metadata cases", cases.len());
    let (mut valid, mut invalid) = (0, 0);
    for case in &cases {
        let result = parse(&case.role, case.document.as_bytes());
        if case.valid {
            let (written, signed_bytes) =
                result.unwrap_or_else(|e| panic!("{}: refused a valid document: {e}", case.name));
            let input: Value = serde_json::from_str(&case.document).unwrap();
            assert_eq!(
                written, input,
                "{}: round trip changed the document",
                case.name
            );
            assert_eq!(
                signed_bytes,
                canonical::to_vec(&input["signed"]).unwrap(),
                "{}: signed bytes differ from the canonical input",
                case.name
            );
            valid += 1;
        } else {
            let tag = case.error.as_deref().unwrap_or_default();
            let err = result.err().unwrap_or_else(|| {
                panic!(
                    "{}: accepted an invalid document (tag {tag}): {}",
                    case.name, case.description
                )
            });
            assert!(
                acceptable(tag).contains(&err.kind()),
                "{}: tag {tag}, but we raised {} ({err})",
                case.name,
                err.kind()
            );
            invalid += 1;
        }
    }
    assert!(
        valid > 20 && invalid > 60,
        "valid {valid}, invalid {invalid}"
    );
}

/// Verifies a python-tuf repository as a client would: root chain, top-level roles by root,
/// delegated roles by their delegators, and the hashes snapshot and timestamp list.
fn verify_repository(repo: &spec_vectors::Repository) -> Result<usize, String> {
    let file = |name: &str| {
        repo.file(name)
            .ok_or_else(|| format!("{}: no {name}", repo.name))
    };
    let index = &repo.index;
    let trusted = index["trusted_root"].as_str().ok_or("no trusted_root")?;
    let mut root = Metadata::<Root>::from_bytes(file(trusted)?).map_err(|e| e.to_string())?;
    root.verify_delegate("root", &root)
        .map_err(|e| format!("{trusted}: {e}"))?;
    let mut checked = 1;
    for update in index["root_updates"].as_array().into_iter().flatten() {
        let name = update.as_str().ok_or("bad root_updates")?;
        let next = Metadata::<Root>::from_bytes(file(name)?).map_err(|e| e.to_string())?;
        if next.signed().version != root.signed().version + 1 {
            return Err(format!("{name}: not the next version"));
        }
        root.verify_delegate("root", &next)
            .map_err(|e| format!("{name} by previous root: {e}"))?;
        next.verify_delegate("root", &next)
            .map_err(|e| format!("{name} by itself: {e}"))?;
        root = next;
        checked += 1;
    }
    let roles = &index["roles"];
    let role_bytes = |role: &str| -> Result<&[u8], String> {
        file(
            roles[role]
                .as_str()
                .ok_or_else(|| format!("no {role} in index"))?,
        )
    };
    let ts_bytes = role_bytes("timestamp")?;
    let timestamp = Metadata::<Timestamp>::from_bytes(ts_bytes).map_err(|e| e.to_string())?;
    root.verify_delegate("timestamp", &timestamp)
        .map_err(|e| format!("timestamp: {e}"))?;
    let snap_bytes = role_bytes("snapshot")?;
    let snapshot = Metadata::<Snapshot>::from_bytes(snap_bytes).map_err(|e| e.to_string())?;
    root.verify_delegate("snapshot", &snapshot)
        .map_err(|e| format!("snapshot: {e}"))?;
    timestamp
        .signed()
        .snapshot_meta
        .verify_length_and_hashes(snap_bytes)
        .map_err(|e| format!("snapshot meta: {e}"))?;
    let targets_bytes = role_bytes("targets")?;
    let targets = Metadata::<Targets>::from_bytes(targets_bytes).map_err(|e| e.to_string())?;
    root.verify_delegate("targets", &targets)
        .map_err(|e| format!("targets: {e}"))?;
    checked += 3;
    let mut all_targets = std::collections::BTreeMap::new();
    all_targets.insert("targets".to_owned(), targets);
    for delegation in index["delegations"].as_array().into_iter().flatten() {
        let (Some(delegator), Some(delegatee), Some(name)) = (
            delegation[0].as_str(),
            delegation[1].as_str(),
            delegation[2].as_str(),
        ) else {
            return Err("bad delegation entry".into());
        };
        let bytes = file(name)?;
        let delegate =
            Metadata::<Targets>::from_bytes(bytes).map_err(|e| format!("{name}: {e}"))?;
        let parent = all_targets
            .get(delegator)
            .ok_or_else(|| format!("{delegator} unknown"))?;
        parent
            .verify_delegate(delegatee, &delegate)
            .map_err(|e| format!("{delegatee} by {delegator}: {e}"))?;
        let meta = snapshot
            .signed()
            .role_meta(delegatee)
            .ok_or_else(|| format!("{delegatee} not in snapshot"))?;
        if meta.version != delegate.signed().version {
            return Err(format!("{delegatee}: snapshot version mismatch"));
        }
        meta.verify_length_and_hashes(bytes)
            .map_err(|e| format!("{delegatee}: {e}"))?;
        all_targets.insert(delegatee.to_owned(), delegate);
        checked += 1;
    }
    for (path, info) in index["target_files"].as_object().into_iter().flatten() {
        let role = info["role"].as_str().ok_or("bad target_files")?;
        let data = file(info["file"].as_str().ok_or("bad target_files")?)?;
        let listed = all_targets
            .get(role)
            .and_then(|t| t.signed().targets.get(path))
            .ok_or_else(|| format!("{path} not listed by {role}"))?;
        listed
            .verify_length_and_hashes(data)
            .map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(checked)
}

#[test]
fn python_tuf_repositories_verify_here() {
    let repos = spec_vectors::repositories().unwrap();
    assert!(repos.len() >= 12, "only {} repositories", repos.len());
    for repo in &repos {
        let checked = verify_repository(repo).unwrap_or_else(|e| panic!("{}: {e}", repo.name));
        assert!(checked >= 5, "{}: only {checked} roles checked", repo.name);
    }
}

#[test]
fn tampered_python_tuf_repositories_fail_here() {
    for mut repo in spec_vectors::repositories().unwrap() {
        // Flip one hex digit of the first timestamp signature.
        let name = repo.index["roles"]["timestamp"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut value: Value = serde_json::from_slice(repo.file(&name).unwrap()).unwrap();
        let sig = value["signatures"][0]["sig"].as_str().unwrap().to_owned();
        let mut chars: Vec<char> = sig.chars().collect();
        chars[4] = if chars[4] == 'a' { 'b' } else { 'a' };
        value["signatures"][0]["sig"] = Value::String(chars.into_iter().collect());
        repo.files.insert(name, serde_json::to_vec(&value).unwrap());
        let err = verify_repository(&repo).expect_err(&repo.name);
        assert!(err.starts_with("timestamp:"), "{}: {err}", repo.name);
    }
}
