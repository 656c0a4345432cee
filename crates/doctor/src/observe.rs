//! The probe: reproduce the request and gather every fact the rules need.
//! All I/O of a diagnosis happens here; the rules only read the result.

use crate::spec::{Context, RequestSpec};
use authdoctor_diagnosis::facts::{FetchError, PasswordRound};
use authdoctor_diagnosis::observations::{Observations, Source, TokenFacts};
use authdoctor_diagnosis::shape::TokenShape;
use authdoctor_httpauth::challenge;
use authdoctor_httpauth::lint;
use authdoctor_jose::{Keys, Policy, check, decode};
use authdoctor_net::{Exchange, NetError, Outgoing, Probe};
use authdoctor_secret::{RefreshToken, Token};
use serde_json::Value;
use std::time::Duration;

/// Why a diagnosis could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    /// The request could not be sent.
    #[error(transparent)]
    Net(#[from] NetError),
}

/// Reproduces the request and gathers the facts.
pub async fn observe(spec: &RequestSpec, ctx: &Context) -> Result<Observations, DoctorError> {
    let roots = match &spec.cacert {
        Some(p) => Some(
            crate::files::read(p, crate::files::MAX_FILE)
                .map_err(|e| NetError::CaBundle(e.to_string()))?,
        ),
        None => None,
    };
    let budget = Duration::from_secs(ctx.timeout_secs.clamp(1, authdoctor_net::MAX_TIMEOUT_SECS));
    let mut probe = Probe::with_roots(budget, spec.insecure, roots.as_deref())?
        .with_deadline(std::time::Instant::now() + budget)
        .with_trust(ctx.trust());
    // A client certificate (mutual TLS), for the request's origin only.
    if let Some(cert) = &spec.client_cert {
        let read = |p: &std::path::Path| {
            crate::files::read(p, crate::files::MAX_FILE)
                .map_err(|e| NetError::ClientIdentity(e.to_string()))
        };
        let mut pem = read(cert)?;
        if let Some(key) = &spec.client_key {
            pem.push(b'\n');
            pem.extend(read(key)?);
        }
        probe = probe.with_client_identity(&pem, &spec.url)?;
    }
    let now = jiff::Timestamp::now().as_second();

    // Cookies from a jar: the ones curl would send, and why the others not.
    let mut headers = spec.headers.clone();
    let mut withheld = Vec::new();
    if !spec.jar.is_empty() {
        let url = url::Url::parse(&spec.url)
            .map_err(|_| NetError::BadUrl(authdoctor_net::display_url(&spec.url)))?;
        let mut send = Vec::new();
        for c in &spec.jar {
            match c.sent_to(&url, now) {
                Ok(()) => send.push(format!("{}={}", c.name, c.value.expose())),
                Err(why) => withheld.push(authdoctor_diagnosis::cookies::NotSent {
                    cookie: c.clone(),
                    why,
                    set_in_entry: None,
                }),
            }
        }
        if !send.is_empty() {
            headers.push(("Cookie".into(), send.join("; ")));
        }
    }
    let mut out = Outgoing {
        method: spec.method.clone(),
        url: spec.url.clone(),
        headers: headers.clone(),
        body: spec.body.clone(),
        follow: spec.follow,
        location_trusted: spec.location_trusted,
    };
    // curl --digest, --anyauth: the password goes in answer to the
    // server's challenge. The request as sent then is the one observed.
    let mut seen = spec.clone();
    let mut round = None;
    if let Some(scheme) = spec.password_scheme {
        ctx.step("sending the request without the password, for the server's challenge");
        // curl's cookie engine is on where the command gave cookies.
        let engine = spec.cookie_engine
            || headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("cookie"));
        let (sent, r) = answer_challenge(&probe, &out, scheme, engine).await?;
        let auth = sent
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"));
        seen.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
        seen.headers.extend(auth.cloned());
        out.headers.clone_from(&sent);
        headers = sent;
        seen.notes.push(r.describe());
        round = Some(r);
    }
    ctx.step("sending the request");
    let (hops, note, answered) = answer(&probe, &seen, &out, ctx.leeway, now).await?;
    let last = hops[hops.len() - 1].clone();
    seen.notes.extend(note);
    let mut o = Observations::new(seen, hops, ctx.leeway);
    o.cookies_sent = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, v)| {
            v.split(';')
                .filter_map(|c| c.split_once('=').map(|(n, _)| n.trim().to_owned()))
        })
        .collect();
    o.cookies_withheld = withheld;
    if let Some(b) = &spec.browser {
        o.cookies_withheld
            .extend(b.cookies_not_sent.iter().cloned());
    }
    o.proxy = authdoctor_net::env_proxy(&spec.url);
    // The password refused where the server had set cookies with its
    // challenge, and they did not go back: a new round that sends them
    // says whether its nonce lives in that session.
    if let (Some(r), Some(scheme)) = (round.as_mut(), spec.password_scheme) {
        if o.status() == 401
            && r.answered.is_some()
            && !r.cookies_set.is_empty()
            && !r.cookies_returned
            && spec.is_safe()
        {
            ctx.step("answering the challenge again, with the cookies it set");
            let with_basic = Outgoing {
                headers: spec.headers.clone(),
                ..out.clone()
            };
            let (again, _) = answer_challenge(&probe, &with_basic, scheme, true).await?;
            let answer = Outgoing {
                headers: again,
                follow: false,
                ..out.clone()
            };
            if let Ok(h) = probe.send(&answer).await {
                r.with_cookies = authdoctor_diagnosis::facts::status_of(&h);
            }
        }
    }
    o.password_round = round;
    // A web application's refusal: sent to sign in, not answered.
    o.sign_in = authdoctor_diagnosis::facts::sign_in_of(&o.hops);
    // Nothing more to learn where the request succeeded (a GraphQL
    // refusal in a 200 is none: `status` stands for its 401 or 403), or
    // where a firewall's page answered for the API, which authenticated
    // nothing (both read by `Observations::new`).
    if o.status() < 400 || o.edge_block.is_some() || o.csrf.is_some() {
        return Ok(o);
    }
    // A missing resource or method (404, 405, 410), with credentials sent:
    // the same request without them says whether the server's
    // authentication let them through (it refuses the bare request then).
    // And a bare 400 (no challenge) with credentials sent: the same
    // request without them says whether the server's authentication asks
    // for other ones (Rack::Auth::Basic answers 400 to any other scheme).
    let secret = |(n, _): &&(String, String)| authdoctor_secret::is_secret_header(n);
    let lines: Vec<&str> = last.headers_named("www-authenticate").collect();
    let bare_400 = o.status() == 400 && lines.is_empty();
    // And a 500 to a Bearer token: without it (and a JWT with its
    // signature broken), the server says whether its token check failed on
    // the token (fails_on_the_token, fails_at_the_key). A 403 to one that
    // names no scope, likewise: whether the server refuses a forged token
    // as it refused this one, its token check's answer (as the tutorials'
    // middleware gives 403 to every token it cannot verify), or told the
    // two apart, the 403 its permission check's (refused_as_forged).
    let parsed = challenge::parse_lines(&lines);
    let insufficient_scope = parsed
        .challenges
        .iter()
        .filter_map(authdoctor_httpauth::BearerChallenge::from_challenge)
        .any(|b| b.error == Some(authdoctor_httpauth::BearerError::InsufficientScope));
    let failed_on: Option<String> = o
        .authorization
        .as_ref()
        .filter(|_| o.status() == 500 || (o.status() == 403 && !insufficient_scope))
        .filter(|c| {
            c.scheme
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
        })
        .and_then(|c| c.token.clone())
        .filter(|t| !t.is_empty())
        // After a 403 the experiment needs a token it can forge a copy of:
        // a JWT (its signature broken) or an opaque one (changed).
        .filter(|t| {
            o.status() == 500 || matches!(TokenShape::of(t), TokenShape::Jwt | TokenShape::Opaque)
        });
    let mut bare_asked = Vec::new();
    if (authdoctor_diagnosis::rules::after_authentication(o.status())
        || bare_400
        || failed_on.is_some())
        && spec.is_safe()
        && headers.iter().any(|h| secret(&h))
    {
        ctx.step("sending the request again without its credentials");
        let bare = Outgoing {
            headers: headers.iter().filter(|h| !secret(h)).cloned().collect(),
            ..out.clone()
        };
        if let Ok(h) = probe.send(&bare).await {
            o.bare_status = authdoctor_diagnosis::facts::status_of(&h);
            if let Some(b) = h.last() {
                let asked: Vec<&str> = b.headers_named("www-authenticate").collect();
                bare_asked = challenge::parse_lines(&asked).challenges;
            }
        }
    }
    // The forged copy: a JWT with its signature broken; after a 403, an
    // opaque token changed (a token no server issued). After a 403, only
    // where the request without the token was asked for credentials
    // (401): one refused alike with or without any token says nothing of
    // this one.
    let forge = |t: &str| match TokenShape::of(t) {
        TokenShape::Jwt => broken_signature(t),
        TokenShape::Opaque if o.status() == 403 => changed_copy(t),
        _ => None,
    };
    let informative = |bare: u16| o.status() == 500 || bare == 401;
    if let (Some(t), Some(bare @ (401 | 403 | 407))) = (&failed_on, o.bare_status) {
        if let Some(broken) = forge(t).filter(|_| informative(bare)) {
            ctx.step("sending the request again with a forged copy of the token");
            let forged = Outgoing {
                headers: headers
                    .iter()
                    .map(|(n, v)| match n.eq_ignore_ascii_case("authorization") {
                        true => (n.clone(), format!("Bearer {broken}")),
                        false => (n.clone(), v.clone()),
                    })
                    .collect(),
                ..out.clone()
            };
            if let Ok(h) = probe.send(&forged).await {
                o.broken_signature_status = authdoctor_diagnosis::facts::status_of(&h);
            }
        }
    }
    if !lines.is_empty() {
        o.challenges = parsed.challenges;
        o.challenge_problems = parsed.problems;
    } else if bare_400 && o.bare_status == Some(401) && !bare_asked.is_empty() {
        // What the server asks for, said to the request without the
        // credentials, is another scheme than the one sent: the 400
        // refused their form. (Asked for the scheme sent, the 400 is more
        // likely about something else in the request.)
        let sent = o.authorization.as_ref().and_then(|c| c.scheme.clone());
        if sent.is_some_and(|s| !bare_asked.iter().any(|c| c.is(&s))) {
            o.challenges = bare_asked;
            o.challenged_bare = true;
        }
    }
    if let Some(j) = serde_json::from_str::<Value>(&last.body)
        .ok()
        .filter(Value::is_object)
    {
        if let Some(e) = j.get("error").and_then(Value::as_str) {
            o.body_error = Some((
                e.to_owned(),
                j.get("error_description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            ));
        }
    }
    if o.token_request_grant.is_some() {
        // A token endpoint's refusal speaks for itself (RFC 6749 §5.2).
        return Ok(o);
    }

    // The token, wherever it was put.
    let mut token = find_token(spec);
    // An opaque token is not a malformed JWT: only introspection can judge it.
    if token
        .as_ref()
        .is_some_and(|(t, _)| TokenShape::of(t) == TokenShape::Opaque)
    {
        o.opaque_token = token.take().map(|(t, _)| Token::new(t));
    }

    // What the resource expects: the user's word first, then RFC 9728.
    let bearer = o
        .challenges
        .iter()
        .find_map(authdoctor_httpauth::BearerChallenge::from_challenge);
    let meta_url = bearer.as_ref().and_then(|b| b.resource_metadata.clone());
    // The resource's metadata and the token issuer's keys, at once.
    ctx.step("reading the resource's metadata and the issuer's keys");
    // Decoded once; its `iss` (unverified) says whose keys to fetch.
    let mut decoded = token.as_ref().map(|(t, _)| decode(t));
    let token_iss: Option<String> = decoded
        .as_ref()
        .and_then(|d| d.claim("iss").and_then(Value::as_str).map(str::to_owned));
    let token_issuer = token_iss.clone().filter(|i| i.starts_with("http"));
    // A Bearer refusal whose challenge names no metadata, or names one
    // that cannot be read, is looked up where RFC 9728 puts it.
    let wants_metadata = answered != Answered::Unreached
        && matches!(o.status(), 401 | 403)
        && (bearer.is_some() || token.is_some() || o.opaque_token.is_some());
    // What the page fetched in the session (a HAR): the witnesses of the
    // moment its answer was recorded, read in place of today's where that
    // answer is the one diagnosed, and where today's cannot be read. Only
    // read: nothing a recording names is fetched or trusted.
    let docs: &[crate::spec::RecordedDocument] = spec
        .session
        .as_ref()
        .map(|s| s.documents.as_slice())
        .unwrap_or_default();
    let then = answered != Answered::Now;
    let recorded_meta = recorded_metadata(docs, meta_url.as_deref(), &spec.url);
    let meta_fut = async {
        let recorded = || {
            recorded_meta.map(|d| {
                (
                    Some(Ok(crate::keys::recorded_exchange(d, now))),
                    vec![d.entry],
                )
            })
        };
        if let (true, Some(r)) = (then, recorded()) {
            return r;
        }
        let named = match &meta_url {
            Some(u) => Some(
                probe
                    .get_json(u)
                    .await
                    .map_err(|e| FetchError::Unreachable(e.to_string())),
            ),
            None => None,
        };
        let read = |r: &Option<Result<Exchange, FetchError>>| {
            r.as_ref()
                .is_some_and(|r| r.as_ref().is_ok_and(is_resource_metadata))
        };
        let found = match read(&named) || !wants_metadata {
            true => named,
            false => match well_known_metadata(&probe, &spec.url).await {
                Some(e) => Some(Ok(e)),
                None => named,
            },
        };
        match (read(&found), recorded()) {
            (false, Some(r)) => r,
            _ => (found, Vec::new()),
        }
    };
    let keys_fut = async {
        match &token_issuer {
            Some(iss) => crate::keys::issuer_keys_then(&probe, iss, docs, then, now).await,
            None => crate::keys::KeysRead::default(),
        }
    };
    let ((meta, meta_entries), keys) = tokio::join!(meta_fut, keys_fut);
    let crate::keys::KeysRead {
        discovery: disc,
        jwks,
        recorded: key_entries,
        discovery_recorded: disc_recorded,
    } = keys;
    // The discovery document of an issuer the user named is as trusted as
    // the issuer: the endpoints it lists may receive the client's secret.
    // Anyone else's (the token's unverified `iss`) is only read, and so is
    // a recorded one: nothing in a recording decides where a secret goes.
    let named_issuer = |iss: &str| {
        ctx.issuer
            .as_deref()
            .is_some_and(|n| n.trim_end_matches('/') == iss.trim_end_matches('/'))
    };
    if let (Some(iss), Some(Ok(d)), false) = (&token_issuer, &disc, disc_recorded) {
        if named_issuer(iss) {
            trust_endpoints(&mut probe, d);
        }
    }
    if let Some(note) = read_as_recorded(&meta_entries, &key_entries, disc_recorded, then) {
        o.spec.notes.push(note);
    }
    o.resource_metadata = meta;
    o.discovery = disc;
    o.jwks = jwks;
    let meta_json = o
        .resource_metadata
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .filter(|e| e.hop.status == 200)
        .and_then(|e| e.json.clone());
    // What the resource expects. The server's own statements (its RFC
    // 9728 metadata, its challenge, its words) come first: the flags are
    // what the user believes, and where the server contradicts them the
    // contradiction is a finding, not a reason to trust the flags.
    let said = authdoctor_diagnosis::dialects::hear(
        &o.challenges
            .iter()
            .filter_map(|c| c.param("error_description").map(str::to_owned))
            .collect::<Vec<_>>(),
        &last.body,
    );
    let servers: Vec<String> = meta_json
        .as_ref()
        .and_then(|m| m.get("authorization_servers"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
    let meta_issuer = if servers.is_empty() {
        None
    } else {
        ctx.issuer
            .as_ref()
            .filter(|i| servers.iter().any(|s| same(s, i)))
            .or_else(|| {
                token_iss
                    .as_ref()
                    .filter(|i| servers.iter().any(|s| same(s, i)))
            })
            .cloned()
            .or_else(|| servers.first().cloned())
    };
    let words_issuer = said.iter().find_map(|s| s.expected_issuer.clone());
    o.expected.issuer = meta_issuer
        .map(|i| (i, Source::ResourceMetadata))
        .or_else(|| words_issuer.map(|i| (i, Source::ServerWords)))
        .or_else(|| ctx.issuer.clone().map(|i| (i, Source::User)));
    let meta_audience = meta_json
        .as_ref()
        .and_then(|m| m.get("resource"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let words_audience = said.iter().find_map(|s| s.expected_audience.clone());
    o.expected.audience = meta_audience
        .map(|a| (a, Source::ResourceMetadata))
        .or_else(|| words_audience.map(|a| (a, Source::ServerWords)))
        .or_else(|| ctx.audience.clone().map(|a| (a, Source::User)));
    let challenge_scopes = bearer
        .as_ref()
        .filter(|b| !b.scope.is_empty())
        .map(|b| b.scope.clone());
    let words_scopes = said
        .iter()
        .find(|s| !s.scopes.is_empty())
        .map(|s| s.scopes.clone());
    o.expected.scopes = challenge_scopes
        .map(|s| (s, Source::Challenge))
        .or_else(|| words_scopes.map(|s| (s, Source::ServerWords)))
        .or_else(|| (!ctx.scopes.is_empty()).then(|| (ctx.scopes.clone(), Source::User)));
    if let (Some(mine), Some((theirs, src))) = (&ctx.issuer, &o.expected.issuer) {
        if !same(mine, theirs) {
            o.expected.contradictions.push(format!(
                "you gave --issuer {mine}, but the API trusts {theirs} ({})",
                match src {
                    Source::ResourceMetadata => "its RFC 9728 metadata says so",
                    _ => "its own words say so",
                }
            ));
        }
    }
    if let (Some(mine), Some((theirs, _))) = (&ctx.audience, &o.expected.audience) {
        if mine != theirs {
            o.expected.contradictions.push(format!(
                "you gave --audience {mine}, but the API says its audience is {theirs}"
            ));
        }
    }

    // The token's own issuer: discovery and keys.
    if let (Some((raw, place)), Some(d)) = (token, decoded.take()) {
        let jwks = o.jwks.as_ref().and_then(|r| r.as_ref().ok());
        let keys = Keys { jwks, secret: None };
        let server_now = o.server_now.unwrap_or(o.local_now);
        o.token = Some(TokenFacts {
            at_server: check(&d, &policy(&o, ctx, server_now), keys),
            at_local: check(&d, &policy(&o, ctx, o.local_now), keys),
            keys_known: jwks.is_some(),
            raw: Token::new(raw),
            place,
            decoded: d,
        });
    }

    // Introspection, when the client can ask.
    let disc_json = o
        .discovery
        .as_ref()
        .filter(|_| !disc_recorded)
        .and_then(|r| r.as_ref().ok())
        .and_then(|e| e.json.clone());
    // A fresh token must come from the issuer the API trusts, which is not
    // the token's own when the token is from the wrong one. Only a client
    // can use it (introspection, the retry): without one, nothing is fetched.
    let trusted_disc = match &o.expected.issuer {
        _ if ctx.client_id.is_none() => None,
        Some((iss, _)) if Some(iss) != token_iss.as_ref() && iss.starts_with("http") => {
            let d = crate::keys::discover(&probe, iss)
                .await
                .ok()
                .filter(|e| e.hop.status == 200);
            if let Some(d) = d.as_ref().filter(|_| named_issuer(iss)) {
                trust_endpoints(&mut probe, d);
            }
            d.and_then(|e| e.json)
        }
        _ => disc_json.clone(),
    };
    let raw_token = o.sent_token().map(str::to_owned);
    if let (Some(raw), Some(id), Some(secret)) = (&raw_token, &ctx.client_id, &ctx.client_secret) {
        if let Some(ep) = disc_json
            .as_ref()
            .or(trusted_disc.as_ref())
            .and_then(|d| d.get("introspection_endpoint"))
            .and_then(Value::as_str)
        {
            ctx.step("asking the issuer whether the token is active (introspection)");
            o.introspection = Some(
                match probe
                    .post_form(ep, &[("token", raw)], Some((id, secret.expose())))
                    .await
                {
                    Ok(e) if e.hop.status == 200 => e.json.ok_or_else(|| FetchError::Unusable {
                        url: authdoctor_net::display_url(ep),
                        why: "the introspection answer is not JSON".into(),
                    }),
                    Ok(e) => Err(FetchError::Status {
                        url: authdoctor_net::display_url(ep),
                        status: e.hop.status,
                    }),
                    Err(e) => Err(FetchError::Unreachable(e.to_string())),
                },
            );
        }
    }

    // Nothing wrong on the client side: does it happen again?
    let active = o.introspected_active();
    let token_clean = o
        .token
        .as_ref()
        .is_some_and(|t| t.at_server.valid && t.keys_known)
        || (o.opaque_token.is_some() && active == Some(true));
    if token_clean
        && spec.is_safe()
        && o.introspection
            .as_ref()
            .is_none_or(|r| r.as_ref().is_ok_and(|v| v["active"] != false))
    {
        if let Ok(h) = probe.send(&out).await {
            o.resend_status = authdoctor_diagnosis::facts::status_of(&h);
        }
    }

    retry(&probe, spec, ctx, &headers, trusted_disc.as_ref(), &mut o).await;
    o.credential_uses = probe.credential_uses();
    Ok(o)
}

/// The note that says which documents were read as the browser recorded
/// them (the entries of the resource's metadata, `meta`, and of the
/// issuer's keys, `keys`; `discovery`: its discovery document among them),
/// and why: `then`, the answer diagnosed is the recorded one; else
/// today's could not be read.
fn read_as_recorded(meta: &[usize], keys: &[usize], discovery: bool, then: bool) -> Option<String> {
    let mut what = Vec::new();
    if !meta.is_empty() {
        what.push("the resource's metadata");
    }
    match (discovery, keys.len()) {
        (_, 0) => {}
        (true, 1) => what.push("the issuer's discovery document"),
        (true, _) => what.push("the issuer's discovery document and key set"),
        (false, _) => what.push("the issuer's key set"),
    }
    let entries: Vec<String> = meta.iter().chain(keys).map(usize::to_string).collect();
    let (first, last) = what.split_first()?;
    let what = match last {
        [] => (*first).to_owned(),
        _ => format!("{first} and {}", last.join(" and ")),
    };
    let why = match then {
        true => "as they were when the browser got the answer diagnosed",
        false => "as they could not be read from here",
    };
    Some(format!(
        "{what} read as the browser recorded {} (HAR entr{} {}), {why}",
        if entries.len() == 1 { "it" } else { "them" },
        if entries.len() == 1 { "y" } else { "ies" },
        entries.join(", ")
    ))
}

/// The opaque token `t` with its last character changed: of its length
/// and alphabet, issued by nobody.
fn changed_copy(t: &str) -> Option<String> {
    let last = t.chars().last()?;
    let other = if last == 'A' { 'B' } else { 'A' };
    Some(format!("{}{other}", &t[..t.len() - last.len_utf8()]))
}

/// The JWT `t` with its signature broken (its first character changed):
/// the same header and claims, a signature no key verifies.
fn broken_signature(t: &str) -> Option<String> {
    let (signed, sig) = t.rsplit_once('.')?;
    let first = sig.chars().next()?;
    let other = if first == 'A' { 'B' } else { 'A' };
    Some(format!("{signed}.{other}{}", &sig[first.len_utf8()..]))
}

/// The resource's RFC 9728 metadata among the documents a page fetched:
/// at the URL its challenge named (`named`), else at a well-known URL of
/// the request's `url` (its path's own, then its origin's).
fn recorded_metadata<'a>(
    docs: &'a [crate::spec::RecordedDocument],
    named: Option<&str>,
    url: &str,
) -> Option<&'a crate::spec::RecordedDocument> {
    let metadata = |d: &&crate::spec::RecordedDocument| {
        is_resource_metadata(&crate::keys::recorded_exchange(d, 0))
    };
    let at = |u: &str| docs.iter().filter(metadata).find(|d| d.url == u);
    if let Some(d) = named.and_then(at) {
        return Some(d);
    }
    well_known_urls(url).into_iter().find_map(|u| at(&u))
}

/// Whether an answer is a resource's RFC 9728 metadata: a 200 whose JSON
/// names the `resource` it describes.
fn is_resource_metadata(e: &Exchange) -> bool {
    e.hop.status == 200
        && e.json
            .as_ref()
            .and_then(|j| j.get("resource"))
            .is_some_and(Value::is_string)
}

/// The resource's RFC 9728 metadata read at its well-known URLs on the
/// origin the request went to (RFC 9728 §3.1: the path's own first, then
/// the origin's, as MCP clients look), for a server whose challenge names
/// none: a GET without credentials to the host the user sent to. Only a
/// document that names its `resource` counts; a 404, a login page or a
/// refusal there says nothing.
async fn well_known_metadata(probe: &Probe, url: &str) -> Option<Exchange> {
    let urls = well_known_urls(url);
    let (root, own) = match urls.as_slice() {
        [own, root] => (root.clone(), Some(own.clone())),
        [root] => (root.clone(), None),
        _ => return None,
    };
    // Both at once: a server that lets one of them wait costs one timeout.
    let read = |at: Option<String>| async move {
        probe.get_json(&at?).await.ok().filter(is_resource_metadata)
    };
    let (own, root) = tokio::join!(read(own), read(Some(root)));
    own.or(root)
}

/// Where RFC 9728 §3.1 puts the metadata of the resource at `url`: the
/// path's own well-known URL, then the origin's (only the origin's for
/// the origin itself). None for a URL that is not http(s).
fn well_known_urls(url: &str) -> Vec<String> {
    let Some(u) = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
    else {
        return Vec::new();
    };
    let root = format!(
        "{}/.well-known/oauth-protected-resource",
        u.origin().ascii_serialization()
    );
    match u.path().trim_end_matches('/') {
        "" => vec![root],
        path => vec![format!("{root}{path}"), root],
    }
}

/// What a correct server checks, as far as it is known, at `now`.
fn policy(o: &Observations, ctx: &Context, now: i64) -> Policy {
    Policy {
        now,
        leeway: ctx.leeway,
        issuer: o.expected.issuer.as_ref().map(|(i, _)| i.clone()),
        audience: o.expected.audience.as_ref().map(|(a, _)| a.clone()),
        other_audiences: Vec::new(),
        scopes: o
            .expected
            .scopes
            .as_ref()
            .map(|(s, _)| s.clone())
            .unwrap_or_default(),
        client_id: ctx.client_id.clone(),
        require_at_jwt: false,
        require_exp: false,
        reject_future_iat: false,
        algorithms: None,
    }
}

/// Trusts the endpoints a named issuer's discovery document lists, when
/// the document was read from that issuer.
fn trust_endpoints(probe: &mut Probe, d: &Exchange) {
    if d.hop.status != 200 {
        return;
    }
    for k in [
        "token_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        if let Some(u) = d.str(k) {
            probe.trust_also(u);
        }
    }
}

/// Where the answer diagnosed came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answered {
    /// The server, now.
    Now,
    /// The browser's recording (a HAR entry), as sending the request
    /// again would not show what the browser saw.
    Recording,
    /// The browser's recording, as the server could not be reached (then
    /// nothing else is asked of it).
    Unreached,
}

/// The answer to diagnose, and a note where it is not the one received
/// now. A request from a HAR file holds the answer the browser got; it is
/// read in place of sending the request where sending would not show what
/// the browser saw: the export removed the request's credentials, the
/// token has expired since the browser sent it (the server would now only
/// say so), or the server cannot be reached from here (a HAR from another
/// network, a server since gone).
///
/// Also where the answer came from ([`Answered`]).
async fn answer(
    probe: &Probe,
    spec: &RequestSpec,
    out: &Outgoing,
    leeway: u64,
    now: i64,
) -> Result<
    (
        Vec<authdoctor_diagnosis::facts::Hop>,
        Option<String>,
        Answered,
    ),
    NetError,
> {
    let recorded = spec.browser.as_ref().and_then(|b| {
        let status = u16::try_from(b.status).ok().filter(|s| *s >= 100)?;
        let hop = authdoctor_net::recorded_hop(
            &spec.method,
            &spec.url,
            &out.headers,
            status,
            &b.headers,
            b.body.as_deref().unwrap_or_default(),
            b.at.unwrap_or(now),
        );
        Some((hop, b.at))
    });
    let when = |at: Option<i64>| match at.and_then(|t| jiff::Timestamp::from_second(t).ok()) {
        Some(t) => format!("at {t}"),
        None => "(the HAR gives no time)".to_owned(),
    };
    // A sanitized export removed the credentials: sent again without
    // them, the request would only be asked for credentials.
    if let (true, Some((hop, at))) = (spec.credentials_removed, &recorded) {
        return Ok((
            vec![hop.clone()],
            Some(format!(
                "the HAR export removed the request's credentials: the diagnosis reads the answer the browser recorded {}, as the request sent again without them would only be asked for credentials",
                when(*at)
            )),
            Answered::Recording,
        ));
    }
    if let Some((hop, Some(at))) = &recorded {
        let decoded = find_token(spec).map(|(t, _)| decode(&t));
        let time = |claim: &str| {
            decoded
                .as_ref()
                .and_then(|d| d.claim(claim).and_then(Value::as_i64))
        };
        let leeway = i64::try_from(leeway).unwrap_or(0);
        // A recording made before the token was issued has a time no one
        // can trust (a hand-made HAR, a browser's clock far off): not read
        // in place of the live answer.
        // (The token's times are anyone's numbers: saturating sums.)
        let issued_before = time("iat").is_none_or(|iat| iat.saturating_sub(leeway) <= *at);
        let exp = time("exp").filter(|_| issued_before);
        let until = |e: i64| e.saturating_add(leeway);
        if let Some(exp) = exp.filter(|e| until(*e) > *at && until(*e) <= now) {
            let expired = jiff::Timestamp::from_second(exp)
                .map(|t| t.to_string())
                .unwrap_or_else(|_| exp.to_string());
            // Past its exp when sent, but within the leeway: said so, not
            // "expired after".
            let then = if exp > *at {
                format!(
                    "the token expired at {expired}, after the browser sent the request {}",
                    when(Some(*at))
                )
            } else {
                format!(
                    "the token's exp ({expired}) was within the {leeway} s leeway assumed here when the browser sent the request {}, and is past it now",
                    when(Some(*at))
                )
            };
            return Ok((
                vec![hop.clone()],
                Some(format!(
                    "{then}: the diagnosis reads the answer the browser recorded, as the server would now only say that the token expired"
                )),
                Answered::Recording,
            ));
        }
    }
    match probe.send(out).await {
        Ok(hops) => Ok((hops, None, Answered::Now)),
        Err(e) if e.unreached() => match recorded {
            Some((hop, at)) => Ok((
                vec![hop],
                Some(format!(
                    "the server could not be reached from here ({e}); the diagnosis reads the answer the browser recorded {}",
                    when(at)
                )),
                Answered::Unreached,
            )),
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// The token in the request: the Authorization credentials, or a JWT in
/// another header or the query string.
fn find_token(spec: &RequestSpec) -> Option<(String, String)> {
    if let Some(v) = spec.header("authorization") {
        let c = lint(v);
        let scheme = c.scheme.as_deref().unwrap_or("").to_ascii_lowercase();
        if scheme != "basic" && c.params.is_empty() {
            if let Some(t) = c
                .token
                .filter(|t| !t.is_empty() && !authdoctor_diagnosis::spec::is_shell_variable(t))
            {
                return Some((t, "authorization".into()));
            }
        }
    }
    for (n, v) in &spec.headers {
        if !n.eq_ignore_ascii_case("authorization") && TokenShape::found_jwt(v) {
            return Some((v.clone(), n.to_ascii_lowercase()));
        }
    }
    let u = url::Url::parse(&spec.url).ok()?;
    u.query_pairs()
        .find(|(_, v)| TokenShape::found_jwt(v))
        .map(|(_, v)| (v.into_owned(), "query".into()))
}

/// curl --digest and --anyauth: sends the request without the password
/// (the Basic header `-u` made), and answers the server's challenge as
/// curl would: Digest (RFC 7616, any algorithm and qop it names), or for
/// --anyauth Basic where that is all it offers. The cookies the server
/// sets with its challenge go back with the answer where
/// `return_cookies` (curl's cookie engine on). The headers to send (no
/// `Authorization` where the server asked for nothing this option
/// answers: curl sends no password then), and what the round saw.
async fn answer_challenge(
    probe: &Probe,
    out: &Outgoing,
    scheme: authdoctor_diagnosis::spec::PasswordScheme,
    return_cookies: bool,
) -> Result<(Vec<(String, String)>, PasswordRound), DoctorError> {
    use authdoctor_diagnosis::spec::PasswordScheme;
    let is_auth = |h: &&(String, String)| h.0.eq_ignore_ascii_case("authorization");
    // -u's user and password, from the Basic header it made.
    let pair = out
        .headers
        .iter()
        .find(is_auth)
        .and_then(|(_, v)| lint(v).basic)
        .map(|b| (b.user, b.password));
    let mut headers: Vec<(String, String)> = out
        .headers
        .iter()
        .filter(|h| !is_auth(h))
        .cloned()
        .collect();
    let mut round = PasswordRound {
        option: scheme.curl_option(),
        cookies_returned: return_cookies,
        ..PasswordRound::default()
    };
    let Some((user, password)) = pair else {
        return Ok((headers, round));
    };
    round.user.clone_from(&user);
    let bare = Outgoing {
        headers: headers.clone(),
        follow: false,
        ..out.clone()
    };
    let hops = probe.send(&bare).await?;
    let first = &hops[hops.len() - 1];
    let offered: Vec<&str> = first.headers_named("www-authenticate").collect();
    round.offered = challenge_schemes(&offered);
    let set: Vec<(String, String)> = first
        .headers_named("set-cookie")
        .filter_map(|c| {
            let (n, v) = c.split(';').next()?.split_once('=')?;
            Some((n.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    round.cookies_set = set.iter().map(|(n, _)| n.clone()).collect();
    // The library picks Digest over Basic, from every challenge of every
    // line; --digest takes only the Digest one.
    let mut builder = http_auth::PasswordClient::builder();
    for line in &offered {
        builder = builder.challenges(line);
    }
    let client = builder.build().ok().filter(|c| {
        scheme == PasswordScheme::Any || matches!(c, http_auth::PasswordClient::Digest(_))
    });
    let Some(mut client) = client else {
        return Ok((headers, round));
    };
    let url = url::Url::parse(&out.url)
        .map_err(|_| NetError::BadUrl(authdoctor_net::display_url(&out.url)))?;
    let uri = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let answered = client.respond(&http_auth::PasswordParams {
        username: &user,
        password: &password,
        uri: &uri,
        method: &out.method,
        body: Some(out.body.as_deref().unwrap_or(&[])),
    });
    let Ok(value) = answered else {
        return Ok((headers, round));
    };
    round.answered = Some(match &client {
        http_auth::PasswordClient::Digest(d) => {
            use http_auth::digest::Algorithm;
            // As RFC 7616 §6.1 names them.
            let name = match d.algorithm() {
                Algorithm::Md5 => "MD5",
                Algorithm::Sha256 => "SHA-256",
                Algorithm::Sha512Trunc256 => "SHA-512-256",
                _ => "of another kind",
            };
            let sess = if d.session() { "-sess" } else { "" };
            format!("Digest, algorithm {name}{sess}")
        }
        _ => "Basic".into(),
    });
    headers.push(("Authorization".into(), value));
    if return_cookies && !set.is_empty() {
        let jar: Vec<String> = set.iter().map(|(n, v)| format!("{n}={v}")).collect();
        match headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        {
            Some((_, v)) => {
                v.push_str("; ");
                v.push_str(&jar.join("; "));
            }
            None => headers.push(("Cookie".into(), jar.join("; "))),
        }
    }
    Ok((headers, round))
}

/// The schemes of challenge lines, each once.
fn challenge_schemes(lines: &[&str]) -> Vec<String> {
    let p = challenge::parse_lines(lines);
    let mut names: Vec<String> = Vec::new();
    for c in p.challenges {
        if !names.contains(&c.scheme) {
            names.push(c.scheme);
        }
    }
    names
}

/// Gets a fresh token (refresh grant once, or client credentials, trying
/// the other client-authentication method when one is refused) and sends
/// the request again with it, for safe methods only unless allowed.
async fn retry(
    probe: &Probe,
    spec: &RequestSpec,
    ctx: &Context,
    headers: &[(String, String)],
    disc: Option<&Value>,
    o: &mut Observations,
) {
    let r = &mut o.retry;
    if !ctx.retry {
        r.skipped = Some("--no-retry was given".into());
        return;
    }
    if spec.is_preflight() {
        r.skipped = Some("a CORS preflight never carries credentials, so no token can fix it; the fix is on the server".into());
        return;
    }
    let token_endpoint = ctx.token_endpoint.clone().or_else(|| {
        disc.and_then(|d| d.get("token_endpoint"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    // Basic credentials, cookies or no token at all: a fresh token is not
    // what would fix them.
    let basic = o
        .authorization
        .as_ref()
        .and_then(|c| c.scheme.as_deref())
        .is_some_and(|s| s.eq_ignore_ascii_case("basic"));
    let no_token = o.token.is_none() && o.opaque_token.is_none();
    if basic || (no_token && (!o.cookies_sent.is_empty() || !o.cookies_withheld.is_empty())) {
        r.skipped = Some(if basic {
            "Basic credentials are a user name and password; a fresh token would not test them"
                .into()
        } else {
            "the request authenticates with a cookie; a fresh token would not test it".into()
        });
        return;
    }
    // A registry of the registry token protocol, asked with no
    // credentials: its token service gives a public repository's pull an
    // anonymous token. It is sent nothing but the challenge's own service
    // and scope; the token it gives goes to the registry only.
    let no_credentials = o.authorization.is_none()
        && no_token
        && o.cookies_sent.is_empty()
        && o.other_credentials.is_empty();
    let registry = o
        .challenges
        .iter()
        .filter_map(authdoctor_httpauth::BearerChallenge::from_challenge)
        .find_map(|b| b.registry_token_url());
    if let (true, Some(url)) = (no_credentials, registry) {
        // The server names where the doctor goes, and what comes back is
        // sent to it: only its own site is asked (Docker Hub's
        // auth.docker.io for registry-1.docker.io, GHCR, Quay and Harbor
        // on the registry's host), never a machine it merely names.
        if !same_site(&spec.url, &url) {
            r.skipped = Some(format!(
                "the registry's token service ({}) is not on the registry's site, so authdoctor did not ask it; run the fix's curl if you trust it",
                authdoctor_diagnosis::facts::display_url(&url)
            ));
            return;
        }
        ctx.step("asking the registry's token service for an anonymous token");
        r.grant = Some(
            "an anonymous token from the registry's token service (the registry token protocol)"
                .into(),
        );
        let fresh = match probe.get_json(&url).await {
            Ok(e) if e.hop.status == 200 => {
                let t = e.str("token").or_else(|| e.str("access_token"));
                if t.is_none() {
                    r.skipped =
                        Some("the registry's token service answered 200 without a token".into());
                }
                t.map(str::to_owned)
            }
            Ok(e) => {
                r.grant_error = Some((
                    e.hop.status,
                    e.str("error").unwrap_or("").to_owned(),
                    e.str("details")
                        .or_else(|| e.str("error_description"))
                        .map(str::to_owned),
                ));
                r.skipped = Some(format!(
                    "the registry's token service refused an anonymous token ({}): the repository is private, or not there; log in (docker login) and try with its token",
                    e.hop.status
                ));
                None
            }
            Err(err) => {
                r.skipped = Some(format!(
                    "the registry's token service could not be reached: {err}"
                ));
                None
            }
        };
        if let Some(fresh) = fresh {
            resend_with(probe, spec, ctx, headers, o, fresh).await;
        }
        return;
    }
    let (Some(ep), Some(id)) = (token_endpoint, ctx.client_id.clone()) else {
        r.skipped = Some("no client credentials or refresh token to get a fresh token with (--client-id, --client-secret, --refresh-token)".into());
        return;
    };
    let old_scope = o.token.as_ref().and_then(|t| {
        t.decoded
            .claim("scope")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let scope = o
        .expected
        .scopes
        .as_ref()
        .map(|(s, _)| {
            let mut all: Vec<String> = old_scope
                .iter()
                .flat_map(|x| x.split(' ').map(str::to_owned))
                .collect();
            for x in s {
                if !all.contains(x) {
                    all.push(x.clone());
                }
            }
            all.join(" ")
        })
        .or(old_scope);
    // The audience to ask for: the API's, else what the old token was for.
    let resource = o
        .expected
        .audience
        .as_ref()
        .map(|(a, _)| a.clone())
        .or_else(|| {
            let aud = o.token.as_ref()?.decoded.claim("aud")?.clone();
            match aud {
                Value::String(s) if Some(&s) != ctx.client_id.as_ref() => Some(s),
                _ => None,
            }
        });
    let secret = ctx.client_secret.as_ref().map(|s| s.expose().to_owned());
    let mut form: Vec<(&str, String)> = Vec::new();
    if ctx.refresh_token.is_some() && !ctx.run.spend_refresh_token() {
        // Spent earlier in this run: use what it bought, never send it again.
        match ctx.run.bought() {
            Some(b) => {
                r.grant = Some("refresh_token (the access token an earlier diagnosis of this run bought; the refresh token is used once per run)".into());
                r.rotated_refresh_token = b.rotated.clone();
                let fresh = b.access_token.expose().to_owned();
                return resend_with(probe, spec, ctx, headers, o, fresh).await;
            }
            None => {
                r.skipped = Some("the refresh token was already used once in this run and bought no access token; it is never sent twice (a second use of a rotated refresh token revokes its whole family)".into());
                return;
            }
        }
    }
    let grant = if let Some(rt) = &ctx.refresh_token {
        form.push(("grant_type", "refresh_token".into()));
        form.push(("refresh_token", rt.expose().to_owned()));
        "refresh_token"
    } else if secret.is_some() {
        form.push(("grant_type", "client_credentials".into()));
        if let Some(s) = &scope {
            form.push(("scope", s.clone()));
        }
        if let Some(a) = &resource {
            form.push(("resource", a.clone()));
        }
        "client_credentials"
    } else {
        r.skipped = Some("a public client needs --refresh-token to get a fresh token".into());
        return;
    };
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ctx.step("getting a fresh token");
    let answer;
    if let Some(sec) = &secret {
        // client_secret_basic first; on invalid_client, client_secret_post.
        // A refresh token is never sent twice: it may rotate on first use.
        let basic = probe.post_form(&ep, &pairs, Some((&id, sec))).await;
        let refused = matches!(&basic, Ok(e) if e.str("error") == Some("invalid_client"));
        if refused && grant != "refresh_token" {
            let mut with_post = pairs.clone();
            with_post.push(("client_id", &id));
            with_post.push(("client_secret", sec));
            let post = probe.post_form(&ep, &with_post, None).await;
            if matches!(&post, Ok(e) if e.hop.status == 200) {
                r.auth_method_note = Some("the token endpoint refused client_secret_basic and accepted client_secret_post: configure the client for client_secret_post".into());
                r.grant = Some(format!("{grant} with client_secret_post"));
            }
            answer = Some(post);
        } else {
            r.grant = Some(format!("{grant} with client_secret_basic"));
            answer = Some(basic);
        }
    } else {
        let mut with_id = pairs.clone();
        with_id.push(("client_id", &id));
        r.grant = Some(format!("{grant} as a public client"));
        answer = Some(probe.post_form(&ep, &with_id, None).await);
    }
    let fresh = match answer {
        Some(Ok(e)) if e.hop.status == 200 => {
            let access = e.str("access_token").map(str::to_owned);
            if grant == "refresh_token" {
                r.rotated_refresh_token = e
                    .str("refresh_token")
                    .filter(|n| {
                        ctx.refresh_token
                            .as_ref()
                            .is_none_or(|old| old.expose() != *n)
                    })
                    .map(RefreshToken::new);
                if let Some(a) = &access {
                    ctx.run.keep(crate::spec::Bought {
                        endpoint: ep.clone(),
                        access_token: Token::new(a.clone()),
                        rotated: r.rotated_refresh_token.clone(),
                    });
                }
            }
            access
        }
        Some(Ok(e)) => {
            r.grant_error = Some((
                e.hop.status,
                e.str("error").unwrap_or("").to_owned(),
                e.str("error_description").map(str::to_owned),
            ));
            None
        }
        Some(Err(NetError::Untrusted(why))) => {
            r.skipped = Some(format!("no fresh token was asked for: {why}"));
            None
        }
        Some(Err(err)) => {
            r.skipped = Some(format!("the token endpoint could not be reached: {err}"));
            None
        }
        None => None,
    };
    let Some(fresh) = fresh else { return };
    resend_with(probe, spec, ctx, headers, o, fresh).await;
    // A fresh token with the scope sent and the scope needed, refused: a
    // server that compares the scope claim whole (one string, where RFC
    // 6749 makes it a list) refuses any token that carries more than the
    // one scope it names. One with the needed scope alone tells.
    let needed = o.expected.scopes.as_ref().map(|(s, _)| s.join(" "));
    if let (true, Some(asked), Some(needed)) = (
        grant == "client_credentials" && matches!(o.retry.status, Some(401 | 403)),
        scope,
        needed,
    ) {
        if asked != needed {
            let asking = (ep.as_str(), id.as_str(), form.as_slice());
            narrowed(probe, spec, ctx, headers, o, asking, (asked, needed)).await;
        }
    }
}

/// The experiment again with a token of the needed scope alone
/// ([`Retry::scope_narrowed`]), asked the way the first was (the same
/// client authentication, audience and grant): kept where the server
/// accepts it; else the first experiment stands. `asking`: the token
/// endpoint, the client id and the first request's form.
async fn narrowed(
    probe: &Probe,
    spec: &RequestSpec,
    ctx: &Context,
    headers: &[(String, String)],
    o: &mut Observations,
    (ep, id, form): (&str, &str, &[(&str, String)]),
    (asked, needed): (String, String),
) {
    let Some(secret) = ctx.client_secret.as_ref().map(|s| s.expose().to_owned()) else {
        return;
    };
    let mut pairs: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| *k != "scope")
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    pairs.push(("scope", &needed));
    ctx.step("getting a fresh token with the needed scope alone");
    let post = o.retry.auth_method_note.is_some();
    let answer = if post {
        pairs.push(("client_id", id));
        pairs.push(("client_secret", &secret));
        probe.post_form(ep, &pairs, None).await
    } else {
        probe.post_form(ep, &pairs, Some((id, &secret))).await
    };
    let Some(fresh) = answer
        .ok()
        .filter(|e| e.hop.status == 200)
        .and_then(|e| e.str("access_token").map(str::to_owned))
    else {
        return;
    };
    let first = o.retry.clone();
    resend_with(probe, spec, ctx, headers, o, fresh).await;
    if o.retry.status.is_some_and(|s| s < 400) {
        o.retry.scope_narrowed = Some((asked, needed));
    } else {
        o.retry = first;
    }
}

/// Whether `b` is on `a`'s site: the same host, or two domain names that
/// share their last two labels (registry-1.docker.io and auth.docker.io).
/// An address is its own site only.
fn same_site(a: &str, b: &str) -> bool {
    let (Ok(a), Ok(b)) = (url::Url::parse(a), url::Url::parse(b)) else {
        return false;
    };
    match (a.host(), b.host()) {
        (Some(url::Host::Domain(x)), Some(url::Host::Domain(y))) => {
            let last_two = |d: &str| {
                let labels: Vec<String> = d
                    .trim_end_matches('.')
                    .rsplit('.')
                    .take(2)
                    .map(str::to_ascii_lowercase)
                    .collect();
                (labels.len() == 2).then_some(labels)
            };
            x.eq_ignore_ascii_case(y) || last_two(x).is_some_and(|l| Some(l) == last_two(y))
        }
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Sends the request again with a fresh token (safe methods only, unless
/// allowed), and records the outcome.
async fn resend_with(
    probe: &Probe,
    spec: &RequestSpec,
    ctx: &Context,
    headers: &[(String, String)],
    o: &mut Observations,
    fresh: String,
) {
    // What the experiment tests: the fresh token against the same
    // expectations, at the server's clock.
    let fresh_decoded = decode(&fresh);
    let fresh_report = check(
        &fresh_decoded,
        &policy(o, ctx, o.server_now.unwrap_or(o.local_now)),
        Keys {
            jwks: o.jwks.as_ref().and_then(|r| r.as_ref().ok()),
            secret: None,
        },
    );
    let r = &mut o.retry;
    r.fresh = Some(fresh_decoded);
    r.fresh_report = Some(fresh_report);
    r.fresh_token = Some(Token::new(fresh.clone()));
    if !spec.is_safe() && !ctx.retry_unsafe {
        r.skipped = Some(format!(
            "{} is not a safe method: sending it again would perform the operation; pass --retry-unsafe to allow it",
            spec.method
        ));
        return;
    }
    let scheme = o
        .authorization
        .as_ref()
        .and_then(|c| c.scheme.clone())
        .filter(|s| s.eq_ignore_ascii_case("dpop"))
        .unwrap_or_else(|| "Bearer".into());
    let mut h: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
        .cloned()
        .collect();
    h.push(("Authorization".into(), format!("{scheme} {fresh}")));
    let out = Outgoing {
        method: spec.method.clone(),
        url: spec.url.clone(),
        headers: h,
        body: spec.body.clone(),
        follow: spec.follow,
        location_trusted: spec.location_trusted,
    };
    r.attempted = true;
    ctx.step("sending the request again with the fresh token");
    match probe.send(&out).await {
        Ok(hops) => r.status = authdoctor_diagnosis::facts::status_of(&hops),
        Err(e) => r.skipped = Some(format!("the retry could not be sent: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::same_site;

    #[test]
    fn a_token_service_is_asked_only_on_the_registrys_site() {
        let on = |a: &str, b: &str| same_site(a, b);
        assert!(on(
            "https://registry-1.docker.io/v2/library/nginx/manifests/latest",
            "https://auth.docker.io/token?service=registry.docker.io"
        ));
        assert!(on(
            "https://ghcr.io/v2/o/r/manifests/1",
            "https://ghcr.io/token"
        ));
        assert!(on(
            "https://registry.gitlab.com/v2/",
            "https://GitLab.com/jwt/auth"
        ));
        assert!(on(
            "http://127.0.0.1:5000/v2/",
            "http://127.0.0.1:5001/token"
        ));
        // Another site, an internal address, a metadata service: never.
        assert!(!on(
            "https://registry.example/v2/",
            "https://evil.test/token"
        ));
        assert!(!on(
            "https://registry.example/v2/",
            "http://169.254.169.254/latest/"
        ));
        assert!(!on("http://127.0.0.1:5000/v2/", "http://10.0.0.7/token"));
        assert!(!on("https://localhost/v2/", "https://internal/token"));
        assert!(!on("https://registry.example/v2/", "not a url"));
    }
}
