//! The inspect room: `sockets`, `bridge`, `conntrack`, `ipvs` and `firewall`, each a view read
//! from the kernel over netlink in the (already entered) target.

use clap::Subcommand;

use crate::render::Output;

/// Inspect commands.
#[derive(Debug, Subcommand)]
pub enum InspectCommand {
    /// TCP, UDP, raw and unix sockets with queues and owning processes (ss / netstat -tulpn).
    #[command(
        visible_alias = "ss",
        after_help = "\
Without -t/-u/-w/-x every kind is shown; without -l/-a only connected sockets (as ss does).

Examples:
  netshoot -t web sockets -tulpn            what listens in container web, and which process
  netshoot -t web ss -tan state established
  netshoot ss -tan 'sport = :443'
  netshoot -t web ss -xap                   unix sockets with their processes
  netshoot -t web ss -ta --json"
    )]
    Sockets(crate::cmd::sockets::SocketsArgs),

    /// Bridges with their ports and STP states (brctl show); `bridge link`; `bridge fdb`.
    #[command(after_help = "\
Examples:
  netshoot bridge                           every bridge on the host with its ports (brctl show)
  netshoot bridge link                      ports: master, state, priority, cost
  netshoot bridge fdb br docker0            which MAC sits behind which port
  netshoot -t network:ov bridge fdb         the overlay's vxlan entries: MAC -> remote VTEP
  netshoot bridge fdb --json")]
    Bridge(crate::cmd::bridge::BridgeArgs),

    /// Connection-tracking entries, the table's fill against nf_conntrack_max, per-CPU drops
    /// (conntrack -L / -C / -S).
    #[command(after_help = "\
Examples:
  netshoot -t web conntrack                 every tracked connection of container web
  netshoot -t web conntrack -p tcp --dport 5432 --state ESTABLISHED
  netshoot conntrack -C                     how many entries (compare nf_conntrack_max)
  netshoot conntrack -S                     insert_failed / drop / early_drop per CPU
  netshoot conntrack --json")]
    Conntrack(crate::cmd::conntrack::ConntrackArgs),

    /// IPVS virtual services and real servers with weights and counters (ipvsadm -Ln).
    #[command(after_help = "\
Docker Swarm programs a firewall-mark (FWM) service per VIP into each container's and the
ingress namespace's IPVS table; kube-proxy in ipvs mode programs the host's.

Examples:
  netshoot -t web ipvs                      the VIPs container web balances to
  netshoot -t network:ingress ipvs --stats  the routing mesh's counters
  netshoot ipvs --json")]
    Ipvs(crate::cmd::ipvs::IpvsArgs),

    /// Firewall rules as iptables -S prints them (policies, chains, rules, counters), read from
    /// nf_tables: what iptables-nft and dockerd installed.
    #[command(after_help = "\
Examples:
  netshoot firewall                         the host's filter table (DOCKER, DOCKER-USER, …)
  netshoot firewall -t nat                  published ports (DNAT) and MASQUERADE
  netshoot firewall -t nat -c DOCKER        one chain, with packet and byte counters
  netshoot -t web firewall -6               ip6tables rules inside container web
  netshoot firewall --json")]
    Firewall(crate::cmd::firewall::FirewallArgs),
}

/// Runs an inspect command.
pub fn run(cmd: &InspectCommand, out: &Output) -> anyhow::Result<i32> {
    match cmd {
        InspectCommand::Sockets(a) => crate::cmd::sockets::run(a, out),
        InspectCommand::Bridge(a) => crate::cmd::bridge::run(a, out),
        InspectCommand::Conntrack(a) => crate::cmd::conntrack::run(a, out),
        InspectCommand::Ipvs(a) => crate::cmd::ipvs::run(a, out),
        InspectCommand::Firewall(a) => crate::cmd::firewall::run(a, out),
    }
}
