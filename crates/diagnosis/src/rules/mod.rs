//! The rules: one per cause, each a pure function of the observations that
//! returns a finding (likelihood, evidence, fixes) or nothing. The server's
//! words are one piece of evidence; authdoctor's own checks stand on their
//! own. Ranking puts the strongest evidence first.

use crate::observations::{Observations, Source};
use authdoctor_causes::{Cause, Effort, Likelihood};
use authdoctor_httpauth::{BearerChallenge, BearerError, Severity, scheme::cause_from_description};
use authdoctor_jose::Status;
use authdoctor_jose::time::{rfc3339, span};
use serde::Serialize;
use serde_json::Value;

/// A fix and how much work it is.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Fix {
    /// How much work.
    pub effort: Effort,
    /// What to do.
    pub action: String,
}

/// One cause the evidence supports.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// The cause.
    pub id: Cause,
    /// How strongly the evidence supports it.
    pub likelihood: Likelihood,
    /// What is wrong, in one sentence.
    pub summary: String,
    /// The facts that show it.
    pub evidence: Vec<String>,
    /// What to do.
    pub fixes: Vec<Fix>,
}

fn finding(
    id: Cause,
    likelihood: Likelihood,
    summary: String,
    evidence: Vec<String>,
    fixes: Vec<(Effort, String)>,
) -> Finding {
    let mut fixes: Vec<Fix> = fixes
        .into_iter()
        .map(|(effort, action)| Fix { effort, action })
        .collect();
    if fixes.is_empty() {
        fixes.push(Fix {
            effort: Effort::Easy,
            action: id.fix().to_owned(),
        });
    }
    Finding {
        id,
        likelihood,
        summary,
        evidence,
        fixes,
    }
}

fn bearer(o: &Observations) -> Option<BearerChallenge> {
    o.challenges
        .iter()
        .find_map(BearerChallenge::from_challenge)
}

/// What the server itself said: the challenge's error and description, or
/// the JSON body's.
fn server_words(o: &Observations) -> Vec<String> {
    let mut out = Vec::new();
    for v in o.last().headers_named("www-authenticate") {
        out.push(format!("challenge: {v}"));
    }
    if let Some((e, d)) = &o.body_error {
        out.push(format!(
            "body: error={e:?}{}",
            d.as_ref()
                .map(|d| format!(", error_description={d:?}"))
                .unwrap_or_default()
        ));
    }
    out
}

/// Runs every rule and ranks the findings. Empty when the request succeeded.
pub fn diagnose(o: &Observations) -> Vec<Finding> {
    if o.last().status < 400 {
        // Only a browser can have failed a request the server answered.
        return cors(o).into_iter().collect();
    }
    let mut f: Vec<Finding> = Vec::new();
    f.extend(cors(o));
    if o.token_request_grant.is_some() {
        f.extend(token_endpoint(o));
    } else {
        f.extend(lost_on_redirect(o));
        f.extend(missing(o));
        f.extend(header_defects(o));
        f.extend(scheme_mismatch(o));
        f.extend(token_findings(o));
        f.extend(revoked(o));
        f.extend(challenge_only(o));
        f.extend(basic_invalid(o));
        f.extend(cookie(o));
        f.extend(forbidden(o));
        f.extend(transient(o));
    }
    f.extend(server_misconfigured(o, &f));
    // One finding per cause: the strongest.
    let mut seen: Vec<Cause> = Vec::new();
    f.sort_by_key(|x| x.likelihood);
    f.retain(|x| {
        let new = !seen.contains(&x.id);
        seen.push(x.id);
        new
    });
    f.sort_by_key(|x| (x.likelihood, x.id.priority()));
    f
}

