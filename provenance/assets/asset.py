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
import struct
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from PIL import Image, ImageFile, UnidentifiedImageError

from veracity.provenance.assets.files import NotARegularFileError, open_regular_file
from veracity.provenance.assets.jpegscan import find_scan_shortfall
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
#: The most bytes per (weighted) pixel that decoding and normalising one image holds at once.
BYTES_PER_PIXEL = 8
#: Formats whose decoder holds more than `BYTES_PER_PIXEL`: their pixels count this many times against the
#: limit. Pillow decodes WebP through libwebp's animation decoder, which keeps two RGBA canvases and hands
#: back a copy, before Pillow's own frame: 16 bytes a pixel (a 147 MP WebP of 263 KB peaked at 2.4 GB).
PIXEL_WEIGHTS = {"image/webp": 2}
#: Rows converted at a time when high-bit-depth images are scaled to 8 bits (bounded working memory).
_STRIP_ROWS = 256


@dataclass(frozen=True)
class Limits:
    """Resource limits checked before anything is decoded.

    Memory: analysing one image holds at most `BYTES_PER_PIXEL` (8) bytes per pixel of ``max_pixels`` at
    any moment, plus a fixed base (the interpreter, the libraries and the detector: about 300 MiB), so one
    analysing process peaks under ``300 MiB + 8 x max_pixels`` bytes: 1.4 GiB at the default 150 MP
    (measured by ``python -m veracity.benchmarks.perf.peak_memory``). Pillow keeps RGB at 4 bytes a pixel
    and a mode conversion holds the source and the result for a moment; formats whose decoder needs more
    count their pixels more than once (`PIXEL_WEIGHTS`: WebP twice).

    Attributes:
        max_bytes: largest file read, in bytes.
        max_pixels: largest image decoded, in weighted pixels (width x height of the first frame, times the
            format's weight in `PIXEL_WEIGHTS`).
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
        with _pillow_pixel_limit(None), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # header warnings (a malformed MPO, say) reappear as decode notes
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
            except (OSError, SyntaxError, ValueError, EOFError, RuntimeError) as exc:
                raise CorruptAssetError(
                    f"{self.name}: damaged {_format_name(self.media_type)} file ({one_line(str(exc))}).", path=self.name
                ) from exc
        width, height = image.size
        if width * height * self.pixel_weight > self.limits.max_pixels:
            raise self._limit_error((width, height))
        return image

    @property
    def pixel_weight(self) -> int:
        """How many times each pixel counts against ``limits.max_pixels`` (see `PIXEL_WEIGHTS`)."""
        return PIXEL_WEIGHTS.get(self.media_type.mime, 1)

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
        elif self.media_type.mime == "image/jpeg":
            _check_jpeg_scan(self.data, self.name)
        notes: list[str] = []
        frames = int(getattr(image, "n_frames", 1) or 1)
        if frames > 1 and image.format == "MPO":
            notes.append(f"multi-picture file with {frames} images: the first (primary) image is analysed")
        elif frames > 1:
            notes.append(f"animated image with {frames} frames: the first frame is analysed")
        original_mode = image.mode
        decoder_format = image.format or self.media_type.extension.upper()
        width, height = image.size
        with _pillow_pixel_limit(self.limits.max_pixels), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                image.seek(0)
                image.load()
                orientation = _orientation(image)  # after load: reading a PNG's EXIF would decode it again
                pixels = _to_rgb8(image, notes)
            except Image.DecompressionBombError as exc:
                raise self._limit_error(image.size) from exc
            except (OSError, SyntaxError, ValueError, EOFError, MemoryError, RuntimeError) as exc:
                # RuntimeError: the AVIF and HEIF decoders' way to say the data is damaged.
                raise CorruptAssetError(_decode_failure(self.name, decoder_format, exc), path=self.name) from exc
        notes.extend(_warning_notes(caught))
        if orientation not in (None, 1):
            notes.append(f"EXIF orientation {orientation} recorded; pixels are analysed as stored, not rotated")
        return DecodedImage(
            pixels=pixels,
            width=width,
            height=height,
            original_mode=original_mode,
            decoder_format=decoder_format,
            frames=frames,
            orientation=orientation,
            notes=tuple(notes),
        )

    def _limit_error(self, size: tuple[int, int] | None) -> AssetLimitError:
        described = f"{size[0] * size[1]:,} pixels ({size[0]}x{size[1]})" if size else "too many pixels"
        limit = f"the limit of {self.limits.max_pixels:,} pixels"
        weight = self.pixel_weight
        if weight > 1:
            limit = (
                f"the limit of {self.limits.max_pixels // weight:,} pixels for {_format_name(self.media_type)} "
                f"(its decoder needs {weight}x the memory of other formats; the limit is "
                f"{self.limits.max_pixels:,} pixels)"
            )
        return AssetLimitError(
            f"{self.name}: image has {described}, over {limit} (a possible decompression bomb). If you trust "
            "this file, raise the limit with --max-pixels or VERACITY_MAX_PIXELS.",
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
    # Opened first and checked on the descriptor: a FIFO or device is refused without blocking, and a path
    # swapped between a check and the open cannot slip through.
    try:
        handle = open_regular_file(path)
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise AssetNotFoundError(f"{label}: broken symbolic link.", path=label) from exc
        raise AssetNotFoundError(f"{label}: no such file.", path=label) from exc
    except NotARegularFileError as exc:
        if exc.errno == errno.EISDIR:
            raise AssetAccessError(f"{label}: is a directory, not a file.", path=label) from exc
        raise AssetAccessError(
            f"{label}: is {exc.strerror}, not a regular file; only regular files are read.", path=label
        ) from exc
    except OSError as exc:
        raise _access_error(label, exc) from exc
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limits.max_bytes:
            raise _bytes_limit_error(label, size, limits)
        try:
            data = handle.read(limits.max_bytes + 1)
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


def _check_jpeg_scan(data: bytes, name: str) -> None:
    """Refuse a JPEG whose coded data cannot cover the frame its header declares (see `jpegscan`)."""
    shortfall = find_scan_shortfall(data)
    if shortfall is not None:
        raise CorruptAssetError(
            f"{name}: truncated JPEG file: the header declares {shortfall.width}x{shortfall.height} pixels but the "
            f"image data holds at most {shortfall.coverage:.1%} of them ({shortfall.reason}).",
            path=name,
        )


def _orientation(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(_ORIENTATION_TAG)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):
        return None
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else None


def _to_rgb8(image: Image.Image, notes: list[str]) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB without rescaling the pixel grid.

    Each conversion closes its source at once, so at most a source and its result are held (the memory
    bound of `Limits`); the caller must not use ``image``'s pixels afterwards.
    """
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        notes.append(f"{mode} high-bit-depth image scaled to 8 bits for analysis")
        return _converted(_scaled_to_l8(image), "RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        notes.append("alpha channel ignored for analysis")
    elif mode == "CMYK":
        notes.append("CMYK image converted to RGB for analysis")
    elif mode == "P":
        notes.append("palette image expanded to RGB for analysis")
    if mode == "P" and "transparency" in image.info:
        image = _converted(image, "RGBA")
    if mode in ("LA", "La"):
        image = _converted(image, "L")
    return _converted(image, "RGB")


def _converted(image: Image.Image, mode: str) -> Image.Image:
    result = image.convert(mode)
    image.close()  # frees the source's pixels now, even while callers still hold the object
    return result


def _scaled_to_l8(image: Image.Image) -> Image.Image:
    """16/32-bit grey to 8 bits (0-65535 or 0-max to 0-255), a strip of rows at a time: 1 byte a pixel more."""
    import numpy as np

    width, height = image.size
    strips = [(top, min(top + _STRIP_ROWS, height)) for top in range(0, height, _STRIP_ROWS)]
    top_value = 65535.0
    if not image.mode.startswith("I;16"):
        peak = max(float(np.asarray(image.crop((0, a, width, b))).max(initial=0)) for a, b in strips)
        top_value = 65535.0 if peak > 255 else 255.0
    out = np.empty((height, width), dtype=np.uint8)
    for a, b in strips:
        strip = np.asarray(image.crop((0, a, width, b)), dtype=np.float32)
        out[a:b] = np.clip(strip / top_value * 255.0 + 0.5, 0, 255).astype(np.uint8)
    image.close()
    return Image.fromarray(out, "L")


def _warning_notes(caught: list[warnings.WarningMessage]) -> list[str]:
    """Pillow's warnings while decoding, as notes (never printed on stderr)."""
    notes = []
    for item in caught:
        if issubclass(item.category, Image.DecompressionBombWarning):
            continue
        text = one_line(str(item.message))
        if text and f"decoder warning: {text}" not in notes:
            notes.append(f"decoder warning: {text}")
    return notes[:5]


def one_line(text: str, limit: int = 500) -> str:
    """``text`` on one line (runs of whitespace, newlines included, become one space), at most ``limit`` chars."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _decode_failure(name: str, fmt: str, exc: BaseException) -> str:
    text = one_line(str(exc))  # decoders (libheif) may answer with several lines
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
