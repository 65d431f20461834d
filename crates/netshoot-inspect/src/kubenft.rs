//! kube-proxy's Services as its native nftables mode writes them: the `ip kube-proxy` (or `ip6
//! kube-proxy`) table, read over nf_tables netlink with [`crate::firewall`]'s decoders and run by
//! its evaluator for a new connection, the way the packet goes.
//!
//! The shapes, as kube-proxy's `pkg/proxy/nftables/proxier.go` writes them (kubernetes/kubernetes,
//! proxier.go at b0f823e6, proxier_test.go at 81810de6, read for this module; v1.33+):
//!
//! - base chains `nat-prerouting` / `nat-output` (`type nat`, priority dstnat) `jump services`;
//! - `services`: `ip daddr . meta l4proto . th dport vmap @service-ips` (ClusterIPs, external
//!   and load-balancer IPs), then node ports by `ip daddr @nodeport-ips meta l4proto . th dport
//!   vmap @service-nodeports` or, when every node address takes them, `fib daddr type local ip
//!   daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports`;
//! - map elements `172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80` (and
//!   `external-…` for external IPs, load balancers and node ports; `local-…` for a Local
//!   traffic policy);
//! - the service chain: `ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade`,
//!   then `numgen random mod N vmap { 0 : goto endpoint-…, 1 : goto endpoint-… }`;
//! - the endpoint chain `endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80`: `ip saddr
//!   10.180.0.1 jump mark-for-masquerade`, `meta l4proto tcp dnat to 10.180.0.1:80`;
//! - no endpoints: the `filter-input` / `filter-forward` / `filter-output` chains (`ct state new`)
//!   jump to `service-endpoints-check` (`… vmap @no-endpoint-services`) and, from input only,
//!   `nodeport-endpoints-check` (`… vmap @no-endpoint-nodeports`), whose elements (commented
//!   with the service port's name) `goto reject-chain` (`reject`) or `drop` (no local endpoint
//!   under externalTrafficPolicy: Local);
//! - the `cluster-ips` set holds every ClusterIP.
//!
//! The evaluator follows the expressions, not these names: a `numgen random mod N` is run once
//! per value, each with 1/N of what reaches it, which is each endpoint's share.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::firewall::{self, Chain, Element, Env, Packet, RuleOutcome, Set, Verdict};
use crate::kubeproxy::{Conn, Endpoint, Service};

/// kube-proxy's table name (in family `ip` and `ip6`).
pub const TABLE: &str = "kube-proxy";

/// One netlink reply: its `nfgenmsg` family and attributes (hex in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10).
    pub family: u8,
    /// The attributes.
    #[serde(with = "hex")]
    pub body: Vec<u8>,
}

mod hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let t: String = b.iter().map(|x| format!("{x:02x}")).collect();
        s.serialize_str(&t)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let t = String::deserialize(d)?;
        if t.len() % 2 != 0 {
            return Err(serde::de::Error::custom("odd hex length"));
        }
        (0..t.len())
            .step_by(2)
            .map(|i| {
                t.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| serde::de::Error::custom("not hex"))
            })
            .collect()
    }
}

/// kube-proxy's table as the kernel gave it: the nf_tables replies for its chains, rules, sets
/// and each set's elements, decoded by [`Raw::decode`] (kept raw, so that a recording of them
/// is decoded the same way).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Raw {
    /// `NFT_MSG_GETCHAIN` replies.
    pub chains: Vec<Reply>,
    /// `NFT_MSG_GETRULE` replies.
    pub rules: Vec<Reply>,
    /// `NFT_MSG_GETSET` replies (anonymous sets too).
    pub sets: Vec<Reply>,
    /// `NFT_MSG_GETSETELEM` replies, by set name.
    pub elements: Vec<(String, Vec<Reply>)>,
}

/// kube-proxy's table, decoded.
#[derive(Debug, Clone)]
pub struct Table {
    /// Its chains with their rules (anonymous sets and maps filled in).
    pub chains: Vec<Chain>,
    /// Its named sets and maps with their elements.
    pub sets: Vec<Set>,
}