fn token_endpoint(o: &Observations) -> Vec<Finding> {
    let grant = o.token_request_grant.clone().unwrap_or_default();
    let Some((err, desc)) = o.body_error.clone() else {
        return Vec::new();
    };
    let mut ev = vec![format!(
        "{} {} answered {} to grant_type={grant}",
        o.spec.method,
        crate::facts::display_url(&o.last().url),
        o.last().status
    )];
    ev.push(format!(
        "error={err:?}{}",
        desc.as_ref()
            .map(|d| format!(", error_description={d:?}"))
            .unwrap_or_default()
    ));
    let auth = if o
        .authorization
        .as_ref()
        .and_then(|c| c.scheme.as_deref())
        .is_some_and(|s| s.eq_ignore_ascii_case("basic"))
    {
        "client_secret_basic"
    } else if o.spec.form().iter().any(|(k, _)| k == "client_secret") {
        "client_secret_post"
    } else {
        "no client secret"
    };
    ev.push(format!("the client authenticated with {auth}"));
    match err.as_str() {
        "invalid_client" => vec![finding(
            Cause::ClientInvalid,
            Likelihood::High,
            "The token endpoint does not accept the client's credentials (invalid_client).".into(),
            ev,
            vec![
                (Effort::Easy, "Check the client id and secret (a rotated secret, another environment's client, a stray newline in the secret).".into()),
                (Effort::Easy, format!("Check the authentication method the client is registered for; this request used {auth}.")),
            ],
        )],
        "invalid_grant" if grant == "refresh_token" => vec![finding(
            Cause::RefreshFailed,
            Likelihood::High,
            "The refresh token is no longer good (invalid_grant): expired, revoked, or already used once where refresh tokens rotate.".into(),
            ev,
            vec![
                (Effort::Easy, "Sign in again to get a new refresh token.".into()),
                (Effort::Medium, "Store the new refresh token from every refresh response: with rotation, each one is single-use, and reusing one revokes the whole chain.".into()),
            ],
        )],
        "invalid_grant" => vec![finding(
            Cause::CredentialsInvalid,
            Likelihood::High,
            format!("The token endpoint refused the {grant} grant (invalid_grant): the code, password or assertion is wrong, expired or used."),
            ev,
            vec![(Effort::Easy, "Start the flow again: authorization codes are single-use and short-lived; check redirect_uri and the PKCE verifier match.".into())],
        )],
        "invalid_scope" => vec![finding(Cause::TokenScopeInsufficient, Likelihood::High, "The client asked for a scope it may not have (invalid_scope).".into(), ev, vec![])],
        "unauthorized_client" | "unsupported_grant_type" => vec![finding(
            Cause::ClientInvalid,
            Likelihood::High,
            format!("The client may not use the {grant} grant ({err})."),
            ev,
            vec![(Effort::Medium, format!("Enable the {grant} grant for this client at the identity provider."))],
        )],
        _ => Vec::new(),
    }
}

fn lost_on_redirect(o: &Observations) -> Option<Finding> {
    let (i, hop) = o.hops.iter().enumerate().find(|(_, h)| {
        h.dropped
            .iter()
            .any(|d| d == "authorization" || d == "cookie")
    })?;
    let prev = &o.hops[i - 1];
    let ev = vec![
        format!(
            "{} {} answered {} Location: {}",
            prev.method,
            crate::facts::display_url(&prev.url),
            prev.status,
            crate::facts::display_url(&hop.url)
        ),
        format!(
            "the redirect changes host, port or scheme, so {} was dropped (as curl and browsers do)",
            hop.dropped.join(" and ")
        ),
        format!(
            "{} {} carried no credentials and answered {}",
            hop.method,
            crate::facts::display_url(&hop.url),
            hop.status
        ),
    ];
    Some(finding(
        Cause::HeaderLostOnRedirect,
        Likelihood::High,
        format!("The server redirected to another origin and the client dropped {} on the way; the final request had no credentials.", hop.dropped.join(" and ")),
        ev,
        vec![
            (Effort::Easy, format!("Call the final URL directly: {}", crate::facts::display_url(&hop.url))),
            (Effort::Medium, "Fix the redirect at the server (often http→https or a missing trailing slash) so clients land on the right URL first.".into()),
        ],
    ))
}

fn has_credentials(o: &Observations) -> bool {
    o.authorization.is_some()
        || !o.cookies_sent.is_empty()
        || !o.other_credentials.is_empty()
        || o.token.is_some()
        || o.opaque_token.is_some()
}

fn missing(o: &Observations) -> Option<Finding> {
    // A preflight never carries credentials; that is the CORS rule's matter.
    if has_credentials(o) || !o.cookies_withheld.is_empty() || o.spec.is_preflight() {
        return None;
    }
    let wanted: Vec<String> = o.challenges.iter().map(|c| c.scheme.clone()).collect();
    let mut ev =
        vec!["the request carries no Authorization header, no cookie and no API key".to_owned()];
    ev.extend(server_words(o));
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
            format!(
                "Send credentials: {}",
                if wanted.iter().any(|w| w.eq_ignore_ascii_case("basic")) {
                    "curl -u USER:PASSWORD"
                } else {
                    "-H \"Authorization: Bearer <token>\""
                }
            ),
        )],
    ))
}

