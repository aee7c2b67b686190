//! Encoding a role for publishing: the canonical form of `signed` is computed once, straight
//! from the struct ([`tuf_metadata::encode`]), and signed once per key (spec 4.2: signatures
//! are made over the canonical JSON of `signed`); the file is written from the struct too, and
//! is byte for byte what [`tuf_metadata::Metadata::to_bytes`] writes (sorted keys, one-space
//! indentation, as python-tuf writes by default).
//!
//! A targets role with many targets is encoded in pieces on several threads: each piece is the
//! canonical form of a run of consecutive targets, and the pieces are joined in key order.
//! The file form of a large role is written on a second thread while the first signs.

use std::sync::Arc;

use serde_json::Value;
use tuf_crypto::canonical::CanonicalJsonError;
use tuf_crypto::{PrivateKey, Signer};
use tuf_metadata::encode::{self as direct, Encode, Form};
use tuf_metadata::{Signature, Targets};

use crate::Error;

/// Targets roles with at least this many targets are encoded in pieces on several threads.
pub(crate) const PIECEWISE_TARGETS: usize = 4096;

/// Canonical forms of at least this many bytes are signed and laid out side by side.
const PARALLEL_BYTES: usize = 1 << 20;

/// Room left before the `signed` part of a file for the part that precedes it (the
/// signatures), so that the large `signed` part is not copied once the signatures are known.
const HEADROOM: usize = 4096;

/// A role ready to be written.
#[derive(Debug)]
pub(crate) struct Encoded {
    /// The file, from `start` on.
    bytes: Vec<u8>,
    start: usize,
    /// Signatures made.
    pub(crate) signatures: usize,
}

impl Encoded {
    /// The file.
    pub(crate) fn file(&self) -> &[u8] {
        self.bytes.get(self.start..).unwrap_or_default()
    }

    /// The file, owned.
    pub(crate) fn into_file(mut self) -> Vec<u8> {
        self.bytes.drain(..self.start.min(self.bytes.len()));
        self.bytes
    }
}

/// Writes the `signed` part of a file (pretty form, nested one level deep).
pub(crate) type Body<'a> = dyn Fn(&mut Vec<u8>) -> Result<(), CanonicalJsonError> + Sync + 'a;

fn signing_error(role: &str, source: tuf_metadata::Error) -> Error {
    Error::Signing {
        role: role.to_owned(),
        source,
    }
}

fn canonical_error(role: &str, source: CanonicalJsonError) -> Error {
    signing_error(role, tuf_metadata::Error::CanonicalJson(source))
}

/// The canonical form of `signed` (spec 4.2), written straight from the struct.
pub(crate) fn canonical_of<T: Encode>(role: &str, signed: &T) -> Result<Vec<u8>, Error> {
    signed.to_canonical().map_err(|e| canonical_error(role, e))
}

/// The canonical form of `targets`, its targets encoded in `pieces` runs of consecutive
/// entries on as many threads and joined in key order. Equal to [`canonical_of`].
pub(crate) fn canonical_targets(
    role: &str,
    targets: &Targets,
    pieces: usize,
) -> Result<Vec<u8>, Error> {
    let entries = &targets.targets;
    let pieces = pieces.clamp(1, entries.len().max(1));
    let per_piece = entries.len().div_ceil(pieces);
    let encode_run = |start: usize| -> Result<Vec<u8>, CanonicalJsonError> {
        let mut out = Vec::with_capacity(per_piece.saturating_mul(128));
        let run = entries.iter().skip(start).take(per_piece);
        direct::write_target_members(Form::Canonical, 0, run, start == 0, &mut out)?;
        Ok(out)
    };
    let runs: Vec<Result<Vec<u8>, CanonicalJsonError>> = if pieces == 1 {
        vec![encode_run(0)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..pieces)
                .map(|piece| {
                    let encode_run = &encode_run;
                    scope.spawn(move || encode_run(piece.saturating_mul(per_piece)))
                })
                .collect();
            // The first run on this thread.
            let mut runs = vec![encode_run(0)];
            for handle in handles {
                runs.push(handle.join().map_err(|_| Error::WorkerPanicked)?);
            }
            Ok::<_, Error>(runs)
        })?
    };
    let runs = runs
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| canonical_error(role, e))?;
    let total: usize = runs.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total.saturating_add(4096));
    direct::encode_targets_with(
        targets,
        Form::Canonical,
        0,
        &mut |out| {
            for run in &runs {
                out.extend_from_slice(run);
            }
            Ok(())
        },
        &mut out,
    )
    .map_err(|e| canonical_error(role, e))?;
    Ok(out)
}

/// The pretty form of the `signed` part of `signed`'s file.
pub(crate) fn body_of<T: Encode>(
    signed: &T,
) -> impl Fn(&mut Vec<u8>) -> Result<(), CanonicalJsonError> + '_ {
    move |out| signed.encode(Form::Pretty, 1, out)
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

