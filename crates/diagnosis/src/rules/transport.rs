//! The way there and back: a credential dropped on a redirect, a
//! rejection that does not repeat, and the server itself.

use super::{Finding, Rule, Witnesses, finding};
use authdoctor_causes::{Cause, Effort, Likelihood};

/// `header.lost_on_redirect`.
pub struct HeaderLostOnRedirect;

impl Rule for HeaderLostOnRedirect {
    fn cause(&self) -> Cause {
        Cause::HeaderLostOnRedirect
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        // In a browser session (HAR): the redirect is an earlier entry that
        // carried Authorization, and this request, to where it pointed,
        // carries none (the browser dropped it, or then blocked it for CORS).
        if let Some(r) = o
            .spec
            .session
            .as_ref()
            .and_then(|s| s.redirected_from.as_ref())
            .filter(|r| r.carried_authorization)
        {
            if o.spec.header("authorization").is_none() {
                let show = crate::facts::display_url;
                let ev = vec![
                    format!(
                        "entry {} of the session: {} answered {} and carried Authorization",
                        r.entry,
                        show(&r.url),
                        r.status
                    ),
                    format!(
                        "this request, to where it pointed ({}), carries no Authorization",
                        show(&o.spec.url)
                    ),
                ];
                let mut f = finding(
                    Cause::HeaderLostOnRedirect,
                    Likelihood::High,
                    "The browser followed a redirect and dropped Authorization on the way; the request that reached the API had no credentials.".into(),
                    ev,
                    vec![
                        (Effort::Easy, format!("Call the final URL directly: {}", show(&o.spec.url))),
                        (Effort::Medium, "Fix the redirect at the server (often http→https or a missing trailing slash) so the page calls the right URL first.".into()),
                    ],
                );
                f.witnesses.agree.push("the browser session (HAR)".into());
                return Some(f);
            }
        }
        let (i, hop) = o
            .hops
            .iter()
            .enumerate()
            .find(|(_, h)| !h.dropped.is_empty())?;
        let prev = &o.hops[i.checked_sub(1)?];
        let show = crate::facts::display_url;
        let ev = vec![
            format!(
                "{} {} answered {} Location: {}",
                prev.method,
                show(&prev.url),
                prev.status,
                show(&hop.url)
            ),
            format!(
                "the redirect changes host, port or scheme, so {} was dropped (as curl and browsers do)",
                hop.dropped.join(" and ")
            ),
            format!(
                "{} {} carried no credentials and answered {}",
                hop.method,
                show(&hop.url),
                hop.status
            ),
        ];
        Some(finding(
            Cause::HeaderLostOnRedirect,
            Likelihood::High,
            format!("The server redirected to another origin and the client dropped {} on the way; the final request had no credentials.", hop.dropped.join(" and ")),
            ev,
            vec![
                (Effort::Easy, format!("Call the final URL directly: {}", show(&hop.url))),
                (Effort::Medium, "Fix the redirect at the server (often http→https or a missing trailing slash) so clients land on the right URL first.".into()),
            ],
        ))
    }
}

/// `transient`: the same request, sent again, succeeded.
pub struct Transient;

impl Rule for Transient {
    fn cause(&self) -> Cause {
        Cause::Transient
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        match o.resend_status {
            Some(s) if s < 400 => Some(finding(
                Cause::Transient,
                Likelihood::High,
                format!("The rejection did not repeat: the same request, sent again, was answered {s}."),
                vec![format!("first answer {}, second answer {s}", o.answered())],
                vec![(Effort::Medium, "Look for a node with stale keys or config behind the load balancer, or a cache in front of the API.".into())],
            )),
            // Refused again now, or not sent again: the browser's own later
            // attempt, where the session shows one.
            _ => later_in_the_session(w),
        }
    }
}

