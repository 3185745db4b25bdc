"""Append-only JSONL records that survive a kill: one flushed line per record, a torn last line repaired.

A process killed mid-write can leave a partial last line; `open_jsonl_for_append` cuts the file back to
its last complete line before appending, and `read_jsonl` reads only complete lines. So a resumed run
neither loses nor duplicates a record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from veracity.provenance.assets.files import write_file_atomic


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Complete records of a JSONL file (a torn final line, without its newline, is skipped)."""
    path = Path(path)
    if not path.exists():
        return
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                break  # torn by a kill: not a record
            if raw.strip():
                yield json.loads(raw)


def open_jsonl_for_append(path: str | os.PathLike[str]) -> TextIO:
    """Open for appending after cutting any torn final line."""
    path = Path(path)
    if path.exists():
        with path.open("rb+") as handle:
            data = handle.read()
            keep = data.rfind(b"\n") + 1
            if keep != len(data):
                handle.truncate(keep)
    return path.open("a", encoding="utf-8")


def write_record(handle: TextIO, record: dict[str, Any]) -> None:
    """Write one record as one line and flush it to the OS."""
    handle.write(json.dumps(record, sort_keys=True, allow_nan=False) + "\n")
    handle.flush()


def write_atomic(path: str | os.PathLike[str], text: str | bytes) -> None:
    """Write a whole file through a temp file in the same folder and `os.replace` (never half-written).

    The file gets the usual mode of a new file (0666 less the umask), like every result file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file_atomic(path, text.encode() if isinstance(text, str) else text)


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n")
