"""Fixtures every test module may use (helpers that are plain functions live in tests/helpers/).
torch is imported once per session (by whichever test needs it first)."""

from __future__ import annotations

import multiprocessing.process
import os
from collections import Counter
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import forked
from tests.helpers.bounds import deadline
from tests.helpers.timm_stub import install_timm_stub

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def write_spec(tmp_path):
    """write_spec(text, name="spec.yaml") -> Path of a spec file in a temporary folder."""

    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """cli(*args) runs lrplot in-process with the temporary folder as working directory."""
    from lrplot.cli import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty curve cache (never the user's)."""
    monkeypatch.setenv("LRPLOT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def nemo():
    """NeMo's real ``nemo.core.optim.lr_scheduler`` module (loaded without NeMo's package ``__init__``:
    :func:`tests.helpers.framework_stub.nemo_schedulers`)."""
    from tests.helpers.framework_stub import nemo_schedulers

    module = nemo_schedulers()
    if module is None:
        pytest.skip("nemo_toolkit is not installed")
    return module


@pytest.fixture(scope="session")
def real_timm():
    """timm's real ``timm.scheduler`` module (see :func:`tests.helpers.timm_stub.install_timm_stub`)."""
    if not install_timm_stub():
        pytest.skip("timm is not installed (pip install --no-deps timm)")
    import timm.scheduler

    return timm.scheduler


# --- the suite's own rules, enforced on every test -------------------------------------------------

@pytest.fixture(autouse=True)
def _timeout(request):
    """``@pytest.mark.timeout(seconds)``: the test fails if it is still running after ``seconds`` (a hang
    guard, never a speed target; see tests/helpers/bounds.py). No test is timed otherwise."""
    marker = request.node.get_closest_marker("timeout")
    if marker is None:
        yield
        return
    with deadline(marker.args[0]):
        yield


def _started_from_the_tests() -> bool:
    """True when the code that asked for a process is a test or a helper of tests/ (not a library)."""
    frame = sys._getframe(2)
    while frame is not None:
        file = Path(frame.f_code.co_filename)
        if file.name not in ("subprocess.py", "os.py", "process.py", "context.py", "conftest.py"):
            return TESTS in file.resolve().parents
        frame = frame.f_back
    return False


def _runs_python(args) -> bool:
    if isinstance(args, (str, bytes, os.PathLike)):
        args = os.fsdecode(args).split()
    args = [os.fsdecode(a) for a in args]
    return bool(args) and (args[0] == sys.executable
                           or Path(args[0]).name.startswith(("python", "lrplot", "torchrun")))


@pytest.fixture(autouse=True)
def _processes_only_in_slow_tests(request, monkeypatch):
    """A test that starts a process (a Python child pays every import again: seconds) is marked
    ``slow``, so that ``-m "not slow"`` leaves it out. A test not marked slow that starts one (a Python
    child from anywhere, any process from test code, or a child forked by tests/helpers/forked.py) fails."""
    if request.node.get_closest_marker("slow"):
        yield None
        return
    started: list[str] = []
    popen_init = subprocess.Popen.__init__
    process_start = multiprocessing.process.BaseProcess.start

    def refuse(what: str):
        started.append(what)
        pytest.fail(f"{what} started by a test not marked slow: add @pytest.mark.slow (a child process costs "
                    "seconds, and the quick run -m 'not slow' leaves out every test that starts one)")

    def guarded_popen(self, args, *more, **kwargs):
        if _runs_python(args) or _started_from_the_tests():
            refuse(f"the process {args!r:.120}")
        popen_init(self, args, *more, **kwargs)

    def guarded_start(self):
        if _started_from_the_tests():
            refuse(f"the multiprocessing process {self.name}")
        process_start(self)

    def guarded_fork(started_server, request, *more):
        refuse(f"the forked lrplot child {request['args']!r:.120}")  # a real process, only cheaper

    monkeypatch.setattr(subprocess.Popen, "__init__", guarded_popen)
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", guarded_start)
    monkeypatch.setattr(forked, "_fork", guarded_fork)
    yield started
    call = getattr(request.node, "report_call", None)
    if started and not (call is not None and call.failed):  # the failure was caught inside the test
        pytest.fail(f"{started[0]} started by a test not marked slow: add @pytest.mark.slow")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test (``item.report_call``) for the fixtures' teardown."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def pytest_sessionfinish(session):
    forked.stop()  # the server of tests/helpers/forked.py, if a test started it (in each xdist worker)


# --- the order modules run in ------------------------------------------------------------------------

def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist: keep the order chosen below
        config.option.loadscopereorder = False
    if not hasattr(config, "workerinput"):  # once, in the process that starts any xdist workers
        compile_lrplot()
        write_yapf_grammar()


def write_yapf_grammar() -> None:
    """yapf's grammar tables pickled into the user's cache folder before any worker starts. MMEngine imports
    yapf, which on its first import on a machine writes them there and later imports read them: two workers
    importing MMEngine at once on a fresh machine, one read the file the other was still writing (EOFError
    collecting tests/test_logs_mmengine.py in CI)."""
    import importlib.util

    if importlib.util.find_spec("yapf") is not None:  # yapf_third_party/_ylib2to3/pygram.py: load_grammar, dump
        importlib.import_module("yapf")


def compile_lrplot() -> None:
    """lrplot's bytecode written next to its sources, as pip writes it when it installs lrplot.

    The suite runs lrplot from the checkout, and hundreds of tests start it in a new process. Where
    ``PYTHONDONTWRITEBYTECODE`` is set (CI machines often set it), no process writes bytecode, so
    every such process compiled lrplot's hundred modules again (≈ 0.25 s of CPU each). Reading
    bytecode is not switched off by that variable, and py_compile writes regardless of it; timestamps
    keep an edited module from being read stale."""
    import compileall

    compileall.compile_dir(str(TESTS.parent / "lrplot"), quiet=2)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session):
    """pytest's rewritten test modules are cached while collecting, also where PYTHONDONTWRITEBYTECODE
    is set: rewriting the suite's asserts costs each process about 5 s of CPU, which a second run
    then skips (collection 8 s -> 4.4 s). On a fresh checkout the two pytest-xdist workers split the
    rewriting first (:func:`_rewrite_share`). Only while collecting: a test importing a
    module of its own temporary folder must not leave a ``__pycache__`` there."""
    was = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        if hasattr(session.config, "workerinput"):
            _rewrite_share(session)
        return (yield)
    finally:
        sys.dont_write_bytecode = was


def _rewrite_share(session) -> None:
    """pytest-xdist's workers each import every test module while collecting, in the same order, so on a
    fresh checkout both rewrite all of them side by side (about 2.5 s of CPU each, measured) and find
    nothing in the cache. Here, before collecting, each worker rewrites into pytest's cache the test
    modules of this run that have no valid rewritten copy yet, the first worker from the first module and
    the second from the last: they meet about half way, and collection then reads every module from the
    cache. Through pytest's own rewrite functions (what its import hook runs); where their shape differs,
    nothing is done (collection rewrites as before: slower, never different)."""
    try:
        from _pytest.assertion.rewrite import (PYC_TAIL, _read_pyc, _rewrite_test, _write_pyc,
                                               assertstate_key, get_cache_dir, try_makedirs)

        state = session.config.stash[assertstate_key]
    except (ImportError, KeyError):
        return
    if session.config.getoption("assertmode", "rewrite") != "rewrite":  # --assert=plain: nothing is rewritten
        return
    files: dict[Path, None] = {}
    for arg in session.config.args:
        path = Path(arg.split("::")[0]).resolve()
        found = sorted(path.glob("test_*.py")) if path.is_dir() else [path]
        files.update((f, None) for f in found if f.is_file() and TESTS in f.parents and f.name.startswith("test_"))
    order = list(files)
    if session.config.workerinput.get("workerid", "gw0") != "gw0":
        order.reverse()
    for fn in order:
        folder = get_cache_dir(fn)
        pyc = folder / (fn.name[:-3] + PYC_TAIL)
        try:
            if _read_pyc(fn, pyc, state.trace) is None and try_makedirs(folder):
                source_hash, code = _rewrite_test(fn, session.config)
                _write_pyc(state, code, source_hash, pyc)
        except (TypeError, AttributeError, ValueError):
            return


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope``: modules importing the same framework go to the same worker
    (tests/helpers/scheduling.py)."""
    from tests.helpers.scheduling import make_scheduler

    return make_scheduler(config, log)


def pytest_collection_modifyitems(config, items):
    """Modules with the most slow tests first (each module's own tests keep their order). With
    ``-n 2 --dist loadscope`` a worker takes whole modules from the front of this order: long ones
    early keep the two workers busy to the end. pytest-xdist's own order (most tests first) puts a
    module of one long test, such as the docs build, last, where one worker runs it alone."""
    module = {item: item.nodeid.split("::")[0] for item in items}
    slow = Counter(module[item] for item in items if item.get_closest_marker("slow"))
    first_seen = {name: i for i, name in enumerate(dict.fromkeys(module.values()))}
    items.sort(key=lambda item: (-slow[module[item]], first_seen[module[item]]))


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (playwright) that opens the pages lrplot writes; skipped where there is none."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium; CI installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra has it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()
