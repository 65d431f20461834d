//! x_tables match and target blobs (the `info` of iptables-nft's compat expressions, and of
//! legacy iptables entries) rendered as `iptables -S` prints them. Every read is bounds-checked;
//! an unknown or short blob renders as the bare `-m NAME` / `-j NAME`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn u8_at(b: &[u8], o: usize) -> Option<u8> {
    b.get(o).copied()
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(o..o + 2)?.try_into().ok()?))
}

fn be16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(o..o + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// A string as iptables-save writes it: bare when it is only `[A-Za-z0-9_-]`, else quoted
/// with `"`, `\` and `'` escaped.
pub fn save_string(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        if matches!(c, '"' | '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

const CT_STATES: [(u32, &str); 7] = [
    (1 << 0, "INVALID"),
    (1 << 3, "NEW"),
    (1 << 2, "RELATED"),
    (1 << 1, "ESTABLISHED"),
    (1 << 8, "UNTRACKED"),
    (1 << 6, "SNAT"),
    (1 << 7, "DNAT"),
];

fn states(mask: u32) -> String {
    CT_STATES
        .iter()
        .filter(|(b, _)| mask & b != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(",")
}

const ADDR_TYPES: [&str; 12] = [
    "UNSPEC",
    "UNICAST",
    "LOCAL",
    "BROADCAST",
    "ANYCAST",
    "MULTICAST",
    "BLACKHOLE",
    "UNREACHABLE",
    "PROHIBIT",
    "THROW",
    "NAT",
    "XRESOLVE",
];

fn addr_types(mask: u16) -> String {
    ADDR_TYPES
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(",")
}

fn hexmark(mark: u32, mask: u32) -> String {
    if mask == u32::MAX {
        format!("0x{mark:x}")
    } else {
        format!("0x{mark:x}/0x{mask:x}")
    }
}

/// ` -m NAME …` for a match blob (IPv4 addresses where a match holds any).
pub fn match_save(name: &str, rev: u32, info: &[u8]) -> String {
    match_save_af(name, rev, info, false)
}

/// ` -m NAME …` for a match blob; `ipv6` for ip6tables' rules.
pub fn match_save_af(name: &str, rev: u32, info: &[u8], ipv6: bool) -> String {
    // `-m state` is conntrack with XT_CONNTRACK_STATE_ALIAS set (iptables prints it as state).
    if name == "conntrack" && rev >= 1 && u16_at(info, 146).is_some_and(|f| f & (1 << 13) != 0) {
        let body = conntrack(rev, info).unwrap_or_default();
        return format!(" -m state{}", body.replace("--ctstate", "--state"));
    }
    let body = match name {
        "conntrack" => conntrack(rev, info),
        // xt_iprange_mtinfo: src_min, src_max, dst_min, dst_max (16 bytes each), flags.
        "iprange" if rev >= 1 => (|| {
            let flags = u8_at(info, 64)?;
            let mut s = String::new();
            for (bit, inv, off, opt) in [
                (1u8, 0x10u8, 0usize, "--src-range"),
                (2, 0x20, 32, "--dst-range"),
            ] {
                if flags & bit != 0 {
                    if flags & inv != 0 {
                        s.push_str(" !");
                    }
                    let (a, b) = (
                        addr(info.get(off..)?, ipv6)?,
                        addr(info.get(off + 16..)?, ipv6)?,
                    );
                    s.push_str(&format!(" {opt} {a}-{b}"));
                }
            }
            Some(s)
        })(),
        // xt_connmark_mtinfo1: mark, mask, invert.
        "connmark" if rev == 1 => (|| {
            let (mark, mask, inv) = (u32_at(info, 0)?, u32_at(info, 4)?, u8_at(info, 8)?);
            Some(format!(
                "{} --mark {}",
                if inv != 0 { " !" } else { "" },
                hexmark(mark, mask)
            ))
        })(),
        "state" => u32_at(info, 0).map(|m| format!(" --state {}", states(m))),
        "addrtype" if rev == 1 => addrtype(info),
        "comment" => Some(format!(" --comment {}", save_string(&cstr(info)))),
        // ipt_icmp / ip6t_icmp: type, code range, invert flags.
        "icmp" | "icmp6" => (|| {
            let (t, lo, hi, inv) = (
                u8_at(info, 0)?,
                u8_at(info, 1)?,
                u8_at(info, 2)?,
                u8_at(info, 3)?,
            );
            let opt = if name == "icmp" {
                "--icmp-type"
            } else {
                "--icmpv6-type"
            };
            let code = if lo == 0 && hi == 0xff {
                String::new()
            } else {
                format!("/{lo}")
            };
            Some(format!(
                "{} {opt} {t}{code}",
                if inv & 1 != 0 { " !" } else { "" }
            ))
        })(),
        "multiport" if rev == 1 => multiport(info),
        "mark" if rev == 1 => (|| {
            let (mark, mask, inv) = (u32_at(info, 0)?, u32_at(info, 4)?, u8_at(info, 8)?);
            Some(format!(
                "{} --mark {}",
                if inv != 0 { " !" } else { "" },
                hexmark(mark, mask)
            ))
        })(),
        _ => None,
    };
    format!(" -m {name}{}", body.unwrap_or_default())
}

fn conntrack(rev: u32, b: &[u8]) -> Option<String> {
    let flags = u16_at(b, 146)?;
    let invert = u16_at(b, 148)?;
    let state = if rev == 1 {
        u32::from(u8_at(b, 150)?)
    } else {
        u32::from(u16_at(b, 150)?)
    };
    let mut s = String::new();
    if flags & 1 != 0 {
        if invert & 1 != 0 {
            s.push_str(" !");
        }
        s.push_str(&format!(" --ctstate {}", states(state)));
    }
    Some(s)
}

fn addrtype(b: &[u8]) -> Option<String> {
    let (src, dst, flags) = (u16_at(b, 0)?, u16_at(b, 2)?, u32_at(b, 4)?);
    let mut s = String::new();
    if src != 0 {
        if flags & 1 != 0 {
            s.push_str(" !");
        }
        s.push_str(&format!(" --src-type {}", addr_types(src)));
    }
    if dst != 0 {
        if flags & 2 != 0 {
            s.push_str(" !");
        }
        s.push_str(&format!(" --dst-type {}", addr_types(dst)));
    }
    if flags & 4 != 0 {
        s.push_str(" --limit-iface-in");
    }
    if flags & 8 != 0 {
        s.push_str(" --limit-iface-out");
    }
    Some(s)
}

fn multiport(b: &[u8]) -> Option<String> {
    // xt_multiport_v1: flags u8, count u8, ports u16[15], pflags u8[15], invert u8.
    let flags = u8_at(b, 0)?;
    let count = usize::from(u8_at(b, 1)?).min(15);
    let invert = u8_at(b, 47)?;
    let mut ports = Vec::new();
    let mut i = 0;
    while i < count {
        let p = u16_at(b, 2 + 2 * i)?;
        if u8_at(b, 32 + i)? != 0 && i + 1 < count {
            ports.push(format!("{p}:{}", u16_at(b, 2 + 2 * (i + 1))?));
            i += 2;
        } else {
            ports.push(p.to_string());
            i += 1;
        }
    }
    let opt = match flags {
        0 => "--sports",
        1 => "--dports",
        _ => "--ports",
    };
    Some(format!(
        "{} {opt} {}",
        if invert != 0 { " !" } else { "" },
        ports.join(",")
    ))
}

/// ` -j NAME …` for a target blob; `ipv6` picks ip6tables' names where they differ.
pub fn target_save(name: &str, rev: u32, info: &[u8], ipv6: bool) -> String {
    let body = match name {
        "REJECT" => u32_at(info, 0).map(|w| format!(" --reject-with {}", reject_name(w, ipv6))),
        "DNAT" => nat_range(rev, info, ipv6).map(|r| format!(" --to-destination {r}")),
        "SNAT" => nat_range(rev, info, ipv6).map(|r| format!(" --to-source {r}")),
        "MASQUERADE" | "REDIRECT" => masquerade(rev, info),
        "LOG" => (|| {
            let level = u8_at(info, 0)?;
            let prefix = cstr(info.get(2..32)?);
            let mut s = String::new();
            if !prefix.is_empty() {
                s.push_str(&format!(" --log-prefix {}", save_string(&prefix)));
            }
            if level != 4 {
                s.push_str(&format!(" --log-level {level}"));
            }
            let flags = u8_at(info, 1)?;
            for (bit, opt) in [
                (0x01, "--log-tcp-sequence"),
                (0x02, "--log-tcp-options"),
                (0x04, "--log-ip-options"),
                (0x08, "--log-uid"),
                (0x20, "--log-macdecode"),
            ] {
                if flags & bit != 0 {
                    s.push_str(&format!(" {opt}"));
                }
            }
            Some(s)
        })(),
        "MARK" if rev == 2 => (|| {
            Some(format!(
                " --set-xmark 0x{:x}/0x{:x}",
                u32_at(info, 0)?,
                u32_at(info, 4)?
            ))
        })(),
        "CONNMARK" if rev >= 1 => (|| {
            // xt_connmark_tginfo1: ctmark, ctmask, nfmask, mode; tginfo2 puts shift_dir and
            // shift_bits before mode.
            let (mark, ctmask, nfmask, mode) = (
                u32_at(info, 0)?,
                u32_at(info, 4)?,
                u32_at(info, 8)?,
                u8_at(info, if rev >= 2 { 14 } else { 12 })?,
            );
            Some(match mode {
                0 => format!(" --set-xmark 0x{mark:x}/0x{ctmask:x}"),
                1 => format!(" --save-mark --nfmask 0x{nfmask:x} --ctmask 0x{ctmask:x}"),
                _ => format!(" --restore-mark --nfmask 0x{nfmask:x} --ctmask 0x{ctmask:x}"),
            })
        })(),
        // xt_tcpmss_info: mss (0xffff: clamp to the path MTU).
        "TCPMSS" => u16_at(info, 0).map(|m| {
            if m == 0xffff {
                " --clamp-mss-to-pmtu".to_string()
            } else {
                format!(" --set-mss {m}")
            }
        }),
        "CT" => (|| {
            let flags = u16_at(info, 0)?;
            let zone = u16_at(info, 2)?;
            let mut s = String::new();
            if flags & 1 != 0 {
                s.push_str(" --notrack");
            }
            let helper = cstr(info.get(12..28).unwrap_or(&[]));
            if !helper.is_empty() {
                s.push_str(&format!(" --helper {helper}"));
            }
            if zone != 0 {
                s.push_str(&format!(" --zone {zone}"));
            }
            Some(s)
        })(),
        _ => None,
    };
    format!(" -j {name}{}", body.unwrap_or_default())
}

fn reject_name(w: u32, ipv6: bool) -> &'static str {
    if ipv6 {
        match w {
            0 => "icmp6-no-route",
            1 => "icmp6-adm-prohibited",
            2 => "icmp6-not-neighbour",
            3 => "icmp6-addr-unreachable",
            4 => "icmp6-port-unreachable",
            6 => "tcp-reset",
            7 => "icmp6-policy-fail",
            8 => "icmp6-reject-route",
            _ => "icmp6-port-unreachable",
        }
    } else {
        match w {
            0 => "icmp-net-unreachable",
            1 => "icmp-host-unreachable",
            2 => "icmp-proto-unreachable",
            3 => "icmp-port-unreachable",
            5 => "icmp-net-prohibited",
            6 => "icmp-host-prohibited",
            7 => "tcp-reset",
            8 => "icmp-admin-prohibited",
            _ => "icmp-port-unreachable",
        }
    }
}

fn addr(b: &[u8], ipv6: bool) -> Option<IpAddr> {
    if ipv6 {
        let a: [u8; 16] = b.get(..16)?.try_into().ok()?;
        Some(IpAddr::V6(Ipv6Addr::from(a)))
    } else {
        let a: [u8; 4] = b.get(..4)?.try_into().ok()?;
        Some(IpAddr::V4(Ipv4Addr::from(a)))
    }
}

/// `IP[-IP][:PORT[-PORT]]` and flags from nf_nat_range{,2} (rev 1, 2) or the IPv4 compat
/// range (rev 0).
fn nat_range(rev: u32, b: &[u8], ipv6: bool) -> Option<String> {
    let (flags, min, max, pmin, pmax) = if rev == 0 {
        // nf_nat_ipv4_multi_range_compat: rangesize, then {flags, min_ip, max_ip, min, max}.
        (
            u32_at(b, 4)?,
            addr(b.get(8..)?, false)?,
            addr(b.get(12..)?, false)?,
            be16_at(b, 16)?,
            be16_at(b, 18)?,
        )
    } else {
        (
            u32_at(b, 0)?,
            addr(b.get(4..)?, ipv6)?,
            addr(b.get(20..)?, ipv6)?,
            be16_at(b, 36)?,
            be16_at(b, 38)?,
        )
    };
    let mut s = String::new();
    if flags & 1 != 0 {
        let host = |a: IpAddr| match a {
            IpAddr::V6(v) if flags & 2 != 0 => format!("[{v}]"),
            a => a.to_string(),
        };
        s.push_str(&host(min));
        if max != min {
            s.push('-');
            s.push_str(&host(max));
        }
    }
    if flags & 2 != 0 {
        s.push_str(&format!(":{pmin}"));
        if pmax != pmin {
            s.push_str(&format!("-{pmax}"));
        }
    }
    if flags & 4 != 0 {
        s.push_str(" --random");
    }
    if flags & 16 != 0 {
        s.push_str(" --random-fully");
    }
    if flags & 8 != 0 {
        s.push_str(" --persistent");
    }
    Some(s)
}

fn masquerade(rev: u32, b: &[u8]) -> Option<String> {
    let (flags, pmin, pmax) = if rev == 0 {
        (u32_at(b, 4)?, be16_at(b, 16)?, be16_at(b, 18)?)
    } else {
        (u32_at(b, 0)?, be16_at(b, 36)?, be16_at(b, 38)?)
    };
    let mut s = String::new();
    if flags & 2 != 0 {
        s.push_str(&format!(" --to-ports {pmin}"));
        if pmax != pmin {
            s.push_str(&format!("-{pmax}"));
        }
    }
    if flags & 4 != 0 {
        s.push_str(" --random");
    }
    if flags & 16 != 0 {
        s.push_str(" --random-fully");
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_as_iptables_save_does() {
        assert_eq!(save_string("docker-net_1"), "docker-net_1");
        assert_eq!(save_string("two words"), "\"two words\"");
        assert_eq!(save_string("a\"b"), "\"a\\\"b\"");
    }

    #[test]
    fn short_blobs_render_bare_and_never_panic() {
        for n in [
            "conntrack",
            "state",
            "addrtype",
            "comment",
            "multiport",
            "mark",
            "iprange",
            "connmark",
            "x",
        ] {
            for len in 0..200 {
                let b = vec![0xffu8; len];
                let s = match_save(n, 1, &b);
                // conntrack with XT_CONNTRACK_STATE_ALIAS set is `-m state`.
                assert!(
                    s.starts_with(&format!(" -m {n}"))
                        || (n == "conntrack" && s.starts_with(" -m state")),
                    "{s}"
                );
                let _ = match_save(n, 3, &b);
            }
        }
        for n in [
            "REJECT",
            "DNAT",
            "SNAT",
            "MASQUERADE",
            "LOG",
            "MARK",
            "CONNMARK",
            "CT",
            "TCPMSS",
            "X",
        ] {
            for len in 0..64 {
                let b = vec![0xffu8; len];
                for rev in 0..3 {
                    let _ = target_save(n, rev, &b, false);
                    let _ = target_save(n, rev, &b, true);
                }
            }
        }
    }
}
