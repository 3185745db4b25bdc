"""The decoders that make aligned training fakes, and the aligned dataset build (on photos made here)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from PIL import Image

from tests.images import textured
from veracity.detector.trainingdata import aligned as aligned_data
from veracity.detector.trainingdata.autoencoders import DEFAULT_SPECS, EXTRA_SPECS, AutoencoderSpec, ConvAutoencoder

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("spec", DEFAULT_SPECS + EXTRA_SPECS, ids=lambda spec: spec.name)
def test_every_family_reconstructs_at_the_input_size_in_range(spec):
    torch.manual_seed(0)
    x = torch.rand(2, 3, 32, 48)
    with torch.no_grad():
        y = ConvAutoencoder(spec)(x)
    assert y.shape == x.shape and float(y.min()) >= 0.0 and float(y.max()) <= 1.0


def test_a_pooling_upsampler_learns_to_reconstruct():
    spec = AutoencoderSpec("up-shuffle-f2", factor=2, latent_channels=3, upsample="shuffle", encoder="pool")
    image = textured(128, 128, seed=1)
    target = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)[None]
    untrained = (ConvAutoencoder(spec)(target) - target).abs().mean().item()
    model = aligned_data.train_autoencoder(spec, [image], steps=60, seed=0, patch=32)
    trained = (model(target) - target).abs().mean().item()
    assert trained < 0.5 * untrained
    assert aligned_data.reconstruct(model, image).size == image.size


def test_bad_specs_are_refused():
    with pytest.raises(ValueError, match="power of two"):
        ConvAutoencoder(AutoencoderSpec("x", factor=3, latent_channels=3, upsample="nearest"))
    with pytest.raises(ValueError, match="latent_channels must be 3"):
        ConvAutoencoder(AutoencoderSpec("x", factor=2, latent_channels=4, upsample="nearest", encoder="pool"))


def test_build_pairs_every_real_region_with_one_reconstruction_per_family(tmp_path, monkeypatch):
    photos = []
    for index in range(2):
        path = tmp_path / "photos" / f"photo{index}.jpg"
        path.parent.mkdir(exist_ok=True)
        textured(200, 160, seed=index).save(path, quality=92)
        photos.append(("test-package", str(path), "CC0-1.0"))
    monkeypatch.setattr(aligned_data, "PHOTO_SOURCES", tuple(photos))
    specs = tuple(s for s in DEFAULT_SPECS + EXTRA_SPECS if s.encoder == "pool")[:2]
    manifest = aligned_data.build(tmp_path / "data", native=64, per_photo=1, ae_steps=3, specs=specs, camera_sim=True)
    rows = list(csv.DictReader(manifest.open()))
    reals = [r for r in rows if r["label"] == "real" and not r["generator_or_source"].startswith("camera-sim:")]
    cameras = [r for r in rows if r["generator_or_source"].startswith("camera-sim:")]
    assert len(reals) == 4 and len(rows) == 4 * (2 + len(specs))  # a native and a half-size region per photo
    assert [r["group"] for r in cameras] == [r["group"] for r in reals] and {r["label"] for r in cameras} == {"real"}
    for row in rows:
        if row in cameras:
            continue  # a re-capture is half its region's size: it has no generated twin
        with Image.open(manifest.parent / row["file"]) as image:
            twin = Image.open(manifest.parent / "real" / row["file"].rsplit("/", 1)[1])
            assert image.size == twin.size and image.format == "PNG"  # content, size and format shared
    assert {r["group"] for r in rows} == {"test-package:photo0", "test-package:photo1"}
