"""The per-file work of a scan, the same on every engine: analyse one file, return its scan record.

Records are therefore identical whichever engine ran them (apart from timings). `scan_file` never raises
for a bad file: unreadable, corrupt or hostile input becomes an error record.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from veracity.benchmarks.scan.inputs import content_hash
from veracity.benchmarks.scan.paths import path_key
from veracity.benchmarks.scan.records import scan_record
from veracity.benchmarks.scan.settings import ScanSettings
from veracity.benchmarks.scan.uris import is_uri, read_uri
from veracity.provenance.assets.inputs import InputProblem
from veracity.provenance.errors import ProvenanceError
from veracity.provenance.options import AnalysisOptions
from veracity.provenance.report import ErrorRecord

#: The error kind of a file whose worker process died even when the file was scanned alone.
WORKER_DIED = "WorkerDied"
#: The error kind of a file whose analysis ran past the per-file time budget (its worker was replaced).
TIMED_OUT = "TimeoutError"


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
        if isinstance(result, ErrorRecord) and result.sha256 is None:
            # Refused before reading (over the byte limit, say): still record the content's hash, so that
            # resuming recognises the file (scan.plan) instead of recording it again.
            sha256, size = content_hash(path)
            result = replace(result, sha256=sha256, size=size if result.size is None else result.size)
    return scan_record(result, path=path, elapsed_ms=(time.perf_counter() - started) * 1000.0)


def _analyze_uri(uri: str, context: ScanContext) -> Any:
    from veracity.provenance.pipeline import analyze_or_error

    try:
        data = read_uri(uri, context.options.limits.max_bytes)
    except ProvenanceError as exc:
        return ErrorRecord(input=uri, error_kind=exc.kind, message=str(exc))
    return analyze_or_error(data, name=uri, detector=context.detector, options=context.options)


def died_record(path: str, message: str, kind: str = WORKER_DIED) -> dict[str, Any]:
    """The error record of a file whose worker died (crash, out of memory) or ran out of time."""
    sha256, size = content_hash(path)
    error = ErrorRecord(input=path, error_kind=kind, message=f"{path}: {message}", sha256=sha256, size=size)
    return scan_record(error, path=path, elapsed_ms=0.0)


def timeout_record(path: str, timeout_s: float) -> dict[str, Any]:
    """The error record of a file whose analysis ran past the per-file time budget."""
    message = (
        f"analysis took longer than the per-file time budget of {timeout_s:g} s; it was stopped and its worker "
        "replaced (raise the budget with --timeout or VERACITY_TIMEOUT if the file is merely large)."
    )
    return died_record(path, message, TIMED_OUT)


def problem_record(problem: InputProblem) -> dict[str, Any]:
    """The error record of an input that names no readable file (missing, a directory with nothing in it)."""
    error = ErrorRecord(input=problem.input, error_kind=problem.kind, message=problem.message)
    looks_like_path = problem.input not in ("", "-") and not problem.input.startswith("@")
    return scan_record(error, path=path_key(problem.input) if looks_like_path else problem.input, elapsed_ms=0.0)
