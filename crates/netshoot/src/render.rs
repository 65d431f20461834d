//! Rendering: human text or `--json`, chosen once for the whole run.

use std::io::{IsTerminal, Write};

use serde::Serialize;

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
        let mut stdout = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut stdout, report)?;
            writeln!(stdout)?;
        } else {
            stdout.write_all(text(report).as_bytes())?;
        }
        stdout.flush()?;
        Ok(())
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
