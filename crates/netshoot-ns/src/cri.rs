//! A small client of the Kubernetes Container Runtime Interface (CRI v1, `runtime.v1`) over the
//! runtime's unix socket: gRPC over HTTP/2 (h2), messages in protobuf (prost).
//!
//! Synchronous to its callers: targets are resolved on the main thread before any thread
//! exists, so each call builds a current-thread tokio runtime (no worker threads), runs one
//! request to completion within the client's deadline, and drops the runtime again. Every wait
//! is bounded by that deadline (connect, handshake, request, answer, trailers) and every
//! answer by [`MAX_MESSAGE_BYTES`].
//!
//! The messages are the few `runtime.v1` ones netshoot needs, declared with the field numbers
//! of the upstream `api.proto` (kubernetes/cri-api, `pkg/apis/runtime/v1/api.proto`); fields
//! netshoot does not declare are skipped by the decoder, as protobuf intends.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use prost::Message;

use crate::NsError;

/// containerd's socket (its CRI plugin serves `runtime.v1` there).
pub const CONTAINERD_SOCKET: &str = "/run/containerd/containerd.sock";
/// CRI-O's socket.
pub const CRIO_SOCKET: &str = "/var/run/crio/crio.sock";
/// The sockets tried, in order, when none is chosen.
pub const DEFAULT_SOCKETS: [&str; 2] = [CONTAINERD_SOCKET, CRIO_SOCKET];
/// The environment variable that chooses the socket (a path or `unix://PATH`); the
/// `--cri-socket` flag wins over it, and it wins over crictl's `CONTAINER_RUNTIME_ENDPOINT`.
pub const SOCKET_ENV: &str = "NETSHOOT_CRI_SOCKET";
/// crictl's variable for the same, honoured when [`SOCKET_ENV`] is unset.
pub const CRICTL_ENDPOINT_ENV: &str = "CONTAINER_RUNTIME_ENDPOINT";
/// The default bound on one whole call (connect, handshake, request, answer): 5 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The environment variable that changes it (seconds, decimals allowed).
pub const TIMEOUT_ENV: &str = "NETSHOOT_CRI_TIMEOUT";
/// The largest answer accepted: 16 MiB (kubelet's own gRPC limit).
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;
/// The largest header block accepted from the runtime.
const MAX_HEADER_BYTES: u32 = 64 << 10;

static SOCKET_FLAG: OnceLock<PathBuf> = OnceLock::new();

/// Records the `--cri-socket` flag for every later [`Cri::from_env`] in this process (the first
/// call wins).
pub fn set_socket(path: PathBuf) {
    let _ = SOCKET_FLAG.set(path);
}

/// The CRI messages netshoot uses (`runtime.v1`), with upstream field numbers.
#[allow(missing_docs)]
pub mod api {
    use std::collections::BTreeMap;

