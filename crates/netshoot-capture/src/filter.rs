//! pcap-filter expressions compiled to classic BPF for Ethernet (EN10MB) frames, in pure Rust.
//! The semantics follow libpcap's (offsets, protocol guards, the IPv4 fragment check before
//! transport fields, qualifier inheritance, `vlan` shifting what follows, and `and` / `or` of
//! equal precedence, left-associative); equivalence is tested by running both programs.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::bpf::{self, Insn};

/// Bytes to keep when the filter accepts (tcpdump's default snap length).
pub const DEFAULT_SNAPLEN: u32 = 262_144;

/// A filter error pointing at the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{msg} at column {col} ('{token}')")]
pub struct FilterError {
    /// What is wrong.
    pub msg: String,
    /// 1-based column of the token.
    pub col: usize,
    /// The token.
    pub token: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Num(u32),
    Op(&'static str),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    col: usize,
    text: String,
}

const OPS: &[&str] = &[
    "&&", "||", "<<", ">>", "<=", ">=", "==", "!=", "(", ")", "[", "]", ":", "+", "-", "*", "/",
    "%", "&", "|", "^", "=", "<", ">", "!",
];

fn parse_num(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

fn lex(src: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let word_char = |c: char, first: char, depth: usize| {
            c.is_ascii_alphanumeric()
                || c == '_'
                || c == '.'
                || c == '\\'
                || (c == ':' && depth == 0)
                || (c == '/' && first.is_ascii_hexdigit() && depth == 0)
                || (c == '-' && first.is_ascii_alphabetic())
        };
        if c.is_ascii_alphanumeric() || c == '\\' || (c == ':' && depth == 0) {
            let first = c;
            while i < chars.len() && word_char(chars[i], first, depth) {
                i += 1;
            }
            // A trailing '-' belongs to arithmetic, not the name.
            while i > start + 1 && chars[i - 1] == '-' {
                i -= 1;
            }
            let text: String = chars[start..i].iter().collect();
            let tok = match parse_num(&text) {
                Some(n)
                    if text
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() || c == 'x' || c == 'X') =>
                {
                    Tok::Num(n)
                }
                _ => Tok::Word(text.clone()),
            };
            out.push(Token {
                tok,
                col: start + 1,
                text,
            });
            continue;
        }
        let rest: String = chars[i..].iter().take(2).collect();
        let Some(op) = OPS.iter().find(|o| rest.starts_with(**o)) else {
            return Err(FilterError {
                msg: "unexpected character".into(),
                col: i + 1,
                token: c.to_string(),
            });
        };
        match *op {
            "[" => depth += 1,
            "]" => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += op.len();
        out.push(Token {
            tok: Tok::Op(op),
            col: start + 1,
            text: op.to_string(),
        });
    }
    out.push(Token {
        tok: Tok::End,
        col: chars.len() + 1,
        text: "end of expression".into(),
    });
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    Ether,
    Ip,
    Ip6,
    Arp,
    Rarp,
    Tcp,
    Udp,
    Icmp,
    Icmp6,
    Igmp,
    Sctp,
}

fn proto_of(w: &str) -> Option<Proto> {
    Some(match w {
        "ether" | "link" => Proto::Ether,
        "ip" => Proto::Ip,
        "ip6" => Proto::Ip6,
        "arp" => Proto::Arp,
        "rarp" => Proto::Rarp,
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        "icmp" => Proto::Icmp,
        "icmp6" => Proto::Icmp6,
        "igmp" => Proto::Igmp,
        "sctp" => Proto::Sctp,
        _ => return None,
    })
}

fn ipproto_number(p: Proto) -> Option<u32> {
    Some(match p {
        Proto::Tcp => 6,
        Proto::Udp => 17,
        Proto::Icmp => 1,
        Proto::Icmp6 => 58,
        Proto::Igmp => 2,
        Proto::Sctp => 132,
        _ => return None,
    })
}

fn named_constant(w: &str) -> Option<u32> {
    Some(match w {
        "tcpflags" => 13,
        "tcp-fin" => 0x01,
        "tcp-syn" => 0x02,
        "tcp-rst" => 0x04,
        "tcp-push" => 0x08,
        "tcp-ack" => 0x10,
        "tcp-urg" => 0x20,
        "tcp-ece" => 0x40,
        "tcp-cwr" => 0x80,
        "icmptype" | "icmp6type" => 0,
        "icmpcode" | "icmp6code" => 1,
        "icmp-echoreply" => 0,
        "icmp-unreach" => 3,
        "icmp-sourcequench" => 4,
        "icmp-redirect" => 5,
        "icmp-echo" => 8,
        "icmp-routeradvert" => 9,
        "icmp-routersolicit" => 10,
        "icmp-timxceed" => 11,
        "icmp-paramprob" => 12,
        "icmp-tstamp" => 13,
        "icmp-tstampreply" => 14,
        "icmp-ireq" => 15,
        "icmp-ireqreply" => 16,
        "icmp-maskreq" => 17,
        "icmp-maskreply" => 18,
        "icmp6-destinationunreach" => 1,
        "icmp6-packettoobig" => 2,
        "icmp6-timeexceeded" => 3,
        "icmp6-parameterproblem" => 4,
        "icmp6-echo" => 128,
        "icmp6-echoreply" => 129,
        "icmp6-multicastlistenerquery" => 130,
        "icmp6-multicastlistenerreportv1" => 131,
        "icmp6-multicastlistenerdone" => 132,
        "icmp6-routersolicit" => 133,
        "icmp6-routeradvert" => 134,
        "icmp6-neighborsolicit" => 135,
        "icmp6-neighboradvert" => 136,
        "icmp6-redirect" => 137,
        _ => return None,
    })
}

/// A service name's port and the IP protocols it is defined for: /etc/services as libpcap
/// reads it, else a built-in copy of Debian's entries (a scratch image has no /etc/services).
fn service(w: &str) -> Option<(u32, Vec<u32>)> {
    let proto_num = |p: &str| match p {
        "tcp" => Some(6),
        "udp" => Some(17),
        "sctp" => Some(132),
        _ => None,
    };
    if let Ok(text) = std::fs::read_to_string("/etc/services") {
        let mut port = None;
        let mut protos = Vec::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let mut f = line.split_whitespace();
            let (Some(name), Some(pp)) = (f.next(), f.next()) else {
                continue;
            };
            if name != w && !f.any(|alias| alias == w) {
                continue;
            }
            let Some((num, proto)) = pp.split_once('/') else {
                continue;
            };
            let (Ok(num), Some(pn)) = (num.parse::<u32>(), proto_num(proto)) else {
                continue;
            };
            if port.is_none_or(|p| p == num) {
                port = Some(num);
                if !protos.contains(&pn) {
                    protos.push(pn);
                }
            }
        }
        if let Some(p) = port {
            return Some((p, protos));
        }
    }
    let port = service_port(w)?;
    let protos = match w {
        "domain" | "snmp" | "https" => vec![6, 17],
        "bootps" | "bootpc" | "tftp" | "ntp" | "syslog" | "vxlan" => vec![17],
        _ => vec![6],
    };
    Some((port, protos))
}

