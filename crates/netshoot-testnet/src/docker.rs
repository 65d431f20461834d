//! Docker fixtures: the test image, networks and containers with unique names, removed on drop.

use std::sync::OnceLock;

use crate::{run, run_raw, unique, workspace_root};

/// The tag of the image `scripts/image` builds.
pub const TEST_IMAGE: &str = "netshoot:test";
/// Label put on everything a test creates, so leftovers can be removed.
pub const LABEL: &str = "netshoot.test=1";

/// Ends the calling test early, printing `skipped: needs root (…)` or `skipped: needs a Docker
/// engine (…)` on stderr, unless running as root with a Docker engine that answers.
#[macro_export]
macro_rules! require_docker {
    () => {
        if let Some(why) = $crate::missing_root().or_else($crate::docker::missing_docker) {
            $crate::say_skipped(&why);
            return;
        }
    };
}
pub use crate::require_docker;

/// Why Docker tests cannot run here (no engine answers), if they cannot.
pub fn missing_docker() -> Option<String> {
    let ok = std::process::Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    (!ok).then(|| "needs a Docker engine (none answers; scripts/setup starts dockerd)".to_string())
}

/// Fails the test with a clear message unless a Docker engine answers.
pub fn require_docker() {
    crate::require_root();
    if let Some(why) = missing_docker() {
        panic!("this test {why}");
    }
}

/// Builds the `FROM scratch` test image with the static binary, once per test process
/// (`scripts/image`; Docker's cache makes later builds cheap).
pub fn test_image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        // scripts/test builds it before the tests start.
        if std::env::var_os("NETSHOOT_TEST_IMAGE_READY").is_some() {
            return;
        }
        let root = workspace_root();
        let script = root.join("scripts/image");
        run(&[script.to_str().expect("utf-8 path"), TEST_IMAGE]);
    });
    TEST_IMAGE
}

/// `docker inspect` of one object as JSON.
pub fn inspect(what: &str) -> serde_json::Value {
    let out = run(&["docker", "inspect", what]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("docker inspect JSON");
    v[0].clone()
}

/// A Docker network removed on drop.
#[derive(Debug)]
pub struct DockerNet {
    /// Its name.
    pub name: String,
    /// Its full id.
    pub id: String,
}

impl DockerNet {
    /// `docker network create --driver DRIVER EXTRA… NAME`.
    pub fn new(driver: &str, extra: &[&str]) -> Self {
        let name = unique("net");
        let mut argv = vec![
            "docker", "network", "create", "--label", LABEL, "--driver", driver,
        ];
        argv.extend_from_slice(extra);
        argv.push(&name);
        let id = run(&argv).trim().to_string();
        DockerNet { name, id }
    }
}

impl Drop for DockerNet {
    fn drop(&mut self) {
        let _ = run_raw(&["docker", "network", "rm", &self.name]);
    }
}

/// A Swarm service removed on drop.
#[derive(Debug)]
pub struct Service {
    /// Its name.
    pub name: String,
}

impl Service {
    /// `docker service create --detach --quiet --name UNIQUE --label … ARGS…` (ARGS holds
    /// options, the image and its command). The Swarm must be active ([`ensure_swarm`]).
    pub fn create(args: &[&str]) -> Service {
        let name = unique("svc");
        let mut argv = vec![
            "docker", "service", "create", "--detach", "--quiet", "--name", &name, "--label", LABEL,
        ];
        argv.extend_from_slice(args);
        run(&argv);
        Service { name }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = run_raw(&["docker", "service", "rm", &self.name]);
    }
}

/// A container removed (forcibly) on drop.
#[derive(Debug)]
pub struct Container {
    /// Its name.
    pub name: String,
    /// Its full id.
    pub id: String,
}

impl Container {
    /// `docker run -d --name UNIQUE --label … ARGS…` (ARGS holds options, the image and its
    /// command).
    ///
    /// Containers get `--dns 127.0.0.1` (unless they join another's namespace): Docker's
    /// embedded DNS forwards names it does not know to the upstream servers, and a test must
    /// never send a query off this machine. With a loopback upstream, forwarding ends inside the
    /// container.
    pub fn run(tag: &str, args: &[&str]) -> Self {
        let name = unique(tag);
        let mut argv = vec!["docker", "run", "-d", "--name", &name, "--label", LABEL];
        let joins = args
            .windows(2)
            .any(|w| w[0] == "--net" && w[1].starts_with("container:"))
            || args.iter().any(|a| {
                a.starts_with("--net=container:") || a.starts_with("--network=container:")
            });
        if !joins && !args.contains(&"--dns") {
            argv.extend_from_slice(&["--dns", "127.0.0.1"]);
        }
        argv.extend_from_slice(args);
        let id = run(&argv).trim().to_string();
        Container { name, id }
    }

    /// Its init process's host pid.
    pub fn pid(&self) -> u32 {
        inspect(&self.name)["State"]["Pid"].as_u64().expect("pid") as u32
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = run_raw(&["docker", "rm", "-f", &self.name]);
    }
}

/// Makes this engine a single-node Swarm manager if it is not one yet. The Swarm stays (tests
/// share it); `scripts/test` leaves it at the end.
pub fn ensure_swarm() {
    let state = run(&["docker", "info", "--format", "{{.Swarm.LocalNodeState}}"]);
    if state.trim() != "active" {
        let addr = first_host_address().unwrap_or_else(|| "127.0.0.1".into());
        let out = run_raw(&["docker", "swarm", "init", "--advertise-addr", &addr]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() || err.contains("already part of a swarm"),
            "docker swarm init failed: {err}"
        );
    }
}

/// The host's first global IPv4 address (Swarm needs one to advertise). Only read, never probed.
fn first_host_address() -> Option<String> {
    let out = run(&["ip", "-4", "-o", "addr", "show", "scope", "global"]);
    out.lines()
        .filter(|l| !l.contains(" docker") && !l.contains(" br-") && !l.contains(" nst"))
        .find_map(|l| l.split_whitespace().nth(3))
        .and_then(|cidr| cidr.split('/').next().map(str::to_string))
}

/// The MTU of the host interface holding the Swarm node address (the overlay's underlay).
pub fn underlay_mtu() -> u64 {
    let node = run(&["docker", "info", "--format", "{{.Swarm.NodeAddr}}"])
        .trim()
        .to_string();
    let addrs: serde_json::Value = serde_json::from_str(&run(&["ip", "-j", "addr"])).unwrap();
    addrs
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["addr_info"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["local"] == node.as_str())
        })
        .and_then(|i| i["mtu"].as_u64())
        .expect("underlay interface")
}

