import json
from pathlib import Path

import pytest

from lrplot.errors import SpecError, UsageError
from lrplot.spec import json_schema, load_spec, parse_spec

from tests.helpers.paths import ROOT


def err(text, overrides=()):
    with pytest.raises((SpecError, UsageError)) as e:
        parse_spec(text, "s.yaml", overrides)
    return e.value.format()


def test_full_example_loads():
    spec = parse_spec("""
title: Warmup then cosine
steps: 200
optimizer: {type: SGD, lr: 0.1, momentum: 0.9}
param_groups:
  - {name: backbone, lr: 0.01}
  - {name: head}
steps_per_epoch: 50
fields: [lr, momentum]
schedules:
  - name: cosine
    scheduler: {type: CosineAnnealingLR, T_max: 200}
  - name: warmup+cosine
    optimizer: {type: AdamW, lr: 3e-4}
    scheduler:
      type: SequentialLR
      milestones: [10]
      schedulers:
        - {type: LinearLR, start_factor: 0.01, total_iters: 10}
        - {type: CosineAnnealingLR, T_max: 190}
""", "s.yaml")
    first, second = spec.schedule_list()
    assert first.optimizer.type == "SGD" and first.optimizer.options == {"momentum": 0.9}
    assert second.optimizer.type == "AdamW" and second.optimizer.lr == 3e-4
    assert second.group_names == ["backbone", "head"]
    assert second.scheduler.schedulers[1].path == ("schedules", 1, "scheduler", "schedulers", 1)
    assert second.where("optimizer") == ("schedules", 1, "optimizer")
    assert second.where("steps") == ("steps",)


@pytest.mark.parametrize("text, expected", [
    ("stepz: 3\nscheduler: {type: StepLR}\n", "s.yaml:1:1: unknown key 'stepz'; did you mean 'steps'?"),
    ("scheduler: {type: StepLR}\nmetric: {csv: a.csv, colum: x}\n",
     "s.yaml:2:22: unknown key 'colum'; did you mean 'column'?"),
    ("steps: 0\nscheduler: {type: StepLR}\n", "s.yaml:1:8: steps: 0 is not above 0; write a number above 0"),
    ("steps: many\nscheduler: {type: StepLR}\n", "s.yaml:1:8: steps: expected an integer, got the text 'many'"),
    ("interval: epochs\nscheduler: {type: StepLR}\n", "s.yaml:1:11: interval: should be 'step' or 'epoch'"),
    ("scheduler: {step_size: 3}\n", "s.yaml:1:12: scheduler: missing required key 'type'"),
    ("steps: 10\n", "s.yaml:1:1: the spec names no scheduler; add 'scheduler: {type: ...}' or a 'schedules:' list"),
    ("", "s.yaml: the spec is empty; write at least 'scheduler: {type: CosineAnnealingLR, T_max: 100}'"),
    ("- a\n- b\n", "s.yaml:1:1: a spec must be a mapping of keys, not a list; start with 'scheduler:' or 'schedules:'"),
    ("interval: epoch\nscheduler: {type: StepLR}\n",
     "s.yaml:1:11: interval: epoch needs steps_per_epoch; add 'steps_per_epoch: N' (optimizer updates per epoch)"),
    ("schedules:\n  - {name: a, scheduler: {type: StepLR}}\n  - {name: a, scheduler: {type: StepLR}}\n",
     "s.yaml:3:12: two schedules are named 'a' (also schedules[0]); give each schedule its own name"),
    ("scheduler: {type: StepLR}\nschedules: [{name: a, scheduler: {type: StepLR}}]\n", "s.yaml:2:1: give either 'scheduler' or 'schedules', not both"),
])
def test_spec_errors_are_located(text, expected):
    assert err(text) == expected


def test_parse_spec_takes_a_dict_as_a_file_would_hold_it():
    text = "steps: 20\nscheduler: {type: CosineAnnealingLR, T_max: 20, eta_min: 1.0e-5}\n"
    data = {"steps": 20, "scheduler": {"type": "CosineAnnealingLR", "T_max": 20, "eta_min": 1e-5}}
    from_dict = parse_spec(data, overrides=["scheduler.T_max=10"])
    assert from_dict.model_dump() == parse_spec(text, "s.yaml", ["scheduler.T_max=10"]).model_dump()
    assert data["scheduler"]["T_max"] == 20  # the caller's dict is not edited by the override