fn service_port(w: &str) -> Option<u32> {
    Some(match w {
        "ftp-data" => 20,
        "ftp" => 21,
        "ssh" => 22,
        "telnet" => 23,
        "smtp" => 25,
        "domain" => 53,
        "bootps" => 67,
        "bootpc" => 68,
        "tftp" => 69,
        "http" | "www" => 80,
        "pop3" => 110,
        "ntp" => 123,
        "imap" | "imap2" => 143,
        "snmp" => 161,
        "ldap" => 389,
        "https" => 443,
        "syslog" => 514,
        "submission" => 587,
        "vxlan" => 4789,
        _ => return None,
    })
}

fn ip_proto_name(w: &str) -> Option<u32> {
    let w = w.trim_start_matches('\\');
    Some(match w {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "icmp6" => 58,
        "sctp" => 132,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Src,
    Dst,
    SrcOrDst,
    SrcAndDst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Host,
    Net,
    Port,
    PortRange,
    Proto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Qual {
    proto: Option<Proto>,
    dir: Option<Dir>,
    kind: Option<Kind>,
}

/// Arithmetic in relations.
#[derive(Debug, Clone)]
enum Arith {
    Num(u32),
    Len,
    Load {
        proto: Proto,
        index: Box<Arith>,
        size: u8,
        vs: u32,
    },
    Bin(u16, Box<Arith>, Box<Arith>),
    Neg(Box<Arith>),
}

/// A predicate tree whose leaves are compare-and-branch atoms.
#[derive(Debug, Clone)]
enum Pred {
    True,
    False,
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
    Not(Box<Pred>),
    /// Code that leaves A (and X), then a jump `op` against k (or X).
    Atom {
        code: Vec<Insn>,
        op: u16,
        k: u32,
        use_x: bool,
    },
}

fn and(a: Pred, b: Pred) -> Pred {
    Pred::And(Box::new(a), Box::new(b))
}
fn or(a: Pred, b: Pred) -> Pred {
    Pred::Or(Box::new(a), Box::new(b))
}
fn not(a: Pred) -> Pred {
    Pred::Not(Box::new(a))
}
fn atom(code: Vec<Insn>, op: u16, k: u32) -> Pred {
    Pred::Atom {
        code,
        op,
        k,
        use_x: false,
    }
}
fn ld(size: u16, off: u32) -> Insn {
    Insn::stmt(bpf::LD | size | bpf::ABS, off)
}
fn cmp(size: u16, off: u32, op: u16, k: u32) -> Pred {
    atom(vec![ld(size, off)], op, k)
}
fn masked(size: u16, off: u32, mask: u32, k: u32) -> Pred {
    if mask == u32::MAX || (size == bpf::H && mask == 0xffff) || (size == bpf::B && mask == 0xff) {
        cmp(size, off, bpf::JEQ, k)
    } else {
        atom(
            vec![
                ld(size, off),
                Insn::stmt(bpf::ALU | bpf::AND | bpf::K, mask),
            ],
            bpf::JEQ,
            k & mask,
        )
    }
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    last: Option<Qual>,
    vs: u32,
}

type PResult<T> = Result<T, FilterError>;

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }
    fn peek_at(&self, n: usize) -> &Token {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)]
    }
    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn err<T>(&self, msg: impl Into<String>) -> PResult<T> {
        let t = self.peek();
        Err(FilterError {
            msg: msg.into(),
            col: t.col,
            token: t.text.clone(),
        })
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(x) if x == w)
    }
    fn is_op(&self, o: &str) -> bool {
        matches!(&self.peek().tok, Tok::Op(x) if *x == o)
    }
    fn expect_op(&mut self, o: &str) -> PResult<()> {
        if self.is_op(o) {
            self.next();
            Ok(())
        } else {
            self.err(format!("expected '{o}'"))
        }
    }

    /// expr := unary ((and|or) unary)*   — equal precedence, left to right.
    fn expr(&mut self) -> PResult<Pred> {
        let mut left = self.unary()?;
        loop {
            let is_and = self.is_word("and") || self.is_op("&&");
            let is_or = self.is_word("or") || self.is_op("||");
            if !is_and && !is_or {
                return Ok(left);
            }
            self.next();
            let right = self.unary()?;
            left = if is_and {
                and(left, right)
            } else {
                or(left, right)
            };
        }
    }

    fn unary(&mut self) -> PResult<Pred> {
        if self.is_word("not") || self.is_op("!") {
            self.next();
            return Ok(not(self.unary()?));
        }
        if self.is_op("(") {
            // A parenthesis may open a relation: ( expr ) relop …  — try the predicate first.
            let save = (self.pos, self.last, self.vs);
            self.next();
            let first_err = match self.expr() {
                Ok(p) if self.is_op(")") => {
                    self.next();
                    if !self.at_relop() && !self.at_arith_op() {
                        return Ok(p);
                    }
                    None
                }
                Ok(_) => self.err::<()>("expected ')'").err(),
                Err(e) => Some(e),
            };
            (self.pos, self.last, self.vs) = save;
            return self.relation().map_err(|e| first_err.unwrap_or(e));
        }
        self.primitive()
    }

    fn at_relop(&self) -> bool {
        ["=", "==", "!=", "<", "<=", ">", ">="]
            .iter()
            .any(|o| self.is_op(o))
    }
    fn at_arith_op(&self) -> bool {
        ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"]
            .iter()
            .any(|o| self.is_op(o))
    }

    fn primitive(&mut self) -> PResult<Pred> {
        let t = self.peek().clone();
        // Relations start with a number, `len`, a named constant, or proto[.
        let starts_relation = match &t.tok {
            Tok::Num(_) => {
                !matches!(self.peek_at(1).tok, Tok::End)
                    && [
                        "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "&", "|",
                        "^", "<<", ">>",
                    ]
                    .iter()
                    .any(|o| matches!(&self.peek_at(1).tok, Tok::Op(x) if x == o))
            }
            Tok::Word(w) => {
                w == "len"
                    || (proto_of(w).is_some() && matches!(self.peek_at(1).tok, Tok::Op("[")))
                    || (named_constant(w).is_some() && w.contains('-'))
            }
            Tok::Op("-") => true,
            _ => false,
        };
        if starts_relation {
            return self.relation();
        }
        match &t.tok {
            Tok::Word(w) => match w.as_str() {
                "less" | "greater" => {
                    self.next();
                    let n = self.number()?;
                    let p = atom(
                        vec![Insn::stmt(bpf::LD | bpf::W | bpf::LEN, 0)],
                        if w == "less" { bpf::JGT } else { bpf::JGE },
                        n,
                    );
                    return Ok(if w == "less" { not(p) } else { p });
                }
                "vlan" => return self.vlan(),
                "broadcast" => {
                    self.next();
                    return Ok(self.ether_bcast());
                }
                "multicast" => {
                    self.next();
                    return Ok(cmp(bpf::B, 0, bpf::JSET, 1));
                }
                "gateway" | "decnet" | "llc" | "iso" | "atalk" | "ipx" | "netbeui" | "mpls"
                | "pppoed" | "pppoes" | "geneve" | "wlan" | "inbound" | "outbound" | "ifname"
                | "on" | "rnr" | "reason" | "action" | "rset" | "srnr" | "subrule" | "ruleset"
                | "type" | "subtype" | "dir" | "carp" | "vrrp" | "stp" | "radio" | "fddi"
                | "tr" | "lat" | "moprc" | "mopdl" | "ah" | "esp" | "pim" | "isis" | "clnp"
                | "esis" => {
                    return self.err(format!(
                        "'{w}' is not supported by netshoot's filter compiler"
                    ));
                }
                _ => {}
            },
            Tok::End => return self.err("expected a primitive"),
            _ => {}
        }
        self.qualified()
    }

    fn ether_bcast(&self) -> Pred {
        and(
            cmp(bpf::W, 2, bpf::JEQ, 0xffff_ffff),
            cmp(bpf::H, 0, bpf::JEQ, 0xffff),
        )
    }

    fn vlan(&mut self) -> PResult<Pred> {
        self.next();
        let tpid = 12 + self.vs;
        let tag = or(
            cmp(bpf::H, tpid, bpf::JEQ, 0x8100),
            or(
                cmp(bpf::H, tpid, bpf::JEQ, 0x88a8),
                cmp(bpf::H, tpid, bpf::JEQ, 0x9100),
            ),
        );
        let p = if let Tok::Num(id) = self.peek().tok {
            self.next();
            if id > 4095 {
                return self.err(format!("VLAN id {id} is larger than 4095"));
            }
            and(tag, masked(bpf::H, 14 + self.vs, 0xfff, id))
        } else {
            tag
        };
        self.vs += 4;
        Ok(p)
    }

    fn number(&mut self) -> PResult<u32> {
        match self.peek().tok.clone() {
            Tok::Num(n) => {
                self.next();
                Ok(n)
            }
            _ => self.err("expected a number"),
        }
    }

    /// [proto] [dir] [kind] id, with libpcap's inheritance for a bare id.
    fn qualified(&mut self) -> PResult<Pred> {
        let mut q = Qual {
            proto: None,
            dir: None,
            kind: None,
        };
        let mut any = false;
        while let Tok::Word(w) = self.peek().tok.clone() {
            if q.proto.is_none() && q.dir.is_none() && q.kind.is_none() {
                if let Some(p) = proto_of(&w) {
                    q.proto = Some(p);
                    any = true;
                    self.next();
                    continue;
                }
            }
            if q.dir.is_none() && q.kind.is_none() && (w == "src" || w == "dst") {
                self.next();
                let first = if w == "src" { Dir::Src } else { Dir::Dst };
                q.dir = Some(first);
                if (self.is_word("or") || self.is_word("and"))
                    && matches!(&self.peek_at(1).tok, Tok::Word(x) if x == if first == Dir::Src { "dst" } else { "src" })
                {
                    let both = self.is_word("and");
                    self.next();
                    self.next();
                    q.dir = Some(if both { Dir::SrcAndDst } else { Dir::SrcOrDst });
                }
                any = true;
                continue;
            }
            if q.kind.is_none() {
                let k = match w.as_str() {
                    "host" => Some(Kind::Host),
                    "net" => Some(Kind::Net),
                    "port" => Some(Kind::Port),
                    "portrange" => Some(Kind::PortRange),
                    "proto" => Some(Kind::Proto),
                    _ => None,
                };
                if let Some(k) = k {
                    q.kind = Some(k);
                    any = true;
                    self.next();
                    continue;
                }
            }
            break;
        }
        // A protocol alone: `tcp`, `ip6`, `arp` …
        if any && q.kind.is_none() && q.dir.is_none() {
            let p = q.proto.expect("proto");
            if matches!(p, Proto::Ip | Proto::Ip6 | Proto::Ether)
                && (self.is_word("multicast") || self.is_word("broadcast"))
            {
                let m = self.is_word("multicast");
                self.next();
                return match (p, m) {
                    (Proto::Ether, true) => Ok(cmp(bpf::B, 0, bpf::JSET, 1)),
                    (Proto::Ether, false) => Ok(self.ether_bcast()),
                    (Proto::Ip, true) => Ok(and(self.ethertype(0x800), cmp(bpf::B, 14 + self.vs + 16, bpf::JGE, 224))),
                    (Proto::Ip6, true) => Ok(and(self.ethertype(0x86dd), cmp(bpf::B, 14 + self.vs + 24, bpf::JEQ, 255))),
                    _ => self.err("'ip broadcast' needs the interface's netmask; use 'ether broadcast' or a net"),
                };
            }
            if self.at_id() && p != Proto::Ether {
                // `tcp 80`? libpcap wants a kind; so do we.
                return self
                    .err("expected 'host', 'net', 'port' or an operator after the protocol");
            }
            if p == Proto::Ether {
                return self.err("expected 'host', 'src', 'dst', 'proto', 'broadcast' or 'multicast' after 'ether'");
            }
            self.last = None;
            return Ok(self.proto_pred(p));
        }
        if !any {
            match self.last {
                Some(l) if self.at_id() => q = l,
                _ if self.at_id() => {
                    q = Qual {
                        proto: None,
                        dir: None,
                        kind: Some(Kind::Host),
                    }
                }
                _ => {
                    return self
                        .err("expected a primitive (host, net, port, a protocol, or a relation)")
                }
            }
        }
        if q.kind.is_none() {
            q.kind = Some(Kind::Host);
        }
        self.last = Some(q);
        self.id(q)
    }

    fn at_id(&self) -> bool {
        match &self.peek().tok {
            Tok::Num(_) => true,
            Tok::Word(w) => !matches!(w.as_str(), "and" | "or" | "not"),
            _ => false,
        }
    }

    fn ethertype(&self, t: u32) -> Pred {
        cmp(bpf::H, 12 + self.vs, bpf::JEQ, t)
    }

    fn nl(&self) -> u32 {
        14 + self.vs
    }

    fn ip_proto(&self, n: u32) -> Pred {
        and(
            self.ethertype(0x800),
            cmp(bpf::B, self.nl() + 9, bpf::JEQ, n),
        )
    }

    fn ip6_proto(&self, n: u32) -> Pred {
        let nxt = self.nl() + 6;
        and(
            self.ethertype(0x86dd),
            or(
                cmp(bpf::B, nxt, bpf::JEQ, n),
                and(
                    cmp(bpf::B, nxt, bpf::JEQ, 44),
                    cmp(bpf::B, self.nl() + 40, bpf::JEQ, n),
                ),
            ),
        )
    }

    fn proto_pred(&self, p: Proto) -> Pred {
        match p {
            Proto::Ether => Pred::True,
            Proto::Ip => self.ethertype(0x800),
            Proto::Ip6 => self.ethertype(0x86dd),
            Proto::Arp => self.ethertype(0x806),
            Proto::Rarp => self.ethertype(0x8035),
            Proto::Icmp => self.ip_proto(1),
            Proto::Igmp => self.ip_proto(2),
            Proto::Icmp6 => self.ip6_proto(58),
            Proto::Tcp | Proto::Udp | Proto::Sctp => {
                let n = ipproto_number(p).unwrap_or(0);
                or(self.ip_proto(n), self.ip6_proto(n))
            }
        }
    }

    fn dir_pred(&self, dir: Dir, src: Pred, dst: Pred) -> Pred {
        match dir {
            Dir::Src => src,
            Dir::Dst => dst,
            Dir::SrcOrDst => or(src, dst),
            Dir::SrcAndDst => and(src, dst),
        }
    }

    fn id(&mut self, q: Qual) -> PResult<Pred> {
        let tok = self.peek().clone();
        let dir = q.dir.unwrap_or(Dir::SrcOrDst);
        let text = match &tok.tok {
            Tok::Word(w) => w.clone(),
            Tok::Num(_) => tok.text.clone(),
            _ => return self.err("expected an address, a number or a name"),
        };
        let kind = q.kind.unwrap_or(Kind::Host);
        match kind {
            Kind::Port | Kind::PortRange => {
                let mut named: Option<Vec<u32>> = None;
                let (lo, hi) = if kind == Kind::Port {
                    let n = match parse_num(&text) {
                        Some(n) => n,
                        None => match service(&text) {
                            Some((n, protos)) => {
                                named = Some(protos);
                                n
                            }
                            None => {
                                return self.err("expected a port number or a known service name")
                            }
                        },
                    };
                    self.next();
                    (n, n)
                } else {
                    let Some(a) = parse_num(&text).or_else(|| service_port(&text)) else {
                        return self.err("expected a port range like 1000-2000");
                    };
                    self.next();
                    self.expect_op("-")?;
                    let b = match self.peek().tok.clone() {
                        Tok::Num(n) => n,
                        Tok::Word(w) => match service_port(&w) {
                            Some(n) => n,
                            None => return self.err("expected the end of the port range"),
                        },
                        _ => return self.err("expected the end of the port range"),
                    };
                    self.next();
                    (a.min(b), a.max(b))
                };
                if hi > 65535 {
                    return Err(FilterError {
                        msg: format!("port {hi} is larger than 65535"),
                        col: tok.col,
                        token: text,
                    });
                }
                let mut protos: Vec<u32> = match q.proto {
                    None => vec![132, 6, 17],
                    Some(Proto::Tcp) => vec![6],
                    Some(Proto::Udp) => vec![17],
                    Some(Proto::Sctp) => vec![132],
                    Some(_) => {
                        return Err(FilterError {
                            msg: "ports need tcp, udp or sctp (or no protocol)".into(),
                            col: tok.col,
                            token: text,
                        })
                    }
                };
                if let Some(defined) = named {
                    // A service defined for one protocol means that protocol; for several,
                    // libpcap leaves the protocol open (tcp, udp and sctp).
                    if defined.len() == 1 {
                        protos.retain(|p| defined.contains(p));
                    }
                    if protos.is_empty() {
                        return Err(FilterError {
                            msg: format!("'{text}' is not a service of that protocol"),
                            col: tok.col,
                            token: text,
                        });
                    }
                }
                Ok(self.port_pred(&protos, dir, lo, hi))
            }
            Kind::Proto => {
                let Some(n) = parse_num(&text).or_else(|| ip_proto_name(&text)) else {
                    return self.err("expected a protocol number or name");
                };
                self.next();
                match q.proto {
                    None => Ok(or(self.ip_proto(n), self.ip6_proto(n))),
                    Some(Proto::Ip) => Ok(self.ip_proto(n)),
                    Some(Proto::Ip6) => Ok(self.ip6_proto(n)),
                    Some(Proto::Ether) => {
                        if n <= 1500 {
                            return Err(FilterError { msg: "802.3 length-field protocols are not supported; use a type above 1500".into(), col: tok.col, token: text });
                        }
                        Ok(self.ethertype(n))
                    }
                    Some(_) => Err(FilterError {
                        msg: "'proto' applies to ip, ip6 or ether".into(),
                        col: tok.col,
                        token: text,
                    }),
                }
            }
            Kind::Host | Kind::Net => {
                self.next();
                if q.proto == Some(Proto::Ether) {
                    if kind == Kind::Net {
                        return Err(FilterError {
                            msg: "'ether net' does not exist".into(),
                            col: tok.col,
                            token: text,
                        });
                    }
                    let Some(mac) = parse_mac(&text) else {
                        return Err(FilterError {
                            msg: "expected a MAC address like 00:11:22:33:44:55".into(),
                            col: tok.col,
                            token: text,
                        });
                    };
                    let m = |off: u32| {
                        and(
                            cmp(
                                bpf::W,
                                off + 2,
                                bpf::JEQ,
                                u32::from_be_bytes([mac[2], mac[3], mac[4], mac[5]]),
                            ),
                            cmp(
                                bpf::H,
                                off,
                                bpf::JEQ,
                                u32::from(u16::from_be_bytes([mac[0], mac[1]])),
                            ),
                        )
                    };
                    return Ok(self.dir_pred(dir, m(6), m(0)));
                }
                // `net A mask M`
                let mut text = text;
                if kind == Kind::Net && self.is_word("mask") {
                    self.next();
                    let mt = self.next();
                    let Ok(m) = mt.text.parse::<Ipv4Addr>() else {
                        return Err(FilterError {
                            msg: "expected a dotted netmask".into(),
                            col: mt.col,
                            token: mt.text,
                        });
                    };
                    let bits = u32::from(m).leading_ones();
                    if u32::from(m).count_ones() != bits {
                        return Err(FilterError {
                            msg: "the netmask is not contiguous".into(),
                            col: mt.col,
                            token: mt.text,
                        });
                    }
                    text = format!("{text}/{bits}");
                }
                let bad = |msg: &str| FilterError {
                    msg: msg.into(),
                    col: tok.col,
                    token: text.clone(),
                };
                if let Some((a, plen)) = parse_v4(&text, kind == Kind::Net) {
                    let mask = if plen == 0 {
                        0
                    } else {
                        u32::MAX << (32 - plen)
                    };
                    let a = u32::from(a);
                    if kind == Kind::Net && a & !mask != 0 {
                        return Err(bad("the network has bits set outside its mask"));
                    }
                    let nl = self.nl();
                    let ipm = self.dir_pred(
                        dir,
                        masked(bpf::W, nl + 12, mask, a),
                        masked(bpf::W, nl + 16, mask, a),
                    );
                    let arpm = self.dir_pred(
                        dir,
                        masked(bpf::W, nl + 14, mask, a),
                        masked(bpf::W, nl + 24, mask, a),
                    );
                    let ip = and(self.ethertype(0x800), ipm);
                    let arp = |p: &Parser, t| and(p.ethertype(t), arpm.clone());
                    return match q.proto {
                        None => Ok(or(ip, and(or(self.ethertype(0x806), self.ethertype(0x8035)), arpm.clone()))),
                        Some(Proto::Ip) => Ok(ip),
                        Some(Proto::Arp) => Ok(arp(self, 0x806)),
                        Some(Proto::Rarp) => Ok(arp(self, 0x8035)),
                        Some(Proto::Tcp | Proto::Udp | Proto::Sctp | Proto::Icmp | Proto::Igmp) => {
                            Err(bad("'host'/'net' with a transport protocol is not valid; use 'ip host' and 'tcp'"))
                        }
                        Some(_) => Err(bad("an IPv4 address with an IPv6 qualifier")),
                    };
                }
                if let Some((a, plen)) = parse_v6(&text) {
                    if kind == Kind::Host && plen != 128 {
                        return Err(bad("a host address cannot have a prefix; use 'net'"));
                    }
                    if !matches!(q.proto, None | Some(Proto::Ip6)) {
                        return Err(bad("an IPv6 address needs 'ip6' or no protocol"));
                    }
                    let nl = self.nl();
                    let words = a.octets();
                    let cmp128 = |base: u32| {
                        let mut p: Option<Pred> = None;
                        for w in 0..4u32 {
                            // Every word is loaded, masked words too (as libpcap's code does).
                            let bits = plen.saturating_sub(w * 32).min(32);
                            let mask = match bits {
                                0 => 0,
                                32 => u32::MAX,
                                b => u32::MAX << (32 - b),
                            };
                            let i = (w * 4) as usize;
                            let v = u32::from_be_bytes([
                                words[i],
                                words[i + 1],
                                words[i + 2],
                                words[i + 3],
                            ]);
                            let a = masked(bpf::W, base + w * 4, mask, v);
                            p = Some(match p {
                                None => a,
                                Some(prev) => and(prev, a),
                            });
                        }
                        p.unwrap_or(Pred::True)
                    };
                    return Ok(and(
                        self.ethertype(0x86dd),
                        self.dir_pred(dir, cmp128(nl + 8), cmp128(nl + 24)),
                    ));
                }
                if text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && !text.contains(':')
                {
                    return Err(bad(
                        "host names are not resolved in filters; give the address",
                    ));
                }
                Err(bad("expected an IPv4 or IPv6 address"))
            }
        }
    }

    fn port_pred(&self, protos: &[u32], dir: Dir, lo: u32, hi: u32) -> Pred {
        let nl = self.nl();
        let in_range = |code: Vec<Insn>| -> Pred {
            if lo == hi {
                atom(code, bpf::JEQ, lo)
            } else {
                and(
                    atom(code.clone(), bpf::JGE, lo),
                    not(atom(code, bpf::JGT, hi)),
                )
            }
        };
        let any_of = |off: u32| {
            protos
                .iter()
                .map(|p| cmp(bpf::B, off, bpf::JEQ, *p))
                .reduce(or)
                .unwrap_or(Pred::False)
        };
        // IPv6: the next header directly (no extension headers), ports at a fixed offset.
        let v6 = and(
            self.ethertype(0x86dd),
            and(
                any_of(nl + 6),
                self.dir_pred(
                    dir,
                    in_range(vec![ld(bpf::H, nl + 40)]),
                    in_range(vec![ld(bpf::H, nl + 42)]),
                ),
            ),
        );
        // IPv4: not a non-first fragment, header length from the IHL.
        let msh = Insn::stmt(bpf::LDX | bpf::B | bpf::MSH, nl);
        let ind = |o: u32| vec![msh, Insn::stmt(bpf::LD | bpf::H | bpf::IND, nl + o)];
        let v4 = and(
            self.ethertype(0x800),
            and(
                any_of(nl + 9),
                and(
                    not(cmp(bpf::H, nl + 6, bpf::JSET, 0x1fff)),
                    self.dir_pred(dir, in_range(ind(0)), in_range(ind(2))),
                ),
            ),
        );
        or(v6, v4)
    }

    // ---- relations ------------------------------------------------------------------

    fn relation(&mut self) -> PResult<Pred> {
        let lhs = self.arith()?;
        let op = match self.peek().tok {
            Tok::Op(o @ ("=" | "==" | "!=" | "<" | "<=" | ">" | ">=")) => o,
            _ => return self.err("expected a comparison (=, !=, <, <=, >, >=)"),
        };
        self.next();
        let rhs = self.arith()?;
        let mut guards = Vec::new();
        collect_guards(&lhs, &mut guards);
        collect_guards(&rhs, &mut guards);
        let mut g = Gen {
            code: Vec::new(),
            next_mem: 0,
        };
        let (jop, negate) = match op {
            "=" | "==" => (bpf::JEQ, false),
            "!=" => (bpf::JEQ, true),
            ">" => (bpf::JGT, false),
            ">=" => (bpf::JGE, false),
            "<" => (bpf::JGE, true),
            _ => (bpf::JGT, true),
        };
        let a = match const_value(&rhs) {
            Some(k) => {
                g.eval(&lhs).map_err(|m| self.mkerr(m))?;
                Pred::Atom {
                    code: g.code,
                    op: jop,
                    k,
                    use_x: false,
                }
            }
            None => {
                g.eval(&rhs).map_err(|m| self.mkerr(m))?;
                let slot = g.alloc().map_err(|m| self.mkerr(m))?;
                g.code.push(Insn::stmt(bpf::ST, slot));
                g.eval(&lhs).map_err(|m| self.mkerr(m))?;
                g.code.push(Insn::stmt(bpf::LDX | bpf::MEM, slot));
                Pred::Atom {
                    code: g.code,
                    op: jop,
                    k: 0,
                    use_x: true,
                }
            }
        };
        let a = if negate { not(a) } else { a };
        let mut p = a;
        for guard in guards.into_iter().rev() {
            p = and(guard, p);
        }
        self.last = None;
        Ok(p)
    }

    fn mkerr(&self, msg: String) -> FilterError {
        let t = self.peek();
        FilterError {
            msg,
            col: t.col,
            token: t.text.clone(),
        }
    }

    // arith precedence (low→high): | ; ^ ; & ; << >> ; + - ; * / % ; unary -
    fn arith(&mut self) -> PResult<Arith> {
        self.binary(0)
    }

    fn binary(&mut self, level: usize) -> PResult<Arith> {
        const LEVELS: &[&[(&str, u16)]] = &[
            &[("|", bpf::OR)],
            &[("^", bpf::XOR)],
            &[("&", bpf::AND)],
            &[("<<", bpf::LSH), (">>", bpf::RSH)],
            &[("+", bpf::ADD), ("-", bpf::SUB)],
            &[("*", bpf::MUL), ("/", bpf::DIV), ("%", bpf::MOD)],
        ];
        if level == LEVELS.len() {
            return self.operand();
        }
        let mut left = self.binary(level + 1)?;
        loop {
            let Some(&(_, op)) = LEVELS[level].iter().find(|(s, _)| self.is_op(s)) else {
                return Ok(left);
            };
            self.next();
            let right = self.binary(level + 1)?;
            if matches!(op, bpf::DIV | bpf::MOD) && const_value(&right) == Some(0) {
                return self.err("division by zero");
            }
            left = Arith::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn operand(&mut self) -> PResult<Arith> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Op("-") => {
                self.next();
                Ok(Arith::Neg(Box::new(self.operand()?)))
            }
            Tok::Op("(") => {
                self.next();
                let a = self.arith()?;
                self.expect_op(")")?;
                Ok(a)
            }
            Tok::Num(n) => {
                self.next();
                Ok(Arith::Num(*n))
            }
            Tok::Word(w) if w == "len" => {
                self.next();
                Ok(Arith::Len)
            }
            Tok::Word(w) => {
                if let Some(p) = proto_of(w) {
                    if matches!(self.peek_at(1).tok, Tok::Op("[")) {
                        self.next();
                        self.next();
                        let index = self.arith()?;
                        let mut size = 1u8;
                        if self.is_op(":") {
                            self.next();
                            size = match self.peek().tok {
                                Tok::Num(s @ (1 | 2 | 4)) => s as u8,
                                _ => return self.err("the size must be 1, 2 or 4"),
                            };
                            self.next();
                        }
                        self.expect_op("]")?;
                        if matches!(p, Proto::Ip6)
                            || matches!(p, Proto::Ether)
                            || matches!(
                                p,
                                Proto::Ip
                                    | Proto::Arp
                                    | Proto::Rarp
                                    | Proto::Tcp
                                    | Proto::Udp
                                    | Proto::Icmp
                                    | Proto::Icmp6
                                    | Proto::Igmp
                                    | Proto::Sctp
                            )
                        {
                            return Ok(Arith::Load {
                                proto: p,
                                index: Box::new(index),
                                size,
                                vs: self.vs,
                            });
                        }
                    }
                    return self.err("expected '[' after the protocol in an expression");
                }
                if let Some(k) = named_constant(w) {
                    self.next();
                    return Ok(Arith::Num(k));
                }
                self.err("expected a number, 'len', a named constant or proto[offset]")
            }
            _ => self.err("expected an operand"),
        }
    }
}

