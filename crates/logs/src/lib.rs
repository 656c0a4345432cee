//! `authdoctor logs`: why a population of requests gets 401s. Lines are
//! read one by one into [`parse::Event`]s and folded into state that grows
//! with the distinct clients, users and routes, never with the lines; the
//! findings ([`Finding`], kinds from the shared vocabulary) come at the end.
//! An access log counts the requests and error lines explain them; with no
//! access log, the error lines are counted as the requests they tell of.

pub mod chart;
pub mod parse;
mod seen;
mod sharded;
mod texts;

use seen::{Seen, seen_hash};
use sharded::Sharded;
use texts::Texts;

use authdoctor_causes::{Cause, FindingKind};
use parse::{Event, Format};
use serde::Serialize;
// foldhash, seeded at random per process (whoever writes the log cannot
// know the seed), hashes the per-client and per-user keys in a fraction of
// SipHash's time; it is already in the tree through serde_json.
use foldhash::{HashMap, HashSet};
use std::collections::BTreeMap;

/// The most distinct values kept per client or user (memory stays bounded
/// under a flood of distinct credentials).
const SET_CAP: usize = 4096;

/// One finding over many requests.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Its kind (causes.md, "Log findings").
    pub kind: FindingKind,
    /// The root cause it points at, where one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// Whom it is about: a client address, a user, a node, a route.
    pub subject: String,
    /// How many requests (or lines) it rests on.
    pub count: u64,
    /// When, RFC 3339, when the lines say.
    pub window: Option<(String, String)>,
    /// What it is, in a sentence.
    pub summary: String,
    /// Examples, secrets masked (line numbers for secrets in the log).
    pub examples: Vec<String>,
    /// What to do.
    pub fix: String,
}

/// A cause the servers named, in their error lines or access lines.
#[derive(Clone, Debug, Serialize)]
pub struct Reason {
    /// The root cause.
    pub cause: Cause,
    /// Whose words (the middleware).
    pub family: &'static str,
    /// How many lines.
    pub count: u64,
    /// One of them, masked.
    pub example: String,
}

#[derive(Default)]
struct PerClient {
    /// The causes its rejections were given (the guard's `reason`, an
    /// error line's words).
    causes: BTreeMap<&'static str, u64>,
    failures: u64,
    users: Texts,
    credentials: Texts,
    forged: u64,
    /// When it first and last failed.
    first: Option<i64>,
    last: Option<i64>,
}

#[derive(Default)]
struct PerNode {
    requests: u64,
    rejected: u64,
    /// The causes its rejections were given, where the lines say.
    causes: BTreeMap<&'static str, u64>,
}

/// The cause given most often (ties to the first id), if any was.
fn most_given(causes: &BTreeMap<&'static str, u64>) -> Option<(Cause, u64)> {
    causes
        .iter()
        .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
        .and_then(|(k, n)| Some((Cause::from_id(k)?, *n)))
}

#[derive(Default)]
struct PerUser {
    failures: u64,
    ok: u64,
    clients: Texts,
    /// The routes it succeeded on, by their [`seen_hash`] (only asked
    /// whether a route is among them, and how many: a success costs one
    /// hash of its route and no comparison of text).
    ok_routes: HashSet<u64>,
    fail_401_routes: BTreeMap<String, u64>,
}

/// When a client's tokens were refused as expired, relative to the tokens'
/// own times: how late after `exp`, at what age (from `iat`). Sums and
/// bounds, so scans merge.
#[derive(Default)]
struct Expiries {
    n: u64,
    tokens: HashSet<String>,
    late_min: i64,
    late_max: i64,
    late_sum: i64,
    /// Ages (now − iat) where the line gave `iat`.
    aged: u64,
    age_min: i64,
    age_max: i64,
    first: Option<i64>,
    last: Option<i64>,
}

impl Expiries {
    fn add(&mut self, late: i64, age: Option<i64>, token: Option<&str>, ts: i64) {
        let bound = |n: u64, min: &mut i64, max: &mut i64, v: i64| {
            if n == 0 {
                (*min, *max) = (v, v);
            } else {
                (*min, *max) = ((*min).min(v), (*max).max(v));
            }
        };
        bound(self.n, &mut self.late_min, &mut self.late_max, late);
        self.late_sum += late;
        self.n += 1;
        if let Some(a) = age {
            bound(self.aged, &mut self.age_min, &mut self.age_max, a);
            self.aged += 1;
        }
        if let Some(t) = token {
            cap_insert(&mut self.tokens, t);
        }
        self.first = min_opt(self.first, Some(ts));
        self.last = max_opt(self.last, Some(ts));
    }

    fn merge(&mut self, o: Expiries) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = o;
            return;
        }
        self.late_min = self.late_min.min(o.late_min);
        self.late_max = self.late_max.max(o.late_max);
        self.late_sum += o.late_sum;
        self.n += o.n;
        if o.aged > 0 {
            if self.aged == 0 {
                (self.age_min, self.age_max) = (o.age_min, o.age_max);
            } else {
                self.age_min = self.age_min.min(o.age_min);
                self.age_max = self.age_max.max(o.age_max);
            }
            self.aged += o.aged;
        }
        union(&mut self.tokens, o.tokens);
        self.first = min_opt(self.first, o.first);
        self.last = max_opt(self.last, o.last);
    }
}

/// How many Rails requests may be open at once (begun, not completed) for
/// the scan to pair their lines: more than a server's threads.
const RAILS_PENDING: usize = 256;

/// A Rails request begun: what its `Started` line said.
#[derive(Clone, Debug)]
struct RailsStarted {
    method: String,
    path: String,
    client: String,
    ts: Option<i64>,
}

/// Everything read so far.
#[derive(Default)]
pub struct Scan {
    /// The one format lines are read as (forced), or `None`: each line's
    /// own, detected.
    format: Option<Format>,
    /// Lines before the first this scan reads (a chunk of a larger file).
    base_line: u64,
    lines: u64,
    unparsed: u64,
    /// Lines of a known format that say nothing (a stack frame, a notice).
    notices: u64,
    /// The first line not understood, with its line number.
    unparsed_example: Option<(u64, String)>,
    /// Lines by format ([`FORMATS`]' order).
    formats: [u64; FORMATS.len()],
    /// Requests by status, indexed by the status.
    statuses: Vec<u64>,
    /// Clients that failed at least once, and their failures.
    /// Boxed: the map's entries stay small, so its growth and a merge move
    /// little (the tallies were 200 bytes an entry); sharded, so that a
    /// merge of two scans' runs on every core (a tenth of a large log's
    /// wall time was this merge, on one).
    clients: Sharded<Box<PerClient>>,
    /// Addresses that succeeded at least once (a success touches no map).
    seen: Seen,
    users: HashMap<String, PerUser>,
    nodes: HashMap<String, PerNode>,
    /// The node of lines that name none (the file they came from, when
    /// several nodes' logs are read together).
    default_node: Option<std::sync::Arc<str>>,
    /// The fields of the W3C extended log being read, from its last
    /// `#Fields:` directive.
    w3c: Option<std::sync::Arc<parse::W3cFields>>,
    /// The requests the error lines tell of, counted as an access log's
    /// would be (a refusal for permission or scope a 403, any other a
    /// 401): the report's tallies when the input holds no access log, for
    /// the error lines are then the only witness of who was refused, where
    /// and when. Made at the first error line that gives a cause.
    told: Option<Box<Scan>>,
    /// Whether the error report being read (a line, and the indented lines
    /// under it) has given its cause: an indented line that gives one then
    /// repeats it (Node prints `inner: TokenExpiredError: jwt expired` under
    /// `UnauthorizedError: jwt expired`), and is not counted again.
    report_said: bool,
    /// Inside a Python traceback: its exception's line, the first not
    /// indented, still belongs to the report.
    traceback: bool,
    /// Rails requests begun and not yet completed, by their lines' tags
    /// (the last [`RAILS_PENDING`] of them).
    rails: Vec<(String, RailsStarted)>,
    /// The causes rejections were given, per minute (lines that give one).
    minute_causes: BTreeMap<i64, BTreeMap<&'static str, u64>>,
    routes_rejected: HashMap<String, u64>,
    /// Rejections by the client's user agent, where the lines name it.
    agents_rejected: HashMap<String, u64>,
    per_minute_401: BTreeMap<i64, u64>,
    per_minute_403: BTreeMap<i64, u64>,
    unknown_key: Vec<(i64, String)>,
    /// Expired-token refusals per user (else client address).
    expiries: HashMap<String, Expiries>,
    /// The causes error lines named, by cause and by whose words (the
    /// middleware).
    reasons: BTreeMap<(&'static str, &'static str), Reason>,
    secrets: Vec<(u64, &'static str)>,
    secret_lines: u64,
    first: Option<i64>,
    last: Option<i64>,
}

/// The formats' names in reports, in the order `Scan::formats` counts them.
const FORMATS: [(&str, Format); 16] = [
    ("combined", Format::Combined),
    ("json", Format::Json),
    ("envoy", Format::Envoy),
    ("morgan", Format::Morgan),
    ("python", Format::Python),
    ("w3c", Format::W3c),
    ("alb", Format::Alb),
    ("keycloak", Format::Keycloak),
    ("haproxy", Format::Haproxy),
    ("logfmt", Format::Logfmt),
    ("idp", Format::Idp),
    ("oauth2_proxy", Format::OAuth2Proxy),
    ("aspnet", Format::AspNet),
    ("go_web", Format::GoWeb),
    ("rails", Format::Rails),
    ("reason", Format::Reason),
];

/// Whose words an access line's cause is, by its format.
fn access_family(f: Format) -> &'static str {
    match f {
        Format::Json => "access log (JSON)",
        Format::Combined => "access log (combined)",
        Format::W3c => "access log (W3C)",
        Format::Envoy => "access log (Envoy)",
        Format::Keycloak => "Keycloak's events",
        Format::OAuth2Proxy => "oauth2-proxy's log",
        Format::Idp => "identity provider's log",
        _ => "access log",
    }
}

fn format_index(f: Format) -> usize {
    FORMATS.iter().position(|(_, g)| *g == f).unwrap_or(0)
}

/// Counts `key` in `counts`, a new key only while there are fewer than
/// [`SET_CAP`].
fn cap_count(counts: &mut HashMap<String, u64>, key: Option<&str>) {
    let Some(k) = key else { return };
    let room = counts.len() < SET_CAP;
    match counts.get_mut(k) {
        Some(n) => *n += 1,
        None if room => {
            counts.insert(k.to_owned(), 1);
        }
        None => {}
    }
}

fn cap_insert(set: &mut HashSet<String>, v: &str) {
    if set.len() < SET_CAP && !set.contains(v) {
        set.insert(v.to_owned());
    }
}

fn is_rejection(e: &Event<'_>) -> bool {
    parse::refused(e.status)
        || e.cause.is_some()
        // An identity provider refuses a grant with 400 (RFC 6749 §5.2:
        // invalid_grant, and invalid_client where the client sent its
        // secret in the body).
        || (e.status == 400 && e.path.as_deref().is_some_and(token_endpoint))
}

/// Adds `from`'s members to `into` (up to the cap): the smaller set into
/// the larger, so that the work is the smaller's size.
fn union<T: std::hash::Hash + Eq>(into: &mut HashSet<T>, mut from: HashSet<T>) {
    if from.len() > into.len() {
        std::mem::swap(into, &mut from);
    }
    for v in from {
        if into.len() >= SET_CAP {
            break;
        }
        into.insert(v);
    }
}

