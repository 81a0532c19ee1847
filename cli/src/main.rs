//! `scw-jwt`: keys and tokens shaped like Scaleway's, for developing and testing private
//! containers without the platform.
//!
//! Exit codes: 0 success, 1 a token was refused, 2 a usage error (bad flags or values, a file
//! that holds no key), 3 a failure at run time (a file that cannot be read or written, a port
//! that cannot be bound, an edge that cannot serve). `edge` exits with its service's exit code.

/// `println!` that never panics: written where the reader may be gone (`scw-jwt edge ... |
/// head`), where the edge must keep serving. A failed write is dropped; later ones are tried
/// again, which costs nothing once the stream is closed.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that never panics, as [`outln!`].
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod dates;
#[cfg(unix)]
mod edge;
mod redact;
mod serve;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Args, Parser, Subcommand};
use scw_private::testing::KeyPair;
use scw_private::{Policy, PublicKey, Scope, Verifier};

#[derive(Parser)]
#[command(name = "scw-jwt", version, about = "Keys and tokens shaped like Scaleway's, for local development", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a new key pair: private.pem and public.pem (PKCS#1, as the platform injects it).
    #[command(after_help = "Example:\n  scw-jwt keygen --out ./dev-keys")]
    Keygen {
        /// Directory to write the keys to (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Key size: 4096 (the platform's), 3072 or 2048 (faster to make and to verify).
        #[arg(
            long,
            default_value = "4096",
            value_parser = clap::builder::TypedValueParser::map(
                clap::builder::PossibleValuesParser::new(["2048", "3072", "4096"]),
                |bits| bits.parse::<usize>().unwrap_or(4096)
            )
        )]
        bits: usize,
        /// Overwrite existing key files.
        #[arg(long)]
        force: bool,
    },
    /// Print a token signed with a private key, as `GET /issue-jwt` would issue it.
    #[command(
        after_help = "Examples:\n  scw-jwt mint --key dev-keys/private.pem --namespace-id $SCW_NAMESPACE_ID\n  \
        scw-jwt mint --key dev-keys/private.pem --container-id $SCW_APPLICATION_ID --expires-at 2027-01-02T00:00:00Z"
    )]
    Mint {
        /// The private key (PEM).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[command(flatten)]
        scope: TokenScope,
        /// Expiry: the platform's format 2027-01-02T00:00:00Z, or any RFC 3339 date-time.
        #[arg(long, value_name = "DATE", value_parser = dates::parse_rfc3339)]
        expires_at: Option<i64>,
    },
    /// Show a token's header and claims, and with a key, whether it would be accepted and why not.
    #[command(
        after_help = "Example:\n  scw-jwt inspect \"$TOKEN\" --key dev-keys/public.pem \
        --namespace-id $SCW_NAMESPACE_ID --container-id $SCW_APPLICATION_ID"
    )]
    Inspect {
        /// The token.
        token: String,
        /// The public key (PEM) to verify with; without it nothing is verified.
        #[arg(long, value_name = "FILE", requires = "namespace_id")]
        key: Option<PathBuf>,
        /// The namespace the token must grant (needed with --key).
        #[arg(long, value_name = "ID")]
        namespace_id: Option<String>,
        /// The container the token must grant; without it only a namespace token can pass.
        #[arg(long, value_name = "ID")]
        container_id: Option<String>,
    },
    /// Run a service as the platform runs a container, behind a local stand-in for its edge.
    #[cfg(unix)]
    #[command(
        after_help = "Examples:\n  scw-jwt edge --key dev-keys/private.pem -- cargo run\n  \
        scw-jwt edge --key dev-keys/private.pem --privacy public --forward-token strip -- ./target/debug/my-service"
    )]
    Edge(Box<edge::Args>),
    /// Serve a local stand-in for the platform's token endpoint: GET /issue-jwt.
    #[command(
        after_help = "Example:\n  scw-jwt serve --key dev-keys/private.pem --port 8081\n  \
        curl 'http://127.0.0.1:8081/issue-jwt?namespace_id=my-namespace'"
    )]
    Serve {
        /// The private key (PEM).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8081)]
        port: u16,
        /// Address to listen on; loopback unless you mean it.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
    },
}

