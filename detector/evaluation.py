"""Pixel-only, source-grouped evaluation of raw detector scores: AUROC with intervals, TPR at low FPR,
balanced accuracy and ECE at thresholds fitted on the other folds, and the robustness conditions.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from veracity.detector.calibration import PlattCalibration, expected_calibration_error, fit_platt, threshold_for_fpr


def jpeg_roundtrip(image: Image.Image, quality: int) -> Image.Image:
    """Encode and decode ``image`` as a 4:2:0 JPEG at ``quality`` (Pillow/libjpeg tables)."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=int(quality))
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def png_roundtrip(image: Image.Image) -> Image.Image:
    """Encode and decode ``image`` as PNG: lossless, so any change in a score means the format mattered."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def social_chain(image: Image.Image) -> Image.Image:
    """A social-media chain: long side at most 1080 px (Lanczos), then JPEG quality 80, 4:2:0."""
    scale = 1080 / max(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    return jpeg_roundtrip(image, 80)


#: Robustness conditions: name -> image transform (``original`` first).
CONDITIONS = {
    "original": lambda im: im,
    "reencode-png": png_roundtrip,
    "reencode-jpeg95": lambda im: jpeg_roundtrip(im, 95),
    "jpeg75": lambda im: jpeg_roundtrip(im, 75),
    "resize0.5": lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS),
    "social": social_chain,
}


def grouped_figures(
    logits: np.ndarray,
    labels: np.ndarray,
    folds: np.ndarray,
    *,
    target_fpr: float = 0.05,
    shipped: tuple[PlattCalibration, float] | None = None,
) -> dict:
    """Source-grouped cross-validated figures: each fold calibrated and thresholded on the other folds only.

    Returns AUROC (raw score, with a 95% bootstrap interval), TPR at 1% and 5% FPR (with intervals), and, at the
    per-fold threshold chosen for ``target_fpr``, balanced accuracy, accuracy on real and on generated images,
    and ECE. With ``shipped`` (the detector's own calibration and threshold, fitted elsewhere), also the
    balanced accuracy and ECE the shipped detector gets on these images as it is (``*_shipped``).
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
    boot: dict[str, list[float]] = {"auroc": [], "tpr1": [], "tpr5": []}
    for _ in range(1000):
        index = rng.integers(0, len(labels), len(labels))
        if len(set(labels[index].tolist())) == 2:
            boot["auroc"].append(roc_auc_score(labels[index], logits[index]))
            b_fpr, b_tpr, _ = roc_curve(labels[index], logits[index])
            boot["tpr1"].append(float(np.interp(0.01, b_fpr, b_tpr)))
            boot["tpr5"].append(float(np.interp(0.05, b_fpr, b_tpr)))
    ci = {k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in boot.items()}
    acc_real = float((~decisions[labels == 0]).mean())
    acc_generated = float(decisions[labels == 1].mean())
    figures = {
        "n_real": int((labels == 0).sum()),
        "n_generated": int((labels == 1).sum()),
        "auroc": float(roc_auc_score(labels, logits)),
        "auroc_ci95": ci["auroc"],
        "tpr_at_1pct_fpr": float(np.interp(0.01, fpr, tpr)),
        "tpr_at_1pct_fpr_ci95": ci["tpr1"],
        "tpr_at_5pct_fpr": float(np.interp(0.05, fpr, tpr)),
        "tpr_at_5pct_fpr_ci95": ci["tpr5"],
        "balanced_accuracy": (acc_real + acc_generated) / 2,
        "accuracy_real": acc_real,
        "accuracy_generated": acc_generated,
        "ece": expected_calibration_error(p, labels),
        "target_fpr": target_fpr,
    }
    if shipped is not None:
        calibration, threshold = shipped
        p_shipped = calibration.apply(logits)
        flagged = p_shipped >= threshold
        real_ok, generated_ok = float((~flagged[labels == 0]).mean()), float(flagged[labels == 1].mean())
        figures.update(
            balanced_accuracy_shipped=(real_ok + generated_ok) / 2,
            accuracy_real_shipped=real_ok,
            accuracy_generated_shipped=generated_ok,
            ece_shipped=expected_calibration_error(p_shipped, labels),
            threshold_shipped=float(threshold),
        )
    return figures
