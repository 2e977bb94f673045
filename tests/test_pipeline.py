"""lrplot.pipeline: the one public loader reads every kind ``lrplot plot`` reads, and the phases the
command line, the API and the gallery share give the same curves and bytes."""

from __future__ import annotations

import pytest

import lrplot
from lrplot.errors import UsageError
from lrplot.pipeline import is_spec_text, load_spec
from lrplot.sources import BudgetInputs, load_input
from tests.helpers.paths import CONFIGS

STEP = "{scheduler: {type: StepLR, step_size: 10}, steps: 50}"


def test_lrplot_load_spec_is_the_pipeline_loader():
    assert lrplot.load_spec is load_spec


def test_load_spec_reads_a_training_config_with_its_budget():
    """lrplot.load_spec used to refuse the HF config lrplot.plot and the CLI read."""
    hf = CONFIGS / "frameworks" / "hf_sft.yaml"
    spec = lrplot.load_spec(hf, dataset_size=207865, devices=8)
    expected = load_input(hf, inputs=BudgetInputs(dataset_size=207865, devices=8)).spec
    assert spec.model_dump() == expected.model_dump() and spec.steps == expected.steps


def test_load_spec_forced_kind_and_overrides_as_the_cli():
    spec = lrplot.load_spec(str(CONFIGS / "cosine.yaml"), kind="lrplot", set=["steps=40"])
    assert spec.steps == 40


@pytest.mark.parametrize("text", [STEP, "steps: 50", "scheduler: {type: StepLR, step_size: 10}\nsteps: 50\n"])
def test_one_line_yaml_text_is_text_not_a_path(text):
    """api.as_spec used to read one-line YAML text as a path ('no such file')."""
    assert is_spec_text(text)
    spec = lrplot.load_spec(text, set=["scheduler.type=StepLR", "scheduler.step_size=10"])
    assert spec.steps == 50


@pytest.mark.parametrize("path", ["configs/cosine.yaml", "cosine.yaml", "C:/specs/a.yaml", "C:\\specs\\a.yaml",
                                  "./schema"])
def test_paths_are_paths(path):
    assert not is_spec_text(path)


def test_dicts_and_specs():
    spec = lrplot.load_spec({"steps": 20, "scheduler": {"type": "StepLR", "step_size": 5}}, set=["steps=30"])
    assert spec.steps == 30
    assert lrplot.load_spec(spec) is spec
    with pytest.raises(UsageError) as caught:
        lrplot.load_spec(spec, set=["steps=3"])
    assert caught.value.format() == ("set= applies to a file, text or dict, not to an already validated Spec; "
                                     "pass the path or the dict instead")


def test_text_read_as_another_kind_is_a_usage_error():
    with pytest.raises(UsageError) as caught:
        lrplot.load_spec(STEP, kind="hf")
    assert caught.value.format() == ("--from hf reads a file; spec text and dicts are lrplot specs; "
                                     "pass the config's path")


def test_unknown_source_type():
    with pytest.raises(UsageError) as caught:
        lrplot.load_spec(3)
    assert caught.value.format() == "cannot make a spec from a int; pass a path, YAML text, a dict or a lrplot.Spec"


def test_text_errors_are_located_at_its_name(tmp_path):
    with pytest.raises(lrplot.SpecError) as caught:
        lrplot.load_spec("steps: 0\nscheduler: {type: StepLR, step_size: 10}\n", name="inline")
    assert str(caught.value.location).startswith("inline:1")


def test_plot_reads_a_training_config_and_one_line_text():
    fig = lrplot.plot(STEP, annotate="none")
    assert fig.axes
