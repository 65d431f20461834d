//! `dns`: dig/drill inside the target, with the target's own resolv.conf.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::{Args, Subcommand};
use netshoot_dns::{Answer, RecordType, ResolvConf, Tried};
use netshoot_ns::Target;
use serde::Serialize;

use crate::render::Output;
use netshoot_wire::text::{dig, escape};

/// The `dns` command.
#[derive(Debug, Subcommand)]
pub enum DnsCommand {
    /// Ask DNS like dig/drill, from inside the target, with its resolv.conf.
    #[command(after_help = "\
Arguments in dig's style: NAME [TYPE] [@SERVER] [+tcp] [+short] [+nosearch].
Without @SERVER the target's nameservers are asked in order; names are tried through the
target's search list and ndots, and every name tried is shown. Each question waits -w seconds
at most (2), its TCP retry of a truncated answer included, and the whole lookup --deadline
seconds (10). Exit 1 when the answer is NXDOMAIN, SERVFAIL, REFUSED or nothing answered.
When the Docker socket is reachable, each answered address Docker knows is named after its
record (`; container db`, `; task web.2`, `; service VIP of web`; `owners` in --json), asked
within the Docker client's deadline (5 s, NETSHOOT_DOCKER_TIMEOUT).

Examples:
  netshoot -t web dns db                     Docker's embedded DNS (127.0.0.11) answers for db
  netshoot -t web dns tasks.api +short       every task of Swarm service api
  netshoot -t web dns example.internal MX @10.0.0.53 +tcp
  netshoot -t web dns -x 10.0.1.5            reverse lookup
  netshoot -t web dns db -v --json")]
    Dns(DnsArgs),
}

/// `dns` options.
#[derive(Debug, Args)]
pub struct DnsArgs {
    /// NAME [TYPE] [@SERVER] [+tcp] [+short] [+nosearch], in any order.
    #[arg(value_name = "ARGS", required_unless_present = "reverse")]
    pub words: Vec<String>,
    /// Reverse lookup of an address (PTR).
    #[arg(short = 'x', value_name = "ADDR")]
    pub reverse: Option<IpAddr>,
    /// Server port.
    #[arg(short = 'p', long, default_value_t = 53)]
    pub port: u16,
    /// Seconds to wait for each answer (a truncated UDP answer's TCP retry included).
    #[arg(
        short = 'w',
        long = "timeout",
        value_name = "SECS",
        default_value = "2"
    )]
    pub timeout: f64,
    /// Seconds for the whole lookup, every name and server tried: no answer is waited for past
    /// it.
    #[arg(long = "deadline", value_name = "SECS", default_value = "10")]
    pub deadline: f64,
}

/// The parsed request.
#[derive(Debug, Serialize)]
pub struct DnsQuery {
    /// The name as given (or the reverse name).
    pub name: String,
    /// The record type.
    pub qtype: String,
    /// The server given with @, if any.
    pub server: Option<SocketAddr>,
    /// Over TCP.
    pub tcp: bool,
    /// Whether the search list applies.
    pub search: bool,
}

/// The `dns` report.
#[derive(Debug, Serialize)]
pub struct DnsReport {
    /// What was asked.
    pub query: DnsQuery,
    /// Every name and server tried before the answer, with what each said.
    pub tried: Vec<Tried>,
    /// The answer shown (the last one received).
    pub answer: Option<Answer>,
    /// Why nothing answered, when nothing did.
    pub error: Option<String>,
    /// Where the defaults came from.
    pub resolv_conf: Option<String>,
    /// Whose each answered address is (a container, a Swarm task, a service VIP), when the
    /// Docker engine knows it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<AddrOwner>,
}

/// An answered address and its owner.
#[derive(Debug, Serialize)]
pub struct AddrOwner {
    /// The address (an A or AAAA record's data).
    pub address: IpAddr,
    /// Its owner.
    #[serde(flatten)]
    pub owner: netshoot_inspect::whose::Owner,
}

/// The owners of the addresses in `answer`, asked of the Docker engine only when there is an
/// address to name and a socket to ask.
fn owners_of(answer: Option<&Answer>) -> Vec<AddrOwner> {
    let ips: Vec<IpAddr> = answer
        .map(|a| a.answers.iter().filter_map(|r| r.ip()).collect())
        .unwrap_or_default();
    if ips.is_empty() {
        return Vec::new();
    }
    let map = netshoot_inspect::whose::Owners::from_env();
    ips.into_iter()
        .filter_map(|ip| {
            map.ip(ip).map(|o| AddrOwner {
                address: ip,
                owner: o.clone(),
            })
        })
        .collect()
}

