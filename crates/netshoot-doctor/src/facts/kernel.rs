//! The facts of the running system: the calls into netshoot-inspect, -ns, -probe and -dns that
//! the checks used to make themselves. Methods are called on the check threads, which are in the
//! target's namespace; facts of another namespace are read there with `in_namespace`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use netshoot_inspect::conntrack::ConntrackUsage;
use netshoot_inspect::firewall::{Chain, Decision, Packet};
use netshoot_inspect::peer::VethPeer;
use netshoot_inspect::{Family, Interface, Proto, Route, Table};
use netshoot_ns::docker::{
    ContainerInspect, Docker, NetworkInspect, ServiceInspect, SwarmInfo, SwarmNode,
};
use netshoot_ns::{Namespace, NamespaceKind, Target};
use netshoot_probe::{ConnectOutcome, EchoOutcome};

use super::{
    DnsAnswer, DnsFailure, DnsFailureKind, Facts, FwDecision, HostBridge, IpvsService, KubeTables,
    Link, LinkAddr, Neigh, OsError, Place, Resident, Resolved, RouteFact, Sock, TargetContainer,
    TargetFacts,
};

type Rules = Result<Arc<(Vec<Chain>, Vec<netshoot_inspect::firewall::Set>)>, OsError>;

/// Facts read from the kernel, the Docker engine and the network, for a target the calling
/// threads have entered.
pub struct KernelFacts {
    target: Target,
    namespaces: OnceLock<Option<Vec<Namespace>>>,
    docker: OnceLock<Option<Docker>>,
    rules: Mutex<HashMap<Place, Rules>>,
    kube: Mutex<HashMap<(Place, bool), Result<KubeTables, String>>>,
}

impl KernelFacts {
    /// Facts about `target` (already entered by the threads that ask).
    pub fn new(target: &Target) -> Self {
        KernelFacts {
            target: target.clone(),
            namespaces: OnceLock::new(),
            docker: OnceLock::new(),
            rules: Mutex::new(HashMap::new()),
            kube: Mutex::new(HashMap::new()),
        }
    }

    fn namespaces(&self) -> Option<&[Namespace]> {
        self.namespaces
            .get_or_init(|| netshoot_ns::list().ok().map(|(n, _)| n))
            .as_deref()
    }

    fn host(&self) -> Option<&Namespace> {
        self.namespaces()?
            .iter()
            .find(|n| n.kind == NamespaceKind::Host)
    }

    /// The namespace file of a place; `Ok(None)` for this one.
    fn path(&self, place: &Place) -> Result<Option<PathBuf>, String> {
        match place {
            Place::Here => Ok(None),
            Place::Host => self
                .host()
                .map(|n| Some(n.path.clone()))
                .ok_or_else(|| "the host namespace is not visible".to_string()),
            Place::Namespace(inode) => self
                .namespaces()
                .and_then(|ns| ns.iter().find(|n| n.inode == *inode))
                .map(|n| Some(n.path.clone()))
                .ok_or_else(|| format!("no namespace with inode {inode}")),
        }
    }

    /// Runs `f` in a place's namespace.
    fn at<T: Send + 'static>(
        &self,
        place: &Place,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        match self.path(place)? {
            None => Ok(f()),
            Some(p) => netshoot_ns::in_namespace(&p, f).map_err(|e| e.to_string()),
        }
    }

    fn engine(&self) -> Option<&Docker> {
        self.docker
            .get_or_init(|| Docker::from_env().ok().filter(|d| d.available()))
            .as_ref()
    }

    /// A place's rule set, read once per run.
    fn ruleset(&self, place: &Place) -> Rules {
        let mut cache = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = cache.get(place) {
            return r.clone();
        }
        // The named sets too, for lookups (none when they cannot be read).
        let read = || {
            netshoot_inspect::firewall::ruleset().map(|chains| {
                let sets = netshoot_inspect::firewall::sets().unwrap_or_default();
                (chains, sets)
            })
        };
        let r = match self.at(place, read) {
            Ok(Ok(rules)) => Ok(Arc::new(rules)),
            Ok(Err(e)) => Err(OsError::from(&e)),
            Err(why) => Err(OsError {
                errno: None,
                not_found: false,
                text: why,
            }),
        };
        cache.insert(place.clone(), r.clone());
        r
    }
}

fn link(i: Interface) -> Link {
    Link {
        index: i.index,
        addresses: i
            .addresses
            .iter()
            .map(|a| LinkAddr {
                address: a.address,
                text: a.to_string(),
            })
            .collect(),
        name: i.name,
        kind: i.kind,
        operstate: i.operstate,
        up: i.up,
        mtu: i.mtu,
        master: i.master,
    }
}

fn route(r: Route) -> RouteFact {
    RouteFact {
        text: r.to_string(),
        dst: r.dst,
        kind: r.kind,
        gateway: r.gateway,
        dev: r.dev,
        oif: r.oif,
        prefsrc: r.prefsrc,
    }
}

