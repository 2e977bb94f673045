"""The torch schedulers every exactness test covers, each with arguments that exercise it."""

from __future__ import annotations

import inspect

from torch.optim import lr_scheduler as L

STEPS = 40

# name -> (spec arguments, reference arguments); a reference argument may be a Python callable.
SIMPLE = {
    "LambdaLR": ({"lr_lambda": "lambda epoch: min(1.0, (epoch + 1) / 10) * 0.97 ** epoch"},
                 {"lr_lambda": lambda epoch: min(1.0, (epoch + 1) / 10) * 0.97 ** epoch}),
    "MultiplicativeLR": ({"lr_lambda": "0.9 if epoch % 7 == 0 else 0.98"},
                         {"lr_lambda": lambda epoch: 0.9 if epoch % 7 == 0 else 0.98}),
    "StepLR": ({"step_size": 7, "gamma": 0.5}, None),
    "MultiStepLR": ({"milestones": [10, 25], "gamma": 0.3}, None),
    "ConstantLR": ({"factor": 0.25, "total_iters": 12}, None),
    "LinearLR": ({"start_factor": 0.05, "total_iters": 15}, None),
    "ExponentialLR": ({"gamma": 0.93}, None),
    "PolynomialLR": ({"total_iters": 30, "power": 1.7}, None),
    "CosineAnnealingLR": ({"T_max": 25, "eta_min": 1e-4}, None),
    "CosineAnnealingWarmRestarts": ({"T_0": 8, "T_mult": 2, "eta_min": 1e-3}, None),
    "CyclicLR": ({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 6, "mode": "exp_range", "gamma": 0.97}, None),
    "OneCycleLR": ({"max_lr": 0.5, "total_steps": STEPS, "three_phase": True}, None),
    "ReduceLROnPlateau": ({"factor": 0.5, "patience": 2}, None),
    "SWALR": ({"swa_lr": 0.02, "anneal_epochs": 7}, None),
}
NESTED = {
    # torch restarts every later phase with step(0), which ChainedScheduler cannot take, so a
    # nested chain can only come first.
    "SequentialLR": {"type": "SequentialLR", "milestones": [8, 20], "schedulers": [
        {"type": "ChainedScheduler", "schedulers": [  # nested two deep
            {"type": "LinearLR", "start_factor": 0.1, "total_iters": 5},
            {"type": "StepLR", "step_size": 4, "gamma": 0.8}]},
        {"type": "ExponentialLR", "gamma": 0.95},
        {"type": "CosineAnnealingLR", "T_max": 20}]},
    "ChainedScheduler": {"type": "ChainedScheduler", "schedulers": [
        {"type": "ConstantLR", "factor": 0.5, "total_iters": 6},
        {"type": "SequentialLR", "milestones": [10], "schedulers": [
            {"type": "LinearLR", "start_factor": 0.2, "total_iters": 10},
            {"type": "ExponentialLR", "gamma": 0.9}]}]},
}


def all_torch_schedulers():
    return {n for n, o in vars(L).items() if inspect.isclass(o) and not n.startswith("_")
            and issubclass(o, (L.LRScheduler, L.ReduceLROnPlateau)) and o is not L.LRScheduler} | {"SWALR"}
