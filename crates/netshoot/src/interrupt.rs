//! Ctrl-C and SIGTERM as a flag: long-running commands (ping, listen, capture) stop cleanly
//! and print their summary instead of dying mid-line.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use nix::sys::signal::{SigSet, Signal};

/// Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it starts later)
/// and starts a thread that takes them with `sigwait` and raises the returned flag. Call it
/// after entering the target and before starting other threads.
pub fn flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    if set.thread_block().is_ok() {
        let s = Arc::clone(&stop);
        std::thread::spawn(move || {
            // This thread only waits: it keeps no capability, whatever the command keeps.
            let _ = crate::privs::drop_all_but(&[]);
            if set.wait().is_ok() {
                s.store(true, Ordering::SeqCst);
            }
        });
    }
    stop
}
