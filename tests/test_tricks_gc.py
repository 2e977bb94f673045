"""The gc-pause trick (lrplot/tricks/gcpause.py): on, ``lrplot plot`` plans its outputs and draws and writes its
figures with Python's cyclic garbage collector off, and reads and simulates with it on; switched off (its switch,
or LRPLOT_NO_TRICKS) the collector runs throughout. The figure is the same bytes either way."""

from __future__ import annotations

import gc

import pytest

import lrplot.pipeline as pipeline
from lrplot import tricks

SPEC = "steps: 60\nscheduler: {type: CosineAnnealingLR, T_max: 60}\n"


@pytest.fixture
def collector(monkeypatch):
    """The collector on, the trick's switches unset; the collector as it was afterwards."""
    for name in ("LRPLOT_NO_GC_PAUSE", tricks.ALL_OFF):
        monkeypatch.delenv(name, raising=False)
    was = gc.isenabled()
    gc.enable()
    yield
    gc.enable() if was else gc.disable()


def test_paused_inside_the_block_and_running_after_it_however_it_ends(collector):
    with tricks.gc_paused() as paused:
        assert paused and not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), tricks.gc_paused():
        assert not gc.isenabled()
        raise KeyError("boom")
    assert gc.isenabled()


@pytest.mark.parametrize("switch", ["LRPLOT_NO_GC_PAUSE", tricks.ALL_OFF])
def test_switched_off_the_collector_keeps_running(collector, monkeypatch, switch):
    monkeypatch.setenv(switch, "1")
    with tricks.gc_paused() as paused:
        assert not paused and gc.isenabled()
    assert gc.isenabled()


def test_not_asked_for_or_the_collector_already_off_changes_nothing(collector):
    with tricks.gc_paused(False) as paused:
        assert not paused and gc.isenabled()
    gc.disable()
    with tricks.gc_paused() as paused:
        assert not paused and not gc.isenabled()
    assert not gc.isenabled()  # the caller turned it off: it stays off


def _recording(monkeypatch):
    """Whether the collector ran in each phase of a plot: {phase: [gc.isenabled() at each call]}."""
    seen: dict[str, list[bool]] = {}
    for phase in ("plan_outputs", "simulate", "render_all", "stage_and_write"):
        real = getattr(pipeline, phase)

        def wrapper(*args, _real=real, _phase=phase, **kwargs):
            seen.setdefault(_phase, []).append(gc.isenabled())
            return _real(*args, **kwargs)

        monkeypatch.setattr(pipeline, phase, wrapper)
    return seen


def test_a_plot_draws_with_the_collector_paused_and_reads_and_simulates_with_it_running(cli, collector, monkeypatch,
                                                                                       tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC)
    seen = _recording(monkeypatch)
    assert cli("s.yaml", "-o", "on.png", "-q").exit_code == 0
    assert seen == {"plan_outputs": [False], "simulate": [True], "render_all": [False], "stage_and_write": [False]}
    assert gc.isenabled()
    seen.clear()
    assert cli("s.yaml", "-o", "again.png", "-q", "--title", "s").exit_code == 0  # served by the plot memo
    assert seen == {"plan_outputs": [False], "render_all": [False], "stage_and_write": [False]}
    assert gc.isenabled()
    monkeypatch.setenv("LRPLOT_NO_GC_PAUSE", "1")
    seen.clear()
    assert cli("s.yaml", "-o", "off.png", "-q").exit_code == 0
    assert seen == {"plan_outputs": [True], "simulate": [True], "render_all": [True], "stage_and_write": [True]}
    assert (tmp_path / "on.png").read_bytes() == (tmp_path / "off.png").read_bytes()
    seen.clear()
    assert cli("s.yaml", "-o", "off-again.png", "-q", "--title", "s").exit_code == 0
    assert (tmp_path / "again.png").read_bytes() == (tmp_path / "off-again.png").read_bytes()


def test_a_failed_draw_leaves_the_collector_running(cli, collector, monkeypatch, tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC)

    def broken(*args, **kwargs):
        assert not gc.isenabled()
        raise MemoryError

    monkeypatch.setattr(pipeline, "render_all", broken)
    result = cli("s.yaml", "-o", "out.png", "-q")
    assert result.exit_code != 0 and not (tmp_path / "out.png").exists()
    assert gc.isenabled()
