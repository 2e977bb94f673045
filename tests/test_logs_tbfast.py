"""TensorBoard logs read in bulk: every value and step == TensorBoard's own EventAccumulator on logs
written by the real writers (torch's SummaryWriter, TensorBoard's own), and corrupt or cut records
still one located line."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorboard")

from lrplot.errors import SpecError  # noqa: E402
from lrplot.logs.tensorboard import read_run  # noqa: E402

N = 300  # enough records of one length for the bulk reader (>= 16 per layout)


def reference(run: Path) -> dict[str, tuple[list[int], list[float]]]:
    """What TensorBoard's EventAccumulator keeps (its own loader, CRC and purge rules)."""
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.util import tensor_util

    acc = ea.EventAccumulator(str(run), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    acc.Reload()
    out = {tag: ([e.step for e in acc.Scalars(tag)], [e.value for e in acc.Scalars(tag)])
           for tag in acc.Tags()["scalars"]}
    for tag in acc.Tags()["tensors"]:
        if tag not in out:
            events = acc.Tensors(tag)
            out[tag] = ([e.step for e in events], [float(tensor_util.make_ndarray(e.tensor_proto)) for e in events])
    return out


def ours(run: Path, **kw) -> dict[str, tuple[list[int], list[float]]]:
    tags, _ = read_run(run, **kw)
    return {tag: (s.tolist(), v.tolist()) for tag, (s, v) in tags.items()}


def torch_run(folder: Path, *, new_style: bool = False, double: bool = False, purge: bool = False) -> Path:
    import torch
    from torch.utils.tensorboard import SummaryWriter

    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=3e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=2 * N)
    with SummaryWriter(str(folder)) as writer:
        for t in range(N):
            lr = opt.param_groups[0]["lr"]
            writer.add_scalar("lr-AdamW", lr, t, new_style=new_style, double_precision=double)
            writer.add_scalar("lr-AdamW/pg1", lr / 3, t, new_style=new_style, double_precision=double)
            if t % 3 == 0:
                writer.add_scalar("train/loss", 1.0 / (t + 1), t + 20000, new_style=new_style)
            opt.step()
            sched.step()
    if purge:  # a resumed run: SummaryWriter(purge_step) writes SessionLog.START at step 200
        with SummaryWriter(str(folder), purge_step=200, filename_suffix=".resumed") as writer:
            for t in range(200, N + 50):
                writer.add_scalar("lr-AdamW", 1e-5 * t, t, new_style=new_style)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("kw", [{}, {"new_style": True}, {"new_style": True, "double": True}, {"purge": True}],
                         ids=["simple_value", "tensor-float32", "tensor-float64", "resumed-purge"])
def test_torch_summarywriter_logs_equal_eventaccumulator(tmp_path, kw, monkeypatch):
    import lrplot.logs.tensorboard as tb

    run = torch_run(tmp_path / "run", **kw)
    expected = reference(run)
    monkeypatch.setattr(tb, "_accumulated", None)  # read in bulk, not by EventAccumulator
    got = ours(run)
    assert got == expected
    assert list(got) == list(expected)  # the same tags, in the same order
    if kw.get("purge"):  # steps >= 200 of every tag dropped, then the resumed run's 200 .. 349
        assert got["lr-AdamW"][0] == [*range(200), *range(200, N + 50)] and got["train/loss"] == ([], [])
    else:
        assert got["lr-AdamW"][0] == list(range(N))


@pytest.mark.slow
def test_tensorboards_own_writer_equals_eventaccumulator(tmp_path, monkeypatch):
    from tensorboard.summary import DirectoryOutput, Writer

    run = tmp_path / "run"
    writer = Writer(DirectoryOutput(str(run)))
    for t in range(N):
        writer.add_scalar("lr", np.float32(1e-3 * (1 - t / N)), t)
        writer.add_scalar("grad_norm", 0.5 + t, t)
    writer.flush()
    writer.close()
    expected, got = reference(run), ours(run)
    import lrplot.logs.tensorboard as tb

    monkeypatch.setattr(tb, "_accumulated", None)  # read in bulk, not by EventAccumulator
    assert ours(run) == got
    assert got == expected and set(got) == {"lr", "grad_norm"}
    tags, dtype = read_run(run)
    assert dtype == "float32" and tags["lr"][1][0] == float(np.float32(1e-3))


