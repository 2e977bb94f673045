"""A torchtitan config function (releases after 0.2.2: a ``config_registry`` module's function returning
``Trainer.Config``, since pytorch/torchtitan#2386) as an lrplot spec.

torchtitan selects one with ``--module M --config NAME`` (torchtitan 0.3.0, ``config/manager.py:48-159``:
``importlib.import_module(f"{M}.config_registry")``, then ``getattr(module, NAME)()``). lrplot reads the
file given as SPEC: ``--set config=NAME`` names the function (a file with one config function needs
none). The file is code, so it runs only under the allow rule (:mod:`lrplot.imports`): a file inside a
package (folders holding ``__init__.py``) is imported under its package's name, as torchtitan imports it,
and is allowed by that package (``--allow-import torchtitan``, or a project folder ``./src/mypkg``); a
file on its own is loaded by its path and allowed by it. Without the allowance nothing of the file runs:
one line names the flag.

The config the function returns is read duck-typed: ``lr_scheduler`` (torchtitan's own
``LRSchedulersContainer.Config``; a subclass, whose ``build`` may differ, is refused), ``training.steps``
and ``optimizer.param_groups`` (one learning rate). The schedule is torchtitan's own:
:func:`lr_schedulers` (the spec's scheduler type) builds ``LRSchedulersContainer.Config(...)`` with
the function's values and calls its ``build(optimizers=..., training_steps=training.steps)``, as the
trainer does (torchtitan 0.3.0, ``trainer.py:554-557``), and returns the LambdaLR it made for lrplot's
one optimizer (the trainer makes one per optimizer, all with the same lambda). Stepping
(``trainer.py:1031-1032``, ``while self.should_continue_training(): self.step += 1``, :1075-1076
``self.step < training.steps``; in ``train_step``, :948-949 ``self.optimizers.step()`` then
``self.lr_schedulers.step()``): once per step, the spec's ``interval: step``.

``--set training.steps=N`` and ``--set lr_scheduler.KEY=VALUE`` change the values read, as
torchtitan's command line (``--training.steps N``) changes the config.
"""

from __future__ import annotations

import ast
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from ..astparse import parse
from ..errors import ImportNotAllowedError, Location, SpecError
from .protocol import Budget, Source, Told, assumption, budget_number

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document

KIND = "torchtitan-registry"
LOOKS_FOR = "a torchtitan (> 0.2.2) config_registry Python file: functions returning Trainer.Config"
TORCHTITAN_READ = "0.3.0"
FOLLOWS = f"torchtitan {TORCHTITAN_READ} (trainer.py, config/manager.py, components/optimizer/lr_scheduler.py)"
DOCS = "docs/frameworks/torchtitan.rst"
SCHEDULER = "lrplot.sources.torchtitan_registry:lr_schedulers"
FIELDS = ("warmup_steps", "total_steps", "decay_ratio", "decay_type", "min_lr_factor")  # LRSchedulersContainer.Config
# where LRSchedulersContainer lives: 0.3.0, and the main branch between #2386 and #4140 (2026-08-17)
_MODULES = ("torchtitan.components.optimizer.lr_scheduler", "torchtitan.components.lr_scheduler")


def detect(doc: Document) -> bool:
    return (doc.path.suffix == ".py" and "Trainer.Config" in doc.text
            and any(line.lstrip().startswith(("from torchtitan", "import torchtitan")) for line in doc.text.splitlines()))


def own_overrides(doc: Document) -> bool:
    """``--set config=NAME`` selects the function; the others change what it returned, in :func:`read`."""
    return True


def _container() -> Any:
    import importlib

    for name in _MODULES:
        try:
            return importlib.import_module(name).LRSchedulersContainer
        except (ModuleNotFoundError, AttributeError):
            continue
    from importlib import metadata

    try:
        have = f"torchtitan {metadata.version('torchtitan')} is installed"
    except metadata.PackageNotFoundError:
        have = "torchtitan is not installed"
    raise SpecError(f"a torchtitan config function needs torchtitan after 0.2.2 (LRSchedulersContainer); {have}",
                    hint=f"pip install 'torchtitan>={TORCHTITAN_READ}'")


def lr_schedulers(optimizer: Any, training_steps: int, **lr_scheduler: Any) -> Any:
    """torchtitan's ``LRSchedulersContainer.Config(**lr_scheduler).build(optimizers=[optimizer],
    training_steps=training_steps)``: the LambdaLR it builds for one optimizer. Fields left out take
    torchtitan's defaults."""
    return _container().Config(**lr_scheduler).build(optimizers=[optimizer],
                                                     training_steps=training_steps).schedulers[0]


