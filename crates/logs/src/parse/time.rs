//! The times logs write: the common log format's, JSON members' (text or
//! a number since the epoch), and the forms a free-form line begins with.

use super::*;

/// `10/Oct/2026:13:55:36 -0700` (the common log format's time; with a
/// fraction of a second, or an RFC 3339 time, in the same place). Lines in
/// a row mostly share their second: the last answer of this thread is
/// kept.
pub(super) fn clf_time(s: &str) -> Option<i64> {
    // A time of 16 to 32 bytes is known by its length and its first and
    // last 16 bytes (two loads that overlap and cover it): no copy, and a
    // compare of two words. Another width is read each time.
    type Key = (usize, u128, u128);
    thread_local! {
        static LAST: std::cell::Cell<(Key, Option<i64>)> =
            const { std::cell::Cell::new(((0, 0, 0), None)) };
    }
    let b = s.as_bytes();
    let (Some(head), Some(tail)) = (
        b.first_chunk::<16>(),
        b.len()
            .checked_sub(16)
            .and_then(|at| b[at..].first_chunk::<16>()),
    ) else {
        return clf_time_uncached(s);
    };
    if b.len() > 32 {
        return clf_time_uncached(s);
    }
    // The empty start (length 0) matches none.
    let key = (
        b.len(),
        u128::from_ne_bytes(*head),
        u128::from_ne_bytes(*tail),
    );
    LAST.with(|last| {
        let (k, t) = last.get();
        if k == key {
            return t;
        }
        let t = clf_time_uncached(s);
        last.set((key, t));
        t
    })
}

pub(super) fn clf_time_uncached(s: &str) -> Option<i64> {
    // nginx's `$time_iso8601` in a format of the common log's shape
    // (`[2026-11-27T10:00:00+00:00]`), and other RFC 3339 times.
    if s.as_bytes().get(4) == Some(&b'-') {
        return text_time(s);
    }
    clf_only(s)
}

/// The common log format's time alone (`26/Nov/2026:17:34:12 +0000`, and
/// Werkzeug's and Django's form of it): what [`text_time`] asks for a time
/// with a `/` third, which must not send it back there (a text such as
/// `26/-…` has both marks, and went from one to the other until the
/// stack overflowed).
fn clf_only(s: &str) -> Option<i64> {
    // Werkzeug's and Django's `27/Nov/2026 10:07:42`: a space before the
    // clock and no zone (the server's local time, read as UTC).
    let (dt, zone) = match s.as_bytes().get(11) {
        Some(b' ') if s.len() == 20 => (s, "+0000"),
        _ => s.split_once(' ').unwrap_or((s, "+0000")),
    };
    let (date, clock) = dt.split_once([':', ' '])?;
    let mut d = date.split('/');
    let day: i8 = d.next()?.parse().ok()?;
    let name = d.next()?;
    let month = MONTHS.iter().position(|m| *m == name)? as i8 + 1;
    let year: i16 = d.next()?.parse().ok()?;
    let mut c = clock.split(':');
    // The seconds may carry a fraction (`10:00:00.123`, as formats that log
    // milliseconds write them).
    let (h, m, sec): (i8, i8, i8) = (
        c.next()?.parse().ok()?,
        c.next()?.parse().ok()?,
        c.next()?.split(['.', ',']).next()?.parse().ok()?,
    );
    let dt = jiff::civil::DateTime::new(year, month, day, h, m, sec, 0).ok()?;
    let sign: i32 = if zone.starts_with('-') { -1 } else { 1 };
    let z = zone.trim_start_matches(['+', '-']).replace(':', "");
    let offset = z.get(..2)?.parse::<i32>().ok()? * 3600 + z.get(2..4)?.parse::<i32>().ok()? * 60;
    let off = jiff::tz::Offset::from_seconds(sign * offset).ok()?;
    off.to_timestamp(dt).ok().map(|t| t.as_second())
}

