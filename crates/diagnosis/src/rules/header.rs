//! The credentials as sent: none, a malformed header, the wrong scheme or
//! place, a wrong password, a cookie that was not sent.

use super::{Finding, Rule, Witnesses, finding};
use crate::cookies::Withheld;
use crate::spec::JarCookie;
use authdoctor_causes::{Cause, Effort, Likelihood};
use authdoctor_httpauth::Severity;

/// Whether the request carried any credentials at all.
pub(crate) fn has_credentials(w: &Witnesses<'_>) -> bool {
    let o = w.o;
    o.authorization.is_some()
        || !o.cookies_sent.is_empty()
        || !o.other_credentials.is_empty()
        || o.token.is_some()
        || o.opaque_token.is_some()
        // Removed by a sanitized export: sent, for all anyone can tell.
        || o.spec.credentials_removed
        // A sign-in form's password.
        || !o.spec.password_fields().is_empty()
}

/// Servers that answer a request without credentials with a bare 403
/// (no challenge), where credentials would let it through, known by their
/// answer's words (lower-case): who, and how to send them.
static SILENT_ASKERS: &[(&str, &str, &str)] = &[(
    "S3 (AWS, MinIO, Ceph RGW)",
    "<code>accessdenied</code>",
    "Sign the request with an access key that may read it (aws s3 cp s3://bucket/key ., mc cp, or an SDK), or use a presigned URL: the bucket or object is not public, and S3 answers an unsigned request with AccessDenied, not a challenge.",
)];

/// The server of [`SILENT_ASKERS`] that answered, if one did.
pub(crate) fn silent_asker(
    o: &crate::observations::Observations,
) -> Option<&'static (&'static str, &'static str, &'static str)> {
    SILENT_ASKERS
        .iter()
        .find(|(_, words, _)| o.body_holds(words))
}

/// `credentials.missing`.
pub struct CredentialsMissing;

impl Rule for CredentialsMissing {
    fn cause(&self) -> Cause {
        Cause::CredentialsMissing
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        // curl --digest kept the password from a server that asks for
        // another scheme: the scheme rule's matter.
        if o.password_round.as_ref().is_some_and(|r| r.unanswered()) {
            return None;
        }
        // Mutual TLS: the credential wanted is a client certificate,
        // whatever else the request carries.
        if let Some(how) = &o.client_certificate {
            let sent = o.spec.client_cert.is_some();
            let mut ev = vec![how.clone()];
            ev.push(if sent {
                "a client certificate was sent, and the server did not accept it".to_owned()
            } else {
                "the request presented no client certificate".to_owned()
            });
            if has_credentials(w) {
                ev.push("the request's other credentials were not looked at: the certificate is checked first".to_owned());
            }
            return Some(finding(
                Cause::CredentialsMissing,
                Likelihood::High,
                if sent {
                    "The server requires a client certificate (mutual TLS) that its CA signed, and the one sent is not such.".into()
                } else {
                    "The server requires a client certificate (mutual TLS), and the request presented none.".into()
                },
                ev,
                vec![(
                    Effort::Easy,
                    "Present the client certificate and its key: authdoctor diagnose --cert client.pem --key client.key … (curl --cert client.pem --key client.key), one issued by the CA the server trusts for clients (nginx's ssl_client_certificate).".into(),
                )],
            ));
        }
        // A preflight never carries credentials; that is the CORS rule's matter.
        if has_credentials(w)
            || !o.cookies_withheld.is_empty()
            || o.spec.is_preflight()
            || o.token_request_grant.is_some()
        {
            return None;
        }
        // A 403 without credentials and without a challenge or words that
        // ask for them: a refusal of the operation, or a server that answers
        // 403 where 401 belongs (Spring Security with no entry point,
        // keycloak-connect's bearer-only mode, aws-jwt-verify's Express
        // example). Both, at medium, where nothing tells them apart; sure
        // where the same request with a fresh token was accepted.
        let bare_403 = o.answered() == 403 && o.challenges.is_empty() && !w.names_authentication();
        let silent = bare_403.then(|| silent_asker(o)).flatten();
        if bare_403 && !o.fresh_token_accepted() && silent.is_none() {
            let mut ev = vec![
                "the request carries no Authorization header, no cookie and no API key".to_owned(),
                "many APIs answer 403, not 401, to a request without credentials (Spring Security without an entry point, keycloak-connect's bearer-only mode); a 403 names no challenge either way".to_owned(),
            ];
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::CredentialsMissing,
                Likelihood::Medium,
                "The request carries no credentials, and the server refuses it (403) without saying what it wants: most likely it wants them, and answers 403 where 401 belongs.".into(),
                ev,
                vec![(Effort::Easy, "Send the credentials the API documents (-H \"Authorization: Bearer <token>\", an API key, or a session cookie); give --client-id and --issuer and the doctor tries a fresh token itself.".into())],
            ));
        }
        if let Some((who, _, how)) = silent {
            let mut ev = vec![
                "the request carries no Authorization header, no cookie and no API key".to_owned(),
                format!(
                    "{who} answers 403 without a challenge to a request that is not signed, where it is not public"
                ),
            ];
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::CredentialsMissing,
                Likelihood::Medium,
                format!(
                    "The request is not signed, and {who} lets only signed requests read this."
                ),
                ev,
                vec![(Effort::Easy, (*how).into())],
            ));
        }
        let wanted: Vec<String> = o.challenges.iter().map(|c| c.scheme.clone()).collect();
        let mut ev = vec![
            "the request carries no Authorization header, no cookie and no API key".to_owned(),
        ];
        if bare_403 {
            ev.push("sent again with a fresh token, the request was accepted: the server answers 403 where 401 and a challenge belong (RFC 9110 §15.5.2)".to_owned());
        }
        ev.extend(w.words.clone());
        // The resource's RFC 9728 metadata names where its tokens come
        // from and what they are for: the fix is to get one there (unless
        // it names another resource: the server's matter).
        let from_metadata = |e: &Option<(String, crate::observations::Source)>| {
            e.as_ref()
                .filter(|(_, s)| matches!(s, crate::observations::Source::ResourceMetadata))
                .map(|(v, _)| v.clone())
        };
        let misnamed = super::transport::metadata_misnamed(o).is_some();
        let published = from_metadata(&o.expected.issuer).filter(|_| !misnamed).map(|iss| {
            let resource = from_metadata(&o.expected.audience);
            let scopes = o.expected.scopes.as_ref().map(|(s, _)| s.join(" "));
            ev.push(format!(
                "the resource's RFC 9728 metadata names its authorization server {iss}{}",
                resource
                    .as_deref()
                    .map(|r| format!(" and its resource identifier {r}"))
                    .unwrap_or_default()
            ));
            format!(
                "Get an access token from {iss}{}{}, and send it: -H \"Authorization: Bearer <token>\". A client that follows RFC 9728 (an MCP client) finds these in the metadata itself, once it can sign in there.",
                resource
                    .map(|r| format!(" for this resource (resource={r}, RFC 8707)"))
                    .unwrap_or_default(),
                scopes
                    .filter(|s| !s.is_empty())
                    .map(|s| format!(" with the scope {s}"))
                    .unwrap_or_default()
            )
        });
        Some(finding(
            Cause::CredentialsMissing,
            Likelihood::High,
            if wanted.is_empty() {
                "The request carries no credentials at all.".into()
            } else {
                format!(
                    "The request carries no credentials; the server asks for {}.",
                    wanted.join(" or ")
                )
            },
            ev,
            vec![(
                Effort::Easy,
                match &o.sign_in {
                    // A web application's page: its session is the credential.
                    Some(to) => format!(
                        "Sign in at {} and send the session cookie it sets (curl -c jar … then -b jar), or call the application's API with the token it takes.",
                        crate::facts::display_url(to)
                    ),
                    None => match w.bearer.as_ref().and_then(registry_token).or(published) {
                        Some(how) => how,
                        None => format!("Send credentials: {}", how_to_send(&wanted)),
                    },
                },
            )],
        ))
    }
}

