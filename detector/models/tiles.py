"""Where to cut crops from an image: native-resolution tiles on even coordinates, never a resize.

numpy and Pillow only, so the inference path can use it without torch. Every crop starts on even image
coordinates and has even sides, which keeps the 2x2 cells of the NPR stem aligned with the image's own grid.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

#: Smallest side (pixels) worth scoring: below it there is too little texture for the residual statistics.
MIN_SIDE = 32


def tile_boxes(width: int, height: int, size: int, n_tiles: int) -> list[tuple[int, int, int, int]]:
    """Up to ``n_tiles`` boxes ``(x0, y0, x1, y1)`` of ``size`` x ``size`` spread evenly over the image.

    Images smaller than ``size`` give one box of their own (even) size. The grid has about the image's aspect
    ratio; boxes may overlap when the image is small and never leave it.

    Raises:
        ValueError: a side is under `MIN_SIDE` pixels.
    """
    if min(width, height) < MIN_SIDE:
        raise ValueError(f"An image of {width}x{height} is too small to classify: each side needs >= {MIN_SIDE} px.")
    tile_w, tile_h = min(size, width) // 2 * 2, min(size, height) // 2 * 2
    cols = max(1, min(round(math.sqrt(n_tiles * width / height)), n_tiles))
    rows = max(1, n_tiles // cols)
    boxes = []
    for row in range(rows):
        for col in range(cols):
            x = _spread(col, cols, width - tile_w)
            y = _spread(row, rows, height - tile_h)
            boxes.append((x, y, x + tile_w, y + tile_h))
    return list(dict.fromkeys(boxes))  # identical boxes (tiny images) once


def _spread(index: int, count: int, room: int) -> int:
    position = room // 2 if count == 1 else round(index * room / (count - 1))
    return position // 2 * 2


def crop_array(image: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray:
    """One crop as float32 (3, h, w) in [0, 1]; converts only the crop's pixels, not the whole image."""
    crop = image.crop(box)
    if crop.mode != "RGB":
        crop = crop.convert("RGB")
    return np.asarray(crop, dtype=np.float32).transpose(2, 0, 1) / 255.0


def tiles_batch(image: Image.Image, size: int, n_tiles: int) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """All tiles of ``image`` as one (n, 3, h, w) float32 batch, with their boxes."""
    boxes = tile_boxes(image.width, image.height, size, n_tiles)
    return np.stack([crop_array(image, box) for box in boxes]), boxes
