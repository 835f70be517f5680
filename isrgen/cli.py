"""The ``isrgen`` command line: a thin layer over the library."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ._version import __version__
from .backends import discover
from .build import input_files, outputs_current, plan_outputs, render_outputs, stale_outputs, write_outputs
from .depfile import cargo_rerun_lines, check_build_paths, write_depfile
from .diagnostics import IsrgenError, SpecError, UsageError, render
from .fileguard import MAX_SPEC_BYTES, read_regular_file
from .loader import load_spec
from .output import prepare_output_dir
from .schema_check import schema_text

#: exit status for a spec with errors
EXIT_SPEC_ERROR = 1
#: exit status for a usage problem (missing file, unknown backend, unwritable folder)
EXIT_USAGE = 2
#: exit status of ``build --check`` when an output is missing or out of date
EXIT_STALE = 3
#: exit status when standard output is closed early (a shell's 128 + SIGPIPE)
EXIT_BROKEN_PIPE = 141

F = TypeVar("F", bound=Callable[..., Any])


def _use_color(stream: Any) -> bool:
    # https://no-color.org: any non-empty NO_COLOR turns colour off
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _source(file: str) -> str | None:
    try:
        return read_regular_file(Path(file), "spec file", MAX_SPEC_BYTES).decode("utf-8")
    except (IsrgenError, UnicodeDecodeError):
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


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _echo_path(text: str) -> None:
    """Print a path (or a line holding one) as the bytes it was given: a path need not be UTF-8."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape") + b"\n")
    sys.stdout.buffer.flush()


