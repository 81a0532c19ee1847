#!/usr/bin/env bash
# The README's axum service, as a user gets it: pasted into a fresh crate whose only
# dependencies are the README's own `cargo add` lines, built (sharing this workspace's target
# directory), refused to start on a bad configuration, then run behind `scw-jwt edge` and
# called with a token the edge minted. Doctests with every feature on cannot see what a pasted
# snippet misses (a dependency, a feature, an environment variable); this can.
#
# Until scw-private is on crates.io, its `cargo add` line gets `--path runtime` instead of the
# registry; every other line runs as written.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

work=$(mktemp -d)
edge_pid=""
cleanup() {
    [ -z "$edge_pid" ] || kill "$edge_pid" 2>/dev/null || true
    [ -z "$edge_pid" ] || wait "$edge_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# `fresh_crate NAME HEADING`: a new crate NAME in $work whose src/main.rs (and build.rs, if
# any) are the Rust blocks that `<!-- CI builds ... -->` comments mark in the README section
# HEADING, and whose dependencies are that section's own `cargo add` lines; the working
# directory is left there.
fresh_crate() {
    local name=$1 heading=$2 section line
    section=$(sed -n "/^## $heading/,/^## /p" "$root/README.md")
    mapfile -t adds < <(printf '%s\n' "$section" | grep '^cargo add ')
    [ "${#adds[@]}" -gt 0 ] || { echo "no \`cargo add\` line in the README's section \"$heading\"" >&2; exit 1; }
    mkdir "$work/$name"
    cd "$work/$name"
    cargo init --quiet --vcs none --name "$name"
    rm src/main.rs
    # Each marked block goes where its comment says: `as build.rs`, else `as src/main.rs`.
    printf '%s\n' "$section" | awk '
        /^<!-- CI builds/ { marked = 1; file = ($0 ~ /as build\.rs/) ? "build.rs" : "src/main.rs" }
        marked && inside && /^```$/ { marked = 0; inside = 0; next }
        inside { print > file }
        marked && /^```rust/ { inside = 1; printf "" > file }
    '
    [ -s src/main.rs ] || { echo "no marked Rust block in the README's section \"$heading\"" >&2; exit 1; }
    # The workspace's lock file, so the crate builds with the versions CI already compiled.
    cp "$root/Cargo.lock" .
    for line in "${adds[@]}"; do
        line=${line/cargo add scw-private /cargo add --path $root/runtime }
        echo "   $line"
        eval "$line --quiet"
    done
}

echo "-- a fresh crate, with the README's dependencies"
fresh_crate my-service "Add it to your service"
cargo build --quiet
service="$CARGO_TARGET_DIR/debug/my-service"

echo "-- without a key it refuses to start, and names the handler"
if out=$(env -u SCW_PUBLIC_KEY SCW_PUBLIC=false SCW_NAMESPACE_ID=ns SCW_APPLICATION_ID=ct "$service" 2>&1); then
    echo "it started without a key: $out" >&2
    exit 1
fi
case "$out" in
    *"not starting: handler \`my_service::private\` cannot be protected: \`SCW_PUBLIC_KEY\`"*) ;;
    *) echo "unexpected refusal: $out" >&2; exit 1 ;;
esac

