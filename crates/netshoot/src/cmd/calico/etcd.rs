//! Calico's etcdv3 datastore, read through etcd's v3 JSON gateway (`POST /v3/kv/range`, served
//! on the client port next to gRPC) with netshoot's HTTP client: one deadline per call, a capped
//! answer, TLS with the CA and client certificate calicoctl's `ETCD_*` variables name. Keys
//! follow libcalico-go's layout, `/calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>`,
//! each holding the resource's v3 JSON.

use std::fmt::Write as _;

use super::{
    b64_decode, b64_encode, resource, CalicoError, Capped, Kind, CALL_TIME, CONNECT_TIME, J,
};

/// Where the datastore is and how to reach it (calicoctl's environment).
/// Where the datastore is and how to reach it (calicoctl's environment).
#[derive(Debug, Clone)]
pub struct Etcd {
    /// `ETCD_ENDPOINTS`, in order.
    pub endpoints: Vec<String>,
    /// The TLS settings from `ETCD_CA_CERT_FILE`, `ETCD_CERT_FILE`, `ETCD_KEY_FILE`.
    pub tls: netshoot_http::TlsOptions,
    /// `ETCD_USERNAME` and `ETCD_PASSWORD` (etcd's own authentication), when set.
    pub credentials: Option<(String, String)>,
}

impl Etcd {
    /// calicoctl's variables from `env` (`ETCD_ENDPOINTS`, `ETCD_CA_CERT_FILE`,
    /// `ETCD_CERT_FILE`, `ETCD_KEY_FILE`, `ETCD_USERNAME`, `ETCD_PASSWORD`; the caller looks up
    /// `CALICO_NAME` before `NAME`, as libcalico-go's envconfig does); the files are read now.
    pub(crate) fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Etcd, CalicoError> {
        let endpoints: Vec<String> = env("ETCD_ENDPOINTS")
            .unwrap_or_else(|| "http://127.0.0.1:2379".into())
            .split(',')
            .map(|e| e.trim().trim_end_matches('/').to_string())
            .filter(|e| !e.is_empty())
            .collect();
        if endpoints.is_empty() {
            return Err(CalicoError::Datastore(
                "ETCD_ENDPOINTS is empty (give URLs such as https://10.0.0.1:2379)".into(),
            ));
        }
        for e in &endpoints {
            if !(e.starts_with("http://") || e.starts_with("https://")) {
                return Err(CalicoError::Datastore(format!(
                    "ETCD_ENDPOINTS: '{e}' is not an http:// or https:// URL"
                )));
            }
        }
        let read = |var: &str| -> Result<Option<Vec<u8>>, CalicoError> {
            match env(var).filter(|p| !p.is_empty()) {
                None => Ok(None),
                Some(p) => std::fs::read(&p)
                    .map(Some)
                    .map_err(|e| CalicoError::Datastore(format!("{var}={p}: cannot read: {e}"))),
            }
        };
        let ca = read("ETCD_CA_CERT_FILE")?;
        let client = match (read("ETCD_CERT_FILE")?, read("ETCD_KEY_FILE")?) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => {
                return Err(CalicoError::Datastore(
                    "ETCD_CERT_FILE and ETCD_KEY_FILE go together: give both or neither".into(),
                ))
            }
        };
        let credentials = match (env("ETCD_USERNAME"), env("ETCD_PASSWORD")) {
            (Some(u), p) if !u.is_empty() => Some((u, p.unwrap_or_default())),
            _ => None,
        };
        Ok(Etcd {
            credentials,
            endpoints,
            tls: netshoot_http::TlsOptions {
                insecure: false,
                ca_pem: ca,
                client_pem: client,
            },
        })
    }
}

/// One key-value pair read from etcd.
#[derive(Debug, Clone)]
pub struct Kv {
    /// The key.
    pub key: String,
    /// Its value (a resource's JSON).
    pub value: Vec<u8>,
    /// Its `mod_revision` (Calico's resourceVersion).
    pub mod_revision: String,
}

