//! `scan`: nmap-style port scans of a host or a CIDR: TCP connect (`-sT`, no privilege), SYN
//! (`-sS`, raw sockets) and UDP (`-sU`, best effort), with nmap's port states.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use clap::Args;
use netshoot_ns::Target;
use netshoot_probe::scan::{self, PortResult, PortState, ScanOptions};
use serde::Serialize;

use crate::render::Output;

/// Ports scanned when `-p` is not given: common services, and the ones Docker, Swarm and
/// Kubernetes use.
pub const COMMON: &[u16] = &[
    7, 21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 123, 135, 139, 143, 161, 179, 389, 443, 445, 465,
    514, 515, 543, 544, 548, 554, 587, 631, 636, 873, 993, 995, 1025, 1080, 1433, 1521, 1723, 1883,
    2049, 2121, 2375, 2376, 2377, 2379, 2380, 3000, 3128, 3268, 3306, 3389, 4222, 4369, 4443, 4789,
    5000, 5001, 5044, 5060, 5353, 5432, 5601, 5672, 5900, 5984, 6000, 6379, 6443, 6789, 7000, 7001,
    7077, 7199, 7946, 8000, 8008, 8009, 8080, 8081, 8088, 8443, 8500, 8888, 9000, 9042, 9090, 9092,
    9093, 9100, 9200, 9300, 9418, 10250, 10255, 10256, 11211, 15672, 27017,
];

/// A service name for `port` (netshoot's short list, for when no services file is there).
pub fn service(port: u16, udp: bool) -> &'static str {
    match (port, udp) {
        (21, _) => "ftp",
        (22, _) => "ssh",
        (23, _) => "telnet",
        (25, _) => "smtp",
        (53, _) => "domain",
        (67, true) => "dhcps",
        (80, _) => "http",
        (110, _) => "pop3",
        (111, _) => "rpcbind",
        (123, _) => "ntp",
        (143, _) => "imap",
        (161, _) => "snmp",
        (179, _) => "bgp",
        (389, _) => "ldap",
        (443, _) => "https",
        (445, _) => "microsoft-ds",
        (514, true) => "syslog",
        (587, _) => "submission",
        (636, _) => "ldapssl",
        (993, _) => "imaps",
        (995, _) => "pop3s",
        (1883, _) => "mqtt",
        (2049, _) => "nfs",
        (2375, _) => "docker",
        (2376, _) => "docker-s",
        (2377, _) => "swarm",
        (2379, _) => "etcd-client",
        (2380, _) => "etcd-server",
        (3306, _) => "mysql",
        (3389, _) => "ms-wbt-server",
        (4789, true) => "vxlan",
        (5353, true) => "mdns",
        (5432, _) => "postgresql",
        (5672, _) => "amqp",
        (5900, _) => "vnc",
        (6379, _) => "redis",
        (6443, _) => "sun-sr-https",
        (7946, _) => "swarm-gossip",
        (8080, _) => "http-proxy",
        (8443, _) => "https-alt",
        (9090, _) => "zeus-admin",
        (9092, _) => "kafka",
        (9200, _) => "elasticsearch",
        (10250, _) => "kubelet",
        (11211, _) => "memcache",
        (27017, _) => "mongod",
        _ => "unknown",
    }
}

/// `scan` options (nmap's letters).
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Hosts: addresses, names (resolved in the target), or CIDRs.
    #[arg(required = true, value_name = "HOST|CIDR")]
    pub hosts: Vec<String>,
    /// Ports: `22,80,8000-8100`, `-` for all 65,535 (default: ~100 common ones).
    #[arg(short = 'p', value_name = "PORTS", allow_hyphen_values = true)]
    pub ports: Option<String>,
    /// Scan type: `T` connect (no privilege), `S` SYN (raw sockets; the default as root), `U`
    /// UDP. Written as nmap does: -sT, -sS, -sU.
    #[arg(short = 's', value_parser = ["T", "S", "U"], value_name = "TYPE")]
    pub kind: Option<String>,
    /// Show only open (and open|filtered) ports.
    #[arg(long)]
    pub open: bool,
    /// Longest wait for an answer, in milliseconds (it adapts down to what the host shows).
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub max_rtt_timeout: u64,
    /// Accept a CIDR larger than /16.
    #[arg(long)]
    pub force: bool,
    /// nmap's timing template (accepted; the scan adapts by itself).
    #[arg(short = 'T', value_name = "0-5", hide = true)]
    pub timing: Option<u8>,
    /// Skip host discovery (accepted: netshoot never pings first).
    #[arg(long = "Pn", hide = true)]
    pub no_ping: bool,
    /// Numeric only (accepted: netshoot never resolves addresses back).
    #[arg(short = 'n', hide = true)]
    pub numeric: bool,
}

/// One host's results.
#[derive(Debug, Serialize)]
pub struct HostScan {
    /// What was asked for.
    pub host: String,
    /// Its address.
    pub address: IpAddr,
    /// `connect`, `syn` or `udp`.
    pub kind: &'static str,
    /// Every scanned port.
    pub ports: Vec<PortResult>,
    /// Seconds the host took.
    pub seconds: f64,
}

/// The hosts of `args` (CIDRs expanded, names resolved in the target), in order.
pub fn targets(args: &ScanArgs, target: &Target) -> anyhow::Result<Vec<(String, IpAddr)>> {
    crate::args::hosts(&args.hosts, args.force, target, netshoot_dns::Family::Any)
}

