"""Reading a file the user named, bounded: regular files and pipes only, at most a limit of bytes,
every OS problem one located line."""

from __future__ import annotations

import os
import select
import stat
from pathlib import Path

from ..errors import Location, SpecError
from ..limits import MAX_SPEC_BYTES, PIPE_IDLE_SECONDS
from ..reads import record


def _size(n: int) -> str:
    return f"{n / 1e6:.3g} MB" if n >= 1_000_000 else f"{n / 1e3:.3g} kB"  # 3 digits: never "1 kB; at most 1 kB"


def read_input(path: Path, what: str = "spec", limit: int = MAX_SPEC_BYTES, *, pipe_ok: bool = True) -> bytes:
    """The bytes of an input file the user named, at most ``limit``; every OS problem becomes
    one clear SpecError. The file is recorded as read (:mod:`lrplot.reads`): no output replaces it.
    Only regular files and pipes are read (regular files alone with ``pipe_ok=False``: the files a
    config names, where a pipe is never what the user meant): the kind is checked with fstat on a
    descriptor opened with O_NONBLOCK (so a FIFO without a writer never blocks the open),
    and at most ``limit + 1`` bytes are ever read, so a device such as /dev/zero, a huge file or
    an endless pipe fails fast instead of filling memory."""
    where = Location(str(path))
    too_big = f"the {what} is more than {_size(limit)}; a {what} is at most {_size(limit)}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        message, hint = _missing(path)
        raise SpecError(message, hint=hint, location=where) from None
    except IsADirectoryError:
        raise SpecError(f"is a directory, not a {what} file", location=where) from None
    except PermissionError:
        raise SpecError("permission denied", location=where) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise SpecError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", location=where) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SpecError(f"is a directory, not a {what} file", location=where)
        pipe = stat.S_ISFIFO(info.st_mode) and pipe_ok
        if not (stat.S_ISREG(info.st_mode) or pipe):
            kind = ("a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                    else "a pipe" if stat.S_ISFIFO(info.st_mode) else "not a regular file")
            raise SpecError(f"is {kind}, not a {what} file", hint=f"give the path of a {what} file",
                            location=where)
        record(path, f"a {what} file", info)
        if info.st_size > limit:
            raise SpecError(f"the {what} is {_size(info.st_size)}; a {what} is at most {_size(limit)}",
                            location=where)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            # A FIFO nobody has opened for writing yet is not readable (Linux reports the end
            # only after a writer came and went): wait for one, a bounded time.
            if pipe and not select.select([fd], [], [], PIPE_IDLE_SECONDS)[0]:
                raise SpecError(f"the pipe gave no data for {PIPE_IDLE_SECONDS} s", location=where)
            try:
                chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            except BlockingIOError:  # a pipe whose writer has not written yet
                if not select.select([fd], [], [], PIPE_IDLE_SECONDS)[0]:
                    raise SpecError(f"the pipe gave no data for {PIPE_IDLE_SECONDS} s", location=where) from None
                continue
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise SpecError(too_big, location=where)
        return b"".join(chunks)
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror or exc}", location=where) from None
    finally:
        os.close(fd)


def may_hold(path: Path, needle: bytes, limit: int) -> bool:
    """False only when ``path`` is a regular file of at most ``limit`` bytes whose bytes do not hold
    ``needle``: a cheap look that spares the full read (decoded, recorded) of a file a scan then
    drops. Anything else (not a regular file, too big, an OS error) is True: the full read says what."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return True
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return True
        return needle in os.read(fd, limit + 1)
    except OSError:
        return True
    finally:
        os.close(fd)


def _missing(path: Path) -> tuple[str, str | None]:
    """What a path that cannot be found is, and a name close to it in its folder (a few thousand
    entries looked at, at most): ``cosine.yml`` where ``cosine.yaml`` exists."""
    from itertools import islice

    from ..text import did_you_mean

    if os.path.islink(path):
        return f"is a symbolic link to {os.readlink(path)}, which does not exist", "point the link at a file"
    folder = path.parent if str(path.parent) else Path(".")
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in islice(entries, 4096)]
    except OSError:
        return "no such file", None if folder.is_dir() else f"the folder {folder} does not exist"
    return "no such file", did_you_mean(path.name, names, cutoff=0.85)  # a typo, not any other .yaml


def read_text(path: Path, what: str = "spec", limit: int = MAX_SPEC_BYTES, *, pipe_ok: bool = True) -> str:
    """Read a text file the user named (see :func:`read_input`), decoded as UTF-8."""
    data = read_input(path, what, limit, pipe_ok=pipe_ok)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # located at the line and column an editor shows for that byte
        start = data.rfind(b"\n", 0, exc.start) + 1
        line, col = data.count(b"\n", 0, exc.start) + 1, len(data[start:exc.start].decode("utf-8", "replace")) + 1
        raise SpecError(f"not a UTF-8 text file (byte {exc.start}: 0x{data[exc.start]:02x})",
                        hint=f"save the {what} as UTF-8 text", location=Location(str(path), line, col)) from None
