//! Resolving a SPEC into a concrete [`Target`].

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::docker::{ContainerInspect, Docker};
use crate::enter::{netns_inode, open_ns};
use crate::{rootfile, NsError, TargetSpec};

/// Where Docker keeps its namespace bind mounts.
pub const DOCKER_NETNS_DIR: &str = "/var/run/docker/netns";
/// Where `ip netns` keeps its names.
pub const IP_NETNS_DIR: &str = "/var/run/netns";

/// A resolved target: what to enter and what to read for name resolution.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// The SPEC as parsed.
    pub spec: TargetSpec,
    /// A short label for prompts and messages (`container:web`).
    pub label: String,
    /// The namespace file to enter.
    pub netns: PathBuf,
    /// The nsfs inode of that namespace (its identity).
    pub inode: u64,
    /// The namespace file as opened when resolving (its inode is `inode`): [`crate::enter`]
    /// joins this descriptor rather than reopening `netns`. `None` for the current namespace.
    #[serde(skip)]
    pub ns_file: Option<Arc<File>>,
    /// A process living in the namespace, when one is known.
    pub pid: Option<u32>,
    /// The container, for container targets.
    pub container: Option<ContainerRef>,
    /// The Swarm task, for `service:` and `task:` targets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskRef>,
    /// The Kubernetes pod, for `pod:` and `cri:` targets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<crate::pods::PodRef>,
    /// The target's own `/etc/resolv.conf`, read before entering.
    #[serde(skip)]
    pub resolv_conf: Option<String>,
    /// The target's own `/etc/hosts`, read before entering.
    #[serde(skip)]
    pub hosts: Option<String>,
    /// Where `resolv_conf` and `hosts` came from.
    pub resolv_conf_path: Option<PathBuf>,
    /// Things the user should know (a bridge network lives in the host namespace, …).
    pub notes: Vec<String>,
}

/// A container a target was resolved from.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerRef {
    /// Name without the leading `/`.
    pub name: String,
    /// Full id.
    pub id: String,
}

/// The Swarm task a `service:` or `task:` target was resolved to.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRef {
    /// Task id.
    pub id: String,
    /// Its name as `docker service ps` shows it (`web.2`, or `web.<node id>` for global services).
    pub name: String,
    /// Service name.
    pub service: String,
    /// Slot (replicated services).
    pub slot: Option<u64>,
    /// The node it runs on (hostname when known, else id).
    pub node: String,
}

/// Resolves `spec` against the running system. Touches Docker and `/proc` but enters nothing.
pub fn resolve(spec: &TargetSpec) -> Result<Target, NsError> {
    match spec {
        TargetSpec::Host => host(spec),
        TargetSpec::Pid(pid) => {
            let mut t = from_pid(spec, *pid)?;
            t.label = format!("pid:{pid}");
            Ok(t)
        }
        TargetSpec::Netns(name) => netns(spec, name),
        TargetSpec::Path(p) => path(spec, p),
        TargetSpec::Container(name) => container(spec, name),
        TargetSpec::Network(name) => network(spec, name),
        TargetSpec::Service { name, slot } => crate::swarm::service_target(spec, name, *slot),
        TargetSpec::Task(id) => crate::swarm::task_target(spec, id),
        TargetSpec::Pod {
            namespace,
            name,
            container,
        } => crate::pods::pod_target(spec, namespace, name, container.as_deref()),
        TargetSpec::Sandbox { id, container } => {
            crate::pods::sandbox_target(spec, id, container.as_deref())
        }
        TargetSpec::Current => current(),
    }
}

/// Reads `rel` (`etc/resolv.conf`) through `root` as the target sees it (symlinks resolved
/// inside `root`, regular files only, at most [`rootfile::max_bytes`]); a refused file becomes a
/// note and is treated as absent, so the host's file is never read in its place.
pub(crate) fn read_target(root: &Path, rel: &str, notes: &mut Vec<String>) -> Option<String> {
    match rootfile::read_in_root(root, rel, rootfile::max_bytes()) {
        Ok(text) => text,
        Err(note) => {
            notes.push(note);
            None
        }
    }
}

/// A namespace file opened at resolve time: its path, its nsfs inode, and the open descriptor
/// that [`crate::enter`] joins, so the namespace entered is the one resolved even if the path
/// now names another (a pid reused, a bind mount replaced).
pub(crate) struct NsFile {
    path: PathBuf,
    inode: u64,
    file: Option<Arc<File>>,
}

