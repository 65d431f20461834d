//! Kubernetes Services: a destination that is a ClusterIP, a NodePort on a node address or an
//! external IP, followed through kube-proxy's rules to the endpoints it balances to
//! (`netshoot_inspect::kubeproxy::follow` on the `iptables -S` lines of the nat and filter
//! tables, or on kube-proxy's own nftables table, in the target's namespace or else the
//! host's: one path for both modes), or found as an IPVS virtual service (kube-proxy's ipvs
//! mode); each endpoint is then connected to as `reach` connects, and one that
//! refuses is explained by what listens in its namespace, when that lives on this host.

use std::net::{IpAddr, SocketAddr};

use netshoot_inspect::kubeproxy::{self, Conn, Mode, Service};
use netshoot_probe::ConnectOutcome;

use crate::facts::{Facts, IpvsService, Place};
use crate::{Context, Dest, Finding, Status};

/// How a destination is a Service here.
pub(crate) enum Found {
    /// kube-proxy's iptables chains or nftables table take it (read in that place).
    Rules(Place, Service),
    /// An IPVS virtual service (in that place) takes it.
    Ipvs(Place, IpvsService),
}

fn places(facts: &dyn Facts) -> Vec<Place> {
    let mut v = vec![Place::Here];
    if facts.host_visible() {
        v.push(Place::Host);
    }
    v
}

/// The Service a destination is, and whether kube-proxy's rules exist anywhere looked.
pub(crate) fn find(facts: &dyn Facts, d: &Dest) -> (Option<Found>, bool) {
    let (Some(ip), Some(port)) = (d.addresses.first().copied(), d.port) else {
        return (None, false);
    };
    find_addr(facts, ip, port, "tcp")
}

/// The Service `ip`:`port` (`proto` `tcp` or `udp`) is, and whether kube-proxy's rules exist
/// anywhere looked.
fn find_addr(facts: &dyn Facts, ip: IpAddr, port: u16, proto: &str) -> (Option<Found>, bool) {
    let mut kube = false;
    let places = places(facts);
    for place in &places {
        let Ok(t) = facts.kube_tables(place, ip.is_ipv6()) else {
            continue;
        };
        if !t.has_kube_proxy() {
            continue;
        }
        kube = true;
        let src = facts.route_get(ip).ok().and_then(|r| r.prefsrc);
        let dst_local = ip.is_loopback()
            || facts
                .interfaces(place)
                .is_ok_and(|ifs| ifs.iter().any(|i| i.holds(ip)));
        let conn = Conn {
            src,
            // The target's own addresses are local where its rules are; a pod's are not on
            // its node.
            src_local: *place == Place::Here,
            dst: ip,
            dst_local,
            proto: proto.into(),
            dport: port,
        };
        if let Some(svc) = kubeproxy::follow(&t, &conn) {
            return (Some(Found::Rules(place.clone(), svc)), true);
        }
    }
    for place in &places {
        let Ok(services) = facts.ipvs_services(place) else {
            continue;
        };
        if let Some(s) = services.into_iter().find(|s| {
            s.addr == Some(ip) && s.port == port && s.protocol.eq_ignore_ascii_case(proto)
        }) {
            return (Some(Found::Ipvs(place.clone(), s)), kube);
        }
    }
    (None, kube)
}

/// Where kube-proxy's DNAT sends a new connection to a destination (its first endpoint), when
/// the destination is a Service with endpoints in its iptables or nftables mode.
pub(crate) fn translated(facts: &dyn Facts, d: &Dest) -> Option<SocketAddr> {
    match find(facts, d).0? {
        Found::Rules(_, svc) => svc
            .endpoints
            .first()
            .map(|e| SocketAddr::new(e.addr, e.port)),
        Found::Ipvs(..) => None,
    }
}

/// Why `reach` sends no echo to a destination: it is a ClusterIP of kube-proxy's iptables or
/// nftables mode, which nothing answers ping on.
pub(crate) fn no_echo(facts: &dyn Facts, d: &Dest) -> Option<String> {
    match find(facts, d).0? {
        Found::Rules(_, svc) if svc.via == "cluster IP" => Some(format!(
            "{} is the ClusterIP of Kubernetes service {}: in kube-proxy's {} mode it is only a DNAT of the service's ports, and nothing answers ping on it (the kube findings say whether its endpoints answer)",
            d.host, svc.name, svc.mode.as_str()
        )),
        _ => None,
    }
}

