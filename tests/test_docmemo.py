"""The directive memo of doc rebuilds: used only while its files and images are what they were."""

import hashlib
from pathlib import Path

from lrplot import docmemo
from lrplot.docfigures import DocFigure, Image


def _image(folder: Path) -> Image:
    path = folder / ("lrplot-" + "a" * 32 + ".png")
    path.write_bytes(b"png bytes")
    (folder / (path.name + ".sha256")).write_text(hashlib.sha256(b"png bytes").hexdigest())
    return Image("light", "png", path, True)


def test_memo_holds_until_a_file_or_image_changes(tmp_path):
    csv = tmp_path / "metric.csv"
    csv.write_text("1.0\n")
    image = _image(tmp_path)
    key = docmemo.memo_key({"content": ["steps: 10"]})
    assert docmemo.lookup(tmp_path, key) is None
    assert docmemo.store(tmp_path, key, before=docmemo.digests([csv]), images=[image], alt="Alt",
                         figure=DocFigure({}), deps=[str(csv)])
    memo = docmemo.lookup(tmp_path, key)
    assert memo["images"] == [["light", "png", image.path.name]] and memo["alt"] == "Alt"
    assert docmemo.lookup(tmp_path, docmemo.memo_key({"content": ["steps: 11"]})) is None
    csv.write_text("2.0\n")
    assert docmemo.lookup(tmp_path, key) is None
    csv.write_text("1.0\n")
    assert docmemo.lookup(tmp_path, key) is not None
    image.path.write_bytes(b"other")
    assert docmemo.lookup(tmp_path, key) is None


def test_no_memo_when_a_file_changed_while_read(tmp_path):
    csv = tmp_path / "metric.csv"
    csv.write_text("1.0\n")
    before = docmemo.digests([csv])
    csv.write_text("2.0\n")
    assert not docmemo.store(tmp_path, "b" * 64, before=before, images=[_image(tmp_path)], alt="A",
                             figure=DocFigure({}), deps=[])
    assert docmemo.lookup(tmp_path, "b" * 64) is None
