"""Train the forensic classifier: seeded, source-grouped validation, per-epoch metrics, safe resumable checkpoints.

`train(TrainCfg(...))` is the library entry point; ``veracity train`` (cli/train.py) is a thin wrapper.
Images are decoded once into a crop bank (`veracity.detector.training.cropbank`); every batch draws windows
from it with balanced weights (`veracity.detector.training.sampling`: half real, half generated, families and
sources tempered) and puts each through the same random processing (`veracity.detector.training.augment`).
Every batch is drawn from a generator seeded by ``(seed, epoch, step)``, so a run killed and resumed from its
last checkpoint draws the same batches as an uninterrupted one. Checkpoints are written to a temporary
file and moved into place with `os.replace`, so a kill never leaves a half-written ``last.pt``.

Outputs in ``out``: ``last.pt`` (resume state), ``metrics.jsonl`` (one line per epoch), ``model.safetensors``
and ``train.json`` (the config and the history) at the end.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file
from sklearn.metrics import roc_auc_score

from veracity.detector.datasets.layouts import Sample
from veracity.detector.datasets.splits import grouped_samples, split_by_group
from veracity.detector.training.augment import AugmentCfg, process_window
from veracity.detector.training.cropbank import BankCfg, CropBank, build_crop_bank
from veracity.detector.training.network import DEFAULT_BACKBONE, DEFAULT_STEM, bce_loss, build_model
from veracity.detector.training.sampling import balanced_weights, sampling_table


@dataclass(frozen=True)
class TrainCfg:
    """Everything a training run depends on (saved with its checkpoints).

    Attributes:
        data: dataset folders or manifests in any layout `detector.datasets` reads.
        out: run folder for checkpoints, metrics and the final weights.
        backbone: timm model name (created with ``pretrained=False``).
        stem: the fixed first stage, a key of `veracity.detector.training.network.STEMS`.
        crop: side of the training crops (even).
        batch_size: crops per step (half real, half generated).
        epochs: number of epochs; each is ``steps_per_epoch`` optimiser steps.
        steps_per_epoch: optimiser steps per epoch.
        lr: peak AdamW learning rate (cosine decay after a short warm-up).
        weight_decay: AdamW weight decay.
        val_fraction: share of source groups held out for validation.
        val_crops: crops per validation image (their logits are averaged).
        seed: seeds the split, the model initialisation and every batch.
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
        max_minutes: stop after the epoch during which this wall time is passed (``None``: no limit).
        exclude_groups: source groups left out entirely (e.g. a wild-dev fold being evaluated).
        init_weights: a ``model.safetensors`` to start from (fine-tuning) instead of a random initialisation.
        augment: the augmentation settings.
        bank: how the crop bank cuts windows.
        bank_cache: folder for crop banks (``None``: ``out/banks``); runs over the same data share a bank.
        balance_alpha: tempering of family and source shares (`veracity.detector.training.sampling`).
    """

    data: tuple[str, ...]
    out: str
    backbone: str = DEFAULT_BACKBONE
    stem: str = DEFAULT_STEM
    crop: int = 128
    batch_size: int = 64
    epochs: int = 10
    steps_per_epoch: int = 200
    lr: float = 2e-3
    weight_decay: float = 0.05
    val_fraction: float = 0.15
    val_crops: int = 4
    seed: int = 0
    device: str = "auto"
    max_minutes: float | None = None
    exclude_groups: tuple[str, ...] = ()
    init_weights: str | None = None
    augment: AugmentCfg = field(default_factory=AugmentCfg)
    bank: BankCfg = field(default_factory=BankCfg)
    bank_cache: str | None = None
    balance_alpha: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", tuple(str(d) for d in self.data))
        object.__setattr__(self, "exclude_groups", tuple(self.exclude_groups))
        if isinstance(self.augment, dict):
            object.__setattr__(self, "augment", AugmentCfg(**self.augment))
        if isinstance(self.bank, dict):
            object.__setattr__(self, "bank", BankCfg(**self.bank))
        if self.crop % 2 or self.crop < 32:
            raise ValueError(f"TrainCfg.crop must be even and >= 32. Got {self.crop} instead.")
        if self.batch_size < 2 or self.batch_size % 2:
            raise ValueError(f"TrainCfg.batch_size must be even and >= 2 (half real, half generated). "
                             f"Got {self.batch_size} instead.")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class TrainResult:
    """What a finished run produced.

    Attributes:
        weights: the ``model.safetensors`` file.
        history: one metrics dict per epoch.
        elapsed_s: wall time of this call (not of earlier, resumed parts).
    """

    weights: Path
    history: tuple[dict[str, Any], ...]
    elapsed_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"weights": str(self.weights), "history": list(self.history), "elapsed_s": self.elapsed_s}


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def load_samples(cfg: TrainCfg) -> list[Sample]:
    return exclude_groups(grouped_samples(cfg.data), cfg.exclude_groups)


def by_label(samples: Sequence[Sample]) -> tuple[list[Sample], list[Sample]]:
    """(real, generated) samples."""
    return [s for s in samples if s.label == 0], [s for s in samples if s.label == 1]


def exclude_groups(samples: Sequence[Sample], groups: Sequence[str]) -> list[Sample]:
    excluded = set(groups)
    return [s for s in samples if s.group not in excluded]


def _fit_crop(crop: np.ndarray, side: int) -> np.ndarray:
    # Windows smaller than the crop (tiny banks in tests) give smaller crops; tile them into the batch shape.
    if crop.shape[1:] == (side, side):
        return crop
    reps_h, reps_w = -(-side // crop.shape[1]), -(-side // crop.shape[2])
    return np.tile(crop, (1, reps_h, reps_w))[:, :side, :side]


@dataclass(frozen=True)
class _Pools:
    """Windows of the training images by class, with their sampling probabilities."""

    real: np.ndarray
    real_p: np.ndarray
    fake: np.ndarray
    fake_p: np.ndarray

    @classmethod
    def of(cls, bank: CropBank, train_index: np.ndarray, alpha: float) -> _Pools:
        windows = np.flatnonzero(np.isin(bank.owner, train_index))
        weights = balanced_weights(bank.samples, bank.owner[windows], alpha=alpha)
        labels = bank.labels[windows]
        real, fake = windows[labels == 0], windows[labels == 1]
        real_p, fake_p = weights[labels == 0], weights[labels == 1]
        return cls(real, real_p / real_p.sum(), fake, fake_p / fake_p.sum())


def _batch(bank: CropBank, pools: _Pools, cfg: TrainCfg, rng: np.random.Generator):
    half = cfg.batch_size // 2
    real = rng.choice(pools.real, half, p=pools.real_p)
    chosen = np.concatenate([real, rng.choice(pools.fake, half, p=pools.fake_p)])
    crops = [_fit_crop(process_window(bank.window(w), cfg.augment, rng), cfg.augment.crop) for w in chosen]
    labels = torch.tensor([0] * half + [1] * half)
    return torch.from_numpy(np.stack(crops)), labels


def _validation_set(bank: CropBank, val_index: np.ndarray, cfg: TrainCfg):
    """Fixed validation crops (processed with a per-image seed): the same every epoch and after a resume."""
    crops, owners = [], []
    for position, sample_index in enumerate(val_index):
        rng = np.random.default_rng([cfg.seed, 7919, int(sample_index)])
        windows = bank.windows_of(int(sample_index))
        for k in range(cfg.val_crops):
            crop = process_window(bank.window(windows[k % len(windows)]), cfg.augment, rng)
            crops.append(_fit_crop(crop, cfg.augment.crop))
            owners.append(position)
    labels = np.array([bank.samples[i].label for i in val_index])
    return torch.from_numpy(np.stack(crops)), np.array(owners), labels


@torch.no_grad()
def _evaluate(model, crops: torch.Tensor, owners: np.ndarray, labels: np.ndarray, device) -> dict[str, float]:
    model.eval()
    logits = torch.cat([model(chunk.to(device)).cpu() for chunk in crops.split(64)]).numpy()
    per_image = np.array([logits[owners == i].mean() for i in range(len(labels))])
    loss = float(bce_loss(torch.from_numpy(per_image), torch.from_numpy(labels)))
    auroc = float(roc_auc_score(labels, per_image)) if len(set(labels)) == 2 else None  # one class: undefined
    accuracy = float(((per_image > 0).astype(int) == labels).mean())
    model.train()
    return {"val_loss": loss, "val_auroc": auroc, "val_accuracy": accuracy, "val_images": len(labels)}


def _save_atomic(state: dict[str, Any], path: Path) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)


def train(
    cfg: TrainCfg,
    *,
    resume: bool = True,
    log=print,
    samples: Sequence[Sample] | None = None,
    bank: CropBank | None = None,
) -> TrainResult:
    """Train (or resume) a run; see the module docstring for what lands in ``cfg.out``.

    ``samples`` replaces reading ``cfg.data`` with `grouped_samples` (callers that already read the data, or
    need a forced layout, pass them here). ``bank`` is a crop bank holding them (and maybe more: cross-validation
    banks a corpus once and trains each fold on a part of it); without it the bank is built or read from cache.
    """
    started = time.monotonic()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    samples = load_samples(cfg) if samples is None else exclude_groups(samples, cfg.exclude_groups)
    if bank is None:
        bank = build_crop_bank(samples, cfg.bank_cache or out / "banks", cfg.bank, log=log)
    else:
        bank = bank.subset(samples)
    train_samples, val_samples = split_by_group(list(bank.samples), cfg.val_fraction, cfg.seed)
    position = {s.path: i for i, s in enumerate(bank.samples)}
    train_index = np.array([position[s.path] for s in train_samples], dtype=np.int64)
    val_index = np.array([position[s.path] for s in val_samples], dtype=np.int64)
    real, fake = by_label(train_samples)
    if not real or not fake:
        raise ValueError(f"The training split needs both classes; got {len(real)} real and {len(fake)} generated.")
    log(f"train: {len(real)} real + {len(fake)} generated images; validation: {len(val_samples)} images; {device}")
    pools = _Pools.of(bank, train_index, cfg.balance_alpha)
    train_owner = bank.owner[np.concatenate([pools.real, pools.fake])]
    weights = balanced_weights(bank.samples, train_owner, alpha=cfg.balance_alpha)
    table = sampling_table(bank.samples, train_owner, weights)
    (out / "sampling.json").write_text(json.dumps(table, indent=1) + "\n")
    val = _validation_set(bank, val_index, cfg) if len(val_index) else None

    model = build_model(cfg.backbone, cfg.stem)
    if cfg.init_weights:
        from safetensors.torch import load_file

        model.load_state_dict(load_file(cfg.init_weights))
    model = model.to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    total = cfg.epochs * cfg.steps_per_epoch
    warmup = max(1, total // 50)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + np.cos(np.pi * min(s, total) / total))
    )
    history: list[dict[str, Any]] = []
    first_epoch = 0
    checkpoint = out / "last.pt"
    if resume and checkpoint.is_file():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        if state["cfg"] != cfg.to_dict():
            raise ValueError(f"{checkpoint} was written by a run with another config; use a new --out or --no-resume.")
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["scheduler"])
        history, first_epoch = list(state["history"]), state["epoch"] + 1
        torch.set_rng_state(state["torch_rng"])
        log(f"resumed from {checkpoint} after epoch {state['epoch']}")

    model.train()
    for epoch in range(first_epoch, cfg.epochs):
        epoch_started, losses = time.monotonic(), []
        for step in range(cfg.steps_per_epoch):
            rng = np.random.default_rng([cfg.seed, epoch, step])
            crops, labels = _batch(bank, pools, cfg, rng)
            loss = bce_loss(model(crops.to(device)), labels.to(device))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
        metrics = {"epoch": epoch, "train_loss": float(np.mean(losses)), "lr": schedule.get_last_lr()[0]}
        if val is not None:
            metrics.update(_evaluate(model, *val, device))
        metrics["epoch_s"] = round(time.monotonic() - epoch_started, 1)
        history.append(metrics)
        log(json.dumps(metrics))
        with (out / "metrics.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(metrics) + "\n")
        state = {
            "cfg": cfg.to_dict(),
            "epoch": epoch,
            "history": history,
            "model": model.state_dict(),
            "optimizer": optimiser.state_dict(),
            "scheduler": schedule.state_dict(),
            "torch_rng": torch.get_rng_state(),  # dropout draws from it: restoring it makes a resume exact
        }
        _save_atomic(state, checkpoint)
        if (
            cfg.max_minutes is not None
            and (time.monotonic() - started) / 60 > cfg.max_minutes
            and epoch + 1 < cfg.epochs
        ):
            log(f"stopping after epoch {epoch}: the {cfg.max_minutes} minute budget is spent")
            break

    weights = out / "model.safetensors"
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(weights.with_suffix(".tmp")), metadata={"backbone": cfg.backbone, "stem": cfg.stem})
    os.replace(weights.with_suffix(".tmp"), weights)
    (out / "train.json").write_text(json.dumps({"cfg": cfg.to_dict(), "history": history}, indent=2) + "\n")
    return TrainResult(weights=weights, history=tuple(history), elapsed_s=time.monotonic() - started)
