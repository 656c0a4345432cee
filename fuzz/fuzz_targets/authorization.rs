//! Authorization linting: never panics, positions stay in range.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let c = authdoctor_httpauth::lint(s);
    for p in &c.problems {
        assert!(p.at <= s.len(), "{s:?}: {p:?}");
    }
});
