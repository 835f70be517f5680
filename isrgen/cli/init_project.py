"""``isrgen init``: a starting point for a kernel that takes its interrupt glue from isrgen.

:func:`init_project` writes a commented starter spec (or a copy of one of the specs
shipped with isrgen) and the Make and CMake snippets that regenerate the glue from
it.  The files come from the package data under ``isrgen/templates/init`` and
``isrgen/shipped_specs``, so an installed wheel has them too.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import attrs

from isrgen.diagnostics import UsageError
from isrgen.output.fileguard import check_destination
from isrgen.output.files import prepare_output_dir, write_if_changed

#: the spec's file name; the snippets refer to it
SPEC_NAME = "isr.yaml"
#: the build-system snippets written next to the spec
SNIPPETS = ("isrgen.mk", "isrgen.cmake", "isrgen.meson")


def _templates() -> Traversable:
    return resources.files("isrgen.cli").joinpath("templates", "init")


def _shipped() -> Iterator[Traversable]:
    top = resources.files("isrgen").joinpath("shipped_specs")
    for folder in (top, top.joinpath("examples")):
        for item in folder.iterdir():
            if item.is_file() and item.name.endswith(".yaml"):
                yield item


def example_names() -> list[str]:
    """The names ``isrgen init --example`` accepts: every shipped spec, without ``.yaml``."""
    return sorted(item.name.removesuffix(".yaml") for item in _shipped())


def example_text(name: str) -> str:
    """The text of the shipped spec ``name`` (see :func:`example_names`)."""
    for item in _shipped():
        if item.name == f"{name}.yaml":
            return item.read_text("utf-8")
    raise UsageError(f"--example {name!r}: no such example (choose from {', '.join(example_names())})")


@attrs.frozen
class InitFile:
    """One file ``isrgen init`` writes: where, and what."""

    path: Path
    text: str


def plan_init(directory: Path, example: str | None = None) -> list[InitFile]:
    """The files :func:`init_project` would write into ``directory``, spec first."""
    spec = example_text(example) if example else _templates().joinpath(SPEC_NAME).read_text("utf-8")
    files = [InitFile(directory / SPEC_NAME, spec)]
    files += [InitFile(directory / name, _templates().joinpath(name).read_text("utf-8")) for name in SNIPPETS]
    return files


def init_project(directory: Path, example: str | None = None, force: bool = False) -> list[Path]:
    """Write the starter spec (or the shipped spec ``example``) and the build snippets.

    ``directory`` is created if missing.  Unless ``force``, an existing file is a
    :class:`UsageError` and nothing is written.  With ``force`` only regular files
    are replaced: a symbolic link, FIFO, device or folder at any destination is a
    :class:`UsageError` before anything is written.  Each file is replaced
    atomically.  Returns the paths of the starter files (spec first)."""
    planned = plan_init(directory, example)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: exists and is not a folder")
    existing = [str(f.path) for f in planned if f.path.exists() or f.path.is_symlink()]
    if existing and not force:
        verb = "exists" if len(existing) == 1 else "exist"
        raise UsageError(f"{', '.join(existing)}: already {verb} (--force overwrites)")
    for f in planned:
        check_destination(f.path, f.text.encode("utf-8"), "starter file")
    prepare_output_dir(directory)
    for f in planned:
        write_if_changed(f.path, f.text)
    return [f.path for f in planned]
