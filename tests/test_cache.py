"""The curve cache: a hit gives the very same curves, anything that could change them misses,
and a damaged or foreign entry is never trusted."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lrplot import cache
from lrplot.cache import spec_key
from lrplot.curves import Curves
from lrplot.engine import simulate
from lrplot.spec import load_spec, parse_spec
from tests.helpers.paths import ROOT

SPEC = """
title: Warmup then cosine
steps: 120
optimizer: {type: AdamW, lr: 0.001}
param_groups: [{name: body}, {name: head, lr: 0.01}]
fields: [lr, betas]
scheduler:
  type: SequentialLR
  milestones: [20]
  schedulers:
    - {type: LinearLR, start_factor: 0.1, total_iters: 20}
    - {type: CosineAnnealingLR, T_max: 100}
"""


def same(a: Curves, b: Curves) -> bool:
    if a.title != b.title or len(a.schedules) != len(b.schedules):
        return False
    for x, y in zip(a.schedules, b.schedules):
        plain = lambda s: {k: v for k, v in vars(s).items() if k != "values"}  # noqa: E731
        if plain(x) != plain(y) or x.values.keys() != y.values.keys():
            return False
        for k in x.values:
            if x.values[k].dtype != y.values[k].dtype or not np.array_equal(x.values[k], y.values[k]):
                return False
    return True


def entries() -> list[Path]:
    folder = cache.cache_dir()
    return sorted(folder.glob("*.npz")) if folder.is_dir() else []


@pytest.fixture
def spec_file(write_spec):
    return write_spec(SPEC, "warm.yaml")


def no_simulation(monkeypatch):
    import lrplot.engine

    def fail(spec, progress=None):
        raise AssertionError("simulated although the curves are cached")

    monkeypatch.setattr(lrplot.engine, "simulate_spec", fail)


def test_hit_returns_identical_curves_without_simulating(spec_file, monkeypatch):
    first = simulate(load_spec(spec_file), cache=True)
    assert same(first, simulate(load_spec(spec_file)))
    assert len(entries()) == 1
    no_simulation(monkeypatch)
    second = simulate(load_spec(spec_file), cache=True)
    assert same(second, first)


def test_title_is_presentation_only(spec_file, monkeypatch):
    simulate(load_spec(spec_file), cache=True)
    spec_file.write_text(SPEC.replace("Warmup then cosine", "Another title"))
    no_simulation(monkeypatch)
    assert simulate(load_spec(spec_file), cache=True).title == "Another title"


def test_key_changes_with_the_spec_and_overrides(spec_file):
    base = spec_key(load_spec(spec_file))
    assert spec_key(load_spec(spec_file, ["scheduler.schedulers[1].T_max=90"])) != base
    assert spec_key(load_spec(spec_file, ["steps=121"])) != base
    assert spec_key(load_spec(spec_file, ["optimizer.lr=1"])) != base
    # torch receives pass-through options as typed: an int and a float are different inputs
    as_int = spec_key(load_spec(spec_file, ["scheduler.schedulers[1].eta_min=0"]))
    as_float = spec_key(load_spec(spec_file, ["scheduler.schedulers[1].eta_min=0.0"]))
    assert cache.entry_path(as_int) != cache.entry_path(as_float)  # (0 == 0.0 in Python, not in the key)
    assert spec_key(load_spec(spec_file)) == base


def test_key_changes_with_versions(spec_file, monkeypatch):
    base = spec_key(load_spec(spec_file))
    monkeypatch.setattr(cache, "__version__", "9.9.9")
    assert spec_key(load_spec(spec_file)) != base
    monkeypatch.undo()
    monkeypatch.setattr(cache, "torch_version", lambda: "2.99.0")
    assert spec_key(load_spec(spec_file)) != base


@pytest.mark.slow
def test_torch_version_is_read_without_importing_torch():
    code = ("import sys; from lrplot import cache; "
            "print(cache.torch_version(), cache._dist_version('torch'), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
    import torch

    assert out == [torch.__version__, torch.__version__, "False"]


def test_torch_version_falls_back_to_metadata(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    import torch

    assert cache.torch_version() == torch.__version__


def test_metric_csv_content_is_part_of_the_key(write_spec):
    csv = write_spec("step,loss\n" + "".join(f"{i},{1 / (1 + i)}\n" for i in range(30)), "loss.csv")
    path = write_spec("steps: 30\nmetric: {csv: loss.csv}\nscheduler: {type: ReduceLROnPlateau, patience: 1}\n",
                      "plateau.yaml")
    first = simulate(load_spec(path), cache=True)
    key = spec_key(load_spec(path))
    csv.write_text("step,loss\n" + "".join(f"{i},1.0\n" for i in range(30)))  # a plateau from the start
    assert spec_key(load_spec(path)) != key
    second = simulate(load_spec(path), cache=True)
    assert same(second, simulate(load_spec(path)))
    assert not np.array_equal(first.schedules[0].values[(0, "lr")], second.schedules[0].values[(0, "lr")])


def test_import_path_schedulers_are_never_cached():
    spec = parse_spec("steps: 10\nscheduler: {type: 'mypkg.sched:Warmup', warmup: 3}\n", "s.yaml")
    assert spec_key(spec) is None
    spec = parse_spec("steps: 10\noptimizer: {type: 'mypkg:Opt'}\nscheduler: {type: StepLR, step_size: 2}\n",
                      "s.yaml")
    assert spec_key(spec) is None


def test_an_image_key_holds_the_code_an_import_path_names(write_spec):
    """The doc figures key an import-path spec by its local file's content and its title."""
    module = write_spec("def f(optimizer):\n    pass\n", "my_sched.py")
    path = write_spec("title: One\nsteps: 10\nscheduler: {type: 'my_sched.py:f'}\n", "s.yaml")
    key = spec_key(load_spec(path), code=True)
    assert key["imports"][0][0] == "my_sched.py:f" and len(key["imports"][0][1]) == 64
    module.write_text("def f(optimizer):\n    return None\n")
    assert spec_key(load_spec(path), code=True)["imports"] != key["imports"]
    path.write_text("title: Two\nsteps: 10\nscheduler: {type: 'my_sched.py:f'}\n")
    assert spec_key(load_spec(path), code=True)["spec"] != key["spec"]


