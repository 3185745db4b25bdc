"""Provenance: open files safely, read their provenance signals, fuse a verdict, write reports.

This package never imports torch or timm. Its names load on first use (PEP 562), so that importing
a light module such as `veracity.provenance.labels` does not pull in the C2PA SDK, numpy or Pillow.
"""

from __future__ import annotations

from veracity._lazy import lazy_exports

_EXPORTS = {
    "AnalysisOptions": "veracity.provenance.options",
    "Asset": "veracity.provenance.assets.asset",
    "AssetAccessError": "veracity.provenance.errors",
    "AssetError": "veracity.provenance.errors",
    "AssetLimitError": "veracity.provenance.errors",
    "AssetNotFoundError": "veracity.provenance.errors",
    "CorruptAssetError": "veracity.provenance.errors",
    "DecodedImage": "veracity.provenance.assets.asset",
    "EmptyAssetError": "veracity.provenance.errors",
    "ErrorRecord": "veracity.provenance.report",
    "Finding": "veracity.provenance.signals",
    "KeygenError": "veracity.provenance.errors",
    "Limits": "veracity.provenance.assets.asset",
    "ManifestReadError": "veracity.provenance.errors",
    "ManifestResult": "veracity.provenance.credentials.reader",
    "ProvenanceError": "veracity.provenance.errors",
    "Report": "veracity.provenance.report",
    "SignalResult": "veracity.provenance.signals",
    "SigningError": "veracity.provenance.errors",
    "TrustError": "veracity.provenance.errors",
    "TrustSettings": "veracity.provenance.credentials.trust",
    "UnsupportedMediaError": "veracity.provenance.errors",
    "Verdict": "veracity.provenance.fusion.verdict",
    "analyze": "veracity.provenance.pipeline",
    "analyze_or_error": "veracity.provenance.pipeline",
    "create_dev_credentials": "veracity.provenance.credentials.keygen",
    "fuse": "veracity.provenance.fusion.verdict",
    "load_asset": "veracity.provenance.assets.asset",
    "read_manifest": "veracity.provenance.credentials.reader",
    "sign_file": "veracity.provenance.credentials.signing",
    "verify_manifest": "veracity.provenance.credentials.reader",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
