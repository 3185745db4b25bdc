"""JPEG quantisation tables and the IJG quality they correspond to.

A JPEG's tables say how it was last compressed. libjpeg (IJG) scales two standard tables by a quality
factor; cameras, phones and editors often use their own. An exact match to a scaled IJG table names the
quality that produced it; otherwise the nearest quality is an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

# ITU T.81 Annex K tables, natural (row-major) order.
IJG_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip
IJG_CHROMA = (
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
)  # fmt: skip


@dataclass(frozen=True)
class QuantisationTable:
    """One quantisation table of a JPEG and the IJG quality it corresponds to.

    Attributes:
        index: the table's slot in the file (0 is usually luma, 1 chroma).
        values: 64 divisors, natural (row-major 8x8) order.
        quality: the IJG quality (1-100) whose scaled table is nearest.
        exact: the table is exactly IJG's at that quality (otherwise the quality is an estimate).
    """

    index: int
    values: tuple[int, ...]
    quality: int
    exact: bool

    @property
    def rows(self) -> list[list[int]]:
        return [list(self.values[r * 8 : r * 8 + 8]) for r in range(8)]

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "values": list(self.values), "quality": self.quality, "exact": self.exact}


def ijg_table(quality: int, *, chroma: bool = False) -> np.ndarray:
    """IJG's table at `quality` (1-100), as libjpeg's ``jpeg_set_quality`` scales it (baseline, 1-255)."""
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be an int in [1, 100]. Got {quality} instead.")
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality  # integer arithmetic, as in libjpeg
    base = np.array(IJG_CHROMA if chroma else IJG_LUMA, dtype=np.int64)
    return np.clip((base * scale + 50) // 100, 1, 255)


def estimate_ijg_quality(values, *, chroma: bool = False) -> tuple[int, bool]:
    """``(quality, exact)``: the IJG quality whose table is nearest `values` (64 ints, natural order)."""
    table = np.asarray(values, dtype=np.int64).reshape(-1)
    if table.size != 64:
        raise ValueError(f"A quantisation table has 64 values. Got {table.size} instead.")
    errors = [float(np.abs(ijg_table(q, chroma=chroma) - table).sum()) for q in range(1, 101)]
    best = int(np.argmin(errors))
    return best + 1, errors[best] == 0.0


def read_quantisation(image: Image.Image) -> tuple[QuantisationTable, ...] | None:
    """The quantisation tables of a JPEG Pillow opened (``None`` for any other format)."""
    tables = getattr(image, "quantization", None)
    if image.format != "JPEG" or not tables:
        return None
    found = []
    for index in sorted(tables):
        values = tuple(int(v) for v in tables[index])
        if len(values) != 64:
            continue
        # Pillow gives tables in natural order (it converts from the file's zigzag order on reading).
        quality, exact = estimate_ijg_quality(values, chroma=index > 0)
        found.append(QuantisationTable(index, values, quality, exact))
    return tuple(found) or None
