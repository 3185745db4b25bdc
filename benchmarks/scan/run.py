"""`run_scan`: score many files unattended, resumably, with one record per file and nothing lost.

Flow: expand the inputs (`inputs`) -> skip files already recorded in the output (`plan`) -> with
``dedupe``, score each distinct content once -> run the per-file work (`worker.scan_file`) on an engine
(`engines`) -> write each record as it arrives (`records.ScanWriter`) -> summary (`summary`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from veracity.benchmarks.engine.progress import Progress
from veracity.benchmarks.errors import BenchmarkError
from veracity.benchmarks.scan.engines import create_engine
from veracity.benchmarks.scan.inputs import expand_inputs
from veracity.benchmarks.scan.plan import done_keys, plan_scan
from veracity.benchmarks.scan.records import ScanWriter, journal_path
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
        BenchmarkError: bad options, an output that is not a scan output, or an engine not installed.

    Example:
        >>> summary = run_scan(["uploads/"], "results.jsonl", ScanOptions(workers=2))  # doctest: +SKIP
    """
    options = options or ScanOptions()
    output = Path(output)
    fmt = options.fmt or format_from_name(output)
    side_journal = unlisted_path(output)
    if options.overwrite:
        for stale in {output, journal_path(output, fmt), side_journal}:
            stale.unlink(missing_ok=True)
    started = time.perf_counter()
    summary = ScanSummary(output=str(output), engine=options.engine)
    done = done_keys(output, fmt, side_journal)
    plan = plan_scan(expand_inputs(inputs, stdin or sys.stdin), done, options.dedupe, summary)
    engine = create_engine(options, output)
    with ScanWriter(output, fmt) as writer, ScanWriter(side_journal, OutputFormat.JSONL) as unlisted:

        def emit(record: dict[str, Any]) -> None:
            summary.written += 1
            summary.errors += record["verdict"] == labels.ERROR
            summary.verdicts[record["verdict"]] += 1
            listed = not options.only or record["verdict"] in options.only
            (writer if listed else unlisted).write(record)

        for problem in plan.problems:
            emit(problem_record(problem))
        if progress is not None:
            progress.total = len(plan.tasks)
        for path, record in engine.run(plan.tasks, options.settings, progress, summary):
            summary.scanned += 1
            emit(record)
            for repeat in plan.repeats.pop(path, []):
                summary.duplicates += 1
                emit(_duplicate_record(record, repeat))
    if not options.only:
        side_journal.unlink(missing_ok=True)
    summary.elapsed_s = time.perf_counter() - started
    return summary


def unlisted_path(output: Path) -> Path:
    """The side journal of records ``--only`` left out of the output (kept so resuming still skips them)."""
    return output.with_name(output.name + ".unlisted.jsonl")


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
    record.update(path=path, duplicate_of=first["path"], timings_ms={"total": 0.0})
    return record
