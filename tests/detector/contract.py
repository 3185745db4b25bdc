"""The detector contract: whatever a detector declares in ``capabilities`` must work as documented.

`check_contract` is run over every registered detector (tests/detector/test_contract.py) and over a
third-party plugin (tests/detector/models/test_registry_plugins.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.images import encoded, textured
from veracity.detector.capabilities import Capability, can, capabilities_of, needs_fitting, undeclared_methods
from veracity.detector.config import CLASSES, DetectorCfg
from veracity.detector.registry import create_detector
from veracity.provenance import labels
from veracity.provenance.assets.asset import load_asset
from veracity.provenance.signals import SignalResult


def check_contract(name: str, tmp_path: Path) -> set[Capability]:
    """Build ``name``, exercise every capability it declares; return the capabilities checked."""
    detector = create_detector(name)
    declared = capabilities_of(detector)
    assert {Capability.SCORE_PIXELS, Capability.SCORE_ASSET} <= declared, "every detector scores pixels and assets"
    assert undeclared_methods(detector) == [], f"{name} declares capabilities it does not implement"
    assert isinstance(detector.cfg, DetectorCfg) and detector.name == name and detector.classes_ == CLASSES
    assert detector.checkpoint_sha256 is None or len(detector.checkpoint_sha256) == 64
    images = [textured(96, 96, seed=seed) for seed in range(6)]
    if can(detector, Capability.EXTRACT_FEATURES):
        features = np.stack([detector.features(image) for image in images])
        assert features.ndim == 2 and np.isfinite(features).all()
    if can(detector, Capability.FIT):
        assert needs_fitting(detector)
        detector.fit_features(features, [0, 1, 0, 1, 0, 1], seed=0)
        assert detector.is_fitted and not needs_fitting(detector)
    proba = detector.predict_proba(images[:2])
    assert proba.shape == (2, 2) and np.allclose(proba.sum(axis=1), 1.0) and np.isfinite(proba).all()
    assert np.allclose(detector.p_generated(images[:2]), proba[:, 1])
    asset = load_asset(encoded(images[0], "PNG"), name="contract.png")
    signal = detector.score_asset(asset)
    assert isinstance(signal, SignalResult) and signal.name == labels.CLASSIFIER
    assert signal.status == labels.FOUND and 0.0 <= signal.p_generated <= 1.0
    if can(detector, Capability.SAVE):
        saved = detector.save(tmp_path / name)
        assert saved.is_file() and detector.checkpoint_sha256 is not None
        again = create_detector(name, checkpoint=str(tmp_path / name))
        assert again.checkpoint_sha256 == detector.checkpoint_sha256
        assert np.allclose(again.predict_proba(images[:2]), proba)
    if can(detector, Capability.SCORE_FILE):
        p, summary = detector.score_file(encoded(images[0], "PNG"))
        assert 0.0 <= p <= 1.0 and "verdict" in summary
    return set(declared)
