//! Which local process owns a TCP or UDP endpoint, as `top` names the processes behind a host
//! pair: a table of (local address, port, IP protocol) → `pid/command` from the sockets of the
//! calling thread's namespace, looked up also through wildcard listeners, and a watcher that
//! keeps the table fresh from a helper thread.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::sockets::{sockets, Proto};

/// IP protocol number of TCP.
pub const TCP: u8 = 6;
/// IP protocol number of UDP.
pub const UDP: u8 = 17;

/// (local address, port, IP protocol) → `pid/command` of the first process holding the socket.
#[derive(Debug, Clone, Default)]
pub struct Owners(HashMap<(IpAddr, u16, u8), String>);

impl Owners {
    /// The TCP and UDP sockets of the calling thread's namespace and their processes (every
    /// process whose `/proc/PID/fd` is readable). A failed socket dump gives an empty table:
    /// owners are a hint, never a reason to stop.
    pub fn gather() -> Owners {
        let mut m = HashMap::new();
        if let Ok(socks) = sockets(true, true, true) {
            for s in socks {
                let proto = match s.proto {
                    Proto::Tcp => TCP,
                    Proto::Udp => UDP,
                    Proto::Raw => continue,
                };
                if let Some(o) = s.processes.first() {
                    m.entry((s.local, s.local_port, proto))
                        .or_insert_with(|| format!("{}/{}", o.pid, o.command));
                }
            }
        }
        Owners(m)
    }

    /// The owner of a local endpoint (`proto`: [`TCP`] or [`UDP`]), also through a wildcard
    /// (0.0.0.0 / ::) socket of the same port.
    pub fn lookup(&self, ip: IpAddr, port: u16, proto: u8) -> Option<&str> {
        self.0
            .get(&(ip, port, proto))
            .or_else(|| {
                self.0
                    .get(&(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port, proto))
            })
            .or_else(|| {
                self.0
                    .get(&(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port, proto))
            })
            .map(String::as_str)
    }

    /// Number of endpoints known.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no endpoint is known.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An [`Owners`] table gathered now and again every `period` on a helper thread (walking
/// `/proc/*/fd` is too slow for a capture loop). The thread is started from the calling thread,
/// so it reads the same namespace; it ends when the watcher is dropped.
pub struct OwnersWatch {
    slot: Arc<Mutex<Arc<Owners>>>,
    stop: Arc<AtomicBool>,
}

impl OwnersWatch {
    /// Gathers the table and starts the thread that refreshes it.
    pub fn spawn(period: Duration) -> OwnersWatch {
        let slot = Arc::new(Mutex::new(Arc::new(Owners::gather())));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let slot = slot.clone();
            let stop = stop.clone();
            std::thread::spawn(move || loop {
                std::thread::sleep(period);
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let fresh = Arc::new(Owners::gather());
                if let Ok(mut s) = slot.lock() {
                    *s = fresh;
                }
            });
        }
        OwnersWatch { slot, stop }
    }

    /// The latest table.
    pub fn current(&self) -> Arc<Owners> {
        self.slot.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

impl Drop for OwnersWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our own sockets are found with our pid, a wildcard UDP socket through any address, and
    /// a port nobody holds is not.
    #[test]
    fn own_sockets_are_found() {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let udp = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
        let (tp, up) = (
            tcp.local_addr().unwrap().port(),
            udp.local_addr().unwrap().port(),
        );
        let me = format!("{}/", std::process::id());
        let watch = OwnersWatch::spawn(Duration::from_secs(3600));
        let o = watch.current();
        let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let t = o.lookup(lo, tp, TCP).unwrap_or_default();
        assert!(t.starts_with(&me), "{t:?} owns 127.0.0.1:{tp}");
        let u = o
            .lookup("192.0.2.7".parse().unwrap(), up, UDP)
            .unwrap_or_default();
        assert!(u.starts_with(&me), "{u:?} owns *:{up}/udp");
        if tp != up {
            assert_eq!(o.lookup(lo, tp, UDP), None, "TCP's port is not UDP's");
        }
        drop(tcp);
        assert!(!o.is_empty());
    }
}
