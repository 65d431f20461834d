//! The terminal screen of the live views (`top`, `mtr`, `stats`): ratatui's alternate screen in
//! raw mode, restored on drop whatever ends the view, and the keys pressed since the last look.

use std::time::Duration;

use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};

/// The ratatui terminal, restored on drop (also when the view fails).
pub struct Screen(pub ratatui::DefaultTerminal);

impl Screen {
    /// Enters the alternate screen in raw mode.
    pub fn init() -> Screen {
        Screen(ratatui::init())
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// One key, as the views read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// `q` or Ctrl-C (raw mode turns Ctrl-C into a key).
    Quit,
    /// Esc.
    Esc,
    /// Enter.
    Enter,
    /// Up arrow.
    Up,
    /// Down arrow.
    Down,
    /// Left arrow or Backspace.
    Back,
    /// Any other character.
    Char(char),
}

/// The keys pressed: waits up to `wait` for the first, then takes every one already queued.
pub fn keys(wait: Duration) -> Vec<Key> {
    let mut out = Vec::new();
    let mut timeout = wait;
    while event::poll(timeout).unwrap_or(false) {
        timeout = Duration::ZERO;
        let Ok(Event::Key(k)) = event::read() else {
            continue;
        };
        if k.kind == KeyEventKind::Release {
            continue;
        }
        let key = match k.code {
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Key::Quit,
            KeyCode::Char('q') => Key::Quit,
            KeyCode::Esc => Key::Esc,
            KeyCode::Enter => Key::Enter,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left | KeyCode::Backspace => Key::Back,
            KeyCode::Char(c) => Key::Char(c),
            _ => continue,
        };
        out.push(key);
    }
    out
}

/// Whether q, Esc or Ctrl-C was pressed (the views without other keys).
pub fn quit_pressed() -> bool {
    keys(Duration::ZERO)
        .iter()
        .any(|k| matches!(k, Key::Quit | Key::Esc))
}
