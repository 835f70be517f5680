"""Regenerate isrgen/spec/schema/fast_validator.py from the merged schema of the shared pipeline.

That schema is isrgen/spec/schema/spec.schema.json (the core's keys) with the schema fragment of
each ISA on the shared pipeline merged in (Isa.schema_fragment, e.g. isrgen/arch/x86/schema.py).
Run after changing either; tests/test_schema_fast.py fails until the validator agrees.
"""

from pathlib import Path

from isrgen.spec.schema_fast import fast_validator_source

target = Path(__file__).resolve().parent.parent / "isrgen" / "spec" / "schema" / "fast_validator.py"
target.write_text(fast_validator_source(), encoding="utf-8")
print(f"wrote {target}")