/// A reply's string attribute `t` (1: its table, 2: a set's name).
fn string_attr(body: &[u8], t: u16) -> String {
    crate::nfnl::attrs(body)
        .into_iter()
        .find(|(x, _)| *x == t)
        .map(|(_, v)| crate::nfnl::string(v))
        .unwrap_or_default()
}

/// At most this many sets are read (kube-proxy makes one anonymous map per service chain).
const MAX_SETS: usize = 100_000;

/// kube-proxy's table of the calling thread's namespace (`ip6`: the IPv6 one), `None` when it
/// has none. Needs CAP_NET_ADMIN.
pub fn read_here(ipv6: bool) -> io::Result<Option<Raw>> {
    let family: u8 = if ipv6 { 10 } else { 2 };
    let nul = |s: &str| [s.as_bytes(), &[0]].concat();
    let by_table = crate::nfnl::attr(1, &nul(TABLE));
    let dump = |msg: u16, req: &[u8]| -> io::Result<Vec<Reply>> {
        let got = match crate::nfnl::dump_with(crate::nfnl::SUBSYS_NFTABLES, msg, family, req) {
            Ok(g) => g,
            // No nf_tables, or no such table or set.
            Err(e) if e.raw_os_error() == Some(ENOENT) => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(got
            .into_iter()
            .filter(|(f, b)| *f == family && string_attr(b, 1) == TABLE)
            .map(|(family, body)| Reply { family, body })
            .collect())
    };
    let chains = dump(firewall::NFT_MSG_GETCHAIN, &by_table)?;
    if chains.is_empty() {
        return Ok(None);
    }
    let rules = dump(firewall::NFT_MSG_GETRULE, &by_table)?;
    let sets = dump(firewall::NFT_MSG_GETSET, &by_table)?;
    let mut elements = Vec::new();
    for s in sets.iter().take(MAX_SETS) {
        let name = string_attr(&s.body, 2);
        let mut req = by_table.clone();
        req.extend(crate::nfnl::attr(2, &nul(&name)));
        // A set that vanished meanwhile reads as empty.
        let got = dump(firewall::NFT_MSG_GETSETELEM, &req).unwrap_or_default();
        elements.push((name, got));
    }
    Ok(Some(Raw {
        chains,
        rules,
        sets,
        elements,
    }))
}

/// The kernel's answer for a table or set that does not exist.
const ENOENT: i32 = 2;

impl Raw {
    /// The chains and sets these replies hold.
    pub fn decode(&self) -> Table {
        let pairs = |v: &[Reply]| -> Vec<(u8, Vec<u8>)> {
            v.iter().map(|r| (r.family, r.body.clone())).collect()
        };
        let elements = |_: &str, _: &str, set: &str| {
            self.elements
                .iter()
                .find(|(n, _)| n == set)
                .map(|(_, r)| firewall::elements_from(&pairs(r)))
                .unwrap_or_default()
        };
        Table {
            chains: firewall::ruleset_from(&pairs(&self.chains), &pairs(&self.rules), elements),
            sets: firewall::sets_from(&pairs(&self.sets), elements),
        }
    }
}

/// `service-HASH-ns/svc/tcp/port` (also `local-`, `external-`, `endpoint-…__ip/port`) →
/// `ns/svc:port` (`ns/svc` for an unnamed port), as kube-proxy names the service port.
pub fn service_port_name(chain: &str) -> Option<String> {
    let rest = ["service-", "local-", "external-", "endpoint-", "firewall-"]
        .iter()
        .find_map(|p| chain.strip_prefix(p))?;
    // The 8-character hash, then the name.
    let (_, name) = rest.split_once('-')?;
    let name = name.split("__").next()?;
    let mut parts = name.split('/');
    let (ns, svc, _proto, port) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some(if port.is_empty() {
        format!("{ns}/{svc}")
    } else {
        format!("{ns}/{svc}:{port}")
    })
}

fn proto_number(p: &str) -> Option<u8> {
    match p {
        "tcp" => Some(6),
        "udp" => Some(17),
        "sctp" => Some(132),
        _ => None,
    }
}

/// How a walk through a chain ended.
enum End {
    /// A verdict or a DNAT: the packet goes no further here.
    Done,
    /// It fell off the chain (or returned) back to the caller.
    Back,
}

struct Walk<'a> {
    table: &'a Table,
    pkt: Packet,
    ip: Vec<u8>,
    l4: Vec<u8>,
    env: Env<'a>,
    path: Vec<String>,
    masquerade: Vec<String>,
    endpoints: Vec<Endpoint>,
    /// The named set or map whose element sent the packet on, with that element's text, for
    /// the first lookup that did.
    entry: Option<(String, String)>,
    /// The first service chain reached.
    service_chain: Option<String>,
    /// Rule runs so far, bounded by [`MAX_RUNS`].
    runs: u32,
}