/// Runs a query inside the (already entered) target.
pub fn run(cmd: &DnsCommand, target: &Target, out: &Output) -> anyhow::Result<i32> {
    let DnsCommand::Dns(args) = cmd;
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 60.0) {
        anyhow::bail!(
            "bad --timeout '{}': give seconds between 0 and 60",
            args.timeout
        );
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let within = crate::args::seconds(args.deadline, "--deadline", true)?;
    let (q, short) = parse(args)?;
    let conf = ResolvConf::parse(target.resolv_conf.as_deref().unwrap_or(""));
    let servers: Vec<SocketAddr> = match q.server {
        Some(s) => vec![s],
        None => conf
            .nameservers
            .iter()
            .map(|ip| SocketAddr::new(*ip, args.port))
            .collect(),
    };
    if servers.is_empty() {
        anyhow::bail!(
            "{} has no nameserver in its resolv.conf: give one with @SERVER",
            target.label
        );
    }
    let names = if q.search {
        netshoot_dns::candidates(&q.name, &conf)
    } else {
        vec![netshoot_dns::absolute(&q.name)]
    };
    let started = std::time::Instant::now();
    let (tried, last, error) = netshoot_dns::ask(
        &names,
        &servers,
        &q.qtype,
        q.tcp || conf.use_tcp,
        timeout,
        Some(within),
    );
    // Out of time: say so, with the last error.
    let error = error.map(|e| {
        if started.elapsed() >= within {
            format!(
                "no answer within the whole lookup's {} s (--deadline SECS allows longer); last: {e}",
                args.deadline
            )
        } else {
            e.to_string()
        }
    });
    let failed = match &last {
        Some(a) => a.rcode != "NOERROR",
        None => true,
    };
    let owners = owners_of(last.as_ref());
    let report = DnsReport {
        query: q,
        tried,
        answer: last,
        owners,
        error,
        resolv_conf: target
            .resolv_conf_path
            .as_ref()
            .map(|p| p.display().to_string()),
    };
    out.emit(&report, |r| text(r, short, out.verbose > 0))?;
    if report.answer.is_none() {
        if let Some(e) = &report.error {
            eprintln!("netshoot: {}", escape(e));
        }
    }
    Ok(if failed { 1 } else { 0 })
}

fn parse(args: &DnsArgs) -> anyhow::Result<(DnsQuery, bool)> {
    let mut name = None;
    let mut qtype = None;
    let mut server = None;
    let (mut tcp, mut short, mut search) = (false, false, true);
    for w in &args.words {
        if let Some(s) = w.strip_prefix('@') {
            let ip: IpAddr = s.trim_matches(['[', ']']).parse().map_err(|_| {
                anyhow::anyhow!("bad server '{w}': give an address, e.g. @10.0.0.53 or @fd00::53")
            })?;
            server = Some(SocketAddr::new(ip, args.port));
        } else if let Some(o) = w.strip_prefix('+') {
            match o {
                "tcp" | "vc" => tcp = true,
                "notcp" | "novc" => tcp = false,
                "short" => short = true,
                "search" => search = true,
                "nosearch" => search = false,
                _ => anyhow::bail!(
                    "unknown option '{w}': +tcp, +short, +search and +nosearch are understood"
                ),
            }
        } else if name.is_some() && qtype.is_none() && is_type(w) {
            qtype = Some(w.to_ascii_uppercase());
        } else if name.is_none() {
            name = Some(w.clone());
        } else if qtype.is_none() {
            anyhow::bail!("unknown record type '{w}': try A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA or ANY");
        } else {
            anyhow::bail!("unexpected '{w}': give NAME [TYPE] [@SERVER] [+tcp] [+short]");
        }
    }
    let (name, qtype) = match (args.reverse, name) {
        (Some(ip), _) => (netshoot_dns::reverse_name(ip), "PTR".to_string()),
        (None, Some(n)) => (n, qtype.unwrap_or_else(|| "A".into())),
        (None, None) => anyhow::bail!("no name to look up: give NAME [TYPE] [@SERVER]"),
    };
    if name.parse::<IpAddr>().is_ok() && qtype != "PTR" {
        anyhow::bail!("'{name}' is an address: use -x {name} for a reverse lookup");
    }
    if name.len() > 253
        || name.split('.').any(|l| l.len() > 63)
        || name.contains(char::is_whitespace)
    {
        anyhow::bail!("'{name}' is not a valid domain name");
    }
    let search = search && args.reverse.is_none() && !name.ends_with('.');
    Ok((
        DnsQuery {
            name,
            qtype,
            server,
            tcp,
            search,
        },
        short,
    ))
}

