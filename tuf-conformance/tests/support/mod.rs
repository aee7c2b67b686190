//! Shared helpers of the integration tests (included with `mod support;`).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `tuf-client` (debug) and returns its path.
pub fn tuf_client() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--quiet",
            "-p",
            "tuf-client",
            "--bin",
            "tuf-client",
        ])
        .status()
        .expect("running cargo build");
    assert!(status.success(), "cargo build -p tuf-client failed");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace.join(dir),
        _ => workspace.join("target"),
    };
    let client = target.join("debug").join("tuf-client");
    assert!(client.is_file(), "{} missing", client.display());
    client
}

/// Writes an executable shell script `name` into `dir`.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The expected-failures file of `client` (`expected-failures/<client>.txt`).
pub fn expected_failures(client: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("expected-failures")
        .join(format!("{client}.txt"))
}