/// Why `listen` looks at no socket for a destination: kube-proxy takes it first.
pub(crate) fn not_a_socket(facts: &dyn Facts, d: &Dest) -> Option<String> {
    let name = match find(facts, d).0? {
        Found::Rules(_, svc) => format!("Kubernetes service {} ({})", svc.name, svc.via),
        Found::Ipvs(_, s) => format!("an IPVS virtual service ({})", s.scheduler),
    };
    Some(format!(
        "{} is {name}: its connections are sent to the endpoints before any socket here sees them (the kube findings say what listens there)",
        d.label()
    ))
}

/// `kube.service:<dest>` (ok: the service and its endpoints), `kube.endpoints:<dest>` (the
/// service has none: kube-proxy rejects or drops), `kube.endpoint:<endpoint>` (one endpoint
/// answers, or not and why); `kube.dns:<nameserver>` for a resolv.conf nameserver that is a
/// Service (the cluster DNS: its endpoints, each asked one question, or none); `kube` (skipped)
/// when kube-proxy is here but no destination is one of its Services; nothing when there is no
/// kube-proxy.
pub fn check(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut kube = false;
    for d in &ctx.dests {
        let (found, k) = find(facts, d);
        kube |= k;
        let (Some(found), Some(ip), Some(port)) = (found, d.addresses.first().copied(), d.port)
        else {
            continue;
        };
        let label = d.label();
        let found = match found {
            Found::Rules(place, svc) => rules(ctx, facts, ip, port, &place, &svc),
            Found::Ipvs(place, svc) => ipvs(ctx, facts, ip, port, &place, &svc),
        };
        out.extend(found.into_iter().map(|f| f.about(label.clone())));
    }
    if out.is_empty() && kube {
        out.push(Finding::skipped(
            "kube",
            "kube-proxy's chains are here, but no destination is the address and port of one of its Services",
        ));
    }
    out.extend(cluster_dns(ctx, facts));
    out
}

fn pct(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

fn where_read(place: &Place) -> &'static str {
    match place {
        Place::Here => "the target's namespace",
        _ => "the host's namespace",
    }
}

/// `ns/name:port` → the kubectl commands that show its endpoints and pods.
fn kubectl_fix(name: &str) -> String {
    let (ns, rest) = name.split_once('/').unwrap_or(("default", name));
    let svc = rest.split(':').next().unwrap_or(rest);
    format!(
        "kubectl -n {ns} get endpointslices -l kubernetes.io/service-name={svc}; kubectl -n {ns} describe service {svc} (its selector), then kubectl -n {ns} get pods -l <that selector> -o wide: are they Running and Ready, and does the selector match their labels?"
    )
}

/// Where a mode's rules were read: `nat table` / `filter table` (iptables), `table ip
/// kube-proxy` (nftables).
fn table_name(svc: &Service, iptables_table: &str) -> String {
    match svc.mode {
        Mode::Iptables => format!("{iptables_table} table"),
        Mode::Nftables => "nftables table kube-proxy".into(),
    }
}

