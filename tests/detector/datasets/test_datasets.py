"""Layout detection for each layout, manifests, the unknown-layout error, and source-grouped folds."""

from __future__ import annotations

import json

import pytest

from tests.images import make_real_fake, textured
from veracity.detector.datasets.layouts import load_dataset
from veracity.detector.datasets.splits import assign_folds, assign_groups
from veracity.detector.errors import DatasetError, DatasetNotFoundError, UnknownLayoutError


def _img(path, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    textured(16, 16, seed=seed).save(path)
    return path


def test_forensynths_layout(tmp_path):
    for gen in ("progan", "stylegan"):
        for cls in ("0_real", "1_fake"):
            _img(tmp_path / gen / "car" / cls / "00001.png")
            _img(tmp_path / gen / "cat" / cls / "00001.png")
    ds = load_dataset(tmp_path)
    assert ds.layout == "forensynths" and ds.counts() == {"n": 8, "n_real": 4, "n_generated": 4}
    assert {s.generator for s in ds.samples} == {"progan", "stylegan"}
    assert all((s.label == 1) == ("1_fake" in s.relpath) for s in ds.samples)


def test_genimage_layout(tmp_path):
    for split in ("train", "val"):
        _img(tmp_path / "imagenet_midjourney" / split / "nature" / "n01.JPEG")
        _img(tmp_path / "imagenet_midjourney" / split / "ai" / "mj01.png")
    ds = load_dataset(tmp_path)
    assert ds.layout == "genimage" and ds.counts()["n_generated"] == 2
    assert {(s.split, s.generator) for s in ds.samples} == {
        ("train", "imagenet_midjourney"),
        ("val", "imagenet_midjourney"),
    }


def test_real_fake_layout(tmp_path):
    ds = load_dataset(make_real_fake(tmp_path / "d", n_real=3, n_per_generator=2))
    assert ds.layout == "real-fake" and ds.counts() == {"n": 7, "n_real": 3, "n_generated": 4}
    assert {s.generator for s in ds.samples if s.label} == {"gen-a", "gen-b"}


def test_csv_and_jsonl_manifests(tmp_path):
    _img(tmp_path / "a.png")
    _img(tmp_path / "b.png", 1)
    (tmp_path / "list.csv").write_text(
        "path,label,generator,source,split\na.png,real,,flickr,train\nb.png,fake,sdxl,hf,val\n"
    )
    ds = load_dataset(tmp_path / "list.csv")
    assert ds.layout == "manifest"
    assert [(s.label, s.generator, s.source, s.split) for s in ds.samples] == [
        (0, None, "flickr", "train"),
        (1, "sdxl", "hf", "val"),
    ]
    (tmp_path / "list.jsonl").write_text(json.dumps({"path": "b.png", "label": 1}) + "\n")
    assert load_dataset(tmp_path / "list.jsonl").samples[0].label == 1


def test_wild_dev_manifest_columns(shared):
    ds = load_dataset(shared / "data" / "wild-dev")
    assert ds.layout == "manifest" and ds.counts() == {"n": 277, "n_real": 156, "n_generated": 121}
    fake = next(s for s in ds.samples if s.label == 1)
    assert fake.generator and fake.source and fake.meta["original_path"]
    assert all(s.generator is None for s in ds.samples if s.label == 0)


def test_unknown_layout_lists_known_layouts(tmp_path):
    _img(tmp_path / "x" / "a.png")
    with pytest.raises(
        UnknownLayoutError, match="matches no known dataset layout. Known layouts: manifest: .*forensynths"
    ):
        load_dataset(tmp_path)


def test_bad_manifest_rows_and_missing_paths(tmp_path):
    _img(tmp_path / "a.png")
    (tmp_path / "m.csv").write_text("path,label\na.png,maybe\n")
    with pytest.raises(DatasetError, match="m.csv line 2: label 'maybe' is not one of"):
        load_dataset(tmp_path / "m.csv")
    (tmp_path / "m.csv").write_text("path,label\nmissing.png,real\n")
    with pytest.raises(DatasetError, match="file 'missing.png' does not exist"):
        load_dataset(tmp_path / "m.csv")
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        load_dataset(tmp_path / "nope")
    (tmp_path / "real").mkdir()
    (tmp_path / "fake").mkdir()
    with pytest.raises(DatasetError, match="holds no images"):
        load_dataset(tmp_path, layout="real-fake")


def test_groups_keep_sources_and_grid_tiles_together(tmp_path):
    for i in range(3):
        _img(tmp_path / f"t{i}.png", i)
    _img(tmp_path / "x_tile1.png")
    _img(tmp_path / "x_tile2.png")
    rows = [
        "t0.png,fake,sd,repoA,grid.png",
        "t1.png,fake,sd,repoA,grid.png",
        "t2.png,real,,repoB,other.jpg",
        "x_tile1.png,fake,sd,,",
        "x_tile2.png,fake,sd,,",
    ]
    (tmp_path / "m.csv").write_text("path,label,generator,source,original_path\n" + "\n".join(rows) + "\n")
    samples = {s.relpath: s for s in assign_groups(load_dataset(tmp_path / "m.csv").samples)}
    assert samples["t0.png"].group == samples["t1.png"].group != samples["t2.png"].group
    assert samples["x_tile1.png"].group == samples["x_tile2.png"].group


def test_folds_never_split_a_source(shared):
    samples = assign_folds(load_dataset(shared / "data" / "wild-dev").samples, k=5, seed=0)
    folds_of_source = {}
    for s in samples:
        folds_of_source.setdefault(s.source, set()).add(s.fold)
    assert all(len(f) == 1 for f in folds_of_source.values())
    assert {s.fold for s in samples} == set(range(5))
    assert assign_folds(samples, k=5, seed=0) == samples  # deterministic


def test_too_many_folds(real_fake_dataset):
    samples = load_dataset(real_fake_dataset).samples
    with pytest.raises(DatasetError, match="Cannot make 99 source-grouped folds"):
        assign_folds(samples, k=99, seed=0)
