//! Calico's Kubernetes datastore (`DATASTORE_TYPE=kubernetes`), read as libcalico-go's
//! `lib/backend/k8s` reads it, through the API server with netshoot's HTTP client:
//!
//! - IP pools, BGP configurations and peers, policies and host endpoints are the
//!   `crd.projectcalico.org/v1` custom resources, turned into `projectcalico.org/v3` objects as
//!   `resources.ConvertK8sResourceToCalicoResource` does: the v3 metadata kept in the
//!   `projectcalico.org/metadata` annotation merged over the resource's own, the UID's bits
//!   reversed (`conversion.ConvertUID`), a policy in the default tier named without `default.`.
//! - Workload endpoints are built from Pods (`conversion/workload_endpoint_default.go`): the
//!   name `<node>-k8s-<pod>-eth0` with each `-` doubled, the interface `cali` + the first 11 hex
//!   digits of SHA-1(`<namespace>.<pod>`) as Calico's CNI names the host-side veth, profiles
//!   `kns.<ns>` and `ksa.<ns>.<sa>`, the IPs of `status.podIPs`/`podIP` or else of the
//!   `cni.projectcalico.org/podIPs`/`podIP` annotations.
//! - Nodes are built from Kubernetes Nodes and their `projectcalico.org/*` annotations
//!   (`resources/node.go`, `K8sNodeToCalico`).
//!
//! Configuration as libcalico-go's `apiconfig.KubeConfig` and client-go's loading rules:
//! `KUBECONFIG` (one path or a `:`-separated list, merged: the first file to name something
//! wins), calicoctl's `--context` or `K8S_CURRENT_CONTEXT`, and the overrides `K8S_API_ENDPOINT`,
//! `K8S_CA_FILE`, `K8S_CERT_FILE`, `K8S_KEY_FILE`, `K8S_INSECURE_SKIP_TLS_VERIFY`; without a
//! kubeconfig, the pod's service account (`KUBERNETES_SERVICE_HOST`/`_PORT`, the token and CA
//! under `/var/run/secrets/kubernetes.io/serviceaccount`). Lists are paged as client-go's pager
//! pages them (`limit`, `continue`), each page one bounded call, the number of pages capped.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::CONNECT_TIME;
use super::{b64_decode, b64_encode, resource, CalicoError, Capped, Kind, CALL_TIME, J};

/// Objects asked for per page (client-go's pager default).
const PAGE: usize = 500;
/// Pages read at most for one list (100,000 objects).
const MAX_PAGES: usize = 200;
/// Where a pod's service account credentials are mounted.
const SERVICE_ACCOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Replaces [`SERVICE_ACCOUNT`] in tests (a directory with `token` and `ca.crt`).
pub const SERVICE_ACCOUNT_ENV: &str = "NETSHOOT_TEST_SERVICE_ACCOUNT_DIR";
/// Calico's custom resources.
const CRD_GROUP: &str = "/apis/crd.projectcalico.org/v1";
/// The metadata annotation libcalico-go writes on a custom resource.
const METADATA_ANNOTATION: &str = "projectcalico.org/metadata";

/// How requests prove who they are.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Nothing (a client certificate, if any, is in the TLS settings).
    None,
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
    /// `Authorization: Basic` (a kubeconfig user's username and password).
    Basic(String, String),
}

/// The API server and how to talk to it.
#[derive(Debug, Clone)]
pub struct Kube {
    /// The server's base URL, e.g. `https://10.0.0.1:6443`.
    pub server: String,
    /// The CA, the client certificate, `insecure-skip-tls-verify`.
    pub tls: netshoot_http::TlsOptions,
    /// The credentials sent.
    pub auth: Auth,
    /// Where the settings came from, for messages (`kubeconfig K, context C, user U`).
    pub origin: String,
    /// The prefix of workload interface names (`FELIX_INTERFACEPREFIX`'s first, else `cali`).
    pub iface_prefix: String,
}

fn bad(m: String) -> CalicoError {
    CalicoError::Datastore(m)
}

/// A string member of a JSON object.
fn jstr<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The kubeconfig files merged: each named entry from the first file that has it, with that
/// file's directory (relative paths in it are relative to the file).
#[derive(Default)]
struct Merged {
    current: Option<String>,
    clusters: Vec<(String, Value, PathBuf)>,
    users: Vec<(String, Value, PathBuf)>,
    contexts: Vec<(String, Value, PathBuf)>,
}

impl Merged {
    fn find<'a>(list: &'a [(String, Value, PathBuf)], name: &str) -> Option<(&'a Value, &'a Path)> {
        list.iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, d)| (v, d.as_path()))
    }
}

fn load_kubeconfig(list: &str) -> Result<Merged, CalicoError> {
    let files: Vec<&str> = list.split(':').filter(|f| !f.is_empty()).collect();
    let mut m = Merged::default();
    let mut read_any = false;
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            // client-go: one explicit file must exist; in a list, missing ones are skipped.
            Err(e) if files.len() > 1 && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(bad(format!("KUBECONFIG={f}: cannot read: {e}"))),
        };
        read_any = true;
        let v: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_norway::from_str(&text).map_err(|e| {
                bad(format!(
                    "KUBECONFIG={f}: not a kubeconfig (YAML): {}",
                    netshoot_wire::text::escape(&e.to_string())
                ))
            })?
        };
        let dir = Path::new(f)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        if m.current.is_none() {
            m.current = jstr(&v, "current-context").map(str::to_string);
        }
        for (key, inner, into) in [
            ("clusters", "cluster", &mut m.clusters),
            ("users", "user", &mut m.users),
            ("contexts", "context", &mut m.contexts),
        ] {
            for e in v.get(key).and_then(Value::as_array).into_iter().flatten() {
                let Some(name) = jstr(e, "name") else {
                    continue;
                };
                if !into.iter().any(|(n, _, _)| n == name) {
                    let body = e.get(inner).cloned().unwrap_or(Value::Null);
                    into.push((name.to_string(), body, dir.clone()));
                }
            }
        }
    }
    if !read_any {
        return Err(bad(format!(
            "KUBECONFIG={list}: none of these files exists"
        )));
    }
    Ok(m)
}

/// A file named by a kubeconfig (relative to `dir`) or by a variable.
fn read_file(what: &str, path: &str, dir: &Path) -> Result<Vec<u8>, CalicoError> {
    let p = if Path::new(path).is_absolute() {
        PathBuf::from(path)
    } else {
        dir.join(path)
    };
    std::fs::read(&p).map_err(|e| bad(format!("{what} {}: cannot read: {e}", p.display())))
}

