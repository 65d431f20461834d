//! Headless Chromium for the tests of netshoot's HTML pages (`map --html`, the mesh heatmap):
//! the DOM after Chromium parsed a page, and a screenshot's pixels.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Runs `chromium --headless … ARGS` with a throw-away profile, at most 60 s; fails the test
/// when it does not end or fails.
pub fn chromium(args: &[&str]) -> Output {
    let profile = std::env::temp_dir().join(crate::unique("nstchrome"));
    let child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`chromium` not found: install it (scripts/setup)");
    let b = crate::output_bounded(child, Duration::from_secs(60));
    let _ = std::fs::remove_dir_all(&profile);
    assert!(b.ended, "chromium {args:?} did not end within 60 s");
    assert!(
        b.output.status.success(),
        "chromium {args:?}: {}",
        String::from_utf8_lossy(&b.output.stderr)
    );
    b.output
}

/// The DOM of the page at `url` as Chromium serialises it after parsing.
pub fn dom(url: &str) -> String {
    String::from_utf8_lossy(&chromium(&["--dump-dom", url]).stdout).into_owned()
}

/// A decoded screenshot.
pub struct Shot {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    channels: usize,
    line: usize,
    buf: Vec<u8>,
}

impl Shot {
    /// The RGB of the pixel at (x, y).
    pub fn rgb(&self, x: u32, y: u32) -> [u8; 3] {
        let at = y as usize * self.line + x as usize * self.channels;
        [self.buf[at], self.buf[at + 1], self.buf[at + 2]]
    }

    /// How many pixels are within 8 of `rgb` in every channel.
    pub fn count(&self, rgb: [u8; 3]) -> usize {
        self.buf
            .chunks(self.channels)
            .filter(|p| (0..3).all(|k| (p[k] as i32 - rgb[k] as i32).abs() < 8))
            .count()
    }
}

/// Screenshots the page at `url` in a `width`×`height` window (written to `png`, then decoded).
pub fn screenshot(url: &str, width: u32, height: u32, png: &std::path::Path) -> Shot {
    chromium(&[
        &format!("--window-size={width},{height}"),
        &format!("--screenshot={}", png.display()),
        url,
    ]);
    let file = std::fs::File::open(png).expect("the screenshot");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    Shot {
        width: info.width,
        height: info.height,
        channels: info.color_type.samples(),
        line: info.line_size,
        buf,
    }
}
