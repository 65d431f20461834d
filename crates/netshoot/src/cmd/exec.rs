//! `exec`: a program inside the target's network namespace; with no program, the interactive
//! shell (banner, classic names on PATH, a writable home for its history).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use netshoot_ns::{ExecRequest, Target};

use crate::cli::ExecArgs;

/// Runs the program (already inside the target) and passes its exit status on.
pub fn run(args: &ExecArgs, target: &Target) -> anyhow::Result<i32> {
    if args.argv.is_empty() {
        return interactive(Some(target));
    }
    let req = ExecRequest {
        argv: args.argv.clone(),
        label: target.label.clone(),
    };
    Ok(netshoot_ns::exec(&req)?)
}

/// The interactive shell in the namespace this thread is in: the banner (`motd`), every classic
/// name on PATH (the image's links, or a private directory of links made for this shell and
/// removed after it), and a HOME the shell can write its history to (`--read-only`, any UID).
/// Call it before any thread exists (it sets environment variables).
pub fn interactive(target: Option<&Target>) -> anyhow::Result<i32> {
    let links = ClassicLinks::ensure();
    writable_home();
    let m = super::motd::gather(target, true);
    // The banner is for a person at a terminal; a shell fed by a pipe or a script prints only
    // what its commands print.
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        print!("{}", super::motd::render(&m));
        if let ClassicLinks::Private(dir) = &links {
            println!(
                "  names      run netshoot here (links in {}, removed on exit); this host's own tools by full path",
                dir.display()
            );
        }
        if let ClassicLinks::Unavailable(why) = &links {
            println!("  names      {why}: run them as 'netshoot NAME …'");
        }
    }
    let label = m.name.clone().unwrap_or_else(|| m.hostname.clone());
    let req = ExecRequest {
        argv: Vec::new(),
        label: netshoot_ns::prompt_safe(&label),
    };
    let code = netshoot_ns::exec(&req);
    drop(links);
    Ok(code?)
}

/// Where the classic names come from in the shell.
enum ClassicLinks {
    /// PATH already leads every name to this binary (the image).
    OnPath,
    /// A private directory of links made for this shell (mkdtemp, mode 0700), removed on drop.
    Private(PathBuf),
    /// No writable place for links.
    Unavailable(String),
}

impl ClassicLinks {
    fn ensure() -> Self {
        let Ok(exe) = std::env::current_exe().and_then(|e| e.canonicalize()) else {
            return ClassicLinks::Unavailable("cannot find netshoot's own path".into());
        };
        let path = std::env::var("PATH").unwrap_or_default();
        let names = crate::classic::names();
        let all_there = names.iter().all(|n| {
            std::env::split_paths(&path)
                .map(|d| d.join(n))
                .find(|p| p.is_file())
                .and_then(|p| p.canonicalize().ok())
                .is_some_and(|p| p == exe)
        });
        if all_there {
            return ClassicLinks::OnPath;
        }
        let mut tried = Vec::new();
        for base in temp_bases() {
            let template = base.join("netshoot-names-XXXXXX");
            match nix::unistd::mkdtemp(&template) {
                Ok(dir) => {
                    for n in &names {
                        if let Err(e) = std::os::unix::fs::symlink(&exe, dir.join(n)) {
                            let _ = std::fs::remove_dir_all(&dir);
                            return ClassicLinks::Unavailable(format!(
                                "cannot link {n} in {}: {e}",
                                dir.display()
                            ));
                        }
                    }
                    let mut dirs = vec![dir.clone()];
                    dirs.extend(std::env::split_paths(&path));
                    if let Ok(p) = std::env::join_paths(dirs) {
                        std::env::set_var("PATH", p);
                    }
                    return ClassicLinks::Private(dir);
                }
                Err(e) => tried.push(format!("{}: {e}", base.display())),
            }
        }
        ClassicLinks::Unavailable(format!(
            "no writable directory for the classic names ({})",
            tried.join(", ")
        ))
    }
}

impl Drop for ClassicLinks {
    fn drop(&mut self) {
        if let ClassicLinks::Private(dir) = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Candidate directories for private files: $TMPDIR, /tmp, /dev/shm (writable under
/// `docker run --read-only`).
fn temp_bases() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(t) = std::env::var_os("TMPDIR").filter(|t| !t.is_empty()) {
        v.push(PathBuf::from(t));
    }
    v.push(PathBuf::from("/tmp"));
    v.push(PathBuf::from("/dev/shm"));
    v
}

fn writable(dir: &Path) -> bool {
    nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK).is_ok()
}

/// Makes HOME a directory this user can write (the shell keeps its history there): HOME itself
/// when writable, else a private `netshoot-home-UID` (mode 0700, owned by us, not a link) under
/// $TMPDIR, /tmp or /dev/shm. Leaves HOME alone when none works; the shell then starts without
/// saved history.
fn writable_home() {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if home.as_deref().is_some_and(|h| h.is_dir() && writable(h)) {
        return;
    }
    let uid = nix::unistd::getuid().as_raw();
    for base in temp_bases() {
        let dir = base.join(format!("netshoot-home-{uid}"));
        let _ = nix::unistd::mkdir(&dir, nix::sys::stat::Mode::S_IRWXU);
        let Ok(meta) = std::fs::symlink_metadata(&dir) else {
            continue;
        };
        if meta.file_type().is_dir() && meta.uid() == uid && writable(&dir) {
            std::env::set_var("HOME", &dir);
            std::env::set_var("HISTFILE", dir.join(".ash_history"));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn prompt_labels_agree_with_the_text_sanitiser() {
        // prompt_safe keeps nothing that text::escape would change: a label is already safe.
        for hostile in [
            "netns:web",
            "container:a\x1b]0;pwn\x07",
            "$(id)\\w\u{9b}2J\u{202e}",
            "pid:1\r\n\t\x7f",
        ] {
            let label = netshoot_ns::prompt_safe(hostile);
            assert_eq!(
                netshoot_wire::text::escape(&label),
                label.as_str(),
                "{hostile:?}"
            );
        }
    }
}