def _file(run: Path) -> Path:
    (path,) = run.iterdir()
    return path


def _offsets(blob: bytes) -> list[int]:
    out, off = [], 0
    while off + 12 <= len(blob):
        out.append(off)
        off += 16 + struct.unpack_from("<Q", blob, off)[0]
    return out


@pytest.mark.slow
def test_a_flipped_bit_among_many_records_is_located_or_skipped_and_named(tmp_path):
    run = torch_run(tmp_path / "run")
    path = _file(run)
    blob = bytearray(path.read_bytes())
    offsets = _offsets(bytes(blob))
    blob[offsets[400] + 20] ^= 0x04  # inside record 400's data
    path.write_bytes(bytes(blob))
    with pytest.raises(SpecError) as err:
        read_run(run)
    assert err.value.format() == (f"{path}: record 400 at byte {offsets[400]}: its data fails its CRC check (the "
                                  "file is corrupt); pass --log-skip-corrupt to skip it (every verdict then names it)")
    damaged: list[str] = []
    got = ours(run, skip_corrupt=True, damaged=damaged)
    assert damaged == [f"{path}: record 400 at byte {offsets[400]}: its data fails its CRC check (the file is "
                       "corrupt); skipped"]
    path.write_bytes(bytes(blob[:offsets[400]] + blob[offsets[401]:]))  # the record left out: TensorBoard's view
    assert got == reference(run)


@pytest.mark.slow
def test_a_flipped_bit_in_a_length_among_many_records_ends_the_file_there(tmp_path):
    run = torch_run(tmp_path / "run")
    path = _file(run)
    blob = bytearray(path.read_bytes())
    offsets = _offsets(bytes(blob))
    blob[offsets[500] + 1] ^= 0x10
    path.write_bytes(bytes(blob))
    with pytest.raises(SpecError) as err:
        read_run(run)
    assert err.value.format() == (f"{path}: record 500 at byte {offsets[500]}: its length fails its CRC check (the "
                                  "file is corrupt); pass --log-skip-corrupt to read the records before it (every "
                                  "verdict then names what was skipped)")
    damaged: list[str] = []
    got = ours(run, skip_corrupt=True, damaged=damaged)
    assert damaged == [f"{path}: record 500 at byte {offsets[500]}: its length fails its CRC check (the file is "
                       f"corrupt); the rest of the file from byte {offsets[500]} skipped"]
    path.write_bytes(bytes(blob[:offsets[500]]))
    assert got == reference(run)


@pytest.mark.slow
@pytest.mark.parametrize("cut", [3, 13, 30])
def test_a_truncated_file_reads_as_tensorboard_reads_it(tmp_path, cut):
    run = torch_run(tmp_path / "run")
    path = _file(run)
    blob = path.read_bytes()
    offsets = _offsets(blob)
    path.write_bytes(blob[:offsets[600] + cut])  # a run still writing: its last record cut short
    got = ours(run)
    assert got == reference(run) and len(got["lr-AdamW"][0]) < N


