//! `mesh serve` / `mesh status`: instances in namespaces of this test find each other by name
//! (each namespace's hosts file), every pair turns green; a DROP rule in one namespace turns
//! exactly that instance's pairs red and green again once removed; an instance removed from the
//! name disappears from the matrix. `/metrics` passes `promtool check metrics`; the heatmap page
//! renders in Chromium with one cell per pair and the red ones red. On the one-node Swarm, the
//! stack file `deploy/swarm-mesh.yml` runs 4 tasks (dnsrr overlay) whose pairs all turn green.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netshoot_testnet::cli::{json, stderr, stdout, Netshoot};
use netshoot_testnet::{require_root, unique, Bridge, Child, Netns};
use serde_json::Value;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));
const BIN: &str = env!("CARGO_BIN_EXE_netshoot");
const PORT: &str = "8944";

/// Four namespaces on one bridge, 10.98.0.1-4, each with a hosts file naming all four `mesh`.
struct Lan {
    nss: Vec<Netns>,
    _br: Bridge,
}

fn hosts(n: usize) -> String {
    let mut h = String::from("127.0.0.1 localhost\n");
    for i in 1..=n {
        h.push_str(&format!("10.98.0.{i} mesh\n"));
    }
    h
}

fn lan() -> Lan {
    let br = Bridge::new(true);
    let nss: Vec<Netns> = (1..=4)
        .map(|i| {
            let ns = Netns::new("msh");
            br.attach(&ns, "eth0", Some(&format!("10.98.0.{i}/24")));
            ns.ip(&["link", "set", "lo", "up"]);
            // Nothing here ever asks a real resolver: no nameserver, names from the hosts file.
            ns.resolv_conf("options timeout:1\n");
            std::fs::write(format!("/etc/netns/{}/hosts", ns.name), hosts(4)).unwrap();
            ns
        })
        .collect();
    Lan { nss, _br: br }
}

/// `mesh status 10.98.0.1 --json` from the first namespace: (exit code, the matrix).
fn status(ns: &Netns) -> (i32, Value) {
    let o = Command::new("ip")
        .args(["netns", "exec", &ns.name, BIN, "--json", "mesh", "status"])
        .arg(format!("10.98.0.1:{PORT}"))
        .args(["--timeout", "5"])
        .output()
        .unwrap();
    let code = o.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "mesh status: {}", stderr(&o));
    (code, json(&stdout(&o)))
}

