//! The start-up banner: what runs where, and tokens and commands that work as printed.

use std::net::SocketAddr;

use super::process::{self, Exposure};
use super::{ForwardToken, Options, Privacy};

/// A flag's value as clap spells it on the command line.
fn flag_value(value: &impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |value| value.get_name().to_owned())
}

/// Prints what runs where, and tokens and commands that work as printed.
pub(super) fn banner(
    options: &Options,
    front: SocketAddr,
    generated_iam_key: bool,
    exposure: &Exposure,
) {
    let (ns, ct) = (&options.args.namespace_id, &options.args.container_id);
    let keys = &options.keys;
    let base = format!("http://{front}");
    outln!("scw-jwt edge listening on {base}");
    outln!(
        "  a {} container (--privacy {}): namespace id {ns}, container id {ct}",
        flag_value(&options.args.privacy),
        flag_value(&options.args.privacy),
    );
    outln!(
        "  X-Auth-Token is {} (--forward-token {})",
        match (options.args.forward_token, options.args.privacy) {
            (ForwardToken::Keep, Privacy::Private) => "forwarded to the service once checked",
            (ForwardToken::Keep, Privacy::Public) => "forwarded to the service as sent",
            (ForwardToken::Strip, _) => "removed before forwarding",
        },
        flag_value(&options.args.forward_token),
    );
    outln!(
        "  HTTP/1.1 and HTTP/2 cleartext (gRPC) accepted; {}",
        if options.args.h2c {
            "every request forwarded over h2c (--h2c)"
        } else {
            "each request forwarded in the version it came in (--h2c for h2c only)"
        }
    );
    outln!("  {}", super::descendants::TEARDOWN);
    match exposure {
        Exposure::LoopbackOnly => outln!(
            "  the service listens on loopback only; a listener it opens beyond loopback \
             (TCP or UDP) is watched for every second (--isolate-network to rule it out)"
        ),
        Exposure::Beyond(addresses) => {
            outln!();
            outln!(
                "  WARNING: the service also listens on {}: anyone who reaches it there skips \
                 this edge",
                process::list(addresses)
            );
        }
        Exposure::Isolated => outln!(
            "  the service has a network namespace of its own, loopback only: nothing beyond \
             loopback reaches it, and it reaches nothing outside (--isolate-network)"
        ),
        Exposure::Unknown => outln!(
            "  where the service listens could not be checked; make sure it is loopback only"
        ),
    }
    outln!();
    outln!("export NS_TOKEN='{}'", keys.token().namespace(ns).sign());
    outln!(
        "export CT_TOKEN='{}'",
        keys.token().container(ns, ct).sign()
    );
    outln!(
        "export SIBLING_TOKEN='{}'",
        keys.token().container(ns, "a-sibling-container").sign()
    );
    if generated_iam_key {
        outln!("export IAM_KEY='{}'", options.iam_keys[0]);
    } else {
        // A real IAM secret key is never echoed. Pasted, this line keeps an IAM_KEY already
        // set (to the key the edge was given) and stops with a message when there is none.
        outln!(
            "export IAM_KEY=\"${{IAM_KEY:?set IAM_KEY to the key you gave the edge}}\"   # not printed"
        );
    }
    outln!();
    let (admitted, refused) = match options.args.privacy {
        Privacy::Private => ("forwarded, your service answers", "403 from the edge"),
        Privacy::Public => (
            "forwarded, your service answers",
            "forwarded, your service answers",
        ),
    };
    for (header, expected) in [
        (None, refused),
        (Some("$NS_TOKEN"), admitted),
        (Some("$CT_TOKEN"), admitted),
        (Some("$SIBLING_TOKEN"), refused),
        (Some("$IAM_KEY"), admitted),
    ] {
        let header = header
            .map(|value| format!(" -H \"X-Auth-Token: {value}\""))
            .unwrap_or_default();
        outln!("curl -i{header} {base}/   # expect {expected}");
    }
    // A gRPC call goes through the same edge: with grpcurl where it is installed (it needs
    // the service's reflection, or `-proto` and the service's .proto file), or with the
    // client of the repository's gRPC example.
    outln!();
    outln!(
        "# gRPC: grpcurl with the service's reflection (or -proto FILE), or the example's client"
    );
    outln!("grpcurl -plaintext -H \"x-auth-token: $NS_TOKEN\" {front} list");
    outln!("GRPC_SERVER={base} cargo run --example grpc -- call hello \"$NS_TOKEN\"");
    outln!();
}
