"""The crop bank, the codec chain and balanced sampling: what training draws from, on images made here."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from veracity.detector.datasets.layouts import Sample
from veracity.detector.training.augment import AugmentCfg, process_window, random_codec
from veracity.detector.training.cropbank import BankCfg, build_crop_bank, window_boxes
from veracity.detector.training.sampling import REAL_FAMILY, balanced_weights, sampling_table


def _image(path, width, height, seed, fmt="PNG"):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path, format=fmt)
    return path


def _samples(tmp_path):
    specs = [  # (name, size, label, generator, source)
        ("big.png", (700, 520), 0, None, "repo/a"),
        ("small.png", (100, 90), 0, None, "repo/b"),
        ("fake1.png", (512, 512), 1, "gen-x", "repo/c"),
        ("fake2.png", (300, 260), 1, "gen-y", "repo/d"),
    ]
    out = []
    for i, (name, (w, h), label, generator, source) in enumerate(specs):
        path = _image(tmp_path / name, w, h, seed=i)
        out.append(Sample(str(path), name, label, generator=generator, source=source, group=source))
    return out


def test_bank_cuts_even_native_windows_once_and_is_reused(tmp_path):
    samples = _samples(tmp_path)
    logs = []
    bank = build_crop_bank(samples, tmp_path / "cache", BankCfg(window=128, windows_per_image=4), log=logs.append)
    assert len(logs) == 1 and "windows" in logs[0]
    assert [s.relpath for s in bank.samples] == sorted(s.relpath for s in samples)
    # the big image gives the maximum, the small one a single window of its own even size
    counts = np.bincount(bank.owner)
    by_name = {s.relpath: int(counts[i]) for i, s in enumerate(bank.samples)}
    assert by_name["big.png"] == 4 and by_name["small.png"] == 1
    small = int(np.flatnonzero(bank.owner == [s.relpath for s in bank.samples].index("small.png"))[0])
    assert tuple(bank.sizes[small]) == (90, 100) and bank.window(small).shape == (90, 100, 3)
    # windows are the image's own pixels at even coordinates (native resolution, never resized)
    big = np.asarray(Image.open(tmp_path / "big.png"))
    for index in bank.windows_of([s.relpath for s in bank.samples].index("big.png")):
        window = bank.window(int(index))
        hits = [(y, x) for y in range(0, 520 - 127, 2) for x in range(0, 700 - 127, 2)
                if np.array_equal(big[y : y + 128, x : x + 128], window)]  # fmt: skip
        assert hits, "a window is not an even-aligned native crop of its image"
    again = build_crop_bank(samples, tmp_path / "cache", BankCfg(window=128, windows_per_image=4), log=logs.append)
    assert len(logs) == 1 and again.folder == bank.folder  # read from the cache, not rebuilt
    assert not list((tmp_path / "cache").glob("*.tmp*"))


def test_bank_subset_shares_pixels_and_reindexes(tmp_path):
    samples = _samples(tmp_path)
    bank = build_crop_bank(samples, tmp_path / "cache", BankCfg(window=128, windows_per_image=3), log=lambda _: None)
    part = bank.subset([s for s in samples if s.label == 1])
    assert {s.relpath for s in part.samples} == {"fake1.png", "fake2.png"}
    assert part.pixels is bank.pixels and set(part.owner.tolist()) == {0, 1}
    assert (part.labels == 1).all()
    original = bank.windows_of([s.relpath for s in bank.samples].index("fake1.png"))
    np.testing.assert_array_equal(part.window(0), bank.window(int(original[0])))


def test_window_boxes_skip_images_too_small_to_score():
    rng = np.random.default_rng(0)
    assert window_boxes(20, 400, BankCfg(window=64), rng) == []
    boxes = window_boxes(1000, 800, BankCfg(window=64, windows_per_image=5), rng)
    assert len(boxes) == 5 and len(set(boxes)) == 5
    assert all(x0 % 2 == 0 and y0 % 2 == 0 and x1 - x0 == 64 and y1 - y0 == 64 for x0, y0, x1, y1 in boxes)


def test_process_window_gives_crops_of_the_model_size_in_range():
    rng = np.random.default_rng(0)
    window = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    cfg = AugmentCfg(crop=96, p_resize=0.5)
    crops = [process_window(window, cfg, rng) for _ in range(40)]
    assert all(c.shape == (3, 96, 96) and c.dtype == np.float32 for c in crops)
    assert all(0.0 <= c.min() and c.max() <= 1.0 for c in crops)


def test_codec_chain_draws_every_codec_and_keeps_lossless_pixels():
    image = Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    only_lossless = AugmentCfg(p_jpeg=0, p_double_jpeg=0, p_webp=0)
    assert np.array_equal(np.asarray(random_codec(image, only_lossless, np.random.default_rng(0))), np.asarray(image))
    changed = [random_codec(image, AugmentCfg(), np.random.default_rng(seed)) for seed in range(30)]
    assert sum(not np.array_equal(np.asarray(c), np.asarray(image)) for c in changed) >= 15
    with pytest.raises(ValueError, match="sum to"):
        AugmentCfg(p_jpeg=0.6, p_double_jpeg=0.3, p_webp=0.3)


def test_balanced_weights_split_classes_and_temper_families():
    samples = [Sample(f"r{i}", f"r{i}", 0, source="cam-a" if i < 90 else "cam-b") for i in range(100)]
    samples += [Sample(f"f{i}", f"f{i}", 1, generator="big", source="s1") for i in range(99)]
    samples += [Sample("g0", "g0", 1, generator="tiny", source="s2")]
    owner = np.repeat(np.arange(len(samples)), 2)  # two windows per image
    weights = balanced_weights(samples, owner, alpha=0.5)
    labels = np.array([samples[i].label for i in owner])
    assert weights.sum() == pytest.approx(1.0)
    assert weights[labels == 0].sum() == pytest.approx(0.5) and weights[labels == 1].sum() == pytest.approx(0.5)
    table = {(r["label"], r["family"]): r["share"] for r in sampling_table(samples, owner, weights)}
    # 99 vs 1 image: alpha 0.5 gives the one-image family sqrt(1)/(sqrt(99)+1) of the generated half
    assert table[(1, "tiny")] == pytest.approx(0.5 / (99**0.5 + 1), abs=1e-3)
    assert table[(0, REAL_FAMILY)] == pytest.approx(0.5)
    uniform = balanced_weights(samples, owner, alpha=1.0)
    assert uniform[labels == 1][-1] == pytest.approx(uniform[labels == 1][0])  # alpha 1: uniform over images
    with pytest.raises(ValueError, match="both classes"):
        balanced_weights(samples[:100], owner[:200])


def test_codec_chain_webp_really_encodes_webp():
    image = Image.fromarray(np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=60)
    webp_only = AugmentCfg(p_jpeg=0, p_double_jpeg=0, p_webp=1.0, webp_range=(60, 60))
    got = random_codec(image, webp_only, np.random.default_rng(0))
    assert np.array_equal(np.asarray(got), np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")))
