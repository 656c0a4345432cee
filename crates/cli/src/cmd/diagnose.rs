//! `authdoctor diagnose`: the request from flags, a pasted curl line or
//! `-- curl …`; the context from flags; the diagnosis in the chosen format.

use crate::args::{DiagnoseArgs, Format};
use authdoctor_doctor::curl::{self, CurlError};
use authdoctor_doctor::{Context, Diagnosis, DoctorError, RequestSpec, report};
use authdoctor_secret::{ClientSecret, RefreshToken};
use std::io::Write;

/// Why a diagnosis could not run.
#[derive(Debug, thiserror::Error)]
pub enum DiagnoseFailure {
    /// The request is not usable.
    #[error("{0}")]
    Curl(#[from] CurlError),
    /// No URL or command.
    #[error(
        "Give the URL (authdoctor diagnose -H 'Authorization: Bearer …' URL), a curl line (--curl '…'), or -- curl …."
    )]
    Nothing,
    /// A URL beside a curl command.
    #[error(
        "A URL was given beside a curl command, which has its own; give the URL once (in the curl command, or alone with the curl-like flags)."
    )]
    TwoUrls,
    /// Both --curl and `-- curl …`.
    #[error("Give the curl command once: with --curl '…' or after --, not both.")]
    TwoCommands,
    /// An authdoctor option inside the curl command.
    #[error(
        "{0} is an option of authdoctor, not of curl: put it before the `--` (or outside the quoted --curl line)."
    )]
    OwnOptionInCurl(String),
    /// The runtime.
    #[error("The async runtime could not start: {0}.")]
    Runtime(std::io::Error),
    /// The network.
    #[error("{0}")]
    Doctor(#[from] DoctorError),
    /// Output.
    #[error("Writing the output failed: {0}.")]
    Io(#[from] std::io::Error),
    /// The HAR file.
    #[error("{0}")]
    Har(#[from] authdoctor_doctor::har::HarError),
    /// A file.
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
}

/// The options of `diagnose` that are authdoctor's own, not curl's: found
/// inside a curl command, they are a mistake to name, never a curl word.
const OWN_OPTIONS: &[&str] = &[
    "--issuer",
    "--audience",
    "--scope",
    "--client-id",
    "--client-secret",
    "--refresh-token",
    "--token-endpoint",
    "--trust-origin",
    "--allow-http",
    "--leeway",
    "--no-retry",
    "--retry-unsafe",
    "--timeout",
    "--show-secrets",
    "--format",
    "--json",
    "--har",
    "--entry",
];

/// Turns the arguments into a request, by one argument model: curl's own
/// words (`--curl '…'`, `--curl -`, `--curl @FILE`, or after `--`) and the
/// curl-like flags of `diagnose` are read together by one parser, as curl
/// would read them on one command line; a URL given twice is refused.
pub fn spec(a: &DiagnoseArgs) -> Result<RequestSpec, DiagnoseFailure> {
    let mut words: Vec<String> = if let Some(line) = &a.curl {
        let line = if line == "-" || line.starts_with('@') {
            crate::input::arg_or_stdin(line)?
        } else {
            line.clone()
        };
        curl::split_line(&line)?
    } else if !a.curl_words.is_empty() {
        a.curl_words.clone()
    } else {
        vec!["curl".to_owned()]
    };
    if a.curl.is_some() && !a.curl_words.is_empty() {
        return Err(DiagnoseFailure::TwoCommands);
    }
    if let Some(own) = words
        .iter()
        .map(|w| w.split('=').next().unwrap_or(w))
        .find(|w| OWN_OPTIONS.contains(w))
    {
        return Err(DiagnoseFailure::OwnOptionInCurl(own.to_owned()));
    }
    let given_curl = words.len() > 1;
    let mut push = |f: &str, v: &str| {
        words.push(f.to_owned());
        words.push(v.to_owned());
    };
    if let Some(m) = &a.method {
        push("-X", m);
    }
    for h in &a.headers {
        push("-H", h);
    }
    for d in &a.data {
        push("-d", d);
    }
    if let Some(u) = &a.user {
        push("-u", u);
    }
    if let Some(c) = &a.cookie {
        push("-b", c);
    }
    if a.digest {
        words.push("--digest".into());
    }
    if a.anyauth {
        words.push("--anyauth".into());
    }
    if a.follow {
        words.push("-L".into());
    }
    if a.location_trusted {
        words.push("--location-trusted".into());
    }
    if a.insecure {
        words.push("-k".into());
    }
    if let Some(c) = &a.cacert {
        words.push("--cacert".into());
        words.push(c.display().to_string());
    }
    if let Some(c) = &a.cert {
        words.push("--cert".into());
        words.push(c.display().to_string());
    }
    if let Some(k) = &a.key {
        words.push("--key".into());
        words.push(k.display().to_string());
    }
    if let Some(u) = &a.url {
        if given_curl {
            return Err(DiagnoseFailure::TwoUrls);
        }
        words.push("--url".into());
        words.push(u.clone());
    }
    if !given_curl && a.url.is_none() {
        return Err(DiagnoseFailure::Nothing);
    }
    Ok(curl::parse_words(&words)?)
}

/// The context flags.
pub fn context(a: &DiagnoseArgs) -> Context {
    Context {
        issuer: a.expect.issuer.clone(),
        audience: a.expect.audience.clone(),
        scopes: a.expect.scopes(),
        client_id: a.expect.client_id.clone(),
        client_secret: a.client_secret.clone().map(ClientSecret::new),
        refresh_token: a.refresh_token.clone().map(RefreshToken::new),
        token_endpoint: a.token_endpoint.clone(),
        trusted_origins: a.trust_origin.clone(),
        allow_http: a.allow_http,
        leeway: a.expect.leeway,
        retry: !a.no_retry,
        retry_unsafe: a.retry_unsafe,
        timeout_secs: a.timeout,
        progress: progress_line(a),
        run: Default::default(),
    }
}

/// A progress line on standard error, when it is a terminal and the output
/// is for a person: each network step as it starts, erased at the end.
fn progress_line(a: &DiagnoseArgs) -> Option<authdoctor_doctor::spec::Progress> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() || a.output.format() != Format::Human {
        return None;
    }
    // NO_COLOR drops the dimming; the line is still erased and rewritten.
    let (dim, reset) = if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        ("", "")
    } else {
        ("\x1b[2m", "\x1b[0m")
    };
    Some(authdoctor_doctor::spec::Progress(std::sync::Arc::new(
        move |step: &str| {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\r\x1b[2K{dim}authdoctor: {step}…{reset}");
            let _ = e.flush();
        },
    )))
}

/// Erases the progress line.
fn clear_progress(ctx: &Context) {
    if ctx.progress.is_some() {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
    }
}

/// Writes a diagnosis in a format, every secret masked unless `show`.
pub fn render(
    d: &Diagnosis,
    format: Format,
    show: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut buf, d)?;
            writeln!(buf)?;
        }
        Format::Human => report::human(d, &mut buf)?,
        Format::Markdown => report::markdown(d, &mut buf)?,
    }
    out.write_all(d.finish(&String::from_utf8_lossy(&buf), show).as_bytes())
}