echo "-- behind scw-jwt edge, with the README's commands"
cargo build --quiet --manifest-path "$root/Cargo.toml" -p scw-jwt
scw_jwt="$CARGO_TARGET_DIR/debug/scw-jwt"
"$scw_jwt" keygen --bits 2048 --out dev-keys >/dev/null 2>&1
dev_keys=$PWD/dev-keys
# Sets `port` once the edge listens and has printed its tokens.
wait_for_edge() {
    port=""
    for _ in $(seq 1 200); do
        port=$(sed -n 's|^scw-jwt edge listening on http://127.0.0.1:\([0-9]*\).*|\1|p' edge.out)
        grep -q "^export NS_TOKEN=" edge.out 2>/dev/null && [ -n "$port" ] && break
        kill -0 "$edge_pid" 2>/dev/null || { cat edge.out edge.err >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$port" ] || { echo "the edge never listened" >&2; cat edge.out edge.err >&2; exit 1; }
}
"$scw_jwt" edge --key "$dev_keys/private.pem" --port 0 -- "$service" >edge.out 2>edge.err &
edge_pid=$!
wait_for_edge
token=$(sed -n "s/^export NS_TOKEN='\(.*\)'$/\1/p" edge.out)

# One HTTP/1.1 GET over loopback with bash alone: the status line, then the body.
get() {
    local path=$1 header=${2:-}
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n' "$path" \
        "${header:+$header$'\r\n'}" >&3
    cat <&3
    exec 3<&-
}
status() { get "$@" | head -n 1 | cut -d' ' -f2; }

[ "$(status /private)" = 403 ] || { echo "a call without a token reached the service" >&2; exit 1; }
answer=$(get /private "X-Auth-Token: $token")
case "$answer" in
    "HTTP/1.1 200"*"Namespace token for namespace Some("*) ;;
    *) echo "the service did not answer the minted token: $answer" >&2; cat edge.err >&2; exit 1 ;;
esac
echo "README service: built from the README's lines, refuses a bad configuration, serves behind scw-jwt edge"

echo "-- the README's gRPC service, pasted into a fresh crate with the section's own lines"
fresh_crate grpc-service "gRPC (tonic)"
# The client that calls it: one file of this repository beside the pasted ones, built with the
# crate's own dependencies (tonic, tonic-prost, tokio).
mkdir src/bin
cp "$root/scripts/grpc-call.rs" src/bin/grpc-call.rs
cargo build --quiet
grpc_service="$CARGO_TARGET_DIR/debug/grpc-service"
grpc_call="$CARGO_TARGET_DIR/debug/grpc-call"

echo "-- its unit test, as pasted"
cargo test --quiet

echo "-- without a key it refuses to start, and names the first handler it checked"
if out=$(env -u SCW_PUBLIC_KEY SCW_PUBLIC=false SCW_NAMESPACE_ID=ns SCW_APPLICATION_ID=ct "$grpc_service" 2>&1); then
    echo "it started without a key: $out" >&2
    exit 1
fi
case "$out" in
    # The records' order is the linker's: the REST handler or the method, by its route.
    *"not starting: handler \`grpc_service::private\` cannot be protected: \`SCW_PUBLIC_KEY\`"*) ;;
    *"not starting: "*"/helloworld.Greeter/SayHello"*"\`SCW_PUBLIC_KEY\`"*) ;;
    *) echo "unexpected refusal: $out" >&2; exit 1 ;;
esac

echo "-- behind scw-jwt edge, called over gRPC and over HTTP/1.1"
kill "$edge_pid" 2>/dev/null || true
wait "$edge_pid" 2>/dev/null || true
"$scw_jwt" edge --key "$dev_keys/private.pem" --port 0 -- "$grpc_service" >edge.out 2>edge.err &
edge_pid=$!
wait_for_edge
ct_token=$(sed -n "s/^export CT_TOKEN='\(.*\)'$/\1/p" edge.out)
call() { "$grpc_call" "http://127.0.0.1:$port" /helloworld.Greeter/SayHello world "$@" 2>&1 || true; }
expect_call() {
    local want=$1 got
    shift
    got=$(call "$@")
    case "$got" in
        $want) ;;
        *) echo "gRPC call: expected \"$want\", got \"$got\"" >&2; cat edge.err >&2; exit 1 ;;
    esac
}
expect_call "hello world, Namespace token" "$token"
# Without a token the edge refuses (403, so PERMISSION_DENIED); a container token passes the
# edge and the method refuses it, being for namespace tokens only.
expect_call "status PermissionDenied: a private container needs exactly one X-Auth-Token" ""
expect_call "status PermissionDenied: *namespace token*" "$ct_token"
answer=$(get /private "X-Auth-Token: $ct_token")
case "$answer" in
    "HTTP/1.1 200"*"Container token"*) ;;
    *) echo "the REST side did not answer the minted token: $answer" >&2; exit 1 ;;
esac
echo "README gRPC service: built from the README's lines, its test passes, refuses a bad configuration, serves gRPC and REST behind scw-jwt edge"
