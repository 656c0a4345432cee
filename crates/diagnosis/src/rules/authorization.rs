//! Authorization, as opposed to authentication: the caller is known and
//! not allowed.

use super::{Finding, Rule, Witnesses, finding};
use crate::rules::header::has_credentials;
use authdoctor_causes::{Cause, Effort, Likelihood};
use authdoctor_httpauth::BearerError;

/// A server whose 403 does not tell a credential it does not know from a
/// permission it refuses, known by its answer's words: what they mean and
/// what tells the two apart.
struct Conflated {
    family: &'static str,
    /// The answer's body holds this (lower-case).
    words: &'static str,
    meaning: &'static str,
    check: &'static str,
}

/// Such servers, as data.
static CONFLATED: &[Conflated] = &[Conflated {
    family: "HashiCorp Vault",
    words: r#""errors":["permission denied""#,
    meaning: "Vault answers 403 \"permission denied\" to a token it does not know (expired, revoked, from another cluster or namespace) as to one whose policies do not allow this path",
    check: "Look the token up with Vault (VAULT_TOKEN=<the token> vault token lookup): an error there means the token is dead, so sign in again (vault login); else its policies lack this path (vault token capabilities <path>), so have a policy grant it.",
}];

/// `authz.forbidden`: a 403 that is not about the token; or a valid token
/// refused by a rule on a non-standard claim (`client_id`, `roles`,
/// `groups`, `azp`, `tid`), whatever the status the server chose.
pub struct AuthzForbidden;

impl Rule for AuthzForbidden {
    fn cause(&self) -> Cause {
        Cause::AuthzForbidden
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        let token_valid = o.token.as_ref().is_some_and(|t| t.at_server.valid);
        // A claim rule refused a token whose standard checks pass.
        if let Some(s) = w.says(Cause::AuthzForbidden).filter(|s| s.claim.is_some()) {
            if token_valid || o.token.is_none() {
                let claim = s.claim.clone().unwrap_or_default();
                let mut ev = vec![w.quote(s)];
                if o.token_passes() {
                    ev.push(o.passes_line());
                } else if token_valid {
                    ev.push("every check of the token that could be made passes".into());
                }
                if o.answered() == 401 {
                    ev.push(
                        "the server answered 401, though this is a matter of permission (403)"
                            .into(),
                    );
                }
                ev.extend(w.words.clone());
                let mut f = finding(
                    Cause::AuthzForbidden,
                    Likelihood::High,
                    format!(
                        "The token is valid, but a rule on its `{claim}` claim refuses this caller: a permission matter, not authentication."
                    ),
                    ev,
                    vec![
                        (
                            Effort::Medium,
                            format!(
                                "Call with a client or user whose `{claim}` the API allows, or add this one to the API's rule."
                            ),
                        ),
                        (
                            Effort::Medium,
                            "The server should answer 403 for this, not 401 (RFC 6750 §3.1)."
                                .into(),
                        ),
                    ],
                );
                f.witnesses
                    .agree
                    .push(format!("the server's words ({})", s.family));
                if token_valid {
                    f.witnesses.agree.push("the token's own checks".into());
                }
                return Some(f);
            }
        }
        if o.answered() != 403 {
            return None;
        }
        if w.bearer.as_ref().and_then(|b| b.error.clone()) == Some(BearerError::InsufficientScope) {
            return None;
        }
        if o.token.as_ref().is_some_and(|t| !t.at_server.valid) {
            return None;
        }
        // The same request with a fresh token was accepted: what was refused
        // is the credentials sent, not the caller's permission.
        if o.fresh_token_accepted() {
            return None;
        }
        // Some gateways answer 403 to every authentication failure: the
        // words decide.
        if w.names_authentication() {
            return None;
        }
        // The token's scopes do not fit the method: that rule speaks.
        if super::token::scope_misfits_method(w).is_some() {
            return None;
        }
        // A token past its exp, if only within the leeway assumed here,
        // refused by a 403 that names nothing: the tutorials' middleware
        // answers 403 to every failed verification, and most libraries
        // allow no leeway. The expiry rule speaks.
        if super::token::past_its_exp(w) {
            return None;
        }
        let mut ev = vec!["403 Forbidden: the server refuses the operation".to_owned()];
        // A server that wants credentials without asking for them (S3's
        // AccessDenied to an unsigned request): the missing-credentials
        // rule speaks.
        if !has_credentials(w) && crate::rules::header::silent_asker(o).is_some() {
            return None;
        }
        // Whether the credential was judged at all: a JWT whose signature
        // could not be checked, or an opaque token nobody introspected, may
        // be one the server does not know, refused by a 403 that some
        // servers give every failure (keycloak-connect's bearer-only mode).
        let unjudged = o
            .token
            .as_ref()
            .is_some_and(|t| !t.at_server.signature_verified)
            || (o.opaque_token.is_some() && o.introspected_active() != Some(true));
        let summary = if !has_credentials(w) && o.challenges.is_empty() {
            ev.push("the request carried no credentials, and the server asks for none".into());
            "The server forbids this request without asking for credentials: a permission, network or policy rule refuses it."
        } else {
            if o.token.is_some() {
                ev.push("the token passes every check authdoctor can make".into());
            }
            if unjudged {
                ev.push(if o.token.is_some() {
                    "its signature could not be checked (its issuer's keys were not fetched: give --issuer, or --trust-origin for the issuer's host), so a server that answers 403 to a token it does not know would refuse it so too".into()
                } else {
                    "the token is opaque and nobody asked its issuer about it, so a server that answers 403 to a token it does not know would refuse it so too".into()
                });
            }
            if unjudged {
                "The server refuses the operation (403): a permission or role is missing, unless it refuses a credential it does not know so too, which could not be checked here."
            } else {
                "Authentication succeeded; the caller is not allowed to do this (a permission or role is missing)."
            }
        };
        ev.extend(w.words.clone());
        if let Some(c) = CONFLATED.iter().find(|c| o.body_holds(c.words)) {
            ev.push(format!("{}: {}", c.family, c.meaning));
            return Some(finding(
                Cause::AuthzForbidden,
                Likelihood::Medium,
                format!(
                    "{} refuses the request, and its answer is the same for a token it does not know as for a permission it refuses: one of the two.",
                    c.family
                ),
                ev,
                vec![(Effort::Easy, c.check.into())],
            ));
        }
        // Without credentials, the other reading (a server that answers 403
        // where 401 belongs) is as likely: the missing-credentials rule's.
        let mut likelihood = if has_credentials(w) && !unjudged {
            Likelihood::High
        } else {
            Likelihood::Medium
        };
        // The experiment: a forged copy of the token refused with the
        // same 403 (the token check's answer, most likely), or told apart
        // from this one (which then passed it).
        match (crate::rules::refused_as_forged(o), o.broken_signature_status) {
            (Some(true), _) => {
                ev.push(format!("experiment: {} is refused with the same 403, and without a token the server asks for credentials (401): it answers 403 to a token it cannot verify, so this 403 may be its token check's", crate::rules::forged_copy(o)));
                likelihood = Likelihood::Low;
            }
            (Some(false), Some(s)) => ev.push(format!(
                "experiment: {} is answered {s}: the server told it from this one, which passed its token check",
                crate::rules::forged_copy(o)
            )),
            _ => {}
        }
        Some(finding(
            Cause::AuthzForbidden,
            likelihood,
            summary.into(),
            ev,
            vec![(Effort::Medium, "Grant the caller the role or permission the endpoint needs, or call as one who has it.".into())],
        ))
    }
}
