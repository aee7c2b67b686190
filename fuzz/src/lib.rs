//! The bodies of the fuzz targets (`fuzz_targets/*.rs` are one line each over these).
//!
//! Each function feeds untrusted bytes to one library entry point and then checks what must
//! hold of any input the library accepts (a round trip, a lookup that must agree with itself).
//! A panic anywhere, in the library or in these checks, is a crash for libFuzzer.
#![forbid(unsafe_code)]
// A failed check here is the point: it is how libFuzzer learns of a bug.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use arbitrary::Arbitrary;
use tuf_client::trusted::TrustedMetadata;
use tuf_crypto::{PrivateKey, PublicKey, Scheme, Signer};
use tuf_metadata::{
    DelegatedRole, Metadata, Root, Signed, Snapshot, SuccinctRoles, Targets, Timestamp,
};

/// What a role's fuzz target does with a parsed document beyond the round trip.
pub trait Exercise: Signed {
    /// Runs the role's lookups over the parsed metadata.
    fn exercise(metadata: &Metadata<Self>);
}

impl Exercise for Root {
    fn exercise(metadata: &Metadata<Self>) {
        // Threshold verification with the keys and signatures of the input itself.
        let _ = metadata.verify_delegate("root", metadata);
    }
}

impl Exercise for Timestamp {
    fn exercise(metadata: &Metadata<Self>) {
        let _ = metadata
            .signed()
            .snapshot_meta
            .verify_length_and_hashes(b"");
    }
}

impl Exercise for Snapshot {
    fn exercise(metadata: &Metadata<Self>) {
        for meta in metadata.signed().meta.values() {
            let _ = meta.verify_length_and_hashes(b"{}");
        }
    }
}

impl Exercise for Targets {
    fn exercise(metadata: &Metadata<Self>) {
        let signed = metadata.signed();
        let Some(delegations) = &signed.delegations else {
            return;
        };
        // Globs, hash prefixes and bins of the input, over the target paths of the input.
        for path in signed.targets.keys().take(16) {
            for (role, _terminating) in delegations.roles_for_target(path).take(16) {
                let _ = delegations.role_keys(&role);
                let _ = metadata.verify_delegate(&role, metadata);
            }
        }
        if let Some(bins) = &delegations.succinct_roles {
            let bin = bins.role_for_target("a/b.txt");
            assert!(bins.is_delegated_role(&bin), "{bin} not one of {bins:?}");
        }
    }
}

/// Metadata parsing of one role: `Metadata::<T>::from_bytes`. Whatever parses must serialise
/// and parse back to the same value (unknown fields included), and its signed bytes must be
/// computable.
pub fn metadata<T: Exercise + PartialEq + std::fmt::Debug>(data: &[u8]) {
    // Read from shared bytes (a targets map indexed in them, not built), the same document.
    let keys = tuf_metadata::Keys::new();
    let no_keys = tuf_metadata::RoleKeys {
        keyids: &[],
        threshold: 1,
        keys: &keys,
    };
    let shared =
        Metadata::<T>::from_shared_bytes_verified(&std::sync::Arc::new(data.to_vec()), no_keys);
    // Delivered in pieces through an intake whose thread checks them as they arrive: the
    // same result as the shared read, value or error.
    let piece = data.first().map_or(1, |&b| usize::from(b % 64) + 1);
    let mut intake = tuf_metadata::intake::Intake::new(no_keys, None).tuned(0, piece);
    for part in data.chunks(piece.max(3) - 2) {
        intake.feed(part);
    }
    let delivery = intake.seal();
    let delivered = Metadata::<T>::from_received_verified((&delivery).into(), no_keys);
    assert_eq!(
        format!("{delivered:?}"),
        format!("{shared:?}"),
        "the delivered read differs"
    );
    let Ok(parsed) = Metadata::<T>::from_bytes(data) else {
        assert!(shared.is_err(), "only the shared read accepted the bytes");
        return;
    };
    let shared = shared
        .expect("the shared read accepts what from_bytes accepts")
        .0;
    assert_eq!(shared.signed(), parsed.signed(), "the shared read differs");
    parsed
        .signed_bytes()
        .expect("signed bytes of parsed metadata");
    T::exercise(&parsed);
    if has_big_integer(&parsed.to_value()) {
        // Known limitation: an integer beyond 64 bits in an unknown field is kept as a float by
        // serde_json, so written metadata holding one is refused when read back (a typed
        // error, checked by tuf-metadata's fuzz regression tests). Verification is not
        // affected: it uses the text as received.
        return;
    }
    let written = parsed.to_bytes();
    let again = Metadata::<T>::from_bytes(&written).expect("written metadata parses again");
    assert_eq!(again.to_bytes(), written, "round trip changed the metadata");
}

