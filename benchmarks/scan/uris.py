"""Object-storage inputs for scans: ``s3://``, ``gs://``, ``file://`` and any URI pyarrow's filesystems read.

URIs are listed in the driver (a prefix or folder expands to the media files below it) and read as bytes
by whichever engine scores them, so the per-file work is the same for a local path and an object.
Reading remote objects uses the network by nature: it only happens for URIs the user passes.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from veracity.provenance.assets.inputs import MEDIA_EXTENSIONS, InputProblem
from veracity.provenance.errors import AssetAccessError, AssetLimitError, AssetNotFoundError

_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_uri(text: str) -> bool:
    """True for ``scheme://...`` inputs (but not Windows drive paths)."""
    return bool(_URI.match(text))


def _filesystem(uri: str):
    try:
        from pyarrow import fs
    except ImportError as exc:
        raise AssetAccessError(
            f"{uri}: reading URIs needs pyarrow: pip install 'veracity[parquet]'.", path=uri
        ) from exc
    try:
        return fs.FileSystem.from_uri(uri)
    except (ValueError, OSError) as exc:
        raise AssetAccessError(f"{uri}: unsupported or unreachable URI ({exc}).", path=uri) from exc


def expand_uri(uri: str) -> list[str] | InputProblem:
    """The object URIs behind ``uri``: itself for an object, its media files for a prefix or folder."""
    from pyarrow import fs

    try:
        filesystem, path = _filesystem(uri)
        info = filesystem.get_file_info(path)
        scheme = uri.split("://", 1)[0]
        if info.type == fs.FileType.File:
            return [uri]
        if info.type == fs.FileType.NotFound:
            return InputProblem(uri, "AssetNotFoundError", f"{uri}: no such object or prefix.")
        selector = fs.FileSelector(path, recursive=True)
        found = sorted(
            f"{scheme}://{entry.path}"
            for entry in filesystem.get_file_info(selector)
            if entry.type == fs.FileType.File and PurePosixPath(entry.path).suffix.lower() in MEDIA_EXTENSIONS
        )
    except AssetAccessError as exc:
        return InputProblem(uri, exc.kind, str(exc))
    except OSError as exc:
        return InputProblem(uri, "AssetAccessError", f"{uri}: cannot list ({exc}).")
    return found or InputProblem(uri, "AssetNotFoundError", f"{uri}: the prefix holds no media files.")


def read_uri(uri: str, max_bytes: int) -> bytes:
    """The object's bytes, refusing objects over ``max_bytes`` before reading them.

    Raises:
        AssetNotFoundError, AssetAccessError, AssetLimitError: with the URI and the reason.
    """
    from pyarrow import fs

    filesystem, path = _filesystem(uri)
    try:
        info = filesystem.get_file_info(path)
        if info.type == fs.FileType.NotFound:
            raise AssetNotFoundError(f"{uri}: no such object.", path=uri)
        if info.size is not None and info.size > max_bytes:
            raise AssetLimitError(
                f"{uri}: object is {info.size:,} bytes, over the limit of {max_bytes:,} bytes. "
                "Raise it with --max-bytes or VERACITY_MAX_BYTES.",
                path=uri,
            )
        with filesystem.open_input_stream(path) as stream:
            return stream.read(max_bytes + 1)
    except OSError as exc:
        raise AssetAccessError(f"{uri}: cannot be read ({exc}).", path=uri) from exc
