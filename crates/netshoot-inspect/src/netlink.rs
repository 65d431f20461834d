//! A synchronous rtnetlink request helper: one request on a fresh socket created in the calling
//! thread's namespace, every reply collected until the kernel says it is done.

use std::io;

use netlink_packet_core::{
    NetlinkDeserializable, NetlinkHeader, NetlinkMessage, NetlinkPayload, NetlinkSerializable,
    NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

/// Sends a dump request (`NLM_F_DUMP`) and returns every message of the multipart reply.
pub fn dump(request: RouteNetlinkMessage) -> io::Result<Vec<RouteNetlinkMessage>> {
    transact(NETLINK_ROUTE, request, NLM_F_DUMP | NLM_F_REQUEST)
}

/// Sends a single request (`RTM_GETROUTE` for one destination, `RTM_GETNSID`, …) with
/// `NLM_F_ACK` and returns the reply messages that precede the kernel's ACK. A kernel error comes back as `io::Error` with the kernel's errno
/// (`ENETUNREACH` for a route lookup that finds none).
pub fn request(request: RouteNetlinkMessage) -> io::Result<Vec<RouteNetlinkMessage>> {
    transact(NETLINK_ROUTE, request, NLM_F_REQUEST | NLM_F_ACK)
}

/// One request of any netlink family (`NETLINK_ROUTE`, `NETLINK_SOCK_DIAG`, …) on a fresh
/// socket in the calling thread's namespace; the replies until `NLMSG_DONE` or the ACK.
pub fn transact<M>(protocol: isize, request: M, flags: u16) -> io::Result<Vec<M>>
where
    M: NetlinkSerializable + NetlinkDeserializable + std::fmt::Debug,
{
    let mut socket = Socket::new(protocol)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;

    let mut header = NetlinkHeader::default();
    header.flags = flags;
    header.sequence_number = 1;
    let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(request));
    packet.finalize();
    let mut buf = vec![0u8; packet.buffer_len()];
    packet.serialize(&mut buf[..]);
    socket.send(&buf, 0)?;

    let mut out = Vec::new();
    loop {
        let (data, _) = socket.recv_from_full()?;
        if data.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "netlink socket closed mid-reply",
            ));
        }
        let mut offset = 0;
        while offset < data.len() {
            let msg: NetlinkMessage<M> = NetlinkMessage::deserialize(&data[offset..])
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("netlink: {e}")))?;
            let len = msg.header.length as usize;
            match msg.payload {
                // A dump the kernel cannot serve (a missing diag module) ends in DONE with -errno.
                NetlinkPayload::Done(d) if d.code < 0 => {
                    return Err(io::Error::from_raw_os_error(-d.code))
                }
                NetlinkPayload::Done(_) => return Ok(out),
                NetlinkPayload::Error(e) => match e.code {
                    Some(code) => return Err(io::Error::from_raw_os_error(-code.get())),
                    // The ACK closes a single request.
                    None => return Ok(out),
                },
                NetlinkPayload::InnerMessage(m) => out.push(m),
                _ => {}
            }
            if len == 0 {
                break;
            }
            offset += len;
        }
    }
}
