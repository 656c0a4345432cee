//! Log lines as a hostile client or a broken logger may write them, read as
//! `authdoctor logs` reads a file (a block, its lines, a W3C header carried
//! in) and reported: never panics, and the report counts every line.
#![no_main]

use authdoctor_logs::{Scan, parse::W3cFields};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut block = Scan::default();
    block.block(&text);
    let r = block.report();
    assert_eq!(r.lines, text.split_terminator('\n').count() as u64);
    let _ = block.timeline();
    // The same lines one at a time, as if continuing an IIS log.
    let mut lines = Scan::default();
    lines.w3c_fields(
        W3cFields::directive("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken")
            .map(std::sync::Arc::new),
    );
    for l in text.split_terminator('\n') {
        lines.line(l);
    }
    let _ = lines.report();
    block.merge(lines);
    let _ = block.report();
});
