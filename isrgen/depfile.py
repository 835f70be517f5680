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

from collections.abc import Sequence
from pathlib import Path

from .diagnostics import UsageError
from .output import prepare_output_dir, write_if_changed

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


def write_depfile(path: Path, targets: Sequence[str], prerequisites: Sequence[str]) -> bool:
    """Write the depfile to ``path`` (atomically, only when it changed); returns whether written."""
    text = format_depfile(targets, prerequisites)
    prepare_output_dir(path.parent)
    return write_if_changed(path, text)


def cargo_rerun_lines(inputs: Sequence[str]) -> list[str]:
    """``cargo:rerun-if-changed=PATH`` for each input, for a ``build.rs`` to print."""
    for p in inputs:
        if any(c in p for c in _UNREPRESENTABLE):
            raise UsageError(f"{p!r}: a path with a line break cannot be given to cargo")
    return [f"cargo:rerun-if-changed={p}" for p in dict.fromkeys(inputs)]
