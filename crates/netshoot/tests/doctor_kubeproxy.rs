//! kube-proxy in `doctor` (root): a node namespace holding kube-proxy's iptables chains, written
//! with `iptables-restore` in the shapes kube-proxy's iptables proxier writes (its comments, the
//! `-m statistic --mode random --probability` split, KUBE-MARK-MASQ, the DNAT in KUBE-SEP, the
//! NodePort through KUBE-NODEPORTS and KUBE-EXT, the filter REJECT "has no endpoints"), and two
//! pod namespaces on the node's bridge, each with a real listener. The doctor, run in the node,
//! must name the endpoints a ClusterIP and a NodePort balance to, connect to each, say why one
//! whose listener stopped fails, and name a service without endpoints with its fix.
//!
//! ```text
//!   node (cni0 .1, kube-proxy's rules) ── ep1 .11:8080, ep2 .12:8080, dns .13:53, gw .254
//!   (the node's resolv.conf is a pod's: the kube-dns ClusterIP, three search domains, ndots:5)
//! ```
//!
//! Every address lives in a namespace this test creates: pods in 10.234.N.0/24, Service IPs in
//! 10.235.N.0/24 (translated in the node, or rejected there; the gateway does not forward).

use std::sync::atomic::{AtomicU32, Ordering};

use netshoot_testnet::cli::Netshoot;
use netshoot_testnet::{require_root, veth_pair, Child, Link, Netns};
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

struct Cluster {
    /// The pod network's first three octets.
    net: String,
    /// The Service network's first three octets.
    svc: String,
    node: Netns,
    _gw: Netns,
    _eps: Vec<Netns>,
    _links: Vec<Link>,
    /// The listeners of ep1 and ep2, in order.
    listeners: Vec<Option<Child>>,
    _dns: Child,
    /// The cluster DNS pod's query log.
    dns_log: std::path::PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.dns_log);
    }
}

/// Loads rules into a namespace with `iptables-restore`.
fn restore(ns: &Netns, rules: &str) {
    restore_by(ns, "iptables-restore", rules);
}

/// Loads rules into a namespace with `tool` (an `iptables-restore`).
fn restore_by(ns: &Netns, tool: &str, rules: &str) {
    let file = std::env::temp_dir().join(format!("{}.rules", ns.name));
    std::fs::write(&file, rules).unwrap();
    let mut argv: Vec<&str> = tool.split(' ').collect();
    argv.push(file.to_str().unwrap());
    ns.exec(&argv);
    let _ = std::fs::remove_file(&file);
}

fn octet() -> u32 {
    static N: AtomicU32 = AtomicU32::new(0);
    (std::process::id() + N.fetch_add(1, Ordering::Relaxed) * 11) % 250 + 1
}

