//! Docker tier (root + engine): container and network targets, `targets` with shared
//! namespaces, the Swarm overlay namespace, the slim image, and Docker error messages.

use std::process::Command;

use netshoot_testnet::cli::{json, stderr, stdout, Netshoot};
use netshoot_testnet::docker::{
    ensure_swarm, inspect, require_docker, test_image, Container, DockerNet,
};
use netshoot_testnet::run;
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// A user bridge network with `web` and `db`, and `side` sharing web's namespace.
struct Fixture {
    side: Container,
    db: Container,
    web: Container,
    net: DockerNet,
}

fn fixture() -> Fixture {
    require_docker();
    let image = test_image();
    let net = DockerNet::new("bridge", &[]);
    let web = Container::run("web", &["--network", &net.name, image, "sleep", "infinity"]);
    let db = Container::run("db", &["--network", &net.name, image, "sleep", "infinity"]);
    let joined = format!("container:{}", web.name);
    let side = Container::run("sid", &["--net", &joined, image, "sleep", "infinity"]);
    Fixture { side, db, web, net }
}

#[test]
fn container_target_sees_what_docker_inspect_reports() {
    require_docker!();
    let f = fixture();
    let o = NETSHOOT.run(&["-t", &f.web.name, "exec", "--", "ip", "-j", "addr"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let addrs = json(&stdout(&o));
    let ep = &inspect(&f.web.name)["NetworkSettings"]["Networks"][&f.net.name];
    let ip = ep["IPAddress"].as_str().unwrap();
    let plen = ep["IPPrefixLen"].as_u64().unwrap();
    let mac = ep["MacAddress"].as_str().unwrap();
    let eth = addrs
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["address"] == mac)
        .unwrap_or_else(|| panic!("no interface with MAC {mac}: {addrs}"));
    assert!(
        eth["addr_info"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["local"] == ip && a["prefixlen"] == plen),
        "{eth}"
    );
    // The container: prefix and the id form reach the same namespace.
    let by_id = NETSHOOT.run(&[
        "-t",
        &format!("container:{}", &f.web.id[..12]),
        "exec",
        "--",
        "ip",
        "-j",
        "addr",
    ]);
    assert_eq!(json(&stdout(&by_id)), addrs);
    // The joined container is in the very same namespace.
    let side = NETSHOOT.run(&["-t", &f.side.name, "exec", "--", "ip", "-j", "addr"]);
    assert_eq!(json(&stdout(&side)), addrs);
    let db = NETSHOOT.run(&["-t", &f.db.name, "exec", "--", "ip", "-j", "addr"]);
    assert_ne!(json(&stdout(&db)), addrs);
}

#[test]
fn targets_shows_the_shared_namespace_once_with_both_containers() {
    require_docker!();
    let f = fixture();
    let o = NETSHOOT.run(&["targets", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&stdout(&o));
    let nss = v["namespaces"].as_array().unwrap();
    let holding = |name: &str| -> Vec<&Value> {
        nss.iter()
            .filter(|n| {
                n["containers"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c["name"] == name))
            })
            .collect()
    };
    let web = holding(&f.web.name);
    assert_eq!(web.len(), 1, "web's namespace listed once");
    let web = web[0];
    assert_eq!(web["kind"], "container");
    assert_eq!(web["target"], format!("container:{}", f.web.name));
    let names: Vec<&str> = web["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&f.side.name.as_str()));
    let ep = &inspect(&f.web.name)["NetworkSettings"]["Networks"][&f.net.name];
    let want = format!(
        "{}/{}",
        ep["IPAddress"].as_str().unwrap(),
        ep["IPPrefixLen"]
    );
    let webc = web["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == f.web.name.as_str())
        .unwrap();
    assert_eq!(webc["networks"][0]["network"], f.net.name.as_str());
    assert_eq!(webc["networks"][0]["ipv4"], want.as_str());
    assert!(web["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .any(
            |i| i["addresses"].as_array().unwrap().iter().any(|a| format!(
                "{}/{}",
                a["address"].as_str().unwrap(),
                a["prefix_len"]
            ) == want)
        ));
    let db = holding(&f.db.name);
    assert_eq!(db.len(), 1);
    assert_ne!(db[0]["inode"], web["inode"]);
    // Text output shows all three containers.
    let text = stdout(&NETSHOOT.run(&["targets"]));
    for c in [&f.web.name, &f.db.name, &f.side.name] {
        assert!(text.contains(c.as_str()), "{c} missing from:\n{text}");
    }
}

#[test]
fn docker_errors_name_the_fix() {
    require_docker!();
    let f = fixture();
    // Unknown container: the running ones are named.
    let o = NETSHOOT.run(&["-t", "nst-no-such-container", "exec", "--", "true"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no container 'nst-no-such-container'"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains(&f.web.name),
        "running names listed: {}",
        stderr(&o)
    );
    // Stopped container.
    run(&["docker", "stop", "-t", "1", &f.db.name]);
    let o = NETSHOOT.run(&["-t", &f.db.name, "exec", "--", "true"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not running (status: exited)")
            && stderr(&o).contains("docker start"),
        "{}",
        stderr(&o)
    );
    // No Docker socket.
    let o = NETSHOOT.run_env(
        &["-t", &f.web.name, "exec", "--", "true"],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("-v /var/run/docker.sock:/var/run/docker.sock"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).trim_end().lines().count(), 1);
    // Unknown network: the known ones are named.
    let o = NETSHOOT.run(&["-t", "network:nst-no-such-net", "exec", "--", "true"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&f.net.name), "{}", stderr(&o));
    // A bridge network's bridge lives in the host namespace: said, then the host is entered.
    let o = NETSHOOT.run(&[
        "-t",
        &format!("network:{}", f.net.name),
        "exec",
        "--",
        "readlink",
        "/proc/self/ns/net",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bridge = format!("br-{}", &f.net.id[..12]);
    assert!(
        stderr(&o).contains(&bridge) && stderr(&o).contains("host namespace"),
        "{}",
        stderr(&o)
    );
    // The `none` driver has no namespace of its own.
    let o = NETSHOOT.run(&["-t", "network:none", "exec", "--", "true"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no network namespace of its own"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn overlay_network_target_enters_the_overlay_namespace() {
    require_docker!();
    ensure_swarm();
    let image = test_image();
    let net = DockerNet::new("overlay", &["--attachable"]);
    let _c = Container::run("ovc", &["--network", &net.name, image, "sleep", "infinity"]);
    let o = NETSHOOT.run(&[
        "-t",
        &format!("network:{}", net.name),
        "exec",
        "--",
        "ip",
        "-j",
        "link",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ours = json(&stdout(&o));
    let names: Vec<&str> = ours
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ifname"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"br0"), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("vxlan")), "{names:?}");
    // The same as nsenter into Docker's own bind mount of the sandbox.
    let sandbox = std::fs::read_dir("/var/run/docker/netns")
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| {
            n.split_once('-')
                .is_some_and(|(ep, id)| ep.parse::<u32>().is_ok() && net.id.starts_with(id))
        })
        .expect("overlay sandbox");
    let peer = run(&[
        "nsenter",
        &format!("--net=/var/run/docker/netns/{sandbox}"),
        "ip",
        "-j",
        "link",
    ]);
    assert_eq!(ours, json(&peer));
    // `targets` names it network:NAME with its driver.
    let v = json(&stdout(&NETSHOOT.run(&["targets", "--json"])));
    let entry = v["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["target"] == format!("network:{}", net.name))
        .expect("overlay namespace listed");
    assert_eq!(entry["kind"], "docker-network");
    assert_eq!(entry["docker_networks"][0]["driver"], "overlay");
}

#[test]
fn slim_image_lists_the_test_containers() {
    require_docker!();
    let f = fixture();
    // --privileged cannot start containers on machines whose capability bounding set lacks a
    // capability (this CI's sandbox lacks CAP_SYS_RESOURCE); the capabilities netshoot needs are
    // exactly these two.
    let o = Command::new("docker")
        .args([
            "run",
            "--rm",
            "--pid",
            "host",
            "--cap-add",
            "SYS_ADMIN",
            "--cap-add",
            "SYS_PTRACE",
            "-v",
            "/var/run/docker.sock:/var/run/docker.sock",
            "--label",
            netshoot_testnet::docker::LABEL,
            test_image(),
            "targets",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&stdout(&o));
    let all: Vec<String> = v["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["containers"].as_array().cloned().unwrap_or_default())
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    for c in [&f.web.name, &f.db.name, &f.side.name] {
        assert!(all.contains(c), "{c} not in {all:?}");
    }
    // From inside the image, by name: enter web and list its interfaces with netshoot itself.
    let o = Command::new("docker")
        .args([
            "run",
            "--rm",
            "--pid",
            "host",
            "--cap-add",
            "SYS_ADMIN",
            "--cap-add",
            "SYS_PTRACE",
            "-v",
            "/var/run/docker.sock:/var/run/docker.sock",
            test_image(),
            "-t",
            &f.web.name,
            "exec",
            "--",
            "/usr/local/bin/netshoot",
            "-t",
            "host",
            "exec",
            "--",
            "/usr/local/bin/netshoot",
            "--version",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // A bare run prints the targets it can see, and says why it sees only itself.
    let o = Command::new("docker")
        .args(["run", "--rm", test_image()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("host"), "{}", stdout(&o));
    assert!(stdout(&o).contains("add --pid host"), "{}", stdout(&o));
}