/// The evaluator's verdict word, read in this one place.
fn decision(d: Decision) -> FwDecision {
    FwDecision {
        verdict: d.verdict,
        by: d.by,
        policy: d.policy,
    }
}

fn interfaces_here() -> Result<Vec<Link>, String> {
    netshoot_inspect::interfaces()
        .map(|v| v.into_iter().map(link).collect())
        .map_err(|e| e.to_string())
}

impl Facts for KernelFacts {
    fn target(&self) -> TargetFacts {
        let t = &self.target;
        TargetFacts {
            label: t.label.clone(),
            resolv_conf: t.resolv_conf.clone(),
            resolv_conf_path: t.resolv_conf_path.as_ref().map(|p| p.display().to_string()),
            hosts: t.hosts.clone(),
            container: t.container.as_ref().map(|c| TargetContainer {
                id: c.id.clone(),
                name: c.name.clone(),
            }),
        }
    }

    fn target_gone(&self) -> Option<String> {
        // A target whose process ended mid-run (a stopped container) leaves only half-true facts.
        let pid = self.target.pid?;
        (!std::path::Path::new(&format!("/proc/{pid}")).exists())
            .then(|| format!("its process {pid} ended"))
    }

    fn interfaces(&self, place: &Place) -> Result<Vec<Link>, String> {
        self.at(place, interfaces_here)?
    }

    fn veth_peer(&self, name: &str) -> Option<VethPeer> {
        let mut ifs = netshoot_inspect::interfaces().ok()?;
        ifs.retain(|i| i.name == name && i.kind.as_deref() == Some("veth"));
        netshoot_inspect::resolve_peers(&mut ifs).ok()?;
        ifs.into_iter().next()?.peer
    }

    fn routes(&self) -> Result<Vec<RouteFact>, String> {
        netshoot_inspect::routes(Family::V4, Table::Main)
            .map(|v| v.into_iter().map(route).collect())
            .map_err(|e| e.to_string())
    }

    fn route_get(&self, dst: IpAddr) -> Result<RouteFact, OsError> {
        netshoot_inspect::route_get(dst)
            .map(route)
            .map_err(|e| OsError::from(&e))
    }

