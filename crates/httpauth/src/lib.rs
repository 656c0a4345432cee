//! The grammar of HTTP authentication: `WWW-Authenticate` challenges and
//! `Authorization` credentials (RFC 9110 §11), with typed views of the
//! schemes people meet (Bearer RFC 6750, Basic RFC 7617, Digest RFC 7616,
//! DPoP RFC 9449, step-up RFC 9470, protected-resource metadata RFC 9728);
//! `X-Forwarded-For`, which says whose credentials a proxy passes on; and
//! gRPC's statuses beside HTTP's, which a refused call is answered with.
//!
//! Parsing never fails and never panics: what can be read is returned with
//! every defect named and placed at its byte position, because a diagnostic
//! tool has to say *what* is wrong with a header, not just that it is.

pub mod challenge;
pub mod credentials;
pub mod forwarded;
pub mod grpc;
pub mod scheme;
pub mod syntax;

pub use challenge::{Challenge, Parsed as ParsedChallenges};
pub use credentials::{Credentials, Defect, Severity, lint};
pub use scheme::{BasicChallenge, BearerChallenge, BearerError, DigestChallenge, Typed};
