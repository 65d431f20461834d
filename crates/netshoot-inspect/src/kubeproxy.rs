//! kube-proxy's Services as its iptables mode writes them: from a destination (a ClusterIP, a
//! NodePort on a node address, an external or load-balancer IP) to the endpoints kube-proxy
//! balances it to, following the `iptables -S` lines of the nat table the way the packet goes
//! (`KUBE-SERVICES` → `KUBE-NODEPORTS` / `KUBE-EXT-…` / `KUBE-FW-…` → `KUBE-SVC-…` /
//! `KUBE-SVL-…` → `KUBE-SEP-…` and its DNAT), with the `-m statistic --mode random
//! --probability` split turned into each endpoint's share of new connections; and the filter
//! table's REJECT (or DROP) that kube-proxy writes for a service without (local) endpoints.
//!
//! kube-proxy's native nftables mode (its `kube-proxy` table) is read and followed by
//! [`crate::kubenft`]; [`follow`] takes whichever mode is here and gives the same [`Service`].
//!
//! Rules are read with [`crate::iptlist::SavedRule`], the parser `iptables -L` uses; a rule is
//! matched against the packet by the columns and matches kube-proxy writes (`-s`, `-d`, `-p`,
//! `--dport`, `-m addrtype --src-type/--dst-type LOCAL`, `-m conntrack --ctstate NEW`); a rule
//! with any other condition (an interface, a mark, `-m recent` session affinity) is taken as
//! not matching, so what is reported is what a new connection from an unknown client meets.

use std::io;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::iptlist::{Negatable, SavedRule};

/// One family's kube-proxy rules: the `iptables -S` lines of the nat and filter tables (empty
/// when a table is absent) and kube-proxy's own nftables table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Tables {
    /// IPv6 (`ip6tables`, `ip6 kube-proxy`).
    pub ipv6: bool,
    /// The nat table.
    pub nat: Vec<String>,
    /// The filter table.
    pub filter: Vec<String>,
    /// The `kube-proxy` nftables table (kube-proxy's nftables mode), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nft: Option<crate::kubenft::Raw>,
}

impl Tables {
    /// True when kube-proxy's iptables mode has written its entry chain (`KUBE-SERVICES`) into
    /// either table, or its nftables mode its table.
    pub fn has_kube_proxy(&self) -> bool {
        self.nft.is_some()
            || self
                .nat
                .iter()
                .chain(&self.filter)
                .any(|l| l == "-N KUBE-SERVICES")
    }
}

/// The nat and filter tables of the calling thread's namespace, as `iptables -S` (or
/// `ip6tables -S`) prints them: nf_tables first (iptables-nft), else legacy x_tables; and
/// kube-proxy's nftables table. Needs CAP_NET_ADMIN.
pub fn tables_here(ipv6: bool) -> io::Result<Tables> {
    let chains = crate::firewall::ruleset()?;
    let family = if ipv6 { "ip6" } else { "ip" };
    Ok(Tables {
        ipv6,
        nat: crate::iptlist::table_lines(&chains, family, "nat")?.unwrap_or_default(),
        filter: crate::iptlist::table_lines(&chains, family, "filter")?.unwrap_or_default(),
        nft: crate::kubenft::read_here(ipv6)?,
    })
}

/// Which of kube-proxy's modes wrote the rules a [`Service`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// iptables (`KUBE-SERVICES` in the nat table).
    #[default]
    Iptables,
    /// nftables (the `kube-proxy` table).
    Nftables,
}

impl Mode {
    /// `iptables` or `nftables`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Iptables => "iptables",
            Mode::Nftables => "nftables",
        }
    }
}

/// A new connection, as the rules see it.
#[derive(Debug, Clone)]
pub struct Conn {
    /// Its source address, when known.
    pub src: Option<IpAddr>,
    /// True when the source is an address of the namespace holding the rules.
    pub src_local: bool,
    /// Its destination.
    pub dst: IpAddr,
    /// True when the destination is an address of the namespace holding the rules (a
    /// NodePort's node address).
    pub dst_local: bool,
    /// `tcp`, `udp` or `sctp`.
    pub proto: String,
    /// Destination port.
    pub dport: u16,
}

