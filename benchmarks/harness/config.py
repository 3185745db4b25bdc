"""`BenchConfig`: what one benchmark run does, resolved from flags > YAML > defaults (STYLE.md §4)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veracity.benchmarks.errors import BenchConfigError
from veracity.detector.default import DEFAULT_DETECTOR

#: The shipped default first (what `veracity check` runs), then the baselines and the provenance-only scorer.
DEFAULT_DETECTORS = (
    DEFAULT_DETECTOR,
    "spectral.durall2020",
    "dct.frank2020",
    "provenance.signals",
    "veracity.pipeline",
)


@dataclass(frozen=True)
class DetectorEntry:
    """One detector of a run: registry name (or ``module:factory``), optional checkpoint and cfg overrides."""

    name: str
    checkpoint: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, value: str | dict[str, Any]) -> DetectorEntry:
        """``"name"``, ``"name=checkpoint"`` or ``{"name": ..., "checkpoint": ..., "overrides": {...}}``."""
        if isinstance(value, dict):
            unknown = sorted(set(value) - {"name", "checkpoint", "overrides"})
            if unknown or "name" not in value:
                raise BenchConfigError(
                    f"A detector entry takes name, checkpoint, overrides. Got keys {sorted(value)} instead."
                )
            return cls(value["name"], value.get("checkpoint"), dict(value.get("overrides") or {}))
        name, sep, checkpoint = str(value).partition("=")
        return cls(name.strip(), checkpoint.strip() if sep else None)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "checkpoint": self.checkpoint, "overrides": self.overrides}


@dataclass(frozen=True)
class BenchConfig:
    """A benchmark run.

    Attributes:
        data: dataset folder or manifest.
        output: results folder (created; an existing run there is resumed).
        layout: dataset layout, ``None`` to detect it.
        detectors: detectors to compare.
        perturbations: perturbation chains; ``"none"`` is the original files.
        folds: source-grouped folds for cross-fitting trainable detectors (0: no split; trainable detectors
            then need a checkpoint).
        seed: seeds folds, perturbations and the bootstrap.
        workers: worker processes (0: in this process).
        batch_size: images per batched model call.
        n_boot: bootstrap resamples for the 95% intervals of each detector x perturbation.
        task_timeout_s: a file taking longer becomes an error.
        limit: use only the first N samples (sorted by path) when set; for quick looks.
    """

    data: str
    output: str
    layout: str | None = None
    detectors: tuple[DetectorEntry, ...] = tuple(DetectorEntry(n) for n in DEFAULT_DETECTORS)
    perturbations: tuple[str, ...] = ("none",)
    folds: int = 5
    seed: int = 0
    workers: int = 2
    batch_size: int = 64
    n_boot: int = 200
    task_timeout_s: float | None = 300.0
    limit: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["detectors"] = [d.to_dict() for d in self.detectors]
        out["perturbations"] = list(self.perturbations)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise BenchConfigError(f"Unknown benchmark config key(s) {unknown}. Known: {', '.join(sorted(names))}.")
        for required in ("data", "output"):
            if not data.get(required):
                raise BenchConfigError(f"The benchmark config needs {required!r} (a YAML key or --{required}).")
        data = dict(data)
        data["detectors"] = tuple(DetectorEntry.parse(d) for d in data.get("detectors") or DEFAULT_DETECTORS)
        data["perturbations"] = tuple(str(p) for p in data.get("perturbations") or ("none",))
        return cls(**data)


def resolve_config(
    config_file: str | os.PathLike[str] | None = None, *, default_output: str | None = None, **flags: Any
) -> BenchConfig:
    """Merge flags (``None`` = not set) over the YAML file over defaults.

    ``default_output`` applies when neither the file nor the flags name an output folder. Relative paths in
    the YAML file are relative to the file's folder.

    Raises:
        BenchConfigError: unreadable YAML, unknown keys or missing data/output.
    """
    values: dict[str, Any] = {"output": default_output} if default_output else {}
    if config_file is not None:
        import yaml

        path = Path(config_file)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise BenchConfigError(f"Cannot read benchmark config {str(path)!r}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise BenchConfigError(f"Benchmark config {str(path)!r} must be a mapping. Got {type(loaded).__name__}.")
        for key in ("data", "output"):
            if key in loaded and loaded[key] and not Path(loaded[key]).is_absolute():
                loaded[key] = str(path.parent / loaded[key])
        values.update(loaded)
    values.update({k: v for k, v in flags.items() if v is not None and v != ()})
    return BenchConfig.from_dict(values)