/// A forward proxy's refusal ([`crate::facts::proxy_answered`]: its 407,
/// RFC 9110 §15.5.8, or a 401 it signed): it wants its own credentials,
/// and the request did not reach the API. `sent`: the finding for a request
/// that carried proxy credentials (`credentials.invalid`), else for one
/// that did not (`credentials.missing`). [`super::diagnose`] gives it
/// alone, before every rule.
pub(crate) fn proxy_refusal(w: &Witnesses<'_>, sent: bool) -> Option<Finding> {
    let o = w.o;
    let last = o
        .hops
        .last()
        .filter(|h| crate::facts::proxy_answered(h, o.proxy.as_ref()))?;
    let proxy_credentials = o.spec.header("proxy-authorization").is_some()
        || o.proxy.as_ref().is_some_and(|p| p.credentials);
    if proxy_credentials != sent {
        return None;
    }
    let asks: Vec<String> = last
        .headers_named("proxy-authenticate")
        .map(|v| format!("Proxy-Authenticate: {v}"))
        .chain(
            // tinyproxy refuses a wrong proxy password with a 401 and a
            // WWW-Authenticate of its own.
            (last.status != 407)
                .then(|| last.headers_named("www-authenticate"))
                .into_iter()
                .flatten()
                .map(|v| format!("WWW-Authenticate: {v}")),
        )
        .chain(last.header("server").map(|s| format!("Server: {s}")))
        .collect();
    let mut ev = vec![format!(
        "the answer ({}) came from a proxy between this machine and the API{}, and the request did not reach the API",
        last.status,
        if asks.is_empty() {
            String::new()
        } else {
            format!(" ({})", asks.join("; "))
        }
    )];
    if let Some(p) = &o.proxy {
        ev.push(format!(
            "the request went through the proxy {} (named by {})",
            p.shown, p.variable
        ));
    }
    ev.push(if sent {
        "the request sent proxy credentials (Proxy-Authorization), and the proxy refused them"
            .to_owned()
    } else {
        "the request sent no proxy credentials (Proxy-Authorization)".to_owned()
    });
    ev.push("the API's own credentials (Authorization) were not looked at: the proxy stopped the request first".to_owned());
    let (cause, summary, fix) = if sent {
        (
            Cause::CredentialsInvalid,
            "A proxy between this machine and the API refuses the proxy credentials sent.",
            "Check the proxy's user name and password (curl --proxy-user USER:PASSWORD, or those in the proxy's URL in HTTPS_PROXY); a domain proxy may want DOMAIN\\USER, or NTLM or Negotiate (curl --proxy-ntlm, --proxy-negotiate).",
        )
    } else {
        (
            Cause::CredentialsMissing,
            "A proxy between this machine and the API asks for its own credentials, and the request sent none.",
            "Give the proxy its credentials: curl --proxy-user USER:PASSWORD, or the user and password in the proxy's URL in HTTPS_PROXY for the tools that read it (this one does); or reach the API without the proxy (NO_PROXY=host) where the network allows.",
        )
    };
    ev.extend(w.words.clone());
    Some(finding(
        cause,
        Likelihood::High,
        summary.into(),
        ev,
        vec![(Effort::Easy, fix.into())],
    ))
}

/// How to get and send a token where the server speaks the registry token
/// protocol (Docker Registry HTTP API v2, and the registries that follow
/// it: Docker Hub, GHCR, Harbor, Quay, GitLab's): its challenge names the
/// token service (`realm`), the `service` and the `scope` to ask for, and
/// the token comes from there, never from the registry itself.
pub(crate) fn registry_token(b: &authdoctor_httpauth::BearerChallenge) -> Option<String> {
    // The server's URL, shown as every URL is: a password or a secret in
    // its query masked.
    let url = crate::facts::display_url(&b.registry_token_url()?);
    Some(format!(
        "This server speaks the registry token protocol: ask its token service for a token, then send that. curl -s -u USER:PASSWORD_OR_ACCESS_TOKEN '{url}' | jq -r '.token // .access_token' (no -u for a public repository's pull), then -H \"Authorization: Bearer <token>\". docker login does this for docker and podman."
    ))
}

