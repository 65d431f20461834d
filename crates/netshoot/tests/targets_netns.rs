//! Namespace tier (root): entering `netns:`, `pid:` and path targets, `targets` listing, `exec`
//! status passing, and the error messages for bad targets and missing privileges.

use std::process::Command;

use netshoot_testnet::cli::{json, stderr, stdout, Netshoot};
use netshoot_testnet::{netns_pair, require_root, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// Two namespaces joined by a veth pair with addresses.
fn pair() -> (Netns, Netns, String, String) {
    let (a, b, ia, ib, _g) = netns_pair(("a", "10.77.0.1/24"), ("b", "10.77.0.2/24"));
    (a, b, ia, ib)
}

/// `exec -- ip -j addr` inside the target must equal `ip -n NAME -j addr`.
fn assert_same_addrs(spec: &str, ns: &Netns) {
    let ours = NETSHOOT.run(&["-t", spec, "exec", "--", "ip", "-j", "addr"]);
    assert!(ours.status.success(), "{spec}: {}", stderr(&ours));
    let peer = ns.ip(&["-j", "addr"]);
    assert_eq!(json(&stdout(&ours)), json(&peer), "target {spec}");
}

#[test]
fn netns_target_enters_the_named_namespace() {
    require_root!();
    let (a, _b, _, _) = pair();
    assert_same_addrs(&format!("netns:{}", a.name), &a);
}

#[test]
fn path_targets_enter_the_namespace_file() {
    require_root!();
    let (a, b, _, _) = pair();
    assert_same_addrs(&a.path(), &a);
    let child = b.spawn(&["sleep", "60"]);
    let pid = child.0.id();
    wait_in_ns(pid, &b);
    assert_same_addrs(&format!("/proc/{pid}/ns/net"), &b);
}

#[test]
fn pid_target_enters_the_process_namespace() {
    require_root!();
    let (_a, b, _, _) = pair();
    let child = b.spawn(&["sleep", "60"]);
    let pid = child.0.id();
    wait_in_ns(pid, &b);
    assert_same_addrs(&format!("pid:{pid}"), &b);
}

/// `ip netns exec` execs in place; wait until the process has moved.
fn wait_in_ns(pid: u32, ns: &Netns) {
    let want = std::fs::metadata(ns.path()).map(|m| std::os::unix::fs::MetadataExt::ino(&m));
    for _ in 0..100 {
        let got = std::fs::metadata(format!("/proc/{pid}/ns/net"))
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m));
        if got.is_ok() && got.as_ref().ok() == want.as_ref().ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("process {pid} never entered {}", ns.name);
}