/// kube-proxy's rules for its Service ports, as its iptables proxier writes them (argument
/// order and all) for `iptables-restore`:
/// - kpx/web:http, ClusterIP SVC.10:80 and NodePort 30080, endpoints NET.11:8080 and
///   NET.12:8080;
/// - kpx/empty:http, ClusterIP SVC.20:80 and NodePort 30081, no endpoints;
/// - kube-system/kube-dns:dns and :dns-tcp, ClusterIP SVC.3:53, endpoint NET.13:53 (the cluster
///   DNS), or none when `dns` is false.
fn kube_proxy_rules(net: &str, svc: &str, dns: bool) -> String {
    let (dns_filter, dns_nat) = if dns {
        (
            String::new(),
            format!(
                r#":KUBE-SVC-DNSUDPDNSUDPDNSUDP - [0:0]
:KUBE-SVC-DNSTCPDNSTCPDNSTCP - [0:0]
:KUBE-SEP-DNSUDPONEDNSUDPONE - [0:0]
:KUBE-SEP-DNSTCPONEDNSTCPONE - [0:0]
-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp -p udp -d {svc}.3 --dport 53 -j KUBE-SVC-DNSUDPDNSUDPDNSUDP
-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp -p tcp -d {svc}.3 --dport 53 -j KUBE-SVC-DNSTCPDNSTCPDNSTCP
-A KUBE-SVC-DNSUDPDNSUDPDNSUDP -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp -p udp -d {svc}.3 --dport 53 ! -s {net}.0/24 -j KUBE-MARK-MASQ
-A KUBE-SVC-DNSUDPDNSUDPDNSUDP -m comment --comment "kube-system/kube-dns:dns -> {net}.13:53" -j KUBE-SEP-DNSUDPONEDNSUDPONE
-A KUBE-SVC-DNSTCPDNSTCPDNSTCP -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp -p tcp -d {svc}.3 --dport 53 ! -s {net}.0/24 -j KUBE-MARK-MASQ
-A KUBE-SVC-DNSTCPDNSTCPDNSTCP -m comment --comment "kube-system/kube-dns:dns-tcp -> {net}.13:53" -j KUBE-SEP-DNSTCPONEDNSTCPONE
-A KUBE-SEP-DNSUDPONEDNSUDPONE -m comment --comment kube-system/kube-dns:dns -s {net}.13 -j KUBE-MARK-MASQ
-A KUBE-SEP-DNSUDPONEDNSUDPONE -m comment --comment kube-system/kube-dns:dns -m udp -p udp -j DNAT --to-destination {net}.13:53
-A KUBE-SEP-DNSTCPONEDNSTCPONE -m comment --comment kube-system/kube-dns:dns-tcp -s {net}.13 -j KUBE-MARK-MASQ
-A KUBE-SEP-DNSTCPONEDNSTCPONE -m comment --comment kube-system/kube-dns:dns-tcp -m tcp -p tcp -j DNAT --to-destination {net}.13:53
"#
            ),
        )
    } else {
        (
            format!(
                r#"-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns has no endpoints" -m udp -p udp -d {svc}.3 --dport 53 -j REJECT
-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns-tcp has no endpoints" -m tcp -p tcp -d {svc}.3 --dport 53 -j REJECT
"#
            ),
            String::new(),
        )
    };
    format!(
        r#"*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-SERVICES -m comment --comment "kpx/empty:http has no endpoints" -m tcp -p tcp -d {svc}.20 --dport 80 -j REJECT
{dns_filter}-A KUBE-EXTERNAL-SERVICES -m comment --comment "kpx/empty:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30081 -j REJECT
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-WEBHTTPWEBHTTPWEBHT - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-EPONEEPONEEPONEEPO - [0:0]
:KUBE-SEP-EPTWOEPTWOEPTWOEPT - [0:0]
:KUBE-SVC-WEBHTTPWEBHTTPWEBHT - [0:0]
{dns_nat}-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-NODEPORTS -m comment --comment kpx/web:http -m tcp -p tcp --dport 30080 -j KUBE-EXT-WEBHTTPWEBHTTPWEBHT
-A KUBE-SERVICES -m comment --comment "kpx/web:http cluster IP" -m tcp -p tcp -d {svc}.10 --dport 80 -j KUBE-SVC-WEBHTTPWEBHTTPWEBHT
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-WEBHTTPWEBHTTPWEBHT -m comment --comment "masquerade traffic for kpx/web:http external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-WEBHTTPWEBHTTPWEBHT -j KUBE-SVC-WEBHTTPWEBHTTPWEBHT
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-EPONEEPONEEPONEEPO -m comment --comment kpx/web:http -s {net}.11 -j KUBE-MARK-MASQ
-A KUBE-SEP-EPONEEPONEEPONEEPO -m comment --comment kpx/web:http -m tcp -p tcp -j DNAT --to-destination {net}.11:8080
-A KUBE-SEP-EPTWOEPTWOEPTWOEPT -m comment --comment kpx/web:http -s {net}.12 -j KUBE-MARK-MASQ
-A KUBE-SEP-EPTWOEPTWOEPTWOEPT -m comment --comment kpx/web:http -m tcp -p tcp -j DNAT --to-destination {net}.12:8080
-A KUBE-SVC-WEBHTTPWEBHTTPWEBHT -m comment --comment "kpx/web:http cluster IP" -m tcp -p tcp -d {svc}.10 --dport 80 ! -s {net}.0/24 -j KUBE-MARK-MASQ
-A KUBE-SVC-WEBHTTPWEBHTTPWEBHT -m comment --comment "kpx/web:http -> {net}.11:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-EPONEEPONEEPONEEPO
-A KUBE-SVC-WEBHTTPWEBHTTPWEBHT -m comment --comment "kpx/web:http -> {net}.12:8080" -j KUBE-SEP-EPTWOEPTWOEPTWOEPT
COMMIT
"#
    )
}