fn const_value(a: &Arith) -> Option<u32> {
    match a {
        Arith::Num(n) => Some(*n),
        Arith::Neg(x) => const_value(x).map(u32::wrapping_neg),
        Arith::Bin(op, l, r) => {
            let (l, r) = (const_value(l)?, const_value(r)?);
            Some(match *op {
                bpf::ADD => l.wrapping_add(r),
                bpf::SUB => l.wrapping_sub(r),
                bpf::MUL => l.wrapping_mul(r),
                bpf::DIV => l.checked_div(r)?,
                bpf::MOD => l.checked_rem(r)?,
                bpf::AND => l & r,
                bpf::OR => l | r,
                bpf::XOR => l ^ r,
                bpf::LSH => l.checked_shl(r).unwrap_or(0),
                bpf::RSH => l.checked_shr(r).unwrap_or(0),
                _ => return None,
            })
        }
        _ => None,
    }
}

/// The protocol checks a load needs before it may read (libpcap's guards).
fn collect_guards(a: &Arith, out: &mut Vec<Pred>) {
    match a {
        Arith::Load {
            proto, index, vs, ..
        } => {
            collect_guards(index, out);
            let p = Parser {
                toks: vec![],
                pos: 0,
                last: None,
                vs: *vs,
            };
            let nl = 14 + vs;
            let g = match proto {
                Proto::Ether => None,
                Proto::Ip => Some(p.ethertype(0x800)),
                Proto::Ip6 => Some(p.ethertype(0x86dd)),
                Proto::Arp => Some(p.ethertype(0x806)),
                Proto::Rarp => Some(p.ethertype(0x8035)),
                Proto::Icmp6 => Some(and(p.ethertype(0x86dd), cmp(bpf::B, nl + 6, bpf::JEQ, 58))),
                t => {
                    let n = ipproto_number(*t).unwrap_or(0);
                    Some(and(
                        p.ip_proto(n),
                        not(cmp(bpf::H, nl + 6, bpf::JSET, 0x1fff)),
                    ))
                }
            };
            if let Some(g) = g {
                out.push(g);
            }
        }
        // libpcap keeps only the left operand's checks in arithmetic (gen_arth returns a0 with
        // its block); a relation keeps both sides'. Same here, so decisions agree.
        Arith::Bin(_, l, _) => collect_guards(l, out),
        Arith::Neg(x) => collect_guards(x, out),
        _ => {}
    }
}

