//! Every scenario of docs/DOCTOR.md, judged from the facts its root test gathered
//! (`tests/facts/<test name>.json`, recorded by `crates/netshoot/tests/doctor_scenarios.rs` and
//! `doctor_docker.rs` with `NETSHOOT_DOCTOR_RECORD`; `tests/record.sh` re-records them). No
//! root, namespace, network or Docker engine is needed: the checks run on the replayed facts and
//! must name the same fault the root test asserts.

use std::path::PathBuf;

use netshoot_doctor::facts::Recording;
use netshoot_doctor::{DoctorError, Finding, Report, Status};
use serde_json::Value;

fn load(name: &str) -> Recording {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/facts")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (tests/record.sh records it)", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The recorded answer to the first question `question` (a method name, or a method name and
/// its arguments as JSON).
fn fact<'a>(rec: &'a Recording, question: &str) -> &'a Value {
    rec.facts
        .iter()
        .find(|(k, _)| *k == question || k.starts_with(&format!("{question} ")))
        .and_then(|(_, v)| v.first())
        .unwrap_or_else(|| panic!("no fact '{question}' recorded"))
}

/// Replays a recording; the findings must be those the recorded (live) run reported, word for
/// word, and every question the checks asked must have had a recorded answer (a check that
/// asks one the recording lacks does not finish).
fn replay(name: &str) -> (Recording, Report) {
    let rec = load(name);
    let report = netshoot_doctor::replay(&rec).unwrap_or_else(|e| panic!("{name}: {e}"));
    let words = |f: &Finding| {
        (
            f.id.clone(),
            f.status,
            f.summary.clone(),
            f.evidence.clone(),
            f.why.clone(),
            f.fix.clone(),
        )
    };
    assert!(!rec.findings.is_empty(), "{name}: no findings recorded");
    assert_eq!(
        report.findings.iter().map(words).collect::<Vec<_>>(),
        rec.findings.iter().map(words).collect::<Vec<_>>(),
        "{name}: the replay judges otherwise than the live run"
    );
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.summary.starts_with("did not finish")),
        "{name}: a check asked what the recording does not hold: {}",
        dump(&report)
    );
    (rec, report)
}

fn dump(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default()
}

/// As the root tests' `assert_top`: the first finding is a failure whose id starts with `id`,
/// with evidence and a fix; the run failed (exit 1).
fn assert_top<'a>(r: &'a Report, id: &str) -> &'a Finding {
    let top = &r.findings[0];
    assert_eq!(top.status, Status::Fail, "{}", dump(r));
    assert!(
        top.id.starts_with(id),
        "top finding {} is not {id}: {}",
        top.id,
        dump(r)
    );
    assert!(!top.evidence.is_empty(), "{}", dump(r));
    assert!(top.fix.is_some(), "no fix: {}", dump(r));
    assert!(
        top.because.is_none(),
        "the top finding is a root cause: {}",
        dump(r)
    );
    assert!(r.failed());
    assert!(r.counts.causes >= 1, "{}", dump(r));
    top
}

/// The failures that follow from no other finding.
fn roots(r: &Report) -> Vec<&str> {
    r.findings
        .iter()
        .filter(|f| f.status == Status::Fail && f.because.is_none())
        .map(|f| f.id.as_str())
        .collect()
}

/// `consequence` is nested under `cause`, both ways round.
fn assert_because(r: &Report, consequence: &str, cause: &str) {
    let f = find(r, consequence);
    assert_eq!(f.because.as_deref(), Some(cause), "{}", dump(r));
    assert!(
        find(r, cause).consequences.iter().any(|c| c == consequence),
        "{}",
        dump(r)
    );
}

fn find<'a>(r: &'a Report, id: &str) -> &'a Finding {
    r.findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no {id} finding: {}", dump(r)))
}

fn healthy(r: &Report) {
    assert_eq!(r.counts.fail, 0, "{}", dump(r));
    assert_eq!(r.counts.warn, 0, "{}", dump(r));
    assert_eq!(r.counts.causes, 0, "{}", dump(r));
    assert_eq!(r.counts.consequences, 0, "{}", dump(r));
    assert!(
        r.findings
            .iter()
            .all(|f| f.because.is_none() && f.consequences.is_empty()),
        "{}",
        dump(r)
    );
    assert!(!r.failed());
}

