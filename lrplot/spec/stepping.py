"""The spec's ``stepping`` key: a trainer that steps the scheduler in its own way, not once per update.

``stepping: {accelerate: {...}}``: the scheduler is wrapped in Accelerate's ``AcceleratedScheduler``
(a hand-written loop that passes it to ``accelerator.prepare``), which steps it ``num_processes``
times per optimizer update unless ``split_batches``, and not at all on accumulating micro-batches.
``stepping: {composer: {...}}``: MosaicML Composer's Trainer, whose schedulers read its training
time (``max_duration``, batches, samples, tokens, epochs). The engine drives both
(:mod:`lrplot.engine.stepping`); this module only says what a spec may write.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from .base import _Model

# Composer's time strings (composer/core/time.py, TimeUnit and _TIME_STR_REGEX): a number and a unit.
TIME_STRING = re.compile(r"^\s*(\d+(\.\d*)?|\.\d+)(e-?\d+)?(ep|ba|sp|tok|dur|iter)\s*$", re.IGNORECASE)


class AccelerateStepping(_Model):
    """How ``accelerate launch`` runs the loop whose scheduler went through ``accelerator.prepare``."""

    num_processes: int = Field(1, ge=1, strict=True, description="Processes (accelerate launch --num_processes).")
    split_batches: bool = Field(False, strict=True, description="Accelerator(split_batches=...): when true the "
                                                               "scheduler steps once per update.")
    gradient_accumulation_steps: int = Field(1, ge=1, strict=True, description=(
        "Accelerator(gradient_accumulation_steps=...): micro-batches per update; the loop calls "
        "scheduler.step() after each, and Accelerate steps only on the last."))


class ComposerStepping(_Model):
    """What Composer's Trainer tells its schedulers: the run's length and how much each batch holds."""

    max_duration: str = Field(description="Trainer max_duration as a Composer time string: 4800ba, 2ep, 1000sp, "
                                          "2000000tok.")
    dataloader_len: int | None = Field(None, gt=0, strict=True, description=(
        "Batches per epoch (state.dataloader_len); needed by 'ep' times and by 'dur' when max_duration is in ep."))
    samples_per_batch: int | None = Field(None, gt=0, strict=True, description="Samples per batch, all ranks "
                                                                                "(global batch size).")
    tokens_per_batch: int | None = Field(None, gt=0, strict=True, description="Tokens per batch, all ranks.")
    step_schedulers_every_batch: bool | None = Field(None, strict=True, description=(
        "Trainer's flag: None (default) steps Composer schedulers every batch and torch schedulers every epoch."))

    @field_validator("max_duration")
    @classmethod
    def _time_string(cls, value: str) -> str:
        if not TIME_STRING.match(value):
            raise ValueError(f"max_duration {value!r} is not a Composer time string such as 4800ba, 2ep, "
                             "1000sp, 2000000tok")
        return value.strip()


class Stepping(_Model):
    """A trainer that steps the scheduler in its own way (one of them)."""

    accelerate: AccelerateStepping | None = None
    composer: ComposerStepping | None = None
