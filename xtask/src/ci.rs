//! `cargo xtask ci` (being written).
pub(crate) fn run(_args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("ci task not written yet")
}
