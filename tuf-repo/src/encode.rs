//! Encoding a role for publishing: the canonical form of `signed` is computed once, signed
//! (spec 4.2: signatures are made over the canonical JSON of `signed`), and re-indented into
//! the file, which is byte for byte what [`tuf_metadata::Metadata::to_bytes`] writes (sorted
//! keys, one-space indentation, as python-tuf writes by default) without encoding the role a
//! second time.
//!
//! A targets role with many targets is encoded in pieces on several threads: each piece is the
//! canonical form of a run of consecutive targets, and the pieces are joined in key order.
//! Signing and re-indenting a large role also run side by side.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use tuf_crypto::canonical::{self, CanonicalJsonError};
use tuf_crypto::{PrivateKey, Signer};
use tuf_metadata::{Signature, Signed, TargetFile, Targets};

use crate::Error;

/// Targets roles with at least this many targets are encoded in pieces on several threads.
pub(crate) const PIECEWISE_TARGETS: usize = 4096;

/// Canonical forms of at least this many bytes are signed and re-indented side by side.
const PARALLEL_BYTES: usize = 1 << 20;

/// A role ready to be written.
#[derive(Debug)]
pub(crate) struct Encoded {
    /// The file.
    pub(crate) bytes: Vec<u8>,
    /// Signatures made.
    pub(crate) signatures: usize,
}

/// The `signed` part of a targets role without its targets (`"targets": {}`), kept to be
/// joined with the targets encoded in pieces by [`canonical_targets`].
#[derive(Debug)]
pub(crate) struct TargetsShell(Value);

impl TargetsShell {
    /// The JSON form of `targets` with its targets left out (they are put back).
    pub(crate) fn of(targets: &mut Targets) -> TargetsShell {
        let entries = std::mem::take(&mut targets.targets);
        let shell = targets.to_value();
        targets.targets = entries;
        TargetsShell(shell)
    }
}

fn signing_error(role: &str, source: tuf_metadata::Error) -> Error {
    Error::Signing {
        role: role.to_owned(),
        source,
    }
}

fn canonical_error(role: &str, source: CanonicalJsonError) -> Error {
    signing_error(role, tuf_metadata::Error::CanonicalJson(source))
}

/// The canonical form of `signed`.
pub(crate) fn canonical_of<T: Signed>(role: &str, signed: &T) -> Result<Vec<u8>, Error> {
    canonical::to_vec(&signed.to_value()).map_err(|e| canonical_error(role, e))
}

/// The canonical form of `targets` (whose shell is `shell`), its targets encoded in `pieces`
/// runs on as many threads. Equal to `canonical::to_vec(&targets.to_value())`.
pub(crate) fn canonical_targets(
    role: &str,
    targets: &BTreeMap<String, TargetFile>,
    shell: &TargetsShell,
    pieces: usize,
) -> Result<Vec<u8>, Error> {
    let Value::Object(fields) = &shell.0 else {
        return Err(canonical_error(
            role,
            CanonicalJsonError::Syntax {
                offset: 0,
                reason: "the targets role is not an object",
            },
        ));
    };
    let pieces = pieces.clamp(1, targets.len().max(1));
    let per_piece = targets.len().div_ceil(pieces);
    let encode_run = |start: usize| -> Result<Vec<u8>, CanonicalJsonError> {
        let mut out = Vec::with_capacity(per_piece.saturating_mul(160));
        for (index, (path, file)) in targets.iter().skip(start).take(per_piece).enumerate() {
            if index > 0 {
                out.push(b',');
            }
            canonical::write(&Value::String(path.clone()), &mut out)?;
            out.push(b':');
            canonical::write(&file.to_value(), &mut out)?;
        }
        Ok(out)
    };
    let runs: Vec<Result<Vec<u8>, CanonicalJsonError>> = if pieces == 1 {
        vec![encode_run(0)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..pieces)
                .map(|piece| {
                    let encode_run = &encode_run;
                    scope.spawn(move || encode_run(piece.saturating_mul(per_piece)))
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().map_err(|_| Error::WorkerPanicked))
                .collect::<Result<_, Error>>()
        })?
    };
    let total: usize = runs.iter().flatten().map(Vec::len).sum();
    // The object as `canonical::write` writes it: members sorted by the bytes of their keys,
    // the targets member made of the runs.
    let mut members: Vec<(&String, &Value)> = fields.iter().collect();
    members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = Vec::with_capacity(total.saturating_add(4096));
    out.push(b'{');
    let mut runs = runs.into_iter();
    for (index, (name, value)) in members.into_iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        canonical::write(&Value::String(name.clone()), &mut out)
            .map_err(|e| canonical_error(role, e))?;
        out.push(b':');
        if name == "targets" {
            out.push(b'{');
            let mut first = true;
            for run in runs.by_ref() {
                let run = run.map_err(|e| canonical_error(role, e))?;
                if run.is_empty() {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(&run);
            }
            out.push(b'}');
        } else {
            canonical::write(value, &mut out).map_err(|e| canonical_error(role, e))?;
        }
    }
    out.push(b'}');
    Ok(out)
}