pub(crate) fn inode_of(path: &Path, label: &str) -> Result<NsFile, NsError> {
    // Opening first turns permission problems into the right message.
    let f = open_ns(path, label)?;
    let inode = f.metadata().map(|m| m.ino()).map_err(|e| NsError::Io {
        context: format!("stat {}", path.display()),
        source: e,
    })?;
    Ok(NsFile {
        path: path.to_path_buf(),
        inode,
        file: Some(Arc::new(f)),
    })
}

/// Whether `path` is a namespace file (nsfs), not a stale placeholder left in a netns directory.
pub(crate) fn is_nsfs(path: &Path) -> bool {
    const NSFS_MAGIC: i64 = 0x6e73_6673;
    nix::sys::statfs::statfs(path)
        .map(|s| s.filesystem_type().0 == NSFS_MAGIC)
        .unwrap_or(false)
}

/// The host's root directory as seen from here: `/proc/1/root` (inside a container run with
/// `--pid host` that is the host's), kthreadd's root where pid 1 is shielded, else `/`.
pub(crate) fn host_root() -> PathBuf {
    let (_, pid) = host_ns();
    let p = PathBuf::from(format!("/proc/{pid}/root"));
    let id = |m: std::fs::Metadata| (m.dev(), m.ino());
    match (
        std::fs::metadata(&p).map(id),
        std::fs::metadata("/").map(id),
    ) {
        // Our root is the host's: plain paths read better.
        (Ok(a), Ok(b)) if a == b => PathBuf::from("/"),
        (Ok(_), _) if std::fs::read_dir(&p).is_ok() => p,
        _ => PathBuf::from("/"),
    }
}

/// Where Docker's namespace bind mounts are visible from here (through the host's root when
/// running in a container with `--pid host`, where a `-v` mount would not carry them).
pub(crate) fn docker_netns_dir() -> PathBuf {
    let d = host_root().join(DOCKER_NETNS_DIR.trim_start_matches('/'));
    if d.is_dir() {
        d
    } else {
        PathBuf::from(DOCKER_NETNS_DIR)
    }
}

/// True when pid 1 is this very program: a container without `--pid host`.
pub(crate) fn pid1_is_self() -> bool {
    matches!(
        (std::fs::read_link("/proc/1/exe"), std::fs::read_link("/proc/self/exe")),
        (Ok(a), Ok(b)) if a == b
    )
}

pub(crate) fn base(spec: &TargetSpec, ns: NsFile, root: &Path) -> Target {
    let rc = root.join("etc/resolv.conf");
    let mut notes = Vec::new();
    let resolv_conf = read_target(root, "etc/resolv.conf", &mut notes);
    let hosts = read_target(root, "etc/hosts", &mut notes);
    Target {
        label: spec.to_string(),
        spec: spec.clone(),
        netns: ns.path,
        inode: ns.inode,
        ns_file: ns.file,
        pid: None,
        container: None,
        task: None,
        pod: None,
        resolv_conf,
        hosts,
        resolv_conf_path: Some(rc),
        notes,
    }
}

/// The namespace netshoot already runs in (no `-t`): nothing to enter, the local resolver files.
pub fn current() -> Result<Target, NsError> {
    let p = PathBuf::from("/proc/thread-self/ns/net");
    let inode = netns_inode(&p).map_err(|e| NsError::Io {
        context: "reading /proc/thread-self/ns/net".into(),
        source: e,
    })?;
    let ns = NsFile {
        path: p,
        inode,
        file: None,
    };
    Ok(base(&TargetSpec::Current, ns, Path::new("/")))
}

/// The host's (initial) network namespace file: pid 1's, or, where pid 1 is shielded from
/// inspection (some sandboxes), kthreadd's: kernel threads always live in the initial namespace.
pub(crate) fn host_ns() -> (PathBuf, u32) {
    let one = PathBuf::from("/proc/1/ns/net");
    if std::fs::metadata(&one).is_err() {
        let comm = std::fs::read_to_string("/proc/2/comm").unwrap_or_default();
        if comm.trim() == "kthreadd" && std::fs::metadata("/proc/2/ns/net").is_ok() {
            return (PathBuf::from("/proc/2/ns/net"), 2);
        }
    }
    (one, 1)
}

