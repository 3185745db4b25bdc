"""Fit a saved detector folder's calibration, threshold and verdict bands on labelled data (no torch).

The threshold keeps the false-positive rate on real photos at or under a stated rate; the result is
written into the folder's ``detector.json``, so every later load uses it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from veracity.detector.calibration import fit_platt, threshold_for_fpr
from veracity.detector.config import DetectorCfg
from veracity.detector.datasets.splits import group_folds, grouped_samples
from veracity.detector.evaluation import grouped_figures
from veracity.detector.models.forensic import CFG_FILE, load_detector
from veracity.provenance.assets.asset import decode_pixels


def calibrate_folder(
    folder, dataset, *, target_fpr: float = 0.05, band_width: float = 0.25, n_folds: int = 5, samples=None
):
    """Fit the calibration, threshold and bands of a detector folder on a labelled dataset and save them.

    ``samples`` (`detector.datasets` rows) replaces reading ``dataset`` with `grouped_samples`, for a forced
    layout; ``dataset`` then only names what the calibration was fitted on.

    The threshold is the one that keeps the false-positive rate on ``dataset``'s real photos at or under
    ``target_fpr`` (after calibration). Bands: ``likely-generated`` from the threshold up; ``likely-real``
    under the score that at most ``target_fpr`` of the generated images fall below (and at least
    ``band_width`` under the threshold); ``inconclusive`` between.

    Returns:
        dict with the fitted calibration, threshold, bands and out-of-fold figures (see `grouped_figures`).
    """
    folder = Path(folder)
    detector = load_detector(folder)
    samples = grouped_samples([dataset]) if samples is None else list(samples)
    logits = np.array([detector.image_logit(decode_pixels(s.path)) for s in samples])
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
