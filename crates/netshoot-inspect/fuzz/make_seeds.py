#!/usr/bin/env python3
"""Writes the seed corpora of this crate's fuzz targets from real kernel replies.

Run as root: `unshare -n python3 make_seeds.py` (a fresh network namespace, gone on exit). It
sets up nftables rules and sets, conntrack entries, iptables-legacy rules and a few sockets, asks
the kernel the same dumps netshoot asks, and writes each reply (every datagram, length-prefixed
with 2 big-endian bytes, after the target's selector byte, see exercise.rs) to
corpus/TARGET/seed-*. IPVS seeds are built per linux/ip_vs.h (no ip_vs module here).
"""
import ctypes
import os
import socket
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SEQ = 0x4E53


def sh(cmd, stdin=None):
    subprocess.run(cmd, shell=True, check=True, input=stdin, text=True)


def nlmsg(kind, flags, body, seq=SEQ):
    return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body


def nlattr(t, payload):
    a = struct.pack("=HH", 4 + len(payload), t) + payload
    return a + b"\0" * ((4 - len(a) % 4) % 4)


def dump(proto, msg):
    """The reply datagrams of one request, until NLMSG_DONE / an error."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
    s.bind((0, 0))
    s.send(msg)
    out = []
    while True:
        d = s.recv(1 << 20)
        out.append(d)
        off, done = 0, False
        while off + 16 <= len(d):
            ln, ty = struct.unpack_from("=IH", d, off)
            if ty in (2, 3):
                done = True
            off += (ln + 3) & ~3
        if done:
            return b"".join(out)


def framed(*dgrams):
    return b"".join(struct.pack(">H", len(d)) + d for d in dgrams)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def nfnl(subsys, msg, family, attrs=b""):
    body = struct.pack("=BBH", family, 0, 0) + attrs
    return dump(12, nlmsg((subsys << 8) | msg, 0x301, body))


sh("ip link set lo up")

# --- nf_tables ----------------------------------------------------------------------------
RULESETS = {
    "filter": """
table ip filter {
  set blocked { type ipv4_addr; flags interval; elements = { 10.9.0.0/16, 192.0.2.7 }; }
  chain INPUT { type filter hook input priority 0; policy drop;
    ct state established,related accept
    iifname "lo" accept
    ip saddr @blocked drop
    tcp dport { 22, 80, 443 } counter accept
    ip protocol icmp icmp type echo-request limit rate 5/second accept
    udp dport 53 reject with icmp type port-unreachable
  }
  chain FORWARD { type filter hook forward priority 0; policy accept; jump custom; }
  chain custom { ip daddr 10.0.0.0/8 tcp flags syn / syn,ack log prefix "syn " return; meta mark 0x1 drop; }
}
""",
    "nat": """
