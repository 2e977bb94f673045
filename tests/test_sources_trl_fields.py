"""TRL's config dataclasses read from source (lrplot/sources/trl_fields.py): dataclass rules as Python
applies them, a class it cannot read exactly imported instead, and a TRL config read without importing
trl at all. That the classes so read equal the imported ones: tests/test_dependency_shapes.py."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from lrplot.sources import trl_fields
from tests.helpers.paths import ROOT


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def real_class(path, name):
    """The class as Python makes it from the same file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_dataclass_probe_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return trl_fields.ConfigFields.of(getattr(module, name))


def test_fields_and_defaults_follow_pythons_dataclass_rules(tmp_path):
    path = write(tmp_path, "configs.py", """\
        from dataclasses import KW_ONLY, InitVar, dataclass, field
        from typing import ClassVar

        @dataclass
        class Base:
            learning_rate: float = 5e-5
            steps: int = field(default=-1, metadata={"help": "x"})
            names: list = field(default_factory=list)
            table: ClassVar[dict] = {}

        @dataclass
        class Child(Base):
            learning_rate: float = 1e-6
            beta: float = -0.1
            mode: str = field(default="a", metadata={"help": "y"})
            _: KW_ONLY
            seed: InitVar[int] = 3
            steps: int = 7
            plain = 4
        """)
    read = trl_fields._read(tmp_path, path, "Child")
    assert read == real_class(path, "Child") and read.defaults == real_class(path, "Child").defaults
    assert read.fields == ("learning_rate", "steps", "names", "beta", "mode")


def test_a_default_that_is_not_a_literal_is_not_read(tmp_path):
    path = write(tmp_path, "configs.py", """\
        from dataclasses import dataclass
        LIMIT = 3

        @dataclass
        class Config:
            limit: int = LIMIT
        """)
    with pytest.raises(trl_fields._Unreadable):
        trl_fields._read(tmp_path, path, "Config")


@pytest.mark.slow  # a child process: what a fresh lrplot process imports
def test_a_trl_config_is_read_without_importing_trl():
    import json
    import os
    import subprocess
    import sys

    pytest.importorskip("trl")
    child = ("import json, sys\n"
             "from lrplot.sources import BudgetInputs, load_input\n"
             "s = load_input(sys.argv[1], inputs=BudgetInputs(dataset_size=1000))\n"
             "print(json.dumps([s.kind, sorted(m for m in sys.modules if m == 'trl' or m.startswith('trl.'))]))\n")
    path = ROOT / "tests" / "data" / "published" / "open-r1_qwen2.5-1.5b_grpo_config_demo.yaml"
    out = subprocess.run([sys.executable, "-c", child, str(path)], capture_output=True, text=True, timeout=300,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert json.loads(out.stdout.splitlines()[-1]) == ["trl", []]


def test_config_fields_of_a_record_equal_dataclasses_fields():
    @dataclasses.dataclass
    class C:
        a: int
        b: float = 0.5
        c: list = dataclasses.field(default_factory=list)

    assert trl_fields.ConfigFields.of(C) == trl_fields.ConfigFields("C", ("a", "b", "c"), {"b": 0.5})
