//! The committed vectors are exactly what the pinned reference implementation produces.
//!
//! Runs `generator/generate.py --check` with the reference python (creating its venv under
//! `target/pyref` on first use, or using `TUF_REFERENCE_PYTHON`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

#[test]
fn committed_vectors_are_fresh() {
    let output = spec_vectors::reference::run_generator(true).unwrap();
    assert!(
        output.status.success(),
        "the committed spec-vectors differ from what the pinned reference produces; \
         run `cargo xtask vectors` and commit the result.\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
