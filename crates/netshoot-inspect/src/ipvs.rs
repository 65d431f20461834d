//! IPVS virtual services and their real servers over generic netlink (`ipvsadm -Ln`): what
//! Docker Swarm's VIPs and kube-proxy's ipvs mode program into the kernel.
//!
//! Requests are encoded and replies decoded by hand (the layout of `linux/ip_vs.h`), every
//! length checked before use.

use std::io;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

pub use crate::netlink::attr;
use crate::netlink::{
    attrs, be16, cstr as string, ne16, ne32, ne64, nlmsghdr, transact_fixed4, NLA_F_NESTED,
    NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};

const NETLINK_GENERIC: isize = 16;
const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

const IPVS_GENL_VERSION: u8 = 1;
const IPVS_CMD_GET_SERVICE: u8 = 4;
const IPVS_CMD_GET_DEST: u8 = 8;
const IPVS_CMD_GET_INFO: u8 = 15;
const IPVS_CMD_ATTR_SERVICE: u16 = 1;
const IPVS_CMD_ATTR_DEST: u16 = 2;

/// Traffic counters of a service or real server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Connections scheduled.
    pub conns: u64,
    /// Packets in.
    pub inpkts: u64,
    /// Packets out.
    pub outpkts: u64,
    /// Bytes in.
    pub inbytes: u64,
    /// Bytes out.
    pub outbytes: u64,
}

/// A real server behind a virtual service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dest {
    /// Its address.
    pub addr: Option<IpAddr>,
    /// Its port.
    pub port: u16,
    /// `Masq`, `Local`, `Tunnel` or `Route` (direct routing), as ipvsadm prints them.
    pub forward: String,
    /// Weight (0: no new connections).
    pub weight: u32,
    /// Active connections.
    pub active_conns: u32,
    /// Inactive connections.
    pub inactive_conns: u32,
    /// Persistent connections.
    pub persistent_conns: u32,
    /// Counters.
    pub stats: Stats,
}

/// A virtual service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Address family: 2 IPv4, 10 IPv6.
    pub af: u16,
    /// `TCP`, `UDP`, `SCTP`, or `FWM` for a firewall-mark service (Docker Swarm's kind).
    pub protocol: String,
    /// Virtual address (none for a firewall-mark service).
    pub addr: Option<IpAddr>,
    /// Virtual port.
    pub port: u16,
    /// Firewall mark, for a firewall-mark service.
    pub fwmark: Option<u32>,
    /// Scheduler (`rr`, `wrr`, `lc`, …).
    pub scheduler: String,
    /// Persistence timeout in seconds, when persistent.
    pub persistent: Option<u32>,
    /// Counters.
    pub stats: Stats,
    /// Real servers.
    pub dests: Vec<Dest>,
}

/// The IPVS table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// IPVS version as `major.minor.patch`.
    pub version: Option<String>,
    /// Connection hash table size.
    pub conn_tab_size: Option<u32>,
    /// Virtual services.
    pub services: Vec<Service>,
}

/// Why the table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IpvsError {
    /// No IPVS generic netlink family: the kernel has no ip_vs.
    #[error("this kernel has no IPVS (no 'IPVS' generic netlink family: module ip_vs is not loaded); Docker Swarm VIPs and kube-proxy's ipvs mode cannot work here. On the host: modprobe ip_vs")]
    NoIpvs,
    /// EPERM.
    #[error("reading the IPVS table needs CAP_NET_ADMIN in the target's namespace: run as root, or add --cap-add NET_ADMIN to docker run")]
    Permission,
    /// Anything else.
    #[error("cannot read the IPVS table: {0}")]
    Io(#[from] io::Error),
}

/// A generic netlink message: nlmsghdr, genlmsghdr (cmd, version), attributes.
pub fn message(family: u16, flags: u16, seq: u32, cmd: u8, version: u8, body: &[u8]) -> Vec<u8> {
    let mut v = crate::netlink::message(family, flags, &[&[cmd, version, 0, 0][..], body].concat());
    v[nlmsghdr::SEQ].copy_from_slice(&seq.to_ne_bytes());
    v
}

/// The request asking the generic netlink controller for the IPVS family's id.
pub fn family_request(seq: u32) -> Vec<u8> {
    message(
        GENL_ID_CTRL,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
        CTRL_CMD_GETFAMILY,
        1,
        &attr(CTRL_ATTR_FAMILY_NAME, b"IPVS\0"),
    )
}

/// The family id in a controller reply's attributes.
pub fn family_id(reply_attrs: &[u8]) -> Option<u16> {
    attrs(reply_attrs)
        .into_iter()
        .find(|(t, _)| *t == CTRL_ATTR_FAMILY_ID)
        .and_then(|(_, v)| ne16(v))
}

