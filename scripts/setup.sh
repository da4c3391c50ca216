#!/usr/bin/env bash
# Everything a fresh Debian 12 machine (as root) needs to build rkt and run its tests, then the build.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(
  nodejs npm            # stage0 (skipped when a Node 20 is already installed)
  gcc make musl-tools   # the C helper, the probe and the sample app
  busybox-static umoci skopeo   # test images built by real tools
  docker-registry openssl apache2-utils   # a registry for the registry-client tests, its test CA and htpasswd
  runc systemd-container hyperfine   # peers and timing for bench/
  containerd                         # rkt-oci under containerd's runc v2 shim (tests/oci/containerd.test.ts)
  iproute2 util-linux procps psmisc
  containernetworking-plugins iptables curl   # CNI networks, port forwarding, and tests fetching from pods
  xz-utils bzip2 gnupg   # xz and bzip2 ACIs; gpg makes the test keys and signatures
  zstd                   # zstd-compressed layers (Node 20's zlib has no zstd)
)
missing=()
for package in "${packages[@]}"; do
  case "$package" in
    nodejs|npm) command -v node >/dev/null && command -v npm >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
node -e 'const [major] = process.versions.node.split("."); if (+major < 20) { console.error("rkt needs Node.js 20 or later, found " + process.version); process.exit(1); }'
npm ci --no-audit --no-fund
bash scripts/build.sh
bash scripts/build-oci-conformance.sh
