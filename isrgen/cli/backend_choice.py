"""``-b/--backend``: a :class:`click.Choice` of the backends the registry offers.

The names are isrgen's built-in backends followed by every ``isrgen.backends`` entry
point (their names only: no plugin is imported to list it), so ``--help``, shell
completion and the error for a misspelt name all show what is installed.  The entry
points are scanned once, the first time the list is needed: a build naming a built-in
backend (or none) does not pay for the scan.
"""

from __future__ import annotations

import functools
from typing import Any

import click

from isrgen.backends import ENTRY_POINT_GROUP, builtin_names
from isrgen.spec.suggest import did_you_mean


@functools.cache
def backend_names() -> tuple[str, ...]:
    """Built-in backends in listing order, then the plugins' entry-point names, sorted."""
    from importlib.metadata import entry_points

    plugins = sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)} - set(builtin_names()))
    return (*builtin_names(), *plugins)


class BackendChoice(click.Choice):  # type: ignore[type-arg]
    """The backend names, read from the registry when first needed."""

    name = "backend"

    def __init__(self) -> None:
        super().__init__((), case_sensitive=True)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        """Every available backend's name."""
        return backend_names()

    @choices.setter
    def choices(self, value: Any) -> None:
        """The names come from the registry; what click's constructor passes is ignored."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in builtin_names():
            return value
        names = self.choices
        if value in names:
            return value
        self.fail(
            f"unknown backend {value!r}{did_you_mean(str(value), names)} (available: {', '.join(names)})", param, ctx
        )