    /// `PodSandboxState`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum PodSandboxState {
        SandboxReady = 0,
        SandboxNotready = 1,
    }

    /// `NamespaceMode`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum NamespaceMode {
        Pod = 0,
        Container = 1,
        Node = 2,
        Target = 3,
    }

    /// `ContainerState`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum ContainerState {
        ContainerCreated = 0,
        ContainerRunning = 1,
        ContainerExited = 2,
        ContainerUnknown = 3,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxMetadata {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(string, tag = "2")]
        pub uid: String,
        #[prost(string, tag = "3")]
        pub namespace: String,
        #[prost(uint32, tag = "4")]
        pub attempt: u32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct DnsConfig {
        #[prost(string, repeated, tag = "1")]
        pub servers: Vec<String>,
        #[prost(string, repeated, tag = "2")]
        pub searches: Vec<String>,
        #[prost(string, repeated, tag = "3")]
        pub options: Vec<String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NamespaceOption {
        #[prost(enumeration = "NamespaceMode", tag = "1")]
        pub network: i32,
        #[prost(enumeration = "NamespaceMode", tag = "2")]
        pub pid: i32,
        #[prost(enumeration = "NamespaceMode", tag = "3")]
        pub ipc: i32,
        #[prost(string, tag = "4")]
        pub target_id: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LinuxSandboxSecurityContext {
        #[prost(message, optional, tag = "1")]
        pub namespace_options: Option<NamespaceOption>,
        #[prost(bool, tag = "4")]
        pub readonly_rootfs: bool,
        #[prost(bool, tag = "6")]
        pub privileged: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LinuxPodSandboxConfig {
        #[prost(string, tag = "1")]
        pub cgroup_parent: String,
        #[prost(message, optional, tag = "2")]
        pub security_context: Option<LinuxSandboxSecurityContext>,
        #[prost(btree_map = "string, string", tag = "3")]
        pub sysctls: BTreeMap<String, String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxConfig {
        #[prost(message, optional, tag = "1")]
        pub metadata: Option<PodSandboxMetadata>,
        #[prost(string, tag = "2")]
        pub hostname: String,
        #[prost(string, tag = "3")]
        pub log_directory: String,
        #[prost(message, optional, tag = "4")]
        pub dns_config: Option<DnsConfig>,
        #[prost(btree_map = "string, string", tag = "6")]
        pub labels: BTreeMap<String, String>,
        #[prost(btree_map = "string, string", tag = "7")]
        pub annotations: BTreeMap<String, String>,
        #[prost(message, optional, tag = "8")]
        pub linux: Option<LinuxPodSandboxConfig>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RunPodSandboxRequest {
        #[prost(message, optional, tag = "1")]
        pub config: Option<PodSandboxConfig>,
        #[prost(string, tag = "2")]
        pub runtime_handler: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RunPodSandboxResponse {
        #[prost(string, tag = "1")]
        pub pod_sandbox_id: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct StopPodSandboxRequest {
        #[prost(string, tag = "1")]
        pub pod_sandbox_id: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct StopPodSandboxResponse {}

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RemovePodSandboxRequest {
        #[prost(string, tag = "1")]
        pub pod_sandbox_id: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RemovePodSandboxResponse {}

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxStatusRequest {
        #[prost(string, tag = "1")]
        pub pod_sandbox_id: String,
        #[prost(bool, tag = "2")]
        pub verbose: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodIp {
        #[prost(string, tag = "1")]
        pub ip: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxNetworkStatus {
        #[prost(string, tag = "1")]
        pub ip: String,
        #[prost(message, repeated, tag = "2")]
        pub additional_ips: Vec<PodIp>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Namespace {
        #[prost(message, optional, tag = "2")]
        pub options: Option<NamespaceOption>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LinuxPodSandboxStatus {
        #[prost(message, optional, tag = "1")]
        pub namespaces: Option<Namespace>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxStatus {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(message, optional, tag = "2")]
        pub metadata: Option<PodSandboxMetadata>,
        #[prost(enumeration = "PodSandboxState", tag = "3")]
        pub state: i32,
        #[prost(int64, tag = "4")]
        pub created_at: i64,
        #[prost(message, optional, tag = "5")]
        pub network: Option<PodSandboxNetworkStatus>,
        #[prost(message, optional, tag = "6")]
        pub linux: Option<LinuxPodSandboxStatus>,
        #[prost(btree_map = "string, string", tag = "7")]
        pub labels: BTreeMap<String, String>,
        #[prost(btree_map = "string, string", tag = "8")]
        pub annotations: BTreeMap<String, String>,
        #[prost(string, tag = "9")]
        pub runtime_handler: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxStatusResponse {
        #[prost(message, optional, tag = "1")]
        pub status: Option<PodSandboxStatus>,
        #[prost(btree_map = "string, string", tag = "2")]
        pub info: BTreeMap<String, String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxStateValue {
        #[prost(enumeration = "PodSandboxState", tag = "1")]
        pub state: i32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxFilter {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(message, optional, tag = "2")]
        pub state: Option<PodSandboxStateValue>,
        #[prost(btree_map = "string, string", tag = "3")]
        pub label_selector: BTreeMap<String, String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListPodSandboxRequest {
        #[prost(message, optional, tag = "1")]
        pub filter: Option<PodSandboxFilter>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandbox {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(message, optional, tag = "2")]
        pub metadata: Option<PodSandboxMetadata>,
        #[prost(enumeration = "PodSandboxState", tag = "3")]
        pub state: i32,
        #[prost(int64, tag = "4")]
        pub created_at: i64,
        #[prost(btree_map = "string, string", tag = "5")]
        pub labels: BTreeMap<String, String>,
        #[prost(btree_map = "string, string", tag = "6")]
        pub annotations: BTreeMap<String, String>,
        #[prost(string, tag = "7")]
        pub runtime_handler: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListPodSandboxResponse {
        #[prost(message, repeated, tag = "1")]
        pub items: Vec<PodSandbox>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerMetadata {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(uint32, tag = "2")]
        pub attempt: u32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerStateValue {
        #[prost(enumeration = "ContainerState", tag = "1")]
        pub state: i32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerFilter {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(message, optional, tag = "2")]
        pub state: Option<ContainerStateValue>,
        #[prost(string, tag = "3")]
        pub pod_sandbox_id: String,
        #[prost(btree_map = "string, string", tag = "4")]
        pub label_selector: BTreeMap<String, String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListContainersRequest {
        #[prost(message, optional, tag = "1")]
        pub filter: Option<ContainerFilter>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Container {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(string, tag = "2")]
        pub pod_sandbox_id: String,
        #[prost(message, optional, tag = "3")]
        pub metadata: Option<ContainerMetadata>,
        #[prost(string, tag = "5")]
        pub image_ref: String,
        #[prost(enumeration = "ContainerState", tag = "6")]
        pub state: i32,
        #[prost(int64, tag = "7")]
        pub created_at: i64,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListContainersResponse {
        #[prost(message, repeated, tag = "1")]
        pub containers: Vec<Container>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerStatusRequest {
        #[prost(string, tag = "1")]
        pub container_id: String,
        #[prost(bool, tag = "2")]
        pub verbose: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerStatusResponse {
        #[prost(btree_map = "string, string", tag = "2")]
        pub info: BTreeMap<String, String>,
    }
}

/// Where the socket in use was chosen (it shapes the error message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketSource {
    /// `--cri-socket`.
    Flag,
    /// [`SOCKET_ENV`] or [`CRICTL_ENDPOINT_ENV`].
    Env,
    /// One of [`DEFAULT_SOCKETS`] that exists.
    Default,
}

/// A connection recipe for a CRI runtime.
#[derive(Debug, Clone)]
pub struct Cri {
    socket: PathBuf,
    source: SocketSource,
    timeout: Duration,
}

/// What a call can come back with, before it is turned into a user-facing error.
#[derive(Debug)]
pub enum CallError {
    /// The socket could not be reached (missing, refused, permission, the deadline).
    Unreachable(std::io::Error),
    /// The runtime answered with a gRPC status other than OK.
    Status(u32, String),
    /// The answer was not gRPC as expected.
    Malformed(String),
}

/// gRPC status NOT_FOUND.
pub const GRPC_NOT_FOUND: u32 = 5;
/// gRPC status UNIMPLEMENTED.
pub const GRPC_UNIMPLEMENTED: u32 = 12;

fn socket_path(v: &str) -> PathBuf {
    PathBuf::from(v.strip_prefix("unix://").unwrap_or(v))
}

impl Cri {
    /// The socket from `--cri-socket` ([`set_socket`]), else [`SOCKET_ENV`], else crictl's
    /// [`CRICTL_ENDPOINT_ENV`] (a `unix://` address), else the first of [`DEFAULT_SOCKETS`]
    /// that exists here or under the host's root (`/proc/1/root`, in a container with
    /// `--pid host`). An error when none is chosen and none exists.
    pub fn from_env() -> Result<Self, NsError> {
        let timeout = crate::docker::timeout_from(TIMEOUT_ENV, DEFAULT_TIMEOUT);
        if let Some(p) = SOCKET_FLAG.get() {
            return Ok(Cri {
                socket: p.clone(),
                source: SocketSource::Flag,
                timeout,
            });
        }
        let env = std::env::var(SOCKET_ENV)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| {
                std::env::var(CRICTL_ENDPOINT_ENV)
                    .ok()
                    .filter(|v| v.starts_with("unix://"))
            });
        if let Some(v) = env {
            return Ok(Cri {
                socket: socket_path(&v),
                source: SocketSource::Env,
                timeout,
            });
        }
        let root = crate::resolve::host_root();
        for s in DEFAULT_SOCKETS {
            for p in [PathBuf::from(s), root.join(s.trim_start_matches('/'))] {
                if p.exists() {
                    return Ok(Cri {
                        socket: p,
                        source: SocketSource::Default,
                        timeout,
                    });
                }
            }
        }
        Err(NsError::Cri {
            why: format!(
                "no container runtime (CRI) socket at {CONTAINERD_SOCKET} (containerd) or \
                 {CRIO_SOCKET} (CRI-O): run netshoot on the node as root, or from inside a \
                 container mount the runtime's socket (-v {CONTAINERD_SOCKET}:{CONTAINERD_SOCKET}), \
                 or choose one with --cri-socket PATH ({SOCKET_ENV}=PATH)"
            ),
        })
    }

    /// A client of the socket at `path` with the default bound.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Cri {
            socket: path.into(),
            source: SocketSource::Flag,
            timeout: crate::docker::timeout_from(TIMEOUT_ENV, DEFAULT_TIMEOUT),
        }
    }

    /// The same client with another bound on each whole call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The socket path in use.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// How the socket was chosen.
    pub fn source(&self) -> SocketSource {
        self.source
    }

    /// Whether the pids the runtime reports are this process's: the socket's peer (the
    /// runtime, by `SO_PEERCRED`) is visible here and lives in this pid namespace. Not so in a
    /// container with a pid namespace of its own, where a runtime's pid names another process.
    pub fn shares_pid_namespace(&self) -> bool {
        use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
        let deadline = Instant::now() + self.timeout;
        let Ok(s) = crate::docker::connect_unix(&self.socket, deadline) else {
            return false;
        };
        let pid = match getsockopt(&s, PeerCredentials) {
            Ok(c) if c.pid() > 0 => c.pid(),
            _ => return false,
        };
        let ns = |p: &str| std::fs::read_link(format!("/proc/{p}/ns/pid")).ok();
        let theirs = ns(&pid.to_string());
        theirs.is_some() && theirs == ns("self")
    }

    /// One unary call of `runtime.v1.RuntimeService/METHOD`, bounded by the client's timeout
    /// from connect to the trailers; answers over [`MAX_MESSAGE_BYTES`] are refused.
    pub fn call<Req: Message, Resp: Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> Result<Resp, CallError> {
        let deadline = Instant::now() + self.timeout;
        let std_stream = crate::docker::connect_unix(&self.socket, deadline)
            .map_err(|e| CallError::Unreachable(self.timed_out_if(e, "connecting")))?;
        std_stream
            .set_nonblocking(true)
            .map_err(CallError::Unreachable)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(CallError::Unreachable)?;
        let body = frame(&req.encode_to_vec());
        let path = format!("/runtime.v1.RuntimeService/{method}");
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = rt.block_on(async {
            match tokio::time::timeout(left, unary(std_stream, &path, body)).await {
                Ok(r) => r,
                Err(_) => Err(CallError::Unreachable(
                    self.timed_out("waiting for the answer"),
                )),
            }
        });
        drop(rt);
        let msg = answer?;
        Resp::decode(msg.as_slice())
            .map_err(|e| CallError::Malformed(format!("{method}: bad protobuf message: {e}")))
    }

    fn timed_out(&self, what: &str) -> std::io::Error {
        crate::docker::timed_out_error(TIMEOUT_ENV, self.timeout, what)
    }

    fn timed_out_if(&self, e: std::io::Error, what: &str) -> std::io::Error {
        if e.kind() == std::io::ErrorKind::TimedOut {
            self.timed_out(what)
        } else {
            e
        }
    }

    /// Turns a call's failure into the one-line user-facing error naming the socket and the
    /// flag or mount that fixes it.
    pub fn to_error(&self, method: &str, e: CallError) -> NsError {
        let sock = self.socket.display();
        let why = match e {
            CallError::Unreachable(io) => match io.kind() {
                std::io::ErrorKind::NotFound => {
                    let how = match self.source {
                        SocketSource::Flag => "--cri-socket names a socket that does not exist",
                        SocketSource::Env => "the environment names a socket that does not exist",
                        SocketSource::Default => "the runtime is gone",
                    };
                    format!(
                        "no container runtime (CRI) socket at {sock} ({how}): choose the \
                         runtime's socket with --cri-socket PATH, or from inside a container \
                         mount it (-v {sock}:{sock})"
                    )
                }
                std::io::ErrorKind::PermissionDenied => format!(
                    "permission denied on the CRI socket {sock}: run as root (the runtime's \
                     socket is root's)"
                ),
                std::io::ErrorKind::ConnectionRefused => format!(
                    "nothing answers on the CRI socket {sock} (connection refused): is the \
                     container runtime running? (--cri-socket PATH chooses another)"
                ),
                std::io::ErrorKind::TimedOut => {
                    format!("the container runtime on {sock} is not answering: {io}")
                }
                _ => format!("cannot talk to the container runtime on {sock}: {io}"),
            },
            CallError::Status(GRPC_UNIMPLEMENTED, m) => format!(
                "the runtime on {sock} does not serve the CRI (runtime.v1.RuntimeService/\
                 {method}: {m}): is its CRI plugin enabled? (--cri-socket PATH chooses another \
                 socket)"
            ),
            CallError::Status(code, m) => {
                format!("the container runtime on {sock} answered {method} with gRPC status {code}: {m}")
            }
            CallError::Malformed(m) => {
                format!("unexpected answer from the container runtime on {sock}: {m}")
            }
        };
        NsError::Cri { why }
    }

    /// `ListPodSandbox` with no filter: every sandbox the runtime knows.
    pub fn list_pod_sandboxes(&self) -> Result<Vec<api::PodSandbox>, NsError> {
        let r: api::ListPodSandboxResponse = self
            .call("ListPodSandbox", &api::ListPodSandboxRequest::default())
            .map_err(|e| self.to_error("ListPodSandbox", e))?;
        Ok(r.items)
    }

    /// `PodSandboxStatus` (verbose: with the runtime's `info`); `Ok(None)` when the runtime
    /// knows no such sandbox.
    pub fn pod_sandbox_status(
        &self,
        id: &str,
    ) -> Result<Option<api::PodSandboxStatusResponse>, NsError> {
        let req = api::PodSandboxStatusRequest {
            pod_sandbox_id: id.to_string(),
            verbose: true,
        };
        match self.call("PodSandboxStatus", &req) {
            Ok(r) => Ok(Some(r)),
            Err(CallError::Status(GRPC_NOT_FOUND, _)) => Ok(None),
            Err(e) => Err(self.to_error("PodSandboxStatus", e)),
        }
    }

    /// `ListContainers` of one sandbox, or of every sandbox (`""`).
    pub fn containers_of(&self, sandbox_id: &str) -> Result<Vec<api::Container>, NsError> {
        let req = api::ListContainersRequest {
            filter: Some(api::ContainerFilter {
                pod_sandbox_id: sandbox_id.to_string(),
                ..Default::default()
            }),
        };
        let r: api::ListContainersResponse = self
            .call("ListContainers", &req)
            .map_err(|e| self.to_error("ListContainers", e))?;
        Ok(r.containers)
    }

    /// `ContainerStatus` (verbose) of one container: the runtime's `info`.
    pub fn container_info(
        &self,
        id: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, NsError> {
        let req = api::ContainerStatusRequest {
            container_id: id.to_string(),
            verbose: true,
        };
        let r: api::ContainerStatusResponse = self
            .call("ContainerStatus", &req)
            .map_err(|e| self.to_error("ContainerStatus", e))?;
        Ok(r.info)
    }

    /// `RunPodSandbox`: creates and starts a sandbox, returning its id.
    pub fn run_pod_sandbox(&self, config: api::PodSandboxConfig) -> Result<String, NsError> {
        let req = api::RunPodSandboxRequest {
            config: Some(config),
            runtime_handler: String::new(),
        };
        let r: api::RunPodSandboxResponse = self
            .call("RunPodSandbox", &req)
            .map_err(|e| self.to_error("RunPodSandbox", e))?;
        Ok(r.pod_sandbox_id)
    }

    /// `StopPodSandbox`.
    pub fn stop_pod_sandbox(&self, id: &str) -> Result<(), NsError> {
        let req = api::StopPodSandboxRequest {
            pod_sandbox_id: id.to_string(),
        };
        self.call::<_, api::StopPodSandboxResponse>("StopPodSandbox", &req)
            .map(|_| ())
            .map_err(|e| self.to_error("StopPodSandbox", e))
    }

    /// `RemovePodSandbox`.
    pub fn remove_pod_sandbox(&self, id: &str) -> Result<(), NsError> {
        let req = api::RemovePodSandboxRequest {
            pod_sandbox_id: id.to_string(),
        };
        self.call::<_, api::RemovePodSandboxResponse>("RemovePodSandbox", &req)
            .map(|_| ())
            .map_err(|e| self.to_error("RemovePodSandbox", e))
    }
}

/// A gRPC length-prefixed message: flag 0 (uncompressed), the length (u32 big-endian), the bytes.
pub fn frame(msg: &[u8]) -> Bytes {
    let mut v = Vec::with_capacity(5 + msg.len());
    v.push(0);
    v.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    v.extend_from_slice(msg);
    Bytes::from(v)
}

/// The one message in a unary answer's body: exactly one uncompressed frame no longer than
/// `max`. The code every answer goes through; unit-tested on hostile bodies.
pub fn unframe(body: &[u8], max: usize) -> Result<&[u8], CallError> {
    if body.len() < 5 {
        return Err(CallError::Malformed(format!(
            "a gRPC answer of {} bytes (a message frame is at least 5)",
            body.len()
        )));
    }
    if body[0] != 0 {
        return Err(CallError::Malformed(format!(
            "a gRPC message with flags {:#04x} (compressed; none was asked for)",
            body[0]
        )));
    }
    let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    if len > max {
        return Err(CallError::Malformed(format!(
            "a gRPC message of {len} bytes (the limit is {max})"
        )));
    }
    if body.len() - 5 != len {
        return Err(CallError::Malformed(format!(
            "a gRPC frame announcing {len} bytes in a body of {} after the prefix",
            body.len() - 5
        )));
    }
    Ok(&body[5..])
}

/// `grpc-message` is percent-encoded (gRPC over HTTP/2): decoded, invalid UTF-8 replaced,
/// at most 1 KiB kept.
pub fn grpc_message(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() && out.len() < 1024 {
        let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        match raw[i] {
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The gRPC status in a header block: `Some((code, message))` when `grpc-status` is present.
fn status_of(h: &http::HeaderMap) -> Option<Result<(u32, String), CallError>> {
    let code = h.get("grpc-status")?;
    let code = match std::str::from_utf8(code.as_bytes())
        .ok()
        .and_then(|c| c.trim().parse::<u32>().ok())
    {
        Some(c) => c,
        None => {
            return Some(Err(CallError::Malformed(
                "a grpc-status that is not a number".into(),
            )))
        }
    };
    let msg = h
        .get("grpc-message")
        .map(|m| grpc_message(m.as_bytes()))
        .unwrap_or_default();
    Some(Ok((code, msg)))
}

fn h2_error(e: h2::Error) -> CallError {
    match e.get_io() {
        Some(io) => CallError::Unreachable(std::io::Error::new(io.kind(), io.to_string())),
        None => CallError::Malformed(format!("HTTP/2: {e}")),
    }
}

async fn unary(
    stream: std::os::unix::net::UnixStream,
    path: &str,
    body: Bytes,
) -> Result<Vec<u8>, CallError> {
    let io = tokio::net::UnixStream::from_std(stream).map_err(CallError::Unreachable)?;
    let (client, conn) = h2::client::Builder::new()
        .max_header_list_size(MAX_HEADER_BYTES)
        .initial_window_size(1 << 20)
        .enable_push(false)
        .handshake::<_, Bytes>(io)
        .await
        .map_err(h2_error)?;
    // The connection is driven on this (the only) thread while the request waits.
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let result = async {
        let mut client = client.ready().await.map_err(h2_error)?;
        let req = http::Request::builder()
            .method("POST")
            .uri(format!("http://localhost{path}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("user-agent", "netshoot")
            .body(())
            .map_err(|e| CallError::Malformed(e.to_string()))?;
        let (resp, mut send) = client.send_request(req, false).map_err(h2_error)?;
        send.send_data(body, true).map_err(h2_error)?;
        let resp = resp.await.map_err(h2_error)?;
        let (head, mut recv) = resp.into_parts();
        if head.status != http::StatusCode::OK {
            return Err(CallError::Malformed(format!(
                "HTTP status {} (not a gRPC server?)",
                head.status
            )));
        }
        // A trailers-only answer carries the status in the headers.
        if let Some(st) = status_of(&head.headers) {
            let (code, msg) = st?;
            if code != 0 {
                return Err(CallError::Status(code, msg));
            }
        }
        let mut buf: Vec<u8> = Vec::new();
        while let Some(chunk) = recv.data().await {
            let chunk = chunk.map_err(h2_error)?;
            let _ = recv.flow_control().release_capacity(chunk.len());
            if buf.len() + chunk.len() > MAX_MESSAGE_BYTES + 5 {
                return Err(CallError::Malformed(format!(
                    "an answer over {} MiB",
                    MAX_MESSAGE_BYTES >> 20
                )));
            }
            buf.extend_from_slice(&chunk);
        }
        let trailers = recv.trailers().await.map_err(h2_error)?;
        match trailers.as_ref().and_then(status_of) {
            Some(Ok((0, _))) => {}
            Some(Ok((code, msg))) => return Err(CallError::Status(code, msg)),
            Some(Err(e)) => return Err(e),
            None if head.headers.contains_key("grpc-status") => {}
            None => return Err(CallError::Malformed("an answer without grpc-status".into())),
        }
        Ok(unframe(&buf, MAX_MESSAGE_BYTES)?.to_vec())
    }
    .await;
    conn.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let m = api::PodSandboxStatusRequest {
            pod_sandbox_id: "abc".into(),
            verbose: true,
        };
        let f = frame(&m.encode_to_vec());
        assert_eq!(f[0], 0);
        let inner = unframe(&f, 100).unwrap();
        assert_eq!(api::PodSandboxStatusRequest::decode(inner).unwrap(), m);
    }

    #[test]
    fn hostile_bodies_are_refused() {
        for (body, want) in [
            (&b""[..], "at least 5"),
            (&[0, 0, 0][..], "at least 5"),
            (&[1, 0, 0, 0, 0][..], "compressed"),
            (&[0, 0xff, 0xff, 0xff, 0xff][..], "the limit"),
            (&[0, 0, 0, 0, 3, 1][..], "announcing 3"),
            (&[0, 0, 0, 0, 1, 1, 2][..], "announcing 1"),
        ] {
            match unframe(body, 1 << 20) {
                Err(CallError::Malformed(m)) => assert!(m.contains(want), "{body:?}: {m}"),
                other => panic!("{body:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn grpc_message_is_percent_decoded_and_capped() {
        assert_eq!(grpc_message(b"not%20found"), "not found");
        assert_eq!(grpc_message(b"100%"), "100%");
        assert_eq!(grpc_message(b"%zz"), "%zz");
        assert_eq!(grpc_message(b"%E2%9C%93"), "\u{2713}");
        assert!(grpc_message(&[b'a'; 5000]).len() <= 1024);
    }

    #[test]
    fn wire_layout_matches_the_upstream_field_numbers() {
        // PodSandboxMetadata{name=1 "a", uid=2 "b", namespace=3 "c", attempt=4 1}.
        let m = api::PodSandboxMetadata {
            name: "a".into(),
            uid: "b".into(),
            namespace: "c".into(),
            attempt: 1,
        };
        assert_eq!(
            m.encode_to_vec(),
            [0x0a, 1, b'a', 0x12, 1, b'b', 0x1a, 1, b'c', 0x20, 1]
        );
    }

    #[test]
    fn a_missing_socket_names_the_flag() {
        let c = Cri::new("/nonexistent/cri.sock").with_timeout(Duration::from_secs(1));
        let e = c.list_pod_sandboxes().unwrap_err().to_string();
        assert!(e.contains("/nonexistent/cri.sock"), "{e}");
        assert!(e.contains("--cri-socket"), "{e}");
        assert!(!e.contains('\n'));
    }

    /// A socket in a fresh directory, with `serve` run on the first connection.
    fn fake_runtime(tag: &str, serve: fn(std::os::unix::net::UnixStream)) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("netshoot-cri-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("cri.sock");
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        std::thread::spawn(move || {
            if let Ok((c, _)) = l.accept() {
                serve(c);
            }
        });
        sock
    }

    #[test]
    fn a_silent_runtime_ends_at_the_deadline() {
        let sock = fake_runtime("silent", |c| {
            std::thread::sleep(Duration::from_secs(5));
            drop(c);
        });
        let start = Instant::now();
        let e = Cri::new(&sock)
            .with_timeout(Duration::from_millis(300))
            .list_pod_sandboxes()
            .unwrap_err()
            .to_string();
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert!(
            e.contains("is not answering") && e.contains(TIMEOUT_ENV),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(sock.parent().unwrap());
    }

    #[test]
    fn a_runtime_speaking_something_else_is_refused() {
        let sock = fake_runtime("http1", |mut c| {
            use std::io::{Read, Write};
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
            let mut sink = [0u8; 4096];
            while matches!(c.read(&mut sink), Ok(n) if n > 0) {}
        });
        let start = Instant::now();
        let e = Cri::new(&sock)
            .with_timeout(Duration::from_secs(3))
            .list_pod_sandboxes()
            .unwrap_err()
            .to_string();
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert!(e.contains(&sock.display().to_string()), "{e}");
        assert!(!e.contains('\n'), "{e}");
        let _ = std::fs::remove_dir_all(sock.parent().unwrap());
    }

    /// What the fake gRPC runtime answers every call with.
    #[derive(Clone, Copy)]
    enum Answer {
        /// A message frame announcing 17 MiB, and the bytes to go with it.
        Huge,
        /// A trailers-only answer with this gRPC status.
        Status(u32),
    }

    /// A gRPC server (h2) on a fresh socket answering every call with `answer`.
    fn grpc_runtime(tag: &str, answer: Answer) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("netshoot-cri-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("cri.sock");
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .unwrap();
            rt.block_on(async move {
                let (c, _) = l.accept().unwrap();
                c.set_nonblocking(true).unwrap();
                let io = tokio::net::UnixStream::from_std(c).unwrap();
                let Ok(mut conn) = h2::server::handshake(io).await else {
                    return;
                };
                // Streams kept open: a dropped one is reset before its data is read.
                let mut open = Vec::new();
                while let Some(Ok((_req, mut respond))) = conn.accept().await {
                    let head = http::Response::builder()
                        .status(200)
                        .header("content-type", "application/grpc");
                    match answer {
                        Answer::Status(code) => {
                            let resp = head
                                .header("grpc-status", code.to_string())
                                .header("grpc-message", "sandbox%20%22x%22%20not%20found")
                                .body(())
                                .unwrap();
                            let _ = respond.send_response(resp, true);
                        }
                        Answer::Huge => {
                            let Ok(mut send) = respond.send_response(head.body(()).unwrap(), false)
                            else {
                                return;
                            };
                            let len: u32 = 17 << 20;
                            let mut first = vec![0u8];
                            first.extend_from_slice(&len.to_be_bytes());
                            let _ = send.send_data(Bytes::from(first), false);
                            let chunk = Bytes::from(vec![0u8; 1 << 20]);
                            for _ in 0..17 {
                                let _ = send.send_data(chunk.clone(), false);
                            }
                            open.push(send);
                        }
                    }
                }
            });
        });
        sock
    }

    #[test]
    fn an_answer_over_the_cap_is_refused() {
        let sock = grpc_runtime("huge", Answer::Huge);
        let e = Cri::new(&sock)
            .with_timeout(Duration::from_secs(20))
            .list_pod_sandboxes()
            .unwrap_err()
            .to_string();
        assert!(e.contains("an answer over 16 MiB"), "{e}");
        let _ = std::fs::remove_dir_all(sock.parent().unwrap());
    }

    #[test]
    fn grpc_statuses_become_answers_or_one_line_errors() {
        let sock = grpc_runtime("notfound", Answer::Status(GRPC_NOT_FOUND));
        let c = Cri::new(&sock).with_timeout(Duration::from_secs(5));
        assert!(c.pod_sandbox_status("x").unwrap().is_none());
        let _ = std::fs::remove_dir_all(sock.parent().unwrap());
        let sock = grpc_runtime("unimpl", Answer::Status(GRPC_UNIMPLEMENTED));
        let e = Cri::new(&sock)
            .with_timeout(Duration::from_secs(5))
            .list_pod_sandboxes()
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not serve the CRI"), "{e}");
        assert!(e.contains("sandbox \"x\" not found"), "{e}");
        assert!(e.contains("--cri-socket"), "{e}");
        let _ = std::fs::remove_dir_all(sock.parent().unwrap());
    }
}
