"""Training data assembly: read a labelled image folder into `Sample` rows, split by source, load pixels.

A dataset is a folder with ``real/`` and ``fake/`` (or ``generated/``) sub-folders, searched recursively,
optionally with a ``manifest.csv`` whose columns include ``file`` and ``label`` (``real``/``fake``/
``generated``) and a source column (``group``, else ``source_repo``) naming what must stay in one fold.
wild-dev, the output of `detector.trainingdata.aligned` and GenImage-style ``ai/``-``nature/`` trees after a rename
all fit. Without a manifest, the group is the file's folder plus the part of its name before ``__``.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageOps
from veracity.detector.errors import DatasetError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"})
REAL_LABELS = frozenset({"real", "0", "nature", "captured"})
GENERATED_LABELS = frozenset({"fake", "generated", "1", "ai"})


@dataclass(frozen=True)
class Sample:
    """One labelled image.

    Attributes:
        path: the image file.
        label: 1 = generated, 0 = real.
        group: what must stay on one side of a split (a source repository, a source photo).
        source: generator or real source name, for per-source figures.
    """

    path: Path
    label: int
    group: str
    source: str

    def to_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "label": self.label, "group": self.group, "source": self.source}


def _label(value: str, where: str) -> int:
    value = value.strip().lower()
    if value in REAL_LABELS:
        return 0
    if value in GENERATED_LABELS:
        return 1
    raise DatasetError(f"Unknown label {value!r} in {where}. Use one of real/fake/generated.")


def read_dataset(root: str | Path) -> list[Sample]:
    """Every labelled image under ``root`` (see the module docstring for the layouts), sorted by path.

    Raises:
        DatasetError: ``root`` is missing, holds no labelled image, or its manifest has a bad row.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"Dataset folder {str(root)!r} does not exist. Pass a folder with real/ and fake/.")
    manifest = root / "manifest.csv"
    samples = _from_manifest(root, manifest) if manifest.is_file() else _from_folders(root)
    if not samples:
        raise DatasetError(f"No labelled images under {str(root)!r}: expected real/ and fake/ (or generated/).")
    labels = {s.label for s in samples}
    if labels != {0, 1}:
        raise DatasetError(f"Dataset {str(root)!r} has only one class ({labels}); training needs both.")
    return sorted(samples, key=lambda s: str(s.path))


def _from_manifest(root: Path, manifest: Path) -> list[Sample]:
    samples = []
    with manifest.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            where = f"{manifest}:{line}"
            if "file" not in row or "label" not in row:
                raise DatasetError(f"{manifest} needs 'file' and 'label' columns. Got {sorted(row)}.")
            path = root / row["file"]
            if not path.is_file():
                raise DatasetError(f"{where} names {row['file']!r}, which is not under {str(root)!r}.")
            group = row.get("group") or row.get("source_repo") or path.parent.name
            source = row.get("generator_or_source") or path.parent.name
            samples.append(Sample(path, _label(row["label"], where), group, source))
    return samples


def _from_folders(root: Path) -> list[Sample]:
    samples = []
    for top in sorted(p for p in root.iterdir() if p.is_dir()):
        if top.name.lower() not in REAL_LABELS | GENERATED_LABELS:
            continue
        label = _label(top.name, str(top))
        for path in sorted(top.rglob("*")):
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
                prefix = path.name.split("__")[0] if "__" in path.name else path.stem
                group = f"{path.parent.relative_to(root)}/{prefix}"
                samples.append(Sample(path, label, group, str(path.parent.relative_to(root))))
    return samples


def group_folds(samples: Sequence[Sample], n_folds: int, seed: int = 0) -> list[int]:
    """A fold index per sample; every group lands in one fold (hash of seed and group: stable across runs)."""
    groups = sorted({s.group for s in samples})
    order = sorted(groups, key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())
    fold_of = {group: index % n_folds for index, group in enumerate(order)}
    return [fold_of[s.group] for s in samples]


def split_by_group(samples: Sequence[Sample], val_fraction: float, seed: int = 0) -> tuple[list[Sample], list[Sample]]:
    """(train, validation): about ``val_fraction`` of the groups go to validation, whole groups only."""
    n_folds = max(2, round(1 / max(val_fraction, 1e-6)))
    folds = group_folds(samples, n_folds, seed)
    train = [s for s, f in zip(samples, folds, strict=True) if f != 0]
    val = [s for s, f in zip(samples, folds, strict=True) if f == 0]
    return train, val


@lru_cache(maxsize=1024)
def load_image(path: Path) -> Image.Image:
    """Decode once (cached), EXIF orientation applied, RGB."""
    with Image.open(path) as image:
        return ImageOps.exif_transpose(image).convert("RGB")


def by_label(samples: Iterable[Sample]) -> tuple[list[Sample], list[Sample]]:
    """(real, generated) samples."""
    samples = list(samples)
    return [s for s in samples if s.label == 0], [s for s in samples if s.label == 1]
