//! `capture`: tcpdump, natively — AF_PACKET with a TPACKET_V3 ring, our pcap-filter compiler
//! in the kernel, pcap files (with rotation), tcpdump's packet lines.

use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use netshoot_capture::flows::{DirReport, PairReport};
use netshoot_capture::rotate::{Format, RotateError, RotatingWriter, Rotation};
use netshoot_capture::source::{self, Frame, Source};
use netshoot_capture::top::{Top, TopReport};
use netshoot_capture::{bpf, filter, summary};
use netshoot_inspect::owners::{Owners, OwnersWatch};
use netshoot_wire::text::escape;

use crate::render::Output;
use crate::screen::Screen;

/// The capture room.
#[derive(Debug, Subcommand)]
pub enum CaptureCommand {
    /// Capture packets like tcpdump: a pcap-filter expression compiled to BPF and attached in
    /// the kernel, one line per packet (stdout), or every packet to a pcap file (-w).
    #[command(after_help = "\
Status goes to stderr; on exit (Ctrl-C, SIGTERM, -c, --duration): packets captured, received by
filter, dropped by kernel. A file written with -w is complete whatever ends the capture.

Examples:
  netshoot -t web capture -i eth0 port 9999 -c 1 -X     the seed's tcpdump -i eth0 port 9999 -c 1 -Xvv
  netshoot -t web capture -w /tmp/web.pcap tcp port 80  every HTTP packet of container web to a file
  netshoot -t network:ov capture -i any udp port 4789   VXLAN on an overlay's namespace, decapsulated
  netshoot capture -r /tmp/web.pcap 'tcp[tcpflags] & tcp-syn != 0'
  netshoot capture -d 'host 10.0.0.5 and port 53'       print the compiled program")]
    Capture(CaptureArgs),

    /// Bandwidth per host pair like iftop: 2 s, 10 s and 40 s averages and totals, sorted;
    /// a refreshing table on a terminal, snapshots with --json.
    #[command(after_help = "\
Bytes are IP lengths. --json prints one JSON object per snapshot (one line each), with
tracked_pairs (pairs kept) and overflow_bytes (bytes of new pairs beyond --max-pairs).

Examples:
  netshoot -t web top -i eth0                      who is talking to container web, how fast
  netshoot -t web top --json --interval 2 --count 5 'not port 22'")]
    Top(TopArgs),
}

/// `top` options.
#[derive(Debug, Args)]
pub struct TopArgs {
    /// Interface (default: the first up, non-loopback one); `any` for all.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: Option<String>,
    /// Seconds between snapshots.
    #[arg(long = "interval", default_value_t = 2, value_name = "SECONDS")]
    pub interval: u64,
    /// Stop after COUNT snapshots.
    #[arg(long = "count", value_name = "COUNT")]
    pub count: Option<u64>,
    /// Pairs to show.
    #[arg(short = 'n', long = "lines", default_value_t = 20)]
    pub lines: usize,
    /// Host pairs to keep counting at most (a flood of spoofed sources makes a pair per
    /// packet); the bytes of new pairs beyond it are counted as other traffic. A pair idle for
    /// 40 s is forgotten, as iftop forgets it.
    #[arg(long = "max-pairs", default_value_t = netshoot_capture::flows::DEFAULT_MAX_PAIRS, value_name = "PAIRS")]
    pub max_pairs: usize,
    /// Ring buffer size in KiB.
    #[arg(
        short = 'B',
        long = "buffer-size",
        default_value_t = 4096,
        value_name = "KIB"
    )]
    pub buffer_kib: usize,
    /// Print iftop's text-mode block (`iftop -t`) instead of our table: the local host first,
    /// send and receive totals, peaks and cumulative bytes.
    #[arg(long = "iftop-text", hide = true)]
    pub iftop_text: bool,
    /// With --iftop-text: cumulative figures in bytes, rates in bytes (iftop -B).
    #[arg(long = "iftop-bytes", hide = true)]
    pub iftop_bytes: bool,
    /// The filter (pcap-filter syntax).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "FILTER"
    )]
    pub filter: Vec<String>,
}

