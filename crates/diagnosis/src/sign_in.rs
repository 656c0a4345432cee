//! A sign-in the identity provider refused, as a browser session recorded
//! it: the authorization endpoint's error response (RFC 6749 §4.1.2.1,
//! OpenID Connect Core §3.1.2.6), a redirect back to the application whose
//! query or fragment carries `error=` (`login_required` when silent renewal
//! in an iframe finds no session), or the provider's own error page for a
//! request it will not even redirect (a `redirect_uri` it does not know).
//! What each error means and what to do is data ([`AUTHORIZATION_ERRORS`],
//! [`PAGE_WORDS`]).

use authdoctor_causes::Cause;
use serde::Serialize;

/// A sign-in the provider refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignInRefusal {
    /// The authorization request, masked.
    pub url: String,
    /// The error code (`login_required`), or the words of the provider's
    /// page.
    pub error: String,
    /// The provider's `error_description`, where it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// The cause of the vocabulary it comes to, where one fits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// What the error means.
    pub meaning: &'static str,
    /// What to do.
    pub fix: &'static str,
}

/// One error of the authorization endpoint: its code, the cause it comes
/// to, what it means, what to do.
pub struct AuthorizationError {
    /// The `error` code.
    pub code: &'static str,
    /// The cause, where one of the vocabulary fits.
    pub cause: Option<Cause>,
    /// What it means.
    pub meaning: &'static str,
    /// What to do.
    pub fix: &'static str,
}

const INTERACTIVE: &str = "Sign in with a redirect (without prompt=none) when silent renewal answers so, and renew with refresh tokens (rotated) rather than an iframe; or serve the provider under the application's own site (a custom domain), so that its session cookie is first-party.";

/// The authorization endpoint's errors.
pub static AUTHORIZATION_ERRORS: &[AuthorizationError] = &[
    AuthorizationError {
        code: "login_required",
        cause: Some(Cause::CookieRejected),
        meaning: "The provider was asked to sign in without showing a page (prompt=none: silent renewal in an iframe, or a session check) and found no session: its session cookie was not sent (a browser that blocks third-party cookies in an iframe: Safari, Firefox, Chrome's tracking protection), or the session ended.",
        fix: INTERACTIVE,
    },
    AuthorizationError {
        code: "interaction_required",
        cause: None,
        meaning: "The provider needs the user (a second factor, terms to accept, a choice) and prompt=none forbids asking.",
        fix: INTERACTIVE,
    },
    AuthorizationError {
        code: "consent_required",
        cause: None,
        meaning: "The user has not consented to the scopes asked for, and prompt=none forbids asking.",
        fix: "Sign in once with a redirect so that the user consents, or have an administrator grant consent for the application; ask for no scope the application does not need.",
    },
    AuthorizationError {
        code: "account_selection_required",
        cause: None,
        meaning: "Several accounts are signed in at the provider and prompt=none forbids asking which.",
        fix: "Send login_hint (or id_token_hint) with the silent request, or sign in with a redirect.",
    },
    AuthorizationError {
        code: "access_denied",
        cause: Some(Cause::AuthzForbidden),
        meaning: "The user declined, or the provider's policy denies this user the application (not assigned to it, a conditional-access rule).",
        fix: "Assign the user (or their group) to the application at the provider, or check the policy that denies it; if the user declined, sign in again and accept.",
    },
    AuthorizationError {
        code: "unauthorized_client",
        cause: Some(Cause::ClientInvalid),
        meaning: "The client is not allowed this way of signing in (the response type or grant it asked for is not enabled for it).",
        fix: "Enable the grant and response type for the client at the provider (authorization code with PKCE for a browser application), or ask for the one it has.",
    },
    AuthorizationError {
        code: "invalid_client",
        cause: Some(Cause::ClientInvalid),
        meaning: "The provider does not know the client_id, or the client is disabled.",
        fix: "Use the client_id of the application registered at this provider (and this tenant or realm).",
    },
    AuthorizationError {
        code: "invalid_scope",
        cause: None,
        meaning: "A scope asked for is unknown to the provider or not allowed for the client.",
        fix: "Ask only for scopes the provider defines and allows the client (check the scope parameter against the client's settings).",
    },
    AuthorizationError {
        code: "unsupported_response_type",
        cause: None,
        meaning: "The provider does not issue what response_type asks for.",
        fix: "Use response_type=code (with PKCE).",
    },
    AuthorizationError {
        code: "invalid_request",
        cause: None,
        meaning: "The authorization request is missing a parameter or has a bad one (its description says which: often PKCE's code_challenge, or redirect_uri).",
        fix: "Send the parameter the description names, as the provider's documentation gives it.",
    },
    AuthorizationError {
        code: "server_error",
        cause: Some(Cause::Transient),
        meaning: "The provider failed while handling the sign-in.",
        fix: "Try again; if it persists, look at the provider's status and logs.",
    },
    AuthorizationError {
        code: "temporarily_unavailable",
        cause: Some(Cause::Transient),
        meaning: "The provider is overloaded or under maintenance.",
        fix: "Try again later; if it persists, look at the provider's status.",
    },
];

