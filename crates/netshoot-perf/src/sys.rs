//! The platform module: the only `unsafe` in this crate (TCP_INFO, getrusage, SO_RCVLOWAT,
//! sched_getcpu and the receive sink through libc).

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

/// The CPU the calling thread runs on (sched_getcpu(3), through the vDSO; 0 when unknown).
#[allow(unsafe_code)]
pub fn current_cpu() -> usize {
    // SAFETY: no arguments; returns a CPU number or -1.
    let c = unsafe { libc::sched_getcpu() };
    usize::try_from(c).unwrap_or(0)
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

/// SO_RCVLOWAT of `fd` as the kernel holds it.
#[cfg(test)]
#[allow(unsafe_code)]
pub fn rcvlowat(fd: i32) -> Option<i32> {
    let mut v: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: a c_int option value and its size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&mut v as *mut i32).cast(),
            &mut len,
        )
    };
    (r == 0).then_some(v)
}

/// A zeroed heap block that starts on a page boundary (4 KiB), as iperf3's mmap'd buffers do.
/// The kernel copies between it and socket buffers page by page; where the block starts
/// within a page decides how those copies line up.
#[derive(Debug)]
pub struct PageBuf {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

const PAGE: usize = 4096;

// SAFETY: a `PageBuf` owns its block; Rust code reaches it through `Deref` / `DerefMut`
// (borrow-checked) and `Sink` only hands its pointer to the kernel (see `Sink`).
#[allow(unsafe_code)]
unsafe impl Send for PageBuf {}
#[allow(unsafe_code)]
unsafe impl Sync for PageBuf {}

impl PageBuf {
    fn layout(len: usize) -> std::alloc::Layout {
        // Block lengths are bounded (the client's `-l`, the server's `--max-block`) far below
        // the isize::MAX that would make this fail.
        std::alloc::Layout::from_size_align(len.max(1), PAGE).expect("a block under isize::MAX")
    }

    /// `len` zero bytes (at least one).
    #[allow(unsafe_code)]
    pub fn zeroed(len: usize) -> PageBuf {
        let layout = Self::layout(len);
        // SAFETY: `layout` has a non-zero size.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        let ptr =
            std::ptr::NonNull::new(p).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        PageBuf {
            ptr,
            len: layout.size(),
        }
    }
}

impl std::ops::Deref for PageBuf {
    type Target = [u8];
    #[allow(unsafe_code)]
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` points at `len` initialized (zeroed, then written) bytes owned by `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl std::ops::DerefMut for PageBuf {
    #[allow(unsafe_code)]
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, and `&mut self` makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for PageBuf {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with `layout(len)`, `len` being that layout's size.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), Self::layout(self.len)) }
    }
}

/// A receive buffer the kernel writes and nothing reads: TCP receivers of a test share one,
/// since only the number of bytes read matters. Page-aligned (`PageBuf`).
///
/// One read may take up to `span` bytes (what the receive mark needs: the kernel wakes a
/// reader at min(mark, read size)) while only [`Sink::PIECE`] bytes of memory exist: the read's
/// iovecs name the same piece again and again, as the sender's writev repeats its block. The
/// 512 KiB a read takes cost 128 KiB of resident memory, and stay in the cache.
#[derive(Debug)]
pub struct Sink {
    buf: PageBuf,
    pieces: usize,
}

impl Sink {
    /// The memory behind a sink: 128 KiB, iperf3's TCP block.
    pub const PIECE: usize = 128 * 1024;
    /// The most iovecs one read names (8 MiB of reads).
    const MAX_PIECES: usize = 64;

    /// A sink taking up to `span` bytes per read (rounded up to whole pieces, at most 8 MiB).
    pub fn new(span: usize) -> Sink {
        Sink {
            buf: PageBuf::zeroed(Self::PIECE),
            pieces: span.div_ceil(Self::PIECE).clamp(1, Self::MAX_PIECES),
        }
    }

    /// One readv(2) on `fd` into the sink: the bytes read (0 at end of stream).
    #[allow(unsafe_code)]
    pub fn recv(&self, fd: i32) -> std::io::Result<usize> {
        let piece = libc::iovec {
            iov_base: self.buf.ptr.as_ptr().cast(),
            iov_len: self.buf.len,
        };
        let iov = [piece; Self::MAX_PIECES];
        // SAFETY: every iovec names the one block, valid for writes of `len` bytes for as long
        // as `self` lives; `Sink` never derefs its `PageBuf`, so no Rust reference to these
        // bytes exists while the kernel writes them (the kernel's own overlapping writes, and
        // concurrent readers', only race on bytes nobody reads). `pieces` ≤ MAX_PIECES.
        let n = unsafe { libc::readv(fd, iov.as_ptr(), self.pieces as i32) };
        if n < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}