/// A Docker engine stand-in on a unix socket that answers each GET from a table
/// (path prefix, or `a*b`: starts with `a` and holds `b` later → status, JSON body), for the
/// engines a test cannot have (a Swarm worker, a multi-node Swarm). Point netshoot at it with
/// `DOCKER_HOST=`[`FakeEngine::host`]. Removed on drop.
pub struct FakeEngine {
    dir: std::path::PathBuf,
}

impl FakeEngine {
    /// Serves `routes` (first match wins; unmatched paths get 404) on its own socket.
    pub fn start(routes: Vec<(&'static str, u16, String)>) -> FakeEngine {
        let dir = std::env::temp_dir().join(unique("fe"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let l = std::os::unix::net::UnixListener::bind(dir.join("docker.sock")).unwrap();
        let routes = std::sync::Arc::new(routes);
        std::thread::spawn(move || {
            for c in l.incoming().flatten() {
                let routes = routes.clone();
                std::thread::spawn(move || serve(c, &routes));
            }
        });
        FakeEngine { dir }
    }

    /// Its `DOCKER_HOST` value (`unix:///tmp/…/docker.sock`).
    pub fn host(&self) -> String {
        format!("unix://{}", self.dir.join("docker.sock").display())
    }
}

impl Drop for FakeEngine {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn serve(mut c: std::os::unix::net::UnixStream, routes: &[(&'static str, u16, String)]) {
    use std::io::{Read, Write};
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 && c.read(&mut b).unwrap_or(0) == 1 {
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("");
    let (code, body) = routes
        .iter()
        .find(|(p, _, _)| path.starts_with(p) || (p.contains('*') && matches(p, path)))
        .map(|(_, c, b)| (*c, b.clone()))
        .unwrap_or((404, r#"{"message":"not found"}"#.into()));
    let _ = write!(
        c,
        "HTTP/1.0 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
}

/// `a*b`: the path starts with `a` and holds `b` somewhere after it.
fn matches(pattern: &str, path: &str) -> bool {
    let (a, b) = pattern.split_once('*').unwrap();
    path.strip_prefix(a).is_some_and(|rest| rest.contains(b))
}
