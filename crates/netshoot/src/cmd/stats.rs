//! `stats` (the classic `ctop`): per container CPU, memory, network, block IO and PIDs from
//! `netshoot_inspect::stats`; a screen on a terminal, a table otherwise, or JSON snapshots.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use netshoot_inspect::stats::{self, ContainerStats, Sample, SampleOptions, SortKey, StatsReport};
use netshoot_ns::docker::Docker;

use crate::cmd::motd::clean;
use crate::render::Output;
use crate::screen::{Key, Screen};

/// `stats` options.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Seconds between snapshots; CPU % is averaged over it (decimals allowed).
    #[arg(short = 'i', long, value_name = "SECS", default_value = "1")]
    pub interval: String,

    /// Stop after N snapshots (default: 1 for the table and --json; the screen runs until q).
    #[arg(short = 'n', long, value_name = "N")]
    pub count: Option<u64>,

    /// Sort by cpu, mem, net, io, pids (highest first), name or state (running first).
    #[arg(short = 's', long, value_name = "KEY", default_value = "cpu",
          value_parser = ["cpu", "mem", "net", "io", "pids", "name", "state"])]
    pub sort: String,

    /// Reverse the order.
    #[arg(short = 'r', long)]
    pub reverse: bool,

    /// Only containers whose name or image holds TEXT (or whose id starts with it).
    #[arg(short = 'f', long, value_name = "TEXT")]
    pub filter: Option<String>,

    /// Only running containers (default: every container, exited ones included).
    #[arg(long)]
    pub running: bool,
}

/// What one run shows, as the screen's keys change it.
struct View {
    sort: SortKey,
    reverse: bool,
    filter: String,
    running_only: bool,
}

impl View {
    fn apply(&self, mut r: StatsReport) -> StatsReport {
        if self.running_only {
            r.containers.retain(|c| c.state == "running");
        }
        r.filter(&self.filter);
        r.sort(self.sort, self.reverse);
        r
    }
}

/// Samples, then prints a table, JSON lines, or draws the screen.
pub fn run(args: &StatsArgs, target: Option<&str>, out: &Output) -> anyhow::Result<i32> {
    if target.is_some() {
        return Err(crate::args::usage(
            "stats looks at every container of the host's Docker engine; leave out -t",
        ));
    }
    let interval = crate::args::seconds_text(&args.interval, "--interval", true)?;
    if args.count == Some(0) {
        return Err(crate::args::usage(
            "--count must be at least 1 (leave it out for the screen to run until q)",
        ));
    }
    let docker = Docker::from_env()?;
    let mut view = View {
        sort: SortKey::parse(&args.sort).unwrap_or_default(),
        reverse: args.reverse,
        filter: args.filter.clone().unwrap_or_default(),
        running_only: args.running,
    };
    // Exited containers are listed unless only running ones are asked for: one list call.
    let opts = SampleOptions {
        running_only: args.running,
    };
    let tty = !out.json && std::io::stdout().is_terminal();
    if tty {
        return screen(&docker, interval, args.count, &mut view);
    }
    let stop = crate::interrupt::flag();
    let mut prev = stats::sample(&docker, &opts)?;
    let count = args.count.unwrap_or(1);
    for n in 0..count {
        if !sleep_unless(&stop, interval) {
            break;
        }
        let cur = stats::sample(&docker, &opts)?;
        let report = view.apply(stats::report(Some(&prev), &cur));
        let mut so = std::io::stdout().lock();
        if out.json {
            writeln!(so, "{}", serde_json::to_string(&report)?)?;
        } else {
            if n > 0 {
                writeln!(so)?;
            }
            so.write_all(table(&report).as_bytes())?;
        }
        so.flush()?;
        for w in &report.warnings {
            eprintln!("netshoot: stats: {w}");
        }
        prev = cur;
    }
    Ok(0)
}

/// Sleeps `d` unless Ctrl-C comes first; false when it came.
fn sleep_unless(stop: &std::sync::atomic::AtomicBool, d: Duration) -> bool {
    let end = Instant::now() + d;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let now = Instant::now();
        if now >= end {
            return true;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(50)));
    }
    false
}

