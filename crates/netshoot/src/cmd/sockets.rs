//! `sockets` (alias `ss`): TCP, UDP, raw and unix sockets over sock_diag, like `ss -tuwxanp`.

use std::net::IpAddr;

use anyhow::bail;
use clap::Args;
use netshoot_inspect::sockets::{attach_owners, socket_owners, state_number};
use netshoot_inspect::{Proto, Socket, UnixSocket};
use serde::Serialize;

use crate::render::Output;

/// `sockets` options (ss's letters).
#[derive(Debug, Args)]
pub struct SocketsArgs {
    /// TCP sockets.
    #[arg(short = 't', long)]
    pub tcp: bool,
    /// UDP sockets.
    #[arg(short = 'u', long)]
    pub udp: bool,
    /// Raw sockets.
    #[arg(short = 'w', long)]
    pub raw: bool,
    /// Unix-domain sockets.
    #[arg(short = 'x', long)]
    pub unix: bool,
    /// Listening sockets only (TCP LISTEN, unconnected UDP/raw/unix datagram).
    #[arg(short = 'l', long, conflicts_with = "all")]
    pub listening: bool,
    /// Every socket, listening and not (the default shows connected ones only).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// The processes holding each socket (pid and command, from /proc/*/fd).
    #[arg(short = 'p', long)]
    pub processes: bool,
    /// Numeric addresses and ports (always: netshoot never resolves here).
    #[arg(short = 'n', long)]
    pub numeric: bool,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "v6")]
    pub v4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub v6: bool,
    /// ss's filter: `state STATE`, `exclude STATE`, `sport OP :PORT`, `dport OP :PORT`
    /// (OP: = != < > <= >=; `and` and parentheses are accepted). States: established, syn-sent,
    /// syn-recv, fin-wait-1, fin-wait-2, time-wait, closed, close-wait, last-ack, listening,
    /// closing, and the groups all, connected, synchronized, bucket, big.
    #[arg(value_name = "FILTER", trailing_var_arg = true)]
    pub filter: Vec<String>,
}

/// The report: inet sockets and unix sockets.
#[derive(Debug, Serialize)]
pub struct SocketsReport {
    /// TCP, UDP and raw sockets.
    pub sockets: Vec<Socket>,
    /// Unix-domain sockets.
    pub unix: Vec<UnixSocket>,
}

/// Kernel TCP states as ss's filter names them (index = TCP_* number).
const STATES: [(&str, u8); 11] = [
    ("established", 1),
    ("syn-sent", 2),
    ("syn-recv", 3),
    ("fin-wait-1", 4),
    ("fin-wait-2", 5),
    ("time-wait", 6),
    ("closed", 7),
    ("close-wait", 8),
    ("last-ack", 9),
    ("listening", 10),
    ("closing", 11),
];

/// A set of kernel states as a bit mask.
fn state_mask(name: &str) -> anyhow::Result<u32> {
    let bit = |s: u8| 1u32 << s;
    let all: u32 = STATES.iter().map(|(_, s)| bit(*s)).sum();
    let bucket = bit(3) | bit(6);
    Ok(match name {
        "all" => all,
        "connected" => all & !(bit(10) | bit(7)),
        "synchronized" => all & !(bit(10) | bit(7) | bit(2)),
        "bucket" => bucket,
        "big" => all & !bucket,
        "listen" => bit(10),
        "estab" => bit(1),
        "unconn" => bit(7),
        n => match STATES.iter().find(|(s, _)| *s == n) {
            Some((_, s)) => bit(*s),
            None => bail!(
                "unknown socket state '{n}': use one of {}, or all, connected, synchronized, bucket, big",
                STATES.map(|(s, _)| s).join(", ")
            ),
        },
    })
}

/// One port comparison.
#[derive(Debug, Clone, Copy)]
struct PortCond {
    source: bool,
    op: std::cmp::Ordering,
    negate: bool,
    or_equal: bool,
    port: u16,
}

impl PortCond {
    fn matches(&self, s: &Socket) -> bool {
        let p = if self.source {
            s.local_port
        } else {
            s.peer_port
        };
        let c = p.cmp(&self.port);
        let hit = c == self.op || (self.or_equal && c == std::cmp::Ordering::Equal);
        hit != self.negate
    }
}

/// The parsed filter.
#[derive(Debug)]
struct Filter {
    states: u32,
    ports: Vec<PortCond>,
}

