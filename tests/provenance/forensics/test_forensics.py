"""Forensic views: computed at native resolution, shrunk only for display; IJG quality from the tables."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.images import textured
from veracity.provenance import forensics
from veracity.provenance.forensics.quantisation import ijg_table


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer)


@pytest.mark.parametrize("quality", [10, 30, 50, 75, 90, 100])
def test_ijg_quality_is_read_back_exactly(quality: int) -> None:
    tables = forensics.read_quantisation(_jpeg(textured(64, 64), quality))
    assert tables and all((t.quality, t.exact) == (quality, True) for t in tables)
    assert tables[0].rows[0] == list(ijg_table(quality)[:8])


def test_a_custom_table_gets_the_nearest_quality_not_an_exact_claim() -> None:
    custom = ijg_table(80) + np.arange(64) % 2
    quality, exact = forensics.estimate_ijg_quality(custom)
    assert quality in (79, 80, 81) and not exact
    assert forensics.read_quantisation(textured(32, 32)) is None  # not a JPEG
    with pytest.raises(ValueError, match="64 values"):
        forensics.estimate_ijg_quality([1, 2, 3])


def test_views_keep_the_size_and_display_copies_shrink() -> None:
    image = textured(640, 400)
    for view in (forensics.error_level_analysis(image), forensics.noise_residual(image)):
        assert view.size == image.size
    spectrum = forensics.fourier_spectrum(image, tile=128, max_tiles=8)
    assert spectrum.size == (128, 128) and spectrum.mode == "L"
    shown = forensics.for_display(image, 160)
    assert shown.size == (160, 100) and forensics.for_display(image, 1000) is image


def test_error_level_analysis_shows_a_region_pasted_from_another_image() -> None:
    base = _jpeg(textured(256, 256, seed=1), 60).convert("RGB")
    pasted = base.copy()
    pasted.paste(textured(64, 64, seed=2), (96, 96))  # never JPEG-compressed: recompresses differently
    ela = np.asarray(forensics.error_level_analysis(pasted, quality=60, gain=1.0), dtype=float).mean(axis=2)
    inside, outside = ela[100:156, 100:156].mean(), ela[:64, :64].mean()
    assert inside > 2 * outside


def test_spectrum_shows_periodic_upsampling_traces() -> None:
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (128, 128), dtype=np.uint8)
    upsampled = Image.fromarray(np.kron(small, np.ones((2, 2), dtype=np.uint8)))  # nearest-neighbour 2x
    spectrum = np.asarray(forensics.fourier_spectrum(upsampled, tile=256), dtype=float)
    noise = np.asarray(forensics.fourier_spectrum(Image.fromarray(rng.integers(0, 255, (256, 256), np.uint8))))
    # 2x2 replication zeroes the spectrum along the Nyquist lines; plain noise stays flat there
    assert spectrum[0, 8:-8].mean() < noise[0, 8:-8].mean() / 2


def test_heatmap_tints_tiles_by_p_generated() -> None:
    image = Image.new("RGB", (400, 200), (128, 128, 128))
    tiles = [{"box": [0, 0, 200, 200], "p_generated": 1.0}, {"box": [200, 0, 400, 200], "p_generated": 0.0}]
    heat = np.asarray(forensics.tile_heatmap(image.resize((200, 100)), image.size, tiles), dtype=int)
    left, right = heat[50, 50], heat[50, 150]
    assert left[0] > left[2] and right[2] > right[0]


def test_bad_parameters_are_rejected() -> None:
    image = textured(32, 32)
    with pytest.raises(ValueError, match="quality"):
        forensics.error_level_analysis(image, quality=0)
    with pytest.raises(ValueError, match="radius"):
        forensics.noise_residual(image, radius=0)
    with pytest.raises(ValueError, match="max_side"):
        forensics.for_display(image, 0)