def test_a_run_without_file_version_first_is_read_by_eventaccumulator(tmp_path):
    """Without file_version 2, EventAccumulator purges by out-of-order steps: left to it."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    run = tmp_path / "run"
    run.mkdir()
    blob = b""
    for step in [*range(40), *range(30, 60)]:  # steps go back at 30: EventAccumulator drops 30..39 first seen
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="lr", simple_value=step / 7)])
        data = event_pb2.Event(wall_time=1.0, step=step, summary=summary).SerializeToString()
        head = struct.pack("<Q", len(data))
        blob += head + struct.pack("<I", masked_crc32c(head)) + data + struct.pack("<I", masked_crc32c(data))
    (run / "events.out.tfevents.1.host").write_bytes(blob)
    got = ours(run)
    assert got == reference(run) and got["lr"][0] == list(range(60))


def test_the_bulk_framing_finds_every_record_a_plain_walk_finds():
    from lrplot.logs.tfrecord import frames
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    rng = np.random.default_rng(0)
    lengths = [*[26] * 500, *rng.integers(0, 300, 200).tolist(), *[25, 40, 33] * 300, 70_000, *[26] * 100]
    blob, starts = b"", []
    for n in lengths:
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        head = struct.pack("<Q", n)
        starts.append(len(blob) + 12)
        blob += head + struct.pack("<I", masked_crc32c(head)) + data + struct.pack("<I", masked_crc32c(data))
    found = frames(blob)
    assert found.starts.tolist() == starts and found.lengths.tolist() == lengths
    assert found.bad_data == [] and found.bad_length is None


def test_data_crcs_by_linearity_equal_the_crc_of_every_record_flipped_bits_included():
    """Records of one length differing in a few bytes get their CRC from the linear tables: each
    equals google-crc32c over that record's own bytes, a record with a flipped bit anywhere too."""
    import google_crc32c

    from lrplot.logs.tfrecord import data_crcs

    rng = np.random.default_rng(1)
    template = rng.integers(0, 256, 40, dtype=np.uint8)
    records = []
    for i in range(3000):
        row = template.copy()
        row[[3, 7, 8, 20, 39]] = rng.integers(0, 256, 5, dtype=np.uint8)  # wall time, step, value
        if i % 500 == 7:
            row[i % 40] ^= np.uint8(1 << (i % 8))  # a flipped bit in a byte that is fixed elsewhere
        records.append(row.tobytes())
    records += [rng.integers(0, 256, int(n), dtype=np.uint8).tobytes() for n in rng.integers(0, 90, 300)]
    order = rng.permutation(len(records))
    records = [records[i] for i in order]
    buf = b"".join(records)
    lens = np.array([len(r) for r in records], np.int64)
    starts = np.concatenate(([0], np.cumsum(lens)[:-1])).astype(np.int64)
    got = data_crcs(buf, np.frombuffer(buf, np.uint8), starts, lens, google_crc32c.value)
    assert got.tolist() == [google_crc32c.value(r) for r in records]


@pytest.mark.slow
def test_reading_a_csv_log_imports_no_tensorboard_protobuf_or_crc(tmp_path):
    import subprocess
    import sys

    (tmp_path / "metrics.csv").write_text("step,lr\n0,0.1\n1,0.05\n")
    code = ("import sys; import lrplot.logs.tensorboard, lrplot.logs.tfrecord, lrplot.logs.tbscalars; "
            "from lrplot.logs import load_log; load_log(sys.argv[1]); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorboard', 'google', 'google_crc32c')))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "metrics.csv")], capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout == "[]\n", out.stdout + out.stderr


@pytest.mark.slow
def test_event_files_beyond_the_limit_are_refused_before_they_are_read(tmp_path, monkeypatch):
    import lrplot.limits
    from lrplot.errors import LrplotError

    torch_run(tmp_path / "a")
    torch_run(tmp_path / "b")
    (first,), (second,) = sorted((tmp_path / "a").glob("*tfevents*")), sorted((tmp_path / "b").glob("*tfevents*"))
    size = first.stat().st_size
    monkeypatch.setattr(lrplot.limits, "MAX_EVENTS_BYTES", size + 10)
    from lrplot.logs import load_log

    with pytest.raises(LrplotError) as err:
        load_log(tmp_path)
    assert str(err.value) == (f"{second}: the TensorBoard event files of this log are more than {(size + 10) / 1e6:.3g} MB; "
                              f"a log is read with at most {(size + 10) / 1e6:.3g} MB of them; "
                              "name one run folder or event file")