fn parse_filter(tokens: &[String], default_states: u32) -> anyhow::Result<Filter> {
    let mut states: Option<u32> = None;
    let mut exclude = 0u32;
    let mut ports = Vec::new();
    let words: Vec<String> = tokens
        .iter()
        .flat_map(|t| {
            t.replace(['(', ')'], " ")
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        match w {
            "and" | "&&" => i += 1,
            "or" | "||" | "not" | "!" => {
                bail!("socket filter: '{w}' is not supported; combine conditions with 'and'")
            }
            "state" | "exclude" | "excl" => {
                let Some(name) = words.get(i + 1) else {
                    bail!("socket filter: '{w}' needs a state name, e.g. '{w} established'");
                };
                let m = state_mask(name)?;
                if w == "state" {
                    *states.get_or_insert(0) |= m;
                } else {
                    exclude |= m;
                }
                i += 2;
            }
            "sport" | "dport" | "src" | "dst" => {
                if w == "src" || w == "dst" {
                    bail!("socket filter: address conditions ('{w}') are not supported; filter by port or state");
                }
                let mut j = i + 1;
                let (op, negate, or_equal) = match words.get(j).map(String::as_str) {
                    Some("=" | "==" | "eq") => (std::cmp::Ordering::Equal, false, false),
                    Some("!=" | "ne" | "neq") => (std::cmp::Ordering::Equal, true, false),
                    Some("<" | "lt") => (std::cmp::Ordering::Less, false, false),
                    Some(">" | "gt") => (std::cmp::Ordering::Greater, false, false),
                    Some("<=" | "le") => (std::cmp::Ordering::Less, false, true),
                    Some(">=" | "ge") => (std::cmp::Ordering::Greater, false, true),
                    _ => {
                        j -= 1;
                        (std::cmp::Ordering::Equal, false, false)
                    }
                };
                j += 1;
                let Some(raw) = words.get(j) else {
                    bail!("socket filter: '{w}' needs a port, e.g. '{w} = :80'");
                };
                let digits = raw.trim_start_matches(':');
                let Ok(port) = digits.parse::<u16>() else {
                    bail!("socket filter: '{raw}' is not a port (0-65535); write e.g. '{w} = :80'");
                };
                ports.push(PortCond {
                    source: w == "sport",
                    op,
                    negate,
                    or_equal,
                    port,
                });
                i = j + 1;
            }
            other => bail!(
                "socket filter: unexpected '{other}'; accepted: state STATE, exclude STATE, sport OP :PORT, dport OP :PORT"
            ),
        }
    }
    Ok(Filter {
        states: states.unwrap_or(default_states) & !exclude,
        ports,
    })
}

/// Runs `sockets` in the (already entered) target.
pub fn run(args: &SocketsArgs, out: &Output) -> anyhow::Result<i32> {
    let any = args.tcp || args.udp || args.raw || args.unix;
    let (tcp, udp, raw, unix) = if any {
        (args.tcp, args.udp, args.raw, args.unix)
    } else {
        (true, true, true, !(args.v4 || args.v6))
    };
    let default_states = if args.all {
        state_mask("all")?
    } else if args.listening {
        state_mask("listening")? | state_mask("closed")?
    } else {
        state_mask("connected")?
    };
    let filter = parse_filter(&args.filter, default_states)?;
    let protos: Vec<Proto> = [(tcp, Proto::Tcp), (udp, Proto::Udp), (raw, Proto::Raw)]
        .into_iter()
        .filter_map(|(on, p)| on.then_some(p))
        .collect();
    let mut inet = netshoot_inspect::sockets::inet_sockets_in_states(
        &protos,
        !args.v6,
        !args.v4,
        filter.states,
    )
    .map_err(|e| anyhow::anyhow!("cannot dump sockets over sock_diag: {e}"))?;
    inet.retain(|s| {
        filter.states & (1 << state_number(s.state)) != 0
            && filter.ports.iter().all(|c| c.matches(s))
    });
    let mut ux = if unix && filter.ports.is_empty() {
        netshoot_inspect::unix_sockets()
            .map_err(|e| anyhow::anyhow!("cannot dump unix sockets over sock_diag: {e}"))?
    } else {
        Vec::new()
    };
    ux.retain(|s| filter.states & (1 << state_number(s.state)) != 0);
    if args.processes {
        attach_owners(&mut inet, &mut ux, &socket_owners());
    }
    let report = SocketsReport {
        sockets: inet,
        unix: ux,
    };
    // ss labels unix sockets by kind (u_str, u_dgr, u_seq), so it shows the column with -x.
    let netid = protos.len() > 1 || unix;
    // As ss: a filter down to one state makes the State column redundant.
    let state_col = filter.states.count_ones() != 1;
    out.emit(&report, |r| text(r, netid, state_col, args.processes))?;
    Ok(0)
}

/// `addr:port` as ss prints it.
fn endpoint(
    a: IpAddr,
    port: u16,
    ifname: Option<&str>,
    proto: Proto,
    v6_only: Option<bool>,
) -> String {
    let host = match a {
        IpAddr::V4(v) => v.to_string(),
        // A dual-stack wildcard takes IPv4 too: ss writes it `*`.
        IpAddr::V6(v) if v.is_unspecified() && v6_only != Some(true) => "*".into(),
        IpAddr::V6(v) => format!("[{v}]"),
    };
    let host = match ifname {
        Some(i) => format!("{host}%{i}"),
        None => host,
    };
    let port = if proto == Proto::Raw {
        port.to_string()
    } else if port == 0 {
        "*".into()
    } else {
        port.to_string()
    };
    format!("{host}:{port}")
}

fn users(p: &[netshoot_inspect::sockets::Owner]) -> String {
    if p.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = p
        .iter()
        .map(|o| format!("(\"{}\",pid={},fd={})", o.command, o.pid, o.fd))
        .collect();
    format!("users:({})", inner.join(","))
}

/// One printed line.
struct Row<'a> {
    netid: &'a str,
    state: &'a str,
    recv_q: u32,
    send_q: u32,
    local: String,
    peer: String,
    users: String,
}