/// kube-proxy's nftables mode for the same Services, as its nftables proxier writes them
/// (`pkg/proxy/nftables/proxier.go`; the shapes of `proxier_test.go`'s `baseRules` and
/// `TestOverallNFTablesRules`, kubernetes/kubernetes as of v1.33+) for `nft -f`, node ports taken on
/// every local address (`fib daddr type local`, kube-proxy's choice when `--nodeport-addresses`
/// matches all), or on the addresses of the `nodeport-ips` set (`nodeport_ips`). The table is
/// deleted first, so loading again replaces it. Chain-name hashes are stand-ins.
fn kube_proxy_nft(net: &str, svc: &str, dns: bool, nodeport_ips: Option<&str>) -> String {
    let web = "WEBHTTP1-kpx/web/tcp/http";
    let (ep1, ep2) = (
        format!("endpoint-EPONE001-kpx/web/tcp/http__{net}.11/8080"),
        format!("endpoint-EPTWO002-kpx/web/tcp/http__{net}.12/8080"),
    );
    let mut chains = vec![
        format!("service-{web}"),
        format!("external-{web}"),
        ep1.clone(),
        ep2.clone(),
    ];
    let mut rules = format!(
        r#"add rule ip kube-proxy service-{web} ip daddr {svc}.10 ip saddr != {net}.0/24 jump mark-for-masquerade
add rule ip kube-proxy service-{web} numgen random mod 2 vmap {{ 0 : goto {ep1} , 1 : goto {ep2} }}
add rule ip kube-proxy external-{web} jump mark-for-masquerade
add rule ip kube-proxy external-{web} goto service-{web}
add rule ip kube-proxy {ep1} ip saddr {net}.11 jump mark-for-masquerade
add rule ip kube-proxy {ep1} meta l4proto tcp dnat to {net}.11:8080
add rule ip kube-proxy {ep2} ip saddr {net}.12 jump mark-for-masquerade
add rule ip kube-proxy {ep2} meta l4proto tcp dnat to {net}.12:8080
add element ip kube-proxy cluster-ips {{ {svc}.10 }}
add element ip kube-proxy service-ips {{ {svc}.10 . tcp . 80 : goto service-{web} }}
add element ip kube-proxy service-nodeports {{ tcp . 30080 : goto external-{web} }}
add element ip kube-proxy cluster-ips {{ {svc}.20 }}
add element ip kube-proxy no-endpoint-services {{ {svc}.20 . tcp . 80 comment "kpx/empty:http" : goto reject-chain }}
add element ip kube-proxy no-endpoint-nodeports {{ tcp . 30081 comment "kpx/empty:http" : goto reject-chain }}
add element ip kube-proxy cluster-ips {{ {svc}.3 }}
"#
    );
    for (proto, port) in [("udp", "dns"), ("tcp", "dns-tcp")] {
        let hash = if proto == "udp" {
            "DNSUDP01"
        } else {
            "DNSTCP02"
        };
        if !dns {
            rules.push_str(&format!(
                "add element ip kube-proxy no-endpoint-services {{ {svc}.3 . {proto} . 53 comment \"kube-system/kube-dns:{port}\" : goto reject-chain }}\n"
            ));
            continue;
        }
        let base = format!("{hash}-kube-system/kube-dns/{proto}/{port}");
        let ep = format!("endpoint-{hash}-kube-system/kube-dns/{proto}/{port}__{net}.13/53");
        chains.push(format!("service-{base}"));
        chains.push(ep.clone());
        rules.push_str(&format!(
            r#"add rule ip kube-proxy service-{base} ip daddr {svc}.3 ip saddr != {net}.0/24 jump mark-for-masquerade
add rule ip kube-proxy service-{base} numgen random mod 1 vmap {{ 0 : goto {ep} }}
add rule ip kube-proxy {ep} ip saddr {net}.13 jump mark-for-masquerade
add rule ip kube-proxy {ep} meta l4proto {proto} dnat to {net}.13:53
add element ip kube-proxy service-ips {{ {svc}.3 . {proto} . 53 : goto service-{base} }}
"#
        ));
    }
    let (nodeports, nodeport_check, nodeport_set) = match nodeport_ips {
        None => (
            "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports".to_string(),
            "ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports".to_string(),
            String::new(),
        ),
        Some(ip) => (
            "ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports".to_string(),
            "ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports".to_string(),
            format!("add set ip kube-proxy nodeport-ips {{ type ipv4_addr ; comment \"IPs that accept NodePort traffic\" ; }}\nadd element ip kube-proxy nodeport-ips {{ {ip} }}\n"),
        ),
    };
    let chains: String = chains
        .iter()
        .map(|c| format!("add chain ip kube-proxy {c}\n"))
        .collect();
    format!(
        r#"add table ip kube-proxy
delete table ip kube-proxy
add table ip kube-proxy {{ comment "rules for kube-proxy" ; }}
add set ip kube-proxy cluster-ips {{ type ipv4_addr ; comment "Active ClusterIPs" ; }}
{nodeport_set}add map ip kube-proxy firewall-ips {{ type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }}
add map ip kube-proxy no-endpoint-nodeports {{ type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }}
add map ip kube-proxy no-endpoint-services {{ type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }}
add map ip kube-proxy service-ips {{ type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }}
add map ip kube-proxy service-nodeports {{ type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }}
add chain ip kube-proxy cluster-ips-check
add chain ip kube-proxy filter-prerouting {{ type filter hook prerouting priority -110 ; }}
add chain ip kube-proxy filter-input {{ type filter hook input priority -110 ; }}
add chain ip kube-proxy filter-forward {{ type filter hook forward priority -110 ; }}
add chain ip kube-proxy filter-output {{ type filter hook output priority -110 ; }}
add chain ip kube-proxy filter-output-post-dnat {{ type filter hook output priority -90 ; }}
add chain ip kube-proxy firewall-check
add chain ip kube-proxy mark-for-masquerade
add chain ip kube-proxy masquerading
add chain ip kube-proxy nat-output {{ type nat hook output priority -100 ; }}
add chain ip kube-proxy nat-postrouting {{ type nat hook postrouting priority 100 ; }}
add chain ip kube-proxy nat-prerouting {{ type nat hook prerouting priority -100 ; }}
add chain ip kube-proxy nodeport-endpoints-check
add chain ip kube-proxy reject-chain {{ comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }}
add chain ip kube-proxy services
add chain ip kube-proxy service-endpoints-check
{chains}add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
add rule ip kube-proxy cluster-ips-check ip daddr {{ {svc}.0/24 }} drop comment "Drop traffic to unallocated ClusterIPs"
add rule ip kube-proxy filter-prerouting ct state new jump firewall-check
add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output ct state new jump firewall-check
add rule ip kube-proxy filter-output-post-dnat ct state new jump cluster-ips-check
add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
add rule ip kube-proxy masquerading mark set mark xor 0x4000
add rule ip kube-proxy masquerading masquerade fully-random
add rule ip kube-proxy nat-output jump services
add rule ip kube-proxy nat-postrouting jump masquerading
add rule ip kube-proxy nat-prerouting jump services
add rule ip kube-proxy nodeport-endpoints-check {nodeport_check}
add rule ip kube-proxy reject-chain reject
add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip kube-proxy services {nodeports}
add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
{rules}"#
    )
}

/// Loads an nftables ruleset into a namespace with the real `nft -f`.
fn nft_load(ns: &Netns, rules: &str) {
    restore_by(ns, "nft -f", rules);
}

/// How kube-proxy's rules are loaded into the node.
#[derive(Clone, Copy)]
enum Load<'a> {
    /// Its iptables mode, by this `iptables-restore` (iptables-nft, or
    /// `iptables-legacy-restore`).
    Iptables(&'a str),
    /// Its nftables mode, by `nft -f`.
    Nft,
}

impl Cluster {
    fn build() -> Cluster {
        Self::build_with("iptables-restore")
    }

