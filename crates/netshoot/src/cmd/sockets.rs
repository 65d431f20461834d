//! `sockets` (alias `ss`): TCP, UDP, raw and unix sockets over sock_diag, like `ss -tuwxanp`.

use std::fmt::Write as _;
use std::net::IpAddr;

use clap::Args;
use netshoot_inspect::sockets::{select, Owner, Query, Selector};
use netshoot_inspect::{Proto, Socket, UnixSocket};

use crate::render::Output;
use netshoot_wire::text::escape;

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

impl SocketsArgs {
    /// The library's query for these options.
    pub fn query(&self) -> Query {
        Query {
            tcp: self.tcp,
            udp: self.udp,
            raw: self.raw,
            unix: self.unix,
            listening: self.listening,
            all: self.all,
            processes: self.processes,
            v4: self.v4,
            v6: self.v6,
            filter: self.filter.clone(),
        }
    }
}

/// Runs `sockets` in the (already entered) target. Text is ss's table, filled as the dump is
/// parsed (only the cells' text is kept, as ss keeps it, until the column widths are known);
/// `--json` collects the report.
pub fn run(args: &SocketsArgs, out: &Output) -> anyhow::Result<i32> {
    if out.json {
        let sel = select(&args.query())?;
        out.emit(&sel.report, |_| String::new())?;
        return Ok(0);
    }
    let sel = Selector::new(&args.query())?;
    let opts = TextOpts {
        netid: sel.netid,
        state_col: sel.state_col,
        processes: args.processes,
        header: !args.no_header,
        numeric: args.numeric,
        timers: args.options,
    };
    let mut rows = Rows::new(&opts);
    sel.each_unix(|s| {
        rows.unix(&s);
        Ok(())
    })?;
    sel.each_inet(sel.protos(), |s| {
        rows.inet(&s);
        Ok(())
    })?;
    rows.table.print(screen_width())?;
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
/// ss's first four cells of a row: Netid, State, Recv-Q, Send-Q.
fn lead_cells(
    t: &mut Table,
    netid: &str,
    state: &str,
    recv_q: impl std::fmt::Display,
    send_q: impl std::fmt::Display,
) {
    let _ = t.write_str(netid);
    t.next();
    let _ = t.write_str(state);
    t.next();
    let _ = write!(t, "{recv_q:<6}");
    t.next();
    let _ = write!(t, "{send_q:<6}");
    t.next();
}

fn host_cell(w: &mut Table, a: IpAddr, ifname: Option<&str>, v6_only: Option<bool>) {
    let _ = match a {
        IpAddr::V4(v) => write!(w, "{v}"),
        // A dual-stack wildcard takes IPv4 too: ss writes it `*`.
        IpAddr::V6(v) if v.is_unspecified() && v6_only != Some(true) => w.write_str("*"),
        IpAddr::V6(v) => write!(w, "[{v}]"),
    };
    let _ = match ifname {
        Some(i) => write!(w, "%{i}:"),
        None => w.write_str(":"),
    };
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

    fn port(&self, w: &mut Table, port: u16, proto: Proto) {
        if port == 0 {
            let _ = w.write_str("*");
            return;
        }
        if proto == Proto::Raw {
            let _ = match &self.protocols {
                Some(p) => match p.name(port as u8) {
                    Some(n) => w.write_str(n),
                    None => write!(w, "ipproto-{port}"),
                },
                None => write!(w, "{port}"),
            };
            return;
        }
        let named = self.services.as_ref().and_then(|s| {
            let (lo, hi) = self.ephemeral;
            if (lo..=hi).contains(&port) {
                return None;
            }
            s.name(port, if proto == Proto::Udp { "udp" } else { "tcp" })
        });
        let _ = match named {
            Some(n) => w.write_str(n),
            None => write!(w, "{port}"),
        };
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
fn timer(w: &mut Table, s: &Socket) {
    if s.proto != Proto::Tcp || s.timer == 0 {
        return;
    }
    let name =
        ["off", "on", "keepalive", "timewait", "persist", "unknown"][s.timer.min(5) as usize];
    let _ = write!(
        w,
        " timer:({name},{},{})",
        ms_timer(s.expires_ms),
        s.retrans
    );
}

/// ss -p's ` users:(("CMD",pid=N,fd=N),…)`.
fn users(w: &mut Table, p: &[Owner]) {
    if p.is_empty() {
        return;
    }
    let _ = w.write_str(" users:(");
    for (i, o) in p.iter().enumerate() {
        // The command is any process's own name (prctl, exec -a): escaped.
        let _ = write!(
            w,
            "{}(\"{}\",pid={},fd={})",
            if i > 0 { "," } else { "" },
            escape(&o.command),
            o.pid,
            o.fd
        );
    }
    let _ = w.write_str(")");
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

/// ss's table, kept as ss keeps it until it prints: the text of each shown cell (each followed
/// by a NUL; a NUL inside a cell ends it, as ss's `%s` would), and each column's widest cell.
/// Every column is as wide as its widest cell, plus its left delimiter unless it is the first;
/// addresses are right-aligned against their ports; trailing padding is kept. On a terminal
/// `screen` columns wide, ss then spreads the spare width evenly over the columns of each
/// screen line (its render_calc_width); to a pipe it prints the compact widths.
struct Table {
    /// The shown cells' text, row after row, each cell followed by a NUL.
    cells: String,
    /// Where the cell being written starts in `cells`.
    start: usize,
    /// The column of the cell being written.
    col: usize,
    /// The columns shown (Netid and State may be hidden).
    enabled: [bool; 10],
    /// Each column's widest cell so far.
    max: [usize; 10],
    /// The last row's Process cell, measured only once another row follows: ss measures a cell
    /// when it moves on to the next one, and never moves on from the last socket's last cell
    /// (a header alone is measured).
    pending: Option<usize>,
    /// Rows so far, the header included.
    rows: usize,
    header: bool,
}

impl std::fmt::Write for Table {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.enabled[self.col] {
            self.cells.push_str(s);
        }
        Ok(())
    }
}

impl Table {
    fn new(enabled: [bool; 10], header: bool) -> Table {
        let mut t = Table {
            cells: String::new(),
            start: 0,
            col: 0,
            enabled,
            max: [0; 10],
            pending: None,
            rows: 0,
            header,
        };
        if header {
            for (_, _, name) in COLUMNS {
                let _ = t.write_str(name);
                t.next();
            }
        }
        t
    }

    /// Ends the cell being written (and the row after the tenth).
    fn next(&mut self) {
        let c = self.col;
        if self.enabled[c] {
            if let Some(nul) = self.cells[self.start..].find('\0') {
                self.cells.truncate(self.start + nul);
            }
            let len = self.cells.len() - self.start;
            if c == 8 {
                if let Some(p) = self.pending.replace(len) {
                    self.max[8] = self.max[8].max(p);
                }
            } else {
                self.max[c] = self.max[c].max(len);
            }
            self.cells.push('\0');
            self.start = self.cells.len();
        }
        self.col += 1;
        if self.col == 10 {
            self.col = 0;
            self.rows += 1;
        }
    }

    /// The widths, then every row, written out in 64 KiB pieces.
    fn print(mut self, screen: Option<usize>) -> anyhow::Result<()> {
        if self.rows <= usize::from(self.header) {
            if let Some(p) = self.pending.take() {
                self.max[8] = self.max[8].max(p);
            }
        }
        let enabled = self.enabled;
        let mut width = [0usize; 10];
        let mut first = true;
        for c in 0..10 {
            if !enabled[c] {
                continue;
            }
            let max = self.max[c];
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
        let Some(start) = (0..10).find(|&c| enabled[c] && width[c] > 0) else {
            return Ok(());
        };
        let shown: Vec<usize> = (0..10).filter(|&c| enabled[c]).collect();
        let mut out = String::with_capacity(64 * 1024 + 1024);
        let mut cells = self.cells.split_terminator('\0');
        for _ in 0..self.rows {
            let mut started = false;
            for &c in &shown {
                let cell = cells.next().unwrap_or("");
                if c < start {
                    continue;
                }
                let (right, ldelim, _) = COLUMNS[c];
                let mut printed = 0;
                if started {
                    out.push_str(ldelim);
                    printed = ldelim.len();
                }
                started = true;
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
            if out.len() >= 64 * 1024 {
                crate::render::write_text(&out)?;
                out.clear();
            }
        }
        crate::render::write_text(&out)
    }
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

/// Each socket's row of ss's table.
struct Rows<'a> {
    o: &'a TextOpts,
    ports: PortNames,
    /// Interface names, read at the first socket bound to one.
    names: Option<std::collections::HashMap<u32, String>>,
    table: Table,
}

impl<'a> Rows<'a> {
    fn new(o: &'a TextOpts) -> Rows<'a> {
        let mut enabled = [true; 10];
        enabled[0] = o.netid;
        enabled[1] = o.state_col;
        Rows {
            o,
            ports: PortNames::new(o.numeric),
            names: None,
            table: Table::new(enabled, o.header),
        }
    }

    fn unix(&mut self, s: &UnixSocket) {
        let t = &mut self.table;
        lead_cells(t, &s.kind, s.state.as_str(), s.recv_q, s.send_q);
        let _ = write!(t, "{} ", s.path.as_deref().unwrap_or("*"));
        t.next();
        let _ = write!(t, "{}", s.inode);
        t.next();
        let _ = t.write_str("* ");
        t.next();
        let _ = write!(t, "{}", s.peer_inode.unwrap_or(0));
        t.next();
        if self.o.processes {
            users(t, &s.processes);
        }
        t.next();
        t.next();
    }

    fn inet(&mut self, s: &Socket) {
        let ifname = s.bound_if.map(|i| {
            self.names
                .get_or_insert_with(interface_names)
                .get(&i)
                .cloned()
                .unwrap_or_else(|| i.to_string())
        });
        let t = &mut self.table;
        let netid = match s.proto {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Raw => "raw",
        };
        lead_cells(t, netid, s.state.as_str(), s.recv_q, s.send_q);
        host_cell(t, s.local, ifname.as_deref(), s.v6_only);
        t.next();
        self.ports.port(t, s.local_port, s.proto);
        t.next();
        host_cell(t, s.peer, None, s.v6_only);
        t.next();
        self.ports.port(t, s.peer_port, s.proto);
        t.next();
        if self.o.processes {
            users(t, &s.processes);
        }
        // ss appends -o's timer to the Process column.
        if self.o.timers {
            timer(t, s);
        }
        t.next();
        t.next();
    }
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

    #[test]
    fn timers_read_as_ss_prints_them() {
        assert_eq!(ms_timer(0), "");
        assert_eq!(ms_timer(800), "800ms");
        assert_eq!(ms_timer(5_500), "5.500ms");
        assert_eq!(ms_timer(59_123), "59sec");
        assert_eq!(ms_timer(61_000), "1min1sec");
        assert_eq!(ms_timer(1_190_000), "19min");
    }
}
