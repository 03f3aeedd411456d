#!/usr/bin/env bash
# Soak: examples/echo under examples/load for a bounded time, with the server's resident
# memory (VmRSS) and open file descriptors sampled every second. Both must stay flat after
# warm-up.
#
#   SOAK_SECONDS=60 SOAK_CONNECTIONS=200 SOAK_ROUND=3 scripts/soak.sh
#
# load keeps its connections for the whole of one run, so it runs in rounds of SOAK_ROUND
# seconds: every round opens SOAK_CONNECTIONS connections, echoes on them, and closes them.
# Verdict: the samples are cut in quarters; the first quarter is warm-up. Flat means the
# last quarter's maximum is at most 1.2 x the second quarter's maximum plus a small slack
# (RSS: 2048 KiB, descriptors: 16). It also fails if a load round fails or the server dies.
set -euo pipefail
cd "$(dirname "$0")/.."

total="${SOAK_SECONDS:-60}"
connections="${SOAK_CONNECTIONS:-200}"
round="${SOAK_ROUND:-3}"
target_dir="${CARGO_TARGET_DIR:-target}"

cargo build --release --example echo --example load
echo_bin="$target_dir/release/examples/echo"
load_bin="$target_dir/release/examples/load"

work="$(mktemp -d -t goro-soak.XXXXXX)"
server=""
sampler=""
cleanup() {
    [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the OS picks a free port; echo prints the address it listens on.
"$echo_bin" 127.0.0.1:0 2>"$work/echo.log" &
server=$!
addr=""
for _ in $(seq 100); do
    addr="$(sed -n 's/^echo: listening on //p' "$work/echo.log")"
    [ -n "$addr" ] && break
    sleep 0.05
done
if [ -z "$addr" ]; then
    echo "soak: the echo server did not start:" >&2
    cat "$work/echo.log" >&2
    exit 1
fi
echo "soak: echo (pid $server) on $addr; load rounds of $connections connections x ${round}s for ${total}s"

# One sample a second: seconds since start, RSS in KiB, open descriptors.
sample() {
    local start=$SECONDS
    while kill -0 "$server" 2>/dev/null; do
        local rss fds
        rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$server/status" 2>/dev/null || echo 0)"
        fds="$(ls "/proc/$server/fd" 2>/dev/null | wc -l)"
        echo "$((SECONDS - start)) $rss $fds" >>"$work/samples"
        sleep 1
    done
}
sample &
sampler=$!

rounds=0
failed_rounds=0
trips=0
start=$SECONDS
while [ $((SECONDS - start + round)) -le "$total" ]; do
    if out="$("$load_bin" "$addr" "$connections" "$round" 64 2>&1)"; then
        n="$(sed -n 's/^\([0-9]*\) round trips in.*/\1/p' <<<"$out")"
        trips=$((trips + ${n:-0}))
    else
        failed_rounds=$((failed_rounds + 1))
        echo "soak: load round $((rounds + 1)) failed: $out" >&2
    fi
    rounds=$((rounds + 1))
    if ! kill -0 "$server" 2>/dev/null; then
        echo "soak: the echo server died" >&2
        break
    fi
done
# Let the last round's connections close, then take a final sample or two.
sleep 2
alive=yes
kill -0 "$server" 2>/dev/null || alive=no
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
sampler=""

echo "---- samples (seconds, VmRSS KiB, open fds)"
cat "$work/samples"

verdict="$(awk -v rss_slack=2048 -v fd_slack=16 '
    { t[NR] = $1; rss[NR] = $2; fds[NR] = $3 }
    END {
        n = NR
        if (n < 8) { print "FAIL too few samples (" n ")"; exit }
        q = int(n / 4)
        for (i = q + 1; i <= 2 * q; i++) { if (rss[i] > r2) r2 = rss[i]; if (fds[i] > f2) f2 = fds[i] }
        for (i = n - q + 1; i <= n; i++) { if (rss[i] > r4) r4 = rss[i]; if (fds[i] > f4) f4 = fds[i] }
        rss_ok = (r4 <= r2 * 1.2 + rss_slack)
        fd_ok = (f4 <= f2 * 1.2 + fd_slack)
        printf "%s rss: after warm-up max %d KiB, last quarter max %d KiB (%s); fds: after warm-up max %d, last quarter max %d (%s); final fds %d\n", \
            (rss_ok && fd_ok) ? "PASS" : "FAIL", r2, r4, rss_ok ? "flat" : "GROWS", f2, f4, fd_ok ? "flat" : "GROWS", fds[n]
    }' "$work/samples")"

echo "---- soak: $rounds load rounds, $((rounds * connections)) connections opened and closed, $trips round trips, $failed_rounds failed rounds, server alive: $alive"
echo "soak: $verdict"
if [[ "$verdict" != PASS* ]] || [ "$failed_rounds" -ne 0 ] || [ "$alive" != yes ]; then
    echo "soak: FAIL"
    exit 1
fi
echo "soak: PASS"
