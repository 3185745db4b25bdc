"""Open an input once: bytes, sha256, media type sniffed from the bytes, limits, lazy pixel decode.

The original bytes are never changed. Pixels for analysis are a normalised 8-bit RGB copy; EXIF
orientation is recorded, not applied, because forensic traces live in the stored pixel grid.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import io
import os
import stat
import struct
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from PIL import Image, ImageFile, UnidentifiedImageError

from veracity.provenance.assets.mediatypes import MediaType, describe_unknown, sniff_media_type
from veracity.provenance.errors import (
    AssetAccessError,
    AssetLimitError,
    AssetNotFoundError,
    CorruptAssetError,
    EmptyAssetError,
    UnsupportedMediaError,
)

_ORIENTATION_TAG = 0x0112
_HEIF_MIMES = frozenset({"image/heic", "image/heif"})


@dataclass(frozen=True)
class Limits:
    """Resource limits checked before anything is decoded.

    Attributes:
        max_bytes: largest file read, in bytes.
        max_pixels: largest image decoded, in pixels (width x height of the first frame).
    """

    max_bytes: int = 512 * 1024 * 1024
    max_pixels: int = 150_000_000

    @classmethod
    def from_env(cls) -> Limits:
        """Limits from ``VERACITY_MAX_BYTES`` and ``VERACITY_MAX_PIXELS`` when set, defaults otherwise."""
        default = cls()
        return cls(
            max_bytes=_env_int("VERACITY_MAX_BYTES", default.max_bytes),
            max_pixels=_env_int("VERACITY_MAX_PIXELS", default.max_pixels),
        )


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ValueError(f"The environment variable {name} must be a positive integer. Got {raw!r} instead.") from None
    if value <= 0:
        raise ValueError(f"The environment variable {name} must be a positive integer. Got {raw!r} instead.")
    return value


@dataclass(frozen=True)
class DecodedImage:
    """Pixels prepared for analysis and what normalising them changed.

    Attributes:
        pixels: 8-bit RGB image of the first frame, stored orientation (EXIF rotation not applied).
        width: width in pixels, as stored.
        height: height in pixels, as stored.
        original_mode: Pillow mode of the file (``"CMYK"``, ``"I;16"``, ``"P"``, ...).
        decoder_format: Pillow's name of the format (``"JPEG"``, ``"PNG"``, ...).
        frames: number of frames (1 for still images).
        orientation: EXIF orientation 1-8 when recorded, else ``None``.
        notes: plain sentences about what normalisation did (mode conversion, frames dropped).
    """

    pixels: Image.Image
    width: int
    height: int
    original_mode: str
    decoder_format: str
    frames: int
    orientation: int | None
    notes: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Asset:
    """One input file, read once.

    Attributes:
        name: the path as given (or a label for in-memory bytes), for reports.
        data: the original bytes, untouched.
        sha256: hex digest of ``data``.
        media_type: what the bytes are (sniffed, not from the extension).
        limits: the limits this asset was opened under.
        path: the file on disk, or ``None`` for in-memory bytes.
    """

    name: str
    data: bytes = field(repr=False)
    sha256: str
    media_type: MediaType
    limits: Limits = Limits()
    path: Path | None = None

    @property
    def size(self) -> int:
        """Size of the file in bytes."""
        return len(self.data)

    def open_pil(self) -> Image.Image:
        """Open the image lazily (header only) after checking the pixel limit.

        Raises:
            UnsupportedMediaError: the asset is not a still image.
            AssetLimitError: the image has more pixels than ``limits.max_pixels``.
            CorruptAssetError: Pillow cannot parse the header.
        """
        if not self.media_type.has_pixels:
            raise UnsupportedMediaError(
                f"{self.name}: {self.media_type.mime} has no pixels to analyse.", path=self.name
            )
        if self.media_type.mime in _HEIF_MIMES:
            _register_heif()
        # Pillow's own check would refuse at open without saying the size; we check right after the header.
        with _pillow_pixel_limit(None):
            try:
                image = Image.open(io.BytesIO(self.data))
            except Image.DecompressionBombError as exc:
                raise self._limit_error(None) from exc
            except UnidentifiedImageError as exc:
                raise CorruptAssetError(
                    f"{self.name}: the {_format_name(self.media_type)} data cannot be decoded "
                    "(damaged header or an unsupported variant of the format).",
                    path=self.name,
                ) from exc
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise CorruptAssetError(
                    f"{self.name}: damaged {_format_name(self.media_type)} file ({exc}).", path=self.name
                ) from exc
        width, height = image.size
        if width * height > self.limits.max_pixels:
            raise self._limit_error((width, height))
        return image

    @cached_property
    def image(self) -> DecodedImage:
        """The decoded first frame, normalised to 8-bit RGB; decoded on first access and kept.

        Raises:
            UnsupportedMediaError, AssetLimitError, CorruptAssetError: see `open_pil`; truncated data
                is reported as `CorruptAssetError` naming the format.
        """
        image = self.open_pil()
        if self.media_type.mime == "image/png":
            _check_png_chunks(self.data, self.name)
        notes: list[str] = []
        frames = int(getattr(image, "n_frames", 1) or 1)
        if frames > 1 and image.format == "MPO":
            notes.append(f"multi-picture file with {frames} images: the first (primary) image is analysed")
        elif frames > 1:
            notes.append(f"animated image with {frames} frames: the first frame is analysed")
        orientation = _orientation(image)
        original_mode = image.mode
        decoder_format = image.format or self.media_type.extension.upper()
        with _pillow_pixel_limit(self.limits.max_pixels):
            try:
                image.seek(0)
                image.load()
                pixels = _to_rgb8(image, notes)
            except Image.DecompressionBombError as exc:
                raise self._limit_error(image.size) from exc
            except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
                raise CorruptAssetError(_decode_failure(self.name, decoder_format, exc), path=self.name) from exc
        if orientation not in (None, 1):
            notes.append(f"EXIF orientation {orientation} recorded; pixels are analysed as stored, not rotated")
        return DecodedImage(
            pixels=pixels,
            width=image.size[0],
            height=image.size[1],
            original_mode=original_mode,
            decoder_format=decoder_format,
            frames=frames,
            orientation=orientation,
            notes=tuple(notes),
        )

    def _limit_error(self, size: tuple[int, int] | None) -> AssetLimitError:
        described = f"{size[0] * size[1]:,} pixels ({size[0]}x{size[1]})" if size else "too many pixels"
        return AssetLimitError(
            f"{self.name}: image has {described}, over the limit of {self.limits.max_pixels:,} pixels "
            "(a possible decompression bomb). If you trust this file, raise the limit with --max-pixels "
            "or VERACITY_MAX_PIXELS.",
            path=self.name,
        )


def load_asset(
    source: str | os.PathLike[str] | bytes, *, name: str | None = None, limits: Limits | None = None
) -> Asset:
    """Read a file (or take bytes) once and identify it from its bytes.

    Args:
        source: a path, or the file's bytes.
        name: how reports name the input; defaults to the path, or ``"<bytes>"`` for bytes.
        limits: resource limits; defaults to `Limits.from_env()`.

    Returns:
        The `Asset`; pixels are not decoded until ``asset.image`` is used.

    Raises:
        AssetNotFoundError: the path does not exist.
        AssetAccessError: permission denied, a symlink loop, or a directory.
        EmptyAssetError: zero bytes.
        AssetLimitError: more bytes than ``limits.max_bytes``.
        UnsupportedMediaError: bytes of no type veracity analyses.
    """
    limits = limits or Limits.from_env()
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name or "<bytes>"
        path = None
        if len(data) > limits.max_bytes:
            raise _bytes_limit_error(label, len(data), limits)
    else:
        path = Path(source)
        label = name or str(source)
        data = _read_file(path, label, limits)
    if not data:
        raise EmptyAssetError(f"{label}: the file is empty (0 bytes).", path=label)
    media_type = sniff_media_type(data[:8192])
    if media_type is None:
        raise UnsupportedMediaError(
            f"{label}: not a supported image, video, audio or document file; {describe_unknown(data)}.",
            path=label,
        )
    return Asset(
        name=label,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=media_type,
        limits=limits,
        path=path,
    )


def decode_pixels(source: str | os.PathLike[str] | bytes, *, limits: Limits | None = None) -> Image.Image:
    """8-bit RGB pixels of an image file, decoded exactly as analysis decodes them.

    The one decoder of the project: training, calibration, benchmarks and analysis all see the same pixels
    (stored grid, EXIF orientation recorded but not applied, first frame, modes converted to RGB).

    Raises:
        ProvenanceError: the file cannot be read or decoded, or is over a limit (the subclass says why).
    """
    return load_asset(source, limits=limits).image.pixels


def _read_file(path: Path, label: str, limits: Limits) -> bytes:
    try:
        status = path.stat()
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise AssetNotFoundError(f"{label}: broken symbolic link.", path=label) from exc
        raise AssetNotFoundError(f"{label}: no such file.", path=label) from exc
    except OSError as exc:
        raise _access_error(label, exc) from exc
    if stat.S_ISDIR(status.st_mode):
        raise AssetAccessError(f"{label}: is a directory, not a file.", path=label)
    if not stat.S_ISREG(status.st_mode):
        raise AssetAccessError(f"{label}: is not a regular file (device, pipe or socket).", path=label)
    if status.st_size > limits.max_bytes:
        raise _bytes_limit_error(label, status.st_size, limits)
    try:
        with path.open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except FileNotFoundError as exc:
        raise AssetNotFoundError(f"{label}: no such file (removed while reading).", path=label) from exc
    except OSError as exc:
        raise _access_error(label, exc) from exc
    if len(data) > limits.max_bytes:  # the file grew while we read it
        raise _bytes_limit_error(label, len(data), limits)
    return data


def _access_error(label: str, exc: OSError) -> AssetAccessError:
    if isinstance(exc, PermissionError):
        return AssetAccessError(f"{label}: permission denied.", path=label)
    if exc.errno == errno.ELOOP:
        return AssetAccessError(f"{label}: symbolic link loop.", path=label)
    return AssetAccessError(f"{label}: cannot be read ({exc.strerror or exc}).", path=label)


def _bytes_limit_error(label: str, size: int, limits: Limits) -> AssetLimitError:
    return AssetLimitError(
        f"{label}: file is {size:,} bytes, over the limit of {limits.max_bytes:,} bytes. "
        "Raise it with --max-bytes or VERACITY_MAX_BYTES.",
        path=label,
    )


@contextlib.contextmanager
def _pillow_pixel_limit(max_pixels: int | None) -> Iterator[None]:
    """Make Pillow's own bomb check follow veracity's limit (``None``: off) while Pillow runs."""
    previous = Image.MAX_IMAGE_PIXELS
    # Pillow raises at twice MAX_IMAGE_PIXELS and warns above it; our limit is the error line.
    Image.MAX_IMAGE_PIXELS = None if max_pixels is None else max_pixels // 2 + 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


@functools.cache
def _register_heif() -> None:
    """Teach Pillow HEIC/HEIF on first need: pillow-heif's import costs time nobody else should pay."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def _format_name(media_type: MediaType) -> str:
    return media_type.mime.split("/")[-1].removeprefix("x-").upper()


