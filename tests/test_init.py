"""``isrgen init``: the starter spec passes check-spec unchanged, the shipped examples are
copied byte for byte, and the Make and CMake snippets build the glue with the real tools."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SPECS, isrgen_cmd, load_x86, require_tool, run

#: every spec isrgen ships, by the name --example takes
SHIPPED = {p.stem: p for p in [*SPECS.glob("*.yaml"), *(SPECS / "examples").glob("*.yaml")]}

HANDLER_C = """\
#include "isr.h"
static unsigned long counts[256];
void isr_dispatch(struct isr_frame *frame) { counts[frame->vector & 0xff]++; }
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)
    return env


def test_init_writes_a_commented_spec_that_passes_check_spec(tmp_path: Path) -> None:
    proc = run(isrgen_cmd("init", str(tmp_path / "k")))
    written = [Path(line) for line in proc.stdout.splitlines()]
    assert [p.name for p in written] == ["isr.yaml", "isrgen.mk", "isrgen.cmake", "isrgen.meson"]
    spec = tmp_path / "k" / "isr.yaml"
    text = spec.read_text()
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 20  # explained, not bare
    ok = run(isrgen_cmd("check-spec", str(spec)))
    # 0-31 exceptions, IRQs 32-47, the spurious vector 255
    assert ok.stdout.strip() == f"{spec}: ok (49 vectors)"


def test_init_in_the_current_folder_by_default(tmp_path: Path) -> None:
    run(isrgen_cmd("init"), cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["isr.yaml", "isrgen.cmake", "isrgen.meson", "isrgen.mk"]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_init_example_copies_the_shipped_spec(tmp_path: Path, name: str) -> None:
    run(isrgen_cmd("init", "--example", name, str(tmp_path)))
    assert (tmp_path / "isr.yaml").read_bytes() == SHIPPED[name].read_bytes()
    run(isrgen_cmd("check-spec", str(tmp_path / "isr.yaml")))


def test_list_examples_names_every_shipped_spec() -> None:
    assert run(isrgen_cmd("init", "--list-examples")).stdout.split() == sorted(SHIPPED)


def test_unknown_example_is_a_usage_error_and_writes_nothing(tmp_path: Path) -> None:
    proc = run(isrgen_cmd("init", "--example", "x86-64", str(tmp_path / "k")), check=False)
    assert proc.returncode == 2
    assert "no such example" in proc.stderr and "x86_64" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "k").exists()


def test_existing_files_are_kept_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "isrgen.mk").write_text("mine\n")
    proc = run(isrgen_cmd("init", str(tmp_path)), check=False)
    assert proc.returncode == 2
    assert "isrgen.mk" in proc.stderr and "--force" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["isrgen.mk"]  # nothing written
    assert (tmp_path / "isrgen.mk").read_text() == "mine\n"
    run(isrgen_cmd("init", "--force", str(tmp_path)))
    assert (tmp_path / "isrgen.mk").read_text().startswith("# isrgen from GNU make")


def test_make_snippet_builds_and_tracks_the_spec(tmp_path: Path) -> None:
    require_tool("make", "cc", "ar", "nm")
    run(isrgen_cmd("init", str(tmp_path)))
    (tmp_path / "handler.c").write_text(HANDLER_C)
    (tmp_path / "Makefile").write_text(
        "all: libisr.a\n"
        "include isrgen.mk\n"
        "CFLAGS := -std=c11 -ffreestanding -Wall -Wextra -Werror -I$(ISR_GEN)\n"
        "handler.o: handler.c | $(ISR_OUTPUTS)\n"
        "\t$(CC) $(CFLAGS) -c $< -o $@\n"
        "libisr.a: $(ISR_OBJ) handler.o\n"
        "\t$(AR) rcs $@ $^\n"
    )
    isrgen = f"ISRGEN={sys.executable} -m isrgen"
    first = run(["make", isrgen], cwd=tmp_path, env=_env())
    assert "--depfile" in first.stdout
    symbols = run(["nm", str(tmp_path / "libisr.a")]).stdout
    # the stubs of the starter spec's vectors, and the table, are in the library
    for sym in ("isr_stub_0", "isr_stub_8", "isr_stub_47", "isr_stub_255", "isr_table", "isr_dispatch"):
        assert f" {sym}\n" in symbols, sym
    assert " isr_stub_48\n" not in symbols
    assert "Nothing to be done" in run(["make", isrgen], cwd=tmp_path, env=_env()).stdout
    # a change to the spec regenerates the glue (a new vector: a new stub)
    spec = tmp_path / "isr.yaml"
    spec.write_text(spec.read_text().replace("- {vector: 255,", "- {vector: 200, name: ipi}\n  - {vector: 255,"))
    again = run(["make", isrgen], cwd=tmp_path, env=_env())
    assert "isrgen build" in again.stdout or "-m isrgen build" in again.stdout
    assert " isr_stub_200\n" in run(["nm", str(tmp_path / "libisr.a")]).stdout