/// A time as loggers write it: RFC 3339 (with or without a zone, read as
/// UTC without one), the common log format's `26/Nov/2026:17:34:12 +0000`,
/// or a number of seconds, milliseconds, microseconds or nanoseconds since
/// the epoch, told apart by size (pino and bunyan write milliseconds, zap
/// and Caddy seconds with a fraction).
pub(super) fn json_time(t: &Value) -> Option<i64> {
    match t {
        Value::Number(n) => epoch(n.as_f64()?),
        Value::String(s) => text_time(s),
        _ => None,
    }
}

/// Seconds since the epoch from a number of seconds, milliseconds,
/// microseconds or nanoseconds, told apart by size.
fn epoch(f: f64) -> Option<i64> {
    let secs = match f.abs() {
        x if x >= 1e17 => f / 1e9,
        x if x >= 1e14 => f / 1e6,
        x if x >= 1e11 => f / 1e3,
        _ => f,
    };
    secs.is_finite().then_some(secs as i64)
}

/// A time written as text: RFC 3339 (with or without a zone, read as UTC
/// without one), the common log format's, or a number since the epoch.
fn text_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t.as_second());
    }
    if let Ok(dt) = s.replace(' ', "T").parse::<jiff::civil::DateTime>() {
        return jiff::tz::Offset::UTC
            .to_timestamp(dt)
            .ok()
            .map(|t| t.as_second());
    }
    if s.as_bytes().get(2) == Some(&b'/') {
        return clf_only(s);
    }
    epoch(s.parse().ok()?)
}

/// The time a free-form line (an application's or a server's own log)
/// begins with, in the forms loggers write, with or without brackets:
/// - ISO 8601 / RFC 3339, `T` or a space between date and time, a fraction
///   after `.` or `,`, a zone or none (read as UTC, as the servers' local
///   times elsewhere): Java's, Python's, Rust's and most JSON-less loggers'
///   `2026-11-27 09:12:07,123`, `2026-11-27T09:12:07.123+01:00`;
/// - slashes, as Go's standard `log` package writes it (and oauth2-proxy,
///   in brackets): `2026/11/27 09:12:05`;
/// - logfmt's leading `time="…"`, `ts=…`, `t=…` (Traefik, Go kit, Grafana);
/// - klog's (Kubernetes) `E1127 09:12:01.123456` and BSD syslog's `Nov 27
///   09:12:01`, which name no year: the year is the latest that does not
///   put the line more than a day ahead of this machine's clock.
pub fn lead_time(t: &str) -> Option<i64> {
    let s = t.trim_start().trim_start_matches('[');
    for key in ["time=", "ts=", "t=", "timestamp="] {
        if let Some(v) = s.strip_prefix(key) {
            let v = match v.strip_prefix('"') {
                Some(q) => q.split('"').next()?,
                None => v.split([' ', '\t']).next()?,
            };
            return text_time(v);
        }
    }
    let b = s.as_bytes();
    let num = |from: usize, to: usize| -> Option<i64> {
        let d = b.get(from..to)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0, |n, c| n * 10 + i64::from(c - b'0')))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    // 2026-11-27T09:12:07.123Z, 2026/11/27 09:12:05
    if matches!(b.get(4), Some(b'-' | b'/'))
        && b.get(7) == b.get(4)
        && matches!(b.get(10), Some(b'T' | b' '))
        && at(13, b':')
        && at(16, b':')
    {
        let mut i = 19;
        if matches!(b.get(i), Some(b'.' | b',')) {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        let zone = s.get(i..).unwrap_or("");
        let offset = if zone.starts_with('Z') {
            0
        } else if let Some(sign) = zone
            .strip_prefix(['+', '-'])
            .map(|_| if zone.starts_with('-') { -1 } else { 1 })
        {
            let z = zone.as_bytes();
            let d = |i: usize| {
                z.get(i)
                    .filter(|c| c.is_ascii_digit())
                    .map(|c| i64::from(c - b'0'))
            };
            let hours = d(1)? * 10 + d(2)?;
            let minutes = match z.get(3) {
                Some(b':') => d(4)? * 10 + d(5)?,
                Some(c) if c.is_ascii_digit() => d(3)? * 10 + d(4)?,
                _ => 0,
            };
            sign * (hours * 3600 + minutes * 60)
        } else {
            0
        };
        let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        return civil_time(y, mo, d, (num(11, 13)?, num(14, 16)?, num(17, 19)?), offset);
    }
    // klog: [IWEF]MMDD hh:mm:ss.uuuuuu
    if matches!(b.first(), Some(b'I' | b'W' | b'E' | b'F'))
        && at(5, b' ')
        && at(8, b':')
        && at(11, b':')
    {
        let (mo, d) = (num(1, 3)?, num(3, 5)?);
        return civil_time(
            year_of(mo, d),
            mo,
            d,
            (num(6, 8)?, num(9, 11)?, num(12, 14)?),
            0,
        );
    }
    // BSD syslog: "Nov 27 09:12:01", "Nov  7 09:12:01"
    let month = MONTHS.iter().position(|m| s.starts_with(m))? as i64 + 1;
    let d = match b.get(4) {
        Some(b' ') => num(5, 6)?,
        _ => num(4, 6)?,
    };
    (at(3, b' ') && at(6, b' ') && at(9, b':') && at(12, b':')).then_some(())?;
    civil_time(
        year_of(month, d),
        month,
        d,
        (num(7, 9)?, num(10, 12)?, num(13, 15)?),
        0,
    )
}