def _functions(doc: Document) -> tuple[dict[str, ast.FunctionDef], list[str]]:
    """The file's module-level public functions (read, not run; torchtitan calls any one its --config
    names), and those among them annotated to return a ``Config`` (the ones a file offers)."""
    try:
        tree = parse(doc.text, filename=str(doc.path))
    except SyntaxError as exc:
        raise SpecError(f"not valid Python: {exc.msg}", location=Location(str(doc.path), exc.lineno, exc.offset),
                        hint="fix the file") from None
    functions = {node.name: node for node in tree.body
                 if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}
    offered = [name for name, node in functions.items()
               if node.returns is not None and ast.unparse(node.returns).split(".")[-1].strip("'\"") == "Config"]
    return functions, offered


def _select(doc: Document) -> tuple[str, Location, list[str]]:
    """The config function's name (``--set config=NAME``), where it is defined, and the other overrides."""
    functions, offered = _functions(doc)
    chosen, rest = None, []
    for item in doc.overrides:
        key, sep, value = item.partition("=")
        if sep and key.strip() == "config":
            chosen = value.strip()
        else:
            rest.append(item)
    if chosen is None:
        if len(offered) != 1:
            names = ", ".join(offered) or "none"
            raise SpecError(f"{len(offered)} torchtitan config functions here ({names}); torchtitan runs the one "
                            "its --config names", location=Location(str(doc.path)),
                            hint="choose one: --set config=NAME")
        chosen = offered[0]
    if chosen not in functions:
        from ..text import did_you_mean

        raise SpecError(f"no config function '{chosen}' here (torchtitan would fail: Config function not found)",
                        location=Location(str(doc.path)),
                        hint=did_you_mean(chosen, list(functions)) or f"one of: {', '.join(offered) or 'none'}")
    node = functions[chosen]
    return chosen, Location(str(doc.path), node.lineno, node.col_offset + 1), rest


def _package_module(path: Path) -> str | None:
    """``a.b.c`` for a file ``.../a/b/c.py`` whose folders up to ``a`` hold ``__init__.py``."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts) if len(parts) > 1 else None


def load_function(doc: Document, name: str, where: Location, allow_import: Allowance) -> Any:
    """The config function, imported only under the allow rule (refused before anything runs)."""
    from ..imports import allowed_imports, resolve_allowed
    from ..walk import parse_import

    path = doc.path.resolve()
    module = _package_module(path)
    text = f"{module}:{name}" if module else f"{path}:{name}"
    allowance = allowed_imports(allow_import)
    target = parse_import(text, location=where, base_dir=path.parent)
    if not allowance.permits(target):
        what = f"the package '{module.split('.')[0]}'" if module else "this file"
        raise ImportNotAllowedError(f"a torchtitan config function is code: reading {name}() runs {what}, and "
                                    "lrplot runs no code it was not allowed to",
                                    hint=f"if you trust it, {allowance.how_to_allow(target.allow_name)}",
                                    location=where)
    _need_release(where)
    try:
        with _caught():  # what importing torchtitan's models logs says nothing about this config
            function = resolve_allowed(text, allow_import=allow_import, location=where, base_dir=path.parent)
    except SpecError as exc:
        if "attempted relative import" not in exc.message:
            raise
        raise SpecError(exc.message, location=exc.location,
                        hint="a file with relative imports is read where its package is (folders holding "
                             "__init__.py), e.g. torchtitan/models/llama3/config_registry.py as installed") from None
    import sys

    found = Path(getattr(sys.modules.get(function.__module__), "__file__", None) or "?").resolve()
    if found != path:
        raise SpecError(f"importing {module} finds {found}, not this file", location=where,
                        hint="run lrplot where that package is imported from this file's folder, or "
                             "allow the project folder by its path (--allow-import ./FOLDER)")
    return function


def _need_release(where: Location) -> None:
    """Refuse, before the file runs, when the installed torchtitan predates config functions (0.2.2 and
    earlier read TOML job configs: the kind ``torchtitan``)."""
    import re
    from importlib import metadata

    try:
        have = metadata.version("torchtitan")
    except metadata.PackageNotFoundError:
        raise SpecError("a torchtitan config function needs torchtitan, which is not installed", location=where,
                        hint=f"pip install 'torchtitan>={TORCHTITAN_READ}'") from None
    if tuple(int(n) for n in re.findall(r"\d+", have.split("+")[0])[:3]) <= (0, 2, 2):
        raise SpecError(f"a torchtitan config function (Trainer.Config, since pytorch/torchtitan#2386) needs "
                        f"torchtitan after 0.2.2; {have} is installed, which reads TOML job configs",
                        location=where, hint=f"pip install 'torchtitan>={TORCHTITAN_READ}'")


@contextmanager
def _caught() -> Iterator[list[logging.LogRecord]]:
    """The warnings torchtitan logs meanwhile (its logger is the root logger), kept off stderr: a handler
    on the root logger stands in for logging's last-resort printing."""
    caught: list[logging.LogRecord] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                caught.append(record)

    root = logging.getLogger()
    handler = Catch()
    root.addHandler(handler)
    try:
        yield caught
    finally:
        root.removeHandler(handler)