/// At most this many rule runs per walk (a `numgen` split runs its rule once per value; each
/// lookup searches sorted elements by halves), so that no table, however built, holds the
/// doctor up.
const MAX_RUNS: u32 = 1_000_000;

/// `t` with the elements of its sets and maps (but interval ones, whose order the kernel's
/// boundaries keep) sorted by key, for [`Env::sorted`].
fn sorted(t: &Table) -> Table {
    let mut t = t.clone();
    let by_key = |a: &Element, b: &Element| a.key.cmp(&b.key);
    for s in t.sets.iter_mut().filter(|s| s.flags & 0x4 == 0) {
        s.elements.sort_by(by_key);
    }
    for e in t
        .chains
        .iter_mut()
        .flat_map(|c| c.rules.iter_mut())
        .flat_map(|r| r.exprs.iter_mut())
    {
        if let firewall::Expr::Lookup {
            elements,
            interval: false,
            ..
        } = e
        {
            elements.sort_by(by_key);
        }
    }
    t
}

/// The longest rule text kept as evidence (a Service with thousands of endpoints has a
/// numgen map as long).
const MAX_LINE: usize = 400;

/// `chain: rule` as evidence, cut after [`MAX_LINE`] bytes.
fn rule_line(chain: &str, family: &str, exprs: &[firewall::Expr]) -> String {
    let mut t = format!("{chain}: {}", crate::nftfmt::rule_text(family, exprs));
    if t.len() > MAX_LINE {
        let mut cut = MAX_LINE;
        while !t.is_char_boundary(cut) {
            cut -= 1;
        }
        t.truncate(cut);
        t.push_str(" …");
    }
    t
}

