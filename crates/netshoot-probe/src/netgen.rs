//! netgen, the classic netshoot image's traffic generator: a listener on PORT that takes short
//! TCP messages, and a sender that connects to HOST:PORT every interval and sends one line
//! (the host name), retrying while HOST does not resolve or refuses (containers started in
//! either order). Either half can run alone. Events go to the caller on its own thread.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Bytes the listener keeps of one message.
pub const MAX_MESSAGE: usize = 4096;
/// Connections the listener reads at once; more are closed unread.
pub const MAX_ACTIVE: usize = 64;
/// How long the listener waits for one message, and the sender for its connection.
pub const WAIT: Duration = Duration::from_secs(2);
/// Received messages waiting for the caller (who prints them); when it falls behind (a slow
/// terminal), readers wait, and past [`MAX_ACTIVE`] new connections are closed unread, so a
/// flood costs at most this many messages of [`MAX_MESSAGE`] bytes in memory.
pub const MAX_QUEUED: usize = 256;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Listen on this port.
    pub listen: Option<u16>,
    /// Send to this host (as given) and port.
    pub send: Option<(String, u16)>,
    /// Seconds between messages.
    pub interval: Duration,
    /// Stop after this many messages sent (with a sender), or connections received (listener
    /// alone).
    pub count: Option<u64>,
    /// The message (the classic sends the host name and a newline).
    pub message: Vec<u8>,
}

/// Running counts of one side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Messages sent or received.
    pub messages: u64,
    /// Bytes.
    pub bytes: u64,
    /// Failed sends (sender) or connections that sent nothing readable (listener).
    pub failed: u64,
}

/// What happened, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The listener is up.
    Listening {
        /// Port.
        port: u16,
    },
    /// The listener could not start; the sender goes on.
    ListenFailed {
        /// Port.
        port: u16,
        /// Why.
        error: String,
    },
    /// The sender starts.
    Sending {
        /// Host as given.
        host: String,
        /// Port.
        port: u16,
        /// Seconds between messages.
        interval: f64,
    },
    /// A message went out.
    Sent {
        /// Messages sent so far.
        messages: u64,
        /// Host as given.
        host: String,
        /// Port.
        port: u16,
        /// The address it went to.
        addr: SocketAddr,
    },
    /// A send failed (the host does not resolve, refuses, times out); the sender retries.
    Failed {
        /// Host as given.
        host: String,
        /// Port.
        port: u16,
        /// Why.
        error: String,
    },
    /// The listener got a message.
    Received {
        /// Who sent it.
        peer: SocketAddr,
        /// Its length (at most [`MAX_MESSAGE`] read).
        bytes: u64,
        /// Its text, lossy UTF-8, control characters escaped, trailing newline dropped.
        text: String,
    },
}

/// The totals at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// The sender's counts.
    pub sent: Counts,
    /// The listener's counts.
    pub received: Counts,
}

fn printable(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let s = s.strip_suffix('\n').unwrap_or(&s);
    netshoot_wire::text::escape(s).into_owned()
}

fn listener(port: u16) -> std::io::Result<TcpListener> {
    let addr = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port);
    let s = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::STREAM, None)
        .or_else(|_| socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None))?;
    s.set_reuse_address(true)?;
    let bound = if s.domain()? == socket2::Domain::IPV6 {
        let _ = s.set_only_v6(false);
        s.bind(&addr.into())
    } else {
        s.bind(&SocketAddr::new(IpAddr::from([0u8; 4]), port).into())
    };
    bound?;
    s.listen(128)?;
    let l: TcpListener = s.into();
    l.set_nonblocking(true)?;
    Ok(l)
}

