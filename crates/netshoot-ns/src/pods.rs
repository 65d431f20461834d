//! Kubernetes pods on this node: `pod:NAMESPACE/NAME` and `cri:SANDBOX_ID` targets (optionally
//! narrowed to one container with `-c`), and the pods `targets` lists.
//!
//! Found through the container runtime's CRI socket ([`crate::cri`]): `ListPodSandbox` names
//! the sandbox (by the Kubernetes metadata kubelet gave it), and the verbose `PodSandboxStatus`
//! gives its IPs, its sandbox process (`info.pid`) and its network namespace
//! (`info.runtimeSpec.linux.namespaces[type=network].path`), as containerd and CRI-O report
//! them. The namespace is entered through the sandbox process when it is visible here (its root
//! holds the pod's `/etc/resolv.conf`), else through the namespace file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cri::{api, Cri};
use crate::docker::short;
use crate::resolve::{base, from_pid, host_root, inode_of, is_nsfs, read_target, Target};
use crate::{list_or_none, NsError, TargetSpec};

/// The pod a `pod:` or `cri:` target was resolved to.
#[derive(Debug, Clone, Serialize)]
pub struct PodRef {
    /// Kubernetes namespace.
    pub namespace: String,
    /// Pod name.
    pub name: String,
    /// Pod uid.
    pub uid: String,
    /// The CRI sandbox id.
    pub sandbox_id: String,
    /// The pod's IPs as the runtime reports them (primary first).
    pub ips: Vec<String>,
    /// Whether the pod runs in the node's network namespace (`hostNetwork: true`).
    pub host_network: bool,
    /// The container `-c` chose, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The CRI socket asked.
    pub socket: PathBuf,
}

/// What a runtime's verbose `info` says about a sandbox or container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeInfo {
    /// Its process.
    pub pid: Option<u32>,
    /// Its network namespace file, when it has its own.
    pub netns: Option<PathBuf>,
    /// The file bind-mounted over its `/etc/resolv.conf`.
    pub resolv_conf: Option<PathBuf>,
}

/// Reads containerd's and CRI-O's verbose `info` (`info["info"]`, JSON with `pid` and
/// `runtimeSpec`); anything missing or malformed is left out.
pub fn runtime_info(info: &BTreeMap<String, String>) -> RuntimeInfo {
    let Some(v) = info
        .get("info")
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    else {
        return RuntimeInfo::default();
    };
    let pid = v
        .get("pid")
        .and_then(|p| p.as_u64())
        .filter(|p| *p > 0 && *p <= u64::from(u32::MAX))
        .map(|p| p as u32);
    let spec = v.get("runtimeSpec");
    let netns = spec
        .and_then(|s| s.pointer("/linux/namespaces"))
        .and_then(|n| n.as_array())
        .and_then(|a| {
            a.iter()
                .find(|n| n.get("type").and_then(|t| t.as_str()) == Some("network"))
        })
        .and_then(|n| n.get("path"))
        .and_then(|p| p.as_str())
        .filter(|p| p.starts_with('/'))
        .map(PathBuf::from);
    let resolv_conf = spec
        .and_then(|s| s.get("mounts"))
        .and_then(|m| m.as_array())
        .and_then(|a| {
            a.iter()
                .find(|m| m.get("destination").and_then(|d| d.as_str()) == Some("/etc/resolv.conf"))
        })
        .and_then(|m| m.get("source"))
        .and_then(|p| p.as_str())
        .filter(|p| p.starts_with('/'))
        .map(PathBuf::from);
    RuntimeInfo {
        pid,
        netns,
        resolv_conf,
    }
}

fn meta(s: &api::PodSandbox) -> (&str, &str) {
    s.metadata
        .as_ref()
        .map(|m| (m.namespace.as_str(), m.name.as_str()))
        .unwrap_or(("", ""))
}

fn ready(s: &api::PodSandbox) -> bool {
    s.state == api::PodSandboxState::SandboxReady as i32
}

