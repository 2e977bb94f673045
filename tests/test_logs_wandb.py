"""W&B runs as the REAL wandb (0.31.0, offline) wrote them: ``run-<id>.wandb`` files of tiny CPU runs
(tests/data/wandb/regenerate.py): a plain loop calling ``wandb.log``, transformers' Trainer with its
WandbCallback, Lightning's WandbLogger with LearningRateMonitor; correct and broken on purpose.

Two truths: every value read, at the step lrplot puts it, is the lr that optimizer update used
(``used.json``, recorded by an optimizer step pre-hook); and each broken run gets its cause. The
values are also compared with what wandb's own record inspector prints (``wandb leet inspect``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.installed import require

require("wandb")

from lrplot.logs import load_log, log_info  # noqa: E402
from lrplot.verify import verify_files  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "wandb"
PLANS = {
    "plain": """
        steps: 30
        scheduler:
          type: LambdaLR
          lr_lambda: "min(1.0, (epoch + 1) / 5) * 0.97 ** epoch"
    """,
    "hf": """
        steps: 20
        optimizer: {type: AdamW, lr: 1e-3}
        scheduler: {type: "transformers:get_scheduler", name: cosine, num_warmup_steps: 3, num_training_steps: 20}
    """,
    "lightning": """
        steps: 24
        steps_per_epoch: 6
        optimizer: {type: SGD, lr: 0.1, momentum: 0.9}
        scheduler: {type: LinearLR, start_factor: 0.1, total_iters: 24}
    """,
}
# case -> (the step key the writer logs, logged step minus lrplot step, lr key)
WRITERS = {"plain": ("_step", 0, "lr"), "hf": ("train/global_step", 1, "train/learning_rate"),
           "lightning": ("trainer/global_step", 0, "lr-SGD")}
CASES = ["plain/ok", "plain/twice", "plain/epoch", "plain/resume", "hf/ok", "hf/twice", "hf/resume", "lightning/ok",
         "lightning/epoch", "lightning/twice", "lightning/resume"]
CAUSES = {"plain/twice": ("compressed", "k", 2), "plain/epoch": ("stretched", "k", 5),
          "plain/resume": ("restarted", "n", 12), "hf/twice": ("compressed", "k", 2),
          "hf/resume": ("restarted", "n", 8), "lightning/epoch": ("stretched", "k", 6),
          "lightning/twice": ("compressed", "k", 2), "lightning/resume": ("restarted", "n", 12)}


def used(case: str) -> np.ndarray:
    return np.array(json.loads((DATA / case / "used.json").read_text()))[:, 0]


def run_file(case: str) -> Path:
    return sorted((DATA / case).rglob("run-*.wandb"))[-1]


@pytest.fixture
def plan(tmp_path):
    def write(kind: str) -> Path:
        path = tmp_path / f"{kind}.yaml"
        path.write_text(textwrap.dedent(PLANS[kind]).lstrip())
        return path

    return write


@pytest.mark.parametrize("case", CASES)
def test_every_value_is_the_lr_its_update_used(case):
    step_key, offset, key = WRITERS[case.split("/")[0]]
    (trace,) = load_log(DATA / case).schedules
    info = trace.meta["log"]
    assert (info.format, info.dtype, info.step_offset, info.keys[(0, "lr")]) == ("wandb", "float64", offset, key)
    at, values = trace.at[(0, "lr")], trace.values[(0, "lr")]
    truth = used(case)
    # every update logged once, at its own step; LearningRateMonitor logs a per-epoch scheduler per epoch
    assert at.tolist() == (list(range(0, 24, 6)) if case == "lightning/epoch" else list(range(len(truth))))
    assert values.tolist() == truth[at].tolist()  # ==, no tolerance


@pytest.mark.parametrize("case", CASES)
def test_each_run_gets_its_verdict(case, plan):
    (v,) = verify_files(plan(case.split("/")[0]), DATA / case).verdicts
    if case not in CAUSES:
        assert v.ok, v.text()
        return
    kind, attr, value = CAUSES[case]
    assert not v.ok and v.cause.kind == kind and getattr(v.cause, attr) == value, v.text()


def test_the_wandb_folder_reads_every_run_and_log_run_chooses_one(cli, plan):
    report = verify_files(plan("plain"), DATA / "plain")
    assert [v.log for v in report.verdicts] == ["plain-epoch", "plain-ok", "plain-resume", "plain-twice"]
    assert report.verdicts[1].text() == "plain-ok · lr: follows the plan (30 of 30 logged steps)"
    r = cli("verify", plan("plain"), "--log", DATA / "plain", "--log-run", "plain-resume")
    assert r.exit_code == 1 and r.output.startswith("lr: diverges at step 12: logged 0.02, plan 0.0693842361 (12 of "
                                                    "30 logged steps agree); restarted at step n=12")
    r = cli("verify", plan("plain"), "--log", DATA / "plain", "--log-run", "plain-okk")
    assert r.exit_code == 1 and r.output == (f"{DATA / 'plain'}: --log-run plain-okk: no such W&B run here (4 runs: "
                                             "plain-epoch, plain-ok, plain-resume, plain-twice); did you mean "
                                             "'plain-ok'?\n")


def test_a_trainer_resumed_without_its_scheduler_into_the_same_run_is_one_run_restarted_at_its_checkpoint(cli, plan):
    """transformers' Trainer stopped after update 8, its checkpoint's ``scheduler.pt`` lost, resumed into the same
    W&B run (``WANDB_RUN_ID``, ``WANDB_RESUME=allow``): two folders, read on the Trainer's ``train/global_step``,
    which goes on in the second. Update 8 used the plan's first lr again (0: the warmup starts there)."""
    truth = used("hf/resume")
    assert truth[8:16].tolist() == truth[:8].tolist() == used("hf/ok")[:8].tolist()
    assert len(list((DATA / "hf" / "resume").rglob("run-*.wandb"))) == 2
    r = cli("verify", plan("hf"), "--log", DATA / "hf" / "resume", "--allow-import", "transformers", "-o", "none")
    assert (r.exit_code, r.output) == (1, (
        f"train/learning_rate: diverges at step 9: logged 0, plan {used('hf/ok')[8]:.9g} (8 of 20 logged steps agree); "
        "restarted at update n=8 (the log's step 9): from there the lr starts the plan over (a resume that rebuilt "
        "the scheduler without loading its state)\n"))


