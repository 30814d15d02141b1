#!/usr/bin/env bash
# Resident memory of `agora serve` (release build) with no connections, with 512 and 5,000
# authenticated idle connections, and under a ping flood whose pongs are never read:
#   tools/rss.sh [--stages 512,5000] [--flood-pings 10000000] [--flood-connections 16]
# Loopback only: connections come from 127.0.0.2… (50 source addresses), so the serve
# limits are raised (--max-connections 6000, 128 per address). Needs `ulimit -n` ≥ 12000.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 12000
swift build -c release --static-swift-stdlib --product agora >&2
swift build -c release --package-path Benchmarks --product agora-load >&2
home="$(mktemp -d)"
out="$(mktemp)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$home" "$out"' EXIT
AGORA_HOME="$home" .build/release/agora serve --listen /ip4/127.0.0.1/tcp/0 --log-level error \
    --max-connections 6000 --max-connections-per-address 128 >"$out" &
pid=$!
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
address="$(head -n1 "$out")"
echo "agora serve pid $pid at $address ($(nproc) cores, $(uname -sr))"
Benchmarks/.build/release/agora-load --connect "$address" --server-pid "$pid" --sources 50 "$@"
