"""The ``isrgen`` command line: a thin layer over the library."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ._version import __version__
from .backends import discover
from .build import build
from .diagnostics import IsrgenError, SpecError, render
from .loader import load_spec
from .schema_check import schema_text

#: exit status for a spec with errors
EXIT_SPEC_ERROR = 1
#: exit status for a usage problem (missing file, unknown backend, unwritable folder)
EXIT_USAGE = 2

F = TypeVar("F", bound=Callable[..., Any])


def _use_color(stream: Any) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _source(file: str) -> str | None:
    try:
        return Path(file).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def report(exc: IsrgenError) -> int:
    """Print ``exc`` to stderr the way compilers do; return the exit status."""
    color = _use_color(sys.stderr)
    if isinstance(exc, SpecError):
        texts: dict[str, str | None] = {}
        for d in exc.diagnostics:
            if d.source.file not in texts:
                texts[d.source.file] = _source(d.source.file)
            click.echo(render(d, texts[d.source.file], color=color), err=True)
        n = len(exc.diagnostics)
        click.echo(f"{n} error{'s' if n != 1 else ''}", err=True)
        return EXIT_SPEC_ERROR
    prefix = "\x1b[1;31merror:\x1b[0m" if color else "error:"
    click.echo(f"isrgen: {prefix} {exc}", err=True)
    return EXIT_USAGE


def handles_errors(fn: F) -> F:
    """Turn isrgen's errors into messages and exit statuses, never tracebacks."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except IsrgenError as exc:
            raise SystemExit(report(exc)) from None
        except BrokenPipeError:
            # the reader went away (e.g. `| head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(1) from None

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="isrgen")
def main() -> None:
    """Generate interrupt glue (stubs, entry code, tables, frame structs) from a spec."""


@main.command("build")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out-dir",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder to write the outputs to (created if missing).",
)
@click.option(
    "-b",
    "--backend",
    "backends",
    multiple=True,
    help="Backend to run (repeatable); default: the outputs the spec lists.",
)
@handles_errors
def build_cmd(spec: Path, out_dir: Path, backends: tuple[str, ...]) -> None:
    """Generate the outputs of SPEC into a folder."""
    model = load_spec(spec)
    for path in build(model, out_dir, list(backends) or None):
        click.echo(str(path))


@main.command("check-spec")
@click.argument("spec", type=click.Path(path_type=Path))
@handles_errors
def check_spec_cmd(spec: Path) -> None:
    """Validate SPEC and report every problem; writes nothing."""
    model = load_spec(spec)
    click.echo(f"{spec}: ok ({len(model.vectors)} vectors)")


@main.command("schema")
@handles_errors
def schema_cmd() -> None:
    """Print the JSON Schema of the spec format."""
    click.echo(schema_text(), nl=False)


@main.command("backends")
@handles_errors
def backends_cmd() -> None:
    """List the available backends and where each comes from."""
    for name, info in discover().items():
        click.echo(f"{name}\t{info.backend.description}\t[{info.origin}]")


#: exit status of ``verify`` when the kernel breaks a property the spec requires
EXIT_VERIFY_FAILED = 4


@main.command("verify")
@click.argument("kernel", type=click.Path(path_type=Path))
@click.option(
    "-s", "--spec", "spec", type=click.Path(path_type=Path), required=True, help="The spec the glue came from."
)
@handles_errors
def verify_cmd(kernel: Path, spec: Path) -> None:
    """Check a linked KERNEL ELF: generated code executable, no W+X segment, vector
    table, stub alignment/stride, frame struct size (DWARF). Exit 0 only if all hold."""
    from .verify import verify_kernel

    result = verify_kernel(load_spec(spec), kernel)
    for finding in result.findings:
        click.echo(f"{kernel}: error: [{finding.check}] {finding.describe()}", err=True)
    if not result.ok:
        n = len(result.findings)
        click.echo(f"{kernel}: verify failed: {n} finding{'s' if n != 1 else ''}", err=True)
        raise SystemExit(EXIT_VERIFY_FAILED)
    click.echo(f"{kernel}: ok")
    for line in result.checked:
        click.echo(f"  checked: {line}")