@pytest.mark.parametrize("case, line", [
    ("twice", "lr-SGD: diverges at step 1: logged 0.0175, plan 0.01375 (1 of 24 logged steps agree); compressed in "
              "time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, once per "
              "micro-batch with 2 accumulation steps, or an extra scheduler.step())"),
    # update 12 used the lr the optimizer's state restored (the plan's); the rebuilt LinearLR steps on from it
    ("resume", "lr-SGD: diverges at step 13: logged 0.075625, plan 0.05875 (13 of 24 logged steps agree); restarted "
               "at step n=12 from the lr it had there: the scheduler was built anew without its state and stepped on "
               "from the lr the optimizer's checkpoint restored (a resume that loaded the optimizer's state but not "
               "the scheduler's)"),
])
def test_lightnings_wandb_logger_of_a_broken_run_names_the_fault(cli, plan, case, line):
    """Lightning's WandbLogger and LearningRateMonitor: a second ``lr_schedulers().step()`` per batch, and a fit
    resumed (``ckpt_path``) from a checkpoint without the scheduler's state into the same W&B run (two folders,
    read on ``trainer/global_step``)."""
    assert len(list((DATA / "lightning" / case).rglob("run-*.wandb"))) == (2 if case == "resume" else 1)
    r = cli("verify", plan("lightning"), "--log", DATA / "lightning" / case, "-o", "none")
    assert (r.exit_code, r.output) == (1, line + "\n")


def test_a_run_resumed_into_a_second_folder_is_one_run():
    files = sorted((DATA / "plain" / "resume").rglob("run-*.wandb"))
    assert len(files) == 2 and files[0].name == files[1].name  # wandb offline: one folder per process
    (trace,) = load_log(DATA / "plain" / "resume").schedules
    assert trace.at[(0, "lr")].tolist() == list(range(30))


def _folders(case: str) -> list[str]:
    return sorted(p.name for p in (DATA / case / "wandb").iterdir())


