"""The file store's bulk reader (lrplot/logs/mlflowtext.py): every value it reads is, bit for bit, the
double Python's ``float()`` reads from the same text (MLflow's own file-store reader calls
``float(metric_parts[1])``: mlflow/store/tracking/file_store.py ``_get_metric_from_line``), for lines
written as MLflow's file store writes them (``f"{metric.timestamp} {metric.value} {metric.step}\\n"``,
file_store.py ``_log_run_metric``); text it does not read in bulk goes to the line-by-line reader,
and a damaged line is still one located line.
"""

from __future__ import annotations

import shutil
import struct
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np
import pytest

from lrplot.logs import load_log, mlflowtext
from lrplot.logs.mlflowtext import metric_columns

DATA = Path(__file__).resolve().parent / "data" / "mlflow"
SPECIAL = next(m for m in (DATA / "special" / "mlruns").rglob("metrics/lr") if len(m.read_bytes().split(b"\n")[0].split()) == 3)
EDGES = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e+308,
         float("inf"), float("-inf"), float("nan"), 1e-05, 0.1, 0.3, 1 / 3, 2.0**-1074 * 12345, 9007199254740993.0,
         1e22, 1e23, 123456789012345.67, 0.00029999999999926223, 1e-27, 1.2345678901234567e-28, 1e27, 1e28]


def bits(values) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]


def random_doubles(n: int, seed: int) -> list[float]:
    """Random 64-bit patterns (every exponent, sign, NaN payloads), then learning rates in 1e-9..1e-1."""
    rng = np.random.default_rng(seed)
    patterns = rng.integers(0, 2**64, n, dtype=np.uint64).view(np.float64).tolist()
    return patterns + (10.0 ** rng.uniform(-9, -1, n)).tolist()


def halfway_texts(values: list[float]) -> list[str]:
    """Decimal texts at, just above and just below the halfway point between each double and the next,
    with 17, 19 and 30 significant digits: where a rounding of a rounding could differ from float()."""
    out = []
    with localcontext() as ctx:
        ctx.prec = 80
        for v in values:
            mid = (Decimal(v) + Decimal(float(np.nextafter(v, np.inf)))) / 2
            for digits in (17, 19, 30):
                ctx.prec = digits
                for t in (+mid, mid.next_plus(), mid.next_minus()):
                    out.append(f"{t:e}" if t.adjusted() < -4 else f"{t:f}")
                ctx.prec = 80
    return out


def lines(texts: list[str]) -> bytes:
    """Lines as MLflow's file store writes them (its value field is ``f"{value}"``, repr of a float)."""
    return "".join(f"{1796599375334 + i // 7} {t} {i}\n" for i, t in enumerate(texts)).encode()


@pytest.fixture(params=["x87", "generic"])
def path(request, monkeypatch):
    """Both ways to tell a halfway case: the long double's bits (x86) and the distance to the halfway point."""
    if request.param == "x87" and not mlflowtext.X87:
        pytest.skip("the long double here is not x86's 80-bit one")
    if request.param == "generic":
        monkeypatch.setattr(mlflowtext, "X87", False)
    return request.param


def test_values_are_what_float_reads_bit_for_bit(path, monkeypatch):
    calls = []
    monkeypatch.setattr(mlflowtext, "float", lambda text: calls.append(text) or float(text), raising=False)
    doubles = EDGES + random_doubles(20000, 22)
    texts = [f"{v}" for v in doubles] + halfway_texts(random_doubles(300, 7)[300:] + EDGES[10:19])
    texts += ["1.", ".5", "-.5e-3", "0.1e+3", "1e5", "007.50", "0.000000000000000000001", "1" * 30, "-0", "0e0"]
    stamps, values, steps = metric_columns(lines(texts))
    assert bits(values) == bits(float(t) for t in texts)
    assert stamps is None and steps.tolist() == list(range(len(texts)))
    assert 0 < len(calls) < len(texts) / 2  # most converted in bulk; the rest by float() itself
    monkeypatch.setattr(mlflowtext, "CHUNK", 5000)  # the same, read 5000 bytes of lines at a time
    assert bits(metric_columns(lines(texts))[1]) == bits(values)
    assert {"nan", "inf", "-inf", "1.7976931348623157e+308", "5e-324", "1" * 30} <= set(calls)


