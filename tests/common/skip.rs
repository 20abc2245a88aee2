// A module of the integration tests' harness (`tests/common`), also included (`include!`) by
// `src/test_support.rs`, so the integration tests and the unit tests skip the same way.

/// Whether this run is under CI, where a missing tool must fail the test instead of skipping it.
pub fn under_ci() -> bool {
    let ci = std::env::var("CI").unwrap_or_default();
    !ci.is_empty() && ci != "false" && ci != "0"
}

/// A test that cannot run here (a tool is missing) fails under CI (`CI` set). Elsewhere it says
/// why and returns early; cargo counts it as passed, so it is also recorded, as
/// `crate::test`, in the file `STACKCHECK_SKIPPED` names, and `scripts/test.sh` counts those
/// as skipped.
pub fn skip_unless_ci(why: &str) {
    if under_ci() {
        panic!("{why}");
    }
    eprintln!("SKIPPED {why}");
    if let Some(path) = std::env::var_os("STACKCHECK_SKIPPED").filter(|p| !p.is_empty()) {
        use std::io::Write;
        let test = std::thread::current().name().unwrap_or("?").to_string();
        let line = format!("{}::{test}\n", env!("CARGO_CRATE_NAME"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path);
        if let Err(e) = file.and_then(|mut f| f.write_all(line.as_bytes())) {
            eprintln!("cannot record the skip in $STACKCHECK_SKIPPED: {e}");
        }
    }
}
