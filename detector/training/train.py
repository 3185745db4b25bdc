"""Train the forensic classifier: seeded, source-grouped validation, per-epoch metrics, safe resumable checkpoints.

`train(TrainCfg(...))` is the library entry point; ``veracity train`` (cli/train.py) is a thin wrapper.
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
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from sklearn.metrics import roc_auc_score

from veracity.detector.datasets.layouts import Sample
from veracity.detector.datasets.splits import grouped_samples, split_by_group
from veracity.detector.training.augment import AugmentCfg, augment
from veracity.detector.training.network import DEFAULT_BACKBONE, bce_loss, build_model
from veracity.provenance.assets.asset import decode_pixels


@dataclass(frozen=True)
class TrainCfg:
    """Everything a training run depends on (saved with its checkpoints).

    Attributes:
        data: dataset folders or manifests in any layout `detector.datasets` reads.
        out: run folder for checkpoints, metrics and the final weights.
        backbone: timm model name (created with ``pretrained=False``).
        crop: side of the training crops (even).
        batch_size: crops per step (half real, half generated).
        crops_per_image: crops cut from each drawn image (saves decoding; must divide batch_size / 2).
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
    """

    data: tuple[str, ...]
    out: str
    backbone: str = DEFAULT_BACKBONE
    crop: int = 128
    batch_size: int = 64
    crops_per_image: int = 2
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", tuple(str(d) for d in self.data))
        object.__setattr__(self, "exclude_groups", tuple(self.exclude_groups))
        if isinstance(self.augment, dict):
            object.__setattr__(self, "augment", AugmentCfg(**self.augment))
        if self.crop % 2 or self.crop < 32:
            raise ValueError(f"TrainCfg.crop must be even and >= 32. Got {self.crop} instead.")
        if (self.batch_size // 2) % self.crops_per_image:
            raise ValueError(
                f"TrainCfg.crops_per_image ({self.crops_per_image}) must divide batch_size / 2 "
                f"({self.batch_size // 2})."
            )

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


@lru_cache(maxsize=1024)
def load_image(path: str) -> Image.Image:
    """Pixels of a training image, decoded once (cached) exactly as analysis decodes them."""
    return decode_pixels(path)


def by_label(samples: Sequence[Sample]) -> tuple[list[Sample], list[Sample]]:
    """(real, generated) samples."""
    return [s for s in samples if s.label == 0], [s for s in samples if s.label == 1]


def exclude_groups(samples: Sequence[Sample], groups: Sequence[str]) -> list[Sample]:
    excluded = set(groups)
    return [s for s in samples if s.group not in excluded]


def _batch(samples_real: Sequence[Sample], samples_fake: Sequence[Sample], cfg: TrainCfg, rng: np.random.Generator):
    crops, labels = [], []
    per_class = cfg.batch_size // 2 // cfg.crops_per_image
    for label, pool in ((0, samples_real), (1, samples_fake)):
        for index in rng.integers(0, len(pool), per_class):
            image = load_image(pool[index].path)
            for _ in range(cfg.crops_per_image):
                crops.append(augment(image, cfg.augment, rng))
                labels.append(label)
    # Tiny images give smaller crops; pad them into the batch by reflecting (rare; keeps one tensor).
    side = cfg.augment.crop
    crops = [c if c.shape[1:] == (side, side) else _reflect_to(c, side) for c in crops]
    return torch.from_numpy(np.stack(crops)), torch.tensor(labels)


def _reflect_to(crop: np.ndarray, side: int) -> np.ndarray:
    reps_h, reps_w = -(-side // crop.shape[1]), -(-side // crop.shape[2])
    return np.tile(crop, (1, reps_h, reps_w))[:, :side, :side]


def _validation_set(samples: Sequence[Sample], cfg: TrainCfg) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Fixed validation crops (augmented with a per-image seed): the same every epoch and after a resume."""
    crops, owners = [], []
    for index, sample in enumerate(samples):
        rng = np.random.default_rng([cfg.seed, 7919, index])
        image = load_image(sample.path)
        for _ in range(cfg.val_crops):
            crop = augment(image, cfg.augment, rng)
            crops.append(crop if crop.shape[1:] == (cfg.augment.crop,) * 2 else _reflect_to(crop, cfg.augment.crop))
            owners.append(index)
    labels = np.array([s.label for s in samples])
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


def train(cfg: TrainCfg, *, resume: bool = True, log=print, samples: Sequence[Sample] | None = None) -> TrainResult:
    """Train (or resume) a run; see the module docstring for what lands in ``cfg.out``.

    ``samples`` replaces reading ``cfg.data`` with `grouped_samples` (callers that already read the data, or
    need a forced layout, pass them here).
    """
    started = time.monotonic()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    samples = load_samples(cfg) if samples is None else exclude_groups(samples, cfg.exclude_groups)
    train_samples, val_samples = split_by_group(samples, cfg.val_fraction, cfg.seed)
    real, fake = by_label(train_samples)
    if not real or not fake:
        raise ValueError(f"The training split needs both classes; got {len(real)} real and {len(fake)} generated.")
    log(f"train: {len(real)} real + {len(fake)} generated images; validation: {len(val_samples)} images; {device}")
    val = _validation_set(val_samples, cfg) if val_samples else None

    model = build_model(cfg.backbone)
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
            crops, labels = _batch(real, fake, cfg, rng)
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
    save_file(tensors, str(weights.with_suffix(".tmp")), metadata={"backbone": cfg.backbone})
    os.replace(weights.with_suffix(".tmp"), weights)
    (out / "train.json").write_text(json.dumps({"cfg": cfg.to_dict(), "history": history}, indent=2) + "\n")
    return TrainResult(weights=weights, history=tuple(history), elapsed_s=time.monotonic() - started)


def load_trained(weights: str | Path, backbone: str = DEFAULT_BACKBONE) -> torch.nn.Module:
    """A `ForensicClassifier` in eval mode with the weights of a ``model.safetensors`` file."""
    from safetensors.torch import load_file

    model = build_model(backbone)
    model.load_state_dict(load_file(str(weights)))
    return model.eval()
