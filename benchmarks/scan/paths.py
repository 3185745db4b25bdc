"""How a scan names files: one normalised absolute path per file, recorded losslessly, also when not UTF-8.

* Resume key: `path_key` is the absolute, lexically normalised path (``os.path.abspath``: ``corpus/a.jpg``
  from ``/tmp/x`` and ``/tmp/x/corpus/../corpus/a.jpg`` are one file; symbolic links are not resolved, so two
  links are two inputs). Object-storage URIs are kept as given.
* Records: Linux file names are bytes. Python carries bytes that are not UTF-8 as lone surrogates
  (``surrogateescape``), which no UTF-8 file can hold. A record's ``path`` is the name with each such byte
  written ``\\xNN`` (valid UTF-8, for people and tools), and ``path_bytes`` the exact bytes in base64 (``null``
  when the name is valid UTF-8). `record_path` reads them back to the same ``str`` ``os.walk`` gives.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

from veracity.benchmarks.scan.uris import is_uri


def path_key(path: str) -> str:
    """The resume key of an input: its absolute, normalised path (URIs unchanged)."""
    return path if is_uri(path) else os.path.abspath(path)


def display_text(text: str) -> str:
    """``text`` as valid UTF-8: each byte Python carries as a lone surrogate is written ``\\xNN``."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte (from JSON text, say)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def path_fields(path: str) -> dict[str, Any]:
    """The ``path`` and ``path_bytes`` fields of a record for the file at ``path`` (already normalised)."""
    shown = display_text(path)
    if shown == path:
        return {"path": path, "path_bytes": None}
    return {"path": shown, "path_bytes": base64.b64encode(os.fsencode(path)).decode("ascii")}


def record_path(record: dict[str, Any]) -> str:
    """The file a record names, exactly as the file system spells it (the inverse of `path_fields`)."""
    raw = record.get("path_bytes")
    if isinstance(raw, str) and raw:
        try:
            return os.fsdecode(base64.b64decode(raw, validate=True))
        except (binascii.Error, ValueError):
            pass
    return str(record["path"])
