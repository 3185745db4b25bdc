"""The library's front door for one file: `check` gives the same answer as ``veracity check``.

`provenance.pipeline.analyze` runs a classifier only when one is injected (the provenance package never
imports a detector); `check` injects the shipped default unless told otherwise, exactly as the CLI does,
and keeps each loaded detector for the life of the process.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from veracity.provenance.options import AnalysisOptions
from veracity.provenance.report import ErrorRecord, Report

#: ``detector=DEFAULT`` (the default) means the shipped default model, as ``veracity check`` uses.
DEFAULT = "default"


def check(
    source: str | os.PathLike[str] | bytes,
    *,
    detector: Any = DEFAULT,
    options: AnalysisOptions | None = None,
    name: str | None = None,
) -> Report:
    """Analyse one file (a path or its bytes) as ``veracity check`` does.

    Args:
        source: a path or the file's bytes.
        detector: ``DEFAULT`` (the shipped model), a detector name or folder path, a detector object, or
            ``None`` for provenance signals only.
        options: limits, signals and trust settings; defaults to `AnalysisOptions()`.
        name: how the report names the input (defaults to the path; ``<bytes>`` for bytes).

    Returns:
        The `Report`, the same JSON as ``veracity check --format json`` prints.

    Raises:
        ProvenanceError: the input could not be read or decoded (the subclass says why).
        DetectorError: ``detector`` names no detector or its weights fail their check.

    Example:
        >>> import veracity
        >>> report = veracity.check("photo.jpg")  # doctest: +SKIP
        >>> report.verdict.label, report.verdict.deciding_signal  # doctest: +SKIP
        ('likely-real', 'classifier')
    """
    from veracity.provenance.pipeline import analyze

    return analyze(source, detector=resolve_detector(detector), options=options, name=name)


def check_or_error(
    source: str | os.PathLike[str] | bytes,
    *,
    detector: Any = DEFAULT,
    options: AnalysisOptions | None = None,
    name: str | None = None,
) -> Report | ErrorRecord:
    """Like `check`, but an unreadable input becomes an `ErrorRecord` instead of an exception."""
    from veracity.provenance.pipeline import analyze_or_error

    return analyze_or_error(source, detector=resolve_detector(detector), options=options, name=name)


def resolve_detector(detector: Any = DEFAULT) -> Any:
    """A ready detector for ``detector`` (see `check`), loaded once per process; ``None`` stays ``None``."""
    if detector is None or not isinstance(detector, str):
        return detector
    return _load(_default_name() if detector == DEFAULT else detector)


def _default_name() -> str:
    from veracity.detector.default import DEFAULT_DETECTOR

    return DEFAULT_DETECTOR


@cache
def _load(name: str) -> Any:
    from veracity.detector.registry import create_detector

    return create_detector(name)