/// `capture` options (tcpdump's letters).
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Interface (default: the first up, non-loopback one); `any` for all.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: Option<String>,
    /// Stop after COUNT packets.
    #[arg(short = 'c', value_name = "COUNT")]
    pub count: Option<u64>,
    /// Stop after SECONDS.
    #[arg(long = "duration", value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Write packets to FILE (pcap) instead of printing them.
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<String>,
    /// Write pcapng instead of pcap.
    #[arg(long = "pcapng", requires = "write")]
    pub pcapng: bool,
    /// Read packets from a pcap or pcapng FILE instead of an interface.
    #[arg(short = 'r', value_name = "FILE")]
    pub read: Option<String>,
    /// Bytes to keep of each packet.
    #[arg(short = 's', long = "snapshot-length", default_value_t = filter::DEFAULT_SNAPLEN, value_name = "SNAPLEN")]
    pub snaplen: u32,
    /// Do not put the interface in promiscuous mode.
    #[arg(short = 'p', long = "no-promiscuous-mode")]
    pub no_promisc: bool,
    /// Rotate the -w file when it reaches MB million bytes (file, file1, file2, …).
    #[arg(short = 'C', value_name = "MB")]
    pub rotate_mb: Option<u64>,
    /// Rotate the -w file every SECONDS.
    #[arg(short = 'G', value_name = "SECONDS")]
    pub rotate_secs: Option<u64>,
    /// With -C or -G: keep at most COUNT files, reusing names in a ring.
    #[arg(short = 'W', value_name = "COUNT")]
    pub file_count: Option<u32>,
    /// Ring buffer size in KiB.
    #[arg(
        short = 'B',
        long = "buffer-size",
        default_value_t = 4096,
        value_name = "KIB"
    )]
    pub buffer_kib: usize,
    /// Print the link-level header.
    #[arg(short = 'e')]
    pub link: bool,
    /// Hex and ASCII of each packet from the network header (-XX: from the link header).
    #[arg(short = 'X', action = clap::ArgAction::Count)]
    pub hex_ascii: u8,
    /// Hex of each packet from the network header (-xx: from the link header).
    #[arg(short = 'x', action = clap::ArgAction::Count)]
    pub hex: u8,
    /// ASCII of each packet.
    #[arg(short = 'A')]
    pub ascii: bool,
    /// Numeric addresses (always the case; accepted for tcpdump habits).
    #[arg(short = 'n')]
    pub numeric: bool,
    /// Print the compiled BPF program and exit (-dd: as C, -ddd: as decimals).
    #[arg(short = 'd', action = clap::ArgAction::Count)]
    pub dump: u8,
    /// Time stamps: `time` (HH:MM:SS.us, the default), `none` (-t), `epoch` (-tt), `date` (-tttt).
    #[arg(long = "tstamp", value_name = "STYLE", default_value = "time",
          value_parser = ["time", "none", "epoch", "date"])]
    pub tstamp: String,
    /// TCP sequence numbers relative to each conversation's first (tcpdump's default; the
    /// classic `tcpdump` name sets it unless -S). Without it, absolute numbers (tcpdump -S).
    #[arg(long = "relative-seq")]
    pub relative_seq: bool,
    /// The filter (pcap-filter syntax); several words are joined. Options may follow it, as
    /// with tcpdump; put `--` before a filter that starts with `-`.
    #[arg(value_name = "FILTER")]
    pub filter: Vec<String>,
}

/// Runs `capture` in the (already entered) target.
pub fn run(room: &CaptureCommand, out: &Output) -> anyhow::Result<i32> {
    let a = match room {
        CaptureCommand::Capture(a) => a,
        CaptureCommand::Top(t) => return top(t, out),
    };
    let expr = a.filter.join(" ");
    let prog = filter::compile(&expr, a.snaplen.max(1)).map_err(|e| anyhow!("filter: {e}"))?;
    if a.dump > 0 {
        let text = match a.dump {
            1 => bpf::dump(&prog),
            2 => bpf::dump_dd(&prog),
            _ => bpf::dump_ddd(&prog),
        };
        print!("{text}");
        return Ok(0);
    }
    // Checked before any socket opens (live capture uses it as its deadline).
    if let Some(d) = a.duration {
        crate::args::seconds(d, "--duration", true)?;
    }
    let style = summary::Style {
        link: a.link,
        verbose: out.verbose > 0,
        very_verbose: out.verbose > 1,
    };
    let mut lines = summary::Summarizer::new(style, a.relative_seq);
    if let Some(r) = &a.read {
        return read_file(a, r, &prog, &mut lines, out.json);
    }
    live(a, &prog, &mut lines, out.json)
}

