"""libyaml's composer stands in for PyYAML's Python one only where the two give the same: the same data (types
included) and the same position of every key and value for every YAML and JSON file of the repository, and for
texts at the edges of YAML (styles, aliases, merges, odd line breaks), the same error where either refuses one."""

from pathlib import Path

import pytest
import yaml

import lrplot.yamlio as yamlio
from lrplot.errors import SpecError
from lrplot.yamlio import ccompose, load_yaml
from tests.helpers.paths import ROOT

EDGES = [
    "a: plain\nb: 'single'\nc: \"double \\t \\u00e9\"\nd: |\n  block\n  text\ne: >-\n  folded\n  text\n",
    "a: multi\n  line plain\nb: \"multi\n  line quoted\"\nc: x\n",
    "a: &x {k: 1, l: [1, 2]}\nb: *x\nc: {<<: *x, k: 2}\nd: [*x, *x]\n",
    "a: &x [*x]\n", "a: &x 1\nb: &x 2\nc: *x\n", "a: *nowhere\n",
    "%YAML 1.1\n---\na: 1\n...\n", "--- !!map\na: !!str 1\nb: !!int '2'\n", "a: !!binary aGVsbG8=\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!thing 1\n", "a: !local 1\n", "a: !!set {x, y}\n",
    "\ufeffa: 1\n", "a: 1\r\nb: 2\r\n", "a: 1\x85b: 2\n", "a: 1\u2028b: 2\n", "a: x\u2029\n",
    "a: 1\n---\nb: 2\n", "", "# only a comment\n", "~\n", "[1, 2, {a: b}]\n", "? [complex]\n: key\n",
    "a: [1, 2\nb: 3\n", "a:\tb\n", "a: b: c\n", "- a\nb: 1\n", "a: \"\\x00\"\n", "a: 'it''s'\n",
    "a: 1e-3\nb: 0x1F\nc: .nan\nd: -.inf\ne: 1_000\nf: 017\ng: yes\nh: 2001-12-14\n",
    "{\"a\":\t1,\n\t\"b\": [true, null]}\n", "a: -\nb: - x\n", "- - - deep\n", "a: |2\n   indented\n",
    "key with spaces: 1\n\"quoted key\": 2\n1: int key\nnull: null key\n",
    "{a:1}\n", "[a:1, b: 2]\n", "{\"a\":1, 'b':2}\n", "a: b #comment\nc: d# not one\n", "&k a: 1\nb: *k\n",
    "a: \"\\/ \\e \\U0001F600 \\N \\_ \\L \\P\"\n", "a: |+\n  kept\n\n\nb: 1\n", "a: >2-\n    x\n  y\n",
    "a: 'multi\n\n  line'\n", "ключ: значение\n", "a: x\x85y\n", "a: x\ufeffy\n", "a: 1 \n  # c\nb: 2\n",
    "- a\n -b\n", "a:\n- 1\n- 2\n", "a:\n  - 1\n  -2\n", "a: [1,\n2]\n", "a: {b: [c, {d: e}]}\n",
    "a: ,x\n", "a: x,y\n", "a: [x]y\n", "'a': \"b\"\n", "a: @x\n", "a: `x`\n", "a: %x\n", "? |\n  lit\n: v\n",
    "a: 'unterminated\n", "a: \"bad \\q escape\"\n", "a: {b: 1\n", "]\n", "a: b\n  c: d\n", "a: *\n",
    "a:\n\t- 1\n", "a: 1\t# tab comment\n", "a: \"x\ty\"\n",
]


def _outcome(text: str, strict: bool):
    try:
        data, src = load_yaml(text, "f.yaml", strict_text=strict)
    except SpecError as exc:
        return "error", exc.format()
    return repr(data), src


def _both(text: str, strict: bool, monkeypatch):
    fast = _outcome(text, strict)
    with monkeypatch.context() as m:
        m.setattr(yamlio, "compose", lambda text: None)
        pure = _outcome(text, strict)
    return fast, pure


def _files() -> list[Path]:
    found = [path for suffix in ("yaml", "yml", "json") for path in ROOT.rglob(f"*.{suffix}")]
    return sorted(path for path in found if not any(part.startswith(".") or part in ("_build", "__pycache__")
                                                    for part in path.relative_to(ROOT).parts))


@pytest.mark.skipif(ccompose.CParser is None, reason="PyYAML without libyaml: only its Python composer runs")
def test_every_yaml_file_of_the_repository_reads_the_same_through_libyaml(monkeypatch):
    files = _files()
    assert len(files) > 300, "the repository's YAML files were found"
    composed_in_c = 0
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        fast, pure = _both(text, False, monkeypatch)
        assert fast == pure, path
        composed_in_c += ccompose.compose(text) is not None
    assert composed_in_c > 300  # the fast path did stand in, not only the fallback


@pytest.mark.skipif(ccompose.CParser is None, reason="PyYAML without libyaml: only its Python composer runs")
@pytest.mark.parametrize("text", EDGES)
@pytest.mark.parametrize("strict", [True, False])
def test_edge_texts_read_the_same_or_fail_the_same(text, strict, monkeypatch):
    fast, pure = _both(text, strict, monkeypatch)
    assert fast == pure


@pytest.mark.skipif(ccompose.CParser is None, reason="PyYAML without libyaml: only its Python composer runs")
def test_the_python_composer_says_what_is_wrong_at_the_limits():
    from lrplot.limits import MAX_YAML_DEPTH, MAX_YAML_VALUES

    wide = "".join(f"- {i}\n" for i in range(MAX_YAML_VALUES))  # the list and its values: one too many
    deep = "a:\n" + "".join("  " * (i + 1) + "a:\n" for i in range(MAX_YAML_DEPTH)) + "  " * (MAX_YAML_DEPTH + 1) + "1\n"
    assert ccompose.compose(wide) is None and ccompose.compose(wide[:-len(f"- {MAX_YAML_VALUES - 1}\n")]) is not None
    assert ccompose.compose(deep) is None
    with pytest.raises(SpecError, match=f"more than {MAX_YAML_VALUES} values"):
        load_yaml(wide, "wide.yaml")
    assert yaml.__with_libyaml__