const NOT_LISTED: AuthorizationError = AuthorizationError {
    code: "",
    cause: None,
    meaning: "The provider refused the sign-in with an error of its own.",
    fix: "Read the provider's error_description and its documentation of the error.",
};

/// The words of a provider's own error page, shown instead of a redirect
/// to a `redirect_uri` it will not trust.
pub struct PageWords {
    /// Any of these, lower-case, in the page.
    pub words: &'static [&'static str],
    /// The error they say.
    pub error: &'static str,
    /// The cause, where one of the vocabulary fits.
    pub cause: Option<Cause>,
    /// What it means.
    pub meaning: &'static str,
    /// What to do.
    pub fix: &'static str,
}

/// The providers' error pages.
pub static PAGE_WORDS: &[PageWords] = &[
    PageWords {
        // oidc-provider, Microsoft Entra ID, Auth0, Keycloak, Okta, Google.
        words: &[
            "redirect_uri did not match",
            "aadsts50011",
            "callback url mismatch",
            "invalid parameter: redirect_uri",
            "'redirect_uri' parameter must be",
            "redirect_uri_mismatch",
        ],
        error: "redirect_uri mismatch",
        cause: None,
        meaning: "The redirect_uri the application sent is not one the client has registered (the provider compares them exactly: scheme, host, port, path, a trailing slash).",
        fix: "Register the redirect_uri the application sends among the client's redirect URIs at the provider, or make the application send the registered one.",
    },
    PageWords {
        words: &[
            "aadsts700016",
            "client is invalid",
            "client not found",
            "unknown client",
        ],
        error: "invalid_client",
        cause: Some(Cause::ClientInvalid),
        meaning: "The provider does not know the client_id, or the client is disabled.",
        fix: "Use the client_id of the application registered at this provider (and this tenant or realm).",
    },
];

/// Whether a URL is an authorization request: its query has
/// `response_type` and `client_id`.
fn is_authorization_request(url: &url::Url) -> bool {
    let names: Vec<_> = url.query_pairs().map(|(n, _)| n).collect();
    names.iter().any(|n| n == "response_type") && names.iter().any(|n| n == "client_id")
}

