"""Speed of pixel detectors on 4 MP JPEGs: the classifier stage on one thread, and decode + classify in workers.

    python -m veracity.benchmarks.perf.detector_speed [--detector NAME_OR_FOLDER ...] [--workers 2] [--images 80]

Writes synthetic 2304x1728 JPEGs (quality 90, textured so they compress like photos, about 1-1.5 MB) to a
temporary folder. Two figures per detector (default: the shipped default, and v1 for reference):

- the classifier stage alone: tiles + ONNX Runtime inference on already decoded pixels, one process, one
  thread, median ms per image (the budget is 25 ms per 4 MP image); the decode is timed apart, once;
- throughput: ``--workers`` processes that each load the detector once (one ONNX Runtime thread) time decode +
  tiling + inference for every image; start-up is reported apart.

Detectors are measured in the same run, so their ratio holds on a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
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


def _create(name: str):
    from veracity.detector.registry import create_detector

    return create_detector(name, threads=1)


def _init(name: str) -> None:
    global _detector
    _detector = _create(name)


def _score(path: str) -> float:
    with Image.open(path) as image:
        return float(_detector.p_generated([image])[0])


def classifier_stage_ms(name: str, paths: list[str], repeats: int = 3) -> tuple[float, float]:
    """(median ms per image of tiles + inference on decoded pixels, median decode ms), one thread."""
    from veracity.provenance.assets.asset import decode_pixels

    detector = _create(name)
    decode_ms, images = [], []
    for path in sorted(set(paths)):
        started = time.perf_counter()
        images.append(decode_pixels(path))
        decode_ms.append(1000 * (time.perf_counter() - started))
    detector.image_logit(images[0])  # warm-up (session start, first allocation)
    stage_ms = []
    for _ in range(repeats):
        for image in images:
            detector._last = None  # never the cached score of the same image
            started = time.perf_counter()
            detector.image_logit(image)
            stage_ms.append(1000 * (time.perf_counter() - started))
    return statistics.median(stage_ms), statistics.median(decode_ms)


def throughput(name: str, paths: list[str], workers: int) -> tuple[float, float]:
    """(images/s with ``workers`` single-thread processes, decode included; start-up seconds)."""
    started = time.perf_counter()
    with mp.get_context("spawn").Pool(workers, initializer=_init, initargs=(name,)) as pool:
        pool.map(_score, paths[:workers], chunksize=1)  # warm-up: every worker has loaded the model
        ready = time.perf_counter()
        pool.map(_score, paths, chunksize=4)
        done = time.perf_counter()
    return len(paths) / (done - ready), ready - started


def main() -> None:
    from veracity.detector.default import DEFAULT_DETECTOR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", action="append", help="registry name or detector folder (repeatable)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=80)
    args = parser.parse_args()
    names = args.detector or list(dict.fromkeys([DEFAULT_DETECTOR, "npr_mnv3s.v1"]))
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(p) for p in _make_images(Path(tmp), args.images)]
        sizes = sorted({Path(p).stat().st_size for p in paths})
        print(f"{len(paths)} images of 2304x1728 (4.0 MP, JPEG q90, {sizes[0] / 1e6:.2f}-{sizes[-1] / 1e6:.2f} MB)")
        for name in names:
            stage, decode = classifier_stage_ms(name, paths)
            rate, startup = throughput(name, paths, args.workers)
            print(
                f"{name}: classifier stage {stage:.1f} ms per image on one thread (budget 25 ms; decode apart "
                f"{decode:.1f} ms); {args.workers} worker(s) x 1 thread, decode included: {rate:.1f} images/s "
                f"({1000 * args.workers / rate:.0f} ms per image per worker); start-up {startup:.1f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
