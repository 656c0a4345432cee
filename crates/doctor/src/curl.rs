//! A pasted curl command line, read as a shell would (quotes, backslash
//! line continuations) and then as curl would, for the options that shape
//! the request. Options that do not change what is sent are noted; unknown
//! ones are kept and reported, never silently dropped.

use crate::spec::{JarCookie, RequestSpec};
use base64::Engine;

/// Why a curl line cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CurlError {
    /// Unbalanced quotes.
    #[error("The curl command has an unbalanced quote; paste it whole.")]
    Quotes,
    /// Not a curl command.
    #[error("That is not a curl command: it should start with `curl`.")]
    NotCurl,
    /// No URL.
    #[error("The curl command has no URL.")]
    NoUrl,
    /// An option without its value.
    #[error("The curl option {0} needs a value.")]
    MissingValue(String),
    /// A cookie jar that cannot be read.
    #[error("The cookie file {0} given to -b cannot be read.")]
    Jar(String),
}

/// Options whose value is skipped because they do not change the request.
const SKIP_WITH_VALUE: &[&str] = &[
    "-o",
    "--output",
    "-w",
    "--write-out",
    "-m",
    "--max-time",
    "--connect-timeout",
    "-c",
    "--cookie-jar",
    "--retry",
    "-D",
    "--dump-header",
    "--capath",
    "-e",
    "--referer",
    "--limit-rate",
    "--max-redirs",
    "-K",
    "--config",
    "--trace",
    "--trace-ascii",
    "--stderr",
];
/// Flags that do not change the request.
const SKIP_FLAGS: &[&str] = &[
    "-i",
    "--include",
    "-s",
    "--silent",
    "-S",
    "--show-error",
    "-v",
    "--verbose",
    "-f",
    "--fail",
    "--fail-with-body",
    "--compressed",
    "-#",
    "--progress-bar",
    "-N",
    "--no-buffer",
    "--http1.1",
    "--http2",
    "-g",
    "--globoff",
    "-sS",
    "-Ss",
    "-si",
    "-is",
    "-sv",
    "-vs",
    "-fsS",
    "-fs",
    "-sSL",
    "-sL",
    "-Ls",
    "-iL",
    "-Li",
];

/// Parses `curl …` (with or without the word curl at the front when `words`
/// come from `-- curl …` already split).
pub fn parse_line(line: &str) -> Result<RequestSpec, CurlError> {
    // Backslash-newline continuations, as a shell joins them.
    let joined = line.replace("\\\r\n", " ").replace("\\\n", " ");
    let words = shlex::split(&joined).ok_or(CurlError::Quotes)?;
    parse_words(&words)
}

