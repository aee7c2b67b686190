//! `cargo xtask vectors` (being written).
pub(crate) fn run(_args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("vectors task not written yet")
}
