"""Scheduler and optimizer arguments are checked against the REAL signatures of the installed torch
before torch sees them; the walk over the signatures covers a new torch argument automatically."""

from __future__ import annotations

import copy
import inspect
import re

import pytest
import torch.optim.lr_scheduler as L
import yaml

from lrplot.engine import simulate_spec
from lrplot.argtypes import expected_types, type_problem
from lrplot.engine.build import EXPRESSION_ARGS
from lrplot.families import builtin_schedulers
from lrplot.engine.optimizer import optimizer_classes
from lrplot.errors import SpecError
from lrplot.spec import parse_spec

from tests.helpers.schedulers import NESTED, SIMPLE

SKIP = {"self", "optimizer", "params", "schedulers", *EXPRESSION_ARGS}


def _yamlable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    return isinstance(v, (list, tuple)) and all(_yamlable(x) for x in v)


def _params(cls):
    return [p for p in inspect.signature(cls).parameters.values()
            if p.name not in SKIP and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _annotation_text(p):
    a = p.annotation
    return a if isinstance(a, str) else inspect.formatannotation(a)


SCHEDULERS = sorted(builtin_schedulers())
OPTIMIZERS = sorted(optimizer_classes())
SCHED_PARAMS = [(n, p.name) for n in SCHEDULERS for p in _params(builtin_schedulers()[n])]
OPT_PARAMS = [(n, p.name) for n in OPTIMIZERS for p in _params(optimizer_classes()[n])]


@pytest.mark.parametrize("owner,name", SCHED_PARAMS + OPT_PARAMS)
def test_every_default_has_its_own_annotations_type(owner, name):
    """The parser reads torch's annotations right: each default value is accepted by its own
    annotation (float default 0 for a float, (None, 1e-3) for tuple[float | None, float], ...)."""
    cls = {**builtin_schedulers(), **optimizer_classes()}[owner]
    p = inspect.signature(cls).parameters[name]
    if p.default is p.empty or not _yamlable(p.default):
        pytest.skip("no default a spec could write")
    assert type_problem(p, p.default) is None


def _wrong_values(p):
    """Values no reading of the annotation can accept, chosen without lrplot's parser."""
    text = _annotation_text(p) if p.annotation is not p.empty else type(p.default).__name__
    wrong = [{"a": 1}]
    if "str" not in text and "Literal" not in text and p.annotation is not p.empty or \
            isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
        wrong.append("12x")
    if "bool" not in text and not isinstance(p.default, bool):
        wrong.append(True)
    return wrong


def _valid_node(name):
    if name in NESTED:
        return copy.deepcopy(NESTED[name])
    return {"type": name, **SIMPLE[name][0]}


@pytest.mark.parametrize("sched,name", SCHED_PARAMS)
def test_every_scheduler_argument_of_the_wrong_type_is_one_located_line(sched, name, tmp_path):
    p = inspect.signature(builtin_schedulers()[sched]).parameters[name]
    if expected_types(p) is None:
        pytest.skip("lrplot cannot tell this argument's type")
    for wrong in _wrong_values(p):
        node = _valid_node(sched)
        node[name] = wrong
        text = yaml.safe_dump({"steps": 40, "scheduler": node}, sort_keys=False, default_flow_style=None)
        spec = parse_spec(text, "s.yaml")
        with pytest.raises(SpecError) as e:
            simulate_spec(spec)
        line = e.value.format()
        assert re.match(rf"s\.yaml:\d+:\d+: {sched} {name}: expected .+, got ", line), line
        loc = e.value.location  # at the value itself, right after its key
        assert text.splitlines()[loc.line - 1][:loc.col - 1].rstrip().endswith(f"{name}:"), (text, loc)


@pytest.mark.parametrize("opt,name", OPT_PARAMS)
def test_every_optimizer_argument_of_the_wrong_type_is_one_located_line(opt, name):
    p = inspect.signature(optimizer_classes()[opt]).parameters[name]
    if expected_types(p) is None:
        pytest.skip("lrplot cannot tell this argument's type")
    for wrong in _wrong_values(p):
        optimizer = {"type": opt, name: wrong}
        text = yaml.safe_dump({"steps": 5, "optimizer": optimizer,
                               "scheduler": {"type": "StepLR", "step_size": 2}}, sort_keys=False)
        with pytest.raises(SpecError) as e:
            simulate_spec(parse_spec(text, "s.yaml"))
        who = "optimizer.lr" if name == "lr" else f"{opt} {name}"  # lr is a field of the spec itself
        assert re.match(rf"s\.yaml:\d+:\d+: {who}: expected .+, got ", e.value.format()), e.value.format()


def test_milestones_as_text_through_the_cli(cli, write_spec):
    path = write_spec("""
        steps: 100
        scheduler:
          type: MultiStepLR
          milestones: 30, 60
    """)
    message = ":4:15: MultiStepLR milestones: expected a list of integers, got the text '30, 60'; write [30, 60]"
    r = cli(path, "-o", "out.png")
    assert r.exit_code == 1
    assert r.output.strip() == f"{path}{message}", r.output
    r = cli("check", path)  # a clean check no more
    assert r.exit_code == 1
    assert r.output.splitlines()[0] == f"{path}{message.replace(': M', ': error: M', 1)} [invalid-spec]", r.output
    import os
    assert not os.path.exists("out.png")


def test_quoted_numbers_name_the_argument_and_say_to_drop_the_quotes(cli, write_spec):
    path = write_spec("""
        steps: 100
        optimizer: {type: AdamW, lr: 1e-3, betas: [0.9, "0.99"]}
        scheduler: {type: CosineAnnealingLR, T_max: 100, eta_min: "1e-5"}
    """)
    r = cli(path, "-o", "out.png")
    assert r.exit_code == 1
    assert r.output.strip().endswith(":2:43: AdamW betas: expected a list of 2 numbers, got the list "
                                     "[0.9, '0.99']; drop the quotes: write [0.9, 0.99]"), r.output
    r = cli(path, "-o", "out.png", "--set", "optimizer.betas=[0.9, 0.99]")
    assert r.exit_code == 1
    assert r.output.strip().endswith(":3:59: CosineAnnealingLR eta_min: expected a number, got the text '1e-5'; "
                                     "drop the quotes: write 1e-5"), r.output
    r = cli(path, "-o", "out.png", "--set", "optimizer.betas=[0.9, 0.99]", "--set", "scheduler.eta_min=1e-5")
    assert r.exit_code == 0, r.output


def test_param_group_options_are_checked_like_the_optimizers_arguments(cli, write_spec):
    path = write_spec("""
        steps: 10
        param_groups: [{lr: 0.01}, {weight_decay: true}]
        scheduler: {type: StepLR, step_size: 3}
    """)
    r = cli(path, "-o", "out.png")
    assert r.exit_code == 1
    assert r.output.strip().endswith(":2:43: SGD weight_decay: expected a number, got the boolean true; "
                                     "a boolean is not a number: write a number"), r.output


@pytest.mark.parametrize("text,message", [
    ("steps: true", "steps: expected an integer, got the boolean true; a boolean is not a number: write a number"),
    ("steps: 2.0", "steps: expected an integer, got the number 2.0; write 2"),
    ("steps: '30'", "steps: expected an integer, got the text '30'; drop the quotes: write 30"),
    ("steps_per_epoch: false", "steps_per_epoch: expected an integer, got the boolean false"),
    ("optimizer: {lr: true}", "optimizer.lr: expected a number, got the boolean true"),
    ("optimizer: {lr: '1e-3'}", "optimizer.lr: expected a number, got the text '1e-3'; drop the quotes: write 1e-3"),
    ("optimizer: {initial_lr: yes}", "optimizer.initial_lr: expected a number, got the text 'yes'"),
])
def test_booleans_and_quoted_numbers_are_not_numbers_anywhere_in_a_spec(cli, write_spec, text, message):
    path = write_spec(text + "\nscheduler: {type: StepLR, step_size: 3}\n" + ("steps: 10\n" if "steps:" not in text else ""))
    r = cli(path, "-o", "out.png")
    assert r.exit_code == 1
    assert message in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1


def test_annotation_forms_lrplot_reads():
    def f(a: "list[int]", b: "tuple[float, float]" = (0.9, 0.999), c: "int | None" = None,
          d: "Literal['cos', 'linear']" = "cos", e=3, g=0.5, h=True, i: "Optional[Union[int, str]]" = None,
          j: "torch.Tensor" = None, k: "float | torch.Tensor" = 1.0, m: "dict | None" = None):
        pass

    ps = inspect.signature(f).parameters
    assert type_problem(ps["a"], [1, 2]) is None and type_problem(ps["a"], (1, 2)) is None
    assert type_problem(ps["a"], [1, 2.5])[0] == "a: expected a list of integers, got the list [1, 2.5]"
    assert type_problem(ps["a"], [1, True]) is not None
    assert type_problem(ps["b"], [0.9, 1]) is None and type_problem(ps["b"], [0.9]) is not None
    assert type_problem(ps["c"], None) is None and type_problem(ps["c"], 1.0) == (
        "c: expected an integer (or null), got the number 1.0", "write 1")
    assert type_problem(ps["d"], "linear") is None
    assert type_problem(ps["d"], "lin")[0] == "d: expected one of 'cos', 'linear', got the text 'lin'"
    assert type_problem(ps["e"], 2.5) is None  # no annotation: an int default holds a number
    assert type_problem(ps["e"], True) is not None and type_problem(ps["g"], "0.5")[1] == "drop the quotes: write 0.5"
    assert type_problem(ps["h"], 1)[0] == "h: expected true or false, got the number 1"
    assert type_problem(ps["i"], "x") is None and type_problem(ps["i"], 1.5) is not None
    assert type_problem(ps["j"], "anything") is None  # a class lrplot does not know: left to the callee
    assert type_problem(ps["k"], 2) is None and type_problem(ps["k"], "2") is not None
    assert type_problem(ps["m"], {"x": 1}) is None and type_problem(ps["m"], [1]) is not None


def test_third_party_scheduler_defaults_have_their_own_annotations_type():
    transformers_optimization = pytest.importorskip("transformers.optimization")
    import pytorch_accelerated.schedulers as pas

    functions = [getattr(transformers_optimization, n) for n in dir(transformers_optimization)
                 if n.startswith("get_") and n.endswith("schedule") or n.startswith("get_") and "schedule_with" in n]
    functions += [v.create_scheduler_fn for v in vars(pas).values()
                  if inspect.isclass(v) and hasattr(v, "create_scheduler_fn")]
    assert len(functions) > 5
    for fn in functions:
        for p in inspect.signature(fn).parameters.values():
            if p.default is not p.empty and _yamlable(p.default) and not hasattr(p.default, "name"):
                assert type_problem(p, p.default) is None, (fn, p)


def test_lr_scheduler_module_is_the_one_walked():
    assert set(SCHEDULERS) >= {n for n, o in vars(L).items() if inspect.isclass(o) and not n.startswith("_")
                               and issubclass(o, L.LRScheduler) and o is not L.LRScheduler}


def test_an_imported_schedulers_arguments_are_checked_the_same_way(cli, write_spec):
    pytest.importorskip("transformers")
    path = write_spec("""
        steps: 50
        scheduler:
          type: 'transformers.optimization:get_cosine_schedule_with_warmup'
          num_warmup_steps: "10"
          num_training_steps: 50
    """)
    r = cli(path, "-o", "out.png")
    assert r.exit_code == 1
    assert r.output.strip() == (f"{path}:4:21: get_cosine_schedule_with_warmup num_warmup_steps: expected an integer, "
                                "got the text '10'; drop the quotes: write 10"), r.output


# --- fuzz: a value of the wrong type never passes silently -------------------------------------

import os  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.helpers.paths import CONFIGS  # noqa: E402

_SEEDS = {p.stem: yaml.safe_load(p.read_text().replace("e-", ".0e-")) for p in sorted(CONFIGS.glob("*.yaml"))
          if "csv" not in p.read_text()}  # import-path nodes are skipped below: only torch's are walked
# PyYAML (1.1) dumps the text "1e-5" unquoted, which lrplot (YAML 1.2) reads as a number: "1.0e-5" it quotes.
_TYPED_VALUES = st.one_of(st.booleans(), st.none(), st.sampled_from(["30, 60", "1.0e-5", "0.9", "cos", "x", ""]),
                          st.sampled_from([0, 3, -1, 0.5, 2.0, float("inf")]),
                          st.lists(st.sampled_from([1, 2.5, "3", True]), max_size=3), st.just({"a": 1}))


def _nodes(node, out):
    if isinstance(node, dict):
        if isinstance(node.get("type"), str) and node["type"] in builtin_schedulers():
            out.append(node)
        for v in node.values():
            _nodes(v, out)
    elif isinstance(node, list):
        for v in node:
            _nodes(v, out)
    return out


def _per_group_params(cls) -> set:
    """Arguments torch's own ``__init__`` passes through ``_format_param(name, optimizer, value)``, which
    takes a number or one number per param group whatever the annotation says (torch 2.13
    lr_scheduler.py ``_format_param``; SWALR's ``swa_lr: float`` is documented "float or list",
    swa_utils.py)."""
    import inspect
    import re

    try:
        source = inspect.getsource(cls.__init__)
    except (OSError, TypeError):
        return set()
    return set(re.findall(r"_format_param\(\s*[\"'](\w+)[\"']", source))


def _accepts(annotation_text: str, value) -> bool:
    """An oracle independent of lrplot's parser: which YAML kinds an annotation's text can admit."""
    if value is None:
        return "None" in annotation_text or "Optional" in annotation_text
    if isinstance(value, bool):
        return "bool" in annotation_text
    if isinstance(value, str):
        return "str" in annotation_text or "Literal" in annotation_text or "Callable" in annotation_text
    if isinstance(value, dict):
        return "dict" in annotation_text.lower() or "Mapping" in annotation_text
    if isinstance(value, list):
        return any(k in annotation_text for k in ("list", "List", "Iterable", "Sequence", "tuple"))
    return "int" in annotation_text or "float" in annotation_text


@settings(max_examples=400 if os.environ.get("LRPLOT_FUZZ") == "long" else 40, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(_SEEDS)), st.data(), _TYPED_VALUES)
def test_fuzz_wrong_typed_arguments_never_pass_silently(stem, data, value):
    spec_data = copy.deepcopy(_SEEDS[stem])
    nodes = _nodes(spec_data, [])
    if not nodes:
        return
    node = data.draw(st.sampled_from(nodes))
    params = [p for p in _params(builtin_schedulers()[node["type"]]) if p.annotation is not p.empty]
    if not params:
        return
    p = data.draw(st.sampled_from(params))
    node[p.name] = value
    try:
        simulate_spec(parse_spec(yaml.safe_dump(spec_data), "fuzz.yaml"))
    except SpecError as exc:
        assert "\n" not in exc.format()
        return
    text = _annotation_text(p)
    accepted_kinds = _accepts(text, value) or (value is None and p.default is None) or (
        isinstance(value, list) and p.name in _per_group_params(builtin_schedulers()[node["type"]])
        and all(type(v) in (int, float) for v in value))
    if isinstance(value, list) and accepted_kinds and ("int" in text and "float" not in text):
        assert all(isinstance(v, int) and not isinstance(v, bool) for v in value), (node, p.name, value)
    assert accepted_kinds, f"{node['type']} {p.name}: {text} took {value!r} silently"


