//! Metadata received in pieces, checked while it arrives.
//!
//! A client verifies a role it downloads (spec 5.5.2-5.5.3, 5.6.2-5.6.3): the length and
//! hashes its listing gives, then the signatures over the canonical form of `signed`. For a
//! role of many megabytes both passes take longer than the download itself, and neither
//! needs the whole file: an [`Intake`] collects the bytes as they come ([`Intake::feed`], or
//! [`std::io::Write`]) and, once the role is large enough to be worth it, hashes them for the
//! listing as they are fed (on the caller's thread, while they are fresh in its cache) and
//! hands copies of them to a thread of its own that canonicalises `signed` into the
//! signature checks as they arrive ([`tuf_crypto::canonical::stream_json_value`]). When the
//! last piece is in, [`Intake::seal`] gives the [`Delivery`]: the bytes, the listing checked,
//! and the signature checks nearly done. Reading it, the caller parses `signed` while the
//! thread finishes, then collects the signature checks. The two chains of work (hash, then
//! parse; canonical form, then signature digest) take about as long, so on a link faster
//! than the thread (a loopback) neither waits long for the other; on a slower one the checks
//! keep up with the bytes and cost nothing after the download.
//!
//! Nothing here trusts anything: a delivery is verified like any received bytes, through
//! [`crate::Received::Delivered`] ([`crate::Metadata::from_received_verified`]). The
//! thread's results are used only for the keys and the listing it was given, and only when
//! the bytes read whole split into the same `signatures` and `signed`; otherwise (and when
//! the envelope is not `{"signatures": [...], "signed": {...}}` in that order, as python-tuf
//! writes it) the bytes are verified from scratch. Either way the result, errors included,
//! is what the bytes alone give. No I/O is done here.

use std::io::Write;
use std::ops::Range;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use serde_json::Value;
use tuf_crypto::KeyId;
use tuf_crypto::canonical::{self, Pieces, StreamedValue};

use crate::Error;
use crate::hashes::{Hashes, StreamVerifier};
use crate::keys::Keys;
use crate::metafile::MetaFile;
use crate::signature::Signature;
use crate::threshold::{RoleKeys, VerificationResult};

/// The thread starts once this many bytes have arrived: smaller roles are checked after the
/// download, on the calling thread ([`crate::parallel::PARALLEL_MIN_LEN`]).
const START_AT: usize = crate::parallel::PARALLEL_MIN_LEN;

/// Bytes are handed to the thread in pieces of about this size.
const PIECE: usize = 64 * 1024;

/// At most this many copied pieces wait for the thread: when the bytes arrive faster than it
/// reads them, the rest waits in the intake, and once it is sealed the thread reads it from
/// the sealed bytes themselves, not from copies. Four keep it busy (a piece is copied again
/// as soon as one comes back) while few buffers are ever fresh: on a loopback, a 737 KB
/// snapshot then costs 75 fewer page faults, a 17.6 MB targets role 370 fewer.
const IN_FLIGHT: usize = 4;

/// The envelope's `signatures` are looked for in this many bytes at most.
const MAX_PREFIX: usize = 1 << 20;

