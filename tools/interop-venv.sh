#!/usr/bin/env bash
# Creates the Python venv with py-libp2p 0.8.1, the independent libp2p implementation
# the interop tests run against. Prints the venv's python path.
set -euo pipefail
VENV="${AGORA_INTEROP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/agora-interop-venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import libp2p' 2>/dev/null; then
  if ! dpkg -s libgmp-dev >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libgmp-dev >/dev/null
  fi
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q 'libp2p==0.8.1' >&2
fi
echo "$VENV/bin/python"
