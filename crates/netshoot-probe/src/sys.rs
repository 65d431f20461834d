//! The platform module: the only `unsafe` in this crate.

use std::os::fd::AsRawFd;

/// `IP_MTU_DISCOVER` / `IPV6_MTU_DISCOVER` with `*_PMTUDISC_DO` (set DF, never fragment
/// locally) or `*_PMTUDISC_DONT`.
#[allow(unsafe_code)]
pub fn set_dont_fragment(sock: &socket2::Socket, v6: bool, on: bool) -> std::io::Result<()> {
    use nix::libc;
    let (level, name, val): (libc::c_int, libc::c_int, libc::c_int) = if v6 {
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            if on {
                libc::IPV6_PMTUDISC_DO
            } else {
                libc::IPV6_PMTUDISC_DONT
            },
        )
    } else {
        (
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            if on {
                libc::IP_PMTUDISC_DO
            } else {
                libc::IP_PMTUDISC_DONT
            },
        )
    };
    // SAFETY: `sock` is a live socket for the whole call; the option value is a c_int on the
    // stack whose exact size is passed; the kernel only reads it.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&val as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