/// `n` with `sig` significant digits, trailing zeros dropped (Go's `%.Ng` for these sizes).
fn sig(v: f64, sig: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = crate::render::decimal_exponent(v) as i64 + 1;
    let decimals = (sig as i64 - digits).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Memory as `docker stats` writes it: powers of 1024, four significant digits (`1.504MiB`).
pub fn binary_size(b: u64) -> String {
    const U: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let (mut v, mut i) = (b as f64, 0);
    while v >= 1024.0 && i + 1 < U.len() {
        v /= 1024.0;
        i += 1;
    }
    format!("{}{}", sig(v, 4), U[i])
}

/// Network and block bytes as `docker stats` writes them: powers of 1000, three significant
/// digits (`1.2kB`).
pub fn decimal_size(b: u64) -> String {
    const U: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let (mut v, mut i) = (b as f64, 0);
    while v >= 1000.0 && i + 1 < U.len() {
        v /= 1000.0;
        i += 1;
    }
    format!("{}{}", sig(v, 3), U[i])
}

/// The most socket lines the detail view holds (a container may have many more).
const MAX_SOCKET_LINES: usize = 1000;

/// The columns of one container: name, id, state, CPU %, memory, mem %, net, block, PIDs.
fn columns(c: &ContainerStats) -> [String; 9] {
    let pair = |a: Option<u64>, b: Option<u64>, f: fn(u64) -> String| match (a, b) {
        (Some(a), Some(b)) => format!("{} / {}", f(a), f(b)),
        _ => "-".into(),
    };
    let pct = |p: Option<f64>| p.map(|p| format!("{p:.2}%")).unwrap_or_else(|| "-".into());
    // What the engine and the container named are shown escaped (control and bidi characters).
    [
        clean(&c.name),
        clean(netshoot_ns::docker::short(&c.id, 12)),
        clean(&c.state),
        pct(c.cpu_percent),
        pair(c.mem_used, c.mem_limit, binary_size),
        pct(c.mem_percent),
        pair(c.net_rx, c.net_tx, decimal_size),
        pair(c.block_read, c.block_write, decimal_size),
        c.pids.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
    ]
}

const HEADER: [&str; 9] = [
    "NAME",
    "CONTAINER ID",
    "STATE",
    "CPU %",
    "MEM USAGE / LIMIT",
    "MEM %",
    "NET I/O",
    "BLOCK I/O",
    "PIDS",
];

/// The plain table (stdout not a terminal): a header and one line per container.
pub fn table(r: &StatsReport) -> String {
    let rows: Vec<[String; 9]> = r.containers.iter().map(columns).collect();
    let mut w: Vec<usize> = HEADER.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut s = String::new();
    let line = |s: &mut String, cells: &[&str]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:<width$}   ", width = w[i]);
            }
        }
        let _ = writeln!(s, "{}", l.trim_end());
    };
    line(&mut s, &HEADER);
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&mut s, &cells);
    }
    s
}

/// A container's interfaces and sockets, read inside its namespace.
struct Detail {
    id: String,
    lines: Vec<String>,
}

