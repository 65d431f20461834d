//! A small synchronous Docker Engine API client over the unix socket.
//!
//! Synchronous on purpose: targets are resolved on the main thread before any thread or async
//! runtime exists (see DESIGN.md, "Namespace first"). Requests are HTTP/1.0 so the engine answers
//! with a plain body and closes the connection: no chunked decoding, no keep-alive.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::NsError;

/// The default engine socket.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// The default bound on one whole API request (connect, send, the whole answer): 5 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The environment variable that changes it (seconds, decimals allowed).
pub const TIMEOUT_ENV: &str = "NETSHOOT_DOCKER_TIMEOUT";
/// The most bytes one answer may hold: 64 MiB (`GET /containers/json` for thousands of
/// containers is a few MiB).
pub const MAX_ANSWER_BYTES: usize = 64 << 20;

/// The bound on one whole request: `NETSHOOT_DOCKER_TIMEOUT` seconds when it is a positive
/// number (at most a day), else [`DEFAULT_TIMEOUT`].
pub fn timeout_from_env() -> Duration {
    timeout_from(TIMEOUT_ENV, DEFAULT_TIMEOUT)
}

/// `var` as a bound in seconds when it is a positive number (at most a day), else `default`.
pub fn timeout_from(var: &str, default: Duration) -> Duration {
    std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| *s > 0.0 && *s <= 86_400.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .unwrap_or(default)
}

/// The error of a call that ran past its bound `timeout` while `what`, naming the variable
/// `var` that changes the bound (the Docker and CRI clients alike).
pub(crate) fn timed_out_error(var: &str, timeout: Duration, what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!(
            "no answer within {:.1} s while {what} ({var}=SECS changes the bound)",
            timeout.as_secs_f64()
        ),
    )
}

