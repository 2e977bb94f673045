"""Limits: no input file, expression or option can hang lrplot, exhaust its memory, leave a
partial output, or end in anything but one clear line with exit 1 or 2.

The real CLI runs in a child process (marked slow) where the point is the process: its exit code and
a full disk (``run``: a child forked from a server that imported lrplot once, tests/helpers/forked.py),
its peak memory (``run_cold``: the kernel's rusage of one fresh ``python -m lrplot``), signals. Nothing
is timed: "fast" means a bound on the memory the refusal holds (tests/helpers/bounds.py) plus a
deadline far above the normal time, so a hang fails and a busy machine passes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time  # sleep only: nothing here reads a clock

import pytest

from lrplot.errors import LrplotError, SpecError
from lrplot.expr import compile_expression
from lrplot.limits import MAX_YAML_EXPANDED_VALUES, MAX_YAML_VALUES
from lrplot.yamlio import load_yaml
from tests.helpers import forked
from tests.helpers.bounds import MB, interruptible, peak_memory
from tests.helpers.paths import ROOT

COSINE = "steps: 20\nscheduler: {type: CosineAnnealingLR, T_max: 20}\n"
PLATEAU = "steps: 5\nscheduler: {type: ReduceLROnPlateau, patience: 1}\nmetric: {csv: loss.csv}\n"


TIME = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)


def run(*args, cwd, timeout=60, stdout=subprocess.PIPE):
    """The real CLI in a forked child (tests/helpers/forked.py) -> (exit code, stdout, stderr, None): its
    memory is the server's too, so no peak. A child still running after ``timeout`` seconds fails the test."""
    try:
        done = forked.run(args, cwd=cwd, timeout=timeout, stdout=stdout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"lrplot {args} hangs")
    return done.returncode, done.stdout or b"", done.stderr.decode("utf-8", "replace"), None


