"""The import allowance (lrplot/imports/): real attack attempts are refused, as one located line,
before anything is called; what is allowed is what an allowed package or file DEFINES; local files
are allowed by path and never shadow (or are shadowed by) an installed package; the scheduler modules
of the supported libraries are trusted as installed, and only they."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from lrplot.engine import simulate
from lrplot.errors import ImportNotAllowedError, Location, SpecError, UsageError
from lrplot.imports import Allowance, allowed_imports, resolve_allowed
from lrplot.spec import load_spec

from tests.helpers.installed import installed, needs_accelerated, needs_transformers
from tests.helpers.paths import CONFIGS, ROOT

HERE = Location("spec.yaml", 3, 9)


@pytest.fixture(autouse=True)
def no_allow_list_from_the_environment(monkeypatch):
    monkeypatch.delenv("LRPLOT_ALLOW_IMPORT", raising=False)


@pytest.fixture
def nothing_runs(monkeypatch, tmp_path):
    """Every way the attacks below could run a command fails the test; ``MARKER`` must never appear."""
    called = []

    def forbidden(*args, **kwargs):
        called.append(args)
        raise AssertionError(f"a spec ran a command: {args}")

    for module, name in ((os, "system"), (os, "popen"), (subprocess, "run"), (subprocess, "Popen"),
                         (subprocess, "call"), (subprocess, "check_output")):
        monkeypatch.setattr(module, name, forbidden)
    marker = tmp_path / "MARKER"
    yield marker
    assert not called and not marker.exists()


def one_line_refusal(result, path, line_col):
    assert result.exit_code == 1, (result.exit_code, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"{path}:{line_col}: "), result.stderr
    return result.stderr


# --- attacks through the allowance --------------------------------------------------------------

ATTACKS = [
    # (type, --allow-import, keyword arguments, what the one line says)
    ("pytorch_accelerated:trainer.os.system", "pytorch_accelerated", "command: 'touch {marker}'",
     "reaches the module 'os' through 'pytorch_accelerated.trainer.os', which is outside what is allowed "
     "(pytorch_accelerated)"),
    ("pytorch_accelerated.trainer:os.system", "pytorch_accelerated", "command: 'touch {marker}'",
     "reaches the module 'os' through 'pytorch_accelerated.trainer.os'"),
    ("transformers:utils.import_utils.subprocess.run", "transformers", "args: [touch, '{marker}']",
     "reaches the module 'subprocess' through 'transformers.utils.import_utils.subprocess'"),
    # trusted by default, no flag: the trust covers what transformers.optimization defines, not its imports
    ("transformers.optimization:torch.os.system", None, "command: 'touch {marker}'",
     "reaches the module 'torch' through 'transformers.optimization.torch', which is outside what is allowed "
     "(transformers.optimization)"),
    ("torch:os.system", None, "command: 'touch {marker}'",
     "reaches the module 'os' through 'torch.os', which is outside what is allowed (torch.optim.lr_scheduler, "
     "torch.optim.swa_utils:SWALR)"),
    ("torch:load", None, "f: '{marker}'", "reaches load, defined in 'torch.serialization', which is outside"),
    ("torch.optim.swa_utils:update_bn", None, "loader: []",
     "reaches update_bn, defined in 'torch.optim.swa_utils', which is outside what is allowed "
     "(torch.optim.swa_utils:SWALR)"),
    ("torch.optim.lr_scheduler:partial", None, "func: 1", "reaches partial, defined in 'functools'"),
    # allowed, but not something lrplot calls
    ("torch.optim.lr_scheduler:bisect_right", None, "a: [1]", "is a built-in function, not a scheduler class or factory"),
    ("transformers.optimization:Adafactor", None, "lr: 0.1", "is a class that is not a scheduler"),
    ("pytorch_accelerated.trainer:Trainer", "pytorch_accelerated", "model: 1", "is a class that is not a scheduler"),
    ("torch.optim.lr_scheduler:StepLR.step", None, "epoch: 1", "is a method or a nested function"),
    ("pytorch_accelerated.schedulers:CosineLrScheduler.__init__.__globals__", None, "",
     "names the private name '__init__'"),
    ("torch.optim.lr_scheduler:EPOCH_DEPRECATION_WARNING", None, "", "is a str, not a scheduler class or factory"),
]


@pytest.mark.parametrize("type_, allow, args, says", ATTACKS, ids=[a[0] for a in ATTACKS])
def test_attacks_are_refused_before_anything_is_called(cli, write_spec, nothing_runs, type_, allow, args, says):
    if "transformers" in type_ and not installed("transformers") or "accelerated" in type_ and not installed("pytorch_accelerated"):
        pytest.skip("library not installed")
    keyword = f"\n  {args.format(marker=nothing_runs)}" if args else ""
    path = write_spec(f"steps: 5\nscheduler:\n  type: '{type_}'{keyword}\n")
    flags = ["--allow-import", allow] if allow else []
    line = one_line_refusal(cli(path, "-q", *flags), path, "3:9")
    assert says in line, line
    assert not (path.parent / "spec.png").exists()


@pytest.mark.parametrize("module, type_", [("os", "os:system"), ("builtins", "builtins:exec"),
                                           ("subprocess", "subprocess:run"), ("functools", "functools:partial")])
def test_the_standard_library_cannot_be_allowed(cli, write_spec, nothing_runs, module, type_):
    """It holds no schedulers, and its functions (os.popen, subprocess.run) would take the spec's arguments."""
    path = write_spec(f"steps: 5\nscheduler:\n  type: '{type_}'\n  args: [touch, '{nothing_runs}']\n")
    result = cli(path, "-q", "--allow-import", module)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"lrplot: --allow-import {module}: '{module}' is part of Python's standard library, which "
                             "holds no schedulers; allow the package that defines your scheduler\n")


