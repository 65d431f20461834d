//! The probes room: `ping` (and the other active probes as they land), run from inside the
//! (already entered) target.

use clap::Subcommand;
use netshoot_ns::Target;

use crate::render::Output;

/// Probe commands.
#[derive(Debug, Subcommand)]
pub enum ProbeCommand {
    /// ICMP echo like iputils ping; several hosts or a CIDR at once like fping.
    #[command(after_help = "\
Exit status: 0 when every host answered, 1 when one did not, 2 for bad input.

Examples:
  netshoot -t web ping -c 3 db                 three echoes from container web to db
  netshoot -t web ping -c 1 -s 1472 -M do 10.0.1.5   does a full-size packet pass with DF?
  netshoot -t web ping -c 2 -a 10.0.1.0/24     which addresses of the subnet answer (fping -a -g)
  netshoot ping -c 5 -i 0.2 10.0.0.2 --json")]
    Ping(crate::cmd::ping::PingArgs),

    /// Connect to HOST PORT like netcat: -z only checks (open / refused / timeout), else
    /// stdin goes to the peer and the peer's bytes to stdout.
    #[command(after_help = "\
Exit status: 0 connected (every port with -z), 1 refused / timed out / unreachable.

Examples:
  netshoot -t web connect -z db 5432            nc -vz db 5432
  netshoot -t web connect -z 10.0.1.5 8000-8010 a small range
  netshoot -t web connect -zu dns 53            UDP: refused, or open|filtered
  echo ping | netshoot -t web connect -q 1 cache 6379")]
    Connect(crate::cmd::nc::ConnectArgs),

    /// Listen on PORT like nc -l: print what arrives, send stdin back; -k for more than one
    /// connection, -u for UDP.
    #[command(after_help = "\
Examples:
  netshoot -t web listen 8080                    is anything reaching container web on 8080?
  netshoot -t web listen -k -s 0.0.0.0 8080
  netshoot -t web listen -u 5353")]
    Listen(crate::cmd::nc::ListenArgs),

    /// Traffic generator: send a line to HOST PORT every interval, or --listen and count what
    /// arrives; both sides print running counts.
    #[command(after_help = "\
Examples:
  netshoot -t db netgen --listen 9000            one side
  netshoot -t web netgen db 9000 -i 0.5          the other: a message every half second")]
    Netgen(crate::cmd::nc::NetgenArgs),

    /// Port scan like nmap: -sT connect, -sS SYN (raw sockets, default as root), -sU UDP;
    /// states open / closed / filtered as nmap defines them.
    #[command(after_help = "\
Concurrency comes from RLIMIT_NOFILE (raised to its hard limit); the reply timeout adapts to the
round trips seen. A CIDR larger than a /16 needs --force.

Examples:
  netshoot -t web scan db -p 5432,6379          is the port open, closed or filtered from web?
  netshoot -t web scan -sT -p 12376-12390 10.0.1.5
  netshoot scan -p- 10.0.0.2 --open             all 65,535 TCP ports, open ones only
  netshoot -t web scan -sU -p 53,123 dns")]
    Scan(crate::cmd::scan::ScanArgs),

    /// The routers on the way, like traceroute -n (UDP; -I ICMP; -T TCP SYN like
    /// tcptraceroute); --report gives mtr's per-hop loss and latency.
    #[command(after_help = "\
Exit status: 0 when the destination answered, 1 when it did not within the hops.

Examples:
  netshoot -t web trace db                       which routers lie between web and db
  netshoot -t web trace -T -p 443 api            past a firewall that only lets TCP 443 through
  netshoot -t web trace --report -c 20 10.0.9.9  loss and latency per hop (mtr --report)")]
    Trace(crate::cmd::trace::TraceArgs),

    /// An HTTP request like curl (HTTP/1.1 and HTTP/2), with the TLS session and certificate
    /// chain like openssl s_client -showcerts and a timing breakdown like curl -w.
    #[command(after_help = "\
The body goes to stdout (or -o FILE); -v traces the exchange on stderr like curl -v. Names are
resolved through the target's resolv.conf and hosts.

Exit status: 0 a response arrived (1 with -f and a status >= 400), 1 resolve / connect / TLS /
protocol failure, 2 bad input.

Examples:
  netshoot -t web http http://api:8080/healthz          does web reach the API?
  netshoot -t web http -I --timing https://api/         head, and where the time goes
  netshoot -t web http --showcerts -o /dev/null https://api/   the certificate chain
  netshoot http --resolve api.test:443:10.0.1.5 --cacert ca.pem https://api.test/
  netshoot http -s -o /dev/null -w '%{http_code} %{time_total}\\n' http://10.0.0.2/")]
    Http(crate::cmd::http::HttpArgs),
}

/// Runs a probe command.
pub fn run(cmd: &ProbeCommand, target: &Target, out: &Output) -> anyhow::Result<i32> {
    match cmd {
        ProbeCommand::Ping(a) => crate::cmd::ping::run(a, target, out),
        ProbeCommand::Connect(a) => crate::cmd::nc::connect(a, target, out),
        ProbeCommand::Listen(a) => crate::cmd::nc::listen(a, out),
        ProbeCommand::Netgen(a) => crate::cmd::nc::netgen(a, target, out),
        ProbeCommand::Scan(a) => crate::cmd::scan::run(a, target, out),
        ProbeCommand::Trace(a) => crate::cmd::trace::run(a, target, out),
        ProbeCommand::Http(a) => crate::cmd::http::run(a, target, out),
    }
}
