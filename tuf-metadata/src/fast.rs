//! A direct parse of the large maps of `signed` (targets' `targets`, snapshot's `meta`)
//! from JSON text, without building a `serde_json::Value` for every entry first.
//!
//! It is only an accelerator: it accepts exactly what the field-by-field path in
//! [`crate::fields`] accepts for well-formed input, and on *any* anomaly it gives up so that
//! the caller re-parses through the field-by-field path, which reports the precise, typed
//! error. Duplicate keys keep the last value, as `serde_json::Value` (and Python) do.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::entry_map::Index;
use crate::hashes::Hashes;
use crate::{MetaFile, TargetFile};

/// An entry type of a large map, parsed straight from the deserializer. Public only so that
/// [`crate::entry_map::EntryMap`] can name it in its bounds; this module is private, so no
/// other crate can implement or call it (a sealed trait).
pub trait FastEntry: Sized + Clone {
    /// The member of `signed` holding the map.
    const FIELD: &'static str;

    /// No entry (key, colon and object) takes fewer bytes of JSON text than this: the
    /// entries of a text of `n` bytes fit in `n / MIN_TEXT_LEN` slots.
    const MIN_TEXT_LEN: usize;

    /// Reads one entry object.
    fn visit<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// `signed`, split into the large map (if present) and every other member as a `Value`.
pub(crate) struct FastSigned<E> {
    pub(crate) map: Option<BTreeMap<String, E>>,
    pub(crate) rest: Map<String, Value>,
}

impl<E: FastEntry> FastSigned<E> {
    /// Parses `text`; `None` means "use the field-by-field path".
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let signed = Seed::<FastSigned<E>>::new(text.len())
            .deserialize(&mut deserializer)
            .ok()?;
        deserializer.end().ok()?;
        Some(signed)
    }
}

/// One entry object, read by [`FastEntry::visit`].
pub(crate) struct Entry<E>(pub(crate) E);
struct EntryMap<E>(BTreeMap<String, E>);

/// Reads a `T` from text of `text_len` bytes: the entries are collected in a vector reserved
/// once for as many as the text can hold ([`FastEntry::MIN_TEXT_LEN`]). Capacity never touched
/// is only address space, so the vector never moves while it fills (no copy, no second
/// allocation of its size), and the reservation is bounded by the text.
struct Seed<T> {
    text_len: usize,
    kind: PhantomData<T>,
}

impl<T> Seed<T> {
    fn new(text_len: usize) -> Self {
        Seed {
            text_len,
            kind: PhantomData,
        }
    }
}

/// A member name of an entry: one of the names the entry types read, recognised without an
/// allocation, or any other name (an unrecognised field, kept).
struct Field(Name);

enum Name {
    Known(&'static str),
    Unknown(String),
}

use Name::{Known, Unknown};

/// The member names [`Field`] recognises without allocating.
const KNOWN_FIELDS: [&str; 4] = ["custom", "hashes", "length", "version"];

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Field, E> {
                Ok(Field(
                    match KNOWN_FIELDS.iter().find(|known| **known == name) {
                        Some(known) => Known(known),
                        None => Unknown(name.to_owned()),
                    },
                ))
            }
            fn visit_string<E: serde::de::Error>(self, name: String) -> Result<Field, E> {
                Ok(Field(
                    match KNOWN_FIELDS.iter().find(|known| **known == name) {
                        Some(known) => Known(known),
                        None => Unknown(name),
                    },
                ))
            }
        }
        deserializer.deserialize_str(V)
    }
}

fn non_negative<E: serde::de::Error>(value: i64, minimum: i64) -> Result<u64, E> {
    u64::try_from(value)
        .ok()
        .filter(|v| i64::try_from(*v).is_ok_and(|v| v >= minimum))
        .ok_or_else(|| E::custom("out of range"))
}

fn hashes<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Hashes, A::Error> {
    let hashes: Hashes = map.next_value()?;
    if hashes.is_empty() {
        return Err(A::Error::custom("empty hashes"));
    }
    Ok(hashes)
}

impl FastEntry for TargetFile {
    const FIELD: &'static str = "targets";
    /// `"":{"length":0,"hashes":{"":""}}` (both members are required, `hashes` not empty).
    const MIN_TEXT_LEN: usize = 32;