/// The months' names as logs abbreviate them.
pub(super) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the epoch of a civil time at a UTC offset (seconds).
pub(super) fn civil_time(
    y: i64,
    mo: i64,
    d: i64,
    (h, mi, s): (i64, i64, i64),
    offset: i64,
) -> Option<i64> {
    let dt = jiff::civil::DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s).ok()?,
        0,
    )
    .ok()?;
    let offset = jiff::tz::Offset::from_seconds(i32::try_from(offset).ok()?).ok()?;
    Some(offset.to_timestamp(dt).ok()?.as_second())
}

/// The year of a date a log wrote without one: this machine's year, or
/// the one before when that would put the date more than a day ahead.
pub(super) fn year_of(month: i64, day: i64) -> i64 {
    static TODAY: std::sync::OnceLock<(i64, i64, i64)> = std::sync::OnceLock::new();
    let (y, m, d) = *TODAY.get_or_init(|| {
        let t = jiff::tz::Offset::UTC.to_datetime(
            jiff::Timestamp::now()
                .checked_add(jiff::SignedDuration::from_hours(24))
                .unwrap_or(jiff::Timestamp::MAX),
        );
        (
            i64::from(t.year()),
            i64::from(t.month()),
            i64::from(t.day()),
        )
    });
    if (month, day) > (m, d) { y - 1 } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text with a `/` third and a `-` fifth is neither form: read as
    /// neither, where the two readers once sent it to each other until the
    /// stack overflowed. The forms themselves still read.
    #[test]
    fn a_time_with_the_marks_of_both_forms_reads_as_neither_and_returns() {
        for s in ["26/-Nov-2026", "26/-", "[2/-x]", "10/-2026-11-26T10:00:00Z"] {
            assert_eq!(clf_time(s), None, "{s}");
            assert_eq!(text_time(s), None, "{s}");
            assert_eq!(json_time(&Value::String(s.into())), None, "{s}");
        }
        assert_eq!(clf_time("26/Nov/2026:17:34:12 +0000"), Some(1_795_714_452));
        assert_eq!(text_time("26/Nov/2026:17:34:12 +0000"), Some(1_795_714_452));
        assert_eq!(clf_time("2026-11-26T17:34:12+00:00"), Some(1_795_714_452));
    }
}