/// One endpoint kube-proxy sends new connections to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Its address (the DNAT's `--to-destination`).
    pub addr: IpAddr,
    /// Its port.
    pub port: u16,
    /// Its share of new connections (0 to 1), from the `--probability` of the rules before it.
    pub share: f64,
    /// Its chain (`KUBE-SEP-…`).
    pub chain: String,
    /// The DNAT rule.
    pub dnat: String,
}

/// What kube-proxy does with a connection to a destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// The service port, as kube-proxy names it in its comments (`default/web:http`).
    pub name: String,
    /// How the destination reaches it: `cluster IP`, `node port`, `external IP`,
    /// `loadbalancer IP`.
    pub via: String,
    /// The rules the connection takes from `KUBE-SERVICES` to the service chain.
    pub path: Vec<String>,
    /// The `KUBE-MARK-MASQ` rules it meets (its source will be masqueraded).
    pub masquerade: Vec<String>,
    /// The endpoints, in rule order.
    pub endpoints: Vec<Endpoint>,
    /// kube-proxy's filter rule for a service without (local) endpoints that REJECTs or DROPs
    /// the connection.
    pub no_endpoints: Option<String>,
    /// That rule's verdict (`REJECT` or `DROP`).
    pub no_endpoints_verdict: Option<String>,
    /// The mode whose rules these are.
    #[serde(default)]
    pub mode: Mode,
    /// The service has endpoints, but none on this node, and sends external traffic only to
    /// local ones (externalTrafficPolicy: Local): what `no_endpoints` stops.
    #[serde(default)]
    pub local_only: bool,
}

fn in_net(ip: IpAddr, net: &str) -> bool {
    let (a, len) = net.split_once('/').unwrap_or((net, ""));
    let Ok(a) = a.parse::<IpAddr>() else {
        return false;
    };
    let max = if a.is_ipv4() { 32 } else { 128 };
    let len: u32 = if len.is_empty() {
        max
    } else {
        match len.parse() {
            Ok(l) if l <= max => l,
            _ => return false,
        }
    };
    match (ip, a) {
        (IpAddr::V4(x), IpAddr::V4(y)) => {
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            u32::from(x) & mask == u32::from(y) & mask
        }
        (IpAddr::V6(x), IpAddr::V6(y)) => {
            let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            u128::from(x) & mask == u128::from(y) & mask
        }
        _ => false,
    }
}

fn port_in(port: u16, spec: &str) -> bool {
    spec.split(',').any(|p| match p.split_once(':') {
        Some((a, b)) => {
            let a = a.parse().unwrap_or(0);
            let b = b.parse().unwrap_or(u16::MAX);
            (a..=b).contains(&port)
        }
        None => p.parse() == Ok(port),
    })
}

/// A negatable condition holds (absent: holds).
fn holds(v: &Negatable, test: impl Fn(&str) -> bool) -> bool {
    v.as_ref().is_none_or(|(neg, s)| test(s) != *neg)
}

