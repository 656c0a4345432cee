//! A pasted curl command line: never panics; what parses has a method and
//! a URL, and the secret-masking of its URL never panics either.
#![no_main]

use authdoctor_doctor::curl::parse_line;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    // Options naming local files (-b FILE, -d @FILE, -F x=@FILE, -T FILE,
    // --cacert) would read the fuzzing machine's files: only their bounded
    // reader is tested elsewhere; here lines that name none.
    if s.contains('@') || s.contains("-b") || s.contains("-T") || s.contains("--cookie") || s.contains("--upload") {
        return;
    }
    if let Ok(spec) = parse_line(s) {
        assert!(!spec.method.is_empty());
        assert!(!spec.url.is_empty());
        let _ = authdoctor_net::display_url(&spec.url);
        let _ = spec.secrets();
    }
    let _ = authdoctor_secret::scrub(s);
});
