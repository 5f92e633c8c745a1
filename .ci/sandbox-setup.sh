#!/usr/bin/env bash
# Installs what the sandbox needs (debootstrap, bubblewrap, Debian's python3-pytest for the
# bubblewrap backend) and builds the sandbox images the tests use. Idempotent: installed
# packages and up-to-date images (recipe-hash label) are left alone, and the debootstrap
# tarball is cached under agent's data dir. Run with the project venv active.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
/usr/bin/python3 -c 'import pytest' >/dev/null 2>&1 || need+=(python3-pytest)
command -v make >/dev/null 2>&1 || need+=(make)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "sandbox-setup: installing ${need[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

if ! docker info >/dev/null 2>&1; then
  echo "sandbox-setup: Docker engine not reachable; images not built (docker tests will skip)"
  exit 0
fi
start=$(date +%s)
agent sandbox build --image all
echo "sandbox-setup: images ready in $(( $(date +%s) - start ))s"
