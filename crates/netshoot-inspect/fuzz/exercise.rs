// The fuzz targets' bodies, shared by the cargo-fuzz targets (fuzz_targets/*.rs) and the corpus
// test (tests/fuzz_corpus.rs), both through `include!`. None may panic on any input.

use netshoot_inspect::*;

/// Splits `b` into datagrams, each prefixed by its length (2 bytes, big-endian); a short tail is
/// the last datagram.
fn datagrams(mut b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while b.len() >= 2 {
        let n = usize::from(u16::from_be_bytes([b[0], b[1]])).min(b.len() - 2);
        out.push(&b[2..2 + n]);
        b = &b[2 + n..];
    }
    out
}

/// The sequence number of a datagram's first message (so that the replies are taken as ours).
fn seq_of(d: &[u8]) -> u32 {
    d.get(8..12)
        .map_or(0, |s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

/// Replies (family or command, attributes) of a run of datagrams, as `transact_fixed4` gives.
fn fixed4(ds: &[&[u8]]) -> Vec<(u8, Vec<u8>)> {
    let seq = ds.first().map_or(0, |d| seq_of(d));
    netlink::replies_fixed4(ds, seq).unwrap_or_default()
}

/// `nfnetlink`: kernel replies (netlink datagrams, each length-prefixed) after a selector byte.
/// 0: a ctnetlink dump, each entry through `conntrack::parse_entry` and its line; 1: nf_tables
/// dumps (chains, rules, set elements, sets, in that order) through `ruleset_from` and
/// `sets_from`, then printed as nft, iptables -S and -L print them, and evaluated for a packet on
/// every hook; 2: generic netlink IPVS replies (controller, services, destinations).
pub fn nfnetlink(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let ds = datagrams(rest);
    match sel % 3 {
        0 => {
            for (fam, body) in fixed4(&ds) {
                if let Some(e) = conntrack::parse_entry(fam, &body) {
                    let _ = e.line();
                }
            }
        }
        1 => {
            let part = |i: usize| fixed4(ds.get(i..i + 1).unwrap_or(&[]));
            let elems = firewall::elements_from(&part(2));
            let chains = firewall::ruleset_from(&part(0), &part(1), |_, _, _| elems.clone());
            let sets = firewall::sets_from(&part(3), |_, _, _| elems.clone());
            let _ = nftfmt::ruleset(&chains);
            for (fam, table) in nftfmt::tables(&chains) {
                let _ = nftfmt::table_with_sets(&chains, &sets, fam, table, None, true, false);
                let _ = nftfmt::has_xt(&chains, fam, table);
                let _ = iptsave::save(&chains, fam, table, true);
                let f = iptlist::ListFormat {
                    numeric: sel & 4 != 0,
                    verbose: true,
                    exact: false,
                    line_numbers: true,
                };
                let _ = iptlist::list(&chains, fam, table, None, &f);
            }
            for s in &sets {
                let _ = nftfmt::set_text(s, false);
            }
            for c in &chains {
                for r in &c.rules {
                    let _ = firewall::render(&c.name, &r.exprs);
                }
            }
            let pkt = firewall::Packet {
                src: [10, 0, 0, 1].into(),
                dst: [10, 0, 0, 2].into(),
                proto: 6,
                sport: 40000,
                dport: 80,
                iif: Some("eth0".into()),
                oif: Some("eth1".into()),
                dnat: None,
            };
            for hook in 0..5 {
                let _ = firewall::decide(&chains, hook, &pkt);
            }
            // The same replies as kube-proxy's nftables table, followed for a connection
            // (verdict maps, numgen splits, fib, dnat) and with a DNAT before the chains.
            let table = kubenft::Table { chains, sets };
            for (dst_local, proto) in [(false, "tcp"), (true, "udp")] {
                let conn = kubeproxy::Conn {
                    src: Some(pkt.src),
                    src_local: !dst_local,
                    dst: pkt.dst,
                    dst_local,
                    proto: proto.into(),
                    dport: pkt.dport,
                };
                let _ = kubenft::follow_table(&table, &conn);
            }
            let translated = firewall::Packet {
                dnat: Some(([10, 0, 0, 3], 8080).into()),
                ..pkt
            };
            let _ = firewall::decide(&table.chains, 3, &translated);
        }
        _ => {
            let part = |i: usize| fixed4(ds.get(i..i + 1).unwrap_or(&[]));
            for (_, a) in part(0) {
                let _ = ipvs::family_id(&a);
            }
            let mut af = 2;
            for (_, a) in part(1) {
                if let Some(s) = ipvs::parse_service(&a) {
                    af = if s.addr.is_some_and(|a| a.is_ipv6()) {
                        10
                    } else {
                        2
                    };
                }
            }
            for (_, a) in part(2) {
                let _ = ipvs::parse_dest(&a, af);
            }
        }
    }
}

/// `sockdiag`: a selector byte, then: with bit 0 set, /proc/net/raw text through
/// `sockets::parse_proc_raw`; else with bit 7 set, a unix_diag dump reply datagram through
/// `sockets::unix_replies`; else an inet_diag dump reply datagram through
/// `sockets::inet_replies` (bits 1-2: TCP, UDP or raw).
pub fn sockdiag(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    if sel & 1 != 0 {
        let _ = sockets::parse_proc_raw(&String::from_utf8_lossy(rest));
    } else if sel & 0x80 != 0 {
        let _ = sockets::unix_replies(rest, seq_of(rest));
    } else {
        let proto = [Proto::Tcp, Proto::Udp, Proto::Raw][usize::from((sel >> 1) % 3)];
        let _ = sockets::inet_replies(rest, seq_of(rest), proto);
    }
}

/// `iptables`: an iptables-legacy table as the kernel's getsockopt gives it: a selector byte
/// (bit 0: with counters), the valid hooks, hook entry and underflow offsets (11 native 32-bit
/// words, as in `ipt_getinfo`), then the entries blob, through `legacy::save` (which decodes
/// every xt match and target).
pub fn iptables(data: &[u8]) {
    if data.len() < 45 {
        return;
    }
    let w = |i: usize| {
        let o = 1 + 4 * i;
        u32::from_ne_bytes([data[o], data[o + 1], data[o + 2], data[o + 3]])
    };
    let blob = legacy::Blob {
        valid_hooks: w(0),
        hook_entry: [w(1), w(2), w(3), w(4), w(5)],
        underflow: [w(6), w(7), w(8), w(9), w(10)],
        entries: data[45..].to_vec(),
    };
    let _ = legacy::save(&blob, data[0] & 1 != 0);
}
