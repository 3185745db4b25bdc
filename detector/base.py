"""The detector interface and a base class that derives everything from ``predict_proba``.

A detector has ``name``, ``cfg``, ``classes_``, ``capabilities`` (see `detector.capabilities`),
``checkpoint_sha256``, ``predict_proba``, ``p_generated`` and ``score_asset``; `BaseDetector` supplies all
but ``_predict_proba``. ``score_asset`` is what `provenance.pipeline.analyze` calls for the classifier signal.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from veracity.detector.capabilities import Capability
from veracity.detector.config import CLASSES, DetectorCfg
from veracity.provenance import labels
from veracity.provenance.signals import SignalResult, not_applicable

if TYPE_CHECKING:
    from PIL import Image

    from veracity.provenance.assets.asset import Asset


@runtime_checkable
class Detector(Protocol):
    """What `create_detector` returns."""

    name: str
    cfg: DetectorCfg
    classes_: tuple[str, str]
    capabilities: frozenset[Capability]
    checkpoint_sha256: str | None

    def predict_proba(self, images: Sequence[Image.Image]) -> np.ndarray: ...

    def p_generated(self, images: Sequence[Image.Image]) -> np.ndarray: ...

    def score_asset(self, asset: Asset) -> SignalResult: ...


class BaseDetector:
    """Shared behaviour: ``p_generated`` and ``score_asset`` from ``predict_proba``.

    Subclasses implement `_predict_proba` (n images -> (n, 2) array, columns ``classes_``); they may
    override `_explain` to add per-tile scores to the classifier signal's details.
    """

    classes_: tuple[str, str] = CLASSES
    capabilities: frozenset[Capability] = frozenset({Capability.SCORE_PIXELS, Capability.SCORE_ASSET})
    #: sha256 of the state the detector loaded (weights, fitted parameters); ``None``: its config is all.
    checkpoint_sha256: str | None = None

    def __init__(self, cfg: DetectorCfg) -> None:
        self.cfg = cfg

    @property
    def name(self) -> str:
        return self.cfg.name

    def predict_proba(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Class probabilities.

        Args:
            images: PIL images (any mode; detectors convert to RGB).

        Returns:
            float64 array of shape (n, 2), columns ``("real", "generated")``, rows summing to 1.
        """
        images = list(images)
        if not images:
            return np.zeros((0, 2), dtype=np.float64)
        proba = np.asarray(self._predict_proba(images), dtype=np.float64)
        if proba.shape != (len(images), 2):
            raise ValueError(f"{self.name}: predict_proba must return shape ({len(images)}, 2). Got {proba.shape}.")
        return proba

    def p_generated(self, images: Sequence[Image.Image]) -> np.ndarray:
        """P(generated) per image, shape (n,)."""
        return self.predict_proba(images)[:, 1]

    def score_asset(self, asset: Asset) -> SignalResult:
        """The classifier signal for one file (the hook `veracity.provenance.pipeline.analyze` calls)."""
        started = time.perf_counter()
        if not asset.media_type.has_pixels:
            return not_applicable(labels.CLASSIFIER, f"{asset.media_type.mime} has no pixels to classify.")
        image = asset.image.pixels
        p = float(np.clip(self.p_generated([image])[0], 0.0, 1.0))
        band = self.cfg.band(p)
        details: dict[str, Any] = {
            "detector": self.name,
            "band": band,
            "threshold": self.cfg.threshold,
            "bands": list(self.cfg.bands),
            "calibrated": self.cfg.calibrated,
        }
        details.update(self._explain(image))
        return SignalResult(
            name=labels.CLASSIFIER,
            status=labels.FOUND,
            summary=f"{self.name}: P(generated) = {p:.3f} ({band}).",
            details=details,
            p_generated=p,
            elapsed_ms=(time.perf_counter() - started) * 1000.0,
        )

    def _predict_proba(self, images: list[Image.Image]) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement _predict_proba")

    def _explain(self, image: Image.Image) -> dict[str, Any]:
        """Extra JSON-serialisable details for the classifier signal, e.g. ``{"tiles": [...]}``."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def proba_from_p(p_generated: np.ndarray) -> np.ndarray:
    """(n,) P(generated) -> (n, 2) ``[1 - p, p]``, clipped to [0, 1]."""
    p = np.clip(np.asarray(p_generated, dtype=np.float64).reshape(-1), 0.0, 1.0)
    return np.stack([1.0 - p, p], axis=1)
