//! A pasted curl command line, read as a shell would (quotes, backslash
//! line continuations) and then as curl would, for the options that shape
//! the request. Options that do not change what is sent are noted; unknown
//! ones are kept and reported, never silently dropped.

use crate::spec::{JarCookie, PasswordScheme, RequestSpec};
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
    /// A local file named by the command that cannot be used (a cookie
    /// jar, a body, a file to upload).
    #[error("{0}")]
    File(String),
    /// A bare word after the URL: a second URL, or the value of an option
    /// curl does not have.
    #[error(
        "The curl command has a bare word after its URL (word {word}{after}); authdoctor diagnoses one request to one URL. Remove it{hint}."
    )]
    ExtraWord {
        /// Its position, counting `curl` as 0.
        word: usize,
        /// `, after the unknown option --x`, when one stood before it.
        after: String,
        /// What to do about that option.
        hint: String,
    },
    /// A body from standard input, which a diagnosis cannot replay.
    #[error(
        "{0} reads the body from standard input, which authdoctor cannot replay; save the body to a file and give {0} @FILE."
    )]
    Stdin(String),
}

/// Reads a file a curl option names, within the bound.
fn file(path: &str) -> Result<Vec<u8>, CurlError> {
    crate::files::read(std::path::Path::new(path), crate::files::MAX_FILE)
        .map_err(|e| CurlError::File(e.to_string()))
}