fn rules(
    ctx: &Context,
    facts: &dyn Facts,
    ip: IpAddr,
    port: u16,
    place: &Place,
    svc: &Service,
) -> Vec<Finding> {
    let dest = SocketAddr::new(ip, port);
    if let Some(rule) = &svc.no_endpoints {
        let verdict = svc.no_endpoints_verdict.as_deref().unwrap_or("REJECT");
        let local_only = svc.local_only;
        let f = Finding::fail(
            format!("kube.endpoints:{dest}"),
            if local_only {
                format!("Kubernetes service {} has no endpoint on this node and sends external traffic only to local ones (externalTrafficPolicy: Local): kube-proxy {verdict}s connections to {dest}.", svc.name)
            } else {
                format!("Kubernetes service {} has no endpoints: kube-proxy {verdict}s connections to {dest} ({}).", svc.name, svc.via)
            },
        )
        .evidence(format!("{rule} ({}, {})", table_name(svc, "filter"), where_read(place)))
        .why(if local_only {
            "With externalTrafficPolicy: Local a node only forwards external traffic to pods on itself; with none here, kube-proxy drops it: clients time out."
        } else {
            "No ready pod backs the service (its selector matches no pod, or none passes its readiness probe), so kube-proxy rejects every connection: clients see 'connection refused' although the ClusterIP exists."
        })
        .fix(if local_only {
            format!("send the traffic to a node that runs a pod of the service, or set externalTrafficPolicy: Cluster; {}", kubectl_fix(&svc.name))
        } else {
            kubectl_fix(&svc.name)
        });
        return vec![f];
    }
    if svc.endpoints.is_empty() {
        let mut f = Finding::fail(
            format!("kube.endpoints:{dest}"),
            format!(
                "kube-proxy's chains for Kubernetes service {} lead to no endpoint: connections to {dest} go nowhere.",
                svc.name
            ),
        );
        for r in &svc.path {
            f = f.evidence(r.clone());
        }
        return vec![f
            .why("A service chain without endpoint rules sends nothing anywhere: the connection is not translated and dies on the way.")
            .fix(kubectl_fix(&svc.name))];
    }
    let list: Vec<String> = svc
        .endpoints
        .iter()
        .map(|e| format!("{} ({})", SocketAddr::new(e.addr, e.port), pct(e.share)))
        .collect();
    let mut ok = Finding::ok(
        format!("kube.service:{dest}"),
        format!(
            "{dest} is Kubernetes service {} ({}); kube-proxy ({}) balances new connections to {} endpoint{}: {}.",
            svc.name,
            svc.via,
            svc.mode.as_str(),
            svc.endpoints.len(),
            if svc.endpoints.len() == 1 { "" } else { "s" },
            list.join(", ")
        ),
    );
    ok = ok.evidence(format!(
        "{}, {}:",
        table_name(svc, "nat"),
        where_read(place)
    ));
    for r in &svc.path {
        ok = ok.evidence(r.clone());
    }
    for r in &svc.masquerade {
        ok = ok.evidence(format!("{r} (the source is masqueraded)"));
    }
    for e in &svc.endpoints {
        ok = ok.evidence(format!("{} ({} of new connections)", e.dnat, pct(e.share)));
    }
    let mut out = vec![ok];
    let eps: Vec<(SocketAddr, f64)> = svc
        .endpoints
        .iter()
        .map(|e| (SocketAddr::new(e.addr, e.port), e.share))
        .collect();
    out.extend(endpoints(ctx, facts, &svc.name, &eps));
    out
}

fn ipvs(
    ctx: &Context,
    facts: &dyn Facts,
    ip: IpAddr,
    port: u16,
    place: &Place,
    svc: &IpvsService,
) -> Vec<Finding> {
    let dest = SocketAddr::new(ip, port);
    let name = format!("TCP {dest}");
    if svc.dests.is_empty() {
        return vec![Finding::fail(
            format!("kube.endpoints:{dest}"),
            format!("The IPVS virtual service {name} has no real servers: the Service behind it has no endpoints, so connections to {dest} are refused."),
        )
        .evidence(format!("IPVS ({}): {name} {} with no real server", where_read(place), svc.scheduler))
        .why("In kube-proxy's ipvs mode a Service's endpoints are the virtual service's real servers; with none, nothing takes the connection.")
        .fix("kubectl get endpointslices -A | grep <the service>; check that its pods are Running and Ready and that its selector matches their labels")];
    }
    let eps = ipvs_shares(svc);
    let list: Vec<String> = eps
        .iter()
        .map(|(a, s)| format!("{a} ({})", pct(*s)))
        .collect();
    let mut ok = Finding::ok(
        format!("kube.service:{dest}"),
        format!(
            "{dest} is an IPVS virtual service (scheduler {}), as kube-proxy's ipvs mode makes a Service: {} real server{}: {}.",
            svc.scheduler,
            eps.len(),
            if eps.len() == 1 { "" } else { "s" },
            list.join(", ")
        ),
    )
    .evidence(format!("IPVS, {}:", where_read(place)));
    for d in &svc.dests {
        ok = ok.evidence(format!(
            "-> {}:{} {} weight {} (active {}, inactive {})",
            d.addr.map(|a| a.to_string()).unwrap_or_default(),
            d.port,
            d.forward,
            d.weight,
            d.active_conns,
            d.inactive_conns
        ));
    }
    let mut out = vec![ok];
    out.extend(endpoints(ctx, facts, &name, &eps));
    out
}