// Namespaces (doctor_scenarios.rs).

#[test]
fn healthy_topology_has_no_warning_or_failure() {
    let (_, r) = replay("healthy_topology_has_no_warning_or_failure");
    healthy(&r);
    assert!(r.counts.ok >= 5, "{}", dump(&r));
    let by = r.destinations[0].resolved_by.as_deref().unwrap();
    assert!(by.starts_with("dns"), "{by}");
}

#[test]
fn service_bound_to_loopback_is_named() {
    let (_, r) = replay("service_bound_to_loopback_is_named");
    assert_top(&r, "listen.loopback");
}

#[test]
fn wrong_dns_server_is_named() {
    let (_, r) = replay("wrong_dns_server_is_named");
    let top = assert_top(&r, "dns.server");
    assert!(top.summary.contains("does not answer"), "{}", top.summary);
}

#[test]
fn dns_server_without_a_listener_is_named() {
    let (_, r) = replay("dns_server_without_a_listener_is_named");
    let top = assert_top(&r, "dns.server");
    assert!(
        top.summary.contains("Nothing listens on port 53"),
        "{}",
        top.summary
    );
}

#[test]
fn missing_default_route_is_named() {
    let (_, r) = replay("missing_default_route_is_named");
    let top = assert_top(&r, "route");
    assert!(
        top.summary.contains("there is no default route"),
        "{}",
        top.summary
    );
}

#[test]
fn iptables_drop_on_the_port_is_named() {
    let (_, r) = replay("iptables_drop_on_the_port_is_named");
    let top = assert_top(&r, "firewall");
    assert!(top.id.starts_with("firewall.input:"), "{}", top.id);
    // The TCP timeout is the drop's consequence.
    assert_eq!(roots(&r), vec![top.id.as_str()], "{}", dump(&r));
    assert_because(&r, "reach.tcp:10.231.175.20:8080", &top.id);
    assert!(top.summary.contains("DROPs"), "{}", top.summary);
}

#[test]
fn iptables_reject_on_the_port_is_named() {
    let (_, r) = replay("iptables_reject_on_the_port_is_named");
    let top = assert_top(&r, "firewall");
    assert!(top.summary.contains("REJECT"), "{}", top.summary);
}

#[test]
fn forward_drop_on_a_hand_made_bridge_is_named() {
    let (rec, r) = replay("forward_drop_on_a_hand_made_bridge_is_named");
    let top = assert_top(&r, "firewall.forward");
    // A FORWARD drop takes the TCP connect and the echoes along.
    let dest = &rec.dests[0];
    let top_id = top.id.clone();
    assert_eq!(roots(&r), vec![top_id.as_str()], "{}", dump(&r));
    assert_because(&r, &format!("reach.tcp:{dest}"), &top_id);
    assert_because(&r, &format!("reach.icmp:{dest}"), &top_id);
    assert_eq!((r.counts.causes, r.counts.consequences), (1, 2));
    let bridge = fact(&rec, "host_bridge")["bridge"].as_str().unwrap();
    let fix = top.fix.as_deref().unwrap();
    assert_eq!(
        fix,
        format!("iptables -I FORWARD -i {bridge} -o {bridge} -j ACCEPT")
    );
}

#[test]
fn mtu_mismatch_between_veth_ends_is_named() {
    let (_, r) = replay("mtu_mismatch_between_veth_ends_is_named");
    assert_top(&r, "mtu.link");
}

#[test]
fn path_mtu_black_hole_is_named() {
    let (_, r) = replay("path_mtu_black_hole_is_named");
    assert_top(&r, "mtu.path");
}

#[test]
fn arp_incomplete_because_the_peer_is_down_is_named() {
    let (rec, r) = replay("arp_incomplete_because_the_peer_is_down_is_named");
    let top = assert_top(&r, "neighbour").id.clone();
    let dest = &rec.dests[0];
    assert_eq!(roots(&r), vec![top.as_str()], "{}", dump(&r));
    assert_because(&r, &format!("reach.tcp:{dest}"), &top);
    assert_because(&r, &format!("reach.icmp:{dest}"), &top);
}

