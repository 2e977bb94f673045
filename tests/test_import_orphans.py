"""Import failures of a framework. A framework whose package ``__init__`` fails part-way (torchtitan 0.2.2
without triton) leaves the submodules it imported first in ``sys.modules``. Python then fails the NEXT import under it with
``KeyError: 'torchtitan'`` (a namespace subpackage looks its parent up), which lrplot reported as an internal
error (exit 70) on the second torchtitan config of one command: ``lrplot check a.toml b.toml``. Every config
of the run must get the same one-line MissingLibraryError instead.

The package here stands in for torchtitan exactly where it matters: ``torchtitan/components`` has no
``__init__.py`` (as in torchtitan 0.2.2), and the package ``__init__`` imports submodules (a regular one,
``config``, and one under the namespace) before the import that fails (torchtitan's models import triton)."""

from __future__ import annotations

import sys

import pytest

from lrplot.errors import MissingLibraryError, SpecError
from lrplot.sources import load_input
from lrplot.spec import load_spec

from tests.helpers.paths import ROOT

TOML = ROOT / "tests" / "data" / "torchtitan" / "debug_model.toml"
MISSING = "lrplot_test_missing_kernels"


def _package(root, name: str) -> None:
    (root / name / "components").mkdir(parents=True)
    (root / name / "config").mkdir()
    (root / name / "config" / "__init__.py").write_text("")
    (root / name / "__init__.py").write_text(f"import {name}.config\nimport {name}.components.tokenizer\n"
                                             f"import {MISSING}\n")
    (root / name / "components" / "tokenizer.py").write_text("")
    (root / name / "components" / "lr_scheduler.py").write_text("def build_lr_schedulers(*a, **k):\n    pass\n")


@pytest.fixture
def half_importable(tmp_path, monkeypatch):
    """``name`` importable from tmp_path only, with no earlier import of it in this process."""
    def make(name: str) -> None:
        _package(tmp_path, name)
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.delitem(sys.modules, module)
        monkeypatch.syspath_prepend(str(tmp_path))
    yield make
    for module in [m for m in sys.modules if m.startswith(("torchtitan", "lrplot_test_pkg"))]:
        sys.modules.pop(module, None)  # what the test imported from tmp_path; monkeypatch restores the rest


def test_a_second_config_of_a_half_imported_framework_fails_as_the_first(half_importable):
    half_importable("torchtitan")
    messages = []
    for _ in range(2):
        with pytest.raises(MissingLibraryError) as info:
            load_input(TOML)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert messages[0] == (
        f"{TOML}: reading this torchtitan config needs the Python package '{MISSING}', which does not import "
        f"here (No module named '{MISSING}'); install it in the environment that runs lrplot "
        f"(pip install {MISSING.replace('_', '-')})")


def test_a_second_scheduler_of_a_half_imported_package_fails_as_the_first(half_importable, tmp_path):
    """The same through the import allowance: a spec naming a scheduler of an allowed package."""
    half_importable("lrplot_test_pkg")
    spec = tmp_path / "spec.yaml"
    spec.write_text("steps: 10\nscheduler: {type: lrplot_test_pkg.components.lr_scheduler:Sched}\n")
    from lrplot.engine import simulate

    messages = []
    for _ in range(2):
        with pytest.raises(SpecError) as info:
            simulate(load_spec(spec), allow_import=["lrplot_test_pkg"])
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert f"no module named '{MISSING}'" in messages[0]


def test_a_package_that_refuses_its_own_import_says_to_install_it_as_documented(tmp_path, monkeypatch):
    """torchtune 0.6.1's __init__ raises ImportError('torchao not installed. Please follow ...') without torchao:
    the line says what the package said and what to do, not only 'run with --debug'."""
    package = tmp_path / "lrplot_test_refuses"
    package.mkdir()
    (package / "__init__.py").write_text("raise ImportError('\\n    kernels not installed.\\n    Please follow "
                                         "the instructions.\\n')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = tmp_path / "spec.yaml"
    spec.write_text("steps: 10\nscheduler: {type: lrplot_test_refuses.sched:Sched}\n")
    from lrplot.engine import simulate

    with pytest.raises(SpecError) as info:
        simulate(load_spec(spec), allow_import=["lrplot_test_refuses"])
    sys.modules.pop("lrplot_test_refuses", None)
    assert info.value.format() == (
        f"{spec}:2:19: importing 'lrplot_test_refuses.sched' failed: kernels not installed; lrplot_test_refuses "
        "imports a package that is missing here or of a version it does not work with; install lrplot_test_refuses "
        "as its documentation says (--debug shows the traceback)")
