#!/usr/bin/env bash
# The test command: installs what the tests need (system libraries, the py-libp2p venv),
# then runs the whole suite once.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
AGORA_INTEROP_PYTHON="$(tools/interop-venv.sh)"
export AGORA_INTEROP_PYTHON
swift build --build-tests
exec swift test --skip-build "$@"
