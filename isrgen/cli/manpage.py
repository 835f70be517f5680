"""``isrgen manpage``: the isrgen(1) man page, generated from the click commands
themselves (their help texts and options), so it cannot drift from the CLI."""

from __future__ import annotations

import click

from isrgen._version import __version__


def _roff(text: str) -> str:
    """Escape ``text`` for roff: backslashes, hyphens, and a leading control character."""
    out = []
    for line in text.replace("\\", "\\e").replace("-", "\\-").splitlines():
        stripped = line.strip()
        out.append("\\&" + stripped if stripped.startswith((".", "'")) else stripped)
    return "\n".join(out)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def _options(ctx: click.Context, command: click.Command) -> list[str]:
    lines: list[str] = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        lines += [".TP", f"\\fB{_roff(names)}\\fR", _roff(" ".join(help_text.split()))]
    return lines


def _usage(ctx: click.Context, command: click.Command) -> str:
    return " ".join(command.collect_usage_pieces(ctx))


def manpage(group: click.Group, prog: str = "isrgen") -> str:
    """The roff source of the ``prog``\\(1) man page for ``group`` and its commands."""
    ctx = click.Context(group, info_name=prog)
    summary = _paragraphs(group.help or "")[0]
    lines = [
        f'.TH {prog.upper()} 1 "" "{prog} {__version__}" "User Commands"',
        ".SH NAME",
        f"{prog} \\- {_roff(summary)}",
        ".SH SYNOPSIS",
        f"\\fB{prog}\\fR [\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH OPTIONS",
        *_options(ctx, group),
        ".SH COMMANDS",
    ]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub = click.Context(command, info_name=name, parent=ctx)
        lines += [".SS", f"\\fB{prog} {name}\\fR {_roff(_usage(sub, command))}"]
        for paragraph in _paragraphs(command.help or ""):
            lines += [".PP", _roff(paragraph)]
        lines += _options(sub, command)
    lines += [
        ".SH EXIT STATUS",
        "0 success; 1 a spec has errors; 2 a usage problem; 3 \\fBbuild \\-\\-check\\fR found stale outputs;",
        "4 \\fBverify\\fR found a problem; 5 \\fBprove\\fR found a mismatch; 141 standard output closed early.",
        ".SH ENVIRONMENT",
        ".TP",
        "\\fBNO_COLOR\\fR",
        "Non\\-empty: no colour with \\fB\\-\\-color auto\\fR.",
        ".TP",
        "\\fBFORCE_COLOR\\fR",
        "Non\\-empty: colour even on a pipe with \\fB\\-\\-color auto\\fR (\\fBNO_COLOR\\fR wins).",
        ".TP",
        "\\fBTERM\\fR",
        "\\fBdumb\\fR: no colour with \\fB\\-\\-color auto\\fR.",
        ".SH SEE ALSO",
        "The README of the isrgen distribution; \\fBisrgen schema\\fR for the spec format.",
    ]
    return "\n".join(lines) + "\n"
