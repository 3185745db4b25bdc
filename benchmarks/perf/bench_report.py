"""Benchmark the HTML report on a large image: page size and the time rendering adds to a check.

Usage::

    python -m veracity.benchmarks.perf.bench_report                 # a 50 MP camera-like JPEG, 2 repeats
    python -m veracity.benchmarks.perf.bench_report --megapixels 12 --repeats 3
    python -m veracity.benchmarks.perf.bench_report --image big.jpg

Each repeat runs ``veracity check IMAGE`` twice in fresh processes on the same file: once with
``--format json`` (the baseline: start-up, decoding, every signal and the classifier) and once with
``--format html -o page.html``. Rendering costs the difference (decoding again at full resolution, the
forensic views, encoding the figures), reported as the best of the repeats together with the HTML run
as a ratio of the JSON run. The CLI runs in subprocesses so this package never imports the CLI layer.
Targets (issue 12): page under 10 MB, rendering under 5 s at 50 MP.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

MAX_PAGE_BYTES = 10 * 1024 * 1024
MAX_RENDER_S = 5.0


def make_camera_like_jpeg(path: Path, megapixels: float, *, seed: int = 0) -> Path:
    """A JPEG of about `megapixels` MP (3:2): smooth gradients plus sensor-like noise, quality 92."""
    height = int(math.sqrt(megapixels * 1e6 / 1.5))
    width = int(height * 1.5)
    rng = np.random.default_rng(seed)
    rows = []
    for top in range(0, height, 512):  # in bands, so the float temporaries stay small
        y, x = np.mgrid[top : min(top + 512, height), 0:width].astype(np.float32)
        base = np.stack([x / width * 200 + 20, y / height * 180 + 30, (x + y) / (width + height) * 160 + 40], -1)
        rows.append(np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8))
    Image.fromarray(np.concatenate(rows), "RGB").save(path, "JPEG", quality=92)
    return path


def _run(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "veracity.cli", "check", *args], check=True, capture_output=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=None, help="Use this image instead of a generated one.")
    parser.add_argument("--megapixels", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
        folder = Path(folder)
        image = args.image or make_camera_like_jpeg(folder / "camera.jpg", args.megapixels)
        with Image.open(image) as opened:
            size = opened.size
        page = folder / "page.html"
        json_s, html_s = [], []
        for _ in range(args.repeats):
            json_s.append(_run([str(image), "--format", "json"]))
            page.unlink(missing_ok=True)
            html_s.append(_run([str(image), "--format", "html", "-o", str(page)]))
        render_s = min(h - j for h, j in zip(html_s, json_s, strict=True))
        page_bytes = page.stat().st_size
    print(f"image          : {size[0]}x{size[1]} ({size[0] * size[1] / 1e6:.1f} MP), {image.name}")
    print(f"check --json   : {min(json_s):.2f} s (best of {args.repeats}; baseline)")
    print(f"check --html   : {min(html_s):.2f} s = {min(html_s) / min(json_s):.2f}x the baseline")
    render_ok = "ok" if render_s < MAX_RENDER_S else "OVER"
    size_ok = "ok" if page_bytes < MAX_PAGE_BYTES else "OVER"
    print(f"rendering adds : {render_s:.2f} s (target < {MAX_RENDER_S:.0f} s: {render_ok})")
    print(f"page size      : {page_bytes / 1e6:.2f} MB (target < 10 MB: {size_ok})")
    return 0 if render_s < MAX_RENDER_S and page_bytes < MAX_PAGE_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
