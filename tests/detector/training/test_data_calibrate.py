"""Dataset reading and source-grouped splits; calibration, threshold for a stated FPR, ECE."""

from __future__ import annotations

import numpy as np
import pytest

from veracity.detector.calibration import expected_calibration_error, fit_platt, out_of_fold, threshold_for_fpr
from veracity.detector.datasets.splits import group_folds, grouped_samples, split_by_group
from veracity.detector.errors import UnknownLayoutError


def test_wild_dev_reads_with_source_repo_groups(wild_dev):
    samples = grouped_samples([wild_dev])
    assert len(samples) == 277
    assert sum(s.label for s in samples) == 121
    exif_samples = {s.group for s in samples if s.source == "ianare/exif-samples"}
    assert len(exif_samples) == 1  # one source repository, one group


def test_grouped_split_never_splits_a_group(tiny_dataset):
    samples = grouped_samples([tiny_dataset])
    train, val = split_by_group(samples, 0.5, seed=1)
    assert not {s.group for s in train} & {s.group for s in val}
    assert len(train) + len(val) == len(samples)
    assert group_folds(samples, 3, seed=2) == group_folds(samples, 3, seed=2)


def test_a_folder_without_labels_is_refused_with_the_fix(tmp_path):
    with pytest.raises(UnknownLayoutError, match="matches no known dataset layout"):
        grouped_samples([tmp_path])


def test_threshold_keeps_the_stated_false_positive_rate():
    p_real = np.linspace(0, 1, 200)
    threshold = threshold_for_fpr(p_real, 0.05)
    assert (p_real >= threshold).mean() <= 0.05
    assert (p_real >= threshold - 0.01).mean() > 0.05 - 0.01


def test_platt_calibration_is_monotone_and_out_of_fold_is_calibrated_elsewhere():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 200)
    logits = rng.normal(0, 1, 400) + 2.0 * labels
    calibration = fit_platt(logits, labels)
    assert calibration.a > 0
    p = out_of_fold(logits, labels, np.arange(400) % 4)
    assert expected_calibration_error(p, labels) < 0.1
    assert expected_calibration_error(np.full(400, 0.9), labels) > 0.3
