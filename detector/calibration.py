"""Calibration of raw detector scores and the choice of threshold and verdict bands (scikit-learn, no torch).

The network's image score is the mean logit over its tiles. `PlattCalibration` maps it to P(generated)
with ``sigmoid(a * logit + b)`` (temperature scaling with a bias), fitted by logistic regression on held-out
images; `out_of_fold` fits it on the other source-grouped folds only, so every calibrated figure is honest.
The shipped threshold is chosen for a stated false-positive rate on real photos (`threshold_for_fpr`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class PlattCalibration:
    """``p = sigmoid(a * logit + b)``.

    Attributes:
        a: slope (1 / temperature).
        b: bias.
    """

    a: float = 1.0
    b: float = 0.0

    def apply(self, logits: np.ndarray | float) -> np.ndarray:
        z = self.a * np.asarray(logits, dtype=np.float64) + self.b
        return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))

    def to_dict(self) -> dict[str, Any]:
        return {"method": "platt", "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlattCalibration:
        return cls(a=float(data["a"]), b=float(data["b"]))


def fit_platt(logits: np.ndarray, labels: np.ndarray) -> PlattCalibration:
    """Fit `PlattCalibration` on (logit, label) pairs; labels 1 = generated.

    Raises:
        ValueError: fewer than two classes in ``labels``.
    """
    from sklearn.linear_model import LogisticRegression

    labels = np.asarray(labels)
    if len(set(labels.tolist())) < 2:
        raise ValueError(f"Calibration needs real and generated images; got labels {sorted(set(labels.tolist()))}.")
    model = LogisticRegression(C=1e4, max_iter=1000).fit(np.asarray(logits, dtype=np.float64).reshape(-1, 1), labels)
    return PlattCalibration(a=float(model.coef_[0, 0]), b=float(model.intercept_[0]))


def out_of_fold(logits: np.ndarray, labels: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Calibrated P(generated) for each image from a calibration fitted on the other folds only."""
    logits, labels, folds = np.asarray(logits), np.asarray(labels), np.asarray(folds)
    out = np.empty(len(logits), dtype=np.float64)
    for fold in np.unique(folds):
        held_out = folds == fold
        out[held_out] = fit_platt(logits[~held_out], labels[~held_out]).apply(logits[held_out])
    return out


def threshold_for_fpr(p_real: np.ndarray, fpr: float) -> float:
    """The lowest threshold at which at most ``fpr`` of ``p_real`` (real photos' scores) reach it."""
    scores = np.sort(np.asarray(p_real, dtype=np.float64))
    allowed = int(np.floor(fpr * len(scores)))  # real photos allowed at or above the threshold
    if allowed >= len(scores):
        return 0.0
    return float(np.nextafter(scores[len(scores) - allowed - 1], np.inf))


def expected_calibration_error(p: np.ndarray, labels: np.ndarray, n_bins: int = 10) -> float:
    """ECE with equal-width bins on P(generated)."""
    p, labels = np.asarray(p, dtype=np.float64), np.asarray(labels, dtype=np.float64)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    return float(sum(abs(p[bins == b].mean() - labels[bins == b].mean()) * (bins == b).mean() for b in np.unique(bins)))


def calibrate_folder(
    folder, dataset, *, target_fpr: float = 0.05, band_width: float = 0.25, n_folds: int = 5, samples=None
):
    """Fit the calibration, threshold and bands of a detector folder on a labelled dataset and save them.

    ``samples`` (`training.data.Sample` rows) replaces reading ``dataset`` with `training.data.read_dataset`,
    for datasets in other layouts; ``dataset`` then only names what the calibration was fitted on.

    The threshold is the one that keeps the false-positive rate on ``dataset``'s real photos at or under
    ``target_fpr`` (after calibration). Bands: ``likely-generated`` from the threshold up; ``likely-real``
    under the score that at most ``target_fpr`` of the generated images fall below (and at least
    ``band_width`` under the threshold); ``inconclusive`` between.

    Returns:
        dict with the fitted calibration, threshold, bands and out-of-fold figures (see `grouped_figures`).
    """
    from pathlib import Path

    from veracity.detector.models.forensic import load_detector
    from veracity.detector.training.data import group_folds, load_image, read_dataset

    folder = Path(folder)
    detector = load_detector(folder)
    samples = read_dataset(dataset) if samples is None else list(samples)
    logits = np.array([detector.image_logit(load_image(s.path)) for s in samples])
    labels = np.array([s.label for s in samples])
    folds = np.array(group_folds(samples, n_folds))
    fitted = save_calibration(
        folder, logits, labels, fitted_on=Path(dataset).name, target_fpr=target_fpr, band_width=band_width
    )
    return {**fitted, "out_of_fold": grouped_figures(logits, labels, folds, target_fpr=target_fpr)}


