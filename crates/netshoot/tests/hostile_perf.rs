//! `perf server` against hostile clients (issue 14): a small client in this file speaks
//! iperf3's control protocol from a namespace of its own and asks for too much (streams ×
//! block length, duration, an unknown congestion control, an oversized JSON), drips its
//! cookie or parameters a byte at a time, or sends a UDP "connect" datagram from another
//! address or with the wrong content. Each case ends within a bound, the server keeps serving
//! the real `iperf3 -c` afterwards, Ctrl-C ends it promptly in any state, and its peak memory
//! (VmHWM) stays small. Root (namespaces).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use netshoot_testnet::cli::text;
use netshoot_testnet::{netns_pair, require_root, Link, Netns};
use serde_json::{json, Value};
use socket2::{Domain, Socket, Type};

const BIN: &str = env!("CARGO_BIN_EXE_netshoot");
const SERVER: &str = "10.94.0.2";
const PORT: u16 = 5201;

/// Hostile side `c` (10.94.0.1, and 10.94.0.3 as a second address) — server side `s`
/// (10.94.0.2, and 10.94.0.4 for `-B`).
fn pair() -> (Netns, Netns, Link) {
    let (c, s, ic, is, l) = netns_pair(("hpc", "10.94.0.1/24"), ("hps", "10.94.0.2/24"));
    c.ip(&["addr", "add", "10.94.0.3/24", "dev", &ic]);
    s.ip(&["addr", "add", "10.94.0.4/24", "dev", &is]);
    (c, s, l)
}

/// Runs `f` on a thread that entered `ns`'s network namespace (its sockets live there).
fn in_ns<T: Send + 'static>(ns: &Netns, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = ns.path();
    std::thread::spawn(move || {
        let fd = std::fs::File::open(&path).expect("open the namespace");
        nix::sched::setns(&fd, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        f()
    })
    .join()
    .expect("the hostile client panicked")
}

/// Our server in `ns`, killed on drop unless stopped.
struct Srv(Option<std::process::Child>);