impl Walk<'_> {
    fn run(&mut self, exprs: &[firewall::Expr], numgen: Option<u32>) -> RuleOutcome {
        self.runs = self.runs.saturating_add(1);
        if self.runs > MAX_RUNS {
            return RuleOutcome::NoMatch;
        }
        let env = Env { numgen, ..self.env };
        firewall::run_rule_in(exprs, &self.pkt, &self.ip, &self.l4, &env)
    }

    /// The named map element a matched rule's vmap lookup found, as nft prints it.
    fn looked_up(&self, exprs: &[firewall::Expr]) -> Option<(String, String)> {
        exprs.iter().find_map(|e| match e {
            firewall::Expr::Lookup {
                set, dreg: Some(0), ..
            } if !set.starts_with("__") => {
                let s = self.table.sets.iter().find(|s| &s.name == set)?;
                let el = self.element_of(s)?;
                Some((set.clone(), crate::nftfmt::element_text(s, el)))
            }
            _ => None,
        })
    }

    /// The element of verdict map `s` this packet's key finds.
    fn element_of<'s>(&self, s: &'s Set) -> Option<&'s Element> {
        let key = packet_key(s, &self.pkt)?;
        s.elements
            .iter()
            .find(|e| !e.end && e.key == key && e.verdict.is_some())
    }

    fn chain(&mut self, name: &str, mut share: f64, depth: u8) -> End {
        if depth > 16 {
            return End::Back;
        }
        let table = self.table;
        let Some(c) = table.chains.iter().find(|c| c.name == name) else {
            return End::Back;
        };
        for r in &c.rules {
            let outcome = self.run(&r.exprs, None);
            let branches: Vec<(RuleOutcome, f64)> = match outcome {
                RuleOutcome::Split(n) => (0..n)
                    .map(|i| (self.run(&r.exprs, Some(i)), share / f64::from(n)))
                    .collect(),
                o => vec![(o, share)],
            };
            // What goes on to the next rule: the branches that did not match, or came back.
            let mut back = 0.0;
            // The rule as evidence, rendered once however many of numgen's values took it.
            let mut text: Option<String> = None;
            let mut line = || {
                text.get_or_insert_with(|| rule_line(name, c.family, &r.exprs))
                    .clone()
            };
            for (o, part) in branches {
                let end = match o {
                    RuleOutcome::NoMatch
                    | RuleOutcome::Split(_)
                    | RuleOutcome::Verdict(Verdict::Continue) => End::Back,
                    RuleOutcome::Verdict(Verdict::Return) => return End::Back,
                    RuleOutcome::Verdict(Verdict::Jump(t)) if t == "mark-for-masquerade" => {
                        let line = line();
                        if !self.masquerade.contains(&line) {
                            self.masquerade.push(line);
                        }
                        End::Back
                    }
                    RuleOutcome::Verdict(v @ (Verdict::Jump(_) | Verdict::Goto(_))) => {
                        let (Verdict::Jump(t) | Verdict::Goto(t)) = &v else {
                            continue;
                        };
                        if self.entry.is_none() {
                            self.entry = self.looked_up(&r.exprs);
                        }
                        let line = line();
                        if !self.path.contains(&line) {
                            self.path.push(line);
                        }
                        if self.service_chain.is_none()
                            && !t.starts_with("endpoint-")
                            && service_port_name(t).is_some()
                        {
                            self.service_chain = Some(t.clone());
                        }
                        match self.chain(t, part, depth + 1) {
                            End::Back if matches!(v, Verdict::Jump(_)) => End::Back,
                            _ => End::Done,
                        }
                    }
                    RuleOutcome::Nat { addr, port } => {
                        let port = port.unwrap_or(self.pkt.dport);
                        // An endpoint reached again (another numgen value to the same chain)
                        // gets the share added.
                        let seen =
                            self.endpoints.iter_mut().rev().find(|e| {
                                Some(e.addr) == addr && e.port == port && e.chain == name
                            });
                        if let Some(e) = seen {
                            e.share += part;
                        } else if let Some(addr) = addr {
                            self.endpoints.push(Endpoint {
                                addr,
                                port,
                                share: part,
                                chain: name.to_string(),
                                dnat: line(),
                            });
                        }
                        End::Done
                    }
                    RuleOutcome::Verdict(_) | RuleOutcome::Reject => End::Done,
                };
                if let End::Back = end {
                    back += part;
                }
            }
            share = back;
            if share <= 0.0 {
                return End::Done;
            }
        }
        End::Back
    }
}

/// The key a packet looks up in a map of kube-proxy's key types (`ipv4_addr . inet_proto .
/// inet_service`, `inet_proto . inet_service`, an address): each field padded to 4 bytes.
fn packet_key(s: &Set, pkt: &Packet) -> Option<Vec<u8>> {
    let mut key = Vec::new();
    for t in crate::nftfmt::concat_types(s.key_type) {
        let mut f = match t {
            7 => match pkt.dst {
                IpAddr::V4(a) => a.octets().to_vec(),
                IpAddr::V6(_) => return None,
            },
            8 => match pkt.dst {
                IpAddr::V6(a) => a.octets().to_vec(),
                IpAddr::V4(_) => return None,
            },
            12 => vec![pkt.proto],
            13 => pkt.dport.to_be_bytes().to_vec(),
            _ => return None,
        };
        f.resize(f.len().div_ceil(4) * 4, 0);
        key.extend(f);
    }
    (key.len() == s.key_len as usize).then_some(key)
}

/// Follows a new connection through kube-proxy's nftables table: `None` when nothing there
/// takes it (not a Service address and port).
pub fn follow(raw: &Raw, conn: &Conn) -> Option<Service> {
    follow_table(&raw.decode(), conn)
}