    fn build_with(restore_with: &str) -> Cluster {
        Self::build_loaded(Load::Iptables(restore_with))
    }

    /// With kube-proxy's rules loaded as `load` says.
    fn build_loaded(load: Load) -> Cluster {
        let n = octet();
        let (net, svc) = (format!("10.234.{n}"), format!("10.235.{n}"));
        // Namespaces of the nftables-mode tests are named nstkpn….
        let nft = matches!(load, Load::Nft);
        let tag = |t: &'static str| if nft { "kpn" } else { t };
        let node = Netns::new(tag("kn"));
        node.ip(&["link", "add", "cni0", "type", "bridge"]);
        node.ip(&["addr", "add", &format!("{net}.1/24"), "dev", "cni0"]);
        node.ip(&["link", "set", "cni0", "up"]);
        let gw = Netns::new(tag("kg"));
        let eps = vec![
            Netns::new(tag("ke1")),
            Netns::new(tag("ke2")),
            Netns::new(tag("kd")),
        ];
        let mut links = Vec::new();
        for (ns, host) in [(&gw, 254), (&eps[0], 11), (&eps[1], 12), (&eps[2], 13)] {
            let addr = format!("{net}.{host}/24");
            let (node_end, _, guard) = veth_pair((Some(&node), None), (Some(ns), Some(&addr)));
            node.ip(&["link", "set", &node_end, "master", "cni0"]);
            links.push(guard);
        }
        node.ip(&["route", "add", "default", "via", &format!("{net}.254")]);
        // A pod's resolv.conf, as kubelet writes it for namespace kpx (ClusterFirst).
        node.resolv_conf(&format!(
            "search kpx.svc.cluster.local svc.cluster.local cluster.local\nnameserver {svc}.3\noptions ndots:5\n"
        ));
        match load {
            Load::Iptables(tool) => restore_by(&node, tool, &kube_proxy_rules(&net, &svc, true)),
            Load::Nft => nft_load(&node, &kube_proxy_nft(&net, &svc, true, None)),
        }
        // The cluster DNS pod: authoritative for cluster.local (NXDOMAIN for what it lacks) and
        // for the "external" name www.example.test; no upstream. It logs every query.
        let dns_log = std::env::temp_dir().join(format!("{}.dns.log", node.name));
        let dns = eps[2].dnsmasq(
            &format!("{net}.13"),
            &[
                "--local=/cluster.local/",
                "--local=/example.test/",
                &format!("--host-record=www.example.test,{net}.11"),
                "--log-queries",
                &format!("--log-facility={}", dns_log.display()),
            ],
        );
        eps[2].wait_listen(53, true);
        let listeners = eps[..2]
            .iter()
            .map(|ep| {
                let l = ep.tcp_sinks(&["8080"]).pop();
                ep.wait_listen(8080, false);
                l
            })
            .collect();
        Cluster {
            net,
            svc,
            node,
            _gw: gw,
            _eps: eps,
            _links: links,
            listeners,
            _dns: dns,
            dns_log,
        }
    }

    fn doctor(&self, dest: &str) -> (i32, Value) {
        let spec = format!("netns:{}", self.node.name);
        let mut args = vec!["-t", spec.as_str(), "doctor", "--json", dest];
        let rec = netshoot_testnet::doctor_record_args();
        args.extend(rec.iter().map(String::as_str));
        NETSHOOT.json(&args)
    }
}

fn finding<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["id"] == id))
        .unwrap_or_else(|| panic!("no finding {id}: {v:#}"))
}

/// The ClusterIP SVC.10:80 followed by the doctor (kube-proxy in `mode`) to its two endpoints,
/// 50% each, with `evidence` among the kube.service finding's; each endpoint connected to; the
/// ClusterIP itself answers TCP through the kernel's DNAT, and nothing answers ping on it.
fn cluster_ip_is_followed(c: &Cluster, mode: &str, evidence: &[String]) {
    let cip = format!("{}.10:80", c.svc);
    let (ep1, ep2) = (format!("{}.11:8080", c.net), format!("{}.12:8080", c.net));
    let (code, v) = c.doctor(&cip);
    let svc = finding(&v, &format!("kube.service:{cip}"));
    assert_eq!(svc["status"], "ok", "{v:#}");
    let summary = svc["summary"].as_str().unwrap();
    assert!(summary.contains("kpx/web:http (cluster IP)"), "{summary}");
    assert!(
        summary.contains(&format!("kube-proxy ({mode})")),
        "{summary}"
    );
    assert!(summary.contains(&format!("{ep1} (50%)")), "{summary}");
    assert!(summary.contains(&format!("{ep2} (50%)")), "{summary}");
    let got = svc["evidence"].to_string();
    for want in evidence {
        assert!(got.contains(want.as_str()), "{want} not in {got}");
    }
    for ep in [&ep1, &ep2] {
        let f = finding(&v, &format!("kube.endpoint:{ep}"));
        assert_eq!(f["status"], "ok", "{v:#}");
        assert_eq!(f["dests"][0], cip.as_str(), "{f:#}");
    }
    assert_eq!(
        finding(&v, &format!("reach.tcp:{cip}"))["status"],
        "ok",
        "{v:#}"
    );
    assert_eq!(
        finding(&v, &format!("reach.icmp:{cip}"))["status"],
        "skipped"
    );
    assert_eq!(v["counts"]["fail"], 0, "{v:#}");
    assert_eq!(code, 0, "{v:#}");
}

