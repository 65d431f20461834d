//! `motd`: the banner an interactive netshoot shell starts with. It says which network namespace
//! the shell is in (the container's name when it can be known honestly, its addresses), which
//! commands are at hand, and where to go next (`netshoot targets`, `netshoot doctor`).
//!
//! The name comes from the best source available, and the banner says which one it used:
//! 1. the target netshoot entered (`netshoot -t web exec`);
//! 2. the Docker socket, when mounted: the container owning one of this namespace's addresses
//!    (a container that joined with `--net container:X` owns none of its own);
//! 3. Docker's embedded DNS (127.0.0.11, user-defined networks): it answers PTR queries for
//!    container addresses with `NAME.NETWORK.`;
//! 4. otherwise what is known: the hostname (Kubernetes: the pod's name; Docker: the short id
//!    of the container whose namespace this is, shared by `--net container:X`) and addresses.
//!
//! Every text that comes from a peer (PTR answers, Docker names, the hostname) is escaped before
//! it is printed: no control characters reach the terminal.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use crate::render::Output;

/// `motd` options.
#[derive(Debug, Args)]
pub struct MotdArgs {
    /// Do not ask Docker's embedded DNS (127.0.0.11) for the container's name.
    #[arg(long)]
    pub no_dns: bool,
}

/// Where the namespace's name came from.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The target netshoot entered (`-t SPEC`).
    Target,
    /// The Docker Engine API: the container owning one of this namespace's addresses.
    DockerApi,
    /// A PTR answer of Docker's embedded DNS.
    DockerDns,
    /// Kubernetes: the hostname is the pod's name (or the node's, with hostNetwork).
    Kubernetes,
    /// The host's own namespace (`--net host`, `hostNetwork`).
    Host,
    /// Only the hostname is known.
    Hostname,
}

/// What the banner says, for people and for `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Motd {
    /// The name of what owns the namespace (a container, a pod), when known.
    pub name: Option<String>,
    /// Where `name` came from.
    pub source: Source,
    /// Evidence for the name (`172.18.0.2 is web.mynet. (Docker's DNS)`).
    pub evidence: Option<String>,
    /// The UTS hostname.
    pub hostname: String,
    /// Interfaces with their addresses (`eth0 172.18.0.2/16`), loopback left out.
    pub addresses: Vec<String>,
    /// Netns inode.
    pub inode: u64,
    /// The classic names netshoot answers to.
    pub classic: Vec<String>,
}

/// Prints the banner for the namespace this thread is in (the target, entered).
pub fn run(args: &MotdArgs, target: &netshoot_ns::Target, out: &Output) -> anyhow::Result<i32> {
    let m = gather(Some(target), !args.no_dns);
    out.emit(&m, render)?;
    Ok(0)
}