fn header_defects(o: &Observations) -> Vec<Finding> {
    let Some(c) = &o.authorization else {
        return Vec::new();
    };
    let errors: Vec<_> = c
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    let malformed: Vec<_> = errors
        .iter()
        .filter(|p| p.cause == Cause::HeaderMalformed)
        .collect();
    if malformed.is_empty() {
        return Vec::new();
    }
    let mut ev: Vec<String> = malformed
        .iter()
        .map(|p| format!("{} at byte {}: {}", p.id.id(), p.at, p.message))
        .collect();
    ev.extend(server_words(o));
    vec![finding(
        Cause::HeaderMalformed,
        Likelihood::High,
        format!(
            "The Authorization header is malformed: {}",
            malformed[0].message
        ),
        ev,
        vec![],
    )]
}

fn scheme_mismatch(o: &Observations) -> Option<Finding> {
    let wanted: Vec<&str> = o.challenges.iter().map(|c| c.scheme.as_str()).collect();
    let sent = o.authorization.as_ref().and_then(|c| c.scheme.clone());
    let mut ev = Vec::new();
    let summary;
    if let Some(s) = &sent {
        let nonstandard = o
            .authorization
            .as_ref()
            .is_some_and(|c| c.problems.iter().any(|p| p.cause == Cause::SchemeMismatch));
        // Bearer where DPoP is wanted is a binding matter (its own rule).
        let dpop_wanted = wanted.iter().any(|w| w.eq_ignore_ascii_case("dpop"))
            && s.eq_ignore_ascii_case("bearer");
        let accepted =
            wanted.is_empty() || wanted.iter().any(|w| w.eq_ignore_ascii_case(s)) || dpop_wanted;
        if accepted && !nonstandard {
            return None;
        }
        ev.push(format!("the request sends `Authorization: {s} …`"));
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
    } else if !o.other_credentials.is_empty()
        && wanted.iter().any(|w| w.eq_ignore_ascii_case("bearer"))
    {
        ev.push(format!(
            "credentials were sent in {}",
            o.other_credentials.join(", ")
        ));
        summary =
            "The credentials are in an API-key header; the server asks for a Bearer token.".into();
    } else {
        return None;
    }
    ev.extend(server_words(o));
    Some(finding(
        Cause::SchemeMismatch,
        Likelihood::High,
        summary,
        ev,
        vec![(
            Effort::Easy,
            format!(
                "Send `Authorization: {} <token>`.",
                wanted.first().copied().unwrap_or("Bearer")
            ),
        )],
    ))
}

fn source_note(s: &Source) -> &'static str {
    match s {
        Source::User => "as given",
        Source::ResourceMetadata => "from the resource's RFC 9728 metadata",
        Source::Challenge => "from the server's challenge",
    }
}

