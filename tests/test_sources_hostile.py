"""Hostile config trees and training configs: no code runs without an allowance, no reader hangs or
fills memory, every refusal is one located line.

The import proofs plant a package on sys.path whose import writes a marker file: the marker must not
exist after a refusal, and does exist once the package is allowed (so each test can fail).
"""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import forked
from tests.helpers.paths import ROOT

pytest.importorskip("hydra")

from lrplot.errors import ImportNotAllowedError, SpecError  # noqa: E402
from lrplot.sources import BudgetInputs, load_input  # noqa: E402

TRAIN = """\
defaults:
  - _self_
  - model: m
  - trainer: t
"""
MODEL = """\
optimizer: {_target_: torch.optim.SGD, _partial_: true, lr: 0.1}
scheduler: {_target_: torch.optim.lr_scheduler.StepLR, _partial_: true, step_size: 2, interval: epoch}
"""
INPUTS = BudgetInputs(dataset_size=10, batch_size=2)
_names = itertools.count()


def tree(folder: Path, extra: str = "") -> Path:
    (folder / "model").mkdir(parents=True, exist_ok=True)
    (folder / "trainer").mkdir(exist_ok=True)
    (folder / "model" / "m.yaml").write_text(MODEL)
    (folder / "trainer" / "t.yaml").write_text("max_steps: 20\n")
    (folder / "train.yaml").write_text(TRAIN + extra)
    return folder / "train.yaml"