/// Works out the banner's facts. `entered` is the label of the target netshoot entered, if any.
pub fn gather(entered: Option<&netshoot_ns::Target>, dns: bool) -> Motd {
    let hostname = clean(
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .unwrap_or_default()
            .trim(),
    );
    let ifaces = netshoot_inspect::interfaces().unwrap_or_default();
    let mut ips: Vec<IpAddr> = Vec::new();
    let mut addresses = Vec::new();
    let mut bare = 0;
    for i in &ifaces {
        if i.link_type == "loopback" {
            continue;
        }
        let a: Vec<String> = i
            .addresses
            .iter()
            .filter(|a| a.scope != "link")
            .map(|a| a.to_string())
            .collect();
        ips.extend(
            i.addresses
                .iter()
                .filter(|a| a.scope == "global")
                .map(|a| a.address),
        );
        if a.is_empty() {
            bare += 1;
        } else {
            addresses.push(format!("{} {}", clean(&i.name), a.join(" ")));
        }
    }
    if bare > 0 {
        addresses.push(format!(
            "(and {bare} interface{} without an address)",
            if bare == 1 { "" } else { "s" }
        ));
    }
    let inode = netshoot_ns::current_inode().unwrap_or(0);
    let mut m = Motd {
        name: None,
        source: Source::Hostname,
        evidence: None,
        hostname: hostname.clone(),
        addresses,
        inode,
        classic: crate::classic::names()
            .into_iter()
            .map(String::from)
            .collect(),
    };
    if let Some(t) = entered {
        // The hostname netshoot sees is its own UTS namespace's, not the target's.
        if let Some(c) = &t.container {
            m.hostname.clear();
            m.name = Some(clean(&c.name));
            m.source = Source::Target;
            m.evidence = Some(format!("entered with -t {}", clean(&t.label)));
            return m;
        }
        if !matches!(t.spec, netshoot_ns::TargetSpec::Current) {
            m.hostname.clear();
            m.name = Some(clean(&t.label));
            m.source = Source::Target;
            m.evidence = Some("entered with -t".into());
            return m;
        }
    }
    if let Some(ev) = host_evidence(&ifaces) {
        m.name = Some(hostname);
        m.source = Source::Host;
        m.evidence = Some(ev);
        return m;
    }
    if let Some((name, ev)) = by_docker_api(&ips) {
        m.name = Some(name);
        m.source = Source::DockerApi;
        m.evidence = Some(ev);
        return m;
    }
    if dns && uses_docker_dns() {
        if let Some((name, ev)) = by_docker_dns(&ips) {
            m.name = Some(name);
            m.source = Source::DockerDns;
            m.evidence = Some(ev);
            return m;
        }
    }
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() && !hostname.is_empty() {
        m.name = Some(hostname);
        m.source = Source::Kubernetes;
        m.evidence = Some(
            "the hostname: Kubernetes sets it to the pod's name (the node's under hostNetwork)"
                .into(),
        );
    }
    m
}

/// Why this is the host's own namespace, when it looks like it: it holds `docker0`, the bridge
/// Docker makes in the host's namespace (`--net host`).
fn host_evidence(ifaces: &[netshoot_inspect::Interface]) -> Option<String> {
    ifaces
        .iter()
        .any(|i| i.name == "docker0")
        .then(|| "it holds docker0, the bridge Docker makes in the host's namespace".to_string())
}

/// The container owning one of `ips`, asked of the Docker socket when it is reachable.
fn by_docker_api(ips: &[IpAddr]) -> Option<(String, String)> {
    if ips.is_empty() {
        return None;
    }
    let docker = netshoot_ns::docker::Docker::from_env().ok()?;
    if !docker.available() {
        return None;
    }
    let containers = docker.containers(false).ok()?;
    for c in &containers {
        let nets = c
            .network_settings
            .as_ref()
            .and_then(|n| n.networks.as_ref());
        for (net, ep) in nets.into_iter().flatten() {
            let Ok(ip) = ep.ip_address.parse::<IpAddr>() else {
                continue;
            };
            if ips.contains(&ip) {
                let name = clean(&c.name());
                return Some((
                    name.clone(),
                    format!(
                        "{ip} is {name}'s address on network {} (Docker API)",
                        clean(net)
                    ),
                ));
            }
        }
    }
    None
}

/// Whether this namespace's resolver is Docker's embedded DNS (a user-defined network).
fn uses_docker_dns() -> bool {
    let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    netshoot_dns::ResolvConf::parse(&conf)
        .nameservers
        .contains(&IpAddr::V4(DOCKER_DNS))
}

const DOCKER_DNS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 11);

/// Asks Docker's embedded DNS for the PTR of each IPv4 address (short timeout).
fn by_docker_dns(ips: &[IpAddr]) -> Option<(String, String)> {
    let server = SocketAddr::new(IpAddr::V4(DOCKER_DNS), 53);
    for ip in ips.iter().filter(|i| i.is_ipv4()) {
        let Ok(ans) = netshoot_dns::query(
            server,
            &netshoot_dns::reverse_name(*ip),
            netshoot_dns::RecordType::PTR,
            false,
            Duration::from_millis(400),
        ) else {
            continue;
        };
        if let Some(r) = ans.answers.iter().find(|r| r.rtype == "PTR") {
            let fq = clean(r.data.trim_end_matches('.'));
            // Docker answers NAME.NETWORK.; with dots in either, the whole name is shown.
            let labels: Vec<&str> = fq.split('.').collect();
            let name = if labels.len() == 2 {
                labels[0].to_string()
            } else {
                fq.clone()
            };
            return Some((name, format!("{ip} is {fq}. (Docker's DNS, 127.0.0.11)")));
        }
    }
    None
}