/// Whether `path` is an OAuth token endpoint (or its introspection or
/// revocation endpoint), as identity providers name them: `/token`
/// (oidc-provider, Google), `/oauth/token` (Auth0), `/oauth2/v1/token`
/// (Okta), `/connect/token` (Duende), `/protocol/openid-connect/token`
/// (Keycloak), `/oauth2/v2.0/token` (Entra ID), `/as/token.oauth2`
/// (PingFederate), `/login/oauth/access_token` (GitHub), and the same
/// with `/introspect`, `/introspection`, `/revoke`. There a 401 is the
/// client's own authentication refused (RFC 6749 §5.2 `invalid_client`):
/// a bad grant or user password is a 400.
fn token_endpoint(path: &str) -> bool {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    [
        "token",
        "access_token",
        "token.oauth2",
        "introspect",
        "introspection",
        "introspect.oauth2",
        "revoke",
        "revocation",
        "revoke_token.oauth2",
    ]
    .iter()
    .any(|name| last.eq_ignore_ascii_case(name))
}

/// The client an IPv6 address is counted as: its /64 network
/// (`2001:db8:7:1::/64`), every address of which its holder can take (a
/// guesser would otherwise be one failure at each of thousands of
/// addresses, and look like many clients); one mapped from IPv4, that
/// address. `None` for anything else (IPv4 is counted as it is): most
/// lines' clients are told apart by a byte or three.
fn ipv6_network(client: &str) -> Option<String> {
    // An IPv4 address has its first dot within its first four bytes: most
    // clients are told apart without a search.
    let b = client.as_bytes();
    if b.get(1..4).is_some_and(|w| w.contains(&b'.')) || !b.contains(&b':') {
        return None;
    }
    // With its port too (`[2001:db8::1]:443`), as some servers write it.
    let (_, ip) = authdoctor_httpauth::forwarded::hop_address(client)?;
    Some(
        match authdoctor_httpauth::forwarded::client_network(ip, 64) {
            std::net::IpAddr::V6(net) => format!("{net}/64"),
            v4 => v4.to_string(),
        },
    )
}

/// A client's rejection.
fn tally_client(pc: &mut PerClient, e: &Event<'_>) {
    if let Some(t) = e.ts {
        pc.first = Some(pc.first.map_or(t, |f| f.min(t)));
        pc.last = Some(pc.last.map_or(t, |l| l.max(t)));
    }
    {
        pc.failures += 1;
        // A refusal at a token endpoint that no line explains: a 401 is
        // the client's own credentials (its secret, its key) refused, a
        // 400 the grant it presents (most often a dead refresh token).
        let cause =
            e.cause.or_else(
                || match (e.status, e.path.as_deref().is_some_and(token_endpoint)) {
                    (401, true) => Some(Cause::ClientInvalid),
                    (400, true) => Some(Cause::RefreshFailed),
                    _ => None,
                },
            );
        if let Some(c) = cause {
            *pc.causes.entry(c.id()).or_default() += 1;
        }
        if let Some(u) = &e.user {
            pc.users.insert(u);
        }
        if let Some(c) = &e.credential {
            pc.credentials.insert(c);
        }
        if matches!(
            e.cause,
            Some(
                Cause::TokenSignatureInvalid
                    | Cause::TokenUnknownKey
                    | Cause::TokenMalformed
                    | Cause::TokenAlgRejected
            )
        ) {
            pc.forged += 1;
        }
    }
}

fn tally_user(pu: &mut PerUser, status: u16, route: &str, client: Option<&str>, rejected: bool) {
    if rejected {
        pu.failures += 1;
        if let Some(client) = client {
            pu.clients.insert(client);
        }
        if status == 401 {
            let room = pu.fail_401_routes.len() < SET_CAP;
            match pu.fail_401_routes.get_mut(route) {
                Some(n) => *n += 1,
                None if room => {
                    pu.fail_401_routes.insert(route.to_owned(), 1);
                }
                None => {}
            }
        }
    } else if status < 400 {
        pu.ok += 1;
        if pu.ok_routes.len() < SET_CAP {
            pu.ok_routes.insert(seen_hash(route));
        }
    }
}

/// The ten largest counts, ties in name order (the same report however
/// the log was split).
fn top_ten<'a>(counts: impl Iterator<Item = (&'a String, u64)>) -> Vec<(String, u64)> {
    let order = |a: &(&String, u64), b: &(&String, u64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
    // The ten first kept in order as the counts go by: most fall below
    // the tenth's count, one comparison of numbers each. (A selection over
    // all of them compared names on every tie of counts, most of a large
    // log's 200,000 clients failing once: 12 ms, a fifth of the report.)
    let mut best: Vec<(&String, u64)> = Vec::with_capacity(11);
    for c in counts {
        // (The order compares the counts first: names only on a tie.)
        if best.get(9).is_some_and(|last| order(&c, last).is_ge()) {
            continue;
        }
        let at = best.partition_point(|b| order(b, &c).is_lt());
        best.insert(at, c);
        best.truncate(10);
    }
    best.into_iter().map(|(k, n)| (k.clone(), n)).collect()
}

/// The first `n` in order, so a report is the same however the log was split.
fn first_sorted<'a>(set: impl IntoIterator<Item = &'a String>, n: usize) -> Vec<String> {
    let mut v: Vec<&String> = set.into_iter().collect();
    v.sort_unstable();
    v.into_iter().take(n).cloned().collect()
}

