"""Resource bounds: oversize runs are refused up front, long runs report progress without
per-step work, and Ctrl-C stops cleanly."""

from __future__ import annotations

import io

import pytest

import lrplot.engine as sim
from lrplot.engine import loop, memory, run
from lrplot.errors import SpecError
from lrplot.progress import TerminalProgress, terminal_progress
from lrplot.spec import parse_spec

SPEC = """
steps: 2000000
param_groups: [{}, {lr: 0.5}]
fields: [lr, momentum]
optimizer: {type: SGD, lr: 0.1, momentum: 0.9}
scheduler: {type: StepLR, step_size: 1000}
"""


def test_memory_estimate_counts_steps_groups_and_fields():
    # per value: float object 24 + list slot 8 + column slot 8 + float64 8; per update 8 of slack
    assert memory.memory_needed(1000, 1) == 1000 * (8 + 48)
    assert memory.memory_needed(1000, 4) == 1000 * (8 + 4 * 48)
    assert memory.memory_needed(2000, 4) == 2 * memory.memory_needed(1000, 4)


def test_too_many_steps_for_memory_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: 100_000_000)  # 100 MB
    monkeypatch.setattr(run, "build_optimizer", lambda s: pytest.fail("worked before refusing"))
    with pytest.raises(SpecError) as exc:
        sim.simulate(parse_spec(SPEC, "big.yaml"))
    # 2e6 steps x (8 + 4 values x 48) bytes = 400 MB; 80 MB usable / 200 bytes per step = 400000 steps
    assert exc.value.format() == (
        "big.yaml:2:8: 2000000 steps x 2 param groups x 2 fields need about 400.0 MB of memory "
        "to record, but only 100.0 MB is available; lower steps (lrplot keeps every value; about 400000 steps "
        "fit), or record fewer fields or param groups")


def test_derived_length_is_refused_at_the_scheduler(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: 1000)
    spec = parse_spec("scheduler: {type: CosineAnnealingLR, T_max: 100000}\n", "c.yaml")
    with pytest.raises(SpecError, match=r"c.yaml:1:12: 100000 steps x 1 param group x 1 field need") as exc:
        sim.simulate(spec)
    assert (exc.value.location.line, exc.value.location.col) == (1, 12)


def test_within_memory_runs(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: 10**12)
    curves = sim.simulate(parse_spec(SPEC.replace("2000000", "3000"), "s.yaml"))
    assert curves.schedules[0].values[(1, "lr")][-1] == 0.5 * 0.1 ** 2


def test_unknown_memory_does_not_block(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: None)
    assert sim.simulate(parse_spec("steps: 5\nscheduler: {type: StepLR, step_size: 1}\n", "s.yaml"))


def test_progress_is_reported_per_chunk_not_per_step(monkeypatch):
    monkeypatch.setattr(loop, "CHUNK", 1000)
    calls = []
    spec = parse_spec("steps: 3500\nscheduler: {type: StepLR, step_size: 100}\n", "p.yaml")
    sc = sim.simulate_spec(spec, lambda name, done, total: calls.append((name, done, total)))[0]
    assert calls == [("p", 1001, 3500), ("p", 2001, 3500), ("p", 3001, 3500), ("p", 3500, 3500)]
    assert (sc.values[(0, "lr")] == sim.simulate(spec).schedules[0].values[(0, "lr")]).all()


@pytest.mark.parametrize("every", [1, 7])
def test_chunked_loop_equals_the_plain_one_across_chunk_edges(monkeypatch, every):
    text = f"steps: 1000\ninterval: epoch\nsteps_per_epoch: {every}\nparam_groups: [{{}}, {{lr: 1}}]\n" \
           "scheduler: {type: ExponentialLR, gamma: 0.99}\n"
    whole = sim.simulate(parse_spec(text, "s.yaml")).schedules[0]
    monkeypatch.setattr(loop, "CHUNK", 13)
    chunked = sim.simulate(parse_spec(text, "s.yaml")).schedules[0]
    for k in whole.values:
        assert (whole.values[k] == chunked.values[k]).all()


def test_no_bar_when_stderr_is_not_a_terminal():
    with terminal_progress(io.StringIO()) as progress:
        assert progress is None


def test_bar_only_for_long_schedules():
    p = TerminalProgress()
    p("short", 10, 999)
    assert p._bar is None


def test_ctrl_c_stops_cleanly_without_output(cli, write_spec, tmp_path, monkeypatch):
    path = write_spec("steps: 10\nscheduler: {type: StepLR, step_size: 2}\n")

    def interrupted(spec, progress=None, *, allow_import):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim, "simulate_spec", interrupted)
    result = cli(path, "-o", tmp_path / "out.png", "--data", tmp_path / "out.csv")
    assert result.exit_code == 130
    assert result.output.strip() == "lrplot: interrupted"
    assert not (tmp_path / "out.png").exists() and not (tmp_path / "out.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
