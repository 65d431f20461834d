//! ss's filter language: `state STATE`, `exclude STATE`, `sport OP :PORT`, `dport OP :PORT`
//! (OP: `=` `!=` `<` `>` `<=` `>=` and their word forms), `src|dst PREFIX[:PORT]`, joined with
//! `and` (or side by side), `or`, `not` and parentheses; `and` binds tighter than `or`, `not`
//! tightest.
//!
//! [`Filter::parse`] turns the words of a command line into a typed [`Filter`] (the states as a
//! [`StateSet`], the rest as an [`Expr`]); [`Filter::matches`] evaluates it on a [`Socket`].
//! Nesting (parentheses and `not`) is limited to [`MAX_DEPTH`] levels, so a hostile filter is a
//! one-line error rather than a stack overflow; chains of `and`/`or` are flat lists, never deep.

use std::cmp::Ordering;
use std::net::IpAddr;

use super::{Socket, SocketState, UnixSocket};

/// How deep parentheses and `not` may nest.
pub const MAX_DEPTH: usize = 100;

const HELP: &str = "accepted: state STATE, exclude STATE, sport OP :PORT, dport OP :PORT, src|dst PREFIX[:PORT], joined with and, or, not and parentheses";

/// Why a filter does not parse. Each message is one line, and says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A state name ss does not know.
    #[error("unknown socket state '{0}': use one of established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, closed, close-wait, last-ack, listening, closing, or all, connected, synchronized, bucket, big")]
    UnknownState(String),
    /// `state` or `exclude` at the end.
    #[error("socket filter: '{0}' needs a state name, e.g. '{0} established'")]
    StateMissing(String),
    /// `sport`/`dport` at the end.
    #[error("socket filter: '{0}' needs a port, e.g. '{0} = :80'")]
    PortMissing(String),
    /// `sport`/`dport` followed by something that is not a port.
    #[error("socket filter: '{raw}' is not a port (0-65535); write e.g. '{word} = :80'")]
    BadPort {
        /// `sport` or `dport`.
        word: String,
        /// What was written.
        raw: String,
    },
    /// `src`/`dst` at the end.
    #[error("socket filter: '{0}' needs an address, e.g. '{0} 10.0.0.0/8'")]
    AddressMissing(String),
    /// `src`/`dst` followed by something that is not PREFIX[:PORT].
    #[error("socket filter: '{0}' is not an address: write PREFIX[:PORT], e.g. 10.0.0.0/8, 127.0.0.1:80, [::1]:80 or *:22 (names are not resolved)")]
    BadAddress(String),
    /// A `(` without its `)`.
    #[error("socket filter: a '(' is not closed; add ')'")]
    Unclosed,
    /// A `)` without its `(`.
    #[error("socket filter: ')' without '('")]
    Unopened,
    /// A word that starts no condition.
    #[error("socket filter: unexpected '{0}'; {HELP}")]
    Unexpected(String),
    /// The filter ends where a condition should follow.
    #[error("socket filter: a condition is missing at the end; {HELP}")]
    MissingCondition,
    /// Parentheses and `not` nested deeper than [`MAX_DEPTH`].
    #[error("socket filter: parentheses and 'not' nest deeper than {MAX_DEPTH} levels; write a flatter filter")]
    TooDeep,
}

/// A set of socket states (bit N = kernel state number N), as `state`/`exclude` select them
/// and as sock_diag takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateSet(u32);

impl StateSet {
    /// No state.
    pub const NONE: StateSet = StateSet(0);

    /// One state.
    pub fn of(s: SocketState) -> StateSet {
        match s.number() {
            0 => StateSet::NONE,
            n => StateSet(1 << n),
        }
    }

