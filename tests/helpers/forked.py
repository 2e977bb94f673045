"""``python -m lrplot`` in a real child process, forked from a server that already imported lrplot, torch
and matplotlib (each cold child pays about 2 s of CPU for those imports; a forked one pays none).

:func:`run` behaves like ``subprocess.run([sys.executable, "-m", "lrplot", *args], ...)``: the child is a
real process with its own working directory, environment, ``sys.argv``, ``sys.path`` (as ``-m`` builds it
from PYTHONPATH) and standard streams on real file descriptors (pipes, or the caller's file); it runs
lrplot's real ``__main__`` (so ``lrplot.cli.main`` and its own ``os._exit``), and the result is its exit code
(``-N`` when a signal N ended it) and the bytes it wrote. A child still running at ``timeout`` is killed
(SIGKILL) by the server and :class:`subprocess.TimeoutExpired` is raised, as ``subprocess.run`` does.

The server (``serve``, one per test process, started on first use) only imports modules: it never runs a
torch operation or starts a thread, so forking it is safe. What this cannot stand for is a property of a
cold start: which modules a fresh process imports, start-up tricks, lean torch, a peak memory, signals
sent from outside, or an environment variable read while importing (``LRPLOT_NO_*``, ``PYTHON*``,
``MPL*``, ...): :func:`run` refuses a changed one of those, and such a test keeps a ``subprocess`` child.
tests/test_forked.py checks that a forked run and a cold ``python -m lrplot`` give identical bytes.
``run(..., module="sphinx")`` runs another ``python -m`` module the same way: a documentation build that
loads lrplot's extension, whose subject is the build and not a cold start.
"""

from __future__ import annotations

import atexit
import os
import pickle
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
from typing import Any

from tests.helpers.paths import ROOT

# read by Python at start-up or while the server imports its modules (OpenMP's when torch loads it): a child
# cannot change them. Variables torch reads later (TORCHINDUCTOR_CACHE_DIR, set by some imports) are free.
FIXED_AT_START = ("PYTHON", "LRPLOT_NO_", "MPL", "PYDANTIC", "OMP_", "MKL_", "KMP_", "LC_", "LANG", "TYPER", "_TYPER",
                  "TORCH_LOGS", "TORCH_CPP_LOG_LEVEL", "TORCH_SHOW_CPP_STACKTRACES")
PRELOAD = ("torch", "torch.optim", "torch.optim.lr_scheduler", "numpy", "yaml", "pydantic", "typer",
           "matplotlib", "matplotlib.pyplot", "matplotlib.figure", "matplotlib.backends.backend_agg",
           "matplotlib.backends.backend_svg", "matplotlib.backends.backend_pdf", "PIL.Image", "PIL.PngImagePlugin")
NOT_PRELOADED = ("lrplot.__main__", "lrplot.mkdocs", "lrplot.sphinxext", "lrplot.docfigures", "lrplot.gallery")
MESSAGE = 1 << 20


def _fixed(name: str) -> bool:
    return name != "PYTHONPATH" and name.startswith(FIXED_AT_START)