/// A user as a finding shows it: masked where the name is itself a key (an
/// API key sent as Basic's user, which a server logs as the user: nginx's
/// `$remote_user`).
fn shown_user(user: &str) -> String {
    authdoctor_secret::shown_user(user).into_owned()
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

impl Scan {
    /// A scan of a chunk that starts after `base_line` lines of its file,
    /// so that the line numbers it reports are the file's.
    pub fn starting_at(base_line: u64) -> Scan {
        Scan {
            base_line,
            ..Scan::default()
        }
    }

    /// A scan that reads every line as `format` (a line of another format
    /// is counted as not understood), or detects each line's with `None`.
    pub fn reading(format: Option<Format>) -> Scan {
        Scan {
            format,
            ..Scan::default()
        }
    }

    /// The node the lines that follow come from when they name none (a
    /// file of one node's log, read beside its peers'); `None`: no node.
    pub fn from_node(&mut self, node: Option<std::sync::Arc<str>>) {
        self.default_node = node;
    }

    /// The fields of the W3C extended log the lines that follow belong to
    /// (its `#Fields:` directive, read before them), or `None`. A
    /// directive among the lines changes them.
    pub fn w3c_fields(&mut self, fields: Option<std::sync::Arc<parse::W3cFields>>) {
        self.w3c = fields;
    }

    /// The line as a W3C extended log's, when one is being read (a
    /// `#Fields:` line starts one).
    fn w3c_event<'a>(&mut self, line: &'a str, secrets: bool) -> Option<Event<'a>> {
        if line.starts_with('#') {
            if let Some(f) = parse::W3cFields::directive(line) {
                self.w3c = Some(std::sync::Arc::new(f));
            }
        }
        if !matches!(self.format, None | Some(Format::W3c)) {
            return None;
        }
        let mut e = parse::w3c(line.trim(), self.w3c.as_deref()?)?;
        if secrets {
            e.secret = parse::secret_in(line);
        }
        Some(e)
    }

    /// The next line read is line `before + 1` of the input. One scan can
    /// read blocks that are not contiguous, as long as they come in the
    /// input's order. `before` may be a provisional place, given before
    /// the lines ahead of the block are counted (any number that keeps the
    /// blocks' order, with room for the block's lines after it), and the
    /// line numbers kept made final once they are ([`Scan::renumber`]).
    pub fn at_line(&mut self, before: u64) {
        self.base_line = before.saturating_sub(self.lines);
    }

    /// The lines read so far.
    pub fn lines_read(&self) -> u64 {
        self.lines
    }

    /// Maps each line number kept (a secret's line, the first line not
    /// understood) through `number`: from the provisional places its
    /// blocks were read at ([`Scan::at_line`]) to the input's lines.
    pub fn renumber(&mut self, number: &dyn Fn(u64) -> u64) {
        for (n, _) in &mut self.secrets {
            *n = number(*n);
        }
        if let Some((n, _)) = &mut self.unparsed_example {
            *n = number(*n);
        }
        if let Some(told) = self.told.as_deref_mut() {
            told.renumber(number);
        }
    }

    /// Folds another scan into this one. The order does not matter: two
    /// scans of interleaved blocks merge into what one pass finds (past
    /// 100,000 unknown-key rejections, which ones are kept can differ).
    pub fn merge(&mut self, o: Scan) {
        self.lines += o.lines;
        self.unparsed += o.unparsed;
        self.notices += o.notices;
        self.unparsed_example = match (self.unparsed_example.take(), o.unparsed_example) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
        for (a, b) in self.formats.iter_mut().zip(o.formats) {
            *a += b;
        }
        if self.statuses.len() < o.statuses.len() {
            self.statuses.resize(o.statuses.len(), 0);
        }
        for (a, b) in self.statuses.iter_mut().zip(o.statuses) {
            *a += b;
        }
        self.seen.merge(&o.seen);
        self.clients.merge(o.clients, |m, c| {
            m.failures += c.failures;
            m.forged += c.forged;
            m.users.union(c.users);
            m.credentials.union(c.credentials);
            m.first = min_opt(m.first, c.first);
            m.last = max_opt(m.last, c.last);
            for (k, v) in c.causes {
                *m.causes.entry(k).or_default() += v;
            }
        });
        for (k, r) in o.reasons {
            match self.reasons.get_mut(&k) {
                Some(m) => {
                    m.count += r.count;
                    // The same example however the input was split.
                    if r.example < m.example {
                        m.example = r.example;
                    }
                }
                None => {
                    self.reasons.insert(k, r);
                }
            }
        }
        for (k, u) in o.users {
            let Some(m) = self.users.get_mut(&k) else {
                self.users.insert(k, u);
                continue;
            };
            m.failures += u.failures;
            m.ok += u.ok;
            m.clients.union(u.clients);
            union(&mut m.ok_routes, u.ok_routes);
            for (r, n) in u.fail_401_routes {
                *m.fail_401_routes.entry(r).or_default() += n;
            }
        }
        for (k, n) in o.nodes {
            let m = self.nodes.entry(k).or_default();
            m.requests += n.requests;
            m.rejected += n.rejected;
            for (c, v) in n.causes {
                *m.causes.entry(c).or_default() += v;
            }
        }
        for (minute, causes) in o.minute_causes {
            let m = self.minute_causes.entry(minute).or_default();
            for (c, v) in causes {
                *m.entry(c).or_default() += v;
            }
        }
        for (k, v) in o.routes_rejected {
            *self.routes_rejected.entry(k).or_default() += v;
        }
        for (k, v) in o.agents_rejected {
            *self.agents_rejected.entry(k).or_default() += v;
        }
        for (k, v) in o.per_minute_403 {
            *self.per_minute_403.entry(k).or_default() += v;
        }
        for (k, v) in o.per_minute_401 {
            *self.per_minute_401.entry(k).or_default() += v;
        }
        for (k, x) in o.expiries {
            self.expiries.entry(k).or_default().merge(x);
        }
        let room = 100_000usize.saturating_sub(self.unknown_key.len());
        self.unknown_key
            .extend(o.unknown_key.into_iter().take(room));
        // Each scan keeps its first 20 secrets, so the first 20 of both
        // are among them, whichever scan read the earlier lines.
        self.secrets.extend(o.secrets);
        self.secrets.sort_unstable();
        self.secrets.truncate(20);
        self.secret_lines += o.secret_lines;
        self.first = min_opt(self.first, o.first);
        self.last = max_opt(self.last, o.last);
        match (self.told.as_mut(), o.told) {
            (Some(a), Some(b)) => a.merge(*b),
            (None, b) => self.told = b,
            (Some(_), None) => {}
        }
    }

    /// The scan of the requests the error lines told of, when the input
    /// held no access-log request: the report's tallies come from it.
    fn told_alone(&self) -> Option<&Scan> {
        self.told
            .as_deref()
            .filter(|_| self.statuses.iter().all(|n| *n == 0))
    }

    /// Reads one line.
    pub fn line(&mut self, text: &str) {
        let text = parse::without_escapes(text);
        let parsed = match self.w3c_event(&text, true) {
            Some(e) => Some(e),
            None => parse::read(&text, self.format, true),
        };
        self.take(&text, parsed.as_ref());
    }

    /// Reads a block of whole lines (each ended by `\n`, the last one may
    /// not be). The signs of a secret are looked for over the whole block
    /// at once, so that the many lines without one skip that search.
    pub fn block(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let [jwt, authz] = parse::secret_signs();
        // Each sign's next place at or after a line's start: one pass over
        // the block for each, whatever the number of lines.
        // A query's `=`, and a coloured logger's escape sequences (such a
        // line is read without them; rare, so not in the hot path), in one.
        let mut marks = memchr::memchr2_iter(b'=', 0x1b, bytes);
        let mut jwts = jwt.find_iter(bytes);
        let mut authzs = authz.find_iter(bytes);
        // Each search's next place (`usize::MAX`: none), and the nearest
        // of the three: a line before it (most) is told apart by one
        // comparison.
        let mut next = [marks.next(), jwts.next(), authzs.next()].map(|p| p.unwrap_or(usize::MAX));
        let mut nearest = next.iter().copied().min().unwrap_or(usize::MAX);
        /// Whether `next` (the search's next place, at or after the line's
        /// start) is in the line that ends at `end`; moved past the line.
        fn sign_in(it: &mut impl Iterator<Item = usize>, next: &mut usize, end: usize) -> bool {
            let inside = *next < end;
            while *next < end {
                *next = it.next().unwrap_or(usize::MAX);
            }
            inside
        }
        let mut start = 0;
        let mut ends = memchr::memchr_iter(b'\n', bytes);
        let mut slot = None;
        while start < bytes.len() {
            let end = ends.next().unwrap_or(bytes.len());
            let (a, b) = (start, end);
            start = end + 1;
            // Cut at newlines, ASCII bytes: character boundaries.
            let line = text.get(a..b).unwrap_or_default();
            let (mut marked, mut secrets) = (false, false);
            if nearest < b {
                let [m, j, z] = &mut next;
                marked = sign_in(&mut marks, m, b);
                secrets = (marked && line.contains('='))
                    | sign_in(&mut jwts, j, b)
                    | sign_in(&mut authzs, z, b);
                nearest = next.iter().copied().min().unwrap_or(usize::MAX);
            }
            if marked && line.contains('\u{1b}') {
                let plain = parse::without_escapes(line);
                let parsed = parse::read(&plain, self.format, secrets);
                self.take(&plain, parsed.as_ref());
                continue;
            }
            if self.w3c.is_some() || line.starts_with('#') {
                if let Some(e) = self.w3c_event(line, secrets) {
                    self.take(line, Some(&e));
                    continue;
                }
            } else if !secrets && matches!(self.format, None | Some(Format::Combined)) {
                if let Some(a) = parse::answered(line) {
                    self.answered(line, &a);
                    continue;
                }
            }
            parse::read_into(line, self.format, secrets, &mut slot);
            self.take(line, slot.as_ref());
        }
    }

    /// A line of Rails' request log ([`parse::rails`]): a `Completed`
    /// line as the request the `Started` line of the same tags began (its
    /// method, path, client and time); the lines between as known.
    fn rails<'a>(&mut self, text: &'a str) -> Option<Event<'a>> {
        if self.format.is_some_and(|f| f != Format::Rails) {
            return None;
        }
        let mut e = Event {
            format: Format::Rails,
            ..Event::default()
        };
        match parse::rails(text.trim())? {
            parse::RailsLine::Started {
                tags,
                method,
                path,
                client,
                ts,
            } => {
                // A tag begun again replaces its request; past the cap,
                // the oldest begun goes.
                self.rails.retain(|(t, _)| t != tags);
                if self.rails.len() >= RAILS_PENDING {
                    self.rails.remove(0);
                }
                self.rails.push((
                    tags.to_owned(),
                    RailsStarted {
                        method: method.to_owned(),
                        path,
                        client: parse::bare_address(client),
                        ts,
                    },
                ));
                e.ts = ts;
                e.notice = true;
            }
            parse::RailsLine::Completed { tags, status } => {
                e.status = status;
                if let Some(i) = self.rails.iter().rposition(|(t, _)| t == tags) {
                    let (_, r) = self.rails.remove(i);
                    e.method = Some(r.method.into());
                    e.path = Some(r.path.into());
                    e.client = Some(r.client.into());
                    e.ts = r.ts;
                }
            }
            parse::RailsLine::Between => e.notice = true,
        }
        Some(e)
    }

    fn take(&mut self, text: &str, parsed: Option<&Event<'_>>) {
        // A line no format took, or one read only for its words (Rails'
        // `Completed 403 Forbidden` holds the generic word), may be Rails'.
        let rails;
        let parsed = match parsed {
            Some(e) if e.format != Format::Reason => Some(e),
            other => {
                rails = self.rails(text);
                rails.as_ref().or(other)
            }
        };
        // The report's cause, said again under it: the line is read (its
        // time, a secret in it), its cause not counted again.
        let repeats = self.next_line(text, parsed.is_some_and(|e| e.reason.is_some()));
        let Some(e) = parsed else {
            if !text.trim().is_empty() {
                self.unparsed += 1;
                if self.unparsed_example.is_none() {
                    self.unparsed_example = Some((
                        self.base_line + self.lines,
                        authdoctor_secret::scrub(text).chars().take(200).collect(),
                    ));
                }
            }
            return;
        };
        self.formats[format_index(e.format)] += 1;
        self.event(e, self.base_line + self.lines, repeats);
        // An access line that says why its request was refused (the
        // guard's reason, a logged challenge, a gateway's words, IIS's
        // substatus) is heard as an error line is. Not a request that sent
        // no credentials: a scheme's first leg (Basic, Negotiate) is one,
        // answered before the client sends them.
        if let (Some(cause), None, false) = (e.cause, &e.reason, e.notice) {
            if cause != Cause::CredentialsMissing {
                self.said(cause, access_family(e.format), text);
            }
        }
    }

    /// Counts a line, and follows the report it may belong to: whether the
    /// cause it gives (`gives_cause`) is one its report gave already.
    fn next_line(&mut self, text: &str, gives_cause: bool) -> bool {
        self.lines += 1;
        // The lines of one report: a line, those indented under it (and
        // Java's `Caused by:` between its frames), and a Python traceback
        // with its closing exception line.
        let continues = match text.as_bytes().first() {
            Some(b' ' | b'\t') => true,
            Some(b'C') if text.starts_with("Caused by: ") => true,
            Some(b'T') if text.trim_end() == "Traceback (most recent call last):" => {
                self.traceback = true;
                true
            }
            _ => std::mem::take(&mut self.traceback),
        };
        if !continues {
            self.report_said = false;
        }
        let repeats = gives_cause && self.report_said;
        self.report_said |= gives_cause;
        repeats
    }

    /// A common line's request answered without a refusal: what
    /// [`Scan::take`] and [`Scan::event`] make of its event, with none made.
    fn answered(&mut self, line: &str, a: &parse::Answered<'_>) {
        self.next_line(line, false);
        self.formats[format_index(Format::Combined)] += 1;
        if let Some(t) = a.ts {
            self.saw_time(t);
        }
        let net = a.client.and_then(ipv6_network);
        let client = net.as_deref().or(a.client);
        self.request(a.status, client, a.user, a.path, None, false);
    }

    fn saw_time(&mut self, t: i64) {
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }

    /// What every request counts for, refused or not: its status, its
    /// address (a success noted), its user's tally and its node's.
    fn request(
        &mut self,
        status: u16,
        client: Option<&str>,
        user: Option<&str>,
        path: Option<&str>,
        node: Option<&str>,
        rejected: bool,
    ) {
        let code = usize::from(status);
        if code >= self.statuses.len() {
            self.statuses.resize(code + 1, 0);
        }
        self.statuses[code] += 1;
        if let (Some(client), false, true) = (client, rejected, status < 400) {
            self.seen.note(seen_hash(client));
        }
        if let Some(u) = user {
            let route = path.unwrap_or("");
            match self.users.get_mut(u) {
                Some(pu) => tally_user(pu, status, route, client, rejected),
                None => {
                    let mut pu = PerUser::default();
                    tally_user(&mut pu, status, route, client, rejected);
                    self.users.insert(u.to_owned(), pu);
                }
            }
        }
        if let Some(n) = self.node(node) {
            n.requests += 1;
            n.rejected += u64::from(rejected);
        }
    }

    /// Tallies line `n`'s event; `repeats`: its cause is one its report
    /// gave already.
    fn event(&mut self, e: &Event<'_>, n: u64, repeats: bool) {
        // An IPv6 client is its /64 network (see [`ipv6_network`]).
        let networked;
        let e = match e.client.as_deref().and_then(ipv6_network) {
            Some(net) => {
                networked = Event {
                    client: Some(std::borrow::Cow::Owned(net)),
                    ..e.clone()
                };
                &networked
            }
            None => e,
        };
        if let Some(t) = e.ts {
            self.saw_time(t);
        }
        if let Some(kind) = e.secret {
            self.secret_lines += 1;
            if self.secrets.len() < 20 {
                self.secrets.push((n, kind));
            }
        }
        if e.notice {
            self.notices += 1;
            return;
        }
        if e.reason.is_some() {
            if !repeats {
                self.reason(e);
            }
            return;
        }
        let rejected = is_rejection(e);
        self.request(
            e.status,
            e.client.as_deref(),
            e.user.as_deref(),
            e.path.as_deref(),
            e.node.as_deref(),
            rejected,
        );
        // A line that names no client (Django's development server, morgan's
        // `dev`) is no client's request: it counts for its route, user, node
        // and minute, never toward one address's tally. A failure updates
        // (or makes) the client's tally: one look-up, and a key allocated
        // only for a new client.
        if let (Some(client), true) = (e.client.as_deref(), rejected) {
            match self.clients.get_mut(client) {
                Some(pc) => tally_client(pc, e),
                None => {
                    let mut pc = Box::<PerClient>::default();
                    tally_client(&mut pc, e);
                    self.clients.insert(client.to_owned(), pc);
                }
            }
        }
        // (A cause makes the request a rejection.)
        if let Some(c) = e.cause {
            self.given(e, c);
        }
        if rejected {
            cap_count(&mut self.routes_rejected, e.path.as_deref());
            cap_count(&mut self.agents_rejected, e.agent.as_deref());
            if let Some(t) = e.ts {
                if e.status == 403 {
                    *self.per_minute_403.entry(t / 60).or_default() += 1;
                } else if e.status == 401 || e.cause.is_some() {
                    *self.per_minute_401.entry(t / 60).or_default() += 1;
                }
            }
        }
    }

    /// The tally of the line's node (its own, or its file's), made on first
    /// sight.
    fn node(&mut self, node: Option<&str>) -> Option<&mut PerNode> {
        let node = node.or(self.default_node.as_deref())?;
        if !self.nodes.contains_key(node) {
            self.nodes.insert(node.to_owned(), PerNode::default());
        }
        self.nodes.get_mut(node)
    }

    /// A rejection's cause, as a line gave it (an access log's, or an error
    /// line's): counted for its node and its minute, and, with the line's
    /// time, the evidence that needs one: an expired token's age for its
    /// user (else client), an unknown key's moment for its client.
    fn given(&mut self, e: &Event<'_>, cause: Cause) {
        if let Some(n) = self.node(e.node.as_deref()) {
            *n.causes.entry(cause.id()).or_default() += 1;
        }
        let Some(t) = e.ts else { return };
        *self
            .minute_causes
            .entry(t / 60)
            .or_default()
            .entry(cause.id())
            .or_default() += 1;
        let client = e.client.as_deref().unwrap_or("(unknown)");
        match (cause, e.token_times) {
            (Cause::TokenExpired, Some((iat, exp))) => {
                let who = e.user.as_deref().unwrap_or(client);
                // A token is told by its fingerprint where the line gives
                // one (the guard's), else by its expiry: an error line
                // that names only `exp` (mod_auth_openidc's, jose4j's)
                // still tells one token from the next.
                let token = match e.credential.as_deref() {
                    Some(c) => std::borrow::Cow::Borrowed(c),
                    None => std::borrow::Cow::Owned(format!(
                        "a token that expired at {}",
                        jiff::Timestamp::from_second(exp)
                            .map_or_else(|_| exp.to_string(), |t| t.to_string())
                    )),
                };
                if self.expiries.len() < SET_CAP * 16 || self.expiries.contains_key(who) {
                    self.expiries.entry(who.to_owned()).or_default().add(
                        t - exp,
                        iat.map(|i| t - i),
                        Some(&token),
                        t,
                    );
                }
            }
            (Cause::TokenUnknownKey, _) if self.unknown_key.len() < 100_000 => {
                self.unknown_key.push((t, client.to_owned()));
            }
            _ => {}
        }
    }

    /// An error line's reason: tallied by cause, and given to the client's
    /// rejections (the access log counted the request itself).
    /// A refusal's cause in `family`'s words (a line of `text`): tallied
    /// by cause and family, with the least example.
    fn said(&mut self, cause: Cause, family: &'static str, text: &str) {
        let example: String = authdoctor_secret::scrub(text).chars().take(300).collect();
        let r = self
            .reasons
            .entry((cause.id(), family))
            .or_insert_with(|| Reason {
                cause,
                family,
                count: 0,
                example: example.clone(),
            });
        r.count += 1;
        // The least example: the same however the input was split.
        if example < r.example {
            r.example = example;
        }
    }

    fn reason(&mut self, e: &Event<'_>) {
        let (Some(cause), Some((family, text))) = (e.cause, &e.reason) else {
            return;
        };
        let told = self.told.get_or_insert_with(Box::default);
        told.default_node.clone_from(&self.default_node);
        told.event(
            &Event {
                format: Format::Reason,
                ts: e.ts,
                client: e.client.clone(),
                user: e.user.clone(),
                method: e.method.clone(),
                path: e.path.clone(),
                node: e.node.clone(),
                status: if matches!(cause, Cause::AuthzForbidden | Cause::TokenScopeInsufficient) {
                    403
                } else {
                    401
                },
                cause: Some(cause),
                token_times: e.token_times,
                ..Event::default()
            },
            0,
            false,
        );
        self.said(cause, family, text);
        // Given to the client the line names (most application lines name
        // none).
        if let Some(client) = e.client.as_deref() {
            if self.clients.len() < SET_CAP * 64 || self.clients.contains_key(client) {
                let pc = self.clients.get_or_default(client);
                *pc.causes.entry(cause.id()).or_default() += 1;
                // The user a Basic refusal names, where the access log
                // did not (lighttpd logs `-` for a refused user).
                if let Some(u) = &e.user {
                    pc.users.insert(u);
                }
            }
        }
        // The node's and the minute's rejections, explained.
        self.given(e, cause);
    }

    /// The findings, strongest first.
    pub fn findings(&self) -> Vec<Finding> {
        match self.told_alone() {
            Some(told) => told.findings_with(&self.secrets, self.secret_lines),
            None => self.findings_with(&self.secrets, self.secret_lines),
        }
    }

    /// The findings of this scan's tallies, with the secrets the input's
    /// lines held.
    fn findings_with(&self, secrets: &[(u64, &'static str)], secret_lines: u64) -> Vec<Finding> {
        let mut out = Vec::new();
        let seen = self.seen.settled();
        let window = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (Some(a), Some(b)) => Some((rfc3339(a), rfc3339(b))),
            _ => None,
        };
        for (client, pc) in self.clients.iter() {
            let distinct = pc.users.len().max(pc.credentials.len());
            if pc.failures >= 20 && distinct >= 5 {
                let guessing = pc.forged * 2 > pc.failures;
                out.push(Finding {
                    kind: if guessing { FindingKind::TokenGuessing } else { FindingKind::CredentialStuffing },
                    cause: Some(if guessing { Cause::TokenSignatureInvalid } else { Cause::CredentialsInvalid }),
                    subject: client.clone(),
                    count: pc.failures,
                    window: window(pc.first, pc.last),
                    summary: if guessing {
                        format!("{client} sent {} forged or badly signed tokens ({distinct} distinct): someone is guessing tokens.", pc.forged)
                    } else {
                        format!("{client} failed {} times with {distinct} distinct users or credentials: credential stuffing.", pc.failures)
                    },
                    examples: first_sorted(pc.users.iter(), 5)
                        .iter()
                        .map(|u| shown_user(u))
                        .collect(),
                    fix: "Rate-limit failed authentications per client address (authdoctor guard's [limits]), and block the address.".into(),
                });
            } else if pc.failures >= 5 && !seen.contains(seen_hash(client)) {
                // The cause its rejections were given most, where a log said.
                let cause = most_given(&pc.causes).map_or(Cause::CredentialsInvalid, |(c, _)| c);
                let (why, fix) = match cause {
                    Cause::ClientInvalid => (
                        " at the token endpoint: the identity provider refuses its client credentials (a rotated or expired client secret, a wrong client id or key).",
                        "Find the client by its address and give it the client secret (or signing key) the identity provider holds now, with the client authentication method registered for it (client_secret_basic or _post, private_key_jwt).",
                    ),
                    Cause::RefreshFailed => (
                        " at the token endpoint with 400: the identity provider refuses the grant it presents, most often a refresh token that expired or was revoked (invalid_grant).",
                        "Have the client sign its user in again for a new refresh token instead of retrying the dead one; check the refresh token's lifetime, and its rotation (a rotated refresh token used twice is revoked, with its family).",
                    ),
                    _ => (
                        ": a stale secret or password, or a token it never refreshes.",
                        "Find the client by its address and renew its credentials (a rotated secret, an expired token it keeps sending).",
                    ),
                };
                out.push(Finding {
                    kind: FindingKind::AlwaysFails,
                    cause: Some(cause),
                    subject: client.clone(),
                    count: pc.failures,
                    window: window(pc.first, pc.last),
                    summary: format!(
                        "{client} failed every one of its {} requests{why}",
                        pc.failures
                    ),
                    examples: first_sorted(pc.users.iter(), 3)
                        .iter()
                        .map(|u| shown_user(u))
                        .collect(),
                    fix: fix.into(),
                });
            }
        }
        for (user, pu) in &self.users {
            // Many addresses failing at one account, and failing more than
            // it succeeds: not the account's own users now and then.
            if pu.failures >= 10 && pu.clients.len() >= 5 && pu.failures > pu.ok {
                out.push(Finding {
                    kind: FindingKind::DistributedBruteforce,
                    cause: Some(Cause::CredentialsInvalid),
                    subject: shown_user(user),
                    count: pu.failures,
                    window: None,
                    summary: format!("The account {} failed {} times from {} addresses: a distributed brute force.", shown_user(user), pu.failures, pu.clients.len()),
                    examples: first_sorted(pu.clients.iter(), 5),
                    fix: "Lock or step up the account (MFA), and rate-limit failures per account, not only per address.".into(),
                });
            }
            // Authenticated (it succeeds elsewhere), yet 401 on some routes only.
            if !pu.ok_routes.is_empty() {
                let mut only_401: Vec<(&String, &u64)> = pu
                    .fail_401_routes
                    .iter()
                    .filter(|(r, n)| **n >= 3 && !pu.ok_routes.contains(&seen_hash(r)))
                    .collect();
                only_401.sort_unstable();
                if !only_401.is_empty() {
                    out.push(Finding {
                        kind: FindingKind::Unauthorized401InsteadOf403,
                        cause: Some(Cause::AuthzForbidden),
                        subject: shown_user(user),
                        count: only_401.iter().map(|(_, n)| **n).sum(),
                        window: None,
                        summary: format!(
                            "{} is authenticated (it succeeds on {} other routes) yet gets 401 on {}: authorization answered as authentication.",
                            shown_user(user),
                            pu.ok_routes.len(),
                            only_401.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                        examples: only_401.iter().map(|(r, n)| format!("{r}: {n}×401")).collect(),
                        fix: "Answer 403 when the caller is known but not allowed (RFC 6750 §3.1 insufficient_scope, or a plain 403): clients then stop re-authenticating in a loop.".into(),
                    });
                }
            }
        }
        // A client whose tokens keep being refused just after they expire,
        // one after another: it renews a token only once it has failed.
        for (who, x) in &self.expiries {
            let spread = x.late_max - x.late_min;
            if x.n >= 3 && x.tokens.len() >= 3 && x.late_min >= 0 && spread <= 300 {
                let age = if x.aged > 0 {
                    format!(", at an age of {}–{} s", x.age_min, x.age_max)
                } else {
                    String::new()
                };
                out.push(Finding {
                    kind: FindingKind::RefreshTooLate,
                    cause: Some(Cause::TokenExpired),
                    subject: who.clone(),
                    count: x.n,
                    window: window(x.first, x.last),
                    summary: format!(
                        "{who} had {} tokens refused as expired, each {}–{} s after its exp{age}: it renews a token only after the server has refused it.",
                        x.tokens.len(),
                        x.late_min,
                        x.late_max
                    ),
                    examples: first_sorted(&x.tokens, 3),
                    fix: "Renew the token before it expires (when less than a minute, or a fifth of its lifetime, is left), not after a 401: every expiry now costs a failed request and a retry.".into(),
                });
            }
        }
        // Unknown keys across many clients in a short time: a rotation.
        if self.unknown_key.len() >= 5 {
            let mut sorted = self.unknown_key.clone();
            sorted.sort();
            let mut best: Option<(usize, usize, usize)> = None;
            let mut j = 0;
            for i in 0..sorted.len() {
                while sorted[i].0 - sorted[j].0 > 300 {
                    j += 1;
                }
                let clients: HashSet<&String> = sorted[j..=i].iter().map(|(_, c)| c).collect();
                if clients.len() >= 5 && best.is_none_or(|b| clients.len() > b.2) {
                    best = Some((j, i, clients.len()));
                }
            }
            if let Some((a, b, n)) = best {
                out.push(Finding {
                    kind: FindingKind::RotationSpike,
                    cause: Some(Cause::TokenUnknownKey),
                    subject: "the issuer's keys".into(),
                    count: (b - a + 1) as u64,
                    window: Some((rfc3339(sorted[a].0), rfc3339(sorted[b].0))),
                    summary: format!("{n} clients were refused for unknown keys within five minutes: the issuer rotated its keys and the server's cache did not follow."),
                    examples: sorted[a..=b].iter().take(5).map(|(_, c)| c.clone()).collect(),
                    fix: "Refetch the key set on an unknown kid (with a floor on how often), and have the issuer publish new keys before signing with them.".into(),
                });
            }
        }
        // A node whose rejection rate is far from its peers'.
        if self.nodes.len() >= 2 {
            let rates: Vec<(&String, f64, u64)> = self
                .nodes
                .iter()
                .filter(|(_, n)| n.requests >= 20)
                .map(|(k, n)| (k, n.rejected as f64 / n.requests as f64, n.rejected))
                .collect();
            for (node, rate, rejected) in &rates {
                let others: Vec<f64> = rates
                    .iter()
                    .filter(|(k, _, _)| k != node)
                    .map(|(_, r, _)| *r)
                    .collect();
                if others.is_empty() {
                    continue;
                }
                let peer = others.iter().sum::<f64>() / others.len() as f64;
                if *rejected >= 10 && *rate >= 0.2 && *rate >= 3.0 * peer.max(0.01) {
                    // What its rejections say tells its clock from its
                    // configuration: tokens its peers accept are expired
                    // or not yet valid by its clock alone.
                    let said = self.nodes.get(*node).and_then(|n| most_given(&n.causes));
                    let clock = matches!(
                        said,
                        Some((
                            Cause::TokenExpired | Cause::TokenNotYetValid | Cause::ClockSkew,
                            _
                        ))
                    );
                    let (cause, why, fix) = if clock {
                        (
                            Cause::ClockSkew,
                            format!(
                                "its rejections say the tokens are {}, which its peers accept: its clock is off",
                                if said.is_some_and(|(c, _)| c == Cause::TokenNotYetValid) {
                                    "not yet valid"
                                } else {
                                    "expired"
                                }
                            ),
                            "Check that node's clock against its peers' (timedatectl, chronyc tracking) and resynchronise it (NTP); a leeway of a minute hides the usual drift.",
                        )
                    } else {
                        (
                            Cause::ServerMisconfigured,
                            match said {
                                Some((c, _)) => format!(
                                    "most of its rejections are {c}: its configuration (issuer, audience, key cache) differs"
                                ),
                                None => "its clock or configuration differs".to_owned(),
                            },
                            "Compare that node's clock (NTP), configured issuer, audience and key cache with its peers'.",
                        )
                    };
                    out.push(Finding {
                        kind: FindingKind::NodeOutlier,
                        cause: Some(cause),
                        subject: (*node).clone(),
                        count: *rejected,
                        window: None,
                        summary: format!(
                            "{node} rejects {:.0}% of its requests, its peers {:.0}%: {why}.",
                            rate * 100.0,
                            peer * 100.0
                        ),
                        examples: Vec::new(),
                        fix: fix.into(),
                    });
                }
            }
        }
        // The 401 rate against its own baseline.
        if self.per_minute_401.len() >= 5 {
            let mut counts: Vec<u64> = self.per_minute_401.values().copied().collect();
            counts.sort_unstable();
            let median = counts[counts.len() / 2].max(1);
            if let Some((minute, n)) = self.per_minute_401.iter().max_by_key(|(_, n)| **n) {
                if *n >= 20 && *n >= 5 * median {
                    // The cause, when most of that minute's rejections
                    // were given the same one.
                    let cause = self
                        .minute_causes
                        .get(minute)
                        .and_then(most_given)
                        .filter(|(_, k)| k * 2 > *n)
                        .map(|(c, _)| c);
                    out.push(Finding {
                        kind: FindingKind::RateJump,
                        cause,
                        subject: "the 401 rate".into(),
                        count: *n,
                        window: Some((rfc3339(minute * 60), rfc3339(minute * 60 + 59))),
                        summary: format!("{n} rejections in one minute against a median of {median} a minute: a deploy, an issuer outage, or an attack."),
                        examples: Vec::new(),
                        fix: "Look at what changed in that minute (a deploy, a key rotation, the issuer's status) and at the clients behind the jump.".into(),
                    });
                }
            }
        }
        if !secrets.is_empty() {
            // In order: the same log gives the same words.
            let kinds: std::collections::BTreeSet<&str> = secrets.iter().map(|(_, k)| *k).collect();
            out.push(Finding {
                kind: FindingKind::SecretInLog,
                cause: None,
                subject: "the log itself".into(),
                count: secret_lines,
                window: None,
                summary: format!(
                    "{} of the log {} a secret ({}): anyone who reads the log can use {}.",
                    if secret_lines == 1 { "1 line".to_owned() } else { format!("{secret_lines} lines") },
                    if secret_lines == 1 { "holds" } else { "hold" },
                    kinds.into_iter().collect::<Vec<_>>().join(", "),
                    if secret_lines == 1 { "it" } else { "them" }
                ),
                examples: secrets.iter().map(|(n, k)| format!("line {n}: {k}")).collect(),
                fix: "Stop logging query strings and Authorization headers (or mask them), move tokens out of URLs into the Authorization header, and rotate the secrets already written.".into(),
            });
        }
        // Ties in a stable order: the same log gives the same report.
        out.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.subject.cmp(&b.subject))
                .then_with(|| a.summary.cmp(&b.summary))
        });
        out
    }

    /// The report.
    pub fn report(&self) -> Report {
        // Who was refused, and where: as the access log counted, or as the
        // error lines told when there was none.
        let t = self.told_alone().unwrap_or(self);
        // A path or an agent is whatever the client sent (a magic link's
        // token in a path segment): masked as every other text of a line.
        let masked = |v: Vec<(String, u64)>| -> Vec<(String, u64)> {
            v.into_iter()
                .map(|(k, n)| (authdoctor_secret::scrub(&k).into_owned(), n))
                .collect()
        };
        let routes = masked(top_ten(t.routes_rejected.iter().map(|(k, v)| (k, *v))));
        let agents = masked(top_ten(t.agents_rejected.iter().map(|(k, v)| (k, *v))));
        let clients = top_ten(
            t.clients
                .iter()
                .filter(|(_, c)| c.failures > 0)
                .map(|(k, c)| (k, c.failures)),
        );
        Report {
            schema: "authdoctor.logs/1",
            lines: self.lines,
            unparsed: self.unparsed,
            unparsed_example: self.unparsed_example.as_ref().map(|(_, s)| s.clone()),
            formats: FORMATS
                .iter()
                .zip(self.formats)
                .filter(|(_, n)| *n > 0)
                .map(|((name, _), n)| (*name, n))
                .collect(),
            statuses: (0u16..)
                .zip(&self.statuses)
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| (s, *n))
                .collect(),
            window: match (self.first, self.last) {
                (Some(a), Some(b)) => Some((rfc3339(a), rfc3339(b))),
                _ => None,
            },
            counted_from: if self.told_alone().is_some() {
                CountedFrom::ErrorLines
            } else {
                CountedFrom::AccessLog
            },
            rejected_routes: routes,
            rejected_clients: clients,
            rejected_agents: agents,
            findings: self.findings(),
            reasons: {
                let mut r: Vec<Reason> = self.reasons.values().cloned().collect();
                r.sort_by(|a, b| b.count.cmp(&a.count).then(a.cause.id().cmp(b.cause.id())));
                r
            },
        }
    }
}

