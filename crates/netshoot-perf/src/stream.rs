//! Data streams: one thread per stream (started after the target was entered, so each inherits
//! its namespace) writing or reading as fast as the socket allows, or paced for UDP, with
//! counters the control thread samples for intervals and results.

use nix::poll::{PollFd, PollFlags, PollTimeout};
use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::proto::{self, UdpRx};
use crate::sys;

/// The socket under a stream.
#[derive(Debug)]
pub enum Sock {
    /// A TCP data connection.
    Tcp(TcpStream),
    /// A connected UDP socket.
    Udp(UdpSocket),
}

/// Counters of one stream, shared between its worker and the control thread.
#[derive(Debug)]
pub struct Stream {
    /// iperf3's stream id (1, 3, 4, 5, …).
    pub id: u32,
    /// Whether this side sends on it.
    pub sender: bool,
    /// Our address.
    pub local: SocketAddr,
    /// The peer's address.
    pub remote: SocketAddr,
    /// The socket's descriptor number (iperf3 shows it as the stream's `[ ID]`).
    pub fd: i32,
    /// Bytes written or read.
    pub bytes: AtomicU64,
    /// UDP: datagrams sent (sender).
    pub packets: AtomicU64,
    /// UDP receiver state.
    pub udp: Mutex<UdpRx>,
    /// The worker ended (EOF, error, or limit reached).
    pub done: AtomicBool,
    /// Why the worker ended, when it was an error.
    pub error: Mutex<Option<String>>,
    tcp: Option<TcpStream>,
}

/// What every stream of a test shares.
#[derive(Debug)]
pub struct Shared {
    /// Stop now.
    pub stop: AtomicBool,
    /// Bytes to send in all (0: no limit).
    pub bytes_limit: u64,
    /// Blocks to send in all (0: no limit).
    pub blocks_limit: u64,
    /// Bytes sent by all senders.
    pub sent_total: AtomicU64,
    /// Blocks sent by all senders.
    pub blocks_total: AtomicU64,
    /// Block (TCP write / UDP datagram) size.
    pub len: usize,
    /// Bits per second per stream (0: unlimited).
    pub rate: u64,
    /// 64-bit UDP sequence numbers.
    pub udp64: bool,
    /// TCP senders use sendfile(2) from an in-memory file holding the block (iperf3's `-Z`).
    pub zerocopy: bool,
    /// The peer's TCP senders use sendfile(2): receivers cap their mark lower (`Lowat`).
    pub peer_zerocopy: bool,
    /// The block every TCP sender of the test writes (made by the first), one copy for all.
    pub tcp_block: std::sync::OnceLock<sys::PageBuf>,
    /// Where the TCP receivers of the test read into: one sink per CPU they run on (made on
    /// first use; `sinks_for` says how many), shared by the receivers on that CPU.
    pub tcp_sinks: Box<[std::sync::OnceLock<sys::Sink>]>,
}

impl Stream {
    /// The event saying this stream is up.
    pub fn connected(&self) -> crate::Event<'static> {
        crate::Event::StreamConnected {
            fd: self.fd,
            local: self.local,
            remote: self.remote,
        }
    }

    /// A stream over `sock`.
    pub fn new(id: u32, sender: bool, sock: &Sock) -> std::io::Result<Arc<Stream>> {
        let (local, remote, fd, tcp) = match sock {
            Sock::Tcp(t) => (
                t.local_addr()?,
                t.peer_addr()?,
                t.as_raw_fd(),
                Some(t.try_clone()?),
            ),
            Sock::Udp(u) => (u.local_addr()?, u.peer_addr()?, u.as_raw_fd(), None),
        };
        Ok(Arc::new(Stream {
            id,
            sender,
            local,
            remote,
            fd,
            bytes: AtomicU64::new(0),
            packets: AtomicU64::new(0),
            udp: Mutex::new(UdpRx::default()),
            done: AtomicBool::new(false),
            error: Mutex::new(None),
            tcp,
        }))
    }

    /// TCP_INFO of a TCP stream: (total retransmits, cwnd bytes, rtt µs, rttvar µs, pmtu).
    pub fn tcp_info(&self) -> Option<sys::TcpInfo> {
        self.tcp.as_ref().and_then(|t| sys::tcp_info(t.as_raw_fd()))
    }

    /// Shuts a TCP stream down both ways (the peer sees EOF).
    pub fn shutdown(&self) {
        if let Some(t) = &self.tcp {
            let _ = t.shutdown(std::net::Shutdown::Both);
        }
    }

    fn fail(&self, e: String) {
        if let Ok(mut slot) = self.error.lock() {
            slot.get_or_insert(e);
        }
    }
}

