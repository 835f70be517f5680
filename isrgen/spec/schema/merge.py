"""The schema of the shared pipeline: the core's keys joined with those of each ISA on it.

``spec.schema.json`` (:func:`core_schema`) declares what every ISA on the shared
pipeline (the ISAs whose specs resolve into the core spec model) has, by what a key
means rather than by which ISA uses it today:

- the format (``isrgen``, ``$schema``) and ``arch``, whose values are the names of
  the ISAs on the pipeline (filled in by :func:`shared_pipeline_schema`, never
  written here);
- the generated names (``symbols``), where code and table go (``sections``), the
  outputs (``outputs``), the handler and its arguments by role (``handler``), the
  frame struct's name, its synthetic error code, which classes store the vector in
  the error-code slot and the names of the fields the CPU saves (``frame``;
  an ISA whose CPU saves nothing has no such fields);
- the vectors and class defaults: number or range, name, class, handler,
  ``kernel_handler`` (dispatch on the interrupted privilege level), ``error_code``
  and its override; the stub shape (``stubs.style``) and the table's alignment;
- the entry options that only say what the glue does with the frame:
  ``clear_registers`` (zero the saved registers), ``kernel_fault`` and ``halt``
  (what follows a kernel handler), ``exit_frame`` (how the exit routine finds
  the frame).

What needs one ISA's hardware to mean anything, an ISA package declares in its
schema fragment (:meth:`isrgen.arch.isa.Isa.schema_fragment`): interrupt gates and
their stacks, segment registers and segment bases, SIMD save areas, a system-call
instruction's entry, register names in the frame layout, calling conventions, the
exit's arguments (one names a page-table register), the table's entry width and
format, call-frame information.  Some core descriptions give an ISA's register as
an example; the key still means the same on every ISA.

:func:`merge_fragment` adds a fragment to the core: it may add keys to the objects
it reaches through ``properties`` and ``items`` (a vector entry, a class's
defaults), never change or remove one.  Added keys follow the core's in each
object; the order carries no meaning (``isrgen schema`` prints sorted keys).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

#: the keywords a fragment may descend through into a node the core declares
_DESCENT = ("properties", "items")


class SchemaFragmentError(ValueError):
    """A schema fragment would change what the core declares instead of adding to it."""


def core_schema() -> dict[str, Any]:
    """The core's schema as shipped (``spec.schema.json``): the keys every ISA on the shared pipeline has."""
    text = resources.files(__package__).joinpath("spec.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def merge_fragment(core: Mapping[str, Any], fragment: Mapping[str, Any]) -> dict[str, Any]:
    """``core`` with the keys of ``fragment`` added (neither argument changes).

    Where both have a node, the fragment may only hold ``properties`` and ``items``:
    a property the core lacks is added whole, one it has is merged the same way.
    Anything else the fragment says about a core node raises :class:`SchemaFragmentError`
    naming its JSON pointer.
    """
    merged = copy.deepcopy(dict(core))
    _merge_node(merged, fragment, "")
    return merged


def _merge_node(node: dict[str, Any], fragment: Mapping[str, Any], pointer: str) -> None:
    for keyword, addition in fragment.items():
        here = f"{pointer}/{keyword}"
        if keyword not in _DESCENT:
            raise SchemaFragmentError(f"{here}: a fragment may only add properties to a core object")
        if not isinstance(addition, Mapping):
            raise SchemaFragmentError(f"{here}: expected a mapping")
        if keyword == "items":
            items = node.get("items")
            if not isinstance(items, dict):
                raise SchemaFragmentError(f"{here}: the core declares no item object here")
            _merge_node(items, addition, here)
            continue
        properties = node.setdefault("properties", {})
        for name, sub in addition.items():
            if name in properties:
                _merge_node(properties[name], sub, f"{here}/{name}")
            else:
                properties[name] = copy.deepcopy(sub)


def shared_pipeline_schema(
    core: Mapping[str, Any], arch_names: Iterable[str], fragments: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """The schema of a spec on the shared pipeline: ``core``, with ``arch`` one of
    ``arch_names`` and every distinct fragment merged in, in order.  The ISAs of one
    package (one family) share a fragment, so the schema accepts a family's key for
    each of its ISAs; whether the spec's own ISA honours it is the resolver's to say."""
    schema = copy.deepcopy(dict(core))
    schema["properties"]["arch"]["enum"] = list(arch_names)
    merged: list[Mapping[str, Any]] = []
    for fragment in fragments:
        if fragment and not any(fragment == done for done in merged):
            schema = merge_fragment(schema, fragment)
            merged.append(fragment)
    return schema
