//! `ifconfig` (net-tools 2.10), read-only: interfaces, addresses and counters from our
//! rtnetlink dump (the one `netshoot ip addr` and `ip -s link` print), in ifconfig's layout.
//! `netstat -i` prints its short table from here too.

use std::cmp::Ordering;
use std::net::{IpAddr, Ipv4Addr};

use netshoot_inspect::{Interface, LinkStats};

use super::getopt::{usage, Opt, Spec};
use super::{Ctx, Tool};

/// The tool.
pub static TOOL: Tool = Tool {
    names: &["ifconfig"],
    about: "interfaces as net-tools prints them (read-only)",
    run,
};

const OPTS: &[Opt] = &[
    Opt::flag(
        "a",
        Some('a'),
        &[],
        "every interface, also those that are down",
    ),
    Opt::flag("s", Some('s'), &[], "the short table (as netstat -i)"),
    Opt::flag("v", Some('v'), &[], "accepted (nothing more to say)"),
    Opt::flag("json", None, &["json"], "JSON (netshoot's)"),
    Opt::flag("V", Some('V'), &["version"], "print the version"),
];

/// ifconfig's grammar (operands after the interface are changes, which are refused).
pub const SPEC: Spec = Spec {
    tool: "ifconfig",
    opts: OPTS,
    permute: false,
    usage: "[-a] [-s] [IFACE]",
    notes: "\
Read-only: changing an interface (up, down, addresses, mtu, …) is refused; use `ip` on the host.
Addresses, flags and counters come from rtnetlink (the engine of `netshoot ip`); IPv6 addresses
in /proc/net/if_inet6's order, as ifconfig lists them.",
    single_dash_long: false,
};

fn run(_name: &str, args: &[String], ctx: &Ctx) -> anyhow::Result<i32> {
    // `ifconfig eth0 -promisc` passes a dash-word after the interface: a change, refused below.
    let version = format!(
        "ifconfig (netshoot {}): netshoot's own rtnetlink engine",
        env!("CARGO_PKG_VERSION")
    );
    let Some(p) = SPEC.parse_or_answer(args, Some(("V", &version)))? else {
        return Ok(0);
    };
    let operands = p.args();
    if operands.len() > 1 {
        return Err(usage(
            "ifconfig",
            format!(
                "'{}' would change {}: netshoot is read-only; use `ip link`/`ip addr` on the host",
                operands[1..].join(" "),
                operands[0]
            ),
        ));
    }
    let mut ctx = ctx.clone();
    if p.has("json") {
        ctx.json = true;
    }
    ctx.enter()?;
    if p.has("s") {
        return interface_table(p.has("a"), false, true, true, &ctx);
    }
    let ifs = sorted_interfaces()?;
    if let Some(name) = operands.first() {
        let Some(i) = ifs.iter().find(|i| i.name == *name) else {
            eprintln!("{name}: error fetching interface information: Device not found");
            return Ok(1);
        };
        if ctx.json {
            ctx.output().emit(i, |_| String::new())?;
        } else {
            crate::render::write_text(&crate::render::safe_text(&long(i)))?;
        }
        return Ok(0);
    }
    let shown: Vec<&Interface> = ifs.iter().filter(|i| p.has("a") || i.up).collect();
    if ctx.json {
        ctx.output().emit(&shown, |_| String::new())?;
        return Ok(0);
    }
    let out: String = shown.iter().map(|i| long(i)).collect();
    crate::render::write_text(&crate::render::safe_text(&out))?;
    Ok(0)
}

