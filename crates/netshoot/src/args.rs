//! Command-line values shared by the commands and the classic names.

use std::time::Duration;

/// The longest wait a command line may ask for (a year): `Duration::from_secs_f64` panics past
/// about 1.8e19 seconds, and no network wait needs more.
pub const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// SECONDS from the command line as a `Duration`: finite, `> 0` when `positive` (else `>= 0`),
/// at most [`MAX_SECONDS`]; otherwise one line naming the option (`what`), never a panic.
pub fn seconds(s: f64, what: &str, positive: bool) -> anyhow::Result<Duration> {
    let low_ok = if positive { s > 0.0 } else { s >= 0.0 };
    if !(s.is_finite() && low_ok && s <= MAX_SECONDS) {
        anyhow::bail!(
            "{what} must be a number of seconds {} and at most {MAX_SECONDS} (a year), not {s}",
            if positive { "> 0" } else { ">= 0" }
        );
    }
    Ok(Duration::from_secs_f64(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_negative_and_nan_are_refused_not_panicked_on() {
        for bad in [1e20, f64::INFINITY, f64::NAN, -1.0, MAX_SECONDS * 2.0] {
            let e = seconds(bad, "--duration", false).unwrap_err().to_string();
            assert!(
                e.starts_with("--duration must be") && !e.contains('\n'),
                "{e}"
            );
        }
        assert!(seconds(0.0, "-w", true).is_err());
        assert_eq!(seconds(0.0, "-w", false).unwrap(), Duration::ZERO);
        assert_eq!(
            seconds(1.5, "-w", true).unwrap(),
            Duration::from_millis(1500)
        );
    }
}
