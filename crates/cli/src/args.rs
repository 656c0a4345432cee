//! The command line as typed: clap's view. Nothing below `main` sees these
//! types; each command turns them into plain values first.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Finds out why an HTTP request is rejected with 401 Unauthorized (or 403),
/// says why with the evidence, and how to fix it.
#[derive(Debug, Parser)]
#[command(
    name = "authdoctor",
    version = env!("AUTHDOCTOR_VERSION"),
    about,
    max_term_width = 100
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode a token and check it offline: format, signature, expiry,
    /// issuer, audience, type and scope.
    Token(Box<TokenArgs>),
    /// Lint an Authorization header value.
    Header(HeaderArgs),
    /// Parse a WWW-Authenticate value into challenges and read what the
    /// server is asking for.
    Challenge(ChallengeArgs),
    /// Reproduce a rejected request and say why it was rejected, with the
    /// evidence and the fix; then confirm with a fresh token where possible.
    Diagnose(Box<DiagnoseArgs>),
    /// Start the embedded lab, produce each of its faults, and diagnose each.
    Demo(DemoArgs),
    /// Serve the embedded lab on loopback: an OAuth 2.0 / OpenID Connect
    /// provider and a protected API whose routes each fail for one cause.
    Lab(LabArgs),
    /// Run the guard: a reverse proxy that lets through only requests whose
    /// bearer token a correct server accepts (RFC 6750 answers, 401 and 403
    /// apart, a reason-coded JSON log, abuse limits, revocation, /metrics;
    /// several nodes share state through Redis).
    Guard(GuardArgs),
    /// Read access, gateway and identity-provider logs (nginx/Apache
    /// combined or common, JSON lines from Envoy, Traefik, Caddy and the
    /// guard, Envoy/Istio and HAProxy text logs, AWS load balancers,
    /// Keycloak's events, nginx/Apache error lines, Express output; gzip
    /// and zstd too; --follow a live one) and say
    /// why clients get 401s: stuffing, brute force, token guessing, clients
    /// that always fail or refresh too late, key rotations, outlier nodes,
    /// rate jumps, 401 where 403 belongs, secrets written into the log.
    Logs(LogsArgs),
    /// Serve a page on 127.0.0.1 over the same checks: paste a token or a
    /// curl line, drop a HAR file, and see why; nothing leaves the machine
    /// unless you press Diagnose (which sends the request, as the command
    /// line does).
    Serve(ServeArgs),
    /// Print shell completions (bash, zsh, fish, powershell, elvish):
    /// `authdoctor completions bash > /etc/bash_completion.d/authdoctor`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff): `authdoctor man > authdoctor.1`.
    Man,
}

/// `authdoctor guard`.
#[derive(Debug, Args)]
#[command(after_long_help = GUARD_HELP)]
pub struct GuardArgs {
    /// The configuration file (TOML); SIGHUP reloads it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["upstream", "issuer"])]
    pub config: Option<PathBuf>,
    /// The API to protect (the one-route case, without a file).
    #[arg(long, value_name = "URL", requires_all = ["issuer", "audience"])]
    pub upstream: Option<String>,
    /// The issuer trusted (keys by discovery).
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// The audience tokens must name; repeat for the other identifiers the
    /// API is known by (each accepted as its own).
    #[arg(long, value_name = "AUDIENCE")]
    pub audience: Vec<String>,
    /// A scope every request needs (repeat for more).
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,
    /// Where to listen.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Serve HTTPS with this certificate chain (PEM); with --tls-key.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "config"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_cert",
        conflicts_with = "config"
    )]
    pub tls_key: Option<PathBuf>,
    /// More CA certificates (PEM) to trust for an https:// upstream, beside
    /// the system's.
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    pub upstream_ca: Option<PathBuf>,
    /// Check the configuration and what it needs, then exit without
    /// serving: its files read as a start reads them, each issuer asked for
    /// its keys and the upstream for an answer. Exit 0 when all is ready,
    /// 1 when the guard would start but an issuer or the upstream does not
    /// answer, 2 when it would not start.
    #[arg(long)]
    pub check: bool,
}

const GUARD_HELP: &str = "\
Examples:
  authdoctor guard --upstream http://127.0.0.1:9000 --issuer https://id.example.com \\
      --audience https://api.example.com --scope orders:read
  authdoctor guard --config guard.toml        # routes, issuers, limits, log; SIGHUP reloads
  authdoctor guard --config guard.toml --check   # before a reload: files, keys, upstream
  authdoctor guard --tls-cert fullchain.pem --tls-key key.pem --upstream https://api.internal \
      --upstream-ca internal-ca.pem --issuer https://id.example.com --audience https://api.example.com