table ip nat {
  chain PREROUTING { type nat hook prerouting priority -100; tcp dport 8080 dnat to 10.0.0.5:80; }
  chain POSTROUTING { type nat hook postrouting priority 100; oifname "eth0" masquerade; }
}
table ip6 filter6 {
  chain input { type filter hook input priority 0; ip6 saddr fd00::/8 meta l4proto tcp th dport 22 accept; icmpv6 type { nd-neighbor-solicit, echo-request } accept; }
}
table inet mixed {
  set ports { type inet_service; elements = { 53, 123 }; }
  chain output { type filter hook output priority 0; udp dport @ports counter accept; ip6 daddr ::1 reject with tcp reset; }
}
""",
}
for name, rules in RULESETS.items():
    sh("nft flush ruleset")
    sh("nft -f -", stdin=rules)
    chains = nfnl(10, 4, 0)
    rules_ = nfnl(10, 7, 0)
    sets = nfnl(10, 10, 0)
    set_name = b"blocked" if name == "filter" else b"ports"
    table = b"filter" if name == "filter" else b"mixed"
    fam = 2 if name == "filter" else 1
    elems = nfnl(10, 13, fam, nlattr(1, table + b"\0") + nlattr(2, set_name + b"\0"))
    write("nfnetlink", "nft-" + name, b"\x01" + framed(chains, rules_, elems, sets))
# iptables-nft rules: native expressions and xtables matches and targets in compat expressions.
sh("nft flush ruleset")
for rule in [
    "-A INPUT -i lo -j ACCEPT",
    "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT",
    "-A INPUT -m addrtype --dst-type LOCAL -p icmp --icmp-type 8 -m limit --limit 5/sec -j ACCEPT",
    "-A INPUT -s 10.9.0.0/16 -p udp --dport 53 -j REJECT --reject-with icmp-port-unreachable",
    "-N DOCKER-USER",
    "-A DOCKER-USER ! -i eth0+ -d 172.17.0.0/16 -j RETURN",
    "-A FORWARD -j DOCKER-USER",
    "-t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.5:80",
    "-t nat -A POSTROUTING -o eth0 -p tcp -j MASQUERADE --to-ports 1024-65535",
]:
    sh("iptables-nft " + rule)
write("nfnetlink", "nft-iptables-compat", b"\x01" + framed(nfnl(10, 4, 0), nfnl(10, 7, 0), b"", nfnl(10, 10, 0)))
sh("nft flush ruleset")

# --- conntrack ----------------------------------------------------------------------------
sh("conntrack -I -s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 40000 --dport 80 --state ESTABLISHED -t 100 --mark 7")
sh("conntrack -I -s 10.0.0.1 -d 10.0.0.3 -p udp --sport 5353 --dport 53 -t 30")
sh("conntrack -I -s 10.0.0.1 -d 10.0.0.4 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 77 -t 30")
sh("conntrack -I -s fd00::1 -d fd00::2 -p tcp --sport 1 --dport 443 --state SYN_SENT -t 60")
write("nfnetlink", "conntrack-all", b"\x00" + framed(nfnl(1, 1, 0)))
write("nfnetlink", "conntrack-v6", b"\x00" + framed(nfnl(1, 1, 10)))

# --- sock_diag ----------------------------------------------------------------------------
keep = []
for fam, addr in ((socket.AF_INET, ("127.0.0.1", 8080)), (socket.AF_INET6, ("::1", 8081))):
    l = socket.socket(fam, socket.SOCK_STREAM)
    if fam == socket.AF_INET6:
        l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    l.bind(addr)
    l.listen(5)
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.connect(addr)
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr[0], 5353))
    keep += [l, c, u]
keep.append(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
for sel, (fam, proto, name) in {
    0: (2, 6, "tcp4"), 2: (2, 17, "udp4"), 4: (2, 255, "raw4"), 6: (10, 6, "tcp6"),
}.items():
    req = struct.pack("=BBBBI", fam, proto if proto != 255 else 255, 0, 255 if proto == 255 else 0, 0xFFFFFFFF) + b"\0" * 48
    write("sockdiag", "inet-" + name, bytes([sel]) + dump(4, nlmsg(20, 0x301, req)))
ul = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ul.bind("\0netshoot-fuzz-abstract")
ul.listen(3)
pl = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
path = "/tmp/netshoot-fuzz-%d.sock" % os.getpid()
pl.bind(path)
pl.listen(1)
keep += [ul, pl, *socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)]
keep.append(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
uc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
uc.connect("\0netshoot-fuzz-abstract")
keep.append(uc)
req = struct.pack("=BBHIII", 1, 0, 0, 0xFFFFFFFF, 0, 1 | 4 | 0x10) + b"\xff" * 8
write("sockdiag", "unix", b"\x80" + dump(4, nlmsg(20, 0x301, req)))
os.unlink(path)
with open("/proc/net/raw") as f:
    write("sockdiag", "proc-raw", b"\x01" + f.read().encode())
with open("/proc/net/raw6") as f:
    write("sockdiag", "proc-raw6", b"\x01" + f.read().encode())

# --- iptables-legacy ----------------------------------------------------------------------
libc = ctypes.CDLL(None, use_errno=True)


def ipt_blob(table):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    info = ctypes.create_string_buffer(table.encode(), 84)
    ln = ctypes.c_uint32(84)
    if libc.getsockopt(s.fileno(), 0, 64, info, ctypes.byref(ln)) != 0:
        raise OSError(ctypes.get_errno(), "IPT_SO_GET_INFO")
    raw = info.raw
    size = struct.unpack_from("=I", raw, 80)[0]
    buf = ctypes.create_string_buffer(40 + size)
    buf.raw = table.encode().ljust(32, b"\0") + struct.pack("=I", size) + b"\0" * (4 + size)
    ln = ctypes.c_uint32(40 + size)
    if libc.getsockopt(s.fileno(), 0, 65, buf, ctypes.byref(ln)) != 0:
        raise OSError(ctypes.get_errno(), "IPT_SO_GET_ENTRIES")
    return raw[32:76] + buf.raw[40:]


for rule in [
    "-A INPUT -i lo -j ACCEPT",
    "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT",
    "-A INPUT -s 10.9.0.0/16 -p udp --dport 53 -j REJECT --reject-with icmp-port-unreachable",
    "-A INPUT -m addrtype --dst-type LOCAL -p icmp --icmp-type 8 -j ACCEPT",
    "-N DOCKER-USER",
    "-A DOCKER-USER ! -i eth0+ -d 172.17.0.0/16 -j RETURN",
    "-A FORWARD -j DOCKER-USER",
    "-P FORWARD DROP",
]:
    sh("iptables-legacy " + rule)
for rule in [
    "-t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.5:80",
    "-t nat -A POSTROUTING -o eth0 -p tcp -j MASQUERADE --to-ports 1024-65535",
    "-t nat -A POSTROUTING -s 10.0.0.0/24 -j SNAT --to-source 192.0.2.1",
    "-t mangle -A PREROUTING -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu",
]:
    try:
        sh("iptables-legacy " + rule)
    except subprocess.CalledProcessError:
        pass
for table in ("filter", "nat", "mangle"):
    try:
        blob = ipt_blob(table)
    except OSError:
        continue
    for sel in (0, 1):
        write("iptables", f"{table}-{'counters' if sel else 'plain'}", bytes([sel]) + blob)

# --- IPVS (generic netlink), built per linux/ip_vs.h ---------------------------------------
NESTED = 0x8000


def genl(kind, cmd, attrs, flags=2):
    return nlmsg(kind, flags, struct.pack("=BBH", cmd, 1, 0) + attrs)


done = nlmsg(3, 2, struct.pack("=i", 0))
ctrl = genl(0x10, 1, nlattr(2, b"IPVS\0") + nlattr(1, struct.pack("=H", 0x1D)), flags=0)
stats = nlattr(1, struct.pack("=I", 3)) + nlattr(2, struct.pack("=I", 10)) + nlattr(4, struct.pack("=Q", 640))
fwm = (nlattr(1, struct.pack("=H", 2)) + nlattr(5, struct.pack("=I", 257)) + nlattr(6, b"rr\0")
       + nlattr(7, b"\0" * 8) + nlattr(10 | NESTED, stats))
tcp = (nlattr(1, struct.pack("=H", 2)) + nlattr(2, struct.pack("=H", 6))
       + nlattr(3, bytes([10, 0, 0, 7]) + b"\0" * 12) + nlattr(4, struct.pack(">H", 80))
       + nlattr(6, b"wlc\0") + nlattr(7, bytes([1, 0, 0, 0, 255, 255, 255, 255]))
       + nlattr(8, struct.pack("=I", 300)) + nlattr(11 | NESTED, stats))
tcp6 = (nlattr(1, struct.pack("=H", 10)) + nlattr(2, struct.pack("=H", 17))
        + nlattr(3, socket.inet_pton(socket.AF_INET6, "fd00::7")) + nlattr(4, struct.pack(">H", 53))
        + nlattr(6, b"sh\0") + nlattr(7, b"\0" * 8))
services = (genl(0x1D, 1, nlattr(1 | NESTED, fwm)) + genl(0x1D, 1, nlattr(1 | NESTED, tcp))
            + genl(0x1D, 1, nlattr(1 | NESTED, tcp6)) + done)
dest = (nlattr(1, bytes([10, 0, 1, 5]) + b"\0" * 12) + nlattr(2, struct.pack(">H", 8080))
        + nlattr(3, struct.pack("=I", 3)) + nlattr(4, struct.pack("=I", 2))
        + nlattr(7, struct.pack("=I", 4)) + nlattr(8, struct.pack("=I", 1)) + nlattr(9 | NESTED, stats))
dest6 = (nlattr(1, socket.inet_pton(socket.AF_INET6, "fd00::9")) + nlattr(2, struct.pack(">H", 53))
         + nlattr(3, struct.pack("=I", 0)) + nlattr(4, struct.pack("=I", 1)) + nlattr(11, struct.pack("=H", 10)))
dests = genl(0x1D, 5, nlattr(2 | NESTED, dest)) + genl(0x1D, 5, nlattr(2 | NESTED, dest6)) + done
write("nfnetlink", "ipvs-table", b"\x02" + framed(ctrl, services, dests))