    /// The set ss's filter names: a state (`established`, …, also `listen`, `estab`,
    /// `unconn`) or a group (`all`, `connected`, `synchronized`, `bucket`, `big`).
    pub fn named(name: &str) -> Result<StateSet, FilterError> {
        use SocketState as S;
        let all = SocketState::ALL
            .iter()
            .fold(StateSet::NONE, |m, s| m | StateSet::of(*s));
        let bucket = StateSet::of(S::SynRecv) | StateSet::of(S::TimeWait);
        let not = |m: StateSet, x: StateSet| StateSet(m.0 & !x.0);
        Ok(match name {
            "all" => all,
            "connected" => not(all, StateSet::of(S::Listen) | StateSet::of(S::Unconnected)),
            "synchronized" => not(
                all,
                StateSet::of(S::Listen) | StateSet::of(S::Unconnected) | StateSet::of(S::SynSent),
            ),
            "bucket" => bucket,
            "big" => not(all, bucket),
            "listen" => StateSet::of(S::Listen),
            "estab" => StateSet::of(S::Established),
            "unconn" => StateSet::of(S::Unconnected),
            n => match SocketState::ALL.iter().find(|s| s.filter_name() == Some(n)) {
                Some(s) => StateSet::of(*s),
                None => return Err(FilterError::UnknownState(n.to_string())),
            },
        })
    }

    /// The states of `self` not in `other`.
    pub fn without(self, other: StateSet) -> StateSet {
        StateSet(self.0 & !other.0)
    }

    /// True when `s` is in the set.
    pub fn contains(self, s: SocketState) -> bool {
        self.0 & (1 << s.number()) != 0
    }

    /// How many states the set holds.
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// True for the empty set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The bit mask (bit N = state N), as `inet_diag_req_v2.idiag_states` takes it.
    pub fn bits(self) -> u32 {
        self.0
    }
}

impl std::ops::BitOr for StateSet {
    type Output = StateSet;
    fn bitor(self, o: StateSet) -> StateSet {
        StateSet(self.0 | o.0)
    }
}

impl std::ops::BitOrAssign for StateSet {
    fn bitor_assign(&mut self, o: StateSet) {
        self.0 |= o.0;
    }
}

/// Which end of the socket a condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The local end (`sport`, `src`).
    Local,
    /// The peer (`dport`, `dst`).
    Peer,
}

/// A port comparison's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortOp {
    /// `=`, `==`, `eq` (also no operator).
    Eq,
    /// `!=`, `ne`, `neq`.
    Ne,
    /// `<`, `lt`.
    Lt,
    /// `>`, `gt`.
    Gt,
    /// `<=`, `le`.
    Le,
    /// `>=`, `ge`.
    Ge,
}

impl PortOp {
    fn of(word: &str) -> Option<PortOp> {
        Some(match word {
            "=" | "==" | "eq" => PortOp::Eq,
            "!=" | "ne" | "neq" => PortOp::Ne,
            "<" | "lt" => PortOp::Lt,
            ">" | "gt" => PortOp::Gt,
            "<=" | "le" => PortOp::Le,
            ">=" | "ge" => PortOp::Ge,
            _ => return None,
        })
    }

    fn holds(self, o: Ordering) -> bool {
        match self {
            PortOp::Eq => o.is_eq(),
            PortOp::Ne => o.is_ne(),
            PortOp::Lt => o.is_lt(),
            PortOp::Gt => o.is_gt(),
            PortOp::Le => o.is_le(),
            PortOp::Ge => o.is_ge(),
        }
    }
}

/// A parsed filter expression (the part after the `state`/`exclude` words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `sport OP :PORT` / `dport OP :PORT`.
    Port {
        /// `sport` (local) or `dport` (peer).
        end: End,
        /// The comparison.
        op: PortOp,
        /// The port compared with.
        port: u16,
    },
    /// `src PREFIX[:PORT]` / `dst PREFIX[:PORT]`.
    Host {
        /// `src` (local) or `dst` (peer).
        end: End,
        /// The network (address and prefix length); `None` for `*`.
        net: Option<(IpAddr, u8)>,
        /// The port, when one was given.
        port: Option<u16>,
    },
    /// `not E`.
    Not(Box<Expr>),
    /// Every one holds (`and`, or conditions side by side).
    And(Vec<Expr>),
    /// One holds (`or`).
    Or(Vec<Expr>),
}

