"""``-b/--backend`` is a click Choice of the installed backends: isrgen's own and every
``isrgen.backends`` entry point.  ``--help`` and shell completion list them, a misspelt
name gets a "did you mean" hint, and naming a built-in backend never scans the plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import click
import pytest
from conftest import DEFAULT_SPEC, isrgen_cmd, run

from isrgen.cli import main

#: isrgen's five backends (README "Backends"), in the order `isrgen backends` lists them
BUILTINS = ["gas", "c", "nasm", "rust", "gdb"]


def _expected() -> list[str]:
    plugins = sorted({ep.name for ep in entry_points(group="isrgen.backends")} - set(BUILTINS))
    return BUILTINS + plugins


def _complete(words: str) -> list[str]:
    env = {**os.environ, "_ISRGEN_COMPLETE": "bash_complete", "COMP_WORDS": words}
    # the word being completed: the last one, or a new empty one after a trailing space
    env["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    return [line.split(",", 1)[1] for line in run(isrgen_cmd(), env=env).stdout.splitlines()]


@pytest.mark.parametrize("command", ["build", "prove"])
def test_backend_is_a_choice_of_the_registry(command: str) -> None:
    option = next(p for p in main.commands[command].params if "--backend" in getattr(p, "opts", []))
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == _expected()
    help_text = run(isrgen_cmd(command, "--help")).stdout
    assert f"[{'|'.join(_expected())}]" in " ".join(help_text.split())


def test_completion_lists_every_backend() -> None:
    assert _complete("isrgen build x.yaml -b ") == _expected()
    assert _complete("isrgen prove x.yaml --backend r") == ["rust"]


def test_a_misspelt_backend_gets_a_hint_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run(isrgen_cmd("build", str(DEFAULT_SPEC), "-o", str(out), "-b", "rsut"), check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    message = " ".join(proc.stderr.split())
    assert f"unknown backend 'rsut'; did you mean 'rust'? (available: {', '.join(_expected())})" in message
    assert not out.exists()


def test_a_name_far_from_every_backend_gets_no_guess() -> None:
    proc = run(isrgen_cmd("build", str(DEFAULT_SPEC), "-o", "-", "-b", "zzzzzz"), check=False)
    assert proc.returncode == 2
    assert "unknown backend 'zzzzzz' (available:" in " ".join(proc.stderr.split())


_BUILD = """
import json, sys
from isrgen.cli import main
try:
    main(["build", sys.argv[1], "-o", sys.argv[2], "-b", "gas"], standalone_mode=False)
finally:
    print(json.dumps("importlib.metadata" in sys.modules))
"""


def test_a_builtin_backend_needs_no_plugin_scan(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _BUILD, str(DEFAULT_SPEC), str(tmp_path / "o")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(proc.stdout.splitlines()[-1]) is False
    assert (tmp_path / "o" / "isr.S").is_file()
