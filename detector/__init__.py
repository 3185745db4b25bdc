"""Pixel detectors: the registry, their configuration and the interface (no torch at import time)."""

from veracity.detector.base import BaseDetector, Detector
from veracity.detector.config import DetectorCfg
from veracity.detector.errors import DetectorError
from veracity.detector.registry import Registry, create_detector, detector_cfg, list_detectors, register_detector

__all__ = [
    "BaseDetector",
    "Detector",
    "DetectorCfg",
    "DetectorError",
    "Registry",
    "create_detector",
    "detector_cfg",
    "list_detectors",
    "register_detector",
]