struct Gen {
    code: Vec<Insn>,
    next_mem: u32,
}

impl Gen {
    fn alloc(&mut self) -> Result<u32, String> {
        if self.next_mem as usize >= bpf::MEMWORDS {
            return Err("the expression needs more than 16 scratch words".into());
        }
        self.next_mem += 1;
        Ok(self.next_mem - 1)
    }

    /// Leaves the value of `a` in A.
    fn eval(&mut self, a: &Arith) -> Result<(), String> {
        match a {
            Arith::Num(n) => self.code.push(Insn::stmt(bpf::LD | bpf::IMM, *n)),
            Arith::Len => self.code.push(Insn::stmt(bpf::LD | bpf::W | bpf::LEN, 0)),
            Arith::Neg(x) => {
                self.eval(x)?;
                self.code.push(Insn::stmt(bpf::ALU | bpf::NEG, 0));
            }
            Arith::Bin(op, l, r) => {
                if let Some(k) = const_value(r) {
                    self.eval(l)?;
                    self.code.push(Insn::stmt(bpf::ALU | op | bpf::K, k));
                } else {
                    self.eval(r)?;
                    let slot = self.alloc()?;
                    self.code.push(Insn::stmt(bpf::ST, slot));
                    self.eval(l)?;
                    self.code.push(Insn::stmt(bpf::LDX | bpf::MEM, slot));
                    self.code.push(Insn::stmt(bpf::ALU | op | bpf::X, 0));
                }
            }
            Arith::Load {
                proto,
                index,
                size,
                vs,
            } => {
                let sz = match size {
                    4 => bpf::W,
                    2 => bpf::H,
                    _ => bpf::B,
                };
                let nl = 14 + vs;
                let transport = matches!(
                    proto,
                    Proto::Tcp | Proto::Udp | Proto::Icmp | Proto::Igmp | Proto::Sctp
                );
                let base = match proto {
                    Proto::Ether => 0,
                    Proto::Icmp6 => nl + 40,
                    _ => nl,
                };
                match (const_value(index), transport) {
                    (Some(k), false) => self
                        .code
                        .push(Insn::stmt(bpf::LD | sz | bpf::ABS, base.wrapping_add(k))),
                    (Some(k), true) => {
                        self.code.push(Insn::stmt(bpf::LDX | bpf::B | bpf::MSH, nl));
                        self.code
                            .push(Insn::stmt(bpf::LD | sz | bpf::IND, nl.wrapping_add(k)));
                    }
                    (None, false) => {
                        self.eval(index)?;
                        self.code.push(Insn::stmt(bpf::MISC | bpf::TAX, 0));
                        self.code.push(Insn::stmt(bpf::LD | sz | bpf::IND, base));
                    }
                    (None, true) => {
                        self.eval(index)?;
                        let slot = self.alloc()?;
                        self.code.push(Insn::stmt(bpf::ST, slot));
                        self.code.push(Insn::stmt(bpf::LDX | bpf::B | bpf::MSH, nl));
                        self.code.push(Insn::stmt(bpf::LD | bpf::MEM, slot));
                        self.code.push(Insn::stmt(bpf::ALU | bpf::ADD | bpf::X, 0));
                        self.code.push(Insn::stmt(bpf::MISC | bpf::TAX, 0));
                        self.code.push(Insn::stmt(bpf::LD | sz | bpf::IND, nl));
                    }
                }
            }
        }
        Ok(())
    }
}

fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = if s.contains(':') {
        s.split(':').collect()
    } else if s.contains('-') {
        s.split('-').collect()
    } else {
        return None;
    };
    if parts.len() != 6 {
        return None;
    }
    let mut m = [0u8; 6];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        m[i] = u8::from_str_radix(p, 16).ok()?;
    }
    Some(m)
}

/// An IPv4 address or network: `a.b.c.d[/len]`; for nets also the short forms `10`, `10.1`,
/// `10.1.2` (their length is 8 per given octet, as libpcap reads them).
fn parse_v4(s: &str, net: bool) -> Option<(Ipv4Addr, u32)> {
    let (a, plen) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u32>().ok().filter(|l| *l <= 32)?)),
        None => (s, None),
    };
    let parts: Vec<&str> = a.split('.').collect();
    if parts.is_empty()
        || parts.len() > 4
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    if parts.len() < 4 && !net {
        return None;
    }
    let mut o = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        o[i] = p.parse().ok()?;
    }
    Some((Ipv4Addr::from(o), plen.unwrap_or(8 * parts.len() as u32)))
}

fn parse_v6(s: &str) -> Option<(Ipv6Addr, u32)> {
    let (a, plen) = match s.split_once('/') {
        Some((a, l)) => (a, l.parse::<u32>().ok().filter(|l| *l <= 128)?),
        None => (s, 128),
    };
    Some((a.parse().ok()?, plen))
}