/// Whether a rule's conditions hold for the connection.
fn matches(r: &SavedRule, c: &Conn) -> bool {
    if r.in_iface().as_ref().is_some_and(|(neg, _)| !neg)
        || r.out_iface().as_ref().is_some_and(|(neg, _)| !neg)
    {
        return false;
    }
    let src_ok = match c.src {
        Some(src) => holds(r.src(), |n| in_net(src, n)),
        // An unknown source: only rules that ask nothing of it.
        None => r.src().is_none(),
    };
    let local = |t: &str, is: bool| if t == "LOCAL" { is } else { false };
    src_ok
        && holds(r.dst(), |n| in_net(c.dst, n))
        && holds(r.proto(), |p| p == c.proto)
        && holds(&r.match_opt(None, "dport"), |p| port_in(c.dport, p))
        && holds(&r.match_opt(None, "dports"), |p| port_in(c.dport, p))
        && holds(&r.match_opt(Some("addrtype"), "dst-type"), |t| {
            local(t, c.dst_local)
        })
        && holds(&r.match_opt(Some("addrtype"), "src-type"), |t| {
            local(t, c.src_local)
        })
        && holds(&r.match_opt(Some("conntrack"), "ctstate"), |s| {
            s.split(',').any(|s| s == "NEW")
        })
        && r.matches().all(|m| {
            matches!(
                m,
                "comment"
                    | "tcp"
                    | "udp"
                    | "sctp"
                    | "addrtype"
                    | "statistic"
                    | "conntrack"
                    | "multiport"
            ) || (m == "recent" && r.match_opt(Some("recent"), "set").is_some())
        })
}

/// The `--probability` of a `-m statistic --mode random` rule.
fn probability(r: &SavedRule) -> Option<f64> {
    if r.match_opt(Some("statistic"), "mode").map(|(_, m)| m) != Some("random".into()) {
        return None;
    }
    r.match_opt(Some("statistic"), "probability")
        .and_then(|(_, p)| p.parse::<f64>().ok())
        .map(|p| p.clamp(0.0, 1.0))
}

/// `ADDR:PORT` or `[ADDR]:PORT` of a DNAT.
fn to_destination(to: &str) -> Option<(IpAddr, u16)> {
    let (a, p) = match to.strip_prefix('[') {
        Some(rest) => {
            let (a, p) = rest.split_once(']')?;
            (a, p.strip_prefix(':')?)
        }
        None => to.rsplit_once(':')?,
    };
    let a = a.split('-').next()?;
    Some((a.parse().ok()?, p.split('-').next()?.parse().ok()?))
}

/// How a walk through a chain ended.
enum End {
    /// A verdict or an unconditional DNAT: the packet goes no further.
    Done,
    /// It fell off the chain (or RETURNed) back to the caller.
    Back,
}

struct Walk<'a> {
    rules: &'a [SavedRule],
    conn: &'a Conn,
    path: Vec<String>,
    masquerade: Vec<String>,
    endpoints: Vec<Endpoint>,
    /// The first rule that named a service: the name and how it is reached.
    named: Option<(String, String)>,
}

/// kube-proxy's comment of a service rule: `ns/svc:port cluster IP` → (`ns/svc:port`,
/// `cluster IP`); in `KUBE-NODEPORTS` the bare name means a node port.
fn service_comment(r: &SavedRule) -> Option<(String, String)> {
    let c = r.comment()?;
    let (name, via) = c.split_once(' ').unwrap_or((&c, ""));
    if !name.contains('/') {
        return None;
    }
    let via = if via.is_empty() && r.chain == "KUBE-NODEPORTS" {
        "node port"
    } else {
        via
    };
    Some((name.to_string(), via.to_string()))
}

impl Walk<'_> {
    /// Walks chain `name` with `share` of the new connections arriving.
    fn chain(&mut self, name: &str, mut share: f64, depth: u8) -> End {
        if depth > 16 {
            return End::Back;
        }
        let rules = self.rules;
        for r in rules.iter().filter(|r| r.chain == name) {
            if !matches(r, self.conn) {
                continue;
            }
            // A `-m statistic` rule takes its probability of what reaches it; the rules after
            // it see the rest.
            let p = probability(r);
            let taken = share * p.unwrap_or(1.0);
            let end = match r.target() {
                "KUBE-MARK-MASQ" => {
                    self.masquerade.push(r.text.clone());
                    End::Back
                }
                "DNAT" => {
                    if let Some((addr, port)) = r
                        .target_opt("to-destination")
                        .and_then(|t| to_destination(&t))
                    {
                        self.endpoints.push(Endpoint {
                            addr,
                            port,
                            share: taken,
                            chain: name.to_string(),
                            dnat: r.text.clone(),
                        });
                    }
                    End::Done
                }
                "RETURN" => return End::Back,
                "ACCEPT" | "DROP" | "REJECT" | "KUBE-MARK-DROP" => End::Done,
                t if t.starts_with("KUBE-") => {
                    if !t.starts_with("KUBE-SEP-") {
                        if self.named.is_none() {
                            self.named = service_comment(r);
                        }
                        self.path.push(r.text.clone());
                    }
                    match self.chain(t, taken, depth + 1) {
                        End::Back if r.goto() => End::Done,
                        e => e,
                    }
                }
                // A rule without a target (a comment) or one that decides nothing here.
                _ => End::Back,
            };
            match (p, end) {
                (Some(p), _) => share *= 1.0 - p,
                (None, End::Done) => return End::Done,
                (None, End::Back) => {}
            }
            if share <= 0.0 {
                return End::Done;
            }
        }
        End::Back
    }
}

