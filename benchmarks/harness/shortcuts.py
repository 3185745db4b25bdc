"""Shortcut report: how far the file format, the image size or the JPEG quality alone go, beside a detector.

A detector that reads pixels should beat predictors that see only what a dataset's files carry by accident:
their container (every WebP generated, real PNGs from benchmarks), their size (generators' square multiples
of 64) or their JPEG quantisation (a camera's tables, a library's default quality 75). Each predictor here is
fitted out of fold (on the other source-grouped folds) when the rows carry folds, so its AUROC is what such a
shortcut would give on unseen sources; without folds it is fitted on the files themselves (an upper bound).

`read_file_facts` reads a file's facts (media type, width, height, estimated IJG quality of its luma table)
from its header; `shortcut_predictors` fits the three predictors; `reencode_check` compares each detector's
AUROC on the original files with its AUROC after every file is re-encoded identically (the harness's
``reencode`` perturbation): the difference is what the format was worth to the detector.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from veracity.benchmarks.harness.metrics import compute_metrics

#: Shortcut predictor name -> what it sees.
PREDICTORS = {
    "format-only": "the container format (P(generated given format))",
    "size-only": "width, height, aspect and multiples of 8/64 (gradient-boosted trees)",
    "jpeg-quality-only": "the IJG quality estimated from the luma quantisation table; non-JPEG files apart",
}
#: The largest AUROC change identical re-encoding may cause for a detector that does not read the format.
REENCODE_TOLERANCE = 0.02


def read_file_facts(path: str) -> dict[str, Any]:
    """``{"media_type", "width", "height", "jpeg_quality"}`` of an image file, from its header (no decode).

    ``jpeg_quality`` is ``None`` for anything but a JPEG; a value is ``None`` when the file cannot be read.
    """
    from PIL import Image

    from veracity.provenance.assets.mediatypes import sniff_media_type
    from veracity.provenance.forensics.quantisation import read_quantisation

    facts: dict[str, Any] = {"media_type": None, "width": None, "height": None, "jpeg_quality": None}
    try:
        with open(path, "rb") as handle:
            found = sniff_media_type(handle.read(8192))
        facts["media_type"] = found.mime if found else None
        with Image.open(path) as image:
            facts["width"], facts["height"] = image.size
            tables = read_quantisation(image)
            if tables:
                facts["jpeg_quality"] = tables[0].quality
    except (OSError, ValueError, SyntaxError):
        pass  # an unreadable file has no facts; the detectors' rows say what went wrong with it
    return facts


def _size_features(facts: Sequence[dict[str, Any]]) -> np.ndarray:
    rows = []
    for f in facts:
        w, h = f.get("width") or 0, f.get("height") or 0
        if not w or not h:
            rows.append([np.nan] * 7)
            continue
        rows.append([math.log2(w), math.log2(h), math.log2(w / h), w % 64 == 0, h % 64 == 0, w % 8 == 0, h % 8 == 0])
    return np.array(rows, dtype=float)


def _quality_features(facts: Sequence[dict[str, Any]]) -> np.ndarray:
    # Non-JPEG files get -1: "no quantisation table" is itself what such a predictor may learn.
    return np.array([[f["jpeg_quality"] if f.get("jpeg_quality") is not None else -1] for f in facts], dtype=float)


def _format_scores(train_formats: list[str], train_y: np.ndarray, formats: list[str]) -> np.ndarray:
    counts: dict[str, list[float]] = defaultdict(lambda: [1.0, 1.0])  # Laplace: an unseen format scores 0.5
    for fmt, y in zip(train_formats, train_y, strict=True):
        counts[fmt][int(y)] += 1
    return np.array([counts[f][1] / sum(counts[f]) for f in formats])


def _tree_scores(x_train: np.ndarray, y_train: np.ndarray, x: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.ensemble import HistGradientBoostingClassifier

    if len(set(y_train.tolist())) < 2:
        return np.full(len(x), float(y_train.mean()) if len(y_train) else 0.5)
    leaf = min(20, max(1, len(y_train) // 20))  # small datasets (tests, one source) still get splits
    model = HistGradientBoostingClassifier(max_iter=100, max_depth=3, min_samples_leaf=leaf, random_state=seed)
    model.fit(x_train, y_train)
    return model.predict_proba(x)[:, 1]


def shortcut_scores(
    facts: Sequence[dict[str, Any]], labels: Sequence[int], folds: Sequence[int | None] | None = None, *, seed: int = 0
) -> dict[str, np.ndarray]:
    """Each shortcut predictor's P(generated) per file, out of fold when ``folds`` are given (else in-sample)."""
    y = np.asarray(labels, dtype=int)
    formats = [str(f.get("media_type")) for f in facts]
    size_x, quality_x = _size_features(facts), _quality_features(facts)
    fold_ids = [None] if folds is None or all(f is None for f in folds) else sorted(set(folds) - {None})
    folds_arr = np.array([-1 if f is None else f for f in (folds or [None] * len(y))])
    out = {name: np.full(len(y), np.nan) for name in PREDICTORS}
    for fold in fold_ids:
        test = np.ones(len(y), bool) if fold is None else folds_arr == fold
        train = np.ones(len(y), bool) if fold is None else ~test
        train_idx, test_idx = np.flatnonzero(train), np.flatnonzero(test)
        train_formats, test_formats = [formats[i] for i in train_idx], [formats[i] for i in test_idx]
        out["format-only"][test] = _format_scores(train_formats, y[train], test_formats)
        out["size-only"][test] = _tree_scores(size_x[train], y[train], size_x[test], seed)
        out["jpeg-quality-only"][test] = _tree_scores(quality_x[train], y[train], quality_x[test], seed)
    return out


def shortcut_predictors(
    facts: Sequence[dict[str, Any]],
    labels: Sequence[int],
    folds: Sequence[int | None] | None = None,
    *,
    n_boot: int = 200,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """AUROC (with a bootstrap interval) of each shortcut predictor: name -> {"auroc", "fitted", "sees"}."""
    y = np.asarray(labels, dtype=int)
    scores = shortcut_scores(facts, labels, folds, seed=seed)
    fitted = "in-sample" if folds is None or all(f is None for f in folds) else "out-of-fold (source-grouped)"
    out = {}
    for name, p in scores.items():
        keep = ~np.isnan(p)
        auroc = compute_metrics(y[keep], p[keep], threshold=0.5, names=["auroc"], n_boot=n_boot, seed=seed)["auroc"]
        out[name] = {"auroc": auroc.to_dict(), "fitted": fitted, "sees": PREDICTORS[name]}
    return out


def reencode_check(overall: dict[tuple[str, str], dict[str, Any]], identity: str, reencode: str) -> list[dict]:
    """Per detector: AUROC on the original files and after identical re-encoding, the difference, and the verdict.

    Args:
        overall: (detector, perturbation) -> that slice's result (``metrics.auroc.value``).
        identity: the name of the unperturbed condition; reencode: the re-encoding perturbation's name.
    """
    rows = []
    for detector in sorted({d for d, _ in overall}):
        if (detector, identity) not in overall or (detector, reencode) not in overall:
            continue
        original = overall[(detector, identity)]["metrics"]["auroc"]["value"]
        reencoded = overall[(detector, reencode)]["metrics"]["auroc"]["value"]
        delta = None if original is None or reencoded is None else reencoded - original
        rows.append({"detector": detector, "reencode": reencode, "auroc_original": original,
                     "auroc_reencoded": reencoded, "delta": delta,
                     "within_tolerance": None if delta is None else abs(delta) <= REENCODE_TOLERANCE})  # fmt: skip
    return rows
