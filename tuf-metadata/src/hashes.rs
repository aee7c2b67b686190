//! Hashes and lengths of files (spec section 4.4 "HASHES", 4.5/4.6 "METAFILES", 4.5 "TARGETS").

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use crate::Error;
use crate::fields::{as_int, as_object, as_string};

/// A hash algorithm name as listed in metadata. The four this crate computes are stored
/// without an allocation; any other name is kept as received (python-tuf accepts any name
/// `hashlib` knows, and verifying against one we cannot compute fails).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Algorithm {
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Other(Box<str>),
}

impl Algorithm {
    fn new(name: &str) -> Self {
        match name {
            "sha224" => Algorithm::Sha224,
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            other => Algorithm::Other(other.into()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Algorithm::Sha224 => "sha224",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
            Algorithm::Other(name) => name,
        }
    }
}

/// Digests of a file by algorithm name, each as listed (lower-case hex when made here), in
/// algorithm-name order, each name once. Never empty once parsed from metadata.
///
/// A map in the metadata; a compact sorted list here, because a targets role lists one of
/// these per target and nearly always with one entry: a one-entry `BTreeMap` costs a
/// half-kilobyte node, this costs one small allocation besides the digest.
///
/// ```
/// use tuf_metadata::Hashes;
/// let mut hashes = Hashes::new();
/// hashes.insert("sha512".into(), "bb".into());
/// hashes.insert("sha256".into(), "aa".into());
/// assert_eq!(hashes.get("sha256"), Some("aa"));
/// assert_eq!(hashes.keys().collect::<Vec<_>>(), ["sha256", "sha512"]);
/// assert_eq!(hashes.insert("sha256".into(), "cc".into()), Some("aa".to_owned()));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hashes {
    entries: Box<[(Algorithm, Box<str>)]>,
}

impl Hashes {
    /// No digests.
    pub fn new() -> Self {
        Hashes::default()
    }

    /// The number of digests.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no digests.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The digest listed for `algorithm`.
    pub fn get(&self, algorithm: &str) -> Option<&str> {
        self.position(algorithm)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, d)| &**d)
    }

    /// Whether a digest is listed for `algorithm`.
    pub fn contains_key(&self, algorithm: &str) -> bool {
        self.position(algorithm).is_ok()
    }

    /// Sets the digest for `algorithm`, returning the one it replaces.
    pub fn insert(&mut self, algorithm: String, digest: String) -> Option<String> {
        let algorithm = algorithm.as_str();
        let digest = digest.into_boxed_str();
        match self.position(algorithm) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|(_, old)| std::mem::replace(old, digest).into_string()),
            Err(i) => {
                let mut entries = std::mem::take(&mut self.entries).into_vec();
                entries.insert(i, (Algorithm::new(algorithm), digest));
                self.entries = entries.into_boxed_slice();
                None
            }
        }
    }

    /// Removes the digest for `algorithm`, returning it.
    pub fn remove(&mut self, algorithm: &str) -> Option<String> {
        let i = self.position(algorithm).ok()?;
        let mut entries = std::mem::take(&mut self.entries).into_vec();
        let (_, digest) = entries.remove(i);
        self.entries = entries.into_boxed_slice();
        Some(digest.into_string())
    }

    /// `(algorithm, digest)` pairs in algorithm-name order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    /// The algorithm names, in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.entries.iter().map(|(a, _)| a.as_str())
    }

    /// The digests, in algorithm-name order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.entries.iter().map(|(_, d)| &**d)
    }

    fn position(&self, algorithm: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(a, _)| a.as_str().cmp(algorithm))
    }
}

/// `hashes["sha256"]`, as on a map: panics when the algorithm is not listed. For names that
/// come from input, use [`Hashes::get`].
impl std::ops::Index<&str> for Hashes {
    type Output = str;

    // A missing key is a caller's bug, as for `BTreeMap`'s `Index`; input never reaches here
    // through this crate (it uses `get`).
    #[allow(clippy::panic)]
    fn index(&self, algorithm: &str) -> &str {
        match self.get(algorithm) {
            Some(digest) => digest,
            None => panic!("no {algorithm} digest listed"),
        }
    }
}

impl<'a> IntoIterator for &'a Hashes {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The `(algorithm, digest)` pairs of [`Hashes`], in algorithm-name order.
#[derive(Debug, Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (Algorithm, Box<str>)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(a, d)| (a.as_str(), &**d))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(a, d)| (a.as_str(), &**d))
    }
}

/// Later pairs replace earlier ones with the same algorithm, as in a JSON object read by
/// Python's `json.loads`.
impl<K: AsRef<str>, V: Into<String>> FromIterator<(K, V)> for Hashes {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut entries: Vec<(Algorithm, Box<str>)> = iter
            .into_iter()
            .map(|(a, d)| (Algorithm::new(a.as_ref()), d.into().into_boxed_str()))
            .collect();
        // Stable: among equal names the last received comes last, and is the one kept.
        entries.sort_by(|(a, _), (b, _)| a.as_str().cmp(b.as_str()));
        let mut kept: Vec<(Algorithm, Box<str>)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match kept.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => kept.push(entry),
            }
        }
        Hashes {
            entries: kept.into_boxed_slice(),
        }
    }
}

/// `[("sha256".to_owned(), digest)].into()`, as for a map.
impl<K: AsRef<str>, V: Into<String>, const N: usize> From<[(K, V); N]> for Hashes {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl Serialize for Hashes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (algorithm, digest) in self {
            map.serialize_entry(algorithm, digest)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Hashes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// An algorithm name, read without an allocation when it is one we know.
        struct Name(Algorithm);
        impl<'de> Deserialize<'de> for Name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = Name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a hash algorithm name")
                    }
                    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Name, E> {
                        Ok(Name(Algorithm::new(name)))
                    }
                }
                deserializer.deserialize_str(V)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Hashes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of hex digests by algorithm")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Hashes, A::Error> {
                let mut entries = Vec::with_capacity(1);
                while let Some(Name(algorithm)) = map.next_key()? {
                    let digest: String = map.next_value()?;
                    entries.push((algorithm, digest.into_boxed_str()));
                }
                let sorted = entries.windows(2).all(|w| match w {
                    [(a, _), (b, _)] => a.as_str() < b.as_str(),
                    _ => true,
                });
                if sorted {
                    return Ok(Hashes {
                        entries: entries.into_boxed_slice(),
                    });
                }
                Ok(entries
                    .into_iter()
                    .map(|(a, d)| (a.as_str().to_owned(), d.into_string()))
                    .collect())
            }
        }
        deserializer.deserialize_map(V)
    }
}

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
        .map(|a| Ok((*a, digest_hex(a, data)?)))
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
        if found != expected {
            return Err(Error::HashMismatch {
                algorithm: algorithm.to_owned(),
                expected: expected.to_owned(),
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
                    algorithm.to_owned(),
                    expected.to_owned(),
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
            .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
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