/// Text from a peer made safe for a terminal: at most 253 characters, control and bidi
/// characters escaped (`netshoot_wire::text::escape`).
pub fn clean(s: &str) -> String {
    let capped: String = s.chars().take(253).collect();
    netshoot_wire::text::escape(&capped).into_owned()
}

/// The banner as text.
pub fn render(m: &Motd) -> String {
    let mut s = String::new();
    let version = env!("CARGO_PKG_VERSION");
    let place = match (&m.name, &m.source) {
        (Some(n), Source::Kubernetes) => format!("pod/node {n}"),
        (Some(n), Source::Target) => n.clone(),
        (Some(n), Source::Host) => format!("the host {n}"),
        (Some(n), _) => format!("container {n}"),
        (None, _) => format!("hostname {}", m.hostname),
    };
    s.push_str(&format!(
        "netshoot {version}: a shell in the network namespace of {place} (netns inode {})\n",
        m.inode
    ));
    if let Some(e) = &m.evidence {
        s.push_str(&format!("  named by   {e}\n"));
    } else {
        s.push_str(
            "  named by   nothing better than the hostname (Docker: the short id of the \
             container whose namespace this is); mount /var/run/docker.sock to name it\n",
        );
    }
    if m.name.is_some() && !m.hostname.is_empty() {
        s.push_str(&format!("  hostname   {}\n", m.hostname));
    }
    if m.addresses.is_empty() {
        s.push_str("  addresses  none but loopback\n");
    }
    const SHOWN: usize = 8;
    for (i, a) in m.addresses.iter().take(SHOWN).enumerate() {
        let head = if i == 0 { "addresses" } else { "" };
        s.push_str(&format!("  {head:<10} {a}\n"));
    }
    if m.addresses.len() > SHOWN {
        s.push_str(&format!(
            "  {:<10} (and {} more lines: ip addr)\n",
            "",
            m.addresses.len() - SHOWN
        ));
    }
    let mut line = String::from("  tools     ");
    let mut width = line.len();
    for n in &m.classic {
        if width + n.len() + 1 > 96 {
            line.push_str("\n            ");
            width = 12;
        }
        line.push(' ');
        line.push_str(n);
        width += n.len() + 1;
    }
    s.push_str(&line);
    s.push_str("  (NAME --help)\n");
    if std::path::Path::new("/bin/busybox").exists() {
        s.push_str(
            "  and        grep sed awk less cat ls ps vi watch timeout sort head tail wc … (busybox)\n",
        );
    }
    s.push_str(
        "  next       netshoot targets   every namespace on this host (with --pid host and the Docker socket)\n\
         \x20            netshoot doctor DEST   what stands between here and DEST, in plain words\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_escapes_control_and_bidi_characters() {
        assert_eq!(clean("web"), "web");
        assert_eq!(clean("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(clean("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(clean("l\nm"), "l\\nm");
        assert_eq!(clean(&"a".repeat(400)).len(), 253);
    }

    #[test]
    fn render_names_the_place_and_the_next_steps() {
        let m = Motd {
            name: Some("web".into()),
            source: Source::DockerDns,
            evidence: Some("172.18.0.2 is web.n. (Docker's DNS, 127.0.0.11)".into()),
            hostname: "abc".into(),
            addresses: vec!["eth0 172.18.0.2/16".into()],
            inode: 1,
            classic: vec!["tcpdump".into()],
        };
        let t = render(&m);
        assert!(t.contains("network namespace of container web"), "{t}");
        assert!(t.contains("eth0 172.18.0.2/16"), "{t}");
        assert!(
            t.contains("netshoot targets") && t.contains("netshoot doctor"),
            "{t}"
        );
    }
}