/// Whether `value` holds a float other than zero (in `signed` only an integer beyond 64 bits
/// becomes one: float literals have no canonical form and are refused).
fn has_big_integer(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) => n.is_f64() && n.as_f64() != Some(0.0),
        serde_json::Value::Array(items) => items.iter().any(has_big_integer),
        serde_json::Value::Object(map) => map.values().any(has_big_integer),
        _ => false,
    }
}

/// Canonical JSON of received text: `tuf_crypto::canonical::from_json_text`. It must agree
/// with the encoder of in-memory values (`canonical::to_vec`) wherever serde_json reads the
/// text without loss (no `-0`, no integer beyond 64 bits), and, where the output is JSON
/// (securesystemslib does not escape control characters, so it may not be), be its own
/// canonical form.
pub fn canonical_json(data: &[u8]) {
    let whole = tuf_crypto::canonical::from_json_text(data);
    canonical_in_pieces(data, &whole);
    let Ok(canonical) = whole else {
        return;
    };
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data)
        && !has_float(&value)
    {
        let encoded = tuf_crypto::canonical::to_vec(&value).expect("value encodes");
        assert_eq!(encoded, canonical, "the two canonical encoders disagree");
    }
    if !canonical.iter().any(|&b| b < 0x20) {
        let again =
            tuf_crypto::canonical::from_json_text(&canonical).expect("canonical output parses");
        assert_eq!(again, canonical, "canonical JSON is not idempotent");
    }
}

/// The same text read in pieces (of sizes taken from its first bytes) canonicalises as the
/// whole text did: the same bytes or the same error, or a restart; trailing text is left
/// after the cursor.
fn canonical_in_pieces(
    data: &[u8],
    whole: &Result<Vec<u8>, tuf_crypto::canonical::CanonicalJsonError>,
) {
    use tuf_crypto::canonical::{CanonicalJsonError, Pieces, StreamedValue, stream_json_value};
    let sizes: Vec<usize> = data
        .iter()
        .take(4)
        .map(|&b| usize::from(b % 17) + 1)
        .collect();
    let mut pieces = Vec::new();
    let mut rest = data;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, after) = rest.split_at((*size).min(rest.len()));
        pieces.push(piece);
        rest = after;
    }
    let mut text = Pieces::new(pieces.into_iter());
    let mut got = Vec::new();
    match stream_json_value(&mut text, &mut |piece| got.extend_from_slice(piece)) {
        Ok(StreamedValue::Restart) => {}
        Ok(StreamedValue::Streamed) => {
            text.skip_whitespace();
            match whole {
                Ok(form) => {
                    assert!(text.at_end(), "text after a whole value");
                    assert_eq!(&got, form, "the pieces canonicalise differently");
                }
                Err(CanonicalJsonError::Syntax { offset, .. }) => {
                    assert_eq!(text.offset(), *offset, "the value ends elsewhere");
                    assert!(!text.at_end(), "no trailing text");
                }
                Err(error) => panic!("the pieces read a value the whole text refuses: {error}"),
            }
        }
        Err(error) => assert_eq!(Err(&error), whole.as_ref(), "another error in pieces"),
    }
}