/// The dump request for every service.
pub fn services_request(family: u16, seq: u32) -> Vec<u8> {
    message(
        family,
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
        IPVS_CMD_GET_SERVICE,
        IPVS_GENL_VERSION,
        &[],
    )
}

/// The dump request for one service's real servers (identified as the kernel expects: by
/// family, protocol, address and port, or by firewall mark).
pub fn dests_request(family: u16, seq: u32, s: &Service) -> Vec<u8> {
    let mut svc = attr(1, &s.af.to_ne_bytes());
    match s.fwmark {
        Some(m) => svc.extend(attr(5, &m.to_ne_bytes())),
        None => {
            let proto: u16 = match s.protocol.as_str() {
                "UDP" => 17,
                "SCTP" => 132,
                _ => 6,
            };
            svc.extend(attr(2, &proto.to_ne_bytes()));
            let mut a = [0u8; 16];
            match s.addr {
                Some(IpAddr::V4(v)) => a[..4].copy_from_slice(&v.octets()),
                Some(IpAddr::V6(v)) => a.copy_from_slice(&v.octets()),
                None => {}
            }
            svc.extend(attr(3, &a));
            svc.extend(attr(4, &s.port.to_be_bytes()));
        }
    }
    message(
        family,
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
        IPVS_CMD_GET_DEST,
        IPVS_GENL_VERSION,
        &attr(IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED, &svc),
    )
}

fn addr_of(af: u16, b: &[u8]) -> Option<IpAddr> {
    if af == 10 {
        <[u8; 16]>::try_from(b.get(..16)?).ok().map(IpAddr::from)
    } else {
        let a = b.get(..4)?;
        Some(IpAddr::from([a[0], a[1], a[2], a[3]]))
    }
}

/// IPVS_STATS_ATTR_* (32-bit counters) or IPVS_STATS64 (64-bit).
fn stats_of(b: &[u8], wide: bool) -> Stats {
    let mut s = Stats::default();
    for (t, v) in attrs(b) {
        let n = if wide {
            ne64(v)
        } else {
            ne32(v).map(u64::from)
        };
        let n = match t {
            4 | 5 => ne64(v),
            _ => n,
        }
        .unwrap_or(0);
        match t {
            1 => s.conns = n,
            2 => s.inpkts = n,
            3 => s.outpkts = n,
            4 => s.inbytes = n,
            5 => s.outbytes = n,
            _ => {}
        }
    }
    s
}

/// Decodes the attributes of an IPVS_CMD_NEW_SERVICE reply (they hold IPVS_CMD_ATTR_SERVICE).
pub fn parse_service(reply_attrs: &[u8]) -> Option<Service> {
    let (_, svc) = attrs(reply_attrs)
        .into_iter()
        .find(|(t, _)| *t == IPVS_CMD_ATTR_SERVICE)?;
    let a = attrs(svc);
    let get = |t: u16| a.iter().find(|(x, _)| *x == t).map(|(_, v)| *v);
    let af = get(1).and_then(ne16).unwrap_or(2);
    let fwmark = get(5).and_then(ne32).filter(|m| *m != 0);
    let protocol = match (fwmark, get(2).and_then(ne16)) {
        (Some(_), _) => "FWM".to_string(),
        (None, Some(6)) => "TCP".into(),
        (None, Some(17)) => "UDP".into(),
        (None, Some(132)) => "SCTP".into(),
        (None, Some(n)) => format!("proto{n}"),
        (None, None) => "TCP".into(),
    };
    let flags = get(7).and_then(ne32).unwrap_or(0);
    let stats = match get(12) {
        Some(v) => stats_of(v, true),
        None => get(10).map(|v| stats_of(v, false)).unwrap_or_default(),
    };
    Some(Service {
        af,
        protocol,
        addr: if fwmark.is_some() {
            None
        } else {
            get(3).and_then(|v| addr_of(af, v))
        },
        port: get(4).and_then(be16).unwrap_or(0),
        fwmark,
        scheduler: get(6).map(string).unwrap_or_default(),
        // IP_VS_SVC_F_PERSISTENT = 1.
        persistent: (flags & 1 != 0).then(|| get(8).and_then(ne32).unwrap_or(0)),
        stats,
        dests: Vec::new(),
    })
}

