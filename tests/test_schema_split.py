"""The shared pipeline's schema is the core's keys plus each ISA's fragment, and the two
together say exactly what the single schema said before the split.

The oracle is ``tests/schema_oracle/spec.schema.json``: the schema as one file, kept
as it was when the x86 keys moved into ``isrgen/arch/x86/schema.py``.  A change to
the spec format changes the oracle too, on purpose and in the same commit.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import ROOT

from isrgen.arch.isa import get_isa, known_isas
from isrgen.arch.x86.schema import FRAGMENT, VECTOR_OPTIONS
from isrgen.spec.schema.merge import (
    SchemaFragmentError,
    core_schema,
    merge_fragment,
    shared_pipeline_schema,
)
from isrgen.spec.schema_check import full_schema, schema_text, spec_schema

ORACLE_PATH = ROOT / "tests" / "schema_oracle" / "spec.schema.json"
ORACLE: dict[str, Any] = json.loads(ORACLE_PATH.read_text(encoding="utf-8"))


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (key, *_strings(value))]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []


def _property_paths(node: Any, path: str = "") -> set[str]:
    """``a.b``, ``vectors[].ist``: every key the schema declares, nested ones included."""
    out: set[str] = set()
    if isinstance(node, dict):
        for key, sub in (node.get("properties") or {}).items():
            here = f"{path}.{key}" if path else key
            out |= {here} | _property_paths(sub, here)
        if isinstance(node.get("items"), dict):
            out |= _property_paths(node["items"], f"{path}[]")
    return out


# -- the merged schema is the one before the split ---------------------------------


def test_merged_schema_equals_the_single_schema() -> None:
    assert spec_schema() == ORACLE


def test_schema_command_prints_what_the_single_schema_gave() -> None:
    # `isrgen schema` sorts keys, so the text is the same even where merged keys come later
    head = {k: ORACLE[k] for k in ("$schema", "$id", "title", "description")}
    rest = {k: v for k, v in ORACLE.items() if k not in ("$schema", "$id")}
    node = full_schema()
    while "if" in node:
        node = node["else"]
    assert node == rest
    assert schema_text().startswith("{\n") and json.loads(schema_text()) == full_schema()
    assert all(full_schema()[k] == v for k, v in head.items())


def test_arch_values_come_from_the_registered_isas() -> None:
    shared = [name for name in known_isas() if get_isa(name) is not None]
    assert spec_schema()["properties"]["arch"]["enum"] == shared == ORACLE["properties"]["arch"]["enum"]
    assert "enum" not in core_schema()["properties"]["arch"]


# -- the core names no ISA, the fragment holds the x86 keys -----------------------


def test_core_schema_names_no_isa() -> None:
    words = re.compile(r"x86_64|i386|swapgs")
    assert [s for s in _strings(core_schema()) if words.search(s)] == []


def test_the_x86_keys_live_in_the_fragment() -> None:
    core = _property_paths(core_schema())
    x86_only = {
        "symbols.gates",
        "handler.convention",
        "handler.align_stack",
        "handler.frame_arg",
        "frame.layout",
        "entry.swapgs",
        "entry.endbr64",
        "entry.fsgsbase",
        "entry.exit_loads_cr3",
        "entry.exit_args",
        "entry.data_segments",
        "entry.data_selector",
        "entry.data_selectors",
        "entry.segments_from_ds",
        "simd",
        "stubs.cli",
        "stubs.error_code_filler",
        "syscall",
        "paranoid_gs",
        "irq_stack",
        "table.width",
        "table.contents",
        "debug.cfi",
        "debug.cfi_sections",
        *(f"vectors[].{k}" for k in ("ist", "gate", "dpl", "paranoid", "irq_stack", "simd")),
        *(f"classes.{c}.{k}" for c in ORACLE["properties"]["classes"]["properties"] for k in VECTOR_OPTIONS),
    }
    assert x86_only <= _property_paths(ORACLE)
    assert not core & x86_only
    neutral = {
        "isrgen",
        "arch",
        "symbols.prefix",
        "sections.code",
        "handler.symbol",
        "handler.args",
        "frame.struct",
        "entry.kernel_fault",
        "entry.halt",
        "entry.exit_frame",
        "entry.clear_registers",
        "vectors[].vector",
        "vectors[].range",
        "vectors[].name",
        "vectors[].class",
        "vectors[].handler",
        "vectors[].error_code",
        "classes.irq.handler",
        "outputs",
        "table.align",
        "debug",
    }
    assert neutral <= core
    # together they declare every key of the single schema, and no other
    assert core | _property_paths(FRAGMENT) == _property_paths(ORACLE)


def test_every_x86_isa_hands_the_core_the_fragment() -> None:
    for name in ORACLE["properties"]["arch"]["enum"]:
        isa = get_isa(name)
        assert isa is not None and isa.schema_fragment() == FRAGMENT


# -- the merge ------------------------------------------------------------------------

CORE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "arch": {"description": "Target."},
        "entry": {"type": "object", "properties": {"halt": {"type": "string"}}},
        "vectors": {"type": "array", "items": {"type": "object", "properties": {"vector": {"type": "integer"}}}},
    },
}


def test_merge_adds_properties_at_every_depth_and_leaves_its_inputs_alone() -> None:
    fragment: dict[str, Any] = {
        "properties": {
            "entry": {"properties": {"swap": {"type": "boolean"}}},
            "vectors": {"items": {"properties": {"gate": {"enum": ["interrupt", "trap"]}}}},
            "simd": {"type": "object", "properties": {"mask": {"type": "integer"}}},
        }
    }
    before = json.dumps(CORE), json.dumps(fragment)
    merged = merge_fragment(CORE, fragment)
    assert merged == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "arch": {"description": "Target."},
            "entry": {"type": "object", "properties": {"halt": {"type": "string"}, "swap": {"type": "boolean"}}},
            "vectors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"vector": {"type": "integer"}, "gate": {"enum": ["interrupt", "trap"]}},
                },
            },
            "simd": {"type": "object", "properties": {"mask": {"type": "integer"}}},
        },
    }
    # the core's keys first, each object's added ones after them
    assert list(merged["properties"]) == ["arch", "entry", "vectors", "simd"]
    assert list(merged["properties"]["entry"]["properties"]) == ["halt", "swap"]
    assert (json.dumps(CORE), json.dumps(fragment)) == before
    # the result shares nothing with the fragment: changing one leaves the other
    merged["properties"]["simd"]["properties"]["mask"]["type"] = "string"
    assert fragment["properties"]["simd"]["properties"]["mask"]["type"] == "integer"


@pytest.mark.parametrize(
    ("fragment", "pointer"),
    [
        # a fragment cannot replace a key the core declares ...
        (
            {"properties": {"entry": {"properties": {"halt": {"type": "integer"}}}}},
            "/properties/entry/properties/halt/type",
        ),
        # ... nor change a core object's own keywords
        ({"properties": {"entry": {"additionalProperties": True}}}, "/properties/entry/additionalProperties"),
        ({"required": ["simd"]}, "/required"),
        # ... nor reach item objects the core does not have
        ({"properties": {"entry": {"items": {"properties": {}}}}}, "/properties/entry/items"),
        ({"properties": {"entry": {"properties": []}}}, "/properties/entry/properties"),
    ],
)
def test_merge_refuses_to_change_the_core(fragment: dict[str, Any], pointer: str) -> None:
    with pytest.raises(SchemaFragmentError, match=re.escape(pointer + ":")):
        merge_fragment(CORE, fragment)


def test_shared_schema_fills_arch_and_merges_a_shared_fragment_once() -> None:
    fragment = {"properties": {"simd": {"type": "object"}}}
    schema = shared_pipeline_schema(CORE, ["alpha", "beta"], [fragment, dict(fragment), {}])
    assert schema["properties"]["arch"] == {"description": "Target.", "enum": ["alpha", "beta"]}
    assert schema["properties"]["simd"] == {"type": "object"}
    assert "enum" not in CORE["properties"]["arch"]
    # two families adding the same key is a conflict, not a silent override
    other = {"properties": {"simd": {"type": "array"}}}
    with pytest.raises(SchemaFragmentError, match="/properties/simd/type"):
        shared_pipeline_schema(CORE, ["alpha"], [fragment, other])
