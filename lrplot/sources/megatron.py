"""A Megatron-LM launch script (its ``--lr-*`` flags) or ``--yaml-cfg`` YAML as an lrplot spec.

The schedule is Megatron-Core's own ``megatron.core.optimizer_param_scheduler.OptimizerParamScheduler``,
built with the arguments ``get_optimizer_param_scheduler`` gives it and stepped as ``train_step`` steps
it (Megatron-LM core_v0.16.1, commit 55ac7082517c3878ae653c07c09c534b8aed49f6):

* megatron/training/training.py:1354-1404 ``get_optimizer_param_scheduler``: the scheduler counts
  SAMPLES. Iteration-based (``--train-iters``): ``lr_decay_steps = lr_decay_iters (default
  train_iters) x global_batch_size``, warmup ``lr_warmup_fraction x lr_decay_steps`` else
  ``lr_warmup_iters x global_batch_size``, ``wd_incr_steps = train_iters x global_batch_size``,
  ``wsd_decay_steps = lr_wsd_decay_iters x global_batch_size``. Sample-based (``--train-samples``):
  the ``*_samples`` values as they are, and the run's iterations from ``update_train_iters``
  (:1128-1157: with ``--rampup-batch-size``, iterations counted with the num-microbatches
  calculator until the ramp-up samples are consumed, then ``(train_samples - consumed) //
  global_batch_size``; without, ``train_samples // global_batch_size``).
* training.py:1728-1733 ``train_step``: after a successful update ``step(increment=
  get_num_microbatches() x micro_batch_size x data_parallel_size)``, the iteration's global batch;
  an update the optimizer skips (an fp16 overflow) skips the step but still consumes its samples.
  lrplot's protocol ``megatron`` (:mod:`lrplot.engine.protocols`) makes these calls, per update.
* megatron/training/arguments.py:755-784 (iteration- and sample-based options exclude each other,
  no ramp-up with ``--train-iters``) and :866-874 (``constant`` weight decay: start = end =
  ``--weight-decay``); defaults from megatron/training/training_config.py (``--lr-decay-style
  linear``, ``--lr-wsd-decay-style exponential``, ``--min-lr 0``, ``--weight-decay 0.01``).

The curves drawn are ``lr`` and ``weight_decay``, both set by the scheduler at every step. The
x axis is iterations (optimizer updates).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..errors import Location, SpecError
from ..facts.frameworks import MEGATRON
from .protocol import Budget, Source, Told, assumption, budget_number

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document

KIND = "megatron"
LOOKS_FOR = ("a Megatron-LM launch script (--lr with --train-iters or --train-samples) or its --yaml-cfg YAML "
             "(lr, global_batch_size, train_iters or train_samples)")
FOLLOWS = "Megatron-LM core_v0.16.1 (get_optimizer_param_scheduler, train_step)"
DOCS = "docs/frameworks/megatron.rst"  # README's table links the kind to it
TYPE = MEGATRON  # the scheduler-type table's row is keyed by it
FLOATS = ("lr", "min_lr", "lr_warmup_fraction", "lr_warmup_init", "weight_decay", "start_weight_decay",
          "end_weight_decay", "decoupled_lr", "decoupled_min_lr")
INTS = ("lr_warmup_iters", "lr_warmup_samples", "lr_decay_iters", "lr_decay_samples", "lr_wsd_decay_iters",
        "lr_wsd_decay_samples", "train_iters", "train_samples", "global_batch_size")
CHOICES = {"lr_decay_style": ("constant", "linear", "cosine", "inverse-square-root", "WSD"),
           "lr_wsd_decay_style": ("exponential", "linear", "cosine", "minus_sqrt"),
           "weight_decay_incr_style": ("constant", "linear", "cosine")}
SWITCHES = ("fp16", "bf16", "decrease_batch_size_if_needed")
# megatron/training/training_config.py and arguments.py defaults (core_v0.16.1)
DEFAULTS = {"min_lr": 0.0, "lr_decay_style": "linear", "lr_wsd_decay_style": "exponential", "lr_warmup_iters": 0,
            "lr_warmup_samples": 0, "lr_warmup_init": 0.0, "weight_decay": 0.01, "weight_decay_incr_style": "constant"}
KEYS = (*FLOATS, *INTS, *CHOICES, *SWITCHES, "rampup_batch_size")
_SCRIPT = re.compile(r"(?<![\w-])--train-(iters|samples)(?![\w-])")
_LR = re.compile(r"(?<![\w-])--lr(?![\w-])")


def detect(doc: Document) -> bool:
    data = doc.data
    if isinstance(data, dict):
        return "global_batch_size" in data and ("train_iters" in data or "train_samples" in data) and (
            "lr" in data and "lr_decay_style" in data)
    # a script is often valid YAML too (one plain text): what matters is that it is no mapping
    return not isinstance(data, list) and doc.path.suffix != ".py" and bool(
        _SCRIPT.search(doc.text) and _LR.search(doc.text))


def own_overrides(doc: Document) -> bool:
    """A script's ``--set`` names its flags (``--set lr-decay-iters=1000``, ``--set ~train-iters``),
    applied in :func:`read`; a YAML's are applied to its keys as usual."""
    return not isinstance(doc.data, dict)