def handles_errors(fn: F) -> F:
    """Turn isrgen's errors into messages and exit statuses, never tracebacks."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except IsrgenError as exc:
            raise SystemExit(report(exc)) from None
        except BrokenPipeError:
            # the reader went away (e.g. `| head`): stop quietly, with the status a shell
            # gives a command that SIGPIPE ended
            _silence_stdout()
            raise SystemExit(EXIT_BROKEN_PIPE) from None
        except OSError as exc:  # e.g. standard output on a full disk
            where = f" {exc.filename}" if exc.filename else ""
            raise SystemExit(report(UsageError(f"cannot read or write{where}: {exc.strerror or exc}"))) from None

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
    required=True,
    help="Folder to write the outputs to (created if missing); '-' writes a single output to stdout.",
)
@click.option(
    "-b",
    "--backend",
    "backends",
    multiple=True,
    help="Backend to run (repeatable); default: the outputs the spec lists.",
)
@click.option(
    "--depfile",
    type=click.Path(path_type=Path),
    help="Also write a Make-syntax dependency file (outputs: inputs, plus -MP style phony rules).",
)
@click.option(
    "--check",
    is_flag=True,
    help=f"Write nothing; print a diff and exit {EXIT_STALE} if any output is missing or out of date.",
)
@click.option("--list-outputs", is_flag=True, help="Print the files a build would write, one per line; write nothing.")
@click.option("--cargo", is_flag=True, help="Print cargo:rerun-if-changed= lines for every input (for build.rs).")
@handles_errors
def build_cmd(
    spec: Path,
    out_dir: str,
    backends: tuple[str, ...],
    depfile: Path | None,
    check: bool,
    list_outputs: bool,
    cargo: bool,
) -> None:
    """Generate the outputs of SPEC into a folder (or to stdout with -o -)."""
    _check_build_flags(out_dir, depfile, check, list_outputs, cargo)
    if not out_dir:
        raise UsageError("-o '': an empty output folder name (use -o . for the current folder)")
    model = load_spec(spec)
    if out_dir == "-":
        rendered = render_outputs(model, list(backends) or None)
        if len(rendered) != 1:
            names = ", ".join(r.backend for r in rendered) or "none"
            raise UsageError(f"-o - needs exactly one output, this build has {len(rendered)} ({names}): use -b NAME")
        click.echo(rendered[0].content, nl=False)
        return
    planned = plan_outputs(model, out_dir, list(backends) or None)
    if list_outputs:
        for p in planned:
            _echo_path(str(p.path))
        return
    if check:
        stale = stale_outputs(planned)
        try:
            for s in stale:
                click.echo(s.diff, nl=False)
        except BrokenPipeError:
            _silence_stdout()  # the verdict below still holds
        if stale:
            click.echo(f"isrgen: {len(stale)} of {len(planned)} outputs out of date (run without --check)", err=True)
            raise SystemExit(EXIT_STALE)
        return
    inputs = input_files(model)
    # everything that can fail is checked before the first file is written
    depfile_text = check_build_paths(planned, inputs, depfile)
    cargo_lines = cargo_rerun_lines(inputs) if cargo else []
    if not outputs_current(planned):  # a build with nothing to change needs no writable folder
        prepare_output_dir(Path(out_dir))
        write_outputs(planned)
    if depfile is not None and depfile_text is not None:
        write_depfile(depfile, depfile_text)
    for line in cargo_lines if cargo else [str(p.path) for p in planned]:
        _echo_path(line)


def _check_build_flags(out_dir: str, depfile: Path | None, check: bool, list_outputs: bool, cargo: bool) -> None:
    modes = [flag for flag, on in (("--check", check), ("--list-outputs", list_outputs)) if on]
    if len(modes) > 1:
        raise UsageError("--check and --list-outputs cannot be combined")
    extras = [flag for flag, on in (("--depfile", depfile is not None), ("--cargo", cargo)) if on]
    if modes and extras:
        raise UsageError(f"{modes[0]} writes nothing and cannot be combined with {', '.join(extras)}")
    if out_dir == "-" and (modes or extras):
        raise UsageError(f"-o - cannot be combined with {', '.join(modes + extras)}")


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
@click.option("--idt", "idt", metavar="SYMBOL", help="Also check this statically initialised IDT image, gate by gate.")
@handles_errors
def verify_cmd(kernel: Path, spec: Path, idt: str | None) -> None:
    """Check a linked KERNEL ELF: generated code executable, no W+X segment, vector
    table, stub alignment/stride, frame struct size (DWARF), and with --idt a static
    IDT image (offset, type, DPL, IST per gate). Exit 0 only if all hold."""
    from .verify import verify_kernel

    result = verify_kernel(load_spec(spec), kernel, idt)
    for finding in result.findings:
        click.echo(f"{kernel}: error: [{finding.check}] {finding.describe()}", err=True)
    if not result.ok:
        n = len(result.findings)
        click.echo(f"{kernel}: verify failed: {n} finding{'s' if n != 1 else ''}", err=True)
        raise SystemExit(EXIT_VERIFY_FAILED)
    click.echo(f"{kernel}: ok")
    for line in result.checked:
        click.echo(f"  checked: {line}")


#: exit status of ``prove`` when the generated glue contradicts the model
EXIT_PROOF_FAILED = 5


@main.command("prove")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option(
    "-b",
    "--backend",
    "backends",
    multiple=True,
    help="Backend to prove (repeatable: gas, nasm, rust, c); default: the provable outputs the spec lists.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random register values.")
@handles_errors
def prove_cmd(spec: Path, backends: tuple[str, ...], seed: int) -> None:
    """Prove SPEC's generated glue with the real tools: C/Rust struct offsets, the
    machine code under emulation for every vector, and identical bytes across backends."""
    from .prove import prove

    report = prove(load_spec(spec), list(backends) or None, seed=seed)
    click.echo(report.table())
    for failure in report.failures:
        click.echo(f"{spec}: error: {failure}", err=True)
    if not report.ok:
        raise SystemExit(EXIT_PROOF_FAILED)


def run() -> None:
    """The ``isrgen`` console script (and ``python -m isrgen``): :func:`main`, then exit.

    The process ends right after, so the garbage collector is kept out of it: with
    every object frozen, the interpreter's final collections have nothing to scan,
    which saves about as much time as loading a spec (issue #10).  Memory is not
    at stake in a process this short; the rare reference cycle is freed at exit.
    """
    gc.disable()
    try:
        main(prog_name="isrgen")
    finally:
        gc.freeze()