fn token_findings(o: &Observations) -> Vec<Finding> {
    let Some(t) = &o.token else { return Vec::new() };
    let words = server_words(o);
    let server_cause = bearer(o).and_then(|b| {
        b.error_description
            .as_deref()
            .and_then(cause_from_description)
    });
    let mut out = Vec::new();
    let offset = o.clock_offset();
    let skewed = offset.is_some_and(|off| off.unsigned_abs() > o.leeway);
    for cause in &t.at_server.causes {
        let check = t
            .at_server
            .checks
            .iter()
            .find(|c| c.cause == Some(*cause) && c.status == Status::Fail);
        let Some(check) = check else { continue };
        let mut ev = vec![format!("{}: {}", check.name, check.detail)];
        match cause {
            Cause::TokenExpired | Cause::TokenNotYetValid => {
                let local_ok = !t.at_local.causes.contains(cause);
                let server_date = o.server_now.map(rfc3339).unwrap_or_default();
                match offset {
                    Some(off) if off.abs() > 1 => ev.push(format!(
                        "the server's Date is {server_date}; the local clock said {} ({} {} the server)",
                        rfc3339(o.last().received_at),
                        span(off.unsigned_abs()),
                        if off > 0 { "behind" } else { "ahead of" }
                    )),
                    Some(_) => ev.push(format!("the server's Date ({server_date}) agrees with the local clock: the token, not a clock, is off")),
                    None => ev.push("the server sent no Date; judged by the local clock".to_owned()),
                }
                ev.extend(words.clone());
                if local_ok && skewed {
                    let off = offset.unwrap_or(0);
                    out.push(finding(
                        Cause::ClockSkew,
                        Likelihood::High,
                        format!(
                            "A clock is wrong, not the token: the server's clock is {} {} this machine's, and that alone makes the token look {}.",
                            span(off.unsigned_abs()),
                            if off > 0 { "ahead of" } else { "behind" },
                            if *cause == Cause::TokenExpired { "expired" } else { "not yet valid" }
                        ),
                        ev.clone(),
                        vec![
                            (Effort::Medium, "Synchronise the clocks with NTP (on the server, or on the issuer, whichever is off: compare both with a trusted time source).".into()),
                            (Effort::Easy, "As a stopgap, raise the server's clock-skew leeway.".into()),
                        ],
                    ));
                    out.push(finding(
                        *cause,
                        Likelihood::Medium,
                        format!(
                            "By the server's clock the token is {}.",
                            if *cause == Cause::TokenExpired {
                                "expired"
                            } else {
                                "not yet valid"
                            }
                        ),
                        ev,
                        vec![],
                    ));
                } else {
                    let exp = t.decoded.claim("exp").and_then(Value::as_i64);
                    let summary = match (cause, exp) {
                        (Cause::TokenExpired, Some(e)) => format!(
                            "The access token expired {} before the server received it.",
                            span((o.server_now.unwrap_or(o.local_now) - e).max(0) as u64)
                        ),
                        _ => format!(
                            "The token {}.",
                            check.detail.trim_end_matches('.').to_lowercase()
                        ),
                    };
                    out.push(finding(*cause, Likelihood::High, summary, ev, vec![]));
                }
            }
            Cause::TokenIssuerMismatch
            | Cause::TokenAudienceMismatch
            | Cause::TokenScopeInsufficient => {
                let src = match cause {
                    Cause::TokenIssuerMismatch => o.expected.issuer.as_ref().map(|(_, s)| s),
                    Cause::TokenAudienceMismatch => o.expected.audience.as_ref().map(|(_, s)| s),
                    _ => o.expected.scopes.as_ref().map(|(_, s)| s),
                };
                if let Some(s) = src {
                    ev.push(format!(
                        "what the server expects was taken {}",
                        source_note(s)
                    ));
                }
                ev.extend(words.clone());
                let summary = match cause {
                    Cause::TokenIssuerMismatch => "The token comes from an issuer this API does not trust (another tenant, realm or environment).".to_owned(),
                    Cause::TokenAudienceMismatch => "The token was issued for another audience, not this API.".to_owned(),
                    _ => "The token lacks a scope the endpoint needs.".to_owned(),
                };
                let fixes = match cause {
                    Cause::TokenAudienceMismatch => vec![(
                        Effort::Easy,
                        format!(
                            "Request the token for this API: add `resource={0}` (RFC 8707) or `audience={0}` to the token request.",
                            o.expected
                                .audience
                                .as_ref()
                                .map(|(a, _)| a.as_str())
                                .unwrap_or("<the API's identifier>")
                        ),
                    )],
                    Cause::TokenScopeInsufficient => vec![(
                        Effort::Easy,
                        format!(
                            "Request the token with `scope={}`, and check the client is allowed that scope.",
                            o.expected
                                .scopes
                                .as_ref()
                                .map(|(s, _)| s.join(" "))
                                .unwrap_or_default()
                        ),
                    )],
                    _ => vec![],
                };
                out.push(finding(*cause, Likelihood::High, summary, ev, fixes));
            }
            _ => {
                ev.extend(words.clone());
                let summary = match cause {
                    Cause::TokenUnknownKey => "The token was signed with a key its issuer no longer publishes (keys rotated), or by another issuer.".to_owned(),
                    Cause::TokenSignatureInvalid => "The token's signature does not verify with its issuer's published keys.".to_owned(),
                    Cause::TokenAlgRejected => "The token uses an algorithm no correct server accepts.".to_owned(),
                    Cause::TokenWrongType => "The token is not an access token (an ID token or a refresh token was sent).".to_owned(),
                    Cause::TokenMalformed => "The token cannot be parsed.".to_owned(),
                    _ => check.detail.clone(),
                };
                out.push(finding(*cause, Likelihood::High, summary, ev, vec![]));
            }
        }
    }
    // Every check authdoctor could make passes, but the server names a
    // reason: its word, marked as such, and what would let authdoctor check.
    if t.keys_known && t.at_server.causes.is_empty() {
        if let Some(c) = server_cause {
            let mut ev = vec![format!(
                "the token verifies with the keys of its own issuer ({})",
                t.decoded
                    .claim("iss")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            )];
            let unknown: Vec<&str> = [
                ("--issuer", o.expected.issuer.is_none()),
                ("--audience", o.expected.audience.is_none()),
                ("--scope", o.expected.scopes.is_none()),
            ]
            .into_iter()
            .filter_map(|(f, missing)| missing.then_some(f))
            .collect();
            if !unknown.is_empty() {
                ev.push(format!("what the API expects is not known (no RFC 9728 metadata); give {} to check it here", unknown.join(", ")));
            }
            ev.extend(words.clone());
            out.push(finding(
                c,
                Likelihood::Medium,
                format!("The server says: {}.", c.what()),
                ev,
                vec![],
            ));
        }
    }
    // A token whose keys could not be fetched: say so, and lean on the server's words.
    if !t.keys_known && t.at_server.causes.is_empty() {
        if let Some(c) = server_cause {
            let mut ev = vec![
                "the issuer's keys could not be fetched, so the signature was not checked here"
                    .to_owned(),
            ];
            if let Some(Err(e)) = &o.jwks {
                ev.push(format!("JWKS: {e}"));
            }
            ev.extend(words);
            out.push(finding(
                c,
                Likelihood::Medium,
                format!("The server says: {}.", c.what()),
                ev,
                vec![],
            ));
        }
    }
    out
}

