//! Hostile peers for `connect`, `listen`, `nc` and `netgen -l` (issue 14): a TCP peer that
//! accepts and never sends, one that drips a byte at a time, a peer that connects to a listener
//! and stays silent, and a flood of endless lines at netgen's listener. Each case asserts a
//! bounded end (a watchdog kills a regression instead of hanging), the exit status and one
//! line, and for the listeners that they keep serving within a memory cap (root).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netshoot_testnet::cli::{finish, text, Netshoot, Ran};
use netshoot_testnet::{netns_pair, require_root, Group, Link, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// client 10.86.0.1 — server 10.86.0.2.
fn pair() -> (Netns, Netns, Link) {
    let (c, s, _, _, l) = netns_pair(("hnc", "10.86.0.1/24"), ("hns", "10.86.0.2/24"));
    (c, s, l)
}

/// A background program inside a namespace, in a process group killed on drop.
fn group(ns: &Netns, argv: &[&str]) -> Group {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &ns.name]).args(argv);
    Group::spawn(cmd)
}

/// Runs netshoot with stdin held open (so only the peer or a bound can end it), killing it
/// and failing the test when it outlives `limit`.
fn bounded(args: &[&str], limit: Duration) -> Ran {
    let (child, _held) = spawn_held(args);
    finish(child, limit, &format!("netshoot {args:?}"))
}

