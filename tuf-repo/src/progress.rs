//! Progress reporting for long operations (hashing target files, signing many roles), so the
//! command can draw progress bars while the library stays free of terminal code.

/// What a progress total counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes (hashing, copying, verifying target files).
    Bytes,
    /// Items (roles signed).
    Items,
}

/// Receives progress of long operations. Called from worker threads, hence `Sync`.
pub trait Progress: Sync {
    /// A task of `total` units starts.
    fn start(&self, task: &str, total: u64, unit: Unit);
    /// `amount` more units are done.
    fn advance(&self, amount: u64);
    /// The task is over.
    fn finish(&self);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _task: &str, _total: u64, _unit: Unit) {}
    fn advance(&self, _amount: u64) {}
    fn finish(&self) {}
}