/// One received message: read at most [`MAX_MESSAGE`] bytes within [`WAIT`].
fn read_message(mut s: TcpStream) -> Option<Vec<u8>> {
    let _ = s.set_nonblocking(false);
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    let until = Instant::now() + WAIT;
    let mut buf = vec![0u8; MAX_MESSAGE];
    let mut have = 0;
    while have < MAX_MESSAGE && Instant::now() < until {
        match s.read(&mut buf[have..]) {
            Ok(0) => break,
            Ok(n) => have += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let _ = s.shutdown(Shutdown::Both);
    buf.truncate(have);
    (have > 0).then_some(buf)
}

enum Msg {
    Event(Event),
    Got(u64),
    Empty,
}

fn serve(l: TcpListener, stop: Arc<AtomicBool>, tx: mpsc::SyncSender<Msg>) {
    let active = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Relaxed) {
        match l.accept() {
            Ok((s, peer)) => {
                if active.load(Ordering::SeqCst) >= MAX_ACTIVE {
                    drop(s);
                    continue;
                }
                active.fetch_add(1, Ordering::SeqCst);
                let (tx, active) = (tx.clone(), active.clone());
                std::thread::spawn(move || {
                    let peer = match peer {
                        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
                            Some(v4) => SocketAddr::new(IpAddr::V4(v4), v6.port()),
                            None => peer,
                        },
                        v4 => v4,
                    };
                    match read_message(s) {
                        Some(m) => {
                            let _ = tx.send(Msg::Event(Event::Received {
                                peer,
                                bytes: m.len() as u64,
                                text: printable(&m),
                            }));
                            let _ = tx.send(Msg::Got(m.len() as u64));
                        }
                        None => {
                            let _ = tx.send(Msg::Empty);
                        }
                    }
                    active.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn send_one(addr: SocketAddr, msg: &[u8]) -> std::io::Result<()> {
    let mut s = TcpStream::connect_timeout(&addr, WAIT)?;
    s.set_write_timeout(Some(WAIT))?;
    s.write_all(msg)?;
    // nc -q 0: shut the sending side once the message is out.
    s.shutdown(Shutdown::Write)
}

fn os_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Runs netgen until `stop` or the count. `resolve` turns the host into an address (it is
/// asked again before every message, so a name that appears later is found). Events go to `on`
/// on the calling thread.
pub fn run(
    o: &Options,
    resolve: &mut dyn FnMut(&str) -> Result<IpAddr, String>,
    stop: &Arc<AtomicBool>,
    on: &mut dyn FnMut(&Event),
) -> Totals {
    let mut t = Totals::default();
    let (tx, rx) = mpsc::sync_channel::<Msg>(MAX_QUEUED);
    let lstop = Arc::new(AtomicBool::new(false));
    let mut serving = None;
    if let Some(port) = o.listen {
        match listener(port) {
            Ok(l) => {
                on(&Event::Listening { port });
                let (s, tx) = (lstop.clone(), tx.clone());
                serving = Some(std::thread::spawn(move || serve(l, s, tx)));
            }
            Err(e) => on(&Event::ListenFailed {
                port,
                error: os_message(&e),
            }),
        }
    }
    drop(tx);
    let drain = |t: &mut Totals, on: &mut dyn FnMut(&Event)| {
        while let Ok(m) = rx.try_recv() {
            match m {
                Msg::Event(e) => on(&e),
                Msg::Got(b) => {
                    t.received.messages += 1;
                    t.received.bytes += b;
                }
                Msg::Empty => t.received.failed += 1,
            }
        }
    };
    let start = Instant::now();
    let mut round = 0u32;
    if let Some((host, port)) = &o.send {
        on(&Event::Sending {
            host: host.clone(),
            port: *port,
            interval: o.interval.as_secs_f64(),
        });
        while !stop.load(Ordering::Relaxed) && o.count.is_none_or(|n| t.sent.messages < n) {
            let outcome = resolve(host).and_then(|ip| {
                let addr = SocketAddr::new(ip, *port);
                send_one(addr, &o.message)
                    .map(|()| addr)
                    .map_err(|e| os_message(&e))
            });
            match outcome {
                Ok(addr) => {
                    t.sent.messages += 1;
                    t.sent.bytes += o.message.len() as u64;
                    on(&Event::Sent {
                        messages: t.sent.messages,
                        host: host.clone(),
                        port: *port,
                        addr,
                    });
                }
                Err(error) => {
                    t.sent.failed += 1;
                    on(&Event::Failed {
                        host: host.clone(),
                        port: *port,
                        error,
                    });
                }
            }
            drain(&mut t, on);
            if o.count.is_some_and(|n| t.sent.messages >= n) {
                break;
            }
            round += 1;
            let next = start + o.interval * round;
            while Instant::now() < next && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20).min(next - Instant::now()));
                drain(&mut t, on);
            }
        }
    } else if serving.is_some() {
        // The listener alone: until stopped, or COUNT connections.
        while !stop.load(Ordering::Relaxed)
            && o.count
                .is_none_or(|n| t.received.messages + t.received.failed < n)
        {
            std::thread::sleep(Duration::from_millis(20));
            drain(&mut t, on);
        }
    }
    lstop.store(true, Ordering::SeqCst);
    if let Some(h) = serving {
        let _ = h.join();
    }
    // Readers still at work finish within WAIT.
    let until = Instant::now() + WAIT;
    loop {
        match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(Msg::Event(e)) => on(&e),
            Ok(Msg::Got(b)) => {
                t.received.messages += 1;
                t.received.bytes += b;
            }
            Ok(Msg::Empty) => t.received.failed += 1,
            Err(_) => break,
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_print_on_one_line() {
        assert_eq!(printable(b"web\n"), "web");
        assert_eq!(printable(b"a\tb\x1b[2J\n"), "a\\tb\\x1b[2J");
    }
}