/// Connects to the unix socket at `path` within `deadline`: a listener whose backlog is full
/// makes a blocking connect wait for as long as it does not accept, so the connect is
/// non-blocking and retried until the deadline (then `TimedOut`).
pub(crate) fn connect_unix(
    path: &std::path::Path,
    deadline: Instant,
) -> std::io::Result<UnixStream> {
    use nix::sys::socket::{connect, socket, AddressFamily, SockFlag, SockType, UnixAddr};
    let addr = UnixAddr::new(path)?;
    loop {
        let fd = socket(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )?;
        match connect(fd.as_raw_fd(), &addr) {
            Ok(()) => {
                let s = UnixStream::from(fd);
                s.set_nonblocking(false)?;
                return Ok(s);
            }
            // The listener's backlog is full: try again until the deadline.
            Err(nix::errno::Errno::EAGAIN) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(nix::errno::Errno::EAGAIN) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connecting",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The first `n` characters of `s` (ids are ASCII hex, but an engine may send anything: never
/// slice inside a character).
pub fn short(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A connection recipe for the Docker Engine API.
#[derive(Debug, Clone)]
pub struct Docker {
    socket: PathBuf,
    timeout: Duration,
}

/// What a request can come back with, before it is turned into a user-facing error.
#[derive(Debug)]
pub enum ApiError {
    /// The socket could not be reached (missing, refused, permission).
    Unreachable(std::io::Error),
    /// The engine answered with an HTTP error status.
    Status(u16, String),
    /// The engine's answer did not parse.
    Malformed(String),
}

impl Docker {
    /// Uses `DOCKER_HOST` when it is a `unix://` address, else `/var/run/docker.sock`.
    pub fn from_env() -> Result<Self, NsError> {
        let socket = match std::env::var("DOCKER_HOST") {
            Ok(h) if !h.is_empty() => match h.strip_prefix("unix://") {
                Some(p) => PathBuf::from(p),
                None => {
                    return Err(NsError::Docker {
                        why: format!(
                        "DOCKER_HOST={h} is not a unix:// socket; netshoot speaks to the engine \
                             over its unix socket: set DOCKER_HOST=unix:///var/run/docker.sock"
                    ),
                    })
                }
            },
            _ => PathBuf::from(DEFAULT_SOCKET),
        };
        Ok(Docker {
            socket,
            timeout: timeout_from_env(),
        })
    }

    /// The socket path in use.
    pub fn socket(&self) -> &std::path::Path {
        &self.socket
    }

    /// Whether the socket file exists at all.
    pub fn available(&self) -> bool {
        self.socket.exists()
    }

    /// The same client with another bound on each whole request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connects to the socket within `deadline` (see [`connect_unix`]).
    fn connect(&self, deadline: Instant) -> std::io::Result<UnixStream> {
        connect_unix(&self.socket, deadline).map_err(|e| match e.kind() {
            std::io::ErrorKind::TimedOut => self.timed_out("connecting"),
            _ => e,
        })
    }

    fn timed_out(&self, what: &str) -> std::io::Error {
        timed_out_error(TIMEOUT_ENV, self.timeout, what)
    }

    /// GET `path` and decode its JSON body. The whole request (connect, send, every byte of the
    /// answer) ends within the client's timeout; an answer over [`MAX_ANSWER_BYTES`] is refused.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let deadline = Instant::now() + self.timeout;
        let mut s = self.connect(deadline).map_err(ApiError::Unreachable)?;
        let left = |what: &str| {
            deadline
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| ApiError::Unreachable(self.timed_out(what)))
        };
        s.set_write_timeout(Some(left("sending")?)).ok();
        let req = format!("GET {path} HTTP/1.0\r\nHost: docker\r\nUser-Agent: netshoot\r\n\r\n");
        s.write_all(req.as_bytes()).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                ApiError::Unreachable(self.timed_out("sending"))
            }
            _ => ApiError::Unreachable(e),
        })?;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 64 * 1024];
        loop {
            s.set_read_timeout(Some(left("reading the answer")?)).ok();
            match s.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    if raw.len() + n > MAX_ANSWER_BYTES {
                        return Err(ApiError::Malformed(format!(
                            "an answer over {} MiB",
                            MAX_ANSWER_BYTES >> 20
                        )));
                    }
                    raw.extend_from_slice(&chunk[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(ApiError::Unreachable(self.timed_out("reading the answer")))
                }
                Err(e) => return Err(ApiError::Unreachable(e)),
            }
        }
        decode_answer(&raw)
    }

    /// Turns a transport failure into the user-facing error that names the mount to add.
    pub fn unreachable(&self, e: &std::io::Error) -> NsError {
        let sock = self.socket.display();
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "no Docker socket at {sock}: start dockerd, or from inside a container add \
                 -v /var/run/docker.sock:/var/run/docker.sock"
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "permission denied on {sock}: run as root or as a member of the docker group"
            ),
            std::io::ErrorKind::ConnectionRefused => {
                format!("nothing answers on {sock} (connection refused): is dockerd running?")
            }
            std::io::ErrorKind::TimedOut => {
                format!("the Docker engine on {sock} is not answering: {e}")
            }
            _ => format!("cannot talk to Docker on {sock}: {e}"),
        };
        NsError::Docker { why }
    }

    /// Maps an API error to a user-facing one.
    pub fn to_error(&self, e: ApiError) -> NsError {
        match e {
            ApiError::Unreachable(io) => self.unreachable(&io),
            ApiError::Status(code, msg) => NsError::Docker {
                why: format!("the Docker engine answered {code}: {msg}"),
            },
            ApiError::Malformed(m) => NsError::Docker {
                why: format!("unexpected answer from the Docker engine: {m}"),
            },
        }
    }

    /// Running (or, with `all`, every) container in the engine's list form.
    pub fn containers(&self, all: bool) -> Result<Vec<ContainerSummary>, NsError> {
        let path = if all {
            "/containers/json?all=1"
        } else {
            "/containers/json"
        };
        self.get(path).map_err(|e| self.to_error(e))
    }

    /// `docker inspect` of one container; `Ok(None)` when the engine knows no such container.
    pub fn inspect_container(&self, name: &str) -> Result<Option<ContainerInspect>, NsError> {
        match self.get(&format!("/containers/{name}/json")) {
            Ok(c) => Ok(Some(c)),
            Err(ApiError::Status(404, _)) => Ok(None),
            Err(e) => Err(self.to_error(e)),
        }
    }

    /// Every network.
    pub fn networks(&self) -> Result<Vec<NetworkInspect>, NsError> {
        self.get("/networks").map_err(|e| self.to_error(e))
    }

    /// One network; `Ok(None)` when the engine knows no such network.
    pub fn inspect_network(&self, name: &str) -> Result<Option<NetworkInspect>, NsError> {
        match self.get(&format!("/networks/{name}")) {
            Ok(n) => Ok(Some(n)),
            Err(ApiError::Status(404, _)) => Ok(None),
            Err(e) => Err(self.to_error(e)),
        }
    }
}

