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
    /// Every socket, listening and not (the default, as ss's: TCP and unix sockets in connected
    /// states but TIME-WAIT and SYN-RECV, UDP and raw sockets with a peer).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// The processes holding each socket (pid and command, from /proc/*/fd).
    #[arg(short = 'p', long)]
    pub processes: bool,
    /// Numeric ports (without it, ports are named from /etc/services as ss does outside the
    /// ephemeral range; addresses are always numeric).
    #[arg(short = 'n', long)]
    pub numeric: bool,
    /// TCP timers (ss -o): `timer:(keepalive,19min,0)`.
    #[arg(short = 'o', long)]
    pub options: bool,
    /// No header line (ss -H).
    #[arg(short = 'H', long = "no-header")]
    pub no_header: bool,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "v6")]
    pub v4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub v6: bool,
    /// ss's filter: `state STATE`, `exclude STATE`, `sport OP :PORT`, `dport OP :PORT`
    /// (OP: = != < > <= >=), `src|dst PREFIX[:PORT]` (10.0.0.0/8, 127.0.0.1:80, [::1]:80,
    /// *:22), joined with `and` (or side by side), `or`, `not` and parentheses. States: established, syn-sent,
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

/// `src`/`dst` PREFIX[:PORT]: an address (with a prefix length) or `*`, and maybe a port.
#[derive(Debug, Clone, Copy)]
struct HostCond {
    source: bool,
    net: Option<(IpAddr, u8)>,
    port: Option<u16>,
}

impl HostCond {
    fn matches(&self, s: &Socket) -> bool {
        let (addr, port) = if self.source {
            (s.local, s.local_port)
        } else {
            (s.peer, s.peer_port)
        };
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        let Some((net, len)) = self.net else {
            return true;
        };
        // As ss: an IPv4 prefix also matches IPv4-mapped IPv6 addresses.
        let addr = match (net, addr) {
            (IpAddr::V4(_), IpAddr::V6(v)) => v.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            _ => addr,
        };
        match (net, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let m = u32::MAX.checked_shl(32 - len as u32).unwrap_or(0);
                u32::from(n) & m == u32::from(a) & m
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let m = u128::MAX.checked_shl(128 - len as u32).unwrap_or(0);
                u128::from(n) & m == u128::from(a) & m
            }
            _ => false,
        }
    }
}

/// ss's filter expression: conditions joined with and (also by juxtaposition), or, not and
/// parentheses; `and` binds tighter than `or`.
#[derive(Debug, Clone)]
enum Expr {
    Port(PortCond),
    Host(HostCond),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    fn matches(&self, s: &Socket) -> bool {
        match self {
            Expr::Port(c) => c.matches(s),
            Expr::Host(c) => c.matches(s),
            Expr::Not(e) => !e.matches(s),
            Expr::And(a, b) => a.matches(s) && b.matches(s),
            Expr::Or(a, b) => a.matches(s) || b.matches(s),
        }
    }
}

/// The parsed filter.
#[derive(Debug)]
struct Filter {
    states: u32,
    expr: Option<Expr>,
}

const FILTER_HELP: &str = "accepted: state STATE, exclude STATE, sport OP :PORT, dport OP :PORT, src|dst PREFIX[:PORT], joined with and, or, not and parentheses";

