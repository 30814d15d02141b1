#!/usr/bin/env bash
# Seeded fuzz campaign against every decoder (or the named ones):
#   tools/fuzz.sh [--seconds N] [--seed S] [target…]     (N seconds per target, default 10)
# Builds agora-fuzz in release mode (Benchmarks package), runs each target in a child
# process and prints inputs, inputs/s and crashes per target. A crashing input is saved to
# fuzz-crashes/<target>-seed<S>.bin; replay it with
#   Benchmarks/.build/release/agora-fuzz --replay FILE <target>
# `--list` prints the targets. Exit status 1 when anything crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --package-path Benchmarks --product agora-fuzz >&2
exec Benchmarks/.build/release/agora-fuzz --crashes fuzz-crashes "$@"