/// The sign-in refusal one exchange shows, if it does: `request` the URL
/// requested, `status` its answer's, `location` where it redirected
/// (resolved), `body` the page's text.
pub fn refusal(
    request: &str,
    status: u16,
    location: Option<&str>,
    body: &str,
) -> Option<SignInRefusal> {
    let req = url::Url::parse(request).ok()?;
    let shown = crate::facts::display_url(request);
    if (300..400).contains(&status) {
        let to = url::Url::parse(location?).ok()?;
        // The error in the query, or in the fragment (response_mode
        // fragment, the implicit and hybrid flows).
        let mut params: Vec<(String, String)> = to.query_pairs().into_owned().collect();
        if let Some(f) = to.fragment() {
            params.extend(url::form_urlencoded::parse(f.as_bytes()).into_owned());
        }
        let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let error = get("error")?;
        // A redirect back from an authorization request (or one that
        // carries its state), not any page with an error parameter.
        if !is_authorization_request(&req) && get("state").is_none() {
            return None;
        }
        let known = AUTHORIZATION_ERRORS
            .iter()
            .find(|e| e.code == error)
            .unwrap_or(&NOT_LISTED);
        return Some(SignInRefusal {
            url: shown,
            error: authdoctor_secret::scrub(&error).chars().take(100).collect(),
            error_description: get("error_description")
                .map(|d| authdoctor_secret::scrub(&d).chars().take(300).collect()),
            cause: known.cause,
            meaning: known.meaning,
            fix: known.fix,
        });
    }
    if status < 400 || !is_authorization_request(&req) {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let page = PAGE_WORDS
        .iter()
        .find(|p| p.words.iter().any(|w| lower.contains(w)))?;
    // The redirect_uri the provider would not trust, to compare with the
    // registered ones.
    let sent = req
        .query_pairs()
        .find(|(n, _)| n == "redirect_uri")
        .map(|(_, v)| format!("the redirect_uri sent: {}", crate::facts::display_url(&v)))
        .filter(|_| page.error == "redirect_uri mismatch");
    Some(SignInRefusal {
        url: shown,
        error: page.error.to_owned(),
        error_description: sent,
        cause: page.cause,
        meaning: page.meaning,
        fix: page.fix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHORIZE: &str = "https://id.example.test/authorize?client_id=spa&response_type=code&redirect_uri=https%3A%2F%2Fapp.example.test%2Fcb&scope=openid&state=s1&prompt=none";

    #[test]
    fn an_error_redirected_back_is_the_providers_refusal() {
        let r = refusal(
            AUTHORIZE,
            303,
            Some("https://app.example.test/cb?error=login_required&error_description=End-User%20authentication%20is%20required&state=s1"),
            "",
        )
        .expect("a refusal");
        assert_eq!(r.error, "login_required");
        assert_eq!(r.cause, Some(Cause::CookieRejected));
        assert_eq!(
            r.error_description.as_deref(),
            Some("End-User authentication is required")
        );
        // In the fragment (response_mode=fragment).
        let r = refusal(
            AUTHORIZE,
            302,
            Some("https://app.example.test/cb#error=access_denied&state=s1"),
            "",
        )
        .expect("a refusal");
        assert_eq!(r.cause, Some(Cause::AuthzForbidden));
        // An error not listed is still said, with no cause.
        let r = refusal(
            AUTHORIZE,
            302,
            Some("https://app.example.test/cb?error=invalid_request_object&state=s1"),
            "",
        )
        .expect("a refusal");
        assert_eq!((r.cause, r.meaning), (None, NOT_LISTED.meaning));
    }

    #[test]
    fn a_providers_page_for_an_unknown_redirect_uri_is_a_refusal() {
        let r = refusal(
            AUTHORIZE,
            400,
            None,
            "<h1>oops! something went wrong</h1><pre>error: invalid_redirect_uri\nerror_description: redirect_uri did not match any of the client's registered redirect_uris</pre>",
        )
        .expect("a refusal");
        assert_eq!(r.error, "redirect_uri mismatch");
        let r = refusal(
            AUTHORIZE,
            400,
            None,
            "AADSTS700016: Application with identifier 'spa' was not found in the directory 'contoso'.",
        )
        .expect("a refusal");
        assert_eq!(r.cause, Some(Cause::ClientInvalid));
    }

    #[test]
    fn other_redirects_and_pages_are_not_refusals() {
        // A redirect with no error; an error parameter on a page that is
        // no answer to an authorization request; a 400 elsewhere.
        assert_eq!(
            refusal(
                AUTHORIZE,
                302,
                Some("https://app.example.test/cb?code=abc&state=s1"),
                ""
            ),
            None
        );
        assert_eq!(
            refusal(
                "https://app.example.test/search?q=x",
                302,
                Some("https://app.example.test/results?error=none"),
                ""
            ),
            None
        );
        assert_eq!(
            refusal(
                "https://app.example.test/api",
                400,
                None,
                "redirect_uri did not match"
            ),
            None
        );
        assert_eq!(
            refusal(AUTHORIZE, 200, None, "redirect_uri did not match"),
            None
        );
    }
}
