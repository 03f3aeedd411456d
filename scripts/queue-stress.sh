#!/usr/bin/env bash
# Stress test of the local run queue pinned to one core (issue 14, item 1): the owner pushes
# (its ring overflows all the time) and pops while four stealers take halves, all on CPU 0,
# so that the OS preempts each thread at any instruction, between an overflow's look at the
# ring and its claim too. Fails if any entry comes out twice or never.
#   GORO_QUEUE_STRESS_SECS  how long the owner pushes (default 20)
#   GORO_QUEUE_STRESS_CPU   the one CPU to pin to (default 0)
# Needs taskset (util-linux). Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export GORO_QUEUE_STRESS_SECS="${GORO_QUEUE_STRESS_SECS:-20}"
cpu="${GORO_QUEUE_STRESS_CPU:-0}"
test=scheduler::queue::tests::one_core_stress
cargo test --release --lib --no-run
taskset -c "$cpu" cargo test --release --lib -- --exact "$test" --ignored --nocapture