    fn resolve_neighbours(&self, hops: &[(IpAddr, String)], wait: Duration) -> Vec<Option<Neigh>> {
        // Ask the kernel to resolve each next hop: one empty datagram to the discard port.
        for (hop, _) in hops {
            let bind = if hop.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
            if let Ok(s) = UdpSocket::bind(bind) {
                let _ = s.send_to(&[], SocketAddr::new(*hop, 9));
            }
        }
        let deadline = Instant::now() + wait;
        let mut state: Vec<Option<Neigh>> = vec![None; hops.len()];
        loop {
            if let Ok(ns) = netshoot_inspect::neighbours(None) {
                for (i, (hop, dev)) in hops.iter().enumerate() {
                    state[i] = ns
                        .iter()
                        .find(|n| n.dst == *hop && &n.dev == dev)
                        .map(|n| Neigh {
                            state: n.state.clone(),
                            lladdr: n.lladdr.clone(),
                        });
                }
            }
            let pending = state.iter().any(|s| {
                s.as_ref()
                    .is_none_or(|n| matches!(n.state.as_str(), "INCOMPLETE" | "NONE"))
            });
            if !pending || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        state
    }

    fn conntrack(&self) -> Result<ConntrackUsage, OsError> {
        netshoot_inspect::conntrack::usage().map_err(|e| OsError::from(&e))
    }

    fn rules(&self, place: &Place) -> Result<(), OsError> {
        self.ruleset(place).map(|_| ())
    }

    fn decide(&self, place: &Place, hook: u32, pkt: &Packet) -> Result<FwDecision, OsError> {
        let rules = self.ruleset(place)?;
        Ok(decision(netshoot_inspect::firewall::decide_with_sets(
            &rules.0, &rules.1, hook, pkt,
        )))
    }

    fn sockets(
        &self,
        place: &Place,
        tcp: bool,
        udp: bool,
        with_processes: bool,
    ) -> Result<Vec<Sock>, String> {
        let socks = self
            .at(place, move || {
                netshoot_inspect::sockets(tcp, udp, with_processes)
            })?
            .map_err(|e| e.to_string())?;
        Ok(socks
            .into_iter()
            .filter(|s| s.proto != Proto::Raw)
            .map(|s| Sock {
                tcp: s.proto == Proto::Tcp,
                listening: s.is_listening(),
                local: s.local,
                local_port: s.local_port,
                processes: s
                    .processes
                    .into_iter()
                    .map(|o| (o.command, o.pid))
                    .collect(),
            })
            .collect())
    }

    fn resident(&self, ip: IpAddr) -> Result<Option<Resident>, String> {
        let namespaces = self
            .namespaces()
            .ok_or_else(|| "the namespaces on this host could not be listed".to_string())?;
        Ok(namespaces.iter().find_map(|ns| {
            let dev = netshoot_ns::in_namespace(&ns.path, move || {
                netshoot_inspect::interfaces()
                    .ok()?
                    .into_iter()
                    .find(|i| i.addresses.iter().any(|a| a.address == ip))
                    .map(|i| i.name)
            })
            .ok()
            .flatten()?;
            Some(Resident {
                inode: ns.inode,
                target: ns.target.clone(),
                owner: netshoot_inspect::peer::describe(ns),
                dev,
            })
        }))
    }

    fn host_visible(&self) -> bool {
        self.host().is_some()
    }

    fn host_bridge(&self, dev: &str) -> Option<HostBridge> {
        let peer = self.veth_peer(dev)?;
        let host = self.host()?;
        if peer.netns_inode != Some(host.inode) {
            return None;
        }
        let peer_index = peer.index;
        let (bridge, nf_call_iptables) = netshoot_ns::in_namespace(&host.path, move || {
            let ifs = netshoot_inspect::interfaces().ok()?;
            let port = ifs.iter().find(|i| i.index == peer_index)?;
            let br = ifs
                .iter()
                .find(|i| Some(i.index) == port.master)?
                .name
                .clone();
            let nf = std::fs::read_to_string("/proc/sys/net/bridge/bridge-nf-call-iptables")
                .map(|s| s.trim() == "1")
                .unwrap_or(false);
            Some((br, nf))
        })
        .ok()??;
        Some(HostBridge {
            bridge,
            port: peer.name,
            nf_call_iptables,
        })
    }

    fn ping(
        &self,
        dst: IpAddr,
        size: usize,
        df: bool,
        timeout: Duration,
    ) -> Result<EchoOutcome, String> {
        // The doctor's one ICMP echo.
        netshoot_probe::ping_once(dst, size, df, None, timeout).map_err(|e| e.to_string())
    }

    fn connect(&self, dst: SocketAddr, timeout: Duration) -> ConnectOutcome {
        netshoot_probe::tcp_connect(dst, timeout)
    }

    fn dns_query(
        &self,
        server: SocketAddr,
        name: &str,
        tcp: bool,
        timeout: Duration,
    ) -> Result<DnsAnswer, DnsFailure> {
        use netshoot_dns::DnsError;
        netshoot_dns::query(server, name, netshoot_dns::RecordType::A, tcp, timeout)
            .map(|a| DnsAnswer {
                rcode: a.rcode,
                elapsed_us: a.elapsed_us,
            })
            .map_err(|e| DnsFailure {
                kind: match &e {
                    DnsError::Timeout { after, .. } => DnsFailureKind::Timeout {
                        after_ms: after.as_millis() as u64,
                    },
                    DnsError::Refused { .. } => DnsFailureKind::Refused,
                    _ => DnsFailureKind::Other,
                },
                text: e.to_string(),
            })
    }

    fn lookup(&self, name: &str, timeout: Duration) -> Result<Resolved, String> {
        let conf =
            netshoot_dns::ResolvConf::parse(self.target.resolv_conf.as_deref().unwrap_or(""));
        netshoot_dns::lookup(name, &conf, self.target.hosts.as_deref(), timeout)
            .map(|l| Resolved {
                source: l.source,
                answered: l.answered,
                addresses: l.addresses,
                tried: l.tried,
            })
            .map_err(|e| e.to_string())
    }

    fn docker(&self) -> bool {
        self.engine().is_some()
    }

    fn container(&self, name: &str) -> Option<ContainerInspect> {
        self.engine()?.inspect_container(name).ok().flatten()
    }

    fn service(&self, name: &str) -> Option<ServiceInspect> {
        self.engine()?.inspect_service(name).ok().flatten()
    }

    fn network(&self, name: &str) -> Option<NetworkInspect> {
        self.engine()?.inspect_network(name).ok().flatten()
    }

    fn swarm(&self) -> Option<SwarmInfo> {
        self.engine()?.info().ok()?.swarm
    }

    fn nodes(&self) -> Vec<SwarmNode> {
        self.engine()
            .and_then(|d| d.nodes().ok())
            .unwrap_or_default()
    }

    fn ipvs(&self) -> bool {
        std::path::Path::new("/proc/net/ip_vs").exists()
    }

    fn kube_tables(&self, place: &Place, ipv6: bool) -> Result<KubeTables, String> {
        // Read once per run: the kube, listen and reach checks all ask.
        let mut cache = self.kube.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry((place.clone(), ipv6))
            .or_insert_with(|| {
                self.at(place, move || {
                    netshoot_inspect::kubeproxy::tables_here(ipv6)
                })?
                .map_err(|e| e.to_string())
            })
            .clone()
    }

    fn ipvs_services(&self, place: &Place) -> Result<Vec<IpvsService>, String> {
        // Asking for the IPVS generic netlink family makes the kernel load ip_vs when it can
        // (request_module): without the module there is no virtual service, and the doctor
        // changes nothing on the host.
        if !self.ipvs() {
            return Ok(Vec::new());
        }
        self.at(place, netshoot_inspect::ipvs::table)?
            .map(|t| t.services)
            .map_err(|e| e.to_string())
    }
}