/// Signs `canonical` with each signer, as [`tuf_metadata::Metadata::sign`] does (a second
/// signature by one key id replaces the first).
fn sign(
    role: &str,
    canonical: &[u8],
    signers: &[Arc<PrivateKey>],
) -> Result<Vec<Signature>, Error> {
    let mut signatures: Vec<Signature> = Vec::with_capacity(signers.len());
    for signer in signers {
        let raw = signer
            .try_sign(canonical)
            .map_err(|e| signing_error(role, tuf_metadata::Error::Signing(e)))?;
        let signature = Signature::new(signer.key_id(), hex::encode(raw));
        match signatures.iter_mut().find(|s| s.keyid == signature.keyid) {
            Some(existing) => *existing = signature,
            None => signatures.push(signature),
        }
    }
    Ok(signatures)
}

/// Signs the canonical form of a role and lays out its file.
pub(crate) fn sign_and_lay_out(
    role: &str,
    canonical: &[u8],
    signers: &[Arc<PrivateKey>],
) -> Result<Encoded, Error> {
    let (signatures, body) = if canonical.len() >= PARALLEL_BYTES {
        std::thread::scope(|scope| {
            let body = scope.spawn(|| {
                let mut body = Vec::with_capacity(canonical.len().saturating_mul(5) / 4);
                pretty_from_canonical(canonical, 1, &mut body);
                body
            });
            let signatures = sign(role, canonical, signers);
            let body = body.join().map_err(|_| Error::WorkerPanicked);
            Ok::<_, Error>((signatures?, body?))
        })?
    } else {
        let mut body = Vec::with_capacity(canonical.len().saturating_mul(5) / 4);
        pretty_from_canonical(canonical, 1, &mut body);
        (sign(role, canonical, signers)?, body)
    };
    Ok(Encoded {
        bytes: envelope(&signatures, &body),
        signatures: signatures.len(),
    })
}

/// The file of a role: `{"signatures": [...], "signed": ...}` pretty-printed, with `body` the
/// pretty form of `signed` at nesting depth 1.
fn envelope(signatures: &[Signature], body: &[u8]) -> Vec<u8> {
    let mut head = serde_json::Map::new();
    head.insert(
        "signatures".to_owned(),
        Value::Array(signatures.iter().map(Signature::to_value).collect()),
    );
    let mut out = Vec::with_capacity(body.len().saturating_add(1024));
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Writing a `Value` of strings to memory cannot fail.
    if serde::Serialize::serialize(&Value::Object(head), &mut serializer).is_err() {
        out.clear();
    }
    // `{\n "signatures": [...]\n}`: `signed` sorts after `signatures`, so it goes last.
    if out.ends_with(b"\n}") {
        out.truncate(out.len().saturating_sub(2));
    }
    out.extend_from_slice(b",\n \"signed\": ");
    out.extend_from_slice(body);
    out.extend_from_slice(b"\n}");
    out
}

