"""--print-spec's YAML: loading the printed spec gives the same spec and the same curves."""

from __future__ import annotations

import numpy as np
import pytest

from lrplot.engine import simulate
from lrplot.sources import load_input
from lrplot.spec import parse_spec
from lrplot.specyaml import dump_spec, spec_data

from tests.helpers.paths import CONFIGS

IMPORT_FREE = [p for p in sorted(CONFIGS.glob("*.yaml")) if '.py:' not in p.read_text()
               and 'transformers:' not in p.read_text() and 'pytorch_accelerated' not in p.read_text()
               and 'timm' not in p.read_text() and 'csv' not in p.read_text()]


@pytest.mark.parametrize("path", IMPORT_FREE, ids=lambda p: p.name)
def test_every_example_round_trips_to_the_same_curves(path):
    spec = load_input(path).spec
    text = dump_spec(spec, ["a comment"])
    again = parse_spec(text)
    assert spec_data(again) == spec_data(spec)
    a, b = simulate(spec), simulate(again)
    for sa, sb in zip(a.series(), b.series(), strict=True):
        assert np.array_equal(sa.values, sb.values)


@pytest.mark.parametrize("text", ["1e-3", "0o17", "true", "null", "017", "1_000", ".inf", "a: b", "- x", "",
                                  "yes", "on", "line\nbreak", "#x", "[1]"])
def test_strings_stay_strings(text):
    spec = parse_spec("steps: 3\nscheduler: {type: LambdaLR, lr_lambda: '1'}\n")
    data = spec_data(spec)
    data["title"] = text
    data["scheduler"]["name_like"] = text
    printed = dump_spec(spec.model_validate(data))
    again = parse_spec(printed)
    assert again.title == text and again.scheduler.options["name_like"] == text


def test_deterministic_and_commented():
    spec = load_input(CONFIGS / "two_groups.yaml").spec
    text = dump_spec(spec, ["first", "second\nthird"])
    assert text == dump_spec(spec, ["first", "second\nthird"])
    assert text.splitlines()[:3] == ["# first", "# second", "# third"]
    assert "initial_lr" not in text  # only the keys the spec was given