    fn visit<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let (mut length, mut hashes_found, mut custom) = (None, None, None);
        let mut unrecognized_fields = Map::new();
        while let Some(Field(key)) = map.next_key()? {
            match key {
                Known("length") => length = Some(non_negative(map.next_value()?, 0)?),
                Known("hashes") => hashes_found = Some(hashes(&mut map)?),
                Known("custom") => custom = Some(map.next_value::<Map<String, Value>>()?),
                Known(other) => {
                    unrecognized_fields.insert(other.to_owned(), map.next_value()?);
                }
                Unknown(key) => {
                    unrecognized_fields.insert(key, map.next_value()?);
                }
            }
        }
        Ok(TargetFile {
            length: length.ok_or_else(|| A::Error::missing_field("length"))?,
            hashes: hashes_found.ok_or_else(|| A::Error::missing_field("hashes"))?,
            custom,
            unrecognized_fields,
        })
    }
}

impl FastEntry for MetaFile {
    const FIELD: &'static str = "meta";
    /// `"":{"version":1}`
    const MIN_TEXT_LEN: usize = 16;

    fn visit<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let (mut version, mut length, mut hashes_found) = (None, None, None);
        let mut unrecognized_fields = Map::new();
        while let Some(Field(key)) = map.next_key()? {
            match key {
                Known("version") => version = Some(non_negative(map.next_value()?, 1)?),
                Known("length") => length = Some(non_negative(map.next_value()?, 0)?),
                Known("hashes") => hashes_found = Some(hashes(&mut map)?),
                Known(other) => {
                    unrecognized_fields.insert(other.to_owned(), map.next_value()?);
                }
                Unknown(key) => {
                    unrecognized_fields.insert(key, map.next_value()?);
                }
            }
        }
        Ok(MetaFile {
            version: version.ok_or_else(|| A::Error::missing_field("version"))?,
            length,
            hashes: hashes_found,
            unrecognized_fields,
        })
    }
}

impl<'de, E: FastEntry> Deserialize<'de> for Entry<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<E>(PhantomData<E>);
        impl<'de, E: FastEntry> Visitor<'de> for V<E> {
            type Value = Entry<E>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Entry<E>, A::Error> {
                E::visit(map).map(Entry)
            }
        }
        deserializer.deserialize_map(V(PhantomData))
    }
}

impl<'de, E: FastEntry> DeserializeSeed<'de> for Seed<EntryMap<E>> {
    type Value = EntryMap<E>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<EntryMap<E>, D::Error> {
        struct V<E>(usize, PhantomData<E>);
        impl<'de, E: FastEntry> Visitor<'de> for V<E> {
            type Value = EntryMap<E>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntryMap<E>, A::Error> {
                // Collected in order and bulk-built: the map is built once, without a search
                // per insertion (the text python-tuf writes is already sorted, so the stable
                // sort inside `from_iter` is a single pass), and with full nodes. For equal keys
                // `from_iter` keeps the last, as `insert` did.
                let mut entries = Vec::with_capacity(self.0 / E::MIN_TEXT_LEN.max(1));
                while let Some(key) = map.next_key::<String>()? {
                    let Entry(entry) = map.next_value::<Entry<E>>()?;
                    entries.push((key, entry));
                }
                Ok(EntryMap(BTreeMap::from_iter(entries)))
            }
        }
        deserializer.deserialize_map(V(self.text_len, PhantomData))
    }
}

impl<'de, E: FastEntry> DeserializeSeed<'de> for Seed<FastSigned<E>> {
    type Value = FastSigned<E>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<FastSigned<E>, D::Error> {
        struct V<E>(usize, PhantomData<E>);
        impl<'de, E: FastEntry> Visitor<'de> for V<E> {
            type Value = FastSigned<E>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FastSigned<E>, A::Error> {
                let mut signed = FastSigned {
                    map: None,
                    rest: Map::new(),
                };
                while let Some(key) = map.next_key::<String>()? {
                    if key == E::FIELD {
                        let entries = map.next_value_seed(Seed::<EntryMap<E>>::new(self.0))?;
                        signed.map = Some(entries.0);
                    } else {
                        signed.rest.insert(key, map.next_value()?);
                    }
                }
                Ok(signed)
            }
        }
        deserializer.deserialize_map(V(self.text_len, PhantomData))
    }
}

/// `signed`, its large map (targets' `targets`, snapshot's `meta`) validated and indexed in
/// the bytes that hold it (see [`crate::entry_map`]), and every other member as a `Value`.
pub(crate) struct IndexedSigned<E> {
    pub(crate) index: Option<Index<E>>,
    pub(crate) rest: Map<String, Value>,
}

