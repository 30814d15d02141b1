#!/usr/bin/env bash
# HTTP front door throughput and latency on loopback (wrk), and the time SwiftPM takes to
# resolve a package from a node. Release build; one `agora serve --http` on 127.0.0.1.
#   tools/bench-http.sh [seconds per wrk run, default 10] [connections, comma-separated, default 8,16,32]
# wrk shares the cores with the server, so besides req/s and latency each run prints the
# server's CPU time per request (from /proc), which other load on the machine disturbs less.
# Needs wrk (Debian package) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
connections="${2:-8,16,32}"
command -v wrk >/dev/null || { echo "bench-http: needs wrk (apt-get install wrk)" >&2; exit 1; }
scratch="${AGORA_SCRATCH_PATH:-.build}"   # another build folder keeps a running debug build's lock free
agora="${AGORA_BIN:-}"   # an already built release `agora` skips the build
if [ -z "$agora" ]; then
  swift build -c release --static-swift-stdlib --product agora --scratch-path "$scratch" >/dev/null
  agora="$PWD/$scratch/release/agora"
fi
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export AGORA_HOME="$work/home"
"$agora" init >/dev/null

# A small package (metadata endpoint) and one whose archive is 1 MiB of incompressible bytes.
mkdir -p "$work/small/Sources/Small" "$work/big/Sources/Big"
printf '// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: "Small", targets: [.target(name: "Small")])\n' > "$work/small/Package.swift"
echo 'public let small = 1' > "$work/small/Sources/Small/Small.swift"
printf '// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: "Big", targets: [.target(name: "Big")])\n' > "$work/big/Package.swift"
head -c 1048000 /dev/urandom > "$work/big/Sources/Big/blob.bin"
"$agora" publish "$work/small" --scope bench --version 1.0.0 >/dev/null
"$agora" publish "$work/big" --scope bench --version 1.0.0 >/dev/null

: > "$work/serve.out"
"$agora" serve --listen /ip4/127.0.0.1/tcp/0 --http 127.0.0.1:0 > "$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 1 300); do grep -q '^http://' "$work/serve.out" && break; sleep 0.1; done
url="$(grep -m1 '^http://' "$work/serve.out")"
[ -n "$url" ] || { cat "$work/serve.err" >&2; exit 1; }
size=$(curl -s "$url/bench/Big/1.0.0.zip" | wc -c)
echo "node $url; archive $size bytes; wrk -t2 -c{$connections} -d${seconds}s; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

ticks=$(getconf CLK_TCK)
server_cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
run() {
  echo "== $1"
  for c in ${connections//,/ }; do
    before=$(server_cpu)
    out=$(wrk -t2 -c"$c" -d"${seconds}s" --latency -H 'Accept: application/vnd.swift.registry.v1+json' "$url$2")
    after=$(server_cpu)
    echo "$out" | awk -v c="$c" -v a="$before" -v b="$after" -v t="$ticks" '
      /requests in/ { n = $1 } /Requests\/sec/ { rps = $2 } /Transfer\/sec/ { bw = $2 } /Non-2xx/ { bad = $NF }
      /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
      END { printf "c=%-3d %10s req/s %10s/s  p50 %8s  p99 %8s  server cpu %.1f us/req%s\n", c, rps, bw, p50, p99, (b - a) / t * 1e6 / n, bad ? "  non-2xx " bad : "" }'
  done
}
run "release list   GET /bench/Small" /bench/Small
run "metadata       GET /bench/Small/1.0.0" /bench/Small/1.0.0
run "manifest       GET /bench/Small/1.0.0/Package.swift" /bench/Small/1.0.0/Package.swift
run "archive 1 MiB  GET /bench/Big/1.0.0.zip" /bench/Big/1.0.0.zip

# SwiftPM resolving a registry dependency from the node (fresh caches each run).
mkdir -p "$work/consumer/Sources/Consumer"
cat > "$work/consumer/Package.swift" <<'SWIFT'
// swift-tools-version:5.9
import PackageDescription
let package = Package(name: "Consumer", dependencies: [.package(id: "bench.Small", from: "1.0.0")],
                      targets: [.executableTarget(name: "Consumer", dependencies: [.product(name: "Small", package: "bench.Small")])])
SWIFT
echo 'import Small; print(small)' > "$work/consumer/Sources/Consumer/main.swift"
cd "$work/consumer"
echo "== swift package resolve from the node (3 runs, fresh caches)"
for run in 1 2 3; do
  paths=(--config-path "$work/spm$run/config" --security-path "$work/spm$run/security" --cache-path "$work/spm$run/cache")
  HOME="$work/spm$run" swift package-registry set "$url" --allow-insecure-http "${paths[@]}" >/dev/null
  rm -rf .build Package.resolved
  start=$(date +%s.%N)
  HOME="$work/spm$run" swift package resolve "${paths[@]}" >/dev/null
  end=$(date +%s.%N)
  awk -v run="$run" -v a="$start" -v b="$end" 'BEGIN { printf "resolve run %d: %.2f s\n", run, b - a }'
done
