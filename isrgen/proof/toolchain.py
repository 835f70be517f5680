"""Turn generated outputs into object files and programs with the real tools.

Used by the tests that prove the backends agree and by ``isrgen prove``.  Every
function runs one external program (``as``, ``nasm``, ``rustc``, ``gcc``) and
returns the path it produced.  A tool that is not installed raises
:class:`isrgen.diagnostics.UsageError` naming it; a tool that fails raises
:class:`ToolError` (also a ``UsageError``) carrying the command and its output.

Typical use::

    from isrgen.proof import toolchain
    obj = toolchain.object_for("nasm", "out/isr.asm")   # -> out/isr.o
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from isrgen.diagnostics import UsageError

#: rustc flags for the generated module: a ``#![no_std]`` library object (the target
#: triple comes from the ISA: :attr:`isrgen.arch.isa.RustSupport.target`)
RUST_LIB_FLAGS: tuple[str, ...] = (
    "--edition",
    "2021",
    "--crate-type",
    "lib",
    "-C",
    "panic=abort",
    "-O",
)

#: the backends whose output :func:`object_for` turns into an object file
OBJECT_BACKENDS = ("gas", "nasm", "rust")

#: how many characters of a failing tool's output a ToolError keeps
_OUTPUT_LIMIT = 4000


class ToolError(UsageError):
    """An external tool ran and failed; :attr:`output` is what it printed."""

    def __init__(self, command: Sequence[str], returncode: int, output: str):
        self.command = tuple(command)
        self.returncode = returncode
        self.output = output
        tail = output.strip()[-_OUTPUT_LIMIT:]
        super().__init__(f"{command[0]} failed (exit {returncode}): {' '.join(command)}\n{tail}")


def find_tool(name: str) -> str:
    """Absolute path of program ``name``; :class:`UsageError` naming it when it is not installed."""
    path = shutil.which(name)
    if path is None:
        raise UsageError(f"required tool {name!r} is not installed (not found on PATH)")
    return path


def run_tool(command: Sequence[str | os.PathLike[str]], cwd: Path | None = None) -> str:
    """Run ``command`` (its first item a program name); return stdout+stderr, raise on failure."""
    argv = [str(c) for c in command]
    argv[0] = find_tool(argv[0])
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise ToolError([Path(argv[0]).name, *argv[1:]], proc.returncode, output)
    return output


def _target(source: Path, out: str | os.PathLike[str] | None) -> Path:
    # isr.S and isr.asm must not both become isr.o: keep the whole name
    return Path(out) if out is not None else source.with_name(source.name + ".o")


def assemble_gas(source: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *, bits: int = 64) -> Path:
    """``as --64`` (or ``--32``) ``--fatal-warnings`` a GNU as file into an object (default: ``<source name>.o``)."""
    src = Path(source)
    obj = _target(src, out)
    run_tool(["as", f"--{bits}", "--fatal-warnings", "-o", obj, src])
    return obj


def assemble_nasm(source: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *, bits: int = 64) -> Path:
    """``nasm -f elf64`` (or ``elf32``) ``-Werror`` a NASM file into an object (default: ``<source name>.o``)."""
    src = Path(source)
    obj = _target(src, out)
    run_tool(["nasm", "-f", f"elf{bits}", "-Werror", "-o", obj, src])
    return obj


def combine_objects(objects: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], emulation: str) -> Path:
    """``ld -m EMULATION -r``: one relocatable object from ``objects`` (the files a split
    output was assembled from), so the checks of one object apply to the split glue too."""
    obj = Path(out)
    run_tool(["ld", "-m", emulation, "-r", "-o", obj, *objects])
    return obj


def compile_rust(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    extra_flags: Sequence[str] = (),
    *,
    target: str | None = None,
) -> Path:
    """``rustc --emit=obj`` a ``#![no_std]`` library crate root (default output: ``<source name>.o``)
    for ``target`` (default: rustc's host).

    A generated Rust module is not a crate root by itself (it has no
    ``#![no_std]``); use :func:`rust_crate_root` to wrap it.
    """
    src = Path(source)
    obj = _target(src, out)
    triple = ["--target", target] if target else []
    run_tool(["rustc", *RUST_LIB_FLAGS, *triple, *extra_flags, f"--emit=obj={obj}", src])
    return obj


def rust_crate_root(module: str | os.PathLike[str], out: str | os.PathLike[str] | None = None) -> Path:
    """Write a ``#![no_std]`` crate root that includes the generated module ``module`` as ``mod isr``.

    Returns the crate root's path (default: ``lib_<module name>.rs`` next to the module).
    """
    mod = Path(module).resolve()
    root = Path(out) if out is not None else mod.with_name(f"lib_{mod.stem}.rs")
    root.write_text(
        "#![no_std]\n"
        "#[path = " + _rust_string(str(mod)) + "]\n"
        "pub mod isr;\n"
        "#[panic_handler]\n"
        "fn panic(_: &core::panic::PanicInfo<'_>) -> ! {\n    loop {}\n}\n",
        encoding="utf-8",
    )
    return root


def _rust_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def object_for(
    backend: str,
    source: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    bits: int = 64,
    target: str | None = None,
) -> Path:
    """The object file of one generated assembly output, built with that backend's tool.

    ``backend`` is ``gas``, ``nasm`` or ``rust``; a Rust module is wrapped in a
    ``#![no_std]`` crate root first.
    """
    src = Path(source)
    if backend == "gas":
        return assemble_gas(src, out, bits=bits)
    if backend == "nasm":
        return assemble_nasm(src, out, bits=bits)
    if backend == "rust":
        return compile_rust(rust_crate_root(src), _target(src, out), target=target)
    raise UsageError(f"no object can be built for backend {backend!r} (one of: {', '.join(OBJECT_BACKENDS)})")