impl Expr {
    /// True when the socket matches.
    pub fn matches(&self, s: &Socket) -> bool {
        match self {
            Expr::Port { end, op, port } => {
                let p = match end {
                    End::Local => s.local_port,
                    End::Peer => s.peer_port,
                };
                op.holds(p.cmp(port))
            }
            Expr::Host { end, net, port } => {
                let (addr, p) = match end {
                    End::Local => (s.local, s.local_port),
                    End::Peer => (s.peer, s.peer_port),
                };
                if port.is_some_and(|want| want != p) {
                    return false;
                }
                net.is_none_or(|(net, len)| in_prefix(addr, net, len))
            }
            Expr::Not(e) => !e.matches(s),
            Expr::And(v) => v.iter().all(|e| e.matches(s)),
            Expr::Or(v) => v.iter().any(|e| e.matches(s)),
        }
    }
}

/// True when `addr` is inside `net/len`. As ss: an IPv4 prefix also holds IPv4-mapped IPv6
/// addresses.
fn in_prefix(addr: IpAddr, net: IpAddr, len: u8) -> bool {
    let addr = match (net, addr) {
        (IpAddr::V4(_), IpAddr::V6(v)) => v.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        _ => addr,
    };
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let m = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(n) & m == u32::from(a) & m
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let m = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(n) & m == u128::from(a) & m
        }
        _ => false,
    }
}

/// A whole filter: the states selected, and the expression on addresses and ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The states kept (`state` words, else the default, less the `exclude` words).
    pub states: StateSet,
    /// The expression; `None` when the filter has only state words.
    pub expr: Option<Expr>,
}