def test_an_image_key_holds_the_installed_version_of_a_package_read_at_each_use(monkeypatch):
    """A package's import path is keyed by its distribution's version: the distributions providing each
    package are scanned once per process (a documentation build keys every such figure), the version
    itself is read at each key, so an upgrade in a running process changes the key."""
    import importlib.metadata

    spec = parse_spec("steps: 10\nscheduler: {type: 'transformers:get_cosine_schedule_with_warmup'}\n", "s.yaml")
    monkeypatch.setattr(cache, "_distributions", functools.lru_cache(maxsize=1)(cache._distributions.__wrapped__))
    scans = []
    real_scan = importlib.metadata.packages_distributions
    monkeypatch.setattr(importlib.metadata, "packages_distributions", lambda: scans.append(1) or real_scan())
    key = spec_key(spec, code=True)
    installed = importlib.metadata.version("transformers")
    assert key["imports"] == [["transformers:get_cosine_schedule_with_warmup", installed]]
    monkeypatch.setattr(importlib.metadata, "version", lambda dist: {"transformers": "99.0"}[dist])
    assert spec_key(spec, code=True)["imports"] == [["transformers:get_cosine_schedule_with_warmup", "99.0"]]
    assert scans == [1]


def _only_entry() -> Path:
    (path,) = entries()
    return path


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "format", "key echo", "wrong shape",
                                    "changed arrays", "changed schedules", "symlink"])
