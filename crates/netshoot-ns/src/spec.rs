//! Target SPEC parsing: the `-t/--target` argument.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::NsError;

/// The accepted forms of a target SPEC, shown when a SPEC does not parse.
pub const FORMS: &str = "container:NAME|ID (or a bare NAME|ID), service:NAME[.SLOT], task:ID, \
network:NAME|ID, pod:[NAMESPACE/]NAME, cri:SANDBOX_ID, pid:N, netns:NAME, a path such as \
/proc/N/ns/net or /var/run/docker/netns/X, or host";

/// A parsed target SPEC, not yet resolved against the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum TargetSpec {
    /// The host: pid 1's network namespace.
    Host,
    /// A Docker container by name or id (also the bare form).
    Container(String),
    /// A Swarm service: one of its running tasks on this node (`service:web`), or the task in
    /// one slot (`service:web.2`).
    Service {
        /// Service name or id.
        name: String,
        /// The task slot (replicated services), when given.
        slot: Option<u64>,
    },
    /// A Swarm task by id or unique id prefix.
    Task(String),
    /// A Docker network's own namespace (overlay sandboxes), or its bridge for bridge networks.
    Network(String),
    /// A Kubernetes pod on this node, found through the container runtime's CRI socket
    /// (`pod:NAME` is in namespace `default`).
    Pod {
        /// The pod's namespace.
        namespace: String,
        /// The pod's name.
        name: String,
        /// One of its containers (`-c`), when its namespace or files are wanted rather than
        /// the sandbox's.
        #[serde(skip_serializing_if = "Option::is_none")]
        container: Option<String>,
    },
    /// A CRI pod sandbox by id or unique id prefix (as `crictl pods` shows it).
    Sandbox {
        /// Sandbox id or prefix.
        id: String,
        /// One of its containers (`-c`).
        #[serde(skip_serializing_if = "Option::is_none")]
        container: Option<String>,
    },
    /// The network namespace of a process.
    Pid(u32),
    /// A named namespace made with `ip netns add` (under `/var/run/netns`).
    Netns(String),
    /// A namespace file: `/proc/N/ns/net`, `/var/run/docker/netns/X`, a bind mount.
    Path(PathBuf),
    /// No `-t` given: the namespace netshoot already runs in (never produced by `parse`).
    Current,
}

impl TargetSpec {
    /// The same pod or sandbox target narrowed to one of its containers (`-c NAME`); an error
    /// for any other kind of target.
    pub fn with_container(self, c: &str) -> Result<Self, NsError> {
        let spec = self.to_string();
        let bad = |why: String| NsError::BadSpec {
            spec: spec.clone(),
            why,
        };
        let c = name_ok(c)
            .map_err(|w| bad(format!("container '{c}': {w}")))?
            .to_string();
        match self {
            TargetSpec::Pod {
                namespace, name, ..
            } => Ok(TargetSpec::Pod {
                namespace,
                name,
                container: Some(c),
            }),
            TargetSpec::Sandbox { id, .. } => Ok(TargetSpec::Sandbox {
                id,
                container: Some(c),
            }),
            other => Err(bad(format!(
                "-c CONTAINER goes with pod: and cri: targets only, not {other}"
            ))),
        }
    }

    /// Parses a SPEC. Bare words name a container; a leading `/` or `.` names a path.
    pub fn parse(s: &str) -> Result<Self, NsError> {
        let bad = |why: &str| NsError::BadSpec {
            spec: s.to_string(),
            why: why.to_string(),
        };
        let s_trim = s.trim();
        if s_trim.is_empty() {
            return Err(bad("it is empty"));
        }
        if s_trim == "host" {
            return Ok(TargetSpec::Host);
        }
        if s_trim.starts_with('/') || s_trim.starts_with("./") || s_trim.starts_with("../") {
            return Ok(TargetSpec::Path(PathBuf::from(s_trim)));
        }
        if let Some((kind, value)) = s_trim.split_once(':') {
            if value.is_empty() {
                return Err(bad(&format!("nothing follows '{kind}:'")));
            }
            return match kind {
                "container" | "c" => name_ok(value)
                    .map(|v| TargetSpec::Container(v.to_string()))
                    .map_err(&bad),
                "network" | "net" | "n" => name_ok(value)
                    .map(|v| TargetSpec::Network(v.to_string()))
                    .map_err(&bad),
                "service" | "svc" => service(value).map_err(&bad),
                "task" => name_ok(value)
                    .map(|v| TargetSpec::Task(v.to_string()))
                    .map_err(&bad),
                "pod" => pod(value).map_err(&bad),
                "cri" | "sandbox" => name_ok(value)
                    .map(|v| TargetSpec::Sandbox {
                        id: v.to_string(),
                        container: None,
                    })
                    .map_err(&bad),
                "netns" => name_ok(value)
                    .map(|v| TargetSpec::Netns(v.to_string()))
                    .map_err(&bad),
                "pid" | "p" => value
                    .parse::<u32>()
                    .ok()
                    .filter(|p| *p > 0)
                    .map(TargetSpec::Pid)
                    .ok_or_else(|| bad("a pid is a positive whole number")),
                "path" => Ok(TargetSpec::Path(PathBuf::from(value))),
                other => Err(bad(&format!("unknown kind '{other}'"))),
            };
        }
        name_ok(s_trim)
            .map(|v| TargetSpec::Container(v.to_string()))
            .map_err(&bad)
    }
}

