"""NeMo configs whose schedule lrplot's NeMo reader refuses to draw, each in one line saying why: a block form it does
not read, or a model whose own code builds or steps its schedulers (or builds none), so that ModelPT's
setup_optimization + prepare_lr_scheduler stepped by Lightning is not what the run does.

Read from NVIDIA/NeMo at 8cfedd7203462cb251a914e700e5605444277561 (nemo_toolkit 3.0.0), files as named below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import SpecError

if TYPE_CHECKING:  # pragma: no cover
    from .protocol import Document

SCHED = ("model", "optim", "sched")
SPEC_HINT = "draw its schedule as an lrplot spec (steps: the training steps the run makes)"


def sched_block(data: Any) -> Any:
    model = data.get("model") if isinstance(data, dict) else None
    optim = model.get("optim") if isinstance(model, dict) else None
    return optim.get("sched") if isinstance(optim, dict) else None


def part_optims(data: Any) -> list[str]:
    """The ``model.optim_<part>`` blocks holding a ``sched`` block: one optimizer per part of the model, which
    such a model configures in its own code (SSLDisentangler, nemo/collections/tts/models/ssl_tts.py:
    ``automatic_optimization = False`` (:89), a WarmupPolicy built from each sched block's min_lr and warmup_steps
    (:206-260), both stepped by hand in training_step (:309-409))."""
    model = data.get("model") if isinstance(data, dict) else None
    return [k for k, v in model.items() if isinstance(k, str) and k.startswith("optim_") and isinstance(v, dict)
            and isinstance(v.get("sched"), dict)] if isinstance(model, dict) else []


def _gan_part(doc: Document) -> tuple[str, Any] | None:
    """(what, where) of a GAN model's generator or discriminator in the config (``model.discriminator``, VITS's
    ``model.synthesizer``, or a ``model/generator`` group in its defaults list), else None. NeMo's TTS GAN models set
    ``automatic_optimization = False`` and configure two optimizers (nemo/collections/tts/models/hifigan.py,
    univnet.py, audio_codec.py); VitsModel too (vits.py: :93, :141-176), its generator a SynthesizerTrn built from
    ``cfg.synthesizer``, and it steps both optimizers and both schedulers itself in training_step (:235-269:
    ExponentialLR only on an epoch's last batch)."""
    model = doc.data.get("model")
    for key in ("generator", "discriminator", "synthesizer"):
        if isinstance(model, dict) and key in model:
            return f"model.{key}", doc.source.key(("model", key))
    defaults = doc.data.get("defaults")
    for i, entry in enumerate(defaults if isinstance(defaults, list) else []):
        group = next(iter(entry), None) if isinstance(entry, dict) else None
        if group in ("model/generator", "model/discriminator"):
            return f"defaults: {group}", doc.source.value(("defaults", i))
    return None


def _unbuilt(doc: Document, data: Any) -> None:
    """Refuses a config for which NeMo builds no scheduler: ``sched.max_steps: -1`` that setup_optimization leaves
    in place (trainer.max_steps < 0, modelPT.py:674-675), whatever form the block's arguments take
    (prepare_lr_scheduler returns None on it, lr_scheduler.py:915-918)."""
    path = SCHED + ("max_steps",)
    if data.at(path) != -1:
        return
    given = data.at(("trainer", "max_steps"))
    if given is None or isinstance(given, int) and given < 0:
        raise SpecError("model.optim.sched.max_steps is -1 and trainer.max_steps does not replace it: NeMo builds no "
                        "scheduler then (prepare_lr_scheduler) and the lr stays at model.optim.lr",
                        location=doc.source.value(path), hint="nothing to draw; --set trainer.max_steps=N for a "
                        "schedule of N updates")


# model classes (the config's model.target) whose configure_optimizers builds no scheduler from model.optim.sched
NO_SCHEDULER = {"nemo.collections.tts.models.RadTTSModel": "returns its optimizer alone (radtts.py:264-284)"}


def refuse(doc: Document, data: Any) -> None:
    """Raises the one line for a config lrplot does not draw; ``data``: the config read resolved (``.at(path)``)."""
    raw = sched_block(doc.data)
    if not isinstance(raw, dict):
        parts = part_optims(doc.data)
        raise SpecError(f"{', '.join('model.' + k for k in parts)}: an optimizer per part of the model and no "
                        "model.optim, so setup_optimization builds nothing from them; the model's own "
                        "configure_optimizers does (SSLDisentangler: a WarmupPolicy from each sched block, both "
                        "stepped by hand in training_step), and lrplot does not model that trainer",
                        location=doc.source.key(("model", parts[0])), hint=SPEC_HINT)
    _unbuilt(doc, data)
    target = data.at(("model", "target"))
    if isinstance(target, str) and target in NO_SCHEDULER:
        raise SpecError(f"model.target {target.rsplit('.', 1)[-1]}: its configure_optimizers {NO_SCHEDULER[target]}, "
                        "so model.optim.sched is never read: NeMo builds no scheduler and the lr stays at "
                        "model.optim.lr", location=doc.source.value(("model", "target")), hint="nothing to draw")
    if "args" in raw:
        raise SpecError("model.optim.sched.args (the args/params form) is not read", hint="give the scheduler's "
                        "arguments as keys of model.optim.sched (warmup_steps: N, min_lr: X)",
                        location=doc.source.key(SCHED + ("args",)))
    if "_target_" in raw:
        raise SpecError("model.optim.sched._target_ (a params dataclass) is not read", hint="name the scheduler with "
                        "name: CosineAnnealing and give its arguments as keys",
                        location=doc.source.key(SCHED + ("_target_",)))
    gan = _gan_part(doc)
    if gan is not None:
        raise SpecError(f"{gan[0]}: a NeMo GAN model's config (HifiGan, UnivNet, AudioCodecModel, VITS: generator "
                        "and discriminator optimizers stepped by hand in training_step, and their schedulers stepped "
                        "by the model itself); Lightning counts trainer.max_steps over every optimizer step, so such a "
                        "run makes fewer training steps and scheduler steps than max_steps, and the model builds its "
                        "schedulers itself: lrplot does not model that trainer", location=gan[1], hint=SPEC_HINT)
