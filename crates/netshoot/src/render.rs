//! Rendering: human text or `--json`, chosen once for the whole run.
//!
//! A command builds one typed report and emits it with [`Output::emit`]. A live stream (trace
//! hops, netcat's verdicts, ping's replies) renders each typed event as a text line as it
//! arrives ([`Output::event`]); with `--json` it prints nothing until the final report, which
//! holds every event (`TraceReport.hops`, ping's `HostReport.events`, connect's verdicts): one
//! JSON document per run, not NDJSON, so a reader parses stdout once.

use std::io::{IsTerminal, Write};

use serde::Serialize;

/// Writes `text` to stdout. A reader that went away (`… | head`) ends the program quietly
/// (exit 0), as SIGPIPE ends the classic tools, instead of an error line, a panic, or a loop
/// (`netstat -c`) writing on into nothing.
pub fn write_text(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        r => Ok(r?),
    }
}

/// Whole text output made of names netshoot does not choose (containers, processes,
/// interfaces): control characters other than newline and tab escaped
/// (`netshoot_wire::text::escape_lines`). Backslashes stay: `ip -o` ends its folded lines with
/// one.
pub fn safe_text(text: &str) -> String {
    netshoot_wire::text::escape_lines(text).into_owned()
}

/// The power of ten of a finite, non-zero `v`'s leading digit: ⌊log₁₀|v|⌋ (`0.0042` → -3,
/// `12.5` → 1). Read from Rust's exact scientific formatting rather than libm's `log10`: exact
/// at powers of ten, and the binary then needs no libm at all (its pages are ~300 KiB of every
/// run's resident memory; see docs/BENCHMARKS.md, "Memory").
pub fn decimal_exponent(v: f64) -> i32 {
    let s = format!("{:e}", v.abs());
    s.rsplit_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0)
}

/// What kind of error ended a run, for `--json` readers (`"kind"` of the error object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// The command line is wrong: an unknown flag or command, a bad value, a target SPEC that
    /// does not parse.
    Usage,
    /// The target does not exist here (no such container, network, namespace, process or path).
    Target,
    /// netshoot lacks a privilege it needs (CAP_SYS_ADMIN, CAP_NET_RAW, …).
    Permission,
    /// `exec` could not run the program.
    Exec,
    /// The system refused: the kernel or a file (an OS error), or the Docker engine.
    Environment,
    /// A bug in netshoot.
    Internal,
    /// An error netshoot does not classify (yet): read `error`.
    Other,
}

impl ErrorKind {
    /// The kind of an error that ended a command.
    pub fn of(e: &anyhow::Error) -> ErrorKind {
        use netshoot_ns::NsError as N;
        if e.downcast_ref::<crate::classic::getopt::Usage>().is_some() {
            return ErrorKind::Usage;
        }
        match e.downcast_ref::<N>() {
            Some(N::BadSpec { .. }) => ErrorKind::Usage,
            Some(
                N::NoSuchContainer { .. }
                | N::NotRunning { .. }
                | N::SwarmTarget { .. }
                | N::PodTarget { .. }
                | N::NoSuchNetwork { .. }
                | N::NetworkWithoutNamespace { .. }
                | N::NetworkNamespaceMissing { .. }
                | N::NoSuchNetns { .. }
                | N::NoSuchPid { .. }
                | N::BadPath { .. },
            ) => ErrorKind::Target,
            Some(N::Permission { .. }) => ErrorKind::Permission,
            Some(N::Exec { .. }) => ErrorKind::Exec,
            Some(N::Internal(_)) => ErrorKind::Internal,
            Some(N::Docker { .. } | N::Cri { .. } | N::Io { .. }) => ErrorKind::Environment,
            None if e
                .chain()
                .any(|c| c.is::<std::io::Error>() || c.is::<nix::Error>()) =>
            {
                ErrorKind::Environment
            }
            _ => ErrorKind::Other,
        }
    }
}

/// The error object `--json` runs print on stdout when a command fails.
#[derive(Debug, Serialize)]
pub struct ErrorReport<'a> {
    /// The one line printed on stderr.
    pub error: &'a str,
    /// What kind of error.
    pub kind: ErrorKind,
}

/// Reports an error that ends the run: `line` on stderr for people, always; with `json` also
/// `{"error": LINE, "kind": KIND}` on stdout, so a program reading stdout gets JSON either way.
/// An error may quote a peer (an HTTP reason, a DNS server's text, a container's name): the
/// stderr line has control characters escaped (`netshoot_wire::text::escape`), the JSON object
/// keeps the line exact.
pub fn error(json: bool, line: &str, kind: ErrorKind) {
    eprintln!("{}", netshoot_wire::text::escape(line));
    if json {
        error_json(line, kind);
    }
}

/// Prints only the error object `{"error": LINE, "kind": KIND}` on stdout (for a caller that
/// printed its own message for people).
pub fn error_json(line: &str, kind: ErrorKind) {
    let report = ErrorReport { error: line, kind };
    if let Ok(mut s) = serde_json::to_string_pretty(&report) {
        s.push('\n');
        let _ = write_text(&s);
    }
}

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Machine-readable JSON on stdout.
    pub json: bool,
    /// `-v` count.
    pub verbose: u8,
}

impl Output {
    /// Prints `report` as pretty JSON, or as the text `text` renders from it.
    pub fn emit<T: Serialize>(
        &self,
        report: &T,
        text: impl FnOnce(&T) -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            let mut s = serde_json::to_string_pretty(report)?;
            s.push('\n');
            write_text(&s)
        } else {
            write_text(&text(report))
        }
    }

    /// A live event of a stream (a trace hop as it is answered): its text line on stdout at once,
    /// nothing with `--json`. Streams print one JSON document in `--json` mode, the final report
    /// of [`Output::emit`], which carries every event (not NDJSON: each command's `--json` output
    /// is one value a reader parses once).
    pub fn event<E>(&self, e: &E, line: impl FnOnce(&E) -> String) -> anyhow::Result<()> {
        if self.json {
            return Ok(());
        }
        let mut l = line(e);
        l.push('\n');
        write_text(&l)
    }

    /// As [`Output::event`], on stderr: for the tools that print their progress there (netcat's
    /// verdicts).
    pub fn event_err<E>(&self, e: &E, line: impl FnOnce(&E) -> String) {
        if !self.json {
            eprintln!("{}", line(e));
        }
    }

    /// A note for people, on stderr (never mixed into JSON on stdout); it may name a container
    /// or a path a target chose, so control characters are escaped.
    pub fn note(&self, msg: &str) {
        eprintln!("netshoot: note: {}", netshoot_wire::text::escape(msg));
    }

    /// Whether stdout is a terminal (for colour and progress).
    pub fn tty(&self) -> bool {
        !self.json && std::io::stdout().is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use super::decimal_exponent;

    #[test]
    fn decimal_exponent_is_the_floor_of_log10() {
        for v in [
            1.0, 9.99, 10.0, 0.1, 0.0042, 0.000058, 12.5, 99.5, 100.0, 1e-9, 123456.0, 1e300, -0.5,
            -250.0, 5e-324,
        ] {
            assert_eq!(decimal_exponent(v), v.abs().log10().floor() as i32, "{v}");
        }
        // Exact where log10 of the nearest double rounds up to the next power.
        assert_eq!(decimal_exponent(999.9999999999999), 2);
    }
}
