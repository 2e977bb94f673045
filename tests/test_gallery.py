"""The committed gallery is exactly what the code renders today."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest

from lrplot.errors import OutputError
from lrplot.gallery import MARKER, build_gallery, gallery_configs

from .conftest import CONFIGS, ROOT

GALLERY = ROOT / "gallery"


def config_imports():
    """The --allow-import values the configs need (the gallery is made with all of them): the paths
    of the two local example modules; the libraries' scheduler modules are trusted."""
    from lrplot.sources import load_input
    from tests.test_configs import import_needs

    return sorted({a for p, inputs in gallery_configs(CONFIGS)
                   for a in import_needs(load_input(p, inputs=inputs).spec)[0]})


@pytest.mark.slow
def test_regenerating_the_gallery_changes_nothing(tmp_path):
    stamp = re.search(r"matplotlib (\S+?)\.\s*$", (GALLERY / "README.md").read_text(), re.M)
    if stamp is None or stamp.group(1) != version("matplotlib"):
        pytest.skip("PNG/SVG bytes are only stable within one matplotlib version; the gallery was rendered "
                    f"with {stamp.group(1) if stamp else 'an unknown version'}, this is {version('matplotlib')}")
    from tests.test_configs import importable

    unrendered = re.findall(r"needs the `(\w+)` package", (GALLERY / "README.md").read_text())
    if any(importable(name) for name in unrendered):
        pytest.skip(f"the gallery was made without {', '.join(unrendered)}, which this machine has")
    out = tmp_path / "gallery"
    entries = build_gallery(CONFIGS, out, allow_import=config_imports())
    assert len(entries) == len(gallery_configs(CONFIGS)) > len(list(CONFIGS.glob("*.yaml")))
    fresh = sorted(p.name for p in out.iterdir())
    committed = sorted(p.name for p in GALLERY.iterdir())
    assert fresh == committed, "regenerate with: lrplot gallery configs/ -o gallery/"
    for name in fresh:
        if name == "README.md":
            # the index links configs relative to the gallery folder, which differs in tmp
            continue
        assert (out / name).read_bytes() == (GALLERY / name).read_bytes(), \
            f"{name} is stale: regenerate with: lrplot gallery configs/ -o gallery/"


def test_index_lists_every_config_under_its_title():
    text = (GALLERY / "README.md").read_text()
    assert MARKER in text
    assert "## Cosine annealing\n\n[`cosine.yaml`](../configs/cosine.yaml) · [SVG](cosine.svg)\n\n" \
           "![Cosine annealing](cosine.png)" in text
    for config, _ in gallery_configs(CONFIGS):
        assert f"(../configs/{config.relative_to(CONFIGS).as_posix()})" in text
    assert "![hf_sft](frameworks-hf_sft.png)" in text
    assert config_imports() == [str(CONFIGS / "accelerated_schedules.py"), str(CONFIGS / "my_schedules.py")]
    assert ("\n    lrplot gallery configs/ -o gallery/ --allow-import configs/accelerated_schedules.py "
            "--allow-import configs/my_schedules.py\n") in text


def test_refuses_a_folder_that_is_not_a_gallery(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="exists and is not an lrplot gallery"):
        build_gallery(CONFIGS, tmp_path)


def test_stale_figures_are_removed(tmp_path):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "a.yaml").write_text("steps: 10\nscheduler: {type: StepLR, step_size: 2}\n")
    (configs / "b.yaml").write_text("steps: 10\nscheduler: {type: StepLR, step_size: 3}\n")
    out = tmp_path / "g"
    build_gallery(configs, out)
    (configs / "b.yaml").unlink()
    build_gallery(configs, out)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "a.png", "a.svg"]


def test_gallery_command(cli, tmp_path):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "a.yaml").write_text("title: A\nsteps: 10\nscheduler: {type: StepLR, step_size: 2}\n")
    result = cli("gallery", "configs", "-o", "out")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "out/README.md (1 configs)\n"
    assert "## A" in (tmp_path / "out" / "README.md").read_text()