fn detail(c: &ContainerStats) -> Detail {
    let mut lines = Vec::new();
    let [name, id, state, cpu, mem, memp, net, blk, pids] = columns(c);
    lines.push(format!("{name} ({id}), {state}: {}", clean(&c.status)));
    lines.push(format!("image {}", clean(&c.image)));
    lines.push(format!(
        "CPU {cpu}   memory {mem} ({memp})   net I/O {net}   block I/O {blk}   PIDs {pids}"
    ));
    lines.push(String::new());
    let Some(pid) = c.pid else {
        lines.push("not running: no namespace to look into".into());
        return Detail {
            id: c.id.clone(),
            lines,
        };
    };
    let path = PathBuf::from(format!("/proc/{pid}/ns/net"));
    let got = netshoot_ns::in_namespace(&path, || {
        (
            netshoot_inspect::interfaces(),
            netshoot_inspect::sockets(true, true, false),
        )
    });
    match got {
        Err(e) => lines.push(format!("cannot enter its namespace: {e}")),
        Ok((ifs, socks)) => {
            lines.push("Interfaces".into());
            match ifs {
                Ok(ifs) => {
                    for i in ifs {
                        let addrs: Vec<String> = i
                            .addresses
                            .iter()
                            .map(|a| format!("{}/{}", a.address, a.prefix_len))
                            .collect();
                        let (rx, tx) = i
                            .stats
                            .as_ref()
                            .map(|s| (s.rx_bytes, s.tx_bytes))
                            .unwrap_or((0, 0));
                        lines.push(format!(
                            "  {:<16} {:<8} rx {:>8}  tx {:>8}  {}",
                            clean(&i.name),
                            clean(&i.operstate),
                            decimal_size(rx),
                            decimal_size(tx),
                            addrs.join(" ")
                        ));
                    }
                }
                Err(e) => lines.push(format!("  netlink: {e}")),
            }
            lines.push(String::new());
            lines.push("Sockets (TCP, UDP)".into());
            match socks {
                Ok(socks) if socks.is_empty() => lines.push("  none".into()),
                Ok(socks) => {
                    if socks.len() > MAX_SOCKET_LINES {
                        lines.push(format!(
                            "  {} sockets; the first {MAX_SOCKET_LINES}:",
                            socks.len()
                        ));
                    }
                    for s in socks.into_iter().take(MAX_SOCKET_LINES) {
                        let proto = match s.proto {
                            netshoot_inspect::Proto::Tcp => "tcp",
                            netshoot_inspect::Proto::Udp => "udp",
                            netshoot_inspect::Proto::Raw => "raw",
                        };
                        let state = s.state.as_str();
                        lines.push(format!(
                            "  {proto:<4} {state:<11} {:<28} {}",
                            endpoint(s.local, s.local_port),
                            endpoint(s.peer, s.peer_port)
                        ));
                    }
                }
                Err(e) => lines.push(format!("  sock_diag: {e}")),
            }
        }
    }
    Detail {
        id: c.id.clone(),
        lines,
    }
}

fn endpoint(ip: std::net::IpAddr, port: u16) -> String {
    match ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        std::net::IpAddr::V4(v4) => format!("{v4}:{port}"),
    }
}

/// The screen: the table refreshed every interval; keys sort, filter, open one container.
fn screen(
    docker: &Docker,
    interval: Duration,
    count: Option<u64>,
    view: &mut View,
) -> anyhow::Result<i32> {
    // Every container is sampled; the view hides exited ones when asked (`a` toggles).
    let opts = SampleOptions {
        running_only: false,
    };
    let stop = crate::interrupt::flag();
    let mut prev: Option<Sample> = None;
    let mut cur = stats::sample(docker, &opts)?;
    let mut term = Screen::init();
    let mut selected = 0usize;
    let mut open: Option<Detail> = None;
    let mut typing = false;
    let mut shown = 0u64;
    let mut next = Instant::now() + interval;
    loop {
        let report = view.apply(stats::report(prev.as_ref(), &cur));
        selected = selected.min(report.containers.len().saturating_sub(1));
        if let Some(d) = &open {
            if let Some(c) = report.containers.iter().find(|c| c.id == d.id) {
                open = Some(detail(c));
            }
        }
        draw(&mut term, &report, view, selected, open.as_ref(), typing)?;
        // Keys until the next sample.
        loop {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                return Ok(0);
            }
            let left = next.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let keys = crate::screen::keys(left.min(Duration::from_millis(100)));
            if keys.is_empty() {
                continue;
            }
            for k in keys {
                if typing {
                    match k {
                        Key::Enter | Key::Esc => typing = false,
                        Key::Back => {
                            view.filter.pop();
                        }
                        Key::Char(c) => view.filter.push(c),
                        Key::Quit => view.filter.push('q'),
                        _ => {}
                    }
                    continue;
                }
                match k {
                    Key::Quit => return Ok(0),
                    Key::Esc | Key::Back if open.is_some() => open = None,
                    Key::Esc => return Ok(0),
                    Key::Up => selected = selected.saturating_sub(1),
                    Key::Down => selected += 1,
                    Key::Enter => {
                        open = report.containers.get(selected).map(detail);
                    }
                    Key::Char(c) => match c {
                        'c' => view.sort = SortKey::Cpu,
                        'm' => view.sort = SortKey::Mem,
                        'n' => view.sort = SortKey::Net,
                        'i' => view.sort = SortKey::Io,
                        'p' => view.sort = SortKey::Pids,
                        'N' => view.sort = SortKey::Name,
                        'S' => view.sort = SortKey::State,
                        'r' => view.reverse = !view.reverse,
                        'a' => view.running_only = !view.running_only,
                        '/' => typing = true,
                        _ => {}
                    },
                    _ => {}
                }
            }
            // Redraw at once with the new order, the same counters.
            let report = view.apply(stats::report(prev.as_ref(), &cur));
            selected = selected.min(report.containers.len().saturating_sub(1));
            draw(&mut term, &report, view, selected, open.as_ref(), typing)?;
        }
        shown += 1;
        if count.is_some_and(|c| shown >= c) {
            return Ok(0);
        }
        next += interval;
        let fresh = stats::sample(docker, &opts)?;
        prev = Some(std::mem::replace(&mut cur, fresh));
    }
}

