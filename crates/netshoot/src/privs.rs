//! Dropping capabilities once a command's raw and packet sockets are open, as tcpdump and
//! trippy do: what parses a hostile peer's bytes afterwards runs without the privileges that
//! opened them.
//!
//! Capabilities belong to a thread: [`drop_all_but`] is called on the main thread after the
//! sockets (and files) are open and before the command starts other threads, so they inherit
//! the reduced sets; the signal thread ([`crate::interrupt`]) drops all of its own.

use caps::{CapSet, Capability, CapsHashSet};

/// Keeps only `keep` of the calling thread's capabilities: every other capability leaves the
/// bounding set (when CAP_SETPCAP allows it: no program executed later gets it back) and the
/// ambient, inheritable, permitted and effective sets; `no_new_privs` is set. The user id is
/// unchanged (root stays root, without the powers of root).
pub fn drop_all_but(keep: &[Capability]) -> anyhow::Result<()> {
    let keep: CapsHashSet = keep.iter().copied().collect();
    let fail = |e: caps::errors::CapsError| {
        anyhow::anyhow!("cannot drop capabilities after opening the sockets: {e}")
    };
    // The bounding set first: lowering it needs CAP_SETPCAP, which goes below.
    if caps::has_cap(None, CapSet::Effective, Capability::CAP_SETPCAP).unwrap_or(false) {
        for c in caps::read(None, CapSet::Bounding).map_err(fail)? {
            if !keep.contains(&c) {
                caps::drop(None, CapSet::Bounding, c).map_err(fail)?;
            }
        }
    }
    // Kernels without ambient capabilities have none to clear.
    let _ = caps::clear(None, CapSet::Ambient);
    caps::clear(None, CapSet::Inheritable).map_err(fail)?;
    let kept: CapsHashSet = caps::read(None, CapSet::Permitted)
        .map_err(fail)?
        .intersection(&keep)
        .copied()
        .collect();
    caps::set(None, CapSet::Effective, &kept).map_err(fail)?;
    caps::set(None, CapSet::Permitted, &kept).map_err(fail)?;
    nix::sys::prctl::set_no_new_privs()
        .map_err(|e| anyhow::anyhow!("cannot set no_new_privs after opening the sockets: {e}"))?;
    Ok(())
}

/// What `top` keeps to name the processes behind a pair (reading every process's
/// `/proc/PID/fd`, as `ss -p` does).
pub const TOP_KEEPS: [Capability; 2] =
    [Capability::CAP_SYS_PTRACE, Capability::CAP_DAC_READ_SEARCH];

#[cfg(test)]
mod tests {
    use super::*;

    /// On a thread of its own (capabilities are per thread): only what is kept stays, in
    /// every set, and no_new_privs is on.
    #[test]
    fn only_what_is_kept_stays() {
        std::thread::spawn(|| {
            let had = caps::read(None, CapSet::Permitted).unwrap();
            let setpcap =
                caps::has_cap(None, CapSet::Effective, Capability::CAP_SETPCAP).unwrap_or(false);
            drop_all_but(&[Capability::CAP_NET_RAW]).unwrap();
            let want: CapsHashSet = had
                .intersection(&[Capability::CAP_NET_RAW].into_iter().collect())
                .copied()
                .collect();
            assert_eq!(caps::read(None, CapSet::Permitted).unwrap(), want);
            assert_eq!(caps::read(None, CapSet::Effective).unwrap(), want);
            assert!(caps::read(None, CapSet::Inheritable).unwrap().is_empty());
            if setpcap {
                let bounding = caps::read(None, CapSet::Bounding).unwrap();
                assert!(bounding.len() <= 1, "{bounding:?}");
            }
            assert!(nix::sys::prctl::get_no_new_privs().unwrap());
            // Twice is harmless (nothing left to drop).
            drop_all_but(&[]).unwrap();
            assert!(caps::read(None, CapSet::Effective).unwrap().is_empty());
        })
        .join()
        .unwrap();
    }
}
