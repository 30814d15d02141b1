#!/usr/bin/env bash
# A local cluster: N `agora serve` processes on loopback, each with its own home under one
# temporary folder; node 1 listens first and every other node bootstraps from it. Prints
# each node's home and address, then waits: for SECONDS when given, else until Ctrl-C.
# Tears everything down on exit (SIGTERM, then SIGKILL after 10 s; homes removed unless
# AGORA_CLUSTER_KEEP=1).
#
#   tools/cluster.sh 5            # run until Ctrl-C
#   tools/cluster.sh 3 30         # run 30 s
#   AGORA_HOME=<home of node 2> agora status   # look at one node meanwhile
set -euo pipefail
count="${1:?usage: tools/cluster.sh N [SECONDS]}"
seconds="${2:-}"
[[ "$count" =~ ^[0-9]+$ && "$count" -ge 1 && "$count" -le 200 ]] || { echo "N must be 1–200" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
agora="${AGORA_BINARY:-$root/.build/debug/agora}"
[[ -x "$agora" ]] || { echo "no agora binary at $agora (swift build, or set AGORA_BINARY)" >&2; exit 2; }
dir="$(mktemp -d "${TMPDIR:-/tmp}/agora-cluster.XXXXXX")"
pids=()

teardown() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 100); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [[ $alive == 0 ]] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [[ "${AGORA_CLUSTER_KEEP:-0}" == 1 ]]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap teardown EXIT
trap 'exit 130' INT TERM

# Waits for node $1's first printed address and echoes it.
address_of() {
    for _ in $(seq 600); do
        if [[ -s "$dir/node$1/serve.out" ]]; then head -n1 "$dir/node$1/serve.out"; return 0; fi
        kill -0 "${pids[$(($1 - 1))]}" 2>/dev/null || { echo "node $1 exited: $(cat "$dir/node$1/serve.err")" >&2; return 1; }
        sleep 0.1
    done
    echo "node $1 printed no address within 60 s" >&2
    return 1
}

bootstrap=()
for i in $(seq "$count"); do
    home="$dir/node$i"
    mkdir -p "$home"
    # Spread nodes over 127.0.0.x so the per-address connection limit never applies.
    host="127.0.$(( (i - 1) / 250 )).$(( (i - 1) % 250 + 1 ))"
    AGORA_HOME="$home" "$agora" init >/dev/null
    AGORA_HOME="$home" "$agora" serve --listen "/ip4/$host/tcp/0" "${bootstrap[@]}" \
        >"$home/serve.out" 2>"$home/serve.err" &
    pids+=("$!")
    addr="$(address_of "$i")"
    echo "node $i  home=$home  $addr"
    [[ $i == 1 ]] && bootstrap=(--bootstrap "$addr")
done
echo "cluster of $count up in $dir"
if [[ -n "$seconds" ]]; then sleep "$seconds"; else while true; do sleep 3600; done; fi
