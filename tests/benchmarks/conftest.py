"""Small labelled datasets the benchmark tests build themselves (real JPEG textures vs smooth PNG "fakes")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.images import textured


def smooth(width: int = 64, height: int = 64, seed: int = 0) -> Image.Image:
    """A smooth, upsampled image: low-resolution noise blown up 8x (an upsampling trace, like a generator)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
    return Image.fromarray(small, "RGB").resize((width, height), Image.Resampling.NEAREST)


def make_real_fake(root: Path, n_real: int = 8, n_per_generator: int = 4, generators=("gen-a", "gen-b")) -> Path:
    """``real/`` + ``fake/<generator>/``: camera-like JPEG reals, upsampled PNG fakes."""
    (root / "real").mkdir(parents=True)
    for i in range(n_real):
        textured(64, 64, seed=i).save(root / "real" / f"photo_{i:02d}.jpg", "JPEG", quality=90)
    for g, generator in enumerate(generators):
        (root / "fake" / generator).mkdir(parents=True)
        for i in range(n_per_generator):
            smooth(seed=100 * (g + 1) + i).save(root / "fake" / generator / f"sample_{i:02d}.png")
    return root


@pytest.fixture
def real_fake_dataset(tmp_path) -> Path:
    return make_real_fake(tmp_path / "data")
