"""The linear probe: its head is the fitted regression (standardisation folded in), the packaged ONNX detector
scores exactly that, and the calibration comes from out-of-fold logits."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from veracity.detector.datasets.splits import grouped_samples
from veracity.detector.models.forensic import load_detector
from veracity.detector.training.network import build_model, load_trained
from veracity.detector.training.probe import (
    FEATURES_FILE,
    ProbeCfg,
    fit_probe,
    image_features,
    load_start,
    train_probe,
)
from veracity.provenance.assets.asset import decode_pixels

pytestmark = pytest.mark.torch


@pytest.fixture
def frozen_start(tmp_path):
    torch.manual_seed(0)
    model = build_model("mobilenetv3_small_050", "rgb").eval()
    path = tmp_path / "start.safetensors"
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(path), metadata={"backbone": "mobilenetv3_small_050", "stem": "rgb"})
    return path


def test_fit_folds_the_standardisation_into_the_head():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 40)
    features = rng.normal(0, 1, (80, 6)) * [1, 10, 0.1, 1, 1, 5] + labels[:, None] * [0.8, 0, 0, 0.5, 0, 0]
    folds = np.tile(np.arange(4), 20)
    fit = fit_probe(features, labels, folds, np.ones(80), (0.01, 1.0))
    assert set(fit.cv_auroc) == {0.01, 1.0} and fit.cv_auroc[fit.c] == max(fit.cv_auroc.values())
    scaler = StandardScaler().fit(features)
    reference = LogisticRegression(C=fit.c, max_iter=5000).fit(scaler.transform(features), labels)
    np.testing.assert_allclose(
        features @ fit.coef + fit.intercept,
        reference.decision_function(scaler.transform(features)),
        rtol=1e-4,
        atol=1e-4,
    )
    assert fit.oof_logits.shape == (80,) and not np.allclose(fit.oof_logits, features @ fit.coef + fit.intercept)


@pytest.mark.parametrize("levels", [(), (1, 2)])
def test_packaged_probe_scores_what_was_fitted(tiny_dataset, frozen_start, tmp_path, levels):
    samples = grouped_samples([tiny_dataset])
    cfg = ProbeCfg(init_weights=str(frozen_start), crop=64, n_tiles=2, n_folds=2, c_grid=(0.1, 1.0), levels=levels)
    detector_json = train_probe(cfg, samples, tmp_path / "probe", name="probe_test.v0", log=lambda _: None)

    detector = load_detector(detector_json.parent)
    assert detector.cfg.name == "probe_test.v0" and detector.cfg.input_size == 64 and detector.cfg.n_crops == 2
    calibration = json.loads(detector_json.read_text())["params"]
    assert "out-of-fold" in json.dumps(calibration) and calibration["probe"]["C"] in (0.1, 1.0)

    trained = load_trained(tmp_path / "probe" / "probe.safetensors")
    start = load_start(str(frozen_start), levels)
    image = decode_pixels(samples[0].path)
    features = image_features(start, image, crop=64, n_tiles=2)  # the frozen backbone's, untouched by the fit
    assert features.shape == (trained.head.in_features,) and (len(levels) == 0) == (features.shape[0] == 1024)
    head = trained.head
    expected = float(features @ head.weight[0].detach().numpy() + head.bias.item())
    assert detector.image_logit(image) == pytest.approx(expected, rel=1e-3, abs=1e-3)


def test_features_are_cached_and_bad_files_skipped(tiny_dataset, frozen_start, tmp_path):
    (tiny_dataset / "real" / "src9__broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    samples = grouped_samples([tiny_dataset])
    cfg = ProbeCfg(init_weights=str(frozen_start), crop=64, n_tiles=2, n_folds=2, c_grid=(1.0,))
    logs = []
    train_probe(cfg, samples, tmp_path / "probe", name="probe_test.v0", log=logs.append)
    assert any("skipped" in line and "src9__broken.png" in line for line in logs)
    cached = np.load(tmp_path / "probe" / FEATURES_FILE)
    assert len(cached["paths"]) == len(samples) - 1 and "src9__broken.png" not in " ".join(cached["paths"])

    again = []  # same inputs: the cache serves, so the broken file is not even opened
    train_probe(cfg, samples, tmp_path / "probe", name="probe_test.v0", log=again.append)
    assert not any("skipped" in line for line in again)
    other = []  # other tiles: the cached features no longer apply
    train_probe(replace(cfg, crop=48), samples, tmp_path / "probe", name="probe_test.v0", log=other.append)
    assert any("src9__broken.png" in line for line in other)


def test_pooled_levels_read_mid_level_blocks_and_reload_exactly(tmp_path):
    from veracity.detector.training.network import PooledLevelsClassifier

    torch.manual_seed(1)
    model = build_model("mobilenetv3_small_050", "rgb", levels=(0, 2)).eval()
    assert isinstance(model, PooledLevelsClassifier) and model.levels == (0, 2)
    x = torch.rand(3, 3, 64, 64)
    plain = build_model("mobilenetv3_small_050", "rgb").eval()
    # the last pooled features sit after the block outputs, so the width is theirs plus the plain model's
    assert model.features(x).shape[1] > plain.features(x).shape[1] and model(x).shape == (3,)
    path = tmp_path / "levels.safetensors"
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(path), metadata={"backbone": "mobilenetv3_small_050", "stem": "rgb", "levels": "0,2"})
    torch.testing.assert_close(load_trained(path)(x), model(x))
    with pytest.raises(ValueError, match="must index"):
        build_model("mobilenetv3_small_050", "rgb", levels=(99,))
    with pytest.raises(ValueError, match="EfficientNet or MobileNetV3"):
        build_model("resnet18", "rgb", levels=(1,))
