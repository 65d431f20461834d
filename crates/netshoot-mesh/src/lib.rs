//! netshoot's connectivity mesh: one instance per node or task probes every peer and serves what
//! it saw (see the README). [`serve`] runs an instance; [`fetch_gathered`] is what
//! `mesh status` asks.

pub mod probe;
pub mod render;
pub mod server;
pub mod state;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use render::{Gathered, Unreachable, View};
use state::State;

/// The port a mesh instance serves and is probed on, unless told otherwise.
pub const DEFAULT_PORT: u16 = 8944;
/// The most of a peer's view read when gathering.
pub const MAX_VIEW: usize = 4 << 20;

/// How an instance runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen (every address by default).
    pub bind: IpAddr,
    /// The mesh port: served here, probed on every peer.
    pub port: u16,
    /// Between rounds (each one jittered by ±10 %).
    pub interval: Duration,
    /// Each probe's deadline (also the discovery's and each peer's view's when gathering).
    pub timeout: Duration,
    /// Names whose addresses are peers, re-resolved every round (Swarm `tasks.SERVICE`, a
    /// Kubernetes headless Service).
    pub dns: Vec<String>,
    /// Peers named once: addresses or host names.
    pub peers: Vec<String>,
    /// The most peers probed (the rest are left out with a warning).
    pub max_peers: usize,
    /// Rounds kept per peer.
    pub history: usize,
    /// Measure the path MTU every this many rounds (0: never).
    pub mtu_every: u64,
    /// The largest packet the path MTU search starts from.
    pub mtu_max: u32,
    /// The resolv.conf and hosts file names are looked up with (the target's), read every round.
    pub resolv_conf: std::path::PathBuf,
    /// See `resolv_conf`.
    pub hosts: std::path::PathBuf,
}

impl Config {
    /// The resolver configuration and hosts text, as they are now.
    pub fn resolver(&self) -> (netshoot_dns::ResolvConf, Option<String>) {
        let conf = std::fs::read_to_string(&self.resolv_conf).unwrap_or_default();
        (
            netshoot_dns::ResolvConf::parse(&conf),
            std::fs::read_to_string(&self.hosts).ok(),
        )
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::from([0, 0, 0, 0]),
            port: DEFAULT_PORT,
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(2),
            dns: Vec::new(),
            peers: Vec::new(),
            max_peers: 256,
            history: 30,
            mtu_every: 6,
            mtu_max: 1500,
            resolv_conf: "/etc/resolv.conf".into(),
            hosts: "/etc/hosts".into(),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A factor in [0.9, 1.1) from the clock's nanoseconds: rounds of many instances started
/// together drift apart.
fn jitter() -> f64 {
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    0.9 + 0.2 * (x as f64 / (1u64 << 24) as f64)
}

/// The peers of this round: address → the names it was found by. Our own addresses are left
/// out (an address whose route back to itself has it as the source), and so are peers past
/// `max_peers`. Warnings say what could not be resolved.
pub fn discover(cfg: &Config) -> (BTreeMap<IpAddr, Vec<String>>, Vec<String>) {
    let (conf, hosts) = cfg.resolver();
    let mut found: BTreeMap<IpAddr, Vec<String>> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut add = |a: IpAddr, name: Option<&str>| {
        let names = found.entry(a).or_default();
        if let Some(n) = name {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_string());
            }
        }
    };
    for p in &cfg.peers {
        if let Ok(a) = p.parse::<IpAddr>() {
            add(a, None);
            continue;
        }
        match netshoot_dns::lookup_within(p, &conf, hosts.as_deref(), cfg.timeout, cfg.timeout) {
            Ok(l) if !l.addresses.is_empty() => {
                for a in l.addresses {
                    add(a, Some(p));
                }
            }
            Ok(_) => warnings.push(format!("peer {p}: no address")),
            Err(e) => warnings.push(format!("peer {p}: {e}")),
        }
    }
    for n in &cfg.dns {
        match netshoot_dns::lookup_within(n, &conf, hosts.as_deref(), cfg.timeout, cfg.timeout) {
            Ok(l) if !l.addresses.is_empty() => {
                for a in l.addresses {
                    add(a, Some(n));
                }
            }
            Ok(_) => warnings.push(format!("{n}: no address (no peers yet?)")),
            Err(e) => warnings.push(format!("{n}: {e}")),
        }
    }
    found.retain(|a, _| !is_self(*a));
    if found.len() > cfg.max_peers {
        warnings.push(format!(
            "{} peers found, {} probed (--max-peers)",
            found.len(),
            cfg.max_peers
        ));
        let keep: Vec<IpAddr> = found.keys().take(cfg.max_peers).copied().collect();
        found.retain(|a, _| keep.contains(a));
    }
    (found, warnings)
}