/// Signs the canonical form of a role and lays out its file, the `signed` part written by
/// `body` (the pretty form, on another thread while signing a large role).
pub(crate) fn sign_and_lay_out(
    role: &str,
    canonical: &[u8],
    signers: &[Arc<PrivateKey>],
    body: &Body<'_>,
) -> Result<Encoded, Error> {
    let capacity = canonical.len().saturating_mul(3) / 2;
    // Small files are simply put together (room would cost more than the copy).
    let room = if canonical.len() >= PARALLEL_BYTES {
        HEADROOM
    } else {
        0
    };
    let pretty = || {
        let mut out = Vec::with_capacity(capacity.saturating_add(room));
        out.resize(room, b' ');
        body(&mut out).map(|()| out)
    };
    let (signatures, body) = if canonical.len() >= PARALLEL_BYTES {
        std::thread::scope(|scope| {
            let body = scope.spawn(pretty);
            let signatures = sign(role, canonical, signers);
            let body = body.join().map_err(|_| Error::WorkerPanicked);
            Ok::<_, Error>((signatures?, body?))
        })?
    } else {
        let body = pretty();
        (sign(role, canonical, signers)?, body)
    };
    let mut body = body.map_err(|e| canonical_error(role, e))?;
    let head = head(&signatures);
    let start = room.checked_sub(head.len());
    let (bytes, start) = match (start, body.get_mut(..room)) {
        (Some(start), Some(room)) => {
            // The head ends where the `signed` part begins.
            if let Some(place) = room.get_mut(start..) {
                place.copy_from_slice(&head);
            }
            body.extend_from_slice(b"\n}");
            (body, start)
        }
        // A small file, or more signatures than fit: put the parts together.
        _ => {
            let rest = body.get(room..).unwrap_or_default();
            let mut out = Vec::with_capacity(head.len().saturating_add(rest.len()) + 2);
            out.extend_from_slice(&head);
            out.extend_from_slice(rest);
            out.extend_from_slice(b"\n}");
            (out, 0)
        }
    };
    Ok(Encoded {
        bytes,
        start,
        signatures: signatures.len(),
    })
}

/// The start of the file of a role, `{"signatures": [...], "signed": ` pretty-printed; the
/// pretty form of `signed` at nesting depth 1 and `\n}` follow.
fn head(signatures: &[Signature]) -> Vec<u8> {
    let mut head = serde_json::Map::new();
    head.insert(
        "signatures".to_owned(),
        Value::Array(signatures.iter().map(Signature::to_value).collect()),
    );
    let mut out = Vec::with_capacity(1024);
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tuf_crypto::Scheme;
    use tuf_crypto::canonical;
    use tuf_metadata::{
        Delegations, Keys, MetaFile, Metadata, Root, Signed, Snapshot, SuccinctRoles, TargetFile,
        Timestamp,
    };

    fn expires() -> tuf_metadata::Expires {
        "2030-01-01T00:00:00Z".parse().unwrap()
    }

    fn key() -> Arc<PrivateKey> {
        Arc::new(PrivateKey::generate(Scheme::Ed25519).unwrap())
    }

    /// Our file equals `Metadata::to_bytes` of the role signed by the same keys, and the
    /// canonical form is the one `Metadata` signs.
    fn same_as_metadata<T: Signed + Encode + Clone + Sync>(
        signed: &T,
        signers: &[Arc<PrivateKey>],
    ) {
        let canonical = canonical_of("role", signed).unwrap();
        let encoded = sign_and_lay_out("role", &canonical, signers, &body_of(signed)).unwrap();
        let mut metadata = Metadata::new(signed.clone());
        for signer in signers {
            metadata.sign(signer.as_ref()).unwrap();
        }
        assert_eq!(
            String::from_utf8_lossy(encoded.file()),
            String::from_utf8_lossy(&metadata.to_bytes())
        );
        assert_eq!(encoded.signatures, metadata.signatures().len());
        let parsed = Metadata::<T>::from_bytes(encoded.file()).unwrap();
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
        // A large role (its file laid out on a second thread, the signatures put in the room
        // left before `signed`), and more signatures than fit there.
        let large = varied_targets(5000);
        assert!(canonical_of("t", &large).unwrap().len() >= PARALLEL_BYTES);
        same_as_metadata(&large, &[one.clone(), two.clone()]);
        let many: Vec<_> = (0..40).map(|_| key()).collect();
        same_as_metadata(&large, &many);
        same_as_metadata(&varied_targets(3), &many);

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
    fn targets_in_pieces_equal_the_whole() {
        for count in [0, 1, 2, 3, 10, 101] {
            let targets = varied_targets(count);
            let whole = canonical::to_vec(&targets.to_value()).unwrap();
            for pieces in [1, 2, 3, 8, 200] {
                let joined = canonical_targets("t", &targets, pieces).unwrap();
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
        let error = canonical_targets("t", &targets, 2).unwrap_err();
        assert!(matches!(error, Error::Signing { .. }), "{error:?}");
        assert!(canonical_of("t", &targets).is_err());
    }
}
