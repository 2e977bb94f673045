"""The directive memo of a documentation rebuild: a directive whose text, options, document and
input files are unchanged reuses its images without reading its spec again.

A rebuild that re-reads every document (``sphinx-build -E``) would otherwise parse each spec with
lrplot's spec models (importing numpy, pydantic and the models, ≈ 0.2 s once, then ≈ 6 ms per
figure) only to find that every image is already there. The memo is one small JSON file per
directive in the images' folder, named by a hash of everything the figure can depend on:

- the directive as written: the document's path, its argument, its content, every option, and
  the site's ``lrplot_formats`` / ``lrplot_allow_import`` values;
- every ``LRPLOT_*`` environment variable (``LRPLOT_ALLOW_IMPORT`` among them);
- the installed versions of lrplot, torch, numpy and matplotlib (their version files, read once
  per process) and Python's;
- and, checked at each use, the SHA-256 of every file the spec read (the spec file, its metric
  CSVs), each hashed before the spec was read and again after its images were made: a file that
  changed meanwhile is not memoised.

A memo is written only for a plain lrplot spec (inline or a spec file) that names no code by an
import path and no local Python file: a training config may read files (Hydra groups, MMEngine
``_base_``) that the memo could not list. It is used only if every image it names is still the
sound image :func:`sound_image` accepts. Anything else reads the spec as before.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Iterable

FORMAT = 1
_IMAGE = re.compile(r"lrplot-[0-9a-f]{32}\.(png|svg|pdf|html)")
_KEY = re.compile(r"[0-9a-f]{64}")


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, Any]:
    """The installed versions a figure depends on (read once): each package's version file, read
    without importing it, as the curves cache reads torch's (the package metadata scans every
    installed distribution: ≈ 12 ms of a rebuild that has nothing else to do)."""
    from ._version import __version__
    from .cache import code_stamp, module_version

    return {"python": list(sys.version_info[:3]), "lrplot": __version__, "lrplot_code": code_stamp(),
            "torch": module_version("torch", "version.py", "__version__"),
            "numpy": module_version("numpy", "version.py", "version"),
            "matplotlib": module_version("matplotlib", "_version.py", "version")}


def memo_key(parts: dict[str, Any]) -> str:
    """The memo's name for a directive described by ``parts`` (JSON-able)."""
    data = {
        "format": FORMAT,
        "directive": parts,
        "env": {k: v for k, v in sorted(os.environ.items()) if k.startswith("LRPLOT_")},
        "versions": versions(),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def file_digest(path: Path | str) -> str | None:
    """SHA-256 of a regular file's bytes (None: missing, not a regular file, unreadable)."""
    blob = _regular_bytes(Path(path))
    return None if blob is None else hashlib.sha256(blob).hexdigest()


def digests(paths: Iterable[Path | str]) -> dict[str, str | None]:
    return {str(p): file_digest(p) for p in paths}


def _digest_path(image: Path) -> Path:
    return image.with_name(image.name + ".sha256")


def _regular_bytes(path: Path) -> bytes | None:
    from .limits import MAX_CACHE_ENTRY_BYTES
    from .output import regular_bytes  # as the curves cache reads its entries, without importing it

    return regular_bytes(path, 2 * MAX_CACHE_ENTRY_BYTES)


def sound_image(path: Path) -> bool:
    """Whether ``path`` is an image lrplot rendered, as it rendered it: a regular file (not a
    symbolic link planted to publish another file) whose bytes hash to the digest written beside
    it. Anything else is rendered again, over it."""
    blob, seal = _regular_bytes(path), _regular_bytes(_digest_path(path))
    return blob is not None and seal is not None and hashlib.sha256(blob).hexdigest().encode() == seal.strip()


def _memo_path(out_dir: Path, key: str) -> Path:
    return out_dir / f"memo-{key}.json"


def lookup(out_dir: Path, key: str) -> dict[str, Any] | None:
    """The memo of ``key`` if it is whole and still true (its files unchanged, its images sound)."""
    if not _KEY.fullmatch(key):
        return None
    blob = _regular_bytes(_memo_path(out_dir, key))
    if blob is None:
        return None
    try:
        memo = json.loads(blob)
        files, images = memo["files"], memo["images"]
        if memo.get("format") != FORMAT or not isinstance(files, dict) or not images:
            return None
        for path, digest in files.items():
            if digest is None or file_digest(path) != digest:
                return None
        for theme, fmt, name in images:
            if not (_IMAGE.fullmatch(name) and name.endswith("." + fmt) and sound_image(out_dir / name)):
                return None
        for field in ("alt", "themes", "formats", "deps"):
            memo[field]  # noqa: B018 (present)
    except (ValueError, KeyError, TypeError):
        return None
    return memo


def store(out_dir: Path, key: str, *, before: dict[str, str | None], images: list[Any], alt: str,
          figure: Any, deps: list[str]) -> bool:
    """Write the memo of a directive whose files hashed to ``before`` when its spec was read;
    nothing if any of them differs now (or could not be read)."""
    from .output import write_atomic

    if any(d is None for d in before.values()) or digests(before) != before:
        return False
    memo = {
        "format": FORMAT,
        "files": before,
        "images": [[im.theme, im.fmt, im.path.name] for im in images],
        "alt": alt,
        "themes": list(figure.themes),
        "formats": list(figure.formats),
        "caption": figure.caption,
        "deps": deps,
    }
    text = json.dumps(memo, sort_keys=True).encode()
    write_atomic(_memo_path(out_dir, key), lambda fh: fh.write(text))
    return True


__all__ = ["digests", "lookup", "memo_key", "store", "versions"]
