//! Private keys kept with the repository: `keys/<role>/<keyid>.pem`, unencrypted PKCS#8 PEM
//! (the form securesystemslib's `CryptoSigner` and `file2:` URIs read), owner-only.
//!
//! Signing looks keys up by key id, whatever directory they are in; a key moved out of
//! `keys/` is offline and signs only when handed over explicitly (`sign --key FILE`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tuf_crypto::{KeyId, PrivateKey, PublicKey, RSA_DEFAULT_BITS, Scheme, Signer};

use crate::layout::{self, KEYS_DIR};
use crate::{Error, Storage};

/// How new keys are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyOptions {
    /// Modulus size of new RSA keys, in bits (default 3072, as securesystemslib).
    pub rsa_bits: usize,
}

impl Default for KeyOptions {
    fn default() -> Self {
        KeyOptions {
            rsa_bits: RSA_DEFAULT_BITS,
        }
    }
}

impl KeyOptions {
    /// Generates a new private key for `scheme`.
    ///
    /// # Errors
    /// [`Error::KeyGeneration`].
    pub fn generate(&self, scheme: Scheme) -> Result<PrivateKey, Error> {
        let key = if scheme.keytype() == "rsa" {
            PrivateKey::generate_rsa(scheme, self.rsa_bits)
        } else {
            PrivateKey::generate(scheme)
        };
        key.map_err(|source| Error::KeyGeneration { scheme, source })
    }
}

/// Reads a PKCS#8 PEM private key that must be one of `candidates` (the keys a role trusts),
/// trying the scheme of each: the same RSA key has another key id under each RSA scheme.
/// `None` if the key is none of them.
///
/// # Errors
/// [`Error::PrivateKey`] if the PEM cannot be read at all.
pub fn key_for(
    pem: &str,
    path: &str,
    candidates: &[(KeyId, PublicKey)],
) -> Result<Option<PrivateKey>, Error> {
    // Fails on PEM that holds no usable key at all.
    PrivateKey::from_pkcs8_pem_auto(pem).map_err(|source| Error::PrivateKey {
        path: path.to_owned(),
        source,
    })?;
    for (_, public) in candidates {
        let Some(scheme) = public.scheme() else {
            continue;
        };
        if let Ok(key) = PrivateKey::from_pkcs8_pem(pem, scheme) {
            if key.public_key().key_id() == public.key_id() {
                return Ok(Some(key));
            }
        }
    }
    Ok(None)
}

/// The private keys under `keys/`, indexed by key id and loaded on first use.
#[derive(Debug, Default)]
pub(crate) struct KeyStore {
    index: BTreeMap<KeyId, String>,
    loaded: Mutex<BTreeMap<KeyId, Arc<PrivateKey>>>,
}

impl KeyStore {
    /// Indexes `keys/*/<keyid>.pem`.
    pub(crate) fn load(storage: &dyn Storage) -> Result<Self, Error> {
        let mut index = BTreeMap::new();
        let mut dirs = storage.list(KEYS_DIR).map_err(Error::io(KEYS_DIR))?;
        dirs.sort();
        for dir in dirs {
            let dir_path = format!("{KEYS_DIR}/{dir}");
            let mut names = storage.list(&dir_path).map_err(Error::io(&dir_path))?;
            names.sort();
            for name in names {
                if let Some(keyid) = name.strip_suffix(".pem") {
                    index
                        .entry(KeyId::new(keyid))
                        .or_insert_with(|| format!("{dir_path}/{name}"));
                }
            }
        }
        Ok(KeyStore {
            index,
            loaded: Mutex::new(BTreeMap::new()),
        })
    }

    /// Saves `key` as `keys/<dir>/<keyid>.pem` and keeps it for signing.
    pub(crate) fn store(
        &mut self,
        storage: &dyn Storage,
        dir: &str,
        key: PrivateKey,
    ) -> Result<KeyId, Error> {
        let keyid = key.key_id();
        let path = layout::key_file(dir, keyid.as_str());
        let pem = key.to_pkcs8_pem().map_err(|source| Error::PrivateKey {
            path: path.clone(),
            source,
        })?;
        storage
            .write_private(&path, pem.as_bytes())
            .map_err(Error::io(&path))?;
        self.index.insert(keyid.clone(), path);
        if let Ok(mut loaded) = self.loaded.lock() {
            loaded.insert(keyid.clone(), Arc::new(key));
        }
        Ok(keyid)
    }

    /// The private key of `keyid` (listed as `public`), if it is under `keys/`.
    pub(crate) fn signer(
        &self,
        storage: &dyn Storage,
        keyid: &KeyId,
        public: &PublicKey,
    ) -> Result<Option<Arc<PrivateKey>>, Error> {
        if let Ok(loaded) = self.loaded.lock() {
            if let Some(key) = loaded.get(keyid) {
                return Ok(Some(Arc::clone(key)));
            }
        }
        let Some(path) = self.index.get(keyid) else {
            return Ok(None);
        };
        let Some(scheme) = public.scheme() else {
            return Ok(None);
        };
        let pem = storage.read(path).map_err(Error::io(path))?;
        let pem = String::from_utf8_lossy(&pem);
        let key = PrivateKey::from_pkcs8_pem(&pem, scheme).map_err(|source| Error::PrivateKey {
            path: path.clone(),
            source,
        })?;
        if key.public_key().key_id() != public.key_id() {
            return Err(Error::KeyMismatch {
                path: path.clone(),
                keyid: keyid.clone(),
            });
        }
        let key = Arc::new(key);
        if let Ok(mut loaded) = self.loaded.lock() {
            loaded.insert(keyid.clone(), Arc::clone(&key));
        }
        Ok(Some(key))
    }
}