/// A namespace token (`--namespace-id`) or a container token (`--container-id`, optionally
/// with its namespace).
#[derive(Args)]
#[group(required = true, multiple = true)]
struct TokenScope {
    /// The namespace: alone, a namespace token; with --container-id, the container's namespace.
    #[arg(long, value_name = "ID")]
    namespace_id: Option<String>,
    /// The container: a container token.
    #[arg(long, value_name = "ID")]
    container_id: Option<String>,
}

/// What a command ends with.
pub(crate) enum Failure {
    /// A token was refused: exit 1.
    Refused,
    /// Bad input: exit 2, with the message.
    Usage(String),
    /// A failure at run time (I/O, a port, the edge): exit 3, with the message.
    Runtime(String),
}

fn main() -> ExitCode {
    // This binary started by `scw-jwt edge --isolate-network` inside the service's network
    // namespace, to connect to it there.
    #[cfg(target_os = "linux")]
    if let Some(value) = std::env::var_os(edge::CONNECTOR_VARIABLE) {
        return edge::run_connector(&value.to_string_lossy());
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap repeats a rejected or unexpected value; a mistyped command line must not
            // print an IAM key, whatever its shape.
            let code = error.exit_code();
            let rendered = redact::output(&error.render().to_string());
            if error.use_stderr() {
                eprint!("{rendered}");
            } else {
                print!("{rendered}");
            }
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
    };
    let result = match cli.command {
        Command::Keygen { out, bits, force } => keygen(&out, bits, force),
        Command::Mint {
            key,
            scope,
            expires_at,
        } => mint(&key, &scope, expires_at),
        Command::Inspect {
            token,
            key,
            namespace_id,
            container_id,
        } => inspect(
            &token,
            key.as_deref(),
            namespace_id.as_deref(),
            container_id.as_deref(),
        ),
        Command::Serve { key, port, host } => {
            load_private(&key).and_then(|keys| serve::run(keys, host, port))
        }
        #[cfg(unix)]
        Command::Edge(args) => {
            return edge::run(*args).unwrap_or_else(Failure::exit_code);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit_code(),
    }
}

impl Failure {
    /// Says what went wrong, and the exit code that tells it.
    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Failure::Refused => ExitCode::from(1),
            // A message may name a path or the service's command, which may hold a key.
            Failure::Runtime(message) => {
                errln!("error: {}", redact::output(&message));
                ExitCode::from(3)
            }
            Failure::Usage(message) => {
                errln!("error: {}", redact::output(&message));
                ExitCode::from(2)
            }
        }
    }
}

fn keygen(out: &Path, bits: usize, force: bool) -> Result<(), Failure> {
    let keys = KeyPair::generate_with_bits(bits).map_err(|e| Failure::Usage(e.to_string()))?;
    let (private, public) = (out.join("private.pem"), out.join("public.pem"));
    for path in [&private, &public] {
        if path.exists() && !force {
            return Err(Failure::Usage(format!(
                "{} exists; pass --force to overwrite it",
                path.display()
            )));
        }
    }
    fs::create_dir_all(out)
        .map_err(|e| Failure::Runtime(format!("cannot create {}: {e}", out.display())))?;
    write_private(&private, &keys.private_pem())?;
    fs::write(&public, keys.public_pem())
        .map_err(|e| Failure::Runtime(format!("cannot write {}: {e}", public.display())))?;
    eprintln!(
        "wrote {} (keep it secret) and {}",
        private.display(),
        public.display()
    );
    eprintln!("set the public key where your service runs:");
    println!(
        "export SCW_PUBLIC_KEY='{}'",
        keys.public_pem().trim_end().replace('\n', "\\n")
    );
    Ok(())
}

