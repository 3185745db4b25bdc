"""An ensemble of trained networks in one ONNX graph: per tile, a weighted sum of the members' logits.

Networks trained on different data fail on different images (the aligned-data model reads 2x2 smoothness, a
corpus model reads real generators' outputs): a linear combination of their logits can rank better than either.
`LogitEnsemble` computes ``bias + sum_i coef_i * member_i(crop)`` for every tile, so the image score (the mean
tile logit) is the same combination of the members' image scores, and the inference path
(`veracity.detector.models.forensic`) runs it unchanged. The coefficients are a logistic regression of the
label on the members' image logits over a labelled set none of them trained on (`fit_coefficients`).

    python -m veracity.detector.training.ensemble --member A/model.safetensors --member B/model.safetensors \
        (--fit-on HELD_OUT | --held-out-of RUN) --out PKG --name NAME [--n-tiles 12]

``--held-out-of RUN`` fits on that training run's validation split (source groups it never trained on;
`veracity.detector.training.heldout`); the other members must not have trained on those images either.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from veracity.detector.training.network import (
    DEFAULT_BACKBONE,
    DEFAULT_STEM,
    ENSEMBLE_KEY,
    LogitEnsemble,
    read_weights_metadata,
)


def member_specs(weights: Sequence[str | Path]) -> list[dict[str, str]]:
    """The (backbone, stem) each member's ``model.safetensors`` records."""
    specs = []
    for path in weights:
        metadata = read_weights_metadata(path)
        backbone, stem = metadata.get("backbone", DEFAULT_BACKBONE), metadata.get("stem", DEFAULT_STEM)
        specs.append({"backbone": backbone, "stem": stem})
    return specs


def save_ensemble(ensemble: LogitEnsemble, specs: Sequence[dict[str, str]], path: str | Path) -> Path:
    """Write the ensemble's tensors and its members' specs to one safetensors file (atomically)."""
    import os

    from safetensors.torch import save_file

    path = Path(path)
    tensors = {k: v.detach().cpu().contiguous() for k, v in ensemble.state_dict().items()}
    metadata = {ENSEMBLE_KEY: json.dumps(list(specs))}
    save_file(tensors, str(path.with_suffix(".tmp")), metadata=metadata)
    os.replace(path.with_suffix(".tmp"), path)
    return path


def fit_coefficients(member_logits: np.ndarray, labels: np.ndarray) -> tuple[list[float], float]:
    """Logistic regression of ``labels`` on image logits, shape (n_images, n_members): (coefs, bias).

    Raises:
        ValueError: the labels hold one class only.
    """
    from sklearn.linear_model import LogisticRegression

    labels = np.asarray(labels)
    if len(set(labels.tolist())) < 2:
        raise ValueError("Fitting ensemble coefficients needs real and generated images.")
    model = LogisticRegression(C=1e4, max_iter=2000).fit(np.asarray(member_logits, dtype=np.float64), labels)
    return [float(c) for c in model.coef_[0]], float(model.intercept_[0])


def main() -> None:
    from veracity.detector.config import DetectorCfg
    from veracity.detector.datasets.splits import grouped_samples
    from veracity.detector.models.forensic import TORCH_FILE
    from veracity.detector.models.recalibrate import save_calibration
    from veracity.detector.training.export import package_detector
    from veracity.detector.training.folds import tile_logit
    from veracity.detector.training.heldout import validation_samples
    from veracity.detector.training.network import load_trained
    from veracity.provenance.assets.asset import decode_pixels

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--member", action="append", required=True, help="a model.safetensors (repeatable)")
    fit = parser.add_mutually_exclusive_group(required=True)
    fit.add_argument("--fit-on", nargs="+", help="labelled data none of the members trained on")
    fit.add_argument("--held-out-of", type=Path, help="fit on this run's validation split (held-out sources)")
    parser.add_argument("--out", type=Path, required=True, help="the detector folder to write")
    parser.add_argument("--name", required=True, help="registry name of the packaged detector")
    parser.add_argument("--n-tiles", type=int, default=16)
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--target-fpr", type=float, default=0.05)
    args = parser.parse_args()
    torch.set_num_threads(1)
    members = [load_trained(path) for path in args.member]
    samples = validation_samples(args.held_out_of) if args.held_out_of else grouped_samples(args.fit_on)
    fitted_on = (
        f"{args.held_out_of.name} validation split" if args.held_out_of else "+".join(Path(d).name for d in args.fit_on)
    )
    logits = np.array([[tile_logit(m, decode_pixels(s.path), args.crop, args.n_tiles) for m in members]
                       for s in samples])  # fmt: skip
    labels = np.array([s.label for s in samples])
    coefs, bias = fit_coefficients(logits, labels)
    ensemble = LogitEnsemble(members, coefs, bias).eval()
    args.out.mkdir(parents=True, exist_ok=True)
    specs = member_specs(args.member)
    weights = save_ensemble(ensemble, specs, args.out / TORCH_FILE)
    cfg = DetectorCfg(name=args.name, input_size=args.crop, n_crops=args.n_tiles, mean=(0, 0, 0), std=(1, 1, 1),
                      params={"backbone": "+".join(s["backbone"] for s in specs),
                              "stem": "+".join(s["stem"] for s in specs), "aggregate": "mean_logit",
                              "ensemble": {"members": specs, "coefs": coefs, "bias": bias}})  # fmt: skip
    package_detector(ensemble, weights, args.out, cfg)
    image_logits = logits @ np.array(coefs) + bias
    fitted = save_calibration(args.out, image_logits, labels, fitted_on=fitted_on, target_fpr=args.target_fpr)
    print(json.dumps({"coefs": coefs, "bias": bias, **fitted}, indent=1))


if __name__ == "__main__":
    main()