/// Recursive descent over the filter's words.
struct Parser<'a> {
    words: &'a [String],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.words.get(self.at).map(String::as_str)
    }

    fn next(&mut self) -> Option<&str> {
        let w = self.words.get(self.at).map(String::as_str);
        self.at += 1;
        w
    }

    fn or(&mut self) -> anyhow::Result<Expr> {
        let mut e = self.and()?;
        while matches!(self.peek(), Some("or" | "|" | "||")) {
            self.at += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> anyhow::Result<Expr> {
        let mut e = self.unary()?;
        loop {
            match self.peek() {
                Some("and" | "&" | "&&") => self.at += 1,
                // Juxtaposed conditions are joined with and.
                Some("!" | "not" | "(" | "sport" | "dport" | "src" | "dst") => {}
                _ => return Ok(e),
            }
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> anyhow::Result<Expr> {
        match self.next() {
            Some("!" | "not") => Ok(Expr::Not(Box::new(self.unary()?))),
            Some("(") => {
                let e = self.or()?;
                match self.next() {
                    Some(")") => Ok(e),
                    _ => bail!("socket filter: a '(' is not closed; add ')'"),
                }
            }
            Some(w @ ("sport" | "dport")) => {
                let source = w == "sport";
                let w = w.to_string();
                let (op, negate, or_equal) = match self.peek() {
                    Some("=" | "==" | "eq") => (std::cmp::Ordering::Equal, false, false),
                    Some("!=" | "ne" | "neq") => (std::cmp::Ordering::Equal, true, false),
                    Some("<" | "lt") => (std::cmp::Ordering::Less, false, false),
                    Some(">" | "gt") => (std::cmp::Ordering::Greater, false, false),
                    Some("<=" | "le") => (std::cmp::Ordering::Less, false, true),
                    Some(">=" | "ge") => (std::cmp::Ordering::Greater, false, true),
                    _ => {
                        self.at -= 1;
                        (std::cmp::Ordering::Equal, false, false)
                    }
                };
                self.at += 1;
                let Some(raw) = self.next() else {
                    bail!("socket filter: '{w}' needs a port, e.g. '{w} = :80'");
                };
                let Ok(port) = raw.trim_start_matches(':').parse::<u16>() else {
                    bail!("socket filter: '{raw}' is not a port (0-65535); write e.g. '{w} = :80'");
                };
                Ok(Expr::Port(PortCond {
                    source,
                    op,
                    negate,
                    or_equal,
                    port,
                }))
            }
            Some(w @ ("src" | "dst")) => {
                let source = w == "src";
                let w = w.to_string();
                // ss accepts `dst = PREFIX` too.
                if matches!(self.peek(), Some("=" | "==" | "eq")) {
                    self.at += 1;
                }
                let Some(raw) = self.next() else {
                    bail!("socket filter: '{w}' needs an address, e.g. '{w} 10.0.0.0/8'");
                };
                Ok(Expr::Host(host_cond(source, raw)?))
            }
            Some(")") => bail!("socket filter: ')' without '('"),
            Some(other) => bail!("socket filter: unexpected '{other}'; {FILTER_HELP}"),
            None => bail!("socket filter: a condition is missing at the end; {FILTER_HELP}"),
        }
    }
}

/// `10.0.0.0/8`, `127.0.0.1:80`, `[::1]:80`, `::1`, `*:22`, `*`.
fn host_cond(source: bool, raw: &str) -> anyhow::Result<HostCond> {
    let bad = || {
        anyhow::anyhow!(
            "socket filter: '{raw}' is not an address: write PREFIX[:PORT], e.g. 10.0.0.0/8, 127.0.0.1:80, [::1]:80 or *:22 (names are not resolved)"
        )
    };
    let port_of = |p: &str| -> anyhow::Result<Option<u16>> {
        match p {
            "" | "*" => Ok(None),
            p => p.parse::<u16>().map(Some).map_err(|_| bad()),
        }
    };
    let (host, port) = if let Some(rest) = raw.strip_prefix('[') {
        let (h, p) = rest.split_once(']').ok_or_else(bad)?;
        (h, port_of(p.trim_start_matches(':'))?)
    } else if let Some(p) = raw.strip_prefix('*') {
        ("*", port_of(p.trim_start_matches(':'))?)
    } else if raw.matches(':').count() == 1 {
        let (h, p) = raw.split_once(':').ok_or_else(bad)?;
        (h, port_of(p)?)
    } else {
        (raw, None)
    };
    let net = if host == "*" || host.is_empty() {
        None
    } else {
        let (a, len) = match host.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u8>().map_err(|_| bad())?)),
            None => (host, None),
        };
        let a: IpAddr = a.parse().map_err(|_| bad())?;
        let full = if a.is_ipv4() { 32 } else { 128 };
        let len = len.unwrap_or(full);
        if len > full {
            return Err(bad());
        }
        Some((a, len))
    };
    Ok(HostCond { source, net, port })
}

