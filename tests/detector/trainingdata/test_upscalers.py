"""Pretrained upscaler families for the aligned data, run on TF.js models written here."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from tests.images import textured
from tests.tfjs_models import nearest_upsampler
from veracity.detector.trainingdata import aligned as aligned_data
from veracity.detector.trainingdata.upscalers import FAMILIES_BY_NAME, load_upscaler, reupscale

pytestmark = pytest.mark.torch


def test_reupscale_keeps_the_region_size_and_its_content(tmp_path):
    family = FAMILIES_BY_NAME["sr-rrdn-thick-x4"]
    nearest_upsampler(family.model_json(tmp_path).parent, family.factor)
    region = textured(96, 64, seed=3)
    out = reupscale(load_upscaler(family, tmp_path), region, family.factor)
    assert out.size == region.size and out.mode == "RGB"
    small = region.resize((24, 16), Image.Resampling.BICUBIC)
    assert np.array_equal(np.asarray(out), np.asarray(small.resize(region.size, Image.Resampling.NEAREST)))


def test_a_missing_package_names_what_to_fetch(tmp_path):
    with pytest.raises(FileNotFoundError, match="@upscalerjs/esrgan-legacy"):
        load_upscaler(FAMILIES_BY_NAME["sr-rrdn-gans-x4"], tmp_path)


def test_build_adds_one_upscaled_twin_per_real_region(tmp_path, monkeypatch):
    path = tmp_path / "photos" / "photo.jpg"
    path.parent.mkdir()
    textured(200, 160, seed=4).save(path, quality=92)
    monkeypatch.setattr(aligned_data, "PHOTO_SOURCES", (("test-package", str(path), "CC0-1.0"),))
    family = FAMILIES_BY_NAME["sr-rdn-medium-x2"]
    nearest_upsampler(family.model_json(tmp_path / "ups").parent, family.factor)
    options = dict(native=64, per_photo=1, specs=(), upscalers=(family.name,), upscalers_root=tmp_path / "ups")
    manifest = aligned_data.build(tmp_path / "data", **options)
    rows = list(csv.DictReader(manifest.open()))
    fakes = [row for row in rows if row["label"] == "fake"]
    assert len(rows) == 4 and [row["generator_or_source"] for row in fakes] == [family.name] * 2
    for row in fakes:
        assert "@upscalerjs/esrgan-medium" in row["license"]
        with Image.open(manifest.parent / row["file"]) as fake:
            twin = Image.open(manifest.parent / "real" / row["file"].rsplit("/", 1)[1])
            assert fake.size == twin.size and fake.format == "PNG"


def test_the_build_command_refuses_an_unknown_family(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr("sys.argv", ["aligned_data", "--out", str(tmp_path), "--upscalers", "sr-nonexistent"])
    with pytest.raises(SystemExit) as exit_info:
        aligned_data.main()
    assert exit_info.value.code == 2 and "unknown upscaler families ['sr-nonexistent']" in capsys.readouterr().err
