//! `iperf`: iperf 2.1.8's command line and report layout over netshoot's own iperf 2 engine
//! (`netshoot_perf::iperf2`, which speaks iperf 2's protocol: interoperable with Debian's
//! `iperf` both ways). This module parses and renders; the library runs the test.

use std::net::SocketAddr;
use std::time::Duration;

use netshoot_perf::iperf2::{self, Amount, ClientOptions, Event, Report, ServerOptions};

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};
use crate::cmd::perf_report::{g2, three_digits};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["iperf"],
    about: "iperf 2 throughput tests, client and server (iperf 2's protocol)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag("s", Some('s'), &["server"], "run as a server"),
    Opt::value(
        "c",
        Some('c'),
        &["client"],
        "HOST",
        "run as a client of HOST",
    ),
    Opt::value("p", Some('p'), &["port"], "PORT", "port (default 5001)"),
    Opt::flag("u", Some('u'), &["udp"], "UDP instead of TCP"),
    Opt::value(
        "i",
        Some('i'),
        &["interval"],
        "SECS",
        "seconds between interval reports",
    ),
    Opt::value(
        "w",
        Some('w'),
        &["window"],
        "SIZE",
        "socket buffer size (k/m/g: 1000s, K/M/G: 1024s)",
    ),
    Opt::value(
        "B",
        Some('B'),
        &["bind"],
        "ADDR",
        "server: bind to ADDR (default: every address)",
    ),
    Opt::flag(
        "1",
        Some('1'),
        &["one-shot"],
        "server: serve one test, then exit",
    ),
    Opt::value(
        "f",
        Some('f'),
        &["format"],
        "[abkmgBKMG]",
        "units: adaptive, bits, Kbits, Mbits, Gbits, Bytes, KBytes, MBytes, GBytes",
    ),
    Opt::value(
        "t",
        Some('t'),
        &["time"],
        "SECS",
        "client: seconds to transmit (default 10)",
    ),
    Opt::value(
        "n",
        Some('n'),
        &["num"],
        "SIZE",
        "client: bytes to transmit instead of a time",
    ),
    Opt::value(
        "P",
        Some('P'),
        &["parallel"],
        "N",
        "client: parallel streams",
    ),
    Opt::value(
        "b",
        Some('b'),
        &["bandwidth"],
        "RATE",
        "client, UDP: bits per second (default 1M)",
    ),
    Opt::value(
        "l",
        Some('l'),
        &["len"],
        "SIZE",
        "client: write / datagram length (default 128K TCP, 1470 UDP)",
    ),
    Opt::flag(
        "R",
        Some('R'),
        &["reverse"],
        "client: the server sends (TCP: on the same connection)",
    ),
    Opt::flag("v", Some('v'), &["version"], "print the version"),
    Opt::flag(
        "d",
        Some('d'),
        &["dualtest"],
        "client, TCP: the server connects back and sends at the same time",
    ),
    Opt::flag(
        "r",
        Some('r'),
        &["tradeoff"],
        "client, TCP: the server connects back and sends after the test",
    ),
    Opt::value(
        "L",
        Some('L'),
        &["listenport"],
        "PORT",
        "client, -d/-r: the port the server connects back to (default: -p)",
    ),
    Opt::unsupported(
        "full-duplex",
        None,
        &["full-duplex"],
        Takes::No,
        "use netshoot perf client --bidir (iperf3's protocol)",
    ),
    Opt::unsupported(
        "e",
        Some('e'),
        &["enhanced"],
        Takes::No,
        "enhanced reports are not printed; leave -e out",
    ),
    Opt::unsupported(
        "y",
        Some('y'),
        &["reportstyle"],
        Takes::Value,
        "CSV reports are not printed; use netshoot --json iperf … for machine-readable events",
    ),
    Opt::unsupported(
        "x",
        Some('x'),
        &["reportexclude"],
        Takes::Value,
        "every report is printed; filter the output instead",
    ),
    Opt::unsupported(
        "o",
        Some('o'),
        &["output"],
        Takes::Value,
        "redirect the output with > FILE",
    ),
    Opt::unsupported(
        "D",
        Some('D'),
        &["daemon"],
        Takes::No,
        "run netshoot in the background (&, nohup, a container)",
    ),
    Opt::unsupported(
        "V",
        Some('V'),
        &["ipv6_domain"],
        Takes::No,
        "the server listens on IPv4 and IPv6 already; a client uses the address family of HOST",
    ),
    Opt::unsupported(
        "T",
        Some('T'),
        &["ttl"],
        Takes::Value,
        "the TTL is the kernel's; leave -T out",
    ),
    Opt::unsupported(
        "S",
        Some('S'),
        &["tos"],
        Takes::Value,
        "the TOS byte is not set; leave -S out",
    ),
    Opt::unsupported(
        "Z",
        Some('Z'),
        &["tcp-congestion"],
        Takes::Value,
        "use netshoot perf client -C ALGO (iperf3's protocol)",
    ),
    Opt::unsupported(
        "N",
        Some('N'),
        &["nodelay"],
        Takes::No,
        "use netshoot perf client -N (iperf3's protocol)",
    ),
    Opt::unsupported(
        "M",
        Some('M'),
        &["mss"],
        Takes::Value,
        "use netshoot perf client -M BYTES (iperf3's protocol)",
    ),
    Opt::unsupported(
        "I",
        Some('I'),
        &["stdin"],
        Takes::No,
        "data from stdin is not sent; use netshoot connect HOST PORT < FILE",
    ),
    Opt::unsupported(
        "F",
        Some('F'),
        &["fileinput"],
        Takes::Value,
        "data from a file is not sent; use netshoot connect HOST PORT < FILE",
    ),
    Opt::unsupported(
        "X",
        Some('X'),
        &["peer-detect"],
        Takes::No,
        "peer version detection is not implemented; leave -X out",
    ),
    Opt::unsupported(
        "trip-times",
        None,
        &["trip-times"],
        Takes::No,
        "write-to-read latencies are not measured; UDP jitter is reported",
    ),
    Opt::unsupported(
        "isochronous",
        None,
        &["isochronous"],
        Takes::Optional,
        "isochronous traffic is not generated; use -u -b RATE",
    ),
];

