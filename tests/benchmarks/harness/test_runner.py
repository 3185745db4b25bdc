"""The harness end to end on a dataset built here: outputs, incremental re-runs, report, kill and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.images import make_real_fake
from tests.paths import REPO
from veracity.benchmarks.engine.jsonl import read_jsonl
from veracity.benchmarks.errors import BenchConfigError, OutputExistsError
from veracity.benchmarks.harness.config import BenchConfig, DetectorEntry, resolve_config
from veracity.benchmarks.harness.report import build_report
from veracity.benchmarks.harness.runner import ROW_KEYS, run_benchmark
from veracity.detector.default import DEFAULT_DETECTOR

ALL_DETECTORS = (DEFAULT_DETECTOR, "spectral.durall2020", "dct.frank2020", "provenance.signals", "veracity.pipeline")


def _config(data: Path, out: Path, **kwargs) -> BenchConfig:
    values = {"data": str(data), "output": str(out), "folds": 2, "workers": 0, "n_boot": 20, "batch_size": 8}
    values.update(kwargs)
    return resolve_config(**values)


def _keys(rows):
    return [(r["path"], r["detector"], r["perturbation"]) for r in rows]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    data = make_real_fake(root / "data")
    config = _config(data, root / "out", perturbations=("none", "reencode", "jpeg:5"))
    return config, run_benchmark(config, progress=False)


def test_run_writes_every_output(finished_run):
    config, result = finished_run
    out = Path(config.output)
    rows = list(read_jsonl(out / "predictions.jsonl"))
    assert len(rows) == 16 * 3 * len(ALL_DETECTORS) and len(set(_keys(rows))) == len(rows)
    assert all(tuple(sorted(r)) == ROW_KEYS for r in rows)
    assert all(r["error"] is None and 0.0 <= r["p_generated"] <= 1.0 for r in rows)
    assert {r["detector"] for r in rows} == set(ALL_DETECTORS)
    spectral = [r for r in rows if r["detector"] == "spectral.durall2020"]
    assert all(len(r["model_sha256"]) == 64 for r in spectral)  # cross-fitted per fold, identified by sha256
    assert len({(r["fold"], r["model_sha256"]) for r in spectral}) == 2
    assert {r["signals"]["verdict"] for r in rows if r["detector"] == "provenance.signals"} <= {"inconclusive"}
    for name in ("metrics.json", "summary.md", "run.json", "plots/roc_pr_none.png", "plots/auroc_per_generator.png"):
        assert (out / name).is_file(), name
    run = json.loads((out / "run.json").read_text())
    assert run["identity"]["seed"] == 0 and len(run["identity"]["dataset_sha256"]) == 64
    assert {"numpy", "scikit-learn", "pillow"} <= set(run["versions"])
    assert run["throughput"]["n_tasks"] == 16 and run["throughput"]["main_peak_rss_mb"] > 0
    summary = (out / "summary.md").read_text()
    assert "## Format-shortcut check" in summary and "| spectral.durall2020 | " in summary
    # every real is a JPEG and every fake a PNG here: the format alone separates them perfectly
    assert result.metrics["format_only"]["auroc"]["value"] == 1.0
    assert result.metrics["format_only"]["by_format"] == {
        "image/jpeg": {"n_real": 8, "n_generated": 0},
        "image/png": {"n_real": 0, "n_generated": 8},
    }
    assert "the original file format alone" in summary
    assert (out / "models" / "spectral.durall2020" / "fold-0" / "detector.json").is_file()
    # the fakes are upsampled noise: the spectral baseline, cross-fitted on other files, separates them
    auroc = {
        (r["detector"], r["perturbation"]): r["metrics"]["auroc"]["value"]
        for r in result.metrics["results"]
        if r["slice"]["kind"] == "all"
    }
    assert auroc[("spectral.durall2020", "none")] > 0.9
    assert auroc[("provenance.signals", "none")] == 0.5  # no provenance in these files: no evidence either way


def test_report_draws_reliability_intervals_and_the_shortcut_report(finished_run):
    config, result = finished_run
    out, metrics = Path(config.output), result.metrics
    for name in ("plots/reliability_none.png", "plots/reliability_reencode_3.png", "plots/auroc_per_perturbation.png"):
        assert (out / name).is_file(), name
    rows = list(read_jsonl(out / "predictions.jsonl"))
    assert {(r["width"], r["height"]) for r in rows} == {(64, 64)}
    assert {r["jpeg_quality"] for r in rows if r["media_type"] == "image/jpeg"} == {90}
    assert {r["jpeg_quality"] for r in rows if r["media_type"] == "image/png"} == {None}
    # the reliability bins hold every scored file once, and sum to the ECE the table reports
    entry = next(e for e in metrics["reliability"] if e["detector"] == DEFAULT_DETECTOR and e["perturbation"] == "none")
    assert sum(b["n"] for b in entry["bins"]) == 16
    overall = next(
        r for r in metrics["results"]
        if r["detector"] == DEFAULT_DETECTOR and r["perturbation"] == "none" and r["slice"]["kind"] == "all"
    )  # fmt: skip
    ece = sum(b["n"] / 16 * abs(b["mean_p"] - b["share_generated"]) for b in entry["bins"] if b["n"])
    assert ece == pytest.approx(overall["metrics"]["ece"]["value"])
    # generator and source slices carry AUROC intervals (the error bars of their plots)
    slices = [r for r in metrics["results"] if r["slice"]["kind"] == "generator"]
    assert slices and all(r["metrics"]["auroc"]["ci95"] is not None for r in slices)
    # JPEG reals, PNG fakes: the format alone, and the JPEG quality alone, separate them out of fold too
    predictors = metrics["shortcuts"]["predictors"]
    assert set(predictors) == {"format-only", "size-only", "jpeg-quality-only"}
    assert predictors["format-only"]["auroc"]["value"] == 1.0
    assert predictors["jpeg-quality-only"]["auroc"]["value"] == 1.0
    assert predictors["size-only"]["auroc"]["value"] == 0.5  # every file is 64x64: size says nothing
    assert predictors["format-only"]["fitted"].startswith("out-of-fold")
    summary = (out / "summary.md").read_text()
    assert "## Shortcut report" in summary and "## Calibration (original files)" in summary
    assert all("within_tolerance" in row for row in metrics["format_shortcut"])


@pytest.mark.slow
def test_report_reproduces_the_run_metrics_exactly(finished_run):
    config, result = finished_run
    out = Path(config.output)
    before = (out / "metrics.json").read_bytes()
    summary = (out / "summary.md").read_bytes()
    for name in ("metrics.json", "summary.md"):
        (out / name).unlink()
    assert build_report(out) == result.metrics
    assert (out / "metrics.json").read_bytes() == before
    assert (out / "summary.md").read_bytes() == summary


@pytest.mark.slow
def test_rerun_is_incremental(finished_run):
    config, _ = finished_run
    out = Path(config.output)
    before = (out / "predictions.jsonl").read_bytes()
    again = run_benchmark(config, progress=False)
    assert again.n_scored == 0 and (out / "predictions.jsonl").read_bytes() == before
    more = run_benchmark(
        resolve_config(**{**config.to_dict(), "perturbations": ["none", "reencode", "jpeg:5", "blur:5"]}),
        progress=False,
    )
    assert more.n_scored == 16 * len(ALL_DETECTORS)  # only the new perturbation, for each detector
    rows = list(read_jsonl(out / "predictions.jsonl"))
    assert len(rows) == len(set(_keys(rows))) == 16 * 4 * len(ALL_DETECTORS)


def test_same_bytes_under_another_name_are_not_scored_again(tmp_path):
    data = make_real_fake(tmp_path / "data", n_real=4, n_per_generator=2)
    (data / "real" / "copy_of_00.jpg").write_bytes((data / "real" / "photo_00.jpg").read_bytes())
    result = run_benchmark(_config(data, tmp_path / "out", detectors=("provenance.signals",), folds=0), progress=False)
    assert result.n_cached == 1 and result.n_scored == 8


def test_incompatible_existing_run_is_refused_and_untouched(finished_run):
    config, _ = finished_run
    out = Path(config.output)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    with pytest.raises(OutputExistsError, match="holds a run of another dataset, seed or split"):
        run_benchmark(resolve_config(**{**config.to_dict(), "seed": 1}), progress=False)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_trainable_detector_needs_folds_or_checkpoint(real_fake_dataset, tmp_path):
    with pytest.raises(BenchConfigError, match="need fitting, and this run has no folds"):
        run_benchmark(_config(real_fake_dataset, tmp_path / "o", folds=0), progress=False)


def test_config_from_yaml_with_flags_winning(tmp_path, real_fake_dataset):
    (tmp_path / "bench.yaml").write_text(
        "data: data\noutput: out\nseed: 4\nperturbations: [none, 'resize:2+jpeg:4']\n"
        "detectors:\n  - provenance.signals\n  - {name: dct.frank2020, overrides: {threshold: 0.4}}\n"
    )
    cfg = resolve_config(tmp_path / "bench.yaml", seed=9)
    assert cfg.data == str(tmp_path / "data") and cfg.seed == 9
    assert cfg.detectors[1] == DetectorEntry("dct.frank2020", None, {"threshold": 0.4})
    with pytest.raises(BenchConfigError, match="Unknown benchmark config key"):
        resolve_config(data="d", output="o", sede=1)


@pytest.mark.slow
def test_killed_run_resumes_without_recomputing_or_duplicating(tmp_path):
    data = make_real_fake(tmp_path / "data", n_real=30, n_per_generator=15)
    out = tmp_path / "out"
    perturbs = ["none", "reencode", "jpeg:5", "webp:5", "blur:5", "noise:5", "resize:5", "crop:5", "social"]
    args = [sys.executable, "-m", "veracity.cli", "bench", "run", "--data", str(data), "-o", str(out), "--folds", "2",
            "--workers", "1", "--batch-size", "4", "--n-boot", "0"]  # fmt: skip
    for p in perturbs:
        args += ["--perturb", p]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(args, cwd=REPO, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    predictions = out / "predictions.jsonl"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if predictions.exists() and predictions.read_bytes().count(b"\n") >= 60:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the parent and its worker, mid-run, no cleanup
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    survived = list(read_jsonl(predictions))
    total = 60 * len(perturbs) * len(ALL_DETECTORS)
    assert 60 <= len(survived) < total
    models = {p: p.read_bytes() for p in (out / "models").rglob("detector.json")}

    result = run_benchmark(_config(data, out, perturbations=tuple(perturbs), n_boot=0, batch_size=4), progress=False)
    rows = list(read_jsonl(predictions))
    assert len(rows) == total and not [k for k, n in Counter(_keys(rows)).items() if n > 1]
    assert rows[: len(survived)] == survived  # what was written before the kill is kept as it was
    assert result.n_scored == total - len(survived)  # and not computed again
    assert result.throughput["n_rows_resumed"] == len(survived)
    assert {p: p.read_bytes() for p in (out / "models").rglob("detector.json")} == models  # fits reused


def test_shipped_wild_dev_config_resolves(shared):
    cfg = resolve_config(REPO / "benchmarks" / "harness" / "configs" / "wild-dev.yaml", default_output="unused")
    assert Path(cfg.data).resolve() == (shared / "data" / "wild-dev").resolve()
    assert {d.name for d in cfg.detectors} == set(ALL_DETECTORS) and len(cfg.perturbations) == 10
