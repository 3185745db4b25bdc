"""Family-grouped cross-validation: every family and real source held out once, scored by a model that never saw it."""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import numpy as np
import pytest
from PIL import Image

from veracity.benchmarks.perf.corpus_folds import corpus_shortcuts, slice_tables
from veracity.detector.datasets.layouts import Sample
from veracity.detector.datasets.splits import grouped_samples
from veracity.detector.training.augment import AugmentCfg
from veracity.detector.training.cropbank import BankCfg
from veracity.detector.training.folds import family_folds, run_folds
from veracity.detector.training.train import TrainCfg


def test_family_folds_hold_each_family_and_real_source_out_once():
    samples = [Sample(f"f{i}", f"f{i}", 1, generator=g, source="s") for i, g in enumerate("aaaabbbccd")]
    samples += [Sample(f"r{i}", f"r{i}", 0, source=src) for i, src in enumerate(["x"] * 5 + ["y"] * 3 + ["z"] * 2)]
    folds = family_folds(samples, 2)
    per_family, per_source = defaultdict(set), defaultdict(set)
    for sample, fold in zip(samples, folds, strict=True):
        (per_family[sample.generator] if sample.label else per_source[sample.source]).add(fold)
    assert all(len(v) == 1 for v in [*per_family.values(), *per_source.values()])
    assert {f for v in per_family.values() for f in v} == {0, 1}  # both folds hold a family
    with pytest.raises(ValueError, match="3 folds need at least 3 families"):
        family_folds([s for s in samples if s.generator != "d" and s.generator != "c"], 3)


def _corpus(root):
    """A manifest corpus: 2 real sources (noisy textures, JPEG), 2 families (nearest-upsampled, PNG)."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(12):
        base = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
        texture = np.asarray(Image.fromarray(base).resize((96, 96), Image.Resampling.BICUBIC), dtype=np.float32)
        real = Image.fromarray((texture + rng.normal(0, 6, texture.shape)).clip(0, 255).astype(np.uint8))
        if i % 2:
            fake = real.resize((48, 48), Image.Resampling.BOX).resize((96, 96), Image.Resampling.NEAREST)
            family = "fam-a" if i % 4 == 1 else "fam-b"
            name = f"fake/{family}/img{i}.png"
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            fake.save(root / name)
            rows.append({"file": name, "label": "fake", "generator_family": family, "source_repo": f"gen/{family}"})
        else:
            source = "cam/x" if i % 4 == 0 else "cam/y"
            name = f"real/img{i}.jpg"
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            real.save(root / name, quality=92)
            rows.append({"file": name, "label": "real", "generator_family": "camera", "source_repo": source})
    with (root / "manifest.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.mark.torch
def test_run_folds_scores_every_file_out_of_fold_and_resumes(tmp_path):
    data = _corpus(tmp_path / "corpus")
    samples = grouped_samples([data])
    base = TrainCfg(data=(str(data),), out=str(tmp_path), backbone="mobilenetv3_small_050", crop=64, batch_size=8,
                    epochs=1, steps_per_epoch=2, val_fraction=0.0, val_crops=1, augment=AugmentCfg(crop=64),
                    bank=BankCfg(window=96), bank_cache=str(tmp_path / "banks"))  # fmt: skip
    oof = run_folds(samples, [], tmp_path / "cv", base, 2, log=lambda _: None)
    rows = [json.loads(line) for line in oof.read_text().splitlines()]
    assert sorted(r["path"] for r in rows) == sorted(s.relpath for s in samples)  # each file once
    folds = json.loads((tmp_path / "cv" / "folds.json").read_text())
    assert set(folds["families"].values()) == {0, 1} and set(folds["real_sources"].values()) == {0, 1}
    assert all(set(r["logits"]) == {"original", "reencode"} for r in rows)
    # a re-run finds both folds done and trains nothing
    assert run_folds(samples, [], tmp_path / "cv", base, 2, log=lambda m: pytest.fail(m)) == oof
    tables = slice_tables(rows, n_boot=20)
    assert set(tables["families"]) == {"fam-a", "fam-b"} and set(tables["sources"]) == {"cam/x", "cam/y"}
    shortcuts = corpus_shortcuts(rows, data, n_boot=20, seed=0)
    # JPEG reals, PNG fakes: the format predictor separates held-out families perfectly
    assert shortcuts["format-only"]["auroc"]["value"] == 1.0
    assert "detector (pooled out-of-fold)" in shortcuts
