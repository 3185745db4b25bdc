"""`DetectorCfg`: everything that travels with a detector's weights (STYLE.md §4).

Transforms, thresholds and the verdict bands derive from the config, so a script never retypes mean/std.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from veracity.detector.errors import DetectorConfigError
from veracity.provenance import labels

CLASSES: tuple[str, str] = ("real", "generated")


@dataclass(frozen=True)
class DetectorCfg:
    """A detector's fixed configuration.

    Attributes:
        name: registry name, ``<arch>.<training_tag>``.
        input_size: side in pixels of the square crop (or tile) the model sees; ``None`` when any size works.
        n_crops: crops (tiles) scored per image; their p_generated values are averaged.
        interpolation: resize filter name (PIL), when the detector resizes.
        mean: per-channel RGB mean in [0, 1] used to normalise input.
        std: per-channel RGB std.
        classes_: class order of ``predict_proba`` columns; always ``("real", "generated")``.
        threshold: p_generated at or above which a file counts as generated (binary decision).
        bands: ``(low, high)``: below ``low`` is likely-real, at or above ``high`` likely-generated,
            inconclusive between.
        calibrated: whether p_generated was calibrated (e.g. temperature or Platt scaling) on held-out data.
        weights_file: weights or fitted-parameter file name, relative to the checkpoint folder; ``None`` if none.
        weights_sha256: expected sha256 of ``weights_file``.
        license: license of the weights.
        notes: free text for a person (training data, caveats).
        params: detector-specific settings (JSON-serialisable).
    """

    name: str
    input_size: int | None = None
    n_crops: int = 1
    interpolation: str = "bicubic"
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    classes_: tuple[str, str] = CLASSES
    threshold: float = 0.5
    bands: tuple[float, float] = (0.3, 0.7)
    calibrated: bool = False
    weights_file: str | None = None
    weights_sha256: str | None = None
    license: str | None = None
    notes: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # JSON gives lists; keep tuples so two equal configs compare equal.
        for name in ("mean", "std", "classes_", "bands"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if tuple(self.classes_) != CLASSES:
            raise DetectorConfigError(f"DetectorCfg.classes_ must be {CLASSES}. Got {self.classes_!r} instead.")
        if not 0.0 <= self.threshold <= 1.0:
            raise DetectorConfigError(f"DetectorCfg.threshold must be in [0, 1]. Got {self.threshold!r} instead.")
        low, high = self.bands if len(self.bands) == 2 else (None, None)
        if low is None or not 0.0 <= low <= high <= 1.0:
            raise DetectorConfigError(
                f"DetectorCfg.bands must be (low, high) with 0 <= low <= high <= 1. Got {self.bands!r} instead."
            )
        if self.input_size is not None and self.input_size <= 0:
            raise DetectorConfigError(f"DetectorCfg.input_size must be positive. Got {self.input_size!r} instead.")
        if self.n_crops < 1:
            raise DetectorConfigError(f"DetectorCfg.n_crops must be >= 1. Got {self.n_crops!r} instead.")
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise DetectorConfigError(
                f"DetectorCfg.mean/std must be 3 values with std > 0. Got mean={self.mean}, std={self.std}."
            )

    def band(self, p_generated: float) -> str:
        """The verdict band of ``p_generated``: likely-real, inconclusive or likely-generated."""
        low, high = self.bands
        if p_generated >= high:
            return labels.LIKELY_GENERATED
        if p_generated < low:
            return labels.LIKELY_REAL
        return labels.INCONCLUSIVE

    def replace(self, **overrides: Any) -> DetectorCfg:
        """A copy with ``overrides`` applied; ``None`` values mean "not set" and are dropped.

        Raises:
            DetectorConfigError: an override names no field.
        """
        overrides = {k: v for k, v in overrides.items() if v is not None}
        unknown = sorted(set(overrides) - _field_names())
        if unknown:
            raise DetectorConfigError(
                f"Unknown DetectorCfg field(s) {unknown} for {self.name!r}. Known: {', '.join(sorted(_field_names()))}."
            )
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for name in ("mean", "std", "classes_", "bands"):
            out[name] = list(out[name])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectorCfg:
        """Inverse of `to_dict`.

        Raises:
            DetectorConfigError: a key names no field, or ``name`` is missing.
        """
        unknown = sorted(set(data) - _field_names())
        if unknown:
            raise DetectorConfigError(
                f"Unknown DetectorCfg key(s) {unknown}. Known: {', '.join(sorted(_field_names()))}."
            )
        if "name" not in data:
            raise DetectorConfigError("A DetectorCfg needs a 'name'. Got keys: " + ", ".join(sorted(data)))
        return cls(**data)


def _field_names() -> set[str]:
    return {f.name for f in dataclasses.fields(DetectorCfg)}
