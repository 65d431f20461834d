//! Small commands: `sleep`, `completions`, `man`.

use clap::CommandFactory;
use nix::sys::signal::{SigSet, Signal};

use crate::cli::Cli;

/// Waits for SIGTERM/SIGINT/SIGHUP, or for `duration` seconds, then exits 0. Works as a
/// container's pid 1 (which ignores signals it has no handler for) because the signals are
/// blocked and taken with `sigwait`.
pub fn sleep(duration: Option<&str>) -> anyhow::Result<i32> {
    let secs: Option<u32> = match duration {
        None | Some("infinity") | Some("inf") => None,
        Some(s) => Some(s.parse::<u32>().map_err(|_| {
            anyhow::anyhow!("bad duration '{s}': give whole seconds (e.g. 30) or 'infinity'")
        })?),
    };
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGALRM,
    ] {
        set.add(s);
    }
    set.thread_block()?;
    if let Some(s) = secs {
        if s == 0 {
            return Ok(0);
        }
        nix::unistd::alarm::set(s);
    }
    set.wait()?;
    Ok(0)
}

/// Prints a completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<i32> {
    let mut cmd = <Cli>::command();
    clap_complete::generate(shell, &mut cmd, "netshoot", &mut std::io::stdout());
    Ok(0)
}

/// Prints the man page.
pub fn man() -> anyhow::Result<i32> {
    clap_mangen::Man::new(<Cli>::command()).render(&mut std::io::stdout())?;
    Ok(0)
}