/// Decodes the attributes of an IPVS_CMD_NEW_DEST reply (they hold IPVS_CMD_ATTR_DEST).
pub fn parse_dest(reply_attrs: &[u8], service_af: u16) -> Option<Dest> {
    let (_, d) = attrs(reply_attrs)
        .into_iter()
        .find(|(t, _)| *t == IPVS_CMD_ATTR_DEST)?;
    let a = attrs(d);
    let get = |t: u16| a.iter().find(|(x, _)| *x == t).map(|(_, v)| *v);
    let af = get(11).and_then(ne16).unwrap_or(service_af);
    let stats = match get(12) {
        Some(v) => stats_of(v, true),
        None => get(10).map(|v| stats_of(v, false)).unwrap_or_default(),
    };
    Some(Dest {
        addr: get(1).and_then(|v| addr_of(af, v)),
        port: get(2).and_then(be16).unwrap_or(0),
        forward: match get(3).and_then(ne32).unwrap_or(0) & 7 {
            0 => "Masq",
            1 => "Local",
            2 => "Tunnel",
            3 => "Route",
            _ => "Bypass",
        }
        .into(),
        weight: get(4).and_then(ne32).unwrap_or(0),
        active_conns: get(7).and_then(ne32).unwrap_or(0),
        inactive_conns: get(8).and_then(ne32).unwrap_or(0),
        persistent_conns: get(9).and_then(ne32).unwrap_or(0),
        stats,
    })
}

/// Sends one request and collects (cmd, attributes) of every reply until DONE or the ACK.
fn transact(req: &[u8]) -> io::Result<Vec<(u8, Vec<u8>)>> {
    transact_fixed4(NETLINK_GENERIC, req)
}

