"""Provenance: open files safely, read their provenance signals, fuse a verdict, write reports.

This package never imports torch or timm.
"""

from provenance.asset import Asset, DecodedImage, Limits, load_asset
from provenance.errors import (
    AssetAccessError,
    AssetError,
    AssetLimitError,
    AssetNotFoundError,
    CorruptAssetError,
    EmptyAssetError,
    ProvenanceError,
    UnsupportedMediaError,
)
from provenance.pipeline import AnalysisOptions, analyze, analyze_or_error
from provenance.report import ErrorRecord, Report
from provenance.signals import Finding, SignalResult
from provenance.verdict import Verdict, fuse

__all__ = [
    "AnalysisOptions",
    "Asset",
    "AssetAccessError",
    "AssetError",
    "AssetLimitError",
    "AssetNotFoundError",
    "CorruptAssetError",
    "DecodedImage",
    "EmptyAssetError",
    "ErrorRecord",
    "Finding",
    "Limits",
    "ProvenanceError",
    "Report",
    "SignalResult",
    "UnsupportedMediaError",
    "Verdict",
    "analyze",
    "analyze_or_error",
    "fuse",
    "load_asset",
]
