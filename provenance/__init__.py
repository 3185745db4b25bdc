"""Provenance: open files safely, read their provenance signals, fuse a verdict, write reports.

This package never imports torch or timm. Its names load on first use (PEP 562), so that importing
a light module such as `provenance.labels` does not pull in the C2PA SDK, numpy or Pillow.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AnalysisOptions": "provenance.pipeline",
    "Asset": "provenance.asset",
    "AssetAccessError": "provenance.errors",
    "AssetError": "provenance.errors",
    "AssetLimitError": "provenance.errors",
    "AssetNotFoundError": "provenance.errors",
    "CorruptAssetError": "provenance.errors",
    "DecodedImage": "provenance.asset",
    "EmptyAssetError": "provenance.errors",
    "ErrorRecord": "provenance.report",
    "Finding": "provenance.signals",
    "KeygenError": "provenance.errors",
    "Limits": "provenance.asset",
    "ManifestReadError": "provenance.errors",
    "ManifestResult": "provenance.manifest",
    "ProvenanceError": "provenance.errors",
    "Report": "provenance.report",
    "SignalResult": "provenance.signals",
    "SigningError": "provenance.errors",
    "TrustError": "provenance.errors",
    "TrustSettings": "provenance.trust",
    "UnsupportedMediaError": "provenance.errors",
    "Verdict": "provenance.verdict",
    "analyze": "provenance.pipeline",
    "analyze_or_error": "provenance.pipeline",
    "create_dev_credentials": "provenance.keygen",
    "fuse": "provenance.verdict",
    "load_asset": "provenance.asset",
    "read_manifest": "provenance.manifest",
    "sign_file": "provenance.signing",
    "verify_manifest": "provenance.manifest",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'provenance' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
