"""The API's own response models (pydantic); reports keep the versioned JSON Schema of ``veracity check``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    kind: str = Field(description="Machine-readable reason: QueueFull, UploadTooLarge, AnalysisTimeout, ...")
    message: str = Field(description="What was wrong and what to do, for people.")


class ErrorBody(BaseModel):
    """Every error the service itself answers (analysis errors are error records of the report schema)."""

    error: ErrorDetail


class ModelInfo(BaseModel):
    name: str = Field(description="Detector name, `<arch>.<training_tag>`.")
    weights_sha256: str | None = None
    threshold: float | None = None
    bands: list[float] | None = Field(None, description="(low, high) P(generated) bands of the verdict.")
    calibrated: bool | None = None
    license: str | None = None


class Health(BaseModel):
    status: Literal["starting", "ok", "degraded", "failed"] = Field(
        description="starting: no worker has loaded the detector yet (503); ok: all workers ready; degraded: "
        "some are being replaced; failed: none could start (503)."
    )
    ready: bool = Field(description="Whether an analysis can run now (the detector is loaded).")
    workers_ready: int
    workers: int
    queued: int = Field(description="Requests being analysed or waiting for a worker.")
    capacity: int = Field(description="Requests accepted at once (workers + queue); one more gets 429.")
    worker_restarts: int = Field(description="Workers replaced after dying or running past the time limit.")
    reason: str | None = Field(None, description="Why workers failed to start, when they did.")


class VersionInfo(BaseModel):
    veracity: str
    api: Literal["v1"] = "v1"
    report_schema: str = Field(description="Version of the report JSON Schema (`schema_version` of reports).")
    detector: str | None = Field(description="The detector this server runs (`null`: provenance signals only).")
    model: ModelInfo | None = Field(description="The loaded model; `null` until a worker has loaded it.")
    libraries: dict[str, str]


class DetectorEntry(BaseModel):
    name: str
    active: bool = Field(description="Whether this server's workers run it.")
    cfg: dict[str, Any] | None = Field(description="Its default configuration (`null` when it declares none).")


class DetectorList(BaseModel):
    active: str | None
    detectors: list[DetectorEntry]