# Every argument form pytorch's own test/optim/test_lrscheduler.py passes (the test each comes
# from is named), plus the per-group forms torch's signatures and docstrings document.
TORCH_TEST_FORMS = [
    ("CyclicLR", {"base_lr": [1, 2], "max_lr": [5, 6], "step_size_up": 4, "cycle_momentum": True,
                  "base_momentum": [1, 2], "max_momentum": [5, 6], "mode": "triangular"}),  # test_cycle_lr_triangular_mode
    ("CyclicLR", {"base_lr": [1, 5], "max_lr": [5, 12], "step_size_up": 4, "base_momentum": [1, 5],
                  "max_momentum": [5, 12], "mode": "exp_range", "gamma": 0.9}),  # test_cycle_lr_exp_range_mode
    ("CyclicLR", {"base_lr": 1, "max_lr": 5, "step_size_up": 4, "step_size_down": 6, "base_momentum": 1,
                  "max_momentum": 5, "mode": "triangular"}),  # test_cycle_lr_triangular_mode_step_size_up_down
    ("OneCycleLR", {"max_lr": 25, "final_div_factor": 2, "base_momentum": 1, "max_momentum": 22,
                    "total_steps": 10, "anneal_strategy": "linear"}),  # test_onecycle_lr_linear_annealing
    ("OneCycleLR", {"max_lr": [0.1, 0.2], "base_momentum": [0.8, 0.85], "max_momentum": [0.9, 0.95],
                    "total_steps": 10}),  # per group: max_lr (float or list) in its docstring
    ("LambdaLR", {"lr_lambda": ["0.9 ** epoch", "0.8 ** epoch"]}),  # test_lambda_lr
    ("MultiplicativeLR", {"lr_lambda": ["0.9 + 0 * epoch", "0.8 + 0 * epoch"]}),  # test_multiplicative_lr
    ("SWALR", {"anneal_epochs": 4, "anneal_strategy": "linear", "swa_lr": [0.01, 0.02]}),  # test_swalr_linear_anneal_...
    ("MultiStepLR", {"gamma": 0.1, "milestones": [2, 5, 9]}),  # test_multi_step_lr
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 1e-10}),  # test_cos_anneal_lr
    ("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2, "eta_min": 1e-10}),  # test_CosineAnnealingWarmRestarts_lr1
]