/// The IPVS table of the calling thread's namespace.
pub fn table() -> Result<Table, IpvsError> {
    let map = |e: io::Error| match e.raw_os_error() {
        Some(1) | Some(13) => IpvsError::Permission,
        _ => IpvsError::Io(e),
    };
    let fam = match transact(&family_request(1)) {
        Ok(r) => r
            .iter()
            .find_map(|(_, a)| family_id(a))
            .ok_or(IpvsError::NoIpvs)?,
        Err(e) if e.raw_os_error() == Some(2) => return Err(IpvsError::NoIpvs),
        Err(e) => return Err(map(e)),
    };
    let info = transact(&message(
        fam,
        NLM_F_REQUEST,
        2,
        IPVS_CMD_GET_INFO,
        IPVS_GENL_VERSION,
        &[],
    ))
    .map_err(map)?;
    let (mut version, mut size) = (None, None);
    for (_, a) in &info {
        for (t, v) in attrs(a) {
            match t {
                1 => {
                    version =
                        ne32(v).map(|x| format!("{}.{}.{}", x >> 16, (x >> 8) & 0xff, x & 0xff))
                }
                2 => size = ne32(v),
                _ => {}
            }
        }
    }
    let mut services: Vec<Service> = transact(&services_request(fam, 3))
        .map_err(map)?
        .iter()
        .filter_map(|(_, a)| parse_service(a))
        .collect();
    for (i, s) in services.iter_mut().enumerate() {
        s.dests = transact(&dests_request(fam, 4 + i as u32, s))
            .map_err(map)?
            .iter()
            .filter_map(|(_, a)| parse_dest(a, s.af))
            .collect();
    }
    Ok(Table {
        version,
        conn_tab_size: size,
        services,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The family lookup ipvsadm 1.31 sends, recorded with `strace -xx ipvsadm -Ln` on this
    /// machine (sequence number and port id zeroed): our request must be byte-identical.
    #[test]
    fn family_request_matches_ipvsadm() {
        let recorded: [u8; 32] = [
            0x20, 0, 0, 0, // nlmsg_len 32
            0x10, 0, // nlctrl
            0x05, 0, // NLM_F_REQUEST | NLM_F_ACK
            0, 0, 0, 0, // seq
            0, 0, 0, 0, // pid
            0x03, 0x01, 0x00, 0x00, // CTRL_CMD_GETFAMILY, version 1
            0x09, 0x00, 0x02, 0x00, b'I', b'P', b'V', b'S', 0, 0, 0, 0,
        ];
        assert_eq!(family_request(0), recorded);
    }

    /// The generic netlink controller answers for itself (family "nlctrl", id 0x10) on any
    /// kernel: the request/ACK path IPVS's family lookup takes, against the real kernel.
    #[test]
    fn controller_lookup_runs_against_the_kernel() {
        let req = message(
            GENL_ID_CTRL,
            NLM_F_REQUEST | NLM_F_ACK,
            0,
            CTRL_CMD_GETFAMILY,
            1,
            &attr(CTRL_ATTR_FAMILY_NAME, b"nlctrl\0"),
        );
        let replies = transact(&req).unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(family_id(&replies[0].1), Some(GENL_ID_CTRL));
        // A family that does not exist is the kernel's ENOENT (what `table` reads as no IPVS).
        let req = message(
            GENL_ID_CTRL,
            NLM_F_REQUEST | NLM_F_ACK,
            0,
            CTRL_CMD_GETFAMILY,
            1,
            &attr(CTRL_ATTR_FAMILY_NAME, b"no-such-family\0"),
        );
        assert_eq!(transact(&req).unwrap_err().raw_os_error(), Some(2));
        // The dump form ends at DONE and lists the controller too.
        let req = message(
            GENL_ID_CTRL,
            NLM_F_REQUEST | NLM_F_DUMP,
            0,
            CTRL_CMD_GETFAMILY,
            1,
            &[],
        );
        let all = transact(&req).unwrap();
        assert!(all.iter().any(|(_, a)| family_id(a) == Some(GENL_ID_CTRL)));
    }

    /// A controller reply, a Swarm-style firewall-mark service, a TCP service and a real
    /// server, built per linux/ip_vs.h, decode to what ipvsadm -Ln shows.
    #[test]
    fn replies_decode() {
        let reply = [
            attr(CTRL_ATTR_FAMILY_NAME, b"IPVS\0"),
            attr(CTRL_ATTR_FAMILY_ID, &0x1du16.to_ne_bytes()),
        ]
        .concat();
        assert_eq!(family_id(&reply), Some(0x1d));

        let stats = [
            attr(1, &3u32.to_ne_bytes()),
            attr(2, &10u32.to_ne_bytes()),
            attr(4, &640u64.to_ne_bytes()),
        ]
        .concat();
        let fwm = [
            attr(1, &2u16.to_ne_bytes()),
            attr(5, &257u32.to_ne_bytes()),
            attr(6, b"rr\0"),
            attr(7, &[0u8; 8]),
            attr(10 | NLA_F_NESTED, &stats),
        ]
        .concat();
        let s = parse_service(&attr(IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED, &fwm)).unwrap();
        assert_eq!(
            (s.protocol.as_str(), s.fwmark, s.scheduler.as_str(), s.addr),
            ("FWM", Some(257), "rr", None)
        );
        assert_eq!(
            (s.stats.conns, s.stats.inpkts, s.stats.inbytes),
            (3, 10, 640)
        );

        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[10, 0, 0, 7]);
        let tcp = [
            attr(1, &2u16.to_ne_bytes()),
            attr(2, &6u16.to_ne_bytes()),
            attr(3, &a),
            attr(4, &80u16.to_be_bytes()),
            attr(6, b"wlc\0"),
            attr(7, &[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
            attr(8, &300u32.to_ne_bytes()),
        ]
        .concat();
        let s = parse_service(&attr(IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED, &tcp)).unwrap();
        assert_eq!(s.protocol, "TCP");
        assert_eq!(s.addr, Some("10.0.0.7".parse().unwrap()));
        assert_eq!((s.port, s.persistent), (80, Some(300)));
        // And the dest request for it carries the same identity.
        let req = dests_request(0x1d, 9, &s);
        assert_eq!(u16::from_ne_bytes([req[4], req[5]]), 0x1d);
        assert_eq!(req[16], IPVS_CMD_GET_DEST);
        assert!(req.windows(2).any(|w| w == 80u16.to_be_bytes()));

        let mut d = [0u8; 16];
        d[..4].copy_from_slice(&[10, 0, 1, 5]);
        let dest = [
            attr(1, &d),
            attr(2, &8080u16.to_be_bytes()),
            attr(3, &3u32.to_ne_bytes()),
            attr(4, &2u32.to_ne_bytes()),
            attr(7, &4u32.to_ne_bytes()),
            attr(8, &1u32.to_ne_bytes()),
        ]
        .concat();
        let d = parse_dest(&attr(IPVS_CMD_ATTR_DEST | NLA_F_NESTED, &dest), 2).unwrap();
        assert_eq!(d.addr, Some("10.0.1.5".parse().unwrap()));
        assert_eq!(
            (
                d.port,
                d.forward.as_str(),
                d.weight,
                d.active_conns,
                d.inactive_conns
            ),
            (8080, "Route", 2, 4, 1)
        );
        // Truncated and empty input decode to nothing, without panicking.
        assert!(parse_service(&[]).is_none());
        for cut in 0..dest.len() {
            let _ = parse_dest(&attr(IPVS_CMD_ATTR_DEST | NLA_F_NESTED, &dest[..cut]), 2);
            let _ = parse_service(&attr(
                IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED,
                &tcp[..cut.min(tcp.len())],
            ));
        }
    }
}