fn host(spec: &TargetSpec) -> Result<Target, NsError> {
    let (ns, pid) = host_ns();
    let ns = inode_of(&ns, &format!("the host (pid {pid})"))?;
    let mut t = base(spec, ns, &host_root());
    t.pid = Some(pid);
    if pid1_is_self() {
        t.notes.push(
            "pid 1 is netshoot itself: this runs in a container without --pid host, so \
             'host' is this container's own namespace; add --pid host (or --net host)"
                .into(),
        );
    }
    Ok(t)
}

pub(crate) fn from_pid(spec: &TargetSpec, pid: u32) -> Result<Target, NsError> {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if !proc_dir.exists() {
        return Err(NsError::NoSuchPid {
            pid,
            hint: pid_hint(),
        });
    }
    let ns = proc_dir.join("ns/net");
    let ns = inode_of(&ns, &format!("pid {pid}"))?;
    let mut t = base(spec, ns, &proc_dir.join("root"));
    t.pid = Some(pid);
    Ok(t)
}

fn pid_hint() -> String {
    if pid1_is_self() {
        ": this container has its own pid namespace, add --pid host".into()
    } else {
        String::new()
    }
}

fn netns(spec: &TargetSpec, name: &str) -> Result<Target, NsError> {
    let p = Path::new(IP_NETNS_DIR).join(name);
    if !p.exists() {
        return Err(NsError::NoSuchNetns {
            name: name.into(),
            known: dir_names(Path::new(IP_NETNS_DIR)),
        });
    }
    let ns = inode_of(&p, &format!("netns {name}"))?;
    let mut t = base(spec, ns, &host_root());
    // `ip netns exec` bind-mounts /etc/netns/NAME/* over /etc: honour the same files.
    let root = host_root();
    let etc = format!("etc/netns/{name}");
    if let Some(rc) = read_target(&root, &format!("{etc}/resolv.conf"), &mut t.notes) {
        t.resolv_conf = Some(rc);
        t.resolv_conf_path = Some(root.join(&etc).join("resolv.conf"));
    }
    if let Some(h) = read_target(&root, &format!("{etc}/hosts"), &mut t.notes) {
        t.hosts = Some(h);
    }
    Ok(t)
}