/// iperf 2's grammar (GNU permutation).
pub const SPEC: Spec = Spec {
    tool: "iperf",
    opts: OPTS,
    permute: true,
    usage: "-s [-p PORT] [-u] [-i SECS] [-w SIZE] [-B ADDR] [-1]\n       iperf -c HOST [-p PORT] [-u] [-t SECS | -n SIZE] [-i SECS] [-P N] [-b RATE] [-l SIZE] [-w SIZE] [-R | -d | -r [-L PORT]] [-f FMT]",
    notes: "\
Speaks iperf 2's protocol (not iperf3's; for iperf3 use the iperf3 name or netshoot perf).
Interoperates with iperf 2.1.x both ways, TCP and UDP. The UDP sender paces to -b with a plain
clock (no Kalman filter); the TCP lines carry icwnd/mss/irtt from TCP_INFO as 2.1.8 prints them.
See docs/CLASSIC.md.",
    single_dash_long: false,
};

/// iperf 2's suffixes: k/m/g are 1000s, K/M/G 1024s.
fn size(v: &str, opt: &str) -> anyhow::Result<f64> {
    let bad = || {
        usage(
            "iperf",
            format!("{opt} '{v}': expected a number with an optional k/m/g (1000s) or K/M/G (1024s) suffix"),
        )
    };
    let (num, mult) = match v.chars().last() {
        Some('k') => (&v[..v.len() - 1], 1e3),
        Some('m') => (&v[..v.len() - 1], 1e6),
        Some('g') => (&v[..v.len() - 1], 1e9),
        Some('K') => (&v[..v.len() - 1], 1024.0),
        Some('M') => (&v[..v.len() - 1], 1024.0 * 1024.0),
        Some('G') => (&v[..v.len() - 1], 1024.0 * 1024.0 * 1024.0),
        _ => (v, 1.0),
    };
    let n: f64 = num.parse().map_err(|_| bad())?;
    if !(n.is_finite() && n >= 0.0) {
        return Err(bad());
    }
    Ok(n * mult)
}

