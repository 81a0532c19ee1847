#!/usr/bin/env bash
# The runtime's layers, kept by a check rather than by a reviewer's eye (CONTRIBUTING.md,
# "Layout"). Three layers, each importing only those below it:
#
#   runtime/src/verification/, env.rs   the core: knows no framework, no glue, no integration
#   runtime/src/registry.rs, expansion.rs   what expansions record and name: may use the core
#   runtime/src/integration/             axum, actix-web, tower, tonic, OpenAPI: may use both
#
# and `__private`, which lib.rs assembles, is named by no other file. Comment and doc lines
# are not read: a doc link to `crate::layer` from the core is a pointer for readers, not a
# dependency. Fails, naming file and line, on the first layer that breaks its rule.
set -euo pipefail
cd "$(dirname "$0")/../runtime"

# The framework features: every feature of the crate but the core's own.
frameworks=$(sed -n '/^\[features\]/,/^\[/p' Cargo.toml | sed -n 's/^\([a-z0-9_-]*\) = .*/\1/p' |
    grep -vxE 'default|aws-lc-rs|rust-crypto|tracing|metrics|testing')
[ -n "$frameworks" ] || { echo "layers.sh: no framework feature found in runtime/Cargo.toml" >&2; exit 1; }
feature_pattern=$(printf 'feature = "%s"|' $frameworks)
feature_pattern=${feature_pattern%|}

# Code lines only: drop `//` comments (doc comments included), keep `file:line:` in front.
code() {
    grep -rnE --include='*.rs' "$1" "${@:2}" | grep -vE '^[^:]+:[0-9]+:\s*//' || true
}

status=0
report() {
    local rule=$1 found=$2
    if [ -n "$found" ]; then
        echo "$rule:" >&2
        printf '  %s\n' "$found" >&2
        status=1
    fi
}

core=(src/verification src/env.rs)
report "the core names a framework feature" \
    "$(code "$feature_pattern" "${core[@]}")"
report "the core imports the glue or an integration" \
    "$(code 'crate::(registry|expansion|integration|layer|tonic_0_14|openapi|testing)\b|__private' "${core[@]}")"
report "the core names a framework crate" \
    "$(code '\b(axum|actix_web|tonic|tower_service|tower_layer|aide|utoipa)::' "${core[@]}")"

glue=(src/registry.rs src/expansion.rs)
report "the glue imports an integration" \
    "$(code 'crate::(integration|layer|tonic_0_14|openapi)\b|__private' "${glue[@]}")"

report "a module other than lib.rs names \`__private\`" \
    "$(code '__private' src --exclude=lib.rs)"

if [ "$status" -eq 0 ]; then
    echo "layers hold: the core names no framework, glue or integration; the glue no integration"
fi
exit "$status"
