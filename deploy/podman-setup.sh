#!/usr/bin/env bash
# Installs podman, runc and podman-compose from Debian and gives podman the two settings this kind of machine
# needs (see ../README.md "Production"): no default ulimits (rlimits cannot be raised here: no CAP_SYS_RESOURCE)
# and no pids limit, with runc (crun fails on hybrid cgroups); CNI's dnsname plugin so service names resolve.
# Idempotent; keeps an existing containers.conf. Networks made before the plugin was installed lack it:
# `podman network rm llc_default` once.
set -euo pipefail
missing=()
for tool in podman runc podman-compose; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
# Service names resolve inside a compose network only with CNI's dnsname plugin (podman 4.3 on CNI).
[ -x /usr/lib/cni/dnsname ] || missing+=(golang-github-containernetworking-plugin-dnsname)
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
conf=/etc/containers/containers.conf
if [ ! -f "$conf" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  printf '[containers]\ndefault_ulimits = []\npids_limit = 0\n\n[engine]\nruntime = "runc"\n' | $SUDO tee "$conf" >/dev/null
  echo "podman-setup.sh: wrote $conf"
fi
