"""The one table of log conventions, the log reader registry, and README's copy of the table."""

from __future__ import annotations

import numpy as np
import pytest

from lrplot import logs
from lrplot.logs.conventions import CONVENTIONS, convention, markdown_table
from tests.helpers.paths import ROOT



def test_readme_shows_the_table_the_readers_use():
    assert markdown_table() in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt, key, step, offset", [
    ("hf", "learning_rate", "step", 1),
    ("tensorboard", "train/learning_rate", "step", 1),
    ("tensorboard", "lr-AdamW", "step", 0),
    ("tensorboard", "lr", "step", 0),
    ("tensorboard", "lr/group_0", "step", 1),  # pytorch-ignite OptimizerParamsHandler
    ("tensorboard", "training/lr/group_1", "step", 1),  # ... with tag="training"
    ("tensorboard", "lr/pg1", "step", 0),
    ("mlflow", "lr group_0", "step", 1),  # pytorch-ignite MLflowLogger
    ("mlflow", "lr", "step", 0),
    ("lightning-csv", "lr-SGD", "step", 0),
    ("lightning-csv", "lr", "step", 0),
    ("wandb-csv", "lr-AdamW", "trainer/global_step", 0),
    ("wandb-csv", "train/learning_rate", "train/global_step", 1),
    ("wandb-csv", "lr", "_step", 0),
    ("csv", "lr", "step", 0),
    ("wandb", "lr-SGD", "trainer/global_step", 0),
    ("wandb", "train/learning_rate", "train/global_step", 1),
    ("wandb", "lr", "_step", 0),
    ("wandb", "lr/group_0", "_step", 1),  # pytorch-ignite WandBLogger: wandb.log(step=iteration)
    ("mlflow", "lr", "step", 0),
    ("tensorboard", "lr/AdamW", "step", 1),      # torchtitan: lr/<optimizer class>, 1-based
    ("tensorboard", "lr/AdamW/1", "step", 1),
    ("tensorboard", "lr/pg1", "step", 0),
    ("mlflow", "lr group_0", "step", 1),  # pytorch-ignite MLflowLogger
    ("mlflow", "lr", "step", 0),        # a plain loop's per-group tags
    ("tensorboard", "lr/0", "step", 0),
    ("tensorboard", "lr/head", "step", 0),
])
def test_the_offset_of_each_writer(fmt, key, step, offset):
    assert convention(fmt, key, step).offset == offset


def test_every_format_and_step_column_has_a_convention():
    from lrplot.logs.csvlogs import _STEP_COLUMNS
    from lrplot.logs.wandbrun import STEP_KEYS

    for fmt in logs.FORMATS:
        for step in _STEP_COLUMNS.get(fmt, STEP_KEYS if fmt == "wandb" else ("step",)):
            assert convention(fmt, "some/lr", step) in CONVENTIONS
    with pytest.raises(LookupError):
        convention("hf", "lr", "_step")


def test_a_value_read_after_the_update_is_one_step_earlier():
    from dataclasses import replace

    hf = convention("hf", "learning_rate")
    assert (hf.offset, replace(hf, lr="next").offset) == (1, 0)


def test_the_trace_records_whose_convention_its_steps_follow(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("step,lr\n0,0.1\n1,0.05\n")
    (trace,) = logs.load_log(path).schedules
    info = logs.log_info(trace)
    assert (info.format, info.step_offset, info.writer) == ("csv", 0, convention("csv", "lr").writer)


class _Toy:
    """A log format of one line per update: 'update <t> lr <value>'."""

    LOOKS_FOR = {"toy-log": "a toy log"}
    FINDS = {"toy-log": "toy.log"}

    def find(self, folder, fmt):
        return folder / "toy.log" if (folder / "toy.log").is_file() else None

    def detect_file(self, path, fmt):
        return path.suffix == ".log" and path.read_text().startswith("update ")

    def read(self, path, fmt, key):
        rows = [line.split() for line in path.read_text().splitlines()]
        raw = logs.Raw("", "lr", np.array([int(r[1]) for r in rows]), np.array([float(r[3]) for r in rows]))
        return logs.build_curves([raw], "csv", path, "float64", key=key)


def test_a_registered_log_reader_is_recognised_in_files_and_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "FORMATS", dict(logs.FORMATS))
    logs.register("toy-log", _Toy())
    (tmp_path / "toy.log").write_text("update 0 lr 0.5\nupdate 1 lr 0.25\n")
    assert logs.detect(tmp_path / "toy.log") == ("toy-log", tmp_path / "toy.log")
    assert logs.detect(tmp_path) == ("toy-log", tmp_path / "toy.log")
    (trace,) = logs.load_log(tmp_path, fmt="toy-log").schedules
    assert list(trace.values[(0, "lr")]) == [0.5, 0.25]
    (tmp_path / "empty").mkdir()
    with pytest.raises(logs.LogError, match=r"looked for trainer_state.json, metrics.csv, .*TensorBoard event files"
                                            r".* and toy.log\)"):
        logs.detect(tmp_path / "empty")


def test_register_refuses_an_object_that_is_not_a_log_reader(monkeypatch):
    monkeypatch.setattr(logs, "FORMATS", dict(logs.FORMATS))
    with pytest.raises(TypeError):
        logs.register("toy-log", object())
    assert "toy-log" not in logs.FORMATS


def test_the_log_format_help_lists_the_registry():
    """--help cannot import lrplot.logs (numpy), so the option's help names the formats itself: it
    must name exactly the registry's, in its order."""
    from lrplot.cli.options import LogFormatOpt

    (option,) = LogFormatOpt.__metadata__
    assert option.help == f"Force the log's format: {' | '.join(logs.FORMATS)}."
