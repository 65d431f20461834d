//! Command-line values shared by the commands and the classic names: durations, ports and port
//! lists, CIDRs, and host operands resolved in the target. One parser each; every command and
//! classic name parses through these.

use std::net::IpAddr;
use std::time::Duration;

use netshoot_dns::Family;
use netshoot_ns::Target;

/// The longest wait a command line may ask for (a year): `Duration::from_secs_f64` panics past
/// about 1.8e19 seconds, and no network wait needs more.
pub const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// A command-line value refused: one line, exit 2, `"kind": "usage"` under `--json`. Every
/// refusal here is one; commands refusing their own values call it too.
pub fn usage(line: impl Into<String>) -> anyhow::Error {
    crate::classic::getopt::Usage(line.into()).into()
}

/// SECONDS from the command line as a `Duration`: finite, `> 0` when `positive` (else `>= 0`),
/// at most [`MAX_SECONDS`]; otherwise one line naming the option (`what`), never a panic.
pub fn seconds(s: f64, what: &str, positive: bool) -> anyhow::Result<Duration> {
    let low_ok = if positive { s > 0.0 } else { s >= 0.0 };
    if !(s.is_finite() && low_ok && s <= MAX_SECONDS) {
        return Err(usage(format!(
            "{what} must be a number of seconds {} and at most {MAX_SECONDS} (a year), not {s}",
            if positive { "> 0" } else { ">= 0" }
        )));
    }
    Ok(Duration::from_secs_f64(s))
}

/// SECONDS as the command line wrote them (`"1.5"`), checked as [`seconds`] checks them.
pub fn seconds_text(v: &str, what: &str, positive: bool) -> anyhow::Result<Duration> {
    let s: f64 = v
        .parse()
        .map_err(|_| usage(format!("{what} '{v}' is not a number of seconds")))?;
    seconds(s, what, positive)
}

/// One port, 1-65535; otherwise `'V' is not a port 1-65535`.
pub fn port(v: &str) -> anyhow::Result<u16> {
    v.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| usage(format!("'{v}' is not a port 1-65535")))
}

/// One item of a port list: `N` or `LOW-HIGH`; with `open_ends`, nmap's `-HIGH`, `LOW-` and `-`.
/// `None` when it is not one.
fn port_item(item: &str, open_ends: bool) -> Option<std::ops::RangeInclusive<u16>> {
    // nmap's lists allow spaces around the numbers; netcat's operand does not.
    let num = |s: &str| {
        let s = if open_ends { s.trim() } else { s };
        s.parse::<u16>().ok().filter(|p| *p > 0)
    };
    match item.split_once('-') {
        Some((a, b)) => {
            let lo = if open_ends && a.is_empty() {
                1
            } else {
                num(a)?
            };
            let hi = if open_ends && b.is_empty() {
                65535
            } else {
                num(b)?
            };
            (lo <= hi).then_some(lo..=hi)
        }
        None => num(item).map(|p| p..=p),
    }
}

/// netcat's port operand: `N` or `LOW-HIGH`, in order.
pub fn port_range(spec: &str) -> anyhow::Result<Vec<u16>> {
    port_item(spec, false)
        .map(Iterator::collect)
        .ok_or_else(|| {
            usage(format!(
                "'{spec}' is not a port or a range LOW-HIGH of ports 1-65535"
            ))
        })
}

/// nmap's port list: `22,80,8000-8100`, open ranges `-1024` and `60000-`, and `-` for all
/// 65,535; sorted, each port once.
pub fn port_list(spec: &str) -> anyhow::Result<Vec<u16>> {
    let mut v = Vec::new();
    for part in spec.split(',') {
        let range = port_item(part, true).ok_or_else(|| {
            usage(format!("bad port spec '{spec}' at '{part}': write ports and ranges like 22,80,8000-8100, or - for all"))
        })?;
        v.extend(range);
    }
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// Every address of a CIDR (without network and broadcast for IPv4 prefixes shorter than /31);
/// `None` when `s` is no CIDR (no `/`). More than a /16 needs `force`; more than 2^24 addresses
/// are refused.
pub fn cidr(s: &str, force: bool) -> anyhow::Result<Option<Vec<IpAddr>>> {
    let Some((a, p)) = s.split_once('/') else {
        return Ok(None);
    };
    let addr: IpAddr = a.parse().map_err(|_| {
        usage(format!(
            "'{s}' is not a CIDR: write ADDRESS/PREFIX, e.g. 10.0.0.0/24"
        ))
    })?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix: u32 = p
        .parse()
        .ok()
        .filter(|p| *p <= max)
        .ok_or_else(|| usage(format!("'{s}': the prefix must be 0-{max}")))?;
    let host_bits = max - prefix;
    if host_bits > 16 && !force {
        return Err(usage(format!(
            "'{s}' holds {} addresses (more than a /16): add --force to really send to all of them",
            if host_bits >= 64 {
                "2^64+".to_string()
            } else {
                (1u128 << host_bits).to_string()
            }
        )));
    }
    if host_bits > 24 {
        return Err(usage(format!(
            "'{s}' is too large to enumerate (more than 2^24 addresses)"
        )));
    }
    let n = 1u128 << host_bits;
    let base = match addr {
        IpAddr::V4(v) => u128::from(u32::from(v)) & !(n - 1),
        IpAddr::V6(v) => u128::from(v) & !(n - 1),
    };
    let (first, last) = if addr.is_ipv4() && host_bits >= 2 {
        (1, n - 1) // skip network and broadcast
    } else {
        (0, n)
    };
    Ok(Some(
        (first..last)
            .map(|i| match addr {
                IpAddr::V4(_) => IpAddr::V4(((base + i) as u32).into()),
                IpAddr::V6(_) => IpAddr::V6((base + i).into()),
            })
            .collect(),
    ))
}

/// The address family asked for with `-4` / `-6`.
pub fn family(v4: bool, v6: bool) -> Family {
    match (v4, v6) {
        (true, _) => Family::V4,
        (_, true) => Family::V6,
        _ => Family::Any,
    }
}

/// The resolver's view of the target: its resolv.conf and hosts texts, and its name for errors.
pub fn names(target: &Target) -> netshoot_dns::Names<'_> {
    netshoot_dns::Names {
        resolv_conf: target.resolv_conf.as_deref(),
        hosts: target.hosts.as_deref(),
        label: &target.label,
    }
}

