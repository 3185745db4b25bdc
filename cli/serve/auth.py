"""API keys: loaded from a file, compared in constant time, never logged or echoed.

The file holds one key per line; blank lines and lines starting with ``#`` are ignored. Only the keys'
SHA-256 digests are kept in memory, and a presented key is compared with every digest (no early exit), so
neither the position of a matching key nor how much of a wrong key matched shows in the response time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from pathlib import Path

from veracity.cli.serve.errors import ApiKeyFileError

#: Keys shorter than this are refused when the file is loaded: they are guessable.
MIN_KEY_LENGTH = 16


class ApiKeys:
    """The accepted API keys (as digests).

    Args:
        keys: the keys in clear text; only their digests are kept.

    Raises:
        ApiKeyFileError: no key given, or a key shorter than `MIN_KEY_LENGTH`.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if not keys:
            raise ApiKeyFileError("No API key given: the keys file must hold at least one key, one per line.")
        short = sum(len(key) < MIN_KEY_LENGTH for key in keys)
        if short:
            raise ApiKeyFileError(
                f"{short} API key(s) are shorter than {MIN_KEY_LENGTH} characters; use long random keys "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
            )
        self._digests = tuple(_digest(key) for key in keys)

    @classmethod
    def load(cls, path: str | Path) -> ApiKeys:
        """Read the keys file at ``path``.

        Raises:
            ApiKeyFileError: the file cannot be read or holds no usable key (the message never shows a key).
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ApiKeyFileError(f"Cannot read the API keys file {path}: {exc.__class__.__name__}.") from None
        keys = [line.strip() for line in text.splitlines()]
        try:
            return cls(key for key in keys if key and not key.startswith("#"))
        except ApiKeyFileError as exc:
            raise ApiKeyFileError(f"{path}: {exc}") from None

    def __len__(self) -> int:
        return len(self._digests)

    def __repr__(self) -> str:
        return f"ApiKeys(<{len(self)} key(s)>)"

    def accepts(self, presented: str | None) -> bool:
        """Whether ``presented`` is one of the keys; the time taken does not depend on which one or how close."""
        if not presented:
            return False
        candidate = _digest(presented)
        accepted = False
        for digest in self._digests:
            accepted |= hmac.compare_digest(candidate, digest)
        return accepted


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()
