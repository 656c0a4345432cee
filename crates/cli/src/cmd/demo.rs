//! `authdoctor demo`: the embedded lab, each of its faults produced and
//! diagnosed, one line each, and the full report for one.

use crate::args::{DemoArgs, Format};
use crate::cmd::diagnose::{DiagnoseFailure, render};
use crate::output::{BAD, BOLD, DIM, GOOD, styled};
use authdoctor_causes::Cause;
use authdoctor_doctor::{Context, Diagnosis, curl};
use authdoctor_lab::{Lab, Options};
use authdoctor_secret::ClientSecret;
use serde_json::json;
use std::io::Write;

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoFailure {
    /// The lab.
    #[error(transparent)]
    Lab(#[from] authdoctor_lab::LabError),
    /// A diagnosis.
    #[error(transparent)]
    Diagnose(#[from] DiagnoseFailure),
    /// The runtime.
    #[error("The async runtime could not start: {0}.")]
    Runtime(std::io::Error),
    /// Output.
    #[error("Writing the output failed: {0}.")]
    Io(#[from] std::io::Error),
}

/// What one fault came to.
struct Outcome {
    fault: Cause,
    description: &'static str,
    diagnosis: Diagnosis,
}

/// Runs the setup commands of an example (`curl … -c JAR && curl …`) the way
/// curl would, writing the jar, and returns the last command.
async fn setup(line: &str, dir: &std::path::Path) -> Result<String, DiagnoseFailure> {
    let parts: Vec<&str> = line.split(" && ").collect();
    let jar = dir.join("cookies.txt");
    for p in &parts[..parts.len() - 1] {
        let words = shlex_words(p)?;
        let spec = curl::parse_words(&words)?;
        let probe = authdoctor_net::Probe::new(std::time::Duration::from_secs(10), false)
            .map_err(authdoctor_doctor::DoctorError::from)?;
        let hop = probe
            .once(&spec.method, &spec.url, &spec.headers, spec.body.as_deref())
            .await
            .map_err(authdoctor_doctor::DoctorError::from)?;
        let Ok(url) = url::Url::parse(&spec.url) else {
            continue;
        };
        let mut text = String::from("# Netscape HTTP Cookie File\n");
        for sc in hop.headers_named("set-cookie") {
            let Some(c) = authdoctor_diagnosis::cookies::SetCookie::parse(sc) else {
                continue;
            };
            let j = c.in_jar(&url, hop.received_at);
            let flag = |b: bool| if b { "TRUE" } else { "FALSE" };
            text.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                j.domain,
                flag(j.include_subdomains),
                j.path,
                flag(j.secure),
                j.expires,
                j.name,
                j.value.expose()
            ));
        }
        std::fs::write(&jar, text)?;
    }
    let last = parts[parts.len() - 1].to_owned();
    Ok(last.replace("/tmp/authdoctor-lab.jar", &jar.display().to_string()))
}

fn shlex_words(s: &str) -> Result<Vec<String>, DiagnoseFailure> {
    Ok(shlex::split(s).ok_or(curl::CurlError::Quotes)?)
}

/// Runs the demo; the exit status is 0 only if every diagnosis names its fault.
pub fn run(a: &DemoArgs, out: &mut dyn Write) -> Result<u8, DemoFailure> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(DemoFailure::Runtime)?;
    let tmp = std::env::temp_dir().join(format!("authdoctor-demo-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let result = rt.block_on(async {
        let lab = Lab::start(Options::default()).await?;
        let cli = lab
            .info()
            .clients
            .iter()
            .find(|c| c.client_id == "demo-cli")
            .cloned();
        // The demo's user trusts the lab's identity provider with the
        // client's secret, as one names an issuer with --trust-origin.
        let ctx = Context {
            client_id: cli.as_ref().map(|c| c.client_id.clone()),
            client_secret: cli.and_then(|c| c.client_secret).map(ClientSecret::new),
            trusted_origins: lab.info().issuers.values().cloned().collect(),
            ..Context::default()
        };
        let mut outcomes = Vec::new();
        for e in lab.info().examples.clone() {
            let line = setup(&e.curl, &tmp).await?;
            let spec = curl::parse_line(&line).map_err(DiagnoseFailure::from)?;
            let diagnosis = authdoctor_doctor::run(&spec, &ctx)
                .await
                .map_err(DiagnoseFailure::from)?;
            outcomes.push(Outcome {
                fault: e.cause,
                description: e.description,
                diagnosis,
            });
        }
        lab.shutdown().await;
        Ok::<_, DemoFailure>(outcomes)
    });
    let _ = std::fs::remove_dir_all(&tmp);
    let outcomes = result?;
    let right = outcomes
        .iter()
        .filter(|o| o.diagnosis.causes.first().map(|c| c.id) == Some(o.fault))
        .count();
    match a.output.format() {
        Format::Json => {
            let v = json!({
                "schema": "authdoctor.demo/1",
                "faults": outcomes.iter().map(|o| json!({
                    "fault": o.fault,
                    "description": o.description,
                    "diagnosed": o.diagnosis.causes.first().map(|c| c.id),
                    "right": o.diagnosis.causes.first().map(|c| c.id) == Some(o.fault),
                    "retry": o.diagnosis.retry,
                })).collect::<Vec<_>>(),
                "right": right,
                "total": outcomes.len(),
            });
            let text = serde_json::to_string_pretty(&v).map_err(std::io::Error::from)?;
            let masked = outcomes
                .iter()
                .fold(text, |t, o| o.diagnosis.finish(&t, false));
            writeln!(out, "{masked}")?;
        }
        format => {
            writeln!(
                out,
                "{}",
                styled(
                    BOLD,
                    "authdoctor demo: the embedded lab, each fault produced and diagnosed"
                )
            )?;
            writeln!(out)?;
            writeln!(
                out,
                "  {:<26} {:<26} confirmed by a fresh token",
                "fault", "diagnosis"
            )?;
            for o in &outcomes {
                let got = o
                    .diagnosis
                    .causes
                    .first()
                    .map(|c| c.id.id())
                    .unwrap_or("(none)");
                let ok = o.diagnosis.causes.first().map(|c| c.id) == Some(o.fault);
                let r = &o.diagnosis.retry;
                let confirm = match (r.attempted, r.status) {
                    (true, Some(s)) if s < 400 => format!("a fresh token was accepted ({s})"),
                    (true, Some(s)) => {
                        format!("a fresh token of the same kind was refused too ({s})")
                    }
                    _ => styled(DIM, "not retried"),
                };
                writeln!(
                    out,
                    "{} {:<26} {:<26} {}",
                    if ok {
                        styled(GOOD, "✓")
                    } else {
                        styled(BAD, "✗")
                    },
                    o.fault.id(),
                    got,
                    confirm
                )?;
            }
            writeln!(out)?;
            writeln!(out, "{right} of {} faults diagnosed right.", outcomes.len())?;
            if let Some(o) = outcomes.iter().find(|o| o.fault == Cause::TokenExpired) {
                writeln!(out)?;
                writeln!(
                    out,
                    "{}",
                    styled(
                        BOLD,
                        &format!("The full report for one of them ({}):", o.description)
                    )
                )?;
                writeln!(out)?;
                render(&o.diagnosis, format, false, out)?;
            }
        }
    }
    Ok(if right == outcomes.len() { 0 } else { 1 })
}
