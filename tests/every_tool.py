"""Build every output of a spec with every tool that reads it.

The acceptance rule: a spec that loads yields outputs that GNU as, LLVM's
assembler, NASM, gcc and g++ (C11, GNU11, C++17, all warnings as errors,
pedantic), rustc and Python (the gdb script) all accept.  The oracle is the
tools themselves, never the generator.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import isrgen
from isrgen.arch.x86.model import X86Spec
from isrgen.proof import toolchain

#: the backends an arch has; rust and gdb generate for x86_64 only
BACKENDS = {"x86_64": ("gas", "nasm", "c", "rust", "gdb"), "i386": ("gas", "nasm", "c")}
_C_FLAGS = ("-ffreestanding", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-pedantic")
_C_DIALECTS = (("gcc", "-std=c11", "c"), ("gcc", "-std=gnu11", "c"), ("g++", "-std=c++17", "c++"))


def _run(cmd: list[str], cwd: Path) -> str | None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    return f"{' '.join(cmd)}:\n{proc.stdout}{proc.stderr}"


def tool_failures(spec: X86Spec, work: Path) -> list[str]:
    """Each tool's complaint about one of ``spec``'s outputs (empty when all accept)."""
    work.mkdir(parents=True, exist_ok=True)
    bits = "64" if spec.arch_name == "x86_64" else "32"
    triple = "x86_64-unknown-linux-gnu" if bits == "64" else "i386-unknown-linux-gnu"
    files = {r.backend: work / r.filename for r in isrgen.render_outputs(spec, list(BACKENDS[spec.arch_name]))}
    for r in isrgen.render_outputs(spec, list(BACKENDS[spec.arch_name])):
        (work / r.filename).write_text(r.content)
    failures: list[str | None] = [
        _run(["as", f"--{bits}", "--fatal-warnings", "-o", "gas.o", str(files["gas"])], work),
        _run(["llvm-mc", f"-triple={triple}", "-filetype=obj", "-o", "llvm.o", str(files["gas"])], work),
        _run(["nasm", "-f", f"elf{bits}", "-Werror", "-o", "nasm.o", str(files["nasm"])], work),
    ]
    main_c = work / "use_header.c"
    main_c.write_text(f'#include "{files["c"].name}"\n')
    for compiler, std, lang in _C_DIALECTS:
        failures.append(_run([compiler, f"-m{bits}", "-x", lang, std, *_C_FLAGS, "-I", str(work), str(main_c)], work))
    if "rust" in files:
        root = work / "lib_isr.rs"
        root.write_text(
            '#![no_std]\n#[path = "' + files["rust"].name + '"]\npub mod isr;\n'
            "#[panic_handler]\nfn panic(_: &core::panic::PanicInfo<'_>) -> ! {\n    loop {}\n}\n"
        )
        failures.append(
            _run(
                ["rustc", *toolchain.RUST_LIB_FLAGS, "-D", "warnings", "--emit=obj=rust.o", str(root)],
                work,
            )
        )
    if "gdb" in files:
        try:
            compile(files["gdb"].read_text(), str(files["gdb"]), "exec")
        except SyntaxError as exc:
            failures.append(f"python: {exc}")
    return [f for f in failures if f is not None]