/// One packet: tcpdump's line (and -X/-x/-A dump), or with --json the packet's typed event
/// (`summary::PacketEvent`: time, interface, lengths, the line, its description, the bytes
/// when a dump was asked for), one JSON object per line.
#[allow(clippy::too_many_arguments)]
fn print_packet(
    a: &CaptureArgs,
    lines: &mut summary::Summarizer,
    json: bool,
    (sec, nsec): (u32, u32),
    interface: Option<String>,
    len: u32,
    data: &[u8],
    w: &mut impl Write,
) -> std::io::Result<()> {
    let t = sec % 86_400;
    if json {
        let mut ev = lines.event((sec, nsec), interface, data, len);
        if a.hex_ascii > 0 || a.hex > 0 || a.ascii {
            ev.hex = Some(data.iter().map(|b| format!("{b:02x}")).collect());
        }
        serde_json::to_writer(&mut *w, &ev)?;
        return writeln!(w);
    }
    let line = lines.line(data, len);
    match a.tstamp.as_str() {
        "none" => writeln!(w, "{line}")?,
        "epoch" => writeln!(w, "{sec}.{:06} {line}", nsec / 1000)?,
        "date" => {
            let (y, m, d) = civil_date(i64::from(sec) / 86_400);
            writeln!(
                w,
                "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:06} {line}",
                t / 3600,
                t % 3600 / 60,
                t % 60,
                nsec / 1000
            )?
        }
        _ => writeln!(
            w,
            "{:02}:{:02}:{:02}.{:06} {line}",
            t / 3600,
            t % 3600 / 60,
            t % 60,
            nsec / 1000
        )?,
    }
    if a.hex_ascii > 0 || a.hex > 0 || a.ascii {
        // tcpdump dumps from the network header; -XX and -xx from the link header.
        let from = if a.hex_ascii > 1 || a.hex > 1 {
            0
        } else {
            14.min(data.len())
        };
        write!(
            w,
            "{}",
            summary::hex_ascii(
                &data[from..],
                a.hex_ascii > 0 || a.ascii,
                a.hex_ascii > 0 || a.hex > 0
            )
        )?;
    }
    Ok(())
}

/// The UTC calendar date of a day number since 1970-01-01 (Howard Hinnant's civil_from_days).
pub(crate) fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn read_file(
    a: &CaptureArgs,
    path: &str,
    prog: &[bpf::Insn],
    lines: &mut summary::Summarizer,
    json: bool,
) -> anyhow::Result<i32> {
    // Record by record: memory holds one packet, whatever the file's size.
    let file = std::fs::File::open(path).with_context(|| format!("-r {path}: cannot read"))?;
    let mut recs = source::Recorded::open(std::io::BufReader::with_capacity(1 << 18, file), prog)
        .map_err(|e| anyhow!("-r {path}: {e}"))?;
    let mut sink = open_sink(a)?;
    // Every file is open: the bytes of the capture are parsed without any capability.
    crate::privs::drop_all_but(&[])?;
    // A file damaged from its first record is one error line, as before any packet.
    let first = recs
        .next()
        .transpose()
        .map_err(|e| anyhow!("-r {path}: {e}"))?;
    eprintln!("reading from file {path}, link-type EN10MB (Ethernet)");
    let stdout = std::io::stdout();
    let mut so = BufWriter::new(stdout.lock());
    let mut failure = None;
    let mut next = first;
    let mut n = 0u64;
    while let Some(r) = next.take() {
        n += 1;
        deliver(a, &mut sink, lines, json, &r.frame(), None, &mut so)?;
        if a.count.is_some_and(|c| n >= c) {
            break;
        }
        match recs.next() {
            Some(Ok(r)) => next = Some(r),
            Some(Err(e)) => failure = Some(anyhow!("-r {path}: {e}")),
            None => {}
        }
    }
    so.flush()?;
    if let Some(s) = sink {
        s.finish()?;
    }
    match failure {
        // The packets before the damage were shown (tcpdump's "truncated dump file").
        Some(e) => Err(e),
        None => Ok(0),
    }
}