/// Whether `w` names a record type we ask for (dig's TYPE operand).
pub fn is_type(w: &str) -> bool {
    let u = w.to_ascii_uppercase();
    matches!(
        u.as_str(),
        "A" | "AAAA"
            | "CNAME"
            | "MX"
            | "NS"
            | "PTR"
            | "SOA"
            | "SRV"
            | "TXT"
            | "CAA"
            | "ANY"
            | "HINFO"
            | "NAPTR"
            | "SSHFP"
            | "TLSA"
            | "DS"
            | "DNSKEY"
    ) && u.parse::<RecordType>().is_ok()
}

fn section(s: &mut String, title: &str, recs: &[netshoot_dns::Rec], owners: &[AddrOwner]) {
    if recs.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n;; {title} SECTION:");
    for r in recs {
        let _ = write!(
            s,
            "{:<23} {:<7} {:<7} {:<7} {}",
            r.name,
            r.ttl,
            r.class,
            r.rtype,
            dig(&r.data)
        );
        // `; service VIP of web`, `; task web.2`, `; container db`: a comment to dig's eyes.
        if let Some(o) = r
            .ip()
            .and_then(|ip| owners.iter().find(|o| o.address == ip))
        {
            let _ = write!(s, " ;{}", &crate::cmd::ip::owner_note(&o.owner)[1..]);
        }
        s.push('\n');
    }
}

fn text(r: &DnsReport, short: bool, verbose: bool) -> String {
    let mut s = String::new();
    let Some(a) = &r.answer else {
        if !short {
            for t in &r.tried {
                let _ = writeln!(
                    s,
                    ";; tried {} {} @{}: {}",
                    t.name,
                    t.qtype,
                    t.server,
                    escape(&t.outcome)
                );
            }
            let _ = writeln!(s, ";; no server answered");
        }
        return s;
    };
    if short {
        for rec in &a.answers {
            let _ = writeln!(s, "{}", dig(&rec.data));
        }
        return s;
    }
    let _ = writeln!(
        s,
        "; <<>> netshoot dns <<>> {} {}",
        r.query.name, r.query.qtype
    );
    if r.tried.len() > 1 || verbose {
        for t in &r.tried {
            let _ = writeln!(
                s,
                ";; tried {} {} @{}: {}",
                t.name,
                t.qtype,
                t.server.ip(),
                escape(&t.outcome)
            );
        }
    }
    let _ = writeln!(
        s,
        ";; ->>HEADER<<- opcode: QUERY, status: {}, id: {}",
        a.rcode, a.id
    );
    let _ = writeln!(
        s,
        ";; flags: {}; QUERY: {}, ANSWER: {}, AUTHORITY: {}, ADDITIONAL: {}",
        a.flags.join(" "),
        a.question.len(),
        a.answers.len(),
        a.authority.len(),
        a.additional.len()
    );
    let _ = writeln!(s, "\n;; QUESTION SECTION:");
    for q in &a.question {
        let _ = writeln!(s, ";{:<30} {:<7} {}", q.name, q.class, q.qtype);
    }
    section(&mut s, "ANSWER", &a.answers, &r.owners);
    section(&mut s, "AUTHORITY", &a.authority, &[]);
    section(&mut s, "ADDITIONAL", &a.additional, &[]);
    let _ = writeln!(s, "\n;; Query time: {} msec", a.elapsed_us / 1000);
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
    if let Some(p) = &r.resolv_conf {
        if verbose {
            let _ = writeln!(s, ";; defaults from: {p}");
        }
    }
    let _ = writeln!(s, ";; MSG SIZE  rcvd: {}", a.size);
    s
}
