//! The doctor: why was this request rejected?
//!
//! ```text
//! RequestSpec ──► observe (I/O) ──► Observations ──► rules (pure) ──► Diagnosis ──► render
//! ```
//!
//! [`curl`] reads a pasted curl command into a [`RequestSpec`];
//! [`observe::observe`] reproduces the request hop by hop and gathers the
//! facts (challenges, the token and its checks at the server's clock and
//! the local one, the resource's metadata, the issuer's keys, introspection,
//! a fresh-token retry); [`rules::diagnose`] turns facts into ranked causes
//! without touching the network; [`report`] renders them with every secret
//! masked.

pub mod curl;
pub mod files;
pub mod har;
pub mod keys;
pub mod observe;
pub mod report;
pub mod rules;
pub mod spec;

pub use observe::{DoctorError, Observations, observe};
pub use report::Diagnosis;
pub use rules::{Finding, Fix};
pub use spec::{Context, RequestSpec};

/// Reproduces the request, gathers the facts, and diagnoses.
pub async fn run(spec: &RequestSpec, ctx: &Context) -> Result<Diagnosis, DoctorError> {
    let o = observe(spec, ctx).await?;
    let causes = rules::diagnose(&o);
    let mut secrets = Vec::new();
    if let Some(s) = &ctx.client_secret {
        secrets.push((s.expose().to_owned(), authdoctor_secret::Kind::ClientSecret));
    }
    if let Some(r) = &ctx.refresh_token {
        secrets.push((r.expose().to_owned(), authdoctor_secret::Kind::RefreshToken));
    }
    Ok(report::build(&o, causes, secrets))
}
