"""Golden files for the default spec.

The generated text of every output the default spec lists must equal the file
under tests/golden/x86_64/.  After an intended change run
``python3 -m pytest tests/test_golden.py --update-golden`` and review the diff;
the files are never rewritten silently.
"""

from __future__ import annotations

import difflib

import pytest
from conftest import DEFAULT_SPEC, GOLDEN

import isrgen


def _outputs() -> list[isrgen.build.RenderedOutput]:  # type: ignore[name-defined]
    return isrgen.render_outputs(isrgen.load_spec(DEFAULT_SPEC))


@pytest.mark.parametrize("output", _outputs(), ids=lambda o: o.filename)
def test_golden(output, update_golden: bool) -> None:  # type: ignore[no-untyped-def]
    golden = GOLDEN / "x86_64" / output.filename
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(output.content)
        return
    assert golden.is_file(), f"no golden file {golden}; run pytest --update-golden and review it"
    expected = golden.read_text()
    if expected != output.content:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), output.content.splitlines(True), str(golden), "generated", n=2
            )
        )
        pytest.fail(f"{output.filename} differs from its golden file:\n{diff[:6000]}")