def _called(function: Any, name: str, where: Location) -> tuple[Any, list[str]]:
    """What the function returns, and what torchtitan warned while it built the config (a plain note
    each: torchtitan's own run logs the same, and none of it is about the schedule)."""
    from ..imports.loading import run_error

    with _caught() as caught:
        try:
            config = function()
        except Exception as exc:  # noqa: BLE001 - the project's code may raise anything
            error = run_error(exc, f"calling {name}() failed", where, Path(where.path))
            raise SpecError(error.message, location=error.location,
                            hint="torchtitan's own call of it would fail the same way (--debug shows the "
                                 "traceback)") from None
    return config, [f"torchtitan, building {name}()'s config: {record.getMessage()}" for record in caught]


def _read_config(config: Any, name: str, where: Location) -> dict:
    """What lrplot reads off the returned config, as plain data (duck-typed, one line for anything missing)."""
    def need(obj: Any, attr: str, path: str) -> Any:
        if not hasattr(obj, attr):
            raise SpecError(f"{name}() returned {type(obj).__qualname__} without {path}; lrplot reads a torchtitan "
                            "Trainer.Config's lr_scheduler, training.steps and optimizer", location=where,
                            hint="return the Trainer.Config torchtitan would train with")
        return getattr(obj, attr)

    sched = need(config, "lr_scheduler", "lr_scheduler")
    steps = need(need(config, "training", "training"), "steps", "training.steps")
    groups = need(need(config, "optimizer", "optimizer"), "param_groups", "optimizer.param_groups")
    cls = type(sched)
    if cls.__qualname__ != "LRSchedulersContainer.Config" or cls.__module__ not in _MODULES:
        import sys

        module = cls.__module__
        if module.startswith("_lrplot_local_"):  # a local file's private module name: say the file
            module = Path(getattr(sys.modules.get(module), "__file__", None) or module).name
        raise SpecError(f"{name}() configures its lr_scheduler with {cls.__qualname__} of {module}, not "
                        "torchtitan's LRSchedulersContainer.Config; lrplot draws torchtitan's own schedule only",
                        location=where, hint="describe that schedule as an lrplot spec")
    found = []
    for group in groups or ():
        kwargs = getattr(group, "optimizer_kwargs", None) or {}
        options = {k: kwargs[k] for k in ("weight_decay", "eps") if k in kwargs}
        if "betas" in kwargs:
            options["betas"] = list(kwargs["betas"])
        found.append({"name": getattr(group, "optimizer_name", None), "pattern": getattr(group, "pattern", "?"),
                      "lr": kwargs.get("lr"), "options": options})
    if not found or any(g["lr"] is None for g in found):
        raise SpecError(f"{name}() returned an optimizer without param_groups holding an lr", location=where,
                        hint="set optimizer=default_adamw(lr=...) or a ParamGroupConfig with optimizer_kwargs lr")
    first = found[0]
    data = {"lr_scheduler": {f: getattr(sched, f) for f in FIELDS}, "training": {"steps": steps},
            "optimizer": {"name": first["name"], "lr": first["lr"], **first["options"]}}
    if len({(g["name"], g["lr"]) for g in found}) > 1:
        # every ParamGroupConfig is a param group of the run (one matching no parameter fails the build:
        # OptimizersContainer._build_param_groups), and each optimizer's LambdaLR scales it by the one lambda
        data["param_groups"] = [{"name": f"{g['name']} {g['pattern']}", "lr": g["lr"], **g["options"]}
                                for g in found]
    return data


