"""README's Limits table against lrplot/limits.py: every number the table states is a constant's
value as README writes it, and every user-facing limit is in the table."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import lrplot.limits as limits

README = Path(__file__).resolve().parents[1] / "README.md"


# constant -> (README row, how README writes its value)
WRITTEN = {
    "MAX_SPEC_BYTES": ("spec or training config", lambda v: f"{v // 1000} kB"),
    "MAX_YAML_VALUES": ("spec or training config", lambda v: f"{v:,} YAML values as written"),
    "MAX_YAML_EXPANDED_VALUES": ("spec or training config", lambda v: f"{v:,} once aliases and `<<` merges are expanded"),
    "MAX_YAML_DEPTH": ("spec or training config", lambda v: f"{v} levels of nesting"),
    "MAX_YAML_INT_BITS": ("spec or training config", lambda v: f"integers of {v} bits"),
    "MAX_CSV_BYTES": ("metric CSV", lambda v: f"{v // 1_000_000} MB"),
    "MAX_CSV_FIELD_CHARS": ("metric CSV", lambda v: f"fields of {v:,} characters"),
    "MAX_LOG_BYTES": ("training log (`--log`)", lambda v: f"a CSV or JSON log: {v // 1_000_000} MB"),
    "MAX_EVENTS_BYTES": ("training log (`--log`)", lambda v: f"TensorBoard event files: {v // 1_000_000} MB together"),
    "MAX_STORE_BYTES": ("training log (`--log`)", lambda v: f"W&B run files and MLflow metric files: {v // 1_000_000} MB together"),
    "MAX_LOG_VALUES": ("training log (`--log`)", lambda v: f"{v:,} logged values"),
    "MAX_LOG_SERIES": ("training log (`--log`)", lambda v: f"{v:,} lr series"),
    "MAX_LOG_STEP": ("training log (`--log`)", lambda v: "0 to 2**53" if v == 2**53 else f"0 to {v}"),
    "MAX_LOG_WALK": ("training log (`--log`)", lambda v: f"at most {v:,} entries"),
    "PIPE_IDLE_SECONDS": ("file kind", lambda v: f"silent for {v} s"),
    "MAX_EXPRESSION_CHARS": ("expression", lambda v: f"{v:,} characters"),
    "MAX_EXPRESSION_DEPTH": ("expression", lambda v: f"{v} levels"),
    "MAX_EXPRESSION_INT_BITS": ("expression", lambda v: f"integers of {v:,} bits"),
    "MAX_STEPS": ("schedule", lambda v: f"{v:,} optimizer updates"),
    "MAX_HYDRA_YAML_VALUES": ("Hydra config tree", lambda v: f"{v:,} values"),
    "MAX_INTERPOLATIONS": ("Hydra config tree", lambda v: f"{v:,} interpolations"),
    "MAX_INTERPOLATED_CHARS": ("Hydra config tree", lambda v: f"{v:,} characters"),
    "MAX_BUDGET_NUMBER": ("training-config number", lambda v: f"at most {v:,} (2^53"),
    "MAX_MMENGINE_BASE_FILES": ("MMEngine `_base_` files", lambda v: f"{v} files"),
    "MAX_PIXELS": ("figure", lambda v: f"{v // 1_000_000} megapixels"),
    "MIN_SIDE_INCHES": ("figure", lambda v: f"each side {v} to"),
    "MAX_SIDE_INCHES": ("figure", lambda v: f"to {v} inches"),
    "MAX_TEXT_CHARS": ("figure", lambda v: f"cut at {v} characters"),
    "MAX_DRAWABLE": ("figure", lambda v: f"±{v:.0e}".replace("e+", "e")),
    "MAX_STYLE_BYTES": ("figure", lambda v: f"a `--style` file: {v // 1000} kB"),
    "MAX_STYLE_SIZE": ("figure", lambda v: f"sizes at most {v:,} points"),
}
# limits a second row states too (Hydra's files are checked against the YAML depth)
ALSO = {"Hydra config tree": ["MAX_YAML_DEPTH", "MAX_SPEC_BYTES"],
        "MMEngine `_base_` files": ["MAX_YAML_DEPTH", "MAX_SPEC_BYTES"], "training-config number": ["MAX_STEPS"]}


def _rows() -> dict[str, str]:
    text = README.read_text("utf-8")
    table = text[text.index("### Limits"):]
    table = table[:table.index("\n\n", table.index("| input | limit |"))]
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| (.+?) \| (.+) \|$", table, re.M)
            if m.group(1) not in ("input", "---")}


def _user_facing() -> list[str]:
    source = Path(limits.__file__).read_text("utf-8")
    head = source[:source.index("# --- bounds of lrplot's own work")]
    return re.findall(r"^([A-Z][A-Z0-9_]*) = ", head, re.M)


def test_every_user_facing_limit_is_in_the_readme_as_its_value():
    rows = _rows()
    assert sorted(WRITTEN) == sorted(_user_facing())
    for name, (row, written) in WRITTEN.items():
        assert written(getattr(limits, name)) in rows[row], (name, row)


def test_every_number_in_the_table_is_a_limit():
    rows = _rows()
    for row, text in rows.items():
        shown = " ".join(written(getattr(limits, name)) for name, (r, written) in WRITTEN.items() if r == row)
        shown += " " + " ".join(WRITTEN[name][1](getattr(limits, name)) for name in ALSO.get(row, []))
        for number in re.findall(r"\d[\d,.]*(?:e\d+)?", text.replace("<<", "")):
            assert number.rstrip(".,") in shown, (row, number)


def test_the_csv_field_limit_is_pythons_own():
    assert csv.field_size_limit() == limits.MAX_CSV_FIELD_CHARS
