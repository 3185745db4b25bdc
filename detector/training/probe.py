"""A linear probe: a frozen ImageNet backbone, its features averaged over the scoring tiles, a logistic regression.

Trained from scratch on the corpus, the network fits its sources and transfers poorly (wild-dev AUROC 0.61-0.67);
fine-tuned from ImageNet it transfers better, and a logistic regression on the frozen ImageNet features of
native-resolution tiles transfers best (see the model card). The probe is also cheap: one pass of feature
extraction, then a convex fit whose regularisation is chosen by leave-source-out cross-validation on the
training data itself, never on the validation set.

The result is an ordinary network: the pretrained backbone with a linear head (on the last features, or on the
pooled outputs of some blocks as well: `PooledLevelsClassifier`). Averaging a linear head's logits over tiles
equals the head applied to the averaged features, so fitting on averaged tile features is exactly what the
tile-averaging runtime scores. The out-of-fold logits of the chosen fit calibrate the packaged detector (Platt,
threshold, bands), so its probabilities come from images it was not fitted on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from veracity.detector.config import DetectorCfg
from veracity.detector.datasets.layouts import Sample
from veracity.detector.datasets.splits import group_folds
from veracity.detector.models.recalibrate import save_calibration
from veracity.detector.models.tiles import MIN_SIDE, tiles_batch
from veracity.detector.training.export import package_detector
from veracity.detector.training.network import LEVELS_KEY, build_model, load_trained, read_weights_metadata
from veracity.detector.training.sampling import balanced_weights
from veracity.provenance.assets.asset import decode_pixels
from veracity.provenance.errors import ProvenanceError

FEATURES_FILE = "features.npz"


@dataclass(frozen=True)
class ProbeCfg:
    """What a probe is fitted on and how.

    Attributes:
        init_weights: the frozen network (``model.safetensors`` with backbone and stem in its metadata), e.g.
            the ImageNet start of `veracity.detector.training.pretrained`.
        crop: tile side in pixels, at native resolution (the runtime's ``input_size``).
        n_tiles: tiles per image (the runtime's ``n_crops``).
        c_grid: inverse regularisation strengths tried; the best leave-source-out AUROC wins.
        n_folds: cross-validation folds, whole source groups per fold.
        balance_alpha: tempering of class, family and source shares (`veracity.detector.training.sampling`).
        levels: backbone blocks whose pooled outputs the head reads beside the last features
            (`PooledLevelsClassifier`); empty: the last features only.
    """

    init_weights: str
    crop: int = 224
    n_tiles: int = 4
    c_grid: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1)
    n_folds: int = 8
    balance_alpha: float = 0.5
    levels: tuple[int, ...] = ()


@dataclass(frozen=True)
class ProbeFit:
    """The chosen logistic regression, in raw feature units (standardisation folded in)."""

    c: float
    coef: np.ndarray
    intercept: float
    oof_logits: np.ndarray
    cv_auroc: dict[float, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"C": self.c, "cv_auroc": {str(c): round(a, 4) for c, a in self.cv_auroc.items()}}


@torch.no_grad()
def image_features(model: nn.Module, image, *, crop: int, n_tiles: int) -> np.ndarray:
    """What the model's head reads (its ``features``), averaged over the image's runtime tiles."""
    batch, _ = tiles_batch(image, crop, n_tiles)
    return model.features(torch.from_numpy(batch)).mean(0).numpy()


def load_start(init_weights: str, levels: Sequence[int] = ()) -> nn.Module:
    """The frozen network: ``init_weights`` as saved, or its backbone under a `PooledLevelsClassifier` head.

    Raises:
        ValueError: the file's backbone does not fit (missing or unexpected weights beyond the heads).
    """
    if not levels:
        return load_trained(init_weights)
    from safetensors.torch import load_file

    metadata = read_weights_metadata(init_weights)
    model = build_model(metadata["backbone"], metadata.get("stem", "rgb"), levels)
    result = model.load_state_dict(load_file(str(init_weights)), strict=False)
    missing = [k for k in result.missing_keys if not k.startswith("head.")]
    unexpected = [k for k in result.unexpected_keys if not k.startswith("backbone.classifier.")]
    if missing or unexpected:
        raise ValueError(f"{init_weights} does not fit: missing {missing[:3]}, unexpected {unexpected[:3]}.")
    return model.eval()


def dataset_features(
    model: nn.Module, samples: Sequence[Sample], cfg: ProbeCfg, log: Callable[[str], None] = print
) -> tuple[np.ndarray, list[Sample]]:
    """Features of every readable sample (rows of the matrix) and those samples; unreadable files are named."""
    rows, kept, started = [], [], time.monotonic()
    for index, sample in enumerate(samples):
        try:
            image = decode_pixels(sample.path)
            if min(image.size) < MIN_SIDE:
                raise ValueError(f"{image.width}x{image.height} is under {MIN_SIDE} px")
        except (ProvenanceError, ValueError) as exc:  # one bad file never stops the fit
            log(f"  skipped {sample.relpath}: {exc}")
            continue
        rows.append(image_features(model, image, crop=cfg.crop, n_tiles=cfg.n_tiles))
        kept.append(sample)
        if (index + 1) % 500 == 0:
            log(f"  features: {index + 1}/{len(samples)} in {time.monotonic() - started:.0f} s")
    return np.stack(rows), kept


def fit_probe(
    features: np.ndarray, labels: np.ndarray, folds: np.ndarray, weights: np.ndarray, c_grid: Sequence[float]
) -> ProbeFit:
    """Logistic regression on standardised features; C by grouped cross-validated AUROC; refit on everything.

    Raises:
        ValueError: a fold leaves one class out of the training side.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    def fit(rows):
        scaler = StandardScaler().fit(features[rows])
        model = LogisticRegression(C=c, max_iter=5000)
        model.fit(scaler.transform(features[rows]), labels[rows], sample_weight=weights[rows] / weights[rows].mean())
        return scaler, model

    best = None
    cv_auroc = {}
    for c in c_grid:
        oof = np.zeros(len(labels))
        for fold in np.unique(folds):
            train_rows, test_rows = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
            if len(np.unique(labels[train_rows])) < 2:
                raise ValueError(f"Fold {fold} leaves a class out of training; use fewer folds or more sources.")
            scaler, model = fit(train_rows)
            oof[test_rows] = model.decision_function(scaler.transform(features[test_rows]))
        cv_auroc[c] = float(roc_auc_score(labels, oof))
        if best is None or cv_auroc[c] > cv_auroc[best[0]]:
            best = (c, oof)
    c, oof = best
    scaler, model = fit(np.arange(len(labels)))
    coef = model.coef_[0] / scaler.scale_
    intercept = float(model.intercept_[0] - np.sum(coef * scaler.mean_))
    return ProbeFit(c, coef, intercept, oof, cv_auroc)


def with_linear_head(model: nn.Module, fit: ProbeFit) -> nn.Module:
    """``model`` with its head replaced by the probe's weights (one logit)."""
    head = model.head
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(fit.coef.astype(np.float32))[None])
        head.bias.fill_(fit.intercept)
    return model.eval()


def train_probe(
    cfg: ProbeCfg,
    samples: Sequence[Sample],
    out: str | Path,
    *,
    name: str,
    log: Callable[[str], None] = print,
) -> Path:
    """Fit a probe on ``samples`` and package it in ``out`` (ONNX, weights, calibration); return detector.json.

    Features are cached in ``out/features.npz`` with the paths they belong to and a digest of what they depend on
    (files, tiles, levels, weights), so a refit on the same inputs is instant and any other input recomputes them.

    Raises:
        ValueError: the samples lack a class, or a fold does.
    """
    from safetensors.torch import save_file

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = load_start(cfg.init_weights, cfg.levels)
    cache = out / FEATURES_FILE
    key = _features_key(cfg, samples)
    cached = np.load(cache) if cache.is_file() else None
    if cached is not None and "key" in cached and str(cached["key"]) == key:  # same files, tiles, levels, weights
        by_path = {s.relpath: s for s in samples}
        features, kept = cached["features"], [by_path[p] for p in cached["paths"]]
    else:
        features, kept = dataset_features(model, samples, cfg, log)
        np.savez(cache, features=features, paths=np.array([s.relpath for s in kept]), key=np.array(key))
    labels = np.array([s.label for s in kept])
    if len(np.unique(labels)) < 2:
        raise ValueError("A probe needs real and generated images.")
    weights = balanced_weights(kept, np.arange(len(kept)), alpha=cfg.balance_alpha)
    folds = np.array(group_folds(kept, cfg.n_folds))
    fit = fit_probe(features, labels, folds, weights, cfg.c_grid)
    log(f"probe: C={fit.c}, leave-source-out AUROC {fit.cv_auroc[fit.c]:.3f} over {len(kept)} images")
    model = with_linear_head(model, fit)
    weights_file = out / "probe.safetensors"
    tensors = {key: value.contiguous() for key, value in model.state_dict().items()}
    metadata = {"backbone": read_weights_metadata(cfg.init_weights)["backbone"], "stem": "rgb"}
    if cfg.levels:
        metadata[LEVELS_KEY] = ",".join(map(str, cfg.levels))
    save_file(tensors, str(weights_file), metadata=metadata)
    detector_cfg = DetectorCfg(
        name=name,
        input_size=cfg.crop,
        n_crops=cfg.n_tiles,
        mean=(0, 0, 0),
        std=(1, 1, 1),
        params={**metadata, "aggregate": "mean_logit", "probe": fit.to_dict()},
    )
    detector_json = package_detector(model, weights_file, out / "detector", detector_cfg)
    save_calibration(out / "detector", fit.oof_logits, labels, fitted_on="out-of-fold probe logits (training data)")
    return detector_json


def _features_key(cfg: ProbeCfg, samples: Sequence[Sample]) -> str:
    """A digest of what the cached features depend on: the files asked for, the tiles, the levels, the weights."""
    import hashlib
    import json

    from veracity.provenance.assets.hashing import sha256_file

    facts = {"paths": [s.relpath for s in samples], "crop": cfg.crop, "n_tiles": cfg.n_tiles,
             "levels": list(cfg.levels), "weights": sha256_file(cfg.init_weights)}  # fmt: skip
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()


def main() -> None:
    import argparse

    from veracity.detector.datasets.splits import grouped_samples

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="+", help="training datasets (any layout the harness reads)")
    parser.add_argument("--init", required=True, help="frozen network: python -m veracity.detector.training.pretrained")
    parser.add_argument("--out", required=True, type=Path, help="folder for features.npz and detector/")
    parser.add_argument("--name", default="probe_mnv2.custom", help="registry name of the packaged detector")
    parser.add_argument("--crop", type=int, default=ProbeCfg.crop)
    parser.add_argument("--n-tiles", type=int, default=ProbeCfg.n_tiles)
    parser.add_argument("--levels", default="", help="blocks pooled beside the last features, e.g. 2,3,4,5,6")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    levels = tuple(int(part) for part in args.levels.split(",") if part.strip())
    cfg = ProbeCfg(init_weights=args.init, crop=args.crop, n_tiles=args.n_tiles, levels=levels)
    print(train_probe(cfg, grouped_samples(args.data), args.out, name=args.name))


if __name__ == "__main__":
    main()
