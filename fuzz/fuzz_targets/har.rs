//! A browser's HAR export, read leniently: never panics, whatever the JSON.
#![no_main]

use authdoctor_doctor::har::entries;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(all) = entries(s, None) {
        for e in all {
            assert!(!e.spec.method.is_empty());
        }
    }
    let _ = entries(s, Some(0));
});
