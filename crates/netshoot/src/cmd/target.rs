//! Resolving and entering `-t SPEC`.

use netshoot_ns::{Target, TargetSpec};

use crate::render::Output;

/// Resolves `-t SPEC` (narrowed to `-c CONTAINER` for pod targets; or the current namespace
/// when absent) and enters it on the calling thread. Must run before any other thread or async
/// runtime is created.
pub fn enter(spec: Option<&str>, container: Option<&str>, out: &Output) -> anyhow::Result<Target> {
    let spec = match spec {
        Some(s) => TargetSpec::parse(s)?,
        None => TargetSpec::Current,
    };
    let spec = match container {
        Some(c) => spec.with_container(c)?,
        None => spec,
    };
    let target = netshoot_ns::resolve(&spec)?;
    for n in &target.notes {
        out.note(n);
    }
    // Only for an explicit -t: classic tools pass their own -v (tcpdump -vv) through.
    if out.verbose > 0 && !matches!(spec, TargetSpec::Current) {
        out.note(&format!(
            "target {}: entering {} (netns inode {})",
            target.label,
            target.netns.display(),
            target.inode
        ));
    }
    netshoot_ns::enter(&target)?;
    Ok(target)
}
