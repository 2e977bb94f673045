"""The allow rule's state is explicit: what a process loaded is a Loaded record an Allowance reads."""

from __future__ import annotations

from pathlib import Path

from lrplot.errors import Location
from lrplot.imports import LOADED, Allowance, Loaded, resolve_allowed

MODULE = "import torch\n\nclass Warm(torch.optim.lr_scheduler.LambdaLR):\n    pass\n"


def _resolve(path: Path, allowance: Allowance):
    return resolve_allowed(f"{path.name}:Warm", allow_import=allowance, location=Location("s.yaml"),
                           base_dir=path.parent)


def test_a_local_file_is_recorded_in_the_allowances_record_only(tmp_path):
    path = tmp_path / "my_sched.py"
    path.write_text(MODULE)
    before = dict(LOADED.local_files)
    first, second = Loaded(), Loaded()
    cls = _resolve(path, Allowance(files=frozenset({path.resolve()}), loaded=first))
    assert list(first.local_files.values()) == [path.resolve()] and LOADED.local_files == before
    name = cls.__module__
    assert Allowance(files=frozenset({path.resolve()}), loaded=first).may_import(name)
    # another record never loaded it: the private name is nothing it allows
    assert not Allowance(files=frozenset({path.resolve()}), loaded=second).may_import(name)
    # the same record gives the same module back; another record loads its own
    assert _resolve(path, Allowance(files=frozenset({path.resolve()}), loaded=first)) is cls
    assert _resolve(path, Allowance(files=frozenset({path.resolve()}), loaded=second)) is not cls
