"""Camera-like real images: a photo re-captured through a simulated colour filter array, noise and demosaicing.

Real camera files at native resolution carry demosaicing correlations: each pixel's missing colours are
interpolated from its neighbours in the 2x2 Bayer cell, a trace close to the 2x upsampling trace the NPR stem
exposes. Training photos that were downscaled (wallpapers) have lost it, so a model trained on them alone
calls native camera photos generated. Re-capturing them (OpenCV's demosaicing, bilinear, VNG or
edge-aware) and labelling the result real teaches the model that a demosaicing trace is not a generator's.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

#: Which colour each position of a 2x2 cell samples (0 R, 1 G, 2 B), per Bayer layout, and OpenCV's code for
#: demosaicing it (OpenCV names layouts by the second row's first two pixels, hence the crossed names).
_LAYOUTS = {
    "RGGB": ((0, 1), (1, 2)),
    "BGGR": ((2, 1), (1, 0)),
    "GRBG": ((1, 0), (2, 1)),
    "GBRG": ((1, 2), (0, 1)),
}
_CV_CODES = {"RGGB": "BayerBG", "BGGR": "BayerRG", "GRBG": "BayerGB", "GBRG": "BayerGR"}
_METHODS = ("", "_VNG", "_EA")  # bilinear, variable number of gradients, edge-aware


def mosaic(rgb: np.ndarray, layout: str) -> np.ndarray:
    """The single-channel raw frame a sensor with ``layout`` would record of (H, W, 3) ``rgb`` (H, W even)."""
    raw = np.empty(rgb.shape[:2], dtype=rgb.dtype)
    for dy in (0, 1):
        for dx in (0, 1):
            raw[dy::2, dx::2] = rgb[dy::2, dx::2, _LAYOUTS[layout][dy][dx]]
    return raw


def simulate_camera(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """``image`` downscaled 2x (so earlier traces go), sampled through a random Bayer layout with sensor-like
    noise, then demosaiced by a random OpenCV method. Returns an RGB image of half the size (even sides).
    """
    import cv2  # opencv-python-headless: installed with the dev extra (invisible-watermark needs it)

    scene = image.convert("RGB").reduce(2)
    w, h = scene.width // 2 * 2, scene.height // 2 * 2
    rgb = np.asarray(scene.crop((0, 0, w, h)), dtype=np.float32)
    layout = str(rng.choice(list(_LAYOUTS)))
    raw = mosaic(rgb, layout)
    gain = rng.uniform(0.2, 1.0)  # shot noise grows with the signal; read noise does not
    raw = raw + rng.normal(0.0, 1.0, raw.shape) * np.sqrt(gain * raw + rng.uniform(1.0, 9.0))
    raw8 = np.clip(np.rint(raw), 0, 255).astype(np.uint8)
    code = getattr(cv2, f"COLOR_{_CV_CODES[layout]}2RGB{rng.choice(_METHODS)}")
    return Image.fromarray(cv2.cvtColor(raw8, code))
