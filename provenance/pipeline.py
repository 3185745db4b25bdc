"""The single front door: ``analyze(path) -> Report``, used by the CLI, the benchmarks and library users.

Data flow: load the asset once, run every signal on it, fuse, report. Signals are plain functions
``(asset, options) -> SignalResult`` registered in `SIGNALS`, in report order. A signal that raises
becomes an ``error`` result and the others still run; an input that cannot be read at all (missing,
corrupt, over a limit) raises from `analyze` and becomes an `ErrorRecord` in `analyze_or_error`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from veracity.provenance import labels
from veracity.provenance.assets.asset import Asset, load_asset
from veracity.provenance.credentials.signal import read_c2pa_signal
from veracity.provenance.errors import ProvenanceError
from veracity.provenance.fusion.verdict import fuse
from veracity.provenance.metadata.signal import read_metadata_signal
from veracity.provenance.options import AnalysisOptions
from veracity.provenance.report import ErrorRecord, ImageInfo, Report
from veracity.provenance.signals import SignalResult, signal_error
from veracity.provenance.versions import package_versions
from veracity.provenance.watermark.decoder import read_watermark_signal


class PixelDetector(Protocol):
    """What `analyze` needs of an injected detector; `detector.create_detector` returns one."""

    name: str

    def score_asset(self, asset: Asset) -> SignalResult: ...


SignalFn = Callable[[Asset, AnalysisOptions], SignalResult]

#: Registered signals, in the order reports show them.
SIGNALS: dict[str, SignalFn] = {
    labels.C2PA: read_c2pa_signal,
    labels.METADATA: read_metadata_signal,
    labels.WATERMARK: read_watermark_signal,
}


def analyze(
    source: str | os.PathLike[str] | bytes,
    *,
    detector: PixelDetector | None = None,
    options: AnalysisOptions | None = None,
    name: str | None = None,
) -> Report:
    """Analyse one file: every provenance signal, the classifier when a detector is given, a fused verdict.

    Args:
        source: a path or the file's bytes.
        detector: optional pixel classifier (see `PixelDetector`); without it no classifier runs.
        options: limits and signal selection; defaults to `AnalysisOptions()`.
        name: how the report names the input (defaults to the path).

    Returns:
        The `Report`.

    Raises:
        ProvenanceError: the input could not be read or decoded (the subclass says why).

    Example:
        >>> report = analyze("photo.jpg")  # doctest: +SKIP
        >>> report.verdict.label  # doctest: +SKIP
        'inconclusive'
    """
    started = time.perf_counter()
    options = options or AnalysisOptions()
    asset = load_asset(source, name=name, limits=options.limits)
    notes: list[str] = []
    image_info = None
    if asset.media_type.has_pixels:
        try:
            decoded = asset.image  # decode now: a corrupt image is an error for the whole file
        except ProvenanceError as exc:
            exc.sha256, exc.size = asset.sha256, asset.size  # the error record keeps what was read
            raise
        image_info = ImageInfo(
            width=decoded.width,
            height=decoded.height,
            mode=decoded.original_mode,
            format=decoded.decoder_format,
            frames=decoded.frames,
            orientation=decoded.orientation,
        )
        notes.extend(decoded.notes)
    else:
        notes.append(
            f"{asset.media_type.mime} is not a still image: provenance signals apply, pixel analysis does not."
        )
    results = [_run_signal(name, fn, asset, options) for name, fn in _selected(options)]
    if detector is not None:
        results.append(_run_detector(detector, asset))
    return Report(
        input=asset.name,
        sha256=asset.sha256,
        size=asset.size,
        media_type=asset.media_type.mime,
        media_kind=asset.media_type.kind,
        image=image_info,
        signals=tuple(results),
        verdict=fuse(results),
        notes=tuple(notes),
        versions=versions(),
        elapsed_ms=(time.perf_counter() - started) * 1000.0,
    )


def analyze_or_error(
    source: str | os.PathLike[str] | bytes,
    *,
    detector: PixelDetector | None = None,
    options: AnalysisOptions | None = None,
    name: str | None = None,
) -> Report | ErrorRecord:
    """Like `analyze`, but an unreadable input becomes an `ErrorRecord` instead of an exception.

    Only veracity's own errors (and memory exhaustion) are turned into records; a bug still raises.
    """
    label = name or (str(source) if not isinstance(source, (bytes, bytearray)) else "<bytes>")
    try:
        return analyze(source, detector=detector, options=options, name=name)
    except ProvenanceError as exc:
        return ErrorRecord(
            input=label,
            error_kind=exc.kind,
            message=str(exc),
            sha256=getattr(exc, "sha256", None),
            size=getattr(exc, "size", None),
            versions=versions(),
        )
    except MemoryError:
        return ErrorRecord(
            input=label,
            error_kind="MemoryError",
            message=f"{label}: ran out of memory while analysing this file.",
            versions=versions(),
        )


def _selected(options: AnalysisOptions) -> Sequence[tuple[str, SignalFn]]:
    if options.signals is None:
        return list(SIGNALS.items())
    unknown = sorted(set(options.signals) - set(SIGNALS))
    if unknown:
        raise ValueError(f"Unknown signal(s) {unknown}. Available: {', '.join(SIGNALS)}.")
    return [(name, SIGNALS[name]) for name in SIGNALS if name in options.signals]


def _run_signal(name: str, fn: SignalFn, asset: Asset, options: AnalysisOptions) -> SignalResult:
    started = time.perf_counter()
    try:
        result = fn(asset, options)
    except (ProvenanceError, ValueError, OSError, KeyError, TypeError, MemoryError) as exc:
        # A signal's own failure must not cost the other signals or the batch.
        result = signal_error(name, exc)
    return _timed(result, started)


def _run_detector(detector: PixelDetector, asset: Asset) -> SignalResult:
    started = time.perf_counter()
    try:
        result = detector.score_asset(asset)
    except (ProvenanceError, ValueError, OSError, RuntimeError, MemoryError) as exc:
        result = signal_error(labels.CLASSIFIER, exc)
    return _timed(result, started)


def _timed(result: SignalResult, started: float) -> SignalResult:
    if result.elapsed_ms:
        return result
    return replace(result, elapsed_ms=(time.perf_counter() - started) * 1000.0)


def versions() -> dict[str, str]:
    """Versions of veracity and of the libraries whose behaviour shapes a report."""
    return package_versions(("veracity", "c2pa-python", "pillow"))