// ---- code generation ----------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Label(usize),
}

enum Item {
    Insn(Insn),
    Jump {
        code: u16,
        k: u32,
        t: Target,
        f: Target,
    },
    Ja(Target),
    Label(usize),
}

struct Emitter {
    items: Vec<Item>,
    labels: usize,
}

impl Emitter {
    fn label(&mut self) -> usize {
        self.labels += 1;
        self.labels - 1
    }

    fn emit(&mut self, p: &Pred, t: Target, f: Target) {
        match p {
            Pred::True => self.items.push(Item::Ja(t)),
            Pred::False => self.items.push(Item::Ja(f)),
            Pred::Not(x) => self.emit(x, f, t),
            Pred::And(a, b) => {
                let mid = self.label();
                self.emit(a, Target::Label(mid), f);
                self.items.push(Item::Label(mid));
                self.emit(b, t, f);
            }
            Pred::Or(a, b) => {
                let mid = self.label();
                self.emit(a, t, Target::Label(mid));
                self.items.push(Item::Label(mid));
                self.emit(b, t, f);
            }
            Pred::Atom { code, op, k, use_x } => {
                for i in code {
                    self.items.push(Item::Insn(*i));
                }
                let src = if *use_x { bpf::X } else { bpf::K };
                self.items.push(Item::Jump {
                    code: bpf::JMP | op | src,
                    k: *k,
                    t,
                    f,
                });
            }
        }
    }
}