impl Srv {
    fn start(ns: &Netns, extra: &[&str]) -> Srv {
        let spec = format!("netns:{}", ns.name);
        let port = PORT.to_string();
        let child = Command::new(BIN)
            .args(["-t", &spec, "perf", "server", "-p", &port, "-i", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server");
        ns.wait_listen(PORT, false);
        Srv(Some(child))
    }

    fn pid(&self) -> i32 {
        self.0.as_ref().expect("running").id() as i32
    }

    /// Peak resident memory, KiB.
    fn vm_hwm_kib(&self) -> u64 {
        netshoot_testnet::proc_status(self.pid() as u32, "VmHWM").expect("the server runs")
    }

    /// Sends `sig` and waits up to `within` for the exit (then kills it and fails).
    fn stop(mut self, sig: nix::sys::signal::Signal, within: Duration) -> (Duration, Output) {
        let mut child = self.0.take().expect("running");
        let t0 = Instant::now();
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), sig).expect("signal");
        loop {
            if child.try_wait().expect("wait").is_some() {
                let took = t0.elapsed();
                return (took, child.wait_with_output().expect("output"));
            }
            if t0.elapsed() > within {
                let _ = child.kill();
                let o = child.wait_with_output().expect("output");
                panic!(
                    "the server did not end within {within:?} of {sig}: {}",
                    text(&o.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Srv {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The real iperf3 client in `ns`, bounded by timeout(1).
fn iperf3(ns: &Netns, args: &[&str]) -> Output {
    let port = PORT.to_string();
    let mut v = vec!["timeout", "30", "iperf3", "-c", SERVER, "-p", &port];
    v.extend_from_slice(args);
    ns.output(&v)
}

/// A normal `iperf3 -c` test succeeds against the server.
fn serves_normal_client(c: &Netns, args: &[&str]) {
    let mut v = vec!["-t", "1", "-J"];
    v.extend_from_slice(args);
    let o = iperf3(c, &v);
    let j: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("iperf3 -J ({e}): {} {}", text(&o.stdout), text(&o.stderr)));
    assert!(j.get("error").is_none(), "iperf3 {args:?}: {}", j["error"]);
    assert_eq!(o.status.code(), Some(0), "iperf3 {args:?}");
}

/// A control connection from `from` that sent its cookie and got PARAM_EXCHANGE.
fn hello(from: &str) -> TcpStream {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    s.bind(&SocketAddr::new(from.parse().unwrap(), 0).into())
        .unwrap();
    let to: SocketAddr = format!("{SERVER}:{PORT}").parse().unwrap();
    s.connect_timeout(&to.into(), Duration::from_secs(3))
        .expect("connect to the server");
    let mut t: TcpStream = s.into();
    t.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut cookie = [b'h'; 37];
    cookie[36] = 0;
    t.write_all(&cookie).unwrap();
    assert_eq!(state(&mut t), 9, "PARAM_EXCHANGE");
    t
}

fn state(t: &mut TcpStream) -> i8 {
    let mut b = [0u8; 1];
    t.read_exact(&mut b).expect("a state byte");
    b[0] as i8
}

fn send_json(t: &mut TcpStream, v: &Value) {
    let body = serde_json::to_vec(v).unwrap();
    t.write_all(&(body.len() as u32).to_be_bytes()).unwrap();
    t.write_all(&body).unwrap();
}

/// SERVER_ERROR and its (iperf3 error number, errno).
fn server_error(t: &mut TcpStream) -> (i32, i32) {
    assert_eq!(state(t), -2, "SERVER_ERROR");
    let mut b = [0u8; 8];
    t.read_exact(&mut b).expect("the error numbers");
    (
        i32::from_be_bytes(b[..4].try_into().unwrap()),
        i32::from_be_bytes(b[4..].try_into().unwrap()),
    )
}

/// Writes `bytes` a byte every `every` until the server closes the connection; returns how
/// long that took and what the server sent.
fn drip(
    t: &mut TcpStream,
    bytes: &[u8],
    every: Duration,
    give_up: Duration,
) -> (Duration, Vec<u8>) {
    let t0 = Instant::now();
    let mut got = Vec::new();
    t.set_read_timeout(Some(every)).unwrap();
    let mut i = 0;
    while t0.elapsed() < give_up {
        if t.write_all(&bytes[i % bytes.len()..][..1]).is_err() {
            return (t0.elapsed(), got);
        }
        i += 1;
        let mut b = [0u8; 64];
        match t.read(&mut b) {
            Ok(0) => return (t0.elapsed(), got),
            Ok(n) => got.extend_from_slice(&b[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return (t0.elapsed(), got),
        }
    }
    panic!("the server still reads a byte every {every:?} after {give_up:?}");
}

/// `-P 128 --bidir -l 16M` and the other over-limit asks get iperf3's SERVER_ERROR with the
/// number a real iperf3 client prints; the server keeps serving and stays small.
#[test]
fn abusive_parameters_are_refused_and_the_server_keeps_serving() {
    require_root!();
    let (c, s, _l) = pair();
    let srv = Srv::start(&s, &[]);
    let asks = in_ns(&c, || {
        let asks: Vec<(Value, i32)> = vec![
            (
                json!({"tcp": true, "time": 1, "parallel": 128, "bidirectional": true, "len": 16 << 20}),
                7,
            ),
            (json!({"tcp": true, "time": 1, "parallel": 500}), 6),
            (json!({"tcp": true, "time": 100000}), 5),
            (json!({"tcp": true, "time": 4000}), 37),
            (
                json!({"tcp": true, "time": 1, "parallel": 128, "bidirectional": true, "len": 1 << 20}),
                100,
            ),
            (json!({"udp": true, "time": 1, "len": 70000}), 20),
            (
                json!({"tcp": true, "time": 1, "congestion": "no_such_cc"}),
                134,
            ),
            (
                json!({"tcp": true, "time": 1, "congestion": "../../x\u{1b}[2J"}),
                134,
            ),
        ];
        let mut seen = Vec::new();
        for (params, want) in asks {
            let t0 = Instant::now();
            let mut t = hello("10.94.0.1");
            send_json(&mut t, &params);
            let (ierr, _) = server_error(&mut t);
            assert_eq!(ierr, want, "{params}");
            assert!(t0.elapsed() < Duration::from_secs(3), "{params}");
            seen.push(ierr);
        }
        // A 1 MiB parameters document is refused when announced (iperf3 caps it at 8 KiB).
        let mut t = hello("10.94.0.1");
        t.write_all(&(1u32 << 20).to_be_bytes()).unwrap();
        assert_eq!(server_error(&mut t).0, 114, "oversized JSON");
        seen
    });
    assert_eq!(asks.len(), 8);
    // The real iperf3 client shows the server's refusal as an error.
    let o = iperf3(&c, &["-t", "1", "-P", "128", "--bidir", "-l", "1M"]);
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert_ne!(o.status.code(), Some(0), "{all}");
    assert!(all.contains("unable to create a new test"), "{all}");
    // Still serving, and small.
    serves_normal_client(&c, &[]);
    serves_normal_client(&c, &["-P", "4", "-R"]);
    let hwm = srv.vm_hwm_kib();
    assert!(hwm < 64 * 1024, "VmHWM {hwm} kB");
    let (_, out) = srv.stop(nix::sys::signal::Signal::SIGINT, Duration::from_secs(1));
    let err = text(&out.stderr);
    for flag in [
        "--max-block",
        "--max-streams",
        "--max-duration",
        "--max-buffers",
        "-C",
    ] {
        assert!(
            err.lines()
                .any(|l| l.contains("refused the client's test") && l.contains(flag)),
            "no one-line refusal naming {flag}: {err}"
        );
    }
    assert!(
        !err.contains('\u{1b}'),
        "a raw ESC reached the server's stderr"
    );
}

/// A cookie or parameters sent a byte at a time end at the setup timeout (a deadline for the
/// whole read, not for each byte); then the server serves again.
#[test]
fn dripped_cookie_and_parameters_end_at_the_setup_timeout() {
    require_root!();
    let (c, s, _l) = pair();
    let srv = Srv::start(&s, &["--setup-timeout", "2"]);
    let (cookie, params) = in_ns(&c, || {
        let to: SocketAddr = format!("{SERVER}:{PORT}").parse().unwrap();
        let mut t = TcpStream::connect_timeout(&to, Duration::from_secs(3)).unwrap();
        let cookie = drip(
            &mut t,
            b"abcdefgh",
            Duration::from_millis(300),
            Duration::from_secs(8),
        );
        let mut t = hello("10.94.0.1");
        t.write_all(&100u32.to_be_bytes()).unwrap();
        let params = drip(
            &mut t,
            b"{\"tcp\": ",
            Duration::from_millis(300),
            Duration::from_secs(8),
        );
        (cookie, params)
    });
    assert!(
        cookie.0 < Duration::from_millis(3500),
        "cookie drip held {:?}",
        cookie.0
    );
    assert!(
        params.0 < Duration::from_millis(3500),
        "JSON drip held {:?}",
        params.0
    );
    // iperf3's SERVER_ERROR "unable to receive parameters from client" (unless the close
    // raced ahead of it: then the server's stderr still says why).
    assert!(params.1.is_empty() || params.1[0] == 0xfe, "{:?}", params.1);
    serves_normal_client(&c, &[]);
    let (_, out) = srv.stop(nix::sys::signal::Signal::SIGTERM, Duration::from_secs(1));
    assert!(
        text(&out.stderr).contains("sent no test parameters within"),
        "{}",
        text(&out.stderr)
    );
}

/// Ctrl-C while a client drips its parameters ends the server within a second.
#[test]
fn sigint_during_a_drip_ends_the_server_within_a_second() {
    require_root!();
    let (c, s, _l) = pair();
    let srv = Srv::start(&s, &[]);
    let dripper = {
        let path = c.path();
        std::thread::spawn(move || {
            let fd = std::fs::File::open(&path).unwrap();
            nix::sched::setns(&fd, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            let mut t = hello("10.94.0.1");
            t.write_all(&1000u32.to_be_bytes()).unwrap();
            // Until the server is gone.
            drip(
                &mut t,
                b"{",
                Duration::from_millis(200),
                Duration::from_secs(15),
            )
        })
    };
    std::thread::sleep(Duration::from_millis(800));
    let (took, out) = srv.stop(nix::sys::signal::Signal::SIGINT, Duration::from_secs(1));
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (held, _) = dripper.join().unwrap();
    assert!(held < Duration::from_secs(3), "{held:?}");
}

/// In a reverse UDP test the server sends to whoever sent the UDP "connect" datagram: one
/// from another address, or with other content, is ignored; the client's own gets the reply
/// and the data.
#[test]
fn udp_connect_from_another_address_or_with_garbage_is_ignored() {
    require_root!();
    let (c, s, _l) = pair();
    let srv = Srv::start(&s, &[]);
    in_ns(&c, || {
        let mut t = hello("10.94.0.1");
        send_json(
            &mut t,
            &json!({"udp": true, "reverse": true, "time": 2, "parallel": 1,
                    "len": 1400, "bandwidth": 1_000_000, "pacing_timer": 1000}),
        );
        assert_eq!(state(&mut t), 10, "CREATE_STREAMS");
        let to = format!("{SERVER}:{PORT}");
        let magic = 0x3637_3839u32.to_ne_bytes();
        let spoofer = UdpSocket::bind("10.94.0.3:0").unwrap();
        let client = UdpSocket::bind("10.94.0.1:0").unwrap();
        for u in [&spoofer, &client] {
            u.set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
        }
        // Another address with the right value; the client's address with garbage.
        spoofer.send_to(&magic, &to).unwrap();
        client.send_to(b"hello, server", &to).unwrap();
        client.send_to(&[0u8; 4], &to).unwrap();
        let mut b = [0u8; 2048];
        assert!(
            spoofer.recv_from(&mut b).is_err(),
            "the spoofer got an answer"
        );
        assert!(client.recv_from(&mut b).is_err(), "garbage got an answer");
        // The client's own connect datagram.
        client.send_to(&magic, &to).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let (n, _) = client.recv_from(&mut b).expect("the connect reply");
        assert_eq!(&b[..n], &0x3938_3736u32.to_ne_bytes(), "UDP_CONNECT_REPLY");
        assert_eq!(state(&mut t), 1, "TEST_START");
        assert_eq!(state(&mut t), 2, "TEST_RUNNING");
        let (n, _) = client.recv_from(&mut b).expect("data");
        assert_eq!(n, 1400);
        assert!(
            spoofer.recv_from(&mut b).is_err(),
            "data went to the spoofer"
        );
        // CLIENT_TERMINATE.
        t.write_all(&[12]).unwrap();
    });
    std::thread::sleep(Duration::from_millis(500));
    serves_normal_client(&c, &["-u", "-b", "10M"]);
    serves_normal_client(&c, &["-u", "-b", "10M", "-R"]);
    srv.stop(nix::sys::signal::Signal::SIGINT, Duration::from_secs(1));
}

/// `-B ADDRESS` listens on that address only (as iperf3 -s -B).
#[test]
fn bind_listens_on_one_address() {
    require_root!();
    let (c, s, _l) = pair();
    let spec = format!("netns:{}", s.name);
    let srv = Command::new(BIN)
        .args(["-t", &spec, "iperf3", "-s", "-1", "-B", "10.94.0.4", "-J"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let srv = Srv(Some(srv));
    s.wait_listen(PORT, false);
    let refused = in_ns(&c, || {
        let to: SocketAddr = format!("{SERVER}:{PORT}").parse().unwrap();
        TcpStream::connect_timeout(&to, Duration::from_secs(2)).is_err()
    });
    assert!(refused, "the server answers on {SERVER} too");
    let port = PORT.to_string();
    let o = c.output(&[
        "timeout",
        "30",
        "iperf3",
        "-c",
        "10.94.0.4",
        "-p",
        &port,
        "-t",
        "1",
        "-J",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    drop(srv);
}

/// A fake iperf3 server in `ns` on SERVER:PORT for one test: it runs the protocol up to the
/// results exchange (draining the client's one data stream), takes the client's results,
/// then does `results` on the control connection instead of sending its own, and holds the
/// connection open until `hold` has passed.
fn fake_server(
    ns: &Netns,
    results: impl FnOnce(&mut TcpStream) + Send + 'static,
    hold: Duration,
) -> std::thread::JoinHandle<()> {
    let path = ns.path();
    let (bound, ready) = std::sync::mpsc::channel();
    let h = std::thread::spawn(move || {
        let fd = std::fs::File::open(&path).expect("open the namespace");
        nix::sched::setns(&fd, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        let l = std::net::TcpListener::bind((SERVER, PORT)).expect("bind the fake server");
        bound.send(()).unwrap();
        let (mut ctrl, _) = l.accept().unwrap();
        let mut cookie = [0u8; 37];
        ctrl.read_exact(&mut cookie).unwrap();
        ctrl.write_all(&[9]).unwrap();
        let read_json = |t: &mut TcpStream| {
            let mut n = [0u8; 4];
            t.read_exact(&mut n).unwrap();
            let mut b = vec![0u8; u32::from_be_bytes(n) as usize];
            t.read_exact(&mut b).unwrap();
        };
        read_json(&mut ctrl);
        ctrl.write_all(&[10]).unwrap();
        let (mut data, _) = l.accept().unwrap();
        std::thread::spawn(move || {
            let mut b = vec![0u8; 1 << 16];
            while matches!(data.read(&mut b), Ok(n) if n > 0) {}
        });
        ctrl.write_all(&[1, 2]).unwrap();
        // TEST_END from the client, then the exchange.
        assert_eq!(state(&mut ctrl), 4, "TEST_END");
        ctrl.write_all(&[13]).unwrap();
        read_json(&mut ctrl);
        let t0 = Instant::now();
        results(&mut ctrl);
        std::thread::sleep(hold.saturating_sub(t0.elapsed()));
    });
    ready
        .recv_timeout(Duration::from_secs(5))
        .expect("the fake server is listening");
    h
}

/// Runs `netshoot -t netns:NS perf client …` with a watchdog of `limit`: status, stdout,
/// stderr and how long it took.
fn client_within(ns: &Netns, args: &[&str], limit: Duration) -> (Option<i32>, String, Duration) {
    let spec = format!("netns:{}", ns.name);
    let port = PORT.to_string();
    let mut child = Command::new(BIN)
        .args(["-t", &spec, "perf", "client", SERVER, "-p", &port])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the client");
    let t0 = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("perf client {args:?} still ran after {limit:?} (killed)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = t0.elapsed();
    let o = child.wait_with_output().unwrap();
    (code, text(&o.stdout) + &text(&o.stderr), took)
}

/// A server whose results JSON announces 4 GiB is refused at once (the client reads at most
/// 1 MiB), and one that drips its results a byte every 0.3 s is given up at the client's
/// --connect-timeout for the whole exchange: each one line, exit 1, bounded time.
#[test]
fn a_servers_huge_or_dripped_results_end_the_client_in_bounded_time() {
    require_root!();
    let (c, s, _l) = pair();
    let args = ["-t", "1", "-i", "0", "-b", "20M", "--connect-timeout", "2"];

    let fake = fake_server(
        &s,
        |t| t.write_all(&0xffff_fff0u32.to_be_bytes()).unwrap(),
        Duration::from_secs(2),
    );
    let (code, out, took) = client_within(&c, &args, Duration::from_secs(8));
    assert_eq!(code, Some(1), "{out}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    let cut: Vec<&str> = out.lines().filter(|l| l.contains("cut short")).collect();
    assert_eq!(
        cut,
        ["netshoot: perf: test cut short: exchanging results: the peer does not speak iperf3: it announced a 4294967280-byte JSON document (the limit is 1048576)"],
        "{out}"
    );
    fake.join().unwrap();

    let fake = fake_server(
        &s,
        |t| {
            t.write_all(&1000u32.to_be_bytes()).unwrap();
            for _ in 0..30 {
                if t.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        },
        Duration::ZERO,
    );
    let (code, out, took) = client_within(&c, &args, Duration::from_secs(10));
    assert_eq!(code, Some(1), "{out}");
    // One second of test, then the 2 s exchange deadline.
    assert!(
        took >= Duration::from_millis(2900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    let cut: Vec<&str> = out.lines().filter(|l| l.contains("cut short")).collect();
    assert_eq!(
        cut,
        ["netshoot: perf: test cut short: exchanging results: the peer does not speak iperf3: it sent no whole results within 2 s (--connect-timeout SECONDS waits longer)"],
        "{out}"
    );
    fake.join().unwrap();
}

/// A UDP reverse test that asks for an unlimited rate (`-b 0`) on two streams gets the
/// server's `--max-bitrate` shared among them (one line on the server's stderr); given, the
/// flag caps a TCP reverse test too.
#[test]
fn the_server_caps_what_a_client_makes_it_send_over_udp() {
    require_root!();
    let (c, s, _l) = pair();
    let srv = Srv::start(&s, &["--max-bitrate", "20M"]);
    let o = iperf3(&c, &["-u", "-R", "-b", "0", "-P", "2", "-t", "2", "-J"]);
    let j: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("iperf3 -J ({e}): {} {}", text(&o.stdout), text(&o.stderr)));
    assert!(j.get("error").is_none(), "{}", j["error"]);
    let bps = j["end"]["sum"]["bits_per_second"].as_f64().unwrap_or(0.0);
    assert!(
        (10e6..=22e6).contains(&bps),
        "the server sent {bps} bit/s over UDP with --max-bitrate 20M"
    );
    serves_normal_client(&c, &["-R"]);
    let (_, out) = srv.stop(nix::sys::signal::Signal::SIGTERM, Duration::from_secs(1));
    let err = text(&out.stderr);
    let capped: Vec<&str> = err.lines().filter(|l| l.contains("max-bitrate")).collect();
    assert_eq!(
        capped,
        [
            "netshoot: perf server: the client asked for an unlimited rate per stream (UDP); sending at 10000000 bit/s on each of 2 (--max-bitrate RATE allows more)",
            // Given, the flag caps TCP too (by default it does not: see Limits' unit test).
            "netshoot: perf server: the client asked for an unlimited rate per stream (TCP); sending at 20000000 bit/s on each of 1 (--max-bitrate RATE allows more)"
        ],
        "{err}"
    );
}
