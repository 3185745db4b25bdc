"""Helpers of the corpus builder tests: synthetic images and throwaway bare git snapshots (no mocks)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image


def photo_like(seed: int, width: int = 512, height: int = 384) -> Image.Image:
    """A smooth random colour field plus sensor-like noise: passes as a photograph."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC), np.float32)
    noise = rng.normal(0.0, 6.0, size=(height, width, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


def screenshot_like(width: int = 640, height: int = 400) -> Image.Image:
    """White page with flat panels and black 'text' bars: a UI capture."""
    arr = np.full((height, width, 3), 255, np.uint8)
    arr[:40] = (40, 60, 200)
    arr[60:380, 20:180] = (235, 235, 235)
    for y in range(80, 360, 24):
        arr[y : y + 8, 220 : 220 + (y * 7) % 300 + 80] = 0
    return Image.fromarray(arr)


def grid_like(seed: int, tile: int = 256, gap: int = 8) -> Image.Image:
    """2x2 tiles of different photo-like images with white separators."""
    size = 2 * tile + gap
    canvas = Image.new("RGB", (size, size), (255, 255, 255))
    for k, (x, y) in enumerate([(0, 0), (tile + gap, 0), (0, tile + gap), (tile + gap, tile + gap)]):
        canvas.paste(photo_like(seed + k, tile, tile), (x, y))
    return canvas


def encode(image: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def make_snapshot(mirror: Path, repo: str, files: dict[str, bytes], work: Path) -> str:
    """Commit ``files`` in a scratch repo and clone it bare to ``mirror/owner+name/repo``.

    Returns:
        The commit id.
    """
    src = work / repo.replace("/", "+")
    src.mkdir(parents=True)
    git(src, "init", "-q")
    for path, data in files.items():
        target = src / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    git(src, "add", "-A")
    git(src, "commit", "-q", "-m", "images")
    commit = git(src, "rev-parse", "HEAD")
    dest = mirror / repo.replace("/", "+") / "repo"
    dest.parent.mkdir(parents=True)
    git(work, "clone", "-q", "--bare", str(src), str(dest))
    return commit


def blob_id(data: bytes) -> str:
    return (
        subprocess.run(["git", "hash-object", "--stdin"], input=data, capture_output=True, check=True)
        .stdout.decode()
        .strip()
    )
