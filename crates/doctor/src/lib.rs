//! The doctor's probe: the I/O edge of a diagnosis.
//!
//! ```text
//! input ──► RequestSpec ──► observe (I/O) ──► Observations ──► authdoctor-diagnosis
//! ```
//!
//! [`curl`] reads a pasted curl command and [`har`] a browser's export into
//! a [`RequestSpec`]; [`observe::observe`] reproduces the request hop by hop
//! and gathers the facts (challenges, the token and its checks at the
//! server's clock and the local one, the resource's metadata, the issuer's
//! keys, introspection, a fresh-token experiment). The reasoning is the
//! pure crate `authdoctor-diagnosis`, re-exported here.

pub mod curl;
pub mod files;
pub mod har;
pub mod keys;
pub mod observe;
pub mod spec;

pub use authdoctor_diagnosis::{Diagnosis, Finding, Fix, Observations, report, rules};
pub use observe::{DoctorError, observe};
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
