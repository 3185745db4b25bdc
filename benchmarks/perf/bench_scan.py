"""Scan throughput and memory: files/s on camera-like 4 MP JPEGs, the Ray/local ratio, peak RSS on 12/50 MP.

Every signal runs (C2PA, metadata, watermark) with the default detector unless ``--no-detector``.
Figures are printed, not asserted; the local and Ray engines run on the same corpus in the same run,
so their ratio is meaningful on a shared, noisy machine. Targets here: local >= 20 files/s on 2 cores,
ray/local >= 0.8. Ray pays a fixed start-up (instance, workers, actors) and shut-down of several seconds that
the local engine does not, so the whole-run ratio depends on the corpus size: the default corpus is a
platform-sized batch (1200 files), and the script prints the steady-state ratio, the fixed costs and the
corpus size from which the whole-run ratio reaches 0.8.

Usage:
    python -m veracity.benchmarks.perf.bench_scan [--files 1200] [--repeats 2] [--workers 2]
        [--no-ray] [--no-detector] [--no-large] [--compare DETECTOR ...]
"""

from __future__ import annotations

import argparse
import io
import math
import multiprocessing as mp
import statistics
import struct
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
    encoded = []
    for i in range(min(count, 8)):
        buffer = io.BytesIO()
        camera_like(*size, seed=i).save(buffer, format="JPEG", quality=88 + i % 4, exif=exif)
        encoded.append(buffer.getvalue())
    paths = []
    for i in range(count):
        path = folder / f"cam{i:04d}.jpg"
        # Distinct files (no dedupe shortcut) without re-encoding each one: a comment segment (COM) after
        # the start-of-image marker makes the bytes unique while the pixels and decode cost stay alike.
        path.write_bytes(with_comment(encoded[i % len(encoded)], f"veracity bench file {i}".encode()))
        paths.append(path)
    return paths


def with_comment(jpeg: bytes, comment: bytes) -> bytes:
    """``jpeg`` with a COM segment holding ``comment`` inserted right after its SOI marker."""
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return jpeg[:2] + segment + jpeg[2:]


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
    from veracity.benchmarks.scan.run import run_scan
    from veracity.benchmarks.scan.settings import ScanOptions, ScanSettings

    timeline = Timeline()
    started = time.perf_counter()
    settings = ScanSettings(detector=detector)
    options = ScanOptions(settings=settings, engine=engine, workers=workers, overwrite=True)
    summary = run_scan([str(folder)], out, options, progress=timeline)
    return summary, time.perf_counter() - started, timeline.steady_rate()


def files_for_ratio(target: float, local_rate: float, local_fixed: float, ray_rate: float, ray_fixed: float) -> str:
    """How many files a scan needs before ray/local over the whole run reaches ``target`` (fixed costs amortised).

    The whole-run ratio for n files is (n/local_rate + local_fixed) / (n/ray_rate + ray_fixed).
    """
    gain = 1 / local_rate - target / ray_rate
    if gain <= 0:
        return "never (steady-state ratio below target)"
    return f"{max(0, math.ceil((target * ray_fixed - local_fixed) / gain))} files"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="local/ray pairs, run alternately")
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--no-detector", action="store_true")
    parser.add_argument("--no-large", action="store_true")
    parser.add_argument(
        "--compare", action="append", default=[], help="also scan with this detector, alternately, in the same run"
    )
    args = parser.parse_args()
    from veracity.detector.default import DEFAULT_DETECTOR

    detector = None if args.no_detector else DEFAULT_DETECTOR
    with tempfile.TemporaryDirectory(prefix="veracity-bench-scan-") as tmp:
        root = Path(tmp)
        corpus = root / "4mp"
        make_corpus_elsewhere(corpus, args.files, (2304, 1728))
        print(f"corpus: {args.files} camera-like 4 MP JPEGs; detector: {detector or 'none'}; workers: {args.workers}")
        pairs = []
        for attempt in range(1, args.repeats + 1):  # alternate engines: a noisy spell hits both alike
            local, local_s, local_steady = timed_scan(corpus, root / "local.jsonl", "local", args.workers, detector)
            stats = local.engine_stats
            print(
                f"[{attempt}] local engine: {local_steady:.1f} files/s steady state, {args.files / local_s:.1f} over "
                f"the whole run (wall {local_s:.1f} s incl. worker start-up); p50 {stats['task_ms_p50']} ms, p95 "
                f"{stats['task_ms_p95']} ms per file; peak RSS main {stats['main_peak_rss_mb']} MiB, "
                f"worker {stats['worker_peak_rss_mb']} MiB"
            )
            for other in args.compare:  # same files, same run: the ratio holds on a noisy machine
                _, other_s, other_steady = timed_scan(corpus, root / "other.jsonl", "local", args.workers, other)
                print(f"[{attempt}] local engine, {other}: {other_steady:.1f} files/s steady state")
            if args.no_ray:
                continue
            _, ray_s, ray_steady = timed_scan(corpus, root / "ray.jsonl", "ray", args.workers, detector)
            print(
                f"[{attempt}] ray engine:   {ray_steady:.1f} files/s steady state, {args.files / ray_s:.1f} over "
                f"the whole run (wall {ray_s:.1f} s incl. starting a local Ray instance)"
            )
            pairs.append((local_s, local_steady, ray_s, ray_steady))
        if pairs:
            medians = [statistics.median(column) for column in zip(*pairs, strict=True)]
            local_s, local_steady, ray_s, ray_steady = medians
            steady = statistics.median(r / lo for _, lo, _, r in pairs)
            whole = statistics.median(lo / r for lo, _, r, _ in pairs)
            print(f"ratio ray/local (median of {len(pairs)}): {steady:.2f} steady state, {whole:.2f} whole run")
            local_fixed = local_s - args.files / local_steady
            ray_fixed = ray_s - args.files / ray_steady
            break_even = files_for_ratio(0.8, local_steady, local_fixed, ray_steady, ray_fixed)
            print(
                f"fixed start-up and shut-down (medians): local {local_fixed:.1f} s, ray {ray_fixed:.1f} s; "
                f"whole-run ratio reaches 0.8 from {break_even}"
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
