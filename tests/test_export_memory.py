"""The --data export is counted by the memory guard (issue 9): CSV is streamed (bounded memory),
JSON's measured cost per value is part of the estimate, and a refused export writes nothing."""

from __future__ import annotations

import csv
import io
import tracemalloc

import numpy as np
import pytest

from lrplot.curves import Curves, ScheduleTrace, to_csv_text, to_json_text, write_csv
from lrplot.engine import memory


def _curves(n, groups=1, name="s"):
    rng = np.random.default_rng(0)
    values = {(g, "lr"): rng.random(n) * 0.1 for g in range(groups)}
    values[(0, "lr")][:3] = [float("nan"), float("inf"), -0.0]
    trace = ScheduleTrace(name=name, scheduler="CosineAnnealingLR", steps=n, interval="step", steps_per_epoch=None,
                          groups=tuple(str(g) for g in range(groups)), fields=("lr",), values=values, source="x",
                          events=(), meta={})
    return Curves((trace,))


class _Sink(io.RawIOBase):
    def writable(self):
        return True

    def write(self, b):
        return len(b)


def test_streamed_csv_is_the_csv_module_table_exactly():
    curves = _curves(1000, 2, name='odd, "name"')
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["schedule", "group", "field", "step", "value"])
    for s in curves.series():
        writer.writerows((s.schedule, str(s.group), s.field, str(i), repr(v)) for i, v in enumerate(s.values.tolist()))
    assert to_csv_text(curves) == buf.getvalue()


@pytest.mark.slow
def test_csv_export_memory_does_not_grow_with_the_steps():
    peaks = []
    for n in (100_000, 400_000):
        curves = _curves(n)
        tracemalloc.start()
        write_csv(curves, _Sink())
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 8 * 2**20 and peaks[1] < 1.5 * peaks[0], peaks


@pytest.mark.slow
def test_json_export_constant_is_the_measured_peak_with_some_slack():
    n = 200_000
    curves = _curves(n)
    tracemalloc.start()
    _Sink().write(to_json_text(curves).encode("utf-8"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    per_value = peak / n
    assert 0.75 * memory.JSON_EXPORT_BYTES_PER_VALUE <= per_value <= memory.JSON_EXPORT_BYTES_PER_VALUE, per_value


SPEC = "steps: 20000\nscheduler: {type: CosineAnnealingLR, T_max: 20000}\n"


@pytest.mark.slow
def test_the_guard_counts_a_json_export_before_simulating(cli, write_spec, monkeypatch):
    path = write_spec(SPEC, "long.yaml")
    recording = memory.memory_needed(20_000, 1)
    with_json = memory.memory_needed(20_000, 1, ".json")
    assert with_json > 2 * recording
    available = int((recording + with_json) / 2 / memory.MEMORY_SHARE)  # recording fits, the JSON export not
    monkeypatch.setattr(memory, "available_memory", lambda: available)
    r = cli(path, "-o", "long.png", "--data", "long.json", "--no-cache")
    assert r.exit_code == 1
    assert "to record and export as JSON" in r.stderr and "or export --data as .csv (streamed)" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (path.parent / "long.json").exists() and not (path.parent / "long.png").exists()
    r = cli(path, "-o", "long.png", "--data", "long.csv", "--no-cache", "-q")
    assert r.exit_code == 0, r.stderr
    assert (path.parent / "long.csv").stat().st_size > 20_000 * 10


def test_a_cached_run_still_checks_the_json_export(cli, write_spec, monkeypatch):
    path = write_spec(SPEC, "long.yaml")
    assert cli(path, "-o", "long.png", "-q").exit_code == 0  # cached now
    monkeypatch.setattr(memory, "available_memory", lambda: 20_000 * 100)
    r = cli(path, "-o", "again.png", "--data", "long.json", "-q")
    assert r.exit_code == 1
    assert r.stderr.startswith("lrplot: exporting 20000 values as JSON needs about 3.2 MB of memory"), r.stderr
    assert not (path.parent / "long.json").exists()
