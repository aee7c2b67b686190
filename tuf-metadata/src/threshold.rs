//! Threshold signature verification of a delegate by its delegator (spec sections 5.3.4,
//! 5.3.5, 5.4.3, 5.5.3, 5.6.3 and 5.6.7.2): root → root, root → top-level roles,
//! targets → delegated targets roles.

use std::collections::{BTreeMap, BTreeSet};

use tuf_crypto::{KeyId, StreamVerifier};

use crate::Signature;
use crate::keys::Keys;

/// The keys a delegator trusts for one role, and its threshold.
#[derive(Debug, Clone, Copy)]
pub struct RoleKeys<'a> {
    /// Authorised key ids, as listed.
    pub keyids: &'a [KeyId],
    /// Required number of distinct signing keys.
    pub threshold: u64,
    /// The delegator's key table.
    pub keys: &'a Keys,
}

/// A role that delegates trust to other roles: root, or targets metadata with delegations.
pub trait Delegator {
    /// The keys and threshold trusted for `role`, or `None` if this metadata does not
    /// delegate to `role`.
    fn role_keys(&self, role: &str) -> Option<RoleKeys<'_>>;
}

/// Which authorised keys signed, and which did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationResult {
    /// The threshold to reach.
    pub threshold: u64,
    /// Authorised key ids with a valid signature.
    pub signed: BTreeSet<KeyId>,
    /// Authorised key ids without a valid signature (absent, invalid, or a key this crate
    /// cannot use).
    pub unsigned: BTreeSet<KeyId>,
    /// Number of distinct keys among `signed`, by key material.
    distinct_signers: u64,
}

impl VerificationResult {
    /// Whether the threshold is met by distinct keys.
    pub fn verified(&self) -> bool {
        self.distinct_signers >= self.threshold
    }

    /// How many distinct keys signed. A key listed under two key ids counts once, so a
    /// delegator that lists one key twice cannot be satisfied by one signature used twice
    /// (stricter than python-tuf, which counts key ids).
    pub fn distinct_signers(&self) -> u64 {
        self.distinct_signers
    }
}

impl<'a> RoleKeys<'a> {
    /// Checks `signatures` over `payload` (the canonical bytes of `signed`) against these keys.
    ///
    /// Each authorised key id is counted at most once however often it is listed; a listed key
    /// id absent from the key table, a key of an unsupported scheme, and an invalid signature
    /// all leave the key unsigned. Signatures by unauthorised keys are ignored.
    pub fn verify(&self, payload: &[u8], signatures: &[Signature]) -> VerificationResult {
        // The payload in one piece: the stream checks are the one-shot checks.
        let mut checks = self.stream(signatures);
        checks.update(payload);
        checks.finish()
    }

    /// Starts the check of [`RoleKeys::verify`] over a payload fed in pieces
    /// ([`ThresholdStream::update`]), for payloads too large to hold twice: the canonical form
    /// of a large role is checked as it is produced
    /// ([`crate::Metadata::from_bytes_verified`]). The result is the one `verify` gives.
    ///
    /// ```
    /// use tuf_crypto::{PrivateKey, Scheme, Signer as _};
    /// use tuf_metadata::{Keys, RoleKeys, Signature};
    /// let private = PrivateKey::generate(Scheme::Ed25519).unwrap();
    /// let public = private.public_key();
    /// let keys: Keys = [(public.key_id(), public.clone())].into_iter().collect();
    /// let keyids = [public.key_id()];
    /// let role = RoleKeys { keyids: &keyids, threshold: 1, keys: &keys };
    /// let signature = Signature::new(public.key_id(), hex::encode(private.try_sign(b"payload").unwrap()));
    /// let mut check = role.stream(&[signature]);
    /// check.update(b"pay");
    /// check.update(b"load");
    /// assert!(check.finish().verified());
    /// ```
    pub fn stream(&self, signatures: &[Signature]) -> ThresholdStream<'a> {
        let by_keyid: BTreeMap<&KeyId, &Signature> =
            signatures.iter().map(|s| (&s.keyid, s)).collect();
        let mut checks = Vec::new();
        let mut unsigned = BTreeSet::new();
        let mut seen = BTreeSet::new();
        for keyid in self.keyids {
            if !seen.insert(keyid) {
                continue;
            }
            match (self.keys.get(keyid), by_keyid.get(keyid)) {
                (Some(key), Some(signature)) => {
                    checks.push((keyid.clone(), key, key.stream_verifier_hex(&signature.sig)));
                }
                _ => {
                    unsigned.insert(keyid.clone());
                }
            }
        }
        ThresholdStream {
            threshold: self.threshold,
            checks,
            unsigned,
        }
    }
}

/// A threshold check in progress over a payload fed in pieces; see [`RoleKeys::stream`].
pub struct ThresholdStream<'a> {
    threshold: u64,
    /// One check per authorised key id with a key and a signature.
    checks: Vec<(KeyId, &'a tuf_crypto::PublicKey, StreamVerifier<'a>)>,
    /// Authorised key ids without a key or a signature.
    unsigned: BTreeSet<KeyId>,
}

impl ThresholdStream<'_> {
    /// Feeds the next piece of the payload to every check.
    pub fn update(&mut self, piece: &[u8]) {
        for (_, _, check) in &mut self.checks {
            check.update(piece);
        }
    }

    /// Which keys signed the payload fed, as [`RoleKeys::verify`] reports it.
    pub fn finish(self) -> VerificationResult {
        let mut signed = BTreeSet::new();
        let mut unsigned = self.unsigned;
        let mut key_contents = BTreeSet::new();
        for (keyid, key, check) in self.checks {
            if check.finish().is_ok() {
                key_contents.insert(key.key_id());
                signed.insert(keyid);
            } else {
                unsigned.insert(keyid);
            }
        }
        VerificationResult {
            threshold: self.threshold,
            signed,
            unsigned,
            distinct_signers: key_contents.len() as u64,
        }
    }
}
