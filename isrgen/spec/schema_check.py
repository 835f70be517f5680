"""Structural validation of a spec against the shipped JSON Schema.

A spec that passes the quick check of :mod:`isrgen.spec.schema_fast` is valid;
otherwise jsonschema finds every problem and this module turns each into a
located :class:`~isrgen.diagnostics.Diagnostic` with a message written for people.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from isrgen.diagnostics import Diagnostic
from isrgen.spec.resolve.outputs import PARTS
from isrgen.spec.schema.merge import core_schema, shared_pipeline_schema
from isrgen.spec.schema_fast import passes_fast_check
from isrgen.spec.suggest import did_you_mean
from isrgen.spec.yamlsource import Locations, Path

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_TYPE_NAMES = {
    "integer": "an integer",
    "string": "a string",
    "boolean": "a boolean (true/false)",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
    "number": "a number",
}


@functools.cache
def spec_schema() -> dict[str, Any]:
    """The JSON Schema of a spec on the shared pipeline: the core's keys
    (:func:`~isrgen.spec.schema.merge.core_schema`) with ``arch`` one of the ISAs on
    that pipeline and the keys each of them adds (:meth:`isrgen.arch.isa.Isa.schema_fragment`)."""
    from isrgen.arch.isa import get_isa, known_isas

    isas = [isa for name in known_isas() if (isa := get_isa(name)) is not None]
    return shared_pipeline_schema(core_schema(), [isa.name for isa in isas], [isa.schema_fragment() for isa in isas])


def full_schema() -> dict[str, Any]:
    """The schema of every spec isrgen reads: the shared pipeline's (:func:`spec_schema`) and, chosen by
    ``arch``, that of each ISA package owning its spec model (``if``/``then``/``else``)."""
    from isrgen.arch.isa import pipelines

    core = spec_schema()
    rest: dict[str, Any] = {k: v for k, v in core.items() if k not in ("$schema", "$id")}
    for pipeline in reversed(pipelines()):
        branch = {k: v for k, v in pipeline.schema().items() if k != "$schema"}
        chosen = {"required": ["arch"], "properties": {"arch": {"const": pipeline.name}}}
        rest = {"if": chosen, "then": branch, "else": rest}
    head: dict[str, Any] = {k: core[k] for k in ("$schema", "$id", "title", "description") if k in core}
    return {**head, **rest}


def schema_text() -> str:
    """The JSON Schema of every spec (:func:`full_schema`), pretty-printed with sorted keys."""
    return json.dumps(full_schema(), indent=2, sort_keys=True) + "\n"


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _message(err: ValidationError) -> tuple[str, bool, Path | None]:
    """(message, whether to point at the key, an override path)."""
    v = err.validator
    inst = err.instance
    if v == "type":
        raw: Any = err.validator_value
        types = raw if isinstance(raw, list) else [raw]
        want = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in types)
        return f"expected {want}, got {_describe(inst)}", False, None
    if v == "enum":
        values: Any = err.validator_value
        choices = ", ".join(str(c) for c in values)
        return f"must be one of: {choices} (got {_describe(inst)}){did_you_mean(inst, values)}", False, None
    if v == "const":
        return f"must be {err.validator_value!r} (got {_describe(inst)})", False, None
    if v == "minimum":
        return f"{inst} is too small (minimum {err.validator_value})", False, None
    if v == "maximum":
        return f"{inst} is too large (maximum {err.validator_value})", False, None
    if v == "pattern":
        return f"{inst!r} is not a valid name here (must match {err.validator_value})", False, None
    if v == "minLength":
        return "must not be empty", False, None
    if v == "minItems":
        return f"needs at least {err.validator_value} item(s)", False, None
    if v == "maxItems":
        return f"takes at most {err.validator_value} item(s)", False, None
    if v == "required":
        required: Any = err.validator_value
        missing = [k for k in required if isinstance(inst, dict) and k not in inst]
        return f"missing required key {', '.join(repr(k) for k in missing)}", False, None
    if v == "anyOf" and len(err.absolute_path) == 2 and err.absolute_path[0] == "outputs":
        return _output_message(inst), False, None
    if v == "oneOf" and "layout" in err.absolute_path:
        return "a layout item is a slot name or a one-key mapping {slot: field_name}", False, None
    if v == "oneOf":
        if isinstance(inst, dict) and "vector" in inst and "range" in inst:
            return "give either 'vector' or 'range', not both", False, None
        return "each vector entry needs 'vector' (a number) or 'range' ([first, last])", False, None
    return err.message, False, None


def _output_message(inst: Any) -> str:
    """Why an ``outputs`` value is neither a file name nor a split (parts -> file names)."""
    split = "a mapping of the parts stubs, table, entry (and optionally exit, syscall) to file names"
    if not isinstance(inst, dict):
        return f"expected a file name or {split} (got {_describe(inst)})"
    unknown = [k for k in inst if k not in PARTS]
    if unknown:
        return f"unknown part {unknown[0]!r}{did_you_mean(unknown[0], PARTS)} (the parts: {', '.join(PARTS)})"
    missing = [k for k in ("stubs", "table", "entry") if k not in inst]
    if missing:
        return f"a split output names a file for every part: missing {', '.join(repr(k) for k in missing)}"
    return f"each part's file is a file name (letters, digits, '_', '.', '+', '-'): {split}"


def _unknown_keys(err: ValidationError, schema: dict[str, Any]) -> list[tuple[str, str]]:
    sub: Any = err.schema
    allowed = sorted(sub.get("properties", {}))
    inst = err.instance if isinstance(err.instance, dict) else {}
    out = []
    for key in inst:
        if key not in allowed:
            hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
            out.append((key, f"unknown key {key!r}{did_you_mean(key, allowed)}{hint}"))
    return out


@functools.cache
def _validator_class() -> Any:
    """Draft 2020-12, except that an integer is an int: JSON Schema accepts 3.0 as an
    integer, but a vector number or an alignment written as 3.0 is a mistake in a spec."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
    )
    return jsonschema.validators.extend(base, type_checker=checker)  # type: ignore[no-untyped-call]


def check_schema(data: Any, locations: Locations) -> list[Diagnostic]:
    """Every way ``data`` departs from the spec schema, located."""
    if passes_fast_check(data):
        return []
    schema = spec_schema()
    validator = _validator_class()(schema)
    diags: list[Diagnostic] = []
    for err in validator.iter_errors(data):
        path: Path = tuple(err.absolute_path)
        sub_schema: Any = err.schema
        if err.validator == "additionalProperties" and sub_schema.get("properties") is not None:
            for key, msg in _unknown_keys(err, schema):
                diags.append(locations.error(path + (key,), msg, at_key=True))
            continue
        if err.validator == "propertyNames":
            # the offending key is the instance of the inner error
            for sub in err.context or []:
                key = str(sub.instance)
                diags.append(locations.error(path + (key,), f"{key!r} is not a valid backend name", at_key=True))
            continue
        message, at_key, override = _message(err)
        diags.append(locations.error(override or path, message, at_key=at_key))
    return diags
