"""Deterministic, seeded perturbations and chains of them.

Severity table (severity 1 → 5; ``-`` means the perturbation has one level and ignores severity):

=================  ======  ======  ======  ======  ======  ===========================================
name               1       2       3       4       5       what
=================  ======  ======  ======  ======  ======  ===========================================
jpeg               95      85      75      60      40      JPEG quality (file re-encoded, no metadata)
webp               95      85      75      60      40      WebP quality
resize             0.9     0.75    0.5     0.35    0.25    scale down then back up (bicubic)
crop               0.95    0.85    0.75    0.6     0.5     kept side fraction, random offset (size changes)
blur               0.5     1.0     1.5     2.0     3.0     Gaussian blur sigma, pixels
noise              2       4       8       12      20      Gaussian noise std, 8-bit levels
strip-metadata     -       -       -       -       -       drop EXIF/XMP/IPTC/C2PA/text chunks, pixels kept
social             -       -       -       -       -       long side ≤ 1080 px, JPEG 80, metadata stripped
reencode           95      90      85      75      65      decode and re-encode JPEG at this quality,
                                                           every image the same way (format shortcut check)
=================  ======  ======  ======  ======  ======  ===========================================

A perturbation works on a file, not only on pixels, because codecs and metadata live in the file: a
*pixel* perturbation is ``fn(image, severity, rng) -> PIL.Image`` (size and mode kept, except ``crop``)
and its result is stored losslessly as PNG; a *file* perturbation is ``fn(data, severity, rng) -> bytes``.
`apply_chain` runs a chain (``"resize:2+jpeg:4"``) on file bytes; `perturb_image` runs any perturbation
on a PIL image. ``rng`` is a ``numpy.random.Generator``; the harness derives it from (seed, file sha256,
chain), so a perturbed file is the same on every run.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from veracity.benchmarks.errors import PerturbationError
from veracity.detector.registry import Registry

IDENTITY = "none"
DEFAULT_SEVERITY = 3


@dataclass(frozen=True)
class Perturbation:
    """A registered perturbation.

    Attributes:
        name: registry name.
        kind: ``"pixels"`` (``fn(image, severity, rng) -> Image``) or ``"file"`` (``fn(data, severity, rng)
            -> bytes``).
        fn: the function.
        table: severity -> parameter (empty when severity is ignored).
        description: one line for ``bench ls``.
    """

    name: str
    kind: str
    fn: Callable[..., Any]
    table: dict[int, float]
    description: str


perturbations: Registry[Perturbation] = Registry("perturbation")


def list_perturbations(pattern: str | None = None) -> list[str]:
    return perturbations.list(pattern)


def register_perturbation(name: str, kind: str, table: dict[int, float], description: str) -> Callable:
    def decorator(fn: Callable) -> Callable:
        perturbations.register(name, Perturbation(name, kind, fn, dict(table), description))
        return fn

    return decorator


@dataclass(frozen=True)
class Step:
    name: str
    severity: int

    def __str__(self) -> str:
        return f"{self.name}:{self.severity}"


def parse_chain(spec: str) -> tuple[Step, ...]:
    """``"resize:2+jpeg:4"`` -> steps; ``"none"`` -> ``()``; a missing severity means 3.

    Raises:
        PerturbationError: unknown name (did-you-mean) or severity not an int in [1, 5].
    """
    spec = spec.strip()
    if spec in ("", IDENTITY):
        return ()
    steps = []
    for part in spec.split("+"):
        name, _, sev = part.strip().partition(":")
        if name not in perturbations:
            perturbations.get(name)  # raises the did-you-mean error
        try:
            severity = int(sev) if sev else DEFAULT_SEVERITY
        except ValueError:
            severity = -1
        if not 1 <= severity <= 5:
            raise PerturbationError(
                f"The severity of perturbation {name!r} must be an int in [1, 5]. Got {sev!r} in {spec!r} instead."
            )
        steps.append(Step(name, severity))
    return tuple(steps)


def canonical(spec: str) -> str:
    """The canonical spelling of a chain: ``"jpeg"`` -> ``"jpeg:3"``; one-level perturbations carry no severity."""
    steps = parse_chain(spec)
    parts = [str(s) if perturbations.get(s.name).table else s.name for s in steps]
    return "+".join(parts) if parts else IDENTITY


def apply_chain(data: bytes, spec: str | Sequence[Step], rng: np.random.Generator) -> bytes:
    """Apply a chain to a file's bytes; returns new file bytes (the input when the chain is empty)."""
    steps = parse_chain(spec) if isinstance(spec, str) else tuple(spec)
    image: Image.Image | None = None  # pixels not yet encoded
    for step in steps:
        pert = perturbations.get(step.name)
        if pert.kind == "pixels":
            image = pert.fn(image if image is not None else decode(data), step.severity, rng)
        else:
            if image is not None:
                data, image = encode_png(image), None
            data = pert.fn(data, step.severity, rng)
    return encode_png(image) if image is not None else data


def perturb_image(name: str, image: Image.Image, severity: int, rng: np.random.Generator) -> Image.Image:
    """Any perturbation applied to a PIL image (file perturbations go through a lossless PNG)."""
    pert = perturbations.get(name)
    if pert.kind == "pixels":
        return pert.fn(image, severity, rng)
    out = Image.open(io.BytesIO(pert.fn(encode_png(image), severity, rng)))
    out.load()
    return out.convert(image.mode) if out.mode != image.mode else out


