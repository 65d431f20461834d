//! `dig` (BIND 9.18): `@server`, `-p`, `-t`, `-x`, TYPE operands and the common `+` options,
//! asked through the dns verb's engine and printed in dig's sections and columns.

use std::fmt::Write as _;
use std::time::Duration;

use super::getopt::{usage, Opt, Spec, Takes};
use super::{dnsfmt, Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["dig"],
    about: "ask DNS servers, dig's output (netshoot dns)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::value("t", Some('t'), &[], "TYPE", "record type (A, AAAA, MX, …)"),
    Opt::value(
        "x",
        Some('x'),
        &[],
        "ADDR",
        "reverse lookup (PTR) of an address",
    ),
    Opt::value("p", Some('p'), &[], "PORT", "server port (53)"),
    Opt::value("q", Some('q'), &[], "NAME", "the name to ask for"),
    Opt::value("c", Some('c'), &[], "CLASS", "class (IN only)"),
    Opt::flag("4", Some('4'), &[], "IPv4 servers only"),
    Opt::flag("6", Some('6'), &[], "IPv6 servers only"),
    Opt::flag("r", Some('r'), &[], "do not read ~/.digrc (never read)"),
    Opt::flag(
        "m",
        Some('m'),
        &[],
        "memory debugging (accepted, no effect)",
    ),
    Opt::unsupported(
        "b",
        Some('b'),
        &[],
        Takes::Value,
        "the source address is chosen by the route",
    ),
    Opt::unsupported(
        "f",
        Some('f'),
        &[],
        Takes::Value,
        "batch files are not read: run one dig per name",
    ),
    Opt::unsupported("k", Some('k'), &[], Takes::Value, "TSIG is not supported"),
    Opt::unsupported("y", Some('y'), &[], Takes::Value, "TSIG is not supported"),
    Opt::unsupported(
        "v",
        Some('v'),
        &[],
        Takes::No,
        "netshoot --version names netshoot's version",
    ),
    Opt::unsupported(
        "i",
        Some('i'),
        &[],
        Takes::No,
        "ip6.int is obsolete: use -x",
    ),
];

const SPEC: Spec = Spec {
    tool: "dig",
    opts: OPTS,
    permute: true,
    usage: "[@SERVER] [-p PORT] [-t TYPE] [-x ADDR] [NAME] [TYPE] [+OPTION…]",
    notes: "+options: +short, +[no]all, +[no]answer, +[no]question, +[no]authority, \
+[no]additional, +[no]comments, +[no]stats, +[no]cmd, +[no]tcp (+[no]vc), +[no]search, \
+time=SECS, +tries=N, +retry=N, +[no]cookie and +[no]rec (accepted). Refused with a hint: \
+trace, +dnssec, +nsid, +multiline, +noedns, +norecurse and other options. The first line names \
netshoot instead of DiG's version; MSG SIZE is the size of the answer netshoot received (it \
sends EDNS with a 1232-byte payload and no cookie). Exit 9 when no server answered, as dig.",
    single_dash_long: false,
};

/// What dig prints.
struct Show {
    cmd: bool,
    comments: bool,
    question: bool,
    answer: bool,
    authority: bool,
    additional: bool,
    stats: bool,
    short: bool,
}

impl Show {
    fn all(on: bool) -> Show {
        Show {
            cmd: on,
            comments: on,
            question: on,
            answer: on,
            authority: on,
            additional: on,
            stats: on,
            short: false,
        }
    }
}

