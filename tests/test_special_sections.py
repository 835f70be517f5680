"""Sections the toolchain or the loader interprets cannot hold code or the vector table:
refused at the key, with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import loads_x86, require_tool
from every_tool import tool_failures

import isrgen

SPEC = """\
isrgen: 1
arch: x86_64
handler:
  symbol: isr_dispatch
vectors:
  - {{vector: 0, name: divide_error}}
sections:
  code: {code}
  table: {table}
"""

SPECIAL = [
    (".eh_frame", "unwinder"),
    (".eh_frame_hdr", "unwinder"),
    (".init_array", "constructor"),
    (".init_array.00100", "constructor"),
    (".fini_array", "destructor"),
    (".preinit_array", "before constructors"),
    (".ctors", "constructor"),
    (".ctors.65535", "constructor"),
    (".dtors", "destructor"),
    (".init", "init or fini"),
    (".debug_info", "debug information"),
    (".zdebug_line", "debug information"),
    (".note.isr", "notes"),
    (".note", "notes"),
    (".tdata", "thread-local"),
    (".tbss.isr", "thread-local"),
    (".got", "global offset table"),
    (".gcc_except_table", "exception tables"),
    (".rela.text", "relocations"),
]


@pytest.mark.parametrize(("section", "reason"), SPECIAL)
@pytest.mark.parametrize("key", ["code", "table"])
def test_a_special_section_is_refused_at_its_key_with_the_reason(key: str, section: str, reason: str) -> None:
    names = {"code": ".text.isr", "table": ".rodata.isr"} | {key: section}
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(SPEC.format(**names), "sections.yaml")
    (diag,) = info.value.diagnostics
    line = 8 if key == "code" else 9
    assert (diag.source.line, diag.source.col) == (line, len(f"  {key}: ") + 1)
    assert reason in diag.message and section in diag.message


@pytest.mark.parametrize(
    ("code", "table"), [(".init.text", ".init.rodata"), (".text.entry", ".data.isr"), (".text", ".rodata")]
)
def test_ordinary_sections_stay_accepted_and_build_everywhere(tmp_path: Path, code: str, table: str) -> None:
    require_tool("as", "llvm-mc", "nasm", "gcc", "g++", "rustc")
    spec = loads_x86(SPEC.format(code=code, table=table), "sections.yaml")
    assert tool_failures(spec, tmp_path) == []
