"""Expand command-line inputs (files, directories, globs, list files, ``-`` for stdin) into paths.

Bad inputs are not exceptions here: each becomes an `InputProblem` the caller reports as an error
record, so one missing path never stops a batch.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

#: Extensions a directory walk picks up; files named explicitly are always analysed, whatever their name.
MEDIA_EXTENSIONS = frozenset(
    ".jpg .jpeg .jpe .jfif .png .apng .gif .webp .tif .tiff .dng .bmp .heic .heif .avif .jxl .ico "
    ".mp4 .m4v .mov .m4s .m4a .mp3 .wav .flac .webm .avi .pdf .svg .c2pa .ttf .otf .arw .cr2 .nef".split()
)


@dataclass(frozen=True)
class InputProblem:
    """An input that names nothing to analyse, with the reason for a person."""

    input: str
    kind: str
    message: str


def iter_inputs(inputs: Iterable[str], *, stdin: TextIO | None = None) -> Iterator[Path | InputProblem]:
    """Yield each file to analyse, or an `InputProblem`, in a stable order without duplicates.

    Args:
        inputs: paths, directories (walked recursively, media extensions only, hidden files skipped),
            glob patterns, ``@list.txt`` files (one path per line) and ``-`` (paths read from ``stdin``).
        stdin: where ``-`` reads paths from.
    """
    seen: set[str] = set()
    for raw in inputs:
        for item in _expand(raw, stdin):
            if isinstance(item, Path):
                key = os.path.normpath(str(item))
                if key in seen:
                    continue
                seen.add(key)
            yield item


def _expand(raw: str, stdin: TextIO | None) -> Iterator[Path | InputProblem]:
    if raw == "-":
        if stdin is None:
            yield InputProblem("-", "UsageError", "-: no standard input to read paths from.")
            return
        for line in stdin:
            if line.strip():
                yield from _expand_path(line.rstrip("\r\n"))
        return
    if raw.startswith("@") and len(raw) > 1:
        list_file = Path(raw[1:])
        try:
            lines = list_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            yield InputProblem(raw, "AssetNotFoundError", f"{raw}: cannot read the list file ({exc.strerror or exc}).")
            return
        for line in lines:
            if line.strip() and not line.lstrip().startswith("#"):
                yield from _expand_path(line.strip())
        return
    yield from _expand_path(raw)


def _expand_path(raw: str) -> Iterator[Path | InputProblem]:
    path = Path(raw)
    if os.path.lexists(raw):
        if path.is_dir():
            yield from _walk(path, raw)
        else:
            yield path  # files, broken links and loops alike: load_asset gives the precise reason
        return
    if glob.has_magic(raw):
        matches = sorted(glob.glob(raw, recursive=True))
        if not matches:
            yield InputProblem(raw, "AssetNotFoundError", f"{raw}: the pattern matches no file.")
        for match in matches:
            yield from _expand_path(match)
        return
    yield InputProblem(raw, "AssetNotFoundError", f"{raw}: no such file or directory.")


def _walk(root: Path, raw: str) -> Iterator[Path | InputProblem]:
    found = False
    errors: list[OSError] = []
    for folder, dirs, files in os.walk(root, onerror=errors.append, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or Path(name).suffix.lower() not in MEDIA_EXTENSIONS:
                continue
            found = True
            yield Path(folder) / name
    for exc in errors:
        yield InputProblem(
            str(exc.filename or raw),
            "AssetAccessError",
            f"{exc.filename or raw}: cannot list the directory ({exc.strerror or exc}).",
        )
    if not found and not errors:
        yield InputProblem(
            raw, "AssetNotFoundError", f"{raw}: the directory contains no image, video, audio or document files."
        )
