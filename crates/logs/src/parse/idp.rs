//! Identity providers' event logs, as they export them one JSON object a
//! line: Auth0's (its log streams and Management API) and Okta's System
//! Log. Each login or token exchange is a request: a failure a rejection
//! with its cause, a success a success, so that a stuffing run against the
//! identity provider itself is found as one against an API is. (Keycloak's
//! events are read by `keycloak.rs`.)

use super::*;

/// Auth0's event type codes that speak of authentication: the code, whether
/// it is a failure, and the cause of one. Auth0's own names, from its "Log
/// Event Type Codes".
const AUTH0_TYPES: &[(&str, bool, Option<Cause>)] = &[
    // Success Login, Signup, and token exchanges (authorization code,
    // client credentials, refresh token, password, device code).
    ("s", false, None),
    ("ss", false, None),
    ("seacft", false, None),
    ("seccft", false, None),
    ("sertft", false, None),
    ("sepft", false, None),
    ("sede", false, None),
    // Failed Login; Incorrect Password; Invalid Email/Username.
    ("f", true, Some(Cause::CredentialsInvalid)),
    ("fp", true, Some(Cause::CredentialsInvalid)),
    ("fu", true, Some(Cause::CredentialsInvalid)),
    // Failed Exchange: authorization code, password, device code.
    ("feacft", true, Some(Cause::ClientInvalid)),
    ("fepft", true, Some(Cause::CredentialsInvalid)),
    ("fede", true, Some(Cause::CredentialsInvalid)),
    // Failed Exchange of client credentials for a token: a wrong secret.
    ("feccft", true, Some(Cause::ClientInvalid)),
    // Failed Exchange of a refresh token: expired, revoked or reused.
    ("fertft", true, Some(Cause::RefreshFailed)),
    // Failed cross-origin authentication; Blocked Account (too many
    // failures at one account); Blocked IP Address (too many failures from
    // one address, many users: Auth0's own stuffing guard); Breached
    // Password.
    ("fcoa", true, Some(Cause::CredentialsInvalid)),
    ("limit_wc", true, Some(Cause::CredentialsInvalid)),
    ("limit_mu", true, Some(Cause::CredentialsInvalid)),
    ("pwd_leak", true, Some(Cause::CredentialsInvalid)),
    // Multi-factor authentication required but not given.
    ("mfar", true, Some(Cause::StepupRequired)),
];

/// Okta's outcome reasons, as its System Log gives them, and their causes.
const OKTA_REASONS: &[(&str, Cause)] = &[
    ("INVALID_CREDENTIALS", Cause::CredentialsInvalid),
    ("VERIFICATION_ERROR", Cause::CredentialsInvalid),
    ("LOCKED_OUT", Cause::CredentialsInvalid),
    ("INVALID_CLIENT", Cause::ClientInvalid),
    ("invalid_client", Cause::ClientInvalid),
    ("invalid_grant", Cause::RefreshFailed),
];

/// An identity provider's event, if the object is one.
pub(super) fn idp_event<'a>(v: &Value) -> Option<Event<'a>> {
    auth0(v).or_else(|| okta(v))
}

/// Auth0's event (`{"date", "type": "fp", "ip", "user_name", …}`), bare or
/// inside a log stream's `{"log_id", "data": {…}}`.
fn auth0<'a>(v: &Value) -> Option<Event<'a>> {
    let v = v.get("data").filter(|d| d.is_object()).unwrap_or(v);
    let code = v.get("type")?.as_str()?;
    // An Auth0 event carries its date and its own id or a client's.
    if v.get("date").is_none() || (v.get("log_id").is_none() && v.get("client_id").is_none()) {
        return None;
    }
    // Another of Auth0's events (an API operation, a setting changed): a
    // line of a known format that is no request.
    let Some((_, failed, cause)) = AUTH0_TYPES.iter().find(|(c, _, _)| *c == code) else {
        return Some(notice());
    };
    let client_side = matches!(cause, Some(Cause::ClientInvalid));
    Some(Event {
        format: Format::Idp,
        ts: v.get("date").and_then(json_time),
        client: text_at(v, &["ip"]).map(|c| Cow::Owned(bare_address(&c))),
        // The account tried, or for a client's own exchange the client.
        user: if client_side {
            text_at(v, &["client_id", "client_name"])
        } else {
            text_at(v, &["user_name", "user_id", "details.body.username"])
        }
        .map(Cow::Owned),
        agent: failed
            .then(|| text_at(v, &["user_agent"]))
            .flatten()
            .map(Cow::Owned),
        status: if *failed { 401 } else { 200 },
        cause: *cause,
        ..Event::default()
    })
}

/// Okta's System Log event (`{"eventType", "outcome": {"result",
/// "reason"}, "actor": {"alternateId"}, "client": {"ipAddress"},
/// "published"}`): a FAILURE or DENY outcome of a sign-in, an MFA check or
/// a token grant is a rejection.
fn okta<'a>(v: &Value) -> Option<Event<'a>> {
    let kind = v.get("eventType")?.as_str()?;
    let result = at(v, "outcome.result")?.as_str()?;
    if !(kind.starts_with("user.session")
        || kind.starts_with("user.authentication")
        || kind.starts_with("app.oauth2")
        || kind.starts_with("user.account.lock"))
    {
        return Some(notice());
    }
    let failed = matches!(result, "FAILURE" | "DENY");
    let reason = at(v, "outcome.reason")
        .and_then(Value::as_str)
        .unwrap_or("");
    let cause = failed.then(|| {
        OKTA_REASONS
            .iter()
            .find(|(r, _)| reason.contains(r))
            .map(|(_, c)| *c)
            .unwrap_or(if kind.starts_with("app.oauth2") {
                Cause::ClientInvalid
            } else {
                Cause::CredentialsInvalid
            })
    });
    Some(Event {
        format: Format::Idp,
        ts: v.get("published").and_then(json_time),
        client: text_at(v, &["client.ipAddress"]).map(|c| Cow::Owned(bare_address(&c))),
        user: text_at(v, &["actor.alternateId", "actor.id"]).map(Cow::Owned),
        agent: failed
            .then(|| text_at(v, &["client.userAgent.rawUserAgent"]))
            .flatten()
            .map(Cow::Owned),
        status: if failed { 401 } else { 200 },
        cause,
        ..Event::default()
    })
}

/// An event of a known format that is no request.
fn notice<'a>() -> Event<'a> {
    Event {
        format: Format::Idp,
        notice: true,
        ..Event::default()
    }
}
