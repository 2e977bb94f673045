"""Structure fuzzing: hostile SHAPES of input (alias bombs, deep nesting, huge sizes, odd file
kinds, wrong types, extreme options), not only odd values, each case with a time and memory limit.

Every case runs the real command line (``lrplot.cli.app``) in a process forked from a server that
has already imported lrplot, torch and matplotlib, so a case costs its own work only. The child
gets ``RLIMIT_AS`` = its size at start + 300 MB; it measures its CPU time (never the wall time, which
on a shared machine measures the neighbours) and its peak memory (VmHWM) and checks: exit 0, 1 or 2;
a failure is exactly one line, never an internal error; a failure writes no file; at most 2 s (CPU)
and 300 MB; nothing hangs (a case still running after a generous timeout is killed and reported).

Default (CI): 12 cases (about 15 s with the server's imports). The long run, one command:
    LRPLOT_FUZZ=long python -m pytest tests/test_fuzz_structure.py -q -s
(LRPLOT_FUZZ_CASES=N and LRPLOT_FUZZ_SEED=S change the count and the seed; -s prints the numbers.)
"""

from __future__ import annotations

import multiprocessing
import os
import random
import resource
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from tests.helpers.paths import CONFIGS

LONG = os.environ.get("LRPLOT_FUZZ") == "long"
CASES = int(os.environ.get("LRPLOT_FUZZ_CASES", 1000 if LONG else 12))
SEED = int(os.environ.get("LRPLOT_FUZZ_SEED", 20261123))
TIME_LIMIT = 2.0        # CPU seconds of a case's own work (the server has done the imports; CPU time,
                        # since the wall time of a shared machine measures the neighbours)
MEMORY_LIMIT = 300      # MB above the size at fork
SEEDS = {p.stem: p.read_text() for p in sorted(CONFIGS.glob("*.yaml"))
         if "csv" not in p.read_text() and "import" not in p.read_text() and ":" not in p.stem}

HOSTILE = ["0x" + "f" * 5000, "9" * 400, "1e308", "-1e308", ".nan", "-.inf", "true", "null", "[]", "{}",
           '"\\e[31mred"', '"\\ud800"', '"\\0"', '"' + "x" * 300_000 + '"', "round(1, -10**8)",
           '"10**10**8"', '"lambda e: round(e, -e*10**9)"', '"9**9**9**9"', "[[[[[[[[1]]]]]]]]", "*nope",
           "!!python/object:os.system {}", "!!binary aGVsbG8=", "2001-01-01", '"' + "(" * 500 + ")" * 500 + '"',
           "1" + "_0" * 30, "0o" + "7" * 40, "&a [*a]"]


# --- case generation: (files, argv) -------------------------------------------------------------

