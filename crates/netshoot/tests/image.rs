//! The image people run (root + Docker): the interactive shell with its banner under a real
//! terminal (tmux), in a container's namespace and through `-t X exec`; each direct command form
//! against real containers; `--user` and `--read-only`; a capture without NET_RAW; the busybox
//! links leaving the classic names to netshoot; the size budget; the Kubernetes manifests.
//!
//! Classic names arrive as the rooms register them: where the image does not link a name yet,
//! the same check runs through the verb it maps onto (`netstat` → `sockets`, `curl` → `http`, …).

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use netshoot_testnet::cli::text;
use netshoot_testnet::docker::{
    ensure_swarm, inspect, require_docker, test_image, underlay_mtu, Container, DockerNet, LABEL,
};
use netshoot_testnet::{run, run_raw, unique, workspace_root};

/// The test image, checked to be the full one (a shared engine may hold a `netshoot:test` built
/// by an older scripts/image, the binary alone).
/// `NETSHOOT_TEST_IMAGE=TAG` names an image built beforehand with `scripts/image TAG` instead
/// (engines shared by several checkouts).
fn image() -> &'static str {
    static CHECKED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    static OVERRIDE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let tag = match OVERRIDE.get_or_init(|| std::env::var("NETSHOOT_TEST_IMAGE").ok()) {
        Some(t) => t.as_str(),
        None => test_image(),
    };
    CHECKED.get_or_init(|| {
        let o = docker(&["run", "--rm", "--entrypoint", "/bin/busybox", tag, "true"]);
        assert!(
            o.status.success(),
            "{tag} has no busybox: it was built by an older scripts/image; run scripts/image {tag}"
        );
    });
    tag
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).output().expect("docker")
}

/// `docker run --rm --label … ARGS…`.
fn drun(args: &[&str]) -> Output {
    let mut a = vec!["run", "--rm", "--label", LABEL];
    a.extend_from_slice(args);
    docker(&a)
}

/// Whether the image links `name` to netshoot.
fn linked(name: &str) -> bool {
    let link = format!("/usr/local/bin/{name}");
    let o = drun(&["--entrypoint", "/bin/readlink", image(), &link]);
    text(&o.stdout).trim() == "/usr/local/bin/netshoot"
}

/// The classic command line when the image links its name, else the verb form (through
/// `netshoot`): the same engine either way.
fn classic_or(classic: &str, verb: &str) -> String {
    let name = classic.split_whitespace().next().unwrap();
    if linked(name) {
        classic.to_string()
    } else {
        format!("netshoot {verb}")
    }
}

/// A user-defined network with `web`: busybox httpd on 8080 serving `hello-netshoot`.
struct Web {
    web: Container,
    net: DockerNet,
}

