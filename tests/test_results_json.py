"""``--format json`` of ``backends``, ``verify`` and ``prove``: documents with a named
format that agree with what the text output says, on a real linked kernel and a real proof."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import DEFAULT_SPEC, isrgen_cmd, load_x86, require_tool, run
from minikernel_build import build_kernel


def _json(*args: str, status: int = 0) -> Any:
    proc = run(isrgen_cmd(*args), check=False)
    assert proc.returncode == status, proc.stderr
    return json.loads(proc.stdout)


def test_backends_json_lists_the_builtins() -> None:
    data = _json("backends", "--format", "json")
    assert data["format"] == "isrgen-backends/1"
    by_name = {b["name"]: b for b in data["backends"]}
    # the file names the README's backend table gives
    expected = {"gas": "isr.S", "nasm": "isr.asm", "rust": "isr.rs", "c": "isr.h", "gdb": "isr-gdb.py"}
    for name, filename in expected.items():
        assert by_name[name]["default_filename"] == filename
        assert by_name[name]["origin"] == "builtin"
        assert by_name[name]["description"]
    # the same set the text form prints
    text = run(isrgen_cmd("backends")).stdout
    assert [line.split("\t")[0] for line in text.splitlines()] == [b["name"] for b in data["backends"]]


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kernel(load_x86(DEFAULT_SPEC), tmp_path_factory.mktemp("kernel"))


def test_verify_json_on_a_good_kernel(kernel: Path) -> None:
    data = _json("verify", "--format", "json", "-s", str(DEFAULT_SPEC), str(kernel))
    assert data["format"] == "isrgen-verify/1"
    assert (data["kernel"], data["ok"], data["findings"]) == (str(kernel), True, [])
    # the DWARF size check ran against the 176-byte frame of specs/x86_64.yaml
    assert any("176" in c for c in data["checked"])


def test_verify_json_on_a_broken_kernel(kernel: Path, tmp_path: Path) -> None:
    # flip the executable bit off the code segment: the stubs can no longer run
    broken = _without_exec(kernel, tmp_path / "broken.elf")
    data = _json("verify", "--format", "json", "-s", str(DEFAULT_SPEC), str(broken), status=4)
    assert data["ok"] is False and data["findings"]
    text = run(isrgen_cmd("verify", "-s", str(DEFAULT_SPEC), str(broken)), check=False).stderr
    for finding in data["findings"]:
        assert set(finding) == {"check", "message", "symbol", "address", "section", "segment", "description"}
        assert f"[{finding['check']}] {finding['description']}" in text


def _without_exec(src: Path, dst: Path) -> Path:
    """A copy of ``src`` whose PT_LOAD program headers lose PF_X (ELF64: p_flags at +4)."""
    data = bytearray(src.read_bytes())
    assert data[:4] == b"\x7fELF" and data[4] == 2  # ELFCLASS64
    phoff = int.from_bytes(data[0x20:0x28], "little")
    phentsize = int.from_bytes(data[0x36:0x38], "little")
    phnum = int.from_bytes(data[0x38:0x3A], "little")
    for i in range(phnum):
        at = phoff + i * phentsize
        if int.from_bytes(data[at : at + 4], "little") == 1:  # PT_LOAD
            flags = int.from_bytes(data[at + 4 : at + 8], "little")
            data[at + 4 : at + 8] = (flags & ~1).to_bytes(4, "little")  # clear PF_X
    dst.write_bytes(bytes(data))
    return dst


def test_prove_json_matches_the_table() -> None:
    require_tool("gcc")
    data = _json("prove", "--format", "json", "-b", "c", str(DEFAULT_SPEC))
    assert data["format"] == "isrgen-prove/1"
    assert (data["spec"], data["backends"], data["ok"], data["failures"]) == (str(DEFAULT_SPEC), ["c"], True, [])
    rows = {r["name"]: r for r in data["properties"]}
    assert rows["C layout"]["outcome"] == "proven"
    table = run(isrgen_cmd("prove", "-b", "c", str(DEFAULT_SPEC))).stdout
    for r in data["properties"]:
        assert re.search(rf"^\s+{re.escape(r['name'])}\s+{r['outcome']}\s", table, flags=re.M), r
