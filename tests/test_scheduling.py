"""The suite's scheduler (tests/helpers/scheduling.py): under ``-n 2 --dist loadscope`` a module goes to the
worker that already imported its frameworks, a worker never waits while modules are left."""

from __future__ import annotations

from tests.helpers.paths import ROOT
from tests.helpers.scheduling import frameworks_of, pick


def test_a_module_is_known_by_the_frameworks_it_tests():
    assert frameworks_of("tests/test_sources_megatron.py", str(ROOT)) == {"megatron"}
    assert frameworks_of("tests/test_sources_trl.py", str(ROOT)) == {"trl", "transformers"}
    assert frameworks_of("tests/test_expr.py", str(ROOT)) == frozenset()
    assert frameworks_of("tests/no_such_module.py", str(ROOT)) == frozenset()


def test_modules_of_a_framework_go_where_it_was_imported_and_nobody_idles():
    fws = {"a": {"megatron"}, "b": set(), "c": {"lightning"}, "d": {"megatron"}, "e": {"lightning", "nemo"}}.get
    queue = ["a", "b", "c", "d", "e"]  # the suite's order: longest first
    assert pick(queue, set(), set(), fws) == "a"  # nothing imported yet: the order decides
    assert pick(queue[1:], set(), {"megatron"}, fws) == "b"  # the other worker's framework waits
    assert pick(["c", "d", "e"], {"megatron"}, set(), fws) == "d"  # what this worker imported comes first
    assert pick(["c", "e"], {"megatron"}, {"lightning"}, fws) == "c"  # only the other's left: taken, in order
    assert pick(["c", "e"], {"nemo"}, {"lightning"}, fws) == "e"