#[test]
fn unknown_name_is_named() {
    let (_, r) = replay("unknown_name_is_named");
    assert_top(&r, "name:nosuch.test");
}

#[test]
fn a_destination_that_parses_as_nothing_is_a_usage_error() {
    // Refused before any fact is asked: an empty recording is enough.
    let rec = Recording {
        dests: vec!["db:99999".into()],
        probe_timeout_ms: 1500,
        deadline_ms: 8000,
        ..Recording::default()
    };
    let e = netshoot_doctor::replay(&rec).unwrap_err();
    assert!(matches!(e, DoctorError::BadDest { .. }), "{e}");
    let e = e.to_string();
    assert!(
        e.contains("cannot read destination 'db:99999'") && e.contains("host:port"),
        "{e}"
    );
    assert!(!e.contains('\n'));
}

#[test]
fn conntrack_usage_agrees_with_the_kernel() {
    let (rec, r) = replay("conntrack_usage_agrees_with_the_kernel");
    let f = find(&r, "conntrack");
    assert_eq!(f.status, Status::Ok, "{}", dump(&r));
    // The numbers are the kernel's, as the recorded run read them.
    let usage = &fact(&rec, "conntrack")["Ok"];
    let ev = &f.evidence[0];
    let want = format!(
        "nf_conntrack_count {} / nf_conntrack_max {} (",
        usage["count"], usage["max"]
    );
    assert!(ev.starts_with(&want), "{ev}");
}

// Docker (doctor_docker.rs).

#[test]
fn healthy_containers_on_one_network() {
    let (_, r) = replay("healthy_containers_on_one_network");
    healthy(&r);
}

#[test]
fn service_bound_to_loopback_inside_the_container_is_named() {
    let (rec, r) = replay("service_bound_to_loopback_inside_the_container_is_named");
    let top = assert_top(&r, "listen.loopback");
    let db = rec.dests[0].split(':').next().unwrap();
    assert!(
        top.summary.contains("127.0.0.1") && top.summary.contains(db),
        "{}",
        top.summary
    );
}

#[test]
fn containers_on_two_different_networks_are_named() {
    let (rec, r) = replay("containers_on_two_different_networks_are_named");
    let top = assert_top(&r, "docker.network");
    let web = fact(&rec, "target")["container"]["name"].as_str().unwrap();
    let db = &rec.dests[0];
    let nets = fact(&rec, &format!("container [\"{db}\"]"))["NetworkSettings"]["Networks"]
        .as_object()
        .unwrap();
    let n2 = nets.keys().next().unwrap();
    assert_eq!(
        top.fix.as_deref().unwrap(),
        format!("docker network connect {n2} {web}")
    );
}

#[test]
fn a_stopped_destination_container_is_named() {
    let (_, r) = replay("a_stopped_destination_container_is_named");
    assert_top(&r, "docker.running");
}

#[test]
fn an_unknown_service_name_is_named() {
    let (_, r) = replay("an_unknown_service_name_is_named");
    let top = assert_top(&r, "name:nst-no-such-service");
    let ev = top.evidence.join("\n");
    assert!(
        ev.contains("127.0.0.11") && ev.contains("NXDOMAIN"),
        "the embedded DNS said so: {ev}"
    );
}

