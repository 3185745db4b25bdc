"""Scan inputs: local paths and object-storage URIs, expanded in order, and their content hashes."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from veracity.benchmarks.scan.uris import expand_uri, is_uri, read_uri
from veracity.provenance.assets.asset import Limits
from veracity.provenance.assets.hashing import sha256_bytes, sha256_file
from veracity.provenance.assets.inputs import InputProblem, iter_inputs
from veracity.provenance.errors import ProvenanceError


def expand_inputs(inputs: Iterable[str], stdin: TextIO) -> Iterator[Path | str | InputProblem]:
    """Local inputs through `iter_inputs`, object-storage URIs through `expand_uri`, in the given order."""
    local: list[str] = []
    for raw in inputs:
        if not is_uri(raw):
            local.append(raw)
            continue
        yield from iter_inputs(local, stdin=stdin)
        local = []
        expanded = expand_uri(raw)
        yield from ([expanded] if isinstance(expanded, InputProblem) else expanded)
    yield from iter_inputs(local, stdin=stdin)


def content_hash(path: str) -> tuple[str | None, int | None]:
    """``(sha256, size)`` of a scan input (file or URI), or ``(None, None)`` when it cannot be read."""
    if is_uri(path):
        try:
            data = read_uri(path, Limits.from_env().max_bytes)
        except ProvenanceError:
            return None, None
        return sha256_bytes(data), len(data)
    try:
        return sha256_file(path), os.path.getsize(path)
    except OSError:
        return None, None