_last_decoded: list[Any] = [None]  # (bytes object, pixels): chains over one original decode it once


def decode(data: bytes) -> Image.Image:
    """8-bit RGB pixels of a file, through the project's one decoder (limits, modes, orientation kept).

    The last result is remembered by the identity of ``data``, so the ten chains a benchmark applies to one
    original decode it once. Callers must not modify the returned image.
    """
    from veracity.provenance.assets.asset import load_asset

    cached = _last_decoded[0]
    if cached is not None and cached[0] is data:
        return cached[1]
    pixels = load_asset(data).image.pixels
    _last_decoded[0] = (data, pixels)
    return pixels


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, fmt, quality=int(quality))
    return buffer.getvalue()


def _level(name: str, severity: int) -> float:
    return perturbations.get(name).table[severity]


# -- pixel perturbations --------------------------------------------------------------------------------


@register_perturbation("resize", "pixels", {1: 0.9, 2: 0.75, 3: 0.5, 4: 0.35, 5: 0.25}, "downscale then upscale")
def resize_down_up(image: Image.Image, severity: int, rng: np.random.Generator) -> Image.Image:
    scale = _level("resize", severity)
    small = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(small, Image.Resampling.BICUBIC).resize(image.size, Image.Resampling.BICUBIC)


@register_perturbation("crop", "pixels", {1: 0.95, 2: 0.85, 3: 0.75, 4: 0.6, 5: 0.5}, "random crop (side fraction)")
def random_crop(image: Image.Image, severity: int, rng: np.random.Generator) -> Image.Image:
    keep = _level("crop", severity)
    w, h = max(1, round(image.width * keep)), max(1, round(image.height * keep))
    x = int(rng.integers(0, image.width - w + 1))
    y = int(rng.integers(0, image.height - h + 1))
    return image.crop((x, y, x + w, y + h))


@register_perturbation("blur", "pixels", {1: 0.5, 2: 1.0, 3: 1.5, 4: 2.0, 5: 3.0}, "Gaussian blur (sigma)")
def gaussian_blur(image: Image.Image, severity: int, rng: np.random.Generator) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius=_level("blur", severity)))


@register_perturbation("noise", "pixels", {1: 2, 2: 4, 3: 8, 4: 12, 5: 20}, "additive Gaussian noise (std, 8-bit)")
def gaussian_noise(image: Image.Image, severity: int, rng: np.random.Generator) -> Image.Image:
    mode = image.mode
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    noisy = pixels + rng.normal(0.0, _level("noise", severity), pixels.shape).astype(np.float32)
    out = Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8), "RGB")
    return out.convert(mode) if mode != "RGB" else out


# -- file perturbations ----------------------------------------------------------------------------------


@register_perturbation("jpeg", "file", {1: 95, 2: 85, 3: 75, 4: 60, 5: 40}, "JPEG re-encode (quality)")
def jpeg(data: bytes, severity: int, rng: np.random.Generator) -> bytes:
    return _encode(decode(data), "JPEG", _level("jpeg", severity))


@register_perturbation("webp", "file", {1: 95, 2: 85, 3: 75, 4: 60, 5: 40}, "WebP re-encode (quality)")
def webp(data: bytes, severity: int, rng: np.random.Generator) -> bytes:
    return _encode(decode(data), "WEBP", _level("webp", severity))


@register_perturbation("reencode", "file", {1: 95, 2: 90, 3: 85, 4: 75, 5: 65}, "both classes re-encoded as one JPEG")
def reencode_identically(data: bytes, severity: int, rng: np.random.Generator) -> bytes:
    # The same codec and quality for every file, whatever its class or original format, so a detector that
    # separated the classes by file format (JPEG reals, PNG fakes) loses that shortcut here.
    return _encode(decode(data), "JPEG", _level("reencode", severity))


@register_perturbation("social", "file", {}, "long side ≤ 1080 px, JPEG 80, metadata stripped")
def social_media(data: bytes, severity: int, rng: np.random.Generator) -> bytes:
    image = decode(data)
    scale = 1080 / max(image.size)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return _encode(image, "JPEG", 80)  # Pillow writes no EXIF/XMP unless asked: metadata is gone


@register_perturbation("strip-metadata", "file", {}, "remove EXIF/XMP/IPTC/C2PA/text, keep pixels")
def strip_metadata(data: bytes, severity: int, rng: np.random.Generator) -> bytes:
    if data[:3] == b"\xff\xd8\xff":
        return _strip_jpeg(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _strip_png(data)
    return encode_png(decode(data))  # other containers: lossless pixels without any metadata


# JPEG segments kept: APP0 (JFIF), APP2 (ICC profile: colour, not provenance), APP14 (Adobe colour transform).
_JPEG_KEEP_APP = {0xE0, 0xE2, 0xEE}
_PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"caBX"}


def _strip_jpeg(data: bytes) -> bytes:
    out = bytearray(data[:2])
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segment = data[pos : pos + 2 + length]
        if not ((0xE1 <= marker <= 0xEF and marker not in _JPEG_KEEP_APP) or marker == 0xFE):
            out += segment
        pos += 2 + length
    return bytes(out + data[pos:])


def _strip_png(data: bytes) -> bytes:
    out = bytearray(data[:8])
    pos = 8
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        chunk_type = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if chunk_type not in _PNG_DROP:
            out += data[pos:end]
        pos = end
        if chunk_type == b"IEND":
            break
    return bytes(out)