/// An IPVS virtual service's real servers with their shares of new connections (weight over
/// the sum of weights).
fn ipvs_shares(svc: &IpvsService) -> Vec<(SocketAddr, f64)> {
    let total: u64 = svc.dests.iter().map(|d| u64::from(d.weight)).sum();
    svc.dests
        .iter()
        .filter_map(|d| {
            let share = if total == 0 {
                0.0
            } else {
                f64::from(d.weight) / total as f64
            };
            Some((SocketAddr::new(d.addr?, d.port), share))
        })
        .collect()
}

/// `kube.endpoint:<endpoint>` for each endpoint: a TCP connect from the target, judged as
/// `reach` judges it; a failure also says what listens in the endpoint's namespace when it lives
/// on this host.
fn endpoints(
    ctx: &Context,
    facts: &dyn Facts,
    service: &str,
    eps: &[(SocketAddr, f64)],
) -> Vec<Finding> {
    let timeout = ctx.opts.probe_timeout;
    let (eps, rest) = eps.split_at(eps.len().min(MAX_PROBED));
    let verdicts = each(eps, |ep| facts.connect(ep, timeout));
    let mut out: Vec<Finding> = eps
        .iter()
        .zip(verdicts)
        .map(|((ep, share), v)| {
            let v = v.unwrap_or(ConnectOutcome::Timeout);
            let mut f = super::reach::tcp(format!("kube.endpoint:{ep}"), *ep, &v, timeout);
            f.summary = format!(
                "Endpoint {ep} of {service} ({} of new connections): {}",
                pct(*share),
                f.summary
            );
            if f.status == Status::Ok || !matches!(v, ConnectOutcome::Refused | ConnectOutcome::Timeout) {
                return f;
            }
            f = f.why(format!(
                "kube-proxy keeps sending {} of new connections to {ep} whatever it answers: those fail while the others work, so clients see intermittent failures.",
                pct(*share)
            ));
            if let Ok(l) = super::listen::one(facts, ep.ip(), ep.port(), &ep.to_string()) {
                if l.status == Status::Fail {
                    f = f.evidence(l.summary.clone());
                    for e in l.evidence {
                        f = f.evidence(e);
                    }
                    if let Some(fix) = l.fix {
                        f = f.fix(format!("{fix}; or take the pod out of the Service until it is ready (a readinessProbe on port {})", ep.port()));
                    }
                }
            }
            f
        })
        .collect();
    out.extend(not_tried(service, rest.len()));
    out
}

/// At most this many endpoints of one Service are tried (all at once), so that a large Service
/// fits the doctor's deadline.
const MAX_PROBED: usize = 32;

/// `f` for every endpoint, each on its own thread (they inherit the target's namespace); in the
/// endpoints' order.
fn each<T: Send>(eps: &[(SocketAddr, f64)], f: impl Fn(SocketAddr) -> T + Sync) -> Vec<Option<T>> {
    std::thread::scope(|s| {
        let f = &f;
        let running: Vec<_> = eps.iter().map(|(ep, _)| s.spawn(move || f(*ep))).collect();
        running.into_iter().map(|h| h.join().ok()).collect()
    })
}

/// The skipped finding for the endpoints beyond [`MAX_PROBED`].
fn not_tried(service: &str, n: usize) -> Option<Finding> {
    (n > 0).then(|| {
        Finding::skipped(
            "kube.endpoint",
            format!("{n} more endpoints of {service} not tried (at most {MAX_PROBED} per Service)"),
        )
    })
}

