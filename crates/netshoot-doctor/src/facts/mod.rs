//! Facts: everything the checks read about the target, its namespace, the host and the network,
//! behind one trait. [`KernelFacts`] gathers them from the running system (netlink, sock_diag,
//! nf_tables, probes, DNS, the Docker engine); [`Recorder`] notes what another source returned;
//! [`Replay`] answers from such a [`Recording`] (JSON), so the checks, which only judge, run
//! without root or a live kernel.
//!
//! A fact is asked by method name and arguments; a recording keeps, per question, the answers in
//! the order they were given (the same echo sent three times may get three answers), and replays
//! the last one once they run out.

mod kernel;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use netshoot_dns::Tried;
use netshoot_inspect::conntrack::ConntrackUsage;
use netshoot_inspect::firewall::Packet;
use netshoot_inspect::peer::VethPeer;
use netshoot_ns::docker::{ContainerInspect, NetworkInspect, ServiceInspect, SwarmInfo, SwarmNode};
use netshoot_probe::{ConnectOutcome, EchoOutcome};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use kernel::KernelFacts;
pub use netshoot_inspect::ipvs::Service as IpvsService;
pub use netshoot_inspect::kubeproxy::Tables as KubeTables;

/// The target as the checks see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetFacts {
    /// Its label (`container:web`, `netns:x`, `current`).
    pub label: String,
    /// The text of its resolv.conf, when it has one.
    pub resolv_conf: Option<String>,
    /// Where that resolv.conf lives, for messages.
    pub resolv_conf_path: Option<String>,
    /// The text of its hosts file.
    pub hosts: Option<String>,
    /// The Docker container it is, when it is one.
    pub container: Option<TargetContainer>,
}

/// A target container.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetContainer {
    /// Full id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// An interface as the checks read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Link {
    /// ifindex.
    pub index: u32,
    /// Name.
    pub name: String,
    /// Driver kind (`veth`, `bridge`, …).
    pub kind: Option<String>,
    /// Operational state (`UP`, `DOWN`, `LOWERLAYERDOWN`, …).
    pub operstate: String,
    /// Administratively up.
    pub up: bool,
    /// MTU.
    pub mtu: Option<u32>,
    /// Master device index (a bridge port's bridge).
    pub master: Option<u32>,
    /// Addresses, as `ip addr` shows them.
    pub addresses: Vec<LinkAddr>,
}

/// One address on a [`Link`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkAddr {
    /// The address.
    pub address: IpAddr,
    /// With its prefix length (`10.0.0.1/24`).
    pub text: String,
}

impl Link {
    /// True when `ip` is one of its addresses.
    pub fn holds(&self, ip: IpAddr) -> bool {
        self.addresses.iter().any(|a| a.address == ip)
    }
}

/// A route, or the result of a route lookup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouteFact {
    /// `default`, a prefix, or the address looked up.
    pub dst: String,
    /// The `ip route` line.
    pub text: String,
    /// Route type when not plain unicast (`local`, `unreachable`, …).
    pub kind: Option<String>,
    /// Next hop.
    pub gateway: Option<IpAddr>,
    /// Output device name.
    pub dev: Option<String>,
    /// Output device index.
    pub oif: Option<u32>,
    /// Preferred source address.
    pub prefsrc: Option<IpAddr>,
}

impl std::fmt::Display for RouteFact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// An OS error as the checks tell them apart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OsError {
    /// errno, when the error came from the OS.
    pub errno: Option<i32>,
    /// True for `ErrorKind::NotFound`.
    pub not_found: bool,
    /// The message.
    pub text: String,
}

impl From<&std::io::Error> for OsError {
    fn from(e: &std::io::Error) -> Self {
        OsError {
            errno: e.raw_os_error(),
            not_found: e.kind() == std::io::ErrorKind::NotFound,
            text: e.to_string(),
        }
    }
}

impl std::fmt::Display for OsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A neighbour entry's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Neigh {
    /// `REACHABLE`, `STALE`, `INCOMPLETE`, `FAILED`, …
    pub state: String,
    /// The link-layer address, once resolved.
    pub lladdr: Option<String>,
}

/// A TCP or UDP socket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sock {
    /// TCP (else UDP).
    pub tcp: bool,
    /// A TCP listener or an unconnected UDP socket.
    pub listening: bool,
    /// Local address.
    pub local: IpAddr,
    /// Local port.
    pub local_port: u16,
    /// The processes holding it: command and pid, one per descriptor.
    pub processes: Vec<(String, u32)>,
}

