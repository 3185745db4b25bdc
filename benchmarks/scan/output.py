"""The files a scan writes, opened safely: locked, proven to be scan outputs, repaired, then appended to.

Files of one output ``OUT``: the record file (``OUT`` itself for JSONL and CSV; for Parquet the JSONL journal
``OUT.journal.jsonl``, from which ``OUT`` is written at the end) and the side journal ``OUT.unlisted.jsonl``
of the records ``--only`` kept out of the output (created only when one is set aside).

Rules, each for a reported failure:

* One scan per output: the record file and the side journal are locked (``flock``, exclusive, not waiting);
  a second scan on the same output stops at once with `ScanOutputBusyError` instead of recording every file
  twice. The lock goes with the process, however it ends.
* Only a proven scan output is appended to: every complete line must be a scan record (a CSV must start with
  the exact header), and an unfinished last line must be the start of one (a kill mid-record). Anything else,
  a one-line JSON, a CSV of other columns, random bytes, is refused untouched (`ForeignOutputError`), even
  with no newline in it. Only an unfinished last record is ever cut.
* A file this run created is removed again when the run fails before writing a record.
* Records set aside by an earlier ``--only`` run move into the output when a run without ``--only`` resumes.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veracity.benchmarks.errors import BenchmarkError
from veracity.benchmarks.scan.records import (
    FIELDS,
    ScanWriteError,
    ScanWriter,
    journal_path,
    read_parquet_records,
    write_parquet,
)
from veracity.benchmarks.scan.settings import OutputFormat
from veracity.provenance.assets.files import RESULT_FILE_MODE, describe_file_type

_JSONL_START = b'{"schema_version": "1.'
_CSV_HEADER = (",".join(FIELDS) + "\n").encode()


class ForeignOutputError(BenchmarkError):
    """The output exists and is not a veracity scan output (it was left untouched)."""


class ScanOutputBusyError(BenchmarkError):
    """Another scan is writing the same output."""


def unlisted_path(output: Path) -> Path:
    """The side journal of records ``--only`` left out of the output (kept so resuming still skips them)."""
    return output.with_name(output.name + ".unlisted.jsonl")


@dataclass
class _Journal:
    """One locked, proven, appendable record file."""

    path: Path
    fmt: str  # "jsonl" or "csv"
    fd: int
    created: bool
    records: list[dict[str, Any]] = field(default_factory=list)
    writer: ScanWriter | None = None


class ScanOutput:
    """The record files of one scan; use as a context manager around the whole run.

    Args:
        output: the output the user named.
        fmt: its `OutputFormat`.
        overwrite: empty the files (after locking them) instead of resuming.
        only: whether this run sets records aside (``--only``).

    Attributes:
        previous: the records earlier runs wrote (output and side journal), for resuming.
        listed, set_aside: records this run wrote to the output and to the side journal.

    Raises (on entering):
        ScanOutputBusyError: another scan holds the output.
        ForeignOutputError: an existing file is not a scan output.
        ScanWriteError: a file cannot be created or written.
    """

    def __init__(self, output: Path, fmt: OutputFormat, *, overwrite: bool = False, only: bool = False) -> None:
        self.output, self.fmt, self.overwrite, self.only = Path(output), OutputFormat(fmt), overwrite, only
        self.journal_path = journal_path(self.output, self.fmt)
        self.side_path = unlisted_path(self.output)
        self.previous: list[dict[str, Any]] = []
        self.listed = self.set_aside = 0
        self._main: _Journal | None = None
        self._side: _Journal | None = None

    def __enter__(self) -> ScanOutput:
        journal_fmt = "csv" if self.fmt == OutputFormat.CSV else "jsonl"
        self._main = _open_journal(self.journal_path, journal_fmt, self.overwrite, self.output)
        try:
            if self.fmt == OutputFormat.PARQUET:
                self._adopt_parquet()
            if self.side_path.exists() or self.only:
                self._side = _open_journal(self.side_path, "jsonl", self.overwrite, self.output)
            self.previous = [*self._main.records, *(self._side.records if self._side else [])]
            if self._side is not None and not self.only:
                self._move_side_records()
        except BaseException:
            self._release(success=False)
            raise
        return self

    def write(self, record: dict[str, Any], *, listed: bool = True) -> None:
        """Append one record to the output (``listed``) or to the side journal."""
        if listed:
            self._main.writer.write(record)
            self.listed += 1
            return
        if self._side is None:
            self._side = _open_journal(self.side_path, "jsonl", False, self.output)
        self._side.writer.write(record)
        self.set_aside += 1

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self._release(success=exc_type is None)

    def _release(self, *, success: bool) -> None:
        try:
            if success and self.fmt == OutputFormat.PARQUET and self._main is not None:
                records = _read_records(self._main.fd, "jsonl")
                try:
                    write_parquet(self.output, records)
                except OSError as exc:
                    raise ScanWriteError(self.output, exc) from None
        finally:
            for journal in (self._side, self._main):
                if journal is None:
                    continue
                if journal.created and journal.writer is not None and journal.writer.written == 0 and not success:
                    journal.path.unlink(missing_ok=True)  # a file this failed run made and never wrote to
                elif journal is self._side and not self.only and os.fstat(journal.fd).st_size == 0:
                    journal.path.unlink(missing_ok=True)
                os.close(journal.fd)
            self._main = self._side = None

    def _adopt_parquet(self) -> None:
        """A Parquet output without its journal: adopt its records if it is a scan output, refuse it otherwise."""
        if self._main.records or not self.output.exists() or self.overwrite:
            return
        try:
            import pyarrow.parquet as pq

            names = pq.read_schema(self.output).names
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a file that is not Parquet
            raise _foreign(self.output, f"not a Parquet file ({type(exc).__name__})") from None
        if names != list(FIELDS):
            raise _foreign(self.output, "its columns are not those of a scan output")
        for record in read_parquet_records(self.output):
            self._main.writer.write(record)
            self._main.records.append(record)

    def _move_side_records(self) -> None:
        """A run without ``--only`` lists every record: move those an earlier run set aside into the output."""
        from veracity.benchmarks.scan.plan import record_key

        present = {record_key(r) for r in self._main.records}
        for record in self._side.records:
            if record_key(record) not in present:
                self._main.writer.write(record)
                self._main.records.append(record)
        os.ftruncate(self._side.fd, 0)


def _open_journal(path: Path, fmt: str, overwrite: bool, output: Path) -> _Journal:
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_RDWR | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            fd, created = os.open(path, flags | os.O_CREAT | os.O_EXCL, RESULT_FILE_MODE), True
        except FileExistsError:
            fd, created = os.open(path, flags | os.O_NONBLOCK), False
    except OSError as exc:
        raise ScanWriteError(path, exc) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _foreign(path, f"it is {describe_file_type(mode)}")
        os.set_blocking(fd, True)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ScanOutputBusyError(
                f"{output} is being written by another veracity scan (it holds a lock on {path.name}). "
                "Wait for that scan to finish, or choose another output."
            ) from None
        if overwrite:
            os.ftruncate(fd, 0)
        size, records = _prove(fd, fmt, path)
        if fmt == "csv" and size == 0:
            _write_all(fd, _CSV_HEADER, path)
            size = len(_CSV_HEADER)
        os.lseek(fd, size, os.SEEK_SET)
        writer = ScanWriter(fd, fmt, path, offset=size)
        return _Journal(path, fmt, fd, created, records, writer)
    except BaseException:
        os.close(fd)
        if created:
            path.unlink(missing_ok=True)
        raise


def _prove(fd: int, fmt: str, path: Path) -> tuple[int, list[dict[str, Any]]]:
    """Check that the file holds only scan records (and an unfinished last one); cut that one.

    Returns:
        The size of the complete part and its records.
    """
    data = _read_all(fd)
    complete = data.rfind(b"\n") + 1
    tail = data[complete:]
    if fmt == "csv":
        if complete == 0:
            if not _CSV_HEADER.startswith(tail):
                raise _foreign(path, "it does not start with the header of a scan output")
            complete = 0  # a header cut by a kill: written again
        elif not data.startswith(_CSV_HEADER):
            raise _foreign(path, "its first line is not the header of a scan output (of this version)")
    elif tail and not (tail.startswith(_JSONL_START) or _JSONL_START.startswith(tail)):
        raise _foreign(path, "its last line is neither a scan record nor the start of one")
    records = _parse(data[:complete], fmt, path)
    for record in records:
        if not (isinstance(record.get("path"), str) and str(record.get("schema_version", "")).startswith("1.")):
            raise _foreign(path, "a line is not a scan record (no path or schema_version 1.x)")
    if complete != len(data):
        os.ftruncate(fd, complete)
    return complete, records


def _parse(data: bytes, fmt: str, path: Path) -> list[dict[str, Any]]:
    from veracity.benchmarks.scan.records import from_csv_row

    try:
        if fmt == "csv":
            return [from_csv_row(row) for row in csv.DictReader(io.StringIO(data.decode("utf-8")))]
        records = [json.loads(line) for line in data.split(b"\n") if line.strip()]
    except (ValueError, KeyError, TypeError) as exc:
        raise _foreign(path, f"{type(exc).__name__}: {' '.join(str(exc).split())[:80]}") from None
    if not all(isinstance(r, dict) for r in records):
        raise _foreign(path, "a line is not a JSON object")
    return records


def _read_records(fd: int, fmt: str) -> list[dict[str, Any]]:
    data = _read_all(fd)
    return _parse(data[: data.rfind(b"\n") + 1], fmt, Path("?"))


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes, path: Path) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise ScanWriteError(path, exc) from None


def _foreign(path: Path, why: str) -> ForeignOutputError:
    return ForeignOutputError(
        f"{path} exists and is not a veracity scan output; it was left untouched ({why}). "
        "Choose another output, or pass --overwrite to replace it."
    )