/// How to send credentials of the first scheme the server asks for that
/// curl can send (Bearer where it names none).
fn how_to_send(wanted: &[String]) -> &'static str {
    wanted
        .iter()
        .find_map(|w| match w.to_ascii_lowercase().as_str() {
            "bearer" => Some("-H \"Authorization: Bearer <token>\""),
            "basic" => Some("curl -u USER:PASSWORD"),
            "digest" => Some("curl --digest -u USER:PASSWORD (HTTP Digest: curl answers the server's nonce)"),
            "negotiate" => Some("curl --negotiate -u : (a Kerberos ticket from kinit first; SPNEGO)"),
            "ntlm" => Some("curl --ntlm -u 'DOMAIN\\USER:PASSWORD'"),
            "dpop" => Some("-H \"Authorization: DPoP <token>\" with a DPoP proof header signed by the token's key (RFC 9449)"),
            _ => None,
        })
        .unwrap_or("-H \"Authorization: Bearer <token>\"")
}

/// `header.malformed`.
pub struct HeaderMalformed;

impl Rule for HeaderMalformed {
    fn cause(&self) -> Cause {
        Cause::HeaderMalformed
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let c = w.o.authorization.as_ref()?;
        let malformed: Vec<_> = c
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error && p.cause == Cause::HeaderMalformed)
            .collect();
        if malformed.is_empty() {
            // The header is well formed by RFC 9110, yet the server says it
            // is not: its own grammar is stricter (a lower-case `bearer`).
            let odd_case = c.problems.iter().any(|p| p.id.id() == "scheme_case");
            let invalid_request = w.bearer.as_ref().and_then(|b| b.error.clone())
                == Some(authdoctor_httpauth::BearerError::InvalidRequest);
            // A server that does not recognise the header at all says so in
            // its own way: invalid_request, "missing Bearer", "no credentials".
            let unrecognised = invalid_request
                || w.says(Cause::SchemeMismatch).is_some()
                || w.says(Cause::CredentialsMissing).is_some()
                || w.says(Cause::HeaderMalformed).is_some();
            // Or it takes the whole value for the token (a server that cuts
            // the exact prefix `Bearer `): the token passes every check, the
            // server names no cause, and where the fresh-token retry was
            // sent (with the scheme spelled `Bearer`), it was accepted.
            let o = w.o;
            let canonical_accepted = o.fresh_token_accepted();
            let taken_whole = o.token_passes() && w.named().is_none();
            if odd_case && (unrecognised || taken_whole) {
                let mut ev = vec![format!(
                    "the scheme is sent as `{}`; RFC 9110 makes it case-insensitive, but this server does not recognise it",
                    c.scheme.as_deref().unwrap_or("")
                )];
                if taken_whole {
                    ev.push("the token itself passes every check (signature, times, issuer, audience, scope), and the server names no other cause".into());
                }
                if taken_whole && canonical_accepted {
                    ev.push("sent again with the scheme spelled `Bearer` (and a fresh token of the same claims), the request was accepted".into());
                }
                ev.extend(w.words.clone());
                let likelihood = if unrecognised || canonical_accepted {
                    Likelihood::High
                } else {
                    Likelihood::Medium
                };
                return Some(finding(
                    Cause::HeaderMalformed,
                    likelihood,
                    "The server refuses the scheme's letter case: send `Bearer`, as it is spelled in RFC 6750.".into(),
                    ev,
                    vec![(Effort::Easy, "Send `Authorization: Bearer <token>` with the scheme spelled `Bearer`.".into())],
                ));
            }
            let s = w.says(Cause::HeaderMalformed)?;
            // Well-formed credentials of a scheme the server does not read,
            // which it calls malformed: the scheme rule's matter.
            if unread_scheme(w).is_some() {
                return None;
            }
            let mut ev = vec![w.quote(s)];
            if c.problems.iter().any(|p| p.id.id() == "scheme_case") {
                ev.push("the scheme's letter case is unusual; RFC 9110 makes it case-insensitive, but this server compares it exactly".into());
            }
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::HeaderMalformed,
                Likelihood::Medium,
                "The server says the Authorization header is malformed.".into(),
                ev,
                vec![(
                    Effort::Easy,
                    "Send exactly `Authorization: Bearer <token>`: the scheme spelled `Bearer`, one space, the token alone.".into(),
                )],
            ));
        }
        let mut ev: Vec<String> = malformed
            .iter()
            .map(|p| format!("{} at byte {}: {}", p.id.id(), p.at, p.message))
            .collect();
        ev.extend(w.words.clone());
        Some(finding(
            Cause::HeaderMalformed,
            Likelihood::High,
            format!(
                "The Authorization header is malformed: {}",
                malformed[0].message
            ),
            ev,
            vec![],
        ))
    }
}

/// `scheme.mismatch`: the wrong scheme, or credentials in the wrong place.
pub struct SchemeMismatch;

/// The standard schemes as their specifications write them.
const STANDARD_WRITTEN: &[&str] = &["Basic", "Bearer", "Digest", "DPoP", "Negotiate", "NTLM"];