/// The failing pairs of a matrix as "a>b" with the last octets.
fn failing(m: &Value) -> BTreeSet<String> {
    m["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] != true)
        .map(|c| {
            let last = |v: &Value| v.as_str().unwrap().rsplit('.').next().unwrap().to_string();
            format!("{}>{}", last(&c["from"]), last(&c["to"]))
        })
        .collect()
}

/// Polls `status` until `want` holds (at most `limit`), returning the last matrix.
fn until(ns: &Netns, limit: Duration, what: &str, want: impl Fn(i32, &Value) -> bool) -> Value {
    let end = Instant::now() + limit;
    loop {
        let (code, m) = status(ns);
        if want(code, &m) {
            return m;
        }
        assert!(
            Instant::now() < end,
            "{what}: not within {limit:?}; failing pairs {:?}, matrix {m}",
            failing(&m)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn serve(ns: &Netns) -> Child {
    ns.spawn(&[
        BIN,
        "mesh",
        "serve",
        "--dns",
        "mesh",
        "--interval",
        "1",
        "--timeout",
        "0.5",
        "--mtu-every",
        "3",
    ])
}

/// `GET path` of the first instance, with our own http client inside the first namespace.
fn get(ns: &Netns, path: &str) -> String {
    let o = NETSHOOT.run(&[
        "-t",
        &format!("netns:{}", ns.name),
        "http",
        &format!("http://10.98.0.1:{PORT}{path}"),
    ]);
    assert!(o.status.success(), "GET {path}: {}", stderr(&o));
    stdout(&o)
}

/// The heatmap page in Chromium: one cell per ordered pair in the DOM; on the screenshot, as
/// many cell-sized patches of red as there are failing pairs.
fn heatmap_shows(page: &str, pairs: usize, red: usize) {
    let dir = std::env::temp_dir().join(unique("nstmesh"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mesh.html");
    std::fs::write(&file, page).unwrap();
    let url = format!("file://{}", file.display());
    let dom = netshoot_testnet::browser::dom(&url);
    assert_eq!(
        dom.matches("data-from=").count(),
        pairs,
        "one cell per pair"
    );
    assert_eq!(dom.matches("class=\"cell bad\"").count(), red, "{dom}");
    let shot = netshoot_testnet::browser::screenshot(&url, 700, 400, &dir.join("mesh.png"));
    let count = |rgb: [u8; 3]| shot.count(rgb);
    let reds = count([0xdc, 0x26, 0x26]);
    // The ok cells' colours (green to amber by connect time, dark orange after a loss).
    let oks: usize = [
        [0xc2, 0x41, 0x0c],
        [0x16, 0xa3, 0x4a],
        [0x84, 0xcc, 0x16],
        [0xea, 0xb3, 0x08],
        [0xf9, 0x73, 0x16],
    ]
    .into_iter()
    .map(count)
    .sum();
    // Cells are the same size: red and ok areas stand as the counts of their cells.
    let green = pairs - red;
    assert!(reds > 0 && oks > 0, "{reds} red, {oks} ok pixels");
    let ratio = (reds as f64 / red as f64) / (oks as f64 / green as f64);
    assert!(
        (0.8..1.25).contains(&ratio),
        "{reds} red pixels for {red} cells, {oks} ok pixels for {green}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_mesh_of_namespaces_names_a_dropped_instance_and_recovers() {
    require_root!();
    let l = lan();
    let mut instances: Vec<Option<Child>> = l.nss.iter().map(|ns| Some(serve(ns))).collect();
    for ns in &l.nss {
        ns.wait_listen(8944, false);
    }
    let n1 = &l.nss[0];
    // Every pair green, with every probe (dns included: each found the others by name).
    let m = until(n1, Duration::from_secs(20), "all pairs green", |c, m| {
        c == 0 && m["matrix"].as_array().unwrap().len() == 12
    });
    assert_eq!(m["instances"].as_array().unwrap().len(), 4);
    for v in m["views"].as_array().unwrap() {
        for p in v["peers"].as_array().unwrap() {
            let last = p["history"].as_array().unwrap().last().unwrap();
            let probes: Vec<&String> = last["probes"].as_object().unwrap().keys().collect();
            assert_eq!(probes, ["dns", "http", "icmp", "tcp"], "{last}");
        }
    }
    // The text table says the same, exit 0.
    let o = Command::new("ip")
        .args(["netns", "exec", &n1.name, BIN, "mesh", "status"])
        .arg(format!("10.98.0.1:{PORT}"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("4 instances, 12 pairs, 0 failing, 0 not answering"),
        "{}",
        stdout(&o)
    );
    // /metrics as Prometheus' own checker reads it.
    let metrics = get(n1, "/metrics");
    assert!(metrics.contains("netshoot_mesh_probe_duration_seconds_bucket{"));
    assert!(
        metrics.contains("netshoot_mesh_path_mtu_bytes{"),
        "{metrics}"
    );
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool not found: install prometheus (scripts/setup)");
    use std::io::Write as _;
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let p = promtool.wait_with_output().unwrap();
    assert!(
        p.status.success(),
        "promtool check metrics: {}{}",
        stdout(&p),
        stderr(&p)
    );

    // DROP everything into the third: exactly its pairs fail, both ways, within two intervals
    // (and the time to notice: a probe's 0.5 s).
    l.nss[2].sh("iptables -A INPUT -j DROP");
    let want: BTreeSet<String> = ["1>3", "2>3", "4>3", "3>1", "3>2", "3>4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let m = until(
        n1,
        Duration::from_secs(6),
        "the third's pairs red",
        |c, m| c == 1 && failing(m) == want,
    );
    assert_eq!(m["unreachable"][0]["addr"], "10.98.0.3", "{m}");
    heatmap_shows(&get(n1, "/"), 12, 6);
    l.nss[2].sh("iptables -D INPUT -j DROP");
    until(n1, Duration::from_secs(6), "green again", |c, _| c == 0);

    // The fourth leaves: stopped, and no longer under the name.
    instances[3] = None;
    for ns in &l.nss[..3] {
        std::fs::write(format!("/etc/netns/{}/hosts", ns.name), hosts(3)).unwrap();
    }
    let m = until(n1, Duration::from_secs(8), "the fourth gone", |c, m| {
        c == 0 && m["instances"].as_array().unwrap().len() == 3
    });
    assert_eq!(m["matrix"].as_array().unwrap().len(), 6, "{m}");
    drop(instances);
}

#[test]
fn mesh_errors_are_one_line() {
    let o = NETSHOOT.run(&["mesh", "serve"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("mesh serve needs peers"),
        "{}",
        stderr(&o)
    );
    let o = NETSHOOT.run(&["mesh", "serve", "--peers", "127.0.0.1", "--interval", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--interval 0"), "{}", stderr(&o));
    // Nothing listens on this port of loopback: status cannot ask, exit 2, one line.
    let o = NETSHOOT.run(&["mesh", "status", "127.0.0.1:1", "--timeout", "2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("mesh status"), "{}", stderr(&o));
}

/// Removes the stack on drop.
struct Stack(String);

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = netshoot_testnet::run_raw(&["docker", "stack", "rm", &self.0]);
    }
}

#[test]
fn the_swarm_stack_file_runs_a_mesh_whose_dropped_task_turns_red() {
    netshoot_testnet::require_docker!();
    netshoot_testnet::docker::ensure_swarm();
    let image = netshoot_testnet::docker::test_image();
    let stack = Stack(unique("nstmesh"));
    let file = netshoot_testnet::workspace_root().join("deploy/swarm-mesh.yml");
    let o = Command::new("docker")
        .args(["stack", "deploy", "--detach=true", "-c"])
        .arg(&file)
        .arg(&stack.0)
        .env("NETSHOOT_IMAGE", image)
        .env("NETSHOOT_MESH_MODE", "replicated")
        .env("NETSHOOT_MESH_INTERVAL", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "docker stack deploy: {}", stderr(&o));
    let svc = format!("{}_mesh", stack.0);
    netshoot_testnet::run(&[
        "docker",
        "service",
        "scale",
        "--detach",
        &format!("{svc}=4"),
    ]);
    // mesh status from task 1's namespace, asking its own instance.
    let status = |slot: u64| -> (i32, Value) {
        let o = NETSHOOT.run(&[
            "-t",
            &format!("service:{svc}.{slot}"),
            "--json",
            "mesh",
            "status",
            "127.0.0.1",
            "--timeout",
            "5",
        ]);
        let code = o.status.code().unwrap_or(-1);
        let v = if code == 0 || code == 1 {
            json(&stdout(&o))
        } else {
            Value::Null
        };
        (code, v)
    };
    let until = |limit: Duration, what: &str, want: &dyn Fn(i32, &Value) -> bool| -> Value {
        let end = Instant::now() + limit;
        loop {
            let (code, m) = status(1);
            if want(code, &m) {
                return m;
            }
            assert!(Instant::now() < end, "{what}: not within {limit:?}: {m}");
            std::thread::sleep(Duration::from_millis(500));
        }
    };
    let pairs = |m: &Value| m["matrix"].as_array().map_or(0, |a| a.len());
    until(
        Duration::from_secs(90),
        "4 tasks, all pairs green",
        &|c, m| c == 0 && pairs(m) == 12,
    );
    // Task 3's overlay address, as the engine gave it.
    let t3 = netshoot_testnet::run(&[
        "docker",
        "service",
        "ps",
        "-q",
        "--no-trunc",
        "--filter",
        "desired-state=running",
        &svc,
    ]);
    let addr3 = t3
        .split_whitespace()
        .map(netshoot_testnet::docker::inspect)
        .find(|t| t["Slot"] == 3)
        .and_then(|t| {
            t["NetworksAttachments"][0]["Addresses"][0]
                .as_str()
                .map(|a| a.split('/').next().unwrap().to_string())
        })
        .expect("task 3's address");
    let drop_rule = |op: &str| {
        let o = NETSHOOT.run(&[
            "-t",
            &format!("service:{svc}.3"),
            "exec",
            "--",
            "iptables",
            op,
            "INPUT",
            "-j",
            "DROP",
        ]);
        assert!(o.status.success(), "iptables {op}: {}", stderr(&o));
    };
    drop_rule("-A");
    let m = until(Duration::from_secs(10), "task 3's pairs red", &|c, m| {
        c == 1
            && m["matrix"].as_array().is_some_and(|cells| {
                cells.iter().filter(|c| c["ok"] != true).count() == 6
                    && cells
                        .iter()
                        .filter(|c| c["ok"] != true)
                        .all(|c| c["from"] == addr3.as_str() || c["to"] == addr3.as_str())
            })
    });
    assert_eq!(m["unreachable"][0]["addr"], addr3.as_str());
    drop_rule("-D");
    until(Duration::from_secs(10), "green again", &|c, m| {
        c == 0 && pairs(m) == 12
    });
    netshoot_testnet::run(&[
        "docker",
        "service",
        "scale",
        "--detach",
        &format!("{svc}=3"),
    ]);
    until(Duration::from_secs(30), "the fourth task gone", &|c, m| {
        c == 0 && pairs(m) == 6
    });
}