/// The sinks a test's TCP receivers need (`Shared::tcp_sinks`): one per CPU this process may
/// run on, at most one per receiving stream.
pub fn sinks_for(receivers: u32) -> Box<[std::sync::OnceLock<sys::Sink>]> {
    let n = cpus().min(receivers.max(1) as usize);
    (0..n).map(|_| std::sync::OnceLock::new()).collect()
}

/// Starts the workers of a test's streams: a thread per stream, except that unpaced TCP
/// senders (no -b, -n, -k), and TCP receivers, of more than one stream share
/// `group_threads()` threads per direction (`tcp_group`). With client and server on this
/// 2-core machine, `-P 4` as 4 + 4 threads spent its time preempting itself (~7,500 involuntary
/// switches in 3 s, CPU per GB 26 % over one stream's; docs/BENCHMARKS.md, "seventh stop").
pub fn spawn_all(
    streams: &[Arc<Stream>],
    socks: Vec<Sock>,
    shared: &Arc<Shared>,
) -> Vec<std::thread::JoinHandle<()>> {
    let mut handles = Vec::new();
    let (mut tx, mut rx) = (Vec::new(), Vec::new());
    for (st, sock) in streams.iter().cloned().zip(socks) {
        match sock {
            Sock::Tcp(t) if st.sender && unpaced(shared) => tx.push((st, t)),
            Sock::Tcp(t) if !st.sender => rx.push((st, t)),
            sock => handles.push(spawn(st, sock, shared.clone())),
        }
    }
    for (group, send) in [(tx, true), (rx, false)] {
        if group.len() == 1 {
            for (st, t) in group {
                handles.push(spawn(st, Sock::Tcp(t), shared.clone()));
            }
            continue;
        }
        let threads = group_threads().min(group.len());
        let mut parts: Vec<Vec<_>> = (0..threads).map(|_| Vec::new()).collect();
        for (i, s) in group.into_iter().enumerate() {
            parts[i % threads].push(s);
        }
        for part in parts.into_iter().filter(|p| !p.is_empty()) {
            let shared = shared.clone();
            handles.push(std::thread::spawn(move || tcp_group(part, send, &shared)));
        }
    }
    handles
}

/// Threads per direction for a group of TCP streams: half the CPUs this process may use (the
/// other half is the other direction's, or the peer's when it runs here), at least one.
fn group_threads() -> usize {
    (cpus() / 2).max(1)
}

/// The CPUs this process may run on (affinity and cgroup quota), at least one.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Starts the worker thread for `stream`.
pub fn spawn(stream: Arc<Stream>, sock: Sock, shared: Arc<Shared>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        match (sock, stream.sender) {
            (Sock::Tcp(t), true) => tcp_send(&stream, t, &shared),
            (Sock::Tcp(t), false) => tcp_recv(&stream, t, &shared),
            (Sock::Udp(u), true) => udp_send(&stream, u, &shared),
            (Sock::Udp(u), false) => udp_recv(&stream, u, &shared),
        }
        stream.done.store(true, Ordering::SeqCst);
    })
}

/// Takes `n` bytes (one block) from the test's budget; false when the budget is spent.
fn take_budget(shared: &Shared, n: u64) -> bool {
    if shared.bytes_limit > 0
        && shared.sent_total.fetch_add(n, Ordering::Relaxed) >= shared.bytes_limit
    {
        return false;
    }
    if shared.blocks_limit > 0
        && shared.blocks_total.fetch_add(1, Ordering::Relaxed) >= shared.blocks_limit
    {
        return false;
    }
    true
}

/// Sleeps until `sent` bytes fit the rate, in slices short enough to notice a stop.
fn pace(shared: &Shared, began: Instant, sent: u64) {
    if shared.rate == 0 {
        return;
    }
    let due = Duration::from_secs_f64(sent as f64 * 8.0 / shared.rate as f64);
    loop {
        let el = began.elapsed();
        if el >= due || shared.stop.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep((due - el).min(Duration::from_millis(10)));
    }
}

/// Fills `buf` with the bytes every sender sends.
fn fill_payload(buf: &mut [u8]) {
    // iperf3 sends random bytes by default; a fixed pseudo-random pattern serves the same end
    // (nothing on the path can compress it) without a random source.
    let mut seed = 0x9E37_79B9u32;
    for b in buf {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        *b = seed as u8;
    }
}