/// One packet to the -w files, or printed.
fn deliver(
    a: &CaptureArgs,
    sink: &mut Option<RotatingWriter>,
    lines: &mut summary::Summarizer,
    json: bool,
    p: &Frame<'_>,
    interface: Option<String>,
    so: &mut impl Write,
) -> anyhow::Result<()> {
    match sink {
        Some(s) => s.write(p).map_err(sink_error),
        None => Ok(print_packet(
            a,
            lines,
            json,
            (p.sec, p.nsec),
            interface,
            p.len,
            p.data,
            so,
        )?),
    }
}

/// The -w file(s) with tcpdump's rotation (-C, -G, -W), or None without -w.
fn open_sink(a: &CaptureArgs) -> anyhow::Result<Option<RotatingWriter>> {
    let Some(base) = &a.write else {
        return Ok(None);
    };
    let rotating = a.rotate_mb.is_some() || a.rotate_secs.is_some();
    if a.file_count.is_some() && !rotating {
        bail!("-W needs -C or -G (what makes a new file)");
    }
    let rotation = Rotation {
        max_bytes: a.rotate_mb.map(|m| m.max(1) * 1_000_000),
        every: a.rotate_secs.map(|s| Duration::from_secs(s.max(1))),
        files: if rotating { a.file_count } else { None },
    };
    let format = if a.pcapng {
        Format::Pcapng
    } else {
        Format::Pcap
    };
    RotatingWriter::create(base, format, a.snaplen, rotation)
        .map(Some)
        .map_err(sink_error)
}

/// A -w failure as one line: which file could not be created, or the I/O error.
fn sink_error(e: RotateError) -> anyhow::Error {
    match e {
        RotateError::Create { name, source } => {
            anyhow::Error::new(source).context(format!("-w {name}: cannot create the file"))
        }
        RotateError::Io(e) => e.into(),
    }
}

fn live(
    a: &CaptureArgs,
    prog: &[bpf::Insn],
    lines: &mut summary::Summarizer,
    json: bool,
) -> anyhow::Result<i32> {
    let mut src = Source::open(&source::Options {
        interface: a.interface.as_deref(),
        filter: prog,
        promiscuous: !a.no_promisc,
        buffer_kib: a.buffer_kib,
    })?;
    let mut sink = open_sink(a)?;
    // The packet socket and the first -w file are open: the packets of hostile peers are
    // parsed without any capability (files -C/-G open later are created as uid 0 without
    // CAP_DAC_OVERRIDE: in a directory root may write to).
    crate::privs::drop_all_but(&[])?;
    let name = src.name().to_string();
    let stop = crate::interrupt::flag();
    eprintln!(
        "netshoot: listening on {}, link-type EN10MB (Ethernet), snapshot length {} bytes",
        escape(src.name()),
        a.snaplen
    );
    let started = Instant::now();
    let deadline = match a.duration {
        Some(d) => Some(started + crate::args::seconds(d, "--duration", true)?),
        None => None,
    };
    let stdout = std::io::stdout();
    let mut so = BufWriter::new(stdout.lock());
    let mut captured = 0u64;
    let mut failure: Option<anyhow::Error> = None;
    loop {
        if stop.load(std::sync::atomic::Ordering::SeqCst)
            || deadline.is_some_and(|d| Instant::now() >= d)
        {
            break;
        }
        let mut handle = |p: &Frame<'_>| {
            if failure.is_some() || a.count.is_some_and(|c| captured >= c) {
                return;
            }
            // --json names the interface (on `any`, the packet's own).
            let iface = (json && sink.is_none()).then(|| match name.as_str() {
                "any" => nix::net::if_::if_indextoname(p.ifindex as u32)
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|_| name.clone()),
                n => n.to_string(),
            });
            match deliver(a, &mut sink, lines, json, p, iface, &mut so) {
                Ok(()) => captured += 1,
                Err(e) => failure = Some(e),
            }
        };
        if let Err(e) = src.next_block(100, &mut handle) {
            failure = Some(anyhow!("capture failed: {e}"));
            break;
        }
        if sink.is_none() {
            let _ = so.flush();
        }
        if failure.is_some() || a.count.is_some_and(|c| captured >= c) {
            break;
        }
    }
    let _ = so.flush();
    if let Some(s) = sink {
        s.finish()?;
    }
    let st = src.stats().unwrap_or_default();
    eprintln!(
        "\n{captured} packets captured\n{} packets received by filter\n{} packets dropped by kernel",
        st.packets, st.drops
    );
    match failure {
        Some(e) => Err(e),
        None => Ok(0),
    }
}

