//! Every network namespace on the host, deduplicated by inode, with what lives there.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::docker::Docker;
use crate::resolve::{
    docker_netns_dir, host_ns, is_nsfs, overlay_sandbox, pid1_is_self, IP_NETNS_DIR,
};
use crate::NsError;

/// What a namespace chiefly is, for sorting and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NamespaceKind {
    /// pid 1's namespace.
    Host,
    /// Holds one or more Docker containers.
    Container,
    /// A Docker network's own namespace (overlay, ingress, load balancer).
    DockerNetwork,
    /// Named with `ip netns`.
    Netns,
    /// Held only by processes (or a bind mount) netshoot has no other name for.
    Process,
}

/// One network namespace.
#[derive(Debug, Clone, Serialize)]
pub struct Namespace {
    /// nsfs inode: the namespace's identity.
    pub inode: u64,
    /// What it chiefly is.
    pub kind: NamespaceKind,
    /// A file that enters it (`/proc/N/ns/net` or a bind mount).
    pub path: PathBuf,
    /// The SPEC to pass to `-t` for it.
    pub target: String,
    /// Docker containers in it (several when others joined with `--net container:X`).
    pub containers: Vec<NsContainer>,
    /// Docker networks whose own namespace this is.
    pub docker_networks: Vec<NsNetwork>,
    /// `ip netns` names bound to it.
    pub netns_names: Vec<String>,
    /// Processes in it that are not a container's init (omitted for the host namespace, which
    /// holds nearly everything; see `process_count`).
    pub processes: Vec<NsProcess>,
    /// How many processes live in it.
    pub process_count: usize,
}

/// A container in a namespace.
#[derive(Debug, Clone, Serialize)]
pub struct NsContainer {
    /// Name.
    pub name: String,
    /// Short id (12 hex digits).
    pub id: String,
    /// Host pid of its init process.
    pub pid: u32,
    /// Its network mode (`bridge`, `container:<id>`, a network name, …).
    pub network_mode: String,
    /// Networks it is attached to, with addresses.
    pub networks: Vec<NsContainerNet>,
}

/// A container's attachment to one network.
#[derive(Debug, Clone, Serialize)]
pub struct NsContainerNet {
    /// Network name.
    pub network: String,
    /// IPv4 address with prefix, when any.
    pub ipv4: Option<String>,
    /// Global IPv6 address, when any.
    pub ipv6: Option<String>,
}

/// A Docker network whose sandbox this is.
#[derive(Debug, Clone, Serialize)]
pub struct NsNetwork {
    /// Network name.
    pub name: String,
    /// Short id.
    pub id: String,
    /// Driver.
    pub driver: String,
    /// The sandbox file name under `/var/run/docker/netns` (`1-abc…`, `lb_…`, `ingress_sbox`).
    pub sandbox: String,
}

/// A process in a namespace.
#[derive(Debug, Clone, Serialize)]
pub struct NsProcess {
    /// Pid.
    pub pid: u32,
    /// Command name (`/proc/N/comm`).
    pub command: String,
}

/// Lists every network namespace visible from here. Docker is asked when its socket exists;
/// when it cannot be asked, the reason is returned among the warnings and the rest still listed.
pub fn list() -> Result<(Vec<Namespace>, Vec<String>), NsError> {
    let mut warnings = Vec::new();
    let mut by_inode: BTreeMap<u64, Namespace> = BTreeMap::new();
    let (host_path, _) = host_ns();
    let host_inode = std::fs::metadata(&host_path).map(|m| m.ino()).ok();

    // Processes.
    let mut unreadable = 0usize;
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .map_err(|e| NsError::Io {
            context: "reading /proc".into(),
            source: e,
        })?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let p = PathBuf::from(format!("/proc/{pid}/ns/net"));
        let Ok(meta) = std::fs::metadata(&p) else {
            unreadable += 1;
            continue;
        };
        entry(&mut by_inode, meta.ino(), &p);
        let ns = by_inode.get_mut(&meta.ino()).expect("just inserted");
        ns.process_count += 1;
        let command = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default();
        ns.processes.push(NsProcess { pid, command });
        if ns.target.starts_with('/') && ns.process_count == 1 {
            ns.target = format!("pid:{pid}");
        }
    }
    if pid1_is_self() {
        warnings.push(
            "pid 1 is netshoot itself: this container has its own pid namespace, so only its own \
             network namespace is visible; add --pid host to see the host's"
                .into(),
        );
    }
    if unreadable > 0 {
        warnings.push(format!(
            "{unreadable} process(es)' namespaces could not be read (not root, or shielded from \
             inspection; in a container add --pid host --cap-add SYS_PTRACE)"
        ));
    }

    // ip netns names.
    for (name, path) in dir_entries(Path::new(IP_NETNS_DIR)) {
        if let Ok(m) = std::fs::metadata(&path) {
            entry(&mut by_inode, m.ino(), &path);
            let ns = by_inode.get_mut(&m.ino()).expect("just inserted");
            ns.netns_names.push(name.clone());
            if ns.kind > NamespaceKind::Netns {
                ns.kind = NamespaceKind::Netns;
                ns.target = format!("netns:{name}");
                ns.path = path.clone();
            }
        }
    }

    // Docker.
    let docker_dir = docker_netns_dir();
    let docker = Docker::from_env().ok().filter(|d| d.available());
    match &docker {
        None => warnings.push(
            "Docker was not asked: no socket (from inside a container add \
             -v /var/run/docker.sock:/var/run/docker.sock)"
                .into(),
        ),
        Some(d) => {
            if let Err(e) = docker_into(d, &docker_dir, &mut by_inode) {
                warnings.push(e.to_string());
            }
        }
    }

    // Docker sandboxes no container or network claimed (stale placeholders are not nsfs).
    for (_, path) in dir_entries(&docker_dir) {
        if !is_nsfs(&path) {
            continue;
        }
        if let Ok(m) = std::fs::metadata(&path) {
            entry(&mut by_inode, m.ino(), &path);
        }
    }

    if let Some(h) = host_inode {
        if let Some(ns) = by_inode.get_mut(&h) {
            ns.kind = NamespaceKind::Host;
            ns.target = "host".into();
            ns.path = host_path.clone();
        }
    }
    let container_pids: Vec<u32> = by_inode
        .values()
        .flat_map(|n| n.containers.iter().map(|c| c.pid))
        .collect();
    let mut out: Vec<Namespace> = by_inode.into_values().collect();
    for ns in &mut out {
        if ns.kind == NamespaceKind::Host {
            ns.processes.clear();
        } else {
            ns.processes.retain(|p| !container_pids.contains(&p.pid));
        }
    }
    out.sort_by(|a, b| (a.kind, &a.target).cmp(&(b.kind, &b.target)));
    Ok((out, warnings))
}