def test_cmake_module_builds_with_ninja(tmp_path: Path) -> None:
    """isrgen_generate(TARGET SPEC ...): sources and include folder come from the spec."""
    require_tool("cmake", "ninja", "cc", "nm")
    src = tmp_path / "src"
    run(isrgen_cmd("init", str(src)))
    (src / "handler.c").write_text(HANDLER_C)
    (src / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\n"
        "project(initdemo C ASM)\n"
        "include(isrgen.cmake)\n"
        "add_library(isr STATIC handler.c)\n"
        "isrgen_generate(isr SPEC isr.yaml OUTPUT_DIR gen OUTPUTS_VAR isr_outputs)\n"
        "add_library(nasm_only STATIC)\n"
        "isrgen_generate(nasm_only SPEC isr.yaml OUTPUT_DIR gen-nasm BACKENDS nasm OUTPUTS_VAR nasm_outputs)\n"
        "set_target_properties(nasm_only PROPERTIES EXCLUDE_FROM_ALL ON)\n"
        'file(WRITE ${CMAKE_BINARY_DIR}/outputs.txt "${isr_outputs}|${nasm_outputs}")\n'
    )
    build = tmp_path / "build"
    isrgen = ";".join([sys.executable, "-m", "isrgen"])
    run(["cmake", "-S", str(src), "-B", str(build), "-G", "Ninja", f"-DISRGEN={isrgen}"], env=_env())
    # the outputs the spec lists (gas isr.S, c isr.h), and with BACKENDS only those
    isr_outputs, nasm_outputs = (build / "outputs.txt").read_text().split("|")
    assert isr_outputs.split(";") == [str(build / "gen" / "isr.S"), str(build / "gen" / "isr.h")]
    assert nasm_outputs.split(";") == [str(build / "gen-nasm" / "isr.asm")]
    run(["cmake", "--build", str(build), "--target", "isr"], env=_env())
    symbols = run(["nm", str(build / "libisr.a")]).stdout
    for sym in ("isr_stub_0", "isr_stub_255", "isr_table", "isr_dispatch"):
        assert f" {sym}\n" in symbols, sym
    assert "no work to do" in run(["cmake", "--build", str(build), "--target", "isr"], env=_env()).stdout
    # a spec change regenerates the glue
    spec = src / "isr.yaml"
    spec.write_text(spec.read_text().replace("- {vector: 255,", "- {vector: 200, name: ipi}\n  - {vector: 255,"))
    run(["cmake", "--build", str(build), "--target", "isr"], env=_env())
    assert " isr_stub_200\n" in run(["nm", str(build / "libisr.a")]).stdout


