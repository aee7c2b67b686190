//! The signature schemes: names, key types, and the `(keytype, scheme)` table.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A signature scheme, as named in the `"scheme"` field of a key (TUF spec section 4.2,
/// "keys": `KEYTYPE` and `SCHEME`).
///
/// These are the schemes of securesystemslib's `SSlibKey` that this crate implements. The
/// hash algorithm is fixed by the scheme; for ECDSA the curve is too.
///
/// ```
/// use tuf_crypto::Scheme;
///
/// let scheme: Scheme = "rsassa-pss-sha256".parse()?;
/// assert_eq!(scheme, Scheme::RsassaPssSha256);
/// assert_eq!(scheme.keytype(), "rsa");
/// assert_eq!(Scheme::from_pair("ecdsa", "ecdsa-sha2-nistp384"), Some(Scheme::EcdsaSha2Nistp384));
/// assert_eq!(Scheme::from_pair("rsa", "ed25519"), None);
/// # Ok::<(), tuf_crypto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scheme {
    /// `ed25519`: Ed25519 (RFC 8032, pure, no pre-hash); key type `ed25519`, public key as 64
    /// hex characters; 64-byte signatures.
    Ed25519,
    /// `ecdsa-sha2-nistp256`: ECDSA on P-256 with SHA-256; key type `ecdsa`, public key as PEM
    /// SubjectPublicKeyInfo; ASN.1 DER signatures.
    EcdsaSha2Nistp256,
    /// `ecdsa-sha2-nistp384`: ECDSA on P-384 with SHA-384; otherwise as
    /// [`Scheme::EcdsaSha2Nistp256`].
    EcdsaSha2Nistp384,
    /// `rsassa-pss-sha256`: RSASSA-PSS with SHA-256 and MGF1-SHA-256; key type `rsa`, public key
    /// as PEM SubjectPublicKeyInfo.
    RsassaPssSha256,
    /// `rsassa-pss-sha384`: RSASSA-PSS with SHA-384 and MGF1-SHA-384.
    RsassaPssSha384,
    /// `rsassa-pss-sha512`: RSASSA-PSS with SHA-512 and MGF1-SHA-512.
    RsassaPssSha512,
    /// `rsa-pkcs1v15-sha256`: RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1v15Sha256,
    /// `rsa-pkcs1v15-sha384`: RSASSA-PKCS1-v1_5 with SHA-384.
    RsaPkcs1v15Sha384,
    /// `rsa-pkcs1v15-sha512`: RSASSA-PKCS1-v1_5 with SHA-512.
    RsaPkcs1v15Sha512,
}

/// Key type of Ed25519 keys.
const KEYTYPE_ED25519: &str = "ed25519";
/// Key type of ECDSA keys.
const KEYTYPE_ECDSA: &str = "ecdsa";
/// Key type of RSA keys.
const KEYTYPE_RSA: &str = "rsa";

impl Scheme {
    /// Every scheme, in declaration order.
    pub const ALL: [Scheme; 9] = [
        Scheme::Ed25519,
        Scheme::EcdsaSha2Nistp256,
        Scheme::EcdsaSha2Nistp384,
        Scheme::RsassaPssSha256,
        Scheme::RsassaPssSha384,
        Scheme::RsassaPssSha512,
        Scheme::RsaPkcs1v15Sha256,
        Scheme::RsaPkcs1v15Sha384,
        Scheme::RsaPkcs1v15Sha512,
    ];