/// Where a fact is looked up: this namespace, the host's, or another one on this host.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Place {
    /// The target's namespace.
    Here,
    /// The host's namespace.
    Host,
    /// The namespace with this inode.
    Namespace(u64),
}

/// A namespace on this host that holds an address.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resident {
    /// Its inode (for [`Place::Namespace`]).
    pub inode: u64,
    /// Its `-t` spec.
    pub target: String,
    /// What lives there, in words (`container web`).
    pub owner: String,
    /// The interface holding the address.
    pub dev: String,
}

/// The host bridge a veth of this namespace hangs off.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostBridge {
    /// The bridge's name on the host.
    pub bridge: String,
    /// The host end of the veth (the bridge port).
    pub port: Option<String>,
    /// `net.bridge.bridge-nf-call-iptables` is 1 on the host.
    pub nf_call_iptables: bool,
}

/// What a firewall does with a packet: the evaluator's own verdict (recorded as `accept`,
/// `drop` or `reject`).
pub use netshoot_inspect::firewall::PacketVerdict as Verdict;

/// The outcome of a hook's chains for one packet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FwDecision {
    /// The verdict.
    pub verdict: Verdict,
    /// The rule that decided, or the chain whose policy did.
    pub by: String,
    /// True when a chain policy decided.
    pub policy: bool,
}

impl FwDecision {
    /// "REJECTs" or "DROPs", as the findings say it.
    pub fn blocks(&self) -> &'static str {
        if self.verdict == Verdict::Reject {
            "REJECTs"
        } else {
            "DROPs"
        }
    }
}

/// A nameserver's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DnsAnswer {
    /// `NOERROR`, `NXDOMAIN`, …
    pub rcode: String,
    /// How long it took.
    pub elapsed_us: u64,
}

/// Why a DNS query got no answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DnsFailure {
    /// Which kind of failure.
    pub kind: DnsFailureKind,
    /// The message.
    pub text: String,
}

/// The kinds of DNS failure the checks tell apart.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsFailureKind {
    /// No answer within `after_ms`.
    Timeout {
        /// How long it waited.
        after_ms: u64,
    },
    /// Nothing listens on the DNS port.
    Refused,
    /// Anything else.
    Other,
}

impl std::fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A name lookup through the target's hosts file and resolv.conf.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resolved {
    /// `literal`, `hosts` or `dns`.
    pub source: String,
    /// The fully qualified name that answered, when DNS did.
    pub answered: Option<String>,
    /// Addresses, IPv4 first.
    pub addresses: Vec<IpAddr>,
    /// Questions asked, in order.
    pub tried: Vec<Tried>,
}

