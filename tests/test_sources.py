"""Reading inputs of any kind: recognition by content, --from, and the shared command-line options."""

from __future__ import annotations

import pytest

from lrplot.errors import SpecError, UsageError
from lrplot.sources import READERS, Document, load_input, needs
from lrplot.spec import parse_spec
from lrplot.yamlio import SourceMap

from tests.helpers.paths import CONFIGS, ROOT


def test_a_file_no_reader_recognises_says_what_was_looked_for(cli, write_spec):
    path = write_spec("model_name_or_path: gpt2\nseed: 42\n", "recipe.yaml")
    result = cli(path)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith(f"{path}:1:1: not a kind of file lrplot reads (none of llamafactory, axolotl, trl, hf, ")
    assert f"(none of {', '.join(READERS)} recognised it)" in line
    assert line.endswith(f"force one with --from {'|'.join(READERS)}; README's 'Training configs' table says what "
                         "each kind is recognised by")


def test_a_misspelt_spec_key_still_gets_the_spec_error(write_spec):
    with pytest.raises(SpecError, match="unknown key 'schedular'; did you mean 'scheduler'"):
        load_input(write_spec("steps: 3\nschedular: {type: StepLR}\n"))


def test_unknown_from_is_a_usage_error_with_did_you_mean(cli):
    result = cli(CONFIGS / "step.yaml", "--from", "lrplt")
    assert result.exit_code == 2
    assert "--from lrplt: unknown kind of input; did you mean 'lrplot'?" in result.stderr
    with pytest.raises(UsageError):
        load_input(CONFIGS / "step.yaml", kind="nope")


def test_help_lists_every_reader(cli):
    text = cli("plot", "--help").stdout
    for kind in READERS:
        assert kind in text


def test_needs_names_the_number_and_the_flag(tmp_path):
    doc = Document(tmp_path / "c.yaml", "", {}, SourceMap(str(tmp_path / "c.yaml")))
    err = needs(doc, "the training-set size", "--dataset-size N")
    assert err.format() == f"{tmp_path / 'c.yaml'}: needs the training-set size; add --dataset-size N"


@pytest.mark.parametrize("command", [("plot",), ("check",), ("state", "--at", "3"), ("resume", "--at", "3")])
def test_print_spec_prints_a_loadable_spec_and_draws_nothing(cli, tmp_path, command):
    result = cli(*command, CONFIGS / "two_groups.yaml", "--print-spec", "--set", "steps=50")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"# lrplot spec of {CONFIGS / 'two_groups.yaml'} (read as lrplot)\n")
    spec = parse_spec(result.stdout)
    assert spec.steps == 50 and [g.name for g in spec.param_groups] == ["backbone", "head"]
    assert not list(tmp_path.glob("*.png"))


def test_print_spec_of_several_inputs_is_one_document_each(cli):
    result = cli(CONFIGS / "step.yaml", CONFIGS / "cosine.yaml", "--print-spec")
    assert result.exit_code == 0
    docs = result.stdout.split("---\n")
    assert len(docs) == 2 and all(parse_spec(d).scheduler is not None for d in docs)


def test_a_framework_that_does_not_import_is_one_line_not_an_internal_error(monkeypatch):
    """timm's package imports torchvision: where that fails, reading a timm config names the
    missing package (the gallery then lists the config as not rendered) instead of exit 70."""
    import sys

    from lrplot.errors import MissingLibraryError
    from lrplot.sources import BudgetInputs, load_input

    from tests.helpers.paths import CONFIGS

    monkeypatch.setitem(sys.modules, "timm.scheduler", None)  # import timm.scheduler -> ModuleNotFoundError
    with pytest.raises(MissingLibraryError) as exc:
        load_input(CONFIGS / "frameworks" / "timm_args.yaml", inputs=BudgetInputs(dataset_size=1000))
    assert exc.value.package == "timm"
    assert exc.value.format().startswith(f"{CONFIGS / 'frameworks' / 'timm_args.yaml'}: reading this timm config "
                                         "needs the Python package 'timm'")


def _toy_reader():
    """A reader of a made-up kind: a file with 'toy_steps:' is a constant schedule of that length."""
    from types import SimpleNamespace

    from lrplot.sources import Budget, Source, assumption
    from lrplot.spec import spec_from_data

    def detect(doc):
        return isinstance(doc.data, dict) and "toy_steps" in doc.data

    def read(doc, inputs, *, allow_import):
        steps = doc.data["toy_steps"]
        spec = spec_from_data({"steps": steps, "scheduler": {"type": "ConstantLR", "factor": 1.0}},
                              doc.source, file=doc.path)
        note = assumption("toy readers assume a constant lr", settle="toy_lr")
        return Source("toy", spec, Budget(f"toy_steps = {steps} updates", steps, decided_by="toy_steps"), (note,))

    return SimpleNamespace(KIND="toy", LOOKS_FOR="a toy config: toy_steps", FOLLOWS="toy 1.0",
                           detect=detect, read=read)


