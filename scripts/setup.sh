#!/usr/bin/env bash
# Install isrgen into a virtual environment, .venv at the top of the checkout (and,
# with --test, everything its test suite needs) on a Debian/Ubuntu machine.  Safe to
# run again: it installs only what is missing.
#
#   bash scripts/setup.sh          # .venv with isrgen (editable); then .venv/bin/isrgen
#   bash scripts/setup.sh --test   # + assemblers, QEMU, build tools, test packages
#
# A virtual environment works the same whatever python3 is: Debian's system Python
# refuses `pip install` outside one (PEP 668, "externally-managed-environment"),
# and a pyenv or an already activated virtual environment is left untouched.
# PYTHON=/path/to/python3 chooses the interpreter the environment is made from.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
case "$mode" in
    "" | --test) ;;
    *) echo "usage: bash scripts/setup.sh [--test]" >&2; exit 2 ;;
esac
python="${PYTHON:-python3}"
venv=".venv"
sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi

apt_missing=""
want_apt() {  # queue the Debian packages of "$@" that are not installed
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || apt_missing="$apt_missing $p"
    done
}
apt_install() {
    [ -n "$apt_missing" ] || return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup: please install these packages (no apt-get here):$apt_missing" >&2
        exit 1
    fi
    echo "setup: installing apt packages:$apt_missing"
    $sudo apt-get update -qq
    # --no-install-recommends keeps QEMU from pulling in ~160 MB of GUI libraries
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $apt_missing >/dev/null
    apt_missing=""
}

if [ "$mode" = "--test" ]; then
    # A fresh Debian 12 has none of the assemblers, emulators or cross toolchains the
    # tests run.  /usr/bin/llvm-mc comes with the `llvm` package, ld.lld with `lld`,
    # rsvg-convert (renders `isrgen layout --format svg` to PNG) with `librsvg2-bin`,
    # groff (renders `isrgen manpage`) with `groff-base`; gdb-multiarch debugs the riscv64
    # example kernel through QEMU's gdb stub.
    want_apt nasm qemu-system-x86 qemu-system-arm qemu-system-misc \
        binutils gcc g++ make gdb gdb-multiarch cmake ninja-build meson \
        binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu \
        binutils-riscv64-linux-gnu gcc-riscv64-linux-gnu \
        lld llvm librsvg2-bin groff-base
fi

# `python3 -m venv` needs ensurepip, which Debian ships separately (python3-venv).
if [ ! -x "$venv/bin/python" ] && ! "$python" -c "import ensurepip, venv" >/dev/null 2>&1; then
    want_apt python3-venv
fi
apt_install

# a folder left by an interrupted run (no working pip inside) is made again
if [ -d "$venv" ] && ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
fi
if [ ! -d "$venv" ]; then
    echo "setup: creating the virtual environment $venv ($("$python" --version 2>&1))"
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)

if [ "$mode" = "--test" ]; then
    "${pip[@]}" -e ".[test]"
    # a third-party backend package, as a user would install one (tests/test_plugins.py)
    "${pip[@]}" --no-deps -e tests/plugins/isrgen-demo-backend
else
    "${pip[@]}" -e .
fi
echo "setup: done; run $venv/bin/isrgen (or activate it: . $venv/bin/activate)"
