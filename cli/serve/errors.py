"""Errors of the HTTP service.

Hierarchy::

    ServeError
    ├── ApiKeyFileError (ValueError)     the --api-keys file cannot be used
    ├── WorkerStartError (RuntimeError)  an analysis worker could not load the detector
    └── RequestError                     a request the service answers with an error status
        ├── UploadTooLargeError          413: the body is over the byte limit (found while streaming)
        └── BadUploadError (ValueError)  400: the body is not an upload the service understands

A `RequestError` carries the HTTP status, a short machine-readable ``kind`` and a message naming the thing,
the value and the fix; the app turns it into ``{"error": {"kind": ..., "message": ...}}``.
"""

from __future__ import annotations


class ServeError(Exception):
    """Base class of every error the service raises on purpose."""


class ApiKeyFileError(ServeError, ValueError):
    """The API keys file is missing, unreadable or holds no key."""


class WorkerStartError(ServeError, RuntimeError):
    """An analysis worker process exited or failed before its detector was loaded."""


class RequestError(ServeError):
    """A request the service refuses, with the status and reason the client gets.

    Args:
        status: the HTTP status code.
        kind: short machine-readable name (``QueueFull``, ``Unauthorized``, ...).
        message: one sentence for people: what was wrong and what to do.
        headers: extra response headers (``Retry-After``, ``WWW-Authenticate``).
    """

    def __init__(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message
        self.headers = dict(headers or {})

    def to_dict(self) -> dict[str, dict[str, str]]:
        return {"error": {"kind": self.kind, "message": self.message}}


class UploadTooLargeError(RequestError):
    """The upload is over the byte limit; raised before or while the body streams in."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            413,
            "UploadTooLarge",
            f"The upload is larger than this server's limit of {max_bytes:,} bytes; send a smaller file "
            "(the operator sets the limit with --max-bytes).",
        )


class BadUploadError(RequestError, ValueError):
    """The request body is not an upload the service understands (400)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, "BadUpload", message)