The guard's own endpoints: /healthz, /metrics (Prometheus text), and the RFC 9728
metadata at /.well-known/oauth-protected-resource. Every rejection is one JSON
line (reason = a cause id of authdoctor's vocabulary; never the token).";

/// `authdoctor logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Log files (gzip and zstd read as such; xz and bzip2 through their
    /// tool: `xz -dc access.log.2.xz | authdoctor logs -`); `-` for
    /// standard input. The same log of several machines, each in its own
    /// folder (`node-a/access.log node-b/access.log`), is read as one log
    /// per node, and a node that rejects what its peers accept is a
    /// finding. Behind a load balancer, a client is named by the
    /// X-Forwarded-For a line logs (its first public address) where the
    /// address logged is the balancer's; see --trusted-proxies.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The load balancers and proxies in front of the server (addresses or
    /// networks, comma-separated: 10.0.0.0/8,192.0.2.7). Only a line logged
    /// from one of them names its client by X-Forwarded-For, and the client
    /// is the list's last address that is not one of them, read back from
    /// the end the proxies write, as the guard reads it: a client that
    /// writes addresses into the header itself (a balancer that appends,
    /// as AWS's does, keeps them) cannot spread its failures over made-up
    /// addresses. Without it, the list's first public address is the
    /// client, where the address logged is internal.
    #[arg(long, value_name = "NETS", value_delimiter = ',', value_parser = network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Keep reading the file as it grows (and across its rotation), and
    /// print each finding as it appears or grows; Ctrl-C stops.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Draw the 401s and 403s per minute into FILE, an SVG chart.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Read every line as this format (a line of another is counted as
    /// not understood) instead of recognising each line's own.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// An address or a network (`10.0.0.5`, `10.0.0.0/8`).
fn network(s: &str) -> Result<ipnet::IpNet, String> {
    authdoctor_guard::config::network(s.trim()).ok_or_else(|| {
        format!("{s:?} is neither an address nor a network: write 10.0.0.5 or 10.0.0.0/8")
    })
}

/// The formats `authdoctor logs` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Each line's own format, recognised.
    Auto,
    /// nginx and Apache combined and common formats (and Werkzeug's).
    Combined,
    /// JSON lines (the guard, Envoy, Traefik, Caddy, Kong, AWS API Gateway,
    /// Cloudflare's Logpush, Akamai's DataStream, Azure's diagnostic logs, the Kubernetes audit
    /// log, pino, nginx's JSON log formats).
    Json,
    /// Envoy's and Istio's default text access log.
    Envoy,
    /// morgan's `dev`, `tiny` and `short` lines (Express).
    Morgan,
    /// uvicorn's and Django's development server's request lines.
    Python,
    /// W3C extended logs (IIS, CloudFront, Azure App Service), named by
    /// their #Fields: directive.
    W3c,
    /// AWS Application Load Balancer access logs.
    Alb,
    /// Keycloak's event log (text or JSON lines).
    Keycloak,
    /// HAProxy's HTTP log (option httplog).
    Haproxy,
    /// Identity providers' event logs as JSON lines (Auth0, Okta).
    Idp,
    /// ASP.NET Core's console log (its Request finished lines).
    #[value(name = "aspnet")]
    AspNet,
    /// Go web frameworks' request loggers (Gin's default, chi's).
    #[value(name = "go-web")]
    GoWeb,
    /// Rails' request log (Started … Completed).
    Rails,
    /// oauth2-proxy's request and authentication logs.
    #[value(name = "oauth2-proxy")]
    OAuth2Proxy,
    /// key=value lines recording requests (Go's slog and logrus, Heroku's
    /// router, Rails' lograge).
    Logfmt,
    /// Error lines giving a rejection's reason (Apache's, nginx's and
    /// lighttpd's error logs, an application's log).
    Error,
}

impl LogFormat {
    /// The format the parser is held to, if any.
    pub fn forced(self) -> Option<authdoctor_logs::parse::Format> {
        use authdoctor_logs::parse::Format;
        match self {
            LogFormat::Auto => None,
            LogFormat::Combined => Some(Format::Combined),
            LogFormat::Json => Some(Format::Json),
            LogFormat::Envoy => Some(Format::Envoy),
            LogFormat::Morgan => Some(Format::Morgan),
            LogFormat::Python => Some(Format::Python),
            LogFormat::W3c => Some(Format::W3c),
            LogFormat::Alb => Some(Format::Alb),
            LogFormat::Keycloak => Some(Format::Keycloak),
            LogFormat::Haproxy => Some(Format::Haproxy),
            LogFormat::Logfmt => Some(Format::Logfmt),
            LogFormat::Idp => Some(Format::Idp),
            LogFormat::OAuth2Proxy => Some(Format::OAuth2Proxy),
            LogFormat::AspNet => Some(Format::AspNet),
            LogFormat::GoWeb => Some(Format::GoWeb),
            LogFormat::Rails => Some(Format::Rails),
            LogFormat::Error => Some(Format::Reason),
        }
    }
}