class _Args:
    """The run's arguments (flag name with underscores -> value) and where each stands."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.raw: dict[str, Any] = {}
        self.where: dict[str, Location] = {}
        self.origin = "key"
        if isinstance(doc.data, dict):
            for key in KEYS:
                if doc.data.get(key) is not None:
                    self.raw[key] = doc.data[key]
                    self.where[key] = doc.source.value((key,))
        else:
            self._script()

    def _script(self) -> None:
        from .megatron_script import parse, value

        self.origin = "flag"
        names = {k.replace("_", "-") for k in KEYS} | {"yaml-cfg"}
        script = parse(self.doc.text, str(self.doc.path), names)
        for item in self.doc.overrides:
            name, eq, text = item.partition("=")
            name = name.strip().lstrip("-")
            if name.startswith("~"):
                script.flags.pop(name[1:].lstrip("-").replace("_", "-"), None)
                continue
            key = name.replace("-", "_")
            if not eq or key not in KEYS:
                from ..text import did_you_mean

                hint = did_you_mean(key, KEYS)
                raise SpecError(f"--set {item}: not a Megatron flag lrplot reads (FLAG=VALUE, or ~FLAG to drop one)",
                                hint=hint or f"flags: {', '.join(k.replace('_', '-') for k in KEYS)}")
            from .megatron_script import Flag

            script.flags[key.replace("_", "-")] = Flag(key.replace("_", "-"), text.split(),
                                                       Location(f"--set {item}"))
        if "yaml-cfg" in script.flags:
            flag = script.flags["yaml-cfg"]
            raise SpecError("this script passes --yaml-cfg, and Megatron then ignores its other flags "
                            "(megatron/training/yaml_arguments.py: load_yaml)", location=flag.where,
                            hint=f"read that YAML instead: lrplot plot {' '.join(value(script, flag))}")
        for name, flag in script.flags.items():
            key = name.replace("-", "_")
            if key not in KEYS:
                continue
            self.where[key] = flag.where
            words = value(script, flag) if flag.words else []
            if key in SWITCHES:
                self.raw[key] = True
            elif key == "rampup_batch_size":
                self.raw[key] = [_number(w) for w in words]
            elif len(words) != 1:
                raise SpecError(f"--{name} takes one value, not {len(words)}", location=flag.where,
                                hint=f"e.g. --{name} {DEFAULTS.get(key, 1)}")
            else:
                self.raw[key] = words[0] if key in CHOICES else _number(words[0])

    def name(self, key: str) -> str:
        return f"--{key.replace('_', '-')}" if self.origin == "flag" else key

    def get(self, key: str) -> Any:
        if key not in self.raw:
            return DEFAULTS.get(key)
        value = self.raw[key]
        where = self.where.get(key)
        if key in SWITCHES:
            return bool(value)
        if key in CHOICES:
            if value not in CHOICES[key]:
                raise SpecError(f"{self.name(key)} {value!r} is not one of Megatron's choices", location=where,
                                hint=f"use one of {', '.join(CHOICES[key])}")
            return value
        if key == "rampup_batch_size":
            if not isinstance(value, list) or len(value) != 3:
                raise SpecError(f"{self.name(key)} takes three numbers: start batch size, increment, ramp-up samples",
                                location=where, hint="e.g. 16 16 5859375")
            return [budget_number(v, self.name(key), where, integer=True, low=0) for v in value]
        return budget_number(value, self.name(key), where, integer=key in INTS, low=0)

    def given(self, key: str) -> bool:
        return key in self.raw

    def refuse(self, key: str, message: str, hint: str) -> SpecError:
        return SpecError(f"{self.name(key)}: {message}", location=self.where.get(key) or Location(str(self.doc.path)),
                         hint=hint)


def _number(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _validate(a: _Args) -> None:
    """Megatron's own refusals (arguments.py:755-784, :866-874), located at the flag."""
    iters, samples = a.given("train_iters"), a.given("train_samples")
    if iters == samples:
        key = "train_iters" if iters else "lr"
        raise a.refuse(key, "give exactly one of --train-iters and --train-samples (Megatron: 'either train-iters "
                            "or train-samples should be provided')" if not iters else
                       "with --train-samples too (Megatron: 'expected iteration-based training')",
                       "keep one of them (--set ~train-iters drops a flag)")
    if iters:
        for key in ("lr_decay_samples", "lr_warmup_samples", "lr_wsd_decay_samples", "rampup_batch_size"):
            if a.given(key) and (key != "lr_warmup_samples" or a.get(key)):
                raise a.refuse(key, "is for sample-based training, and this run is iteration-based (--train-iters): "
                                    "Megatron refuses it (arguments.py:755-766)",
                               f"use --train-samples, or drop it with --set ~{key.replace('_', '-')}")
    else:
        for key in ("lr_decay_iters", "lr_warmup_iters", "lr_wsd_decay_iters"):
            if a.given(key) and (key != "lr_warmup_iters" or a.get(key)):
                raise a.refuse(key, "is for iteration-based training, and this run is sample-based (--train-samples): "
                                    "Megatron refuses it (arguments.py:771-780)",
                               f"use the *-samples flag, or drop it with --set ~{key.replace('_', '-')}")
    if a.given("lr_warmup_fraction") and (a.get("lr_warmup_iters") or a.get("lr_warmup_samples")):
        key = "lr_warmup_iters" if a.get("lr_warmup_iters") else "lr_warmup_samples"
        raise a.refuse(key, "and --lr-warmup-fraction both set the warmup (Megatron: 'can only specify one')",
                       "keep one of them")
    if a.get("weight_decay_incr_style") == "constant":
        for key in ("start_weight_decay", "end_weight_decay"):
            if a.given(key):
                raise a.refuse(key, "needs --weight-decay-incr-style linear or cosine (Megatron asserts it is unset "
                                    "for constant: arguments.py:866-869)", "drop it, or set the increment style")
    else:
        for key in ("start_weight_decay", "end_weight_decay"):
            if not a.given(key):
                raise a.refuse("weight_decay_incr_style", f"needs --{key.replace('_', '-')} (arguments.py:873-874)",
                               f"add --{key.replace('_', '-')} VALUE")