/// Received bytes of one role, collected piece by piece, with its checks running beside
/// ([module documentation](self)).
///
/// The caller bounds how much it feeds (a download's length cap): all of it is held, and
/// the copies handed to the thread and not yet read by it (at most as much again; their
/// buffers are reused once read).
///
/// ```
/// use std::io::Write;
/// use tuf_crypto::{PrivateKey, Scheme, Signer};
/// use tuf_metadata::intake::Intake;
/// use tuf_metadata::{Delegator, Metadata, Received, Root, TargetFile, Targets};
///
/// let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
/// let mut root = Root::new("2030-01-01T00:00:00Z".parse().unwrap());
/// root.add_key("targets", key.public_key().clone()).unwrap();
/// let mut targets = Targets::new("2030-01-01T00:00:00Z".parse().unwrap());
/// for i in 0..5000 {
///     let file = TargetFile::from_data(format!("{i}").as_bytes(), &["sha256"]).unwrap();
///     targets.targets.insert(format!("file-{i}.txt"), file);
/// }
/// let mut targets = Metadata::new(targets);
/// targets.sign(&key).unwrap();
/// let bytes = targets.to_bytes();
///
/// let keys = root.role_keys("targets").unwrap();
/// let mut intake = Intake::new(keys, None);
/// for piece in bytes.chunks(1000) {
///     intake.write_all(piece).unwrap(); // as a download arrives
/// }
/// let delivery = intake.seal();
/// let (received, result) =
///     Metadata::<Targets>::from_received_verified(Received::from(&delivery), keys).unwrap();
/// assert!(result.verified());
/// assert_eq!(received.signed().targets.len(), 5000);
/// ```
#[derive(Debug)]
pub struct Intake {
    bytes: Vec<u8>,
    /// The keys the thread checks the signatures with, until it starts.
    keys: Option<OwnedKeys>,
    /// The listing's check, fed the bytes once the thread has started.
    hashing: Option<Hashing>,
    worker: Option<Worker>,
    /// How many of `bytes` the thread was handed.
    sent: usize,
    /// [`START_AT`] and [`PIECE`] (smaller in tests).
    start_at: usize,
    piece: usize,
}

/// The check of the listing's length and hashes, fed every byte in order as it arrives.
#[derive(Debug)]
struct Hashing {
    listing: MetaFile,
    /// `None` if a listed algorithm cannot be computed (the caller's own check of the bytes
    /// then names the error).
    verifier: Option<StreamVerifier>,
}

impl Hashing {
    fn new(listing: &MetaFile) -> Self {
        let none = Hashes::new();
        let hashes = listing.hashes.as_ref().unwrap_or(&none);
        Hashing {
            listing: listing.clone(),
            verifier: StreamVerifier::new(listing.length, hashes).ok(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        if let Some(verifier) = &mut self.verifier {
            verifier.update(bytes);
        }
    }

    /// The listing, if the bytes fed match it.
    fn matched(self) -> Option<MetaFile> {
        self.verifier?.finish().is_ok().then_some(self.listing)
    }
}

#[derive(Debug)]
struct Worker {
    /// `None` once the bytes are all sent, or once the thread has stopped reading.
    sender: Option<Sender<Bytes>>,
    /// The buffers of copied pieces the thread is done with, to be filled again (so that
    /// copying the bytes for it touches few fresh pages).
    spare: Receiver<Vec<u8>>,
    /// Copied pieces sent and not yet given back.
    in_flight: usize,
    handle: JoinHandle<Option<Checked>>,
}

/// The bytes of a piece: a copy, while the intake still grows, or a range of the sealed
/// bytes.
#[derive(Debug)]
enum Bytes {
    Copied(Vec<u8>),
    Sealed(Arc<Vec<u8>>, Range<usize>),
}

/// A piece the thread reads; a copy's buffer goes back for reuse when it is dropped.
struct Piece {
    bytes: Bytes,
    back: Sender<Vec<u8>>,
}

impl AsRef<[u8]> for Piece {
    fn as_ref(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Copied(bytes) => bytes,
            Bytes::Sealed(bytes, range) => bytes.get(range.clone()).unwrap_or_default(),
        }
    }
}

impl Drop for Piece {
    fn drop(&mut self) {
        if let Bytes::Copied(buffer) = &mut self.bytes {
            // Gone if the intake is sealed already.
            drop(self.back.send(std::mem::take(buffer)));
        }
    }
}

/// The keys and threshold of a role, owned (the thread outlives no borrow).
#[derive(Debug, PartialEq, Eq)]
struct OwnedKeys {
    keyids: Vec<KeyId>,
    threshold: u64,
    /// The delegator's keys among `keyids`: all that [`RoleKeys::stream`] looks up.
    keys: Keys,
}

impl OwnedKeys {
    fn new(keys: RoleKeys<'_>) -> Self {
        OwnedKeys {
            keyids: keys.keyids.to_vec(),
            threshold: keys.threshold,
            keys: keys
                .keyids
                .iter()
                .filter_map(|id| keys.keys.get(id).map(|key| (id.clone(), key.clone())))
                .collect(),
        }
    }

