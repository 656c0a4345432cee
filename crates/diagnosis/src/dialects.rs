//! The dialect catalogue: what real middlewares, frameworks and gateways
//! say when they reject a token, in their own words, and what each message
//! means in the vocabulary of causes.
//!
//! A server is one witness, and an uneven one: it may send an RFC 6750
//! challenge, or only a JSON, HTML or plain-text body in its own dialect,
//! under 400, 401, 403, 422 or even 500. Each [`Entry`] is one message
//! family of one middleware: a case-insensitive, word-bounded pattern, the
//! cause it names (or none, for the catch-all sentences that name
//! nothing), and the values it carries (the audience or issuer the server
//! expected, the scope it wanted, the claim a rule refused). Teaching the
//! doctor a new server is one entry here and its test with the message the
//! real package emits (`tests` below; the integration tests run the real
//! packages).

use authdoctor_causes::Cause;
use regex::bytes::Regex;
use serde::Serialize;
use serde_json::Value;
use std::sync::OnceLock;

/// One message family of one middleware.
pub struct Entry {
    /// Who says it (`jsonwebtoken (Node)`, `Spring Security`, …).
    pub family: &'static str,
    /// The pattern: case-insensitive; named groups `aud`, `iss`, `scope`,
    /// `claim`, `kid` carry what the server expected or refused.
    pub pattern: &'static str,
    /// What it names; `None` for a sentence that names no cause.
    pub cause: Option<Cause>,
}

/// What the server said, read through the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Said {
    /// The cause its words name, if they name one.
    pub cause: Option<Cause>,
    /// The middleware family the words belong to.
    pub family: &'static str,
    /// The words themselves (as found, cut to a line).
    pub text: String,
    /// Where they were: `challenge`, `body`.
    pub place: &'static str,
    /// The audience the server says it expected.
    pub expected_audience: Option<String>,
    /// The issuer the server says it expected.
    pub expected_issuer: Option<String>,
    /// The scopes the server says it needs.
    pub scopes: Vec<String>,
    /// A non-standard claim a rule refused (`client_id`, `roles`, …).
    pub claim: Option<String>,
    /// When the refused token expired, where the words say (a pattern's
    /// `exp` group, seconds since the epoch).
    pub expired_at: Option<i64>,
    /// The user whose password was refused, where the words name one (a
    /// pattern's `user` group: a server's Basic authentication log).
    pub user: Option<String>,
}

macro_rules! e {
    ($family:expr, $pattern:expr, $cause:expr) => {
        Entry {
            family: $family,
            pattern: $pattern,
            cause: $cause,
        }
    };
}

use Cause::*;

/// Words that offer causes as alternatives, which name none of them:
/// "Invalid or expired token" (the MCP SDK's examples, and many a
/// catch-all), "token is expired or invalid", "missing or invalid token".
/// An entry whose words are one of the alternatives ("token is expired")
/// does not hear its cause in them ([`read`]).
const ALTERNATIVES: &str = r"\b(?:invalid|malformed|missing|bad|unknown|revoked|incorrect|expired)(?:\s*,\s*\w+)*,?\s*(?:or|/|and/or)\s*(?:invalid|malformed|missing|bad|unknown|revoked|incorrect|expired)\b";