/// Appends `canonical`, canonical JSON as [`tuf_crypto::canonical`] writes it, re-indented as
/// serde_json's pretty printer with a one-space indent writes the same value nested `depth`
/// levels deep: a line per member and per array item, `": "` after keys, `{}` and `[]` for
/// empty containers, and control characters in strings escaped (canonical JSON writes them
/// raw, JSON text may not).
pub(crate) fn pretty_from_canonical(canonical: &[u8], depth: usize, out: &mut Vec<u8>) {
    let mut depth = depth;
    let mut rest = canonical;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'"' => {
                out.push(b'"');
                rest = copy_string(rest, out);
            }
            b'{' | b'[' => {
                let close = if byte == b'{' { b'}' } else { b']' };
                out.push(byte);
                if let Some(tail) = rest.strip_prefix(&[close]) {
                    out.push(close);
                    rest = tail;
                } else {
                    depth = depth.saturating_add(1);
                    new_line(out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                new_line(out, depth);
                out.push(byte);
            }
            b',' => {
                out.push(b',');
                new_line(out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(byte),
        }
    }
}

fn new_line(out: &mut Vec<u8>, depth: usize) {
    out.push(b'\n');
    out.resize(out.len().saturating_add(depth), b' ');
}

/// Copies the rest of a string (after its opening quote) up to and including its closing
/// quote, escaping control characters as serde_json does; returns what follows.
fn copy_string<'a>(mut rest: &'a [u8], out: &mut Vec<u8>) -> &'a [u8] {
    loop {
        let plain = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(rest.len());
        let Some((run, special)) = rest.split_at_checked(plain) else {
            return &[];
        };
        out.extend_from_slice(run);
        let Some((&byte, tail)) = special.split_first() else {
            return special;
        };
        rest = tail;
        match byte {
            b'"' => {
                out.push(b'"');
                return rest;
            }
            // Canonical JSON escapes only `\` and `"`: copy the escape as it is.
            b'\\' => {
                out.push(b'\\');
                if let Some((&escaped, tail)) = rest.split_first() {
                    out.push(escaped);
                    rest = tail;
                }
            }
            control => out.extend_from_slice(&control_escape(control)),
        }
    }
}

