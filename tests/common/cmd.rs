//! The stackcheck binary of this build as an `assert_cmd` command, and what a run printed.

use assert_cmd::Command;
use std::process::Output;

/// The stackcheck binary built by cargo for these tests: no colour, no `HELM_DEBUG`.
pub fn stackcheck() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackcheck"));
    cmd.env("NO_COLOR", "1").env_remove("HELM_DEBUG");
    cmd
}

/// A finished run: exit code and UTF-8 output.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Runs `cmd`; a run without an exit code (killed: timeout or signal, e.g. a stack overflow)
    /// or with output that is not UTF-8 fails the test.
    pub fn of(cmd: &mut Command) -> Run {
        let out = cmd.output().expect("run stackcheck");
        let code = out.status.code().unwrap_or_else(|| {
            panic!(
                "{:?} {:?} was killed (timeout or signal, e.g. a stack overflow): {:?}\n{}",
                cmd.get_program(),
                cmd.get_args().collect::<Vec<_>>(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
        Run {
            code,
            stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
        }
    }

    /// stdout as JSON; `what` names the run when it is not.
    pub fn json(&self, what: impl std::fmt::Debug) -> serde_json::Value {
        json(what, &self.stdout)
    }
}

/// `stdout` as JSON; `what` names the run when it is not.
pub fn json(what: impl std::fmt::Debug, stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("{what:?}: stdout is not JSON ({e}):\n{stdout}"))
}

/// Exit code, stdout and stderr of `out`, for failure messages.
pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The stdout of a run that must have exited 0 (`what` names it otherwise).
pub fn ok(out: &Output, what: &str) -> String {
    assert_eq!(out.status.code(), Some(0), "{what}: {}", text(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `stackcheck schema --write --force <chart>`; panics with the output when it fails.
pub fn write_schemas(chart: &std::path::Path) {
    let out = stackcheck()
        .args(["schema", "--write", "--force"])
        .arg(chart)
        .output()
        .expect("run stackcheck");
    assert!(
        out.status.success(),
        "stackcheck schema --write --force {} failed ({:?}):\n{}\n{}",
        chart.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}
