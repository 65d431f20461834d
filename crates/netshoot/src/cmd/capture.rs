//! `capture`: tcpdump, natively — AF_PACKET with a TPACKET_V3 ring, our pcap-filter compiler
//! in the kernel, pcap files (with rotation), tcpdump's packet lines.

use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use netshoot_capture::{bpf, filter, pcap, ring, summary};

use crate::render::Output;

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
Bytes are IP lengths. --json prints one JSON object per snapshot (one line each).

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

/// The peaks of the 2 s totals (sent, received, both), as iftop keeps them.
#[derive(Default)]
struct Peaks(f64, f64, f64);

/// One block of iftop's text mode (`iftop -t`).
fn iftop_block(
    pairs: &[netshoot_capture::flows::PairReport],
    local: &[std::net::IpAddr],
    lines: usize,
    bytes_units: bool,
    peaks: &mut Peaks,
) -> String {
    use std::fmt::Write as _;
    let rate = |bits: f64| {
        if bytes_units {
            iftop_size(bits / 8.0, true)
        } else {
            iftop_size(bits, false)
        }
    };
    let rule = "-".repeat(92);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "   # Host name (port/service if enabled)            last 2s   last 10s   last 40s cumulative"
    );
    let _ = writeln!(s, "{rule}");
    let mut sent = [0f64; 3];
    let mut recv = [0f64; 3];
    let (mut sent_total, mut recv_total) = (0u64, 0u64);
    for (n, p) in pairs.iter().enumerate() {
        // The local end first: "=>" is what it sends, "<=" what it receives.
        let (me, peer, out, inn) = if local.contains(&p.b) && !local.contains(&p.a) {
            (p.b, p.a, &p.b_to_a, &p.a_to_b)
        } else {
            (p.a, p.b, &p.a_to_b, &p.b_to_a)
        };
        for (acc, d) in [(&mut sent, out), (&mut recv, inn)] {
            acc[0] += d.rate_2s;
            acc[1] += d.rate_10s;
            acc[2] += d.rate_40s;
        }
        sent_total += out.total_bytes;
        recv_total += inn.total_bytes;
        if n >= lines {
            continue;
        }
        let _ = writeln!(
            s,
            "{:>4} {:<41}=> {:>10} {:>10} {:>10} {:>10}",
            n + 1,
            me.to_string(),
            rate(out.rate_2s),
            rate(out.rate_10s),
            rate(out.rate_40s),
            iftop_size(out.total_bytes as f64, true)
        );
        let _ = writeln!(
            s,
            "     {:<41}<= {:>10} {:>10} {:>10} {:>10}",
            peer.to_string(),
            rate(inn.rate_2s),
            rate(inn.rate_10s),
            rate(inn.rate_40s),
            iftop_size(inn.total_bytes as f64, true)
        );
    }
    peaks.0 = peaks.0.max(sent[0]);
    peaks.1 = peaks.1.max(recv[0]);
    peaks.2 = peaks.2.max(sent[0] + recv[0]);
    let _ = writeln!(s, "{rule}");
    let row = |label: &str, v: [String; 3]| {
        format!("{label:<48} {:>10} {:>10} {:>10}\n", v[0], v[1], v[2])
    };
    s += &row("Total send rate:", sent.map(rate));
    s += &row("Total receive rate:", recv.map(rate));
    s += &row(
        "Total send and receive rate:",
        [0, 1, 2].map(|i| rate(sent[i] + recv[i])),
    );
    let _ = writeln!(s, "{rule}");
    s += &row(
        "Peak rate (sent/received/total):",
        [peaks.0, peaks.1, peaks.2].map(rate),
    );
    s += &row(
        "Cumulative (sent/received/total):",
        [sent_total, recv_total, sent_total + recv_total].map(|b| iftop_size(b as f64, true)),
    );
    let _ = writeln!(s, "{}", "=".repeat(92));
    let _ = writeln!(s);
    s
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
            2 => {
                let mut s = String::new();
                for i in &prog {
                    s.push_str(&format!(
                        "{{ 0x{:x}, {}, {}, 0x{:08x} }},\n",
                        i.code, i.jt, i.jf, i.k
                    ));
                }
                s
            }
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