/// Where a report's rejections were counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CountedFrom {
    /// The access log's requests (error lines, if any, explain them).
    #[serde(rename = "access log")]
    AccessLog,
    /// The servers' error lines: the input held no access-log request, and
    /// they were the only witness of who was refused.
    #[serde(rename = "error lines")]
    ErrorLines,
}

impl Scan {
    /// Whether any line told of a request or gave a reason: a scan of
    /// lines none of which did is no log this reads (an indented line of
    /// junk reads as a stack frame, which says nothing).
    pub fn read_any_request(&self) -> bool {
        self.formats.iter().sum::<u64>() > self.notices
    }
}

impl Report {
    /// The refusals the servers' error lines explained.
    pub fn explained(&self) -> u64 {
        self.reasons.iter().map(|x| x.count).sum()
    }
}

/// The whole report (`authdoctor.logs/1`).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// `authdoctor.logs/1`.
    pub schema: &'static str,
    /// Lines read.
    pub lines: u64,
    /// Lines no format matched.
    pub unparsed: u64,
    /// One of them, masked.
    pub unparsed_example: Option<String>,
    /// Lines by format.
    pub formats: BTreeMap<&'static str, u64>,
    /// Requests by status.
    pub statuses: BTreeMap<u16, u64>,
    /// The time the lines span.
    pub window: Option<(String, String)>,
    /// Where the rejections below were counted.
    pub counted_from: CountedFrom,
    /// The routes with the most rejections.
    pub rejected_routes: Vec<(String, u64)>,
    /// The clients with the most rejections.
    pub rejected_clients: Vec<(String, u64)>,
    /// The user agents with the most rejections (where the lines name
    /// them).
    pub rejected_agents: Vec<(String, u64)>,
    /// The findings, largest first.
    pub findings: Vec<Finding>,
    /// The causes the servers gave, most frequent first: in their error
    /// lines, and in access lines that say why (the guard's reason, a
    /// logged challenge, a gateway's words); not a request that sent no
    /// credentials.
    pub reasons: Vec<Reason>,
}

