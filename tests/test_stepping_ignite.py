"""ignite's param schedulers as spec scheduler types: the curve equals a REAL ignite ``Engine`` run on the CPU,
``==`` at every update.

pytorch-ignite 0.5.5: a ``ParamScheduler`` is a handler; attached on ``Events.ITERATION_STARTED`` (ignite's
documented use), its ``__call__`` (ignite/handlers/param_scheduler.py:213-238) sets the param-group value
BEFORE the iteration's update and then counts the event; ``ConcatScheduler.__call__`` (:773-778) hands over
after each duration; ``LRScheduler.__call__`` (:1001-1003) computes the wrapped torch scheduler's lr and then
advances its ``last_epoch``. The run records the lr each update uses with ``optimizer.register_step_pre_hook``.
"""

from __future__ import annotations

import pytest

from lrplot.errors import SpecError
from lrplot.spec import parse_spec

from tests.helpers.installed import require

require("ignite")

MODULE = "ignite.handlers.param_scheduler"
CASES = {
    "CosineAnnealingScheduler": {"type": f"{MODULE}:CosineAnnealingScheduler", "param_name": "lr",
                                 "start_value": 0.1, "end_value": 0.001, "cycle_size": 20},
    "LinearCyclicalScheduler": {"type": f"{MODULE}:LinearCyclicalScheduler", "param_name": "lr",
                                "start_value": 0.01, "end_value": 0.1, "cycle_size": 16, "warmup_duration": 4, "monotonic": True},
    "PiecewiseLinear": {"type": f"{MODULE}:PiecewiseLinear", "param_name": "lr",
                        "milestones_values": [[0, 0.0], [10, 0.1], [50, 0.01]]},
    "ConcatScheduler": {"type": f"{MODULE}:ConcatScheduler", "durations": [15], "schedulers": [
        {"type": f"{MODULE}:LinearCyclicalScheduler", "param_name": "lr", "start_value": 0.1, "end_value": 0.5,
         "cycle_size": 30},
        {"type": f"{MODULE}:CosineAnnealingScheduler", "param_name": "lr", "start_value": 0.5, "end_value": 0.01,
         "cycle_size": 90}]},
    "create_lr_scheduler_with_warmup over a torch StepLR": {
        "type": f"{MODULE}:create_lr_scheduler_with_warmup", "warmup_start_value": 0.0, "warmup_duration": 10,
        "schedulers": [{"type": "StepLR", "step_size": 10, "gamma": 0.5}]},
    "LRScheduler wrapping a torch ExponentialLR": {
        "type": f"{MODULE}:LRScheduler", "schedulers": [{"type": "ExponentialLR", "gamma": 0.9}]},
}
ITERATIONS, EPOCHS = 12, 5  # 60 updates


def build(optimizer, node):
    """The scheduler as a user's script builds it, from the same description."""
    import ignite.handlers.param_scheduler as ignite
    import torch

    args = {k: v for k, v in node.items() if k not in ("type", "schedulers")}
    name = node["type"].rpartition(":")[2]
    if name == "PiecewiseLinear":
        args["milestones_values"] = [tuple(p) for p in args["milestones_values"]]
    if name == "ConcatScheduler":
        return ignite.ConcatScheduler([build(optimizer, n) for n in node["schedulers"]], **args)
    if "schedulers" in node:
        inner = node["schedulers"][0]
        torch_args = {k: v for k, v in inner.items() if k != "type"}
        return getattr(ignite, name)(getattr(torch.optim.lr_scheduler, inner["type"])(optimizer, **torch_args), **args)
    return getattr(ignite, name)(optimizer, **args)


def engine_run(node) -> list[float]:
    """A real ignite Engine: every iteration makes one update; the scheduler is attached on ITERATION_STARTED."""
    import torch
    from ignite.engine import Engine, Events

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append(opt.param_groups[0]["lr"]))
    scheduler = build(optimizer, node)

    def update(engine, batch):
        optimizer.zero_grad()
        loss = model(batch).pow(2).mean()
        loss.backward()
        optimizer.step()

    trainer = Engine(update)
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    trainer.run([torch.randn(4, 2) for _ in range(ITERATIONS)], max_epochs=EPOCHS)
    return seen


def drawn(node) -> list[float]:
    from lrplot.engine import simulate

    spec = parse_spec({"steps": ITERATIONS * EPOCHS, "optimizer": {"type": "SGD", "lr": 0.1}, "scheduler": node})
    return simulate(spec).schedules[0].values[(0, "lr")].tolist()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_ignite_schedulers_equal_a_real_engine_run(name):
    real = engine_run(CASES[name])
    assert len(real) == ITERATIONS * EPOCHS
    assert drawn(CASES[name]) == real


def test_ignite_takes_no_interval_and_is_trusted_without_a_flag():
    from lrplot.engine import simulate

    node = {**CASES["CosineAnnealingScheduler"], "interval": "epoch"}
    spec = parse_spec({"steps": 20, "steps_per_epoch": 5, "scheduler": node})
    with pytest.raises(SpecError) as err:
        simulate(spec)
    assert err.value.format() == (
        "<spec>:scheduler.interval: interval: epoch does not apply to ignite.handlers.param_scheduler:"
        "CosineAnnealingScheduler: ignite schedulers are called before every iteration; remove 'interval: epoch'")