fn write_private(path: &Path, pem: &str) -> Result<(), Failure> {
    let fail =
        |e: std::io::Error| Failure::Runtime(format!("cannot write {}: {e}", path.display()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(fail)?;
    // `mode` applies to a file it creates; one overwritten with --force keeps its own.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(fail)?;
    std::io::Write::write_all(&mut file, pem.as_bytes()).map_err(fail)
}

pub(crate) fn load_private(path: &Path) -> Result<KeyPair, Failure> {
    let text = fs::read_to_string(path)
        .map_err(|e| Failure::Runtime(format!("cannot read {}: {e}", path.display())))?;
    let keys = KeyPair::from_private_pem(&text)
        .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    // Checked once the file is known to hold a private key: a public key given by mistake is
    // told as such, whatever its mode.
    private_mode(path)?;
    Ok(keys)
}

/// Reads a file that holds secrets (IAM keys), refusing it when it is not private (see
/// [`private_mode`]).
pub(crate) fn read_secret_file(path: &Path) -> Result<String, Failure> {
    private_mode(path)?;
    fs::read_to_string(path)
        .map_err(|e| Failure::Runtime(format!("cannot read {}: {e}", path.display())))
}

/// Refuses a file that holds secrets, as ssh refuses a loose private key, when users other
/// than its owner may read or write it. A symlink is followed: the file it points to is the
/// one read, and the one whose mode must be private.
fn private_mode(path: &Path) -> Result<(), Failure> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(path)
            .map_err(|e| Failure::Runtime(format!("cannot read {}: {e}", path.display())))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(Failure::Runtime(format!(
                "{path} holds secrets but other users may read it (mode {mode:04o}); make it \
                 yours alone: chmod 600 {path}",
                path = path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn mint(key: &Path, scope: &TokenScope, exp: Option<i64>) -> Result<(), Failure> {
    let keys = load_private(key)?;
    println!(
        "{}",
        issue(
            &keys,
            scope.namespace_id.as_deref(),
            scope.container_id.as_deref(),
            exp
        )
    );
    Ok(())
}

/// A token as the platform issues it for a namespace or a container.
pub(crate) fn issue(
    keys: &KeyPair,
    namespace_id: Option<&str>,
    container_id: Option<&str>,
    exp: Option<i64>,
) -> String {
    let token = match (namespace_id, container_id) {
        (ns, Some(ct)) => match ns {
            Some(ns) => keys.token().container(ns, ct),
            None => keys.token().container_without_namespace(ct),
        },
        (Some(ns), None) => keys.token().namespace(ns),
        (None, None) => unreachable!("clap requires one of the ids"),
    };
    match exp {
        Some(exp) => token.expires_at(exp).sign(),
        None => token.sign(),
    }
}

fn inspect(
    token: &str,
    key: Option<&Path>,
    namespace_id: Option<&str>,
    container_id: Option<&str>,
) -> Result<(), Failure> {
    let segments: Vec<&str> = token.trim().split('.').collect();
    let [header, payload, _] = segments[..] else {
        println!(
            "not a JWT: expected three dot-separated parts, found {}",
            segments.len()
        );
        return Err(Failure::Refused);
    };
    println!("header (unverified):\n{}", decode_segment(header));
    println!("claims (unverified):\n{}", decode_segment(payload));
    let Some(key) = key else {
        println!("no --key given: nothing was verified");
        return Ok(());
    };
    let text = fs::read_to_string(key)
        .map_err(|e| Failure::Runtime(format!("cannot read {}: {e}", key.display())))?;
    let public = PublicKey::from_pem(&text)
        .map_err(|e| Failure::Usage(format!("{}: {e}", key.display())))?;
    let mut builder = Verifier::builder()
        .public_key(public)
        .namespace_id(namespace_id.unwrap_or_default());
    let mut policy = Policy::new();
    match container_id {
        Some(container_id) => builder = builder.container_id(container_id),
        None => {
            println!("no --container-id given: only a namespace token can be accepted");
            policy = policy.scope(Scope::NamespaceToken);
        }
    }
    let verifier = builder.build().map_err(|e| Failure::Usage(e.to_string()))?;
    match verifier.verify(token.trim(), &policy) {
        Ok(claims) => {
            println!("accepted: a {:?} token", claims.kind());
            Ok(())
        }
        Err(rejection) => {
            println!(
                "refused ({}, HTTP {}): {}",
                rejection.kind(),
                rejection.status().as_u16(),
                rejection.reason()
            );
            Err(Failure::Refused)
        }
    }
}

/// Pretty JSON of a base64url segment, or what is wrong with it.
fn decode_segment(segment: &str) -> String {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(segment) else {
        return "  (not base64url)".to_owned();
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(json) => serde_json::to_string_pretty(&json).unwrap_or_default(),
        Err(e) => format!("  (not JSON: {e})"),
    }
}
