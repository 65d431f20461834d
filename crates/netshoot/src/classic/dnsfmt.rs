//! What the classic DNS names share: the servers to ask (an explicit one, else the target's
//! resolv.conf), the names to try (the search list when the tool uses it), one call into the
//! dns verb's engine (`netshoot_dns::ask`, over `netshoot_dns::query`), and bind's master-file
//! columns for records (dig, host -v).

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use netshoot_dns::{Answer, Rec, ResolvConf};
// Record data comes from the server: control characters as dig writes them (`\027`).
pub use netshoot_wire::text::dig;

use super::getopt::usage;
use super::Ctx;

/// Where and how to ask.
pub struct Asking {
    /// Servers in order.
    pub servers: Vec<SocketAddr>,
    /// The target's resolv.conf.
    pub conf: ResolvConf,
}

/// Enters the target and picks the servers: `server` when given (an address), else the
/// target's nameservers; `family` 4 or 6 keeps only that family.
pub fn servers(
    tool: &str,
    ctx: &Ctx,
    server: Option<&str>,
    port: u16,
    family: Option<u8>,
) -> anyhow::Result<Asking> {
    let target = ctx.enter()?;
    let conf = ResolvConf::parse(target.resolv_conf.as_deref().unwrap_or(""));
    let mut servers: Vec<SocketAddr> = match server {
        Some(s) => {
            let ip: IpAddr = s.trim_matches(['[', ']']).parse().map_err(|_| {
                usage(
                    tool,
                    format!("server '{s}' is not an address: give one, e.g. 10.0.0.53 or fd00::53 (names are not resolved)"),
                )
            })?;
            vec![SocketAddr::new(ip, port)]
        }
        None => conf
            .nameservers
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .collect(),
    };
    match family {
        Some(4) => servers.retain(|s| s.is_ipv4()),
        Some(6) => servers.retain(|s| s.is_ipv6()),
        _ => {}
    }
    if servers.is_empty() {
        anyhow::bail!(
            "no nameserver to ask: {} has none in its resolv.conf{}; give a server",
            target.label,
            if family.is_some() {
                " of that address family"
            } else {
                ""
            }
        );
    }
    Ok(Asking { servers, conf })
}

impl Asking {
    /// The names to try for `name`: through the search list when `search`, else as given.
    pub fn names(&self, name: &str, search: bool) -> Vec<String> {
        if search {
            netshoot_dns::candidates(name, &self.conf)
        } else {
            vec![netshoot_dns::absolute(name)]
        }
    }

    /// Asks through the dns verb's engine; `tries` times each server (UDP retries).
    pub fn ask(
        &self,
        names: &[String],
        qtype: &str,
        tcp: bool,
        timeout: Duration,
        tries: u32,
    ) -> netshoot_dns::Asked {
        let mut servers = Vec::new();
        for s in &self.servers {
            for _ in 0..tries.max(1) {
                servers.push(*s);
            }
        }
        // dig's own bound: names × servers × tries × timeout (each question is bounded whole).
        netshoot_dns::ask(names, &servers, qtype, tcp, timeout, None)
    }
}

/// Tabs up to column `to`, or one space when already there or past it, as bind's master-file
/// style indents.
fn indent(s: &mut String, col: &mut usize, to: usize) {
    if *col >= to {
        s.push(' ');
        *col += 1;
        return;
    }
    while *col < to {
        s.push('\t');
        *col = (*col / 8 + 1) * 8;
    }
}

/// A record in dig's columns (name, TTL at 24, class at 32, type at 40, data at 48).
pub fn bind_record(r: &Rec) -> String {
    let mut s = r.name.clone();
    let mut col = s.len();
    indent(&mut s, &mut col, 24);
    let ttl = r.ttl.to_string();
    s.push_str(&ttl);
    col += ttl.len();
    indent(&mut s, &mut col, 32);
    s.push_str(&r.class);
    col += r.class.len();
    indent(&mut s, &mut col, 40);
    s.push_str(&r.rtype);
    col += r.rtype.len();
    indent(&mut s, &mut col, 48);
    s.push_str(&dig(&r.data));
    s
}

