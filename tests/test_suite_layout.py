"""The test suite's own rules, checked on its source and on itself: helpers shared by test modules live
in tests/helpers/ (no test module imports another test module or conftest.py), the repository's paths
are written once, no test reads a clock (a hang guard is ``@pytest.mark.timeout``, a child process's
``timeout=``), and a test that starts a process is marked slow."""

from __future__ import annotations

import ast
import functools
import multiprocessing
import subprocess
import sys

import pytest

from tests.helpers.paths import ROOT

TESTS = ROOT / "tests"
SOURCES = sorted(TESTS.rglob("*.py"))


@functools.lru_cache(maxsize=None)
def tree(path) -> ast.Module:
    """The parsed source of ``path``, parsed when a test first asks: at the module's top every
    pytest-xdist worker parsed the whole suite while collecting (a second of CPU each)."""
    return ast.parse(path.read_text(), str(path))


# Clocks a test could time something with; time.process_time (a child's own CPU, a resource limit
# like its memory) and time.sleep are not among them.
CLOCKS = {"time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns"}


def module_of(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts if parts[-1] != "__init__" else parts[:-1] + ("__init__",))


def imports(source: str | ast.Module, module: str):
    """(line, absolute module name) of every import in the source of ``module``, inside functions too,
    with each name of ``from X import name`` also given as ``X.name`` (it may be a module)."""
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source) if isinstance(source, str) else source):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def is_test_module(name: str) -> bool:
    """A test module or conftest.py, or a name inside one (``tests.test_cli.run``, ``test_cli``)."""
    parts = name.split(".")
    first = parts[1] if parts[0] == "tests" and len(parts) > 1 else parts[0]
    return first.startswith("test_") or first == "conftest"


def test_no_test_module_imports_another_test_module_or_conftest():
    found = [f"{path.relative_to(ROOT)}:{line}: imports {name}" for path in SOURCES
             for line, name in imports(tree(path), module_of(path))
             if is_test_module(name) and not f"{name}.".startswith(f"{module_of(path)}.")]  # itself is fine
    assert found == [], "shared helpers belong in tests/helpers/:\n" + "\n".join(found)


def test_the_import_check_sees_every_form():
    forms = {"from .test_simulate import SIMPLE": "tests.test_simulate.SIMPLE",
             "from . import test_configs": "tests.test_configs",
             "from .conftest import CONFIGS": "tests.conftest",
             "from tests.conftest import ROOT": "tests.conftest",
             "def f():\n    import tests.test_cli": "tests.test_cli",
             "import test_cli": "test_cli"}
    for source, name in forms.items():
        names = [n for _, n in imports(source, "tests.test_probe")]
        assert name in names and is_test_module(name), source
    for module in ("tests.test_probe", "tests.helpers.probe"):
        assert not any(is_test_module(n) for _, n in imports("from tests.helpers import logruns\nimport lightning.pytorch\n"
                                                             "from .paths import ROOT\nimport pytest", module))
    assert [n for _, n in imports("from ..test_cli import x", "tests.helpers.probe")] == ["tests.test_cli",
                                                                                        "tests.test_cli.x"]


def test_the_repository_paths_are_defined_once():
    found = [f"{path.relative_to(ROOT)}:{node.lineno}: defines {target.id}" for path in SOURCES
             if path != TESTS / "helpers" / "paths.py"
             for node in tree(path).body if isinstance(node, ast.Assign)
             for target in node.targets if isinstance(target, ast.Name) and target.id in ("ROOT", "CONFIGS")]
    assert found == [], "import them from tests.helpers.paths:\n" + "\n".join(found)


def test_no_test_reads_a_clock():
    found = []
    for path in SOURCES:
        for node in ast.walk(tree(path)):
            if (isinstance(node, ast.Attribute) and node.attr in CLOCKS and isinstance(node.value, ast.Name)
                    and node.value.id == "time"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: time.{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module in ("time", "timeit"):
                found += [f"{path.relative_to(ROOT)}:{node.lineno}: from {node.module} import {a.name}"
                          for a in node.names if a.name in CLOCKS or node.module == "timeit"]
    assert found == [], ("a wall-clock limit fails on a busy machine; bound the work (tests/helpers/bounds.py) "
                         "and guard hangs with @pytest.mark.timeout:\n" + "\n".join(found))


def test_a_test_not_marked_slow_cannot_start_a_process(_processes_only_in_slow_tests):
    started = _processes_only_in_slow_tests
    with pytest.raises(pytest.fail.Exception, match="not marked slow"):
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    with pytest.raises(pytest.fail.Exception, match="not marked slow"):
        subprocess.run(["true"], check=True)  # any process, when test code starts it
    with pytest.raises(pytest.fail.Exception, match="not marked slow"):
        multiprocessing.get_context("spawn").Process(target=print).start()
    assert len(started) == 3
    started.clear()  # the guard worked: this test passes


@pytest.mark.slow
def test_a_slow_test_may_start_a_process(_processes_only_in_slow_tests):
    assert _processes_only_in_slow_tests is None
    assert subprocess.run(["true"]).returncode == 0