def _ask(a: _Args, key: str, what: str) -> SpecError:
    return SpecError(f"needs {what}", location=Location(str(a.doc.path)),
                     hint=f"add --set {key.replace('_', '-') if a.origin == 'flag' else key}=VALUE")


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from ..spec import spec_from_data
    from ..yamlio import SourceMap

    a = _Args(doc)
    _validate(a)
    if a.get("lr") is None:
        raise _ask(a, "lr", "the peak learning rate (--lr; Megatron has no default)")
    gbs = a.get("global_batch_size")
    if gbs is None:
        raise _ask(a, "global_batch_size", "the global batch size (--global-batch-size; Megatron's default is "
                                           "micro batch x data-parallel size, which the script does not show)")
    budget_number(gbs, a.name("global_batch_size"), a.where.get("global_batch_size"), integer=True, positive=True)
    ramp = a.get("rampup_batch_size")
    _import_quietly()
    notes: list[str] = []
    told = [Told("global batch size", gbs, a.name("global_batch_size"))]
    if a.given("train_iters"):  # training.py:1357-1368
        train_iters = budget_number(a.get("train_iters"), a.name("train_iters"), a.where.get("train_iters"),
                                    integer=True, positive=True)
        decay_iters = a.get("lr_decay_iters") if a.given("lr_decay_iters") else train_iters
        decay = decay_iters * gbs
        wd_steps = train_iters * gbs
        wsd = a.get("lr_wsd_decay_iters") * gbs if a.given("lr_wsd_decay_iters") else None
        warmup = (a.get("lr_warmup_fraction") * decay if a.given("lr_warmup_fraction")
                  else a.get("lr_warmup_iters") * gbs)
        decided, total = "train_iters", f"{a.name('train_iters')} {train_iters}"
    else:  # training.py:1370-1384 and update_train_iters, :1128-1157
        samples = budget_number(a.get("train_samples"), a.name("train_samples"), a.where.get("train_samples"),
                                integer=True, positive=True)
        train_iters = _iterations(samples, gbs, ramp)
        decay = a.get("lr_decay_samples") if a.given("lr_decay_samples") else samples
        wd_steps = samples
        wsd = a.get("lr_wsd_decay_samples") if a.given("lr_wsd_decay_samples") else None
        warmup = a.get("lr_warmup_fraction") * decay if a.given("lr_warmup_fraction") else a.get("lr_warmup_samples")
        decided = "train_samples"
        total = (f"{a.name('train_samples')} {samples} / global batch {gbs}"
                 + (f" after a ramp-up {' '.join(map(str, ramp))}" if ramp else ""))
        told.append(Told("training samples", samples, a.name("train_samples")))
    if a.get("lr_decay_style") == "WSD" and wsd is None:
        key = "lr_wsd_decay_iters" if a.given("train_iters") else "lr_wsd_decay_samples"
        raise a.refuse("lr_decay_style", f"WSD needs --{key.replace('_', '-')} (Megatron asserts wsd_decay_steps "
                                         "is set: optimizer_param_scheduler.py)", f"add --{key.replace('_', '-')} N")
    # a fraction of the decay samples stays the float Megatron computes (training.py:1367-1368, :1382-1383 pass
    # it on untruncated; optimizer_param_scheduler.py compares num_steps with it and divides by it)
    wd = a.get("weight_decay")
    start_wd = a.get("start_weight_decay") if a.given("start_weight_decay") else wd
    end_wd = a.get("end_weight_decay") if a.given("end_weight_decay") else wd
    if a.get("fp16"):
        notes.append(assumption(
            "fp16: an iteration whose gradients overflow skips the scheduler's step but still consumes its samples "
            "(training.py:1728-1733), so every later lr is a batch behind; lrplot assumes none overflows",
            settle=a.name("fp16")))
    # every real model has them: the weight_decay drawn is the other parameters'
    notes.append("biases and 1-dim weights (norms) are in param groups with wd_mult 0 (megatron/core/optimizer/"
                 "__init__.py:80-96, megatron-core 0.16.1): the same lr, weight_decay 0 throughout")
    if ramp and a.get("decrease_batch_size_if_needed"):
        notes.append(assumption("--decrease-batch-size-if-needed: lrplot assumes every ramp-up batch is a multiple "
                                "of micro batch x data-parallel size, so none is decreased",
                                settle=a.name("decrease_batch_size_if_needed")))
    sched: dict[str, Any] = {
        "type": TYPE, "init_lr": a.get("lr_warmup_init"), "max_lr": a.get("lr"), "min_lr": a.get("min_lr"),
        "lr_warmup_steps": warmup, "lr_decay_steps": decay, "lr_decay_style": a.get("lr_decay_style"),
        "start_wd": start_wd, "end_wd": end_wd, "wd_incr_steps": wd_steps,
        "wd_incr_style": a.get("weight_decay_incr_style"), "wsd_decay_steps": wsd,
        "lr_wsd_decay_style": a.get("lr_wsd_decay_style"), "global_batch_size": gbs,
    }
    if ramp:
        sched["rampup_batch_size"] = ramp
    spec_data = {"title": f"Megatron {a.get('lr_decay_style')}: {doc.path.name}", "steps": train_iters,
                 "optimizer": {"type": "AdamW", "lr": a.get("lr"), "weight_decay": start_wd},
                 "fields": ["lr", "weight_decay"], "scheduler": sched}
    source = SourceMap(str(doc.path))
    _decoupled(a, spec_data, source)
    moves = {"lr": "max_lr", "min_lr": "min_lr", "lr_warmup_init": "init_lr", "lr_decay_style": "lr_decay_style",
             "weight_decay_incr_style": "wd_incr_style", "lr_wsd_decay_style": "lr_wsd_decay_style",
             "global_batch_size": "global_batch_size", "rampup_batch_size": "rampup_batch_size"}
    for key, where in a.where.items():
        if key in moves:
            source.values[("scheduler", moves[key])] = where
    source.values[("steps",)] = a.where.get(decided, Location(str(doc.path)))
    source.values[()] = source.values[("scheduler",)] = Location(str(doc.path))
    spec = spec_from_data(spec_data, source, file=doc.path)
    text = (f"{total} = {train_iters} iterations; the scheduler counts samples: decay {_shown(decay)}, warmup "
            f"{_shown(warmup)}, step(increment=global batch) per update")
    told.insert(0, Told("total updates", train_iters, a.name(decided)))
    budget = Budget(text, train_iters, told=tuple(told), decided_by=a.name(decided), where=a.where.get(decided))
    return Source(KIND, spec, budget, tuple(notes))


