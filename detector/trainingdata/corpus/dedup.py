"""Perceptual-hash near-duplicate index.

Uses ``imagehash.phash`` (64-bit DCT hash). Two images are near-duplicates when the Hamming
distance of their hashes is at most ``max_distance`` (default 6 of 64 bits: re-encodes,
resizes and light edits of one picture, not two different pictures of one scene).
"""

from __future__ import annotations

from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image

__all__ = ["DEFAULT_MAX_DISTANCE", "NearDuplicateIndex", "NearMatch", "perceptual_hash"]

DEFAULT_MAX_DISTANCE = 6


def perceptual_hash(image: Image.Image) -> int:
    """Return the 64-bit ``imagehash.phash`` of ``image`` as an unsigned int."""
    bits = imagehash.phash(image).hash.flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


@dataclass(frozen=True)
class NearMatch:
    """The closest indexed image within the distance limit.

    Attributes:
        key: The key it was added with (e.g. the output file name).
        distance: Hamming distance in bits.
    """

    key: str
    distance: int


class NearDuplicateIndex:
    """Linear-scan index of 64-bit hashes (vectorised; fine for tens of thousands).

    Args:
        max_distance: Largest Hamming distance that still counts as a near-duplicate.
    """

    def __init__(self, max_distance: int = DEFAULT_MAX_DISTANCE) -> None:
        if not 0 <= max_distance <= 64:
            raise ValueError(f"The 'max_distance' parameter must be an int in [0, 64]. Got {max_distance} instead.")
        self.max_distance = max_distance
        self._hashes = np.zeros(1024, dtype=np.uint64)
        self._keys: list[str] = []

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, phash: int, key: str) -> None:
        """Index ``phash`` under ``key``."""
        n = len(self._keys)
        if n == self._hashes.size:
            self._hashes = np.concatenate([self._hashes, np.zeros(n, dtype=np.uint64)])
        self._hashes[n] = np.uint64(phash)
        self._keys.append(key)

    def find(self, phash: int) -> NearMatch | None:
        """Return the closest indexed hash within ``max_distance``, or ``None``."""
        n = len(self._keys)
        if n == 0:
            return None
        distances = np.bitwise_count(self._hashes[:n] ^ np.uint64(phash))
        best = int(np.argmin(distances))
        if int(distances[best]) > self.max_distance:
            return None
        return NearMatch(self._keys[best], int(distances[best]))
