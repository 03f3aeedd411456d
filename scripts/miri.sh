#!/usr/bin/env bash
# Runs the task module's and the queue's unit tests (and the running cell's) under Miri, with
# strict provenance.
# Needs the nightly toolchain with the miri component:
#   rustup toolchain install nightly --component miri rust-src
set -euo pipefail
cd "$(dirname "$0")/.."
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-strict-provenance}"
cargo +nightly miri test --lib -- task:: scheduler::idle scheduler::queue scheduler::registry scheduler::slot \
  scheduler::running