def test_a_factory_result_is_checked_before_it_is_called(cli, write_spec, tmp_path, nothing_runs):
    write_spec(textwrap.dedent(f"""\
        import functools, os, subprocess
        import torch

        class NotAScheduler:
            def __init__(self, optimizer, **kw):
                open({str(nothing_runs)!r}, "w").write("ran")

        def returns_system(optimizer):
            return os.system

        def returns_partial_of_system(optimizer):
            return functools.partial(os.system, "touch {nothing_runs}")

        def returns_partial_of_a_class(unused=None):
            return functools.partial(NotAScheduler, x=1)

        class Callable:
            def __call__(self, *a, **k):
                open({str(nothing_runs)!r}, "w").write("ran")

        def returns_callable_instance(optimizer):
            return Callable()

        instance = Callable()
        """), "factories.py")
    for name, says in [
        ("returns_system", "returns_system returned a function, not a scheduler"),
        ("returns_partial_of_system", "returns_partial_of_system returned a functools.partial of "),
        ("returns_partial_of_a_class", "returned a functools.partial of NotAScheduler, not of a scheduler class"),
        ("returns_callable_instance", "returns_callable_instance returned a Callable, not a scheduler"),
        ("instance", "scheduler type 'factories.py:instance' is a Callable, not a scheduler class or factory"),
        ("NotAScheduler", "is a class that is not a scheduler"),
    ]:
        path = write_spec(f"steps: 5\nscheduler: {{type: 'factories.py:{name}'}}\n", f"{name}.yaml")
        line = one_line_refusal(cli(path, "-q", "--allow-import", "factories.py"), path, "2:19")
        assert says in line, line


