"""`run_scan`: score many files unattended, resumably, with one record per file and nothing lost.

Flow: expand the inputs → skip files already recorded in the output (same path and same content hash)
→ with ``dedupe``, score each distinct content once → run the per-file work on an engine (the local
worker pool of `veracity.benchmarks.engine.pool`, or Ray Data) → write each record as it arrives → summary.

The per-file work is `scan_file`, the same function on every engine, so records are identical whichever
engine ran them (apart from timings).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from veracity.benchmarks.engine.pool import Engine, Progress
from veracity.benchmarks.errors import BenchmarkError
from veracity.benchmarks.scan.records import FORMATS, ScanWriter, journal_path, read_records, record_key, scan_record
from veracity.benchmarks.scan.uris import expand_uri, is_uri, read_uri
from veracity.provenance import labels
from veracity.provenance.assets.asset import Limits
from veracity.provenance.assets.hashing import sha256_bytes, sha256_file
from veracity.provenance.assets.inputs import InputProblem, iter_inputs
from veracity.provenance.report import SCHEMA_VERSION, ErrorRecord

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class ScanSettings:
    """What each worker needs to analyse a file: picklable, built once per run.

    Attributes:
        detector: detector name or path for `detector.create_detector`, or ``None`` for no classifier.
        device: ``cpu`` or ``cuda``.
        threshold: override of the detector's decision threshold, or ``None``.
        limits: byte and pixel limits.
        signal_settings: per-signal settings (trust anchors, ...), as in `AnalysisOptions`.
        crash_marker: test hook (``VERACITY_TEST_CRASH_MARKER``): a worker dies like a crashing decoder
            on a file whose name contains this text. Used only by the tests of crash isolation.
    """

    detector: str | None = None
    device: str = "cpu"
    threshold: float | None = None
    limits: Limits = field(default_factory=Limits.from_env)
    signal_settings: dict[str, Any] = field(default_factory=dict)
    crash_marker: str | None = field(default_factory=lambda: os.environ.get("VERACITY_TEST_CRASH_MARKER") or None)


@dataclass
class ScanSummary:
    """Counts and throughput of one scan."""

    output: str
    engine: str
    total_inputs: int = 0
    skipped_done: int = 0
    scanned: int = 0
    duplicates: int = 0
    written: int = 0
    errors: int = 0
    worker_deaths: int = 0
    verdicts: Counter = field(default_factory=Counter)
    elapsed_s: float = 0.0
    engine_stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rate = self.scanned / self.elapsed_s if self.elapsed_s > 0 else None
        return {
            "schema_version": SCHEMA_VERSION,
            "output": self.output,
            "engine": self.engine,
            "total_inputs": self.total_inputs,
            "skipped_already_done": self.skipped_done,
            "scanned": self.scanned,
            "duplicates": self.duplicates,
            "records_written": self.written,
            "errors": self.errors,
            "worker_deaths": self.worker_deaths,
            "verdicts": dict(sorted(self.verdicts.items())),
            "elapsed_s": round(self.elapsed_s, 3),
            "files_per_s": round(rate, 3) if rate else None,
            "engine_stats": self.engine_stats,
        }


class ScanContext:
    """Per-worker state: the detector, loaded once, and the analysis options."""

    def __init__(self, settings: ScanSettings) -> None:
        from veracity.provenance.options import AnalysisOptions

        self.settings = settings
        self.options = AnalysisOptions(limits=settings.limits, signal_settings=dict(settings.signal_settings))
        self.detector = None
        if settings.detector:
            from veracity.detector import create_detector

            overrides = {"threshold": settings.threshold} if settings.threshold is not None else {}
            self.detector = create_detector(settings.detector, device=settings.device, **overrides)


def init_scan_context(settings: ScanSettings) -> ScanContext:
    return ScanContext(settings)


def scan_file(path: str, context: ScanContext) -> dict[str, Any]:
    """Analyse one file and return its scan record; never raises for a bad file."""
    from veracity.provenance.pipeline import analyze_or_error

    marker = context.settings.crash_marker
    if marker and marker in Path(path).name:
        os._exit(86)  # the test hook: die like a segfaulting decoder would
    started = time.perf_counter()
    if is_uri(path):
        result = _analyze_uri(path, context)
    else:
        result = analyze_or_error(path, detector=context.detector, options=context.options)
    return scan_record(result, path=path, elapsed_ms=(time.perf_counter() - started) * 1000.0)


def _analyze_uri(uri: str, context: ScanContext):
    from veracity.provenance.errors import ProvenanceError
    from veracity.provenance.pipeline import analyze_or_error

    try:
        data = read_uri(uri, context.options.limits.max_bytes)
    except ProvenanceError as exc:
        return ErrorRecord(input=uri, error_kind=exc.kind, message=str(exc))
    return analyze_or_error(data, name=uri, detector=context.detector, options=context.options)


def died_record(path: str, message: str) -> dict[str, Any]:
    """The error record of a file whose worker died (crash, out of memory) even when scanned alone."""
    sha256, size = _hash_or_none(path)
    error = ErrorRecord(input=path, error_kind="WorkerDied", message=f"{path}: {message}", sha256=sha256, size=size)
    return scan_record(error, path=path, elapsed_ms=0.0)


def run_scan(
    inputs: Iterable[str],
    output: str | Path,
    *,
    fmt: str | None = None,
    settings: ScanSettings | None = None,
    engine: str = "local",
    workers: int = 2,
    dedupe: bool = False,
    only: tuple[str, ...] = (),
    overwrite: bool = False,
    ray_address: str | None = None,
    stdin: TextIO | None = None,
    progress: Progress | None = None,
    task_timeout_s: float | None = 600.0,
    rows_per_block: int = 8,
) -> ScanSummary:
    """Scan ``inputs`` into ``output``; resume from an existing output unless ``overwrite``.

    Args:
        inputs: paths, directories, globs, ``@list`` files, ``-`` (see `provenance.assets.inputs.iter_inputs`), and
            object-storage URIs (``s3://bucket/prefix/``, ``file:///data/x.jpg``; see `veracity.benchmarks.scan.uris`).
        output: the record file; its extension picks the format unless ``fmt`` is given.
        fmt: ``jsonl``, ``csv`` or ``parquet``.
        settings: detector and analysis settings for the workers.
        engine: ``local`` (worker processes here) or ``ray`` (Ray Data, local or ``ray_address``).
        workers: worker processes (local) or actors (ray); each runs single-threaded.
        dedupe: score identical content once; repeats get a record with ``duplicate_of``.
        only: write records only for these verdict labels (others are kept in a journal for resuming).
        overwrite: start afresh instead of resuming (the old output is replaced, never appended to).
        ray_address: an existing Ray cluster (``None``: ``RAY_ADDRESS`` or a private local instance).
        stdin: where ``-`` reads paths.
        progress: progress reporter on stderr (``None``: silent).
        task_timeout_s: a file taking longer than this is an error (local engine).
        rows_per_block: files per Ray block; a crashed actor loses (and we rescan) at most one block.

    Returns:
        The `ScanSummary`.

    Raises:
        BenchmarkError: bad arguments (unknown engine or format), or the engine is not installed.
    """
    output = Path(output)
    fmt = fmt or _format_from_name(output)
    if engine not in ENGINES:
        raise BenchmarkError(f"Unknown engine {engine!r}. Available: {', '.join(ENGINES)}.")
    settings = settings or ScanSettings()
    if overwrite:
        for stale in {output, journal_path(output, fmt), _skipped_path(output)}:
            stale.unlink(missing_ok=True)
    started = time.perf_counter()
    summary = ScanSummary(output=str(output), engine=engine)
    done = _done_keys(output, fmt)
    plan = _plan(_expand_inputs(inputs, stdin or sys.stdin), done, dedupe, summary)
    with ScanWriter(output, fmt) as writer, ScanWriter(_skipped_path(output), "jsonl") as skipped:

        def emit(record: dict[str, Any]) -> None:
            summary.written += 1
            summary.errors += record["verdict"] == labels.ERROR
            summary.verdicts[record["verdict"]] += 1
            (writer if not only or record["verdict"] in only else skipped).write(record)

        for problem in plan.problems:
            emit(_problem_record(problem))
        if progress is not None:
            progress.total = len(plan.tasks)
        results = _run_engine(
            engine,
            plan.tasks,
            settings,
            workers,
            ray_address,
            progress,
            task_timeout_s,
            summary,
            rows_per_block,
            output.with_name(output.name + ".ray-processes.json"),
        )
        for path, record in results:
            summary.scanned += 1
            emit(record)
            for repeat in plan.repeats.pop(path, []):
                summary.duplicates += 1
                emit(_duplicate_record(record, repeat))
    if not only:
        _skipped_path(output).unlink(missing_ok=True)
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _expand_inputs(inputs: Iterable[str], stdin: TextIO) -> Iterator[Path | str | InputProblem]:
    """Local inputs through `iter_inputs`, object-storage URIs through `expand_uri`, in the given order."""
    local: list[str] = []
    for raw in inputs:
        if not is_uri(raw):
            local.append(raw)
            continue
        yield from iter_inputs(local, stdin=stdin)
        local = []
        expanded = expand_uri(raw)
        yield from ([expanded] if isinstance(expanded, InputProblem) else expanded)
    yield from iter_inputs(local, stdin=stdin)


@dataclass
class _Plan:
    tasks: list[str] = field(default_factory=list)
    repeats: dict[str, list[str]] = field(default_factory=dict)  # first path -> later paths with its content
    problems: list[InputProblem] = field(default_factory=list)


def _plan(
    items: Iterator[Path | str | InputProblem], done: set[tuple[str, str | None]], dedupe: bool, summary
) -> _Plan:
    plan = _Plan()
    done_paths = {path for path, _ in done}
    first_by_hash: dict[str, str] = {}
    for item in items:
        summary.total_inputs += 1
        if isinstance(item, InputProblem):
            if (item.input, None) in done:
                summary.skipped_done += 1
            else:
                plan.problems.append(item)
            continue
        path = str(item)
        sha256 = None
        if path in done_paths or dedupe:
            sha256, _ = _hash_or_none(path)
            if (path, sha256) in done:  # same path, same content: already recorded
                summary.skipped_done += 1
                continue
        if dedupe and sha256 is not None:
            if sha256 in first_by_hash:
                plan.repeats.setdefault(first_by_hash[sha256], []).append(path)
                continue
            first_by_hash[sha256] = path
        plan.tasks.append(path)
    return plan


def _run_engine(
    engine, tasks, settings, workers, ray_address, progress, task_timeout_s, summary, rows_per_block, state_file=None
):
    if engine == "ray":
        from veracity.benchmarks.scan.ray_engine import run_on_ray

        yield from run_on_ray(
            tasks,
            settings,
            workers=workers,
            address=ray_address,
            progress=progress,
            summary=summary,
            rows_per_block=rows_per_block,
            state_file=state_file,
        )
        return
    pool = Engine(
        scan_file,
        init=init_scan_context,
        init_args=(settings,),
        workers=workers,
        task_timeout_s=task_timeout_s,
        progress=progress,
    )
    died: list[str] = []
    for result in pool.map((path, path) for path in tasks):
        if result.error is None:
            yield result.task_id, result.value
        elif result.error.startswith("WorkerDied"):
            died.append(result.task_id)  # maybe its neighbour's fault (memory): retry it alone first
        else:  # a bug in the per-file work: record it with the first line of the traceback
            yield result.task_id, died_record(result.task_id, "analysis failed: " + result.error.splitlines()[0])
    summary.worker_deaths = pool.stats.n_worker_deaths
    summary.engine_stats = pool.stats.to_dict()
    yield from rescan_isolated(died, settings, None, summary)


def rescan_isolated(paths: list[str], settings: ScanSettings, progress: Progress | None, summary: ScanSummary | None):
    """Scan each file alone in a fresh worker process: a file that still kills it gets an error record."""
    for path in paths:
        pool = Engine(scan_file, init=init_scan_context, init_args=(settings,), workers=1, task_timeout_s=600.0)
        (result,) = list(pool.map([(path, path)]))
        if summary is not None:
            summary.worker_deaths += pool.stats.n_worker_deaths
        if result.error is None:
            record = result.value
        else:
            record = died_record(path, result.error.split(": ", 1)[-1].splitlines()[0] + " (also when scanned alone)")
        if progress is not None:
            progress.update(1, int(record["verdict"] == labels.ERROR))
        yield path, record


def _done_keys(output: Path, fmt: str) -> set[tuple[str, str | None]]:
    """Keys of the records an earlier run wrote; an output that is not a scan output is refused, never touched."""
    try:
        records = [*read_records(output, fmt), *read_records(_skipped_path(output), "jsonl")]
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        raise BenchmarkError(
            f"{output} exists and is not a veracity scan output; it was left untouched. "
            f"Choose another output, or pass --overwrite to replace it. ({type(exc).__name__}: {exc})"
        ) from exc
    if any("path" not in r or "schema_version" not in r for r in records):
        raise BenchmarkError(
            f"{output} exists and is not a veracity scan output; it was left untouched. "
            "Choose another output, or pass --overwrite to replace it."
        )
    return {record_key(r) for r in records}


def _skipped_path(output: Path) -> Path:
    return output.with_name(output.name + ".unlisted.jsonl")


def _format_from_name(output: Path) -> str:
    suffix = output.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    if suffix in ("json", "ndjson", ""):
        return "jsonl"
    raise BenchmarkError(
        f"Cannot tell the output format from {output.name!r}. Use a .jsonl, .csv or .parquet name, or --format."
    )


def _hash_or_none(path: str) -> tuple[str | None, int | None]:
    if is_uri(path):
        from veracity.provenance.errors import ProvenanceError

        try:
            data = read_uri(path, Limits.from_env().max_bytes)
        except ProvenanceError:
            return None, None
        return sha256_bytes(data), len(data)
    try:
        return sha256_file(path), os.path.getsize(path)
    except OSError:
        return None, None


def _problem_record(problem: InputProblem) -> dict[str, Any]:
    error = ErrorRecord(input=problem.input, error_kind=problem.kind, message=problem.message)
    return scan_record(error, path=problem.input, elapsed_ms=0.0)


def _duplicate_record(first: dict[str, Any], path: str) -> dict[str, Any]:
    record = dict(first)
    record.update(path=path, duplicate_of=first["path"], timings_ms={"total": 0.0})
    return record