impl Rule for SchemeMismatch {
    fn cause(&self) -> Cause {
        Cause::SchemeMismatch
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        // A web application's page, which signs users in with a session,
        // sent a request that carries a good token (and no cookie) to sign
        // in: the page takes no token at all.
        if let Some(to) = &o.sign_in {
            if o.cookies_sent.is_empty() && o.token_passes() {
                let mut ev = vec!["the token itself passes every check (signature, times, issuer, audience, scope)".to_owned()];
                ev.extend(w.words.clone());
                return Some(finding(
                    Cause::SchemeMismatch,
                    Likelihood::Medium,
                    "This URL signs users in with a session (it sends the request to a sign-in page) and takes no bearer token.".into(),
                    ev,
                    vec![(Effort::Easy, format!(
                        "Call the application's API (the URL that takes a token) instead, or sign in at {} and send the session cookie it sets.",
                        crate::facts::display_url(to)
                    ))],
                ));
            }
        }
        // curl --digest answers only a Digest challenge: to a server that
        // asks for Basic it sent no password at all.
        if let Some(r) = o.password_round.as_ref().filter(|r| r.unanswered()) {
            let mut ev = vec![r.describe()];
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::SchemeMismatch,
                Likelihood::High,
                format!(
                    "The server asks for {}, and {} answers only a Digest challenge: the password was never sent.",
                    r.offered.join(" or "),
                    r.option
                ),
                ev,
                vec![(
                    Effort::Easy,
                    format!(
                        "Drop {} (curl sends -u as Basic by default), or use --anyauth to answer whichever scheme the server asks for.",
                        r.option
                    ),
                )],
            ));
        }
        let wanted: Vec<&str> = o.challenges.iter().map(|c| c.scheme.as_str()).collect();
        let sent = o.authorization.as_ref().and_then(|c| c.scheme.clone());
        let mut ev = Vec::new();
        let summary;
        if let Some(s) = &sent {
            let nonstandard = o
                .authorization
                .as_ref()
                .is_some_and(|c| c.problems.iter().any(|p| p.cause == Cause::SchemeMismatch));
            // Bearer or DPoP where the other is wanted is a binding matter.
            let binding = (s.eq_ignore_ascii_case("bearer") || s.eq_ignore_ascii_case("dpop"))
                && wanted
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case("dpop") || w.eq_ignore_ascii_case("bearer"));
            // A server that names its own scheme in the challenge (`Token`,
            // `JWT`: @hapi/jwt and others) while it reads Bearer tokens:
            // its words, not its challenge's scheme, say what is wrong.
            const STANDARD: &[&str] = &[
                "basic",
                "bearer",
                "digest",
                "dpop",
                "negotiate",
                "ntlm",
                "hoba",
                "mutual",
                "scram-sha-256",
                "vapid",
                "cookie",
            ];
            let own_scheme = s.eq_ignore_ascii_case("bearer")
                && !wanted.is_empty()
                && wanted
                    .iter()
                    .all(|w| !STANDARD.contains(&w.to_ascii_lowercase().as_str()))
                && w.says(Cause::SchemeMismatch).is_none()
                // It read the token and judged it: its words name a cause of
                // the token. "No credentials" means it did not see them (DRF's
                // `Token` scheme): that is a scheme mismatch after all.
                && w.named().is_some_and(|s| {
                    s.cause.is_some_and(|c| c.id().starts_with("token.") || c == Cause::ClockSkew)
                });
            // The scheme the challenge names, sent: a scheme of the
            // server's own (Django REST framework's `Token`) is no
            // mismatch where the server asks for that very one.
            let asked_for = wanted.iter().any(|w| w.eq_ignore_ascii_case(s));
            let accepted = wanted.is_empty() || asked_for || binding || own_scheme;
            // No challenge, a scheme sent as written everywhere (`Bearer`,
            // not `bearer`, which a case-sensitive server misreads), and
            // words that say the scheme is not the one wanted (API
            // Gateway's on a route that IAM authorizes: a SigV4 signature).
            let told = w
                .says(Cause::SchemeMismatch)
                .filter(|_| wanted.is_empty() && STANDARD_WRITTEN.contains(&s.as_str()));
            // No challenge, a well-formed header of a scheme other than
            // Bearer, and an answer that could not use it: RFC 6750's
            // error codes (a Bearer server's), or words about the
            // Authorization header itself, not about a user or password
            // (@fastify/bearer-auth's "invalid authorization header",
            // node-oauth2-server's "malformed authorization header").
            if let Some(bearer_code) = unread_scheme(w) {
                ev.push(format!(
                    "the request sends a well-formed `Authorization: {s} …`"
                ));
                ev.push(match &o.body_error {
                    Some((e, _)) if bearer_code => format!(
                        "the server answers with RFC 6750's error code {e:?}, a Bearer token server's"
                    ),
                    _ => "the server speaks of the Authorization header it could not use, not of a user name or password, and asks for no scheme".into(),
                });
                ev.extend(w.words.clone());
                return Some(finding(
                    Cause::SchemeMismatch,
                    if bearer_code {
                        Likelihood::High
                    } else {
                        Likelihood::Medium
                    },
                    format!(
                        "The server does not read `{s}` credentials: it could not use the Authorization header, though it is well formed. It most likely wants a Bearer token."
                    ),
                    ev,
                    vec![(
                        Effort::Easy,
                        format!(
                            "Send `Authorization: Bearer <token>` (the token this API's issuer gives), not {s} credentials."
                        ),
                    )],
                ));
            }
            if accepted && (!nonstandard || asked_for) && told.is_none() {
                return None;
            }
            // A scheme of its own (GitHub's `token`) that the server read:
            // its words judge the credential ("Bad credentials"), not the
            // scheme. (Words about a token's algorithm or form may be the
            // server failing to read a scheme it does not take: HAProxy's.)
            let read_it = w.says(Cause::CredentialsInvalid).is_some();
            if read_it && told.is_none() && (accepted || wanted.is_empty()) {
                return None;
            }
            ev.push(format!("the request sends `Authorization: {s} …`"));
            if let Some(said) = told {
                ev.push(w.quote(said));
                ev.extend(w.words.clone());
                return Some(finding(
                    Cause::SchemeMismatch,
                    Likelihood::High,
                    format!(
                        "The server wants another scheme than `{s}` in Authorization, its words say."
                    ),
                    ev,
                    vec![(
                        Effort::Medium,
                        format!(
                            "Send the credentials the server's words name (for AWS API Gateway's IAM routes, an AWS Signature Version 4), or call the route whose authorizer takes a {s} token."
                        ),
                    )],
                ));
            }
            summary = if wanted.is_empty() {
                format!(
                    "The request uses the scheme `{s}`, which is not a standard one; OAuth 2.0 servers expect Bearer."
                )
            } else {
                format!(
                    "The request uses the scheme `{s}` and the server asks for {}.",
                    wanted.join(" or ")
                )
            };
        } else if let Some(t) = o.token.as_ref().filter(|t| t.place != "authorization") {
            ev.push(format!(
                "a JWT was sent in {}, not in Authorization",
                if t.place == "query" {
                    "the query string".to_owned()
                } else {
                    format!("the {} header", t.place)
                }
            ));
            summary = format!(
                "The token is in the wrong place ({}); the server wants it in `Authorization: {} <token>`.",
                t.place,
                wanted.first().copied().unwrap_or("Bearer")
            );
        } else if let Some(said) = w
            .says(Cause::CredentialsMissing)
            .filter(|_| !o.other_credentials.is_empty() && o.token.is_none())
        {
            // A key sent where the server does not look (another header's
            // name, the query string for a header): it says it got none.
            ev.push(format!(
                "the request sent its key in {}",
                o.other_credentials.join(", ")
            ));
            ev.push(w.quote(said));
            if let Some(own) = wanted
                .iter()
                .find(|s| !STANDARD_WRITTEN.iter().any(|x| x.eq_ignore_ascii_case(s)))
            {
                ev.push(format!(
                    "the server asks for a scheme of its own, `{own}`: its documentation says where the key goes"
                ));
            }
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::SchemeMismatch,
                Likelihood::High,
                format!(
                    "The server says it got no credentials, though the request sent a key in {}: it reads its key from another place (another header's name, the query string, a cookie, or Authorization).",
                    o.other_credentials.join(", ")
                ),
                ev,
                vec![(Effort::Easy, "Send the key where the API reads it: the exact header name its documentation gives (X-API-Key, Api-Key, Authorization: Bearer …), or the query parameter it names.".into())],
            ));
        } else if !o.other_credentials.is_empty()
            && wanted.iter().any(|w| w.eq_ignore_ascii_case("bearer"))
        {
            ev.push(format!(
                "credentials were sent in {}",
                o.other_credentials.join(", ")
            ));
            summary =
                "The credentials are in an API-key header; the server asks for a Bearer token."
                    .into();
        } else {
            return None;
        }
        ev.extend(w.words.clone());
        // A registry's password (Basic) is exchanged at its token service
        // for the Bearer token it takes.
        let fix = match w.bearer.as_ref().and_then(registry_token) {
            Some(how)
                if sent
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("basic")) =>
            {
                format!("The registry takes a token, not the password itself. {how}")
            }
            Some(how) => how,
            // A standard scheme has its own way to be sent (-u for Basic,
            // --digest for Digest); a scheme of the server's own takes its
            // key after the name.
            None => match wanted.first().copied() {
                Some(s) if STANDARD_WRITTEN.iter().any(|x| x.eq_ignore_ascii_case(s)) => {
                    let owned: Vec<String> = wanted.iter().map(|w| (*w).to_owned()).collect();
                    format!(
                        "Send the credentials the server asks for: {}.",
                        how_to_send(&owned)
                    )
                }
                s => format!("Send `Authorization: {} <token>`.", s.unwrap_or("Bearer")),
            },
        };
        Some(finding(
            Cause::SchemeMismatch,
            Likelihood::High,
            summary,
            ev,
            vec![(Effort::Easy, fix)],
        ))
    }
}

