#!/usr/bin/env bash
# System packages the test suite needs: Mesa's lavapipe (Vulkan on the CPU, for WebGPU through
# Dawn) from Debian bookworm-backports, and Debian's Chromium for the playground's browser tests.
# Idempotent: does nothing when both are present. Needs root (apt-get) when something is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -f "$here/setup-webgpu.sh" ] && bash "$here/setup-webgpu.sh"
[ -f "$here/setup-browser.sh" ] && bash "$here/setup-browser.sh"
exit 0
