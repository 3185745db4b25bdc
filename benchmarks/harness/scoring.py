"""The per-file unit of work of a benchmark, run inside engine workers.

`score_sample` reads one file once, applies each requested perturbation chain (seeded by run seed, file
sha256 and chain) and scores the result with each requested detector. Feature detectors return their
feature vector only: the engine's parent process runs their linear model in batches. File detectors
(provenance, full pipeline) and any other detector return P(generated) directly.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from veracity.benchmarks.errors import PerturbationError
from veracity.benchmarks.harness.perturbations import IDENTITY, apply_chain, decode
from veracity.detector.capabilities import Capability, can
from veracity.detector.errors import DetectorError
from veracity.provenance.errors import ProvenanceError

# Failures of one file under one condition; anything else is a bug and surfaces as the task's error.
SCORING_ERRORS = (ProvenanceError, DetectorError, PerturbationError, ValueError, OSError, RuntimeError, MemoryError)


@dataclass(frozen=True)
class DetectorSpec:
    """How a worker builds one detector: per-fold checkpoints (key ``None``: the same model for every fold)."""

    name: str
    checkpoints: dict[int | None, str | None]
    overrides: dict[str, Any] = field(default_factory=dict)
    pixel: DetectorSpec | None = None  # the pixel detector of ``veracity.pipeline``


def perturbation_rng(seed: int, sha256: str, chain: str) -> np.random.Generator:
    """The generator for one (file, chain): the same on every run with the same seed."""
    return np.random.default_rng([seed, int(sha256[:16], 16), zlib.crc32(chain.encode())])


def build_detector(spec: DetectorSpec, fold: int | None) -> Any:
    from veracity.detector.registry import create_detector

    checkpoint = spec.checkpoints.get(fold, spec.checkpoints.get(None))
    if spec.pixel is not None:
        from veracity.benchmarks.harness.pipeline_detectors import create_pipeline_detector

        return create_pipeline_detector(pixel=build_detector(spec.pixel, fold), **spec.overrides)
    return create_detector(spec.name, checkpoint=checkpoint, **spec.overrides)


class DetectorCache:
    """Detectors built on first use per (name, fold), kept for the worker's life."""

    def __init__(self, specs: dict[str, DetectorSpec]) -> None:
        self.specs = specs
        self._built: dict[tuple[str, int | None], Any] = {}

    def get(self, name: str, fold: int | None) -> Any:
        spec = self.specs[name]
        key = (name, fold if len(spec.checkpoints) > 1 or spec.pixel else None)
        if key not in self._built:
            self._built[key] = build_detector(spec, key[1])
        return self._built[key]


def init_context(specs: dict[str, DetectorSpec], seed: int) -> dict[str, Any]:
    """Worker context: the detector cache and the seed."""
    return {"detectors": DetectorCache(specs), "seed": seed}


def read_checked(path: str, sha256: str | None) -> bytes:
    data = Path(path).read_bytes()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise OSError(f"{path} changed while the benchmark ran (sha256 differs). Rerun to pick up the new file.")
    return data


def score_sample(payload: dict[str, Any], context: dict[str, Any]) -> list[dict[str, Any]]:
    """Score one file under every requested (perturbation, detector) condition.

    Args:
        payload: ``{"path", "sha256", "fold", "conditions": [[chain, [detector, ...]], ...]}``.
        context: from `init_context`.

    Returns:
        One partial row per condition: perturbation, detector, and either ``p_generated`` (+ ``signals``),
        ``features`` (an ndarray for the batched model) or ``error``; plus ``elapsed_ms``.
    """
    data = read_checked(payload["path"], payload["sha256"])
    detectors: DetectorCache = context["detectors"]
    rows = []
    for chain, names in payload["conditions"]:
        started = time.perf_counter()
        try:
            rng = perturbation_rng(context["seed"], payload["sha256"], chain)
            perturbed = data if chain == IDENTITY else apply_chain(data, chain, rng)
        except SCORING_ERRORS as exc:
            rows.extend(_error_row(chain, name, exc, started) for name in names)
            continue
        shared = _SharedAnalysis(perturbed, [detectors.get(n, payload["fold"]) for n in names])
        for name in names:
            t0 = time.perf_counter()
            row: dict[str, Any] = {"perturbation": chain, "detector": name, "error": None, "signals": None}
            try:
                detector = detectors.get(name, payload["fold"])
                if can(detector, Capability.EXTRACT_FEATURES):
                    row["features"] = detector.features(shared.pixels())
                elif can(detector, Capability.SCORE_FILE):
                    row["p_generated"], row["signals"] = detector.score_report(shared.report(detector))
                else:
                    row["p_generated"] = float(detector.p_generated([shared.pixels()])[0])
            except SCORING_ERRORS as exc:
                row = _error_row(chain, name, exc, t0)
            row["elapsed_ms"] = (time.perf_counter() - t0) * 1000.0
            rows.append(row)
    return rows


class _PixelTap:
    """Stands in as `analyze`'s detector to keep the pixels it decoded, then lets the real one score."""

    def __init__(self, pixel: Any) -> None:
        self.pixel = pixel
        self.name = pixel.name if pixel is not None else "pixel-tap"
        self.pixels: Any = None

    def score_asset(self, asset: Any) -> Any:
        from veracity.provenance import labels
        from veracity.provenance.signals import not_applicable

        if asset.media_type.has_pixels:
            self.pixels = asset.image.pixels
        if self.pixel is None:
            return not_applicable(labels.CLASSIFIER, "no pixel detector in this benchmark condition")
        return self.pixel.score_asset(asset)


class _SharedAnalysis:
    """One decode and one `analyze` per perturbed file, shared by every detector of the condition."""

    def __init__(self, data: bytes, detectors: list[Any]) -> None:
        self.data = data
        pixels = [d.pixel for d in detectors if can(d, Capability.SCORE_FILE) and d.pixel is not None]
        self.tap = _PixelTap(pixels[0] if pixels else None)
        self._report: Any = None

    def report(self, detector: Any) -> Any:
        from veracity.provenance.pipeline import analyze

        if detector.pixel is not None and detector.pixel is not self.tap.pixel:
            return analyze(self.data, detector=detector.pixel)  # a second pixel detector: its own analysis
        if self._report is None:
            self._report = analyze(self.data, detector=self.tap)
        return self._report

    def pixels(self) -> Any:
        if self.tap.pixels is None and self._report is None and self.tap.pixel is not None:
            self.report(_NeedsTap)  # the pipeline will decode anyway: decode once, there
        return self.tap.pixels if self.tap.pixels is not None else decode(self.data)


class _NeedsTap:
    pixel = None


def _error_row(chain: str, name: str, exc: BaseException, started: float) -> dict[str, Any]:
    return {
        "perturbation": chain,
        "detector": name,
        "p_generated": None,
        "signals": None,
        "error": f"{type(exc).__name__}: {exc}",
        "elapsed_ms": (time.perf_counter() - started) * 1000.0,
    }


def features_of(payload: dict[str, Any], context: dict[str, Any]) -> dict[str, np.ndarray]:
    """Features of the original file for each named feature detector (the fitting pass)."""
    data = read_checked(payload["path"], payload["sha256"])
    image = decode(data)
    detectors: DetectorCache = context["detectors"]
    return {name: detectors.get(name, None).features(image) for name in payload["detectors"]}
