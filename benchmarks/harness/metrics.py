"""Detection metrics on (labels, p_generated), wrapping scikit-learn, with bootstrap intervals.

Labels are 0 real, 1 generated; scores are P(generated). "At the threshold" means ``p >= threshold``
counts as generated. A metric that a slice cannot define (AUROC on a slice with one class) is ``None``
with the reason, never a crash and never a made-up number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from veracity.detector.calibration import expected_calibration_error
from veracity.detector.registry import Registry

BOTH = "both"  # needs real and generated samples
REAL_ONLY = "real"  # needs real samples
GENERATED_ONLY = "generated"  # needs generated samples
ANY = "any"


@dataclass(frozen=True)
class Metric:
    """A registered metric: ``fn(y, p, threshold) -> float`` and what it needs to be defined."""

    name: str
    fn: Callable[[np.ndarray, np.ndarray, float], float]
    higher_is_better: bool
    needs: str
    description: str


@dataclass(frozen=True)
class MetricValue:
    """A metric on one slice: the value, its bootstrap 95% interval, or why it is undefined."""

    value: float | None
    ci: tuple[float, float] | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci95": list(self.ci) if self.ci else None, "reason": self.reason}


metrics: Registry[Metric] = Registry("metric")


def list_metrics(pattern: str | None = None) -> list[str]:
    return metrics.list(pattern)


def register_metric(name: str, *, higher_is_better: bool, needs: str, description: str) -> Callable:
    def decorator(fn: Callable) -> Callable:
        metrics.register(name, Metric(name, fn, higher_is_better, needs, description))
        return fn

    return decorator


# -- the metrics ------------------------------------------------------------------------------------------


_last_curve: list[Any] = [None]  # (y, p, fpr, tpr, thresholds) of the last call: metrics of one slice share it


def roc(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's ``roc_curve(y, p)``, computed once per (y, p) arrays for all the metrics built on it."""
    from sklearn.metrics import roc_curve

    cached = _last_curve[0]
    if cached is not None and cached[0] is y and cached[1] is p:
        return cached[2], cached[3], cached[4]
    fpr, tpr, thresholds = roc_curve(y, p)
    _last_curve[0] = (y, p, fpr, tpr, thresholds)
    return fpr, tpr, thresholds


@register_metric("auroc", higher_is_better=True, needs=BOTH, description="area under the ROC curve")
def auroc(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    from sklearn.metrics import auc

    fpr, tpr, _ = roc(y, p)
    return float(auc(fpr, tpr))  # what roc_auc_score computes for binary labels


@register_metric("ap", higher_is_better=True, needs=BOTH, description="average precision (generated positive)")
def average_precision(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, p))


