//! The fields every `signed` object has (spec section 4.2): `_type`, `spec_version`,
//! `version`, `expires`.

use serde_json::Value;

use crate::fields::Fields;
use crate::{Error, Expires, SpecVersion};

/// The common fields, read.
pub(crate) struct Common {
    pub(crate) spec_version: SpecVersion,
    pub(crate) version: u64,
    pub(crate) expires: Expires,
}

/// Reads and checks `_type`, `spec_version`, `version` and `expires`.
pub(crate) fn read(fields: &mut Fields, expected_type: &'static str) -> Result<Common, Error> {
    let found = fields.string("_type")?;
    if found != expected_type {
        return Err(Error::Type {
            expected: expected_type,
            found,
        });
    }
    let spec_version: SpecVersion = fields.string("spec_version")?.parse()?;
    let version = fields.int("version")?;
    let version = check_version(version, &fields.field_path("version"))?;
    let expires: Expires = fields.string("expires")?.parse()?;
    Ok(Common {
        spec_version,
        version,
        expires,
    })
}

pub(crate) fn check_version(version: i64, path: &str) -> Result<u64, Error> {
    u64::try_from(version)
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| Error::Version {
            path: path.to_owned(),
            value: version,
        })
}

pub(crate) fn fields(
    type_name: &'static str,
    spec_version: &SpecVersion,
    version: u64,
    expires: Expires,
) -> [(&'static str, Value); 4] {
    [
        ("_type", Value::String(type_name.to_owned())),
        (
            "spec_version",
            Value::String(spec_version.as_str().to_owned()),
        ),
        ("version", Value::from(version)),
        ("expires", Value::String(expires.to_string())),
    ]
}

/// Implements the [`crate::Signed`] accessors for a role struct with `version`, `expires` and
/// `spec_version` fields.
macro_rules! signed_accessors {
    () => {
        fn version(&self) -> u64 {
            self.version
        }

        fn expires(&self) -> $crate::Expires {
            self.expires
        }

        fn spec_version(&self) -> &$crate::SpecVersion {
            &self.spec_version
        }
    };
}
pub(crate) use signed_accessors;