/// One packet: tcpdump's line (and -X/-x/-A dump), or with --json one JSON object per line
/// carrying the same facts (time, lengths, the line, the bytes when a dump was asked for).
fn print_packet(
    a: &CaptureArgs,
    lines: &mut summary::Summarizer,
    json: bool,
    (sec, nsec): (u32, u32),
    len: u32,
    data: &[u8],
    w: &mut impl Write,
) -> std::io::Result<()> {
    let t = sec % 86_400;
    let line = lines.line(data, len);
    if json {
        let mut v = serde_json::json!({
            "time": format!("{sec}.{:06}", nsec / 1000),
            "length": len,
            "captured": data.len(),
            "summary": line,
        });
        if a.hex_ascii > 0 || a.hex > 0 || a.ascii {
            v["hex"] =
                serde_json::json!(data.iter().map(|b| format!("{b:02x}")).collect::<String>());
        }
        return writeln!(w, "{v}");
    }
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
    let bytes = std::fs::read(path).with_context(|| format!("-r {path}: cannot read"))?;
    let (linktype, _, recs) = pcap::parse(&bytes).map_err(|e| anyhow!("-r {path}: {e}"))?;
    if linktype != pcap::LINKTYPE_ETHERNET {
        bail!(
            "-r {path}: link type {linktype} is not Ethernet (1); only Ethernet captures are read"
        );
    }
    eprintln!("reading from file {path}, link-type EN10MB (Ethernet)");
    let mut sink = Sink::open(a)?;
    let stdout = std::io::stdout();
    let mut so = BufWriter::new(stdout.lock());
    let mut n = 0u64;
    for r in recs {
        if bpf::run(prog, &r.data, r.orig_len) == 0 {
            continue;
        }
        n += 1;
        match &mut sink {
            Some(s) => s.write(r.sec, r.nsec, r.orig_len, &r.data)?,
            None => print_packet(
                a,
                lines,
                json,
                (r.sec, r.nsec),
                r.orig_len,
                &r.data,
                &mut so,
            )?,
        }
        if a.count.is_some_and(|c| n >= c) {
            break;
        }
    }
    so.flush()?;
    if let Some(s) = sink {
        s.finish()?;
    }
    Ok(0)
}

/// The -w file, with tcpdump's rotation.
struct Sink {
    base: String,
    writer: pcap::Writer<BufWriter<std::fs::File>>,
    bytes: u64,
    opened: Instant,
    index: u32,
    rotate_bytes: Option<u64>,
    rotate_every: Option<Duration>,
    files: Option<u32>,
    snaplen: u32,
    ng: bool,
}

impl Sink {
    fn name(base: &str, index: u32, files: Option<u32>) -> String {
        match files {
            Some(n) => {
                let width = (n.max(1) - 1).to_string().len();
                format!("{base}{index:0width$}")
            }
            None if index == 0 => base.to_string(),
            None => format!("{base}{index}"),
        }
    }

    fn create(
        name: &str,
        snaplen: u32,
        ng: bool,
    ) -> anyhow::Result<pcap::Writer<BufWriter<std::fs::File>>> {
        let f = std::fs::File::create(name)
            .with_context(|| format!("-w {name}: cannot create the file"))?;
        let out = BufWriter::with_capacity(1 << 20, f);
        Ok(if ng {
            pcap::Writer::new_pcapng(out, snaplen, pcap::LINKTYPE_ETHERNET)?
        } else {
            pcap::Writer::new(out, snaplen, pcap::LINKTYPE_ETHERNET, false)?
        })
    }

