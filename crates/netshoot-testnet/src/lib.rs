//! Dev-only test topologies: namespaces, veth pairs, bridges and Docker fixtures with unique
//! names, torn down on drop (and so on panic).

pub mod browser;
pub mod cli;
pub mod docker;
pub mod fixtures;
pub mod fuzz;
pub mod kube;
mod record;

pub use record::{doctor_record_args, RECORD_ENV};

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Every name this crate makes starts with this, so stale leftovers can be found and removed.
pub const PREFIX: &str = "nst";

/// A unique name of at most 15 characters: `nst` + `tag` (≤ 3 chars) + pid + counter, in hex.
pub fn unique(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let tag: String = tag.chars().take(3).collect();
    let s = format!("{PREFIX}{tag}{:x}{n:x}", std::process::id() & 0xfffff);
    assert!(s.len() <= 15, "name too long for an interface: {s}");
    s
}

/// True when running as root (namespace and Docker tiers need it).
pub fn is_root() -> bool {
    nix_uid() == 0
}

fn nix_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(u32::MAX)
}

/// Ends the calling test early, printing `skipped: needs root (…)` on stderr (past the test
/// harness's capture, so it shows), unless running as root. Put it first in a test that builds
/// namespaces; the helpers it calls may still use [`require_root()`] as their own guard.
#[macro_export]
macro_rules! require_root {
    () => {
        if let Some(why) = $crate::missing_root() {
            $crate::say_skipped(&why);
            return;
        }
    };
}

/// Why root-only work cannot run here, if it cannot.
pub fn missing_root() -> Option<String> {
    (!is_root())
        .then(|| "needs root (it builds network namespaces; run scripts/test as root)".to_string())
}

/// Prints `TEST: skipped: WHY` on stderr in one write, past the test harness's output capture
/// (the harness names each test's thread after the test).
pub fn say_skipped(why: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("test").to_string();
    let _ = std::io::stderr().write_all(format!("{test}: skipped: {why}\n").as_bytes());
}

/// Fails the test with a clear message unless running as root.
pub fn require_root() {
    assert!(
        is_root(),
        "this test builds namespaces and needs root: run scripts/test as root"
    );
}

/// A number from `/proc/PID/status`: `VmHWM`, `VmRSS`, … in KiB, or a `Cap…` set (hex).
/// `None` once the process is gone.
pub fn proc_status(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let v = s
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?;
    if field.starts_with("Cap") {
        u64::from_str_radix(v, 16).ok()
    } else {
        v.parse().ok()
    }
}

