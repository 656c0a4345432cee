//! An axum application whose handlers the guard protects in process:
//! `BearerLayer::guard` over the routes, the guard's own endpoints merged in,
//! the client's address recorded for the limiter.
//!
//! ```sh
//! cargo run --release -p authdoctor-guard --example axum_app -- guard.toml
//! ```
//!
//! The configuration is the proxy's (`upstream` is not needed); it listens on
//! `listen` and prints the address. `bench/guard-vs-peers` runs it beside
//! jwt-authorizer, which works the same way.

use authdoctor_guard::{Authorized, BearerLayer, Guard, GuardConfig};
use axum::routing::get;
use axum::{Extension, Router};
use std::net::SocketAddr;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: axum_app GUARD.toml")?;
    let config = GuardConfig::from_file(path.as_ref())?;
    let listen = config.listen.clone();
    let guard = Guard::new(config)?;
    let app = Router::new()
        .route(
            "/orders",
            get(|Extension(a): Extension<Authorized>| async move {
                format!(
                    "ok {}",
                    a.claims.get("sub").and_then(|s| s.as_str()).unwrap_or("")
                )
            }),
        )
        .layer(BearerLayer::guard(guard.clone()))
        .merge(guard.endpoints());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("{}", listener.local_addr()?.port());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