fn parse_filter(tokens: &[String], default_states: u32) -> anyhow::Result<Filter> {
    let mut states: Option<u32> = None;
    let mut exclude = 0u32;
    // Parentheses are words of their own, whether or not spaces surround them.
    let all: Vec<String> = tokens
        .iter()
        .flat_map(|t| {
            t.replace('(', " ( ")
                .replace(')', " ) ")
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    // `state X` and `exclude X` select states; the rest is the expression.
    let mut words = Vec::with_capacity(all.len());
    let mut i = 0;
    while i < all.len() {
        let w = all[i].as_str();
        if matches!(w, "state" | "exclude" | "excl") {
            let Some(name) = all.get(i + 1) else {
                bail!("socket filter: '{w}' needs a state name, e.g. '{w} established'");
            };
            let m = state_mask(name)?;
            if w == "state" {
                *states.get_or_insert(0) |= m;
            } else {
                exclude |= m;
            }
            // A dangling `and` before the next condition.
            i += 2;
            if matches!(all.get(i).map(String::as_str), Some("and" | "&" | "&&")) {
                i += 1;
            }
            continue;
        }
        words.push(all[i].clone());
        i += 1;
    }
    while matches!(words.last().map(String::as_str), Some("and" | "&" | "&&")) {
        words.pop();
    }
    let expr = if words.is_empty() {
        None
    } else {
        let mut p = Parser {
            words: &words,
            at: 0,
        };
        let e = p.or()?;
        if let Some(rest) = p.peek() {
            bail!("socket filter: unexpected '{rest}'; {FILTER_HELP}");
        }
        Some(e)
    };
    Ok(Filter {
        states: states.unwrap_or(default_states) & !exclude,
        expr,
    })
}

/// What a listing selected: the sockets and which of ss's columns it shows.
#[derive(Debug)]
pub struct Selection {
    /// The sockets, inet ones in ss's order (raw, udp, tcp; IPv4 before IPv6 within each).
    pub report: SocketsReport,
    /// More than one kind of socket: ss shows the Netid column.
    pub netid: bool,
    /// More than one state asked for: ss shows the State column.
    pub state_col: bool,
}

/// Dumps the sockets `args` select (protocols, families, `-l`/`-a`, the state and port
/// filter, owners with `-p`) in the (already entered) target. `ss` and `netstat` both list
/// through this one function.
pub fn select(args: &SocketsArgs) -> anyhow::Result<Selection> {
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
        // ss's defaults, one per kind asked for, joined: TCP and unix SS_CONN (the connected
        // states less the bucket ones, TIME-WAIT and SYN-RECV), UDP and raw ESTAB alone (so
        // `ss -u` shows one state and hides the column).
        let mut m = 0;
        if tcp || unix {
            m |= state_mask("connected")? & !state_mask("bucket")?;
        }
        if udp || raw {
            m |= state_mask("established")?;
        }
        m
    };
    let filter = parse_filter(&args.filter, default_states)?;
    // ss's order: raw, udp, tcp (unix sockets come before all of them).
    let protos: Vec<Proto> = [(raw, Proto::Raw), (udp, Proto::Udp), (tcp, Proto::Tcp)]
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
            && filter.expr.as_ref().is_none_or(|e| e.matches(s))
    });
    let mut ux = if unix && filter.expr.is_none() {
        netshoot_inspect::unix_sockets()
            .map_err(|e| anyhow::anyhow!("cannot dump unix sockets over sock_diag: {e}"))?
    } else {
        Vec::new()
    };
    ux.retain(|s| filter.states & (1 << state_number(s.state)) != 0);
    if args.processes {
        attach_owners(&mut inet, &mut ux, &socket_owners());
    }
    Ok(Selection {
        report: SocketsReport {
            sockets: inet,
            unix: ux,
        },
        // ss labels unix sockets by kind (u_str, u_dgr, u_seq), so it shows the column with -x.
        netid: protos.len() > 1 || unix,
        // As ss: a filter down to one state makes the State column redundant.
        state_col: filter.states.count_ones() != 1,
    })
}

/// Runs `sockets` in the (already entered) target.
pub fn run(args: &SocketsArgs, out: &Output) -> anyhow::Result<i32> {
    let sel = select(args)?;
    let opts = TextOpts {
        netid: sel.netid,
        state_col: sel.state_col,
        processes: args.processes,
        header: !args.no_header,
        numeric: args.numeric,
        timers: args.options,
    };
    out.emit(&sel.report, |r| text(r, &opts))?;
    Ok(0)
}

/// How the ss table is drawn.
struct TextOpts {
    netid: bool,
    state_col: bool,
    processes: bool,
    header: bool,
    numeric: bool,
    timers: bool,
}

