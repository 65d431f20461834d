//! A stand-in Kubernetes API server for tests: HTTPS on 127.0.0.1 (a certificate the test makes
//! with openssl), authentication by `Authorization: Bearer TOKEN` or by a client certificate its
//! CA signed (401 otherwise, 403 for paths the test forbids), and the read side of the REST API
//! for the objects the test stores: `GET` of a collection (`/api/v1/pods`,
//! `/api/v1/namespaces/NS/pods`, `/api/v1/nodes`, `/apis/crd.projectcalico.org/v1/PLURAL`, …)
//! with `limit`/`continue` paging, and of one object by name.
//!
//! The answers have the API server's shapes (k8s.io/apimachinery `metav1.List`/`Status`, as
//! `staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go` defines them): a list is
//! `{"kind":"<Kind>List","apiVersion":…,"metadata":{"resourceVersion":…,"continue":…,
//! "remainingItemCount":…},"items":[…]}`, items in namespace/name order (etcd's key order);
//! built-in kinds' items carry no kind/apiVersion, custom resources' do (unstructured); errors
//! are `Status` objects with `reason` and `code`. It is a stand-in, not a Kubernetes: no
//! discovery, watch, field or label selectors, writes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};

/// What the server holds and answers.
#[derive(Debug, Default)]
pub struct State {
    /// The bearer token accepted.
    pub token: String,
    /// Path prefixes answered 403 Forbidden.
    pub forbidden: Vec<String>,
    /// Whether `crd.projectcalico.org/v1` is served (Calico's CRDs installed).
    pub crds: bool,
    /// The objects, each with its `kind`, `apiVersion`, `metadata.name` (and namespace).
    pub objects: Vec<Value>,
    /// Every request's target (path and query), in order.
    pub requests: Vec<String>,
    /// The body of the last 200 answer.
    pub last_body: String,
    /// The store's revision (each object added bumps it).
    pub revision: u64,
    /// At most this many items per page whatever the `limit` (an API server may send fewer
    /// than asked, with a `continue` token), so that tests page with few objects.
    pub max_page: Option<usize>,
}

/// A running stand-in; stopped on drop.
pub struct KubeStandIn {
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// The state, to change or inspect while it runs.
    pub state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for KubeStandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Where a kind is served: (API prefix, plural, namespaced, built-in).
fn place(kind: &str) -> Option<(&'static str, &'static str, bool, bool)> {
    Some(match kind {
        "Pod" => ("/api/v1", "pods", true, true),
        "Node" => ("/api/v1", "nodes", false, true),
        "Namespace" => ("/api/v1", "namespaces", false, true),
        "IPPool" => ("/apis/crd.projectcalico.org/v1", "ippools", false, false),
        "BGPConfiguration" => (
            "/apis/crd.projectcalico.org/v1",
            "bgpconfigurations",
            false,
            false,
        ),
        "BGPPeer" => ("/apis/crd.projectcalico.org/v1", "bgppeers", false, false),
        "NetworkPolicy" => (
            "/apis/crd.projectcalico.org/v1",
            "networkpolicies",
            true,
            false,
        ),
        "GlobalNetworkPolicy" => (
            "/apis/crd.projectcalico.org/v1",
            "globalnetworkpolicies",
            false,
            false,
        ),
        "HostEndpoint" => (
            "/apis/crd.projectcalico.org/v1",
            "hostendpoints",
            false,
            false,
        ),
        _ => return None,
    })
}

fn kind_of(prefix: &str, plural: &str) -> Option<&'static str> {
    [
        "Pod",
        "Node",
        "Namespace",
        "IPPool",
        "BGPConfiguration",
        "BGPPeer",
        "NetworkPolicy",
        "GlobalNetworkPolicy",
        "HostEndpoint",
    ]
    .into_iter()
    .find(|k| place(k).is_some_and(|(p, pl, _, _)| p == prefix && pl == plural))
}

fn status(code: u16, reason: &str, message: &str, details: Value) -> (u16, String) {
    (
        code,
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "details": details,
            "code": code,
        })
        .to_string(),
    )
}