def test_meson_snippet_builds(tmp_path: Path) -> None:
    """The pasted snippet reads the output names from isrgen; a spec change is rebuilt."""
    require_tool("meson", "ninja", "cc", "nm")
    src = tmp_path / "src"
    run(isrgen_cmd("init", "--example", "linux_pt_regs", str(src)))  # outputs entry.S, entry.h
    (src / "meson.build").write_text(
        "project('initdemo', 'c', meson_version: '>=1.0.0')\n"
        + (src / "isrgen.meson").read_text()
        + "static_library('isr', isr_glue)\n"
    )
    # find_program('isrgen') finds this interpreter's isrgen first on PATH
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "isrgen"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m isrgen "$@"\n')
    wrapper.chmod(0o755)
    env = _env() | {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    build = tmp_path / "build"
    run(["meson", "setup", str(build), str(src)], env=env)
    run(["meson", "compile", "-C", str(build)], env=env)
    assert sorted(p.name for p in build.iterdir() if p.name.startswith("entry")) == ["entry.S", "entry.h"]
    symbols = run(["nm", str(build / "libisr.a")]).stdout
    assert " idt_stub_table\n" in symbols  # the table's name in this spec
    assert "no work to do" in run(["ninja", "-C", str(build)], env=env).stdout
    spec = src / "isr.yaml"
    spec.write_text(spec.read_text() + "\n# a comment changes nothing generated\n")
    again = run(["meson", "compile", "-C", str(build)], env=env).stdout
    # Meson configures again (the output list may have changed) and isrgen runs again
    assert "Generating isr_glue" in again and "meson" in again.lower()


def test_starter_spec_is_the_shipped_template() -> None:
    """The package data ``isrgen init`` reads is the file in the repository."""
    from isrgen.cli.init_project import plan_init

    planned = plan_init(Path("k"))
    assert planned[0].text == (ROOT / "isrgen" / "cli" / "templates" / "init" / "isr.yaml").read_text()


def _hook_command(hook: dict[str, Any], filenames: list[str]) -> list[str]:
    """The command pre-commit runs for ``hook``: entry, args, then the file names."""
    entry = hook["entry"].split()
    assert entry[0] == "isrgen"
    return isrgen_cmd(*entry[1:], *hook.get("args", []), *(filenames if hook.get("pass_filenames", True) else []))


def test_pre_commit_hooks_run_check_spec_and_build_check(tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    hooks = {h["id"]: h for h in YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"isrgen-check-spec", "isrgen-build-check"}
    for hook in hooks.values():
        assert {"id", "name", "entry", "language"} <= set(hook) and hook["language"] == "python"
    check = hooks["isrgen-check-spec"]
    # the default file pattern matches what `isrgen init` writes, and nothing else
    pattern = re.compile(check["files"])
    assert pattern.search("isr.yaml") and pattern.search("kernel/isr.yml")
    assert not pattern.search("ci.yaml") and not pattern.search("misr.yaml")

    run(isrgen_cmd("init", str(tmp_path)))
    spec = tmp_path / "isr.yaml"
    run(_hook_command(check, [str(spec)]))
    bad = tmp_path / "bad" / "isr.yaml"
    bad.parent.mkdir()
    bad.write_text(spec.read_text().replace("ist: 1}", "ist: 9}"))
    failed = run(_hook_command(check, [str(spec), str(bad)]), check=False)
    assert failed.returncode == 1 and f"{bad}:" in failed.stderr

    build_check = {**hooks["isrgen-build-check"], "args": [str(spec), "-o", str(tmp_path / "gen")]}
    stale = run(_hook_command(build_check, [str(spec)]), check=False)
    assert stale.returncode == 3  # nothing generated yet
    run(isrgen_cmd("build", str(spec), "-o", str(tmp_path / "gen")))
    run(_hook_command(build_check, [str(spec)]))


def test_commented_syscall_section_of_the_default_spec_is_valid(tmp_path: Path) -> None:
    """specs/x86_64.yaml shows a commented syscall section; uncommented, it loads."""
    lines = (SPECS / "x86_64.yaml").read_text().splitlines()
    start = lines.index("# syscall:")
    block = [start]
    while lines[block[-1] + 1].startswith("#   "):
        block.append(block[-1] + 1)
    for i in block:
        lines[i] = lines[i][2:]
    spec = tmp_path / "syscall.yaml"
    spec.write_text("\n".join(lines) + "\nentry: {swapgs: true}\n")  # as the comment says
    run(isrgen_cmd("check-spec", str(spec)))

    syscall = load_x86(spec).syscall
    assert syscall is not None
    # SYSRET: CS = IA32_STAR[63:48] + 16 and SS = IA32_STAR[63:48] + 8, both with RPL 3
    # (SDM Vol. 2B SYSRET); with kernel CS 0x08 and STAR[63:48] = 0x10: 0x23 and 0x1b
    assert (syscall.user_cs, syscall.user_ss) == (0x10 + 16 | 3, 0x10 + 8 | 3)
    assert syscall.entry == "isr_syscall_entry" and syscall.handler == "isr_syscall"