/// Waits for `child` at most `limit`, polling every 10 ms; past it, kills and reaps it and
/// returns `None`, so a hang fails the test instead of stalling the suite.
pub fn wait_bounded(
    child: &mut std::process::Child,
    limit: std::time::Duration,
) -> Option<std::process::ExitStatus> {
    let until = std::time::Instant::now() + limit;
    loop {
        if let Some(st) = child.try_wait().expect("wait for a child") {
            return Some(st);
        }
        if std::time::Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// What [`output_bounded`] saw: the output, how long the child ran, whether it ended by itself.
#[derive(Debug)]
pub struct Bounded {
    /// Status (a kill's status when it did not end), stdout and stderr.
    pub output: Output,
    /// From the call to the child's end (or its kill).
    pub took: std::time::Duration,
    /// False when it was still running at the limit and was killed.
    pub ended: bool,
}

/// Collects `child`'s piped stdout and stderr (on threads, so a talkative child never blocks
/// on a full pipe) while waiting for it at most `limit` ([`wait_bounded`]). A grandchild that
/// keeps the pipes open keeps the readers waiting: give it its own bound.
pub fn output_bounded(mut child: std::process::Child, limit: std::time::Duration) -> Bounded {
    use std::io::Read;
    let start = std::time::Instant::now();
    let drain = |p: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut p) = p {
                let _ = p.read_to_end(&mut v);
            }
            v
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let ended = wait_bounded(&mut child, limit);
    let took = start.elapsed();
    // Reaped already: `wait` gives the status kept from that.
    let status = child.wait().expect("reap a child");
    Bounded {
        output: Output {
            status,
            stdout: out.join().expect("stdout reader"),
            stderr: err.join().expect("stderr reader"),
        },
        took,
        ended: ended.is_some(),
    }
}

/// Runs a program, returning its output; panics with its stderr when it fails.
pub fn run(argv: &[&str]) -> String {
    let out = run_raw(argv);
    assert!(
        out.status.success(),
        "`{}` failed ({}): {}",
        argv.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a program and returns its output whatever its status.
pub fn run_raw(argv: &[&str]) -> Output {
    Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e} (scripts/setup installs it)", argv[0]))
}

/// Runs `sh -c CMD`; panics on failure.
pub fn sh(cmd: &str) -> String {
    run(&["sh", "-c", cmd])
}

/// A network namespace made with `ip netns add`, deleted on drop.
#[derive(Debug)]
pub struct Netns {
    /// Its `ip netns` name.
    pub name: String,
}

impl Netns {
    /// Creates a namespace with a unique name and brings its loopback up.
    pub fn new(tag: &str) -> Self {
        let name = unique(tag);
        run(&["ip", "netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// Its bind-mount path.
    pub fn path(&self) -> String {
        format!("/var/run/netns/{}", self.name)
    }

    /// `ip -n NAME ARGS…`; panics on failure.
    pub fn ip(&self, args: &[&str]) -> String {
        let mut v = vec!["ip", "-n", &self.name];
        v.extend_from_slice(args);
        run(&v)
    }

    /// Runs a program inside the namespace (`ip netns exec`); panics on failure.
    pub fn exec(&self, argv: &[&str]) -> String {
        let mut v = vec!["ip", "netns", "exec", &self.name];
        v.extend_from_slice(argv);
        run(&v)
    }

    /// Runs `sh -c CMD` inside the namespace; panics on failure.
    pub fn sh(&self, cmd: &str) -> String {
        self.exec(&["sh", "-c", cmd])
    }

    /// Runs a program inside the namespace and returns its output whatever its status.
    pub fn output(&self, argv: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(argv)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {argv:?} in {}: {e}", self.name))
    }

    /// Waits up to 5 s until a socket listens on `port` (TCP, or UDP when `udp`), as `ss` sees
    /// it inside the namespace; panics when none does.
    pub fn wait_listen(&self, port: u16, udp: bool) {
        let filter = format!("sport = :{port}");
        for _ in 0..100 {
            let o = self.output(&["ss", if udp { "-Huln" } else { "-Htln" }, &filter]);
            if !String::from_utf8_lossy(&o.stdout).trim().is_empty() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("nothing listens on {port} in {}", self.name);
    }

    /// Starts a TCP listener (socat) that discards what it receives on each port; they are
    /// killed when the guards drop.
    pub fn tcp_sinks(&self, ports: &[&str]) -> Vec<Child> {
        ports
            .iter()
            .map(|p| {
                self.spawn(&[
                    "socat",
                    &format!("TCP-LISTEN:{p},fork,reuseaddr"),
                    "OPEN:/dev/null",
                ])
            })
            .collect()
    }

    /// Runs a program inside the namespace without CAP_NET_RAW (dropped from the bounding and
    /// inheritable sets by `setpriv`), and returns its output whatever its status.
    pub fn output_without_net_raw(&self, argv: &[&str]) -> Output {
        let mut v = vec![
            "setpriv",
            "--bounding-set",
            "-net_raw",
            "--inh-caps",
            "-net_raw",
            "--",
        ];
        v.extend_from_slice(argv);
        self.output(&v)
    }

    /// Starts dnsmasq inside the namespace, answering on `listen` from its `records`
    /// (`--host-record=…`, `--local=…`) only: no upstream, no hosts file, no resolv.conf.
    /// It is killed when the guard drops.
    pub fn dnsmasq(&self, listen: &str, records: &[&str]) -> Child {
        let listen = format!("--listen-address={listen}");
        let mut v = vec![
            "dnsmasq",
            "-k",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--pid-file=",
            "--bind-interfaces",
            &listen,
            "--user=root",
        ];
        v.extend_from_slice(records);
        self.spawn(&v)
    }

    /// Starts a long-running program inside the namespace; it is killed when the guard drops.
    pub fn spawn(&self, argv: &[&str]) -> Child {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(argv)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {argv:?}: {e}"));
        Child(child)
    }
}

impl Netns {
    /// Gives the namespace its own resolv.conf (`/etc/netns/NAME/resolv.conf`, as `ip netns
    /// exec` and netshoot read it), so nothing in a test ever asks the host's resolver.
    pub fn resolv_conf(&self, text: &str) {
        let dir = format!("/etc/netns/{}", self.name);
        std::fs::create_dir_all(&dir).expect("create /etc/netns/NAME");
        std::fs::write(format!("{dir}/resolv.conf"), text).expect("write resolv.conf");
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.name));
        // Kill what still runs inside, then remove the name (the namespace goes with its last user).
        let _ = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
            .map(|o| {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).output();
                }
            });
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// A background process and everything it started (its process group), killed on drop.
#[derive(Debug)]
pub struct Group(pub std::process::Child);

impl Group {
    /// Starts `cmd` in a process group of its own with stdout/stderr discarded.
    pub fn spawn(mut cmd: Command) -> Group {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        Group(
            cmd.spawn()
                .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}")),
        )
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-9", "--", &format!("-{}", self.0.id())])
            .output();
        let _ = self.0.wait();
    }
}

/// A background process killed on drop.
#[derive(Debug)]
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Creates a veth pair `a`/`b` with unique names and moves each end into the given namespace
/// (`None` keeps it in the host's), sets addresses (CIDR) when given and brings both up.
/// Returns the two interface names. The pair disappears with its namespaces; a host end is
/// removed by the `Link` guard returned with it.
pub fn veth_pair(
    a: (Option<&Netns>, Option<&str>),
    b: (Option<&Netns>, Option<&str>),
) -> (String, String, Link) {
    let an = unique("va");
    let bn = unique("vb");
    run(&[
        "ip", "link", "add", &an, "type", "veth", "peer", "name", &bn,
    ]);
    let guard = Link { name: an.clone() };
    for (name, (ns, addr)) in [(&an, a), (&bn, b)] {
        match ns {
            Some(ns) => {
                run(&["ip", "link", "set", name, "netns", &ns.name]);
                if let Some(addr) = addr {
                    ns.ip(&["addr", "add", addr, "dev", name]);
                }
                ns.ip(&["link", "set", name, "up"]);
            }
            None => {
                if let Some(addr) = addr {
                    run(&["ip", "addr", "add", addr, "dev", name]);
                }
                run(&["ip", "link", "set", name, "up"]);
            }
        }
    }
    (an, bn, guard)
}

/// Two namespaces `tag_a`/`tag_b` joined by a veth pair with the addresses (CIDR) given:
/// (a, b, a's interface, b's interface, the pair's guard).
pub fn netns_pair(
    (tag_a, addr_a): (&str, &str),
    (tag_b, addr_b): (&str, &str),
) -> (Netns, Netns, String, String, Link) {
    let a = Netns::new(tag_a);
    let b = Netns::new(tag_b);
    let (ia, ib, l) = veth_pair((Some(&a), Some(addr_a)), (Some(&b), Some(addr_b)));
    (a, b, ia, ib, l)
}

/// Joins two namespaces with a veth pair (unique names), giving each end an address (CIDR) and
/// bringing both up. The pair goes with its namespaces.
pub fn wire(a: &Netns, a_addr: &str, b: &Netns, b_addr: &str) {
    let (x, y) = (unique("wa"), unique("wb"));
    run(&["ip", "link", "add", &x, "type", "veth", "peer", "name", &y]);
    run(&["ip", "link", "set", &x, "netns", &a.name]);
    run(&["ip", "link", "set", &y, "netns", &b.name]);
    a.ip(&["addr", "add", a_addr, "dev", &x]);
    b.ip(&["addr", "add", b_addr, "dev", &y]);
    a.ip(&["link", "set", &x, "up"]);
    b.ip(&["link", "set", &y, "up"]);
}

/// A host link deleted on drop (a veth end, a bridge).
#[derive(Debug)]
pub struct Link {
    /// Its name in the host namespace.
    pub name: String,
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.name])
            .output();
    }
}

