"""The ASGI application: the ``/v1`` API, the web page at ``/``, and the OpenAPI document with its docs.

Endpoints:
    ``POST /v1/check``     one file (multipart or raw body) -> the report ``veracity check --format json``
                           prints for it; ``?format=html`` -> the HTML report.
    ``GET /v1/health``     liveness and readiness (503 until a worker has loaded the detector).
    ``GET /v1/version``    package, model and schema versions.
    ``GET /v1/detectors``  the detectors installed, and which one this server runs.
    ``GET /``              the web page; ``/docs`` and ``/openapi.json`` the API description.

Statuses of ``POST /v1/check``: 200 a report; 400 a malformed request; 401 a missing or wrong API key;
413 over the byte limit (while streaming); 415 not a supported medium; 422 corrupt, empty or over the pixel
limit (the body is the error record ``check`` writes); 429 the queue is full; 500 the worker analysing the
file died (it is replaced); 503 starting or no worker could start; 504 over the time limit (the worker is replaced).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from veracity.cli.serve import workers
from veracity.cli.serve.errors import RequestError
from veracity.cli.serve.logs import AccessLogMiddleware
from veracity.cli.serve.models import DetectorList, ErrorBody, Health, VersionInfo
from veracity.cli.serve.openapi import ERROR_RECORD_REF, REPORT_REF, install_openapi
from veracity.cli.serve.page import REPORT_POLICY, load_page
from veracity.cli.serve.settings import DEFAULT_DETECTOR, ServeSettings
from veracity.cli.serve.uploads import receive_upload

log = logging.getLogger("veracity.serve")

#: Status of an error record, by the kind of error (any other kind of unreadable file: 422).
STATUS_BY_ERROR_KIND = {"UnsupportedMediaError": 415, "AssetLimitError": 422, "CorruptAssetError": 422}
STATUS_BY_FAILURE = {workers.WORKER_DIED: 500, workers.INTERNAL_ERROR: 500, workers.ANALYSIS_TIMEOUT: 504}

_ERROR = {"model": ErrorBody}
CHECK_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report, as `veracity check --format json` prints it for this file (or, with "
        "`?format=html`, the HTML report).",
        "content": {"application/json": {"schema": REPORT_REF}, "text/html": {"schema": {"type": "string"}}},
    },
    400: {**_ERROR, "description": "Malformed request (multipart body without a file, bad query parameter)."},
    401: {**_ERROR, "description": "This server requires an API key and none, or a wrong one, was sent."},
    413: {**_ERROR, "description": "The file is over the byte limit (found while the body streamed in)."},
    415: {"description": "Not a supported medium.", "content": {"application/json": {"schema": ERROR_RECORD_REF}}},
    422: {
        "description": "Corrupt, empty, or over the pixel limit: the error record `veracity check` writes.",
        "content": {"application/json": {"schema": ERROR_RECORD_REF}},
    },
    429: {**_ERROR, "description": "Every worker is busy and the queue is full; retry after `Retry-After` s."},
    500: {**_ERROR, "description": "The worker analysing this file died (kind `WorkerDied`); it was replaced."},
    503: {**_ERROR, "description": "Starting (no worker has loaded the detector yet), or no worker could start."},
    504: {**_ERROR, "description": "The analysis ran past the time limit (kind `AnalysisTimeout`); stopped."},
}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def create_app(settings: ServeSettings) -> FastAPI:
    """The service for ``settings``; its workers start when the app does (uvicorn's lifespan)."""
    from veracity.provenance.versions import package_version

    __version__ = package_version("veracity", "0+unknown")

    pool = workers.AnalysisPool(
        settings.worker,
        workers=settings.workers,
        queue_size=settings.queue_size,
        timeout_s=settings.timeout_s,
        start_timeout_s=settings.worker_start_timeout_s,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Uploads live only here (mode 0700), each removed after its request, the folder at shutdown.
        app.state.upload_dir = Path(tempfile.mkdtemp(prefix="veracity-serve-"))
        log.info(
            "uploads go to a private folder",
            extra={"fields": {"event": "upload_folder", "path": str(app.state.upload_dir)}},
        )
        await pool.start()
        try:
            yield
        finally:
            await pool.close()
            shutil.rmtree(app.state.upload_dir, ignore_errors=True)

    app = FastAPI(
        title="veracity",
        version=__version__,
        description="Tell whether an image came from a camera or a generative model, and who vouches for it.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.pool = pool
    app.state.settings = settings
    _install_error_handlers(app)
    install_openapi(app)
    if settings.cors_origins:  # off unless configured: browsers on other origins get no access
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            max_age=600,
        )
    app.add_middleware(AccessLogMiddleware)  # added last: the outermost, so it sees every answer
    guard = [Depends(require_api_key)] if settings.api_keys else []
    _add_routes(app, pool, settings, guard)
    return app


def _add_routes(app: FastAPI, pool: workers.AnalysisPool, settings: ServeSettings, guard: list) -> None:
    @app.post("/v1/check", dependencies=guard, responses=CHECK_RESPONSES, openapi_extra=UPLOAD_BODY)
    async def check(
        request: Request,
        output_format: Annotated[Literal["json", "html"], Query(alias="format", description="json or html.")] = "json",
        name: Annotated[str | None, Query(description="File name for the report, for a raw body.")] = None,
    ) -> Any:
        """Check one file: its provenance, its metadata, watermarks and the classifier, fused into a verdict."""
        _check_ready(pool)
        if not pool.try_admit():
            raise RequestError(
                429,
                "QueueFull",
                f"All {pool.capacity} places (workers and queue) are taken; retry shortly.",
                {"Retry-After": "1"},
            )
        try:
            upload = await receive_upload(
                request.stream(),
                content_type=request.headers.get("content-type", ""),
                content_length=_content_length(request),
                folder=request.app.state.upload_dir,
                max_bytes=settings.max_bytes,
                name=name,
            )
            try:
                outcome = await pool.analyze(workers.Job(str(upload.path), upload.name, output_format == "html"))
            finally:
                upload.path.unlink(missing_ok=True)
        finally:
            pool.release()
        return _answer(request, outcome)

    @app.get("/v1/health", response_model=Health, responses={503: {"model": Health}})
    async def health() -> JSONResponse:
        """Liveness and readiness: 200 while a worker has its detector loaded; 503 while starting, while every
        worker is being replaced, or when none can start (``reason`` says why)."""
        body = Health(
            status=pool.state,
            ready=pool.workers_ready > 0,
            workers_ready=pool.workers_ready,
            workers=pool.size,
            queued=pool.pending,
            capacity=pool.capacity,
            worker_restarts=pool.restarts,
            reason=pool.failure,
        )
        return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)

    @app.get("/v1/version", response_model=VersionInfo, dependencies=guard)
    def version() -> VersionInfo:  # reads package metadata: in the thread pool, off the event loop
        """Versions of veracity, the report schema, the loaded model and the libraries that shape a report."""
        from veracity.provenance.report import SCHEMA_VERSION
        from veracity.provenance.versions import package_versions

        return VersionInfo(
            veracity=app.version,
            report_schema=SCHEMA_VERSION,
            detector=_active_detector(settings),
            model=pool.model,
            libraries=package_versions(("c2pa-python", "pillow", "onnxruntime")),
        )

    @app.get("/v1/detectors", response_model=DetectorList, dependencies=guard)
    def detectors() -> DetectorList:
        """The detectors installed here (built-in and plugins), and the one this server runs."""
        from veracity.benchmarks.harness.listing import describe_detectors

        active = _active_detector(settings)
        entries = [{**entry, "active": entry["name"] == active} for entry in describe_detectors()]
        return DetectorList(active=active, detectors=entries)

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        loaded = load_page()
        return HTMLResponse(loaded.html, headers={"Content-Security-Policy": loaded.content_security_policy})


def _answer(request: Request, outcome: workers.Outcome) -> JSONResponse | HTMLResponse:
    """The response for a worker's outcome (see the module docstring for the statuses)."""
    if outcome.failure is not None:
        request.state.log["error_kind"] = outcome.failure
        raise RequestError(STATUS_BY_FAILURE[outcome.failure], outcome.failure, outcome.message)
    record = outcome.record
    if record["record_type"] == "error":
        kind = record["error"]["kind"]
        request.state.log["error_kind"] = kind
        return JSONResponse(record, status_code=STATUS_BY_ERROR_KIND.get(kind, 422))
    request.state.log["verdict"] = record["verdict"]["label"]
    if outcome.html is not None:
        return HTMLResponse(outcome.html, headers={"Content-Security-Policy": REPORT_POLICY})
    return JSONResponse(record)


def _check_ready(pool: workers.AnalysisPool) -> None:
    if pool.state == workers.STARTING:
        raise RequestError(
            503,
            "Starting",
            "The server is starting: the detector is still loading. Retry shortly.",
            {"Retry-After": "2"},
        )
    if pool.state == workers.FAILED:
        raise RequestError(503, "NoWorker", f"No analysis worker could start: {pool.failure}")


def _content_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        raise RequestError(400, "BadRequest", f"Content-Length must be an integer. Got {raw!r}.") from None


def _active_detector(settings: ServeSettings) -> str | None:
    if settings.worker.detector == DEFAULT_DETECTOR:
        from veracity.detector.default import DEFAULT_DETECTOR as shipped

        return shipped
    return settings.worker.detector


# Declared once at module level: FastAPI reads the dependency's annotations, which must resolve here.
_BEARER = HTTPBearer(auto_error=False, description="An API key from the server's --api-keys file.")
_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, in its own header.")


async def require_api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
    key: Annotated[str | None, Security(_KEY_HEADER)],
) -> None:
    """Refuse the request (401) unless it carries one of the server's API keys, in either header."""
    presented = credentials.credentials if credentials is not None else key
    if not request.app.state.settings.api_keys.accepts(presented):
        reason = "The API key was not accepted." if presented else "This server requires an API key."
        raise RequestError(
            401,
            "Unauthorized",
            f"{reason} Send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'.",
            {"WWW-Authenticate": "Bearer"},
        )


def _install_error_handlers(app: FastAPI) -> None:
    """Every error answers ``{"error": {"kind", "message"}}`` (FastAPI's default is ``{"detail": ...}``)."""

    @app.exception_handler(RequestError)
    async def request_error(request: Request, exc: RequestError) -> JSONResponse:
        request.state.log.setdefault("error_kind", exc.kind)
        return JSONResponse(exc.to_dict(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        body = {"error": {"kind": kind, "message": f"{request.method} {request.url.path}: {exc.detail}"}}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette still logs the traceback; the client gets JSON, not a plain-text page.
        body = {"error": {"kind": "InternalError", "message": f"Unexpected server error ({type(exc).__name__})."}}
        return JSONResponse(body, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors())
        return JSONResponse({"error": {"kind": "BadRequest", "message": problems}}, status_code=400)