/// A kubeconfig's `*-data` field (base64).
fn data(what: &str, v: &str) -> Result<Vec<u8>, CalicoError> {
    let clean: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    b64_decode(&clean).ok_or_else(|| bad(format!("{what}: not base64")))
}

/// Go's `strconv.ParseBool`, as envconfig reads a bool.
fn parse_bool(var: &str, v: &str) -> Result<bool, CalicoError> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(bad(format!("{var}={v}: not a bool (true or false)"))),
    }
}

impl Kube {
    /// libcalico-go's `KubeConfig` from `env` (each also read as `CALICO_<NAME>` first, by the
    /// caller), with calicoctl's `--context`; files are read now.
    pub(crate) fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        context: Option<&str>,
    ) -> Result<Kube, CalicoError> {
        let get = |v: &str| env(v).filter(|s| !s.is_empty());
        let server_o = get("K8S_API_ENDPOINT");
        let ca_o = get("K8S_CA_FILE");
        let cert_o = get("K8S_CERT_FILE");
        let key_o = get("K8S_KEY_FILE");
        let insecure_o = match get("K8S_INSECURE_SKIP_TLS_VERIFY") {
            Some(v) => parse_bool("K8S_INSECURE_SKIP_TLS_VERIFY", &v)?,
            None => false,
        };
        let ctx_o = context
            .map(str::to_string)
            .or_else(|| get("K8S_CURRENT_CONTEXT"));
        let iface_prefix = get("FELIX_INTERFACEPREFIX")
            .and_then(|p| p.split(',').next().map(str::to_string))
            .unwrap_or_else(|| "cali".into());
        let here = Path::new(".");
        let read_o = |var: &str, p: &Option<String>| -> Result<Option<Vec<u8>>, CalicoError> {
            p.as_ref()
                .map(|p| read_file(&format!("{var}="), p, here))
                .transpose()
        };
        let ca_o = read_o("K8S_CA_FILE", &ca_o)?;
        let client_o = match (
            read_o("K8S_CERT_FILE", &cert_o)?,
            read_o("K8S_KEY_FILE", &key_o)?,
        ) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => {
                return Err(bad(
                    "K8S_CERT_FILE and K8S_KEY_FILE go together: give both or neither".into(),
                ))
            }
        };

        let merged = match get("KUBECONFIG") {
            Some(k) => Some((load_kubeconfig(&k)?, k)),
            None => None,
        };
        let ctx_name = ctx_o
            .clone()
            .or_else(|| merged.as_ref().and_then(|(m, _)| m.current.clone()));
        // A kubeconfig that names a context: the settings come from it.
        if let (Some((m, file)), Some(ctx_name)) = (&merged, &ctx_name) {
            let Some((ctx, _)) = Merged::find(&m.contexts, ctx_name) else {
                return Err(bad(format!(
                    "KUBECONFIG={file}: context \"{}\" does not exist (kubectl config get-contexts lists them; choose one with --context)",
                    netshoot_wire::text::escape(ctx_name)
                )));
            };
            let cluster_name = jstr(ctx, "cluster").unwrap_or_default();
            let user_name = jstr(ctx, "user").unwrap_or_default();
            let (cluster, cdir) = Merged::find(&m.clusters, cluster_name).ok_or_else(|| {
                bad(format!(
                    "KUBECONFIG={file}: context \"{}\" names cluster \"{}\", which is not defined",
                    netshoot_wire::text::escape(ctx_name),
                    netshoot_wire::text::escape(cluster_name)
                ))
            })?;
            let origin = format!(
                "kubeconfig {file}, context {}, user {}",
                netshoot_wire::text::escape(ctx_name),
                netshoot_wire::text::escape(user_name)
            );
            let server = server_o
                .clone()
                .or_else(|| jstr(cluster, "server").map(str::to_string))
                .ok_or_else(|| {
                    bad(format!(
                        "KUBECONFIG={file}: cluster \"{}\" has no server",
                        netshoot_wire::text::escape(cluster_name)
                    ))
                })?;
            if jstr(cluster, "proxy-url").is_some() {
                return Err(bad(format!(
                    "KUBECONFIG={file}: cluster \"{}\" is reached through a proxy-url, which netshoot does not use; run it where the server is reachable directly (-t TARGET, or in a pod)",
                    netshoot_wire::text::escape(cluster_name)
                )));
            }
            let insecure = insecure_o
                || cluster
                    .get("insecure-skip-tls-verify")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            let ca = match (ca_o, jstr(cluster, "certificate-authority-data")) {
                (Some(ca), _) => Some(ca),
                (None, Some(d)) => Some(data("certificate-authority-data", d)?),
                (None, None) => jstr(cluster, "certificate-authority")
                    .map(|p| read_file("certificate-authority", p, cdir))
                    .transpose()?,
            };
            if insecure && ca.is_some() && !insecure_o {
                return Err(bad(format!(
                    "KUBECONFIG={file}: cluster \"{}\" gives both a certificate authority and insecure-skip-tls-verify; keep one",
                    netshoot_wire::text::escape(cluster_name)
                )));
            }
            let ca = if insecure { None } else { ca };
            let (user, udir) = Merged::find(&m.users, user_name).unwrap_or((&Value::Null, here));
            if user.get("exec").is_some_and(|e| !e.is_null()) {
                return Err(bad(format!(
                    "{origin}: the user gets its credentials from an exec plugin, which netshoot does not run; give a token (kubectl create token SA) or a client certificate in a kubeconfig, or run in a pod"
                )));
            }
            if user.get("auth-provider").is_some_and(|e| !e.is_null()) {
                return Err(bad(format!(
                    "{origin}: the user's auth-provider is not supported; give a token (kubectl create token SA) or a client certificate in a kubeconfig"
                )));
            }
            let cert = match (
                jstr(user, "client-certificate-data"),
                jstr(user, "client-certificate"),
            ) {
                (Some(d), _) => Some(data("client-certificate-data", d)?),
                (None, Some(p)) => Some(read_file("client-certificate", p, udir)?),
                _ => None,
            };
            let key = match (jstr(user, "client-key-data"), jstr(user, "client-key")) {
                (Some(d), _) => Some(data("client-key-data", d)?),
                (None, Some(p)) => Some(read_file("client-key", p, udir)?),
                _ => None,
            };
            let client = match (client_o, cert, key) {
                (Some(o), _, _) => Some(o),
                (None, Some(c), Some(k)) => Some((c, k)),
                (None, None, None) => None,
                _ => {
                    return Err(bad(format!(
                    "{origin}: client-certificate and client-key go together: give both or neither"
                )))
                }
            };
            let token = match (jstr(user, "token"), jstr(user, "tokenFile")) {
                (Some(t), _) => Some(t.to_string()),
                (None, Some(p)) => Some(
                    String::from_utf8_lossy(&read_file("tokenFile", p, udir)?)
                        .trim()
                        .to_string(),
                ),
                _ => None,
            };
            let auth = match (token, jstr(user, "username")) {
                (Some(t), _) => Auth::Bearer(t),
                (None, Some(u)) => Auth::Basic(
                    u.to_string(),
                    jstr(user, "password").unwrap_or_default().to_string(),
                ),
                _ => Auth::None,
            };
            return Ok(Kube {
                server: server.trim_end_matches('/').to_string(),
                tls: netshoot_http::TlsOptions {
                    insecure,
                    ca_pem: ca,
                    client_pem: client,
                },
                auth,
                origin,
                iface_prefix,
            });
        }
        if let (Some((_, file)), Some(c)) = (&merged, &ctx_o) {
            return Err(bad(format!(
                "KUBECONFIG={file}: context \"{}\" does not exist",
                netshoot_wire::text::escape(c)
            )));
        }
        let no_context = merged.as_ref().map(|(_, file)| {
            bad(format!(
                "KUBECONFIG={file}: no current-context; choose one with --context or K8S_CURRENT_CONTEXT (kubectl config get-contexts lists them)"
            ))
        });
        // No kubeconfig (or one without a current context): the pod's service account when
        // running in a pod (client-go's in-cluster config, the overrides applied), else the
        // overrides alone.
        let sa_dir = get(SERVICE_ACCOUNT_ENV).unwrap_or_else(|| SERVICE_ACCOUNT.into());
        let (host, port) = (
            get("KUBERNETES_SERVICE_HOST"),
            get("KUBERNETES_SERVICE_PORT"),
        );
        let token_file = Path::new(&sa_dir).join("token");
        if let (Some(host), Some(port)) = (&host, &port) {
            if token_file.exists() {
                let token = String::from_utf8_lossy(&read_file(
                    "the service account token",
                    &token_file.to_string_lossy(),
                    here,
                )?)
                .trim()
                .to_string();
                let ca = match ca_o {
                    Some(ca) => Some(ca),
                    None => Some(read_file(
                        "the service account CA",
                        &Path::new(&sa_dir).join("ca.crt").to_string_lossy(),
                        here,
                    )?),
                };
                let hostport = match host.parse::<IpAddr>() {
                    Ok(IpAddr::V6(_)) => format!("[{host}]:{port}"),
                    _ => format!("{host}:{port}"),
                };
                return Ok(Kube {
                    server: server_o.unwrap_or_else(|| format!("https://{hostport}")),
                    tls: netshoot_http::TlsOptions {
                        insecure: insecure_o,
                        ca_pem: if insecure_o { None } else { ca },
                        client_pem: None,
                    },
                    auth: Auth::Bearer(token),
                    origin: format!("the pod's service account ({sa_dir})"),
                    iface_prefix,
                });
            }
        }
        match server_o {
            Some(server) => Ok(Kube {
                server: server.trim_end_matches('/').to_string(),
                tls: netshoot_http::TlsOptions {
                    insecure: insecure_o,
                    ca_pem: ca_o,
                    client_pem: client_o,
                },
                auth: Auth::None,
                origin: "K8S_API_ENDPOINT".into(),
                iface_prefix,
            }),
            None => Err(no_context.unwrap_or_else(|| bad(
                "the Kubernetes datastore (DATASTORE_TYPE=kubernetes, calicoctl's default without ETCD_ENDPOINTS) needs a cluster: set KUBECONFIG, or run in a pod with a service account, or set ETCD_ENDPOINTS for etcdv3"
                    .into(),
            ))),
        }
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn escape_component(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// What one GET gave.
enum Answer {
    /// 200: the body (as a value to read, and in the server's key order).
    Ok(Value, J),
    /// 404: whether the API server named an object (`details.name`: the object is not there)
    /// rather than the resource type (not served).
    NotFound { object: bool },
}

/// One bounded GET of `path` (already escaped); `what` names the resource for RBAC messages
/// (`ippools.crd.projectcalico.org`).
fn call(
    k: &Kube,
    path: &str,
    what: &str,
    resolver: netshoot_http::Resolver<'_>,
) -> Result<Answer, CalicoError> {
    let server = netshoot_wire::text::escape(&k.server).into_owned();
    let mut o = netshoot_http::Options::new(&format!("{}{path}", k.server));
    o.headers = vec![("Accept".into(), "application/json".into())];
    match &k.auth {
        Auth::None => {}
        Auth::Bearer(t) => o
            .headers
            .push(("Authorization".into(), format!("Bearer {t}"))),
        Auth::Basic(u, p) => o.headers.push((
            "Authorization".into(),
            format!("Basic {}", b64_encode(format!("{u}:{p}").as_bytes())),
        )),
    }
    o.version = netshoot_http::Version::Http11;
    o.tls = k.tls.clone();
    o.max_time = CALL_TIME;
    o.connect_timeout = CONNECT_TIME;
    let mut sink = Capped(Vec::new());
    let t = match netshoot_http::fetch(&o, &mut *resolver, &mut |_| {}, &mut sink) {
        Ok(t) => t,
        Err(e @ netshoot_http::Error::Usage(_)) => {
            return Err(bad(format!("Kubernetes API server {server}: {e} ({})", k.origin)))
        }
        Err(e @ netshoot_http::Error::Tls { .. }) => {
            return Err(bad(format!(
                "Kubernetes API server {server}: {e} (check the cluster's certificate-authority or K8S_CA_FILE, and the user's client certificate; {})",
                k.origin
            )))
        }
        Err(netshoot_http::Error::Timeout { secs, phase }) => {
            return Err(bad(format!(
                "Kubernetes API server {server}: timed out after {secs:.0} s {}",
                phase.doing()
            )))
        }
        Err(netshoot_http::Error::ConnectTimeout { secs, phase, .. }) => {
            return Err(bad(format!(
                "Kubernetes API server {server}: no connection within {secs:.0} s: still {}",
                phase.doing()
            )))
        }
        // TLS 1.3: a refused client certificate comes as an alert after the handshake.
        Err(e @ netshoot_http::Error::Protocol(_)) if e.to_string().contains("fatal alert") => {
            return Err(bad(format!(
                "Kubernetes API server {server} ended the TLS session: {e} (it does not accept the client certificate of {})",
                k.origin
            )))
        }
        Err(e) => {
            return Err(bad(format!(
                "cannot reach the Kubernetes API server {server}: {e} (check the server of {})",
                k.origin
            )))
        }
    };
    let status = t.last().status;
    let body: Option<Value> = serde_json::from_slice(&sink.0).ok();
    // The API server's Status object: its message, escaped.
    let message = || {
        let m = body
            .as_ref()
            .and_then(|b| jstr(b, "message").map(str::to_string))
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&sink.0)
                    .trim()
                    .chars()
                    .take(200)
                    .collect()
            });
        netshoot_wire::text::escape(&m).into_owned()
    };
    match status {
        200 => body
            .zip(serde_json::from_slice::<J>(&sink.0).ok())
            .map(|(v, jv)| Answer::Ok(v, jv))
            .ok_or_else(|| {
            bad(format!(
                "Kubernetes API server {server}: the answer to GET {path} is not JSON"
            ))
        }),
        401 => Err(bad(format!(
            "Kubernetes API server {server} answered 401 Unauthorized: it did not accept the credentials; give a valid token or a client certificate its CA signed ({})",
            k.origin
        ))),
        403 => Err(bad(format!(
            "Kubernetes API server {server} answered 403 Forbidden: {}; grant the user get and list on {what} (an RBAC ClusterRole and binding)",
            message()
        ))),
        404 => Ok(Answer::NotFound {
            object: body
                .as_ref()
                .and_then(|b| b.pointer("/details/name"))
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty()),
        }),
        s => Err(bad(format!(
            "Kubernetes API server {server} answered HTTP {s} to GET {path}: {}",
            message()
        ))),
    }
}