/// `authdoctor serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port (0: any free one; the address is printed).
    #[arg(long, default_value_t = 8484)]
    pub port: u16,
    /// Listen on another address than 127.0.0.1. The page then needs the
    /// random access key printed in its URL (as Jupyter does).
    #[arg(long, value_name = "ADDRESS")]
    pub bind: Option<std::net::IpAddr>,
    /// Open the page in the browser (xdg-open, open).
    #[arg(long)]
    pub open: bool,
}

/// `authdoctor completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `authdoctor diagnose`.
#[derive(Debug, Args)]
#[command(after_long_help = DIAGNOSE_EXAMPLES)]
pub struct DiagnoseArgs {
    /// The URL of the rejected request (http, https; ws, wss: a
    /// WebSocket's opening handshake is sent; grpc, grpcs: a gRPC call,
    /// `grpc://host:port/package.Service/Method`, with an empty message).
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// After `--`: a whole curl command (`-- curl -H … URL`). Options of
    /// authdoctor go before the `--`.
    #[arg(value_name = "CURL COMMAND", last = true)]
    pub curl_words: Vec<String>,
    /// A pasted curl command line, quoted as one argument; `-` reads it
    /// from standard input, `@FILE` from a file (a browser's "Copy as
    /// cURL").
    #[arg(
        help_heading = "Request (as curl spells it)",
        long,
        value_name = "COMMAND"
    )]
    pub curl: Option<String>,
    /// A browser's HAR export: every rejected or failed entry is diagnosed.
    #[arg(
        help_heading = "Request (as curl spells it)",
        long,
        value_name = "FILE",
        conflicts_with = "curl"
    )]
    pub har: Option<std::path::PathBuf>,
    /// With --har: only this entry (counting from 0).
    #[arg(
        help_heading = "Request (as curl spells it)",
        long,
        value_name = "N",
        requires = "har"
    )]
    pub entry: Option<usize>,
    /// The method (curl -X).
    #[arg(
        help_heading = "Request (as curl spells it)",
        short = 'X',
        long = "request",
        value_name = "METHOD"
    )]
    pub method: Option<String>,
    /// A header, `Name: value` (curl -H); repeat for more.
    #[arg(
        help_heading = "Request (as curl spells it)",
        short = 'H',
        long = "header",
        value_name = "HEADER"
    )]
    pub headers: Vec<String>,
    /// A body (curl -d); repeated values are joined with `&`.
    #[arg(
        help_heading = "Request (as curl spells it)",
        short = 'd',
        long = "data",
        value_name = "DATA"
    )]
    pub data: Vec<String>,
    /// Basic credentials `user:password` (curl -u).
    #[arg(
        help_heading = "Request (as curl spells it)",
        short = 'u',
        long = "user",
        value_name = "USER:PASSWORD"
    )]
    pub user: Option<String>,
    /// Send the user and password by HTTP Digest, in answer to the
    /// server's challenge (curl --digest).
    #[arg(
        help_heading = "Request (as curl spells it)",
        long,
        conflicts_with = "anyauth"
    )]
    pub digest: bool,
    /// Send the user and password by the strongest scheme the server's
    /// challenge offers, Digest or Basic (curl --anyauth).
    #[arg(help_heading = "Request (as curl spells it)", long)]
    pub anyauth: bool,
    /// Cookies `name=value; …`, or a curl cookie file (curl -b).
    #[arg(
        help_heading = "Request (as curl spells it)",
        short = 'b',
        long = "cookie",
        value_name = "COOKIES|FILE"
    )]
    pub cookie: Option<String>,
    /// Follow redirects (curl -L). Credential headers are dropped when a
    /// redirect leaves the origin, as curl does.
    #[arg(
        help_heading = "Request (as curl spells it)",
        short = 'L',
        long = "location"
    )]
    pub follow: bool,
    /// Follow redirects and send credential headers to other origins too
    /// (curl --location-trusted).
    #[arg(help_heading = "Request (as curl spells it)", long)]
    pub location_trusted: bool,
    /// Skip TLS certificate verification (curl -k).
    #[arg(
        help_heading = "Request (as curl spells it)",
        short = 'k',
        long = "insecure"
    )]
    pub insecure: bool,
    /// Trust the CA certificates of this PEM file too (curl --cacert).
    #[arg(
        help_heading = "Request (as curl spells it)",
        long,
        value_name = "FILE"
    )]
    pub cacert: Option<std::path::PathBuf>,
    /// Present this client certificate (mutual TLS), PEM, to the URL's
    /// origin only (curl --cert); its key in the same file, or --key.
    #[arg(
        help_heading = "Request (as curl spells it)",
        long,
        short = 'E',
        value_name = "FILE"
    )]
    pub cert: Option<std::path::PathBuf>,
    /// The client certificate's private key, PEM, unencrypted (curl --key).
    #[arg(
        help_heading = "Request (as curl spells it)",
        long,
        value_name = "FILE",
        requires = "cert"
    )]
    pub key: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub expect: ExpectArgs,
    /// The OAuth client secret. Better given as AUTHDOCTOR_CLIENT_SECRET in
    /// the environment: a command line is visible in the process list.
    #[arg(
        help_heading = "Client (for the experiment: a fresh token)",
        long,
        value_name = "SECRET",
        env = "AUTHDOCTOR_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
    /// A refresh token to get a fresh access token with (used once); or
    /// AUTHDOCTOR_REFRESH_TOKEN in the environment.
    #[arg(
        help_heading = "Client (for the experiment: a fresh token)",
        long,
        value_name = "TOKEN",
        env = "AUTHDOCTOR_REFRESH_TOKEN",
        hide_env_values = true
    )]
    pub refresh_token: Option<String>,
    /// The token endpoint, when discovery cannot find it. Its origin is
    /// trusted with the client secret and refresh token.
    #[arg(
        help_heading = "Client (for the experiment: a fresh token)",
        long,
        value_name = "URL"
    )]
    pub token_endpoint: Option<String>,
    /// Trust this origin with the client secret and refresh token too (an
    /// identity provider the resource's metadata names). Credentials go
    /// only to origins named by --issuer, --token-endpoint or this.
    #[arg(
        help_heading = "Client (for the experiment: a fresh token)",
        long,
        value_name = "URL"
    )]
    pub trust_origin: Vec<String>,
    /// Allow credentials over plain http to another machine (loopback is
    /// always allowed).
    #[arg(help_heading = "Client (for the experiment: a fresh token)", long)]
    pub allow_http: bool,
    /// Do not get a fresh token and send the request again.
    #[arg(help_heading = "Client (for the experiment: a fresh token)", long)]
    pub no_retry: bool,
    /// Allow that retry for POST, PUT, PATCH and DELETE (it performs the operation).
    #[arg(help_heading = "Client (for the experiment: a fresh token)", long)]
    pub retry_unsafe: bool,
    /// The whole diagnosis ends within this many seconds (every redirect,
    /// key fetch, token request and retry together); at most 600.
    #[arg(help_heading = "Request (as curl spells it)", long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `authdoctor demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `authdoctor lab`.
