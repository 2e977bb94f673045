"""A Hydra logging plugin the tree names but this environment lacks (hydra-colorlog's
``override hydra/job_logging: colorlog``, the lightning-hydra-template default): composed without it.

Hydra's logging groups (``hydra/job_logging``, ``hydra/hydra_logging``) configure Python's logging
of the run and land under the ``hydra`` package only, which the composed job config leaves out, so
they cannot change a schedule. When Hydra reports such a config missing, an empty config of that
name is stored in Hydra's ConfigStore for the composition (and removed after it), and the reader
says so in a note. Any other missing config, inside ``hydra/`` or not, stays an error.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator

LOGGING_GROUPS = ("hydra/job_logging", "hydra/hydra_logging")
PROVIDER = "lrplot (a missing logging plugin)"


def missing_logging_plugin(exc: Exception) -> tuple[str, str] | None:
    """(group, option) of a MissingConfigException naming an option of a logging group, else None."""
    match = re.search(r"Could not (?:find|load) '([^']+)'", str(exc))
    group, _, option = match.group(1).rpartition("/") if match else ("", "", "")
    return (group, option) if group in LOGGING_GROUPS and option else None


@contextmanager
def stubs() -> Iterator[list[tuple[str, str]]]:
    """Yields a list: each (group, option) appended by :func:`add` is an empty config in Hydra's
    ConfigStore until the block ends."""
    added: list[tuple[str, str]] = []
    try:
        yield added
    finally:
        from hydra.core.config_store import ConfigStore

        repo = ConfigStore.instance().repo
        for group, option in added:
            node = repo
            for part in group.split("/"):
                node = node.get(part, {})
            node.pop(f"{option}.yaml", None)


def add(added: list[tuple[str, str]], group: str, option: str) -> None:
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name=option, node={}, group=group, provider=PROVIDER)
    added.append((group, option))


def note(added: list[tuple[str, str]]) -> str:
    named = " and ".join(f"'{g}: {o}'" for g, o in added)
    return (f"composed without {named}: a Hydra logging plugin not installed here (e.g. hydra-colorlog); "
            "Hydra's logging settings cannot change the schedule")


@contextmanager
def store_kept() -> Iterator[None]:
    """Hydra's ConfigStore as it was before the block: NeMo's modules register structured configs (a
    ``trainer`` group, ...) in this process-wide store when imported, and a Hydra tree composed later in
    the same process (several SPECs, a docs build, a notebook) would find those groups as its own."""
    import importlib.util

    if importlib.util.find_spec("hydra") is None:
        yield
        return
    from hydra.core.config_store import ConfigStore

    def copied(node: dict) -> dict:
        return {k: copied(v) if isinstance(v, dict) else v for k, v in node.items()}

    repo = ConfigStore.instance().repo
    saved = copied(repo)
    try:
        yield
    finally:
        repo.clear()
        repo.update(saved)
