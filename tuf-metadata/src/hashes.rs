//! Hashes and lengths of files (spec section 4.4 "HASHES", 4.5/4.6 "METAFILES", 4.5 "TARGETS").

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use crate::Error;
use crate::fields::{as_int, as_object, as_string};

/// Digests of a file, by algorithm name, each lower-case hex. Never empty once parsed.
pub type Hashes = BTreeMap<String, String>;

/// The hash algorithms this crate can compute. python-tuf accepts any name `hashlib` knows;
/// metadata naming another algorithm still parses, and verifying against it fails with
/// [`Error::UnsupportedHash`], as in python-tuf.
pub const SUPPORTED_HASH_ALGORITHMS: [&str; 4] = ["sha224", "sha256", "sha384", "sha512"];

/// Lower-case hex digest of `data` with `algorithm`.
///
/// ```
/// let digest = tuf_metadata::hashes::digest_hex("sha256", b"").unwrap();
/// assert_eq!(digest, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// ```
///
/// # Errors
/// [`Error::UnsupportedHash`] for an algorithm outside [`SUPPORTED_HASH_ALGORITHMS`].
pub fn digest_hex(algorithm: &str, data: &[u8]) -> Result<String, Error> {
    Ok(match algorithm {
        "sha224" => hex::encode(Sha224::digest(data)),
        "sha256" => hex::encode(Sha256::digest(data)),
        "sha384" => hex::encode(Sha384::digest(data)),
        "sha512" => hex::encode(Sha512::digest(data)),
        other => {
            return Err(Error::UnsupportedHash {
                algorithm: other.to_owned(),
            });
        }
    })
}

/// Computes [`Hashes`] of `data` for each of `algorithms`.
///
/// # Errors
/// [`Error::UnsupportedHash`] for an unknown algorithm.
pub fn compute(data: &[u8], algorithms: &[&str]) -> Result<Hashes, Error> {
    algorithms
        .iter()
        .map(|a| Ok(((*a).to_owned(), digest_hex(a, data)?)))
        .collect()
}

/// Checks `data` against an expected length and every listed hash, length first.
///
/// As in python-tuf, every listed algorithm must be computable and match: an unknown algorithm
/// fails the check even when another listed hash matches.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::UnsupportedHash`] or [`Error::HashMismatch`].
pub fn verify(data: &[u8], length: Option<u64>, hashes: Option<&Hashes>) -> Result<(), Error> {
    if let Some(expected) = length {
        let found = data.len() as u64;
        if found != expected {
            return Err(Error::LengthMismatch { expected, found });
        }
    }
    for (algorithm, expected) in hashes.into_iter().flatten() {
        let found = digest_hex(algorithm, data)?;
        // Exact comparison, as python-tuf's `_verify_hashes` (`hexdigest() != expected`): an
        // upper-case digest in metadata never matches.
        if found != *expected {
            return Err(Error::HashMismatch {
                algorithm: algorithm.clone(),
                expected: expected.clone(),
                found,
            });
        }
    }
    Ok(())
}

/// Incremental check of data against a length and every listed hash, for data read in pieces
/// (a large cached target, a download streamed to disk).
///
/// ```
/// use tuf_metadata::hashes::{self, StreamVerifier};
/// let expected = hashes::compute(b"hello world", &["sha256", "sha512"]).unwrap();
/// let mut verifier = StreamVerifier::new(Some(11), &expected).unwrap();
/// verifier.update(b"hello ");
/// verifier.update(b"world");
/// verifier.finish().unwrap();
/// ```
#[derive(Debug)]
pub struct StreamVerifier {
    length: Option<u64>,
    seen: u64,
    digests: Vec<(String, String, Box<DigestState>)>,
}

