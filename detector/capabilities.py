"""What a detector can do, declared: each detector class lists its `Capability` set, and each capability
names the protocol its methods follow. The harness picks code paths from these declarations, and one
contract test (tests/detector/test_contract.py) checks every registered detector, built-in or plugin,
against what it declares.

============================  =====================================================================
capability                    methods (protocol)
============================  =====================================================================
``score-pixels``  (all)       ``predict_proba(images) -> (n, 2)``, ``p_generated(images) -> (n,)`` (`PixelScorer`)
``score-asset``   (all)       ``score_asset(asset) -> SignalResult``, the classifier signal (`AssetScorer`)
``extract-features``          ``features(image) -> (d,)``, ``predict_features((n, d)) -> (n,)`` (`FeatureExtractor`)
``fit``                       ``is_fitted``, ``fit_features(features, y, *, seed) -> self`` (`Fittable`)
``save``                      ``save(folder) -> Path``; ``checkpoint_sha256`` names the saved state (`Saveable`)
``score-file``                ``score_file(data) -> (p, summary)``, ``score_report(report)`` (`FileScorer`)
============================  =====================================================================

Every detector also has ``name``, ``cfg`` (`DetectorCfg`), ``classes_ == ("real", "generated")`` and
``checkpoint_sha256`` (``None`` when its state is only its config). Subclassing `BaseDetector` gives the
first two capabilities for one method, ``_predict_proba``.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

    from veracity.provenance.assets.asset import Asset
    from veracity.provenance.signals import SignalResult


class Capability(StrEnum):
    """One thing a detector can do (see the module docstring for the methods each needs)."""

    SCORE_PIXELS = "score-pixels"
    SCORE_ASSET = "score-asset"
    EXTRACT_FEATURES = "extract-features"
    FIT = "fit"
    SAVE = "save"
    SCORE_FILE = "score-file"


@runtime_checkable
class PixelScorer(Protocol):
    def predict_proba(self, images: Sequence[Image.Image]) -> np.ndarray: ...

    def p_generated(self, images: Sequence[Image.Image]) -> np.ndarray: ...


@runtime_checkable
class AssetScorer(Protocol):
    def score_asset(self, asset: Asset) -> SignalResult: ...


@runtime_checkable
class FeatureExtractor(Protocol):
    def features(self, image: Image.Image) -> np.ndarray: ...

    def predict_features(self, features: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class Fittable(Protocol):
    @property
    def is_fitted(self) -> bool: ...

    def fit_features(self, features: np.ndarray, y: Sequence[int], *, seed: int = 0) -> Any: ...


@runtime_checkable
class Saveable(Protocol):
    checkpoint_sha256: str | None

    def save(self, folder: str | Path) -> Path: ...


@runtime_checkable
class FileScorer(Protocol):
    def score_file(self, data: bytes) -> tuple[float, dict[str, Any]]: ...

    def score_report(self, report: Any) -> tuple[float, dict[str, Any]]: ...


#: The protocol each capability's methods follow.
PROTOCOLS: dict[Capability, type] = {
    Capability.SCORE_PIXELS: PixelScorer,
    Capability.SCORE_ASSET: AssetScorer,
    Capability.EXTRACT_FEATURES: FeatureExtractor,
    Capability.FIT: Fittable,
    Capability.SAVE: Saveable,
    Capability.SCORE_FILE: FileScorer,
}


def capabilities_of(detector: Any) -> frozenset[Capability]:
    """The capabilities ``detector`` declares (its ``capabilities`` attribute; none when it declares none)."""
    return frozenset(getattr(detector, "capabilities", frozenset()))


def can(detector: Any, capability: Capability) -> bool:
    """Whether ``detector`` declares ``capability``."""
    return capability in capabilities_of(detector)


def undeclared_methods(detector: Any) -> list[str]:
    """Capabilities ``detector`` declares but whose protocol it does not implement (empty when it keeps them)."""
    return [c.value for c in capabilities_of(detector) if not isinstance(detector, PROTOCOLS[c])]


def needs_fitting(detector: Any) -> bool:
    """Whether ``detector`` can be fitted and is not fitted yet: the one way to ask."""
    return can(detector, Capability.FIT) and not detector.is_fitted
