#!/usr/bin/env bash
# Load comparison over loopback with wrk: the quickstart's unprotected `GET /`, its
# `#[scw_private]` `GET /private` with one reused token (the cache's case), and the same route
# protected by a peer middleware that calls `jsonwebtoken::decode` per request
# (examples/peer.rs). Runs alternate, ROUNDS times; the table shows medians and ratios.
#
#   scripts/load.sh                      # defaults: 3 rounds of 10 s, 64 connections
#   ROUNDS=5 DURATION=20s scripts/load.sh
#
# COMPARE=metrics compares instead the quickstart's `/private` built without the `metrics`
# feature and with it (the examples' default: a Prometheus recorder installed and recording
# every check), and reports the ratio of their medians and of each round.
#
#   COMPARE=metrics ROUNDS=10 scripts/load.sh
#
# Both servers and wrk share this machine's cores: figures compare the three targets with
# each other, not with a dedicated server.
set -euo pipefail
cd "$(dirname "$0")/.."

COMPARE=${COMPARE:-peer}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
NS=11111111-1111-4111-8111-111111111111
CT=22222222-2222-4222-8222-222222222222

if ! command -v wrk > /dev/null; then
    (apt-get install -y wrk || (apt-get update && apt-get install -y wrk)) > /dev/null
fi

target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet -p scw-jwt
if [ "$COMPARE" = metrics ]; then
    # One binary per build, kept before the next build replaces it.
    cargo build --release --quiet -p examples --example quickstart --no-default-features
    cp "$target/release/examples/quickstart" "$work/quickstart-plain"
    cargo build --release --quiet -p examples --example quickstart
    cp "$target/release/examples/quickstart" "$work/quickstart-metrics"
else
    cargo build --release --quiet -p examples --example quickstart --example peer
fi

"$target/release/scw-jwt" keygen --out "$work" > /dev/null 2>&1
export SCW_PUBLIC_KEY="$(cat "$work/public.pem")" SCW_NAMESPACE_ID=$NS SCW_APPLICATION_ID=$CT SCW_PUBLIC=false
token=$("$target/release/scw-jwt" mint --key "$work/private.pem" --namespace-id $NS)

if [ "$COMPARE" = metrics ]; then
    PORT=18181 "$work/quickstart-plain" > /dev/null 2>&1 &
    pids+=($!)
    PORT=18183 "$work/quickstart-metrics" > /dev/null 2>&1 &
    pids+=($!)
    declare -A urls=(
        [scw-private]="http://127.0.0.1:18181/private"
        [metrics]="http://127.0.0.1:18183/private"
    )
    order=(scw-private metrics)
else
    PORT=18181 "$target/release/examples/quickstart" > /dev/null 2>&1 &
    pids+=($!)
    PORT=18182 "$target/release/examples/peer" > /dev/null 2>&1 &
    pids+=($!)
    declare -A urls=(
        [unprotected]="http://127.0.0.1:18181/"
        [scw-private]="http://127.0.0.1:18181/private"
        [peer]="http://127.0.0.1:18182/private"
    )
    order=(unprotected scw-private peer)
fi

for name in "${order[@]}"; do
    for _ in $(seq 50); do
        status=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $token" "${urls[$name]}" || true)
        [ "$status" = 200 ] && break
        sleep 0.1
    done
    [ "$status" = 200 ] || { echo "$name did not answer 200 (got $status)" >&2; exit 1; }
done

# wrk prints latencies as 812.00us, 1.20ms or 1.01s: milliseconds, please.
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v*=1000 } printf "%.3f", v }'; }

results="$work/results"
: > "$results"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS alternating rounds"
for round in $(seq "$ROUNDS"); do
    for name in "${order[@]}"; do
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "X-Auth-Token: $token" "${urls[$name]}")
        if echo "$out" | grep -q "Non-2xx"; then
            echo "$name answered non-2xx responses:" >&2
            echo "$out" >&2
            exit 1
        fi
        rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
        p50=$(echo "$out" | awk '$1 == "50%" { print $2 }' | to_ms)
        p99=$(echo "$out" | awk '$1 == "99%" { print $2 }' | to_ms)
        printf 'round %s  %-12s %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms\n' "$round" "$name" "$rps" "$p50" "$p99"
        echo "$name $rps $p50 $p99" >> "$results"
    done
done

python3 - "$results" "${order[@]}" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
names = sys.argv[2:]
median = {}
for name in names:
    runs = [r for r in rows if r[0] == name]
    median[name] = [statistics.median(float(r[i]) for r in runs) for i in (1, 2, 3)]
print()
print(f"{'target':<12} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}   (medians)")
for name, (rps, p50, p99) in median.items():
    print(f"{name:<12} {rps:>10.0f} {p50:>8.3f} {p99:>8.3f}")
print()
if "metrics" in median:
    # Rounds alternate, so round i of each target ran side by side in time.
    plain = [float(r[1]) for r in rows if r[0] == "scw-private"]
    metered = [float(r[1]) for r in rows if r[0] == "metrics"]
    ratios = [m / p for m, p in zip(metered, plain)]
    print(f"metrics / scw-private throughput, medians: {median['metrics'][0] / median['scw-private'][0]:.3f}")
    print(f"round by round: median {statistics.median(ratios):.3f}, spread {min(ratios):.3f} to {max(ratios):.3f}")
    print("rounds: " + ", ".join(f"{r:.3f}" for r in ratios))
else:
    print(f"scw-private / unprotected throughput: {median['scw-private'][0] / median['unprotected'][0]:.3f}")
    print(f"scw-private / peer throughput:        {median['scw-private'][0] / median['peer'][0]:.3f}")
PY
