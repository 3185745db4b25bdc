"""Detectors that score whole files through `veracity.provenance.pipeline.analyze`, for side-by-side benchmarks.

- ``provenance.signals``: the provenance signals alone (C2PA, metadata, watermark), no pixels. A file that
  declares generative AI scores 1.0, an AI edit 0.9, a trusted capture 0.0, anything else 0.5 (no
  evidence either way: absence of provenance is never evidence, so these files sit at the midpoint).
- ``veracity.pipeline``: the full pipeline with a pixel detector injected; declared provenance decides as
  in `veracity.provenance.fusion.verdict.fuse`, otherwise the classifier's P(generated).

They live here, not in ``detector/``, because ``detector`` knows nothing of provenance (STYLE.md §1).
Their natural input is the file (``score_file``); ``predict_proba`` on PIL images re-encodes each image as
PNG with whatever text metadata the image still carries.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from veracity.detector.base import BaseDetector, proba_from_p
from veracity.detector.capabilities import Capability
from veracity.detector.config import DetectorCfg
from veracity.detector.default import DEFAULT_DETECTOR
from veracity.detector.registry import create_detector
from veracity.provenance import labels

PROVENANCE_CFG = DetectorCfg(
    name="provenance.signals",
    threshold=0.75,  # only declared generation or AI edits count as generated
    bands=(0.25, 0.75),
    notes="Provenance signals only: declared generation 1.0, AI edit 0.9, trusted capture 0.0, else 0.5.",
)
PIPELINE_CFG = DetectorCfg(
    name="veracity.pipeline",
    notes="Full pipeline: declared provenance first, else the injected pixel detector's P(generated).",
    params={"pixel_detector": DEFAULT_DETECTOR},  # what `veracity check` runs
)
_VERDICT_SCORES = {labels.GENERATED: 1.0, labels.AI_EDITED: 0.9, labels.CAPTURED: 0.0}


def summarize_report(report: Any) -> dict[str, Any]:
    """The compact per-sample record of a report: verdict, decider and each signal's status."""
    return {
        "verdict": report.verdict.label,
        "deciding_signal": report.verdict.deciding_signal,
        "signals": {s.name: s.status for s in report.signals},
    }


class FileDetector(BaseDetector):
    """A detector whose unit is the file; `score_file` returns P(generated) and the signals summary.

    ``score_report`` scores a report already made, so a benchmark analyses each file once for several
    of these detectors (`provenance.signals` ignores the classifier signal of a shared report).
    """

    capabilities = BaseDetector.capabilities | {Capability.SCORE_FILE}
    #: the pixel detector `analyze` must be given for this detector's report (``None``: none needed)
    pixel: Any = None

    def score_file(self, data: bytes) -> tuple[float, dict[str, Any]]:
        from veracity.provenance.pipeline import analyze

        return self.score_report(analyze(data, detector=self.pixel))

    def score_report(self, report: Any) -> tuple[float, dict[str, Any]]:
        raise NotImplementedError

    def _predict_proba(self, images: list[Image.Image]) -> np.ndarray:
        return proba_from_p([self.score_file(_png_bytes(im))[0] for im in images])


class ProvenanceDetector(FileDetector):
    """The provenance signals turned into a score (no pixel model)."""

    def score_report(self, report: Any) -> tuple[float, dict[str, Any]]:
        from veracity.provenance.fusion.verdict import fuse

        signals = [s for s in report.signals if s.name != labels.CLASSIFIER]
        verdict = fuse(signals)
        summary = {
            "verdict": verdict.label,
            "deciding_signal": verdict.deciding_signal,
            "signals": {s.name: s.status for s in signals},
        }
        return _VERDICT_SCORES.get(verdict.label, 0.5), summary


class PipelineDetector(FileDetector):
    """The whole veracity pipeline: provenance first, then the injected pixel detector."""

    def __init__(self, cfg: DetectorCfg, pixel: Any) -> None:
        super().__init__(cfg)
        self.pixel = pixel

    @property
    def checkpoint_sha256(self) -> str | None:  # the pipeline's state is its pixel detector's
        return self.pixel.checkpoint_sha256

    def score_report(self, report: Any) -> tuple[float, dict[str, Any]]:
        if report.verdict.label in _VERDICT_SCORES:
            p = _VERDICT_SCORES[report.verdict.label]
        else:
            classifier = report.signal(labels.CLASSIFIER)
            p = classifier.p_generated if classifier and classifier.p_generated is not None else 0.5
        summary = summarize_report(report)
        summary["pixel_detector"] = self.pixel.name
        return float(p), summary


def _png_bytes(image: Image.Image) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in image.info.items():
        if isinstance(value, str):
            info.add_text(key, value)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "PNG", pnginfo=info, exif=image.info.get("exif", b""))
    return buffer.getvalue()


def create_provenance_detector(*, checkpoint: str | None = None, device: str = "cpu", **overrides: Any):
    return ProvenanceDetector(PROVENANCE_CFG.replace(**overrides))


def create_pipeline_detector(
    *, checkpoint: str | None = None, device: str = "cpu", pixel: Any = None, **overrides: Any
) -> PipelineDetector:
    """The pipeline detector; ``pixel`` is a ready detector, else ``params["pixel_detector"]`` at ``checkpoint``."""
    cfg = PIPELINE_CFG.replace(**overrides)
    if pixel is None:
        pixel = create_detector(cfg.params["pixel_detector"], checkpoint=checkpoint, device=device)
    return PipelineDetector(cfg, pixel)


create_provenance_detector.default_cfg = PROVENANCE_CFG
create_pipeline_detector.default_cfg = PIPELINE_CFG
