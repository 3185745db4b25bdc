"""The Fourier spectrum of the image's fine detail, averaged over native-resolution tiles.

Upsampling layers of generators leave periodic traces that show as bright dots or lines away from the
centre; camera images show a smooth falloff. Tiles are cut from the full-resolution pixels (never a resized
copy, which would erase those traces) and their log-magnitude spectra averaged, which also keeps the cost
independent of the image size.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

TILE = 256
MAX_TILES = 64


def fourier_spectrum(image: Image.Image, *, tile: int = TILE, max_tiles: int = MAX_TILES) -> Image.Image:
    """Mean log-magnitude spectrum (zero frequency in the centre) of up to `max_tiles` tiles, as an L image.

    Args:
        image: the decoded pixels (any mode; luma is analysed).
        tile: tile side in pixels (an image smaller than that is analysed whole).
        max_tiles: how many tiles, spread evenly over the image.

    Returns:
        A `tile` x `tile` L image (smaller for a smaller image).
    """
    if tile < 16 or max_tiles < 1:
        raise ValueError(f"tile must be >= 16 and max_tiles >= 1. Got tile={tile}, max_tiles={max_tiles}.")
    luma = image.convert("L")
    side_x, side_y = min(tile, luma.width), min(tile, luma.height)
    window = np.outer(np.hanning(side_y), np.hanning(side_x)).astype(np.float32)
    total = np.zeros((side_y, side_x), dtype=np.float64)
    boxes = _tile_boxes(luma.width, luma.height, side_x, side_y, max_tiles)
    for box in boxes:
        pixels = np.asarray(luma.crop(box), dtype=np.float32)
        pixels = (pixels - pixels.mean()) * window
        total += np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(pixels))))
    mean = total / len(boxes)
    low, high = np.percentile(mean, (1, 99.9))
    scaled = np.clip((mean - low) / max(high - low, 1e-9), 0, 1) * 255
    return Image.fromarray(scaled.astype(np.uint8), "L")


def _tile_boxes(width: int, height: int, side_x: int, side_y: int, count: int) -> list[tuple[int, int, int, int]]:
    cols = max(1, min(int(np.sqrt(count * width / height)), width // side_x))
    rows = max(1, min(count // cols, height // side_y))
    xs = np.linspace(0, width - side_x, cols).astype(int)
    ys = np.linspace(0, height - side_y, rows).astype(int)
    return [(int(x), int(y), int(x) + side_x, int(y) + side_y) for y in ys for x in xs]
