//! `host` (BIND 9.18): `host [-t TYPE] [-a] [-v] [-T] [-W SECS] NAME [SERVER]`, asked through
//! the dns verb's engine and printed as host prints it (`has address`, `is an alias for`,
//! `mail is handled by`, `not found: 3(NXDOMAIN)`; with -v, dig-style sections).

use std::fmt::Write as _;
use std::time::Duration;

use super::getopt::{usage, Opt, Spec, Takes};
use super::{dnsfmt, Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["host"],
    about: "look names up, host's output (netshoot dns)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::value(
        "t",
        Some('t'),
        &[],
        "TYPE",
        "record type (default: A, AAAA and MX)",
    ),
    Opt::flag("a", Some('a'), &[], "all: -v -t ANY"),
    Opt::flag(
        "v",
        Some('v'),
        &[],
        "verbose: the answer's sections as dig prints them",
    ),
    Opt::flag("d", Some('d'), &[], "as -v"),
    Opt::flag("T", Some('T'), &[], "ask over TCP"),
    Opt::flag("U", Some('U'), &[], "ask over UDP (the default)"),
    Opt::value("W", Some('W'), &[], "SECS", "seconds to wait for an answer"),
    Opt::flag("w", Some('w'), &[], "wait long for an answer (60 s)"),
    Opt::value("R", Some('R'), &[], "N", "tries per server (1)"),
    Opt::value(
        "N",
        Some('N'),
        &[],
        "NDOTS",
        "dots before the name is tried as given",
    ),
    Opt::value("c", Some('c'), &[], "CLASS", "class (IN only)"),
    Opt::flag("4", Some('4'), &[], "IPv4 servers only"),
    Opt::flag("6", Some('6'), &[], "IPv6 servers only"),
    Opt::flag(
        "s",
        Some('s'),
        &[],
        "do not ask the next server after SERVFAIL (accepted)",
    ),
    Opt::unsupported(
        "r",
        Some('r'),
        &[],
        Takes::No,
        "queries always ask for recursion (RD)",
    ),
    Opt::unsupported(
        "l",
        Some('l'),
        &[],
        Takes::No,
        "zone transfers are not supported",
    ),
    Opt::unsupported(
        "C",
        Some('C'),
        &[],
        Takes::No,
        "SOA comparison is not supported: host -t SOA NAME SERVER per server",
    ),
    Opt::unsupported(
        "m",
        Some('m'),
        &[],
        Takes::Value,
        "memory debugging is not supported",
    ),
    Opt::unsupported(
        "V",
        Some('V'),
        &[],
        Takes::No,
        "netshoot --version names netshoot's version",
    ),
    Opt::unsupported("i", Some('i'), &[], Takes::No, "ip6.int is obsolete"),
];

const SPEC: Spec = Spec {
    tool: "host",
    opts: OPTS,
    permute: true,
    usage: "[-t TYPE] [-a] [-v] [-T] [-W SECS] [-R N] [-4|-6] NAME [SERVER]",
    notes: "With -v the byte count is what netshoot received (it sends EDNS, which host does \
not, so answers are 11 bytes larger).",
    single_dash_long: false,
};

fn line(s: &mut String, r: &netshoot_dns::Rec) {
    let n = r.name.trim_end_matches('.');
    let what = match r.rtype.as_str() {
        "A" => "has address".to_string(),
        "AAAA" => "has IPv6 address".to_string(),
        "CNAME" => "is an alias for".to_string(),
        "MX" => "mail is handled by".to_string(),
        "NS" => "name server".to_string(),
        "TXT" => "descriptive text".to_string(),
        "PTR" => "domain name pointer".to_string(),
        t => format!("has {t} record"),
    };
    let _ = writeln!(s, "{n} {what} {}", super::dnsfmt::dig(&r.data));
}

