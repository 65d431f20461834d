//! Entering network namespaces.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::errno::Errno;
use nix::sched::{setns, CloneFlags};

use crate::{NsError, Target};

/// The nsfs inode of a namespace file (`/proc/N/ns/net`, a bind mount): its identity.
pub fn netns_inode(path: &Path) -> std::io::Result<u64> {
    std::fs::metadata(path).map(|m| m.ino())
}

/// The inode of the calling thread's network namespace.
pub fn current_inode() -> std::io::Result<u64> {
    netns_inode(Path::new("/proc/thread-self/ns/net"))
}

fn threads_in_process() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(1)
}

/// Moves the calling thread into the target's network namespace.
///
/// Must run on the main thread before any other thread or runtime exists: threads created
/// earlier would stay behind in the old namespace. That invariant is checked, and a breach is an
/// error rather than a silent half-entered process. Entering the namespace the thread is already
/// in is a no-op (so `-t host` on the host needs no privilege).
pub fn enter(target: &Target) -> Result<(), NsError> {
    if let Ok(cur) = current_inode() {
        if cur == target.inode {
            return Ok(());
        }
    }
    let n = threads_in_process();
    if n > 1 {
        return Err(NsError::Internal(format!(
            "entering a namespace with {n} threads running; enter before any thread starts"
        )));
    }
    // Join the descriptor opened when resolving: the path may name another namespace by now
    // (a pid that exited and was reused, a bind mount replaced). Without one, reopen the path
    // and check it still is the namespace resolved.
    let reopened;
    let f = match &target.ns_file {
        Some(f) => f.as_ref(),
        None => {
            reopened = open_ns(&target.netns, &target.label)?;
            &reopened
        }
    };
    check_inode(f, &target.netns, target.inode)?;
    setns_file(f, &target.netns, &target.label)
}

/// Errors unless `f` is the namespace with nsfs inode `inode` (what was resolved).
pub(crate) fn check_inode(f: &File, path: &Path, inode: u64) -> Result<(), NsError> {
    let now = f.metadata().map(|m| m.ino()).map_err(|e| NsError::Io {
        context: format!("stat {}", path.display()),
        source: e,
    })?;
    if now != inode {
        return Err(NsError::BadPath {
            path: path.display().to_string(),
            why: format!(
                "now a different namespace (inode {now}, resolved as {inode}): the process                  or mount changed since the target was resolved; run the command again"
            ),
        });
    }
    Ok(())
}

fn setns_path(path: &Path, label: &str) -> Result<(), NsError> {
    let f = open_ns(path, label)?;
    setns_file(&f, path, label)
}

fn setns_file(f: &File, path: &Path, label: &str) -> Result<(), NsError> {
    setns(f, CloneFlags::CLONE_NEWNET).map_err(|e| match e {
        Errno::EPERM => NsError::Permission {
            what: format!("entering the network namespace of {label}"),
            cap: "CAP_SYS_ADMIN",
            flags: "--privileged (or --cap-add SYS_ADMIN --pid host)",
        },
        Errno::EINVAL => NsError::BadPath {
            path: path.display().to_string(),
            why: "not a network namespace".into(),
        },
        e => NsError::Io {
            context: format!("setns into {}", path.display()),
            source: std::io::Error::from(e),
        },
    })
}

pub(crate) fn open_ns(path: &Path, label: &str) -> Result<File, NsError> {
    File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => NsError::Permission {
            what: format!("opening {} for {label}", path.display()),
            cap: "CAP_SYS_PTRACE",
            flags: "--privileged (or --cap-add SYS_PTRACE --cap-add SYS_ADMIN --pid host)",
        },
        std::io::ErrorKind::NotFound => NsError::BadPath {
            path: path.display().to_string(),
            why: "no such file (the namespace is gone?)".into(),
        },
        _ => NsError::Io {
            context: format!("opening {}", path.display()),
            source: e,
        },
    })
}

/// Runs `f` on a new thread that first enters the namespace at `path`, and returns its result.
///
/// The calling thread's namespace is untouched, so this can visit many namespaces in turn
/// (for `targets`). Sockets `f` creates belong to the entered namespace.
pub fn in_namespace<T, F>(path: &Path, f: F) -> Result<T, NsError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let path = path.to_path_buf();
    std::thread::spawn(move || -> Result<T, NsError> {
        let label = path.display().to_string();
        let same = match (netns_inode(&path), current_inode()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same {
            setns_path(&path, &label)?;
        }
        Ok(f())
    })
    .join()
    .map_err(|_| NsError::Internal("a namespace worker thread panicked".into()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_file_is_not_the_one_resolved() {
        let p = std::env::temp_dir().join(format!("ns-inode-{}", std::process::id()));
        std::fs::write(&p, "a").unwrap();
        let f = File::open(&p).unwrap();
        let inode = f.metadata().unwrap().ino();
        check_inode(&f, &p, inode).unwrap();
        // The path now names another file (as /proc/N/ns/net does once N is reused).
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, "b").unwrap();
        let again = File::open(&p).unwrap();
        let e = check_inode(&again, &p, inode).unwrap_err().to_string();
        assert!(e.contains("now a different namespace"), "{e}");
        assert!(!e.contains('\n'));
        // The descriptor kept from resolving still is the one resolved.
        check_inode(&f, &p, inode).unwrap();
        std::fs::remove_file(&p).unwrap();
    }
}
