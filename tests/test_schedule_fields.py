"""``fields`` per schedule, like ``steps`` and ``optimizer``: each schedule records its own fields,
compared with a plain torch loop."""

from __future__ import annotations

import numpy as np
import torch
from torch.optim import lr_scheduler as L

from lrplot.engine import simulate
from lrplot.errors import SpecError
from lrplot.spec import parse_spec

SPEC = """
steps: 20
fields: [lr]
schedules:
  - name: sgd
    optimizer: {type: SGD, lr: 0.1, momentum: 0.9}
    fields: [lr, momentum]
    scheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 20}
  - name: adamw
    optimizer: {type: AdamW, lr: 0.001, weight_decay: 0.05}
    fields: [lr, weight_decay]
    scheduler: {type: CosineAnnealingLR, T_max: 20}
  - name: plain
    scheduler: {type: StepLR, step_size: 5}
"""


def _torch(opt, sched, fields, steps=20):
    out = {f: [] for f in fields}
    for _ in range(steps):
        for f in fields:
            out[f].append(opt.param_groups[0][f])
        opt.step()
        sched.step()
    return out


def test_each_schedule_records_its_own_fields():
    curves = simulate(parse_spec(SPEC, "s.yaml"))
    sgd, adamw, plain = curves.schedules
    assert (sgd.fields, adamw.fields, plain.fields) == (("lr", "momentum"), ("lr", "weight_decay"), ("lr",))
    p = [torch.nn.Parameter(torch.zeros(1))]
    opt = torch.optim.SGD(p, lr=0.1, momentum=0.9)
    ref = _torch(opt, L.OneCycleLR(opt, max_lr=0.1, total_steps=20), ("lr", "momentum"))
    for f in ("lr", "momentum"):
        assert np.asarray(sgd.values[(0, f)]).tolist() == ref[f]
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=0.001, weight_decay=0.05)
    ref = _torch(opt, L.CosineAnnealingLR(opt, T_max=20), ("lr", "weight_decay"))
    for f in ("lr", "weight_decay"):
        assert np.asarray(adamw.values[(0, f)]).tolist() == ref[f]


def test_a_schedules_bad_field_is_located_in_its_own_list():
    bad = SPEC.replace("fields: [lr, weight_decay]", "fields: [lr, momentum_decay]")
    try:
        simulate(parse_spec(bad, "s.yaml"))
    except SpecError as e:
        assert e.format().startswith("s.yaml:11:18: the param groups have no field 'momentum_decay'"), e.format()
    else:
        raise AssertionError("no error")
    twice = SPEC.replace("fields: [lr, weight_decay]", "fields: [lr, lr]")
    try:
        parse_spec(twice, "s.yaml")
    except SpecError as e:
        assert e.format() == "s.yaml:11:18: field 'lr' is listed twice", e.format()
    else:
        raise AssertionError("no error")


def test_the_csv_export_has_each_schedules_fields(cli, tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC)
    r = cli("s.yaml", "-o", "s.png", "--data", "s.csv")
    assert r.exit_code == 0, r.output
    rows = (tmp_path / "s.csv").read_text().splitlines()[1:]
    seen = {(r.split(",")[0], r.split(",")[2]) for r in rows}
    assert seen == {("sgd", "lr"), ("sgd", "momentum"), ("adamw", "lr"), ("adamw", "weight_decay"), ("plain", "lr")}
