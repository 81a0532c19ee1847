//! `scw-jwt edge`: the user's service run as the platform runs a container, behind a local
//! stand-in for the platform's edge.
//!
//! The edge starts the command with the environment the platform injects (`SCW_PUBLIC_KEY`
//! from the key pair, the ids, `SCW_PUBLIC`, `PORT` on a free loopback port), waits until it
//! listens, and serves a front port as a reverse proxy. For a private container it admits a
//! call only with an `X-Auth-Token` it accepts (a JWT minted with the key for this container
//! or its namespace, or one of its IAM secret keys) and answers 403 otherwise, as the
//! platform documents; for a public one it forwards everything. Its own refusals never
//! contain the credential.
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
//! One file per concern: [`process`] supervises the service, [`proxy`] is the reverse proxy
//! and the admission rule, [`banner`] says what runs where.

mod banner;
mod process;
mod proxy;

use std::ffi::OsString;
use std::net::IpAddr;
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

/// Everything `scw-jwt edge` was asked.
pub(crate) struct Options {
    pub(crate) keys: KeyPair,
    pub(crate) namespace_id: String,
    pub(crate) container_id: String,
    pub(crate) privacy: Privacy,
    pub(crate) host: IpAddr,
    pub(crate) port: u16,
    pub(crate) iam_keys: Vec<String>,
    pub(crate) forward_token: ForwardToken,
    /// Serve a private container even when the service listens beyond loopback, where
    /// anyone who reaches its port skips the edge.
    pub(crate) allow_exposed_service: bool,
    /// How long a request body may go without sending anything before the call is cut.
    pub(crate) body_timeout: std::time::Duration,
    pub(crate) command: Vec<OsString>,
}

pub(crate) fn run(options: Options) -> Result<ExitCode, Failure> {
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
    let upstream = process::free_loopback_port()?;
    let mut service = process::Service::start(&options, upstream)?;
    println!(
        "scw-jwt edge: started {} (pid {}), waiting for it to listen on {upstream}",
        process::describe(&options.command),
        service.pid(),
    );

    tokio::select! {
        status = service.wait() => return process::exited(status, " before it listened"),
        signal = signals.next() => return Ok(service.stop(signal, &mut signals).await),
        ready = process::listening(upstream) => {
            if !ready {
                let _ = service.stop(libc::SIGTERM, &mut signals).await;
                return Err(Failure::Runtime(format!(
                    "the service did not listen on {upstream} within {} s; it must listen on $PORT",
                    process::STARTUP_TIMEOUT.as_secs()
                )));
            }
        }
    }

    let exposure = process::exposure(upstream.port());
    if let Exposure::Beyond(addresses) = &exposure
        && options.privacy == Privacy::Private
        && !options.allow_exposed_service
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

    let front = match TcpListener::bind((options.host, options.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            // The edge cannot serve: the service must not be left running.
            let _ = service.stop(libc::SIGTERM, &mut signals).await;
            return Err(Failure::Runtime(format!(
                "cannot listen on {}:{}: {e}",
                options.host, options.port
            )));
        }
    };
    let front_addr = front
        .local_addr()
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    banner::banner(&options, front_addr, generated_iam_key, &exposure);

    let edge = Arc::new(Edge {
        privacy: options.privacy,
        forward_token: options.forward_token,
        verifier: options
            .keys
            .verifier(&options.namespace_id, &options.container_id),
        iam_keys: options.iam_keys,
        upstream,
        body_timeout: options.body_timeout,
        client: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http(),
    });
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
            }
        }
    }
}