/// Follows a new connection through kube-proxy's rules, iptables mode first, then nftables
/// mode: `None` when no kube-proxy rule takes it (not a Service address, or no kube-proxy here).
pub fn follow(t: &Tables, conn: &Conn) -> Option<Service> {
    follow_iptables(t, conn).or_else(|| crate::kubenft::follow(t.nft.as_ref()?, conn))
}

fn follow_iptables(t: &Tables, conn: &Conn) -> Option<Service> {
    let nat: Vec<SavedRule> = t.nat.iter().filter_map(|l| SavedRule::parse(l)).collect();
    let mut w = Walk {
        rules: &nat,
        conn,
        path: Vec::new(),
        masquerade: Vec::new(),
        endpoints: Vec::new(),
        named: None,
    };
    w.chain("KUBE-SERVICES", 1.0, 0);
    // The filter table: kube-proxy's REJECT (or DROP) for a service without (local) endpoints,
    // in the chains its OUTPUT/FORWARD/INPUT jumps lead to.
    let filter: Vec<SavedRule> = t
        .filter
        .iter()
        .filter_map(|l| SavedRule::parse(l))
        .collect();
    let none = filter.iter().find(|r| {
        matches!(r.chain.as_str(), "KUBE-SERVICES" | "KUBE-EXTERNAL-SERVICES")
            && matches!(r.target(), "REJECT" | "DROP")
            && r.comment().is_some_and(|c| {
                c.ends_with(" has no endpoints") || c.ends_with(" has no local endpoints")
            })
            && matches(r, conn)
    });
    let named = w.named.clone().or_else(|| {
        none.and_then(service_comment).map(|(n, _)| {
            let via = if none.is_some_and(|r| r.chain == "KUBE-SERVICES") {
                "cluster IP"
            } else if none.is_some_and(|r| r.dst().is_none()) {
                "node port"
            } else {
                "external IP"
            };
            (n, via.to_string())
        })
    });
    let (name, via) = named?;
    Some(Service {
        name,
        via,
        path: w.path,
        masquerade: w.masquerade,
        endpoints: w.endpoints,
        no_endpoints: none.map(|r| r.text.clone()),
        no_endpoints_verdict: none.map(|r| r.target().to_string()),
        mode: Mode::Iptables,
        local_only: none.is_some_and(|r| {
            r.comment()
                .is_some_and(|c| c.ends_with(" has no local endpoints"))
        }),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Each endpoint of a followed Service as (address, port, share).
    pub(crate) fn endpoint_shares(s: &Service) -> Vec<(String, u16, f64)> {
        s.endpoints
            .iter()
            .map(|e| (e.addr.to_string(), e.port, e.share))
            .collect()
    }

    /// Rules as kube-proxy writes them (its iptables proxier's shapes: comments, the statistic
    /// split, KUBE-MARK-MASQ, the DNAT; the filter REJECT for a service without endpoints), as
    /// `iptables -S` prints them back after `iptables-restore` (columns first).
    fn tables() -> Tables {
        let nat = r#"-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-N KUBE-EXT-X27LE4BHSL4DOUIK
-N KUBE-MARK-MASQ
-N KUBE-NODEPORTS
-N KUBE-SEP-C6EBXVWJJZMIWKLZ
-N KUBE-SEP-OYPFS5VJICHGATKP
-N KUBE-SEP-UKSFD7AGPMPPLUHC
-N KUBE-SERVICES
-N KUBE-SVC-4SW47YFZTEDKD3PK
-N KUBE-SVC-X27LE4BHSL4DOUIK
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-NODEPORTS -p tcp -m comment --comment "ns3/svc3:p80" -m tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -s 10.180.0.5/32 -m comment --comment "ns4/svc4:p80" -j KUBE-MARK-MASQ
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -p tcp -m comment --comment "ns4/svc4:p80" -m tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SEP-OYPFS5VJICHGATKP -s 10.180.0.3/32 -m comment --comment "ns3/svc3:p80" -j KUBE-MARK-MASQ
-A KUBE-SEP-OYPFS5VJICHGATKP -p tcp -m comment --comment "ns3/svc3:p80" -m tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-UKSFD7AGPMPPLUHC -s 10.180.0.4/32 -m comment --comment "ns4/svc4:p80" -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -p tcp -m comment --comment "ns4/svc4:p80" -m tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SERVICES -d 172.30.0.43/32 -p tcp -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -d 172.30.0.44/32 -p tcp -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-4SW47YFZTEDKD3PK ! -s 10.0.0.0/8 -d 172.30.0.44/32 -p tcp -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
-A KUBE-SVC-X27LE4BHSL4DOUIK ! -s 10.0.0.0/8 -d 172.30.0.43/32 -p tcp -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP"#;
        let filter = r#"-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-N KUBE-EXTERNAL-SERVICES
-N KUBE-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "ns6/svc6:p80 has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 3006 -j REJECT --reject-with icmp-port-unreachable
-A KUBE-SERVICES -d 172.30.0.46/32 -p tcp -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable"#;
        Tables {
            ipv6: false,
            nat: nat.lines().map(str::to_string).collect(),
            filter: filter.lines().map(str::to_string).collect(),
            nft: None,
        }
    }

    fn conn(dst: &str, port: u16, dst_local: bool) -> Conn {
        Conn {
            src: Some("10.0.0.7".parse().unwrap()),
            src_local: false,
            dst: dst.parse().unwrap(),
            dst_local,
            proto: "tcp".into(),
            dport: port,
        }
    }

    #[test]
    fn a_cluster_ip_is_split_between_its_endpoints() {
        let t = tables();
        assert!(t.has_kube_proxy());
        let s = follow(&t, &conn("172.30.0.44", 80, false)).unwrap();
        assert_eq!(s.name, "ns4/svc4:p80");
        assert_eq!(s.via, "cluster IP");
        assert_eq!(
            endpoint_shares(&s),
            [
                ("10.180.0.4".into(), 80, 0.5),
                ("10.180.0.5".into(), 80, 0.5)
            ]
        );
        assert_eq!(s.endpoints[0].chain, "KUBE-SEP-UKSFD7AGPMPPLUHC");
        assert_eq!(s.path.len(), 1, "{s:?}");
        // From inside the pod network (10.0.0.0/8) there is no masquerade.
        assert!(s.masquerade.is_empty(), "{s:?}");
        assert_eq!(s.no_endpoints, None);
        // From outside it, KUBE-SVC marks it.
        let mut c = conn("172.30.0.44", 80, false);
        c.src = Some("192.168.1.1".parse().unwrap());
        assert_eq!(follow(&t, &c).unwrap().masquerade.len(), 1);
        // Another port of the address is no service.
        assert_eq!(follow(&t, &conn("172.30.0.44", 81, false)), None);
    }

    #[test]
    fn a_node_port_goes_through_kube_nodeports_and_its_ext_chain() {
        let t = tables();
        let s = follow(&t, &conn("192.168.5.5", 3003, true)).unwrap();
        assert_eq!(
            (s.name.as_str(), s.via.as_str()),
            ("ns3/svc3:p80", "node port")
        );
        assert_eq!(s.endpoints.len(), 1);
        assert_eq!(s.endpoints[0].addr.to_string(), "10.180.0.3");
        assert_eq!(s.endpoints[0].share, 1.0);
        assert_eq!(s.masquerade.len(), 1, "{s:?}");
        // The same port on an address that is not the node's is nothing.
        assert_eq!(follow(&t, &conn("192.168.5.5", 3003, false)), None);
    }

    #[test]
    fn a_service_without_endpoints_is_rejected_by_the_filter_table() {
        let t = tables();
        let s = follow(&t, &conn("172.30.0.46", 80, false)).unwrap();
        assert_eq!(
            (s.name.as_str(), s.via.as_str()),
            ("ns6/svc6:p80", "cluster IP")
        );
        assert!(s.endpoints.is_empty());
        assert_eq!(s.no_endpoints_verdict.as_deref(), Some("REJECT"));
        assert!(s.no_endpoints.unwrap().contains("has no endpoints"));
        let np = follow(&t, &conn("192.168.5.5", 3006, true)).unwrap();
        assert_eq!(np.via, "node port");
        assert!(np.no_endpoints.is_some());
    }

    #[test]
    fn three_endpoints_share_a_third_each_and_kernel_order_reads_the_same() {
        // iptables -S prints the columns first; the shares come from 1/3, then 1/2 of the rest.
        let nat = [
            "-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU",
            "-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment \"kube-system/kube-dns:dns -> 10.1.0.2:53\" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-A",
            "-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment \"kube-system/kube-dns:dns -> 10.1.0.3:53\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-B",
            "-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment \"kube-system/kube-dns:dns -> 10.1.0.4:53\" -j KUBE-SEP-C",
            "-A KUBE-SEP-A -p udp -m comment --comment \"kube-system/kube-dns:dns\" -m udp -j DNAT --to-destination 10.1.0.2:53",
            "-A KUBE-SEP-B -p udp -m comment --comment \"kube-system/kube-dns:dns\" -m udp -j DNAT --to-destination 10.1.0.3:53",
            "-A KUBE-SEP-C -p udp -m comment --comment \"kube-system/kube-dns:dns\" -m udp -j DNAT --to-destination 10.1.0.4:53",
        ];
        let t = Tables {
            nat: nat.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let mut c = conn("10.96.0.10", 53, false);
        c.proto = "udp".into();
        let s = follow(&t, &c).unwrap();
        assert_eq!(s.endpoints.len(), 3);
        for e in &s.endpoints {
            assert!((e.share - 1.0 / 3.0).abs() < 1e-6, "{e:?}");
        }
        c.proto = "tcp".into();
        assert_eq!(follow(&t, &c), None);
    }

    #[test]
    fn networks_and_ports() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(in_net(ip("10.1.2.3"), "10.0.0.0/8"));
        assert!(!in_net(ip("11.1.2.3"), "10.0.0.0/8"));
        assert!(in_net(ip("10.1.2.3"), "10.1.2.3"));
        assert!(in_net(ip("10.1.2.3"), "0.0.0.0/0"));
        assert!(!in_net(ip("10.1.2.3"), "10.0.0.0/99"));
        assert!(in_net(ip("fd00::1"), "fd00::/64"));
        assert!(!in_net(ip("fd00::1"), "10.0.0.0/8"));
        assert!(port_in(80, "80") && port_in(80, "1:100") && port_in(80, "22,80"));
        assert!(!port_in(80, "81") && !port_in(80, "x"));
        assert_eq!(
            to_destination("[fd00::2]:8080"),
            Some((ip("fd00::2"), 8080))
        );
        assert_eq!(to_destination("10.0.0.1"), None);
    }
}