#[test]
fn a_swarm_vip_on_a_kernel_without_ipvs_is_named() {
    let (rec, r) = replay("a_swarm_vip_on_a_kernel_without_ipvs_is_named");
    let svc = &rec.dests[0];
    let vip = format!("swarm.vip:{svc}");
    assert_top(&r, &vip);
    // The unanswered next hop (the VIP) and the lost pings follow from it: nested under it,
    // not separate failures.
    let hop = r
        .findings
        .iter()
        .find(|f| f.id.starts_with("neighbour:") && f.status == Status::Fail)
        .unwrap_or_else(|| panic!("no failed neighbour finding: {}", dump(&r)));
    assert_eq!(hop.dests, vec![svc.clone()], "{}", dump(&r));
    assert_because(&r, &hop.id, &vip);
    assert_because(&r, &format!("reach.icmp:{svc}"), &vip);
    // The only root failure about the service; the overlay's MTU (a fault of the network, not
    // of this destination) stays a root of its own.
    let about_svc: Vec<&str> = roots(&r)
        .into_iter()
        .filter(|id| find(&r, id).dests.contains(svc))
        .collect();
    assert_eq!(about_svc, vec![vip.as_str()], "{}", dump(&r));
    assert_eq!(roots(&r), vec![vip.as_str(), "mtu.overlay:nstnet4fb75"]);
    assert_eq!(r.counts.causes, 2, "{}", dump(&r));
    assert_eq!(r.counts.consequences, 2, "{}", dump(&r));
    assert_eq!(
        r.counts.fail,
        4,
        "failures are still all counted: {}",
        dump(&r)
    );
    // tasks.<service> bypasses the VIP: no VIP finding for it.
    let (_, r) = replay("a_swarm_vip_on_a_kernel_without_ipvs_is_named.2");
    assert!(
        !r.findings.iter().any(|f| f.id.starts_with("swarm.vip")),
        "{}",
        dump(&r)
    );
}

#[test]
fn a_target_that_vanishes_mid_run_is_said_so() {
    let rec = load("a_target_that_vanishes_mid_run_is_said_so");
    let web = fact(&rec, "target")["container"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let e = netshoot_doctor::replay(&rec).unwrap_err();
    assert!(matches!(e, DoctorError::TargetGone { .. }), "{e}");
    let e = e.to_string();
    assert!(
        e.contains(&format!(
            "the target container:{web} vanished while the doctor ran"
        )),
        "{e}"
    );
    assert!(!e.contains('\n'));
}

#[test]
fn a_host_firewall_dropping_the_vxlan_port_is_named() {
    let (_, r) = replay("a_host_firewall_dropping_the_vxlan_port_is_named");
    assert_eq!(find(&r, "swarm").status, Status::Ok, "{}", dump(&r));
    let (_, r) = replay("a_host_firewall_dropping_the_vxlan_port_is_named.2");
    let top = assert_top(&r, "swarm.port:4789/udp");
    assert!(top.summary.contains("DROPs"), "{}", top.summary);
}

#[test]
fn an_overlay_mtu_that_leaves_no_room_for_vxlan_is_named() {
    let (rec, r) = replay("an_overlay_mtu_that_leaves_no_room_for_vxlan_is_named");
    let good = fact(&rec, "target")["container"]["name"].as_str().unwrap();
    let f = r
        .findings
        .iter()
        .find(|f| f.id.starts_with("mtu.overlay:"))
        .unwrap_or_else(|| panic!("no mtu.overlay finding for {good}: {}", dump(&r)));
    assert_eq!(f.status, Status::Ok, "{}", dump(&r));
    let (rec, r) = replay("an_overlay_mtu_that_leaves_no_room_for_vxlan_is_named.2");
    let top = assert_top(&r, "mtu.overlay:");
    // The underlay's MTU, as the host's interfaces gave it.
    let host = fact(&rec, "interfaces [\"Host\"]")["Ok"]
        .as_array()
        .unwrap();
    let node = fact(&rec, "swarm")["NodeAddr"].as_str().unwrap();
    let under = host
        .iter()
        .find(|i| {
            i["addresses"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["address"] == node)
        })
        .map(|i| i["mtu"].as_u64().unwrap())
        .unwrap();
    let fix = top.fix.as_deref().unwrap();
    assert!(fix.contains(&format!("mtu={under}")), "{fix}");
}

// kube-proxy's chains in a node namespace (doctor_kubeproxy.rs).

/// The destination the recording asked about.
fn dest(rec: &Recording) -> String {
    rec.dests[0].clone()
}

#[test]
fn a_cluster_ip_is_followed_to_its_endpoints_and_a_dead_one_is_named() {
    let (rec, r) = replay("a_cluster_ip_is_followed_to_its_endpoints_and_a_dead_one_is_named");
    healthy(&r);
    let cip = dest(&rec);
    let svc = find(&r, &format!("kube.service:{cip}"));
    assert!(
        svc.summary.contains("kpx/web:http (cluster IP)"),
        "{}",
        svc.summary
    );
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| {
                f.id.starts_with("kube.endpoint:")
                    && f.id.ends_with(":8080")
                    && f.status == Status::Ok
            })
            .count(),
        2,
        "{}",
        dump(&r)
    );
    assert_eq!(
        find(&r, &format!("reach.icmp:{cip}")).status,
        Status::Skipped
    );
    a_dead_endpoint_is_replayed(
        "a_cluster_ip_is_followed_to_its_endpoints_and_a_dead_one_is_named.2",
    );
}