fn path(spec: &TargetSpec, p: &Path) -> Result<Target, NsError> {
    if !p.exists() {
        return Err(NsError::BadPath {
            path: p.display().to_string(),
            why: "no such file".into(),
        });
    }
    // /proc/N/ns/net: keep the pid so the target's resolv.conf is found.
    let pid = p.strip_prefix("/proc").ok().and_then(|r| {
        let mut c = r.components();
        let n = c.next()?.as_os_str().to_str()?.parse::<u32>().ok()?;
        (c.as_path() == Path::new("ns/net")).then_some(n)
    });
    if let Some(pid) = pid {
        let mut t = from_pid(spec, pid)?;
        t.label = spec.to_string();
        return Ok(t);
    }
    if !is_nsfs(p) {
        return Err(NsError::BadPath {
            path: p.display().to_string(),
            why: "not a namespace file (expected /proc/N/ns/net or a bind mount of one, such as \
                  /var/run/netns/X or /var/run/docker/netns/X)"
                .into(),
        });
    }
    let ns = inode_of(p, &p.display().to_string())?;
    Ok(base(spec, ns, &host_root()))
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn container(spec: &TargetSpec, name: &str) -> Result<Target, NsError> {
    let docker = Docker::from_env()?;
    let c = match docker.inspect_container(name)? {
        Some(c) => c,
        None => {
            let mut running: Vec<String> =
                docker.containers(false)?.iter().map(|c| c.name()).collect();
            running.sort();
            return Err(NsError::NoSuchContainer {
                name: name.into(),
                running,
            });
        }
    };
    container_target(spec, &c)
}

pub(crate) fn container_target(spec: &TargetSpec, c: &ContainerInspect) -> Result<Target, NsError> {
    let name = c.short_name().to_string();
    if !c.state.running || c.state.pid <= 0 {
        return Err(NsError::NotRunning {
            name,
            status: c.state.status.clone(),
        });
    }
    let pid = c.state.pid as u32;
    let mut t = match from_pid(spec, pid) {
        Ok(t) => t,
        Err(NsError::NoSuchPid { .. }) => {
            // No --pid host: use Docker's own bind mount of the sandbox, if mounted in.
            let key = c
                .network_settings
                .as_ref()
                .map(|n| n.sandbox_key.clone())
                .unwrap_or_default();
            if key.is_empty() || !Path::new(&key).exists() {
                return Err(NsError::NoSuchPid {
                    pid,
                    hint: format!(
                        " (container {name}'s init process): add --pid host, or mount \
                         -v /var/run/docker/netns:/var/run/docker/netns"
                    ),
                });
            }
            let p = PathBuf::from(key);
            let ns = inode_of(&p, &format!("container {name}"))?;
            let mut t = base(spec, ns, &host_root());
            // Docker keeps the container's resolv.conf and hosts beside its config.
            let root = host_root();
            let dir = format!("var/lib/docker/containers/{}", c.id);
            t.resolv_conf = read_target(&root, &format!("{dir}/resolv.conf"), &mut t.notes);
            t.hosts = read_target(&root, &format!("{dir}/hosts"), &mut t.notes);
            t.resolv_conf_path = Some(root.join(&dir).join("resolv.conf"));
            t
        }
        Err(e) => return Err(e),
    };
    t.label = format!("container:{name}");
    t.container = Some(ContainerRef {
        name: name.clone(),
        id: c.id.clone(),
    });
    if c.state.paused {
        t.notes.push(format!(
            "container {name} is paused: nothing in it answers until 'docker unpause {name}'"
        ));
    }
    if let Some(hc) = &c.host_config {
        if hc.network_mode == "host" {
            t.notes.push(format!(
                "container {name} runs with --net host: its namespace is the host's"
            ));
        } else if hc.network_mode == "none" {
            t.notes.push(format!(
                "container {name} runs with --net none: only a loopback interface"
            ));
        }
    }
    Ok(t)
}

fn network(spec: &TargetSpec, name: &str) -> Result<Target, NsError> {
    let docker = Docker::from_env()?;
    let n = match docker.inspect_network(name)? {
        Some(n) => n,
        None => {
            let mut known: Vec<String> = docker.networks()?.into_iter().map(|n| n.name).collect();
            known.sort();
            return Err(NsError::NoSuchNetwork {
                name: name.into(),
                known,
            });
        }
    };
    match n.driver.as_str() {
        "bridge" => {
            let mut t = host(spec)?;
            t.label = format!("network:{}", n.name);
            let dev = n.bridge_device().unwrap_or_default();
            t.notes.push(format!(
                "network {} is a bridge network: its bridge {dev} lives in the host namespace, \
                 so this runs in the host namespace (look at {dev} there)",
                n.name
            ));
            Ok(t)
        }
        "overlay" => {
            let dir = docker_netns_dir();
            let found = overlay_sandbox(&dir, &n.id);
            let Some(p) = found else {
                return Err(NsError::NetworkNamespaceMissing {
                    name: n.name.clone(),
                    dir: dir.display().to_string(),
                });
            };
            let ns = inode_of(&p, &format!("network {}", n.name))?;
            let mut t = base(spec, ns, &host_root());
            t.label = format!("network:{}", n.name);
            t.notes.push(format!(
                "overlay network {}: namespace {} holds its bridge br0 and the vxlan device",
                n.name,
                p.display()
            ));
            Ok(t)
        }
        other => Err(NsError::NetworkWithoutNamespace {
            name: n.name.clone(),
            driver: other.to_string(),
        }),
    }
}

/// Docker names an overlay network's sandbox `<epoch>-<id prefix>` (12 characters in all).
pub(crate) fn overlay_sandbox(dir: &Path, id: &str) -> Option<PathBuf> {
    let mut best: Option<(u32, PathBuf)> = None;
    for name in dir_names(dir) {
        let Some((epoch, prefix)) = name.split_once('-') else {
            continue;
        };
        let Ok(e) = epoch.parse::<u32>() else {
            continue;
        };
        let p = dir.join(&name);
        if !prefix.is_empty()
            && id.starts_with(prefix)
            && best.as_ref().is_none_or(|(b, _)| e > *b)
            && is_nsfs(&p)
        {
            best = Some((e, p));
        }
    }
    best.map(|(_, p)| p)
}