/// Parses already-split words; the first must be `curl`.
pub fn parse_words(words: &[String]) -> Result<RequestSpec, CurlError> {
    let mut it = words.iter().map(String::as_str).peekable();
    match it.next() {
        Some(w) if w == "curl" || w.ends_with("/curl") => {}
        _ => return Err(CurlError::NotCurl),
    }
    let mut spec = RequestSpec::default();
    let mut method: Option<String> = None;
    let mut data: Vec<String> = Vec::new();
    let mut get_with_data = false;
    let mut head = false;
    while let Some(w) = it.next() {
        // Shell around the command: a pipe or a list ends it; redirections go.
        if matches!(w, "|" | "||" | "&&" | ";" | "&") {
            spec.notes.push(format!(
                "the command line continues after {w:?}; only the curl command was read"
            ));
            break;
        }
        if matches!(w, ">" | ">>" | "2>" | "<") {
            it.next();
            continue;
        }
        if w.starts_with('>') || w.starts_with("2>") || w.starts_with('<') || w.starts_with("&>") {
            continue;
        }
        let mut value = |name: &str| {
            it.next()
                .map(str::to_owned)
                .ok_or_else(|| CurlError::MissingValue(name.to_owned()))
        };
        // `-XPOST`, `-HName: v` and `--opt=value` forms.
        let (flag, inline): (&str, Option<String>) =
            if let Some((f, v)) = w.split_once('=').filter(|(f, _)| f.starts_with("--")) {
                (f, Some(v.to_owned()))
            } else if w.len() > 2
                && w.starts_with('-')
                && !w.starts_with("--")
                && matches!(&w[..2], "-X" | "-H" | "-d" | "-u" | "-b" | "-A")
            {
                (&w[..2], Some(w[2..].to_owned()))
            } else {
                (w, None)
            };
        let mut take = |name: &str| match &inline {
            Some(v) => Ok(v.clone()),
            None => value(name),
        };
        match flag {
            "-X" | "--request" => method = Some(take(flag)?.to_ascii_uppercase()),
            "-H" | "--header" => {
                let h = take(flag)?;
                if let Some((n, v)) = h.split_once(':') {
                    spec.headers
                        .push((n.trim().to_owned(), v.trim_start().to_owned()));
                } else {
                    spec.notes
                        .push(format!("-H {h:?} has no colon; curl would drop it"));
                }
            }
            "-d" | "--data" | "--data-raw" | "--data-ascii" | "--data-binary"
            | "--data-urlencode" => {
                let d = take(flag)?;
                if flag == "--data-urlencode" {
                    let enc = match d.split_once('=') {
                        Some((k, v)) => format!(
                            "{k}={}",
                            url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                        ),
                        None => url::form_urlencoded::byte_serialize(d.as_bytes()).collect(),
                    };
                    data.push(enc);
                } else if d.starts_with('@') && flag != "--data-raw" {
                    spec.notes.push(format!("{flag} {d}: the body is read from a file, which authdoctor does not do; it sends no body"));
                } else {
                    data.push(d);
                }
            }
            "--json" => {
                data.push(take(flag)?);
                spec.headers
                    .push(("Content-Type".into(), "application/json".into()));
                spec.headers
                    .push(("Accept".into(), "application/json".into()));
            }
            "-u" | "--user" => {
                let u = take(flag)?;
                let pair = if u.contains(':') { u } else { format!("{u}:") };
                spec.headers.push((
                    "Authorization".into(),
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(pair)
                    ),
                ));
            }
            "--oauth2-bearer" => spec
                .headers
                .push(("Authorization".into(), format!("Bearer {}", take(flag)?))),
            "-b" | "--cookie" => {
                let c = take(flag)?;
                if c.contains('=') {
                    spec.headers.push(("Cookie".into(), c));
                } else {
                    spec.jar = read_jar(&c)?;
                }
            }
            "-A" | "--user-agent" => spec.headers.push(("User-Agent".into(), take(flag)?)),
            "-L" | "--location" | "--location-trusted" => {
                spec.follow = true;
                if flag == "--location-trusted" {
                    spec.notes.push("--location-trusted: curl would resend credentials to other hosts; authdoctor follows as plain -L does".into());
                }
            }
            "-k" | "--insecure" => spec.insecure = true,
            "--cacert" => spec.cacert = Some(take(flag)?.into()),
            "-G" | "--get" => get_with_data = true,
            "-I" | "--head" => head = true,
            "--url" => spec.url = take(flag)?,
            f if SKIP_WITH_VALUE.contains(&f) => {
                let _ = take(f)?;
            }
            f if SKIP_FLAGS.contains(&f) => {}
            f if f.starts_with('-') && f.len() > 1 => {
                spec.notes.push(format!("unknown curl option {f} ignored"))
            }
            url => spec.url = url.to_owned(),
        }
    }
    if spec.url.is_empty() {
        return Err(CurlError::NoUrl);
    }
    if !spec.url.contains("://") {
        spec.url = format!("http://{}", spec.url);
    }
    let body = (!data.is_empty()).then(|| data.join("&"));
    if get_with_data {
        if let Some(b) = &body {
            let sep = if spec.url.contains('?') { '&' } else { '?' };
            spec.url = format!("{}{sep}{b}", spec.url);
        }
    } else if let Some(b) = body {
        if spec.header("content-type").is_none() {
            spec.headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
        }
        spec.body = Some(b.into_bytes());
    }
    spec.method = method.unwrap_or_else(|| {
        if head {
            "HEAD".into()
        } else if spec.body.is_some() {
            "POST".into()
        } else {
            "GET".into()
        }
    });
    Ok(spec)
}

