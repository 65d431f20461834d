//! Doctor scenarios with Docker (root + engine): the top finding names the injected fault.

use std::process::Command;

use netshoot_testnet::cli::{assert_top_finding, Netshoot};
use netshoot_testnet::docker::{
    ensure_swarm, require_docker, test_image, underlay_mtu, Container, DockerNet, Service,
};
use netshoot_testnet::{run, run_raw, Child, Group};
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

fn doctor(target: &str, dests: &[&str]) -> (i32, Value) {
    let mut args = vec!["-t", target, "doctor", "--json"];
    args.extend_from_slice(dests);
    let rec = netshoot_testnet::doctor_record_args();
    args.extend(rec.iter().map(String::as_str));
    NETSHOOT.json(&args)
}

/// A listener started from the host inside a container's namespace.
fn listen_in(container: &str, bind: &str, port: u16) -> Group {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netshoot"));
    cmd.args(["-t", container, "exec", "--", "socat", "-u"])
        .arg(format!("TCP-LISTEN:{port},bind={bind},fork,reuseaddr"))
        .arg("OPEN:/dev/null");
    let group = Group::spawn(cmd);
    for _ in 0..100 {
        let o = Command::new(env!("CARGO_BIN_EXE_netshoot"))
            .args(["-t", container, "exec", "--", "ss", "-Hltn"])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&o.stdout).contains(&format!(":{port}")) {
            return group;
        }
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    panic!("listener in {container} did not start");
}