def plant(folder: Path) -> tuple[str, Path]:
    """A package (unique name) whose import writes a marker file; the folder must be on sys.path."""
    name = f"planted_{os.getpid()}_{next(_names)}"
    marker = folder / f"{name}.imported"
    (folder / name).mkdir(parents=True)
    (folder / name / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\n")
    return name, marker


# route -> (text added to train.yaml, --set overrides); {pkg} is the planted package
ROUTES = {
    "interpolated list": ("sp: [pkg://{pkg}]\nhydra:\n  searchpath: ${{sp}}\n", []),
    "oc.create": ("hydra: ${{oc.create:{{searchpath:[pkg://{pkg}]}}}}\n", []),
    "structured entry": ("hydra:\n  searchpath: [structured://{pkg}]\n", []),
    "+hydra.searchpath override": ("hydra:\n  searchpath: [pkg://{pkg}]\n", ["+hydra.searchpath=[file://x]"]),
    "~hydra.searchpath override": ("hydra:\n  searchpath: [pkg://{pkg}]\n", ["~hydra.searchpath"]),
    "command line": ("", ["hydra.searchpath=[structured://{pkg}]"]),
}
WHERE = {  # route -> where the refusal is located (line:col in train.yaml, or the --set item)
    "interpolated list": "7:15", "oc.create": "5:8", "structured entry": "6:16",
    "+hydra.searchpath override": "6:16", "~hydra.searchpath override": "6:16", "command line": None,
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_no_search_path_route_imports_a_package_without_an_allowance(tmp_path, monkeypatch, route):
    """The search path checked is the one Hydra USES (after interpolation and overrides), at the
    moment Hydra makes its config sources, so no way of writing it imports unallowed code."""
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    pkg, marker = plant(tmp_path / "site")
    text, overrides = ROUTES[route]
    config = tree(tmp_path / "conf", text.format(pkg=pkg))
    overrides = [o.format(pkg=pkg) for o in overrides]
    with pytest.raises(ImportNotAllowedError) as err:
        load_input(config, overrides=overrides, inputs=INPUTS)
    scheme = "structured" if "structured" in (text + "".join(overrides)) else "pkg"
    what = "package" if scheme == "pkg" else "module"
    where = f"{config}:{WHERE[route]}" if WHERE[route] else "--set hydra.searchpath"
    assert err.value.format() == (
        f"{where}: hydra.searchpath entry '{scheme}://{pkg}' imports the Python {what} '{pkg}' to read its "
        f"configs, and a config alone may not run code; to allow it, add --allow-import {pkg} (or set "
        f"LRPLOT_ALLOW_IMPORT={pkg}); or point the search path at the folder (file://...) holding the configs "
        f"of {pkg}")
    assert not marker.exists()
    try:
        load_input(config, overrides=overrides, inputs=INPUTS, allow_import=[pkg])
    except SpecError:
        pass  # Hydra's own verdict on what it imported (an empty package holds no configs)
    assert marker.exists()  # allowed, Hydra does import it: the refusal above is what kept it out


def test_a_stdlib_search_path_package_is_not_offered_as_an_allowance(tmp_path):
    config = tree(tmp_path, "hydra:\n  searchpath: [pkg://os]\n")
    with pytest.raises(ImportNotAllowedError) as err:
        load_input(config, inputs=INPUTS)
    assert err.value.format() == (f"{config}:6:16: hydra.searchpath entry 'pkg://os' names no package that holds "
                                  "configs; remove it, or point it at a folder (file://...)")


def _cli(*args, cwd: Path, extra_path: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in (ROOT, extra_path) if p)}
    env.pop("LRPLOT_ALLOW_IMPORT", None)
    return forked.run(args, text=True, env=env, cwd=cwd, timeout=120)  # python -m lrplot, forked


@pytest.mark.slow
def test_cli_refuses_an_interpolated_pkg_search_path_in_one_line_and_imports_nothing(tmp_path):
    pkg, marker = plant(tmp_path / "site")
    tree(tmp_path, f"sp: [pkg://{pkg}]\nhydra:\n  searchpath: ${{sp}}\n")
    done = _cli("train.yaml", "--dataset-size", "10", "--batch-size", "2", "-o", "x.png", cwd=tmp_path,
                extra_path=tmp_path / "site")
    assert done.returncode == 1
    assert done.stderr == (
        f"train.yaml:7:15: hydra.searchpath entry 'pkg://{pkg}' imports the Python package '{pkg}' to read its "
        f"configs, and a config alone may not run code; to allow it, add --allow-import {pkg} (or set "
        f"LRPLOT_ALLOW_IMPORT={pkg}); or point the search path at the folder (file://...) holding the configs "
        f"of {pkg}\n")
    assert not marker.exists() and not (tmp_path / "x.png").exists()


def sphinx(src, out, env):
    """``python -m sphinx -W -b html src out`` in a child forked from a process that imported lrplot (the
    build is the subject, not a cold start; tests/helpers/forked.py): its own sys.path, from ``env``."""
    return forked.run(["-W", "-b", "html", str(src), str(out)], module="sphinx", cwd=src.parent, env=env,
                      text=True, timeout=600)


@pytest.mark.slow
def test_sphinx_refuses_the_search_path_and_names_its_own_way_to_allow(tmp_path):
    pytest.importorskip("sphinx")
    pkg, marker = plant(tmp_path / "site")
    tree(tmp_path, f"sp: [pkg://{pkg}]\nhydra:\n  searchpath: ${{sp}}\n")
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["lrplot.sphinxext"]\nproject = "t"\n')
    (src / "index.rst").write_text("Title\n=====\n\n.. lrplot:: ../train.yaml\n   :set: model.scheduler.interval=step\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path / "site")])}
    env.pop("LRPLOT_ALLOW_IMPORT", None)
    proc = sphinx(src, tmp_path / "out", env)
    assert proc.returncode == 1
    assert (f"index.rst:4: ERROR: lrplot: {tmp_path / 'train.yaml'}:7:15: hydra.searchpath entry 'pkg://{pkg}' "
            f"imports the Python package '{pkg}' to read its configs, and a config alone may not run code; to "
            f"allow it, add '{pkg}' to lrplot_allow_import in conf.py; or point the search path") in proc.stderr
    assert not marker.exists()
    (src / "conf.py").write_text(f'extensions = ["lrplot.sphinxext"]\nproject = "t"\nlrplot_allow_import = ["{pkg}"]\n')
    proc = sphinx(src, tmp_path / "out", env)
    assert proc.returncode == 0, proc.stderr  # conf.py's allowance reaches the config reader too
    assert marker.exists()


# --- every file Hydra reads gets lrplot's file guards ----------------------------------------------

def test_a_defaults_entry_leaving_the_config_folder_is_refused_at_its_line(tmp_path):
    config = tree(tmp_path / "conf")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "bomb.yaml").write_text(MODEL)
    config.write_text(TRAIN.replace("model: m", "model: ../../other/bomb"))
    with pytest.raises(SpecError) as err:
        load_input(config, inputs=INPUTS)
    assert err.value.format() == (
        f"{config}:3:12: the config 'model/../../other/bomb' is outside its config folder {tmp_path / 'conf'} "
        f"(it resolves to {tmp_path / 'other' / 'bomb.yaml'}); name configs inside the config folder (no '..', "
        "no link leading out), or add their folder to hydra.searchpath")


def test_a_config_file_too_big_is_refused_before_hydra_loads_it(tmp_path):
    config = tree(tmp_path)
    (tmp_path / "model" / "m.yaml").write_text(MODEL + "#" * 299_000 + "\n")
    with pytest.raises(SpecError) as err:
        load_input(config, inputs=INPUTS)
    assert err.value.format() == (f"{tmp_path / 'model' / 'm.yaml'}: the config is 299 kB; a config is at most "
                                  "256 kB")


def test_unread_files_of_the_tree_are_never_opened_however_deep_or_odd(tmp_path):
    """The tree is not walked: a FIFO, a 1,200-level folder chain (a RecursionError in a walk) and a
    huge file that no defaults list names do not matter."""
    config = tree(tmp_path)
    os.mkfifo(tmp_path / "model" / "fifo.yaml")
    (tmp_path / "model" / "huge.yaml").write_text("x" * 20_000_000)
    deep = tmp_path / "deep"
    deep.mkdir()
    os.chdir(deep)  # relative steps: the full path would pass the OS's path length limit
    try:
        for _ in range(1200):
            os.mkdir("d")
            os.chdir("d")
        Path("x.yaml").write_text("a: 1\n")
    finally:
        os.chdir(ROOT)
    try:
        source = load_input(config, inputs=INPUTS)
    finally:  # removed bottom up, here: a recursive removal would itself hit the recursion limit
        os.chdir(deep)
        os.chdir("/".join(["d"] * 1200))
        os.remove("x.yaml")
        for _ in range(1200):
            os.chdir("..")
            os.rmdir("d")
        os.chdir(ROOT)
    assert source.spec.steps == 20


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_group_option_that_is_a_pipe_or_a_device_is_refused_not_read(tmp_path, kind):
    tree(tmp_path)
    target = tmp_path / "model" / "bad.yaml"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    done = _cli("train.yaml", "--dataset-size", "10", "--batch-size", "2", "--set", "model=bad", "-o", "x.png",
                cwd=tmp_path)
    assert done.returncode == 1
    if kind == "fifo":  # Hydra itself takes only regular files as options
        assert done.stderr == "--set model: config group 'model' has no option 'bad' (options: m); choose one of m\n"
    else:
        assert done.stderr == (f"--set model: the config 'model/bad' is outside its config folder {tmp_path} (it "
                               "resolves to /dev/zero); name configs inside the config folder (no '..', no link "
                               "leading out), or add their folder to hydra.searchpath\n")


# --- OmegaConf resolution ---------------------------------------------------------------------------

@pytest.mark.parametrize("dynamic", [False, True])
def test_interpolations_that_double_at_every_level_are_stopped_while_resolving(tmp_path, dynamic):
    """'${k1}${k1}' sixteen levels deep: OmegaConf resolves 2^16 interpolations (over 60 s), also
    when the keys are themselves interpolated ('${trainer.${trainer.n1}}')."""
    config = tree(tmp_path)
    ref = (lambda i: f"${{trainer.${{trainer.n{i}}}}}") if dynamic else (lambda i: f"${{trainer.k{i}}}")
    levels = "".join(f"k{i}: '{ref(i + 1)}{ref(i + 1)}'\nn{i + 1}: k{i + 1}\n" for i in range(16))
    (tmp_path / "trainer" / "t.yaml").write_text("max_steps: ${trainer.k0}\n" + levels + "k16: ab\n"
                                                 "_target_: lightning.pytorch.Trainer\n")  # (its other keys are no Trainer's)
    with pytest.raises(SpecError) as err:
        load_input(config, inputs=INPUTS)
    assert err.value.format() == (
        f"{tmp_path / 'trainer' / 't.yaml'}:1:12: 'trainer.max_steps': resolving it goes through more than 1,000 "
        "interpolations or 1,000,000 characters (OmegaConf resolves an interpolation again each time it is used); "
        "write the value out, or interpolate a value fewer times")


def test_interpolations_growing_in_the_hydra_section_are_stopped_too(tmp_path):
    levels = "".join(f"k{i}: '${{k{i + 1}}}${{k{i + 1}}}'\n" for i in range(16))
    config = tree(tmp_path, levels + "k16: ab\nhydra:\n  searchpath: ['${k0}']\n")
    with pytest.raises(SpecError) as err:
        load_input(config, inputs=INPUTS)
    assert err.value.format() == (
        f"{config}:22:1: the hydra section: resolving it goes through more than 1,000 interpolations or 1,000,000 "
        "characters (OmegaConf resolves an interpolation again each time it is used); write the value out, or "
        "interpolate a value fewer times")


def test_honest_interpolations_still_resolve(tmp_path):
    config = tree(tmp_path)
    (tmp_path / "trainer" / "t.yaml").write_text("steps: 20\nmax_steps: ${.steps}\nalso: ${trainer.max_steps}\n"
                                                 "_target_: lightning.pytorch.Trainer\n")
    (tmp_path / "model" / "m.yaml").write_text(MODEL.replace("step_size: 2", "step_size: '${trainer.also}'"))
    source = load_input(config, inputs=INPUTS)
    assert source.spec.steps == 20 and source.spec.scheduler.step_size == 20


def test_an_environment_value_is_named_never_printed_in_an_error_line(tmp_path, monkeypatch):
    monkeypatch.setenv("LRPLOT_TEST_TOKEN", "s3cr3t-t0ken")
    config = tree(tmp_path)
    (tmp_path / "model" / "m.yaml").write_text(
        MODEL.replace("step_size: 2", "step_size: '${oc.env:LRPLOT_TEST_TOKEN}'"))
    with pytest.raises(SpecError) as err:
        from lrplot.engine import simulate

        simulate([load_input(config, inputs=INPUTS).spec])
    assert err.value.format() == (f"{tmp_path / 'model' / 'm.yaml'}:2:84: StepLR step_size: expected an integer, "
                                  "got the text '${oc.env:LRPLOT_TEST_TOKEN}'")


# --- budget numbers: one checker for every reader ----------------------------------------------------

FRAMEWORKS = ROOT / "configs" / "frameworks"
BUDGET_CASES = {  # name -> (config, --set items, inputs, the whole error line)
    "hf epochs 1e308": ("hf_sft.yaml", ["num_train_epochs=1e308"], BudgetInputs(207865, 8),
                        "--set num_train_epochs: num_train_epochs must be at most 9,007,199,254,740,992, not 1e+308"),
    "hf epochs nan": ("hf_sft.yaml", ["num_train_epochs=.nan"], BudgetInputs(207865, 8),
                      "--set num_train_epochs: num_train_epochs must be a number > 0, not nan"),
    "lightning limit nan": ("lightning_fit.yaml", ["trainer.limit_train_batches=.nan"], BudgetInputs(50000),
                            "--set trainer.limit_train_batches: limit_train_batches must be a number >= 0, not nan"),
    "lightning epochs 1e300": ("lightning_fit.yaml", ["trainer.max_epochs=1e300"], BudgetInputs(50000),
                               "--set trainer.max_epochs: 'trainer.max_epochs' must be at most "
                               "9,007,199,254,740,992, not 1e+300"),
    "timm lr_base_size 0": ("timm_args.yaml", ["lr_base_size=0"], BudgetInputs(1281167, 8),
                            "--set lr_base_size: lr_base_size must be a number > 0, not 0; fix it, or --set "
                            "lr_base_size=N"),
    "timm lr_base text": ("timm_args.yaml", ["lr_base=abc"], BudgetInputs(1281167, 8),
                          "--set lr_base: lr_base must be a number >= 0, not 'abc'; fix it, or --set lr_base=N"),
}


@pytest.mark.parametrize("name", list(BUDGET_CASES))
def test_budget_numbers_are_checked_by_one_checker_before_any_arithmetic(name):
    config, overrides, inputs, expected = BUDGET_CASES[name]
    with pytest.raises(SpecError) as err:
        load_input(FRAMEWORKS / config, overrides=overrides, inputs=inputs)
    assert err.value.format() == expected


@pytest.mark.parametrize("override, expected", [
    ("train_cfg.max_epochs='ten'", "train_cfg.max_epochs must be a whole number > 0, not 'ten'"),
    ("train_dataloader.batch_size=0", "train_dataloader.batch_size must be a whole number > 0, not 0"),
    ("auto_scale_lr.base_batch_size=0", "auto_scale_lr.base_batch_size must be a whole number > 0, not 0"),
])
def test_mmengine_budget_numbers_are_checked_too(override, expected):
    pytest.importorskip("mmengine")
    with pytest.raises(SpecError) as err:
        load_input(FRAMEWORKS / "mmdet_schedule_1x.py", overrides=[override, "auto_scale_lr.enable=true"],
                   inputs=BudgetInputs(118287, 8), allow_import=["mmengine"])
    assert err.value.message == expected


def test_command_line_budget_numbers_are_refused_when_given():
    from lrplot.errors import UsageError

    with pytest.raises(UsageError) as err:
        BudgetInputs(dataset_size=10**400)
    assert err.value.format() == "--dataset-size must be at most 9,007,199,254,740,992, not a number of 401 digits"
    with pytest.raises(UsageError) as err:
        BudgetInputs(devices=0)
    assert err.value.format() == "--devices must be a whole number > 0, not 0"


@pytest.mark.slow
def test_cli_dataset_size_of_400_digits_is_a_usage_error_not_an_internal_one(tmp_path):
    done = _cli(FRAMEWORKS / "hf_sft.yaml", "--dataset-size", "9" * 400, "-o", "x.png", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "lrplot: --dataset-size must be at most 9,007,199,254,740,992, not a number of 400 digits\n"


def test_a_run_far_over_the_step_limit_is_refused_before_its_stepping_is_walked(tmp_path):
    """frequency 3 per step with 10^12 examples: the frequency rule walked every update (a hang)."""
    config = tree(tmp_path)
    (tmp_path / "model" / "m.yaml").write_text(MODEL.replace("interval: epoch", "interval: step, "
                                                                                  "frequency: 3"))
    (tmp_path / "trainer" / "t.yaml").write_text("max_epochs: 2\n")
    with pytest.raises(SpecError) as err:
        load_input(config, inputs=BudgetInputs(dataset_size=10**12, batch_size=1))
    assert err.value.message.startswith("the budget gives 2,000,000,000,000 updates, more than lrplot simulates "
                                        "(50,000,000)")


def test_a_hydra_override_value_nested_too_deeply_is_refused_at_its_set_item(tmp_path):
    config = tree(tmp_path)
    with pytest.raises(SpecError) as err:
        load_input(config, overrides=["+model.x=" + "[" * 200 + "]" * 200], inputs=INPUTS)
    assert err.value.format() == "--set +model.x: the value is nested too deeply; at most 64 levels"


# --- MMEngine _base_ files -------------------------------------------------------------------------

def _mm_config(folder: Path, base: str) -> Path:
    (folder / "_base_").mkdir(parents=True, exist_ok=True)
    config = folder / "cfg.py"
    config.write_text(f"_base_ = ['./_base_/{base}']\ntrain_dataloader = dict(batch_size=2)\n")
    return config


@pytest.mark.parametrize("kind", ["fifo", "device", "big", "cycle"])
def test_mmengine_base_files_get_the_file_guards_before_mmengine_reads_them(tmp_path, kind):
    """MMEngine reads every _base_ file whole and recurses through them: a FIFO hung it, /dev/zero
    or a 6 MB base filled memory, a cycle ended in a RecursionError."""
    pytest.importorskip("mmengine")
    config = _mm_config(tmp_path, "b.py")
    base = tmp_path / "_base_" / "b.py"
    expected = {
        "fifo": f"{base}: is a pipe, not a config file; give the path of a config file",
        "device": f"{base}: is a device, not a config file; give the path of a config file",
        "big": f"{base}: the config is 6 MB; a config is at most 256 kB",
        "cycle": f"{base}:1:1: the _base_ files inherit from each other (cfg.py -> b.py -> cfg.py); remove the "
                 "_base_ entry that closes the circle",
    }[kind]
    if kind == "fifo":
        os.mkfifo(base)
    elif kind == "device":
        base.symlink_to("/dev/zero")
    elif kind == "big":
        base.write_text("x = [" + "1," * 3_000_000 + "]\n")
    else:
        base.write_text("_base_ = ['../cfg.py']\n")
    with pytest.raises(SpecError) as err:
        load_input(config, inputs=BudgetInputs(100), allow_import=["mmengine"])
    assert err.value.format() == expected


# --- depth ---------------------------------------------------------------------------------------

def test_hf_lr_scheduler_kwargs_json_nested_too_deeply_is_refused_at_its_key(tmp_path):
    pytest.importorskip("transformers")
    config = tmp_path / "hf.yaml"
    config.write_text("learning_rate: 0.001\nlr_scheduler_type: cosine\nper_device_train_batch_size: 8\n"
                      "lr_scheduler_kwargs: '{\"a\": " + "[" * 5000 + "]" * 5000 + "}'\n")
    with pytest.raises(SpecError) as err:
        load_input(config, inputs=BudgetInputs(100))
    assert err.value.format() == f"{config}:4:22: lr_scheduler_kwargs is nested too deeply; at most 64 levels"


def test_nesting_depth_counts_brackets_outside_strings_only():
    from lrplot.yamlio import nesting_depth

    assert [nesting_depth(t) for t in ('[[1]]', '"[[["', '{"a\\"[": [1]}', "'[[' [x]", '[{(x)}]')] == [2, 0, 2, 1, 3]


def test_a_group_file_with_a_5000_deep_flow_list_is_refused_at_its_line(tmp_path):
    config = tree(tmp_path)
    (tmp_path / "model" / "m.yaml").write_text(MODEL + "x: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(SpecError) as err:
        load_input(config, inputs=INPUTS)
    assert err.value.message == "the document is nested too deeply; at most 64 levels"
    assert err.value.location.path == str(tmp_path / "model" / "m.yaml") and err.value.location.line == 3


# --- found by the adversarial round -----------------------------------------------------------------

def test_an_absolute_group_in_a_defaults_list_is_still_a_primary_config():
    from lrplot.sources.hydra_compose import is_primary

    assert is_primary({"defaults": ["_self_", {"/model@_global_": "m"}, "/base"]})


def test_main_module_target_is_said_to_hold_no_scheduler(tmp_path):
    config = tree(tmp_path)
    (tmp_path / "model" / "m.yaml").write_text(MODEL.replace("torch.optim.lr_scheduler.StepLR", "__main__.X"))
    with pytest.raises(ImportNotAllowedError) as err:
        load_input(config, inputs=INPUTS)
    assert err.value.format() == (f"{tmp_path / 'model' / 'm.yaml'}:2:23: scheduler type '__main__.X' is in the running "
                                  "program's module, which holds no schedulers; name a scheduler class, e.g. "
                                  "torch.optim.lr_scheduler.CosineAnnealingLR")


def test_a_world_size_beyond_exact_arithmetic_is_refused(tmp_path):
    config = tmp_path / "l.yaml"
    config.write_text((FRAMEWORKS / "lightning_fit.yaml").read_text().replace("devices: 1", "devices: '1" + "0" * 22
                                                                                + "'"))
    with pytest.raises(SpecError) as err:
        load_input(config, inputs=BudgetInputs(50000))
    assert err.value.message == ("the world size (trainer.devices x trainer.num_nodes) must be at most "
                                 "9,007,199,254,740,992, not a number of 23 digits")


def test_a_huge_float_for_an_integer_argument_gets_no_300_digit_suggestion(tmp_path):
    from lrplot.engine import simulate

    config = tmp_path / "l.yaml"
    config.write_text((FRAMEWORKS / "lightning_fit.yaml").read_text().replace("T_max: 30", "T_max: 1e300"))
    with pytest.raises(SpecError) as err:
        simulate([load_input(config, inputs=BudgetInputs(50000)).spec])
    assert err.value.format() == f"{config}:40:12: CosineAnnealingLR T_max: expected an integer, got the number 1e+300"


def test_an_mmengine_config_python_cannot_parse_is_located_in_it(tmp_path):
    pytest.importorskip("mmengine")
    config = _mm_config(tmp_path, "b.py")
    (tmp_path / "_base_" / "b.py").write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")
    with pytest.raises(SpecError) as err:
        load_input(config, inputs=BudgetInputs(100), allow_import=["mmengine"])
    assert err.value.format() == f"{tmp_path / '_base_' / 'b.py'}:1:205: syntax error: too many nested parentheses"


def test_a_search_path_entry_is_hydras_own_only_by_its_exact_package_name(tmp_path):
    config = tree(tmp_path, "hydra: {searchpath: ['pkg://hydra.conf/../evilpkg']}\n")
    with pytest.raises(ImportNotAllowedError) as err:
        load_input(config, inputs=INPUTS)
    assert err.value.format() == (f"{config}:5:22: hydra.searchpath entry 'pkg://hydra.conf/../evilpkg' names no "
                                  "package that holds configs; remove it, or point it at a folder (file://...)")
