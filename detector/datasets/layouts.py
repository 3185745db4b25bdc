"""Labelled image datasets: the folder layouts researchers use, and manifests.

Known layouts (`list_layouts`), tried in this order by `load_dataset` when none is named:

- ``manifest``: a CSV or JSONL file (or a folder holding ``manifest.csv``/``manifest.jsonl``) with a path
  column (``path`` or ``file``) and ``label``, optional ``generator_family`` (else ``generator`` or
  ``generator_or_source``),
  ``source`` (or ``source_repo``), ``split`` and ``original_path``.
- ``forensynths``: ForenSynths/CNNDetection, ``<generator>/[<category>/]0_real|1_fake``.
- ``genimage``: GenImage, ``<generator>/{train,val}/{nature,ai}``.
- ``real-fake``: ``real/...`` and ``fake/<generator>/...``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veracity.detector.errors import DatasetError, DatasetNotFoundError, UnknownLayoutError
from veracity.detector.registry import Registry

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif", ".avif", ".jxl"}
)
REAL, GENERATED = 0, 1
_LABELS = {
    "real": REAL, "0": REAL, "nature": REAL, "authentic": REAL, "camera": REAL, "captured": REAL,
    "fake": GENERATED, "1": GENERATED, "ai": GENERATED, "generated": GENERATED, "synthetic": GENERATED,
}  # fmt: skip


@dataclass(frozen=True)
class Sample:
    """One labelled file.

    Attributes:
        path: absolute path of the file.
        relpath: path relative to the dataset root (how outputs name it).
        label: 0 real, 1 generated.
        generator: generator name for generated files; for real files, the generator folder they pair with
            in ForenSynths/GenImage, else ``None``.
        source: where the file came from (repository, dataset), ``None`` when unknown.
        split: the dataset's own split (``train``/``val``), ``None`` when it has none.
        group: near-duplicate group key (filled by `veracity.detector.datasets.splits.assign_groups`).
        fold: cross-validation fold (filled by `veracity.detector.datasets.splits.assign_folds`), ``None`` when unsplit.
        meta: extra manifest columns kept for grouping (``original_path``...).
    """

    path: str
    relpath: str
    label: int
    generator: str | None = None
    source: str | None = None
    split: str | None = None
    group: str | None = None
    fold: int | None = None
    meta: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.relpath,
            "label": self.label,
            "generator": self.generator,
            "source": self.source,
            "split": self.split,
            "group": self.group,
            "fold": self.fold,
        }


@dataclass(frozen=True)
class Dataset:
    """A dataset read from disk: its root, the layout detected and its samples in a stable order."""

    root: Path
    layout: str
    samples: tuple[Sample, ...]

    def fingerprint(self) -> str:
        """sha256 over (relpath, label, size) of every sample: changes when files are added, relabelled or resized."""
        digest = hashlib.sha256()
        for s in self.samples:
            digest.update(f"{s.relpath}\0{s.label}\0{os.path.getsize(s.path)}\n".encode())
        return digest.hexdigest()

    def counts(self) -> dict[str, int]:
        n_gen = sum(s.label for s in self.samples)
        return {"n": len(self.samples), "n_real": len(self.samples) - n_gen, "n_generated": n_gen}


@dataclass(frozen=True)
class Layout:
    """A dataset layout: how to recognise it and how to read it."""

    name: str
    description: str
    detect: Callable[[Path], bool]
    read: Callable[[Path], list[Sample]]


layouts: Registry[Layout] = Registry("dataset layout")


def list_layouts(pattern: str | None = None) -> list[str]:
    return layouts.list(pattern)


def load_dataset(path: str | os.PathLike[str], *, layout: str | None = None) -> Dataset:
    """Read a labelled dataset, detecting its layout unless ``layout`` names one.

    Raises:
        DatasetNotFoundError: ``path`` does not exist.
        UnknownLayoutError: no known layout matches (the message lists them).
        DatasetError: the layout matched but holds no images, or a manifest row is bad.
    """
    root = Path(path).expanduser().resolve()
    if not root.exists():
        raise DatasetNotFoundError(f"Dataset {str(path)!r} does not exist. Pass a dataset folder or manifest file.")
    if layout is None:
        layout = next((name for name in _DETECTION_ORDER if layouts.get(name).detect(root)), None)
        if layout is None:
            known = "; ".join(f"{n}: {layouts.get(n).description}" for n in _DETECTION_ORDER)
            raise UnknownLayoutError(f"{str(path)!r} matches no known dataset layout. Known layouts: {known}.")
    samples = layouts.get(layout).read(root)
    if not samples:
        raise DatasetError(f"Dataset {str(path)!r} (layout {layout}) holds no images with extensions {_exts()}.")
    samples.sort(key=lambda s: s.relpath)
    base = root if root.is_dir() else root.parent
    return Dataset(root=base, layout=layout, samples=tuple(samples))


def _exts() -> str:
    return ", ".join(sorted(IMAGE_EXTENSIONS))


def _images_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def parse_label(value: Any, where: str) -> int:
    label = _LABELS.get(str(value).strip().lower())
    if label is None:
        raise DatasetError(f"{where}: label {value!r} is not one of {sorted(_LABELS)}. Fix the label.")
    return label


# -- manifest -----------------------------------------------------------------------------------------


def write_dataset_manifest(folder: Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``folder/manifest.csv`` from rows sharing the first row's columns (what `load_dataset` reads)."""
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def _manifest_file(root: Path) -> Path | None:
    if root.is_file():
        return root if root.suffix.lower() in {".csv", ".jsonl"} else None
    for name in ("manifest.csv", "manifest.jsonl"):
        if (root / name).is_file():
            return root / name
    return None


