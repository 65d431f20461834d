//! `nslookup` (BIND 9.18, non-interactive): `nslookup [-type=T] [-port=N] NAME [SERVER]`, asked
//! through the dns verb's engine and printed as bind's nslookup prints it.

use std::fmt::Write as _;
use std::time::Duration;

use super::getopt::{usage, Opt, Spec, Takes};
use super::{dnsfmt, Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["nslookup"],
    about: "look names up, nslookup's output (netshoot dns)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::value(
        "type",
        None,
        &["type", "querytype", "query", "q"],
        "TYPE",
        "record type (default: A and AAAA)",
    ),
    Opt::value("port", None, &["port"], "PORT", "server port (53)"),
    Opt::value(
        "timeout",
        None,
        &["timeout"],
        "SECS",
        "seconds to wait for each answer (2)",
    ),
    Opt::value("retry", None, &["retry"], "N", "tries per server (1)"),
    Opt::flag("vc", None, &["vc"], "ask over TCP"),
    Opt::flag("novc", None, &["novc"], "ask over UDP (the default)"),
    Opt::flag(
        "search",
        None,
        &["search"],
        "use the search list (the default)",
    ),
    Opt::flag(
        "nosearch",
        None,
        &["nosearch"],
        "do not use the search list",
    ),
    Opt::flag(
        "recurse",
        None,
        &["recurse"],
        "ask for recursion (always so)",
    ),
    Opt::value("class", None, &["class", "cl"], "CLASS", "class (IN only)"),
    Opt::unsupported(
        "norecurse",
        None,
        &["norecurse"],
        Takes::No,
        "queries always ask for recursion (RD)",
    ),
    Opt::unsupported(
        "debug",
        None,
        &["debug", "d2", "nodebug"],
        Takes::No,
        "for the full answer use dig NAME",
    ),
    Opt::unsupported(
        "domain",
        None,
        &["domain"],
        Takes::Value,
        "the target's resolv.conf gives the search list; give a full NAME",
    ),
    Opt::unsupported(
        "fail",
        None,
        &["fail", "nofail"],
        Takes::No,
        "a SERVFAIL answer moves to the next server",
    ),
];

const SPEC: Spec = Spec {
    tool: "nslookup",
    opts: OPTS,
    permute: true,
    usage: "[-type=TYPE] [-port=PORT] [-timeout=SECS] [-vc] NAME [SERVER]",
    notes: "Non-interactive only: without NAME nslookup would read commands, which netshoot \
does not (give NAME). Options are given with one dash and may be shortened (-ty=MX, -q=MX).",
    single_dash_long: true,
};

/// The long names options may be shortened to (nslookup accepts any unique prefix).
const NAMES: &[&str] = &[
    "type",
    "querytype",
    "query",
    "port",
    "timeout",
    "retry",
    "vc",
    "novc",
    "search",
    "nosearch",
    "recurse",
    "norecurse",
    "class",
    "debug",
    "nodebug",
    "d2",
    "domain",
    "fail",
    "nofail",
];

fn expand(tool: &str, a: &str) -> anyhow::Result<String> {
    let Some(body) = a.strip_prefix('-') else {
        return Ok(a.to_string());
    };
    if body.is_empty() || body.starts_with('-') {
        return Ok(a.to_string());
    }
    let (n, v) = match body.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (body, None),
    };
    let n = n.to_ascii_lowercase();
    let full = if n == "q" || n == "ty" || n == "t" {
        "type".to_string()
    } else if NAMES.contains(&n.as_str()) {
        n
    } else {
        let hits: Vec<&&str> = NAMES.iter().filter(|x| x.starts_with(&n)).collect();
        match hits.as_slice() {
            [one] => one.to_string(),
            _ => return Err(usage(tool, format!("unknown option '{a}'"))),
        }
    };
    Ok(match v {
        Some(v) => format!("-{full}={v}"),
        None => format!("-{full}"),
    })
}

/// A record as nslookup prints it (the name without its final dot).
fn record(s: &mut String, r: &netshoot_dns::Rec) {
    let n = r.name.trim_end_matches('.');
    let data = super::dnsfmt::dig(&r.data);
    let field = |f: &str| format!("{n}\t{f} = {data}\n");
    let line = match r.rtype.as_str() {
        "A" | "AAAA" => format!("Name:\t{n}\nAddress: {data}\n"),
        "CNAME" => field("canonical name"),
        "MX" => field("mail exchanger"),
        "NS" => field("nameserver"),
        "TXT" => field("text"),
        "PTR" => field("name"),
        "SRV" => field("service"),
        "SOA" => {
            let f: Vec<&str> = data.split_whitespace().collect();
            if f.len() == 7 {
                format!(
                    "{n}\n\torigin = {}\n\tmail addr = {}\n\tserial = {}\n\trefresh = {}\n\tretry = {}\n\texpire = {}\n\tminimum = {}\n",
                    f[0].trim_end_matches('.'),
                    f[1].trim_end_matches('.'),
                    f[2],
                    f[3],
                    f[4],
                    f[5],
                    f[6]
                )
            } else {
                field("origin")
            }
        }
        t => format!("{n}\trdata_{} = {data}\n", t_num(t)),
    };
    s.push_str(&line);
}

/// nslookup names other types by number (`rdata_257 = …` for CAA).
fn t_num(t: &str) -> String {
    t.parse::<netshoot_dns::RecordType>()
        .map(|x| u16::from(x).to_string())
        .unwrap_or_else(|_| t.to_string())
}

