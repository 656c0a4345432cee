//! Time from `Lab::start` to every listener accepting, over many starts:
//! `cargo run --release -p authdoctor-lab --example startup [N]`.

use authdoctor_lab::{Lab, Options};
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let lab = Lab::start(Options::default()).await?;
        // Ready means answering: one request to each of the IdP and the API.
        let idp = lab.info().issuers["prod"].clone();
        let http = reqwest::Client::new();
        for url in [
            format!("{idp}/jwks"),
            format!("{}/.well-known/oauth-protected-resource", lab.info().api),
        ] {
            let r = http.get(&url).send().await?;
            assert_eq!(r.status(), 200, "{url}");
        }
        times.push(t.elapsed().as_secs_f64() * 1e3);
        lab.shutdown().await;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "lab start to first answer over {n} starts: median {:.1} ms, min {:.1} ms, max {:.1} ms",
        times[n / 2],
        times[0],
        times[n - 1]
    );
    Ok(())
}
