"""A TrainingArguments config as the Hugging Face readers see it: its values with their locations and the
arguments class's defaults (:class:`HfConfig`), and the keys that decide the schedule (:data:`SCHEDULE_KEYS`).
Shared by the readers of TrainingArguments and of the configs built on it (TRL, LLaMA-Factory, axolotl) and
by :mod:`.hf_budget`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Location, SpecError
from ..text import TYPO_RATIO, did_you_mean
from .protocol import budget_number

if TYPE_CHECKING:  # pragma: no cover
    from .protocol import Document

# The TrainingArguments keys that decide the schedule; near-misses of these are errors (did you
# mean), every other key of a recipe (model, data, logging, ...) is ignored.
SCHEDULE_KEYS = (
    "learning_rate", "lr_scheduler_type", "lr_scheduler_kwargs", "warmup_steps", "warmup_ratio",
    "num_train_epochs", "max_steps", "per_device_train_batch_size", "gradient_accumulation_steps",
    "dataloader_drop_last", "optim", "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon",
    "accelerator_config",
)


class HfConfig:
    """The config's values with their locations, and the installed TrainingArguments defaults."""

    def __init__(self, doc: Document, args_class: Any = None):
        """``args_class``: the arguments dataclass (TrainingArguments when None), or a record of one read
        without importing it (:class:`.trl_fields.ConfigFields`: name, fields, defaults)."""
        import dataclasses

        if args_class is None:
            from transformers.training_args import TrainingArguments as args_class

        self.doc = doc
        self.data: dict = doc.data
        if isinstance(args_class, type):
            found = dataclasses.fields(args_class)
            self.args_name = args_class.__name__
            self.defaults = {f.name: f.default for f in found if f.default is not dataclasses.MISSING}
            self.fields = [f.name for f in found]
        else:
            self.args_name = args_class.name
            self.defaults = dict(args_class.defaults)
            self.fields = list(args_class.fields)

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def where(self, key: str) -> Location:
        return self.doc.source.value((key,)) if key in self.data else Location(str(self.doc.path))

    def error(self, key: str, message: str, hint: str | None = None) -> SpecError:
        return SpecError(message, hint=hint, location=self.where(key))

    def get(self, key: str) -> Any:
        return self.data[key] if self.has(key) else self.defaults.get(key)

    def number(self, key: str, *, integer: bool = False, positive: bool = False, low: float | None = None) -> Any:
        value = self.get(key)
        if integer and isinstance(value, float):  # TrainingArguments' int fields take no 2.0
            raise self.error(key, f"{key} must be a whole number, not {value!r}")
        return budget_number(value, key, self.where(key), integer=integer, positive=positive, low=low)

    def flag(self, key: str) -> bool:
        value = self.get(key)
        if not isinstance(value, bool):
            raise self.error(key, f"{key} must be true or false, not {value!r}")
        return value

    def check_near_misses(self) -> None:
        """A key that is not a TrainingArguments field but looks like a schedule key is a typo. "Looks
        like" is strict (difflib ratio >= TYPO_RATIO): a training script's own key that merely shares
        words with one, such as open-r1's ``code_eval_test_batch_size`` (0.62 to
        ``per_device_train_batch_size``), is not refused."""
        for key in self.data:
            if not isinstance(key, str) or key in self.fields or key in SCHEDULE_KEYS:
                continue
            hint = did_you_mean(key, SCHEDULE_KEYS, cutoff=TYPO_RATIO)
            if hint:
                raise SpecError(f"'{key}' is not a {self.args_name} key", hint=hint,
                                location=self.doc.source.key((key,)))