    fn borrowed(&self) -> RoleKeys<'_> {
        RoleKeys {
            keyids: &self.keyids,
            threshold: self.threshold,
            keys: &self.keys,
        }
    }

    /// Whether `keys` would check signatures exactly as these do.
    fn same_as(&self, keys: RoleKeys<'_>) -> bool {
        self.keyids == keys.keyids
            && self.threshold == keys.threshold
            && self
                .keyids
                .iter()
                .all(|id| self.keys.get(id) == keys.keys.get(id))
    }
}

/// What the thread found.
#[derive(Debug)]
pub(crate) struct Checked {
    keys: OwnedKeys,
    /// Where `signed` is in the bytes.
    pub(crate) signed: Range<usize>,
    /// The envelope's signatures, as parsed.
    pub(crate) signatures: Vec<Signature>,
    /// The signature checks over the canonical form of `signed`.
    pub(crate) result: VerificationResult,
}

impl Intake {
    /// An intake for a role whose signatures `keys` check (the delegator's keys and threshold
    /// for it) and, if given, whose `listing` gives its length and hashes (the snapshot's or
    /// timestamp's entry for it).
    pub fn new(keys: RoleKeys<'_>, listing: Option<&MetaFile>) -> Self {
        Intake {
            bytes: Vec::new(),
            keys: Some(OwnedKeys::new(keys)),
            hashing: listing.map(Hashing::new),
            worker: None,
            sent: 0,
            start_at: START_AT,
            piece: PIECE,
        }
    }

    /// Starts the thread once `start_at` bytes have arrived (256 KiB unless set; below that
    /// a thread costs more than it saves on a fast link), and hands it the bytes in pieces of
    /// about `piece` bytes (64 KiB unless set; at least one). Either way the result is the
    /// same; tests and fuzzing set them small so that small roles go through the thread.
    pub fn tuned(mut self, start_at: usize, piece: usize) -> Self {
        self.start_at = start_at;
        self.piece = piece.max(1);
        self
    }

    /// Reserves room for `additional` more bytes (a download's length cap): large
    /// reservations are mapped lazily, so unused room costs no memory, and the bytes never
    /// move while they grow.
    pub fn reserve(&mut self, additional: usize) {
        self.bytes.reserve(additional);
    }

    /// How many bytes have arrived.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether no byte has arrived.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Takes the next piece of the role's bytes.
    pub fn feed(&mut self, piece: &[u8]) {
        self.bytes.extend_from_slice(piece);
        if self.worker.is_some() {
            if let Some(hashing) = &mut self.hashing {
                hashing.feed(piece);
            }
        } else {
            if self.bytes.len() < self.start_at {
                return;
            }
            let Some(keys) = self.keys.take() else {
                return;
            };
            self.worker = spawn(keys);
            if self.worker.is_none() {
                return;
            }
            // The bytes so far at once, then each piece as it comes.
            if let Some(hashing) = &mut self.hashing {
                hashing.feed(&self.bytes);
            }
        }
        self.send();
    }

    /// Ends the intake: every byte has arrived.
    pub fn seal(mut self) -> Delivery {
        let bytes = Arc::new(std::mem::take(&mut self.bytes));
        let handle = self.worker.take().map(|mut worker| {
            // The rest, read from the sealed bytes.
            if let Some(sender) = worker.sender.take() {
                let mut at = self.sent;
                while at < bytes.len() {
                    let end = at.saturating_add(self.piece).min(bytes.len());
                    if sender
                        .send(Bytes::Sealed(Arc::clone(&bytes), at..end))
                        .is_err()
                    {
                        break;
                    }
                    at = end;
                }
            }
            worker.handle
        });
        let threaded = handle.is_some();
        Delivery {
            bytes,
            threaded,
            handle: Mutex::new(handle),
            checked: OnceLock::new(),
            matched: self
                .hashing
                .take()
                .filter(|_| threaded)
                .and_then(Hashing::matched),
        }
    }

