#!/usr/bin/env bash
# `agora install` of packages this home never had, with real `agora serve` processes on
# loopback (issue 8's install numbers):
#   tools/bench-install.sh [--runs 10] [--small-kib 1024] [--big-mib 100] [--bin PATH]
# A publishes; mirror M1 follows A, M2 follows M1. Small: each run installs into a fresh home
# that knows only M1 (a stranger to A): sync, resolve, fetch, verify, unpack. Big: fresh homes
# install a --big-mib archive with --bootstrap A (1 source) or A M1 M2 (3 sources), alternating.
# During each big install, the RSS (VmRSS) of the install process and of source A is sampled
# every 10 ms while the download runs (the partial file exists: it is created before the first
# chunk and removed once the blob is in the store); the install's first sample is its baseline.
# Last, the RSS of a fresh idle daemon and of the three after the runs. Prints medians and p90
# of wall time (process start to exit) and of the time `agora install` reports itself (without
# process start-up).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=10; small_kib=1024; big_mib=100; bin=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --small-kib) small_kib="$2"; shift 2 ;;
        --big-mib) big_mib="$2"; shift 2 ;;
        --bin) bin="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 64 ;;
    esac
done
if [ -z "$bin" ]; then
    swift build -c release --static-swift-stdlib --product agora >&2
    bin=.build/release/agora
fi
work="$(mktemp -d)"
cleanup() { for f in "$work"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done; sleep 1; rm -rf "$work"; }
trap cleanup EXIT