/// Whether the server, asking for no scheme, could not use a well-formed
/// `Authorization` of a password scheme (Basic, Digest: no token):
/// `Some(true)` where it answers with RFC 6750's error codes (a Bearer
/// server's), `Some(false)` where its words speak of the Authorization
/// header itself.
pub(crate) fn unread_scheme(w: &Witnesses<'_>) -> Option<bool> {
    let o = w.o;
    let c = o.authorization.as_ref()?;
    let password = c
        .scheme
        .as_deref()
        .is_some_and(authdoctor_httpauth::challenge::is_password_scheme);
    if !password || !o.challenges.is_empty() || c.has_errors() || !matches!(o.answered(), 400 | 401)
    {
        return None;
    }
    let bearer_code = o.body_error.as_ref().is_some_and(|(e, _)| {
        ["invalid_request", "invalid_token", "insufficient_scope"].contains(&e.as_str())
    });
    let of_the_header = o.body_holds("authorization header")
        || w.said
            .iter()
            .any(|s| s.text.to_ascii_lowercase().contains("authorization header"));
    (bearer_code || of_the_header).then_some(bearer_code)
}

/// A Digest answer sent as it was recorded (`Authorization: Digest …`
/// given whole, not computed from -u with --digest), refused with a new
/// challenge: it was computed for another nonce (or the server says it is
/// stale), so the refusal says nothing of the password.
fn replayed_digest(w: &Witnesses<'_>) -> Option<Finding> {
    let o = w.o;
    if o.password_round.is_some() || o.answered() != 401 {
        return None;
    }
    // (A Digest answer's auth-params read as a challenge's do.)
    o.authorization
        .as_ref()
        .and_then(|c| c.scheme.as_deref())
        .filter(|s| s.eq_ignore_ascii_case("digest"))?;
    let sent = o.spec.header("authorization")?;
    let answer = authdoctor_httpauth::challenge::parse(sent)
        .challenges
        .into_iter()
        .next()?;
    let offered = o.challenges.iter().find(|c| c.is("Digest"))?;
    let stale = offered
        .param("stale")
        .is_some_and(|s| s.eq_ignore_ascii_case("true"));
    let other_nonce = answer.param("nonce") != offered.param("nonce");
    if !stale && !other_nonce {
        return None;
    }
    let mut ev = vec!["the request sends a Digest answer given whole (`Authorization: Digest …`), not computed for this request".to_owned()];
    if stale {
        ev.push("the server's challenge says stale=true: the nonce answered is no longer valid, whatever the password".into());
    } else {
        ev.push("the server's challenge carries another nonce than the one answered".into());
    }
    ev.extend(w.words.clone());
    Some(finding(
        Cause::CredentialsInvalid,
        if stale { Likelihood::High } else { Likelihood::Medium },
        "The Digest answer was computed for a nonce of an earlier exchange (recorded by a browser or copied from one); the server refuses it with a fresh nonce, which says nothing of the password.".into(),
        ev,
        vec![(Effort::Easy, "Let the client answer the challenge itself: authdoctor diagnose --digest -u USER:PASSWORD URL (curl --digest -u USER:PASSWORD URL), not a recorded Authorization header.".into())],
    ))
}