/// The catalogue, most specific first.
pub static CATALOGUE: &[Entry] = &[
    // Auth0's java-jwt (JWTVerifier, 3.x and 4.x): first, as its "The
    // Token has expired on" and "The Token can't be used before" hold
    // Flask-JWT-Extended's and aws-jwt-verify's words.
    e!(
        "java-jwt",
        r"\bThe Token has expired on\b",
        Some(TokenExpired)
    ),
    e!(
        "java-jwt",
        r"\bThe Token can't be used before\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "java-jwt",
        r"\bThe Claim 'aud' value doesn't contain the required audience\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "java-jwt",
        r"\bThe Claim 'iss' value doesn't match the required issuer\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "java-jwt",
        r"\bThe Token's Signature resulted invalid when verified using the Algorithm\b",
        Some(TokenSignatureInvalid)
    ),
    // Crypt::JWT (Perl, decode_jwt; its croak's words, which apps answer
    // as they are): each begins `JWT: ` or `JWS: `, so none is another
    // family's. A claim check names the claim, not what was expected.
    e!(
        "Crypt::JWT (Perl)",
        r"\bJWT: exp claim check failed \((?P<exp>\d+)/",
        Some(TokenExpired)
    ),
    e!(
        "Crypt::JWT (Perl)",
        r"\bJWT: (?:nbf|iat) claim check failed\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "Crypt::JWT (Perl)",
        r"\bJWT: iss claim (?:re |code |scalar )?check failed\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "Crypt::JWT (Perl)",
        r"\bJWT: aud claim (?:re |code |scalar )?check failed\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "Crypt::JWT (Perl)",
        r"\bJWT: (?P<claim>exp|nbf|iat|iss|aud|sub|jti) claim required but missing\b",
        Some(TokenMalformed)
    ),
    e!(
        "Crypt::JWT (Perl)",
        r"\bJWS: invalid signature\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "Crypt::JWT (Perl)",
        r"\bJW[SE]: kid_keys lookup failed\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "Crypt::JWT (Perl)",
        r"\bJWS: alg '[^']*' (?:not in accepted_alg|does not match accepted_alg|not accepted_alg)|\bJWS: alg 'none' not allowed\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "Crypt::JWT (Perl)",
        r"\bJWT: invalid token format\b|\bJWS: invalid (?:header|payload|sig) part\b|\bJWT: payload not a valid JSON\b",
        Some(TokenMalformed)
    ),
    e!(
        "Crypt::JWT (Perl)",
        r"\bJWT: missing token\b",
        Some(CredentialsMissing)
    ),
    // Mojo::JWT (Perl, decode): its croak's words. With a key set, a
    // token whose kid names none of its keys leaves it without a key:
    // "public key not specified".
    e!(
        "Mojo::JWT (Perl)",
        r"\bFailed [RH]S validation\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "Mojo::JWT (Perl)",
        r#"\bAlgorithm "none" is prohibited\b|\bUnsupported signing algorithm\b"#,
        Some(TokenAlgRejected)
    ),
    e!(
        "Mojo::JWT (Perl)",
        r"\bpublic key not specified\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "Mojo::JWT (Perl)",
        r#"\bRequired header field "alg" not specified\b"#,
        Some(TokenMalformed)
    ),
    // Apigee's fault code (its body's detail.errorcode, or its challenge's
    // error_description), before the "Access Token expired" it holds.
    e!(
        "Apigee",
        r"\bkeymanagement\.service\.access_token_expired\b",
        Some(TokenExpired)
    ),
    // ruby-jwt (2.x, lib/jwt/verify.rb): its audience and issuer refusals
    // name what it expected (an array printed as Ruby writes one); before
    // PyJWT's "Invalid audience" and "Invalid issuer".
    e!(
        "ruby-jwt",
        r#"\bInvalid audience\. Expected \[?"?(?P<aud>[^\s,;"\]]+)"?\]?, received\b"#,
        Some(TokenAudienceMismatch)
    ),
    e!(
        "ruby-jwt",
        r#"\bInvalid issuer\. Expected \[?"?(?P<iss>[^\s,;"\]]+)"?\]?, received\b"#,
        Some(TokenIssuerMismatch)
    ),
    // Auth0's Python API quickstart (requires_auth over python-jose), copied
    // into many services: its AuthError descriptions. "Unable to parse
    // authentication token." covers every failure but expiry and claims (a
    // bad signature too), and "incorrect claims" audience and issuer alike:
    // heard, no cause of their own (the token's checks decide).
    e!(
        "Auth0 quickstart (python-jose)",
        r"\bUnable to find appropriate key\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "Auth0 quickstart (python-jose)",
        r"\bAuthorization header is expected\b",
        Some(CredentialsMissing)
    ),
    e!(
        "Auth0 quickstart (python-jose)",
        r"\bAuthorization header must start with Bearer\b",
        Some(SchemeMismatch)
    ),
    e!(
        "Auth0 quickstart (python-jose)",
        r"\bAuthorization header must be Bearer token\b",
        Some(HeaderMalformed)
    ),
    e!(
        "Auth0 quickstart (python-jose)",
        r"\bUnable to parse authentication token\b|\bincorrect claims, please check the audience and issuer\b",
        None
    ),
    // lua-resty-jwt's reasons (OpenResty: Apache APISIX's jwt-auth,
    // lua-resty-openidc), in a body or an error log.
    e!(
        "lua-resty-jwt",
        r"'exp' claim expired at\b",
        Some(TokenExpired)
    ),
    e!(
        "lua-resty-jwt",
        r"'nbf' claim not valid until\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "lua-resty-jwt",
        r"\bsignature mismatch: ",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "APISIX jwt-auth",
        r"\bMissing JWT token in request\b",
        Some(CredentialsMissing)
    ),
    // njwt, under Okta's @okta/jwt-verifier ("Jwt is expired" is
    // Envoy's words too, read below).
    e!(
        "njwt (@okta/jwt-verifier)",
        r"\bError while resolving signing key for kid\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "njwt (@okta/jwt-verifier)",
        r"\bJwt not active\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "njwt (@okta/jwt-verifier)",
        r"\bJwt cannot be parsed\b",
        Some(TokenMalformed)
    ),
    e!(
        "njwt (@okta/jwt-verifier)",
        r"\bUnexpected signature algorithm\b",
        Some(TokenAlgRejected)
    ),
    // @okta/jwt-verifier's own claim checks (lib.js), naming what it
    // expected.
    e!(
        "@okta/jwt-verifier",
        r"\baudience claims? .+? (?:does not match|do not match|do not include) (?:one of )?(?:the )?expected audiences?: (?P<aud>[^\s,;\x22]+)",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "@okta/jwt-verifier",
        r"\bissuer \S+ does not match expected issuer: (?P<iss>[^\s,;\x22]+)",
        Some(TokenIssuerMismatch)
    ),
    // Spring Security first: its "Jwt expired at" contains another dialect's words.
    e!("Spring Security", r"\bJwt expired at\b", Some(TokenExpired)),
    // aws-jwt-verify (JwtVerifier, CognitoJwtVerifier): its errors'
    // messages, as an application logs or returns them; early, as its
    // "Token expired at" holds Kong's words.
    e!(
        "aws-jwt-verify",
        r"\bToken expired at \d{4}-\d\d-\d\dT",
        Some(TokenExpired)
    ),
    e!(
        "aws-jwt-verify",
        r"\bToken can't be used before \d{4}-",
        Some(TokenNotYetValid)
    ),
    e!(
        "aws-jwt-verify",
        r"\b(?:Issuer not allowed: |Missing Issuer\. Expected)",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "aws-jwt-verify",
        r#"\b(?:Audience|Client ID|Client ID \("audience"\)) not allowed: |\bMissing (?:Audience|Client ID)\b.{0,20}\. Expected"#,
        Some(TokenAudienceMismatch)
    ),
    e!(
        "aws-jwt-verify",
        r"\b(?:Scope not allowed: |Missing Scope\. Expected)",
        Some(TokenScopeInsufficient)
    ),
    e!(
        "aws-jwt-verify",
        r"\bToken use not allowed: ",
        Some(TokenWrongType)
    ),
    e!(
        "aws-jwt-verify",
        r"\bJWK for kid .{0,200} not found in the JWKS\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "aws-jwt-verify",
        r"\bJWT string does not consist of exactly 3 parts\b|\bInvalid JWT\. (?:Header|Payload) is not a valid JSON object\b",
        Some(TokenMalformed)
    ),
    e!(
        "aws-jwt-verify",
        r"\bJWT signature algorithm not allowed: |\bUnsupported signature algorithm\b",
        Some(TokenAlgRejected)
    ),
    e!("aws-jwt-verify", r"\bEmpty JWT\b", Some(CredentialsMissing)),
    // go-oidc (Kubernetes' OIDC authenticator, oauth2-proxy, Dex, Argo CD
    // and most Go services that verify an OIDC issuer's tokens) and go-jose
    // early: their exact words contain golang-jwt's and PyJWT's.
    e!("go-oidc", r"\boidc: token is expired\b", Some(TokenExpired)),
    e!(
        "go-oidc",
        r"\boidc: current time .{0,80} before the nbf \(not before\) time\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "go-oidc",
        r"\boidc: expected audience\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "go-oidc",
        r"\boidc: id token issued by a different provider\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "go-oidc",
        r"\boidc: id token signed with unsupported algorithm\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "go-oidc",
        r"\bfailed to verify id token signature\b",
        Some(TokenSignatureInvalid)
    ),
    e!("go-oidc", r"\boidc: malformed jwt\b", Some(TokenMalformed)),
    // go-jose's JWT checks (square/go-jose v2, go-jose/go-jose v3 and v4:
    // Kubernetes' service-account tokens, Vault, many Go services).
    e!(
        "go-jose",
        r"\bvalidation failed, token is expired \(exp\)",
        Some(TokenExpired)
    ),
    e!(
        "go-jose",
        r"\bvalidation failed, token not valid yet \(nbf\)|\bvalidation field, token issued in the future \(iat\)",
        Some(TokenNotYetValid)
    ),
    e!(
        "go-jose",
        r"\bvalidation failed, invalid audience claim \(aud\)",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "go-jose",
        r"\bvalidation failed, invalid issuer claim \(iss\)",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "go-jose",
        r"\bgo-jose: error in cryptographic primitive\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "go-jose",
        r"\bgo-jose: compact JWS format must have three parts\b",
        Some(TokenMalformed)
    ),
    // The Kubernetes API server's own words for a service-account token.
    e!(
        "Kubernetes",
        r"\bservice account token has expired\b",
        Some(TokenExpired)
    ),
    e!(
        "Kubernetes",
        r"\bservice account token is not valid yet\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "Kubernetes",
        r"\bservice account token has been invalidated\b|\bservice account \S+ has been deleted\b|\bservice account UID \([^)]*\) does not match claim\b",
        Some(TokenRevoked)
    ),
    e!(
        "Kubernetes",
        r"\btoken audiences .{0,300} is invalid for the target audiences\b",
        Some(TokenAudienceMismatch)
    ),
    // mod_oauth2's (liboauth2 1.4) before mod_auth_openidc's, whose words
    // its exp line shares: its challenge says only that the token "could
    // not be verified" whatever the fault, or that none was found (also
    // for another scheme); its error log says why, from cjose's words.
    e!(
        "mod_oauth2 (liboauth2)",
        r#"\b_oauth2_jose_jwt_validate_exp: "exp" validation failure(?: \((?P<exp>\d+)\))?"#,
        Some(TokenExpired)
    ),
    e!(
        "mod_oauth2 (liboauth2)",
        r"\b_oauth2_jose_jwt_verify_jwk: cjose_jws_verify failed: \[jws\.c:\d+ _cjose_jws_verify_sig_",
        Some(TokenSignatureInvalid)
    ),
    // cjose refuses a header whose alg it does not take (none among them)
    // before it looks at the signature.
    e!(
        "mod_oauth2 (liboauth2)",
        r"\b_oauth2_jose_jwt_verify_jwk: cjose_jws_verify failed: \[jws\.c:\d+ _cjose_jws_validate_hdr\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "mod_oauth2 (liboauth2)",
        r"\bNo bearer token found in the request\b",
        Some(CredentialsMissing)
    ),
    e!(
        "mod_oauth2 (liboauth2)",
        r"\bToken could not be verified\b",
        None
    ),
    // HAProxy checking tokens itself (jwt_verify, 2.5 and later), as
    // HAProxy's guide to it configures it and deployments copy it: each
    // check denied (403) with its own words; hand-written middleware says
    // the same.
    e!(
        "HAProxy jwt_verify (its guide's words)",
        r"\bMissing Authorization HTTP header\b",
        Some(CredentialsMissing)
    ),
    e!(
        "HAProxy jwt_verify (its guide's words)",
        r"\bUnsupported JWT signing algorithm\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "HAProxy jwt_verify (its guide's words)",
        r"\bInvalid JWT issuer\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "HAProxy jwt_verify (its guide's words)",
        r"\bInvalid JWT audience\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "HAProxy jwt_verify (its guide's words)",
        r"\bInvalid JWT signature\b",
        Some(TokenSignatureInvalid)
    ),
    // mod_auth_openidc's error-log lines (2.4.12) before the others, whose
    // words they contain ("JWT expired", "signature verification failed");
    // the kid first, for its line also says the signature failed. A time
    // claim that is no number is malformed, not expired.
    e!(
        "mod_auth_openidc",
        r#""(?:exp|iat)" validation failure: JWT contained an invalid timestamp\b"#,
        Some(TokenMalformed)
    ),
    // The `iat` slack (OIDCIDTokenIatSlack, 600 s by default): a token
    // issued longer ago is refused as too old, one issued later than the
    // server's clock allows as not yet valid.
    e!(
        "mod_auth_openidc",
        r#""iat" validation failure(?: \(\d+\))?: JWT was issued more than \d+ seconds ago\b"#,
        Some(TokenExpired)
    ),
    e!(
        "mod_auth_openidc",
        r#""iat" validation failure(?: \(\d+\))?: JWT was issued more than \d+ seconds in the future\b"#,
        Some(TokenNotYetValid)
    ),
    // Local validation of JWT access tokens (OIDCOAuthVerifyAudience,
    // OIDCOAuthVerifyIssuer; 2.4.17 and later).
    e!(
        "mod_auth_openidc",
        r#"\bnone of the configured OIDCOAuthVerifyAudience values matches the "aud" claim\b|\bJWT access token does not contain an "aud" claim\b|"aud" claim in the JWT access token is neither a string nor an array\b"#,
        Some(TokenAudienceMismatch)
    ),
    e!(
        "mod_auth_openidc",
        r#"\bconfigured OIDCOAuthVerifyIssuer \((?P<iss>[^)\s]+)\) does not match the "iss" claim\b|\bJWT access token does not contain an "iss" claim\b"#,
        Some(TokenIssuerMismatch)
    ),
    e!(
        "mod_auth_openidc",
        r"\bclient used unsupported authentication scheme\b",
        Some(SchemeMismatch)
    ),
    e!(
        "mod_auth_openidc",
        r#"(?:\boidc_proto_validate_exp\b[^"]*)?"exp" validation failure(?: \((?P<exp>\d+)\))?|\boidc_proto_validate_exp\b"#,
        Some(TokenExpired)
    ),
    e!(
        "mod_auth_openidc",
        r"\bcould not find key with kid\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "mod_auth_openidc",
        r"\bJWT signature verification failed\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "mod_auth_openidc",
        r"\bcould not parse JWT from access_token\b",
        Some(TokenMalformed)
    ),
    e!(
        "mod_auth_openidc",
        r"\bJWT access token signature could not be validated\b",
        None
    ),
    // Basic authentication in the error logs of nginx (auth_basic) and
    // Apache (mod_auth_basic with mod_authn_file): the user is named, the
    // password never.
    e!(
        "nginx auth_basic",
        r#"\buser "(?P<user>[^"]*)"(?:: password mismatch\b| was not found in )"#,
        Some(CredentialsInvalid)
    ),
    e!(
        "nginx auth_basic",
        r"\bno user/password was provided for basic authentication\b",
        Some(CredentialsMissing)
    ),
    e!(
        "Apache mod_auth_basic",
        r#"\bAH0161[78]: user (?P<user>.*?)(?:: authentication failure for "[^"]*": Password Mismatch\b| not found\b)"#,
        Some(CredentialsInvalid)
    ),
    // lighttpd's mod_auth (Basic and Digest), in its error log:
    // `(mod_auth.c.850) password doesn't match for /admin/ username: alice
    // IP: 127.0.0.1`.
    e!(
        "lighttpd mod_auth",
        r"\bpassword doesn't match for \S+ username: ?(?P<user>\S*?),? IP: |\bdigest: auth failed(?: for (?P<duser>\S+?))?: wrong password\b|\bget_password failed\b",
        Some(CredentialsInvalid)
    ),
    e!(
        "Apache mod_auth_basic",
        r"\bAH01614: client used wrong authentication scheme\b",
        Some(SchemeMismatch)
    ),
    // Apache's mod_auth_digest in its error log (2.4): `AH01794: user
    // admin: password mismatch: /api`, `AH01790: user `bob' in realm
    // `orders' not found: /api`, and Basic sent where it asks for Digest.
    e!(
        "Apache mod_auth_digest",
        r"\bAH01794: user (?P<user>\S+): password mismatch\b|\bAH01790: user `(?P<duser>[^']*)' in realm `[^']*' not found\b",
        Some(CredentialsInvalid)
    ),
    e!(
        "Apache mod_auth_digest",
        r"\bAH01781: client used wrong authentication scheme\b",
        Some(SchemeMismatch)
    ),
    e!(
        "Spring Security",
        r"\bJwt used before\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "Spring Security",
        r"\bThe (?P<claim>aud) claim is not valid\b|\bThe required audience is missing\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "Spring Security",
        r"\bThe iss claim is not valid\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "Spring Security",
        r"\bAnother algorithm expected, or no matching key\(s\) found\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "Spring Security",
        r"\bSigned JWT rejected: Invalid signature\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "Spring Security",
        r"\bMalformed token\b|\bInvalid JWT serialization\b",
        Some(TokenMalformed)
    ),
    e!(
        "Spring Security",
        r"\bThe request requires higher privileges than provided by the access token\b",
        Some(TokenScopeInsufficient)
    ),
    // jose4j (Quarkus and smallrye-jwt, Kafka's OAUTHBEARER, many Java
    // services): its messages carry the refused claim's value.
    e!(
        "jose4j",
        r"\bThe JWT is no longer valid - the evaluation time\b(?:.{0,120}?\(exp=NumericDate\{(?P<exp>\d+))?",
        Some(TokenExpired)
    ),
    e!(
        "jose4j",
        r"\bThe JWT is not yet valid as the evaluation time\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "jose4j",
        r"\bAudience \(aud\) claim .{0,300}? doesn't contain an acceptable identifier\b|\bNo Audience \(aud\) claim present\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "jose4j",
        r"\bIssuer \(iss\) claim value .{0,300}? doesn't match expected value\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "jose4j",
        r"\bUnable to find a suitable verification key for JWS\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "jose4j",
        r"\bJWS signature is invalid\b",
        Some(TokenSignatureInvalid)
    ),
    // Nimbus JOSE+JWT's claims verifier, as services that use it directly
    // log it (Spring Security's own words are above).
    e!("Nimbus JOSE+JWT", r"\bExpired JWT\b", Some(TokenExpired)),
    e!(
        "Nimbus JOSE+JWT",
        r"\bJWT before use time\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "Nimbus JOSE+JWT",
        r"\bJWT audience rejected\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "Nimbus JOSE+JWT",
        r"\bJWT iss claim has value\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "Django REST framework SimpleJWT",
        r"^\s*Token is expired\s*$",
        Some(TokenExpired)
    ),
    e!(
        "Django REST framework SimpleJWT",
        r"\bGiven token not valid for any token type\b|^\s*Token is invalid\s*$|\btoken_not_valid\b",
        None
    ),
    e!(
        "Flask-JWT-Extended",
        r"\bMissing 'Bearer' type in 'Authorization' header\b",
        Some(SchemeMismatch)
    ),
    e!(
        "FastAPI (OAuth2 scopes tutorial)",
        r"\bNot enough permissions\b",
        Some(TokenScopeInsufficient)
    ),
    // authdoctor's own guard (and the lab's API behind it).
    e!(
        "authdoctor guard",
        r"\bThe token is bound to (?:a client certificate|another client certificate|a DPoP key|a proof of possession)\b",
        Some(TokenBindingRequired)
    ),
    // RFC 6750 §3's own example, which servers copy (the guard among them):
    // named after the RFC, not after any one of them.
    e!(
        "RFC 6750's example",
        r"\bThe access token expired\b",
        Some(TokenExpired)
    ),
    e!(
        "authdoctor guard",
        r"\bThe access token is not valid yet\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "authdoctor guard",
        r"\bThe access token signature is invalid\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "authdoctor guard",
        r"\bThe access token was signed by an unknown key\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "authdoctor guard",
        r"\bThe access token algorithm is not accepted\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "authdoctor guard",
        r"\bThe access token issuer is not trusted\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "authdoctor guard",
        r"\bThe access token audience is not this resource\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "authdoctor guard",
        r"\bThe token is not an access token\b",
        Some(TokenWrongType)
    ),
    e!(
        "authdoctor guard",
        r"\bThe access token lacks the scope required\b",
        Some(TokenScopeInsufficient)
    ),
    e!(
        "authdoctor guard",
        r"\bThe access token is malformed\b",
        Some(TokenMalformed)
    ),
    e!(
        "authdoctor guard",
        r"\bThe Authorization header is malformed\b|\bmore than one Authorization header\b",
        Some(HeaderMalformed)
    ),
    // jsonwebtoken (Node), and express-jwt / koa-jwt / passport-jwt / @fastify/jwt over it.
    e!(
        "get-jwks",
        r"\bNo matching JWK found in the set\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "get-jwks",
        r"\bThe domain is not allowed\b|\bIssuer is not allowed\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "hono/jwk",
        r"\binvalid credentials structure\b",
        Some(HeaderMalformed)
    ),
    e!(
        "hono/jwk",
        r"\bno authorization included in request\b",
        Some(CredentialsMissing)
    ),
    e!("hono/jwk", r"\btoken verification failure\b", None),
    e!("koa-jwt", r"^\s*Authentication Error\s*$", None),
    e!(
        "jsonwebtoken (Node)",
        r"jwt audience invalid\. expected: (?P<aud>[^\s,;\x22]+)",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "jsonwebtoken (Node)",
        r"jwt issuer invalid\. expected: (?P<iss>[^\s,;\x22]+)",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "jsonwebtoken (Node)",
        r"\bjwt expired\b",
        Some(TokenExpired)
    ),
    e!(
        "jsonwebtoken (Node)",
        r"\bjwt not active\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "jsonwebtoken (Node)",
        r"\bjwt malformed\b|\bJsonWebTokenError: invalid token\b",
        Some(TokenMalformed)
    ),
    e!(
        "jsonwebtoken (Node) or Kong",
        r"\binvalid signature\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "jsonwebtoken (Node)",
        r"\bjwt must be provided\b",
        Some(CredentialsMissing)
    ),
    e!(
        "jsonwebtoken (Node)",
        r"\bjwt signature is required\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "jsonwebtoken (Node)",
        r"\binvalid algorithm\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "jsonwebtoken (Node)",
        r"\bsecret or public key must be provided\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "jsonwebtoken (Node)",
        r"\bmaxAge exceeded\b",
        Some(TokenExpired)
    ),
    e!(
        "express-jwt",
        r"\bNo authorization token was found\b",
        Some(CredentialsMissing)
    ),
    e!(
        "express-jwt",
        r"\bFormat is Authorization: Bearer \[token\]",
        Some(HeaderMalformed)
    ),
    e!(
        "express-jwt",
        r"\bThe token has been revoked\b",
        Some(TokenRevoked)
    ),
    e!(
        "jwks-rsa",
        r"Unable to find a signing key that matches(?: '(?P<kid>[^']*)')?",
        Some(TokenUnknownKey)
    ),
    e!("jwks-rsa", r"\bNo KID specified\b", Some(TokenUnknownKey)),
    e!(
        "@fastify/jwt",
        r"\bAuthorization token expired\b",
        Some(TokenExpired)
    ),
    e!(
        "@fastify/jwt",
        r"\bNo Authorization was found in request\.headers\b",
        Some(CredentialsMissing)
    ),
    e!(
        "@fastify/jwt",
        r"\bAuthorization token is invalid: (?:The token signature is invalid|signature)",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "@fastify/jwt",
        r"\bAuthorization token is invalid: The token is malformed",
        Some(TokenMalformed)
    ),
    e!(
        "@fastify/jwt",
        r"\bAuthorization token is invalid: The token has (?:an )?invalid aud",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "@fastify/jwt",
        r"\bAuthorization token is invalid: The token has (?:an )?invalid iss",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "@fastify/jwt",
        r"\bBadly formatted Authorization header\b",
        Some(HeaderMalformed)
    ),
    e!(
        "fast-jwt",
        r"\bThe token has expired at\b",
        Some(TokenExpired)
    ),
    e!(
        "fast-jwt",
        r"\bThe token will be active at\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "fast-jwt",
        r"\bThe token signature is invalid\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "fast-jwt",
        r"\bThe token algorithm is invalid\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "fast-jwt",
        r#"\bThe (?:aud|audience) claim value is not allowed\b"#,
        Some(TokenAudienceMismatch)
    ),
    e!(
        "fast-jwt",
        r#"\bThe iss claim value is not allowed\b"#,
        Some(TokenIssuerMismatch)
    ),
    // panva jose, and what wraps it (express-oauth2-jwt-bearer, openid-client, hono).
    // A claim's name in either quotes: express-oauth2-jwt-bearer's challenge
    // writes jose's `"` as `'` (`'exp' claim timestamp check failed`).
    e!(
        "jose (panva)",
        r#"["']exp["'] claim timestamp check failed"#,
        Some(TokenExpired)
    ),
    e!(
        "jose (panva)",
        r#"["']nbf["'] claim timestamp check failed"#,
        Some(TokenNotYetValid)
    ),
    e!(
        "jose (panva)",
        r#"["']iat["'] claim timestamp check failed \(it should be in the past\)"#,
        Some(TokenNotYetValid)
    ),
    e!(
        "jose (panva)",
        r#"["']iat["'] claim timestamp check failed \(too far in the past\)"#,
        Some(TokenExpired)
    ),
    e!(
        "jose (panva)",
        r#"unexpected ["']aud["'] claim value"#,
        Some(TokenAudienceMismatch)
    ),
    e!(
        "jose (panva)",
        r#"unexpected ["']iss["'] claim value"#,
        Some(TokenIssuerMismatch)
    ),
    e!(
        "jose (panva)",
        r#"unexpected ["']typ["'] JWT header value"#,
        Some(TokenWrongType)
    ),
    e!(
        "jose (panva)",
        r#"unexpected ["'](?P<claim>[a-z_]+)["'] claim value"#,
        Some(AuthzForbidden)
    ),
    e!(
        "jose (panva)",
        r"\bno applicable key found in the JSON Web Key Set\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "jose (panva)",
        r"\bmultiple matching keys found in the JSON Web Key Set\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "jose (panva)",
        r"\bsignature verification failed\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "jose (panva)",
        r#"["']alg["'] \(Algorithm\) Header Parameter value not allowed"#,
        Some(TokenAlgRejected)
    ),
    e!(
        "jose (panva)",
        r"\bInvalid Compact JWS\b|\bJWTs must use Compact JWS serialization\b|\bJWS Protected Header is invalid\b|\bFailed to base64url decode the payload\b|\bFailed to parse the decoded payload as JSON\b",
        Some(TokenMalformed)
    ),
    e!(
        "express-oauth2-jwt-bearer",
        r"Unexpected '(?:aud)' value",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "express-oauth2-jwt-bearer",
        r"Unexpected '(?:iss)' value|\bToken issuer is not allowed\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "express-oauth2-jwt-bearer",
        r"Unexpected '(?:exp)' value",
        Some(TokenExpired)
    ),
    e!(
        "express-oauth2-jwt-bearer",
        r"Unexpected '(?:iat|nbf)' value",
        Some(TokenNotYetValid)
    ),
    e!(
        "express-oauth2-jwt-bearer",
        r"Unexpected '(?P<claim>[A-Za-z_:.]+)' value",
        Some(AuthzForbidden)
    ),
    e!(
        "express-oauth2-jwt-bearer",
        r"Missing '(?P<claim>scope)' claim",
        Some(TokenScopeInsufficient)
    ),
    e!(
        "express-oauth2-jwt-bearer",
        r"\bDPoP-bound token requires the DPoP authentication scheme\b|\bJWT Access Token confirmation mismatch\b",
        Some(TokenBindingRequired)
    ),
    e!(
        "express-oauth2-jwt-bearer",
        r"\bMore than one method used for authentication\b",
        Some(HeaderMalformed)
    ),
    // PyJWT, and Flask-JWT-Extended, FastAPI/Starlette apps, Authlib over it.
    e!("PyJWT", r"\bSignature has expired\b", Some(TokenExpired)),
    e!(
        "PyJWT",
        r"\bThe token is not yet valid \((?:nbf|iat)\)",
        Some(TokenNotYetValid)
    ),
    e!(
        "PyJWT",
        r"\b(?:Audience doesn't match|Invalid audience)\b",
        Some(TokenAudienceMismatch)
    ),
    e!("PyJWT", r"\bInvalid issuer\b", Some(TokenIssuerMismatch)),
    e!(
        "PyJWT",
        r"\bSignature verification failed\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "PyJWT",
        r"\bThe specified alg value is not allowed\b|\bAlgorithm not supported\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "PyJWT",
        r"\bNot enough segments\b|\bInvalid header padding\b|\bInvalid crypto padding\b|\bInvalid payload padding\b|\bInvalid token type\b",
        Some(TokenMalformed)
    ),
    e!(
        "PyJWT",
        r"Unable to find a signing key that matches: ?(?P<kid>\S+)?",
        Some(TokenUnknownKey)
    ),
    e!(
        "PyJWT",
        r#"Token is missing the "(?P<claim>[a-z_]+)" claim"#,
        Some(TokenMalformed)
    ),
    e!(
        "Flask-JWT-Extended",
        r"\bToken has expired\b",
        Some(TokenExpired)
    ),
    e!(
        "Flask-JWT-Extended",
        r"\bMissing Authorization Header\b|\bMissing JWT in headers\b",
        Some(CredentialsMissing)
    ),
    e!(
        "Flask-JWT-Extended",
        r"\bBad Authorization header\. Expected 'Authorization: Bearer <JWT>'",
        Some(HeaderMalformed)
    ),
    e!(
        "Flask-JWT-Extended",
        r"\bOnly (?:access|non-refresh) tokens are allowed\b|\bOnly refresh tokens are allowed\b",
        Some(TokenWrongType)
    ),
    e!(
        "Flask-JWT-Extended",
        r"\bToken has been revoked\b",
        Some(TokenRevoked)
    ),
    e!(
        "Django REST framework SimpleJWT",
        r"\bToken has wrong type\b",
        Some(TokenWrongType)
    ),
    e!(
        "Django REST framework SimpleJWT",
        r"\bToken is blacklisted\b",
        Some(TokenRevoked)
    ),
    e!(
        "Django REST framework",
        r"\bAuthentication credentials were not provided\b",
        Some(CredentialsMissing)
    ),
    e!(
        "Django REST framework",
        r"\bInvalid (?:token )?header\. No credentials provided\b",
        Some(HeaderMalformed)
    ),
    e!(
        "Django REST framework",
        r"\bInvalid token header\. Token string should not contain spaces\b",
        Some(HeaderMalformed)
    ),
    e!(
        "Django REST framework",
        r"\bInvalid username/password\b",
        Some(CredentialsInvalid)
    ),
    e!(
        "Django REST framework",
        r"\bYou do not have permission to perform this action\b",
        Some(AuthzForbidden)
    ),
    // ASP.NET Core's authentication handler sums up a refusal it has
    // logged already (event 7 after JwtBearerHandler's event 1, whose
    // exception names the cause): the summary names none of its own, and
    // is no Starlette "Not authenticated".
    e!(
        "ASP.NET Core",
        r"\b\w+ was not authenticated\. Failure message: ",
        None
    ),
    // Its detail, the whole text (or a quoted value of a logged body): not
    // the same words inside another sentence ("User is not authenticated",
    // Apollo Server's guide's, says nothing of what was sent).
    e!(
        "Starlette / FastAPI",
        r#"(?:^|")Not authenticated(?:$|")"#,
        Some(CredentialsMissing)
    ),
    // Google's APIs, to an access token that is expired (they last an
    // hour), revoked, or not an access token.
    e!(
        "Google APIs",
        r"\bRequest had invalid authentication credentials\b",
        Some(CredentialsInvalid)
    ),
    // (Before Starlette's and Kong's words, which are a part of these.)
    e!(
        "Starlette / FastAPI",
        r"\bInvalid authentication credentials\b",
        None
    ),
    // ASP.NET Core (Microsoft.IdentityModel), Go, Ruby, Rust.
    e!(
        "ASP.NET Core",
        r"\bIDX10223\b|\bThe token expired at\b|\bLifetime validation failed\. The token is expired\b",
        Some(TokenExpired)
    ),
    e!(
        "ASP.NET Core",
        r"\bIDX10222\b|\bThe token is not valid yet\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "ASP.NET Core",
        r"\bIDX10214\b|\bIDX10231\b|\bThe audience '[^']*' is invalid\b|\bAudience validation failed\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "ASP.NET Core",
        r"\bIDX10205\b|\bIDX10211\b|\bThe issuer '[^']*' is invalid\b|\bIssuer validation failed\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "ASP.NET Core",
        r"\bIDX10501\b|\bIDX10516\b|\bIDX10500\b|\bThe signature key was not found\b|\bSignature validation failed\. Unable to match key\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "ASP.NET Core",
        r"\bIDX10503\b|\bIDX10504\b|\bIDX10511\b|\bThe signature is invalid\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "ASP.NET Core",
        r"\bIDX12709\b|\bIDX12741\b|\bIDX14100\b|\bIDX14101\b|\bIDX14102\b|\bJWT is not well formed\b",
        Some(TokenMalformed)
    ),
    e!(
        "golang-jwt",
        r"\btoken is expired\b|\btoken has expired\b",
        Some(TokenExpired)
    ),
    e!(
        "golang-jwt",
        r"\btoken is not valid yet\b|\btoken used before issued\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "golang-jwt",
        r"\btoken has invalid audience\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "golang-jwt",
        r"\btoken has invalid issuer\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "golang-jwt",
        r"\btoken signature is invalid\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "golang-jwt",
        r"\btoken is malformed\b",
        Some(TokenMalformed)
    ),
    e!(
        "golang-jwt",
        r"\btoken is unverifiable\b",
        Some(TokenUnknownKey)
    ),
    // golang-jwt v4's own words, Go's RSA verifier's (which v4 passes on),
    // and the key function its README writes.
    e!(
        "golang-jwt",
        r"\btoken contains an invalid number of segments\b",
        Some(TokenMalformed)
    ),
    e!(
        "golang-jwt",
        r"\bcrypto/rsa: verification error\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "golang-jwt",
        r"\bUnexpected signing method: ",
        Some(TokenAlgRejected)
    ),
    // MicahParks/keyfunc, the key sets' loader golang-jwt's users take.
    e!(
        "keyfunc (golang-jwt)",
        r"\bthe given key ID was not found in the JWKS\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "ruby-jwt",
        r"\bNot enough or too many segments\b|\bInvalid segment encoding\b",
        Some(TokenMalformed)
    ),
    // What the tutorials' `header.split(' ').last` hands ruby-jwt when
    // the request has no Authorization header.
    e!(
        "ruby-jwt",
        r"\bNil JSON web token\b",
        Some(CredentialsMissing)
    ),
    e!(
        "ruby-jwt",
        r"\bCould not find public key for kid\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "ruby-jwt",
        r"\bExpected a different algorithm\b|\bToken is missing alg header\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "ruby-jwt",
        r"\bSignature nbf has not been reached\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "jsonwebtoken (Rust)",
        r"\bExpiredSignature\b",
        Some(TokenExpired)
    ),
    e!(
        "jsonwebtoken (Rust)",
        r"\bImmatureSignature\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "jsonwebtoken (Rust)",
        r"\bInvalidAudience\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "jsonwebtoken (Rust)",
        r"\bInvalidIssuer\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "jsonwebtoken (Rust)",
        r"\bInvalidSignature\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "jsonwebtoken (Rust)",
        r"\bInvalidAlgorithm\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "jsonwebtoken (Rust)",
        r"\bInvalidToken\b|\bBase64\(",
        Some(TokenMalformed)
    ),
    // Gateways and identity providers.
    e!(
        "Envoy jwt_authn",
        r"\bJwt[ _]is[ _]expired\b",
        Some(TokenExpired)
    ),
    // Mojo::JWT's "JWT is not yet valid" (the rest of its words are
    // above), told from Envoy's "Jwt is not yet valid" by its capitals;
    // after jose4j's "The JWT is not yet valid as …", which holds it.
    e!(
        "Mojo::JWT (Perl)",
        r"\b(?-i:JWT) is not yet valid\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "Envoy jwt_authn",
        r"\bJwt[ _]not[ _]yet[ _]valid\b|\bJwt[ _]is[ _]not[ _]yet[ _]valid\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "Envoy jwt_authn",
        r"\bAudiences[ _]in[ _]Jwt[ _]are[ _]not[ _]allowed\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "Envoy jwt_authn",
        r"\bJwt[ _]issuer[ _]is[ _]not[ _]configured\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "Envoy jwt_authn",
        r"\bJwks[ _]doesn't[ _]have[ _]key[ _]to[ _]match[ _]kid[ _]or[ _]alg[ _]from[ _]Jwt\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "Envoy jwt_authn",
        r"\bJwt[ _]verification[ _]fails\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "Envoy jwt_authn",
        r"\bJwt[ _]is[ _]missing\b",
        Some(CredentialsMissing)
    ),
    e!(
        "Envoy jwt_authn",
        // jwt_verify_lib's words, older (`Jwt header is an invalid
        // JSON`) and current (`… an invalid Base64url input or an invalid
        // JSON`), spaces or underscores (`response_code_details`).
        r"\bJwt[ _]is[ _]not[ _]in[ _]the[ _]form[ _]of[ _]Header\.Payload\.Signature\b|\bJwt[ _](?:header|payload)[ _]is[ _]an[ _]invalid[ _](?:JSON\b|Base64)|\bJwt[ _]signature[ _]is[ _]an[ _]invalid[ _]Base64\b|\bJwt[ _]header[ _]\[(?:alg|kid)\][ _]field[ _]is[ _]not[ _]a[ _]string\b",
        Some(TokenMalformed)
    ),
    e!(
        "Envoy jwt_authn",
        r"\bJwt[ _]header[ _]\[alg\][ _]field[ _]value[ _]is[ _]invalid\b",
        Some(TokenAlgRejected)
    ),
    // The gateway could not fetch or use its issuer's keys: every token
    // fails there, whoever sends it.
    e!(
        "Envoy jwt_authn",
        r"\bJwks[ _]remote[ _]fetch[ _]is[ _]failed\b|\bJwks[ _]doesn't[ _]have[ _]any[ _]valid[ _]public[ _]key\b",
        Some(ServerMisconfigured)
    ),
    e!(
        "Envoy RBAC",
        r"\bRBAC: access denied\b|\brbac_access_denied",
        Some(AuthzForbidden)
    ),
    e!(
        "Kong",
        r#""exp"\s*:\s*"token expired"|\btoken expired\b"#,
        Some(TokenExpired)
    ),
    e!(
        "Kong",
        r"\bNo credentials found for given 'iss'\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "Kong",
        r"\bBad token; invalid JSON\b|\bInvalid algorithm\b",
        Some(TokenMalformed)
    ),
    e!(
        "Kong",
        r"\bNo API key found in request\b",
        Some(CredentialsMissing)
    ),
    // Slack's codes in its `"ok": false` answers.
    e!(
        "Slack",
        r"^invalid_auth$|^account_inactive$",
        Some(CredentialsInvalid)
    ),
    e!("Slack", r"^not_authed$", Some(CredentialsMissing)),
    e!("Slack", r"^token_expired$", Some(TokenExpired)),
    e!("Slack", r"^token_revoked$", Some(TokenRevoked)),
    e!("Slack", r"^missing_scope$", Some(TokenScopeInsufficient)),
    e!("Slack", r"^not_allowed_token_type$", Some(TokenWrongType)),
    // An API's own key or token, refused as unknown: GitHub's REST API (and
    // Gitea's, which copies it; Spring Security's BadCredentialsException
    // says the same of a password), OpenAI's, Stripe's.
    e!(
        "an API's key or token (GitHub, OpenAI, Stripe)",
        r"\bBad credentials\b|\b(?:Incorrect|Invalid) API key provided\b|\binvalid_api_key\b",
        Some(CredentialsInvalid)
    ),
    e!(
        "Kong",
        r"\bInvalid authentication credentials\b|\bUnauthorized\b",
        None
    ),
    e!(
        "AWS API Gateway",
        r"\bthe token has expired\b",
        Some(TokenExpired)
    ),
    e!(
        "AWS API Gateway",
        r"\bthe token does not have a valid audience\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "AWS API Gateway",
        r"\bthe token does not have a valid issuer\b|\bissuer is not trusted\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "AWS API Gateway",
        r"\bthe token does not have the required scope\b",
        Some(TokenScopeInsufficient)
    ),
    e!(
        "AWS API Gateway",
        r"\bUser is not authorized to access this resource\b",
        Some(AuthzForbidden)
    ),
    // A route authorized by IAM wants an AWS Signature Version 4 in
    // Authorization: a Bearer (or Basic) value there is the wrong scheme.
    e!(
        "AWS API Gateway (IAM)",
        r"\bInvalid key=value pair \(missing equal-sign\) in Authorization header\b|\bAuthorization header requires '(?:Credential|Signature|SignedHeaders)' parameter\b",
        Some(SchemeMismatch)
    ),
    // Its 403 for a route or method the stage does not have, as much as
    // for a request unsigned where IAM is required: it names no cause.
    e!("AWS API Gateway", r"\bMissing Authentication Token\b", None),
    // AWS's services, and the stores that speak S3 (MinIO, Ceph's RGW), on
    // a request signed with Signature Version 4: JSON `message`, or S3's
    // XML `<Code>` and `<Message>`.
    e!(
        "AWS Signature Version 4",
        r"\bThe security token included in the request is expired\b|<Code>ExpiredToken</Code>|\bThe provided token has expired\b",
        Some(TokenExpired)
    ),
    e!(
        "AWS Signature Version 4",
        r"\bSignature expired: \S+ is now earlier than\b|\bRequestTimeTooSkewed\b|\bThe difference between the request time and the (?:current|server's) time is too large\b|\bSignature not yet current: \S+ is still later than\b",
        Some(ClockSkew)
    ),
    e!(
        "AWS Signature Version 4",
        r"\bThe request signature we calculated does not match the signature you provided\b|<Code>SignatureDoesNotMatch</Code>|\bThe security token included in the request is invalid\b|\bInvalidClientTokenId\b|\bThe (?:AWS )?Access Key Id you provided does not exist in our records\b|<Code>InvalidAccessKeyId</Code>|\bUnrecognizedClientException\b",
        Some(CredentialsInvalid)
    ),
    e!(
        "Azure API Management",
        r"\bAccess token is missing or invalid\b",
        None
    ),
    e!(
        "Microsoft Entra ID",
        r"\bAADSTS7000215\b|\bInvalid client secret\b",
        Some(ClientInvalid)
    ),
    e!(
        "Microsoft Entra ID",
        r"\bAADSTS700016\b|\bAADSTS7000222\b",
        Some(ClientInvalid)
    ),
    e!(
        "Microsoft Entra ID",
        r"\bAADSTS70008\b|\bAADSTS700082\b|\bAADSTS50173\b",
        Some(RefreshFailed)
    ),
    e!(
        "Microsoft Entra ID",
        r"\bAADSTS500011\b|\bAADSTS50105\b",
        Some(AuthzForbidden)
    ),
    e!(
        "Microsoft Entra ID",
        r"\bAADSTS50076\b|\bAADSTS50079\b",
        Some(StepupRequired)
    ),
    e!(
        "Keycloak",
        r"\bToken is not active\b|\bSession not active\b",
        Some(TokenRevoked)
    ),
    e!("Keycloak", r"\bToken verification failed\b", None),
    // Keycloak's event log: the event's type and its error code.
    e!(
        "Keycloak events",
        r"\b(?:invalid_user_credentials|user_not_found|user_disabled|user_temporarily_disabled)\b",
        Some(CredentialsInvalid)
    ),
    e!(
        "Keycloak events",
        r"\b(?:invalid_client_credentials|client_not_found|client_disabled)\b",
        Some(ClientInvalid)
    ),
    e!(
        "Keycloak events",
        r"\bREFRESH_TOKEN_ERROR\b",
        Some(RefreshFailed)
    ),
    e!(
        "mod_auth_openidc",
        r"\bJWT expired\b|\bthe JWT has expired\b",
        Some(TokenExpired)
    ),
    e!(
        "mod_auth_openidc",
        r"\bno bearer token found in the request\b",
        Some(CredentialsMissing)
    ),
    // Mojo::JWT's expiry (the rest of its words are above): after
    // mod_auth_openidc's "the JWT has expired", which holds it.
    e!(
        "Mojo::JWT (Perl)",
        r"\bJWT has expired\b",
        Some(TokenExpired)
    ),
    e!(
        "mod_auth_openidc",
        r"\bJWT did not pass audience\b|\bdoes not match configured audience\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "oauth2-proxy",
        r"\bCookie .{0,40} not present\b|\bInvalid authentication via OAuth2\b|\bError loading cookied session\b",
        Some(CookieRejected)
    ),
    e!(
        "@hapi/jwt",
        r"\bToken maximum age exceeded\b",
        Some(TokenExpired)
    ),
    e!(
        "@hapi/jwt",
        r"\bToken not yet active\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "@hapi/jwt",
        r"\bToken payload aud value not allowed\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "@hapi/jwt",
        r"\bToken payload iss value not allowed\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "@hapi/jwt",
        r"\bInvalid token signature\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "gin-jwt",
        r"\bauth header is empty\b|\bquery token is empty\b|\bcookie token is empty\b",
        Some(CredentialsMissing)
    ),
    e!("gin-jwt", r"\binvalid auth header\b", Some(HeaderMalformed)),
    e!(
        "echo-jwt",
        r"\bmissing or malformed jwt\b",
        Some(CredentialsMissing)
    ),
    // go-grpc-middleware's auth interceptor (v1 and v2: `AuthFromMD`), as
    // its logging interceptors and gRPC clients show it: no `authorization`
    // metadata (or another scheme's), or one with no space in it.
    e!(
        "go-grpc-middleware",
        r"\bRequest unauthenticated with \w+",
        Some(CredentialsMissing)
    ),
    e!(
        "go-grpc-middleware",
        r"\bBad authorization string\b",
        Some(HeaderMalformed)
    ),
    e!("echo-jwt", r"\binvalid or expired jwt\b", None),
    e!(
        "@hapi/jwt",
        r"\bBad HTTP authentication header format\b",
        Some(HeaderMalformed)
    ),
    // Traefik's BasicAuth and DigestAuth middlewares (at debug level; the
    // middleware's type follows the message as a field).
    e!(
        "Traefik",
        r"\bAuthentication failed\b.{0,200}\bmiddlewareType=(?:BasicAuth|DigestAuth)\b",
        Some(CredentialsInvalid)
    ),
    // The Kubernetes API server's summary when no authenticator took the
    // token (a more specific reason, when the line gives one, is above).
    e!(
        "Kubernetes",
        r"\binvalid bearer token\b",
        Some(CredentialsInvalid)
    ),
    // RFC 7662 / RFC 6750 phrasing, and the generic words many servers use.
    e!(
        "generic",
        r"\b(?:invalid|unknown|bad|wrong|incorrect|expired|revoked) api[ _-]?key\b|\bapi[ _-]?key (?:is )?(?:invalid|not valid|unknown|revoked|incorrect|expired)\b|\b(?:could not|cannot|can't|unable to|failed to) (?:validate|verify|authenticate) (?:the )?api[ _-]?key\b",
        Some(CredentialsInvalid)
    ),
    e!(
        "generic",
        r"\b(?:missing|no) api[ _-]?key\b|\bapi[ _-]?key (?:is )?(?:missing|required)\b",
        Some(CredentialsMissing)
    ),
    e!(
        "generic",
        r"\bsession (?:has )?expired\b|\binvalid session\b|\bsession not found\b|\bnot logged in\b",
        Some(CookieRejected)
    ),
    e!(
        "RFC 6750",
        r"\bThe access token provided is expired, revoked, malformed, or invalid\b",
        None
    ),
    e!("generic", ALTERNATIVES, None),
    e!(
        "generic",
        r"\b(?:token|jwt|access token) (?:is |has )?(?:been )?revoked\b|\btoken (?:is )?(?:not active|inactive)\b|\bactive[\x22']?\s*:\s*false\b",
        Some(TokenRevoked)
    ),
    e!(
        "generic",
        r"\binsufficient[_ ]scope\b|\bmissing (?:required )?scopes?\b|\brequired scopes?\b",
        Some(TokenScopeInsufficient)
    ),
    e!(
        "generic",
        r"\b(?:token|jwt|access token|signature) (?:is |has )?expired\b|\bexpired (?:token|jwt)\b",
        Some(TokenExpired)
    ),
    e!(
        "generic",
        r"\binvalid (?:token )?audience\b|\baudience (?:mismatch|is invalid|not allowed)\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "generic",
        r"\binvalid (?:token )?issuer\b|\bissuer (?:mismatch|is invalid|not allowed|not trusted)\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "generic",
        r"\binvalid signature\b|\bsignature (?:is )?invalid\b|\bbad signature\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "generic",
        r"\bunknown (?:kid|key id|signing key)\b|\bkey not found\b|\bno matching key\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "generic",
        r"\bmissing (?:authorization|bearer token|credentials|access token)\b|\bno (?:token|credentials) (?:provided|supplied|found)\b",
        Some(CredentialsMissing)
    ),
    e!(
        "generic",
        r"\bmissing (?:required )?(?:roles?|permissions?|groups?)\b|\b(?:role|permission|group) (?:required|missing)\b|\bnot (?:allowed|permitted|authorized) to\b|\baccess denied\b|\bforbidden\b",
        Some(AuthzForbidden)
    ),
    // GraphQL Yoga's JWT plugin (@graphql-yoga/plugin-jwt): 400s in a
    // GraphQL body before the token is verified (the prefix compared as
    // written, case and all), a bare "Unauthenticated" 401 after.
    e!(
        "GraphQL Yoga (plugin-jwt)",
        r"\bInvalid JWT authentication token prefix\b",
        Some(SchemeMismatch)
    ),
    e!(
        "GraphQL Yoga (plugin-jwt)",
        r"\bAuthentication header was set, but token is missing\b",
        Some(HeaderMalformed)
    ),
    e!(
        "GraphQL Yoga (plugin-jwt)",
        r"\bInvalid authentication token provided\b",
        Some(TokenMalformed)
    ),
    // Hasura (graphql-engine): the Haskell jose library's error, shown as
    // "Could not verify JWT: <constructor>", under code invalid-jwt in a
    // 200's GraphQL errors; its header checks under invalid-headers.
    e!(
        "Hasura",
        r"\bCould not verify JWT: JWTExpired\b",
        Some(TokenExpired)
    ),
    e!(
        "Hasura",
        r"\bCould not verify JWT: JWT(?:NotYetValid|IssuedAtFuture)\b",
        Some(TokenNotYetValid)
    ),
    e!(
        "Hasura",
        r"\bCould not verify JWT: JWTNotInAudience\b",
        Some(TokenAudienceMismatch)
    ),
    e!(
        "Hasura",
        r"\bCould not verify JWT: JWTNotInIssuer\b",
        Some(TokenIssuerMismatch)
    ),
    e!(
        "Hasura",
        r"\bCould not verify JWT: JWSError \(?JWSInvalidSignature\b",
        Some(TokenSignatureInvalid)
    ),
    e!(
        "Hasura",
        r"\bCould not verify JWT: JWSError \(?NoUsableKeys\b",
        Some(TokenUnknownKey)
    ),
    e!(
        "Hasura",
        r"\bCould not verify JWT: JWSError \(?(?:AlgorithmMismatch|AlgorithmNotImplemented)\b",
        Some(TokenAlgRejected)
    ),
    e!(
        "Hasura",
        r"\bCould not verify JWT: (?:JWTClaimsSetDecodeError|JWSError \(?(?:CompactDecodeError|JSONDecodeError))",
        Some(TokenMalformed)
    ),
    e!(
        "Hasura",
        r"\bMissing '?Authorization'? (?:or 'Cookie' )?header in JWT authentication mode\b",
        Some(CredentialsMissing)
    ),
    e!(
        "Hasura",
        r"\bMalformed Authorization header\b",
        Some(HeaderMalformed)
    ),
    e!(
        "Hasura",
        r"\bYour current role is not in allowed roles\b",
        Some(AuthzForbidden)
    ),
    e!(
        "generic",
        r"\binvalid (?:or expired )?token\b|\bunauthorized\b|\bnot authorized\b|\bauthentication (?:failed|required)\b",
        None
    ),
];

/// A status outside RFC 9110 that a server family answers for an
/// authentication failure: the 401 it stands for, in that family's terms.
pub struct StatusDialect {
    /// The status.
    pub status: u16,
    /// Who answers it.
    pub family: &'static str,
    /// Its reason phrase there.
    pub phrase: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// The cause it names, where it names one (`None`: the token's own
    /// checks decide, as for a bare 401).
    pub cause: Option<Cause>,
}

/// The statuses some servers answer where RFC 9110 has 401, as data. (499
/// is also nginx's code for a client that closed its connection, which it
/// writes only to its log, never to a client.)
pub static STATUS_DIALECTS: &[StatusDialect] = &[
    StatusDialect {
        status: 419,
        family: "Laravel",
        phrase: "Page Expired",
        meaning: "the session expired or its cookie was not sent, so the CSRF token that came with the request matches no session",
        cause: Some(CookieRejected),
    },
    StatusDialect {
        status: 440,
        family: "Microsoft IIS and Exchange",
        phrase: "Login Time-out",
        meaning: "the session expired; the client must sign in again",
        cause: Some(CookieRejected),
    },
    StatusDialect {
        status: 498,
        family: "Esri ArcGIS",
        phrase: "Invalid Token",
        meaning: "the token is expired or not valid",
        cause: None,
    },
    StatusDialect {
        status: 499,
        family: "Esri ArcGIS",
        phrase: "Token Required",
        meaning: "no token where the server reads one (ArcGIS reads a `token` parameter or X-Esri-Authorization)",
        cause: Some(CredentialsMissing),
    },
];

/// The family's meaning of a non-standard authentication status.
pub fn status_dialect(status: u16) -> Option<&'static StatusDialect> {
    STATUS_DIALECTS.iter().find(|d| d.status == status)
}

/// What must appear in a text for an entry to match: the (lower-cased)
/// literal prefixes of its pattern, found by regex-syntax's extractor; `None`
/// when the pattern has none to offer (it is then always tried).
fn needles() -> &'static [Option<Vec<String>>] {
    static N: OnceLock<Vec<Option<Vec<String>>>> = OnceLock::new();
    N.get_or_init(|| {
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        CATALOGUE
            .iter()
            .map(|e| {
                let hir = regex_syntax::ParserBuilder::new()
                    .unicode(false)
                    .utf8(false)
                    .build()
                    .parse(e.pattern)
                    .ok()?;
                let mut x = Extractor::new();
                x.kind(ExtractKind::Prefix);
                let seq = x.extract(&hir);
                // An empty or short literal matches nearly everywhere.
                let usable =
                    |v: Vec<String>| (!v.is_empty() && v.iter().all(|l| l.len() >= 3)).then_some(v);
                seq.literals()
                    .and_then(|lits| {
                        usable(
                            lits.iter()
                                .map(|l| String::from_utf8_lossy(l.as_bytes()).to_ascii_lowercase())
                                .collect(),
                        )
                    })
                    // No prefix to go by (an anchored `^\s*Token is
                    // expired\s*$`, a `\w+` first): a literal the text
                    // must hold anyway.
                    .or_else(|| usable(required(&hir)?))
            })
            .collect()
    })
}

/// Literals one of which any text a pattern matches holds (lower-cased):
/// the longest that a concatenation must hold, or one for each branch of
/// an alternation; `None` where a part can match without any.
fn required(h: &regex_syntax::hir::Hir) -> Option<Vec<String>> {
    use regex_syntax::hir::HirKind;
    match h.kind() {
        HirKind::Literal(l) => Some(vec![String::from_utf8_lossy(&l.0).to_ascii_lowercase()]),
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Concat(parts) => parts
            .iter()
            .filter_map(required)
            .max_by_key(|v| v.iter().map(String::len).min().unwrap_or(0)),
        HirKind::Alternation(branches) => {
            let mut out = Vec::new();
            for b in branches {
                out.extend(required(b)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// Every entry's needles in one automaton, ASCII case folded: a text is
/// searched once for all of them. A search per needle (`str::contains`,
/// hundreds a text, each building its own searcher) cost a line of an
/// application's log that no entry matches about a million instructions.
struct Prefilter {
    automaton: Option<aho_corasick::AhoCorasick>,
    /// The entry of each of the automaton's patterns.
    entry_of: Vec<usize>,
    /// The entries that every text may match: those with no needles (or
    /// all of them, should the automaton not have been built).
    always: Vec<bool>,
    /// Whether any entry is among `always`.
    any_always: bool,
}

impl Prefilter {
    fn get() -> &'static Prefilter {
        static P: OnceLock<Prefilter> = OnceLock::new();
        P.get_or_init(|| {
            let (mut patterns, mut entry_of) = (Vec::new(), Vec::new());
            for (i, n) in needles().iter().enumerate() {
                for l in n.iter().flatten() {
                    patterns.push(l.as_str());
                    entry_of.push(i);
                }
            }
            let automaton = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&patterns)
                .ok();
            let always: Vec<bool> = needles()
                .iter()
                .map(|n| n.is_none() || automaton.is_none())
                .collect();
            let any_always = always.contains(&true);
            Prefilter {
                automaton,
                entry_of,
                always,
                any_always,
            }
        })
    }

    /// Which entries `text` may match: those with a needle in it, and
    /// those with none to go by; `None` where no entry may (most lines of
    /// an application's log: then nothing is allocated, nor any entry
    /// looked at).
    fn present(&self, text: &str) -> Option<Vec<bool>> {
        let mut present = self.any_always.then(|| self.always.clone());
        for m in self
            .automaton
            .iter()
            .flat_map(|a| a.find_overlapping_iter(text))
        {
            if let Some(&i) = self.entry_of.get(m.pattern().as_usize()) {
                if let Some(p) = present
                    .get_or_insert_with(|| self.always.clone())
                    .get_mut(i)
                {
                    *p = true;
                }
            }
        }
        present
    }
}

/// Whether the words at `span` of `text` are one of several causes offered
/// as alternatives ([`ALTERNATIVES`]), not words that hold the whole
/// choice. `present`: the prefilter's verdict.
fn offered_as_alternative(text: &str, span: std::ops::Range<usize>, present: &[bool]) -> bool {
    static AT: OnceLock<Option<usize>> = OnceLock::new();
    let Some(i) = *AT.get_or_init(|| CATALOGUE.iter().position(|e| e.pattern == ALTERNATIVES))
    else {
        return false;
    };
    present.get(i).copied().unwrap_or(false)
        && entry_regex(i).is_some_and(|re| {
            re.find_iter(text.as_bytes()).any(|m| {
                // Overlapping, not holding them: an entry written for
                // the alternatives themselves (echo-jwt's "missing or
                // malformed jwt") means what it says.
                let overlaps = m.start() < span.end && span.start < m.end();
                let holds = span.start <= m.start() && m.end() <= span.end;
                overlaps && !holds
            })
        })
}

/// Entry `i`, compiled on first use. ASCII semantics (no Unicode classes,
/// ASCII word boundaries and case folding): the messages are ASCII, and
/// compiling the whole catalogue with Unicode tables cost more than a
/// whole diagnosis; with the literal filter, a text compiles only the few
/// entries it may match.
fn entry_regex(i: usize) -> Option<&'static Regex> {
    static C: OnceLock<Vec<OnceLock<Option<Regex>>>> = OnceLock::new();
    let cells = C.get_or_init(|| CATALOGUE.iter().map(|_| OnceLock::new()).collect());
    cells
        .get(i)?
        .get_or_init(|| {
            regex::bytes::RegexBuilder::new(CATALOGUE[i].pattern)
                .case_insensitive(true)
                .unicode(false)
                .size_limit(1 << 20)
                .build()
                .ok()
        })
        .as_ref()
}

/// Reads one text through the catalogue: the first entry that matches.
pub fn read(text: &str, place: &'static str) -> Option<Said> {
    // Words longer than this are an HTML page or a dump: the start speaks.
    let text = match text.len() > 4096 {
        true => text
            .char_indices()
            .nth(4096)
            .map_or(text, |(end, _)| &text[..end]),
        false => text,
    };
    let present = Prefilter::get().present(text)?;
    for (i, e) in CATALOGUE.iter().enumerate() {
        if !present[i] {
            continue;
        }
        let Some(re) = entry_regex(i) else {
            continue;
        };
        let Some(c) = re.captures(text.as_bytes()) else {
            continue;
        };
        if e.cause.is_some()
            && c.get(0)
                .is_some_and(|m| offered_as_alternative(text, m.range(), &present))
        {
            continue;
        }
        let group = |n: &str| {
            c.name(n).map(|m| {
                String::from_utf8_lossy(m.as_bytes())
                    .trim_end_matches(['.', '\'', '"'])
                    .to_owned()
            })
        };
        let line = text
            .lines()
            .find(|l| re.is_match(l.as_bytes()))
            .unwrap_or(text)
            .trim()
            .chars()
            .take(300)
            .collect();
        return Some(Said {
            cause: e.cause,
            family: e.family,
            text: line,
            place,
            expected_audience: group("aud"),
            expected_issuer: group("iss"),
            scopes: group("scope")
                .map(|s| {
                    s.split([' ', ','])
                        .filter(|x| !x.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            claim: group("claim").filter(|c| !c.eq_ignore_ascii_case("scope")),
            expired_at: group("exp").and_then(|t| t.parse().ok()),
            user: group("user")
                .or_else(|| group("duser"))
                .filter(|u| !u.is_empty()),
        });
    }
    None
}

/// The texts a body carries that speak of the rejection: the JSON members
/// servers use (`error_description`, `detail`, `msg`, `message`,
/// `messages[].message`, `errors[].message`, `title`, `code`, `error`), an
/// HTML page's title and text, or the plain text itself.
pub fn body_texts(body: &str) -> Vec<String> {
    let trimmed = body.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
            let mut out = Vec::new();
            collect(&v, 0, &mut out);
            return out;
        }
    }
    if trimmed.starts_with('<') {
        // An HTML page: its text without the tags.
        let mut text = String::new();
        let mut in_tag = false;
        for ch in trimmed.chars().take(8192) {
            match ch {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        return vec![words.join(" ")];
    }
    if trimmed.is_empty() {
        Vec::new()
    } else {
        vec![trimmed.chars().take(4096).collect()]
    }
}

fn collect(v: &Value, depth: usize, out: &mut Vec<String>) {
    if depth > 4 || out.len() > 32 {
        return;
    }
    match v {
        Value::Object(m) => {
            // The descriptive members first: they are the most specific.
            for k in [
                "error_description",
                "detail",
                "message",
                "msg",
                "title",
                "messages",
                "errors",
                "error",
                "code",
                "reason",
                "exp",
            ] {
                for (name, val) in m {
                    if name.eq_ignore_ascii_case(k) {
                        match val {
                            Value::String(s) => out.push(s.clone()),
                            other => collect(other, depth + 1, out),
                        }
                    }
                }
            }
        }
        Value::Array(a) => {
            for x in a.iter().take(8) {
                collect(x, depth + 1, out);
            }
        }
        Value::String(s) => out.push(s.clone()),
        _ => {}
    }
}

/// What a `WWW-Authenticate` value says of a refusal, as an answer
/// carried it or a log wrote it down: the first `error_description` of
/// its Bearer or DPoP challenges (RFC 6750 §3, RFC 9449 §7.1: the schemes
/// that define it) whose words the catalogue knows.
pub fn said_in_challenge(value: &str) -> Option<Said> {
    authdoctor_httpauth::challenge::parse(value)
        .challenges
        .iter()
        .filter(|c| c.is("bearer") || c.is("dpop"))
        .filter_map(|c| c.param("error_description"))
        .find_map(|d| read(d, "challenge").filter(|s| s.cause.is_some()))
}

/// Reads every text of a rejection (the challenges' `error_description`,
/// then the body's) and returns what was said, most specific first: a
/// reading that names a cause before one that names none.
pub fn hear(descriptions: &[String], body: &str) -> Vec<Said> {
    let mut out: Vec<Said> = descriptions
        .iter()
        .filter_map(|d| read(d, "challenge"))
        .collect();
    out.extend(body_texts(body).iter().filter_map(|t| read(t, "body")));
    out.sort_by_key(|s| s.cause.is_none());
    out.dedup_by(|a, b| a.cause == b.cause && a.family == b.family);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_search_finds_each_entrys_words_in_any_case_and_none_in_a_quiet_line() {
        let p = Prefilter::get();
        assert!(p.automaton.is_some());
        let mut searched = 0;
        for (i, n) in needles().iter().enumerate() {
            for l in n.iter().flatten() {
                let text = format!("10:00:00 ERROR {} (at the end)", l.to_ascii_uppercase());
                assert!(p.present(&text).is_some_and(|p| p[i]), "entry {i} ({l:?})");
                searched += 1;
            }
        }
        assert!(searched > 100, "{searched} words");
        // Every entry has words to be found by: none runs its pattern on
        // every text.
        let unfiltered: Vec<&str> = needles()
            .iter()
            .zip(CATALOGUE)
            .filter(|(n, _)| n.is_none())
            .map(|(_, e)| e.pattern)
            .collect();
        assert!(unfiltered.is_empty(), "{unfiltered:?}");
        // An application's ordinary line, as most of its log is: no
        // entry's words, so no pattern is run on it.
        let quiet = p.present(
            "2026-11-28 10:00:00.000 INFO  [http-nio-8080-exec-1] c.e.orders.OrderService - Processing order 12345 for customer 678",
        );
        let tried: Vec<&str> = quiet
            .unwrap_or_default()
            .iter()
            .zip(CATALOGUE)
            .filter(|(p, _)| **p)
            .map(|(_, e)| e.pattern)
            .collect();
        assert!(tried.is_empty(), "{tried:?}");
        assert!(read("Processing order 12345 for customer 678", "log").is_none());
    }

    #[test]
    fn a_challenge_says_why_in_its_error_description_only() {
        let cause = |v: &str| said_in_challenge(v).and_then(|s| s.cause);
        assert_eq!(
            cause(
                r#"Bearer realm="api", error="invalid_token", error_description="token is expired""#
            ),
            Some(TokenExpired)
        );
        // Escaped quotes in it, DPoP's challenge beside Bearer's.
        assert_eq!(
            cause(
                r#"Bearer realm="api", DPoP algs="ES256", error="invalid_token", error_description="\"exp\" claim timestamp check failed""#
            ),
            Some(TokenExpired)
        );
        // Words elsewhere (the realm), or a scheme that defines no
        // error_description: nothing.
        assert_eq!(cause(r#"Bearer realm="token is expired""#), None);
        assert_eq!(
            cause(r#"Basic realm="x", error_description="token is expired""#),
            None
        );
        assert_eq!(cause("garbage"), None);
    }

    /// Each message as the real package emits it, and what it must mean.
    /// The integration tests run the packages themselves.
    #[test]
    fn messages_real_packages_emit() {
        let cases: &[(&str, Option<Cause>, &str)] = &[
            ("jwt expired", Some(TokenExpired), "jsonwebtoken (Node)"),
            // mod_oauth2 3.3.1 over liboauth2 1.4.5 (Debian 12): its error
            // log and its challenges' descriptions.
            (
                "[Sat Nov 28 15:53:58.194252 2026] [oauth2:error] [pid 25396:tid 25402] [client 127.0.0.1:38040] _oauth2_jose_jwt_validate_exp: \"exp\" validation failure (1795880300): JWT expired 938 seconds ago",
                Some(TokenExpired),
                "mod_oauth2 (liboauth2)",
            ),
            (
                "[oauth2:warn] [pid 25396:tid 25406] [client 127.0.0.1:38040] _oauth2_jose_jwt_verify_jwk: cjose_jws_verify failed: [jws.c:968 _cjose_jws_verify_sig_rs error:02000072:rsa routines::padding check failed]",
                Some(TokenSignatureInvalid),
                "mod_oauth2 (liboauth2)",
            ),
            (
                "_oauth2_jose_jwt_verify_jwk: cjose_jws_verify failed: [jws.c:114 _cjose_jws_validate_hdr invalid argument]",
                Some(TokenAlgRejected),
                "mod_oauth2 (liboauth2)",
            ),
            (
                "No bearer token found in the request.",
                Some(CredentialsMissing),
                "mod_oauth2 (liboauth2)",
            ),
            (
                "Token could not be verified.",
                None,
                "mod_oauth2 (liboauth2)",
            ),
            // Debian's HAProxy 2.6 configured as HAProxy's guide to
            // jwt_verify does: a 403 whose body is the guide's words.
            (
                "Missing Authorization HTTP header",
                Some(CredentialsMissing),
                "HAProxy jwt_verify (its guide's words)",
            ),
            (
                "Unsupported JWT signing algorithm",
                Some(TokenAlgRejected),
                "HAProxy jwt_verify (its guide's words)",
            ),
            (
                "Invalid JWT issuer",
                Some(TokenIssuerMismatch),
                "HAProxy jwt_verify (its guide's words)",
            ),
            (
                "Invalid JWT audience",
                Some(TokenAudienceMismatch),
                "HAProxy jwt_verify (its guide's words)",
            ),
            (
                "Invalid JWT signature",
                Some(TokenSignatureInvalid),
                "HAProxy jwt_verify (its guide's words)",
            ),
            // mod_auth_openidc 2.4.12's error-log lines (Debian 12).
            (
                "oidc_proto_validate_exp: \"exp\" validation failure (1795746342): JWT expired 3017 seconds ago",
                Some(TokenExpired),
                "mod_auth_openidc",
            ),
            (
                "oidc_proto_jwt_verify: JWT signature verification failed: [src/jose.c:994: oidc_jwt_verify]: could not find key with kid: prod-0",
                Some(TokenUnknownKey),
                "mod_auth_openidc",
            ),
            (
                "oidc_proto_jwt_verify: JWT signature verification failed: [src/jose.c:988: oidc_jwt_verify]: cjose_jws_verify failed: error:02000072:rsa routines::padding check failed",
                Some(TokenSignatureInvalid),
                "mod_auth_openidc",
            ),
            (
                "oidc_oauth_validate_jwt_access_token: could not parse JWT from access_token: [src/jose.c:813: oidc_jwt_parse]: cjose_jws_import failed: invalid argument",
                Some(TokenMalformed),
                "mod_auth_openidc",
            ),
            // Later mod_auth_openidc (src/proto/jwt.c, src/oauth.c).
            (
                "oidc_proto_jwt_validate_iat: \"iat\" validation failure (1795740000): JWT was issued more than 600 seconds ago",
                Some(TokenExpired),
                "mod_auth_openidc",
            ),
            (
                "\"iat\" validation failure (1795790000): JWT was issued more than 600 seconds in the future",
                Some(TokenNotYetValid),
                "mod_auth_openidc",
            ),
            (
                "\"exp\" validation failure: JWT contained an invalid timestamp",
                Some(TokenMalformed),
                "mod_auth_openidc",
            ),
            (
                "oidc_oauth_validate_jwt_aud: none of the configured OIDCOAuthVerifyAudience values matches the \"aud\" claim in the JWT access token",
                Some(TokenAudienceMismatch),
                "mod_auth_openidc",
            ),
            (
                "JWT access token does not contain an \"aud\" claim, so it cannot be matched against the configured OIDCOAuthVerifyAudience value(s)",
                Some(TokenAudienceMismatch),
                "mod_auth_openidc",
            ),
            (
                "oidc_oauth_validate_jwt_iss: configured OIDCOAuthVerifyIssuer (https://id.example.test/) does not match the \"iss\" claim (https://staging.example.test/) in the JWT access token",
                Some(TokenIssuerMismatch),
                "mod_auth_openidc",
            ),
            (
                "oidc_oauth_get_bearer_token: client used unsupported authentication scheme: Basic",
                Some(SchemeMismatch),
                "mod_auth_openidc",
            ),
            (
                "jwt audience invalid. expected: https://orders.api.test",
                Some(TokenAudienceMismatch),
                "jsonwebtoken (Node)",
            ),
            (
                "jwt issuer invalid. expected: https://id.example.test/",
                Some(TokenIssuerMismatch),
                "jsonwebtoken (Node)",
            ),
            (
                "invalid signature",
                Some(TokenSignatureInvalid),
                "jsonwebtoken (Node) or Kong",
            ),
            ("jwt malformed", Some(TokenMalformed), "jsonwebtoken (Node)"),
            (
                "  inner: JsonWebTokenError: invalid token",
                Some(TokenMalformed),
                "jsonwebtoken (Node)",
            ),
            (
                "secret or public key must be provided",
                Some(TokenUnknownKey),
                "jsonwebtoken (Node)",
            ),
            (
                "No authorization token was found",
                Some(CredentialsMissing),
                "express-jwt",
            ),
            (
                "\"exp\" claim timestamp check failed",
                Some(TokenExpired),
                "jose (panva)",
            ),
            (
                "unexpected \"aud\" claim value",
                Some(TokenAudienceMismatch),
                "jose (panva)",
            ),
            (
                "no applicable key found in the JSON Web Key Set",
                Some(TokenUnknownKey),
                "jose (panva)",
            ),
            (
                "Unexpected 'aud' value",
                Some(TokenAudienceMismatch),
                "express-oauth2-jwt-bearer",
            ),
            (
                "Unexpected 'iat' value",
                Some(TokenNotYetValid),
                "express-oauth2-jwt-bearer",
            ),
            (
                "Unexpected 'client_id' value",
                Some(AuthzForbidden),
                "express-oauth2-jwt-bearer",
            ),
            ("Signature has expired", Some(TokenExpired), "PyJWT"),
            ("Invalid audience", Some(TokenAudienceMismatch), "PyJWT"),
            ("Not enough segments", Some(TokenMalformed), "PyJWT"),
            (
                "Token has expired",
                Some(TokenExpired),
                "Flask-JWT-Extended",
            ),
            (
                "Jwt expired at 2026-11-26T17:20:00Z",
                Some(TokenExpired),
                "Spring Security",
            ),
            (
                "IDX10223: Lifetime validation failed. The token is expired.",
                Some(TokenExpired),
                "ASP.NET Core",
            ),
            (
                "IDX10214: Audience validation failed.",
                Some(TokenAudienceMismatch),
                "ASP.NET Core",
            ),
            (
                "IDX10205: Issuer validation failed.",
                Some(TokenIssuerMismatch),
                "ASP.NET Core",
            ),
            (
                "IDX10501: Signature validation failed. Unable to match key: kid: 'abc'",
                Some(TokenUnknownKey),
                "ASP.NET Core",
            ),
            ("Jwt is expired", Some(TokenExpired), "Envoy jwt_authn"),
            (
                "Audiences in Jwt are not allowed",
                Some(TokenAudienceMismatch),
                "Envoy jwt_authn",
            ),
            (
                "Jwks doesn't have key to match kid or alg from Jwt",
                Some(TokenUnknownKey),
                "Envoy jwt_authn",
            ),
            // Auth0's java-jwt.
            (
                "The Token has expired on 2026-11-27T10:00:00Z.",
                Some(TokenExpired),
                "java-jwt",
            ),
            (
                "The Token can't be used before Thu Nov 27 10:00:00 UTC 2026.",
                Some(TokenNotYetValid),
                "java-jwt",
            ),
            (
                "The Claim 'aud' value doesn't contain the required audience.",
                Some(TokenAudienceMismatch),
                "java-jwt",
            ),
            (
                "The Claim 'iss' value doesn't match the required issuer.",
                Some(TokenIssuerMismatch),
                "java-jwt",
            ),
            (
                "The Token's Signature resulted invalid when verified using the Algorithm: SHA256withRSA",
                Some(TokenSignatureInvalid),
                "java-jwt",
            ),
            (
                r#"{"fault":{"faultstring":"Access Token expired","detail":{"errorcode":"keymanagement.service.access_token_expired"}}}"#,
                Some(TokenExpired),
                "Apigee",
            ),
            // Apache APISIX's jwt-auth bodies (its t/plugin/jwt-auth.t),
            // lua-resty-jwt's reasons.
            (
                r#"{"message":"'exp' claim expired at Tue, 23 Jul 2019 08:28:21 GMT"}"#,
                Some(TokenExpired),
                "lua-resty-jwt",
            ),
            (
                "failed to verify jwt, 'nbf' claim not valid until Mon, 27 Aug 2040 09:17:54 GMT",
                Some(TokenNotYetValid),
                "lua-resty-jwt",
            ),
            (
                r#"{"message":"signature mismatch: fNtFJnNmJgzbiYmGB0Yjvm-l6A6M4jRV1l4mnVFSYjs"}"#,
                Some(TokenSignatureInvalid),
                "lua-resty-jwt",
            ),
            (
                r#"{"message":"Missing JWT token in request"}"#,
                Some(CredentialsMissing),
                "APISIX jwt-auth",
            ),
            // njwt's errors (its properties.js), under @okta/jwt-verifier.
            (
                r#"Error while resolving signing key for kid "k9""#,
                Some(TokenUnknownKey),
                "njwt (@okta/jwt-verifier)",
            ),
            (
                "Jwt not active",
                Some(TokenNotYetValid),
                "njwt (@okta/jwt-verifier)",
            ),
            (
                "Jwt cannot be parsed",
                Some(TokenMalformed),
                "njwt (@okta/jwt-verifier)",
            ),
            (
                "Unexpected signature algorithm",
                Some(TokenAlgRejected),
                "njwt (@okta/jwt-verifier)",
            ),
            // Auth0's Python API quickstart, as its AuthError handler
            // answers (tests/python/stacks.py runs it).
            (
                r#"{"code":"invalid_header","description":"Unable to find appropriate key"}"#,
                Some(TokenUnknownKey),
                "Auth0 quickstart (python-jose)",
            ),
            (
                r#"{"code":"authorization_header_missing","description":"Authorization header is expected"}"#,
                Some(CredentialsMissing),
                "Auth0 quickstart (python-jose)",
            ),
            (
                r#"{"code":"invalid_header","description":"Authorization header must start with Bearer"}"#,
                Some(SchemeMismatch),
                "Auth0 quickstart (python-jose)",
            ),
            (
                "Authorization header must be Bearer token",
                Some(HeaderMalformed),
                "Auth0 quickstart (python-jose)",
            ),
            (
                r#"{"code":"invalid_header","description":"Unable to parse authentication token."}"#,
                None,
                "Auth0 quickstart (python-jose)",
            ),
            (
                r#"{"code":"invalid_claims","description":"incorrect claims, please check the audience and issuer"}"#,
                None,
                "Auth0 quickstart (python-jose)",
            ),
            // golang-jwt v4 (Debian's) behind net/http's http.Error.
            (
                "token contains an invalid number of segments",
                Some(TokenMalformed),
                "golang-jwt",
            ),
            (
                "crypto/rsa: verification error",
                Some(TokenSignatureInvalid),
                "golang-jwt",
            ),
            (
                "Unexpected signing method: none",
                Some(TokenAlgRejected),
                "golang-jwt",
            ),
            (
                "the given key ID was not found in the JWKS",
                Some(TokenUnknownKey),
                "keyfunc (golang-jwt)",
            ),
            // ruby-jwt 2.5 (Debian's), as the tutorials' Rails and Sinatra
            // APIs answer: {"errors": message}.
            (
                r#"{"errors":"Invalid audience. Expected https://orders.api.test, received https://billing.api.test"}"#,
                Some(TokenAudienceMismatch),
                "ruby-jwt",
            ),
            (
                r#"Invalid issuer. Expected ["https://id.example"], received https://staging.example"#,
                Some(TokenIssuerMismatch),
                "ruby-jwt",
            ),
            (
                r#"{"errors":"Nil JSON web token"}"#,
                Some(CredentialsMissing),
                "ruby-jwt",
            ),
            ("Invalid segment encoding", Some(TokenMalformed), "ruby-jwt"),
            (
                "Could not find public key for kid prod-key-0-retired",
                Some(TokenUnknownKey),
                "ruby-jwt",
            ),
            (
                "Expected a different algorithm",
                Some(TokenAlgRejected),
                "ruby-jwt",
            ),
            (
                "Signature nbf has not been reached",
                Some(TokenNotYetValid),
                "ruby-jwt",
            ),
            // @okta/jwt-verifier 4.0 (its express quickstart sends the
            // message as the 401's body).
            (
                "audience claim https://other.api does not match expected audience: https://api.example",
                Some(TokenAudienceMismatch),
                "@okta/jwt-verifier",
            ),
            (
                "audience claims a, b do not match one of the expected audiences: https://api.example",
                Some(TokenAudienceMismatch),
                "@okta/jwt-verifier",
            ),
            (
                "issuer https://staging.example does not match expected issuer: https://id.example",
                Some(TokenIssuerMismatch),
                "@okta/jwt-verifier",
            ),
            // jwt_verify_lib's current words (src/status.cc).
            (
                "Jwt header is an invalid Base64url input or an invalid JSON",
                Some(TokenMalformed),
                "Envoy jwt_authn",
            ),
            (
                "jwt_authn_access_denied{Jwt_payload_is_an_invalid_Base64_or_an_invalid_JSON}",
                Some(TokenMalformed),
                "Envoy jwt_authn",
            ),
            (
                "Jwt signature is an invalid Base64",
                Some(TokenMalformed),
                "Envoy jwt_authn",
            ),
            (
                "Jwt header [kid] field is not a string",
                Some(TokenMalformed),
                "Envoy jwt_authn",
            ),
            (
                "jwt_authn_access_denied{Jwt_header_[alg]_field_value_is_invalid}",
                Some(TokenAlgRejected),
                "Envoy jwt_authn",
            ),
            (
                "jwt_authn_access_denied{Jwks_remote_fetch_is_failed}",
                Some(ServerMisconfigured),
                "Envoy jwt_authn",
            ),
            (
                "Jwks doesn't have any valid public key",
                Some(ServerMisconfigured),
                "Envoy jwt_authn",
            ),
            (
                "token has invalid claims: token is expired",
                Some(TokenExpired),
                "golang-jwt",
            ),
            (
                "Authentication credentials were not provided.",
                Some(CredentialsMissing),
                "Django REST framework",
            ),
            (
                "The access token provided is expired, revoked, malformed, or invalid for other reasons.",
                None,
                "RFC 6750",
            ),
            ("Token verification failed", None, "Keycloak"),
            (
                "LOGIN_ERROR user_not_found",
                Some(CredentialsInvalid),
                "Keycloak events",
            ),
            (
                "REFRESH_TOKEN_ERROR invalid_token",
                Some(RefreshFailed),
                "Keycloak events",
            ),
            (
                "AADSTS7000215: Invalid client secret provided.",
                Some(ClientInvalid),
                "Microsoft Entra ID",
            ),
            // A summary of a refusal logged already: no cause of its own,
            // and not Starlette's "Not authenticated".
            (
                "Bearer was not authenticated. Failure message: IDX10223: Lifetime validation failed. The token is expired.",
                None,
                "ASP.NET Core",
            ),
            (
                "No matching JWK found in the set.",
                Some(TokenUnknownKey),
                "get-jwks",
            ),
            (
                "Authorization token is invalid: The token is malformed.",
                Some(TokenMalformed),
                "@fastify/jwt",
            ),
            (
                "Authorization token expired",
                Some(TokenExpired),
                "@fastify/jwt",
            ),
            (
                "invalid credentials structure",
                Some(HeaderMalformed),
                "hono/jwk",
            ),
            ("token verification failure", None, "hono/jwk"),
            (
                "Token is expired",
                Some(TokenExpired),
                "Django REST framework SimpleJWT",
            ),
            (
                "Given token not valid for any token type",
                None,
                "Django REST framework SimpleJWT",
            ),
            ("Token is invalid", None, "Django REST framework SimpleJWT"),
            (
                "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'",
                Some(SchemeMismatch),
                "Flask-JWT-Extended",
            ),
            (
                "Not enough permissions",
                Some(TokenScopeInsufficient),
                "FastAPI (OAuth2 scopes tutorial)",
            ),
            (
                "Token maximum age exceeded",
                Some(TokenExpired),
                "@hapi/jwt",
            ),
            (
                "Bad HTTP authentication header format",
                Some(HeaderMalformed),
                "@hapi/jwt",
            ),
            (
                "missing or malformed jwt",
                Some(CredentialsMissing),
                "echo-jwt",
            ),
            (
                "JwtExpiredError: Token expired at 2026-11-27T10:00:00.000Z",
                Some(TokenExpired),
                "aws-jwt-verify",
            ),
            (
                "Token can't be used before 2026-11-27T10:00:00.000Z",
                Some(TokenNotYetValid),
                "aws-jwt-verify",
            ),
            (
                "Issuer not allowed: https://a.test. Expected: https://b.test",
                Some(TokenIssuerMismatch),
                "aws-jwt-verify",
            ),
            (
                "Audience not allowed: https://billing.test. Expected: https://orders.test",
                Some(TokenAudienceMismatch),
                "aws-jwt-verify",
            ),
            (
                r#"Client ID ("audience") not allowed: abc. Expected: def"#,
                Some(TokenAudienceMismatch),
                "aws-jwt-verify",
            ),
            (
                "Missing Scope. Expected: read:orders",
                Some(TokenScopeInsufficient),
                "aws-jwt-verify",
            ),
            (
                "Token use not allowed: id. Expected: access",
                Some(TokenWrongType),
                "aws-jwt-verify",
            ),
            (
                r#"KidNotFoundInJwksError: JWK for kid "k9" not found in the JWKS"#,
                Some(TokenUnknownKey),
                "aws-jwt-verify",
            ),
            (
                "JWT string does not consist of exactly 3 parts (header, payload, signature)",
                Some(TokenMalformed),
                "aws-jwt-verify",
            ),
            (
                "JWT signature algorithm not allowed: HS256. Expected one of: RS256, ES256",
                Some(TokenAlgRejected),
                "aws-jwt-verify",
            ),
            (
                "JwtParseError: Empty JWT",
                Some(CredentialsMissing),
                "aws-jwt-verify",
            ),
            (
                "rpc error: code = Unauthenticated desc = Request unauthenticated with bearer",
                Some(CredentialsMissing),
                "go-grpc-middleware",
            ),
            (
                "rpc error: code = Unauthenticated desc = Bad authorization string",
                Some(HeaderMalformed),
                "go-grpc-middleware",
            ),
            ("Authentication Error", None, "koa-jwt"),
            // go-oidc v2 and v3 (coreos/go-oidc, verify.go and jwks.go), as
            // the Kubernetes API server logs them.
            (
                r#"E1127 09:12:01.123456       1 authentication.go:74] "Unable to authenticate the request" err="[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: 2026-11-27 09:00:00 +0000 UTC)]""#,
                Some(TokenExpired),
                "go-oidc",
            ),
            (
                r#"oidc: expected audience "kubernetes" got ["account"]"#,
                Some(TokenAudienceMismatch),
                "go-oidc",
            ),
            (
                r#"oidc: id token issued by a different provider, expected "https://a.test" got "https://b.test""#,
                Some(TokenIssuerMismatch),
                "go-oidc",
            ),
            (
                r#"oidc: id token signed with unsupported algorithm, expected ["RS256"] got "HS256""#,
                Some(TokenAlgRejected),
                "go-oidc",
            ),
            (
                "oidc: current time 2026-11-27 09:00:00 +0000 UTC before the nbf (not before) time: 2026-11-27 10:00:00 +0000 UTC",
                Some(TokenNotYetValid),
                "go-oidc",
            ),
            (
                "failed to verify signature: failed to verify id token signature",
                Some(TokenSignatureInvalid),
                "go-oidc",
            ),
            (
                "oidc: malformed jwt: square/go-jose: compact JWS format must have three parts",
                Some(TokenMalformed),
                "go-oidc",
            ),
            // go-jose's jwt package (square/go-jose.v2 errors.go; v3 and
            // v4 say go-jose/go-jose).
            (
                "square/go-jose/jwt: validation failed, token is expired (exp)",
                Some(TokenExpired),
                "go-jose",
            ),
            (
                "go-jose/go-jose/jwt: validation failed, token not valid yet (nbf)",
                Some(TokenNotYetValid),
                "go-jose",
            ),
            (
                "square/go-jose/jwt: validation failed, invalid audience claim (aud)",
                Some(TokenAudienceMismatch),
                "go-jose",
            ),
            (
                "go-jose/go-jose/jwt: validation failed, invalid issuer claim (iss)",
                Some(TokenIssuerMismatch),
                "go-jose",
            ),
            (
                "[invalid bearer token, square/go-jose: error in cryptographic primitive, token lookup failed]",
                Some(TokenSignatureInvalid),
                "go-jose",
            ),
            // Kubernetes (pkg/serviceaccount, the bearer-token authenticator).
            (
                "[invalid bearer token, service account token has expired]",
                Some(TokenExpired),
                "Kubernetes",
            ),
            (
                "[invalid bearer token, service account token has been invalidated]",
                Some(TokenRevoked),
                "Kubernetes",
            ),
            (
                r#"[invalid bearer token, token audiences ["telemetry"] is invalid for the target audiences ["https://kubernetes.default.svc"], token lookup failed]"#,
                Some(TokenAudienceMismatch),
                "Kubernetes",
            ),
            (
                "invalid bearer token",
                Some(CredentialsInvalid),
                "Kubernetes",
            ),
            // jose4j (NumericDateValidator, AudValidator, IssValidator,
            // HttpsJwksVerificationKeyResolver).
            (
                "JWT (claims->{\"sub\":\"a\",\"exp\":1612203403}) rejected due to invalid claims or other invalid content. Additional details: [[1] The JWT is no longer valid - the evaluation time NumericDate{1612215217 -> Feb 1, 2021 10:33:37 PM CET} is on or after the Expiration Time (exp=NumericDate{1612203403 -> Feb 1, 2021 7:16:43 PM CET}) claim value (even when providing 20 seconds of leeway to account for clock skew).]",
                Some(TokenExpired),
                "jose4j",
            ),
            (
                "The JWT is not yet valid as the evaluation time NumericDate{1612215217 -> Feb 1, 2021 10:33:37 PM CET} is before the Not Before (nbf=NumericDate{1612303403 -> Feb 2, 2021 7:16:43 PM CET}) claim time.",
                Some(TokenNotYetValid),
                "jose4j",
            ),
            (
                "Audience (aud) claim [account] doesn't contain an acceptable identifier. Expected orders-api as an aud value.",
                Some(TokenAudienceMismatch),
                "jose4j",
            ),
            (
                "Issuer (iss) claim value (https://b.test) doesn't match expected value of https://a.test",
                Some(TokenIssuerMismatch),
                "jose4j",
            ),
            (
                r#"Unable to find a suitable verification key for JWS w/ header {"alg":"RS256","kid":"old"} from JWKs [] obtained from https://id.test/certs"#,
                Some(TokenUnknownKey),
                "jose4j",
            ),
            // Nimbus JOSE+JWT (DefaultJWTClaimsVerifier).
            ("Expired JWT", Some(TokenExpired), "Nimbus JOSE+JWT"),
            (
                "JWT before use time",
                Some(TokenNotYetValid),
                "Nimbus JOSE+JWT",
            ),
            (
                "JWT audience rejected: [account]",
                Some(TokenAudienceMismatch),
                "Nimbus JOSE+JWT",
            ),
            // Crypt::JWT 0.034 (Debian's libcrypt-jwt-perl, lib/Crypt/JWT.pm),
            // as a Mojolicious app answers them (tests/perl/api.pl).
            (
                "JWT: exp claim check failed (1795872541/0 vs. 1795873495)",
                Some(TokenExpired),
                "Crypt::JWT (Perl)",
            ),
            (
                "JWT: nbf claim check failed (1795873495/60 vs. 1795872541) at api.pl line 60.",
                Some(TokenNotYetValid),
                "Crypt::JWT (Perl)",
            ),
            (
                "JWT: iss claim scalar check failed",
                Some(TokenIssuerMismatch),
                "Crypt::JWT (Perl)",
            ),
            (
                "JWT: aud claim code check failed",
                Some(TokenAudienceMismatch),
                "Crypt::JWT (Perl)",
            ),
            (
                "JWT: exp claim required but missing",
                Some(TokenMalformed),
                "Crypt::JWT (Perl)",
            ),
            (
                "JWS: invalid signature",
                Some(TokenSignatureInvalid),
                "Crypt::JWT (Perl)",
            ),
            (
                "JWS: kid_keys lookup failed",
                Some(TokenUnknownKey),
                "Crypt::JWT (Perl)",
            ),
            (
                "JWS: alg 'none' not allowed",
                Some(TokenAlgRejected),
                "Crypt::JWT (Perl)",
            ),
            (
                "JWS: alg 'HS256' not in accepted_alg",
                Some(TokenAlgRejected),
                "Crypt::JWT (Perl)",
            ),
            (
                "JWT: invalid token format",
                Some(TokenMalformed),
                "Crypt::JWT (Perl)",
            ),
            (
                "JWT: missing token",
                Some(CredentialsMissing),
                "Crypt::JWT (Perl)",
            ),
            // Mojo::JWT 0.09 (Debian's libmojo-jwt-perl, lib/Mojo/JWT.pm).
            ("JWT has expired", Some(TokenExpired), "Mojo::JWT (Perl)"),
            (
                "JWT is not yet valid",
                Some(TokenNotYetValid),
                "Mojo::JWT (Perl)",
            ),
            (
                "Failed RS validation",
                Some(TokenSignatureInvalid),
                "Mojo::JWT (Perl)",
            ),
            (
                "Algorithm \"none\" is prohibited",
                Some(TokenAlgRejected),
                "Mojo::JWT (Perl)",
            ),
            (
                "public key not specified",
                Some(TokenUnknownKey),
                "Mojo::JWT (Perl)",
            ),
            (
                "Required header field \"alg\" not specified",
                Some(TokenMalformed),
                "Mojo::JWT (Perl)",
            ),
            // oauth2-proxy's session middleware (v7).
            (
                "[2026/11/27 09:12:06] [stored_session.go:77] Error loading cookied session: cookie signature not valid, removing session",
                Some(CookieRejected),
                "oauth2-proxy",
            ),
            // Traefik's BasicAuth middleware (basic_auth.go), v3's console
            // format.
            (
                "2026-11-27T09:12:11Z DBG github.com/traefik/traefik/v3/pkg/middlewares/auth/basic_auth.go:91 > Authentication failed middlewareName=auth@file middlewareType=BasicAuth",
                Some(CredentialsInvalid),
                "Traefik",
            ),
            // API Gateway's answer to a Bearer token on a route that wants
            // SigV4, and its 403 for a route it does not have.
            (
                "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): 'V2hhdCBpcyBoYXNoZWQ='.",
                Some(SchemeMismatch),
                "AWS API Gateway (IAM)",
            ),
            (
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter.",
                Some(SchemeMismatch),
                "AWS API Gateway (IAM)",
            ),
            ("Missing Authentication Token", None, "AWS API Gateway"),
            // @graphql-yoga/plugin-jwt's (src/utils.ts, src/plugin.ts).
            (
                "Invalid JWT authentication token prefix.",
                Some(SchemeMismatch),
                "GraphQL Yoga (plugin-jwt)",
            ),
            (
                "Authentication header was set, but token is missing.",
                Some(HeaderMalformed),
                "GraphQL Yoga (plugin-jwt)",
            ),
            (
                "Invalid authentication token provided",
                Some(TokenMalformed),
                "GraphQL Yoga (plugin-jwt)",
            ),
            // Hasura's messages (server/src-lib/Hasura/Server/Auth/JWT.hs:
            // `"Could not verify JWT: " <> tshow e` of jose's JWTError).
            (
                "Could not verify JWT: JWTExpired",
                Some(TokenExpired),
                "Hasura",
            ),
            (
                "Could not verify JWT: JWTIssuedAtFuture",
                Some(TokenNotYetValid),
                "Hasura",
            ),
            (
                "Could not verify JWT: JWTNotInAudience",
                Some(TokenAudienceMismatch),
                "Hasura",
            ),
            (
                "Could not verify JWT: JWTNotInIssuer",
                Some(TokenIssuerMismatch),
                "Hasura",
            ),
            (
                "Could not verify JWT: JWSError JWSInvalidSignature",
                Some(TokenSignatureInvalid),
                "Hasura",
            ),
            (
                "Could not verify JWT: JWSError NoUsableKeys",
                Some(TokenUnknownKey),
                "Hasura",
            ),
            (
                "Could not verify JWT: JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 2)",
                Some(TokenMalformed),
                "Hasura",
            ),
            (
                "Missing 'Authorization' or 'Cookie' header in JWT authentication mode",
                Some(CredentialsMissing),
                "Hasura",
            ),
        ];
        for (text, cause, family) in cases {
            let s =
                read(text, "body").unwrap_or_else(|| panic!("{text:?} is not in the catalogue"));
            assert_eq!((s.cause, s.family), (*cause, *family), "{text:?}");
        }
    }

    #[test]
    fn what_the_words_carry() {
        // The audience or issuer a server says it expected, after the
        // token's: ruby-jwt's (an array as Ruby prints one), @okta/jwt-
        // verifier's, jsonwebtoken's (Node).
        for (text, audience, issuer) in [
            (
                "Invalid audience. Expected https://orders.api.test, received https://billing.api.test",
                Some("https://orders.api.test"),
                None,
            ),
            (
                r#"Invalid issuer. Expected ["https://id.example"], received https://staging.example"#,
                None,
                Some("https://id.example"),
            ),
            (
                "audience claim https://other.api does not match expected audience: https://api.example",
                Some("https://api.example"),
                None,
            ),
            (
                "issuer https://staging.example does not match expected issuer: https://id.example",
                None,
                Some("https://id.example"),
            ),
            (
                "jwt audience invalid. expected: https://orders.api.test",
                Some("https://orders.api.test"),
                None,
            ),
            (
                "jwt issuer invalid. expected: https://id.example.test/",
                None,
                Some("https://id.example.test/"),
            ),
        ] {
            let s = read(text, "body").unwrap();
            assert_eq!(
                (s.expected_audience.as_deref(), s.expected_issuer.as_deref()),
                (audience, issuer),
                "{text:?}"
            );
        }
        // The issuer mod_auth_openidc was configured to trust, not the
        // token's.
        let s = read("configured OIDCOAuthVerifyIssuer (https://id.example.test/) does not match the \"iss\" claim (https://staging.example.test/) in the JWT access token", "log").unwrap();
        assert_eq!(
            s.expected_issuer.as_deref(),
            Some("https://id.example.test/")
        );
        // The expiry a server names, on the line that names it.
        let s = read("[client 10.0.0.1:5] oidc_proto_validate_exp: \"exp\" validation failure (1795746342): JWT expired 3017 seconds ago", "log").unwrap();
        assert_eq!(
            (s.cause, s.expired_at),
            (Some(TokenExpired), Some(1_795_746_342))
        );
        assert_eq!(
            read("JWT expired 3017 seconds ago", "log")
                .unwrap()
                .expired_at,
            None
        );
        let s = read("Unexpected 'client_id' value", "challenge").unwrap();
        assert_eq!(s.claim.as_deref(), Some("client_id")); // jose4j names the refused expiry, in seconds.
        let s = read("[1] The JWT is no longer valid - the evaluation time NumericDate{1612215217 -> Feb 1, 2021 10:33:37 PM CET} is on or after the Expiration Time (exp=NumericDate{1612203403 -> Feb 1, 2021 7:16:43 PM CET}) claim value.", "log").unwrap();
        assert_eq!(s.expired_at, Some(1_612_203_403));
    }

    #[test]
    fn words_that_are_not_a_dialect_fall_through() {
        // "not associated with this client" is not an `iat` problem, and a
        // bare "invalid token" names no cause.
        assert_eq!(
            read("The grant is not associated with this client", "body"),
            None
        );
        assert_eq!(read("invalid token", "body").and_then(|s| s.cause), None);
        assert_eq!(read("Hello, world", "body"), None);
        // Causes offered as alternatives name none of them, where each
        // alone names its own.
        for either in [
            "Invalid or expired token",
            r#"{"error":"invalid_token","error_description":"Invalid or expired token"}"#,
            "Token is expired or invalid",
            "missing or invalid token",
            "Unauthorized: token invalid/expired",
            "the token is malformed, revoked, or expired",
        ] {
            assert_eq!(read(either, "body").and_then(|s| s.cause), None, "{either}");
        }
        assert_eq!(
            read("Token is expired", "body").and_then(|s| s.cause),
            Some(TokenExpired)
        );
        // Starlette's detail is the whole text; the same words inside
        // another sentence (Apollo Server's guide's) name nothing sent.
        let starlette = |t: &str| read(t, "body").map(|s| (s.family, s.cause));
        assert_eq!(
            starlette("Not authenticated"),
            Some(("Starlette / FastAPI", Some(CredentialsMissing)))
        );
        assert_eq!(
            starlette(r#"INFO "detail":"Not authenticated" 401"#),
            Some(("Starlette / FastAPI", Some(CredentialsMissing)))
        );
        assert_eq!(starlette("User is not authenticated"), None);
    }

    #[test]
    fn bodies_in_every_shape() {
        assert_eq!(
            body_texts(r#"{"msg": "Token has expired"}"#),
            ["Token has expired"]
        );
        assert_eq!(
            body_texts(
                r#"{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"message":"Token is invalid or expired"}]}"#
            ),
            [
                "Given token not valid for any token type",
                "Token is invalid or expired",
                "token_not_valid"
            ]
        );
        let html = "<html><head><title>401 Unauthorized</title></head><body><p>jwt expired</p></body></html>";
        let s = hear(&[], html);
        assert_eq!(s[0].cause, Some(TokenExpired));
        assert_eq!(hear(&[], "jwt malformed\n")[0].cause, Some(TokenMalformed));
        // A huge binary-ish body is bounded and does not panic.
        let big = "\u{fffd}".repeat(100_000);
        let _ = hear(&[], &big);
    }
}