    fn open(a: &CaptureArgs) -> anyhow::Result<Option<Sink>> {
        let Some(base) = &a.write else {
            return Ok(None);
        };
        let rotating = a.rotate_mb.is_some() || a.rotate_secs.is_some();
        if a.file_count.is_some() && !rotating {
            bail!("-W needs -C or -G (what makes a new file)");
        }
        let files = if rotating { a.file_count } else { None };
        let name = Self::name(base, 0, files);
        Ok(Some(Sink {
            base: base.clone(),
            writer: Self::create(&name, a.snaplen, a.pcapng)?,
            bytes: 24,
            opened: Instant::now(),
            index: 0,
            rotate_bytes: a.rotate_mb.map(|m| m.max(1) * 1_000_000),
            rotate_every: a.rotate_secs.map(|s| Duration::from_secs(s.max(1))),
            files,
            snaplen: a.snaplen,
            ng: a.pcapng,
        }))
    }

    fn write(&mut self, sec: u32, nsec: u32, len: u32, data: &[u8]) -> anyhow::Result<()> {
        let due = self
            .rotate_bytes
            .is_some_and(|b| self.bytes + 16 + data.len() as u64 > b)
            || self
                .rotate_every
                .is_some_and(|d| self.opened.elapsed() >= d);
        if due {
            self.writer.flush()?;
            self.index += 1;
            if let Some(n) = self.files {
                self.index %= n.max(1);
            }
            let name = Self::name(&self.base, self.index, self.files);
            self.writer = Self::create(&name, self.snaplen, self.ng)?;
            self.bytes = 24;
            self.opened = Instant::now();
        }
        self.writer.write(sec, nsec, len, data)?;
        self.bytes += 16 + data.len() as u64;
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<()> {
        self.writer.flush()?;
        Ok(())
    }
}

fn interfaces() -> Vec<(String, bool, bool)> {
    let mut v: Vec<(String, bool, bool)> = Vec::new();
    if let Ok(addrs) = nix::ifaddrs::getifaddrs() {
        for a in addrs {
            if !v.iter().any(|(n, _, _)| *n == a.interface_name) {
                let up = a.flags.contains(nix::net::if_::InterfaceFlags::IFF_UP);
                let lo = a
                    .flags
                    .contains(nix::net::if_::InterfaceFlags::IFF_LOOPBACK);
                v.push((a.interface_name, up, lo));
            }
        }
    }
    v
}

/// An open live capture: the ring, the interface's name, and the loopback ifindexes (whose
/// outgoing copies are skipped, as libpcap does).
pub struct Live {
    /// The ring.
    pub ring: ring::Ring,
    /// Interface name (or `any`).
    pub name: String,
    /// Loopback interfaces.
    pub loopbacks: Vec<i32>,
}

/// Opens a capture on `interface` (default: the first up, non-loopback one) with `prog`.
pub fn open_live(
    interface: Option<&str>,
    prog: &[bpf::Insn],
    promisc: bool,
    buffer_kib: usize,
) -> anyhow::Result<Live> {
    let ifs = interfaces();
    let name = match interface {
        Some(n) => n.to_string(),
        None => ifs
            .iter()
            .find(|(_, up, lo)| *up && !*lo)
            .or_else(|| ifs.first())
            .map(|(n, _, _)| n.clone())
            .ok_or_else(|| anyhow!("no interface to capture on here; give one with -i"))?,
    };
    let ifindex = if name == "any" {
        0
    } else {
        nix::net::if_::if_nametoindex(name.as_str()).map_err(|_| {
            let names: Vec<&str> = ifs.iter().map(|(n, _, _)| n.as_str()).collect();
            anyhow!(
                "no interface '{name}' here; interfaces: {} (or 'any')",
                names.join(", ")
            )
        })?
    };
    // 256 KiB blocks, as libpcap sizes them for its snap length (1 MiB blocks cost the
    // sender ~4 % more at 600k small packets/s, measured with bench/capture.sh).
    let block = 256usize << 10;
    let blocks = (buffer_kib * 1024 / block).max(2);
    let ring = ring::Ring::open(ifindex, prog, promisc, block, blocks).map_err(|e| {
        if e.raw_os_error() == Some(nix::libc::EPERM) {
            anyhow!(
                "capturing needs CAP_NET_RAW: run as root, or give the container --cap-add NET_RAW"
            )
        } else {
            anyhow!("cannot capture on {name}: {e}")
        }
    })?;
    let loopbacks: Vec<i32> = ifs
        .iter()
        .filter(|(_, _, lo)| *lo)
        .filter_map(|(n, _, _)| nix::net::if_::if_nametoindex(n.as_str()).ok())
        .map(|i| i as i32)
        .collect();
    Ok(Live {
        ring,
        name,
        loopbacks,
    })
}

fn live(
    a: &CaptureArgs,
    prog: &[bpf::Insn],
    lines: &mut summary::Summarizer,
    json: bool,
) -> anyhow::Result<i32> {
    let live = open_live(a.interface.as_deref(), prog, !a.no_promisc, a.buffer_kib)?;
    let loopbacks = live.loopbacks.clone();
    let dup = |p: &ring::Packet<'_>| p.is_loopback_copy(&loopbacks);
    let Live { mut ring, name, .. } = live;
    let mut sink = Sink::open(a)?;
    let stop = crate::interrupt::flag();
    eprintln!(
        "netshoot: listening on {name}, link-type EN10MB (Ethernet), snapshot length {} bytes",
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
    'outer: loop {
        if stop.load(std::sync::atomic::Ordering::SeqCst)
            || deadline.is_some_and(|d| Instant::now() >= d)
        {
            break;
        }
        let mut handle = |p: &ring::Packet<'_>| {
            if failure.is_some() || a.count.is_some_and(|c| captured >= c) {
                return;
            }
            // A loopback interface shows every packet twice (out and in); keep one, as
            // libpcap does.
            if dup(p) {
                return;
            }
            // Put a VLAN tag the kernel took out back into the frame, as libpcap does.
            let owned;
            let data: &[u8] = match p.vlan {
                Some((tci, tpid)) if p.data.len() >= 12 => {
                    let mut f = Vec::with_capacity(p.data.len() + 4);
                    f.extend_from_slice(&p.data[..12]);
                    f.extend_from_slice(&tpid.to_be_bytes());
                    f.extend_from_slice(&tci.to_be_bytes());
                    f.extend_from_slice(&p.data[12..]);
                    owned = f;
                    &owned
                }
                _ => p.data,
            };
            let len = p.len + if p.vlan.is_some() { 4 } else { 0 };
            let r = match &mut sink {
                Some(s) => s.write(p.sec, p.nsec, len, data),
                None => print_packet(a, lines, json, (p.sec, p.nsec), len, data, &mut so)
                    .map_err(Into::into),
            };
            match r {
                Ok(()) => captured += 1,
                Err(e) => failure = Some(e),
            }
        };
        match ring.next_block(100, &mut handle) {
            Ok(_) => {}
            Err(e) => {
                failure = Some(anyhow!("capture failed: {e}"));
                break 'outer;
            }
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
    let st = ring.stats().unwrap_or_default();
    eprintln!(
        "\n{captured} packets captured\n{} packets received by filter\n{} packets dropped by kernel",
        st.packets, st.drops
    );
    match failure {
        Some(e) => Err(e),
        None => Ok(0),
    }
}

fn rate(bps: f64) -> String {
    // iftop's units: bits, powers of 1000.
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

fn bytes(b: u64) -> String {
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

fn top(t: &TopArgs, out: &Output) -> anyhow::Result<i32> {
    use std::io::IsTerminal;
    if t.interval == 0 {
        bail!("--interval must be at least 1 second");
    }
    // Headers are enough: a short snap length keeps the ring from overflowing at line rate.
    let prog = filter::compile(&t.filter.join(" "), 128).map_err(|e| anyhow!("filter: {e}"))?;
    let live = open_live(t.interface.as_deref(), &prog, true, t.buffer_kib)?;
    let loopbacks = live.loopbacks.clone();
    let Live { mut ring, name, .. } = live;
    let stop = crate::interrupt::flag();
    let tty = !out.json && !t.iftop_text && std::io::stdout().is_terminal();
    // iftop -t: the interface's addresses decide which end of a pair is local.
    let mut local: Vec<std::net::IpAddr> = Vec::new();
    if t.iftop_text {
        if let Ok(ifs) = netshoot_inspect::interfaces() {
            for i in ifs.iter().filter(|i| name == "any" || i.name == name) {
                if i.name == name {
                    if let Some(a) = i.addresses.iter().find(|a| a.address.is_ipv4()) {
                        eprintln!("interface: {name}\nIP address is: {}", a.address);
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
        eprintln!("netshoot: top on {name}; Ctrl-C to stop");
    }
    let mut peaks = Peaks::default();
    // On a terminal: a ratatui screen (alternate screen, raw mode; q or Ctrl-C quits),
    // restored by the guard whatever ends the loop.
    let mut screen = if tty {
        Some(Screen(ratatui::init()))
    } else {
        None
    };
    let mut flows = netshoot_capture::flows::Flows::default();
    // Socket owners are looked up once a second on a helper thread (it walks /proc/*/fd, too
    // slow for the loop that drains the ring); the thread inherits the target's namespace.
    let owners_slot =
        std::sync::Arc::new(std::sync::Mutex::new(std::sync::Arc::new(socket_owners())));
    {
        let slot = owners_slot.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(Duration::from_secs(1));
                let fresh = std::sync::Arc::new(socket_owners());
                if let Ok(mut s) = slot.lock() {
                    *s = fresh;
                }
            }
        });
    }
    // The screen shows at once (empty until the first interval closes), as iftop's does.
    if let Some(Screen(term)) = screen.as_mut() {
        draw(term, &name, 0, &[], t.lines)?;
    }
    let mut next_tick = Instant::now() + Duration::from_secs(1);
    let mut snapshots = 0u64;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        if screen.is_some() && quit_key_pressed() {
            break;
        }
        let owners = owners_slot.lock().map(|o| o.clone()).unwrap_or_default();
        ring.next_block(50, &mut |p| {
            if !p.is_loopback_copy(&loopbacks) {
                let ends = netshoot_capture::flows::ports(p.data);
                let owner = ends.and_then(|(s, d, sp, dp, proto)| {
                    owner_of(&owners, s, sp, proto).or_else(|| owner_of(&owners, d, dp, proto))
                });

                flows.add_owned(p.data, p.len, owner);
            }
        })?;

        if Instant::now() < next_tick {
            continue;
        }
        next_tick += Duration::from_secs(1);
        flows.tick();
        if flows.seconds % t.interval != 0 {
            continue;
        }
        snapshots += 1;
        let pairs = flows.report();
        let mut so = std::io::stdout().lock();
        if out.json {
            let v = serde_json::json!({
                "interface": name,
                "seconds": flows.seconds,
                "pairs": pairs.iter().take(t.lines).collect::<Vec<_>>(),
                "other_bytes": flows.other_bytes,
            });
            writeln!(so, "{}", serde_json::to_string(&v)?)?;
        } else if t.iftop_text {
            so.write_all(
                iftop_block(&pairs, &local, t.lines, t.iftop_bytes, &mut peaks).as_bytes(),
            )?;
        } else if let Some(Screen(term)) = screen.as_mut() {
            draw(term, &name, flows.seconds, &pairs, t.lines)?;
        } else {
            writeln!(
                so,
                "{:<40} {:<40} {:>10} {:>10} {:>10} {:>10}",
                format!("{name}, {} s", flows.seconds),
                "",
                "2s",
                "10s",
                "40s",
                "total"
            )?;
            for p in pairs.iter().take(t.lines) {
                let procs = if p.processes.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", p.processes.join(" "))
                };
                writeln!(
                    so,
                    "{:<40} => {:<37} {:>10} {:>10} {:>10} {:>10}{procs}",
                    p.a,
                    p.b,
                    rate(p.a_to_b.rate_2s),
                    rate(p.a_to_b.rate_10s),
                    rate(p.a_to_b.rate_40s),
                    bytes(p.a_to_b.total_bytes)
                )?;
                writeln!(
                    so,
                    "{:<40} <= {:<37} {:>10} {:>10} {:>10} {:>10}",
                    "",
                    "",
                    rate(p.b_to_a.rate_2s),
                    rate(p.b_to_a.rate_10s),
                    rate(p.b_to_a.rate_40s),
                    bytes(p.b_to_a.total_bytes)
                )?;
            }
            writeln!(so)?;
        }
        so.flush()?;
        if t.count.is_some_and(|c| snapshots >= c) {
            break;
        }
    }
    Ok(0)
}

/// (local address, port, IP protocol) → `pid/command` of the sockets in the target.
type Owners = std::collections::HashMap<(std::net::IpAddr, u16, u8), String>;

fn socket_owners() -> Owners {
    let mut m = Owners::new();
    if let Ok(socks) = netshoot_inspect::sockets::sockets(true, true, true) {
        for s in socks {
            let proto = match s.proto {
                netshoot_inspect::sockets::Proto::Tcp => 6,
                netshoot_inspect::sockets::Proto::Udp => 17,
                netshoot_inspect::sockets::Proto::Raw => continue,
            };
            if let Some(o) = s.processes.first() {
                m.entry((s.local, s.local_port, proto))
                    .or_insert_with(|| format!("{}/{}", o.pid, o.command));
            }
        }
    }
    m
}

/// The owner of a local endpoint, also through a wildcard (0.0.0.0 / ::) listener.
fn owner_of(m: &Owners, ip: std::net::IpAddr, port: u16, proto: u8) -> Option<&str> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    m.get(&(ip, port, proto))
        .or_else(|| m.get(&(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port, proto)))
        .or_else(|| m.get(&(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port, proto)))
        .map(String::as_str)
}

/// The ratatui terminal, restored on drop.
struct Screen(ratatui::DefaultTerminal);

impl Drop for Screen {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// q, Esc or Ctrl-C (raw mode turns Ctrl-C into a key).
fn quit_key_pressed() -> bool {
    use ratatui::crossterm::event::{self, Event, KeyCode, KeyModifiers};
    while event::poll(Duration::ZERO).unwrap_or(false) {
        if let Ok(Event::Key(k)) = event::read() {
            let ctrl_c =
                k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
            if ctrl_c || matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) {
                return true;
            }
        }
    }
    false
}

fn draw(
    term: &mut ratatui::DefaultTerminal,
    name: &str,
    secs: u64,
    pairs: &[netshoot_capture::flows::PairReport],
    lines: usize,
) -> std::io::Result<()> {
    use ratatui::layout::Constraint;
    use ratatui::style::{Modifier, Style};
    use ratatui::widgets::{Block, Row, Table};
    let mut rows = Vec::new();
    for p in pairs.iter().take(lines) {
        rows.push(Row::new(vec![
            p.a.to_string(),
            "=>".to_string(),
            p.b.to_string(),
            rate(p.a_to_b.rate_2s),
            rate(p.a_to_b.rate_10s),
            rate(p.a_to_b.rate_40s),
            bytes(p.a_to_b.total_bytes),
            p.processes.join(" "),
        ]));
        rows.push(Row::new(vec![
            String::new(),
            "<=".to_string(),
            String::new(),
            rate(p.b_to_a.rate_2s),
            rate(p.b_to_a.rate_10s),
            rate(p.b_to_a.rate_40s),
            bytes(p.b_to_a.total_bytes),
            String::new(),
        ]));
    }
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
        .block(Block::bordered().title(format!(" netshoot top: {name}, {secs} s (q quits) ")));
    term.draw(|f| f.render_widget(table, f.area()))?;
    Ok(())
}