fn web() -> Web {
    require_docker();
    let image = image();
    let net = DockerNet::new("bridge", &[]);
    let web = Container::run(
        "web",
        &[
            "--network",
            &net.name,
            image,
            "sh",
            "-c",
            "mkdir -p /tmp/www && echo hello-netshoot > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let o = docker(&["exec", &web.name, "wget", "-qO-", "http://127.0.0.1:8080/"]);
        if text(&o.stdout).contains("hello-netshoot") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "httpd in {} never answered",
            web.name
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Web { web, net }
}

impl Web {
    fn ip(&self) -> String {
        inspect(&self.web.name)["NetworkSettings"]["Networks"][&self.net.name]["IPAddress"]
            .as_str()
            .unwrap()
            .to_string()
    }
    fn gateway(&self) -> String {
        inspect(&self.web.name)["NetworkSettings"]["Networks"][&self.net.name]["Gateway"]
            .as_str()
            .unwrap()
            .to_string()
    }
    fn joined(&self) -> String {
        format!("container:{}", self.web.name)
    }
}

/// A terminal: a private tmux server running one command; killed on drop.
struct Term {
    sock: String,
}

impl Term {
    fn start(cmd: &str) -> Self {
        let sock = unique("tmx");
        // The wrapper keeps the pane after the command ends and prints its exit status.
        let wrapped = format!("{cmd}; echo __exit=$?; sleep 120");
        let o = Command::new("tmux")
            .args([
                "-L",
                &sock,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                "200",
                "-y",
                "50",
                "sh",
                "-c",
                &wrapped,
            ])
            .output()
            .expect("tmux");
        assert!(o.status.success(), "tmux: {}", text(&o.stderr));
        Term { sock }
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args([
                "-L",
                &self.sock,
                "capture-pane",
                "-p",
                "-J",
                "-S",
                "-",
                "-t",
                "t",
            ])
            .output()
            .expect("tmux capture-pane");
        text(&o.stdout)
    }

    fn wait_for(&self, needle: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "'{needle}' did not appear within {secs}s; the terminal shows:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Types `line` and Enter, then waits for the marker `__N` it echoes afterwards (typed as
    /// `__$((N-1+1))` so the echo of the typed line does not match) and returns the text between
    /// the typed line and the marker.
    fn type_line(&self, line: &str, n: u32) -> String {
        let full = format!("{line}; echo __m{n}_$((0+1))");
        let o = Command::new("tmux")
            .args(["-L", &self.sock, "send-keys", "-t", "t", "-l", &full])
            .output()
            .unwrap();
        assert!(o.status.success());
        Command::new("tmux")
            .args(["-L", &self.sock, "send-keys", "-t", "t", "Enter"])
            .output()
            .unwrap();
        let marker = format!("__m{n}_1");
        let s = self.wait_for(&marker, 20);
        let start = s.rfind(&full).map(|i| i + full.len()).unwrap_or(0);
        let end = s.rfind(&marker).unwrap();
        s[start..end.max(start)].to_string()
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.sock, "kill-server"])
            .stderr(Stdio::null())
            .output();
    }
}

/// The three commands of the issue typed into a shell in web's namespace, checked.
fn typed_session(t: &Term, w: &Web) {
    let netstat = classic_or("netstat -tulpn", "sockets -tulpn");
    let out = t.type_line(&netstat, 1);
    assert!(
        out.lines()
            .any(|l| l.contains(":8080") && l.contains("LISTEN")),
        "{netstat}: no LISTEN on :8080 in\n{out}"
    );
    let out = t.type_line("ip route | grep default", 2);
    assert!(
        out.contains(&format!("default via {}", w.gateway())),
        "ip route | grep default:\n{out}"
    );
    let curl = classic_or("curl -s localhost:8080", "http http://localhost:8080/");
    let out = t.type_line(&format!("{curl} | head -1"), 3);
    assert!(out.contains("hello-netshoot"), "{curl} | head -1:\n{out}");
}

#[test]
fn interactive_shell_in_a_container_namespace_names_it_and_runs_the_tools() {
    require_docker!();
    let w = web();
    let t = Term::start(&format!(
        "docker run -it --rm --label {LABEL} --net {} {}",
        w.joined(),
        image()
    ));
    let banner = t.wait_for("[netshoot ", 30);
    assert!(
        banner.contains(&format!("network namespace of container {}", w.web.name)),
        "banner does not name {}:\n{banner}",
        w.web.name
    );
    assert!(
        banner.contains(&w.ip()),
        "banner lacks {}:\n{banner}",
        w.ip()
    );
    assert!(banner.contains("netshoot targets") && banner.contains("netshoot doctor"));
    typed_session(&t, &w);
    // The names resolve to netshoot in the shell, not to busybox's applets.
    let out = t.type_line("command -v tcpdump", 4);
    assert!(out.contains("/usr/local/bin/tcpdump"), "{out}");
    Command::new("tmux")
        .args(["-L", &t.sock, "send-keys", "-t", "t", "exit", "Enter"])
        .output()
        .unwrap();
    t.wait_for("__exit=0", 20);
}

#[test]
fn exec_without_a_program_gives_the_same_shell_from_the_image_and_from_the_host() {
    require_docker!();
    let w = web();
    // From the image, with the host's pids and the Docker socket.
    let t = Term::start(&format!(
        "docker run -it --rm --label {LABEL} --pid host --cap-add SYS_ADMIN --cap-add SYS_PTRACE \
         -v /var/run/docker.sock:/var/run/docker.sock {} -t {} exec",
        image(),
        w.web.name
    ));
    let banner = t.wait_for(&format!("[netshoot {}]", w.web.name), 30);
    assert!(
        banner.contains(&format!("network namespace of {}", w.web.name)),
        "{banner}"
    );
    typed_session(&t, &w);
    Command::new("tmux")
        .args(["-L", &t.sock, "send-keys", "-t", "t", "exit", "Enter"])
        .output()
        .unwrap();
    t.wait_for("__exit=0", 20);

    // From the host binary: the host's shell, with the classic names in a private directory.
    let t = Term::start(&format!(
        "env SHELL=/bin/sh {} -t {} exec",
        env!("CARGO_BIN_EXE_netshoot"),
        w.web.name
    ));
    let banner = t.wait_for(&format!("[netshoot {}]", w.web.name), 30);
    assert!(banner.contains("removed on exit"), "{banner}");
    let out = t.type_line("command -v tcpdump", 1);
    let dir = out
        .lines()
        .find_map(|l| l.trim().strip_suffix("/tcpdump"))
        .unwrap_or_else(|| panic!("tcpdump not on PATH: {out}"))
        .to_string();
    assert!(dir.contains("netshoot-names-"), "{out}");
    let meta = std::fs::symlink_metadata(&dir).expect("links directory");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o700, "{dir}");
    let out = t.type_line("ip route | grep default", 2);
    assert!(
        out.contains(&format!("default via {}", w.gateway())),
        "{out}"
    );
    Command::new("tmux")
        .args(["-L", &t.sock, "send-keys", "-t", "t", "exit", "Enter"])
        .output()
        .unwrap();
    t.wait_for("__exit=0", 20);
    assert!(!std::path::Path::new(&dir).exists(), "{dir} left behind");
}