fn not_served() -> (u16, String) {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
        json!({}),
    )
}

/// Percent-decoding of a query value.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
            if let Ok(x) = u8::from_str_radix(hex, 16) {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl State {
    /// Answers `GET target` for `user` (`None`: not authenticated).
    fn answer(&mut self, target: &str, user: Option<&str>) -> (u16, String) {
        self.requests.push(target.to_string());
        let Some(user) = user else {
            return status(401, "Unauthorized", "Unauthorized", json!({}));
        };
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let q = |k: &str| {
            query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(kk, _)| *kk == k)
                .map(|(_, v)| unescape(v))
        };
        let (prefix, rest) = if let Some(r) = path.strip_prefix("/api/v1/") {
            ("/api/v1", r)
        } else if let Some(r) = path.strip_prefix("/apis/crd.projectcalico.org/v1/") {
            if !self.crds {
                return not_served();
            }
            ("/apis/crd.projectcalico.org/v1", r)
        } else {
            return not_served();
        };
        let parts: Vec<String> = rest.split('/').map(unescape).collect();
        let (ns, plural, name) = match parts.as_slice() {
            [n, ns, pl] if n == "namespaces" => (Some(ns.clone()), pl.clone(), None),
            [n, ns, pl, name] if n == "namespaces" => {
                (Some(ns.clone()), pl.clone(), Some(name.clone()))
            }
            [pl] => (None, pl.clone(), None),
            [pl, name] => (None, pl.clone(), Some(name.clone())),
            _ => return not_served(),
        };
        let Some(kind) = kind_of(prefix, &plural) else {
            return not_served();
        };
        let (_, _, namespaced, builtin) = place(kind).unwrap_or_default();
        if ns.is_some() && !namespaced {
            return not_served();
        }
        let group = if builtin { "" } else { "crd.projectcalico.org" };
        let resource = if builtin {
            plural.clone()
        } else {
            format!("{plural}.{group}")
        };
        if self.forbidden.iter().any(|f| path.starts_with(f.as_str())) {
            let verb = if name.is_some() { "get" } else { "list" };
            let scope = match &ns {
                Some(ns) => format!("in the namespace \"{ns}\""),
                None => "at the cluster scope".into(),
            };
            return status(
                403,
                "Forbidden",
                &format!(
                    "{resource} is forbidden: User \"{user}\" cannot {verb} resource \"{plural}\" in API group \"{group}\" {scope}"
                ),
                json!({"group": group, "kind": plural}),
            );
        }
        let mut matching: Vec<&Value> = self
            .objects
            .iter()
            .filter(|o| o["kind"] == kind)
            .filter(|o| match &ns {
                Some(ns) => o["metadata"]["namespace"] == ns.as_str(),
                None => true,
            })
            .collect();
        matching.sort_by_key(|o| {
            (
                o["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                o["metadata"]["name"].as_str().unwrap_or("").to_string(),
            )
        });
        let strip = |o: &Value| {
            let mut o = o.clone();
            if builtin {
                if let Some(m) = o.as_object_mut() {
                    m.remove("kind");
                    m.remove("apiVersion");
                }
            }
            o
        };
        if let Some(name) = name {
            return match matching
                .iter()
                .find(|o| o["metadata"]["name"] == name.as_str())
            {
                Some(o) => {
                    let mut o = (*o).clone();
                    if builtin {
                        o["kind"] = json!(kind);
                        o["apiVersion"] = json!("v1");
                    }
                    (200, o.to_string())
                }
                None => status(
                    404,
                    "NotFound",
                    &format!("{resource} \"{name}\" not found"),
                    json!({"name": name, "group": group, "kind": plural}),
                ),
            };
        }
        let start: usize = match q("continue") {
            Some(c) if !c.is_empty() => {
                match c.strip_prefix("nst-offset-").and_then(|n| n.parse().ok()) {
                    Some(n) => n,
                    None => return status(400, "BadRequest", "invalid continue token", json!({})),
                }
            }
            _ => 0,
        };
        let limit: usize = q("limit")
            .and_then(|l| l.parse().ok())
            .filter(|l| *l > 0)
            .unwrap_or(usize::MAX)
            .min(self.max_page.unwrap_or(usize::MAX));
        let page: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(limit)
            .map(|o| strip(o))
            .collect();
        let next = start.saturating_add(page.len());
        let mut meta = json!({"resourceVersion": self.revision.to_string()});
        if next < matching.len() {
            // An opaque token with characters a query must escape.
            meta["continue"] = json!(format!("nst-offset-{next}"));
            meta["remainingItemCount"] = json!(matching.len() - next);
        }
        let list_kind = format!("{kind}List");
        let api_version = if builtin {
            "v1"
        } else {
            "crd.projectcalico.org/v1"
        };
        let body = json!({
            "kind": list_kind,
            "apiVersion": api_version,
            "metadata": meta,
            "items": page,
        });
        (200, body.to_string())
    }
}

impl KubeStandIn {
    /// Starts serving on a free loopback port with the server certificate and key `cert`/`key`
    /// (PEM files), accepting client certificates `client_ca` signed and the bearer `token`.
    pub fn start(cert: &str, key: &str, client_ca: &str, token: &str) -> KubeStandIn {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .expect("server certificate")
            .map(|c| c.expect("server certificate PEM"))
            .collect();
        let key = PrivateKeyDer::from_pem_file(key).expect("server key");
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(client_ca).expect("client CA") {
            roots.add(c.expect("client CA PEM")).expect("client CA");
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .allow_unauthenticated()
        .build()
        .expect("client verifier");
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_client_cert_verifier(verifier)
                .with_single_cert(chain, key)
                .expect("server certificate and key"),
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(Mutex::new(State {
            token: token.to_string(),
            crds: true,
            revision: 1000,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !sp.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => {
                        let (config, st) = (config.clone(), st.clone());
                        std::thread::spawn(move || {
                            let _ = serve(s, config, &st);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        KubeStandIn {
            url: format!("https://127.0.0.1:{port}"),
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// Stores `obj` (its kind must be one the stand-in serves).
    pub fn add(&self, obj: Value) {
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        assert!(place(&kind).is_some(), "the stand-in does not serve {kind}");
        let mut s = self.state.lock().unwrap();
        s.revision += 1;
        let mut obj = obj;
        if obj["metadata"]["resourceVersion"].is_null() {
            obj["metadata"]["resourceVersion"] = json!(s.revision.to_string());
        }
        s.objects.push(obj);
    }

    /// Changes the state.
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }
}

/// One connection: TLS, one request, one answer, close.
fn serve(
    s: TcpStream,
    config: Arc<rustls::ServerConfig>,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    s.set_nonblocking(false)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, s);
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tls.read(&mut buf)?;
        if n == 0 || head.len() > 64 << 10 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let request = lines.next().unwrap_or_default();
    let mut it = request.split(' ');
    let (method, target) = (it.next().unwrap_or_default(), it.next().unwrap_or_default());
    let auth = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim().to_string());
    let has_cert = tls.conn.peer_certificates().is_some_and(|c| !c.is_empty());
    let (code, body) = {
        let mut st = state.lock().unwrap();
        let user = match &auth {
            Some(a) if a.strip_prefix("Bearer ") == Some(st.token.as_str()) => {
                Some("system:serviceaccount:calico-system:calicoctl")
            }
            Some(_) => None,
            None if has_cert => Some("calicoctl-cert"),
            None => None,
        };
        if method != "GET" {
            status(
                405,
                "MethodNotAllowed",
                "the stand-in only reads",
                json!({}),
            )
        } else {
            let (code, body) = st.answer(target, user);
            if code == 200 {
                st.last_body = body.clone();
            }
            (code, body)
        }
    };
    let reason = match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let answer = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(answer.as_bytes())?;
    tls.flush()?;
    tls.conn.send_close_notify();
    let _ = tls.conn.complete_io(&mut tls.sock);
    Ok(())
}