/// The sandbox of pod `namespace/name`: the ready one, else the newest (kubelet leaves the
/// sandboxes of earlier attempts behind, not ready).
pub fn choose<'a>(
    items: &'a [api::PodSandbox],
    namespace: &str,
    name: &str,
) -> Option<&'a api::PodSandbox> {
    items
        .iter()
        .filter(|s| meta(s) == (namespace, name))
        .max_by_key(|s| (ready(s), s.created_at))
}

/// Resolves `pod:NAMESPACE/NAME`.
pub fn pod_target(
    spec: &TargetSpec,
    namespace: &str,
    name: &str,
    container: Option<&str>,
) -> Result<Target, NsError> {
    let cri = Cri::from_env()?;
    let items = cri.list_pod_sandboxes()?;
    let Some(sb) = choose(&items, namespace, name) else {
        let mut pods: Vec<String> = items
            .iter()
            .filter(|s| ready(s))
            .map(|s| {
                let (ns, n) = meta(s);
                format!("{ns}/{n}")
            })
            .collect();
        pods.sort();
        pods.dedup();
        return Err(NsError::PodTarget {
            why: format!(
                "no pod '{namespace}/{name}' in the container runtime on {}; {}",
                cri.socket().display(),
                list_or_none("pods on this node", &pods)
            ),
        });
    };
    sandbox(&cri, spec, sb, container)
}

/// Resolves `cri:ID` (a full sandbox id or a unique prefix).
pub fn sandbox_target(
    spec: &TargetSpec,
    id: &str,
    container: Option<&str>,
) -> Result<Target, NsError> {
    let cri = Cri::from_env()?;
    let items = cri.list_pod_sandboxes()?;
    let exact = items.iter().find(|s| s.id == id);
    let found: Vec<&api::PodSandbox> = match exact {
        Some(s) => vec![s],
        None => items.iter().filter(|s| s.id.starts_with(id)).collect(),
    };
    match found.as_slice() {
        [one] => sandbox(&cri, spec, one, container),
        [] => Err(NsError::PodTarget {
            why: format!(
                "no pod sandbox '{id}' in the container runtime on {} (crictl pods lists them)",
                cri.socket().display()
            ),
        }),
        many => {
            let ids: Vec<String> = many.iter().map(|s| short(&s.id, 13).to_string()).collect();
            Err(NsError::PodTarget {
                why: format!(
                    "'{id}' is the start of {} sandbox ids ({}): give more of it",
                    many.len(),
                    ids.join(", ")
                ),
            })
        }
    }
}

/// The namespace file `p` as seen from here: itself, else under the host's root.
fn visible(p: &Path) -> Option<PathBuf> {
    [
        p.to_path_buf(),
        host_root().join(p.strip_prefix("/").unwrap_or(p)),
    ]
    .into_iter()
    .find(|c| is_nsfs(c))
}

/// Enters what `info` points at: the process when the runtime's pids are ours and it is in the
/// namespace file (when both are known), else the namespace file itself.
fn enter_info(
    cri: &Cri,
    spec: &TargetSpec,
    info: &RuntimeInfo,
    what: &str,
) -> Result<Option<Target>, NsError> {
    let ns_file = info.netns.as_deref().and_then(visible);
    let ns_inode = ns_file.as_deref().and_then(|p| crate::netns_inode(p).ok());
    if let Some(pid) = info.pid.filter(|_| cri.shares_pid_namespace()) {
        let proc_ns = PathBuf::from(format!("/proc/{pid}/ns/net"));
        let pid_inode = crate::netns_inode(&proc_ns).ok();
        // Only trust the process when it agrees with the namespace file, or when there is no
        // file to compare with.
        if pid_inode.is_some() && (ns_inode.is_none() || pid_inode == ns_inode) {
            return from_pid(spec, pid).map(Some);
        }
    }
    let Some(p) = ns_file else {
        return Ok(None);
    };
    let ns = inode_of(&p, what)?;
    let mut t = base(spec, ns, &host_root());
    if let Some(rc) = &info.resolv_conf {
        let root = host_root();
        let rel = rc
            .strip_prefix("/")
            .unwrap_or(rc)
            .to_string_lossy()
            .into_owned();
        t.resolv_conf = read_target(&root, &rel, &mut t.notes);
        t.resolv_conf_path = Some(root.join(rel));
        t.hosts = None;
    }
    Ok(Some(t))
}

