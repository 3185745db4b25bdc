"""`run_benchmark`: score a dataset with several detectors under perturbations, resumably, and report.

Steps: read the dataset and make source-grouped folds; cross-fit trainable baselines (fit on k-1 folds,
predict the held-out fold, parameters saved under ``models/``); score every (file, perturbation,
detector) not already in ``predictions.jsonl`` with the batch engine; rebuild metrics, tables and plots
from the predictions (`veracity.benchmarks.harness.report.build_report`).

Predictions are cached by (detector, model sha256, file sha256, perturbation, seed): a re-run scores only
what is missing, a killed run resumes, and a renamed file is not scored twice.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from veracity.benchmarks.engine.jsonl import open_jsonl_for_append, read_jsonl, write_json, write_record
from veracity.benchmarks.engine.pool import Engine
from veracity.benchmarks.engine.progress import Progress
from veracity.benchmarks.errors import BenchConfigError, OutputExistsError
from veracity.benchmarks.harness.config import BenchConfig, DetectorEntry
from veracity.benchmarks.harness.perturbations import IDENTITY, canonical
from veracity.benchmarks.harness.scoring import DetectorSpec, features_of, init_context, score_sample
from veracity.benchmarks.harness.shortcuts import read_file_facts
from veracity.detector.capabilities import needs_fitting
from veracity.detector.datasets.layouts import Dataset, Sample, load_dataset
from veracity.detector.datasets.splits import assign_folds, assign_groups
from veracity.provenance.assets.hashing import sha256_file

PREDICTIONS = "predictions.jsonl"
RUN_FILE = "run.json"
#: Keys of every prediction row, pinned (tests check them).
ROW_KEYS = (
    "detector", "elapsed_ms", "error", "fold", "generator", "group", "height", "jpeg_quality", "label", "media_type",
    "model_sha256", "p_generated", "path", "perturbation", "seed", "sha256", "signals", "source", "threshold", "width",
)  # fmt: skip


@dataclass(frozen=True)
class RunResult:
    """Where a run wrote its outputs and what it did."""

    output: Path
    n_scored: int
    n_cached: int
    n_errors: int
    throughput: dict[str, Any]
    metrics: dict[str, Any]


def run_benchmark(config: BenchConfig, *, overwrite: bool = False, progress: bool = True) -> RunResult:
    """Run (or resume) a benchmark and write its results folder.

    Raises:
        OutputExistsError: the folder holds a run of another dataset/seed/folds and ``overwrite`` is False.
        BenchConfigError, DatasetError, RegistryLookupError: bad configuration.
    """
    started = time.perf_counter()
    revision = git_revision()  # of the code that runs, before anyone edits it
    out = Path(config.output)
    dataset, samples = prepare_samples(config)
    chains = tuple(dict.fromkeys(canonical(p) for p in config.perturbations))
    identity = _identity(config, dataset, samples)
    _claim_output(out, identity, overwrite)
    specs = resolve_detectors(config, samples, out, dataset)
    hashes = {s.relpath: sha256_file(s.path) for s in samples}
    # The original files' facts (format, size, JPEG quality): the report's shortcut predictors use them.
    samples = [replace(s, meta={**s.meta, **read_file_facts(s.path)}) for s in samples]
    thresholds, model_shas = _detector_facts(specs, samples)

    stats, n_scored, n_cached, n_errors = _score_all(config, samples, hashes, chains, specs, out, progress)
    run = {
        "config": config.to_dict(),
        "identity": identity,
        "dataset": {"root": str(dataset.root), "layout": dataset.layout, **dataset.counts()},
        "detectors": {name: {"thresholds": thresholds[name], "model_sha256": model_shas[name]} for name in specs},
        "perturbations": list(chains),
        "versions": run_versions(),
        "git_revision": revision,
        "throughput": {
            **stats,
            "n_scored_conditions": n_scored,
            "n_cached_conditions": n_cached,
            "wall_s": round(time.perf_counter() - started, 2),
        },
    }
    write_json(out / RUN_FILE, run)
    from veracity.benchmarks.harness.report import build_report

    metrics = build_report(out)
    return RunResult(out, n_scored, n_cached, n_errors, run["throughput"], metrics)


def prepare_samples(config: BenchConfig) -> tuple[Dataset, list[Sample]]:
    dataset = load_dataset(config.data, layout=config.layout)
    samples = list(dataset.samples[: config.limit] if config.limit else dataset.samples)
    samples = assign_folds(samples, k=config.folds, seed=config.seed) if config.folds else assign_groups(samples)
    return dataset, samples


def _identity(config: BenchConfig, dataset: Dataset, samples: list[Sample]) -> dict[str, Any]:
    folds = hashlib.sha256(repr([(s.relpath, s.fold) for s in samples]).encode()).hexdigest()
    return {"dataset_sha256": dataset.fingerprint(), "seed": config.seed, "folds": config.folds, "fold_sha256": folds}


def _claim_output(out: Path, identity: dict[str, Any], overwrite: bool) -> None:
    run_file = out / RUN_FILE
    if run_file.exists():
        import json

        previous = json.loads(run_file.read_text(encoding="utf-8")).get("identity")
        if previous != identity and not overwrite:
            raise OutputExistsError(
                f"{str(out)!r} holds a run of another dataset, seed or split ({previous}); its predictions cannot be "
                "reused. Choose another --output or pass --overwrite to start over."
            )
        if previous != identity:
            for name in (PREDICTIONS, RUN_FILE):
                (out / name).unlink(missing_ok=True)
            import shutil

            shutil.rmtree(out / "models", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)


# -- detectors: which need cross-fitting, and their per-fold checkpoints ---------------------------------------


def resolve_detectors(
    config: BenchConfig, samples: list[Sample], out: Path, dataset: Dataset
) -> dict[str, DetectorSpec]:
    """A `DetectorSpec` per configured detector; trainable ones without a checkpoint are cross-fitted first."""
    from veracity.detector.registry import create_detector

    specs: dict[str, DetectorSpec] = {}
    to_fit: dict[str, DetectorEntry] = {}
    for entry in config.detectors:
        probe = create_detector(entry.name, checkpoint=entry.checkpoint, **entry.overrides)
        pixel_entry = None
        if probe.cfg.params.get("pixel_detector"):  # the full pipeline: its pixel detector may need fitting too
            pixel_name = probe.cfg.params["pixel_detector"]
            pixel_entry = DetectorEntry(pixel_name, entry.checkpoint)
            probe = create_detector(pixel_name, checkpoint=entry.checkpoint)
        trainable = needs_fitting(probe)
        target = pixel_entry or entry
        if trainable:
            to_fit[target.name] = target
        specs[entry.name] = DetectorSpec(entry.name, {None: entry.checkpoint}, dict(entry.overrides))
        if pixel_entry is not None:
            specs[entry.name] = DetectorSpec(
                entry.name,
                {None: None},
                dict(entry.overrides),
                pixel=DetectorSpec(pixel_entry.name, {None: pixel_entry.checkpoint}),
            )
    if to_fit:
        if not config.folds:
            raise BenchConfigError(
                f"Detector(s) {sorted(to_fit)} need fitting, and this run has no folds. Set folds >= 2 to "
                "cross-fit them, or pass a checkpoint from 'veracity bench fit' (--detector NAME=FOLDER)."
            )
        fitted = cross_fit(config, samples, list(to_fit.values()), out, dataset)
        for name, spec in list(specs.items()):
            if name in fitted:
                specs[name] = DetectorSpec(name, fitted[name], spec.overrides)
            if spec.pixel is not None and spec.pixel.name in fitted:
                specs[name] = DetectorSpec(
                    name, {None: None}, spec.overrides, DetectorSpec(spec.pixel.name, fitted[spec.pixel.name])
                )
    return specs


def cross_fit(
    config: BenchConfig, samples: list[Sample], entries: list[DetectorEntry], out: Path, dataset: Dataset
) -> dict[str, dict[int | None, str]]:
    """Fit each trainable detector on every k-1 folds of the original files; reuse fits already saved.

    Returns:
        name -> {fold: folder holding that fold's detector.json}.
    """
    from veracity.detector.registry import create_detector

    folds = sorted({s.fold for s in samples})
    result: dict[str, dict[int | None, str]] = {}
    missing = []
    for entry in entries:
        dirs = {f: out / "models" / entry.name / f"fold-{f}" for f in folds}
        result[entry.name] = {f: str(d) for f, d in dirs.items()}
        if not all((d / "detector.json").is_file() for d in dirs.values()):
            missing.append(entry)
    if not missing:
        return result
    specs = {e.name: DetectorSpec(e.name, {None: None}, dict(e.overrides)) for e in missing}
    tasks = ((i, {"path": s.path, "sha256": None, "detectors": list(specs)}) for i, s in enumerate(samples))
    engine = Engine(
        features_of,
        init=init_context,
        init_args=(specs, config.seed),
        workers=config.workers,
        task_timeout_s=config.task_timeout_s,
        progress=Progress(len(samples), "bench fit features"),
    )
    features: dict[int, dict[str, np.ndarray]] = {}
    for result_ in engine.map(tasks):
        if result_.error is None:
            features[result_.task_id] = result_.value
    labels = np.array([s.label for s in samples])
    sample_folds = np.array([s.fold for s in samples])
    for entry in missing:
        for fold in folds:
            train = [i for i in features if sample_folds[i] != fold]
            detector = create_detector(entry.name, **entry.overrides)
            detector.fit_features(np.stack([features[i][entry.name] for i in train]), labels[train], seed=config.seed)
            detector.save(out / "models" / entry.name / f"fold-{fold}")
    return result


def _detector_facts(
    specs: dict[str, DetectorSpec], samples: list[Sample]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, str | None]]]:
    """Per detector and fold: the detector's own threshold and model sha256 (built here, in the parent)."""
    from veracity.benchmarks.harness.scoring import DetectorCache

    cache = DetectorCache(specs)
    thresholds: dict[str, dict[str, float]] = defaultdict(dict)
    shas: dict[str, dict[str, str | None]] = defaultdict(dict)
    for name in specs:
        for fold in sorted({s.fold for s in samples}, key=lambda f: -1 if f is None else f):
            detector = cache.get(name, fold)
            thresholds[name][str(fold)] = float(detector.cfg.threshold)
            shas[name][str(fold)] = detector.checkpoint_sha256
    return dict(thresholds), dict(shas)


# -- scoring --------------------------------------------------------------------------------------------------


def _cache_key(detector: str, model_sha: str | None, sha256: str, chain: str, seed: int) -> tuple:
    return (detector, model_sha, sha256, chain, None if chain == IDENTITY else seed)


def _score_all(
    config: BenchConfig,
    samples: list[Sample],
    hashes: dict[str, str],
    chains: tuple[str, ...],
    specs: dict[str, DetectorSpec],
    out: Path,
    progress: bool,
) -> tuple[dict[str, Any], int, int, int]:
    """Score every missing (file, perturbation, detector) row into predictions.jsonl; return stats and counts."""
    handle = open_jsonl_for_append(out / PREDICTIONS)
    try:
        scoring = _Scoring(config, samples, hashes, specs, handle)
        scoring.load_previous(out / PREDICTIONS)
        tasks = scoring.plan(chains)
        engine = Engine(
            score_sample,
            init=init_context,
            init_args=(specs, config.seed),
            workers=config.workers,
            task_timeout_s=config.task_timeout_s,
            progress=Progress(len(tasks), "bench run") if progress else None,
        )
        for result in engine.map(iter(tasks)):
            scoring.collect(result)
        scoring.batcher.flush_all()
    finally:
        handle.close()
    stats = engine.stats.to_dict()
    stats.update(n_files=len(samples), n_files_scored=len(tasks), n_rows_resumed=scoring.n_resumed)
    # one "condition" = one (file, perturbation, detector) prediction; tasks_per_s above counts files
    stats["conditions_per_s"] = round(scoring.n_scored / stats["elapsed_s"], 2) if stats["elapsed_s"] else None
    return stats, scoring.n_scored, scoring.n_cached, scoring.n_errors


class _Scoring:
    """The bookkeeping of one scoring pass: what is done, what is cached, what to send, how to write back."""

    def __init__(
        self, config: BenchConfig, samples: list[Sample], hashes: dict[str, str], specs: dict[str, DetectorSpec],
        handle: Any,
    ) -> None:  # fmt: skip
        from veracity.benchmarks.harness.scoring import DetectorCache

        self.config, self.samples, self.hashes, self.specs, self.handle = config, samples, hashes, specs, handle
        self.detectors = DetectorCache(specs)  # the parent's copies: batched linear models, thresholds, model shas
        self.emitter = _Emitter(handle, hashes, config.seed)
        self.batcher = _FeatureBatcher(self.detectors, config.batch_size, self.emitter.emit)
        self.done: set[tuple] = set()
        self.cache: dict[tuple, dict[str, Any]] = {}
        self.payloads: dict[int, dict[str, Any]] = {}
        self.n_resumed = self.n_cached = self.n_scored = self.n_errors = 0

    def load_previous(self, predictions: Path) -> None:
        for row in read_jsonl(predictions):
            self.done.add((row["path"], row["detector"], row["perturbation"]))
            if row["error"] is None:
                self.cache[
                    _cache_key(row["detector"], row["model_sha256"], row["sha256"], row["perturbation"], row["seed"])
                ] = row

    def plan(self, chains: tuple[str, ...]) -> list[tuple[int, dict[str, Any]]]:
        """One task per file with conditions to score; rows already known are skipped or copied."""
        tasks = []
        for i, sample in enumerate(self.samples):
            conditions = [[chain, names] for chain in chains if (names := self._to_score(sample, chain))]
            if conditions:
                payload = {"path": sample.path, "sha256": self.hashes[sample.relpath], "fold": sample.fold}
                self.payloads[i] = {**payload, "conditions": conditions}
                tasks.append((i, self.payloads[i]))
        return tasks

    def _to_score(self, sample: Sample, chain: str) -> list[str]:
        names = []
        for name in self.specs:
            if (sample.relpath, name, chain) in self.done:
                self.n_resumed += 1
                continue
            model_sha = self.detectors.get(name, sample.fold).checkpoint_sha256
            key = _cache_key(name, model_sha, self.hashes[sample.relpath], chain, self.config.seed)
            if key in self.cache:  # the same bytes were scored before under another path: copy, no work
                write_record(self.handle, {**self.cache[key], **_sample_fields(sample, self.hashes)})
                self.n_cached += 1
            elif key in self.emitter.followers:  # the same bytes are already planned in this run
                self.emitter.followers[key].append(sample)
                self.n_cached += 1
            else:
                self.emitter.followers[key] = []
                names.append(name)
        return names

    def collect(self, result: Any) -> None:
        """Complete and write the rows of one finished task (features go to the batched model first)."""
        sample = self.samples[result.task_id]
        if result.error is not None:  # the whole file failed (unreadable, worker died): one row per condition
            rows = [
                {"perturbation": c, "detector": n, "p_generated": None, "signals": None, "error": result.error,
                 "elapsed_ms": result.elapsed_ms}
                for c, names in self.payloads[result.task_id]["conditions"] for n in names
            ]  # fmt: skip
        else:
            rows = result.value
        for row in rows:
            self.n_scored += 1
            self.n_errors += row.get("error") is not None
            full = _complete_row(row, sample, self.hashes, self.detectors, self.config.seed)
            if "features" in row and row["error"] is None:
                self.batcher.add(full, row["features"])
            else:
                self.emitter.emit(full)


def _sample_fields(sample: Sample, hashes: dict[str, str]) -> dict[str, Any]:
    return {
        "path": sample.relpath,
        "sha256": hashes[sample.relpath],
        "media_type": sample.meta.get("media_type"),
        "width": sample.meta.get("width"),
        "height": sample.meta.get("height"),
        "jpeg_quality": sample.meta.get("jpeg_quality"),
        "label": sample.label,
        "generator": sample.generator,
        "source": sample.source,
        "group": sample.group,
        "fold": sample.fold,
    }


def _complete_row(
    row: dict[str, Any], sample: Sample, hashes: dict[str, str], detectors: Any, seed: int
) -> dict[str, Any]:
    detector = detectors.get(row["detector"], sample.fold)
    full = {
        **_sample_fields(sample, hashes),
        "perturbation": row["perturbation"],
        "detector": row["detector"],
        "model_sha256": detector.checkpoint_sha256,
        "threshold": float(detector.cfg.threshold),
        "seed": seed,
        "p_generated": row.get("p_generated"),
        "signals": row.get("signals"),
        "error": row.get("error"),
        "elapsed_ms": round(float(row.get("elapsed_ms", 0.0)), 3),
    }
    return full


class _Emitter:
    """Writes completed rows, and a copy for every other path holding the same bytes (scored once)."""

    def __init__(self, handle: Any, hashes: dict[str, str], seed: int) -> None:
        self.handle, self.hashes, self.seed = handle, hashes, seed
        self.followers: dict[tuple, list[Sample]] = {}

    def emit(self, row: dict[str, Any]) -> None:
        write_record(self.handle, row)
        key = _cache_key(row["detector"], row["model_sha256"], row["sha256"], row["perturbation"], self.seed)
        for sample in self.followers.get(key, []):
            write_record(self.handle, {**row, **_sample_fields(sample, self.hashes)})


class _FeatureBatcher:
    """Collects feature rows per (detector, fold) and runs the linear model on whole batches."""

    def __init__(self, detectors: Any, batch_size: int, emit: Any) -> None:
        self.detectors, self.batch_size, self.emit = detectors, max(1, batch_size), emit
        self.pending: dict[tuple[str, Any], list[tuple[dict[str, Any], np.ndarray]]] = defaultdict(list)

    def add(self, row: dict[str, Any], features: np.ndarray) -> None:
        key = (row["detector"], row["fold"])
        self.pending[key].append((row, features))
        if len(self.pending[key]) >= self.batch_size:
            self.flush(key)

    def flush(self, key: tuple[str, Any]) -> None:
        items = self.pending.pop(key, [])
        if not items:
            return
        detector = self.detectors.get(*key)
        p = detector.predict_features(np.stack([f for _, f in items]))
        for (row, _), value in zip(items, p, strict=True):
            self.emit({**row, "p_generated": float(value)})

    def flush_all(self) -> None:
        for key in list(self.pending):
            self.flush(key)


def iter_predictions(output: str | Path) -> Iterator[dict[str, Any]]:
    return read_jsonl(Path(output) / PREDICTIONS)


# -- run metadata ----------------------------------------------------------------------------------------------


def run_versions() -> dict[str, str]:
    """Versions of the libraries a benchmark's figures depend on, and of Python."""
    import platform

    from veracity.provenance.versions import package_versions

    dists = (
        "veracity",
        "numpy",
        "scikit-learn",
        "scipy",
        "pillow",
        "c2pa-python",
        "matplotlib",
        "onnxruntime",
        "torch",
    )
    return {**package_versions(dists), "python": platform.python_version()}


def git_revision() -> str | None:
    """The repository's commit (with ``-dirty`` when it has changes), or ``None`` outside a checkout."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=10)
        return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None
