"""`fit_detectors`: train the trainable baselines on a whole dataset and save them (``veracity bench fit``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from veracity.benchmarks.engine.jsonl import write_json
from veracity.benchmarks.engine.pool import Engine
from veracity.benchmarks.engine.progress import Progress
from veracity.benchmarks.errors import BenchConfigError, OutputExistsError
from veracity.benchmarks.harness.scoring import DetectorSpec, features_of, init_context
from veracity.detector.capabilities import Capability, can
from veracity.detector.datasets.layouts import load_dataset


def fit_detectors(
    data: str | os.PathLike[str],
    names: list[str],
    output: str | os.PathLike[str],
    *,
    layout: str | None = None,
    seed: int = 0,
    workers: int = 2,
    overwrite: bool = False,
    limit: int | None = None,
    progress: bool = True,
) -> dict[str, Path]:
    """Fit each named detector on every file of ``data`` (original files) and save ``output/<name>/detector.json``.

    Returns:
        name -> the folder to pass as checkpoint (``--detector NAME=FOLDER``).

    Raises:
        BenchConfigError: a detector is not trainable.
        OutputExistsError: a saved detector exists and ``overwrite`` is False.
    """
    from veracity.detector.registry import create_detector

    out = Path(output)
    for name in names:
        if not can(create_detector(name), Capability.FIT):
            raise BenchConfigError(f"Detector {name!r} is not trainable here; trainable: spectral/DCT baselines.")
        if (out / name / "detector.json").exists() and not overwrite:
            raise OutputExistsError(f"{str(out / name / 'detector.json')!r} exists. Pass --overwrite to replace it.")
    dataset = load_dataset(data, layout=layout)
    samples = list(dataset.samples[:limit] if limit else dataset.samples)
    specs = {n: DetectorSpec(n, {None: None}) for n in names}
    engine = Engine(
        features_of,
        init=init_context,
        init_args=(specs, seed),
        workers=workers,
        progress=Progress(len(samples), "bench fit") if progress else None,
    )
    features: dict[int, dict[str, np.ndarray]] = {}
    errors: list[dict[str, Any]] = []
    tasks = ((i, {"path": s.path, "sha256": None, "detectors": names}) for i, s in enumerate(samples))
    for result in engine.map(tasks):
        if result.error is None:
            features[result.task_id] = result.value
        else:
            errors.append({"path": samples[result.task_id].relpath, "error": result.error.splitlines()[0]})
    used = sorted(features)
    labels = np.array([samples[i].label for i in used])
    saved = {}
    for name in names:
        detector = create_detector(name).fit_features(np.stack([features[i][name] for i in used]), labels, seed=seed)
        detector.save(out / name)
        write_json(
            out / name / "fit.json",
            {"data": str(dataset.root), "layout": dataset.layout, "dataset_sha256": dataset.fingerprint(),
             "n_used": len(used), "errors": errors, "seed": seed, "model_sha256": detector.checkpoint_sha256},
        )  # fmt: skip
        saved[name] = out / name
    return saved
