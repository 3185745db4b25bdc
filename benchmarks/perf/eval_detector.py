"""Evaluate a detector folder on a labelled dataset: source-grouped CV figures, robustness, format check.

    python -m veracity.benchmarks.perf.eval_detector --data ../shared/data/wild-dev --out eval.json

Pixels only, metadata stripped: every file is decoded to RGB without applying EXIF orientation, and the
model never sees anything but pixels. Each condition re-scores every image after a perturbation; figures
come from `veracity.detector.evaluation.grouped_figures`: AUROC and TPR at 1% and 5% FPR with bootstrap
intervals; balanced accuracy and ECE twice, with calibration and threshold fitted on the other source-grouped
folds, and with the detector's own shipped calibration and threshold (``*_shipped``). ``reencode-jpeg95``
re-encodes every image identically, so the difference from ``original`` is what the file format was worth to
the model (``reencode-png`` is lossless and must change nothing).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from veracity.detector.datasets.splits import group_folds, grouped_samples
from veracity.detector.evaluation import CONDITIONS, grouped_figures
from veracity.detector.models.forensic import DEFAULT_DETECTOR_DIR, load_detector
from veracity.provenance.assets.asset import decode_pixels


def _size_bucket(image: Image.Image) -> str:
    side = min(image.size)
    return "short<512" if side < 512 else "short512-767" if side < 768 else "short768-1023" if side < 1024 else ">=1024"


def evaluate(folder: Path, data: Path, conditions: list[str], target_fpr: float, n_folds: int) -> dict:
    detector = load_detector(folder)
    samples = grouped_samples([data])
    labels = np.array([s.label for s in samples])
    folds = np.array(group_folds(samples, n_folds))
    images = [decode_pixels(sample.path) for sample in samples]  # pixels only, as analysis sees them
    report: dict = {"detector": detector.name, "data": data.name, "n_folds": n_folds, "conditions": {}}
    for name in conditions:
        started = time.perf_counter()
        logits = np.array([detector.image_logit(CONDITIONS[name](image)) for image in images])
        shipped = (detector._calibration, detector.cfg.threshold)
        figures = grouped_figures(logits, labels, folds, target_fpr=target_fpr, shipped=shipped)
        figures["seconds"] = round(time.perf_counter() - started, 1)
        if name == "original":
            p = detector._calibration.apply(logits)
            flagged = p >= detector.cfg.threshold
            per_source: dict[str, list[int]] = defaultdict(list)
            per_size: dict[str, list[int]] = defaultdict(list)
            for sample, image, hit in zip(samples, images, flagged, strict=True):
                per_source[("fake:" if sample.label else "real:") + (sample.generator or sample.source or "?")].append(
                    int(hit)
                )
                per_size[("fake " if sample.label else "real ") + _size_bucket(image)].append(int(hit))
            figures["flagged_generated_at_shipped_threshold"] = {
                key: f"{sum(v)}/{len(v)}" for key, v in sorted({**per_source, **per_size}.items())
            }
        report["conditions"][name] = figures
        print(
            f"{name:16s} AUROC {figures['auroc']:.3f} [{figures['auroc_ci95'][0]:.3f}, {figures['auroc_ci95'][1]:.3f}]"
            f"  TPR@1%FPR {figures['tpr_at_1pct_fpr']:.3f}  TPR@5%FPR {figures['tpr_at_5pct_fpr']:.3f}"
            f"  bal.acc {figures['balanced_accuracy']:.3f} (shipped thr. {figures['balanced_accuracy_shipped']:.3f})"
            f"  ECE {figures['ece']:.3f} (shipped {figures['ece_shipped']:.3f})  ({figures['seconds']} s)",
            flush=True,
        )
    base = report["conditions"].get("original", {}).get("auroc")
    if base is not None:
        report["auroc_drop"] = {k: round(base - v["auroc"], 4) for k, v in report["conditions"].items()}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR_DIR, help="detector folder")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--target-fpr", type=float, default=0.05)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    report = evaluate(args.detector, args.data, args.conditions.split(","), args.target_fpr, args.folds)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
