//! Running the netshoot binary under test and reading what it printed.
//!
//! The binary's path is only known to the test crate (`env!("CARGO_BIN_EXE_netshoot")`), so a
//! test file names it once: `const NETSHOOT: Netshoot = Netshoot(env!("CARGO_BIN_EXE_netshoot"));`.

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The netshoot binary at a path.
#[derive(Debug, Clone, Copy)]
pub struct Netshoot(pub &'static str);

impl Netshoot {
    /// A `Command` for the binary, without arguments.
    pub fn command(self) -> Command {
        Command::new(self.0)
    }

    /// Starts `netshoot ARGS…` with stdin closed and stdout and stderr piped (for [`finish`]).
    pub fn start(self, args: &[&str]) -> Child {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start netshoot")
    }

    /// [`Netshoot::start`] with SIGINT and SIGTERM at their default action whatever this test
    /// inherited (`env --default-signal`): a shell without job control starts background jobs,
    /// and so a CI run started that way, with SIGINT ignored, and a Ctrl-C test must see what a
    /// terminal's foreground process sees. The pid is netshoot's (`env` execs it).
    pub fn start_foreground(self, args: &[&str]) -> Child {
        Command::new("env")
            .arg("--default-signal=INT,TERM")
            .arg(self.0)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start netshoot through env")
    }

    /// Runs `netshoot ARGS…` with stdin closed; a run longer than `limit` is killed and fails
    /// the test.
    pub fn bounded(self, args: &[&str], limit: Duration) -> Ran {
        finish(self.start(args), limit, &format!("netshoot {args:?}"))
    }

    /// Runs `netshoot ARGS…` with stdin closed, sampling `/proc/PID/status` every 20 ms for
    /// the peak VmHWM, and reading every thread's capability sets once `sample_after` has
    /// passed (then `during` runs, once); a run longer than `limit` is killed and fails the
    /// test.
    pub fn watch(
        self,
        args: &[&str],
        sample_after: Duration,
        limit: Duration,
        during: impl FnOnce(),
    ) -> Watched {
        let mut child = self.start(args);
        let pid = child.id();
        let start = std::time::Instant::now();
        let drain = |mut p: Box<dyn std::io::Read + Send>| {
            std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = p.read_to_end(&mut v);
                v
            })
        };
        let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
        let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
        let (mut hwm, mut caps, mut during) = (0, Vec::new(), Some(during));
        let code = loop {
            if let Some(k) = crate::proc_status(pid, "VmHWM") {
                hwm = hwm.max(k);
            }
            if caps.is_empty() && start.elapsed() >= sample_after {
                caps = thread_caps(pid);
                if let Some(f) = during.take() {
                    f();
                }
            }
            if let Some(st) = child.try_wait().expect("wait for netshoot") {
                break st.code();
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "netshoot {args:?} still ran after {limit:?} (killed); stderr: {}",
                    text(&err.join().unwrap_or_default())
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Watched {
            code,
            took: start.elapsed(),
            out: text(&out.join().expect("stdout reader")),
            err: text(&err.join().expect("stderr reader")),
            hwm_kib: hwm,
            caps,
        }
    }

    /// Runs `netshoot ARGS…` and returns what it printed, whatever its status.
    pub fn run(self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    /// Runs `netshoot ARGS…` with extra environment variables.
    pub fn run_env(self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = self.command();
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run netshoot")
    }

    /// Runs `netshoot ARGS…` and parses its stdout as JSON: (exit status, document). Panics
    /// when stdout is not JSON.
    pub fn json(self, args: &[&str]) -> (i32, Value) {
        let o = self.run(args);
        let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: no JSON ({e}): {} {}",
                text(&o.stdout),
                text(&o.stderr)
            )
        });
        (o.status.code().unwrap_or(-1), v)
    }

    /// Runs `netshoot ARGS…`, which must succeed, and parses its stdout as JSON.
    pub fn ok_json(self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok_text(args)).expect("JSON")
    }

    /// Runs `netshoot ARGS…`, which must succeed, and returns its stdout.
    pub fn ok_text(self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        text(&o.stdout)
    }
}

/// What a bounded run gave: exit code (none after a signal), stdout, stderr, how long it ran.
#[derive(Debug)]
pub struct Ran {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Its stdout, lossy UTF-8.
    pub out: String,
    /// Its stderr, lossy UTF-8.
    pub err: String,
    /// From the call of [`finish`] to its end.
    pub took: Duration,
}

