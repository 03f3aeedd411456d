#!/usr/bin/env bash
# Runs the loom models of the task state machine, the park/notify protocol and the run queue.
# LOOM_MAX_PREEMPTIONS bounds the preemptions loom explores per execution (default 3 here:
# every model passes exhaustively at that bound in a few minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="--cfg loom ${RUSTFLAGS:-}"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/loom}"
cargo test --release --lib loom_model -- --test-threads=1