def _torch_kwargs(kwargs):
    """The spec's arguments as torch takes them: expressions become the functions they spell."""
    out = dict(kwargs)
    if "lr_lambda" in out:
        out["lr_lambda"] = [eval(f"lambda epoch: {e}") for e in out["lr_lambda"]]  # noqa: S307 (test text)
    return out


@pytest.mark.parametrize("sched,kwargs", TORCH_TEST_FORMS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TORCH_TEST_FORMS)])
@pytest.mark.parametrize("as_tuples", [False, True], ids=["lists", "tuples"])
def test_every_argument_form_torchs_own_tests_use_is_accepted_and_runs_as_torch(sched, kwargs, as_tuples):
    """Two param groups as in torch's tests; the curve == the same torch scheduler in a plain loop."""
    from tests.helpers.loops import plain_loop

    steps = 10
    given = {k: tuple(v) if as_tuples and isinstance(v, list) else v for k, v in kwargs.items()}
    spec = parse_spec({"steps": steps, "optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9},
                       "param_groups": [{"name": "a"}, {"name": "b"}], "fields": ["lr", "momentum"],
                       "scheduler": {"type": sched, **given}})
    trace = simulate_spec(spec)[0]
    cls = builtin_schedulers()[sched]
    ref = plain_loop(steps, lambda o: [cls(o, **_torch_kwargs(kwargs))], lambda i, n: True,
                     fields=("lr", "momentum"), groups=2)
    for key, values in ref.items():
        assert trace.values[key].tolist() == values, key


