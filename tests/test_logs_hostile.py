"""Hostile training logs: corrupt TensorBoard records, pipes and devices, huge declared tensors,
steps and values at the edges, folders that would walk the disk, too many series: each one
located line, never a hang, a traceback or a silently wrong verdict."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

COS = "steps: 50\nscheduler: {type: CosineAnnealingLR, T_max: 50}\n"


def cosine(t: int) -> float:
    import numpy as np
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)
    values = []
    for _ in range(t + 1):
        values.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return float(np.float32(values[t]))


def _record(data: bytes) -> bytes:
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", masked_crc32c(head)) + data + struct.pack("<I", masked_crc32c(data))


def _events(scalars: list[tuple[int, float]], tag: str = "lr") -> list[bytes]:
    from tensorboard.compat.proto import event_pb2, summary_pb2

    out = [event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString()]
    for step, value in scalars:
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
        out.append(event_pb2.Event(wall_time=1.0, step=step, summary=summary).SerializeToString())
    return out


def write_events(path: Path, records: list[bytes]) -> list[int]:
    """Write framed records; returns each record's byte offset."""
    offsets, blob = [], b""
    for data in records:
        offsets.append(len(blob))
        blob += _record(data)
    path.write_bytes(blob)
    return offsets


@pytest.fixture
def tb(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cos.yaml").write_text(COS)
    run = tmp_path / "run"
    run.mkdir()
    # a log that follows the plan for 20 steps, then leaves it (the lr frozen)
    values = [(t, cosine(t)) for t in range(20)] + [(t, cosine(19)) for t in range(20, 50)]
    offsets = write_events(run / "events.out.tfevents.1.host", _events(values))
    return tmp_path, run / "events.out.tfevents.1.host", offsets


def _flip(path: Path, at: int) -> None:
    blob = bytearray(path.read_bytes())
    blob[at] ^= 0x01
    path.write_bytes(bytes(blob))


def test_a_flipped_bit_in_a_record_is_a_located_error_not_a_truncated_log(tb, cli):
    folder, events, offsets = tb
    # record 21 holds step 20, the first diverging value: TensorBoard's loader stopped there and
    # the verdict read "follows the plan"
    _flip(events, offsets[21] + 14)
    r = cli("verify", "cos.yaml", "--log", "run")
    assert r.exit_code == 1, r.output
    assert r.output == (f"{events.relative_to(folder)}: record 21 at byte {offsets[21]}: its data fails its CRC "
                        "check (the file is corrupt); pass --log-skip-corrupt to skip it (every verdict then "
                        "names it)\n")


def test_a_flipped_bit_in_a_length_is_located_too(tb, cli):
    folder, events, offsets = tb
    _flip(events, offsets[30] + 2)
    r = cli("verify", "cos.yaml", "--log", str(events))
    assert r.exit_code == 1
    assert r.output.splitlines() == [f"{events}: record 30 at byte {offsets[30]}: its length fails its CRC check "
                                     "(the file is corrupt); pass --log-skip-corrupt to read the records before "
                                     "it (every verdict then names what was skipped)"]


def test_skipping_corrupt_records_is_the_users_choice_and_the_verdict_names_them(tb, cli):
    folder, events, offsets = tb
    _flip(events, offsets[21] + 14)
    r = cli("verify", "cos.yaml", "--log", "run", "--log-skip-corrupt")
    assert r.exit_code == 1, r.output  # the rest of the log still diverges: not hidden by the skip
    (line,) = r.output.splitlines()
    assert line.startswith("lr: diverges at step 21: logged ")
    assert line.endswith(f"; 1 corrupt record(s) of the log skipped (--log-skip-corrupt), first: "
                         f"{events.relative_to(folder)}: record 21 at byte {offsets[21]}: its data fails its CRC "
                         "check (the file is corrupt); skipped")


def test_a_cut_short_last_record_ends_the_file_as_tensorboard_does(tb, cli):
    folder, events, offsets = tb
    blob = events.read_bytes()
    events.write_bytes(blob[:offsets[21]] + blob[offsets[21]:offsets[22]][:-3])  # a run still writing
    r = cli("verify", "cos.yaml", "--log", "run")
    assert r.exit_code == 0 and r.output == "lr: follows the plan (20 of 20 logged steps); the log ends at step " \
                                            "19, the plan at step 49\n", r.output


def test_a_tensor_declaring_a_huge_shape_is_never_expanded(tmp_path, cli):
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

    (tmp_path / "cos.yaml").write_text(COS)
    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=30_000),
                                                   tensor_shape_pb2.TensorShapeProto.Dim(size=30_000)])
    huge = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=shape, float_val=[0.1])  # 3.6 GB if expanded
    scalar = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[0.1])
    records = _events([]) + [
        event_pb2.Event(step=s, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, tensor=t)]))
        .SerializeToString() for s, tag, t in [(0, "weights", huge), (0, "lr", scalar), (1, "lr", scalar)]]
    write_events(tmp_path / "events.out.tfevents.2.host", records)
    r = cli("verify", "cos.yaml", "--log", "events.out.tfevents.2.host")
    assert r.exit_code == 1 and r.output.startswith("lr: diverges at step 1: logged 0.100000001, plan "), r.output


