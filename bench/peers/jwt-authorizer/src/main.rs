//! jwt-authorizer (a Rust crate for axum) in front of a handler that answers
//! "ok": the same issuer, audience and key set as the guard in
//! bench/guard-vs-peers. Usage: bench-jwt-authorizer JWKS_URL ISSUER AUDIENCE
//! (prints its port, serves until killed).

use axum::{Router, routing::get};
use jwt_authorizer::{Authorizer, IntoLayer, JwtAuthorizer, JwtClaims, Validation};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
struct Claims {
    #[allow(dead_code)]
    sub: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    let (jwks, iss, aud) = (&a[1], &a[2], &a[3]);
    let validation = Validation::new().iss(&[iss.as_str()]).aud(&[aud.as_str()]);
    let auth: Authorizer<Claims> = JwtAuthorizer::from_jwks_url(jwks)
        .validation(validation)
        .build()
        .await?;
    let app = Router::new()
        .route("/orders", get(|_: JwtClaims<Claims>| async { "ok" }))
        .layer(auth.into_layer());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", l.local_addr()?.port());
    axum::serve(l, app).await?;
    Ok(())
}