/// Compiles `expr` (empty: accept everything) to a program returning `snaplen` or 0.
pub fn compile(expr: &str, snaplen: u32) -> Result<Vec<Insn>, FilterError> {
    let toks = lex(expr)?;
    let pred = if matches!(toks[0].tok, Tok::End) {
        Pred::True
    } else {
        let mut p = Parser {
            toks,
            pos: 0,
            last: None,
            vs: 0,
        };
        let pred = p.expr()?;
        if !matches!(p.peek().tok, Tok::End) {
            return p.err("unexpected token (expected 'and', 'or' or the end)");
        }
        pred
    };
    let mut e = Emitter {
        items: Vec::new(),
        labels: 2,
    };
    let (accept, reject) = (0usize, 1usize);
    e.emit(&pred, Target::Label(accept), Target::Label(reject));
    e.items.push(Item::Label(accept));
    e.items
        .push(Item::Insn(Insn::stmt(bpf::RET | bpf::K, snaplen)));
    e.items.push(Item::Label(reject));
    e.items.push(Item::Insn(Insn::stmt(bpf::RET | bpf::K, 0)));
    resolve(e.items, e.labels)
}

/// Lays the items out, turning labels into jump offsets. A conditional jump farther than 255
/// instructions goes through an unconditional `ja` placed right after it.
fn resolve(mut items: Vec<Item>, nlabels: usize) -> Result<Vec<Insn>, FilterError> {
    loop {
        let mut pos = vec![usize::MAX; nlabels];
        let mut n = 0;
        for it in &items {
            match it {
                Item::Label(l) => pos[*l] = n,
                _ => n += 1,
            }
        }
        let at = |t: Target| match t {
            Target::Label(l) => pos[l],
        };
        let mut out = Vec::with_capacity(n);
        let mut far = None;
        for (idx, it) in items.iter().enumerate() {
            let here = out.len();
            match it {
                Item::Label(_) => {}
                Item::Insn(i) => out.push(*i),
                Item::Ja(t) => out.push(Insn::stmt(bpf::JMP | bpf::JA, (at(*t) - here - 1) as u32)),
                Item::Jump { code, k, t, f } => {
                    let (jt, jf) = (at(*t) - here - 1, at(*f) - here - 1);
                    if jt > 255 || jf > 255 {
                        far = Some((idx, jt > 255));
                        break;
                    }
                    out.push(Insn {
                        code: *code,
                        jt: jt as u8,
                        jf: jf as u8,
                        k: *k,
                    });
                }
            }
        }
        match far {
            None => {
                if out.len() > 4096 {
                    return Err(FilterError {
                        msg: "the filter compiles to more than 4096 instructions".into(),
                        col: 1,
                        token: String::new(),
                    });
                }
                return Ok(out);
            }
            Some((idx, true_side)) => {
                // Replace the far target with a trampoline right after the jump.
                if let Item::Jump { t, f, .. } = &mut items[idx] {
                    let far_target = if true_side { *t } else { *f };
                    let tramp_label = nlabels_push(&mut items, idx, far_target);
                    if let Item::Jump { t, f, .. } = &mut items[idx] {
                        if true_side {
                            *t = Target::Label(tramp_label);
                        } else {
                            *f = Target::Label(tramp_label);
                        }
                    }
                    let n = nlabels.max(tramp_label + 1);
                    return resolve(items, n);
                }
            }
        }
    }
}