/// The most an unpaced TCP sender hands the kernel per write(2) (see `tcp_send`).
const WRITE_BATCH: usize = 512 * 1024;
/// The most an unpaced `-Z` sender hands the kernel per sendfile(2): a quarter of
/// `WRITE_BATCH`, measured best (docs/BENCHMARKS.md, "seventh stop": loopback 44-53 Gbit/s
/// against 29 with 512 KiB, the receiver's mark at 64 KiB).
const SENDFILE_BATCH: usize = 128 * 1024;
/// The most blocks in one writev(2) (small `-l` blocks).
const MAX_IOV: usize = 64;

/// What a test's TCP senders write: the shared block, how many blocks one call carries, and
/// with -Z the in-memory file sendfile(2) reads them from.
struct Payload<'a> {
    buf: &'a [u8],
    batch: usize,
    file: Option<std::fs::File>,
    /// Where the next write starts cycles through this many bytes: the block, or the file's
    /// run of blocks.
    span: usize,
}

impl<'a> Payload<'a> {
    fn new(shared: &'a Shared) -> std::io::Result<Payload<'a>> {
        // One block for all the streams: with -P N the senders' copies come from the same
        // cache-resident bytes, and N-1 blocks less memory.
        let buf = shared.tcp_block.get_or_init(|| {
            let mut b = sys::PageBuf::zeroed(shared.len);
            fill_payload(&mut b);
            b
        });
        // Unpaced and unbounded (no -b, -n, -k), a write(2) carries up to WRITE_BATCH of whole
        // blocks (the block repeated in one writev; SENDFILE_BATCH with -Z): fewer system
        // calls, and fewer sleeps on a full send buffer, per byte. A paced or counted test
        // writes block by block.
        let most = if shared.zerocopy {
            SENDFILE_BATCH
        } else {
            WRITE_BATCH
        };
        let batch = if unpaced(shared) {
            (most / buf.len()).clamp(1, MAX_IOV)
        } else {
            1
        };
        // -Z: the block (`batch` times over) lives in an in-memory file and goes out with
        // sendfile(2), the kernel taking its pages by reference instead of copying from this
        // process (iperf3 does the same with a temporary file).
        let file = if shared.zerocopy {
            Some(block_file(buf, batch)?)
        } else {
            None
        };
        let span = buf.len() * if file.is_some() { batch } else { 1 };
        Ok(Payload {
            buf,
            batch,
            file,
            span,
        })
    }
}

/// No rate, byte or block limit: the senders write as fast as the kernel takes.
fn unpaced(shared: &Shared) -> bool {
    shared.rate == 0 && shared.bytes_limit == 0 && shared.blocks_limit == 0
}

/// What one read or write on a stream came to.
enum Step {
    /// Bytes moved.
    Moved,
    /// Nothing now (timeout, would block, interrupted).
    Idle,
    /// The stream ended (EOF, error, budget spent); the error, if any, is recorded.
    Ended,
}

/// One TCP sender: its socket and where its next write starts.
struct Sender<'a> {
    st: &'a Stream,
    t: TcpStream,
    off: usize,
    sent: u64,
    began: Instant,
}

