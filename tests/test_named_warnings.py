"""A framework's warning printed while several files are read and run names the file it came from, once.

Composer's CosineAnnealingWithWarmupScheduler warns 'The warmup duration is 0. ...' (composer/optim/scheduler.py
of mosaicml 0.32.1, :778) for LLM Foundry's finetune config with ``t_warmup: 0ba``:
tests/data/composer/1b_local_data_sft.yaml (scripts/train/yamls/finetune/1b_local_data_sft.yaml of
mosaicml/llm-foundry at b91e01f8b56afea613e32b693981e38d496281bb); mpt-125m.yaml beside it (same repository and
commit, scripts/train/yamls/pretrain/mpt-125m.yaml, t_warmup: 100ba) warns nothing.
"""

from __future__ import annotations

import warnings

import pytest

from lrplot.errors import warnings_named
from tests.helpers.paths import ROOT

DATA = ROOT / "tests" / "data" / "composer"
SFT, MPT = DATA / "1b_local_data_sft.yaml", DATA / "mpt-125m.yaml"
SAID = ("The warmup duration is 0. If you specified warmup as a fraction of total training duration, take note that "
        "the warmup duration is calculated in the same unit as the trainer's max_duration parameter.")


def test_warnings_inside_are_raised_again_naming_the_file():
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always")
        with warnings_named("a.yaml"):
            warnings.warn("careful", UserWarning)
        with warnings_named(None):
            warnings.warn("as it is", RuntimeWarning)
    assert [(w.category, str(w.message)) for w in heard] == [(UserWarning, "a.yaml: careful"),
                                                              (RuntimeWarning, "as it is")]


@pytest.fixture
def composer():
    from tests.helpers.composer_stub import install_composer_stub

    if not install_composer_stub():
        pytest.skip("mosaicml is not installed (pip install --no-deps mosaicml==0.32.1)")


@pytest.mark.slow
@pytest.mark.parametrize("command", [["plot", "-o", "out.png"], ["check"]])
def test_a_framework_warning_of_one_of_several_files_names_it_once(cli, composer, command):
    with warnings.catch_warnings(record=True) as heard:  # Composer's own, with its scheduler as it is run
        warnings.simplefilter("always")
        from types import SimpleNamespace

        import torch
        from composer.core.time import Time, Timestamp
        from composer.optim.scheduler import CosineAnnealingWithWarmupScheduler, compile_composer_scheduler

        optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-5)
        state = SimpleNamespace(optimizers=[optimizer], max_duration=Time.from_timestring("2ep"), dataloader_len=3,
                                timestamp=Timestamp())
        compile_composer_scheduler(CosineAnnealingWithWarmupScheduler(t_warmup="0ba"), state).step()
    assert " ".join(str(heard[0].message).split()) == SAID
    r = cli(command[0], str(SFT), str(MPT), "--dataset-size", "1000", *command[1:])
    assert r.exit_code == 0, r.stderr
    assert [line for line in r.stderr.splitlines() if line.startswith("lrplot: warning:")] == [
        f"lrplot: warning: {SFT}: {SAID}"]