/// `Range` through the JSON gateway: the key `key`, or with `prefix` every key under it.
/// Returns the pairs and the store's revision. Endpoints are tried in order until one answers.
pub fn range(
    etcd: &Etcd,
    key: &str,
    prefix: bool,
    resolver: netshoot_http::Resolver<'_>,
) -> Result<(Vec<Kv>, String), CalicoError> {
    let mut body = format!("{{\"key\":\"{}\"", b64_encode(key.as_bytes()));
    if prefix {
        let mut end = key.as_bytes().to_vec();
        // The range end of a prefix: the prefix with its last byte plus one ('/' + 1 = '0').
        if let Some(l) = end.last_mut() {
            *l += 1;
        }
        let _ = write!(body, ",\"range_end\":\"{}\"", b64_encode(&end));
    }
    body.push('}');
    let mut failures = Vec::new();
    for ep in &etcd.endpoints {
        let answer = authenticate(etcd, ep, resolver).and_then(|token| {
            post(
                etcd,
                ep,
                "/v3/kv/range",
                body.as_bytes(),
                token.as_deref(),
                resolver,
            )
        });
        match answer {
            Ok(a) => return parse_range(ep, &a),
            Err(Failed::Fatal(e)) => return Err(e),
            Err(Failed::Next(m)) => failures.push(m),
        }
    }
    Err(CalicoError::Datastore(format!(
        "cannot read the etcdv3 datastore (ETCD_ENDPOINTS): {}",
        failures.join("; ")
    )))
}

/// Why a call failed: give up, or try the next endpoint.
enum Failed {
    Fatal(CalicoError),
    Next(String),
}

/// With `ETCD_USERNAME`/`ETCD_PASSWORD`, etcd's auth token for `ep` (`/v3/auth/authenticate`).
fn authenticate(
    etcd: &Etcd,
    ep: &str,
    resolver: netshoot_http::Resolver<'_>,
) -> Result<Option<String>, Failed> {
    let Some((user, password)) = &etcd.credentials else {
        return Ok(None);
    };
    let body = serde_json::json!({ "name": user, "password": password }).to_string();
    let a = post(
        etcd,
        ep,
        "/v3/auth/authenticate",
        body.as_bytes(),
        None,
        resolver,
    )?;
    let v: serde_json::Value = serde_json::from_slice(&a).map_err(|e| {
        Failed::Fatal(CalicoError::Datastore(format!(
            "etcd at {ep}: the authenticate answer is not JSON: {e}"
        )))
    })?;
    match v.get("token").and_then(|t| t.as_str()) {
        Some(t) if !t.is_empty() => Ok(Some(t.to_string())),
        _ => Err(Failed::Fatal(CalicoError::Datastore(format!(
            "etcd at {ep}: no token in the authenticate answer"
        )))),
    }
}

/// One bounded POST of JSON to `ep` + `path`: the answer of a 200, else why not.
fn post(
    etcd: &Etcd,
    ep: &str,
    path: &str,
    body: &[u8],
    token: Option<&str>,
    resolver: netshoot_http::Resolver<'_>,
) -> Result<Vec<u8>, Failed> {
    let mut o = netshoot_http::Options::new(&format!("{ep}{path}"));
    o.method = Some("POST".into());
    o.headers = vec![("Content-Type".into(), "application/json".into())];
    if let Some(t) = token {
        o.headers.push(("Authorization".into(), t.into()));
    }
    o.body = Some(body.to_vec());
    o.version = netshoot_http::Version::Http11;
    o.tls = etcd.tls.clone();
    o.max_time = CALL_TIME;
    o.connect_timeout = CONNECT_TIME;
    let mut sink = Capped(Vec::new());
    match netshoot_http::fetch(&o, &mut *resolver, &mut |_| {}, &mut sink) {
        Ok(t) if t.last().status == 200 => Ok(sink.0),
        Ok(t) => {
            // The gateway's error object ({"error": …, "code": …}), or the start of the body.
            let msg = serde_json::from_slice::<serde_json::Value>(&sink.0)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&sink.0)
                        .trim()
                        .chars()
                        .take(200)
                        .collect()
                });
            Err(Failed::Fatal(CalicoError::Datastore(format!(
                "etcd at {ep} answered HTTP {}: {}",
                t.last().status,
                netshoot_wire::text::escape(&msg)
            ))))
        }
        Err(e @ netshoot_http::Error::Usage(_)) => Err(Failed::Fatal(CalicoError::Datastore(
            format!("etcd TLS settings: {e}"),
        ))),
        // The client's own timeout messages name curl's flags: say it for calicoctl.
        Err(netshoot_http::Error::Timeout { secs, phase }) => Err(Failed::Next(format!(
            "{ep}: timed out after {secs:.0} s {}",
            phase.doing()
        ))),
        Err(netshoot_http::Error::ConnectTimeout { secs, phase, .. }) => {
            Err(Failed::Next(format!(
                "{ep}: no connection within {secs:.0} s: still {}",
                phase.doing()
            )))
        }
        Err(e) => Err(Failed::Next(format!("{ep}: {e}"))),
    }
}