#[derive(Debug)]
enum DigestState {
    Sha224(Sha224),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl DigestState {
    fn new(algorithm: &str) -> Result<Self, Error> {
        Ok(match algorithm {
            "sha224" => DigestState::Sha224(Sha224::new()),
            "sha256" => DigestState::Sha256(Sha256::new()),
            "sha384" => DigestState::Sha384(Sha384::new()),
            "sha512" => DigestState::Sha512(Sha512::new()),
            other => {
                return Err(Error::UnsupportedHash {
                    algorithm: other.to_owned(),
                });
            }
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            DigestState::Sha224(d) => d.update(data),
            DigestState::Sha256(d) => d.update(data),
            DigestState::Sha384(d) => d.update(data),
            DigestState::Sha512(d) => d.update(data),
        }
    }

    fn finish(self) -> String {
        match self {
            DigestState::Sha224(d) => hex::encode(d.finalize()),
            DigestState::Sha256(d) => hex::encode(d.finalize()),
            DigestState::Sha384(d) => hex::encode(d.finalize()),
            DigestState::Sha512(d) => hex::encode(d.finalize()),
        }
    }
}

impl StreamVerifier {
    /// Starts checking against `length` (if listed) and every one of `hashes`.
    ///
    /// # Errors
    /// [`Error::UnsupportedHash`] if a listed algorithm cannot be computed (as in [`verify`],
    /// an unknown algorithm fails the check).
    pub fn new(length: Option<u64>, hashes: &Hashes) -> Result<Self, Error> {
        let digests = hashes
            .iter()
            .map(|(algorithm, expected)| {
                Ok((
                    algorithm.clone(),
                    expected.clone(),
                    Box::new(DigestState::new(algorithm)?),
                ))
            })
            .collect::<Result<_, Error>>()?;
        Ok(StreamVerifier {
            length,
            seen: 0,
            digests,
        })
    }

    /// Feeds the next piece of data.
    pub fn update(&mut self, data: &[u8]) {
        self.seen = self.seen.saturating_add(data.len() as u64);
        for (_, _, state) in &mut self.digests {
            state.update(data);
        }
    }

    /// Whether more data than the listed length has been fed already.
    pub fn exceeded(&self) -> bool {
        self.length.is_some_and(|l| self.seen > l)
    }

    /// Checks the length, then each hash.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] or [`Error::HashMismatch`].
    pub fn finish(self) -> Result<(), Error> {
        if let Some(expected) = self.length {
            if self.seen != expected {
                return Err(Error::LengthMismatch {
                    expected,
                    found: self.seen,
                });
            }
        }
        for (algorithm, expected, state) in self.digests {
            let found = state.finish();
            // Exact, as in `verify` above (python-tuf compares the lower-case hexdigest).
            if found != expected {
                return Err(Error::HashMismatch {
                    algorithm,
                    expected,
                    found,
                });
            }
        }
        Ok(())
    }
}

pub(crate) fn parse_hashes(value: Value, path: &str) -> Result<Hashes, Error> {
    let map: Map<String, Value> = as_object(value, || path.to_owned())?;
    if map.is_empty() {
        return Err(Error::Hashes {
            path: path.to_owned(),
            reason: "hashes must not be empty".to_owned(),
        });
    }
    map.into_iter()
        .map(|(algorithm, digest)| {
            let digest =
                as_string(digest, || format!("{path}.{algorithm}")).map_err(|_| Error::Hashes {
                    path: path.to_owned(),
                    reason: format!("the {algorithm} digest must be a string"),
                })?;
            Ok((algorithm, digest))
        })
        .collect()
}

pub(crate) fn parse_length(value: &Value, path: &str) -> Result<u64, Error> {
    let length = as_int(value, || path.to_owned())?;
    u64::try_from(length).map_err(|_| Error::Length {
        path: path.to_owned(),
        value: length,
    })
}

pub(crate) fn hashes_value(hashes: &Hashes) -> Value {
    Value::Object(
        hashes
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// python-tuf compares hex digests exactly: an upper-case digest listed in metadata is a
    /// mismatch, in the one-shot and the streaming check alike.
    #[test]
    fn digests_compare_exactly() {
        let data = b"abc";
        let lower = digest_hex("sha256", data).unwrap();
        let mut hashes = Hashes::new();
        hashes.insert("sha256".to_owned(), lower.clone());
        verify(data, Some(3), Some(&hashes)).unwrap();
        let mut stream = StreamVerifier::new(Some(3), &hashes).unwrap();
        stream.update(data);
        stream.finish().unwrap();

        hashes.insert("sha256".to_owned(), lower.to_ascii_uppercase());
        assert!(matches!(
            verify(data, Some(3), Some(&hashes)),
            Err(Error::HashMismatch { .. })
        ));
        let mut stream = StreamVerifier::new(Some(3), &hashes).unwrap();
        stream.update(data);
        assert!(matches!(stream.finish(), Err(Error::HashMismatch { .. })));
    }
}