impl Docker {
    /// A Swarm service by name or id; `Ok(None)` when there is no such service or this engine
    /// is not a Swarm manager.
    pub fn inspect_service(&self, name: &str) -> Result<Option<ServiceInspect>, NsError> {
        match self.get(&format!("/services/{name}")) {
            Ok(s) => Ok(Some(s)),
            Err(ApiError::Status(404 | 503 | 406, _)) => Ok(None),
            Err(e) => Err(self.to_error(e)),
        }
    }
}

impl Docker {
    /// `GET /services`: every Swarm service (`Ok(vec![])` when this engine is no Swarm
    /// manager).
    pub fn services(&self) -> Result<Vec<ServiceInspect>, NsError> {
        match self.get("/services") {
            Ok(s) => Ok(s),
            Err(ApiError::Status(404 | 503 | 406, _)) => Ok(Vec::new()),
            Err(e) => Err(self.to_error(e)),
        }
    }
}

impl Docker {
    /// `GET /info`: the engine's Swarm state.
    pub fn info(&self) -> Result<EngineInfo, NsError> {
        self.get("/info").map_err(|e| self.to_error(e))
    }

    /// `GET /nodes` (managers only; `Ok(vec![])` elsewhere).
    pub fn nodes(&self) -> Result<Vec<SwarmNode>, NsError> {
        match self.get("/nodes") {
            Ok(n) => Ok(n),
            Err(ApiError::Status(503 | 406, _)) => Ok(Vec::new()),
            Err(e) => Err(self.to_error(e)),
        }
    }
}

/// A whole HTTP/1.0 answer of the Docker Engine API (head and body as read from the socket)
/// decoded as `T`: a 2xx status with `T`'s JSON, or the API's error message. The code
/// [`Docker::get`] runs on every answer; the fuzz target's entry point.
#[doc(hidden)]
pub fn decode_answer<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| ApiError::Malformed("no end of HTTP headers".into()))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = &raw[split + 4..];
    let status: u16 = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| ApiError::Malformed(format!("bad status line in {head:?}")))?;
    if !(200..300).contains(&status) {
        let msg = serde_json::from_slice::<ApiMessage>(body)
            .map(|m| m.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(body).trim().to_string());
        return Err(ApiError::Status(status, msg));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::Malformed(e.to_string()))
}

/// The parts of `GET /info` netshoot uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EngineInfo {
    /// Swarm state.
    #[serde(default)]
    pub swarm: Option<SwarmInfo>,
}

/// `Swarm` of `GET /info`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SwarmInfo {
    /// `active`, `inactive`, `pending`, `error`, `locked`.
    #[serde(default)]
    pub local_node_state: String,
    /// This node's id.
    #[serde(default, rename = "NodeID")]
    pub node_id: String,
    /// The address this node advertises.
    #[serde(default)]
    pub node_addr: String,
    /// Whether this node is a manager.
    #[serde(default)]
    pub control_available: bool,
}

/// One entry of `GET /nodes`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SwarmNode {
    /// Node id.
    #[serde(rename = "ID")]
    pub id: String,
    /// Status (with its address).
    #[serde(default)]
    pub status: NodeStatus,
    /// Manager status, for managers.
    #[serde(default)]
    pub manager_status: Option<serde_json::Value>,
    /// What the node says about itself (its hostname).
    #[serde(default)]
    pub description: Option<NodeDescription>,
}