/// Runs the command; returns the exit status.
pub fn run(a: &DiagnoseArgs, out: &mut dyn Write) -> Result<u8, DiagnoseFailure> {
    let ctx = context(a);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DiagnoseFailure::Runtime)?;
    if let Some(path) = &a.har {
        return har(a, path, &ctx, &rt, out);
    }
    let spec = spec(a)?;
    let d = rt.block_on(authdoctor_doctor::run(&spec, &ctx));
    clear_progress(&ctx);
    let d = d?;
    render(&d, a.output.format(), a.output.show_secrets, out)?;
    Ok(d.exit_code())
}

/// Every rejected entry of a HAR file, each sent again and diagnosed.
/// A sign-in the identity provider refused, in the HAR's place of its
/// entry: what the provider said, the cause it comes to, what it means and
/// what to do.
fn sign_in_refusal(
    index: usize,
    r: &authdoctor_diagnosis::sign_in::SignInRefusal,
    format: Format,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let said = match &r.error_description {
        Some(d) => format!("{} ({d:?})", r.error),
        None => r.error.clone(),
    };
    let cause = r
        .cause
        .map(|c| format!("  [{}]", c.id()))
        .unwrap_or_default();
    if format == Format::Markdown {
        writeln!(
            out,
            "── entry {index}: the identity provider refused the sign-in ({})\n\n### ✗ `{said}`{cause}\n\n{}\n\n**Fix:** {}\n",
            r.url, r.meaning, r.fix
        )
    } else {
        writeln!(
            out,
            "── entry {index}: the identity provider refused the sign-in ({})\n✗ {said}{cause}\n  {}\n  → {}\n",
            r.url, r.meaning, r.fix
        )
    }
}

