//! Network-namespace targets for netshoot.
//!
//! Resolve a [`TargetSpec`] into a [`Target`] (Docker API over the unix socket, the container
//! runtime's CRI socket for Kubernetes pods, `/proc`, `/var/run/netns`), then [`enter`] it on
//! the main thread *before* any other thread or async runtime exists: `setns(CLONE_NEWNET)`
//! moves only the calling thread, and threads inherit the namespace of the thread that creates
//! them.

pub mod cri;
pub mod docker;
mod enter;
mod exec;
mod list;
pub mod pods;
mod resolve;
pub mod rootfile;
pub mod spec;
pub mod swarm;

pub use enter::{current_inode, enter, in_namespace, netns_inode};
pub use exec::{exec, prompt_safe, ExecRequest};
pub use list::{list, Namespace, NamespaceKind, NsContainer, NsContainerNet, NsNetwork, NsProcess};
pub use resolve::{current, resolve, ContainerRef, Target, TaskRef};
pub use spec::TargetSpec;

/// Everything that can go wrong while resolving or entering a target. Each message is one line
/// that names the problem and the fix.
#[derive(Debug, thiserror::Error)]
pub enum NsError {
    /// The SPEC does not parse.
    #[error("bad target '{spec}': {why}; accepted forms: {forms}", forms = spec::FORMS)]
    BadSpec {
        /// What the user wrote.
        spec: String,
        /// Why it does not parse.
        why: String,
    },
    /// The Docker engine cannot be used.
    #[error("{why}")]
    Docker {
        /// Message naming the fix.
        why: String,
    },
    /// The container runtime's CRI socket cannot be used.
    #[error("{why}")]
    Cri {
        /// Message naming the socket and the fix.
        why: String,
    },
    /// A `pod:` or `cri:` target that names no running sandbox (or container) on this node.
    #[error("{why}")]
    PodTarget {
        /// Message naming the problem and the pods there are.
        why: String,
    },
    /// No container has that name or id.
    #[error(
        "no container '{name}'; {}",
        list_or_none("running containers", running)
    )]
    NoSuchContainer {
        /// What the user asked for.
        name: String,
        /// Names of the running containers.
        running: Vec<String>,
    },
    /// A `service:` or `task:` target that names no running task on this node (no such
    /// service or task, a slot out of range, an ambiguous prefix, a task on another node).
    #[error("{why}")]
    SwarmTarget {
        /// Message naming the problem and the fix.
        why: String,
    },
    /// The container exists but does not run.
    #[error(
        "container '{name}' is not running (status: {status}): start it with 'docker start {name}'"
    )]
    NotRunning {
        /// Container name.
        name: String,
        /// Docker status word.
        status: String,
    },
    /// No Docker network has that name or id.
    #[error("no Docker network '{name}'; {}", list_or_none("networks", known))]
    NoSuchNetwork {
        /// What the user asked for.
        name: String,
        /// Known network names.
        known: Vec<String>,
    },
    /// A network whose driver makes no namespace of its own.
    #[error("network '{name}' (driver {driver}) has no network namespace of its own: target one of its containers instead (-t CONTAINER)")]
    NetworkWithoutNamespace {
        /// Network name.
        name: String,
        /// Its driver.
        driver: String,
    },
    /// An overlay network whose sandbox is not on this host (or not visible).
    #[error("network '{name}' has no namespace under {dir} on this host: it appears once a container or task on it runs here; from inside a container add -v /var/run/docker/netns:/var/run/docker/netns")]
    NetworkNamespaceMissing {
        /// Network name.
        name: String,
        /// Directory searched.
        dir: String,
    },
    /// No `ip netns` namespace of that name.
    #[error(
        "no network namespace '{name}' under /var/run/netns; {}",
        list_or_none("'ip netns' namespaces", known)
    )]
    NoSuchNetns {
        /// What the user asked for.
        name: String,
        /// Known names.
        known: Vec<String>,
    },
    /// No process with that pid is visible.
    #[error("no process {pid} is visible here{hint}")]
    NoSuchPid {
        /// The pid.
        pid: u32,
        /// How to make it visible.
        hint: String,
    },
    /// A path that does not exist or is not a network namespace.
    #[error("{path}: {why}")]
    BadPath {
        /// The path.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// Not allowed to open or enter a namespace.
    #[error("{what}: permission denied ({cap} is needed): run as root, or give the netshoot container {flags}")]
    Permission {
        /// What was attempted.
        what: String,
        /// The capability that is missing.
        cap: &'static str,
        /// Docker flags that grant it.
        flags: &'static str,
    },
    /// A program could not be started inside the target.
    #[error("cannot run '{program}': {why}")]
    Exec {
        /// The program.
        program: String,
        /// Why.
        why: String,
        /// The exit status to use (127 not found, 126 not executable).
        status: i32,
    },
    /// An internal invariant was broken (entering after threads exist).
    #[error("internal error: {0}")]
    Internal(String),
    /// Any other I/O failure.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}

impl NsError {
    /// The process exit status for this error: 2 (usage or environment) except for exec
    /// failures, which follow the shell convention (127 not found, 126 not executable).
    pub fn exit_code(&self) -> i32 {
        match self {
            NsError::Exec { status, .. } => *status,
            _ => 2,
        }
    }
}

pub(crate) fn list_or_none(what: &str, items: &[String]) -> String {
    if items.is_empty() {
        format!("there are no {what}")
    } else {
        const MAX: usize = 12;
        let mut s = items
            .iter()
            .take(MAX)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if items.len() > MAX {
            s.push_str(&format!(" and {} more", items.len() - MAX));
        }
        format!("{what}: {s}")
    }
}