/// A Linux bridge in the host namespace with the FORWARD accept rule a hand-made bridge needs
/// while dockerd sets the FORWARD policy to DROP. Both are removed on drop.
#[derive(Debug)]
pub struct Bridge {
    /// The bridge's name.
    pub name: String,
    rule: bool,
}

impl Bridge {
    /// Creates and brings up a bridge; `accept_forward` adds the FORWARD accept rule.
    pub fn new(accept_forward: bool) -> Self {
        let name = unique("br");
        run(&["ip", "link", "add", &name, "type", "bridge"]);
        run(&["ip", "link", "set", &name, "up"]);
        if accept_forward {
            run(&[
                "iptables", "-I", "FORWARD", "-i", &name, "-o", &name, "-j", "ACCEPT",
            ]);
        }
        Bridge {
            name,
            rule: accept_forward,
        }
    }

    /// Connects a namespace to the bridge with a fresh veth pair, giving the namespace end
    /// `addr` (CIDR) and the name `ifname` inside. Returns the host-side port name.
    pub fn attach(&self, ns: &Netns, ifname: &str, addr: Option<&str>) -> String {
        let host = unique("vh");
        let peer = unique("vp");
        run(&[
            "ip", "link", "add", &host, "type", "veth", "peer", "name", &peer,
        ]);
        run(&["ip", "link", "set", &peer, "netns", &ns.name]);
        ns.ip(&["link", "set", &peer, "name", ifname]);
        if let Some(a) = addr {
            ns.ip(&["addr", "add", a, "dev", ifname]);
        }
        ns.ip(&["link", "set", ifname, "up"]);
        run(&["ip", "link", "set", &host, "master", &self.name]);
        run(&["ip", "link", "set", &host, "up"]);
        host
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if self.rule {
            let _ = Command::new("iptables")
                .args([
                    "-D", "FORWARD", "-i", &self.name, "-o", &self.name, "-j", "ACCEPT",
                ])
                .output();
        }
        let _ = Command::new("ip")
            .args(["link", "del", &self.name])
            .output();
    }
}

/// The workspace root (where `scripts/` lives).
pub fn workspace_root() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|p| p.join("scripts").is_dir() && p.join("Cargo.toml").is_file())
        .expect("workspace root with scripts/")
        .to_path_buf()
}

/// A temporary directory holding a link to the netshoot binary `bin` for every classic name
/// (made by `netshoot install-links`, so that command is exercised too), removed on drop.
pub struct Links(pub std::path::PathBuf);

impl Links {
    /// `bin install-links TMPDIR`.
    pub fn new(bin: &str) -> Links {
        let dir = std::env::temp_dir().join(unique("links"));
        let o = Command::new(bin)
            .args(["install-links", dir.to_str().expect("utf-8 temp dir")])
            .output()
            .expect("run netshoot install-links");
        assert!(o.status.success(), "netshoot install-links: {o:?}");
        Links(dir)
    }

    /// The link named `name`.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