/// One frame: the table (or one container's detail) and a line of keys.
fn draw(
    term: &mut Screen,
    r: &StatsReport,
    view: &View,
    selected: usize,
    open: Option<&Detail>,
    typing: bool,
) -> std::io::Result<()> {
    use ratatui::layout::{Constraint, Layout};
    use ratatui::style::{Modifier, Style};
    use ratatui::text::Line;
    use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};
    let running = r.containers.iter().filter(|c| c.state == "running").count();
    let title = format!(
        " netshoot stats: {} containers, {running} running, sorted by {}{}{} ",
        r.containers.len(),
        view.sort.name(),
        if view.reverse { " (reversed)" } else { "" },
        if view.filter.is_empty() {
            String::new()
        } else {
            format!(", filter '{}'", view.filter)
        }
    );
    let help = if typing {
        format!(" filter: {}_   (Enter or Esc ends) ", view.filter)
    } else if open.is_some() {
        " Esc/Backspace back   q quit ".to_string()
    } else {
        " q quit   ↑↓ select   Enter detail   sort: c cpu  m mem  n net  i io  p pids  N name  S state  r reverse   a running/all   / filter ".to_string()
    };
    term.0.draw(|f| {
        let [main, foot] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(f.area());
        match open {
            Some(d) => {
                let text: Vec<Line> = d.lines.iter().map(|l| Line::raw(l.as_str())).collect();
                f.render_widget(
                    Paragraph::new(text).block(Block::bordered().title(title.as_str())),
                    main,
                );
            }
            None => {
                let rows = r.containers.iter().map(|c| Row::new(columns(c).to_vec()));
                let widths = [
                    Constraint::Min(16),
                    Constraint::Length(12),
                    Constraint::Length(8),
                    Constraint::Length(8),
                    Constraint::Length(21),
                    Constraint::Length(7),
                    Constraint::Length(19),
                    Constraint::Length(19),
                    Constraint::Length(5),
                ];
                let header =
                    Row::new(HEADER.to_vec()).style(Style::default().add_modifier(Modifier::BOLD));
                let table = Table::new(rows, widths)
                    .header(header)
                    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED))
                    .block(Block::bordered().title(title.as_str()));
                let mut state = TableState::default().with_selected(Some(selected));
                f.render_stateful_widget(table, main, &mut state);
            }
        }
        f.render_widget(Paragraph::new(help.as_str()), foot);
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_docker_writes_them() {
        assert_eq!(binary_size(0), "0B");
        assert_eq!(binary_size(1_577_058), "1.504MiB");
        assert_eq!(binary_size(8 * 1024 * 1024 * 1024), "8GiB");
        assert_eq!(decimal_size(1_234), "1.23kB");
        assert_eq!(decimal_size(648), "648B");
        assert_eq!(decimal_size(104_857_600), "105MB");
    }
}