/// `kube.dns:<nameserver>`: each nameserver of the target's resolv.conf that is a Service (a
/// pod's cluster DNS, `kube-system/kube-dns`), followed for UDP port 53: its endpoints, each
/// asked one question (a DEST name as the lookup first asked it, else the first search domain:
/// names the cluster's own zone answers), or kube-proxy's REJECT when it has none.
fn cluster_dns(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let conf = netshoot_dns::ResolvConf::parse(ctx.target.resolv_conf.as_deref().unwrap_or(""));
    let qname = ctx
        .dests
        .iter()
        .find_map(|d| d.tried.first().map(|t| t.name.clone()))
        .or_else(|| {
            conf.search
                .first()
                .map(|s| format!("{}.", s.trim_end_matches('.')))
        });
    let mut out = Vec::new();
    for ns in &conf.nameservers {
        let (found, _) = find_addr(facts, *ns, 53, "udp");
        let about = format!("nameserver {ns}");
        let id = format!("kube.dns:{ns}");
        let (name, rule, eps): (String, Option<String>, Vec<(SocketAddr, f64)>) = match found {
            None => continue,
            Some(Found::Rules(_, svc)) => (
                svc.name.clone(),
                svc.no_endpoints
                    .as_ref()
                    .map(|r| format!("{r} ({})", table_name(&svc, "filter"))),
                svc.endpoints
                    .iter()
                    .map(|e| (SocketAddr::new(e.addr, e.port), e.share))
                    .collect(),
            ),
            Some(Found::Ipvs(_, s)) => (format!("UDP {ns}:53 (IPVS)"), None, ipvs_shares(&s)),
        };
        if eps.is_empty() {
            let mut f = Finding::fail(
                id,
                format!("Nameserver {ns} is Kubernetes service {name}, which has no endpoints: every query to it is refused, so no name resolves here."),
            );
            if let Some(r) = rule {
                f = f.evidence(r);
            }
            out.push(
                f.why("The cluster DNS Service is only an address; with no ready DNS pod behind it (CoreDNS scaled to 0, crashing, or not Ready) kube-proxy rejects every lookup.")
                    .fix(format!("kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide; kubectl -n kube-system describe deployment coredns; {}", kubectl_fix(&name)))
                    .about(about),
            );
            continue;
        }
        let list: Vec<String> = eps
            .iter()
            .map(|(a, s)| format!("{a} ({})", pct(*s)))
            .collect();
        out.push(
            Finding::ok(
                id,
                format!(
                    "Nameserver {ns} is Kubernetes service {name}; kube-proxy balances its queries to {} endpoint{}: {}.",
                    eps.len(),
                    if eps.len() == 1 { "" } else { "s" },
                    list.join(", ")
                ),
            )
            .about(about.clone()),
        );
        let Some(q) = &qname else { continue };
        let (eps, rest) = eps.split_at(eps.len().min(MAX_PROBED));
        let answers = each(eps, |ep| {
            facts.dns_query(ep, q, false, ctx.opts.probe_timeout)
        });
        for ((ep, share), answer) in eps.iter().zip(answers) {
            let id = format!("kube.endpoint:{ep}");
            let answer = answer.unwrap_or_else(|| {
                Err(crate::facts::DnsFailure {
                    kind: crate::facts::DnsFailureKind::Other,
                    text: "the query's thread failed".into(),
                })
            });
            let f = match answer {
                Ok(a) => Finding::ok(
                    id,
                    format!(
                        "Endpoint {ep} of {name} ({} of queries) answers DNS ({} for {q}, {} ms).",
                        pct(*share),
                        a.rcode,
                        a.elapsed_us / 1000
                    ),
                ),
                Err(e) => Finding::fail(
                    id,
                    format!("Endpoint {ep} of {name} ({} of queries) does not answer DNS: {e}.", pct(*share)),
                )
                .evidence(format!("{q} A @{ep} over UDP: {e}"))
                .why(format!("kube-proxy keeps sending {} of the pod's queries to {ep}: those lookups time out or fail while the others work.", pct(*share)))
                .fix(format!("kubectl -n kube-system get pods -o wide | grep {}; look at that DNS pod's logs and readiness", ep.ip())),
            };
            out.push(f.about(about.clone()));
        }
        out.extend(not_tried(&name, rest.len()).map(|f| f.about(about.clone())));
    }
    out
}
