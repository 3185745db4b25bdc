"""Installed versions of veracity and its libraries, as reports, runs and signed manifests record them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, version

NOT_INSTALLED = "not installed"


@cache
def package_version(distribution: str, default: str = NOT_INSTALLED) -> str:
    """The installed version of ``distribution`` (e.g. ``"c2pa-python"``), or ``default`` when absent."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return default


def package_versions(distributions: Iterable[str]) -> dict[str, str]:
    """``{distribution: version}`` for each name, ``"not installed"`` for those missing."""
    return {name: package_version(name) for name in distributions}