#[test]
fn targets_lists_test_namespaces_with_interfaces_and_addresses() {
    require_root!();
    let (a, b, ia, ib) = pair();
    let out = NETSHOOT.run(&["targets", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&stdout(&out));
    let nss = v["namespaces"].as_array().expect("namespaces");
    for (ns, ifname, addr) in [(&a, &ia, "10.77.0.1"), (&b, &ib, "10.77.0.2")] {
        let entry = nss
            .iter()
            .find(|n| {
                n["netns_names"]
                    .as_array()
                    .is_some_and(|v| v.iter().any(|x| x == ns.name.as_str()))
            })
            .unwrap_or_else(|| panic!("{} not listed", ns.name));
        assert_eq!(entry["kind"], "netns");
        assert_eq!(entry["target"], format!("netns:{}", ns.name));
        let ifs = entry["interfaces"].as_array().expect("interfaces");
        let i = ifs
            .iter()
            .find(|i| i["name"] == ifname.as_str())
            .unwrap_or_else(|| panic!("{ifname} missing in {}", ns.name));
        assert_eq!(i["kind"], "veth");
        assert!(i["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["address"] == addr && x["prefix_len"] == 24));
        // The same facts as `ip -j addr` in that namespace.
        let peer = json(&ns.ip(&["-j", "addr", "show", "dev", ifname]));
        assert_eq!(i["index"], peer[0]["ifindex"]);
        assert_eq!(i["mtu"], peer[0]["mtu"]);
        assert_eq!(i["mac"], peer[0]["address"]);
    }
    // Deduplicated by inode: every inode once.
    let mut inodes: Vec<u64> = nss.iter().map(|n| n["inode"].as_u64().unwrap()).collect();
    let n = inodes.len();
    inodes.sort_unstable();
    inodes.dedup();
    assert_eq!(inodes.len(), n, "a namespace is listed twice");
    // Text output names it too.
    let text = stdout(&NETSHOOT.run(&["targets"]));
    assert!(text.contains(&format!("netns:{}", a.name)), "{text}");
    assert!(text.contains("10.77.0.1/24"), "{text}");
}

#[test]
fn exec_passes_the_exit_status_and_sets_the_target_variable() {
    require_root!();
    let a = Netns::new("x");
    let spec = format!("netns:{}", a.name);
    let o = NETSHOOT.run(&["-t", &spec, "exec", "--", "sh", "-c", "exit 7"]);
    assert_eq!(o.status.code(), Some(7));
    let o = NETSHOOT.run(&[
        "-t",
        &spec,
        "exec",
        "--",
        "sh",
        "-c",
        "echo $NETSHOOT_TARGET",
    ]);
    assert_eq!(stdout(&o).trim(), spec);
    let o = NETSHOOT.run(&["-t", &spec, "exec", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(o.status.code(), Some(128 + 15));
    let o = NETSHOOT.run(&["-t", &spec, "exec", "--", "no-such-program-xyz"]);
    assert_eq!(o.status.code(), Some(127));
    assert!(
        stderr(&o).contains("cannot run 'no-such-program-xyz'"),
        "{}",
        stderr(&o)
    );
    // Without a program: the shell, which reads commands from stdin here.
    let mut child = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &spec, "exec"])
        .env("SHELL", "/bin/sh")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"readlink /proc/self/ns/net; exit 3\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(3));
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(a.path()).unwrap());
    assert_eq!(stdout(&o).trim(), format!("net:[{ino}]"));
}

/// Runs `netshoot ARGS`, expects exit 2 and one stderr line containing every `needle`.
fn assert_error(args: &[&str], needles: &[&str]) {
    let o = NETSHOOT.run(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    let e = stderr(&o);
    assert_eq!(e.trim_end().lines().count(), 1, "one line: {e}");
    for n in needles {
        assert!(e.contains(n), "{args:?}: expected {n:?} in {e}");
    }
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn bad_targets_get_one_line_errors() {
    require_root!();
    assert_error(
        &["-t", "pid:abc", "exec", "--", "true"],
        &["accepted forms", "pid:N", "netns:NAME"],
    );
    assert_error(
        &["-t", "bogus:1", "exec", "--", "true"],
        &["unknown kind 'bogus'", "accepted forms"],
    );
    assert_error(&["-t", "", "exec", "--", "true"], &["accepted forms"]);
    let a = Netns::new("e");
    assert_error(
        &["-t", "netns:nst-no-such", "exec", "--", "true"],
        &["no network namespace 'nst-no-such'", &a.name],
    );
    assert_error(
        &["-t", "pid:4000000", "exec", "--", "true"],
        &["no process 4000000"],
    );
    assert_error(
        &["-t", "/nonexistent/ns", "exec", "--", "true"],
        &["/nonexistent/ns: no such file"],
    );
    assert_error(
        &["-t", "/etc/hostname", "exec", "--", "true"],
        &["not a namespace file"],
    );
}

#[test]
fn missing_privileges_name_the_capability_and_the_docker_flags() {
    require_root!();
    let a = Netns::new("p");
    let spec = format!("netns:{}", a.name);
    // No CAP_SYS_ADMIN: setns fails.
    let o = Command::new("setpriv")
        .args(["--inh-caps=-sys_admin", "--bounding-set=-sys_admin", "--"])
        .arg(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &spec, "exec", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("CAP_SYS_ADMIN") && e.contains("--cap-add SYS_ADMIN"),
        "{e}"
    );
    // Not root: another user's process namespace cannot even be opened.
    let child = a.spawn(&["sleep", "60"]);
    let pid = child.0.id();
    let o = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_netshoot"))
        .args(["-t", &format!("pid:{pid}"), "exec", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("CAP_SYS_PTRACE") && e.contains("--pid host"),
        "{e}"
    );
}

#[test]
fn sleep_ends_on_sigterm_and_after_its_duration() {
    let o = NETSHOOT.run(&["sleep", "1"]);
    assert!(o.status.success());
    let child = Command::new(env!("CARGO_BIN_EXE_netshoot"))
        .args(["sleep", "infinity"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let o = NETSHOOT.run(&["sleep", "soon"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn completions_and_man_page_are_generated() {
    let o = NETSHOOT.run(&["completions", "bash"]);
    assert!(o.status.success());
    assert!(
        stdout(&o).contains("_netshoot()"),
        "bash completion function"
    );
    let o = NETSHOOT.run(&["man"]);
    assert!(
        stdout(&o).starts_with(".ie") || stdout(&o).contains(".TH netshoot"),
        "roff"
    );
    let o = NETSHOOT.run(&["completions", "tcsh-nope"]);
    assert_eq!(o.status.code(), Some(2));
    // Every command has examples in its help.
    for cmd in ["targets", "exec", "sleep", "completions", "man"] {
        let o = NETSHOOT.run(&[cmd, "--help"]);
        assert!(
            stdout(&o).contains("Examples:"),
            "{cmd} --help lacks examples"
        );
    }
}
