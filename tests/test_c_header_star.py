"""The C header's IA32_STAR[63:48] selector base for SYSRET, checked against the
SDM arithmetic (Intel SDM Vol. 2B, SYSRET): SS.Selector = IA32_STAR[63:48] + 8,
CS.Selector = IA32_STAR[63:48] + 16, both with RPL forced to 3."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
from conftest import TEST_SPECS, require_tool, run

import isrgen
from isrgen.arch.x86.model import Syscall
from isrgen.spec.schema_check import spec_schema

ENTRY_FULL = (TEST_SPECS / "entry_full.yaml").read_text(encoding="utf-8")


def _header(text: str) -> str:
    (out,) = isrgen.render_outputs(isrgen.loads_spec(text, "spec.yaml"), ["c"])
    return out.content


def _star_base(header: str) -> int:
    (match,) = re.findall(r"^#define K_STAR_SYSRET_BASE (0x[0-9a-f]+)  /\* IA32_STAR bits 63:48", header, re.M)
    return int(match, 16)


@pytest.mark.parametrize(
    ("selectors", "user_cs", "user_ss", "base"),
    [
        # the defaults: 0x13 + 8 = 0x1b, (0x13 + 16) | 3 = 0x23
        ("", 0x23, 0x1B, 0x13),
        # a GDT with the 64-bit user code at index 6 (0x33) and user data at index 5 (0x2b)
        (", user_cs: 0x33, user_ss: 0x2b", 0x33, 0x2B, 0x23),
    ],
)
def test_star_sysret_base(selectors: str, user_cs: int, user_ss: int, base: int) -> None:
    text = ENTRY_FULL.replace("syscall: {handler: k_syscall}", "syscall: {handler: k_syscall" + selectors + "}")
    assert text != ENTRY_FULL or not selectors
    got = _star_base(_header(text))
    assert got == base
    assert got + 8 == user_ss
    assert (got + 16) | 3 == user_cs


def test_no_star_base_without_syscall() -> None:
    text = ENTRY_FULL.replace("syscall: {handler: k_syscall}\n", "")
    assert "syscall:" not in text
    assert "STAR_SYSRET_BASE" not in _header(text)


def test_star_base_compiles_with_the_sdm_arithmetic(tmp_path: Path) -> None:
    require_tool("gcc")
    (tmp_path / "isr.h").write_text(_header(ENTRY_FULL), encoding="utf-8")
    (tmp_path / "t.c").write_text(
        '#include "isr.h"\n'
        '_Static_assert(K_STAR_SYSRET_BASE + 8 == 0x1b, "SYSRET SS");\n'
        '_Static_assert(((K_STAR_SYSRET_BASE + 16) | 3) == 0x23, "SYSRET CS");\n',
        encoding="utf-8",
    )
    run(["gcc", "-std=c11", "-ffreestanding", "-fsyntax-only", str(tmp_path / "t.c")])


def test_schema_states_selector_defaults() -> None:
    props = spec_schema()["properties"]["syscall"]["properties"]
    assert props["user_cs"]["default"] == 0x23
    assert props["user_ss"]["default"] == 0x1B
    # the schema states the model's defaults, not others
    assert props["user_cs"]["default"] == attrs.fields(Syscall).user_cs.default
    assert props["user_ss"]["default"] == attrs.fields(Syscall).user_ss.default
    assert "IA32_STAR[63:48]" in props["user_cs"]["description"]
    assert "IA32_STAR[63:48]" in props["user_ss"]["description"]