def test_a_list_where_torch_documents_only_a_number_is_still_refused():
    # CosineAnnealingLR documents eta_min (float): torch would fail adding a list to an lr
    with pytest.raises(SpecError) as e:
        simulate_spec(parse_spec("steps: 5\nscheduler: {type: CosineAnnealingLR, T_max: 5, eta_min: [0.0, 0.1]}\n",
                                 "s.yaml"))
    assert e.value.format() == "s.yaml:2:57: CosineAnnealingLR eta_min: expected a number, got the list [0.0, 0.1]"


def test_a_per_group_list_is_still_checked_element_by_element():
    with pytest.raises(SpecError) as e:
        simulate_spec(parse_spec("steps: 5\nscheduler: {type: CyclicLR, base_lr: 0.1, max_lr: 1, "
                                 "base_momentum: [0.8, '0.9']}\n", "s.yaml"))
    assert e.value.format() == ("s.yaml:2:69: CyclicLR base_momentum: expected a number or a list of numbers, "
                                "got the list [0.8, '0.9']; drop the quotes: write [0.8, 0.9]")


REMOVED = "has no argument 'verbose': torch removed it from its schedulers (it only printed every change)"


def test_an_argument_torch_removed_says_so_and_how_to_drop_it_with_set(cli, write_spec):
    """Configs written for an older torch carry ``verbose: false``: the refusal says torch removed
    it and names the --set that deletes it, at the input's own key path; with it the run works."""
    spec = write_spec("steps: 20\nscheduler: {type: StepLR, step_size: 5, verbose: false}\n")
    lightning = write_spec("""\
        trainer: {max_steps: 20}
        model: {class_path: my_project.Model}
        optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
        lr_scheduler:
          class_path: torch.optim.lr_scheduler.StepLR
          init_args: {step_size: 5, verbose: false}
        """, "fit.yaml")
    for path, at, key, flags in [
        (spec, "2:41", "scheduler.verbose", ()),
        (lightning, "6:29", "lr_scheduler.init_args.verbose", ("--dataset-size", "100", "--batch-size", "10")),
    ]:
        result = cli(path, "-q", *flags)
        assert result.exit_code == 1 and result.stderr == (
            f"{path}:{at}: StepLR {REMOVED}; delete it, or leave the input as it is and add --set '~{key}'\n")
        assert cli(path, "-q", *flags, "--set", f"~{key}").exit_code == 0
    with pytest.raises(SpecError) as e:  # a dict names the key by its path
        simulate_spec(parse_spec({"steps": 5, "scheduler": {"type": "StepLR", "step_size": 2, "verbose": False}}))
    assert e.value.format() == (f"<spec>:scheduler.verbose: StepLR {REMOVED}; delete it, or leave the input as it "
                                "is and add --set '~scheduler.verbose'")


def test_an_int_its_trainer_passes_as_a_float_takes_any_number_and_only_that_one():
    def scheduler(optimizer, lr_warmup_steps: int, lr_decay_steps: int): ...

    params = inspect.signature(scheduler).parameters
    assert type_problem(params["lr_warmup_steps"], 2.5) == (
        "lr_warmup_steps: expected an integer, got the number 2.5", None)
    assert type_problem(params["lr_warmup_steps"], 2.5, float_int=True) is None
    assert type_problem(params["lr_warmup_steps"], "2.5", float_int=True)[0] == (
        "lr_warmup_steps: expected an integer or a number, got the text '2.5'")