/// Where a kind lives: the list path (in `ns`, or everywhere) and its name for messages.
fn location(kind: &Kind, ns: Option<&str>) -> (String, String) {
    let ns_part = |base: &str, plural: &str| match ns {
        Some(ns) => format!("{base}/namespaces/{}/{plural}", escape_component(ns)),
        None => format!("{base}/{plural}"),
    };
    match kind.kind {
        "WorkloadEndpoint" => (ns_part("/api/v1", "pods"), "pods".into()),
        "Node" => ("/api/v1/nodes".into(), "nodes".into()),
        _ => (
            ns_part(CRD_GROUP, kind.plural),
            format!("{}.crd.projectcalico.org", kind.plural),
        ),
    }
}

fn crds_missing(k: &Kube, what: &str) -> CalicoError {
    bad(format!(
        "Kubernetes API server {} does not serve {what}: Calico's CRDs (crd.projectcalico.org/v1) are not installed in this cluster (install Calico, or point KUBECONFIG at the cluster that runs it)",
        netshoot_wire::text::escape(&k.server)
    ))
}

/// Every resource of `kind` (in `ns`, or in every namespace) and the list's resourceVersion.
pub(crate) fn list(
    k: &Kube,
    kind: &'static Kind,
    ns: Option<&str>,
    resolver: netshoot_http::Resolver<'_>,
) -> Result<(Vec<J>, String), CalicoError> {
    let (path, what) = location(kind, ns);
    let mut items = Vec::new();
    let mut revision = None;
    let mut cont: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut p = format!("{path}?limit={PAGE}");
        if let Some(c) = &cont {
            p += &format!("&continue={}", escape_component(c));
        }
        let (page, jpage) = match call(k, &p, &what, resolver)? {
            Answer::Ok(v, jv) => (v, jv),
            Answer::NotFound { .. } if kind.kind == "WorkloadEndpoint" || kind.kind == "Node" => {
                return Err(bad(format!(
                    "Kubernetes API server {} answered 404 to GET {path}: is it a Kubernetes API server?",
                    netshoot_wire::text::escape(&k.server)
                )))
            }
            Answer::NotFound { .. } => return Err(crds_missing(k, &what)),
        };
        if revision.is_none() {
            revision = Some(
                page.pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        let jitems = match jpage.get("items") {
            Some(J::Arr(a)) => a.as_slice(),
            _ => &[],
        };
        for (it, jit) in page
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .zip(jitems)
        {
            if let Some(o) = convert(k, kind, it, jit)? {
                items.push(o);
            }
        }
        cont = page
            .pointer("/metadata/continue")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        if cont.is_none() {
            return Ok((items, revision.unwrap_or_default()));
        }
    }
    Err(bad(format!(
        "Kubernetes API server {}: {what} did not end within {MAX_PAGES} pages of {PAGE}",
        netshoot_wire::text::escape(&k.server)
    )))
}

/// The resource `name` of `kind` (in `ns`), if it exists.
pub(crate) fn one(
    k: &Kube,
    kind: &'static Kind,
    ns: Option<&str>,
    name: &str,
    resolver: netshoot_http::Resolver<'_>,
) -> Result<Option<J>, CalicoError> {
    let (path, what) = location(kind, ns);
    let mut names = vec![name.to_string()];
    match kind.kind {
        // The pod of `<node>-k8s-<pod>-<endpoint>`.
        "WorkloadEndpoint" => match wep_name_parts(name).as_slice() {
            [_, _, pod, _] => names = vec![pod.clone()],
            _ => return Ok(None),
        },
        // A policy of the default tier is stored as `default.<name>` by older writers.
        "NetworkPolicy" | "GlobalNetworkPolicy" if !name.starts_with("default.") => {
            names.push(format!("default.{name}"))
        }
        _ => {}
    }
    for n in names {
        let p = format!("{path}/{}", escape_component(&n));
        match call(k, &p, &what, resolver)? {
            Answer::Ok(v, jv) => {
                let Some(o) = convert(k, kind, &v, &jv)? else {
                    continue;
                };
                if o.at(&["metadata", "name"]).map(J::str_or_empty).as_deref() == Some(name) {
                    return Ok(Some(o));
                }
            }
            Answer::NotFound { object: true } => {}
            Answer::NotFound { object: false } => {
                if kind.kind == "WorkloadEndpoint" || kind.kind == "Node" {
                    return Ok(None);
                }
                return Err(crds_missing(k, &what));
            }
        }
    }
    Ok(None)
}

/// libcalico-go's `names.extractParts`: the name split at single dashes, `--` read as `-`.
fn wep_name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let b: Vec<char> = name.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '-' {
            if b.get(i + 1) == Some(&'-') {
                cur.push('-');
                i += 2;
                continue;
            }
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(b[i]);
        }
        i += 1;
    }
    parts.push(cur);
    parts
}

