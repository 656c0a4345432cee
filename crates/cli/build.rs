//! Puts the commit the binary was built from into `--version`, when the
//! source is a git checkout (a tarball says so instead).

fn main() {
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let dirty = std::process::Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .is_some_and(|o| !o.stdout.is_empty());
    let version = match commit {
        Some(c) => format!(
            "{} (commit {c}{})",
            env!("CARGO_PKG_VERSION"),
            if dirty { ", modified" } else { "" }
        ),
        None => format!(
            "{} (not built from a git checkout)",
            env!("CARGO_PKG_VERSION")
        ),
    };
    println!("cargo:rustc-env=AUTHDOCTOR_VERSION={version}");
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    println!("cargo:rerun-if-changed=../../.git/index");
}
