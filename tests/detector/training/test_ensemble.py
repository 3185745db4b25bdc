"""An ensemble of networks in one ONNX graph: the weighted sum of members' logits, exported and reloaded exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from veracity.detector.config import DetectorCfg
from veracity.detector.models.forensic import TORCH_FILE, load_detector
from veracity.detector.models.tiles import tiles_batch
from veracity.detector.training.ensemble import fit_coefficients, member_specs, save_ensemble
from veracity.detector.training.export import package_detector
from veracity.detector.training.network import LogitEnsemble, build_model, load_trained

pytestmark = pytest.mark.torch


def _member(tmp_path, name, stem, seed):
    torch.manual_seed(seed)
    model = build_model("mobilenetv3_small_050", stem).eval()
    path = tmp_path / f"{name}.safetensors"
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(path), metadata={"backbone": "mobilenetv3_small_050", "stem": stem})
    return model, path


def test_ensemble_is_the_weighted_sum_and_survives_export(tmp_path):
    a, path_a = _member(tmp_path, "a", "npr", 0)
    b, path_b = _member(tmp_path, "b", "rgb", 1)
    ensemble = LogitEnsemble([a, b], [0.7, -1.3], bias=0.25).eval()
    x = torch.rand(3, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ensemble(x), 0.25 + 0.7 * a(x) - 1.3 * b(x))
    specs = member_specs([path_a, path_b])
    assert specs == [{"backbone": "mobilenetv3_small_050", "stem": "npr"},
                     {"backbone": "mobilenetv3_small_050", "stem": "rgb"}]  # fmt: skip
    folder = tmp_path / "det"
    folder.mkdir()
    weights = save_ensemble(ensemble, specs, folder / TORCH_FILE)
    reloaded = load_trained(weights)
    assert isinstance(reloaded, LogitEnsemble)
    with torch.no_grad():
        torch.testing.assert_close(reloaded(x), ensemble(x))
    cfg = DetectorCfg(name="ens.test", input_size=64, n_crops=4, mean=(0, 0, 0), std=(1, 1, 1))
    package_detector(ensemble, weights, folder, cfg)
    detector = load_detector(folder)
    image = np.random.default_rng(0).integers(0, 256, (150, 200, 3), dtype=np.uint8)
    from PIL import Image

    pil = Image.fromarray(image)
    onnx_logits, _ = detector.tile_logits(pil)
    batch, _ = tiles_batch(pil, 64, 4)
    with torch.no_grad():
        np.testing.assert_allclose(onnx_logits, ensemble(torch.from_numpy(batch)).numpy(), rtol=1e-4, atol=1e-4)


def test_fit_coefficients_weights_the_informative_member():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    informative = labels * 2.0 + rng.normal(0, 1, 400)
    noise = rng.normal(0, 1, 400)
    coefs, bias = fit_coefficients(np.stack([noise, informative], axis=1), labels)
    assert coefs[1] > 1.0 and coefs[1] > 4 * abs(coefs[0])
    with pytest.raises(ValueError, match="real and generated"):
        fit_coefficients(np.stack([noise, informative], axis=1), np.zeros(400))