def test_a_run_resumed_offline_is_placed_after_its_earlier_folder_as_wandb_resumes_online(cli, plan):
    """Resumed offline with ``resume="allow"``, wandb counts ``_step`` from 0 again: it writes no
    ``starting_step`` (online, the server's last ``_step`` + 1) and no ``resumed``, only the run record's
    ``resume`` (the process asked to resume). Joined as written, the second folder's 18 values overwrote the
    first's 12; read folder by folder, verify called the healthy run 'shifted by n=12 steps' (exit 1). Placed
    after the first folder's last _step, as wandb places a run resumed online, every value is the lr its
    update used (recorded by an optimizer step pre-hook), and verify says the run followed the plan."""
    first, second = _folders("resumed/offline")
    truth = used("resumed/offline")
    (trace,) = load_log(DATA / "resumed" / "offline").schedules
    assert trace.at[(0, "lr")].tolist() == list(range(30))
    assert trace.values[(0, "lr")].tolist() == truth.tolist()  # ==, no tolerance
    r = cli("verify", plan("plain"), "--log", DATA / "resumed" / "offline", "-o", "none")
    assert r.exit_code == 0 and r.output == (
        f"lr: follows the plan (30 of 30 logged steps); {second} resumed the run offline and counts _step from 0 "
        f"again: its steps placed after {first}'s last _step 11, as wandb places a run resumed online (its _step s "
        "is step s + 12 here)\n")


def test_a_resumed_folder_is_placed_after_the_earlier_ones_last_step_of_any_key_not_its_last_lr():
    """The lr logged at every 5th update only: the first folder's last lr is at _step 10, its last _step 11 (a
    loss); the second's lr at its _step 3, 8, 13. wandb resumes online from the last _step + 1 = 12, so do we:
    from the last lr + 1 every value would sit two updates early, and its first at step 3, above the first
    folder's 0, read as no restart at all."""
    first, second = _folders("resumed/sparse")
    truth = used("resumed/sparse")
    (trace,) = load_log(DATA / "resumed" / "sparse").schedules
    assert trace.at[(0, "lr")].tolist() == [0, 5, 10, 15, 20, 25]
    assert trace.values[(0, "lr")].tolist() == truth[::5].tolist()
    assert second in log_info(trace).placed and f"after {first}'s last _step 11" in log_info(trace).placed


def test_a_run_resumed_offline_with_a_rebuilt_scheduler_is_called_restarted_not_healthy(cli, plan):
    """The same resume with the scheduler rebuilt without its state: read folder by folder the second folder's
    lr (the plan from its start again) looked as if it followed the plan; placed, verify names the restart."""
    first, second = _folders("resumed/rebuilt")
    truth = used("resumed/rebuilt")
    (trace,) = load_log(DATA / "resumed" / "rebuilt").schedules
    assert trace.values[(0, "lr")].tolist() == truth.tolist()
    r = cli("verify", plan("plain"), "--log", DATA / "resumed" / "rebuilt", "-o", "none")
    assert r.exit_code == 1 and r.output == (
        # the plan's lr at update 12: what the healthy resumed run's update 12 used
        f"lr: diverges at step 12: logged {truth[12]:.9g}, plan {used('resumed/offline')[12]:.9g} (12 of 30 logged "
        "steps agree); restarted at step n=12: from there the lr starts the plan over (a resume that rebuilt the "
        f"scheduler without loading its state); {second} resumed the run offline and counts _step from 0 again: "
        f"its steps placed after {first}'s last _step 11, as wandb places a run resumed online (its _step s is step "
        "s + 12 here)\n")


