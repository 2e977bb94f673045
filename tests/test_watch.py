"""``lrplot watch``: a real process redraws on each save, reports a bad save in one line and keeps
watching, follows a module the spec starts importing, and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from lrplot.cli.watching import signature, watch_loop
from lrplot.errors import SpecError
from tests.helpers.bounds import interruptible

SPEC = """
steps: 50
optimizer: {type: SGD, lr: 0.1}
scheduler: {type: StepLR, step_size: 10, gamma: 0.5}
"""

MODULE = """import torch


class Scaled(torch.optim.lr_scheduler.LambdaLR):
    def __init__(self, optimizer):
        super().__init__(optimizer, lambda step: {factor})
"""


def test_the_loop_reruns_on_a_change_only_and_survives_errors(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("a")
    runs, said, ticks = [], [], []

    def once():
        runs.append(spec.read_text())
        if spec.read_text() == "bad":
            raise SpecError("it is bad", hint="fix it")
        return [spec]

    def sleep(_):  # each tick of the poll: the "editor" saves at chosen ticks
        ticks.append(1)
        if len(ticks) == 3:
            spec.write_text("bad")
            os.utime(spec, ns=(1, 1_000_000_000))
        if len(ticks) == 8:
            spec.write_text("good")
            os.utime(spec, ns=(1, 2_000_000_000))

    watch_loop(once, [spec], say=said.append, interval=0, stop=lambda: len(ticks) >= 14, sleep=sleep)
    assert runs == ["a", "bad", "good"]
    assert "lrplot: it is bad; fix it" in said
    assert said.count("lrplot: watching 1 file(s); Ctrl-C stops") == 3


def test_a_save_while_a_run_draws_is_drawn_again(tmp_path):
    # the files' state was taken after the run: a save while torch imported and the figure was drawn
    # (seconds) was never drawn, the figure left older than the file without a word
    spec = tmp_path / "s.yaml"
    spec.write_text("first")
    os.utime(spec, ns=(1, 1_000_000_000))
    runs, ticks = [], []

    def once():
        runs.append(spec.read_text())
        if len(runs) == 1:  # the user saves while the first run is still drawing
            spec.write_text("second")
            os.utime(spec, ns=(1, 2_000_000_000))
        return [spec]

    watch_loop(once, [spec], say=lambda line: None, interval=0, stop=lambda: len(ticks) >= 6,
               sleep=lambda s: ticks.append(s))
    assert runs == ["first", "second"]


def test_a_missing_file_is_a_state_not_an_error(tmp_path):
    assert signature([tmp_path / "nope.csv"]) == {tmp_path / "nope.csv": None}


def next_line(proc, startswith):
    while True:
        line = proc.stderr.readline()
        assert line, "the watch ended"
        if line.startswith(startswith) or startswith in line:
            return line.rstrip("\n")


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_real_watch_redraws_reports_and_stops_on_ctrl_c(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(textwrap.dedent(SPEC))
    out = tmp_path / "s.png"
    (tmp_path / "mine.py").write_text(MODULE.format(factor=0.5))  # allowed from the start, used later
    proc = subprocess.Popen([sys.executable, "-m", "lrplot", "watch", str(spec), "-o", str(out), "-q",
                             "--interval", "0.05", "--allow-import", "mine.py"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            cwd=tmp_path, preexec_fn=interruptible)
    try:
        assert next_line(proc, "lrplot: drew") == f"lrplot: drew {out}"
        next_line(proc, "lrplot: watching")
        first = out.read_bytes()
        spec.write_text(textwrap.dedent(SPEC).replace("gamma: 0.5", "gamma: 0.1"))
        next_line(proc, "lrplot: drew")
        next_line(proc, "lrplot: watching")
        second = out.read_bytes()
        assert second != first
        spec.write_text(textwrap.dedent(SPEC).replace("gamma: 0.5", "gamma: [0.1"))
        error = next_line(proc, str(spec))
        assert error.startswith(f"{spec}:") and "Traceback" not in error
        next_line(proc, "lrplot: watching")
        assert out.read_bytes() == second  # the last good figure stays
        spec.write_text(textwrap.dedent(SPEC).replace(
            "scheduler: {type: StepLR, step_size: 10, gamma: 0.5}", 'scheduler: {type: "mine.py:Scaled"}'))
        next_line(proc, "lrplot: drew")
        assert next_line(proc, "lrplot: watching") == "lrplot: watching 2 file(s); Ctrl-C stops"
        (tmp_path / "mine.py").write_text(MODULE.format(factor=0.25))
        next_line(proc, "lrplot: drew")
        assert out.read_bytes() != second
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
