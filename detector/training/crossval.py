"""Source-grouped cross-validation of fine-tuning on a labelled set (e.g. wild-dev), never testing on training data.

    python -m veracity.detector.training.crossval --base RUN/model.safetensors --aligned DATA \
        --data ../shared/data/wild-dev --out CV --folds 5

For each fold k, a copy of the base model is fine-tuned on the aligned data plus every ``--data`` image whose
source group is *not* in fold k, then scores fold k's images (original and perturbed). The out-of-fold
logits give honest figures for the recipe; a final model fine-tuned on everything is what would ship, and the
calibration and threshold are fitted on the out-of-fold logits (scores of models that never saw the image).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from veracity.detector.datasets.splits import group_folds, grouped_samples
from veracity.detector.evaluation import CONDITIONS, grouped_figures
from veracity.detector.models.tiles import tiles_batch
from veracity.detector.training.augment import AugmentCfg
from veracity.detector.training.network import load_trained
from veracity.detector.training.train import TrainCfg, train
from veracity.provenance.assets.asset import decode_pixels


def _conditions():
    return {k: v for k, v in CONDITIONS.items() if k != "reencode-png"}


@torch.no_grad()
def score(model: torch.nn.Module, image: Image.Image, crop: int = 128, n_tiles: int = 16) -> float:
    """Mean tile logit, as `veracity.detector.models.forensic` computes it (torch, for cross-validation only)."""
    batch, _ = tiles_batch(image, crop, n_tiles)
    return float(model(torch.from_numpy(batch)).mean())


def finetune_cfg(base: str, data: tuple[str, ...], out: Path, exclude: tuple[str, ...], args) -> TrainCfg:
    return TrainCfg(
        data=data,
        out=str(out),
        init_weights=base,
        exclude_groups=exclude,
        epochs=args.epochs,
        steps_per_epoch=args.steps,
        lr=args.lr,
        val_fraction=0.1,
        val_crops=2,
        seed=args.seed,
        augment=AugmentCfg(crop=128),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="model.safetensors of the aligned-data model")
    parser.add_argument("--aligned", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--final", action="store_true", help="also fine-tune the final model on all data")
    parser.add_argument("--package", type=Path, help="with --final: write the final detector folder here")
    parser.add_argument("--name", default="npr_mnv3s.custom", help="registry name of the packaged detector")
    parser.add_argument("--target-fpr", type=float, default=0.05)
    args = parser.parse_args()
    torch.set_num_threads(1)
    samples = grouped_samples([args.data])
    folds = np.array(group_folds(samples, args.folds))
    labels = np.array([s.label for s in samples])
    conditions = _conditions()
    logits = {name: np.zeros(len(samples)) for name in conditions}
    data = (args.aligned, args.data)
    for fold in range(args.folds):
        held_out = np.flatnonzero(folds == fold)
        exclude = tuple(sorted({samples[i].group for i in held_out}))
        cfg = finetune_cfg(args.base, data, args.out / f"fold{fold}", exclude, args)
        model = load_trained(train(cfg, log=print).weights)
        for i in held_out:
            image = decode_pixels(samples[i].path)  # pixels only, as analysis sees them
            for name, perturb in conditions.items():
                logits[name][i] = score(model, perturb(image))
        print(f"fold {fold}: {len(held_out)} held-out images scored", flush=True)
    report = {name: grouped_figures(values, labels, folds) for name, values in logits.items()}
    report["auroc_drop"] = {k: round(report["original"]["auroc"] - v["auroc"], 4) for k, v in report.items()}
    (args.out / "cv.json").write_text(json.dumps(report, indent=2) + "\n")
    np.savez(args.out / "oof_logits.npz", labels=labels, folds=folds, **logits)
    for name, figures in report.items():
        if name != "auroc_drop":
            print(
                f"{name:16s} AUROC {figures['auroc']:.3f} {figures['auroc_ci95']}  "
                f"bal.acc {figures['balanced_accuracy']:.3f}  TPR@1%FPR {figures['tpr_at_1pct_fpr']:.3f}  "
                f"ECE {figures['ece']:.3f}"
            )
    if args.final:
        final = train(finetune_cfg(args.base, data, args.out / "final", (), args), log=print)
        if args.package:
            package_final(final.weights, args.package, args.name, logits["original"], labels, args)


def package_final(weights: Path, folder: Path, name: str, oof_logits: np.ndarray, labels: np.ndarray, args) -> None:
    """Export the final model and calibrate it on the out-of-fold logits (scores by models that never saw
    the image), so the shipped probabilities, threshold and bands are not fitted on the model's training set."""
    from veracity.detector.config import DetectorCfg
    from veracity.detector.models.recalibrate import save_calibration
    from veracity.detector.training.export import package_detector

    cfg = DetectorCfg(
        name=name,
        input_size=128,
        n_crops=16,
        mean=(0, 0, 0),
        std=(1, 1, 1),
        params={"backbone": "mobilenetv3_small_100", "stem": "npr", "aggregate": "mean_logit"},
    )
    package_detector(load_trained(weights), weights, folder, cfg)
    fitted = save_calibration(
        folder, oof_logits, labels, fitted_on=f"{Path(args.data).name} (out-of-fold)", target_fpr=args.target_fpr
    )
    print(json.dumps(fitted, indent=2))


if __name__ == "__main__":
    main()
