//! Updater settings, with python-tuf's defaults.

/// Limits and behaviour of an [`crate::Updater`]. The defaults are python-tuf's
/// (`tuf.ngclient.config.UpdaterConfig`), so the two clients refuse the same oversized
/// metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdaterConfig {
    /// Most root versions fetched in one refresh (spec 5.3.3; python-tuf: 256).
    pub max_root_rotations: u32,
    /// Most delegated roles visited in one target search (spec 5.6.7; python-tuf: 32).
    pub max_delegations: u32,
    /// Byte cap for each root (python-tuf: 512000).
    pub root_max_length: u64,
    /// Byte cap for timestamp (python-tuf: 16384).
    pub timestamp_max_length: u64,
    /// Byte cap for snapshot when timestamp lists no length (python-tuf: 2000000).
    pub snapshot_max_length: u64,
    /// Byte cap for a targets role when snapshot lists no length (python-tuf: 5000000).
    pub targets_max_length: u64,
    /// With consistent snapshots, request targets as `<dir>/<hash>.<name>` (spec 5.7.3).
    pub prefix_targets_with_hash: bool,
}

impl Default for UpdaterConfig {
    fn default() -> Self {
        UpdaterConfig {
            max_root_rotations: 256,
            max_delegations: 32,
            root_max_length: 512_000,
            timestamp_max_length: 16_384,
            snapshot_max_length: 2_000_000,
            targets_max_length: 5_000_000,
            prefix_targets_with_hash: true,
        }
    }
}
