#!/usr/bin/env bash
# Regenerates the Swift code for every `Sources/<Module>/Proto/*.proto` into
# `Sources/<Module>/Generated/`. The generated files are committed: the build never runs
# protoc (swift-protobuf's build plugin costs minutes on every clean build). Run this after
# editing a .proto; it installs protoc from Debian and builds protoc-gen-swift at the same
# swift-protobuf version Package.swift names, so the generated code matches the runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.39.0
tools_dir=.build-protoc

if ! command -v protoc >/dev/null; then
    apt-get update -qq && apt-get install -y -qq protobuf-compiler >/dev/null
fi
if [ ! -d "$tools_dir/swift-protobuf" ]; then
    git -c advice.detachedHead=false clone -q --branch "$version" https://github.com/apple/swift-protobuf "$tools_dir/swift-protobuf"
fi
swift build -c release --package-path "$tools_dir/swift-protobuf" --product protoc-gen-swift >/dev/null
plugin="$tools_dir/swift-protobuf/.build/release/protoc-gen-swift"

shopt -s nullglob
for proto_dir in Sources/*/Proto; do
    module_dir=$(dirname "$proto_dir")
    protos=("$proto_dir"/*.proto)
    [ ${#protos[@]} -gt 0 ] || continue
    rm -rf "$module_dir/Generated"
    mkdir -p "$module_dir/Generated"
    # Internal visibility: each module wraps its messages in its own bounded codec types.
    protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$proto_dir" \
        --swift_opt=Visibility=Internal --swift_opt=FileNaming=DropPath \
        --swift_out="$module_dir/Generated" "${protos[@]}"
    echo "generated $(ls "$module_dir/Generated" | wc -l) file(s) in $module_dir/Generated"
done