impl<E: FastEntry> IndexedSigned<E> {
    /// Parses `text`, which lies inside `owner`; `None` means "use [`FastSigned::parse`]":
    /// any anomaly, a key with an escape (its text is not its value), or `text` not inside
    /// `owner`. Every entry is read by [`FastEntry::visit`] exactly as there, and dropped.
    pub(crate) fn parse(owner: &Arc<Vec<u8>>, text: &str) -> Option<Self> {
        let bytes = owner.as_slice();
        let offset = (text.as_ptr() as usize).checked_sub(bytes.as_ptr() as usize)?;
        if offset.checked_add(text.len())? > bytes.len() || u32::try_from(bytes.len()).is_err() {
            return None;
        }
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let seed = IndexedSeed::<E> {
            bytes,
            text_len: text.len(),
            kind: PhantomData,
        };
        let (keys, rest) = seed.deserialize(&mut deserializer).ok()?;
        deserializer.end().ok()?;
        Some(IndexedSigned {
            index: keys.map(|keys| Index::new(Arc::clone(owner), keys)),
            rest,
        })
    }
}

/// Reads `signed`, indexing its map of `E` entries in `bytes` (which hold the text read).
struct IndexedSeed<'b, E> {
    bytes: &'b [u8],
    text_len: usize,
    kind: PhantomData<E>,
}

impl<E> Clone for IndexedSeed<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for IndexedSeed<'_, E> {}

/// The spans of a map's keys, sorted by key, unique.
type KeySpans = Vec<(u32, u32)>;

/// A key read straight from the text: `None` when it has an escape (the deserializer had to
/// decode it, so it is not a slice of the text).
struct BorrowedKey<'de>(Option<&'de str>);

impl<'de> Deserialize<'de> for BorrowedKey<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BorrowedKey<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                key: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(BorrowedKey(Some(key)))
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(BorrowedKey(None))
            }
        }
        deserializer.deserialize_str(V)
    }
}

impl<E> IndexedSeed<'_, E> {
    fn key(&self, span: &(u32, u32)) -> &[u8] {
        crate::entry_map::key_text(self.bytes, span).unwrap_or_default()
    }

    /// Sorts `keys` by key, keeping the last of equal keys (as `BTreeMap::from_iter` does).
    fn sort_unique(&self, mut keys: KeySpans) -> KeySpans {
        keys.sort_by(|a, b| self.key(a).cmp(self.key(b)));
        let mut unique: KeySpans = Vec::with_capacity(keys.len());
        for span in keys {
            match unique.last_mut() {
                Some(last) if self.key(last) == self.key(&span) => *last = span,
                _ => unique.push(span),
            }
        }
        unique
    }
}

/// The map itself.
struct MapSeed<'b, E>(IndexedSeed<'b, E>);

impl<'de, E: FastEntry> DeserializeSeed<'de> for MapSeed<'_, E> {
    type Value = KeySpans;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<KeySpans, D::Error> {
        struct V<'b, E>(IndexedSeed<'b, E>);
        impl<'de, E: FastEntry> Visitor<'de> for V<'_, E> {
            type Value = KeySpans;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeySpans, A::Error> {
                let seed = self.0;
                let base = seed.bytes.as_ptr() as usize;
                // Bounded by the text, as in `Seed` (untouched capacity is address space).
                let mut keys: KeySpans = Vec::with_capacity(seed.text_len / E::MIN_TEXT_LEN.max(1));
                let mut previous: Option<&'de str> = None;
                let mut sorted = true;
                while let Some(BorrowedKey(key)) = map.next_key()? {
                    let key = key.ok_or_else(|| A::Error::custom("a key with an escape"))?;
                    let Entry(_) = map.next_value::<Entry<E>>()?;
                    let span = (key.as_ptr() as usize)
                        .checked_sub(base)
                        .and_then(|start| {
                            Some((u32::try_from(start).ok()?, u32::try_from(key.len()).ok()?))
                        })
                        .ok_or_else(|| A::Error::custom("a key outside the bytes"))?;
                    sorted &= previous.is_none_or(|previous| previous < key);
                    previous = Some(key);
                    keys.push(span);
                }
                let mut keys = if sorted { keys } else { seed.sort_unique(keys) };
                keys.shrink_to_fit();
                Ok(keys)
            }
        }
        deserializer.deserialize_map(V(self.0))
    }
}

impl<'de, E: FastEntry> DeserializeSeed<'de> for IndexedSeed<'_, E> {
    type Value = (Option<KeySpans>, Map<String, Value>);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        struct V<'b, E>(IndexedSeed<'b, E>);
        impl<'de, E: FastEntry> Visitor<'de> for V<'_, E> {
            type Value = (Option<KeySpans>, Map<String, Value>);
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut keys, mut rest) = (None, Map::new());
                while let Some(key) = map.next_key::<String>()? {
                    if key == E::FIELD {
                        keys = Some(map.next_value_seed(MapSeed(self.0))?);
                    } else {
                        rest.insert(key, map.next_value()?);
                    }
                }
                Ok((keys, rest))
            }
        }
        deserializer.deserialize_map(V(self))
    }
}