fn revoked(o: &Observations) -> Option<Finding> {
    let active = o
        .introspection
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .and_then(|v| v.get("active"))
        .and_then(Value::as_bool);
    if o.opaque_token.is_some() && active == Some(false) {
        let mut ev = vec![
            "the token is opaque; introspection (RFC 7662) at its issuer answers active: false"
                .to_owned(),
        ];
        ev.extend(server_words(o));
        return Some(finding(
            Cause::TokenRevoked,
            Likelihood::High,
            "The issuer says the token is not active: revoked, expired, or unknown to it.".into(),
            ev,
            vec![],
        ));
    }
    let t = o.token.as_ref()?;
    let mut ev = Vec::new();
    let likelihood = match active {
        Some(false) if t.at_server.valid => {
            ev.push("introspection (RFC 7662) answers active: false".to_owned());
            ev.push("the token's signature, times, issuer and audience all check out".to_owned());
            Likelihood::High
        }
        None if t.at_server.valid
            && bearer(o).and_then(|b| {
                b.error_description
                    .as_deref()
                    .and_then(cause_from_description)
            }) == Some(Cause::TokenRevoked) =>
        {
            ev.push("the server's description speaks of an inactive or revoked token".to_owned());
            Likelihood::Medium
        }
        _ => return None,
    };
    ev.extend(server_words(o));
    Some(finding(Cause::TokenRevoked, likelihood, "The token is well formed and unexpired, but the issuer says it is no longer active (revoked, or the session ended).".into(), ev, vec![]))
}