/// The host part of an address as ss prints it, with its delimiter (`127.0.0.1:`, `*:`,
/// `[::1]:`, `10.0.0.1%eth0:`).
fn host_cell(a: IpAddr, ifname: Option<&str>, v6_only: Option<bool>) -> String {
    let host = match a {
        IpAddr::V4(v) => v.to_string(),
        // A dual-stack wildcard takes IPv4 too: ss writes it `*`.
        IpAddr::V6(v) if v.is_unspecified() && v6_only != Some(true) => "*".into(),
        IpAddr::V6(v) => format!("[{v}]"),
    };
    match ifname {
        Some(i) => format!("{host}%{i}:"),
        None => format!("{host}:"),
    }
}

/// Port names as ss prints them without `-n`: `/etc/services` outside the ephemeral range,
/// protocol names for raw sockets.
struct PortNames {
    services: Option<netshoot_inspect::names::Services>,
    protocols: Option<netshoot_inspect::names::Protocols>,
    ephemeral: (u16, u16),
}

impl PortNames {
    fn new(numeric: bool) -> PortNames {
        if numeric {
            return PortNames {
                services: None,
                protocols: None,
                ephemeral: (0, 0),
            };
        }
        let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .ok()
            .and_then(|t| {
                let mut f = t.split_whitespace().map(|x| x.parse::<u16>().ok());
                Some((f.next()??, f.next()??))
            })
            .unwrap_or((1024, 4999));
        PortNames {
            services: Some(netshoot_inspect::names::Services::load()),
            protocols: Some(netshoot_inspect::names::Protocols::load()),
            ephemeral,
        }
    }

    fn port(&self, port: u16, proto: Proto) -> String {
        if port == 0 {
            return "*".into();
        }
        if proto == Proto::Raw {
            return match &self.protocols {
                Some(p) => p
                    .name(port as u8)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("ipproto-{port}")),
                None => port.to_string(),
            };
        }
        let named = self.services.as_ref().and_then(|s| {
            let (lo, hi) = self.ephemeral;
            if (lo..=hi).contains(&port) {
                return None;
            }
            s.name(port, if proto == Proto::Udp { "udp" } else { "tcp" })
        });
        named.map_or_else(|| port.to_string(), str::to_string)
    }
}

/// ss's `print_ms_timer`: `19min`, `59sec`, `5.500ms`, `800ms`.
fn ms_timer(ms: u32) -> String {
    let (mut secs, minutes, mut msecs) = ((ms / 1000) % 60, ms / 60_000, ms % 1000);
    let mut out = String::new();
    if minutes > 0 {
        msecs = 0;
        out.push_str(&format!("{minutes}min"));
        if minutes > 9 {
            secs = 0;
        }
    }
    if secs > 0 {
        if secs > 9 {
            msecs = 0;
        }
        out.push_str(&format!("{secs}{}", if msecs > 0 { "." } else { "sec" }));
    }
    if msecs > 0 {
        out.push_str(&format!("{msecs:03}ms"));
    }
    out
}

/// ss -o's ` timer:(NAME,WHEN,RETRANS)` for a TCP socket with a timer running.
fn timer(s: &Socket) -> String {
    if s.proto != Proto::Tcp || s.timer == 0 {
        return String::new();
    }
    let name =
        ["off", "on", "keepalive", "timewait", "persist", "unknown"][s.timer.min(5) as usize];
    format!(" timer:({name},{},{})", ms_timer(s.expires_ms), s.retrans)
}

fn users(p: &[netshoot_inspect::sockets::Owner]) -> String {
    if p.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = p
        .iter()
        .map(|o| format!("(\"{}\",pid={},fd={})", o.command, o.pid, o.fd))
        .collect();
    format!(" users:({})", inner.join(","))
}

/// ss's columns: Netid, State, Recv-Q, Send-Q, local host, local port, peer host, peer port,
/// Process, and the (empty) extension column: alignment and left delimiter.
const COLUMNS: [(bool, &str, &str); 10] = [
    (false, "", "Netid"),
    (false, " ", "State"),
    (false, " ", "Recv-Q"),
    (false, " ", "Send-Q"),
    (true, " ", "Local Address:"),
    (false, "", "Port"),
    (true, " ", "Peer Address:"),
    (false, "", "Port"),
    (false, "", "Process"),
    (false, "", ""),
];

