//! Times as people read them: RFC 3339 instants and short spans.

/// An instant in seconds since the epoch, as RFC 3339 (`2026-11-26T17:20:00Z`).
pub fn rfc3339(secs: i64) -> String {
    match jiff::Timestamp::from_second(secs) {
        Ok(t) => t.to_string(),
        Err(_) => format!("{secs} (out of range)"),
    }
}

/// A span of seconds in words: `45 s`, `14 min`, `2 h 5 min`, `3 days 4 h`.
pub fn span(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) if s == 0 || m >= 10 => format!("{m} min"),
        (0, 0, m) => format!("{m} min {s} s"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (1, 0, _) => "1 day".to_owned(),
        (1, h, _) => format!("1 day {h} h"),
        (d, 0, _) => format!("{d} days"),
        (d, h, _) if d < 30 => format!("{d} days {h} h"),
        (d, _, _) => format!("{d} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(45), "45 s");
        assert_eq!(span(14 * 60), "14 min");
        assert_eq!(span(14 * 60 + 3), "14 min");
        assert_eq!(span(9 * 60 + 3), "9 min 3 s");
        assert_eq!(span(2 * 3600 + 5 * 60), "2 h 5 min");
        assert_eq!(span(86_400 * 3 + 4 * 3600), "3 days 4 h");
        assert_eq!(rfc3339(1_800_000_000), "2027-01-15T08:00:00Z");
    }
}
