"""Two classical baselines, trained here: spectral (Durall et al. 2020) and DCT statistics (Frank et al. 2020).

Both turn an image into a fixed-length feature vector and classify it with scikit-learn's
``StandardScaler`` + ``LogisticRegression``. They follow scikit-learn's habits: ``__init__`` stores the
config, ``fit`` returns ``self``, ``predict_proba`` refuses to run before ``fit`` or ``load``.

- ``spectral.durall2020``: the azimuthally averaged log power spectrum of a grey centre crop, resampled to
  ``params["n_bins"]`` radii (upsampling leaves periodic traces at high frequencies).
- ``dct.frank2020``: the log-magnitude 2-D DCT of a grey centre crop, mean-pooled to a
  ``params["grid"]`` x ``grid`` map (GAN/diffusion upsampling leaves grid-aligned DCT peaks).

The fitted parameters are a ``detector.json`` (a `DetectorCfg` whose ``params`` hold the scaler and the
coefficients); its sha256 identifies the model in benchmark outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from veracity.detector.base import BaseDetector, proba_from_p
from veracity.detector.capabilities import Capability
from veracity.detector.config import DetectorCfg
from veracity.detector.errors import CheckpointNotFoundError, DetectorConfigError, DetectorNotFittedError
from veracity.detector.registry import register_detector

SPECTRAL_CFG = DetectorCfg(
    name="spectral.durall2020",
    input_size=256,
    notes="Azimuthal average of the log power spectrum + logistic regression (Durall et al., CVPR 2020).",
    license="Apache-2.0 (fitted here)",
    params={"n_bins": 64, "C": 1.0},
)
DCT_CFG = DetectorCfg(
    name="dct.frank2020",
    input_size=256,
    notes="Log-magnitude 2-D DCT, pooled, + logistic regression (Frank et al., ICML 2020).",
    license="Apache-2.0 (fitted here)",
    params={"grid": 16, "C": 0.1},
)
_FITTED_KEYS = ("scaler_mean", "scaler_scale", "coef", "intercept")


def grey_center_crop(image: Image.Image, size: int) -> np.ndarray:
    """float64 luma of the centre ``size`` x ``size`` crop (the whole image when smaller), in [0, 255]."""
    grey = image.convert("L")
    w, h = grey.size
    cw, ch = min(w, size), min(h, size)
    left, top = (w - cw) // 2, (h - ch) // 2
    return np.asarray(grey.crop((left, top, left + cw, top + ch)), dtype=np.float64)


def azimuthal_spectrum(pixels: np.ndarray, n_bins: int) -> np.ndarray:
    """Azimuthally averaged log power spectrum, resampled to ``n_bins`` radii in [0, 1], min-max scaled."""
    spectrum = np.fft.fftshift(np.fft.fft2(pixels - pixels.mean()))
    power = np.log1p(np.abs(spectrum) ** 2)
    h, w = power.shape
    yy, xx = np.indices(power.shape)
    radius = np.hypot((yy - h // 2) / max(h // 2, 1), (xx - w // 2) / max(w // 2, 1))
    r_idx = np.minimum((radius * n_bins).astype(int), n_bins)
    sums = np.bincount(r_idx.ravel(), weights=power.ravel(), minlength=n_bins + 1)[:n_bins]
    counts = np.bincount(r_idx.ravel(), minlength=n_bins + 1)[:n_bins]
    profile = sums / np.maximum(counts, 1)
    span = profile.max() - profile.min()
    return (profile - profile.min()) / span if span > 0 else np.zeros(n_bins)


def pooled_dct(pixels: np.ndarray, grid: int) -> np.ndarray:
    """log |DCT-II| of the crop, mean-pooled to ``grid`` x ``grid`` cells (flattened)."""
    from scipy.fft import dctn

    coeffs = np.log1p(np.abs(dctn(pixels - 128.0, norm="ortho")))
    h, w = coeffs.shape
    rows = np.array_split(np.arange(h), min(grid, h))
    cols = np.array_split(np.arange(w), min(grid, w))
    pooled = np.zeros((grid, grid))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            pooled[i, j] = coeffs[np.ix_(r, c)].mean()
    return pooled.ravel()


class FeatureDetector(BaseDetector):
    """A feature extractor + standardised logistic regression. Subclasses define `features`."""

    capabilities = BaseDetector.capabilities | {Capability.EXTRACT_FEATURES, Capability.FIT, Capability.SAVE}

    def __init__(self, cfg: DetectorCfg) -> None:
        super().__init__(cfg)
        self.checkpoint_sha256: str | None = None

    # -- the two halves the batch engine runs apart: features in workers, the linear model in batches --

    def features(self, image: Image.Image) -> np.ndarray:
        raise NotImplementedError

    def predict_features(self, features: np.ndarray) -> np.ndarray:
        """P(generated) for a (n, d) feature matrix, shape (n,)."""
        self._check_is_fitted()
        p = self.cfg.params
        z = (np.asarray(features, dtype=np.float64) - np.asarray(p["scaler_mean"])) / np.asarray(p["scaler_scale"])
        logits = z @ np.asarray(p["coef"]) + float(p["intercept"])
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))

    def _predict_proba(self, images: list[Image.Image]) -> np.ndarray:
        return proba_from_p(self.predict_features(np.stack([self.features(im) for im in images])))

    # -- scikit-learn style training -------------------------------------------------------------------

    @property
    def is_fitted(self) -> bool:
        return all(k in self.cfg.params for k in _FITTED_KEYS)

    def _check_is_fitted(self) -> None:
        if not self.is_fitted:
            raise DetectorNotFittedError(
                f"{self.name} is not fitted. Fit it (veracity bench fit) or pass the checkpoint folder it wrote."
            )

    def fit(self, images: Sequence[Image.Image], y: Sequence[int]) -> FeatureDetector:
        """Fit on images and labels (0 real, 1 generated); returns ``self``."""
        return self.fit_features(np.stack([self.features(im) for im in images]), y)

    def fit_features(self, features: np.ndarray, y: Sequence[int], *, seed: int = 0) -> FeatureDetector:
        """Fit on precomputed features (n, d); returns ``self``."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        y_arr = np.asarray(y, dtype=int)
        if len(set(y_arr.tolist())) != 2:
            raise DetectorConfigError(f"{self.name}: fitting needs both classes. Got labels {sorted(set(y_arr))}.")
        scaler = StandardScaler().fit(features)
        scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
        model = LogisticRegression(C=float(self.cfg.params.get("C", 1.0)), max_iter=5000, class_weight="balanced")
        model.fit(
            (features - scaler.mean_) / scale,
            y_arr,
        )
        fitted = {
            "scaler_mean": scaler.mean_.tolist(),
            "scaler_scale": scale.tolist(),
            "coef": model.coef_[0].tolist(),
            "intercept": float(model.intercept_[0]),
            "n_train": int(len(y_arr)),
            "n_train_generated": int(y_arr.sum()),
        }
        self.cfg = self.cfg.replace(params={**self.cfg.params, **fitted})
        return self

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``folder/detector.json`` atomically; returns its path."""
        self._check_is_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "detector.json"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".detector.", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.cfg.to_dict(), handle, indent=1)
        os.replace(tmp, target)
        self.checkpoint_sha256 = hashlib.sha256(target.read_bytes()).hexdigest()
        return target

    @classmethod
    def load(cls, checkpoint: str | os.PathLike[str] | None, default: DetectorCfg, **overrides: Any) -> FeatureDetector:
        """An unfitted detector (``checkpoint=None``) or one read from a folder/``detector.json``."""
        if checkpoint is None:
            return cls(default.replace(**overrides))
        path = Path(checkpoint)
        file = path / "detector.json" if path.is_dir() else path
        if not file.is_file():
            raise CheckpointNotFoundError(f"No detector.json at {str(checkpoint)!r}. Pass the folder bench fit wrote.")
        raw = file.read_bytes()
        cfg = DetectorCfg.from_dict(json.loads(raw))
        if cfg.name != default.name:
            raise DetectorConfigError(f"{str(file)!r} holds detector {cfg.name!r}, not {default.name!r}.")
        detector = cls(cfg.replace(**overrides))
        detector.checkpoint_sha256 = hashlib.sha256(raw).hexdigest()
        return detector


class SpectralDetector(FeatureDetector):
    """Durall et al. 2020: azimuthal log power spectrum + logistic regression."""

    def features(self, image: Image.Image) -> np.ndarray:
        return azimuthal_spectrum(grey_center_crop(image, self.cfg.input_size or 256), int(self.cfg.params["n_bins"]))


class DCTDetector(FeatureDetector):
    """Frank et al. 2020: pooled log-magnitude DCT + logistic regression."""

    def features(self, image: Image.Image) -> np.ndarray:
        return pooled_dct(grey_center_crop(image, self.cfg.input_size or 256), int(self.cfg.params["grid"]))


@register_detector("spectral.durall2020", cfg=SPECTRAL_CFG)
def create_spectral(*, checkpoint: str | None = None, device: str = "cpu", **overrides: Any) -> SpectralDetector:
    return SpectralDetector.load(checkpoint, SPECTRAL_CFG, **overrides)


@register_detector("dct.frank2020", cfg=DCT_CFG)
def create_dct(*, checkpoint: str | None = None, device: str = "cpu", **overrides: Any) -> DCTDetector:
    return DCTDetector.load(checkpoint, DCT_CFG, **overrides)


create_spectral.default_cfg = SPECTRAL_CFG
create_dct.default_cfg = DCT_CFG