fn top(t: &TopArgs, out: &Output) -> anyhow::Result<i32> {
    use std::io::IsTerminal;
    if t.interval == 0 {
        bail!("--interval must be at least 1 second");
    }
    if t.max_pairs == 0 {
        bail!("--max-pairs must be at least 1");
    }
    // Headers are enough: a short snap length keeps the ring from overflowing at line rate.
    let prog = filter::compile(&t.filter.join(" "), 128).map_err(|e| anyhow!("filter: {e}"))?;
    let mut src = Source::open(&source::Options {
        interface: t.interface.as_deref(),
        filter: &prog,
        promiscuous: true,
        buffer_kib: t.buffer_kib,
    })?;
    // The packet socket is open: what remains is kept only to name the processes behind a
    // pair. Before any thread starts, so they inherit the reduced sets.
    crate::privs::drop_all_but(&crate::privs::TOP_KEEPS)?;
    let name = src.name().to_string();
    let stop = crate::interrupt::flag();
    let tty = !out.json && !t.iftop_text && std::io::stdout().is_terminal();
    // iftop -t: the interface's addresses decide which end of a pair is local.
    let mut local: Vec<std::net::IpAddr> = Vec::new();
    if t.iftop_text {
        if let Ok(ifs) = netshoot_inspect::interfaces() {
            for i in ifs.iter().filter(|i| name == "any" || i.name == name) {
                if i.name == name {
                    if let Some(a) = i.addresses.iter().find(|a| a.address.is_ipv4()) {
                        eprintln!("interface: {}\nIP address is: {}", escape(&name), a.address);
                    }
                    if let Some(m) = &i.mac {
                        eprintln!("MAC address is: {m}");
                    }
                }
                local.extend(i.addresses.iter().map(|a| a.address));
            }
        }
        println!("Listening on {name}");
    } else if !out.json && !tty {
        eprintln!("netshoot: top on {}; Ctrl-C to stop", escape(&name));
    }
    let mut peaks = Peaks::default();
    // On a terminal: a ratatui screen (alternate screen, raw mode; q or Ctrl-C quits),
    // restored by the guard whatever ends the loop.
    let mut screen = if tty { Some(Screen::init()) } else { None };
    let mut counts = Top::with_max_pairs(t.max_pairs);
    // Socket owners are refreshed once a second on a helper thread, which inherits the
    // target's namespace.
    let owners = OwnersWatch::spawn(Duration::from_secs(1));
    // The screen shows at once (empty until the first interval closes), as iftop's does.
    if let Some(Screen(term)) = screen.as_mut() {
        draw(term, &counts.report(&name, t.lines))?;
    }
    let mut next_tick = Instant::now() + Duration::from_secs(1);
    let mut snapshots = 0u64;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        if screen.is_some() && crate::screen::quit_pressed() {
            break;
        }
        let latest = owners.current();
        let table: &Owners = &latest;
        src.next_block(50, &mut |f| {
            counts.add(f, |ip, port, proto| table.lookup(ip, port, proto))
        })?;
        if Instant::now() < next_tick {
            continue;
        }
        next_tick += Duration::from_secs(1);
        counts.tick();
        if counts.seconds() % t.interval != 0 {
            continue;
        }
        snapshots += 1;
        let report = counts.report(&name, t.lines);
        let mut so = std::io::stdout().lock();
        if out.json {
            writeln!(so, "{}", serde_json::to_string(&report)?)?;
        } else if t.iftop_text {
            so.write_all(iftop_block(&report, &local, t.iftop_bytes, &mut peaks).as_bytes())?;
        } else if let Some(Screen(term)) = screen.as_mut() {
            draw(term, &report)?;
        } else {
            so.write_all(table_block(&report).as_bytes())?;
        }
        so.flush()?;
        if t.count.is_some_and(|c| snapshots >= c) {
            break;
        }
    }
    Ok(0)
}