/// A multipart/form-data body from curl's -F parts (RFC 7578): `name=value`,
/// `name=@file` (a file part, `;type=` and `;filename=` honoured) and
/// `name=<file` (a field whose value is the file's content).
fn multipart(parts: &[(String, bool)]) -> Result<(String, Vec<u8>), CurlError> {
    const BOUNDARY: &str = "------------------------authdoctor7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (part, literal) in parts {
        let (name, value) = part.split_once('=').unwrap_or((part.as_str(), ""));
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        if !literal && value.starts_with('@') {
            let mut bits = value[1..].split(';');
            let path = bits.next().unwrap_or("");
            let mut ctype = "application/octet-stream".to_owned();
            let mut fname = std::path::Path::new(path)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            for b in bits {
                if let Some(t) = b.strip_prefix("type=") {
                    ctype = t.to_owned();
                } else if let Some(f) = b.strip_prefix("filename=") {
                    fname = f.to_owned();
                }
            }
            let content = file(path)?;
            body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{fname}\"\r\nContent-Type: {ctype}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(&content);
        } else {
            let content = if !literal && value.starts_with('<') {
                file(&value[1..])?
            } else {
                value.as_bytes().to_vec()
            };
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(&content);
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    Ok((format!("multipart/form-data; boundary={BOUNDARY}"), body))
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
    parse_words(&split_line(line)?)
}

/// Splits a pasted command line into words as a shell would: quotes,
/// backslash-newline continuations (and `^` ones from Windows' "Copy as
/// cURL (cmd)").
pub fn split_line(line: &str) -> Result<Vec<String>, CurlError> {
    let joined = line
        .trim()
        .replace("\\\r\n", " ")
        .replace("\\\n", " ")
        .replace("^\r\n", " ")
        .replace("^\n", " ");
    shlex::split(&joined).ok_or(CurlError::Quotes)
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
    let mut forms: Vec<(String, bool)> = Vec::new();
    let mut upload: Option<String> = None;
    let mut index = 0usize;
    let mut last_unknown: Option<(usize, String)> = None;
    let mut get_with_data = false;
    let mut head = false;
    let mut user: Option<String> = None;
    // --negotiate or --ntlm: -u is theirs, never sent as Basic.
    let mut unspoken = false;
    while let Some(w) = it.next() {
        index += 1;
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
            index += 1;
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
                // Byte 2 may fall inside a character (`-é`): slice only on a boundary.
                && matches!(
                    w.get(..2),
                    Some("-X" | "-H" | "-d" | "-u" | "-b" | "-A" | "-F" | "-T")
                )
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
                } else if let Some(path) = d.strip_prefix('@').filter(|_| flag != "--data-raw") {
                    if path == "-" {
                        return Err(CurlError::Stdin(flag.to_owned()));
                    }
                    let bytes = file(path)?;
                    let mut text = String::from_utf8_lossy(&bytes).into_owned();
                    if flag != "--data-binary" {
                        // curl -d @file drops carriage returns and newlines.
                        text.retain(|c| c != '\r' && c != '\n');
                    }
                    data.push(text);
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
            // How -u's user and password go is settled once every option
            // is read (--digest, --negotiate may come after it).
            "-u" | "--user" => user = Some(take(flag)?),
            "--oauth2-bearer" => spec
                .headers
                .push(("Authorization".into(), format!("Bearer {}", take(flag)?))),
            "-c" | "--cookie-jar" => {
                let _ = take(flag)?;
                spec.cookie_engine = true;
            }
            "-b" | "--cookie" => {
                let c = take(flag)?;
                spec.cookie_engine = true;
                if c.is_empty() {
                    // `-b ''` turns curl's cookie engine on with no cookie.
                } else if c.contains('=') {
                    spec.headers.push(("Cookie".into(), c));
                } else {
                    spec.jar = read_jar(&c)?;
                }
            }
            "-A" | "--user-agent" => spec.headers.push(("User-Agent".into(), take(flag)?)),
            "-L" | "--location" => spec.follow = true,
            "--location-trusted" => {
                spec.follow = true;
                spec.location_trusted = true;
            }
            "-F" | "--form" => forms.push((take(flag)?, false)),
            "--form-string" => forms.push((take(flag)?, true)),
            "-T" | "--upload-file" => {
                let path = take(flag)?;
                if path == "-" || path == "." {
                    return Err(CurlError::Stdin(flag.to_owned()));
                }
                upload = Some(path);
            }
            // A password sent in answer to the server's challenge; curl's
            // last word on it counts.
            "--digest" => spec.password_scheme = Some(PasswordScheme::Digest),
            "--anyauth" => spec.password_scheme = Some(PasswordScheme::Any),
            "--basic" => spec.password_scheme = None,
            // Schemes the doctor does not speak: said plainly, so that the
            // answer (to a request without them) is read for what it is.
            f @ ("--negotiate" | "--ntlm" | "--ntlm-wb") => {
                unspoken = true;
                spec.notes.push(format!(
                    "{f} is not spoken here (SPNEGO/Kerberos and NTLM need the operating system's security context): the request was sent without it, so the answer is the one a client without a ticket or NTLM handshake gets; check with `klist` that a ticket for HTTP/<host> is held, and with curl -v {f} -u : that curl sends `Authorization: Negotiate …`"
                ));
            }
            "-k" | "--insecure" => spec.insecure = true,
            "--cacert" => spec.cacert = Some(take(flag)?.into()),
            // A client certificate (mutual TLS), PEM, and its key (in the
            // same file where no --key is given).
            "-E" | "--cert" => spec.client_cert = Some(take(flag)?.into()),
            "--key" => spec.client_key = Some(take(flag)?.into()),
            "-G" | "--get" => get_with_data = true,
            "-I" | "--head" => head = true,
            "--url" => spec.url = take(flag)?,
            f if SKIP_WITH_VALUE.contains(&f) => {
                let _ = take(f)?;
            }
            f if SKIP_FLAGS.contains(&f) => {}
            f if f.starts_with('-') && f.len() > 1 => {
                spec.notes.push(format!("unknown curl option {f} ignored"));
                last_unknown = Some((index, f.to_owned()));
            }
            url if spec.url.is_empty() => spec.url = url.to_owned(),
            _ => {
                let (after, hint) = match &last_unknown {
                    Some((i, f)) if *i + 1 == index => (
                        format!(", after the unknown option {f}"),
                        format!(
                            "; if it is the value of {f}, that is not a curl option: an authdoctor option goes before `--` or outside the quoted curl line"
                        ),
                    ),
                    _ => (String::new(), String::new()),
                };
                return Err(CurlError::ExtraWord {
                    word: index,
                    after,
                    hint,
                });
            }
        }
    }
    if spec.url.is_empty() {
        return Err(CurlError::NoUrl);
    }
    // -u's user and password go as Basic, the header the doctor carries
    // them in (--digest and --anyauth answer the challenge with them
    // later); not at all where --negotiate or --ntlm owns them.
    match (user, unspoken) {
        (Some(u), false) => {
            let pair = if u.contains(':') { u } else { format!("{u}:") };
            spec.headers.push((
                "Authorization".into(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ),
            ));
        }
        (Some(_), true) => {}
        // --digest and --anyauth without -u: an Authorization given with
        // -H goes as it is.
        (None, _) => {
            if let Some(s) = spec.password_scheme.take() {
                spec.notes.push(format!(
                    "{} without -u USER:PASSWORD has nothing to send; ignored",
                    s.curl_option()
                ));
            }
        }
    }
    if !spec.url.contains("://") {
        spec.url = format!("http://{}", spec.url);
    }
    if !forms.is_empty() {
        if !data.is_empty() || upload.is_some() {
            spec.notes.push(
                "-F cannot be mixed with -d or -T (curl refuses it too); the -F form is sent"
                    .into(),
            );
        }
        let (ctype, body) = multipart(&forms)?;
        spec.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        spec.headers.push(("Content-Type".into(), ctype));
        spec.body = Some(body);
        spec.method = method.unwrap_or_else(|| "POST".into());
        return Ok(spec);
    }
    if let Some(path) = upload {
        spec.body = Some(file(&path)?);
        if spec.url.ends_with('/') {
            // curl appends the file's name to a URL that ends in a slash.
            if let Some(name) = std::path::Path::new(&path).file_name() {
                spec.url.push_str(&name.to_string_lossy());
            }
        }
        spec.method = method.unwrap_or_else(|| "PUT".into());
        return Ok(spec);
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

/// Reads a Netscape cookie file (what curl -c writes), within the bound.
pub fn read_jar(path: &str) -> Result<Vec<JarCookie>, CurlError> {
    let bytes = file(path)?;
    Ok(parse_jar(&String::from_utf8_lossy(&bytes)))
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
    fn a_multibyte_character_after_a_dash_is_not_sliced_through() {
        // Found by fuzzing (fuzz/fuzz_targets/curl.rs): `-\u{5a7}…` panicked
        // slicing the flag's first two bytes.
        let _ = parse_line("curl -X POS\u{5a7}\u{7ef}OS -H 'Authorization:;' http://x.test/");
        let s = parse_line("curl -\u{e9}t\u{e9} http://x.test/").unwrap();
        assert!(s.notes.iter().any(|n| n.contains("unknown curl option")));
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

    #[test]
    fn a_password_answered_to_the_challenge() {
        let s = p("curl --digest -u admin:pw https://x.test/a");
        assert_eq!(s.password_scheme, Some(PasswordScheme::Digest));
        // -u still carries the password, as the Basic header it would be.
        assert!(
            s.header("authorization")
                .is_some_and(|v| v.starts_with("Basic "))
        );
        assert!(!s.cookie_engine);
        // curl's last word counts; --anyauth; --basic undoes both.
        assert_eq!(
            p("curl -u a:b --digest --anyauth https://x.test/").password_scheme,
            Some(PasswordScheme::Any)
        );
        assert_eq!(
            p("curl -u a:b --digest --basic https://x.test/").password_scheme,
            None
        );
        // Without -u there is nothing to answer with: an Authorization of
        // -H goes as it is.
        let s = p("curl --digest -H 'Authorization: Basic YTpi' https://x.test/");
        assert_eq!(s.password_scheme, None);
        assert!(
            s.notes.iter().any(|n| n.contains("--digest without -u")),
            "{:?}",
            s.notes
        );
        // `-b ''` and -c turn the cookie engine on, with no cookie.
        let s = p("curl -b '' --digest -u a:b https://x.test/");
        assert!(s.cookie_engine && s.jar.is_empty() && s.header("cookie").is_none());
        assert!(p("curl -c jar.txt https://x.test/").cookie_engine);
    }

    #[test]
    fn a_scheme_not_spoken_here_is_said_so() {
        let s = p("curl --negotiate -u : https://intranet.test/");
        assert!(
            s.notes
                .iter()
                .any(|n| n.starts_with("--negotiate is not spoken here")),
            "{:?}",
            s.notes
        );
        assert!(
            !s.notes.iter().any(|n| n.contains("unknown curl option")),
            "{:?}",
            s.notes
        );
        // Its `-u :` is no Basic credential.
        assert!(s.header("authorization").is_none(), "{:?}", s.headers);
    }
}
