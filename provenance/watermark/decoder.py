"""Decode the open invisible watermarks of the Stable Diffusion reference pipelines (numpy only).

The SD reference scripts embed a watermark with the ``invisible-watermark`` package's ``dwtDct`` method:
SD 1.x the 136-bit text ``StableDiffusionV1``, SD 2.x the 32-bit text ``SDV2``, SDXL the 48-bit value
``0xB3EC907BB19E``. This module reproduces that package's per-bit scores exactly, vectorised (the package
loops over every 4x4 block in Python and imports torch and onnxruntime; this costs about 20 ms of CPU per
4 MP image and imports nothing heavy). What the package's ``dwtDct`` decode does, and so what this computes:

1. convert BGR 8-bit pixels to YUV with OpenCV's fixed-point formula;
2. take the U channel (its loop over channels stops before V, and Y has scale 0), cropped to a multiple of 4;
3. one level Haar DWT, keep the approximation band (pywt's float arithmetic);
4. cut it into 4x4 blocks in raster order; block ``n`` carries payload bit ``n % L``;
5. in each block, the largest-magnitude coefficient other than the first gives ``|v| mod 36 > 18``;
6. average those per payload bit: the per-bit score; the bit is 1 when ``score * 255 > 127``.

How, cheaply. The image is read in strips of whole 4x4 blocks (8 image rows each) and the votes are tallied
per bit as strips go, so the extra memory is a strip (~3 MB), not a frame, even at 50 MP. U is computed in
float32 by one dot product per pixel, exactly (see `_u_strip`). Each block's vote follows from integer sums
of 2x2 U pixels; pywt's float64 arithmetic is replayed only for the few blocks where its rounding decides
(see `_strip_votes`). The package never applies a DCT in ``dwtDct`` decoding (step 5 reads the band itself),
so neither does this.

Levels. SDXL uses Stability's thresholds on its 48 bits: 34-35 matching bits "likely", 36 or more "very
likely". The text payloads use the bit counts with the same false-positive rate for an unwatermarked image
whose bits are coin flips: P(Binomial(48, 1/2) >= 36) = 3.6e-4 and >= 34 = 2.8e-3, which give 89 and 85 of
136 bits for SD 1.x and 26 and 25 of 32 bits for SD 2.x.

Only "very likely" implies ``generated``. "Likely" is context: at 2.8e-3 per payload and three payloads, about
one real photo in 120 would reach it by chance, too often to label a file generated on a watermark alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from math import comb
from typing import TYPE_CHECKING, Any

import numpy as np

from veracity.provenance import labels
from veracity.provenance.signals import Finding, SignalResult, not_applicable

if TYPE_CHECKING:
    from PIL import Image

_SCALE = 36.0  # the package's default scale for U (``scales=[0, 36, 36]``)
_BLOCK = 4
_MIN_PIXELS = 256 * 256  # the package refuses smaller images
_HAAR = 0.7071067811865476  # pywt's Haar filter tap, so the arithmetic (and the ties) match exactly
_STRIP_PIXELS = 1 << 17  # pixels per strip: ~1.5 MB of float32 pixels, a cache-sized working set
# OpenBLAS splits larger products over threads, which on a busy machine made a strip 5x slower.
_MATMUL_PIXELS = 1 << 14
#: Up to this size a PIL image is copied to numpy once (Pillow's export holds two frames for a moment, at most
#: 48 MiB here): ~30% faster than cropping and copying each strip. Larger frames are read strip by strip, so
#: memory stays bounded whatever the size.
_WHOLE_FRAME_PIXELS = 1 << 23
_BGR_TO_Q = np.array([-14516, 9617, 4899], dtype=np.float32)  # weights of B, G, R in Y - B (see _u_strip)
_RGB_TO_Q = np.ascontiguousarray(_BGR_TO_Q[::-1])

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
    return _u_strip(bgr, _BGR_TO_Q).astype(np.int32)


def u_channel_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """`u_channel` of the BGR image whose channels are `rgb` reversed, without reordering a copy first."""
    return _u_strip(rgb, _RGB_TO_Q).astype(np.int32)


def _u_strip(pixels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """OpenCV's U channel of (rows, cols, 3) uint8 pixels as float32 integers, by one BLAS matrix-vector product.

    OpenCV computes ``Y = (1868 B + 9617 G + 4899 R + 2^13) >> 14`` and ``U = ((B - Y) 8061 + (128 << 14) + 2^13)
    >> 14``. Rewritten, ``B - Y = -((9617 G + 4899 R - 14516 B + 2^13) >> 14)``: one dot product per pixel. Every
    intermediate is an integer below 2^24 in magnitude, so float32 holds it exactly whatever order BLAS sums in,
    and a shift is an exact multiply by 2^-14 and a floor. U stays within [3, 253], so OpenCV's clip never acts.
    """
    rows, cols = pixels.shape[:2]
    flat = pixels.astype(np.float32).reshape(-1, 3)
    q = np.empty(len(flat), dtype=np.float32)
    for start in range(0, len(flat), _MATMUL_PIXELS):
        stop = start + _MATMUL_PIXELS
        np.matmul(flat[start:stop], weights, out=q[start:stop])
    q += 1 << 13
    q *= 1.0 / (1 << 14)
    np.floor(q, out=q)  # q = Y - B
    q *= -8061
    q += (128 << 14) + (1 << 13)
    q *= 1.0 / (1 << 14)
    np.floor(q, out=q)
    return q.reshape(rows, cols)


def haar_approximation(channel: np.ndarray) -> np.ndarray:
    """pywt's ``dwt2(x, 'haar')`` approximation band over the last two axes, with pywt's float64 operations."""
    x = channel.astype(np.float64, copy=False)
    cols = x[..., 0::2, :] * _HAAR + x[..., 1::2, :] * _HAAR
    return cols[..., 0::2] * _HAAR + cols[..., 1::2] * _HAAR


def _strip_votes(u: np.ndarray) -> np.ndarray:
    """The package's 0/1 vote for every 4x4 DWT block of a U strip of 8 * k rows and 8 * n columns, shape (k, n).

    The package reads the largest-magnitude band value of each block except the first and votes
    ``value mod 36 > 18``. A band value is ``S / 2`` up to ~1e-13 of float rounding, where ``S`` is the integer
    sum of its 2x2 U pixels, so the largest one sits at the largest ``S`` and its vote is ``S mod 72 > 36``
    unless ``S mod 72`` is 0 or 36: there the rounding decides, so those blocks (a few percent) get pywt's
    exact float64 arithmetic instead. Band values are never negative, so the magnitude is the value.
    """
    block_rows, blocks_per_row = u.shape[0] // 8, u.shape[1] // 8
    sums = u[0::2] + u[1::2]
    sums = sums[:, 0::2] + sums[:, 1::2]
    largest = _largest_but_first(sums)
    remainder = np.mod(largest, 2 * _SCALE)
    votes = remainder > _SCALE
    tie_rows, tie_cols = np.nonzero((remainder == 0) | (remainder == _SCALE))
    if tie_rows.size:
        band = haar_approximation(u.reshape(block_rows, 8, blocks_per_row, 8)[tie_rows, :, tie_cols, :])
        exact = band.reshape(-1, _BLOCK * _BLOCK)[:, 1:].max(axis=1)
        votes[tie_rows, tie_cols] = np.mod(exact, _SCALE) > 0.5 * _SCALE
    return votes


def _largest_but_first(band: np.ndarray) -> np.ndarray:
    """Per 4x4 block of `band`, the largest value except the block's first (top-left) one.

    Chained elementwise maxima of strided views: ~15x faster than ``reshape(...).max(axis=(1, 3))``, whose
    reduction over two short strided axes numpy does element by element.
    """
    by_row = np.maximum(band[:, 1::4], band[:, 2::4])  # each row of each block, columns 1-3
    np.maximum(by_row, band[:, 3::4], out=by_row)
    for row in (1, 2, 3):  # column 0 counts in every row but the first
        np.maximum(by_row[row::4], band[row::4, 0::4], out=by_row[row::4])
    largest = np.maximum(by_row[0::4], by_row[1::4])
    np.maximum(largest, by_row[2::4], out=largest)
    np.maximum(largest, by_row[3::4], out=largest)
    return largest


def _array_strips(pixels: np.ndarray, strip_rows: int) -> Iterator[np.ndarray]:
    rows, cols = pixels.shape[0] // 8 * 8, pixels.shape[1] // 8 * 8
    for top in range(0, rows, strip_rows):
        yield pixels[top : min(rows, top + strip_rows), :cols]


def _image_strips(image: Image.Image, strip_rows: int) -> Iterator[np.ndarray]:
    # Crop one strip at a time: np.asarray(image) would copy the whole frame (150 MB at 50 MP).
    rows, cols = image.height // 8 * 8, image.width // 8 * 8
    for top in range(0, rows, strip_rows):
        yield np.asarray(image.crop((0, top, cols, min(rows, top + strip_rows))))


def _default_strip_rows(width: int) -> int:
    return 8 * max(1, _STRIP_PIXELS // max(width, 1) // 8)


def _check_strip_rows(strip_rows: int) -> int:
    if strip_rows <= 0 or strip_rows % 8:
        raise ValueError(f"strip_rows must be a positive multiple of 8 (one row of 4x4 DWT blocks). Got {strip_rows}.")
    return strip_rows


def _iter_votes(strips: Iterable[np.ndarray], weights: np.ndarray) -> Iterator[np.ndarray]:
    for strip in strips:
        yield _strip_votes(_u_strip(strip, weights)).ravel()


def block_bits(bgr: np.ndarray, *, rgb: bool = False, strip_rows: int | None = None) -> np.ndarray:
    """The 0/1 vote of every 4x4 block of the U-channel DWT band, in the package's raster order.

    Args:
        bgr: (H, W, 3) uint8 pixels in OpenCV's BGR order (or RGB order with ``rgb=True``).
        rgb: the channels are in RGB order.
        strip_rows: image rows converted at a time, a multiple of 8; ``None`` sizes strips to stay in cache.

    Returns:
        float64 array of 0.0/1.0, one per block, row of blocks after row of blocks.
    """
    rows = _check_strip_rows(strip_rows or _default_strip_rows(bgr.shape[1]))
    votes = list(_iter_votes(_array_strips(bgr, rows), _RGB_TO_Q if rgb else _BGR_TO_Q))
    return np.concatenate(votes).astype(np.float64) if votes else np.zeros(0)


def bit_scores(votes: np.ndarray, length: int) -> np.ndarray:
    """Per-bit scores: the mean vote of the blocks carrying each bit (block ``n`` carries bit ``n % length``)."""
    tally = _VoteTally((length,))
    tally.add(votes.astype(bool))
    return tally.scores(length)


class _VoteTally:
    """Per-bit counts of 1 votes for several payload lengths, fed strip by strip (block ``n`` is bit ``n % L``)."""

    def __init__(self, lengths: Iterable[int]) -> None:
        self.blocks = 0
        self.ones = {length: np.zeros(length, dtype=np.int64) for length in lengths}

    def add(self, votes: np.ndarray) -> None:
        positions = np.flatnonzero(votes) + self.blocks
        for length, ones in self.ones.items():
            ones += np.bincount(positions % length, minlength=length)
        self.blocks += votes.size

    def scores(self, length: int) -> np.ndarray:
        """Mean vote per bit; integer counts, so this equals the package's mean over its list of 0/1 votes."""
        counts = self.blocks // length + (np.arange(length) < self.blocks % length)
        return self.ones[length] / np.maximum(counts, 1)


