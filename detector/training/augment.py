"""Training augmentations that take the known shortcuts away (format, quantisation tables, size).

Both classes go through the same chain, so none of these can carry the label:

- a random window on even coordinates (the crop never shows the image's size or aspect);
- sometimes a resize of that window (0.5x-1.5x), so resampling alone means nothing;
- sometimes a light blur or Gaussian noise;
- usually a JPEG re-compression at a random quality, so a JPEG grid or table means nothing;
- a final random crop on even coordinates at the model's input size.

numpy and Pillow only. Every function takes an explicit ``numpy.random.Generator`` so runs are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from veracity.detector.evaluation import jpeg_roundtrip


@dataclass(frozen=True)
class AugmentCfg:
    """Probabilities and ranges of the training augmentations.

    Attributes:
        crop: side of the final crop (even).
        p_resize: probability of resizing the window; scale uniform in ``resize_range``.
        p_blur: probability of a Gaussian blur with radius uniform in ``blur_range``.
        p_noise: probability of adding Gaussian noise, sigma (8-bit levels) uniform in ``noise_range``.
        p_jpeg: probability of JPEG re-compression at a quality uniform in ``jpeg_range``.
    """

    crop: int = 128
    p_resize: float = 0.25
    resize_range: tuple[float, float] = (0.5, 1.5)
    p_blur: float = 0.25
    blur_range: tuple[float, float] = (0.3, 1.2)
    p_noise: float = 0.1
    noise_range: tuple[float, float] = (1.0, 3.0)
    p_jpeg: float = 0.8
    jpeg_range: tuple[int, int] = (60, 100)


def _even(value: int) -> int:
    return value // 2 * 2


def random_window(image: Image.Image, side: int, rng: np.random.Generator) -> Image.Image:
    """A random ``side`` x ``side`` window (smaller images: the largest even window) on even coordinates."""
    w, h = _even(min(side, image.width)), _even(min(side, image.height))
    x = _even(int(rng.integers(0, image.width - w + 1)))
    y = _even(int(rng.integers(0, image.height - h + 1)))
    return image.crop((x, y, x + w, y + h))


def augment(image: Image.Image, cfg: AugmentCfg, rng: np.random.Generator) -> np.ndarray:
    """One training crop of ``image`` as float32 (3, crop, crop) in [0, 1] (smaller for tiny images)."""
    image = image.convert("RGB") if image.mode != "RGB" else image
    # Work on a window with margin so that resizing and JPEG see context, then cut the final crop.
    window = random_window(image, cfg.crop * 2, rng)
    if rng.random() < cfg.p_resize:
        scale = rng.uniform(*cfg.resize_range)
        size = (max(2, round(window.width * scale)), max(2, round(window.height * scale)))
        window = window.resize(size, Image.Resampling.BICUBIC if scale > 1 else Image.Resampling.LANCZOS)
    if rng.random() < cfg.p_blur:
        window = window.filter(ImageFilter.GaussianBlur(rng.uniform(*cfg.blur_range)))
    if rng.random() < cfg.p_noise:
        pixels = np.asarray(window, dtype=np.float32)
        pixels = pixels + rng.normal(0.0, rng.uniform(*cfg.noise_range), pixels.shape)
        window = Image.fromarray(pixels.clip(0, 255).round().astype(np.uint8))
    if rng.random() < cfg.p_jpeg:
        window = jpeg_roundtrip(window, int(rng.integers(cfg.jpeg_range[0], cfg.jpeg_range[1] + 1)))
    crop = random_window(window, cfg.crop, rng)
    return np.asarray(crop, dtype=np.float32).transpose(2, 0, 1) / 255.0
