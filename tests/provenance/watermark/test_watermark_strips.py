"""The strip-wise watermark decoder: same votes as a whole-frame float64 decode, and memory bounded by a strip."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from veracity.provenance.watermark import decoder as watermark
from veracity.provenance.watermark.decoder import (
    PAYLOADS,
    _strip_votes,
    block_bits,
    decode_image_watermarks,
    decode_watermarks,
    haar_approximation,
    read_watermark_signal,
)

# At 24 MP the strip-wise decode traces ~1.5 MiB. Before it, the signal's whole-frame numpy copy traced 137 MiB
# and the array decode's per-block float64 votes and index arrays 8.6 MiB.
PEAK_BOUND_24MP = 6 * 2**20


def _noisy_image(height: int, width: int, seed: int) -> np.ndarray:
    """Smooth colour ramps plus noise: every block different, no clipping."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack(
        [90 + 60 * np.sin(xx / 41.0), 130 + 40 * np.cos(yy / 29.0), 120 + 50 * np.sin((xx - yy) / 57.0)], -1
    )
    return np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)


def _whole_frame_votes(u: np.ndarray) -> np.ndarray:
    """The package's votes from the float64 Haar band of a whole U frame, block by block as it does them."""
    block_rows, blocks_per_row = u.shape[0] // 8, u.shape[1] // 8
    band = haar_approximation(u[: block_rows * 8, : blocks_per_row * 8])
    blocks = band.reshape(block_rows, 4, blocks_per_row, 4).swapaxes(1, 2).reshape(-1, 16)[:, 1:]
    return np.mod(np.abs(blocks).max(axis=1), 36.0) > 18.0


def _scores(matches) -> dict[str, tuple[float, ...]]:
    return {m.payload: m.scores for m in matches}


def test_strips_equal_one_whole_frame_strip_when_height_is_not_a_multiple() -> None:
    image = _noisy_image(1003, 517, seed=7)  # 1000 usable rows: 15 strips of 64 and one of 40
    whole = decode_watermarks(image, strip_rows=1008)
    for strip_rows in (8, 64, 136):
        assert _scores(decode_watermarks(image, strip_rows=strip_rows)) == _scores(whole)
    assert np.array_equal(block_bits(image, strip_rows=64), block_bits(image, strip_rows=1008))


def test_strip_votes_equal_the_whole_frame_float64_decode() -> None:
    cv2 = pytest.importorskip("cv2", reason="OpenCV (with invisible-watermark) is the colour reference")
    image = _noisy_image(1003, 517, seed=8)
    u = cv2.cvtColor(image, cv2.COLOR_BGR2YUV)[..., 1]
    assert np.array_equal(block_bits(image, strip_rows=64).astype(bool), _whole_frame_votes(u))


@pytest.mark.parametrize("whole_frame_pixels", [0, 1 << 23], ids=["pil-strips", "one-frame-copy"])
def test_pil_image_strips_equal_the_array_decode(monkeypatch, whole_frame_pixels: int) -> None:
    monkeypatch.setattr(watermark, "_WHOLE_FRAME_PIXELS", whole_frame_pixels)
    image = _noisy_image(777, 901, seed=9)
    rgb = np.ascontiguousarray(image[..., ::-1])
    expected = _scores(decode_watermarks(image))
    assert _scores(decode_watermarks(rgb, rgb=True, strip_rows=48)) == expected
    assert _scores(decode_image_watermarks(Image.fromarray(rgb), strip_rows=48)) == expected


def test_a_frame_copied_once_costs_pillows_export_and_no_more() -> None:
    image = Image.fromarray(_noisy_image(1728, 2304, seed=14))  # 4 MP: under the whole-frame limit
    frame = 1728 * 2304 * 3
    peak = _traced_peak(lambda: decode_image_watermarks(image))
    # Pillow's export joins its encoded chunks into one bytes object: two frames for a moment, then one.
    assert frame <= peak < 2 * frame + PEAK_BOUND_24MP, f"traced {peak / 2**20:.1f} MiB, frame {frame / 2**20:.1f} MiB"


def test_ties_get_pywt_rounding() -> None:
    # U sums in a narrow band often land on multiples of 36 in the band, where the float rounding decides the vote.
    rng = np.random.default_rng(10)
    u = rng.integers(100, 140, (512, 2048)).astype(np.float32)
    sums = u[0::2] + u[1::2]
    sums = sums[:, 0::2] + sums[:, 1::2]
    largest = sums.reshape(64, 4, 256, 4).swapaxes(1, 2).reshape(-1, 16)[:, 1:].max(axis=1)
    ties = np.isin(np.mod(largest, 72), (0, 36))
    expected = _whole_frame_votes(u)
    assert ties.sum() > 100
    assert np.any(expected[ties] != (np.mod(largest[ties], 72) > 36))  # the integer shortcut alone would be wrong
    assert np.array_equal(_strip_votes(u).ravel(), expected)


@pytest.mark.parametrize("low, high", [(0, 256), (3, 40), (200, 254), (120, 136)])
def test_strip_votes_equal_float64_votes_over_u_ranges(low: int, high: int) -> None:
    u = np.random.default_rng(low).integers(low, high, (256, 2048)).astype(np.float32)
    assert np.array_equal(_strip_votes(u).ravel(), _whole_frame_votes(u))


def test_strip_rows_must_be_a_multiple_of_eight() -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        decode_watermarks(_noisy_image(300, 300, seed=1), strip_rows=12)


def test_pil_decode_needs_rgb() -> None:
    with pytest.raises(ValueError, match="convert"):
        decode_image_watermarks(Image.new("L", (300, 300)))


def _tiled_24mp(seed: int) -> np.ndarray:
    tile = _noisy_image(500, 600, seed)
    return np.tile(tile, (8, 10, 1))  # 4000 x 6000


def _traced_peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_decoding_24mp_array_peaks_at_a_strip_not_a_frame() -> None:
    image = _tiled_24mp(seed=11)
    peak = _traced_peak(lambda: decode_watermarks(image))
    assert peak < PEAK_BOUND_24MP, f"decode_watermarks traced {peak / 2**20:.1f} MiB on a 24 MP image"


def test_watermark_signal_on_24mp_image_peaks_at_a_strip_not_a_frame() -> None:
    from veracity.provenance.assets.asset import load_asset

    encoded = io.BytesIO()
    Image.fromarray(_tiled_24mp(seed=12)).save(encoded, "BMP")  # fast to write; channel order is irrelevant here
    asset = load_asset(encoded.getvalue(), name="24mp.bmp")
    del encoded
    assert asset.image.width * asset.image.height == 24_000_000  # decoded before tracing: that is not the signal's
    # tracemalloc sees numpy's buffers and the bytes each crop hands numpy, not Pillow's own image memory.
    peak = _traced_peak(lambda: read_watermark_signal(asset))
    assert peak < PEAK_BOUND_24MP, f"read_watermark_signal traced {peak / 2**20:.1f} MiB on a 24 MP image"


def test_payload_lengths_cover_every_block_once() -> None:
    image = _noisy_image(400, 600, seed=13)
    votes = block_bits(image)
    for payload, match in zip(PAYLOADS, decode_watermarks(image, strip_rows=8), strict=True):
        length = len(payload.bits)
        assert list(match.scores) == [votes[bit::length].mean() for bit in range(length)]