impl<'a> Sender<'a> {
    fn new(st: &'a Stream, t: TcpStream) -> Sender<'a> {
        Sender {
            st,
            t,
            off: 0,
            sent: 0,
            began: Instant::now(),
        }
    }

    /// One write (or sendfile) of the payload, counted.
    fn step(&mut self, p: &Payload, shared: &Shared) -> Step {
        if self.off == 0 {
            if !take_budget(shared, p.buf.len() as u64) {
                return Step::Ended;
            }
            pace(shared, self.began, self.sent);
        }
        let off = self.off;
        let wrote = match &p.file {
            Some(f) => {
                let mut at = off as nix::libc::off_t;
                nix::sys::sendfile::sendfile(&self.t, f, Some(&mut at), p.span - off)
                    .map_err(std::io::Error::from)
            }
            None if p.batch > 1 => {
                let mut iov = [std::io::IoSlice::new(p.buf); MAX_IOV];
                iov[0] = std::io::IoSlice::new(&p.buf[off..]);
                self.t.write_vectored(&iov[..p.batch])
            }
            None => self.t.write(&p.buf[off..]),
        };
        match wrote {
            Ok(0) => Step::Ended,
            Ok(n) => {
                self.sent += n as u64;
                self.st.bytes.fetch_add(n as u64, Ordering::Relaxed);
                self.off = (off + n) % p.span;
                Step::Moved
            }
            Err(e) if proto::is_timeout(&e) || e.kind() == std::io::ErrorKind::Interrupted => {
                Step::Idle
            }
            Err(e) => {
                if !shared.stop.load(Ordering::Relaxed) {
                    self.st.fail(format!("stream {}: {e}", self.st.id));
                }
                Step::Ended
            }
        }
    }
}

fn tcp_send(st: &Stream, t: TcpStream, shared: &Shared) {
    // A write timeout lets a sender blocked on a full window notice the stop.
    let _ = t.set_write_timeout(Some(Duration::from_millis(200)));
    let p = match Payload::new(shared) {
        Ok(p) => p,
        Err(e) => return st.fail(format!("stream {}: -Z: {e}", st.id)),
    };
    let mut s = Sender::new(st, t);
    while !shared.stop.load(Ordering::Relaxed) {
        if let Step::Ended = s.step(&p, shared) {
            break;
        }
    }
}

/// An in-memory file (memfd) holding `block` `times` times over, for sendfile(2).
fn block_file(block: &[u8], times: usize) -> std::io::Result<std::fs::File> {
    use nix::sys::memfd::{memfd_create, MFdFlags};
    let fd = memfd_create(c"netshoot-perf-block", MFdFlags::MFD_CLOEXEC)?;
    let mut f = std::fs::File::from(fd);
    for _ in 0..times {
        f.write_all(block)?;
    }
    Ok(f)
}

/// How much a TCP receiver lets queue before it wakes (`SO_RCVLOWAT`): about `WAKE_EVERY`
/// of data at the rate it measures, at most `MAX` (what one read takes, `TCP_READ`), or
/// `SENDFILE_MAX` when the peer sends with sendfile(2).
///
/// On loopback and over veth the kernel's receive path runs on the *sender's* CPU, which also
/// pays for waking this thread: fewer wake-ups leave it more time to send. Measured (4 rounds
/// of 3 s, ours both sides, Gbit/s; iperf3 20.1 loopback, 15.5 bridge, 29.5 bridge `-P 4`):
/// a fixed mark of 32 KiB 19.9 / 15.1 / —, 128 KiB 26.3 / 19.7 / 28.6, 512 KiB 23.5 / 26.6 /
/// 32.2. Following the rate keeps a slow flow's bytes counted within `WAKE_EVERY` of their
/// arrival (interval figures stay exact), where a fixed 512 KiB would hold a 10 Mbit/s flow's
/// bytes until the 200 ms read timeout.
struct Lowat {
    fd: i32,
    set: usize,
    max: usize,
    since: Instant,
    bytes: u64,
}

/// The least one TCP read takes (into a `sys::Sink`): a whole `Lowat::MAX`, since a
/// read's size caps the kernel's wake-up target.
const TCP_READ: usize = Lowat::MAX;

impl Lowat {
    const MAX: usize = 512 * 1024;
    /// The cap when the peer sends with sendfile(2) (`-Z`): measured (4 rounds of 2 s,
    /// loopback / bridge, Gbit/s, the sender at one 128 KiB block per call; iperf3 30 / 17):
    /// a cap of 512 KiB 21.6 / —, 128 KiB 39.1 / 31.6, 64 KiB 44-53 / 28.3, 32 KiB 35.7 / —.
    const SENDFILE_MAX: usize = 64 * 1024;
    const WAKE_EVERY: Duration = Duration::from_millis(5);
    const MEASURE: Duration = Duration::from_millis(100);

    /// Starts at `first` bytes (the block size, at most 32 KiB) until a rate is measured;
    /// `sendfile`: the peer sends with sendfile(2), the mark stays at most `SENDFILE_MAX`.
    fn new(fd: i32, first: usize, sendfile: bool) -> Lowat {
        let set = first.clamp(1, 32 * 1024);
        let _ = crate::sys::set_rcvlowat(fd, set as i32);
        Lowat {
            fd,
            set,
            max: if sendfile {
                Self::SENDFILE_MAX
            } else {
                Self::MAX
            },
            since: Instant::now(),
            bytes: 0,
        }
    }

