//! Running the real binary in tests.

#![allow(dead_code, clippy::unwrap_used)]

use assert_cmd::Command;
use std::path::PathBuf;

/// The instant the test tokens are judged at (see testdata's generator).
pub const AT: &str = "2026-11-26T17:34:12Z";

/// The repository's testdata folder.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// A test token's text.
pub fn token(name: &str) -> String {
    std::fs::read_to_string(testdata().join("tokens").join(name))
        .unwrap()
        .trim()
        .to_owned()
}

/// The binary, with colour off and a clean environment for it.
pub fn authdoctor() -> Command {
    let mut c = Command::cargo_bin("authdoctor").unwrap();
    c.env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE");
    c
}

/// `authdoctor token` with the test key set and the API's expectations.
pub fn token_cmd(name: &str) -> Command {
    let mut c = authdoctor();
    c.args(["token", "--at", AT, "--jwks"])
        .arg(testdata().join("tokens/jwks.json"))
        .args([
            "--issuer",
            "https://id.example.test/",
            "--audience",
            "https://api.example.test",
            "--scope",
            "orders:write",
            "--client-id",
            "orders-cli",
        ])
        .arg(format!(
            "@{}",
            testdata().join("tokens").join(name).display()
        ));
    c
}
