//! `perf`: iperf3-compatible throughput tests, client and server, from inside the target.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Subcommand};
use netshoot_ns::Target;
use netshoot_perf::client::ClientOptions;
use netshoot_perf::server::ServerOptions;
use netshoot_perf::{proto, Ending, Event, Spec};

use crate::args::usage;
use crate::cmd::perf_report::{summary_lines, to_json, Lines};
use crate::render::Output;

/// The `perf` command (one entry of the CLI's commands).
#[derive(Debug, Subcommand)]
pub enum PerfCommand {
    /// Throughput tests that speak iperf3's protocol: `perf server` (iperf3 -s) and
    /// `perf client HOST` (iperf3 -c), interoperable with any iperf3 3.x.
    #[command(subcommand)]
    Perf(PerfSubcommand),
}

/// `perf` subcommands.
#[derive(Debug, Subcommand)]
pub enum PerfSubcommand {
    /// Serve tests like iperf3 -s: one at a time; others get "server is busy".
    #[command(after_help = "\
Examples:
  netshoot -t perf-test-a perf server -p 9999      the seed's `iperf -s -p 9999`, in container perf-test-a
  netshoot perf server -1 --json                   one test, then exit; iperf3 -J's structure")]
    Server(ServerArgs),

    /// Run a test against an iperf3 server (ours or the real one) like iperf3 -c.
    #[command(after_help = "\
Exit status: 0 the test ran to its end, 1 it could not run or was cut short (refused, busy,
not iperf3, the peer vanished), 2 bad options.

Examples:
  netshoot -t perf-test-b perf client perf-test-a -p 9999   across the overlay, by container name
  netshoot perf client 10.0.0.2 -t 5 -P 4 -R                four streams, the server sends
  netshoot perf client 10.0.0.2 -u -b 100M -l 1400          UDP at 100 Mbit/s: jitter and loss
  netshoot perf client 10.0.0.2 -n 1G --json | jq .end.sum_received.bits_per_second")]
    Client(ClientArgs),
}

/// `perf server` options (iperf3's letters).
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Port to listen on.
    #[arg(short = 'p', long, default_value_t = 5201)]
    pub port: u16,
    /// Address to bind (default: all, IPv4 and IPv6).
    #[arg(short = 'B', long = "bind", value_name = "ADDR")]
    pub bind: Option<std::net::IpAddr>,
    /// Serve one test, then exit.
    #[arg(short = '1', long = "one-off")]
    pub one_off: bool,
    /// Seconds between interval reports (0: none).
    #[arg(short = 'i', long, default_value_t = 1.0)]
    pub interval: f64,
    /// JSON output (one document per test), like iperf3 -J.
    #[arg(short = 'J')]
    pub json_short: bool,
    /// Most parallel streams a client may ask for (-P, each direction); iperf3's own maximum.
    #[arg(long = "max-streams", default_value_t = 128, value_name = "N")]
    pub max_streams: u32,
    /// Largest block / datagram length a client may ask for (-l; K/M suffixes, 1024s);
    /// iperf3's own maximum.
    #[arg(long = "max-block", default_value = "1M", value_name = "N[KM]")]
    pub max_block: String,
    /// Largest sum of buffers a client's test may need (streams × block length, both
    /// directions; K/M/G suffixes, 1024s).
    #[arg(long = "max-buffers", default_value = "128M", value_name = "N[KMG]")]
    pub max_buffers: String,
    /// Longest test a client may ask for (-t plus -O), seconds; a byte- or block-count test
    /// is ended after it.
    #[arg(
        long = "max-duration",
        default_value_t = 3600.0,
        value_name = "SECONDS"
    )]
    pub max_duration: f64,
    /// Most bits per second the server sends in a reverse (-R) or bidirectional test, summed
    /// over its sending streams (K/M/G suffixes, 1000s; 0: no cap); a client asking more, or
    /// unlimited (-b 0), gets this shared among its streams. Default: 1G for UDP (no
    /// congestion control: the server would send whatever the client asks), none for TCP (the
    /// receiver must acknowledge, congestion control paces the sender).
    #[arg(long = "max-bitrate", value_name = "N[KMG]")]
    pub max_bitrate: Option<String>,
    /// Seconds a client has, in all, to send its cookie and parameters, to open its data
    /// streams, and to exchange results.
    #[arg(long = "setup-timeout", default_value_t = 10.0, value_name = "SECONDS")]
    pub setup_timeout: f64,
}