def _decoupled(a: _Args, spec_data: dict, source: Any) -> None:
    """``--decoupled-lr``: the embedding and output layers' param group peaks there and ends at
    ``--decoupled-min-lr`` (else ``--min-lr``). training.py:2618-2620 (d98e8a64) builds the optimizer with
    megatron-core's ``get_standard_config_overrides``, which gives parameters marked
    ``is_embedding_or_output_parameter`` a group of their own with ``max_lr``/``min_lr`` (megatron-core 0.16.1
    optimizer/__init__.py:98-103); ``OptimizerParamScheduler.get_lr`` reads them per group (:223-224)."""
    if not a.given("decoupled_lr"):
        return
    high = a.get("decoupled_lr")
    low = a.get("decoupled_min_lr") if a.given("decoupled_min_lr") else a.get("min_lr")
    spec_data["param_groups"] = [{"name": "default"}, {"name": "embedding, output (--decoupled-lr)", "lr": high,
                                                       "max_lr": high, "min_lr": low}]
    for key, option in (("decoupled_lr", "max_lr"), ("decoupled_min_lr", "min_lr")):
        if key in a.where:
            source.values[("param_groups", 1, option)] = a.where[key]


def _shown(count: float) -> str:
    """A sample count short where that is exact (``3.168e+07``), else in full (``97460937.4``)."""
    short = f"{count:g}"
    return short if float(short) == count else repr(count)


def _iterations(samples: int, gbs: int, ramp: list[int] | None) -> int:
    """``update_train_iters`` (training.py:1128-1157), with Megatron's own calculator for a ramp-up."""
    if not ramp:
        return samples // gbs
    from megatron.core.num_microbatches_calculator import RampupBatchsizeNumMicroBatchesCalculator

    calc = RampupBatchsizeNumMicroBatchesCalculator(gbs, 1, 1, False, 1, *ramp)
    iterations = consumed = 0
    while consumed <= ramp[2] and consumed <= samples:
        calc.update(consumed, False)
        consumed += calc.get_current_global_batch_size()
        iterations += 1
    if samples > consumed:
        iterations += (samples - consumed) // gbs
    return iterations


def _import_quietly() -> None:
    """Import Megatron-Core's scheduler without the 'Transformer Engine and Apex are not installed'
    warnings its package import gives (lrplot uses only the scheduler and the batch calculator)."""
    import sys
    import warnings

    if "megatron.core.optimizer_param_scheduler" in sys.modules:
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Transformer Engine and Apex are not installed.*")
        import megatron.core.optimizer_param_scheduler  # noqa: F401
