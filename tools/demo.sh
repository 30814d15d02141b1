#!/usr/bin/env bash
# Agora's main job on an embedded default: a local round trip on a fresh temporary home.
# Installs LMDB/zstd if missing, builds the release binary, then runs init → publish →
# search → info → install → yank → log → verify, printing each command and what it says.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
echo "Building agora (release; the first build takes a few minutes)..." >&2
swift build -c release --static-swift-stdlib --product agora 2>&1 | grep -E 'error|warning: |Compiling agora|Build complete' >&2 || true
AGORA="$(swift build -c release --static-swift-stdlib --show-bin-path)/agora"
[ -x "$AGORA" ] || { echo "build failed" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/agora-demo.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export AGORA_HOME="$WORK/home"

step() {
  printf '\n\033[1m$ agora'; printf ' %q' "$@"; printf '\033[0m\n'
  "$AGORA" "$@"
}

step init
step publish examples/json-kit
step publish examples/http-client
step publish examples/swift-greeter --scope demo --version 1.0.0
step publish examples/json-kit
step search json
step search jsno-kit
step search http client
step info acme/http-client
step install 'acme/http-client@^0.3' --to "$WORK/app"
printf '\n$ find %s -maxdepth 3\n' "$WORK/app"
(cd "$WORK/app" && find . -maxdepth 3 | sort)
step yank acme/http-client@0.3.1 --reason "demo: superseded"
step search http --include-yanked
step log
step verify --deep
printf '\nDemo finished: every step above ran against %s (now removed).\n' "$AGORA_HOME"