/// Causes only the server's challenge can show.
fn challenge_only(o: &Observations) -> Vec<Finding> {
    let mut out = Vec::new();
    let words = server_words(o);
    for ch in &o.challenges {
        let Some(b) = BearerChallenge::from_challenge(ch) else {
            continue;
        };
        match &b.error {
            Some(BearerError::InsufficientUserAuthentication) => {
                let mut what = Vec::new();
                if !b.acr_values.is_empty() {
                    what.push(format!("acr_values={}", b.acr_values.join(" ")));
                }
                if let Some(m) = b.max_age {
                    what.push(format!("max_age={m}"));
                }
                out.push(finding(
                    Cause::StepupRequired,
                    Likelihood::High,
                    format!("The server wants a stronger or fresher sign-in ({}).", if what.is_empty() { "RFC 9470".to_owned() } else { what.join(", ") }),
                    words.clone(),
                    vec![(Effort::Medium, format!("Send the user through the authorization endpoint again with {} and use the new token.", if what.is_empty() { "prompt=login".to_owned() } else { what.join(" and ") }))],
                ));
            }
            Some(BearerError::InvalidDpopProof | BearerError::UseDpopNonce) => {
                out.push(finding(
                    Cause::TokenBindingRequired,
                    Likelihood::High,
                    "The DPoP proof is missing, invalid, or lacks the server's nonce.".into(),
                    words.clone(),
                    vec![],
                ));
            }
            _ if b.dpop
                && o.authorization
                    .as_ref()
                    .and_then(|c| c.scheme.as_deref())
                    .is_some_and(|s| !s.eq_ignore_ascii_case("dpop")) =>
            {
                let mut ev = vec![format!(
                    "the server challenges with DPoP (algs {}) and the request used {}",
                    b.algs.join(" "),
                    o.authorization
                        .as_ref()
                        .and_then(|c| c.scheme.clone())
                        .unwrap_or_default()
                )];
                ev.extend(words.clone());
                out.push(finding(
                    Cause::TokenBindingRequired,
                    Likelihood::High,
                    "The resource wants a DPoP-bound token sent with the DPoP scheme and a proof of possession (RFC 9449).".into(),
                    ev,
                    vec![(Effort::Medium, "Get the token with a DPoP proof at the token endpoint, then send `Authorization: DPoP <token>` with a `DPoP` proof header for each request.".into())],
                ));
            }
            _ => {}
        }
    }
    out
}

fn basic_invalid(o: &Observations) -> Option<Finding> {
    let c = o.authorization.as_ref()?;
    let b = c.basic.as_ref()?;
    if o.last().status != 401 || c.has_errors() {
        return None;
    }
    let mut ev = vec![format!(
        "Basic credentials for user {:?} are well formed",
        b.user
    )];
    ev.extend(server_words(o));
    Some(finding(
        Cause::CredentialsInvalid,
        Likelihood::High,
        format!("The server refuses the user name or password (user {:?}).", b.user),
        ev,
        vec![(Effort::Easy, "Check the password (and the user name's case); watch for a trailing newline from a secrets file.".into())],
    ))
}

fn cookie(o: &Observations) -> Option<Finding> {
    let cookie_challenge = o.challenges.iter().any(|c| c.is("Cookie"));
    if o.cookies_withheld.is_empty() && !cookie_challenge {
        return None;
    }
    let mut ev: Vec<String> = o
        .cookies_withheld
        .iter()
        .map(|(c, why)| format!("the cookie {} from the jar was not sent: {why}", c.name))
        .collect();
    if o.cookies_sent.is_empty() {
        ev.push("the request carried no cookie".into());
    } else {
        ev.push(format!("cookies sent: {}", o.cookies_sent.join(", ")));
    }
    ev.extend(server_words(o));
    let summary = match o.cookies_withheld.first() {
        Some((c, why)) => format!(
            "The session cookie {} is not sent with this request: {why}.",
            c.name
        ),
        None => "The session cookie is missing, expired or not accepted.".into(),
    };
    Some(finding(
        Cause::CookieRejected,
        Likelihood::High,
        summary,
        ev,
        vec![],
    ))
}

fn forbidden(o: &Observations) -> Option<Finding> {
    if o.last().status != 403 {
        return None;
    }
    if bearer(o).is_some_and(|b| b.error == Some(BearerError::InsufficientScope)) {
        return None;
    }
    if o.token.as_ref().is_some_and(|t| !t.at_server.valid) {
        return None;
    }
    let mut ev =
        vec!["403 Forbidden: the server knows who is calling and refuses the operation".to_owned()];
    if o.token.is_some() {
        ev.push("the token passes every check authdoctor can make".into());
    }
    ev.extend(server_words(o));
    Some(finding(
        Cause::AuthzForbidden,
        Likelihood::High,
        "Authentication succeeded; the caller is not allowed to do this (a permission or role is missing).".into(),
        ev,
        vec![(Effort::Medium, "Grant the caller the role or permission the endpoint needs, or call as one who has it.".into())],
    ))
}

