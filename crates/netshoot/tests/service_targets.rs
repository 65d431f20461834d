//! Swarm services and tasks as targets: `-t service:NAME[.SLOT]` and `-t task:ID` enter the
//! namespace of the task's container (compared with `docker inspect`'s pid and addresses),
//! `targets` groups tasks under their service, and the errors are one line with exit 2. Errors
//! that need several nodes, or a Swarm that is not active, are built with a fake engine on a
//! unix socket (DOCKER_HOST), so the shared one-node Swarm is never left.

use std::os::unix::fs::MetadataExt;
use std::process::Output;
use std::time::{Duration, Instant};

use netshoot_testnet::cli::{json, stderr, stdout, Netshoot};
use netshoot_testnet::docker::{
    ensure_swarm, inspect, require_docker, test_image, DockerNet, FakeEngine, Service,
};
use netshoot_testnet::run;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// One running task of the fixture's service, as `docker inspect` reports it.
#[derive(Debug, Clone)]
struct TaskFacts {
    id: String,
    slot: u64,
    pid: u32,
    ip: String,
}

/// An attachable overlay and a 2-replica service on it, both running.
struct Fixture {
    tasks: Vec<TaskFacts>,
    svc: Service,
    net: DockerNet,
}

fn fixture() -> Fixture {
    require_docker();
    ensure_swarm();
    let net = DockerNet::new("overlay", &["--attachable"]);
    let svc = Service::create(&[
        "--replicas",
        "2",
        "--network",
        &net.name,
        test_image(),
        "sleep",
        "infinity",
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let tasks = running_tasks(&svc.name, &net.name);
        if tasks.len() == 2 {
            return Fixture { tasks, svc, net };
        }
        assert!(
            Instant::now() < deadline,
            "the two tasks of {} never ran: {tasks:?}",
            svc.name
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The service's running tasks with a container, by slot.
fn running_tasks(svc: &str, net: &str) -> Vec<TaskFacts> {
    let ids = run(&[
        "docker",
        "service",
        "ps",
        "-q",
        "--no-trunc",
        "--filter",
        "desired-state=running",
        svc,
    ]);
    let mut out = Vec::new();
    for id in ids.split_whitespace() {
        let t = inspect(id);
        let cid = t["Status"]["ContainerStatus"]["ContainerID"]
            .as_str()
            .unwrap_or_default();
        if t["Status"]["State"] != "running" || cid.is_empty() {
            continue;
        }
        let c = inspect(cid);
        let pid = c["State"]["Pid"].as_u64().unwrap_or(0) as u32;
        let ip = c["NetworkSettings"]["Networks"][net]["IPAddress"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if pid == 0 || ip.is_empty() {
            continue;
        }
        out.push(TaskFacts {
            id: id.to_string(),
            slot: t["Slot"].as_u64().unwrap(),
            pid,
            ip,
        });
    }
    out.sort_by_key(|t| t.slot);
    out
}

fn inode_of_pid(pid: u32) -> u64 {
    std::fs::metadata(format!("/proc/{pid}/ns/net"))
        .unwrap()
        .ino()
}

/// The namespace inode `netshoot -t SPEC` enters, read from inside it.
fn entered_inode(spec: &str) -> u64 {
    let o = NETSHOOT.run(&["-t", spec, "exec", "--", "readlink", "/proc/self/ns/net"]);
    assert!(o.status.success(), "-t {spec}: {}", stderr(&o));
    let s = stdout(&o);
    s.trim()
        .trim_start_matches("net:[")
        .trim_end_matches(']')
        .parse()
        .unwrap_or_else(|_| panic!("-t {spec}: {s}"))
}

fn one_error_line(o: &Output, want: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "one line: {e}");
    assert!(e.contains(want), "{want:?} not in: {e}");
}

#[test]
fn service_and_task_targets_enter_the_task_containers() {
    require_docker!();
    let f = fixture();
    let svc = &f.svc.name;
    let (one, two) = (&f.tasks[0], &f.tasks[1]);
    assert_eq!((one.slot, two.slot), (1, 2));
    // service:NAME enters a running task here (the lowest slot): its overlay address is the one
    // docker inspect reports for that task's container.
    let o = NETSHOOT.run(&[
        "-t",
        &format!("service:{svc}"),
        "exec",
        "--",
        "ip",
        "-o",
        "addr",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("inet {}/", one.ip)),
        "slot 1's {} not in:\n{}",
        one.ip,
        stdout(&o)
    );
    assert!(!stdout(&o).contains(&format!("inet {}/", two.ip)));
    // service:NAME.SLOT enters that slot's container: the same namespace as its pid's.
    assert_eq!(
        entered_inode(&format!("service:{svc}.1")),
        inode_of_pid(one.pid)
    );
    assert_eq!(
        entered_inode(&format!("service:{svc}.2")),
        inode_of_pid(two.pid)
    );
    assert_ne!(inode_of_pid(one.pid), inode_of_pid(two.pid));
    // task:ID, whole and a prefix.
    assert_eq!(
        entered_inode(&format!("task:{}", two.id)),
        inode_of_pid(two.pid)
    );
    assert_eq!(
        entered_inode(&format!("task:{}", &one.id[..10])),
        inode_of_pid(one.pid)
    );
    // The slot form reaches netshoot's own commands too.
    let (code, v) = NETSHOOT.json(&["-t", &format!("service:{svc}.2"), "ip", "-j", "addr"]);
    assert_eq!(code, 0);
    assert!(v.to_string().contains(&two.ip), "{v}");
}

#[test]
fn service_target_errors_are_one_line() {
    require_docker!();
    let f = fixture();
    let svc = &f.svc.name;
    let o = NETSHOOT.run(&["-t", "service:nst-no-such-svc", "exec", "--", "true"]);
    one_error_line(&o, "no Swarm service 'nst-no-such-svc'");
    assert!(
        stderr(&o).contains(svc.as_str()),
        "services listed: {}",
        stderr(&o)
    );
    let o = NETSHOOT.run(&["-t", &format!("service:{svc}.9"), "exec", "--", "true"]);
    one_error_line(
        &o,
        &format!("service '{svc}' has no task in slot 9; its slots: 1, 2"),
    );
    let o = NETSHOOT.run(&["-t", "task:nstnotatask", "exec", "--", "true"]);
    one_error_line(&o, "no Swarm task 'nstnotatask'");
    let o = NETSHOOT.run(&["-t", &format!("service:{svc}.x"), "exec", "--", "true"]);
    one_error_line(&o, "a task slot (after the '.') is a positive whole number");
    // A service whose task cannot be placed: pending, no container anywhere.
    let stuck = Service::create(&[
        "--constraint",
        "node.hostname==nst-no-such-node",
        test_image(),
        "sleep",
        "infinity",
    ]);
    let o = NETSHOOT.run(&[
        "-t",
        &format!("service:{}", stuck.name),
        "exec",
        "--",
        "true",
    ]);
    one_error_line(
        &o,
        &format!("service '{}' has no running task (", stuck.name),
    );
    // --json: the same line as an error object of kind target.
    let (code, v) = NETSHOOT.json(&["--json", "-t", "service:nst-no-such-svc", "ip", "addr"]);
    assert_eq!(code, 2);
    assert_eq!(v["kind"], "target", "{v}");
}

#[test]
fn map_names_each_task_in_its_namespace_with_its_service_and_overlay() {
    require_docker!();
    let f = fixture();
    let svc = &f.svc.name;
    let out = NETSHOOT.run(&["map", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let g = json(&stdout(&out));
    let nss = g["namespaces"].as_array().unwrap();
    for t in &f.tasks {
        let want = format!("{svc}.{}", t.slot);
        // The namespace that holds the task is its container's (docker inspect's pid).
        let ns = nss
            .iter()
            .find(|n| n["tasks"].as_array().unwrap().iter().any(|x| *x == *want))
            .unwrap_or_else(|| panic!("task {want} not in the map"));
        assert_eq!(ns["inode"].as_u64(), Some(inode_of_pid(t.pid)), "{want}");
        assert!(ns["label"]
            .as_str()
            .unwrap()
            .starts_with(&format!("task {want}")));
        let addrs: Vec<&str> = ns["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["addresses"].as_array().unwrap())
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(
            addrs
                .iter()
                .any(|a| a.split('/').next() == Some(t.ip.as_str())),
            "{want}: {} not in {addrs:?}",
            t.ip
        );
    }
    // The service with its VIP and both tasks.
    let s = g["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == svc.as_str())
        .expect("the service in the map");
    assert_eq!(s["tasks"].as_array().unwrap().len(), 2);
    assert!(s["vips"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["network"] == f.net.name.as_str()));
    // The overlay's sandbox: a bridge with a vxlan port that has a VNI.
    let sandbox = nss
        .iter()
        .find(|n| {
            n["kind"] == "docker-network"
                && n["docker_networks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d == f.net.name.as_str())
                && n["interfaces"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["kind"] == "bridge")
        })
        .unwrap_or_else(|| panic!("no sandbox with a bridge for {}", f.net.name));
    let vx = sandbox["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "vxlan")
        .expect("the overlay's vxlan device");
    assert!(vx["vni"].as_u64().is_some_and(|v| v > 0), "{vx}");
    assert!(
        vx["master"].is_string(),
        "vxlan is a port of the bridge: {vx}"
    );
}

#[test]
fn targets_groups_tasks_under_their_service() {
    require_docker!();
    let f = fixture();
    let svc = &f.svc.name;
    let v = json(&stdout(&NETSHOOT.run(&["targets", "--json"])));
    // The existing fields are still there.
    assert!(v["namespaces"].as_array().is_some_and(|n| !n.is_empty()));
    let s = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == svc.as_str())
        .unwrap_or_else(|| panic!("{svc} not in services: {}", v["services"]));
    let si = inspect(svc);
    assert_eq!(s["mode"], "replicated");
    assert_eq!(s["replicas"], 2);
    assert_eq!(s["endpoint_mode"], "vip");
    let vip = si["Endpoint"]["VirtualIPs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["NetworkID"] == f.net.id.as_str())
        .expect("a VIP on the overlay")["Addr"]
        .clone();
    assert!(
        s["vips"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["addr"] == vip && x["network"] == f.net.name.as_str()),
        "{vip} not in {}",
        s["vips"]
    );
    let tasks = s["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    for facts in &f.tasks {
        let t = tasks
            .iter()
            .find(|t| t["id"] == facts.id.as_str())
            .unwrap_or_else(|| panic!("task {} not listed: {tasks:?}", facts.id));
        assert_eq!(t["slot"], facts.slot);
        assert_eq!(t["name"], format!("{svc}.{}", facts.slot));
        assert_eq!(t["state"], "running");
        assert_eq!(t["local"], true);
        assert_eq!(t["target"], format!("service:{svc}.{}", facts.slot));
        assert!(t["addresses"].to_string().contains(&facts.ip), "{t}");
        assert_eq!(
            s["task_namespaces"][facts.id.as_str()],
            inode_of_pid(facts.pid),
            "{s}"
        );
    }
    // Text: the service line with its endpoint mode and VIP, then a line per task.
    let text = stdout(&NETSHOOT.run(&["targets", "--no-interfaces"]));
    let head = text
        .lines()
        .find(|l| l.starts_with(&format!("service:{svc} ")))
        .unwrap_or_else(|| panic!("no service line in:\n{text}"));
    let vip = vip.as_str().unwrap();
    assert!(
        head.contains("endpoint mode vip") && head.contains(vip),
        "{head}"
    );
    for facts in &f.tasks {
        assert!(
            text.contains(&format!("  task {svc}.{} ", facts.slot)),
            "{text}"
        );
    }
}

/// `netshoot -t SPEC exec -- true` against a fake engine.
fn run_on(e: &FakeEngine, spec: &str) -> Output {
    NETSHOOT.run_env(
        &["-t", spec, "exec", "--", "true"],
        &[("DOCKER_HOST", &e.host()), ("NETSHOOT_DOCKER_TIMEOUT", "5")],
    )
}

fn info(state: &str, manager: bool) -> (&'static str, u16, String) {
    (
        "/info",
        200,
        format!(
            r#"{{"Swarm":{{"LocalNodeState":"{state}","NodeID":"n1","ControlAvailable":{manager}}}}}"#
        ),
    )
}

#[test]
fn an_inactive_swarm_is_said_so() {
    // No Docker needed: a fake engine answers /info.
    let e = FakeEngine::start(vec![info("inactive", false)]);
    for spec in ["service:web", "task:abc"] {
        let o = run_on(&e, spec);
        one_error_line(&o, "not in one (Swarm state: inactive)");
        assert!(stderr(&o).contains("docker swarm init"), "{}", stderr(&o));
    }
}

/// A worker lists no services or tasks: `service:`/`task:` find the task's container among the
/// engine's own by Swarm's labels, and enter its namespace (here a real namespace: the engine's
/// containers are processes this test starts in its own netns, as a worker's engine would
/// report its task containers).
#[test]
fn on_a_worker_node_service_and_task_targets_use_the_local_task_containers() {
    netshoot_testnet::require_root!();
    let (ns1, ns2) = (
        netshoot_testnet::Netns::new("wk1"),
        netshoot_testnet::Netns::new("wk2"),
    );
    let mut sleepers: Vec<std::process::Child> = [&ns1, &ns2]
        .iter()
        .map(|n| {
            std::process::Command::new("ip")
                .args(["netns", "exec", &n.name, "sleep", "60"])
                .spawn()
                .unwrap()
        })
        .collect();
    let pids: Vec<u32> = sleepers.iter().map(|c| c.id()).collect();
    // `ip netns exec` joins the namespace, then execs sleep: wait until each pid is inside.
    for (pid, ns) in pids.iter().zip([&ns1, &ns2]) {
        let want = std::fs::metadata(format!("/run/netns/{}", ns.name))
            .unwrap()
            .ino();
        let until = Instant::now() + Duration::from_secs(5);
        while inode_of_pid(*pid) != want {
            assert!(Instant::now() < until, "pid {pid} never joined {}", ns.name);
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    // web.1 (task aaa1…) in wk1, web.3 (task bbb3…) in wk2; no tasks of "api" here.
    let ctr = |id: &str, task: &str, slot: u64| {
        format!(
            r#"{{"Id":"{id}","Names":["/web.{slot}.{task}"],"State":"running","Labels":{{"com.docker.swarm.service.name":"web","com.docker.swarm.task.id":"{task}","com.docker.swarm.task.name":"web.{slot}.{task}"}}}}"#
        )
    };
    let inspect = |id: &str, task: &str, slot: u64, pid: u32| {
        format!(
            r#"{{"Id":"{id}","Name":"/web.{slot}.{task}","State":{{"Status":"running","Running":true,"Pid":{pid}}}}}"#
        )
    };
    let e = FakeEngine::start(vec![
        info("active", false),
        (
            "/containers/json",
            200,
            format!(
                "[{},{},{}]",
                ctr("c1aaaaaaaaaa", "aaa1xxxxxxxxxxxxxxxxxxxxx", 1),
                ctr("c3bbbbbbbbbb", "bbb3xxxxxxxxxxxxxxxxxxxxx", 3),
                r#"{"Id":"c9","Names":["/plain"],"State":"running","Labels":{}}"#
            ),
        ),
        (
            "/containers/c1aaaaaaaaaa/json",
            200,
            inspect("c1aaaaaaaaaa", "aaa1xxxxxxxxxxxxxxxxxxxxx", 1, pids[0]),
        ),
        (
            "/containers/c3bbbbbbbbbb/json",
            200,
            inspect("c3bbbbbbbbbb", "bbb3xxxxxxxxxxxxxxxxxxxxx", 3, pids[1]),
        ),
    ]);
    let entered = |spec: &str| {
        let host = e.host();
        let o = NETSHOOT.run_env(
            &["-t", spec, "exec", "--", "readlink", "/proc/self/ns/net"],
            &[("DOCKER_HOST", &host), ("NETSHOOT_DOCKER_TIMEOUT", "5")],
        );
        assert!(o.status.success(), "-t {spec}: {}", stderr(&o));
        stdout(&o).trim().to_string()
    };
    let ino = |n: &netshoot_testnet::Netns| {
        let m = std::fs::metadata(format!("/run/netns/{}", n.name)).unwrap();
        format!("net:[{}]", m.ino())
    };
    assert_eq!(entered("service:web"), ino(&ns1), "the lowest slot here");
    assert_eq!(entered("service:web.3"), ino(&ns2));
    assert_eq!(entered("task:bbb3"), ino(&ns2));
    assert_eq!(entered("task:aaa1xxxxxxxxxxxxxxxxxxxxx"), ino(&ns1));
    one_error_line(
        &run_on(&e, "service:web.2"),
        "no running task web.2 on this worker node",
    );
    let o = run_on(&e, "service:api");
    one_error_line(&o, "no running task of service 'api' on this worker node");
    assert!(
        stderr(&o).contains("web"),
        "names the services here: {}",
        stderr(&o)
    );
    one_error_line(
        &run_on(&e, "task:zzz"),
        "no running task 'zzz' on this worker node",
    );
    for c in &mut sleepers {
        let _ = c.kill();
        let _ = c.wait();
    }
}

#[test]
fn tasks_elsewhere_global_slots_and_ambiguous_prefixes_are_named() {
    // A manager (n1, node-a) whose service's tasks all run on node-b.
    let task = |id: &str, svc: &str, slot: u64, node: &str, state: &str| {
        format!(
            r#"{{"ID":"{id}","ServiceID":"{svc}","NodeID":"{node}","Slot":{slot},"DesiredState":"running","Status":{{"State":"{state}","Message":"x","ContainerStatus":{{"ContainerID":"c{id}"}}}}}}"#
        )
    };
    let web_tasks = format!(
        "[{},{}]",
        task("ab1xxxxxxxxxxxxxxxxxxxxxx", "s1", 1, "n2", "running"),
        task("ab2xxxxxxxxxxxxxxxxxxxxxx", "s1", 2, "n2", "running")
    );
    let pending = format!(
        "[{}]",
        task("cd1xxxxxxxxxxxxxxxxxxxxxx", "s3", 1, "", "pending")
    );
    let e = FakeEngine::start(vec![
        info("active", true),
        (
            "/nodes",
            200,
            r#"[{"ID":"n1","Description":{"Hostname":"node-a"}},{"ID":"n2","Description":{"Hostname":"node-b"}}]"#.into(),
        ),
        (
            "/services/web",
            200,
            r#"{"ID":"s1","Spec":{"Name":"web","Mode":{"Replicated":{"Replicas":2}}}}"#.into(),
        ),
        ("/services/s1", 200, r#"{"ID":"s1","Spec":{"Name":"web"}}"#.into()),
        (
            "/services/glob",
            200,
            r#"{"ID":"s2","Spec":{"Name":"glob","Mode":{"Global":{}}}}"#.into(),
        ),
        (
            "/services/stuck",
            200,
            r#"{"ID":"s3","Spec":{"Name":"stuck","Mode":{"Replicated":{"Replicas":1}}}}"#.into(),
        ),
        (
            "/services/",
            404,
            r#"{"message":"service not found"}"#.into(),
        ),
        (
            "/services",
            200,
            r#"[{"ID":"s1","Spec":{"Name":"web"}},{"ID":"s2","Spec":{"Name":"glob"}}]"#.into(),
        ),
        ("/tasks?*%22s1%22", 200, web_tasks.clone()),
        ("/tasks?*%22s3%22", 200, pending),
        ("/tasks?*%22id%22", 200, web_tasks),
        ("/tasks?", 200, "[]".into()),
    ]);
    one_error_line(
        &run_on(&e, "service:web"),
        "service 'web' has no running task on this node (node-a); its tasks run on node-b",
    );
    one_error_line(
        &run_on(&e, "service:web.2"),
        "task web.2 runs on node node-b, not on this node (node-a)",
    );
    one_error_line(
        &run_on(&e, "task:ab"),
        "task id prefix 'ab' is ambiguous: it matches ab1xxxxxxxxx (web.1), ab2xxxxxxxxx (web.2)",
    );
    one_error_line(
        &run_on(&e, "task:ab2"),
        "task ab2xxxxxxxxx (web.2) runs on node node-b, not on this node (node-a)",
    );
    one_error_line(&run_on(&e, "service:glob.1"), "service 'glob' is global");
    one_error_line(
        &run_on(&e, "service:stuck"),
        "service 'stuck' has no running task (tasks: 1 pending)",
    );
    let o = run_on(&e, "service:nope");
    one_error_line(&o, "no Swarm service 'nope'; services: glob, web");
}