#[derive(Debug, Args)]
pub struct LabArgs {
    /// The identity provider's port; the API takes the next two. Ephemeral
    /// ports when left out.
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Access-token lifetime, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub token_lifetime: i64,
    /// Do not print the lab's log (grants and rejections, tokens masked).
    #[arg(long)]
    pub quiet: bool,
    /// `--json` (or `--format json`) prints, once every listener is ready,
    /// one line of JSON for scripts (issuers, clients, resources, examples)
    /// instead of the human summary.
    #[command(flatten)]
    pub output: OutputArgs,
}

impl Command {
    /// The output options of whichever subcommand it is.
    pub fn output(&self) -> &OutputArgs {
        match self {
            Command::Token(a) => &a.output,
            Command::Header(a) => &a.output,
            Command::Challenge(a) => &a.output,
            Command::Diagnose(a) => &a.output,
            Command::Demo(a) => &a.output,
            Command::Lab(a) => &a.output,
            Command::Logs(a) => &a.output,
            Command::Completions(_) | Command::Man | Command::Guard(_) | Command::Serve(_) => {
                &PLAIN
            }
        }
    }
}

/// The output options of the commands that print no report.
static PLAIN: OutputArgs = OutputArgs {
    format: Format::Human,
    json: false,
    show_secrets: false,
};

