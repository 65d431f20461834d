//! `calicoctl` (also `calico`): `calicoctl get KIND [NAME…]` read from Calico's etcdv3 or
//! Kubernetes datastore (`cmd::calico`), with calicoctl's environment (`DATASTORE_TYPE`,
//! `ETCD_*`, `KUBECONFIG`, `K8S_*`), its `--context` and its output formats.

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};
use crate::cmd::calico::{self, CalicoError, Datastore, Query};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["calicoctl", "calico"],
    about: "Calico's resources from its etcdv3 or Kubernetes datastore (calicoctl get)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::value(
        "namespace",
        Some('n'),
        &["namespace"],
        "NS",
        "the namespace of namespaced kinds (default: default)",
    ),
    Opt::flag(
        "all-namespaces",
        Some('A'),
        &["all-namespaces"],
        "every namespace (adds the NAMESPACE column)",
    ),
    Opt::value(
        "output",
        Some('o'),
        &["output"],
        "FORMAT",
        "ps (default), wide, yaml or json",
    ),
    Opt::flag(
        "allow-version-mismatch",
        None,
        &["allow-version-mismatch"],
        "accepted (netshoot does not compare versions)",
    ),
    Opt::unsupported(
        "config",
        Some('c'),
        &["config"],
        Takes::Value,
        "give the datastore through the environment: DATASTORE_TYPE, ETCD_* or KUBECONFIG and K8S_*",
    ),
    Opt::unsupported(
        "filename",
        Some('f'),
        &["filename"],
        Takes::Value,
        "netshoot's calicoctl reads only (get); apply, create, replace and delete are calicoctl's",
    ),
    Opt::unsupported(
        "export",
        None,
        &["export"],
        Takes::No,
        "the output keeps resourceVersion and the other metadata",
    ),
    Opt::value(
        "context",
        None,
        &["context"],
        "NAME",
        "the kubeconfig context (Kubernetes datastore; else K8S_CURRENT_CONTEXT, else current-context)",
    ),
];

/// calicoctl's grammar.
pub const SPEC: Spec = Spec {
    tool: "calicoctl",
    opts: OPTS,
    permute: true,
    usage: "get KIND [NAME…] [-n NS|-A] [-o ps|wide|yaml|json] [--context NAME]",
    notes: "\
KIND: workloadendpoints|wep, ippools|ippool, bgpconfigurations|bgpconfig, bgppeers, nodes,
networkpolicies|networkpolicy, globalnetworkpolicies|globalnetworkpolicy, hostendpoints (and
calicoctl's other short names). The datastore as calicoctl finds it, each variable also as
CALICO_NAME: DATASTORE_TYPE=etcdv3 (the default when ETCD_ENDPOINTS is set) with ETCD_ENDPOINTS
(comma-separated URLs), ETCD_CA_CERT_FILE, ETCD_CERT_FILE, ETCD_KEY_FILE, ETCD_USERNAME,
ETCD_PASSWORD, read through etcd's v3 JSON gateway (etcd 3.4+); or DATASTORE_TYPE=kubernetes
(the default otherwise) with KUBECONFIG (token, tokenFile, client certificate or username and
password users; not exec or auth-provider ones), K8S_CURRENT_CONTEXT, K8S_API_ENDPOINT,
K8S_CA_FILE, K8S_CERT_FILE, K8S_KEY_FILE, K8S_INSECURE_SKIP_TLS_VERIFY, or in a pod its service
account: Calico's crd.projectcalico.org/v1 resources, workload endpoints from Pods, nodes from
Nodes. Each call has 10 s, an answer at most 64 MiB. Exit 1 for a resource that does not
exist, 2 for bad usage or an unreachable datastore.
",
    single_dash_long: false,
};

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    let ops = p.args();
    match ops.first().copied() {
        Some("get") => {}
        Some(other) => {
            return Err(usage(
                "calicoctl",
                format!("'{other}': netshoot's calicoctl implements 'get' only"),
            ))
        }
        None => return Err(usage("calicoctl", "give a command: get KIND [NAME]")),
    }
    let Some(kname) = ops.get(1) else {
        return Err(usage("calicoctl", "get: give a resource KIND"));
    };
    let Some(kind) = calico::kind(kname) else {
        return Err(usage(
            "calicoctl",
            format!("resource type '{kname}' is not supported"),
        ));
    };
    let output = p.value("output").unwrap_or("ps").to_string();
    if !matches!(output.as_str(), "ps" | "wide" | "yaml" | "yml" | "json") {
        return Err(usage(
            "calicoctl",
            format!("-o {output}: netshoot prints ps, wide, yaml or json"),
        ));
    }
    // calicoctl's handleNamespace rules.
    let (ns, all) = (p.value("namespace"), p.has("all-namespaces"));
    if kind.namespaced && ns.is_some() && all {
        return Err(usage(
            "calicoctl",
            "cannot use both --namespace and --all-namespaces flags at the same time",
        ));
    }
    if !kind.namespaced && (ns.is_some() || all) {
        return Err(usage(
            "calicoctl",
            format!("{} is not namespaced", kind.kind),
        ));
    }
    let q = Query {
        kind,
        names: ops[2..].iter().map(|s| s.to_string()).collect(),
        namespace: p.value("namespace").map(str::to_string),
        all_namespaces: p.has("all-namespaces"),
        output,
    };
    // envconfig.Process("calico", …): CALICO_NAME first, then NAME.
    let ds = Datastore::from_env(
        &|v| {
            std::env::var(format!("CALICO_{v}"))
                .ok()
                .or_else(|| std::env::var(v).ok())
        },
        p.value("context"),
    )
    .map_err(anyhow::Error::msg)?;
    let target = ctx.enter()?;
    let mut resolver = crate::cmd::http::target_resolver(&target);
    match calico::get(&q, &ds, &mut resolver) {
        Ok(text) => {
            calico::print(&text)?;
            Ok(0)
        }
        Err(CalicoError::NotFound(m)) => {
            eprintln!("calicoctl: {m}");
            Ok(1)
        }
        Err(e @ CalicoError::Datastore(_)) => Err(anyhow::Error::msg(e.to_string())),
    }
}