fn run(name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let args: Vec<String> = args
        .iter()
        .map(|a| expand(name, a))
        .collect::<anyhow::Result<_>>()?;
    let p = SPEC.parse(&args)?;
    if p.has("help") {
        print!("{}", SPEC.help());
        return Ok(0);
    }
    let ops = p.args();
    let (qname, server) = match ops.as_slice() {
        [] | ["-"] | ["-", _] => {
            return Err(usage(
                name,
                "interactive mode is not supported: give NAME [SERVER]",
            ))
        }
        [n] => (n.to_string(), None),
        [n, s] => (n.to_string(), Some(s.to_string())),
        [_, _, x, ..] => return Err(usage(name, format!("unexpected '{x}': give NAME [SERVER]"))),
    };
    if let Some(c) = p.value("class") {
        if !c.eq_ignore_ascii_case("IN") {
            return Err(usage(
                name,
                format!("class '{c}' is not supported: only IN"),
            ));
        }
    }
    let qtypes: Vec<String> = match p.value("type") {
        Some(t) => vec![dnsfmt::qtype(t).ok_or_else(|| {
            usage(name, format!("unknown query type '{t}': try A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT or ANY"))
        })?],
        None => vec!["A".into(), "AAAA".into()],
    };
    let port = match p.value("port") {
        Some(v) => dnsfmt::port(name, v)?,
        None => 53,
    };
    let timeout = match p.value("timeout") {
        Some(v) => dnsfmt::seconds(name, "-timeout", v)?,
        None => Duration::from_secs(2),
    };
    let tries = match p.value("retry") {
        Some(v) => dnsfmt::count(name, "-retry", v)?,
        None => 1,
    };
    let tcp = p.has("vc") && !p.has("novc");
    // An address: its PTR record (and no Server lines, as bind's nslookup prints it).
    let reverse = qname.parse::<std::net::IpAddr>().ok();
    let (ask_name, qtypes, search) = match reverse {
        Some(ip) => (
            netshoot_dns::reverse_name(ip),
            vec!["PTR".to_string()],
            false,
        ),
        None => (qname.clone(), qtypes, !p.has("nosearch")),
    };
    if ctx.json {
        let mut v: Vec<String> = vec!["dns".into(), ask_name, qtypes[0].clone()];
        if let Some(s) = &server {
            v.push(format!("@{s}"));
        }
        v.push(if search { "+search" } else { "+nosearch" }.into());
        if tcp {
            v.push("+tcp".into());
        }
        v.extend(["-p".to_string(), port.to_string()]);
        return ctx.verb(&v);
    }
    let asking = dnsfmt::servers(name, ctx, server.as_deref(), port, None)?;
    let names = asking.names(&ask_name, search);
    let mut s = String::new();
    let mut header_done = false;
    let mut non_auth_done = false;
    let mut code = 0;
    for (i, qt) in qtypes.iter().enumerate() {
        let (_tried, answer, err) = asking.ask(&names, qt, tcp, timeout, tries);
        let Some(a) = answer else {
            let _ = err;
            s.push_str(";; connection timed out; no servers could be reached\n\n");
            print!("{s}");
            return Ok(1);
        };
        // bind's nslookup says so only for servers from resolv.conf.
        if server.is_none() && a.flags.contains(&"rd") && !a.flags.contains(&"ra") {
            let _ = writeln!(s, ";; Got recursion not available from {}", a.server.ip());
        }
        if !header_done && reverse.is_none() {
            let _ = writeln!(
                s,
                "Server:\t\t{}\nAddress:\t{}#{}\n",
                a.server.ip(),
                a.server.ip(),
                a.server.port()
            );
        }
        header_done = true;
        match a.rcode.as_str() {
            "NOERROR" => {}
            rc => {
                let shown = if reverse.is_some() {
                    ask_name.trim_end_matches('.').to_string()
                } else {
                    qname.clone()
                };
                let _ = writeln!(s, "** server can't find {shown}: {rc}\n");
                code = 1;
                break;
            }
        }
        if a.answers.is_empty() {
            // Asked for one type: say it has none; for the default A+AAAA pair, only when both
            // are empty (bind prints nothing for an empty AAAA after A records).
            if qtypes.len() == 1 {
                let _ = writeln!(s, "*** Can't find {qname}: No answer\n");
            }
            continue;
        }
        if !a.flags.contains(&"aa") && !non_auth_done {
            s.push_str("Non-authoritative answer:\n");
            non_auth_done = true;
        }
        // The AAAA half of the default pair repeats no alias line.
        for r in a.answers.iter().filter(|r| i == 0 || r.rtype != "CNAME") {
            record(&mut s, r);
        }
    }
    if code == 0 && !s.ends_with("\n\n") {
        s.push('\n');
    }
    print!("{s}");
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_expand_from_prefixes() {
        assert_eq!(expand("nslookup", "-q=MX").unwrap(), "-type=MX");
        assert_eq!(expand("nslookup", "-ty=mx").unwrap(), "-type=mx");
        assert_eq!(expand("nslookup", "-po=5353").unwrap(), "-port=5353");
        assert_eq!(expand("nslookup", "example.test").unwrap(), "example.test");
        assert!(expand("nslookup", "-zzz").is_err());
        let p = SPEC
            .parse(&["-type=MX", "-port=53", "example.test", "10.0.0.1"])
            .unwrap();
        assert_eq!(p.value("type"), Some("MX"));
        assert_eq!(p.args(), ["example.test", "10.0.0.1"]);
    }
}