fn seconds(v: &str, opt: &str) -> anyhow::Result<f64> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| {
            usage(
                "iperf",
                format!("{opt} '{v}': expected a number of seconds >= 0"),
            )
        })
}

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let version = format!(
        "iperf version 2.1.8 compatible (netshoot {}): netshoot's own iperf 2 engine",
        env!("CARGO_PKG_VERSION")
    );
    let Some(p) = SPEC.parse_or_answer(args, Some(("v", &version)))? else {
        return Ok(0);
    };
    if let Some(a) = p.args().first() {
        return Err(usage("iperf", format!("unexpected argument '{a}'")));
    }
    let format = match p.value("f") {
        None => 'a',
        Some(f) => {
            let c = f.chars().next().unwrap_or('?');
            if f.chars().count() != 1 || !"abkmgBKMGA".contains(c) {
                return Err(usage(
                    "iperf",
                    format!("-f '{f}': one of a b k m g B K M G"),
                ));
            }
            c
        }
    };
    let port: u16 = match p.value("p") {
        None => 5001,
        Some(v) => v
            .parse()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| usage("iperf", format!("-p '{v}': a port 1-65535")))?,
    };
    let interval = match p.value("i") {
        Some(v) => seconds(v, "-i")?,
        None => 0.0,
    };
    let window = match p.value("w") {
        Some(v) => Some(size(v, "-w")? as usize),
        None => None,
    };
    let udp = p.has("u");
    match (p.has("s"), p.value("c")) {
        (true, Some(_)) => Err(usage("iperf", "-s and -c: give one of them")),
        (false, None) => Err(usage("iperf", "give -s (server) or -c HOST (client)")),
        (true, None) => {
            for client_only in ["t", "n", "P", "b", "l", "R", "d", "r", "L"] {
                if p.has(client_only) {
                    return Err(usage(
                        "iperf",
                        format!("-{client_only} is a client option; give it to iperf -c"),
                    ));
                }
            }
            let bind =
                match p.value("B") {
                    Some(b) => Some(b.parse().map_err(|_| {
                        usage("iperf", format!("-B '{b}': an IPv4 or IPv6 address"))
                    })?),
                    None => None,
                };
            let o = ServerOptions {
                port,
                bind,
                udp,
                interval,
                window,
                one_shot: p.has("1"),
                max_udp_bitrate: netshoot_perf::server::MAX_UDP_BITRATE,
            };
            ctx.enter()?;
            let stop = crate::interrupt::flag();
            let mut r = Render::new(format, ctx.json);
            match iperf2::serve(&o, &stop, &mut |e| r.event(&e)) {
                Ok(()) => Ok(0),
                Err(iperf2::Error::Usage(m)) => Err(usage("iperf", m)),
                Err(e) => {
                    eprintln!("iperf: {e}");
                    Ok(1)
                }
            }
        }
        (false, Some(host)) => {
            if p.has("B") {
                return Err(usage(
                    "iperf",
                    "-B on the client is not supported; the kernel picks the source address",
                ));
            }
            if p.has("1") {
                return Err(usage("iperf", "-1 is a server option; give it to iperf -s"));
            }
            if p.has("t") && p.has("n") {
                return Err(usage("iperf", "-t and -n: give one of them"));
            }
            let amount = match (p.value("t"), p.value("n")) {
                (_, Some(n)) => Amount::Bytes(size(n, "-n")? as u64),
                (Some(t), None) => Amount::Time(seconds(t, "-t")?),
                (None, None) => Amount::Time(10.0),
            };
            let parallel: u32 = match p.value("P") {
                Some(v) => v
                    .parse()
                    .ok()
                    .filter(|n| (1..=128).contains(n))
                    .ok_or_else(|| usage("iperf", format!("-P '{v}': 1 to 128 streams")))?,
                None => 1,
            };
            let rate = match p.value("b") {
                Some(b) => size(b, "-b")? as u64,
                None => 1024 * 1024,
            };
            let len = match p.value("l") {
                Some(l) => size(l, "-l")? as usize,
                None if udp => 1470,
                None => 128 * 1024,
            };
            let target = ctx.enter()?;
            let ip = crate::args::host(host, &target, netshoot_dns::Family::Any)
                .map_err(|e| usage("iperf", format!("cannot resolve {host}: {e:#}")))?;
            let o = ClientOptions {
                host: host.to_string(),
                addr: SocketAddr::new(ip, port),
                udp,
                amount,
                interval,
                parallel,
                rate,
                len,
                window,
                reverse: p.has("R"),
                dual: match (p.has("d"), p.has("r")) {
                    (true, true) => {
                        return Err(usage("iperf", "-d and -r: give one of them"));
                    }
                    (true, false) => Some(iperf2::Dual::Simultaneous),
                    (false, true) => Some(iperf2::Dual::Tradeoff),
                    (false, false) => None,
                },
                listen_port: match p.value("L") {
                    None => port,
                    Some(v) => v
                        .parse()
                        .ok()
                        .filter(|p| *p > 0)
                        .ok_or_else(|| usage("iperf", format!("-L '{v}': a port 1-65535")))?,
                },
                timeout: Duration::from_secs(10),
            };
            let stop = crate::interrupt::flag();
            let mut r = Render::new(format, ctx.json);
            match iperf2::client(&o, &stop, &mut |e| r.event(&e)) {
                Ok(true) => Ok(0),
                Ok(false) => Ok(1),
                Err(iperf2::Error::Usage(m)) => Err(usage("iperf", m)),
                Err(e) => {
                    eprintln!("{e}");
                    Ok(1)
                }
            }
        }
    }
}