fn sandbox(
    cri: &Cri,
    spec: &TargetSpec,
    sb: &api::PodSandbox,
    container: Option<&str>,
) -> Result<Target, NsError> {
    let (namespace, name) = meta(sb);
    let pod = format!("{namespace}/{name}");
    let sid = short(&sb.id, 13).to_string();
    if !ready(sb) {
        return Err(NsError::PodTarget {
            why: format!(
                "pod {pod}'s sandbox {sid} is not ready (its processes are gone): kubelet \
                 makes a new one, or the pod is being deleted"
            ),
        });
    }
    let Some(resp) = cri.pod_sandbox_status(&sb.id)? else {
        return Err(NsError::PodTarget {
            why: format!("pod {pod}'s sandbox {sid} went away while being looked at"),
        });
    };
    let status = resp.status.unwrap_or_default();
    let net = status.network.unwrap_or_default();
    let ips: Vec<String> = std::iter::once(net.ip)
        .chain(net.additional_ips.into_iter().map(|i| i.ip))
        .filter(|i| !i.is_empty())
        .collect();
    let host_network = status
        .linux
        .and_then(|l| l.namespaces)
        .and_then(|n| n.options)
        .is_some_and(|o| o.network == api::NamespaceMode::Node as i32);
    let sandbox_info = runtime_info(&resp.info);
    let (info, what) = match container {
        None => (sandbox_info, format!("pod {pod}")),
        Some(c) => (
            container_info(cri, &sb.id, &pod, c)?,
            format!("container {c} of pod {pod}"),
        ),
    };
    let Some(mut t) = enter_info(cri, spec, &info, &what)? else {
        let pid = info
            .pid
            .map(|p| format!("its process {p} is not visible here (the runtime's pid namespace is not this one)"))
            .unwrap_or_else(|| "the runtime names no process".into());
        let ns = info
            .netns
            .map(|p| format!(" and its namespace {} is not mounted here", p.display()))
            .unwrap_or_default();
        return Err(NsError::PodTarget {
            why: format!(
                "{what}: {pid}{ns}: run on the node as root, or in a container add --pid host \
                 (and -v /var/run/netns:/var/run/netns)"
            ),
        });
    };
    t.label = match container {
        None => format!("pod:{pod}"),
        Some(c) => format!("pod:{pod}/{c}"),
    };
    if host_network {
        t.notes.push(format!(
            "pod {pod} runs with hostNetwork: its namespace is the node's"
        ));
    }
    t.pod = Some(PodRef {
        namespace: namespace.to_string(),
        name: name.to_string(),
        uid: sb
            .metadata
            .as_ref()
            .map(|m| m.uid.clone())
            .unwrap_or_default(),
        sandbox_id: sb.id.clone(),
        ips,
        host_network,
        container: container.map(str::to_string),
        socket: cri.socket().to_path_buf(),
    });
    Ok(t)
}

