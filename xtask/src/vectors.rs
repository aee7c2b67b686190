//! `cargo xtask vectors [--check]`: regenerate the spec-vectors data with the pinned
//! reference implementation, or (with `--check`) fail when the committed data is stale.
//!
//! The reference venv is created on first use under `target/pyref` (see
//! `spec_vectors::reference`); set `TUF_REFERENCE_PYTHON` to use an existing interpreter.

use std::io::Write as _;

use anyhow::{Context as _, bail};

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => bail!("usage: cargo xtask vectors [--check]"),
    };
    let python = spec_vectors::reference::python().context("cannot get the reference python")?;
    eprintln!("reference python: {}", python.display());
    let output = spec_vectors::reference::run_generator(check)
        .context("cannot run spec-vectors/generator/generate.py")?;
    std::io::stdout().write_all(&output.stdout)?;
    std::io::stderr().write_all(&output.stderr)?;
    if output.status.success() {
        return Ok(());
    }
    if check && output.status.code() == Some(1) {
        bail!(
            "the committed spec-vectors differ from what the reference produces \
             (files listed above); run `cargo xtask vectors` and commit the result"
        );
    }
    bail!("spec-vectors generator failed ({})", output.status)
}