@pytest.mark.parametrize("make, kind", [
    (lambda p: os.mkfifo(p), "a pipe"),
    (lambda p: os.symlink("/dev/zero", p), "a device"),
])
@pytest.mark.parametrize("name", ["log.csv", "events.out.tfevents.1", "trainer_state.json"])
def test_pipes_and_devices_are_refused_before_they_are_opened(tmp_path, cli, make, kind, name):
    (tmp_path / "cos.yaml").write_text(COS)
    make(tmp_path / name)
    r = cli("verify", "cos.yaml", "--log", name)
    assert r.exit_code == 1
    assert r.output == f"{name}: is {kind}, not a training log file; save the log to a file and name that\n"


def test_a_log_folder_never_walks_the_disk(tmp_path, cli):
    from lrplot.limits import MAX_LOG_WALK

    (tmp_path / "cos.yaml").write_text(COS)
    big = tmp_path / "big"
    one = tmp_path / "one"
    one.touch()
    for i in range(MAX_LOG_WALK // 100 + 1):
        (big / f"d{i}").mkdir(parents=True)
        for j in range(100):
            os.link(one, big / f"d{i}" / f"f{j}")  # a name for the same file: no new file to allocate each time
    r = cli("verify", "cos.yaml", "--log", "big")
    assert r.exit_code == 1
    assert r.output == ("big: more than 20,000 files and folders to look through for a log; name the run folder "
                        "or the log file\n")


@pytest.mark.parametrize("rows, line", [
    ("0,0.1\n1e300,0.1\n", "log.csv:3: step 1e+300 is beyond any run's length (at most 2**53)"),
    ("0,0.1\n" + "1" + "0" * 30 + ",0.1\n", "log.csv:3: step 1e+30 is beyond any run's length (at most 2**53)"),
    ("0,0.1\ninf,0.1\n", "log.csv:3: step inf is not a whole number"),
    ("0,0.1\nnan,0.1\n", "log.csv:3: step nan is not a whole number"),
    ("0,0.1\n-5,0.1\n", "log.csv:3: step -5 is negative; a log's steps count updates from 0"),
    ("0,0.1\n1.5,0.1\n", "log.csv:3: step 1.5 is not a whole number"),
])
def test_steps_at_the_edges_are_refused_with_their_line(tmp_path, cli, rows, line):
    (tmp_path / "cos.yaml").write_text(COS)
    (tmp_path / "log.csv").write_text("step,lr\n" + rows)
    r = cli("verify", "cos.yaml", "--log", "log.csv")
    assert r.exit_code == 1 and r.output == line + "\n", r.output


@pytest.mark.parametrize("name, text, line", [
    ("log.csv", "step,lr\n", "log.csv: the learning-rate series 'lr' of this csv log holds no logged value; verify it "
                              "once the run has logged its lr"),
    ("metrics.csv", "step,lr-AdamW,loss\n", "metrics.csv: the learning-rate series 'lr-AdamW' of this lightning-csv "
                                             "log holds no logged value; verify it once the run has logged its lr"),
    ("log.csv", "step,loss\n0,1.5\n", "log.csv: no learning-rate series in this csv log; found: loss; name the lr tag "
                                       "or column with --log-key"),
])
def test_a_log_whose_lr_holds_no_value_says_so(tmp_path, cli, name, text, line):
    # a header alone said "no learning-rate series ...; found: lr; name the lr tag or column with --log-key"
    (tmp_path / "cos.yaml").write_text(COS)
    (tmp_path / name).write_text(text)
    r = cli("verify", "cos.yaml", "--log", name)
    assert r.exit_code == 1 and r.output == line + "\n", r.output


@pytest.mark.parametrize("value", ["1e300", "1.7976931348623157e308", "inf", "-inf", "nan", "1e-320"])
def test_values_at_the_edges_are_compared_not_crashed_on(tmp_path, cli, value):
    """Float max is what MLflow stores for an inf (its sqlite store): dividing it by the plan overflows, and
    numpy's warning must not reach the user."""
    (tmp_path / "cos.yaml").write_text(COS)
    (tmp_path / "log.csv").write_text(f"step,lr\n0,0.1\n1,{value}\n")
    drawn = not 1e300 < abs(float(value)) < float("inf")  # beyond, no figure draws it (figure.series.check_curves): said after the verdict
    r = cli("verify", "cos.yaml", "--log", "log.csv", "-o", "v.png")
    assert r.exit_code == 1, r.output
    first, *rest = r.output.splitlines()
    assert first.startswith(f"lr: diverges at step 1: logged {float(value):.9g}, plan ") and rest == (["v.png"] if drawn else [
        "lrplot: cannot draw the logged 'lr' lr of group 0: it is 1.798e+308 at step 1, beyond the 1e+300 a figure can "
        "show; the log holds it; leave out the figure (-o)"]), r.output
    if not drawn:
        return
    assert (tmp_path / "v.png").stat().st_size > 0


def test_hf_steps_and_nesting_at_the_edges(tmp_path, cli):
    (tmp_path / "cos.yaml").write_text(COS)
    (tmp_path / "a.json").write_text('{"log_history": [{"step": ' + "1" + "0" * 30 + ', "learning_rate": 0.1}]}')
    r = cli("verify", "cos.yaml", "--log", "a.json")
    assert r.exit_code == 1
    assert r.output == ("a.json: log_history[0].step 10000000000000000000... (31 digits) is beyond any run's length "
                        "(at most 2**53)\n")
    (tmp_path / "b.json").write_text('{"log_history": [' + "[" * 100_000 + "]" * 100_000 + "]}")
    r = cli("verify", "cos.yaml", "--log", "b.json")
    assert r.exit_code == 1 and r.output == "b.json: not a trainer_state.json: nested too deeply\n", r.output
    (tmp_path / "c.json").write_text('{"log_history": [{"step": 1, "learning_rate": 1' + "0" * 400 + '}]}')
    r = cli("verify", "cos.yaml", "--log", "c.json")
    assert r.exit_code == 1
    assert r.output == "c.json: log_history[0].learning_rate: 10000000000000000000... is beyond any float\n"


def test_a_csv_log_with_a_bom_is_read(tmp_path, cli):
    (tmp_path / "cos.yaml").write_text(COS)
    (tmp_path / "log.csv").write_bytes("\ufeffstep,lr\n0,0.1\n".encode("utf-8"))
    r = cli("verify", "cos.yaml", "--log", "log.csv")
    assert r.exit_code == 0 and r.output.startswith("lr: follows the plan (1 of 1 logged steps)"), r.output


def test_too_many_groups_and_too_big_logs_are_refused(tmp_path, cli, monkeypatch):
    (tmp_path / "cos.yaml").write_text(COS)
    (tmp_path / "g.csv").write_text("step,group,lr\n" + "".join(f"0,g{i},0.1\n" for i in range(1001)))
    r = cli("verify", "cos.yaml", "--log", "g.csv")
    assert r.exit_code == 1
    assert r.output == ("g.csv: 1,001 learning-rate series (tags, columns or groups); a log is read with at most "
                        "1,000; name one with --log-key\n")
    import lrplot.limits

    monkeypatch.setattr(lrplot.limits, "MAX_LOG_BYTES", 1000)
    (tmp_path / "big.csv").write_text("step,lr\n" + "".join(f"{i},0.1\n" for i in range(200)))
    r = cli("verify", "cos.yaml", "--log", "big.csv")
    assert r.exit_code == 1
    assert r.output == "big.csv: the training log is 1.5 kB; a training log is at most 1 kB\n"


@pytest.mark.slow
def test_verify_never_re_simulates_past_what_a_cause_could_need(tmp_path):
    """A log step of 19,999,990 against a 50-step plan ran the plan on to 20M steps, over and over
    (minutes, 1.5 GB): the hypotheses are bounded by the plan's length."""
    from tests.helpers import forked

    (tmp_path / "cos.yaml").write_text(COS)
    (tmp_path / "far.csv").write_text("step,lr\n0,0.1\n5,0.2\n19999990,0.1\n")
    r = forked.run(["verify", "cos.yaml", "--log", "far.csv"], cwd=tmp_path, text=True, timeout=60)  # python -m lrplot
    assert r.returncode == 1 and r.stderr == ""
    assert r.stdout == ("lr: diverges at step 5: logged 0.2, plan 0.0975528258 (1 of 3 logged steps agree); no "
                        "single cause explains every logged value\n")


def test_values_nine_digits_print_alike_are_shown_whole(tmp_path, cli):
    """torch's LinearLR starts at 0.1 * 0.1 = 0.010000000000000002; a log holding 0.01 differs from it only past
    nine digits, and the verdict shows every digit of both instead of 'logged 0.01, plan 0.01'."""
    (tmp_path / "warm.yaml").write_text("steps: 2\noptimizer: {type: SGD, lr: 0.1}\n"
                                        "scheduler: {type: LinearLR, start_factor: 0.1, total_iters: 2}\n")
    (tmp_path / "log.csv").write_text("step,lr\n0,0.01\n")
    r = cli("verify", "warm.yaml", "--log", "log.csv")
    assert r.exit_code == 1 and r.output == (
        "lr: diverges at step 0: logged 0.01, plan 0.010000000000000002 (0 of 1 logged steps agree); no single cause "
        "explains every logged value\n"), r.output


def test_a_trainer_state_cut_short_says_so_and_how_to_go_on(tmp_path, cli):
    """The Trainer writes trainer_state.json whole at each save (json.dumps, indent 2): read while the save is
    written (or copied half), it ends inside its JSON. The line says so, where json stopped, and what to do."""
    import json

    (tmp_path / "cos.yaml").write_text(COS)
    text = json.dumps({"log_history": [{"learning_rate": 0.1, "step": s} for s in range(1, 4)]}, indent=2) + "\n"
    (tmp_path / "trainer_state.json").write_text(text[:text.index('"step": 3') + 3])
    with pytest.raises(json.JSONDecodeError) as err:
        json.loads((tmp_path / "trainer_state.json").read_text())
    r = cli("verify", "cos.yaml", "--log", "trainer_state.json")
    assert r.exit_code == 1 and r.output == (
        f"trainer_state.json:{err.value.lineno}:{err.value.colno}: not valid JSON: {err.value.msg}; the file ends "
        "before its JSON does (cut short, or a save still being written); read it once the save is written, or name "
        "an earlier checkpoint-N folder\n"), r.output
    (tmp_path / "broken.json").write_text('{"log_history": [}\n')  # broken, not cut: no such hint
    r = cli("verify", "cos.yaml", "--log", "broken.json", "--log-format", "hf")
    assert r.exit_code == 1 and r.output == "broken.json:1:18: not valid JSON: Expecting value\n", r.output


def test_nan_and_inf_among_values_that_follow_the_plan_are_named_so(tmp_path, cli):
    """A loop's log whose lr is nan or inf at some steps and the plan's lr everywhere else (values from torch's
    own CosineAnnealingLR, written with repr): the cause says which values are not numbers."""
    import json

    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)
    rows = []
    for t in range(6):
        rows.append(f"{t},{ {2: 'nan', 4: 'inf'}.get(t, repr(opt.param_groups[0]['lr']))}")
        opt.step()
        sched.step()
    (tmp_path / "cos.yaml").write_text(COS)
    (tmp_path / "log.csv").write_text("step,lr\n" + "\n".join(rows) + "\n")
    r = cli("verify", "cos.yaml", "--log", "log.csv")
    assert r.exit_code == 1 and r.output.splitlines()[0].endswith(
        "(4 of 6 logged steps agree); not a number where the plan is: 2 logged value(s) are nan or inf (nan at step 2, "
        "inf at step 4) and every other logged value follows the plan"), r.output
    r = cli("verify", "cos.yaml", "--log", "log.csv", "--json")
    (v,) = json.loads(r.stdout)["verdicts"]
    assert (v["cause"]["kind"], v["cause"]["n"], v["first_divergence"]["step"]) == ("nonfinite", 2, 2)


@pytest.mark.parametrize("header, line", [
    ("Wall time,Step,Value", "a TensorBoard dashboard download (Wall time, Step, Value): it does not say which tag, nor "
                             "whose, it holds; name the run's folder or its event file instead"),
    ('"Step","exp - lr","exp - lr__MIN","exp - lr__MAX"',
     "a W&B chart panel export (Step, '<run> - <metric>'): it does not say which step the chart was drawn against; "
     "name the run's folder (wandb/run-*) instead, or export the run's history (its _step column)")])
def test_a_dashboards_csv_export_is_named_as_one(tmp_path, cli, header, line):
    """A CSV downloaded from TensorBoard's or W&B's charts was 'not a training log lrplot reads (...)', the list
    of every format, though the user had just downloaded the lr."""
    (tmp_path / "plan.yaml").write_text("steps: 3\nscheduler: {type: StepLR, step_size: 1}\n")
    (tmp_path / "lr.csv").write_text(f"{header}\n" + "".join(f"{t},0.1,0.1,0.1\n" for t in range(3)))
    r = cli("verify", tmp_path / "plan.yaml", "--log", tmp_path / "lr.csv")
    assert r.exit_code == 1 and r.output == f"{tmp_path / 'lr.csv'}: {line}\n"