/// The local address packets to `peer` leave from (no packet is sent).
pub fn source_for(peer: IpAddr) -> Option<IpAddr> {
    netshoot_probe::scan::source_for(peer).ok()
}

/// Whether `a` is one of this namespace's own addresses.
fn is_self(a: IpAddr) -> bool {
    a.is_unspecified() || source_for(a) == Some(a)
}

/// One discovery and one round against every peer that is not still busy with the last one,
/// each peer on its own thread; returns without waiting for them.
pub fn tick(cfg: &Config, state: &Arc<Mutex<State>>) {
    let (found, warnings) = discover(cfg);
    let resolver = Arc::new(cfg.resolver());
    let instance = found.keys().next().and_then(|p| source_for(*p));
    let plans: Vec<(probe::Plan, Arc<std::sync::atomic::AtomicBool>)> = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        // A discovery that failed outright keeps the peers known: they do not vanish from the
        // matrix because the resolver was slow once.
        if !found.is_empty() || warnings.is_empty() {
            s.set_peers(found);
        }
        if instance.is_some() {
            s.instance = instance;
        }
        s.warnings = warnings;
        s.rounds += 1;
        s.peers
            .values()
            .filter(|p| !p.busy.swap(true, Ordering::SeqCst))
            .map(|p| {
                let mtu = cfg.mtu_every > 0 && (p.rounds % cfg.mtu_every == 0);
                (
                    probe::Plan {
                        peer: p.addr,
                        port: cfg.port,
                        name: p.names.first().cloned(),
                        resolver: resolver.clone(),
                        timeout: cfg.timeout,
                        mtu_from: mtu.then_some(cfg.mtu_max),
                    },
                    p.busy.clone(),
                )
            })
            .collect()
    };
    for (plan, busy) in plans {
        let state = state.clone();
        let keep = cfg.history;
        let spawned = std::thread::Builder::new()
            .name("mesh-probe".into())
            .stack_size(256 * 1024)
            .spawn({
                let busy = busy.clone();
                move || {
                    let r = probe::round(&plan, now_ms());
                    let now_s = now_ms() as f64 / 1000.0;
                    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(p) = s.peers.get_mut(&plan.peer) {
                        p.rounds += 1;
                        p.record(r, keep, now_s);
                    }
                    busy.store(false, Ordering::SeqCst);
                }
            });
        if spawned.is_err() {
            busy.store(false, Ordering::SeqCst);
        }
    }
}

/// Asks every peer of `state` for its view (each within `timeout`, all at once) and gathers
/// them with this instance's own.
pub fn gather(state: &Arc<Mutex<State>>, port: u16, timeout: Duration) -> Gathered {
    let (mine, peers): (View, Vec<IpAddr>) = {
        let s = state.lock().unwrap_or_else(|e| e.into_inner());
        (render::view(&s), s.peers.keys().copied().collect())
    };
    let got: Vec<Result<View, Unreachable>> = std::thread::scope(|sc| {
        let hs: Vec<_> = peers
            .iter()
            .map(|p| {
                sc.spawn(move || fetch_view(SocketAddr::new(*p, port), "/api/v1/mesh", timeout))
            })
            .collect();
        hs.into_iter()
            .zip(&peers)
            .map(|(h, p)| {
                h.join()
                    .unwrap_or_else(|_| Err("the gathering thread failed".into()))
                    .map_err(|error| Unreachable { addr: *p, error })
            })
            .collect()
    });
    let mut views = vec![mine];
    let mut unreachable = Vec::new();
    for g in got {
        match g {
            Ok(v) => views.push(v),
            Err(u) => unreachable.push(u),
        }
    }
    render::gather(views, unreachable)
}