/// ep2's listener stops: its endpoint of SVC.10:80 is named unreachable, with the reason.
fn a_dead_endpoint_is_named(c: &mut Cluster) {
    let cip = format!("{}.10:80", c.svc);
    let (ep1, ep2) = (format!("{}.11:8080", c.net), format!("{}.12:8080", c.net));
    c.listeners[1] = None;
    let (code, v) = c.doctor(&cip);
    let f = finding(&v, &format!("kube.endpoint:{ep2}"));
    assert_eq!(f["status"], "fail", "{v:#}");
    let s = f["summary"].as_str().unwrap();
    assert!(s.contains("refuses TCP connections"), "{s}");
    assert!(s.contains("50% of new connections"), "{s}");
    let ev = f["evidence"].to_string();
    assert!(
        ev.contains(&format!(
            "Nothing listens on TCP port 8080 for {}.12",
            c.net
        )),
        "{ev}"
    );
    assert!(f["why"].as_str().unwrap().contains("intermittent"), "{f:#}");
    assert!(
        f["fix"].as_str().unwrap().contains("readinessProbe"),
        "{f:#}"
    );
    assert_eq!(finding(&v, &format!("kube.endpoint:{ep1}"))["status"], "ok");
    // A failed connect to the ClusterIP (when it drew ep2) is that endpoint's consequence.
    let reach = finding(&v, &format!("reach.tcp:{cip}"));
    if reach["status"] == "fail" {
        assert_eq!(reach["because"], format!("kube.endpoint:{ep2}"), "{v:#}");
    }
    assert_eq!(code, 1);
}

/// SVC.20:80 has no endpoints: kube-proxy's REJECT (its rule or element holding `evidence`) is
/// the top finding, with the fix, and the refused connection is its consequence; the report.
fn no_endpoints_are_named(c: &Cluster, evidence: &str) -> Value {
    let cip = format!("{}.20:80", c.svc);
    let (code, v) = c.doctor(&cip);
    let top = &v["findings"][0];
    assert_eq!(top["id"], format!("kube.endpoints:{cip}"), "{v:#}");
    assert_eq!(top["status"], "fail");
    let s = top["summary"].as_str().unwrap();
    assert!(s.contains("kpx/empty:http has no endpoints"), "{s}");
    assert!(s.contains("REJECTs"), "{s}");
    let ev = top["evidence"][0].as_str().unwrap();
    assert!(ev.contains(evidence), "{evidence} not in {ev}");
    let fix = top["fix"].as_str().unwrap();
    assert!(
        fix.contains("kubectl -n kpx get endpointslices -l kubernetes.io/service-name=empty"),
        "{fix}"
    );
    // The connection is refused, because of it.
    let reach = finding(&v, &format!("reach.tcp:{cip}"));
    assert_eq!(reach["status"], "fail", "{v:#}");
    assert_eq!(reach["because"], format!("kube.endpoints:{cip}"), "{v:#}");
    assert_eq!(code, 1);
    v
}

/// The NodePort NET.1:30080 on the node's address reaches the same endpoints (with `evidence`
/// on the way), and NET.1:30081 of the service without endpoints is named so.
fn node_ports_are_named(c: &Cluster, evidence: &[&str]) {
    let np = format!("{}.1:30080", c.net);
    let (code, v) = c.doctor(&np);
    let svc = finding(&v, &format!("kube.service:{np}"));
    let summary = svc["summary"].as_str().unwrap();
    assert!(summary.contains("kpx/web:http (node port)"), "{summary}");
    for ep in [".11:8080 (50%)", ".12:8080 (50%)"] {
        assert!(summary.contains(&format!("{}{ep}", c.net)), "{summary}");
    }
    let ev = svc["evidence"].to_string();
    for want in evidence {
        assert!(ev.contains(want), "{want} not in {ev}");
    }
    // Nothing listens on 30080 in the node, and that is no fault: kube-proxy translates it.
    assert_eq!(finding(&v, &format!("listen:{np}"))["status"], "skipped");
    assert_eq!(
        finding(&v, &format!("reach.tcp:{np}"))["status"],
        "ok",
        "{v:#}"
    );
    assert_eq!(code, 0, "{v:#}");

    let np = format!("{}.1:30081", c.net);
    let (_, v) = c.doctor(&np);
    let top = &v["findings"][0];
    assert_eq!(top["id"], format!("kube.endpoints:{np}"), "{v:#}");
    assert!(
        top["summary"].as_str().unwrap().contains("(node port)"),
        "{top:#}"
    );
}

#[test]
fn a_cluster_ip_is_followed_to_its_endpoints_and_a_dead_one_is_named() {
    require_root!();
    let mut c = Cluster::build();
    let cip = format!("{}.10:80", c.svc);
    let (ep1, ep2) = (format!("{}.11:8080", c.net), format!("{}.12:8080", c.net));

    // What netshoot reads is what iptables prints (the statistic match included).
    let ours = NETSHOOT.ok_text(&[
        "-t",
        &format!("netns:{}", c.node.name),
        "iptables",
        "-t",
        "nat",
        "-S",
    ]);
    let real = c.node.exec(&["iptables", "-t", "nat", "-S"]);
    assert_eq!(ours, real);
    assert!(
        real.contains("--mode random --probability 0.50000000000"),
        "{real}"
    );

    cluster_ip_is_followed(
        &c,
        "iptables",
        &[
            "KUBE-SVC-WEBHTTPWEBHTTPWEBHT".into(),
            format!("DNAT --to-destination {ep2}"),
        ],
    );

    // The text report names them too.
    let text = NETSHOOT.run(&["-t", &format!("netns:{}", c.node.name), "doctor", &cip]);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains(&ep1) && out.contains(&ep2), "{out}");

    a_dead_endpoint_is_named(&mut c);
}

