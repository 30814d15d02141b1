#!/usr/bin/env bash
# The test command: installs what the tests need (system libraries, the py-libp2p venv),
# builds once, then runs the suite in two phases: the network tests (real TCP, py-libp2p
# subprocesses, negotiation timeouts) run one at a time after the CPU-heavy store and
# search tests, so on a 2-core machine one test's load cannot starve another's handshakes.
# A test is a network test when its target is AgoraWireTests or its suite's name ends in
# `NetworkTests` (any target): name every suite that opens a socket that way.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
AGORA_INTEROP_PYTHON="$(tools/interop-venv.sh)"
export AGORA_INTEROP_PYTHON
swift build --build-tests
network='AgoraWireTests|NetworkTests'
swift test --skip-build --skip "$network" "$@"
swift test --skip-build --no-parallel --filter "$network" "$@"
