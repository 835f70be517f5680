"""Optional dependencies: the ``pip install`` extra a command needs, named when it is missing.

A plain ``pip install isrgen`` carries only what ``build``, ``check-spec`` and
``schema`` need; ``prove`` needs ``isrgen[prove]`` (unicorn, pyelftools) and
``verify`` needs ``isrgen[verify]`` (pyelftools).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from isrgen.diagnostics import UsageError

#: the Python modules each extra provides, as imported
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "prove": ("unicorn", "elftools"),
    "verify": ("elftools",),
}


def missing_modules(modules: Sequence[str]) -> list[str]:
    """The modules of ``modules`` that cannot be imported, in order."""
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def require_extra(command: str, extra: str) -> None:
    """Raise :class:`UsageError` naming ``isrgen[extra]`` unless all its modules import."""
    missing = missing_modules(EXTRA_MODULES[extra])
    if missing:
        raise UsageError(
            f"'isrgen {command}' needs the optional dependencies of isrgen[{extra}] "
            f"(missing Python module {', '.join(missing)}): pip install 'isrgen[{extra}]'"
        )