fn fetch_view(addr: SocketAddr, path: &str, timeout: Duration) -> Result<View, String> {
    let (code, body) = probe::http_get_capped(addr, path, timeout, MAX_VIEW)?;
    if code != 200 {
        return Err(format!("HTTP {code}"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("not a mesh view: {e}"))
}

/// `GET URL/api/v1/mesh?all=1` of a running instance (`mesh status`): the gathered matrix.
pub fn fetch_gathered(addr: SocketAddr, timeout: Duration) -> Result<Gathered, String> {
    let (code, body) = probe::http_get_capped(addr, "/api/v1/mesh?all=1", timeout, MAX_VIEW * 4)?;
    if code != 200 {
        return Err(format!("HTTP {code} from {addr}"));
    }
    serde_json::from_slice(&body)
        .map_err(|e| format!("{addr} did not answer with a mesh matrix: {e}"))
}

/// Runs an instance: binds the mesh port (the error is the caller's to report), then probes on
/// a thread of its own and serves on this one. Returns only on error.
pub fn serve(cfg: Config) -> std::io::Result<()> {
    let listener = TcpListener::bind(SocketAddr::new(cfg.bind, cfg.port))?;
    let state = Arc::new(Mutex::new(State::default()));
    let state_for_gather = state.clone();
    {
        let (cfg, state) = (cfg.clone(), state.clone());
        std::thread::Builder::new()
            .name("mesh-rounds".into())
            .spawn(move || loop {
                let start = Instant::now();
                tick(&cfg, &state);
                let wait = cfg.interval.mul_f64(jitter());
                std::thread::sleep(wait.saturating_sub(start.elapsed()));
            })?;
    }
    let (port, timeout, refresh) = (cfg.port, cfg.timeout, cfg.interval.as_secs().max(1));
    // One gathering at a time, its result reused for a second: requests to `/` or `?all=1`
    // never multiply into a storm of requests to every peer.
    let gathered: Mutex<Option<(Instant, Gathered)>> = Mutex::new(None);
    let gathered_now = move || {
        let mut g = gathered.lock().unwrap_or_else(|e| e.into_inner());
        match g.as_ref() {
            Some((at, v)) if at.elapsed() < Duration::from_secs(1) => v.clone(),
            _ => {
                let v = gather(&state_for_gather, port, timeout);
                *g = Some((Instant::now(), v.clone()));
                v
            }
        }
    };
    server::serve(listener, move |target| {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let all = query.split('&').any(|q| q == "all=1" || q == "all=true");
        match path {
            "/healthz" => (200, "text/plain", b"ok\n".to_vec()),
            "/metrics" => {
                let s = state.lock().unwrap_or_else(|e| e.into_inner());
                (
                    200,
                    "text/plain; version=0.0.4",
                    render::metrics(&s).into_bytes(),
                )
            }
            "/api/v1/mesh" if all => (
                200,
                "application/json",
                serde_json::to_vec(&gathered_now()).unwrap_or_default(),
            ),
            "/api/v1/mesh" => {
                let v = render::view(&state.lock().unwrap_or_else(|e| e.into_inner()));
                (
                    200,
                    "application/json",
                    serde_json::to_vec(&v).unwrap_or_default(),
                )
            }
            "/" => (
                200,
                "text/html; charset=utf-8",
                render::page(&gathered_now(), refresh).into_bytes(),
            ),
            _ => (
                404,
                "text/plain",
                b"not found: try /, /metrics, /api/v1/mesh, /healthz\n".to_vec(),
            ),
        }
    })
}