fn har(
    a: &DiagnoseArgs,
    path: &std::path::Path,
    ctx: &Context,
    rt: &tokio::runtime::Runtime,
    out: &mut dyn Write,
) -> Result<u8, DiagnoseFailure> {
    let text = crate::input::file_text(path)?;
    // The entries to diagnose, and the sign-ins the provider refused (read
    // from the session as recorded, said in their place among them).
    let authdoctor_doctor::har::Reading {
        entries,
        sign_in_refusals: refusals,
    } = authdoctor_doctor::har::read(&text, a.entry)?;
    let mut worst = refusals
        .iter()
        .map(|(_, r)| if r.cause.is_some() { 1 } else { 3 })
        .max()
        .unwrap_or(0u8);
    let mut refused = refusals.iter().peekable();
    let format = a.output.format();
    let mut failed = 0usize;
    let mut first_error = None;
    let mut json_entries = Vec::new();
    for e in &entries {
        if format != Format::Json {
            while let Some((i, r)) = refused.next_if(|(i, _)| *i < e.index) {
                sign_in_refusal(*i, r, format, out)?;
            }
        }
        let d = rt.block_on(authdoctor_doctor::run(&e.spec, ctx));
        clear_progress(ctx);
        // One entry that cannot be diagnosed (a request the browser
        // blocked, to a server not reachable from here) is said as such;
        // the other entries are still diagnosed.
        let d = match d {
            Ok(d) => d,
            Err(err) => {
                failed += 1;
                let why = authdoctor_secret::scrub(&err.to_string()).into_owned();
                first_error.get_or_insert(err);
                if entries.len() == 1 {
                    // The one entry: its error is the run's (below).
                } else if a.output.format() == Format::Json {
                    json_entries.push(serde_json::json!({"entry": e.index, "browser_status": e.status, "browser_error": e.browser_error, "error": why}));
                } else {
                    writeln!(
                        out,
                        "── entry {}: {} {} (the browser saw {})\nNot diagnosed: {why}\n",
                        e.index,
                        e.spec.method,
                        authdoctor_net::display_url(&e.spec.url),
                        e.status
                    )?;
                }
                continue;
            }
        };
        worst = worst.max(d.exit_code());
        match a.output.format() {
            Format::Json => {
                let v = serde_json::to_value(&d).map_err(std::io::Error::from)?;
                json_entries.push(serde_json::json!({"entry": e.index, "browser_status": e.status, "browser_error": e.browser_error, "diagnosis": v}));
            }
            f => {
                writeln!(
                    out,
                    "── entry {}: {} {} (the browser saw {})",
                    e.index,
                    e.spec.method,
                    authdoctor_net::display_url(&e.spec.url),
                    e.status
                )?;
                render(&d, f, a.output.show_secrets, out)?;
                writeln!(out)?;
            }
        }
        if a.output.format() == Format::Json {
            // Masked entry by entry: each diagnosis knows its own secrets.
            if let Some(last) = json_entries.last_mut() {
                let masked = d.finish(&last.to_string(), a.output.show_secrets);
                *last = serde_json::from_str(&masked).unwrap_or(serde_json::Value::Null);
            }
        }
    }
    if format != Format::Json {
        for (i, r) in refused {
            sign_in_refusal(*i, r, format, out)?;
        }
    }
    // Not one entry could be diagnosed (and no sign-in refused): the first
    // one's error is the run's (one line, exit 2).
    if let (Some(err), true) = (first_error, failed == entries.len() && refusals.is_empty()) {
        return Err(err.into());
    }
    if a.output.format() == Format::Json {
        let refusals: Vec<serde_json::Value> = refusals
            .iter()
            .map(|(i, r)| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["entry"] = (*i).into();
                v
            })
            .collect();
        let v = serde_json::json!({"schema": "authdoctor.har/1", "entries": json_entries, "sign_in_refusals": refusals});
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&v).map_err(std::io::Error::from)?
        )?;
    } else if entries.is_empty() && refusals.is_empty() {
        writeln!(
            out,
            "No entry of the HAR file was rejected (401, 403) or blocked by the browser: nothing to diagnose."
        )?;
    }
    Ok(worst)
}