/// ss's table. Every column is as wide as its widest cell, plus its left delimiter unless it
/// is the first; addresses are right-aligned against their ports; trailing padding is kept. On
/// a terminal `screen` columns wide, ss then spreads the spare width evenly over the columns of
/// each screen line (its render_calc_width); to a pipe it prints the compact widths.
fn render(
    rows: &[[String; 10]],
    enabled: [bool; 10],
    header: bool,
    screen: Option<usize>,
) -> String {
    let mut width = [0usize; 10];
    let mut first = true;
    // ss measures a cell when it moves on to the next one; the last socket's last cell (its
    // Process text) is never moved on from, so it does not widen its column.
    let unmeasured = (rows.len() > usize::from(header)).then(|| rows.len() - 1);
    for c in 0..10 {
        if !enabled[c] {
            continue;
        }
        let max = rows
            .iter()
            .enumerate()
            .filter(|(k, _)| !(c == 8 && Some(*k) == unmeasured))
            .map(|(_, r)| r[c].len())
            .max()
            .unwrap_or(0);
        width[c] = if !first && max > 0 {
            max + COLUMNS[c].1.len()
        } else {
            max
        };
        if let Some(sw) = screen {
            width[c] = width[c].min(sw);
        }
        if width[c] > 0 {
            first = false;
        }
    }
    if let Some(sw) = screen {
        spread(&mut width, sw);
    }
    let mut out = String::new();
    for r in rows {
        let mut started = false;
        let Some(start) = (0..10).find(|&c| enabled[c] && width[c] > 0) else {
            continue;
        };
        for c in start..10 {
            if !enabled[c] {
                continue;
            }
            let (right, ldelim, _) = COLUMNS[c];
            let mut printed = 0;
            if started {
                out.push_str(ldelim);
                printed = ldelim.len();
            }
            started = true;
            let cell = &r[c];
            if right && width[c] > 0 {
                let pad = width[c].saturating_sub(cell.len() + printed);
                out.extend(std::iter::repeat_n(' ', pad));
                printed += pad;
            }
            out.push_str(cell);
            printed += cell.len();
            if !right && width[c] > 0 {
                out.extend(std::iter::repeat_n(' ', width[c].saturating_sub(printed)));
            }
        }
        out.push('\n');
    }
    out
}

/// ss's second pass on a terminal: break the columns into screen lines and give each line's
/// columns an equal share of its spare width (the remainder one each, from the right).
fn spread(width: &mut [usize; 10], screen: usize) {
    let (mut len, mut linecols) = (0usize, 0usize);
    // The column after the last line break (ss's `eol + 1`).
    let mut line_start = 0;
    let mut c = 0;
    while c < 10 {
        if width[c] == 0 {
            c += 1;
            continue;
        }
        linecols += 1;
        len += width[c];
        let last = width[c + 1..].iter().all(|w| *w == 0);
        if !last && len < screen {
            c += 1;
            continue;
        }
        if len != screen {
            let mut end = c;
            if len > screen {
                // Go back one column: it starts the next line.
                len -= width[c];
                linecols -= 1;
                end = c.saturating_sub(1);
                c = end;
            }
            let pad = screen - len;
            if let (Some(spacing), Some(mut rem)) =
                (pad.checked_div(linecols), pad.checked_rem(linecols))
            {
                for w in width[line_start..=end].iter_mut().rev() {
                    if *w == 0 {
                        continue;
                    }
                    *w += spacing;
                    if rem > 0 {
                        *w += 1;
                        rem -= 1;
                    }
                }
            }
        }
        line_start = c + 1;
        len = 0;
        linecols = 0;
        c += 1;
    }
}

fn text(r: &SocketsReport, o: &TextOpts) -> String {
    let names = if r.sockets.iter().any(|s| s.bound_if.is_some()) {
        interface_names()
    } else {
        Default::default()
    };
    let ports = PortNames::new(o.numeric);
    let mut rows: Vec<[String; 10]> = Vec::with_capacity(r.sockets.len() + r.unix.len() + 1);
    if o.header {
        rows.push(COLUMNS.map(|c| c.2.to_string()));
    }
    let owners = |p: &[netshoot_inspect::sockets::Owner]| {
        if o.processes {
            users(p)
        } else {
            String::new()
        }
    };
    for s in &r.unix {
        rows.push([
            s.kind.clone(),
            s.state.to_string(),
            format!("{:<6}", s.recv_q),
            format!("{:<6}", s.send_q),
            format!("{} ", s.path.as_deref().unwrap_or("*")),
            s.inode.to_string(),
            "* ".into(),
            s.peer_inode.unwrap_or(0).to_string(),
            owners(&s.processes),
            String::new(),
        ]);
    }
    for s in &r.sockets {
        let ifname = s
            .bound_if
            .map(|i| names.get(&i).cloned().unwrap_or_else(|| i.to_string()));
        rows.push([
            match s.proto {
                Proto::Tcp => "tcp",
                Proto::Udp => "udp",
                Proto::Raw => "raw",
            }
            .to_string(),
            s.state.to_string(),
            format!("{:<6}", s.recv_q),
            format!("{:<6}", s.send_q),
            host_cell(s.local, ifname.as_deref(), s.v6_only),
            ports.port(s.local_port, s.proto),
            host_cell(s.peer, None, s.v6_only),
            ports.port(s.peer_port, s.proto),
            // ss appends -o's timer to the Process column.
            owners(&s.processes) + &if o.timers { timer(s) } else { String::new() },
            String::new(),
        ]);
    }
    let mut enabled = [true; 10];
    enabled[0] = o.netid;
    enabled[1] = o.state_col;
    render(&rows, enabled, o.header, screen_width())
}

