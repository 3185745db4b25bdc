"""Any dataset the harness reads, as training rows for `detector.training.train` (so users can train on their own data).

The detector package cannot import the harness, so `veracity train` reads datasets here: every layout of
`veracity.detector.datasets.layouts` (manifest, ForenSynths, GenImage, real/fake), grouped by source and near-duplicate
exactly as the harness groups its folds, then handed to training and calibration as `detector.training.data.Sample`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from veracity.detector.datasets.layouts import load_dataset
from veracity.detector.datasets.splits import assign_groups
from veracity.detector.training.data import Sample


def training_samples(roots: Sequence[str | Path], layout: str | None = None) -> list[Sample]:
    """Every labelled image under ``roots`` (read with ``layout``, or each root's detected layout), sorted.

    Groups are the harness's (`veracity.detector.datasets.splits.assign_groups`, over all roots together), so grouped
    validation never splits a source or the tiles of one original.

    Raises:
        DatasetError, DatasetNotFoundError, UnknownLayoutError: see `veracity.detector.datasets.layouts.load_dataset`.
    """
    rows = [sample for root in roots for sample in load_dataset(root, layout=layout).samples]
    grouped = assign_groups(rows)
    samples = [
        Sample(Path(s.path), s.label, s.group, s.generator or s.source or ("real" if s.label == 0 else "generated"))
        for s in grouped  # assign_groups gives every sample a group
    ]
    return sorted(samples, key=lambda s: str(s.path))
