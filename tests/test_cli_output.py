"""The build command's outputs for build systems: depfiles read by real make and ninja,
write-if-changed, --check, --list-outputs, -o -, --cargo, schema/backends, colour."""

from __future__ import annotations

import json
import os
import pty
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC, ROOT, require_tool, run, run_isrgen

from isrgen.diagnostics import UsageError
from isrgen.output.depfile import escape_path, format_depfile
from isrgen.spec.schema_check import spec_schema

EXIT_STALE = 3
#: a folder name with every character a depfile must escape
AWKWARD = "we ird#dir$x:y"


def _env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess that runs this checkout's isrgen from any folder."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra)
    return env


def isrgen(*args: str, cwd: Path | None = None, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    return run_isrgen(*args, cwd=cwd, env=_env(**env), check=check)


def _spec_copy(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "spec.yaml"
    spec.write_text(DEFAULT_SPEC.read_text())
    return spec


def _make_newer(path: Path, than: Path) -> None:
    """Give ``path`` an mtime just after ``than``'s, whatever the file system's clock tick
    (no sleeping; a build started after this still writes files newer than ``path``)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, max(st.st_mtime_ns, than.stat().st_mtime_ns + 1_000_000)))


# -- depfile -----------------------------------------------------------------


def test_escape_path_spells_make_specials() -> None:
    assert escape_path("a b") == "a\\ b"
    assert escape_path("c#d") == "c\\#d"
    assert escape_path("e$f") == "e$$f"
    assert escape_path("g:h") == "g\\:h"
    assert escape_path("plain/path.S") == "plain/path.S"
    # backslashes before an escaped space are doubled so they stay literal (as gcc does)
    assert escape_path("x\\ y") == "x\\\\\\ y"
    assert escape_path("x\\y") == "x\\y"
    with pytest.raises(UsageError):
        escape_path("new\nline")


def test_format_depfile_lists_targets_inputs_and_phony_rules() -> None:
    text = format_depfile(["out/isr.S", "out/isr.h"], ["spec.yaml", "spec.yaml", "inc.yaml"])
    assert text == "out/isr.S out/isr.h: \\\n spec.yaml \\\n inc.yaml\n\nspec.yaml:\n\ninc.yaml:\n"
    with pytest.raises(UsageError):
        format_depfile([], ["spec.yaml"])


def test_depfile_is_read_correctly_by_gnu_make(tmp_path: Path) -> None:
    """make must see exactly the awkward spec path as the outputs' prerequisite."""
    require_tool("make")
    spec = _spec_copy(tmp_path / AWKWARD)
    out = tmp_path / f"out {AWKWARD}"
    dep = tmp_path / "isr.d"
    isrgen("build", str(spec), "-o", str(out), "--depfile", str(dep))
    text = dep.read_text()
    assert text.startswith(escape_path(str(out / "isr.S")) + " " + escape_path(str(out / "isr.h")) + ":")
    makefile = tmp_path / "Makefile"
    # the depfile's first rule is the default goal; any target make decides to (re)build says so
    makefile.write_text("include isr.d\n%::\n\t@echo 'REBUILD $@'\n")
    fresh = run(["make", "-f", str(makefile)], cwd=tmp_path)
    assert "REBUILD" not in fresh.stdout, fresh.stdout
    _make_newer(spec, than=out / "isr.h")
    stale = run(["make", "-f", str(makefile)], cwd=tmp_path)
    assert stale.stdout.splitlines() == [f"REBUILD {out / 'isr.S'}"]
    # -MP: with the spec gone, make must not stop with "No rule to make target"
    spec.unlink()
    makefile.write_text("include isr.d\n")
    run(["make", "-f", str(makefile), str(spec)], cwd=tmp_path)


def _ninja_escape(path: str) -> str:
    return path.replace("$", "$$").replace(" ", "$ ").replace(":", "$:")


def test_depfile_drives_ninja_with_awkward_paths(tmp_path: Path) -> None:
    """ninja records the spec as a dependency, rebuilds after it changes and not otherwise."""
    require_tool("ninja")
    spec = _spec_copy(tmp_path / AWKWARD)
    out = tmp_path / f"out {AWKWARD}"
    outs = [out / "isr.S", out / "isr.h"]
    command = " ".join(
        shlex.quote(a)
        for a in [sys.executable, "-m", "isrgen", "build", str(spec), "-o", str(out), "--depfile", "isr.d"]
    )
    (tmp_path / "build.ninja").write_text(
        "rule isrgen\n"
        f"  command = {command.replace('$', '$$')}\n"
        "  depfile = isr.d\n"
        "  deps = gcc\n"
        "  restat = 1\n"
        f"build {' '.join(_ninja_escape(str(p)) for p in outs)}: isrgen\n"
    )
    env = _env()
    run(["ninja"], cwd=tmp_path, env=env)
    deps = run(["ninja", "-t", "deps"], cwd=tmp_path, env=env).stdout
    assert f"    {spec}\n" in deps, deps
    assert "no work to do" in run(["ninja"], cwd=tmp_path, env=env).stdout
    before = outs[0].read_text()
    with spec.open("a") as fh:
        fh.write("# edited\n")  # changes the spec's sha256, so the banner of every output
    _make_newer(spec, than=outs[1])
    assert "isrgen" in run(["ninja", "-v"], cwd=tmp_path, env=env).stdout
    assert outs[0].read_text() != before
    assert "no work to do" in run(["ninja"], cwd=tmp_path, env=env).stdout


# -- write-if-changed, --check, --list-outputs ------------------------------------


def test_unchanged_outputs_keep_their_mtime_and_changed_ones_are_rewritten(tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path / "src")
    out = tmp_path / "out"
    isrgen("build", str(spec), "-o", str(out))
    past = 1_000_000_000
    for p in out.iterdir():
        os.utime(p, (past, past))
    isrgen("build", str(spec), "-o", str(out))
    assert {p.name: p.stat().st_mtime for p in out.iterdir()} == {"isr.S": past, "isr.h": past}
    spec.write_text(spec.read_text().replace("symbol: isr_dispatch", "symbol: kernel_trap"))
    isrgen("build", str(spec), "-o", str(out))
    assert all(p.stat().st_mtime != past for p in out.iterdir())
    assert "kernel_trap" in (out / "isr.S").read_text()
    assert sorted(p.name for p in out.iterdir()) == ["isr.S", "isr.h"], "no temporary file may be left"


def test_check_reports_stale_outputs_with_a_diff_and_writes_nothing(tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path / "src")
    out = tmp_path / "out"
    missing = isrgen("build", str(spec), "-o", str(out), "--check", check=False)
    assert missing.returncode == EXIT_STALE
    assert "--- /dev/null" in missing.stdout and "out of date" in missing.stderr
    assert not out.exists()

    isrgen("build", str(spec), "-o", str(out))
    fresh = isrgen("build", str(spec), "-o", str(out), "--check", check=False)
    assert (fresh.returncode, fresh.stdout) == (0, "")

    header = out / "isr.h"
    header.write_text(header.read_text().replace("#endif", "#endif /* hand edit */", 1))
    before = header.read_bytes(), header.stat().st_mtime_ns
    stale = isrgen("build", str(spec), "-o", str(out), "--check", check=False)
    assert stale.returncode == EXIT_STALE
    assert f"--- {header}\n+++ {header} (generated)\n" in stale.stdout
    assert any(line.startswith("-") and "hand edit" in line for line in stale.stdout.splitlines())
    assert "isr.S" not in stale.stdout, "only the stale output is diffed"
    assert (header.read_bytes(), header.stat().st_mtime_ns) == before


def test_list_outputs_names_exactly_what_a_build_writes(tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path / "src")
    out = tmp_path / "out"
    listed = isrgen("build", str(spec), "-o", str(out), "--list-outputs").stdout.splitlines()
    assert not out.exists()
    isrgen("build", str(spec), "-o", str(out))
    assert sorted(listed) == sorted(str(p) for p in out.iterdir())
    one = isrgen("build", str(spec), "-o", str(out), "-b", "c", "--list-outputs").stdout
    assert one == f"{out / 'isr.h'}\n"


# -- stdout, cargo ------------------------------------------------------------------


def test_stdout_output_matches_the_file(tmp_path: Path) -> None:
    isrgen("build", str(DEFAULT_SPEC), "-o", str(tmp_path))
    for backend, name in (("gas", "isr.S"), ("c", "isr.h")):
        assert isrgen("build", str(DEFAULT_SPEC), "-o", "-", "-b", backend).stdout == (tmp_path / name).read_text()


def test_stdout_needs_a_single_output() -> None:
    proc = isrgen("build", str(DEFAULT_SPEC), "-o", "-", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "isrgen: error: -o - needs exactly one output, this build has 2 (gas, c): use -b NAME"
    )


def test_closed_pipe_is_not_a_traceback() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "isrgen", "build", str(DEFAULT_SPEC), "-o", "-", "-b", "gas"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    proc.wait()
    assert first.startswith(b"/* generated by isrgen") or first.startswith(b"#")
    assert "Traceback" not in err and "Exception" not in err and "BrokenPipe" not in err, err


def test_cargo_lines_name_every_input(tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path / "src")
    proc = isrgen("build", str(spec), "-o", str(tmp_path / "out"), "--cargo")
    assert proc.stdout == f"cargo:rerun-if-changed={spec}\n"
    assert (tmp_path / "out" / "isr.S").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--check", "--list-outputs"], "--check and --list-outputs cannot be combined"),
        (["--check", "--depfile", "x.d"], "--check writes nothing and cannot be combined with --depfile"),
        (["--list-outputs", "--cargo"], "--list-outputs writes nothing and cannot be combined with --cargo"),
    ],
)
def test_conflicting_flags_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    proc = isrgen("build", str(DEFAULT_SPEC), "-o", str(tmp_path / "out"), *args, check=False)
    assert proc.returncode == 2
    assert proc.stderr == f"isrgen: error: {message}\n"
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.d").exists()


