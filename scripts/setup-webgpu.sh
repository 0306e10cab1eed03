#!/usr/bin/env bash
# System setup for running WGSL kernels from Node on a machine without a GPU.
# Installs Mesa's Vulkan drivers (lavapipe, from Debian bookworm-backports: Mesa 25 has
# shader-f16 and subgroups there) and the Vulkan loader, then checks that an ICD is present.
# Idempotent, non-interactive; run as root (CI runs it on a clean Debian bookworm machine).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
SUITE=bookworm-backports

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-webgpu: must run as root" >&2
  exit 1
fi

# 1. bookworm-backports in the apt sources, unless some source already names it.
if ! grep -rqs -- "$SUITE" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat >/etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  echo "setup-webgpu: added $SUITE to the apt sources"
fi

# 2. Install from backports, only when something is missing or older than the backports one.
need_install=0
for pkg in mesa-vulkan-drivers libvulkan1; do
  installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$pkg" 2>/dev/null || true)
  case "$installed" in
    "ii "*) ;;
    *) need_install=1 ;;
  esac
done
if [ "$need_install" -eq 0 ]; then
  # Installed: accept it only if Mesa is from 25 or later (bookworm's own 22.x lacks what we need).
  mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)
  case "$mesa_version" in
    2[5-9].*|[3-9][0-9].*) ;;
    *) need_install=1 ;;
  esac
fi
if [ "$need_install" -eq 1 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -t "$SUITE" mesa-vulkan-drivers libvulkan1
fi

# 3. Verify: loader library, lavapipe ICD, and a Mesa version that is new enough.
fail() { echo "setup-webgpu: $*" >&2; exit 1; }
# (the cache read whole first: `ldconfig -p | grep -q` fails under pipefail whenever grep quits
# before ldconfig has written everything, and ldconfig dies of SIGPIPE)
loader_cache=$(ldconfig -p)
grep -q 'libvulkan\.so\.1' <<<"$loader_cache" || fail "the Vulkan loader (libvulkan.so.1) is not installed"
icd=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n 1 || true)
[ -n "$icd" ] || fail "no lavapipe ICD under /usr/share/vulkan/icd.d"
mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)
case "$mesa_version" in
  2[5-9].*|[3-9][0-9].*) ;;
  *) fail "mesa-vulkan-drivers $mesa_version is older than 25" ;;
esac
echo "setup-webgpu: ok (mesa-vulkan-drivers $mesa_version, ICD $icd)"
