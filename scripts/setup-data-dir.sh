#!/usr/bin/env bash
# Prepares rkt's data directory for privilege separation, as rkt's dist/scripts/setup-data-dir.sh did:
# creates the group `rkt` (if missing) and gives the directories group rkt and modes such that members
# of the group can `rkt fetch`, `rkt image list` and inspect pods (`rkt list`, `rkt status`), while
# `rkt run`, `rm`, `gc` and `image gc` stay root's. Idempotent; run it as root, again after upgrades.
#
#   scripts/setup-data-dir.sh [DATA_DIR]     (default /var/lib/rkt)
#
# What a member of `rkt` can do: write blobs (cas/blobs, cas/ingest), the image index (cas/db) and
# lock files (cas/locks). Extracting layers needs root (the extraction child chroots), so a fetch by a
# member stores blobs and the index entry only, and the first `rkt run` (root) extracts the layers.
set -euo pipefail

data=${1:-/var/lib/rkt}
group=rkt

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-data-dir: must run as root" >&2
  exit 1
fi
getent group "$group" >/dev/null || groupadd --system "$group"

# dir MODE PATH...: create if missing, then set group and mode (setgid: new entries get group rkt).
dir() {
  local mode=$1
  shift
  for path in "$@"; do
    mkdir -p "$path"
    chown root:"$group" "$path"
    chmod "$mode" "$path"
  done
}

dir 2750 "$data" "$data/pods"
dir 2750 "$data"/pods/{embryo,prepare,prepared,run,exited-garbage,garbage}
dir 2770 "$data/cas" "$data/cas/blobs" "$data/cas/blobs/sha256" "$data/cas/ingest" "$data/cas/db" "$data/cas/locks" "$data/cas/tmp"
dir 2750 "$data/cas/layers"

# What exists already: blobs readable, the index and partial downloads writable by the group.
find "$data/cas/blobs" "$data/cas/ingest" "$data/cas/db" "$data/cas/locks" -mindepth 1 -exec chgrp "$group" {} +
find "$data/cas/blobs" -mindepth 1 -type d -exec chmod 2770 {} +
find "$data/cas/blobs" "$data/cas/locks" -type f -exec chmod g+r {} +
find "$data/cas/ingest" "$data/cas/db" -type f -exec chmod 0660 {} +
echo "setup-data-dir: $data prepared for group $group"
