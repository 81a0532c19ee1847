//! `scw-jwt edge`: the user's service run as the platform runs a container, behind a local
//! stand-in for the platform's edge.
//!
//! The edge starts the command with the environment the platform injects (`SCW_PUBLIC_KEY`
//! from the key pair, the ids, `SCW_PUBLIC`, `PORT` on a free loopback port), waits until it
//! listens, and serves a front port as a reverse proxy. For a private container it admits a
//! call only with an `X-Auth-Token` it accepts (a JWT minted with the key for this container
//! or its namespace, or one of its IAM secret keys) and answers 403 otherwise, as the
//! platform documents; for a public one it forwards everything. Its own refusals never
//! contain the credential; a gRPC call's are gRPC statuses.
//!
//! The front port speaks HTTP/1.1 and HTTP/2 cleartext (told apart by the connection
//! preface), so gRPC clients can call a tonic service through it, as on a container deployed
//! with `protocol: h2c`.
//!
//! The service is asked to listen on loopback only (`LISTEN_HOST=127.0.0.1`), and what it
//! really bound is checked: a service reachable on another address can be called without
//! passing the edge, so a private container's edge refuses to start in front of one unless
//! told to accept the risk.
//!
//! The service's output is the edge's own (inherited), signals reach its whole process group,
//! the edge exits with its exit code, and the service never outlives the edge (see
//! [`process`] for what holds where).
//!
//! One file per concern: [`process`] supervises the service, [`descendants`] ends and watches
//! everything it starts, [`secrets`] keeps the edge's secrets from it, `netns` gives it a
//! network namespace of its own (`--isolate-network`, Linux), [`proxy`] is the reverse proxy
//! and the admission rule, [`banner`] says what runs where. docs/local-development.md states
//! each guarantee and its limits.

mod banner;
mod descendants;
#[cfg(target_os = "linux")]
mod netns;
#[cfg(target_os = "linux")]
pub(crate) use netns::{CONNECTOR_VARIABLE, run_connector};
mod process;
mod proxy;
mod secrets;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::ValueEnum;
use scw_private::testing::KeyPair;
use tokio::net::TcpListener;

use crate::Failure;
use process::{Exposure, Signals};
use proxy::Edge;

/// What the platform says about the container: whether its edge checks credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Privacy {
    /// The edge refuses calls without an accepted `X-Auth-Token` (403).
    Private,
    /// The edge forwards every call.
    Public,
}

/// What the edge does with `X-Auth-Token` once it has checked it. The real edge's behaviour
/// is not documented, so both can be tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ForwardToken {
    /// Forward it to the service as it came.
    Keep,
    /// Remove it before forwarding.
    Strip,
}

