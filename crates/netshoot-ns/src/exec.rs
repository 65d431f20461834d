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
    let mut rc_dir = None;
    let (mut cmd, program) = if req.argv.is_empty() {
        shell(&req.label, &mut rc_dir)?
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
    drop(rc_dir);
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

/// A label made safe for a shell prompt: shells expand `$(…)`, backquotes, `$VAR` and
/// backslash escapes in PS1 every time they print it, so only letters, digits and `._:/@-`
/// pass (others become `_`), at most 64 of them. Stricter than the text sanitiser
/// (`netshoot_wire::text::escape`), which it agrees with: no character it keeps is one that
/// function would escape (a test in `netshoot`'s `cmd/exec.rs` checks).
pub fn prompt_safe(s: &str) -> String {
    s.chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._:/@-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A private directory (mkdtemp, mode 0700) holding bash's rc file, removed on drop.
pub(crate) struct RcDir(std::path::PathBuf);

impl Drop for RcDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes bash's rc file as a new file (O_EXCL, mode 0600) in a fresh private directory.
fn write_rc(body: &str) -> Option<(RcDir, std::path::PathBuf)> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let template = std::env::temp_dir().join("netshoot-rc-XXXXXX");
    let dir = RcDir(nix::unistd::mkdtemp(&template).ok()?);
    let rc = dir.0.join("bashrc");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(&rc)
        .ok()?;
    f.write_all(body.as_bytes()).ok()?;
    Some((dir, rc))
}

fn shell(label: &str, rc_dir: &mut Option<RcDir>) -> Result<(Command, String), NsError> {
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
    // The label may come from a container, netns or host name: nothing in it may expand.
    let prompt = format!("[netshoot {}] \\w \\$ ", prompt_safe(label));
    let mut cmd = Command::new(&sh);
    cmd.env("PS1", &prompt);
    if sh.ends_with("/bash") {
        // bash resets PS1 from ~/.bashrc; load that first, then set the prompt. The rc file
        // lives in a private directory removed when the shell ends.
        let body = format!("[ -f ~/.bashrc ] && . ~/.bashrc\nPS1='{prompt}'\n");
        if let Some((dir, rc)) = write_rc(&body) {
            cmd.arg("--rcfile").arg(&rc).arg("-i");
            *rc_dir = Some(dir);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_labels_cannot_expand() {
        assert_eq!(prompt_safe("netns:web"), "netns:web");
        assert_eq!(prompt_safe("$(touch x)`id`\\w'"), "__touch_x__id__w_");
    }

    #[test]
    fn the_rc_file_is_private_and_removed() {
        let (dir, rc) = write_rc("PS1='x'\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        let d = dir.0.clone();
        assert_eq!(
            std::fs::metadata(&d).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            std::fs::metadata(&rc).unwrap().permissions().mode() & 0o777,
            0o600
        );
        drop(dir);
        assert!(!d.exists());
    }
}
