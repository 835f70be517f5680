#!/usr/bin/env bash
# Install isrgen into a virtual environment, .venv at the top of the checkout (and,
# with --test, everything its test suite needs) on a Debian/Ubuntu machine.  Safe to
# run again: it installs only what is missing.
#
#   bash scripts/setup.sh          # .venv with isrgen (editable); then .venv/bin/isrgen
#   bash scripts/setup.sh --test   # + assemblers, QEMU, build tools, test packages
#
# The tests also need rustc >= 1.77 (core::mem::offset_of!) that accepts
# RUSTC_BOOTSTRAP=1 (the #![no_core] aarch64/riscv64 checks), on PATH.  --test looks
# on PATH and in ~/.cargo/bin (rustup), tries the distribution's rustc when neither
# has one, and says what is missing otherwise: nothing is downloaded from elsewhere.
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

# rustc for the tests: >= 1.77 (offset_of!, the layout asserts of the Rust output) and
# RUSTC_BOOTSTRAP=1 honoured (#![no_core] crates check global_asm! for aarch64/riscv64)
rust_min_minor=77
rustc_usable() {  # "$1" is a rustc that compiles what the tests compile
    local bin="$1" version minor tmp ok=1
    [ -x "$bin" ] || return 1
    version="$("$bin" --version 2>/dev/null)" || return 1
    minor="$(printf '%s\n' "$version" | sed -n 's/^rustc 1\.\([0-9][0-9]*\)\..*/\1/p')"
    [ -n "$minor" ] && [ "$minor" -ge "$rust_min_minor" ] || return 1
    tmp="$(mktemp -d)"
    printf '%s\n' '#![feature(lang_items)]' '#![no_std]' \
        '#[repr(C)] pub struct S { pub a: u8, pub b: u64 }' \
        'pub const B: usize = core::mem::offset_of!(S, b);' >"$tmp/probe.rs"
    RUSTC_BOOTSTRAP=1 "$bin" --edition 2021 --crate-type lib --emit metadata \
        -o "$tmp/probe.rmeta" "$tmp/probe.rs" >/dev/null 2>&1 || ok=0
    rm -rf "$tmp"
    [ "$ok" -eq 1 ]
}
check_rustc() {
    local on_path cargo_rustc="${CARGO_HOME:-$HOME/.cargo}/bin/rustc"
    on_path="$(command -v rustc 2>/dev/null || true)"
    if [ -n "$on_path" ] && rustc_usable "$on_path"; then
        return 0
    fi
    if rustc_usable "$cargo_rustc"; then
        echo "setup: note: the tests need $cargo_rustc ($("$cargo_rustc" --version)) first on PATH:" >&2
        echo "setup:   export PATH=\"$(dirname "$cargo_rustc"):\$PATH\"" >&2
        return 0
    fi
    if command -v apt-get >/dev/null 2>&1; then  # the distribution's rustc, if it is new enough
        want_apt rustc
        apt_install
        on_path="$(command -v rustc 2>/dev/null || true)"
        if [ -n "$on_path" ] && rustc_usable "$on_path"; then
            return 0
        fi
        if [ "$on_path" != /usr/bin/rustc ] && rustc_usable /usr/bin/rustc; then
            echo "setup: note: the tests need /usr/bin/rustc before ${on_path:-other rustc} on PATH" >&2
            return 0
        fi
    fi
    {
        echo "setup: error: the tests need rustc >= 1.$rust_min_minor (core::mem::offset_of!) that accepts"
        echo "setup:   RUSTC_BOOTSTRAP=1, on PATH or in ${cargo_rustc%/rustc}."
        if [ -n "$on_path" ]; then
            echo "setup:   $on_path is $("$on_path" --version 2>/dev/null || echo "not runnable"): too old or it refuses RUSTC_BOOTSTRAP."
        else
            echo "setup:   none was found, and the distribution's package did not provide one."
        fi
        echo "setup:   Install a newer rustc (e.g. the distribution's backports or rustup's stable) and run this again;"
        echo "setup:   everything else is installed (the Rust tests fail under CI, skip otherwise)."
    } >&2
    return 1
}

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
if [ "$mode" = "--test" ] && ! check_rustc; then
    exit 1
fi
echo "setup: done; run $venv/bin/isrgen (or activate it: . $venv/bin/activate)"