/// How `top` writes rates (bits per second) and byte counts.
#[derive(Clone, Copy)]
enum Units {
    /// Our table and screen: rates in bits, powers of 1000 (Kb, Mb, Gb), bytes in KB, MB, GB.
    Top,
    /// iftop's text mode: its `readable_size`; rates in bytes with `-B`.
    Iftop {
        /// Rates in bytes per second.
        bytes: bool,
    },
}

impl Units {
    fn rate(self, bps: f64) -> String {
        match self {
            Units::Iftop { bytes: true } => iftop_size(bps / 8.0, true),
            Units::Iftop { bytes: false } => iftop_size(bps, false),
            Units::Top => {
                let (v, u) = if bps >= 1e9 {
                    (bps / 1e9, "Gb")
                } else if bps >= 1e6 {
                    (bps / 1e6, "Mb")
                } else if bps >= 1e3 {
                    (bps / 1e3, "Kb")
                } else {
                    (bps, "b")
                };
                format!("{v:.2}{u}")
            }
        }
    }

    fn size(self, b: u64) -> String {
        match self {
            Units::Iftop { .. } => iftop_size(b as f64, true),
            Units::Top => {
                let b = b as f64;
                if b >= 1e9 {
                    format!("{:.2}GB", b / 1e9)
                } else if b >= 1e6 {
                    format!("{:.2}MB", b / 1e6)
                } else if b >= 1e3 {
                    format!("{:.2}KB", b / 1e3)
                } else {
                    format!("{b:.0}B")
                }
            }
        }
    }

    /// One direction's cells: the 2 s, 10 s and 40 s rates and the total.
    fn cells(self, d: &DirReport) -> [String; 4] {
        [
            self.rate(d.rate_2s),
            self.rate(d.rate_10s),
            self.rate(d.rate_40s),
            self.size(d.total_bytes),
        ]
    }
}

/// iftop's `readable_size`: 3 significant figures, powers of 1000 for bits (b, Kb, Mb, Gb) and
/// of 1024 for bytes (B, KB, MB, GB).
fn iftop_size(n: f64, bytes: bool) -> String {
    let (units, k): (&[&str], f64) = if bytes {
        (&["B", "KB", "MB", "GB"], 1024.0)
    } else {
        (&["b", "Kb", "Mb", "Gb"], 1000.0)
    };
    let mut size = 1.0;
    let mut i = 0;
    loop {
        if n < size * 1000.0 || i >= units.len() - 1 {
            return format!("{:.0}{}", n / size, units[i]);
        }
        i += 1;
        size *= k;
        if n < size * 10.0 {
            return format!("{:.2}{}", n / size, units[i]);
        } else if n < size * 100.0 {
            return format!("{:.1}{}", n / size, units[i]);
        }
    }
}

/// The two rows of one pair in our table and screen: host, arrow, host, 2 s, 10 s, 40 s,
/// total, processes.
fn pair_rows(p: &PairReport) -> [[String; 8]; 2] {
    let [a2, a10, a40, at] = Units::Top.cells(&p.a_to_b);
    let [b2, b10, b40, bt] = Units::Top.cells(&p.b_to_a);
    [
        [
            p.a.to_string(),
            "=>".into(),
            p.b.to_string(),
            a2,
            a10,
            a40,
            at,
            // Process names are their own to set (prctl, exec -a).
            escape(&p.processes.join(" ")).into_owned(),
        ],
        [
            String::new(),
            "<=".into(),
            String::new(),
            b2,
            b10,
            b40,
            bt,
            String::new(),
        ],
    ]
}

/// One snapshot as our table (without a terminal).
fn table_block(r: &TopReport) -> String {
    let mut s = format!(
        "{:<40} {:<40} {:>10} {:>10} {:>10} {:>10}\n",
        format!("{}, {} s", escape(&r.interface), r.seconds),
        "",
        "2s",
        "10s",
        "40s",
        "total"
    );
    for p in &r.pairs {
        for [h1, arrow, h2, r2, r10, r40, total, procs] in pair_rows(p) {
            let procs = if procs.is_empty() {
                procs
            } else {
                format!("  [{procs}]")
            };
            s += &format!(
                "{h1:<40} {arrow} {h2:<37} {r2:>10} {r10:>10} {r40:>10} {total:>10}{procs}\n"
            );
        }
    }
    s.push('\n');
    s
}

