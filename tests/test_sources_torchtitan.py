"""torchtitan TOML job configs (releases up to 0.2.2): lrplot's curve equals torchtitan's OWN schedulers,
built from the file by torchtitan's own ConfigManager and stepped as its trainer steps them, ``==`` at every
update.

The reference reads the TOML with ``torchtitan.config.ConfigManager().parse_args(["--job.config_file",
path, *overrides])`` and follows torchtitan 0.2.2's ``torchtitan/train.py`` (pytorch/torchtitan at
73a0e6979dd10b6b1904098eb3c8f62c18ab87ce, tag v0.2.2):

* :278-280 ``self.lr_schedulers = build_lr_schedulers_fn(self.optimizers, job_config.lr_scheduler,
  job_config.training.steps)``, one LambdaLR per model part (here two parts, two AdamW optimizers);
* :672-674 ``while self.should_continue_training(): self.step += 1; ... self.train_step(...)`` until
  ``training.steps``; :552 ``lr = self.lr_schedulers.schedulers[0].get_last_lr()[0]`` (the lr it logs for
  the step), then :600-601 ``self.optimizers.step(); self.lr_schedulers.step()``.

torchtitan 0.2.2's package ``__init__`` imports its models, whose MoE kernels need triton; its config and
scheduler modules run here through a stub parent package (tests/helpers/framework_stub.py).

The published configs in tests/data/torchtitan/ are taken unedited from pytorch/torchtitan at
73a0e6979dd10b6b1904098eb3c8f62c18ab87ce: torchtitan/models/llama3/train_configs/llama3_8b.toml and
debug_model.toml, torchtitan/models/deepseek_v3/train_configs/deepseek_v3_16b.toml; and at
8631e19f2381e477f6d0e45db62c158a049a141f (2025-10-13, the commit before pytorch/torchtitan#1871 renamed
``[job] print_args`` to ``print_config``) torchtitan/models/llama3/train_configs/debug_model.toml as
debug_model_print_args.toml, which torchtitan 0.2.2 refuses; transformers_backend_debug_model.toml is
torchtitan/experiments/transformers_modeling_backend/configs/debug_model.toml at 73a0e6979 (v0.2.2), whose
[hf_transformers] table only the --job.custom_config_module its README's run_train.sh line gives makes valid.
"""

from __future__ import annotations

import pytest

from lrplot.errors import SpecError
from lrplot.sources import load_input

from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("torchtitan")

DATA = ROOT / "tests" / "data" / "torchtitan"
LLAMA3_8B = DATA / "llama3_8b.toml"
DEBUG = DATA / "debug_model.toml"
DEEPSEEK = DATA / "deepseek_v3_16b.toml"
PRINT_ARGS = DATA / "debug_model_print_args.toml"
HF_BACKEND = DATA / "transformers_backend_debug_model.toml"


@pytest.fixture(scope="module")
def torchtitan_schedulers():
    from tests.helpers.framework_stub import torchtitan_schedulers

    module = torchtitan_schedulers()
    if module is None:
        pytest.skip("torchtitan is not installed")
    return module


def trainer_loop(module, path, overrides: tuple[str, ...] = ()) -> tuple[list[float], list[float]]:
    """train.py's calls, as quoted above: (the lr each step's update uses, the lr train_step logs)."""
    import logging

    import torch
    from torchtitan.config import ConfigManager

    logging.disable(logging.WARNING)  # ConfigManager warns that the published hf_assets_path is not here
    try:
        job_config = ConfigManager().parse_args(["--job.config_file", str(path), *overrides])
    finally:
        logging.disable(logging.NOTSET)
    parts = [torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=job_config.optimizer.lr) for _ in range(2)]
    lr_schedulers = module.build_lr_schedulers(parts, job_config.lr_scheduler, job_config.training.steps)
    used, logged = [], []
    for _ in range(job_config.training.steps):
        logged.append(lr_schedulers.schedulers[0].get_last_lr()[0])
        used.append(parts[1].param_groups[0]["lr"])
        for optimizer in parts:
            optimizer.step()
        lr_schedulers.step()
    return used, logged


def drawn(path, overrides=()):
    from lrplot.engine import simulate

    source = load_input(path, overrides=overrides)
    return source, simulate(source.spec).schedules[0].values[(0, "lr")].tolist()


