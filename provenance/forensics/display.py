"""Shrink an image for display only: analyses always run on the native pixels first."""

from __future__ import annotations

from PIL import Image

DISPLAY_SIDE = 1600


def for_display(image: Image.Image, max_side: int = DISPLAY_SIDE) -> Image.Image:
    """A copy no larger than `max_side` on its longer side (the image itself when already small enough).

    Args:
        image: any Pillow image; converted to RGB, L or RGBA so a browser can show it.
        max_side: longest side in pixels of the result.

    Returns:
        The display copy. Never feed it to an analysis: resampling erases the traces they read.
    """
    if max_side < 1:
        raise ValueError(f"max_side must be a positive number of pixels. Got {max_side} instead.")
    if image.mode not in ("RGB", "L", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if max(image.size) <= max_side:
        return image
    scale = max_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # reducing_gap makes Pillow shrink by an integer factor in the JPEG-style box domain first: fast at 50 MP.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