fn plus(
    o: &str,
    show: &mut Show,
    tcp: &mut Option<bool>,
    search: &mut bool,
    timeout: &mut Duration,
    tries: &mut u32,
) -> anyhow::Result<()> {
    let (name, val) = match o.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (o, None),
    };
    let (on, base) = match name.strip_prefix("no") {
        Some(b) if !b.is_empty() => (false, b),
        _ => (true, name),
    };
    let refuse = |hint: &str| -> anyhow::Result<()> {
        Err(usage(
            "dig",
            format!("option '+{o}' is not supported by netshoot; {hint}"),
        ))
    };
    // dig accepts unique prefixes of its + options; the common spellings are listed.
    match base {
        "short" => {
            show.short = on;
            if on {
                *show = Show {
                    short: true,
                    answer: true,
                    ..Show::all(false)
                };
            }
        }
        "all" => {
            let short = show.short;
            *show = Show::all(on);
            show.short = short;
        }
        "answer" => show.answer = on,
        "question" => show.question = on,
        "authority" => show.authority = on,
        "additional" => show.additional = on,
        "comments" => show.comments = on,
        "stats" => show.stats = on,
        "cmd" => show.cmd = on,
        "tcp" | "vc" => *tcp = Some(on),
        "search" => *search = on,
        "time" => {
            let v = val.ok_or_else(|| usage("dig", "+time needs a value: +time=SECS"))?;
            *timeout = dnsfmt::seconds("dig", "+time", v)?;
        }
        "tries" => {
            let v = val.ok_or_else(|| usage("dig", "+tries needs a value: +tries=N"))?;
            *tries = dnsfmt::count("dig", "+tries", v)?;
        }
        "retry" => {
            let v = val.ok_or_else(|| usage("dig", "+retry needs a value: +retry=N"))?;
            *tries = dnsfmt::count("dig", "+retry", v)? + 1;
        }
        "cookie" | "ttlid" | "class" | "identify" | "fail" | "besteffort" | "idnin" | "idnout" => {}
        "rec" | "recurse" if on => {}
        "rec" | "recurse" => {
            return refuse("queries always ask for recursion (RD); the answer's flags show whether the server is authoritative (aa)")
        }
        "trace" => {
            return refuse("no iterative trace from the root: ask each server in turn with @SERVER")
        }
        "dnssec" | "do" | "cd" | "adflag" | "sigchase" => {
            return refuse("DNSSEC records and validation are not supported")
        }
        "nsid" | "expire" | "subnet" | "ednsopt" | "padding" | "keepopen" | "zoneversion" => {
            return refuse("EDNS options are not sent")
        }
        "edns" if on => {}
        "edns" => return refuse("queries always carry EDNS (payload 1232)"),
        "multiline" | "rrcomments" | "onesoa" | "split" | "unknownformat" | "yaml" => {
            return refuse("records are printed one per line as dig prints them by default")
        }
        "https" | "tls" | "http-plain" => return refuse("DNS over TLS/HTTPS is not supported"),
        _ => {
            return Err(usage(
                "dig",
                format!("unknown option '+{o}': see dig --help for the + options netshoot supports"),
            ))
        }
    }
    Ok(())
}

/// dig's `;; WHEN:` date: `Tue Dec 01 22:44:15 UTC 2026`.
fn when() -> String {
    let c = super::ctime_utc();
    // ctime pads the day with a space; dig with a zero.
    let (wd, rest) = c.split_at(8);
    let (day, tail) = rest.split_at(2);
    let (time, year) = tail.trim_start().split_at(8);
    format!(
        "{wd}{} {time} UTC{year}",
        day.trim()
            .parse::<u32>()
            .map(|d| format!("{d:02}"))
            .unwrap_or_default()
    )
}