class _Server:
    """The server process of this test process and the environment it started with."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="lrplot-forkserver-")
        self.address = os.path.join(self.folder, "socket")
        self.env = {**os.environ, "PYTHONPATH": str(ROOT)}
        code = "import sys; del sys.path[0]; from tests.helpers.forked import serve; serve(sys.argv[1])"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as ready:
            ready.bind(os.path.join(self.folder, "ready"))
            self.process = subprocess.Popen([sys.executable, "-c", code, self.address], env=self.env,
                                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=self.folder)
            atexit.register(self.close)
            ready.settimeout(300)  # a hang guard: the server imports torch and matplotlib first
            try:
                message = ready.recv(64)
            except socket.timeout:
                message = b"no answer"
        if message != b"ready":
            self.close()
            raise RuntimeError(f"the lrplot fork server did not start: {message!r}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # the server leaves when its standard input ends
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for name in ("socket", "ready"):
            try:
                os.unlink(os.path.join(self.folder, name))
            except OSError:
                pass
        try:
            os.rmdir(self.folder)
        except OSError:
            pass

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and of the children it forked and reaped so far (a test process's
        RUSAGE_CHILDREN counts neither until the server ends)."""
        with open(f"/proc/{self.process.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


_server: _Server | None = None


def server() -> _Server:
    global _server
    if _server is None or _server.process.poll() is not None:
        _server = _Server()
    return _server


def stop() -> None:
    """End this process's server (and wait for it, so its CPU and its children's count as this process's)."""
    global _server
    if _server is not None:
        _server.close()
        _server = None


def run(args: Any, *, cwd: Any = None, env: dict[str, str] | None = None,
        stdout: Any = subprocess.PIPE, stderr: Any = subprocess.PIPE, text: bool = False,
        timeout: float = 120, module: str = "lrplot") -> subprocess.CompletedProcess:
    """``lrplot *args`` in a forked child (see the module's docstring); ``env`` is the child's whole
    environment (default: this process's, with PYTHONPATH the repository). ``stdout``/``stderr``:
    ``subprocess.PIPE`` (captured), ``subprocess.DEVNULL``, a file object or a descriptor. ``module``:
    another ``python -m`` module run the same way (``sphinx``, ``mkdocs``: a documentation build using
    lrplot's extension, which imports the extension itself and draws with the lrplot already imported)."""
    args = [os.fsdecode(a) if isinstance(a, os.PathLike) else str(a) for a in args]
    env = dict({**os.environ, "PYTHONPATH": str(ROOT)} if env is None else env)
    started = server()
    changed = sorted(k for k in set(env) | set(started.env) if _fixed(k) and env.get(k) != started.env.get(k))
    if changed:
        raise ValueError(f"{', '.join(changed)} changed: read while starting, so this test needs a cold "
                         "subprocess (python -m lrplot), not a forked child")
    request = {"args": args, "cwd": os.fspath(cwd if cwd is not None else os.getcwd()), "env": env,
               "timeout": timeout, "module": module}
    return _fork(started, request, stdout, stderr, text)


def _descriptor(what: Any, closing: list[int], reading: dict[int, str], name: str) -> int:
    if what is subprocess.PIPE:
        r, w = os.pipe()
        closing.append(w)
        reading[r] = name
        return w
    if what is subprocess.DEVNULL or what is None:
        fd = os.open(os.devnull, os.O_RDWR)
        closing.append(fd)
        return fd
    return what if isinstance(what, int) else what.fileno()


def _fork(started: _Server, request: dict, stdout: Any, stderr: Any,
          text: bool) -> subprocess.CompletedProcess:
    """Send one request to the server, pass the child's three descriptors, collect its output and status."""
    closing: list[int] = []
    reading: dict[int, str] = {}
    stdin_r = os.open(os.devnull, os.O_RDONLY)  # as a test's cold child reads nothing from its input
    closing.append(stdin_r)
    fds = [stdin_r, _descriptor(stdout, closing, reading, "stdout"), _descriptor(stderr, closing, reading, "stderr")]
    out = {"stdout": bytearray(), "stderr": bytearray()}
    status = None
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as conn:
        try:
            conn.connect(started.address)
            socket.send_fds(conn, [pickle.dumps(request)], fds)
        finally:
            for fd in closing:
                os.close(fd)
        with selectors.DefaultSelector() as sel:
            for fd, name in reading.items():
                sel.register(fd, selectors.EVENT_READ, name)
            sel.register(conn, selectors.EVENT_READ, "status")
            while sel.get_map():
                for key, _ in sel.select():
                    if key.data == "status":
                        message = conn.recv(MESSAGE)
                        if message:
                            reply = pickle.loads(message)
                            if "status" not in reply:
                                continue  # the child's pid: nothing to do with it here
                            status = reply
                        sel.unregister(conn)
                    else:
                        chunk = os.read(key.fd, 65536)
                        if chunk:
                            out[key.data] += chunk
                        else:
                            sel.unregister(key.fd)
                            os.close(key.fd)
    if status is None:
        raise RuntimeError("the lrplot fork server ended without the child's exit status")
    captured = [bytes(out[name]) if name in reading.values() else None for name in ("stdout", "stderr")]
    if text:
        captured = [None if c is None else _text(c) for c in captured]
    command = [sys.executable, "-m", request["module"], *request["args"]]
    if status["timed_out"]:
        raise subprocess.TimeoutExpired(command, request["timeout"], captured[0], captured[1])
    return subprocess.CompletedProcess(command, status["status"], captured[0], captured[1])


def _text(data: bytes) -> str:
    """Decoded as ``subprocess.run(..., text=True)`` decodes (locale encoding, universal newlines)."""
    import io
    import locale

    return io.TextIOWrapper(io.BytesIO(data), encoding=locale.getpreferredencoding(False)).read()


# --- the server ------------------------------------------------------------------------------------------

def serve(address: str) -> None:
    """Import what a command imports, then fork one child per request until standard input ends."""
    import importlib
    import pkgutil

    from lrplot import tricks

    tricks.install_startup()  # what lrplot.cli.main does first: before matplotlib and pydantic are imported
    import lrplot

    for name in PRELOAD:
        importlib.import_module(name)
    for module in pkgutil.walk_packages(lrplot.__path__, "lrplot."):
        if module.name not in NOT_PRELOADED:
            importlib.import_module(module.name)
    own = {os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    base = [p for p in sys.path if p not in own]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(address)
    listener.listen(8)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as ready:
        ready.sendto(b"ready", os.path.join(os.path.dirname(address), "ready"))
    with selectors.DefaultSelector() as sel:
        sel.register(listener, selectors.EVENT_READ, "request")
        sel.register(0, selectors.EVENT_READ, "stdin")
        while True:
            for key, _ in sel.select():
                if key.data == "stdin":
                    if not os.read(0, 4096):
                        listener.close()
                        return
                    continue
                conn, _ = listener.accept()
                with conn:
                    _serve_one(conn, listener, base)


def _serve_one(conn: socket.socket, listener: socket.socket, base: list[str]) -> None:
    message, fds, _, _ = socket.recv_fds(conn, MESSAGE, 3)
    request = pickle.loads(message)
    pid = os.fork()
    if pid == 0:
        _child(request, fds, [conn.fileno(), listener.fileno()], base)  # never returns
    for fd in fds:
        os.close(fd)
    conn.send(pickle.dumps({"pid": pid}))
    timed_out = False
    pidfd = os.pidfd_open(pid)
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(pidfd, selectors.EVENT_READ)
            sel.register(conn, selectors.EVENT_READ)  # readable = the test went away: end the child too
            events = sel.select(request["timeout"])
        if not any(key.fd == pidfd for key, _ in events):
            timed_out = not events
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(pidfd)
    _, wait_status = os.waitpid(pid, 0)
    try:
        conn.send(pickle.dumps({"status": os.waitstatus_to_exitcode(wait_status), "timed_out": timed_out}))
    except OSError:
        pass


def _child(request: dict, fds: list[int], server_fds: list[int], base: list[str]) -> None:
    """In the forked child: become ``python -m MODULE ARGS`` started in ``cwd`` with ``env``; never returns."""
    code = 1
    try:
        import importlib
        import io
        import runpy

        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in [*fds, *server_fds]:
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        path = [os.path.abspath(p) for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = [os.getcwd(), *path, *base]  # as ``python -m`` builds it (lrplot's __main__ drops the first)
        importlib.invalidate_caches()
        for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):  # as Python's start-up makes them
            old = getattr(sys, name)
            raw = io.FileIO(fd, "rb" if fd == 0 else "wb", closefd=False)
            buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
            stream = io.TextIOWrapper(buffered, encoding=old.encoding, errors=old.errors, newline="\n",
                                      line_buffering=fd == 2 or (fd == 1 and raw.isatty()))
            setattr(sys, name, stream)
            setattr(sys, f"__{name}__", stream)
        sys.argv = ["-m", *request["args"]]
        try:
            runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except BaseException:  # as the interpreter reports an uncaught exception
            import traceback

            traceback.print_exc()
            code = 1
        import threading

        threading._shutdown()  # type: ignore[attr-defined]  # what Python's exit does, then the handlers
        atexit._run_exitfuncs()  # type: ignore[attr-defined]
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                code = 120 if stream is sys.stdout and code == 0 else code
    finally:
        os._exit(code)


def _exit_code(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1
