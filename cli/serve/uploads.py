"""Receive one uploaded file into the service's private folder, checking the byte limit while it streams.

Two request shapes are accepted: ``multipart/form-data`` with the file in a part named ``file`` (or the
first part that carries a filename), as browsers and ``curl -F file=@photo.jpg`` send it, and a raw body
(``curl --data-binary @photo.jpg``), named by the ``name`` query parameter. The body is never held in
memory whole and never written anywhere but the private folder; a declared ``Content-Length`` over the
limit is refused before a byte is read, and a body that grows past it is refused as soon as it does.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from veracity.cli.serve.errors import BadUploadError, UploadTooLargeError

#: What a multipart body may carry beyond the file itself (boundaries, part headers, small extra fields).
MULTIPART_OVERHEAD = 64 * 1024
DEFAULT_NAME = "upload"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Upload:
    """An upload saved in the private folder.

    Attributes:
        path: the temporary file (the caller removes it).
        name: how the report names the file: the client's file name without any folder, or ``upload``.
        size: bytes.
    """

    path: Path
    name: str
    size: int


async def receive_upload(
    chunks: AsyncIterator[bytes],
    *,
    content_type: str,
    content_length: int | None,
    folder: Path,
    max_bytes: int,
    name: str | None = None,
) -> Upload:
    """Stream a request body into a new file in ``folder``.

    Args:
        chunks: the request body as it arrives (Starlette's ``request.stream()``).
        content_type: the request's ``Content-Type`` header ('' when absent).
        content_length: the declared ``Content-Length``, or ``None`` (chunked transfer).
        folder: the private folder uploads go to.
        max_bytes: the largest file accepted.
        name: the file name for a raw body (``?name=``); multipart bodies carry their own.

    Returns:
        The saved `Upload`; the caller deletes ``path`` when done.

    Raises:
        UploadTooLargeError: the file is over ``max_bytes`` (declared, or found while streaming).
        BadUploadError: a multipart body without a file part, or a malformed one.
    """
    media_type, params = parse_options_header(content_type)
    multipart = media_type == b"multipart/form-data"
    overhead = MULTIPART_OVERHEAD if multipart else 0
    if content_length is not None and content_length > max_bytes + overhead:
        raise UploadTooLargeError(max_bytes)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix="upload-")  # mode 0600, in a 0700 folder
    path = Path(temporary)
    try:
        with os.fdopen(descriptor, "wb") as sink:
            if multipart:
                boundary = params.get(b"boundary")
                if not boundary:
                    raise BadUploadError("The multipart/form-data body has no boundary in its Content-Type header.")
                part = _FilePart(sink, max_bytes, max_bytes + overhead)
                await part.read(chunks, boundary)
                size, name = part.size, part.filename
            else:
                size = await _copy(chunks, sink, max_bytes)
        return Upload(path=path, name=display_name(name), size=size)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def display_name(name: str | None) -> str:
    """The client's file name as reports show it: no folders, no control characters, at most 200 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _UNSAFE.sub("", base).strip()[:200]
    return base if base not in ("", ".", "..") else DEFAULT_NAME


async def _copy(chunks: AsyncIterator[bytes], sink, max_bytes: int) -> int:
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise UploadTooLargeError(max_bytes)
        # A local write of one network chunk takes microseconds: not worth a thread hop.
        sink.write(chunk)
    return size


class _FilePart:
    """Callbacks of python-multipart's streaming parser that keep the file part and drop the rest."""

    def __init__(self, sink, max_bytes: int, max_body: int) -> None:
        self.sink, self.max_bytes, self.max_body = sink, max_bytes, max_body
        self.size = 0
        self.filename: str | None = None
        self._found = self._in_file = False
        self._field = self._value = b""
        self._headers: dict[bytes, bytes] = {}

    async def read(self, chunks: AsyncIterator[bytes], boundary: bytes) -> None:
        callbacks = {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }
        parser = MultipartParser(boundary, callbacks)
        body = 0
        try:
            async for chunk in chunks:
                body += len(chunk)
                if body > self.max_body:
                    raise UploadTooLargeError(self.max_bytes)
                parser.write(chunk)
            parser.finalize()
        except MultipartParseError as exc:
            raise BadUploadError(f"The multipart/form-data body is malformed ({exc}).") from None
        if not self._found:
            raise BadUploadError(
                "The multipart/form-data body has no file: send it in a part named 'file' "
                "(curl -F file=@photo.jpg), or send the bytes as the raw body."
            )

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        _, disposition = parse_options_header(self._headers.get(b"content-disposition", b""))
        filename = disposition.get(b"filename")
        wanted = disposition.get(b"name") == b"file" or bool(filename)
        self._in_file = wanted and not self._found
        if self._in_file:
            self._found = True
            self.filename = filename.decode("utf-8", "replace") if filename is not None else None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            return  # other fields are read past, bounded by the body limit
        self.size += end - start
        if self.size > self.max_bytes:
            raise UploadTooLargeError(self.max_bytes)
        self.sink.write(data[start:end])

    def _part_end(self) -> None:
        self._in_file = False
