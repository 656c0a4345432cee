//! `authdoctor lab`: serve the embedded lab until Ctrl-C.

use crate::args::LabArgs;
use crate::output::{BOLD, DIM, styled};
use authdoctor_lab::{Lab, LabInfo, Options};
use std::io::Write;

/// Why the lab could not run.
#[derive(Debug, thiserror::Error)]
pub enum LabFailure {
    /// The async runtime could not start.
    #[error("The async runtime could not start: {0}.")]
    Runtime(std::io::Error),
    /// The lab could not start.
    #[error(transparent)]
    Lab(#[from] authdoctor_lab::LabError),
    /// Writing failed.
    #[error("Writing the output failed: {0}.")]
    Io(#[from] std::io::Error),
}

/// Runs the lab until interrupted.
pub fn run(a: &LabArgs, out: &mut dyn Write) -> Result<(), LabFailure> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(LabFailure::Runtime)?;
    rt.block_on(async {
        let lab = Lab::start(Options {
            port: a.port.unwrap_or(0),
            token_lifetime: a.token_lifetime,
            log_to_stderr: !a.quiet,
        })
        .await?;
        if a.output.format() == crate::args::Format::Json {
            serde_json::to_writer(&mut *out, lab.info()).map_err(std::io::Error::from)?;
            writeln!(out)?;
        } else {
            human(lab.info(), out)?;
        }
        out.flush()?;
        // Ctrl-C (or SIGTERM's default) ends the process; wait for the first.
        let _ = tokio::signal::ctrl_c().await;
        lab.shutdown().await;
        Ok(())
    })
}

fn human(i: &LabInfo, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        styled(BOLD, "authdoctor lab is running. Ctrl-C stops it.")
    )?;
    writeln!(out)?;
    for (name, url) in &i.issuers {
        writeln!(
            out,
            "  issuer {name:<8} {url}   (discovery: {url}/.well-known/openid-configuration)"
        )?;
    }
    writeln!(out, "  api             {}", i.api)?;
    writeln!(
        out,
        "  api, other host {}   (redirect target)",
        i.api_other_host
    )?;
    writeln!(out, "  api, clock +10m {}", i.api_skewed)?;
    writeln!(
        out,
        "  faults          {}   (GET; POST a JSON object to change)",
        i.faults
    )?;
    writeln!(out)?;
    writeln!(out, "{}", styled(BOLD, "Clients"))?;
    for c in &i.clients {
        writeln!(
            out,
            "  {:<11} secret {:<34} grants {}",
            c.client_id,
            c.client_secret
                .as_deref()
                .unwrap_or("(public client, PKCE)"),
            c.grant_types.join(", ")
        )?;
    }
    writeln!(
        out,
        "  user        {} / {}",
        i.user.get("user").unwrap_or(&""),
        i.user.get("password").unwrap_or(&"")
    )?;
    writeln!(out)?;
    writeln!(out, "{}", styled(BOLD, "Protected routes"))?;
    for r in &i.resources {
        writeln!(
            out,
            "  {:<5} {:<45} {}",
            r.method,
            r.url,
            styled(DIM, r.requires)
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        styled(
            BOLD,
            "Each of these fails for the cause named (then try `authdoctor diagnose` on it):"
        )
    )?;
    writeln!(
        out,
        "{}",
        styled(
            DIM,
            &format!(
                "(their tokens stay valid for {} hours from the lab's start, whatever --token-lifetime says, the clock-skew one 5 minutes; restart the lab for new ones)",
                authdoctor_lab::EXAMPLE_LIFETIME / 3600
            )
        )
    )?;
    for e in &i.examples {
        writeln!(out)?;
        writeln!(
            out,
            "  {} {}",
            styled(BOLD, e.cause.id()),
            styled(DIM, &format!("— {}", e.description))
        )?;
        writeln!(out, "  {}", e.curl)?;
    }
    Ok(())
}
