"""The shipped detector at inference time: ONNX Runtime, numpy and Pillow only (never torch or timm).

`create_default_detector` loads the default detector's folder under ``detector/weights/`` (no network; the
other shipped folders load by name through their own factories, `SHIPPED_FOLDERS`), checks the sha256 of its
ONNX file against ``detector.json`` and returns a `ForensicOnnxDetector`. The detector cuts
up to ``cfg.n_crops`` native-resolution tiles of ``cfg.input_size`` pixels (`detector.models.tiles`), averages their
logits, calibrates the mean (`veracity.detector.calibration.PlattCalibration`) and keeps every tile's calibrated score
in the classifier signal's details, so a report can show where the evidence lies.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from veracity.detector.base import BaseDetector
from veracity.detector.calibration import PlattCalibration
from veracity.detector.config import DetectorCfg
from veracity.detector.default import DEFAULT_DETECTOR
from veracity.detector.errors import CheckpointNotFoundError, DetectorConfigError, WeightsIntegrityError
from veracity.detector.models.tiles import MIN_SIDE, tiles_batch
from veracity.provenance.assets.hashing import sha256_file

ONNX_FILE = "model.onnx"
TORCH_FILE = "model.safetensors"
CFG_FILE = "detector.json"

#: Where the shipped detector folders live.
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
#: Registry name -> folder under `WEIGHTS_DIR` of every shipped detector (each also in the registry's built-ins).
SHIPPED_FOLDERS: dict[str, str] = {
    "npr_mnv3s.v1": "npr-mnv3s-v1",
    "rgb_mnv3s.v2": "rgb-mnv3s-v2",
    "probe_mnv2.v3": "probe-mnv2-v3",
}
#: The default detector's folder (`veracity.detector.default.DEFAULT_DETECTOR`).
DEFAULT_DETECTOR_DIR = WEIGHTS_DIR / SHIPPED_FOLDERS[DEFAULT_DETECTOR]

#: ONNX Runtime threads per process; one thread per worker process is fastest here (PERFORMANCE-NOTES).
THREADS_ENV = "VERACITY_ORT_THREADS"


def read_detector_cfg(folder: str | Path) -> DetectorCfg:
    """The `DetectorCfg` saved in ``folder/detector.json`` (or in the given ``.json`` file)."""
    path = Path(folder)
    cfg_path = path if path.suffix == ".json" else path / CFG_FILE
    if not cfg_path.is_file():
        raise CheckpointNotFoundError(
            f"No detector config at {str(cfg_path)!r}. Pass a folder written by `veracity train --package`."
        )
    return DetectorCfg.from_dict(json.loads(cfg_path.read_text(encoding="utf-8")))


def verify_sha256(path: Path, expected: str | None) -> None:
    """Raise `WeightsIntegrityError` unless ``path`` hashes to ``expected``."""
    if not expected:
        raise DetectorConfigError(f"The config of {str(path)!r} gives no sha256; refusing to load unchecked weights.")
    actual = sha256_file(path)
    if actual != expected:
        raise WeightsIntegrityError(
            f"Weights file {str(path)!r} has sha256 {actual}, but its detector.json expects {expected}. "
            "The file is corrupt or was replaced: restore it (git checkout) or re-package the detector."
        )


class ForensicOnnxDetector(BaseDetector):
    """NPR-residual CNN run by ONNX Runtime on native-resolution tiles.

    Args:
        cfg: the detector's config (tile size ``input_size``, ``n_crops``, calibration in ``params``).
        onnx_path: the ONNX model (already checked against ``cfg.weights_sha256``).
        threads: ONNX Runtime intra-op threads (default: env ``VERACITY_ORT_THREADS`` or 1).
    """

    def __init__(self, cfg: DetectorCfg, onnx_path: str | Path, *, threads: int | None = None) -> None:
        super().__init__(cfg)
        self.checkpoint_sha256 = cfg.weights_sha256  # checked against the file before this object exists
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get(THREADS_ENV, "1"))
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._calibration = PlattCalibration.from_dict(cfg.params.get("calibration", {"a": 1.0, "b": 0.0}))
        # score_asset scores, then explains the same image: keep the last one (a strong reference, so that an
        # id() reused by a later image can never return a stale score).
        self._last: tuple[Image.Image, dict[str, Any]] | None = None

    def tile_logits(self, image: Image.Image) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
        """Raw logits of each tile of ``image`` and the tiles' boxes."""
        batch, boxes = tiles_batch(image, self.cfg.input_size or 128, self.cfg.n_crops)
        return self._session.run(None, {"crops": batch})[0].astype(np.float64), boxes

    def image_logit(self, image: Image.Image) -> float:
        """The uncalibrated image score: the mean logit of its tiles."""
        return float(self._score(image)["logit"])

    def _score(self, image: Image.Image) -> dict[str, Any]:
        if self._last is not None and self._last[0] is image:
            return self._last[1]
        if min(image.size) < MIN_SIDE:
            raise ValueError(f"An image of {image.width}x{image.height} is too small to classify (< {MIN_SIDE} px).")
        logits, boxes = self.tile_logits(image)
        result = {"logit": float(logits.mean()), "tile_logits": logits, "boxes": boxes}
        self._last = (image, result)
        return result

    def _predict_proba(self, images: list[Image.Image]) -> np.ndarray:
        p = np.array([float(self._calibration.apply(self._score(image)["logit"])) for image in images])
        return np.stack([1.0 - p, p], axis=1)

    def _explain(self, image: Image.Image) -> dict[str, Any]:
        scored = self._score(image)
        tile_p = self._calibration.apply(scored["tile_logits"])
        return {
            "tile_size": self.cfg.input_size,
            "tiles": [
                {"box": list(box), "p_generated": round(float(p), 4)}
                for box, p in zip(scored["boxes"], tile_p, strict=True)
            ],
        }