def run_cold(*args, cwd, timeout=60, stdout=subprocess.PIPE, env=None):
    """The real CLI in a fresh child process -> (exit code, stdout, stderr, peak MB). The peak comes from
    GNU time (the rusage of a process forked from pytest would count pytest's pages). A child still
    running after ``timeout`` seconds (a hang guard, far above the normal few seconds) fails the test."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    command = [sys.executable, "-m", "lrplot", *map(str, args)]
    if TIME:
        command = [TIME, "-f", "%M", "-o", str(cwd / ".peak"), *command]
    with open(cwd / ".stderr", "w+b") as err:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=stdout, stderr=err)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"lrplot {args} hangs")
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    peak = int((cwd / ".peak").read_text().split()[-1]) / 1024 if TIME else 0.0
    return proc.returncode, out or b"", text, peak


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if not line.startswith("lrplot: warning:")]
    assert len(lines) == 1, stderr
    assert "internal error" not in lines[0] and "Traceback" not in lines[0], stderr
    return lines[0]


# --- YAML structure ---------------------------------------------------------------------------

def laughs(levels: int, fanout: int = 10) -> str:
    lines = ["a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fanout)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(60)  # a hang guard, far above the normal time
@pytest.mark.parametrize("levels", [4, 9, 40])
def test_alias_expansion_is_bounded(levels):
    with peak_memory() as peak, pytest.raises(SpecError, match=f"expands to more than {MAX_YAML_EXPANDED_VALUES} "
                                                                "values") as info:
        load_yaml(laughs(levels), "bomb.yaml")
    # refused after building MAX_YAML_EXPANDED_VALUES values, whatever the bomb: 10^41 values if it were expanded
    assert peak.bytes < 16 * MB
    assert info.value.location.line is not None


@pytest.mark.timeout(60)  # a hang guard, far above the normal time
def test_merge_key_expansion_is_bounded():
    lines = ["a0: &a0 {k0: 1, k1: 2}"] + [f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}]}}" for i in range(1, 40)]
    with peak_memory() as peak, pytest.raises(SpecError, match="merge keys"):
        load_yaml("\n".join(lines), "merges.yaml")
    assert peak.bytes < 16 * MB  # ~1 MB: 2^40 merged entries if they were expanded
    with pytest.raises(SpecError, match="refers to its own mapping"):
        load_yaml("x: &x {<<: *x}\n", "self.yaml")


def test_honest_anchors_and_merges_still_work():
    text = ("base: &b {type: StepLR, step_size: 2, gamma: 0.1}\n"
            "other: &o {gamma: 0.3, extra: 1}\n"
            "merged: {<<: [*o, *b], step_size: 3}\n"    # own key wins; the first merged source wins
            "twice: [*b, *b]\n")
    data, _ = load_yaml(text, "ok.yaml")
    assert data["merged"] == {"type": "StepLR", "step_size": 3, "gamma": 0.3, "extra": 1}
    assert data["twice"] == [data["base"], data["base"]]
    # the same through a real spec: a merged-and-overridden scheduler runs
    from lrplot.engine import simulate
    from lrplot.spec import parse_spec

    spec = parse_spec("steps: 6\noptimizer: {type: SGD, lr: 0.1}\n"
                      "schedules:\n  - {name: a, scheduler: &s {type: StepLR, step_size: 2, gamma: 0.5}}\n"
                      "  - {name: b, scheduler: {<<: *s, step_size: 3}}\n")
    curves = simulate(spec)
    a, b = (list(s.values[(0, "lr")]) for s in curves.schedules)
    assert a == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025] and b == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]


def test_duplicate_own_keys_are_still_refused():
    with pytest.raises(SpecError, match="duplicate key 'a'"):
        load_yaml("b: &b {a: 1}\nm: {<<: *b, a: 2, a: 3}\n", "dup.yaml")


@pytest.mark.parametrize("text", ["x: " + "[" * 5000 + "]" * 5000,
                                  "x: " + "{a: " * 3000 + "1" + "}" * 3000,
                                  "".join(" " * i + "a:\n" for i in range(3000)) + " " * 3000 + "b: 1\n"],
                         ids=["flow-list", "flow-map", "block"])
def test_deep_nesting_is_one_located_error(text):
    with pytest.raises(SpecError, match="nested too deeply") as info:
        load_yaml(text, "deep.yaml")
    assert info.value.location.line is not None


@pytest.mark.timeout(60)  # a hang guard, far above the normal time
def test_many_values_are_refused_while_composing():
    text = "x:\n" + "  - 1\n" * (MAX_YAML_VALUES * 10)
    with peak_memory() as peak, pytest.raises(SpecError, match=f"more than {MAX_YAML_VALUES} values"):
        load_yaml(text, "wide.yaml")
    # refused while composing (PyYAML holds ~1 kB per node): the 100000 nodes composed would be ~100 MB
    assert peak.bytes < 16 * MB


@pytest.mark.timeout(60)  # a hang guard, far above the normal time
@pytest.mark.parametrize("literal,problem", [("0x" + "f" * 100_000, "the integer has 100000 digits"),
                                             ("9" * 5000, "the integer has 5000 digits"),
                                             ("0o" + "7" * 30, "the integer has 30 digits"),
                                             ("18446744073709551616", "the integer is too large")],
                         ids=["hex", "decimal", "octal", "2**64"])
def test_huge_integers_are_refused_fast(literal, problem):
    with pytest.raises(SpecError, match="integer") as info:
        load_yaml(f"steps: {literal}\n", "int.yaml")
    # refused by its digit count, before int() converts it (which is quadratic in the digits)
    assert info.value.format().endswith(f"{problem}; integers are at most 64 bits")
    assert len(info.value.format()) < 300  # the literal is not echoed whole
    assert load_yaml("a: 0xf_f\nb: -9223372036854775808\nc: 007\n", "x")[0] == {
        "a": 255, "b": -9223372036854775808, "c": 7}


@pytest.mark.parametrize("text,what", [('t: "a\\0b"\n', "U+0000"), ('t: "\\e[31m"\n', "U+001B"),
                                       ('t: "\\ud800"\n', "lone surrogate U+D800"), ("t: a\x00b\n", "U+0000"),
                                       ("t: a\x1bb\n", "U+001B"), ('"k\\x07": 1\n', "U+0007")])
def test_control_characters_and_surrogates_are_refused(text, what):
    with pytest.raises(SpecError, match=re.escape(what)) as info:
        load_yaml(text, "ctl.yaml")
    assert info.value.location.line == 1
    assert load_yaml('t: "tab\\there\\nnewline é"\n', "ok")[0] == {"t": "tab\there\nnewline é"}


# --- expressions -------------------------------------------------------------------------------

@pytest.mark.timeout(60)  # a hang guard, far above the normal time
@pytest.mark.parametrize("text,at", [
    ("round(1, -10**8)", None), ("round(epoch, -epoch * 10**8)", 3), ("round(2.5, 10**9 * epoch)", 3),
])
def test_round_costs_nothing_whatever_its_digits(text, at):
    with peak_memory() as peak:
        fn = compile_expression(text, ("epoch",))
        value = fn(3)
    assert peak.bytes < 1 * MB  # round(1, -10**8) builds 10**(10**8) first: 40 MB and minutes
    # the same value Python gives for any |ndigits| beyond the clamp
    reference = {"round(1, -10**8)": 0, "round(epoch, -epoch * 10**8)": round(3, -5000),
                 "round(2.5, 10**9 * epoch)": 2.5}[text]
    assert value == reference and type(value) is type(reference)


@pytest.mark.timeout(60)  # a hang guard, far above the normal time
@pytest.mark.parametrize("text,col", [("10 ** (epoch * 10**8)", 1), ("1 + 3 ** 2000 * epoch * 3 ** 2000", 5),
                                      ("min(1, (epoch * 7) ** (epoch * 10**9))", 8)])
def test_huge_results_fail_fast_and_located(text, col):
    fn = compile_expression(text, ("epoch",))
    with peak_memory() as peak, pytest.raises(SpecError, match="too large") as info:
        fn(3)
    assert peak.bytes < 1 * MB  # refused before computing: 10 ** (3 * 10**8) alone is 125 MB
    assert info.value.location.col == col


# --- files -------------------------------------------------------------------------------------

@pytest.mark.slow  # the real CLI in a child process
def test_big_spec_is_refused_by_its_size_without_reading_it(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(100_000_000)  # sparse: 100 MB that take no disk
    code, _, err, mb = run_cold(big, "-o", "o.png", cwd=tmp_path)
    assert code == 1 and one_line(err) == f"{big}: the spec is 100 MB; a spec is at most 256 kB"
    assert mb < 300


def test_long_scalar_within_the_size_limit_works(tmp_path, write_spec):
    from lrplot.sources import load_input

    spec = load_input(write_spec(COSINE + "title: " + "x" * 200_000 + "\n")).spec
    assert len(spec.title) == 200_000


@pytest.mark.slow  # the real CLI in a child process
@pytest.mark.parametrize("kind", ["fifo", "device", "loop", "directory"])
@pytest.mark.parametrize("role", ["spec", "metric CSV"])
def test_file_kinds_fail_fast(tmp_path, kind, role):
    target = tmp_path / ("spec.yaml" if role == "spec" else "loss.csv")
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        target.symlink_to("/dev/zero")
    elif kind == "loop":
        target.symlink_to(tmp_path / "other")
        (tmp_path / "other").symlink_to(target)
    else:
        target.mkdir()
    if role == "metric CSV":
        (tmp_path / "spec.yaml").write_text(PLATEAU)
    code, _, err, mb = run_cold("spec.yaml", "-o", "out.png", "-q", cwd=tmp_path)
    line = one_line(err)
    assert code == 1, err
    expected = {"fifo": "the pipe gave no data for 1.5 s",  # a FIFO nobody writes: waited for, a bounded time
                "device": f"is a device, not a {role} file", "loop": "Too many levels of symbolic links",
                "directory": "is a directory"}[kind]
    assert expected in line and line.startswith(target.name), line
    assert mb < 400  # and it ended: run_cold() fails a child still running after its timeout
    assert not (tmp_path / "out.png").exists()


@pytest.mark.slow  # the real CLI in a child process
def test_pipe_with_a_writer_is_read(tmp_path):
    os.mkfifo(tmp_path / "loss.csv")
    (tmp_path / "spec.yaml").write_text(PLATEAU)
    writer = subprocess.Popen(["sh", "-c", "sleep 0.3; printf 'step,loss\\n0,1\\n1,1\\n2,1\\n3,1\\n4,1\\n' > loss.csv"],
                              cwd=tmp_path)
    code, _, err, _ = run("spec.yaml", "-o", "out.png", "-q", "--no-cache", cwd=tmp_path)
    writer.wait()
    assert code == 0, err


def test_huge_csv_field_is_one_line(tmp_path, cli):  # the CLI in this process: no memory or signal to see
    (tmp_path / "loss.csv").write_text('step,loss\n0,"' + "x" * 200_000 + '"\n')
    (tmp_path / "spec.yaml").write_text(PLATEAU)
    r = cli("spec.yaml", "-o", "out.png")
    code, err = r.exit_code, r.stderr
    assert code == 1 and "loss.csv:2: not a valid CSV file: field larger than field limit" in one_line(err)


def test_big_metric_csv_is_refused(tmp_path, cli):  # the CLI in this process: no memory or signal to see
    with open(tmp_path / "loss.csv", "wb") as fh:
        fh.truncate(50_000_000)
    (tmp_path / "spec.yaml").write_text(PLATEAU)
    r = cli("spec.yaml", "-o", "out.png")
    code, err = r.exit_code, r.stderr
    assert code == 1 and "the metric CSV is 50 MB; a metric CSV is at most 16 MB" in one_line(err)


# --- section 3: one clear line through the real CLI ---------------------------------------------

@pytest.mark.slow  # the real CLI in a child process
def test_output_symlink_loop(tmp_path):
    (tmp_path / "spec.yaml").write_text(COSINE)
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    code, _, err, _ = run("spec.yaml", "-o", "a.png", cwd=tmp_path)
    assert code == 1 and one_line(err) == "lrplot: a.png: is a symbolic link loop; remove the link or choose another name"


@pytest.mark.slow  # the real CLI in a child process
def test_control_characters_in_set_and_title(tmp_path):
    (tmp_path / "spec.yaml").write_text(COSINE)
    code, _, err, _ = run("spec.yaml", "--set", "title=a\x1b[2Jb", "-o", "o.png", cwd=tmp_path)
    assert code == 1 and "U+001B" in one_line(err) and "\x1b" not in err
    code, _, err, _ = run("spec.yaml", "--set", 'title="\\ud800"', "-o", "o.png", cwd=tmp_path)
    assert code == 1 and "lone surrogate U+D800" in one_line(err)
    code, _, err, _ = run("spec.yaml", "--title", b"bad \xff byte".decode("utf-8", "surrogateescape"),
                             "-o", "o.png", cwd=tmp_path)
    assert code == 2 and "--title contains a lone surrogate" in one_line(err)
    code, _, err, _ = run("spec.yaml", "--title", "x\x07", "-o", "o.png", cwd=tmp_path)
    assert code == 2 and one_line(err) == "lrplot: --title contains the control character U+0007; remove it"
    assert not (tmp_path / "o.png").exists()


@pytest.mark.slow  # the real CLI in a child process
def test_escape_sequences_in_names_never_reach_the_terminal(tmp_path):
    name = "evil\x1b]0;pwned\x07\x1b[31m"
    (tmp_path / f"{name}.yaml").write_text(COSINE)
    code, out, err, _ = run(f"{name}.yaml", "-o", f"{name}.png", cwd=tmp_path)
    assert code == 0, err
    assert "\x1b" not in err and "\x07" not in err and b"\x1b" not in out
    assert "evil\\x1b]0;pwned\\x07\\x1b[31m" in err  # the summary table shows the name, escaped
    code, out, err, _ = run("check", f"{name}.yaml", "--set", "scheduler.T_max=2", cwd=tmp_path)
    assert b"\x1b" not in out and "\x1b" not in err
    code, _, err, _ = run(f"{name}.yaml", "-o", "x.txt", cwd=tmp_path)
    assert code == 2 and "\x1b" not in err


def test_lr_near_the_float_limit(tmp_path, cli):  # the CLI in this process: no memory or signal to see
    (tmp_path / "spec.yaml").write_text("steps: 5\noptimizer: {type: SGD, lr: 1e308}\n"
                                        "scheduler: {type: StepLR, step_size: 2, gamma: 1.7}\n")
    r = cli("spec.yaml", "-o", "o.png", "--data", "o.csv")
    code, err = r.exit_code, r.stderr
    assert code == 1
    assert one_line(err).startswith("lrplot: cannot draw 'spec' lr of group 0: it is 1e+308 at step 0")
    assert not (tmp_path / "o.png").exists() and not (tmp_path / "o.csv").exists()


@pytest.mark.slow  # the real CLI in a child process
def test_pixel_count_is_bounded_before_any_work(tmp_path):
    (tmp_path / "spec.yaml").write_text(COSINE)
    code, _, err, mb = run_cold("spec.yaml", "--size", "100x100", "--dpi", "1200", "-o", "o.png", cwd=tmp_path)
    assert code == 2 and "makes a 120000x120000 pixel figure (14400 megapixels); a figure is at most 64" in one_line(err)
    assert mb < 300
    code, _, err, _ = run("spec.yaml", "--size", "100x100", "--dpi", "1200", "-o", "o.svg", "-q", cwd=tmp_path)
    assert code == 2 and "120000x120000 pixel" in one_line(err)  # labels are placed on a canvas of that size


@pytest.mark.parametrize("size", ["0.01x0.01", "0.5x4", "101x2"])
def test_figure_size_out_of_range_is_a_usage_error(tmp_path, cli, size):
    (tmp_path / "spec.yaml").write_text(COSINE)
    result = cli("spec.yaml", "--size", size, "--dpi", "20", "-o", "o.png")  # 0.01 in: "cannot write empty image"
    assert result.exit_code == 2
    assert result.stderr.strip() == f"lrplot: size '{size}': expected WIDTHxHEIGHT in inches, each 1 to 100, e.g. 8x4.5"
    assert not (tmp_path / "o.png").exists()


@pytest.mark.slow  # the real CLI in a child process
@pytest.mark.parametrize("args", [["spec.yaml", "-o", "-", "-q"], ["schema"], ["state", "spec.yaml", "--at", "0", "--json"],
                                  ["check", "spec.yaml"], ["check", "spec.yaml", "--json"], ["--help"],
                                  ["--version"], ["check", "--help"]])
def test_full_disk_on_standard_output(tmp_path, args):
    (tmp_path / "spec.yaml").write_text(COSINE)
    with open("/dev/full", "wb") as full:
        code, _, err, _ = run(*args, cwd=tmp_path, stdout=full)
    assert code == 1 and one_line(err) == "lrplot: cannot write to standard output: No space left on device"


# --- all or nothing, always interruptible -------------------------------------------------------

def test_failure_while_drawing_writes_no_data_file(tmp_path, cli):
    (tmp_path / "spec.yaml").write_text("steps: 5\noptimizer: {type: SGD, lr: 1e308}\n"
                                        "scheduler: {type: StepLR, step_size: 2, gamma: 1.7}\n")
    result = cli("spec.yaml", "-o", "a.png", "--data", "a.csv")
    assert result.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


def test_staged_outputs_are_removed_on_interrupt(tmp_path):
    from lrplot.output import Staged

    (tmp_path / "keep.csv").write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with Staged() as staged:
            staged.add(tmp_path / "keep.csv", lambda fh: fh.write(b"new"))
            staged.add(tmp_path / "b.png", lambda fh: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]
    assert (tmp_path / "keep.csv").read_text() == "old"


def _wait_until(proc: subprocess.Popen, ready, what: str, polls: int = 1200) -> None:
    """Until ``ready(pid)`` holds for the running child, instead of a guessed sleep; at most ``polls``
    looks 50 ms apart (a hang guard)."""
    for _ in range(polls):
        if proc.poll() is None and ready(proc.pid):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"the child never {what}")


def _catches(sig: int):
    def ready(pid: int) -> bool:  # Linux: the SigCgt mask of /proc/PID/status
        with open(f"/proc/{pid}/status") as f:
            return bool(int(next((ln.split()[1] for ln in f if ln.startswith("SigCgt:")), "0"), 16) >> (sig - 1) & 1)
    return ready


def _torch_loaded(pid: int) -> bool:  # past its imports: torch's library is mapped
    with open(f"/proc/{pid}/maps") as f:
        return any("libtorch_cpu" in line for line in f)


@pytest.mark.slow
@pytest.mark.parametrize("sig,code,word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_signal_during_a_run_leaves_nothing(tmp_path, sig, code, word):
    (tmp_path / "spec.yaml").write_text("steps: 20000000\nscheduler: {type: CosineAnnealingLR, T_max: 20000000}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "lrplot", "spec.yaml", "-o", "o.png", "--data", "o.csv",
                             "--no-cache"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            preexec_fn=interruptible)
    try:
        _wait_until(proc, _catches(signal.SIGTERM), "set its SIGTERM handler")  # the first thing main does
        _wait_until(proc, _torch_loaded, "imported torch")  # into the run: 20 million steps take minutes
        assert proc.poll() is None, "the run ended before the signal"
        proc.send_signal(sig)
        # the signal ends the run (its exit code says so): finishing the 20 million steps would take minutes
        _, err = proc.communicate(timeout=60)
    finally:  # a failure above leaves no child running the 20 million steps (a minute of CPU) beside the suite
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code and err.decode().strip().splitlines() == [f"lrplot: {word}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


@pytest.mark.timeout(120)  # a hang guard, far above the normal time
def test_huge_title_renders_fast(tmp_path, cli, monkeypatch):
    from matplotlib.text import Text

    from lrplot.limits import MAX_TEXT_CHARS

    (tmp_path / "spec.yaml").write_text(COSINE)
    longest = []
    set_text = Text.set_text
    monkeypatch.setattr(Text, "set_text", lambda self, s: (longest.append(len(str(s))), set_text(self, s))[1])
    result = cli("spec.yaml", "-o", "a.svg", "-q", "--title", "W" * 1_000_000)
    assert result.exit_code == 0
    assert max(longest) <= MAX_TEXT_CHARS + 5  # cut before matplotlib lays anything out (wrapping adds newlines)
    svg = (tmp_path / "a.svg").read_text()
    assert MAX_TEXT_CHARS // 2 < svg.count("W") <= MAX_TEXT_CHARS + 5  # cut (then wrapped); "W3C" in the header


def test_lrplot_error_lines_are_escaped():
    from lrplot.text import printable

    err = LrplotError("bad \x1b[31m name\n", hint="x\udcff")
    assert printable(err.format()) == "bad \\x1b[31m name\\n; x\\udcff"


def test_nul_in_a_set_value_is_one_line(tmp_path, cli):
    (tmp_path / "spec.yaml").write_text(COSINE)
    result = cli("spec.yaml", "--set", "title=a\0b", "-o", "o.png")  # argv cannot hold NUL; the API can
    assert result.exit_code == 1
    assert result.stderr.strip() == ("--set title: cannot read the value: not valid YAML: the character U+0000 "
                                     "is not allowed")
