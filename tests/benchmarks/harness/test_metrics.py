"""Every metric against scikit-learn or a value computed by hand, on fixed scores."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from veracity.benchmarks.harness.metrics import compute_metrics, list_metrics, metrics

Y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
P = np.array([0.1, 0.4, 0.35, 0.8, 0.7, 0.9, 0.2, 0.6])


def _value(name, y=Y, p=P, threshold=0.5):
    return compute_metrics(y, p, threshold=threshold, names=[name])[name]


def test_threshold_free_metrics_match_sklearn():
    assert _value("auroc").value == pytest.approx(skm.roc_auc_score(Y, P))
    assert _value("ap").value == pytest.approx(skm.average_precision_score(Y, P))
    assert _value("brier").value == pytest.approx(skm.brier_score_loss(Y, P))


def test_accuracies_at_own_threshold_by_hand():
    # reals: 0.1 0.4 0.35 below 0.5, 0.8 above -> 3/4; fakes: 0.7 0.9 0.6 at/above, 0.2 below -> 3/4
    assert _value("acc_real").value == pytest.approx(0.75)
    assert _value("acc_generated").value == pytest.approx(0.75)
    assert _value("balanced_acc").value == pytest.approx(0.75)
    assert _value("acc_real", threshold=0.85).value == 1.0
    assert _value("acc_generated", threshold=0.6).value == pytest.approx(0.75)  # p >= threshold is generated


def test_best_threshold_maximises_youden_j_by_hand():
    # Candidate threshold 0.6: TPR 3/4 (0.6 0.7 0.9), FPR 1/4 (0.8) -> J = 0.5, the maximum here.
    assert _value("best_threshold").value == pytest.approx(0.6)
    assert _value("balanced_acc_best").value == pytest.approx(0.75)
    assert _value("acc_real_best").value == pytest.approx(0.75)
    assert _value("acc_generated_best").value == pytest.approx(0.75)


def test_tpr_at_low_fpr_by_hand():
    y = np.array([0] * 100 + [1] * 10)
    p = np.concatenate([np.linspace(0.0, 0.5, 100), np.linspace(0.45, 0.95, 10)])
    p[98] = p[99] = 0.99  # two reals above every fake: FPR <= 1% (one real) forces the threshold above 0.99
    fpr, tpr, _ = skm.roc_curve(y, p)
    assert _value("tpr_at_fpr1", y, p).value == pytest.approx(tpr[fpr <= 0.01].max())
    assert _value("tpr_at_fpr1", y, p).value == pytest.approx(0.0)
    # FPR <= 5% allows 5 reals above the threshold: every fake above the 6th-highest real counts (9 of 10).
    expected = np.mean(p[100:] > np.sort(p[:100])[-6])
    assert expected == pytest.approx(0.9)
    assert _value("tpr_at_fpr5", y, p).value == pytest.approx(expected)


def test_eer_by_hand():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.4, 0.7, 0.8, 0.9])
    # Threshold 0.6..0.7: one real of four above (FPR 0.25), one fake of four below (FNR 0.25) -> EER 0.25.
    assert _value("eer", y, p).value == pytest.approx(0.25)
    assert _value("eer", y, np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])).value == pytest.approx(0.0)


def test_ece_by_hand():
    y = np.array([0, 1, 1, 1])
    p = np.array([0.05, 0.05, 0.95, 0.95])
    # bin 0: mean p 0.05, mean y 0.5 -> |0.45| * 2/4 ; bin 9: mean p 0.95, mean y 1 -> 0.05 * 2/4
    assert _value("ece", y, p).value == pytest.approx(0.45 * 0.5 + 0.05 * 0.5)
    assert _value("ece", np.array([0, 1]), np.array([0.0, 1.0])).value == pytest.approx(0.0)


@pytest.mark.parametrize("name", list_metrics())
def test_each_metric_is_sample_order_invariant(name):
    order = np.random.default_rng(1).permutation(len(Y))
    assert _value(name).value == pytest.approx(_value(name, Y[order], P[order]).value)


@pytest.mark.parametrize("name", list_metrics())
def test_single_class_slice_is_null_with_reason_not_a_crash(name):
    value = _value(name, np.array([1, 1, 1]), np.array([0.2, 0.6, 0.9]))
    if metrics.get(name).needs in ("both", "real"):
        assert value.value is None and "real" in value.reason
    else:
        assert value.value is not None and value.reason is None


def test_empty_slice_is_null():
    assert _value("brier", np.array([], dtype=int), np.array([])).reason == "no samples"


def test_bootstrap_interval_is_deterministic_and_brackets_the_value():
    rng = np.random.default_rng(0)
    y = np.array([0] * 50 + [1] * 50)
    p = np.clip(rng.normal(0.4 + 0.2 * y, 0.15), 0, 1)
    a = compute_metrics(y, p, threshold=0.5, n_boot=100, seed=3)
    b = compute_metrics(y, p, threshold=0.5, n_boot=100, seed=3)
    assert a == b
    low, high = a["auroc"].ci
    assert low <= a["auroc"].value <= high and high - low < 0.3
    assert a["auroc"].to_dict()["ci95"] == [low, high]


def test_fast_paths_equal_sklearn_on_random_scores():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    p = np.round(rng.random(300), 2)  # ties included
    assert _value("auroc", y, p).value == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert _value("balanced_acc", y, p).value == pytest.approx(skm.balanced_accuracy_score(y, p >= 0.5), abs=1e-12)
    assert _value("brier", y, p).value == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)
