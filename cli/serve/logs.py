"""Structured logs: one JSON object per line on stderr, and an access log that never holds file contents.

An access record has the request id, method, path (never the query string), status, duration, bytes received,
the client address and, for analyses, the verdict label or error kind. Headers are never logged, so API keys
are not either.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from typing import Any

access_log = logging.getLogger("veracity.serve.access")

#: Loggers whose records go to the JSON handler (uvicorn's own start-up and error messages included).
LOGGERS = ("veracity.serve", "uvicorn", "uvicorn.error")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line; fields passed as ``extra={"fields": {...}}`` become keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime


def configure_logging(level: int = logging.INFO) -> None:
    """Send the service's and uvicorn's logs to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


class AccessLogMiddleware:
    """ASGI middleware: a request id on every response and one access record per request.

    Handlers add fields to the record through ``request.state.log`` (a dict), e.g. the verdict label.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        fields: dict[str, Any] = {}
        scope.setdefault("state", {})["log"] = fields
        received = 0
        status = 500  # what the client sees if the app fails before answering

        async def counting_receive() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        async def identified_send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *_common_headers(request_id)]
            await send(message)

        try:
            await self.app(scope, counting_receive, identified_send)
        finally:
            client = scope.get("client")
            record = {
                "event": "request",
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000.0, 1),
                "bytes_in": received,
                "client": client[0] if client else None,
                **fields,
            }
            access_log.info("%s %s %s", scope["method"], scope["path"], status, extra={"fields": record})


def _common_headers(request_id: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-request-id", request_id.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]
