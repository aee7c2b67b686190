//! The `tuf-client` binary run as a process, shared by `support/mod.rs` and
//! `support/changing.rs` (which is included by path, without the rest of `support`).

use std::ffi::OsStr;
use std::process::{Command, Output};
use std::time::Duration;

/// How long one client process may run before it is killed (and the test fails).
pub(crate) const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the `tuf-client` binary with `args` (no stdin, output captured), killing it after
/// [`CLIENT_TIMEOUT`].
pub(crate) fn client<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(env!("CARGO_BIN_EXE_tuf-client"));
    command.args(args);
    spec_vectors::process::output_within(&mut command, CLIENT_TIMEOUT)
        .unwrap_or_else(|e| panic!("tuf-client: {e}"))
}
