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
