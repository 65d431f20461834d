//! Calico's resources read from its etcdv3 datastore, printed as `calicoctl get` prints them.
//!
//! The datastore is read through etcd's v3 JSON gateway (`POST /v3/kv/range`, served on the
//! client port next to gRPC) with netshoot's HTTP client: one deadline per call, a capped answer,
//! TLS with the CA and client certificate calicoctl's `ETCD_*` variables name. Keys follow
//! libcalico-go's layout, `/calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>`,
//! each holding the resource's v3 JSON. Tables follow calicoctl's column templates and its
//! tabwriter (minimum width 5, padding 3, every cell tab-terminated); `-o yaml` and `-o json`
//! follow its printers (Go's JSON encoder with HTML escaping; YAML through JSON, keys sorted).

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One call's deadline (name lookup, connect, TLS, request and answer).
const CALL_TIME: Duration = Duration::from_secs(10);
/// The connection phase's share of it.
const CONNECT_TIME: Duration = Duration::from_secs(5);
/// The largest answer read from etcd (the gateway's JSON, base64 values included).
const MAX_ANSWER: usize = 64 << 20;

/// A resource kind calicoctl gets: its names, etcd plural and table columns.
#[derive(Debug)]
pub struct Kind {
    /// The v3 kind, e.g. `IPPool`.
    pub kind: &'static str,
    /// The names calicoctl accepts for it.
    pub names: &'static [&'static str],
    /// Its plural in the etcd key.
    pub plural: &'static str,
    /// Whether it lives in a namespace.
    pub namespaced: bool,
    /// The default columns.
    pub heads: &'static [&'static str],
    /// The `-o wide` columns.
    pub wide: &'static [&'static str],
}

/// The kinds `calico get` reads (calicoctl's `resourcemgr` registrations).
pub static KINDS: &[Kind] = &[
    Kind {
        kind: "WorkloadEndpoint",
        names: &["workloadendpoint", "workloadendpoints", "wep", "weps"],
        plural: "workloadendpoints",
        namespaced: true,
        heads: &["WORKLOAD", "NODE", "NETWORKS", "INTERFACE"],
        wide: &[
            "NAME",
            "WORKLOAD",
            "NODE",
            "NETWORKS",
            "INTERFACE",
            "PROFILES",
            "NATS",
        ],
    },
    Kind {
        kind: "IPPool",
        names: &["ippool", "ippools", "ipp", "ipps", "pool", "pools"],
        plural: "ippools",
        namespaced: false,
        heads: &["NAME", "CIDR", "SELECTOR"],
        wide: &[
            "NAME",
            "CIDR",
            "NAT",
            "IPIPMODE",
            "VXLANMODE",
            "DISABLED",
            "DISABLEBGPEXPORT",
            "SELECTOR",
        ],
    },
    Kind {
        kind: "BGPConfiguration",
        names: &[
            "bgpconfiguration",
            "bgpconfigurations",
            "bgpconfig",
            "bgpconfigs",
        ],
        plural: "bgpconfigurations",
        namespaced: false,
        heads: &["NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"],
        wide: &["NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"],
    },
    Kind {
        kind: "BGPPeer",
        names: &["bgppeer", "bgppeers", "bgpp", "bgpps", "bp", "bps"],
        plural: "bgppeers",
        namespaced: false,
        heads: &["NAME", "PEERIP", "NODE", "ASN"],
        wide: &["NAME", "PEERIP", "NODE", "ASN"],
    },
    Kind {
        kind: "Node",
        names: &["node", "nodes", "no", "nos"],
        plural: "nodes",
        namespaced: false,
        heads: &["NAME"],
        wide: &["NAME", "ASN", "IPV4", "IPV6"],
    },
    Kind {
        kind: "NetworkPolicy",
        names: &[
            "networkpolicy",
            "networkpolicies",
            "policy",
            "np",
            "policies",
            "pol",
            "pols",
        ],
        plural: "networkpolicies",
        namespaced: true,
        heads: &["NAME", "TIER"],
        wide: &["NAME", "TIER", "ORDER", "SELECTOR"],
    },
    Kind {
        kind: "GlobalNetworkPolicy",
        names: &[
            "globalnetworkpolicy",
            "globalnetworkpolicies",
            "gnp",
            "gnps",
        ],
        plural: "globalnetworkpolicies",
        namespaced: false,
        heads: &["NAME"],
        wide: &["NAME", "ORDER", "SELECTOR"],
    },
    Kind {
        kind: "HostEndpoint",
        names: &["hostendpoint", "hostendpoints", "hep", "heps"],
        plural: "hostendpoints",
        namespaced: false,
        heads: &["NAME", "NODE"],
        wide: &["NAME", "NODE", "INTERFACE", "IPS", "PROFILES"],
    },
];

