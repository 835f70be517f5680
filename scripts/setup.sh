#!/usr/bin/env bash
# Install isrgen (and, with --test, everything its test suite needs) on a fresh
# Debian/Ubuntu machine.  Safe to run again: it installs only what is missing.
#
#   bash scripts/setup.sh          # isrgen itself (pip, editable)
#   bash scripts/setup.sh --test   # + assemblers, QEMU, build tools, test packages
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi

if [ "$mode" = "--test" ]; then
    # nasm and qemu are not on a fresh machine (../shared/notes/toolchain-facts.md);
    # --no-install-recommends keeps QEMU from pulling in ~160 MB of GUI libraries.
    want="nasm qemu-system-x86 binutils gcc g++ make gdb cmake ninja-build meson"
    missing=""
    for p in $want; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        echo "setup: installing apt packages:$missing"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
    fi
    python3 -m pip install -q --disable-pip-version-check -e ".[test]"
    # a third-party backend package, as a user would install one (tests/test_plugins.py)
    python3 -m pip install -q --disable-pip-version-check --no-deps -e tests/plugins/isrgen-demo-backend
else
    python3 -m pip install -q --disable-pip-version-check -e .
fi
# pyenv installs console scripts behind shims that need a rehash to appear on PATH.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
