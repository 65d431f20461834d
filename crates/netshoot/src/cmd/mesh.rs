//! `mesh serve` and `mesh status`: the command line of `netshoot_mesh` (the engine, its
//! server and its views live there).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::render::Output;

/// The `mesh` command (one entry of the CLI's commands).
#[derive(Debug, Subcommand)]
pub enum MeshCommand {
    /// A connectivity mesh: every instance probes every peer (TCP, HTTP /healthz, ICMP, DNS,
    /// path MTU) and serves Prometheus metrics, the JSON matrix and a heatmap page.
    #[command(subcommand)]
    Mesh(MeshSubcommand),
}

/// `mesh` subcommands.
#[derive(Debug, Subcommand)]
pub enum MeshSubcommand {
    /// Run one instance (one per node or task: a Swarm global service, a Kubernetes DaemonSet).
    #[command(after_help = "\
It serves on one port: / (the heatmap page of every pair, gathered from every peer), /metrics
(Prometheus text), /api/v1/mesh (this instance's view as JSON; ?all=1 gathers every peer's) and
/healthz. Peers are probed on that same port. It runs until stopped.

Examples:
  netshoot mesh serve --dns tasks.mesh                      Swarm: a global service named mesh
  netshoot mesh serve --dns mesh.default.svc.cluster.local  Kubernetes: a headless Service
  netshoot -t netns:a mesh serve --peers 10.0.0.2,10.0.0.3 --interval 2")]
    Serve(ServeArgs),

    /// Print the matrix of a running mesh (every instance's view, gathered by the one asked).
    #[command(after_help = "\
Exit status: 0 every pair is ok, 1 a pair fails or an instance did not answer, 2 the instance
could not be asked.

Examples:
  netshoot mesh status 10.0.1.5
  netshoot mesh status http://mesh:8944 --json | jq '.matrix[] | select(.ok|not)'")]
    Status(StatusArgs),
}

/// `mesh serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port served here and probed on every peer.
    #[arg(short, long, default_value_t = netshoot_mesh::DEFAULT_PORT)]
    pub port: u16,
    /// Listen on this address only (default: every address).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<IpAddr>,
    /// Names whose addresses are the peers, re-resolved every round (repeatable; Swarm
    /// `tasks.SERVICE`, a Kubernetes headless Service).
    #[arg(long, value_name = "NAME")]
    pub dns: Vec<String>,
    /// Peers by address or name, comma-separated (repeatable).
    #[arg(long, value_name = "HOST,…", value_delimiter = ',')]
    pub peers: Vec<String>,
    /// Seconds between rounds (each jittered by ±10 %).
    #[arg(long, default_value = "10", value_name = "SECS")]
    pub interval: f64,
    /// Each probe's deadline, seconds.
    #[arg(long, default_value = "2", value_name = "SECS")]
    pub timeout: f64,
    /// The most peers probed; the rest are left out with a warning.
    #[arg(long, default_value_t = 256)]
    pub max_peers: usize,
    /// Rounds kept per peer.
    #[arg(long, default_value_t = 30)]
    pub history: usize,
    /// Measure the path MTU every N rounds (0: never).
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub mtu_every: u64,
}

/// `mesh status` options.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// A running instance: `HOST`, `HOST:PORT` or `http://HOST[:PORT]`.
    pub url: String,
    /// Seconds to wait for its answer (it asks every peer, each within its own timeout).
    #[arg(long, default_value = "15", value_name = "SECS")]
    pub timeout: f64,
}

fn secs(v: f64, flag: &str) -> anyhow::Result<Duration> {
    if !(v.is_finite() && v > 0.0 && v <= 86_400.0) {
        return Err(crate::args::usage(format!(
            "--{flag} {v}: give seconds between 0 and 86400 (e.g. --{flag} 2.5)"
        )));
    }
    Ok(Duration::from_secs_f64(v))
}

/// Runs `mesh serve` or `mesh status`, inside the target already entered.
pub fn run(c: &MeshCommand, target: &netshoot_ns::Target, out: &Output) -> anyhow::Result<i32> {
    let MeshCommand::Mesh(sub) = c;
    match sub {
        MeshSubcommand::Serve(a) => serve(a, target),
        MeshSubcommand::Status(a) => status(a, out),
    }
}

fn serve(a: &ServeArgs, target: &netshoot_ns::Target) -> anyhow::Result<i32> {
    if a.dns.is_empty() && a.peers.is_empty() {
        return Err(crate::args::usage(
            "mesh serve needs peers: --dns NAME (e.g. tasks.SERVICE) or --peers HOST,…",
        ));
    }
    let cfg = netshoot_mesh::Config {
        bind: a.bind.unwrap_or(IpAddr::from([0, 0, 0, 0])),
        port: a.port,
        interval: secs(a.interval, "interval")?,
        timeout: secs(a.timeout, "timeout")?,
        dns: a.dns.clone(),
        peers: a.peers.iter().filter(|p| !p.is_empty()).cloned().collect(),
        max_peers: a.max_peers.max(1),
        history: a.history.clamp(1, 10_000),
        mtu_every: a.mtu_every,
        mtu_max: 1500,
        // Names are looked up as the target looks them up (its resolv.conf and hosts, read
        // every round from where the target keeps them).
        resolv_conf: target
            .resolv_conf_path
            .clone()
            .unwrap_or_else(|| "/etc/resolv.conf".into()),
        hosts: target
            .resolv_conf_path
            .as_ref()
            .map(|p| p.with_file_name("hosts"))
            .filter(|p| p.exists())
            .unwrap_or_else(|| "/etc/hosts".into()),
    };
    eprintln!(
        "mesh: serving on port {} (/, /metrics, /api/v1/mesh, /healthz), a round every {} s",
        cfg.port,
        cfg.interval.as_secs_f64()
    );
    netshoot_mesh::serve(cfg).map_err(|e| {
        anyhow::Error::new(e).context(format!(
            "cannot serve the mesh on port {} (another instance there? choose one with --port)",
            a.port
        ))
    })?;
    Ok(0)
}

/// `HOST`, `HOST:PORT`, `http://HOST[:PORT][/…]` → the instance's address.
fn instance(url: &str) -> anyhow::Result<SocketAddr> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let hostport = rest.split('/').next().unwrap_or(rest);
    let with_port = if hostport.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{hostport}]:{}", netshoot_mesh::DEFAULT_PORT)
    } else if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:{}", netshoot_mesh::DEFAULT_PORT)
    };
    with_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            crate::args::usage(format!(
                "mesh status {url}: not an instance address (give HOST, HOST:PORT or http://HOST:PORT)"
            ))
        })
}

fn status(a: &StatusArgs, out: &Output) -> anyhow::Result<i32> {
    let addr = instance(&a.url)?;
    let g = netshoot_mesh::fetch_gathered(addr, secs(a.timeout, "timeout")?)
        .map_err(|e| anyhow::anyhow!("mesh status: {e}"))?;
    let ok = g.all_ok();
    out.emit(&g, |g| {
        crate::render::safe_text(&netshoot_mesh::render::table(g))
    })?;
    Ok(if ok { 0 } else { 1 })
}
