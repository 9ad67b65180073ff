//! What the kiln-versus-koji scenario tests share: running the built `kiln` with a profile,
//! and masking the numbers two runs differ in.

use std::path::Path;
use std::process::Command;

use kiln_tests::Output;

/// Runs the `kiln` built for these tests with `config` (its directory as `HOME`).
pub fn kiln(config: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("-c")
        .arg(config)
        .args(args)
        .env("HOME", config.parent().unwrap())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Digits replaced by `N`, so runs that made their own tasks compare.
pub fn masked(text: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}