#[test]
fn non_root_and_read_only_still_get_a_shell_with_history() {
    require_docker!();
    let w = web();
    let t = Term::start(&format!(
        "docker run -it --rm --label {LABEL} --user 12345 --read-only --net {} {}",
        w.joined(),
        image()
    ));
    let banner = t.wait_for("[netshoot ", 30);
    assert!(banner.contains(&w.web.name), "{banner}");
    let out = t.type_line("echo home=$HOME; touch $HOME/probe && echo writable", 1);
    assert!(out.contains("home=/dev/shm/netshoot-home-12345"), "{out}");
    assert!(out.contains("writable"), "{out}");
    let out = t.type_line(
        &classic_or("curl -s localhost:8080", "http http://localhost:8080/"),
        2,
    );
    assert!(out.contains("hello-netshoot"), "{out}");
    Command::new("tmux")
        .args(["-L", &t.sock, "send-keys", "-t", "t", "exit", "Enter"])
        .output()
        .unwrap();
    t.wait_for("__exit=0", 20);
}

#[test]
fn a_capture_without_net_raw_names_the_flag_to_add() {
    require_docker!();
    let w = web();
    let o = drun(&[
        "--cap-drop",
        "NET_RAW",
        "--net",
        &w.joined(),
        image(),
        "tcpdump",
        "-i",
        "eth0",
        "-c",
        "1",
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--cap-add NET_RAW"), "{err}");
    // The same as a non-root user.
    let o = drun(&[
        "--user",
        "12345",
        "--net",
        &w.joined(),
        image(),
        "tcpdump",
        "-i",
        "eth0",
        "-c",
        "1",
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("NET_RAW"), "{err}");
}

#[test]
fn direct_commands_run_against_real_containers() {
    require_docker!();
    let w = web();
    let image = image();
    let joined = w.joined();

    // tcpdump -i eth0 port 9999 -c 1 -Xvv, while another container knocks on web:9999.
    let cap_name = unique("cap");
    let cap = Command::new("docker")
        .args([
            "run", "--rm", "--name", &cap_name, "--label", LABEL, "--net", &joined, image,
            "tcpdump", "-i", "eth0", "port", "9999", "-c", "1", "-Xvv",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://{}:9999/", w.web.name);
    let started = Instant::now();
    let running = || {
        text(&docker(&["inspect", "--format", "{{.State.Running}}", &cap_name]).stdout).trim()
            == "true"
    };
    loop {
        let _ = drun(&[
            "--dns",
            "127.0.0.1",
            "--network",
            &w.net.name,
            image,
            "wget",
            "-qO-",
            &url,
        ]);
        // Done once the capture has come and gone (it needs a moment to start).
        let done = !running() && started.elapsed() > Duration::from_secs(3);
        if done || started.elapsed() > Duration::from_secs(30) {
            break;
        }
    }
    // Never wait forever: a capture that saw nothing is removed (and the test fails below).
    let _ = run_raw(&["docker", "rm", "-f", &cap_name]);
    let o = cap.wait_with_output().unwrap();
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(out.contains(&format!("{}.9999", w.ip())), "{out}");
    assert!(out.contains("0x0000:"), "-X hex dump missing: {out}");

    // netstat -taupn: the listener on 8080.
    let cmd = classic_or("netstat -taupn", "sockets -taupn");
    let mut a = vec!["--net", &joined, image];
    a.extend(cmd.split_whitespace());
    let o = drun(&a);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{cmd}: {}", text(&o.stderr));
    assert!(
        out.lines()
            .any(|l| l.contains(":8080") && l.contains("LISTEN")),
        "{cmd}: {out}"
    );

    // ip route show: the gateway Docker gave web.
    let o = drun(&["--net", &joined, image, "ip", "route", "show"]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        out.contains(&format!("default via {}", w.gateway())),
        "{out}"
    );

    // drill NAME from a container of its own on the network: Docker's DNS answers web's address.
    let cmd = classic_or(
        &format!("drill {}", w.web.name),
        &format!("dns {}", w.web.name),
    );
    let mut a = vec!["--dns", "127.0.0.1", "--network", &w.net.name, image];
    a.extend(cmd.split_whitespace());
    let o = drun(&a);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{cmd}: {}", text(&o.stderr));
    assert!(out.contains(&w.ip()), "{cmd}: {out}");

    // curl NAME:8080.
    let cmd = classic_or(
        &format!("curl -s {}:8080", w.web.name),
        &format!("http http://{}:8080/", w.web.name),
    );
    let mut a = vec!["--dns", "127.0.0.1", "--network", &w.net.name, image];
    a.extend(cmd.split_whitespace());
    let o = drun(&a);
    assert!(o.status.success(), "{cmd}: {}", text(&o.stderr));
    assert!(text(&o.stdout).contains("hello-netshoot"), "{cmd}");

    // Any other program in the image runs as itself, with its own exit status.
    let o = drun(&[image, "sh", "-c", "echo $((6*7)) | grep 42; exit 3"]);
    assert_eq!(text(&o.stdout).trim(), "42");
    assert_eq!(o.status.code(), Some(3));
    // A word that is none of these: one line, exit 127 as a shell would.
    let o = drun(&[image, "no-such-tool"]);
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(
        text(&o.stderr).trim().lines().count(),
        1,
        "{}",
        text(&o.stderr)
    );
    assert!(text(&o.stderr).contains("no-such-tool"));
    // Without a terminal and without a command: the targets it can see.
    let o = drun(&[image]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("host"), "{}", text(&o.stdout));
    // On the default bridge (no embedded DNS): the Docker socket names the container; without
    // it, the banner says it knows only the hostname.
    let plain = Container::run("pln", &[image, "sleep", "infinity"]);
    let pj = format!("container:{}", plain.name);
    let o = drun(&[
        "--net",
        &pj,
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        image,
        "motd",
    ]);
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!("container {}", plain.name)) && out.contains("(Docker API)"),
        "{out}"
    );
    let o = drun(&["--net", &pj, image, "motd"]);
    let out = text(&o.stdout);
    assert!(
        out.contains("nothing better than the hostname") && !out.contains(&plain.name),
        "{out}"
    );
    drop(plain);
    // With --net host, the banner says it is the host's namespace.
    let o = drun(&["--net", "host", image, "motd"]);
    let out = text(&o.stdout);
    assert!(out.contains("network namespace of the host"), "{out}");
    // motd on its own, without a terminal, names web through Docker's DNS.
    let o = drun(&["--net", &joined, image, "motd"]);
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!("container {}", w.web.name)) && out.contains("Docker's DNS"),
        "{out}"
    );
}

#[test]
fn a_swarm_service_runs_the_perf_server_directly() {
    require_docker!();
    ensure_swarm();
    let image = image();
    let mtu = format!("com.docker.network.driver.mtu={}", underlay_mtu());
    let net = DockerNet::new("overlay", &["--attachable", "--opt", &mtu]);
    let svc = unique("svc");
    let server = classic_or("iperf3 -s -p 9999", "perf server -p 9999");
    let mut a = vec![
        "service",
        "create",
        "--detach",
        "--quiet",
        "--name",
        &svc,
        "--label",
        LABEL,
        "--network",
        &net.name,
        "--dns",
        "127.0.0.1",
        // DNS round robin: the name answers the task's address (this machine's kernel offers
        // no working IPVS for a service VIP).
        "--endpoint-mode",
        "dnsrr",
        image,
    ];
    a.extend(server.split_whitespace());
    let o = docker(&a);
    struct Svc(String);
    impl Drop for Svc {
        fn drop(&mut self) {
            let _ = run_raw(&["docker", "service", "rm", &self.0]);
            std::thread::sleep(Duration::from_secs(2));
        }
    }
    let _svc = Svc(svc.clone());
    assert!(o.status.success(), "service create: {}", text(&o.stderr));
    let client = classic_or(
        &format!("iperf3 -c {svc} -p 9999 -t 1"),
        &format!("perf client {svc} -p 9999 -t 1"),
    );
    // The task first: a client attached earlier would take the overlay address the task then
    // reuses, with the old neighbour entry left behind.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ps = run(&[
            "docker",
            "service",
            "ps",
            "--format",
            "{{.CurrentState}}",
            &svc,
        ]);
        if ps.lines().any(|l| l.starts_with("Running")) {
            break;
        }
        assert!(Instant::now() < deadline, "task never ran: {ps}");
        std::thread::sleep(Duration::from_millis(500));
    }
    loop {
        let mut a = vec!["--dns", "127.0.0.1", "--network", &net.name, image];
        a.extend(client.split_whitespace());
        let o = drun(&a);
        let out = text(&o.stdout);
        if o.status.success() && out.contains("receiver") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{client} never succeeded: {out}{}",
            text(&o.stderr)
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn the_network_names_are_netshoots_and_the_userland_is_busyboxs() {
    require_docker!();
    let image = image();
    // Every link to netshoot in /usr/local/bin, and no busybox applet of the same name.
    let o = drun(&[
        image,
        "sh",
        "-c",
        "cd /usr/local/bin && for n in *; do [ \"$(readlink $n)\" = /usr/local/bin/netshoot ] && \
         echo \"$n $(command -v $n) $([ -e /bin/$n ] && echo busybox-too || echo only)\"; done",
    ]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.iter().any(|l| l.starts_with("tcpdump ")), "{out}");
    for l in &lines {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(f[1], format!("/usr/local/bin/{}", f[0]), "{l}");
        assert_eq!(f[2], "only", "{l}: busybox also links it");
    }
    // The shell and the userland people pipe into.
    let tools = "sh grep sed awk less cat ls ps vi watch timeout sort head tail wc";
    let o = drun(&[
        image,
        "sh",
        "-c",
        &format!("for t in {tools}; do command -v $t; done"),
    ]);
    assert_eq!(
        text(&o.stdout).lines().count(),
        tools.split(' ').count(),
        "{}",
        text(&o.stdout)
    );
    // CA bundle and users.
    let o = drun(&[
        image,
        "sh",
        "-c",
        "grep -c 'BEGIN CERTIFICATE' /etc/ssl/certs/ca-certificates.crt; cut -d: -f1 /etc/passwd",
    ]);
    let out = text(&o.stdout);
    let certs: u32 = out.lines().next().unwrap().trim().parse().unwrap();
    assert!(certs > 100, "{out}");
    assert!(out.contains("root") && out.contains("nobody"), "{out}");
}

#[test]
fn the_image_fits_the_size_budget() {
    require_docker!();
    let size: u64 = run(&[
        "docker",
        "image",
        "inspect",
        "--format",
        "{{.Size}}",
        image(),
    ])
    .trim()
    .parse()
    .unwrap();
    assert!(
        size <= 20_000_000,
        "netshoot image is {size} bytes, budget 20 MB"
    );
    // The slim variant: the binary alone.
    let slim = match image().rsplit_once(':') {
        Some((repo, "latest")) => format!("{repo}:slim"),
        _ => format!("{}-slim", image()),
    };
    let o = docker(&["run", "--rm", "--label", LABEL, &slim, "--version"]);
    assert!(o.status.success(), "{slim}: {}", text(&o.stderr));
    let o = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "/bin/sh",
        &slim,
        "-c",
        "true",
    ]);
    assert!(!o.status.success(), "the slim image has no shell");
}

