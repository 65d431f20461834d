//! Reachability: ICMP echo and, for destinations with a port, a TCP connect whose verdict tells
//! "nothing listens" (refused) from "a filter drops" (timeout).

use std::net::SocketAddr;
use std::time::Duration;

use netshoot_probe::{ConnectOutcome, EchoOutcome};

use crate::facts::Facts;
use crate::{Context, Finding};

/// The finding for one TCP connect's verdict (`id` is `reach.tcp:<dest>`, or the id of another
/// check that connects, such as `kube.endpoint:<endpoint>`).
pub(crate) fn tcp(
    id: String,
    to: SocketAddr,
    verdict: &ConnectOutcome,
    timeout: Duration,
) -> Finding {
    let (ip, port) = (to.ip(), to.port());
    match verdict {
        ConnectOutcome::Open { rtt_ms } => {
            Finding::ok(id, format!("{ip}:{port} accepts TCP connections ({rtt_ms:.2} ms)."))
        }
        ConnectOutcome::Refused => Finding::fail(
            id,
            format!("{ip}:{port} refuses TCP connections: nothing listens on port {port} there, or a firewall rejects them."),
        )
        .evidence(format!("connect {ip}:{port}: connection refused (RST or ICMP port unreachable)"))
        .why("The destination host is reachable, but no program accepts connections on that port from here.")
        .fix(format!("start the service on port {port}, bound to 0.0.0.0 or the address clients use (not 127.0.0.1); check REJECT rules on the way")),
        ConnectOutcome::Timeout => Finding::fail(
            id,
            format!("{ip}:{port} does not answer: TCP SYNs get no reply, so a firewall drops them or the host is down."),
        )
        .evidence(format!("connect {ip}:{port}: no answer within {} ms", timeout.as_millis()))
        .why("A dropped SYN looks like silence: clients hang until their connect timeout.")
        .fix(format!("look for DROP rules on port {port} on the path (iptables -S; DOCKER-USER; the destination's INPUT chain) and check that the host runs")),
        ConnectOutcome::Unreachable { reason } => Finding::fail(
            id,
            format!("{ip}:{port} is unreachable: {reason}."),
        )
        .evidence(format!("connect {ip}:{port}: {reason}"))
        .why("The network itself says there is no way to the destination.")
        .fix("see the route and neighbour findings; check that the destination exists on this network"),
    }
}

/// `reach.tcp:<dest>` and `reach.icmp:<dest>`.
pub fn check(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    for d in &ctx.dests {
        let Some(ip) = d.addresses.first().copied() else {
            continue; // the name and DNS checks say why
        };
        let label = d.label();
        let conn = d.port.map(|p| {
            (
                p,
                facts.connect(SocketAddr::new(ip, p), ctx.opts.probe_timeout),
            )
        });
        if let Some((port, verdict)) = &conn {
            out.push(tcp(
                format!("reach.tcp:{label}"),
                SocketAddr::new(ip, *port),
                verdict,
                ctx.opts.probe_timeout,
            ));
        }
        // A ClusterIP in kube-proxy's iptables or nftables mode is only a DNAT of its ports:
        // nothing answers echoes sent to it.
        if let Some(why) = super::kube::no_echo(facts, d) {
            out.push(Finding::skipped(format!("reach.icmp:{label}"), why));
            continue;
        }
        // Three echoes, a third of the probe budget each at most.
        let per = ctx.opts.probe_timeout.min(Duration::from_millis(600));
        let mut rtts = Vec::new();
        let mut last = None;
        for _ in 0..3 {
            match facts.ping(ip, 56, false, per) {
                Ok(EchoOutcome::Reply { rtt_ms, .. }) => rtts.push(rtt_ms),
                Ok(other) => {
                    last = Some(format!("{other:?}"));
                    if !matches!(other, EchoOutcome::Timeout) {
                        last = Some(match other {
                            EchoOutcome::Error { from, text, .. } => format!("{text} from {from}"),
                            o => format!("{o:?}"),
                        });
                        break;
                    }
                }
                Err(e) => {
                    out.push(Finding::skipped(format!("reach.icmp:{label}"), e));
                    last = None;
                    rtts.clear();
                    break;
                }
            }
        }
        let id = format!("reach.icmp:{label}");
        if out.last().is_some_and(|f| f.id == id) {
            continue;
        }
        let tcp_open = matches!(conn, Some((_, ConnectOutcome::Open { .. })));
        out.push(match rtts.len() {
            3 => {
                let avg = rtts.iter().sum::<f64>() / 3.0;
                Finding::ok(id, format!("{ip} answers ping (3/3, avg {avg:.2} ms)."))
            }
            0 if tcp_open => Finding::warn(id, format!("{ip} does not answer ping, although TCP works: ICMP is filtered."))
                .evidence(format!("3 echo requests: {}", last.unwrap_or_else(|| "no reply".into())))
                .why("Path-MTU discovery and error reporting depend on ICMP; filtering it all can hide faults.")
                .fix("allow ICMP echo and 'fragmentation needed' through the firewall"),
            0 => Finding::fail(id, format!("{ip} does not answer ping."))
                .evidence(format!("3 echo requests: {}", last.unwrap_or_else(|| "no reply".into())))
                .why("No reply to ICMP echo: the host is down, unreachable, or drops ICMP.")
                .fix("see the route, neighbour and firewall findings above"),
            n => Finding::warn(id, format!("{ip} loses pings: {n}/3 answered."))
                .evidence(format!("round trips: {rtts:.2?} ms"))
                .why("Packet loss slows TCP down and breaks UDP protocols.")
                .fix("look for a congested or flapping link (netshoot ip link shows drops and errors)"),
        });
    }
    if out.is_empty() {
        out.push(Finding::skipped("reach", "no destination with an address"));
    }
    out
}
