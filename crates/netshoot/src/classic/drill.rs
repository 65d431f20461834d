//! `drill` (ldns 1.8): `drill [-t] [-p PORT] [-4|-6] [-x] NAME [@SERVER] [TYPE]`, asked
//! through the dns verb's engine and printed in drill's layout.

use std::fmt::Write as _;
use std::time::Duration;

use super::getopt::{usage, Opt, Spec, Takes};
use super::{dnsfmt, Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["drill"],
    about: "ask DNS servers, drill's output (netshoot dns)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag("t", Some('t'), &[], "ask over TCP"),
    Opt::flag("u", Some('u'), &[], "ask over UDP (the default)"),
    Opt::value("p", Some('p'), &[], "PORT", "server port (53)"),
    Opt::flag("4", Some('4'), &[], "IPv4 servers only"),
    Opt::flag("6", Some('6'), &[], "IPv6 servers only"),
    Opt::flag("x", Some('x'), &[], "reverse lookup: NAME is an address"),
    Opt::value(
        "V",
        Some('V'),
        &[],
        "LEVEL",
        "verbosity (accepted; the answer is printed as at level 1)",
    ),
    Opt::flag("Q", Some('Q'), &[], "quiet: only the answer's records"),
    Opt::flag("z", Some('z'), &[], "randomize the nameservers (accepted)"),
    Opt::unsupported(
        "T",
        Some('T'),
        &[],
        Takes::No,
        "no trace from the root: ask each server in turn with @SERVER",
    ),
    Opt::unsupported(
        "S",
        Some('S'),
        &[],
        Takes::No,
        "DNSSEC chasing is not supported",
    ),
    Opt::unsupported("D", Some('D'), &[], Takes::No, "DNSSEC is not supported"),
    Opt::unsupported("k", Some('k'), &[], Takes::Value, "DNSSEC is not supported"),
    Opt::unsupported("s", Some('s'), &[], Takes::No, "DNSSEC is not supported"),
    Opt::unsupported("y", Some('y'), &[], Takes::Value, "TSIG is not supported"),
    Opt::unsupported(
        "o",
        Some('o'),
        &[],
        Takes::Value,
        "header flags cannot be set: queries ask for recursion",
    ),
    Opt::unsupported(
        "c",
        Some('c'),
        &[],
        Takes::Value,
        "the target's resolv.conf is used: name a server with @SERVER",
    ),
    Opt::unsupported(
        "r",
        Some('r'),
        &[],
        Takes::Value,
        "no root hints are read: trace is not supported",
    ),
    Opt::unsupported(
        "w",
        Some('w'),
        &[],
        Takes::Value,
        "write the answer with the shell: drill NAME > FILE",
    ),
    Opt::unsupported(
        "i",
        Some('i'),
        &[],
        Takes::Value,
        "packets are not read from files",
    ),
    Opt::unsupported(
        "b",
        Some('b'),
        &[],
        Takes::Value,
        "the EDNS payload is 1232",
    ),
    Opt::unsupported(
        "I",
        Some('I'),
        &[],
        Takes::Value,
        "the source address is chosen by the route",
    ),
    Opt::unsupported(
        "a",
        Some('a'),
        &[],
        Takes::No,
        "a truncated UDP answer is always asked again over TCP",
    ),
    Opt::unsupported(
        "v",
        Some('v'),
        &[],
        Takes::No,
        "netshoot --version names netshoot's version",
    ),
];

const SPEC: Spec = Spec {
    tool: "drill",
    opts: OPTS,
    permute: true,
    usage: "[-t] [-p PORT] [-4|-6] [-x] [-V LEVEL] NAME [@SERVER] [TYPE] [IN]",
    notes: "Output as drill prints it at the default verbosity; -V is accepted and does not \
print the query packet. MSG SIZE is the size netshoot received (it sends EDNS, which drill \
does not by default, so the answer is 11 bytes larger).",
    single_dash_long: false,
};

