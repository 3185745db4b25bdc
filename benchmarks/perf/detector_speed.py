"""Speed of the shipped classifier alone, decode included, on 4 MP JPEGs: worker processes, one thread each.

    python -m veracity.benchmarks.perf.detector_speed --workers 2 --images 80

Writes synthetic 2304x1728 JPEGs (quality 90, textured so they compress like photos, about 1-1.5 MB) to a
temporary folder, starts ``--workers`` processes that each load the detector once (ONNX Runtime, one
thread), then times decode + tiling + inference for every image. Start-up is reported apart.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

_detector = None


def _make_images(folder: Path, count: int, seed: int = 0) -> list[Path]:
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(min(count, 8)):  # 8 distinct files, reused: the OS cache is warm either way
        base = rng.integers(0, 256, (54, 72, 3), dtype=np.uint8)
        image = np.asarray(Image.fromarray(base).resize((2304, 1728), Image.Resampling.BICUBIC), dtype=np.float32)
        image += rng.normal(0, 8, image.shape)
        path = folder / f"photo{index}.jpg"
        Image.fromarray(image.clip(0, 255).astype(np.uint8)).save(path, quality=90)
        paths.append(path)
    return [paths[i % len(paths)] for i in range(count)]


def _init() -> None:
    global _detector
    from veracity.detector.models.forensic import create_default_detector

    _detector = create_default_detector(threads=1)


def _score(path: str) -> float:
    with Image.open(path) as image:
        return float(_detector.p_generated([image])[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=80)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(p) for p in _make_images(Path(tmp), args.images)]
        sizes = sorted({Path(p).stat().st_size for p in paths})
        started = time.perf_counter()
        with mp.get_context("spawn").Pool(args.workers, initializer=_init) as pool:
            pool.map(_score, paths[: args.workers], chunksize=1)  # warm-up: every worker has loaded the model
            ready = time.perf_counter()
            pool.map(_score, paths, chunksize=4)
            done = time.perf_counter()
    rate = len(paths) / (done - ready)
    print(
        f"{len(paths)} images of 2304x1728 (JPEG q90, {sizes[0] / 1e6:.2f}-{sizes[-1] / 1e6:.2f} MB), "
        f"{args.workers} worker(s) x 1 thread: {rate:.1f} images/s "
        f"({1000 * args.workers / rate:.0f} ms per image per worker); start-up {ready - started:.1f} s"
    )


if __name__ == "__main__":
    main()