/// net-tools' `nstrcmp` (2.10): an alias suffix (`:N`) is set aside; names compare by the part
/// before their trailing digits, the longer such part after, then by the trailing number, then
/// bytewise, then by alias (none first).
fn nstrcmp(a: &str, b: &str) -> Ordering {
    // `eth0:1` → ("eth0", Some("1")); a suffix that is not all digits stays in the name.
    fn cut(s: &str) -> (&[u8], Option<&[u8]>) {
        let b = s.as_bytes();
        let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
        let at = b.len() - digits;
        if digits > 0 && at > 0 && b[at - 1] == b':' {
            (&b[..at - 1], Some(&b[at..]))
        } else {
            (b, None)
        }
    }
    fn num(s: &[u8]) -> u64 {
        s.iter()
            .take_while(|c| c.is_ascii_digit())
            .fold(0u64, |n, c| {
                n.saturating_mul(10).saturating_add((c - b'0') as u64)
            })
    }
    let ((a, aa), (b, ba)) = (cut(a), cut(b));
    let stem = |s: &[u8]| s.len() - s.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    let (ai, bi) = (stem(a), stem(b));
    let n = ai.min(bi);
    a[..n]
        .cmp(&b[..n])
        .then(ai.cmp(&bi))
        .then_with(|| num(&a[ai..]).cmp(&num(&b[bi..])))
        .then_with(|| a.cmp(b))
        .then_with(|| {
            let v = |x: Option<&[u8]>| x.map_or(-1, |x| num(x) as i128);
            v(aa).cmp(&v(ba))
        })
        .then_with(|| match (aa, ba) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => Ordering::Equal,
        })
}

/// Interfaces in net-tools' order: each inserted, in the kernel's order, after the last one
/// that sorts before it (`nstrcmp`); then the alias interfaces SIOCGIFCONF names (an IPv4
/// address labelled other than its interface, `eth0:1`): the interface's flags, MTU and
/// link-layer address with that address alone and no counters.
pub fn sorted_interfaces() -> anyhow::Result<Vec<Interface>> {
    let ifs = netshoot_inspect::interfaces()
        .map_err(|e| anyhow::anyhow!("cannot list interfaces over rtnetlink: {e}"))?;
    let mut aliases: Vec<Interface> = Vec::new();
    for i in &ifs {
        for a in i.addresses.iter().filter(|a| a.family == "inet") {
            let Some(label) = a.label.as_deref().filter(|l| *l != i.name) else {
                continue;
            };
            if aliases.iter().any(|x| x.name == label) || ifs.iter().any(|x| x.name == label) {
                continue;
            }
            let mut alias = i.clone();
            alias.name = label.to_string();
            alias.stats = None;
            alias.addresses = i
                .addresses
                .iter()
                .filter(|x| x.family == "inet" && x.label.as_deref() == Some(label))
                .cloned()
                .collect();
            aliases.push(alias);
        }
    }
    let mut out: Vec<Interface> = Vec::with_capacity(ifs.len() + aliases.len());
    for i in ifs.into_iter().chain(aliases) {
        let at = out
            .iter()
            .rposition(|x| nstrcmp(&x.name, &i.name) == Ordering::Less)
            .map_or(0, |p| p + 1);
        out.insert(at, i);
    }
    Ok(out)
}

/// IFF_* bits and the names ifconfig prints for them, in its order.
const IF_FLAGS: [(u32, &str); 14] = [
    (0x1, "UP"),
    (0x2, "BROADCAST"),
    (0x4, "DEBUG"),
    (0x8, "LOOPBACK"),
    (0x10, "POINTOPOINT"),
    (0x20, "NOTRAILERS"),
    (0x40, "RUNNING"),
    (0x80, "NOARP"),
    (0x100, "PROMISC"),
    (0x200, "ALLMULTI"),
    (0x800, "SLAVE"),
    (0x400, "MASTER"),
    (0x1000, "MULTICAST"),
    (0x8000, "DYNAMIC"),
];

/// ifconfig's byte count in units: `196.7 KiB`.
fn scaled(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let (mut int, mut frac, mut u) = (bytes, 0u64, 0);
    while int >= 1024 && u < 4 {
        frac = (int & 1023) * 10 / 1024;
        int /= 1024;
        u += 1;
    }
    format!("{int}.{frac} {}", units[u])
}

fn netmask(len: u8) -> Ipv4Addr {
    let bits = if len == 0 {
        0
    } else {
        u32::MAX << (32 - len.min(32) as u32)
    };
    Ipv4Addr::from(bits)
}

/// (interface, address) in `/proc/thread-self/net/if_inet6`'s order (the namespace entered).
fn inet6_order() -> Vec<(String, std::net::Ipv6Addr)> {
    let text = std::fs::read_to_string("/proc/thread-self/net/if_inet6").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let hex = f.first()?;
            let n = u128::from_str_radix(hex, 16).ok()?;
            Some((f.get(5)?.to_string(), std::net::Ipv6Addr::from(n)))
        })
        .collect()
}