#[test]
fn a_service_without_endpoints_and_a_node_port_are_named() {
    require_root!();
    let c = Cluster::build();
    no_endpoints_are_named(&c, "\"kpx/empty:http has no endpoints\"");
    // KUBE-NODEPORTS → KUBE-EXT → the same endpoints.
    node_ports_are_named(&c, &["KUBE-NODEPORTS", "KUBE-MARK-MASQ"]);
}

/// The queries the cluster DNS pod logged (`query[A] NAME`), in order.
fn logged_queries(log: &std::path::Path) -> Vec<(String, String)> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let q = l.split_once(" query[")?.1;
            let (qtype, rest) = q.split_once("] ")?;
            let name = rest.split(' ').next()?;
            Some((qtype.to_string(), name.to_string()))
        })
        .collect()
}

#[test]
fn the_cluster_dns_service_and_the_ndots_cost_of_an_external_name_are_named() {
    require_root!();
    let c = Cluster::build();
    let dns = format!("{}.3", c.svc);
    let dest = "www.example.test:8080";

    // What glibc sends for it from this resolv.conf, as the DNS pod logged it: every search
    // name, A and AAAA, before the name itself.
    std::fs::write(&c.dns_log, "").unwrap();
    let got = c.node.exec(&["getent", "ahosts", "www.example.test"]);
    assert!(got.contains(&format!("{}.11", c.net)), "{got}");
    let queries = logged_queries(&c.dns_log);
    let before = queries
        .iter()
        .position(|(_, n)| n == "www.example.test")
        .unwrap_or_else(|| panic!("glibc never asked the name itself: {queries:?}"));
    assert!(before >= 6, "{queries:?}");

    let (_, v) = c.doctor(dest);
    let nd = finding(&v, "dns.ndots:www.example.test");
    assert_eq!(nd["status"], "warn", "{v:#}");
    let s = nd["summary"].as_str().unwrap();
    assert!(s.contains("fewer than ndots:5"), "{s}");
    assert!(s.contains("3 search name(s)"), "{s}");
    assert!(
        s.contains(&format!(
            "sends {before} queries before the one that answers"
        )),
        "glibc sent {before} queries before the answer ({queries:?}); the doctor says: {s}"
    );
    assert!(nd["fix"].as_str().unwrap().contains("'www.example.test.'"));
    // The cluster DNS Service, its endpoint asked directly, and the nameserver itself answer.
    let kd = finding(&v, &format!("kube.dns:{dns}"));
    assert_eq!(kd["status"], "ok", "{v:#}");
    let s = kd["summary"].as_str().unwrap();
    assert!(s.contains("kube-system/kube-dns:dns"), "{s}");
    assert!(s.contains(&format!("{}.13:53 (100%)", c.net)), "{s}");
    let ep = finding(&v, &format!("kube.endpoint:{}.13:53", c.net));
    assert_eq!(ep["status"], "ok", "{v:#}");
    assert_eq!(
        finding(&v, &format!("dns.server:{dns}"))["status"],
        "ok",
        "{v:#}"
    );

    // The DNS pods are gone: kube-proxy rejects every query to the Service.
    restore(&c.node, &kube_proxy_rules(&c.net, &c.svc, false));
    let (code, v) = c.doctor(dest);
    let top = &v["findings"][0];
    assert_eq!(top["id"], format!("kube.dns:{dns}"), "{v:#}");
    let s = top["summary"].as_str().unwrap();
    assert!(
        s.contains("kube-system/kube-dns:dns, which has no endpoints"),
        "{s}"
    );
    assert!(top["fix"].as_str().unwrap().contains("k8s-app=kube-dns"));
    let server = finding(&v, &format!("dns.server:{dns}"));
    assert_eq!(server["status"], "fail", "{v:#}");
    assert_eq!(server["because"], format!("kube.dns:{dns}"), "{v:#}");
    assert_eq!(code, 1);
}