impl Scan {
    /// Rejections per minute over the whole window, minutes with none
    /// included: `(minute's start, 401s, 403s)`. Empty when no line said
    /// when; at most a week of minutes (a longer window keeps its last week).
    pub fn timeline(&self) -> Vec<(i64, u64, u64)> {
        let t = self.told_alone().unwrap_or(self);
        let (per_minute_401, per_minute_403) = (&t.per_minute_401, &t.per_minute_403);
        let first = per_minute_401.keys().chain(per_minute_403.keys()).min();
        let last = per_minute_401.keys().chain(per_minute_403.keys()).max();
        let (Some(&first), Some(&last)) = (first, last) else {
            return Vec::new();
        };
        let first = first.max(last - 7 * 24 * 60);
        (first..=last)
            .map(|m| {
                (
                    m * 60,
                    per_minute_401.get(&m).copied().unwrap_or(0),
                    per_minute_403.get(&m).copied().unwrap_or(0),
                )
            })
            .collect()
    }
}

fn rfc3339(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clf(ip: &str, user: &str, path: &str, status: u16, sec: u32) -> String {
        format!(
            "{ip} - {user} [26/Nov/2026:17:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" {status} 0 \"-\" \"ua\"",
            sec / 60,
            sec % 60
        )
    }

    /// The ten first as a sort of them all gives them, ties in name order,
    /// whatever order the counts come in.
    #[test]
    fn the_top_ten_are_a_full_sorts_first_ten() {
        let names: Vec<String> = (0..500).map(|i| format!("10.0.{}.{}", i % 7, i)).collect();
        for seed in [1u64, 7, 99] {
            let mut x = seed;
            let counts: Vec<(&String, u64)> = names
                .iter()
                .map(|n| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    // Many ties: counts 1 to 4, a few large.
                    (
                        n,
                        if x % 50 == 0 {
                            100 + x % 3
                        } else {
                            1 + (x >> 33) % 4
                        },
                    )
                })
                .collect();
            let mut sorted = counts.clone();
            sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            let want: Vec<(String, u64)> = sorted
                .iter()
                .take(10)
                .map(|(k, n)| ((*k).clone(), *n))
                .collect();
            assert_eq!(top_ten(counts.iter().copied()), want);
            assert_eq!(top_ten(counts.iter().rev().copied()), want);
        }
        assert!(top_ten(std::iter::empty()).is_empty());
    }

    fn kinds(s: &Scan) -> Vec<FindingKind> {
        s.findings().into_iter().map(|f| f.kind).collect()
    }

    /// Rails' request log, its lines interleaved by two requests at once
    /// (told apart by their tags), read by lines and by blocks alike: each
    /// `Completed` is the request its `Started` began, the controller's
    /// lines between are known, and a stale client is found by the address
    /// its `Started` lines give.
    #[test]
    fn rails_requests_are_paired_by_their_tags() {
        let mut text = String::new();
        for i in 0..6 {
            let at = format!("2026-11-27 10:00:{:02} +0000", i * 2);
            let lines = [
                (
                    "ok",
                    format!("Started GET \"/api/orders\" for 10.0.0.7 at {at}"),
                ),
                (
                    "bad",
                    format!("Started GET \"/api/orders?page=2\" for 10.0.0.9 at {at}"),
                ),
                (
                    "bad",
                    "Processing by Api::OrdersController#index as JSON".into(),
                ),
                (
                    "bad",
                    "Filter chain halted as :authenticate_user! rendered or redirected".into(),
                ),
                (
                    "bad",
                    "Completed 401 Unauthorized in 2ms (ActiveRecord: 0.0ms | Allocations: 120)"
                        .into(),
                ),
                (
                    "ok",
                    "Completed 200 OK in 12ms (Views: 1.0ms | Allocations: 900)".into(),
                ),
            ];
            for (n, (tag, message)) in lines.iter().enumerate() {
                text += &format!(
                    "I, [2026-11-27T10:00:{:02}.00000{n} #1]  INFO -- : [{tag}-{i}] {message}\n",
                    i * 2
                );
            }
        }
        text += "Started GET \"/admin\" for 10.0.0.9 at 2026-11-27 10:01:00 +0000\nCompleted 403 Forbidden in 1ms (Allocations: 50)\n";
        let mut by_lines = Scan::default();
        for l in text.lines() {
            by_lines.line(l);
        }
        let mut by_block = Scan::default();
        by_block.block(&text);
        for s in [&by_lines, &by_block] {
            let r = s.report();
            assert_eq!((r.unparsed, r.formats["rails"]), (0, 38), "{r:?}");
            assert_eq!(r.statuses, BTreeMap::from([(200, 6), (401, 6), (403, 1)]));
            assert_eq!(
                r.rejected_routes,
                [("/api/orders".to_owned(), 6), ("/admin".to_owned(), 1)]
            );
            let always = r
                .findings
                .iter()
                .find(|f| f.kind == FindingKind::AlwaysFails)
                .expect("the stale client");
            assert_eq!(always.subject, "10.0.0.9");
        }
    }

    #[test]
    fn stuffing_bruteforce_always_fails_and_401_instead_of_403() {
        let mut s = Scan::default();
        for i in 0..40 {
            s.line(&clf("10.0.0.66", &format!("user{i}"), "/login", 401, i));
        }
        for i in 0..12 {
            s.line(&clf(
                &format!("10.1.0.{i}"),
                "admin",
                "/login",
                401,
                100 + i,
            ));
        }
        for i in 0..6 {
            s.line(&clf("10.2.0.9", "svc-old", "/orders", 401, 200 + i));
        }
        for i in 0..5 {
            s.line(&clf("10.3.0.1", "alice", "/orders", 200, 300 + i));
            s.line(&clf("10.3.0.1", "alice", "/admin", 401, 300 + i));
        }
        let k = kinds(&s);
        for want in [
            FindingKind::CredentialStuffing,
            FindingKind::DistributedBruteforce,
            FindingKind::AlwaysFails,
            FindingKind::Unauthorized401InsteadOf403,
        ] {
            assert!(k.contains(&want), "{want:?} not in {k:?}");
        }
    }

    #[test]
    fn a_key_logged_as_the_user_is_masked_in_every_finding() {
        // An API key sent as Basic's user (Stripe's way), which nginx logs
        // as $remote_user: failing from many addresses, and from one
        // address among many users.
        let key = "sk_live_51H8aBcDeFgHiJkLmNoPqRsT";
        let mut s = Scan::default();
        for i in 0..12 {
            s.line(&clf(&format!("10.5.0.{i}"), key, "/v1/charges", 401, i));
        }
        for i in 0..30 {
            let user = if i == 0 {
                key.to_owned()
            } else {
                format!("user{i}")
            };
            s.line(&clf("10.6.0.1", &user, "/v1/charges", 401, 100 + i));
        }
        let report = serde_json::to_string(&s.findings()).unwrap_or_default();
        assert!(
            kinds(&s).contains(&FindingKind::DistributedBruteforce),
            "{report}"
        );
        assert!(
            kinds(&s).contains(&FindingKind::CredentialStuffing),
            "{report}"
        );
        assert!(!report.contains("51H8aBcDeFgHiJkLmNoPqRsT"), "{report}");
        assert!(report.contains("user1"), "{report}");
    }

    #[test]
    fn a_familys_own_refusal_status_counts_and_nginxs_499_does_not() {
        // Laravel's 419 to a client whose session is gone, every time.
        let mut s = Scan::default();
        for i in 0..8 {
            s.line(&clf("10.4.0.7", "-", "/api/orders", 419, i));
        }
        assert!(
            kinds(&s).contains(&FindingKind::AlwaysFails),
            "{:?}",
            kinds(&s)
        );
        // nginx's 499 (a client that closed its connection) is no refusal.
        let mut s = Scan::default();
        for i in 0..8 {
            s.line(&clf("10.4.0.8", "-", "/api/orders", 499, i));
        }
        assert!(kinds(&s).is_empty(), "{:?}", kinds(&s));
    }

    #[test]
    fn a_client_refused_at_the_token_endpoint_has_a_stale_client_secret() {
        let mut s = Scan::default();
        for (i, path) in [
            "/oauth/token",
            "/realms/shop/protocol/openid-connect/token",
            "/oauth2/v2.0/token?x=1",
            "/as/token.oauth2",
            "/oauth/token",
            "/token/",
        ]
        .iter()
        .enumerate()
        {
            s.line(&clf("10.8.0.1", "-", path, 401, i as u32));
            // The same failures elsewhere are a stale password or token.
            s.line(&clf("10.8.0.2", "-", "/orders/token-list", 401, i as u32));
        }
        let f = s.findings();
        let cause_of = |who: &str| {
            f.iter()
                .find(|f| f.kind == FindingKind::AlwaysFails && f.subject == who)
                .and_then(|f| f.cause)
        };
        assert_eq!(cause_of("10.8.0.1"), Some(Cause::ClientInvalid));
        assert_eq!(cause_of("10.8.0.2"), Some(Cause::CredentialsInvalid));
        for p in [
            "/token",
            "/oauth2/default/v1/introspect",
            "/login/oauth/access_token",
            "/connect/revocation",
        ] {
            assert!(token_endpoint(p), "{p}");
        }
        for p in ["/tokens", "/api/token-info", "/orders", "/"] {
            assert!(!token_endpoint(p), "{p}");
        }
    }

    #[test]
    fn a_client_whose_grant_is_refused_at_the_token_endpoint_cannot_refresh() {
        let mut s = Scan::default();
        for i in 0..6 {
            s.line(&clf("10.9.0.1", "-", "/oauth/token", 400, i));
            // A 400 elsewhere is a bad request, no refusal.
            s.line(&clf("10.9.0.2", "-", "/orders", 400, i));
        }
        let f = s.findings();
        let always: Vec<(&str, Option<Cause>)> = f
            .iter()
            .filter(|f| f.kind == FindingKind::AlwaysFails)
            .map(|f| (f.subject.as_str(), f.cause))
            .collect();
        assert_eq!(always, [("10.9.0.1", Some(Cause::RefreshFailed))]);
    }

    #[test]
    fn a_client_that_ever_succeeded_does_not_always_fail_whatever_the_order_or_split() {
        let lines: Vec<String> = std::iter::once(clf("10.7.0.1", "-", "/orders", 200, 0))
            .chain((1..7).map(|i| clf("10.7.0.1", "-", "/orders", 401, i)))
            .chain((1..7).map(|i| clf("10.7.0.2", "-", "/orders", 401, i)))
            .chain(std::iter::once(clf("10.7.0.2", "-", "/orders", 200, 9)))
            .chain((1..7).map(|i| clf("10.7.0.3", "-", "/orders", 401, i)))
            .collect();
        let always = |s: &Scan| -> Vec<String> {
            s.findings()
                .into_iter()
                .filter(|f| f.kind == FindingKind::AlwaysFails)
                .map(|f| f.subject)
                .collect()
        };
        let mut one = Scan::default();
        for l in &lines {
            one.line(l);
        }
        assert_eq!(always(&one), vec!["10.7.0.3".to_owned()]);
        // The success in one block, the failures in another.
        let (mut a, mut b) = (Scan::default(), Scan::default());
        for (i, l) in lines.iter().enumerate() {
            if i % 2 == 0 { a.line(l) } else { b.line(l) }
        }
        b.merge(a);
        assert_eq!(always(&b), vec!["10.7.0.3".to_owned()]);
    }

    #[test]
    fn rotation_spike_and_token_guessing_from_the_guards_log() {
        let mut s = Scan::default();
        for i in 0..8 {
            s.line(&format!(r#"{{"ts":"2026-11-26T17:00:{i:02}Z","reason":"token.unknown_key","status":401,"route":"/orders","client":"10.5.0.{i}"}}"#));
        }
        for i in 0..30 {
            s.line(&format!(r#"{{"ts":"2026-11-26T18:00:{:02}Z","reason":"token.signature_invalid","status":401,"route":"/orders","client":"10.6.6.6","token":"eyJhbGci…(sha256:{i:06})"}}"#, i % 60));
        }
        let k = kinds(&s);
        assert!(k.contains(&FindingKind::RotationSpike), "{k:?}");
        assert!(k.contains(&FindingKind::TokenGuessing), "{k:?}");
    }

    /// A guesser taking a fresh address of its IPv6 /64 for each token is
    /// one client: its network, flagged as it. Another /64 is another
    /// client; an address mapped from IPv4, or written with its port, is
    /// read as the address.
    #[test]
    fn an_ipv6_client_is_its_64() {
        let mut s = Scan::default();
        for i in 0..30 {
            s.line(&format!(r#"{{"ts":"2026-11-26T18:00:{:02}Z","reason":"token.signature_invalid","status":401,"route":"/orders","client":"2001:db8:7:1:{i:x}::{:x}","sub":"demo-cli","token":"eyJhbGci…(sha256:{i:06})"}}"#, i % 60, i * 7 + 1));
        }
        s.line(r#"{"ts":"2026-11-26T18:01:00Z","reason":"token.expired","status":401,"route":"/orders","client":"2001:db8:7:2::1"}"#);
        let f = s.findings();
        let guessing: Vec<&Finding> = f
            .iter()
            .filter(|f| f.kind == FindingKind::TokenGuessing)
            .collect();
        assert_eq!(guessing.len(), 1, "{f:?}");
        assert_eq!(guessing[0].subject, "2001:db8:7:1::/64");
        assert!(
            f.iter()
                .all(|f| f.kind != FindingKind::DistributedBruteforce),
            "{f:?}"
        );
        assert_eq!(ipv6_network("::ffff:10.0.0.7").as_deref(), Some("10.0.0.7"));
        assert_eq!(
            ipv6_network("[2001:db8::1]:443").as_deref(),
            Some("2001:db8::/64")
        );
        assert_eq!(ipv6_network("10.0.0.7"), None);
        assert_eq!(ipv6_network("10.0.0.7:443"), None);
        assert_eq!(ipv6_network("2001:db8:7:1::/64"), None);
    }

    #[test]
    fn a_client_refused_just_after_each_expiry_refreshes_too_late() {
        // svc-late: hour-long tokens, each refused 61-75 s after its exp
        // (the guard's 60 s leeway), then a new one that works.
        let late = |i: i64, past: i64| {
            let iat = 1_800_000_000 + i * 3700;
            let exp = iat + 3600;
            let ts = jiff::Timestamp::from_second(exp + past).unwrap_or_default();
            format!(
                r#"{{"ts":"{ts}","event":"reject","reason":"token.expired","status":401,"route":"/orders","client":"10.9.0.1","sub":"svc-late","token":"eyJhbGci…(sha256:{i:06})","token_iat":{iat},"token_exp":{exp}}}"#
            )
        };
        let mut s = Scan::default();
        for (i, past) in [(0, 61), (1, 75), (2, 64), (3, 70)] {
            s.line(&late(i, past));
        }
        // svc-stuck: one token, sent for days after it expired.
        for day in 0..5 {
            let exp = 1_800_000_000;
            let ts = jiff::Timestamp::from_second(exp + day * 86_400).unwrap_or_default();
            s.line(&format!(r#"{{"ts":"{ts}","reason":"token.expired","status":401,"client":"10.9.0.2","sub":"svc-stuck","token":"eyJhbGci…(sha256:aaaaaa)","token_exp":{exp}}}"#));
        }
        let f = s.findings();
        let found: Vec<&Finding> = f
            .iter()
            .filter(|f| f.kind == FindingKind::RefreshTooLate)
            .collect();
        assert_eq!(found.len(), 1, "{f:?}");
        assert_eq!(found[0].subject, "svc-late");
        assert_eq!(found[0].cause, Some(Cause::TokenExpired));
        assert!(
            found[0].summary.contains("61–75 s after"),
            "{}",
            found[0].summary
        );
        assert!(
            found[0].summary.contains("3661–3675 s"),
            "{}",
            found[0].summary
        );
        // Split anywhere, merged in any order: the same finding.
        let lines: Vec<String> = (0..4).map(|i| late(i, 61 + i)).collect();
        let (mut a, mut b) = (Scan::default(), Scan::default());
        a.line(&lines[3]);
        a.line(&lines[0]);
        b.line(&lines[1]);
        b.line(&lines[2]);
        b.merge(a);
        assert!(kinds(&b).contains(&FindingKind::RefreshTooLate));
    }

    #[test]
    fn a_client_refreshing_too_late_is_found_by_error_lines_that_give_only_exp() {
        // mod_auth_openidc's lines: the client, and each token's exp.
        let late = |exp: i64, past: i64| {
            let ts = jiff::Timestamp::from_second(exp + past).unwrap_or_default();
            let at = ts.strftime("%a %b %d %H:%M:%S%.6f %Y");
            format!(
                r#"[{at}] [auth_openidc:error] [pid 7:tid 9] [client 203.0.113.7:51000] oidc_proto_validate_exp: "exp" validation failure ({exp}): JWT expired {past} seconds ago"#
            )
        };
        let mut s = Scan::default();
        for (i, past) in [(0, 12), (1, 5), (2, 20)] {
            s.line(&late(1_795_700_000 + i * 3600, past));
        }
        // One token sent again and again: never refreshed, not late.
        for past in [30, 900, 4000] {
            s.line(&late(1_795_700_000, past).replace("203.0.113.7", "203.0.113.8"));
        }
        let f = s.findings();
        let late: Vec<&Finding> = f
            .iter()
            .filter(|f| f.kind == FindingKind::RefreshTooLate)
            .collect();
        assert_eq!(late.len(), 1, "{f:?}");
        assert_eq!(late[0].subject, "203.0.113.7");
        assert!(
            late[0].summary.contains("5–20 s after"),
            "{}",
            late[0].summary
        );
    }

    #[test]
    fn secrets_in_the_log_are_found_by_line_never_printed() {
        let mut s = Scan::default();
        s.line(&clf(
            "10.0.0.1",
            "-",
            "/cb?access_token=SuperSecretValue123",
            200,
            1,
        ));
        let r = s.report();
        let f = r
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::SecretInLog)
            .unwrap();
        assert_eq!(f.examples, ["line 1: an access token in a URL"]);
        assert!(
            !serde_json::to_string(&r)
                .unwrap()
                .contains("SuperSecretValue123")
        );
    }

    #[test]
    fn a_jump_and_an_outlier_node() {
        // Node b's rejections say why (the guard's reason) in one run, say
        // nothing in the other.
        for reason in [r#","reason":"token.expired""#, ""] {
            let mut s = Scan::default();
            for m in 0..10 {
                s.line(&format!(
                    r#"{{"ts":{},"status":401,"client":"c{m}","node":"a"}}"#,
                    1_800_000_000 + m * 60
                ));
            }
            for i in 0..60 {
                s.line(&format!(
                    r#"{{"ts":{},"status":401,"client":"x{i}","node":"b"{reason}}}"#,
                    1_800_000_000 + 10 * 60
                ));
            }
            for i in 0..100 {
                s.line(&format!(
                    r#"{{"ts":{},"status":200,"client":"ok{i}","node":"a"}}"#,
                    1_800_000_000 + i
                ));
            }
            let f = s.findings();
            let of = |k: FindingKind| f.iter().find(|x| x.kind == k).map(|x| x.cause);
            let (jump, node) = (of(FindingKind::RateJump), of(FindingKind::NodeOutlier));
            if reason.is_empty() {
                assert_eq!(jump, Some(None), "{f:?}");
                assert_eq!(node, Some(Some(Cause::ServerMisconfigured)), "{f:?}");
            } else {
                assert_eq!(jump, Some(Some(Cause::TokenExpired)), "{f:?}");
                // Tokens its peer accepts, expired by its clock alone.
                assert_eq!(node, Some(Some(Cause::ClockSkew)), "{f:?}");
            }
        }
    }

    #[test]
    fn an_error_log_read_alone_is_the_only_witness_of_when() {
        // Services' logs with no access log beside them: a quiet baseline
        // of expired tokens (a Go service), then a minute of unknown keys
        // (a Java one).
        let mut s = Scan::default();
        for m in 0..10 {
            s.line(&format!(
                "2026/11/27 10:{m:02}:00 auth: square/go-jose/jwt: validation failed, token is expired (exp)"
            ));
        }
        for i in 0..40 {
            s.line(&format!(
                "2026-11-27 10:10:{:02},000 DEBUG [io.smallrye.jwt] Unable to find a suitable verification key for JWS w/ header {{\"kid\":\"k{i}\"}} from JWKs [] obtained from https://id.test/certs",
                i % 60
            ));
        }
        let f = s.findings();
        let jump = f.iter().find(|x| x.kind == FindingKind::RateJump);
        assert_eq!(
            jump.map(|x| (x.count, x.cause)),
            Some((40, Some(Cause::TokenUnknownKey))),
            "{f:?}"
        );
        // The chart counts them too.
        assert_eq!(s.timeline().iter().map(|(_, a, _)| a).sum::<u64>(), 50);
        // Beside an access log, the access log counts the rejections (the
        // error lines explain them): the same lines add none.
        s.line(r#"10.0.0.1 - - [27/Nov/2026:10:11:00 +0000] "GET /orders HTTP/1.1" 401 0 "-" "curl/8.5.0""#);
        assert_eq!(s.timeline().iter().map(|(_, a, _)| a).sum::<u64>(), 1);
    }

    #[test]
    fn an_error_log_read_alone_is_the_witness_of_who() {
        // A Go service's log, no access log: one client keeps sending its
        // expired token; five others are refused once each.
        let mut s = Scan::default();
        for i in 0..6 {
            s.line(&format!("2026/11/27 10:00:{i:02} 10.0.0.9:5123 GET /api/orders: unauthorized: oidc: token is expired (Token Expiry: 2026-11-27 09:00:00 +0000 UTC)"));
        }
        for i in 0..5 {
            s.line(&format!("2026/11/27 10:01:{i:02} 10.0.0.{}:5123 GET /api/orders: unauthorized: oidc: token is expired (Token Expiry: 2026-11-27 09:00:00 +0000 UTC)", 20 + i));
        }
        let f = s.findings();
        let always: Vec<&Finding> = f
            .iter()
            .filter(|x| x.kind == FindingKind::AlwaysFails)
            .collect();
        assert_eq!(always.len(), 1, "{f:?}");
        assert_eq!(
            (always[0].subject.as_str(), always[0].cause),
            ("10.0.0.9", Some(Cause::TokenExpired))
        );
        let r = s.report();
        assert_eq!(
            r.rejected_clients.first(),
            Some(&("10.0.0.9".to_owned(), 6))
        );
        assert_eq!(r.rejected_routes, vec![("/api/orders".to_owned(), 11)]);
        // The statuses are the access log's: none here.
        assert!(r.statuses.is_empty());
        assert_eq!(r.counted_from, CountedFrom::ErrorLines);
    }

    #[test]
    fn an_error_report_gives_its_cause_once() {
        let mut s = Scan::default();
        // The headline says why; the inner error under it says it again.
        for l in [
            "UnauthorizedError: jwt expired",
            "    at /app/node_modules/express-jwt/dist/index.js:141:35",
            "  inner: TokenExpiredError: jwt expired",
            "      at /app/node_modules/jsonwebtoken/verify.js:190:21 {",
            "    expiredAt: 2026-11-27T10:00:00.000Z",
            "  }",
            "}",
            // The headline names no cause; the inner error does.
            "UnauthorizedError: invalid token",
            "  inner: JsonWebTokenError: invalid token",
            // A report of its own.
            "UnauthorizedError: jwt expired",
            // Java's chained exception: Spring's words, then Nimbus'.
            "2026-11-27T10:00:00.000Z ERROR 1 --- [nio-8080-exec-1] o.s.s.o.s.r.a.BearerTokenAuthenticationFilter : Failed to process authentication request: An error occurred while attempting to decode the Jwt: Jwt expired at 2026-11-27T09:00:00Z",
            "\tat org.springframework.security.oauth2.jwt.NimbusJwtDecoder.validateJwt(NimbusJwtDecoder.java:189)",
            "Caused by: com.nimbusds.jwt.proc.BadJWTException: Expired JWT",
            "\t... 42 common frames omitted",
            // Python's logging.exception: the message, the traceback, and
            // the exception's line closing it.
            "2026-11-27 10:00:00,123 ERROR [api] token refused",
            "Traceback (most recent call last):",
            "  File \"/app/auth.py\", line 12, in claims",
            "    raise ExpiredSignatureError(\"Signature has expired\")",
            "jwt.exceptions.ExpiredSignatureError: Signature has expired",
        ] {
            s.line(l);
        }
        let r = s.report();
        let counts: Vec<(&str, &str, u64)> = r
            .reasons
            .iter()
            .map(|x| (x.cause.id(), x.family, x.count))
            .collect();
        assert_eq!(
            counts,
            vec![
                ("token.expired", "jsonwebtoken (Node)", 2),
                ("token.expired", "PyJWT", 1),
                ("token.expired", "Spring Security", 1),
                ("token.malformed", "jsonwebtoken (Node)", 1)
            ],
            "{r:?}"
        );
        // The message line above the traceback names nothing known.
        assert_eq!(r.unparsed, 1);
        // A route or an agent that holds a token is shown masked.
        let mut s = Scan::default();
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";
        s.line(&format!(r#"10.0.0.1 - - [27/Nov/2026:10:00:00 +0000] "GET /reset/{jwt} HTTP/1.1" 401 0 "-" "probe/{jwt}""#));
        let r = s.report();
        let shown = format!("{:?} {:?}", r.rejected_routes, r.rejected_agents);
        assert!(!shown.contains("c2lnbmF0dXJl"), "{shown}");
        assert_eq!(r.rejected_routes.len(), 1);
        // A line that repeats its report's cause is still searched for a
        // secret: a token printed in an inner error is one in the log.
        let mut s = Scan::default();
        s.line("UnauthorizedError: jwt expired");
        s.line("  inner: TokenExpiredError: jwt expired for Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl");
        let r = s.report();
        assert_eq!(r.reasons.iter().map(|x| x.count).sum::<u64>(), 1, "{r:?}");
        let secret = r
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::SecretInLog);
        assert_eq!(
            secret.map(|f| f.examples.clone()),
            Some(vec!["line 2: a logged Authorization header".to_owned()]),
            "{r:?}"
        );
    }

    #[test]
    fn a_file_is_its_node_when_the_lines_name_none() {
        let mut s = Scan::default();
        s.from_node(Some("node-a/access.log".into()));
        for i in 0..40 {
            s.line(&clf(&format!("10.0.0.{i}"), "-", "/orders", 200, i));
        }
        s.from_node(Some("node-b/access.log".into()));
        for i in 0..40 {
            let status = if i % 2 == 0 { 401 } else { 200 };
            s.line(&clf(&format!("10.0.1.{i}"), "-", "/orders", status, i));
        }
        let f = s.findings();
        let node = f.iter().find(|x| x.kind == FindingKind::NodeOutlier);
        assert_eq!(
            node.map(|x| x.subject.as_str()),
            Some("node-b/access.log"),
            "{f:?}"
        );
    }

    #[test]
    fn a_block_read_by_the_common_lines_shortcut_finds_what_lines_read_one_by_one_find() {
        // Successes (read without an event in a block), refusals and other
        // answers (read as events), of users who succeed on some routes
        // and get 401 on others, an address that always fails, one that
        // fails and succeeds, a line with a query, lines with no user.
        let mut lines = Vec::new();
        for i in 0..30u32 {
            lines.push(clf("10.0.0.1", "alice", "/orders", 200, i));
            lines.push(clf("10.0.0.8", "erin", "/items?page=2", 200, i));
            lines.push(clf("10.0.0.2", "alice", "/admin", 401, i));
            lines.push(clf("10.0.0.3", "-", "/health", 204, i));
            lines.push(clf("10.0.0.4", "bob", "/missing", 404, i));
            lines.push(clf("10.0.0.5", "-", "/orders", 401, i));
            lines.push(clf(
                "10.0.0.6",
                "carol",
                "/orders",
                if i % 2 == 0 { 403 } else { 302 },
                i,
            ));
            lines.push(format!("{}\r", clf("10.0.0.7", "dave", "/orders", 200, i)));
        }
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let mut by_block = Scan::default();
        by_block.block(&text);
        let mut by_line = Scan::default();
        for l in &lines {
            by_line.line(l);
        }
        let (a, b) = (by_block.report(), by_line.report());
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::to_value(&b).unwrap()
        );
        // The users' tallies, which the report shows only through findings.
        let users = |s: &Scan| {
            let mut v: Vec<_> = s
                .users
                .iter()
                .map(|(u, p)| {
                    (
                        u.clone(),
                        p.failures,
                        p.ok,
                        p.ok_routes.len(),
                        p.fail_401_routes.clone(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(users(&by_block), users(&by_line));
        assert_eq!(users(&by_block).len(), 5);
        let kinds: Vec<FindingKind> = a.findings.iter().map(|f| f.kind).collect();
        assert!(kinds.contains(&FindingKind::AlwaysFails), "{kinds:?}");
        assert!(
            kinds.contains(&FindingKind::Unauthorized401InsteadOf403),
            "{kinds:?}"
        );
    }

    #[test]
    fn chunks_scanned_apart_and_merged_find_what_one_scan_finds() {
        let lines: Vec<String> = (0..40)
            .map(|i| clf("10.0.0.66", &format!("user{i}"), "/login", 401, i))
            .chain(std::iter::once(clf(
                "10.0.0.1",
                "-",
                "/cb?access_token=SuperSecretValue123",
                200,
                50,
            )))
            .collect();
        let mut one = Scan::default();
        for l in &lines {
            one.line(l);
        }
        let mut a = Scan::default();
        for l in &lines[..17] {
            a.line(l);
        }
        let mut b = Scan::starting_at(17);
        for l in &lines[17..] {
            b.line(l);
        }
        // Interleaved blocks, merged either way round.
        let (mut c, mut d) = (Scan::default(), Scan::default());
        for (i, block) in lines.chunks(7).enumerate() {
            let s = if i % 2 == 0 { &mut c } else { &mut d };
            s.at_line(7 * i as u64);
            for l in block {
                s.line(l);
            }
        }
        d.merge(c);
        assert_eq!(
            serde_json::to_value(one.report()).unwrap(),
            serde_json::to_value(d.report()).unwrap()
        );
        a.merge(b);
        let (x, y) = (one.report(), a.report());
        assert_eq!(
            serde_json::to_value(&x).unwrap(),
            serde_json::to_value(&y).unwrap()
        );
        let f = y
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::SecretInLog)
            .unwrap();
        assert_eq!(f.examples, ["line 41: an access token in a URL"]);
    }

    /// A block read at once finds what its lines read one by one find: the
    /// signs of secrets found over the block are placed in their lines
    /// (at a line's start, its end, the block's last line unended).
    #[test]
    fn a_block_reads_as_its_lines() {
        let lines = [
            clf("10.0.0.1", "-", "/a", 200, 1),
            "=".to_owned(),
            clf("10.0.0.2", "-", "/cb?access_token=abcdefgh123", 200, 2),
            clf("10.0.0.3", "-", "/b", 401, 3),
            r#"{"ts":1,"status":401,"client":"10.0.0.4","msg":"Authorization: Bearer abcdef0123456789"}"#.to_owned(),
            clf("10.0.0.5", "-", "/c", 200, 4),
            clf("10.0.0.6", "-", "/jwt/eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ", 200, 5),
            clf("10.0.0.7", "-", "/d?x=", 200, 6),
        ];
        let mut one = Scan::default();
        for l in &lines {
            one.line(l);
        }
        let mut block = Scan::default();
        block.block(&lines.join("\n"));
        assert_eq!(block.secrets, one.secrets);
        assert_eq!(
            block.secrets.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            [3, 5, 7]
        );
        assert_eq!(
            serde_json::to_value(block.report()).unwrap(),
            serde_json::to_value(one.report()).unwrap()
        );
    }

    /// Keycloak's events: a stuffing run at the identity provider itself.
    /// Auth0's events (bare, and inside a log stream's envelope) and Okta's
    /// System Log, in the shapes their documentation gives: a stuffing run
    /// at Auth0, a mobile app whose refresh token no longer works, and one
    /// Okta account tried from twelve addresses.
    #[test]
    fn stuffing_and_a_dead_refresh_token_at_auth0_and_a_brute_force_at_okta() {
        let mut s = Scan::default();
        for i in 0..25 {
            s.line(&format!(
                r#"{{"log_id":"9000{i}","data":{{"date":"2026-11-27T10:00:{:02}.000Z","type":"{}","description":"Wrong email or password.","client_id":"AaiyAPdp","ip":"203.0.113.9","user_agent":"python-requests/2.32","user_name":"user{i}@example.com"}}}}"#,
                i % 60,
                if i % 2 == 0 { "fp" } else { "fu" }
            ));
        }
        s.line(r#"{"date":"2026-11-27T10:01:00.000Z","type":"s","client_id":"AaiyAPdp","ip":"198.51.100.1","user_name":"alice@example.com","log_id":"910"}"#);
        for i in 0..6 {
            s.line(&format!(r#"{{"date":"2026-11-27T10:02:0{i}.000Z","type":"fertft","description":"Unknown or invalid refresh token.","client_id":"mobile-app","ip":"198.51.100.77","user_id":"auth0|42","log_id":"92{i}"}}"#));
        }
        // An event that is no login: known, not counted.
        s.line(r#"{"date":"2026-11-27T10:03:00.000Z","type":"sapi","client_id":"AaiyAPdp","ip":"198.51.100.1","log_id":"930"}"#);
        for i in 0..12 {
            s.line(&format!(r#"{{"actor":{{"id":"00u1","type":"User","alternateId":"bob@example.com"}},"client":{{"userAgent":{{"rawUserAgent":"curl/8"}},"ipAddress":"192.0.2.{}"}},"eventType":"user.session.start","outcome":{{"result":"FAILURE","reason":"INVALID_CREDENTIALS"}},"published":"2026-11-27T10:00:{i:02}.000Z"}}"#, i + 10));
        }
        s.line(r#"{"actor":{"alternateId":"x"},"client":{"ipAddress":"192.0.2.1"},"eventType":"group.user_membership.add","outcome":{"result":"SUCCESS"},"published":"2026-11-27T10:05:00.000Z"}"#);
        let r = s.report();
        assert_eq!((r.unparsed, r.formats.get("idp").copied()), (0, Some(46)));
        let f = s.findings();
        let find = |k: FindingKind| {
            f.iter()
                .find(|x| x.kind == k)
                .map(|x| (x.subject.as_str(), x.count, x.cause))
        };
        assert_eq!(
            find(FindingKind::CredentialStuffing),
            Some(("203.0.113.9", 25, Some(Cause::CredentialsInvalid))),
            "{f:?}"
        );
        assert_eq!(
            find(FindingKind::AlwaysFails),
            Some(("198.51.100.77", 6, Some(Cause::RefreshFailed))),
            "{f:?}"
        );
        assert_eq!(
            find(FindingKind::DistributedBruteforce),
            Some(("bob@example.com", 12, Some(Cause::CredentialsInvalid))),
            "{f:?}"
        );
    }

    #[test]
    fn stuffing_at_keycloak() {
        let mut s = Scan::default();
        for i in 0..25 {
            s.line(&format!(r#"2026-11-27 08:00:{:02},000 WARN  [org.keycloak.events] (executor-thread-1) type="LOGIN_ERROR", realmId="r", clientId="app", userId="null", ipAddress="203.0.113.7", error="user_not_found", username="user{i}""#, i % 60));
        }
        s.line(r#"2026-11-27 08:01:00,000 DEBUG [org.keycloak.events] (executor-thread-1) type="LOGIN", realmId="r", clientId="app", userId="u1", ipAddress="10.0.0.2", username="alice""#);
        let f = s.findings();
        let stuffing = f.iter().find(|x| x.kind == FindingKind::CredentialStuffing);
        assert_eq!(
            stuffing.map(|x| (x.subject.as_str(), x.count, x.cause)),
            Some(("203.0.113.7", 25, Some(Cause::CredentialsInvalid))),
            "{f:?}"
        );
    }

    #[test]
    fn nothing_found_in_a_quiet_log_and_garbage_is_counted() {
        let mut s = Scan::default();
        for i in 0..50 {
            s.line(&clf("10.0.0.1", "alice", "/orders", 200, i));
        }
        s.line("\u{0}\u{1} binary junk");
        let r = s.report();
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert_eq!(r.unparsed, 1);
    }

    #[test]
    fn an_access_line_that_says_why_is_heard_as_an_error_line_is() {
        let mut s = Scan::default();
        for l in [
            // The guard's reject log: the cause by id.
            r#"{"ts":"2026-11-27T10:00:00Z","event":"reject","reason":"token.expired","status":401,"route":"/orders","client":"10.9.0.1"}"#,
            r#"{"ts":"2026-11-27T10:00:01Z","event":"reject","reason":"token.expired","status":401,"route":"/orders","client":"10.9.0.2"}"#,
            // A challenge nginx logged after the agent.
            r#"10.0.0.7 - - [27/Nov/2026:10:00:02 +0000] "GET /orders HTTP/1.1" 401 0 "-" "curl/8.5.0" "Bearer error=\x22invalid_token\x22, error_description=\x22token has invalid audience\x22""#,
            // No credentials sent: a scheme's first leg, not a reason.
            r#"{"ts":"2026-11-27T10:00:03Z","event":"reject","reason":"credentials.missing","status":401,"route":"/orders","client":"10.9.0.3"}"#,
            // A refusal that says nothing.
            r#"10.0.0.8 - - [27/Nov/2026:10:00:04 +0000] "GET /orders HTTP/1.1" 401 0 "-" "curl/8.5.0""#,
        ] {
            s.line(l);
        }
        let r = s.report();
        let counts: Vec<(&str, &str, u64)> = r
            .reasons
            .iter()
            .map(|x| (x.cause.id(), x.family, x.count))
            .collect();
        assert_eq!(
            counts,
            vec![
                ("token.expired", "access log (JSON)", 2),
                ("token.audience_mismatch", "access log (combined)", 1),
            ],
            "{r:?}"
        );
        assert_eq!(r.explained(), 3);
        assert!(
            r.reasons[0].example.contains("10.9.0.1"),
            "the least example: {r:?}"
        );
    }
}