    /// `n` bytes were read: every `MEASURE`, the mark follows the rate (a power of two, so a
    /// steady flow does not change it again).
    fn read(&mut self, n: usize) {
        self.bytes += n as u64;
        let el = self.since.elapsed();
        if el < Self::MEASURE {
            return;
        }
        let per_wake = self.bytes as f64 * Self::WAKE_EVERY.as_secs_f64() / el.as_secs_f64();
        let want = if per_wake >= self.max as f64 {
            self.max
        } else if per_wake < 2.0 {
            1
        } else {
            1usize << (per_wake as usize).ilog2()
        };
        if want != self.set && crate::sys::set_rcvlowat(self.fd, want as i32) {
            self.set = want;
        }
        self.since = Instant::now();
        self.bytes = 0;
    }
}

/// One TCP receiver: its socket, its receive mark, and (grouped, `tcp_group`) when it last
/// read.
struct Receiver<'a> {
    st: &'a Stream,
    t: TcpStream,
    lowat: Lowat,
    last: Instant,
}

impl<'a> Receiver<'a> {
    fn new(st: &'a Stream, t: TcpStream, shared: &Shared) -> Receiver<'a> {
        let lowat = Lowat::new(t.as_raw_fd(), shared.len, shared.peer_zerocopy);
        Receiver {
            st,
            t,
            lowat,
            last: Instant::now(),
        }
    }

    /// One read into this CPU's sink, counted.
    fn step(&mut self, shared: &Shared) -> Step {
        // Only the byte count matters: the streams of a test read into one 128 KiB buffer
        // (`sys::Sink`) per CPU, which stays in that CPU's cache however many streams there
        // are (iperf3 gives each stream its own); two CPUs seldom copy into the same lines at
        // once.
        let sinks = &shared.tcp_sinks;
        let sink = sinks[sys::current_cpu() % sinks.len()]
            .get_or_init(|| sys::Sink::new(shared.len.max(TCP_READ)));
        match sink.recv(self.t.as_raw_fd()) {
            Ok(0) => Step::Ended,
            Ok(n) => {
                self.st.bytes.fetch_add(n as u64, Ordering::Relaxed);
                self.lowat.read(n);
                Step::Moved
            }
            Err(e) if proto::is_timeout(&e) || e.kind() == std::io::ErrorKind::Interrupted => {
                self.lowat.read(0);
                Step::Idle
            }
            Err(e) => {
                if !shared.stop.load(Ordering::Relaxed) {
                    self.st.fail(format!("stream {}: {e}", self.st.id));
                }
                Step::Ended
            }
        }
    }
}

fn tcp_recv(st: &Stream, t: TcpStream, shared: &Shared) {
    // The read timeout returns a smaller tail than the mark, and EOF returns at once.
    let _ = t.set_read_timeout(Some(Duration::from_millis(200)));
    let mut r = Receiver::new(st, t, shared);
    while !shared.stop.load(Ordering::Relaxed) {
        if let Step::Ended = r.step(shared) {
            break;
        }
    }
}

/// poll(2) on `socks` for up to `wait`: which of them are ready for `what` (a hang-up or an
/// error counts, so that the next call on the socket reports it; all false on a timeout).
fn ready<'a>(
    socks: impl Iterator<Item = &'a TcpStream>,
    what: PollFlags,
    wait: Duration,
) -> Vec<bool> {
    use std::os::fd::AsFd;
    let mut fds: Vec<PollFd> = socks.map(|t| PollFd::new(t.as_fd(), what)).collect();
    let ms = wait.as_millis().min(u128::from(u16::MAX)) as u16;
    let _ = nix::poll::poll(&mut fds, PollTimeout::from(ms));
    let any = what | PollFlags::POLLHUP | PollFlags::POLLERR;
    fds.iter()
        .map(|f| f.revents().is_some_and(|r| r.intersects(any)))
        .collect()
}

