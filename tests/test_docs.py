"""The documentation site builds from the repository with Sphinx, warnings as errors;
its generated pages (spec reference, frame diagrams, CLI help) come from isrgen itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT, SPECS, isrgen_cmd, require_module, run

from isrgen.spec.schema_check import spec_schema


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    require_module("sphinx")
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"), str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pages = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    for page in ("index", "getting-started", "frames", "build-systems", "debugging", "proof", "dropin", "cli", "api"):
        assert f"{page}.html" in pages, page
    for backend in ("gas", "nasm", "rust", "c", "gdb"):
        assert f"backends/{backend}.html" in pages, backend
    # the spec reference lists every key of the schema, nested ones included
    reference = (out / "_generated" / "spec-reference.html").read_text()
    for key in spec_schema()["properties"]:
        assert f">{key}<" in reference, key
    assert ">vectors[].ist<" in reference and ">syscall.user_cs<" in reference
    # the frame diagrams are the layout command's SVGs
    for arch in ("x86_64", "i386"):
        svg = (out / "_images" / f"frame-{arch}.svg").read_text()
        assert svg.startswith("<?xml") and "<svg" in svg and f"({arch})" in svg
    api = (out / "api.html").read_text()
    for name in ("load_spec", "compute_layout", "layout_report", "init_project"):
        assert name in api, name
    assert "isrgen layout" in (out / "cli.html").read_text()
    # a drop-in guide per shipped example, linked from the overview, with its frame
    # diagram as `isrgen layout --format svg` draws it today and the frame table
    overview = (out / "dropin.html").read_text()
    for spec in sorted((SPECS / "examples").glob("*.yaml")):
        guide = out / "dropin" / f"{spec.stem}.html"
        assert guide.is_file(), spec.stem
        assert f'href="dropin/{spec.stem}.html"' in overview, spec.stem
        html = guide.read_text()
        for section in ("What goes away", "What the kernel still provides", "Build", "The frame"):
            assert section in html, (spec.stem, section)
        assert f'--example</span> <span class="pre">{spec.stem}</span>' in html  # isrgen init --example NAME
        svg = run(isrgen_cmd("layout", str(spec), "--format", "svg")).stdout
        assert (out / "_images" / f"{spec.stem}.svg").read_text() == svg, spec.stem
        assert f'src="../_images/{spec.stem}.svg"' in html
        assert "stack at the call" in html and "offset" in html
