//! The command line.

use clap::{Args, Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  netshoot targets                         every network namespace and what lives there
  netshoot -t web exec -- ip addr          run a host program in container web's namespace
  netshoot -t network:ov exec -- ip link   look inside a Swarm overlay network's namespace
  netshoot -t pid:1234 exec                a shell in process 1234's namespace
  netshoot -t service:web.2 ip addr        inside the task in slot 2 of Swarm service web
  netshoot -t pod:kube-system/coredns-x ip addr   inside a Kubernetes pod on this node
  netshoot targets --json                  the same facts for programs

Targets (-t SPEC): container:NAME|ID (or a bare NAME|ID), service:NAME[.SLOT] (a Swarm service's
running task on this node, or the task in that slot), task:ID (id or unique prefix),
network:NAME|ID, pod:NAMESPACE/NAME or pod:NAME (namespace default; a pod on this node, through
the container runtime's CRI socket; -c CONTAINER for one of its containers), cri:SANDBOX_ID (id
or unique prefix, as crictl pods shows it), pid:N, netns:NAME, a path (/proc/N/ns/net,
/var/run/docker/netns/X), host. Without -t, commands run where netshoot runs.

Bounds on what a target supplies (environment): NETSHOOT_TARGET_FILE_MAX=BYTES caps the
target's resolv.conf and hosts, read through its own root (default 16777216, 16 MiB; a larger
file, a FIFO or a device is ignored with a note); NETSHOOT_DOCKER_TIMEOUT=SECS bounds each Docker
API request from connect to last byte (default 5); NETSHOOT_CRI_TIMEOUT=SECS each CRI call
(default 5; answers over 16 MiB are refused).

Classic names: netshoot also answers to tcpdump, netstat, ss, ip, bridge, brctl, ifconfig, route,
arp, ping, fping, traceroute, tcptraceroute, mtr, nc, netcat, nmap, dig, drill, nslookup, host,
curl, iperf3, iperf, iftop, conntrack, ipvsadm, iptables, ip6tables, iptables-save, nft, nsenter,
ctop, netgen and calicoctl (calico), with their own command lines: through a link named so (netshoot install-links DIR),
or as `netshoot [-t SPEC] NAME ARGS…` (e.g. netshoot -t web tcpdump -i eth0 port 80 -c 1 -Xvv).
See docs/CLASSIC.md.

Exit status: 0 ok, 1 a check found a problem, 2 usage or environment error.";

/// The network trouble-shooting swiss-army knife for Docker and Kubernetes.
// `C` is the set of commands the parser knows: every command (`Command`) for help, errors,
// completions and the man page; one group of them when `parse` sees which group the command
// line names (building clap's whole tree of ~60 commands costs ~2 MiB of resident memory). Not a
// doc comment: clap would print it in --help.
#[derive(Debug, Parser)]
#[command(name = "netshoot", version, about, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli<C: Subcommand = Command> {
    /// Where to run: container:NAME, NAME, service:NAME[.SLOT], task:ID, network:NAME,
    /// pod:[NAMESPACE/]NAME, cri:SANDBOX_ID, pid:N, netns:NAME, a netns path, host.
    /// Given before the command, so commands keep their peers' short flags.
    #[arg(short = 't', long = "target", value_name = "SPEC", global = false)]
    pub target: Option<String>,

    /// Print machine-readable JSON instead of text (accepted before or after any command).
    #[arg(long, global = true)]
    pub json: bool,

    /// More detail (repeat for more).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// With -t pod:… or cri:…: one container of the pod (its own process and files).
    #[arg(
        short = 'c',
        long = "container",
        value_name = "NAME",
        requires = "target"
    )]
    pub container: Option<String>,

    /// The container runtime's CRI socket for pod: and cri: targets and the pods in `targets`
    /// (default: /run/containerd/containerd.sock, else /var/run/crio/crio.sock;
    /// env NETSHOOT_CRI_SOCKET).
    #[arg(long = "cri-socket", value_name = "PATH")]
    pub cri_socket: Option<std::path::PathBuf>,

    /// The command to run.
    #[command(subcommand)]
    pub command: Option<C>,
}

impl<C: Subcommand> Cli<C> {
    /// The same command line with its command widened (a group's into [`Command`]).
    fn widen(self, f: impl FnOnce(C) -> Command) -> Cli {
        Cli {
            target: self.target,
            json: self.json,
            verbose: self.verbose,
            container: self.container,
            cri_socket: self.cri_socket,
            command: self.command.map(f),
        }
    }
}

/// No command: a parser for `netshoot --version` alone.
#[derive(Debug, Subcommand)]
pub enum NoCommand {}