def decode_watermarks(bgr: np.ndarray, *, rgb: bool = False, strip_rows: int | None = None) -> tuple[PayloadMatch, ...]:
    """Match every known payload against an 8-bit BGR image of shape (H, W, 3) (RGB with ``rgb=True``).

    The image is converted in strips of ``strip_rows`` rows, so the extra memory is a few strips, not a frame.

    Raises:
        ValueError: the image is smaller than 256x256 pixels (the package's own limit) or not (H, W, 3) uint8,
            or ``strip_rows`` is not a positive multiple of 8.
    """
    if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
        raise ValueError(f"decode_watermarks needs an (H, W, 3) uint8 BGR array. Got {bgr.shape} {bgr.dtype}.")
    _check_size(bgr.shape[1], bgr.shape[0])
    rows = _check_strip_rows(strip_rows or _default_strip_rows(bgr.shape[1]))
    return _match_payloads(_iter_votes(_array_strips(bgr, rows), _RGB_TO_Q if rgb else _BGR_TO_Q))


def decode_image_watermarks(image: Image.Image, *, strip_rows: int | None = None) -> tuple[PayloadMatch, ...]:
    """`decode_watermarks` for an RGB PIL image, read strip by strip without copying the whole frame to numpy.

    Raises:
        ValueError: the image is not 8-bit RGB, is smaller than 256x256 pixels, or ``strip_rows`` is not a
            positive multiple of 8.
    """
    if image.mode != "RGB":
        raise ValueError(f"decode_image_watermarks needs an RGB image. Got mode {image.mode!r}; convert('RGB') it.")
    _check_size(image.width, image.height)
    rows = _check_strip_rows(strip_rows or _default_strip_rows(image.width))
    if image.width * image.height <= _WHOLE_FRAME_PIXELS:  # one bounded copy beats a crop and copy per strip
        return _match_payloads(_iter_votes(_array_strips(np.asarray(image), rows), _RGB_TO_Q))
    return _match_payloads(_iter_votes(_image_strips(image, rows), _RGB_TO_Q))


def _check_size(width: int, height: int) -> None:
    if width * height < _MIN_PIXELS:
        raise ValueError(f"The image is {width}x{height}; watermark decoding needs 256x256 or more.")


def _match_payloads(strip_votes: Iterable[np.ndarray]) -> tuple[PayloadMatch, ...]:
    tally = _VoteTally(len(payload.bits) for payload in PAYLOADS)
    for votes in strip_votes:
        tally.add(votes)
    matches = []
    for payload in PAYLOADS:
        scores = tally.scores(len(payload.bits))
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
    pixels = asset.image.pixels
    if pixels.width * pixels.height < _MIN_PIXELS:
        return not_applicable(labels.WATERMARK, "The image is smaller than 256x256; the watermark cannot be read.")
    matches = decode_image_watermarks(pixels)
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
