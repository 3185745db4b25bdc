"""Shared fixtures for detector tests: a tiny labelled dataset made here, the shipped detector folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.paths import REPO

#: Every shipped detector folder (the default and the ones kept available by name).
SHIPPED = sorted((REPO / "detector" / "weights").glob("*/detector.json"))


def make_tiny_dataset(root: Path, n_per_class: int = 4, size: int = 96, seed: int = 0) -> Path:
    """real/: smooth random textures; fake/toy/: the same textures at half size, nearest-upsampled 2x.

    The fakes carry exactly the trace the NPR stem exposes, so a few steps of training can move on them.
    """
    rng = np.random.default_rng(seed)
    (root / "real").mkdir(parents=True, exist_ok=True)
    (root / "fake" / "toy").mkdir(parents=True, exist_ok=True)
    for index in range(n_per_class):
        base = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
        texture = Image.fromarray(base).resize((size, size), Image.Resampling.BICUBIC)
        noisy = np.asarray(texture, dtype=np.float32) + rng.normal(0, 6, (size, size, 3))
        real = Image.fromarray(noisy.clip(0, 255).astype(np.uint8))
        real.save(root / "real" / f"src{index}__real.png")
        fake = real.resize((size // 2, size // 2), Image.Resampling.BOX).resize((size, size), Image.Resampling.NEAREST)
        fake.save(root / "fake" / "toy" / f"src{index}__fake.png")
    return root


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    return make_tiny_dataset(tmp_path / "tiny")


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def wild_dev(shared: Path) -> Path:
    return shared / "data" / "wild-dev"


@pytest.fixture(params=[p.parent.name for p in SHIPPED])
def shipped_detector_dir(request) -> Path:
    """Each shipped detector folder in turn."""
    return REPO / "detector" / "weights" / request.param
