"""Peak memory of `veracity check` on hostile big images: the 147 MP WebP and the 144 MP PNG of zeros.

Each case runs ``veracity check FILE --format jsonl`` (default limits, default detector) under a small
wrapper process that prints the peak RSS of the command and of every process it started (Linux
``RUSAGE_CHILDREN``: the largest resident set of any waited-for descendant). Figures are printed, not
asserted; a 4 MP camera-like JPEG is measured in the same run as the baseline, and each case is also
given per pixel of the default pixel limit, the unit of the documented bound (see `provenance.assets.asset`).

Usage:
    python -m veracity.benchmarks.perf.peak_memory [--cases jpeg-4mp,webp-147mp,png-zeros-144mp]
"""

from __future__ import annotations

import argparse
import json
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from PIL import Image


def webp_147mp(path: Path) -> None:
    """A flat 14000 x 10500 lossy WebP (147 MP): a few hundred KB on disk."""
    Image.new("RGB", (14000, 10500), (90, 120, 150)).save(path, "WEBP", quality=50, method=0)


def png_zeros_144mp(path: Path) -> None:
    """A 12000 x 12000 8-bit RGB PNG of zeros (144 MP), written row by row so building it costs no memory."""
    width, height = 12000, 12000
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (width * 3)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def jpeg_4mp(path: Path) -> None:
    from veracity.benchmarks.perf.bench_scan import camera_like

    camera_like(2304, 1728, seed=1).save(path, quality=90)


#: name -> (file name, maker, pixel limit of the run or None for the default). The raised-limit WebP run
#: shows the bound holding for a file the default refuses: WebP counts twice, so 300 MP admits 147 MP.
CASES = {
    "jpeg-4mp": ("x.jpg", jpeg_4mp, None),
    "webp-147mp": ("x.webp", webp_147mp, None),
    "webp-147mp-limit-300mp": ("x.webp", webp_147mp, 300_000_000),
    "png-zeros-144mp": ("x.png", png_zeros_144mp, None),
}


def measure(command: list[str]) -> None:
    """Run ``command`` and print its exit code, wall time and the peak RSS of its process tree as JSON."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    record = json.loads(result.stdout.splitlines()[-1]) if result.stdout.strip() else {}
    print(
        json.dumps(
            {
                "exit_code": result.returncode,
                "wall_s": round(time.perf_counter() - started, 2),
                "peak_rss_mib": round(peak_kib / 1024, 1),
                "verdict": (record.get("verdict") or {}).get("label") or record.get("record_type"),
                "error": (record.get("error") or {}).get("kind"),
                "stderr": result.stderr.strip().splitlines()[-1:] if result.stderr.strip() else [],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--measure", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    from veracity.provenance.assets.asset import Limits

    limit = Limits.from_env().max_pixels
    print(f"default pixel limit: {limit:,} pixels")
    with tempfile.TemporaryDirectory(prefix="veracity-peak-memory-") as tmp:
        for name in args.cases.split(","):
            file_name, make, case_limit = CASES[name]
            path = Path(tmp) / file_name
            # Built in a child process: a process's peak RSS survives fork and exec.
            build = f"from veracity.benchmarks.perf.peak_memory import {make.__name__} as m; from pathlib import Path; "
            subprocess.run([sys.executable, "-c", build + f"m(Path({str(path)!r}))"], check=True)
            command = [sys.executable, "-m", "veracity.cli", "check", str(path), "--format", "jsonl"]
            if case_limit:
                command += ["--max-pixels", str(case_limit)]
            wrapped = [sys.executable, "-m", "veracity.benchmarks.perf.peak_memory", "--measure", *command]
            out = subprocess.run(wrapped, capture_output=True, text=True, check=True).stdout
            figures = json.loads(out.splitlines()[-1])
            per_pixel = figures["peak_rss_mib"] * 1024 * 1024 / (case_limit or limit)
            print(
                f"{name:24s} {path.stat().st_size / 1024:8.0f} KiB on disk  peak RSS {figures['peak_rss_mib']:7.1f} MiB"
                f" ({per_pixel:4.1f} bytes per pixel of the limit)  wall {figures['wall_s']:5.1f} s  "
                f"exit {figures['exit_code']} {figures['verdict'] or ''} {figures['error'] or ''}"
            )


if __name__ == "__main__":
    main()