@register_metric("acc_real", higher_is_better=True, needs=REAL_ONLY, description="accuracy on real at threshold")
def acc_real(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    return float(np.mean(p[y == 0] < threshold))


@register_metric("acc_generated", higher_is_better=True, needs=GENERATED_ONLY, description="accuracy on generated")
def acc_generated(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    return float(np.mean(p[y == 1] >= threshold))


@register_metric("balanced_acc", higher_is_better=True, needs=BOTH, description="mean of acc_real and acc_generated")
def balanced_acc(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    return (acc_real(y, p, threshold) + acc_generated(y, p, threshold)) / 2.0  # sklearn's balanced accuracy


@register_metric("best_threshold", higher_is_better=True, needs=BOTH, description="threshold maximising TPR - FPR")
def best_threshold(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    fpr, tpr, thresholds = roc(y, p)
    best = int(np.argmax(tpr - fpr))
    return float(min(thresholds[best], 1.0))  # roc_curve's first threshold is +inf


@register_metric("acc_real_best", higher_is_better=True, needs=BOTH, description="accuracy on real at best threshold")
def acc_real_best(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    return acc_real(y, p, best_threshold(y, p, threshold))


@register_metric("acc_generated_best", higher_is_better=True, needs=BOTH, description="acc. on generated, best thr.")
def acc_generated_best(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    return acc_generated(y, p, best_threshold(y, p, threshold))


@register_metric("balanced_acc_best", higher_is_better=True, needs=BOTH, description="balanced acc. at best thr.")
def balanced_acc_best(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    return balanced_acc(y, p, best_threshold(y, p, threshold))


def tpr_at_fpr(y: np.ndarray, p: np.ndarray, max_fpr: float) -> float:
    """Highest TPR among operating points whose FPR is at most ``max_fpr`` (no interpolation)."""
    fpr, tpr, _ = roc(y, p)
    return float(tpr[fpr <= max_fpr + 1e-12].max())


@register_metric("tpr_at_fpr1", higher_is_better=True, needs=BOTH, description="TPR at 1% FPR")
def tpr_at_fpr1(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    return tpr_at_fpr(y, p, 0.01)


@register_metric("tpr_at_fpr5", higher_is_better=True, needs=BOTH, description="TPR at 5% FPR")
def tpr_at_fpr5(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    return tpr_at_fpr(y, p, 0.05)


@register_metric("eer", higher_is_better=False, needs=BOTH, description="equal error rate")
def eer(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    fpr, tpr, _ = roc(y, p)
    fnr = 1.0 - tpr
    i = int(np.argmin(np.abs(fnr - fpr)))
    return float((fpr[i] + fnr[i]) / 2.0)


@register_metric("ece", higher_is_better=False, needs=ANY, description="expected calibration error, 10 bins")
def ece(y: np.ndarray, p: np.ndarray, threshold: float, n_bins: int = 10) -> float:
    return expected_calibration_error(p, y, n_bins=n_bins)


@register_metric("brier", higher_is_better=False, needs=ANY, description="Brier score")
def brier(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    return float(np.mean((p - y) ** 2))  # sklearn's brier_score_loss, without its per-call validation


# -- computing them ------------------------------------------------------------------------------------------


def undefined_reason(metric: Metric, y: np.ndarray) -> str | None:
    """Why ``metric`` is undefined on labels ``y``, or ``None`` when it is defined."""
    n_real, n_gen = int((y == 0).sum()), int((y == 1).sum())
    if len(y) == 0:
        return "no samples"
    if metric.needs == BOTH and (n_real == 0 or n_gen == 0):
        return f"needs real and generated samples; slice has {n_real} real, {n_gen} generated"
    if metric.needs == REAL_ONLY and n_real == 0:
        return "no real samples in slice"
    if metric.needs == GENERATED_ONLY and n_gen == 0:
        return "no generated samples in slice"
    return None


def compute_metrics(
    y: Sequence[int],
    p: Sequence[float],
    *,
    threshold: float,
    names: Sequence[str] | None = None,
    n_boot: int = 0,
    seed: int = 0,
) -> dict[str, MetricValue]:
    """Every (or the named) metric on one slice, with bootstrap 95% percentile intervals.

    Args:
        y: labels, 0 real / 1 generated, shape (n,).
        p: P(generated), shape (n,).
        threshold: the detector's own decision threshold.
        names: metrics to compute (default: all registered).
        n_boot: bootstrap resamples (0: no intervals). A resample where the metric is undefined is skipped;
            no interval is given when fewer than half the resamples define it.
        seed: bootstrap seed (recorded with the results).

    Returns:
        name -> `MetricValue`, in registry order.
    """
    import sklearn

    y_arr = np.asarray(y, dtype=int)
    p_arr = np.asarray(p, dtype=float)
    chosen = [metrics.get(n) for n in (names or metrics.list())]
    rng = np.random.default_rng(seed)
    resamples = [rng.integers(0, len(y_arr), len(y_arr)) for _ in range(n_boot)] if len(y_arr) else []
    out: dict[str, MetricValue] = {}
    # Inputs are validated once here; skipping scikit-learn's per-call validation makes the bootstrap ~3x faster.
    with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
        defined = [m for m in chosen if undefined_reason(m, y_arr) is None]
        values = {m.name: m.fn(y_arr, p_arr, threshold) for m in defined}
        boots: dict[str, list[float]] = {m.name: [] for m in defined}
        for index in resamples:
            y_i, p_i = y_arr[index], p_arr[index]
            for m in defined:
                if undefined_reason(m, y_i) is None:
                    boots[m.name].append(m.fn(y_i, p_i, threshold))
    for metric in chosen:
        if metric.name not in values:
            out[metric.name] = MetricValue(None, None, undefined_reason(metric, y_arr))
            continue
        out[metric.name] = MetricValue(float(values[metric.name]), _interval(boots[metric.name], len(resamples)))
    return out


def _interval(values: list[float], n_resamples: int) -> tuple[float, float] | None:
    if not n_resamples or len(values) < n_resamples / 2:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)