def _read_manifest(root: Path) -> list[Sample]:
    manifest = _manifest_file(root)
    assert manifest is not None
    base = manifest.parent
    with manifest.open(encoding="utf-8", newline="") as handle:
        if manifest.suffix.lower() == ".csv":
            rows = list(csv.DictReader(handle))
        else:
            rows = [json.loads(line) for line in handle if line.strip()]
    samples = []
    for i, row in enumerate(rows, start=2 if manifest.suffix.lower() == ".csv" else 1):
        where = f"{manifest.name} line {i}"
        rel = row.get("path") or row.get("file")
        if not rel or "label" not in row:
            raise DatasetError(f"{where}: a manifest row needs 'path' (or 'file') and 'label'. Got keys {list(row)}.")
        label = parse_label(row["label"], where)
        file = (base / rel).resolve()
        if not file.is_file():
            raise DatasetError(f"{where}: file {rel!r} does not exist under {str(base)!r}. Fix the path.")
        # A corpus manifest names both a family and a detailed generator: slices and balancing use the family.
        family = row.get("generator_family")
        generator = family or row.get("generator") or row.get("generator_or_source") or None
        samples.append(
            Sample(
                path=str(file),
                relpath=str(rel),
                label=label,
                # A real row's generator pairs it with that generator's fakes (ForenSynths-like manifests); a
                # corpus names the real's camera family instead, which pairs it with nothing.
                generator=generator if label == GENERATED or (row.get("generator") and not family) else None,
                source=row.get("source") or row.get("source_repo") or None,
                split=row.get("split") or None,
                meta={k: str(row[k]) for k in ("original_path", "generator_or_source", "group") if row.get(k)},
            )
        )
    return samples


# -- folder layouts -----------------------------------------------------------------------------------


def _dirs_named(root: Path, names: set[str], max_depth: int = 4) -> list[Path]:
    found = []
    for dirpath, dirnames, _ in os.walk(root):
        depth = len(Path(dirpath).relative_to(root).parts)
        if depth >= max_depth:
            dirnames[:] = []
        found.extend(Path(dirpath) / d for d in dirnames if d in names)
    return sorted(found)


def _read_forensynths(root: Path) -> list[Sample]:
    samples = []
    for folder in _dirs_named(root, {"0_real", "1_fake"}):
        parts = folder.relative_to(root).parts
        generator = parts[0] if len(parts) > 1 else root.name
        label = REAL if folder.name == "0_real" else GENERATED
        for file in _images_under(folder):
            samples.append(_sample(root, file, label, generator=generator, source=None))
    return samples


def _read_genimage(root: Path) -> list[Sample]:
    samples = []
    for folder in _dirs_named(root, {"nature", "ai"}):
        if folder.parent.name not in {"train", "val"}:
            continue
        parts = folder.relative_to(root).parts
        generator = parts[-3] if len(parts) >= 3 else root.name
        label = REAL if folder.name == "nature" else GENERATED
        for file in _images_under(folder):
            samples.append(_sample(root, file, label, generator=generator, split=folder.parent.name))
    return samples


def _read_real_fake(root: Path) -> list[Sample]:
    samples = [_sample(root, f, REAL) for f in _images_under(root / "real")]
    for file in _images_under(root / "fake"):
        parts = file.relative_to(root / "fake").parts
        samples.append(_sample(root, file, GENERATED, generator=parts[0] if len(parts) > 1 else None))
    return samples


def _sample(root: Path, file: Path, label: int, **kwargs: Any) -> Sample:
    return Sample(path=str(file), relpath=file.relative_to(root).as_posix(), label=label, **kwargs)


def _is_genimage(root: Path) -> bool:
    return root.is_dir() and any(d.parent.name in {"train", "val"} for d in _dirs_named(root, {"nature", "ai"}))


layouts.register(
    "manifest",
    Layout(
        "manifest",
        "a CSV/JSONL file (or a folder with manifest.csv|.jsonl): path|file, label[, generator, source, split]",
        lambda root: _manifest_file(root) is not None,
        _read_manifest,
    ),
)
layouts.register(
    "forensynths",
    Layout(
        "forensynths",
        "<generator>/[<category>/]0_real|1_fake (ForenSynths/CNNDetection)",
        lambda root: root.is_dir() and bool(_dirs_named(root, {"0_real", "1_fake"})),
        _read_forensynths,
    ),
)
layouts.register(
    "genimage",
    Layout("genimage", "<generator>/{train,val}/{nature,ai} (GenImage)", _is_genimage, _read_genimage),
)
layouts.register(
    "real-fake",
    Layout(
        "real-fake",
        "real/... and fake/<generator>/...",
        lambda root: root.is_dir() and (root / "real").is_dir() and (root / "fake").is_dir(),
        _read_real_fake,
    ),
)
_DETECTION_ORDER = ("manifest", "forensynths", "genimage", "real-fake")
