"""The baseline detectors: interface shape, fit/save/load, not-fitted errors, and the classifier signal."""

from __future__ import annotations

import numpy as np
import pytest

from tests.images import encoded, smooth, textured
from veracity.detector import create_detector
from veracity.detector.errors import CheckpointNotFoundError, DetectorNotFittedError
from veracity.detector.models.baselines import azimuthal_spectrum, pooled_dct
from veracity.provenance.assets.asset import load_asset
from veracity.provenance.pipeline import analyze

TRAINABLE = ("spectral.durall2020", "dct.frank2020")


def _training_set():
    images = [textured(64, 64, seed=i) for i in range(6)] + [smooth(64, 64, seed=50 + i) for i in range(6)]
    return images, [0] * 6 + [1] * 6


@pytest.fixture(scope="module")
def fitted():
    images, labels = _training_set()
    return {name: create_detector(name).fit(images, labels) for name in TRAINABLE}


@pytest.mark.parametrize("name", TRAINABLE)
def test_fitted_baseline_interface(fitted, name):
    detector = fitted[name]
    proba = detector.predict_proba([textured(40, 30, seed=99), smooth(48, 48, seed=99)])
    assert proba.shape == (2, 2) and not np.isnan(proba).any()
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert detector.classes_ == ("real", "generated") and detector.name == name
    assert np.allclose(detector.p_generated([textured(seed=3)]), detector.predict_proba([textured(seed=3)])[:, 1])
    assert detector.p_generated([smooth(64, 64, seed=123)])[0] > detector.p_generated([textured(64, 64, seed=123)])[0]


@pytest.mark.parametrize("name", ("provenance.signals",))
def test_file_detectors_on_pil_images(name):
    proba = create_detector(name).predict_proba([textured(seed=1), textured(seed=2)])
    assert proba.shape == (2, 2) and np.allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("name", TRAINABLE)
def test_unfitted_baseline_refuses_to_predict(name):
    with pytest.raises(DetectorNotFittedError, match="is not fitted. Fit it"):
        create_detector(name).predict_proba([textured()])


@pytest.mark.parametrize("name", TRAINABLE)
def test_save_and_load_round_trip(fitted, name, tmp_path):
    detector = fitted[name]
    path = detector.save(tmp_path / name)
    loaded = create_detector(name, checkpoint=str(tmp_path / name))
    images = [textured(seed=7), smooth(seed=7)]
    assert np.array_equal(loaded.predict_proba(images), detector.predict_proba(images))
    assert loaded.checkpoint_sha256 == detector.checkpoint_sha256 and len(loaded.checkpoint_sha256) == 64
    assert create_detector(str(path)).cfg == loaded.cfg  # a saved-detector path works as the name
    with pytest.raises(CheckpointNotFoundError):
        create_detector(name, checkpoint=str(tmp_path))


def test_score_asset_is_the_classifier_signal_and_fuses(fitted, validate_record):
    detector = fitted["spectral.durall2020"]
    data = encoded(smooth(64, 64, seed=5), "PNG")
    signal = detector.score_asset(load_asset(data))
    assert signal.name == "classifier" and signal.status == "found"
    assert signal.details["band"] in ("likely-real", "inconclusive", "likely-generated")
    assert signal.details["detector"] == "spectral.durall2020" and signal.details["threshold"] == 0.5
    report = analyze(data, detector=detector)
    validate_record(report)
    assert report.verdict.p_generated == pytest.approx(signal.p_generated)
    assert report.verdict.label == signal.details["band"]


def test_pipeline_detector_uses_provenance_first(fitted, tmp_path):
    from tests.images import png_with_text
    from veracity.benchmarks.harness.pipeline_detectors import create_pipeline_detector

    pipeline = create_pipeline_detector(pixel=fitted["spectral.durall2020"])
    declared = png_with_text(tmp_path / "sd.png", {"parameters": "a cat\nSteps: 20, Sampler: Euler a, Seed: 1"})
    p, summary = pipeline.score_file(declared.read_bytes())
    assert p == 1.0 and summary["verdict"] == "generated"
    p, summary = pipeline.score_file(encoded(textured(seed=4), "PNG"))
    assert summary["verdict"] in ("likely-real", "inconclusive", "likely-generated") and 0 <= p <= 1


def test_features_are_fixed_length_whatever_the_size():
    for size in ((17, 40), (64, 64), (300, 200)):
        pixels = np.asarray(textured(*size).convert("L"), dtype=float)
        assert azimuthal_spectrum(pixels, 64).shape == (64,)
        assert pooled_dct(pixels, 16).shape == (256,)