/// A question in dig's columns (`;name`, class at 32, type at 40).
pub fn bind_question(q: &netshoot_dns::Question) -> String {
    let mut s = format!(";{}", q.name);
    let mut col = s.len();
    indent(&mut s, &mut col, 32);
    s.push_str(&q.class);
    col += q.class.len();
    indent(&mut s, &mut col, 40);
    s.push_str(&q.qtype);
    s
}

/// dig's and host -v's header lines: `;; ->>HEADER<<- …` and `;; flags: …; QUERY: …`.
/// `opt` counts the OPT pseudo-record in ADDITIONAL (dig sends EDNS, host does not).
pub fn header(s: &mut String, a: &Answer, opt: bool) {
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
        a.additional.len() + usize::from(opt && a.edns.is_some())
    );
}

/// The sections in dig's layout (`;; X SECTION:`, records, a blank line), each shown only when
/// it has records; the question always.
pub fn sections(s: &mut String, a: &Answer, show: [bool; 4], comments: bool) {
    if show[0] {
        if comments {
            s.push_str(";; QUESTION SECTION:\n");
        }
        for q in &a.question {
            let _ = writeln!(s, "{}", bind_question(q));
        }
        if comments {
            s.push('\n');
        }
    }
    for (on, title, recs) in [
        (show[1], "ANSWER", &a.answers),
        (show[2], "AUTHORITY", &a.authority),
        (show[3], "ADDITIONAL", &a.additional),
    ] {
        if !on || recs.is_empty() {
            continue;
        }
        if comments {
            let _ = writeln!(s, ";; {title} SECTION:");
        }
        for r in recs.iter() {
            let _ = writeln!(s, "{}", bind_record(r));
        }
        if comments {
            s.push('\n');
        }
    }
}

/// A record type operand (`mx`, `AAAA`), upper-cased, when it is one we ask for.
pub fn qtype(w: &str) -> Option<String> {
    crate::cmd::dns::is_type(w).then(|| w.to_ascii_uppercase())
}

/// Seconds as a timeout, checked.
pub fn seconds(tool: &str, what: &str, v: &str) -> anyhow::Result<Duration> {
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x <= 300.0 => Ok(Duration::from_secs_f64(x)),
        _ => Err(usage(
            tool,
            format!("bad {what} '{v}': give seconds between 1 and 300"),
        )),
    }
}

/// A count, checked.
pub fn count(tool: &str, what: &str, v: &str) -> anyhow::Result<u32> {
    match v.parse::<u32>() {
        Ok(n) if (1..=20).contains(&n) => Ok(n),
        _ => Err(usage(
            tool,
            format!("bad {what} '{v}': give a number from 1 to 20"),
        )),
    }
}

/// A port, checked.
pub fn port(tool: &str, v: &str) -> anyhow::Result<u16> {
    crate::args::port(v).map_err(|_| usage(tool, format!("bad port '{v}': give 1-65535")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(name: &str, rtype: &str) -> Rec {
        Rec {
            name: name.into(),
            ttl: 300,
            class: "IN".into(),
            rtype: rtype.into(),
            data: "x".into(),
        }
    }

    #[test]
    fn bind_columns() {
        assert_eq!(
            bind_record(&rec("web.example.test.", "A")),
            "web.example.test.\t300\tIN\tA\tx"
        );
        assert_eq!(
            bind_record(&rec("example.test.", "NS")),
            "example.test.\t\t300\tIN\tNS\tx"
        );
        let q = netshoot_dns::Question {
            name: "web.example.test.".into(),
            qtype: "A".into(),
            class: "IN".into(),
        };
        assert_eq!(bind_question(&q), ";web.example.test.\t\tIN\tA");
    }
}
