//! `stats` (and `ctop`) against containers doing known work: a CPU burner, a known memory
//! allocation (48 MiB written to a tmpfs, charged to the container as shared memory) under a
//! 256 MiB limit, a known transfer (8 MB sent from the host to a listener on a network this
//! test made), and an exited container. Our figures agree with `docker stats --no-stream`'s;
//! `--json --count 2` gives two snapshots; the screen under a pty shows the containers, opens
//! one with its interfaces and sockets, and `q` quits.

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use netshoot_testnet::cli::{finish, pty, stderr, stdout, Netshoot, Pty};
use netshoot_testnet::docker::{inspect, require_docker, test_image, Container, DockerNet};
use netshoot_testnet::run;
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// `docker stats`'s sizes (`51.2MiB`, `8.39MB`, `0B`) in bytes.
fn size(s: &str) -> f64 {
    let s = s.trim();
    let at = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (n, unit) = s.split_at(at);
    let n: f64 = n.parse().unwrap_or_else(|_| panic!("size {s:?}"));
    let m = match unit {
        "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => panic!("unit {unit:?} in {s:?}"),
    };
    n * m
}

/// `docker stats --no-stream` of the named containers: name → its JSON line.
fn docker_stats(names: &[&str]) -> std::collections::HashMap<String, Value> {
    let mut argv = vec!["docker", "stats", "--no-stream", "--format", "{{json .}}"];
    argv.extend_from_slice(names);
    run(&argv)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["Name"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// Our one JSON snapshot: name → container.
fn ours(filter: &str, interval: &str) -> std::collections::HashMap<String, Value> {
    let o = NETSHOOT.run(&[
        "stats",
        "--json",
        "--filter",
        filter,
        "--interval",
        interval,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    v["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c.clone()))
        .collect()
}

fn pct(s: &Value) -> f64 {
    s.as_str()
        .unwrap()
        .trim_end_matches('%')
        .parse()
        .unwrap_or_else(|_| panic!("percent {s}"))
}

/// The work: a burner, a 48 MiB allocation under a 256 MiB limit, a listener that received
/// 8 MB from the host, and an exited container (each removed on drop).
struct Work {
    burn: Container,
    mem: Container,
    rx: Container,
    gone: Container,
    _net: DockerNet,
}

const SENT: usize = 8_000_000;

fn work() -> Work {
    let image = test_image();
    let net = DockerNet::new("bridge", &[]);
    let n = net.name.as_str();
    let burn = Container::run(
        "stb",
        &["--network", n, image, "sh", "-c", "while :; do :; done"],
    );
    let mem = Container::run(
        "stm",
        &[
            "--network",
            n,
            "-m",
            "256m",
            "--tmpfs",
            "/fill:size=128m",
            image,
            "sh",
            "-c",
            "head -c 50331648 /dev/zero > /fill/x && sleep infinity",
        ],
    );
    let rx = Container::run(
        "str",
        &[
            "--network",
            n,
            image,
            "sh",
            "-c",
            "busybox nc -l -p 5000 > /dev/null; sleep infinity",
        ],
    );
    let gone = Container::run("stx", &["--network", n, image, "true"]);
    // The transfer: from the host to the listener's address on our network.
    let ip = inspect(&rx.name)["NetworkSettings"]["Networks"][n]["IPAddress"]
        .as_str()
        .unwrap()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut s = loop {
        match TcpStream::connect_timeout(
            &format!("{ip}:5000").parse().unwrap(),
            Duration::from_secs(2),
        ) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => panic!("connect {ip}:5000: {e}"),
        }
    };
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&vec![0u8; SENT]).unwrap();
    drop(s);
    // The allocation is done once the file is whole.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let o = Command::new("docker")
            .args(["exec", &mem.name, "sh", "-c", "wc -c < /fill/x"])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&o.stdout).trim() == "50331648" {
            break;
        }
        assert!(Instant::now() < deadline, "the allocation did not finish");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The exited one has ended.
    let deadline = Instant::now() + Duration::from_secs(10);
    while inspect(&gone.name)["State"]["Status"] != "exited" {
        assert!(
            Instant::now() < deadline,
            "the short container did not exit"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Work {
        burn,
        mem,
        rx,
        gone,
        _net: net,
    }
}

#[test]
fn values_agree_with_docker_stats() {
    require_docker!();
    let w = work();
    let names = [&w.burn.name, &w.mem.name, &w.rx.name, &w.gone.name];
    let o = ours("", "1");
    let d = docker_stats(&[&w.burn.name, &w.mem.name, &w.rx.name]);
    for n in &names {
        assert!(o.contains_key(*n), "{n} not in {o:?}");
    }

    // CPU: one busy loop is about one CPU (the machine is shared: both are lower when others
    // run; they agree within a loose tolerance and both see real work).
    let (oc, dc) = (
        o[&w.burn.name]["cpu_percent"].as_f64().unwrap(),
        pct(&d[&w.burn.name]["CPUPerc"]),
    );
    assert!(oc > 20.0 && dc > 20.0, "burner: ours {oc}%, docker {dc}%");
    assert!(
        (oc - dc).abs() < 40.0_f64.max(dc * 0.5),
        "burner: ours {oc}%, docker {dc}%"
    );
    assert!(oc < 205.0, "two CPUs at most: {oc}");
    let idle = o[&w.rx.name]["cpu_percent"].as_f64().unwrap();
    assert!(idle < 5.0, "an idle container at {idle}%");

    // Memory: 48 MiB in the tmpfs, under the 256 MiB limit; docker's figure (4 significant
    // digits) within 5 % or 2 MiB.
    let m = &o[&w.mem.name];
    let used = m["mem_used"].as_u64().unwrap() as f64;
    assert!(used >= 48.0 * 1048576.0, "used {used} for 48 MiB");
    let (du, dl) = d[&w.mem.name]["MemUsage"]
        .as_str()
        .unwrap()
        .split_once(" / ")
        .unwrap();
    let du = size(du);
    assert!(
        (used - du).abs() < (du * 0.05).max(2.0 * 1048576.0),
        "used: ours {used}, docker {du}"
    );
    assert_eq!(m["mem_limit"].as_u64(), Some(256 << 20));
    assert!((size(dl) - (256u64 << 20) as f64).abs() < 1048576.0, "{dl}");
    let mp = m["mem_percent"].as_f64().unwrap();
    let dmp = pct(&d[&w.mem.name]["MemPerc"]);
    assert!((mp - dmp).abs() < 1.5, "mem %: ours {mp}, docker {dmp}");
    // The unlimited ones: the host's total memory, as docker shows it.
    let host = o[&w.burn.name]["mem_limit"].as_u64().unwrap() as f64;
    let (_, dhost) = d[&w.burn.name]["MemUsage"]
        .as_str()
        .unwrap()
        .split_once(" / ")
        .unwrap();
    assert!(
        (host - size(dhost)).abs() / host < 0.01,
        "{host} vs {dhost}"
    );

    // Network: the 8 MB received (and the acknowledgements sent); docker's 3 digits within 2 %.
    let r = &o[&w.rx.name];
    let (rx, tx) = (
        r["net_rx"].as_u64().unwrap() as f64,
        r["net_tx"].as_u64().unwrap() as f64,
    );
    assert!(rx >= SENT as f64 && rx < SENT as f64 * 1.2, "rx {rx}");
    let (drx, dtx) = d[&w.rx.name]["NetIO"]
        .as_str()
        .unwrap()
        .split_once(" / ")
        .unwrap();
    assert!(
        (rx - size(drx)).abs() / rx < 0.02,
        "rx: ours {rx}, docker {drx}"
    );
    assert!(
        (tx - size(dtx)).abs() < (tx * 0.05).max(2000.0),
        "tx: ours {tx}, docker {dtx}"
    );

    // PIDs and block IO are there for every running one; the burner is one process.
    assert_eq!(o[&w.burn.name]["pids"].as_u64(), Some(1));
    let dp: u64 = d[&w.burn.name]["PIDs"].as_str().unwrap().parse().unwrap();
    assert_eq!(dp, 1);
    for n in [&w.burn.name, &w.mem.name, &w.rx.name] {
        assert!(
            o[n]["block_read"].is_u64() && o[n]["block_write"].is_u64(),
            "{n}"
        );
        assert_eq!(o[n]["state"], "running");
    }

    // The exited one: listed with its state and no figures.
    let g = &o[&w.gone.name];
    assert_eq!(g["state"], "exited");
    assert!(
        g["status"].as_str().unwrap().starts_with("Exited (0)"),
        "{g}"
    );
    assert!(g["cpu_percent"].is_null() && g["mem_used"].is_null(), "{g}");

    // --running leaves it out.
    let o = NETSHOOT.run(&["stats", "--json", "--running", "--interval", "0.2"]);
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let listed: Vec<&str> = v["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        listed.contains(&w.burn.name.as_str()) && !listed.contains(&w.gone.name.as_str()),
        "{listed:?}"
    );

    // The table (stdout not a terminal), sorted by memory: our allocation before the burner;
    // ctop's command line gives the same table.
    for argv in [
        vec!["stats", "--sort", "mem", "--interval", "0.3"],
        vec!["ctop", "-s", "mem"],
    ] {
        let o = NETSHOOT.run(&argv);
        assert_eq!(o.status.code(), Some(0), "{argv:?}: {}", stderr(&o));
        let t = stdout(&o);
        assert!(t.starts_with("NAME "), "{t}");
        let at = |n: &str| t.find(n).unwrap_or_else(|| panic!("{n} not in {t}"));
        assert!(at(&w.mem.name) < at(&w.burn.name), "{argv:?}: {t}");
        assert!(
            t.lines()
                .any(|l| l.contains(&w.gone.name) && l.contains("exited")),
            "{t}"
        );
    }
}

#[test]
fn json_count_two_gives_two_snapshots() {
    require_docker!();
    let image = test_image();
    let c = Container::run("stj", &[image, "sleep", "infinity"]);
    let t = Instant::now();
    let r = finish(
        NETSHOOT.start(&[
            "stats",
            "--json",
            "--count",
            "2",
            "--interval",
            "0.5",
            "--filter",
            &c.name,
        ]),
        Duration::from_secs(15),
        "stats --json --count 2",
    );
    assert_eq!(r.code, Some(0), "{}", r.err);
    let lines: Vec<&str> = r.out.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.out);
    for l in lines {
        let v: Value = serde_json::from_str(l).unwrap();
        let i = v["interval_seconds"].as_f64().unwrap();
        assert!((0.45..1.5).contains(&i), "interval {i}");
        let cs = v["containers"].as_array().unwrap();
        assert_eq!(cs.len(), 1, "{v}");
        assert_eq!(cs[0]["name"], c.name.as_str());
        assert!(cs[0]["cpu_percent"].is_f64(), "{v}");
    }
    assert!(t.elapsed() >= Duration::from_millis(1000), "two intervals");
    // A bad count or interval: one line, exit 2.
    for bad in [["--count", "0"], ["--interval", "0"]] {
        let o = NETSHOOT.run(&["stats", bad[0], bad[1]]);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    }
}

/// Under a pty (`script`, 30×150): the screen shows our containers, Enter opens the selected
/// one with its interfaces and sockets, Esc goes back, q quits and the terminal is restored.
#[test]
fn screen_under_a_pty_shows_containers_and_q_quits() {
    require_docker!();
    let image = test_image();
    let c = Container::run(
        "sts",
        &[
            image,
            "sh",
            "-c",
            "nc -l -p 7777 >/dev/null; sleep infinity",
        ],
    );
    let cmd = format!(
        "{} stats --interval 0.5 --filter {}",
        env!("CARGO_BIN_EXE_netshoot"),
        c.name
    );
    let r = pty(
        &cmd,
        Pty {
            size: Some((30, 150)),
            keys: &[(2000, "\r"), (1500, "\x1b"), (800, "q")],
            limit: Duration::from_secs(20),
        },
    );
    let out = &r.out;
    assert!(
        out.contains("\x1b[?1049h") && out.contains("\x1b[?1049l"),
        "alternate screen entered and left: {out:?}"
    );
    assert!(
        out.contains("netshoot") && out.contains("stats:"),
        "{out:?}"
    );
    assert!(out.contains(&c.name), "{out:?}");
    // The detail view: its interfaces and the listener's socket.
    assert!(
        out.contains("Interfaces") && out.contains("eth0"),
        "{out:?}"
    );
    assert!(out.contains("LISTEN") && out.contains(":7777"), "{out:?}");
    assert!(r.took < Duration::from_secs(12), "q quit: {:?}", r.took);
}