const RULE: &str = "------------------------------------------------------------";

/// iperf 2's byte_snprintf: `fmt` upper case for bytes (1024s), lower case for bits (1000s),
/// `A`/`a` adaptive. Returns e.g. `1.56 KByte` (the caller appends `s` or `s/sec`).
pub fn units(bytes: f64, fmt: char) -> String {
    const BYTE: [&str; 5] = ["Byte", "KByte", "MByte", "GByte", "TByte"];
    const BIT: [&str; 5] = ["bit", "Kbit", "Mbit", "Gbit", "Tbit"];
    let upper = fmt.is_ascii_uppercase();
    let (base, mut v) = if upper {
        (1024.0, bytes)
    } else {
        (1000.0, bytes * 8.0)
    };
    let mut conv = match fmt.to_ascii_lowercase() {
        'b' => 0,
        'k' => 1,
        'm' => 2,
        'g' => 3,
        _ => 0,
    };
    if fmt == 'a' || fmt == 'A' {
        while v >= base && conv < 4 {
            v /= base;
            conv += 1;
        }
    } else {
        v /= f64::powi(base, conv as i32);
    }
    format!(
        "{} {}",
        three_digits(v),
        if upper { BYTE[conv] } else { BIT[conv] }
    )
}

/// Renders iperf2 events in iperf 2.1.8's layout (or as JSON lines).
struct Render {
    fmt: char,
    json: bool,
    /// A table header is due before the next report (UDP receiver's or not).
    header_due: bool,
}

impl Render {
    fn new(fmt: char, json: bool) -> Render {
        Render {
            fmt,
            json,
            header_due: false,
        }
    }

    fn size_line(&self, what: &str, buffer: u64, requested: Option<u64>) -> String {
        let up = self.fmt.to_ascii_uppercase();
        let have = units(buffer as f64, if up == 'A' { 'A' } else { up });
        match requested {
            None => format!("{what}: {have} (default)"),
            Some(r) if r == buffer => format!("{what}: {have}"),
            Some(r) => format!(
                "{what}: {have} (WARNING: requested {})",
                units(r as f64, if up == 'A' { 'A' } else { up })
            ),
        }
    }

    fn id(r: &Report) -> String {
        match r.id {
            None => "SUM".into(),
            Some(i) if r.reverse => format!("{:>3}", format!("*{i}")),
            Some(i) => format!("{i:3}"),
        }
    }

    fn line(&self, r: &Report) -> String {
        let dur = (r.end - r.start).max(0.0);
        let rate = if dur > 0.0 { r.bytes as f64 / dur } else { 0.0 };
        let up = self.fmt.to_ascii_uppercase();
        let mut s = format!(
            "[{}] {:.4}-{:.4} sec  {}s  {}s/sec",
            Self::id(r),
            r.start,
            r.end,
            units(r.bytes as f64, if up == 'A' { 'A' } else { up }),
            units(rate, self.fmt)
        );
        if let Some(u) = &r.udp {
            let pct = if u.total > 0 {
                100.0 * u.lost as f64 / u.total as f64
            } else {
                0.0
            };
            s.push_str(&format!(
                "  {:6.3} ms {}/{} ({}%)",
                u.jitter_ms,
                u.lost,
                u.total,
                g2(pct)
            ));
            if u.out_of_order > 0 {
                s.push_str(&format!(
                    "\n[{}] {:.4}-{:.4} sec  {} datagrams received out-of-order",
                    Self::id(r),
                    r.start,
                    r.end,
                    u.out_of_order
                ));
            }
        }
        s
    }

