"""The ``isrgen`` command line: a thin layer over the library."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from isrgen import load_spec
from isrgen._version import __version__
from isrgen.backends import discover
from isrgen.cli.backend_choice import BackendChoice
from isrgen.cli.diag_format import ErrorFormat, format_diagnostic, github_data
from isrgen.cli.extras import require_extra
from isrgen.cli.options import output_options, settings, use_color
from isrgen.cli.results_json import backends_json, prove_json, verify_json
from isrgen.diagnostics import IsrgenError, SpecError, UsageError
from isrgen.model.package_spec import PackageSpec
from isrgen.model.spec import Spec
from isrgen.output.build import input_files, outputs_current, plan_outputs, render_outputs, stale_outputs, write_outputs
from isrgen.output.depfile import cargo_rerun_lines, check_build_paths, write_depfile
from isrgen.output.files import prepare_output_dir
from isrgen.spec.loader import describe_spec
from isrgen.spec.regular_file import MAX_SPEC_BYTES, read_regular_file
from isrgen.spec.schema_check import schema_text

#: exit status for a spec with errors
EXIT_SPEC_ERROR = 1
#: exit status for a usage problem (missing file, unknown backend, unwritable folder)
EXIT_USAGE = 2
#: exit status of ``build --check`` when an output is missing or out of date
EXIT_STALE = 3
#: exit status when standard output is closed early (a shell's 128 + SIGPIPE)
EXIT_BROKEN_PIPE = 141

F = TypeVar("F", bound=Callable[..., Any])


def _source(file: str) -> str | None:
    try:
        return read_regular_file(Path(file), "spec file", MAX_SPEC_BYTES).decode("utf-8")
    except (IsrgenError, UnicodeDecodeError):
        return None


def report(exc: IsrgenError) -> int:
    """Print ``exc`` to stderr the way compilers do (in the chosen ``--error-format``);
    return the exit status."""
    opts = settings()
    color = use_color(opts.color, sys.stderr)
    if isinstance(exc, SpecError):
        _print_diagnostics(exc)
        if not opts.quiet:
            n = len(exc.diagnostics)
            click.echo(f"{n} error{'s' if n != 1 else ''}", err=True)
        return EXIT_SPEC_ERROR
    if opts.error_format is ErrorFormat.GITHUB:
        click.echo(f"::error title=isrgen::{github_data(str(exc))}", err=True)
        return EXIT_USAGE
    prefix = "\x1b[1;31merror:\x1b[0m" if color else "error:"
    click.echo(f"isrgen: {prefix} {exc}", err=True, color=color)
    return EXIT_USAGE


def _print_diagnostics(exc: SpecError) -> None:
    opts = settings()
    color = use_color(opts.color, sys.stderr)
    texts: dict[str, str | None] = {}
    for d in exc.diagnostics:
        if d.source.file not in texts:
            texts[d.source.file] = _source(d.source.file)
        # click would strip the escapes again on a pipe: it is told what was decided
        click.echo(format_diagnostic(d, opts.error_format, texts[d.source.file], color=color), err=True, color=color)


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _echo_path(text: str, err: bool = False) -> None:
    """Print a path (or a line holding one) as the bytes it was given: a path need not be UTF-8."""
    stream = sys.stderr if err else sys.stdout
    stream.flush()
    stream.buffer.write(text.encode("utf-8", "surrogateescape") + b"\n")
    stream.buffer.flush()


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
@output_options
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
    type=BackendChoice(),
    help="Backend to run (repeatable; `isrgen backends` lists them); default: the outputs the spec lists.",
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
@output_options
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
    written: list[Path] = []
    if not outputs_current(planned):  # a build with nothing to change needs no writable folder
        prepare_output_dir(Path(out_dir))
        written = write_outputs(planned)
    if depfile is not None and depfile_text is not None:
        write_depfile(depfile, depfile_text)
    opts = settings()
    if opts.verbose:
        for p in planned:
            _echo_path(f"isrgen: {'written' if p.path in written else 'unchanged'}: {p.path}", err=True)
    for line in cargo_lines if cargo else [] if opts.quiet else [str(p.path) for p in planned]:
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
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="SPEC...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: diagnostics on stderr; json: one document on stdout (format isrgen-diagnostics/1).",
)
@output_options
@handles_errors
def check_spec_cmd(specs: tuple[Path, ...], fmt: str) -> None:
    """Validate each SPEC and report every problem of every file; writes nothing.
    Exit status: 0 all valid, 1 a spec has errors, 2 a file cannot be read."""
    from isrgen.cli.check_specs import check_files, results_json

    results = check_files(specs)
    status = max((EXIT_USAGE if r.unreadable else EXIT_SPEC_ERROR if r.diagnostics else 0 for r in results), default=0)
    if fmt == "json":
        import json

        click.echo(json.dumps(results_json(results), indent=2))
        raise SystemExit(status)
    opts = settings()
    failed = 0
    for r in results:
        if r.spec is not None:
            if not opts.quiet:
                _echo_path(f"{r.file}: ok ({describe_spec(r.spec)})")
            if opts.verbose:
                _echo_path(f"  {_spec_summary(r.spec)}")
            continue
        failed += 1
        if r.unreadable:
            report(UsageError(f"{r.file}: {r.diagnostics[0].message}"))
        else:
            _print_diagnostics(SpecError(r.diagnostics))
    if failed and not opts.quiet:
        n = sum(len(r.diagnostics) for r in results)
        where = f" in {failed} of {len(results)} files" if len(results) > 1 else ""
        click.echo(f"{n} error{'s' if n != 1 else ''}{where}", err=True)
    raise SystemExit(status)


def _spec_summary(spec: Spec | PackageSpec) -> str:
    from isrgen.model.layout import compute_layout

    if isinstance(spec, PackageSpec):
        return f"arch {spec.arch_name}, outputs: {', '.join(f'{o.backend} {o.filename}' for o in spec.outputs)}"
    entries = len(spec.entry_groups)
    outputs = ", ".join(f"{o.backend} {o.filename}" for o in spec.outputs) or "none"
    return (
        f"arch {spec.arch_name}, frame {compute_layout(spec).size} bytes, "
        f"{entries} common entr{'ies' if entries != 1 else 'y'}, outputs: {outputs}"
    )


def _complete_examples(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from isrgen.cli.init_project import example_names

    return [n for n in example_names() if n.startswith(incomplete)]


@main.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=".")
@click.option(
    "--example",
    metavar="NAME",
    shell_complete=_complete_examples,
    help="Start from this shipped spec instead of the starter (names: --list-examples).",
)
@click.option("--list-examples", is_flag=True, help="Print the names --example accepts and exit.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@output_options
@handles_errors
def init_cmd(directory: Path, example: str | None, list_examples: bool, force: bool) -> None:
    """Write a commented starter spec (isr.yaml) into DIRECTORY (default: here), with
    the Make and CMake snippets that regenerate the glue from it."""
    from isrgen.cli.init_project import example_names, init_project

    if list_examples:
        for name in example_names():
            click.echo(name)
        return
    for path in init_project(directory, example, force=force):
        _echo_path(str(path))


@main.command("layout")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "svg"]),
    default="text",
    show_default=True,
    help="text: tables; json: the same data (format isrgen-layout/1); svg: a diagram of the frame on the stack.",
)
@output_options
@handles_errors
def layout_cmd(spec: Path, fmt: str) -> None:
    """Show SPEC's frame (offsets, sizes, fields, roles, who writes each slot), the stack
    alignment at the call, and how every vector (x86), vector-table slot (aarch64) or
    trap cause (riscv64) reaches its handler."""
    from isrgen.report.layout import layout_view

    model = load_spec(spec)
    view = layout_view(model)
    if fmt == "json":
        from isrgen.report.render import report_json

        _echo_json(report_json(view, model.source_file))
    elif fmt == "svg":
        from isrgen.report.svg import render_svg

        click.echo(render_svg(view), nl=False)
    else:
        from isrgen.report.render import render_text

        click.echo(render_text(view, model.source_file), nl=False)


@main.command("manpage")
@handles_errors
def manpage_cmd() -> None:
    """Print the isrgen(1) man page (roff), generated from this CLI: isrgen manpage > isrgen.1"""
    from isrgen.cli.manpage import manpage

    click.echo(manpage(main), nl=False)


@main.command("schema")
@handles_errors
def schema_cmd() -> None:
    """Print the JSON Schema of the spec format."""
    click.echo(schema_text(), nl=False)


@main.command("backends")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text, or json (one document on stdout; see README.md).",
)
@handles_errors
def backends_cmd(fmt: str) -> None:
    """List the available backends and where each comes from."""
    if fmt == "json":
        _echo_json(backends_json(discover()))
        return
    for name, info in discover().items():
        click.echo(f"{name}\t{info.backend.description}\t[{info.origin}]")


def _echo_json(data: object) -> None:
    import json

    click.echo(json.dumps(data, indent=2))


#: exit status of ``verify`` when the kernel breaks a property the spec requires
EXIT_VERIFY_FAILED = 4


@main.command("verify")
@click.argument("kernel", type=click.Path(path_type=Path))
@click.option(
    "-s", "--spec", "spec", type=click.Path(path_type=Path), required=True, help="The spec the glue came from."
)
@click.option("--idt", "idt", metavar="SYMBOL", help="Also check this statically initialised IDT image, gate by gate.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text, or json (one document on stdout; see README.md).",
)
@output_options
@handles_errors
def verify_cmd(kernel: Path, spec: Path, idt: str | None, fmt: str) -> None:
    """Check a linked KERNEL ELF: generated code executable, no W+X segment, vector
    table, stub alignment/stride, frame struct size (DWARF), and with --idt a static
    IDT image (offset, type, DPL, IST per gate). Exit 0 only if all hold."""
    require_extra("verify", "verify")
    from isrgen.proof.verify import verify_kernel

    result = verify_kernel(load_spec(spec), kernel, idt)
    if fmt == "json":
        _echo_json(verify_json(result))
        raise SystemExit(0 if result.ok else EXIT_VERIFY_FAILED)
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
    type=BackendChoice(),
    help="Backend to prove (repeatable); default: the provable outputs the spec lists.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random register values.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text, or json (one document on stdout; see README.md).",
)
@output_options
@handles_errors
def prove_cmd(spec: Path, backends: tuple[str, ...], seed: int, fmt: str) -> None:
    """Prove SPEC's generated glue with the real tools: C/Rust struct offsets, the
    machine code under emulation for every vector, and identical bytes across backends."""
    require_extra("prove", "prove")
    from isrgen.proof.prove import prove

    report = prove(load_spec(spec), list(backends) or None, seed=seed)
    if fmt == "json":
        _echo_json(prove_json(report))
        raise SystemExit(0 if report.ok else EXIT_PROOF_FAILED)
    click.echo(report.table())
    for failure in report.failures:
        click.echo(f"{spec}: error: {failure}", err=True)
    if not report.ok:
        raise SystemExit(EXIT_PROOF_FAILED)


def run() -> None:
    """The ``isrgen`` console script (and ``python -m isrgen``): :func:`main`, then exit.

    The process ends right after, so the garbage collector is kept out of it: with
    every object frozen, the interpreter's final collections have nothing to scan,
    which saves about as much time as loading a spec.  Memory is not
    at stake in a process this short; the rare reference cycle is freed at exit.
    """
    gc.disable()
    try:
        main(prog_name="isrgen")
    finally:
        gc.freeze()