/// The output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For a person at a terminal: the verdict first, then the evidence,
    /// then the fix.
    #[default]
    Human,
    /// For scripts: the documented JSON schema.
    Json,
    /// For a ticket or a chat.
    Markdown,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human, global = true)]
    pub format: Format,
    /// Short for --format json.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print tokens, passwords and secrets in clear instead of masked.
    #[arg(long, global = true)]
    pub show_secrets: bool,
}

impl OutputArgs {
    /// The format chosen.
    pub fn format(&self) -> Format {
        if self.json { Format::Json } else { self.format }
    }
}

/// What the API expects of a token: `token` and `diagnose` both take these.
#[derive(Debug, Args)]
#[command(next_help_heading = "What you believe the API expects")]
pub struct ExpectArgs {
    /// The issuer the API trusts (compared exactly with `iss`).
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// The audience the API expects in `aud`.
    #[arg(long, value_name = "AUDIENCE")]
    pub audience: Option<String>,
    /// A scope the endpoint needs (repeat, or separate with spaces).
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,
    /// The application's client id (tells an ID token apart by its `aud`;
    /// with `diagnose`, also for introspection and a fresh token).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The clock-skew allowance, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub leeway: u64,
}

impl ExpectArgs {
    /// The scopes, split on spaces.
    pub fn scopes(&self) -> Vec<String> {
        self.scope
            .iter()
            .flat_map(|s| s.split_ascii_whitespace())
            .map(str::to_owned)
            .collect()
    }
}

/// `authdoctor token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The token; `@FILE` to read it from a file, `-` from standard input.
    /// A pasted `Authorization: Bearer` prefix is skipped.
    // A base64url token may begin with `-` (one opaque token in 64 does):
    // it is the token, not an option.
    #[arg(allow_hyphen_values = true)]
    pub token: String,
    /// A JWK set (or a single JWK) to verify the signature with: a file or
    /// a URL. Without it, --issuer's discovery document names the key set.
    #[arg(long, value_name = "FILE|URL")]
    pub jwks: Option<PathBuf>,
    /// A shared secret for HS256/384/512, as text; or AUTHDOCTOR_HMAC_SECRET
    /// in the environment.
    #[arg(
        long,
        value_name = "SECRET",
        conflicts_with = "secret_file",
        env = "AUTHDOCTOR_HMAC_SECRET",
        hide_env_values = true
    )]
    pub secret: Option<String>,
    /// A file holding the HMAC shared secret (its bytes, as is).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    #[command(flatten)]
    pub expect: ExpectArgs,
    /// Judge the times at this instant instead of the local clock:
    /// RFC 3339 (2026-11-26T17:34:12Z) or seconds since the epoch.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Require `typ: at+jwt` (RFC 9068) instead of only advising it.
    #[arg(long)]
    pub require_at_jwt: bool,
    /// Accept only these algorithms (repeat: --alg RS256 --alg ES256).
    #[arg(long, value_name = "ALG")]
    pub alg: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `authdoctor header`.
#[derive(Debug, Args)]
pub struct HeaderArgs {
    /// The Authorization value (`Bearer eyJ…`); `@FILE` or `-` to read it.
    pub value: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `authdoctor challenge`.
#[derive(Debug, Args)]
pub struct ChallengeArgs {
    /// The WWW-Authenticate value; several values are read as several
    /// lines of the same field. `-` reads lines from standard input.
    #[arg(required = true, num_args = 1..)]
    pub values: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The long help's examples and exit codes, for `authdoctor diagnose --help`.
const DIAGNOSE_EXAMPLES: &str = "\
Examples:
  authdoctor diagnose -H \"Authorization: Bearer $TOKEN\" https://api.example.com/orders
  authdoctor diagnose --curl @request.sh          # a browser's \"Copy as cURL\", saved
  pbpaste | authdoctor diagnose --curl -          # the same, from the clipboard
  authdoctor diagnose --har session.har            # every rejected entry of a HAR export
  AUTHDOCTOR_CLIENT_SECRET=... authdoctor diagnose --issuer https://id.example.com \\
      --client-id my-cli -H \"Authorization: Bearer $TOKEN\" https://api.example.com/orders

With a client (--client-id and its secret, or --refresh-token), authdoctor gets a
fresh token from the issuer the API trusts and sends the request again: the
experiment that confirms a cause or rules it out. Credentials go only to origins
you name (--issuer, --token-endpoint, --trust-origin).

Exit status:
  0  the request succeeded: nothing to diagnose
  1  a cause was found
  2  bad usage or input, or the server could not be reached
  3  the cause could not be determined, or the answer is not an authentication failure";