/// CORS: the preflight (OPTIONS, which never carries credentials) refused
/// for want of them, or an answer the browser was not allowed to read.
fn cors(o: &Observations) -> Option<Finding> {
    let last = o.last();
    let origin = o.spec.header("origin");
    let browser_failed = o.spec.browser.as_ref().is_some_and(|b| b.status <= 0);
    let mut ev = Vec::new();
    if let Some(b) = &o.spec.browser {
        ev.push(format!(
            "the browser saw status {}{}",
            b.status,
            b.error
                .as_ref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ));
    }
    let summary = if o.spec.is_preflight() && matches!(last.status, 401 | 403) {
        ev.push(format!(
            "the preflight OPTIONS {} was answered {}",
            crate::facts::display_url(&o.spec.url),
            last.status
        ));
        "The CORS preflight was refused: browsers send OPTIONS without credentials, and the server demands them on every method."
    } else if let Some(origin) = origin {
        match last.header("access-control-allow-origin") {
            None => {
                ev.push(format!("the request came from Origin {origin}; the answer has no Access-Control-Allow-Origin"));
                "The answer lacks Access-Control-Allow-Origin, so the browser hides it from the page."
            }
            Some(a) if a != "*" && a != origin => {
                ev.push(format!(
                    "Access-Control-Allow-Origin is {a:?}; the page's origin is {origin:?}"
                ));
                "Access-Control-Allow-Origin names another origin, so the browser hides the answer."
            }
            Some(_) if browser_failed => {
                let allowed = last.header("access-control-allow-headers").unwrap_or("");
                if o.spec
                    .header("access-control-request-headers")
                    .is_some_and(|h| h.to_ascii_lowercase().contains("authorization"))
                    && !allowed.to_ascii_lowercase().contains("authorization")
                {
                    ev.push(format!("Access-Control-Allow-Headers is {allowed:?} and does not allow Authorization"));
                    "The preflight does not allow the Authorization header, so the browser never sends the request."
                } else {
                    return None;
                }
            }
            Some(_) => return None,
        }
    } else {
        return None;
    };
    ev.extend(server_words(o));
    Some(finding(
        Cause::CorsBlocked,
        if browser_failed || o.spec.method == "OPTIONS" { Likelihood::High } else { Likelihood::Medium },
        summary.to_owned(),
        ev,
        vec![(Effort::Medium, "Answer OPTIONS before authentication, with Access-Control-Allow-Origin for the page's origin and Authorization in Access-Control-Allow-Headers.".into())],
    ))
}

fn transient(o: &Observations) -> Option<Finding> {
    let s = o.resend_status?;
    (s < 400).then(|| {
        finding(
            Cause::Transient,
            Likelihood::High,
            format!("The rejection did not repeat: the same request, sent again, was answered {s}."),
            vec![format!("first answer {}, second answer {s}", o.last().status)],
            vec![(Effort::Medium, "Look for a node with stale keys or config behind the load balancer, or a cache in front of the API.".into())],
        )
    })
}

fn server_misconfigured(o: &Observations, found: &[Finding]) -> Option<Finding> {
    if found.iter().any(|f| f.likelihood <= Likelihood::Medium) {
        return None;
    }
    let mut ev = Vec::new();
    let likelihood = match &o.token {
        Some(t) if t.at_server.valid && t.at_server.signature_verified => {
            ev.push("the token verifies with its issuer's published keys, and its times, issuer, audience and scope check out".to_owned());
            if o.retry.attempted && o.retry.status.is_some_and(|s| s >= 400) {
                ev.push(format!(
                    "a fresh token was rejected too ({})",
                    o.retry.status.unwrap_or(0)
                ));
                Likelihood::High
            } else {
                Likelihood::Medium
            }
        }
        _ => {
            ev.push("no client-side check explains the rejection".to_owned());
            if o.opaque_token.is_some() && o.introspection.is_none() {
                ev.push("the token is opaque, so only its issuer can judge it: give --issuer, --client-id and --client-secret to ask it by introspection".to_owned());
            }
            Likelihood::Low
        }
    };
    ev.extend(server_words(o));
    Some(finding(
        Cause::ServerMisconfigured,
        likelihood,
        "Every check on the client side passes, yet the server rejects the request.".into(),
        ev,
        vec![(Effort::Medium, "Look in the server's logs for the rejection's reason; check its configured issuer and audience (exact strings) and that its JWKS cache has the current keys; check a gateway in front of it.".into())],
    ))
}
