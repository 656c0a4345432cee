//! A private CA and a certificate for 127.0.0.1 signed by it, made with
//! Debian's openssl, for the tests that speak TLS to a real server (the
//! doctor's, the guard's). Included by path from each test crate.

/// Runs Debian's openssl with `args` in `dir`; its failure, the test's.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    openssl_with(dir, args, b"");
}

/// Runs Debian's openssl with `args` in `dir`, `input` on its standard
/// input (what `dgst -sign` signs); its output. Its failure, the test's.
pub fn openssl_with(dir: &std::path::Path, args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Makes a CA and a certificate for 127.0.0.1 signed by it, with openssl.
pub fn make_certs(dir: &std::path::Path) {
    let run = |args: &[&str]| openssl(dir, args);
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=authdoctor test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("leaf.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]);
}

/// A client certificate for mutual TLS, made for client authentication:
/// self-signed, or signed by the CA `ca` (`ca.pem`, `ca.key` in `dir`);
/// written to `dir` as `name.pem` and `name.key`.
// Not every test crate that includes this file makes client certificates.
#[allow(dead_code)]
pub fn make_client_cert(dir: &std::path::Path, name: &str, ca: Option<&str>) {
    let run = |args: &[&str]| openssl(dir, args);
    let (key, pem, csr) = (
        format!("{name}.key"),
        format!("{name}.pem"),
        format!("{name}.csr"),
    );
    let subject = format!("/CN={name}");
    match ca {
        None => run(&[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &pem,
            "-days", "2", "-subj", &subject,
        ]),
        Some(ca) => {
            run(&[
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj",
                &subject,
            ]);
            std::fs::write(
                dir.join("client.ext"),
                "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
            )
            .unwrap();
            run(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &format!("{ca}.pem"),
                "-CAkey",
                &format!("{ca}.key"),
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                "client.ext",
            ]);
        }
    }
}