/// `NAME` or `NAME.SLOT`: Swarm service names hold no `.`, so a dot followed by digits is a slot.
fn service(v: &str) -> Result<TargetSpec, &'static str> {
    let v = name_ok(v)?;
    match v.rsplit_once('.') {
        None => Ok(TargetSpec::Service {
            name: v.to_string(),
            slot: None,
        }),
        Some((name, slot)) => {
            let slot = slot
                .parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or("a task slot (after the '.') is a positive whole number")?;
            if name.is_empty() || name.contains('.') {
                return Err("a service name holds no '.'; write service:NAME or service:NAME.SLOT");
            }
            Ok(TargetSpec::Service {
                name: name.to_string(),
                slot: Some(slot),
            })
        }
    }
}

/// `NAMESPACE/NAME` or `NAME` (namespace `default`), each a Kubernetes name.
fn pod(v: &str) -> Result<TargetSpec, &'static str> {
    let (namespace, name) = match v.split_once('/') {
        Some((ns, name)) => (ns, name),
        None => ("default", v),
    };
    if namespace.is_empty() || name.is_empty() {
        return Err("write pod:NAMESPACE/NAME or pod:NAME (namespace default)");
    }
    Ok(TargetSpec::Pod {
        namespace: name_ok(namespace)?.to_string(),
        name: name_ok(name)?.to_string(),
        container: None,
    })
}

/// Docker names and ids: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`; `ip netns` names are as permissive.
fn name_ok(v: &str) -> Result<&str, &'static str> {
    let mut chars = v.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphanumeric() => {}
        _ => return Err("a name starts with a letter or a digit"),
    }
    if chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
        Ok(v)
    } else {
        Err("a name holds only letters, digits, '_', '.' and '-'")
    }
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSpec::Host => write!(f, "host"),
            TargetSpec::Container(n) => write!(f, "container:{n}"),
            TargetSpec::Service { name, slot: None } => write!(f, "service:{name}"),
            TargetSpec::Service {
                name,
                slot: Some(s),
            } => write!(f, "service:{name}.{s}"),
            TargetSpec::Task(id) => write!(f, "task:{id}"),
            TargetSpec::Network(n) => write!(f, "network:{n}"),
            TargetSpec::Pod {
                namespace, name, ..
            } => write!(f, "pod:{namespace}/{name}"),
            TargetSpec::Sandbox { id, .. } => write!(f, "cri:{id}"),
            TargetSpec::Pid(p) => write!(f, "pid:{p}"),
            TargetSpec::Netns(n) => write!(f, "netns:{n}"),
            TargetSpec::Path(p) => write!(f, "{}", p.display()),
            TargetSpec::Current => write!(f, "current"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(TargetSpec::parse("host").unwrap(), TargetSpec::Host);
        assert_eq!(
            TargetSpec::parse("web").unwrap(),
            TargetSpec::Container("web".into())
        );
        assert_eq!(
            TargetSpec::parse("container:3f2a").unwrap(),
            TargetSpec::Container("3f2a".into())
        );
        assert_eq!(
            TargetSpec::parse("network:ov").unwrap(),
            TargetSpec::Network("ov".into())
        );
        assert_eq!(TargetSpec::parse("pid:42").unwrap(), TargetSpec::Pid(42));
        assert_eq!(
            TargetSpec::parse("service:web").unwrap(),
            TargetSpec::Service {
                name: "web".into(),
                slot: None
            }
        );
        assert_eq!(
            TargetSpec::parse("service:web.2").unwrap(),
            TargetSpec::Service {
                name: "web".into(),
                slot: Some(2)
            }
        );
        assert_eq!(
            TargetSpec::parse("task:3f2a").unwrap(),
            TargetSpec::Task("3f2a".into())
        );
        assert_eq!(
            TargetSpec::parse("netns:blue").unwrap(),
            TargetSpec::Netns("blue".into())
        );
        assert_eq!(
            TargetSpec::parse("pod:kube-system/coredns-5d78c9869d-abcde").unwrap(),
            TargetSpec::Pod {
                namespace: "kube-system".into(),
                name: "coredns-5d78c9869d-abcde".into(),
                container: None
            }
        );
        assert_eq!(
            TargetSpec::parse("pod:web").unwrap(),
            TargetSpec::Pod {
                namespace: "default".into(),
                name: "web".into(),
                container: None
            }
        );
        assert_eq!(
            TargetSpec::parse("cri:3f2a").unwrap(),
            TargetSpec::Sandbox {
                id: "3f2a".into(),
                container: None
            }
        );
        assert_eq!(
            TargetSpec::parse("/proc/1/ns/net").unwrap(),
            TargetSpec::Path("/proc/1/ns/net".into())
        );
    }

    #[test]
    fn malformed_specs_name_the_forms() {
        for bad in [
            "",
            "pid:x",
            "pid:0",
            "pid:",
            "bogus:1",
            "we b",
            "-x",
            "container:/x",
            "service:web.x",
            "service:web.0",
            "service:a.b.1",
            "task:",
            "pod:",
            "pod:/web",
            "pod:ns/",
            "pod:a/b/c",
            "pod:a b",
            "cri:",
            "cri:../x",
        ] {
            let e = TargetSpec::parse(bad).unwrap_err().to_string();
            assert!(e.contains("accepted forms"), "{bad}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "host",
            "container:web",
            "network:ov",
            "pid:7",
            "netns:a",
            "service:web",
            "service:web.3",
            "task:abc",
            "pod:kube-system/dns",
            "cri:3f2a",
            "/x/y",
        ] {
            assert_eq!(TargetSpec::parse(s).unwrap().to_string(), s);
        }
    }
}
