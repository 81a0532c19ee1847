//! Every compile error `#[scw_private]` emits, and the shapes of handler it must accept.
//!
//! The compile-fail snapshots hold rustc's exact wording, which changes between compiler
//! releases: they are checked only with the compiler that produced them (as thiserror and
//! tracing-attributes gate theirs), so a newer rustc never fails a user's or a packager's
//! build of these tests. The pass cases run on every compiler. This workspace's CI sets
//! `SCW_PRIVATE_UI_SNAPSHOTS=require`, which turns another compiler into a failure instead.

use std::process::Command;

/// The release that produced `tests/fail/*.stderr` (see README.md).
const SNAPSHOT_RUSTC: &str = "rustc 1.95.";

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    if version.starts_with(SNAPSHOT_RUSTC) {
        cases.compile_fail("tests/fail/*.rs");
    } else if std::env::var_os("SCW_PRIVATE_UI_SNAPSHOTS").is_some_and(|v| v == "require") {
        panic!("the snapshots were made by {SNAPSHOT_RUSTC}x, not {version:?}: regenerate them");
    } else {
        eprintln!(
            "compile-fail snapshots skipped: they were made by {SNAPSHOT_RUSTC}x, this is {}",
            version.trim()
        );
    }
    cases.pass("tests/pass/*.rs");
}