def test_a_registered_reader_is_recognised_listed_and_a_from_choice(cli, write_spec, monkeypatch):
    """Adding a reader is one registry entry: detection, --from, the 'looked for' line and describe() see it."""
    from lrplot import sources

    monkeypatch.setattr(sources, "READERS", dict(sources.READERS))
    assert sources.register(_toy_reader()) == "toy"
    assert list(sources.READERS)[-2:] == ["toy", "lrplot"]  # tried before the lrplot spec's fallback
    path = write_spec("toy_steps: 7\n", "toy.yaml")
    source = load_input(path)
    assert (source.kind, source.spec.steps, source.budget.updates) == ("toy", 7, 7)
    assert [str(n) for n in source.assumptions] == ["toy readers assume a constant lr"]
    assert ("toy", "a toy config: toy_steps", "toy 1.0") in sources.describe()
    result = cli(path, "--from", "toy", "--print-spec")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [f"# lrplot spec of {path} (read as toy)",
                                              "# budget: toy_steps = 7 updates",
                                              "# note: toy readers assume a constant lr"]
    unknown_path = write_spec("model_name_or_path: gpt2\n", "recipe.yaml")
    unknown = cli(unknown_path)
    kinds = list(sources.READERS)
    assert unknown.stderr == (f"{unknown_path}:1:1: not a kind of file lrplot reads (none of {', '.join(kinds)} "
                              f"recognised it); force one with --from {'|'.join(kinds)}; README's 'Training configs' "
                              "table says what each kind is recognised by\n")
    assert "toy" in kinds


def test_register_refuses_an_object_that_is_not_a_reader(monkeypatch):
    from types import SimpleNamespace

    from lrplot import sources

    monkeypatch.setattr(sources, "READERS", dict(sources.READERS))
    with pytest.raises(TypeError, match="lacks FOLLOWS, read"):
        sources.register(SimpleNamespace(KIND="x", LOOKS_FOR="x", detect=lambda doc: False))
    assert "x" not in sources.READERS


def test_every_registered_reader_follows_the_protocol():
    from lrplot import sources

    for kind in sources.READERS:
        reader = sources.reader(kind)
        assert isinstance(reader, sources.ConfigReader) and reader.KIND == kind and reader.FOLLOWS


@pytest.mark.parametrize("updates, per_epoch, warmup, message", [
    (0, None, None, "the budget gives 0 updates (t): expected a whole number >= 1"),
    (10, 0, None, "the budget gives 0 updates per epoch (t): expected a whole number >= 1"),
    (10, None, -1, "the budget gives -1 warmup updates (t): expected a whole number >= 0"),
    (10.5, None, None, "the budget gives 10.5 updates (t): expected a whole number >= 1"),
    (float("inf"), None, None, "the budget gives 'inf' updates (t): expected a whole number >= 1"),
    (10 ** 30, None, None, "the budget gives 1,000,000,000,000,000,000,000,000,000,000 updates, more than "
                           "lrplot simulates (50,000,000): t"),
])
def test_budget_numbers_are_checked_in_one_place(updates, per_epoch, warmup, message):
    from lrplot.errors import Location
    from lrplot.sources import Budget

    with pytest.raises(SpecError) as err:
        Budget("t", updates, per_epoch, warmup, where=Location("c.yaml", 3, 5))
    assert err.value.format() == f"c.yaml:3:5: {message}; check the run length, batch size and --dataset-size"


def test_readme_lists_every_reader_from_the_registry():
    from pathlib import Path

    from lrplot.sources import markdown_table

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme


def test_every_kind_links_its_docs_page_from_readme():
    from lrplot.sources import markdown_table, reader

    for kind in READERS:
        page = reader(kind).DOCS
        assert (ROOT / page).is_file(), (kind, page)
        assert f"| [`{kind}`]({page}) |" in markdown_table()


MMENGINE_CONFIG = """\
train_cfg = dict(type='IterBasedTrainLoop', max_iters=60)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, milestones=[30], gamma=0.5),
]
"""


