"""The numpy watermark decoder against the invisible-watermark package, and on real photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.paths import C2PA_FIXTURES, WILD_DEV
from veracity.provenance.watermark.decoder import PAYLOADS, decode_watermarks, read_watermark_signal

WILD_DEV_REAL = WILD_DEV / "real"


def _smooth_image(seed: int, height: int = 512, width: int = 512) -> np.ndarray:
    """A mid-tone BGR test image (no clipping, so the package's watermark survives its own uint8 rounding)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack(
        [100 + 40 * np.sin(xx / 37.0), 120 + 30 * np.cos(yy / 23.0), 110 + 35 * np.sin((xx + yy) / 51.0)], -1
    )
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


def _package_scores(bgr: np.ndarray, length: int) -> np.ndarray:
    """The package's own per-bit scores (its decode() only returns the thresholded bits)."""
    import cv2
    import pywt
    from imwatermark.maxDct import EmbedMaxDct

    rows, cols = bgr.shape[0] // 4 * 4, bgr.shape[1] // 4 * 4
    u = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV)[:rows, :cols, 1]
    band, _ = pywt.dwt2(u, "haar")
    scores = EmbedMaxDct(watermarks=[], wmLen=length).decode_frame(band, 36, [[] for _ in range(length)])
    return np.array([np.mean(s) for s in scores])


@pytest.fixture(scope="module")
def encoder_cls():
    pytest.importorskip("imwatermark", reason="invisible-watermark (dev extra) is needed to embed test watermarks")
    from imwatermark import WatermarkEncoder

    return WatermarkEncoder


@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.name for p in PAYLOADS])
def test_each_payload_is_found_very_likely_and_only_it(encoder_cls, payload) -> None:
    encoder = encoder_cls()
    encoder.set_watermark("bits", list(payload.bits))
    marked = encoder.encode(_smooth_image(1), "dwtDct")
    levels = {m.payload: m.level for m in decode_watermarks(marked)}
    assert levels[payload.name] == "very likely"
    assert all(level == "not found" for name, level in levels.items() if name != payload.name)


@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.name for p in PAYLOADS])
def test_scores_equal_the_package_decoder(encoder_cls, payload) -> None:
    from imwatermark import WatermarkDecoder

    encoder = encoder_cls()
    encoder.set_watermark("bits", list(payload.bits))
    for image in (encoder.encode(_smooth_image(2, 400, 600), "dwtDct"), _smooth_image(3, 301, 517)):
        ours = next(m for m in decode_watermarks(image) if m.payload == payload.name)
        assert np.array_equal(np.array(ours.scores), _package_scores(image, len(payload.bits)))
        package_bits = WatermarkDecoder("bits", len(payload.bits)).decode(image, "dwtDct")
        assert [int(b) for b in package_bits] == [int(s * 255 > 127) for s in ours.scores]


def test_unmarked_image_has_no_watermark() -> None:
    assert all(m.level == "not found" for m in decode_watermarks(_smooth_image(4)))


def test_too_small_image_is_refused() -> None:
    with pytest.raises(ValueError, match="256x256"):
        decode_watermarks(np.zeros((100, 100, 3), dtype=np.uint8))


def test_thresholds_keep_sdxl_values_and_match_its_false_positive_rate() -> None:
    by_name = {p.name: p for p in PAYLOADS}
    assert (by_name["SDXL"].likely_at, by_name["SDXL"].very_likely_at) == (34, 36)
    assert (by_name["StableDiffusionV1"].likely_at, by_name["StableDiffusionV1"].very_likely_at) == (85, 89)
    assert (by_name["SDV2"].likely_at, by_name["SDV2"].very_likely_at) == (25, 26)


def test_signal_is_not_applicable_without_pixels() -> None:
    from veracity.provenance.assets.asset import load_asset

    pdf = C2PA_FIXTURES / "media" / "c2pa-rs_basic.pdf"
    if not pdf.exists():
        pytest.skip("shared fixtures not found")
    assert read_watermark_signal(load_asset(pdf)).status == "not_applicable"


def test_watermarked_png_is_generated_in_the_pipeline(encoder_cls, tmp_path: Path) -> None:
    from PIL import Image

    from veracity.provenance.pipeline import analyze

    encoder = encoder_cls()
    encoder.set_watermark("bits", list(PAYLOADS[0].bits))
    marked = encoder.encode(_smooth_image(5), "dwtDct")
    path = tmp_path / "sdxl.png"
    Image.fromarray(marked[..., ::-1]).save(path)
    report = analyze(path)
    assert (report.verdict.label, report.verdict.deciding_signal) == ("generated", "watermark")


@pytest.mark.slow
@pytest.mark.skipif(not WILD_DEV_REAL.is_dir(), reason="../shared/data/wild-dev not found")
def test_no_real_photo_in_wild_dev_yields_a_watermark() -> None:
    from veracity.provenance.assets.asset import load_asset

    checked, flagged = 0, []
    for path in sorted(WILD_DEV_REAL.iterdir()):
        asset = load_asset(path)
        if not asset.media_type.has_pixels:
            continue
        result = read_watermark_signal(asset)
        checked += result.status != "not_applicable"
        if result.status == "found":
            flagged.append((path.name, [f.value for f in result.findings]))
    assert checked >= 100
    assert flagged == []
