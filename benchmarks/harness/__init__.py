"""The research harness: score labelled datasets with detectors under perturbations, then report metrics.

Names load on first use, so listing the registries or reading a config imports no model.
"""

from __future__ import annotations

from veracity._lazy import lazy_exports

_EXPORTS = {
    "BenchConfig": "veracity.benchmarks.harness.config",
    "DetectorEntry": "veracity.benchmarks.harness.config",
    "apply_chain": "veracity.benchmarks.harness.perturbations",
    "build_report": "veracity.benchmarks.harness.report",
    "compute_metrics": "veracity.benchmarks.harness.metrics",
    "fit_detectors": "veracity.benchmarks.harness.fitting",
    "list_metrics": "veracity.benchmarks.harness.metrics",
    "list_perturbations": "veracity.benchmarks.harness.perturbations",
    "perturb_image": "veracity.benchmarks.harness.perturbations",
    "resolve_config": "veracity.benchmarks.harness.config",
    "run_benchmark": "veracity.benchmarks.harness.runner",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
