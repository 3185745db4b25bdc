"""The classifier's per-tile scores drawn over the image: where the evidence lies, as colour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PIL import Image, ImageDraw


def tile_heatmap(display: Image.Image, original_size: tuple[int, int], tiles: Sequence[dict[str, Any]]) -> Image.Image:
    """`display` with each tile tinted from blue (P(generated) 0) to red (1), outlined, at display scale.

    Args:
        display: the image as shown (a `for_display` copy).
        original_size: ``(width, height)`` of the analysed pixels the tile boxes refer to.
        tiles: the classifier's ``details["tiles"]``: ``{"box": [x0, y0, x1, y1], "p_generated": p}``.

    Returns:
        An RGB image the size of `display`.
    """
    base = display.convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    sx, sy = base.width / original_size[0], base.height / original_size[1]
    for tile in tiles:
        p = min(1.0, max(0.0, float(tile.get("p_generated", 0.0))))
        x0, y0, x1, y1 = (float(v) for v in tile["box"])
        box = (round(x0 * sx), round(y0 * sy), round(x1 * sx) - 1, round(y1 * sy) - 1)
        color = (round(255 * p), 40, round(255 * (1 - p)))
        draw.rectangle(box, fill=(*color, 110), outline=(*color, 255), width=max(1, round(2 * max(sx, sy, 0.5))))
    return Image.alpha_composite(base, overlay).convert("RGB")