impl Filter {
    /// Parses the words of a filter (`default_states` apply when no `state` word is given).
    /// Parentheses are words of their own whether or not spaces surround them.
    pub fn parse<S: AsRef<str>>(
        tokens: &[S],
        default_states: StateSet,
    ) -> Result<Filter, FilterError> {
        let all: Vec<String> = tokens
            .iter()
            .flat_map(|t| {
                t.as_ref()
                    .replace('(', " ( ")
                    .replace(')', " ) ")
                    .split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        // `state X` and `exclude X` select states; the rest is the expression.
        let mut states: Option<StateSet> = None;
        let mut exclude = StateSet::NONE;
        let mut words = Vec::with_capacity(all.len());
        let mut i = 0;
        while i < all.len() {
            let w = all[i].as_str();
            if matches!(w, "state" | "exclude" | "excl") {
                let Some(name) = all.get(i + 1) else {
                    return Err(FilterError::StateMissing(w.to_string()));
                };
                let m = StateSet::named(name)?;
                if w == "state" {
                    *states.get_or_insert(StateSet::NONE) |= m;
                } else {
                    exclude |= m;
                }
                // A dangling `and` before the next condition.
                i += 2;
                if matches!(all.get(i).map(String::as_str), Some("and" | "&" | "&&")) {
                    i += 1;
                }
                continue;
            }
            words.push(w);
            i += 1;
        }
        while matches!(words.last(), Some(&("and" | "&" | "&&"))) {
            words.pop();
        }
        let expr = if words.is_empty() {
            None
        } else {
            let mut p = Parser {
                words: &words,
                at: 0,
                depth: 0,
            };
            let e = p.or()?;
            if let Some(rest) = p.peek() {
                return Err(FilterError::Unexpected(rest.to_string()));
            }
            Some(e)
        };
        Ok(Filter {
            states: states.unwrap_or(default_states).without(exclude),
            expr,
        })
    }

    /// True when an inet socket passes the filter (its state and the expression).
    pub fn matches(&self, s: &Socket) -> bool {
        self.states.contains(s.state) && self.expr.as_ref().is_none_or(|e| e.matches(s))
    }

    /// True when a unix socket passes the filter's states (the expression speaks of inet
    /// addresses and ports: a filter with one lists no unix sockets).
    pub fn matches_unix(&self, s: &UnixSocket) -> bool {
        self.expr.is_none() && self.states.contains(s.state)
    }
}

/// Recursive descent over the filter's words; `depth` counts the open parentheses and `not`s.
struct Parser<'a> {
    words: &'a [&'a str],
    at: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.words.get(self.at).copied()
    }

    fn next(&mut self) -> Option<&'a str> {
        let w = self.peek();
        self.at += 1;
        w
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut v = vec![self.and()?];
        while matches!(self.peek(), Some("or" | "|" | "||")) {
            self.at += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::Or(v)
        })
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut v = vec![self.unary()?];
        loop {
            match self.peek() {
                Some("and" | "&" | "&&") => self.at += 1,
                // Juxtaposed conditions are joined with and.
                Some("!" | "not" | "(" | "sport" | "dport" | "src" | "dst") => {}
                _ => break,
            }
            v.push(self.unary()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::And(v)
        })
    }

    /// One level deeper (a `not` or a `(`), refused past [`MAX_DEPTH`].
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, FilterError>,
    ) -> Result<T, FilterError> {
        if self.depth >= MAX_DEPTH {
            return Err(FilterError::TooDeep);
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        match self.next() {
            Some("!" | "not") => self.nested(|p| Ok(Expr::Not(Box::new(p.unary()?)))),
            Some("(") => self.nested(|p| {
                let e = p.or()?;
                match p.next() {
                    Some(")") => Ok(e),
                    _ => Err(FilterError::Unclosed),
                }
            }),
            Some(w @ ("sport" | "dport")) => {
                let end = if w == "sport" { End::Local } else { End::Peer };
                let op = match self.peek().and_then(PortOp::of) {
                    Some(op) => {
                        self.at += 1;
                        op
                    }
                    None => PortOp::Eq,
                };
                let Some(raw) = self.next() else {
                    return Err(FilterError::PortMissing(w.to_string()));
                };
                let Ok(port) = raw.trim_start_matches(':').parse::<u16>() else {
                    return Err(FilterError::BadPort {
                        word: w.to_string(),
                        raw: raw.to_string(),
                    });
                };
                Ok(Expr::Port { end, op, port })
            }
            Some(w @ ("src" | "dst")) => {
                let end = if w == "src" { End::Local } else { End::Peer };
                // ss accepts `dst = PREFIX` too.
                if matches!(self.peek(), Some("=" | "==" | "eq")) {
                    self.at += 1;
                }
                let Some(raw) = self.next() else {
                    return Err(FilterError::AddressMissing(w.to_string()));
                };
                let (net, port) = host(raw)?;
                Ok(Expr::Host { end, net, port })
            }
            Some(")") => Err(FilterError::Unopened),
            Some(other) => Err(FilterError::Unexpected(other.to_string())),
            None => Err(FilterError::MissingCondition),
        }
    }
}

/// An address with its prefix length.
type Net = (IpAddr, u8);

