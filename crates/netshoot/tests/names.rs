//! Docker tier (root + engine): names on every MAC, address and veth. `bridge fdb` and
//! `ip neigh` name each container as `docker inspect` does; host-side veths name their
//! container as the iflink/ifindex pairs say (`ip link`, `targets`); `dns` answers name a
//! container, a Swarm service's VIP and a task.

use std::time::Duration;

use netshoot_testnet::cli::{json, stderr, stdout, Netshoot};
use netshoot_testnet::docker::{
    ensure_swarm, inspect, require_docker, test_image, Container, DockerNet, Service,
};
use netshoot_testnet::run;
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// A user bridge network with two containers that have pinged each other.
struct Pair {
    b: Container,
    a: Container,
    net: DockerNet,
}

fn pair() -> Pair {
    require_docker();
    let net = DockerNet::new("bridge", &[]);
    let a = Container::run(
        "na",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    let b = Container::run(
        "nb",
        &["--network", &net.name, test_image(), "sleep", "infinity"],
    );
    // Traffic both ways: each learns the other's MAC, the bridge learns both.
    let o = NETSHOOT.run(&["-t", &a.name, "ping", "-c", "2", "-i", "0.2", &ip(&b, &net)]);
    assert!(o.status.success(), "{}", stderr(&o));
    Pair { b, a, net }
}

/// `docker inspect`'s endpoint of `c` on `net`.
fn endpoint(c: &Container, net: &DockerNet) -> Value {
    inspect(&c.name)["NetworkSettings"]["Networks"][&net.name].clone()
}

fn ip(c: &Container, net: &DockerNet) -> String {
    endpoint(c, net)["IPAddress"].as_str().unwrap().to_string()
}

fn mac(c: &Container, net: &DockerNet) -> String {
    endpoint(c, net)["MacAddress"]
        .as_str()
        .unwrap()
        .to_ascii_lowercase()
}

/// Runs netshoot and returns its stdout, asserting success.
fn ok(args: &[&str]) -> String {
    let o = NETSHOOT.run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn fdb_and_neigh_name_each_container_as_docker_inspect_does() {
    require_docker!();
    let p = pair();
    let bridge = format!("br-{}", &p.net.id[..12]);
    // ip neigh inside a: b's address and MAC, named b.
    let v = json(&ok(&["-t", &p.a.name, "--json", "ip", "neigh"]));
    let e = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dst"] == ip(&p.b, &p.net).as_str())
        .unwrap_or_else(|| panic!("no neighbour entry for b: {v:#}"));
    assert_eq!(e["lladdr"], mac(&p.b, &p.net).as_str(), "{e:#}");
    assert_eq!(e["owner"]["kind"], "container", "{e:#}");
    assert_eq!(e["owner"]["name"], p.b.name.as_str(), "{e:#}");
    assert_eq!(e["owner"]["network"], p.net.name.as_str(), "{e:#}");
    // Its text: iproute2's line, then `# container NAME` with -v only.
    let plain = ok(&["-t", &p.a.name, "ip", "neigh"]);
    assert!(!plain.contains('#'), "{plain}");
    let named = ok(&["-t", &p.a.name, "-v", "ip", "neigh"]);
    let want = format!("lladdr {} ", mac(&p.b, &p.net));
    let line = named
        .lines()
        .find(|l| l.contains(&want))
        .unwrap_or_else(|| panic!("{named}"));
    assert!(
        line.ends_with(&format!("# container {}", p.b.name)),
        "{line}"
    );
    // bridge fdb on the host: each container's MAC, named as docker inspect names it.
    let v = json(&ok(&["--json", "bridge", "fdb", "br", &bridge]));
    let text = ok(&["-v", "bridge", "fdb", "show", "br", &bridge]);
    for c in [&p.a, &p.b] {
        let m = mac(c, &p.net);
        let e = v
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["mac"] == m.as_str())
            .unwrap_or_else(|| panic!("no fdb entry for {m}: {v:#}"));
        assert_eq!(e["owner"]["name"], c.name.as_str(), "{e:#}");
        assert_eq!(e["owner"]["kind"], "container", "{e:#}");
        let line = text
            .lines()
            .find(|l| l.starts_with(&m))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            line.ends_with(&format!("master {bridge} # container {}", c.name)),
            "{line}"
        );
    }
    // Each port's own MAC (the host-side veth's): that container's veth, as the iflink pairs
    // say; entries nobody owns (the bridge's own, multicast) stay as iproute2 prints them.
    let mut veth_macs = Vec::new();
    for c in [&p.a, &p.b] {
        let i = sys_in(c, "/sys/class/net/eth0/ifindex");
        let l = sys_in(c, "/sys/class/net/eth0/iflink");
        let veth = host_end(l, i);
        let m = std::fs::read_to_string(format!("/sys/class/net/{veth}/address")).unwrap();
        let line = text
            .lines()
            .find(|x| x.starts_with(&format!("{} dev {veth} master", m.trim())))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            line.ends_with(&format!("permanent # veth of container {}", c.name)),
            "{line}"
        );
        veth_macs.push(m.trim().to_string());
    }
    assert!(
        text.lines()
            .filter(|l| l.contains("permanent") && !veth_macs.iter().any(|m| l.starts_with(m)))
            .all(|l| !l.contains('#')),
        "{text}"
    );
}

