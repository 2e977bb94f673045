"""The project's own documentation (docs/) builds with ``sphinx-build -W``: every page, every
figure drawn by the lrplot directive from the configs in the repository. CI builds it through this
test."""

from __future__ import annotations

import re

import pytest

from tests.helpers import forked
from tests.helpers.installed import require
from tests.helpers.paths import ROOT

pytestmark = pytest.mark.slow
# the framework pages draw with each framework's own scheduler code (docs/conf.py)
require("sphinx", "furo", "transformers", "deepspeed", "torchtune", "torchtitan", "composer", "timm", "megatron",
        "ignite", "accelerate", "nemo")

PAGES = ["index", "getting-started", "figures-in-docs", *(f"schedulers/{p}" for p in (
    "step", "cosine", "cyclic", "warmup", "plateau", "lambda")), *(f"frameworks/{p}" for p in (
    "huggingface", "llamafactory", "axolotl", "lightning", "hydra", "litgpt", "timm", "mmengine", "deepspeed", "torchtune", "torchtitan", "composer",
    "accelerate", "megatron", "nemo", "ignite"))]


def test_docs_build_with_warnings_as_errors(tmp_path):
    out = tmp_path / "html"
    # a real build in a child of its own, forked from a process that imported lrplot and torch once
    # (tests/helpers/forked.py): the build is the subject here, not a cold start
    proc = forked.run(["-W", "--keep-going", "-b", "html", "-d", tmp_path / "doctrees", ROOT / "docs", out],
                      module="sphinx", text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    for page in PAGES:
        html = (out / f"{page}.html").read_text()
        for src in re.findall(r'<img alt="[^"]+" (?:class="[^"]*" )?src="([^"]+)"', html):
            assert (out / page).parent.joinpath(src).resolve().is_file(), (page, src)
    # every scheduler family and every framework draws a figure
    drawn = [p for p in PAGES if p.startswith(("schedulers/", "frameworks/"))]
    assert [p for p in drawn if "_images/lrplot-" not in (out / f"{p}.html").read_text()] == []
