#!/bin/sh
# Builds the static library: ./tools/build.sh [CC]
set -eu
cd "$(dirname "$0")/.."
CC="${1:-cc}"
"$CC" -std=c99 -Wall -Iinclude -c src/escape.c src/number.c
ar rcs libjsonkit.a escape.o number.o
rm -f escape.o number.o
echo "built libjsonkit.a"