/// Whether `value` holds a float (what serde_json makes of `-0` and of integers beyond 64
/// bits).
fn has_float(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) => n.is_f64(),
        serde_json::Value::Array(items) => items.iter().any(has_float),
        serde_json::Value::Object(map) => map.values().any(has_float),
        _ => false,
    }
}

/// Public key parsing from its JSON form (`PublicKey::from_value`), key id, lazy decoding of
/// the key material (reached by a verification), and the JSON round trip.
pub fn public_key(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(key) = PublicKey::from_value(value) else {
        return;
    };
    let _ = key.try_key_id();
    let _ = key.scheme();
    let _ = key.verify(b"message", &[0u8; 64]);
    let _ = key.verify_hex(b"message", "00");
    let again = PublicKey::from_value(key.to_value()).expect("written key parses again");
    assert_eq!(
        again.to_value(),
        key.to_value(),
        "key round trip changed the key"
    );
}

/// Private key PKCS#8 PEM parsing (`PrivateKey::from_pkcs8_pem_auto`, and for each scheme
/// `PrivateKey::from_pkcs8_pem`). An accepted key must write and read back to the same public
/// key; ed25519 and ECDSA keys must also sign and verify (RSA is left out: too slow per run).
pub fn private_key_pem(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for scheme in Scheme::ALL {
        let _ = PrivateKey::from_pkcs8_pem(text, scheme);
    }
    let Ok(key) = PrivateKey::from_pkcs8_pem_auto(text) else {
        return;
    };
    let pem = key.to_pkcs8_pem().expect("an accepted key writes");
    let again = PrivateKey::from_pkcs8_pem(&pem, key.scheme()).expect("written key reads");
    assert_eq!(
        again.public_key(),
        key.public_key(),
        "PEM round trip changed the key"
    );
    if key.public_key().keytype() != "rsa" {
        let signature = key.try_sign(b"message").expect("an accepted key signs");
        key.public_key()
            .verify(b"message", &signature)
            .expect("own signature verifies");
    }
}

/// The public keys of the spec vectors, one per scheme and key form, in the order of
/// `spec-vectors/data/keys.json` (the seed corpus refers to them by index).
pub fn vector_keys() -> Vec<PublicKey> {
    let keys: serde_json::Value =
        serde_json::from_str(include_str!("../../spec-vectors/data/keys.json")).expect("keys.json");
    keys.as_array()
        .expect("a list of keys")
        .iter()
        .map(|k| PublicKey::from_value(k["public_key"].clone()).expect("a vector key"))
        .collect()
}

/// Signature verification inputs against the real keys of every scheme. Input layout:
/// `[key index][mode][signature length: u16 big-endian][signature][message]`; mode even:
/// `PublicKey::verify` over raw signature bytes, odd: `PublicKey::verify_hex` over the
/// signature as text.
pub fn verify_signature(data: &[u8]) {
    static KEYS: std::sync::OnceLock<Vec<PublicKey>> = std::sync::OnceLock::new();
    let keys = KEYS.get_or_init(vector_keys);
    let [index, mode, high, low, rest @ ..] = data else {
        return;
    };
    let Some(key) = keys.get(usize::from(*index) % keys.len()) else {
        return;
    };
    let length = usize::from(u16::from_be_bytes([*high, *low])).min(rest.len());
    let (signature, message) = rest.split_at(length);
    if mode % 2 == 0 {
        let _ = key.verify(message, signature);
    } else if let Ok(hex) = std::str::from_utf8(signature) {
        let _ = key.verify_hex(message, hex);
    }
}

/// Path and glob matching and hash-prefix and bin lookup of delegations.
#[derive(Debug, Arbitrary)]
pub struct PathInput {
    pattern: String,
    path: String,
    hash_prefixes: Vec<String>,
    bit_length: u8,
    name_prefix: String,
}

