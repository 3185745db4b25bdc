"""Decode the open invisible watermarks of the Stable Diffusion reference pipelines (numpy only).

The SD reference scripts embed a watermark with the ``invisible-watermark`` package's ``dwtDct`` method:
SD 1.x the 136-bit text ``StableDiffusionV1``, SD 2.x the 32-bit text ``SDV2``, SDXL the 48-bit value
``0xB3EC907BB19E``. This module reproduces that package's decoder exactly, vectorised (the package loops
over every 4x4 block in Python and imports torch and onnxruntime; this costs a few tens of ms per 4 MP
image and imports nothing heavy). What the package's ``dwtDct`` decode does, and so what this does:

1. convert BGR 8-bit pixels to YUV with OpenCV's fixed-point formula;
2. take the U channel (its loop over channels stops before V, and Y has scale 0), cropped to a multiple of 4;
3. one level Haar DWT, keep the approximation band (pywt's float arithmetic);
4. cut it into 4x4 blocks in raster order; block ``n`` carries payload bit ``n % L``;
5. in each block, the largest-magnitude coefficient other than the first gives ``|v| mod 36 > 18``;
6. average those per payload bit: the per-bit score; the bit is 1 when ``score * 255 > 127``.

Levels. SDXL uses Stability's thresholds on its 48 bits: 34-35 matching bits "likely", 36 or more "very
likely". The text payloads use the bit counts with the same false-positive rate for an unwatermarked image
whose bits are coin flips: P(Binomial(48, 1/2) >= 36) = 3.6e-4 and >= 34 = 2.8e-3, which give 89 and 85 of
136 bits for SD 1.x and 26 and 25 of 32 bits for SD 2.x.

Only "very likely" implies ``generated``. "Likely" is context: at 2.8e-3 per payload and three payloads, about
one real photo in 120 would reach it by chance, too often to label a file generated on a watermark alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Any

import numpy as np

from provenance import labels
from provenance.signals import Finding, SignalResult, not_applicable

_SCALE = 36.0  # the package's default scale for U (``scales=[0, 36, 36]``)
_BLOCK = 4
_MIN_PIXELS = 256 * 256  # the package refuses smaller images
_HAAR = 0.7071067811865476  # pywt's Haar filter tap, so the arithmetic (and the ties) match exactly
_STRIP_PIXELS = 1 << 17  # pixels per strip: ~0.5 MB per int32 temporary

VERY_LIKELY = "very likely"
LIKELY = "likely"
NOT_FOUND = "not found"


@dataclass(frozen=True)
class Payload:
    """One known watermark payload.

    Attributes:
        name: the generator family, e.g. ``"SDXL"``.
        bits: the payload bits, most significant first.
        likely_at: matching bits from which a match is "likely".
        very_likely_at: matching bits from which a match is "very likely".
    """

    name: str
    bits: tuple[int, ...]
    likely_at: int
    very_likely_at: int


def _text_bits(text: str) -> tuple[int, ...]:
    return tuple(int(b) for b in np.unpackbits(np.frombuffer(text.encode("ascii"), dtype=np.uint8)))


def _binomial_threshold(n: int, p_false_positive: float) -> int:
    """Smallest k with P(Binomial(n, 1/2) >= k) <= p_false_positive."""
    tail = 0
    for k in range(n, -1, -1):
        tail += comb(n, k)
        if tail / 2**n > p_false_positive:
            return k + 1
    return 0


_SDXL_BITS = tuple(int(b) for b in bin(0xB3EC907BB19E)[2:].zfill(48))
_P_VERY_LIKELY = sum(comb(48, k) for k in range(36, 49)) / 2**48
_P_LIKELY = sum(comb(48, k) for k in range(34, 49)) / 2**48

PAYLOADS: tuple[Payload, ...] = (
    Payload("SDXL", _SDXL_BITS, likely_at=34, very_likely_at=36),
    Payload(
        "StableDiffusionV1",
        _text_bits("StableDiffusionV1"),
        likely_at=_binomial_threshold(136, _P_LIKELY),
        very_likely_at=_binomial_threshold(136, _P_VERY_LIKELY),
    ),
    Payload(
        "SDV2",
        _text_bits("SDV2"),
        likely_at=_binomial_threshold(32, _P_LIKELY),
        very_likely_at=_binomial_threshold(32, _P_VERY_LIKELY),
    ),
)


@dataclass(frozen=True)
class PayloadMatch:
    """How well one payload matches an image.

    Attributes:
        payload: the payload's name.
        bits_matched: decoded bits equal to the payload's.
        bits_total: payload length.
        level: ``"very likely"``, ``"likely"`` or ``"not found"``.
        scores: per-bit scores in [0, 1] (the package's average over blocks).
    """

    payload: str
    bits_matched: int
    bits_total: int
    level: str
    scores: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "payload": self.payload,
            "bits_matched": self.bits_matched,
            "bits_total": self.bits_total,
            "level": self.level,
        }


def u_channel(bgr: np.ndarray) -> np.ndarray:
    """OpenCV's ``COLOR_BGR2YUV`` U channel for 8-bit input (fixed point, 14-bit shift), as int32 in [0, 255]."""
    return _u_from_channels(bgr, weights=(1868, 9617, 4899), blue=0)


def u_channel_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """`u_channel` of the BGR image whose channels are `rgb` reversed, without copying it."""
    return _u_from_channels(rgb, weights=(4899, 9617, 1868), blue=2)


def _u_from_channels(pixels: np.ndarray, *, weights: tuple[int, int, int], blue: int) -> np.ndarray:
    # In-place int32 arithmetic: the fewest full-size temporaries, which is what costs at 4 MP.
    y = pixels[..., 0].astype(np.int32)
    y *= weights[0]
    y += pixels[..., 1].astype(np.int32) * weights[1]
    y += pixels[..., 2].astype(np.int32) * weights[2]
    y += 1 << 13
    y >>= 14
    u = pixels[..., blue].astype(np.int32)
    u -= y
    u *= 8061
    u += (128 << 14) + (1 << 13)
    u >>= 14
    np.clip(u, 0, 255, out=u)
    return u


def haar_approximation(channel: np.ndarray) -> np.ndarray:
    """pywt's ``dwt2(x, 'haar')`` approximation band, with the same float operations (columns first)."""
    x = channel.astype(np.float64, copy=False)
    cols = x[0::2, :] * _HAAR + x[1::2, :] * _HAAR
    return cols[:, 0::2] * _HAAR + cols[:, 1::2] * _HAAR


def block_bits(bgr: np.ndarray, *, rgb: bool = False) -> np.ndarray:
    """The 0/1 vote of every 4x4 block of the U-channel DWT band, in the package's raster order.

    Args:
        bgr: (H, W, 3) uint8 pixels in OpenCV's BGR order (or RGB order with ``rgb=True``).
        rgb: the channels are in RGB order.

    Returns:
        float64 array of 0.0/1.0, one per block, row of blocks after row of blocks.
    """
    rows, cols = bgr.shape[0] // 4 * 4, bgr.shape[1] // 4 * 4
    bcol = cols // 2 // _BLOCK
    block_rows = rows // 2 // _BLOCK
    votes = np.empty((block_rows, bcol), dtype=np.float64)
    # Work in strips of image rows so every temporary stays in cache; each strip of 8 * k image rows
    # is k rows of blocks, so strips concatenate in the package's raster order.
    step = max(1, _STRIP_PIXELS // max(cols, 1) // 8)
    for first in range(0, block_rows, step):
        last = min(block_rows, first + step)
        strip = bgr[first * 8 : last * 8, : bcol * 8]
        u = u_channel_from_rgb(strip) if rgb else u_channel(strip)
        band = haar_approximation(u)
        blocks = band.reshape(last - first, _BLOCK, bcol, _BLOCK).swapaxes(1, 2)
        # The package skips each block's first coefficient and takes the largest magnitude of the rest.
        largest = np.abs(blocks.reshape(-1, _BLOCK * _BLOCK)[:, 1:]).max(axis=1)
        votes[first:last] = (np.mod(largest, _SCALE) > 0.5 * _SCALE).reshape(last - first, bcol)
    return votes.ravel()


def bit_scores(votes: np.ndarray, length: int) -> np.ndarray:
    """Per-bit scores: the mean vote of the blocks carrying each bit (block ``n`` carries bit ``n % length``)."""
    index = np.arange(votes.size) % length
    sums = np.bincount(index, weights=votes, minlength=length)
    counts = np.bincount(index, minlength=length)
    return sums / np.maximum(counts, 1)


def decode_watermarks(bgr: np.ndarray, *, rgb: bool = False) -> tuple[PayloadMatch, ...]:
    """Match every known payload against an 8-bit BGR image of shape (H, W, 3) (RGB with ``rgb=True``).

    Raises:
        ValueError: the image is smaller than 256x256 pixels (the package's own limit) or not (H, W, 3) uint8.
    """
    if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
        raise ValueError(f"decode_watermarks needs an (H, W, 3) uint8 BGR array. Got {bgr.shape} {bgr.dtype}.")
    if bgr.shape[0] * bgr.shape[1] < _MIN_PIXELS:
        raise ValueError(f"The image is {bgr.shape[1]}x{bgr.shape[0]}; watermark decoding needs 256x256 or more.")
    votes = block_bits(bgr, rgb=rgb)
    matches = []
    for payload in PAYLOADS:
        scores = bit_scores(votes, len(payload.bits))
        decoded = (scores * 255 > 127).astype(np.uint8)
        matched = int(np.sum(decoded == np.array(payload.bits, dtype=np.uint8)))
        level = (
            VERY_LIKELY if matched >= payload.very_likely_at else LIKELY if matched >= payload.likely_at else NOT_FOUND
        )
        matches.append(PayloadMatch(payload.name, matched, len(payload.bits), level, tuple(scores.tolist())))
    return tuple(matches)


def read_watermark_signal(asset, options: Any = None) -> SignalResult:
    """The ``watermark`` signal: Stable Diffusion's invisible watermarks in the full-resolution pixels."""
    if not asset.media_type.has_pixels:
        return not_applicable(labels.WATERMARK, f"{asset.media_type.mime} has no pixels to carry a watermark.")
    rgb = np.asarray(asset.image.pixels)
    if rgb.shape[0] * rgb.shape[1] < _MIN_PIXELS:
        return not_applicable(labels.WATERMARK, "The image is smaller than 256x256; the watermark cannot be read.")
    matches = decode_watermarks(rgb, rgb=True)
    details = {"method": "invisible-watermark dwtDct (U channel, scale 36)", "payloads": [m.to_dict() for m in matches]}
    findings = [_finding(m) for m in matches if m.level != NOT_FOUND]
    if not findings:
        best = max(matches, key=lambda m: m.bits_matched / m.bits_total)
        summary = f"No Stable Diffusion watermark (best: {best.payload} {best.bits_matched}/{best.bits_total} bits)."
        return SignalResult(labels.WATERMARK, labels.ABSENT, summary, details=details)
    findings.sort(key=lambda f: labels.IMPLICATIONS.index(f.implies))
    return SignalResult(labels.WATERMARK, labels.FOUND, findings[0].meaning, tuple(findings), details)


def _finding(match: PayloadMatch) -> Finding:
    bits = f"{match.bits_matched} of {match.bits_total} bits match"
    if match.level == VERY_LIKELY:
        return Finding(
            kind=f"watermark.{match.payload}",
            where="invisible watermark (dwtDct, U channel)",
            value=f"{match.bits_matched}/{match.bits_total}",
            meaning=f"The {match.payload} invisible watermark is very likely present ({bits}).",
            implies=labels.IMPLIES_GENERATED,
        )
    return Finding(
        kind=f"watermark.{match.payload}",
        where="invisible watermark (dwtDct, U channel)",
        value=f"{match.bits_matched}/{match.bits_total}",
        meaning=f"The {match.payload} invisible watermark is likely present ({bits}); "
        "too weak alone to call the image generated.",
    )
