//! MTU: do full-size packets reach each destination, and if not, where do they vanish?

use std::net::IpAddr;
use std::time::Duration;

use netshoot_probe::EchoOutcome;

use crate::facts::{Facts, Place};
use crate::{Context, Finding};

/// `mtu:<dest>` (ok), `mtu.link:<dest>` (the two ends of a link disagree), `mtu.path:<dest>`
/// (a path-MTU black hole: big packets vanish behind a router and no "fragmentation needed"
/// comes back).
pub fn check(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let ifs = facts.interfaces(&Place::Here).unwrap_or_default();
    let mut out = Vec::new();
    let per = ctx.opts.probe_timeout.min(Duration::from_millis(500));
    for d in &ctx.dests {
        let Some(ip) = d.addresses.first().copied() else {
            continue;
        };
        let Ok(route) = facts.route_get(ip) else {
            continue;
        };
        if route.kind.is_some() {
            continue; // local or unreachable: nothing travels
        }
        let Some(dev) = ifs.iter().find(|i| Some(i.index) == route.oif) else {
            continue;
        };
        let Some(mtu) = dev.mtu else { continue };
        let overhead = if ip.is_ipv4() { 28 } else { 48 };
        let label = d.label();
        // Only a destination that answers small echoes can be measured.
        if !matches!(facts.ping(ip, 56, true, per), Ok(EchoOutcome::Reply { .. })) {
            continue;
        }
        let full = mtu as usize - overhead;
        match facts.ping(ip, full, true, per) {
            Ok(EchoOutcome::Reply { .. }) => out.push(Finding::ok(
                format!("mtu:{label}"),
                format!("Full-size packets ({mtu} bytes, DF) reach {ip} through {}.", dev.name),
            )),
            Ok(EchoOutcome::TooBig { from, mtu: pmtu }) => out.push(Finding::ok(
                format!("mtu:{label}"),
                format!(
                    "The path MTU to {ip} is {} (below {}'s {mtu}); {} says so, so path-MTU discovery works.",
                    pmtu.map(|m| m.to_string()).unwrap_or_else(|| "smaller".into()),
                    dev.name,
                    from.map(|f| f.to_string()).unwrap_or_else(|| "the kernel's cache".into())
                ),
            )),
            Ok(_) | Err(_) => out.push(black_hole(
                facts,
                ip,
                &label,
                mtu,
                &dev.name,
                route.gateway,
                per,
            )),
        }
    }
    if out.is_empty() {
        out.push(Finding::skipped(
            "mtu",
            "no destination answers ICMP echo, so the path MTU cannot be measured",
        ));
    }
    out
}

fn black_hole(
    facts: &dyn Facts,
    ip: IpAddr,
    label: &str,
    mtu: u32,
    dev: &str,
    gateway: Option<IpAddr>,
    per: Duration,
) -> Finding {
    let overhead = if ip.is_ipv4() { 28 } else { 48 };
    let mut tried = vec![format!("{mtu} bytes with DF: no reply, no ICMP error")];
    let mut works = None;
    for size in [1480u32, 1450, 1420, 1400, 1380, 1280, 1000, 576] {
        if size >= mtu {
            continue;
        }
        let ok = matches!(
            facts.ping(ip, size as usize - overhead, true, per),
            Ok(EchoOutcome::Reply { .. })
        );
        tried.push(format!(
            "{size} bytes with DF: {}",
            if ok { "reply" } else { "no reply" }
        ));
        if ok {
            works = Some(size);
            break;
        }
    }
    let limit = works
        .map(|w| format!("between {w} and {mtu} bytes"))
        .unwrap_or_else(|| format!("of {mtu} bytes or less (576 fails too)"));
    let mut f = match gateway {
        None => Finding::fail(
            format!("mtu.link:{label}"),
            format!(
                "Packets {limit} to {ip} are silently lost on the link: the two ends disagree about the MTU ({dev} here sends up to {mtu})."
            ),
        )
        .why("Small packets pass, so pings and handshakes work, but full-size packets are dropped by the receiving end: transfers hang.")
        .fix(format!(
            "set the same MTU on both ends of the link: ip link set {dev} mtu {} here, or raise the other end to {mtu}",
            works.unwrap_or(1280)
        )),
        Some(gw) => Finding::fail(
            format!("mtu.path:{label}"),
            format!(
                "Path-MTU black hole to {ip}: packets {limit} vanish behind {gw}, and no 'fragmentation needed' comes back."
            ),
        )
        .why("TCP connections set up fine, then hang as soon as full-size segments are sent: small requests work, large responses never arrive.")
        .fix(format!(
            "let ICMP 'fragmentation needed' (type 3 code 4) through the firewalls on the path; or clamp TCP MSS (iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu), or lower this MTU: ip link set {dev} mtu {}",
            works.unwrap_or(1280)
        )),
    };
    for t in tried {
        f = f.evidence(format!("echo to {ip}: {t}"));
    }
    f
}