/// `10.0.0.0/8`, `127.0.0.1:80`, `[::1]:80`, `::1`, `*:22`, `*`.
fn host(raw: &str) -> Result<(Option<Net>, Option<u16>), FilterError> {
    let bad = || FilterError::BadAddress(raw.to_string());
    let port_of = |p: &str| -> Result<Option<u16>, FilterError> {
        match p {
            "" | "*" => Ok(None),
            p => p.parse::<u16>().map(Some).map_err(|_| bad()),
        }
    };
    let (host, port) = if let Some(rest) = raw.strip_prefix('[') {
        let (h, p) = rest.split_once(']').ok_or_else(bad)?;
        (h, port_of(p.trim_start_matches(':'))?)
    } else if let Some(p) = raw.strip_prefix('*') {
        ("*", port_of(p.trim_start_matches(':'))?)
    } else if raw.matches(':').count() == 1 {
        let (h, p) = raw.split_once(':').ok_or_else(bad)?;
        (h, port_of(p)?)
    } else {
        (raw, None)
    };
    let net = if host == "*" || host.is_empty() {
        None
    } else {
        let (a, len) = match host.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u8>().map_err(|_| bad())?)),
            None => (host, None),
        };
        let a: IpAddr = a.parse().map_err(|_| bad())?;
        let full = if a.is_ipv4() { 32 } else { 128 };
        let len = len.unwrap_or(full);
        if len > full {
            return Err(bad());
        }
        Some((a, len))
    };
    Ok((net, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Proto;

    fn f(s: &str) -> Result<Filter, FilterError> {
        let t: Vec<&str> = s.split_whitespace().collect();
        Filter::parse(&t, StateSet::NONE)
    }

    fn e(s: &str) -> Expr {
        f(s).unwrap().expr.unwrap()
    }

    fn sock(local: &str, lport: u16, peer: &str, pport: u16) -> Socket {
        Socket::new(
            Proto::Tcp,
            SocketState::Established,
            (local.parse().unwrap(), lport),
            (peer.parse().unwrap(), pport),
        )
    }

    fn bit(s: SocketState) -> u32 {
        1 << s.number()
    }

    #[test]
    fn states_and_groups() {
        use SocketState as S;
        let x = f("state established ( dport = :443 or dport = :80 )").unwrap();
        assert_eq!(x.states.bits(), 1 << 1);
        let x = f("state connected exclude time-wait sport >= :1024").unwrap();
        assert_eq!(x.states.bits() & bit(S::TimeWait), 0);
        assert_ne!(x.states.bits() & bit(S::Established), 0);
        assert_eq!(x.states.bits() & bit(S::Listen), 0);
        let e = x.expr.unwrap();
        assert!(e.matches(&sock("10.0.0.1", 1024, "10.0.0.2", 80)));
        assert!(!e.matches(&sock("10.0.0.1", 1023, "10.0.0.2", 80)));
        // Two state words add up; the default applies only without one.
        let x = Filter::parse(&["state", "listening", "state", "closed"], StateSet::NONE).unwrap();
        assert_eq!(x.states.bits(), bit(S::Listen) | bit(S::Unconnected));
        let d = StateSet::named("big").unwrap();
        assert_eq!(Filter::parse::<&str>(&[], d).unwrap().states, d);
        assert_eq!(StateSet::named("all").unwrap().len(), 11);
        assert!(StateSet::named("all").unwrap().contains(S::Closing));
        assert!(!StateSet::named("all").unwrap().contains(S::Unknown));
        assert_eq!(
            StateSet::named("bucket").unwrap().bits(),
            bit(S::SynRecv) | bit(S::TimeWait)
        );
        assert!(f("state nonsense")
            .unwrap_err()
            .to_string()
            .contains("unknown socket state"));
        assert_eq!(
            f("state").unwrap_err(),
            FilterError::StateMissing("state".into())
        );
        // A trailing `and` after a state word is no condition.
        assert!(f("state established and").unwrap().expr.is_none());
    }

    #[test]
    fn precedence_not_and_or() {
        // not binds tightest, then and (also juxtaposition), then or.
        let x = e("not dport = :80 sport = :1 or dst 10.9.0.0/16");
        assert!(
            matches!(&x, Expr::Or(v) if v.len() == 2 && matches!(&v[0], Expr::And(a) if a.len() == 2 && matches!(a[0], Expr::Not(_))))
        );
        assert!(x.matches(&sock("10.0.0.1", 1, "10.0.0.2", 22)));
        assert!(!x.matches(&sock("10.0.0.1", 1, "10.0.0.2", 80)));
        assert!(x.matches(&sock("10.0.0.1", 9, "10.9.3.4", 80)));
        // a or b and c = a or (b and c).
        let x = e("sport = :1 or sport = :2 and dport = :3");
        assert!(x.matches(&sock("::1", 1, "::1", 9)));
        assert!(!x.matches(&sock("::1", 2, "::1", 9)));
        assert!(x.matches(&sock("::1", 2, "::1", 3)));
        // Parentheses change it: (a or b) and c.
        let x = e("(sport = :1 or sport = :2) and dport = :3");
        assert!(!x.matches(&sock("::1", 1, "::1", 9)));
        assert!(x.matches(&sock("::1", 1, "::1", 3)));
        // Long chains stay flat.
        let words = vec!["sport = :1"; 5000].join(" or ");
        assert!(matches!(e(&words), Expr::Or(v) if v.len() == 5000));
        // Operators, word forms and the operator-less form.
        for (w, p, hit) in [
            ("sport :5", 5, true),
            ("sport eq :5", 6, false),
            ("sport != :5", 6, true),
            ("sport lt :5", 4, true),
            ("sport > :5", 5, false),
            ("sport le :5", 5, true),
            ("sport ge :5", 4, false),
        ] {
            assert_eq!(e(w).matches(&sock("::1", p, "::1", 0)), hit, "{w} {p}");
        }
    }

    #[test]
    fn hosts() {
        let x = e("dst [::1]:7102");
        assert!(x.matches(&sock("::1", 5, "::1", 7102)));
        assert!(!x.matches(&sock("::1", 5, "::1", 7103)));
        // An IPv4 prefix matches IPv4-mapped peers.
        let x = e("src 127.0.0.0/8");
        assert!(x.matches(&sock("::ffff:127.0.0.1", 5, "::", 0)));
        assert!(!x.matches(&sock("::1", 5, "::", 0)));
        let x = e("src = *:22");
        assert!(x.matches(&sock("10.1.1.1", 22, "::", 0)));
        assert!(e("dst 0.0.0.0/0").matches(&sock("::1", 5, "10.0.0.1", 0)));
        assert!(f("dst 10.0.0.0/40").is_err());
        assert!(f("dst nosuch.example").is_err());
        assert!(f("dst [::1").is_err());
        assert!(f("dst 10.0.0.1:http").is_err());
    }

    #[test]
    fn errors_are_one_line_and_name_the_word() {
        for (s, want) in [
            ("sport = :99999", "':99999' is not a port"),
            ("banana", "unexpected 'banana'"),
            ("( dport = :80", "is not closed"),
            ("dport = :80 )", "unexpected ')'"),
            (")", "')' without '('"),
            ("dport", "'dport' needs a port"),
            ("dst", "'dst' needs an address"),
            ("not", "a condition is missing"),
            ("sport = :1 or", "a condition is missing"),
        ] {
            let m = f(s).unwrap_err().to_string();
            assert!(m.contains(want), "{s}: {m}");
            assert_eq!(m.lines().count(), 1);
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let open = "(".repeat(10_000) + "sport = :1" + &")".repeat(10_000);
        assert_eq!(f(&open).unwrap_err(), FilterError::TooDeep);
        let nots = "not ".repeat(10_000) + "sport = :1";
        assert_eq!(f(&nots).unwrap_err(), FilterError::TooDeep);
        let mixed = "! ( ".repeat(10_000);
        assert_eq!(f(&mixed).unwrap_err(), FilterError::TooDeep);
        assert_eq!(FilterError::TooDeep.to_string().lines().count(), 1);
        // Up to the limit is fine.
        let ok = "(".repeat(MAX_DEPTH) + "sport = :1" + &")".repeat(MAX_DEPTH);
        assert!(f(&ok)
            .unwrap()
            .expr
            .unwrap()
            .matches(&sock("::1", 1, "::1", 0)));
        let ok = "not ".repeat(MAX_DEPTH) + "sport = :1";
        assert!(f(&ok)
            .unwrap()
            .expr
            .unwrap()
            .matches(&sock("::1", 1, "::1", 0)));
    }
}
