"""Careful file access shared by every package: read only regular files, write new files safely.

Reading: `open_regular_file` opens without blocking and checks what it opened, so a FIFO, a device or a
socket named like an image is refused instead of hanging the reader (a FIFO blocks ``open()`` until a
writer comes; ``/dev/zero`` never ends). The check is on the open descriptor, so swapping the path between
a check and the open changes nothing.

Writing: `create_temp_file` makes a new file with ``O_CREAT | O_EXCL | O_NOFOLLOW`` and the final mode from
the start (an existing path, or a symbolic link planted at the name, makes it fail rather than write through
it), and `write_file_atomic` writes a whole file through such a temp file and `os.replace`. Result files get
``0o666`` less the umask, like any file a program creates; private keys pass ``mode=0o600``.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO

#: Mode of result files before the umask applies (the usual 0644 with the usual umask 022).
RESULT_FILE_MODE = 0o666


class NotARegularFileError(OSError):
    """The path names something that is not a regular file; ``strerror`` says what (``"a FIFO (named pipe)"``)."""


def open_regular_file(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for reading in binary mode, refusing anything but a regular file, never blocking.

    Symbolic links are followed (an input may be a link to an image).

    Raises:
        NotARegularFileError: a directory, FIFO, character or block device, or socket (``errno`` EISDIR or EINVAL).
        OSError: the path cannot be opened (missing, permission denied, symbolic link loop).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
            raise NotARegularFileError(code, describe_file_type(mode), os.fspath(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def describe_file_type(mode: int) -> str:
    """A few words for the file type in ``st_mode`` (``"a FIFO"``, ``"a directory"``, ...)."""
    for test, words in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISREG, "a regular file"),
    ):
        if test(mode):
            return words
    return "not a regular file"


def read_regular_file(path: str | os.PathLike[str], max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file (at most ``max_bytes + 1`` when a cap is given, so callers see an overrun).

    Raises:
        NotARegularFileError, OSError: see `open_regular_file`.
    """
    with open_regular_file(path) as handle:
        return handle.read() if max_bytes is None else handle.read(max_bytes + 1)


def create_temp_file(folder: str | os.PathLike[str], name: str, *, mode: int = RESULT_FILE_MODE) -> tuple[int, Path]:
    """Create a new, empty file beside ``folder/name`` for writing; return ``(fd, path)``.

    The name is unpredictable (``.NAME.<random>.partial``) and created with ``O_EXCL | O_NOFOLLOW``, so an
    existing file or a planted symbolic link is never opened; ``mode`` applies from the first byte (less the
    umask).

    Raises:
        OSError: the folder is not writable (read-only file system, permission denied, missing).
    """
    folder = Path(folder)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = folder / f".{name}.{secrets.token_hex(6)}.partial"
        try:
            return os.open(path, flags, mode), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "could not find a free temporary name", str(folder / name))


def write_file_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = RESULT_FILE_MODE) -> None:
    """Write ``data`` to ``path`` whole or not at all: a new temp file in the same folder, fsync, `os.replace`.

    Raises:
        OSError: the folder is not writable, or the disk is full (the temp file is removed, ``path`` untouched).
    """
    path = Path(path)
    fd, temp = create_temp_file(path.parent, path.name, mode=mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
