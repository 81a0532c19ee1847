#!/usr/bin/env bash
# Mutation testing with cargo-mutants: would a test notice if a rule broke?
#
#   scripts/mutants.sh                               # runtime/src, the runtime's own tests
#   scripts/mutants.sh --file runtime/src/verification/token.rs   # one file (any cargo-mutants option works)
#   scripts/mutants.sh adapters                      # the framework adapters, against every
#                                                    # package with HTTP round-trips
#   scripts/mutants.sh macros                        # macros/src, the macro crate's tests
#   scripts/mutants.sh cli                           # cli/src, scw-jwt's tests
#
# The runtime's own tests (`--lib --tests`) are the ones that travel with the published crate,
# so they must catch every viable mutant of the rules. The framework adapters (integration/
# axum.rs, actix.rs, handoff.rs, and expansion.rs) are glue whose behaviour only shows through a real
# framework: the HTTP round-trips of `tests/` and `examples/` catch their mutants (handoff.rs's
# rules are pinned by the runtime's own tests as well). `testing/` is the test kit itself.
# Mutants accepted as equivalent (no test can tell them apart, because no behaviour changes)
# are listed, each with its reason, in `mutants.equivalent`. Results land in `mutants.out/`
# (ignored by git). Add `--in-place` to reuse this tree's `target/` instead of a cold build in
# a copy; the tree must then be left alone until the run ends.
#
# Figures and times of the last runs are in CONTRIBUTING.md. None of this is part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null; then
    cargo install cargo-mutants --locked --version 27.1.0
fi

adapters=(runtime/src/integration/axum.rs runtime/src/integration/actix.rs runtime/src/integration/handoff.rs runtime/src/expansion.rs)
mode=runtime
case "${1:-}" in
    runtime | adapters | macros | cli) mode=$1 && shift ;;
esac

test_args=()
case "$mode" in
    runtime)
        args=(--package scw-private --all-features --exclude 'runtime/src/testing/**')
        for file in "${adapters[@]}"; do args+=(--exclude "$file"); done
        test_args=(--lib --tests)
        ;;
    adapters)
        args=(--package scw-private --all-features)
        for file in "${adapters[@]}"; do args+=(--file "$file"); done
        # cargo-mutants runs its baseline on the mutated package alone and sets the test
        # timeout from that, which is too short for the examples' real processes: give one.
        args+=(--test-package scw-private,tests,examples,function-example --timeout 300)
        ;;
    macros)
        args=(--package scw-private-macros)
        ;;
    cli)
        # The edge's tests run real processes; a mutant that hangs one is a timeout (caught),
        # and a minute is several times what the whole suite takes.
        args=(--package scw-jwt --all-features --timeout 60)
        ;;
esac

# `pattern  # reason`, one a line; the pattern is a regex over cargo-mutants' mutant names.
while IFS= read -r line; do
    pattern=${line%%  #*}
    [ -n "$pattern" ] && args+=(--exclude-re "$pattern")
done < <(grep -v '^#' mutants.equivalent | grep -v '^[[:space:]]*$')

cargo mutants "${args[@]}" "$@" -- "${test_args[@]}"