/// Several TCP streams of one direction in one thread (`spawn_all`), on non-blocking sockets.
/// Senders write in turn, and poll(2) for room only when none could write. Receivers read
/// only the sockets poll(2) says are readable, which honours each socket's mark (a
/// non-blocking read would take whatever is queued); a socket not read for 200 ms reads its
/// tail, as the one-stream receiver's read timeout does.
fn tcp_group(group: Vec<(Arc<Stream>, TcpStream)>, send: bool, shared: &Shared) {
    let ended = |st: &Stream| st.done.store(true, Ordering::SeqCst);
    let payload = if send {
        match Payload::new(shared) {
            Ok(p) => Some(p),
            Err(e) => {
                for (st, _) in &group {
                    st.fail(format!("stream {}: -Z: {e}", st.id));
                    ended(st);
                }
                return;
            }
        }
    } else {
        None
    };
    // The streams stay in `all` (to mark them done at the end); their sockets move to the
    // senders or receivers below.
    let all: Vec<Arc<Stream>> = group.iter().map(|(st, _)| st.clone()).collect();
    let mut socks = Vec::new();
    for ((_, t), st) in group.into_iter().zip(&all) {
        match t.set_nonblocking(true) {
            Ok(()) => socks.push((&**st, t)),
            Err(e) => {
                st.fail(format!("stream {}: {e}", st.id));
                ended(st);
            }
        }
    }
    let wait = Duration::from_millis(200);
    if let Some(p) = &payload {
        let mut open: Vec<Sender> = socks
            .into_iter()
            .map(|(st, t)| Sender::new(st, t))
            .collect();
        while !open.is_empty() && !shared.stop.load(Ordering::Relaxed) {
            let mut moved = false;
            open.retain_mut(|s| match s.step(p, shared) {
                Step::Moved => {
                    moved = true;
                    true
                }
                Step::Idle => true,
                Step::Ended => {
                    ended(s.st);
                    false
                }
            });
            if !moved && !open.is_empty() {
                ready(open.iter().map(|s| &s.t), PollFlags::POLLOUT, wait);
            }
        }
    } else {
        let mut open: Vec<Receiver> = socks
            .into_iter()
            .map(|(st, t)| Receiver::new(st, t, shared))
            .collect();
        while !open.is_empty() && !shared.stop.load(Ordering::Relaxed) {
            let ready = ready(open.iter().map(|r| &r.t), PollFlags::POLLIN, wait);
            let quiet = ready.iter().all(|&x| !x);
            // One clock read per round for all the receivers.
            let now = Instant::now();
            let mut i = 0;
            open.retain_mut(|r| {
                i += 1;
                // A socket poll says is ready, or one that waited as long as the one-stream
                // receiver's read timeout (nothing ready for the whole wait, or its mark not
                // reached while the others kept poll busy): it gives its tail, and its mark
                // follows its rate down.
                if ready[i - 1] || quiet || now.duration_since(r.last) >= wait {
                    r.last = now;
                    if let Step::Ended = r.step(shared) {
                        ended(r.st);
                        return false;
                    }
                }
                true
            });
        }
    }
    for st in &all {
        ended(st);
    }
}

fn udp_send(st: &Stream, u: UdpSocket, shared: &Shared) {
    let mut buf = vec![0; shared.len.max(16)];
    fill_payload(&mut buf);
    let began = Instant::now();
    let mut seq = 0u64;
    let mut sent = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        if !take_budget(shared, buf.len() as u64) {
            break;
        }
        pace(shared, began, sent);
        seq += 1;
        let (_, sec, usec) = proto::now_parts();
        proto::put_udp_header(&mut buf, sec, usec, seq, shared.udp64);
        match u.send(&buf) {
            Ok(n) => {
                sent += n as u64;
                st.bytes.fetch_add(n as u64, Ordering::Relaxed);
                st.packets.store(seq, Ordering::Relaxed);
            }
            // The peer's ICMP unreachable or a full queue: the datagram is lost, as in iperf3.
            Err(e) if e.raw_os_error() == Some(nix::libc::ECONNREFUSED) => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOBUFS) || proto::is_timeout(&e) => {
                seq -= 1;
            }
            Err(e) => {
                st.fail(format!("stream {}: {e}", st.id));
                break;
            }
        }
    }
}

/// The bytes a UDP receiver reads a datagram into: the test's `-l`, within UDP's bounds.
pub(crate) fn udp_read_len(len: usize) -> usize {
    len.clamp(16, 65_536)
}

/// Datagrams per recvmmsg(2) call of a UDP receiver.
pub(crate) const UDP_BATCH: usize = 64;

