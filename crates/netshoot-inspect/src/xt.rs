//! x_tables match and target blobs (the `info` of iptables-nft's compat expressions, and of
//! legacy iptables entries) rendered as `iptables -S` prints them. Every read is bounds-checked;
//! an unknown or short blob renders as the bare `-m NAME` / `-j NAME`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::netlink::{cstr, Reader};

/// Field offsets of the x_tables structs decoded here (linux/netfilter/xt_*.h,
/// linux/netfilter/nf_nat.h, linux/netfilter_ipv4/ipt_*.h).
mod off {
    /// `struct xt_conntrack_mtinfo{1,2,3}`: after the origin/reply addresses and masks.
    pub mod conntrack {
        /// `match_flags` (u16).
        pub const FLAGS: usize = 146;
        /// `invert_flags` (u16).
        pub const INVERT: usize = 148;
        /// `state_mask` (u8 in rev 1, u16 from rev 2).
        pub const STATE_MASK: usize = 150;
        /// `XT_CONNTRACK_STATE_ALIAS` in `match_flags`: written as `-m state`.
        pub const STATE_ALIAS: u16 = 1 << 13;
    }
    /// `struct xt_iprange_mtinfo`: four 16-byte addresses, then flags.
    pub mod iprange {
        pub const SRC_MIN: usize = 0;
        pub const DST_MIN: usize = 32;
        /// From a `*_MIN` to its `*_MAX`.
        pub const TO_MAX: usize = 16;
        pub const FLAGS: usize = 64;
    }
    /// `struct xt_mark_mtinfo1` and `xt_connmark_mtinfo1`.
    pub mod mark {
        pub const MARK: usize = 0;
        pub const MASK: usize = 4;
        pub const INVERT: usize = 8;
    }
    /// `struct ipt_icmp` / `ip6t_icmp`.
    pub mod icmp {
        pub const TYPE: usize = 0;
        pub const CODE_MIN: usize = 1;
        pub const CODE_MAX: usize = 2;
        pub const INVFLAGS: usize = 3;
    }
    /// `struct xt_addrtype_info_v1`.
    pub mod addrtype {
        pub const SOURCE: usize = 0;
        pub const DEST: usize = 2;
        pub const FLAGS: usize = 4;
    }
    /// `struct xt_multiport_v1`.
    pub mod multiport {
        pub const FLAGS: usize = 0;
        pub const COUNT: usize = 1;
        /// `ports[15]` (u16 each).
        pub const PORTS: usize = 2;
        /// `pflags[15]`: this port starts a range.
        pub const PFLAGS: usize = 32;
        pub const INVERT: usize = 47;
        /// `XT_MULTI_PORTS`.
        pub const MAX: usize = 15;
    }
    /// `struct nf_nat_range` / `nf_nat_range2`.
    pub mod nat_range {
        pub const FLAGS: usize = 0;
        pub const MIN_ADDR: usize = 4;
        pub const MAX_ADDR: usize = 20;
        pub const MIN_PROTO: usize = 36;
        pub const MAX_PROTO: usize = 38;
    }
    /// `struct nf_nat_ipv4_multi_range_compat`: rangesize, then the first
    /// `nf_nat_ipv4_range`.
    pub mod nat_compat {
        pub const FLAGS: usize = 4;
        pub const MIN_IP: usize = 8;
        pub const MAX_IP: usize = 12;
        pub const MIN: usize = 16;
        pub const MAX: usize = 18;
    }
    /// `struct xt_log_info`.
    pub mod log {
        pub const LEVEL: usize = 0;
        pub const LOGFLAGS: usize = 1;
        pub const PREFIX: usize = 2;
        pub const PREFIX_LEN: usize = 30;
    }
    /// `struct xt_connmark_tginfo1` (`tginfo2` puts shift_dir and shift_bits before mode).
    pub mod connmark_tg {
        pub const CTMARK: usize = 0;
        pub const CTMASK: usize = 4;
        pub const NFMASK: usize = 8;
        pub const MODE_V1: usize = 12;
        pub const MODE_V2: usize = 14;
    }
    /// `struct xt_statistic_info`: mode, flags, then the random or nth union.
    pub mod statistic {
        pub const MODE: usize = 0;
        pub const FLAGS: usize = 2;
        /// `u.random.probability` (out of 2^31), or `u.nth.every` (minus one).
        pub const PROBABILITY: usize = 4;
        /// `u.nth.packet`.
        pub const PACKET: usize = 8;
    }
    /// `struct xt_ct_target_info`.
    pub mod ct_tg {
        pub const FLAGS: usize = 0;
        pub const ZONE: usize = 2;
        pub const HELPER: usize = 12;
        pub const HELPER_LEN: usize = 16;
    }
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
    let r = Reader::new(info);
    if name == "conntrack"
        && rev >= 1
        && r.ne16(off::conntrack::FLAGS)
            .is_some_and(|f| f & off::conntrack::STATE_ALIAS != 0)
    {
        let body = conntrack(rev, info).unwrap_or_default();
        return format!(" -m state{}", body.replace("--ctstate", "--state"));
    }
    let body = match name {
        "conntrack" => conntrack(rev, info),
        // xt_iprange_mtinfo: src_min, src_max, dst_min, dst_max (16 bytes each), flags.
        "iprange" if rev >= 1 => (|| {
            use off::iprange as o;
            let flags = r.u8(o::FLAGS)?;
            let mut s = String::new();
            for (bit, inv, at, opt) in [
                (1u8, 0x10u8, o::SRC_MIN, "--src-range"),
                (2, 0x20, o::DST_MIN, "--dst-range"),
            ] {
                if flags & bit != 0 {
                    if flags & inv != 0 {
                        s.push_str(" !");
                    }
                    let (a, b) = (
                        addr(info.get(at..)?, ipv6)?,
                        addr(info.get(at + o::TO_MAX..)?, ipv6)?,
                    );
                    s.push_str(&format!(" {opt} {a}-{b}"));
                }
            }
            Some(s)
        })(),
        // xt_connmark_mtinfo1: mark, mask, invert.
        "connmark" if rev == 1 => (|| {
            use off::mark as o;
            let (mark, mask, inv) = (r.ne32(o::MARK)?, r.ne32(o::MASK)?, r.u8(o::INVERT)?);
            Some(format!(
                "{} --mark {}",
                if inv != 0 { " !" } else { "" },
                hexmark(mark, mask)
            ))
        })(),
        "state" => r.ne32(0).map(|m| format!(" --state {}", states(m))),
        "addrtype" if rev == 1 => addrtype(info),
        "comment" => Some(format!(" --comment {}", save_string(&cstr(info)))),
        // ipt_icmp / ip6t_icmp: type, code range, invert flags.
        "icmp" | "icmp6" => (|| {
            use off::icmp as o;
            let (t, lo, hi, inv) = (
                r.u8(o::TYPE)?,
                r.u8(o::CODE_MIN)?,
                r.u8(o::CODE_MAX)?,
                r.u8(o::INVFLAGS)?,
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
        // kube-proxy's load balancing: `--mode random --probability P` (P out of 2^31 in the
        // blob, printed with 11 decimals as libxt_statistic does), or `--mode nth`.
        "statistic" => (|| {
            use off::statistic as o;
            let (mode, flags) = (r.ne16(o::MODE)?, r.ne16(o::FLAGS)?);
            let inv = if flags & 1 != 0 { " !" } else { "" };
            let v = r.ne32(o::PROBABILITY)?;
            match mode {
                0 => Some(format!(
                    " --mode random{inv} --probability {:.11}",
                    f64::from(v) / f64::from(0x8000_0000u32)
                )),
                1 => Some(format!(
                    " --mode nth{inv} --every {} --packet {}",
                    u64::from(v) + 1,
                    r.ne32(o::PACKET)?
                )),
                _ => None,
            }
        })(),
        "mark" if rev == 1 => (|| {
            use off::mark as o;
            let (mark, mask, inv) = (r.ne32(o::MARK)?, r.ne32(o::MASK)?, r.u8(o::INVERT)?);
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
    use off::conntrack as o;
    let r = Reader::new(b);
    let flags = r.ne16(o::FLAGS)?;
    let invert = r.ne16(o::INVERT)?;
    let state = if rev == 1 {
        u32::from(r.u8(o::STATE_MASK)?)
    } else {
        u32::from(r.ne16(o::STATE_MASK)?)
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
    use off::addrtype as o;
    let r = Reader::new(b);
    let (src, dst, flags) = (r.ne16(o::SOURCE)?, r.ne16(o::DEST)?, r.ne32(o::FLAGS)?);
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
    use off::multiport as o;
    let r = Reader::new(b);
    let flags = r.u8(o::FLAGS)?;
    let count = usize::from(r.u8(o::COUNT)?).min(o::MAX);
    let invert = r.u8(o::INVERT)?;
    let mut ports = Vec::new();
    let mut i = 0;
    while i < count {
        let p = r.ne16(o::PORTS + 2 * i)?;
        if r.u8(o::PFLAGS + i)? != 0 && i + 1 < count {
            ports.push(format!("{p}:{}", r.ne16(o::PORTS + 2 * (i + 1))?));
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
    let r = Reader::new(info);
    let body = match name {
        "REJECT" => r
            .ne32(0)
            .map(|w| format!(" --reject-with {}", reject_name(w, ipv6))),
        "DNAT" => nat_range(rev, info, ipv6).map(|r| format!(" --to-destination {r}")),
        "SNAT" => nat_range(rev, info, ipv6).map(|r| format!(" --to-source {r}")),
        "MASQUERADE" | "REDIRECT" => masquerade(rev, info),
        "LOG" => (|| {
            use off::log as o;
            let level = r.u8(o::LEVEL)?;
            let prefix = r.cstr(o::PREFIX, o::PREFIX_LEN)?;
            let mut s = String::new();
            if !prefix.is_empty() {
                s.push_str(&format!(" --log-prefix {}", save_string(&prefix)));
            }
            if level != 4 {
                s.push_str(&format!(" --log-level {level}"));
            }
            let flags = r.u8(o::LOGFLAGS)?;
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
                r.ne32(0)?,
                r.ne32(4)?
            ))
        })(),
        "CONNMARK" if rev >= 1 => (|| {
            // xt_connmark_tginfo1: ctmark, ctmask, nfmask, mode; tginfo2 puts shift_dir and
            // shift_bits before mode.
            use off::connmark_tg as o;
            let (mark, ctmask, nfmask, mode) = (
                r.ne32(o::CTMARK)?,
                r.ne32(o::CTMASK)?,
                r.ne32(o::NFMASK)?,
                r.u8(if rev >= 2 { o::MODE_V2 } else { o::MODE_V1 })?,
            );
            Some(match mode {
                0 => format!(" --set-xmark 0x{mark:x}/0x{ctmask:x}"),
                1 => format!(" --save-mark --nfmask 0x{nfmask:x} --ctmask 0x{ctmask:x}"),
                _ => format!(" --restore-mark --nfmask 0x{nfmask:x} --ctmask 0x{ctmask:x}"),
            })
        })(),
        // xt_tcpmss_info: mss (0xffff: clamp to the path MTU).
        "TCPMSS" => r.ne16(0).map(|m| {
            if m == 0xffff {
                " --clamp-mss-to-pmtu".to_string()
            } else {
                format!(" --set-mss {m}")
            }
        }),
        "CT" => (|| {
            use off::ct_tg as o;
            let flags = r.ne16(o::FLAGS)?;
            let zone = r.ne16(o::ZONE)?;
            let mut s = String::new();
            if flags & 1 != 0 {
                s.push_str(" --notrack");
            }
            let helper = r.cstr(o::HELPER, o::HELPER_LEN).unwrap_or_default();
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
    let r = Reader::new(b);
    let (flags, min, max, pmin, pmax) = if rev == 0 {
        use off::nat_compat as o;
        (
            r.ne32(o::FLAGS)?,
            addr(b.get(o::MIN_IP..)?, false)?,
            addr(b.get(o::MAX_IP..)?, false)?,
            r.be16(o::MIN)?,
            r.be16(o::MAX)?,
        )
    } else {
        use off::nat_range as o;
        (
            r.ne32(o::FLAGS)?,
            addr(b.get(o::MIN_ADDR..)?, ipv6)?,
            addr(b.get(o::MAX_ADDR..)?, ipv6)?,
            r.be16(o::MIN_PROTO)?,
            r.be16(o::MAX_PROTO)?,
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
    let r = Reader::new(b);
    let (flags, pmin, pmax) = if rev == 0 {
        use off::nat_compat as o;
        (r.ne32(o::FLAGS)?, r.be16(o::MIN)?, r.be16(o::MAX)?)
    } else {
        use off::nat_range as o;
        (
            r.ne32(o::FLAGS)?,
            r.be16(o::MIN_PROTO)?,
            r.be16(o::MAX_PROTO)?,
        )
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
            "statistic",
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
