"""The acceptance rule, as a property: for a drawn spec (options drawn by
:func:`isrgen.testing.specs`, then a handler, a vector, a frame field and a stub named from a pool that
mixes ordinary identifiers with C/C++ keywords, standard macros, x86 registers and
prefixes), either the loader refuses it with every error located in the file, or every
output of every backend valid for its arch assembles and compiles with every tool
(as, llvm-mc, nasm, gcc/g++ in C11/GNU11/C++17 with -Wall -Wextra -Werror -pedantic,
rustc) and ``isrgen prove`` passes.

Deterministic (derandomize=True); ISRGEN_ACCEPTANCE_EXAMPLES sets a longer run.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from conftest import loads_x86, require_module, require_tool
from every_tool import tool_failures
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

import isrgen
from isrgen.arch.x86.dump import dump_spec
from isrgen.proof.prove import prove
from isrgen.testing import specs

EXAMPLES = int(os.environ.get("ISRGEN_ACCEPTANCE_EXAMPLES", "80"))
#: the backends prove checks, per arch
PROVABLE = {"x86_64": ("gas", "nasm", "rust", "c"), "i386": ("gas", "nasm", "c")}

HOSTILE = (
    "delete this class new template NULL INT64_MAX UINT8_C offsetof size_t bool linux unix i386 "
    "bnd0 cr9 dr4 tmm0 riz eiz mxcsr tr6 lock rep repnz o16 a32 xacquire bnd wait db bp ss "
    "times resq section ptr offset rax eax isr_idt_fill isr_idt_gate ISR_FRAME_SIZE VEC_DE FRAME_SIZE"
).split()
ORDINARY = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
NAMES = st.one_of(st.sampled_from(HOSTILE), ORDINARY)


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096
    return yaml


@st.composite
def named_spec_texts(draw: st.DrawFn) -> str:
    """A drawn spec's text with a drawn handler name, first vector name, renamed frame field
    and stub pattern."""
    spec = draw(specs(backends=("gas",), max_vectors=12, arch_name=None))
    data: Any = _yaml().load(dump_spec(spec))
    data["handler"]["symbol"] = draw(NAMES)
    first = data["vectors"][0]
    if "range" not in first:
        first["name"] = draw(NAMES)
    layout = data.get("frame", {}).get("layout", [])
    renamed = [
        i for i, item in enumerate(layout) if isinstance(item, dict) and isinstance(next(iter(item.values())), str)
    ]
    if renamed:
        item = layout[draw(st.sampled_from(renamed))]
        item[next(iter(item))] = draw(NAMES)
    if draw(st.booleans()):
        data.setdefault("symbols", {})["stub"] = draw(st.sampled_from(("{name}", "{prefix}{name}", "x_{n}")))
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(named_spec_texts())
def test_an_accepted_spec_builds_with_every_tool_and_proves(text: str) -> None:
    require_tool("as", "llvm-mc", "nasm", "gcc", "g++", "rustc", "ld")
    require_module("unicorn")
    try:
        spec = loads_x86(text, "drawn.yaml")
    except isrgen.SpecError as exc:
        lines = len(text.splitlines())
        for d in exc.diagnostics:
            assert d.source.file == "drawn.yaml" and 1 <= d.source.line <= lines, d.headline()
        return
    with tempfile.TemporaryDirectory() as work:
        assert tool_failures(spec, Path(work)) == [], text
    report = prove(spec, list(PROVABLE[spec.arch_name]), seed=0)
    assert report.ok, (report.failures, text)
