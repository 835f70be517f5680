"""Regenerate isrgen/spec/schema/fast_validator.py from isrgen/spec/schema/spec.schema.json.

Run after changing the schema; tests/test_schema_fast.py fails until the two agree.
"""

from pathlib import Path

from isrgen.spec.schema_fast import fast_validator_source

target = Path(__file__).resolve().parent.parent / "isrgen" / "spec" / "schema" / "fast_validator.py"
target.write_text(fast_validator_source(), encoding="utf-8")
print(f"wrote {target}")