/// A HOST operand (an address or a name) as an address, resolved in the target
/// ([`netshoot_dns::resolve_one`]).
pub fn host(host: &str, target: &Target, family: Family) -> anyhow::Result<IpAddr> {
    Ok(netshoot_dns::resolve_one(host, &names(target), family)?)
}

/// HOST operands that may be CIDRs (`force`: as [`cidr`]): CIDRs expanded, names resolved in the
/// target, in order, each with the text shown for it.
pub fn hosts(
    specs: &[String],
    force: bool,
    target: &Target,
    family: Family,
) -> anyhow::Result<Vec<(String, IpAddr)>> {
    let mut hosts: Vec<(String, IpAddr)> = Vec::new();
    for h in specs {
        match cidr(h, force)? {
            Some(list) => hosts.extend(list.into_iter().map(|a| (a.to_string(), a))),
            None => hosts.push((h.clone(), host(h, target, family)?)),
        }
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_as_text() {
        assert_eq!(
            seconds_text("0.25", "-i", true).unwrap(),
            Duration::from_millis(250)
        );
        for bad in ["x", "", "1e20", "inf", "NaN", "-1"] {
            assert!(seconds_text(bad, "-i", false).is_err(), "{bad}");
        }
    }

    /// Every value refused here is a usage error (exit 2, `"kind": "usage"` under `--json`).
    #[test]
    fn refusals_are_usage_errors() {
        let errors = [
            seconds(f64::NAN, "-i", false).unwrap_err(),
            seconds(1e300, "-t", false).unwrap_err(),
            seconds_text("x", "-i", true).unwrap_err(),
            port("0").unwrap_err(),
            port_range("81-79").unwrap_err(),
            port_list("22,x").unwrap_err(),
            cidr("10.0.0.0/x", false).unwrap_err(),
            cidr("10.0.0.0/8", false).unwrap_err(),
            cidr("10.0.0.0/4", true).unwrap_err(),
        ];
        for e in errors {
            assert!(
                e.downcast_ref::<crate::classic::getopt::Usage>().is_some(),
                "{e}"
            );
        }
    }

    #[test]
    fn port_specs() {
        assert_eq!(port("80").unwrap(), 80);
        assert!(port("0").is_err() && port("70000").is_err());
        assert_eq!(port_range("80").unwrap(), [80]);
        assert_eq!(port_range("79-81").unwrap(), [79, 80, 81]);
        for bad in ["0", "70000", "81-79", "x", "", "80-", "-", "1,2"] {
            assert!(port_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn port_lists_like_nmap() {
        assert_eq!(
            port_list("22,80,8000-8002").unwrap(),
            [22, 80, 8000, 8001, 8002]
        );
        assert_eq!(port_list("80,22,80").unwrap(), [22, 80]);
        assert_eq!(port_list("-").unwrap().len(), 65535);
        assert_eq!(port_list("65530-").unwrap().len(), 6);
        assert_eq!(port_list("-3").unwrap(), [1, 2, 3]);
        for bad in ["0", "1-0", "a", "70000", "", "5-3", "22,,80"] {
            assert!(port_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cidrs_expand_and_big_ones_are_refused() {
        let v = cidr("10.0.0.0/30", false).unwrap().unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].to_string(), "10.0.0.1");
        assert_eq!(cidr("10.0.0.7/32", false).unwrap().unwrap().len(), 1);
        assert_eq!(cidr("10.0.0.6/31", false).unwrap().unwrap().len(), 2);
        assert_eq!(cidr("fd00::/126", false).unwrap().unwrap().len(), 4);
        assert!(cidr("10.0.0.0/15", false)
            .unwrap_err()
            .to_string()
            .contains("--force"));
        assert!(cidr("::/64", true).is_err());
        assert!(cidr("10.0.0.0/40", false).is_err());
        assert!(cidr("web/24", false).is_err());
        assert!(cidr("web", false).unwrap().is_none());
    }

    #[test]
    fn huge_negative_and_nan_are_refused_not_panicked_on() {
        for bad in [1e20, f64::INFINITY, f64::NAN, -1.0, MAX_SECONDS * 2.0] {
            let e = seconds(bad, "--duration", false).unwrap_err().to_string();
            assert!(
                e.starts_with("--duration must be") && !e.contains('\n'),
                "{e}"
            );
        }
        assert!(seconds(0.0, "-w", true).is_err());
        assert_eq!(seconds(0.0, "-w", false).unwrap(), Duration::ZERO);
        assert_eq!(
            seconds(1.5, "-w", true).unwrap(),
            Duration::from_millis(1500)
        );
    }
}
