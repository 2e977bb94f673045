"""Run by tests/test_stepping_accelerate.py under ``accelerate launch --num_processes 2 --cpu``: the
hand-written loop of Accelerate's examples (examples/by_feature/gradient_accumulation.py: the scheduler goes
through ``accelerator.prepare`` and ``lr_scheduler.step()`` is called after every micro-batch inside
``accelerator.accumulate``). Process 0 writes the lr before every optimizer update (the torch optimizer's
step pre-hook: AcceleratedOptimizer calls it only on the updates that happen), and with ``tensorboard`` (a
folder) logs ``learning-rate`` after each update's ``scheduler.step()`` at the updates done, as Megatron-LM
does (tests/test_logs_trainer_faults.py)."""

import json
import sys


def main() -> None:
    import torch
    from accelerate import Accelerator, DataLoaderConfiguration
    from torch.utils.data import DataLoader, TensorDataset

    case, out = json.loads(sys.argv[1]), sys.argv[2]
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
    if accelerator.is_main_process:
        with open(out, "w") as f:
            json.dump({"seen": seen, "num_processes": accelerator.num_processes,
                       "split_batches": scheduler.split_batches}, f)
    # leave the gloo group before the interpreter tears down: a process that exits with it still
    # open can abort in its C++ teardown ("terminate called without an active exception", exit -6)
    accelerator.wait_for_everyone()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
