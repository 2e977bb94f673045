"""tests/helpers/forked.py stands for ``python -m lrplot``: a forked child and a cold one write the same bytes,
exit with the same code and leave the same files; a child still running at its timeout is killed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import forked
from tests.helpers.paths import ROOT

SPEC = "steps: 20\nscheduler: {type: CosineAnnealingLR, T_max: 20}\n"
CASES = {  # name: (arguments, the exit code both give); each cold run costs about 2 s of CPU: a few
    "success": (["spec.yaml", "-o", "out.svg", "--data", "out.csv", "--no-cache"], 0),
    "bad spec": (["bad.yaml", "-o", "bad.png"], 1),
    "missing file": (["missing.yaml", "-o", "m.png"], 1),
    "unwritable output": (["spec.yaml", "-o", "spec.yaml/out.png", "--no-cache"], 1),
    "help": (["--help"], 0),
}


def _folder(path):
    path.mkdir()
    (path / "spec.yaml").write_text(SPEC)
    (path / "bad.yaml").write_text("steps: 20\nscheduler: {type: CosineAnnealingLR, T_max: -x}\n")
    return path


def _files(path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("case", list(CASES))
def test_a_forked_run_writes_what_a_cold_process_writes(tmp_path, case):
    cold, fork = _folder(tmp_path / "cold"), _folder(tmp_path / "fork")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    args, code = CASES[case]
    expected = subprocess.run([sys.executable, "-m", "lrplot", *args], cwd=cold, env=env,
                              capture_output=True, timeout=120)
    got = forked.run(args, cwd=fork, env=env)
    assert expected.returncode == code, expected.stderr
    assert (got.returncode, got.stdout, got.stderr) == (expected.returncode, expected.stdout, expected.stderr)
    assert _files(fork) == _files(cold)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_file_as_standard_output(tmp_path):
    folder = _folder(tmp_path / "f")
    with open(folder / "figure.svg", "wb") as out:
        done = forked.run(["spec.yaml", "-o", "-", "--format", "svg", "-q", "--no-cache"], cwd=folder, stdout=out)
    assert done.returncode == 0 and done.stdout is None and done.stderr == b""
    assert (folder / "figure.svg").read_bytes().startswith(b"<?xml")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_child_still_running_at_its_timeout_is_killed(tmp_path):
    """``watch`` runs until it is killed; the timeout starts short (a forked child draws and says it is
    watching in well under a second) and doubles only while the child was killed before saying so."""
    folder = _folder(tmp_path / "w")
    for timeout in (1, 2, 4, 8, 16):
        with pytest.raises(subprocess.TimeoutExpired) as info:
            forked.run(["watch", "spec.yaml", "-o", "w.png"], cwd=folder, timeout=timeout)
        assert info.value.timeout == timeout
        if info.value.stderr.decode().endswith("lrplot: watching 1 file(s); Ctrl-C stops\n"):
            break
    assert info.value.stderr.decode().splitlines()[-1] == "lrplot: watching 1 file(s); Ctrl-C stops"
    again = forked.run(["--version"], cwd=folder)  # the server goes on serving
    assert again.returncode == 0 and again.stdout.startswith(b"lrplot ")


@pytest.mark.slow
def test_a_variable_read_while_importing_needs_a_cold_process(tmp_path):
    for name in ("LRPLOT_NO_TRICKS", "LRPLOT_NO_LEAN_TORCH", "PYTHONIOENCODING", "MPLBACKEND", "TORCH_LOGS"):
        with pytest.raises(ValueError, match=f"^{name} changed: read while starting, so this test needs a cold"):
            forked.run(["--version"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), name: "x"})
    later = forked.run(["--version"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                          "TORCHINDUCTOR_CACHE_DIR": str(tmp_path)})
    assert later.returncode == 0  # read by torch only when it compiles: free to change


def test_a_forked_child_counts_as_a_process(_processes_only_in_slow_tests, tmp_path):
    started = _processes_only_in_slow_tests
    with pytest.raises(pytest.fail.Exception, match="not marked slow"):
        forked.run(["--version"], cwd=tmp_path)
    assert len(started) == 1
    started.clear()  # the guard worked: this test passes
