#!/usr/bin/env bash
# The public API of `scw-private`, with every feature, kept by a tool.
#
#   scripts/public-api.sh          check: fail when the API differs from runtime/public-api.txt
#                                  or names a crate missing from runtime/public-api-crates.txt
#   scripts/public-api.sh --bless  write runtime/public-api.txt from the code, after a change
#                                  to the API that is meant (commit it with the change)
#
# cargo-public-api renders the API from rustdoc's JSON. Its own build step asks for a nightly
# toolchain, which cannot be fetched here, so the JSON is built by this toolchain with
# RUSTC_BOOTSTRAP=1 (as the docs.rs stage of .ci/run builds its docs) and handed to it.
# Blanket impls are left out (they come from dependencies and change with their versions);
# auto-trait impls (losing `Send` is a breaking change) and derived impls are kept. Hidden
# items (`__private`, what expansions name) are not listed: rustdoc strips them.
#
# The listing also shows which crates' items the API exposes. Each is a dependency whose
# major version becomes part of ours; runtime/public-api-crates.txt lists the ones allowed,
# each with its reason, as tokio keeps an allow-list of external types.
set -euo pipefail
cd "$(dirname "$0")/.."

listing=runtime/public-api.txt
allowed=runtime/public-api-crates.txt
target=${CARGO_TARGET_DIR:-target}

if ! command -v cargo-public-api >/dev/null; then
    echo "== installing cargo-public-api (once per machine)"
    cargo install --locked cargo-public-api@0.52.0
fi

RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="-Z unstable-options --output-format json" \
    cargo doc --no-deps --all-features -p scw-private --quiet
current=$(mktemp)
trap 'rm -f "$current"' EXIT
status=0
cargo public-api --rustdoc-json "$target/doc/scw_private.json" --omit blanket-impls >"$current"

if [ "${1:-}" = "--bless" ]; then
    cp "$current" "$listing"
    echo "wrote $listing ($(wc -l <"$listing") lines); commit it with the change"
    exit 0
fi

if ! diff -u "$listing" "$current"; then
    echo >&2
    echo "The public API of scw-private changed (above: - committed, + now)." >&2
    echo "If the change is meant, run scripts/public-api.sh --bless, commit $listing with it," >&2
    echo "and say what changed in CHANGELOG.md." >&2
    status=1
fi

# Nothing that exists only for expansions may show, on its own page or on a public type's: no
# path through a private module (rustdoc prints one when no public path exists), no item of
# `runtime/src/expansion.rs`, and no item marked `#[doc(hidden)]` in the runtime's sources.
internal=$(
    {
        sed -nE 's/^pub (struct|enum|trait|fn|const fn|static|const|type) ([A-Za-z_][A-Za-z0-9_]*).*/\2/p' runtime/src/expansion.rs
        grep -rh -A3 '#\[doc(hidden)\]' runtime/src --include='*.rs' |
            sed -nE 's/^ *pub (struct|enum|trait|fn|const fn|static|const|type|mod) ([A-Za-z_][A-Za-z0-9_]*).*/\2/p'
    } | sed '/^$/d' | grep -vx '__private' | sort -u
)
[ -n "$internal" ] || { echo "found no internal item to look for" >&2; exit 1; }
pattern="scw_private::(__private|expansion|integration|verification)::|\\b($(printf '%s\n' $internal | paste -sd '|'))\\b"
if leaked=$(grep -nE "$pattern" "$current"); then
    echo "The public API names items that exist only for #[scw_private] expansions:" >&2
    printf '%s\n' "$leaked" >&2
    echo "Keep them in __private and off public types (see runtime/src/expansion.rs)." >&2
    status=1
fi

# The roots of every path the API names (`http::request::Request` -> `http`), but this crate.
exposed=$(grep -oP '(?<![A-Za-z0-9_:])[a-z_][a-z0-9_]*(?=::)' "$current" | sort -u | grep -vx 'scw_private' || true)
unlisted=$(comm -23 <(printf '%s\n' "$exposed") <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$allowed" | sort -u))
if [ -n "$unlisted" ]; then
    echo "The public API exposes items of crates that $allowed does not allow:" >&2
    printf '  %s\n' $unlisted >&2
    echo "Hide them behind types of our own, or add each crate with its reason." >&2
    status=1
fi
[ "$status" -ne 0 ] || echo "public API unchanged ($(wc -l <"$listing") lines); it exposes only allowed crates"
exit "$status"