def _check_png_chunks(data: bytes, name: str) -> None:
    """Verify every PNG chunk's CRC: Pillow skips the check for image data, libpng does not."""
    offset = 8
    while offset + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, offset)
        kind = data[offset + 4 : offset + 8]
        end = offset + 8 + length
        if end + 4 > len(data):
            raise CorruptAssetError(
                f"{name}: truncated PNG file: chunk {kind!r} at byte {offset} ends early.", path=name
            )
        (stored,) = struct.unpack_from(">I", data, end)
        if zlib.crc32(data[offset + 4 : end]) & 0xFFFFFFFF != stored:
            raise CorruptAssetError(
                f"{name}: corrupt PNG file: chunk {kind.decode('latin-1')!r} at byte {offset} fails its CRC check.",
                path=name,
            )
        if kind == b"IEND":
            return
        offset = end + 4


def _orientation(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(_ORIENTATION_TAG)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):
        return None
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else None


def _to_rgb8(image: Image.Image, notes: list[str]) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB without rescaling the pixel grid."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        import numpy as np

        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
        scaled = np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        notes.append(f"{mode} high-bit-depth image scaled to 8 bits for analysis")
        return Image.fromarray(scaled, "L").convert("RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        notes.append("alpha channel ignored for analysis")
    elif mode == "CMYK":
        notes.append("CMYK image converted to RGB for analysis")
    elif mode == "P":
        notes.append("palette image expanded to RGB for analysis")
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if mode in ("LA", "La"):
        image = image.convert("L")
    return image.convert("RGB")


def _decode_failure(name: str, fmt: str, exc: BaseException) -> str:
    text = str(exc)
    lowered = text.lower()
    if "truncated" in lowered or isinstance(exc, EOFError):
        return f"{name}: truncated {fmt} file: the image data ends early ({text or 'end of file'})."
    if "crc" in lowered or "broken" in lowered:
        return f"{name}: corrupt {fmt} file: a checksum does not match ({text})."
    if isinstance(exc, MemoryError):
        return f"{name}: not enough memory to decode this {fmt} image."
    return f"{name}: corrupt {fmt} file: the decoder failed ({text or type(exc).__name__})."


# Truncated images must fail loudly, never decode half a picture silently.
ImageFile.LOAD_TRUNCATED_IMAGES = False