agora() { local home="$1"; shift; AGORA_HOME="$work/$home" "$bin" "$@"; }
serve() { # name listen-ip extra-args… → prints the daemon's first address
    local name="$1" ip="$2"; shift 2
    agora "$name" init >/dev/null
    AGORA_HOME="$work/$name" "$bin" serve --listen "/ip4/$ip/tcp/0" --log-level error "$@" >"$work/$name.out" 2>&1 &
    echo "$!" >"$work/$name.pid"
    for _ in $(seq 300); do [ -s "$work/$name.out" ] && break; sleep 0.1; done
    head -n1 "$work/$name.out"
}
package() { # folder name size-bytes
    mkdir -p "$work/$1"
    printf '{"scope":"bench","name":"%s","version":"1.0.0","description":"bench","keywords":[],"authors":[],"dependencies":{}}' "$2" >"$work/$1/agora.json"
    local left="$3" part=0 piece=$((16 << 20)) # the publisher takes files of at most 32 MiB
    while [ "$left" -gt 0 ]; do
        head -c $((left < piece ? left : piece)) /dev/urandom >"$work/$1/data$part.bin"
        left=$((left - piece)); part=$((part + 1))
    done
}
archives() { agora "$1" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["archives"])'; }
wait_archives() { for _ in $(seq 1200); do [ "$(archives "$1")" -ge "$2" ] && return; sleep 0.1; done; echo "timeout: $1 has $(archives "$1") archives" >&2; exit 1; }
stats() { sort -n | awk '{a[NR]=$1} END {printf "median %.0f ms, p90 %.0f ms, min %.0f ms (n=%d)", a[int((NR+1)/2)], a[int(NR*0.9+0.999)], a[1], NR}'; }
now_ms() { date +%s%3N; }
rss_kib() { awk -v f="${2:-VmRSS}:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
install() { # home name peers… → appends "wall self" in ms to $work/times; with SAMPLE_RSS, "base peak sourcepeak" KiB to $work/rss
    local home="$1" name="$2"; shift 2
    agora "$home" init >/dev/null
    local start; start=$(now_ms)
    AGORA_HOME="$work/$home" "$bin" install "bench/$name@1.0.0" --to "$work/$home-pkgs" --bootstrap "$@" >"$work/out" &
    local pid=$! base=0 peak=0 source_peak=0 anon_base=0 anon_peak=0 source_anon=0 seen=0
    if [ -n "${SAMPLE_RSS:-}" ]; then
        local a_pid; a_pid=$(cat "$work/a.pid")
        while kill -0 "$pid" 2>/dev/null; do
            if compgen -G "$work/$home/partials/*.partial" >/dev/null; then
                local rss anon src src_anon
                rss=$(rss_kib "$pid"); anon=$(rss_kib "$pid" RssAnon)
                src=$(rss_kib "$a_pid"); src_anon=$(rss_kib "$a_pid" RssAnon)
                [ "$seen" = 0 ] && base=$rss && anon_base=$anon && seen=1
                [ "${rss:-0}" -gt "$peak" ] && peak=$rss
                [ "${anon:-0}" -gt "$anon_peak" ] && anon_peak=$anon
                [ "${src:-0}" -gt "$source_peak" ] && source_peak=$src
                [ "${src_anon:-0}" -gt "$source_anon" ] && source_anon=$src_anon
            fi
            sleep 0.01
        done
        echo "$base $peak $source_peak $anon_base $anon_peak $source_anon" >>"$work/rss"
    fi
    wait "$pid"
    local out; out=$(cat "$work/out")
    local wall=$(( $(now_ms) - start ))
    local self; self=$(sed -n 's/.* in \([0-9]*\) ms;.*/\1/p' <<<"$out")
    echo "$wall $self" >>"$work/times"
}

package small small $((small_kib * 1024))
package big big $((big_mib * 1024 * 1024))
agora a init >/dev/null
agora a publish "$work/small" >/dev/null
agora a publish "$work/big" >/dev/null
a=$(serve a 127.0.0.81)
m1=$(serve m1 127.0.0.82 --mirror --bootstrap "$a")
m2=$(serve m2 127.0.0.83 --mirror --bootstrap "$m1")
wait_archives m1 2
wait_archives m2 2
echo "machine: $(nproc) cores, $(uname -sr); binary $bin"

: >"$work/times"
for i in $(seq "$runs"); do install "s$i" small "$m1"; done
echo "install ${small_kib} KiB from a stranger (via mirror M1): wall $(cut -d' ' -f1 "$work/times" | stats); self-reported $(cut -d' ' -f2 "$work/times" | stats)"

source_idle=$(rss_kib "$(cat "$work/a.pid")"); source_idle_anon=$(rss_kib "$(cat "$work/a.pid")" RssAnon)
: >"$work/one"; : >"$work/three"; : >"$work/rss"
for i in $(seq "$runs"); do
    : >"$work/times"; SAMPLE_RSS=1 install "b1-$i" big "$a"; cut -d' ' -f1 "$work/times" >>"$work/one"
    : >"$work/times"; install "b3-$i" big "$a" "$m1" "$m2"; cut -d' ' -f1 "$work/times" >>"$work/three"
done
echo "install ${big_mib} MiB, 1 source: wall $(stats <"$work/one")"
echo "install ${big_mib} MiB, 3 sources: wall $(stats <"$work/three")"
kib() { sort -n | awk '{a[NR]=$1} END {printf "median %.1f MiB, max %.1f MiB", a[int((NR+1)/2)]/1024, a[NR]/1024}'; }
echo "during the ${big_mib} MiB download (1 source), install process RSS at its start: $(cut -d' ' -f1 "$work/rss" | kib); peak: $(cut -d' ' -f2 "$work/rss" | kib)"
echo "  peak above its start: $(awk '{print $2 - $1}' "$work/rss" | kib); anonymous memory (RssAnon, without LMDB's mapped file) at start $(cut -d' ' -f4 "$work/rss" | kib), peak above start $(awk '{print $5 - $4}' "$work/rss" | kib)"
echo "  source A: $((source_idle / 1024)) MiB before the runs (RssAnon $((source_idle_anon / 1024)) MiB), peak while serving $(cut -d' ' -f3 "$work/rss" | kib) (RssAnon $(cut -d' ' -f6 "$work/rss" | kib))"

serve idle 127.0.0.84 >/dev/null # never used: the baseline
sleep 5
for name in idle a m1 m2; do
    echo "idle daemon $name RSS: $(awk '/VmRSS/ {print $2, $3}' "/proc/$(cat "$work/$name.pid")/status")"
done
