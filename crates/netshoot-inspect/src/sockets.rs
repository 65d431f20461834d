//! TCP and UDP sockets over sock_diag (`ss -tuanp`), with the processes that own them.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;

use netlink_packet_core::{NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_sock_diag::constants::{AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP};
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_sys::protocols::NETLINK_SOCK_DIAG;
use serde::Serialize;

use crate::netlink::transact;

/// A socket's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// One socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Socket {
    /// `tcp` or `udp`.
    pub proto: Proto,
    /// State as `ss` names it (`LISTEN`, `ESTAB`, `TIME-WAIT`, `UNCONN`, …).
    pub state: String,
    /// Local address (`0.0.0.0` / `::` when bound to all).
    pub local: IpAddr,
    /// Local port.
    pub local_port: u16,
    /// Peer address (unspecified when none).
    pub peer: IpAddr,
    /// Peer port.
    pub peer_port: u16,
    /// Bytes queued to receive (`Recv-Q`; for a listener, the accept backlog).
    pub recv_q: u32,
    /// Bytes queued to send (`Send-Q`; for a listener, the backlog limit).
    pub send_q: u32,
    /// Owner uid.
    pub uid: u32,
    /// Socket inode.
    pub inode: u32,
    /// Bound to one interface (`%eth0` in ss), by index.
    pub bound_if: Option<u32>,
    /// Processes holding it: (pid, command).
    pub processes: Vec<(u32, String)>,
}

impl Socket {
    /// True for a TCP listener or an unconnected UDP socket: something that accepts traffic.
    pub fn is_listening(&self) -> bool {
        match self.proto {
            Proto::Tcp => self.state == "LISTEN",
            Proto::Udp => self.state == "UNCONN",
        }
    }
}

/// `ss`'s word for a TCP state.
fn state_name(proto: Proto, s: u8) -> String {
    if proto == Proto::Udp {
        return match s {
            1 => "ESTAB".into(),
            7 => "UNCONN".into(),
            n => format!("STATE{n}"),
        };
    }
    match s {
        1 => "ESTAB",
        2 => "SYN-SENT",
        3 => "SYN-RECV",
        4 => "FIN-WAIT-1",
        5 => "FIN-WAIT-2",
        6 => "TIME-WAIT",
        7 => "UNCONN",
        8 => "CLOSE-WAIT",
        9 => "LAST-ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        _ => "UNKNOWN",
    }
    .into()
}

/// TCP and UDP sockets (IPv4 and IPv6) of the calling thread's namespace; `with_processes`
/// maps each to its owners through `/proc/*/fd` (every process on the host whose descriptors
/// are readable).
pub fn sockets(tcp: bool, udp: bool, with_processes: bool) -> io::Result<Vec<Socket>> {
    let mut out = Vec::new();
    for (on, proto, ipproto) in [
        (tcp, Proto::Tcp, IPPROTO_TCP),
        (udp, Proto::Udp, IPPROTO_UDP),
    ] {
        if !on {
            continue;
        }
        for family in [AF_INET, AF_INET6] {
            let req = SockDiagMessage::InetRequest(InetRequest {
                family,
                protocol: ipproto,
                extensions: ExtensionFlags::empty(),
                states: StateFlags::all(),
                socket_id: if family == AF_INET {
                    SocketId::new_v4()
                } else {
                    SocketId::new_v6()
                },
            });
            for m in transact(NETLINK_SOCK_DIAG, req, NLM_F_REQUEST | NLM_F_DUMP)? {
                let SockDiagMessage::InetResponse(r) = m else {
                    continue;
                };
                let h = &r.header;
                out.push(Socket {
                    proto,
                    state: state_name(proto, h.state),
                    local: h.socket_id.source_address,
                    local_port: h.socket_id.source_port,
                    peer: h.socket_id.destination_address,
                    peer_port: h.socket_id.destination_port,
                    recv_q: h.recv_queue,
                    send_q: h.send_queue,
                    uid: h.uid,
                    inode: h.inode,
                    bound_if: (h.socket_id.interface_id != 0).then_some(h.socket_id.interface_id),
                    processes: Vec::new(),
                });
            }
        }
    }
    if with_processes {
        let owners = socket_owners();
        for s in &mut out {
            if let Some(p) = owners.get(&s.inode) {
                s.processes = p.clone();
            }
        }
    }
    Ok(out)
}

/// Socket inode → processes, from `/proc/*/fd/*` links of the form `socket:[INODE]`.
fn socket_owners() -> HashMap<u32, Vec<(u32, String)>> {
    let mut map: HashMap<u32, Vec<(u32, String)>> = HashMap::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return map;
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        let mut comm: Option<String> = None;
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let Some(ino) = target
                .to_str()
                .and_then(|t| t.strip_prefix("socket:["))
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u32>().ok())
            else {
                continue;
            };
            let c = comm
                .get_or_insert_with(|| {
                    std::fs::read_to_string(p.path().join("comm"))
                        .map(|s| s.trim_end().to_string())
                        .unwrap_or_default()
                })
                .clone();
            let e = map.entry(ino).or_default();
            if !e.iter().any(|(x, _)| *x == pid) {
                e.push((pid, c));
            }
        }
    }
    map
}
