//! A one-line progress bar on stderr for work that takes more than a second: drawn only when
//! stderr is a terminal, not before a second has passed, at most ten times a second, and
//! erased when the work ends (so it never mixes with the report).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// A progress line.
pub struct Progress {
    label: &'static str,
    start: Instant,
    last: Option<Instant>,
    tty: bool,
    drawn: bool,
}

impl Progress {
    /// A bar for `label`; silent unless stderr is a terminal.
    pub fn new(label: &'static str) -> Self {
        Self {
            label,
            start: Instant::now(),
            last: None,
            tty: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    fn due(&mut self) -> bool {
        if !self.tty || self.start.elapsed() < Duration::from_secs(1) {
            return false;
        }
        let now = Instant::now();
        if self
            .last
            .is_some_and(|l| now - l < Duration::from_millis(100))
        {
            return false;
        }
        self.last = Some(now);
        true
    }

    fn draw(&mut self, text: &str) {
        let mut e = std::io::stderr().lock();
        let _ = write!(e, "\r\x1b[2K{text}");
        let _ = e.flush();
        self.drawn = true;
    }

    /// `done` of `total` items.
    pub fn count(&mut self, done: u64, total: u64) {
        if !self.due() {
            return;
        }
        let frac = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        let bar = bar(frac);
        let secs = self.start.elapsed().as_secs_f64();
        let eta = if done > 0 && done < total {
            format!(
                ", ~{:.0} s left",
                secs / done as f64 * (total - done) as f64
            )
        } else {
            String::new()
        };
        self.draw(&format!(
            "{} [{bar}] {done}/{total} {:>3.0}%{eta}",
            self.label,
            frac * 100.0
        ));
    }

    /// `n` bytes received of `total` when known.
    pub fn bytes(&mut self, n: u64, total: Option<u64>) {
        if !self.due() {
            return;
        }
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        let rate = format!("{}/s", human(n as f64 / secs));
        let text = match total {
            Some(t) if t > 0 => format!(
                "{} [{}] {} / {} {rate}",
                self.label,
                bar(n as f64 / t as f64),
                human(n as f64),
                human(t as f64)
            ),
            _ => format!("{} {} {rate}", self.label, human(n as f64)),
        };
        self.draw(&text);
    }

    /// Erases the line if it was drawn.
    pub fn finish(&mut self) {
        if self.drawn {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\r\x1b[2K");
            let _ = e.flush();
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn bar(frac: f64) -> String {
    let width = 30;
    let full = ((frac.clamp(0.0, 1.0)) * width as f64).round() as usize;
    format!("{}{}", "#".repeat(full), " ".repeat(width - full))
}

fn human(b: f64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} {}", U[i])
    } else {
        format!("{v:.1} {}", U[i])
    }
}