def _apply(doc: Document, data: dict, overrides: list[str], where: Location) -> None:
    from ..spec import apply_override
    from ..text import did_you_mean
    from ..yamlio import SourceMap

    allowed = [f"lr_scheduler.{f}" for f in FIELDS] + ["training.steps"] + ([] if "param_groups" in data
                                                                             else ["optimizer.lr"])
    for item in overrides:
        key = item.partition("=")[0].strip()
        if key.startswith("~"):
            raise SpecError(f"--set {key}: a torchtitan config's fields cannot be deleted, only set",
                            location=where, hint=f"--set {key[1:]}=VALUE")
        if key == "optimizer.lr" and "param_groups" in data:
            raise SpecError(f"--set optimizer.lr: this config has {len(data['param_groups'])} param groups, each with "
                            "its own lr", location=where, hint="set their lrs in the function")
        if key not in allowed:
            raise SpecError(f"--set {key}: lrplot changes only {', '.join(allowed)} of a torchtitan config",
                            location=where, hint=did_you_mean(key, allowed) or "or --set config=NAME")
        apply_override(data, SourceMap(str(doc.path)), item, spec_keys=False)


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from ..spec import spec_from_data
    from ..yamlio import SourceMap

    name, where, overrides = _select(doc)
    function = load_function(doc, name, where, allow_import)
    config, said = _called(function, name, where)
    data = _read_config(config, name, where)
    _apply(doc, data, overrides, where)
    sched, optim = data["lr_scheduler"], data["optimizer"]
    steps = budget_number(data["training"]["steps"], "training.steps", where, integer=True, positive=True,
                          hint="fix it, or --set training.steps=N")
    for key in ("warmup_steps", "total_steps", "decay_ratio", "min_lr_factor"):
        if sched[key] is not None:
            sched[key] = budget_number(sched[key], f"lr_scheduler.{key}", where, low=0,
                                       integer=key.endswith("steps"), hint=f"fix it, or --set lr_scheduler.{key}=X")
    if sched["decay_type"] not in ("linear", "sqrt", "cosine"):  # LRSchedulersContainer.Config.decay_type's Literal
        raise SpecError(f"lr_scheduler.decay_type {sched['decay_type']!r} is not one of torchtitan's (linear, sqrt, "
                        "cosine): its lr lambda would fail at the first decay step", location=where,
                        hint="--set lr_scheduler.decay_type=linear, or fix the function")
    lr = budget_number(optim.pop("lr"), "optimizer.lr", where, low=0, hint="fix it, or --set optimizer.lr=X")
    groups = data.get("param_groups")
    for group in groups or ():
        budget_number(group["lr"], f"the lr of param group {group['name']}", where, low=0, hint="fix it")
    others = sorted({g["name"].split(" ")[0] for g in groups or ()} - {optim["name"]})
    if others:
        notes_first = [f"param groups of {', '.join(others)} are drawn as groups of one {optim['name']}: each "
                       "optimizer's LambdaLR scales its groups' lr by the same lambda, whatever the optimizer"]
    else:
        notes_first = []
    kwargs = {k: v for k, v in sched.items() if v is not None}
    notes = said + notes_first + _warnings(steps, kwargs)
    if inputs.dataset_size is not None or inputs.batch_size is not None:
        notes.append("--dataset-size and --batch-size are not used: torchtitan runs training.steps steps")
    spec_data: dict[str, Any] = {
        "title": f"torchtitan {sched['decay_type']} decay: {name}()",
        "steps": steps,
        "optimizer": {"type": optim.pop("name"), "lr": lr, **optim},
        "scheduler": {"type": SCHEDULER, "training_steps": steps, **kwargs},
    }
    if groups:
        spec_data["param_groups"] = groups
    source = SourceMap(str(doc.path))
    source.values[()] = where
    spec = spec_from_data(spec_data, source, file=doc.path)
    parts = [f"warmup_steps {sched['warmup_steps']}"] + [f"{k} {sched[k]}" for k in ("decay_ratio", "total_steps")
                                                         if sched[k] is not None]
    text = (f"{name}(): training.steps {steps} = {steps} updates (one lr_schedulers.step() per step); "
            f"{', '.join(parts)}, {sched['decay_type']} decay to min_lr_factor {sched['min_lr_factor']}")
    told = (Told("total updates", steps, "training.steps"),)
    return Source(KIND, spec, Budget(text, steps, told=told, decided_by="training.steps", where=where), tuple(notes))


def _warnings(steps: int, kwargs: dict) -> list:
    """What torchtitan's ``LRSchedulersContainer.Config.build`` warns about this schedule (warmup or decay
    cut to fit the run), caught by building it once on a throwaway optimizer: an assumption note each."""
    import torch

    from ..tricks import fast_optimizers

    with fast_optimizers():
        probe = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    with _caught() as caught:
        lr_schedulers(probe, steps, **kwargs)
    return [assumption(f"torchtitan: {record.getMessage()}", settle="lr_scheduler.warmup_steps") for record in caught
            if record.pathname.endswith("lr_scheduler.py")]