/// [`Transient`] from a browser session (a HAR): the browser sent the same
/// request with the same credentials again later, and it was not refused.
/// Not where the token's own checks fail at the server's clock (a token
/// used before its `nbf` is valid a moment later: the clocks explain it).
fn later_in_the_session(w: &Witnesses<'_>) -> Option<Finding> {
    let o = w.o;
    let b = o.spec.browser.as_ref()?;
    let (entry, status, at) = b.later_success?;
    if o.token.as_ref().is_some_and(|t| !t.at_server.valid) {
        return None;
    }
    let after = match (b.at, at) {
        (Some(a), Some(b)) if b >= a => format!(", {} s later", b - a),
        _ => String::new(),
    };
    let mut ev = vec![format!(
        "the browser sent the same request with the same credentials again (HAR entry {entry}{after}), and it was answered {status}"
    )];
    ev.extend(w.words.clone());
    let mut f = finding(
        Cause::Transient,
        Likelihood::Medium,
        format!("The rejection did not repeat: the same request with the same credentials was answered {status} later in the session."),
        ev,
        vec![(Effort::Medium, "Look for a node with stale keys or configuration behind the load balancer (compare their logs at the two times), a cache in front of the API, or a key the API fetched only after the first request.".into())],
    );
    f.witnesses.agree.push("the browser session (HAR)".into());
    Some(f)
}

/// The key (its `kid`) of a token that verifies with its issuer's published
/// keys, and how many keys the issuer publishes, where the server's copy of
/// them may be stale: the issuer publishes more than one (a rotation under
/// way), or the server refuses the token's signature or key by name.
fn stale_keys(w: &Witnesses<'_>) -> Option<(String, usize)> {
    let o = w.o;
    if !o.token_passes() {
        return None;
    }
    let kid = o.token.as_ref()?.decoded.kid()?.to_owned();
    let n = o.jwks.as_ref()?.as_ref().ok()?.keys.len();
    (n > 1 || w.refuses_key().is_some()).then_some((kid, n))
}

/// The resource's RFC 9728 metadata names a resource that does not cover
/// the URL called: a client that checks it, as RFC 9728 §3.3 asks (the
/// MCP SDKs: the same origin, the URL's path under the resource's), refuses
/// the metadata and never asks for a token, so its requests go without
/// one. Likely where the request carried none; else a lead.
fn metadata_names_another_resource(w: &Witnesses<'_>) -> Option<Finding> {
    let o = w.o;
    let (meta, resource) = metadata_misnamed(o)?;
    let show = crate::facts::display_url;
    let (called, resource) = (show(&o.spec.url), show(resource));
    let mut ev = vec![
        format!(
            "the resource's RFC 9728 metadata ({}) names the resource {resource}",
            show(&meta.hop.url)
        ),
        format!(
            "the URL called, {called}, is not under it: RFC 9728 §3.3 wants the two identical, and the MCP SDKs refuse metadata whose resource is not the URL's origin and a prefix of its path"
        ),
    ];
    ev.extend(w.words.clone());
    let sent = super::header::has_credentials(w);
    Some(finding(
        Cause::ServerMisconfigured,
        if sent {
            Likelihood::Low
        } else {
            Likelihood::Medium
        },
        format!(
            "The resource's metadata names another resource ({resource}) than the URL called: a client that follows RFC 9728 (an MCP client) refuses the metadata, and never asks for a token."
        ),
        ev,
        vec![(
            Effort::Easy,
            format!(
                "Set the server's resource identifier to the URL its clients call, {called} (the MCP SDKs' resourceServerUrl, resource_server_url), so that its metadata names it; where {called} is an internal name for {resource}, call {resource}."
            ),
        )],
    ))
}

/// The resource's RFC 9728 metadata and the resource it names, where that
/// does not cover the URL called (an http one): not the same origin, or the
/// URL's path not under the resource's (the MCP SDKs' test; RFC 9728 §3.3
/// wants them identical).
pub(super) fn metadata_misnamed(
    o: &crate::observations::Observations,
) -> Option<(&crate::facts::Exchange, &str)> {
    let meta = o
        .resource_metadata
        .as_ref()?
        .as_ref()
        .ok()
        .filter(|e| e.hop.status == 200)?;
    let resource = meta.json.as_ref()?.get("resource")?.as_str()?;
    let called = url::Url::parse(&o.spec.url).ok()?;
    if !matches!(called.scheme(), "http" | "https") {
        return None;
    }
    let under = |p: &str| match p.ends_with('/') {
        true => p.to_owned(),
        false => format!("{p}/"),
    };
    let covers = url::Url::parse(resource).is_ok_and(|r| {
        r.origin() == called.origin() && under(called.path()).starts_with(&under(r.path()))
    });
    (!covers).then_some((meta, resource))
}