/// `credentials.invalid`: a wrong password, an unknown API key or opaque
/// token, or a grant the token endpoint refuses.
pub struct CredentialsInvalid;

impl Rule for CredentialsInvalid {
    fn cause(&self) -> Cause {
        Cause::CredentialsInvalid
    }

    fn at_token_endpoint(&self) -> bool {
        true
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        if let Some(grant) = &o.token_request_grant {
            let (err, _) = o.body_error.as_ref()?;
            if err != "invalid_grant" || grant == "refresh_token" {
                return None;
            }
            let mut ev = super::token_endpoint::evidence(o);
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::CredentialsInvalid,
                Likelihood::High,
                format!("The token endpoint refused the {grant} grant (invalid_grant): the code, password or assertion is wrong, expired or used."),
                ev,
                vec![(Effort::Easy, "Start the flow again: authorization codes are single-use and short-lived; check redirect_uri and the PKCE verifier match.".into())],
            ));
        }
        // An API key (a credential header other than Authorization) refused.
        if o.authorization.is_none()
            && !o.other_credentials.is_empty()
            && matches!(o.answered(), 401 | 403)
            // A server that says it got none never judged the key: where
            // it looks is the scheme rule's matter.
            && w.says(Cause::CredentialsMissing).is_none()
        {
            let said = w.says(Cause::CredentialsInvalid);
            // A server that asks for a Bearer token wants another scheme:
            // that is the scheme rule's to say.
            let wants_bearer = o.challenges.iter().any(|c| c.is("Bearer"));
            if said.is_some() || !wants_bearer {
                let mut ev = vec![format!(
                    "the request authenticates with {}",
                    o.other_credentials.join(", ")
                )];
                if let Some(s) = said {
                    ev.push(w.quote(s));
                }
                ev.extend(w.words.clone());
                return Some(finding(
                    Cause::CredentialsInvalid,
                    if said.is_some() { Likelihood::High } else { Likelihood::Medium },
                    format!(
                        "The server refuses the key sent in {}: unknown, revoked, or for another environment.",
                        o.other_credentials.join(", ")
                    ),
                    ev,
                    vec![(Effort::Easy, "Check the key against the one issued for this environment (a stray newline, a rotated key, a test key on production).".into())],
                ));
            }
        }
        // A sign-in form's password (in the body: a form or JSON), refused.
        let fields = o.spec.password_fields();
        if o.authorization.is_none()
            && !fields.is_empty()
            && matches!(o.answered(), 401 | 403)
            && o.csrf.is_none()
            && w.named()
                .is_none_or(|s| s.cause == Some(Cause::CredentialsInvalid))
        {
            let said = w.says(Cause::CredentialsInvalid);
            let mut ev = vec![format!(
                "the request signs in with a password in its body (its field {}), and the server answered {}",
                fields
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                o.answered()
            )];
            if let Some(s) = said {
                ev.push(w.quote(s));
            }
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::CredentialsInvalid,
                Likelihood::High,
                "The sign-in is refused: the user name or password is wrong (or the account is locked, disabled or not yet confirmed).".into(),
                ev,
                vec![(
                    Effort::Easy,
                    "Check the user name and password (a stray space, the keyboard layout, another environment's account); if they are right, look at the account's state (locked after failed attempts, disabled, its email not confirmed) where the users are kept.".into(),
                )],
            ));
        }
        let c = o.authorization.as_ref()?;
        let scheme = c.scheme.as_deref().unwrap_or("");
        // A key under a scheme of the server's own that its challenge
        // names (Django REST framework's `Token`), refused: the key is
        // wrong, unless its words name another cause.
        // Or, asking for nothing, whose words call it invalid (Okta's
        // `SSWS` API token: "Invalid token provided"): words that name no
        // cause of a JWT's mean the key here.
        let own_scheme = !scheme.is_empty()
            && !STANDARD_WRITTEN
                .iter()
                .any(|s| s.eq_ignore_ascii_case(scheme));
        let called_invalid = own_scheme
            && o.challenges.is_empty()
            && o.opaque_token.is_some()
            && w.named().is_none()
            && o.body_holds("invalid");
        let own_scheme_refused = own_scheme
            && (o.challenges.iter().any(|ch| ch.is(scheme)) || called_invalid)
            // (Its lint calls such a scheme non-standard: the server's
            // challenge says otherwise.)
            && !c.problems.iter().any(|p| {
                p.severity == authdoctor_httpauth::Severity::Error && p.cause != Cause::SchemeMismatch
            })
            && w.named().is_none_or(|s| s.cause == Some(Cause::CredentialsInvalid));
        // A credential in Authorization under a scheme of its own (an AWS
        // signature, GitHub's `token`), or an opaque token, that the
        // server's words call wrong.
        let said = w.says(Cause::CredentialsInvalid);
        // A Digest answer given as a header (a browser's "Copy as cURL", a
        // HAR), not computed here: it was for the nonce of that moment.
        if let Some(f) = replayed_digest(w) {
            return Some(f);
        }
        // A password answered to the server's challenge (curl --digest).
        if let Some(r) = o.password_round.as_ref().filter(|r| r.answered.is_some()) {
            // Accepted once the session cookie of the challenge went back:
            // the cookie rule's matter.
            if r.with_cookies.is_some_and(|s| s < 400) || o.answered() != 401 {
                return None;
            }
            let user = authdoctor_secret::shown_user(&r.user);
            let mut ev = vec![r.describe()];
            if let Some(s) = r.with_cookies {
                ev.push(format!(
                    "experiment: answered again with the cookies it set ({}), refused too ({s})",
                    r.cookies_set.join(", ")
                ));
            }
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::CredentialsInvalid,
                Likelihood::High,
                format!("The server refuses the user name or password (user {user:?}), sent by {scheme} in answer to its challenge."),
                ev,
                vec![(Effort::Easy, "Check the password (and the user name's case, and the realm it belongs to); watch for a trailing newline from a secrets file.".into())],
            ));
        }
        if let (true, None, None) = (said.is_some() || own_scheme_refused, &c.basic, &o.token) {
            if matches!(o.answered(), 401 | 403) {
                let aws = scheme.to_ascii_uppercase().starts_with("AWS4-");
                let mut ev = vec![format!(
                    "the request authenticates with `Authorization: {scheme} …`"
                )];
                match said {
                    Some(s) => ev.push(w.quote(s)),
                    None if called_invalid => {
                        let body: String = o.last().body.chars().take(160).collect();
                        ev.push(format!(
                            "the server asks for no scheme, and its answer calls the `{scheme}` credential invalid: {:?}",
                            authdoctor_secret::scrub(body.trim())
                        ));
                    }
                    None => ev.push(format!(
                        "the server asks for `{scheme}` credentials, the scheme sent, and refused them"
                    )),
                }
                ev.extend(w.words.clone());
                return Some(finding(
                    Cause::CredentialsInvalid,
                    if said.is_none() && called_invalid {
                        Likelihood::Medium
                    } else {
                        Likelihood::High
                    },
                    format!(
                        "The server refuses the {scheme} credentials sent, its words say: wrong, revoked, or for another account or environment."
                    ),
                    ev,
                    vec![(
                        Effort::Easy,
                        if aws {
                            "Check the access key and its secret (aws configure list, aws sts get-caller-identity): a rotated or deleted key, a secret with a stray character, temporary credentials without their session token; and that the request is signed for this service and region.".into()
                        } else {
                            "Check the credential against the one issued for this account and environment: revoked, expired, or a test credential on production.".into()
                        },
                    )],
                ));
            }
        }
        // An opaque Bearer token refused with no cause named, and nothing
        // to judge it by: beside the likelier reading (a JWT-only API;
        // the wrong-type rule's), the other one, that an API which looks
        // its tokens up does not know this one.
        if super::token::opaque_bearer_unjudged(w) {
            let mut ev = vec![
                "the token is opaque (not a JWT), and the server's answer names no cause"
                    .to_owned(),
            ];
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::CredentialsInvalid,
                Likelihood::Low,
                "If this API takes opaque tokens (it looks them up, or asks its issuer by introspection), it does not know this one: expired, revoked, or issued by another environment.".into(),
                ev,
                vec![(Effort::Easy, "Ask the issuer whether the token is active: give --issuer, --client-id and the client's secret (AUTHDOCTOR_CLIENT_SECRET), and the doctor introspects it; or get a fresh token and send that.".into())],
            ));
        }
        let b = c.basic.as_ref()?;
        // A 403 counts where its words call the password wrong (Django REST
        // framework's defaults answer 403: their first authenticator, the
        // session's, asks for nothing).
        let refused = o.answered() == 401 || (o.answered() == 403 && said.is_some());
        if !refused || c.has_errors() {
            return None;
        }
        // A server that could not use the header at all never judged the
        // password: the scheme rule says what it wants.
        if unread_scheme(w).is_some() {
            return None;
        }
        // A server that asks only for other schemes (a registry's Bearer
        // tokens) never judged the password: the scheme is the matter.
        if !o.challenges.is_empty() && !o.challenges.iter().any(|c| c.is("Basic")) {
            return None;
        }
        let mut ev = vec![format!(
            "Basic credentials for user {:?} are well formed",
            authdoctor_secret::shown_user(&b.user)
        )];
        ev.extend(w.words.clone());
        Some(finding(
            Cause::CredentialsInvalid,
            Likelihood::High,
            format!(
                "The server refuses the user name or password (user {:?}).",
                authdoctor_secret::shown_user(&b.user)
            ),
            ev,
            vec![(Effort::Easy, "Check the password (and the user name's case); watch for a trailing newline from a secrets file.".into())],
        ))
    }
}