def load_detector(folder: str | Path, **overrides: Any) -> ForensicOnnxDetector:
    """A `ForensicOnnxDetector` from a detector folder, after checking its ONNX file's sha256.

    Raises:
        CheckpointNotFoundError: no ``detector.json`` or no ONNX file in ``folder``.
        WeightsIntegrityError: the ONNX file's sha256 differs from the config's.
    """
    folder = Path(folder)
    folder = folder.parent if folder.suffix == ".json" else folder
    threads = overrides.pop("threads", None)
    cfg = read_detector_cfg(folder).replace(**overrides)
    onnx_path = folder / (cfg.weights_file or ONNX_FILE)
    if not onnx_path.is_file():
        raise CheckpointNotFoundError(f"Detector folder {str(folder)!r} has no {onnx_path.name}. Re-package it.")
    verify_sha256(onnx_path, cfg.weights_sha256)
    return ForensicOnnxDetector(cfg, onnx_path, threads=threads)


def create_default_detector(*, checkpoint: str | None = None, device: str = "cpu", **overrides: Any):
    """Registry factory of the default model; ``checkpoint`` may name another detector folder.

    ``device`` is accepted for the registry's signature; ONNX Runtime runs this model on the CPU.
    """
    return load_detector(checkpoint or DEFAULT_DETECTOR_DIR, **overrides)


def create_v1_detector(*, checkpoint: str | None = None, device: str = "cpu", **overrides: Any):
    """Registry factory of ``npr_mnv3s.v1``, the first shipped model (kept available by name)."""
    return load_detector(checkpoint or WEIGHTS_DIR / SHIPPED_FOLDERS["npr_mnv3s.v1"], **overrides)


def create_v2_detector(*, checkpoint: str | None = None, device: str = "cpu", **overrides: Any):
    """Registry factory of ``rgb_mnv3s.v2``, trained on real generators' outputs (see detector/MODEL_CARD.md)."""
    return load_detector(checkpoint or WEIGHTS_DIR / SHIPPED_FOLDERS["rgb_mnv3s.v2"], **overrides)


def create_v3_detector(*, checkpoint: str | None = None, device: str = "cpu", **overrides: Any):
    """Registry factory of ``probe_mnv2.v3``: a linear probe on frozen ImageNet MobileNetV2 features."""
    return load_detector(checkpoint or WEIGHTS_DIR / SHIPPED_FOLDERS["probe_mnv2.v3"], **overrides)


def _shipped_cfg(folder: Path) -> DetectorCfg | None:
    try:
        return read_detector_cfg(folder)
    except (OSError, ValueError):
        return None  # a broken install still lists the name; loading it then says what is wrong


# What `veracity detectors` shows without loading the model (the registry reads ``factory.default_cfg``).
create_default_detector.default_cfg = _shipped_cfg(DEFAULT_DETECTOR_DIR)
create_v1_detector.default_cfg = _shipped_cfg(WEIGHTS_DIR / SHIPPED_FOLDERS["npr_mnv3s.v1"])
create_v2_detector.default_cfg = _shipped_cfg(WEIGHTS_DIR / SHIPPED_FOLDERS["rgb_mnv3s.v2"])
create_v3_detector.default_cfg = _shipped_cfg(WEIGHTS_DIR / SHIPPED_FOLDERS["probe_mnv2.v3"])
