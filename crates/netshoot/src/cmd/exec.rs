//! `exec`: a host program inside the target's network namespace.

use netshoot_ns::{ExecRequest, Target};

use crate::cli::ExecArgs;

/// Runs the program (already inside the target) and passes its exit status on.
pub fn run(args: &ExecArgs, target: &Target) -> anyhow::Result<i32> {
    let req = ExecRequest {
        argv: args.argv.clone(),
        label: target.label.clone(),
    };
    Ok(netshoot_ns::exec(&req)?)
}
