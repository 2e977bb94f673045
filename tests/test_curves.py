import csv
import io
import json

import numpy as np
import pytest

from lrplot.curves import Curves, ScheduleTrace, to_csv_text, to_json_text


def make_curves():
    tricky = np.array([0.1, 1 / 3, 1e-300, 2.5e-5 + 1e-20, np.nextafter(0.1, 1), 0.0])
    return Curves((
        ScheduleTrace("a", "StepLR", 6, "step", None, ("backbone", "head"), ("lr",),
                       {(0, "lr"): tricky, (1, "lr"): tricky * 7}),
        ScheduleTrace("b", "OneCycleLR", 2, "step", None, ("0",), ("lr", "momentum"),
                       {(0, "lr"): np.array([1.0, 2.0]), (0, "momentum"): np.array([0.95, np.nan])}),
    ), title="t")


def test_csv_has_exact_columns_order_and_round_trips():
    curves = make_curves()
    text = to_csv_text(curves)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["schedule", "group", "field", "step", "value"]
    assert len(rows) == 1 + 6 * 2 + 2 * 2
    assert rows[1:3] == [["a", "0", "lr", "0", "0.1"], ["a", "0", "lr", "1", repr(1 / 3)]]
    back = np.array([float(r[4]) for r in rows[1:7]])
    assert (back == curves["a"].values[(0, "lr")]).all()  # exact, not approx
    assert rows[-1] == ["b", "0", "momentum", "1", "nan"]


def test_json_nests_schedule_group_field_with_names():
    data = json.loads(to_json_text(make_curves()))
    a = data["schedules"]["a"]
    assert [g["name"] for g in a["groups"]] == ["backbone", "head"]
    assert a["groups"][1]["fields"]["lr"] == (make_curves()["a"].values[(1, "lr")]).tolist()
    assert data["schedules"]["b"]["groups"][0]["fields"]["momentum"] == [0.95, "NaN"]
    assert data["title"] == "t"


def test_json_tells_nan_from_infinities_as_the_csv_does():
    # all three were null, while the CSV of the same curves says nan, inf and -inf
    values = np.array([0.1, np.nan, np.inf, -np.inf, 0.0])
    curves = Curves((ScheduleTrace("s", "X", 5, "step", None, ("0",), ("lr",), {(0, "lr"): values}),))
    text = to_json_text(curves)
    assert '"lr":[0.1,"NaN","Infinity","-Infinity",0.0]' in "".join(text.split())
    field = json.loads(text)["schedules"]["s"]["groups"][0]["fields"]["lr"]  # strict JSON: parses
    back = np.array([float(v) for v in field])  # float() reads every value back, numbers and strings alike
    csv_back = np.array([float(r[4]) for r in list(csv.reader(io.StringIO(to_csv_text(curves))))[1:]])
    np.testing.assert_array_equal(back, values)  # NaN where NaN, each infinity with its sign
    np.testing.assert_array_equal(back, csv_back)
    # strict JSON: none of Python json's bare NaN / Infinity tokens, which other readers refuse
    json.loads(text, parse_constant=lambda token: pytest.fail(f"non-standard token {token}"))


def test_nonfinite_values_are_found():
    ((series, first, count),) = make_curves().nonfinite()
    assert (series.schedule, series.field, first, count) == ("b", "momentum", 1, 1)


def logged_curves():
    """A logged trace: values at steps 0, 10, 20, one of them not finite."""
    at = np.array([0, 10, 20], dtype=np.int64)
    return Curves((ScheduleTrace("run", "log", 21, "step", None, ("0",), ("lr",),
                                 {(0, "lr"): np.array([0.1, np.inf, 0.05])}, at={(0, "lr"): at}),))


def test_every_export_of_a_logged_trace_uses_its_logged_steps():
    curves = logged_curves()
    csv_steps = [int(r[3]) for r in list(csv.reader(io.StringIO(to_csv_text(curves))))[1:]]
    assert csv_steps == [0, 10, 20]
    assert [r["step"] for r in curves.to_records()] == csv_steps
    assert json.loads(to_json_text(curves))["schedules"]["run"]["groups"][0]["fields"]["lr"]["steps"] == csv_steps
    ((_, first, count),) = curves.nonfinite()
    assert (first, count) == (10, 1)  # the step, not the index of the value
    pytest.importorskip("pandas")
    assert curves.to_pandas()["step"].tolist() == csv_steps