/// One object from the API server as the v3 resource, or `None` when libcalico-go leaves it
/// out (a host-networked or unscheduled pod).
/// `jv` is the same object in the server's key order.
fn convert(k: &Kube, kind: &'static Kind, v: &Value, jv: &J) -> Result<Option<J>, CalicoError> {
    match kind.kind {
        "WorkloadEndpoint" => pod_to_wep(k, kind, v),
        "Node" => Ok(Some(node_to_v3(kind, v))),
        _ => crd_to_v3(kind, v, jv).map(Some),
    }
}

/// A list of strings as [`J`].
fn str_list(v: &[Value]) -> J {
    J::Arr(
        v.iter()
            .map(|x| J::Str(x.as_str().unwrap_or_default().to_string()))
            .collect(),
    )
}

/// A string map as Go marshals `map[string]string`: keys sorted.
fn string_map(m: &[(String, String)]) -> J {
    let mut v: Vec<(String, J)> = m
        .iter()
        .map(|(k, x)| (k.clone(), J::Str(x.clone())))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.dedup_by(|a, b| a.0 == b.0);
    J::Obj(v)
}

/// A JSON object of strings as pairs (other values left out).
fn pairs(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, x)| x.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Sets `k` in pairs (replacing).
fn put(p: &mut Vec<(String, String)>, k: &str, v: String) {
    p.retain(|(kk, _)| kk != k);
    p.push((k.to_string(), v));
}

