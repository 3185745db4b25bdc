"""Perturbations: deterministic per seed, changing the file at severity 5, size/mode kept, chains parsed."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.images import jpeg_with_exif, textured
from veracity.benchmarks.errors import PerturbationError
from veracity.benchmarks.harness.perturbations import (
    apply_chain,
    canonical,
    list_perturbations,
    parse_chain,
    perturb_image,
    perturbations,
)
from veracity.detector.errors import RegistryLookupError

SIZE_CHANGING = {"crop", "social"}  # crop by design; social only shrinks a long side over 1080 px


@pytest.fixture
def photo_bytes(tmp_path) -> bytes:
    """A JPEG with EXIF (Make, Model, Software) and textured pixels, 120 x 80."""
    return jpeg_with_exif(
        tmp_path / "p.jpg", {0x010F: "Canon", 0x0110: "EOS", 0x0131: "GIMP"}, size=(120, 80)
    ).read_bytes()


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize("name", list_perturbations())
def test_deterministic_per_seed(name, photo_bytes):
    a = apply_chain(photo_bytes, f"{name}:5", np.random.default_rng(7))
    b = apply_chain(photo_bytes, f"{name}:5", np.random.default_rng(7))
    assert a == b


@pytest.mark.parametrize("name", list_perturbations())
def test_changes_the_file_at_strongest_severity(name, photo_bytes):
    out = apply_chain(photo_bytes, f"{name}:5", np.random.default_rng(0))
    assert out != photo_bytes
    if name != "strip-metadata":  # strip-metadata must change the file but not the pixels
        before, after = _pixels(photo_bytes), _pixels(out)
        assert before.shape != after.shape or not np.array_equal(before, after)


@pytest.mark.parametrize("name", list_perturbations())
@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_image_interface_keeps_size_and_mode(name, mode):
    image = textured(90, 70, mode=mode, seed=1)
    out = perturb_image(name, image, 5, np.random.default_rng(0))
    assert out.mode == image.mode
    if name not in SIZE_CHANGING:
        assert out.size == image.size
    else:
        assert out.width <= image.width and out.height <= image.height


def test_random_perturbations_differ_across_seeds(photo_bytes):
    assert apply_chain(photo_bytes, "noise:5", np.random.default_rng(1)) != apply_chain(
        photo_bytes, "noise:5", np.random.default_rng(2)
    )


def test_strip_metadata_removes_exif_and_keeps_pixels(photo_bytes):
    out = apply_chain(photo_bytes, "strip-metadata", np.random.default_rng(0))
    assert Image.open(io.BytesIO(photo_bytes)).getexif()
    assert not Image.open(io.BytesIO(out)).getexif()
    assert np.array_equal(_pixels(out), _pixels(photo_bytes))


def test_strip_metadata_png_text_chunks(tmp_path):
    from tests.images import png_with_text

    data = png_with_text(tmp_path / "a.png", {"parameters": "a cat, Steps: 20"}).read_bytes()
    out = apply_chain(data, "strip-metadata", np.random.default_rng(0))
    assert "parameters" not in Image.open(io.BytesIO(out)).info
    assert np.array_equal(_pixels(out), _pixels(data))


def test_reencode_gives_every_input_the_same_codec(photo_bytes):
    png = io.BytesIO()
    textured(64, 64).save(png, "PNG")
    for data in (photo_bytes, png.getvalue()):
        out = apply_chain(data, "reencode", np.random.default_rng(0))
        assert Image.open(io.BytesIO(out)).format == "JPEG"


def test_social_limits_long_side_and_drops_metadata():
    big = io.BytesIO()
    textured(1600, 900).save(big, "PNG")
    out = Image.open(io.BytesIO(apply_chain(big.getvalue(), "social", np.random.default_rng(0))))
    assert out.format == "JPEG" and max(out.size) == 1080 and not out.getexif()


def test_chains_compose_in_order(photo_bytes):
    out = apply_chain(photo_bytes, "resize:2+jpeg:4", np.random.default_rng(0))
    assert Image.open(io.BytesIO(out)).format == "JPEG"
    out = apply_chain(photo_bytes, "jpeg:4+blur:1", np.random.default_rng(0))
    assert Image.open(io.BytesIO(out)).format == "PNG"  # pixel results are stored losslessly
    assert apply_chain(photo_bytes, "none", np.random.default_rng(0)) == photo_bytes


def test_chain_spelling():
    assert canonical("jpeg") == "jpeg:3" and canonical(" resize:2 + jpeg:5 ") == "resize:2+jpeg:5"
    assert canonical("social:4") == "social" and canonical("strip-metadata+jpeg") == "strip-metadata+jpeg:3"
    assert parse_chain("none") == ()
    with pytest.raises(PerturbationError, match=r"severity of perturbation 'jpeg' must be an int in \[1, 5\]. Got '7'"):
        parse_chain("jpeg:7")
    with pytest.raises(PerturbationError, match="Got 'x'"):
        parse_chain("blur:x")
    with pytest.raises(RegistryLookupError, match="Did you mean: jpeg"):
        parse_chain("jpg:3")


def test_every_perturbation_documents_its_levels():
    for name in list_perturbations():
        table = perturbations.get(name).table
        assert table == {} or sorted(table) == [1, 2, 3, 4, 5]
