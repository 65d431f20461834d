//! Routes: a default route, and a route to every destination address.

use crate::facts::Facts;
use crate::{Context, Finding};

/// `route.default` and `route:<dest>`.
pub fn check(ctx: &Context, facts: &dyn Facts) -> Vec<Finding> {
    let routes = match facts.routes() {
        Ok(r) => r,
        Err(e) => {
            return vec![Finding::skipped(
                "route",
                format!("could not read routes: {e}"),
            )]
        }
    };
    let table: Vec<String> = routes.iter().map(|r| r.to_string()).collect();
    let mut out = Vec::new();
    let default = routes.iter().find(|r| r.dst == "default");
    for d in &ctx.dests {
        for ip in d.addresses.iter().take(1) {
            match facts.route_get(*ip) {
                Ok(r) => out.push(
                    Finding::ok(
                        format!("route:{}", d.label()),
                        format!("Route to {ip}: {r}."),
                    )
                    .evidence(r.to_string()),
                ),
                Err(e) => {
                    let unreachable = e.errno == Some(101) || e.errno == Some(113);
                    let mut f = Finding::fail(
                        format!("route:{}", d.label()),
                        if default.is_none() {
                            format!("No route to {ip}: there is no default route, and {ip} is on none of the attached networks.")
                        } else {
                            format!("No route to {ip}: the kernel's route lookup fails ({e}).")
                        },
                    )
                    .evidence(format!("ip route get {ip}: {}", if unreachable { "Network is unreachable".to_string() } else { e.to_string() }));
                    for l in &table {
                        f = f.evidence(format!("ip route: {l}"));
                    }
                    out.push(
                        f.why("Packets to an address without a route are dropped before they leave this namespace.")
                            .fix(match default {
                                None => "ip route add default via GATEWAY (the router on the attached network); in Docker, reconnect the container to its network".to_string(),
                                Some(_) => format!("ip route add {ip} via GATEWAY, or remove the route that rejects it"),
                            }),
                    );
                }
            }
        }
    }
    if default.is_none() && ctx.dests.is_empty() {
        let mut f = Finding::warn(
            "route.default",
            "There is no default route: only the directly attached networks are reachable.",
        );
        for l in &table {
            f = f.evidence(format!("ip route: {l}"));
        }
        out.push(
            f.why("Traffic to any other network has no way out.")
                .fix("ip route add default via GATEWAY"),
        );
    } else if let Some(r) = default {
        out.push(Finding::ok("route.default", format!("Default route: {r}.")));
    }
    out
}