/// `conversion.ConvertUID`: each byte's bits reversed but the version (byte 6) and variant
/// (byte 8) bytes, so the v3 UID differs from the custom resource's.
pub fn convert_uid(uid: &str) -> Option<String> {
    let hex: String = uid.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || uid.len() != 36 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut b: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect();
    for (i, x) in b.iter_mut().enumerate() {
        if i != 6 && i != 8 {
            *x = x.reverse_bits();
        }
    }
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// A `crd.projectcalico.org/v1` object as the v3 resource (`ConvertK8sResourceToCalicoResource`).
fn crd_to_v3(kind: &'static Kind, v: &Value, jv: &J) -> Result<J, CalicoError> {
    let Some(obj) = v.as_object() else {
        return Err(bad(format!("a {} is not a JSON object", kind.kind)));
    };
    let empty = Value::Null;
    let m = obj.get("metadata").unwrap_or(&empty);
    let crd_name = jstr(m, "name").unwrap_or_default().to_string();
    let uid = match jstr(m, "uid") {
        Some(u) => Some(convert_uid(u).ok_or_else(|| {
            bad(format!(
                "{} {}: the uid is not a UUID",
                kind.kind,
                netshoot_wire::text::escape(&crd_name)
            ))
        })?),
        None => None,
    };
    let mut annotations = pairs(m.get("annotations"));
    let stored = annotations
        .iter()
        .find(|(k, _)| k == METADATA_ANNOTATION)
        .map(|(_, x)| x.clone());
    let mut meta: Vec<(String, J)>;
    if let Some(stored) = stored {
        let sm: Value = serde_json::from_str(&stored).map_err(|e| {
            bad(format!(
                "{} {}: the {METADATA_ANNOTATION} annotation is not JSON: {e}",
                kind.kind,
                netshoot_wire::text::escape(&crd_name)
            ))
        })?;
        annotations.retain(|(k, _)| k != METADATA_ANNOTATION);
        let mut labels = pairs(m.get("labels"));
        for (k, x) in pairs(sm.get("labels")) {
            put(&mut labels, &k, x);
        }
        for (k, x) in pairs(sm.get("annotations")) {
            put(&mut annotations, &k, x);
        }
        meta = match serde_json::from_str::<J>(&stored) {
            Ok(J::Obj(o)) => o,
            _ => Vec::new(),
        };
        let name = match jstr(&sm, "name") {
            Some(n) => n.to_string(),
            None if matches!(kind.kind, "NetworkPolicy" | "GlobalNetworkPolicy") => {
                policy_name(&crd_name, v)
            }
            None => crd_name.clone(),
        };
        meta.retain(|(k, x)| {
            let ours = matches!(
                k.as_str(),
                "name" | "namespace" | "resourceVersion" | "uid" | "labels" | "annotations"
            );
            let zero_time = k == "creationTimestamp" && matches!(x, J::Null);
            !ours && !zero_time
        });
        meta.push(("name".into(), J::Str(name)));
        if let Some(ns) = jstr(m, "namespace") {
            meta.push(("namespace".into(), J::Str(ns.into())));
        }
        if let Some(rv) = jstr(m, "resourceVersion") {
            meta.push(("resourceVersion".into(), J::Str(rv.into())));
        }
        if let Some(u) = uid {
            meta.push(("uid".into(), J::Str(u)));
        }
        if !meta.iter().any(|(k, _)| k == "creationTimestamp") {
            if let Some(t) = jstr(m, "creationTimestamp") {
                meta.push(("creationTimestamp".into(), J::Str(t.into())));
            }
        }
        if !labels.is_empty() {
            meta.push(("labels".into(), string_map(&labels)));
        }
        if !annotations.is_empty() {
            meta.push(("annotations".into(), string_map(&annotations)));
        }
    } else {
        // No stored metadata: the resource's own (the UID converted).
        meta = match jv.get("metadata") {
            Some(J::Obj(o)) => o.clone(),
            _ => Vec::new(),
        };
        if matches!(kind.kind, "NetworkPolicy" | "GlobalNetworkPolicy") {
            let n = policy_name(&crd_name, v);
            meta.retain(|(k, _)| k != "name");
            meta.push(("name".into(), J::Str(n)));
        }
        if let Some(u) = uid {
            meta.retain(|(k, _)| k != "uid");
            meta.push(("uid".into(), J::Str(u)));
        }
    }
    let rest = match jv {
        J::Obj(o) => o.clone(),
        _ => Vec::new(),
    };
    Ok(resource(kind, meta, rest))
}

/// `determinePolicyName`: a policy of the default tier (or none) loses the `default.` prefix.
fn policy_name(crd_name: &str, v: &Value) -> String {
    match v.pointer("/spec/tier").and_then(Value::as_str) {
        None | Some("") | Some("default") => crd_name
            .strip_prefix("default.")
            .unwrap_or(crd_name)
            .to_string(),
        _ => crd_name.to_string(),
    }
}

/// An address as libcalico-go's `ParseCIDROrIP` prints it: an IP as a /32 or /128.
fn ip_net(s: &str) -> Option<String> {
    match s.split_once('/') {
        Some((ip, len)) => {
            let ip: IpAddr = ip.parse().ok()?;
            let len: u8 = len.parse().ok()?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            (len <= max).then(|| format!("{ip}/{len}"))
        }
        None => {
            let ip: IpAddr = s.parse().ok()?;
            Some(format!("{ip}/{}", if ip.is_ipv4() { 32 } else { 128 }))
        }
    }
}

/// `cnet.ParseCIDR(s)`'s network, as Go prints it: the address masked to the prefix.
fn network(s: &str) -> Option<String> {
    let (ip, len) = s.split_once('/')?;
    let len: u32 = len.parse().ok()?;
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) if len <= 32 => {
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            Some(format!(
                "{}/{len}",
                std::net::Ipv4Addr::from(u32::from(a) & mask)
            ))
        }
        IpAddr::V6(a) if len <= 128 => {
            let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            Some(format!(
                "{}/{len}",
                std::net::Ipv6Addr::from(u128::from(a) & mask)
            ))
        }
        _ => None,
    }
}