/// ifconfig's block for one interface (with its trailing blank line).
pub fn long(i: &Interface) -> String {
    let f = i.if_flags & 0xffff;
    let names: Vec<&str> = IF_FLAGS
        .iter()
        .filter(|(b, _)| f & b != 0)
        .map(|(_, n)| *n)
        .collect();
    let mut s = format!(
        "{}: flags={f}<{}>  mtu {}\n",
        i.name,
        names.join(","),
        i.mtu.unwrap_or(0)
    );
    // SIOCGIFADDR: the interface's primary IPv4 address (its own label, not an alias's).
    if let Some(a) = i
        .addresses
        .iter()
        .find(|a| a.family == "inet" && a.label.as_deref().is_none_or(|l| l == i.name))
    {
        s.push_str(&format!(
            "        inet {}  netmask {}",
            a.address,
            netmask(a.prefix_len)
        ));
        if f & 0x2 != 0 {
            let b = a.broadcast.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            s.push_str(&format!("  broadcast {b}"));
        }
        // SIOCGIFDSTADDR: the peer of a point-to-point address (its own address without one).
        if f & 0x10 != 0 {
            s.push_str(&format!("  destination {}", a.peer.unwrap_or(a.address)));
        }
        s.push('\n');
    }
    let mut v6: Vec<_> = i.addresses.iter().filter(|a| a.family == "inet6").collect();
    // ifconfig lists them in /proc/net/if_inet6's (hash) order; rtnetlink's addresses, that order.
    let order = inet6_order();
    v6.sort_by_key(|a| {
        order
            .iter()
            .position(|(n, x)| *n == i.name && IpAddr::V6(*x) == a.address)
            .unwrap_or(usize::MAX)
    });
    for a in v6 {
        let (id, word) = match a.scope.as_str() {
            "host" => (0x10, "host"),
            "link" => (0x20, "link"),
            "site" => (0x40, "site"),
            _ => (0x0, "global"),
        };
        s.push_str(&format!(
            "        inet6 {}  prefixlen {}  scopeid 0x{id:x}<{word}>\n",
            a.address, a.prefix_len
        ));
    }
    let q = i.txqlen.unwrap_or(0);
    match i.link_type.as_str() {
        "loopback" => s.push_str(&format!("        loop  txqueuelen {q}  (Local Loopback)\n")),
        "ether" => s.push_str(&format!(
            "        ether {}  txqueuelen {q}  (Ethernet)\n",
            i.mac.as_deref().unwrap_or("00:00:00:00:00:00")
        )),
        "none" => s.push_str(&format!(
            "        unspec 00-00-00-00-00-00-00-00-00-00-00-00-00-00-00-00  txqueuelen {q}  (UNSPEC)\n"
        )),
        other => s.push_str(&format!("        {other}  txqueuelen {q}  ({other})\n")),
    }
    if let Some(st) = &i.stats {
        s.push_str(&counters(st));
    }
    s.push('\n');
    s
}

fn counters(st: &LinkStats) -> String {
    format!(
        "        RX packets {}  bytes {} ({})\n        RX errors {}  dropped {}  overruns {}  frame {}\n        TX packets {}  bytes {} ({})\n        TX errors {}  dropped {} overruns {}  carrier {}  collisions {}\n",
        st.rx_packets,
        st.rx_bytes,
        scaled(st.rx_bytes),
        st.rx_errors,
        st.rx_dropped + st.rx_missed_errors,
        st.rx_fifo_errors,
        st.frame_errors_total(),
        st.tx_packets,
        st.tx_bytes,
        scaled(st.tx_bytes),
        st.tx_errors,
        st.tx_dropped,
        st.tx_fifo_errors,
        st.carrier_errors_total(),
        st.collisions
    )
}

/// netstat -i's flag letters.
fn short_flags(f: u32) -> String {
    [
        (0x200, 'A'),
        (0x2, 'B'),
        (0x4, 'D'),
        (0x8, 'L'),
        (0x1000, 'M'),
        (0x100, 'P'),
        (0x20, 'N'),
        (0x80, 'O'),
        (0x10, 'P'),
        (0x800, 's'),
        (0x400, 'm'),
        (0x40, 'R'),
        (0x1, 'U'),
    ]
    .iter()
    .filter(|(b, _)| f & b != 0)
    .map(|(_, c)| *c)
    .collect()
}

