//! The `authdoctor` binary: glue. clap reads the arguments, each command
//! turns them into a plain configuration, the library crates do the work,
//! and `main` owns the exit status:
//!
//! - 0: the subject is well formed / valid (or the request succeeded);
//! - 1: a defect or a failed check was found (a rejection was diagnosed);
//! - 2: bad usage or unreadable input;
//! - 3: the cause could not be determined.
//!
//! A closed pipe (`authdoctor token … | head`) is not an error.

mod args;
mod cmd;
mod input;
mod output;

use args::{Cli, Command};
use clap::Parser;
use cmd::Verdict;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic is a bug; its message may quote input, so it is masked too.
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "authdoctor: internal error (please report it): {}",
            authdoctor_secret::scrub(&info.to_string())
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // A usage error quotes what was typed, which may be a secret.
            eprint!("{}", authdoctor_secret::scrub(&e.render().to_string()));
            return ExitCode::from(2);
        }
    };
    match run(&cli) {
        Ok(Verdict::Pass) => ExitCode::SUCCESS,
        Ok(Verdict::Fail) => ExitCode::from(1),
        Ok(Verdict::Code(c)) => ExitCode::from(c),
        Err(Failure::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "authdoctor: {}",
                output::printable(&authdoctor_secret::scrub(&e.to_string()))
            );
            ExitCode::from(2)
        }
    }
}

/// A log that cannot be read is bad input; a report that cannot be written
/// is an output failure like any other (a closed pipe included).
impl From<cmd::logs::LogsFailure> for Failure {
    fn from(e: cmd::logs::LogsFailure) -> Failure {
        match e {
            cmd::logs::LogsFailure::Input(e) => Failure::Input(e),
            cmd::logs::LogsFailure::Output(e) => Failure::Io(e),
            other => Failure::Logs(other),
        }
    }
}

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error("Writing the output failed: {0}.")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Lab(#[from] cmd::lab::LabFailure),
    #[error(transparent)]
    Diagnose(#[from] cmd::diagnose::DiagnoseFailure),
    #[error(transparent)]
    Demo(#[from] cmd::demo::DemoFailure),
    #[error(transparent)]
    Guard(#[from] authdoctor_guard::GuardError),
    #[error(transparent)]
    Logs(cmd::logs::LogsFailure),
    #[error(transparent)]
    Serve(#[from] cmd::serve::ServeFailure),
}

fn run(cli: &Cli) -> Result<Verdict, Failure> {
    // JSON carries no styles; only the other formats go through anstream,
    // which strips colour where the terminal or NO_COLOR says so.
    let mut stdout: Box<dyn Write> = if cli.command.output().format() == args::Format::Json {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        // Above the buffer, so each of the report's own strings is judged
        // whole.
        Box::new(output::Printable(std::io::BufWriter::new(
            anstream::stdout().lock(),
        )))
    };
    let verdict = run_to(cli, &mut *stdout)?;
    stdout.flush()?;
    Ok(verdict)
}

/// Runs a command line, its report written to `stdout` (the terminal, or
/// the page's API, which runs the same command lines).
fn run_to(cli: &Cli, stdout: &mut dyn Write) -> Result<Verdict, Failure> {
    let verdict = match &cli.command {
        Command::Token(a) => cmd::token::run(&cmd::token::Config::from_args(a)?, &mut *stdout)?,
        Command::Header(a) => cmd::header::run(&cmd::header::Config::from_args(a)?, &mut *stdout)?,
        Command::Challenge(a) => {
            cmd::challenge::run(&cmd::challenge::Config::from_args(a)?, &mut *stdout)?
        }
        Command::Lab(a) => {
            cmd::lab::run(a, &mut *stdout)?;
            Verdict::Pass
        }
        Command::Diagnose(a) => Verdict::Code(cmd::diagnose::run(a, &mut *stdout)?),
        Command::Logs(a) => Verdict::Code(cmd::logs::run(a, &mut *stdout)?),
        Command::Guard(a) if a.check => Verdict::Code(cmd::guard::check(a, &mut *stdout)?),
        Command::Guard(a) => {
            cmd::guard::run(a)?;
            Verdict::Pass
        }
        Command::Completions(a) => {
            use clap::CommandFactory;
            // Into a buffer first: the generator panics on a closed pipe.
            let mut buf = Vec::new();
            clap_complete::generate(a.shell, &mut Cli::command(), "authdoctor", &mut buf);
            stdout.write_all(&buf)?;
            Verdict::Pass
        }
        Command::Man => {
            use clap::CommandFactory;
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
            stdout.write_all(&buf)?;
            Verdict::Pass
        }
        Command::Demo(a) => Verdict::Code(cmd::demo::run(a, &mut *stdout)?),
        Command::Serve(a) => {
            cmd::serve::run(a)?;
            Verdict::Pass
        }
    };
    Ok(verdict)
}