/// `appendEndpointPorts`: the containers' (then the init containers') ports that have a name
/// or a host port, with the protocol as numorstring spells it (`TCP` when none).
fn named_ports(spec: &Value) -> Vec<J> {
    let mut out = Vec::new();
    for list in ["containers", "initContainers"] {
        for c in spec
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for p in c
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let num = |k: &str| p.get(k).and_then(Value::as_u64).unwrap_or(0);
                let (port, host_port) = (num("containerPort"), num("hostPort"));
                let name = jstr(p, "name").unwrap_or_default();
                if port == 0 || (host_port == 0 && name.is_empty()) {
                    continue;
                }
                let proto = match jstr(p, "protocol").unwrap_or("TCP") {
                    "TCP" => "TCP",
                    "UDP" => "UDP",
                    "SCTP" => "SCTP",
                    _ => continue,
                };
                out.push(J::Obj(vec![
                    ("name".into(), J::Str(name.into())),
                    ("protocol".into(), J::Str(proto.into())),
                    ("port".into(), J::Num((port & 0xffff).into())),
                    ("hostPort".into(), J::Num((host_port & 0xffff).into())),
                    (
                        "hostIP".into(),
                        J::Str(jstr(p, "hostIP").unwrap_or_default().into()),
                    ),
                ]));
            }
        }
    }
    out
}

/// The host-side veth Calico's CNI makes for the pod: prefix + SHA-1(`ns.pod`)'s first 11 hex
/// digits (`VethNameForWorkload`).
pub fn veth_name(prefix: &str, namespace: &str, pod: &str) -> String {
    let d = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("{namespace}.{pod}").as_bytes(),
    );
    let hex: String = d.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{}", &hex[..11])
}