/// Reads a Netscape cookie file (what curl -c writes).
pub fn read_jar(path: &str) -> Result<Vec<JarCookie>, CurlError> {
    let text = std::fs::read_to_string(path).map_err(|_| CurlError::Jar(path.to_owned()))?;
    Ok(parse_jar(&text))
}

/// Parses Netscape cookie-file text.
pub fn parse_jar(text: &str) -> Vec<JarCookie> {
    text.lines()
        .filter_map(|l| {
            let l = l.strip_prefix("#HttpOnly_").unwrap_or(l);
            if l.starts_with('#') || l.trim().is_empty() {
                return None;
            }
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 7).then(|| JarCookie {
                domain: f[0].trim_start_matches('.').to_owned(),
                include_subdomains: f[1] == "TRUE",
                path: f[2].to_owned(),
                secure: f[3] == "TRUE",
                expires: f[4].parse().unwrap_or(0),
                name: f[5].to_owned(),
                value: authdoctor_secret::CookieValue::new(f[6]),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RequestSpec {
        parse_line(s).unwrap()
    }

    #[test]
    fn the_usual_shapes() {
        let s = p("curl -i -H 'Authorization: Bearer abc' https://api.test/orders");
        assert_eq!(
            (s.method.as_str(), s.url.as_str()),
            ("GET", "https://api.test/orders")
        );
        assert_eq!(s.header("authorization"), Some("Bearer abc"));
        let s = p("curl -X post -d a=1 -d b=2 --url https://x.test/t");
        assert_eq!(s.method, "POST");
        assert_eq!(s.body.as_deref(), Some(&b"a=1&b=2"[..]));
        assert_eq!(
            s.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        let s = p("curl -d grant_type=client_credentials https://x.test/token");
        assert_eq!(s.method, "POST");
        assert_eq!(
            s.form(),
            [("grant_type".to_owned(), "client_credentials".to_owned())]
        );
        let s = p("curl -u alice:wonderland -L -k https://x.test/");
        assert_eq!(
            s.header("authorization"),
            Some("Basic YWxpY2U6d29uZGVybGFuZA==")
        );
        assert!(s.follow && s.insecure);
    }

    #[test]
    fn continuations_inline_values_and_unknown_options() {
        let s = p(
            "curl \\\n  -XPUT \\\n  -H'X-Api-Key: k1' \\\n  --header=Accept:\\ text/plain --frobnicate example.test/a",
        );
        assert_eq!(s.method, "PUT");
        assert_eq!(s.header("x-api-key"), Some("k1"));
        assert_eq!(s.url, "http://example.test/a");
        assert!(s.notes.iter().any(|n| n.contains("--frobnicate")));
    }

    #[test]
    fn shell_around_the_command() {
        let s = p(
            "curl -s -d user=a https://x.test/login >/dev/null 2>&1 && curl https://x.test/other | jq .",
        );
        assert_eq!(s.url, "https://x.test/login");
        assert_eq!(s.method, "POST");
        let s = p("curl https://x.test/a > out.json");
        assert_eq!(s.url, "https://x.test/a");
    }

    #[test]
    fn errors() {
        let err = |l: &str| parse_line(l).err();
        assert_eq!(err("curl 'https://x"), Some(CurlError::Quotes));
        assert_eq!(err("wget https://x"), Some(CurlError::NotCurl));
        assert_eq!(err("curl -H"), Some(CurlError::MissingValue("-H".into())));
        assert_eq!(err("curl -i"), Some(CurlError::NoUrl));
    }

    #[test]
    fn a_cookie_jar() {
        let jar = parse_jar(
            "# Netscape HTTP Cookie File\n#HttpOnly_127.0.0.1\tFALSE\t/app\tFALSE\t1800000000\tlab_session\tabc123\n",
        );
        assert_eq!(jar.len(), 1);
        assert_eq!(
            (jar[0].path.as_str(), jar[0].name.as_str(), jar[0].expires),
            ("/app", "lab_session", 1_800_000_000)
        );
    }
}
