//! JOSE for a diagnostic tool: decode a JWT leniently and name every
//! defect, then check it the way a correct resource server does, reporting
//! each check on its own with the cause it points at.
//!
//! Unlike a validation library this never stops at the first failure and
//! never reads the clock: `now` comes in through [`Policy`]. Keys come only
//! from the key set or secret the caller gives, never from the token's own
//! `jwk`, `jku`, `x5u` or `x5c` headers. The crypto primitives are
//! aws-lc-rs's, behind [`crypto`].

pub mod alg;
pub mod b64;
pub mod check;
pub mod crypto;
pub mod decode;
pub mod dpop;
pub mod json;
pub mod jwk;
pub mod sign;
pub mod time;

pub use alg::Alg;
pub use check::{Check, Facts, Keys, Policy, Report, Status, check, verdict};
pub use crypto::{KeyError, PrivateKey, PublicMaterial, Verifier};
pub use decode::{Decoded, Defect, decode};
pub use jwk::{Jwk, JwkSet, JwksError};
pub use sign::SigningKey;
