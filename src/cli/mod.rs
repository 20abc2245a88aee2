//! Command-line entry point (placeholder until the commands land).
use std::process::ExitCode;

pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
