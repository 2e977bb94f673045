"""A run resumed by its spec (``last_epoch``) is numbered as its trainer numbers it, everywhere.

The figure's x axis starts at the resume point; the summary table, the CSV/JSON export, ``check``,
``state``, ``resume`` and ``verify`` say the same step numbers. The reference is a real resumed
torch run: 10 updates, ``optimizer.state_dict()`` and ``scheduler.state_dict()`` saved (through
``torch.save``) and loaded into a fresh optimizer and scheduler, then the rest of the run, the lr
of every update recorded by ``optimizer.register_step_pre_hook`` under the trainer's global update
number."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as L

from lrplot.check import check_schedule
from lrplot.curves import to_csv_text, to_json_data
from lrplot.engine import simulate
from lrplot.figure import render
from lrplot.resume import check_resume, resume_curves
from lrplot.spec import parse_spec
from lrplot.state import plain, state_at
from lrplot.summary import summarize

DONE, TOTAL = 10, 30  # updates before the checkpoint, updates of the whole run


def resumed_torch_run(make, done=DONE, total=TOTAL):
    """{global update: lr it used} for updates done..total-1 of a run checkpointed after ``done``
    updates and resumed from the checkpoint, and the scheduler after each of those updates
    ({global update: state_dict after it was stepped})."""
    def fresh():
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
        return opt, make(opt)

    opt, sched = fresh()
    step = [0]
    for _ in range(done):
        opt.step()
        sched.step()
        step[0] += 1
    buf = io.BytesIO()
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "step": step[0]}, buf)
    buf.seek(0)
    checkpoint = torch.load(buf, weights_only=False)
    opt, sched = fresh()
    opt.load_state_dict(checkpoint["optimizer"])
    sched.load_state_dict(checkpoint["scheduler"])
    step = [checkpoint["step"]]
    lrs: dict[int, float] = {}
    opt.register_step_pre_hook(lambda o, args, kwargs: lrs.__setitem__(step[0], o.param_groups[0]["lr"]))
    states = {}
    while step[0] < total:
        opt.step()
        sched.step()
        step[0] += 1
        states[step[0]] = sched.state_dict()
    return lrs, states


def spec(scheduler, steps=TOTAL - DONE):
    return parse_spec(f"steps: {steps}\noptimizer: {{type: SGD, lr: 0.1, momentum: 0.9, initial_lr: 0.1}}\n"
                      f"scheduler: {scheduler}\n", "s.yaml")


MULTISTEP = "{type: MultiStepLR, milestones: [15, 25], gamma: 0.5, last_epoch: 9}"
LAMBDA = "1.0 if epoch < 15 else max(0.0, (20 - epoch) / 10)"
LAMBDA_SPEC = f"{{type: LambdaLR, lr_lambda: '{LAMBDA}', last_epoch: 9}}"


@pytest.fixture(scope="module")
def multistep():
    return resumed_torch_run(lambda o: L.MultiStepLR(o, [15, 25], gamma=0.5))


@pytest.fixture(scope="module")
def lambda_lr():
    return resumed_torch_run(lambda o: L.LambdaLR(o, lambda epoch: 1.0 if epoch < 15 else max(0.0, (20 - epoch) / 10)))


def test_the_export_and_the_figure_say_the_trainers_steps(multistep):
    lrs, _ = multistep
    curves = simulate(spec(MULTISTEP))
    rows = list(csv.DictReader(io.StringIO(to_csv_text(curves))))
    assert {int(r["step"]): float(r["value"]) for r in rows} == lrs
    assert [int(r["step"]) for r in rows] == list(range(DONE, TOTAL))
    field = to_json_data(curves)["schedules"]["s"]["groups"][0]["fields"]["lr"]
    assert dict(zip(field["steps"], field["values"])) == lrs
    assert [(r["step"], r["value"]) for r in curves.to_records()] == list(lrs.items())
    (line,) = [ln for ln in render(curves).axes[0].lines if ln.get_gid() == "series:s:0:lr"]
    assert dict(zip(line.get_xdata().tolist(), line.get_ydata().tolist())) == lrs


def test_the_summary_says_the_trainers_steps(multistep, cli, tmp_path):
    lrs, _ = multistep
    drops = [t for t in lrs if t - 1 in lrs and lrs[t] < lrs[t - 1]]
    (row,) = summarize(simulate(spec(MULTISTEP)))
    assert drops == [15, 25] and list(row.jumps) == drops
    assert row.peak_step == min(lrs, key=lambda t: (-lrs[t], t)) == DONE
    assert row.min_step == min(lrs, key=lambda t: (lrs[t], t)) == 25
    (tmp_path / "s.yaml").write_text(f"steps: 20\noptimizer: {{type: SGD, lr: 0.1, initial_lr: 0.1}}\n"
                                     f"scheduler: {MULTISTEP}\n")
    r = cli("plot", "s.yaml", "-o", "none")
    assert r.exit_code == 0
    assert r.stderr.splitlines()[-1].split() == ["s", "0", "lr", "0.1", "0.1", "(10)", "0.025", "0.025", "15,", "25"]


def test_check_says_the_trainers_steps(lambda_lr):
    lrs, _ = lambda_lr
    curves = simulate(spec(LAMBDA_SPEC))
    assert dict(zip(next(curves.series()).positions().tolist(), next(curves.series()).values.tolist())) == lrs
    zero = [t for t in lrs if lrs[t] == 0]
    jump = [t for t in lrs if t - 1 in lrs and abs(lrs[t] - lrs[t - 1]) > 0.2 * 0.1]
    assert zero == list(range(20, 30)) and jump == [15]
    findings = {f.rule: f for f in check_schedule(spec(LAMBDA_SPEC).schedule_list()[0])}
    assert (findings["nonpositive-lr"].step, findings["jump"].step) == (zero[0], jump[0])
    assert findings["nonpositive-lr"].message == ("'s' lr at step 20: lr is 0 at 10 step(s): 20, 21, 22, 23, 24 "
                                                  "(+5 more); those updates do nothing")
    assert findings["jump"].message == f"'s' lr at step 15: lr jumps from 0.1 to {lrs[15]:.6g} (-50% of its peak)"


def test_state_is_asked_and_answers_in_the_trainers_steps(multistep, cli, tmp_path):
    _, states = multistep
    schedule = spec(MULTISTEP).schedule_list()[0]
    for at in (DONE + 1, 17, TOTAL):
        state = state_at(schedule, at)
        assert (state["at"], state["scheduler_steps"]) == (at, at)
        # _step_count counts step() calls on this object: a scheduler built with last_epoch has made
        # fewer than one loaded from the checkpoint; everything it schedules with is the same
        own = {k: v for k, v in plain(states[at]).items() if k != "_step_count"}
        assert {k: v for k, v in state["scheduler_state"].items() if k != "_step_count"} == own
        assert own["last_epoch"] == at
    (tmp_path / "s.yaml").write_text(f"steps: 20\nscheduler: {MULTISTEP}\noptimizer: {{type: SGD, lr: 0.1, "
                                     f"initial_lr: 0.1}}\n")
    r = cli("state", "s.yaml", "--at", "3")
    assert r.exit_code == 2 and r.stderr == ("lrplot: --at 3: schedule 's' has 20 updates, numbered from 10 (it is "
                                             "resumed by its last_epoch); use a value between 10 and 30\n")


def test_resume_is_asked_and_answers_in_the_trainers_steps(cli, tmp_path):
    # LambdaLR resumed from the scheduler's state alone: the fresh optimizer still holds the lr its
    # scheduler set when it was built (that of update 10, the spec's first) for the first resumed
    # update, then the scheduler sets it again; torch's resumed run says what update 18 should use
    lrs, _ = resumed_torch_run(lambda o: L.LambdaLR(o, lambda epoch: 0.9 ** epoch))
    schedule = spec("{type: LambdaLR, lr_lambda: '0.9 ** epoch', last_epoch: 9}").schedule_list()[0]
    report = check_resume(schedule, [18], ["full", "scheduler-only"])
    full, only = report.results
    assert (full.at, full.status) == (18, "identical")
    assert (only.at, only.step, only.expected, only.got, only.differing) == (18, 18, lrs[18], lrs[DONE], 1)
    assert dict(zip(range(18, TOTAL), full.values[(0, "lr")].tolist())) == {t: lrs[t] for t in range(18, TOTAL)}
    drawn = resume_curves([report])
    resumed = drawn.schedules[1]
    (s,) = resumed.series()
    finite = np.isfinite(s.values)
    assert s.positions()[finite].tolist() == list(range(18, TOTAL))
    assert [e.step + resumed.first_update for e in resumed.events] == [18]
    ax = render(drawn).axes[0]
    drawn_at = {ln.get_gid(): np.asarray(ln.get_xdata())[np.isfinite(ln.get_ydata())].tolist()
                for ln in ax.lines if (ln.get_gid() or "").startswith("series:")}
    assert sorted(drawn_at.values()) == [list(range(DONE, TOTAL)), list(range(18, TOTAL))]
    (tmp_path / "s.yaml").write_text("steps: 20\noptimizer: {type: SGD, lr: 0.1, initial_lr: 0.1}\n"
                                     "scheduler: {type: LambdaLR, lr_lambda: '0.9 ** epoch', last_epoch: 9}\n")
    r = cli("resume", "s.yaml", "--at", "5")
    assert r.exit_code == 2 and r.stderr == ("lrplot: --at 5: schedule 's' has 20 updates, numbered 10 to 29 (it is "
                                             "resumed by its last_epoch); resume after an update between 11 and 29\n")
    data = json.loads(cli("resume", "s.yaml", "--at", "18", "--method", "scheduler-only", "--json").stdout)
    assert (data[0]["results"][0]["at"], data[0]["results"][0]["step"]) == (18, 18)


def test_verify_reads_the_resumed_runs_own_log(multistep, cli, tmp_path):
    lrs, _ = multistep
    (tmp_path / "s.yaml").write_text("steps: 20\noptimizer: {type: SGD, lr: 0.1, momentum: 0.9, initial_lr: 0.1}\n"
                                     f"scheduler: {MULTISTEP}\n")
    (tmp_path / "log.csv").write_text("step,lr\n" + "".join(f"{t},{v!r}\n" for t, v in lrs.items()))
    r = cli("verify", "s.yaml", "--log", "log.csv")
    assert r.exit_code == 0 and r.stdout == "lr: follows the plan (20 of 20 logged steps)\n"
    wrong = {**lrs, 16: lrs[14]}  # one value of the log is not what the run used
    (tmp_path / "log.csv").write_text("step,lr\n" + "".join(f"{t},{v!r}\n" for t, v in wrong.items()))
    r = cli("verify", "s.yaml", "--log", "log.csv", "--json")
    verdict = json.loads(r.stdout)["verdicts"][0]
    assert r.exit_code == 1
    assert verdict["first_divergence"] == {"step": 16, "update": 16, "logged": lrs[14], "planned": lrs[16]}
    assert verdict["diverging_steps"] == [[16, 16]]


def test_the_terminal_and_the_page_start_where_the_run_resumes(multistep):
    from lrplot.figure import RenderOptions
    from lrplot.views.html import decode, payload
    from lrplot.views.terminal import render_text

    lrs, _ = multistep
    curves = simulate(spec(MULTISTEP))
    data = payload(curves, RenderOptions())
    assert (data["x0"], data["n"]) == (DONE, TOTAL - DONE)
    assert dict(zip(range(DONE, TOTAL), decode(data["series"][0]["data"]).tolist())) == lrs
    axis = render_text(curves, RenderOptions(), width=60).splitlines()[-1].split()
    assert axis == [str(DONE), str(TOTAL - 1), "steps"]
    # a run resumed a billion updates in holds its 20 values, not a billion (the page was killed for memory)
    far = simulate(spec("{type: LambdaLR, lr_lambda: '0.5', last_epoch: 999999999}"))
    data = payload(far, RenderOptions())
    assert (data["x0"], data["n"], len(decode(data["series"][0]["data"]))) == (10**9, 20, 20)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_page_in_chromium_hovers_the_trainers_step(multistep, cli, tmp_path):
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium; CI installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra has it)")
    lrs, _ = multistep
    (tmp_path / "s.yaml").write_text("steps: 20\noptimizer: {type: SGD, lr: 0.1, momentum: 0.9, initial_lr: 0.1}\n"
                                     f"scheduler: {MULTISTEP}\n")
    assert cli("s.yaml", "-o", "plan.html", "-q").exit_code == 0
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            page.goto((tmp_path / "plan.html").as_uri())
            page.wait_for_function("window.lrplot && window.lrplot.ready", timeout=30000)
            xs, ys = page.evaluate("window.lrplot.plot.data")
            assert dict(zip(xs, ys)) == lrs
            x = page.evaluate("(() => { const u = window.lrplot.plot; const r = u.over.getBoundingClientRect();"
                              " return [r.left + u.valToPos(16, 'x'), r.top + r.height / 2]; })()")
            page.mouse.move(*x)
            assert page.text_content(".u-legend .u-series:nth-child(1) .u-value") == "step 16"
            assert float(page.text_content(".u-legend .u-series:nth-child(2) .u-value")) == lrs[16]
        finally:
            browser.close()


def test_a_value_too_big_to_draw_is_named_at_the_trainers_step(cli, tmp_path):
    (tmp_path / "s.yaml").write_text("steps: 20\noptimizer: {type: SGD, lr: 0.1, initial_lr: 0.1}\n"
                                     "scheduler: {type: LambdaLR, lr_lambda: '1.0 if epoch < 15 else 1e308', "
                                     "last_epoch: 9}\n")
    r = cli("s.yaml", "-o", "s.png")
    assert r.exit_code == 1
    assert r.stderr.startswith("lrplot: cannot draw 's' lr of group 0: it is 1e+307 at step 15, beyond the")
