"""Benchmark the numpy watermark decoder (time and traced memory) against the package, and count detections.

Usage::

    python -m veracity.benchmarks.perf.bench_watermark                    # 4 MP and 50 MP: ms and peak MiB per decode
    python -m veracity.benchmarks.perf.bench_watermark --baseline old.py  # plus another watermark.py, same run, ratios
    python -m veracity.benchmarks.perf.bench_watermark --wild-dev ../shared/data/wild-dev  # plus detections per folder

``old.py`` is any earlier version of the module, e.g. ``git show main:provenance/watermark.py > old.py``.
Every decoder runs in the same process on the same images, so the ratios hold even on a busy machine where
absolute times drift. Time is the best of ``--repeats`` runs, wall clock and this process's CPU time. Memory
is tracemalloc's peak during one signal read of an already decoded image (what the pipeline does): numpy's
buffers and Python objects, not Pillow's own image memory. The package is imported only here (it imports
torch eagerly) and timed at 4 MP only (it loops over blocks in Python).
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import io
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image

from veracity.provenance.assets.asset import Asset, load_asset
from veracity.provenance.watermark import decoder as watermark
from veracity.provenance.watermark.decoder import PAYLOADS

SIZES = {"4 MP": (2000, 2000), "50 MP": (6144, 8192)}


def _best_ms(fn, repeats: int, clock=time.perf_counter) -> float:
    """Best of `repeats` times in ms: the least disturbed by other load on the machine."""
    best = float("inf")
    for _ in range(repeats):
        started = clock()
        fn()
        best = min(best, (clock() - started) * 1000.0)
    return best


def _peak_mib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def load_module(path: Path) -> ModuleType:
    """Import another version of ``provenance/watermark.py`` from `path` under a private name."""
    loader = importlib.machinery.SourceFileLoader("_baseline_watermark", str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    sys.modules[loader.name] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


def _bmp_asset(rgb: np.ndarray) -> Asset:
    """A real asset with its pixels already decoded (BMP: quick to write and read at 50 MP)."""
    encoded = io.BytesIO()
    Image.fromarray(rgb).save(encoded, "BMP")
    asset = load_asset(encoded.getvalue(), name="bench.bmp")
    _ = asset.image  # decode now: the pipeline decodes before any signal runs
    return asset


def measure(module: ModuleType, image: np.ndarray, asset: Asset, repeats: int) -> dict[str, float]:
    """ms (wall, CPU) per array decode and peak traced MiB per signal read, for one version of the module."""
    return {
        "ms": _best_ms(lambda: module.decode_watermarks(image), repeats),
        "cpu_ms": _best_ms(lambda: module.decode_watermarks(image), repeats, time.process_time),
        "peak_mib": _peak_mib(lambda: module.read_watermark_signal(asset)),
    }


def benchmark(repeats: int = 5, seed: int = 0, baseline: ModuleType | None = None) -> dict[str, dict]:
    """Per size in `SIZES`: ours, the baseline's (if given) and, at 4 MP, the package's time (SDXL payload only).

    Returns:
        ``{size: {"ours": {...}, "baseline": {...}, "package_ms": ms}}``; the inner dicts hold ``ms``,
        ``cpu_ms`` (per decode of a random image) and ``peak_mib`` (per signal read).
    """
    rng = np.random.default_rng(seed)
    results: dict[str, dict] = {}
    for size, (height, width) in SIZES.items():
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        asset = _bmp_asset(image)
        result = {"ours": measure(watermark, image, asset, repeats)}
        if baseline is not None:
            result["baseline"] = measure(baseline, image, asset, repeats)
        if size == "4 MP":
            result.update(_package_ms(image, repeats))
        results[size] = result
        del image, asset
    return results


def _package_ms(image: np.ndarray, repeats: int) -> dict[str, float]:
    try:
        from imwatermark import WatermarkDecoder
    except ImportError:
        return {}
    decoder = WatermarkDecoder("bits", len(PAYLOADS[0].bits))
    return {"package_ms": _best_ms(lambda: decoder.decode(image, "dwtDct"), max(1, repeats // 2))}


def count_detections(root: Path) -> dict[str, Counter]:
    """Per top folder (``real`` or each ``fake/<generator>``): how many images reach each level."""
    from veracity.provenance.watermark.decoder import read_watermark_signal

    counts: dict[str, Counter] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix.lower() in (".csv", ".md", ".json"):
            continue
        group = "/".join(path.relative_to(root).parts[:-1])
        asset = load_asset(path)
        if not asset.media_type.has_pixels:
            continue
        signal = read_watermark_signal(asset)
        tally = counts.setdefault(group, Counter())
        tally["images"] += 1
        if signal.status == "not_applicable":
            tally["too small"] += 1
        for finding in signal.findings:
            tally[f"{finding.kind} {'very likely' if finding.implies == 'generated' else 'likely'}"] += 1
    return counts


def _describe(name: str, numbers: dict[str, float]) -> str:
    return (
        f"  {name:9s} {numbers['ms']:7.1f} ms ({numbers['cpu_ms']:6.1f} ms CPU) per decode; "
        f"peak traced {numbers['peak_mib']:6.1f} MiB per signal read"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline", type=Path, default=None, help="another watermark.py to measure in this run")
    parser.add_argument("--wild-dev", type=Path, default=None, help="count detections under this folder")
    args = parser.parse_args()
    baseline = load_module(args.baseline) if args.baseline else None
    for size, result in benchmark(args.repeats, baseline=baseline).items():
        height, width = SIZES[size]
        print(f"{size} ({width}x{height}, random pixels, 3 payloads):")
        ours = result["ours"]
        print(_describe("ours", ours))
        if "baseline" in result:
            base = result["baseline"]
            print(_describe("baseline", base))
            print(
                f"  ratio     {base['ms'] / ours['ms']:.1f}x wall, {base['cpu_ms'] / ours['cpu_ms']:.1f}x CPU, "
                f"{base['peak_mib'] / ours['peak_mib']:.0f}x less peak memory"
            )
        if "package_ms" in result:
            ms = result["package_ms"]
            print(f"  invisible-watermark: {ms:.1f} ms (1 payload); {ms / ours['ms']:.1f}x ours")
    if args.wild_dev:
        for group, tally in count_detections(args.wild_dev).items():
            print(f"{group:32s} " + ", ".join(f"{k}: {v}" for k, v in sorted(tally.items())))


if __name__ == "__main__":
    main()
