"""Training augmentations that take the known shortcuts away (format, quantisation tables, size).

Both classes go through the same random chain, so none of these can carry the label:

- a random window on even coordinates (the crop never shows the image's size or aspect);
- sometimes a downscale of that window (0.5x-1x, a random filter), so resampling alone means nothing;
- sometimes a light blur or Gaussian noise;
- a random codec: lossless (as PNG), JPEG at a random quality and chroma subsampling, JPEG twice (as a
  re-shared photo), or lossy WebP; so neither a JPEG grid, nor a table, nor WebP's blocks mean anything;
- a final random crop on even coordinates at the model's input size (the JPEG grid lands at any even phase,
  as it does for the tiles analysis cuts), and a random horizontal flip.

The chain runs on uint8 windows (`process_window`), the form the crop bank keeps
(`veracity.detector.training.cropbank`); `augment` is the same chain on a whole Pillow image.
numpy and Pillow only. Every function takes an explicit ``numpy.random.Generator`` so runs are reproducible.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

#: Resampling filters a downscale draws from (what editors, browsers and social networks use).
RESIZE_FILTERS = (
    Image.Resampling.BILINEAR,
    Image.Resampling.BICUBIC,
    Image.Resampling.LANCZOS,
    Image.Resampling.BOX,
)
#: Margin around the final crop through the codec, so the 8x8 JPEG grid ends up at any even phase.
CODEC_MARGIN = 16


@dataclass(frozen=True)
class AugmentCfg:
    """Probabilities and ranges of the training augmentations.

    Attributes:
        crop: side of the final crop (even).
        p_resize: probability of downscaling the window; scale uniform in ``resize_range``.
        p_blur: probability of a Gaussian blur with radius uniform in ``blur_range``.
        p_noise: probability of adding Gaussian noise, sigma (8-bit levels) uniform in ``noise_range``.
        p_jpeg: probability of one JPEG compression at a quality uniform in ``jpeg_range``.
        p_double_jpeg: probability of two JPEG compressions at independent qualities in ``jpeg_range``.
        p_webp: probability of a lossy WebP compression at a quality uniform in ``webp_range``.
            The rest of the time the window stays lossless (as a PNG would keep it).
        p_flip: probability of a horizontal flip.
    """

    crop: int = 128
    p_resize: float = 0.3
    resize_range: tuple[float, float] = (0.5, 1.0)
    p_blur: float = 0.1
    blur_range: tuple[float, float] = (0.3, 1.0)
    p_noise: float = 0.05
    noise_range: tuple[float, float] = (1.0, 3.0)
    p_jpeg: float = 0.4
    p_double_jpeg: float = 0.15
    jpeg_range: tuple[int, int] = (55, 100)
    p_webp: float = 0.15
    webp_range: tuple[int, int] = (55, 100)
    p_flip: float = 0.5

    def __post_init__(self) -> None:
        for name in ("resize_range", "blur_range", "noise_range", "jpeg_range", "webp_range"):
            object.__setattr__(self, name, tuple(getattr(self, name)))  # JSON gives lists
        if self.crop % 2:
            raise ValueError(f"AugmentCfg.crop must be even. Got {self.crop} instead.")
        codecs = self.p_jpeg + self.p_double_jpeg + self.p_webp
        if codecs > 1.0 + 1e-9:
            raise ValueError(f"AugmentCfg codec probabilities sum to {codecs:.3f}; they must sum to at most 1.")


def _even(value: float) -> int:
    return int(value) // 2 * 2


def random_window(image: Image.Image, side: int, rng: np.random.Generator) -> Image.Image:
    """A random ``side`` x ``side`` window (smaller images: the largest even window) on even coordinates."""
    w, h = _even(min(side, image.width)), _even(min(side, image.height))
    x = _even(int(rng.integers(0, image.width - w + 1)))
    y = _even(int(rng.integers(0, image.height - h + 1)))
    return image.crop((x, y, x + w, y + h))


def encode_decode(image: Image.Image, fmt: str, quality: int, *, subsampling: int = 2) -> Image.Image:
    """``image`` through one lossy encoder and back (``fmt`` JPEG or WEBP), as RGB."""
    buffer = io.BytesIO()
    options = {"subsampling": subsampling} if fmt == "JPEG" else {"method": 4}
    image.save(buffer, format=fmt, quality=int(quality), **options)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def random_codec(image: Image.Image, cfg: AugmentCfg, rng: np.random.Generator) -> Image.Image:
    """One draw of the codec chain: lossless, JPEG, JPEG twice or WebP (see `AugmentCfg`)."""
    draw = rng.random()
    jpeg_q = lambda: int(rng.integers(cfg.jpeg_range[0], cfg.jpeg_range[1] + 1))  # noqa: E731
    subsampling = lambda: int(rng.choice((0, 2, 2)))  # noqa: E731  4:4:4 or (more often) 4:2:0
    if draw < cfg.p_jpeg:
        return encode_decode(image, "JPEG", jpeg_q(), subsampling=subsampling())
    draw -= cfg.p_jpeg
    if draw < cfg.p_double_jpeg:
        once = encode_decode(image, "JPEG", jpeg_q(), subsampling=subsampling())
        return encode_decode(once, "JPEG", jpeg_q(), subsampling=subsampling())
    draw -= cfg.p_double_jpeg
    if draw < cfg.p_webp:
        return encode_decode(image, "WEBP", int(rng.integers(cfg.webp_range[0], cfg.webp_range[1] + 1)))
    return image


def process_window(window: np.ndarray, cfg: AugmentCfg, rng: np.random.Generator) -> np.ndarray:
    """One training crop from a uint8 window (h, w, 3) as float32 (3, crop, crop) in [0, 1].

    Windows smaller than the crop give a smaller crop (the caller pads it).
    """
    height, width = window.shape[:2]
    scale = rng.uniform(*cfg.resize_range) if rng.random() < cfg.p_resize else 1.0
    # The source region that, after scaling, covers the crop plus the codec margin.
    side = min(_even(math.ceil((cfg.crop + CODEC_MARGIN) / scale) + 1), _even(width), _even(height))
    x = _even(int(rng.integers(0, width - side + 1)))
    y = _even(int(rng.integers(0, height - side + 1)))
    image = Image.fromarray(np.ascontiguousarray(window[y : y + side, x : x + side]))
    if scale < 1.0:
        target = max(2, _even(side * scale))
        image = image.resize((target, target), RESIZE_FILTERS[int(rng.integers(len(RESIZE_FILTERS)))])
    if rng.random() < cfg.p_blur:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(*cfg.blur_range)))
    if rng.random() < cfg.p_noise:
        pixels = np.asarray(image, dtype=np.float32)
        pixels = pixels + rng.normal(0.0, rng.uniform(*cfg.noise_range), pixels.shape)
        image = Image.fromarray(pixels.clip(0, 255).round().astype(np.uint8))
    image = random_codec(image, cfg, rng)
    crop = random_window(image, cfg.crop, rng)
    pixels = np.asarray(crop, dtype=np.float32)
    if rng.random() < cfg.p_flip:
        pixels = pixels[:, ::-1]
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)) / 255.0


def augment(image: Image.Image, cfg: AugmentCfg, rng: np.random.Generator) -> np.ndarray:
    """One training crop of a whole image as float32 (3, crop, crop) in [0, 1] (smaller for tiny images)."""
    image = image.convert("RGB") if image.mode != "RGB" else image
    window = random_window(image, cfg.crop * 2, rng)
    return process_window(np.asarray(window), cfg, rng)
