"""``isrgen manpage``: a man page generated from the CLI itself, rendered by groff without
warnings, naming every command and every option the CLI has."""

from __future__ import annotations

import os
import re
import subprocess

from conftest import isrgen_cmd, require_tool, run

from isrgen.cli import main


def _rendered() -> str:
    require_tool("groff")
    source = run(isrgen_cmd("manpage")).stdout
    rendered = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-rHY=0", "-rLL=200n", "-P-cbou"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
    return rendered.stdout


def test_man_page_covers_every_command_and_option() -> None:
    text = _rendered()
    # no hyphenation, long lines; groff still justifies: compare words
    words = " ".join(text.replace("\u2010", "-").split())
    assert words.startswith("ISRGEN(1) User Commands ISRGEN(1) NAME isrgen - Generate interrupt glue")
    for name, command in main.commands.items():
        if command.hidden:
            continue
        assert f"isrgen {name} " in words, name
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert re.search(rf"(^|[ ,]){re.escape(opt)}\b", words), (name, opt)
    for section in ("OPTIONS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT"):
        assert f" {section} " in words
    assert "NO_COLOR" in words and "FORCE_COLOR" in words


def test_man_page_is_deterministic() -> None:
    first = run(isrgen_cmd("manpage"), env={**os.environ, "PYTHONHASHSEED": "1"}).stdout
    second = run(isrgen_cmd("manpage"), env={**os.environ, "PYTHONHASHSEED": "2"}).stdout
    assert first == second and first.startswith('.TH ISRGEN 1 ""')
