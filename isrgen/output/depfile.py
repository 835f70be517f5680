"""Dependency information for build systems: Make-syntax depfiles (as ``gcc -MD -MP``
writes them) and cargo ``rerun-if-changed`` lines.

One rule names every output as a target and every input as a prerequisite;
each input also gets an empty rule of its own (``-MP``) so that deleting or
renaming it does not break the build.  GNU make, Ninja (and so CMake's
``DEPFILE`` and Meson's ``depfile``) all read this format.  Ninja demands that
the first target is the first output the build declared for the command: the
targets are written in the order the caller gives them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from isrgen.diagnostics import UsageError
from isrgen.output.fileguard import check_destination
from isrgen.output.files import prepare_output_dir, write_if_changed

if TYPE_CHECKING:
    from isrgen.output.build import PlannedOutput

#: characters a path cannot contain in a depfile at all
_UNREPRESENTABLE = ("\n", "\r", "\0")


def escape_path(path: str) -> str:
    """``path`` spelled for a Make rule: ``\\`` before space, ``#`` and ``:``, ``$$`` for ``$``.

    Backslashes that precede an escaped space or ``#`` are doubled, as gcc does, so that
    they stay literal.  A path with a newline cannot be written: :class:`UsageError`.
    """
    if any(c in path for c in _UNREPRESENTABLE):
        raise UsageError(f"{path!r}: a path with a line break cannot be written to a depfile")
    out: list[str] = []
    pending_backslashes = 0
    for ch in path:
        if ch == "\\":
            pending_backslashes += 1
            continue
        if ch in " #":
            out.append("\\" * (2 * pending_backslashes) + "\\" + ch)
        else:
            out.append("\\" * pending_backslashes)
            if ch == "$":
                out.append("$$")
            elif ch == ":":
                out.append("\\:")
            else:
                out.append(ch)
        pending_backslashes = 0
    out.append("\\" * pending_backslashes)
    return "".join(out)


def format_depfile(targets: Sequence[str], prerequisites: Sequence[str]) -> str:
    """The depfile text: ``targets: prerequisites`` plus one empty rule per prerequisite."""
    if not targets:
        raise UsageError("a depfile needs at least one target")
    prereqs = list(dict.fromkeys(prerequisites))
    head = " ".join(escape_path(t) for t in targets) + ":"
    lines = [head + "".join(f" \\\n {escape_path(p)}" for p in prereqs)]
    lines.extend(f"\n{escape_path(p)}:" for p in prereqs)
    return "\n".join(lines) + "\n"


def write_depfile(path: Path, text: str) -> bool:
    """Write the depfile ``text`` (:func:`format_depfile`) to ``path`` (atomically, only
    when it changed); returns whether written."""
    prepare_output_dir(path.parent)
    return write_if_changed(path, text)


def check_build_paths(planned: Sequence[PlannedOutput], inputs: Sequence[str], depfile: Path | None) -> str | None:
    """Refuse a build that would overwrite its own inputs, write an output over a folder,
    or write a depfile over an output, an input or a folder, before anything is written;
    returns the depfile's text (None without one)."""

    def same(a: Path, b: Path) -> bool:
        return os.path.abspath(a) == os.path.abspath(b) or (a.exists() and b.exists() and os.path.samefile(a, b))

    for p in planned:
        if p.path.is_dir():
            raise UsageError(f"{p.path}: is a directory, cannot write output there")
        for src in inputs:
            if same(p.path, Path(src)):
                raise UsageError(f"{p.path}: the {p.backend} output would overwrite the spec {src}")
    if depfile is None:
        return None
    if depfile.is_dir() or str(depfile) in ("", "."):
        raise UsageError(f"--depfile {depfile}: is a directory")
    for other in [*(p.path for p in planned), *(Path(s) for s in inputs)]:
        if same(depfile, other):
            raise UsageError(f"--depfile {depfile}: would overwrite {other}")
    for p in planned:
        check_destination(p.path, p.content.encode("utf-8", "surrogateescape"), f"{p.backend} output")
    text = format_depfile([str(p.path) for p in planned], inputs)
    check_destination(depfile, text.encode("utf-8", "surrogateescape"), "depfile")
    return text


def cargo_rerun_lines(inputs: Sequence[str]) -> list[str]:
    """``cargo:rerun-if-changed=PATH`` for each input, for a ``build.rs`` to print."""
    for p in inputs:
        if any(c in p for c in _UNREPRESENTABLE):
            raise UsageError(f"{p!r}: a path with a line break cannot be given to cargo")
    return [f"cargo:rerun-if-changed={p}" for p in dict.fromkeys(inputs)]
