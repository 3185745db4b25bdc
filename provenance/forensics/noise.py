"""The noise residual: the image minus a median-filtered copy of itself, at full resolution.

Camera sensors leave fine, even noise; generators and heavy denoising leave smooth or patterned residue,
and pasted regions often carry noise unlike their surroundings.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageFilter, ImageOps


def noise_residual(image: Image.Image, *, size: int = 3) -> Image.Image:
    """The absolute difference between the luma and its median filter, contrast-stretched, as an L image.

    Args:
        image: the decoded pixels (any mode).
        size: median filter size, an odd number >= 3.

    Returns:
        An L image of the same size; bright where the fine detail (noise, edges) is strong.
    """
    if size < 3 or size % 2 == 0:
        raise ValueError(f"size must be an odd int >= 3. Got {size} instead.")
    luma = image.convert("L")
    residual = ImageChops.difference(luma, luma.filter(ImageFilter.MedianFilter(size)))
    return ImageOps.autocontrast(residual, cutoff=0.5)
