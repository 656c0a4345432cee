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

/// [`RefreshFailed`] for a call to a resource in a browser session (a
/// HAR): the page's last token request before it was a refresh, refused,
/// and the call went without a token or with an expired one: the page had
/// no fresh token to send. Said beside what the call itself shows.
fn refresh_refused_before(w: &Witnesses<'_>) -> Option<Finding> {
    let o = w.o;
    let tr = o.spec.session.as_ref()?.token_request.as_ref()?;
    if tr.grant.as_deref() != Some("refresh_token") || tr.status < 400 {
        return None;
    }
    // Past its exp by the server's clock, by however little: within the
    // leeway assumed here too (a page renews as its token runs out, and a
    // server with less leeway refuses it at once).
    let expired = super::token::past_its_exp(w);
    let none = o.token.is_none() && o.opaque_token.is_none() && o.authorization.is_none();
    if !(expired || none) {
        return None;
    }
    let mut f = finding(
        Cause::RefreshFailed,
        Likelihood::Medium,
        format!(
            "The page's refresh of its token was refused just before (HAR entry {}), so it had no fresh token to send.",
            tr.entry
        ),
        vec![format!(
            "the page's last token request before this call (HAR entry {}, grant_type=refresh_token at {}) was answered {}",
            tr.entry,
            crate::facts::display_url(&tr.url),
            tr.status
        )],
        vec![(
            Effort::Easy,
            "Sign the user in again: the refresh token expired, was revoked, or was used twice where refresh tokens rotate (two tabs refreshing at once). Have the page send the user to sign in when a refresh fails, rather than call the API without a fresh token.".into(),
        )],
    );
    f.witnesses.agree.push("the browser session (HAR)".into());
    Some(f)
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
        if o.token_request_grant.is_none() {
            return refresh_refused_before(w);
        }
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