def test_stdout_rejects_files_for_build_systems() -> None:
    proc = isrgen("build", str(DEFAULT_SPEC), "-o", "-", "-b", "c", "--depfile", "x.d", check=False)
    assert (proc.returncode, proc.stderr) == (2, "isrgen: error: -o - cannot be combined with --depfile\n")


# -- schema, backends ---------------------------------------------------------------


def test_schema_command_prints_the_packaged_schema() -> None:
    text = isrgen("schema").stdout
    schema = json.loads(text)
    # the shared pipeline's schema: the packaged core schema with the ISAs' fragments
    packaged = spec_schema()
    assert schema["$schema"] == packaged["$schema"] and schema["$id"] == packaged["$id"]
    # the ISA packages with a spec model of their own are chosen by arch; the rest is the core's
    branches = {}
    node = schema
    while "if" in node:
        branches[node["if"]["properties"]["arch"]["const"]] = node["then"]
        node = node["else"]
    assert set(branches) == {"aarch64", "riscv64"}
    assert node == {k: v for k, v in packaged.items() if k not in ("$schema", "$id")}
    assert "vectors" in node["properties"] and "slots" in branches["aarch64"]["properties"]


def test_backends_command_lists_builtins_with_origin() -> None:
    rows = [line.split("\t") for line in isrgen("backends").stdout.splitlines()]
    by_name = {r[0]: r for r in rows}
    assert by_name["gas"][2] == "[builtin]" and by_name["c"][2] == "[builtin]"
    assert all(len(r) == 3 and r[1] for r in rows)


