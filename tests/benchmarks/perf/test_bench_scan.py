"""The scan benchmark's corpus and arithmetic (its figures are printed by the script, never asserted here)."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image

from veracity.benchmarks.perf.bench_scan import files_for_ratio, make_corpus


def test_corpus_files_are_distinct_decodable_camera_like_jpegs(tmp_path):
    paths = make_corpus(tmp_path, 10, (256, 192))
    assert len({hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}) == 10
    with Image.open(paths[9]) as image:
        image.load()
        assert (image.format, image.size) == ("JPEG", (256, 192))
        assert image.getexif()[0x010F] == "BenchCam"
        assert image.info["comment"] == b"veracity bench file 9"


def test_files_for_ratio_amortises_the_fixed_costs():
    # 20 files/s for both, fixed 1 s locally and 13 s on Ray: n/20 + 1 >= 0.8 (n/20 + 13) from n = 940.
    assert files_for_ratio(0.8, 20.0, 1.0, 20.0, 13.0) == "940 files"
    n = 940
    assert (n / 20 + 1) / (n / 20 + 13) == pytest.approx(0.8)
    assert files_for_ratio(0.8, 20.0, 5.0, 20.0, 1.0) == "0 files"  # Ray's fixed cost is not the larger one
    assert files_for_ratio(0.8, 20.0, 1.0, 15.0, 13.0).startswith("never")
