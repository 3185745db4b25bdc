"""The per-file work of a scan, the same on every engine: analyse one file, return its scan record.

Records are therefore identical whichever engine ran them (apart from timings). `scan_file` never raises
for a bad file: unreadable, corrupt or hostile input becomes an error record.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from veracity.benchmarks.scan.inputs import content_hash
from veracity.benchmarks.scan.records import scan_record
from veracity.benchmarks.scan.settings import ScanSettings
from veracity.benchmarks.scan.uris import is_uri, read_uri
from veracity.provenance.assets.inputs import InputProblem
from veracity.provenance.errors import ProvenanceError
from veracity.provenance.options import AnalysisOptions
from veracity.provenance.report import ErrorRecord

#: The error kind of a file whose worker process died even when the file was scanned alone.
WORKER_DIED = "WorkerDied"


class ScanContext:
    """Per-worker state: the detector, loaded once, and the analysis options."""

    def __init__(self, settings: ScanSettings) -> None:
        self.settings = settings
        self.options = AnalysisOptions(limits=settings.limits, signal_settings=dict(settings.signal_settings))
        self.detector = None
        if settings.detector:
            from veracity.detector.registry import create_detector

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


def _analyze_uri(uri: str, context: ScanContext) -> Any:
    from veracity.provenance.pipeline import analyze_or_error

    try:
        data = read_uri(uri, context.options.limits.max_bytes)
    except ProvenanceError as exc:
        return ErrorRecord(input=uri, error_kind=exc.kind, message=str(exc))
    return analyze_or_error(data, name=uri, detector=context.detector, options=context.options)


def died_record(path: str, message: str) -> dict[str, Any]:
    """The error record of a file whose worker died (crash, out of memory) even when scanned alone."""
    sha256, size = content_hash(path)
    error = ErrorRecord(input=path, error_kind=WORKER_DIED, message=f"{path}: {message}", sha256=sha256, size=size)
    return scan_record(error, path=path, elapsed_ms=0.0)


def problem_record(problem: InputProblem) -> dict[str, Any]:
    """The error record of an input that names no readable file (missing, a directory with nothing in it)."""
    error = ErrorRecord(input=problem.input, error_kind=problem.kind, message=problem.message)
    return scan_record(error, path=problem.input, elapsed_ms=0.0)