def save_calibration(folder, logits, labels, *, fitted_on: str, target_fpr: float = 0.05, band_width: float = 0.25):
    """Fit Platt calibration, the threshold for ``target_fpr`` and the bands on (logit, label) pairs; save them
    into ``folder/detector.json``. The logits may come from other models (e.g. out-of-fold fine-tuned models).
    """
    import json
    from pathlib import Path

    from veracity.detector.config import DetectorCfg
    from veracity.detector.models.forensic import CFG_FILE

    cfg_path = Path(folder) / CFG_FILE
    cfg = DetectorCfg.from_dict(json.loads(cfg_path.read_text(encoding="utf-8")))
    logits, labels = np.asarray(logits), np.asarray(labels)
    calibration = fit_platt(logits, labels)
    p = calibration.apply(logits)
    threshold = threshold_for_fpr(p[labels == 0], target_fpr)
    # "likely-real" only under the score that at most target_fpr of the generated images fall below (the mirror
    # of the threshold), and at least band_width under the threshold: a weak model then says "inconclusive".
    low = float(np.quantile(p[labels == 1], target_fpr, method="lower")) if (labels == 1).any() else 0.0
    bands = (max(0.0, min(low, threshold - band_width)), threshold)
    cfg = cfg.replace(
        threshold=threshold,
        bands=bands,
        calibrated=True,
        params={
            **cfg.params,
            "calibration": {**calibration.to_dict(), "fitted_on": fitted_on, "images": int(len(labels))},
            "target_fpr": target_fpr,
        },
    )
    cfg_path.write_text(json.dumps(cfg.to_dict(), indent=2) + "\n", encoding="utf-8")
    return {"calibration": calibration.to_dict(), "threshold": threshold, "bands": list(bands)}


def grouped_figures(logits: np.ndarray, labels: np.ndarray, folds: np.ndarray, *, target_fpr: float = 0.05) -> dict:
    """Source-grouped cross-validated figures: each fold calibrated and thresholded on the other folds only.

    Returns AUROC (raw score, with a 95% bootstrap interval), TPR at 1% FPR, and, at the per-fold threshold
    chosen for ``target_fpr``, balanced accuracy, accuracy on real and on generated images, and ECE.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    logits, labels, folds = np.asarray(logits), np.asarray(labels), np.asarray(folds)
    p = np.empty(len(logits))
    decisions = np.empty(len(logits), dtype=bool)
    for fold in np.unique(folds):
        held_out = folds == fold
        calibration = fit_platt(logits[~held_out], labels[~held_out])
        p_train = calibration.apply(logits[~held_out])
        threshold = threshold_for_fpr(p_train[labels[~held_out] == 0], target_fpr)
        p[held_out] = calibration.apply(logits[held_out])
        decisions[held_out] = p[held_out] >= threshold
    fpr, tpr, _ = roc_curve(labels, logits)
    rng = np.random.default_rng(0)
    boot = []
    for _ in range(1000):
        index = rng.integers(0, len(labels), len(labels))
        if len(set(labels[index].tolist())) == 2:
            boot.append(roc_auc_score(labels[index], logits[index]))
    acc_real = float((~decisions[labels == 0]).mean())
    acc_generated = float(decisions[labels == 1].mean())
    return {
        "n_real": int((labels == 0).sum()),
        "n_generated": int((labels == 1).sum()),
        "auroc": float(roc_auc_score(labels, logits)),
        "auroc_ci95": [float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))],
        "tpr_at_1pct_fpr": float(np.interp(0.01, fpr, tpr)),
        "balanced_accuracy": (acc_real + acc_generated) / 2,
        "accuracy_real": acc_real,
        "accuracy_generated": acc_generated,
        "ece": expected_calibration_error(p, labels),
        "target_fpr": target_fpr,
    }