/// `Description` of a node.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NodeDescription {
    /// Its hostname.
    #[serde(default)]
    pub hostname: String,
}

impl SwarmNode {
    /// Its hostname, else its short id.
    pub fn label(&self) -> String {
        self.description
            .as_ref()
            .map(|d| d.hostname.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| short(&self.id, 12).to_string())
    }
}

/// `Status` of a node.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NodeStatus {
    /// `ready`, `down`, …
    #[serde(default)]
    pub state: String,
    /// The node's address.
    #[serde(default)]
    pub addr: String,
}

/// The parts of `GET /services/{id}` netshoot uses.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceInspect {
    /// Service id.
    #[serde(rename = "ID")]
    pub id: String,
    /// Its spec.
    pub spec: ServiceSpec,
    /// Its endpoint (virtual IPs).
    #[serde(default)]
    pub endpoint: Option<ServiceEndpoint>,
}

/// `Spec` of a service.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceSpec {
    /// Service name.
    pub name: String,
    /// Endpoint mode settings.
    #[serde(default)]
    pub endpoint_spec: Option<EndpointSpec>,
    /// `Replicated` (with its replica count) or `Global`.
    #[serde(default)]
    pub mode: Option<ServiceMode>,
}

/// `Spec.Mode` of a service: one of the two is present.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceMode {
    /// Replicated mode and its replica count.
    #[serde(default)]
    pub replicated: Option<Replicated>,
    /// Global mode (one task per node).
    #[serde(default)]
    pub global: Option<serde_json::Value>,
}

/// `Spec.Mode.Replicated`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Replicated {
    /// Desired replica count.
    #[serde(default)]
    pub replicas: Option<u64>,
}

/// `Spec.EndpointSpec`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointSpec {
    /// `vip` (the default) or `dnsrr`.
    #[serde(default)]
    pub mode: String,
}

/// `Endpoint` of a service.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceEndpoint {
    /// Virtual IPs per network (VIP mode).
    #[serde(default, rename = "VirtualIPs")]
    pub virtual_ips: Vec<VirtualIp>,
}

/// One service VIP.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VirtualIp {
    /// Network id.
    #[serde(default, rename = "NetworkID")]
    pub network_id: String,
    /// CIDR, e.g. `10.0.1.2/24`.
    #[serde(default)]
    pub addr: String,
}

#[derive(Deserialize)]
struct ApiMessage {
    message: String,
}

/// One entry of `GET /containers/json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerSummary {
    /// Full id.
    pub id: String,
    /// Names, each with a leading `/`.
    #[serde(default)]
    pub names: Vec<String>,
    /// `running`, `exited`, …
    #[serde(default)]
    pub state: String,
    /// The engine's words for the state (`Up 3 minutes`, `Exited (0) 2 seconds ago`).
    #[serde(default)]
    pub status: String,
    /// The image as it was given to `docker run`.
    #[serde(default)]
    pub image: String,
    /// The network mode (`HostConfig.NetworkMode`: `bridge`, `host`, `container:ID`, …).
    #[serde(default)]
    pub host_config: Option<SummaryHostConfig>,
    /// Networks and their endpoint settings.
    #[serde(default)]
    pub network_settings: Option<SummaryNetworks>,
    /// Labels (Swarm puts `com.docker.swarm.service.name` and `com.docker.swarm.task.name` on
    /// a task's container).
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
}

/// `HostConfig` of a list entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SummaryHostConfig {
    /// `bridge`, `host`, `none`, `container:<id>`, or a network name.
    #[serde(default)]
    pub network_mode: String,
}

impl ContainerSummary {
    /// The first name, without its leading `/`.
    pub fn name(&self) -> String {
        self.names
            .first()
            .map(|n| n.trim_start_matches('/').to_string())
            .unwrap_or_else(|| self.id.chars().take(12).collect())
    }
}

/// `NetworkSettings` of a list entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SummaryNetworks {
    /// Network name → endpoint.
    #[serde(default)]
    pub networks: Option<BTreeMap<String, Endpoint>>,
}

