#!/usr/bin/env bash
# Installs what Agora links (LMDB, zstd, zlib) and what its tests run (zip, which SwiftPM's
# archiver also calls; openssl for the test CA; chromium for the web page test) when missing.
set -euo pipefail
need=()
pkg-config --exists lmdb 2>/dev/null || need+=(liblmdb-dev)
pkg-config --exists libzstd 2>/dev/null || need+=(libzstd-dev)
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev)
command -v zip >/dev/null 2>&1 || need+=(zip)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
  echo "agora: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