/// The keys (their `kid`s) of a token the server refuses by its signature
/// or key, though it verifies with its issuer's published keys, and of a
/// fresh token from the same issuer, signed with another key, that the
/// server accepted: the server's copy of the issuer's keys lacks the
/// token's (it read them before that key was published, or pins one).
pub(super) fn stale_by_experiment(w: &Witnesses<'_>) -> Option<(String, String)> {
    let o = w.o;
    w.refuses_key()?;
    if !o.token_passes() || !o.fresh_token_accepted() {
        return None;
    }
    let kid = o.token.as_ref()?.decoded.kid()?;
    let fresh = o.retry.fresh.as_ref()?.kid()?;
    (kid != fresh).then(|| (kid.to_owned(), fresh.to_owned()))
}

/// The first fix where the server's copy of its issuer's keys lacks `kid`.
fn reread_keys(kid: &str) -> (Effort, String) {
    (
        Effort::Easy,
        format!(
            "Make the server read its issuer's key set again (restart it, or clear its JWKS cache): a server that took the keys once, before `{kid}` was published (a PEM file, a key read at start, a cache that never fetches again), refuses every token that key signs."
        ),
    )
}

/// `server.misconfigured`: every check on the client side passes, yet the
/// server rejects; sure only when a fresh, correct token is rejected too.
pub struct ServerMisconfigured;

impl Rule for ServerMisconfigured {
    fn cause(&self) -> Cause {
        Cause::ServerMisconfigured
    }

    fn at_token_endpoint(&self) -> bool {
        true
    }