/// The running container named `c` in sandbox `sandbox_id`, as its verbose status describes it.
fn container_info(cri: &Cri, sandbox_id: &str, pod: &str, c: &str) -> Result<RuntimeInfo, NsError> {
    let cs = cri.containers_of(sandbox_id)?;
    let running = |x: &&api::Container| x.state == api::ContainerState::ContainerRunning as i32;
    let named = |x: &&api::Container| x.metadata.as_ref().is_some_and(|m| m.name == c);
    let Some(found) = cs
        .iter()
        .filter(named)
        .max_by_key(|x| (running(x), x.created_at))
    else {
        let mut names: Vec<String> = cs
            .iter()
            .filter_map(|x| x.metadata.as_ref().map(|m| m.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        return Err(NsError::PodTarget {
            why: format!(
                "pod {pod} has no container '{c}'; {}",
                list_or_none("its containers", &names)
            ),
        });
    };
    if !running(&found) {
        return Err(NsError::PodTarget {
            why: format!("container {c} of pod {pod} is not running"),
        });
    }
    Ok(runtime_info(&cri.container_info(&found.id)?))
}

/// One pod on this node, for `targets`.
#[derive(Debug, Clone, Serialize)]
pub struct PodSummary {
    /// `pod:NAMESPACE/NAME`, the target that enters it.
    pub target: String,
    /// Kubernetes namespace.
    pub namespace: String,
    /// Pod name.
    pub name: String,
    /// The CRI sandbox id.
    pub sandbox_id: String,
    /// `ready` or `notready`.
    pub state: String,
    /// The pod's IPs (ready pods).
    pub ips: Vec<String>,
    /// Whether it runs in the node's namespace.
    pub host_network: bool,
    /// The nsfs inode of its network namespace, when visible here.
    pub netns_inode: Option<u64>,
    /// Its containers: name and state.
    pub containers: Vec<PodContainer>,
}

/// A container of a pod, for `targets`.
#[derive(Debug, Clone, Serialize)]
pub struct PodContainer {
    /// Container name (Kubernetes' name for it).
    pub name: String,
    /// `created`, `running`, `exited` or `unknown`.
    pub state: String,
}

/// Every pod sandbox the runtime knows, ready ones first: one `ListPodSandbox`, one
/// `ListContainers` and a `PodSandboxStatus` per ready sandbox, each call within the client's
/// deadline. `Ok(None)` when no CRI socket is
/// chosen or found, or when the default socket's runtime does not serve the CRI (a containerd
/// with its CRI plugin disabled, as Docker's is): nothing to list on a node without Kubernetes.
pub fn pods() -> Result<Option<Vec<PodSummary>>, NsError> {
    let cri = match Cri::from_env() {
        Ok(c) => c,
        Err(_) => return Ok(None),
    };
    let items = match cri.call::<_, api::ListPodSandboxResponse>(
        "ListPodSandbox",
        &api::ListPodSandboxRequest::default(),
    ) {
        Ok(r) => r.items,
        Err(crate::cri::CallError::Status(crate::cri::GRPC_UNIMPLEMENTED, _))
            if cri.source() == crate::cri::SocketSource::Default =>
        {
            return Ok(None)
        }
        Err(e) => return Err(cri.to_error("ListPodSandbox", e)),
    };
    let mut containers: BTreeMap<String, Vec<PodContainer>> = BTreeMap::new();
    for c in cri.containers_of("")? {
        let state = match api::ContainerState::try_from(c.state) {
            Ok(api::ContainerState::ContainerCreated) => "created",
            Ok(api::ContainerState::ContainerRunning) => "running",
            Ok(api::ContainerState::ContainerExited) => "exited",
            _ => "unknown",
        };
        containers
            .entry(c.pod_sandbox_id)
            .or_default()
            .push(PodContainer {
                name: c.metadata.map(|m| m.name).unwrap_or_default(),
                state: state.into(),
            });
    }
    let mut out = Vec::new();
    for sb in &items {
        let (namespace, name) = meta(sb);
        let mut p = PodSummary {
            target: format!("pod:{namespace}/{name}"),
            namespace: namespace.to_string(),
            name: name.to_string(),
            sandbox_id: sb.id.clone(),
            state: if ready(sb) { "ready" } else { "notready" }.into(),
            ips: Vec::new(),
            host_network: false,
            netns_inode: None,
            containers: Vec::new(),
        };
        if ready(sb) {
            if let Some(resp) = cri.pod_sandbox_status(&sb.id)? {
                let st = resp.status.unwrap_or_default();
                let net = st.network.unwrap_or_default();
                p.ips = std::iter::once(net.ip)
                    .chain(net.additional_ips.into_iter().map(|i| i.ip))
                    .filter(|i| !i.is_empty())
                    .collect();
                p.host_network = st
                    .linux
                    .and_then(|l| l.namespaces)
                    .and_then(|n| n.options)
                    .is_some_and(|o| o.network == api::NamespaceMode::Node as i32);
                let info = runtime_info(&resp.info);
                p.netns_inode = info
                    .netns
                    .as_deref()
                    .and_then(visible)
                    .and_then(|f| crate::netns_inode(&f).ok())
                    .or_else(|| {
                        info.pid.and_then(|pid| {
                            crate::netns_inode(Path::new(&format!("/proc/{pid}/ns/net"))).ok()
                        })
                    });
            }
        }
        p.containers = containers.remove(&sb.id).unwrap_or_default();
        p.containers.sort_by(|a, b| a.name.cmp(&b.name));
        out.push(p);
    }
    out.sort_by(|a, b| {
        (a.state != "ready", &a.namespace, &a.name).cmp(&(
            b.state != "ready",
            &b.namespace,
            &b.name,
        ))
    });
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb(id: &str, ns: &str, name: &str, state: i32, created: i64) -> api::PodSandbox {
        api::PodSandbox {
            id: id.into(),
            metadata: Some(api::PodSandboxMetadata {
                name: name.into(),
                uid: "u".into(),
                namespace: ns.into(),
                attempt: 0,
            }),
            state,
            created_at: created,
            ..Default::default()
        }
    }

    #[test]
    fn the_ready_sandbox_wins_over_older_attempts() {
        let items = [
            sb("old", "default", "web", 1, 1),
            sb("new", "default", "web", 0, 2),
            sb("newer-dead", "default", "web", 1, 3),
            sb("other", "prod", "web", 0, 4),
        ];
        assert_eq!(choose(&items, "default", "web").unwrap().id, "new");
        assert_eq!(choose(&items, "prod", "web").unwrap().id, "other");
        assert!(choose(&items, "prod", "db").is_none());
    }

    #[test]
    fn containerd_info_gives_pid_netns_and_resolv_conf() {
        let mut info = BTreeMap::new();
        info.insert(
            "info".to_string(),
            r#"{"pid":4242,"processStatus":"running","runtimeSpec":{"mounts":[
              {"destination":"/dev/shm","source":"/run/x/shm"},
              {"destination":"/etc/resolv.conf","source":"/var/lib/containerd/sb/resolv.conf"}],
              "linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/var/run/netns/cni-1"}]}}}"#
                .to_string(),
        );
        assert_eq!(
            runtime_info(&info),
            RuntimeInfo {
                pid: Some(4242),
                netns: Some("/var/run/netns/cni-1".into()),
                resolv_conf: Some("/var/lib/containerd/sb/resolv.conf".into()),
            }
        );
    }

    #[test]
    fn hostile_or_missing_info_is_left_out() {
        for raw in [
            "",
            "not json",
            r#"{"pid":-1}"#,
            r#"{"pid":99999999999}"#,
            r#"{"pid":"12"}"#,
            r#"{"runtimeSpec":{"linux":{"namespaces":[{"type":"network","path":"relative"}]}}}"#,
            r#"{"runtimeSpec":{"linux":{"namespaces":"x"}}}"#,
        ] {
            let mut info = BTreeMap::new();
            info.insert("info".to_string(), raw.to_string());
            assert_eq!(runtime_info(&info), RuntimeInfo::default(), "{raw}");
        }
        assert_eq!(runtime_info(&BTreeMap::new()), RuntimeInfo::default());
    }
}
