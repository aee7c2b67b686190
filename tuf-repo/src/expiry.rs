//! How long each role's metadata stays valid.

use tuf_metadata::{Expires, TOP_LEVEL_ROLE_NAMES};

use crate::Error;

/// Seconds in a day.
const DAY: i64 = 24 * 60 * 60;

/// Days until a new version of each kind of role expires (python-tuf's examples use similar
/// periods): root 365, targets 365, delegated targets roles 365, snapshot 7, timestamp 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    /// Root.
    pub root_days: u32,
    /// Top-level targets.
    pub targets_days: u32,
    /// Delegated targets roles, hash bins included.
    pub delegated_days: u32,
    /// Snapshot.
    pub snapshot_days: u32,
    /// Timestamp.
    pub timestamp_days: u32,
}

impl Default for ExpiryPolicy {
    fn default() -> Self {
        ExpiryPolicy {
            root_days: 365,
            targets_days: 365,
            delegated_days: 365,
            snapshot_days: 7,
            timestamp_days: 1,
        }
    }
}

impl ExpiryPolicy {
    /// The period of `role`.
    pub fn days_for(&self, role: &str) -> u32 {
        match role {
            "root" => self.root_days,
            "targets" => self.targets_days,
            "snapshot" => self.snapshot_days,
            "timestamp" => self.timestamp_days,
            _ => self.delegated_days,
        }
    }
}

/// `days` days after `now` (Unix seconds).
///
/// ```
/// let expires = tuf_repo::expires_in(0, 1).unwrap();
/// assert_eq!(expires.to_string(), "1970-01-02T00:00:00Z");
/// ```
///
/// # Errors
/// [`Error::ExpiryRange`] beyond year 9999.
pub fn expires_in(now: i64, days: u32) -> Result<Expires, Error> {
    i64::from(days)
        .checked_mul(DAY)
        .and_then(|d| now.checked_add(d))
        .and_then(Expires::from_unix_seconds)
        .ok_or(Error::ExpiryRange {
            days: u64::from(days),
        })
}

/// Whether `role` is one of the four top-level roles.
pub(crate) fn is_top_level(role: &str) -> bool {
    TOP_LEVEL_ROLE_NAMES.contains(&role)
}
