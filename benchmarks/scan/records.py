"""Scan records: one flat, stable row per file, and the writers that append them durably.

A scan record is a summary of a `Report` (or `ErrorRecord`) shaped for pipelines: the verdict, the
deciding signal, the classifier's P(generated) and band, the C2PA state and AI declaration, metadata and
watermark findings, timings, and an error field. Its JSON Schema is ``provenance/schemas/scan-record.schema.json``,
versioned with the report schema.

Paths: ``path`` is the normalised absolute path (`scan.paths`). A file name that is not valid UTF-8 is
recorded losslessly: ``path`` shows it with each undecodable byte as ``\\xNN`` (readable, valid UTF-8) and
``path_bytes`` holds the exact file-system bytes in base64 (``null`` for every other path). Every other text
field is made valid UTF-8 the same way, so no file name can stop the writer.

Writers never lose or repeat a record: JSONL and CSV rows are appended and flushed one at a time, and a
write that fails (disk full) is cut back to the last complete record before the error is raised, so the
output stays resumable. Parquet cannot be appended row by row, so a Parquet scan keeps a JSONL journal
beside it and writes the Parquet file (typed nested columns, `PARQUET_SCHEMA`) from the journal, atomically,
at the end. `scan.output` proves an existing file is a scan output and locks it before anything is appended.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from veracity.benchmarks.engine.jsonl import read_jsonl
from veracity.benchmarks.errors import BenchmarkError
from veracity.benchmarks.scan.paths import display_text, path_fields
from veracity.provenance import labels
from veracity.provenance.assets.files import write_file_atomic
from veracity.provenance.report import SCHEMA_VERSION, ErrorRecord, Report, json_line

SCAN_SCHEMA_FILE = "scan-record.schema.json"

#: Column order of every format (CSV header, Parquet schema); nested values are JSON text in CSV.
FIELDS: tuple[str, ...] = (
    "schema_version",
    "path",
    "path_bytes",
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
    base.update(schema_version=SCHEMA_VERSION, sha256=result.sha256, size=result.size, **path_fields(path))
    if isinstance(result, ErrorRecord):
        base.update(
            verdict=labels.ERROR,
            reasons=[],
            metadata_findings=[],
            timings_ms={"total": round(elapsed_ms, 3)},
            error={"kind": result.error_kind, "message": display_text(" ".join(result.message.split()))},
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
        c2pa_state=_c2pa_state(c2pa),
        c2pa_ai_declared=_c2pa_ai(c2pa) if c2pa else None,
        c2pa_signer=signer.get("organisation") or signer.get("common_name") or signer.get("issuer"),
        metadata_findings=[
            {"kind": f.kind, "implies": f.implies, "where": f.where} for f in (metadata.findings if metadata else ())
        ],
        watermark=_watermark(watermark),
        timings_ms={"total": round(elapsed_ms, 3), **{s.name: round(s.elapsed_ms, 3) for s in result.signals}},
    )
    return base


#: ``c2pa_state`` of a file the C2PA reader could not parse: nothing was read, so nothing is known absent.
UNREADABLE = "unreadable"


def _c2pa_state(signal) -> str | None:
    if signal is None:
        return None
    if signal.status == labels.SIGNAL_ERROR:
        return UNREADABLE
    return signal.details.get("state")


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


class ScanWriter:
    """Append scan records to a file descriptor, durably: one ``write`` call per record, no buffering.

    Args:
        fd: the journal (JSONL) or CSV file, opened and locked by `scan.output.ScanOutput`.
        fmt: ``jsonl`` (also a Parquet journal) or ``csv``.
        path: the file's name, for error messages.
        offset: where the next record goes (the size of the proven, complete part of the file).

    Raises (from `write`):
        ScanWriteError: the record could not be written (disk full, quota); the file was cut back to its last
            complete record, so the output stays resumable.
    """

    def __init__(self, fd: int, fmt: str, path: Path, *, offset: int) -> None:
        if fmt not in ("jsonl", "csv"):
            raise ValueError(f"Unknown scan journal format {fmt!r}. Available: jsonl, csv.")
        self.fd, self.fmt, self.path, self.offset = fd, fmt, path, offset
        self.written = 0

    def write(self, record: dict[str, Any]) -> None:
        record = sanitise(record)
        if self.fmt == "csv":
            line = io.StringIO()
            csv.DictWriter(line, fieldnames=FIELDS, lineterminator="\n").writerow(
                {k: _csv_cell(k, record.get(k)) for k in FIELDS}
            )
            text = line.getvalue()
        else:
            text = json_line(record) + "\n"
        data = text.encode("utf-8")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError as exc:
            _cut_back(self.fd, self.offset)
            raise ScanWriteError(self.path, exc) from None
        self.offset += len(data)
        self.written += 1


class ScanWriteError(BenchmarkError):
    """A record could not be written to the output (disk full, quota, I/O error)."""

    def __init__(self, path: Path, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        super().__init__(
            f"Cannot write to {path}: {reason} (errno {exc.errno}). The records written so far are complete; "
            "free some space and run the same command again to resume."
        )
        self.errno = exc.errno


def _cut_back(fd: int, size: int) -> None:
    """Drop a partly written record: truncate the file to ``size`` bytes and write from there again."""
    try:
        os.ftruncate(fd, size)
        os.lseek(fd, size, os.SEEK_SET)
    except OSError:
        pass  # the next run cuts the unfinished line instead (see scan.output)


def sanitise(value: Any) -> Any:
    """``value`` with every string made valid UTF-8 (`display_text`), so no file name can stop the writer."""
    if isinstance(value, str):
        return display_text(value)
    if isinstance(value, dict):
        return {k: sanitise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sanitise(v) for v in value]
    return value


def journal_path(path: Path, fmt: str) -> Path:
    """Where records are appended: the output itself for JSONL and CSV, a JSONL journal beside a Parquet file."""
    return path.with_name(path.name + ".journal.jsonl") if fmt == "parquet" else path


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
            yield from_csv_row(row)
        return
    yield from read_jsonl(journal_path(path, fmt))


@cache
def parquet_schema() -> Any:
    """The one Arrow schema of every Parquet scan output: typed nested columns, nulls typed too.

    Nested fields are Arrow lists and structs (not JSON text), so DuckDB reads ``error.kind``,
    ``watermark.status``, ``reasons[1]`` or ``timings_ms.total`` and pandas gets dicts and lists, with no
    JSON parsing. Every file of a run, and of every run, has exactly this schema, whatever its rows hold.
    """
    import pyarrow as pa

    text = pa.string()
    return pa.schema(
        [
            ("schema_version", text),
            ("path", text),
            ("path_bytes", text),
            ("sha256", text),
            ("size", pa.int64()),
            ("media_type", text),
            ("verdict", text),
            ("deciding_signal", text),
            ("reasons", pa.list_(text)),
            ("p_generated", pa.float64()),
            ("band", text),
            ("detector", text),
            ("c2pa_state", text),
            ("c2pa_ai_declared", pa.bool_()),
            ("c2pa_signer", text),
            ("metadata_findings", pa.list_(pa.struct([("kind", text), ("implies", text), ("where", text)]))),
            ("watermark", pa.struct([("status", text), ("findings", pa.list_(text))])),
            ("duplicate_of", text),
            ("timings_ms", pa.struct([("total", pa.float64())] + [(n.value, pa.float64()) for n in labels.SignalName])),
            ("error", pa.struct([("kind", text), ("message", text)])),
        ]
    )


def write_parquet(path: Path, records: list[dict[str, Any]]) -> None:
    """Write records as a Parquet table with `parquet_schema`, atomically.

    Raises:
        BenchmarkError: pyarrow is not installed.
        OSError: the file cannot be written (disk full): ``path`` is left as it was.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise BenchmarkError("Parquet output needs pyarrow: pip install 'veracity[parquet]'.") from exc
    schema = parquet_schema()
    rows = [{k: record.get(k) for k in FIELDS} for record in records]
    table = pa.Table.from_pylist(rows, schema=schema)
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    write_file_atomic(path, buffer.getvalue().to_pybytes())


def read_parquet_records(path: Path) -> list[dict[str, Any]]:
    """The records of a Parquet scan output, as the dicts the JSONL journal holds."""
    import pyarrow.parquet as pq

    records = pq.read_table(path).to_pylist()
    for record in records:
        if isinstance(record.get("timings_ms"), dict):
            record["timings_ms"] = {k: v for k, v in record["timings_ms"].items() if v is not None}
    return records


def _csv_cell(key: str, value: Any) -> Any:
    if key in _NESTED and value is not None:
        return json_line(value, separators=(",", ":"))
    return value


def from_csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    """A CSV row read back as the record it was written from."""
    return {k: _from_csv_cell(k, v) for k, v in row.items()}


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
