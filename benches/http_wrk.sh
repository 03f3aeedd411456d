#!/usr/bin/env bash
# HTTP/1 from an outside load generator: wrk against the same hyper hello server on goro and
# on tokio (examples/hello_server), the two taking turns.
#
#   benches/http_wrk.sh            # from the repository's root
#
# Each round starts one server, warms it up with wrk for WARMUP, measures it with
# `wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency`, and stops it; then the other
# runtime's round; which runtime goes first alternates from pair to pair. It prints each
# round (requests/s, latency percentiles, and goro's polls, parks and reactor wake-ups per
# request), goro/tokio per pair (requests/s; p99 latency, below 1 is goro's lower), and the
# medians over the pairs. On a shared machine only the ratios within a pair mean much.
#
# Settings (environment): PAIRS=5 WORKERS=2 THREADS=1 CONNECTIONS=64 DURATION=5s WARMUP=1s.
# The defaults are issue 18's method: 2 server workers and wrk -t1, all on one machine.
set -euo pipefail

PAIRS=${PAIRS:-5}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}

if ! command -v wrk >/dev/null 2>&1; then
    echo "http_wrk.sh: wrk is not installed; on Debian or Ubuntu: apt-get install wrk" >&2
    exit 1
fi

cd "$(dirname "$0")/.."
cargo build --quiet --release --features hyper --example hello_server
server=target/release/examples/hello_server
work=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# wrk's latency ("216.00us", "1.72ms", "1.02s") in milliseconds.
to_ms() {
    awk -v t="$1" 'BEGIN {
        if (t ~ /us$/) { printf "%.3f", t / 1000 }
        else if (t ~ /ms$/) { printf "%.3f", t + 0 }
        else if (t ~ /s$/) { printf "%.3f", t * 1000 }
        else { print "?" }
    }'
}

# One round of `$1` in pair `$2`: sets rps, p50, p90 and p99 (latencies in ms); the server's own line is
# left in $work/stats.
round() {
    local runtime=$1 addr= out
    # A file of its own each round: the server creates it, so no old address is read.
    local announced=$work/$runtime.$2.addr
    "$server" --runtime "$runtime" --workers "$WORKERS" >"$announced" 2>"$work/stats" &
    server_pid=$!
    for _ in $(seq 100); do
        addr=$(sed -n 's/^listening on //p' "$announced" 2>/dev/null)
        [[ -n $addr ]] && break
        sleep 0.1
    done
    if [[ -z $addr ]]; then
        echo "http_wrk.sh: the $runtime server did not start:" >&2
        cat "$work/stats" >&2
        exit 1
    fi
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$addr/" >/dev/null
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$addr/")
    # The connections end as wrk exits; let the server count them before it stops.
    sleep 0.2
    kill -INT "$server_pid"
    wait "$server_pid" || true
    server_pid=
    if grep -q "Socket errors\|Non-2xx" <<<"$out"; then
        echo "http_wrk.sh: wrk saw errors against $runtime:" >&2
        echo "$out" >&2
        exit 1
    fi
    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
    p90=$(to_ms "$(awk '$1 == "90%" { print $2 }' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION against hyper's http1 hello server, $WORKERS workers;" \
    "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %-6s %12s %9s %9s %9s   %s\n' pair server requests/s "p50 ms" "p90 ms" "p99 ms" "server's count"
: >"$work/ratios"
for pair in $(seq "$PAIRS"); do
    if ((pair % 2)); then order="goro tokio"; else order="tokio goro"; fi
    for runtime in $order; do
        round "$runtime" "$pair"
        printf '%-5s %-6s %12s %9s %9s %9s   %s\n' "$pair" "$runtime" "$rps" "$p50" "$p90" "$p99" \
            "$(tr -d '\n' <"$work/stats")"
        declare "${runtime}_rps=$rps" "${runtime}_p99=$p99"
    done
    # shellcheck disable=SC2154 # set by `declare` above
    awk -v g="$goro_rps" -v t="$tokio_rps" -v gp="$goro_p99" -v tp="$tokio_p99" \
        'BEGIN { printf "%.3f %.3f\n", g / t, gp / tp }' >"$work/last"
    cat "$work/last" >>"$work/ratios"
    read -r rps_ratio p99_ratio <"$work/last"
    echo "      goro/tokio: requests/s $rps_ratio, p99 $p99_ratio"
done
echo "median over $PAIRS pairs, goro/tokio: requests/s $(cut -d' ' -f1 "$work/ratios" | median)," \
    "p99 latency $(cut -d' ' -f2 "$work/ratios" | median)"
