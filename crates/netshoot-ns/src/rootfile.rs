//! Reading a target's own files (`/etc/resolv.conf`, `/etc/hosts`) through the target's root.
//!
//! The target is not trusted: its files may be FIFOs (an open or a read would block forever),
//! devices (opening some has side effects), huge, or symbolic links, absolute ones meant for the
//! target's root that would name *our* files if followed from here. So a path is resolved with
//! the target's root as `/` (`openat2(RESOLVE_IN_ROOT)`, or where the kernel or a seccomp
//! profile refuses `openat2`, a component walk that follows at most [`MAX_LINKS`] links itself,
//! opening each component with `O_PATH|O_NOFOLLOW`), only regular files are opened for reading
//! (`O_NONBLOCK|O_NOCTTY`, through the `O_PATH` descriptor, so the inode checked is the inode
//! read), and at most [`max_bytes`] are read.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Component, Path};

use nix::errno::Errno;
use nix::fcntl::{open, openat, openat2, readlinkat, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{fstat, Mode, SFlag};

/// The default cap on a target file's size: 16 MiB (a resolv.conf is a few hundred bytes, a
/// hosts file a few KiB, but ad-blocking hosts files run to several MiB).
pub const DEFAULT_MAX_BYTES: u64 = 16 << 20;
/// The environment variable that changes the cap (bytes).
pub const MAX_BYTES_ENV: &str = "NETSHOOT_TARGET_FILE_MAX";
/// The most symbolic links followed while resolving one path (Linux's own limit).
pub const MAX_LINKS: usize = 40;

/// The cap on a target file's size: `NETSHOOT_TARGET_FILE_MAX` when it is a number of bytes,
/// else [`DEFAULT_MAX_BYTES`].
pub fn max_bytes() -> u64 {
    std::env::var(MAX_BYTES_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_MAX_BYTES)
}

/// Reads `rel` (such as `etc/resolv.conf`) inside the directory `root`, treated as `/`.
///
/// `Ok(None)` when the file does not exist; `Err(note)` (one line naming the file) when it
/// exists but is refused: not a regular file, larger than `max` bytes, a link loop, unreadable.
pub fn read_in_root(root: &Path, rel: &str, max: u64) -> Result<Option<String>, String> {
    let shown = root.join(rel.trim_start_matches('/'));
    let refuse = |why: String| {
        Err(format!(
            "{}: {why}; ignored (the target's own file is read through its root)",
            shown.display()
        ))
    };
    let root_fd = match open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        // Gone, or not ours to look at (as before: no note, the files are simply unknown).
        Err(Errno::ENOENT | Errno::ENOTDIR | Errno::ESRCH | Errno::EACCES | Errno::EPERM) => {
            return Ok(None)
        }
        Err(e) => {
            return refuse(format!(
                "cannot open the target's root {}: {e}",
                root.display()
            ))
        }
    };
    let fd = match resolve_in_root(&root_fd, Path::new(rel)) {
        Ok(fd) => fd,
        Err(Errno::ENOENT | Errno::ENOTDIR) => return Ok(None),
        Err(Errno::ELOOP) => return refuse(format!("more than {MAX_LINKS} symbolic links")),
        Err(e) => return refuse(format!("cannot open: {e}")),
    };
    let st = match fstat(&fd) {
        Ok(st) => st,
        Err(e) => return refuse(format!("cannot stat: {e}")),
    };
    let kind = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
    if kind != SFlag::S_IFREG {
        return refuse(format!("{}, not a regular file", kind_name(kind)));
    }
    if st.st_size as u64 > max {
        return refuse(format!(
            "{} bytes, more than the {max}-byte cap ({MAX_BYTES_ENV} changes it)",
            st.st_size
        ));
    }
    // Reopen the very inode checked above for reading (an O_PATH descriptor cannot read).
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
        .open(format!("/proc/self/fd/{}", fd.as_raw_fd()))
    {
        Ok(f) => f,
        Err(e) => return refuse(format!("cannot open for reading: {e}")),
    };
    match file.metadata() {
        Ok(m) if m.dev() == st.st_dev && m.ino() == st.st_ino && m.file_type().is_file() => {}
        _ => return refuse("changed while being opened".into()),
    }
    let mut buf = Vec::new();
    if let Err(e) = file.take(max.saturating_add(1)).read_to_end(&mut buf) {
        return refuse(format!("cannot read: {e}"));
    }
    if buf.len() as u64 > max {
        return refuse(format!(
            "grew past the {max}-byte cap while read ({MAX_BYTES_ENV} changes it)"
        ));
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

fn kind_name(kind: SFlag) -> &'static str {
    match kind {
        k if k == SFlag::S_IFIFO => "a FIFO",
        k if k == SFlag::S_IFCHR => "a character device",
        k if k == SFlag::S_IFBLK => "a block device",
        k if k == SFlag::S_IFSOCK => "a socket",
        k if k == SFlag::S_IFDIR => "a directory",
        k if k == SFlag::S_IFLNK => "a symbolic link",
        _ => "not a file",
    }
}

/// An `O_PATH` descriptor for `rel` resolved with `root` as `/`: `openat2(RESOLVE_IN_ROOT)`,
/// else [`walk_in_root`].
fn resolve_in_root(root: &OwnedFd, rel: &Path) -> Result<OwnedFd, Errno> {
    let how = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    match openat2(root.as_fd(), rel, how) {
        // No openat2 (Linux < 5.6), a seccomp profile that refuses it, or a rename race it
        // would rather not resolve (EAGAIN).
        Err(Errno::ENOSYS | Errno::EPERM | Errno::E2BIG | Errno::EAGAIN) => walk_in_root(root, rel),
        r => r,
    }
}

/// Resolves `rel` one component at a time below `root` (treated as `/`): each component is
/// opened with `O_PATH|O_NOFOLLOW`; a symbolic link is read and its target walked in its
/// place (an absolute one from `root`), at most [`MAX_LINKS`] of them; `..` never climbs above
/// `root`. Returns an `O_PATH` descriptor of what the path names.
pub(crate) fn walk_in_root(root: &OwnedFd, rel: &Path) -> Result<OwnedFd, Errno> {
    fn parts(p: &Path) -> Vec<OsString> {
        p.components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_os_string()),
                Component::ParentDir => Some(OsString::from("..")),
                _ => None,
            })
            .collect()
    }
    let mut queue: VecDeque<OsString> = parts(rel).into();
    // The directories walked below root; the current one is the last (root when empty).
    let mut stack: Vec<OwnedFd> = Vec::new();
    let mut links = 0;
    while let Some(name) = queue.pop_front() {
        if name.as_bytes() == b".." {
            stack.pop();
            continue;
        }
        let cur = stack.last().unwrap_or(root);
        let fd = openat(
            cur.as_fd(),
            name.as_os_str(),
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        let kind = SFlag::from_bits_truncate(fstat(&fd)?.st_mode) & SFlag::S_IFMT;
        if kind == SFlag::S_IFLNK {
            links += 1;
            if links > MAX_LINKS {
                return Err(Errno::ELOOP);
            }
            let target = readlinkat(cur.as_fd(), name.as_os_str())?;
            let target = Path::new(&target);
            if target.is_absolute() {
                stack.clear();
            }
            for p in parts(target).into_iter().rev() {
                queue.push_front(p);
            }
        } else if kind == SFlag::S_IFDIR {
            stack.push(fd);
        } else if queue.is_empty() {
            return Ok(fd);
        } else {
            return Err(Errno::ENOTDIR);
        }
    }
    match stack.pop() {
        Some(fd) => Ok(fd),
        // The path named root itself.
        None => root.try_clone().map_err(|_| Errno::EBADF),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("ns-rootfile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("root/etc")).unwrap();
        std::fs::create_dir_all(d.join("outside")).unwrap();
        std::fs::write(d.join("outside/resolv.conf"), "nameserver 192.0.2.99\n").unwrap();
        d
    }

    fn root_fd(p: &Path) -> OwnedFd {
        open(p, OFlag::O_PATH | OFlag::O_DIRECTORY, Mode::empty()).unwrap()
    }

    fn read_fd(fd: &OwnedFd) -> String {
        std::fs::read_to_string(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap()
    }

    #[test]
    fn links_resolve_inside_the_root_in_both_resolvers() {
        let d = tmp("links");
        let root = d.join("root");
        std::fs::write(root.join("etc/real"), "nameserver 192.0.2.1\n").unwrap();
        // Absolute: inside the root it names root/etc/real, not our /etc/real.
        symlink("/etc/real", root.join("etc/resolv.conf")).unwrap();
        // Climbing: `..` stops at the root.
        symlink("../../../../etc/real", root.join("etc/hosts")).unwrap();
        // Escaping to a directory that exists only outside the root.
        let outside = d.join("outside/resolv.conf");
        symlink(&outside, root.join("etc/escape")).unwrap();
        let fd = root_fd(&root);
        for rel in ["etc/resolv.conf", "etc/hosts"] {
            assert_eq!(
                read_fd(&walk_in_root(&fd, Path::new(rel)).unwrap()),
                "nameserver 192.0.2.1\n"
            );
            assert_eq!(
                read_in_root(&root, rel, 1024).unwrap().unwrap(),
                "nameserver 192.0.2.1\n"
            );
        }
        assert_eq!(
            walk_in_root(&fd, Path::new("etc/escape")).unwrap_err(),
            Errno::ENOENT
        );
        assert_eq!(read_in_root(&root, "etc/escape", 1024), Ok(None));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn loops_fifos_and_big_files_are_refused() {
        let d = tmp("refuse");
        let root = d.join("root");
        symlink("/etc/b", root.join("etc/a")).unwrap();
        symlink("/etc/a", root.join("etc/b")).unwrap();
        let fd = root_fd(&root);
        assert_eq!(
            walk_in_root(&fd, Path::new("etc/a")).unwrap_err(),
            Errno::ELOOP
        );
        assert!(read_in_root(&root, "etc/a", 1024)
            .unwrap_err()
            .contains("etc/a"));
        nix::unistd::mkfifo(&root.join("etc/fifo"), Mode::S_IRWXU).unwrap();
        let e = read_in_root(&root, "etc/fifo", 1024).unwrap_err();
        assert!(e.contains("a FIFO, not a regular file"), "{e}");
        std::fs::write(root.join("etc/big"), vec![b'#'; 2048]).unwrap();
        let e = read_in_root(&root, "etc/big", 1024).unwrap_err();
        assert!(e.contains("2048 bytes") && e.contains("etc/big"), "{e}");
        assert!(!e.contains('\n'));
        let e = read_in_root(&root, "etc", 1024).unwrap_err();
        assert!(e.contains("a directory"), "{e}");
        assert_eq!(read_in_root(&root, "etc/none", 1024), Ok(None));
        assert_eq!(read_in_root(&d.join("gone"), "etc/hosts", 1024), Ok(None));
        let _ = std::fs::remove_dir_all(&d);
    }
}