def test_damaged_or_foreign_entries_are_ignored_and_replaced(spec_file, damage, tmp_path):
    truth = simulate(load_spec(spec_file))
    simulate(load_spec(spec_file), cache=True)
    path = _only_entry()
    data = path.read_bytes()
    if damage == "symlink":  # a planted link to an entry elsewhere (here: a sound one with other values)
        key = spec_key(load_spec(spec_file))
        other = cache.load(key)
        for values in other[0].values.values():
            values[:] = 0.5
        assert cache.store(key, other, tmp_path / "elsewhere")
        path.unlink()
        path.symlink_to(next((tmp_path / "elsewhere").iterdir()))
    elif damage == "garbage":
        path.write_bytes(b"not an npz file at all")
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
        header = json.loads(str(arrays["header"][()]))
        if damage == "format":
            header["format"] = cache.FORMAT + 1
        elif damage == "key echo":  # e.g. a hash collision or an entry copied from elsewhere
            header["key"]["torch"] = "0.0-other"
        elif damage == "changed arrays":  # the header kept, the values changed: a planted entry
            arrays["a0"] = np.full_like(arrays["a0"], 0.5)
        elif damage == "changed schedules":
            header["schedules"][0]["name"] = "planted"
        else:
            arrays["a0"] = arrays["a0"][:-1]
        arrays["header"] = np.array(json.dumps(header))
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)
    got = simulate(load_spec(spec_file), cache=True)
    assert same(got, truth)
    assert cache.load(spec_key(load_spec(spec_file))) is not None  # rewritten as a sound entry
    assert not path.is_symlink()


def _poison(spec_file) -> None:
    """Rewrite the entry with other values but the right key: only a cache read can yield them.
    The plot memo's entry (lrplot/plotmemo.py: the curves of the same run, keyed by its raw
    inputs) too, which a re-run of the command reads first."""
    keys = [spec_key(load_spec(spec_file))]
    for memo in cache.cache_dir().glob("plot-*.json"):
        keys.append(json.loads(memo.read_text())["entry"])
    for key in keys:
        curves = cache.load(key)
        for values in curves[0].values.values():
            values[:] = 0.5
        assert cache.store(key, curves)


def test_no_cache_flag_bypasses_the_cache(spec_file, cli, tmp_path):
    assert cli(spec_file, "-o", tmp_path / "a.png", "--data", tmp_path / "a.csv", "-q").exit_code == 0
    _poison(spec_file)
    assert cli(spec_file, "-o", tmp_path / "b.png", "--data", tmp_path / "b.csv", "-q").exit_code == 0
    assert cli(spec_file, "-o", tmp_path / "c.png", "--data", tmp_path / "c.csv", "-q", "--no-cache").exit_code == 0
    a, b, c = ((tmp_path / f"{n}.csv").read_text() for n in "abc")
    assert b != a and c == a  # b read the (poisoned) entry, c simulated


def test_no_cache_writes_nothing(spec_file, cli, tmp_path):
    assert cli(spec_file, "-o", tmp_path / "a.png", "-q", "--no-cache").exit_code == 0
    assert entries() == []


