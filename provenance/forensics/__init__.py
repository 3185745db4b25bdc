"""Forensic views of an image's pixels, computed at native resolution (numpy and Pillow only, never torch).

Each view is a function of a decoded image that returns an image (or tables) to look at: error-level
analysis, a noise residual, the Fourier spectrum, the JPEG quantisation tables with the estimated IJG
quality, and the classifier's per-tile heatmap. They are computed on the full-resolution pixels; only
`for_display` shrinks a result, and only for showing it.
"""

from __future__ import annotations

from veracity.provenance.forensics.display import for_display
from veracity.provenance.forensics.ela import error_level_analysis
from veracity.provenance.forensics.heatmap import tile_heatmap
from veracity.provenance.forensics.noise import noise_residual
from veracity.provenance.forensics.quantisation import QuantisationTable, estimate_ijg_quality, read_quantisation
from veracity.provenance.forensics.spectrum import fourier_spectrum

__all__ = [
    "QuantisationTable",
    "error_level_analysis",
    "estimate_ijg_quality",
    "for_display",
    "fourier_spectrum",
    "noise_residual",
    "read_quantisation",
    "tile_heatmap",
]