def test_a_run_resumed_offline_without_resume_allow_is_verified_from_where_its_earlier_folder_ends(cli, plan):
    """``resume=True`` (wandb's "auto") writes no ``resume`` in the run record either: nothing records that the
    second folder continues the first, so each is read as a run of its own (a run started anew under the same
    id would be one). verify compares the later folder again from where the earlier one ends, the plan
    re-simulated by the real scheduler there, and says why it follows the plan, not 'shifted by n=12 steps'."""
    first, second = _folders("resumed/auto")
    truth = used("resumed/auto")
    traces = {t.name.split(" · ")[0]: t for t in load_log(DATA / "resumed" / "auto").schedules}
    assert list(traces) == [first, second]
    assert traces[first].values[(0, "lr")].tolist() == truth[:12].tolist()
    assert traces[second].at[(0, "lr")].tolist() == list(range(18))
    assert traces[second].values[(0, "lr")].tolist() == truth[12:].tolist()
    r = cli("verify", plan("plain"), "--log", DATA / "resumed" / "auto", "-o", "none")
    assert r.exit_code == 0 and r.output == (
        f"{first} · lr: follows the plan (12 of 12 logged steps); the log ends at step 11, the plan at step 29\n"
        f"{second} · lr: follows the plan (18 of 18 logged steps); a resumed run's later folder counts _step from 0 "
        "again (wandb resumed it offline, where it records no starting step): its steps start at update 12, where "
        f"{first} ends, and from there every logged value follows the plan\n")
    report = verify_files(plan("plain"), DATA / "resumed" / "auto")
    points = {t.name.split(" · ")[0]: t.at[(0, "lr")].tolist() for t in report.curves.schedules if t.style == "points"}
    assert points == {first: list(range(12)), second: list(range(12, 30))}  # drawn at the updates that used them
    from lrplot.figure.footnote import log_assumed

    assert log_assumed(report.curves) == [  # and said under the figure (it was not)
        f"assumed: 'logged {second}' is placed at update 12, where {first} ends: wandb offline counts a resumed run's "
        "_step from 0 again"]


def test_a_later_folder_that_starts_the_plan_over_without_resume_allow_says_what_it_would_mean(cli, plan):
    """``resume=True`` and the scheduler rebuilt without its state: the later folder's lr is the plan from its
    start again. Nothing records whether it resumed the earlier folder (a run started anew under the id follows
    the plan so), so it is not called faulty; the verdict says that, had it resumed, the lr started over at 12."""
    first, second = _folders("resumed/auto-rebuilt")
    truth = used("resumed/auto-rebuilt")
    assert truth[12:].tolist() == used("resumed/auto")[:18].tolist()  # the plan from its start again
    traces = {t.name.split(" · ")[0]: t for t in load_log(DATA / "resumed" / "auto-rebuilt").schedules}
    assert traces[second].values[(0, "lr")].tolist() == truth[12:].tolist()
    r = cli("verify", plan("plain"), "--log", DATA / "resumed" / "auto-rebuilt", "-o", "none")
    assert r.exit_code == 0 and r.output == (
        f"{first} · lr: follows the plan (12 of 12 logged steps); the log ends at step 11, the plan at step 29\n"
        f"{second} · lr: follows the plan (18 of 18 logged steps); its run record does not say it resumed {first} "
        f"(wandb offline records no starting step); had it, its lr started the plan over at update 12, where {first} "
        "ends: a resume that rebuilt the scheduler without its state; the log ends at step 17, the plan at step 29\n")


def _inspect(path: Path) -> tuple[list[dict], str]:
    """wandb's own reader of a .wandb file: ``wandb leet inspect --json`` (wandb-core)."""
    from wandb.util import get_core_path

    out = subprocess.run([get_core_path(), "leet", "inspect", "--no-observability", "--json", "--run-file",
                          str(path)], capture_output=True, text=True, timeout=120, check=True)
    records = [json.loads(line) for line in out.stdout.splitlines()]
    return [r["history"]["item"] for r in records if r["type"] == "history"], out.stderr


@pytest.mark.slow
@pytest.mark.parametrize("case", ["plain/ok", "hf/ok", "lightning/ok"])
def test_values_equal_what_wandbs_own_inspector_prints(case):
    step_key, offset, key = WRITERS[case.split("/")[0]]
    items, _ = _inspect(run_file(case))
    expected = [(int(i[step_key]) - offset, i[key]) for i in items if key in i and step_key in i]
    (trace,) = load_log(run_file(case)).schedules
    assert list(zip(trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist())) == expected


def _chunks(blob: bytes) -> list[int]:
    """The byte offset of every chunk of a .wandb file (a plain walk of the framing)."""
    import struct

    out, off = [], 7
    while off + 7 <= len(blob):
        if 32768 - off % 32768 < 7:
            off += 32768 - off % 32768
            continue
        length = struct.unpack_from("<H", blob, off + 4)[0]
        if length == 0 and blob[off + 6] == 0:
            break
        out.append(off)
        off += 7 + length
    return out


