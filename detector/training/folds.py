"""Family-grouped cross-validation on a training corpus: every generator family and real source held out once.

    python -m veracity.detector.training.folds --data CORPUS [--aux ALIGNED] --out DIR --folds 4 \
        --epochs 6 --steps-per-epoch 100

Training one model per held-out family is too expensive on a CPU, so this is a family-grouped K-fold: the
generator families are dealt into K folds (largest first, each to the fold with the fewest generated images),
and the real sources likewise, so each family and each real source is held out exactly once. For fold k a model
is trained on everything outside fold k and scores fold k's files (the mean logit of the analysis tiles) as
they are and after identical re-encoding (JPEG q95, the harness's ``reencode``). Auxiliary data (``--aux``:
aligned fakes made from the corpus's own real photos) follows its real source's fold into training and is
never scored. The out-of-fold scores land in ``DIR/oof.jsonl``; `veracity.benchmarks.perf.corpus_folds` turns
them into the leave-one-family-out and leave-one-source-out tables and the shortcut report.

A fold holds several families at once, so each is judged by a model that also never saw the others of its
fold: a stricter test than leaving one family out.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from veracity.detector.datasets.layouts import Sample
from veracity.detector.datasets.splits import grouped_samples
from veracity.detector.evaluation import jpeg_roundtrip
from veracity.detector.models.tiles import tiles_batch
from veracity.detector.training.augment import AugmentCfg
from veracity.detector.training.cropbank import BankCfg, build_crop_bank
from veracity.detector.training.network import load_trained
from veracity.detector.training.sampling import family_of, source_of
from veracity.detector.training.train import TrainCfg, train
from veracity.provenance.assets.asset import decode_pixels

OOF_FILE = "oof.jsonl"
#: Conditions each held-out file is scored under: name -> pixels transform.
CONDITIONS = {"original": lambda image: image, "reencode": lambda image: jpeg_roundtrip(image, 95)}


def _deal(sizes: Counter, k: int) -> dict[str, int]:
    """Units (families or sources) dealt into ``k`` folds, largest first, each to the lightest fold."""
    load = [0] * k
    fold_of = {}
    for unit, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        fold = int(np.argmin(load))
        fold_of[unit] = fold
        load[fold] += size
    return fold_of


def family_folds(samples: Sequence[Sample], k: int) -> list[int]:
    """A fold per sample: generated images by family, real images by source (see the module docstring)."""
    fakes = Counter(family_of(s) for s in samples if s.label == 1)
    reals = Counter(source_of(s) for s in samples if s.label == 0)
    if len(fakes) < k or len(reals) < k:
        raise ValueError(
            f"{k} folds need at least {k} families and {k} real sources; got {len(fakes)} and {len(reals)}."
        )
    family_fold, source_fold = _deal(fakes, k), _deal(reals, k)
    return [family_fold[family_of(s)] if s.label == 1 else source_fold[source_of(s)] for s in samples]


@torch.no_grad()
def tile_logit(model: torch.nn.Module, image, crop: int = 128, n_tiles: int = 16) -> float:
    """The analysis score in torch: mean logit of the tiles `veracity.detector.models.tiles` cuts."""
    batch, _ = tiles_batch(image, crop, n_tiles)
    return float(model(torch.from_numpy(batch)).mean())


def run_folds(samples: Sequence[Sample], aux: Sequence[Sample], out: Path, base: TrainCfg, k: int, log=print) -> Path:
    """Train and score every fold (a finished fold is skipped on a re-run); return the out-of-fold file."""
    out.mkdir(parents=True, exist_ok=True)
    folds = family_folds(samples, k)
    fold_of_source = {source_of(s): f for s, f in zip(samples, folds, strict=True) if s.label == 0}
    aux_folds = [fold_of_source.get(source_of(s), -1) for s in aux]
    (out / "folds.json").write_text(json.dumps(
        {"k": k, "families": {family_of(s): f for s, f in zip(samples, folds, strict=True) if s.label == 1},
         "real_sources": fold_of_source}, indent=1, sort_keys=True))  # fmt: skip
    bank = build_crop_bank(list(samples) + list(aux), base.bank_cache or out / "banks", base.bank, log=log)
    oof = out / OOF_FILE
    done = {json.loads(line)["fold"] for line in oof.read_text().splitlines()} if oof.is_file() else set()
    for fold in range(k):
        if fold in done:
            continue
        training = [s for s, f in zip(samples, folds, strict=True) if f != fold]
        training += [s for s, f in zip(aux, aux_folds, strict=True) if f != fold]
        cfg = replace(base, out=str(out / f"fold-{fold}"))
        result = train(cfg, log=log, samples=training, bank=bank)
        model = load_trained(result.weights)
        rows = []
        for sample, f in zip(samples, folds, strict=True):
            if f != fold:
                continue
            image = decode_pixels(sample.path)
            scores = {name: tile_logit(model, fn(image), base.crop) for name, fn in CONDITIONS.items()}
            rows.append({"path": sample.relpath, "label": sample.label, "family": family_of(sample),
                         "source": source_of(sample), "fold": fold, "logits": scores})  # fmt: skip
        with oof.open("a", encoding="utf-8") as handle:  # one fold at a time: a killed run resumes at the next
            handle.write("".join(json.dumps(row) + "\n" for row in rows))
        log(f"fold {fold}: {len(training)} training images, {len(rows)} scored")
    return oof


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", required=True, help="the corpus (scored and trained on)")
    parser.add_argument("--aux", nargs="*", default=[], help="auxiliary training data (aligned fakes), never scored")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--stem", default="npr")
    parser.add_argument("--backbone", default="mobilenetv3_small_100")
    parser.add_argument("--bank-cache", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    samples = grouped_samples(args.data)
    aux = grouped_samples(args.aux) if args.aux else []
    base = TrainCfg(data=tuple(args.data) + tuple(args.aux), out=str(args.out), backbone=args.backbone,
                    stem=args.stem, batch_size=args.batch_size, epochs=args.epochs,
                    steps_per_epoch=args.steps_per_epoch, val_fraction=0.1, val_crops=1, augment=AugmentCfg(),
                    bank=BankCfg(), bank_cache=args.bank_cache)  # fmt: skip
    print(run_folds(samples, aux, args.out, base, args.folds))


if __name__ == "__main__":
    main()
