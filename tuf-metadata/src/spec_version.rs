//! The `spec_version` field (spec section 4.2).

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The specification version metadata claims to follow.
///
/// Accepted as python-tuf accepts it: `MAJOR.MINOR` or `MAJOR.MINOR.PATCH`, decimal digits
/// only, with major version `1` (spec section 4.2: "clients MUST NOT update to a version with a
/// different major version"). The text is kept as written so that it round-trips exactly.
///
/// ```
/// use tuf_metadata::SpecVersion;
/// assert!("1.0.31".parse::<SpecVersion>().is_ok());
/// assert!("1.0".parse::<SpecVersion>().is_ok());
/// assert!("2.0.0".parse::<SpecVersion>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpecVersion(String);

impl SpecVersion {
    /// The version this crate implements.
    pub const CURRENT: &'static str = "1.0.31";

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for SpecVersion {
    fn default() -> Self {
        SpecVersion(Self::CURRENT.to_owned())
    }
}

impl FromStr for SpecVersion {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Error> {
        let parts: Vec<&str> = value.split('.').collect();
        let well_formed = (2..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        // python-tuf compares the major component as a string with "1".
        if well_formed && parts.first() == Some(&"1") {
            Ok(SpecVersion(value.to_owned()))
        } else {
            Err(Error::SpecVersion {
                value: value.to_owned(),
            })
        }
    }
}

impl fmt::Display for SpecVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_refuses() {
        for good in ["1.0", "1.0.31", "1.0.34", "1.99.0"] {
            assert_eq!(good.parse::<SpecVersion>().unwrap().as_str(), good);
        }
        for bad in [
            "1", "2.0", "1.a", "1.0.0.0", "01.0", "1..0", "", "1.0.", " 1.0",
        ] {
            assert!(
                matches!(bad.parse::<SpecVersion>(), Err(Error::SpecVersion { .. })),
                "{bad}"
            );
        }
    }
}
