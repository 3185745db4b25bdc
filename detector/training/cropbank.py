"""A crop bank: every training image decoded once, kept as a few native-resolution windows.

Decoding whole images at every step is what limits training on a CPU (a 4 MP JPEG costs about 22 ms, a 1 MP
PNG more; a training crop needs a fraction of that). `build_crop_bank` decodes each image once, exactly as
analysis decodes it (`veracity.provenance.assets.asset.decode_pixels`), and keeps up to
``windows_per_image`` windows of ``window`` x ``window`` pixels on even coordinates, never resized, in one
uint8 array on disk (raw bytes read through a memory map). Training then applies the random processing
of `veracity.detector.training.augment` to windows, which costs about a millisecond per crop.

A bank is cached under ``cache_dir`` by a fingerprint of its images (path, size, modification time, label,
group) and of its settings, so runs over the same data share it; it is written to a temporary folder and
moved into place, so a killed build leaves no half-written bank.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from veracity.detector.datasets.layouts import Sample
from veracity.provenance.assets.asset import decode_pixels

PIXELS_FILE = "windows.u8"
INDEX_FILE = "index.json"


@dataclass(frozen=True)
class BankCfg:
    """How windows are cut.

    Attributes:
        window: side of each stored window in pixels (even). An image with a shorter side gives one window
            of its own (even) size, stored in the corner of a full-size slot; images under 32 px are skipped.
        windows_per_image: at most this many windows per image; fewer for small images (about one per
            ``window``-sized area, so a 256 px image gives one and a 12 MP photo the maximum).
        seed: seeds the window positions.
    """

    window: int = 256
    windows_per_image: int = 6
    seed: int = 0

    def __post_init__(self) -> None:
        if self.window % 2 or self.window < 32:
            raise ValueError(f"BankCfg.window must be even and >= 32. Got {self.window} instead.")
        if self.windows_per_image < 1:
            raise ValueError(f"BankCfg.windows_per_image must be >= 1. Got {self.windows_per_image} instead.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CropBank:
    """Windows and what they belong to.

    Attributes:
        pixels: uint8 array (n_windows, window, window, 3), usually a read-only memory map.
        owner: int array (n_windows,): index into ``samples`` of each window's image.
        sizes: int array (n_windows, 2): the valid (height, width) of each window (smaller for small images).
        rows: int array (n_windows,): each window's row in ``pixels`` (a subset shares its parent's pixels).
        samples: the banked images (those too small to bank are left out).
        folder: where the bank lives on disk.
    """

    pixels: np.ndarray
    owner: np.ndarray
    sizes: np.ndarray
    samples: tuple[Sample, ...]
    folder: Path
    rows: np.ndarray

    def window(self, index: int) -> np.ndarray:
        """The valid pixels of window ``index``, uint8 (h, w, 3)."""
        height, width = self.sizes[index]
        return self.pixels[self.rows[index], :height, :width]

    def subset(self, samples: Sequence[Sample]) -> CropBank:
        """The bank of the banked images among ``samples`` (sharing these pixels; nothing is copied)."""
        wanted = {s.path for s in samples}
        keep = [i for i, s in enumerate(self.samples) if s.path in wanted]
        remap = np.full(len(self.samples), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        windows = np.flatnonzero(remap[self.owner] >= 0)
        return CropBank(self.pixels, remap[self.owner[windows]], self.sizes[windows],
                        tuple(self.samples[i] for i in keep), self.folder, self.rows[windows])  # fmt: skip

    @property
    def labels(self) -> np.ndarray:
        """Label (0 real, 1 generated) of each window."""
        return np.array([s.label for s in self.samples], dtype=np.int64)[self.owner]

    def windows_of(self, sample_index: int) -> np.ndarray:
        """Indices of the windows of one banked image."""
        return np.flatnonzero(self.owner == sample_index)


def bank_fingerprint(samples: Sequence[Sample], cfg: BankCfg) -> str:
    """sha256 over the settings and every image's path, size, mtime, label and group."""
    digest = hashlib.sha256(json.dumps(cfg.to_dict(), sort_keys=True).encode())
    for s in sorted(samples, key=lambda s: s.path):
        stat = os.stat(s.path)
        digest.update(f"{s.path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{s.label}\0{s.group}\n".encode())
    return digest.hexdigest()


#: Images with a side under this many pixels are not banked (as analysis does not score them).
MIN_SIDE = 32


