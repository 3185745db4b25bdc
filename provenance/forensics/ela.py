"""Error-level analysis: how much each pixel changes when the image is saved again as JPEG.

Regions pasted from another source, or edited after the last save, often recompress differently from their
surroundings. Bright areas changed more. It is a view for a person, not a test: smooth regions and edges
differ naturally, and an image saved many times is dark everywhere.
"""

from __future__ import annotations

import io

from PIL import Image, ImageChops

ELA_QUALITY = 90


def error_level_analysis(image: Image.Image, *, quality: int = ELA_QUALITY, gain: float | None = None) -> Image.Image:
    """The amplified difference between `image` and its JPEG re-save at `quality`, at full resolution.

    Args:
        image: the decoded pixels (any mode; analysed as RGB).
        quality: JPEG quality of the re-save, 1-95.
        gain: brightness factor; ``None`` scales the largest difference to white.

    Returns:
        An RGB image of the same size.
    """
    if not 1 <= quality <= 95:
        raise ValueError(f"quality must be an int in [1, 95]. Got {quality} instead.")
    rgb = image.convert("RGB")
    buffer = io.BytesIO()
    rgb.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    resaved = Image.open(buffer).convert("RGB")
    difference = ImageChops.difference(rgb, resaved)
    if gain is None:
        peak = max(high for _, high in difference.getextrema()) or 1
        gain = 255.0 / peak
    return difference.point(lambda v: min(255, int(v * gain)))
