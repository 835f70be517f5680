"""Property tests: drawn specs round-trip through YAML and the schema, and their generated
glue is proven with the real tools (C offsets, machine code under unicorn, backends agree).

The example count is small by default; set ISRGEN_PROOF_EXAMPLES for a longer run.
"""

from __future__ import annotations

import os

import jsonschema
from conftest import require_module, require_tool
from hypothesis import HealthCheck, given, settings
from ruamel.yaml import YAML

import isrgen
from isrgen.dump import dump_spec
from isrgen.layout import FieldKind
from isrgen.model import Spec
from isrgen.prove import prove
from isrgen.schema_check import spec_schema
from isrgen.testing import specs

EXAMPLES = int(os.environ.get("ISRGEN_PROOF_EXAMPLES", "12"))
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=_QUIET)


@_settings(max(50, EXAMPLES))
@given(specs(backends=("gas", "c", "nasm", "rust")))
def test_drawn_specs_validate_against_the_schema_and_load_back_equal(spec: Spec) -> None:
    text = dump_spec(spec)
    jsonschema.validate(YAML(typ="safe", pure=True).load(text), spec_schema())
    assert isrgen.loads_spec(text, "drawn.yaml") == spec


@_settings(max(50, EXAMPLES))
@given(specs())
def test_layouts_of_drawn_specs_are_contiguous_and_aligned_at_the_call(spec: Spec) -> None:
    layout = isrgen.compute_layout(spec)
    assert [f.offset for f in layout.fields] == [
        sum(g.size for g in layout.fields[:i]) for i in range(len(layout.fields))
    ]
    assert (layout.size + layout.call_adjust) % 16 == 0
    assert [f.name for f in layout.fields if f.kind is FieldKind.CPU] == ["rip", "cs", "rflags", "rsp", "ss"]


@_settings(EXAMPLES)
@given(specs(backends=("gas", "c"), max_vectors=48))
def test_drawn_specs_are_proven_with_gas_and_c(spec: Spec) -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    report = prove(spec, ["gas", "c"])
    assert report.ok, "\n".join(report.failures) + "\n" + dump_spec(spec)


@_settings(max(2, EXAMPLES // 4))
@given(specs(backends=("gas", "nasm", "rust"), max_vectors=16))
def test_drawn_specs_are_proven_across_backends(spec: Spec) -> None:
    require_tool("as", "ld", "nasm", "rustc")
    require_module("unicorn")
    report = prove(spec, ["gas", "nasm", "rust"])
    assert report.ok, "\n".join(report.failures) + "\n" + dump_spec(spec)
    assert [r.outcome for r in report.rows] == ["skipped", "proven", "proven", "proven"]