fn digits(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Column widths.
struct Widths {
    netid: Option<usize>,
    state: Option<usize>,
    rq: usize,
    sq: usize,
    local: usize,
    peer: usize,
    users: bool,
}

impl Widths {
    #[allow(clippy::too_many_arguments)]
    fn line(
        &self,
        out: &mut String,
        net: &str,
        state: &str,
        rq: &dyn std::fmt::Display,
        sq: &dyn std::fmt::Display,
        local: &str,
        peer: &str,
        users: &str,
    ) {
        use std::fmt::Write as _;
        let start = out.len();
        if let Some(w) = self.netid {
            let _ = write!(out, "{net:<w$} ");
        }
        if let Some(w) = self.state {
            let _ = write!(out, "{state:<w$} ");
        }
        let (wr, ws, wl, wp) = (self.rq, self.sq, self.local, self.peer);
        let _ = write!(out, "{rq:<wr$} {sq:<ws$} {local:<wl$} ");
        if self.users {
            let _ = write!(out, "{peer:<wp$} {users}");
        } else {
            out.push_str(peer);
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    }
}

fn text(r: &SocketsReport, netid: bool, state_col: bool, processes: bool) -> String {
    let names = if r.sockets.iter().any(|s| s.bound_if.is_some()) {
        interface_names()
    } else {
        Default::default()
    };
    let mut rows: Vec<Row> = Vec::with_capacity(r.sockets.len() + r.unix.len());
    for s in &r.sockets {
        let ifname = s
            .bound_if
            .map(|i| names.get(&i).cloned().unwrap_or_else(|| i.to_string()));
        rows.push(Row {
            netid: match s.proto {
                Proto::Tcp => "tcp",
                Proto::Udp => "udp",
                Proto::Raw => "raw",
            },
            state: s.state,
            recv_q: s.recv_q,
            send_q: s.send_q,
            local: endpoint(s.local, s.local_port, ifname.as_deref(), s.proto, s.v6_only),
            peer: endpoint(s.peer, s.peer_port, None, Proto::Tcp, s.v6_only),
            users: if processes {
                users(&s.processes)
            } else {
                String::new()
            },
        });
    }
    for s in &r.unix {
        rows.push(Row {
            netid: &s.kind,
            state: s.state,
            recv_q: s.recv_q,
            send_q: s.send_q,
            local: format!("{} {}", s.path.as_deref().unwrap_or("*"), s.inode),
            peer: format!("* {}", s.peer_inode.unwrap_or(0)),
            users: if processes {
                users(&s.processes)
            } else {
                String::new()
            },
        });
    }
    // Column widths: the widest cell or heading.
    let max =
        |f: &dyn Fn(&Row) -> usize, head: usize| rows.iter().map(f).max().unwrap_or(0).max(head);
    let w = Widths {
        netid: netid.then(|| max(&|r| r.netid.len(), 5)),
        state: state_col.then(|| max(&|r| r.state.len(), 5)),
        rq: max(&|r| digits(r.recv_q), 6),
        sq: max(&|r| digits(r.send_q), 6),
        local: max(&|r| r.local.len(), 18),
        peer: max(&|r| r.peer.len(), 17),
        users: processes,
    };
    let mut out = String::with_capacity((rows.len() + 1) * (w.local + w.peer + 40));
    w.line(
        &mut out,
        "Netid",
        "State",
        &"Recv-Q",
        &"Send-Q",
        "Local Address:Port",
        "Peer Address:Port",
        "Process",
    );
    for r in &rows {
        w.line(
            &mut out, r.netid, r.state, &r.recv_q, &r.send_q, &r.local, &r.peer, &r.users,
        );
    }
    out
}

/// Interface index → name, for `%dev` on sockets bound to one interface.
fn interface_names() -> std::collections::HashMap<u32, String> {
    netshoot_inspect::interfaces()
        .map(|v| v.into_iter().map(|i| (i.index, i.name)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> anyhow::Result<Filter> {
        let t: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        parse_filter(&t, 0)
    }

    #[test]
    fn filters_parse_like_ss() {
        let x = f("state established ( dport = :443 or dport = :80 )");
        assert!(x.is_err());
        let x = f("state established and ( dport = :443 )").unwrap();
        assert_eq!(x.states, 1 << 1);
        assert_eq!(x.ports.len(), 1);
        let x = f("state connected exclude time-wait sport >= :1024").unwrap();
        assert_eq!(x.states & (1 << 6), 0);
        assert_ne!(x.states & (1 << 1), 0);
        assert_eq!(x.states & (1 << 10), 0);
        assert!(x.ports[0].or_equal && !x.ports[0].negate);
        assert!(f("state nonsense")
            .unwrap_err()
            .to_string()
            .contains("unknown socket state"));
        assert!(f("sport = :99999").is_err());
        assert!(f("banana").is_err());
    }
}
