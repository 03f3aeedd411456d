#!/usr/bin/env bash
# Leak check: runs examples/stress (spawn storms, aborts, timers, echo traffic,
# spawn_blocking, panics, dropped JoinSets, shutdown with tasks still running) under
# valgrind's memcheck and fails on any definite or indirect leak, or any memory error.
#
#   scripts/leakcheck.sh [seconds] [storm]      # defaults: 4 s, storms of 2000 tasks
#
# Needs valgrind (apt-get install valgrind). Valgrind runs the program on one core about
# 20-50x slower, so the run is short; "possibly lost" and "still reachable" blocks
# (thread-local storage, std's lazily made globals) are reported but do not fail it.
# Under valgrind a storm of spawns can hold a worker past the monitor's 100 ms threshold:
# the "blocked worker" line it prints then is expected.
# LEAKCHECK_PROFILE=release builds with --release (debug info is kept either way).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-4}"
storm="${2:-2000}"
profile="${LEAKCHECK_PROFILE:-debug}"
target_dir="${CARGO_TARGET_DIR:-target}"

if ! command -v valgrind >/dev/null; then
    echo "leakcheck: valgrind is not installed" >&2
    exit 2
fi

if [ "$profile" = release ]; then
    CARGO_PROFILE_RELEASE_DEBUG=true cargo build --release --example stress
else
    cargo build --example stress
fi
exe="$target_dir/$profile/examples/stress"

log="$(mktemp -t goro-leakcheck.XXXXXX)"
trap 'rm -f "$log"' EXIT

echo "leakcheck: valgrind $exe $seconds $storm"
status=0
GORO_WORKERS="${GORO_WORKERS:-2}" valgrind \
    --leak-check=full \
    --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=1 \
    --log-file="$log" \
    "$exe" "$seconds" "$storm" || status=$?

echo "---- valgrind: errors and leak summary"
grep -E "ERROR SUMMARY|LEAK SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|suppressed" "$log" | sed 's/^==[0-9]*== //'
if grep -q "are definitely lost\|are indirectly lost" "$log"; then
    echo "---- valgrind: leak records"
    sed 's/^==[0-9]*== //' "$log" | awk '/are (definitely|indirectly) lost/,/^$/'
fi

definite="$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d ,)"
indirect="$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d ,)"
errors="$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tr -d ,)"
# Without a leak, valgrind prints "All heap blocks were freed" and no byte counts.
definite="${definite:-0}"
indirect="${indirect:-0}"
errors="${errors:-0}"

if [ "$status" -eq 0 ] && [ "$definite" -eq 0 ] && [ "$indirect" -eq 0 ] && [ "$errors" -eq 0 ]; then
    echo "leakcheck: PASS (definitely lost: 0 bytes, indirectly lost: 0 bytes, errors: 0)"
else
    echo "leakcheck: FAIL (exit $status; definitely lost: $definite bytes, indirectly lost: $indirect bytes, errors: $errors)"
    exit 1
fi