#[test]
fn healthy_containers_on_one_network() {
    require_docker!();
    let net = DockerNet::new("bridge", &[]);
    let web = Container::run(
        "web",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let db = Container::run(
        "db",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let _l = listen_in(&db.name, "0.0.0.0", 5432);
    let (code, v) = doctor(&web.name, &[&format!("{}:5432", db.name)]);
    assert_eq!(v["counts"]["fail"], 0, "{v:#}");
    assert_eq!(v["counts"]["warn"], 0, "{v:#}");
    assert_eq!(code, 0);
}

#[test]
fn service_bound_to_loopback_inside_the_container_is_named() {
    require_docker!();
    let net = DockerNet::new("bridge", &[]);
    let web = Container::run(
        "web",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let db = Container::run(
        "db",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let _l = listen_in(&db.name, "127.0.0.1", 5432);
    let res = doctor(&web.name, &[&format!("{}:5432", db.name)]);
    assert_top_finding(&res, "listen.loopback");
    let s = res.1["findings"][0]["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(s.contains("127.0.0.1") && s.contains(&db.name), "{s}");
}

#[test]
fn containers_on_two_different_networks_are_named() {
    require_docker!();
    let n1 = DockerNet::new("bridge", &[]);
    let n2 = DockerNet::new("bridge", &[]);
    let web = Container::run(
        "web",
        &["--network", &n1.name, test_image(), "sleep", "infinity"],
    );
    let db = Container::run(
        "db",
        &["--network", &n2.name, test_image(), "sleep", "infinity"],
    );
    let res = doctor(&web.name, &[&db.name]);
    assert_top_finding(&res, "docker.network");
    let fix = res.1["findings"][0]["fix"].as_str().unwrap().to_string();
    assert_eq!(
        fix,
        format!("docker network connect {} {}", n2.name, web.name)
    );
}

#[test]
fn a_stopped_destination_container_is_named() {
    require_docker!();
    let net = DockerNet::new("bridge", &[]);
    let web = Container::run(
        "web",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let db = Container::run(
        "db",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    run(&["docker", "stop", "-t", "1", &db.name]);
    assert_top_finding(&doctor(&web.name, &[&db.name]), "docker.running");
}

/// An upstream DNS server of the test's own for a Docker network: dnsmasq on the network's
/// gateway address (the bridge, on the host), answering NXDOMAIN for every name, as a real
/// upstream does for names that exist nowhere. Docker's embedded DNS forwards to it.
fn nxdomain_upstream(net: &DockerNet) -> (String, Child) {
    let gw = netshoot_testnet::docker::inspect(&net.name)["IPAM"]["Config"][0]["Gateway"]
        .as_str()
        .expect("gateway")
        .to_string();
    let child = Child(
        Command::new("dnsmasq")
            .args([
                "-k",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--pid-file=",
                "--user=root",
                "--bind-interfaces",
                "--local=/#/",
            ])
            .arg(format!("--listen-address={gw}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("dnsmasq (scripts/setup installs dnsmasq-base)"),
    );
    for _ in 0..100 {
        if run(&["ss", "-Hlun"]).contains(&format!("{gw}:53")) {
            return (gw, child);
        }
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    panic!("dnsmasq did not start on {gw}");
}

#[test]
fn an_unknown_service_name_is_named() {
    require_docker!();
    let net = DockerNet::new("bridge", &[]);
    let (gw, _dns) = nxdomain_upstream(&net);
    let web = Container::run(
        "web",
        &[
            "--network",
            &net.name,
            "--dns",
            &gw,
            test_image(),
            "sleep",
            "infinity",
        ],
    );
    let res = doctor(&web.name, &["nst-no-such-service"]);
    assert_top_finding(&res, "name:nst-no-such-service");
    let ev = res.1["findings"][0]["evidence"].to_string();
    assert!(
        ev.contains("127.0.0.11") && ev.contains("NXDOMAIN"),
        "the embedded DNS said so: {ev}"
    );
}

#[test]
fn a_swarm_vip_on_a_kernel_without_ipvs_is_named() {
    require_docker!();
    if std::path::Path::new("/proc/net/ip_vs").exists() {
        // With IPVS the VIP answers: the fault cannot be built on this kernel.
        eprintln!("skipped: this kernel has IPVS");
        return;
    }
    ensure_swarm();
    let net = DockerNet::new("overlay", &["--attachable"]);
    let s = Service::create(&["--network", &net.name, test_image(), "sleep", "infinity"]);
    let svc = &s.name;
    let web = Container::run(
        "web",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let res = doctor(&web.name, &[svc]);
    assert_top_finding(&res, &format!("swarm.vip:{svc}"));
    // tasks.<service> bypasses the VIP: no VIP finding for it.
    let (_, v) = doctor(&web.name, &[&format!("tasks.{svc}")]);
    assert!(!v["findings"].to_string().contains("swarm.vip"), "{v:#}");
}

#[test]
fn a_target_that_vanishes_mid_run_is_said_so() {
    require_docker!();
    let net = DockerNet::new("bridge", &[]);
    let web = Container::run(
        "web",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    // An address inside the test's own network that nobody holds: the probes wait for it.
    let subnet = netshoot_testnet::docker::inspect(&net.name)["IPAM"]["Config"][0]["Subnet"]
        .as_str()
        .unwrap()
        .to_string();
    let base: Vec<&str> = subnet.split('/').next().unwrap().split('.').collect();
    let ghost = format!("{}.{}.{}.250:80", base[0], base[1], base[2]);
    let child = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &web.name, "doctor", &ghost])
        .args(netshoot_testnet::doctor_record_args())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    run(&["docker", "kill", &web.name]);
    let o = child.wait_with_output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains(&format!(
            "the target container:{} vanished while the doctor ran",
            web.name
        )),
        "{e}"
    );
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
}

#[test]
fn a_host_firewall_dropping_the_vxlan_port_is_named() {
    require_docker!();
    ensure_swarm();
    // An overlay whose MTU fits the underlay (Docker's default 1450 does not fit a 1400 one),
    // so that the dropped port is the only fault.
    let mtu = format!("com.docker.network.driver.mtu={}", underlay_mtu());
    let net = DockerNet::new("overlay", &["--attachable", "--opt", &mtu]);
    let web = Container::run(
        "web",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    // Healthy first: the Swarm ports listen and the host lets them in.
    let (_, v) = doctor(&web.name, &[]);
    let ok = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "swarm")
        .cloned();
    assert!(ok.is_some_and(|f| f["status"] == "ok"), "{v:#}");
    // Then the classic fault: 4789/udp dropped on the host.
    struct Rule;
    impl Drop for Rule {
        fn drop(&mut self) {
            let _ = run_raw(&[
                "iptables", "-D", "INPUT", "-p", "udp", "--dport", "4789", "-j", "DROP",
            ]);
        }
    }
    run(&[
        "iptables", "-I", "INPUT", "-p", "udp", "--dport", "4789", "-j", "DROP",
    ]);
    let _r = Rule;
    let res = doctor(&web.name, &[]);
    assert_top_finding(&res, "swarm.port:4789/udp");
}

#[test]
fn an_overlay_mtu_that_leaves_no_room_for_vxlan_is_named() {
    require_docker!();
    ensure_swarm();
    let under = underlay_mtu();
    // Docker's overlay driver subtracts VXLAN's 50 bytes from the option: the underlay's MTU
    // fits; 50 more makes the container's interface as large as the underlay.
    let fits = format!("com.docker.network.driver.mtu={under}");
    let too_big = format!("com.docker.network.driver.mtu={}", under + 50);
    let good = DockerNet::new("overlay", &["--attachable", "--opt", &fits]);
    let bad = DockerNet::new("overlay", &["--attachable", "--opt", &too_big]);
    let a = Container::run(
        "ova",
        &["--network", &good.name, test_image(), "sleep", "infinity"],
    );
    let b = Container::run(
        "ovb",
        &["--network", &bad.name, test_image(), "sleep", "infinity"],
    );
    let (_, v) = doctor(&a.name, &[]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == format!("mtu.overlay:{}", good.name))
        .cloned();
    assert!(f.is_some_and(|f| f["status"] == "ok"), "{v:#}");
    let res = doctor(&b.name, &[]);
    assert_top_finding(&res, &format!("mtu.overlay:{}", bad.name));
    let want = format!("mtu={under}");
    assert!(
        res.1["findings"][0]["fix"]
            .as_str()
            .unwrap()
            .contains(&want),
        "{:#}",
        res.1
    );
}