/// serde_json's escape of a control character.
fn control_escape(byte: u8) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match byte {
        0x08 => b"\\b".to_vec(),
        0x09 => b"\\t".to_vec(),
        0x0a => b"\\n".to_vec(),
        0x0c => b"\\f".to_vec(),
        0x0d => b"\\r".to_vec(),
        _ => {
            let digit = |n: u8| HEX.get(usize::from(n & 0x0f)).copied().unwrap_or(b'0');
            vec![b'\\', b'u', b'0', b'0', digit(byte >> 4), digit(byte)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tuf_crypto::Scheme;
    use tuf_metadata::{
        Delegations, Keys, MetaFile, Metadata, Root, Snapshot, SuccinctRoles, Timestamp,
    };

    fn expires() -> tuf_metadata::Expires {
        "2030-01-01T00:00:00Z".parse().unwrap()
    }

    fn key() -> Arc<PrivateKey> {
        Arc::new(PrivateKey::generate(Scheme::Ed25519).unwrap())
    }

    /// Our file equals `Metadata::to_bytes` of the role signed by the same keys, and the
    /// canonical form is the one `Metadata` signs.
    fn same_as_metadata<T: Signed + Clone>(signed: &T, signers: &[Arc<PrivateKey>]) {
        let canonical = canonical_of("role", signed).unwrap();
        let encoded = sign_and_lay_out("role", &canonical, signers).unwrap();
        let mut metadata = Metadata::new(signed.clone());
        for signer in signers {
            metadata.sign(signer.as_ref()).unwrap();
        }
        assert_eq!(
            String::from_utf8_lossy(&encoded.bytes),
            String::from_utf8_lossy(&metadata.to_bytes())
        );
        assert_eq!(encoded.signatures, metadata.signatures().len());
        let parsed = Metadata::<T>::from_bytes(&encoded.bytes).unwrap();
        assert_eq!(
            parsed.signed_bytes().unwrap().as_ref(),
            canonical.as_slice()
        );
    }

    fn target(i: usize) -> TargetFile {
        TargetFile::from_data(format!("target {i}").as_bytes(), &["sha256", "sha512"]).unwrap()
    }

    /// Targets with custom fields, odd strings and an unrecognised field.
    fn varied_targets(count: usize) -> Targets {
        let mut targets = Targets::new(expires());
        for i in 0..count {
            let mut file = target(i);
            if i % 3 == 0 {
                file.custom = Some(
                    json!({
                        "text": format!("quote \" backslash \\ tab \t nul \u{0} del \u{7f} é {i}"),
                        "nested": {"empty": {}, "list": [], "items": [1, -2, "x", null, true]},
                    })
                    .as_object()
                    .unwrap()
                    .clone(),
                );
            }
            let path = match i % 4 {
                0 => format!("dir/file-{i}.tar.gz"),
                1 => format!("ünïcödé/{i} with space"),
                2 => format!("a\"quote/{i}"),
                _ => format!("back\\slash-{i}"),
            };
            targets.targets.insert(path, file);
        }
        targets
            .unrecognized_fields
            .insert("x-extra".to_owned(), json!({"b": 1, "a": [{}]}));
        targets
    }

    #[test]
    fn files_equal_metadata_to_bytes() {
        let (one, two) = (key(), key());
        same_as_metadata(&Targets::new(expires()), &[]);
        same_as_metadata(&varied_targets(50), std::slice::from_ref(&one));
        same_as_metadata(&varied_targets(7), &[one.clone(), two.clone(), one.clone()]);

        let mut root = Root::new(expires());
        root.consistent_snapshot = Some(true);
        for role in tuf_metadata::TOP_LEVEL_ROLE_NAMES {
            root.add_key(role, key().public_key().clone()).unwrap();
        }
        same_as_metadata(&root, &[one.clone(), two.clone()]);

        let mut snapshot = Snapshot::new(expires());
        snapshot
            .meta
            .insert("targets.json".to_owned(), MetaFile::new(3));
        snapshot.meta.insert(
            "bin-0.json".to_owned(),
            MetaFile::from_data(1, b"bin", &["sha256"]).unwrap(),
        );
        same_as_metadata(&snapshot, std::slice::from_ref(&one));

        let mut timestamp = Timestamp::new(expires());
        timestamp.snapshot_meta = MetaFile::from_data(2, b"snapshot", &["sha256"]).unwrap();
        same_as_metadata(&timestamp, std::slice::from_ref(&two));

        let mut parent = Targets::new(expires());
        let bins = SuccinctRoles::new(vec![one.key_id()], 1, 4, "bin").unwrap();
        parent.delegations = Some(Delegations {
            keys: Keys::from([(one.key_id(), one.public_key().clone())]),
            roles: None,
            succinct_roles: Some(bins),
            unrecognized_fields: Default::default(),
        });
        same_as_metadata(&parent, &[one]);
    }

    #[test]
    fn every_control_character_is_escaped_as_serde_json_does() {
        let text: String = (0u8..0x80).map(char::from).collect();
        let value = json!({"k": text, "e": "", "a": [[], {}, [[]]]});
        let canonical = canonical::to_vec(&value).unwrap();
        let mut pretty = Vec::new();
        pretty_from_canonical(&canonical, 0, &mut pretty);
        let expected = {
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            serde::Serialize::serialize(&value, &mut serializer).unwrap();
            out
        };
        assert_eq!(
            String::from_utf8_lossy(&pretty),
            String::from_utf8_lossy(&expected)
        );
    }

    #[test]
    fn targets_in_pieces_equal_the_whole() {
        for count in [0, 1, 2, 3, 10, 101] {
            let mut targets = varied_targets(count);
            let whole = canonical::to_vec(&targets.to_value()).unwrap();
            let shell = TargetsShell::of(&mut targets);
            assert_eq!(targets.targets.len(), count, "the targets are put back");
            for pieces in [1, 2, 3, 8, 200] {
                let joined = canonical_targets("t", &targets.targets, &shell, pieces).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&joined),
                    String::from_utf8_lossy(&whole),
                    "{count} targets in {pieces} pieces"
                );
            }
        }
    }

    #[test]
    fn floats_are_refused_in_pieces_too() {
        let mut targets = varied_targets(4);
        let file = targets.targets.values_mut().next().unwrap();
        file.custom = Some(json!({"f": 1.5}).as_object().unwrap().clone());
        let shell = TargetsShell::of(&mut targets);
        let error = canonical_targets("t", &targets.targets, &shell, 2).unwrap_err();
        assert!(matches!(error, Error::Signing { .. }), "{error:?}");
        assert!(canonical_of("t", &targets).is_err());
    }
}