@pytest.mark.slow
@pytest.mark.parametrize("path, updates", [(LLAMA3_8B, 1000), (DEBUG, 10), (DEEPSEEK, 1000)])
def test_published_configs_equal_the_trainer(torchtitan_schedulers, path, updates):
    source, lr = drawn(path)
    used, logged = trainer_loop(torchtitan_schedulers, path)
    assert source.kind == "torchtitan" and source.budget.updates == updates
    assert lr == used == logged


@pytest.mark.slow
def test_warmup_and_decay_cut_by_torchtitan_are_named_and_drawn_as_it_cuts_them(torchtitan_schedulers):
    source, lr = drawn(DEBUG, ["lr_scheduler.warmup_steps=20"])
    used, _ = trainer_loop(torchtitan_schedulers, DEBUG, ("--lr_scheduler.warmup_steps", "20"))
    assert lr == used
    assert [n for n in source.notes] == list(source.assumptions) == [
        "torchtitan: Warmup steps (20) exceed total steps (10). Adjusting warmup steps to 10.",
        "torchtitan: Warmup (10) + decay (8) steps exceed total steps (10). Adjusting decay steps to 0."]


@pytest.mark.slow
def test_the_first_update_is_already_warmed_one_step():
    """torchtitan's warmup is (step + 1) / warmup_steps (components/lr_scheduler.py, 0.2.2): update 1 uses
    lr / warmup_steps, not 0, and the linear decay ends one step short of 0 (its 'virtual last step')."""
    _, lr = drawn(LLAMA3_8B)
    assert lr[0] == 3e-4 / 200 and lr[199] == 3e-4 and lr[-1] > 0


def test_is_recognised_by_content_and_by_from(tmp_path):
    from lrplot.sources import detect, load_document

    assert detect(load_document(LLAMA3_8B)) == "torchtitan"
    other = tmp_path / "pyproject.toml"
    other.write_text('[project]\nname = "x"\n')
    with pytest.raises(SpecError) as exc:  # no reader's: named, not YAML's parse error
        detect(load_document(other))
    assert exc.value.message == "a Python project's pyproject.toml: lrplot does not read this kind of file"


@pytest.mark.parametrize("text, message", [
    ('[lr_scheduler]\nwarmup_step = 10\n[training]\nsteps = 100\n',
     "titan.toml:2:1: [lr_scheduler] has no key 'warmup_step' (torchtitan 0.2.2 would fail: Invalid field names); "
     "did you mean 'warmup_steps'?"),
    ('[lr_scheduler]\nwarmup_steps = 10\ndecay_type = "exp"\n[training]\nsteps = 100\n',
     "titan.toml:3:1: lr_scheduler.decay_type 'exp' is not one of torchtitan's (linear, sqrt, cosine): its lr "
     "lambda would fail at the first decay step; use one of linear, sqrt, cosine"),
    ('[lr_scheduler]\nwarmup_steps = 10\n[training]\nsteps = "many"\n',
     "titan.toml:4:1: training.steps must be a whole number > 0, not 'many'; fix it, or --set training.steps=N"),
    ('[lr_scheduler]\nwarmup_steps = = 10\n',
     "titan.toml:2:16: not valid TOML: Invalid value; fix the file (torchtitan's ConfigManager reads it with "
     "tomllib)"),
])
def test_broken_files_are_refused_in_one_located_line(torchtitan_schedulers, tmp_path, text, message):
    path = tmp_path / "titan.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_input(path)
    assert err.value.format() == f"{tmp_path}/{message}"


@pytest.mark.slow
def test_a_key_torchtitan_refuses_in_any_table_is_refused_as_its_config_manager_refuses_it(torchtitan_schedulers):
    """An older release's published TOML: torchtitan 0.2.2's own ConfigManager refuses the whole file
    (config/manager.py:160-171) for [job] print_args, a table lrplot does not read; lrplot drew it."""
    from torchtitan.config import ConfigManager

    with pytest.raises(ValueError) as refused:
        ConfigManager().parse_args(["--job.config_file", str(PRINT_ARGS)])
    assert str(refused.value).splitlines()[0] == (
        "Invalid field names in <class 'torchtitan.config.job_config.Job'> data: {'print_args'}.")
    with pytest.raises(SpecError) as err:
        load_input(PRINT_ARGS)
    assert err.value.format() == (
        f"{PRINT_ARGS}:4:1: [job] has no key 'print_args' (torchtitan 0.2.2 would fail: Invalid field names); "
        "did you mean 'print_config'?")
    source, lr = drawn(PRINT_ARGS, ["~job.print_args"])  # without it, the file reads as torchtitan reads it
    assert lr == trainer_loop(torchtitan_schedulers, DEBUG)[0]


