//! `conntrack` (conntrack-tools 1.4), read-only: `-L` with its filters and `-o extended,id`,
//! `-C`, `-S`, on the same engine as our `conntrack` verb (`cmd::conntrack`), whose options this
//! parser accepts too (`netshoot conntrack …` comes here).

use std::net::IpAddr;

use super::getopt::{usage, Opt, Spec, Takes};
use super::{Ctx, Tool};
use crate::cmd::conntrack::ConntrackArgs;

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["conntrack"],
    about: "list connection tracking entries, read-only (netshoot conntrack)",
    run,
};

const READ_ONLY: &str = "netshoot is read-only: change the table with the host's conntrack";

const OPTS: &[Opt] = &[
    Opt::flag("L", Some('L'), &["dump", "list"], "list the entries (the default)"),
    Opt::flag("C", Some('C'), &["count"], "the number of entries"),
    Opt::flag("S", Some('S'), &["stats"], "per-CPU statistics"),
    Opt::value("p", Some('p'), &["proto"], "PROTO", "protocol: tcp, udp, icmp, icmpv6, sctp, … or a number"),
    Opt::value("s", Some('s'), &["src", "orig-src"], "IP", "original source address"),
    Opt::value("d", Some('d'), &["dst", "orig-dst"], "IP", "original destination address"),
    Opt::value("r", Some('r'), &["reply-src"], "IP", "reply source address"),
    Opt::value("q", Some('q'), &["reply-dst"], "IP", "reply destination address"),
    Opt::value("sport", None, &["sport", "orig-port-src"], "PORT", "original source port"),
    Opt::value("dport", None, &["dport", "orig-port-dst"], "PORT", "original destination port"),
    Opt::value("state", None, &["state"], "STATE", "TCP state (ESTABLISHED, TIME_WAIT, …)"),
    Opt::value("f", Some('f'), &["family"], "FAMILY", "ipv4 or ipv6"),
    Opt::value("w", Some('w'), &["zone"], "ZONE", "conntrack zone"),
    Opt::value("m", Some('m'), &["mark"], "MARK", "connection mark"),
    Opt::flag("n", Some('n'), &["src-nat"], "only source-NATed connections"),
    Opt::flag("g", Some('g'), &["dst-nat"], "only destination-NATed connections"),
    Opt::flag("j", Some('j'), &["any-nat"], "only NATed connections"),
    Opt::value("o", Some('o'), &["output"], "FORMAT", "extended (family first) and/or id"),
    Opt::flag("json", None, &["json"], "netshoot's JSON report (as netshoot --json conntrack)"),
    Opt::unsupported("E", Some('E'), &["event"], Takes::No, "events are not followed: run conntrack -L again (or watch -n1 conntrack -L)"),
    Opt::unsupported("G", Some('G'), &["get"], Takes::No, "use -L with -p, -s, -d, --sport, --dport to find one entry"),
    Opt::unsupported("D", Some('D'), &["delete"], Takes::No, READ_ONLY),
    Opt::unsupported("I", Some('I'), &["create"], Takes::No, READ_ONLY),
    Opt::unsupported("U", Some('U'), &["update"], Takes::No, READ_ONLY),
    Opt::unsupported("F", Some('F'), &["flush"], Takes::No, READ_ONLY),
    Opt::unsupported("R", Some('R'), &["load-file"], Takes::Value, READ_ONLY),
    Opt::unsupported("A", Some('A'), &["add"], Takes::No, READ_ONLY),
    Opt::unsupported("z", Some('z'), &["zero"], Takes::No, READ_ONLY),
    Opt::unsupported("t", Some('t'), &["timeout"], Takes::Value, "no timeout filter: list and compare the third column"),
    Opt::unsupported("u", Some('u'), &["status"], Takes::Value, "no status filter: -n, -g, -j select NATed entries; [UNREPLIED] and [ASSURED] show in each line"),
    Opt::unsupported("l", Some('l'), &["label"], Takes::Value, "connection labels are not read"),
    Opt::unsupported("c", Some('c'), &["secmark"], Takes::Value, "secmarks are not read"),
    Opt::unsupported("e", Some('e'), &["event-mask"], Takes::Value, "events are not followed"),
    Opt::unsupported("b", Some('b'), &["buffer-size"], Takes::Value, "the netlink buffer is sized by netshoot"),
];