/// Parses a netshoot command line (argv[0] first). When it names a command, only that
/// command's group is built into clap's parser (the command itself is built whole, so its
/// options, errors and help are the same); anything else (no command, an unknown word, `help`)
/// goes to the parser of every command.
pub fn parse(argv: &[String]) -> Result<Cli, clap::Error> {
    if argv.len() == 2 && (argv[1] == "--version" || argv[1] == "-V") {
        return Cli::<NoCommand>::try_parse_from(argv).map(|c| c.widen(|n| match n {}));
    }
    let Some(word) = command_word(argv) else {
        return Cli::<Command>::try_parse_from(argv);
    };
    macro_rules! group {
        ($($ty:ty => $variant:path),* $(,)?) => {
            $(if <$ty as Subcommand>::has_subcommand(word) {
                return Cli::<$ty>::try_parse_from(argv).map(|c| c.widen($variant));
            })*
        };
    }
    group!(
        HostCommand => Command::Host,
        crate::cmd::ip::IpCommand => Command::Ip,
        crate::cmd::dns::DnsCommand => Command::Dns,
        crate::cmd::inspect::InspectCommand => Command::Inspect,
        crate::cmd::probes::ProbeCommand => Command::Probe,
        crate::cmd::perf::PerfCommand => Command::Perf,
        crate::cmd::mesh::MeshCommand => Command::Mesh,
        crate::cmd::capture::CaptureCommand => Command::Capture,
        ToolCommand => Command::Tools,
    );
    Cli::<Command>::try_parse_from(argv)
}

/// The command a command line names: the first word that is not one of netshoot's own options
/// (`-t SPEC`, `--target[=]SPEC`, `--json`, `-v`); none after `--`.
fn command_word(argv: &[String]) -> Option<&str> {
    let mut words = argv.iter().skip(1);
    while let Some(a) = words.next() {
        match a.as_str() {
            "--" => return None,
            "-t" | "--target" => {
                words.next();
            }
            s if s.starts_with("--") => {}
            // A short cluster ending in t (-vt) takes the next word as its SPEC; -tSPEC holds it.
            s if s.starts_with('-') && s.len() > 1 => {
                if s.ends_with('t') && !s[1..s.len() - 1].contains('t') {
                    words.next();
                }
            }
            s => return Some(s),
        }
    }
    None
}

/// Every netshoot command, in groups (one parser is built per group; see [`parse`]).
#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Host(HostCommand),

    #[command(flatten)]
    Ip(crate::cmd::ip::IpCommand),

    #[command(flatten)]
    Dns(crate::cmd::dns::DnsCommand),

    #[command(flatten)]
    Inspect(crate::cmd::inspect::InspectCommand),

    #[command(flatten)]
    Probe(crate::cmd::probes::ProbeCommand),

    #[command(flatten)]
    Perf(crate::cmd::perf::PerfCommand),

    #[command(flatten)]
    Mesh(crate::cmd::mesh::MeshCommand),

    #[command(flatten)]
    Capture(crate::cmd::capture::CaptureCommand),

    #[command(flatten)]
    Tools(ToolCommand),
}

/// The commands of no other group: the host-wide ones, exec, stats, doctor.
#[derive(Debug, Subcommand)]
pub enum HostCommand {
    /// List every network namespace on the host with its containers, networks, processes and
    /// interfaces, then (on a Swarm manager) each service with its VIPs, endpoint mode and tasks.
    #[command(
        visible_alias = "ls",
        after_help = "\
Examples:
  netshoot targets
  netshoot ls --json | jq '.namespaces[] | select(.kind==\"container\")'
  netshoot ls --json | jq '.services[] | {name, tasks: [.tasks[].target]}'
  docker run --rm --pid host --privileged -v /var/run/docker.sock:/var/run/docker.sock netshoot targets"
    )]
    Targets(TargetsArgs),

    /// The host's network as a graph: every namespace (host, containers, Swarm tasks, overlay and
    /// ingress sandboxes, ip netns), its interfaces, veth pairs, bridges and their ports, vxlan
    /// devices (VNI, remote VTEPs from the fdb), published ports (each namespace's DNAT rules,
    /// tied to the container they lead to), default routes out, and the Swarm services with
    /// their VIPs and tasks. A text tree, `--json` (the graph: `namespaces`, `edges`,
    /// `services`), Graphviz DOT (`--dot`; `--json` wins over it), or an HTML page with the
    /// picture (`--html FILE`).
    #[command(after_help = "\
Examples:
  netshoot map
  netshoot map --html map.html          # open map.html in a browser
  netshoot map --dot | dot -Tsvg > map.svg
  netshoot map --json | jq '.edges[] | select(.kind==\"veth\")'")]
    Map(MapArgs),

    /// Run a host program inside the target's network namespace only (nsenter --net); with no
    /// program, a shell with the banner (netshoot motd) and every classic name on PATH.
    #[command(after_help = "\
