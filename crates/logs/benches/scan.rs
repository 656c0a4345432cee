//! Where a line's time goes: each stage of `authdoctor logs` alone over the
//! same lines, one thread, ns per line, beside the floor of finding the
//! lines at all (memchr). The lines: a log file given as the argument, else
//! a generated combined-format log like bench/logs-vs-rg-goaccess's.
//! Run: `cargo bench -p authdoctor-logs --bench scan [FILE]`.

use authdoctor_logs::{Scan, parse};
use std::hint::black_box;
use std::time::Instant;

fn generated() -> String {
    // xorshift: the same lines on every run.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let routes = [
        "/orders",
        "/orders/42",
        "/admin",
        "/api/v1/items",
        "/login",
        "/health",
    ];
    let users = ["-", "-", "alice", "bob", "svc-orders"];
    // Real agents: their bytes decide what a prefilter stops at.
    let agents = [
        "curl/8.5.0",
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0",
        "okhttp/4.12",
        "python-requests/2.32",
    ];
    let mut out = String::new();
    for i in 0..400_000u64 {
        let r = next();
        let status = match r % 1000 {
            0..20 => 401,
            20..25 => 403,
            25..30 => 404,
            _ => 200,
        };
        let sec = i / 100;
        out.push_str(&format!(
            "10.{}.{}.{} - {} [26/Nov/2026:{:02}:{:02}:{:02} +0000] \"GET {} HTTP/1.1\" {status} {} \"-\" \"{}\"\n",
            (r >> 10) % 4,
            (r >> 12) % 256,
            (r >> 20) % 254 + 1,
            users[((r >> 28) % 5) as usize],
            (sec / 3600) % 24,
            (sec / 60) % 60,
            sec % 60,
            routes[((r >> 32) % 6) as usize],
            (r >> 40) % 5000,
            agents[((r >> 52) % 4) as usize],
        ));
    }
    out
}

fn per_line(name: &str, lines: &[&str], mut f: impl FnMut(&str)) {
    let start = Instant::now();
    for l in lines {
        f(l);
    }
    let ns = start.elapsed().as_nanos() as f64 / lines.len().max(1) as f64;
    println!("{name:<28} {ns:7.0} ns/line");
}

fn main() {
    let text = match std::env::args().nth(1).filter(|a| !a.starts_with('-')) {
        Some(path) => std::fs::read_to_string(path).expect("a readable UTF-8 log"),
        None => generated(),
    };
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    println!("{} lines", lines.len());
    let start = Instant::now();
    black_box(memchr::memchr_iter(b'\n', text.as_bytes()).count());
    println!(
        "{:<28} {:7.1} ns/line",
        "the floor: memchr of lines",
        start.elapsed().as_nanos() as f64 / lines.len() as f64
    );
    // `BLOCK_ONLY=1`: the command's own stage alone (for a profiler).
    let all = std::env::var_os("BLOCK_ONLY").is_none();
    per_line("secret_in alone", if all { &lines } else { &[] }, |l| {
        black_box(parse::secret_in(l));
    });
    per_line("parse::line", if all { &lines } else { &[] }, |l| {
        black_box(parse::line(l));
    });
    per_line(
        "parse::read, no secret",
        if all { &lines } else { &[] },
        |l| {
            black_box(parse::read(l, None, false));
        },
    );
    per_line(
        "parse::answered alone",
        if all { &lines } else { &[] },
        |l| {
            black_box(parse::answered(l));
        },
    );
    let mut scan = Scan::default();
    per_line(
        "Scan::line (parse + tally)",
        if all { &lines } else { &[] },
        |l| scan.line(l),
    );
    black_box(scan.report());
    // As the command reads: 4 MiB blocks, the signs of secrets found per
    // block.
    let mut scan = Scan::default();
    let start = Instant::now();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let cut = rest
            .get(..(4 << 20).min(rest.len()))
            .and_then(|b| b.rfind('\n'))
            .map_or(rest.len(), |i| i + 1);
        scan.block(&rest[..cut]);
        rest = &rest[cut..];
    }
    println!(
        "{:<28} {:7.0} ns/line",
        "Scan::block (4 MiB blocks)",
        start.elapsed().as_nanos() as f64 / lines.len() as f64
    );
    black_box(scan.report());
}