/// The recording of a ClusterIP whose second endpoint's listener stopped.
fn a_dead_endpoint_is_replayed(name: &str) {
    let (_, r) = replay(name);
    let top = assert_top(&r, "kube.endpoint:");
    assert!(
        top.summary.contains("refuses TCP connections"),
        "{}",
        top.summary
    );
    assert!(top
        .evidence
        .iter()
        .any(|e| e.starts_with("Nothing listens on TCP port 8080")));
}

/// The recording of a Service without endpoints by its ClusterIP: the top finding, and the
/// refused connection under it; its evidence.
fn no_endpoints_are_replayed(name: &str) -> Vec<String> {
    let (rec, r) = replay(name);
    let cip = dest(&rec);
    let top = assert_top(&r, &format!("kube.endpoints:{cip}"));
    assert!(top.summary.contains("has no endpoints"), "{}", top.summary);
    assert_because(
        &r,
        &format!("reach.tcp:{cip}"),
        &format!("kube.endpoints:{cip}"),
    );
    top.evidence.clone()
}

#[test]
fn a_service_without_endpoints_and_a_node_port_are_named() {
    no_endpoints_are_replayed("a_service_without_endpoints_and_a_node_port_are_named");
    let (rec, r) = replay("a_service_without_endpoints_and_a_node_port_are_named.2");
    healthy(&r);
    let np = dest(&rec);
    assert!(find(&r, &format!("kube.service:{np}"))
        .summary
        .contains("(node port)"));
    assert_eq!(find(&r, &format!("listen:{np}")).status, Status::Skipped);
    let (rec, r) = replay("a_service_without_endpoints_and_a_node_port_are_named.3");
    assert_top(&r, &format!("kube.endpoints:{}", dest(&rec)));
}

#[test]
fn the_cluster_dns_service_and_the_ndots_cost_of_an_external_name_are_named() {
    let (_, r) = replay("the_cluster_dns_service_and_the_ndots_cost_of_an_external_name_are_named");
    let nd = find(&r, "dns.ndots:www.example.test");
    assert_eq!(nd.status, Status::Warn, "{}", dump(&r));
    assert!(nd.summary.contains("3 search name(s)"), "{}", nd.summary);
    let kd = r
        .findings
        .iter()
        .find(|f| f.id.starts_with("kube.dns:"))
        .unwrap_or_else(|| panic!("no kube.dns: {}", dump(&r)));
    assert_eq!(kd.status, Status::Ok, "{}", dump(&r));
    let (_, r) =
        replay("the_cluster_dns_service_and_the_ndots_cost_of_an_external_name_are_named.2");
    let top = assert_top(&r, "kube.dns:");
    let server = format!("dns.server:{}", top.subject().unwrap());
    assert_because(&r, &server, &top.id);
}

#[test]
fn a_cluster_ip_under_iptables_legacy_is_followed_too() {
    let (rec, r) = replay("a_cluster_ip_under_iptables_legacy_is_followed_too");
    healthy(&r);
    let svc = find(&r, &format!("kube.service:{}", dest(&rec)));
    assert!(svc.summary.contains("2 endpoints"), "{}", svc.summary);
    let (rec, r) = replay("a_cluster_ip_under_iptables_legacy_is_followed_too.2");
    assert_top(&r, &format!("kube.endpoints:{}", dest(&rec)));
}

