"""The JSON Schema an editor uses (``isrgen schema``, e.g. through a yaml-language-server
modeline): it accepts every shipped spec and flags a typo, as an editor would show it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import SPECS, TEST_SPECS, isrgen_cmd, run
from ruamel.yaml import YAML

SHIPPED = sorted([*SPECS.rglob("*.yaml"), *TEST_SPECS.glob("*.yaml")])


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(run(isrgen_cmd("schema")).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _load(text: str) -> Any:
    return YAML(typ="safe").load(text)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(SPECS.parent).as_posix())
def test_schema_accepts_the_shipped_specs(validator: Any, path: Path) -> None:
    assert [e.message for e in validator.iter_errors(_load(path.read_text()))] == []


def test_schema_flags_a_typo_where_an_editor_shows_it(validator: Any) -> None:
    text = (SPECS / "x86_64.yaml").read_text().replace("  style: dense", "  stlye: dense")
    errors = list(validator.iter_errors(_load(text)))
    assert len(errors) == 1
    assert list(errors[0].absolute_path) == ["stubs"] and "stlye" in errors[0].message


def test_a_modeline_is_a_comment_the_loader_ignores(tmp_path: Path) -> None:
    spec = tmp_path / "isr.yaml"
    modeline = "# yaml-language-server: $schema=isrgen.schema.json\n"
    spec.write_text(modeline + (SPECS / "x86_64.yaml").read_text())
    (tmp_path / "isrgen.schema.json").write_text(run(isrgen_cmd("schema")).stdout)
    run(isrgen_cmd("check-spec", str(spec)))
