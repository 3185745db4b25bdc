"""Package a finished training run and calibrate it on its own held-out sources (never on wild-dev).

    python -m veracity.detector.training.heldout --run RUN --package PKG --name NAME [--n-tiles 16]

A run validates on whole source groups it never trains on (`veracity.detector.datasets.splits.split_by_group`
with the run's ``val_fraction`` and ``seed``). `validation_samples` rebuilds that split from the run's
``train.json``, so the calibration, the threshold for the stated false-positive rate and the bands can be
fitted on images of sources the network never saw, and every figure on another set (wild-dev) stays out of
sample.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from veracity.detector.datasets.layouts import Sample
from veracity.detector.datasets.splits import grouped_samples, split_by_group


def validation_samples(run: str | Path) -> list[Sample]:
    """The validation images of a finished run (whole held-out source groups), from its ``train.json``.

    Raises:
        FileNotFoundError: the run has no ``train.json`` (it has not finished).
    """
    path = Path(run) / "train.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: the run has not finished. Finish or resume it first.")
    cfg = json.loads(path.read_text(encoding="utf-8"))["cfg"]
    excluded = set(cfg.get("exclude_groups") or ())
    samples = [s for s in grouped_samples(cfg["data"]) if s.group not in excluded]
    return split_by_group(samples, cfg["val_fraction"], cfg["seed"])[1]


def main() -> None:
    from veracity.detector.config import DetectorCfg
    from veracity.detector.models.recalibrate import calibrate_folder
    from veracity.detector.training.export import package_detector
    from veracity.detector.training.network import load_trained

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a finished run folder (train.json, model.safetensors)")
    parser.add_argument("--package", type=Path, required=True, help="the detector folder to write")
    parser.add_argument("--name", required=True, help="registry name of the packaged detector")
    parser.add_argument("--n-tiles", type=int, default=16)
    parser.add_argument("--target-fpr", type=float, default=0.05)
    args = parser.parse_args()
    cfg = json.loads((args.run / "train.json").read_text(encoding="utf-8"))["cfg"]
    weights = args.run / "model.safetensors"
    detector_cfg = DetectorCfg(name=args.name, input_size=cfg["crop"], n_crops=args.n_tiles, mean=(0, 0, 0),
                               std=(1, 1, 1), params={"backbone": cfg["backbone"], "stem": cfg.get("stem", "npr"),
                                                      "aggregate": "mean_logit"})  # fmt: skip
    package_detector(load_trained(weights), weights, args.package, detector_cfg)
    held_out = validation_samples(args.run)
    fitted = calibrate_folder(args.package, f"{args.run.name} validation split (held-out corpus sources)",
                              target_fpr=args.target_fpr, samples=held_out)  # fmt: skip
    print(json.dumps(fitted, indent=1))


if __name__ == "__main__":
    main()
