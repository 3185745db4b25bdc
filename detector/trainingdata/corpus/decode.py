"""Safe image decoding for the corpus builder.

Bytes are opened with Pillow restricted to still-image formats, the pixel count is
checked from the header before any pixel is decoded, and every decoder failure becomes a
:class:`DecodeError` carrying a short reason, so that one bad file is a counted drop and
never stops a build. HEIF/HEIC is read through ``pillow-heif`` when it is installed.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DecodeError",
    "DecodedImage",
    "ImageInfo",
    "decode_image",
    "extension_for",
]

DEFAULT_MAX_PIXELS = 100_000_000
"""Images with more pixels than this are refused before decoding (decompression bombs)."""

ANALYSIS_SIDE = 2048
"""Long side (px) of the array the heuristics and perceptual hash look at."""

_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "HEIF", "AVIF")  # JPEG also yields MPO
_EXTENSIONS = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "TIFF": "tif",
    "BMP": "bmp",
    "HEIF": "heic",
    "AVIF": "avif",
}
_heif_registered = False


class DecodeError(Exception):
    """The bytes are not a decodable still image.

    Attributes:
        reason: ``"corrupt"``, ``"too_many_pixels"`` or ``"animated"``.
        detail: Human-readable detail (the decoder's message).
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ImageInfo:
    """What the header says about an image.

    Attributes:
        width: Width in pixels (as stored, before EXIF orientation).
        height: Height in pixels.
        format: Pillow format name (``JPEG``, ``PNG``, ``WEBP``, ``HEIF``...).
        mode: Pillow mode of the stored image (``RGB``, ``L``, ``RGBA``, ``I;16``...).
    """

    width: int
    height: int
    format: str
    mode: str

    @property
    def short_side(self) -> int:
        """The smaller of width and height, in pixels."""
        return min(self.width, self.height)


@dataclass(frozen=True, eq=False)
class DecodedImage:
    """A decoded image ready for the heuristics.

    Attributes:
        info: Header facts of the original image.
        rgb: ``uint8`` array of shape ``(h, w, 3)``; the long side is at most
            :data:`ANALYSIS_SIDE` (JPEGs are decoded at a reduced DCT scale, other formats
            box-reduced by an integer factor). Transparent pixels are composited on white.
    """

    info: ImageInfo
    rgb: np.ndarray

    def to_pil(self) -> Image.Image:
        """The analysis array as a PIL RGB image."""
        return Image.fromarray(self.rgb, "RGB")


def extension_for(fmt: str) -> str:
    """File extension (no dot) for a Pillow format name, e.g. ``JPEG`` -> ``jpg``."""
    return _EXTENSIONS.get(fmt.upper(), fmt.lower())


def _register_plugins() -> None:
    global _heif_registered
    if _heif_registered:
        return
    Image.init()  # Image.open(formats=...) only knows plugins that are already loaded
    try:
        import pillow_heif
    except ImportError:  # HEIF files then decode as 'corrupt' (unidentified)
        _heif_registered = True
        return
    pillow_heif.register_heif_opener()
    _heif_registered = True


def _to_rgb_array(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        gray = np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.asarray(im.convert("RGB"))


def _open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=[f for f in _FORMATS if f in Image.OPEN])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecodeError("too_many_pixels", str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - decoder plugins raise many types; all mean "unreadable"
        raise DecodeError("corrupt", f"{type(exc).__name__}: {exc}") from exc


def decode_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, analysis_side: int = ANALYSIS_SIDE
) -> DecodedImage:
    """Decode image bytes safely.

    Args:
        data: The file bytes.
        max_pixels: Refuse images whose header declares more pixels than this.
        analysis_side: Long side of the returned analysis array.

    Returns:
        The header facts and a reduced RGB array.

    Raises:
        DecodeError: With ``reason`` ``"too_many_pixels"``, ``"animated"`` (a multi-frame
            GIF/WebP/PNG; MPO camera files are fine) or ``"corrupt"`` (anything the decoder
            rejects, including truncated files).
    """
    _register_plugins()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        im = _open(data)
        with im:
            width, height = im.size
            info = ImageInfo(width, height, (im.format or "UNKNOWN").upper(), im.mode)
            if width * height > max_pixels:
                raise DecodeError("too_many_pixels", f"{width}x{height} exceeds {max_pixels} pixels")
            if info.format != "MPO" and getattr(im, "n_frames", 1) > 1:
                raise DecodeError("animated", f"{im.n_frames} frames")
            scale = analysis_side / max(width, height)
            try:
                if info.format in ("JPEG", "MPO") and scale < 1:
                    im.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
                im.load()
                rgb = _to_rgb_array(im)
                if max(rgb.shape[:2]) > analysis_side:
                    factor = math.ceil(max(rgb.shape[:2]) / analysis_side)
                    rgb = np.asarray(Image.fromarray(rgb, "RGB").reduce(factor))
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise DecodeError("too_many_pixels", str(exc)) from exc
            except Exception as exc:  # noqa: BLE001 - e.g. RuntimeError from the AVIF plugin on a bad stream
                raise DecodeError("corrupt", f"{type(exc).__name__}: {exc}") from exc
    if rgb.ndim != 3 or rgb.size == 0:
        raise DecodeError("corrupt", f"decoded to an unusable array of shape {rgb.shape}")
    return DecodedImage(info, np.ascontiguousarray(rgb, dtype=np.uint8))