@pytest.mark.parametrize("kind, source, key, line, flags", [
    ("lrplot", "steps: 20\nscheduler: {type: StepLR, step_size: 5, gamma: 0.5}\n", "scheduler.gamma",
     "scheduler: {type: StepLR, step_size: 5}", ()),
    ("hf", "frameworks/hf_sft.yaml", "warmup_steps", None, ("--dataset-size", "2000")),
    ("lightning", "frameworks/lightning_fit.yaml", "lr_scheduler.init_args.eta_min", None, ("--dataset-size", "5000")),
    pytest.param("timm", "frameworks/timm_args.yaml", "epochs", None, ("--dataset-size", "10000"),
                 marks=pytest.mark.slow),
    pytest.param("hydra", "frameworks/hydra_train.yaml", "model.lr_scheduler.scheduler.schedulers[1].eta_min", None,
                 ("--dataset-size", "55000"), marks=pytest.mark.slow),
    pytest.param("mmengine", MMENGINE_CONFIG, "param_scheduler[1].gamma",
                 "    dict(type='MultiStepLR', by_epoch=False, milestones=[30]),", ("--allow-import", "mmengine"),
                 marks=pytest.mark.slow),
])
def test_set_tilde_deletes_a_key_of_every_kind_of_input_as_deleting_it_in_the_file_does(
        cli, tmp_path, request, kind, source, key, line, flags):
    """``--set '~key.path'`` on the input == the same input with that key deleted from the file."""
    if kind == "timm":
        request.getfixturevalue("real_timm")
    suffix = ".py" if kind == "mmengine" else ".yaml"
    if "\n" in source:  # written here; ``line`` replaces the line that holds the key
        text = source
        gone = "\n".join(line if key.rpartition(".")[2].split("[")[0] in old and (kind != "mmengine" or
                         "MultiStepLR" in old) else old for old in text.splitlines()) + "\n"
    else:
        text = (CONFIGS / source).read_text()
        leaf = key.rpartition(".")[2]
        lines = text.splitlines()
        at = max(i for i, old in enumerate(lines) if old.lstrip().startswith(f"{leaf}:"))
        gone = "\n".join(lines[:at] + lines[at + 1:]) + "\n"
    assert gone != text
    original, edited_file = tmp_path / "original" / f"config{suffix}", tmp_path / "edited" / f"config{suffix}"
    for path, content in ((original, text), (edited_file, gone)):
        path.parent.mkdir()
        path.write_text(content)
    common = ("--from", kind, "--print-spec", *flags)
    deleted = cli(original, *common, "--set", f"~{key}")
    edited = cli(edited_file, *common)
    kept = cli(original, *common)
    assert deleted.exit_code == edited.exit_code == kept.exit_code == 0, (deleted.stderr, edited.stderr)
    # without the header naming the file, and with one folder name (a title may name it)
    body = [r.stdout.split("\n", 1)[1].replace("edited", "original") for r in (deleted, edited, kept)]
    assert body[0] == body[1] != body[2]


def _toml_reader():
    """A reader of a format YAML refuses (TOML: 'steps = 7' under '[toy]'), which parses the text itself."""
    import tomllib
    from types import SimpleNamespace

    from lrplot.sources import Source
    from lrplot.spec import spec_from_data
    from lrplot.yamlio import SourceMap

    def detect(doc):
        return doc.path.suffix == ".toml" and doc.text.lstrip().startswith("[toy]")

    def read(doc, inputs, *, allow_import):
        steps = tomllib.loads(doc.text)["toy"]["steps"]
        data = {"steps": steps, "scheduler": {"type": "ConstantLR", "factor": 1.0}}
        return Source("toy-toml", spec_from_data(data, SourceMap(str(doc.path)), file=doc.path))

    return SimpleNamespace(KIND="toy-toml", LOOKS_FOR="a [toy] TOML table", FOLLOWS="toy 1.0",
                           detect=detect, read=read)


def test_a_reader_can_recognise_text_that_is_not_yaml(write_spec, monkeypatch):
    """A TOML or a launch script is not YAML: a reader that recognises the text reads it; when none
    does, the file is named (sources/unread.py), and YAML's error is said only when a YAML kind is
    forced (before, every input had to parse as YAML before any reader saw it)."""
    from lrplot import sources

    path = write_spec("[toy]\nsteps = 7\n", "run.toml")
    with pytest.raises(SpecError) as before:
        load_input(path)
    assert before.value.message == ("a TOML file that is not a torchtitan job config ([lr_scheduler], [training] and "
                                    "[optimizer] tables): lrplot does not read this kind of file")
    with pytest.raises(SpecError) as forced:
        load_input(path, kind="hf")
    assert str(forced.value).startswith(f"{path}:2:")  # YAML's own located error: the user said it is YAML
    monkeypatch.setattr(sources, "READERS", dict(sources.READERS))
    sources.register(_toml_reader())
    assert load_input(path).spec.steps == 7
    assert load_input(path, kind="toy-toml").spec.steps == 7