The mount namespace stays, so the host's tools (ip, ss, tcpdump) are usable inside the target.
The shell's classic names (tcpdump, …) are netshoot's: links in the image, or in a private
temporary directory removed when the shell exits.
The exit status is the program's (128+N when signal N ended it; 127 not found).

Examples:
  netshoot -t web exec -- ip -j addr
  netshoot -t netns:blue exec -- ss -tln
  netshoot -t network:ov exec              a shell, with NETSHOOT_TARGET set and the target in the prompt")]
    Exec(ExecArgs),

    /// Per container CPU %, memory used/limit, network and block IO, PIDs and state (running
    /// and exited), read from the cgroups and /proc; ctop's screen on a terminal.
    #[command(after_help = "\
The containers come from one Docker Engine list call; their figures from the kernel (cgroup v2,
or v1, and /proc/PID/net/dev), counted as `docker stats` counts them: CPU % is CPU time over
wall time (100 per busy CPU), memory is usage minus the inactive file cache, the limit the
host's total memory when the container has none, network bytes every interface but lo.

On a terminal: a screen refreshed every interval (q quits; c m n i p N S sort by cpu, memory,
network, block IO, PIDs, name, state; r reverses; a toggles exited containers; / filters;
Enter opens the selected container with its interfaces and sockets, Esc goes back). Otherwise
a table after one interval, or with --json one JSON line per snapshot.

Examples:
  netshoot stats
  netshoot stats --sort mem --filter web
  netshoot stats --json --count 2 --interval 0.5
  docker run --rm -it --pid host --privileged -v /var/run/docker.sock:/var/run/docker.sock netshoot stats")]
    Stats(crate::cmd::stats::StatsArgs),

    /// Do nothing until SIGTERM/SIGINT (or for DURATION seconds): keeps a debug container alive.
    #[command(after_help = "\
Examples:
  docker run -d --name dbg --net container:web netshoot sleep infinity
  netshoot sleep 30")]
    Sleep {
        /// Seconds, or `infinity` (the default).
        duration: Option<String>,
    },

    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  netshoot completions bash > /etc/bash_completion.d/netshoot
  netshoot completions zsh > \"${fpath[1]}/_netshoot\"")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },

    /// Name the network fault in plain words, with evidence and the fix.
    #[command(after_help = "\
Checks run concurrently inside the target with short timeouts; findings come first (most
fundamental cause first), then the checks that passed. Exit 1 when any check fails.

Examples:
  netshoot -t web doctor db:5432             can container web reach db's port 5432?
  netshoot -t web doctor http://api:8080/health tasks.worker
  netshoot doctor                            the namespace netshoot runs in, no destination
  netshoot -t web doctor db --json")]
    Doctor(crate::cmd::doctor::DoctorArgs),
}

/// The commands of no other group that come last in `--help`: install-links, motd, man.
#[derive(Debug, Subcommand)]
pub enum ToolCommand {
    /// Create a link named after every classic tool (tcpdump, netstat, ip, …) pointing at this
    /// binary, so each name runs netshoot's engine with the classic command line.
    ///
    /// And one named kubectl-netshoot: the kubectl plugin (kubectl netshoot run|debug|node|sidecar).
    #[command(after_help = "\
Examples:
  netshoot install-links /usr/local/bin     then: tcpdump -i eth0 port 80 -c 1 -Xvv
  netshoot install-links ~/.local/bin       then: kubectl netshoot debug POD -c CONTAINER
  netshoot install-links --force ~/bin      replace links or files of the same names")]
    InstallLinks {
        /// The directory for the links (created when missing).
        dir: String,
        /// Replace existing files of the same names.
        #[arg(long)]
        force: bool,
        /// Hard links instead of symbolic links.
        #[arg(long)]
        hard: bool,
    },

    /// The banner of netshoot's interactive shell: which namespace this is (the container's
    /// name, its addresses), the commands at hand, where to go next.
    #[command(after_help = "\
The name comes from -t, the Docker socket (when mounted), Docker's embedded DNS (PTR at
127.0.0.11) or the hostname (Kubernetes: the pod's name), and the banner says which.

Examples:
  netshoot motd
  docker run --rm --net container:web netshoot motd")]
    Motd(crate::cmd::motd::MotdArgs),

    /// Print the man page (roff).
    #[command(after_help = "Examples:\n  netshoot man > /usr/local/share/man/man1/netshoot.1")]
    Man,
}

/// `targets` options.
#[derive(Debug, Args)]
pub struct TargetsArgs {
    /// Leave out the interfaces (faster; no namespace is entered).
    #[arg(long)]
    pub no_interfaces: bool,
}