    fn header(udp: bool) -> &'static str {
        if udp {
            "[ ID] Interval       Transfer     Bandwidth        Jitter   Lost/Total Datagrams"
        } else {
            "[ ID] Interval       Transfer     Bandwidth"
        }
    }

    fn event(&mut self, e: &Event) {
        if self.json {
            if let Ok(s) = serde_json::to_string(e) {
                println!("{s}");
            }
            return;
        }
        match e {
            Event::Listening {
                udp,
                port,
                buffer,
                requested,
                one_shot,
            } => {
                println!("{RULE}");
                println!(
                    "Server listening on {} port {port}",
                    if *udp { "UDP" } else { "TCP" }
                );
                if *one_shot && !udp {
                    println!("Server set to single client traffic mode (serialize traffic tests)");
                }
                println!(
                    "{}",
                    self.size_line(
                        if *udp {
                            "UDP buffer size"
                        } else {
                            "TCP window size"
                        },
                        *buffer,
                        *requested
                    )
                );
                println!("{RULE}");
            }
            Event::Connecting {
                host,
                port,
                udp,
                len,
                rate,
                buffer,
                requested,
            } => {
                println!("{RULE}");
                println!(
                    "Client connecting to {host}, {} port {port}",
                    if *udp { "UDP" } else { "TCP" }
                );
                if *udp {
                    let ipg = if *rate > 0 {
                        *len as f64 * 8.0 / *rate as f64 * 1e6
                    } else {
                        0.0
                    };
                    println!("Sending {len} byte datagrams, IPG target: {ipg:.2} us");
                }
                println!(
                    "{}",
                    self.size_line(
                        if *udp {
                            "UDP buffer size"
                        } else {
                            "TCP window size"
                        },
                        *buffer,
                        *requested
                    )
                );
                println!("{RULE}");
            }
            Event::Connected {
                id,
                local,
                peer,
                reverse,
                tcp,
            } => {
                let mut s = format!(
                    "[{id:3}] local {} port {} connected with {} port {}",
                    local.ip(),
                    local.port(),
                    peer.ip(),
                    peer.port()
                );
                if *reverse {
                    s.push_str(" (reverse)");
                }
                if let Some(t) = tcp {
                    s.push_str(&format!(
                        " (icwnd/mss/irtt={}/{}/{})",
                        t.cwnd, t.mss, t.rtt_us
                    ));
                }
                println!("{s}");
                self.header_due = true;
            }
            Event::Report(r) => {
                if self.header_due {
                    println!("{}", Self::header(r.udp.is_some()));
                    self.header_due = false;
                }
                println!("{}", self.line(r));
            }
            Event::Sent {
                id,
                datagrams,
                streams,
            } => match id {
                Some(i) => println!("[{i:3}] Sent {datagrams} datagrams"),
                None => println!("[SUM-{streams}] Sent {datagrams} datagrams"),
            },
            Event::ServerReport(r) => {
                println!("[{}] Server Report:", Self::id(r));
                println!("{}", Self::header(true));
                println!("{}", self.line(r));
            }
            Event::NoServerReport { id } => println!(
                "[{id:3}] WARNING: did not receive ack of last datagram after {} tries.",
                iperf2::FIN_TRIES
            ),
            Event::Warning(w) => eprintln!("iperf: {w}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_as_iperf_2_prints_them() {
        assert_eq!(units(1600.0, 'A'), "1.56 KByte");
        assert_eq!(units(131072.0, 'A'), " 128 KByte");
        assert_eq!(units(16384.0, 'A'), "16.0 KByte");
        assert_eq!(units(14_625.0, 'a'), " 117 Kbit");
        assert_eq!(units(100000.0, 'B'), "100000 Byte");
        assert_eq!(units(5396654.0, 'B'), "5396654 Byte");
    }

    #[test]
    fn refusals_are_one_line() {
        let e = SPEC.parse(&["-c", "h", "-y", "C"]).unwrap_err().to_string();
        assert!(
            e.contains("'-y' is not supported") && e.contains("--json"),
            "{e}"
        );
        assert!(!e.contains('\n'));
        assert!(size("10M", "-b").unwrap() == 10.0 * 1024.0 * 1024.0);
        assert!(size("100k", "-b").unwrap() == 100_000.0);
        assert!(size("x", "-b").is_err());
    }
}
