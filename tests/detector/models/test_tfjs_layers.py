"""The TF.js layers interpreter against an independent numpy reading of the same Keras graph."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.tfjs_models import conv, layer, nearest_upsampler, write_model
from veracity.detector.trainingdata.tfjs_layers import TfjsLayersModel, UnsupportedLayerError

pytestmark = pytest.mark.torch


def _conv_nhwc(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """'same' convolution of one NHWC image with an HWIO kernel (Keras's layout), written out longhand."""
    k = kernel.shape[0]
    padded = np.pad(x, ((k // 2, k // 2), (k // 2, k // 2), (0, 0)))
    out = np.zeros(x.shape[:2] + (kernel.shape[3],), dtype=np.float64)
    for dy in range(k):
        for dx in range(k):
            out += padded[dy : dy + x.shape[0], dx : dx + x.shape[1]] @ kernel[dy, dx]
    return out + bias


def _depth_to_space_nhwc(x: np.ndarray, block: int) -> np.ndarray:
    """TensorFlow's documented depth_to_space for one HWC image."""
    h, w, c = x.shape
    x = x.reshape(h, w, block, block, c // block**2).transpose(0, 2, 1, 3, 4)
    return x.reshape(h * block, w * block, c // block**2)


def _rrdn_like(rng: np.random.Generator) -> tuple[list[dict], dict[str, np.ndarray]]:
    """A miniature of the RRDN/RDN graphs: dense concat, scaled residual, sub-pixel and nearest upsampling."""
    layers = [
        layer("InputLayer", "LR_input", [], batch_input_shape=[None, None, None, 3]),
        conv("F0", "LR_input", 8),
        conv("F1", "F0", 8, activation="relu"),
        layer("Concatenate", "cat", ["F0", "F1"], axis=3),
        conv("LFF", "cat", 8, kernel=1),
        layer("MultiplyBeta", "beta", ["LFF"], beta=0.2),
        layer("Add", "res", ["F0", "beta"]),
        layer("Activation", "act", ["res"], activation="relu"),
        conv("PreShuffle", "act", 12),
        layer("PixelShuffle2x", "shuffle", ["PreShuffle"], scale=2),
        layer("UpSampling2D", "up", ["shuffle"], size=[2, 2], interpolation="nearest"),
        conv("SR", "up", 3),
    ]
    shapes = {"F0": (3, 3, 3, 8), "F1": (3, 3, 8, 8), "LFF": (1, 1, 16, 8), "PreShuffle": (3, 3, 8, 12)}
    shapes["SR"] = (3, 3, 3, 3)
    weights = {}
    for name, shape in shapes.items():
        weights[f"{name}/kernel"] = rng.normal(0, 0.3, shape).astype(np.float32)
        weights[f"{name}/bias"] = rng.normal(0, 0.1, shape[3]).astype(np.float32)
    return layers, weights


def _reference(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    f0 = _conv_nhwc(x, w["F0/kernel"], w["F0/bias"])
    f1 = np.maximum(_conv_nhwc(f0, w["F1/kernel"], w["F1/bias"]), 0)
    lff = _conv_nhwc(np.concatenate([f0, f1], axis=2), w["LFF/kernel"], w["LFF/bias"])
    act = np.maximum(f0 + 0.2 * lff, 0)
    shuffled = _depth_to_space_nhwc(_conv_nhwc(act, w["PreShuffle/kernel"], w["PreShuffle/bias"]), 2)
    up = shuffled.repeat(2, axis=0).repeat(2, axis=1)
    return _conv_nhwc(up, w["SR/kernel"], w["SR/bias"])


def test_the_graph_matches_a_longhand_reference(tmp_path):
    rng = np.random.default_rng(0)
    layers, weights = _rrdn_like(rng)
    model = TfjsLayersModel(write_model(tmp_path / "m", layers, weights))
    x = rng.random((9, 7, 3)).astype(np.float32)
    out = model(torch.from_numpy(x).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    assert out.shape == (36, 28, 3)  # x2 sub-pixel then x2 nearest
    np.testing.assert_allclose(out, _reference(x.astype(np.float64), weights), atol=1e-4)


def test_uint8_quantised_weights_are_dequantised(tmp_path):
    rng = np.random.default_rng(1)
    layers, weights = _rrdn_like(rng)
    model = TfjsLayersModel(write_model(tmp_path / "m", layers, weights, quantize=True))
    x = rng.random((6, 6, 3)).astype(np.float32)
    out = model(torch.from_numpy(x).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    # Quantisation steps are (max - min) / 255 per tensor: close to the float model, not equal to it.
    reference = _reference(x.astype(np.float64), weights)
    assert np.abs(out - reference).mean() < 0.05 * np.abs(reference).mean()
    assert not np.allclose(out, reference, atol=1e-6)


def test_nearest_upsampling_alone_repeats_pixels(tmp_path):
    model = TfjsLayersModel(nearest_upsampler(tmp_path / "m", 4))
    x = torch.rand(1, 3, 5, 6)
    assert torch.equal(model(x), x.repeat_interleave(4, dim=2).repeat_interleave(4, dim=3))


def test_unknown_layers_and_options_are_refused_by_name(tmp_path):
    layers = [layer("InputLayer", "in", []), layer("Lambda", "mystery", ["in"])]
    with pytest.raises(UnsupportedLayerError, match="mystery.*Lambda"):
        TfjsLayersModel(write_model(tmp_path / "a", layers, {}))
    layers = [layer("InputLayer", "in", []), layer("UpSampling2D", "up", ["in"], size=[2, 2], interpolation="bilinear")]
    with pytest.raises(UnsupportedLayerError, match="bilinear"):
        TfjsLayersModel(write_model(tmp_path / "b", layers, {}))
    layers = [layer("InputLayer", "in", []), conv("c", "in", 4, activation="gelu")]
    weights = {"c/kernel": np.zeros((3, 3, 3, 4), np.float32), "c/bias": np.zeros(4, np.float32)}
    with pytest.raises(UnsupportedLayerError, match="gelu"):
        TfjsLayersModel(write_model(tmp_path / "c", layers, weights))


def test_graph_models_and_shards_of_the_wrong_size_are_refused(tmp_path):
    rng = np.random.default_rng(2)
    layers, weights = _rrdn_like(rng)
    path = write_model(tmp_path / "m", layers, weights)
    shard = path.parent / "group1-shard1of1.bin"
    whole = shard.read_bytes()
    shard.write_bytes(whole[:-4])
    with pytest.raises(ValueError, match="weight shards end before SR/bias"):
        TfjsLayersModel(path)
    shard.write_bytes(whole + b"\0\0\0\0")
    with pytest.raises(ValueError, match="weight shards hold"):
        TfjsLayersModel(path)
    spec = json.loads(path.read_text())
    spec["format"] = "graph-model"
    path.write_text(json.dumps(spec))
    with pytest.raises(UnsupportedLayerError, match="graph-model"):
        TfjsLayersModel(path)