/// kube-proxy's ipvs mode: each Service address sits on the dummy `kube-ipvs0` and each port is an
/// IPVS virtual service whose real servers are the endpoints (`ipvsadm`, as kube-proxy programs
/// it over netlink). On a kernel without IPVS only the first half runs: an address that no rule
/// and no virtual service takes is not made a Service.
#[test]
fn an_ipvs_virtual_service_is_followed_to_its_real_servers() {
    require_root!();
    let c = Cluster::build();
    let (vip, empty) = (format!("{}.30:80", c.svc), format!("{}.40:80", c.svc));
    let has_ipvs = std::path::Path::new("/proc/net/ip_vs").exists()
        || c.node.output(&["ipvsadm", "-Ln"]).status.success();
    if !has_ipvs {
        let (_, v) = c.doctor(&vip);
        let kube: Vec<&Value> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"].as_str().unwrap_or_default().starts_with("kube"))
            .filter(|f| !f["id"].as_str().unwrap_or_default().contains(":53"))
            .filter(|f| !f["id"].as_str().unwrap_or_default().starts_with("kube.dns"))
            .collect();
        assert_eq!(kube.len(), 1, "{v:#}");
        assert_eq!(kube[0]["id"], "kube", "{v:#}");
        assert_eq!(kube[0]["status"], "skipped", "{v:#}");
        netshoot_testnet::say_skipped(
            "this kernel has no IPVS (modprobe ip_vs): the ipvs-mode half did not run",
        );
        return;
    }
    c.node.ip(&["link", "add", "kube-ipvs0", "type", "dummy"]);
    for a in [&vip, &empty] {
        let ip = a.trim_end_matches(":80");
        c.node
            .ip(&["addr", "add", &format!("{ip}/32"), "dev", "kube-ipvs0"]);
        c.node.exec(&["ipvsadm", "-A", "-t", a, "-s", "rr"]);
    }
    for ep in [".11:8080", ".12:8080"] {
        let rs = format!("{}{ep}", c.net);
        c.node
            .exec(&["ipvsadm", "-a", "-t", &vip, "-r", &rs, "-m", "-w", "1"]);
    }
    let (code, v) = c.doctor(&vip);
    let svc = finding(&v, &format!("kube.service:{vip}"));
    let s = svc["summary"].as_str().unwrap();
    assert!(s.contains("IPVS virtual service (scheduler rr)"), "{s}");
    assert!(s.contains(&format!("{}.11:8080 (50%)", c.net)), "{s}");
    assert!(s.contains(&format!("{}.12:8080 (50%)", c.net)), "{s}");
    for ep in [".11:8080", ".12:8080"] {
        let f = finding(&v, &format!("kube.endpoint:{}{ep}", c.net));
        assert_eq!(f["status"], "ok", "{v:#}");
    }
    assert_eq!(code, 0, "{v:#}");
    let (code, v) = c.doctor(&empty);
    let top = &v["findings"][0];
    assert_eq!(top["id"], format!("kube.endpoints:{empty}"), "{v:#}");
    assert!(top["summary"].as_str().unwrap().contains("no real servers"));
    assert_eq!(code, 1);
}

/// The same chains written by iptables-legacy (x_tables, not nf_tables), as on nodes whose
/// kube-proxy runs in legacy mode: read the same way and followed the same way.
#[test]
fn a_cluster_ip_under_iptables_legacy_is_followed_too() {
    require_root!();
    let c = Cluster::build_with("iptables-legacy-restore");
    let spec = format!("netns:{}", c.node.name);
    let ours = NETSHOOT.ok_text(&["-t", &spec, "iptables", "-t", "nat", "-S"]);
    let real = c.node.exec(&["iptables-legacy", "-t", "nat", "-S"]);
    assert_eq!(ours, real);
    assert!(
        real.contains("--mode random --probability 0.50000000000"),
        "{real}"
    );
    let cip = format!("{}.10:80", c.svc);
    let (code, v) = c.doctor(&cip);
    let s = finding(&v, &format!("kube.service:{cip}"))["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(s.contains(&format!("{}.11:8080 (50%)", c.net)), "{s}");
    assert!(s.contains(&format!("{}.12:8080 (50%)", c.net)), "{s}");
    assert_eq!(
        finding(&v, &format!("reach.tcp:{cip}"))["status"],
        "ok",
        "{v:#}"
    );
    assert_eq!(code, 0, "{v:#}");
    let (_, v) = c.doctor(&format!("{}.20:80", c.svc));
    assert_eq!(
        v["findings"][0]["id"],
        format!("kube.endpoints:{}.20:80", c.svc),
        "{v:#}"
    );
}

/// Each element of kube-proxy's maps as `nft -j list table ip kube-proxy` gives it, in nft's
/// text form (`10.1.2.3 . tcp . 80 comment "x" : goto chain`), by map name.
fn nft_json_elements(v: &Value) -> Vec<(String, String)> {
    fn part(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Object(o) if o.contains_key("concat") => o["concat"]
                .as_array()
                .unwrap()
                .iter()
                .map(part)
                .collect::<Vec<_>>()
                .join(" . "),
            other => panic!("unexpected key {other}"),
        }
    }
    fn verdict(v: &Value) -> String {
        let (k, x) = v.as_object().unwrap().iter().next().unwrap();
        match x.get("target") {
            Some(t) => format!("{k} {}", t.as_str().unwrap()),
            None => k.clone(),
        }
    }
    let mut out = Vec::new();
    for item in v["nftables"].as_array().unwrap() {
        let Some(m) = item.get("map") else { continue };
        let name = m["name"].as_str().unwrap();
        for e in m["elem"].as_array().into_iter().flatten() {
            let (key, value) = (&e[0], &e[1]);
            let text = match key.get("elem") {
                Some(el) => format!(
                    "{} comment \"{}\" : {}",
                    part(&el["val"]),
                    el["comment"].as_str().unwrap(),
                    verdict(value)
                ),
                None => format!("{} : {}", part(key), verdict(value)),
            };
            out.push((name.to_string(), text));
        }
    }
    out.sort();
    out
}

/// The blocks of `nft list table` text for the chains a connection to a Service goes through
/// (`services`, the endpoint checks, each service's, external and endpoint chains).
fn followed_chains(text: &str) -> Vec<String> {
    let followed = [
        "services ",
        "service-endpoints-check ",
        "nodeport-endpoints-check ",
        "service-",
        "external-",
        "endpoint-",
    ];
    text.split("\n\n")
        .map(|b| b.trim_end_matches("\n}").trim_end().to_string())
        .filter(|b| {
            b.trim_start()
                .strip_prefix("chain ")
                .is_some_and(|n| followed.iter().any(|f| n.starts_with(f)))
        })
        .collect()
}