    fn find(&self, w: &Witnesses<'_>, found: &[Finding]) -> Option<Finding> {
        let o = w.o;
        if let Some((kid, fresh)) = stale_by_experiment(w) {
            let mut ev = vec![
                o.passes_line(),
                format!("the token is signed with key `{kid}`, which its issuer publishes"),
                format!(
                    "experiment: a fresh token from the same issuer, signed with its key `{fresh}`, was accepted ({})",
                    o.retry.status.unwrap_or(0)
                ),
            ];
            if let Some(s) = w.refuses_key() {
                ev.push(w.quote(s));
            }
            ev.extend(w.words.clone());
            let mut f = finding(
                Cause::ServerMisconfigured,
                Likelihood::High,
                format!("The server accepts tokens signed with the issuer's key `{fresh}` but refuses those signed with `{kid}`, which the issuer also publishes: its copy of the issuer's keys lacks `{kid}`."),
                ev,
                vec![
                    reread_keys(&kid),
                    (Effort::Medium, "Then have it fetch the key set again when a token names a key it does not have (jwks-rsa, PyJWKClient and go-oidc do), not pin a key.".to_owned()),
                ],
            );
            f.witnesses.agree.push("the token's own checks".into());
            f.witnesses.agree.push(
                "experiment: a fresh token signed with another of the issuer's keys was accepted"
                    .into(),
            );
            return Some(f);
        }
        if let Some(f) = metadata_names_another_resource(w) {
            return Some(f);
        }
        let fresh_valid_rejected = o.retry.attempted
            && o.retry.status.is_some_and(|s| s >= 400)
            && o.retry.fresh_report.as_ref().is_some_and(|r| r.valid);
        if found.iter().any(|f| f.likelihood <= Likelihood::Medium) && !fresh_valid_rejected {
            return None;
        }
        // The server says no credentials reached it, while the request sent
        // a well-formed Authorization: the header was lost in front of the
        // application (mod_wsgi, CGI, a CDN or proxy that does not pass it).
        // Not where a fresh token sent the same way was accepted: the header
        // arrives, and the server calls a token it refuses "not provided"
        // (Django REST framework over django-oauth-toolkit does). Sure once
        // the fresh token was refused too, or where the token sent passes
        // every check; else likely.
        let lost = w.says(Cause::CredentialsMissing).filter(|_| {
            o.authorization
                .as_ref()
                .is_some_and(|c| c.scheme.is_some() && !c.has_errors())
                && !o.fresh_token_accepted()
        });
        if let Some(said) = lost {
            let mut ev = vec![
                "the request sent a well-formed Authorization header".to_owned(),
                w.quote(said),
            ];
            if o.token_passes() {
                ev.push(o.passes_line());
            }
            let tried = o.retry.attempted && o.retry.status.is_some();
            if tried {
                ev.push(format!(
                    "experiment: a fresh token sent the same way was refused too ({})",
                    o.retry.status.unwrap_or(0)
                ));
            }
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::ServerMisconfigured,
                if tried || o.token_passes() {
                    Likelihood::High
                } else {
                    Likelihood::Medium
                },
                "The server says no credentials reached it, though the request sent them: the Authorization header did not reach the application; something in front of it drops the header.".into(),
                ev,
                vec![(Effort::Medium, "Pass the header on to the application: Apache with mod_wsgi, `WSGIPassAuthorization On`; Apache with PHP-FPM or CGI, `CGIPassAuth On` (or `SetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1`); CloudFront, Authorization in the origin request policy; an nginx proxy, no `proxy_set_header Authorization \"\"`.".to_owned())],
            ));
        }
        let mut ev = Vec::new();
        let likelihood = if fresh_valid_rejected {
            ev.push(format!(
                "a fresh token that passes every check (issuer, audience, scope, times, signature) was rejected too ({})",
                o.retry.status.unwrap_or(0)
            ));
            Likelihood::High
        } else if o.token_passes() {
            ev.push(o.passes_line());
            if o.retry.attempted && o.retry.status.is_some_and(|s| s >= 400) {
                ev.push(format!(
                    "a fresh token was rejected too ({})",
                    o.retry.status.unwrap_or(0)
                ));
                Likelihood::High
            } else if o.unknown_expectations().is_empty() {
                Likelihood::Medium
            } else {
                // Its issuer and audience were never compared: "every check
                // passes" is not yet shown.
                Likelihood::Low
            }
        } else {
            ev.push("no client-side check explains the rejection".to_owned());
            if o.opaque_token.is_some() && o.introspection.is_none() {
                ev.push("the token is opaque, so only its issuer can judge it: give --issuer, --client-id and --client-secret to ask it by introspection".to_owned());
            }
            Likelihood::Low
        };
        // A key its issuer publishes beside others (a rotation under way),
        // or refused by name: a server that read the keys before this one
        // was published refuses every token it signs.
        let stale_keys = stale_keys(w);
        if let Some((kid, n)) = &stale_keys {
            ev.push(format!(
                "the token is signed with key `{kid}`, one of the {n} keys its issuer publishes now"
            ));
        }
        ev.extend(w.words.clone());
        let unjudged_opaque =
            o.opaque_token.is_some() && o.introspection.is_none() && !fresh_valid_rejected;
        // A token that passes what could be checked, its issuer and
        // audience not among it, and no key refused by name: those are
        // the suspects before the server's keys.
        let unknown_expectations = o.token_passes()
            && !fresh_valid_rejected
            && !o.unknown_expectations().is_empty()
            && w.refuses_key().is_none();
        let (summary, fixes) = if unjudged_opaque {
            (
                "The token is opaque, so nothing on the client side can judge it, and the server's answer names no cause.".to_owned(),
                vec![
                    (Effort::Easy, "Ask its issuer whether it is active: give --issuer, --client-id and the client's secret (AUTHDOCTOR_CLIENT_SECRET) so authdoctor introspects it (RFC 7662).".to_owned()),
                    (Effort::Medium, "Look in the server's logs for the rejection's reason.".to_owned()),
                ],
            )
        } else if unknown_expectations {
            (
                format!("Every check that can be made without knowing the server's expected {} passes, yet the server rejects the request.", o.unknown_expectations().join(" and ")),
                vec![
                    (Effort::Easy, "Give --issuer and --audience with what the server is configured to expect, to compare the token with them.".to_owned()),
                    (Effort::Medium, "Look in the server's logs for the rejection's reason; check that its JWKS cache has the current keys; check a gateway in front of it.".to_owned()),
                ],
            )
        } else if let Some((kid, _)) = &stale_keys {
            (
                "Every check on the client side passes, yet the server rejects the request: the token's key is one its issuer publishes, so the server's copy of the keys is the suspect.".to_owned(),
                vec![
                    reread_keys(kid),
                    (Effort::Medium, "Then have it fetch the key set again when a token names a key it does not have (jwks-rsa, PyJWKClient and go-oidc do), not pin a key; if the keys were not it, look in the server's logs for the reason and check its configured issuer and audience (exact strings).".to_owned()),
                ],
            )
        } else {
            (
                "Every check on the client side passes, yet the server rejects the request.".to_owned(),
                vec![(Effort::Medium, "Look in the server's logs for the rejection's reason; check its configured issuer and audience (exact strings) and that its JWKS cache has the current keys; check a gateway in front of it.".to_owned())],
            )
        };
        let mut f = finding(Cause::ServerMisconfigured, likelihood, summary, ev, fixes);
        if fresh_valid_rejected {
            f.witnesses
                .agree
                .push("experiment: a fresh, correct token was rejected too".into());
        }
        Some(f)
    }
}
