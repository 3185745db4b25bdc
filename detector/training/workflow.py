"""Train -> package -> calibrate: the whole `veracity train` workflow as one library call.

`train_and_package` trains (or resumes) a run, optionally exports the model to a detector folder that
`veracity check --detector DIR` loads, and optionally fits that folder's calibration, threshold and bands
on a labelled dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veracity.detector.config import DetectorCfg
from veracity.detector.datasets.layouts import Sample
from veracity.detector.models.recalibrate import calibrate_folder
from veracity.detector.training.export import package_detector
from veracity.detector.training.network import load_trained
from veracity.detector.training.train import TrainCfg, TrainResult, train


@dataclass(frozen=True)
class PackageCfg:
    """How to package a trained model as a detector folder.

    Attributes:
        folder: where the detector folder goes.
        name: its registry name (``<arch>.<training_tag>``); a folder loads by path whatever the name.
        n_tiles: tiles scored per image at run time.
        calibrate_on: the name of the dataset the calibration is fitted on (``None``: not calibrated).
        calibration_samples: that dataset's rows (`detector.datasets`), when ``calibrate_on`` is set.
        target_fpr: false-positive rate on real photos the threshold is set for.
    """

    folder: str | Path
    name: str = "npr_mnv3s.custom"
    n_tiles: int = 16
    calibrate_on: str | None = None
    calibration_samples: Sequence[Sample] | None = field(default=None, repr=False)
    target_fpr: float = 0.05


@dataclass(frozen=True)
class WorkflowResult:
    """What `train_and_package` produced: the training result, the detector folder and its calibration."""

    training: TrainResult
    detector_json: Path | None = None
    calibration: dict[str, Any] | None = None


def train_and_package(
    cfg: TrainCfg,
    *,
    samples: Sequence[Sample] | None = None,
    package: PackageCfg | None = None,
    resume: bool = True,
    log: Callable[[str], None] = print,
) -> WorkflowResult:
    """Train on ``samples`` (or ``cfg.data``); with ``package``, export and optionally calibrate.

    Raises:
        DatasetError: the training data cannot be read or lacks a class.
    """
    result = train(cfg, resume=resume, log=log, samples=samples)
    log(f"weights: {result.weights} ({result.elapsed_s / 60:.1f} min)")
    if package is None:
        return WorkflowResult(result)
    detector_cfg = DetectorCfg(
        name=package.name,
        input_size=cfg.crop,
        n_crops=package.n_tiles,
        mean=(0, 0, 0),
        std=(1, 1, 1),
        params={"backbone": cfg.backbone, "stem": cfg.stem, "aggregate": "mean_logit"},
    )
    detector_json = package_detector(
        load_trained(result.weights, cfg.backbone, cfg.stem), result.weights, package.folder, detector_cfg
    )
    log(f"packaged: {detector_json}")
    calibration = None
    if package.calibrate_on:
        calibration = calibrate_folder(
            package.folder, package.calibrate_on, target_fpr=package.target_fpr, samples=package.calibration_samples
        )
    return WorkflowResult(result, detector_json, calibration)
