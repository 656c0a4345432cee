//! How long the dialect catalogue takes to read its first message (the
//! one-time compile) and each message after: `cargo run --release -p
//! authdoctor-diagnosis --example dialect_cost`.

fn main() {
    let t = std::time::Instant::now();
    let first = authdoctor_diagnosis::dialects::read("jwt expired", "body");
    let once = t.elapsed();
    let t = std::time::Instant::now();
    for _ in 0..1000 {
        let _ = authdoctor_diagnosis::dialects::read("Audience doesn't match", "body");
    }
    let each = t.elapsed() / 1000;
    println!(
        "first read (with the compile): {once:?}; each read after: {each:?}; {:?}",
        first.map(|s| s.cause)
    );
}