/// `Kernel Interface table` (netstat -i, ifconfig -s): the up interfaces (every one with
/// `all`), short rows, or ifconfig's blocks with `long`, in the (already entered) target.
/// `title`: the `Kernel Interface table` line (netstat -ic prints it once).
pub fn print_interface_table(
    all: bool,
    long_form: bool,
    title: bool,
    ctx: &Ctx,
) -> anyhow::Result<i32> {
    interface_table(all, long_form, !title, false, ctx)
}

/// The table; ifconfig -s prints it without the title and with a narrower `Iface` heading.
fn interface_table(
    all: bool,
    long_form: bool,
    no_title: bool,
    ifconfig: bool,
    ctx: &Ctx,
) -> anyhow::Result<i32> {
    let ifs = sorted_interfaces()?;
    let shown: Vec<&Interface> = ifs.iter().filter(|i| all || i.up).collect();
    if ctx.json {
        ctx.output().emit(&shown, |_| String::new())?;
        return Ok(0);
    }
    let mut out = String::new();
    if !ifconfig && !no_title {
        out.push_str("Kernel Interface table\n");
    }
    if long_form {
        for i in &shown {
            out.push_str(&long(i));
        }
        crate::render::write_text(&crate::render::safe_text(&out))?;
        return Ok(0);
    }
    out.push_str(if ifconfig {
        "Iface      MTU"
    } else {
        "Iface             MTU"
    });
    out.push_str("    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n");
    for i in &shown {
        let name: String = i.name.chars().take(15).collect();
        let Some(st) = i.stats else {
            // An alias interface: /proc/net/dev has no line for it.
            out.push_str(&format!(
                "{name:<15} {:>5} {:<56}{}\n",
                i.mtu.unwrap_or(0),
                "     - no statistics available -",
                short_flags(i.if_flags)
            ));
            continue;
        };
        out.push_str(&format!(
            "{name:<15} {:>5} {:>8} {:>6} {:>6} {:<6} {:>8} {:>6} {:>6} {:>6} {}\n",
            i.mtu.unwrap_or(0),
            st.rx_packets,
            st.rx_errors,
            st.rx_dropped + st.rx_missed_errors,
            st.rx_fifo_errors,
            st.tx_packets,
            st.tx_errors,
            st.tx_dropped,
            st.tx_fifo_errors,
            short_flags(i.if_flags)
        ));
    }
    crate::render::write_text(&crate::render::safe_text(&out))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_scale_as_ifconfig_prints_them() {
        assert_eq!(scaled(0), "0.0 B");
        assert_eq!(scaled(201_476), "196.7 KiB");
        assert_eq!(scaled(1454), "1.4 KiB");
        assert_eq!(scaled(1023), "1023.0 B");
    }

    #[test]
    fn names_compare_with_numbers() {
        assert_eq!(nstrcmp("eth2", "eth10"), Ordering::Less);
        assert_eq!(nstrcmp("eth0", "lo"), Ordering::Less);
        assert_eq!(nstrcmp("lo", "lo"), Ordering::Equal);
        // net-tools' own cases, and the order it prints a0 b9 b10 b2x in.
        assert_eq!(nstrcmp("eth1", "eth01"), Ordering::Greater);
        assert_eq!(nstrcmp("a1b12", "a1b2"), Ordering::Greater);
        assert_eq!(nstrcmp("eth", "eth2"), Ordering::Less);
        assert_eq!(nstrcmp("b10", "b2x"), Ordering::Less);
        assert_eq!(nstrcmp("b9", "b10"), Ordering::Less);
        assert_eq!(nstrcmp("eth0:1", "eth0:2"), Ordering::Less);
        assert_eq!(nstrcmp("eth2:10", "eth2:1"), Ordering::Greater);
        assert_eq!(nstrcmp("eth13:1", "eth1:0"), Ordering::Greater);
        assert_eq!(nstrcmp("a", "a:"), Ordering::Less);
        assert_eq!(nstrcmp("eth0", "eth0:1"), Ordering::Less);
        assert_eq!(nstrcmp("eth0:5", "eth0:x"), Ordering::Less);
    }
}