/// A pair with its local end (an address of `local`) first: (local end, peer, what the
/// local end sends, what it receives).
fn oriented<'p>(
    p: &'p PairReport,
    local: &[std::net::IpAddr],
) -> (
    std::net::IpAddr,
    std::net::IpAddr,
    &'p DirReport,
    &'p DirReport,
) {
    if local.contains(&p.b) && !local.contains(&p.a) {
        (p.b, p.a, &p.b_to_a, &p.a_to_b)
    } else {
        (p.a, p.b, &p.a_to_b, &p.b_to_a)
    }
}

/// The peaks of the 2 s totals (sent, received, both), as iftop keeps them.
#[derive(Default)]
struct Peaks(f64, f64, f64);

/// One block of iftop's text mode (`iftop -t`): each listed pair with its local end first, then
/// the totals over every pair, listed or not.
fn iftop_block(
    r: &TopReport,
    local: &[std::net::IpAddr],
    bytes: bool,
    peaks: &mut Peaks,
) -> String {
    use std::fmt::Write as _;
    let units = Units::Iftop { bytes };
    let rule = "-".repeat(92);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "   # Host name (port/service if enabled)            last 2s   last 10s   last 40s cumulative"
    );
    let _ = writeln!(s, "{rule}");
    for (n, p) in r.pairs.iter().enumerate() {
        let (me, peer, out, inn) = oriented(p, local);
        let [o2, o10, o40, ot] = units.cells(out);
        let [i2, i10, i40, it] = units.cells(inn);
        let _ = writeln!(
            s,
            "{:>4} {:<41}=> {o2:>10} {o10:>10} {o40:>10} {ot:>10}",
            n + 1,
            me.to_string(),
        );
        let _ = writeln!(
            s,
            "     {:<41}<= {i2:>10} {i10:>10} {i40:>10} {it:>10}",
            peer.to_string(),
        );
    }
    let mut sent = [0f64; 3];
    let mut recv = [0f64; 3];
    let (mut sent_total, mut recv_total) = (0u64, 0u64);
    for p in r.all_pairs() {
        let (_, _, out, inn) = oriented(p, local);
        for (acc, d) in [(&mut sent, out), (&mut recv, inn)] {
            acc[0] += d.rate_2s;
            acc[1] += d.rate_10s;
            acc[2] += d.rate_40s;
        }
        sent_total += out.total_bytes;
        recv_total += inn.total_bytes;
    }
    peaks.0 = peaks.0.max(sent[0]);
    peaks.1 = peaks.1.max(recv[0]);
    peaks.2 = peaks.2.max(sent[0] + recv[0]);
    let _ = writeln!(s, "{rule}");
    let row = |label: &str, v: [String; 3]| {
        format!("{label:<48} {:>10} {:>10} {:>10}\n", v[0], v[1], v[2])
    };
    s += &row("Total send rate:", sent.map(|b| units.rate(b)));
    s += &row("Total receive rate:", recv.map(|b| units.rate(b)));
    s += &row(
        "Total send and receive rate:",
        [0, 1, 2].map(|i| units.rate(sent[i] + recv[i])),
    );
    let _ = writeln!(s, "{rule}");
    s += &row(
        "Peak rate (sent/received/total):",
        [peaks.0, peaks.1, peaks.2].map(|b| units.rate(b)),
    );
    s += &row(
        "Cumulative (sent/received/total):",
        [sent_total, recv_total, sent_total + recv_total].map(|b| units.size(b)),
    );
    let _ = writeln!(s, "{}", "=".repeat(92));
    let _ = writeln!(s);
    s
}

