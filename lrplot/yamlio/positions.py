"""Where each key and value of a document stands: key paths and the source map that turns them into locations."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Location


KeyPath = tuple  # tuple[str | int, ...]: ("scheduler", "schedulers", 0, "T_max")


def format_path(path: KeyPath) -> str:
    """``("schedules", 0, "scheduler")`` -> ``schedules[0].scheduler``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class SourceMap:
    """Where each key and value of a loaded document stands in its source.

    Lookups fall back to the nearest enclosing node that has a position, so any path gives a
    usable location (at worst the file itself). ``by_path``: the document has no text (a dict
    built in Python), so a location is the key path itself: ``<spec>:scheduler.T_max``.
    """

    path: str
    keys: dict[KeyPath, Location] = field(default_factory=dict)
    values: dict[KeyPath, Location] = field(default_factory=dict)
    # For single-line scalars: column where the text content starts (after an opening quote).
    text_start: dict[KeyPath, Location] = field(default_factory=dict)
    by_path: bool = False
    # A reader of a training config: spec key path -> how the user changes that value in the config's
    # OWN keys, or a sentence saying the framework computes it (a finding says this instead of naming
    # the spec key, which the config does not have).
    advice: dict[KeyPath, str] = field(default_factory=dict)
    # ... or only the config's own dotted name of that spec key (a scheduler's T_max that a DeepSpeed
    # config holds as scheduler.params.T_max): advice said in spec keys then names this key instead.
    names: dict[KeyPath, str] = field(default_factory=dict)
    # A training config's string values that hold a control character (NeMo's chat tokens "\x00"), kept
    # escaped (printable): path -> which character. Only an lrplot spec refuses them (yamlio.refuse_unprintable).
    unprintable: dict[KeyPath, str] = field(default_factory=dict)

    def _lookup(self, table: dict[KeyPath, Location], path: KeyPath) -> Location:
        path = full = tuple(path)
        while True:
            if path in table:
                return table[path]
            if path in self.values:
                return self.values[path]
            if path in self.keys:
                return self.keys[path]
            if not path:
                return Location(self.path, key=format_path(full) if self.by_path and full else None)
            path = path[:-1]

    def key(self, path: KeyPath) -> Location:
        """Position of the key that introduces ``path`` (for unknown/misspelled keys)."""
        return self._lookup(self.keys, path)

    def value(self, path: KeyPath) -> Location:
        """Position of the value at ``path``."""
        return self._lookup(self.values, path)

    def text(self, path: KeyPath, offset: int = 0) -> Location:
        """Position of character ``offset`` inside the scalar text at ``path`` (for expressions)."""
        start = self.text_start.get(tuple(path))
        if start is None or start.col is None:
            return self.value(path)
        return Location(start.path, start.line, start.col + offset)

    def advise(self, path: KeyPath) -> str | None:
        """The config's own advice for the spec key ``path`` (exactly that key), or None."""
        return self.advice.get(tuple(path))

    def name(self, path: KeyPath) -> str | None:
        """The config's own dotted name of the spec key ``path``, or None (a plain spec's key is its name)."""
        return self.names.get(tuple(path))

    def override(self, path: KeyPath, location: Location) -> None:
        """Point ``path`` and everything below it at ``location`` (a --set override)."""
        path = tuple(path)
        for table in (self.keys, self.values, self.text_start):
            for p in [p for p in table if p[: len(path)] == path]:
                del table[p]
        self.keys[path] = location
        self.values[path] = location
