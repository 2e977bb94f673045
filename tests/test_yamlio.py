import math

import pytest
import yaml

from lrplot.errors import SpecError
from lrplot.yamlio import load_yaml, parse_scalar


@pytest.mark.parametrize("text, expected", [
    ("1e-3", 0.001), ("1E3", 1000.0), ("-2.5e-4", -2.5e-4), (".5", 0.5), ("3.", 3.0),
    ("1_000_000", 1000000), ("017", 17), ("0o17", 15), ("0x1F", 31), ("+7", 7),
    ("true", True), ("False", False), ("yes", "yes"), ("on", "on"), ("~", None), ("null", None),
    ("2001-12-14", "2001-12-14"), ("1:30", "1:30"), ("'1e-3'", "1e-3"),
])
def test_scalars_follow_yaml_1_2(text, expected):
    value = parse_scalar(text)
    assert value == expected and type(value) is type(expected)


def test_pyyaml_alone_reads_1e_3_as_text_but_lrplot_reads_a_number():
    assert yaml.safe_load("lr: 1e-3")["lr"] == "1e-3"  # the PyYAML behaviour being fixed
    data, _ = load_yaml("lr: 1e-3\n", "s.yaml")
    assert data["lr"] == 0.001


def test_special_floats():
    data, _ = load_yaml("a: .inf\nb: -.Inf\nc: .nan\n", "s.yaml")
    assert data["a"] == math.inf and data["b"] == -math.inf and math.isnan(data["c"])


def test_duplicate_key_is_an_error_at_the_second_key():
    with pytest.raises(SpecError) as err:
        load_yaml("scheduler:\n  type: StepLR\n  step_size: 3\n  step_size: 4\n", "s.yaml")
    assert err.value.format() == "s.yaml:4:3: duplicate key 'step_size' (first given at line 3); remove one of them"


def test_positions_of_keys_values_and_text():
    data, src = load_yaml("a:\n  b: [1, 2]\n  c: \"x + 1\"\n", "s.yaml")
    assert str(src.key(("a", "b"))) == "s.yaml:2:3"
    assert str(src.value(("a", "b", 1))) == "s.yaml:2:10"
    assert str(src.text(("a", "c"), 4)) == "s.yaml:3:11"  # inside the quotes
    assert str(src.value(("a", "missing", 3))) == "s.yaml:2:3"  # falls back to the nearest parent (a's value)


def test_syntax_error_has_a_position():
    with pytest.raises(SpecError) as err:
        load_yaml("a: [1, 2\nb: 3\n", "s.yaml")
    assert err.value.location.path == "s.yaml" and err.value.location.line == 2
    assert "not valid YAML" in err.value.message


def test_python_tags_are_refused():
    with pytest.raises(SpecError, match="the tag !!python/object/apply:os.system is not allowed"):
        load_yaml("a: !!python/object/apply:os.system ['true']\n", "s.yaml")
    with pytest.raises(SpecError, match="cannot read this value"):
        load_yaml("a: !!python/name:os.system\n", "s.yaml")


def test_recursive_alias_is_refused():
    with pytest.raises(SpecError, match="alias"):
        load_yaml("a: &x [*x]\n", "s.yaml")


def test_merge_keys_still_work():
    data, _ = load_yaml("base: &b {gamma: 0.5}\nstep: {<<: *b, step_size: 3}\n", "s.yaml")
    assert data["step"] == {"gamma": 0.5, "step_size": 3}


def test_merge_keys_follow_the_yaml_merge_rule_whatever_the_pyyaml_version():
    # YAML's merge-key rule (yaml.org/type/merge.html): of a list of merged mappings the first
    # wins, the mapping's own keys win over all of them, merges nest. PyYAML 6.0.4 let the last
    # source win and rewrites anchors in place; lrplot resolves "<<" itself (CI runs this file
    # under the oldest supported PyYAML too).
    text = ("a: &a {x: 1, y: 1}\n"
            "b: &b {x: 2, y: 2, z: 2}\n"
            "c: &c {<<: [*a, *b], y: 3}\n"       # x from a (first source), y own, z from b
            "d: {<<: [*b, *c]}\n"                # the merged c is itself merged: b wins where both have a key
            "e: {<<: *c, w: 4}\n")
    data, _ = load_yaml(text, "m.yaml")
    assert data["a"] == {"x": 1, "y": 1} and data["b"] == {"x": 2, "y": 2, "z": 2}  # anchors unchanged
    assert data["c"] == {"x": 1, "y": 3, "z": 2}
    assert data["d"] == {"x": 2, "y": 2, "z": 2}
    assert data["e"] == {"x": 1, "y": 3, "z": 2, "w": 4}
    for bad in ("a: &a 1\nm: {<<: *a}\n", "a: &a {x: 1}\nm: {<<: [*a, 2]}\n"):
        with pytest.raises(SpecError, match=r"a merge key \(<<\) takes a mapping or a list of mappings"):
            load_yaml(bad, "bad.yaml")


# --- check_expansion: files another library (Hydra) loads without lrplot's limits ----------------

def test_check_expansion_refuses_a_billion_laughs_at_the_first_anchor_over_the_limit():
    from lrplot.yamlio import check_expansion

    text = "\n".join(['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
                     + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)])
    with pytest.raises(SpecError) as err:
        check_expansion(text, "laughs.yaml")
    assert err.value.format().startswith("laughs.yaml:5:5: the aliases (*name) and merge keys (<<) of this file "
                                         "expand to more than 100000 values")
    check_expansion(text, "laughs.yaml", limit=2 * 10**9)  # the limit is the only reason (counted, not built)


def test_check_expansion_counts_merge_keys_and_passes_what_loads_in_linear_time():
    from lrplot.yamlio import check_expansion

    check_expansion("base: &b {lr: 0.1, wd: 0.01}\nrun: {<<: *b, lr: 0.2}\nalso: [*b, *b]\n", "ok.yaml")
    check_expansion("values:\n" + "".join(f"  - {i}\n" for i in range(50_000)), "big.yaml")  # no alias
    check_expansion("a: [unclosed\n", "broken.yaml")  # syntax is the loader's to report
    merges = "\n".join(["m0: &m0 {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9}"]
                       + [f"m{i}: &m{i} {{{', '.join(f's{j}: *m{i - 1}' for j in range(10))}}}" for i in range(1, 8)])
    with pytest.raises(SpecError, match="expand to more than 100000 values"):
        check_expansion(merges, "merges.yaml")


def test_check_expansion_refuses_nesting_too_deep_and_long_alias_chains():
    from lrplot.yamlio import check_expansion

    with pytest.raises(SpecError, match="nested too deeply; at most 64 levels"):
        check_expansion("[" * 5000 + "]" * 5000, "deep.yaml")
    chain = "a0: &a0 1\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 5000))  # 12.5M values
    with pytest.raises(SpecError, match="expand to more than 100000 values"):
        check_expansion(chain, "chain.yaml")