/// One snapshot on the ratatui screen: the same rows as the table.
fn draw(term: &mut ratatui::DefaultTerminal, r: &TopReport) -> std::io::Result<()> {
    use ratatui::layout::Constraint;
    use ratatui::style::{Modifier, Style};
    use ratatui::widgets::{Block, Row, Table};
    let rows = r.pairs.iter().flat_map(pair_rows).map(Row::new);
    let widths = [
        Constraint::Length(26),
        Constraint::Length(2),
        Constraint::Length(26),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Min(10),
    ];
    let header = Row::new(vec![
        "host", "", "host", "2s", "10s", "40s", "total", "process",
    ])
    .style(Style::default().add_modifier(Modifier::BOLD));
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(format!(
            " netshoot top: {}, {} s (q quits) ",
            escape(&r.interface),
            r.seconds
        )));
    term.draw(|f| f.render_widget(table, f.area()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(listed: bool) -> TopReport {
        let dir = |total_bytes, rate_2s, rate_10s, rate_40s| DirReport {
            total_bytes,
            rate_2s,
            rate_10s,
            rate_40s,
        };
        let pair = PairReport {
            a: "10.0.0.1".parse().unwrap(),
            b: "10.0.0.2".parse().unwrap(),
            a_to_b: dir(1500, 12_000.0, 2400.0, 600.0),
            b_to_a: dir(0, 0.0, 0.0, 0.0),
            processes: vec!["7/curl".into(), "9/nc".into()],
        };
        let (pairs, unlisted) = if listed {
            (vec![pair], vec![])
        } else {
            (vec![], vec![pair])
        };
        TopReport {
            interface: "eth0".into(),
            other_bytes: 0,
            overflow_bytes: 0,
            tracked_pairs: 1,
            pairs,
            seconds: 3,
            unlisted,
        }
    }

    #[test]
    fn table_rows() {
        let want = [
            format!(
                "{:<40} {:<40} {:>10} {:>10} {:>10} {:>10}",
                "eth0, 3 s", "", "2s", "10s", "40s", "total"
            ),
            format!(
                "{:<40} => {:<37} {:>10} {:>10} {:>10} {:>10}  [7/curl 9/nc]",
                "10.0.0.1", "10.0.0.2", "12.00Kb", "2.40Kb", "600.00b", "1.50KB"
            ),
            format!(
                "{:<40} <= {:<37} {:>10} {:>10} {:>10} {:>10}",
                "", "", "0.00b", "0.00b", "0.00b", "0B"
            ),
            String::new(),
        ];
        assert_eq!(table_block(&report(true)), want.join("\n") + "\n");
    }

    /// The local end first; the totals count unlisted pairs too.
    #[test]
    fn iftop_rows_and_totals() {
        let local = ["10.0.0.2".parse().unwrap()];
        let mut peaks = Peaks::default();
        let listed = iftop_block(&report(true), &local, false, &mut peaks);
        let rows: Vec<&str> = listed.lines().skip(2).take(2).collect();
        assert_eq!(
            rows,
            [
                format!(
                    "{:>4} {:<41}=> {:>10} {:>10} {:>10} {:>10}",
                    1, "10.0.0.2", "0b", "0b", "0b", "0B"
                ),
                format!(
                    "     {:<41}<= {:>10} {:>10} {:>10} {:>10}",
                    "10.0.0.1", "12.0Kb", "2.40Kb", "600b", "1.46KB"
                ),
            ]
        );
        let totals = |block: &str| -> Vec<String> {
            block
                .lines()
                .filter(|l| l.contains(':'))
                .map(String::from)
                .collect()
        };
        let want = [
            ("Total send rate:", ["0b", "0b", "0b"]),
            ("Total receive rate:", ["12.0Kb", "2.40Kb", "600b"]),
            ("Total send and receive rate:", ["12.0Kb", "2.40Kb", "600b"]),
            (
                "Peak rate (sent/received/total):",
                ["0b", "12.0Kb", "12.0Kb"],
            ),
            (
                "Cumulative (sent/received/total):",
                ["0B", "1.46KB", "1.46KB"],
            ),
        ]
        .map(|(l, v)| format!("{l:<48} {:>10} {:>10} {:>10}", v[0], v[1], v[2]));
        assert_eq!(totals(&listed), want);
        let unlisted = iftop_block(&report(false), &local, false, &mut Peaks::default());
        assert_eq!(totals(&unlisted), want);
        assert_eq!(unlisted.lines().count(), listed.lines().count() - 2);
        // -B: rates in bytes.
        let bytes = iftop_block(&report(true), &local, true, &mut Peaks::default());
        assert!(bytes.contains(&format!("{:>10} {:>10} {:>10}", "1.46KB", "300B", "75B")));
    }
}
