//! The classic walkthrough's command lines, verbatim, inside containers on a Swarm overlay
//! (issue 12's "Why"): `tcpdump -i eth0 port 9999 -c 1 -Xvv`, `netstat -tulpn`,
//! `drill -V 5 perf-test-b`, `nmap -p 12376-12390 -dd ADDR`, `ip route show`,
//! `bridge fdb show br br0` and `brctl show` in the overlay's own namespace,
//! `nc -vz service-a 8080`, `iperf -s -p 9999` with a client, `iftop -i eth0` (text mode and
//! the screen under a pty), `curl my-nginx:80`. Each runs as `netshoot -t CONTAINER NAME …`
//! (the namespace is the container's, names resolve through Docker's 127.0.0.11) and its
//! substance is checked against what Docker says about the same containers.

use std::process::{Command, Stdio};
use std::time::Duration;

use netshoot_testnet::cli::{text, Netshoot};
use netshoot_testnet::docker::{
    ensure_swarm, inspect, require_docker, test_image, underlay_mtu, Container, DockerNet,
};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// A container's address on network `net`.
fn addr(c: &Container, net: &str) -> String {
    inspect(&c.name)["NetworkSettings"]["Networks"][net]["IPAddress"]
        .as_str()
        .expect("address")
        .to_string()
}