    /// Hands the thread copies of the bytes it does not have yet, in pieces of `piece` bytes,
    /// while fewer than [`IN_FLIGHT`] of them wait for it.
    fn send(&mut self) {
        let Some(worker) = &mut self.worker else {
            return;
        };
        let mut spare = None;
        while let Ok(buffer) = worker.spare.try_recv() {
            worker.in_flight = worker.in_flight.saturating_sub(1);
            spare = Some(buffer);
        }
        loop {
            let Some(sender) = &worker.sender else {
                return;
            };
            let unsent = self.bytes.len().saturating_sub(self.sent);
            if unsent < self.piece || worker.in_flight >= IN_FLIGHT {
                return;
            }
            let end = self.sent + self.piece;
            let mut buffer = spare.take().unwrap_or_default();
            buffer.clear();
            buffer.extend_from_slice(self.bytes.get(self.sent..end).unwrap_or_default());
            if sender.send(Bytes::Copied(buffer)).is_err() {
                // The thread stopped reading (the envelope is not as expected).
                worker.sender = None;
            }
            worker.in_flight += 1;
            self.sent = end;
        }
    }
}

impl Write for Intake {
    fn write(&mut self, piece: &[u8]) -> std::io::Result<usize> {
        self.feed(piece);
        Ok(piece.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts the thread; `None` if no thread can be had (everything is then checked after).
fn spawn(keys: OwnedKeys) -> Option<Worker> {
    let (sender, receiver) = mpsc::channel();
    let (back, spare) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("tuf-intake".to_owned())
        .spawn(move || {
            let pieces = receiver.into_iter().map(|bytes| Piece {
                bytes,
                back: back.clone(),
            });
            check_pieces(pieces, keys)
        })
        .ok()?;
    Some(Worker {
        sender: Some(sender),
        spare,
        in_flight: 0,
        handle,
    })
}

/// The role's bytes, all arrived, with the checks that ran while they did.
#[derive(Debug)]
pub struct Delivery {
    bytes: Arc<Vec<u8>>,
    /// Whether a thread checked the bytes (else they are verified as shared bytes).
    threaded: bool,
    /// The thread, until it is waited for.
    handle: Mutex<Option<JoinHandle<Option<Checked>>>>,
    checked: OnceLock<Option<Checked>>,
    /// The listing the intake was given, if the bytes were hashed as they arrived and match
    /// it.
    matched: Option<MetaFile>,
}

impl Delivery {
    /// The bytes received.
    pub fn bytes(&self) -> &Arc<Vec<u8>> {
        &self.bytes
    }

    /// The listing's length and hashes against the bytes, when the intake was given
    /// `listing`: `Some(Ok(()))` if they match. `None` if it was given another (or none), or
    /// if they do not match, or if the role was too small to be hashed as it arrived: check
    /// the bytes directly ([`MetaFile::verify_length_and_hashes`]), which gives the exact
    /// error.
    pub fn listing_checked(&self, listing: &MetaFile) -> Option<Result<(), Error>> {
        (self.matched.as_ref() == Some(listing)).then_some(Ok(()))
    }

    /// Whether a thread checked the bytes as they arrived (a role too small for one is
    /// verified as shared bytes are).
    pub fn threaded(&self) -> bool {
        self.threaded
    }

    /// The thread's signature checks, if it made them with keys that check exactly as `keys`
    /// do. Waits for the thread.
    pub(crate) fn checked_with(&self, keys: RoleKeys<'_>) -> Option<&Checked> {
        self.checked().filter(|checked| checked.keys.same_as(keys))
    }

    fn checked(&self) -> Option<&Checked> {
        self.checked
            .get_or_init(|| {
                let handle = self.handle.lock().ok()?.take()?;
                match handle.join() {
                    Ok(checked) => checked,
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            })
            .as_ref()
    }
}

/// The thread: reads the envelope's `signatures`, then streams the canonical form of
/// `signed` into the signature checks. `None` when
/// the envelope is not `{"signatures": [...], "signed": ...}` with nothing after, when
/// `signed` has no canonical form, or when it must be canonicalised whole.
fn check_pieces(pieces: impl Iterator<Item = Piece>, owned: OwnedKeys) -> Option<Checked> {
    let mut text = Pieces::new(pieces);
    let signatures = read_signatures(&mut text)?;
    expect(&mut text, b",")?;
    expect(&mut text, b"\"signed\"")?;
    expect(&mut text, b":")?;
    text.skip_whitespace();
    let start = text.offset();
    let keys = owned.borrowed();
    let mut stream = keys.stream(&signatures);
    let streamed = canonical::stream_json_value(&mut text, &mut |piece| stream.update(piece));
    if streamed != Ok(StreamedValue::Streamed) {
        return None;
    }
    let signed = start..text.offset();
    expect(&mut text, b"}")?;
    text.skip_whitespace();
    if !text.at_end() {
        return None;
    }
    drop(text);
    let result = stream.finish();
    Some(Checked {
        keys: owned,
        signed,
        signatures,
        result,
    })
}

/// `{`, `"signatures"`, `:` and the array after it, parsed as the whole-text reader parses
/// it; the cursor is left after the array.
fn read_signatures<I: Iterator<Item: AsRef<[u8]>>>(text: &mut Pieces<I>) -> Option<Vec<Signature>> {
    expect(text, b"{")?;
    expect(text, b"\"signatures\"")?;
    expect(text, b":")?;
    text.skip_whitespace();
    let mut want = 4096;
    loop {
        let held = text.fill(want);
        let complete = held.len() < want;
        let mut values = serde_json::Deserializer::from_slice(held).into_iter::<Value>();
        match values.next() {
            Some(Ok(value)) => {
                let length = values.byte_offset();
                text.advance(length);
                return crate::metadata::parse_signatures(value).ok();
            }
            Some(Err(error)) if error.is_eof() && !complete && want < MAX_PREFIX => want *= 2,
            _ => return None,
        }
    }
}

/// Skips whitespace, then `token`.
fn expect<I: Iterator<Item: AsRef<[u8]>>>(text: &mut Pieces<I>, token: &[u8]) -> Option<()> {
    text.skip_whitespace();
    if !text.fill(token.len()).starts_with(token) {
        return None;
    }
    text.advance(token.len());
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Delegator, Metadata, Received, Root, TargetFile, Targets};
    use tuf_crypto::{PrivateKey, Scheme, Signer};

    /// A root trusting `keys` for targets, and targets metadata of `entries` entries signed
    /// by the first of them.
    fn role(entries: usize, keys: &[PrivateKey]) -> (Root, Vec<u8>) {
        let mut root = Root::new("2030-01-01T00:00:00Z".parse().unwrap());
        for key in keys {
            root.add_key("targets", key.public_key().clone()).unwrap();
        }
        let mut targets = Targets::new("2030-01-01T00:00:00Z".parse().unwrap());
        for i in 0..entries {
            let file = TargetFile::from_data(format!("{i}").as_bytes(), &["sha256"]).unwrap();
            targets.targets.insert(format!("file-{i}.txt"), file);
        }
        let mut targets = Metadata::new(targets);
        targets.sign(&keys[0]).unwrap();
        (root, targets.to_bytes())
    }

    fn deliver(bytes: &[u8], keys: RoleKeys<'_>, listing: Option<&MetaFile>) -> Delivery {
        let mut intake = Intake::new(keys, listing);
        for piece in bytes.chunks(4000) {
            intake.feed(piece);
        }
        assert_eq!(intake.len(), bytes.len());
        intake.seal()
    }

    #[test]
    fn a_large_role_is_checked_while_it_arrives() {
        let keys = [PrivateKey::generate(Scheme::Ed25519).unwrap()];
        let (root, bytes) = role(5000, &keys);
        assert!(bytes.len() > START_AT);
        let role_keys = root.role_keys("targets").unwrap();
        let listing = MetaFile::from_data(1, &bytes, &["sha256", "sha512"]).unwrap();
        let delivery = deliver(&bytes, role_keys, Some(&listing));
        assert_eq!(delivery.bytes().as_slice(), bytes.as_slice());
        assert_eq!(delivery.listing_checked(&listing), Some(Ok(())));
        let checked = delivery.checked_with(role_keys).unwrap();
        assert!(checked.result.verified());
        let (received, result) =
            Metadata::<Targets>::from_received_verified(Received::from(&delivery), role_keys)
                .unwrap();
        let (expected, expected_result) =
            Metadata::<Targets>::from_bytes_verified(&bytes, role_keys).unwrap();
        assert_eq!(result, expected_result);
        assert_eq!(received.signed(), expected.signed());
        assert_eq!(received.signatures(), expected.signatures());
        // Another listing: not vouched for (the caller checks the bytes itself).
        let other = MetaFile::from_data(1, b"other", &["sha256"]).unwrap();
        assert_eq!(delivery.listing_checked(&other), None);
    }

    #[test]
    fn checks_made_with_other_keys_are_not_used() {
        let keys = [
            PrivateKey::generate(Scheme::Ed25519).unwrap(),
            PrivateKey::generate(Scheme::Ed25519).unwrap(),
        ];
        let (root, bytes) = role(5000, &keys);
        let mut other_root = root.clone();
        other_root.roles.get_mut("targets").unwrap().threshold = 2;
        let delivery = deliver(&bytes, other_root.role_keys("targets").unwrap(), None);
        let role_keys = root.role_keys("targets").unwrap();
        assert!(delivery.checked_with(role_keys).is_none());
        // Verified from scratch with the keys given: one signature of one key is enough.
        let (_, result) =
            Metadata::<Targets>::from_received_verified(Received::from(&delivery), role_keys)
                .unwrap();
        assert!(result.verified());
    }

    #[test]
    fn a_listing_the_bytes_do_not_match_is_not_vouched_for() {
        let keys = [PrivateKey::generate(Scheme::Ed25519).unwrap()];
        let (root, bytes) = role(5000, &keys);
        let role_keys = root.role_keys("targets").unwrap();
        let mut listing = MetaFile::from_data(1, &bytes, &["sha256"]).unwrap();
        listing.length = Some(bytes.len() as u64 + 1);
        let delivery = deliver(&bytes, role_keys, Some(&listing));
        assert_eq!(delivery.listing_checked(&listing), None);
        assert!(delivery.checked_with(role_keys).is_some());
    }

    #[test]
    fn small_roles_and_other_envelopes_are_left_to_the_whole_bytes() {
        let keys = [PrivateKey::generate(Scheme::Ed25519).unwrap()];
        // Small: no thread, and the listing is left to the caller too.
        let (root, bytes) = role(10, &keys);
        let listing = MetaFile::from_data(1, &bytes, &["sha256"]).unwrap();
        let delivery = deliver(&bytes, root.role_keys("targets").unwrap(), Some(&listing));
        assert!(!delivery.threaded());
        assert!(
            delivery
                .checked_with(root.role_keys("targets").unwrap())
                .is_none()
        );
        assert_eq!(delivery.listing_checked(&listing), None);
        assert_eq!(listing.verify_length_and_hashes(delivery.bytes()), Ok(()));
        // `signed` first: no check beside, the same result.
        let (root, bytes) = role(5000, &keys);
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let reordered = format!(
            r#"{{"signed": {}, "signatures": {}}}"#,
            value["signed"], value["signatures"]
        );
        let role_keys = root.role_keys("targets").unwrap();
        let delivery = deliver(reordered.as_bytes(), role_keys, None);
        assert!(delivery.checked_with(role_keys).is_none());
        let (_, result) =
            Metadata::<Targets>::from_received_verified(Received::from(&delivery), role_keys)
                .unwrap();
        assert!(result.verified());
        // Trailing bytes after the envelope: refused, as the whole bytes are.
        let mut trailing = bytes.clone();
        trailing.extend_from_slice(b" x");
        let delivery = deliver(&trailing, role_keys, None);
        assert!(delivery.checked_with(role_keys).is_none());
        assert_eq!(
            Metadata::<Targets>::from_received_verified(Received::from(&delivery), role_keys)
                .map(|_| ())
                .unwrap_err(),
            Metadata::<Targets>::from_bytes_verified(&trailing, role_keys)
                .map(|_| ())
                .unwrap_err()
        );
    }
}