/// Waits until `ns` holds an established TCP connection on local port `port`.
fn wait_established(ns: &Netns, port: u16) {
    let filter = format!("sport = :{port}");
    for _ in 0..100 {
        let o = ns.output(&["ss", "-Htn", "state", "established", &filter]);
        if !o.stdout.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no connection reached port {port}");
}

/// `connect -w 1` and `nc -w 1` to a peer that accepts and never sends end after about a
/// second, exit 0 as netcat-openbsd does, with one line; `--deadline` ends a peer that drips
/// a byte every 0.3 s (so never idle), exit 1, one line.
#[test]
fn connect_w_ends_a_silent_peer_and_deadline_a_dripping_one() {
    require_root!();
    let (c, s, _l) = pair();
    let spec = format!("netns:{}", c.name);
    let _silent = group(
        &s,
        &["socat", "TCP-LISTEN:7701,fork,reuseaddr", "SYSTEM:sleep 60"],
    );
    let _drip = group(
        &s,
        &[
            "socat",
            "TCP-LISTEN:7702,fork,reuseaddr",
            // (socat splits its address at ':', so no `while :`.)
            "SYSTEM:while true; do printf x; sleep 0.3; done",
        ],
    );
    s.wait_listen(7701, false);
    s.wait_listen(7702, false);

    let r = bounded(
        &["-t", &spec, "connect", "-w", "1", "10.86.0.2", "7701"],
        Duration::from_secs(3),
    );
    assert_eq!(r.code, Some(0), "{}", r.err);
    assert!(r.took >= Duration::from_millis(900), "{:?}", r.took);
    assert_eq!(
        r.err,
        "netshoot: 10.86.0.2:7701: nothing received or sent for 1 s; closed (-w SECONDS waits longer)\n"
    );
    assert!(r.out.is_empty());

    // The classic name: netcat-openbsd's status and line, next to the real one's.
    let ours = bounded(
        &["-t", &spec, "nc", "-v", "-w", "1", "10.86.0.2", "7701"],
        Duration::from_secs(3),
    );
    let mut nc = Command::new("ip")
        .args(["netns", "exec", &c.name, "timeout", "5"])
        .args(["nc", "-v", "-w", "1", "10.86.0.2", "7701"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let held = nc.stdin.take();
    let theirs = nc.wait_with_output().unwrap();
    drop(held);
    assert_eq!(ours.code, theirs.status.code());
    assert_eq!(ours.err, text(&theirs.stderr));
    assert_eq!(ours.err.lines().count(), 1, "{}", ours.err);

    let r = bounded(
        &[
            "-t",
            &spec,
            "connect",
            "-w",
            "1",
            "--deadline",
            "2",
            "10.86.0.2",
            "7702",
        ],
        Duration::from_secs(4),
    );
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(r.took >= Duration::from_millis(1900), "{:?}", r.took);
    assert!(r.out.starts_with("xx"), "{}", r.out);
    assert_eq!(
        r.err,
        "netshoot: 10.86.0.2:7702: --deadline of 2 s reached; closed (--deadline SECONDS allows longer)\n"
    );
}

/// `listen` with a silent peer connected ends within a second of SIGTERM or SIGINT.
#[test]
fn listen_ends_promptly_on_sigterm_and_sigint_with_a_silent_peer() {
    require_root!();
    let (c, s, _l) = pair();
    let spec = format!("netns:{}", s.name);
    for (sig, port) in [("TERM", 7711u16), ("INT", 7712)] {
        let mut child = NETSHOOT
            .command()
            .args(["-t", &spec, "listen", "-s", "10.86.0.2", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let held = child.stdin.take();
        s.wait_listen(port, false);
        let _peer = group(
            &c,
            &["sh", "-c", &format!("sleep 30 | nc 10.86.0.2 {port}")],
        );
        wait_established(&s, port);
        std::thread::sleep(Duration::from_millis(300));
        let start = Instant::now();
        Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        let status = netshoot_testnet::wait_bounded(&mut child, Duration::from_secs(3));
        drop(held);
        let took = start.elapsed();
        let status = status.unwrap_or_else(|| panic!("listen ignored SIG{sig} for 3 s"));
        assert!(took < Duration::from_secs(1), "SIG{sig}: {took:?}");
        assert_eq!(status.code(), Some(0), "SIG{sig}");
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(err.contains("connection from 10.86.0.1:"), "{err}");
    }
}

/// `listen --idle 1 -k` closes a silent peer after a second, says so in one line and serves
/// the next peer; `nc -l -w 1` (OpenBSD's idle timeout) ends on a silent peer, exit 0.
#[test]
fn listen_idle_closes_a_silent_peer_and_keeps_serving() {
    require_root!();
    let (c, s, _l) = pair();
    let spec = format!("netns:{}", s.name);
    let mut child = NETSHOOT
        .command()
        .args([
            "-t",
            &spec,
            "listen",
            "-k",
            "--idle",
            "1",
            "-s",
            "10.86.0.2",
            "7721",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let held = child.stdin.take();
    s.wait_listen(7721, false);
    let silent = group(&c, &["sh", "-c", "sleep 30 | nc 10.86.0.2 7721"]);
    wait_established(&s, 7721);
    // Closed by the listener after its idle second: nc sees EOF and ends.
    let start = Instant::now();
    let mut closed = false;
    while start.elapsed() < Duration::from_secs(4) {
        let o = s.output(&["ss", "-Htn", "state", "established", "sport = :7721"]);
        if o.stdout.is_empty() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(silent);
    assert!(closed, "the silent peer still held the listener after 4 s");
    c.sh("printf 'next peer\\n' | nc -N -w 2 10.86.0.2 7721");
    std::thread::sleep(Duration::from_millis(200));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(3) {
            let _ = child.kill();
            panic!("listen -k ignored SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(held);
    let o = child.wait_with_output().unwrap();
    assert_eq!(text(&o.stdout), "next peer\n");
    let err = text(&o.stderr);
    let idle: Vec<&str> = err.lines().filter(|l| l.contains("nothing")).collect();
    assert_eq!(idle.len(), 1, "{err}");
    assert!(
        idle[0].starts_with("netshoot: ")
            && idle[0].ends_with(
                ": nothing received or sent for 1 s; closed (--idle SECONDS waits longer)"
            ),
        "{err}"
    );

    // Classic nc -l -w 1: the wait for a connection is unbounded (as nc), the idle one is not.
    let mut child = NETSHOOT
        .command()
        .args(["-t", &spec, "nc", "-l", "-w", "1", "-p", "7722"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let held = child.stdin.take();
    s.wait_listen(7722, false);
    let _silent = group(&c, &["sh", "-c", "sleep 30 | nc 10.86.0.2 7722"]);
    wait_established(&s, 7722);
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(3) {
            let _ = child.kill();
            panic!("nc -l -w 1 still held a silent peer after 3 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(held);
    assert_eq!(status.code(), Some(0));
}

/// Ceiling of netgen's listener under the flood (it keeps 4096 bytes of a message, reads 64
/// connections at once and queues 256 messages while its output is slow).
const NETGEN_HWM_KB: u64 = 48 * 1024;

/// A flood of endless lines (no newline, 8 senders, up to 200 MB, 8 s) at `netgen -l` while
/// nobody reads its output (a stalled terminal): its resident high-water mark stays under
/// [`NETGEN_HWM_KB`]; once its output is read again it receives a well-behaved message and ends
/// on SIGTERM.
#[test]
fn netgen_listener_stays_capped_under_an_endless_line_flood() {
    use std::io::BufRead;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    require_root!();
    let (c, s, _l) = pair();
    let spec = format!("netns:{}", s.name);
    let mut child = NETSHOOT
        .command()
        .args(["-t", &spec, "netgen", "--listen", "7731"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    s.wait_listen(7731, false);
    let pid = child.id();
    let before = netshoot_testnet::proc_status(pid, "VmHWM").unwrap();
    let flood = r#"
import socket, threading, time
total = [0]
lock = threading.Lock()
end = time.time() + 8
chunk = b"x" * (1 << 20)
def one():
    while time.time() < end and total[0] < 200_000_000:
        s = None
        try:
            s = socket.create_connection(("10.86.0.2", 7731), timeout=2)
            s.settimeout(2)
            while time.time() < end and total[0] < 200_000_000:
                n = s.send(chunk)
                with lock:
                    total[0] += n
        except OSError:
            pass
        finally:
            if s is not None:
                s.close()
ts = [threading.Thread(target=one) for _ in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
print(total[0])
"#;
    let o = c.output(&["/usr/bin/python3", "-c", flood]);
    let sent: u64 = text(&o.stdout).trim().parse().unwrap_or(0);
    let hwm = netshoot_testnet::proc_status(pid, "VmHWM").expect("netgen died under the flood");
    eprintln!("flood: {sent} bytes handed to the kernel; VmHWM {before} kB -> {hwm} kB");
    assert!(sent > 1_000_000, "the flood sent only {sent} bytes");
    assert!(
        hwm < NETGEN_HWM_KB,
        "netgen -l grew to {hwm} kB under the flood"
    );
    // Its output is read again: it still serves.
    let found = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&found);
    let stdout = child.stdout.take().unwrap();
    let seen = Arc::new(std::sync::Mutex::new((0usize, String::new())));
    let s2 = Arc::clone(&seen);
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.starts_with("Received from 10.86.0.1:") && line.ends_with(": well behaved") {
                f.store(true, Ordering::SeqCst);
            }
            let mut g = s2.lock().unwrap();
            g.0 += 1;
            g.1 = line.chars().take(80).collect();
        }
    });
    std::thread::sleep(Duration::from_millis(2500));
    for _ in 0..10 {
        c.sh("printf 'well behaved\\n' | nc -N -w 2 10.86.0.2 7731");
        std::thread::sleep(Duration::from_millis(300));
        if found.load(Ordering::SeqCst) {
            break;
        }
    }
    assert!(
        found.load(Ordering::SeqCst),
        "netgen -l stopped serving: {:?}",
        seen.lock().unwrap()
    );
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("netgen -l ignored SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = reader.join();
    assert_eq!(status.code(), Some(0));
}

/// Starts `netshoot ARGS…` with stdin held open (returned: dropping it is EOF).
fn spawn_held(args: &[&str]) -> (std::process::Child, Option<std::process::ChildStdin>) {
    let mut child = NETSHOOT
        .command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netshoot");
    let held = child.stdin.take();
    (child, held)
}

/// UDP with a silent peer: `connect -u -w 1` and `nc -u -w 1` end after about a second with
/// stdin still open (connect: one line, nc: silent, both exit 0), `connect -u` ends within a
/// second of SIGTERM and of SIGINT, `listen -u` too with a silent sender, and `listen -u
/// --idle 1` ends a second after its only sender went silent (one line), `nc -lu -w 1` too
/// (silent).
#[test]
fn udp_connect_and_listen_end_on_idle_and_on_signals() {
    require_root!();
    let (c, s, _l) = pair();
    let cspec = format!("netns:{}", c.name);
    let sspec = format!("netns:{}", s.name);
    // Receives and never answers.
    let _sink = group(&s, &["socat", "-u", "UDP-RECV:7731", "/dev/null"]);
    s.wait_listen(7731, true);

    let r = bounded(
        &[
            "-t",
            &cspec,
            "connect",
            "-u",
            "-w",
            "1",
            "10.86.0.2",
            "7731",
        ],
        Duration::from_secs(3),
    );
    assert_eq!(r.code, Some(0), "{}", r.err);
    assert!(r.took >= Duration::from_millis(900), "{:?}", r.took);
    assert_eq!(
        r.err,
        "netshoot: 10.86.0.2:7731 (udp): nothing received or sent for 1 s; closed (-w SECONDS waits longer)\n"
    );
    let r = bounded(
        &["-t", &cspec, "nc", "-u", "-w", "1", "10.86.0.2", "7731"],
        Duration::from_secs(3),
    );
    assert_eq!((r.code, r.err.as_str()), (Some(0), ""));
    assert!(r.took >= Duration::from_millis(900), "{:?}", r.took);

    for sig in ["TERM", "INT"] {
        let (child, held) = spawn_held(&[
            "-t",
            &cspec,
            "connect",
            "-u",
            "-w",
            "30",
            "10.86.0.2",
            "7731",
        ]);
        std::thread::sleep(Duration::from_millis(400));
        Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        let r = finish(child, Duration::from_secs(3), "connect -u after a signal");
        drop(held);
        assert!(r.took < Duration::from_secs(1), "SIG{sig}: {:?}", r.took);
        assert_eq!(r.code, Some(0), "SIG{sig}: {}", r.err);
    }

    // listen -u with a sender that went silent: SIGTERM and SIGINT end it within a second.
    for (sig, port) in [("TERM", 7734u16), ("INT", 7735)] {
        let p = port.to_string();
        let (child, held) = spawn_held(&[
            "-t",
            &sspec,
            "listen",
            "-u",
            "--idle",
            "30",
            "-s",
            "10.86.0.2",
            &p,
        ]);
        s.wait_listen(port, true);
        c.sh(&format!(
            "printf 'hello\\n' | socat -u - UDP:10.86.0.2:{port}"
        ));
        std::thread::sleep(Duration::from_millis(300));
        Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        let r = finish(child, Duration::from_secs(3), "listen -u after a signal");
        drop(held);
        assert!(r.took < Duration::from_secs(1), "SIG{sig}: {:?}", r.took);
        assert_eq!(
            (r.code, r.out.as_str()),
            (Some(0), "hello\n"),
            "SIG{sig}: {}",
            r.err
        );
    }

    // listen -u: one datagram, then silence.
    for (classic, port) in [(false, 7732u16), (true, 7733)] {
        let p = port.to_string();
        let args: Vec<&str> = if classic {
            vec!["-t", &sspec, "nc", "-lu", "-w", "1", "-s", "10.86.0.2", &p]
        } else {
            vec![
                "-t",
                &sspec,
                "listen",
                "-u",
                "--idle",
                "1",
                "-s",
                "10.86.0.2",
                &p,
            ]
        };
        let (child, held) = spawn_held(&args);
        s.wait_listen(port, true);
        c.sh(&format!(
            "printf 'hello\\n' | socat -u - UDP:10.86.0.2:{port}"
        ));
        let r = finish(
            child,
            Duration::from_secs(4),
            "listen -u with a silent sender",
        );
        drop(held);
        assert_eq!(r.code, Some(0), "{}", r.err);
        assert_eq!(r.out, "hello\n");
        assert!(r.took >= Duration::from_millis(900), "{:?}", r.took);
        if classic {
            assert_eq!(r.err, "");
        } else {
            let idle: Vec<&str> = r.err.lines().filter(|l| l.contains("nothing")).collect();
            assert_eq!(idle.len(), 1, "{}", r.err);
            assert!(
                idle[0].starts_with("netshoot: 10.86.0.1:")
                    && idle[0].ends_with(
                        " (udp): nothing received or sent for 1 s; closed (--idle SECONDS waits longer)"
                    ),
                "{}",
                r.err
            );
        }
    }
}
