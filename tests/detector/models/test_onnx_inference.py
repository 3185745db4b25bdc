"""The ONNX inference path: parity with torch, sha256 checks, no torch import, per-tile explanation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import jsonschema
import numpy as np
import pytest
import torch
from PIL import Image

from veracity.detector.config import DetectorCfg
from veracity.detector.errors import WeightsIntegrityError
from veracity.detector.models.forensic import CFG_FILE, ONNX_FILE, load_detector, read_detector_cfg
from veracity.detector.models.tiles import tiles_batch
from veracity.detector.training.export import package_detector
from veracity.detector.training.network import build_model, load_trained
from veracity.provenance.assets.asset import load_asset
from veracity.provenance.pipeline import analyze
from veracity.provenance.report import load_report_schema, to_json_line

pytestmark = pytest.mark.torch


def _textured(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8)
    image = np.asarray(Image.fromarray(base).resize((width, height), Image.Resampling.BICUBIC), dtype=np.float32)
    return Image.fromarray((image + rng.normal(0, 5, image.shape)).clip(0, 255).astype(np.uint8))


def _tile_logits_torch(model, detector, image):
    batch, _ = tiles_batch(image, detector.cfg.input_size, detector.cfg.n_crops)
    with torch.no_grad():
        return model(torch.from_numpy(batch)).numpy()


def test_tiny_random_model_exports_with_onnx_parity(tmp_path):
    torch.manual_seed(0)
    model = build_model("mobilenetv3_small_050").eval()
    weights = tmp_path / "w.safetensors"
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    cfg = DetectorCfg(name="npr_mnv3s.test", input_size=64, n_crops=4, mean=(0, 0, 0), std=(1, 1, 1))
    package_detector(model, weights, tmp_path / "det", cfg, backbone="mobilenetv3_small_050")
    detector = load_detector(tmp_path / "det")
    image = _textured(200, 150)
    onnx_logits, _ = detector.tile_logits(image)
    np.testing.assert_allclose(onnx_logits, _tile_logits_torch(model, detector, image), rtol=1e-4, atol=1e-4)


def test_shipped_onnx_matches_shipped_torch_weights(shipped_detector_dir):
    detector = load_detector(shipped_detector_dir)
    params = detector.cfg.params
    model = load_trained(shipped_detector_dir / params["torch_weights_file"], params["backbone"])
    for seed, size in enumerate([(640, 480), (300, 1000)]):
        image = _textured(*size, seed=seed)
        onnx_logits, _ = detector.tile_logits(image)
        np.testing.assert_allclose(onnx_logits, _tile_logits_torch(model, detector, image), rtol=1e-3, atol=1e-3)


def test_shipped_weights_fit_the_size_budget(shipped_detector_dir):
    total = sum(p.stat().st_size for p in shipped_detector_dir.iterdir())
    assert total <= 25 * 1024 * 1024, f"shipped detector is {total / 1e6:.1f} MB, over 25 MB"


def test_changed_onnx_file_is_refused_naming_both_hashes(shipped_detector_dir, tmp_path):
    copy = tmp_path / "det"
    shutil.copytree(shipped_detector_dir, copy)
    data = bytearray((copy / ONNX_FILE).read_bytes())
    data[-1] ^= 0xFF
    (copy / ONNX_FILE).write_bytes(bytes(data))
    expected = read_detector_cfg(copy).weights_sha256
    with pytest.raises(WeightsIntegrityError, match=expected):
        load_detector(copy)


def test_missing_sha256_is_refused(shipped_detector_dir, tmp_path):
    copy = tmp_path / "det"
    shutil.copytree(shipped_detector_dir, copy)
    cfg = json.loads((copy / CFG_FILE).read_text())
    cfg["weights_sha256"] = None
    (copy / CFG_FILE).write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="sha256"):
        load_detector(copy)


def test_inference_never_imports_torch_or_timm(repo_root):
    code = (
        "import sys\n"
        "from PIL import Image\n"
        "from veracity.detector.models.forensic import create_default_detector\n"
        "d = create_default_detector()\n"
        "p = d.p_generated([Image.new('RGB', (300, 200), (120, 80, 40))])\n"
        "assert 0 <= p[0] <= 1\n"
        "print(sorted(m for m in ('torch', 'timm', 'torchvision') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_classifier_signal_has_band_and_tiles_and_report_validates(shipped_detector_dir, tmp_path):
    detector = load_detector(shipped_detector_dir)
    path = tmp_path / "photo.jpg"
    _textured(800, 600).save(path, quality=90)
    signal = detector.score_asset(load_asset(path))
    assert signal.details["band"] in ("likely-generated", "inconclusive", "likely-real")
    assert 1 <= len(signal.details["tiles"]) <= detector.cfg.n_crops
    assert all(0 <= t["p_generated"] <= 1 for t in signal.details["tiles"])
    report = analyze(path, detector=detector)
    jsonschema.validate(json.loads(to_json_line(report)), load_report_schema())
    assert report.verdict.label in ("likely-generated", "inconclusive", "likely-real")


def test_scores_of_short_lived_images_are_never_mixed_up(shipped_detector_dir):
    detector = load_detector(shipped_detector_dir)
    expected = [detector.image_logit(_textured(256, 256, seed=s)) for s in range(4)]
    got = [detector.image_logit(_textured(256, 256, seed=s)) for s in range(4)]  # freed at once: ids get reused
    assert got == expected and len(set(got)) == 4