#[test]
fn kubernetes_manifests_validate_against_three_schema_versions() {
    let root = workspace_root();
    let files: Vec<String> = [
        "debug-pod.yaml",
        "sidecar.yaml",
        "daemonset.yaml",
        "k8s-mesh.yaml",
    ]
    .iter()
    .map(|f| root.join("deploy").join(f).to_string_lossy().into_owned())
    .collect();
    // One "passed" line per resource: every document's `kind:`.
    let resources: usize = files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("kind:"))
                .count()
        })
        .sum();
    assert_eq!(resources, 6, "the manifests' resources");
    for v in ["1.37.0", "1.36.0", "1.35.0"] {
        let o = Command::new("kubernetes-validate")
            .args(["--strict", "-k", v])
            .args(&files)
            .output()
            .expect("kubernetes-validate (pip install kubernetes-validate; scripts/setup)");
        let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
        assert!(o.status.success(), "Kubernetes {v}: {all}");
        assert_eq!(
            all.matches("passed").count(),
            resources,
            "Kubernetes {v}: {all}"
        );
    }
    // The validator does reject a broken manifest (capabilities as a string, not a list).
    let dir = std::env::temp_dir().join(unique("k8s"));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    let text_ = std::fs::read_to_string(&files[0])
        .unwrap()
        .replace("add: [\"NET_ADMIN\", \"NET_RAW\"]", "add: NET_ADMIN");
    std::fs::write(&bad, text_).unwrap();
    let o = Command::new("kubernetes-validate")
        .args(["--strict", "-k", "1.37.0"])
        .arg(&bad)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!o.status.success(), "a broken manifest passed");
}
