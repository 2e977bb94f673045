import math

import pytest

from lrplot.errors import SpecError
from lrplot.expr import compile_expression
from tests.helpers.bounds import MB, peak_memory

NAMES = ("epoch", "step")


@pytest.mark.parametrize("text, reference", [
    ("0.95 ** epoch", lambda epoch: 0.95 ** epoch),
    ("lambda epoch: min(1.0, (epoch + 1) / 10)", lambda epoch: min(1.0, (epoch + 1) / 10)),
    ("lambda e: 0.5 * (1 + cos(pi * e / 30))", lambda e: 0.5 * (1 + math.cos(math.pi * e / 30))),
    ("1 / (1 + step)", lambda step: 1 / (1 + step)),
    ("(epoch + 1) / 5 if epoch < 5 else 0.9 ** (epoch - 4)",
     lambda epoch: (epoch + 1) / 5 if epoch < 5 else 0.9 ** (epoch - 4)),
    ("epoch // 7 % 3 - -epoch", lambda epoch: epoch // 7 % 3 - -epoch),
    ("0 < epoch <= 10 and 2 or 3", lambda epoch: 0 < epoch <= 10 and 2 or 3),
    ("not epoch", lambda epoch: not epoch),
    ("sqrt(epoch + 1) * exp(-epoch / 50) + log(epoch + 2, 2)",
     lambda epoch: math.sqrt(epoch + 1) * math.exp(-epoch / 50) + math.log(epoch + 2, 2)),
    ("2 ** epoch", lambda epoch: 2 ** epoch),
])
def test_values_are_bit_identical_to_the_python_lambda(text, reference):
    fn = compile_expression(text, NAMES)
    for x in range(0, 120):
        assert fn(x) == reference(x) and type(fn(x)) is type(reference(x))


@pytest.mark.timeout(60)  # a hang guard, far above the normal time
@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "calling '__import__' is not allowed"),
    ("(lambda: 1)()", "calling methods or results of calls is not allowed"),
    ("epoch.__class__", "attribute access cannot be used"),
    ("().__class__.__bases__", "attribute access cannot be used"),
    ("[x for x in range(10)]", "comprehensions cannot be used"),
    ("open('f')", "calling 'open' is not allowed"),
    ("'a' * 10", "only numbers are allowed"),
    ("x + 1", "unknown name 'x'"),
    ("__builtins__", "unknown name '__builtins__'"),
    ("epoch[0]", "subscripts cannot be used"),
    ("(y := 3)", "assignment expressions cannot be used"),
    ("lambda a, b: a", "exactly one argument"),
    ("min(epoch)", "min() takes 2 to 16 arguments"),
    ("max(epoch, key=1)", "keyword arguments are not allowed"),
    ("1 << epoch", "bitwise operators cannot be used"),
    ("9**9**9", "cannot be computed: the result is too large"),
    ("1 / 0 + epoch", "division by zero"),
    ("epoch +", "not a valid expression"),
    ("", "is empty"),
])
def test_hostile_or_wrong_text_is_rejected_at_load_time(text, message):
    with peak_memory() as peak, pytest.raises(SpecError) as err:
        compile_expression(text, NAMES)
    assert message in err.value.format()
    assert peak.bytes < 1 * MB  # nothing is computed: 9**9**9 alone would be 140 MB (and minutes)


@pytest.mark.parametrize("text", ["-" * 300 + "epoch", "(" * 500 + "epoch" + ")" * 500, "1+" * 600 + "1"])
def test_deep_nesting_and_long_text_are_rejected(text):
    with pytest.raises(SpecError):
        compile_expression(text, NAMES)


def test_error_position_points_into_the_text():
    from lrplot.errors import Location

    with pytest.raises(SpecError) as err:
        compile_expression("0.9 ** epoch + foo", NAMES, location=lambda off: Location("s.yaml", 4, 15 + off))
    assert str(err.value.location) == "s.yaml:4:30"


def test_runtime_failure_names_the_value():
    fn = compile_expression("1 / (epoch - 3)", NAMES)
    with pytest.raises(SpecError, match=r"fails at epoch=3: division by zero"):
        fn(3)


@pytest.mark.timeout(60)  # a hang guard, far above the normal time
def test_power_that_would_be_a_huge_integer_fails_fast():
    fn = compile_expression("10 ** (epoch * 1000000)", NAMES)
    with peak_memory() as peak, pytest.raises(SpecError, match="too large"):
        fn(5)
    assert peak.bytes < 1 * MB  # refused before computing: 10 ** 5000000 is 2 MB, and seconds of work


def test_expressions_survive_pickling():
    import pickle

    fn = compile_expression("0.9 ** epoch", NAMES)
    again = pickle.loads(pickle.dumps(fn))
    assert again(7) == fn(7)


@pytest.mark.parametrize("text, col, line", [
    ("float('nan')", 47, "only numbers are allowed, not 'nan'; NaN has no name here: write inf - inf, which is NaN"),
    ("float('-inf')", 47, "only numbers are allowed, not '-inf'; write -inf, without quotes"),
    ("float('0.5') * epoch", 47, "only numbers are allowed, not '0.5'; write the number without quotes: 0.5"),
    ("'a' * epoch", 41, "only numbers are allowed, not 'a'; write a number without quotes, or arithmetic of epoch, step"),
])
def test_a_quoted_number_is_refused_with_how_to_write_it(cli, tmp_path, text, col, line):
    # "only numbers are allowed, not 'nan'" said nothing of how to write NaN
    (tmp_path / "s.yaml").write_text(f'steps: 5\nscheduler: {{type: LambdaLR, lr_lambda: "{text}"}}\n')
    r = cli("s.yaml", "-o", "none", "-q")
    assert (r.exit_code, r.stderr) == (1, f"s.yaml:2:{col}: lr_lambda: {line}\n")


def test_the_hints_spelling_of_nan_gives_nan(tmp_path):
    from lrplot import load_spec, simulate

    (tmp_path / "s.yaml").write_text('steps: 5\nscheduler: {type: LambdaLR, lr_lambda: "inf - inf"}\n')
    values = simulate(load_spec(tmp_path / "s.yaml"))["s"].values[(0, "lr")]  # the real LambdaLR's lr
    assert len(values) == 5 and all(math.isnan(v) for v in values)
