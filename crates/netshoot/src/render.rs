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

    /// A note for people, on stderr (never mixed into JSON on stdout).
    pub fn note(&self, msg: &str) {
        eprintln!("netshoot: note: {msg}");
    }

    /// Whether stdout is a terminal (for colour and progress).
    #[allow(dead_code)]
    pub fn tty(&self) -> bool {
        !self.json && std::io::stdout().is_terminal()
    }
}
