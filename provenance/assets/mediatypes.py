"""Sniff the media type of a file from its bytes, never from its name.

`filetype` knows the common containers; veracity adds the few C2PA cares about that it lacks
(SVG, stand-alone C2PA manifest stores, fragmented-MP4 segments, fonts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import filetype

# What veracity does with each kind: only still images get pixel analysis.
IMAGE = "image"
VIDEO = "video"
AUDIO = "audio"
DOCUMENT = "document"
VECTOR = "vector"
FONT = "font"
MANIFEST = "manifest"

PIXEL_KINDS = frozenset({IMAGE})


@dataclass(frozen=True)
class MediaType:
    """What the bytes are.

    Attributes:
        mime: the IANA media type, e.g. ``"image/jpeg"``; C2PA readers take it as the format.
        kind: one of the kind constants of this module (``"image"``, ``"video"``, ...).
        extension: the usual file extension without the dot, for messages.
    """

    mime: str
    kind: str
    extension: str

    @property
    def has_pixels(self) -> bool:
        """True when pixel analysis (classifier, watermark, forensics) applies."""
        return self.kind in PIXEL_KINDS


_IMAGE_MIMES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/tiff": "tif",
    "image/bmp": "bmp",
    "image/heic": "heic",
    "image/heif": "heif",
    "image/avif": "avif",
    "image/jxl": "jxl",
    "image/x-icon": "ico",
}
_OTHER_MIMES = {
    "video/mp4": (VIDEO, "mp4"),
    "video/quicktime": (VIDEO, "mov"),
    "video/x-m4v": (VIDEO, "m4v"),
    "video/webm": (VIDEO, "webm"),
    "video/x-msvideo": (VIDEO, "avi"),
    "audio/mpeg": (AUDIO, "mp3"),
    "audio/x-wav": (AUDIO, "wav"),
    "audio/wav": (AUDIO, "wav"),
    "audio/x-flac": (AUDIO, "flac"),
    "audio/mp4": (AUDIO, "m4a"),
    "audio/ogg": (AUDIO, "ogg"),
    "application/pdf": (DOCUMENT, "pdf"),
    "application/font-sfnt": (FONT, "ttf"),
    "application/font-woff": (FONT, "woff"),
    "font/ttf": (FONT, "ttf"),
    "font/otf": (FONT, "otf"),
    "font/woff": (FONT, "woff"),
    "font/woff2": (FONT, "woff2"),
}
# filetype reports some formats under names C2PA does not use.
_MIME_ALIASES = {"audio/x-wav": "audio/wav", "image/x-icon": "image/x-icon", "audio/x-flac": "audio/flac"}

_SVG_HEAD = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]", re.DOTALL)
_JUMBF_C2PA = b"jumb"


def sniff_media_type(head: bytes) -> MediaType | None:
    """Return the media type of a file from its first bytes, or ``None`` when unknown.

    Args:
        head: the first bytes of the file; 8 KiB is plenty, the whole file works too.

    Returns:
        The sniffed `MediaType`, or ``None`` for bytes veracity cannot analyse (text, archives, ...).
    """
    if len(head) >= 8 and head[4:8] == _JUMBF_C2PA:
        return MediaType("application/c2pa", MANIFEST, "c2pa")
    if len(head) >= 12 and head[4:8] == b"styp":
        return MediaType("video/mp4", VIDEO, "m4s")
    kind = filetype.guess(head[:8192])
    if kind is not None:
        mime = _MIME_ALIASES.get(kind.mime, kind.mime)
        if mime in _IMAGE_MIMES:
            return MediaType(mime, IMAGE, _IMAGE_MIMES[mime])
        if kind.mime in _OTHER_MIMES or mime in _OTHER_MIMES:
            category, extension = _OTHER_MIMES.get(kind.mime) or _OTHER_MIMES[mime]
            return MediaType(mime, category, extension)
        return None
    if len(head) >= 12 and head[4:8] == b"ftyp":
        # Any other ISO base media file (DASH init segments, 3GP, ...): C2PA reads them as MP4.
        return MediaType("video/mp4", VIDEO, "mp4")
    if head[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        return MediaType("font/ttf" if head[:4] != b"OTTO" else "font/otf", FONT, "ttf")
    if _SVG_HEAD.match(head[:4096]):
        return MediaType("image/svg+xml", VECTOR, "svg")
    return None


def describe_unknown(head: bytes) -> str:
    """A short human description of bytes that are not a known media type, for error messages."""
    sample = head[:512]
    if not sample:
        return "it is empty"
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return f"it starts with bytes {sample[:8].hex(' ')}"
    if all(ch.isprintable() or ch.isspace() for ch in text):
        first = text.strip().splitlines()[0][:40] if text.strip() else ""
        return f"it looks like text ({first!r})"
    return f"it starts with bytes {sample[:8].hex(' ')}"