fn run(name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    let mut show = Show::all(true);
    let (mut tcp_opt, mut search) = (None, false);
    let mut timeout = Duration::from_secs(5);
    let mut tries = 3u32;
    let mut server = None;
    let mut qname: Option<String> = p.value("q").map(str::to_string);
    let mut qtype: Option<String> = match p.value("t") {
        Some(t) => Some(dnsfmt::qtype(t).ok_or_else(|| {
            usage(
                name,
                format!("unknown record type '{t}': try A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA or ANY"),
            )
        })?),
        None => None,
    };
    if let Some(c) = p.value("c") {
        if !c.eq_ignore_ascii_case("IN") {
            return Err(usage(
                name,
                format!("class '{c}' is not supported: only IN"),
            ));
        }
    }
    for a in p.args() {
        if let Some(s) = a.strip_prefix('@') {
            server = Some(s.to_string());
        } else if let Some(o) = a.strip_prefix('+') {
            plus(
                o,
                &mut show,
                &mut tcp_opt,
                &mut search,
                &mut timeout,
                &mut tries,
            )?;
        } else if a.eq_ignore_ascii_case("IN") {
        } else if let (Some(t), None) = (dnsfmt::qtype(a), &qtype) {
            qtype = Some(t);
        } else if qname.is_none() {
            qname = Some(a.to_string());
        } else {
            return Err(usage(
                name,
                format!("unexpected '{a}': netshoot's dig asks one name per command line"),
            ));
        }
    }
    let reverse = p.value("x");
    let (qname, qtype) = match (reverse, qname) {
        (Some(x), _) => {
            let ip: std::net::IpAddr = x
                .parse()
                .map_err(|_| usage(name, format!("-x '{x}' is not an address")))?;
            (netshoot_dns::reverse_name(ip), "PTR".to_string())
        }
        (None, Some(n)) => (n, qtype.unwrap_or_else(|| "A".into())),
        // dig without a name asks for the root's NS records.
        (None, None) => (".".to_string(), qtype.unwrap_or_else(|| "NS".into())),
    };
    // dig 9.18 asks ANY over TCP unless told +notcp.
    let tcp = tcp_opt.unwrap_or(qtype == "ANY");
    if tcp {
        tries = 1;
    }
    if ctx.json {
        let mut v: Vec<String> = vec!["dns".into(), qname.clone(), qtype.clone()];
        if let Some(s) = &server {
            v.push(format!("@{s}"));
        }
        if tcp {
            v.push("+tcp".into());
        }
        v.push(if search { "+search" } else { "+nosearch" }.into());
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
    let names = asking.names(&qname, search && reverse.is_none());
    let (tried, answer, _err) = asking.ask(&names, &qtype, tcp, timeout, tries);
    let mut s = String::new();
    let cmdline = args.join(" ");
    let Some(a) = answer else {
        for t in &tried {
            let why = if t.outcome.contains("no answer within") {
                "timed out".to_string()
            } else if t.outcome.contains("connection refused") {
                "connection refused".to_string()
            } else {
                t.outcome
                    .split_once(": ")
                    .map(|(_, w)| w.to_string())
                    .unwrap_or_else(|| t.outcome.clone())
            };
            let _ = writeln!(
                s,
                ";; communications error to {}#{}: {}",
                t.server.ip(),
                t.server.port(),
                netshoot_wire::text::escape(&why)
            );
        }
        if show.cmd {
            let _ = writeln!(s, "\n; <<>> netshoot dig <<>> {cmdline}");
            if server.is_some() {
                s.push_str("; (1 server found)\n");
            }
            s.push_str(";; global options: +cmd\n");
        }
        s.push_str(";; no servers could be reached\n");
        print!("{s}");
        return Ok(9);
    };
    if show.short {
        for r in &a.answers {
            let _ = writeln!(s, "{}", super::dnsfmt::dig(&r.data));
        }
        print!("{s}");
        return Ok(0);
    }
    if show.cmd {
        let _ = writeln!(s, "\n; <<>> netshoot dig <<>> {cmdline}");
        if server.is_some() {
            s.push_str("; (1 server found)\n");
        }
        s.push_str(";; global options: +cmd\n");
    }
    if show.comments {
        s.push_str(";; Got answer:\n");
        dnsfmt::header(&mut s, &a, true);
        if a.flags.contains(&"rd") && !a.flags.contains(&"ra") {
            s.push_str(";; WARNING: recursion requested but not available\n");
        }
        s.push('\n');
        if let Some(e) = &a.edns {
            s.push_str(";; OPT PSEUDOSECTION:\n");
            let _ = writeln!(
                s,
                "; EDNS: version: {}, flags:{}; udp: {}",
                e.version,
                if e.dnssec_ok { " do" } else { "" },
                e.udp
            );
        }
    }
    dnsfmt::sections(
        &mut s,
        &a,
        [show.question, show.answer, show.authority, show.additional],
        show.comments,
    );
    if show.stats {
        let _ = writeln!(s, ";; Query time: {} msec", a.elapsed_us / 1000);
        let _ = writeln!(
            s,
            ";; SERVER: {}#{}({}) ({})",
            a.server.ip(),
            a.server.port(),
            a.server.ip(),
            match a.transport {
                netshoot_dns::Transport::Udp => "UDP",
                netshoot_dns::Transport::Tcp => "TCP",
            }
        );
        let _ = writeln!(s, ";; WHEN: {}", when());
        let _ = writeln!(s, ";; MSG SIZE  rcvd: {}", a.size);
        s.push('\n');
    }
    print!("{s}");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_is_digs_date() {
        let w = when();
        assert!(w.contains(" UTC "), "{w}");
        assert_eq!(w.len(), "Tue Dec 01 22:44:15 UTC 2026".len(), "{w}");
    }

    #[test]
    fn plus_options() {
        let mut show = Show::all(true);
        let (mut tcp, mut search) = (None, false);
        let mut t = Duration::from_secs(5);
        let mut tries = 3;
        for o in ["noall", "answer", "tcp", "search", "time=2", "tries=1"] {
            plus(o, &mut show, &mut tcp, &mut search, &mut t, &mut tries).unwrap();
        }
        assert!(show.answer && !show.question && !show.stats && tcp == Some(true) && search);
        assert_eq!((t, tries), (Duration::from_secs(2), 1));
        let e = plus(
            "trace",
            &mut show,
            &mut tcp,
            &mut search,
            &mut t,
            &mut tries,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("+trace") && e.contains("@SERVER"), "{e}");
    }
}
