"""Lazy package exports (PEP 562): a package lists its public names, each module loads on first use.

Importing a package then costs nothing beyond its own ``__init__``, so ``veracity --help`` and light
modules never pull in the C2PA SDK, numpy, ONNX Runtime or torch just because a sibling needs them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` whose public ``name`` lives in module ``exports[name]``.

    A target ``"module:attribute"`` exports that attribute under another public name.

    Example:
        >>> __getattr__, __dir__ = lazy_exports(__name__, {"analyze": "veracity.provenance.pipeline"})
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = target.partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        namespace[name] = value  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
