"""Scan throughput and memory: files/s on camera-like 4 MP JPEGs, the Ray/local ratio, peak RSS on 12/50 MP.

Every signal runs (C2PA, metadata, watermark) with the default detector unless ``--no-detector``.
Figures are printed, not asserted; the local and Ray engines run on the same corpus in the same run,
so their ratio is meaningful on a shared, noisy machine. Targets here: local >= 20 files/s on 2 cores,
ray/local >= 0.8.

Usage:
    python -m benchmarks.bench_scan [--files 80] [--workers 2] [--no-ray] [--no-detector] [--no-large]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def camera_like(width: int, height: int, seed: int) -> Image.Image:
    """Smooth scene content plus sensor-like noise, so JPEG sizes resemble a camera's (~1.5 MB at 4 MP q90)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 64 + 2, width // 64 + 2, 3), dtype=np.uint8)
    scene = Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC)
    pixels = np.asarray(scene, dtype=np.int16) + rng.normal(0, 6, (height, width, 3)).astype(np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def make_corpus(folder: Path, count: int, size: tuple[int, int]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "BenchCam", "Model 4"
    base = [camera_like(*size, seed=i) for i in range(min(count, 8))]
    paths = []
    for i in range(count):
        path = folder / f"cam{i:04d}.jpg"
        # Distinct files (no dedupe shortcut): vary quality so bytes differ while decode cost stays alike.
        base[i % len(base)].save(path, quality=88 + i % 4, exif=exif)
        paths.append(path)
    return paths


def make_corpus_elsewhere(folder: Path, count: int, size: tuple[int, int]) -> None:
    """Build a corpus in a child process: Linux keeps a process's peak RSS across fork and exec, so building
    big images here would inflate the peak memory every worker reports."""
    process = mp.get_context("spawn").Process(target=make_corpus, args=(folder, count, size))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"building the benchmark corpus failed (exit code {process.exitcode})")


def make_large_corpus(folder: Path) -> None:
    make_corpus(folder, 2, (4000, 3000))  # 12 MP
    camera_like(8192, 6144, seed=99).save(folder / "fifty-mp.jpg", quality=90)  # 50 MP


class Timeline:
    """A progress sink that timestamps each record, to separate start-up from steady-state throughput."""

    def __init__(self) -> None:
        self.total = None
        self.stamps: list[float] = []

    def update(self, done: int = 1, errors: int = 0) -> None:
        self.stamps.extend([time.perf_counter()] * done)

    def close(self) -> None:
        pass

    def steady_rate(self) -> float:
        """Records per second between the first and the last record (start-up excluded)."""
        if len(self.stamps) < 2:
            return float("nan")
        return (len(self.stamps) - 1) / (self.stamps[-1] - self.stamps[0])


def timed_scan(folder: Path, out: Path, engine: str, workers: int, detector: str | None):
    """(summary, wall seconds, steady-state files/s) of one scan."""
    from benchmarks.scan import ScanSettings, run_scan

    timeline = Timeline()
    started = time.perf_counter()
    settings = ScanSettings(detector=detector)
    summary = run_scan(
        [str(folder)], out, engine=engine, workers=workers, settings=settings, overwrite=True, progress=timeline
    )
    return summary, time.perf_counter() - started, timeline.steady_rate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=80)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--no-detector", action="store_true")
    parser.add_argument("--no-large", action="store_true")
    args = parser.parse_args()
    from cli.defaults import default_detector_name

    detector = None if args.no_detector else default_detector_name()
    with tempfile.TemporaryDirectory(prefix="veracity-bench-scan-") as tmp:
        root = Path(tmp)
        corpus = root / "4mp"
        make_corpus_elsewhere(corpus, args.files, (2304, 1728))
        print(f"corpus: {args.files} camera-like 4 MP JPEGs; detector: {detector or 'none'}; workers: {args.workers}")
        local, local_s, local_steady = timed_scan(corpus, root / "local.jsonl", "local", args.workers, detector)
        stats = local.engine_stats
        print(
            f"local engine: {local_steady:.1f} files/s steady state, {args.files / local_s:.1f} over the whole run "
            f"(wall {local_s:.1f} s incl. worker start-up); p50 {stats['task_ms_p50']} ms, p95 "
            f"{stats['task_ms_p95']} ms per file; peak RSS main {stats['main_peak_rss_mb']} MiB, "
            f"worker {stats['worker_peak_rss_mb']} MiB"
        )
        if not args.no_ray:
            _, ray_s, ray_steady = timed_scan(corpus, root / "ray.jsonl", "ray", args.workers, detector)
            print(
                f"ray engine:   {ray_steady:.1f} files/s steady state, {args.files / ray_s:.1f} over the whole run "
                f"(wall {ray_s:.1f} s incl. starting a local Ray instance)"
            )
            print(
                f"ratio ray/local: {ray_steady / local_steady:.2f} steady state, "
                f"{local_s / ray_s:.2f} over the whole run"
            )
        if not args.no_large:
            large = root / "large"
            large.mkdir()
            process = mp.get_context("spawn").Process(target=make_large_corpus, args=(large,))
            process.start()
            process.join()
            summary, seconds, _ = timed_scan(large, root / "large.jsonl", "local", args.workers, detector)
            stats = summary.engine_stats
            print(
                f"12 MP x2 + 50 MP x1: {seconds:.1f} s; peak RSS main {stats['main_peak_rss_mb']} MiB, "
                f"worker {stats['worker_peak_rss_mb']} MiB; errors {summary.errors}"
            )


if __name__ == "__main__":
    main()
