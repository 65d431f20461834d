//! Hostile targets (issue 14): a target's own files, the shell prompt, the Docker socket.
//!
//! A process chrooted into a directory the test builds stands for a container whose
//! `/etc/resolv.conf` is a FIFO, a 100 MB file, or an absolute symbolic link meant for its own
//! root; a fake Docker socket accepts and stays silent, drips bytes, or sends a non-ASCII id;
//! a namespace bind-mounted at a path holding `$(…)` is the label of an interactive shell.
//! Each command must end within a bound (a watchdog kills it otherwise and the test fails),
//! with a one-line note or error, and never read a file outside the target's root.

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use netshoot_testnet::cli::{stderr, stdout, Netshoot};
use netshoot_testnet::{require_root, Child, Netns};

const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));

/// Runs `cmd` with stdin from `input`, killing it after `limit`: a hang fails the test.
fn bounded(mut cmd: Command, input: &[u8], limit: Duration) -> (Output, Duration) {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start netshoot");
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input);
    drop(stdin);
    let b = netshoot_testnet::output_bounded(child, limit);
    assert!(
        b.ended,
        "{cmd:?} did not end within {limit:?} (killed); stderr: {}",
        stderr(&b.output)
    );
    (b.output, b.took)
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let d = std::env::temp_dir().join(netshoot_testnet::unique(tag));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A process in `ns` whose root directory is `root` (chroot, then sleep): `pid:N` then reads
/// `/proc/N/root/etc/…`. Returns it with its pid once its root has moved.
fn chrooted(ns: &Netns, root: &Path) -> (Child, u32) {
    let child = ns.spawn(&[
        "perl",
        "-e",
        "chroot($ARGV[0]) or die \"chroot: $!\"; chdir('/'); sleep 60",
        root.to_str().unwrap(),
    ]);
    let pid = child.0.id();
    let want = root.canonicalize().unwrap();
    for _ in 0..200 {
        if std::fs::read_link(format!("/proc/{pid}/root")).ok() == Some(want.clone()) {
            return (child, pid);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("process {pid} never chrooted into {}", root.display());
}

/// `netshoot -t pid:N dns NAME` on a target whose resolv.conf is `make`'s: bounded, and
/// returns (stdout + stderr, stderr).
fn dns_in(make: impl FnOnce(&Path), extra_env: &[(&str, &str)]) -> (String, String) {
    let ns = Netns::new("ht");
    let s = Scratch::new("ht");
    let root = s.0.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    make(&root);
    let (_sleeper, pid) = chrooted(&ns, &root);
    let mut cmd = NETSHOOT.command();
    cmd.args([
        "-t",
        &format!("pid:{pid}"),
        "dns",
        "--timeout",
        "1",
        "www.hostile.test",
        "+nosearch",
    ]);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let (out, took) = bounded(cmd, b"", Duration::from_secs(10));
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let err = stderr(&out);
    (format!("{}{err}", stdout(&out)), err)
}

/// The one note about `file`, checked to be a single line.
fn note_about(stderr: &str, file: &str) -> String {
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("netshoot: note:") && l.contains(file))
        .collect();
    assert_eq!(notes.len(), 1, "one note naming {file}: {stderr}");
    notes[0].to_string()
}

#[test]
fn a_fifo_resolv_conf_is_refused_not_waited_on() {
    require_root!();
    let (_, err) = dns_in(
        |root| {
            nix::unistd::mkfifo(&root.join("etc/resolv.conf"), nix::sys::stat::Mode::S_IRWXU)
                .unwrap()
        },
        &[],
    );
    let n = note_about(&err, "etc/resolv.conf");
    assert!(n.contains("a FIFO, not a regular file"), "{n}");
    // With no resolv.conf the command says so and ends: one more line, no hang.
    assert!(err.contains("has no nameserver"), "{err}");
}

#[test]
fn a_huge_resolv_conf_is_capped() {
    require_root!();
    let (_, err) = dns_in(
        |root| {
            // 100 MB, sparse: instant to make, and reading it would take 100 MB of memory.
            let f = std::fs::File::create(root.join("etc/resolv.conf")).unwrap();
            f.set_len(100 << 20).unwrap();
        },
        &[],
    );
    let n = note_about(&err, "etc/resolv.conf");
    assert!(
        n.contains("104857600 bytes, more than the 16777216-byte cap"),
        "{n}"
    );
    assert!(n.contains("NETSHOOT_TARGET_FILE_MAX"), "{n}");
    // The cap is the user's to change.
    let (_, err) = dns_in(
        |root| std::fs::write(root.join("etc/resolv.conf"), vec![b'#'; 2000]).unwrap(),
        &[("NETSHOOT_TARGET_FILE_MAX", "1000")],
    );
    let n = note_about(&err, "etc/resolv.conf");
    assert!(n.contains("2000 bytes, more than the 1000-byte cap"), "{n}");
}

#[test]
fn an_absolute_symlink_resolves_inside_the_target_root() {
    require_root!();
    // Our file, outside the target's root, at the absolute path the link names.
    let outside = Scratch::new("hto");
    let ours = outside.0.join("resolv.conf");
    std::fs::write(&ours, "nameserver 192.0.2.77\n").unwrap();
    let ours_in_root = ours.clone();
    let (all, err) = dns_in(
        move |root| {
            std::os::unix::fs::symlink(&ours_in_root, root.join("etc/resolv.conf")).unwrap();
            // The same absolute path inside the target's root: the target's own file.
            let inside = root.join(ours_in_root.strip_prefix("/").unwrap());
            std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
            std::fs::write(&inside, "nameserver 127.0.0.9\n").unwrap();
        },
        &[],
    );
    assert!(
        !all.contains("192.0.2.77"),
        "the host's file was read: {all}"
    );
    assert!(
        all.contains("127.0.0.9"),
        "the target's own file was not read: {all}"
    );
    assert!(!err.contains("note:"), "{err}");
    // A link escaping to a file that exists only outside the root: absent, not ours.
    let ours_again = ours.clone();
    let (all, err) = dns_in(
        move |root| std::os::unix::fs::symlink(&ours_again, root.join("etc/resolv.conf")).unwrap(),
        &[],
    );
    assert!(
        !all.contains("192.0.2.77"),
        "the host's file was read: {all}"
    );
    assert!(err.contains("has no nameserver"), "{err}");
}

#[test]
fn ping_by_name_on_a_fifo_hosts_ends() {
    require_root!();
    let ns = Netns::new("hp");
    let s = Scratch::new("hp");
    let root = s.0.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    nix::unistd::mkfifo(&root.join("etc/hosts"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    std::fs::write(
        root.join("etc/resolv.conf"),
        "nameserver 127.0.0.9\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    let (_sleeper, pid) = chrooted(&ns, &root);
    let mut cmd = NETSHOOT.command();
    cmd.args([
        "-t",
        &format!("pid:{pid}"),
        "ping",
        "-c",
        "1",
        "gw.hostile.test",
    ]);
    let (out, _) = bounded(cmd, b"", Duration::from_secs(15));
    let err = stderr(&out);
    let n = note_about(&err, "etc/hosts");
    assert!(n.contains("a FIFO"), "{n}");
    assert!(!out.status.success());
}

/// A netns bind-mounted at a path holding `$(touch pwned)`: the label of `exec`'s shell.
#[test]
fn a_target_label_cannot_run_code_in_the_prompt() {
    require_root!();
    let bash = ["/bin/bash", "/usr/bin/bash"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(bash) = bash else {
        netshoot_testnet::say_skipped("no bash");
        return;
    };
    let ns = Netns::new("hs");
    let s = Scratch::new("hs");
    let mnt = s.0.join("$(touch pwned)`touch pwned2`");
    std::fs::write(&mnt, "").unwrap();
    netshoot_testnet::run(&["mount", "--bind", &ns.path(), mnt.to_str().unwrap()]);
    struct Umount(PathBuf);
    impl Drop for Umount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).output();
        }
    }
    let _u = Umount(mnt.clone());
    let mut cmd = NETSHOOT.command();
    cmd.args(["-t", mnt.to_str().unwrap(), "exec"])
        .current_dir(&s.0)
        .env("SHELL", bash)
        .env("HOME", &s.0);
    let (out, _) = bounded(cmd, b"echo shell-ran\nexit 0\n", Duration::from_secs(15));
    assert!(stdout(&out).contains("shell-ran"), "{}", stderr(&out));
    assert!(!s.0.join("pwned").exists(), "PS1 ran $(…)");
    assert!(!s.0.join("pwned2").exists(), "PS1 ran `…`");
}

/// A fake Docker engine on a unix socket: each connection is given to `serve`.
struct FakeDocker {
    dir: Scratch,
}

impl FakeDocker {
    fn start(serve: fn(std::os::unix::net::UnixStream)) -> FakeDocker {
        let dir = Scratch::new("hd");
        let l = UnixListener::bind(dir.0.join("docker.sock")).unwrap();
        std::thread::spawn(move || {
            for c in l.incoming().flatten() {
                std::thread::spawn(move || serve(c));
            }
        });
        FakeDocker { dir }
    }

    fn host(&self) -> String {
        format!("unix://{}", self.dir.0.join("docker.sock").display())
    }

    /// `netshoot -t SPEC exec -- true` against this engine, bounded.
    fn run(&self, spec: &str, env: &[(&str, &str)], limit: Duration) -> (Output, Duration) {
        let mut cmd = NETSHOOT.command();
        cmd.args(["-t", spec, "exec", "--", "true"])
            .env("DOCKER_HOST", self.host());
        for (k, v) in env {
            cmd.env(k, v);
        }
        bounded(cmd, b"", limit)
    }
}

fn read_head(c: &mut std::os::unix::net::UnixStream) -> String {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && c.read(&mut b).unwrap_or(0) == 1 {
        head.push(b[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

fn one_error_line(out: &Output, want: &str) {
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(lines[0].contains(want), "{err}");
    assert_eq!(out.status.code(), Some(2), "{err}");
}

#[test]
fn a_silent_docker_engine_is_bounded() {
    let fake = FakeDocker::start(|mut c| {
        read_head(&mut c);
        std::thread::sleep(Duration::from_secs(30));
    });
    let (out, took) = fake.run(
        "container:web",
        &[("NETSHOOT_DOCKER_TIMEOUT", "1")],
        Duration::from_secs(8),
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
    one_error_line(&out, "not answering");
    // The default bound (5 s) holds without the variable too.
    let (out, took) = fake.run("container:web", &[], Duration::from_secs(12));
    assert!(took < Duration::from_secs(8), "took {took:?}");
    one_error_line(&out, "within 5.0 s");
}

#[test]
fn a_dripping_docker_engine_meets_the_whole_request_deadline() {
    // A byte every 300 ms: every read succeeds well within any per-read timeout.
    let fake = FakeDocker::start(|mut c| {
        read_head(&mut c);
        for _ in 0..200 {
            if c.write_all(b"H").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    let (out, took) = fake.run(
        "container:web",
        &[("NETSHOOT_DOCKER_TIMEOUT", "1.5")],
        Duration::from_secs(10),
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    one_error_line(&out, "not answering");
}

#[test]
fn a_non_ascii_network_id_does_not_panic() {
    require_root!();
    let fake = FakeDocker::start(|mut c| {
        let head = read_head(&mut c);
        let body = if head.starts_with("GET /networks/") {
            // 11 ASCII bytes, then a two-byte character across byte 12.
            r#"{"Name":"odd","Id":"0123456789aé-rest","Driver":"bridge"}"#
        } else {
            r#"{"message":"no such thing"}"#
        };
        let status = if head.starts_with("GET /networks/") {
            "200 OK"
        } else {
            "404 Not Found"
        };
        let _ = write!(
            c,
            "HTTP/1.0 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
    });
    let (out, _) = fake.run("network:odd", &[], Duration::from_secs(10));
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{err}");
    assert!(err.contains("br-0123456789a"), "{err}");
}