/// `path_pattern::matches`, `DelegatedRole::is_delegated_path` (globs and hash prefixes) and
/// `SuccinctRoles::role_for_target` / `is_delegated_role`: the bin found for a path must be one
/// of the bins, and a glob without special characters must match itself.
pub fn path_match(input: PathInput) {
    let matched = tuf_metadata::path_pattern::matches(&input.pattern, &input.path);
    if input.pattern == input.path && !input.path.contains(['*', '?', '[', ']', '\\']) {
        assert!(matched, "{:?} does not match itself", input.path);
    }
    let by_glob = DelegatedRole::with_paths("r", vec![], 1, false, vec![input.pattern.clone()]);
    assert_eq!(by_glob.is_delegated_path(&input.path), matched);
    let mut by_hash = by_glob;
    by_hash.paths = None;
    by_hash.path_hash_prefixes = Some(input.hash_prefixes);
    let _ = by_hash.is_delegated_path(&input.path);
    if let Ok(bins) = SuccinctRoles::new(vec![], 1, input.bit_length, &input.name_prefix) {
        let bin = bins.role_for_target(&input.path);
        assert!(
            bins.is_delegated_role(&bin),
            "{bin} is not a bin of {bins:?}"
        );
        assert_eq!(
            bins.bin_name(0),
            bins.role_names().next().unwrap_or_default()
        );
    }
}

/// Role files of the spec-vector repositories signed by python-tuf, so that sequences reach
/// every state of the client core (fuzzed bytes alone never carry a valid signature).
const VECTOR_FILES: &[&[u8]] = &[
    include_bytes!("../../spec-vectors/data/repositories/ed25519/root.json"),
    include_bytes!("../../spec-vectors/data/repositories/ed25519/timestamp.json"),
    include_bytes!("../../spec-vectors/data/repositories/ed25519/snapshot.json"),
    include_bytes!("../../spec-vectors/data/repositories/ed25519/targets.json"),
    include_bytes!("../../spec-vectors/data/repositories/ed25519/delegated.json"),
    include_bytes!("../../spec-vectors/data/repositories/rotated/1.root.json"),
    include_bytes!("../../spec-vectors/data/repositories/rotated/2.root.json"),
    include_bytes!("../../spec-vectors/data/repositories/rotated/timestamp.json"),
    include_bytes!("../../spec-vectors/data/repositories/rotated/snapshot.json"),
    include_bytes!("../../spec-vectors/data/repositories/rotated/targets.json"),
    include_bytes!("../../spec-vectors/data/repositories/rotated/delegated.json"),
    include_bytes!("../../spec-vectors/data/repositories/succinct/root.json"),
    include_bytes!("../../spec-vectors/data/repositories/succinct/timestamp.json"),
    include_bytes!("../../spec-vectors/data/repositories/succinct/snapshot.json"),
    include_bytes!("../../spec-vectors/data/repositories/succinct/targets.json"),
    include_bytes!("../../spec-vectors/data/repositories/succinct/bin-0.json"),
    include_bytes!("../../spec-vectors/data/repositories/succinct/bin-5.json"),
    include_bytes!("../../spec-vectors/data/repositories/threshold/root.json"),
    include_bytes!("../../spec-vectors/data/repositories/threshold/timestamp.json"),
    include_bytes!("../../spec-vectors/data/repositories/threshold/snapshot.json"),
    include_bytes!("../../spec-vectors/data/repositories/threshold/targets.json"),
    include_bytes!("../../spec-vectors/data/repositories/threshold/delegated.json"),
];

/// Role names the sequence may use (besides fuzzed ones).
const ROLE_NAMES: &[&str] = &[
    "root",
    "targets",
    "delegated",
    "bin-0",
    "bin-5",
    "timestamp",
    "snapshot",
];

