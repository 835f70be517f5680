"""The CLI's output options, shared by the ``isrgen`` group and its commands:
``--color``, ``--error-format``, ``-q/--quiet`` and ``-v/--verbose``.

Given before the command (``isrgen -q check-spec ...``) or after it (``isrgen
check-spec -q ...``); the command's own wins.  The values live in the click
context, so nothing process-global changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import click

from isrgen.cli.diag_format import ErrorFormat

F = TypeVar("F", bound=Callable[..., Any])

_META_KEY = "isrgen.output_settings"


@attrs.define
class OutputSettings:
    """How the CLI prints: colour mode, diagnostic format, verbosity."""

    color: str = "auto"
    error_format: ErrorFormat = ErrorFormat.GCC
    quiet: bool = False
    verbose: bool = False


def settings() -> OutputSettings:
    """The output settings of the running command (the defaults outside one)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return OutputSettings()
    found = ctx.meta.get(_META_KEY)
    if not isinstance(found, OutputSettings):
        found = ctx.meta[_META_KEY] = OutputSettings()
    return found


def use_color(mode: str, stream: Any, environ: dict[str, str] | None = None) -> bool:
    """Whether to colour ``stream``: ``always``/``never`` decide; ``auto`` follows
    NO_COLOR (https://no-color.org: non-empty turns colour off), then FORCE_COLOR
    (non-empty turns it on), then TERM=dumb (off), then whether ``stream`` is a terminal."""
    env = os.environ if environ is None else environ
    if mode != "auto":
        return mode == "always"
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    return bool(hasattr(stream, "isatty") and stream.isatty())


def _store(field: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None or value is False:
            return  # not given here: keep what the group (or the default) said
        current = ctx.meta.get(_META_KEY)
        if not isinstance(current, OutputSettings):
            current = ctx.meta[_META_KEY] = OutputSettings()
        if field == "error_format":
            value = ErrorFormat(value)
        setattr(current, field, value)
        if field == "quiet":
            current.verbose = False
        elif field == "verbose":
            current.quiet = False

    return callback


def output_options(fn: F) -> F:
    """Add ``--color``, ``--error-format``, ``-q`` and ``-v`` to a click command or group."""
    options = [
        click.option(
            "--color",
            type=click.Choice(["auto", "always", "never"]),
            default=None,
            expose_value=False,
            callback=_store("color"),
            help="Colour diagnostics: auto (default; a terminal, unless NO_COLOR or TERM=dumb; FORCE_COLOR forces), "
            "always, never.",
        ),
        click.option(
            "--error-format",
            type=click.Choice([f.value for f in ErrorFormat]),
            default=None,
            expose_value=False,
            callback=_store("error_format"),
            help="Diagnostics as gcc (default: file:line:col with the source line), msvc (file(line,col)) "
            "or github (Actions annotations).",
        ),
        click.option(
            "-q", "--quiet", is_flag=True, default=None, expose_value=False, callback=_store("quiet"),
            help="Print only errors (and what a command was asked to print).",
        ),
        click.option(
            "-v", "--verbose", is_flag=True, default=None, expose_value=False, callback=_store("verbose"),
            help="Say more: per file details, outputs written and unchanged.",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        fn = option(fn)
    return fn