/// Declares the fact methods once: the trait, the recorder and the replay follow from the list.
macro_rules! facts {
    ($( $(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        /// Everything the checks read. Implementations: [`KernelFacts`] (the running system),
        /// [`Recorder`] (notes what another source returns), [`Replay`] (a recording).
        pub trait Facts: Send + Sync {
            $( $(#[$doc])* fn $name(&self $(, $arg: $ty)*) -> $ret; )*
        }

        impl<F: Facts> Facts for Recorder<F> {
            $( fn $name(&self $(, $arg: $ty)*) -> $ret {
                let out = self.inner.$name($($arg),*);
                self.note(stringify!($name), &($($arg,)*), &out);
                out
            } )*
        }

        impl Facts for Replay {
            $( fn $name(&self $(, $arg: $ty)*) -> $ret {
                self.take(stringify!($name), &($($arg,)*))
            } )*
        }
    };
}

facts! {
    /// The target.
    fn target(&self) -> TargetFacts;
    /// Why the target is gone (its process ended), when it is.
    fn target_gone(&self) -> Option<String>;
    /// The interfaces of a namespace.
    fn interfaces(&self, place: &Place) -> Result<Vec<Link>, String>;
    /// The other end of this namespace's veth `name`, and where it lives.
    fn veth_peer(&self, name: &str) -> Option<VethPeer>;
    /// This namespace's IPv4 routes (main table).
    fn routes(&self) -> Result<Vec<RouteFact>, String>;
    /// The kernel's route lookup for `dst` (`ip route get`).
    fn route_get(&self, dst: IpAddr) -> Result<RouteFact, OsError>;
    /// Asks the kernel to resolve each next hop (`(address, device)`) and watches the neighbour
    /// table for up to `wait`; the entry of each, in order.
    fn resolve_neighbours(&self, hops: &[(IpAddr, String)], wait: Duration) -> Vec<Option<Neigh>>;
    /// This namespace's conntrack usage and drop counters.
    fn conntrack(&self) -> Result<ConntrackUsage, OsError>;
    /// Whether the nf_tables rule set of a namespace can be read.
    fn rules(&self, place: &Place) -> Result<(), OsError>;
    /// The rule set of a namespace evaluated for `pkt` at `hook` (1 input, 2 forward, 3 output).
    fn decide(&self, place: &Place, hook: u32, pkt: &Packet) -> Result<FwDecision, OsError>;
    /// The sockets of a namespace (`with_processes`: their owners too).
    fn sockets(&self, place: &Place, tcp: bool, udp: bool, with_processes: bool) -> Result<Vec<Sock>, String>;
    /// The namespace on this host that has `ip` on an interface; `Err` when the namespaces
    /// cannot be listed.
    fn resident(&self, ip: IpAddr) -> Result<Option<Resident>, String>;
    /// Whether the host's namespace is visible.
    fn host_visible(&self) -> bool;
    /// The host bridge whose port is the peer of this namespace's veth `dev`.
    fn host_bridge(&self, dev: &str) -> Option<HostBridge>;
    /// One ICMP echo with `size` bytes of payload (`df`: don't fragment).
    fn ping(&self, dst: IpAddr, size: usize, df: bool, timeout: Duration) -> Result<EchoOutcome, String>;
    /// A TCP connect.
    fn connect(&self, dst: SocketAddr, timeout: Duration) -> ConnectOutcome;
    /// One A question to a nameserver, over UDP or TCP.
    fn dns_query(&self, server: SocketAddr, name: &str, tcp: bool, timeout: Duration) -> Result<DnsAnswer, DnsFailure>;
    /// Resolves `name` as the target does (hosts file, then DNS through its resolv.conf).
    fn lookup(&self, name: &str, timeout: Duration) -> Result<Resolved, String>;
    /// Whether a Docker engine answers.
    fn docker(&self) -> bool;
    /// A Docker container by name or id.
    fn container(&self, name: &str) -> Option<ContainerInspect>;
    /// A Swarm service by name.
    fn service(&self, name: &str) -> Option<ServiceInspect>;
    /// A Docker network by name or id.
    fn network(&self, name: &str) -> Option<NetworkInspect>;
    /// The engine's Swarm state.
    fn swarm(&self) -> Option<SwarmInfo>;
    /// The Swarm's nodes.
    fn nodes(&self) -> Vec<SwarmNode>;
    /// Whether this kernel has IPVS (`/proc/net/ip_vs`).
    fn ipvs(&self) -> bool;
    /// The nat and filter tables of a namespace as `iptables -S` (`ipv6`: `ip6tables -S`)
    /// prints them, where kube-proxy's iptables mode writes its chains.
    fn kube_tables(&self, place: &Place, ipv6: bool) -> Result<KubeTables, String>;
    /// The IPVS virtual services of a namespace with their real servers (kube-proxy's ipvs
    /// mode, Docker Swarm's load balancers).
    fn ipvs_services(&self, place: &Place) -> Result<Vec<IpvsService>, String>;
}

/// Facts the checks ask that recordings made before them lack, and the answer the recorded
/// systems gave, as they had none of it: no kube-proxy rules, no IPVS service (every recording in
/// tests/facts predates them and was made on a machine without Kubernetes).
const ADDED_LATER: &[(&str, &str)] = &[
    (
        "kube_tables",
        r#"{"Ok":{"ipv6":false,"nat":[],"filter":[]}}"#,
    ),
    ("ipvs_services", r#"{"Ok":[]}"#),
];

/// The facts one run gathered, with the run's destinations and options: replayed by
/// [`crate::replay`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Recording {
    /// The destinations as given.
    pub dests: Vec<String>,
    /// `Options::probe_timeout`, milliseconds.
    pub probe_timeout_ms: u64,
    /// `Options::deadline`, milliseconds.
    pub deadline_ms: u64,
    /// Question (`method [arguments]`) → the answers given, in order.
    pub facts: BTreeMap<String, Vec<serde_json::Value>>,
    /// The findings the recorded run reported, in report order (none when it ended in an
    /// error): a replay of the facts must judge the same.
    #[serde(default)]
    pub findings: Vec<crate::Finding>,
}

fn key(method: &str, args: &impl Serialize) -> String {
    match serde_json::to_string(args) {
        Ok(a) if a != "null" => format!("{method} {a}"),
        _ => method.to_string(),
    }
}

/// The answers to one question: those written down, and how many repeats of the last one are
/// not (yet).
type Answers = (Vec<serde_json::Value>, usize);

/// Wraps a fact source and notes every answer it gives. Repeats of the last answer at the end
/// are left out ([`Replay`] repeats the last answer), so a large fact asked by several checks
/// (kube-proxy's rules) is written once.
pub struct Recorder<F> {
    inner: F,
    log: Mutex<BTreeMap<String, Answers>>,
}

impl<F: Facts> Recorder<F> {
    /// Records what `inner` answers.
    pub fn new(inner: F) -> Self {
        Recorder {
            inner,
            log: Mutex::new(BTreeMap::new()),
        }
    }

    fn note(&self, method: &str, args: &impl Serialize, out: &impl Serialize) {
        let v = serde_json::to_value(out).unwrap_or(serde_json::Value::Null);
        if let Ok(mut log) = self.log.lock() {
            let (answers, repeats) = log.entry(key(method, args)).or_default();
            match answers.last() {
                Some(last) if *last == v => *repeats += 1,
                last => {
                    // A different answer: the repeats before it are written down after all.
                    let last = last.cloned();
                    answers.extend(last.into_iter().cycle().take(*repeats));
                    *repeats = 0;
                    answers.push(v);
                }
            }
        }
    }

    /// What was answered so far.
    pub fn facts(&self) -> BTreeMap<String, Vec<serde_json::Value>> {
        self.log
            .lock()
            .map(|l| {
                l.iter()
                    .map(|(k, (answers, _))| (k.clone(), answers.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Answers from a recording.
pub struct Replay {
    facts: Mutex<BTreeMap<String, (Vec<serde_json::Value>, usize)>>,
}

impl Replay {
    /// Replays `facts` (from [`Recording::facts`]).
    pub fn new(facts: BTreeMap<String, Vec<serde_json::Value>>) -> Self {
        Replay {
            facts: Mutex::new(facts.into_iter().map(|(k, v)| (k, (v, 0))).collect()),
        }
    }

    /// The next recorded answer to a question. A question the recording does not hold (or an
    /// answer of the wrong shape) panics, on the asking check's thread: the report then shows
    /// that check as not finished, and the message names the question to re-record; except a
    /// fact of [`ADDED_LATER`], which gets the answer of a system without it.
    fn take<T: DeserializeOwned>(&self, method: &str, args: &impl Serialize) -> T {
        let k = key(method, args);
        let v = {
            let mut facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
            let Some((answers, next)) = facts.get_mut(&k) else {
                if let Some((_, v)) = ADDED_LATER.iter().find(|(m, _)| *m == method) {
                    let v = serde_json::from_str(v).unwrap_or(serde_json::Value::Null);
                    return serde_json::from_value(v).unwrap_or_else(|e| {
                        panic!("the answer for '{k}' absent from the recording does not fit: {e}")
                    });
                }
                panic!("the recording holds no answer to '{k}': re-record it");
            };
            let i = (*next).min(answers.len().saturating_sub(1));
            *next += 1;
            answers.get(i).cloned()
        };
        let v = v.unwrap_or_else(|| panic!("the recording holds no answer to '{k}'"));
        serde_json::from_value(v)
            .unwrap_or_else(|e| panic!("the recorded answer to '{k}' does not fit: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Repeats of the last answer are left out of a recording, and its replay gives every
    /// answer in order still.
    #[test]
    fn a_recording_leaves_out_trailing_repeats_and_replays_the_same() {
        let r = Recorder::new(Replay::new(BTreeMap::new()));
        for v in ["a", "a", "b", "b", "b"] {
            r.note("docker", &(), &v);
        }
        r.note("ipvs", &(), &true);
        r.note("ipvs", &(), &true);
        let facts = r.facts();
        assert_eq!(facts["docker"], ["a", "a", "b"]);
        assert_eq!(facts["ipvs"], [true]);
        let replay = Replay::new(facts);
        let got: Vec<String> = (0..5).map(|_| replay.take("docker", &())).collect();
        assert_eq!(got, ["a", "a", "b", "b", "b"]);
        assert!(replay.take::<bool>("ipvs", &()));
    }
}