/// The scan kind of `args`: `connect`, `syn` (the default as root) or `udp`.
pub fn kind(args: &ScanArgs) -> &'static str {
    let root = nix::unistd::geteuid().is_root();
    match args.kind.as_deref() {
        Some("T") => "connect",
        Some("S") => "syn",
        Some("U") => "udp",
        _ if root => "syn",
        _ => "connect",
    }
}

/// A SYN scan's raw sockets, opened once before any host (`kind` `syn` with an IPv4 host),
/// after which the calling thread keeps no capability: the replies of hostile hosts are parsed
/// without privileges. None for the other kinds.
pub fn open_syn_and_drop_privileges(
    hosts: &[(String, IpAddr)],
    kind: &str,
) -> anyhow::Result<Option<scan::SynSockets>> {
    if kind != "syn" || !hosts.iter().any(|(_, ip)| ip.is_ipv4()) {
        return Ok(None);
    }
    let s = scan::SynSockets::open().map_err(|e| anyhow!("{e}"))?;
    crate::privs::drop_all_but(&[])?;
    Ok(Some(s))
}

/// Scans `ports` of every host with `kind` (see [`kind`]), one host after the other, with a
/// progress bar on a terminal. A SYN scan uses `syn`'s sockets when given
/// ([`open_syn_and_drop_privileges`]), else opens its own for each host.
pub fn scan_hosts(
    hosts: &[(String, IpAddr)],
    ports: &[u16],
    kind: &'static str,
    syn: Option<&scan::SynSockets>,
    max_rtt_timeout_ms: u64,
    udp_payloads: std::collections::HashMap<u16, Vec<u8>>,
) -> anyhow::Result<Vec<HostScan>> {
    // A progress bar on a terminal for scans that take more than a second.
    let bar = std::sync::Arc::new(std::sync::Mutex::new(crate::progress::Progress::new(
        "scan",
    )));
    let hook_bar = bar.clone();
    let progress = scan::ProgressHook(Some(std::sync::Arc::new(std::sync::Mutex::new(
        move |done: usize, total: usize| {
            if let Ok(mut b) = hook_bar.lock() {
                b.count(done as u64, total as u64);
            }
        },
    ))));
    let opts = ScanOptions {
        max_timeout: Duration::from_millis(max_rtt_timeout_ms.max(10)),
        min_timeout: Duration::from_millis(100.min(max_rtt_timeout_ms.max(10))),
        progress,
        udp_payloads,
        ..ScanOptions::default()
    };
    let mut results = Vec::new();
    for (h, ip) in hosts {
        let t0 = Instant::now();
        let ports = match kind {
            "syn" if ip.is_ipv4() => match syn {
                Some(socks) => scan::syn_scan_with(socks, *ip, ports, &opts),
                None => scan::syn_scan(*ip, ports, &opts),
            }
            .map_err(|e| anyhow!("{e}"))?,
            "syn" => bail!("the SYN scan is IPv4 only here: use -sT for {ip}"),
            "udp" => scan::udp_scan(*ip, ports, &opts),
            _ => scan::connect_scan(*ip, ports, &opts),
        };
        if let Ok(mut b) = bar.lock() {
            b.finish();
        }
        results.push(HostScan {
            host: h.clone(),
            address: *ip,
            kind,
            ports,
            seconds: t0.elapsed().as_secs_f64(),
        });
    }
    Ok(results)
}

/// Runs `scan` in the (already entered) target.
pub fn run(args: &ScanArgs, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let ports = match &args.ports {
        Some(p) => crate::args::port_list(p)?,
        None => COMMON.to_vec(),
    };
    let hosts = targets(args, target)?;
    let started = Instant::now();
    let kind = kind(args);
    let syn = open_syn_and_drop_privileges(&hosts, kind)?;
    let results = scan_hosts(
        &hosts,
        &ports,
        kind,
        syn.as_ref(),
        args.max_rtt_timeout,
        Default::default(),
    )?;
    let total = started.elapsed().as_secs_f64();
    out.emit(&results, |rs| text(rs, args, total))?;
    Ok(0)
}

fn text(rs: &[HostScan], args: &ScanArgs, total: f64) -> String {
    let mut s = String::new();
    for r in rs {
        let udp = r.kind == "udp";
        let proto = if udp { "udp" } else { "tcp" };
        let _ = writeln!(
            s,
            "netshoot scan report for {} ({}), {} scan",
            r.host, r.address, r.kind
        );
        // As nmap: a state held by more than 25 ports is summarised, not listed.
        let mut counts: std::collections::BTreeMap<PortState, usize> = Default::default();
        for p in &r.ports {
            *counts.entry(p.state).or_default() += 1;
        }
        let hidden: Vec<PortState> = counts
            .iter()
            .filter(|(st, n)| {
                (**n > 25 && **st != PortState::Open)
                    || (args.open && !matches!(st, PortState::Open | PortState::OpenFiltered))
            })
            .map(|(st, _)| *st)
            .collect();
        for st in &hidden {
            let _ = writeln!(s, "Not shown: {} {} {proto} ports", counts[st], st.word());
        }
        let _ = writeln!(s, "{:<9} {:<13} SERVICE", "PORT", "STATE");
        for p in r.ports.iter().filter(|p| !hidden.contains(&p.state)) {
            let _ = writeln!(
                s,
                "{:<9} {:<13} {}",
                format!("{}/{proto}", p.port),
                p.state.word(),
                service(p.port, udp)
            );
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "netshoot scan done: {} host(s) scanned in {total:.2} seconds",
        rs.len()
    );
    s
}