#[test]
fn an_ipvs_virtual_service_is_followed_to_its_real_servers() {
    let (_, r) = replay("an_ipvs_virtual_service_is_followed_to_its_real_servers");
    // Recorded on a kernel with IPVS, the address is a virtual service with two real servers;
    // without (as on the machine that recorded it first), it is no Service at all.
    match r
        .findings
        .iter()
        .find(|f| f.id.starts_with("kube.service:"))
    {
        Some(f) => assert!(f.summary.contains("IPVS virtual service"), "{}", f.summary),
        None => assert_eq!(find(&r, "kube").status, Status::Skipped, "{}", dump(&r)),
    }
}

/// A recording that lacks an answer the checks need shows that check as unfinished (it never
/// makes an answer up).
#[test]
fn a_missing_fact_is_not_made_up() {
    let mut rec = load("iptables_drop_on_the_port_is_named");
    rec.facts.retain(|k, _| !k.starts_with("decide "));
    let r = netshoot_doctor::replay(&rec).unwrap();
    let f = find(&r, "firewall");
    assert_eq!(f.status, Status::Skipped, "{}", dump(&r));
    assert!(f.summary.starts_with("did not finish"), "{}", f.summary);
    assert!(!r
        .findings
        .iter()
        .any(|f| f.id.starts_with("firewall.input")));
}

// kube-proxy's nftables mode: its `kube-proxy` table in a node namespace, loaded by `nft -f`
// (doctor_kubeproxy.rs, the nftables_mode_* tests).

#[test]
fn nftables_mode_a_cluster_ip_is_followed_to_its_endpoints_and_a_dead_one_is_named() {
    let name = "nftables_mode_a_cluster_ip_is_followed_to_its_endpoints_and_a_dead_one_is_named";
    let (rec, r) = replay(name);
    healthy(&r);
    let cip = dest(&rec);
    let svc = find(&r, &format!("kube.service:{cip}"));
    assert!(
        svc.summary
            .contains("kpx/web:http (cluster IP); kube-proxy (nftables)"),
        "{}",
        svc.summary
    );
    assert_eq!(
        svc.summary.matches(":8080 (50%)").count(),
        2,
        "{}",
        svc.summary
    );
    assert!(svc
        .evidence
        .iter()
        .any(|e| e.contains("numgen random mod 2 vmap")));
    // The firewall check sees the endpoint after the DNAT, not the ClusterIP that
    // cluster-ips-check drops.
    assert_eq!(find(&r, &format!("firewall:{cip}")).status, Status::Ok);
    a_dead_endpoint_is_replayed(&format!("{name}.2"));
}

#[test]
fn nftables_mode_a_service_without_endpoints_and_a_node_port_are_named() {
    let name = "nftables_mode_a_service_without_endpoints_and_a_node_port_are_named";
    let evidence = no_endpoints_are_replayed(name);
    assert!(
        evidence[0].contains("@no-endpoint-services"),
        "{evidence:?}"
    );
    // The firewall check evaluated the verdict map too: reject-chain's REJECT.
    let (rec, r) = replay(name);
    let fw = find(&r, &format!("firewall.output:{}", dest(&rec)));
    assert!(fw.summary.contains("REJECTs"), "{}", fw.summary);
    assert!(fw.summary.contains("reject-chain"), "{}", fw.summary);
    for n in [2, 4] {
        let (rec, r) = replay(&format!("{name}.{n}"));
        healthy(&r);
        let np = dest(&rec);
        assert!(find(&r, &format!("kube.service:{np}"))
            .summary
            .contains("(node port)"));
    }
    let (rec, r) = replay(&format!("{name}.3"));
    assert_top(&r, &format!("kube.endpoints:{}", dest(&rec)));
    let (_, r) = replay(&format!("{name}.5"));
    let kd = r
        .findings
        .iter()
        .find(|f| f.id.starts_with("kube.dns:"))
        .unwrap_or_else(|| panic!("no kube.dns: {}", dump(&r)));
    assert_eq!(kd.status, Status::Fail, "{}", dump(&r));
}