@pytest.mark.slow
def test_a_flipped_bit_is_one_located_line_and_a_cut_file_reads_what_was_written(tmp_path, cli, plan):
    blob = run_file("plain/ok").read_bytes()
    chunks = _chunks(blob)
    bad = tmp_path / "run-x.wandb"
    flipped = bytearray(blob)
    flipped[chunks[20] + 9] ^= 0x04  # inside chunk 20's data
    bad.write_bytes(bytes(flipped))
    r = cli("verify", plan("plain"), "--log", bad)
    assert r.exit_code == 1 and r.output == (f"{bad}: chunk at byte {chunks[20]}: its data fails its CRC check (the "
                                             "file is corrupt); the records before it can be seen with `wandb leet "
                                             "inspect`; pass --log-skip-corrupt to skip it (every verdict then names "
                                             "it)\n")
    # skipped: the rest of its 32 KiB block (the whole rest of this small file) and named by the verdict
    r = cli("verify", plan("plain"), "--log", bad, "--log-skip-corrupt")
    assert r.exit_code == 0 and r.output == (
        f"lr: follows the plan (5 of 5 logged steps); 1 corrupt record(s) of the log skipped (--log-skip-corrupt), "
        f"first: {bad}: chunk at byte {chunks[20]}: its data fails its CRC check (the file is corrupt); bytes "
        f"{chunks[20]}-{len(blob) - 1} skipped; the log ends at step 4, the plan at step 29\n")
    assert "checksum mismatch" in _inspect(bad)[1]  # wandb's own reader sees the same corruption
    cut = tmp_path / "run-y.wandb"
    cut.write_bytes(blob[:chunks[60] + 20])  # a run still writing (or killed): its last record cut short
    items, said = _inspect(cut)
    assert "incomplete" in said
    (trace,) = load_log(cut).schedules
    expected = [(int(i["_step"]), i["lr"]) for i in items if "lr" in i]
    assert 0 < len(expected) < 30
    assert list(zip(trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist())) == expected
    junk = tmp_path / "run-z.wandb"
    junk.write_bytes(b"not a run\n" * 10)
    r = cli("verify", plan("plain"), "--log", junk, "--log-format", "wandb")
    assert r.exit_code == 1 and r.output == (f"{junk}: not a W&B run file (it does not start with the ':W&B' header "
                                             "of wandb's transaction log); name a run-<id>.wandb file or its run "
                                             "folder\n")


def test_an_older_wandbs_history_jsonl(tmp_path, cli, plan):
    """wandb < 0.20 wrote files/wandb-history.jsonl, one JSON object per wandb.log call."""
    run = tmp_path / "wandb" / "run-20200101_000000-abc" / "files"
    run.mkdir(parents=True)
    truth = used("plain/ok")
    lines = [json.dumps({"_step": t, "_runtime": 0.1 * t, "lr": float(v), "loss": 1.0}) for t, v in enumerate(truth)]
    (run / "wandb-history.jsonl").write_text("\n".join(lines) + "\n")
    (trace,) = load_log(tmp_path).schedules
    assert trace.meta["log"].format == "wandb" and trace.values[(0, "lr")].tolist() == truth.tolist()
    r = cli("verify", plan("plain"), "--log", tmp_path)
    assert r.exit_code == 0 and r.output == "lr: follows the plan (30 of 30 logged steps)\n"
    lines[3] = lines[3][:-5]
    (run / "wandb-history.jsonl").write_text("\n".join(lines) + "\n")
    r = cli("verify", plan("plain"), "--log", tmp_path)
    assert r.exit_code == 1 and r.output.startswith(f"{run / 'wandb-history.jsonl'}:4:")
    assert r.output.count("\n") == 1 and "not valid JSON" in r.output
    r = cli("verify", plan("plain"), "--log", tmp_path, "--log-skip-corrupt")
    assert r.exit_code == 0 and r.output == (
        f"lr: follows the plan (29 of 29 logged steps); 1 corrupt record(s) of the log skipped (--log-skip-corrupt), "
        f"first: {run / 'wandb-history.jsonl'}:4:{len(lines[3]) + 1}: not valid JSON: Expecting value; line "
        "skipped\n")