/// A file under /sys/class/net inside container `c`, as a number.
fn sys_in(c: &Container, file: &str) -> u32 {
    run(&["docker", "exec", &c.name, "cat", file])
        .trim()
        .parse()
        .unwrap()
}

/// The host interface whose ifindex is `index` and whose iflink is `iflink`.
fn host_end(index: u32, iflink: u32) -> String {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/sys/class/net").unwrap().flatten() {
        let read = |f: &str| {
            std::fs::read_to_string(e.path().join(f))
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok())
        };
        if read("ifindex") == Some(index) && read("iflink") == Some(iflink) {
            found.push(e.file_name().to_string_lossy().to_string());
        }
    }
    assert_eq!(found.len(), 1, "{found:?}");
    found.pop().unwrap()
}

#[test]
fn host_veths_name_their_container_as_the_iflink_pairs_say() {
    require_docker!();
    let p = pair();
    let targets = json(&ok(&["--json", "targets"]));
    let host = targets["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "host")
        .unwrap()
        .clone();
    let targets_text = ok(&["targets"]);
    let link_text = ok(&["-v", "ip", "link"]);
    for c in [&p.a, &p.b] {
        // The pair: the container's eth0 (ifindex i, iflink l) and the host's veth (l, i).
        let i = sys_in(c, "/sys/class/net/eth0/ifindex");
        let l = sys_in(c, "/sys/class/net/eth0/iflink");
        let veth = host_end(l, i);
        let owner = format!("container {}", c.name);
        // targets, JSON and text.
        let iface = host["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == veth.as_str())
            .unwrap_or_else(|| panic!("{veth} not in targets: {host:#}"));
        assert_eq!(iface["peer"]["owner"], owner.as_str(), "{iface:#}");
        assert_eq!(iface["peer"]["name"], "eth0", "{iface:#}");
        assert_eq!(iface["peer"]["index"], i, "{iface:#}");
        let line = targets_text
            .lines()
            .find(|x| x.trim_start().starts_with(&format!("{veth} ")))
            .unwrap_or_else(|| panic!("{targets_text}"));
        assert!(line.ends_with(&format!("peer eth0 in {owner}")), "{line}");
        // ip link: --json, and -v's line after iproute2's.
        let v = json(&ok(&["--json", "ip", "link", "--dev", &veth]));
        assert_eq!(v[0]["peer"]["owner"], owner.as_str(), "{v:#}");
        assert_eq!(v[0]["peer"]["index"], i, "{v:#}");
        assert!(
            link_text.contains(&format!(
                "    peer eth0 in {owner} (-t container:{})",
                c.name
            )),
            "{link_text}"
        );
        // `master` names the bridge, as iproute2 does.
        let bridge = format!("br-{}", &p.net.id[..12]);
        assert!(
            link_text
                .lines()
                .any(|x| x.contains(&format!(" {veth}@if{i}: "))
                    && x.contains(&format!(" master {bridge} "))),
            "{link_text}"
        );
    }
}

/// `netshoot -t FROM --json dns ARGS…` until an answer holds an address (the embedded DNS
/// learns a service's names a moment after it is created).
fn answered(from: &str, args: &[&str]) -> Value {
    let mut argv = vec!["-t", from, "--json", "dns"];
    argv.extend_from_slice(args);
    for _ in 0..100 {
        let o = NETSHOOT.run(&argv);
        let v = json(&stdout(&o));
        if o.status.success()
            && v["answer"]["answers"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        {
            return v;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("no answer for {args:?}");
}

#[test]
fn dns_answers_name_a_container_a_service_vip_and_a_task() {
    require_docker!();
    let p = pair();
    // A container, by its name.
    let v = answered(&p.a.name, &[&p.b.name]);
    assert_eq!(
        v["owners"][0]["address"],
        ip(&p.b, &p.net).as_str(),
        "{v:#}"
    );
    assert_eq!(v["owners"][0]["kind"], "container", "{v:#}");
    assert_eq!(v["owners"][0]["name"], p.b.name.as_str(), "{v:#}");
    let t = ok(&["-t", &p.a.name, "dns", &p.b.name]);
    assert!(
        t.lines()
            .any(|l| l.contains(&ip(&p.b, &p.net))
                && l.ends_with(&format!(" ; container {}", p.b.name))),
        "{t}"
    );
    // +short stays bare.
    let s = ok(&["-t", &p.a.name, "dns", &p.b.name, "+short"]);
    assert_eq!(s.trim(), ip(&p.b, &p.net), "{s}");
    // A Swarm service (VIP mode, one replica) on an overlay, asked from a container there.
    ensure_swarm();
    let ov = DockerNet::new("overlay", &["--attachable"]);
    let s = Service::create(&[
        "--replicas",
        "1",
        "--network",
        &ov.name,
        test_image(),
        "sleep",
        "infinity",
    ]);
    let svc = &s.name;
    let cli = Container::run(
        "nc",
        &["--network", &ov.name, test_image(), "sleep", "infinity"],
    );
    let vip = inspect(svc)["Endpoint"]["VirtualIPs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["NetworkID"] == ov.id.as_str())
        .and_then(|x| x["Addr"].as_str())
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let v = answered(&cli.name, &[svc]);
    assert_eq!(v["owners"][0]["address"], vip.as_str(), "{v:#}");
    assert_eq!(v["owners"][0]["kind"], "service_vip", "{v:#}");
    assert_eq!(v["owners"][0]["name"], svc.as_str(), "{v:#}");
    let t = ok(&["-t", &cli.name, "dns", svc]);
    assert!(t.contains(&format!(" ; service VIP of {svc}")), "{t}");
    // tasks.SVC: the task's own address, named as the task (`SVC.1`), as docker ps names its
    // container `SVC.1.<task id>`.
    let v = answered(&cli.name, &[&format!("tasks.{svc}")]);
    let task_ip = v["answer"]["answers"][0]["data"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(v["owners"][0]["address"], task_ip.as_str(), "{v:#}");
    assert_eq!(v["owners"][0]["kind"], "task", "{v:#}");
    assert_eq!(v["owners"][0]["name"], format!("{svc}.1").as_str(), "{v:#}");
    let ps = run(&[
        "docker",
        "ps",
        "--filter",
        &format!("label=com.docker.swarm.service.name={svc}"),
        "--format",
        "{{.Names}}",
    ]);
    assert!(ps.trim().starts_with(&format!("{svc}.1.")), "{ps}");
}

/// A vxlan device's remote VTEPs are named by the Swarm node at that address (the manager's
/// `/nodes`, here a stand-in engine with two nodes: a real vxlan device and fdb in a namespace
/// of this test, a multi-node Swarm being out of reach); a MAC's own owner still wins.
#[test]
fn vxlan_remote_vteps_are_named_by_their_swarm_node() {
    netshoot_testnet::require_root!();
    let ns = netshoot_testnet::Netns::new("nvx");
    ns.ip(&["addr", "add", "10.72.0.1/24", "dev", "lo"]);
    ns.ip(&["link", "set", "lo", "up"]);
    netshoot_testnet::fixtures::vxlan_with_remotes(&ns);
    let e = netshoot_testnet::docker::FakeEngine::start(vec![
        (
            "/nodes",
            200,
            r#"[{"ID":"n2xxxxxxxxxxxxxxxxxxxxxxx","Status":{"State":"ready","Addr":"10.72.0.2"},"Description":{"Hostname":"node-b"}},
                {"ID":"n3yyyyyyyyyyyyyyyyyyyyyyy","Status":{"State":"ready","Addr":"10.72.0.3"}}]"#
                .into(),
        ),
        ("/containers/json", 200, "[]".into()),
        ("/networks", 200, "[]".into()),
        ("/services", 200, "[]".into()),
    ]);
    let env = [
        ("DOCKER_HOST", e.host()),
        ("NETSHOOT_DOCKER_TIMEOUT", "5".into()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let spec = format!("netns:{}", ns.name);
    let o = NETSHOOT.run_env(
        &["-t", &spec, "-v", "bridge", "fdb", "show", "dev", "vx0"],
        &env,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let line = |mac: &str| {
        text.lines()
            .find(|l| l.starts_with(mac))
            .unwrap_or_else(|| panic!("{mac} not in: {text}"))
            .to_string()
    };
    // Compared with iproute2's line for the same entry: ours adds the owner at the end.
    let peer = netshoot_testnet::run(&[
        "ip", "netns", "exec", &ns.name, "bridge", "fdb", "show", "dev", "vx0",
    ]);
    for (mac, owner) in [
        ("00:00:00:00:00:00", "# node node-b"),
        ("02:00:00:00:72:03", "# node n3yyyyyyyyyy"),
    ] {
        let l = line(mac);
        assert!(l.ends_with(owner), "{l}");
        let theirs = peer
            .lines()
            .find(|p| p.starts_with(mac))
            .unwrap()
            .trim_end();
        assert_eq!(
            l.trim_end_matches(owner).trim_end(),
            theirs,
            "iproute2's words first"
        );
    }
    let v = json(&stdout(
        &NETSHOOT.run_env(&["-t", &spec, "--json", "bridge", "fdb"], &env),
    ));
    let e0 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["mac"] == "00:00:00:00:00:00")
        .unwrap();
    assert_eq!(e0["owner"]["kind"], "node", "{e0}");
    assert_eq!(e0["owner"]["name"], "node-b", "{e0}");
}
