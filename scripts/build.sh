#!/usr/bin/env bash
# One build step: type-check and compile (build/, for tests), bundle the CLI (dist/), compile the C
# helper, probe and sample app (native/out/), and package the sample app as an OCI image layout.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p .
node scripts/bundle.mjs
make -s -C native
cp native/out/rkt-stage1 dist/rkt-stage1
rm -rf dist/sample-image
node build/scripts/build-sample-image.js native/out/sample dist/sample-image