/// A Pod as its workload endpoint (`podToDefaultWorkloadEndpoint`), or `None` for a pod
/// Calico does not network (host network, not scheduled).
fn pod_to_wep(k: &Kube, kind: &'static Kind, pod: &Value) -> Result<Option<J>, CalicoError> {
    let empty = Value::Null;
    let m = pod.get("metadata").unwrap_or(&empty);
    let spec = pod.get("spec").unwrap_or(&empty);
    let status = pod.get("status").unwrap_or(&empty);
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    let Some(node) = jstr(spec, "nodeName") else {
        return Ok(None);
    };
    let name = jstr(m, "name").unwrap_or_default();
    let ns = jstr(m, "namespace").unwrap_or_default();
    let annotations = pairs(m.get("annotations"));
    let ann = |k: &str| {
        annotations
            .iter()
            .find(|(kk, _)| kk == k)
            .map(|(_, v)| v.as_str())
    };
    let sa = jstr(spec, "serviceAccountName");
    let mut profiles = vec![J::Str(format!("kns.{ns}"))];
    if let Some(sa) = sa {
        let ns = if ns.is_empty() { "default" } else { ns };
        profiles.push(J::Str(format!("ksa.{ns}.{sa}")));
    }
    let wep_name = format!(
        "{}-k8s-{}-eth0",
        node.replace('-', "--"),
        name.replace('-', "--")
    );
    // getPodIPs: status.podIPs, status.podIP, then Calico's annotations (and AWS's).
    let mut ips: Vec<String> = status
        .get("podIPs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| jstr(x, "ip").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if ips.is_empty() {
        if let Some(ip) = jstr(status, "podIP") {
            ips.push(ip.into());
        } else if let Some(v) = ann("cni.projectcalico.org/podIPs").filter(|v| !v.is_empty()) {
            ips = v.split(',').map(str::to_string).collect();
        } else if let Some(v) = ann("cni.projectcalico.org/podIP").filter(|v| !v.is_empty()) {
            ips.push(v.into());
        } else if let Some(v) = ann("vpc.amazonaws.com/pod-ips").filter(|v| !v.is_empty()) {
            ips = v.split(',').map(str::to_string).collect();
        }
    }
    let mut nets = Vec::new();
    for ip in &ips {
        nets.push(ip_net(ip.trim()).ok_or_else(|| {
            bad(format!(
                "pod {}: '{}' is not an IP address",
                netshoot_wire::text::escape(&format!("{ns}/{name}")),
                netshoot_wire::text::escape(ip)
            ))
        })?);
    }
    // IsFinished: a finished pod (or one being deleted whose IP Calico's CNI released) owns
    // no IP.
    let deleting = m.get("deletionTimestamp").is_some_and(|t| !t.is_null());
    let released = ann("cni.projectcalico.org/podIP") == Some("")
        || ann("vpc.amazonaws.com/pod-ips") == Some("");
    let phase = jstr(status, "phase").unwrap_or_default();
    if (deleting && released) || matches!(phase, "Failed" | "Succeeded" | "Completed") {
        nets.clear();
    }
    // Floating IPs: NATs to the pod's IPv4 or IPv6 address.
    let mut nats = Vec::new();
    if let (Some(f), false) = (ann("cni.projectcalico.org/floatingIPs"), nets.is_empty()) {
        let list: Vec<String> = serde_json::from_str(f).map_err(|e| {
            bad(format!(
                "pod {}: the floatingIPs annotation is not a JSON list of strings: {e}",
                netshoot_wire::text::escape(&format!("{ns}/{name}"))
            ))
        })?;
        let addr = |v6: bool| {
            nets.iter()
                .rfind(|n| n.contains(':') == v6)
                .map(|n| n.split('/').next().unwrap_or_default().to_string())
        };
        for ext in list {
            if let Some(int) = addr(ext.contains(':')) {
                nats.push(J::Obj(vec![
                    ("internalIP".into(), J::Str(int)),
                    ("externalIP".into(), J::Str(ext)),
                ]));
            }
        }
    }
    let mut labels = pairs(m.get("labels"));
    put(&mut labels, "projectcalico.org/namespace", ns.to_string());
    put(&mut labels, "projectcalico.org/orchestrator", "k8s".into());
    if let Some(sa) = sa.filter(|s| s.len() < 63) {
        put(
            &mut labels,
            "projectcalico.org/serviceaccount",
            sa.to_string(),
        );
    }
    let mut meta = vec![("name".to_string(), J::Str(wep_name))];
    if let Some(g) = jstr(m, "generateName") {
        meta.push(("generateName".into(), J::Str(g.into())));
    }
    meta.push(("namespace".into(), J::Str(ns.into())));
    if let Some(u) = jstr(m, "uid") {
        meta.push(("uid".into(), J::Str(u.into())));
    }
    if let Some(rv) = jstr(m, "resourceVersion") {
        meta.push(("resourceVersion".into(), J::Str(rv.into())));
    }
    if let Some(t) = jstr(m, "creationTimestamp") {
        meta.push(("creationTimestamp".into(), J::Str(t.into())));
    }
    meta.push(("labels".into(), string_map(&labels)));
    if let Some(s) = ann("k8s.v1.cni.cncf.io/network-status") {
        meta.push((
            "annotations".into(),
            string_map(&[("k8s.v1.cni.cncf.io/network-status".into(), s.into())]),
        ));
    }
    let mut spec_out = vec![
        ("orchestrator".to_string(), J::Str("k8s".into())),
        ("node".into(), J::Str(node.into())),
    ];
    if let Some(c) = ann("cni.projectcalico.org/containerID").filter(|c| !c.is_empty()) {
        spec_out.push(("containerID".into(), J::Str(c.into())));
    }
    spec_out.push(("pod".into(), J::Str(name.into())));
    spec_out.push(("endpoint".into(), J::Str("eth0".into())));
    if let Some(sa) = sa {
        spec_out.push(("serviceAccountName".into(), J::Str(sa.into())));
    }
    if !nets.is_empty() {
        spec_out.push((
            "ipNetworks".into(),
            J::Arr(nets.into_iter().map(J::Str).collect()),
        ));
    }
    if !nats.is_empty() {
        spec_out.push(("ipNATs".into(), J::Arr(nats)));
    }
    spec_out.push(("profiles".into(), J::Arr(profiles)));
    spec_out.push((
        "interfaceName".into(),
        J::Str(veth_name(&k.iface_prefix, ns, name)),
    ));
    let ports = named_ports(spec);
    if !ports.is_empty() {
        spec_out.push(("ports".into(), J::Arr(ports)));
    }
    if let Some(a) = ann("cni.projectcalico.org/allowedSourcePrefixes").filter(|a| !a.is_empty()) {
        let bad_prefix = |why: String| {
            bad(format!(
                "pod {}: allowedSourcePrefixes: {}",
                netshoot_wire::text::escape(&format!("{ns}/{name}")),
                netshoot_wire::text::escape(&why)
            ))
        };
        let list: Vec<String> = serde_json::from_str(a)
            .map_err(|e| bad_prefix(format!("not a JSON list of strings: {e}")))?;
        let mut nets = Vec::new();
        for p in &list {
            nets.push(J::Str(
                network(p).ok_or_else(|| bad_prefix(format!("'{p}' is not a CIDR")))?,
            ));
        }
        if !nets.is_empty() {
            spec_out.push(("allowSpoofedSourcePrefixes".into(), J::Arr(nets)));
        }
    }
    Ok(Some(resource(
        kind,
        meta,
        vec![("spec".into(), J::Obj(spec_out))],
    )))
}