@pytest.mark.parametrize("data, expected", [
    ({"stepz": 3, "scheduler": {"type": "StepLR"}}, "<spec>:stepz: unknown key 'stepz'; did you mean 'steps'?"),
    ({"scheduler": {"type": "StepLR"}, "metric": {"csv": "a.csv", "colum": "x"}},
     "<spec>:metric.colum: unknown key 'colum'; did you mean 'column'?"),
    ({"steps": "many", "scheduler": {"type": "StepLR"}}, "<spec>:steps: expected an integer, got the text 'many'"),
    ({"scheduler": {"step_size": 3}}, "<spec>:scheduler: missing required key 'type'"),
    ({"schedules": [{"name": "a", "scheduler": {"type": "StepLR"}}, {"name": "a", "scheduler": {"type": "StepLR"}}]},
     "<spec>:schedules[1].name: two schedules are named 'a' (also schedules[0]); give each schedule its own name"),
    ([1], "<spec>: a spec must be a mapping of keys, not a list; start with 'scheduler:' or 'schedules:'"),
])
def test_a_dict_spec_is_refused_at_key_paths(data, expected):
    with pytest.raises(SpecError) as e:
        parse_spec(data)
    assert e.value.format() == expected


def test_overrides_use_yaml_rules_and_report_bad_paths():
    spec = parse_spec("scheduler: {type: CosineAnnealingLR, T_max: 10}\n", "s.yaml",
                      ["scheduler.T_max=50", "steps=1_000", "scheduler.eta_min=1e-5", "optimizer.momentum=0.9"])
    assert spec.scheduler.options == {"T_max": 50, "eta_min": 1e-5}
    assert spec.steps == 1000 and spec.optimizer.options == {"momentum": 0.9}
    assert err("scheduler: {type: StepLR}\n", ["setps=3"]) == "--set setps: unknown key 'setps'; did you mean 'steps'?"
    assert err("scheduler: {type: StepLR}\n", ["steps"]).startswith("--set 'steps': expected key.path=value")
    assert "out of range" in err("schedules: [{name: a, scheduler: {type: StepLR}}]\n", ["schedules[3].name=b"])


def test_load_spec_file_errors(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "missing.yaml")
    with pytest.raises(SpecError, match="is a directory"):
        load_spec(tmp_path)
    bad = tmp_path / "bin.yaml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SpecError, match="not a UTF-8 text file"):
        load_spec(bad)


def test_a_file_that_cannot_be_read_says_what_it_is_and_where(tmp_path, monkeypatch):
    # before: "no such file" for a dangling link and a typo alike, and a bad byte named by offset alone
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cosine.yaml").write_text("scheduler: {type: StepLR, step_size: 2}\n")
    (tmp_path / "dangling.yaml").symlink_to("gone.yaml")
    (tmp_path / "latin1.yaml").write_bytes(b"steps: 10\ntitle: caf\xe9\n")

    def line(path):
        with pytest.raises(SpecError) as err:
            load_spec(Path(path))
        return str(err.value)

    assert line("dangling.yaml") == "dangling.yaml: is a symbolic link to gone.yaml, which does not exist; point the " \
                                    "link at a file"
    assert line("cosine.yml") == "cosine.yml: no such file; did you mean 'cosine.yaml'?"
    assert line("other.yaml") == "other.yaml: no such file"
    assert line("nodir/cosine.yaml") == "nodir/cosine.yaml: no such file; the folder nodir does not exist"
    assert line("latin1.yaml") == "latin1.yaml:2:11: not a UTF-8 text file (byte 20: 0xe9); save the spec as UTF-8 text"


def test_published_json_schema_is_current():
    published = json.loads((ROOT / "schema" / "lrplot-spec.schema.json").read_text())
    assert published == json_schema(), "regenerate with: lrplot schema -o schema/lrplot-spec.schema.json"


def test_every_config_is_a_valid_spec():
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        load_spec(path)


def test_set_tilde_deletes_a_key_or_a_list_item_as_hydra_spells_it():
    text = ("steps: 10\nschedules:\n  - {name: a, scheduler: {type: StepLR, step_size: 2, verbose: false}}\n"
            "  - {name: b, scheduler: {type: StepLR, step_size: 3}}\n")
    spec = parse_spec(text, "s.yaml", ["~schedules[0].scheduler.verbose", "~schedules[1]"])
    assert [s.name for s in spec.schedules] == ["a"] and spec.schedules[0].scheduler.options == {"step_size": 2}
    assert err(text, ["~schedules[0].scheduler.gamma"]) == \
        "--set ~schedules[0].scheduler.gamma: 'schedules[0].scheduler.gamma' is not in the input: nothing to delete"
    assert err(text, ["~schedules[5]"]) == "--set ~schedules[5]: 'schedules[5]' is not in the input: nothing to delete"
    assert err(text, ["~steps=3"]) == ("--set '~steps=3': expected key.path=value (e.g. scheduler.T_max=50), "
                                       "or '~key.path' to delete a key")
    # a key lrplot does not know can be deleted (that is what an old file needs)
    assert parse_spec("steps: 3\nscheduler: {type: StepLR, step_size: 1}\nold_key: 1\n", "s.yaml",
                      ["~old_key"]).steps == 3