/// A container's endpoint on one network.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    /// Network id.
    #[serde(default, rename = "NetworkID")]
    pub network_id: String,
    /// IPv4 address, empty when none.
    #[serde(default, rename = "IPAddress")]
    pub ip_address: String,
    /// IPv4 prefix length.
    #[serde(default, rename = "IPPrefixLen")]
    pub ip_prefix_len: u8,
    /// Global IPv6 address, empty when none.
    #[serde(default, rename = "GlobalIPv6Address")]
    pub global_ipv6_address: String,
    /// MAC address.
    #[serde(default)]
    pub mac_address: String,
    /// DNS aliases on this network.
    #[serde(default)]
    pub aliases: Option<Vec<String>>,
}

/// The parts of `GET /containers/{id}/json` netshoot uses.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerInspect {
    /// Full id.
    pub id: String,
    /// Name with its leading `/`.
    pub name: String,
    /// Run state.
    pub state: ContainerState,
    /// Host configuration (network mode).
    pub host_config: Option<HostConfig>,
    /// Network settings.
    pub network_settings: Option<InspectNetworkSettings>,
}

impl ContainerInspect {
    /// The name without its leading `/`.
    pub fn short_name(&self) -> &str {
        self.name.trim_start_matches('/')
    }
}

/// `State` of an inspected container.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerState {
    /// `running`, `exited`, `created`, `paused`, …
    #[serde(default)]
    pub status: String,
    /// Whether it runs.
    #[serde(default)]
    pub running: bool,
    /// Whether it is paused.
    #[serde(default)]
    pub paused: bool,
    /// Host pid of its init process (0 when not running).
    #[serde(default)]
    pub pid: i64,
}

/// `HostConfig` of an inspected container.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostConfig {
    /// `bridge`, `host`, `none`, `container:<id>`, or a network name.
    #[serde(default)]
    pub network_mode: String,
}

/// `NetworkSettings` of an inspected container.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectNetworkSettings {
    /// The netns bind mount, e.g. `/var/run/docker/netns/0123abcd`.
    #[serde(default)]
    pub sandbox_key: String,
    /// Network name → endpoint.
    #[serde(default)]
    pub networks: Option<BTreeMap<String, Endpoint>>,
}

/// The parts of `GET /networks/{id}` netshoot uses.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkInspect {
    /// Name.
    pub name: String,
    /// Full id.
    pub id: String,
    /// `bridge`, `overlay`, `host`, `null`, `macvlan`, …
    #[serde(default)]
    pub driver: String,
    /// `local` or `swarm`.
    #[serde(default)]
    pub scope: String,
    /// Driver options (`com.docker.network.bridge.name`).
    #[serde(default)]
    pub options: Option<BTreeMap<String, String>>,
    /// Whether this is the swarm ingress network.
    #[serde(default)]
    pub ingress: bool,
    /// The endpoints on this host (one network's inspect only; the list leaves it empty):
    /// containers, Swarm tasks and the overlay's load balancer (`lb-NAME`), by endpoint or
    /// container id.
    #[serde(default)]
    pub containers: Option<BTreeMap<String, NetworkEndpoint>>,
}

/// One entry of a network's `Containers`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkEndpoint {
    /// The container's name (`lb-NAME` for an overlay's load balancer).
    #[serde(default)]
    pub name: String,
    /// MAC address.
    #[serde(default)]
    pub mac_address: String,
    /// IPv4 address with its prefix length (`10.0.1.3/24`), empty when none.
    #[serde(default, rename = "IPv4Address")]
    pub ipv4_address: String,
    /// IPv6 address with its prefix length, empty when none.
    #[serde(default, rename = "IPv6Address")]
    pub ipv6_address: String,
}

impl NetworkInspect {
    /// The Linux bridge of a bridge network: the `bridge.name` option or `br-<id12>`.
    pub fn bridge_device(&self) -> Option<String> {
        if self.driver != "bridge" {
            return None;
        }
        self.options
            .as_ref()
            .and_then(|o| o.get("com.docker.network.bridge.name").cloned())
            .or_else(|| Some(format!("br-{}", short(&self.id, 12))))
    }
}