/// Inserts a trampoline (`label: ja target`) right after the jump at `idx`; returns its label.
/// Nothing falls through into it: both sides of a conditional jump are explicit targets.
fn nlabels_push(items: &mut Vec<Item>, idx: usize, target: Target) -> usize {
    let max = items
        .iter()
        .filter_map(|i| match i {
            Item::Label(l) => Some(*l),
            Item::Jump {
                t: Target::Label(a),
                f: Target::Label(b),
                ..
            } => Some((*a).max(*b)),
            Item::Ja(Target::Label(a)) => Some(*a),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let l = max + 1;
    items.insert(idx + 1, Item::Label(l));
    items.insert(idx + 2, Item::Ja(target));
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(expr: &str, pkt: &[u8]) -> bool {
        bpf::run(
            &compile(expr, DEFAULT_SNAPLEN).unwrap(),
            pkt,
            pkt.len() as u32,
        ) > 0
    }

    #[test]
    fn basics() {
        let mut p = vec![0u8; 60];
        p[12] = 0x08; // IPv4
        p[14] = 0x45;
        p[23] = 6;
        p[26..30].copy_from_slice(&[10, 0, 0, 1]);
        p[30..34].copy_from_slice(&[10, 0, 0, 2]);
        p[34..36].copy_from_slice(&1234u16.to_be_bytes());
        p[36..38].copy_from_slice(&80u16.to_be_bytes());
        p[47] = 0x02; // SYN
        assert!(accepts("tcp", &p));
        assert!(accepts("host 10.0.0.1", &p));
        assert!(accepts("src host 10.0.0.1 and dst port 80", &p));
        assert!(!accepts("src port 80", &p));
        assert!(accepts("tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", &p));
        assert!(accepts("host 10.0.0.9 or 10.0.0.2", &p));
        assert!(accepts("net 10.0.0.0/8 and not udp", &p));
        assert!(accepts("", &p));
        assert!(!accepts("ip6", &p));
        assert!(accepts("portrange 70-90", &p));
        assert!(accepts("ip[9] = 6 and len > 50", &p));
    }

    #[test]
    fn errors_point_at_the_token() {
        let e = compile("tcp port abc", DEFAULT_SNAPLEN).unwrap_err();
        assert_eq!((e.col, e.token.as_str()), (10, "abc"));
        let e = compile("host 10.0.0.1 an", DEFAULT_SNAPLEN).unwrap_err();
        assert_eq!(e.token, "an");
        assert!(compile("ip[0] / 0 = 1", DEFAULT_SNAPLEN).is_err());
        assert!(compile("(tcp", DEFAULT_SNAPLEN).is_err());
        assert!(compile("gateway x", DEFAULT_SNAPLEN)
            .unwrap_err()
            .msg
            .contains("not supported"));
    }

    #[test]
    fn junk_never_panics() {
        let words = [
            "tcp", "port", "80", "and", "or", "not", "(", ")", "[", "]", "host", "10.0.0.1", "::1",
            "ip", "=", "&", "-", "0x", "src", "dst", "vlan", "len", ":", "4", "net", "/", "mask",
        ];
        let mut seed = 9u32;
        for _ in 0..20_000 {
            let n = seed % 7 + 1;
            let mut s = String::new();
            for _ in 0..n {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                s.push_str(words[(seed >> 16) as usize % words.len()]);
                s.push(' ');
            }
            let _ = compile(&s, DEFAULT_SNAPLEN);
        }
    }
}
