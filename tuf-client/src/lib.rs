//! The TUF client workflow of specification section 5.
//!
//! - [`trusted`]: the sans-I/O trusted-metadata state machine. It takes bytes and a reference
//!   time and returns verified metadata or a [`trusted::TrustError`] naming the check that
//!   failed (spec 5.2-5.6).
//! - [`fetcher`]: how bytes are fetched (HTTP over rustls, `file://`), always with a length cap.
//! - [`cache`]: the local metadata directory: bytes exactly as received, written atomically,
//!   shared safely between processes with an advisory lock.
//! - [`Updater`]: the I/O shell that ties them together, as python-tuf's `ngclient.Updater`
//!   does: fetch with a cap, hand the bytes to the core, persist only what it accepted.
//!
//! See ARCHITECTURE.md at the workspace root for how an update flows through them.
#![forbid(unsafe_code)]
// Panic freedom (ARCHITECTURE.md, invariant 4): library code never unwraps, expects, panics or
// indexes out of bounds; tests are exempt (clippy.toml), exceptions carry an `#[allow]` with
// the reason.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![warn(missing_docs)]

pub mod cache;
mod config;
mod error;
pub mod fetcher;
pub mod progress;
pub mod trusted;
mod updater;

pub use config::UpdaterConfig;
pub use error::Error;
pub use updater::{Updater, UpdaterBuilder};

pub use tuf_crypto;
pub use tuf_metadata;