/// What [`Netshoot::watch`] saw.
#[derive(Debug)]
pub struct Watched {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Its stdout, lossy UTF-8.
    pub out: String,
    /// Its stderr, lossy UTF-8.
    pub err: String,
    /// The highest VmHWM seen, KiB.
    pub hwm_kib: u64,
    /// `(CapEff, CapPrm, CapBnd)` of each thread, read once `sample_after` had passed (empty
    /// when it ended before).
    pub caps: Vec<(u64, u64, u64)>,
    /// From the start to its end.
    pub took: Duration,
}

/// `(CapEff, CapPrm, CapBnd)` of every thread of `pid` (`u64::MAX` for a set not read).
pub fn thread_caps(pid: u32) -> Vec<(u64, u64, u64)> {
    let mut v = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Some(tid) = t.file_name().to_str().and_then(|s| s.parse().ok()) {
                let cap = |f: &str| crate::proc_status(tid, f).unwrap_or(u64::MAX);
                v.push((cap("CapEff"), cap("CapPrm"), cap("CapBnd")));
            }
        }
    }
    v
}

/// Waits at most `limit` for `child` (stdout and stderr piped), reading what it prints; when
/// it outlives `limit` it is killed and the test fails, naming `what` and its stderr.
pub fn finish(child: Child, limit: Duration, what: &str) -> Ran {
    let b = crate::output_bounded(child, limit);
    let err = text(&b.output.stderr);
    assert!(
        b.ended,
        "{what} still ran after {limit:?} (killed); stderr: {err}"
    );
    Ran {
        code: b.output.status.code(),
        out: text(&b.output.stdout),
        err,
        took: b.took,
    }
}

/// A terminal session: the size of the pty and the keys typed into it.
#[derive(Debug, Clone, Copy)]
pub struct Pty<'a> {
    /// Rows and columns (`stty rows R cols C` before the command); `None` leaves script(1)'s.
    pub size: Option<(u16, u16)>,
    /// Keys to type: (milliseconds after the previous key, or after the start, the bytes).
    pub keys: &'a [(u64, &'a str)],
    /// How long the session may run before it is killed and the test fails.
    pub limit: Duration,
}

impl Pty<'_> {
    /// A `rows`×`cols` terminal with nothing typed, at most `limit`.
    pub fn sized(rows: u16, cols: u16, limit: Duration) -> Pty<'static> {
        Pty {
            size: Some((rows, cols)),
            keys: &[],
            limit,
        }
    }
}

/// Runs the shell command line `cmd` on a pseudo-terminal (util-linux `script -qec CMD
/// /dev/null`), types `pty.keys` on its input, keeps the input open until the session ends and
/// returns what the terminal received (control sequences included). Bounded by `pty.limit`
/// ([`finish`]): a screen that never quits fails the test.
pub fn pty(cmd: &str, pty: Pty<'_>) -> Ran {
    use std::io::Write as _;
    let line = match pty.size {
        Some((r, c)) => format!("stty rows {r} cols {c}; {cmd}"),
        None => cmd.to_string(),
    };
    let mut child = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) not found: install util-linux (scripts/setup)");
    let mut input = child.stdin.take().expect("piped stdin");
    let keys: Vec<(u64, Vec<u8>)> = pty
        .keys
        .iter()
        .map(|(w, k)| (*w, k.as_bytes().to_vec()))
        .collect();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let typist = std::thread::spawn(move || {
        for (wait, k) in keys {
            std::thread::sleep(Duration::from_millis(wait));
            let _ = input.write_all(&k);
            let _ = input.flush();
        }
        // script(1) ends the session when its input closes: hold it until the command ended.
        let _ = done_rx.recv();
    });
    let r = finish(child, pty.limit, &format!("`{cmd}` on a pty"));
    let _ = done_tx.send(());
    let _ = typist.join();
    r
}

/// Bytes as text (invalid UTF-8 replaced).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A program's stdout as text.
pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

/// A program's stderr as text.
pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// Parses JSON text; panics with the text when it is not JSON.
pub fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// A doctor report's first finding is a failure whose id starts with `id`, with a fix, and the
/// exit status is 1.
pub fn assert_top_finding(res: &(i32, Value), id: &str) {
    let (code, v) = res;
    let top = &v["findings"][0];
    assert_eq!(top["status"], "fail", "top finding is not a failure: {v:#}");
    assert!(
        top["id"].as_str().unwrap_or_default().starts_with(id),
        "top finding {} is not {id}: {v:#}",
        top["id"]
    );
    assert!(top["fix"].is_string(), "{top:#}");
    assert_eq!(*code, 1);
}
