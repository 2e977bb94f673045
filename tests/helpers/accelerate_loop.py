"""Run by tests/test_stepping.py under ``accelerate launch --multi_gpu --num_processes 2`` (once for every case): the
hand-written loop of Accelerate's examples (examples/by_feature/gradient_accumulation.py: the scheduler goes
through ``accelerator.prepare`` and ``lr_scheduler.step()`` is called after every micro-batch inside
``accelerator.accumulate``). Process 0 writes the lr before every optimizer update (the torch optimizer's
step pre-hook: AcceleratedOptimizer calls it only on the updates that happen). A case with ``tensorboard`` (a
folder) also logs ``learning-rate`` after each update's ``scheduler.step()`` at the updates done, as Megatron-LM
does (tests/test_stepping.py: its OneCycleLR case)."""

import json
import sys


def run_case(case: dict) -> dict:
    import torch
    from accelerate import Accelerator, DataLoaderConfiguration
    from accelerate.state import AcceleratorState, GradientState
    from torch.utils.data import DataLoader, TensorDataset

    # one launched job runs every case: each gets a fresh Accelerator (the process group stays)
    AcceleratorState._reset_state(reset_partial_state=False)
    GradientState._reset_state()
    # Accelerator(split_batches=...) is accepted and ignored by accelerate 1.15 (accelerator.py:283, the value
    # is never read): the setting that reaches AcceleratedScheduler is the DataLoaderConfiguration's
    config = DataLoaderConfiguration(split_batches=case["split_batches"])
    accelerator = Accelerator(cpu=True, dataloader_config=config,
                              gradient_accumulation_steps=case["gradient_accumulation_steps"])
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=case["lr"])
    seen = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append(opt.param_groups[0]["lr"]))
    scheduler = getattr(torch.optim.lr_scheduler, case["type"])(optimizer, **case["kwargs"])
    data = DataLoader(TensorDataset(torch.randn(case["examples"], 2), torch.randn(case["examples"], 1)),
                      batch_size=case["batch_size"])
    model, optimizer, data, scheduler = accelerator.prepare(model, optimizer, data, scheduler)
    writer = None
    if case.get("tensorboard") and accelerator.is_main_process:  # logged as Megatron-LM logs learning-rate
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(case["tensorboard"])
    for _ in range(case["epochs"]):
        for x, y in data:
            with accelerator.accumulate(model):
                loss = torch.nn.functional.mse_loss(model(x), y)
                accelerator.backward(loss)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            if writer is not None and accelerator.sync_gradients:  # after the update and scheduler.step()
                writer.add_scalar("learning-rate", optimizer.param_groups[0]["lr"], len(seen))
    if writer is not None:
        writer.close()
    accelerator.wait_for_everyone()
    return {"seen": seen, "num_processes": accelerator.num_processes, "split_batches": scheduler.split_batches}


def main() -> None:
    """argv: a JSON object of cases by name (or one case), and the output file (process 0 writes each case's
    result, or the one case's)."""
    import torch

    cases, out = json.loads(sys.argv[1]), sys.argv[2]
    one = "type" in cases
    results = run_case(cases) if one else {name: run_case(case) for name, case in cases.items()}
    if torch.distributed.get_rank() == 0:
        with open(out, "w") as f:
            json.dump(results, f)
    # leave the gloo group before the interpreter tears down: a process that exits with it still
    # open can abort in its C++ teardown ("terminate called without an active exception", exit -6)
    torch.distributed.barrier()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
