//! WWW-Authenticate parsing: never panics, positions stay in range, and
//! what parses cleanly renders back to the same challenges.
#![no_main]

use authdoctor_httpauth::challenge::{parse, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let p = parse(s);
    for pr in &p.problems {
        assert!(pr.at <= s.len());
    }
    for ch in &p.challenges {
        let _ = authdoctor_httpauth::Typed::of(ch);
    }
    if p.problems.is_empty() && !p.challenges.is_empty() {
        let again = parse(&render(&p.challenges));
        assert!(again.problems.is_empty(), "{s:?} renders to something with problems");
        assert_eq!(again.challenges, p.challenges, "{s:?}");
    }
});
