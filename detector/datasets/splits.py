"""Source-grouped splits: no source, and no near-duplicate family, on both sides of a split.

Samples are linked into groups by union-find over two keys: their ``source`` (a repository, a dataset),
and their near-duplicate key (the ``original_path`` a tile was cut from, or the file stem with a tile/crop
suffix removed, inside its class folder). Each connected component is one group; folds never cut one.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import PurePosixPath

import numpy as np

from veracity.detector.datasets.layouts import Sample, load_dataset
from veracity.detector.errors import DatasetError

_TILE_SUFFIX = re.compile(r"([_-](tile|crop|grid|part|patch|panel|sample)[_-]?\d+)+$", re.IGNORECASE)


def near_duplicate_key(sample: Sample) -> str:
    """The key shared by crops of one grid or one original: ``original_path`` stem, else the file stem."""
    if sample.meta.get("group"):  # the dataset names what must stay together (e.g. a photo and its twins)
        return f"group:{sample.meta['group']}"
    original = sample.meta.get("original_path")
    if original:
        return f"orig:{sample.source or ''}:{PurePosixPath(original).with_suffix('')}"
    rel = PurePosixPath(sample.relpath)
    return f"stem:{rel.parent}/{_TILE_SUFFIX.sub('', rel.stem)}"


def assign_groups(samples: Sequence[Sample]) -> list[Sample]:
    """Copies of ``samples`` with ``group`` set to their connected component's smallest key."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    keys = []
    for s in samples:
        dup = near_duplicate_key(s)
        find(dup)
        if s.source:
            union(f"source:{s.source}", dup)
        keys.append(dup)
    return [replace(s, group=find(k)) for s, k in zip(samples, keys, strict=True)]


def assign_folds(samples: Sequence[Sample], *, k: int, seed: int) -> list[Sample]:
    """Copies with ``fold`` in ``[0, k)``: source-grouped, class-stratified where the groups allow.

    Raises:
        DatasetError: fewer groups than folds.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    grouped = assign_groups(samples) if any(s.group is None for s in samples) else list(samples)
    groups = np.array([s.group for s in grouped])
    n_groups = len(set(groups.tolist()))
    if k < 2 or n_groups < k:
        raise DatasetError(
            f"Cannot make {k} source-grouped folds from {n_groups} group(s). Use k between 2 and {n_groups}."
        )
    labels = np.array([s.label for s in grouped])
    folds = np.empty(len(grouped), dtype=int)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for fold, (_, test) in enumerate(splitter.split(np.zeros(len(grouped)), labels, groups)):
        folds[test] = fold
    return [replace(s, fold=int(f)) for s, f in zip(grouped, folds, strict=True)]


def grouped_samples(roots: Sequence[str | os.PathLike[str]], layout: str | None = None) -> list[Sample]:
    """Every labelled file under ``roots`` (each read with ``layout``, or its detected layout), grouped, sorted.

    Groups are assigned over all roots together (`assign_groups`), so grouped validation never splits a
    source or the tiles of one original, whichever root they came from.

    Raises:
        DatasetError, DatasetNotFoundError, UnknownLayoutError: see `load_dataset`.
    """
    rows = [sample for root in roots for sample in load_dataset(root, layout=layout).samples]
    return sorted(assign_groups(rows), key=lambda s: s.path)


def group_folds(samples: Sequence[Sample], n_folds: int, seed: int = 0) -> list[int]:
    """A fold index per grouped sample: each group in one fold, by a hash of (seed, group), stable across runs.

    Unlike `assign_folds` it needs no scikit-learn and does not stratify: it is the cheap split of training
    runs, whose validation must not move when files are added elsewhere.
    """
    groups = sorted({s.group or s.relpath for s in samples})
    order = sorted(groups, key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())
    fold_of = {group: index % n_folds for index, group in enumerate(order)}
    return [fold_of[s.group or s.relpath] for s in samples]


def split_by_group(samples: Sequence[Sample], val_fraction: float, seed: int = 0) -> tuple[list[Sample], list[Sample]]:
    """(train, validation): about ``val_fraction`` of the groups go to validation, whole groups only (none at 0)."""
    if val_fraction <= 0:
        return list(samples), []
    n_folds = max(2, round(1 / max(val_fraction, 1e-6)))
    folds = group_folds(samples, n_folds, seed)
    train = [s for s, f in zip(samples, folds, strict=True) if f != 0]
    val = [s for s, f in zip(samples, folds, strict=True) if f == 0]
    return train, val