fn parse_range(ep: &str, answer: &[u8]) -> Result<(Vec<Kv>, String), CalicoError> {
    let bad = |why: String| CalicoError::Datastore(format!("etcd at {ep}: {why}"));
    let v: serde_json::Value = serde_json::from_slice(answer)
        .map_err(|e| bad(format!("the range answer is not JSON: {e}")))?;
    let num = |x: Option<&serde_json::Value>| match x {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => "0".into(),
    };
    let revision = num(v.pointer("/header/revision"));
    let mut kvs = Vec::new();
    if let Some(list) = v.get("kvs").and_then(|k| k.as_array()) {
        for kv in list {
            let dec = |f: &str| {
                b64_decode(kv.get(f).and_then(|x| x.as_str()).unwrap_or(""))
                    .ok_or_else(|| bad(format!("a {f} is not base64")))
            };
            kvs.push(Kv {
                key: String::from_utf8_lossy(&dec("key")?).into_owned(),
                value: dec("value")?,
                mod_revision: num(kv.get("mod_revision")),
            });
        }
    }
    Ok((kvs, revision))
}

/// The key prefix of `kind` (with its namespace when it has one).
pub fn key_prefix(kind: &Kind, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) if kind.namespaced => {
            format!(
                "/calico/resources/v3/projectcalico.org/{}/{ns}/",
                kind.plural
            )
        }
        _ => format!("/calico/resources/v3/projectcalico.org/{}/", kind.plural),
    }
}

/// A stored resource as calicoctl shows it: its v3 JSON with `resourceVersion` = the key's
/// mod_revision.
fn shape(kind: &Kind, kv: &Kv) -> Result<J, CalicoError> {
    let v: J = serde_json::from_slice(&kv.value).map_err(|e| {
        CalicoError::Datastore(format!(
            "{}: not a resource's JSON: {e}",
            netshoot_wire::text::escape(&kv.key)
        ))
    })?;
    let J::Obj(top) = v else {
        return Err(CalicoError::Datastore(format!(
            "{}: not a JSON object",
            netshoot_wire::text::escape(&kv.key)
        )));
    };
    let mut meta: Vec<(String, J)> = match top.iter().find(|(k, _)| k == "metadata") {
        Some((_, J::Obj(m))) => m.clone(),
        _ => Vec::new(),
    };
    meta.retain(|(k, _)| k != "resourceVersion");
    meta.push(("resourceVersion".into(), J::Str(kv.mod_revision.clone())));
    Ok(resource(kind, meta, top))
}

/// Every resource of `kind` under its prefix (in `ns`, or in every namespace).
pub(crate) fn list(
    etcd: &Etcd,
    kind: &'static Kind,
    ns: Option<&str>,
    resolver: netshoot_http::Resolver<'_>,
) -> Result<(Vec<J>, String), CalicoError> {
    let prefix = key_prefix(kind, ns);
    let (kvs, rev) = range(etcd, &prefix, true, resolver)?;
    let mut items = Vec::new();
    for kv in &kvs {
        // Only the kind's own depth: `<plural>/<name>` or `<plural>/<ns>/<name>`.
        // (A key outside the prefix, from a broken or hostile server, is left out.)
        let Some(rest) = kv.key.strip_prefix(prefix.as_str()) else {
            continue;
        };
        let depth = rest.matches('/').count();
        let want = usize::from(kind.namespaced && ns.is_none());
        if depth == want {
            items.push(shape(kind, kv)?);
        }
    }
    Ok((items, rev))
}

/// The resource `name` of `kind`, if it is stored.
pub(crate) fn one(
    etcd: &Etcd,
    kind: &'static Kind,
    ns: Option<&str>,
    name: &str,
    resolver: netshoot_http::Resolver<'_>,
) -> Result<Option<J>, CalicoError> {
    let (kvs, _) = range(
        etcd,
        &format!("{}{name}", key_prefix(kind, ns)),
        false,
        resolver,
    )?;
    kvs.first().map(|kv| shape(kind, kv)).transpose()
}