/// A Kubernetes Node as Calico's (`K8sNodeToCalico`).
fn node_to_v3(kind: &'static Kind, node: &Value) -> J {
    let empty = Value::Null;
    let m = node.get("metadata").unwrap_or(&empty);
    let annotations = pairs(m.get("annotations"));
    let ann = |k: &str| {
        annotations
            .iter()
            .find(|(kk, _)| kk == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    // SetCalicoMetadataFromK8sAnnotations: Calico's labels and annotations stored as JSON in
    // annotations; then the node's own labels over them, and those also kept as kube-labels.
    let mut labels: Vec<(String, String)> = ann("projectcalico.org/labels")
        .and_then(|l| serde_json::from_str::<Value>(&l).ok())
        .map(|v| pairs(Some(&v)))
        .unwrap_or_default();
    let k8s_labels = pairs(m.get("labels"));
    for (k, v) in &k8s_labels {
        put(&mut labels, k, v.clone());
    }
    let mut calico_ann: Vec<(String, String)> = ann("projectcalico.org/annotations")
        .and_then(|l| serde_json::from_str::<Value>(&l).ok())
        .map(|v| pairs(Some(&v)))
        .unwrap_or_default();
    // json.Marshal of the node's labels: `null` for a node without any.
    let kube_labels = match m.get("labels") {
        Some(Value::Object(_)) => {
            let mut s = String::new();
            super::go_json_compact(&string_map(&k8s_labels), &mut s);
            s
        }
        _ => "null".to_string(),
    };
    put(
        &mut calico_ann,
        "projectcalico.org/kube-labels",
        kube_labels,
    );
    let name = jstr(m, "name").unwrap_or_default().to_string();
    let mut meta = vec![("name".to_string(), J::Str(name.clone()))];
    if let Some(u) = jstr(m, "uid") {
        meta.push(("uid".into(), J::Str(u.into())));
    }
    if let Some(rv) = jstr(m, "resourceVersion") {
        meta.push(("resourceVersion".into(), J::Str(rv.into())));
    }
    if let Some(t) = jstr(m, "creationTimestamp") {
        meta.push(("creationTimestamp".into(), J::Str(t.into())));
    }
    if !labels.is_empty() {
        meta.push(("labels".into(), string_map(&labels)));
    }
    meta.push(("annotations".into(), string_map(&calico_ann)));

    let mut bgp = Vec::new();
    if let Some(asn) = ann("projectcalico.org/ASNumber").and_then(|a| as_number(&a)) {
        bgp.push(("asNumber".to_string(), J::Num(asn.into())));
    }
    for (key, field) in [
        ("projectcalico.org/IPv4Address", "ipv4Address"),
        ("projectcalico.org/IPv6Address", "ipv6Address"),
        ("projectcalico.org/IPv4IPIPTunnelAddr", "ipv4IPIPTunnelAddr"),
        (
            "projectcalico.org/RouteReflectorClusterID",
            "routeReflectorClusterID",
        ),
    ] {
        if let Some(v) = ann(key) {
            bgp.push((field.to_string(), J::Str(v)));
        }
    }
    let mut spec = Vec::new();
    if !bgp.is_empty() {
        spec.push(("bgp".to_string(), J::Obj(bgp.clone())));
    }
    for (key, field) in [
        (
            "projectcalico.org/IPv4VXLANTunnelAddr",
            "ipv4VXLANTunnelAddr",
        ),
        ("projectcalico.org/VXLANTunnelMACAddr", "vxlanTunnelMACAddr"),
        (
            "projectcalico.org/IPv6VXLANTunnelAddr",
            "ipv6VXLANTunnelAddr",
        ),
        (
            "projectcalico.org/VXLANTunnelMACAddrV6",
            "vxlanTunnelMACAddrV6",
        ),
    ] {
        if let Some(v) = ann(key) {
            spec.push((field.to_string(), J::Str(v)));
        }
    }
    spec.push((
        "orchRefs".into(),
        J::Arr(vec![J::Obj(vec![
            ("nodeName".into(), J::Str(name)),
            ("orchestrator".into(), J::Str("k8s".into())),
        ])]),
    ));
    let mut wg = Vec::new();
    for (key, field) in [
        (
            "projectcalico.org/IPv4WireguardInterfaceAddr",
            "interfaceIPv4Address",
        ),
        (
            "projectcalico.org/IPv6WireguardInterfaceAddr",
            "interfaceIPv6Address",
        ),
    ] {
        if let Some(v) = ann(key) {
            wg.push((field.to_string(), J::Str(v)));
        }
    }
    if !wg.is_empty() {
        spec.push(("wireguard".into(), J::Obj(wg)));
    }
    // fillAllAddresses: Calico's BGP addresses, then the node's internal and external ones.
    let mut addrs = Vec::new();
    for f in ["ipv4Address", "ipv6Address"] {
        if let Some((_, J::Str(a))) = bgp.iter().find(|(k, _)| k == f) {
            addrs.push(J::Obj(vec![
                ("address".into(), J::Str(a.clone())),
                ("type".into(), J::Str("CalicoNodeIP".into())),
            ]));
        }
    }
    for a in node
        .pointer("/status/addresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let t = jstr(a, "type").unwrap_or_default();
        if matches!(t, "InternalIP" | "ExternalIP") {
            addrs.push(J::Obj(vec![
                (
                    "address".into(),
                    J::Str(jstr(a, "address").unwrap_or_default().into()),
                ),
                ("type".into(), J::Str(t.into())),
            ]));
        }
    }
    if !addrs.is_empty() {
        spec.push(("addresses".into(), J::Arr(addrs)));
    }
    let mut status = Vec::new();
    for (key, field) in [
        ("projectcalico.org/WireguardPublicKey", "wireguardPublicKey"),
        (
            "projectcalico.org/WireguardPublicKeyV6",
            "wireguardPublicKeyV6",
        ),
    ] {
        if let Some(v) = ann(key) {
            status.push((field.to_string(), J::Str(v)));
        }
    }
    if let Some(c) = node.pointer("/spec/podCIDRs").and_then(Value::as_array) {
        if !c.is_empty() {
            status.push(("podCIDRs".into(), str_list(c)));
        }
    }
    resource(
        kind,
        meta,
        vec![
            ("spec".into(), J::Obj(spec)),
            ("status".into(), J::Obj(status)),
        ],
    )
}

/// `numorstring.ASNumberFromString`: a plain number or the dotted `high.low` form.
fn as_number(s: &str) -> Option<u64> {
    match s.split_once('.') {
        Some((h, l)) => {
            let (h, l): (u16, u16) = (h.parse().ok()?, l.parse().ok()?);
            Some((u64::from(h) << 16) | u64::from(l))
        }
        None => s.parse::<u32>().ok().map(u64::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_bits_reversed_but_version_and_variant() {
        // Byte 0 0x5f reversed is 0xfa; byte 6 (0x4f) and byte 8 (0x9d) stay.
        assert_eq!(
            convert_uid("5f0c8d3e-6d1a-4f39-9d0b-6c2f1a7e9b01").unwrap(),
            "fa30b17c-b658-4f9c-9dd0-36f4587ed980"
        );
        assert!(convert_uid("not-a-uuid").is_none());
    }

    #[test]
    fn wep_names_split_at_single_dashes() {
        assert_eq!(
            wep_name_parts("node--1-k8s-web--0-eth0"),
            vec!["node-1", "k8s", "web-0", "eth0"]
        );
    }

    #[test]
    fn ip_nets() {
        assert_eq!(network("10.1.2.3/16").unwrap(), "10.1.0.0/16");
        assert_eq!(network("fd00::1:2/112").unwrap(), "fd00::1:0/112");
        assert_eq!(network("10.1.2.3/0").unwrap(), "0.0.0.0/0");
        assert!(network("10.1.2.3/33").is_none());
        assert_eq!(ip_net("10.0.0.5").unwrap(), "10.0.0.5/32");
        assert_eq!(ip_net("fd00::0:5").unwrap(), "fd00::5/128");
        assert!(ip_net("10.0.0.300").is_none());
    }
}
