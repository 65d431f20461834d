//! The platform module: the only `unsafe` in this crate (TCP_INFO, getrusage, SO_RCVLOWAT and
//! the receive sink through libc).

use nix::libc;

/// The TCP_INFO fields iperf3 reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpInfo {
    /// Segments retransmitted over the connection's life.
    pub total_retrans: u32,
    /// Congestion window in bytes (segments × MSS).
    pub snd_cwnd_bytes: u64,
    /// Smoothed round trip, µs.
    pub rtt_us: u32,
    /// Its variance, µs.
    pub rttvar_us: u32,
    /// Path MTU.
    pub pmtu: u32,
    /// Congestion window in segments.
    pub snd_cwnd: u32,
    /// Sender MSS.
    pub snd_mss: u32,
}

/// Reads TCP_INFO of a TCP socket.
#[allow(unsafe_code)]
pub fn tcp_info(fd: i32) -> Option<TcpInfo> {
    // SAFETY: tcp_info is plain data; the kernel writes at most `len` bytes into it.
    let mut ti: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `ti` and `len` are valid for writes of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut ti as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    (rc == 0).then(|| TcpInfo {
        total_retrans: ti.tcpi_total_retrans,
        snd_cwnd_bytes: u64::from(ti.tcpi_snd_cwnd) * u64::from(ti.tcpi_snd_mss),
        rtt_us: ti.tcpi_rtt,
        rttvar_us: ti.tcpi_rttvar,
        pmtu: ti.tcpi_pmtu,
        snd_cwnd: ti.tcpi_snd_cwnd,
        snd_mss: ti.tcpi_snd_mss,
    })
}

/// CPU seconds (user, system) this process has used.
pub fn cpu_times() -> (f64, f64) {
    match nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF) {
        Ok(u) => {
            let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
            (t(u.user_time()), t(u.system_time()))
        }
        Err(_) => (0.0, 0.0),
    }
}

/// SO_RCVLOWAT: wake a blocked reader only when at least `n` bytes are queued (or the read
/// timeout expires), so a fast receiver reads big chunks instead of waking per segment.
#[allow(unsafe_code)]
pub fn set_rcvlowat(fd: i32, n: i32) -> bool {
    // SAFETY: a c_int option value of the size given.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&n as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        ) == 0
    }
}

/// A receive buffer the kernel writes and nothing reads: TCP receivers of a test share one,
/// since only the number of bytes read matters.
#[derive(Debug)]
pub struct Sink {
    buf: Box<[std::cell::UnsafeCell<u8>]>,
}

// SAFETY: the bytes are only ever written, by the kernel in recv(2) through a raw pointer;
// no reference to them is made and no Rust code reads them, so sharing can race on nothing
// this program observes.
#[allow(unsafe_code)]
unsafe impl Sync for Sink {}

impl Sink {
    /// A sink of `len` bytes.
    pub fn new(len: usize) -> Sink {
        Sink {
            buf: (0..len.max(1))
                .map(|_| std::cell::UnsafeCell::new(0))
                .collect(),
        }
    }

    /// One recv(2) on `fd` into the sink: the bytes read (0 at end of stream).
    #[allow(unsafe_code)]
    pub fn recv(&self, fd: i32) -> std::io::Result<usize> {
        let ptr = std::cell::UnsafeCell::raw_get(self.buf.as_ptr()).cast::<libc::c_void>();
        // SAFETY: `ptr` is valid for writes of `self.buf.len()` bytes for as long as `self`
        // lives, and nothing reads or references those bytes (see `Sync` above).
        let n = unsafe { libc::recv(fd, ptr, self.buf.len(), 0) };
        if n < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}
