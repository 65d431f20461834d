//! Recording the doctor's facts from the root scenario tests, for netshoot-doctor's replay tests.

use std::collections::HashMap;
use std::sync::Mutex;

/// The environment variable naming the directory recordings go to.
pub const RECORD_ENV: &str = "NETSHOOT_DOCTOR_RECORD";

/// Extra `doctor` arguments: when `NETSHOOT_DOCTOR_RECORD` names a directory, `--record-facts
/// DIR/<test name>.json` (`<test name>.2.json` for a test's second run, …); else none. The test
/// name is the test thread's name, as the test harness sets it.
pub fn doctor_record_args() -> Vec<String> {
    let Some(dir) = std::env::var_os(RECORD_ENV) else {
        return Vec::new();
    };
    static RUNS: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);
    let thread = std::thread::current();
    let test = thread
        .name()
        .unwrap_or("unnamed")
        .rsplit("::")
        .next()
        .unwrap_or("unnamed")
        .to_string();
    let n = {
        let mut runs = RUNS.lock().unwrap_or_else(|p| p.into_inner());
        let n = runs
            .get_or_insert_with(HashMap::new)
            .entry(test.clone())
            .or_insert(0);
        *n += 1;
        *n
    };
    let file = if n == 1 {
        format!("{test}.json")
    } else {
        format!("{test}.{n}.json")
    };
    let path = std::path::Path::new(&dir).join(file);
    vec!["--record-facts".into(), path.display().to_string()]
}
