"""The benchmark harness: datasets, perturbations, metrics, the batch engine and `run_benchmark`."""

from benchmarks.config import BenchConfig, DetectorEntry, resolve_config
from benchmarks.datasets import Dataset, Sample, list_layouts, load_dataset
from benchmarks.engine import Engine, EngineStats, Progress, TaskResult
from benchmarks.errors import BenchmarkError
from benchmarks.fitting import fit_detectors
from benchmarks.metrics import compute_metrics, list_metrics
from benchmarks.perturbations import apply_chain, list_perturbations, perturb_image
from benchmarks.report import build_report
from benchmarks.runner import run_benchmark

__all__ = [
    "BenchConfig",
    "BenchmarkError",
    "Dataset",
    "DetectorEntry",
    "Engine",
    "EngineStats",
    "Progress",
    "Sample",
    "TaskResult",
    "apply_chain",
    "build_report",
    "compute_metrics",
    "fit_detectors",
    "list_layouts",
    "list_metrics",
    "list_perturbations",
    "load_dataset",
    "perturb_image",
    "resolve_config",
    "run_benchmark",
]