@needs_transformers
def test_a_lazy_attribute_is_refused_before_its_module_is_imported(write_spec):
    before = "transformers.trainer" in sys.modules
    path = write_spec("steps: 5\nscheduler: {type: 'transformers:Trainer'}\n")
    with pytest.raises(ImportNotAllowedError) as err:
        simulate(load_spec(path))
    if before:  # another test imported it (Trainer runs): the refusal then names where Trainer is defined
        assert str(err.value) == (
            f"{path}:2:19: scheduler type 'transformers:Trainer' reaches Trainer, defined in "
            "'transformers.trainer', which is outside what is allowed (transformers.optimization); name it "
            "where it is defined, and allow that package")
        return
    assert str(err.value) == (
        f"{path}:2:19: scheduler type 'transformers:Trainer' reaches the module 'transformers.trainer' through "
        "'transformers.Trainer', which is outside what is allowed (transformers.optimization); an allowance "
        "covers what a package defines, not the modules it imports")
    assert "transformers.trainer" not in sys.modules


# --- local files: by path, never by stem, never shadowing ---------------------------------------

MARKING_MODULE = """\
open({marker!r}, "w").write("imported")
from torch.optim.lr_scheduler import LambdaLR

def get_linear_schedule_with_warmup(optimizer, **kw):
    return LambdaLR(optimizer, lambda s: 0.5)
"""


def test_an_allowed_package_name_does_not_allow_a_local_file_of_that_stem(cli, tmp_path, nothing_runs):
    elsewhere = tmp_path / "anywhere"
    elsewhere.mkdir()
    for stem in ("transformers", "pytorch_accelerated", "torch", "my_schedules"):
        (elsewhere / f"{stem}.py").write_text(MARKING_MODULE.format(marker=str(nothing_runs)))
        spec = tmp_path / f"{stem}.yaml"
        spec.write_text(f"steps: 5\nscheduler: {{type: '{elsewhere / stem}.py:get_linear_schedule_with_warmup'}}\n")
        line = one_line_refusal(cli(spec, "-q", "--allow-import", stem), spec, "2:19")
        assert line.startswith(f"{spec}:2:19: scheduler type '{elsewhere / stem}.py:get_linear_schedule_with_warmup' "
                               f"imports the local file anywhere/{stem}.py, and a spec alone may not run code; to "
                               f"allow it, add --allow-import anywhere/{stem}.py"), line


def test_a_local_file_is_allowed_by_its_resolved_path(tmp_path, monkeypatch):
    real = tmp_path / "lib" / "sched.py"
    real.parent.mkdir()
    shutil.copy(CONFIGS / "my_schedules.py", real)
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "link.py").symlink_to(real)
    (specs / "sched.py").write_text("raise SystemExit('the wrong sched.py')\n")
    spec_text = "steps: 20\nscheduler: {type: '%s:WarmupPoly', warmup: 5, total: 20}\n"
    (specs / "a.yaml").write_text(spec_text % "link.py")
    monkeypatch.chdir(tmp_path)
    # the symlink, its target, relative or absolute: all the same file
    for allow in (["lib/sched.py"], [str(real)], ["specs/link.py"], ["specs/../lib/./sched.py"]):
        lr = simulate(load_spec(specs / "a.yaml"), allow_import=allow).schedules[0].values[(0, "lr")]
        assert lr[4] == 0.1 and lr[19] < 0.1
    # another file with the same stem is another file
    with pytest.raises(ImportNotAllowedError, match="add --allow-import lib/sched.py "):
        simulate(load_spec(specs / "a.yaml"), allow_import=["specs/sched.py"])


@needs_transformers
def test_a_local_module_never_shadows_an_installed_package(write_spec, tmp_path, monkeypatch):
    import transformers

    (tmp_path / "transformers.py").write_text(MARKING_MODULE.format(marker=str(tmp_path / "imported")))
    path = write_spec("""\
        steps: 20
        optimizer: {type: SGD, lr: 0.1}
        schedules:
          - name: local
            scheduler: {type: 'transformers.py:get_linear_schedule_with_warmup'}
          - name: installed
            scheduler: {type: 'transformers:get_linear_schedule_with_warmup', num_warmup_steps: 5,
                        num_training_steps: 20}
        """)
    curves = simulate(load_spec(path), allow_import=[str(tmp_path / "transformers.py")])
    local, installed = (s.values[(0, "lr")] for s in curves.schedules)
    assert (tmp_path / "imported").exists() and sys.modules["transformers"] is transformers
    assert (local == 0.05).all()
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = transformers.get_linear_schedule_with_warmup(opt, num_warmup_steps=5, num_training_steps=20)
    expected = []
    for _ in range(20):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert (installed == np.array(expected)).all()