/// The kind calicoctl names `name` (case-insensitive, as calicoctl lower-cases it).
pub fn kind(name: &str) -> Option<&'static Kind> {
    let l = name.to_ascii_lowercase();
    KINDS.iter().find(|k| k.names.contains(&l.as_str()))
}

/// A JSON value that keeps its objects' key order (the order Calico's Go structs wrote).
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    /// `null`.
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// A number, as written.
    Num(serde_json::Number),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<J>),
    /// An object, in order.
    Obj(Vec<(String, J)>),
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = J;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<J, E> {
                Ok(J::Null)
            }
            fn visit_none<E>(self) -> Result<J, E> {
                Ok(J::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<J, E> {
                Ok(J::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<J, E> {
                Ok(J::Num(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<J, E> {
                Ok(J::Num(n.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<J, E> {
                serde_json::Number::from_f64(n)
                    .map(J::Num)
                    .ok_or_else(|| E::custom("not a finite number"))
            }
            fn visit_str<E>(self, s: &str) -> Result<J, E> {
                Ok(J::Str(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<J, E> {
                Ok(J::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(J::Arr(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut v: Vec<(String, J)> = Vec::new();
                while let Some((k, x)) = a.next_entry::<String, J>()? {
                    // A repeated key: the last wins, as in Go.
                    v.retain(|(kk, _)| *kk != k);
                    v.push((k, x));
                }
                Ok(J::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl J {
    /// The member `k` of an object.
    pub fn get(&self, k: &str) -> Option<&J> {
        match self {
            J::Obj(m) => m.iter().find(|(kk, _)| kk == k).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows a path of members.
    pub fn at(&self, path: &[&str]) -> Option<&J> {
        path.iter().try_fold(self, |v, k| v.get(k))
    }

    fn str_or_empty(&self) -> String {
        match self {
            J::Str(s) => s.clone(),
            J::Num(n) => n.to_string(),
            J::Bool(b) => b.to_string(),
            _ => String::new(),
        }
    }
}

/// A string field as Go's template prints it (absent: empty).
fn s(o: &J, path: &[&str]) -> String {
    o.at(path).map(J::str_or_empty).unwrap_or_default()
}

/// A bool field as Go prints it (absent: `false`).
fn b(o: &J, path: &[&str]) -> String {
    matches!(o.at(path), Some(J::Bool(true))).to_string()
}

/// `{{join LIST ","}}`: the list's items joined (absent: empty).
fn join(o: &J, path: &[&str]) -> String {
    match o.at(path) {
        Some(J::Arr(v)) => v
            .iter()
            .map(|x| match x {
                // A struct (an IPNAT) as Go's %v prints it: its fields in order, in braces.
                J::Obj(m) => format!(
                    "{{{}}}",
                    m.iter()
                        .map(|(_, v)| v.str_or_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                x => x.str_or_empty(),
            })
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    }
}

/// A float64 as Go's `%v` prints it (`100`, `1.5`, `1e+21`).
fn go_float(n: &serde_json::Number) -> String {
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{}", f as i64)
    } else if f.abs() >= 1e21 || (f != 0.0 && f.abs() < 1e-4) {
        let t = format!("{f:e}");
        match t.split_once('e') {
            Some((m, e)) => match e.strip_prefix('-') {
                Some(e) => format!("{m}e-{e:0>2}"),
                None => format!("{m}e+{e:0>2}"),
            },
            None => t,
        }
    } else {
        format!("{f}")
    }
}

/// One table cell: calicoctl's template for column `col` of `kind`, applied to `o`.
/// `default_asn` gives `{{config "asnumber"}}` (read only when a node needs it).
fn cell(kind: &Kind, col: &str, o: &J, default_asn: &mut dyn FnMut() -> String) -> String {
    match (kind.kind, col) {
        (_, "NAME") => s(o, &["metadata", "name"]),
        (_, "NAMESPACE") => s(o, &["metadata", "namespace"]),
        ("IPPool", "CIDR") => s(o, &["spec", "cidr"]),
        ("IPPool", "NAT") => b(o, &["spec", "natOutgoing"]),
        ("IPPool", "IPIPMODE") | ("IPPool", "VXLANMODE") => {
            let f = if col == "IPIPMODE" {
                "ipipMode"
            } else {
                "vxlanMode"
            };
            match s(o, &["spec", f]) {
                m if m.is_empty() => "Never".into(),
                m => m,
            }
        }
        ("IPPool", "DISABLED") => b(o, &["spec", "disabled"]),
        ("IPPool", "DISABLEBGPEXPORT") => b(o, &["spec", "disableBGPExport"]),
        ("IPPool", "SELECTOR") => s(o, &["spec", "nodeSelector"]),
        ("WorkloadEndpoint", "WORKLOAD") => match s(o, &["spec", "workload"]) {
            w if w.is_empty() => s(o, &["spec", "pod"]),
            w => w,
        },
        ("WorkloadEndpoint", "NODE") | ("HostEndpoint", "NODE") => s(o, &["spec", "node"]),
        ("WorkloadEndpoint", "NETWORKS") => join(o, &["spec", "ipNetworks"]),
        ("WorkloadEndpoint", "INTERFACE") | ("HostEndpoint", "INTERFACE") => {
            s(o, &["spec", "interfaceName"])
        }
        ("WorkloadEndpoint", "PROFILES") | ("HostEndpoint", "PROFILES") => {
            join(o, &["spec", "profiles"])
        }
        ("WorkloadEndpoint", "NATS") => join(o, &["spec", "ipNATs"]),
        ("HostEndpoint", "IPS") => join(o, &["spec", "expectedIPs"]),
        ("BGPConfiguration", "LOGSEVERITY") => s(o, &["spec", "logSeverityScreen"]),
        ("BGPConfiguration", "MESHENABLED") => match o.at(&["spec", "nodeToNodeMeshEnabled"]) {
            Some(J::Bool(v)) => v.to_string(),
            _ => "-".into(),
        },
        ("BGPConfiguration", "ASNUMBER") => match o.at(&["spec", "asNumber"]) {
            Some(J::Null) | None => "-".into(),
            Some(v) => v.str_or_empty(),
        },
        ("BGPPeer", "PEERIP") => s(o, &["spec", "peerIP"]),
        ("BGPPeer", "NODE") => match (s(o, &["spec", "node"]), s(o, &["spec", "nodeSelector"])) {
            (n, sel) if n.is_empty() && sel.is_empty() => "(global)".into(),
            (n, sel) if n.is_empty() => sel,
            (n, _) => n,
        },
        ("BGPPeer", "ASN") => match o.at(&["spec", "asNumber"]) {
            Some(v @ (J::Num(_) | J::Str(_))) => v.str_or_empty(),
            _ => "0".into(),
        },
        ("Node", "ASN") => match o.at(&["spec", "bgp"]) {
            Some(J::Obj(_)) => match o.at(&["spec", "bgp", "asNumber"]) {
                Some(v @ (J::Num(_) | J::Str(_))) => v.str_or_empty(),
                _ => format!("({})", default_asn()),
            },
            _ => String::new(),
        },
        ("Node", "IPV4") => s(o, &["spec", "bgp", "ipv4Address"]),
        ("Node", "IPV6") => s(o, &["spec", "bgp", "ipv6Address"]),
        ("NetworkPolicy", "TIER") => s(o, &["spec", "tier"]),
        ("NetworkPolicy", "ORDER") | ("GlobalNetworkPolicy", "ORDER") => {
            match o.at(&["spec", "order"]) {
                Some(J::Num(n)) => go_float(n),
                _ => "<nil>".into(),
            }
        }
        ("NetworkPolicy", "SELECTOR") | ("GlobalNetworkPolicy", "SELECTOR") => {
            s(o, &["spec", "selector"])
        }
        _ => String::new(),
    }
}

/// Go's `text/tabwriter` as calicoctl sets it up (`NewWriter(out, 5, 1, 3, ' ', 0)`) for rows
/// whose every cell ends in a tab: each column as wide as its widest cell plus 3, at least 5.
pub fn tabwrite(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut width = vec![5usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count() + 3);
        }
    }
    let mut out = String::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            let _ = write!(out, "{c:<w$}", w = width[i]);
        }
        out.push('\n');
    }
    out
}

/// The resources to read and how to print them.
#[derive(Debug, Clone)]
pub struct Query {
    /// What to read.
    pub kind: &'static Kind,
    /// Names to get (none: list).
    pub names: Vec<String>,
    /// `-n NS` (for namespaced kinds; `default` when neither it nor `-A` is given).
    pub namespace: Option<String>,
    /// `-A`.
    pub all_namespaces: bool,
    /// `ps`, `wide`, `yaml` or `json`.
    pub output: String,
}

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

/// A failure to reach or read the datastore (exit 2) or a resource that is not there (exit 1).
#[derive(Debug)]
pub enum CalicoError {
    /// Bad configuration, an unreachable datastore, a refused certificate, a bad answer.
    Datastore(String),
    /// `get KIND NAME` for a resource that is not there.
    NotFound(String),
}

impl std::error::Error for CalicoError {}

impl std::fmt::Display for CalicoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CalicoError::Datastore(m) | CalicoError::NotFound(m) => f.write_str(m),
        }
    }
}

impl Etcd {
    /// calicoctl's variables from `env` (`DATASTORE_TYPE`, `ETCD_ENDPOINTS`, `ETCD_CA_CERT_FILE`,
    /// `ETCD_CERT_FILE`, `ETCD_KEY_FILE`, `ETCD_USERNAME`, `ETCD_PASSWORD`; the caller looks up
    /// `CALICO_NAME` before `NAME`, as libcalico-go's envconfig does); the files are read now.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Etcd, CalicoError> {
        // libcalico-go's applyConfigDefaults: without a type, etcdv3 when endpoints are given,
        // else kubernetes.
        let ds = env("DATASTORE_TYPE")
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| match env("ETCD_ENDPOINTS") {
                Some(e) if !e.is_empty() => "etcdv3".into(),
                _ => "kubernetes".into(),
            });
        match ds.as_str() {
            "etcdv3" => {}
            "kubernetes" => {
                return Err(CalicoError::Datastore(
                    "the Kubernetes datastore (DATASTORE_TYPE=kubernetes, calicoctl's default \
                     without ETCD_ENDPOINTS) is not read: netshoot reads Calico's etcdv3 datastore \
                     only (set ETCD_ENDPOINTS)"
                        .into(),
                ))
            }
            other => {
                return Err(CalicoError::Datastore(format!(
                    "DATASTORE_TYPE={other}: unknown datastore type (etcdv3 or kubernetes)"
                )))
            }
        }
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

/// A writer that refuses to grow past a cap.
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_ANSWER {
            return Err(std::io::Error::other(format!(
                "etcd's answer is larger than {} MiB",
                MAX_ANSWER >> 20
            )));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (the gateway's `bytes` fields).
pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for ch in data.chunks(3) {
        let n = (ch[0] as u32) << 16
            | (*ch.get(1).unwrap_or(&0) as u32) << 8
            | *ch.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= ch.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional); `None` for anything else.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let t = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(t.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in t.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits & 0xff) as u8);
        }
    }
    Some(out)
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

/// A stored resource as calicoctl shows it: `kind`, `apiVersion`, `metadata` in ObjectMeta's
/// field order (with `resourceVersion` = the key's mod_revision), then the rest as stored.
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
    if !meta.iter().any(|(k, _)| k == "creationTimestamp") {
        // metav1.Time is a struct: Go's encoder writes a zero one as null, never omits it.
        meta.push(("creationTimestamp".into(), J::Null));
    }
    const ORDER: &[&str] = &[
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    ];
    meta.sort_by_key(|(k, _)| ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()));
    let mut out = vec![
        ("kind".to_string(), J::Str(kind.kind.into())),
        (
            "apiVersion".to_string(),
            J::Str("projectcalico.org/v3".into()),
        ),
        ("metadata".to_string(), J::Obj(meta)),
    ];
    out.extend(
        top.into_iter()
            .filter(|(k, _)| !matches!(k.as_str(), "kind" | "apiVersion" | "metadata")),
    );
    Ok(J::Obj(out))
}

/// Runs the query against `etcd` and returns what calicoctl prints on stdout.
pub fn get(
    q: &Query,
    etcd: &Etcd,
    resolver: netshoot_http::Resolver<'_>,
) -> Result<String, CalicoError> {
    let ns = if q.kind.namespaced && !q.all_namespaces {
        Some(q.namespace.clone().unwrap_or_else(|| "default".into()))
    } else {
        None
    };
    let prefix = key_prefix(q.kind, ns.as_deref());
    let mut items = Vec::new();
    let mut list_revision = None;
    if q.names.is_empty() {
        let (kvs, rev) = range(etcd, &prefix, true, resolver)?;
        list_revision = Some(rev);
        for kv in &kvs {
            // Only the kind's own depth: `<plural>/<name>` or `<plural>/<ns>/<name>`.
            // (A key outside the prefix, from a broken or hostile server, is left out.)
            let Some(rest) = kv.key.strip_prefix(prefix.as_str()) else {
                continue;
            };
            let depth = rest.matches('/').count();
            let want = usize::from(q.kind.namespaced && ns.is_none());
            if depth == want {
                items.push(shape(q.kind, kv)?);
            }
        }
    } else {
        if q.kind.namespaced && q.all_namespaces {
            return Err(CalicoError::Datastore(
                "cannot use --all-namespace flag for getting a single resource".into(),
            ));
        }
        for name in &q.names {
            let (kvs, _) = range(etcd, &format!("{prefix}{name}"), false, resolver)?;
            match kvs.first() {
                Some(kv) => items.push(shape(q.kind, kv)?),
                None => {
                    let id = match &ns {
                        Some(ns) => format!("{}({ns}/{name})", q.kind.kind),
                        None => format!("{}({name})", q.kind.kind),
                    };
                    return Err(CalicoError::NotFound(format!(
                        "resource does not exist: {}",
                        netshoot_wire::text::escape(&id)
                    )));
                }
            }
        }
    }
    Ok(match q.output.as_str() {
        "yaml" | "yml" | "json" => {
            let doc = match (&list_revision, items.len()) {
                (Some(rev), _) => J::Obj(vec![
                    ("kind".into(), J::Str(format!("{}List", q.kind.kind))),
                    ("apiVersion".into(), J::Str("projectcalico.org/v3".into())),
                    (
                        "metadata".into(),
                        J::Obj(vec![("resourceVersion".into(), J::Str(rev.clone()))]),
                    ),
                    (
                        "items".into(),
                        if items.is_empty() {
                            J::Null
                        } else {
                            J::Arr(items)
                        },
                    ),
                ]),
                (None, 1) => items.remove(0),
                (None, _) => J::Arr(items),
            };
            if q.output == "json" {
                let mut out = String::new();
                go_json(&doc, 0, &mut out);
                out.push('\n');
                out
            } else {
                let mut out = String::new();
                yaml_doc(&doc, &mut out);
                out
            }
        }
        _ => {
            let mut heads: Vec<&str> = if q.output == "wide" {
                q.kind.wide.to_vec()
            } else {
                q.kind.heads.to_vec()
            };
            let print_ns = q.kind.namespaced && (q.all_namespaces || q.namespace.is_some());
            if print_ns {
                heads.insert(0, "NAMESPACE");
            }
            let mut asn: Option<String> = None;
            let mut default_asn = || -> String {
                asn.get_or_insert_with(|| {
                    let key = "/calico/resources/v3/projectcalico.org/bgpconfigurations/default";
                    match range(etcd, key, false, &mut *resolver) {
                        Ok((kvs, _)) => kvs
                            .first()
                            .and_then(|kv| serde_json::from_slice::<J>(&kv.value).ok())
                            .and_then(|v| v.at(&["spec", "asNumber"]).map(J::str_or_empty))
                            .filter(|a| !a.is_empty())
                            .unwrap_or_else(|| "64512".into()),
                        Err(_) => "unknown".into(),
                    }
                })
                .clone()
            };
            let mut rows = vec![heads.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
            for it in &items {
                rows.push(
                    heads
                        .iter()
                        // A datastore's text reaches a terminal: escaped (netshoot_wire::text).
                        .map(|h| {
                            netshoot_wire::text::escape(&cell(q.kind, h, it, &mut default_asn))
                                .into_owned()
                        })
                        .collect(),
                );
            }
            // calicoctl prints a table per resource fetched by name, and a blank line after each.
            if q.names.len() > 1 {
                let mut out = String::new();
                for r in &rows[1..] {
                    out += &tabwrite(&[rows[0].clone(), r.clone()]);
                    out.push('\n');
                }
                out
            } else {
                tabwrite(&rows) + "\n"
            }
        }
    })
}

/// A string as Go's `encoding/json` writes it (HTML-safe: `<`, `>`, `&` escaped).
fn go_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            // Go leaves DEL, C1 and bidi controls raw; escaped here (the same string to a JSON
            // reader) so that none reaches a terminal.
            c if (c as u32) < 0x20 || netshoot_wire::text::is_unsafe(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.MarshalIndent(v, "", "  ")`.
fn go_json(v: &J, indent: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(&n.to_string()),
        J::Str(s) => go_str(s, out),
        J::Arr(a) if a.is_empty() => out.push_str("[]"),
        J::Obj(m) if m.is_empty() => out.push_str("{}"),
        J::Arr(a) => {
            out.push_str("[\n");
            for (i, x) in a.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                go_json(x, indent + 1, out);
                out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        J::Obj(m) => {
            out.push_str("{\n");
            for (i, (k, x)) in m.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                go_str(k, out);
                out.push_str(": ");
                go_json(x, indent + 1, out);
                out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
    }
}

/// Whether YAML 1.1 (go-yaml v2's resolver) would read the plain scalar `s` as something other
/// than a string: null, a bool, a number or a timestamp.
fn yaml_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "y",
        "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF", ".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN", "<<",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let t = s.replace('_', "");
    if t.parse::<f64>().is_ok() && !t.contains(['i', 'I', 'n', 'N']) {
        return true;
    }
    if let Some(h) = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("-0x"))
        .or_else(|| t.strip_prefix("0b"))
    {
        if !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()) {
            return true;
        }
    }
    // A timestamp: YYYY-M-D at the start.
    let b = s.as_bytes();
    b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && s[5..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .is_some_and(|m| !m.is_empty() && m.len() <= 2)
}

/// Whether go-yaml's emitter may write `s` plain in block context.
fn yaml_plain_ok(s: &str) -> bool {
    let first = s.chars().next().unwrap_or(' ');
    let second = s.chars().nth(1);
    if s.starts_with(' ') || s.ends_with(' ') || s.contains('\n') || s.contains('\t') {
        return false;
    }
    if "#,[]{}&*!|>'\"%@`".contains(first) {
        return false;
    }
    if "-?:".contains(first) && second.is_none_or(|c| c == ' ') {
        return false;
    }
    if s.contains(": ") || s.ends_with(':') || s.contains(" #") {
        return false;
    }
    s.chars().all(|c| !c.is_control())
}

fn yaml_scalar(v: &J) -> String {
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Num(n) => n.to_string(),
        J::Str(s) if s.contains('\n') || s.chars().any(netshoot_wire::text::is_unsafe) => {
            // go-yaml writes a literal block; keep it simple and exact with double quotes.
            let mut o = String::new();
            go_str(s, &mut o);
            o
        }
        J::Str(s) if yaml_non_string(s) => {
            let mut o = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => o.push_str("\\\""),
                    '\\' => o.push_str("\\\\"),
                    c => o.push(c),
                }
            }
            o.push('"');
            o
        }
        J::Str(s) if yaml_plain_ok(s) => s.clone(),
        J::Str(s) => format!("'{}'", s.replace('\'', "''")),
        J::Arr(a) if a.is_empty() => "[]".into(),
        J::Obj(m) if m.is_empty() => "{}".into(),
        _ => String::new(),
    }
}

fn is_block(v: &J) -> bool {
    matches!(v, J::Arr(a) if !a.is_empty()) || matches!(v, J::Obj(m) if !m.is_empty())
}

fn sorted(m: &[(String, J)]) -> Vec<&(String, J)> {
    let mut v: Vec<&(String, J)> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// A mapping's entries at `indent` (the first line's indentation already written when
/// `first_done`).
fn yaml_map(m: &[(String, J)], indent: usize, mut first_done: bool, out: &mut String) {
    for (k, v) in sorted(m) {
        if !first_done {
            out.push_str(&" ".repeat(indent));
        }
        first_done = false;
        let key = yaml_scalar(&J::Str(k.clone()));
        match v {
            J::Obj(mm) if !mm.is_empty() => {
                let _ = writeln!(out, "{key}:");
                yaml_map(mm, indent + 2, false, out);
            }
            J::Arr(a) if !a.is_empty() => {
                let _ = writeln!(out, "{key}:");
                yaml_seq(a, indent, out);
            }
            v => {
                let _ = writeln!(out, "{key}: {}", yaml_scalar(v));
            }
        }
    }
}

/// A sequence's items at `indent` (go-yaml v2 does not indent a sequence under its key).
fn yaml_seq(a: &[J], indent: usize, out: &mut String) {
    for x in a {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match x {
            J::Obj(m) if !m.is_empty() => yaml_map(m, indent + 2, true, out),
            J::Arr(aa) if !aa.is_empty() => {
                out.push('\n');
                yaml_seq(aa, indent + 2, out);
            }
            x => {
                out.push_str(&yaml_scalar(x));
                out.push('\n');
            }
        }
    }
}

/// calicoctl's YAML printer: the value through JSON into go-yaml v2 (keys sorted).
fn yaml_doc(v: &J, out: &mut String) {
    match v {
        J::Obj(m) if !m.is_empty() => yaml_map(m, 0, false, out),
        J::Arr(a) if !a.is_empty() => yaml_seq(a, 0, out),
        v if !is_block(v) => {
            let _ = writeln!(out, "{}", yaml_scalar(v));
        }
        _ => {}
    }
}

/// Writes `text` to stdout.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut o = std::io::stdout().lock();
    o.write_all(text.as_bytes())?;
    o.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for s in ["", "a", "ab", "abc", "/calico/resources/v3/"] {
            assert_eq!(b64_decode(&b64_encode(s.as_bytes())).unwrap(), s.as_bytes());
        }
        assert_eq!(b64_encode(b"/calico"), "L2NhbGljbw==");
    }

    #[test]
    fn tabwriter_pads_every_cell() {
        let t = tabwrite(&[
            vec!["NAME".into(), "CIDR".into()],
            vec!["p".into(), "10.0.0.0/8".into()],
        ]);
        assert_eq!(t, "NAME   CIDR         \np      10.0.0.0/8   \n");
    }

    #[test]
    fn yaml_quoting() {
        assert_eq!(yaml_scalar(&J::Str("12".into())), "\"12\"");
        assert_eq!(yaml_scalar(&J::Str("true".into())), "\"true\"");
        assert_eq!(
            yaml_scalar(&J::Str("2026-12-02T08:00:00Z".into())),
            "\"2026-12-02T08:00:00Z\""
        );
        assert_eq!(yaml_scalar(&J::Str("10.0.0.0/8".into())), "10.0.0.0/8");
        assert_eq!(yaml_scalar(&J::Str("!has(a)".into())), "'!has(a)'");
        assert_eq!(yaml_scalar(&J::Str("".into())), "\"\"");
    }

    #[test]
    fn go_floats() {
        let n = |f: f64| serde_json::Number::from_f64(f).unwrap();
        assert_eq!(go_float(&n(100.0)), "100");
        assert_eq!(go_float(&n(1.5)), "1.5");
    }
}