def window_boxes(width: int, height: int, cfg: BankCfg, rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    """Boxes ``(x0, y0, x1, y1)`` (even corners) of the windows cut from a ``width`` x ``height`` image.

    The first window is the image's centre (its most typical content); the others are drawn at random,
    avoiding exact repeats. An image smaller than the window gives one box of its own even size; one under
    `MIN_SIDE` gives none.
    """
    side = cfg.window
    if min(width, height) < MIN_SIDE:
        return []
    if min(width, height) < side:
        w, h = min(side, width) // 2 * 2, min(side, height) // 2 * 2
        x, y = (width - w) // 4 * 2, (height - h) // 4 * 2
        return [(x, y, x + w, y + h)]
    count = int(min(cfg.windows_per_image, max(1, round(width * height / side**2))))
    room_x, room_y = width - side, height - side
    origins = [(room_x // 2 // 2 * 2, room_y // 2 // 2 * 2)]
    for _ in range(8 * count):
        if len(origins) >= count:
            break
        x, y = int(rng.integers(0, room_x + 1)) // 2 * 2, int(rng.integers(0, room_y + 1)) // 2 * 2
        if (x, y) not in origins:
            origins.append((x, y))
    return [(x, y, x + side, y + side) for x, y in origins]


def build_crop_bank(
    samples: Sequence[Sample],
    cache_dir: str | Path,
    cfg: BankCfg = BankCfg(),
    *,
    log: Callable[[str], None] = print,
) -> CropBank:
    """The bank of ``samples`` (built, or read from ``cache_dir`` when an identical one exists).

    Raises:
        ValueError: no image is large enough for one window.
    """
    samples = list(samples)
    folder = Path(cache_dir) / f"bank-{bank_fingerprint(samples, cfg)[:20]}"
    if not (folder / INDEX_FILE).is_file():
        _write_bank(samples, folder, cfg, log)
    return load_crop_bank(folder, samples)


def load_crop_bank(folder: str | Path, samples: Sequence[Sample]) -> CropBank:
    """Open a bank written by `build_crop_bank`; ``samples`` are matched to its images by path."""
    folder = Path(folder)
    index = json.loads((folder / INDEX_FILE).read_text(encoding="utf-8"))
    by_path = {s.path: s for s in samples}
    missing = [p for p in index["paths"] if p not in by_path]
    if missing:
        raise ValueError(f"The crop bank {str(folder)!r} holds {len(missing)} image(s) not in the samples, e.g. "
                         f"{missing[0]!r}. Rebuild it (delete the folder).")  # fmt: skip
    pixels = np.memmap(folder / PIXELS_FILE, dtype=np.uint8, mode="r", shape=tuple(index["shape"]))
    owner = np.asarray(index["owner"], dtype=np.int64)
    sizes = np.asarray(index["sizes"], dtype=np.int64).reshape(-1, 2)
    samples = tuple(by_path[p] for p in index["paths"])
    return CropBank(pixels, owner, sizes, samples, folder, np.arange(len(owner)))


def _write_bank(samples: list[Sample], folder: Path, cfg: BankCfg, log: Callable[[str], None]) -> None:
    started = time.monotonic()
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rng = np.random.default_rng(cfg.seed)
    owner: list[int] = []
    sizes: list[tuple[int, int]] = []
    paths: list[str] = []
    skipped = 0
    slot = np.zeros((cfg.window, cfg.window, 3), dtype=np.uint8)
    # Windows are appended to one raw file as they are cut: memory stays at one decoded image.
    with (tmp / PIXELS_FILE).open("wb") as handle:
        for sample in sorted(samples, key=lambda s: s.path):
            image = decode_pixels(sample.path)
            boxes = window_boxes(image.width, image.height, cfg, rng)
            if not boxes:
                skipped += 1
                continue
            for box in boxes:  # converting only the windows costs less than the whole image (PERFORMANCE-NOTES)
                pixels = np.asarray(image.crop(box), dtype=np.uint8)
                slot[:] = 0
                slot[: pixels.shape[0], : pixels.shape[1]] = pixels
                handle.write(slot.tobytes())
                owner.append(len(paths))
                sizes.append(pixels.shape[:2])
            paths.append(sample.path)
    if not owner:
        raise ValueError(f"No image has both sides >= {MIN_SIDE} px: nothing to bank.")
    shape = [len(owner), cfg.window, cfg.window, 3]
    index = {"cfg": cfg.to_dict(), "shape": shape, "paths": paths, "owner": owner, "sizes": [list(v) for v in sizes],
             "skipped_too_small": skipped}  # fmt: skip
    (tmp / INDEX_FILE).write_text(json.dumps(index), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    log(f"crop bank: {len(owner)} windows of {cfg.window} px from {len(paths)} images "
        f"({skipped} too small) in {time.monotonic() - started:.0f} s -> {folder}")  # fmt: skip