def test_a_history_jsonls_last_line_still_being_written_is_not_read(tmp_path, cli, plan):
    """A live run's last wandb.log line, cut short without its line end: as a .wandb file's last record cut
    short, it ends the log quietly (it was an error, '--log-skip-corrupt' the only way on). Cut short inside,
    a line is still an error."""
    run = tmp_path / "wandb" / "run-20200101_000000-abc" / "files"
    run.mkdir(parents=True)
    truth = used("plain/ok")
    lines = [json.dumps({"_step": t, "_runtime": 0.1 * t, "lr": float(v)}) for t, v in enumerate(truth)]
    (run / "wandb-history.jsonl").write_text("\n".join(lines)[:-9])
    (trace,) = load_log(tmp_path).schedules
    assert trace.values[(0, "lr")].tolist() == truth[:29].tolist()
    r = cli("verify", plan("plain"), "--log", tmp_path)
    assert r.exit_code == 0 and r.output == "lr: follows the plan (29 of 29 logged steps)\n"


def test_a_copy_elsewhere_is_found_from_its_project_folder(tmp_path):
    shutil.copytree(DATA / "lightning" / "ok", tmp_path / "project")
    (trace,) = load_log(tmp_path / "project").schedules
    assert trace.values[(0, "lr")].tolist() == used("lightning/ok").tolist()


def test_run_files_beyond_the_limit_are_refused_before_they_are_read(cli, plan, monkeypatch):
    import lrplot.limits

    monkeypatch.setattr(lrplot.limits, "MAX_STORE_BYTES", 20_000)
    first = sorted((DATA / "plain").rglob("run-*.wandb"))[:2]
    assert first[0].stat().st_size < 20_000 < first[0].stat().st_size + first[1].stat().st_size
    r = cli("verify", plan("plain"), "--log", DATA / "plain")
    assert r.exit_code == 1 and r.output == (f"{first[1]}: the W&B run files of this log are more than 0.02 MB; a log "
                                             "is read with at most 0.02 MB of them; name one run folder or run file\n")


def test_a_live_runs_file_without_history_yet_says_so(tmp_path, cli, plan):
    """wandb-core writes a run's records in 32 KiB blocks: while the run goes on (or when it was killed), its
    file may hold only the ':W&B' header (7 bytes) or records before any history. Not 'no lr series; name it
    with --log-key', which --log-key cannot fix."""
    blob = run_file("plain/ok").read_bytes()
    header = tmp_path / "wandb" / "offline-run-20261207_000000-live" / "run-live.wandb"
    header.parent.mkdir(parents=True)
    header.write_bytes(blob[:7])
    r = cli("verify", plan("plain"), "--log", tmp_path / "wandb")
    assert r.exit_code == 1 and r.output == (f"{tmp_path / 'wandb'}: no history record in this W&B run file yet "
                                             "(wandb writes them in blocks as the run goes on, all of them when it "
                                             "finishes); read it again later\n"), r.output


def test_log_run_chooses_a_run_by_its_name_and_refuses_a_name_two_runs_share(cli, plan):
    """``wandb.init(name=...)``: the name the W&B page shows, in the run record (read by wandb's ``Record``
    class). Two runs named ``exp`` are refused with their ids; ``solo`` (its scheduler stepped twice per
    update) is chosen by name; a near miss is suggested among ids and names."""
    plan = plan("plain")
    folder = DATA / "named"
    r = cli("verify", plan, "--log", folder, "--log-run", "solo")
    assert r.exit_code == 1 and r.output.startswith("lr: diverges at step 1: "), r.output
    assert "compressed in time by k=2" in r.output
    (trace,) = load_log(folder, run="solo").schedules
    assert trace.values[(0, "lr")].tolist() == used("named/solo").tolist()
    r = cli("verify", plan, "--log", folder, "--log-run", "exp")
    assert r.exit_code == 1 and r.output == (f"{folder}: --log-run exp: 2 runs are named so (named-exp-ok, "
                                             "named-exp-twice); name the run by its id\n"), r.output
    r = cli("verify", plan, "--log", folder, "--log-run", "named-exp-ok")
    assert r.exit_code == 0 and r.output == "lr: follows the plan (30 of 30 logged steps)\n", r.output
    r = cli("verify", plan, "--log", folder, "--log-run", "sol")
    assert r.exit_code == 1 and r.output == (f"{folder}: --log-run sol: no such W&B run here (3 runs: named-exp-ok, "
                                             "named-exp-twice, named-solo); did you mean 'solo'?\n"), r.output
