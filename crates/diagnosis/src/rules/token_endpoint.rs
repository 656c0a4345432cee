//! A call to a token endpoint, read by its RFC 6749 §5.2 error: the
//! client's own credentials, and the refresh token.

use super::{Finding, Rule, Witnesses, finding};
use crate::observations::Observations;
use authdoctor_causes::{Cause, Effort, Likelihood};

/// The evidence of a token endpoint's refusal: what was asked, what came
/// back, and how the client authenticated.
pub(crate) fn evidence(o: &Observations) -> Vec<String> {
    let grant = o.token_request_grant.clone().unwrap_or_default();
    let mut ev = vec![format!(
        "{} {} answered {} to grant_type={grant}",
        o.spec.method,
        crate::facts::display_url(&o.last().url),
        o.last().status
    )];
    if let Some((err, desc)) = &o.body_error {
        ev.push(format!(
            "error={err:?}{}",
            desc.as_ref()
                .map(|d| format!(", error_description={d:?}"))
                .unwrap_or_default()
        ));
    }
    ev.push(format!("the client authenticated with {}", auth_method(o)));
    ev
}

fn auth_method(o: &Observations) -> &'static str {
    if o.authorization
        .as_ref()
        .and_then(|c| c.scheme.as_deref())
        .is_some_and(|s| s.eq_ignore_ascii_case("basic"))
    {
        "client_secret_basic"
    } else if o.spec.form().iter().any(|(k, _)| k == "client_secret") {
        "client_secret_post"
    } else {
        "no client secret"
    }
}

/// `client.invalid`: invalid_client, or a grant the client may not use.
pub struct ClientInvalid;

impl Rule for ClientInvalid {
    fn cause(&self) -> Cause {
        Cause::ClientInvalid
    }

    fn at_token_endpoint(&self) -> bool {
        true
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        let grant = o.token_request_grant.clone()?;
        let err = o.body_error.as_ref().map(|(e, _)| e.as_str());
        let said = w.says(Cause::ClientInvalid);
        let mut ev = evidence(o);
        if let Some(s) = said {
            ev.push(w.quote(s));
        }
        match err {
            Some("invalid_client") => Some(finding(
                Cause::ClientInvalid,
                Likelihood::High,
                "The token endpoint does not accept the client's credentials (invalid_client).".into(),
                ev,
                vec![
                    (Effort::Easy, "Check the client id and secret (a rotated secret, another environment's client, a stray newline in the secret).".into()),
                    (Effort::Easy, format!("Check the authentication method the client is registered for; this request used {}.", auth_method(o))),
                ],
            )),
            Some(e @ ("unauthorized_client" | "unsupported_grant_type")) => Some(finding(
                Cause::ClientInvalid,
                Likelihood::High,
                format!("The client may not use the {grant} grant ({e})."),
                ev,
                vec![(Effort::Medium, format!("Enable the {grant} grant for this client at the identity provider."))],
            )),
            _ if said.is_some() => Some(finding(
                Cause::ClientInvalid,
                Likelihood::High,
                "The identity provider refuses the client's credentials.".into(),
                ev,
                vec![],
            )),
            _ => None,
        }
    }
}

/// `refresh.failed`: invalid_grant for a refresh token.
pub struct RefreshFailed;

impl Rule for RefreshFailed {
    fn cause(&self) -> Cause {
        Cause::RefreshFailed
    }

    fn at_token_endpoint(&self) -> bool {
        true
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        if o.token_request_grant.as_deref() != Some("refresh_token") {
            return None;
        }
        let (err, _) = o.body_error.as_ref()?;
        if err != "invalid_grant" {
            return None;
        }
        Some(finding(
            Cause::RefreshFailed,
            Likelihood::High,
            "The refresh token is no longer good (invalid_grant): expired, revoked, or already used once where refresh tokens rotate.".into(),
            evidence(o),
            vec![
                (Effort::Easy, "Sign in again to get a new refresh token.".into()),
                (Effort::Medium, "Store the new refresh token from every refresh response: with rotation, each one is single-use, and reusing one revokes the whole chain.".into()),
            ],
        ))
    }
}
