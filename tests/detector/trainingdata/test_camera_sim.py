"""Simulated camera capture: the Bayer sampling is right for every layout and the result is a demosaiced photo."""

from __future__ import annotations

import numpy as np
import pytest

from tests.images import textured
from veracity.detector.trainingdata.camera_sim import _LAYOUTS, mosaic, simulate_camera

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("layout", sorted(_LAYOUTS))
def test_mosaic_samples_one_colour_per_pixel_in_the_layouts_pattern(layout):
    rgb = np.zeros((4, 6, 3), dtype=np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 10, 20, 30
    raw = mosaic(rgb, layout)
    cell = [[(10, 20, 30)[channel] for channel in row] for row in _LAYOUTS[layout]]
    assert np.array_equal(raw, np.tile(np.array(cell, dtype=np.uint8), (2, 3)))
    assert sorted(np.unique(raw).tolist()) == [10, 20, 30] and (raw == 20).mean() == 0.5  # two greens per cell


def test_simulated_capture_keeps_the_scene_and_adds_a_demosaicing_trace():
    photo = textured(256, 200, seed=5)
    captured = simulate_camera(photo, np.random.default_rng(0))
    assert captured.mode == "RGB" and captured.size == (128, 100)
    scene = np.asarray(photo.reduce(2), dtype=np.float32)
    pixels = np.asarray(captured, dtype=np.float32)
    assert np.abs(pixels - scene).mean() < 12  # the same picture, up to noise and interpolation
    assert not np.array_equal(pixels, scene)
    again = simulate_camera(photo, np.random.default_rng(0))
    assert np.array_equal(np.asarray(again), np.asarray(captured))  # seeded
