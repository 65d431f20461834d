//! Calico's resources read from its datastore, printed as `calicoctl get` prints them.
//!
//! Two datastores, as libcalico-go has: etcdv3 ([`etcd`]: etcd's v3 JSON gateway) and the
//! Kubernetes datastore ([`kdd`]: `crd.projectcalico.org/v1` custom resources, Pods and Nodes
//! through the API server). Both go through netshoot's HTTP client (one deadline per call, a
//! capped answer) and hand this module `projectcalico.org/v3` objects; the printing is shared.
//! Tables follow calicoctl's column templates and its tabwriter (minimum width 5, padding 3,
//! every cell tab-terminated); `-o yaml` and `-o json` follow its printers (Go's JSON encoder
//! with HTML escaping; YAML through JSON, keys sorted).

pub mod etcd;
pub mod kdd;

pub use etcd::Etcd;
pub use kdd::Kube;

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One call's deadline (name lookup, connect, TLS, request and answer).
pub(crate) const CALL_TIME: Duration = Duration::from_secs(10);
/// The connection phase's share of it.
pub(crate) const CONNECT_TIME: Duration = Duration::from_secs(5);
/// The largest answer read in one call (etcd's JSON with base64 values, or one page of a
/// Kubernetes list).
pub(crate) const MAX_ANSWER: usize = 64 << 20;

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

    pub(crate) fn str_or_empty(&self) -> String {
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

/// Where the datastore is and how to reach it.
#[derive(Debug, Clone)]
pub enum Datastore {
    /// `DATASTORE_TYPE=etcdv3`.
    Etcd(Etcd),
    /// `DATASTORE_TYPE=kubernetes`.
    Kubernetes(Kube),
}

impl Datastore {
    /// calicoctl's choice from `env` (libcalico-go's applyConfigDefaults: without
    /// `DATASTORE_TYPE`, etcdv3 when `ETCD_ENDPOINTS` is given, else kubernetes); `context` is
    /// calicoctl's `--context` (it wins over `K8S_CURRENT_CONTEXT`). Files are read now.
    pub fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        context: Option<&str>,
    ) -> Result<Datastore, CalicoError> {
        let ds = env("DATASTORE_TYPE")
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| match env("ETCD_ENDPOINTS") {
                Some(e) if !e.is_empty() => "etcdv3".into(),
                _ => "kubernetes".into(),
            });
        match ds.as_str() {
            "etcdv3" => Etcd::from_env(env).map(Datastore::Etcd),
            "kubernetes" => Kube::from_env(env, context).map(Datastore::Kubernetes),
            other => Err(CalicoError::Datastore(format!(
                "DATASTORE_TYPE={}: unknown datastore type (etcdv3 or kubernetes)",
                netshoot_wire::text::escape(other)
            ))),
        }
    }

    /// Every resource of `kind` (in `ns`, or in all namespaces) and the list's revision.
    fn list(
        &self,
        kind: &'static Kind,
        ns: Option<&str>,
        resolver: netshoot_http::Resolver<'_>,
    ) -> Result<(Vec<J>, String), CalicoError> {
        match self {
            Datastore::Etcd(e) => etcd::list(e, kind, ns, resolver),
            Datastore::Kubernetes(k) => kdd::list(k, kind, ns, resolver),
        }
    }

    /// The resource `name` of `kind`, if it exists.
    fn one(
        &self,
        kind: &'static Kind,
        ns: Option<&str>,
        name: &str,
        resolver: netshoot_http::Resolver<'_>,
    ) -> Result<Option<J>, CalicoError> {
        match self {
            Datastore::Etcd(e) => etcd::one(e, kind, ns, name, resolver),
            Datastore::Kubernetes(k) => kdd::one(k, kind, ns, name, resolver),
        }
    }
}

/// A v3 resource as calicoctl shows it: `kind`, `apiVersion`, `metadata` in ObjectMeta's
/// field order (a missing `creationTimestamp` as null, as Go writes a zero metav1.Time), then
/// `rest` (spec, status) as given.
pub(crate) fn resource(kind: &Kind, mut meta: Vec<(String, J)>, rest: Vec<(String, J)>) -> J {
    if !meta.iter().any(|(k, _)| k == "creationTimestamp") {
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
        rest.into_iter()
            .filter(|(k, _)| !matches!(k.as_str(), "kind" | "apiVersion" | "metadata")),
    );
    J::Obj(out)
}

/// Runs the query against the datastore and returns what calicoctl prints on stdout.
pub fn get(
    q: &Query,
    ds: &Datastore,
    resolver: netshoot_http::Resolver<'_>,
) -> Result<String, CalicoError> {
    let ns = if q.kind.namespaced && !q.all_namespaces {
        Some(q.namespace.clone().unwrap_or_else(|| "default".into()))
    } else {
        None
    };
    let mut items = Vec::new();
    let mut list_revision = None;
    if q.names.is_empty() {
        let (found, rev) = ds.list(q.kind, ns.as_deref(), resolver)?;
        items = found;
        list_revision = Some(rev);
    } else {
        if q.kind.namespaced && q.all_namespaces {
            return Err(CalicoError::Datastore(
                "cannot use --all-namespace flag for getting a single resource".into(),
            ));
        }
        for name in &q.names {
            match ds.one(q.kind, ns.as_deref(), name, resolver)? {
                Some(o) => items.push(o),
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
            let mut out = String::new();
            if q.output == "json" {
                go_json(&doc, 0, &mut out);
                out.push('\n');
            } else {
                yaml_doc(&doc, &mut out);
            }
            out
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
            // `{{config "asnumber"}}`: the default BGPConfiguration's AS number (64512 when
            // unset), read once and only when a node needs it.
            let mut asn: Option<String> = None;
            let mut default_asn = || -> String {
                asn.get_or_insert_with(|| {
                    let bgp = kind("bgpconfiguration").expect("a known kind");
                    match ds.one(bgp, None, "default", &mut *resolver) {
                        Ok(o) => o
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

/// A writer that refuses to grow past [`MAX_ANSWER`].
pub(crate) struct Capped(pub(crate) Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_ANSWER {
            return Err(std::io::Error::other(format!(
                "the answer is larger than {} MiB",
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

/// `json.Marshal(v)` (compact, HTML-safe), as Go writes a value into an annotation.
pub(crate) fn go_json_compact(v: &J, out: &mut String) {
    match v {
        J::Arr(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_compact(x, out);
            }
            out.push(']');
        }
        J::Obj(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_str(k, out);
                out.push(':');
                go_json_compact(x, out);
            }
            out.push('}');
        }
        other => go_json(other, 0, out),
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
