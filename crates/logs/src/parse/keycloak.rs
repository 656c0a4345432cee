//! Keycloak's event log, as text lines or inside its JSON log lines.

use super::*;

/// Keycloak's event line: `2026-11-27 08:00:00,123 WARN  [org.keycloak.events]
/// (executor-thread-1) type="LOGIN_ERROR", realmId="…", clientId="app",
/// userId="…", ipAddress="10.0.0.7", error="invalid_user_credentials",
/// username="alice"` (values quoted since Keycloak 24, bare before). The
/// time is the server's local time, read as UTC.
pub(super) fn keycloak(t: &str) -> Option<Event<'_>> {
    let (head, message) = split_literal!(t, "[org.keycloak.events] ")?;
    // The thread, in parentheses, before the event.
    let message = match message.strip_prefix('(') {
        Some(m) => m.split_once(") ")?.1,
        None => message,
    };
    keycloak_event(message, lead_time(head))
}

/// The fields of a Keycloak event, `key="value", key=value, …`.
pub(super) fn keycloak_fields(message: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = message.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let (value, next) = match after.strip_prefix('"') {
            Some(q) => {
                let end = q.find('"').unwrap_or(q.len());
                (&q[..end], q.get(end + 1..).unwrap_or(""))
            }
            None => after.split_once(", ").map_or((after, ""), |(v, n)| (v, n)),
        };
        out.push((key.trim(), value));
        rest = next.trim_start_matches([',', ' ']);
    }
    out
}

/// A Keycloak event as a request: an `…_ERROR` event is a rejection (401),
/// its type and `error` read through the dialect catalogue for the cause; the user is the `username`
/// the client typed, else the user's id.
pub(super) fn keycloak_event(message: &str, ts: Option<i64>) -> Option<Event<'static>> {
    let fields = keycloak_fields(message);
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| *v)
            .filter(|v| !v.is_empty() && *v != "null")
    };
    let kind = get("type")?;
    let failed = kind.ends_with("_ERROR");
    // The cause, from the type and the error code, through the dialect
    // catalogue ("Keycloak events").
    let cause = failed
        .then(|| {
            let said = format!("{kind} {}", get("error").unwrap_or(""));
            authdoctor_diagnosis::dialects::read(&said, "log")?.cause
        })
        .flatten();
    Some(Event {
        format: Format::Keycloak,
        ts,
        client: get("ipAddress").map(|c| Cow::Owned(bare_address(c))),
        user: get("username")
            .or_else(|| get("userId"))
            .map(|u| Cow::Owned(u.to_owned())),
        // No route: a user failing at one client after logging in at another
        // is a wrong password, not authorization answered as authentication.
        status: if failed { 401 } else { 200 },
        cause,
        ..Event::default()
    })
}
