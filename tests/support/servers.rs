//! Waiting for a server a test started to listen, for the tests of every
//! crate that start real servers (the cli's, the doctor's). Included by
//! path from each test crate.

#![allow(dead_code)]

/// Whether a third-party server or package a test needs is there (`ok`,
/// `what` naming it and how to get it); missing, a failure unless the run
/// is told to go without them (`AUTHDOCTOR_SKIP_THIRD_PARTY`), where the
/// test skips itself on `false`.
pub fn installed(what: &str, ok: bool) -> bool {
    if !ok {
        assert!(
            std::env::var_os("AUTHDOCTOR_SKIP_THIRD_PARTY").is_some(),
            "{what} is not installed: run scripts/test (it installs the third-party servers), or set AUTHDOCTOR_SKIP_THIRD_PARTY=1 to skip"
        );
    }
    ok
}

/// Waits (30 s at most: a loaded machine starts servers slowly) until the
/// server `child` listens on `port`. A server that exits first, or never
/// listens, fails the test here with what it wrote to `stderr`, not later
/// as a refused connection.
pub fn wait_for_port(child: &mut std::process::Child, port: u16, stderr: Option<&std::path::Path>) {
    if let Err(e) = listening(child, port, stderr) {
        panic!("{e}");
    }
}

/// [`wait_for_port`], the failure returned: `Err` says why, with the last
/// lines the server wrote to `stderr`.
pub fn listening(
    child: &mut std::process::Child,
    port: u16,
    stderr: Option<&std::path::Path>,
) -> Result<(), String> {
    let said = || {
        let text = stderr
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    };
    for attempt in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            // Accepting at once: maybe another test's server, on a port
            // this one failed to bind (then it exits). A moment says which.
            if attempt == 0 {
                std::thread::sleep(std::time::Duration::from_millis(150));
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "the server exited ({status}) while something else listened on port {port}: {}",
                    said()
                ));
            }
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "the server exited ({status}) before it listened on port {port}: {}",
                said()
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err(format!(
        "the server did not listen on port {port} in 30 s: {}",
        said()
    ))
}