/// [`follow`] on a decoded table.
pub fn follow_table(table: &Table, conn: &Conn) -> Option<Service> {
    let table = &sorted(table);
    let proto = proto_number(&conn.proto)?;
    let unspecified = |v6: bool| -> IpAddr {
        if v6 {
            Ipv6Addr::UNSPECIFIED.into()
        } else {
            Ipv4Addr::UNSPECIFIED.into()
        }
    };
    let src = conn
        .src
        .filter(|s| s.is_ipv4() == conn.dst.is_ipv4())
        .unwrap_or_else(|| unspecified(conn.dst.is_ipv6()));
    let pkt = Packet {
        src,
        dst: conn.dst,
        proto,
        sport: 40000,
        dport: conn.dport,
        iif: None,
        oif: None,
        dnat: None,
    };
    let (ip, l4) = pkt.headers();
    let env = Env {
        sets: Some(&table.sets),
        numgen: None,
        daddr_local: Some(conn.dst_local),
        saddr_local: Some(conn.src_local),
        nat: true,
        sorted: true,
    };
    let mut w = Walk {
        table,
        pkt,
        ip,
        l4,
        env,
        path: Vec::new(),
        masquerade: Vec::new(),
        endpoints: Vec::new(),
        entry: None,
        service_chain: None,
        runs: 0,
    };
    w.chain("services", 1.0, 0);
    // No endpoints: the filter chains' checks, before any DNAT.
    let mut none: Option<(String, String, Element)> = None;
    let mut checks = vec!["service-endpoints-check"];
    if conn.dst_local {
        checks.push("nodeport-endpoints-check");
    }
    for check in checks {
        let Some(c) = table.chains.iter().find(|c| c.name == check) else {
            continue;
        };
        for r in &c.rules {
            if let RuleOutcome::Verdict(Verdict::Drop | Verdict::Goto(_) | Verdict::Jump(_)) =
                w.run(&r.exprs, None)
            {
                if let Some((set, el)) = r.exprs.iter().find_map(|e| match e {
                    firewall::Expr::Lookup {
                        set, dreg: Some(0), ..
                    } => {
                        let s = table.sets.iter().find(|s| &s.name == set)?;
                        Some((s, w.element_of(s)?.clone()))
                    }
                    _ => None,
                }) {
                    none = Some((
                        format!(
                            "{check}: {}; @{}: {}",
                            crate::nftfmt::rule_text(c.family, &r.exprs),
                            set.name,
                            crate::nftfmt::element_text(set, &el)
                        ),
                        set.name.clone(),
                        el,
                    ));
                    break;
                }
            }
        }
        if none.is_some() {
            break;
        }
    }
    let in_cluster_ips = table
        .sets
        .iter()
        .find(|s| s.name == "cluster-ips")
        .is_some_and(|s| {
            let key = match conn.dst {
                IpAddr::V4(a) => a.octets().to_vec(),
                IpAddr::V6(a) => a.octets().to_vec(),
            };
            s.elements.iter().any(|e| e.key == key)
        });
    let via = |nodeport: bool| -> String {
        if nodeport {
            "node port"
        } else if in_cluster_ips {
            "cluster IP"
        } else {
            "external IP"
        }
        .into()
    };
    let name = w.service_chain.as_deref().and_then(service_port_name);
    if let Some(name) = name {
        let via = via(w
            .entry
            .as_ref()
            .is_some_and(|(set, _)| set == "service-nodeports"));
        let mut path = w.path;
        if let Some((set, el)) = &w.entry {
            path.insert(path.len().min(1), format!("@{set}: {el}"));
        }
        return Some(Service {
            name,
            via,
            path,
            masquerade: w.masquerade,
            endpoints: w.endpoints,
            no_endpoints: None,
            no_endpoints_verdict: None,
            mode: crate::kubeproxy::Mode::Nftables,
            local_only: false,
        });
    }
    let (text, set, el) = none?;
    let verdict = match el.verdict {
        Some(Verdict::Drop) => "DROP",
        _ => "REJECT",
    };
    Some(Service {
        name: el.comment.clone().unwrap_or_else(|| "?".into()),
        via: via(set == "no-endpoint-nodeports"),
        path: Vec::new(),
        masquerade: Vec::new(),
        endpoints: Vec::new(),
        no_endpoints: Some(text),
        no_endpoints_verdict: Some(verdict.into()),
        mode: crate::kubeproxy::Mode::Nftables,
        // kube-proxy drops (rather than rejects) what a Local traffic policy leaves without a
        // local endpoint.
        local_only: verdict == "DROP",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{Chain, Expr, Rule};

    fn chain(name: &str, rules: Vec<Vec<Expr>>) -> Chain {
        Chain {
            family: "ip",
            table: TABLE.into(),
            name: name.into(),
            hook: None,
            priority: None,
            policy: None,
            counters: None,
            kind: None,
            rules: rules
                .into_iter()
                .map(|exprs| Rule {
                    handle: 0,
                    text: String::new(),
                    exprs,
                })
                .collect(),
        }
    }

    fn pad(b: &[u8]) -> Vec<u8> {
        let mut v = b.to_vec();
        v.resize(v.len().div_ceil(4) * 4, 0);
        v
    }

    fn goto(c: &str) -> Option<Verdict> {
        Some(Verdict::Goto(c.into()))
    }

    fn el(key: Vec<u8>, verdict: Option<Verdict>, comment: Option<&str>) -> Element {
        Element {
            key,
            verdict,
            comment: comment.map(str::to_string),
            ..Default::default()
        }
    }

    /// `ip daddr . meta l4proto . th dport` into registers 1, 9, 10, as nft compiles it.
    fn concat3() -> Vec<Expr> {
        vec![
            Expr::Payload {
                base: 1,
                offset: 16,
                len: 4,
                dreg: 1,
            },
            Expr::Meta { key: 16, dreg: 9 },
            Expr::Payload {
                base: 2,
                offset: 2,
                len: 2,
                dreg: 10,
            },
        ]
    }

    fn vmap(set: &str, sreg: u32, elements: Vec<Element>) -> Expr {
        Expr::Lookup {
            sreg,
            set: set.into(),
            inverted: false,
            dreg: Some(0),
            elements,
            interval: false,
        }
    }

    fn map(name: &str, key_type: u32, key_len: u32, elements: Vec<Element>) -> Set {
        Set {
            family: "ip",
            table: TABLE.into(),
            name: name.into(),
            flags: 0x8,
            key_type,
            key_len,
            data_type: Some(firewall::DATA_VERDICT),
            elements,
        }
    }

    /// kube-proxy's shapes (proxier_test.go's svc4 with two endpoints, a service without
    /// endpoints, a node port through `fib daddr type local`), as the kernel holds them.
    fn table() -> Table {
        let svc = "service-LAUZTJTB-ns4/svc4/tcp/p80";
        let ext = "external-LAUZTJTB-ns4/svc4/tcp/p80";
        let ep = |ip: u8| format!("endpoint-X{ip}-ns4/svc4/tcp/p80__10.180.0.{ip}/80");
        let key3 =
            |ip: [u8; 4], port: u16| [pad(&ip), pad(&[6]), pad(&port.to_be_bytes())].concat();
        let key2 = |port: u16| [pad(&[6]), pad(&port.to_be_bytes())].concat();
        // ipv4_addr . inet_proto . inet_service, inet_proto . inet_service.
        let (t3, t2) = ((7 << 12) | (12 << 6) | 13, (12 << 6) | 13);
        let dnat = |ip: u8| {
            vec![
                Expr::Meta { key: 16, dreg: 1 },
                Expr::Cmp {
                    sreg: 1,
                    op: 0,
                    data: vec![6],
                },
                Expr::Load {
                    dreg: 1,
                    data: vec![10, 180, 0, ip],
                },
                Expr::Load {
                    dreg: 2,
                    data: 80u16.to_be_bytes().to_vec(),
                },
                Expr::Nat {
                    dnat: true,
                    family: 2,
                    addr_min: Some(1),
                    addr_max: Some(1),
                    proto_min: Some(2),
                    proto_max: Some(2),
                    flags: 3,
                },
            ]
        };
        let numgen = vec![
            Expr::Numgen {
                dreg: 1,
                modulus: 2,
                random: true,
                offset: 0,
            },
            vmap(
                "__map0",
                1,
                vec![
                    el(0u32.to_ne_bytes().to_vec(), goto(&ep(4)), None),
                    el(1u32.to_ne_bytes().to_vec(), goto(&ep(5)), None),
                ],
            ),
        ];
        let mut services = concat3();
        services.push(vmap("service-ips", 1, vec![]));
        let nodeports = vec![
            Expr::Fib {
                dreg: 1,
                result: 3,
                flags: 2,
            },
            Expr::Cmp {
                sreg: 1,
                op: 0,
                data: 2u32.to_ne_bytes().to_vec(),
            },
            Expr::Meta { key: 16, dreg: 1 },
            Expr::Payload {
                base: 2,
                offset: 2,
                len: 2,
                dreg: 9,
            },
            vmap("service-nodeports", 1, vec![]),
        ];
        let mut check = concat3();
        check.push(vmap("no-endpoint-services", 1, vec![]));
        Table {
            chains: vec![
                chain("services", vec![services, nodeports]),
                chain("service-endpoints-check", vec![check]),
                chain(ext, vec![vec![Expr::Immediate { verdict: goto(svc) }]]),
                chain(svc, vec![numgen]),
                chain(&ep(4), vec![dnat(4)]),
                chain(&ep(5), vec![dnat(5)]),
            ],
            sets: vec![
                map(
                    "service-ips",
                    t3,
                    12,
                    vec![el(key3([172, 30, 0, 44], 80), goto(svc), None)],
                ),
                map(
                    "service-nodeports",
                    t2,
                    8,
                    vec![el(key2(3004), goto(ext), None)],
                ),
                map(
                    "no-endpoint-services",
                    t3,
                    12,
                    vec![
                        el(
                            key3([172, 30, 0, 46], 80),
                            goto("reject-chain"),
                            Some("ns6/svc6:p80"),
                        ),
                        // proxier_test.go's svc2: externalTrafficPolicy Local, no local
                        // endpoint: its external IP drops.
                        el(
                            key3([192, 168, 99, 22], 80),
                            Some(Verdict::Drop),
                            Some("ns2/svc2:p80"),
                        ),
                    ],
                ),
                Set {
                    name: "cluster-ips".into(),
                    key_type: 7,
                    key_len: 4,
                    data_type: None,
                    flags: 0,
                    elements: vec![
                        el(vec![172, 30, 0, 44], None, None),
                        el(vec![172, 30, 0, 46], None, None),
                    ],
                    ..map("", 0, 0, vec![])
                },
            ],
        }
    }

    fn conn(dst: &str, port: u16, dst_local: bool) -> Conn {
        Conn {
            src: Some("10.0.0.7".parse().unwrap()),
            src_local: true,
            dst: dst.parse().unwrap(),
            dst_local,
            proto: "tcp".into(),
            dport: port,
        }
    }

    #[test]
    fn a_cluster_ip_is_split_by_numgen_between_its_endpoints() {
        let s = follow_table(&table(), &conn("172.30.0.44", 80, false)).unwrap();
        assert_eq!(
            (s.name.as_str(), s.via.as_str()),
            ("ns4/svc4:p80", "cluster IP")
        );
        assert_eq!(s.mode, crate::kubeproxy::Mode::Nftables);
        assert_eq!(
            crate::kubeproxy::tests::endpoint_shares(&s),
            [
                ("10.180.0.4".into(), 80, 0.5),
                ("10.180.0.5".into(), 80, 0.5)
            ]
        );
        assert!(
            s.path.iter().any(|p| p
                == "@service-ips: 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80"),
            "{:?}",
            s.path
        );
        assert_eq!(s.no_endpoints, None);
        // Another port, another protocol: nothing.
        assert_eq!(
            follow_table(&table(), &conn("172.30.0.44", 81, false)),
            None
        );
        let mut udp = conn("172.30.0.44", 80, false);
        udp.proto = "udp".into();
        assert_eq!(follow_table(&table(), &udp), None);
    }

    #[test]
    fn a_node_port_needs_a_local_destination() {
        let s = follow_table(&table(), &conn("192.168.0.2", 3004, true)).unwrap();
        assert_eq!(
            (s.name.as_str(), s.via.as_str()),
            ("ns4/svc4:p80", "node port")
        );
        assert_eq!(s.endpoints.len(), 2);
        assert_eq!(
            follow_table(&table(), &conn("192.168.0.2", 3004, false)),
            None
        );
    }

    #[test]
    fn a_service_without_endpoints_is_named_from_its_element_comment() {
        let s = follow_table(&table(), &conn("172.30.0.46", 80, false)).unwrap();
        assert_eq!(
            (s.name.as_str(), s.via.as_str()),
            ("ns6/svc6:p80", "cluster IP")
        );
        assert!(s.endpoints.is_empty());
        assert_eq!(s.no_endpoints_verdict.as_deref(), Some("REJECT"));
        assert!(!s.local_only);
        let text = s.no_endpoints.unwrap();
        assert!(
            text.ends_with("@no-endpoint-services: 172.30.0.46 . tcp . 80 comment \"ns6/svc6:p80\" : goto reject-chain"),
            "{text}"
        );
    }

    #[test]
    fn an_external_ip_without_local_endpoints_is_dropped() {
        let s = follow_table(&table(), &conn("192.168.99.22", 80, false)).unwrap();
        assert_eq!(
            (s.name.as_str(), s.via.as_str()),
            ("ns2/svc2:p80", "external IP")
        );
        assert_eq!(s.no_endpoints_verdict.as_deref(), Some("DROP"));
        assert!(s.local_only);
    }

    #[test]
    fn names_and_raw_replies() {
        assert_eq!(
            service_port_name("service-ULMVA6XW-ns1/svc1/tcp/p80").as_deref(),
            Some("ns1/svc1:p80")
        );
        assert_eq!(
            service_port_name("endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80").as_deref(),
            Some("ns1/svc1:p80")
        );
        assert_eq!(
            service_port_name("external-42NFTM6N-ns2/svc2/tcp/").as_deref(),
            Some("ns2/svc2")
        );
        assert_eq!(service_port_name("services"), None);
        assert_eq!(service_port_name("service-endpoints-check"), None);
        let raw = Raw {
            chains: vec![Reply {
                family: 2,
                body: vec![0, 1, 0xfe, 0x7f],
            }],
            ..Default::default()
        };
        let json = serde_json::to_string(&raw).unwrap();
        assert!(json.contains("\"0001fe7f\""), "{json}");
        assert_eq!(serde_json::from_str::<Raw>(&json).unwrap(), raw);
        assert!(serde_json::from_str::<Reply>(r#"{"family":2,"body":"0g"}"#).is_err());
        // Junk replies decode to nothing, without a panic.
        let t = raw.decode();
        assert!(t.sets.is_empty());
        assert_eq!(follow(&raw, &conn("172.30.0.44", 80, false)), None);
    }

    #[test]
    fn nested_splits_are_bounded() {
        // service-… splits 65536 ways, each to a chain that splits 65536 ways again: 4 billion
        // runs unbounded; the walk stops at its budget and names what it found.
        let split = |to: &str| {
            let els = (0..firewall::MAX_SPLIT)
                .map(|i| el(i.to_ne_bytes().to_vec(), goto(to), None))
                .collect();
            vec![
                Expr::Numgen {
                    dreg: 1,
                    modulus: firewall::MAX_SPLIT,
                    random: true,
                    offset: 0,
                },
                vmap("__map0", 1, els),
            ]
        };
        let mut t = table();
        let svc = "service-LAUZTJTB-ns4/svc4/tcp/p80";
        for c in t.chains.iter_mut().filter(|c| c.name == svc) {
            c.rules[0].exprs = split("inner");
        }
        t.chains.push(chain(
            "inner",
            vec![split("endpoint-X4-ns4/svc4/tcp/p80__10.180.0.4/80")],
        ));
        let s = follow_table(&t, &conn("172.30.0.44", 80, false)).unwrap();
        assert_eq!(s.name, "ns4/svc4:p80");
        assert!(!s.endpoints.is_empty(), "{s:?}");
    }
}