/// The map elements of netshoot's `nft list table ip kube-proxy`, by map name.
fn our_elements(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut map = None;
    let mut inside = false;
    for line in text.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("map ") {
            map = rest.split(' ').next().map(str::to_string);
            continue;
        }
        if l.starts_with("set ") || l.starts_with("chain ") {
            map = None;
        }
        let Some(m) = &map else { continue };
        let l = match l.strip_prefix("elements = { ") {
            Some(rest) => {
                inside = true;
                rest
            }
            None if inside => l,
            None => continue,
        };
        let (l, last) = match l.strip_suffix(" }") {
            Some(x) => (x, true),
            None => (l, false),
        };
        let l = l.trim_end_matches(',');
        if !l.is_empty() {
            out.push((m.clone(), l.to_string()));
        }
        if last {
            inside = false;
        }
    }
    out.sort();
    out
}

/// kube-proxy's nftables mode: its `kube-proxy` table loaded with the real `nft -f` in the
/// node, read over netlink, compared with nft's own reading, and followed by the doctor.
#[test]
fn nftables_mode_a_cluster_ip_is_followed_to_its_endpoints_and_a_dead_one_is_named() {
    require_root!();
    let mut c = Cluster::build_loaded(Load::Nft);
    let spec = format!("netns:{}", c.node.name);
    let ep2 = format!("{}.12:8080", c.net);

    // The maps' elements netshoot decodes are the ones nft reads.
    let ours = NETSHOOT.ok_text(&["-t", &spec, "nft", "list", "table", "ip", "kube-proxy"]);
    let peer: Value =
        serde_json::from_str(
            &c.node
                .exec(&["nft", "-j", "list", "table", "ip", "kube-proxy"]),
        )
        .unwrap();
    // The chains the doctor follows, rule by rule as nft prints them (verdict maps on
    // concatenations, numgen, fib, dnat); comments and kube-proxy's mark statements elsewhere
    // in the table are not rendered by netshoot's nft.
    let real = c.node.exec(&["nft", "list", "table", "ip", "kube-proxy"]);
    let (ours_chains, real_chains) = (followed_chains(&ours), followed_chains(&real));
    assert_eq!(ours_chains.len(), 11, "{ours}");
    assert_eq!(ours_chains, real_chains);
    let (ours, peer) = (our_elements(&ours), nft_json_elements(&peer));
    assert_eq!(peer.len(), 6, "{peer:?}");
    assert!(
        peer.iter().any(|(m, e)| m == "no-endpoint-services"
            && e.contains("comment \"kpx/empty:http\" : goto reject-chain")),
        "{peer:?}"
    );
    assert_eq!(ours, peer);

    cluster_ip_is_followed(
        &c,
        "nftables",
        &[
            "ip daddr . meta l4proto . th dport vmap @service-ips".into(),
            format!(
                "{}.10 . tcp . 80 : goto service-WEBHTTP1-kpx/web/tcp/http",
                c.svc
            ),
            "numgen random mod 2 vmap { 0 : goto endpoint-EPONE001".into(),
            format!("meta l4proto tcp dnat to {ep2}"),
        ],
    );
    a_dead_endpoint_is_named(&mut c);
}

#[test]
fn nftables_mode_a_service_without_endpoints_and_a_node_port_are_named() {
    require_root!();
    let c = Cluster::build_loaded(Load::Nft);
    // No endpoints: the element of no-endpoint-services sends it to reject-chain.
    let v = no_endpoints_are_named(
        &c,
        &format!(
            "@no-endpoint-services: {}.20 . tcp . 80 comment \"kpx/empty:http\" : goto reject-chain",
            c.svc
        ),
    );
    // The firewall check evaluates the same verdict map: a REJECT by reject-chain (not the
    // DROP of unallocated ClusterIPs after it), a consequence of the missing endpoints.
    let fw = finding(&v, &format!("firewall.output:{}.20:80", c.svc));
    let s = fw["summary"].as_str().unwrap();
    assert!(
        s.contains("REJECTs") && s.contains("reject-chain"),
        "{fw:#}"
    );
    assert_eq!(
        fw["because"],
        format!("kube.endpoints:{}.20:80", c.svc),
        "{fw:#}"
    );
    // `fib daddr type local` → @service-nodeports → external-… → the service chain; the one
    // without endpoints through @no-endpoint-nodeports, from the input hook.
    node_ports_are_named(
        &c,
        &[
            "fib daddr type local",
            "tcp . 30080 : goto external-WEBHTTP1",
            "jump mark-for-masquerade",
        ],
    );

    // Node ports on the addresses of the nodeport-ips set (`--nodeport-addresses`): the same.
    let cip = format!("{}.20:80", c.svc);
    nft_load(
        &c.node,
        &kube_proxy_nft(&c.net, &c.svc, true, Some(&format!("{}.1", c.net))),
    );
    let np = format!("{}.1:30080", c.net);
    let (code, v) = c.doctor(&np);
    let svc = finding(&v, &format!("kube.service:{np}"));
    assert!(
        svc["evidence"]
            .to_string()
            .contains("ip daddr @nodeport-ips"),
        "{svc:#}"
    );
    assert!(
        svc["summary"].as_str().unwrap().contains("(node port)"),
        "{svc:#}"
    );
    assert_eq!(code, 0, "{v:#}");
    // The cluster DNS Service without endpoints, in nftables mode.
    nft_load(&c.node, &kube_proxy_nft(&c.net, &c.svc, false, None));
    let (_, v) = c.doctor(&cip);
    let dns = format!("{}.3", c.svc);
    let kd = finding(&v, &format!("kube.dns:{dns}"));
    assert_eq!(kd["status"], "fail", "{v:#}");
    assert!(
        kd["summary"]
            .as_str()
            .unwrap()
            .contains("kube-system/kube-dns:dns, which has no endpoints"),
        "{kd:#}"
    );
}