fn run(name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    if let Some(v) = p.value("V") {
        if v.parse::<u8>().is_err() {
            return Err(usage(name, format!("bad -V '{v}': give a level 0-5")));
        }
    }
    let mut server = None;
    let mut qname: Option<String> = None;
    let mut qtype: Option<String> = None;
    for a in p.args() {
        if let Some(s) = a.strip_prefix('@') {
            server = Some(s.to_string());
        } else if a.eq_ignore_ascii_case("IN") {
        } else if let (Some(t), true, None) = (dnsfmt::qtype(a), qname.is_some(), &qtype) {
            qtype = Some(t);
        } else if qname.is_none() {
            qname = Some(a.to_string());
        } else {
            return Err(usage(
                name,
                format!("unexpected '{a}': give NAME [@SERVER] [TYPE]"),
            ));
        }
    }
    let Some(qname) = qname else {
        return Err(usage(
            name,
            "no name to look up: give NAME [@SERVER] [TYPE]",
        ));
    };
    let (qname, qtype) = if p.has("x") {
        let ip: std::net::IpAddr = qname
            .parse()
            .map_err(|_| usage(name, format!("-x: '{qname}' is not an address")))?;
        (netshoot_dns::reverse_name(ip), "PTR".to_string())
    } else {
        (qname, qtype.unwrap_or_else(|| "A".into()))
    };
    let tcp = p.has("t");
    if ctx.json {
        let mut v: Vec<String> = vec!["dns".into(), qname, qtype, "+nosearch".into()];
        if let Some(s) = &server {
            v.push(format!("@{s}"));
        }
        if tcp {
            v.push("+tcp".into());
        }
        if let Some(port) = p.value("p") {
            v.extend(["-p".to_string(), port.to_string()]);
        }
        return ctx.verb(&v);
    }
    let port = match p.value("p") {
        Some(v) => dnsfmt::port(name, v)?,
        None => 53,
    };
    let family = if p.has("4") {
        Some(4)
    } else if p.has("6") {
        Some(6)
    } else {
        None
    };
    let asking = dnsfmt::servers(name, ctx, server.as_deref(), port, family)?;
    let names = asking.names(&qname, false);
    let (_tried, answer, err) = asking.ask(&names, &qtype, tcp, Duration::from_secs(5), 1);
    let Some(a) = answer else {
        // As drill: "Error: error sending query: Could not send or receive, because of network
        // error", exit 1.
        eprintln!(
            "Error: error sending query: {}",
            err.map(|e| e.to_string())
                .unwrap_or_else(|| "no server answered".into())
        );
        return Ok(1);
    };
    let mut s = String::new();
    if p.has("Q") {
        for r in &a.answers {
            let _ = writeln!(s, "{}", super::dnsfmt::dig(&r.data));
        }
        print!("{s}");
        return Ok(0);
    }
    // -V 5 and up: the query as asked first, as drill prints its query packet (id 0 before
    // it is sent; the EDNS OPT record it carries is not counted, as drill counts none).
    if p.value("V").and_then(|v| v.parse::<u8>().ok()).unwrap_or(0) >= 5 {
        let _ = writeln!(s, ";; ->>HEADER<<- opcode: QUERY, rcode: NOERROR, id: 0");
        let _ = writeln!(
            s,
            ";; flags: rd ; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0 "
        );
        let _ = writeln!(s, ";; QUESTION SECTION:");
        let asked = names.last().cloned().unwrap_or_default();
        let _ = writeln!(s, ";; {asked}\tIN\t{qtype}");
        for title in ["ANSWER", "AUTHORITY", "ADDITIONAL"] {
            let _ = writeln!(s, "\n;; {title} SECTION:");
        }
        let _ = writeln!(s, "\n;; Query time: 0 msec");
        let _ = writeln!(s, ";; WHEN: {}", super::ctime_utc());
        let _ = writeln!(s, ";; MSG SIZE  rcvd: 0");
    }
    let _ = writeln!(
        s,
        ";; ->>HEADER<<- opcode: QUERY, rcode: {}, id: {}",
        a.rcode, a.id
    );
    let _ = writeln!(
        s,
        ";; flags: {} ; QUERY: {}, ANSWER: {}, AUTHORITY: {}, ADDITIONAL: {} ",
        a.flags.join(" "),
        a.question.len(),
        a.answers.len(),
        a.authority.len(),
        a.additional.len()
    );
    s.push_str(";; QUESTION SECTION:\n");
    for q in &a.question {
        let _ = writeln!(s, ";; {}\t{}\t{}", q.name, q.class, q.qtype);
    }
    for (title, recs) in [
        ("ANSWER", &a.answers),
        ("AUTHORITY", &a.authority),
        ("ADDITIONAL", &a.additional),
    ] {
        let _ = writeln!(s, "\n;; {title} SECTION:");
        for r in recs.iter() {
            let _ = writeln!(
                s,
                "{}\t{}\t{}\t{}\t{}",
                r.name,
                r.ttl,
                r.class,
                r.rtype,
                super::dnsfmt::dig(&r.data)
            );
        }
    }
    let _ = writeln!(s, "\n;; Query time: {} msec", a.elapsed_us / 1000);
    let _ = writeln!(s, ";; SERVER: {}", a.server.ip());
    let _ = writeln!(s, ";; WHEN: {}", super::ctime_utc());
    let _ = writeln!(s, ";; MSG SIZE  rcvd: {}", a.size);
    print!("{s}");
    Ok(0)
}
