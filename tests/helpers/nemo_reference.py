"""NeMo's own arithmetic and scheduler classes, driven as NeMo + Lightning drive them: the reference the NeMo
reader's tests compare lrplot's curve with."""

from __future__ import annotations

from lrplot.sources import BudgetInputs, load_input


def nemo_loop(module, cls_name: str, lr: float, sched_args: dict, *, epochs: int, examples: int, batch: int) -> list:
    """NeMo's own arithmetic and class, stepped as Lightning does with interval 'step' (lr of each update)."""
    import torch

    max_steps = module.compute_max_steps(max_epochs=epochs, accumulate_grad_batches=1, limit_train_batches=1.0,
                                         num_workers=1, num_samples=examples, batch_size=batch, drop_last=False)
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = getattr(module, cls_name)(optimizer, **sched_args, max_steps=max_steps)
    lrs = []
    for _ in range(max_steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def drawn(path, examples: int) -> list:
    from lrplot.engine import simulate

    source = load_input(path, inputs=BudgetInputs(dataset_size=examples))
    assert source.kind == "nemo"
    return simulate(source.spec).schedules[0].values[(0, "lr")].tolist()
