"""A training config whose string value holds a control character written as a YAML escape: read as its
framework reads it (the value is no part of the schedule), not refused as an lrplot spec is.

Published, unedited: NVIDIA/NeMo@8cfedd7203462cb251a914e700e5605444277561
examples/nlp/language_modeling/tuning/conf/megatron_gpt_finetuning_config.yaml
(tests/data/nemo/megatron_gpt_finetuning_config.yaml): ``chat_prompt_tokens`` gives ``system_turn_start: "\\x00"``
(line 131), ``turn_start: "\\x11"`` and ``label_start: "\\x12"``, which YAML (and so OmegaConf, which NeMo
loads it with) reads as U+0000, U+0011 and U+0012. lrplot said ``131:26: the text contains the control character U+0000; remove it``.

The reference: trainer.max_steps is 20000, so ModelPT.setup_optimization hands it to the scheduler
(nemo/core/classes/modelPT.py:690-691) and prepare_lr_scheduler builds NeMo's own CosineAnnealing with the
sched block's warmup_steps, min_lr and constant_steps (nemo/core/optim/lr_scheduler.py:987-995; monitor and
reduce_on_plateau are its own keys), stepped by Lightning once per optimizer update (interval 'step',
:1007-1016); nemo_toolkit 3.0.0's real class, through tests/helpers/framework_stub.py.
"""

from __future__ import annotations

import pytest

from lrplot.errors import SpecError
from lrplot.sources import BudgetInputs, load_input
from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("nemo", "omegaconf")

FINETUNING = ROOT / "tests" / "data" / "nemo" / "megatron_gpt_finetuning_config.yaml"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_published_config_with_escaped_control_characters_equals_nemo():
    import torch

    from lrplot.engine import simulate
    from tests.helpers.framework_stub import nemo_schedulers

    nemo = nemo_schedulers()
    if nemo is None:
        pytest.skip("nemo_toolkit is not installed")
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-4)
    scheduler = nemo.CosineAnnealing(optimizer, warmup_steps=50, min_lr=0.0, constant_steps=0, max_steps=20000)
    expected = []
    for _ in range(20000):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    source = load_input(FINETUNING, inputs=BudgetInputs())
    assert source.kind == "nemo" and source.budget.updates == 20000
    assert simulate(source.spec).schedules[0].values[(0, "lr")].tolist() == expected


def test_the_escaped_value_is_kept_escaped():
    from lrplot.sources import load_document

    doc = load_document(FINETUNING)
    tokens = doc.data["model"]["data"]["chat_prompt_tokens"]
    assert tokens["system_turn_start"] == "\\x00" and tokens["turn_start"] == "\\x11"  # inert text, not U+0000
    assert doc.source.unprintable == {("model", "data", "chat_prompt_tokens", "system_turn_start"):
                                      "the control character U+0000",
                                      ("model", "data", "chat_prompt_tokens", "turn_start"):
                                      "the control character U+0011",
                                      ("model", "data", "chat_prompt_tokens", "label_start"):
                                      "the control character U+0012"}


def test_an_lrplot_spec_still_refuses_one(write_spec):
    path = write_spec('scheduler: {type: StepLR, step_size: 2}\nsteps: 4\nlr: 0.1\ntitle: "a\\x00b"\n', "x.yaml")
    with pytest.raises(SpecError) as info:
        load_input(path, inputs=BudgetInputs())
    assert info.value.format() == f"{path}:4:8: the text contains the control character U+0000; remove it"