# -- diagnostics and colour -----------------------------------------------------------

BAD_SPEC = "isrgen: 1\narch: x86_64\nhandler: {symbol: h}\nvectors:\n  - {vector: 3, ist: 8}\n"


def _run_in_pty(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run with stdout and stderr on a terminal; returns (status, everything printed)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(), b"".join(chunks).decode()


def test_errors_are_located_and_coloured_only_on_a_terminal(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(BAD_SPEC)
    args = [sys.executable, "-m", "isrgen", "check-spec", str(spec)]
    env = {k: v for k, v in _env().items() if k != "NO_COLOR"} | {"TERM": "xterm"}

    piped = run(args, env=env, check=False)
    assert piped.returncode == 1 and piped.stdout == ""
    assert piped.stderr.startswith(f"{spec}:5:")
    assert ": error: " in piped.stderr.splitlines()[0] and "\x1b[" not in piped.stderr

    status, tty = _run_in_pty(args, env)
    assert status == 1
    assert f"{spec}:5:" in tty and "\x1b[1;31merror:\x1b[0m" in tty

    for plain in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        status, no_color = _run_in_pty(args, {**env, **plain})
        assert status == 1
        assert f"{spec}:5:" in no_color and "error:" in no_color and "\x1b[" not in no_color, plain


def test_a_build_with_nothing_to_change_needs_no_writable_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up-to-date outputs: the build touches nothing, so a read-only folder is fine (as
    root every folder is writable, so the folder check itself is made to fail here)."""
    from click.testing import CliRunner

    from isrgen import cli

    out = tmp_path / "out"
    isrgen("build", str(DEFAULT_SPEC), "-o", str(out))

    def refuse(*_: object) -> None:
        raise UsageError("read-only")

    monkeypatch.setattr(cli, "prepare_output_dir", refuse)
    result = CliRunner().invoke(cli.main, ["build", str(DEFAULT_SPEC), "-o", str(out)])
    assert result.exit_code == 0, result.output
    (out / "isr.h").write_text("stale\n")
    result = CliRunner().invoke(cli.main, ["build", str(DEFAULT_SPEC), "-o", str(out)])
    assert result.exit_code == 2 and "read-only" in result.output


def test_a_closed_pipe_keeps_the_check_verdict(tmp_path: Path) -> None:
    """`isrgen build --check ... | head -1`: the reader leaves early, the exit status still
    says the outputs are stale (3); elsewhere a closed pipe ends with 141, as SIGPIPE would."""
    out = tmp_path / "out"
    for args, status in ((["--check"], 3), (["-b", "gas", "--list-outputs"], None)):
        proc = subprocess.Popen(
            [sys.executable, "-m", "isrgen", "build", str(DEFAULT_SPEC), "-o", str(out), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        err = proc.stderr.read().decode()
        code = proc.wait()
        assert "Traceback" not in err, err
        assert code == status if status is not None else code in (0, 141)


def test_stdout_on_a_full_disk_is_a_usage_error() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "isrgen", "build", str(DEFAULT_SPEC), "-o", "-", "-b", "gas"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("isrgen: error: cannot read or write")


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        ("depfile-on-output", "would overwrite"),
        ("depfile-is-a-folder", "is a directory"),
        ("output-over-spec", "would overwrite the spec"),
        ("empty-out-dir", "an empty output folder name"),
    ],
)
def test_a_build_that_would_clobber_its_files_writes_nothing(tmp_path: Path, setup: str, fragment: str) -> None:
    spec = _spec_copy(tmp_path / "src")
    out = tmp_path / "out"
    isrgen("build", str(spec), "-o", str(out))  # outputs exist and are current
    before = {p: p.read_bytes() for p in [spec, *out.iterdir()]}
    args = ["build", str(spec), "-o", str(out)]
    if setup == "depfile-on-output":
        args += ["--depfile", str(out / "isr.S")]
    elif setup == "depfile-is-a-folder":
        spec.write_text(spec.read_text() + "\n# changed\n")  # the outputs would change
        before[spec] = spec.read_bytes()
        (tmp_path / "dep").mkdir()
        args += ["--depfile", str(tmp_path / "dep")]
    elif setup == "output-over-spec":
        text = spec.read_text().replace("outputs:", "outputs:\n  nasm: spec.yaml", 1)
        assert text != spec.read_text()
        spec.write_text(text)
        before[spec] = spec.read_bytes()
        args = ["build", str(spec), "-o", str(spec.parent)]
    else:
        args = ["build", str(spec), "-o", ""]
    proc = isrgen(*args, check=False, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert fragment in proc.stderr, proc.stderr
    assert {p: p.read_bytes() for p in before} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("isr.")], "nothing written into the cwd"


def test_a_spec_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    """A file name may hold any bytes but '/': the banner shows '?' for what is not
    printable, and a depfile names the file with its exact bytes."""
    raw = os.fsencode(tmp_path) + b"/bad\xffname.yaml"
    with open(raw, "wb") as fh:
        fh.write(DEFAULT_SPEC.read_bytes())
    out, dep = tmp_path / "out", tmp_path / "isr.d"
    proc = isrgen("build", os.fsdecode(raw), "-o", str(out), "--depfile", str(dep))
    assert "Traceback" not in proc.stderr
    assert (out / "isr.S").read_text().startswith("/* generated by isrgen 0.1.0 from bad?name.yaml (sha256")
    assert b"bad\xffname.yaml" in dep.read_bytes()