fn udp_recv(st: &Stream, u: UdpSocket, shared: &Shared) {
    use nix::sys::socket::{recvmmsg, MsgFlags, MultiHeaders, SockaddrStorage};
    use std::io::IoSliceMut;
    const BATCH: usize = UDP_BATCH;
    // Empty non-blocking polls before the receiver blocks again: at most ~50-100 µs of them.
    const SPIN_MAX: u32 = 256;
    const SPIN_MIN: u32 = 4;
    let _ = u.set_read_timeout(Some(Duration::from_millis(200)));
    // Up to 64 datagrams per system call (recvmmsg, returning as soon as one is there), each
    // into its `-l` bytes of one zeroed allocation: pages the kernel has not written stay
    // unmapped (64-byte datagrams touch 4 KiB, not 128), and a longer datagram is cut to `-l`
    // and counted so, as iperf3 reads it.
    let dlen = udp_read_len(shared.len);
    let mut all = vec![0u8; dlen * BATCH];
    let mut bufs: Vec<&mut [u8]> = all.chunks_mut(dlen).collect();
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
    // The receiver's state lives here and is published every 64 datagrams (and on every
    // timeout and at the end), so the hot path takes no lock.
    let mut rx = st.udp.lock().map(|r| r.clone()).unwrap_or_default();
    let publish = |rx: &UdpRx| {
        if let Ok(mut shared_rx) = st.udp.lock() {
            *shared_rx = rx.clone();
        }
    };
    let fd = u.as_raw_fd();
    // Polls without sleeping for a while after each batch before blocking again: a receiver
    // asleep in recvmmsg must be woken for each datagram, and on a veth or loopback path that
    // wake-up is paid by the sender's CPU (it runs the receive softirq), which slows the flow.
    // The polling budget adapts: it doubles when polling found the next datagram and halves
    // when it ran out, so a receiver that shares its CPU with the sender (where polling only
    // takes time from it) soon stops polling.
    let mut budget = SPIN_MAX;
    let mut idle = 0u32;
    while !shared.stop.load(Ordering::Relaxed) {
        let flags = if idle < budget {
            MsgFlags::MSG_DONTWAIT
        } else {
            MsgFlags::MSG_WAITFORONE
        };
        let got: Result<Vec<usize>, nix::Error> = {
            let mut iovs: Vec<[IoSliceMut<'_>; 1]> = bufs
                .iter_mut()
                .map(|b| [IoSliceMut::new(&mut b[..])])
                .collect();
            recvmmsg(fd, &mut headers, iovs.iter_mut(), flags, None)
                .map(|r| r.map(|m| m.bytes).collect())
        };
        match got {
            Ok(lens) => {
                if idle > 0 && idle < budget {
                    budget = (budget * 2).min(SPIN_MAX);
                }
                idle = 0;
                let (arrival, _, _) = proto::now_parts();
                let mut total = 0u64;
                for (b, n) in bufs.iter().zip(&lens) {
                    total += *n as u64;
                    if let Some((sec, usec, seq)) = proto::get_udp_header(&b[..*n], shared.udp64) {
                        let sent = f64::from(sec) + f64::from(usec) / 1e6;
                        rx.datagram(seq, sent, arrival);
                    }
                }
                st.bytes.fetch_add(total, Ordering::Relaxed);
                publish(&rx);
            }
            Err(nix::Error::EAGAIN) if idle < budget => {
                idle += 1;
                if idle == budget {
                    budget = (budget / 2).max(SPIN_MIN);
                    idle = u32::MAX;
                }
            }
            Err(nix::Error::EAGAIN) | Err(nix::Error::EINTR) => publish(&rx),
            // ECONNREFUSED from an ICMP error of an earlier send: keep receiving.
            Err(_) => std::thread::sleep(Duration::from_millis(1)),
        }
    }
    publish(&rx);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mark starts at the block size (at most 32 KiB) and follows the measured rate, as
    /// the kernel reports it back on a real loopback socket.
    #[test]
    fn receive_mark_follows_the_rate() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (t, _) = l.accept().unwrap();
        let fd = t.as_raw_fd();
        let mut m = Lowat::new(fd, 128 * 1024, false);
        assert_eq!(sys::rcvlowat(fd), Some(32 * 1024));
        // Within the first 100 ms nothing changes.
        m.read(1 << 30);
        assert_eq!(sys::rcvlowat(fd), Some(32 * 1024));
        // 1 GiB more in ~100 ms: far above 512 KiB per 5 ms, so the cap.
        std::thread::sleep(Lowat::MEASURE);
        m.read(1 << 30);
        assert_eq!(sys::rcvlowat(fd), Some(Lowat::MAX as i32));
        // 1 MB/s for a second: ~5 KB per 5 ms, rounded down to a power of two.
        m.since = Instant::now() - Duration::from_secs(1);
        m.read(1_000_000);
        assert_eq!(sys::rcvlowat(fd), Some(4096));
        // A sendfile(2) peer: the same flood stops at the lower cap.
        let mut z = Lowat::new(fd, 128 * 1024, true);
        z.since = Instant::now() - Duration::from_secs(1);
        z.read(1 << 30);
        assert_eq!(sys::rcvlowat(fd), Some(Lowat::SENDFILE_MAX as i32));
        // Nothing arrives: wake for any byte.
        m.since = Instant::now() - Duration::from_secs(1);
        m.read(0);
        assert_eq!(sys::rcvlowat(fd), Some(1));
    }

    /// The shared buffers start on a page boundary, zeroed, and hold what is written.
    #[test]
    fn page_buffers_are_aligned() {
        let mut b = sys::PageBuf::zeroed(5000);
        assert_eq!(b.as_ptr() as usize % 4096, 0);
        assert!(b.iter().all(|&x| x == 0));
        b.fill(7);
        assert_eq!((b.len(), b[0], b[4999]), (5000, 7, 7));
        let z = sys::PageBuf::zeroed(0);
        assert_eq!((z.as_ptr() as usize % 4096, z.len()), (0, 1));
    }

    /// One read into the sink takes more than the 128 KiB of memory behind it (its iovecs
    /// repeat the piece), and every byte the peer sent is counted once.
    #[test]
    fn sink_reads_more_than_its_memory() {
        let (mut a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let total = 600 * 1024;
        let w = std::thread::spawn(move || a.write_all(&vec![1u8; total]).unwrap());
        // Let the writer fill the socket's queue (~200 KiB) before the first read.
        std::thread::sleep(Duration::from_millis(200));
        let sink = sys::Sink::new(TCP_READ);
        let (mut got, mut first) = (0, 0);
        loop {
            let n = sink.recv(b.as_raw_fd()).unwrap();
            if first == 0 {
                first = n;
            }
            if n == 0 {
                break;
            }
            got += n;
        }
        w.join().unwrap();
        assert_eq!(got, total);
        assert!(first > sys::Sink::PIECE, "first read {first}");
    }

    /// Grouped receivers: a slow stream's bytes are counted within ~200 ms although its mark
    /// is never reached and a fast stream keeps poll busy (real loopback sockets).
    #[test]
    fn grouped_receivers_count_a_slow_stream_in_time() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let (fast_w, slow_w) = (
            TcpStream::connect(addr).unwrap(),
            TcpStream::connect(addr).unwrap(),
        );
        let (fast_r, slow_r) = (l.accept().unwrap().0, l.accept().unwrap().0);
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            bytes_limit: 0,
            blocks_limit: 0,
            sent_total: Default::default(),
            blocks_total: Default::default(),
            len: 128 * 1024,
            rate: 0,
            udp64: false,
            zerocopy: false,
            peer_zerocopy: false,
            tcp_block: Default::default(),
            tcp_sinks: sinks_for(2),
        });
        let streams: Vec<Arc<Stream>> = [&fast_r, &slow_r]
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Stream::new(i as u32 + 1, false, &Sock::Tcp(t.try_clone().unwrap())).unwrap()
            })
            .collect();
        let group = vec![(streams[0].clone(), fast_r), (streams[1].clone(), slow_r)];
        let s2 = shared.clone();
        let worker = std::thread::spawn(move || tcp_group(group, false, &s2));
        let stop = Arc::new(AtomicBool::new(false));
        let flood = {
            let stop = stop.clone();
            let mut w = fast_w;
            std::thread::spawn(move || {
                let block = vec![7u8; 64 * 1024];
                while !stop.load(Ordering::Relaxed) && w.write_all(&block).is_ok() {}
            })
        };
        // 1,000 bytes every 50 ms: 32 KiB (the first mark) would take 1.6 s.
        let mut slow = slow_w;
        let began = Instant::now();
        let mut sent = 0u64;
        while began.elapsed() < Duration::from_millis(700) {
            slow.write_all(&[1u8; 1000]).unwrap();
            sent += 1000;
            std::thread::sleep(Duration::from_millis(50));
        }
        let counted = streams[1].bytes.load(Ordering::Relaxed);
        stop.store(true, Ordering::Relaxed);
        shared.stop.store(true, Ordering::Relaxed);
        for st in &streams {
            st.shutdown();
        }
        worker.join().unwrap();
        flood.join().unwrap();
        assert!(
            streams[0].bytes.load(Ordering::Relaxed) > 1 << 20,
            "the fast stream"
        );
        // Everything but the last ~250 ms of the slow stream's bytes was counted.
        assert!(counted + 6000 >= sent, "counted {counted} of {sent}");
        assert!(streams.iter().all(|s| s.done.load(Ordering::SeqCst)));
    }
}