fn run(name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    let ops = p.args();
    let (qname, server) = match ops.as_slice() {
        [] => return Err(usage(name, "no name to look up: give NAME [SERVER]")),
        [n] => (n.to_string(), None),
        [n, s] => (n.to_string(), Some(s.to_string())),
        [_, _, x, ..] => return Err(usage(name, format!("unexpected '{x}': give NAME [SERVER]"))),
    };
    if let Some(c) = p.value("c") {
        if !c.eq_ignore_ascii_case("IN") {
            return Err(usage(
                name,
                format!("class '{c}' is not supported: only IN"),
            ));
        }
    }
    let verbose = p.has("v") || p.has("d") || p.has("a");
    let explicit: Option<String> = match (p.value("t"), p.has("a")) {
        (Some(t), _) => Some(dnsfmt::qtype(t).ok_or_else(|| {
            usage(
                name,
                format!(
                    "invalid type: {t} (try A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT or ANY)"
                ),
            )
        })?),
        (None, true) => Some("ANY".into()),
        (None, false) => None,
    };
    let reverse = qname.parse::<std::net::IpAddr>().ok();
    let (ask_name, qtypes, search) = match (reverse, &explicit) {
        (Some(ip), _) => (
            netshoot_dns::reverse_name(ip),
            vec!["PTR".to_string()],
            false,
        ),
        (None, Some(t)) => (qname.clone(), vec![t.clone()], true),
        (None, None) => (
            qname.clone(),
            vec!["A".into(), "AAAA".into(), "MX".into()],
            true,
        ),
    };
    let timeout = if p.has("w") {
        Duration::from_secs(60)
    } else {
        match p.value("W") {
            Some(v) => dnsfmt::seconds(name, "-W", v)?,
            None => Duration::from_secs(2),
        }
    };
    let tries = match p.value("R") {
        Some(v) => dnsfmt::count(name, "-R", v)?,
        None => 1,
    };
    let tcp = p.has("T");
    if ctx.json {
        let mut v: Vec<String> = vec!["dns".into(), ask_name, qtypes[0].clone()];
        if let Some(s) = &server {
            v.push(format!("@{s}"));
        }
        v.push(if search { "+search" } else { "+nosearch" }.into());
        if tcp {
            v.push("+tcp".into());
        }
        return ctx.verb(&v);
    }
    let family = if p.has("4") {
        Some(4)
    } else if p.has("6") {
        Some(6)
    } else {
        None
    };
    let mut asking = dnsfmt::servers(name, ctx, server.as_deref(), 53, family)?;
    if let Some(n) = p.value("N") {
        asking.conf.ndots = n
            .parse()
            .map_err(|_| usage(name, format!("bad -N '{n}': give a number of dots")))?;
    }
    let names = asking.names(&ask_name, search);
    let mut s = String::new();
    if let Some(sv) = &server {
        let a = asking.servers[0];
        let _ = write!(
            s,
            "Using domain server:\nName: {sv}\nAddress: {}#{}\nAliases: \n\n",
            a.ip(),
            a.port()
        );
    }
    for (i, qt) in qtypes.iter().enumerate() {
        let (tried, answer, _err) = asking.ask(&names, qt, tcp, timeout, tries);
        let Some(a) = answer else {
            s.push_str(";; connection timed out; no servers could be reached\n");
            print!("{s}");
            return Ok(1);
        };
        if verbose {
            // host names the first name it tries.
            let asked = tried
                .first()
                .map(|t| t.name.trim_end_matches('.').to_string())
                .unwrap_or_default();
            let _ = writeln!(s, "Trying \"{asked}\"");
        }
        if a.rcode != "NOERROR" {
            let code = match a.rcode.as_str() {
                "FORMERR" => 1,
                "SERVFAIL" => 2,
                "NXDOMAIN" => 3,
                "NOTIMP" => 4,
                "REFUSED" => 5,
                _ => 0,
            };
            let _ = writeln!(s, "Host {qname} not found: {code}({})", a.rcode);
            if verbose {
                let _ = writeln!(
                    s,
                    "Received {} bytes from {}#{} in {} ms",
                    a.size,
                    a.server.ip(),
                    a.server.port(),
                    a.elapsed_us / 1000
                );
            }
            print!("{s}");
            return Ok(1);
        }
        if verbose {
            dnsfmt::header(&mut s, &a, false);
            s.push('\n');
            dnsfmt::sections(&mut s, &a, [true; 4], true);
            let _ = writeln!(
                s,
                "Received {} bytes from {}#{} in {} ms",
                a.size,
                a.server.ip(),
                a.server.port(),
                a.elapsed_us / 1000
            );
            continue;
        }
        if a.answers.is_empty() {
            if explicit.is_some() {
                let _ = writeln!(s, "{} has no {qt} record", qname.trim_end_matches('.'));
            }
            continue;
        }
        // The alias line once, with the first type's answer.
        for r in a.answers.iter().filter(|r| i == 0 || r.rtype != "CNAME") {
            line(&mut s, r);
        }
    }
    print!("{s}");
    Ok(0)
}