def alias_bomb(rng: random.Random) -> str:
    levels, fanout = rng.randint(2, 14), rng.randint(2, 12)
    merge = rng.random() < 0.4
    lines = ["a0: &a0 {k0: 1, k1: 2}" if merge else "a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * fanout)
        lines.append(f"a{i}: &a{i} {{<<: [{refs}]}}" if merge else f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def deep(rng: random.Random) -> str:
    n = rng.choice([30, 63, 65, 200, 1000, 10_000, 100_000])
    style = rng.choice(["list", "map", "block", "mixed"])
    if style == "list":
        return "x: " + "[" * n + "1" + "]" * n + "\n"
    if style == "map":
        return "x: " + "{a: " * n + "1" + "}" * n + "\n"
    if style == "mixed":
        return "x: " + "[{a: " * (n // 2) + "1" + "}]" * (n // 2) + "\n"
    n = min(n, 20_000)
    return "".join(" " * i + "a:\n" for i in range(n)) + " " * n + "b: 1\n"


def big(rng: random.Random, seed_text: str) -> str:
    size = rng.choice([10_000, 200_000, 255_000, 300_000, 3_000_000])
    kind = rng.choice(["scalar", "list", "keys", "comment", "flow"])
    if kind == "scalar":
        return seed_text + "title: " + "x" * size + "\n"
    if kind == "list":
        return seed_text + "extra:\n" + "  - 1\n" * (size // 6)
    if kind == "keys":
        return seed_text + "".join(f"k{i}: {i}\n" for i in range(size // 10))
    if kind == "comment":
        return seed_text + "#" + "c" * size + "\n"
    return seed_text + "extra: [" + "1, " * (size // 3) + "1]\n"


def retype(rng: random.Random, seed_text: str) -> str:
    lines = seed_text.splitlines()
    candidates = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("#")]
    if not candidates:  # not YAML text (an earlier mutation made it a file kind)
        return seed_text
    for _ in range(rng.randint(1, 3)):
        i = rng.choice(candidates)
        key, _, _ = lines[i].partition(":")
        lines[i] = f"{key}: {rng.choice(HOSTILE)}"
    return "\n".join(lines) + "\n"


def make_case(index: int) -> tuple[dict[str, object], list[str]]:
    """Files to create (text, or a kind: 'fifo', 'dev', 'loop', 'dir', ('sparse', size)) and argv."""
    rng = random.Random(SEED * 100_003 + index)
    seed_text = SEEDS[rng.choice(sorted(SEEDS))]
    files: dict[str, object] = {"spec.yaml": seed_text}
    argv: list[str] = []
    for _ in range(rng.randint(1, 2)):
        what = rng.choice(["alias", "deep", "big", "types", "spec-kind", "csv", "options", "set"])
        if what == "alias":
            files["spec.yaml"] = seed_text + alias_bomb(rng)
        elif what == "deep":
            files["spec.yaml"] = seed_text + deep(rng)
        elif what == "big":
            files["spec.yaml"] = big(rng, seed_text)
        elif what == "types":
            files["spec.yaml"] = retype(rng, str(files["spec.yaml"]))
        elif what == "spec-kind":
            files["spec.yaml"] = rng.choice(["fifo", "dev", "loop", "dir", ("sparse", 100_000_000), "",
                                             "\ufeff" + seed_text, seed_text.encode("utf-16").decode("latin-1")])
        elif what == "csv":
            files["spec.yaml"] = "steps: 20\nscheduler: {type: ReduceLROnPlateau, patience: 1}\nmetric: {csv: m.csv}\n"
            files["m.csv"] = rng.choice([
                "fifo", "dev", "loop", "dir", ("sparse", 50_000_000), "", "step,loss\n",
                'step,loss\n0,"' + "x" * 200_000 + '"\n', "step,loss\n" + "0,1\n" * 20,
                "step,loss\n" + "0,nan\n" * 20, "a\0b\n1\n", "step,loss\n" + "0,1e400\n" * 20,
                "step," + ",".join(f"c{i}" for i in range(20_000)) + "\n" + "0," * 20_000 + "1\n"])
        elif what == "options":
            argv += rng.choice([
                ["--title", rng.choice(["W" * 200_000, "a\x1b[2Jb", "\udcff", "x\ny", "$\\frac{1}{0}$", "$" * 3])],
                ["--size", rng.choice(["100x100", "0.01x0.01", "99x1", "1e2x1e2"]),
                 "--dpi", rng.choice(["20", "600", "1200"])],
                ["-o", rng.choice(["loop.png", "missing/x.png", "spec.yaml", "dir", "x.svg", "-", "out.pdf"])],
                ["--data", rng.choice(["o.csv", "o.json", "loop.csv", "spec.yaml", "dir"])],
                ["--log-y"], ["--layout", "grid"], ["--x", "epoch"],
            ])
            if "loop.png" in argv or "loop.csv" in argv:
                files["loop.png"] = files["loop.csv"] = "loop"
            if "dir" in argv:
                files["dir"] = "dir"
        else:
            argv += ["--set", rng.choice(["title=\x1b]0;x\x07", "steps=0x" + "f" * 3000, "scheduler=" + "[" * 3000,
                                          "title=" + "&a [*a, *a]", "steps=" + "9" * 5000, "x.y.z=1",
                                          "scheduler.T_max=!!python/none ''", "steps=1e308"])]
    command = rng.choice([[], [], ["check"], ["check", "--json"], ["state", "--at", "3"], ["schema"]])
    if command and command[0] != "schema":
        argv = [a for a in argv if a not in ("--log-y",)]
        argv = _only_set(argv)
    if command == ["schema"]:
        return files, ["schema"]
    if not command and "-o" not in argv:
        argv += ["-o", "out.png"]
    if "-" in argv:
        argv += ["--format", "svg"]  # standard output is a file in the case; svg is allowed anywhere
    return files, [*command, "spec.yaml", *argv]


def _only_set(argv: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--set":
            out += argv[i:i + 2]
        i += 2 if argv[i] in ("--set", "--title", "--size", "--dpi", "-o", "--data", "--layout", "--x") else 1
    return out


def create(folder: Path, files: dict[str, object]) -> None:
    for name, content in files.items():
        path = folder / name
        if content == "fifo":
            os.mkfifo(path)
        elif content == "dev":
            path.symlink_to("/dev/zero")
        elif content == "loop":
            path.symlink_to(folder / f".{name}.other")
            (folder / f".{name}.other").symlink_to(path)
        elif content == "dir":
            path.mkdir()
        elif isinstance(content, tuple):
            with open(path, "wb") as fh:
                fh.truncate(content[1])
        else:
            path.write_text(str(content), encoding="utf-8", errors="surrogatepass")


# --- running a case in a forked child --------------------------------------------------------------

def _status(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0


def _child(folder: str, argv: list[str], conn) -> None:
    os.chdir(folder)
    os.environ["LRPLOT_CACHE_DIR"] = os.path.join(folder, ".cache")
    start_vm, start_rss = _status("VmSize:"), _status("VmRSS:")
    resource.setrlimit(resource.RLIMIT_AS, (start_vm + MEMORY_LIMIT * 2**20, resource.RLIM_INFINITY))
    out = os.open(".stdout", os.O_WRONLY | os.O_CREAT)
    err = os.open(".stderr", os.O_WRONLY | os.O_CREAT)
    os.dup2(out, 1)
    os.dup2(err, 2)
    import sys

    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    from lrplot.cli import app
    from lrplot.cli.report import guard_stdout, terminate

    guard_stdout()
    signal.signal(signal.SIGTERM, terminate)
    start_cpu = time.process_time()
    try:
        code = app(argv, standalone_mode=False)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as a failure
        code = f"raised {type(exc).__name__}: {exc}"
    cpu = time.process_time() - start_cpu
    sys.stdout.flush()
    sys.stderr.flush()
    conn.send((code, cpu, (_status("VmHWM:") - start_rss) / 2**20))
    os._exit(0)


@pytest.fixture(scope="module")
def forkserver():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["lrplot.cli", "lrplot.engine", "lrplot.figure", "torch", "matplotlib.figure",
                                "matplotlib.backends.backend_agg", "rich.table"])
    return ctx


def run_case(ctx, index: int) -> dict:
    files, argv = make_case(index)
    folder = Path(tempfile.mkdtemp(prefix=f"lrfuzz{index}_"))
    try:
        create(folder, files)
        before = {p.name for p in folder.iterdir()}
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(str(folder), argv, child))
        # waiting more than 10x the limit (plus the load of a shared machine) means a hang
        proc.start()
        child.close()
        if not parent.poll(TIME_LIMIT * 10 + 20):
            proc.kill()
            proc.join()
            return {"index": index, "argv": argv, "problem": "hangs"}
        code, cpu, mb = parent.recv()
        proc.join()
        err = (folder / ".stderr").read_text(errors="replace")
        after = {p.name for p in folder.iterdir()} - {".stdout", ".stderr", ".cache"}
        lines = [line for line in err.splitlines() if not line.startswith("lrplot: warning:")]
        problem = None
        if not isinstance(code, int) or code not in (0, 1, 2):
            problem = f"exit {code}"
        elif any("internal error" in line or "Traceback" in line for line in lines):
            problem = "internal error"
        elif code and len(lines) != 1 and not (argv[0] == "check" and code == 1 and not lines):
            problem = f"{len(lines)} lines"
        elif code and after - before:
            problem = f"wrote {sorted(after - before)} and failed"
        elif code and cpu > TIME_LIMIT:
            problem = f"failed after {cpu:.2f} s of CPU"
        elif code and mb > MEMORY_LIMIT:
            problem = f"failed after {mb:.0f} MB"
        elif "\x1b" in err:
            problem = "raw escape sequence on stderr"
        return {"index": index, "argv": argv, "code": code, "cpu": cpu, "mb": mb,
                "problem": problem,
                "stderr": err[-500:]}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/proc/self/status").exists(), reason="Linux only")
def test_structure_fuzz(forkserver):
    results = [run_case(forkserver, i) for i in range(CASES)]
    bad = [r for r in results if r["problem"]]
    done = [r for r in results if "cpu" in r]
    failures = [r for r in done if r["code"]]
    worst_cpu = max(done, key=lambda r: r["cpu"] if r["code"] else 0)
    worst_mb = max(done, key=lambda r: r["mb"] if r["code"] else 0)
    print(f"\nstructure fuzz: {len(results)} cases (seed {SEED}), {len(failures)} failed cleanly, "
          f"{len(done) - len(failures)} ran; worst failure: {worst_cpu['cpu']:.2f} s CPU (case {worst_cpu['index']}), "
          f"{worst_mb['mb']:.0f} MB above the start (case {worst_mb['index']})")
    assert not bad, "\n".join(f"case {r['index']} {r['argv']!r:.300}: {r['problem']}\n{r.get('stderr', '')}"
                              for r in bad[:5])
