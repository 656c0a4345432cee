//! gRPC's statuses beside HTTP's, for refusals: gRPC answers a refused call
//! with HTTP 200 and the status in `grpc-status` (a "trailers-only"
//! answer), so a status read from a log or an answer is turned into the
//! HTTP status it stands for, and a refusal made as HTTP into the gRPC
//! status a client reads. One table for the doctor, the logs and the
//! guard: gRPC's own HTTP-to-gRPC mapping, read both ways.

/// The HTTP status a gRPC status code stands for: 0 OK is 200, 16
/// UNAUTHENTICATED 401, 7 PERMISSION_DENIED 403, 3 INVALID_ARGUMENT 400,
/// 8 RESOURCE_EXHAUSTED 429, 14 UNAVAILABLE 503, 4 DEADLINE_EXCEEDED 504,
/// 5 NOT_FOUND 404, 12 UNIMPLEMENTED 501; any other is 500.
pub fn http_status(code: u64) -> u16 {
    match code {
        0 => 200,
        1 => 499,
        3 | 9 | 11 => 400,
        4 => 504,
        5 => 404,
        6 | 10 => 409,
        7 => 403,
        8 => 429,
        12 => 501,
        14 => 503,
        16 => 401,
        _ => 500,
    }
}

/// The gRPC status code a refusal made as HTTP `status` is: 401 is 16
/// UNAUTHENTICATED, 403 7 PERMISSION_DENIED, 400 3 INVALID_ARGUMENT, 429 8
/// RESOURCE_EXHAUSTED, 502 to 504 14 UNAVAILABLE; any other 2 UNKNOWN.
pub fn code_for(status: u16) -> u32 {
    match status {
        400 => 3,
        401 => 16,
        403 => 7,
        429 => 8,
        502..=504 => 14,
        _ => 2,
    }
}

/// A gRPC status code by its name as loggers write it, in any case, with
/// or without underscores (`Unauthenticated`, `UNAUTHENTICATED`,
/// `PERMISSION_DENIED`); or written as a number. An unknown name is 2
/// UNKNOWN.
pub fn code_named(name: &str) -> u64 {
    if let Ok(n) = name.trim().parse::<u64>() {
        return n;
    }
    let name: String = name
        .chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match name.as_str() {
        "ok" => 0,
        "canceled" | "cancelled" => 1,
        "invalidargument" => 3,
        "deadlineexceeded" => 4,
        "notfound" => 5,
        "alreadyexists" => 6,
        "permissiondenied" => 7,
        "resourceexhausted" => 8,
        "failedprecondition" => 9,
        "aborted" => 10,
        "outofrange" => 11,
        "unimplemented" => 12,
        "internal" => 13,
        "unavailable" => 14,
        "dataloss" => 15,
        "unauthenticated" => 16,
        _ => 2,
    }
}

/// What gRPC's `grpc-message` may hold as it is: printable ASCII but `%`
/// (every other byte of the message's UTF-8 is percent-encoded).
const MESSAGE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%').add(0x7f);

/// A reason as a `grpc-message` carries it (gRPC's percent-encoding).
pub fn message(reason: &str) -> String {
    percent_encoding::utf8_percent_encode(reason, MESSAGE).to_string()
}

/// The words of a `grpc-message` (its percent-encoding undone; an escape
/// that is not one kept as written).
pub fn words(message: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(message).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_the_same_either_way() {
        for status in [400, 401, 403, 429, 503] {
            assert_eq!(http_status(u64::from(code_for(status))), status);
        }
        assert_eq!(code_named("Unauthenticated"), 16);
        assert_eq!(code_named("PERMISSION_DENIED"), 7);
        assert_eq!(code_named(" 16 "), 16);
        assert_eq!(code_named("no such status"), 2);
        assert_eq!(http_status(code_named("OK")), 200);
    }

    #[test]
    fn a_message_is_percent_encoded_as_grpc_asks() {
        assert_eq!(message("expired 100% é"), "expired 100%25 %C3%A9");
        assert_eq!(
            words("token%20is%20expired%3A%20100%25"),
            b"token is expired: 100%"
        );
        assert_eq!(words("50%"), b"50%");
        assert_eq!(words(&message("a \u{7f}%é")), "a \u{7f}%é".as_bytes());
    }
}