/// `scw-jwt edge`'s flags.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The private key (PEM): its public half is the service's SCW_PUBLIC_KEY, and the edge
    /// accepts the JWTs it signs.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// The service's namespace (SCW_NAMESPACE_ID); by default the quickstart's development id.
    #[arg(long, value_name = "ID", default_value = DEV_NAMESPACE_ID)]
    pub(crate) namespace_id: String,
    /// The service's container id (SCW_APPLICATION_ID); by default the quickstart's.
    #[arg(long, value_name = "ID", default_value = DEV_CONTAINER_ID)]
    pub(crate) container_id: String,
    /// The container's privacy: a private one's edge refuses calls without an accepted
    /// X-Auth-Token (403); a public one's forwards everything.
    #[arg(long, value_enum, default_value_t = Privacy::Private)]
    pub(crate) privacy: Privacy,
    /// The front port, where clients call (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub(crate) port: u16,
    /// The front address; loopback unless you mean it.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: std::net::IpAddr,
    /// The secret key of an IAM API key the edge accepts (a UUID); repeatable. Visible to
    /// every user of this machine in `ps`: prefer --iam-key-file or SCW_JWT_IAM_KEYS. Without
    /// any, a fresh key is generated and printed.
    #[arg(long = "iam-key", value_name = "UUID", value_parser = IamKeyParser)]
    pub(crate) iam_keys: Vec<String>,
    /// A file of IAM secret keys the edge accepts, one a line (blank lines and `#` comments
    /// skipped).
    #[arg(long = "iam-key-file", value_name = "FILE")]
    pub(crate) iam_key_file: Option<PathBuf>,
    /// What the edge does with X-Auth-Token after checking it; the real edge's choice is not
    /// documented.
    #[arg(long, value_enum, default_value_t = ForwardToken::Keep)]
    pub(crate) forward_token: ForwardToken,
    /// Start in front of a private container's service even if it listens beyond loopback,
    /// where anyone who reaches it skips the edge (it is asked to listen on 127.0.0.1 with
    /// LISTEN_HOST).
    #[arg(long)]
    pub(crate) allow_exposed_service: bool,
    /// Seconds a request body may go without sending anything before the edge cuts the call
    /// (408); the wait for a request's headers is limited apart (30 s).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) body_timeout: u64,
    /// Forward every request over HTTP/2 cleartext, like a container deployed with `protocol:
    /// h2c` (a gRPC service that accepts nothing else). Without it, a request goes on in the
    /// version it came in: HTTP/1.1, or HTTP/2 (h2c) for a gRPC client.
    #[arg(long)]
    pub(crate) h2c: bool,
    /// Run the service in a network namespace of its own whose only interface is loopback
    /// (Linux): nothing beyond this machine can reach it, however it listens. It reaches
    /// nothing outside either (no database, no DNS, no crates for `cargo run`), and needs
    /// user namespaces, which some distributions keep from ordinary users.
    #[arg(long)]
    pub(crate) isolate_network: bool,
    /// The command that starts the service, after `--`; it must listen on $PORT.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub(crate) command: Vec<OsString>,
}

/// The development ids of the quickstart, which `edge` uses by default.
const DEV_NAMESPACE_ID: &str = "00000000-0000-4000-8000-00000000dev0";
const DEV_CONTAINER_ID: &str = "00000000-0000-4000-8000-00000000dev1";

/// What the edge runs with: its flags, the key pair they name, and every IAM key it accepts
/// (from --iam-key, --iam-key-file and SCW_JWT_IAM_KEYS).
pub(crate) struct Options {
    pub(crate) args: Args,
    pub(crate) keys: KeyPair,
    pub(crate) iam_keys: Vec<String>,
}

/// Every variable only the edge reads: the service's environment never carries them (the
/// platform's edge keeps its secrets to itself too), nor does anything the service starts.
pub(super) const EDGE_ONLY_VARIABLES: [&str; 2] =
    [secrets::KEYS_VARIABLE, secrets::KEYS_FD_VARIABLE];

/// The IAM keys given with --iam-key and in SCW_JWT_IAM_KEYS: the ones the edge hides by
/// starting itself again without them (`secrets`).
fn given_iam_keys(args: &Args) -> Result<Vec<String>, Failure> {
    let mut keys = args.iam_keys.clone();
    if let Some(value) = std::env::var_os(secrets::KEYS_VARIABLE) {
        let value = value.to_str().ok_or_else(|| {
            Failure::Usage(format!("{} is not valid UTF-8", secrets::KEYS_VARIABLE))
        })?;
        keys.extend(
            value
                .split(',')
                .map(str::trim)
                .filter(|key| !key.is_empty())
                .map(str::to_owned),
        );
    }
    Ok(keys)
}

/// Every IAM key `edge` was given: with --iam-key and in SCW_JWT_IAM_KEYS (`given`), and in
/// --iam-key-file.
fn iam_keys(args: &Args, given: Vec<String>) -> Result<Vec<String>, Failure> {
    let mut keys = given;
    if let Some(path) = &args.iam_key_file {
        let text = crate::read_secret_file(path)?;
        keys.extend(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(str::to_owned),
        );
    }
    Ok(keys)
}