/// `map` options.
#[derive(Debug, Args)]
pub struct MapArgs {
    /// Print Graphviz DOT instead of the text tree (render with `dot -Tsvg`).
    #[arg(long, conflicts_with = "html")]
    pub dot: bool,
    /// Write a self-contained HTML page with the map drawn as SVG (no scripts, no external
    /// files; open it in any browser) to FILE, instead of printing the text tree.
    #[arg(long, value_name = "FILE")]
    pub html: Option<std::path::PathBuf>,
}

/// `exec` options.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The program and its arguments (after `--`). Empty: $SHELL or /bin/sh.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub argv: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        <Cli>::command().debug_assert();
    }

    #[test]
    fn json_is_accepted_after_the_command() {
        let c = <Cli>::try_parse_from(["netshoot", "targets", "--json"]).unwrap();
        assert!(c.json);
        let c = <Cli>::try_parse_from(["netshoot", "--json", "ls"]).unwrap();
        assert!(c.json);
    }

    #[test]
    fn target_goes_before_the_command() {
        let c = <Cli>::try_parse_from(["netshoot", "-t", "web", "exec", "--", "ip", "-j", "addr"])
            .unwrap();
        assert_eq!(c.target.as_deref(), Some("web"));
        match c.command {
            Some(Command::Host(HostCommand::Exec(a))) => assert_eq!(a.argv, ["ip", "-j", "addr"]),
            other => panic!("{other:?}"),
        }
        // After the command, -t is not netshoot's: it belongs to the command (or is an error).
        assert!(<Cli>::try_parse_from(["netshoot", "targets", "-t", "web"]).is_err());
    }

    /// Every command line through `parse` (one group's parser) gives what the parser of every
    /// command gives: the same help, errors, version and parsed command.
    #[test]
    fn a_group_parser_answers_as_the_whole_tree() {
        let render = |r: Result<Cli, clap::Error>| match r {
            Ok(c) => format!("{c:?}"),
            Err(e) => format!("{:?} {}", e.kind(), e.render()),
        };
        let full = <Cli>::command();
        let mut lines: Vec<Vec<String>> = vec![
            vec!["--version".into()],
            vec!["-V".into()],
            vec![],
            vec!["--json".into()],
            vec!["-t".into(), "web".into(), "sockets".into(), "-ta".into()],
            vec![
                "-vt".into(),
                "sockets".into(),
                "ping".into(),
                "-c".into(),
                "1".into(),
            ],
            vec![
                "-tweb".into(),
                "--json".into(),
                "perf".into(),
                "server".into(),
            ],
            vec!["--target=web".into(), "ss".into(), "-tan".into()],
            vec![
                "sockets".into(),
                "--json".into(),
                "state".into(),
                "listening".into(),
            ],
            vec![
                "perf".into(),
                "client".into(),
                "127.0.0.1".into(),
                "-t".into(),
                "1".into(),
            ],
            vec!["perf".into(), "server".into(), "-1".into()],
            vec!["nosuchcommand".into()],
            vec!["help".into(), "sockets".into()],
        ];
        for sc in full.get_subcommands() {
            let names = std::iter::once(sc.get_name()).chain(sc.get_all_aliases());
            for n in names {
                for tail in [
                    &["--help"][..],
                    &["--no-such-flag"],
                    &["-h"],
                    &["--version"],
                    &[],
                ] {
                    let mut l = vec![n.to_string()];
                    l.extend(tail.iter().map(|t| t.to_string()));
                    lines.push(l);
                }
            }
        }
        for l in lines {
            let argv: Vec<String> = std::iter::once("netshoot".to_string()).chain(l).collect();
            assert_eq!(
                render(parse(&argv)),
                render(<Cli>::try_parse_from(&argv)),
                "{argv:?}"
            );
        }
    }

    #[test]
    fn the_command_word_skips_netshoots_own_options() {
        let w = |a: &[&str]| {
            let v: Vec<String> = a.iter().map(|s| s.to_string()).collect();
            command_word(&v).map(str::to_string)
        };
        assert_eq!(w(&["netshoot", "-t", "ping", "ss"]).as_deref(), Some("ss"));
        assert_eq!(w(&["netshoot", "-vt", "ping", "ss"]).as_deref(), Some("ss"));
        assert_eq!(w(&["netshoot", "-tping", "ss"]).as_deref(), Some("ss"));
        assert_eq!(
            w(&["netshoot", "--target", "x", "--json", "perf"]).as_deref(),
            Some("perf")
        );
        assert_eq!(w(&["netshoot", "--json", "-v"]), None);
        assert_eq!(w(&["netshoot", "--", "ss"]), None);
    }
}