@pytest.mark.slow
@needs_transformers
def test_python_m_lrplot_does_not_import_from_the_current_folder(tmp_path):
    """A real ``python -m lrplot`` run in a folder holding transformers.py uses the installed package."""
    (tmp_path / "transformers.py").write_text(MARKING_MODULE.format(marker=str(tmp_path / "MARKER")))
    (tmp_path / "spec.yaml").write_text(
        "steps: 20\noptimizer: {type: SGD, lr: 0.1}\nscheduler: {type: 'transformers:get_linear_schedule_with_warmup', "
        "num_warmup_steps: 5, num_training_steps: 20}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LRPLOT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("LRPLOT_ALLOW_IMPORT", None)
    out = subprocess.run([sys.executable, "-m", "lrplot", "spec.yaml", "-q", "--data", "d.csv", "-o", "f.svg"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert not (tmp_path / "MARKER").exists()
    import transformers

    values = [float(line.split(",")[-1]) for line in (tmp_path / "d.csv").read_text().splitlines()[1:]]
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = transformers.get_linear_schedule_with_warmup(opt, num_warmup_steps=5, num_training_steps=20)
    expected = []
    for _ in range(20):  # the installed factory (a local stand-in would give 0.05 throughout)
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert values == expected


@pytest.mark.slow
@needs_accelerated
def test_a_trusted_package_shadowed_on_sys_path_is_refused(tmp_path):
    """The library in a script run from a folder holding pytorch_accelerated.py (on sys.path as '')."""
    (tmp_path / "pytorch_accelerated.py").write_text(f"open({str(tmp_path / 'MARKER')!r}, 'w')\n")
    (tmp_path / "spec.yaml").write_text(
        "steps: 20\nscheduler: {type: 'pytorch_accelerated.schedulers:CosineLrScheduler', total_num_epochs: 2, "
        "num_update_steps_per_epoch: 10}\n")
    code = ("import lrplot\ntry:\n    lrplot.simulate(lrplot.load_spec('spec.yaml'))\n"
            "except lrplot.LrplotError as exc:\n    print(exc)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LRPLOT_ALLOW_IMPORT", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == (
        f"spec.yaml:2:19: scheduler type 'pytorch_accelerated.schedulers:CosineLrScheduler' would import "
        f"'pytorch_accelerated' from {tmp_path.resolve() / 'pytorch_accelerated.py'}, which is not the installed "
        f"pytorch-accelerated package lrplot trusts; rename or remove "
        f"{tmp_path.resolve() / 'pytorch_accelerated.py'}, or, if you mean to use it, add --allow-import "
        "pytorch_accelerated (or set LRPLOT_ALLOW_IMPORT=pytorch_accelerated)\n")
    assert not (tmp_path / "MARKER").exists()


# --- trusted by default ---------------------------------------------------------------------------

def test_swalr_is_trusted_and_the_same_as_the_builtin_name(write_spec):
    by_name = write_spec("steps: 30\nscheduler: {type: SWALR, swa_lr: 0.02, anneal_epochs: 10}\n", "a.yaml")
    by_path = write_spec("steps: 30\nscheduler: {type: 'torch.optim.swa_utils:SWALR', swa_lr: 0.02, "
                         "anneal_epochs: 10}\n", "b.yaml")
    a, b = (simulate(load_spec(p)).schedules[0].values[(0, "lr")] for p in (by_name, by_path))
    assert (a == b).all() and a[-1] == 0.02


@needs_accelerated
def test_pytorch_accelerated_schedulers_need_no_flag(write_spec):
    from tests.helpers.loops import COSINE_ARGS, accelerated_trainer_loop, two_group_sgd

    from pytorch_accelerated.schedulers import CosineLrScheduler

    args = "\n".join(f"  {k}: {v}" for k, v in COSINE_ARGS.items())
    path = write_spec("steps: 60\nsteps_per_epoch: 10\noptimizer: {type: SGD, lr: 0.5}\n"
                      "param_groups: [{lr: 0.1}, {lr: 0.02}]\nscheduler:\n"
                      f"  type: 'pytorch_accelerated.schedulers:CosineLrScheduler.create_scheduler_fn'\n{args}\n")
    sc = simulate(load_spec(path)).schedules[0]
    opt = two_group_sgd()
    ref = accelerated_trainer_loop(opt, CosineLrScheduler(opt, total_num_epochs=6, num_update_steps_per_epoch=10,
                                                          **COSINE_ARGS), 60)
    assert (np.array([sc.values[(g, "lr")] for g in range(2)]) == ref["lr"]).all()


@pytest.fixture
def timm_stub(real_timm):
    """Real timm.scheduler without timm's __init__ (which needs torchvision): the ``real_timm`` fixture
    of tests/conftest.py (a parent package whose __path__ is the installed timm folder)."""
    yield


def test_timm_scheduler_is_trusted_as_installed(write_spec, timm_stub):
    from tests.helpers.loops import TIMM_CASES, timm_train_loop, two_group_sgd

    from timm.scheduler import CosineLRScheduler

    args = TIMM_CASES["per-epoch, warmup, 2 decaying cycles, k-decay"]
    body = "\n".join(f"  {k}: {v}" for k, v in args.items())
    path = write_spec(f"steps: 95\nsteps_per_epoch: 10\noptimizer: {{type: SGD, lr: 0.5}}\n"
                      f"param_groups: [{{lr: 0.1}}, {{lr: 0.02}}]\nscheduler:\n  type: 'timm.scheduler:CosineLRScheduler'\n"
                      f"{body}\n")
    sc = simulate(load_spec(path)).schedules[0]
    opt = two_group_sgd()
    ref = timm_train_loop(opt, CosineLRScheduler(opt, **args), 95, 10)
    assert (np.array([sc.values[(g, "lr")] for g in range(2)]) == ref["lr"]).all()


# --- the allowance value and resolve_allowed ------------------------------------------------------

def test_allowed_imports_reads_names_paths_and_the_environment(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text("")
    (tmp_path / "b.py").write_text("")
    monkeypatch.chdir(tmp_path)
    allowance = allowed_imports(["mylib, a.py", str(tmp_path / "b.py")], environ={"LRPLOT_ALLOW_IMPORT": "other.sub"})
    assert allowance == Allowance(frozenset({"mylib", "other.sub"}),
                                  frozenset({(tmp_path / "a.py").resolve(), (tmp_path / "b.py").resolve()}))
    assert allowance.flags() == ["mylib", "other.sub", "a.py", "b.py"]
    # made once: an Allowance passes through, the environment is not added twice or read again
    monkeypatch.setenv("LRPLOT_ALLOW_IMPORT", "third")
    assert allowed_imports(allowance) is allowance
    assert allowed_imports(None).packages == {"third"}
    with pytest.raises(AttributeError):
        allowance.packages = frozenset()  # immutable


@pytest.mark.parametrize("given, message", [
    ("no_such.py", "--allow-import no_such.py: no such file; a local module is allowed by the path of its .py file"),
    ("sub", None),
    ("sub/", "--allow-import sub/: is a folder"),
    ("my-lib", "--allow-import my-lib: not a package name or a .py file; give a package ('transformers') or a local "
               "file's path ('configs/my_schedules.py')"),
])
def test_bad_allow_import_values_are_usage_errors(tmp_path, monkeypatch, given, message):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    if message is None:
        assert allowed_imports([given], environ={}).packages == {given}
        return
    with pytest.raises(UsageError) as err:
        allowed_imports([given], environ={})
    assert str(err.value).startswith(message) and err.value.exit_code == 2


def test_bad_environment_value_names_the_variable(cli, monkeypatch):
    monkeypatch.setenv("LRPLOT_ALLOW_IMPORT", "ok, not ok")
    result = cli(CONFIGS / "cosine.yaml", "-q")
    assert result.exit_code == 2
    assert result.stderr.startswith("lrplot: LRPLOT_ALLOW_IMPORT not ok: not a package name or a .py file")


def test_resolve_allowed_returns_the_object_and_never_calls_it(tmp_path, nothing_runs):
    from torch.optim.lr_scheduler import StepLR

    # Hydra's _target_ form and the colon form, trusted by default
    assert resolve_allowed("torch.optim.lr_scheduler.StepLR", allow_import=None, location=HERE,
                           base_dir=tmp_path) is StepLR
    assert resolve_allowed("torch.optim.lr_scheduler:StepLR", allow_import=Allowance(), location=HERE,
                           base_dir=tmp_path) is StepLR
    (tmp_path / "mine.py").write_text(f"open({str(nothing_runs) + '.imported'!r}, 'w')\n"
                                      "import os\nclass X:\n    pass\n")
    with pytest.raises(ImportNotAllowedError, match=r"^spec.yaml:3:9: scheduler type 'mine.py:X' imports the "
                                                    r"local file .*mine.py"):
        resolve_allowed("mine.py:X", allow_import=None, location=HERE, base_dir=tmp_path)
    assert not Path(str(nothing_runs) + ".imported").exists()  # refused before the import
    for text, says in [
        ("mine.py:os.system", "reaches the module 'os', which is outside the local file "),
        ("mine.py:X", "is a class that is not a scheduler"),
    ]:
        with pytest.raises(ImportNotAllowedError, match=says):
            resolve_allowed(text, allow_import=[str(tmp_path / "mine.py")], location=HERE, base_dir=tmp_path)
    with pytest.raises(ImportNotAllowedError, match=r"is in Python's standard library \('os'\), which holds no"):
        resolve_allowed("os.system", allow_import=None, location=HERE, base_dir=tmp_path)
    with pytest.raises(ImportNotAllowedError, match="reaches the module 'os' through 'pytorch_accelerated.trainer.os'"):
        resolve_allowed("pytorch_accelerated.trainer.os.system", allow_import=["pytorch_accelerated"],
                        location=HERE, base_dir=tmp_path)
    with pytest.raises(SpecError, match="'StepLR' is not an import path"):
        resolve_allowed("StepLR", allow_import=None, location=HERE, base_dir=tmp_path)


# --- keyword arguments of any name reach an imported factory -------------------------------------

def test_factory_keyword_arguments_may_have_any_name(cli, write_spec, tmp_path):
    write_spec("""\
        from torch.optim.lr_scheduler import LambdaLR

        def factory(optim, f, fn, callee, self, kw, args, name, path, spec):
            scale = f * fn * callee * self * kw * args * name * path * spec
            return LambdaLR(optim, lambda s: scale / (1 + s))
        """, "names.py")
    path = write_spec("steps: 8\nscheduler: {type: 'names.py:factory', f: 1, fn: 0.5, callee: 1, self: 1, kw: 1, "
                      "args: 1, name: 1, path: 1, spec: 0.5}\n")
    result = cli(path, "-q", "--allow-import", "names.py", "--data", "d.csv")
    assert result.exit_code == 0, result.stderr
    values = [float(line.split(",")[-1]) for line in (tmp_path / "d.csv").read_text().splitlines()[1:]]
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.25 / (1 + s))
    expected = []
    for _ in range(8):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert values == expected


def test_functools_partial_of_a_scheduler_class_from_a_local_factory_is_built(write_spec):
    write_spec("""\
        import functools
        from torch.optim.lr_scheduler import StepLR

        def make(step_size):
            return functools.partial(StepLR, step_size=step_size, gamma=0.5)
        """, "partials.py")
    path = write_spec("steps: 10\nscheduler: {type: 'partials.py:make', step_size: 3}\n")
    lr = simulate(load_spec(path), allow_import=[str(path.parent / "partials.py")]).schedules[0].values[(0, "lr")]
    assert list(lr) == [0.1] * 3 + [0.05] * 3 + [0.025] * 3 + [0.0125]


# --- a local file's classes with step() are schedulers there ------------------------------------

DUCK_SCHEDULERS = """\
    from torch.optim.lr_scheduler import CosineAnnealingLR
    from torch.optim.swa_utils import SWALR


    class SwaSwitch:
        \"\"\"Cosine until swa_start, then SWALR: what a SWA training loop steps.\"\"\"

        def __init__(self, optimizer, T_max, swa_start, swa_lr):
            self.cosine = CosineAnnealingLR(optimizer, T_max=T_max)
            self.swa = SWALR(optimizer, swa_lr=swa_lr, anneal_epochs=3)
            self.swa_start, self.n = swa_start, 0

        def step(self):
            self.n += 1
            (self.swa if self.n >= self.swa_start else self.cosine).step()


    class Warmup:
        \"\"\"A hand-written linear warmup over the optimizer it was given.\"\"\"

        def __init__(self, optimizer, warmup_steps):
            self.optimizer, self.warmup_steps, self.t = optimizer, warmup_steps, 0
            self.base = [g["lr"] for g in optimizer.param_groups]
            self._apply()

        def _apply(self):
            for g, base in zip(self.optimizer.param_groups, self.base):
                g["lr"] = base * min(1.0, (self.t + 1) / self.warmup_steps)

        def step(self):
            self.t += 1
            self._apply()


    def make_warmup(optimizer, warmup_steps):
        return Warmup(optimizer, warmup_steps)
    """


@pytest.mark.parametrize("type_, args, build", [
    ("SwaSwitch", "T_max: 20, swa_start: 10, swa_lr: 0.01", lambda m, o: m.SwaSwitch(o, 20, 10, 0.01)),
    ("Warmup", "warmup_steps: 5", lambda m, o: m.Warmup(o, 5)),
    ("make_warmup", "warmup_steps: 5", lambda m, o: m.make_warmup(o, 5)),
])
def test_a_class_with_step_in_an_allowed_local_file_is_a_scheduler(write_spec, type_, args, build):
    module_path = write_spec(DUCK_SCHEDULERS, "my_sched.py")
    path = write_spec(f"steps: 20\nscheduler: {{type: 'my_sched.py:{type_}', {args}}}\n")
    lr = simulate(load_spec(path), allow_import=[str(module_path)]).schedules[0].values[(0, "lr")]
    spec = importlib.util.spec_from_file_location("duck_reference", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = build(module, opt)
    expected = []
    for _ in range(20):  # the loop a trainer runs: record, optimizer.step(), scheduler.step()
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lr.tolist() == expected


def test_an_allowed_package_is_still_used_only_for_its_schedulers(tmp_path, nothing_runs):
    # torch.optim.SGD has a step() too: allowing the package does not make it a scheduler
    with pytest.raises(ImportNotAllowedError, match=r"^spec.yaml:3:9: scheduler type 'torch.optim.sgd:SGD' is a "
                                                    r"class that is not a scheduler"):
        resolve_allowed("torch.optim.sgd:SGD", allow_import=["torch"], location=HERE, base_dir=tmp_path)


def test_a_stepping_class_without_state_dict_is_refused_by_state_and_resume(cli, write_spec):
    write_spec(DUCK_SCHEDULERS, "my_sched.py")
    path = write_spec("steps: 20\nscheduler: {type: 'my_sched.py:Warmup', warmup_steps: 5}\n")
    for command in ("state", "resume"):
        result = cli(command, path, "--at", "5", "--allow-import", "my_sched.py")
        assert result.exit_code == 1 and result.stderr == (
            f"{path}:2:19: my_sched.py:Warmup has no state_dict(), so no checkpoint can hold its state; "
            "give the class state_dict() and load_state_dict(), as torch's schedulers have\n"), result.stderr


@pytest.mark.parametrize("given, allowed", [((), False), (("mmengine",), True), (("mmengine.config",), False),
                                            (("mmdet",), False), (("torch", "mmengine"), True)])
def test_a_config_that_runs_code_is_read_only_when_its_framework_is_allowed_by_name(given, allowed, monkeypatch):
    from lrplot.errors import ImportNotAllowedError, Location
    from lrplot.imports import check_config_code

    monkeypatch.delenv("LRPLOT_ALLOW_IMPORT", raising=False)
    where = Location("c.py")
    if allowed:
        check_config_code("mmengine", "runs the config", allow_import=given, location=where)
        return
    with pytest.raises(ImportNotAllowedError) as err:
        check_config_code("mmengine", "runs the config", allow_import=given, location=where)
    assert err.value.format() == ("c.py: runs the config; if you trust it, add --allow-import mmengine "
                                  "(or set LRPLOT_ALLOW_IMPORT=mmengine)")


# --- a package of the project, allowed by its folder's path ---------------------------------------

def _project_package(tmp_path, name):
    package = tmp_path / "src" / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from .warm import Warm\n")
    (package / "warm.py").write_text(textwrap.dedent("""\
        from torch.optim.lr_scheduler import LambdaLR


        class Warm(LambdaLR):
            def __init__(self, optimizer, warmup=3):
                super().__init__(optimizer, lambda s: min(1.0, (s + 1) / warmup))
        """))
    spec = tmp_path / "spec.yaml"
    spec.write_text(f'optimizer: {{type: SGD, lr: 0.1}}\nscheduler: {{type: "{name}.warm:Warm", warmup: 4}}\nsteps: 6\n')
    return spec


def test_a_project_package_allowed_by_name_names_its_folder_as_the_way(tmp_path, monkeypatch):
    """Was "(lrplot does not import from the current folder)" with no way forward."""
    spec = _project_package(tmp_path, "lrplot_folder_pkg_a")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as exc:
        simulate([load_spec(spec)], allow_import=["lrplot_folder_pkg_a"])
    assert exc.value.message == ("cannot import 'lrplot_folder_pkg_a.warm': no module named 'lrplot_folder_pkg_a' is "
                                 "installed; lrplot does not import from the current folder, and "
                                 "./src/lrplot_folder_pkg_a is a package folder there")
    assert exc.value.hint == ("to use that folder, allow it by its path: add --allow-import ./src/lrplot_folder_pkg_a "
                              "(or set LRPLOT_ALLOW_IMPORT=./src/lrplot_folder_pkg_a)")


def test_a_project_package_allowed_by_its_folder_path_runs_as_torch_would(tmp_path, monkeypatch):
    spec = _project_package(tmp_path, "lrplot_folder_pkg_b")
    monkeypatch.chdir(tmp_path)
    try:
        allowance = allowed_imports(["./src/lrplot_folder_pkg_b"])
        assert allowance.flags() == ["src/lrplot_folder_pkg_b"]
        values = simulate([load_spec(spec)], allow_import=allowance).schedules[0].values[(0, "lr")]
        from lrplot_folder_pkg_b import Warm  # the folder's package, imported under its own name

        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        scheduler, reference = Warm(optimizer, warmup=4), []
        for _ in range(6):
            reference.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        assert list(values) == reference and reference[0] == 0.025
    finally:
        for module in [m for m in sys.modules if m.startswith("lrplot_folder_pkg_b")]:
            del sys.modules[module]


def test_a_bare_name_stays_a_package_name_even_beside_a_folder_of_that_name(tmp_path, monkeypatch):
    _project_package(tmp_path, "lrplot_folder_pkg_c")
    monkeypatch.chdir(tmp_path / "src")
    allowance = allowed_imports(["lrplot_folder_pkg_c"])
    assert allowance.folders == () and allowance.packages == frozenset({"lrplot_folder_pkg_c"})