/// `perf client` options (iperf3's letters).
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The server: an address or a name (resolved in the target).
    pub host: String,
    /// Server port.
    #[arg(short = 'p', long, default_value_t = 5201)]
    pub port: u16,
    /// Seconds to transmit.
    #[arg(
        short = 't',
        long = "time",
        default_value_t = 10.0,
        value_name = "SECONDS"
    )]
    pub time: f64,
    /// Bytes to transmit instead of a time (K/M/G suffixes, 1024s).
    #[arg(
        short = 'n',
        long = "bytes",
        value_name = "N[KMG]",
        conflicts_with = "blocks"
    )]
    pub bytes: Option<String>,
    /// Blocks (writes / datagrams) to transmit instead of a time.
    #[arg(short = 'k', long = "blockcount", value_name = "N[KMG]")]
    pub blocks: Option<String>,
    /// Parallel streams.
    #[arg(short = 'P', long = "parallel", default_value_t = 1)]
    pub parallel: u32,
    /// Reverse: the server sends.
    #[arg(short = 'R', long = "reverse", conflicts_with = "bidir")]
    pub reverse: bool,
    /// Both directions at once.
    #[arg(long = "bidir")]
    pub bidir: bool,
    /// UDP instead of TCP.
    #[arg(short = 'u', long = "udp")]
    pub udp: bool,
    /// Target bitrate per stream (K/M/G suffixes, 1000s; default 1M for UDP, unlimited for TCP).
    #[arg(short = 'b', long = "bitrate", value_name = "N[KMG]")]
    pub bitrate: Option<String>,
    /// Block / datagram length (default 128K for TCP, 1460 for UDP).
    #[arg(short = 'l', long = "length", value_name = "N[KMG]")]
    pub length: Option<String>,
    /// Seconds between interval reports (0: none).
    #[arg(short = 'i', long, default_value_t = 1.0)]
    pub interval: f64,
    /// Seconds at the start to leave out (TCP slow start).
    #[arg(short = 'O', long = "omit", default_value_t = 0.0)]
    pub omit: f64,
    /// Socket buffer size (K/M/G suffixes, 1024s).
    #[arg(short = 'w', long = "window", value_name = "N[KMG]")]
    pub window: Option<String>,
    /// TCP congestion control algorithm (both ends).
    #[arg(short = 'C', long = "congestion", value_name = "ALGO")]
    pub congestion: Option<String>,
    /// TCP_NODELAY.
    #[arg(short = 'N', long = "no-delay")]
    pub nodelay: bool,
    /// TCP maximum segment size.
    #[arg(short = 'M', long = "set-mss", value_name = "BYTES")]
    pub mss: Option<u32>,
    /// Zero copy: TCP sends with sendfile(2) from an in-memory file instead of write(2).
    #[arg(short = 'Z', long = "zerocopy")]
    pub zerocopy: bool,
    /// 64-bit UDP counters.
    #[arg(long = "udp-counters-64bit")]
    pub udp64: bool,
    /// Seconds to wait for the connection, for each of the server's control-channel answers,
    /// and for the whole results exchange (the server's results JSON: at most 1 MiB, all of it
    /// within this time, however it trickles in).
    #[arg(
        long = "connect-timeout",
        default_value_t = 10.0,
        value_name = "SECONDS"
    )]
    pub connect_timeout: f64,
    /// JSON output like iperf3 -J.
    #[arg(short = 'J')]
    pub json_short: bool,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "v6")]
    pub v4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub v6: bool,
}

fn size(s: &Option<String>, what: &str, base: f64) -> anyhow::Result<u64> {
    match s {
        None => Ok(0),
        Some(v) => proto::parse_suffixed(v, base)
            .map(|f| f as u64)
            .ok_or_else(|| {
                usage(format!(
                    "{what} '{v}': expected a number with an optional K/M/G suffix"
                ))
            }),
    }
}

/// Runs a perf command in the (already entered) target.
pub fn run(command: &PerfCommand, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let PerfCommand::Perf(cmd) = command;
    match cmd {
        PerfSubcommand::Server(a) => server(a, out),
        PerfSubcommand::Client(a) => client(a, target, out),
    }
}