fn docker_into(
    d: &Docker,
    docker_dir: &Path,
    by_inode: &mut BTreeMap<u64, Namespace>,
) -> Result<(), NsError> {
    for summary in d.containers(false)? {
        let Some(c) = d.inspect_container(&summary.id)? else {
            continue; // gone meanwhile
        };
        if !c.state.running || c.state.pid <= 0 {
            continue;
        }
        let pid = c.state.pid as u32;
        let proc_path = PathBuf::from(format!("/proc/{pid}/ns/net"));
        let sandbox = c
            .network_settings
            .as_ref()
            .map(|n| PathBuf::from(&n.sandbox_key))
            .filter(|p| !p.as_os_str().is_empty());
        let (path, meta) = match std::fs::metadata(&proc_path) {
            Ok(m) => (proc_path, m),
            Err(_) => match sandbox
                .as_ref()
                .and_then(|s| Some((s.clone(), std::fs::metadata(s).ok()?)))
            {
                Some(x) => x,
                None => continue,
            },
        };
        entry(by_inode, meta.ino(), &path);
        let ns = by_inode.get_mut(&meta.ino()).expect("just inserted");
        let name = c.short_name().to_string();
        let networks = c
            .network_settings
            .as_ref()
            .and_then(|n| n.networks.as_ref())
            .map(|m| {
                m.iter()
                    .map(|(net, ep)| NsContainerNet {
                        network: net.clone(),
                        ipv4: (!ep.ip_address.is_empty())
                            .then(|| format!("{}/{}", ep.ip_address, ep.ip_prefix_len)),
                        ipv6: (!ep.global_ipv6_address.is_empty())
                            .then(|| ep.global_ipv6_address.clone()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        ns.containers.push(NsContainer {
            name: name.clone(),
            id: c.id.chars().take(12).collect(),
            pid,
            network_mode: c
                .host_config
                .as_ref()
                .map(|h| h.network_mode.clone())
                .unwrap_or_default(),
            networks,
        });
        ns.containers.sort_by(|a, b| a.name.cmp(&b.name));
        if ns.kind >= NamespaceKind::Container {
            ns.kind = NamespaceKind::Container;
            // The container that owns the namespace (not one that joined it) names it.
            let joined = c
                .host_config
                .as_ref()
                .is_some_and(|h| h.network_mode.starts_with("container:"));
            if !joined || !ns.target.starts_with("container:") {
                ns.target = format!("container:{name}");
            }
        }
    }
    for n in d.networks()? {
        let mut sandboxes = Vec::new();
        if n.driver == "overlay" {
            if let Some(p) = overlay_sandbox(docker_dir, &n.id) {
                sandboxes.push(p);
            }
            let lb: String = format!("lb_{}", crate::docker::short(&n.id, 9));
            sandboxes.push(docker_dir.join(lb));
            if n.ingress {
                sandboxes.push(docker_dir.join("ingress_sbox"));
            }
        }
        for p in sandboxes {
            let Ok(m) = std::fs::metadata(&p) else {
                continue;
            };
            entry(by_inode, m.ino(), &p);
            let ns = by_inode.get_mut(&m.ino()).expect("just inserted");
            let sandbox = p
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let first = sandbox
                .split_once('-')
                .is_some_and(|(e, _)| e.parse::<u32>().is_ok());
            ns.docker_networks.push(NsNetwork {
                name: n.name.clone(),
                id: n.id.chars().take(12).collect(),
                driver: n.driver.clone(),
                sandbox,
            });
            if ns.kind > NamespaceKind::DockerNetwork {
                ns.kind = NamespaceKind::DockerNetwork;
                ns.path = p.clone();
                ns.target = if first {
                    format!("network:{}", n.name)
                } else {
                    p.display().to_string()
                };
            }
        }
    }
    Ok(())
}

/// The namespace with `inode`, created empty (kind `Process`) the first time it is seen.
fn entry(by_inode: &mut BTreeMap<u64, Namespace>, inode: u64, path: &Path) {
    by_inode.entry(inode).or_insert_with(|| Namespace {
        inode,
        kind: NamespaceKind::Process,
        path: path.to_path_buf(),
        target: path.display().to_string(),
        containers: vec![],
        docker_networks: vec![],
        netns_names: vec![],
        processes: vec![],
        process_count: 0,
    });
}

fn dir_entries(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
