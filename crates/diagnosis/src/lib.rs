//! The doctor's reasoning, pure: facts in, ranked causes out.
//!
//! ```text
//! Observations (facts) ──► rules (one per cause) ──► Diagnosis ──► render
//! ```
//!
//! Nothing here touches the network, the clock or an async runtime: the
//! probe (`authdoctor-doctor`) gathers [`Observations`] from real
//! exchanges, and tests build them from fixtures. [`rules::diagnose`] runs
//! every rule of the registry ([`rules::RULES`], one per cause of the
//! vocabulary) and ranks what they find; [`dialects`] reads what real
//! servers say in their own words; [`report`] turns the findings into the
//! JSON contract and its human and Markdown renderings, with every secret
//! masked.

pub mod cookies;
pub mod dialects;
pub mod facts;
pub mod observations;
pub mod report;
pub mod rules;
pub mod shape;
pub mod sign_in;
pub mod spec;

pub use observations::Observations;
pub use report::Diagnosis;
pub use rules::{Finding, Fix};
pub use spec::RequestSpec;
