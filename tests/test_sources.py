"""Reading inputs of any kind: recognition by content, --from, and the shared command-line options."""

from __future__ import annotations

import pytest

from lrplot.errors import SpecError, UsageError
from lrplot.sources import READERS, Document, load_input, needs
from lrplot.spec import parse_spec
from lrplot.yamlio import SourceMap

from tests.helpers.paths import CONFIGS


def test_a_file_no_reader_recognises_says_what_was_looked_for(cli, write_spec):
    path = write_spec("model_name_or_path: gpt2\nseed: 42\n", "recipe.yaml")
    result = cli(path)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith(f"{path}:1:1: not a kind of file lrplot reads (looked for ")
    for kind in READERS:
        assert f"{kind}: " in line
    assert line.endswith(f"force one with --from {'|'.join(READERS)}")


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
