//! Running a host program inside the entered namespace (`nsenter --net`).

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use nix::sys::signal::{signal, SigHandler, Signal};

use crate::NsError;

/// What to run.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// Program and arguments; empty means an interactive shell.
    pub argv: Vec<String>,
    /// The target label, exported as `NETSHOOT_TARGET` and shown in the shell prompt.
    pub label: String,
}

/// Runs the program in the calling thread's namespace (enter the target first) and returns the
/// exit status to pass on: the program's own, or 128+N when a signal N ended it.
///
/// Only the network namespace changes: the mount namespace stays, so host tools are usable.
pub fn exec(req: &ExecRequest) -> Result<i32, NsError> {
    let (mut cmd, program) = if req.argv.is_empty() {
        shell(&req.label)?
    } else {
        let mut c = Command::new(&req.argv[0]);
        c.args(&req.argv[1..]);
        (c, req.argv[0].clone())
    };
    cmd.env("NETSHOOT_TARGET", &req.label);
    let mut child = cmd.spawn().map_err(|e| spawn_error(&program, e))?;
    // The terminal's Ctrl-C reaches the child; we wait for it to decide.
    ignore_interactive_signals(true);
    let status = child.wait();
    ignore_interactive_signals(false);
    let status = status.map_err(|e| NsError::Io {
        context: format!("waiting for {program}"),
        source: e,
    })?;
    Ok(status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1))
}

fn spawn_error(program: &str, e: std::io::Error) -> NsError {
    let (why, status) = match e.kind() {
        std::io::ErrorKind::NotFound => (
            "no such program on PATH (netshoot:slim holds netshoot alone: run its own \
             commands or classic names there, or use netshoot:latest)"
                .to_string(),
            127,
        ),
        std::io::ErrorKind::PermissionDenied => ("permission denied (not executable?)".into(), 126),
        _ => (e.to_string(), 126),
    };
    NsError::Exec {
        program: program.into(),
        why,
        status,
    }
}

fn shell(label: &str) -> Result<(Command, String), NsError> {
    let sh = std::env::var("SHELL")
        .ok()
        .filter(|s| !s.is_empty() && std::path::Path::new(s).exists())
        .unwrap_or_else(|| "/bin/sh".into());
    if !std::path::Path::new(&sh).exists() {
        return Err(NsError::Exec {
            program: sh,
            why: "no shell here (netshoot:slim has none): pass a command after --, or use netshoot:latest".into(),
            status: 127,
        });
    }
    let prompt = format!("[netshoot {label}] \\w \\$ ");
    let mut cmd = Command::new(&sh);
    cmd.env("PS1", &prompt);
    if sh.ends_with("/bash") {
        // bash resets PS1 from ~/.bashrc; load that first, then set the prompt.
        let rc = std::env::temp_dir().join(format!("netshoot-bashrc-{}", std::process::id()));
        let body = format!(
            "[ -f ~/.bashrc ] && . ~/.bashrc\nPS1='{}'\nrm -f '{}'\n",
            prompt.replace('\'', ""),
            rc.display()
        );
        if std::fs::write(&rc, body).is_ok() {
            cmd.arg("--rcfile").arg(&rc).arg("-i");
        }
    }
    Ok((cmd, sh))
}

fn ignore_interactive_signals(on: bool) {
    let h = if on {
        SigHandler::SigIgn
    } else {
        SigHandler::SigDfl
    };
    for s in [Signal::SIGINT, Signal::SIGQUIT] {
        // SAFETY-free: nix marks `signal` unsafe only for handlers that run code; SigIgn and
        // SigDfl run none. The platform module is the one place allowed to do this.
        #[allow(unsafe_code)]
        unsafe {
            let _ = signal(s, h);
        }
    }
}