/// The bytes of one step: a vector file, a vector file with some bytes changed, or raw
/// fuzzed bytes.
#[derive(Debug, Arbitrary)]
pub enum Bytes {
    /// A vector file as published.
    Vector(u8),
    /// A vector file with `(offset, byte)` edits applied (offsets wrap around).
    Edited(u8, Vec<(u16, u8)>),
    /// Fuzzed bytes.
    Raw(Vec<u8>),
}

impl Bytes {
    fn get(&self) -> Vec<u8> {
        let vector = |i: &u8| {
            VECTOR_FILES
                .get(usize::from(*i) % VECTOR_FILES.len())
                .copied()
                .unwrap_or_default()
                .to_vec()
        };
        match self {
            Bytes::Vector(i) => vector(i),
            Bytes::Edited(i, edits) => {
                let mut bytes = vector(i);
                let len = bytes.len();
                for (offset, byte) in edits {
                    if let Some(b) = bytes.get_mut(usize::from(*offset) % len.max(1)) {
                        *b = *byte;
                    }
                }
                bytes
            }
            Bytes::Raw(bytes) => bytes.clone(),
        }
    }
}

/// A role name: one of [`ROLE_NAMES`] or a fuzzed one.
#[derive(Debug, Arbitrary)]
pub enum Name {
    /// Index into the known names.
    Known(u8),
    /// Any name.
    Other(String),
}

impl Name {
    fn get(&self) -> String {
        match self {
            Name::Known(i) => ROLE_NAMES
                .get(usize::from(*i) % ROLE_NAMES.len())
                .copied()
                .unwrap_or_default()
                .to_owned(),
            Name::Other(name) => name.clone(),
        }
    }
}

/// One call into the client core.
#[derive(Debug, Arbitrary)]
pub enum Step {
    /// `update_root`.
    Root(Bytes),
    /// `update_timestamp`.
    Timestamp(Bytes),
    /// `update_snapshot(bytes, trusted)`.
    Snapshot(Bytes, bool),
    /// `update_targets`.
    Targets(Bytes),
    /// `update_delegated_targets(bytes, role, delegator)`.
    Delegated(Bytes, Name, Name),
}

/// The trusted root, the reference time and the calls of one fuzz run.
#[derive(Debug, Arbitrary)]
pub struct Sequence {
    root: Bytes,
    /// `None`: 2026-01-01, before every vector expires; otherwise 1.5e9 + this many seconds.
    time: Option<u32>,
    steps: Vec<Step>,
}

/// The client core, `tuf_client::trusted::TrustedMetadata`, fed a sequence of role bytes. What
/// the core reports as trusted after a successful step must be there.
pub fn trusted_sequence(input: Sequence) {
    let time = input
        .time
        .map_or(1_767_225_600, |t| 1_500_000_000 + i64::from(t));
    let Ok(mut trusted) = TrustedMetadata::new(&input.root.get(), time) else {
        return;
    };
    for step in input.steps.iter().take(32) {
        match step {
            Step::Root(bytes) => {
                if let Ok(root) = trusted.update_root(&bytes.get()) {
                    let version = root.signed().version;
                    assert_eq!(trusted.root().signed().version, version);
                }
            }
            Step::Timestamp(bytes) => {
                if trusted.update_timestamp(&bytes.get()).is_ok() {
                    assert!(trusted.timestamp().is_some());
                }
            }
            Step::Snapshot(bytes, cached) => {
                if trusted.update_snapshot(&bytes.get(), *cached).is_ok() {
                    assert!(trusted.snapshot().is_some());
                }
            }
            Step::Targets(bytes) => {
                if trusted.update_targets(&bytes.get()).is_ok() {
                    assert!(trusted.targets().is_some());
                }
            }
            Step::Delegated(bytes, role, delegator) => {
                let (role, delegator) = (role.get(), delegator.get());
                if trusted
                    .update_delegated_targets(&bytes.get(), &role, &delegator)
                    .is_ok()
                {
                    assert!(trusted.delegated_by(&role, &delegator).is_some());
                }
            }
        }
    }
}