    /// The scheme's name, as written in the `"scheme"` field of a key.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Ed25519 => "ed25519",
            Scheme::EcdsaSha2Nistp256 => "ecdsa-sha2-nistp256",
            Scheme::EcdsaSha2Nistp384 => "ecdsa-sha2-nistp384",
            Scheme::RsassaPssSha256 => "rsassa-pss-sha256",
            Scheme::RsassaPssSha384 => "rsassa-pss-sha384",
            Scheme::RsassaPssSha512 => "rsassa-pss-sha512",
            Scheme::RsaPkcs1v15Sha256 => "rsa-pkcs1v15-sha256",
            Scheme::RsaPkcs1v15Sha384 => "rsa-pkcs1v15-sha384",
            Scheme::RsaPkcs1v15Sha512 => "rsa-pkcs1v15-sha512",
        }
    }

    /// The `"keytype"` that new keys of this scheme get: `"ed25519"`, `"ecdsa"` or `"rsa"`.
    ///
    /// The spec (section 4.2) names `"ecdsa"` as the key type of ECDSA keys; older metadata
    /// also uses the scheme name as key type, which [`Scheme::from_pair`] still accepts.
    pub fn keytype(self) -> &'static str {
        match self {
            Scheme::Ed25519 => KEYTYPE_ED25519,
            Scheme::EcdsaSha2Nistp256 | Scheme::EcdsaSha2Nistp384 => KEYTYPE_ECDSA,
            Scheme::RsassaPssSha256
            | Scheme::RsassaPssSha384
            | Scheme::RsassaPssSha512
            | Scheme::RsaPkcs1v15Sha256
            | Scheme::RsaPkcs1v15Sha384
            | Scheme::RsaPkcs1v15Sha512 => KEYTYPE_RSA,
        }
    }

    /// The scheme a key with this `keytype` and `scheme` is verified with, or `None` if the
    /// pair is not supported.
    ///
    /// This is the exact table of securesystemslib's `SSlibKey`: the key type must be the
    /// scheme's [`Scheme::keytype`], except that the deprecated ECDSA key types
    /// `"ecdsa-sha2-nistp256"` and `"ecdsa-sha2-nistp384"` are accepted with the scheme of the
    /// same name. Matching is exact (case-sensitive).
    pub fn from_pair(keytype: &str, scheme: &str) -> Option<Scheme> {
        let parsed = Scheme::from_name(scheme)?;
        let legacy_ecdsa = matches!(
            parsed,
            Scheme::EcdsaSha2Nistp256 | Scheme::EcdsaSha2Nistp384
        ) && keytype == parsed.as_str();
        (keytype == parsed.keytype() || legacy_ecdsa).then_some(parsed)
    }

    /// Looks a scheme up by its name.
    fn from_name(name: &str) -> Option<Scheme> {
        Scheme::ALL
            .into_iter()
            .find(|scheme| scheme.as_str() == name)
    }

    /// Whether this is one of the RSA schemes.
    pub(crate) fn is_rsa(self) -> bool {
        self.keytype() == KEYTYPE_RSA
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = Error;

    /// Parses a scheme name (exact, case-sensitive); [`Error::UnknownScheme`] otherwise.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Scheme::from_name(name).ok_or_else(|| Error::UnknownScheme {
            scheme: name.to_owned(),
        })
    }
}

impl serde::Serialize for Scheme {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Scheme {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for scheme in Scheme::ALL {
            assert_eq!(scheme.as_str().parse::<Scheme>().unwrap(), scheme);
            assert_eq!(scheme.to_string(), scheme.as_str());
            assert_eq!(
                Scheme::from_pair(scheme.keytype(), scheme.as_str()),
                Some(scheme)
            );
            let json = serde_json::to_string(&scheme).unwrap();
            assert_eq!(serde_json::from_str::<Scheme>(&json).unwrap(), scheme);
        }
    }

    #[test]
    fn exact_table() {
        assert_eq!(
            Scheme::from_pair("ed25519", "ed25519"),
            Some(Scheme::Ed25519)
        );
        assert_eq!(Scheme::from_pair("ecdsa", "ed25519"), None);
        assert_eq!(Scheme::from_pair("rsa", "ecdsa-sha2-nistp256"), None);
        assert_eq!(Scheme::from_pair("ed25519", "rsassa-pss-sha256"), None);
        assert_eq!(Scheme::from_pair("RSA", "rsassa-pss-sha256"), None);
        assert_eq!(Scheme::from_pair("rsa", "RSASSA-PSS-SHA256"), None);
        assert_eq!(Scheme::from_pair("rsa", "rsassa-pss-sha224"), None);
        assert_eq!(Scheme::from_pair("ecdsa", "ecdsa-sha2-nistp521"), None);
        assert_eq!(
            Scheme::from_pair("rsa", "rsa-pkcs1v15-sha384"),
            Some(Scheme::RsaPkcs1v15Sha384)
        );
    }

    #[test]
    fn legacy_ecdsa_keytypes() {
        assert_eq!(
            Scheme::from_pair("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"),
            Some(Scheme::EcdsaSha2Nistp256)
        );
        assert_eq!(
            Scheme::from_pair("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"),
            Some(Scheme::EcdsaSha2Nistp384)
        );
        // The legacy key type must name the same scheme.
        assert_eq!(
            Scheme::from_pair("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384"),
            None
        );
        assert_eq!(Scheme::from_pair("ed25519", "ecdsa-sha2-nistp384"), None);
    }

    #[test]
    fn unknown_name() {
        assert_eq!(
            "ecdsa-sha2-nistp521".parse::<Scheme>(),
            Err(Error::UnknownScheme {
                scheme: "ecdsa-sha2-nistp521".into()
            })
        );
    }
}