def test_learning_rates_are_converted_in_bulk(path, monkeypatch):
    calls = []
    monkeypatch.setattr(mlflowtext, "float", lambda text: calls.append(text) or float(text), raising=False)
    rates = random_doubles(20000, 3)[20000:]
    _, values, _ = metric_columns(lines([f"{v}" for v in rates]))
    assert bits(values) == bits(rates) and len(calls) < 20  # halfway-near cases only


def test_without_a_wide_long_double_float_converts_every_value(monkeypatch):
    monkeypatch.setattr(mlflowtext, "POWERS", None)
    texts = [f"{v}" for v in EDGES + random_doubles(500, 5)]
    assert bits(metric_columns(lines(texts))[1]) == bits(float(t) for t in texts)


@pytest.mark.parametrize("chunk", [1 << 20, 64])
def test_the_special_run_is_read_in_bulk_as_line_by_line(monkeypatch, chunk):
    """Its step 3 logged twice: the timestamps come back too (across pieces read apart, too)."""
    monkeypatch.setattr(mlflowtext, "CHUNK", chunk)
    data = SPECIAL.read_bytes()
    stamps, values, steps = metric_columns(data)
    rows = [line.split(" ") for line in data.decode().splitlines()]
    assert bits(values) == bits(float(r[1]) for r in rows)
    assert steps.tolist() == [int(r[2]) for r in rows] and stamps.tolist() == [int(r[0]) for r in rows]


@pytest.mark.parametrize("text", ["1E5", "+0.5", "1_0.5", "-nan", "Infinity", "0x1p-3", "١.5"])
def test_text_float_reads_otherwise_is_left_to_the_line_reader(tmp_path, text):
    """float() takes these (MLflow never writes them): the bulk reader declines the file, and the line
    reader reads it as MLflow's reader would (or names the line where float() refuses too)."""
    data = lines(["0.5", text, "0.25"])
    assert metric_columns(data) is None
    metric = tmp_path / "run" / "metrics" / "lr"
    metric.parent.mkdir(parents=True)
    (tmp_path / "run" / "meta.yaml").write_text("run_id: run\nrun_name: r\nlifecycle_stage: active\n")
    metric.write_bytes(data)
    try:
        expected = float(text)
    except ValueError:
        with pytest.raises(Exception, match=":2: not an MLflow metric line"):
            load_log(tmp_path / "run")
        return
    values = load_log(tmp_path / "run").schedules[0].values[(0, "lr")]
    assert bits(values) == bits([0.5, expected, 0.25])


@pytest.mark.parametrize("damage", ["0.1.2", "1e", "--1", "1x5", "1e-", "e5", ".", "-", "0.5e+12345", "nan5"])
def test_a_damaged_line_in_a_long_file_is_one_located_line(tmp_path, cli, damage, monkeypatch):
    monkeypatch.setattr(mlflowtext, "CHUNK", 4096)  # the damage in a later piece of the file than the first
    store = tmp_path / "mlruns"
    shutil.copytree(DATA / "mlruns", store)
    metric = next(store.rglob("metrics/lr"))
    texts = [f"{0.001 * 0.999 ** i}" for i in range(3000)]
    texts[1733] = damage
    metric.write_bytes(lines(texts))
    plan = tmp_path / "plan.yaml"
    plan.write_text("steps: 3000\nscheduler: {type: ExponentialLR, gamma: 0.999}\noptimizer: {type: SGD, lr: 0.001}\n")
    try:
        float(damage)
    except ValueError:
        r = cli("verify", plan, "--log", metric.parent.parent)
        assert r.exit_code == 1 and r.output == (f"{metric}:1734: not an MLflow metric line ('timestamp value step'); "
                                                 "each line is written by MLflow as: <timestamp ms> <value> <step> (then "
                                                 "<dataset name> <dataset digest> when logged with a dataset)\n")
    else:  # '0.5e+12345' is inf to float(), as to MLflow's reader
        assert bits(metric_columns(lines(texts))[1]) == bits(float(t) for t in texts)
