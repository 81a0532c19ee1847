#!/usr/bin/env bash
# Mutation testing of runtime/src with cargo-mutants: would a test notice if a rule broke?
#
#   scripts/mutants.sh                               # runtime/src against the runtime's own tests
#   scripts/mutants.sh --file runtime/src/token.rs   # one file (any cargo-mutants option works)
#   scripts/mutants.sh --workspace                   # the framework adapters, against the
#                                                    # workspace's HTTP suites too
#
# The runtime's own tests (`--lib --tests`) are the ones that travel with the published crate,
# so they must catch every viable mutant of the rules. The framework adapters (axum.rs,
# actix.rs, handoff.rs, private.rs) are glue whose behaviour only shows through a real
# framework: their mutants are caught by the HTTP round-trips of `tests/` and `examples/`,
# which `--workspace` runs. `testing/` is the test kit itself. Mutants accepted as equivalent
# (no test can tell them apart, because no behaviour changes) are listed, each with its
# reason, in `mutants.equivalent`. Results land in `mutants.out/` (ignored by git).
#
# A full run takes hours on 2 cores; it is not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null; then
    cargo install cargo-mutants --locked --version 27.1.0
fi

args=(--package scw-private --all-features --exclude 'runtime/src/testing/**')
adapters=(runtime/src/axum.rs runtime/src/actix.rs runtime/src/handoff.rs runtime/src/private.rs)
test_args=(--lib --tests)
if [ "${1:-}" = "--workspace" ]; then
    shift
    for file in "${adapters[@]}"; do args+=(--file "$file"); done
    # Every package with HTTP round-trips. cargo-mutants runs its baseline on the mutated
    # package alone and sets the test timeout from that, which is too short for the
    # examples' real processes: give it one.
    args+=(--test-package scw-private,tests,examples,function-example --timeout 300)
else
    for file in "${adapters[@]}"; do args+=(--exclude "$file"); done
fi
# `pattern  # reason`, one a line; the pattern is a regex over cargo-mutants' mutant names.
while IFS= read -r line; do
    pattern=${line%%  #*}
    [ -n "$pattern" ] && args+=(--exclude-re "$pattern")
done < <(grep -v '^#' mutants.equivalent | grep -v '^[[:space:]]*$')

cargo mutants "${args[@]}" "$@" -- "${test_args[@]}"