@pytest.mark.parametrize("text, message", [
    ('[training]\nsteps = 100\n[training.dataloader]\nworkers = 2\n',
     "titan.toml:4:1: [training.dataloader] has no key 'workers' (torchtitan 0.2.2 would fail: Invalid field "
     "names); did you mean 'num_workers'?"),
    ('[training]\nsteps = 100\ndataloader.workers = 2\n',
     "titan.toml:3:1: [training.dataloader] has no key 'workers' (torchtitan 0.2.2 would fail: Invalid field "
     "names); did you mean 'num_workers'?"),
    ('[training]\nsteps = 100\n[scheduler]\nwarmup_steps = 2\n',
     "titan.toml:3:1: 'scheduler' is not a table of torchtitan's JobConfig (torchtitan 0.2.2 would fail: Invalid "
     "field names); did you mean 'lr_scheduler'?"),
])
def test_unknown_tables_and_nested_keys_are_located(torchtitan_schedulers, tmp_path, text, message):
    path = tmp_path / "titan.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_input(path)
    assert err.value.format() == f"{tmp_path}/{message}"


@pytest.mark.slow
def test_a_table_of_a_models_own_config_module_says_how_to_name_that_module(torchtitan_schedulers, tmp_path,
                                                                              monkeypatch):
    """The published file is refused as torchtitan refuses it without the module, naming the way out; with
    it, the curve is torchtitan's. The reference merges the module's JobConfig as torchtitan's ConfigManager
    does, from a copy of transformers_modeling_backend/job_config.py (v0.2.2), whose package imports triton."""
    with pytest.raises(SpecError) as err:
        load_input(HF_BACKEND)
    assert err.value.format() == (
        f"{HF_BACKEND}:28:1: 'hf_transformers' is not a table of torchtitan's JobConfig (torchtitan 0.2.2 would "
        "fail: Invalid field names); remove it, or add --set job.custom_config_module=M where the run gives "
        "--job.custom_config_module=M (torchtitan's tables: job, profiling, metrics, model, optimizer, "
        "lr_scheduler, training, parallelism, checkpoint, activation_checkpoint, compile, quantize, comm, "
        "memory_estimation, fault_tolerance, experimental, validation, debug)")
    (tmp_path / "hf_backend_job_config.py").write_text(
        "from dataclasses import dataclass, field\n@dataclass\nclass HFTransformers:\n    model: str = ''\n"
        "@dataclass\nclass JobConfig:\n    hf_transformers: HFTransformers = field(default_factory=HFTransformers)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    source, lr = drawn(HF_BACKEND, ["job.custom_config_module=hf_backend_job_config"])
    used, logged = trainer_loop(torchtitan_schedulers, HF_BACKEND,
                                ("--job.custom_config_module", "hf_backend_job_config"))
    assert source.budget.updates == 10 and lr == used == logged


def test_a_custom_config_module_is_named_not_imported_and_its_keys_not_checked(torchtitan_schedulers, tmp_path):
    path = tmp_path / "titan.toml"
    path.write_text('[job]\ncustom_config_module = "my_project.config"\n[lr_scheduler]\nwarmup_steps = 10\n'
                    '[training]\nsteps = 100\nmy_flag = 1\n[my_table]\nx = 1\n')
    source = load_input(path)
    assert source.budget.updates == 100 and list(source.notes) == [
        "job.custom_config_module 'my_project.config': torchtitan merges that module's JobConfig into its own; "
        "lrplot does not import it, so keys torchtitan's own JobConfig lacks were not checked and are not read"]


@pytest.mark.slow
def test_print_spec_is_the_same_schedule(torchtitan_schedulers, cli, tmp_path):
    from lrplot.engine import simulate
    from lrplot.spec import load_spec

    printed = cli(DEEPSEEK, "--print-spec")
    assert printed.exit_code == 0, printed.output
    assert "type: 'lrplot.sources.torchtitan:lr_schedulers'" in printed.stdout
    (tmp_path / "spec.yaml").write_text(printed.stdout)
    again = simulate(load_spec(tmp_path / "spec.yaml")).schedules[0].values[(0, "lr")].tolist()
    assert again == drawn(DEEPSEEK)[1]
