"""A quick yes/no schema check for the common case: a spec without mistakes.

jsonschema reports every problem with its path, which is what a spec with
mistakes needs, but importing it costs about 30 ms, more than the rest of a
cold ``isrgen build`` spends on the spec.  A valid spec is therefore
first checked by a validator that fastjsonschema generated from the same schema
ahead of time (``isrgen/spec/schema/fast_validator.py``, kept in step with
:func:`fast_validator_source` by a test; it runs without fastjsonschema).  Only when that check fails does
:mod:`isrgen.spec.schema_check` ask jsonschema for the located errors.

The quick check may reject more than jsonschema, never less: it only says yes
when jsonschema would too.  Two differences are covered here: fastjsonschema
counts ``3.0`` as an integer (isrgen does not), so data with any float goes to
jsonschema; and its patterns use ``\\Z`` where Python's ``$`` also matches before
a final newline, which only makes it stricter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_HEADER = (
    "# Generated from isrgen/spec/schema/spec.schema.json by fastjsonschema; do not edit.\n"
    "# Regenerate with: python3 scripts/regen_fast_validator.py\n"
    "# ruff: noqa\n"
)


#: the generated code's only use of fastjsonschema at run time, replaced by two local
#: classes: fastjsonschema is then needed to regenerate the validator, not to run it
_FASTJSONSCHEMA_IMPORT = "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException\n"
_OWN_EXCEPTIONS = (
    "\n\nclass JsonSchemaValueException(ValueError):\n"
    '    """The data departs from the schema."""\n'
    "\n\nclass JsonSchemaValuesException(ValueError):\n"
    '    """Several departures (only raised without fast_fail, which isrgen does not use)."""\n'
)


def _contains_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_contains_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_float(v) for v in value)
    return False


def passes_fast_check(data: Any) -> bool:
    """True only if ``data`` is valid against the spec schema; False means "ask jsonschema"."""
    if _contains_float(data):
        return False
    from isrgen.spec.schema import fast_validator

    validate: Callable[[Any], object] = fast_validator.validate
    try:
        validate(data)
    except Exception:  # a mismatch, or data the generated code did not foresee: jsonschema decides
        return False
    return True


def _for_fastjsonschema(node: Any) -> Any:
    """The schema without its prose, and with ``const: v`` written ``enum: [v]`` (same
    meaning; fastjsonschema 2.22 cannot generate ``const`` without detailed exceptions)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("description", "title") and isinstance(value, str):
                continue
            if key == "const":
                out["enum"] = [value]
            else:
                out[key] = _for_fastjsonschema(value)
        return out
    if isinstance(node, list):
        return [_for_fastjsonschema(v) for v in node]
    return node


def fast_validator_source() -> str:
    """The source of ``isrgen/spec/schema/fast_validator.py`` for the shipped schema.

    The schema uses no keyword that differs between draft 7 (the newest
    fastjsonschema knows) and draft 2020-12 (what jsonschema checks against).
    """
    import fastjsonschema

    from isrgen.spec.schema_check import spec_schema

    schema = _for_fastjsonschema(json.loads(json.dumps(spec_schema())))
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    code: str = fastjsonschema.compile_to_code(schema, use_default=False, detailed_exceptions=False)
    entry = next(line for line in code.splitlines() if line.startswith("def validate_"))
    name = entry[len("def ") : entry.index("(")]
    if _FASTJSONSCHEMA_IMPORT not in code:
        raise RuntimeError(f"fastjsonschema {fastjsonschema.VERSION} generated code that imports it differently")
    code = code.replace(_FASTJSONSCHEMA_IMPORT, _OWN_EXCEPTIONS, 1)
    return f"{_HEADER}\n{code.rstrip()}\n\n\nvalidate = {name}\n"