/// `cookie.rejected`.
pub struct CookieRejected;

impl Rule for CookieRejected {
    fn cause(&self) -> Cause {
        Cause::CookieRejected
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        // A Digest server that keeps its nonce in the session it sets with
        // the challenge (Flask-HTTPAuth's default): the answer went without
        // that cookie, as curl sends it only with its cookie engine on, and
        // a round that sent it back was accepted.
        if let Some(r) = o
            .password_round
            .as_ref()
            .filter(|r| !r.cookies_returned && r.with_cookies.is_some_and(|s| s < 400))
        {
            let mut ev = vec![
                r.describe(),
                format!(
                    "the server set the cookie {} with its challenge, and the answer went without it",
                    r.cookies_set.join(", ")
                ),
                format!(
                    "experiment: the same password, answered with that cookie sent back, was accepted ({})",
                    r.with_cookies.unwrap_or(0)
                ),
            ];
            ev.extend(w.words.clone());
            let mut f = finding(
                Cause::CookieRejected,
                Likelihood::High,
                format!(
                    "The server keeps its challenge (the nonce) in the session cookie it sets with it ({}), and the answer did not send that cookie back: the password is right.",
                    r.cookies_set.join(", ")
                ),
                ev,
                vec![(
                    Effort::Easy,
                    format!(
                        "Turn curl's cookie engine on so that the cookie goes back with the answer: curl -b '' {} -u USER:PASSWORD …; in code, send both requests in one session that keeps cookies (requests.Session, a cookie jar).",
                        r.option
                    ),
                )],
            );
            f.witnesses
                .agree
                .push("experiment: the cookie sent back, the password was accepted".into());
            return Some(f);
        }
        let cookie_challenge = o.challenges.iter().any(|c| c.is("Cookie"));
        // A status whose family means an expired or missing session
        // (Laravel's 419, IIS's 440).
        let session_status = w
            .says(Cause::CookieRejected)
            .filter(|s| s.place == "status");
        if let (Some(s), true, true) = (
            session_status,
            o.cookies_sent.is_empty(),
            o.cookies_withheld.is_empty(),
        ) {
            let mut ev = vec!["the request carried no cookie".to_owned()];
            ev.push(w.quote(s));
            ev.extend(w.words.clone());
            return Some(finding(
                Cause::CookieRejected,
                Likelihood::High,
                format!(
                    "The server wants a session cookie ({} says so with {}), and the request sent none.",
                    s.family, s.text
                ),
                ev,
                vec![(Effort::Easy, "Sign in to the application for a session cookie and send it (curl -c jar … then -b jar); a browser app must send it with each call (fetch's credentials: 'include', and a SameSite that lets it go).".into())],
            ));
        }
        // A session cookie was the only credential, and the server refused.
        let only_cookie = !o.cookies_sent.is_empty()
            && o.authorization.is_none()
            && o.other_credentials.is_empty()
            && o.token.is_none()
            && o.opaque_token.is_none()
            && matches!(o.status(), 401 | 403);
        if o.cookies_withheld.is_empty() && !cookie_challenge && !only_cookie {
            return None;
        }
        if o.cookies_withheld.is_empty() && !cookie_challenge {
            let mut ev = vec![format!(
                "the request's only credential is the cookie {}, and the server answered {}",
                o.cookies_sent.join(", "),
                o.last().status
            )];
            ev.extend(w.words.clone());
            // Sent to sign in with a session cookie in hand: the session is
            // not accepted, whatever the server's words. Told "no
            // credentials" with the cookie as the only one, and asked for no
            // other scheme: the server did not recognise the session.
            let unrecognised =
                w.says(Cause::CredentialsMissing).is_some() && o.challenges.is_empty();
            // The answer deletes the very cookie sent: the server ended
            // (or never knew) that session.
            let deleted: Vec<String> = o
                .last()
                .headers_named("set-cookie")
                .filter_map(crate::cookies::SetCookie::parse)
                .filter(|c| o.cookies_sent.contains(&c.name) && c.deletes(o.last().received_at))
                .map(|c| c.name)
                .collect();
            if !deleted.is_empty() {
                ev.push(format!(
                    "the answer deletes the cookie {} (Set-Cookie with Max-Age=0 or an Expires in the past): the server ended that session, or never knew it",
                    deleted.join(", ")
                ));
            }
            let likelihood = match (
                o.sign_in.is_some() || session_status.is_some() || !deleted.is_empty(),
                o.status(),
            ) {
                (true, _) => Likelihood::High,
                (false, 401) => Likelihood::Medium,
                (false, _) if unrecognised => Likelihood::Medium,
                _ => Likelihood::Low,
            };
            return Some(finding(
                Cause::CookieRejected,
                likelihood,
                "The session cookie is not accepted: the session expired, was logged out, or belongs to another host or environment.".into(),
                ev,
                vec![(Effort::Easy, "Sign in again for a fresh session cookie, and check the cookie's Domain, Path and expiry against this URL.".into())],
            ));
        }
        let mut ev: Vec<String> = o
            .cookies_withheld
            .iter()
            .map(|n| format!("the cookie {} was not sent: {}", n.cookie.name, n.reason()))
            .collect();
        if o.cookies_sent.is_empty() {
            ev.push("the request carried no cookie".into());
        } else {
            ev.push(format!("cookies sent: {}", o.cookies_sent.join(", ")));
        }
        ev.extend(w.words.clone());
        let (summary, fixes) = match o.cookies_withheld.first() {
            Some(n) => (
                format!(
                    "The session cookie {} is not sent with this request: {}.",
                    n.cookie.name,
                    n.reason()
                ),
                vec![(Effort::Easy, withheld_fix(&n.cookie, &n.why))],
            ),
            None => (
                "The session cookie is missing, expired or not accepted.".into(),
                vec![],
            ),
        };
        Some(finding(
            Cause::CookieRejected,
            Likelihood::High,
            summary,
            ev,
            fixes,
        ))
    }
}