fn client(a: &ClientArgs, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let json = out.json || a.json_short;
    for (v, w) in [
        (a.time, "-t"),
        (a.interval, "-i"),
        (a.omit, "-O"),
        (a.connect_timeout, "--connect-timeout"),
    ] {
        crate::args::seconds(v, w, false)?;
    }
    if a.parallel == 0 || a.parallel > 128 {
        return Err(usage(format!(
            "-P {}: between 1 and 128 streams",
            a.parallel
        )));
    }
    let len = size(&a.length, "-l", 1024.0)? as usize;
    if a.udp && len > 0 && len < 16 {
        return Err(usage(format!(
            "-l {len}: a UDP datagram needs at least 16 bytes for iperf3's header"
        )));
    }
    // iperf3's own client bounds, checked before connecting (an iperf3 server hangs up on a
    // larger block without saying why, and refuses a longer test with only an error number).
    if a.time > netshoot_perf::server::MAX_TIME {
        return Err(usage(format!(
            "-t {}: a test lasts at most {} s (iperf3's bound)",
            a.time,
            netshoot_perf::server::MAX_TIME
        )));
    }
    if a.udp && len > 65_507 {
        return Err(usage(format!(
            "-l {len}: a UDP datagram holds at most 65507 bytes (iperf3's bound)"
        )));
    }
    if !a.udp && len > 1 << 20 {
        return Err(usage(format!(
            "-l {len}: a TCP block is at most 1M (1048576 bytes, iperf3's bound)"
        )));
    }
    let spec = Spec {
        udp: a.udp,
        time: a.time,
        bytes: size(&a.bytes, "-n", 1024.0)?,
        blocks: size(&a.blocks, "-k", 1024.0)?,
        omit: a.omit,
        parallel: a.parallel,
        reverse: a.reverse,
        bidir: a.bidir,
        window: size(&a.window, "-w", 1024.0)?,
        len: if len > 0 {
            len
        } else if a.udp {
            1460
        } else {
            128 * 1024
        },
        rate: match &a.bitrate {
            Some(_) => size(&a.bitrate, "-b", 1000.0)?,
            None if a.udp => 1_000_000,
            None => 0,
        },
        nodelay: a.nodelay,
        mss: a.mss.unwrap_or(0),
        congestion: a.congestion.clone(),
        udp64: a.udp64,
        zerocopy: a.zerocopy,
        // The server's senders never use sendfile(2) (iperf3's do not either).
        peer_zerocopy: false,
    };
    let ip = crate::args::host(&a.host, target, crate::args::family(a.v4, a.v6))?;
    let opts = ClientOptions {
        host: a.host.clone(),
        addr: SocketAddr::new(ip, a.port),
        spec,
        interval: a.interval,
        timeout: Duration::from_secs_f64(a.connect_timeout.max(0.1)),
    };
    let stop = crate::interrupt::flag();
    let mut lines = Lines::new(!json);
    let outcome = match netshoot_perf::client::run(&opts, &stop, &mut |e| lines.event(e)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("netshoot: perf client: {e}");
            return Ok(e.exit_code());
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&outcome, &a.host, a.port))?
        );
    } else {
        for l in summary_lines(&outcome) {
            println!("{l}");
        }
    }
    Ok(match outcome.ending {
        Ending::Done | Ending::Interrupted => 0,
        Ending::PeerTerminated | Ending::PeerLost(_) => 1,
    })
}

fn server(a: &ServerArgs, out: &Output) -> anyhow::Result<i32> {
    let json = out.json || a.json_short;
    crate::args::seconds(a.interval, "-i", false)?;
    crate::args::seconds(a.max_duration, "--max-duration", false)?;
    if a.max_duration > netshoot_perf::server::MAX_TIME {
        return Err(usage(format!(
            "--max-duration {}: at most {} s (iperf3's longest test)",
            a.max_duration,
            netshoot_perf::server::MAX_TIME
        )));
    }
    if !(a.setup_timeout.is_finite() && a.setup_timeout > 0.0 && a.setup_timeout <= 3600.0) {
        return Err(usage(format!(
            "--setup-timeout {}: a number of seconds above 0, at most 3600",
            a.setup_timeout
        )));
    }
    if a.max_streams == 0 {
        return Err(usage("--max-streams 0: at least 1"));
    }
    let max_block = size(&Some(a.max_block.clone()), "--max-block", 1024.0)?;
    if max_block == 0 || max_block > 1 << 30 {
        return Err(usage(format!(
            "--max-block {}: between 1 and 1G",
            a.max_block
        )));
    }
    let max_buffers = size(&Some(a.max_buffers.clone()), "--max-buffers", 1024.0)?;
    let max_bitrate = match &a.max_bitrate {
        Some(_) => Some(size(&a.max_bitrate, "--max-bitrate", 1000.0)?),
        None => None,
    };
    let opts = ServerOptions {
        port: a.port,
        bind: a.bind,
        one_off: a.one_off,
        interval: a.interval,
        timeout: Duration::from_secs_f64(a.setup_timeout),
        limits: netshoot_perf::server::Limits {
            max_streams: a.max_streams,
            max_block: max_block as usize,
            max_buffers,
            max_duration: a.max_duration,
            max_udp_bitrate: max_bitrate.unwrap_or(netshoot_perf::server::MAX_UDP_BITRATE),
            max_tcp_bitrate: max_bitrate.unwrap_or(0),
        },
    };
    let stop = crate::interrupt::flag();
    let mut lines = Lines::new(!json);
    let mut on_event = |e: &Event| match e {
        Event::Finished { outcome: o } if json => {
            if let Ok(s) = serde_json::to_string_pretty(&to_json(o, &o.peer, a.port)) {
                println!("{s}");
            }
        }
        Event::Finished { outcome: o } => {
            for l in summary_lines(o) {
                lines.line(&l);
            }
            if let Ending::PeerLost(w) = &o.ending {
                lines.error(&format!("test cut short: {w}"));
            }
        }
        e => lines.event(e),
    };
    match netshoot_perf::server::serve(&opts, &stop, &mut on_event) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("netshoot: perf server: {e}");
            Ok(e.exit_code())
        }
    }
}
