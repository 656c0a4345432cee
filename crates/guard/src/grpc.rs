//! gRPC calls refused by the guard (the proxy's or `BearerLayer`'s), as
//! gRPC answers them.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, StatusCode, header};

/// Whether a request is a gRPC call (its content type `application/grpc`,
/// or one of its `+proto`, `+json` forms).
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            let t = t.trim_start();
            t.get(..16)
                .is_some_and(|p| p.eq_ignore_ascii_case("application/grpc"))
                && matches!(t.as_bytes().get(16), None | Some(b'+' | b';'))
        })
}

/// The guard's own refusal of a gRPC call as gRPC answers one: HTTP 200,
/// no body, and the status in `grpc-status` and `grpc-message` (a
/// "trailers-only" response), so that the client reads the code and the
/// reason rather than a bare HTTP status. 401 is UNAUTHENTICATED, 403
/// PERMISSION_DENIED, 400 INVALID_ARGUMENT, 429 RESOURCE_EXHAUSTED, 502 and
/// 503 UNAVAILABLE. The challenge stays among the headers. The upstream's
/// answers (a 200, or any that carries its own `grpc-status`) pass as
/// they are.
pub(crate) fn as_grpc(resp: Response) -> Response {
    if resp.status() == StatusCode::OK || resp.headers().contains_key("grpc-status") {
        return resp;
    }
    let status = resp.status();
    let code = authdoctor_httpauth::grpc::code_for(status.as_u16());
    let (mut parts, _) = resp.into_parts();
    // The challenge's reason where there is one, else the status's phrase.
    let reason = parts
        .headers
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| {
            let text = String::from_utf8_lossy(v.as_bytes());
            authdoctor_httpauth::challenge::parse(&text)
                .challenges
                .iter()
                .find_map(|c| c.param("error_description").map(str::to_owned))
        })
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("refused").to_owned());
    let message = authdoctor_httpauth::grpc::message(&reason);
    parts.status = StatusCode::OK;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    parts.headers.insert("grpc-status", HeaderValue::from(code));
    if let Ok(v) = HeaderValue::from_str(&message) {
        parts.headers.insert("grpc-message", v);
    }
    Response::from_parts(parts, Body::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(content_type) {
            h.insert(header::CONTENT_TYPE, v);
        }
        h
    }

    #[test]
    fn a_grpc_call_is_told_by_its_content_type() {
        for t in [
            "application/grpc",
            "application/grpc+proto",
            "Application/GRPC+json",
            "application/grpc; x=1",
        ] {
            assert!(is_grpc(&headers(t)), "{t}");
        }
        for t in [
            "application/grpc-web",
            "application/grpc-web+proto",
            "application/json",
            "",
        ] {
            assert!(!is_grpc(&headers(t)), "{t}");
        }
    }

    #[test]
    fn a_refusal_is_answered_as_grpc_and_an_answer_passes() {
        let refused = |status: StatusCode, challenge: Option<&str>| {
            let mut r = Response::new(Body::from("{\"error\":\"x\"}"));
            *r.status_mut() = status;
            if let Some(c) = challenge.and_then(|c| HeaderValue::from_bytes(c.as_bytes()).ok()) {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, c);
            }
            as_grpc(r)
        };
        let r = refused(
            StatusCode::UNAUTHORIZED,
            Some(
                "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The access token expired 100% é\"",
            ),
        );
        assert_eq!(r.status(), StatusCode::OK);
        let h = r.headers();
        assert_eq!(h["grpc-status"], "16");
        assert_eq!(h["grpc-message"], "The access token expired 100%25 %C3%A9");
        assert_eq!(h[header::CONTENT_TYPE], "application/grpc");
        assert!(h.contains_key(header::WWW_AUTHENTICATE));
        let codes: Vec<String> = [400, 403, 429, 502, 503, 500]
            .into_iter()
            .map(|s| {
                let r = refused(
                    StatusCode::from_u16(s).unwrap_or(StatusCode::IM_A_TEAPOT),
                    None,
                );
                r.headers()["grpc-status"].to_str().unwrap_or("").to_owned()
            })
            .collect();
        assert_eq!(codes, ["3", "7", "8", "14", "14", "2"]);
        // No challenge: the status's phrase.
        let r = refused(StatusCode::FORBIDDEN, None);
        assert_eq!(r.headers()["grpc-message"], "Forbidden");
        // The upstream's answer, or one with its own status, as it is.
        let mut own = Response::new(Body::empty());
        *own.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        own.headers_mut()
            .insert("grpc-status", HeaderValue::from_static("4"));
        assert_eq!(as_grpc(own).headers()["grpc-status"], "4");
        assert!(
            !as_grpc(Response::new(Body::empty()))
                .headers()
                .contains_key("grpc-status")
        );
    }
}