/// The terminal's width when stdout is one (ss spreads its columns over it).
fn screen_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    ratatui::crossterm::terminal::size()
        .ok()
        .map(|(cols, _)| cols as usize)
        .filter(|c| *c > 0)
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

    fn sock(local: &str, lport: u16, peer: &str, pport: u16) -> Socket {
        Socket {
            proto: Proto::Tcp,
            state: "ESTAB",
            local: local.parse().unwrap(),
            local_port: lport,
            peer: peer.parse().unwrap(),
            peer_port: pport,
            recv_q: 0,
            send_q: 0,
            uid: 0,
            inode: 1,
            bound_if: None,
            v6_only: None,
            timer: 0,
            retrans: 0,
            expires_ms: 0,
            processes: Vec::new(),
        }
    }

    #[test]
    fn timers_read_as_ss_prints_them() {
        assert_eq!(ms_timer(0), "");
        assert_eq!(ms_timer(800), "800ms");
        assert_eq!(ms_timer(5_500), "5.500ms");
        assert_eq!(ms_timer(59_123), "59sec");
        assert_eq!(ms_timer(61_000), "1min1sec");
        assert_eq!(ms_timer(1_190_000), "19min");
    }

    #[test]
    fn filters_parse_like_ss() {
        let x = f("state established ( dport = :443 or dport = :80 )").unwrap();
        assert_eq!(x.states, 1 << 1);
        let e = x.expr.unwrap();
        assert!(e.matches(&sock("10.0.0.1", 5000, "10.0.0.2", 80)));
        assert!(!e.matches(&sock("10.0.0.1", 5000, "10.0.0.2", 22)));
        let x = f("state connected exclude time-wait sport >= :1024").unwrap();
        assert_eq!(x.states & (1 << 6), 0);
        assert_ne!(x.states & (1 << 1), 0);
        assert_eq!(x.states & (1 << 10), 0);
        let e = x.expr.unwrap();
        assert!(e.matches(&sock("10.0.0.1", 1024, "10.0.0.2", 80)));
        assert!(!e.matches(&sock("10.0.0.1", 1023, "10.0.0.2", 80)));
        // not binds tightest, and before or, juxtaposition is and.
        let e = f("not dport = :80 sport = :1 or dst 10.9.0.0/16")
            .unwrap()
            .expr
            .unwrap();
        assert!(e.matches(&sock("10.0.0.1", 1, "10.0.0.2", 22)));
        assert!(!e.matches(&sock("10.0.0.1", 1, "10.0.0.2", 80)));
        assert!(e.matches(&sock("10.0.0.1", 9, "10.9.3.4", 80)));
        let e = f("dst [::1]:7102").unwrap().expr.unwrap();
        assert!(e.matches(&sock("::1", 5, "::1", 7102)));
        assert!(!e.matches(&sock("::1", 5, "::1", 7103)));
        // An IPv4 prefix matches IPv4-mapped peers.
        let e = f("src 127.0.0.0/8").unwrap().expr.unwrap();
        assert!(e.matches(&sock("::ffff:127.0.0.1", 5, "::", 0)));
        assert!(!e.matches(&sock("::1", 5, "::", 0)));
        assert!(f("state nonsense")
            .unwrap_err()
            .to_string()
            .contains("unknown socket state"));
        assert!(f("sport = :99999").is_err());
        assert!(f("banana").is_err());
        assert!(f("( dport = :80").is_err());
        assert!(f("dst 10.0.0.0/40").is_err());
        assert!(f("dst nosuch.example").is_err());
    }
}
