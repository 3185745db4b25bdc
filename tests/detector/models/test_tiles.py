"""Tiles: native resolution, even coordinates, inside the image, never resized."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from veracity.detector.models.tiles import tile_boxes, tiles_batch


@pytest.mark.parametrize("width,height", [(4032, 3024), (1024, 1024), (500, 333), (129, 97), (40, 300)])
def test_tiles_are_even_inside_and_at_most_n(width, height):
    boxes = tile_boxes(width, height, 128, 16)
    assert 1 <= len(boxes) <= 16
    for x0, y0, x1, y1 in boxes:
        assert x0 % 2 == 0 and y0 % 2 == 0 and (x1 - x0) % 2 == 0 and (y1 - y0) % 2 == 0
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
        assert x1 - x0 == min(128, width) // 2 * 2


def test_too_small_image_is_refused_with_its_size():
    with pytest.raises(ValueError, match="20x20"):
        tile_boxes(20, 20, 128, 16)


def test_tiles_batch_copies_pixels_unchanged():
    pixels = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    batch, boxes = tiles_batch(Image.fromarray(pixels), 128, 4)
    x0, y0, x1, y1 = boxes[0]
    assert batch.shape == (len(boxes), 3, 128, 128)
    np.testing.assert_array_equal((batch[0].transpose(1, 2, 0) * 255).round().astype(np.uint8), pixels[y0:y1, x0:x1])