def test_unwritable_cache_does_not_fail_the_run(spec_file, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(cache.ENV_DIR, str(blocker / "cache"))  # a folder under a file: cannot exist
    assert same(simulate(load_spec(spec_file), cache=True), simulate(load_spec(spec_file)))


def test_cache_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "lrplot"


@pytest.mark.slow
def test_a_hit_does_not_import_torch(spec_file, tmp_path):
    # the process is the subject: a second run whose curves are cached must not pay for torch
    simulate(load_spec(spec_file), cache=True)
    code = ("import sys; from lrplot.cli import app; "
            f"code = app([{str(spec_file)!r}, '-o', {str(tmp_path / 'x.png')!r}, '-q'], standalone_mode=False); "
            "print(code, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split()[-2:] == ["0", "False"], out.stderr
    assert (tmp_path / "x.png").stat().st_size > 0


# --- the key is exact: a hit is exactly the curve a fresh simulation gives (issue 9) ------------

def bitwise_same(a: Curves, b: Curves) -> bool:
    """Like ``same``, but NaN equals NaN and -0.0 differs from 0.0: the very bytes."""
    return same_meta(a, b) and all(
        x.values[k].tobytes() == y.values[k].tobytes() for x, y in zip(a.schedules, b.schedules) for k in x.values)


def same_meta(a: Curves, b: Curves) -> bool:
    return [(s.name, s.steps, tuple(s.values)) for s in a.schedules] == \
        [(s.name, s.steps, tuple(s.values)) for s in b.schedules]


PLATEAU = """
steps: 30
metric: "1.0"
scheduler: {type: ReduceLROnPlateau, factor: 0.5, patience: VALUE}
"""
COSINE = "steps: 12\nscheduler: {type: CosineAnnealingLR, T_max: 6, eta_min: VALUE}\n"


@pytest.mark.parametrize("template,values", [
    (PLATEAU, (".inf", "-.inf", "2")),  # patience: .inf then -.inf drew the old curve
    (COSINE, (".nan", ".inf", "-.inf", "0.0")),  # NaN, +inf and -inf were one key
])
def test_nan_and_infinities_are_distinct_keys(write_spec, template, values):
    fresh = {}
    for v in values:
        path = write_spec(template.replace("VALUE", v), "s.yaml")
        fresh[v] = simulate(load_spec(path))
        first = simulate(load_spec(path), cache=True)  # stores (or hits an entry of an earlier value)
        again = simulate(load_spec(path), cache=True)  # a hit
        assert bitwise_same(first, fresh[v]) and bitwise_same(again, fresh[v]), v
    lr = {v: fresh[v].schedules[0].values[(0, "lr")].tobytes() for v in values}
    assert len(set(lr.values())) >= 3  # the values really give other curves (NaN and inf may both give NaN)
    assert len(entries()) == len(values)


def test_negative_zero_and_int_or_float_are_distinct_keys(write_spec):
    texts = {
        "zero": "steps: 12\nscheduler: {type: CosineAnnealingLR, T_max: 6, eta_min: 0.0}\n",
        "minus zero": "steps: 12\nscheduler: {type: CosineAnnealingLR, T_max: 6, eta_min: -0.0}\n",
        "int": "steps: 12\nscheduler: {type: ExponentialLR, gamma: 1}\n",
        "float": "steps: 12\nscheduler: {type: ExponentialLR, gamma: 1.0}\n",
    }
    keys = set()
    for name, text in texts.items():
        path = write_spec(text, "z.yaml")
        fresh = simulate(load_spec(path))
        assert bitwise_same(simulate(load_spec(path), cache=True), fresh), name
        assert bitwise_same(simulate(load_spec(path), cache=True), fresh), name
        keys.add(cache.entry_path(spec_key(load_spec(path))).name)
    assert len(keys) == 4 == len(entries())


def test_exact_encoding_tells_every_value_type_apart():
    values = [None, True, False, 1, 1.0, -0.0, 0.0, 0, float("nan"), float("inf"), float("-inf"), "1", "1.0",
              [1], (1,), {"a": 1}, [1.0], 10**30, 1e30]
    encoded = [json.dumps(cache.exact(v)) for v in values]
    assert len(set(encoded)) == len(values)


def test_the_metric_csv_is_read_once_and_a_fifo_works(tmp_path, monkeypatch):
    """The cache hashes and the simulation parses the same text: the file is opened once."""
    rows = "step,loss\n" + "".join(f"{i},{1 / (i + 1)}\n" for i in range(40))
    (tmp_path / "loss.csv").write_text(rows)
    spec_text = "steps: 30\nmetric: {csv: loss.csv, column: loss}\nscheduler: {type: ReduceLROnPlateau, patience: 1}\n"
    (tmp_path / "p.yaml").write_text(spec_text)
    reference = simulate(load_spec(tmp_path / "p.yaml"))
    import lrplot.spec.models as spec_module  # where Spec.read_input reads its inputs

    opened = []
    real = spec_module.read_text
    monkeypatch.setattr(spec_module, "read_text", lambda p, *a: opened.append(Path(p).name) or real(p, *a))
    got = simulate(load_spec(tmp_path / "p.yaml"), cache=True)
    assert opened.count("loss.csv") == 1
    assert bitwise_same(got, reference)
    monkeypatch.undo()
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.remove(tmp_path / "loss.csv")
    os.mkfifo(tmp_path / "loss.csv")
    import threading

    def feed():
        with open(tmp_path / "loss.csv", "w") as fh:
            fh.write(rows)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    got = simulate(load_spec(tmp_path / "p.yaml"), cache=True)
    writer.join(5)
    assert bitwise_same(got, reference)