/// Parses `--iam-key` without ever repeating the value in an error: it may be a real secret
/// with a typo.
#[derive(Clone)]
struct IamKeyParser;

impl clap::builder::TypedValueParser for IamKeyParser {
    type Value = String;

    fn parse_ref(
        &self,
        _: &clap::Command,
        _: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        match value.to_str() {
            Some(key) if scw_private::testing::is_iam_secret_key(key) => Ok(key.to_owned()),
            _ => Err(clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                "--iam-key takes the secret key of an IAM API key, a UUID (the value given is \
                 not repeated here)\n",
            )),
        }
    }
}

pub(crate) fn run(args: Args) -> Result<ExitCode, Failure> {
    let given = match secrets::handed_over()? {
        Some(handed_over) => handed_over,
        None => {
            let given = given_iam_keys(&args)?;
            // Returns only when no key is in the environment or the arguments.
            secrets::start_again_without(&given)?;
            given
        }
    };
    secrets::not_dumpable()?;
    let iam_keys = iam_keys(&args, given)?;
    let keys = crate::load_private(&args.key)?;
    let options = Options {
        args,
        keys,
        iam_keys,
    };
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| Failure::Runtime(format!("cannot start: {e}")))?;
    runtime.block_on(serve(options))
}

async fn serve(mut options: Options) -> Result<ExitCode, Failure> {
    // Only a key made here is printed: one given with --iam-key may be a real secret.
    let generated_iam_key = options.iam_keys.is_empty();
    if generated_iam_key {
        options
            .iam_keys
            .push(scw_private::testing::iam_secret_key());
    }
    for key in &options.iam_keys {
        if !proxy::is_uuid(key) {
            return Err(Failure::Usage(
                "--iam-key takes the secret key of an IAM API key, a UUID".to_owned(),
            ));
        }
    }
    // Signals are caught before the service starts, so none is lost in between.
    let mut signals = Signals::new()?;
    // Whatever the service starts, however it detaches, stays below the edge (Linux).
    descendants::become_subreaper()
        .map_err(|e| Failure::Runtime(format!("cannot supervise the service: {e}")))?;
    // Before the service starts, so that what it opens later is told from what was there.
    let listeners = descendants::Watch::start();
    let upstream = process::free_loopback_port()?;
    let mut service = process::Service::start(&options, upstream)?;
    outln!(
        "scw-jwt edge: started {} (pid {}), waiting for it to listen on {upstream}{}",
        process::describe(&options.args.command),
        service.pid(),
        if options.args.isolate_network {
            " in its network namespace"
        } else {
            ""
        },
    );
    let way_in = match way_in(&options, &service, upstream) {
        Ok(way_in) => way_in,
        Err(failure) => {
            let _ = service.stop(libc::SIGTERM, &mut signals).await;
            return Err(failure);
        }
    };

    tokio::select! {
        status = service.wait() => return process::exited(status, " before it listened"),
        signal = signals.next() => return Ok(service.stop(signal, &mut signals).await),
        ready = process::listening(&way_in) => {
            if !ready {
                let _ = service.stop(libc::SIGTERM, &mut signals).await;
                return Err(Failure::Runtime(format!(
                    "the service did not listen on {upstream} within {} s; it must listen on $PORT",
                    process::STARTUP_TIMEOUT.as_secs()
                )));
            }
        }
    }

    let exposure = if options.args.isolate_network {
        Exposure::Isolated
    } else {
        process::exposure(upstream.port())
    };
    if let Exposure::Beyond(addresses) = &exposure
        && options.args.privacy == Privacy::Private
        && !options.args.allow_exposed_service
    {
        let _ = service.stop(libc::SIGTERM, &mut signals).await;
        return Err(Failure::Runtime(format!(
            "the service listens on {} beyond loopback: anyone who reaches port {} there skips \
             the edge, and every `platform_iam` route trusts them. Make it listen on \
             127.0.0.1 (the edge sets LISTEN_HOST=127.0.0.1, which the examples honour), or \
             pass --allow-exposed-service to accept the risk",
            process::list(addresses),
            upstream.port()
        )));
    }

    let front = match TcpListener::bind((options.args.host, options.args.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            // The edge cannot serve: the service must not be left running.
            let _ = service.stop(libc::SIGTERM, &mut signals).await;
            return Err(Failure::Runtime(format!(
                "cannot listen on {}:{}: {e}",
                options.args.host, options.args.port
            )));
        }
    };
    let front_addr = front
        .local_addr()
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    banner::banner(&options, front_addr, generated_iam_key, &exposure);

    let edge = Arc::new(Edge {
        verifier: options
            .keys
            .verifier(&options.args.namespace_id, &options.args.container_id),
        args: options.args,
        iam_keys: options.iam_keys,
        upstream,
        client: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(way_in.clone()),
        h2c_client: hyper_util::client::legacy::Client::builder(
            hyper_util::rt::TokioExecutor::new(),
        )
        .http2_only(true)
        .build(way_in),
    });
    // Where the service listens is checked again every second: a listener it opens later (a
    // second port, `[::]`, the same port with SO_REUSEPORT) goes around the edge as surely as
    // one opened at start.
    let mut watch = tokio::time::interval(WATCH_EVERY);
    let mut warned: Vec<descendants::Exposed> = Vec::new();
    loop {
        tokio::select! {
            status = service.wait() => return process::exited(status, "; stopping"),
            signal = signals.next() => return Ok(service.stop(signal, &mut signals).await),
            accepted = front.accept() => match accepted {
                Ok((stream, client)) => {
                    tokio::spawn(proxy::connection(Arc::clone(&edge), stream, client));
                }
                // Out of file descriptors (EMFILE) and the like: retrying at once would spin.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            },
            _ = watch.tick() => {
                descendants::reap(service.pid());
                // In a namespace of its own, nothing beyond loopback reaches the service.
                if edge.args.isolate_network {
                    continue;
                }
                let exposed = listeners.exposed().unwrap_or_default();
                let new: Vec<descendants::Exposed> =
                    exposed.into_iter().filter(|a| !warned.contains(a)).collect();
                if new.is_empty() {
                    continue;
                }
                let addresses = process::list_sockets(&new);
                if edge.args.privacy == Privacy::Private && !edge.args.allow_exposed_service {
                    let _ = service.stop(libc::SIGTERM, &mut signals).await;
                    return Err(Failure::Runtime(format!(
                        "the service started listening on {addresses} beyond loopback: anyone \
                         who reaches it there skips the edge, and every `platform_iam` route \
                         trusts them; it was stopped. Make it listen on 127.0.0.1 only, or pass \
                         --allow-exposed-service to accept the risk"
                    )));
                }
                errln!(
                    "scw-jwt edge: WARNING: the service now also listens on {addresses}: anyone \
                     who reaches it there skips this edge"
                );
                warned.extend(new);
            }
        }
    }
}

/// How the edge reaches the service: on loopback, or with `--isolate-network` through a door
/// into its network namespace.
fn way_in(
    options: &Options,
    service: &process::Service,
    upstream: std::net::SocketAddr,
) -> Result<proxy::Upstream, Failure> {
    if !options.args.isolate_network {
        return Ok(proxy::Upstream::Loopback(upstream));
    }
    #[cfg(target_os = "linux")]
    return netns::Door::open(service.pid(), upstream.port()).map(proxy::Upstream::Namespace);
    #[cfg(not(target_os = "linux"))]
    {
        let _ = service;
        Err(Failure::Usage("--isolate-network needs Linux".to_owned()))
    }
}

/// How often the edge checks where the service listens.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
