"""Reports: everything veracity found about one file, and error records for files it could not read.

Both serialise with ``to_dict()`` to the versioned JSON Schema in ``provenance/schemas/``; one
report per line makes the JSONL stream that ``check --format jsonl`` and batch scans write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from veracity.provenance import labels
from veracity.provenance.fusion.verdict import Verdict
from veracity.provenance.signals import SignalResult

SCHEMA_VERSION = "1.1.0"
SCHEMA_FILE = "report.schema.json"


@dataclass(frozen=True)
class ImageInfo:
    """Facts about the pixels that were analysed (``None`` in a report for media without pixels)."""

    width: int
    height: int
    mode: str
    format: str
    frames: int
    orientation: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "mode": self.mode,
            "format": self.format,
            "frames": self.frames,
            "orientation": self.orientation,
        }


@dataclass(frozen=True)
class Report:
    """The analysis of one file.

    Attributes:
        input: the path as given (or a label for bytes).
        sha256: hex digest of the file's bytes.
        size: bytes.
        media_type: MIME type sniffed from the bytes.
        media_kind: ``image``, ``video``, ``audio``, ``document``, ``vector``, ``font`` or ``manifest``.
        image: the analysed pixels' facts, or ``None`` for media without pixels.
        signals: every signal's raw result, in pipeline order.
        verdict: the fused verdict.
        notes: plain sentences about the input (normalisation, what does not apply).
        versions: versions of veracity and the libraries that shaped the result.
        elapsed_ms: wall time of the whole analysis.
    """

    input: str
    sha256: str
    size: int
    media_type: str
    media_kind: str
    image: ImageInfo | None
    signals: tuple[SignalResult, ...]
    verdict: Verdict
    notes: tuple[str, ...]
    versions: dict[str, str]
    elapsed_ms: float = 0.0

    @property
    def label(self) -> str:
        return self.verdict.label

    def signal(self, name: str) -> SignalResult | None:
        """The result of the signal called ``name``, or ``None`` if it did not run."""
        return next((s for s in self.signals if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "record_type": "report",
            "input": self.input,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
            "media_kind": self.media_kind,
            "image": self.image.to_dict() if self.image else None,
            "verdict": self.verdict.to_dict(),
            "signals": [s.to_dict() for s in self.signals],
            "notes": list(self.notes),
            "versions": dict(self.versions),
            "elapsed_ms": round(self.elapsed_ms, 3),
        }


@dataclass(frozen=True)
class ErrorRecord:
    """A file that could not be analysed: what it was and why, so a batch can go on.

    Attributes:
        input: the path as given.
        error_kind: the error class name (``CorruptAssetError``, ``AssetLimitError``, ...).
        message: one line naming the file and the reason.
        sha256: the digest when the bytes could be read, else ``None``.
        size: bytes when known, else ``None``.
    """

    input: str
    error_kind: str
    message: str
    sha256: str | None = None
    size: int | None = None
    versions: dict[str, str] | None = None

    @property
    def label(self) -> str:
        return labels.ERROR

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "record_type": "error",
            "input": self.input,
            "sha256": self.sha256,
            "size": self.size,
            "error": {"kind": self.error_kind, "message": self.message},
            "versions": dict(self.versions or {}),
        }


def to_json_line(record: Report | ErrorRecord) -> str:
    """One compact JSON line (no trailing newline) for a JSONL stream."""
    return json_line(record.to_dict(), separators=(",", ":"))


#: Characters JSON leaves raw in strings that many line readers (Python's ``str.splitlines``, JavaScript)
#: take for line breaks; escaped, a record stays one line for every reader.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_LINE_BREAK_TABLE = str.maketrans(_LINE_BREAKS)


def json_line(data: Any, **options: Any) -> str:
    """``json.dumps(data)`` as UTF-8 text on exactly one line for any reader (NEL, LS and PS escaped).

    The escapes are JSON's own (``\\u2028``), so every JSON parser reads back the same value. They can only
    occur inside strings, where escaping them changes nothing.
    """
    return json.dumps(data, ensure_ascii=False, allow_nan=False, **options).translate(_LINE_BREAK_TABLE)


@cache
def load_report_schema() -> dict[str, Any]:
    """The JSON Schema every report and error record validates against."""
    text = resources.files("veracity.provenance").joinpath("schemas", SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)
