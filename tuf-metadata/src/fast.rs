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

use serde::de::{Deserialize, DeserializeSeed, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::hashes::Hashes;
use crate::{MetaFile, TargetFile};

/// An entry type of a large map, parsed straight from the deserializer.
pub(crate) trait FastEntry: Sized {
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

struct Entry<E>(E);
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