#[test]
fn the_walkthrough_runs_verbatim_on_an_overlay() {
    require_docker!();
    ensure_swarm();
    let mtu = format!("com.docker.network.driver.mtu={}", underlay_mtu());
    let ov = DockerNet::new("overlay", &["--attachable", "--opt", &mtu]);
    let img = test_image();
    // service-a: a TCP listener on 8080; perf-test-b: listeners on 12380 and 12384;
    // my-nginx: busybox's httpd serving a known page; client: where the commands run.
    let service_a = Container::run(
        "wa",
        &[
            "--network",
            &ov.name,
            "--network-alias",
            "service-a",
            img,
            "nc",
            "-lk",
            "-p",
            "8080",
        ],
    );
    let perf_b = Container::run(
        "wb",
        &[
            "--network",
            &ov.name,
            "--network-alias",
            "perf-test-b",
            img,
            "sh",
            "-c",
            "nc -lk -p 12380 >/dev/null & nc -lk -p 12384 >/dev/null & exec sleep 600",
        ],
    );
    let nginx = Container::run(
        "wn",
        &[
            "--network", &ov.name, "--network-alias", "my-nginx", img, "sh", "-c",
            "mkdir -p /tmp/www && echo walkthrough-page > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www",
        ],
    );
    let client = Container::run("wc", &["--network", &ov.name, img, "sleep", "600"]);
    std::thread::sleep(Duration::from_millis(1500));
    let c = client.name.as_str();
    let b_ip = addr(&perf_b, &ov.name);
    let client_ip = addr(&client, &ov.name);

    // tcpdump -i eth0 port 9999 -c 1 -Xvv
    let cap = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args([
            "-t", c, "tcpdump", "-i", "eth0", "port", "9999", "-c", "1", "-Xvv",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let send = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args([
            "-t",
            &perf_b.name,
            "nc",
            "-u",
            "-w",
            "1",
            &client_ip,
            "9999",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut ch| {
            use std::io::Write;
            ch.stdin.take().unwrap().write_all(b"walkthrough\n")?;
            ch.wait()
        });
    assert!(send.is_ok());
    let o = cap.wait_with_output().unwrap();
    let out = text(&o.stdout);
    assert!(o.status.success(), "tcpdump: {o:?}");
    assert!(
        out.starts_with(|ch: char| ch.is_ascii_digit()) && out.contains("IP (tos 0x"),
        "{out}"
    );
    assert!(out.contains(&format!("> {client_ip}.9999: ")), "{out}");
    assert!(out.contains("\t0x0000:  4500"), "the -X dump: {out}");

    // netstat -tulpn (inside service-a: its listener on 8080)
    let o = NETSHOOT.run(&["-t", &service_a.name, "netstat", "-tulpn"]);
    let out = text(&o.stdout);
    assert!(
        out.contains("Active Internet connections (only servers)"),
        "{o:?}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("tcp") && l.contains(":8080") && l.contains("LISTEN")),
        "{out}"
    );

    // drill -V 5 perf-test-b: Docker's DNS answers with perf-test-b's address.
    let o = NETSHOOT.run(&["-t", c, "drill", "-V", "5", "perf-test-b"]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{o:?}");
    assert!(
        out.contains("ANSWER SECTION") && out.contains(&b_ip),
        "{out}"
    );

    // nmap -p 12376-12390 -dd ADDR: the two listeners, discovered and in the table.
    let o = NETSHOOT.run(&["-t", c, "nmap", "-p", "12376-12390", "-dd", &b_ip]);
    let out = text(&o.stdout);
    for port in ["12380", "12384"] {
        assert!(
            out.contains(&format!("Discovered open port {port}/tcp on {b_ip}")),
            "{out}"
        );
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{port}/tcp")) && l.contains("open")),
            "{out}"
        );
    }

    // ip route show: the overlay's subnet on eth0, and the default route.
    let o = NETSHOOT.run(&["-t", c, "ip", "route", "show"]);
    let out = text(&o.stdout);
    let subnet = inspect(&ov.name)["IPAM"]["Config"][0]["Subnet"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(out.contains(&format!("{subnet} dev eth0")), "{out}");
    assert!(out.contains("default via"), "{out}");

    // bridge fdb show br br0 and brctl show, in the overlay's own namespace.
    let net = format!("network:{}", ov.name);
    let o = NETSHOOT.run(&["-t", &net, "bridge", "fdb", "show", "br", "br0"]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{o:?}");
    let mac = inspect(&client.name)["NetworkSettings"]["Networks"][&ov.name]["MacAddress"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        out.contains(&mac) && out.contains("master br0"),
        "client's MAC {mac} in:\n{out}"
    );
    let o = NETSHOOT.run(&["-t", &net, "brctl", "show"]);
    let out = text(&o.stdout);
    assert!(out.starts_with("bridge name\tbridge id"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("br0\t")), "{out}");

    // nc -vz service-a 8080
    let o = NETSHOOT.run(&["-t", c, "nc", "-vz", "service-a", "8080"]);
    assert!(o.status.success(), "{o:?}");
    assert!(
        text(&o.stderr).contains("8080 port [tcp/") && text(&o.stderr).contains("succeeded!"),
        "{o:?}"
    );

    // iperf -s -p 9999 in perf-test-b, a client from the client container.
    let srv = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &perf_b.name, "iperf", "-s", "-p", "9999"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let o = NETSHOOT.run(&[
        "-t",
        c,
        "iperf",
        "-c",
        "perf-test-b",
        "-p",
        "9999",
        "-t",
        "1",
    ]);
    let mut srv = srv;
    let _ = srv.kill();
    let so = srv.wait_with_output().unwrap();
    let out = text(&o.stdout);
    assert!(o.status.success(), "{o:?}");
    assert!(
        out.contains("[ ID] Interval") && out.contains("sec"),
        "{out}"
    );
    assert!(
        text(&so.stdout).contains("Server listening on TCP port 9999"),
        "{so:?}"
    );

    // iftop -i eth0: text mode for a known flow, and the screen under a pty.
    let ift = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", c, "iftop", "-i", "eth0", "-t", "-s", "3", "-n"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let _ = NETSHOOT.run(&["-t", c, "ping", "-c", "5", "-i", "0.2", &b_ip]);
    let o = ift.wait_with_output().unwrap();
    let out = text(&o.stdout);
    assert!(out.contains("Listening on eth0"), "{o:?}");
    assert!(
        out.contains(&format!(" {client_ip} ")) && out.contains(&format!(" {b_ip} ")),
        "{out}"
    );
    let bin = env!("CARGO_BIN_EXE_netshoot");
    let o = Command::new("timeout")
        .args([
            "-s",
            "INT",
            "5",
            "script",
            "-qec",
            // script's terminal has no size without one of ours: give it one.
            &format!("stty cols 120 rows 30; {bin} -t {c} iftop -i eth0"),
            "/dev/null",
        ])
        .output()
        .unwrap();
    // The screen, drawn at once: the interface's name in its title.
    assert!(text(&o.stdout).contains("eth0,"), "the screen: {o:?}");

    // curl my-nginx:80
    let o = NETSHOOT.run(&["-t", c, "curl", "my-nginx:80"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(text(&o.stdout), "walkthrough-page\n");
    drop(nginx);
}