/// The fix for a cookie not sent, by why: each reason its own.
fn withheld_fix(c: &JarCookie, why: &Withheld) -> String {
    match why {
        Withheld::RefusedNoneInsecure => format!(
            "Set the cookie {} with SameSite=None; Secure, and serve the site over https.",
            c.name
        ),
        Withheld::ThirdParty { .. } => "Serve the API under the page's own site (a path behind the page's host, or a subdomain of the same site), so that its cookie is a first-party one; or authenticate the calls with a token in the Authorization header instead of a cookie.".to_owned(),
        Withheld::RefusedCrossSite(_) | Withheld::CrossSite { .. } => format!(
            "Serve the page and the API from one site (the API under the page's host, through its gateway), or set the cookie {} with SameSite=None; Secure and serve both over https; the call must then send it (fetch's credentials: 'include').",
            c.name
        ),
        Withheld::NoCredentials { .. } => "Send the cookie with the call: fetch(url, {credentials: 'include'}) (axios: withCredentials: true); the API must answer with Access-Control-Allow-Origin naming the page's origin (not *) and Access-Control-Allow-Credentials: true.".to_owned(),
        Withheld::RefusedDomain { .. } => format!(
            "Set the cookie {} with a Domain that covers the host that sets it (or none).",
            c.name
        ),
        Withheld::RefusedSecure => "Serve the site over https: a browser drops a Secure cookie set over plain http (leave Secure out only in local development).".to_owned(),
        Withheld::Deleted => {
            "The session was ended (a logout, or the server's own): sign in again.".to_owned()
        }
        Withheld::Path { path, request } => format!(
            "The cookie {} is scoped to Path={path}: call a URL under that path, or have the server set the cookie with a Path that covers {request}.",
            c.name
        ),
        Withheld::OtherHost { domain, .. } => format!(
            "The cookie {} belongs to {domain}: call that host, or have the server set Domain to cover this one.",
            c.name
        ),
        Withheld::Insecure => "The cookie is Secure: call the https URL.".to_owned(),
        Withheld::Expired(_) => "The session expired: sign in again for a fresh cookie.".to_owned(),
    }
}
