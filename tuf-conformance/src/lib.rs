//! The TUF conformance suite: a repository simulator, a catalogue of attack scenarios, and a
//! runner that drives any client speaking the client command-line protocol
//! (`shared/CLIENT-CLI.md`).
//!
//! - [`simulator::RepositorySimulator`] builds any repository state (every key type,
//!   thresholds, delegations by paths, path hash prefixes and succinct bins, consistent
//!   snapshots or not) and tampers with it;
//! - [`server::Server`] serves the simulator's files over HTTP/1.1 on 127.0.0.1, with hostile
//!   behaviours per path, and records every request; [`dir_server::DirServer`] serves a
//!   repository directory on disk the same way (no hostility), for end-to-end tests;
//! - [`scenario::Scenario`] describes one test: steps that publish, run the client and check
//!   what it did; [`catalogue::catalogue`] lists them all;
//! - [`runner`] runs scenarios against a client command and judges them against a list of
//!   expected failures;
//! - [`export`] writes the catalogue down as language-neutral JSON data and blobs
//!   (`spec-vectors/data/conformance/`), for harnesses in other languages.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod catalogue;
pub mod dir_server;
mod error;
pub mod export;
pub mod runner;
pub mod scenario;
mod seeded;
pub mod server;
pub mod simulator;

pub use error::Error;
pub use tuf_crypto;
pub use tuf_metadata;

/// Percent-encodes `name` like Python's `urllib.parse.quote(name, safe="")`: every byte except
/// `A-Z a-z 0-9 _ . - ~` becomes `%XX` (upper-case hex).
///
/// ```
/// assert_eq!(tuf_conformance::quote("a/b c"), "a%2Fb%20c");
/// ```
pub fn quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
