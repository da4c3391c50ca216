#!/usr/bin/env bash
# Builds the OCI runtime conformance suite that tests/oci/conformance.test.ts runs against rkt-oci
# (and runc, for reference): opencontainers/runtime-tools' validation programs and the static
# `runtimetest` they run inside each container, into build/oci-conformance/.
#
# Debian packages runtime-tools' library (golang-github-opencontainers-runtime-tools-dev) but not
# its validation/ and cmd/runtimetest sources, so the sources come from a runtime-tools checkout:
# $OCI_RUNTIME_TOOLS_SRC, default /usr/local/src/runtime-tools. It must build with Debian 12's Go
# 1.19 from its own vendor/ directory, offline: commit 260e151 (March 2025) is the last one that
# does (later ones need Go 1.21). Without a checkout this says so and exits 0, and the test skips.
set -euo pipefail
cd "$(dirname "$0")/.."
src="${OCI_RUNTIME_TOOLS_SRC:-/usr/local/src/runtime-tools}"
out=build/oci-conformance
if [ ! -f "$src/cmd/runtimetest/main.go" ] || [ ! -d "$src/validation" ]; then
  echo "build-oci-conformance: no runtime-tools sources at $src (set OCI_RUNTIME_TOOLS_SRC); the OCI conformance test will be skipped"
  exit 0
fi
if ! command -v go >/dev/null; then
  # setup.sh does not install Go: without the sources above (which CI machines lack) it has nothing to build
  echo "build-oci-conformance: runtime-tools sources are at $src but go is not installed (apt-get install golang-go); the OCI conformance test will be skipped"
  exit 0
fi
rm -rf "$out"
mkdir -p "$out/validation"
export GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0
# runtimetest runs inside the containers' busybox root: static, no libc
(cd "$src" && go build -tags 'netgo osusergo' -o "$OLDPWD/$out/runtimetest" ./cmd/runtimetest)
# one executable per validation program, named after its directory
(cd "$src" && go build -o "$OLDPWD/$out/validation/" ./validation/...)
git -C "$src" rev-parse HEAD > "$out/source-commit" 2>/dev/null || echo unknown > "$out/source-commit"
echo "build-oci-conformance: $(ls "$out/validation" | wc -l) validation programs and runtimetest from $src ($(cat "$out/source-commit")) in $out"
