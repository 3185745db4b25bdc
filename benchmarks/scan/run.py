"""`run_scan`: score many files unattended, resumably, with one record per file and nothing lost.

Flow: lock and prove the output (`output.ScanOutput`) -> expand the inputs (`inputs`) -> skip files already
recorded in the output (`plan`, keyed on normalised path and content hash) -> with ``dedupe``, score each
distinct content once -> run the per-file work (`worker.scan_file`) on an engine (`engines`), each file under
the time budget -> write each record as it arrives (`records.ScanWriter`) -> summary (`summary`).
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from veracity.benchmarks.engine.progress import Progress
from veracity.benchmarks.errors import BenchmarkError
from veracity.benchmarks.scan.engines import create_engine
from veracity.benchmarks.scan.inputs import expand_inputs
from veracity.benchmarks.scan.output import ScanOutput
from veracity.benchmarks.scan.paths import path_fields
from veracity.benchmarks.scan.plan import done_keys, plan_scan
from veracity.benchmarks.scan.settings import OutputFormat, ScanOptions
from veracity.benchmarks.scan.summary import ScanSummary
from veracity.benchmarks.scan.worker import problem_record
from veracity.provenance import labels


def run_scan(
    inputs: list[str] | tuple[str, ...],
    output: str | Path,
    options: ScanOptions | None = None,
    *,
    stdin: TextIO | None = None,
    progress: Progress | None = None,
) -> ScanSummary:
    """Scan ``inputs`` into ``output``; resume from an existing output unless ``options.overwrite``.

    Args:
        inputs: paths, directories, globs, ``@list`` files, ``-`` (see `provenance.assets.inputs.iter_inputs`),
            and object-storage URIs (``s3://bucket/prefix/``, ``file:///data/x.jpg``; see `scan.uris`).
        output: the record file; its extension picks the format unless ``options.fmt`` is given.
        options: engine, workers, dedupe, filters and what each worker does (`ScanOptions`).
        stdin: where ``-`` reads paths (default: ``sys.stdin``).
        progress: progress reporter on stderr (``None``: silent).

    Returns:
        The `ScanSummary`.

    Raises:
        BenchmarkError: bad options, an output that is not a scan output (`ForeignOutputError`), an output
            another scan is writing (`ScanOutputBusyError`), an output that cannot be written (`ScanWriteError`:
            disk full; what was written is complete and the same call resumes), or an engine not installed.

    Example:
        >>> summary = run_scan(["uploads/"], "results.jsonl", ScanOptions(workers=2))  # doctest: +SKIP
    """
    options = options or ScanOptions()
    output = Path(output)
    fmt = options.fmt or format_from_name(output)
    started = time.perf_counter()
    summary = ScanSummary(output=str(output), engine=options.engine)
    engine = create_engine(options, output)
    with ScanOutput(output, fmt, overwrite=options.overwrite, only=bool(options.only)) as records:
        plan = plan_scan(
            expand_inputs(inputs, stdin or sys.stdin), done_keys(records.previous), options.dedupe, summary
        )
        if progress is not None:
            progress.total = plan.n_records

        def emit(record: dict[str, Any]) -> None:
            error = record["verdict"] == labels.ERROR
            listed = not options.only or record["verdict"] in options.only
            records.write(record, listed=listed)
            summary.written += listed
            summary.set_aside += not listed
            summary.errors += error
            summary.verdicts[record["verdict"]] += 1
            if progress is not None:
                progress.update(1, int(error))

        for problem in plan.problems:
            emit(problem_record(problem))
        with contextlib.closing(engine.run(plan.tasks, options.settings, summary)) as results:
            for path, record in results:
                summary.scanned += 1
                emit(record)
                for repeat in plan.repeats.pop(path, []):
                    summary.duplicates += 1
                    emit(_duplicate_record(record, repeat))
    if progress is not None:
        progress.close()
    summary.elapsed_s = time.perf_counter() - started
    return summary


def format_from_name(output: Path) -> OutputFormat:
    """The output format its file name implies.

    Raises:
        BenchmarkError: the extension names no known format.
    """
    suffix = output.suffix.lower().lstrip(".")
    if suffix in OutputFormat.__members__.values():
        return OutputFormat(suffix)
    if suffix in ("json", "ndjson", ""):
        return OutputFormat.JSONL
    raise BenchmarkError(
        f"Cannot tell the output format from {output.name!r}. Use a .jsonl, .csv or .parquet name, or --format."
    )


def _duplicate_record(first: dict[str, Any], path: str) -> dict[str, Any]:
    record = dict(first)
    record.update(path_fields(path), duplicate_of=first["path"], timings_ms={"total": 0.0})
    return record
