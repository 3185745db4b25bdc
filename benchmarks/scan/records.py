"""Scan records: one flat, stable row per file, and the writers that append them durably.

A scan record is a summary of a `Report` (or `ErrorRecord`) shaped for pipelines: the verdict, the
deciding signal, the classifier's P(generated) and band, the C2PA state and AI declaration, metadata and
watermark findings, timings, and an error field. Its JSON Schema is ``provenance/schemas/scan-record.schema.json``,
versioned with the report schema.

Writers never lose or repeat a record: JSONL and CSV rows are appended and flushed one at a time, a row
torn by a kill is cut on reopening, and `read_done` tells a resumed scan which (path, sha256) pairs are
finished. Parquet cannot be appended row by row, so a Parquet scan keeps a JSONL journal beside it and
writes the Parquet file from the journal, atomically, at the end.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from veracity.benchmarks.engine.jsonl import open_jsonl_for_append, read_jsonl, write_atomic
from veracity.provenance import labels
from veracity.provenance.report import SCHEMA_VERSION, ErrorRecord, Report

SCAN_SCHEMA_FILE = "scan-record.schema.json"
FORMATS = ("jsonl", "csv", "parquet")

#: Column order of every format (CSV header, Parquet schema); nested values are JSON text in CSV.
FIELDS: tuple[str, ...] = (
    "schema_version",
    "path",
    "sha256",
    "size",
    "media_type",
    "verdict",
    "deciding_signal",
    "reasons",
    "p_generated",
    "band",
    "detector",
    "c2pa_state",
    "c2pa_ai_declared",
    "c2pa_signer",
    "metadata_findings",
    "watermark",
    "duplicate_of",
    "timings_ms",
    "error",
)
_NESTED = frozenset({"reasons", "metadata_findings", "watermark", "timings_ms", "error"})


def scan_record(result: Report | ErrorRecord, *, path: str, elapsed_ms: float) -> dict[str, Any]:
    """Flatten a report or an error record into a scan record (see the module docstring)."""
    base: dict[str, Any] = dict.fromkeys(FIELDS)
    base.update(schema_version=SCHEMA_VERSION, path=path, sha256=result.sha256, size=result.size)
    if isinstance(result, ErrorRecord):
        base.update(
            verdict=labels.ERROR,
            reasons=[],
            metadata_findings=[],
            timings_ms={"total": round(elapsed_ms, 3)},
            error={"kind": result.error_kind, "message": result.message},
        )
        return base
    classifier = result.signal(labels.CLASSIFIER)
    c2pa = result.signal(labels.C2PA)
    metadata = result.signal(labels.METADATA)
    watermark = result.signal(labels.WATERMARK)
    c2pa_details = c2pa.details if c2pa else {}
    signer = c2pa_details.get("signer") or {}
    base.update(
        media_type=result.media_type,
        verdict=result.verdict.label,
        deciding_signal=result.verdict.deciding_signal,
        reasons=list(result.verdict.reasons),
        p_generated=classifier.p_generated if classifier else None,
        band=classifier.details.get("band") if classifier else None,
        detector=classifier.details.get("detector") if classifier else None,
        c2pa_state=c2pa_details.get("state") if c2pa else None,
        c2pa_ai_declared=_c2pa_ai(c2pa) if c2pa else None,
        c2pa_signer=signer.get("organisation") or signer.get("common_name") or signer.get("issuer"),
        metadata_findings=[
            {"kind": f.kind, "implies": f.implies, "where": f.where} for f in (metadata.findings if metadata else ())
        ],
        watermark=_watermark(watermark),
        timings_ms={"total": round(elapsed_ms, 3), **{s.name: round(s.elapsed_ms, 3) for s in result.signals}},
    )
    return base


def _c2pa_ai(signal) -> bool | None:
    if signal.status != labels.FOUND:
        return None
    return any(f.implies in (labels.IMPLIES_GENERATED, labels.IMPLIES_AI_EDITED) for f in signal.findings) or bool(
        (signal.details.get("ai") or {}).get("ai_anywhere")
    )


def _watermark(signal) -> dict[str, Any] | None:
    if signal is None:
        return None
    found = [f.kind for f in signal.findings]
    return {"status": signal.status, "findings": found}


def record_key(record: dict[str, Any]) -> tuple[str, str | None]:
    """What makes a record unique in a scan: the path and the content hash."""
    return record["path"], record.get("sha256")


class ScanWriter:
    """Append scan records to ``path`` in one of `FORMATS`, durably, one flushed record at a time.

    Args:
        path: the output file.
        fmt: ``jsonl``, ``csv`` or ``parquet``.

    Use as a context manager; `close` finishes a Parquet file from its journal.
    """

    def __init__(self, path: str | os.PathLike[str], fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"Unknown scan output format {fmt!r}. Available: {', '.join(FORMATS)}.")
        self.path = Path(path)
        self.fmt = fmt
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            self._handle = _open_csv_for_append(self.path)
            self._csv = csv.DictWriter(self._handle, fieldnames=FIELDS, lineterminator="\n")
            if self._handle.tell() == 0:
                self._csv.writeheader()
                self._handle.flush()
        else:
            self._handle = open_jsonl_for_append(journal_path(self.path, fmt))

    def write(self, record: dict[str, Any]) -> None:
        if self.fmt == "csv":
            self._csv.writerow({k: _csv_cell(k, record.get(k)) for k in FIELDS})
        else:
            self._handle.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()
        if self.fmt == "parquet":
            write_parquet(self.path, list(read_jsonl(journal_path(self.path, "parquet"))))

    def __enter__(self) -> ScanWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._handle.close()  # a failed run leaves its journal; the Parquet file is written on resume


def journal_path(path: Path, fmt: str) -> Path:
    """Where records are appended: the output itself for JSONL, a JSONL journal beside a Parquet file."""
    return path if fmt == "jsonl" else path.with_name(path.name + ".journal.jsonl")


def read_records(path: str | os.PathLike[str], fmt: str) -> Iterator[dict[str, Any]]:
    """Complete records already written (a row torn by a kill is skipped)."""
    path = Path(path)
    if fmt == "csv":
        if not path.exists():
            return
        text = path.read_text(encoding="utf-8")
        if not text.endswith("\n"):
            text = text[: text.rfind("\n") + 1]
        for row in csv.DictReader(io.StringIO(text)):
            yield {k: _from_csv_cell(k, v) for k, v in row.items()}
        return
    yield from read_jsonl(journal_path(path, fmt))


def write_parquet(path: Path, records: list[dict[str, Any]]) -> None:
    """Write records as a Parquet table (nested fields as JSON text), atomically."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise RuntimeError("Parquet output needs pyarrow: pip install 'veracity[parquet]'.") from exc
    columns = {k: [_csv_cell(k, r.get(k)) if k in _NESTED else r.get(k) for r in records] for k in FIELDS}
    table = pa.table(columns)
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    write_atomic(path, buffer.getvalue().to_pybytes())


def _open_csv_for_append(path: Path):
    handle = open_jsonl_for_append(path)  # the same torn-line repair applies to CSV rows
    handle.close()
    return path.open("a", encoding="utf-8", newline="")


def _csv_cell(key: str, value: Any) -> Any:
    if key in _NESTED and value is not None:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _from_csv_cell(key: str, value: str | None) -> Any:
    if value is None or value == "":
        return None
    if key in _NESTED:
        return json.loads(value)
    if key in ("size",):
        return int(value)
    if key == "p_generated":
        return float(value)
    if key == "c2pa_ai_declared":
        return value == "True"
    return value
