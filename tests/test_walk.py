"""The one walker of a Spec: every scheduler node, import path and file it reads."""

from __future__ import annotations

from lrplot.spec import parse_spec
from lrplot.walk import import_paths, input_files, local_files, nodes

SPEC = """\
schedules:
  - name: a
    scheduler:
      type: SequentialLR
      milestones: [5]
      schedulers:
        - {type: LinearLR, total_iters: 5}
        - type: ChainedScheduler
          schedulers:
            - {type: "my_schedules.py:WarmupPoly"}
            - {type: ExponentialLR, gamma: 0.9}
  - name: b
    optimizer: {type: "mylib.optim:Fancy"}
    scheduler:
      - {type: "transformers:get_constant_schedule"}
      - {type: "my_schedules.py:WarmupPoly"}
    metric: {csv: losses.csv, column: loss}
steps: 10
"""


def _spec(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SPEC)
    return parse_spec(SPEC, name=str(path))


def test_nodes_are_every_scheduler_parent_first_in_file_order(tmp_path):
    spec = _spec(tmp_path)
    assert [(n.type, n.path) for n in nodes(spec)] == [
        ("SequentialLR", ("schedules", 0, "scheduler")),
        ("LinearLR", ("schedules", 0, "scheduler", "schedulers", 0)),
        ("ChainedScheduler", ("schedules", 0, "scheduler", "schedulers", 1)),
        ("my_schedules.py:WarmupPoly", ("schedules", 0, "scheduler", "schedulers", 1, "schedulers", 0)),
        ("ExponentialLR", ("schedules", 0, "scheduler", "schedulers", 1, "schedulers", 1)),
        ("transformers:get_constant_schedule", ("schedules", 1, "scheduler", 0)),
        ("my_schedules.py:WarmupPoly", ("schedules", 1, "scheduler", 1)),
    ]


def test_import_paths_are_named_once_optimizers_included(tmp_path):
    assert import_paths(_spec(tmp_path)) == ["mylib.optim:Fancy", "my_schedules.py:WarmupPoly",
                                             "transformers:get_constant_schedule"]


def test_files_a_run_reads(tmp_path):
    spec = _spec(tmp_path)
    assert [file for _, file in local_files(spec)] == [tmp_path / "my_schedules.py"] * 2
    assert input_files([spec]) == [
        (tmp_path / "s.yaml", "a spec file"),
        (tmp_path / "losses.csv", "the metric CSV of s.yaml"),
        (tmp_path / "my_schedules.py", "a Python file s.yaml imports"),
        (tmp_path / "my_schedules.py", "a Python file s.yaml imports"),
    ]