const SPEC: Spec = Spec {
    tool: "conntrack",
    opts: OPTS,
    permute: true,
    usage: "[-L [conntrack]] [-p PROTO] [-s IP] [-d IP] [--sport N] [--dport N] [--state S] [-f ipv4|ipv6] [-o extended,id] | -C | -S",
    notes: "Read-only: -D, -I, -U, -F, -R, -A and -z are refused (use the host's conntrack). \
The line after the entries (on stderr) names netshoot instead of conntrack v1.4.7. Only the \
conntrack table is listed (not expect, dying or unconfirmed).",
    single_dash_long: false,
};

fn ip(v: Option<&str>, what: &str) -> anyhow::Result<Option<IpAddr>> {
    v.map(|x| {
        x.parse()
            .map_err(|_| usage("conntrack", format!("bad {what} '{x}': give an address")))
    })
    .transpose()
}

fn num<T: std::str::FromStr>(v: Option<&str>, what: &str) -> anyhow::Result<Option<T>> {
    v.map(|x| {
        let parsed = match x.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok().map(|n| n.to_string()),
            None => Some(x.to_string()),
        };
        parsed
            .and_then(|s| s.parse::<T>().ok())
            .ok_or_else(|| usage("conntrack", format!("bad {what} '{x}': give a number")))
    })
    .transpose()
}

fn run(name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(p) = SPEC.parse_or_answer(args, None)? else {
        return Ok(0);
    };
    for a in p.args() {
        match a {
            "conntrack" => {}
            "expect" | "dying" | "unconfirmed" => {
                return Err(usage(
                    name,
                    format!("the {a} table is not read: netshoot lists the conntrack table"),
                ))
            }
            other => return Err(usage(name, format!("unexpected '{other}'"))),
        }
    }
    let family = match p.value("f") {
        None => None,
        Some(f @ ("ipv4" | "ipv6")) => Some(f.to_string()),
        Some(f) => return Err(usage(name, format!("bad family '{f}': give ipv4 or ipv6"))),
    };
    let (mut extended, mut with_id) = (false, false);
    // -o extended,id or -o extended -o id.
    for o in p.values("o") {
        for f in o.split(',') {
            match f {
                "extended" => extended = true,
                "id" => with_id = true,
                other => {
                    return Err(usage(
                        name,
                        format!("output format '{other}' is not supported by netshoot; use -o extended,id or netshoot --json conntrack"),
                    ))
                }
            }
        }
    }
    let c = ConntrackArgs {
        count: p.has("C"),
        stats: p.has("S"),
        list: p.has("L"),
        proto: p.value("p").map(str::to_string),
        src: ip(p.value("s"), "source")?,
        dst: ip(p.value("d"), "destination")?,
        sport: num(p.value("sport"), "--sport")?,
        dport: num(p.value("dport"), "--dport")?,
        state: p.value("state").map(str::to_string),
        family,
        zone: num(p.value("w"), "zone")?,
        mark: num(p.value("m"), "mark")?,
        reply_src: ip(p.value("r"), "reply source")?,
        reply_dst: ip(p.value("q"), "reply destination")?,
        src_nat: p.has("n"),
        dst_nat: p.has("g"),
        any_nat: p.has("j"),
    };
    if [c.count, c.stats, c.list].iter().filter(|x| **x).count() > 1 {
        return Err(usage(name, "choose one command: -L, -C or -S"));
    }
    let mut out = ctx.output();
    out.json |= p.has("json");
    let _target = ctx.enter()?;
    if c.count || c.stats || out.json {
        return crate::cmd::conntrack::run(&c, &out);
    }
    let entries = crate::cmd::conntrack::matching(&c)?;
    let mut s = String::new();
    for e in &entries {
        if extended {
            let n = if e.family == "ipv6" { 10 } else { 2 };
            s.push_str(&format!("{:<8} {n} ", e.family));
        }
        s.push_str(&e.line());
        if with_id {
            if let Some(id) = e.id {
                s.push_str(&format!(" id={id}"));
            }
        }
        s.push('\n');
    }
    print!("{s}");
    eprintln!(
        "conntrack (netshoot): {} flow entries have been shown.",
        entries.len()
    );
    Ok(0)
}
