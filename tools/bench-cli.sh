#!/usr/bin/env bash
# Wall time of `agora search` as a whole process (start, open the store, search, print, exit)
# (and of `agora --version`, the start-up alone)
# against a store holding the 100,000-package corpus, loaded as signed events by the
# Benchmarks package's LoadPyPI tool. Prints median and p95 over RUNS runs per query.
# Usage: tools/bench-cli.sh [RUNS]   (default 50; the temporary home is removed at exit)
set -euo pipefail
runs="${1:-50}"
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/tools/install-deps.sh"

cd "$root/Benchmarks"
swift build -c release --static-swift-stdlib --product agora >/dev/null
swift build -c release --static-swift-stdlib --product LoadPyPI >/dev/null
bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"

home="$(mktemp -d "${TMPDIR:-/tmp}/agora-bench-cli-XXXXXX")"
trap 'rm -rf "$home"' EXIT
AGORA_HOME="$home" "$bin/LoadPyPI"

measure() {
  local times=() start end
  AGORA_HOME="$home" "$bin/agora" "$@" >/dev/null   # warm the page cache once
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    AGORA_HOME="$home" "$bin/agora" "$@" >/dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  local sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  local n=${#sorted[@]}
  local median=${sorted[$(( n / 2 ))]}
  local p95=${sorted[$(( (n * 95 + 99) / 100 - 1 ))]}
  awk -v q="$*" -v n="$n" -v m="$median" -v p="$p95" 'BEGIN { printf "| `agora %s` | %d | %.1f ms | %.1f ms |\n", q, n, m / 1000, p / 1000 }'
}

echo "| command | runs | median | p95 |"
echo "|---|---|---|---|"
measure --version   # process start-up alone, for scale
measure search requests
measure search reqeusts
measure search http client
AGORA_HOME="$home" "$bin/agora" search requests | head -4
